//! The SMTP client, sans-IO: delivers one message over one connection and reacts to
//! every reply (RFC 5321 §3.3, §4.1.4; falls back to HELO when EHLO is refused, §3.2).
//! It switches to TLS when the server offers STARTTLS (RFC 3207) and, given a login, logs
//! in with AUTH PLAIN before MAIL (RFC 4954, RFC 4616), as a mail program does on the
//! submission port (RFC 6409).
//!
//! It keeps the [`Session`] contract: feed it what the server sends with
//! [`Session::handle_input`], drain [`Session::poll_output`] for bytes to send, wake it at
//! [`Session::poll_timeout`], and read [`SmtpClient::outcome`] when it is done. A refusal
//! ends the attempt cleanly (with QUIT) and keeps the reason; a server that does not
//! answer in time (RFC 5321 §4.5.3.2) ends it too, as a temporary failure.

use std::collections::VecDeque;
use std::fmt;

use crate::base64;
use crate::session::{Env, Output, Request, Session, SessionState};
use crate::smtp::auth;
use crate::smtp::data::stuff;
use crate::smtp::reply::{Reply, ReplyError, ReplyReader};
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, Status};

/// How long the client waits for each reply (RFC 5321 §4.5.3.2.1–6): the greeting, MAIL
/// and RCPT 5 minutes, DATA 2 minutes, the end of data 10 minutes. EHLO, HELO and QUIT
/// have no figure in the RFC; they get 5 minutes like the commands around them.
pub fn reply_timeout(state: ClientState) -> SimDuration {
    match state {
        ClientState::ExpectDataReply => SimDuration::from_secs(2 * 60),
        ClientState::ExpectDataEndReply => SimDuration::from_secs(10 * 60),
        _ => SimDuration::from_secs(5 * 60),
    }
}

/// What to send and to whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse-path; empty for a bounce (`MAIL FROM:<>`).
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
}

/// The client's state: which reply it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientState {
    ExpectGreeting,
    ExpectEhloReply,
    ExpectHeloReply,
    /// STARTTLS was sent (RFC 3207 §4).
    ExpectStartTlsReply,
    /// `220` to STARTTLS came: the TLS handshake runs.
    TlsHandshake,
    /// AUTH was sent with the login (RFC 4954 §4).
    ExpectAuthReply,
    /// `AUTH LOGIN` was sent: waiting for the `334` that asks for the user name (0) or
    /// the password (1).
    ExpectLoginPrompt(u8),
    ExpectMailReply,
    /// Waiting for the reply to the RCPT of recipient `n`.
    ExpectRcptReply(usize),
    ExpectDataReply,
    /// The message was sent; waiting for the reply to the final dot.
    ExpectDataEndReply,
    ExpectQuitReply,
    Done,
}

impl ClientState {
    pub fn name(self) -> &'static str {
        match self {
            ClientState::ExpectGreeting => "ExpectGreeting",
            ClientState::ExpectEhloReply => "ExpectEhloReply",
            ClientState::ExpectHeloReply => "ExpectHeloReply",
            ClientState::ExpectStartTlsReply => "ExpectStartTlsReply",
            ClientState::TlsHandshake => "TlsHandshake",
            ClientState::ExpectAuthReply => "ExpectAuthReply",
            ClientState::ExpectLoginPrompt(_) => "ExpectLoginPrompt",
            ClientState::ExpectMailReply => "ExpectMailReply",
            ClientState::ExpectRcptReply(_) => "ExpectRcptReply",
            ClientState::ExpectDataReply => "ExpectDataReply",
            ClientState::ExpectDataEndReply => "ExpectDataEndReply",
            ClientState::ExpectQuitReply => "ExpectQuitReply",
            ClientState::Done => "Done",
        }
    }

    /// In plain words. While the command is still on its way (`sending`), the client
    /// "sends" it; once it has arrived it "waits for the reply".
    pub fn describe(self, sending: bool) -> String {
        let what = match self {
            ClientState::ExpectGreeting => return "waits for the server's greeting".into(),
            ClientState::Done => return "finished".into(),
            ClientState::ExpectEhloReply => "EHLO",
            ClientState::ExpectHeloReply => "HELO",
            ClientState::ExpectStartTlsReply => "STARTTLS",
            ClientState::TlsHandshake => return "runs the TLS handshake".into(),
            ClientState::ExpectAuthReply if sending => return "logs in (AUTH)".into(),
            ClientState::ExpectAuthReply => "AUTH",
            ClientState::ExpectLoginPrompt(0) if sending => return "logs in (AUTH LOGIN)".into(),
            ClientState::ExpectLoginPrompt(0) => return "waits to be asked for the user name".into(),
            ClientState::ExpectLoginPrompt(_) if sending => return "sends the user name".into(),
            ClientState::ExpectLoginPrompt(_) => return "waits to be asked for the password".into(),
            ClientState::ExpectMailReply => "MAIL FROM",
            ClientState::ExpectRcptReply(_) => "RCPT TO",
            ClientState::ExpectDataReply => "DATA",
            ClientState::ExpectDataEndReply if sending => return "sends the message".into(),
            ClientState::ExpectDataEndReply => return "waits for the server to take the message".into(),
            ClientState::ExpectQuitReply => "QUIT",
        };
        if sending { format!("sends {what}") } else { format!("waits for the reply to {what}") }
    }
}

impl fmt::Display for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What became of one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RcptStatus {
    /// The server took the message for this recipient (250 after the final dot).
    Delivered(Reply),
    /// Refused; `Reply::is_permanent` tells whether to retry.
    Failed(Reply),
    /// The attempt ended without an answer (connection lost, unreadable reply).
    Interrupted(String),
}

impl RcptStatus {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        match self {
            RcptStatus::Delivered(_) => false,
            RcptStatus::Failed(r) => !r.is_permanent(),
            RcptStatus::Interrupted(_) => true,
        }
    }
}

/// The result of the attempt, per recipient in envelope order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub recipients: Vec<(String, RcptStatus)>,
}

/// Something the client wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOutput {
    /// Send one command line (`verb` upper-case).
    Command { verb: String, bytes: Vec<u8> },
    /// Send one line of an AUTH exchange (a base64 answer to a `334`).
    AuthData(Vec<u8>),
    /// Send the message, dot-stuffed, with the final `.CRLF`.
    Data(Vec<u8>),
    /// Start the TLS handshake (after `220` to STARTTLS).
    StartTls,
    /// Close the connection.
    Close,
}

/// A fault of a badly written sending program, for lessons on what the end of DATA needs
/// (RFC 5321 §4.5.2, §2.3.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// It does not double a dot at the start of a line: a line with a single dot ends
    /// the message early, and the server reads the rest of it as commands.
    NoDotStuffing,
    /// It sends the text as it is, with bare LF line ends and no doubled dots (only the
    /// commands and the final `.` end in CRLF): what a server must never read as the
    /// end of the data (SMTP smuggling).
    BareLf,
}

impl Flaw {
    /// The message as this program puts it on the wire, with the final `.CRLF`.
    fn data(self, message: &[u8]) -> Vec<u8> {
        let mut out = match self {
            Flaw::NoDotStuffing => message.to_vec(),
            Flaw::BareLf => message.iter().copied().filter(|&b| b != b'\r').collect(),
        };
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        if out.ends_with(b"\n") && !out.ends_with(b"\r\n") {
            out.pop();
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        out
    }
}

/// One delivery attempt.
#[derive(Clone, Debug)]
pub struct SmtpClient {
    helo_name: String,
    envelope: Envelope,
    message: Vec<u8>,
    state: ClientState,
    replies: ReplyReader,
    out: VecDeque<ClientOutput>,
    /// The server announced SIZE (RFC 1870): send SIZE= with MAIL.
    server_size: bool,
    /// The server announced 8BITMIME (RFC 6152): declare an 8-bit body with BODY=8BITMIME.
    server_8bit: bool,
    status: Vec<Option<RcptStatus>>,
    /// When the reply being waited for is overdue.
    deadline: Option<SimTime>,
    now: SimTime,
    /// Switch to TLS when the server offers STARTTLS.
    starttls: bool,
    /// The connection is encrypted.
    tls_active: bool,
    /// User and password to log in with, where the server offers AUTH.
    login: Option<(String, String)>,
    /// The SASL mechanism to log in with.
    mechanism: auth::Mechanism,
    /// A fault of this program, if it is a badly written one.
    flaw: Option<Flaw>,
    /// The reply that refused the message before RCPT (see [`SmtpClient::refused_whole`]).
    refused_early: Option<Reply>,
}

impl SmtpClient {
    /// `message` is the RFC 5322 message with CRLF line ends, not yet dot-stuffed.
    ///
    /// An address with CR, LF, a control character, a space or an angle bracket would let
    /// one command line be read as two: such a client refuses at once, sends nothing, and
    /// reports every recipient as failed (RFC 5321 §4.1.2 has no room for them).
    ///
    /// `now` is when the connection opened: the greeting is due 5 minutes later.
    pub fn new(helo_name: &str, envelope: Envelope, message: Vec<u8>, now: SimTime) -> SmtpClient {
        let n = envelope.rcpt_to.len();
        let bad = |a: &String| a.chars().any(|c| c.is_control() || c == ' ' || c == '<' || c == '>');
        // No recipient at all: nothing to send either.
        let refused = envelope.rcpt_to.is_empty()
            || bad(&envelope.mail_from)
            || envelope.rcpt_to.iter().any(bad)
            || helo_name.contains(['\r', '\n']);
        let status = if refused {
            vec![Some(RcptStatus::Interrupted("refused: an address contains CR, LF or other characters that cannot go into a command line".into())); n]
        } else {
            vec![None; n]
        };
        SmtpClient {
            helo_name: helo_name.to_string(),
            envelope,
            message,
            state: if refused { ClientState::Done } else { ClientState::ExpectGreeting },
            replies: ReplyReader::default(),
            out: VecDeque::new(),
            server_size: false,
            server_8bit: false,
            status,
            deadline: (!refused).then(|| now.plus(reply_timeout(ClientState::ExpectGreeting))),
            now,
            starttls: false,
            tls_active: false,
            login: None,
            mechanism: auth::Mechanism::Plain,
            flaw: None,
            refused_early: None,
        }
    }

    /// Uses STARTTLS when the server offers it (RFC 3207), as mail programs and most mail
    /// servers do.
    pub fn with_starttls(mut self) -> SmtpClient {
        self.starttls = true;
        self
    }

    /// Logs in as `user` with AUTH PLAIN before MAIL (RFC 4954, RFC 4616), as a mail
    /// program does on the submission port.
    pub fn with_login(mut self, user: &str, password: &str) -> SmtpClient {
        self.login = Some((user.to_string(), password.to_string()));
        self
    }

    /// Logs in with `mechanism` instead of PLAIN (where the server offers it).
    pub fn with_mechanism(mut self, mechanism: auth::Mechanism) -> SmtpClient {
        self.mechanism = mechanism;
        self
    }

    /// Makes this a badly written program with `flaw`.
    pub fn with_flaw(mut self, flaw: Option<Flaw>) -> SmtpClient {
        self.flaw = flaw;
        self
    }

    pub fn client_state(&self) -> ClientState {
        self.state
    }

    /// When the attempt is over: what became of each recipient.
    pub fn outcome(&self) -> Option<Outcome> {
        if self.state != ClientState::Done {
            return None;
        }
        Some(self.statuses())
    }

    /// As soon as every recipient has its answer (the reply to the end of the data, or
    /// each refused): what became of each, though `QUIT` and its `221` are still to come.
    /// A relay is done with the message then: with the `250` after the data the next server
    /// has accepted responsibility for it (RFC 5321 §6.1), and a refusal is final.
    pub fn settled(&self) -> Option<Outcome> {
        (self.state == ClientState::Done || self.status.iter().all(Option::is_some)).then(|| self.statuses())
    }

    fn statuses(&self) -> Outcome {
        let recipients = self
            .envelope
            .rcpt_to
            .iter()
            .zip(&self.status)
            .map(|(r, s)| {
                (r.clone(), s.clone().unwrap_or_else(|| RcptStatus::Interrupted("no answer".into())))
            })
            .collect();
        Outcome { recipients }
    }

    /// The reply that refused the whole message before any recipient was named (a login
    /// refused, AUTH required, MAIL FROM refused), if that is how the attempt ended.
    pub fn refused_whole(&self) -> Option<&Reply> {
        self.refused_early.as_ref()
    }

    fn command(&mut self, verb: &str, line: String) {
        let mut bytes = line.into_bytes();
        bytes.extend_from_slice(b"\r\n");
        self.out.push_back(ClientOutput::Command { verb: verb.to_string(), bytes });
    }

    /// After every reply: the next one is due within the timeout of the new state.
    fn arm(&mut self) {
        self.deadline = (self.state != ClientState::Done).then(|| self.now.plus(reply_timeout(self.state)));
    }

    fn quit(&mut self) {
        self.command("QUIT", "QUIT".into());
        self.state = ClientState::ExpectQuitReply;
    }

    fn fail_unresolved(&mut self, why: impl Fn() -> RcptStatus) {
        for s in &mut self.status {
            if s.is_none() {
                *s = Some(why());
            }
        }
    }

    fn protocol_error(&mut self, e: ReplyError) {
        let why = format!("unreadable reply: {e}");
        self.give_up(why);
    }

    /// Ends the attempt without a reply: every unresolved recipient is a temporary failure.
    fn give_up(&mut self, why: String) {
        self.fail_unresolved(|| RcptStatus::Interrupted(why.clone()));
        self.state = ClientState::Done;
        self.deadline = None;
        self.out.push_back(ClientOutput::Close);
    }

    fn send_mail(&mut self) {
        let mut params = String::new();
        if self.server_size {
            params.push_str(&format!(" SIZE={}", self.message.len()));
        }
        if self.server_8bit && !self.message.is_ascii() {
            params.push_str(" BODY=8BITMIME");
        }
        self.command("MAIL", format!("MAIL FROM:<{}>{params}", self.envelope.mail_from));
        self.state = ClientState::ExpectMailReply;
    }

    fn send_rcpt(&mut self, n: usize) {
        let to = self.envelope.rcpt_to[n].clone();
        self.command("RCPT", format!("RCPT TO:<{to}>"));
        self.state = ClientState::ExpectRcptReply(n);
    }

    fn handle_reply(&mut self, reply: Reply) {
        match self.state {
            ClientState::ExpectGreeting if reply.code == 220 => {
                self.command("EHLO", format!("EHLO {}", self.helo_name));
                self.state = ClientState::ExpectEhloReply;
            }
            ClientState::ExpectGreeting => {
                // 554 (or anything else): this server will not talk to us (RFC 5321 §3.1).
                // That says nothing about the recipients, so it is not a bounce: like
                // Postfix (`smtp_skip_5xx_greeting = yes`), skip this server and try the
                // next MX or later.
                let why = format!("the server refused to talk: {reply}");
                self.fail_unresolved(|| RcptStatus::Interrupted(why.clone()));
                self.quit();
            }
            ClientState::ExpectEhloReply if reply.is_positive() => {
                let keyword = |l: &String| l.split_whitespace().next().map(str::to_ascii_uppercase);
                let has = |ext: &str| reply.lines.iter().skip(1).any(|l| keyword(l).as_deref() == Some(ext));
                self.server_size = has("SIZE");
                self.server_8bit = has("8BITMIME");
                // `AUTH PLAIN LOGIN`: the mechanisms follow the keyword (RFC 4954 §3).
                let name = match self.mechanism {
                    auth::Mechanism::Plain => "PLAIN",
                    auth::Mechanism::Login => "LOGIN",
                };
                let offered = reply.lines.iter().skip(1).any(|l| {
                    keyword(l).as_deref() == Some("AUTH")
                        && l.split_whitespace().skip(1).any(|m| m.eq_ignore_ascii_case(name))
                });
                if self.starttls && !self.tls_active && has("STARTTLS") {
                    self.command("STARTTLS", "STARTTLS".into());
                    self.state = ClientState::ExpectStartTlsReply;
                } else if let (Some((user, password)), true) = (&self.login, offered) {
                    // PLAIN sends its one message with the command (an initial response,
                    // RFC 4954 §4); LOGIN waits to be asked for each part.
                    if self.mechanism == auth::Mechanism::Plain {
                        let line = format!("AUTH PLAIN {}", auth::plain_response(user, password));
                        self.command("AUTH", line);
                        self.state = ClientState::ExpectAuthReply;
                    } else {
                        self.command("AUTH", "AUTH LOGIN".into());
                        self.state = ClientState::ExpectLoginPrompt(0);
                    }
                } else {
                    self.send_mail();
                }
            }
            ClientState::ExpectEhloReply if reply.is_permanent() => {
                // An old server that does not know EHLO: fall back to HELO (RFC 5321 §3.2).
                self.command("HELO", format!("HELO {}", self.helo_name));
                self.state = ClientState::ExpectHeloReply;
            }
            ClientState::ExpectEhloReply => {
                self.fail_unresolved(|| RcptStatus::Failed(reply.clone()));
                self.quit();
            }
            ClientState::ExpectHeloReply if !reply.is_positive() => {
                self.fail_unresolved(|| RcptStatus::Failed(reply.clone()));
                self.quit();
            }
            ClientState::ExpectHeloReply => self.send_mail(),
            ClientState::ExpectStartTlsReply if reply.code == 220 => {
                self.out.push_back(ClientOutput::StartTls);
                self.state = ClientState::TlsHandshake;
            }
            // 421: the server closes the connection (RFC 5321 §3.8): nothing more goes on
            // it, and the reason is kept (a relay retries later, a mail program says why).
            ClientState::ExpectStartTlsReply if reply.code == 421 => {
                self.refused_early = Some(reply.clone());
                self.fail_unresolved(|| RcptStatus::Failed(reply.clone()));
                self.quit();
            }
            // No TLS after all (454, 502...): RFC 3207 §4 leaves the next move to the
            // client. A mail program with a login stops there, and keeps the message: it
            // does not send a password in the clear (RFC 8314's advice to mail programs).
            ClientState::ExpectStartTlsReply if self.login.is_some() => {
                self.refused_early = Some(reply.clone());
                self.fail_unresolved(|| RcptStatus::Failed(reply.clone()));
                self.quit();
            }
            // A relay goes on in the clear, as opportunistic TLS does (RFC 7435 §3), in the
            // same session: nothing was reset, so no second EHLO is needed; a server that
            // insists on TLS says so with 530 (RFC 3207 §4).
            ClientState::ExpectStartTlsReply => {
                self.starttls = false;
                self.send_mail();
            }
            // Nothing is read during the handshake; a reply here is a protocol error.
            ClientState::TlsHandshake => self.give_up(format!("a reply during the TLS handshake: {reply}")),
            ClientState::ExpectLoginPrompt(n) if reply.code == 334 => {
                let (user, password) = self.login.clone().unwrap_or_default();
                let answer = if n == 0 { user } else { password };
                let mut bytes = base64::encode(answer.as_bytes()).into_bytes();
                bytes.extend_from_slice(b"\r\n");
                self.out.push_back(ClientOutput::AuthData(bytes));
                self.state =
                    if n == 0 { ClientState::ExpectLoginPrompt(1) } else { ClientState::ExpectAuthReply };
            }
            ClientState::ExpectAuthReply if reply.code == 235 => self.send_mail(),
            // A refused login refuses every recipient, with the server's reason.
            ClientState::ExpectAuthReply | ClientState::ExpectLoginPrompt(_) => {
                self.refused_early = Some(reply.clone());
                self.fail_unresolved(|| RcptStatus::Failed(reply.clone()));
                self.quit();
            }
            ClientState::ExpectMailReply if reply.is_positive() => self.send_rcpt(0),
            ClientState::ExpectMailReply => {
                self.refused_early = Some(reply.clone());
                self.fail_unresolved(|| RcptStatus::Failed(reply.clone()));
                self.quit();
            }
            ClientState::ExpectRcptReply(n) => {
                // A refused recipient is kept with its reason; the others go on (§3.3).
                // Accepted ones wait for the end of data (status None for now).
                if !reply.is_positive() {
                    self.status[n] = Some(RcptStatus::Failed(reply));
                }
                if n + 1 < self.envelope.rcpt_to.len() {
                    self.send_rcpt(n + 1);
                } else if self.status.iter().any(Option::is_none) {
                    self.command("DATA", "DATA".into());
                    self.state = ClientState::ExpectDataReply;
                } else {
                    self.quit();
                }
            }
            ClientState::ExpectDataReply if reply.code == 354 => {
                let data = match self.flaw {
                    Some(flaw) => flaw.data(&self.message),
                    None => stuff(&self.message),
                };
                self.out.push_back(ClientOutput::Data(data));
                self.state = ClientState::ExpectDataEndReply;
            }
            // Anything but 354 after DATA means the message was not sent: a 2xx here is a
            // protocol error, never a delivery.
            ClientState::ExpectDataReply if reply.is_positive() => {
                let why = format!("the server answered DATA with {reply} instead of 354");
                self.fail_unresolved(|| RcptStatus::Interrupted(why.clone()));
                self.quit();
            }
            ClientState::ExpectDataReply | ClientState::ExpectDataEndReply => {
                let status = if reply.is_positive() {
                    RcptStatus::Delivered(reply)
                } else {
                    RcptStatus::Failed(reply)
                };
                self.fail_unresolved(|| status.clone());
                self.quit();
            }
            ClientState::ExpectQuitReply => {
                self.state = ClientState::Done;
                self.out.push_back(ClientOutput::Close);
            }
            ClientState::Done => {}
        }
    }
}

impl Session for SmtpClient {
    /// Bytes from the server.
    fn handle_input(&mut self, mut input: &[u8], now: SimTime, _env: &mut dyn Env) {
        self.now = now;
        while self.state != ClientState::Done {
            match self.replies.read(&mut input) {
                None => break,
                Some(Ok(reply)) => {
                    self.handle_reply(reply);
                    self.arm();
                }
                Some(Err(e)) => return self.protocol_error(e),
            }
        }
    }

    /// The connection was closed by the server or lost.
    fn handle_close(&mut self, _now: SimTime) {
        self.deadline = None;
        if self.state == ClientState::Done {
            return;
        }
        let why = "connection closed before the transaction finished".to_string();
        self.fail_unresolved(|| RcptStatus::Interrupted(why.clone()));
        self.state = ClientState::Done;
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front().map(|o| match o {
            ClientOutput::Command { verb, bytes } => {
                Output::Send { bytes, kind: EventKind::Command { verb } }
            }
            ClientOutput::AuthData(bytes) => Output::Send { bytes, kind: EventKind::AuthData },
            ClientOutput::Data(bytes) => Output::Send { bytes, kind: EventKind::MessageData },
            ClientOutput::StartTls => Output::Request(Request::StartTls),
            ClientOutput::Close => Output::Close,
        })
    }

    fn poll_timeout(&self) -> Option<SimTime> {
        self.deadline
    }

    /// The handshake is done: say EHLO again, now encrypted (RFC 3207 §4.2).
    fn handle_tls(&mut self, now: SimTime) {
        if self.state != ClientState::TlsHandshake {
            return;
        }
        self.now = now;
        self.tls_active = true;
        self.command("EHLO", format!("EHLO {}", self.helo_name));
        self.state = ClientState::ExpectEhloReply;
        self.arm();
    }

    /// No reply in time: the attempt ends and every recipient not yet settled is a
    /// temporary failure, to be retried (RFC 5321 §4.5.3.2, §4.5.4.1).
    fn handle_timeout(&mut self, now: SimTime) {
        if self.deadline.is_none_or(|d| now < d) || self.state == ClientState::Done {
            return;
        }
        self.now = now;
        let minutes = reply_timeout(self.state).0 / 60_000_000;
        self.give_up(format!("no reply within {minutes} minutes (RFC 5321 §4.5.3.2)"));
    }

    fn state(&self) -> SessionState {
        SessionState::SmtpClient(self.state)
    }

    fn classify(&self, input: &[u8]) -> EventKind {
        let code = std::str::from_utf8(input.get(..3).unwrap_or_default()).ok().and_then(|c| c.parse().ok());
        let enhanced = std::str::from_utf8(input.get(4..).unwrap_or_default())
            .ok()
            .and_then(|t| t.split_whitespace().next())
            .filter(|e| e.split('.').count() == 3 && e.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            .map(str::to_string);
        EventKind::Reply {
            status: Status::Smtp { code: code.unwrap_or(0), enhanced },
            to_verb: None,
            answers: None,
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn is_closed(&self) -> bool {
        self.state == ClientState::Done && self.out.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Directory;

    /// Runs a client against scripted server replies; returns the commands it sent
    /// (verbs, `DATA…` for the message) and the outcome.
    fn run(rcpts: &[&str], server: &[&str]) -> (Vec<String>, Option<Outcome>) {
        let env = Envelope {
            mail_from: "alice@example.org".into(),
            rcpt_to: rcpts.iter().map(|s| s.to_string()).collect(),
        };
        let mut c =
            SmtpClient::new("smtp.example.org", env, b"Subject: x\r\n\r\n.hi\r\n".to_vec(), SimTime::ZERO);
        let mut sent = Vec::new();
        for r in server {
            c.handle_input(r.as_bytes(), SimTime::ZERO, &mut Directory::default());
            while let Some(o) = c.poll_output() {
                sent.push(match o {
                    Output::Send { bytes, kind: EventKind::Command { .. } } => {
                        String::from_utf8(bytes).unwrap().trim_end().to_string()
                    }
                    Output::Send { bytes, .. } => String::from_utf8(bytes).unwrap(),
                    Output::Close => "<close>".into(),
                    Output::Request(r) => panic!("{r:?}"),
                });
            }
        }
        (sent, c.outcome())
    }

    /// A client that logs in with `mechanism` (and `password`), against scripted replies.
    fn run_login(mechanism: auth::Mechanism, password: &str, server: &[&str]) -> (Vec<String>, SmtpClient) {
        let env = Envelope { mail_from: "alice@example.org".into(), rcpt_to: vec!["bob@example.net".into()] };
        let mut c =
            SmtpClient::new("laptop.example.org", env, b"Subject: x\r\n\r\nhi\r\n".to_vec(), SimTime::ZERO)
                .with_login("alice@example.org", password)
                .with_mechanism(mechanism);
        let mut sent = Vec::new();
        for r in server {
            c.handle_input(r.as_bytes(), SimTime::ZERO, &mut Directory::default());
            while let Some(o) = c.poll_output() {
                sent.push(match o {
                    Output::Send { bytes, kind: EventKind::AuthData } => {
                        format!("auth-data {}", String::from_utf8(bytes).unwrap().trim_end())
                    }
                    Output::Send { bytes, .. } => String::from_utf8(bytes).unwrap().trim_end().to_string(),
                    Output::Close => "<close>".into(),
                    Output::Request(r) => panic!("{r:?}"),
                });
            }
        }
        (sent, c)
    }

    #[test]
    fn logs_in_with_plain_or_login_and_keeps_a_refusal_for_the_whole_message() {
        use auth::Mechanism::{Login, Plain};
        const EHLO: &str = "250-mx\r\n250 AUTH PLAIN LOGIN\r\n";
        // (mechanism, password, replies after the greeting and EHLO, what is sent after
        // EHLO, the reply that refused the whole message)
        let cases: &[(auth::Mechanism, &str, &[&str], &[&str], Option<u16>)] = &[
            (
                Plain,
                "wonderland",
                &["235 2.7.0 ok\r\n"],
                &["AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=", "MAIL FROM:<alice@example.org>"],
                None,
            ),
            (
                Login,
                "wonderland",
                &["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 2.7.0 ok\r\n"],
                &[
                    "AUTH LOGIN",
                    "auth-data YWxpY2VAZXhhbXBsZS5vcmc=",
                    "auth-data d29uZGVybGFuZA==",
                    "MAIL FROM:<alice@example.org>",
                ],
                None,
            ),
            // A wrong password: 535, QUIT, and the whole message refused with it.
            (
                Login,
                "wonderlnd",
                &["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "535 5.7.8 invalid\r\n"],
                &["AUTH LOGIN", "auth-data YWxpY2VAZXhhbXBsZS5vcmc=", "auth-data d29uZGVybG5k", "QUIT"],
                Some(535),
            ),
            // A server that does not take the mechanism at all answers the AUTH line.
            (Login, "x", &["504 5.5.4 unknown mechanism\r\n"], &["AUTH LOGIN", "QUIT"], Some(504)),
            (
                Plain,
                "x",
                &["538 5.7.11 encryption required\r\n"],
                &["AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHg=", "QUIT"],
                Some(538),
            ),
        ];
        for (mechanism, password, replies, want, refused) in cases {
            let mut script = vec!["220 mx\r\n", EHLO];
            script.extend_from_slice(replies);
            let (sent, c) = run_login(*mechanism, password, &script);
            assert_eq!(&sent[1..], *want, "{mechanism:?} {password}");
            assert_eq!(c.refused_whole().map(|r| r.code), *refused, "{mechanism:?} {password}");
        }
    }

    #[test]
    fn without_the_mechanism_on_offer_it_does_not_log_in() {
        // The server offers PLAIN only: a LOGIN client goes on without a login (the
        // server then says 530 if it needs one, and that refuses the whole message).
        let (sent, c) = run_login(
            auth::Mechanism::Login,
            "x",
            &["220 mx\r\n", "250-mx\r\n250 AUTH PLAIN\r\n", "530 5.7.0 log in first\r\n"],
        );
        assert_eq!(sent, ["EHLO laptop.example.org", "MAIL FROM:<alice@example.org>", "QUIT"]);
        assert_eq!(c.refused_whole().map(|r| r.code), Some(530));
    }

    #[test]
    fn a_broken_program_puts_the_message_on_the_wire_as_it_is() {
        let cases: &[(Option<Flaw>, &[u8], &[u8])] = &[
            // A good program doubles the dot (RFC 5321 §4.5.2).
            (None, b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),
            // No stuffing: the lone dot ends the data early.
            (Some(Flaw::NoDotStuffing), b"a\r\n.\r\nb\r\n", b"a\r\n.\r\nb\r\n.\r\n"),
            (Some(Flaw::NoDotStuffing), b"a\r\nb", b"a\r\nb\r\n.\r\n"),
            // Bare LF: the text as stored, with only the final dot's line ends in CRLF.
            (Some(Flaw::BareLf), b"a\r\n.\r\nb\r\n", b"a\n.\nb\r\n.\r\n"),
            (Some(Flaw::BareLf), b"a\r\n\r\nb", b"a\n\nb\r\n.\r\n"),
        ];
        for (flaw, message, wire) in cases {
            let env = Envelope { mail_from: "a@b.c".into(), rcpt_to: vec!["bob@example.net".into()] };
            let mut c = SmtpClient::new("h", env, message.to_vec(), SimTime::ZERO).with_flaw(*flaw);
            let mut data = None;
            for r in ["220 mx\r\n", "250 mx\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n"] {
                c.handle_input(r.as_bytes(), SimTime::ZERO, &mut Directory::default());
                while let Some(o) = c.poll_output() {
                    if let Output::Send { bytes, kind: EventKind::MessageData } = o {
                        data = Some(bytes);
                    }
                }
            }
            assert_eq!(data.as_deref(), Some(*wire), "{flaw:?}");
        }
    }

    #[test]
    fn happy_path_sends_size_and_stuffs_the_body() {
        let (sent, outcome) = run(
            &["bob@example.net"],
            &[
                "220 mx\r\n",
                "250-mx\r\n250 SIZE 1000\r\n",
                "250 ok\r\n",
                "250 ok\r\n",
                "354 go\r\n",
                "250 queued\r\n",
                "221 bye\r\n",
            ],
        );
        assert_eq!(
            sent,
            [
                "EHLO smtp.example.org",
                "MAIL FROM:<alice@example.org> SIZE=19",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "Subject: x\r\n\r\n..hi\r\n.\r\n",
                "QUIT",
                "<close>"
            ]
        );
        let o = outcome.unwrap();
        assert!(matches!(o.recipients[0].1, RcptStatus::Delivered(_)));
    }

    #[test]
    fn a_refused_starttls_goes_on_in_the_clear_for_a_relay_only() {
        // (reply to STARTTLS, a mail program with a login?, what the server says next,
        // the commands sent, the recipient's reply code, the error for the whole message).
        // 454 to a relay: on in the clear in the same session, no second EHLO (RFC 3207 §4,
        // RFC 7435 §3); to a mail program with a password: stop, the message kept; 421:
        // the server is closing (RFC 5321 §3.8).
        let done = ["250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 ok\r\n", "221 bye\r\n"];
        let cases: &[(&str, bool, &[&str], &[&str], u16, Option<u16>)] = &[
            (
                "454 4.7.0 no TLS now",
                false,
                &done,
                &["EHLO", "STARTTLS", "MAIL", "RCPT", "DATA", "QUIT"],
                250,
                None,
            ),
            ("454 4.7.0 no TLS now", true, &["221 bye\r\n"], &["EHLO", "STARTTLS", "QUIT"], 454, Some(454)),
            ("502 5.5.1 not here", true, &["221 bye\r\n"], &["EHLO", "STARTTLS", "QUIT"], 502, Some(502)),
            ("421 4.3.2 closing", false, &[], &["EHLO", "STARTTLS", "QUIT"], 421, Some(421)),
        ];
        for &(reply, login, then, want, status, whole) in cases {
            let env =
                Envelope { mail_from: "alice@example.org".into(), rcpt_to: vec!["bob@example.net".into()] };
            let mut c =
                SmtpClient::new("smtp.example.org", env, b"Subject: x\r\n\r\nhi\r\n".to_vec(), SimTime::ZERO)
                    .with_starttls();
            if login {
                c = c.with_login("alice@example.org", "wonderland");
            }
            let mut sent = Vec::new();
            let first = [
                "220 mx\r\n".to_string(),
                "250-mx\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n".into(),
                format!("{reply}\r\n"),
            ];
            for r in first.iter().map(String::as_str).chain(then.iter().copied()) {
                c.handle_input(r.as_bytes(), SimTime::ZERO, &mut Directory::default());
                while let Some(o) = c.poll_output() {
                    if let Output::Send { bytes, kind: EventKind::Command { .. } } = o {
                        let line = String::from_utf8(bytes).unwrap();
                        sent.push(line.split([' ', '\r']).next().unwrap().to_string());
                    }
                }
            }
            if then.is_empty() {
                // The server closes after its 421.
                c.handle_close(SimTime::ZERO);
            }
            let case = format!("{reply}, login {login}");
            assert_eq!(sent, want, "{case}");
            let outcome = c.outcome().unwrap_or_else(|| panic!("{case}: not done"));
            let code = match &outcome.recipients[0].1 {
                RcptStatus::Delivered(r) | RcptStatus::Failed(r) => r.code,
                RcptStatus::Interrupted(_) => 0,
            };
            assert_eq!((code, c.refused_whole().map(|r| r.code)), (status, whole), "{case}");
        }
    }

    #[test]
    fn refusals_end_cleanly_with_the_reason() {
        let cases: &[(&str, &[&str], &[&str], &[&str])] = &[
            (
                "unknown user",
                &["bob@example.net"],
                &["220 mx\r\n", "250 mx\r\n", "250 ok\r\n", "550 5.1.1 no such user\r\n", "221 bye\r\n"],
                &["Failed 550"],
            ),
            (
                "one of two refused",
                &["x@example.net", "bob@example.net"],
                &[
                    "220 mx\r\n",
                    "250 mx\r\n",
                    "250 ok\r\n",
                    "550 5.1.1 no\r\n",
                    "250 ok\r\n",
                    "354 go\r\n",
                    "250 ok\r\n",
                    "221 bye\r\n",
                ],
                &["Failed 550", "Delivered 250"],
            ),
            (
                "greeting refused: skip this server, no bounce",
                &["bob@example.net"],
                &["554 no service\r\n", "221 bye\r\n"],
                &["Interrupted"],
            ),
            (
                "temporary at MAIL",
                &["bob@example.net"],
                &["220 mx\r\n", "250 mx\r\n", "451 later\r\n", "221 bye\r\n"],
                &["Failed 451"],
            ),
            (
                "HELO fallback",
                &["bob@example.net"],
                &[
                    "220 mx\r\n",
                    "500 what\r\n",
                    "250 mx\r\n",
                    "250 ok\r\n",
                    "250 ok\r\n",
                    "354 go\r\n",
                    "250 ok\r\n",
                    "221 bye\r\n",
                ],
                &["Delivered 250"],
            ),
            ("garbage reply", &["bob@example.net"], &["hello there\r\n"], &["Interrupted"]),
        ];
        for (name, rcpts, server, want) in cases {
            let (_, outcome) = run(rcpts, server);
            let got: Vec<String> = outcome
                .unwrap_or_else(|| panic!("{name}: not done"))
                .recipients
                .iter()
                .map(|(_, s)| match s {
                    RcptStatus::Delivered(r) => format!("Delivered {}", r.code),
                    RcptStatus::Failed(r) => format!("Failed {}", r.code),
                    RcptStatus::Interrupted(_) => "Interrupted".into(),
                })
                .collect();
            assert_eq!(got, *want, "{name}");
        }
    }

    #[test]
    fn addresses_with_line_breaks_are_refused_before_sending() {
        for (from, to) in
            [("a@b.c\r\nRCPT TO:<x@y.z>", "bob@example.net"), ("a@b.c", "bob@example.net>\r\nDATA")]
        {
            let env = Envelope { mail_from: from.into(), rcpt_to: vec![to.into()] };
            let mut c = SmtpClient::new("h", env, vec![], SimTime::ZERO);
            c.handle_input(b"220 mx\r\n", SimTime::ZERO, &mut Directory::default());
            assert_eq!(c.poll_output(), None, "{from:?} {to:?}");
            assert!(matches!(c.outcome().unwrap().recipients[0].1, RcptStatus::Interrupted(_)));
        }
    }

    #[test]
    fn no_recipients_and_250_to_data_are_not_deliveries() {
        let env = Envelope { mail_from: "a@b.c".into(), rcpt_to: vec![] };
        let mut c = SmtpClient::new("h", env, vec![], SimTime::ZERO);
        c.handle_input(b"220 mx\r\n250 mx\r\n250 ok\r\n", SimTime::ZERO, &mut Directory::default());
        assert_eq!(c.poll_output(), None);
        assert_eq!(c.outcome().unwrap().recipients, vec![]);
        let (_, outcome) = run(
            &["bob@example.net"],
            &["220 mx\r\n", "250 mx\r\n", "250 ok\r\n", "250 ok\r\n", "250 what\r\n", "221 bye\r\n"],
        );
        assert!(matches!(outcome.unwrap().recipients[0].1, RcptStatus::Interrupted(_)));
    }

    #[test]
    fn lost_connection_is_transient() {
        let env = Envelope { mail_from: "a@b.c".into(), rcpt_to: vec!["bob@example.net".into()] };
        let mut c = SmtpClient::new("h", env, vec![], SimTime::ZERO);
        c.handle_input(b"220 mx\r\n", SimTime::ZERO, &mut Directory::default());
        c.handle_close(SimTime::ZERO);
        let o = c.outcome().unwrap();
        assert!(o.recipients[0].1.is_transient());
    }

    #[test]
    fn a_silent_server_times_out_as_a_temporary_failure() {
        // RFC 5321 §4.5.3.2: 5 minutes for the greeting, MAIL and RCPT, 2 for DATA,
        // 10 for the end of data.
        let cases: &[(&str, &[&str], u64)] = &[
            ("greeting", &[], 300),
            ("mail", &["220 mx\r\n", "250 mx\r\n"], 300),
            ("data", &["220 mx\r\n", "250 mx\r\n", "250 ok\r\n", "250 ok\r\n"], 120),
            ("end of data", &["220 mx\r\n", "250 mx\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n"], 600),
        ];
        for (name, replies, secs) in cases {
            let env = Envelope { mail_from: "a@b.c".into(), rcpt_to: vec!["bob@example.net".into()] };
            let mut c = SmtpClient::new("h", env, b"x\r\n".to_vec(), SimTime::ZERO);
            for r in *replies {
                c.handle_input(r.as_bytes(), SimTime::from_secs(10), &mut Directory::default());
            }
            while c.poll_output().is_some() {}
            let due = SimTime::from_secs(if replies.is_empty() { 0 } else { 10 } + secs);
            assert_eq!(c.poll_timeout(), Some(due), "{name}");
            c.handle_timeout(SimTime(due.0 - 1));
            assert!(c.outcome().is_none(), "{name}: not yet");
            c.handle_timeout(due);
            assert_eq!(c.poll_output(), Some(Output::Close), "{name}");
            let o = c.outcome().unwrap();
            assert!(o.recipients[0].1.is_transient(), "{name}");
            assert_eq!(c.poll_timeout(), None);
        }
    }

    #[test]
    fn settled_once_every_recipient_has_its_answer_before_quit() {
        const START: [&str; 3] = ["220 mx\r\n", "250 mx\r\n", "250 ok\r\n"];
        // (recipients, replies after the greeting, EHLO and MAIL; settled then, and how)
        let cases: [(&[&str], &[&str], Option<&[bool]>); 5] = [
            // Accepted, data not yet answered: the message is still the client's.
            (&["bob@example.net"], &["250 ok\r\n", "354 go\r\n"], None),
            // The 250 after the data: settled, though QUIT has not been answered.
            (&["bob@example.net"], &["250 ok\r\n", "354 go\r\n", "250 queued\r\n"], Some(&[true])),
            // Every recipient refused: nothing to send, settled before QUIT.
            (&["bobby@example.net"], &["550 no such user\r\n"], Some(&[false])),
            // One of two refused, the other still waiting for the data's answer.
            (&["bob@example.net", "bobby@example.net"], &["250 ok\r\n", "550 no\r\n", "354 go\r\n"], None),
            (
                &["bob@example.net", "bobby@example.net"],
                &["250 ok\r\n", "550 no\r\n", "354 go\r\n", "250 queued\r\n"],
                Some(&[true, false]),
            ),
        ];
        for (rcpts, replies, want) in cases {
            let env = Envelope {
                mail_from: "alice@example.org".into(),
                rcpt_to: rcpts.iter().map(|r| r.to_string()).collect(),
            };
            let mut c = SmtpClient::new("smtp.example.org", env, b"x\r\n".to_vec(), SimTime::ZERO);
            for r in START.iter().chain(replies.iter()) {
                c.handle_input(r.as_bytes(), SimTime::ZERO, &mut Directory::default());
            }
            while c.poll_output().is_some() {}
            let got = c.settled().map(|o| {
                o.recipients.iter().map(|(_, s)| matches!(s, RcptStatus::Delivered(_))).collect::<Vec<_>>()
            });
            assert_eq!(got.as_deref(), want, "{rcpts:?} {replies:?}");
            // Not done yet: QUIT still waits for its 221, so `outcome` is not there.
            assert!(c.outcome().is_none(), "{rcpts:?} {replies:?}");
        }
    }
}
