//! The contract every protocol machine keeps, server and client alike, and what a machine
//! may ask of the World.
//!
//! A machine is sans-IO: it never reads a clock, a socket or a random number. Its driver
//! (the [`crate::world::World`], or `mailroom-serve` over TCP) moves bytes and time, and
//! calls it in this order, as quinn-proto's `Connection` is called:
//!
//! 1. create it when the connection opens (a server queues its greeting at once);
//! 2. drain [`Session::poll_output`] until it returns `None`: bytes to send (each with
//!    what they mean, for the trace), requests to the World, or a close;
//! 3. ask [`Session::poll_timeout`] when the machine next wants to be woken, and arm a
//!    timer for it (replacing the previous one);
//! 4. when bytes arrive: [`Session::handle_input`], then 2 and 3 again; when the timer
//!    fires: [`Session::handle_timeout`], then 2 and 3; when the peer closes:
//!    [`Session::handle_close`];
//! 5. when the mail store the host lends through [`Env::mail_store`] changed (SMTP
//!    delivered, another session expunged): [`Session::handle_store_change`], then 2 and
//!    3. An IMAP session in IDLE pushes the news at once (RFC 2177); other machines ignore
//!    it. The machine never polls: it learns of changes only when told.
//!
//! Decisions that need outside state (does this mailbox exist, may this client relay, is
//! there room for more mail, does a fault rule of the world answer this command) are
//! asked of the driver through [`Env`], at the moment the machine needs them; what the
//! machine wants done with outside state (store or relay this message) comes out of
//! `poll_output` as a [`Request`].
//!
//! A machine's state is typed ([`SessionState`]) and describes itself in plain words, so
//! no protocol state travels as a string for the UI to parse back.

use std::fmt;
#[cfg(feature = "pop3")]
use std::rc::Rc;

#[cfg(feature = "imap")]
use crate::imap::server::State as ImapServerState;
#[cfg(feature = "pop3")]
use crate::pop3::server::State as Pop3ServerState;
#[cfg(feature = "pop3")]
use crate::pop3::{MaildropError, MessageError, Pop3Item};
use crate::smtp::client::ClientState;
use crate::smtp::reply::Reply;
use crate::smtp::server::{Accepted, State as SmtpServerState};
use crate::store::MailStore;
use crate::time::SimTime;
use crate::trace::{EventKind, Protocol};

/// One side of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Client,
    Server,
}

/// What a machine wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes to the peer. `kind` says what they are, for the trace.
    Send { bytes: Vec<u8>, kind: EventKind },
    /// Something only the World can do.
    Request(Request),
    /// Close the connection (after the last `Send`).
    Close,
}

/// What a machine asks the World to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// An SMTP server accepted a message (it is about to answer 250 to the final dot):
    /// from now on the host owns it, to deliver or bounce, never to lose
    /// (RFC 5321 §4.1.1.4, §6.1).
    Accept(Accepted),
    /// Start the TLS handshake on this connection (RFC 3207 §4): a server asks right after
    /// its `220` to STARTTLS, a client when that `220` arrives. The driver runs the
    /// handshake and then calls [`Session::handle_tls`] on both sides.
    StartTls,
    /// An SMTP server that checks senders has the whole message, and asks the host to check
    /// it before it answers the final dot: SPF (RFC 7208 §2.5: during the transaction, so a
    /// refusal reaches the sending server as a reply), DKIM (RFC 6376 §6) and DMARC
    /// (RFC 7489 §6.6), as a mail filter does at the end of data. The server reads nothing
    /// more until the driver answers with [`Session::handle_verdict`].
    #[cfg(feature = "trust")]
    Verify(Verify),
}

/// What a host checks of a message before its server answers the end of data.
#[cfg(feature = "trust")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verify {
    /// The client's IP address (SPF's `<ip>`, RFC 7208 §4.1).
    pub client_addr: String,
    /// The name the client gave in EHLO or HELO (SPF's HELO identity, RFC 7208 §2.3).
    pub helo: String,
    /// The reverse-path (SPF's MAIL FROM identity, RFC 7208 §2.4); empty for a bounce.
    pub mail_from: String,
    /// The message as the server would store it, its `Received:` on top.
    pub message: Vec<u8>,
}

/// What the host decided about a message it was asked to [`Request::Verify`].
#[cfg(feature = "trust")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Take it, with `header` (whole header fields, each ending in CRLF: the host's
    /// `Authentication-Results:`, RFC 8601 §5) put on top, and file it in the recipients'
    /// Junk folder when `junk` (DMARC's `quarantine`, RFC 7489 §6.3).
    Accept { header: String, junk: bool },
    /// Refuse it with this reply to the end of data (`550 5.7.23`, `550 5.7.26`: RFC 7372).
    Refuse(Reply),
}

/// What a host says about a recipient named in `RCPT TO` (RFC 5321 §4.1.1.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RcptVerdict {
    /// A mailbox on this host: deliver here. Carries the mailbox's address.
    Local(String),
    /// Another domain, and this client may relay through this host.
    Relay,
    /// A local domain, but no such mailbox: `550 5.1.1`.
    NoSuchUser,
    /// Another domain, and this client may not relay: `550 5.7.1` (RFC 5321 §3.6.2, §7.1).
    RelayDenied,
    /// A local mailbox that is full: `452 4.2.2`, try later (RFC 3463 §3.3).
    Full,
}

/// What a command is about, for the World's fault rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandContext<'a> {
    /// The command's verb, upper case (`RCPT`).
    pub verb: &'a str,
    /// The client's IP address.
    pub client_addr: &'a str,
    /// The reverse-path of the open transaction, if any (`""` for a bounce).
    pub mail_from: Option<&'a str>,
    /// The recipient a `RCPT` names.
    pub rcpt: Option<&'a str>,
}

/// What a machine may ask of the host it runs on. The World answers from its mail store,
/// its users and its fault rules; `mailroom-serve` from its own store.
pub trait Env {
    /// Where mail for `rcpt` goes, when `client_addr` names it in `RCPT TO`.
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict;
    /// False when the host has no room for more mail right now (`452 4.3.1`, RFC 1870 §6.1,
    /// RFC 3463 §3.4).
    fn storage_available(&mut self) -> bool {
        true
    }
    /// A fault rule of the world that answers this command instead of the protocol
    /// (greylisting, "answer 451 to RCPT on this host"). The machine sends the reply and
    /// leaves its state as it was, as for any refusal.
    fn intercept(&mut self, _cmd: &CommandContext<'_>) -> Option<Reply> {
        None
    }
    /// Is `password` right for `user`? Asked by the services that log users in (AUTH on
    /// submission, RFC 4954; POP3 USER/PASS, RFC 1939 §7; IMAP LOGIN, RFC 9051 §6.2.3).
    /// Nobody has a password unless the host says so.
    fn check_password(&mut self, _user: &str, _password: &str) -> bool {
        false
    }
    /// The secret `user` shares with the host for POP3 APOP: the server checks that the
    /// client's digest is the MD5 of the greeting's timestamp followed by it
    /// (RFC 1939 §7). Nobody has one unless the host says so.
    #[cfg(feature = "pop3")]
    fn apop_secret(&mut self, _user: &str) -> Option<String> {
        None
    }
    /// A POP3 session `session` has logged in as `user`: lock the maildrop for it and list
    /// its messages as they are now, in order, each with its unique-id and exact size
    /// (RFC 1939 §4; unique-ids §7). `Locked` while another session holds it
    /// (`-ERR [IN-USE]`, RFC 2449 §8.1.2); `Unavailable` for any other reason
    /// (`-ERR [SYS/TEMP]`, RFC 3206 §4). By default no maildrop can be opened.
    #[cfg(feature = "pop3")]
    fn open_maildrop(&mut self, _user: &str, _session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
        Err(MaildropError::Unavailable)
    }
    /// The whole message `uid` of the maildrop `session` holds locked for `user`, its
    /// lines ending in CRLF, for RETR and TOP (RFC 1939 §7). `Gone` when another session
    /// has removed it since (IMAP's EXPUNGE), `Unavailable` when it cannot be read now.
    #[cfg(feature = "pop3")]
    fn maildrop_message(&mut self, _user: &str, _session: u64, _uid: &str) -> Result<Rc<[u8]>, MessageError> {
        Err(MessageError::Unavailable)
    }
    /// QUIT entered the UPDATE state: remove exactly these messages from `user`'s maildrop
    /// (RFC 1939 §6). Asked only with at least one uid. False when some could not be
    /// removed (`-ERR some deleted messages not removed`); one that another session has
    /// removed already is not in the maildrop, as asked.
    #[cfg(feature = "pop3")]
    fn commit_deletions(&mut self, _user: &str, _session: u64, _uids: &[String]) -> bool {
        false
    }
    /// How many messages `user`'s maildrop holds now, for QUIT's response after the UPDATE:
    /// the lock is POP3's own, so SMTP may have delivered and IMAP expunged or appended
    /// since the session listed it. `None` when it cannot be told.
    #[cfg(feature = "pop3")]
    fn maildrop_count(&mut self, _user: &str) -> Option<usize> {
        None
    }
    /// Release the lock `session` holds on `user`'s maildrop (RFC 1939 §4, §6). Called by
    /// the server after QUIT; when a session ends any other way (the peer closed, the
    /// autologout timer), the driver calls it, since `handle_close` and `handle_timeout`
    /// get no `Env`. Releasing a lock one does not hold does nothing.
    #[cfg(feature = "pop3")]
    fn close_maildrop(&mut self, _user: &str, _session: u64) {}
    /// The host's mail store, for the services that work on it directly (IMAP: folders,
    /// flags, UIDs and the watchers that tell a session what others changed, RFC 9051
    /// §7.5.1). Lent for one call at a time; `None` when the host has none.
    fn mail_store(&mut self) -> Option<&mut MailStore> {
        None
    }
}

/// A fixed list of domains, mailboxes and trusted client addresses: the [`Env`] of a
/// server that stands alone (tests, transcript fixtures, `mailroom-serve`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory {
    /// Domains whose mail is delivered here.
    pub local_domains: Vec<String>,
    /// Mailboxes (full addresses, lower case) on the local domains. `postmaster` of every
    /// local domain always exists (RFC 5321 §4.5.1).
    pub mailboxes: Vec<String>,
    /// Client addresses allowed to relay to other domains (a provider's own network).
    pub relay_clients: Vec<String>,
    /// Other domains whose mail this host takes from anyone and passes on: it is their
    /// backup MX (RFC 5321 §5.1).
    pub relay_domains: Vec<String>,
    /// False when the host's storage is full.
    pub full: bool,
}

impl Directory {
    pub fn is_local_domain(&self, domain: &str) -> bool {
        self.local_domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// The mailbox that `addr` is delivered to, if it is local and exists.
    pub fn local_mailbox(&self, addr: &str) -> Option<String> {
        let addr = addr.to_ascii_lowercase();
        let (local, domain) = addr.rsplit_once('@')?;
        if !self.is_local_domain(domain) {
            return None;
        }
        if local == "postmaster" || self.mailboxes.contains(&addr) { Some(addr) } else { None }
    }
}

impl Directory {
    /// Where mail for `rcpt` goes when `client_addr` names it (see [`Env::recipient`]).
    pub fn verdict(&self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        let domain = rcpt.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if self.is_local_domain(domain) {
            return match self.local_mailbox(rcpt) {
                Some(m) => RcptVerdict::Local(m),
                None => RcptVerdict::NoSuchUser,
            };
        }
        if self.relay_clients.iter().any(|c| c == client_addr)
            || self.relay_domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
        {
            RcptVerdict::Relay
        } else {
            RcptVerdict::RelayDenied
        }
    }
}

impl Env for Directory {
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        self.verdict(client_addr, rcpt)
    }

    fn storage_available(&mut self) -> bool {
        !self.full
    }
}

/// The contract of a protocol machine. See the module doc for the call order.
pub trait Session {
    /// Bytes from the peer. Everything complete is handled now; an incomplete line waits.
    fn handle_input(&mut self, input: &[u8], now: SimTime, env: &mut dyn Env);
    /// The peer closed the connection, or it broke.
    fn handle_close(&mut self, now: SimTime);
    /// The next thing to do, in order.
    fn poll_output(&mut self) -> Option<Output>;
    /// When the machine wants [`Session::handle_timeout`] called, if at all.
    fn poll_timeout(&self) -> Option<SimTime>;
    /// Time has reached `now`; a machine whose deadline passed acts on it (an idle SMTP
    /// server says `421` and closes, RFC 5321 §4.5.3.2.7). Calling it early is harmless.
    fn handle_timeout(&mut self, now: SimTime);
    /// The machine's state, typed.
    fn state(&self) -> SessionState;
    /// What `input` would be to this machine if it arrived now, for the trace: a command,
    /// message data, a reply. Used when a person types raw bytes into a live World.
    fn classify(&self, input: &[u8]) -> EventKind;
    /// True once the machine has finished and wants nothing more.
    fn is_closed(&self) -> bool;
    /// The TLS handshake this machine asked for with [`Request::StartTls`] is complete: from
    /// now on the connection is encrypted. Machines that never ask ignore it.
    fn handle_tls(&mut self, _now: SimTime) {}
    /// The mail store lent through [`Env::mail_store`] changed: a machine that watches it
    /// may tell its peer now (an IMAP session in IDLE sends `* n EXISTS`, RFC 2177 §3).
    /// Machines that do not watch the store ignore it.
    fn handle_store_change(&mut self, _now: SimTime, _env: &mut dyn Env) {}
    /// The host's answer to the [`Request::Verify`] this machine made: it replies to the end
    /// of data now, then reads what the client sent meanwhile. Machines that never ask
    /// ignore it.
    #[cfg(feature = "trust")]
    fn handle_verdict(&mut self, _verdict: Verdict, _now: SimTime, _env: &mut dyn Env) {}

    /// The host started (`true`) or stopped checking the senders of mail arriving on this
    /// session's port: from the session's next end of data on, as for a new session.
    #[cfg(feature = "trust")]
    fn check_senders(&mut self, _on: bool) {}

    /// The machine itself, for a driver that needs what only its protocol knows (the
    /// outcome of an SMTP client's delivery attempt).
    fn as_any(&self) -> &dyn std::any::Any;

    /// The machine itself, mutably, for a driver that must finish what the machine could
    /// not (an IMAP server that ended without LOGOUT stops watching the store,
    /// `ImapServer::release`). `None` for machines that need nothing of the kind.
    #[cfg(feature = "imap")]
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}

/// The state of a protocol machine, typed, named after its RFC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// An SMTP server session (RFC 5321 §4.1.4).
    SmtpServer(SmtpServerState),
    /// An SMTP client delivering one message (RFC 5321 §3.3, §4.1.4).
    SmtpClient(ClientState),
    /// A POP3 server session (RFC 1939 §3).
    #[cfg(feature = "pop3")]
    Pop3Server(Pop3ServerState),
    /// A mail program collecting mail over POP3 (RFC 1939).
    #[cfg(feature = "pop3")]
    Pop3Client(crate::pop3::client::ClientState),
    /// An IMAP server session (RFC 3501 §3).
    #[cfg(feature = "imap")]
    ImapServer(ImapServerState),
    /// A mail program working on its mail with IMAP (RFC 3501).
    #[cfg(feature = "imap")]
    ImapClient(crate::imap::client::ClientState),
    /// A connection driven by a person typing (the live World): no machine on that side.
    Typed,
}

impl SessionState {
    pub fn protocol(self) -> Protocol {
        match self {
            SessionState::SmtpServer(_) | SessionState::SmtpClient(_) | SessionState::Typed => Protocol::Smtp,
            #[cfg(feature = "pop3")]
            SessionState::Pop3Server(_) | SessionState::Pop3Client(_) => Protocol::Pop3,
            #[cfg(feature = "imap")]
            SessionState::ImapServer(_) => Protocol::Imap,
            #[cfg(feature = "imap")]
            SessionState::ImapClient(_) => Protocol::Imap,
        }
    }

    /// The name used in the RFC's terms and in code (`ExpectRcptOrData`).
    pub fn name(self) -> &'static str {
        match self {
            SessionState::SmtpServer(s) => s.name(),
            SessionState::SmtpClient(c) => c.name(),
            #[cfg(feature = "pop3")]
            SessionState::Pop3Server(s) => s.name(),
            #[cfg(feature = "pop3")]
            SessionState::Pop3Client(c) => c.name(),
            #[cfg(feature = "imap")]
            SessionState::ImapServer(s) => s.name(),
            #[cfg(feature = "imap")]
            SessionState::ImapClient(c) => c.name(),
            SessionState::Typed => "Typed",
        }
    }

    /// The state in plain words for a student. `sending` is true while bytes the machine
    /// has sent are still on their way (the trace shows bytes when they arrive), so the
    /// words never run ahead of the transcript: "sends QUIT" until the QUIT is on screen,
    /// then "waits for the reply to QUIT".
    pub fn describe(self, sending: bool) -> String {
        match self {
            SessionState::SmtpServer(s) => s.describe(sending).to_string(),
            SessionState::SmtpClient(c) => c.describe(sending),
            #[cfg(feature = "pop3")]
            SessionState::Pop3Server(s) => s.describe(sending).to_string(),
            #[cfg(feature = "pop3")]
            SessionState::Pop3Client(c) => c.describe(sending),
            #[cfg(feature = "imap")]
            SessionState::ImapServer(s) => s.describe(sending).to_string(),
            #[cfg(feature = "imap")]
            SessionState::ImapClient(c) => c.describe(sending),
            SessionState::Typed => "typed by a person".to_string(),
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_answers_recipients() {
        let mut d = Directory {
            local_domains: vec!["example.net".into()],
            mailboxes: vec!["bob@example.net".into()],
            relay_clients: vec!["192.0.2.10".into()],
            relay_domains: vec!["example.com".into()],
            full: false,
        };
        let cases = [
            ("203.0.113.1", "Bob@Example.NET", RcptVerdict::Local("bob@example.net".into())),
            ("203.0.113.1", "postmaster@example.net", RcptVerdict::Local("postmaster@example.net".into())),
            ("203.0.113.1", "nobody@example.net", RcptVerdict::NoSuchUser),
            ("203.0.113.1", "x@far.example", RcptVerdict::RelayDenied),
            ("192.0.2.10", "x@far.example", RcptVerdict::Relay),
            // A backup MX takes mail for its domains from anyone.
            ("203.0.113.1", "x@Example.COM", RcptVerdict::Relay),
        ];
        for (client, rcpt, want) in cases {
            assert_eq!(d.recipient(client, rcpt), want, "{rcpt} from {client}");
        }
        assert!(d.storage_available());
    }
}
