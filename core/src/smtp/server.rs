//! The SMTP server, sans-IO (RFC 5321 §4; SIZE RFC 1870; 8BITMIME RFC 6152;
//! PIPELINING RFC 2920; ENHANCEDSTATUSCODES RFC 2034).
//!
//! Call [`SmtpServer::new`] when a client connects (the greeting is queued), then
//! [`SmtpServer::handle_input`] with the bytes that arrive and the current time, then
//! drain [`SmtpServer::poll_output`]. Replies come out in command order, one per command,
//! however the commands were grouped into writes.

use std::collections::VecDeque;
use std::fmt;

use crate::line::{Line, LineReader};
use crate::smtp::command::{self, Command};
use crate::smtp::data::{DataEnd, DataProblem, DataReader};
use crate::smtp::reply::Reply;
use crate::smtp::{MAX_COMMAND_LINE, MAX_MESSAGE_SIZE, MAX_RECIPIENTS};
use crate::time::{SimTime, rfc5322_date};

/// What a server accepts and for whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Its own name, used in the greeting, EHLO and `Received:`.
    pub hostname: String,
    /// Domains whose mail is delivered here.
    pub local_domains: Vec<String>,
    /// Mailboxes (full addresses, lower case) on the local domains. `postmaster` of every
    /// local domain is always accepted (RFC 5321 §4.5.1).
    pub mailboxes: Vec<String>,
    /// Client addresses allowed to relay to other domains (a provider's own network).
    pub relay_clients: Vec<String>,
    pub max_message_size: usize,
    pub max_recipients: usize,
}

impl ServerConfig {
    pub fn new(hostname: &str) -> ServerConfig {
        ServerConfig {
            hostname: hostname.to_string(),
            local_domains: Vec::new(),
            mailboxes: Vec::new(),
            relay_clients: Vec::new(),
            max_message_size: MAX_MESSAGE_SIZE,
            max_recipients: MAX_RECIPIENTS,
        }
    }

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Greeting sent; EHLO or HELO must come first.
    ExpectHelo,
    /// Ready for a new transaction.
    ExpectMail,
    /// MAIL accepted; at least one RCPT must follow.
    ExpectRcpt,
    /// At least one recipient accepted; more RCPT, or DATA.
    ExpectRcptOrData,
    /// After 354: reading the message until `CRLF.CRLF`.
    ReceivingData,
    /// QUIT answered; the connection is closing.
    Closed,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
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
}

/// What the server wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerOutput {
    /// Send this reply. `to_verb` is the command it answers (`None` for the greeting).
    Reply { reply: Reply, to_verb: Option<String> },
    /// A message was accepted. Comes out just before the 250 that confirms it.
    Accepted(Accepted),
    /// Close the connection (after 221).
    Close,
}

#[derive(Clone, Debug, Default)]
struct Transaction {
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
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
    data: Option<DataReader>,
    tx: Transaction,
    out: VecDeque<ServerOutput>,
    /// Messages accepted in this session, for queue ids.
    accepted: u32,
    /// Prefix of this session's queue ids.
    session_id: String,
    /// False when the host's storage is full: new transactions get `452 4.3.1`.
    storage_available: bool,
}

impl SmtpServer {
    /// A client connected: queues the `220` greeting (RFC 5321 §4.2, §3.1).
    /// `session_id` makes the queue ids unique (e.g. a connection counter).
    pub fn new(config: ServerConfig, peer: Peer, session_id: &str) -> SmtpServer {
        let greeting = Reply::plain(220, format!("{} ESMTP Mailroom ready", config.hostname));
        let mut out = VecDeque::new();
        out.push_back(ServerOutput::Reply { reply: greeting, to_verb: None });
        SmtpServer {
            config,
            peer,
            state: State::ExpectHelo,
            helo: None,
            lines: LineReader::new(MAX_COMMAND_LINE),
            data: None,
            tx: Transaction::default(),
            out,
            accepted: 0,
            session_id: session_id.to_string(),
            storage_available: true,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Tells the server whether its host can store more mail. When it cannot, MAIL is
    /// answered `452 4.3.1` (a temporary lack of room, RFC 1870 §6.3, RFC 3463); a
    /// transaction already past MAIL is still accepted, never lost.
    pub fn set_storage_available(&mut self, available: bool) {
        self.storage_available = available;
    }

    /// The next thing to do, in order.
    pub fn poll_output(&mut self) -> Option<ServerOutput> {
        self.out.pop_front()
    }

    /// Bytes from the client. Everything complete is handled now; an incomplete line waits.
    pub fn handle_input(&mut self, mut input: &[u8], now: SimTime) {
        while !input.is_empty() && self.state != State::Closed {
            if let Some(data) = &mut self.data {
                let Some(end) = data.read(&mut input) else {
                    return;
                };
                self.data = None;
                self.finish_data(end, now);
                continue;
            }
            let Some(line) = self.lines.read(&mut input) else {
                return;
            };
            match line {
                // Over-long lines are discarded to their end and answered; the tail is
                // never run as a command (RFC 5321 §4.5.3.1.10).
                Line::TooLong { .. } => self.reply(
                    None,
                    Reply::new(500, "5.5.2", format!("Line too long (at most {MAX_COMMAND_LINE} octets)")),
                ),
                // A command must end with CRLF; one ended by a bare LF is not run
                // (RFC 5321 §2.3.8: a bare LF is not a line end in SMTP).
                Line::Complete { text, bare_lf: true } => {
                    let verb = command::verb_of(&text);
                    let verb = (!verb.is_empty()).then_some(verb);
                    self.reply(
                        verb.as_deref(),
                        Reply::new(
                            500,
                            "5.5.2",
                            "Syntax error: a command line must end with CRLF, not a bare LF",
                        ),
                    )
                }
                Line::Complete { text, bare_lf: false } => self.handle_line(&text),
            }
        }
    }

    /// The client went away: an unfinished transaction is discarded (RFC 5321 §3.8).
    pub fn handle_close(&mut self) {
        self.tx = Transaction::default();
        self.data = None;
        self.state = State::Closed;
    }

    fn reply(&mut self, verb: Option<&str>, reply: Reply) {
        self.out.push_back(ServerOutput::Reply { reply, to_verb: verb.map(str::to_string) });
    }

    fn handle_line(&mut self, line: &[u8]) {
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(reply) => {
                let verb = command::verb_of(line);
                let verb = (!verb.is_empty()).then_some(verb);
                return self.reply(verb.as_deref(), reply);
            }
        };
        let verb = cmd.verb().to_string();
        let reply = self.handle_command(cmd);
        self.reply(Some(&verb), reply);
        if self.state == State::Closed {
            self.out.push_back(ServerOutput::Close);
        }
    }

    /// One command; a bad sequence leaves the state as it was (RFC 5321 §4.1.4).
    fn handle_command(&mut self, cmd: Command) -> Reply {
        let greeted = self.helo.is_some();
        match cmd {
            Command::Ehlo(name) => {
                // A second EHLO resets the transaction, like RSET (RFC 5321 §4.1.4).
                self.tx = Transaction::default();
                self.state = State::ExpectMail;
                self.helo = Some((name.clone(), true));
                let lines = vec![
                    format!("{} greets {name}", self.config.hostname),
                    "PIPELINING".to_string(),
                    format!("SIZE {}", self.config.max_message_size),
                    "8BITMIME".to_string(),
                    "ENHANCEDSTATUSCODES".to_string(),
                    "HELP".to_string(),
                ];
                Reply::multi(250, None, lines)
            }
            Command::Helo(name) => {
                self.tx = Transaction::default();
                self.state = State::ExpectMail;
                self.helo = Some((name.clone(), false));
                Reply::plain(250, format!("{} greets {name}", self.config.hostname))
            }
            Command::Mail { .. } if !greeted => Reply::new(503, "5.5.1", "Send EHLO or HELO first"),
            Command::Mail { .. } if self.tx.mail_from.is_some() => {
                Reply::new(503, "5.5.1", "Nested MAIL command: a transaction is already open")
            }
            // Parameters exist only in ESMTP, after EHLO (RFC 5321 §4.1.1.2, RFC 1870 §6).
            Command::Mail { size, body, .. }
                if (size.is_some() || body.is_some()) && self.helo.as_ref().is_some_and(|h| !h.1) =>
            {
                Reply::new(555, "5.5.4", "MAIL parameters need EHLO, not HELO")
            }
            Command::Mail { from, size, .. } => {
                // SIZE over the fixed maximum: 552 5.3.4 (RFC 1870 §6.2).
                if size.is_some_and(|s| s > self.config.max_message_size) {
                    return Reply::new(
                        552,
                        "5.3.4",
                        format!(
                            "Message size exceeds the maximum of {} octets",
                            self.config.max_message_size
                        ),
                    );
                }
                if !self.storage_available {
                    return Reply::new(452, "4.3.1", "Insufficient system storage, try again later");
                }
                let shown = if from.is_empty() { "<>".to_string() } else { format!("<{from}>") };
                self.tx.mail_from = Some(from);
                self.state = State::ExpectRcpt;
                Reply::new(250, "2.1.0", format!("Sender {shown} OK"))
            }
            Command::Rcpt { .. } if self.tx.mail_from.is_none() => {
                Reply::new(503, "5.5.1", "Need MAIL before RCPT")
            }
            Command::Rcpt { to } => self.rcpt(to),
            Command::Data if self.tx.mail_from.is_none() => {
                Reply::new(503, "5.5.1", "Need MAIL and RCPT before DATA")
            }
            Command::Data if self.tx.rcpt_to.is_empty() => {
                Reply::new(503, "5.5.1", "No valid recipients: need RCPT before DATA")
            }
            Command::Data => {
                self.state = State::ReceivingData;
                self.data = Some(DataReader::new(self.config.max_message_size));
                Reply::plain(354, "End data with <CR><LF>.<CR><LF>")
            }
            Command::Rset => {
                self.tx = Transaction::default();
                if greeted {
                    self.state = State::ExpectMail;
                }
                Reply::new(250, "2.0.0", "Reset OK")
            }
            // VRFY is answered 252 so that addresses cannot be harvested (RFC 5321 §3.5.3, §7.3).
            Command::Vrfy(_) => {
                Reply::new(252, "2.5.0", "Cannot VRFY user, but will accept the message and attempt delivery")
            }
            Command::Expn(_) => Reply::new(502, "5.5.1", "EXPN is not offered here"),
            Command::Help(_) => Reply::multi(
                214,
                Some("2.0.0"),
                vec![
                    "Mailroom's simulated SMTP server. Commands:".to_string(),
                    "EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT".to_string(),
                    "Read RFC 5321 for what each of them does.".to_string(),
                ],
            ),
            Command::Noop => Reply::new(250, "2.0.0", "OK"),
            Command::Quit => {
                self.tx = Transaction::default();
                self.state = State::Closed;
                Reply::new(221, "2.0.0", format!("{} closing connection", self.config.hostname))
            }
            Command::NotImplemented(verb) => Reply::new(502, "5.5.1", format!("{verb} is not offered here")),
        }
    }

    fn rcpt(&mut self, to: String) -> Reply {
        // Beyond the limit: 452, and the recipients accepted so far are kept (RFC 5321 §4.5.3.1.10).
        if self.tx.rcpt_to.len() >= self.config.max_recipients {
            return Reply::new(452, "4.5.3", "Too many recipients");
        }
        let to = if to == "postmaster" {
            // `<Postmaster>` without a domain means this host's postmaster (RFC 5321 §4.1.1.3).
            let domain =
                self.config.local_domains.first().cloned().unwrap_or_else(|| self.config.hostname.clone());
            format!("postmaster@{domain}")
        } else {
            to
        };
        let domain = to.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if self.config.is_local_domain(domain) {
            let Some(mailbox) = self.config.local_mailbox(&to) else {
                return Reply::new(550, "5.1.1", format!("<{to}>: no such user here"));
            };
            self.accept_rcpt(mailbox);
            return Reply::new(250, "2.1.5", format!("Recipient <{to}> OK"));
        }
        if self.config.relay_clients.iter().any(|c| c == &self.peer.addr) {
            self.accept_rcpt(to.clone());
            return Reply::new(250, "2.1.5", format!("Recipient <{to}> OK, will relay"));
        }
        Reply::new(550, "5.7.1", format!("<{to}>: relay access denied"))
    }

    fn accept_rcpt(&mut self, to: String) {
        if !self.tx.rcpt_to.contains(&to) {
            self.tx.rcpt_to.push(to);
        }
        self.state = State::ExpectRcptOrData;
    }

    fn finish_data(&mut self, end: DataEnd, now: SimTime) {
        let tx = std::mem::take(&mut self.tx);
        self.state = State::ExpectMail;
        let reply = match end {
            DataEnd::Rejected(DataProblem::BareLineEnd) => Reply::new(
                554,
                "5.6.0",
                "Message refused: bare LF or CR in the data; lines must end with CRLF",
            ),
            DataEnd::Rejected(DataProblem::LineTooLong) => {
                Reply::new(554, "5.6.0", "Message refused: a line is longer than 1000 octets")
            }
            DataEnd::Rejected(DataProblem::TooBig) => Reply::new(
                552,
                "5.3.4",
                format!("Message size exceeds the maximum of {} octets", self.config.max_message_size),
            ),
            DataEnd::Complete(message) => {
                self.accepted += 1;
                let id = format!("{}{:02}", self.session_id, self.accepted);
                let message = self.add_received(&message, &id, &tx.rcpt_to, now);
                self.out.push_back(ServerOutput::Accepted(Accepted {
                    id: id.clone(),
                    mail_from: tx.mail_from.unwrap_or_default(),
                    rcpt_to: tx.rcpt_to,
                    message,
                    received_at: now,
                }));
                Reply::new(250, "2.0.0", format!("OK: queued as {id}"))
            }
        };
        self.reply(Some("DATA"), reply);
    }

    /// Prepends this hop's `Received:` header (RFC 5321 §4.4).
    fn add_received(&self, message: &[u8], id: &str, rcpts: &[String], now: SimTime) -> Vec<u8> {
        let (helo, esmtp) = self.helo.clone().unwrap_or_default();
        // TCP-info: the name from reverse DNS when known, and always the address (§4.4).
        let tcp_info = match &self.peer.name {
            Some(name) => format!("{name} [{}]", self.peer.addr),
            None => format!("[{}]", self.peer.addr),
        };
        let with = if esmtp { "ESMTP" } else { "SMTP" };
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

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn config() -> ServerConfig {
        let mut c = ServerConfig::new("mx.example.net");
        c.local_domains = vec!["example.net".into()];
        c.mailboxes = vec!["bob@example.net".into(), "carol@example.net".into()];
        c.relay_clients = vec!["192.0.2.10".into()];
        c
    }

    fn peer(addr: &str) -> Peer {
        Peer { addr: addr.into(), name: Some("client.example".into()) }
    }

    /// Feeds `writes` one after the other and returns every reply as `"code enhanced"` or
    /// `"code"`, plus the accepted messages.
    fn run_from(addr: &str, writes: &[&[u8]]) -> (Vec<String>, Vec<Accepted>, SmtpServer) {
        let mut s = SmtpServer::new(config(), peer(addr), "A");
        let mut replies = Vec::new();
        let mut accepted = Vec::new();
        let mut drain = |s: &mut SmtpServer, replies: &mut Vec<String>| {
            while let Some(o) = s.poll_output() {
                match o {
                    ServerOutput::Reply { reply, .. } => replies.push(match reply.enhanced {
                        Some(e) => format!("{} {e}", reply.code),
                        None => reply.code.to_string(),
                    }),
                    ServerOutput::Accepted(a) => accepted.push(a),
                    ServerOutput::Close => replies.push("close".into()),
                }
            }
        };
        drain(&mut s, &mut replies);
        for w in writes {
            s.handle_input(w, SimTime::ZERO);
            drain(&mut s, &mut replies);
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
            (
                "size over the maximum",
                vec![b"EHLO c\r\nMAIL FROM:<a@example.org> SIZE=99999999999\r\nMAIL FROM:<a@example.org> SIZE=100\r\n"],
                vec!["220", "250", "552 5.3.4", "250 2.1.0"],
            ),
            (
                "second EHLO resets the transaction",
                vec![b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nEHLO c\r\nRCPT TO:<bob@example.net>\r\n"],
                vec!["220", "250", "250 2.1.0", "250", "503 5.5.1"],
            ),
            ("quit closes", vec![b"QUIT\r\nNOOP\r\n"], vec!["220", "221 2.0.0", "close"]),
            (
                "a bare LF does not end a command",
                vec![b"NOOP\n", b"QUIT\nNOOP\r\n"],
                vec!["220", "500 5.5.2", "500 5.5.2", "250 2.0.0"],
            ),
            (
                "MAIL parameters need EHLO",
                vec![b"HELO c\r\nMAIL FROM:<a@example.org> SIZE=10\r\nMAIL FROM:<a@example.org>\r\n"],
                vec!["220", "250", "555 5.5.4", "250 2.1.0"],
            ),
        ];
        for (name, writes, want) in cases {
            let (got, _, _) = run(&writes);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn full_storage_refuses_new_mail_for_now() {
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A");
        s.set_storage_available(false);
        s.handle_input(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\n", SimTime::ZERO);
        let last = std::iter::from_fn(|| s.poll_output()).last();
        let Some(ServerOutput::Reply { reply, .. }) = last else { panic!() };
        assert_eq!((reply.code, reply.enhanced.as_deref()), (452, Some("4.3.1")));
        assert_eq!(s.state(), State::ExpectMail);
    }

    #[test]
    fn bad_sequence_leaves_state_unchanged() {
        let (_, _, s) = run(&[b"EHLO c\r\nMAIL FROM:<a@example.org>\r\n"]);
        assert_eq!(s.state(), State::ExpectRcpt);
        let mut s = s;
        s.handle_input(b"DATA\r\nMAIL FROM:<b@example.org>\r\n", SimTime::ZERO);
        assert_eq!(s.state(), State::ExpectRcpt);
    }

    #[test]
    fn ehlo_is_multiline_with_one_code() {
        let mut s = SmtpServer::new(config(), peer("198.51.100.1"), "A");
        s.poll_output();
        s.handle_input(b"EHLO c.example\r\n", SimTime::ZERO);
        let Some(ServerOutput::Reply { reply, .. }) = s.poll_output() else { panic!() };
        let wire = String::from_utf8(reply.to_bytes()).unwrap();
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
        assert_eq!(s.state(), State::ExpectMail);
        let [a] = accepted.as_slice() else { panic!("{accepted:?}") };
        assert_eq!(a.mail_from, "alice@example.org");
        assert_eq!(a.rcpt_to, ["bob@example.net"]);
        let text = String::from_utf8(a.message.clone()).unwrap();
        assert!(text.starts_with("Received: from laptop.example.org (client.example [203.0.113.7])\r\n\tby mx.example.net (Mailroom) with ESMTP id A01\r\n\tfor <bob@example.net>; Mon, 30 Nov 2026 09:00:00 +0000\r\n"), "{text}");
        assert!(text.ends_with("Subject: hi\r\n\r\n.x\r\n.\r\n..\r\n"), "{text}");
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
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A");
        let mut input = b"EHLO c\r\nMAIL FROM:<a@example.org>\r\n".to_vec();
        for i in 0..=MAX_RECIPIENTS {
            input.extend_from_slice(format!("RCPT TO:<u{i}@far.example>\r\n").as_bytes());
        }
        input.extend_from_slice(b"DATA\r\n");
        s.handle_input(&input, SimTime::ZERO);
        let codes: Vec<u16> = std::iter::from_fn(|| s.poll_output())
            .filter_map(|o| match o {
                ServerOutput::Reply { reply, .. } => Some(reply.code),
                _ => None,
            })
            .collect();
        assert_eq!(codes.iter().filter(|c| **c == 452).count(), 1);
        assert_eq!(codes.last(), Some(&354), "the 100 accepted recipients remain");
        assert_eq!(s.tx.rcpt_to.len(), MAX_RECIPIENTS);
    }

    #[test]
    fn garbage_never_panics_and_never_grows() {
        let mut s = SmtpServer::new(config(), peer("192.0.2.10"), "A");
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
            s.handle_input(&chunk, SimTime::ZERO);
            while s.poll_output().is_some() {}
            assert!(s.lines.pending() <= MAX_COMMAND_LINE);
        }
    }
}
