//! The explanation catalogue: every SMTP command and every reply code the engine can
//! send, in plain words, with the RFC section that defines it. The server, the UI and
//! the tests all use this one table, so what a student reads is what the code does. A build
//! without the feature `catalogue` (the web app's first load) has only the cards its
//! lessons show.

#[cfg(all(test, feature = "catalogue"))]
use crate::smtp::reply::ReplyCode;
use crate::trace::{EventKind, Protocol, Status, TlsFlight, Trace};

/// One entry of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// What is being explained, e.g. `MAIL FROM` or `250`.
    pub key: &'static str,
    /// A short title: "Start a new mail transaction".
    pub title: &'static str,
    /// Two or three sentences for a student.
    pub text: &'static str,
    /// The RFC and section, e.g. `RFC 5321 §4.1.1.2`.
    pub rfc: &'static str,
}

impl Explanation {
    /// A link to the RFC text on rfc-editor.org, with the section anchor.
    pub fn url(&self) -> String {
        rfc_url(self.rfc)
    }
}

/// `RFC 5321 §4.1.1.2` → `https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2`.
pub fn rfc_url(rfc: &str) -> String {
    let mut words = rfc.split_whitespace();
    let number = words.nth(1).unwrap_or("");
    let section = rfc.split('§').nth(1).map(|s| {
        s.trim_start()
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .next()
            .unwrap_or("")
            .trim_end_matches('.')
    });
    match section {
        Some(s) if !s.is_empty() => {
            format!("https://www.rfc-editor.org/rfc/rfc{number}#section-{s}")
        }
        _ => format!("https://www.rfc-editor.org/rfc/rfc{number}"),
    }
}

const fn e(key: &'static str, title: &'static str, text: &'static str, rfc: &'static str) -> Explanation {
    Explanation { key, title, text, rfc }
}

/// SMTP commands (RFC 5321 §4.1.1, and the extensions the servers advertise).
pub const SMTP_COMMANDS: &[Explanation] = &[
    e(
        "EHLO",
        "Say hello, and ask for extensions",
        "The client names itself and asks the server which SMTP extensions it supports. The server answers with a multi-line 250 reply: its name on the first line, then one extension per line.",
        "RFC 5321 §4.1.1.1",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "HELO",
        "Say hello (the original way)",
        "The client names itself. HELO is the older greeting from RFC 821: it works everywhere but tells the client nothing about extensions.",
        "RFC 5321 §4.1.1.1",
    ),
    e(
        "MAIL",
        "Start a mail transaction",
        "MAIL FROM gives the envelope sender: the address that bounces go back to. It may differ from the From: header that people see. An empty path, MAIL FROM:<>, is used by bounces themselves.",
        "RFC 5321 §4.1.1.2",
    ),
    e(
        "RCPT",
        "Name one recipient",
        "RCPT TO names one envelope recipient. The client sends one RCPT per recipient; the server accepts or refuses each one on its own. These addresses, not the To: header, decide where the message goes.",
        "RFC 5321 §4.1.1.3",
    ),
    e(
        "DATA",
        "Ask to send the message itself",
        "After at least one recipient was accepted, DATA asks to send the message. The server answers 354, the client sends the headers and body, and ends with a line holding a single dot.",
        "RFC 5321 §4.1.1.4",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "RSET",
        "Abort the current transaction",
        "RSET throws away the sender, the recipients and any data of the current transaction. The connection stays open and the client may start again with MAIL.",
        "RFC 5321 §4.1.1.5",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "VRFY",
        "Ask whether an address exists",
        "VRFY asks the server to confirm a user name or mailbox. Because spammers used it to harvest addresses, most servers answer 252: 'cannot verify, but I will try to deliver'.",
        "RFC 5321 §4.1.1.6",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "EXPN",
        "Ask to expand a mailing list",
        "EXPN asks for the members of a mailing list. Like VRFY it gives addresses away, so servers usually refuse it.",
        "RFC 5321 §4.1.1.7",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "HELP",
        "Ask for help",
        "HELP asks the server for information about its commands. The answer is meant for people reading the conversation.",
        "RFC 5321 §4.1.1.8",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "NOOP",
        "Do nothing",
        "NOOP changes nothing; the server just answers 250 OK. Clients use it to check that the connection is still alive.",
        "RFC 5321 §4.1.1.9",
    ),
    e(
        "QUIT",
        "Say goodbye",
        "QUIT asks the server to answer 221 and close the connection. A transaction that was not finished with DATA is discarded.",
        "RFC 5321 §4.1.1.10",
    ),
    e(
        "STARTTLS",
        "Switch to an encrypted connection",
        "STARTTLS asks to switch this connection to TLS. The server answers 220, then both sides run a TLS handshake, and everything after it is encrypted. The server forgets all it was told before (even the EHLO), so the client says EHLO again. A server that does not offer STARTTLS answers 502.",
        "RFC 3207 §4",
    ),
    e(
        "AUTH",
        "Log in",
        "AUTH logs the client in, with a mechanism the server listed after EHLO (here PLAIN or LOGIN). With PLAIN the user name and password travel in one base64 line: base64 is an encoding anyone can undo, not encryption, so this should only happen after STARTTLS. The server answers 235 when the login is right and 535 when it is not. Submission servers (port 587) take mail only after a login; servers that only receive mail (port 25) do not offer AUTH and answer 502.",
        "RFC 4954 §4",
    ),
];

/// Reply codes (RFC 5321 §4.2, §4.3.2; RFC 1870; RFC 3463 enhanced codes in the text).
pub const SMTP_REPLIES: &[Explanation] = &[
    #[cfg(feature = "catalogue")]
    e("211", "System status", "A status or help reply.", "RFC 5321 §4.2.3"),
    #[cfg(feature = "catalogue")]
    e(
        "214",
        "Help message",
        "Information meant for a person, such as the list of commands the server knows.",
        "RFC 5321 §4.2.3",
    ),
    e(
        "220",
        "Service ready",
        "The server's greeting when a client connects: it names itself and is ready for EHLO. The 2 means success; every reply starts with three digits, and the first says whether it worked.",
        "RFC 5321 §4.2, §3.1",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "221",
        "Closing the connection",
        "The server says goodbye after QUIT and closes the connection.",
        "RFC 5321 §4.2.3",
    ),
    e(
        "250",
        "OK",
        "The requested action worked: the sender, the recipient or the reset was accepted, and the conversation goes on. The 2 in front means success.",
        "RFC 5321 §4.2.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "251",
        "User not local; will forward",
        "The server accepts the recipient and will forward the message elsewhere.",
        "RFC 5321 §3.4",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "252",
        "Cannot verify the user, but will try",
        "The answer to VRFY from servers that do not reveal which addresses exist: the message would still be accepted and delivery attempted.",
        "RFC 5321 §3.5.3",
    ),
    e(
        "235",
        "Logged in",
        "The user name and password were right: from now on this connection belongs to that user, and a submission server will relay their mail.",
        "RFC 4954 §6",
    ),
    e(
        "334",
        "Go on with the login",
        "The server waits for the next piece of the login. The text after 334 is base64: for LOGIN it decodes to 'Username:' or 'Password:'; for PLAIN it is empty. The client answers with one base64 line, or '*' to give up.",
        "RFC 4954 §4",
    ),
    e(
        "354",
        "Start mail input",
        "The server is ready for the message. The client now sends the headers, a blank line and the body, and ends with a line that holds only a dot. A 3 in front means: go on, I need more.",
        "RFC 5321 §4.1.1.4",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "421",
        "Service not available, closing",
        "The server must close the connection: it is shutting down, or waited too long for the client's next command. The 4 means a temporary failure: try again later. A message not yet answered 250 is not kept.",
        "RFC 5321 §4.2.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "450",
        "Mailbox unavailable (for now)",
        "The mailbox is busy or temporarily blocked. The client should try again later.",
        "RFC 5321 §4.2.3",
    ),
    e(
        "451",
        "Action aborted, for now",
        "Not this time: a problem on the server's side (\"local error in processing\") or a policy (enhanced code 4.7.1). A greylisting server answers 451 4.7.1 to a sender it has not seen before: real mail servers retry, most spam programs do not. The 4 means temporary: the sender's queue tries again later.",
        "RFC 5321 §4.2.3, §4.5.4.1",
    ),
    e(
        "452",
        "Insufficient storage, or too many recipients",
        "A temporary problem: the server (or this mailbox) is short of room, or this transaction has as many recipients as it accepts. Recipients accepted earlier are kept; the rest can be sent in another transaction.",
        "RFC 5321 §4.5.3.1.10; RFC 1870 §6.1",
    ),
    e(
        "500",
        "Syntax error, command unrecognised",
        "The server could not understand the line at all, or it was longer than the 512 octets a command line may have. The 5 means a permanent failure: sending the same thing again will not work.",
        "RFC 5321 §4.2.3, §4.5.3.1.4, §4.5.3.1.9",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "501",
        "Syntax error in parameters or arguments",
        "The command is known, but what follows it is malformed: a missing or badly written address, or an argument where none is allowed.",
        "RFC 5321 §4.2.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "502",
        "Command not implemented",
        "The server knows this command exists but does not offer it.",
        "RFC 5321 §4.2.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "454",
        "Not available right now",
        "Not now: TLS, or checking a login, failed for the moment. Trying later may work.",
        "RFC 3207 §4; RFC 4954 §6",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "503",
        "Bad sequence of commands",
        "The command came at the wrong moment, for example RCPT before MAIL or DATA before any recipient was accepted. Nothing changed: the conversation is where it was before the command.",
        "RFC 5321 §4.1.4",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "504",
        "Parameter not implemented",
        "The command is known, but not with this parameter: for AUTH, a login mechanism the server does not offer. EHLO lists the ones it does.",
        "RFC 5321 §4.2.3; RFC 4954 §4",
    ),
    e(
        "530",
        "Log in (or encrypt) first",
        "The server will not do this yet. A submission server takes mail only from users who logged in with AUTH (5.7.0); a server that requires TLS takes nothing but EHLO, STARTTLS, NOOP and QUIT before STARTTLS.",
        "RFC 4954 §6; RFC 3207 §4; RFC 6409 §4.3",
    ),
    e(
        "535",
        "Wrong user name or password",
        "The login failed (5.7.8). Nothing else changed: the client may try AUTH again, or give up. A mail program shows this as 'wrong password'.",
        "RFC 4954 §6",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "538",
        "Encryption required first",
        "This server takes passwords only over an encrypted connection (5.7.11): the client must use STARTTLS before AUTH.",
        "RFC 4954 §6",
    ),
    e(
        "550",
        "Mailbox unavailable",
        "A permanent refusal: no such mailbox here (5.1.1), or the server will not relay mail for this destination (5.7.1). The client should not try the same again (RFC 5321 §4.2.1); a server that already accepted the message sends a bounce instead.",
        "RFC 5321 §4.2.3, RFC 3463",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "551",
        "User not local",
        "The recipient is not here; the reply may say where to send instead.",
        "RFC 5321 §3.4",
    ),
    e(
        "552",
        "Exceeded storage allocation",
        "The message is larger than this server accepts (5.3.4; the size is announced with the SIZE extension), or a mailbox is over its quota (5.2.2).",
        "RFC 5321 §4.2.3; RFC 1870 §6.1; RFC 3463 §3.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "553",
        "Mailbox name not allowed",
        "The address is not acceptable: malformed, with letters outside ASCII where the server does not offer SMTPUTF8 (5.6.7), or (5.7.1 on a submission server) not the logged-in user's own address, which would let anyone send mail in another person's name.",
        "RFC 5321 §4.2.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "554",
        "Transaction failed",
        "A permanent failure: the server will not do what was asked, and the same will not work later either.",
        "RFC 5321 §4.2.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "555",
        "Parameters not recognised",
        "MAIL FROM or RCPT TO carried a parameter the server does not support.",
        "RFC 5321 §4.2.3",
    ),
];

/// Replies only a fault rule of the sandbox or of a teacher's lesson makes the World's
/// servers give (`describe::refusals`): codes, `"CODE CONTEXT"` and enhanced codes, in
/// the build that has the sandbox and teachers' lessons (the first load's lessons have
/// none).
#[cfg(feature = "sandbox")]
pub const RULE_REPLIES: &[Explanation] = &[
    e(
        "455",
        "Parameters not possible now",
        "The server understood the parameters after MAIL FROM or RCPT TO but cannot go along with them at the moment ('unable to accommodate parameters'). The 4 means temporary: the same may work later.",
        "RFC 5321 §4.2.3",
    ),
    e(
        "432",
        "A password transition is needed",
        "The server wants this user to log in once with PLAIN (over TLS) so that it can keep the password in the form the mechanism asked for needs (4.7.12). Another mechanism may work now.",
        "RFC 4954 §6",
    ),
    e(
        "534",
        "Login mechanism too weak",
        "The mechanism the client chose is weaker than this server allows for this user (5.7.9): the client must log in with a stronger one of those EHLO lists.",
        "RFC 4954 §6",
    ),
    e(
        "554 GREETING",
        "No SMTP service here",
        "Instead of 220, the server's first line refuses the client: it will take no mail over this connection, often because of where the client connects from (an address on a block list). The client should send QUIT; until it does, the server answers every other command with 503.",
        "RFC 5321 §3.1, §4.2.3",
    ),
    e(
        "550 EHLO",
        "The server will not talk to this client",
        "A permanent refusal of the client itself, by the server's own policy (RFC 5321 lists 550 among the replies to EHLO and HELO): for example a name that does not fit the client's address, or an address on a block list. The 5 says the same hello will not work later either.",
        "RFC 5321 §4.3.2, §4.1.4",
    ),
    e(
        "550 HELO",
        "The server will not talk to this client",
        "A permanent refusal of the client itself, by the server's own policy (RFC 5321 lists 550 among the replies to HELO and EHLO): for example a name that does not fit the client's address, or an address on a block list. The 5 says the same hello will not work later either.",
        "RFC 5321 §4.3.2, §4.1.4",
    ),
    e(
        "550 MAIL",
        "The sender is refused",
        "A permanent refusal of the sender named in MAIL FROM, by the server's own policy: for example a domain that does not exist or that this server will not take mail from (5.7.1). No transaction has started: a RCPT TO now would get 503.",
        "RFC 5321 §4.3.2, §3.3",
    ),
    e(
        "554 DATA",
        "No valid recipients",
        "Answered to DATA itself, before any of the message: the server will not take a message now, usually because no recipient was accepted (503 says the same). The client must not send the message's lines: they would be read as commands.",
        "RFC 5321 §3.3, §4.3.2",
    ),
    e(
        "4.0.0",
        "No more precise reason",
        "The server says only that the failure is temporary (the first digit 4), with no subject or detail (.0.0: other or undefined).",
        "RFC 3463 §3.1",
    ),
    e(
        "5.0.0",
        "No more precise reason",
        "The server says only that the failure is permanent (the first digit 5), with no subject or detail (.0.0: other or undefined).",
        "RFC 3463 §3.1",
    ),
];

/// The entries of [`RULE_REPLIES`], in a build that has them.
fn rules() -> &'static [Explanation] {
    #[cfg(feature = "sandbox")]
    return RULE_REPLIES;
    #[cfg(not(feature = "sandbox"))]
    &[]
}

/// Replies whose meaning depends on the command they answer: `"CODE VERB"`.
pub const SMTP_REPLIES_IN_CONTEXT: &[Explanation] = &[
    e(
        "554 MESSAGE",
        "The message is refused",
        "After the final dot: the server will not take this message, permanently. For example a message whose lines do not end with CRLF: accepting it could let one message be read as two (SMTP smuggling). A server that had already accepted it sends its sender a bounce.",
        "RFC 5321 §4.2.3, §4.1.1.4",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "550 MESSAGE",
        "The message is refused, for good",
        "The server has read the whole message and will not take it: a rule of its own says no (the enhanced code after 550 says which, such as a sender that failed its checks). A permanent failure: the client should not send it again as it is; a server that had already accepted the message sends its sender a bounce.",
        "RFC 5321 §4.2.2, §4.3.2",
    ),
    e(
        "250 EHLO",
        "Hello, and here is what I can do",
        "The answer to EHLO spans several lines, each starting with 250, with a hyphen after the code on every line but the last and a space on the last. The first line names the server; each other line names one extension it supports, such as SIZE or PIPELINING.",
        "RFC 5321 §4.1.1.1, §4.2.1",
    ),
    e(
        "454 STARTTLS",
        "TLS not available",
        "The server offered TLS but cannot start it now. A mail program with a password stops and keeps the message. Between servers, opportunistic TLS goes on unencrypted, for anyone on the way to read, unless the receiving domain asks for TLS (MTA-STS, DANE): then the sender tries later.",
        "RFC 3207 §4; RFC 7435 §3",
    ),
    e(
        "220 STARTTLS",
        "Go ahead with TLS",
        "The server is ready for the TLS handshake. Anything the client sent after STARTTLS in the clear is thrown away (a fix for real attacks that slipped commands in there, CVE-2011-0411).",
        "RFC 3207 §4, §4.2",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "501 AUTH",
        "Login abandoned",
        "The login exchange ended: the client sent '*' to cancel it (5.7.0), or a line that is not valid base64 (5.5.2). The client may start AUTH again.",
        "RFC 4954 §4",
    ),
    e(
        "250 MESSAGE",
        "Message accepted: the server owns it now",
        "After the final dot, 250 means the server has taken responsibility for the message. From now on it must deliver it or send a bounce, never lose it. The sender's part is done.",
        "RFC 5321 §4.1.1.4, §6.1",
    ),
    e(
        "221 QUIT",
        "Goodbye",
        "The server confirms QUIT and closes the connection. Anything not finished with a 250 after the final dot is forgotten.",
        "RFC 5321 §4.1.1.10",
    ),
];

/// The explanation of reply `code` when it answers `verb`, falling back to the code alone.
pub fn reply_to(code: u16, verb: Option<&str>) -> Option<&'static Explanation> {
    verb.and_then(|v| {
        let key = format!("{code} {}", v.to_ascii_uppercase());
        SMTP_REPLIES_IN_CONTEXT.iter().chain(rules()).find(|e| e.key == key)
    })
    .or_else(|| reply(code))
    .or_else(|| reply_class(code))
}

/// What the first digit of any reply code says (RFC 5321 §4.2.1): for codes a teacher's
/// fault rule may send that the table does not list.
pub const REPLY_CLASSES: &[Explanation] = &[
    e(
        "4xx",
        "Transient failure",
        "The first digit 4 means: not now. The command failed, but the same command may work later, so a mail server keeps the message in its queue and tries again.",
        "RFC 5321 §4.2.1",
    ),
    e(
        "5xx",
        "Permanent failure",
        "The first digit 5 means: no, and do not try the same again. A mail server that gets it for a recipient gives up on that recipient and tells the sender with a bounce.",
        "RFC 5321 §4.2.1",
    ),
];

/// The explanation of a reply's class (`4xx`, `5xx`).
pub fn reply_class(code: u16) -> Option<&'static Explanation> {
    let key = format!("{}xx", code / 100);
    REPLY_CLASSES.iter().find(|e| e.key == key)
}

/// Enhanced status codes used by the servers (RFC 3463).
pub const ENHANCED: &[Explanation] = &[
    e("2.0.0", "Success", "Everything is fine.", "RFC 3463 §3.1"),
    e("2.7.0", "Security status: fine", "The login worked.", "RFC 3463 §3.8; RFC 4954 §6"),
    #[cfg(feature = "catalogue")]
    e(
        "4.4.1",
        "No answer from host",
        "The next mail server could not be reached, or did not answer: a temporary problem, so the message stays queued.",
        "RFC 3463 §3.5",
    ),
    e("2.1.0", "Sender address accepted", "The envelope sender is valid.", "RFC 3463 §3.2"),
    e(
        "2.1.5",
        "Recipient accepted",
        "The server takes mail for this address: its own mailbox, or one it relays (a relay cannot know if the mailbox exists).",
        "RFC 3463 §3.2",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "2.5.0",
        "Other or undefined protocol status",
        "Success, with nothing more specific to say (the answer to VRFY).",
        "RFC 3463 §3.6",
    ),
    #[cfg(feature = "catalogue")]
    e("2.6.0", "Message accepted", "The message content was accepted.", "RFC 3463 §3.7"),
    #[cfg(feature = "catalogue")]
    e(
        "4.3.2",
        "System not accepting network messages",
        "The server is busy or shutting down; try again later.",
        "RFC 3463 §3.4",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "4.3.1",
        "Mail system full",
        "The server has no room for more mail right now; try again later.",
        "RFC 3463 §3.4",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "4.4.2",
        "Bad connection",
        "The connection was idle too long or broke; try again later.",
        "RFC 3463 §3.5",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "4.5.3",
        "Too many recipients",
        "Send the remaining recipients in another transaction.",
        "RFC 3463 §3.6",
    ),
    e(
        "4.7.1",
        "Delivery not authorised, for now",
        "A policy says not now: for example greylisting, which turns away the first attempt of an unknown sender and accepts a retry.",
        "RFC 3463 §3.8",
    ),
    e(
        "4.2.2",
        "Mailbox full",
        "The recipient's mailbox has no room left; it may have room later.",
        "RFC 3463 §3.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "5.2.2",
        "Mailbox full",
        "The recipient's mailbox has no room left, and delivery was given up.",
        "RFC 3463 §3.3",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "5.4.6",
        "Routing loop detected",
        "The mail would go round in a circle: the server found itself as the best mail server for the domain, yet it does not keep that domain's mail.",
        "RFC 3463 §3.5; RFC 5321 §5.1",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "5.1.10",
        "Recipient address has null MX",
        "The recipient's domain publishes a null MX record (0 .): it says it accepts no mail at all.",
        "RFC 7505 §4.2",
    ),
    e("5.1.1", "Bad destination mailbox", "The mailbox does not exist at this domain.", "RFC 3463 §3.2"),
    #[cfg(feature = "catalogue")]
    e(
        "5.1.2",
        "Bad destination system address",
        "The domain does not exist, so there is no server to deliver to.",
        "RFC 3463 §3.2",
    ),
    #[cfg(feature = "catalogue")]
    e("5.1.3", "Bad destination address syntax", "The address is not written correctly.", "RFC 3463 §3.2"),
    #[cfg(feature = "catalogue")]
    e(
        "5.1.7",
        "Bad sender address syntax",
        "The sender's address is not written correctly.",
        "RFC 3463 §3.2",
    ),
    e("5.3.4", "Message too big", "The message is larger than this server accepts.", "RFC 3463 §3.4"),
    #[cfg(feature = "catalogue")]
    e(
        "5.4.7",
        "Delivery time expired",
        "The server kept trying for as long as it may, and gave up.",
        "RFC 3463 §3.5",
    ),
    e("5.5.1", "Invalid command", "The command is not known or is not allowed now.", "RFC 3463 §3.6"),
    e("5.5.2", "Syntax error", "The command is not written correctly.", "RFC 3463 §3.6"),
    #[cfg(feature = "catalogue")]
    e("5.5.4", "Invalid command arguments", "An argument or parameter is not valid.", "RFC 3463 §3.6"),
    e("5.6.0", "Other media error", "Something is wrong with the message content itself.", "RFC 3463 §3.7"),
    #[cfg(feature = "catalogue")]
    e(
        "5.6.7",
        "Non-ASCII addresses not permitted",
        "The address has letters outside ASCII (an accent, another script). Only a server that offers SMTPUTF8 takes such addresses; this one does not (550 to MAIL, 553 to RCPT).",
        "RFC 6531 §3.5",
    ),
    e(
        "4.7.0",
        "Security: not now",
        "A security feature failed for the moment (TLS, a login check): it may work if the client tries again later.",
        "RFC 3463 §3.8",
    ),
    e(
        "5.7.0",
        "Security or policy status",
        "A security rule says no: for example log in first, or the login was cancelled.",
        "RFC 3463 §3.8",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "5.7.1",
        "Delivery not authorised",
        "The server refuses: for example it will not relay mail for a client it does not know, or a logged-in user tried to send from someone else's address.",
        "RFC 3463 §3.8",
    ),
    e(
        "5.7.8",
        "Authentication credentials invalid",
        "The user name or the password is wrong.",
        "RFC 4954 §6",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "5.7.11",
        "Encryption required for the login",
        "The server takes passwords only over an encrypted connection: STARTTLS first.",
        "RFC 4954 §6",
    ),
];

/// The fields of a delivery status notification (RFC 3464 §2.2, §2.3), for the message
/// inspector.
pub const DSN_FIELDS: &[Explanation] = &[
    e(
        "Reporting-MTA",
        "Who writes this report",
        "The mail server that wrote this notification: the one that could not deliver, or that is still trying.",
        "RFC 3464 §2.2.2",
    ),
    e(
        "Arrival-Date",
        "When it arrived",
        "When the reporting server took the original message.",
        "RFC 3464 §2.2.5",
    ),
    e(
        "Received-From-MTA",
        "Who handed it over",
        "The server the reporting server got the message from.",
        "RFC 3464 §2.2.4",
    ),
    e(
        "Original-Envelope-Id",
        "The sender's own reference",
        "An identifier the sender gave the message when it asked for notifications (ENVID).",
        "RFC 3464 §2.2.1",
    ),
    e(
        "Final-Recipient",
        "Which recipient this is about",
        "The address the reporting server tried to deliver to. Each recipient has a group of fields of its own.",
        "RFC 3464 §2.3.2",
    ),
    e(
        "Original-Recipient",
        "The recipient as first given",
        "The address as the sender originally wrote it, before any forwarding changed it.",
        "RFC 3464 §2.3.1",
    ),
    e(
        "Action",
        "What happened",
        "failed: given up; delayed: still trying; delivered, relayed or expanded: reports of success.",
        "RFC 3464 §2.3.3",
    ),
    e(
        "Status",
        "The status code",
        "An enhanced status code (class.subject.detail): 5 permanent, 4 temporary, 2 success; for example 5.1.1 no such mailbox, 4.4.1 no answer from the host.",
        "RFC 3464 §2.3.4; RFC 3463",
    ),
    e(
        "Remote-MTA",
        "The server that answered",
        "The remote server whose reply is quoted below. Only present when a remote server really said something.",
        "RFC 3464 §2.3.5",
    ),
    e(
        "Diagnostic-Code",
        "Its exact words",
        "The reply of the remote server, word for word, as smtp; followed by the reply line.",
        "RFC 3464 §2.3.6",
    ),
    e(
        "Last-Attempt-Date",
        "The last try",
        "When the reporting server last tried to deliver to this recipient.",
        "RFC 3464 §2.3.7",
    ),
    e(
        "Will-Retry-Until",
        "Tried until",
        "In a delay warning: how long the server will keep trying before it gives up and bounces.",
        "RFC 3464 §2.3.9",
    ),
];

/// What the World's notes of a connection that failed mean, where no lesson's narration
/// tells it (feature `sandbox`, the full build): a name telnet could not turn into an
/// address, a connection nobody took, one that broke, a server's inactivity timer, a DNS
/// question with no answer.
#[cfg(feature = "sandbox")]
pub const LIVE: &[Explanation] = &[
    e(
        "data-command",
        "Not a command: a line of the message",
        "After the server's 354, every line is part of the message, up to a line that holds only a dot. A command typed now (QUIT, RSET, MAIL FROM:…) is not read as one: it becomes a line of the message's text, and the server says nothing, still waiting for the dot. Type a line with only `.` to end the message (the server then answers 250, or refuses it); without it, the server stops waiting after at least 5 minutes, and a message without its dot is not delivered.",
        "RFC 5321 §4.1.1.4, §4.5.3.2.7",
    ),
    e(
        "telnet-resolve",
        "No address, so no connection",
        "Before it connects, telnet asks the DNS for the address of the name typed (its A record), through the resolver, as a mail program does. No address came back, so there is nobody to connect to and nothing is sent. The system's resolver says why: \"Temporary failure in name resolution\", the resolver did not answer (is it down?) or could not get an answer, and trying again later may work; \"Name or service not known\", no such name; \"No address associated with hostname\" (glibc's own), the name has no A record.",
        "RFC 1034 §5.3.1; RFC 1035 §3.4.1; RFC 3493 §6.1",
    ),
    e(
        "connect-timeout",
        "No answer: nobody took the connection",
        "The client sent TCP's first segment (SYN) and nothing came back: the host is down or cannot be reached, or a firewall drops it (one that is up but runs nothing on the port refuses at once). The client sends it again a few times, then gives up: here after 30 s; the standard asks for at least 3 minutes, many systems stop after one or two. Nothing was said, so nothing was delivered: a mail server keeps the message and tries the next MX, or later.",
        "RFC 9293 §3.8.3; RFC 5321 §5.1, §4.5.4.1",
    ),
    e(
        "resend",
        "No acknowledgement: TCP sends it again",
        "TCP keeps what it sent until the other end acknowledges it. A host that is down acknowledges nothing, so TCP sends the same bytes again: 1 s later, then after waiting twice as long each time (here at most 2 minutes apart). Nothing is lost while it does: once the host is back, the next copy gets through, and the conversation goes on where it was, only later. Meanwhile the programs at both ends keep their own timers: one that has waited longer than it allows gives up first (an SMTP client after 5 minutes for most replies, a mail program after 100 s), and a server ends a session that stays silent too long. TCP itself gives up after about 15 minutes.",
        "RFC 6298 §5.5, §2.5; RFC 1122 §4.2.3.5; RFC 5321 §4.5.3.2",
    ),
    e(
        "reset",
        "Too late: the connection was closed",
        "This arrived after the program at this end had closed the connection: its timer ran out while a host was down, and its goodbye (an SMTP server's 421, its close) was still on its way, sent again by TCP. Nothing reads what arrives now. The host's TCP answers with a reset (RST) instead, and the other end's connection ends at once (telnet: \"Connection closed by foreign host\", a program: \"Connection reset by peer\"). What was sent is lost: a command gets no reply, and a message without its final dot is not delivered, so the sender must send it again.",
        "RFC 1122 §4.2.2.13; RFC 9293 §3.5.2; RFC 5321 §4.5.3.2.7",
    ),
    e(
        "broken",
        "The connection broke",
        "What was sent got no answer for too long: one of the two hosts went down (the note says which), or the network between them failed. TCP sends it again for a while, then gives up on the connection. No goodbye crosses the wire: an end that is still up finds out only by its own timer, and one that sends after the outage, to an end that gave up meanwhile, gets a reset (RST) back. Mail is not lost by it: an SMTP message is handed over only when the server has answered 250 to its final dot (before that the sender still has it, and tries again), and a POP3 server deletes only at a QUIT it received.",
        "RFC 9293 §3.8.3, §3.5.2; RFC 5321 §6.1; RFC 1939 §6",
    ),
    e(
        "inactive",
        "The server stops waiting",
        "A server may stop waiting for its client's next command, but not too soon: an SMTP server after at least 5 minutes, a POP3 server 10, an IMAP server 30 once logged in. Then it ends the session. It cannot tell a client that went quiet from one whose words were lost on the way: either way, nothing arrived. What was not finished is not kept: a message without its final dot is not delivered, and a POP3 session that ends this way deletes nothing.",
        "RFC 5321 §4.5.3.2.7; RFC 1939 §3, §6; RFC 9051 §5.4",
    ),
    e(
        "cut-off",
        "This host is off the network",
        "The host itself cannot reach the network (its cable, its Wi-Fi, its provider's line): nothing it sends leaves it, so every question it asks and every connection it starts goes unanswered until it is back. Its programs cannot tell that from a silent server: they wait, then give up as they would on one (a DNS question after 5 s, a connection after 30 s). A mail server keeps its queue and tries again later; a mail program keeps the message in its Outbox.",
        "RFC 1122 §4.2.3.5; RFC 9293 §3.8.3; RFC 5321 §4.5.4.1",
    ),
    e(
        "dns-timeout",
        "No answer from the DNS",
        "The question got no answer in the time the asker waits (here 5 s; real resolvers ask again, often twice a server): the resolver is down or cannot be reached. That says nothing about the name, so it is a temporary failure: a mail server keeps the message and asks again at its next try; a mail program leaves it in the Outbox.",
        "RFC 1035 §4.2.1; RFC 5321 §5.1, §4.5.4.1",
    ),
    e(
        "fault-down",
        "A fault: a host goes down",
        "Injected in the sandbox, and written as a teacher writes it in a lesson's world (its times count from the moment it was injected). Until the time given the host is cut off from the network: it answers nothing, not even a new connection, which a client gives up on after its connect timeout (here 30 s). What it runs keeps running, its timers too. On a connection already open, what either end sends is not acknowledged, so TCP sends it again, waiting twice as long each time: it arrives once the host is back, or TCP gives up after about 15 minutes. A mail server with a message for that host keeps the message and tries again later.",
        "RFC 9293 §3.8.3; RFC 6298 §5.5; RFC 5321 §4.5.4.1",
    ),
    e(
        "fault-greylist",
        "A fault: the server greylists",
        "Injected in the sandbox, and written as a teacher writes it in a lesson's world. The server turns each new combination of client, sender and recipient away once, with 451 4.7.1: a temporary refusal, \"try again later\". Tried again after the delay, the message is taken. A real mail server keeps the message and tries again; a program that sends spam once and moves on does not: that is the point.",
        "RFC 6647; RFC 5321 §4.2.1, §4.5.4.1",
    ),
    e(
        "fault-full",
        "A fault: a full mailbox",
        "Injected in the sandbox, and written as a teacher writes it in a lesson's world. The mailbox is over its quota: its server refuses mail for it at RCPT with 452 4.2.2, a temporary failure. The sender's server keeps the message and tries again later, and bounces it if the mailbox is still full when it gives up.",
        "RFC 5321 §4.2.1, §4.5.4.1; RFC 3463 §3.3",
    ),
    e(
        "fault-reply",
        "A fault: a reply chosen for a command",
        "Injected in the sandbox, and written as a teacher writes it in a lesson's world. The server answers that command with the reply given instead of its own, as a server does when a policy or a problem says so. A 4xx reply says try again later: a mail server keeps the message and tries again. A 5xx says no: the sender gives up, and the message bounces. 421 also closes the connection.",
        "RFC 5321 §4.2.1, §4.3.2",
    ),
    e(
        "fault-cut",
        "A fault: a connection that breaks",
        "Injected in the sandbox, and written as a teacher writes it in a lesson's world. The connection breaks as the client sends that command, as when a laptop is closed or a Wi-Fi is lost: the command never arrives, and nothing crosses any more. Neither end is told: each finds out by its own timer, the client when no answer comes, the server when its inactivity timer runs out.",
        "RFC 9293 §3.8.3; RFC 5321 §4.5.3.2",
    ),
];

/// True when `bytes`, a line of a message as typed in the sandbox, reads as an SMTP command
/// (`QUIT`, `MAIL FROM:<…>`): one line that the server would take as one of the commands
/// of a transaction or a session, whole (`Quit smoking`, `Help me move`, `Send me the
/// slides` and a `NOOP` with words after it are lines of text).
#[cfg(feature = "sandbox")]
fn command_in_message(bytes: &[u8]) -> bool {
    const HABITS: [&str; 10] =
        ["QUIT", "RSET", "DATA", "NOOP", "EHLO", "HELO", "MAIL", "RCPT", "STARTTLS", "AUTH"];
    let line = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
    let verb = crate::smtp::command::verb_of(line);
    crate::smtp::command::parse(line).is_ok()
        && HABITS.contains(&verb.as_str())
        && (verb != "NOOP" || line.len() == 4)
}

/// The entry of [`LIVE`] for a note of the World about a connection or a DNS question,
/// from how it begins.
#[cfg(feature = "sandbox")]
fn live_note(text: &[u8]) -> Option<&'static Explanation> {
    // The asker's own outage, whatever it asked (see `World::run`'s timeouts).
    let cut_off = crate::world::CUT_OFF.as_bytes();
    if text.windows(cut_off.len()).any(|w| w == cut_off) {
        return LIVE.iter().find(|x| x.key == "cut-off");
    }
    let key = [
        ("telnet: could not resolve ", "telnet-resolve"),
        ("No answer from ", "connect-timeout"),
        ("No acknowledgement: ", "resend"),
        ("Arrived after ", "reset"),
        ("The connection with ", "broken"),
        ("The connection to ", "broken"),
        ("Nothing more came from ", "inactive"),
        ("No answer: the DNS resolver ", "dns-timeout"),
        (crate::sandbox::FAULT_NOTE, "fault"),
    ]
    .into_iter()
    .find_map(|(start, key)| text.starts_with(start.as_bytes()).then_some(key))?;
    // A fault, by what it does: the first two words of `sandbox::fault_words` (what follows
    // may quote a reply's text).
    let key = match (key, text.get(crate::sandbox::FAULT_NOTE.len()..)) {
        ("fault", Some(words)) => {
            let mut words = words.split(|&b| b == b' ');
            match (words.next().unwrap_or_default(), words.next().unwrap_or_default()) {
                (b"the", b"mailbox") => "fault-full",
                (b"a", b"connection") => "fault-cut",
                (_, b"goes") => "fault-down",
                (_, b"greylists:") => "fault-greylist",
                (_, b"answers") => "fault-reply",
                _ => return None,
            }
        }
        (key, _) => key,
    };
    LIVE.iter().find(|x| x.key == key)
}

/// The explanation of a DSN field, by its name (any case).
pub fn dsn_field(name: &str) -> Option<&'static Explanation> {
    DSN_FIELDS.iter().find(|e| e.key.eq_ignore_ascii_case(name))
}

/// What the lessons on trust add (feature `trust`, the full build): the codes of a refused
/// sender, the results of the checks, and what each TXT lookup is for.
#[cfg(feature = "trust")]
pub const TRUST: &[Explanation] = &[
    e(
        "5.7.23",
        "SPF validation failed",
        "The sender's domain publishes in DNS (its SPF record) which servers may send its mail, and the server that sent this one is not among them. The receiving server refuses it rather than deliver mail that claims to come from a domain that did not send it.",
        "RFC 7372 §3.2; RFC 7208 §8.4",
    ),
    e(
        "5.7.26",
        "Authentication checks failed",
        "The domain in the From: line asks, in its DMARC record, that mail which fails its checks be refused: neither SPF nor a DKIM signature showed that this domain sent it (a pass for another domain does not count: it must be aligned with the From: domain, the same domain or, by default, one under the same organizational domain). So the receiving server refuses it. RFC 7372 defines X.7.26 for mail that failed more than one authentication check; large providers answer a DMARC failure with it.",
        "RFC 7372 §3.4; RFC 7489 §6.3, §6.7",
    ),
    e(
        "dkim-sign",
        "The sending domain signs the message (DKIM)",
        "The provider of the sender's domain puts a DKIM-Signature header on top of the message: a hash of the body (bh=) and a signature (b=) over the body hash and the main header lines, made with the domain's private key. Anyone can check it with the public key the domain publishes in DNS; nobody without the private key can make one.",
        "RFC 6376 §3.5, §5; RFC 8463 §3",
    ),
    e(
        "ar-spf",
        "SPF: was the sending server allowed?",
        "The receiving server looked up the SPF record of the domain in MAIL FROM (smtp.mailfrom) and checked the address of the server that connected against it. pass: the domain allows that server. fail: the domain says that server may not send its mail. softfail: probably not. neutral or none: the domain says nothing either way.",
        "RFC 7208 §2.6; RFC 8601 §2.7.2",
    ),
    e(
        "ar-dkim",
        "DKIM: is the signature right?",
        "The message carries a signature made by the domain in header.d, with the key named in header.s. pass: the key published in DNS checks the signature, so the signed header fields and the body are as that domain sent them. fail: something was changed after signing. none: the message is not signed.",
        "RFC 6376 §6; RFC 8601 §2.7.1",
    ),
    e(
        "ar-dmarc",
        "DMARC: does it really come from the From: domain?",
        "DMARC ties the checks to the From: line a person reads (header.from). pass: SPF or DKIM passed for that same domain, or for another name of the same registered domain (mail.example.org for example.org). fail: neither did, and the domain's DMARC record says what to do: none, quarantine (to Junk) or reject.",
        "RFC 7489 §3.1, §6.6; RFC 8601 §2.7",
    ),
    e(
        "dns-txt-spf",
        "Which servers may send mail for this domain? (SPF)",
        "The receiving server asks DNS for the TXT records of the domain in MAIL FROM. The one that starts with v=spf1 is the domain's SPF record: a list of the servers allowed to send its mail (ip4: addresses, a and mx: the domain's own servers, include: another domain's list), and what to make of any other (-all: refuse, ~all: suspicious).",
        "RFC 7208 §4.4, §5",
    ),
    e(
        "dns-txt-dkim",
        "Where is the key that checks this signature? (DKIM)",
        "The message carries a DKIM-Signature made by the domain in its d= tag with the key named in s= (the selector). The receiving server asks DNS for the TXT record at selector._domainkey.domain: it holds the public key (p=) that checks the signature.",
        "RFC 6376 §3.6.2; RFC 8463 §4",
    ),
    e(
        "dns-txt-dmarc",
        "What does the From: domain ask for? (DMARC)",
        "The receiving server asks DNS for the TXT record at _dmarc. followed by the domain of the From: line (the address a person reads), such as _dmarc.example.org. A DMARC record (v=DMARC1) says what to do with mail that neither SPF nor DKIM shows came from that domain: p=none (deliver), p=quarantine (to Junk) or p=reject (refuse).",
        "RFC 7489 §6.1, §6.3",
    ),
    e(
        "dns-spf-mx",
        "Which servers take this domain's mail? (SPF's mx)",
        "This lookup delivers nothing: it is part of a sender check. The domain's SPF record says mx: the servers that receive its mail may also send it. So the receiving server asks for the domain's MX records, then for those servers' addresses, and compares each with the address the message came from. A match gives the mechanism's result: pass for a plain mx (softfail for ~mx).",
        "RFC 7208 §5.4",
    ),
    e(
        "dns-spf-a",
        "Is this the sender's address? (SPF)",
        "This lookup delivers nothing: it is part of a sender check. An a, mx or exists in the domain's SPF record names hosts, and the receiving server asks for their addresses to compare with the address the message came from: a, the domain itself (or the name after a:); mx, each server its MX records named; exists, any address at all is a match.",
        "RFC 7208 §5.3, §5.4, §5.7",
    ),
    e(
        "dns-spf-ptr",
        "Which name has this address? (SPF's ptr)",
        "This lookup delivers nothing: it is part of a sender check, for a ptr in the SPF record. The receiving server asks which names the sending address has (a reverse lookup under in-addr.arpa), then whether those names point back to it. RFC 7208 advises against ptr: it is slow and unreliable.",
        "RFC 7208 §5.5",
    ),
    e(
        "dns-spf-void",
        "Nothing there: a void lookup (SPF)",
        "Part of a sender check: the name has no such record. The mechanism that asked simply does not match, and the check goes on to the next one. More than two such empty answers in one check end it with permerror, a limit against abuse.",
        "RFC 7208 §4.6.4",
    ),
    e(
        "dns-txt",
        "The domain's text records",
        "A TXT record holds text that a domain publishes for others to read. Mail uses it for SPF (v=spf1: which servers may send for the domain), DKIM keys (v=DKIM1) and DMARC policies (v=DMARC1). No record of that kind means the domain publishes none.",
        "RFC 1035 §3.3.14; RFC 7208 §3; RFC 7489 §6.1",
    ),
];

/// Other kinds of trace event.
pub const OTHER: &[Explanation] = &[
    e(
        "delayed",
        "Still trying: a delay warning",
        "The message has waited in the queue for hours: the next server keeps answering 'try later' or cannot be reached. The sending server writes to the sender that it is still trying, and until when (Action: delayed, Will-Retry-Until). Nothing needs to be done yet: only if it gives up will a real bounce follow.",
        "RFC 3464 §2.3.3, §2.3.9; RFC 5321 §4.5.4.1",
    ),
    e(
        "auth-data",
        "A piece of the login",
        "The client answers the server's 334 with one line of base64: a user name, a password, or for PLAIN both at once (an empty name, a NUL byte, the user, a NUL byte, the password). Anyone who sees this line can decode it: that is why logins belong inside TLS.",
        "RFC 4954 §4; RFC 4616 §2",
    ),
    e(
        "tls-hello",
        "TLS handshake: ClientHello",
        "The client starts TLS: it lists the TLS versions and ciphers it supports and sends its half of a key exchange. This is still readable by anyone on the wire, but carries no mail. (Mailroom simulates the handshake: no real cryptography runs.)",
        "RFC 8446 §2, §4.1.2; RFC 3207 §4",
    ),
    e(
        "tls-server",
        "TLS handshake: the server's answer",
        "ServerHello completes the key exchange; then, already encrypted, the server sends its certificate (which proves its name), a signature made with the certificate's key, and Finished. (Simulated: no real cryptography runs.)",
        "RFC 8446 §2, §4.1.3, §4.4",
    ),
    e(
        "tls-finished",
        "TLS handshake: Finished",
        "The client checks the certificate and confirms with its own Finished. From here on everything on this connection is encrypted: someone on the wire sees only sizes, the two addresses and the port, not the commands, the login or the message.",
        "RFC 8446 §2, §4.4.4; RFC 3207 §4.2",
    ),
    e(
        "connect",
        "Open a TCP connection",
        "The client opens a TCP connection to the server: port 25 between servers, 587 for a mail program handing in mail (submission). Nothing is said until the server sends its 220 greeting.",
        "RFC 5321 §3.1, §4.5.4.2; RFC 6409 §3.1",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "refused",
        "Connection refused",
        "Nothing listens on that port of the host, so it answers the connection attempt with a reset (RST). No SMTP is spoken at all. A mail server treats this as a temporary failure and tries the next MX, or later.",
        "RFC 9293 §3.10.7.1; RFC 5321 §5.1",
    ),
    e(
        "close",
        "Close the connection",
        "The TCP connection is closed. Nothing more is sent on it.",
        "RFC 5321 §3.8",
    ),
    e(
        "data",
        "The message itself",
        "Header lines, a blank line, then the body. A line that starts with a dot is sent with an extra dot (dot-stuffing), and the message ends with a line holding only a dot. Each server that takes the message adds a Received: line on top, and the last one adds a Return-Path: line.",
        "RFC 5321 §4.1.1.4, §4.5.2; RFC 5322 §2.1",
    ),
    e(
        "dns-mx",
        "Which server takes mail for this domain?",
        "To deliver to an address, the sending server asks DNS for the MX (mail exchanger) records of its domain, the part after the @. Each names a mail server and a preference: lower numbers are tried first.",
        "RFC 5321 §5.1; RFC 1035 §3.3.9",
    ),
    e(
        "dns-a",
        "What is that server's address?",
        "An A record turns a host name into the IPv4 address to connect to. A mail client looks up its own server this way; a mail server looks up the name that an MX record gave it.",
        "RFC 5321 §5.1; RFC 1035 §3.4.1",
    ),
    e(
        "dns-nxdomain",
        "No such domain",
        "The name does not exist (NXDOMAIN): there is no server to send to. A mail server treats this as permanent and does not retry.",
        "RFC 5321 §5.1; RFC 1035 §4.1.1",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "dns-nxdomain-a",
        "No such name: no address",
        "The name does not exist (NXDOMAIN): there is no address to connect to. A mail server tries its next MX, or keeps the message and tries again later.",
        "RFC 5321 §5.1; RFC 1035 §4.1.1",
    ),
    e(
        "dns-no-mx",
        "No MX record: the implicit MX",
        "The domain has no MX record, so it is its own mail server (the implicit MX): the sending server looks up its address.",
        "RFC 5321 §5.1; RFC 2308 §2.2",
    ),
    #[cfg(feature = "catalogue")]
    e(
        "dns-no-a",
        "No address",
        "The name has no A record: there is no address to connect to.",
        "RFC 5321 §5.1; RFC 2308 §2.2",
    ),
    e(
        "dns-null-mx",
        "A null MX: no mail here",
        "One MX record, preference 0, naming the root `.`: the domain accepts no mail. The sending server gives up at once.",
        "RFC 7505 §3, §4.1",
    ),
    e(
        "delivery",
        "Filed in the mailbox",
        "The final server stores the message in the recipient's mailbox. It adds a Return-Path: header with the envelope sender, so the recipient can see where bounces would go.",
        "RFC 5321 §4.4",
    ),
    e(
        "queued",
        "Queued for relay",
        "The server has taken responsibility for the message and put it in its queue. It will look up the recipient's domain and pass the message on to that domain's server.",
        "RFC 5321 §4.1.1.4, §6.1",
    ),
    e(
        "bounce",
        "A bounce",
        "Delivery failed after the message was accepted, so the server writes a delivery status notification back to the envelope sender. Bounces are sent with MAIL FROM:<> so that a bounce is never bounced.",
        "RFC 5321 §6.1, §4.5.5; RFC 3464",
    ),
    e("note", "What happens now", "A note about the simulation.", ""),
];

/// POP3 commands (RFC 1939, RFC 2449), for the services that speak it.
#[cfg(feature = "pop3")]
pub const POP3_COMMANDS: &[Explanation] = &[
    e(
        "USER",
        "Name the mailbox",
        "The client names the mailbox it wants to open. This server answers +OK whatever the name, so that nobody can find out which mailboxes exist; the password decides. (A server may also answer -ERR to a name it does not know: RFC 1939 allows both.)",
        "RFC 1939 §7",
    ),
    e(
        "PASS",
        "Give the password",
        "Only right after USER. If the name and the password are right, the server locks the maildrop for this session and the TRANSACTION state begins. The password crosses the network as it is typed: without TLS anyone on the way can read it.",
        "RFC 1939 §7",
    ),
    e(
        "APOP",
        "Log in without sending the password",
        "The client sends the MD5 digest of the timestamp from the server's greeting followed by the shared secret. The secret never crosses the network, but MD5 is weak today.",
        "RFC 1939 §7",
    ),
    e(
        "STAT",
        "How many messages, how big",
        "The answer gives the number of messages in the maildrop and their total size in octets. Messages marked for deletion are not counted.",
        "RFC 1939 §5",
    ),
    e(
        "LIST",
        "List the messages and their sizes",
        "One line per message: its number and its size in octets, each line end counted as two octets. With a number, just that message.",
        "RFC 1939 §5",
    ),
    e(
        "RETR",
        "Download a message",
        "The server sends the whole message, then a line with a single dot. A line of the message that starts with a dot is sent with one more dot (dot-stuffing), which the client removes.",
        "RFC 1939 §5, §3",
    ),
    e(
        "DELE",
        "Mark a message for deletion",
        "The message is only marked: it disappears from STAT and LIST, but it is deleted when the client says QUIT. RSET unmarks it, and a connection that breaks deletes nothing.",
        "RFC 1939 §5, §6",
    ),
    e(
        "NOOP",
        "Do nothing",
        "The server answers +OK and nothing changes. Clients use it to keep the session alive.",
        "RFC 1939 §5",
    ),
    e(
        "RSET",
        "Unmark everything",
        "Every message marked with DELE in this session is unmarked.",
        "RFC 1939 §5",
    ),
    e(
        "QUIT",
        "Finish, and delete what was marked",
        "In the TRANSACTION state QUIT enters the UPDATE state: the marked messages are removed, the lock is released and the connection closes. Only QUIT deletes.",
        "RFC 1939 §6",
    ),
    e(
        "TOP",
        "The headers and the first lines",
        "TOP n k sends the headers of message n, the blank line, and the first k lines of its body: enough to decide whether to download it all.",
        "RFC 1939 §7",
    ),
    e(
        "UIDL",
        "Unique ids that never change",
        "Each message has an id that stays the same across sessions and that the server should never give to another message, so a client that leaves mail on the server knows which messages it has already downloaded.",
        "RFC 1939 §7",
    ),
    e(
        "CAPA",
        "What this server can do",
        "The server lists its capabilities (TOP, UIDL, USER, RESP-CODES, ...), one per line, ending with a dot.",
        "RFC 2449 §5",
    ),
    e(
        "STLS",
        "Start TLS",
        "Before logging in, the client asks to encrypt the connection. After +OK both sides run the TLS handshake, and everything after it, the password first, is encrypted. Anything sent in the clear between the two is thrown away.",
        "RFC 2595 §4",
    ),
];

/// POP3 status indicators and response codes.
#[cfg(feature = "pop3")]
pub const POP3_RESPONSES: &[Explanation] = &[
    e(
        "+OK",
        "Positive answer",
        "The command worked. POP3 has only two answers: +OK and -ERR; the text after them is for people.",
        "RFC 1939 §3",
    ),
    e(
        "-ERR",
        "Negative answer",
        "The command failed: it was unknown, malformed, out of place, or refused, or the message it names is not there (marked deleted, or removed since the login by another session, such as an IMAP client). The session goes on.",
        "RFC 1939 §3",
    ),
    e(
        "AUTH",
        "[AUTH]: wrong credentials",
        "The name or the password (or the APOP digest) is wrong; trying again with other credentials may work.",
        "RFC 3206 §5",
    ),
    e(
        "IN-USE",
        "[IN-USE]: the mailbox is busy",
        "Another session holds the lock on this maildrop, for example a phone checking mail at the same time. Try again when it has finished.",
        "RFC 2449 §8.1.2",
    ),
    e(
        "SYS/TEMP",
        "[SYS/TEMP]: a temporary problem",
        "The server could not open the maildrop, read a message or change the maildrop for now; later it may work. A message another session has removed is not this: it gets a plain -ERR, since trying again cannot bring it back.",
        "RFC 3206 §4",
    ),
];

/// POP3 responses whose meaning depends on the command they answer: `"+OK VERB"`, with
/// `GREETING` for the response on connecting.
#[cfg(feature = "pop3")]
pub const POP3_RESPONSES_IN_CONTEXT: &[Explanation] = &[
    e(
        "+OK GREETING",
        "The POP3 server is ready",
        "The server greets the client as soon as it connects. The session is now in the AUTHORIZATION state: the client must log in before anything else. The part in angle brackets is a timestamp that the APOP login uses.",
        "RFC 1939 §4",
    ),
    e(
        "+OK USER",
        "Now the password",
        "The server takes the name and waits for PASS. This server says +OK whatever the name, so the answer does not tell who has a mailbox here (RFC 1939 also lets a server answer -ERR to a name it does not know).",
        "RFC 1939 §7",
    ),
    e(
        "+OK PASS",
        "Logged in: the maildrop is locked",
        "The name and password are right. The server locks the maildrop for this session, so no other session can change it, and numbers its messages from 1. The session is now in the TRANSACTION state.",
        "RFC 1939 §4, §5",
    ),
    e(
        "+OK APOP",
        "Logged in: the maildrop is locked",
        "The digest is right. The server locks the maildrop for this session and numbers its messages from 1. The session is now in the TRANSACTION state.",
        "RFC 1939 §7, §4",
    ),
    e(
        "+OK STAT",
        "The maildrop in two numbers",
        "How many messages there are, then their total size in octets. A mail program that reads 0 can say QUIT at once.",
        "RFC 1939 §5",
    ),
    e(
        "+OK LIST",
        "The scan listing",
        "One line per message: its number in this session and its exact size in octets. The listing ends with a line holding a single dot. Messages marked for deletion are left out.",
        "RFC 1939 §5",
    ),
    e(
        "+OK UIDL",
        "The unique-id listing",
        "One line per message: its number in this session, then its unique-id. Numbers change from session to session; unique-ids do not, so a mail program can tell which messages it has already seen.",
        "RFC 1939 §7",
    ),
    e(
        "+OK RETR",
        "Here is the message",
        "After the +OK line comes the whole message, exactly as stored, with the Return-Path and Received headers added on its way. A line starting with a dot gets one more dot, and a line holding a single dot ends it.",
        "RFC 1939 §5, §3",
    ),
    e(
        "+OK DELE",
        "Marked, not deleted yet",
        "The message is only marked for deletion. It is removed when the client says QUIT; if the connection breaks first, it stays.",
        "RFC 1939 §5, §6",
    ),
    e(
        "+OK QUIT",
        "The UPDATE state: what was marked is removed",
        "QUIT after a login ends the TRANSACTION state. The server removes the messages marked for deletion, if any, releases the lock on the maildrop and closes the connection. This is the only moment POP3 deletes anything.",
        "RFC 1939 §6",
    ),
];

/// Other POP3 events: a connection to port 110 opens or closes.
#[cfg(feature = "pop3")]
pub const POP3_OTHER: &[Explanation] = &[
    e(
        "connect",
        "Connect to the POP3 server",
        "The mail program opens a TCP connection to port 110 of its provider's server. Nothing is said until the server greets it with +OK.",
        "RFC 1939 §3",
    ),
    e(
        "close",
        "Close the connection",
        "The TCP connection is closed. Only a +OK to QUIT deletes messages: a POP3 session that ends any other way, even after DELE, leaves the maildrop as it was.",
        "RFC 1939 §6",
    ),
    e(
        "quit-before-login",
        "Leave without logging in",
        "QUIT before a successful login, in the AUTHORIZATION state, ends the session without entering the UPDATE state: this session marked nothing and holds no lock, so nothing is deleted. The server says goodbye and closes the connection.",
        "RFC 1939 §4, §6",
    ),
    e(
        "+OK quit-before-login",
        "Goodbye: nothing changed",
        "The server answers +OK and closes the connection. The session never got past the AUTHORIZATION state, so it does not enter the UPDATE state: no message is removed, and a lock that another session holds on the maildrop stays with that session.",
        "RFC 1939 §6",
    ),
];

/// True when the POP3 session of event `index` has logged in before it (a `+OK` to PASS,
/// APOP or AUTH): QUIT then enters the UPDATE state (RFC 1939 §6); before, it does not.
#[cfg(feature = "pop3")]
fn pop3_logged_in(trace: &Trace, index: usize) -> bool {
    let conn = trace.events[index].conn;
    trace.events[..index].iter().any(|e| {
        e.conn == conn
            && matches!(&e.kind, EventKind::Reply { status: Status::Pop3 { ok: true, .. }, to_verb: Some(v), .. }
                if matches!(v.as_str(), "PASS" | "APOP" | "AUTH"))
    })
}

/// A command line no server of that protocol knows: what a student types wrong in the
/// sandbox (the full build; the lessons send none). Until the server's answer is in, the
/// card says what it will be, and why.
#[cfg(feature = "pop3")]
pub const UNKNOWN_COMMANDS: [Explanation; 3] = [
    e(
        "smtp",
        "Not an SMTP command",
        "SMTP knows a fixed set of commands (EHLO, MAIL, RCPT, DATA, QUIT and a few more), each a word at the start of the line. A server that does not recognise the word answers 500 and waits for the next line: nothing is lost, the client can send the right command. A known command the server does not implement gets 502 instead.",
        "RFC 5321 §4.2.4, §4.1.1",
    ),
    e(
        "smtp-502",
        "A command this server does not offer",
        "An SMTP command of an extension or an older practice (BDAT, ETRN, TURN, SEND and the like) that this server does not implement. It answers 502 (command not implemented), not 500: it knows the command. The session goes on; EHLO's reply lists the extensions a server offers.",
        "RFC 5321 §4.2.4",
    ),
    e(
        "pop3",
        "Not a POP3 command",
        "POP3 knows a few commands of three or four letters (USER, PASS, STAT, LIST, RETR, DELE, QUIT and some more). To any other the server answers -ERR and waits for the next line, in the same state as before.",
        "RFC 1939 §3",
    ),
];

/// The explanation of a POP3 command.
pub fn pop3_command(verb: &str) -> Option<&'static Explanation> {
    #[cfg(feature = "pop3")]
    return POP3_COMMANDS.iter().find(|e| e.key.eq_ignore_ascii_case(verb));
    #[cfg(not(feature = "pop3"))]
    {
        let _ = verb;
        None
    }
}

/// The explanation of a POP3 status (`ok`) or response code (`IN-USE`).
pub fn pop3_response(key: &str) -> Option<&'static Explanation> {
    #[cfg(feature = "pop3")]
    return POP3_RESPONSES.iter().find(|e| e.key == key);
    #[cfg(not(feature = "pop3"))]
    {
        let _ = key;
        None
    }
}

/// The explanation of a POP3 `status` (`+OK`) when it answers `verb` (`None`: the greeting).
pub fn pop3_response_to(status: &str, verb: Option<&str>) -> Option<&'static Explanation> {
    #[cfg(feature = "pop3")]
    {
        let key = format!("{status} {}", verb.unwrap_or("GREETING").to_ascii_uppercase());
        POP3_RESPONSES_IN_CONTEXT.iter().find(|e| e.key == key)
    }
    #[cfg(not(feature = "pop3"))]
    {
        let _ = (status, verb);
        None
    }
}

/// The explanation of a POP3 connection opening (`connect`) or closing (`close`).
pub fn pop3_other(key: &str) -> Option<&'static Explanation> {
    #[cfg(feature = "pop3")]
    return POP3_OTHER.iter().find(|e| e.key == key);
    #[cfg(not(feature = "pop3"))]
    {
        let _ = key;
        None
    }
}

/// IMAP commands (RFC 3501 §6; IDLE RFC 2177, MOVE RFC 6851, UNSELECT RFC 3691,
/// UID EXPUNGE RFC 4315), for the service on port 143 and the mail programs that use it.
#[cfg(feature = "imap")]
pub const IMAP_COMMANDS: &[Explanation] = &[
    e(
        "CAPABILITY",
        "What can this server do?",
        "The server lists the IMAP version and the extensions it offers (IDLE, MOVE, AUTH=PLAIN, ...). Many servers say it in the greeting already, so a mail program only asks when they did not.",
        "RFC 3501 §6.1.1",
    ),
    e(
        "STARTTLS",
        "Encrypt the connection first",
        "Before logging in, the client asks to switch to TLS. After the OK both sides run the TLS handshake; everything after it, the login first, is encrypted. The client asks CAPABILITY again, since what it was told in the clear may have been changed by someone on the way.",
        "RFC 3501 §6.2.1",
    ),
    e(
        "NOOP",
        "Anything new?",
        "NOOP does nothing, but before its OK the server tells what changed since the last command: new messages (EXISTS), flags another device changed (FETCH), messages removed (EXPUNGE).",
        "RFC 3501 §6.1.2",
    ),
    e(
        "LOGOUT",
        "Goodbye",
        "The server answers with an untagged BYE, then the tagged OK, and closes the connection. Nothing is deleted by logging out: the mail stays on the server.",
        "RFC 3501 §6.1.3",
    ),
    e(
        "LOGIN",
        "Log in with a name and a password",
        "The user name and the password travel as typed, in one line. Without TLS anyone on the way can read them; a real mail program uses port 993 (IMAP over TLS) or STARTTLS first.",
        "RFC 3501 §6.2.3",
    ),
    e(
        "AUTHENTICATE",
        "Log in with a SASL mechanism",
        "With PLAIN the name and password go as one base64 line, after the server's `+` or (SASL-IR) with the command itself. Base64 is an encoding, not encryption.",
        "RFC 3501 §6.2.2; RFC 4616; RFC 4959",
    ),
    e(
        "SELECT",
        "Open a folder",
        "The server says how many messages the folder holds (EXISTS), its UIDVALIDITY and the next UID, and which flags can be changed. From now on commands about messages work on this folder.",
        "RFC 3501 §6.3.1",
    ),
    e(
        "EXAMINE",
        "Open a folder, read-only",
        "Like SELECT, but nothing can change: reading a message does not mark it \\Seen.",
        "RFC 3501 §6.3.2",
    ),
    e(
        "CREATE",
        "Make a folder",
        "A new, empty folder; a `/` in the name makes folders inside folders.",
        "RFC 3501 §6.3.3",
    ),
    e(
        "DELETE",
        "Remove a folder",
        "The folder and the messages in it are removed. INBOX can never be deleted.",
        "RFC 3501 §6.3.4",
    ),
    e(
        "RENAME",
        "Rename a folder",
        "The folder and the folders inside it get the new name. Renaming INBOX moves its messages into a new folder and leaves INBOX empty.",
        "RFC 3501 §6.3.5",
    ),
    e(
        "SUBSCRIBE",
        "Show this folder",
        "The folder is added to the list a mail program shows (LSUB).",
        "RFC 3501 §6.3.6",
    ),
    e(
        "UNSUBSCRIBE",
        "Hide this folder",
        "The folder is taken off the subscribed list; it still exists.",
        "RFC 3501 §6.3.7",
    ),
    e(
        "LIST",
        "Which folders are there?",
        "One `* LIST` line per folder: its attributes, the separator between levels (`/`) and its name. Attributes such as \\Sent and \\Archive say what a folder is for, so every mail program files sent mail in the same place.",
        "RFC 3501 §6.3.8; RFC 6154 §2",
    ),
    e(
        "LSUB",
        "Which folders are subscribed?",
        "Like LIST, for the subscribed folders only.",
        "RFC 3501 §6.3.9",
    ),
    e(
        "STATUS",
        "Counts of a folder not open",
        "How many messages, how many unseen, the next UID... of another folder, without selecting it.",
        "RFC 3501 §6.3.10",
    ),
    e(
        "APPEND",
        "Put a message into a folder",
        "The client uploads a whole message, with its flags: this is how a mail program files a copy of what it sent in Sent. The message is a literal `{n}`: the client announces n octets, waits for the server's `+`, then sends them.",
        "RFC 3501 §6.3.11",
    ),
    e(
        "CHECK",
        "Save now",
        "Asks the server to write the folder to disk; most servers do that all the time.",
        "RFC 3501 §6.4.1",
    ),
    e(
        "CLOSE",
        "Close the folder",
        "The folder is closed, and the messages marked \\Deleted are removed quietly, without EXPUNGE responses (only when it was opened read-write, with SELECT).",
        "RFC 3501 §6.4.2",
    ),
    e(
        "UNSELECT",
        "Close the folder, remove nothing",
        "Like CLOSE, but messages marked \\Deleted stay.",
        "RFC 3691 §2",
    ),
    e(
        "EXPUNGE",
        "Remove what is marked deleted",
        "Every message of the open folder marked \\Deleted is removed for good. For each one the server sends `* n EXPUNGE`: message n is gone, and the numbers of the messages after it go down by one.",
        "RFC 3501 §6.4.3",
    ),
    e(
        "UID EXPUNGE",
        "Remove these, if marked deleted",
        "Only the listed messages, and only if they are marked \\Deleted: messages another device marked stay.",
        "RFC 4315 §2.1",
    ),
    e(
        "SEARCH",
        "Find messages",
        "The server answers `* SEARCH` with the numbers of the messages that match: unseen, from someone, a word in the subject...",
        "RFC 3501 §6.4.4",
    ),
    e(
        "UID SEARCH",
        "Find messages by UID",
        "Like SEARCH, answered with UIDs instead of message numbers.",
        "RFC 3501 §6.4.8",
    ),
    e(
        "FETCH",
        "Read parts of messages",
        "FETCH asks for parts of messages by number: FLAGS, ENVELOPE (date, subject, from, to...), RFC822.SIZE, BODY[] (the whole message). Fetching BODY[] marks the message \\Seen; BODY.PEEK[] does not.",
        "RFC 3501 §6.4.5",
    ),
    e(
        "UID FETCH",
        "Read parts of messages, by UID",
        "Like FETCH, but the messages are named by UID, which never changes, rather than by number, which changes when messages are removed. A mail program that knows UIDs asks only for what it does not have yet.",
        "RFC 3501 §6.4.8, §6.4.5",
    ),
    e(
        "STORE",
        "Change flags",
        "`+FLAGS (\\Flagged)` adds a flag, `-FLAGS` takes one away, `FLAGS` sets exactly these. The server answers with the new flags (not with .SILENT). Every device sees the change: flags live on the server.",
        "RFC 3501 §6.4.6",
    ),
    e(
        "UID STORE",
        "Change flags, by UID",
        "Like STORE, with the messages named by UID.",
        "RFC 3501 §6.4.8, §6.4.6",
    ),
    e(
        "COPY",
        "Copy to another folder",
        "The messages are copied with their flags; the copies get new UIDs in the target folder.",
        "RFC 3501 §6.4.7",
    ),
    e(
        "UID COPY",
        "Copy to another folder, by UID",
        "Like COPY, with the messages named by UID; COPYUID in the OK says the new UIDs.",
        "RFC 3501 §6.4.8; RFC 4315 §3",
    ),
    e(
        "MOVE",
        "Move to another folder",
        "Copy and remove in one step: the message is never lost, and should never end up in both folders.",
        "RFC 6851 §3.1, §3.3",
    ),
    e(
        "UID MOVE",
        "Move to another folder, by UID",
        "The server files the message in the target folder under a new UID (COPYUID says which), then removes it here with `* n EXPUNGE`. This is what Archive does.",
        "RFC 6851 §3.2; RFC 4315 §3",
    ),
    e(
        "IDLE",
        "Tell me when something happens",
        "After the server's `+`, the mail program just waits. The server pushes news as it happens: `* n EXISTS` when mail arrives, FETCH when flags change, EXPUNGE when a message is removed. No polling: new mail shows at once.",
        "RFC 2177 §3",
    ),
    e(
        "DONE",
        "Stop idling",
        "DONE ends IDLE; the server answers the IDLE command's tag with OK. A mail program says DONE when it has something else to do, and idles again afterwards (at least every 29 minutes, so as not to be logged out).",
        "RFC 2177 §3",
    ),
];

/// IMAP responses: tagged results, untagged data `* NAME`, the continuation `+`, and
/// `GREETING` for the untagged OK on connecting.
#[cfg(feature = "imap")]
pub const IMAP_RESPONSES: &[Explanation] = &[
    e(
        "OK",
        "Done",
        "The command with this tag is done and worked. Everything the server sent before it with `*` belongs to the answer.",
        "RFC 3501 §7.1.1",
    ),
    e(
        "NO",
        "Refused",
        "The command with this tag was understood, but it did not work: a wrong password, a folder that does not exist. The word in brackets says why.",
        "RFC 3501 §7.1.2",
    ),
    e(
        "BAD",
        "Not understood",
        "The command was malformed, unknown, or not allowed in this state.",
        "RFC 3501 §7.1.3",
    ),
    e(
        "GREETING",
        "The IMAP server is ready",
        "The server greets as soon as the client connects, untagged: `* OK`, usually with its capabilities in brackets. The session starts in the Not Authenticated state: the client must log in.",
        "RFC 3501 §7.1.1, §3.1",
    ),
    e(
        "* OK",
        "Information",
        "Untagged OK carries information, usually a response code in brackets: UIDVALIDITY, UIDNEXT, UNSEEN...",
        "RFC 3501 §7.1.1",
    ),
    e("* NO", "A warning", "An untagged NO is a warning; the command goes on.", "RFC 3501 §7.1.2"),
    e(
        "* BAD",
        "A line not understood",
        "An untagged BAD answers a line that had no readable tag.",
        "RFC 3501 §7.1.3",
    ),
    e(
        "* PREAUTH",
        "Already logged in",
        "The connection is already authenticated (for example by the network it comes from): no LOGIN needed.",
        "RFC 3501 §7.1.4",
    ),
    e(
        "* BYE",
        "The server closes",
        "The server is about to close the connection: after LOGOUT, after a long idle time (autologout), or when it shuts down.",
        "RFC 3501 §7.1.5",
    ),
    e(
        "* CAPABILITY",
        "What this server can do",
        "The capabilities: IMAP4rev1, then the extensions it offers.",
        "RFC 3501 §7.2.1",
    ),
    e(
        "* LIST",
        "A folder",
        "One folder: its attributes (\\HasNoChildren, \\Sent, \\Archive...), the separator `/`, and its name.",
        "RFC 3501 §7.2.2; RFC 6154 §2",
    ),
    e("* LSUB", "A subscribed folder", "One subscribed folder.", "RFC 3501 §7.2.3"),
    e("* STATUS", "Counts of a folder", "The numbers STATUS asked for.", "RFC 3501 §7.2.4"),
    e(
        "* SEARCH",
        "The messages found",
        "The numbers (or UIDs) of the messages that match the search.",
        "RFC 3501 §7.2.5",
    ),
    e(
        "* FLAGS",
        "The flags of this folder",
        "The flags messages here can have: \\Seen (read), \\Answered, \\Flagged, \\Deleted (to be removed), \\Draft.",
        "RFC 3501 §7.2.6",
    ),
    e(
        "* EXISTS",
        "How many messages",
        "The folder now holds this many messages. When the number grows, new mail has arrived: the mail program fetches the new messages.",
        "RFC 3501 §7.3.1",
    ),
    e(
        "* RECENT",
        "How many are new to this session",
        "Messages that arrived since any session last looked (\\Recent). IMAP4rev2 dropped it; mail programs use UIDs instead.",
        "RFC 3501 §7.3.2",
    ),
    e(
        "* EXPUNGE",
        "A message is gone",
        "Message number n was removed, and every message after it moves down by one. The server never says it in the middle of FETCH, STORE or SEARCH, so numbers do not change under a command.",
        "RFC 3501 §7.4.1; RFC 9051 §7.5.1",
    ),
    e(
        "* FETCH",
        "Data about a message",
        "What was asked of message n (its UID, FLAGS, ENVELOPE, size, the body), or its new flags when they changed: after STORE, or because another device changed them.",
        "RFC 3501 §7.4.2",
    ),
    e(
        "+",
        "Go on",
        "A continuation request: the server is ready for the rest of the command (a literal, the login), or, after IDLE, idling.",
        "RFC 3501 §7.5",
    ),
];

/// IMAP response codes, in brackets after OK, NO or BAD (RFC 3501 §7.1, RFC 4315, RFC 5530).
#[cfg(feature = "imap")]
pub const IMAP_CODES: &[Explanation] = &[
    e(
        "CAPABILITY",
        "[CAPABILITY]: what the server offers",
        "The capabilities, given with the greeting or after a login, so the client need not ask.",
        "RFC 3501 §7.1",
    ),
    e(
        "UNSEEN",
        "[UNSEEN n]: the first unread",
        "Message n is the first one without \\Seen.",
        "RFC 3501 §7.1",
    ),
    e(
        "UIDVALIDITY",
        "[UIDVALIDITY]: are the UIDs I know still good?",
        "As long as this number stays the same, a UID always means the same message. If it changes, a mail program forgets what it knew of the folder and fetches it all again.",
        "RFC 3501 §7.1, §2.3.1.1",
    ),
    e(
        "UIDNEXT",
        "[UIDNEXT]: the next UID",
        "The UID the next message in this folder will get. UIDs only grow and are never used twice.",
        "RFC 3501 §7.1, §2.3.1.1",
    ),
    e(
        "PERMANENTFLAGS",
        "[PERMANENTFLAGS]: flags that stay",
        "The flags the client may change and that the server keeps across sessions.",
        "RFC 3501 §7.1",
    ),
    e(
        "READ-WRITE",
        "[READ-WRITE]: the folder can change",
        "The folder is open for changes: flags, expunges, moves.",
        "RFC 3501 §7.1",
    ),
    e(
        "READ-ONLY",
        "[READ-ONLY]: look, don't touch",
        "The folder is open read-only (EXAMINE): nothing in it can change.",
        "RFC 3501 §7.1",
    ),
    e(
        "TRYCREATE",
        "[TRYCREATE]: create the folder first",
        "The target folder does not exist; CREATE it and try again.",
        "RFC 3501 §7.1",
    ),
    e(
        "BADCHARSET",
        "[BADCHARSET]: unknown character set",
        "The search used a character set the server does not know; it lists those it does.",
        "RFC 3501 §7.1",
    ),
    e(
        "APPENDUID",
        "[APPENDUID]: where the message went",
        "The UIDVALIDITY of the folder and the UID the appended message got, so the mail program knows it without asking.",
        "RFC 4315 §3",
    ),
    e(
        "COPYUID",
        "[COPYUID]: the UIDs of the copies",
        "The UIDVALIDITY of the target folder, the UIDs copied and the UIDs the copies got, in the same order.",
        "RFC 4315 §3",
    ),
    e(
        "AUTHENTICATIONFAILED",
        "[AUTHENTICATIONFAILED]: wrong name or password",
        "The login failed. The server does not say which was wrong, so nobody can find out which users exist.",
        "RFC 5530 §3",
    ),
    e(
        "PRIVACYREQUIRED",
        "[PRIVACYREQUIRED]: not in the clear",
        "This server takes passwords only over an encrypted connection (its capabilities said LOGINDISABLED): send STARTTLS first, then log in.",
        "RFC 5530 §3; RFC 3501 §6.2.3",
    ),
    e(
        "AUTHORIZATIONFAILED",
        "[AUTHORIZATIONFAILED]: not as someone else",
        "The name and password may be right, but the login asked to act as another user (PLAIN's authorization identity), which this server does not allow.",
        "RFC 5530 §3; RFC 4616 §2",
    ),
    e("NONEXISTENT", "[NONEXISTENT]: no such folder", "The folder named does not exist.", "RFC 5530 §3"),
    e(
        "ALREADYEXISTS",
        "[ALREADYEXISTS]: the name is taken",
        "A folder with that name exists already.",
        "RFC 5530 §3",
    ),
    e(
        "HASCHILDREN",
        "[HASCHILDREN]: folders inside",
        "This server refuses to delete a folder that has folders inside it.",
        "RFC 9051 §7.1",
    ),
    e(
        "INUSE",
        "[INUSE]: in use",
        "The folder is in use (here: open in this session); close it first.",
        "RFC 5530 §3",
    ),
    e(
        "EXPUNGEISSUED",
        "[EXPUNGEISSUED]: removed meanwhile",
        "Some of the messages were expunged by another session; the client hears which at the next moment the server may say it.",
        "RFC 5530 §3",
    ),
    e(
        "OVERQUOTA",
        "[OVERQUOTA]: the mailbox is full",
        "There is no room for more mail in this mailbox.",
        "RFC 5530 §3",
    ),
    e(
        "LIMIT",
        "[LIMIT]: a limit of the server",
        "The server's limit on folders or sessions was reached.",
        "RFC 5530 §3",
    ),
    e(
        "CANNOT",
        "[CANNOT]: not possible",
        "The operation can never work, for example a folder name the server cannot store.",
        "RFC 5530 §3",
    ),
    e(
        "UNAVAILABLE",
        "[UNAVAILABLE]: try later",
        "The mail store cannot be reached right now.",
        "RFC 5530 §3",
    ),
    e(
        "SERVERBUG",
        "[SERVERBUG]: the server's fault",
        "Something went wrong on the server's side, not the client's.",
        "RFC 5530 §3",
    ),
    e(
        "TOOBIG",
        "[TOOBIG]: too big",
        "The literal the client announced is over the server's limit; with a synchronising literal the client sends none of it.",
        "RFC 7888 §5; RFC 4469",
    ),
];

/// Other IMAP events: a connection to port 143, the message a client uploads with APPEND.
#[cfg(feature = "imap")]
pub const IMAP_OTHER: &[Explanation] = &[
    e(
        "connect",
        "Connect to the IMAP server",
        "The mail program opens a TCP connection to port 143 of its provider's server. The server speaks first, with its greeting.",
        "RFC 3501 §2.1",
    ),
    e(
        "close",
        "Close the connection",
        "The TCP connection is closed. With IMAP nothing is downloaded and deleted: the mail stays on the server, with its flags, for every device.",
        "RFC 3501 §7.1.5",
    ),
    e(
        "data",
        "The message itself",
        "The octets of the literal the client announced with `{n}` after the server's `+`: here a whole message that APPEND files in a folder.",
        "RFC 3501 §4.3, §6.3.11",
    ),
    e(
        "auth-data",
        "The login, in base64",
        "The answer to AUTHENTICATE's `+`: PLAIN's name and password, in base64, which anyone can decode.",
        "RFC 3501 §6.2.2; RFC 4616 §2",
    ),
    e(
        "no-tag",
        "A command without its tag",
        "Every IMAP command starts with a tag the client chooses (`a1`, `a2`, …), then the command: `a1 LOGIN bob@example.net builder`. The server repeats the tag in the reply that ends the command, so that a client with several commands under way knows which one finished. Here the line starts with the command itself: the server answers BAD, tagged with the word it read as the tag (the command's name, when more follows it), or untagged (`*`) when there was no tag to read.",
        "RFC 3501 §2.2.1",
    ),
    e(
        "unknown",
        "A command this server does not know",
        "The word after the tag names no IMAP command this server knows: the server answers BAD, with the same tag, and the session goes on as before. The commands are listed in the RFC's section 6, their grammar in its section 9.",
        "RFC 3501 §6, §7.1.3",
    ),
];

/// What FETCH can ask for beyond the list of messages, explained where a command or a
/// response holds it.
#[cfg(feature = "imap")]
pub const IMAP_FETCH_ITEMS: &[Explanation] = &[
    e(
        "BODYSTRUCTURE",
        "How the message is built",
        "The server reads the message's MIME headers and describes its parts in one parenthesised list: each part's type, parameters, encoding and size, a multipart's parts inside it, an attachment's file name. A mail program learns what a message holds before downloading any of it. The message inspector draws the tree it describes.",
        "RFC 3501 §7.4.2",
    ),
    e(
        "BODY[n]",
        "One part of the message",
        "`BODY[1]` is the first part, `BODY[2.1]` the first part inside part 2, numbered as BODYSTRUCTURE lists them; a message that is not multipart has one part, 1. Like BODY[], it marks the message \\Seen; BODY.PEEK[1] would not.",
        "RFC 3501 §6.4.5",
    ),
];

/// The fetch items of [`IMAP_FETCH_ITEMS`] an IMAP command or `* FETCH` line asks for or
/// carries.
#[cfg(feature = "imap")]
fn imap_fetch_items(bytes: &[u8]) -> Vec<&'static Explanation> {
    let line = bytes.split(|&b| b == b'\r').next().unwrap_or_default().to_ascii_uppercase();
    let has = |w: &[u8]| line.windows(w.len()).any(|x| x == w);
    let part = line.windows(6).any(|x| x.starts_with(b"BODY[") && x[5].is_ascii_digit())
        || line.windows(11).any(|x| x.starts_with(b"BODY.PEEK[") && x[10].is_ascii_digit());
    let mut out = Vec::new();
    out.extend(has(b"BODYSTRUCTURE").then_some(&IMAP_FETCH_ITEMS[0]));
    out.extend(part.then_some(&IMAP_FETCH_ITEMS[1]));
    out
}

/// The explanation of an IMAP command (`UID FETCH`, `DONE`).
#[cfg(feature = "imap")]
pub fn imap_command(verb: &str) -> Option<&'static Explanation> {
    IMAP_COMMANDS.iter().find(|e| e.key.eq_ignore_ascii_case(verb))
}

/// The explanation of an IMAP response: `OK`, `* EXISTS`, `+`, `GREETING`.
#[cfg(feature = "imap")]
pub fn imap_response(key: &str) -> Option<&'static Explanation> {
    IMAP_RESPONSES.iter().find(|e| e.key.eq_ignore_ascii_case(key))
}

/// The explanation of an IMAP response code (`UIDVALIDITY`).
#[cfg(feature = "imap")]
pub fn imap_code(code: &str) -> Option<&'static Explanation> {
    IMAP_CODES.iter().find(|e| e.key.eq_ignore_ascii_case(code))
}

/// The explanation of another IMAP event: `connect`, `close`, `data`, `auth-data`.
#[cfg(feature = "imap")]
pub fn imap_other(key: &str) -> Option<&'static Explanation> {
    IMAP_OTHER.iter().find(|e| e.key == key)
}

/// The response code of an IMAP response line: `UIDVALIDITY` in `* OK [UIDVALIDITY 3] ...`.
#[cfg(feature = "imap")]
pub fn imap_code_of(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line.split(|&b| b == b'\r').next().unwrap_or_default()).into_owned();
    let mut words = text.splitn(3, ' ');
    let _tag = words.next()?;
    let cond = words.next()?;
    if !["OK", "NO", "BAD", "BYE", "PREAUTH"].iter().any(|c| c.eq_ignore_ascii_case(cond)) {
        return None;
    }
    let inner = words.next()?.strip_prefix('[')?;
    let end = inner.find([' ', ']'])?;
    Some(inner[..end].to_ascii_uppercase())
}

/// Everything that explains the IMAP event `ev`: the main entry first, then its response
/// code.
#[cfg(feature = "imap")]
fn imap_event(ev: &crate::trace::TraceEvent) -> Vec<&'static Explanation> {
    use crate::trace::ImapResponse;
    let mut out = Vec::new();
    match &ev.kind {
        // Typed in the sandbox: a command without its tag, or one the server does not know.
        EventKind::Command { .. } if crate::imap::command::without_tag(&ev.bytes) => {
            out.extend(imap_other("no-tag"))
        }
        // DONE typed to end IDLE (a line with no tag, so no verb read).
        EventKind::Command { verb } if verb.is_empty() && ev.text().trim().eq_ignore_ascii_case("DONE") => {
            out.extend(imap_command("DONE"))
        }
        // (No verb at all: a line of AUTHENTICATE's or a literal's, not a command.)
        EventKind::Command { verb } if !verb.is_empty() && imap_command(verb).is_none() => {
            out.extend(imap_other("unknown"))
        }
        EventKind::Command { verb } => {
            out.extend(imap_command(verb));
            if verb.ends_with("FETCH") {
                out.extend(imap_fetch_items(&ev.bytes));
            }
        }
        EventKind::Reply { status: Status::Imap(r), to_verb, .. } => {
            let key = match r {
                ImapResponse::Tagged { condition, .. } => condition.name().to_string(),
                ImapResponse::Untagged { name }
                    if name == "OK" && to_verb.is_none() && ev.text().contains("[CAPABILITY") =>
                {
                    "GREETING".into()
                }
                ImapResponse::Untagged { name } => format!("* {name}"),
                ImapResponse::Continuation => "+".into(),
            };
            out.extend(imap_response(&key));
            out.extend(imap_code_of(&ev.bytes).as_deref().and_then(imap_code));
            if key == "* FETCH" {
                out.extend(imap_fetch_items(&ev.bytes));
            }
        }
        EventKind::Connect { .. } => out.extend(imap_other("connect")),
        EventKind::Close => out.extend(imap_other("close")),
        EventKind::MessageData => out.extend(imap_other("data")),
        EventKind::AuthData => out.extend(imap_other("auth-data")),
        _ => {}
    }
    out
}

pub fn command(verb: &str) -> Option<&'static Explanation> {
    SMTP_COMMANDS.iter().find(|e| e.key.eq_ignore_ascii_case(verb))
}

/// What an SMTP reply answers, as the catalogue's `"CODE CONTEXT"` keys (and a `reply`
/// rule) name it: the command's verb, `MESSAGE` for the reply after the final dot, and
/// `GREETING` for the server's first line.
fn smtp_context<'a>(trace: &Trace, index: usize, to_verb: Option<&'a str>) -> Option<&'a str> {
    match to_verb {
        Some(v) if v.eq_ignore_ascii_case("DATA") => {
            let answered = trace.command_for_reply(index).map(|i| &trace.events[i].kind);
            Some(if matches!(answered, Some(EventKind::MessageData)) { "MESSAGE" } else { v })
        }
        Some(v) => Some(v),
        // Answering nothing: the greeting if no reply came before it on its connection
        // (else a server's unbidden 421, as at a timeout). Only a fault rule makes a
        // greeting other than 220, and only the sandbox's build has its cards.
        #[cfg(feature = "sandbox")]
        None => {
            let conn = trace.events[index].conn?;
            let before = trace.events[..index].iter().rev().filter(|e| e.conn == Some(conn));
            before
                .take_while(|e| !matches!(e.kind, EventKind::Connect { .. }))
                .all(|e| !matches!(e.kind, EventKind::Reply { .. }))
                .then_some("GREETING")
        }
        #[cfg(not(feature = "sandbox"))]
        None => None,
    }
}

pub fn reply(code: u16) -> Option<&'static Explanation> {
    let key = code.to_string();
    SMTP_REPLIES.iter().chain(rules()).find(|e| e.key == key)
}

pub fn enhanced(code: &str) -> Option<&'static Explanation> {
    ENHANCED.iter().chain(rules()).chain(trust()).find(|e| e.key == code)
}

pub fn other(key: &str) -> Option<&'static Explanation> {
    OTHER.iter().chain(trust()).find(|e| e.key == key)
}

/// The entries of the lessons on trust, in a build that has them.
fn trust() -> &'static [Explanation] {
    #[cfg(feature = "trust")]
    return TRUST;
    #[cfg(not(feature = "trust"))]
    &[]
}

/// The entries of the World's notes, in a build that has them.
#[cfg(test)]
fn live() -> &'static [Explanation] {
    #[cfg(feature = "sandbox")]
    return LIVE;
    #[cfg(not(feature = "sandbox"))]
    &[]
}

/// What a DNS answer says, from its lines as `dns::Answer::presentation` writes them.
fn dns_answer(qtype: &str, records: &[String]) -> &'static str {
    let first = records.first().map_or("", String::as_str);
    let mx = qtype == "MX";
    if first.ends_with("(NXDOMAIN)") {
        // No domain to mail to: a bounce; no host to connect to: the next MX, or later.
        if mx { "dns-nxdomain" } else { "dns-nxdomain-a" }
    } else if first.ends_with("(NOERROR, no data)") {
        if mx { "dns-no-mx" } else { "dns-no-a" }
    } else if mx && records.len() == 1 && first.ends_with(" .") {
        // One MX naming the root, as the MTA reads a null MX (RFC 7505 §3).
        "dns-null-mx"
    } else if mx {
        "dns-mx"
    } else {
        "dns-a"
    }
}

/// What a TXT question is for, from the name it asks about: a DKIM key lives at
/// `selector._domainkey.domain` (RFC 6376 §3.6.2.1), a DMARC policy at `_dmarc.domain`
/// (RFC 7489 §6.1); SPF asks for the domain itself (RFC 7208 §4.4).
/// The entry for a note of the sender checks (`world::auth`), from how it begins.
#[cfg(feature = "trust")]
fn auth_note(text: &[u8]) -> Option<&'static str> {
    [
        ("SPF ", "ar-spf"),
        ("DKIM ", "ar-dkim"),
        ("DMARC ", "ar-dmarc"),
        ("signs the message with DKIM", "dkim-sign"),
        ("Filed in the Junk folder", "ar-dmarc"),
    ]
    .into_iter()
    .find_map(|(start, key)| text.starts_with(start.as_bytes()).then_some(key))
}

#[cfg(feature = "trust")]
fn dns_txt(name: &str) -> &'static str {
    let name = name.to_ascii_lowercase();
    if name.contains("._domainkey.") {
        "dns-txt-dkim"
    } else if name.starts_with("_dmarc.") {
        "dns-txt-dmarc"
    } else if name.starts_with('_') {
        "dns-txt"
    } else {
        "dns-txt-spf"
    }
}

/// Everything that explains the event at `index`: the main entry first, then any
/// enhanced status code.
pub fn event(trace: &Trace, index: usize) -> Vec<&'static Explanation> {
    let Some(ev) = trace.events.get(index) else {
        return Vec::new();
    };
    #[cfg(feature = "imap")]
    if ev.protocol == Protocol::Imap {
        return imap_event(ev);
    }
    let mut out = Vec::new();
    match &ev.kind {
        #[cfg(feature = "pop3")]
        EventKind::Command { verb }
            if verb == "QUIT" && ev.protocol == Protocol::Pop3 && !pop3_logged_in(trace, index) =>
        {
            out.extend(pop3_other("quit-before-login"))
        }
        #[cfg(feature = "pop3")]
        EventKind::Reply { status: Status::Pop3 { ok: true, .. }, to_verb: Some(v), .. }
            if v == "QUIT" && !pop3_logged_in(trace, index) =>
        {
            out.extend(pop3_other("+OK quit-before-login"))
        }
        EventKind::Command { verb } if ev.protocol == Protocol::Pop3 => out.extend(pop3_command(verb)),
        EventKind::Command { verb } => out.extend(command(verb)),
        EventKind::Reply { status: Status::Smtp { code, enhanced: enh }, to_verb, .. } => {
            out.extend(reply_to(*code, smtp_context(trace, index, to_verb.as_deref())));
            out.extend(enh.as_deref().and_then(enhanced));
        }
        EventKind::Reply { status: Status::Pop3 { ok, code }, to_verb, .. } => {
            let status = if *ok { "+OK" } else { "-ERR" };
            out.extend(pop3_response_to(status, to_verb.as_deref()).or_else(|| pop3_response(status)));
            out.extend(code.as_deref().and_then(pop3_response));
        }
        EventKind::Reply { .. } => {}
        EventKind::Refused { .. } => out.extend(other("refused")),
        EventKind::Connect { .. } | EventKind::Close if ev.protocol == Protocol::Pop3 => {
            out.extend(pop3_other(if ev.kind == EventKind::Close { "close" } else { "connect" }))
        }
        EventKind::Connect { .. } => out.extend(other("connect")),
        EventKind::Close => out.extend(other("close")),
        // A command typed after 354 (QUIT for the missing dot): a line of the message.
        #[cfg(feature = "sandbox")]
        EventKind::MessageData if command_in_message(&ev.bytes) => {
            out.extend(LIVE.iter().find(|x| x.key == "data-command"))
        }
        EventKind::MessageData => out.extend(other("data")),
        EventKind::AuthData => out.extend(other("auth-data")),
        EventKind::Tls { flight, .. } => out.extend(other(match flight {
            TlsFlight::ClientHello => "tls-hello",
            TlsFlight::ServerHello => "tls-server",
            TlsFlight::ClientFinished => "tls-finished",
        })),
        #[cfg(feature = "trust")]
        EventKind::DnsQuery { qtype, name, .. } if qtype == "TXT" => out.extend(other(dns_txt(name))),
        #[cfg(feature = "trust")]
        EventKind::DnsAnswer { qtype, name, .. } if qtype == "TXT" => out.extend(other(dns_txt(name))),
        // SPF's a, mx and exists: the same questions as a delivery's, asked for the check.
        #[cfg(feature = "trust")]
        EventKind::DnsAnswer { records, check: true, .. }
            if records.is_empty() || dns_answer("A", records) != "dns-a" =>
        {
            out.extend(other("dns-spf-void"))
        }
        #[cfg(feature = "trust")]
        EventKind::DnsQuery { qtype, check: true, .. } | EventKind::DnsAnswer { qtype, check: true, .. } => {
            out.extend(other(match qtype.as_str() {
                "MX" => "dns-spf-mx",
                "PTR" => "dns-spf-ptr",
                _ => "dns-spf-a",
            }))
        }
        EventKind::DnsQuery { qtype, .. } => {
            out.extend(other(if qtype == "MX" { "dns-mx" } else { "dns-a" }))
        }
        EventKind::DnsAnswer { qtype, records, .. } => out.extend(other(dns_answer(qtype, records))),
        EventKind::Delivery { .. } => out.extend(other("delivery")),
        EventKind::Queued { .. } => out.extend(other("queued")),
        EventKind::Bounce { .. } => out.extend(other("bounce")),
        EventKind::Delayed { .. } => out.extend(other("delayed")),
        // A receiving host's finding, or a provider signing: what that check is.
        #[cfg(feature = "trust")]
        EventKind::Note if auth_note(&ev.bytes).is_some() => out.extend(auth_note(&ev.bytes).and_then(other)),
        #[cfg(feature = "sandbox")]
        EventKind::Note if live_note(&ev.bytes).is_some() => out.extend(live_note(&ev.bytes)),
        EventKind::Note => out.extend(other("note")),
    }
    #[cfg(feature = "pop3")]
    if let (true, EventKind::Command { verb }) = (out.is_empty(), &ev.kind) {
        let key = match ev.protocol {
            Protocol::Pop3 => "pop3",
            _ if crate::smtp::command::KNOWN_NOT_OFFERED.contains(&verb.as_str()) => "smtp-502",
            _ => "smtp",
        };
        out.extend(UNKNOWN_COMMANDS.iter().find(|e| e.key == key));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_urls() {
        let cases = [
            ("RFC 5321 §4.1.1.2", "https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2"),
            // Only the first section is linked.
            ("RFC 5321 §4.2, §3.1", "https://www.rfc-editor.org/rfc/rfc5321#section-4.2"),
            ("RFC 3464", "https://www.rfc-editor.org/rfc/rfc3464"),
        ];
        for (rfc, url) in cases {
            assert_eq!(rfc_url(rfc), url);
        }
    }

    #[test]
    fn a_dns_answer_is_explained_by_what_it_says() {
        use crate::dns::{Answer, RData, Record};
        let mx = |preference, exchange: &str| Record {
            name: "exmaple.net".into(),
            ttl: 3600,
            data: RData::Mx { preference, exchange: exchange.into() },
        };
        let a = Record { name: "mx.example.net".into(), ttl: 3600, data: RData::A("192.0.2.25".into()) };
        let cases = [
            (Answer::Records(vec![mx(10, "mx.example.net"), mx(20, "backup.example.net")]), "MX", "dns-mx"),
            (Answer::Records(vec![mx(0, ".")]), "MX", "dns-null-mx"),
            (Answer::Records(vec![a]), "A", "dns-a"),
            (Answer::NoData, "MX", "dns-no-mx"),
            (Answer::NoData, "A", "dns-no-a"),
            (Answer::NxDomain, "MX", "dns-nxdomain"),
            (Answer::NxDomain, "A", "dns-nxdomain-a"),
            // Only one MX naming the root is a null MX; `0 .` among others is not.
            (Answer::Records(vec![mx(10, ".")]), "MX", "dns-null-mx"),
            (Answer::Records(vec![mx(0, "."), mx(10, "mx.example.net")]), "MX", "dns-mx"),
        ];
        for (answer, qtype, key) in cases {
            // The lines as the trace shows them.
            let lines = answer.presentation("exmaple.net", qtype);
            assert_eq!(dns_answer(qtype, &lines), key, "{lines:?}");
            // The first load's build has the cards of its lessons' answers only.
            assert!(other(key).is_some() || !cfg!(feature = "catalogue"), "{key}");
        }
        // No entry names a domain of the standard world: lessons ask about others.
        for x in OTHER.iter().filter(|x| x.key.starts_with("dns-")) {
            assert!(!x.text.contains("example."), "{}", x.key);
        }
    }

    /// (A build without the whole catalogue has the cards of its lessons' replies only:
    /// `every_event_of_the_lessons_here_has_a_card_of_its_own`.)
    #[cfg(feature = "catalogue")]
    #[test]
    fn every_reply_the_servers_can_send_is_explained() {
        // Every reply is built from a typed `ReplyCode`, so walking them all sees every
        // reply the engine and mailroom-serve can send, including those made at run time.
        for id in ReplyCode::ALL {
            let (code, enh) = id.parts();
            assert!(reply(code).is_some(), "{id:?}: reply {code} has no explanation");
            if let Some(e) = enh {
                assert!(enhanced(e).is_some(), "{id:?}: enhanced code {e} (with {code}) has no explanation");
                assert_eq!(e.as_bytes()[0] - b'0', (code / 100) as u8, "{code} {e}: class must match");
            }
        }
        // Statuses the queue manager writes into bounces itself (RFC 3463).
        for code in crate::mta::DSN_STATUSES {
            assert!(enhanced(code).is_some(), "DSN status {code} has no explanation");
        }
        for verb in [
            "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT",
            "STARTTLS", "AUTH",
        ] {
            assert!(command(verb).is_some(), "{verb}");
        }
        for key in [
            "connect",
            "close",
            "refused",
            "data",
            "dns-mx",
            "dns-a",
            "delivery",
            "queued",
            "bounce",
            "note",
            "auth-data",
            "tls-hello",
            "tls-server",
            "tls-finished",
            "delayed",
        ] {
            assert!(other(key).is_some(), "{key}");
        }
    }

    #[test]
    fn any_code_a_fault_rule_may_send_is_explained() {
        // World descriptions accept reply rules with codes 400..=599.
        for code in 400..=599 {
            assert!(reply_to(code, Some("RCPT")).is_some(), "{code}");
        }
    }

    #[cfg(feature = "pop3")]
    #[test]
    fn every_pop3_command_and_response_code_is_explained() {
        use crate::pop3::command::parse;
        let lines = [
            "USER bob",
            "PASS x",
            "APOP bob 0123456789abcdef0123456789abcdef",
            "QUIT",
            "STAT",
            "LIST",
            "RETR 1",
            "DELE 1",
            "NOOP",
            "RSET",
            "TOP 1 0",
            "UIDL",
            "CAPA",
            "STLS",
        ];
        for line in lines {
            let cmd = parse(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert!(pop3_command(cmd.verb()).is_some(), "{line}");
        }
        assert_eq!(POP3_COMMANDS.len(), lines.len(), "one entry per command, no more");
        for key in ["+OK", "-ERR", "AUTH", "IN-USE", "SYS/TEMP"] {
            assert!(pop3_response(key).is_some(), "{key}");
        }
        // Every entry in context answers a real command (or is the greeting), and the
        // connection's two ends are explained for POP3 too.
        for x in POP3_RESPONSES_IN_CONTEXT {
            let (status, verb) = x.key.split_once(' ').unwrap();
            assert!(status == "+OK" && (verb == "GREETING" || pop3_command(verb).is_some()), "{}", x.key);
            assert_eq!(pop3_response_to("+OK", (verb != "GREETING").then_some(verb)), Some(x));
        }
        assert_eq!(pop3_response_to("+OK", Some("noop")), None, "the plain +OK explains the rest");
        assert!(pop3_other("connect").is_some() && pop3_other("close").is_some());
    }

    /// The panel explains what the World's POP3 events really are, in their context.
    #[cfg(feature = "pop3")]
    #[test]
    fn pop3_events_of_a_world_are_explained_in_context() {
        let text = "---\ntitle: T\nfrom: Alice <alice@example.org>\nto: bob@example.net\nsubject: Hi\n---\n```world\nat 0s send from laptop.example.org via smtp.example.org\nat 1m retrieve from laptop.example.org via mx.example.net user bob@example.net\n```\n## S\n@ start\nx\n";
        let lesson = crate::lesson::Lesson::parse("t", text).unwrap();
        let trace = crate::world::run_lesson(&lesson).unwrap().trace;
        let title = |i: usize| event(&trace, i).first().map(|x| x.key).unwrap_or("none");
        let mut seen = Vec::new();
        for e in trace.events.iter().filter(|e| e.protocol == Protocol::Pop3) {
            let want = match &e.kind {
                EventKind::Connect { .. } => "connect".to_string(),
                EventKind::Close => "close".to_string(),
                EventKind::Command { verb } => verb.clone(),
                EventKind::Reply { to_verb, .. } => {
                    format!("+OK {}", to_verb.as_deref().unwrap_or("GREETING"))
                }
                other => panic!("{other:?}"),
            };
            assert_eq!(title(e.index), want, "event {}", e.index);
            seen.push(want);
        }
        for key in [
            "connect",
            "+OK GREETING",
            "+OK PASS",
            "+OK STAT",
            "+OK UIDL",
            "+OK LIST",
            "+OK RETR",
            "+OK DELE",
            "+OK QUIT",
            "close",
        ] {
            assert!(seen.iter().any(|s| s == key), "{key} in {seen:?}");
        }
    }

    /// QUIT before a login does not enter the UPDATE state (RFC 1939 §6): in "The POP3
    /// lock" the phone, refused with `-ERR [IN-USE]`, says QUIT without having logged in;
    /// the laptop's QUIT after its login deletes what it marked.
    #[cfg(feature = "pop3")]
    #[test]
    fn a_quit_before_login_is_not_explained_as_the_update_state() {
        let l = crate::lessons::builtin("the-pop3-lock").unwrap().unwrap();
        let trace = crate::world::run_lesson(&l).unwrap().trace;
        let key = |i: usize| event(&trace, i).first().map(|x| x.key).unwrap_or("none");
        let quits: Vec<(usize, &str)> = trace
            .events
            .iter()
            .filter(|e| e.protocol == Protocol::Pop3)
            .filter_map(|e| match &e.kind {
                EventKind::Command { verb } if verb == "QUIT" => Some((e.index, key(e.index))),
                EventKind::Reply { to_verb: Some(v), .. } if v == "QUIT" => Some((e.index, key(e.index))),
                _ => None,
            })
            .collect();
        let keys: Vec<&str> = quits.iter().map(|(_, k)| *k).collect();
        assert!(keys.contains(&"quit-before-login") && keys.contains(&"+OK quit-before-login"), "{keys:?}");
        assert!(keys.contains(&"QUIT") && keys.contains(&"+OK QUIT"), "{keys:?}");
        // The one before its login is the refused one's: an -ERR [IN-USE] came on its connection.
        for (i, k) in quits {
            let refused = trace.events[..i].iter().any(|e| {
                e.conn == trace.events[i].conn
                    && matches!(&e.kind, EventKind::Reply { status: Status::Pop3 { ok: false, .. }, .. })
            });
            assert_eq!(k.ends_with("quit-before-login"), refused, "event {i}: {k}");
        }
    }

    /// What a POP3 server answers to RETR is explained as what it is (RFC 3206 §4): a message
    /// another session removed (an IMAP EXPUNGE) gets a plain -ERR, whose explanation says
    /// so, never the "temporary problem" of `[SYS/TEMP]`; a message the host cannot read
    /// now gets `[SYS/TEMP]`, explained as a problem that may pass. The answers are the
    /// real server's.
    #[cfg(feature = "pop3")]
    #[test]
    fn pop3_errors_to_retr_are_explained_as_what_they_are() {
        use crate::pop3::server::{Pop3Config, Pop3Server};
        use crate::pop3::{MaildropError, MessageError, Pop3Item};
        use crate::session::{Env, Output, RcptVerdict, Session};
        use crate::time::SimTime;
        use crate::trace::TraceEvent;
        use std::rc::Rc;
        struct Host;
        impl Env for Host {
            fn recipient(&mut self, _: &str, _: &str) -> RcptVerdict {
                RcptVerdict::NoSuchUser
            }
            fn check_password(&mut self, _: &str, _: &str) -> bool {
                true
            }
            fn open_maildrop(&mut self, _: &str, _: u64) -> Result<Vec<Pop3Item>, MaildropError> {
                Ok(["1.1", "1.2"].map(|uid| Pop3Item { uid: uid.into(), size: 10 }).to_vec())
            }
            fn maildrop_message(&mut self, _: &str, _: u64, uid: &str) -> Result<Rc<[u8]>, MessageError> {
                Err(if uid == "1.1" { MessageError::Gone } else { MessageError::Unavailable })
            }
        }
        let peer = crate::smtp::server::Peer { addr: "192.0.2.20".into(), name: None };
        let mut s = Pop3Server::new(Pop3Config::new("pop.example.net"), peer, 1, SimTime::ZERO);
        s.handle_input(b"USER bob\r\nPASS x\r\nRETR 1\r\nRETR 2\r\n", SimTime::ZERO, &mut Host);
        let mut events = Vec::new();
        while let Some(o) = s.poll_output() {
            if let Output::Send { bytes, kind } = o {
                let index = events.len();
                let at = SimTime::ZERO;
                let (from, to, protocol, conn, hosts) = (0, 1, Protocol::Pop3, None, Vec::new());
                events.push(TraceEvent { index, sent: at, at, from, to, protocol, kind, conn, bytes, hosts });
            }
        }
        let trace = Trace { hosts: Vec::new(), initial: Vec::new(), conns: Vec::new(), events };
        let said = |i: usize| (trace.events[i].text(), event(&trace, i));
        let (gone, explained) = said(3);
        assert!(gone.starts_with("-ERR message 1 is gone"), "{gone}");
        assert_eq!(explained.iter().map(|x| x.key).collect::<Vec<_>>(), ["-ERR"]);
        assert!(explained[0].text.contains("another session"), "{}", explained[0].text);
        let (unreadable, explained) = said(4);
        assert!(unreadable.starts_with("-ERR [SYS/TEMP] "), "{unreadable}");
        assert_eq!(explained.iter().map(|x| x.key).collect::<Vec<_>>(), ["-ERR", "SYS/TEMP"]);
        assert!(explained[1].text.contains("read"), "{}", explained[1].text);
    }

    /// The words in `src` right after each `prefix`: upper-case letters and hyphens.
    #[cfg(feature = "imap")]
    fn words_after(src: &str, prefix: &str) -> Vec<String> {
        src.match_indices(prefix)
            .map(|(i, _)| {
                src[i + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '-')
                    .collect::<String>()
            })
            .filter(|w| w.len() >= 2)
            .collect()
    }

    /// Every command the IMAP server parses and the client sends, every untagged
    /// response and response code the server's source writes, is in the catalogue.
    #[cfg(feature = "imap")]
    #[test]
    fn every_imap_command_response_and_code_is_explained() {
        use crate::imap::client::Verb;
        let lines = [
            "a CAPABILITY",
            "a NOOP",
            "a LOGOUT",
            "a LOGIN u p",
            "a AUTHENTICATE PLAIN",
            "a SELECT INBOX",
            "a EXAMINE INBOX",
            "a CREATE x",
            "a DELETE x",
            "a RENAME x y",
            "a SUBSCRIBE x",
            "a UNSUBSCRIBE x",
            "a LIST \"\" *",
            "a LSUB \"\" *",
            "a STATUS x (MESSAGES)",
            "a APPEND x {1}\r\nx",
            "a CHECK",
            "a CLOSE",
            "a UNSELECT",
            "a EXPUNGE",
            "a UID EXPUNGE 1",
            "a SEARCH ALL",
            "a UID SEARCH ALL",
            "a FETCH 1 FLAGS",
            "a UID FETCH 1 FLAGS",
            "a STORE 1 +FLAGS (\\Seen)",
            "a UID STORE 1 FLAGS ()",
            "a COPY 1 x",
            "a UID COPY 1 x",
            "a MOVE 1 x",
            "a UID MOVE 1 x",
            "a IDLE",
            "a STARTTLS",
        ];
        let mut names = Vec::new();
        for line in lines {
            let t = crate::imap::command::parse(format!("{line}\r\n").as_bytes())
                .unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert!(imap_command(t.command.name()).is_some(), "{line}");
            names.push(t.command.name());
        }
        names.dedup();
        assert_eq!(names.len() + 1, IMAP_COMMANDS.len(), "one entry per command and DONE, no more");
        for v in Verb::ALL {
            assert!(imap_command(v.name()).is_some(), "{v:?}");
        }
        assert!(imap_command("DONE").is_some() && imap_command("UID EXPUNGE").is_some());
        // What the server's source sends.
        let src = include_str!("imap/server.rs");
        let untagged: Vec<String> =
            [words_after(src, "untagged(\""), words_after(src, "lines.push((\"")].concat();
        for name in &untagged {
            assert!(imap_response(&format!("* {name}")).is_some(), "* {name}");
        }
        for must in
            ["EXISTS", "EXPUNGE", "FETCH", "LIST", "BYE", "CAPABILITY", "SEARCH", "STATUS", "FLAGS", "RECENT"]
        {
            assert!(untagged.iter().any(|n| n == must), "the scan finds {must}");
        }
        let codes: Vec<String> = [
            words_after(src, "Some(\""),
            words_after(src, "[\""),
            words_after(src, " ["),
            words_after(src, "format!(\"["),
            words_after(src, "=> \""),
            words_after(src, "{ \""),
            words_after(src, "code: Some(format!(\""),
            words_after(src, "format!(\"COPYUID"),
        ]
        .concat();
        let mut missing: Vec<&String> = codes
            .iter()
            .filter(|c| {
                imap_code(c).is_none()
                    && imap_command(c).is_none()
                    && imap_response(&format!("* {c}")).is_none()
                    && imap_response(c).is_none()
            })
            .collect();
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "not explained: {missing:?}");
        for must in [
            "UIDVALIDITY",
            "UIDNEXT",
            "UNSEEN",
            "PERMANENTFLAGS",
            "READ-WRITE",
            "READ-ONLY",
            "TRYCREATE",
            "APPENDUID",
            "AUTHENTICATIONFAILED",
            "NONEXISTENT",
            "OVERQUOTA",
            "TOOBIG",
            "EXPUNGEISSUED",
        ] {
            assert!(codes.iter().any(|c| c == must), "the scan finds {must}: {codes:?}");
        }
        assert!(
            imap_code("COPYUID").is_some()
                && imap_response("GREETING").is_some()
                && imap_response("+").is_some()
        );
        for key in ["connect", "close", "data", "auth-data"] {
            assert!(imap_other(key).is_some(), "{key}");
        }
        let cases: [(&[u8], Option<&str>); 5] = [
            (b"* OK [UIDVALIDITY 3] UIDs valid\r\n", Some("UIDVALIDITY")),
            (b"a1 NO [AUTHENTICATIONFAILED] no\r\n", Some("AUTHENTICATIONFAILED")),
            (b"a3 OK [READ-WRITE] SELECT completed\r\n", Some("READ-WRITE")),
            (b"* 3 EXISTS\r\n", None),
            (b"a1 OK done [x]\r\n", None),
        ];
        for (line, want) in cases {
            assert_eq!(imap_code_of(line).as_deref(), want, "{}", String::from_utf8_lossy(line));
        }
    }

    /// A command typed without its tag, or one the server does not know, is said to be
    /// that (it was explained by the word after the tag: `BOB`, with no text).
    #[cfg(feature = "imap")]
    #[test]
    fn an_imap_command_without_its_tag_or_unknown_is_said_to_be() {
        use crate::{time::SimTime, trace::TraceEvent};
        let mut trace =
            Trace { hosts: Vec::new(), initial: Vec::new(), conns: Vec::new(), events: Vec::new() };
        for (line, key) in [
            ("LOGIN bob@example.net builder\r\n", "no-tag"),
            ("a1 FOO\r\n", "unknown"),
            ("a1 LOGIN bob@example.net builder\r\n", "LOGIN"),
        ] {
            let bytes = line.as_bytes().to_vec();
            let verb = crate::imap::command::verb_of(&bytes);
            let index = trace.events.len();
            trace.events.push(TraceEvent {
                index,
                sent: SimTime::ZERO,
                at: SimTime::ZERO,
                from: 0,
                to: 1,
                protocol: Protocol::Imap,
                kind: EventKind::Command { verb },
                conn: None,
                bytes,
                hosts: Vec::new(),
            });
            let keys: Vec<&str> = event(&trace, index).iter().map(|x| x.key).collect();
            assert_eq!(keys, [key], "{line:?}");
        }
    }

    /// Every IMAP event of a World is explained, with its response code.
    #[cfg(feature = "imap")]
    #[test]
    fn imap_events_of_a_world_are_explained() {
        let imap = "at {t} imap from bob-laptop.example.net via mx.example.net user bob@example.net";
        let actions = [
            "1m check auth plain",
            "2m read",
            "3m archive oldest",
            "4m delete",
            "5m append-sent",
            "6m open Archive",
            "7m read-text",
        ];
        let lines: Vec<String> = actions
            .iter()
            .map(|a| {
                let (t, rest) = a.split_once(' ').unwrap();
                format!("{} {rest}", imap.replace("{t}", t))
            })
            .collect();
        let text = format!(
            "---\ntitle: T\nfrom: Alice <alice@example.org>\nto: bob@example.net\nsubject: Hi\n---\n```world\nhost bob-laptop.example.net 203.0.113.10 client \"B\" at 100,62\nlink bob-laptop.example.net mx.example.net 30ms\nat 0s send from laptop.example.org via smtp.example.org\nat 1s send from laptop.example.org via smtp.example.org\nat 270s send from bob-laptop.example.net via mx.example.net\nservice mx.example.net 587 submission\n{}\n```\n## S\n@ start\nx\n",
            lines.join("\n")
        );
        let lesson = crate::lesson::Lesson::parse("t", &text).unwrap_or_else(|e| panic!("{e}"));
        let trace = crate::world::run_lesson(&lesson).unwrap().trace;
        let mut seen = Vec::new();
        for e in trace.events.iter().filter(|e| e.protocol == Protocol::Imap) {
            let x = event(&trace, e.index);
            assert!(!x.is_empty(), "event {} {:?} {}", e.index, e.kind, e.text());
            if let Some(code) = imap_code_of(&e.bytes) {
                assert!(x.iter().any(|y| y.key == code), "{code} in {}", e.text());
                seen.push(code);
            }
            seen.extend(x.iter().map(|y| y.key.to_string()));
        }
        for key in [
            "connect",
            "GREETING",
            "BODYSTRUCTURE",
            "BODY[n]",
            "AUTHENTICATE",
            "OK",
            "LIST",
            "* LIST",
            "SELECT",
            "* EXISTS",
            "UIDVALIDITY",
            "READ-WRITE",
            "UID FETCH",
            "* FETCH",
            "IDLE",
            "+",
            "DONE",
            "UID MOVE",
            "COPYUID",
            "* EXPUNGE",
            "UID STORE",
            "EXPUNGE",
            "APPEND",
            "data",
            "APPENDUID",
            "LOGOUT",
            "* BYE",
            "close",
        ] {
            assert!(seen.iter().any(|s| s == key), "{key} in {seen:?}");
        }
    }

    #[cfg(feature = "trust")]
    #[test]
    fn the_checks_of_a_sender_are_explained_by_what_each_is() {
        let mut seen = Vec::new();
        for id in ["dmarc", "spf", "dkim", "forwarded"] {
            let lesson = crate::lessons::builtin(id).unwrap().unwrap();
            let trace = crate::world::run_lesson(&lesson).unwrap().trace;
            seen.extend(checks_explained(&trace, id));
        }
        for want in [
            "dns-txt-dmarc",
            "dns-txt-dkim",
            "dns-txt-spf",
            "dns-spf-mx",
            "dns-spf-a",
            "dns-mx",
            "dns-a",
            "ar-spf",
            "ar-dkim",
            "ar-dmarc",
            "dkim-sign",
            "550 MESSAGE",
        ] {
            assert!(seen.contains(&want), "{want} in {seen:?}");
        }
        // The refusal's enhanced code is explained too.
        let lesson = crate::lessons::builtin("dmarc").unwrap().unwrap();
        let trace = crate::world::run_lesson(&lesson).unwrap().trace;
        let refusal = trace.events.iter().find(|e| e.text().starts_with("550 5.7.26")).unwrap();
        assert!(event(&trace, refusal.index).iter().any(|x| x.key == "5.7.26"));
    }

    #[cfg(feature = "trust")]
    #[test]
    fn an_spf_checks_own_lookups_say_what_they_are_for() {
        let w = crate::world::tests::alice_sends_in(
            "txt example.org \"v=spf1 ptr a:nothing.example.org ~mx -all\"\ncheck mx.example.net spf\n",
        );
        let trace = w.trace();
        let keyed: Vec<(String, &str)> = trace
            .events
            .iter()
            .filter(|e| {
                matches!(
                    &e.kind,
                    EventKind::DnsQuery { check: true, .. } | EventKind::DnsAnswer { check: true, .. }
                )
            })
            .map(|e| (e.text().lines().next().unwrap_or("").to_string(), event(trace, e.index)[0].key))
            .collect();
        for (line, key) in [
            // The relay's address, 192.0.2.25, asked for backwards; no name is there.
            ("25.2.0.192.in-addr.arpa. IN PTR", "dns-spf-ptr"),
            ("25.2.0.192.in-addr.arpa. does not exist (NXDOMAIN)", "dns-spf-void"),
            ("nothing.example.org. IN A", "dns-spf-a"),
            ("nothing.example.org. does not exist (NXDOMAIN)", "dns-spf-void"),
            ("smtp.example.org. 3600 IN A 192.0.2.25", "dns-spf-a"),
            ("example.org. IN MX", "dns-spf-mx"),
            ("smtp.example.org. IN A", "dns-spf-a"),
        ] {
            assert!(keyed.iter().any(|(l, k)| l.contains(line) && *k == key), "{line} {key} in {keyed:#?}");
        }
    }

    /// Checks the entry of every DNS event and every check's note of `trace`: the keys seen.
    #[cfg(feature = "trust")]
    fn checks_explained(trace: &Trace, id: &str) -> Vec<&'static str> {
        let key = |i: usize| event(trace, i).first().map(|x| x.key).unwrap_or("none");
        let mut seen = Vec::new();
        for e in &trace.events {
            let text = e.text();
            let want = match &e.kind {
                // An SPF check's own lookups are not a delivery's (the DNS server cannot
                // tell them apart: the World says which it asked).
                EventKind::DnsQuery { qtype, check: true, .. }
                | EventKind::DnsAnswer { qtype, check: true, .. }
                    if qtype != "TXT" =>
                {
                    if qtype == "MX" {
                        "dns-spf-mx"
                    } else {
                        "dns-spf-a"
                    }
                }
                // A delivery's questions.
                EventKind::DnsQuery { qtype, check: false, .. } if qtype == "MX" => "dns-mx",
                EventKind::DnsQuery { qtype, check: false, .. } if qtype == "A" => "dns-a",
                EventKind::DnsQuery { name, qtype, .. } | EventKind::DnsAnswer { name, qtype, .. }
                    if qtype == "TXT" =>
                {
                    match name.as_str() {
                        n if n.starts_with("_dmarc.") => "dns-txt-dmarc",
                        n if n.contains("._domainkey.") => "dns-txt-dkim",
                        _ => "dns-txt-spf",
                    }
                }
                EventKind::Note if text.starts_with("SPF ") => "ar-spf",
                EventKind::Note if text.starts_with("DKIM ") => "ar-dkim",
                EventKind::Note if text.starts_with("DMARC ") || text.starts_with("Filed in the Junk") => {
                    "ar-dmarc"
                }
                EventKind::Note if text.starts_with("signs the message") => "dkim-sign",
                EventKind::Reply { status, .. } if status.smtp_code() == Some(550) => "550 MESSAGE",
                _ => continue,
            };
            assert_eq!(key(e.index), want, "{id} #{} {text}", e.index);
            seen.push(want);
        }
        seen
    }

    #[test]
    fn every_enhanced_code_of_the_lessons_is_explained() {
        for (id, text) in crate::lessons::BUILTIN {
            let lesson = crate::lesson::Lesson::parse(id, text).unwrap();
            let trace = crate::world::run_lesson(&lesson).unwrap().trace;
            for e in &trace.events {
                if let EventKind::Reply { status: Status::Smtp { enhanced: Some(code), .. }, .. } = &e.kind {
                    assert!(enhanced(code).is_some(), "{id} #{}: {} has no explanation", e.index, e.text());
                }
            }
        }
    }

    /// Without the whole catalogue (the first load), only the cards its lessons show are
    /// there: every event of every lesson this build runs still has one, a reply one of its
    /// own code (not its class's) and of its enhanced code, a command one of its verb.
    #[test]
    fn every_event_of_the_lessons_here_has_a_card_of_its_own() {
        let mut lessons = 0;
        for (id, text) in crate::lessons::BUILTIN {
            if !crate::lessons::entry(id).is_some_and(crate::lessons::runs_here) {
                continue;
            }
            lessons += 1;
            let lesson = crate::lesson::Lesson::parse(id, text).unwrap();
            // Its email sent three times, as `?messages=3` has it: later rounds may go
            // otherwise (a greylist that knows the sender by then, a mailbox fuller).
            let trace = crate::world::run_world(&lesson.world, &lesson.email, 3).unwrap();
            for ev in &trace.events {
                let cards = event(&trace, ev.index);
                let at = || format!("{id} #{}: {}", ev.index, ev.text());
                assert!(!cards.is_empty(), "{}", at());
                match &ev.kind {
                    EventKind::Reply { status: Status::Smtp { code, enhanced: enh }, .. } => {
                        assert!(cards[0].key.starts_with(&code.to_string()), "{}: {}", at(), cards[0].key);
                        if let Some(enh) = enh {
                            assert!(cards.iter().any(|c| c.key == enh), "{}", at());
                        }
                    }
                    EventKind::Command { verb } if ev.protocol == Protocol::Smtp => {
                        assert!(cards[0].key.eq_ignore_ascii_case(verb), "{}", at())
                    }
                    _ => {}
                }
            }
        }
        assert!(lessons >= 10, "{lessons} lessons");
    }

    #[cfg(feature = "sandbox")]
    #[test]
    fn every_refusal_a_rule_may_give_has_a_card_of_its_own_code() {
        for verb in crate::describe::REPLY_VERBS {
            for code in crate::describe::refusals(verb) {
                let key = reply_to(code, Some(verb)).map(|x| x.key).unwrap_or("none");
                assert!(key.starts_with(&code.to_string()), "{verb} {code}: {key}");
            }
        }
    }

    /// What a relay's reply from mx.example.net is explained as, under each fault rule: the
    /// card fits the moment (greeting, command, message), not the code alone.
    #[cfg(feature = "sandbox")]
    #[test]
    fn a_rules_reply_is_explained_by_what_it_answers() {
        for (rule, line, want) in [
            ("", "220 mx.example.net", "220"),
            ("GREETING 554 \"No SMTP service here\"", "554 No SMTP", "554 GREETING"),
            ("EHLO 550 \"Go away\"", "550 5.0.0 Go away", "550 EHLO"),
            ("MAIL 550 5.7.1 \"Not from you\"", "550 5.7.1 Not from you", "550 MAIL"),
            ("RCPT 550 5.1.1 \"No such user\"", "550 5.1.1 No such user", "550"),
            ("DATA 554 \"No valid recipients\"", "554 5.0.0 No valid", "554 DATA"),
            ("MESSAGE 554 \"Refused\"", "554 5.0.0 Refused", "554 MESSAGE"),
            ("MESSAGE 550 5.7.1 \"Spam\"", "550 5.7.1 Spam", "550 MESSAGE"),
            ("", "250 2.0.0", "250 MESSAGE"),
        ] {
            let directives =
                if rule.is_empty() { String::new() } else { format!("reply mx.example.net {rule}\n") };
            let w = crate::world::tests::alice_sends_in(&directives);
            let t = w.trace();
            let mx = t.host_by_name(crate::world::names::BOB_SERVER).unwrap();
            let reply = t
                .events
                .iter()
                .find(|e| e.from == mx && e.text().starts_with(line))
                .unwrap_or_else(|| panic!("{rule}: no {line}"));
            assert_eq!(event(t, reply.index)[0].key, want, "{rule}");
        }
        // The server's unbidden 421 (its patience with a silent client over) is no greeting.
        assert_eq!(reply_to(421, None).unwrap().key, "421");
        assert_eq!(reply_to(550, Some("HELO")).unwrap().key, "550 HELO");
    }

    #[test]
    fn replies_are_explained_in_context() {
        assert_eq!(reply_to(250, Some("MESSAGE")).unwrap().key, "250 MESSAGE");
        assert_eq!(reply_to(250, Some("ehlo")).unwrap().key, "250 EHLO");
        assert_eq!(reply_to(250, Some("RCPT")).unwrap().key, "250");
        assert_eq!(reply_to(354, None).unwrap().key, "354");
    }

    #[test]
    fn every_entry_is_complete_and_unique() {
        #[cfg(feature = "pop3")]
        let pop3 = [POP3_COMMANDS, POP3_RESPONSES, POP3_RESPONSES_IN_CONTEXT, POP3_OTHER];
        #[cfg(not(feature = "pop3"))]
        let pop3: [&[Explanation]; 0] = [];
        #[cfg(feature = "imap")]
        let pop3 =
            pop3.into_iter().chain([IMAP_COMMANDS, IMAP_RESPONSES, IMAP_CODES, IMAP_OTHER, IMAP_FETCH_ITEMS]);
        for table in [
            SMTP_COMMANDS,
            SMTP_REPLIES,
            SMTP_REPLIES_IN_CONTEXT,
            ENHANCED,
            OTHER,
            REPLY_CLASSES,
            trust(),
            rules(),
        ]
        .into_iter()
        .chain(pop3)
        .chain([live()])
        {
            for (i, x) in table.iter().enumerate() {
                assert!(!x.title.is_empty() && !x.text.is_empty(), "{}", x.key);
                assert!(x.key == "note" || x.rfc.starts_with("RFC "), "{}", x.key);
                assert!(table[..i].iter().all(|y| y.key != x.key), "duplicate {}", x.key);
                // `code` in a text is shown as code (the app splits the text at backticks):
                // an odd backtick would show the rest of the text as code.
                for text in [x.title, x.text] {
                    assert!(
                        text.matches('`').count() % 2 == 0,
                        "{}: an unpaired backtick in {text:?}",
                        x.key
                    );
                }
            }
        }
    }
}
