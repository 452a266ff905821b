//! The SMTP server, sans-IO (RFC 5321 §4; SIZE RFC 1870; 8BITMIME RFC 6152;
//! PIPELINING RFC 2920; ENHANCEDSTATUSCODES RFC 2034; STARTTLS RFC 3207; AUTH RFC 4954;
//! message submission RFC 6409).
//!
//! It keeps the [`Session`] contract: create it with [`SmtpServer::new`] when a client
//! connects (the greeting is queued), feed what arrives to [`Session::handle_input`],
//! drain [`Session::poll_output`], and wake it at [`Session::poll_timeout`]. Replies come
//! out in command order, one per command, however the commands were grouped into writes.
//! Whether a recipient exists, whether this client may relay, whether there is room, and
//! whether a fault rule answers a command instead are asked of the host through [`Env`].

use std::collections::VecDeque;

use crate::line::{Held, Line, LineEnds, LineReader};
use crate::session::{CommandContext, Env, Output, RcptVerdict, Request, Session, SessionState};
#[cfg(feature = "trust")]
use crate::session::{Verdict, Verify};
use crate::smtp::auth::{self, MAX_AUTH_LINE, Mechanism, PlainError};
use crate::smtp::command::{self, Command};
use crate::smtp::data::{DataEnd, DataProblem, DataReader};
use crate::smtp::reply::{Reply, ReplyCode};
use crate::smtp::{MAX_COMMAND_LINE, MAX_MAIL_LINE_AUTH, MAX_MESSAGE_SIZE, MAX_RECIPIENTS};
use crate::time::{SimDuration, SimTime, rfc5322_date};
use crate::trace::{EventKind, Status};

/// A server closes a connection that has been idle this long: "An SMTP server SHOULD have
/// a timeout of at least 5 minutes while it is awaiting the next command from the sender"
/// (RFC 5321 §4.5.3.2.7).
pub const SERVER_TIMEOUT: SimDuration = SimDuration::from_secs(5 * 60);

/// What a client may send while the host checks its message, before the reply to the end
/// of data: a pipelined group of commands at most (RFC 2920 §3.1). A client that sends more
/// is told `421` once the message is answered, and the connection closes: input is never
/// dropped in a way that could turn data into a command.
#[cfg(feature = "trust")]
pub const MAX_INPUT_WHILE_CHECKING: usize = 8 * MAX_COMMAND_LINE;

/// How a server presents itself and its limits. Who may send what to whom is not here: it
/// is asked of the host through [`Env`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Its own name, used in the greeting, EHLO and `Received:`.
    pub hostname: String,
    /// The first local domain, for `RCPT TO:<Postmaster>` without a domain (RFC 5321 §4.1.1.3).
    pub postmaster_domain: Option<String>,
    pub max_message_size: usize,
    pub max_recipients: usize,
    /// Idle time before the server says `421` and closes.
    pub timeout: SimDuration,
    /// A message submission agent (RFC 6409, port 587): offers AUTH, takes mail only from
    /// logged-in users and only from their own address, and adds a missing `Date:` and
    /// `Message-ID:` (§8.2, §8.3).
    pub submission: bool,
    /// Whether STARTTLS is offered, or required before anything else (RFC 3207).
    pub tls: TlsPolicy,
    /// Passwords only over TLS: AUTH before STARTTLS gets `538 5.7.11` (RFC 4954 §6).
    pub auth_needs_tls: bool,
    /// The host checks who sent each message (SPF, DKIM, DMARC) before the server answers
    /// its end of data: the server asks with [`Request::Verify`] and waits for the verdict.
    #[cfg(feature = "trust")]
    pub check_senders: bool,
}

/// What a server says about TLS (RFC 3207).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TlsPolicy {
    /// STARTTLS is not offered (`502`).
    #[default]
    Off,
    /// STARTTLS is offered; the client may go on without it.
    Offered,
    /// Every command but NOOP, EHLO, STARTTLS and QUIT gets `530 5.7.0` until the client
    /// has switched to TLS (RFC 3207 §4).
    Required,
}

impl ServerConfig {
    pub fn new(hostname: &str) -> ServerConfig {
        ServerConfig {
            hostname: hostname.to_string(),
            postmaster_domain: None,
            max_message_size: MAX_MESSAGE_SIZE,
            max_recipients: MAX_RECIPIENTS,
            timeout: SERVER_TIMEOUT,
            submission: false,
            tls: TlsPolicy::Off,
            auth_needs_tls: false,
            #[cfg(feature = "trust")]
            check_senders: false,
        }
    }
}

/// Who is connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The client's IP address.
    pub addr: String,
    /// Its name from reverse DNS, if known.
    pub name: Option<String>,
}

/// The server's state, named after the step of RFC 5321 §4.1.4's command sequence it
/// waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Just connected: the `220` greeting sent (or on its way) and nothing heard from the
    /// client yet; EHLO or HELO must come first (RFC 5321 §3.1, §4.1.4).
    Greeting,
    /// The client has spoken, but not EHLO or HELO (or HELO, where an extension it wants
    /// needs EHLO), or TLS has just started over (RFC 3207 §4.2): EHLO or HELO first.
    ExpectHelo,
    /// Greeted, but nothing more is taken in the clear: STARTTLS first, where TLS is
    /// required (RFC 3207 §4) or where a submission server takes passwords only over it
    /// (RFC 4954 §6).
    ExpectStartTls,
    /// Greeted, on a submission port, but no one has logged in: AUTH first (RFC 6409 §4.3,
    /// RFC 4954 §6: MAIL gets `530`).
    ExpectAuth,
    /// Ready for a new transaction.
    ExpectMail,
    /// MAIL accepted; at least one RCPT must follow.
    ExpectRcpt,
    /// At least one recipient accepted; more RCPT, or DATA.
    ExpectRcptOrData,
    /// After 354: reading the message until `CRLF.CRLF`.
    ReceivingData,
    /// The whole message is in; the host checks who sent it (SPF, DKIM, DMARC) before the
    /// server answers it ([`Request::Verify`]).
    CheckingSender,
    /// In an AUTH exchange: a `334` challenge was sent, the client's answer is awaited
    /// (RFC 4954 §4).
    AuthExchange,
    /// After `220` to STARTTLS: waiting for the TLS handshake; anything sent in the clear
    /// meanwhile is discarded (RFC 3207 §4.2).
    TlsHandshake,
    /// The greeting refused service (`554`): only QUIT is answered, every other command
    /// gets `503` (RFC 5321 §3.1).
    NoService,
    /// QUIT answered (or the connection ended); the connection is closing.
    Closed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Greeting => "Greeting",
            State::ExpectHelo => "ExpectHelo",
            State::ExpectStartTls => "ExpectStartTls",
            State::ExpectAuth => "ExpectAuth",
            State::ExpectMail => "ExpectMail",
            State::ExpectRcpt => "ExpectRcpt",
            State::ExpectRcptOrData => "ExpectRcptOrData",
            State::ReceivingData => "ReceivingData",
            State::CheckingSender => "CheckingSender",
            State::AuthExchange => "AuthExchange",
            State::TlsHandshake => "TlsHandshake",
            State::NoService => "NoService",
            State::Closed => "Closed",
        }
    }

    /// In plain words, for a student. While its reply is still on the way (`sending`), the
    /// server "replies" first, so the words never run ahead of the transcript.
    pub fn describe(self, sending: bool) -> &'static str {
        match (self, sending) {
            (State::Greeting, true) => "greets the client (220)",
            (State::Greeting | State::ExpectHelo, false) => "waits for the client to say hello (EHLO)",
            (State::ExpectHelo, true) => "replies; then waits for EHLO",
            (State::ExpectStartTls, true) => "replies; then waits for STARTTLS",
            (State::ExpectStartTls, false) => "wants TLS first: waits for STARTTLS",
            (State::ExpectAuth, true) => "replies; then waits for the login (AUTH)",
            (State::ExpectAuth, false) => "wants a login first: waits for AUTH",
            (State::ExpectMail, true) => "replies; then waits for MAIL FROM",
            (State::ExpectMail, false) => "ready for a message: waits for MAIL FROM",
            (State::ExpectRcpt, true) => "replies; then waits for RCPT TO",
            (State::ExpectRcpt, false) => "knows the sender: waits for RCPT TO",
            (State::ExpectRcptOrData, true) => "replies; then waits for RCPT TO or DATA",
            (State::ExpectRcptOrData, false) => "waits for another RCPT TO, or DATA",
            (State::ReceivingData, true) => "replies 354; then reads the message",
            (State::ReceivingData, false) => "reads the message up to the lone dot",
            (State::CheckingSender, _) => "checks who sent the message before it answers",
            (State::AuthExchange, true) => "asks for the login (334)",
            (State::AuthExchange, false) => "waits for the client's login data",
            (State::TlsHandshake, true) => "replies 220; then starts TLS",
            (State::TlsHandshake, false) => "waits for the TLS handshake",
            (State::NoService, true) => "refuses service",
            (State::NoService, false) => "refused service: waits for QUIT",
            (State::Closed, _) => "closing the connection",
        }
    }
}

/// A message the server has accepted (it answered 250 to the final dot): from now on it
/// must be delivered or bounced, never lost (RFC 5321 §4.1.1.4, §6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The server's queue id, also in the 250 reply and the `Received:` header.
    pub id: String,
    /// The reverse-path; empty for a bounce.
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message with this server's `Received:` header on top.
    pub message: Vec<u8>,
    pub received_at: SimTime,
    /// File it in each local recipient's Junk folder, not the INBOX: the host's checks found
    /// that its domain asks for that (DMARC `p=quarantine`, RFC 7489 §6.3).
    pub junk: bool,
}

#[derive(Clone, Debug, Default)]
struct Transaction {
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

/// What the server is reading now.
#[derive(Clone, Debug)]
enum Reading {
    /// Command lines.
    Commands,
    /// The message after `354`, until `CRLF.CRLF`.
    Data(DataReader),
    /// The client's answer to a `334` challenge (RFC 4954 §4).
    Auth(AuthStep),
    /// Nothing: the TLS handshake is due, and plaintext is discarded (RFC 3207 §4.2).
    Handshake,
    /// Nothing yet: the host checks the message of [`Request::Verify`]; what the client
    /// sends meanwhile is kept (at most [`MAX_INPUT_WHILE_CHECKING`]) and read after the
    /// reply.
    #[cfg(feature = "trust")]
    Checking { accepted: Box<Accepted>, held: Vec<u8>, overflow: bool },
}

/// Which answer an AUTH exchange waits for.
#[derive(Clone, Debug)]
enum AuthStep {
    /// The PLAIN message (RFC 4616 §2).
    Plain,
    /// LOGIN's user name.
    LoginUser,
    /// LOGIN's password, for this user.
    LoginPassword(String),
}

/// One SMTP server session.
#[derive(Clone, Debug)]
pub struct SmtpServer {
    config: ServerConfig,
    peer: Peer,
    state: State,
    /// What the client called itself, and whether it used EHLO.
    helo: Option<(String, bool)>,
    lines: LineReader,
    reading: Reading,
    tx: Transaction,
    out: VecDeque<Output>,
    /// Messages accepted in this session, for queue ids.
    accepted: u32,
    /// Prefix of this session's queue ids.
    session_id: String,
    /// When the idle timeout runs out.
    deadline: SimTime,
    /// Whether the client's octets complete a line: the timeout restarts per line.
    line_ends: LineEnds,
    /// The connection is encrypted (after STARTTLS and the handshake).
    tls_active: bool,
    /// Who logged in with AUTH, if anyone.
    user: Option<String>,
}

/// How long a command line may be: 512 octets, and for MAIL 500 more where AUTH is offered
/// (RFC 4954 §3).
fn command_limit(config: &ServerConfig) -> usize {
    if config.submission { MAX_MAIL_LINE_AUTH } else { MAX_COMMAND_LINE }
}

/// `500 5.5.2` for a line over `max` octets (RFC 5321 §4.5.3.1.4, §4.5.3.1.9).
fn line_too_long(max: usize) -> Reply {
    Reply::of(ReplyCode::LineError, format!("Line too long (at most {max} octets)"))
}

impl SmtpServer {
    /// A client connected at `now`: queues the `220` greeting (RFC 5321 §4.2, §3.1).
    /// `session_id` makes the queue ids unique (e.g. a connection counter).
    pub fn new(config: ServerConfig, peer: Peer, session_id: &str, now: SimTime) -> SmtpServer {
        let greeting = Reply::of(ReplyCode::Greeting, format!("{} ESMTP Mailroom ready", config.hostname));
        let deadline = now.plus(config.timeout);
        let lines = LineReader::crlf(command_limit(&config));
        let mut s = SmtpServer {
            config,
            peer,
            state: State::Greeting,
            helo: None,
            lines,
            reading: Reading::Commands,
            tx: Transaction::default(),
            out: VecDeque::new(),
            accepted: 0,
            session_id: session_id.to_string(),
            deadline,
            line_ends: LineEnds::default(),
            tls_active: false,
            user: None,
        };
        s.reply(None, greeting);
        s
    }

    /// A server whose greeting is `greeting` instead of `220` (a fault rule of the world):
    /// `554` refuses service and then answers only QUIT; `421` closes at once
    /// (RFC 5321 §3.1, §3.8).
    pub fn with_greeting(
        config: ServerConfig,
        peer: Peer,
        session_id: &str,
        now: SimTime,
        greeting: Reply,
    ) -> SmtpServer {
        let mut s = SmtpServer::new(config, peer, session_id, now);
        s.out.clear();
        let code = greeting.code;
        s.reply(None, greeting);
        match code {
            200..=299 => {}
            421 => s.close(),
            _ => s.state = State::NoService,
        }
        s
    }

    pub fn server_state(&self) -> State {
        self.state
    }

    /// Who logged in with AUTH, if anyone.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// True once STARTTLS and its handshake have encrypted the connection.
    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    /// What the server holds of input it has not finished reading, each against its limit:
    /// the unfinished command or AUTH line, and in DATA the unfinished text line and the
    /// message so far. Nothing else grows with what the client sends.
    pub fn held(&self) -> Vec<Held> {
        let mut held = vec![self.lines.held("command line")];
        if let Reading::Data(data) = &self.reading {
            held.extend(data.held());
        }
        #[cfg(feature = "trust")]
        if let Reading::Checking { held: input, .. } = &self.reading {
            held.push(Held {
                what: "input while the message is checked",
                bytes: input.len(),
                limit: MAX_INPUT_WHILE_CHECKING,
            });
        }
        held
    }

    /// The client has taken everything this server sent, at `now` (its driver knows when
    /// the last octet left, or was acknowledged): the idle timeout restarts from then. It
    /// waits for the client's next command (RFC 5321 §4.5.3.2.7), so the time a slow client
    /// spends taking a long reply is not idleness. A driver that holds answers for the
    /// client does not act on [`Session::poll_timeout`] while they wait, and then calls this.
    pub fn handle_output_taken(&mut self, now: SimTime) {
        if self.state != State::Closed {
            self.deadline = self.deadline.max(now.plus(self.config.timeout));
        }
    }

    /// The host could not store the message of the [`Request::Accept`] just polled (no
    /// room; all or nothing, it kept none of it): the `250` queued right after the request
    /// becomes `452 4.3.1`, the one reply to the end of data (RFC 5321 §4.2.1, §4.1.1.4;
    /// RFC 3463 §3.4), so the client keeps the message and tries again later. The
    /// transaction is over either way; the session goes on (RSET, MAIL, QUIT).
    pub fn not_stored(&mut self) {
        if let Some(Output::Send { .. }) = self.out.front() {
            self.out.pop_front();
            self.reply(
                Some("DATA"),
                Reply::of(
                    ReplyCode::StorageFull,
                    "Insufficient system storage: message not accepted, try again later",
                ),
            );
            self.out.rotate_right(1);
        }
    }

    fn reply(&mut self, verb: Option<&str>, reply: Reply) {
        let kind = EventKind::Reply {
            status: Status::Smtp { code: reply.code, enhanced: reply.enhanced.clone() },
            to_verb: verb.map(str::to_string),
            answers: None,
        };
        self.out.push_back(Output::Send { bytes: reply.to_bytes(), kind });
    }

    /// A fault rule's refusal of `verb`: the state stays as it was, but a `421` closes the
    /// connection, as its text says ("closing transmission channel", RFC 5321 §3.8).
    fn refuse(&mut self, verb: &str, reply: Reply) {
        let closes = reply.code == 421;
        self.reply(Some(verb), reply);
        if closes {
            self.close();
        }
    }

    fn close(&mut self) {
        self.tx = Transaction::default();
        self.reading = Reading::Commands;
        self.state = State::Closed;
        self.out.push_back(Output::Close);
    }

    fn handle_line(&mut self, line: &[u8], env: &mut dyn Env) {
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(reply) => {
                let verb = command::verb_of(line);
                let verb = (!verb.is_empty()).then_some(verb);
                return self.reply(verb.as_deref(), reply);
            }
        };
        let verb = cmd.verb().to_string();
        if self.state == State::NoService && !matches!(cmd, Command::Quit) {
            return self.reply(Some(&verb), Reply::of(ReplyCode::BadSequence, "No service here: only QUIT"));
        }
        // Where TLS is required, only NOOP, EHLO, STARTTLS and QUIT are taken in the clear
        // (RFC 3207 §4).
        if self.config.tls == TlsPolicy::Required
            && !self.tls_active
            && !matches!(cmd, Command::Noop | Command::Ehlo(_) | Command::StartTls | Command::Quit)
        {
            return self.reply(
                Some(&verb),
                Reply::of(ReplyCode::AuthRequired, "Must issue a STARTTLS command first"),
            );
        }
        let rcpt = match &cmd {
            Command::Rcpt { to } => Some(to.as_str()),
            _ => None,
        };
        let ctx = CommandContext {
            verb: &verb,
            client_addr: &self.peer.addr,
            mail_from: self.tx.mail_from.as_deref(),
            rcpt,
        };
        // A fault rule of the world may answer instead, the state staying as it was; only a
        // command that would otherwise go ahead, so a bad sequence still gets its 503.
        if self.in_sequence(&cmd)
            && let Some(reply) = env.intercept(&ctx)
        {
            return self.refuse(&verb, reply);
        }
        let reply = self.handle_command(cmd, env);
        self.reply(Some(&verb), reply);
        if self.state == State::Closed {
            self.out.push_back(Output::Close);
        }
        // After the 220 to STARTTLS: the handshake (RFC 3207 §4).
        if let Reading::Handshake = self.reading {
            self.out.push_back(Output::Request(Request::StartTls));
        }
    }

    /// Greeted, with no transaction open: what the server waits for before a message, if
    /// anything ([`State::ExpectStartTls`], [`State::ExpectAuth`]), else MAIL. STARTTLS and
    /// AUTH are extensions, taken only after EHLO: after HELO, EHLO first (`503`).
    fn ready(&self) -> State {
        let clear = !self.tls_active && self.config.tls != TlsPolicy::Off;
        let no_user = self.config.submission && self.user.is_none();
        let first =
            if clear && (self.config.tls == TlsPolicy::Required || (no_user && self.config.auth_needs_tls)) {
                State::ExpectStartTls
            } else if no_user {
                State::ExpectAuth
            } else {
                return State::ExpectMail;
            };
        if self.greeted_by_ehlo() { first } else { State::ExpectHelo }
    }

    /// True when `cmd` comes at a moment where RFC 5321 §4.1.4 allows it.
    fn in_sequence(&self, cmd: &Command) -> bool {
        match cmd {
            Command::Mail { .. } => {
                self.helo.is_some()
                    && self.tx.mail_from.is_none()
                    && (self.user.is_some() || !self.config.submission)
            }
            Command::Rcpt { .. } => self.tx.mail_from.is_some(),
            Command::Data => !self.tx.rcpt_to.is_empty(),
            _ => true,
        }
    }

    /// One command; a bad sequence leaves the state as it was (RFC 5321 §4.1.4).
    fn handle_command(&mut self, cmd: Command, env: &mut dyn Env) -> Reply {
        let greeted = self.helo.is_some();
        match cmd {
            Command::Ehlo(name) => {
                // A second EHLO resets the transaction, like RSET (RFC 5321 §4.1.4).
                self.tx = Transaction::default();
                self.helo = Some((name.clone(), true));
                self.state = self.ready();
                let mut lines = vec![
                    format!("{} greets {name}", self.config.hostname),
                    "PIPELINING".to_string(),
                    format!("SIZE {}", self.config.max_message_size),
                    "8BITMIME".to_string(),
                ];
                // STARTTLS only until TLS is on (RFC 3207 §4.2).
                if self.config.tls != TlsPolicy::Off && !self.tls_active {
                    lines.push("STARTTLS".to_string());
                }
                // Not while a password would travel in the clear and be refused (RFC 4954 §6:
                // "SHOULD NOT advertise mechanisms that are not permitted due to lack of
                // encryption"), so a client does not send it before the 538.
                if self.config.submission && (self.tls_active || !self.config.auth_needs_tls) {
                    lines.push(format!("AUTH {}", auth::MECHANISMS.join(" ")));
                }
                lines.push("ENHANCEDSTATUSCODES".to_string());
                lines.push("HELP".to_string());
                Reply::lines(ReplyCode::Hello, lines)
            }
            Command::Helo(name) => {
                self.tx = Transaction::default();
                self.helo = Some((name.clone(), false));
                self.state = self.ready();
                Reply::of(ReplyCode::Hello, format!("{} greets {name}", self.config.hostname))
            }
            Command::Mail { .. } if !greeted => Reply::of(ReplyCode::BadSequence, "Send EHLO or HELO first"),
            Command::Mail { .. } if self.tx.mail_from.is_some() => {
                Reply::of(ReplyCode::BadSequence, "Nested MAIL command: a transaction is already open")
            }
            // Parameters exist only in ESMTP, after EHLO (RFC 5321 §4.1.1.2, RFC 1870 §6).
            Command::Mail { size, body, auth, .. }
                if (size.is_some() || body.is_some() || auth) && self.helo.as_ref().is_some_and(|h| !h.1) =>
            {
                Reply::of(ReplyCode::UnsupportedParameter, "MAIL parameters need EHLO, not HELO")
            }
            // AUTH= only where EHLO offers AUTH (RFC 4954 §5; RFC 5321 §4.1.1.11: 555).
            Command::Mail { auth: true, .. } if !self.config.submission => {
                Reply::of(ReplyCode::UnsupportedParameter, "Unsupported MAIL parameter AUTH")
            }
            // A submission server takes mail only from users who logged in (RFC 6409 §4.3,
            // RFC 4954 §6).
            Command::Mail { .. } if self.config.submission && self.user.is_none() => {
                Reply::of(ReplyCode::AuthRequired, "Authentication required: log in with AUTH first")
            }
            // ... and only from their own address (RFC 6409 §6.1).
            Command::Mail { from, .. }
                if self.user.as_ref().is_some_and(|u| !u.eq_ignore_ascii_case(&from)) =>
            {
                let user = self.user.clone().unwrap_or_default();
                let shown = if from.is_empty() { "<>".to_string() } else { format!("<{from}>") };
                Reply::of(
                    ReplyCode::SenderNotOwned,
                    format!("Sender address {shown} is not owned by user {user}"),
                )
            }
            Command::Mail { from, size, .. } => {
                // SIZE over the fixed maximum: 552 5.3.4 (RFC 1870 §6.1).
                if size.is_some_and(|s| s > self.config.max_message_size) {
                    return Reply::of(
                        ReplyCode::TooBig,
                        format!(
                            "Message size exceeds the maximum of {} octets",
                            self.config.max_message_size
                        ),
                    );
                }
                // A temporary lack of room: 452 4.3.1 (RFC 1870 §6.1).
                if !env.storage_available() {
                    return Reply::of(ReplyCode::StorageFull, "Insufficient system storage, try again later");
                }
                let shown = if from.is_empty() { "<>".to_string() } else { format!("<{from}>") };
                self.tx.mail_from = Some(from);
                self.state = State::ExpectRcpt;
                Reply::of(ReplyCode::SenderOk, format!("Sender {shown} OK"))
            }
            Command::Rcpt { .. } if self.tx.mail_from.is_none() => {
                Reply::of(ReplyCode::BadSequence, "Need MAIL before RCPT")
            }
            Command::Rcpt { to } => self.rcpt(to, env),
            Command::Data if self.tx.mail_from.is_none() => {
                Reply::of(ReplyCode::BadSequence, "Need MAIL and RCPT before DATA")
            }
            Command::Data if self.tx.rcpt_to.is_empty() => {
                Reply::of(ReplyCode::BadSequence, "No valid recipients: need RCPT before DATA")
            }
            Command::Data => {
                self.state = State::ReceivingData;
                self.reading = Reading::Data(DataReader::new(self.config.max_message_size));
                Reply::of(ReplyCode::StartData, "End data with <CR><LF>.<CR><LF>")
            }
            Command::Rset => {
                self.tx = Transaction::default();
                if greeted {
                    self.state = self.ready();
                }
                Reply::of(ReplyCode::Ok, "Reset OK")
            }
            // VRFY is answered 252 so that addresses cannot be harvested (RFC 5321 §3.5.3, §7.3).
            Command::Vrfy(_) => Reply::of(
                ReplyCode::CannotVerify,
                "Cannot VRFY user, but will accept the message and attempt delivery",
            ),
            Command::Expn(_) => Reply::of(ReplyCode::NotOffered, "EXPN is not offered here"),
            Command::Help(_) => Reply::lines(
                ReplyCode::Help,
                vec![
                    "Mailroom's simulated SMTP server. Commands:".to_string(),
                    "EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT".to_string(),
                    "Read RFC 5321 for what each of them does.".to_string(),
                ],
            ),
            Command::Noop => Reply::of(ReplyCode::Ok, "OK"),
            Command::StartTls => self.starttls(),
            Command::Auth { mechanism, initial } => self.auth(&mechanism, initial.as_deref(), env),
            Command::Quit => {
                self.tx = Transaction::default();
                self.state = State::Closed;
                Reply::of(ReplyCode::Closing, format!("{} closing connection", self.config.hostname))
            }
            Command::NotImplemented(verb) => {
                Reply::of(ReplyCode::NotOffered, format!("{verb} is not offered here"))
            }
        }
    }

    fn rcpt(&mut self, to: String, env: &mut dyn Env) -> Reply {
        // Beyond the limit: 452, and the recipients accepted so far are kept (RFC 5321 §4.5.3.1.10).
        if self.tx.rcpt_to.len() >= self.config.max_recipients {
            return Reply::of(ReplyCode::TooManyRecipients, "Too many recipients");
        }
        // `<Postmaster>` without a domain means this host's postmaster (RFC 5321 §4.1.1.3), and
        // so does postmaster at the host's own name, the one it greets with and signs its
        // bounces from (§4.5.1: postmaster at every domain it serves).
        let own = to.split_once('@').is_some_and(|(local, domain)| {
            local.eq_ignore_ascii_case("postmaster") && domain.eq_ignore_ascii_case(&self.config.hostname)
        });
        let to = if to == "postmaster" || own {
            let domain =
                self.config.postmaster_domain.clone().unwrap_or_else(|| self.config.hostname.clone());
            format!("postmaster@{domain}")
        } else {
            to
        };
        match env.recipient(&self.peer.addr, &to) {
            RcptVerdict::Local(mailbox) => {
                self.accept_rcpt(mailbox);
                Reply::of(ReplyCode::RecipientOk, format!("Recipient <{to}> OK"))
            }
            RcptVerdict::Relay => {
                self.accept_rcpt(to.clone());
                Reply::of(ReplyCode::RecipientOk, format!("Recipient <{to}> OK, will relay"))
            }
            RcptVerdict::NoSuchUser => Reply::of(ReplyCode::NoSuchUser, format!("<{to}>: no such user here")),
            RcptVerdict::Full => {
                Reply::of(ReplyCode::MailboxFull, format!("<{to}>: mailbox full, try again later"))
            }
            // A logged-in user may send anywhere: that is what submission is for (RFC 6409 §4).
            RcptVerdict::RelayDenied if self.user.is_some() => {
                self.accept_rcpt(to.clone());
                Reply::of(ReplyCode::RecipientOk, format!("Recipient <{to}> OK, will relay"))
            }
            RcptVerdict::RelayDenied => {
                Reply::of(ReplyCode::RelayDenied, format!("<{to}>: relay access denied"))
            }
        }
    }

    /// True once the client greeted with EHLO: only its answer offers an extension (RFC 5321
    /// §4.1.1.1), so after HELO, or before any greeting, the client was never told of
    /// STARTTLS or AUTH (`503`).
    fn greeted_by_ehlo(&self) -> bool {
        self.helo.as_ref().is_some_and(|h| h.1)
    }

    /// STARTTLS (RFC 3207 §4): `220`, then the handshake; nothing sent in the clear after
    /// the command is read as a command (§4.2; the CVE-2011-0411 class of bugs).
    fn starttls(&mut self) -> Reply {
        if self.config.tls == TlsPolicy::Off {
            return Reply::of(ReplyCode::NotOffered, "STARTTLS is not offered here");
        }
        if self.tls_active {
            return Reply::of(ReplyCode::BadSequence, "TLS is already active");
        }
        if !self.greeted_by_ehlo() {
            return Reply::of(ReplyCode::BadSequence, "Send EHLO first: STARTTLS is an SMTP extension");
        }
        if self.tx.mail_from.is_some() {
            return Reply::of(ReplyCode::BadSequence, "STARTTLS is not allowed inside a mail transaction");
        }
        self.state = State::TlsHandshake;
        self.reading = Reading::Handshake;
        self.lines.clear();
        Reply::of(ReplyCode::ReadyForTls, "Ready to start TLS")
    }

    /// AUTH (RFC 4954 §4): checks when it may start, then answers at once (an initial
    /// response) or with a `334` challenge.
    fn auth(&mut self, mechanism: &str, initial: Option<&str>, env: &mut dyn Env) -> Reply {
        if !self.config.submission {
            return Reply::of(ReplyCode::NotOffered, "AUTH is not offered here");
        }
        if !self.greeted_by_ehlo() {
            return Reply::of(ReplyCode::BadSequence, "Send EHLO first: AUTH is an SMTP extension");
        }
        if self.user.is_some() {
            return Reply::of(ReplyCode::BadSequence, "Already authenticated");
        }
        if self.tx.mail_from.is_some() {
            return Reply::of(ReplyCode::BadSequence, "AUTH is not allowed inside a mail transaction");
        }
        let Some(mech) = Mechanism::named(mechanism) else {
            return Reply::of(
                ReplyCode::UnknownMechanism,
                format!("Unrecognized authentication type: offered are {}", auth::MECHANISMS.join(" ")),
            );
        };
        if self.config.auth_needs_tls && !self.tls_active {
            return Reply::of(
                ReplyCode::EncryptionRequired,
                "Encryption required for requested authentication mechanism: use STARTTLS first",
            );
        }
        let step = match mech {
            Mechanism::Plain => AuthStep::Plain,
            Mechanism::Login => AuthStep::LoginUser,
        };
        match initial {
            Some(text) => self.auth_answer(step, text, env),
            None => self.challenge(step),
        }
    }

    /// Sends the challenge for `step` and waits for the answer.
    fn challenge(&mut self, step: AuthStep) -> Reply {
        let text = match step {
            AuthStep::Plain => "",
            AuthStep::LoginUser => auth::LOGIN_USERNAME,
            AuthStep::LoginPassword(_) => auth::LOGIN_PASSWORD,
        };
        self.state = State::AuthExchange;
        self.reading = Reading::Auth(step);
        self.lines.set_max(MAX_AUTH_LINE);
        Reply::of(ReplyCode::AuthChallenge, text)
    }

    /// Ends the AUTH exchange with `reply`: back to commands.
    fn auth_done(&mut self, reply: Reply) -> Reply {
        self.state = self.ready();
        self.reading = Reading::Commands;
        self.lines.set_max(command_limit(&self.config));
        reply
    }

    /// The client's answer `text` (base64) at `step`.
    fn auth_answer(&mut self, step: AuthStep, text: &str, env: &mut dyn Env) -> Reply {
        // "*" cancels the exchange: 501 (RFC 4954 §4).
        if text == "*" {
            return self.auth_done(Reply::of(ReplyCode::AuthCancelled, "Authentication cancelled"));
        }
        let Some(bytes) = auth::decode(text) else {
            return self
                .auth_done(Reply::of(ReplyCode::BadSyntax, "Invalid base64 data: authentication ended"));
        };
        let (user, password) = match step {
            AuthStep::Plain => match auth::parse_plain(&bytes) {
                Ok(pair) => pair,
                Err(PlainError::Malformed) => {
                    return self.auth_done(Reply::of(
                        ReplyCode::BadSyntax,
                        "Malformed PLAIN data: expected [authzid] NUL user NUL password",
                    ));
                }
                Err(PlainError::OtherIdentity { .. }) => {
                    return self.auth_done(Reply::of(
                        ReplyCode::AuthFailed,
                        "Authentication credentials invalid: you may not act as another user",
                    ));
                }
            },
            AuthStep::LoginUser => {
                return match String::from_utf8(bytes) {
                    Ok(user) if !user.is_empty() => self.challenge(AuthStep::LoginPassword(user)),
                    _ => self.auth_done(Reply::of(ReplyCode::BadSyntax, "Malformed user name")),
                };
            }
            AuthStep::LoginPassword(user) => match String::from_utf8(bytes) {
                Ok(password) => (user, password),
                Err(_) => return self.auth_done(Reply::of(ReplyCode::BadSyntax, "Malformed password")),
            },
        };
        if env.check_password(&user, &password) {
            self.user = Some(user);
            self.auth_done(Reply::of(ReplyCode::AuthOk, "Authentication successful"))
        } else {
            self.auth_done(Reply::of(ReplyCode::AuthFailed, "Authentication credentials invalid"))
        }
    }

    /// One line of an AUTH exchange.
    fn handle_auth_line(&mut self, step: AuthStep, line: Line, env: &mut dyn Env) {
        let reply = match line {
            Line::TooLong { .. } => self.auth_done(Reply::of(
                ReplyCode::LineError,
                format!("Line too long (at most {MAX_AUTH_LINE} octets): authentication ended"),
            )),
            // Only CRLF ends the line: a bare LF is inside it, and no base64 (501, RFC 4954 §4).
            Line::Complete { text, .. } => match std::str::from_utf8(&text) {
                Ok(text) => self.auth_answer(step, text.trim_end_matches(' '), env),
                Err(_) => self
                    .auth_done(Reply::of(ReplyCode::BadSyntax, "Invalid base64 data: authentication ended")),
            },
        };
        self.reply(Some("AUTH"), reply);
    }

    fn accept_rcpt(&mut self, to: String) {
        if !self.tx.rcpt_to.contains(&to) {
            self.tx.rcpt_to.push(to);
        }
        self.state = State::ExpectRcptOrData;
    }

    fn finish_data(&mut self, end: DataEnd, now: SimTime, env: &mut dyn Env) {
        let tx = std::mem::take(&mut self.tx);
        self.state = self.ready();
        // A fault rule may answer the end of data instead (the message is then not taken).
        if let DataEnd::Complete(_) = &end {
            let ctx = CommandContext {
                verb: "MESSAGE",
                client_addr: &self.peer.addr,
                mail_from: tx.mail_from.as_deref(),
                rcpt: None,
            };
            // Only a refusal: a rule can never make the server claim a message it did not keep.
            if let Some(reply) = env.intercept(&ctx).filter(|r| !r.is_positive()) {
                return self.refuse("DATA", reply);
            }
        }
        let reply = match end {
            DataEnd::Rejected(DataProblem::BareLineEnd) => Reply::of(
                ReplyCode::ContentRefused,
                "Message refused: bare LF or CR in the data; lines must end with CRLF",
            ),
            DataEnd::Rejected(DataProblem::Nul) => {
                Reply::of(ReplyCode::ContentRefused, "Message refused: a NUL octet in the data")
            }
            DataEnd::Rejected(DataProblem::LineTooLong) => {
                Reply::of(ReplyCode::ContentRefused, "Message refused: a line is longer than 1000 octets")
            }
            DataEnd::Rejected(DataProblem::TooBig) => Reply::of(
                ReplyCode::TooBig,
                format!("Message size exceeds the maximum of {} octets", self.config.max_message_size),
            ),
            DataEnd::Complete(message) => {
                self.accepted += 1;
                let id = format!("{}{:02}", self.session_id, self.accepted);
                let message = self.add_received(&message, &id, &tx.rcpt_to, now);
                let message =
                    if self.config.submission { self.complete_header(message, &id, now) } else { message };
                let accepted = Accepted {
                    id: id.clone(),
                    mail_from: tx.mail_from.unwrap_or_default(),
                    rcpt_to: tx.rcpt_to,
                    message,
                    received_at: now,
                    junk: false,
                };
                #[cfg(feature = "trust")]
                if self.config.check_senders {
                    self.out.push_back(Output::Request(Request::Verify(Verify {
                        client_addr: self.peer.addr.clone(),
                        helo: self.helo.as_ref().map(|(h, _)| h.clone()).unwrap_or_default(),
                        mail_from: accepted.mail_from.clone(),
                        message: accepted.message.clone(),
                    })));
                    let accepted = Box::new(accepted);
                    self.reading = Reading::Checking { accepted, held: Vec::new(), overflow: false };
                    self.state = State::CheckingSender;
                    return;
                }
                self.out.push_back(Output::Request(Request::Accept(accepted)));
                Reply::of(ReplyCode::Ok, format!("OK: queued as {id}"))
            }
        };
        self.reply(Some("DATA"), reply);
    }

    /// A submission server adds the `Date:` and `Message-ID:` a message lacks
    /// (RFC 6409 §8.2, §8.3), at the end of its header section: after the `Received:` just
    /// put on top, so that a message that had no header section gets these.
    fn complete_header(&self, message: Vec<u8>, id: &str, now: SimTime) -> Vec<u8> {
        let has = |name: &str| crate::mail::header(&message, name).is_some();
        let mut added = String::new();
        if !has("Date") {
            added.push_str(&format!("Date: {}\r\n", rfc5322_date(now)));
        }
        if !has("Message-ID") {
            added.push_str(&format!("Message-ID: <{id}@{}>\r\n", self.config.hostname));
        }
        if added.is_empty() {
            return message;
        }
        // At the end of the header section (RFC 5322 §2.1), which begins with `Received:`.
        let at = crate::mail::header_section(&message).len();
        let mut out = Vec::with_capacity(message.len() + added.len());
        out.extend_from_slice(&message[..at]);
        out.extend_from_slice(added.as_bytes());
        out.extend_from_slice(&message[at..]);
        out
    }

    /// Prepends this hop's `Received:` header (RFC 5321 §4.4).
    fn add_received(&self, message: &[u8], id: &str, rcpts: &[String], now: SimTime) -> Vec<u8> {
        let (helo, esmtp) = self.helo.clone().unwrap_or_default();
        // TCP-info: the name from reverse DNS when known, and always the address (§4.4).
        let tcp_info = match &self.peer.name {
            Some(name) => format!("{name} [{}]", self.peer.addr),
            None => format!("[{}]", self.peer.addr),
        };
        // RFC 3848: ESMTP, plus S for TLS and A for a logged-in client.
        let with = match (esmtp, self.tls_active, self.user.is_some()) {
            (false, _, _) => "SMTP",
            (true, false, false) => "ESMTP",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, true, true) => "ESMTPSA",
        };
        let mut header = format!(
            "Received: from {helo} ({tcp_info})\r\n\tby {} (Mailroom) with {with} id {id}",
            self.config.hostname
        );
        // The `for` clause only for a single recipient, so others are not disclosed.
        if let [one] = rcpts {
            header.push_str(&format!("\r\n\tfor <{one}>"));
        }
        header.push_str(&format!("; {}\r\n", rfc5322_date(now)));
        let mut out = header.into_bytes();
        out.extend_from_slice(message);
        out
    }
}

impl Session for SmtpServer {
    fn handle_input(&mut self, mut input: &[u8], now: SimTime, env: &mut dyn Env) {
        // The server's timeout waits for the next command (RFC 5321 §4.5.3.2.7), and in DATA
        // for the message to go on: it restarts when a line is complete, a command, an AUTH
        // answer or a line of the message, not at every octet, so a client that sends a byte
        // at a time is timed out all the same. (§4.5.3.2.5 and .6 are the client's timeouts.)
        if self.line_ends.complete(input) && self.state != State::Closed {
            self.deadline = now.plus(self.config.timeout);
        }
        while !input.is_empty() && self.state != State::Closed {
            // Plaintext after STARTTLS, before the handshake: discarded, never run as a
            // command (RFC 3207 §4.2).
            if let Reading::Handshake = self.reading {
                return;
            }
            #[cfg(feature = "trust")]
            if let Reading::Checking { held, overflow, .. } = &mut self.reading {
                let room = MAX_INPUT_WHILE_CHECKING - held.len();
                held.extend_from_slice(&input[..input.len().min(room)]);
                *overflow |= input.len() > room;
                return;
            }
            if let Reading::Auth(step) = &self.reading {
                let step = step.clone();
                let Some(line) = self.lines.read(&mut input) else {
                    return;
                };
                self.handle_auth_line(step, line, env);
                continue;
            }
            if let Reading::Data(data) = &mut self.reading {
                let Some(end) = data.read(&mut input) else {
                    return;
                };
                self.reading = Reading::Commands;
                self.finish_data(end, now, env);
                continue;
            }
            let Some(line) = self.lines.read(&mut input) else {
                return;
            };
            // The client has spoken: what the server sends from now on answers it.
            if self.state == State::Greeting {
                self.state = State::ExpectHelo;
            }
            match line {
                // Over-long lines are discarded to their end and answered; the tail is
                // never run as a command (RFC 5321 §4.5.3.1.4, §4.5.3.1.9).
                Line::TooLong { .. } => self.reply(None, line_too_long(command_limit(&self.config))),
                // Longer than 512 octets where AUTH is offered: only MAIL may be (RFC 4954 §3).
                Line::Complete { text, .. }
                    if text.len() + 2 > MAX_COMMAND_LINE && command::verb_of(&text) != "MAIL" =>
                {
                    let verb = command::verb_of(&text);
                    self.reply((!verb.is_empty()).then_some(verb.as_str()), line_too_long(MAX_COMMAND_LINE))
                }
                // Only CRLF ends a command (RFC 5321 §2.3.8: a bare LF is not a line end in
                // SMTP): a bare LF is inside the line, which gets one 501 (command::parse),
                // and what follows it is never run as a command.
                Line::Complete { text, .. } => self.handle_line(&text, env),
            }
        }
    }

    /// The client went away: an unfinished transaction is discarded (RFC 5321 §3.8).
    fn handle_close(&mut self, _now: SimTime) {
        self.tx = Transaction::default();
        self.reading = Reading::Commands;
        self.state = State::Closed;
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The handshake after STARTTLS is done: the server forgets everything it learnt in
    /// the clear (the EHLO name, a login, a transaction) and expects EHLO again
    /// (RFC 3207 §4.2).
    fn handle_tls(&mut self, now: SimTime) {
        if self.state != State::TlsHandshake {
            return;
        }
        self.tls_active = true;
        self.helo = None;
        self.user = None;
        self.tx = Transaction::default();
        self.reading = Reading::Commands;
        self.lines = LineReader::crlf(command_limit(&self.config));
        self.state = State::ExpectHelo;
        self.deadline = now.plus(self.config.timeout);
    }

    /// As a new session's: mail handed in on the submission port, by the host's own users,
    /// is not checked.
    #[cfg(feature = "trust")]
    fn check_senders(&mut self, on: bool) {
        self.config.check_senders = on && !self.config.submission;
    }

    /// The host checked the message (RFC 7208 §2.5, RFC 6376 §6, RFC 7489 §6.6): take it
    /// with the host's header fields on top and answer `250`, or refuse it; then read what
    /// the client sent meanwhile.
    #[cfg(feature = "trust")]
    fn handle_verdict(&mut self, verdict: Verdict, now: SimTime, env: &mut dyn Env) {
        let Reading::Checking { .. } = self.reading else {
            return;
        };
        let Reading::Checking { accepted, held, overflow } =
            std::mem::replace(&mut self.reading, Reading::Commands)
        else {
            return;
        };
        let mut accepted = *accepted;
        self.state = self.ready();
        match verdict {
            Verdict::Accept { header, junk } => {
                // A field that claims to be this host's results came with the message, from
                // someone else: it goes (RFC 8601 §5), so only the host's own are read.
                let own = |value: &str| {
                    let id = value.split(';').next().unwrap_or("").split_whitespace().next().unwrap_or("");
                    id.eq_ignore_ascii_case(&self.config.hostname)
                };
                let mut message = header.into_bytes();
                let received = crate::mail::header_section(&accepted.message).len();
                message.extend_from_slice(&crate::mail::without_fields(
                    &accepted.message[..received],
                    "Authentication-Results",
                    own,
                ));
                message.extend_from_slice(&accepted.message[received..]);
                accepted.message = message;
                accepted.junk = junk;
                let id = accepted.id.clone();
                self.out.push_back(Output::Request(Request::Accept(accepted)));
                self.reply(Some("DATA"), Reply::of(ReplyCode::Ok, format!("OK: queued as {id}")));
            }
            Verdict::Refuse(reply) => self.refuse("DATA", reply),
        }
        if overflow {
            let text =
                format!("{}: too much input before the reply to the message, closing", self.config.hostname);
            // 4.5.0: a protocol error (RFC 3463 §3.6).
            self.reply(None, Reply::custom(421, Some("4.5.0"), vec![text]));
            return self.close();
        }
        self.handle_input(&held, now, env);
    }

    fn poll_timeout(&self) -> Option<SimTime> {
        (self.state != State::Closed).then_some(self.deadline)
    }

    /// An idle client is told `421` and the connection is closed (RFC 5321 §4.5.3.2.7,
    /// §3.8): an unfinished transaction is discarded.
    fn handle_timeout(&mut self, now: SimTime) {
        if self.state == State::Closed || now < self.deadline {
            return;
        }
        // While the host checks a message the wait is the server's own, not the client's
        // idleness: the timeout starts again (the host always answers, in bounded time).
        #[cfg(feature = "trust")]
        if let Reading::Checking { .. } = self.reading {
            self.deadline = now.plus(self.config.timeout);
            return;
        }
        let secs = self.config.timeout.0 / 1_000_000;
        let idle = if secs.is_multiple_of(60) {
            format!("{} minutes", secs / 60)
        } else {
            format!("{secs} seconds")
        };
        // In DATA the client owes message lines, in AUTH an answer, not a command.
        let owed = match self.reading {
            Reading::Data(_) => "no data",
            Reading::Auth(_) => "no answer",
            _ => "no command",
        };
        let text = format!("{} timeout: {owed} for {idle}, closing connection", self.config.hostname);
        self.reply(None, Reply::of(ReplyCode::Timeout, text));
        self.close();
    }

    fn state(&self) -> SessionState {
        SessionState::SmtpServer(self.state)
    }

    fn classify(&self, input: &[u8]) -> EventKind {
        match self.reading {
            Reading::Data(_) => EventKind::MessageData,
            Reading::Auth(_) => EventKind::AuthData,
            // Plaintext that the server will discard is still shown as what it looks like.
            // Commands, and plaintext that the server will discard (after STARTTLS) or keep
            // for later (while its host checks a message), shown as what it looks like.
            _ => {
                let line = input.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or(input);
                EventKind::Command { verb: command::verb_of(line) }
            }
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn is_closed(&self) -> bool {
        self.state == State::Closed
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use crate::session::Directory;

    pub(crate) fn config() -> ServerConfig {
        let mut c = ServerConfig::new("mx.example.net");
        c.postmaster_domain = Some("example.net".into());
        c
    }

    pub(crate) fn directory() -> Directory {
        Directory {
            local_domains: vec!["example.net".into()],
            mailboxes: vec!["bob@example.net".into(), "carol@example.net".into()],
            relay_clients: vec!["192.0.2.10".into()],
            relay_domains: Vec::new(),
            full: false,
        }
    }

    /// `"250 2.1.0"`, `"354"` or `"close"` for each output; accepted messages apart.
    pub(crate) fn drain(s: &mut SmtpServer, replies: &mut Vec<String>, accepted: &mut Vec<Accepted>) {
        while let Some(o) = s.poll_output() {
            match o {
                Output::Send {
                    kind: EventKind::Reply { status: Status::Smtp { code, enhanced }, .. },
                    ..
                } => replies.push(match enhanced {
                    Some(e) => format!("{code} {e}"),
                    None => code.to_string(),
                }),
                Output::Send { kind, .. } => panic!("a server sends replies only: {kind:?}"),
                Output::Request(Request::Accept(a)) => accepted.push(a),
                Output::Request(Request::StartTls) => replies.push("tls".into()),
                #[cfg(feature = "trust")]
                Output::Request(Request::Verify(v)) => replies.push(format!("verify {}", v.mail_from)),
                Output::Close => replies.push("close".into()),
            }
        }
    }

    fn peer(addr: &str) -> Peer {
        Peer { addr: addr.into(), name: Some("client.example".into()) }
    }

    /// Feeds `writes` one after the other and returns every reply as `"code enhanced"` or
    /// `"code"`, plus the accepted messages.
    fn run_from(addr: &str, writes: &[&[u8]]) -> (Vec<String>, Vec<Accepted>, SmtpServer) {
        let mut s = SmtpServer::new(config(), peer(addr), "A", SimTime::ZERO);
        let mut env = directory();
        let mut replies = Vec::new();
        let mut accepted = Vec::new();
        drain(&mut s, &mut replies, &mut accepted);
        for w in writes {
            s.handle_input(w, SimTime::ZERO, &mut env);
            drain(&mut s, &mut replies, &mut accepted);
        }
        (replies, accepted, s)
    }

    fn run(writes: &[&[u8]]) -> (Vec<String>, Vec<Accepted>, SmtpServer) {
        run_from("203.0.113.7", writes)
    }

    #[test]
    fn conformance_sequences() {
        let long_ok = format!("NOOP {}\r\n", "x".repeat(512 - 7));
        assert_eq!(long_ok.len(), 512);
        let too_long = format!("NOOP {}QUIT\r\n", "x".repeat(2000));
        let too_long_lf = format!("NOOP {}\nQUIT\r\nNOOP\r\n", "x".repeat(600));
        let cases: Vec<(&str, Vec<&[u8]>, Vec<&str>)> = vec![
            // 1. EHLO → multi-line 250 (wire form checked in `ehlo_is_multiline`).
            ("1 ehlo", vec![b"EHLO c.example\r\n"], vec!["220", "250"]),
            // 2. MAIL before EHLO → 503; then EHLO, MAIL → 250.
            (
                "2 mail before ehlo",
                vec![b"MAIL FROM:<a@example.org>\r\n", b"EHLO c\r\n", b"MAIL FROM:<a@example.org>\r\n"],
                vec!["220", "503 5.5.1", "250", "250 2.1.0"],
            ),
            // 3. RCPT before MAIL, DATA without RCPT, nested MAIL → 503.
            (
                "3 bad sequences",
                vec![
                    b"EHLO c\r\n",
                    b"RCPT TO:<bob@example.net>\r\n",
                    b"MAIL FROM:<a@example.org>\r\n",
                    b"DATA\r\n",
                    b"MAIL FROM:<a@example.org>\r\n",
                    b"RCPT TO:<bob@example.net>\r\n",
                ],
                vec!["220", "250", "503 5.5.1", "250 2.1.0", "503 5.5.1", "503 5.5.1", "250 2.1.5"],
            ),
            // 4. Arguments where none are allowed → 501; RSET → 250 and the connection stays.
            (
                "4 arguments",
                vec![b"EHLO c\r\n", b"RSET x\r\nDATA x\r\nQUIT x\r\nRSET\r\nNOOP\r\n"],
                vec!["220", "250", "501 5.5.4", "501 5.5.4", "501 5.5.4", "250 2.0.0", "250 2.0.0"],
            ),
            // 5. A 512-octet line is fine; a 2000-octet line → 500 and its tail is not run.
            (
                "5 line limits",
                vec![long_ok.as_bytes(), too_long.as_bytes(), b"NOOP\r\n"],
                vec!["220", "250 2.0.0", "500 5.5.2", "250 2.0.0"],
            ),
            // 8. PIPELINING: four commands in one write → four replies in order.
            (
                "8 pipelining",
                vec![b"EHLO c\r\n", b"MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nRCPT TO:<nobody@example.net>\r\nDATA\r\n"],
                vec!["220", "250", "250 2.1.0", "250 2.1.5", "550 5.1.1", "354"],
            ),
            (
                "unknown and not offered",
                vec![b"FROB\r\nSTARTTLS\r\nEXPN list\r\nVRFY bob\r\nHELP\r\n"],
                vec!["220", "500 5.5.1", "502 5.5.1", "502 5.5.1", "252 2.5.0", "214 2.0.0"],
            ),
            (
                "noop help vrfy rset never get 503",
                vec![b"NOOP\r\nHELP\r\nVRFY x\r\nRSET\r\n"],
                vec!["220", "250 2.0.0", "214 2.0.0", "252 2.5.0", "250 2.0.0"],
            ),
            (
                "relay denied for strangers",
                vec![b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<x@elsewhere.test>\r\n"],
                vec!["220", "250", "250 2.1.0", "550 5.7.1"],
            ),
            (
                "postmaster always exists",
                vec![b"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\nRCPT TO:<postmaster@example.net>\r\n"],
                vec!["220", "250", "250 2.1.0", "250 2.1.5", "250 2.1.5"],
            ),
            // At the name the server greets with and signs its bounces from, too.
            (
                "postmaster at the host's own name",
                vec![b"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<POSTMASTER@MX.example.net>\r\nRCPT TO:<bob@mx.example.net>\r\n"],
                vec!["220", "250", "250 2.1.0", "250 2.1.5", "550 5.7.1"],
            ),
            (
                "size over the maximum",
                vec![b"EHLO c\r\nMAIL FROM:<a@example.org> SIZE=99999999999\r\nMAIL FROM:<a@example.org> SIZE=100\r\n"],
                vec!["220", "250", "552 5.3.4", "250 2.1.0"],
            ),
            // RFC 1870 §3: up to 20 digits is a size-value, however large: 552, not 501.
            (
                "a size too large to count",
                vec![b"EHLO c\r\nMAIL FROM:<a@example.org> SIZE=99999999999999999999\r\nMAIL FROM:<a@example.org> SIZE=4294967296\r\n"],
                vec!["220", "250", "552 5.3.4", "552 5.3.4"],
            ),
            (
                "second EHLO resets the transaction",
                vec![b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nEHLO c\r\nRCPT TO:<bob@example.net>\r\n"],
                vec!["220", "250", "250 2.1.0", "250", "503 5.5.1"],
            ),
            ("quit closes", vec![b"QUIT\r\nNOOP\r\n"], vec!["220", "221 2.0.0", "close"]),
            // Only CRLF ends a command (RFC 5321 §2.3.8): a bare LF is inside the line, which
            // gets one reply; what follows the LF is never run, and the session goes on.
            (
                "a bare LF does not end a command",
                vec![b"NOOP\n", b"QUIT\nNOOP\r\n", b"NOOP\r\n"],
                vec!["220", "501 5.5.2", "250 2.0.0"],
            ),
            ("a bare LF inside a line", vec![b"NOOP\nQUIT\r\nNOOP\r\n"], vec!["220", "501 5.5.2", "250 2.0.0"]),
            (
                "a bare LF inside an over-long line",
                vec![too_long_lf.as_bytes()],
                vec!["220", "500 5.5.2", "250 2.0.0"],
            ),
            ("a CRLF split across writes", vec![b"NOOP\r", b"\nNOOP\r\n"], vec!["220", "250 2.0.0", "250 2.0.0"]),
            (
                "MAIL parameters need EHLO",
                vec![b"HELO c\r\nMAIL FROM:<a@example.org> SIZE=10\r\nMAIL FROM:<a@example.org>\r\n"],
                vec!["220", "250", "555 5.5.4", "250 2.1.0"],
            ),
            // AUTH= only where EHLO offers AUTH (RFC 4954 §5): not on port 25.
            (
                "no MAIL AUTH parameter without AUTH",
                vec![b"EHLO c\r\nMAIL FROM:<a@example.org> AUTH=<>\r\nMAIL FROM:<a@example.org>\r\n"],
                vec!["220", "250", "555 5.5.4", "250 2.1.0"],
            ),
        ];
        for (name, writes, want) in cases {
            let (got, _, _) = run(&writes);
            assert_eq!(got, want, "{name}");
        }
    }

    /// The host could not store an accepted message: the end of data gets `452 4.3.1`
    /// instead of its `250`, once, in its place among pipelined replies; the session goes on.
    #[test]
    fn a_message_the_host_cannot_store_gets_452() {
        let tx = b"MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n";
        let cases: Vec<(&str, &[u8], Vec<&str>)> = vec![
            ("alone", b"Hi\r\n.\r\n", vec!["452 4.3.1"]),
            (
                "pipelined after it",
                b"Hi\r\n.\r\nRSET\r\nNOOP\r\n",
                vec!["452 4.3.1", "250 2.0.0", "250 2.0.0"],
            ),
        ];
        for (name, end, want) in cases {
            let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
            let mut env = directory();
            let (mut replies, mut accepted) = (Vec::new(), Vec::new());
            s.handle_input(b"EHLO c\r\n", SimTime::ZERO, &mut env);
            s.handle_input(tx, SimTime::ZERO, &mut env);
            drain(&mut s, &mut replies, &mut accepted);
            assert_eq!(replies, ["220", "250", "250 2.1.0", "250 2.1.5", "354"], "{name}");
            replies.clear();
            s.handle_input(end, SimTime::ZERO, &mut env);
            // The driver, as mailroom-serve's: the request, then (storing failed) not_stored.
            assert!(matches!(s.poll_output(), Some(Output::Request(Request::Accept(_)))), "{name}");
            s.not_stored();
            drain(&mut s, &mut replies, &mut accepted);
            assert_eq!(replies, want, "{name}");
            assert_eq!(s.server_state(), State::ExpectMail, "{name}");
            replies.clear();
            s.handle_input(b"MAIL FROM:<a@example.org>\r\nQUIT\r\n", SimTime::ZERO, &mut env);
            drain(&mut s, &mut replies, &mut accepted);
            assert_eq!(replies, ["250 2.1.0", "221 2.0.0", "close"], "{name}");
        }
    }

    /// A message over the fixed maximum, sent without `SIZE=`, is refused after its final
    /// dot with `552 5.3.4` (RFC 5321 §4.5.3.1.10 "too much mail data", RFC 1870 §6.1,
    /// RFC 3463 §3.4): nothing is accepted, the transaction is over (the state is back to
    /// expecting MAIL, a RCPT now gets 503), the session goes on, and what the server held
    /// of the message never grew past the maximum. One at the maximum is taken.
    #[test]
    fn a_message_over_the_size_limit_gets_552_after_the_final_dot() {
        let line = b"aaaaaaaa\r\n"; // 10 octets
        let cases: [(&str, usize, &[u8], &str); 3] = [
            ("at the maximum", 10, b"", "250 2.0.0"),
            ("one line over", 10, b"b\r\n", "552 5.3.4"),
            ("far over", 5000, b"", "552 5.3.4"),
        ];
        for (name, lines, extra, want) in cases {
            let mut c = config();
            c.max_message_size = 100;
            let mut s = SmtpServer::new(c, peer("192.0.2.10"), "A", SimTime::ZERO);
            let mut env = directory();
            let (mut replies, mut accepted) = (Vec::new(), Vec::new());
            s.handle_input(
                b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
                SimTime::ZERO,
                &mut env,
            );
            drain(&mut s, &mut replies, &mut accepted);
            assert_eq!(replies, ["220", "250", "250 2.1.0", "250 2.1.5", "354"], "{name}");
            replies.clear();
            for _ in 0..lines {
                s.handle_input(line, SimTime::ZERO, &mut env);
                assert!(s.held().iter().all(|h| h.bytes <= h.limit), "{name}: {:?}", s.held());
            }
            s.handle_input(extra, SimTime::ZERO, &mut env);
            s.handle_input(b".\r\n", SimTime::ZERO, &mut env);
            drain(&mut s, &mut replies, &mut accepted);
            assert_eq!(replies, [want], "{name}");
            assert_eq!(accepted.len(), usize::from(want == "250 2.0.0"), "{name}");
            if let Some(a) = accepted.first() {
                assert!(a.message.ends_with(&line.repeat(lines)), "{name}");
            }
            assert_eq!(s.server_state(), State::ExpectMail, "{name}");
            replies.clear();
            s.handle_input(
                b"RCPT TO:<bob@example.net>\r\nMAIL FROM:<a@example.org>\r\n",
                SimTime::ZERO,
                &mut env,
            );
            drain(&mut s, &mut replies, &mut accepted);
            assert_eq!(replies, ["503 5.5.1", "250 2.1.0"], "{name}");
        }
    }

    #[test]
    fn full_storage_refuses_new_mail_for_now() {
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
        let mut env = Directory { full: true, ..directory() };
        s.handle_input(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\n", SimTime::ZERO, &mut env);
        let (mut replies, mut accepted) = (Vec::new(), Vec::new());
        drain(&mut s, &mut replies, &mut accepted);
        assert_eq!(replies.last().map(String::as_str), Some("452 4.3.1"));
        assert_eq!(s.server_state(), State::ExpectMail);
    }

    #[test]
    fn bad_sequence_leaves_state_unchanged() {
        let (_, _, s) = run(&[b"EHLO c\r\nMAIL FROM:<a@example.org>\r\n"]);
        assert_eq!(s.server_state(), State::ExpectRcpt);
        let mut s = s;
        s.handle_input(b"DATA\r\nMAIL FROM:<b@example.org>\r\n", SimTime::ZERO, &mut directory());
        assert_eq!(s.server_state(), State::ExpectRcpt);
    }

    #[test]
    fn ehlo_is_multiline_with_one_code() {
        let mut s = SmtpServer::new(config(), peer("198.51.100.1"), "A", SimTime::ZERO);
        s.poll_output();
        s.handle_input(b"EHLO c.example\r\n", SimTime::ZERO, &mut directory());
        let Some(Output::Send { bytes, .. }) = s.poll_output() else { panic!() };
        let wire = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = wire.split_terminator("\r\n").collect();
        assert!(lines.len() > 1);
        for (i, l) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            assert!(l.starts_with(&format!("250{sep}")), "{l}");
        }
        assert!(wire.contains("250-PIPELINING\r\n") && wire.contains("SIZE 10485760"));
    }

    #[test]
    fn a_whole_transaction_delivers_unstuffed_with_received() {
        let (replies, accepted, s) = run(&[
            b"EHLO laptop.example.org\r\n",
            b"MAIL FROM:<alice@example.org>\r\n",
            b"RCPT TO:<bob@example.net>\r\n",
            b"DATA\r\n",
            b"Subject: hi\r\n\r\n..x\r\n..\r\n...\r\n.\r\n",
        ]);
        assert_eq!(replies, ["220", "250", "250 2.1.0", "250 2.1.5", "354", "250 2.0.0"]);
        assert_eq!(s.server_state(), State::ExpectMail);
        let [a] = accepted.as_slice() else { panic!("{accepted:?}") };
        assert_eq!(a.mail_from, "alice@example.org");
        assert_eq!(a.rcpt_to, ["bob@example.net"]);
        let text = String::from_utf8(a.message.clone()).unwrap();
        assert!(text.starts_with("Received: from laptop.example.org (client.example [203.0.113.7])\r\n\tby mx.example.net (Mailroom) with ESMTP id A01\r\n\tfor <bob@example.net>; Mon, 30 Nov 2026 09:00:00 +0000\r\n"), "{text}");
        assert!(text.ends_with("Subject: hi\r\n\r\n.x\r\n.\r\n..\r\n"), "{text}");
    }

    /// A message is header fields, then optionally an empty line and the body (RFC 5322
    /// §2.1). One whose first line is no header field is all body: it is stored with the
    /// empty line first (as Postfix's cleanup does), so that the Received: field put on top
    /// does not make its first line a broken header line. Each message as sent, and what
    /// is stored after the trace field.
    #[test]
    fn a_message_without_header_fields_is_stored_with_the_empty_line_first() {
        let cases = [
            ("hi\r\n", "\r\nhi\r\n"),
            ("hi\r\n\r\nSubject: body\r\n", "\r\nhi\r\n\r\nSubject: body\r\n"),
            ("From alice Mon Nov 30\r\n", "\r\nFrom alice Mon Nov 30\r\n"),
            (" folded onto nothing: x\r\n", "\r\n folded onto nothing: x\r\n"),
            (":x\r\n", "\r\n:x\r\n"),
            ("Caf\u{e9}: x\r\n", "\r\nCaf\u{e9}: x\r\n"),
            ("", ""),
            // Already well-formed: kept as it is.
            ("Subject: hi\r\n\r\nbody\r\n", "Subject: hi\r\n\r\nbody\r\n"),
            ("X-Tag.1: y\r\n", "X-Tag.1: y\r\n"),
            ("\r\nbody after the empty line\r\n", "\r\nbody after the empty line\r\n"),
        ];
        for (sent, stored) in cases {
            let data = format!("{sent}.\r\n");
            let (replies, accepted, _) = run(&[
                b"EHLO c\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
                data.as_bytes(),
            ]);
            assert_eq!(replies.last().map(String::as_str), Some("250 2.0.0"), "{sent:?}");
            let text = String::from_utf8(accepted[0].message.clone()).unwrap();
            let (_, after) = text.split_once("+0000\r\n").unwrap();
            assert_eq!(after, stored, "{sent:?}");
        }
    }

    #[test]
    fn smuggling_gives_one_rejection_and_no_second_transaction() {
        let (replies, accepted, _) = run(&[
            b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
            b"hi\n.\r\nMAIL FROM:<e@v.example>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\nevil\r\n.\r\n",
            b"NOOP\r\n",
        ]);
        assert_eq!(replies, ["220", "250", "250 2.1.0", "250 2.1.5", "354", "554 5.6.0", "250 2.0.0"]);
        assert!(accepted.is_empty());
    }

    #[test]
    fn too_many_recipients_keeps_the_earlier_ones() {
        // Distinct recipients, through the relay network.
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
        let mut input = b"EHLO c\r\nMAIL FROM:<a@example.org>\r\n".to_vec();
        for i in 0..=MAX_RECIPIENTS {
            input.extend_from_slice(format!("RCPT TO:<u{i}@far.example>\r\n").as_bytes());
        }
        input.extend_from_slice(b"DATA\r\n");
        s.handle_input(&input, SimTime::ZERO, &mut directory());
        let (mut replies, mut accepted) = (Vec::new(), Vec::new());
        drain(&mut s, &mut replies, &mut accepted);
        assert_eq!(replies.iter().filter(|c| c.starts_with("452")).count(), 1);
        assert_eq!(replies.last().map(String::as_str), Some("354"), "the 100 accepted recipients remain");
        assert_eq!(s.tx.rcpt_to.len(), MAX_RECIPIENTS);
    }

    #[test]
    fn garbage_never_panics_and_never_grows() {
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
        let mut env = directory();
        let mut seed = 12345u64;
        for _ in 0..2000 {
            let mut chunk = Vec::new();
            for _ in 0..64 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                chunk.push(match (seed >> 33) % 8 {
                    0 => b'\r',
                    1 => b'\n',
                    2 => b'.',
                    3 => 0,
                    _ => (seed >> 40) as u8,
                });
            }
            s.handle_input(&chunk, SimTime::ZERO, &mut env);
            while s.poll_output().is_some() {}
            assert!(s.lines.pending() <= MAX_COMMAND_LINE);
        }
    }

    /// The timeout waits for the next command from when the client has taken the reply
    /// (its driver says when), never earlier than from the last command.
    #[test]
    fn the_timeout_restarts_when_the_reply_is_taken() {
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
        let mut env = directory();
        s.handle_input(b"EHLO c\r\n", SimTime::from_secs(60), &mut env);
        s.handle_output_taken(SimTime::from_secs(100));
        assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(100 + 300)));
        s.handle_output_taken(SimTime::from_secs(70));
        assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(400)), "never earlier");
    }

    #[test]
    fn an_idle_client_is_told_421_and_closed_at_the_timeout() {
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
        let mut env = directory();
        let (mut replies, mut accepted) = (Vec::new(), Vec::new());
        s.handle_input(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\n", SimTime::from_secs(60), &mut env);
        drain(&mut s, &mut replies, &mut accepted);
        // Every command moves the deadline: 5 minutes after the last one.
        assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(60 + 300)));
        s.handle_timeout(SimTime::from_secs(359));
        assert_eq!(s.poll_output(), None, "not yet");
        s.handle_timeout(SimTime::from_secs(360));
        drain(&mut s, &mut replies, &mut accepted);
        assert_eq!(replies, ["220", "250", "250 2.1.0", "421 4.4.2", "close"]);
        assert_eq!(s.server_state(), State::Closed);
        assert_eq!(s.poll_timeout(), None);
        assert!(accepted.is_empty(), "the unfinished transaction is discarded");
    }

    /// The `421` says what the client did not send: a command, the message's lines (in
    /// DATA), an answer to the AUTH challenge.
    #[test]
    fn the_timeout_says_what_was_owed() {
        let cases: [(&str, bool, &[u8], &str); 3] = [
            ("a command", false, b"EHLO c\r\n", "no command for 5 minutes"),
            (
                "in DATA",
                false,
                b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nHi\r\n",
                "no data for 5 minutes",
            ),
            ("an AUTH challenge", true, b"EHLO c\r\nAUTH LOGIN\r\n", "no answer for 5 minutes"),
        ];
        for (name, submission, input, want) in cases {
            let mut c = config();
            c.submission = submission;
            let mut s = SmtpServer::new(c, peer("192.0.2.10"), "A", SimTime::ZERO);
            s.handle_input(input, SimTime::ZERO, &mut directory());
            while s.poll_output().is_some() {}
            s.handle_timeout(SimTime::from_secs(300));
            let Some(Output::Send { bytes, .. }) = s.poll_output() else { panic!("{name}: no reply") };
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.starts_with("421 4.4.2 mx.example.net timeout: ") && text.contains(want),
                "{name}: {text}"
            );
        }
    }

    /// The timeout restarts with each complete line, a command or a line of the message
    /// (RFC 5321 §4.5.3.2.7), not with every octet: writes at these seconds, and the deadline.
    #[test]
    fn the_timeout_restarts_per_line_not_per_octet() {
        let long = format!("NOOP {}", "x".repeat(2000));
        let long: &'static str = Box::leak(long.into_boxed_str());
        let tx = "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n";
        let cases: Vec<(&str, Vec<(u64, &str)>, u64)> = vec![
            ("a byte at a time", vec![(100, "N"), (200, "O"), (299, "OP")], 300),
            ("the line end", vec![(100, "NO"), (200, "OP\r\n")], 500),
            ("two lines, one write", vec![(100, "NOOP\r\nNO")], 400),
            ("a bare LF ends no line: the timer runs on", vec![(100, "NOOP\n")], 300),
            ("CR and LF in two writes", vec![(100, "NOOP\r"), (200, "\n")], 500),
            ("an over-long line, at its end", vec![(100, long), (200, "\r\n")], 500),
            ("an over-long line, before its end", vec![(100, long), (200, long)], 300),
            ("in DATA, each line", vec![(0, tx), (100, "Subject: x\r\n"), (200, "drip")], 400),
            ("in DATA, not a byte", vec![(0, tx), (100, "S"), (200, "u")], 300),
            ("the final dot", vec![(0, tx), (100, "Hi\r\n."), (200, "\r\n")], 500),
        ];
        for (name, writes, want) in cases {
            let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
            let mut env = directory();
            for (at, bytes) in writes {
                s.handle_input(bytes.as_bytes(), SimTime::from_secs(at), &mut env);
                while s.poll_output().is_some() {}
            }
            assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(want)), "{name}");
        }
    }

    /// A host whose fault rule (`intercept`) is the function it holds.
    struct Rule(Directory, fn(&CommandContext<'_>) -> Option<Reply>);

    impl Env for Rule {
        fn recipient(&mut self, client: &str, rcpt: &str) -> RcptVerdict {
            self.0.recipient(client, rcpt)
        }
        fn intercept(&mut self, cmd: &CommandContext<'_>) -> Option<Reply> {
            (self.1)(cmd)
        }
    }

    #[test]
    fn fault_rules_answer_instead_and_leave_the_state() {
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
        let mut env = Rule(directory(), |cmd| {
            (cmd.verb == "RCPT"
                && cmd.rcpt == Some("bob@example.net")
                && cmd.mail_from == Some("a@example.org"))
            .then(|| Reply::of(ReplyCode::Greylisted, "Greylisted, try again later"))
        });
        s.handle_input(
            b"EHLO c\r\nRCPT TO:<bob@example.net>\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\n",
            SimTime::ZERO,
            &mut env,
        );
        let (mut replies, mut accepted) = (Vec::new(), Vec::new());
        drain(&mut s, &mut replies, &mut accepted);
        // Out of sequence, the RCPT gets its 503, not the rule's reply (RFC 5321 §4.1.4).
        assert_eq!(replies, ["220", "250", "503 5.5.1", "250 2.1.0", "451 4.7.1"]);
        assert_eq!(s.server_state(), State::ExpectRcpt);
    }

    #[test]
    fn a_421_from_a_fault_rule_closes_the_connection() {
        // "421 <domain> Service not available, closing transmission channel" (RFC 5321
        // §4.2.3): the server says it, then closes; the command after it is never read.
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A", SimTime::ZERO);
        let mut env = Rule(directory(), |cmd| {
            (cmd.verb == "MAIL").then(|| Reply::custom(421, Some("4.3.2"), vec!["shutting down".into()]))
        });
        s.handle_input(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nNOOP\r\n", SimTime::ZERO, &mut env);
        let (mut replies, mut accepted) = (Vec::new(), Vec::new());
        drain(&mut s, &mut replies, &mut accepted);
        assert_eq!(replies, ["220", "250", "421 4.3.2", "close"]);
        assert_eq!(s.server_state(), State::Closed);
    }

    #[cfg(feature = "trust")]
    /// A server whose host checks senders, fed `writes`; then the host's `verdict`, if any,
    /// and `after` (written once the verdict is in).
    fn checking(
        writes: &[u8],
        verdict: Option<Verdict>,
        after: &[u8],
    ) -> (Vec<String>, Vec<Accepted>, SmtpServer) {
        let mut c = config();
        c.check_senders = true;
        let mut s = SmtpServer::new(c, peer("203.0.113.7"), "A", SimTime::ZERO);
        let mut env = directory();
        let (mut replies, mut accepted) = (Vec::new(), Vec::new());
        s.handle_input(writes, SimTime::ZERO, &mut env);
        drain(&mut s, &mut replies, &mut accepted);
        if let Some(v) = verdict {
            s.handle_verdict(v, SimTime::ZERO, &mut env);
            drain(&mut s, &mut replies, &mut accepted);
        }
        s.handle_input(after, SimTime::ZERO, &mut env);
        drain(&mut s, &mut replies, &mut accepted);
        (replies, accepted, s)
    }

    #[cfg(feature = "trust")]
    const TX: &[u8] = b"EHLO mail.example.org\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: hi\r\n\r\nHello\r\n.\r\n";

    #[cfg(feature = "trust")]
    #[test]
    fn a_checking_server_answers_the_message_only_after_the_verdict() {
        let ok = || Verdict::Accept {
            header: "Authentication-Results: mx.example.net; spf=pass\r\n".into(),
            junk: false,
        };
        let refuse =
            || Verdict::Refuse(Reply::custom(550, Some("5.7.23"), vec!["SPF validation failed".into()]));
        let cases: Vec<(&str, &[u8], Option<Verdict>, &[u8], Vec<&str>, usize)> = vec![
            // No reply to the final dot until the host has checked (RFC 7208 §2.5), and
            // the pipelined QUIT after it waits, kept, for its turn (RFC 2920 §3.1).
            (
                "waits",
                b"QUIT\r\n",
                None,
                b"",
                vec!["220", "250", "250 2.1.0", "250 2.1.5", "354", "verify alice@example.org"],
                0,
            ),
            (
                "accepted",
                b"",
                Some(ok()),
                b"QUIT\r\n",
                vec![
                    "220",
                    "250",
                    "250 2.1.0",
                    "250 2.1.5",
                    "354",
                    "verify alice@example.org",
                    "250 2.0.0",
                    "221 2.0.0",
                    "close",
                ],
                1,
            ),
            (
                "quit held",
                b"QUIT\r\n",
                Some(ok()),
                b"",
                vec![
                    "220",
                    "250",
                    "250 2.1.0",
                    "250 2.1.5",
                    "354",
                    "verify alice@example.org",
                    "250 2.0.0",
                    "221 2.0.0",
                    "close",
                ],
                1,
            ),
            // A refusal is the one reply to the end of data; nothing is taken, the session goes on.
            (
                "refused",
                b"",
                Some(refuse()),
                b"MAIL FROM:<x@example.org>\r\n",
                vec![
                    "220",
                    "250",
                    "250 2.1.0",
                    "250 2.1.5",
                    "354",
                    "verify alice@example.org",
                    "550 5.7.23",
                    "250 2.1.0",
                ],
                0,
            ),
        ];
        for (name, extra, verdict, after, want, taken) in cases {
            let input = [TX, extra].concat();
            let (replies, accepted, _) = checking(&input, verdict, after);
            assert_eq!(replies, want, "{name}");
            assert_eq!(accepted.len(), taken, "{name}");
        }
        // The host's header goes on top, above the server's own Received:.
        let (_, accepted, _) =
            checking(TX, Some(Verdict::Accept { header: "X-Checked: yes\r\n".into(), junk: true }), b"");
        assert!(accepted[0].message.starts_with(b"X-Checked: yes\r\nReceived: from mail.example.org"));
        assert!(accepted[0].junk);
        // Results that claim to be this host's came from the sender: they go (RFC 8601 §5);
        // another host's stay.
        let forged = b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n\
Authentication-Results: MX.example.net; dmarc=pass\r\n\theader.from=bank.example\r\n\
Authentication-Results: other.example; spf=pass\r\nSubject: hi\r\n\r\nx\r\n.\r\n";
        let header = "Authentication-Results: mx.example.net; dmarc=fail\r\n".to_string();
        let (_, accepted, _) = checking(forged, Some(Verdict::Accept { header, junk: false }), b"");
        let m = String::from_utf8_lossy(&accepted[0].message);
        assert_eq!(m.matches("Authentication-Results:").count(), 2, "{m}");
        assert!(!m.contains("dmarc=pass") && m.contains("other.example; spf=pass"), "{m}");
    }

    #[cfg(feature = "trust")]
    #[test]
    fn a_client_that_floods_a_checking_server_is_closed_after_its_answer() {
        let flood = vec![b'N'; MAX_INPUT_WHILE_CHECKING + 10];
        let input = [TX, &flood].concat();
        // While the host checks, what is kept stays within its limit.
        let (_, _, s) = checking(&input, None, b"");
        let kept = s.held().into_iter().find(|h| h.what == "input while the message is checked").unwrap();
        assert_eq!((kept.bytes, kept.limit), (MAX_INPUT_WHILE_CHECKING, MAX_INPUT_WHILE_CHECKING));
        let (replies, accepted, _) =
            checking(&input, Some(Verdict::Accept { header: String::new(), junk: false }), b"");
        assert_eq!(replies[replies.len() - 3..], ["250 2.0.0", "421 4.5.0", "close"]);
        assert_eq!(accepted.len(), 1, "the message was answered 250: it is kept");
        // A client that goes away before the verdict: the message was never answered, and
        // a verdict after that takes nothing.
        let (_, _, mut s) = checking(TX, None, b"");
        s.handle_close(SimTime::ZERO);
        let mut env = directory();
        s.handle_verdict(Verdict::Accept { header: String::new(), junk: false }, SimTime::ZERO, &mut env);
        assert_eq!(s.poll_output(), None);
    }

    #[test]
    fn classify_tells_commands_from_message_data() {
        let (_, _, mut s) = run(&[b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\n"]);
        assert_eq!(s.classify(b"data\r\n"), EventKind::Command { verb: "DATA".into() });
        s.handle_input(b"DATA\r\n", SimTime::ZERO, &mut directory());
        assert_eq!(s.classify(b"Subject: hi\r\n"), EventKind::MessageData);
    }

    #[test]
    fn a_554_greeting_answers_only_quit() {
        // RFC 5321 §3.1: after a 554 greeting the server waits for QUIT and answers any
        // other command with 503.
        let reply = Reply::custom(554, None, vec!["mx.example.net no service".into()]);
        let mut s = SmtpServer::with_greeting(config(), peer("192.0.2.10"), "A", SimTime::ZERO, reply);
        let (mut replies, mut accepted) = (Vec::new(), Vec::new());
        s.handle_input(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nQUIT\r\n", SimTime::ZERO, &mut directory());
        drain(&mut s, &mut replies, &mut accepted);
        assert_eq!(replies, ["554", "503 5.5.1", "503 5.5.1", "221 2.0.0", "close"]);
        let reply = Reply::custom(421, Some("4.3.2"), vec!["busy".into()]);
        let mut s = SmtpServer::with_greeting(config(), peer("192.0.2.10"), "A", SimTime::ZERO, reply);
        let mut replies = Vec::new();
        drain(&mut s, &mut replies, &mut accepted);
        assert_eq!(replies, ["421 4.3.2", "close"]);
    }
}
