//! The POP3 server, sans-IO (RFC 1939; CAPA and response codes RFC 2449; `[AUTH]`
//! RFC 3206; STLS RFC 2595).
//!
//! It keeps the [`Session`] contract: create it with [`Pop3Server::new`] when a client
//! connects (the greeting, with its APOP timestamp, is queued), feed what arrives to
//! [`Session::handle_input`], drain [`Session::poll_output`], and wake it at
//! [`Session::poll_timeout`]. Responses come out in command order, one per command,
//! however the commands were grouped into writes (RFC 2449 §6.6, PIPELINING).
//!
//! It holds no mail. Whether a password is right, the APOP secret, locking and opening a
//! maildrop, a message's bytes and the deletions at QUIT are all asked of the host
//! through [`Env`]. Deletions are only marks until QUIT enters the UPDATE state
//! (RFC 1939 §6); a session that ends any other way deletes nothing.
//!
//! **The lock after an unclean end.** [`Session::handle_close`] and
//! [`Session::handle_timeout`] get no `Env`, so when a connection ends without QUIT the
//! driver releases the maildrop itself with [`Env::close_maildrop`], for the user that
//! [`Pop3Server::user`] names and the session id it gave to [`Pop3Server::new`].

use std::collections::VecDeque;

use crate::line::{Held, Line, LineEnds, LineReader, ascii_text};
use crate::pop3::command::{self, Command};
use crate::pop3::md5::hex_digest;
use crate::pop3::{
    MAX_COMMAND_LINE, MAX_RESPONSE_LINE, MaildropError, MessageError, Pop3Item, valid_unique_id,
};
use crate::session::{Env, Output, Request, Session, SessionState};
use crate::smtp::server::Peer;
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, Status};
use crate::vecmap::VecSet;

/// The autologout timer: "A POP3 server MAY have an inactivity autologout timer. Such a
/// timer MUST be of at least 10 minutes' duration" (RFC 1939 §3). We use the minimum.
pub const AUTOLOGOUT: SimDuration = SimDuration::from_secs(10 * 60);

/// What `CAPA` lists (RFC 2449 §5–6): only what this server really offers. `USER`: the
/// USER/PASS login (§6.2); `RESP-CODES` (§6.4) and `AUTH-RESP-CODE` (RFC 3206 §6): the
/// bracketed codes; `PIPELINING` (§6.6): responses in order, no input lost.
pub const CAPABILITIES: [&str; 7] =
    ["TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION Mailroom"];

/// How a POP3 server presents itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pop3Config {
    /// Its own name, in the greeting and its APOP timestamp.
    pub hostname: String,
    /// Inactivity before the autologout closes the session ([`AUTOLOGOUT`]).
    pub timeout: SimDuration,
    /// STLS is offered (RFC 2595 §4): its driver can do a TLS handshake.
    pub tls: bool,
    /// USER, PASS and APOP only once STLS has encrypted the connection (RFC 2595 §4: a
    /// server may refuse them before; CAPA then does not list `USER`, RFC 2449 §6.2).
    pub login_needs_tls: bool,
}

impl Pop3Config {
    pub fn new(hostname: &str) -> Pop3Config {
        Pop3Config { hostname: hostname.to_string(), timeout: AUTOLOGOUT, tls: false, login_needs_tls: false }
    }
}

/// The session's state, named after RFC 1939 §3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// The client must identify itself: USER then PASS, or APOP (RFC 1939 §4, §7).
    /// `user_given` after a successful USER: PASS may come next, and only next.
    Authorization { user_given: bool },
    /// Logged in, the maildrop locked: the client reads and marks messages (RFC 1939 §5).
    Transaction,
    /// QUIT from TRANSACTION: the host deletes the marked messages, releases the lock,
    /// and the connection closes (RFC 1939 §6).
    Update,
    /// Ended without UPDATE: QUIT before login, the client went away, or the autologout
    /// timer ran out. Nothing was deleted.
    Closed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Authorization { .. } => "Authorization",
            State::Transaction => "Transaction",
            State::Update => "Update",
            State::Closed => "Closed",
        }
    }

    /// In plain words, for a student (at most 41 characters). While its response is still
    /// on the way (`sending`), the server "replies" first.
    pub fn describe(self, sending: bool) -> &'static str {
        match (self, sending) {
            (State::Authorization { user_given: false }, true) => "replies; then waits for USER and PASS",
            (State::Authorization { user_given: false }, false) => "waits for USER and PASS",
            (State::Authorization { user_given: true }, true) => "replies; then waits for PASS",
            (State::Authorization { user_given: true }, false) => "knows the user name: waits for PASS",
            (State::Transaction, true) => "replies; the maildrop stays locked",
            (State::Transaction, false) => "logged in: the maildrop is locked",
            (State::Update, _) => "ends the session (UPDATE) and closes",
            (State::Closed, _) => "closing the connection",
        }
    }
}

/// One message of the open maildrop.
#[derive(Clone, Debug)]
struct Entry {
    uid: String,
    size: u64,
    deleted: bool,
}

/// The maildrop this session holds locked.
#[derive(Clone, Debug)]
struct Maildrop {
    user: String,
    messages: Vec<Entry>,
}

impl Maildrop {
    /// Messages not marked deleted, and their octets (RFC 1939 §5, STAT).
    fn totals(&self) -> (usize, u64) {
        self.messages.iter().filter(|m| !m.deleted).fold((0, 0), |(n, o), m| (n + 1, o + m.size))
    }
}

/// One POP3 server session.
#[derive(Clone, Debug)]
pub struct Pop3Server {
    config: Pop3Config,
    peer: Peer,
    session: u64,
    state: State,
    /// The greeting's `<pid.clock@host>`, which APOP's digest covers (RFC 1939 §7).
    timestamp: String,
    lines: LineReader,
    /// The name of a successful USER, until the next command.
    pending_user: Option<String>,
    maildrop: Option<Maildrop>,
    out: VecDeque<Output>,
    /// When the autologout timer runs out.
    deadline: SimTime,
    /// Whether the client's octets complete a line: the timer restarts per line.
    line_ends: LineEnds,
    /// After `+OK` to STLS, until the driver says the handshake is done: what arrives in
    /// the clear meanwhile is discarded (RFC 2595 §4).
    handshake: bool,
    /// The connection is encrypted (after STLS and its handshake).
    tls_active: bool,
}

impl Pop3Server {
    /// A client connected at `now`: queues the `+OK` greeting with an APOP timestamp
    /// (RFC 1939 §4, §7). `session` identifies this session to the host (the maildrop's
    /// lock holder) and stands for the process-ID of the timestamp; `now` for its clock,
    /// so the timestamp is unique per session and deterministic.
    pub fn new(config: Pop3Config, peer: Peer, session: u64, now: SimTime) -> Pop3Server {
        let timestamp = format!("<{session}.{}@{}>", now.as_micros(), config.hostname);
        let deadline = now.plus(config.timeout);
        let mut s = Pop3Server {
            config,
            peer,
            session,
            state: State::Authorization { user_given: false },
            timestamp,
            lines: LineReader::crlf(MAX_COMMAND_LINE),
            pending_user: None,
            maildrop: None,
            out: VecDeque::new(),
            deadline,
            line_ends: LineEnds::default(),
            handshake: false,
            tls_active: false,
        };
        let text = format!("{} POP3 server ready {}", s.config.hostname, s.timestamp);
        s.ok(None, text);
        s
    }

    /// The client has taken everything this server sent, at `now` (its driver knows when
    /// the last octet left, or was acknowledged): the autologout timer restarts from then.
    /// It counts inactivity (RFC 1939 §3), and a client still taking a long RETR is not
    /// inactive: were the timer to run while the answer goes out, a slow client would be
    /// logged out before its DELE and QUIT, and download the message again next time. A
    /// driver that holds answers for the client does not act on [`Session::poll_timeout`]
    /// while they wait, and then calls this.
    pub fn handle_output_taken(&mut self, now: SimTime) {
        if !self.is_closed() {
            self.deadline = self.deadline.max(now.plus(self.config.timeout));
        }
    }

    pub fn server_state(&self) -> State {
        self.state
    }

    /// True once STLS and its handshake have encrypted the connection.
    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    pub fn config(&self) -> &Pop3Config {
        &self.config
    }

    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// The session id the host knows this session by.
    pub fn session(&self) -> u64 {
        self.session
    }

    /// The APOP timestamp of the greeting.
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }

    /// The user whose maildrop this session opened (and the host locked), if any.
    pub fn user(&self) -> Option<&str> {
        self.maildrop.as_ref().map(|m| m.user.as_str())
    }

    /// The open maildrop as the client sees it: `(number, unique-id, size, marked deleted)`.
    pub fn messages(&self) -> Vec<(u32, &str, u64, bool)> {
        let Some(drop) = &self.maildrop else { return Vec::new() };
        drop.messages.iter().zip(1..).map(|(m, n)| (n, m.uid.as_str(), m.size, m.deleted)).collect()
    }

    /// The unfinished command line it holds, against its limit (255 octets, RFC 2449 §4).
    pub fn held(&self) -> Held {
        self.lines.held("command line")
    }

    fn send(&mut self, verb: Option<&str>, ok: bool, code: Option<&str>, text: &str, body: Option<Vec<u8>>) {
        // 7-bit ASCII, whatever the text quotes (RFC 1939 §3, RFC 2449 §4).
        let text = ascii_text(text);
        let mut line = match (ok, code) {
            (true, _) => format!("+OK {text}"),
            (false, Some(c)) => format!("-ERR [{c}] {text}"),
            (false, None) => format!("-ERR {text}"),
        };
        // A response line is at most 512 octets with its CRLF (RFC 2449 §4).
        if line.len() > MAX_RESPONSE_LINE - 2 {
            let mut end = MAX_RESPONSE_LINE - 2;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
        }
        let mut bytes = line.into_bytes();
        bytes.extend_from_slice(b"\r\n");
        if let Some(body) = body {
            bytes.extend_from_slice(&body);
            bytes.extend_from_slice(b".\r\n");
        }
        let kind = EventKind::Reply {
            status: Status::Pop3 { ok, code: code.map(str::to_string) },
            to_verb: verb.map(str::to_string),
            answers: None,
        };
        self.out.push_back(Output::Send { bytes, kind });
    }

    fn ok(&mut self, verb: Option<&str>, text: impl AsRef<str>) {
        self.send(verb, true, None, text.as_ref(), None);
    }

    fn err(&mut self, verb: Option<&str>, code: Option<&str>, text: impl AsRef<str>) {
        self.send(verb, false, code, text.as_ref(), None);
    }

    /// A multi-line response: the `+OK` line, then `body` (already dot-stuffed, CRLF line
    /// ends), then the terminating `.CRLF` (RFC 1939 §3).
    fn multi(&mut self, verb: &str, text: impl AsRef<str>, body: Vec<u8>) {
        self.send(Some(verb), true, None, text.as_ref(), Some(body));
    }

    /// PASS may only come "immediately after a successful USER command" (RFC 1939 §7):
    /// every command line takes the pending name away.
    fn take_pending_user(&mut self) -> Option<String> {
        if let State::Authorization { .. } = self.state {
            self.state = State::Authorization { user_given: false };
        }
        self.pending_user.take()
    }

    fn handle_line(&mut self, line: &[u8], env: &mut dyn Env) {
        let user = self.take_pending_user();
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(reason) => {
                let verb = command::verb_of(line);
                let verb = (!verb.is_empty()).then_some(verb);
                return self.err(verb.as_deref(), None, reason);
            }
        };
        match self.state {
            State::Authorization { .. } => self.authorization(cmd, user, env),
            State::Transaction => self.transaction(cmd, env),
            State::Update | State::Closed => {}
        }
    }

    /// CAPA (RFC 2449 §5): with STLS while it may still be used (RFC 2595 §4), and without
    /// USER while a login needs TLS first (RFC 2449 §6.2).
    fn capa(&mut self) {
        let plain = !self.tls_active;
        let body: String = CAPABILITIES
            .iter()
            .filter(|c| !(**c == "USER" && plain && self.config.login_needs_tls))
            .copied()
            .chain((plain && self.config.tls && self.state != State::Transaction).then_some("STLS"))
            .map(|c| format!("{c}\r\n"))
            .collect();
        self.multi("CAPA", "capability list follows", body.into_bytes());
    }

    /// STLS, in the AUTHORIZATION state (RFC 2595 §4): `+OK`, then the handshake, and
    /// nothing sent in the clear meanwhile is acted on.
    fn stls(&mut self) {
        let verb = Some("STLS");
        if !self.config.tls {
            return self.err(verb, None, "STLS is not offered here");
        }
        if self.tls_active {
            return self.err(verb, None, "command not permitted when TLS active");
        }
        self.ok(verb, "Begin TLS negotiation");
        self.handshake = true;
        self.out.push_back(Output::Request(Request::StartTls));
    }

    /// AUTHORIZATION (RFC 1939 §4, §7).
    fn authorization(&mut self, cmd: Command, user: Option<String>, env: &mut dyn Env) {
        let verb = cmd.verb();
        match cmd {
            // Refused before the password is sent, not after (RFC 2595 §4).
            Command::User(_) | Command::Pass(_) | Command::Apop { .. }
                if self.config.login_needs_tls && !self.tls_active =>
            {
                self.err(Some(verb), None, "log in only over TLS: send STLS first (RFC 2595 section 4)")
            }
            // The name is not checked here, so that USER does not tell who has a mailbox:
            // a wrong name and a wrong password get the same `-ERR [AUTH]` at PASS.
            Command::User(name) => {
                self.ok(Some(verb), "now send PASS with the password");
                self.pending_user = Some(name);
                self.state = State::Authorization { user_given: true };
            }
            Command::Pass(_) if user.is_none() => self.err(
                Some(verb),
                None,
                "PASS must come right after a successful USER: send USER name first",
            ),
            Command::Pass(password) => {
                let user = user.unwrap_or_default();
                if env.check_password(&user, &password) {
                    self.open(verb, user, env);
                } else {
                    // RFC 3206 §5: [AUTH] says the credentials were wrong, not the system.
                    self.err(Some(verb), Some("AUTH"), "invalid user name or password");
                }
            }
            Command::Apop { name, digest } => {
                let secret = env.apop_secret(&name);
                let expected = secret.map(|s| hex_digest(format!("{}{s}", self.timestamp).as_bytes()));
                if expected.as_deref() == Some(digest.as_str()) {
                    self.open(verb, name, env);
                } else {
                    self.err(
                        Some(verb),
                        Some("AUTH"),
                        "APOP refused: the digest must be the MD5 of the greeting's timestamp and your secret",
                    );
                }
            }
            // QUIT before login: no UPDATE, nothing to delete (RFC 1939 §4).
            Command::Quit => {
                let text = format!("{} POP3 server signing off", self.config.hostname);
                self.ok(Some(verb), text);
                self.state = State::Closed;
                self.out.push_back(Output::Close);
            }
            // CAPA is allowed in every state (RFC 2449 §5).
            Command::Capa => self.capa(),
            Command::Stls => self.stls(),
            _ => self.err(
                Some(verb),
                None,
                format!("{verb} needs a login first: send USER and PASS, or APOP (RFC 1939 section 4)"),
            ),
        }
    }

    /// A correct login: ask the host to lock and open the maildrop (RFC 1939 §4).
    fn open(&mut self, verb: &str, user: String, env: &mut dyn Env) {
        match env.open_maildrop(&user, self.session) {
            Ok(items) => {
                if !items_are_valid(&items) {
                    env.close_maildrop(&user, self.session);
                    return self.err(
                        Some(verb),
                        Some("SYS/TEMP"),
                        "the maildrop has a message without a valid unique-id; try again later",
                    );
                }
                let messages =
                    items.into_iter().map(|i| Entry { uid: i.uid, size: i.size, deleted: false }).collect();
                let drop = Maildrop { user, messages };
                let (n, octets) = drop.totals();
                let text = format!("{}'s maildrop has {} ({octets} octets)", drop.user, count_messages(n));
                self.maildrop = Some(drop);
                self.state = State::Transaction;
                self.ok(Some(verb), text);
            }
            Err(MaildropError::Locked) => self.err(
                Some(verb),
                Some("IN-USE"),
                "maildrop already locked: another session holds it; try again when it ends",
            ),
            Err(MaildropError::Unavailable) => self.err(
                Some(verb),
                Some("SYS/TEMP"),
                "the maildrop cannot be opened right now; try again later",
            ),
        }
    }

    /// The index of message `n`, if it exists and is not marked deleted (RFC 1939 §5: a
    /// message-number "may NOT refer to a message marked as deleted").
    fn lookup(&self, n: u32) -> Result<usize, String> {
        let drop = self.maildrop.as_ref().ok_or("no maildrop is open")?;
        let count = drop.messages.len();
        let i = (n as usize).wrapping_sub(1);
        match drop.messages.get(i) {
            None => {
                Err(format!("no such message: the maildrop has {}, numbered from 1", count_messages(count)))
            }
            Some(m) if m.deleted => Err(format!("message {n} already deleted")),
            Some(_) => Ok(i),
        }
    }

    /// The bytes of message `i`, asked of the host.
    fn fetch(&self, i: usize, env: &mut dyn Env) -> Result<std::rc::Rc<[u8]>, MessageError> {
        let drop = self.maildrop.as_ref().ok_or(MessageError::Unavailable)?;
        env.maildrop_message(&drop.user, self.session, &drop.messages[i].uid)
    }

    /// TRANSACTION (RFC 1939 §5, §7).
    fn transaction(&mut self, cmd: Command, env: &mut dyn Env) {
        let verb = cmd.verb();
        let Some(drop) = self.maildrop.as_mut() else { return };
        match cmd {
            Command::User(_) | Command::Pass(_) | Command::Apop { .. } => self.err(
                Some(verb),
                None,
                format!("already logged in: {verb} belongs to the AUTHORIZATION state"),
            ),
            Command::Stat => {
                let (n, octets) = drop.totals();
                self.ok(Some(verb), format!("{n} {octets}"));
            }
            Command::List(None) | Command::Uidl(None) => {
                let (n, octets) = drop.totals();
                let mut body = String::new();
                for (m, i) in drop.messages.iter().zip(1..).filter(|(m, _)| !m.deleted) {
                    match cmd {
                        Command::List(_) => body.push_str(&format!("{i} {}\r\n", m.size)),
                        _ => body.push_str(&format!("{i} {}\r\n", m.uid)),
                    }
                }
                let text = match cmd {
                    Command::List(_) => format!("{} ({octets} octets)", count_messages(n)),
                    _ => "unique-id listing follows".to_string(),
                };
                self.multi(verb, text, body.into_bytes());
            }
            Command::List(Some(n)) | Command::Uidl(Some(n)) => match self.lookup(n) {
                Ok(i) => {
                    let m = &self.maildrop.as_ref().expect("open").messages[i];
                    let text = match cmd {
                        Command::List(_) => format!("{n} {}", m.size),
                        _ => format!("{n} {}", m.uid),
                    };
                    self.ok(Some(verb), text);
                }
                Err(e) => self.err(Some(verb), None, e),
            },
            Command::Retr(n) | Command::Top { msg: n, .. } => {
                let i = match self.lookup(n) {
                    Ok(i) => i,
                    Err(e) => return self.err(Some(verb), None, e),
                };
                let bytes = match self.fetch(i, env) {
                    Ok(bytes) => bytes,
                    // Removed for good by another session (an IMAP client's EXPUNGE): no
                    // response code, since retrying cannot help (RFC 3206 §4: SYS/TEMP
                    // says it may); Dovecot answers "-ERR Message 1 expunged." too.
                    Err(MessageError::Gone) => {
                        let text =
                            format!("message {n} is gone: another session removed it from the maildrop");
                        return self.err(Some(verb), None, text);
                    }
                    Err(MessageError::Unavailable) => {
                        return self.err(
                            Some(verb),
                            Some("SYS/TEMP"),
                            format!("message {n} cannot be read right now; try again later"),
                        );
                    }
                };
                match cmd {
                    Command::Top { lines, .. } => {
                        self.multi(verb, "top of message follows", stuff(&bytes, Some(lines)))
                    }
                    _ => {
                        let size = self.maildrop.as_ref().expect("open").messages[i].size;
                        self.multi(verb, format!("{size} octets"), stuff(&bytes, None))
                    }
                }
            }
            Command::Dele(n) => match self.lookup(n) {
                Ok(i) => {
                    self.maildrop.as_mut().expect("open").messages[i].deleted = true;
                    self.ok(Some(verb), format!("message {n} marked for deletion at QUIT"));
                }
                Err(e) => self.err(Some(verb), None, e),
            },
            Command::Noop => self.ok(Some(verb), "still here"),
            Command::Rset => {
                for m in &mut drop.messages {
                    m.deleted = false;
                }
                let (n, octets) = drop.totals();
                self.ok(Some(verb), format!("maildrop has {} ({octets} octets)", count_messages(n)));
            }
            Command::Capa => self.capa(),
            // Only in the AUTHORIZATION state (RFC 2595 §4).
            Command::Stls => {
                self.err(Some(verb), None, "STLS belongs to the AUTHORIZATION state: already logged in")
            }
            Command::Quit => self.update(env),
        }
    }

    /// QUIT from TRANSACTION: the UPDATE state (RFC 1939 §6). The host removes the marked
    /// messages and releases the lock; the connection closes.
    fn update(&mut self, env: &mut dyn Env) {
        self.state = State::Update;
        let Some(drop) = self.maildrop.as_ref() else { return };
        let uids: Vec<String> = drop.messages.iter().filter(|m| m.deleted).map(|m| m.uid.clone()).collect();
        let removed = uids.is_empty() || env.commit_deletions(&drop.user, self.session, &uids);
        env.close_maildrop(&drop.user, self.session);
        // What the maildrop holds now (others may have changed it meanwhile), else what
        // this session listed less what it deleted.
        let left = env.maildrop_count(&drop.user).unwrap_or(drop.totals().0);
        if removed {
            let text =
                format!("{} POP3 server signing off ({} left)", self.config.hostname, count_messages(left));
            self.ok(Some("QUIT"), text);
        } else {
            // RFC 1939 §6: "-ERR some deleted messages not removed".
            self.err(Some("QUIT"), Some("SYS/TEMP"), "some deleted messages not removed");
        }
        self.out.push_back(Output::Close);
    }
}

/// "1 message", "2 messages": the free text of a response is for people (RFC 1939 §3).
fn count_messages(n: usize) -> String {
    if n == 1 { "1 message".to_string() } else { format!("{n} messages") }
}

/// Unique-ids as RFC 1939 §7 wants them: valid, and distinct within the maildrop.
fn items_are_valid(items: &[Pop3Item]) -> bool {
    let mut seen = VecSet::new();
    items.iter().all(|i| valid_unique_id(&i.uid) && seen.insert(i.uid.as_str()))
}

/// `message` as a multi-line response body: every line ended by CRLF, a leading `.`
/// doubled (RFC 1939 §3). With `top = Some(k)`: the headers, the blank line, and the first
/// `k` lines of the body (RFC 1939 §7, TOP).
fn stuff(message: &[u8], top: Option<u32>) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 2);
    let mut in_body = false;
    let mut body_lines = 0u32;
    let mut rest = message;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(p) => (&rest[..p], &rest[p + 1..]),
            None => (rest, &[][..]),
        };
        rest = next;
        if in_body && let Some(k) = top {
            if body_lines >= k {
                break;
            }
            body_lines += 1;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        if line.is_empty() {
            in_body = true;
        }
    }
    out
}

impl Session for Pop3Server {
    fn handle_input(&mut self, mut input: &[u8], now: SimTime, env: &mut dyn Env) {
        if self.is_closed() {
            return;
        }
        // The autologout timer counts inactivity (RFC 1939 §3): it restarts when a command
        // line is complete, not at every octet, so a byte at a time does not keep a session.
        if self.line_ends.complete(input) {
            self.deadline = now.plus(self.config.timeout);
        }
        while !input.is_empty() && !self.is_closed() {
            // Plaintext after STLS, before the handshake: discarded, never run as a command
            // (RFC 2595 §4).
            if self.handshake {
                return;
            }
            let Some(line) = self.lines.read(&mut input) else {
                return;
            };
            match line {
                // Discarded to its end and answered; its tail is never run as a command
                // (RFC 2449 §4; PROTOCOLS.md "Bad input").
                Line::TooLong { .. } => {
                    self.take_pending_user();
                    self.err(
                        None,
                        None,
                        format!(
                            "line too long: a command line is at most {MAX_COMMAND_LINE} octets with its CRLF (RFC 2449 section 4); discarded"
                        ),
                    );
                }
                // RFC 1939 §3: commands end with CRLF; a bare LF is an octet inside the
                // line, which gets one -ERR (command::parse), and what follows it is never
                // run as a command.
                Line::Complete { text, .. } => self.handle_line(&text, env),
            }
        }
    }

    /// The client went away: no UPDATE, nothing is deleted (RFC 1939 §6). The driver
    /// releases the lock (see the module doc).
    fn handle_close(&mut self, _now: SimTime) {
        if self.state != State::Update {
            self.state = State::Closed;
        }
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The handshake after STLS is done: the session goes on in the AUTHORIZATION state,
    /// and a new CAPA lists USER and no longer STLS (RFC 2595 §4).
    fn handle_tls(&mut self, now: SimTime) {
        if !self.handshake || self.is_closed() {
            return;
        }
        self.handshake = false;
        self.tls_active = true;
        self.pending_user = None;
        self.lines = LineReader::crlf(MAX_COMMAND_LINE);
        self.deadline = now.plus(self.config.timeout);
    }

    fn poll_timeout(&self) -> Option<SimTime> {
        (!self.is_closed()).then_some(self.deadline)
    }

    /// The autologout timer ran out: "the session does NOT enter the UPDATE state--the
    /// server should close the TCP connection without removing any messages or sending
    /// any response to the client" (RFC 1939 §3). So: no response, a close.
    fn handle_timeout(&mut self, now: SimTime) {
        if self.is_closed() || now < self.deadline {
            return;
        }
        self.pending_user = None;
        self.state = State::Closed;
        self.out.push_back(Output::Close);
    }

    fn state(&self) -> SessionState {
        SessionState::Pop3Server(self.state)
    }

    fn classify(&self, input: &[u8]) -> EventKind {
        let line = input.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or(input);
        EventKind::Command { verb: command::verb_of(line) }
    }

    fn is_closed(&self) -> bool {
        matches!(self.state, State::Update | State::Closed)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;
    use std::rc::Rc;

    use crate::session::RcptVerdict;

    const MSG1: &[u8] =
        b"Subject: one\r\nFrom: alice@example.org\r\n\r\nHello Bob.\r\n.hidden dot\r\n..two dots\r\n.\r\n";
    const MSG2: &[u8] = b"Subject: two\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";
    const UID1: &str = "1700000000.1";
    const UID2: &str = "1700000000.2";

    /// An in-memory host: passwords, APOP secrets, maildrops with their locks, and a log of
    /// what the server asked it to delete.
    #[derive(Default)]
    struct Host {
        passwords: HashMap<String, String>,
        secrets: HashMap<String, String>,
        drops: HashMap<String, Vec<(String, Rc<[u8]>)>>,
        locks: HashMap<String, u64>,
        deletions: Vec<(String, u64, Vec<String>)>,
        down: bool,
    }

    impl Host {
        fn bob() -> Host {
            let mut h = Host::default();
            h.passwords.insert("bob".into(), "secret".into());
            h.drops.insert("bob".into(), vec![(UID1.into(), MSG1.into()), (UID2.into(), MSG2.into())]);
            h
        }
    }

    impl Env for Host {
        fn recipient(&mut self, _client: &str, _rcpt: &str) -> RcptVerdict {
            RcptVerdict::NoSuchUser
        }
        fn check_password(&mut self, user: &str, password: &str) -> bool {
            self.passwords.get(user).is_some_and(|p| p == password)
        }
        fn apop_secret(&mut self, user: &str) -> Option<String> {
            self.secrets.get(user).cloned()
        }
        fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
            if self.down {
                return Err(MaildropError::Unavailable);
            }
            let drop = self.drops.get(user).ok_or(MaildropError::Unavailable)?;
            match self.locks.get(user) {
                Some(&holder) if holder != session => return Err(MaildropError::Locked),
                _ => self.locks.insert(user.into(), session),
            };
            Ok(drop.iter().map(|(uid, m)| Pop3Item { uid: uid.clone(), size: m.len() as u64 }).collect())
        }
        fn maildrop_message(
            &mut self,
            user: &str,
            session: u64,
            uid: &str,
        ) -> Result<Rc<[u8]>, MessageError> {
            if self.locks.get(user) != Some(&session) || self.down {
                return Err(MessageError::Unavailable);
            }
            let drop = self.drops.get(user).ok_or(MessageError::Unavailable)?;
            drop.iter().find(|(u, _)| u == uid).map(|(_, m)| m.clone()).ok_or(MessageError::Gone)
        }
        fn commit_deletions(&mut self, user: &str, session: u64, uids: &[String]) -> bool {
            self.deletions.push((user.into(), session, uids.to_vec()));
            if let Some(drop) = self.drops.get_mut(user) {
                drop.retain(|(u, _)| !uids.contains(u));
            }
            true
        }
        fn close_maildrop(&mut self, user: &str, session: u64) {
            if self.locks.get(user) == Some(&session) {
                self.locks.remove(user);
            }
        }
    }

    fn peer() -> Peer {
        Peer { addr: "192.0.2.20".into(), name: Some("bobs-laptop.example.net".into()) }
    }

    fn server(session: u64) -> Pop3Server {
        Pop3Server::new(Pop3Config::new("pop.example.net"), peer(), session, SimTime::ZERO)
    }

    /// Drains the outputs: `"+OK"`, `"-ERR"`, `"-ERR [AUTH]"` or `"close"` for each, and
    /// the wire bytes of the responses. Every response's first line fits in 512 octets.
    fn drain(s: &mut Pop3Server, summary: &mut Vec<String>, wire: &mut Vec<String>) {
        while let Some(o) = s.poll_output() {
            match o {
                Output::Send { bytes, kind: EventKind::Reply { status: Status::Pop3 { ok, code }, .. } } => {
                    let first = bytes.iter().position(|&b| b == b'\n').expect("a line end") + 1;
                    assert!(first <= MAX_RESPONSE_LINE, "{}", String::from_utf8_lossy(&bytes));
                    assert!(bytes.starts_with(if ok { b"+OK " } else { b"-ERR " }));
                    summary.push(match (ok, code) {
                        (true, _) => "+OK".into(),
                        (false, Some(c)) => format!("-ERR [{c}]"),
                        (false, None) => "-ERR".into(),
                    });
                    wire.push(String::from_utf8(bytes).expect("text"));
                }
                Output::Send { kind, .. } => panic!("a server sends responses only: {kind:?}"),
                Output::Request(r) => panic!("no requests from POP3: {r:?}"),
                Output::Close => summary.push("close".into()),
            }
        }
    }

    /// Feeds `writes` to a new session `session` and returns the summaries, the wire text
    /// of each response, and the server.
    fn run(host: &mut Host, session: u64, writes: &[&[u8]]) -> (Vec<String>, Vec<String>, Pop3Server) {
        let mut s = server(session);
        let (mut summary, mut wire) = (Vec::new(), Vec::new());
        drain(&mut s, &mut summary, &mut wire);
        for w in writes {
            s.handle_input(w, SimTime::ZERO, host);
            drain(&mut s, &mut summary, &mut wire);
        }
        (summary, wire, s)
    }

    const LOGIN: &[u8] = b"USER bob\r\nPASS secret\r\n";

    /// STLS (RFC 2595 §4), each case a session with STLS offered and logins only over TLS:
    /// what the client writes, `"tls"` where the driver finishes the handshake; the first
    /// line of every response, `"start tls"` where the server asks for the handshake.
    #[test]
    fn stls() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "capa lists stls and not user, then user and not stls",
                &["CAPA\r\n", "STLS\r\n", "tls", "CAPA\r\n"],
                &[
                    "+OK",
                    "+OK capability list follows",
                    "+OK Begin TLS negotiation",
                    "start tls",
                    "+OK capability list follows",
                ],
            ),
            (
                "the password waits for tls",
                &["USER bob\r\n", "STLS\r\n", "tls", "USER bob\r\nPASS secret\r\nSTAT\r\n"],
                &[
                    "+OK",
                    "-ERR log in only over TLS",
                    "+OK Begin TLS",
                    "start tls",
                    "+OK now send PASS",
                    "+OK bob's maildrop",
                    "+OK 2 ",
                ],
            ),
            (
                "apop too",
                &["APOP bob c4c9334bac560ecc979e58001b3e22fb\r\n"],
                &["+OK", "-ERR log in only over TLS"],
            ),
            (
                "plaintext after stls is discarded, never run",
                &["STLS\r\nUSER bob\r\nQUIT\r\n", "NOOP\r\n", "tls", "QUIT\r\n"],
                &[
                    "+OK",
                    "+OK Begin TLS",
                    "start tls",
                    "+OK pop.example.net POP3 server signing off",
                    "close",
                ],
            ),
            (
                "stls twice",
                &["STLS\r\n", "tls", "STLS\r\n"],
                &["+OK", "+OK Begin", "start tls", "-ERR command not permitted when TLS active"],
            ),
        ];
        let capa_lines = |wire: &str| wire.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
        for (name, writes, want) in cases {
            let mut host = Host::bob();
            let mut config = Pop3Config::new("pop.example.net");
            config.tls = true;
            config.login_needs_tls = true;
            let mut s = Pop3Server::new(config, peer(), 1, SimTime::ZERO);
            let mut said = Vec::new();
            let mut capas = Vec::new();
            let mut take = |s: &mut Pop3Server, said: &mut Vec<String>| {
                while let Some(o) = s.poll_output() {
                    match o {
                        Output::Send { bytes, .. } => {
                            let wire = String::from_utf8(bytes).unwrap();
                            if wire.starts_with("+OK capability") {
                                capas.push(capa_lines(&wire));
                            }
                            said.push(wire.lines().next().unwrap().to_string());
                        }
                        Output::Request(Request::StartTls) => said.push("start tls".into()),
                        Output::Request(r) => panic!("{name}: {r:?}"),
                        Output::Close => said.push("close".into()),
                    }
                }
            };
            take(&mut s, &mut said);
            for w in *writes {
                if *w == "tls" {
                    s.handle_tls(SimTime::ZERO);
                    assert!(s.tls_active(), "{name}");
                } else {
                    s.handle_input(w.as_bytes(), SimTime::ZERO, &mut host);
                }
                take(&mut s, &mut said);
            }
            assert_eq!(said.len(), want.len(), "{name}: {said:#?}");
            for (got, want) in said.iter().zip(want.iter()) {
                assert!(got.starts_with(want), "{name}: {got:?} is not {want:?}: {said:#?}");
            }
            if name.starts_with("capa") {
                let has = |i: usize, c: &str| capas[i].iter().any(|l| l == c);
                assert!(has(0, "STLS") && !has(0, "USER"), "{capas:?}");
                assert!(!has(1, "STLS") && has(1, "USER"), "{capas:?}");
            }
        }
        // Not offered: -ERR, and CAPA does not list it; after a login, not in TRANSACTION.
        let (summary, wire, _) = run(&mut Host::bob(), 1, &[b"CAPA\r\nSTLS\r\n", LOGIN, b"STLS\r\n"]);
        assert_eq!(summary, ["+OK", "+OK", "-ERR", "+OK", "+OK", "-ERR"]);
        assert!(!wire[1].contains("STLS") && wire[2].contains("not offered"), "{wire:?}");
        assert!(wire[5].contains("AUTHORIZATION"), "{wire:?}");
    }

    #[test]
    fn conformance_sequences() {
        let long = format!("NOOP {}QUIT\r\n", "x".repeat(300));
        let long_lf = format!("NOOP {}\nQUIT\r\n", "x".repeat(300));
        let just_fits = format!("NOOP{}\r\n", " ".repeat(MAX_COMMAND_LINE - 6));
        assert_eq!(just_fits.len(), MAX_COMMAND_LINE);
        let cases: Vec<(&str, Vec<&[u8]>, Vec<&str>)> = vec![
            // PROTOCOLS.md 11: STAT before login → -ERR.
            ("11 stat before login", vec![b"STAT\r\n"], vec!["+OK", "-ERR"]),
            // 11: PASS without USER → -ERR.
            ("11 pass without user", vec![b"PASS secret\r\n"], vec!["+OK", "-ERR"]),
            // PASS only *right* after USER (RFC 1939 §7).
            ("pass not right after user", vec![b"USER bob\r\nCAPA\r\nPASS secret\r\n"], vec!["+OK", "+OK", "+OK", "-ERR"]),
            // 11: DELE 1 then RETR 1 → -ERR (and every other reference to it).
            (
                "11 dele then retr",
                vec![LOGIN, b"DELE 1\r\nRETR 1\r\nLIST 1\r\nUIDL 1\r\nTOP 1 0\r\nDELE 1\r\nRETR 2\r\n"],
                vec!["+OK", "+OK", "+OK", "+OK", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR", "+OK"],
            ),
            // 11: RSET restores.
            ("11 rset restores", vec![LOGIN, b"DELE 1\r\nRSET\r\nRETR 1\r\n"], vec!["+OK", "+OK", "+OK", "+OK", "+OK", "+OK"]),
            ("bad password is [AUTH]", vec![b"USER bob\r\nPASS wrong\r\n"], vec!["+OK", "+OK", "-ERR [AUTH]"]),
            ("unknown user is [AUTH] too", vec![b"USER eve\r\nPASS secret\r\n"], vec!["+OK", "+OK", "-ERR [AUTH]"]),
            ("after [AUTH] a new try works", vec![b"USER bob\r\nPASS x\r\nPASS secret\r\nUSER bob\r\nPASS secret\r\n"], vec!["+OK", "+OK", "-ERR [AUTH]", "-ERR", "+OK", "+OK"]),
            (
                "keywords are case-insensitive",
                vec![b"user bob\r\npAsS secret\r\nstat\r\nList 2\r\nuidl\r\nnoop\r\nrset\r\nQuit\r\n"],
                vec!["+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "close"],
            ),
            ("login twice", vec![LOGIN, b"USER bob\r\nPASS secret\r\nAPOP bob 0123456789abcdef0123456789abcdef\r\n"], vec!["+OK", "+OK", "+OK", "-ERR", "-ERR", "-ERR"]),
            ("unknown and malformed", vec![LOGIN, b"FROB\r\nRETR\r\nRETR x\r\nSTAT 1\r\nTOP 1\r\n\r\nRETR 0\r\nRETR 3\r\n"], vec!["+OK", "+OK", "+OK", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR"]),
            ("noop needs a login", vec![b"NOOP\r\nRSET\r\nLIST\r\nUIDL\r\nDELE 1\r\n"], vec!["+OK", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR"]),
            ("capa in both states", vec![b"CAPA\r\n", LOGIN, b"CAPA\r\n"], vec!["+OK", "+OK", "+OK", "+OK", "+OK"]),
            // RFC 2449 §4: an over-long line gets -ERR; its tail (QUIT) is never run.
            ("over-long line", vec![LOGIN, long.as_bytes(), b"STAT\r\n"], vec!["+OK", "+OK", "+OK", "-ERR", "+OK"]),
            ("over-long with a bare LF", vec![LOGIN, long_lf.as_bytes(), b"STAT\r\n"], vec!["+OK", "+OK", "+OK", "-ERR", "+OK"]),
            ("a 255-octet line is fine", vec![LOGIN, just_fits.as_bytes()], vec!["+OK", "+OK", "+OK", "-ERR"]),
            // A bare LF ends no command (RFC 1939 §3): `STAT<LF>QUIT` is one line, one -ERR,
            // and its QUIT is never run; the session goes on.
            ("NUL, CR, bare LF inside", vec![b"USER b\0b\r\nUSER b\rb\r\nSTAT\nQUIT\r\nCAPA\r\n"], vec!["+OK", "-ERR", "-ERR", "-ERR", "+OK"]),
            ("a bare LF ends no command", vec![LOGIN, b"NOOP\nQUIT\r\n", b"STAT\r\n"], vec!["+OK", "+OK", "+OK", "-ERR", "+OK"]),
            ("a CRLF split across writes", vec![LOGIN, b"NOOP\r", b"\nSTAT\r\n"], vec!["+OK", "+OK", "+OK", "+OK", "+OK"]),
            ("a bare LF waits for the CRLF", vec![LOGIN, b"QUIT\n"], vec!["+OK", "+OK", "+OK"]),
            ("quit before login", vec![b"QUIT\r\nSTAT\r\n"], vec!["+OK", "+OK", "close"]),
            (
                "pipelined in one write, answered in order",
                vec![b"CAPA\r\nUSER bob\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 9\r\nTOP 2 1\r\nDELE 2\r\nQUIT\r\n"],
                vec!["+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "-ERR", "+OK", "+OK", "+OK", "close"],
            ),
        ];
        for (name, writes, want) in cases {
            let (got, wire, _) = run(&mut Host::bob(), 1, &writes);
            assert_eq!(got, want, "{name}: {wire:#?}");
            // 7-bit ASCII (RFC 1939 §3, RFC 2449 §4): a citation says "section", not `§`.
            assert!(wire.iter().all(|w| w.is_ascii()), "{name}: {wire:#?}");
        }
    }

    #[test]
    fn a_just_fitting_line_is_read_as_a_command() {
        // 255 octets with CRLF: read, and refused only for its argument.
        let line = format!("NOOP{}\r\n", " ".repeat(MAX_COMMAND_LINE - 6));
        let (_, wire, _) = run(&mut Host::bob(), 1, &[LOGIN, line.as_bytes()]);
        assert_eq!(wire[3], "-ERR NOOP takes no argument\r\n");
        let (_, wire, _) =
            run(&mut Host::bob(), 1, &[LOGIN, format!("NOOP{}\r\n", " ".repeat(300)).as_bytes()]);
        assert!(
            wire[3].starts_with("-ERR line too long: a command line is at most 255 octets"),
            "{}",
            wire[3]
        );
    }

    #[test]
    fn teaching_texts() {
        let (_, wire, _) = run(
            &mut Host::bob(),
            1,
            &[b"STAT\r\nPASS x\r\n", LOGIN, b"DELE 1\r\nRETR 1\r\nRETR 5\r\nUSER bob\r\n"],
        );
        assert_eq!(
            wire[1],
            "-ERR STAT needs a login first: send USER and PASS, or APOP (RFC 1939 section 4)\r\n"
        );
        assert_eq!(wire[2], "-ERR PASS must come right after a successful USER: send USER name first\r\n");
        assert_eq!(
            wire[4],
            format!("+OK bob's maildrop has 2 messages ({} octets)\r\n", MSG1.len() + MSG2.len())
        );
        assert_eq!(wire[5], "+OK message 1 marked for deletion at QUIT\r\n");
        assert_eq!(wire[6], "-ERR message 1 already deleted\r\n");
        assert_eq!(wire[7], "-ERR no such message: the maildrop has 2 messages, numbered from 1\r\n");
        assert_eq!(wire[8], "-ERR already logged in: USER belongs to the AUTHORIZATION state\r\n");
    }

    #[test]
    fn greeting_carries_a_deterministic_apop_timestamp() {
        let s = Pop3Server::new(Pop3Config::new("pop.example.net"), peer(), 7, SimTime::from_secs(3));
        assert_eq!(s.timestamp(), "<7.3000000@pop.example.net>");
        let mut s = s;
        let Some(Output::Send { bytes, kind }) = s.poll_output() else { panic!() };
        assert_eq!(bytes, b"+OK pop.example.net POP3 server ready <7.3000000@pop.example.net>\r\n");
        assert_eq!(
            kind,
            EventKind::Reply { status: Status::Pop3 { ok: true, code: None }, to_verb: None, answers: None }
        );
        assert_eq!(s.server_state(), State::Authorization { user_given: false });
    }

    #[test]
    fn apop_with_rfc_1939s_own_example() {
        // RFC 1939 §7: timestamp <1896.697170952@dbc.mtview.ca.us>, secret "tanstaaf".
        let mut host = Host::default();
        host.secrets.insert("mrose".into(), "tanstaaf".into());
        host.drops.insert("mrose".into(), vec![("a".into(), MSG2.into())]);
        let config = Pop3Config::new("dbc.mtview.ca.us");
        let mut s = Pop3Server::new(config.clone(), peer(), 1896, SimTime(697170952));
        assert_eq!(s.timestamp(), "<1896.697170952@dbc.mtview.ca.us>");
        let (mut summary, mut wire) = (Vec::new(), Vec::new());
        s.handle_input(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", SimTime::ZERO, &mut host);
        drain(&mut s, &mut summary, &mut wire);
        assert_eq!(summary, ["+OK", "+OK"]);
        assert_eq!(wire[1], "+OK mrose's maildrop has 1 message (40 octets)\r\n");
        assert_eq!(s.server_state(), State::Transaction);
        // Another session's timestamp differs, so the same digest is refused (no replay).
        let mut s = Pop3Server::new(config, peer(), 1897, SimTime(697170952));
        s.handle_input(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", SimTime::ZERO, &mut host);
        let (mut summary, mut wire) = (Vec::new(), Vec::new());
        drain(&mut s, &mut summary, &mut wire);
        assert_eq!(summary, ["+OK", "-ERR [AUTH]"]);
        // No secret, no APOP: a user with only a password cannot use it.
        let (summary, _, _) = run(&mut Host::bob(), 1, &[b"APOP bob c4c9334bac560ecc979e58001b3e22fb\r\n"]);
        assert_eq!(summary, ["+OK", "-ERR [AUTH]"]);
    }

    #[test]
    fn quit_deletes_exactly_the_marked_messages() {
        let mut host = Host::bob();
        let (summary, wire, s) =
            run(&mut host, 1, &[LOGIN, b"DELE 1\r\nDELE 2\r\nRSET\r\nDELE 2\r\nQUIT\r\n"]);
        assert_eq!(summary.last().map(String::as_str), Some("close"));
        assert_eq!(wire.last().unwrap(), "+OK pop.example.net POP3 server signing off (1 message left)\r\n");
        assert_eq!(host.deletions, [("bob".to_string(), 1, vec![UID2.to_string()])]);
        assert_eq!(host.drops["bob"].len(), 1);
        assert!(host.locks.is_empty(), "QUIT releases the lock");
        assert_eq!(s.server_state(), State::Update);
        assert!(s.is_closed());
        assert_eq!(s.state().protocol(), crate::trace::Protocol::Pop3);
        // QUIT without marks deletes nothing and asks for nothing.
        let mut host = Host::bob();
        run(&mut host, 2, &[LOGIN, b"QUIT\r\n"]);
        assert!(host.deletions.is_empty());
    }

    #[test]
    fn a_dropped_connection_deletes_nothing() {
        let mut host = Host::bob();
        let (_, _, mut s) = run(&mut host, 1, &[LOGIN, b"DELE 1\r\nDELE 2\r\n"]);
        assert_eq!(s.messages().iter().filter(|m| m.3).count(), 2);
        s.handle_close(SimTime::from_secs(1));
        assert_eq!(s.server_state(), State::Closed);
        assert!(host.deletions.is_empty());
        assert_eq!(host.drops["bob"].len(), 2);
        // The driver releases the lock for the user and session the server names.
        assert_eq!((s.user(), s.session()), (Some("bob"), 1));
        host.close_maildrop("bob", s.session());
        let (summary, _, _) = run(&mut host, 2, &[LOGIN, b"STAT\r\n"]);
        assert_eq!(summary, ["+OK", "+OK", "+OK", "+OK"]);
    }

    #[test]
    fn the_autologout_timer_closes_silently_and_deletes_nothing() {
        let mut host = Host::bob();
        let mut s = server(1);
        let (mut summary, mut wire) = (Vec::new(), Vec::new());
        assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(600)));
        s.handle_input(LOGIN, SimTime::from_secs(10), &mut host);
        s.handle_input(b"DELE 1\r\n", SimTime::from_secs(60), &mut host);
        drain(&mut s, &mut summary, &mut wire);
        // Every command restarts the 10-minute timer (RFC 1939 §3).
        assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(660)));
        s.handle_timeout(SimTime::from_secs(659));
        assert_eq!(s.poll_output(), None, "not yet");
        s.handle_timeout(SimTime::from_secs(660));
        drain(&mut s, &mut summary, &mut wire);
        // RFC 1939 §3: no UPDATE, no response, just the close.
        assert_eq!(summary, ["+OK", "+OK", "+OK", "+OK", "close"]);
        assert_eq!(s.server_state(), State::Closed);
        assert_eq!(s.poll_timeout(), None);
        assert!(host.deletions.is_empty());
        s.handle_input(b"QUIT\r\n", SimTime::from_secs(700), &mut host);
        assert_eq!(s.poll_output(), None, "a closed session reads nothing");
        assert!(host.deletions.is_empty());
    }

    /// The autologout restarts when the client has taken the answer (its driver says when),
    /// not when the command came: a long RETR that takes 9 minutes to go out leaves the
    /// client 10 minutes for DELE and QUIT. Never earlier than the command's own deadline;
    /// nothing once closed.
    #[test]
    fn the_autologout_restarts_when_the_answer_is_taken() {
        let mut host = Host::bob();
        let mut s = server(1);
        s.handle_input(LOGIN, SimTime::from_secs(10), &mut host);
        s.handle_input(b"RETR 1\r\n", SimTime::from_secs(60), &mut host);
        assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(660)));
        s.handle_output_taken(SimTime::from_secs(600));
        assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(1200)));
        s.handle_output_taken(SimTime::from_secs(1));
        assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(1200)), "never earlier");
        s.handle_timeout(SimTime::from_secs(1200));
        s.handle_output_taken(SimTime::from_secs(1300));
        assert_eq!(s.poll_timeout(), None, "closed");
    }

    /// The autologout counts inactivity (RFC 1939 §3): a complete command line restarts it,
    /// a byte does not. Writes at these seconds, and the deadline.
    #[test]
    fn the_autologout_restarts_per_command_not_per_octet() {
        let cases: Vec<(&str, Vec<(u64, &[u8])>, u64)> = vec![
            ("a byte at a time", vec![(100, b"N"), (200, b"O"), (599, b"OP")], 600),
            ("the line end", vec![(100, b"NO"), (200, b"OP\r\n")], 800),
            ("two commands, one write", vec![(100, b"NOOP\r\nNO")], 700),
            ("after login", vec![(0, LOGIN), (300, b"STAT"), (400, b"\r")], 600),
        ];
        for (name, writes, want) in cases {
            let mut host = Host::bob();
            let mut s = server(1);
            for (at, bytes) in writes {
                s.handle_input(bytes, SimTime::from_secs(at), &mut host);
                while s.poll_output().is_some() {}
            }
            assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(want)), "{name}");
        }
    }

    #[test]
    fn a_second_session_is_refused_in_use_until_the_first_ends() {
        let mut host = Host::bob();
        let mut first = server(1);
        first.handle_input(LOGIN, SimTime::ZERO, &mut host);
        let (summary, wire, _) = run(&mut host, 2, &[LOGIN]);
        assert_eq!(summary, ["+OK", "+OK", "-ERR [IN-USE]"]);
        assert_eq!(
            wire[2],
            "-ERR [IN-USE] maildrop already locked: another session holds it; try again when it ends\r\n"
        );
        first.handle_input(b"QUIT\r\n", SimTime::ZERO, &mut host);
        let (summary, _, _) = run(&mut host, 2, &[LOGIN]);
        assert_eq!(summary, ["+OK", "+OK", "+OK"]);
    }

    #[test]
    fn a_maildrop_the_host_cannot_open_is_sys_temp() {
        let mut host = Host { down: true, ..Host::bob() };
        let (summary, _, s) = run(&mut host, 1, &[LOGIN]);
        assert_eq!(summary, ["+OK", "+OK", "-ERR [SYS/TEMP]"]);
        assert_eq!(s.server_state(), State::Authorization { user_given: false });
        // Unique-ids that break RFC 1939 §7 (a space; a duplicate) are refused, and the
        // lock released.
        for uids in [["a b", "c"], ["x", "x"]] {
            let mut host = Host::bob();
            host.drops.insert("bob".into(), uids.iter().map(|u| (u.to_string(), MSG2.into())).collect());
            let (summary, _, _) = run(&mut host, 1, &[LOGIN]);
            assert_eq!(summary, ["+OK", "+OK", "-ERR [SYS/TEMP]"], "{uids:?}");
            assert!(host.locks.is_empty());
        }
    }

    /// A message another session removed after the login (an IMAP client's EXPUNGE) is gone
    /// for good: RETR and TOP get a plain -ERR that says so, not `[SYS/TEMP]`, which tells
    /// the client to try again later (RFC 3206 §4: SYS is for failures of the system). A
    /// message the host cannot read now is still `[SYS/TEMP]`.
    #[test]
    fn a_message_another_session_removed_is_gone_not_a_temporary_failure() {
        let mut host = Host::bob();
        let (_, _, mut s) = run(&mut host, 1, &[LOGIN]);
        host.drops.get_mut("bob").unwrap().retain(|(uid, _)| uid != UID1);
        let (mut summary, mut wire) = (Vec::new(), Vec::new());
        s.handle_input(b"RETR 1\r\nTOP 1 0\r\nRETR 2\r\n", SimTime::ZERO, &mut host);
        drain(&mut s, &mut summary, &mut wire);
        assert_eq!(summary, ["-ERR", "-ERR", "+OK"]);
        assert_eq!(wire[0], "-ERR message 1 is gone: another session removed it from the maildrop\r\n");
        host.down = true;
        s.handle_input(b"RETR 2\r\n", SimTime::ZERO, &mut host);
        drain(&mut s, &mut summary, &mut wire);
        assert_eq!(summary[3], "-ERR [SYS/TEMP]");
        assert_eq!(wire[3], "-ERR [SYS/TEMP] message 2 cannot be read right now; try again later\r\n");
    }

    #[test]
    fn uidl_is_identical_across_sessions() {
        // PROTOCOLS.md 12.
        let mut host = Host::bob();
        let (_, first, _) = run(&mut host, 1, &[LOGIN, b"UIDL\r\nUIDL 2\r\nQUIT\r\n"]);
        let (_, second, _) = run(&mut host, 2, &[LOGIN, b"UIDL\r\nUIDL 2\r\nDELE 1\r\nQUIT\r\n"]);
        assert_eq!(first[3], format!("+OK unique-id listing follows\r\n1 {UID1}\r\n2 {UID2}\r\n.\r\n"));
        assert_eq!(first[3..5], second[3..5]);
        assert_eq!(first[4], format!("+OK 2 {UID2}\r\n"));
        // After message 1 is gone, message 2 is number 1, with the same unique-id.
        let (_, third, _) = run(&mut host, 3, &[LOGIN, b"UIDL\r\n"]);
        assert_eq!(third[3], format!("+OK unique-id listing follows\r\n1 {UID2}\r\n.\r\n"));
    }

    #[test]
    fn top_gives_the_headers_the_blank_line_and_n_body_lines() {
        // PROTOCOLS.md 12: `TOP 1 0` → headers and the blank line.
        let (_, wire, _) = run(&mut Host::bob(), 1, &[LOGIN, b"TOP 1 0\r\nTOP 2 2\r\nTOP 1 99\r\n"]);
        assert_eq!(
            wire[3],
            "+OK top of message follows\r\nSubject: one\r\nFrom: alice@example.org\r\n\r\n.\r\n"
        );
        assert_eq!(wire[4], "+OK top of message follows\r\nSubject: two\r\n\r\nline 1\r\nline 2\r\n.\r\n");
        assert_eq!(
            wire[5],
            "+OK top of message follows\r\nSubject: one\r\nFrom: alice@example.org\r\n\r\nHello Bob.\r\n..hidden dot\r\n...two dots\r\n..\r\n.\r\n"
        );
    }

    /// Removes the `+OK` line and the final `.CRLF`, and un-stuffs: what a client keeps.
    fn unstuff(response: &str) -> Vec<u8> {
        let body = response.split_once("\r\n").unwrap().1.strip_suffix(".\r\n").unwrap();
        let mut out = Vec::new();
        for line in body.split_inclusive("\r\n") {
            out.extend_from_slice(line.strip_prefix('.').unwrap_or(line).as_bytes());
        }
        out
    }

    #[test]
    fn retr_stuffs_dots_and_sizes_are_exact() {
        let (_, wire, _) =
            run(&mut Host::bob(), 1, &[LOGIN, b"STAT\r\nLIST\r\nLIST 1\r\nRETR 1\r\nRETR 2\r\n"]);
        let (l1, l2) = (MSG1.len(), MSG2.len());
        assert_eq!(wire[3], format!("+OK 2 {}\r\n", l1 + l2));
        assert_eq!(wire[4], format!("+OK 2 messages ({} octets)\r\n1 {l1}\r\n2 {l2}\r\n.\r\n", l1 + l2));
        assert_eq!(wire[5], format!("+OK 1 {l1}\r\n"));
        // `.hidden dot`, `..two dots` and a lone `.` go out stuffed, so none ends the response.
        assert_eq!(
            wire[6],
            format!(
                "+OK {l1} octets\r\nSubject: one\r\nFrom: alice@example.org\r\n\r\nHello Bob.\r\n..hidden dot\r\n...two dots\r\n..\r\n.\r\n"
            )
        );
        // The sizes LIST reports equal the octets RETR delivers once un-stuffed (issue 7).
        assert_eq!(unstuff(&wire[6]), MSG1);
        assert_eq!(unstuff(&wire[7]), MSG2);
        // Deleted messages leave STAT and LIST; RSET brings them back.
        let (_, wire, _) = run(&mut Host::bob(), 1, &[LOGIN, b"DELE 1\r\nSTAT\r\nLIST\r\nRSET\r\nSTAT\r\n"]);
        assert_eq!(wire[4], format!("+OK 1 {l2}\r\n"));
        assert_eq!(wire[5], format!("+OK 1 message ({l2} octets)\r\n2 {l2}\r\n.\r\n"));
        assert_eq!(wire[6], format!("+OK maildrop has 2 messages ({} octets)\r\n", l1 + l2));
        assert_eq!(wire[7], format!("+OK 2 {}\r\n", l1 + l2));
    }

    #[test]
    fn stuffing_ends_every_line_with_crlf() {
        assert_eq!(stuff(b"a\r\n.b", None), b"a\r\n..b\r\n");
        assert_eq!(stuff(b"", None), b"");
        assert_eq!(stuff(b"H: v\r\n\r\n1\r\n2\r\n", Some(1)), b"H: v\r\n\r\n1\r\n");
        assert_eq!(stuff(b"H: v\r\nno body\r\n", Some(0)), b"H: v\r\nno body\r\n");
    }

    #[test]
    fn capa_lists_only_what_is_offered() {
        let (_, wire, _) = run(&mut Host::bob(), 1, &[b"CAPA\r\n"]);
        assert_eq!(
            wire[1],
            "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION Mailroom\r\n.\r\n"
        );
    }

    #[test]
    fn input_split_anywhere_gives_the_same_responses() {
        let all: &[u8] = b"USER bob\r\nPASS secret\r\nLIST\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n";
        let (want, want_wire, _) = run(&mut Host::bob(), 1, &[all]);
        for cut in 1..all.len() {
            let (got, got_wire, _) = run(&mut Host::bob(), 1, &[&all[..cut], &all[cut..]]);
            assert_eq!((&got, &got_wire), (&want, &want_wire), "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = all.chunks(1).collect();
        assert_eq!(run(&mut Host::bob(), 1, &bytes).1, want_wire);
    }

    #[test]
    fn states_are_named_and_described_in_plain_words() {
        let states = [
            State::Authorization { user_given: false },
            State::Authorization { user_given: true },
            State::Transaction,
            State::Update,
            State::Closed,
        ];
        for s in states {
            for sending in [true, false] {
                let words = SessionState::Pop3Server(s).describe(sending);
                assert!(!words.is_empty() && words.len() <= 41, "{words}");
            }
            assert!(s.name().len() <= 41);
            assert_eq!(SessionState::Pop3Server(s).protocol(), crate::trace::Protocol::Pop3);
        }
        let (_, _, s) = run(&mut Host::bob(), 1, &[b"USER bob\r\n"]);
        assert_eq!(s.state().describe(false), "knows the user name: waits for PASS");
        assert_eq!(s.state().name(), "Authorization");
    }

    #[test]
    fn a_host_that_knows_nothing_of_pop3_lets_nobody_in() {
        // The default `Env` methods refuse: no password, no APOP secret, no maildrop.
        let mut env = crate::session::Directory::default();
        let mut s = server(1);
        s.handle_input(
            b"USER bob\r\nPASS x\r\nAPOP bob c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\n",
            SimTime::ZERO,
            &mut env,
        );
        let (mut summary, mut wire) = (Vec::new(), Vec::new());
        drain(&mut s, &mut summary, &mut wire);
        assert_eq!(summary, ["+OK", "+OK", "-ERR [AUTH]", "-ERR [AUTH]", "-ERR"]);
    }

    #[test]
    fn classify_names_the_verb() {
        let s = server(1);
        assert_eq!(s.classify(b"retr 1\r\n"), EventKind::Command { verb: "RETR".into() });
        assert_eq!(s.classify(b"\x00\xff\r\n"), EventKind::Command { verb: String::new() });
    }

    #[test]
    fn garbage_never_panics_and_never_grows() {
        for start in [&b""[..], LOGIN] {
            let mut host = Host::bob();
            let mut s = server(1);
            s.handle_input(start, SimTime::ZERO, &mut host);
            let mut seed = 12345u64;
            for _ in 0..2000 {
                let mut chunk = Vec::new();
                for _ in 0..64 {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    chunk.push(match (seed >> 33) % 10 {
                        0 => b'\r',
                        1 => b'\n',
                        2 => b'.',
                        3 => 0,
                        4 => b' ',
                        5 => b"0123456789"[(seed >> 40) as usize % 10],
                        _ => (seed >> 40) as u8,
                    });
                }
                s.handle_input(&chunk, SimTime::ZERO, &mut host);
                let mut n = 0;
                while s.poll_output().is_some() {
                    n += 1;
                }
                assert!(n <= 65, "at most one response per line end, and a close");
                assert!(s.lines.pending() <= MAX_COMMAND_LINE);
            }
            assert!(host.deletions.is_empty(), "garbage never marks and quits");
        }
    }

    /// RFC 1939 §11: a message's size is the octets RETR sends, each line end counted as
    /// CRLF, stuffing dots not counted. IMAP's APPEND (and anything else) may have stored a
    /// message with bare LFs or without its last line end; STAT, LIST, RETR's `+OK n octets`
    /// and what RETR sends must agree all the same. Before, LIST said the stored length
    /// (28 for the first message) while RETR sent 31 octets.
    #[test]
    fn sizes_are_the_octets_retr_sends() {
        use crate::pop3::maildrop;
        use crate::store::MailStore;

        struct StoreHost(MailStore);
        impl Env for StoreHost {
            fn recipient(&mut self, _client: &str, _rcpt: &str) -> RcptVerdict {
                RcptVerdict::NoSuchUser
            }
            fn check_password(&mut self, _user: &str, _password: &str) -> bool {
                true
            }
            fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
                maildrop::open(&mut self.0, user, session)
            }
            fn maildrop_message(
                &mut self,
                user: &str,
                session: u64,
                uid: &str,
            ) -> Result<Rc<[u8]>, MessageError> {
                maildrop::message(&self.0, user, session, uid)
            }
        }

        let messages: [&[u8]; 7] = [
            b"Subject: bare\n\nline1\nline2\r\n",
            b"Subject: crlf\r\n\r\nline1\r\nline2\r\n",
            b"Subject: no end\r\n\r\nlast line",
            b"Subject: bare, no end\n\n.dot\n..two\nlast",
            b"Subject: a bare CR\r\n\r\na\rb\r\n",
            b"\n",
            b"",
        ];
        let mut store = MailStore::new();
        store.create_mailbox("bob").unwrap();
        for m in messages {
            store.deliver("bob", m, SimTime::ZERO).unwrap();
        }
        let mut host = StoreHost(store);
        let mut s = server(1);
        let mut input = b"USER bob\r\nPASS x\r\nSTAT\r\nLIST\r\n".to_vec();
        for n in 1..=messages.len() {
            input.extend_from_slice(format!("LIST {n}\r\nRETR {n}\r\n").as_bytes());
        }
        s.handle_input(&input, SimTime::ZERO, &mut host);
        let (mut summary, mut wire) = (Vec::new(), Vec::new());
        drain(&mut s, &mut summary, &mut wire);
        assert!(summary.iter().all(|r| r == "+OK"), "{wire:#?}");
        let list: Vec<u64> = wire[4]
            .lines()
            .skip(1)
            .take(messages.len())
            .map(|l| l.split(' ').nth(1).unwrap().parse().unwrap())
            .collect();
        let mut total = 0;
        for (i, m) in messages.iter().enumerate() {
            let single: u64 = wire[5 + 2 * i].trim_end().rsplit(' ').next().unwrap().parse().unwrap();
            let retr = &wire[6 + 2 * i];
            let (first, body) = retr.split_once("\r\n").unwrap();
            let announced: u64 =
                first.strip_prefix("+OK ").unwrap().strip_suffix(" octets").unwrap().parse().unwrap();
            // What RETR sent, un-stuffed, without the final `.CRLF`.
            let body = body.strip_suffix(".\r\n").unwrap();
            let sent: u64 =
                body.split_inclusive('\n').map(|l| l.strip_prefix('.').unwrap_or(l).len() as u64).sum();
            assert!(!body.replace("\r\n", "").contains('\n'), "{m:?}: every line ends with CRLF: {body:?}");
            assert_eq!((list[i], single, announced), (sent, sent, sent), "{:?}", String::from_utf8_lossy(m));
            total += sent;
        }
        assert_eq!(list[0], 31, "Subject: bare");
        assert_eq!(wire[3], format!("+OK {} {total}\r\n", messages.len()));
    }
}
