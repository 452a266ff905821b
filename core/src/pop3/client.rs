//! The POP3 client, sans-IO: a mail program collecting the mail of one maildrop over one
//! connection (RFC 1939; response codes RFC 2449 §8 and RFC 3206).
//!
//! It keeps the [`Session`] contract: feed it what the server sends with
//! [`Session::handle_input`], drain [`Session::poll_output`] for the commands to send, wake
//! it at [`Session::poll_timeout`], and read [`Pop3Client::outcome`] when it is done.
//!
//! The conversation, one command at a time (no pipelining):
//!
//! ```text
//! S: +OK greeting              C: USER bob          S: +OK
//! C: PASS secret               S: +OK               (TRANSACTION, RFC 1939 §5)
//! C: STAT  → S: +OK 2 1234     (an empty maildrop: QUIT at once)
//! C: UIDL  → S: listing .      C: LIST → S: listing .
//! C: RETR n → S: +OK, the message dot-stuffed, .   (for each message to fetch)
//! C: DELE n → S: +OK                               (DownloadAndDelete only)
//! C: QUIT  → S: +OK            (UPDATE: only now are the marked messages removed, §6)
//! ```
//!
//! A refusal (a bad password, `[IN-USE]`, a message over the size cap) ends the session
//! cleanly with QUIT and keeps the reason. A server that breaks the framing (a line that
//! is neither `+OK` nor `-ERR`, a message bigger than the cap mid-RETR) or goes silent is
//! left without QUIT: the connection is closed, so the server deletes nothing (§6).

use crate::vecmap::{VecMap, VecSet};
use std::collections::VecDeque;
use std::fmt;

use crate::line::{Line, LineReader};
use crate::pop3::{MAX_COMMAND_LINE, MAX_RESPONSE_LINE, valid_unique_id};
use crate::session::{Env, Output, Session, SessionState};
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, Status};

/// How long the client waits for a response, or for the next bytes of a message being
/// downloaded. RFC 1939 gives the client no figure (only the server's autologout timer, at
/// least 10 minutes, §3): a mail program's own, Thunderbird's default read timeout of
/// 100 s (its `mailnews.tcptimeout`).
pub const REPLY_TIMEOUT: SimDuration = SimDuration::from_secs(100);

/// The largest message the client downloads: 10 MiB, un-stuffed. A little above
/// Postfix's default `message_size_limit` (10,240,000 octets), so that a message an MTA
/// with that common limit took over SMTP, plus the trace headers added on the way,
/// still fits; RFC 1939 itself sets no limit.
pub const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// The most one session downloads in all: ten messages at [`MAX_MESSAGE`]. A real mail
/// program writes to disk as it reads; the simulator keeps every download in memory (and
/// in the trace), so one session must be bounded.
pub const MAX_TOTAL: usize = 10 * MAX_MESSAGE;

/// The largest UIDL or LIST listing the client reads: 4 MiB, room for 50,000 lines of the
/// longest UIDL form (a 10-digit number, a space, a 70-character unique-id (RFC 1939 §7),
/// CRLF: 83 octets).
pub const MAX_LISTING: usize = 4 * 1024 * 1024;

/// What the mail program does with the mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Download everything, then DELE each and QUIT (the classic POP3 habit).
    DownloadAndDelete,
    /// Leave mail on the server: UIDL, download only the unique-ids not in `known`, delete nothing.
    LeaveOnServer { known: VecSet<String> },
}

/// The client's state: which response it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// The server's `+OK` greeting (RFC 1939 §4).
    ExpectGreeting,
    ExpectUserReply,
    ExpectPassReply,
    /// How many messages and octets the maildrop holds (RFC 1939 §5, STAT).
    ExpectStat,
    /// The unique-id listing (multi-line, RFC 1939 §7).
    ExpectUidl,
    /// The scan listing: each message's number and size (multi-line, RFC 1939 §5).
    ExpectList,
    /// Message `n` (multi-line, dot-stuffed, RFC 1939 §5 RETR).
    ExpectRetr(u32),
    /// The response to `DELE n`.
    ExpectDeleReply(u32),
    ExpectQuitReply,
    Done,
}

impl ClientState {
    pub fn name(self) -> &'static str {
        match self {
            ClientState::ExpectGreeting => "ExpectGreeting",
            ClientState::ExpectUserReply => "ExpectUserReply",
            ClientState::ExpectPassReply => "ExpectPassReply",
            ClientState::ExpectStat => "ExpectStat",
            ClientState::ExpectUidl => "ExpectUidl",
            ClientState::ExpectList => "ExpectList",
            ClientState::ExpectRetr(_) => "ExpectRetr",
            ClientState::ExpectDeleReply(_) => "ExpectDeleReply",
            ClientState::ExpectQuitReply => "ExpectQuitReply",
            ClientState::Done => "Done",
        }
    }

    /// In plain words, at most 41 characters. While the command is still on its way
    /// (`sending`), the client "sends" it; once it has arrived it waits or reads.
    pub fn describe(self, sending: bool) -> String {
        let verb = match self {
            ClientState::ExpectGreeting => return "waits for the server's greeting".into(),
            ClientState::Done => return "finished".into(),
            ClientState::ExpectUserReply => "USER",
            ClientState::ExpectPassReply => "PASS",
            ClientState::ExpectStat => "STAT",
            ClientState::ExpectUidl => "UIDL",
            ClientState::ExpectList => "LIST",
            ClientState::ExpectRetr(_) => "RETR",
            ClientState::ExpectDeleReply(_) => "DELE",
            ClientState::ExpectQuitReply => "QUIT",
        };
        if sending {
            return format!("sends {verb}");
        }
        match self {
            ClientState::ExpectUidl => "reads the unique-id of each message".into(),
            ClientState::ExpectList => "reads the size of each message".into(),
            ClientState::ExpectRetr(n) => format!("downloads message {n}"),
            ClientState::ExpectDeleReply(n) => format!("waits for the reply to DELE {n}"),
            _ => format!("waits for the reply to {verb}"),
        }
    }

    /// True when a `+OK` to this command starts a multi-line response (RFC 1939 §3).
    fn multi_line(self) -> bool {
        matches!(self, ClientState::ExpectUidl | ClientState::ExpectList | ClientState::ExpectRetr(_))
    }
}

impl fmt::Display for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What happened, when the session is over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pop3Outcome {
    /// Each message downloaded: its unique-id (from UIDL; in DownloadAndDelete mode too,
    /// UIDL first if the server offers it, else `None`) and its bytes, un-stuffed, CRLF
    /// line ends.
    pub downloaded: Vec<(Option<String>, Vec<u8>)>,
    /// Unique-ids (or message numbers as strings when no UIDL) the server confirmed
    /// deleting at QUIT (only when QUIT got +OK).
    pub deleted: Vec<String>,
    /// Why the session failed, in plain words, if it did (bad password with the server's
    /// text, [IN-USE], connection lost, timeout, unreadable reply).
    pub error: Option<String>,
}

/// One status line: `+OK` or `-ERR`, an optional response code in brackets
/// (RFC 2449 §8, e.g. `[IN-USE]`), and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub ok: bool,
    /// The response code without its brackets (`IN-USE`, `SYS/TEMP`).
    pub code: Option<String>,
    pub text: String,
}

impl fmt::Display for Response {
    /// As it was on the wire, without the CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.ok { "+OK" } else { "-ERR" })?;
        if let Some(c) = &self.code {
            write!(f, " [{c}]")?;
        }
        if !self.text.is_empty() {
            write!(f, " {}", self.text)?;
        }
        Ok(())
    }
}

/// Why a response could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseError {
    /// A status line longer than [`MAX_RESPONSE_LINE`] (RFC 2449 §4).
    TooLong,
    /// A status line that is neither `+OK` nor `-ERR` (RFC 1939 §3).
    Malformed(String),
    /// A multi-line response longer than `limit` octets, un-stuffed.
    TooBig { limit: usize },
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::TooLong => {
                write!(f, "a response line over {MAX_RESPONSE_LINE} octets (RFC 2449 §4)")
            }
            ResponseError::Malformed(line) => {
                let shown: String = line.chars().take(40).collect();
                write!(f, "{shown:?} is neither +OK nor -ERR (RFC 1939 §3)")
            }
            ResponseError::TooBig { limit } => write!(f, "more than {limit} octets"),
        }
    }
}

/// Reads one status line (without its line end): `+OK` or `-ERR`, then a space and the
/// text, or nothing (RFC 1939 §3); a response code in brackets right after, if any
/// (RFC 2449 §8).
pub fn parse_status_line(line: &[u8]) -> Result<Response, ResponseError> {
    let malformed = || ResponseError::Malformed(String::from_utf8_lossy(line).into_owned());
    let (ok, rest) = if let Some(r) = line.strip_prefix(b"+OK") {
        (true, r)
    } else if let Some(r) = line.strip_prefix(b"-ERR") {
        (false, r)
    } else {
        return Err(malformed());
    };
    let text = match rest {
        [] => String::new(),
        [b' ', text @ ..] => String::from_utf8_lossy(text).into_owned(),
        _ => return Err(malformed()),
    };
    Ok(with_code(ok, &text))
}

/// Splits `[CODE] text` (RFC 2449 §8: the code is printable, without spaces).
fn with_code(ok: bool, text: &str) -> Response {
    if let Some(inner) = text.strip_prefix('[')
        && let Some((code, rest)) = inner.split_once(']')
        && !code.is_empty()
        && code.bytes().all(|b| (0x21..=0x7e).contains(&b))
    {
        return Response { ok, code: Some(code.to_string()), text: rest.trim_start().to_string() };
    }
    Response { ok, code: None, text: text.to_string() }
}

/// The body of a multi-line response, read line by line as it arrives (RFC 1939 §3).
/// It never holds more than its limit (and a line end): bytes beyond are refused.
#[derive(Clone, Debug)]
struct BodyReader {
    /// The un-stuffed lines so far, each ending in CRLF.
    body: Vec<u8>,
    /// The bytes of the line not yet ended.
    line: Vec<u8>,
    /// At most this many octets of body.
    limit: usize,
}

impl BodyReader {
    fn new(limit: usize) -> BodyReader {
        BodyReader { body: Vec::new(), line: Vec::new(), limit }
    }

    /// Takes lines out of `input` until the terminating `.CRLF`: then the body. `None`
    /// when `input` ran out first.
    ///
    /// RFC 1939 §3: "If so [the line begins with the termination octet] and if octets
    /// other than CRLF follow, the first octet of the line (the termination octet) is
    /// stripped away. If so and if CRLF immediately follows the termination character,
    /// then the response from the POP server is ended". A line ended by a bare LF is taken
    /// as ended by CRLF, as Python's poplib does: the body keeps CRLF line ends.
    fn read(&mut self, input: &mut &[u8]) -> Option<Result<Vec<u8>, ResponseError>> {
        loop {
            let lf = input.iter().position(|&b| b == b'\n');
            let chunk = &input[..lf.unwrap_or(input.len())];
            *input = lf.map_or(&[][..], |p| &input[p + 1..]);
            // Room for the rest of the body, plus a stuffing dot and a CR.
            let room = self.limit.saturating_sub(self.body.len()) + 2;
            if self.line.len() + chunk.len() > room {
                return Some(Err(ResponseError::TooBig { limit: self.limit }));
            }
            self.line.extend_from_slice(chunk);
            lf?;
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line == b"." {
                return Some(Ok(std::mem::take(&mut self.body)));
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            if self.body.len() + line.len() + 2 > self.limit {
                return Some(Err(ResponseError::TooBig { limit: self.limit }));
            }
            self.body.extend_from_slice(line);
            self.body.extend_from_slice(b"\r\n");
        }
    }
}

/// What the client is reading now.
#[derive(Clone, Debug)]
enum Reading {
    /// A status line.
    Status,
    /// The rest of a multi-line response whose first line was `head`.
    Body { head: Response, body: BodyReader },
}

/// One POP3 session of a mail program.
#[derive(Clone, Debug)]
pub struct Pop3Client {
    user: String,
    password: String,
    mode: Mode,
    state: ClientState,
    reading: Reading,
    lines: LineReader,
    out: VecDeque<Output>,
    /// Unique-ids by message number, from UIDL (empty when the server has none).
    uids: VecMap<u32, String>,
    /// True once this session knows what is on the server: UIDL listed it, or STAT said
    /// the maildrop is empty.
    listed: bool,
    /// Messages still to RETR, in order.
    fetch: VecDeque<u32>,
    /// Messages downloaded and still to DELE (DownloadAndDelete).
    dele: VecDeque<u32>,
    /// Marked for deletion (`+OK` to DELE), by unique-id or number: deleted once QUIT
    /// gets `+OK` (RFC 1939 §6).
    marked: Vec<String>,
    downloaded: Vec<(Option<String>, Vec<u8>)>,
    /// Octets downloaded so far.
    total: usize,
    deleted: Vec<String>,
    error: Option<String>,
    /// When the response being waited for is overdue.
    deadline: Option<SimTime>,
    now: SimTime,
}

impl Pop3Client {
    /// A mail program connected at `now`: it waits for the greeting ([`REPLY_TIMEOUT`]).
    ///
    /// A user name or password that cannot go into one command line (CR, LF or NUL would
    /// end it early and smuggle a second command; a user name with a space or a control
    /// character is two arguments; either one empty, or the line over
    /// [`MAX_COMMAND_LINE`] octets, RFC 2449 §4) is refused at once: the client sends
    /// nothing and its outcome says why.
    pub fn new(user: &str, password: &str, mode: Mode, now: SimTime) -> Pop3Client {
        let fits = |s: &str| !s.is_empty() && "PASS ".len() + s.len() + 2 <= MAX_COMMAND_LINE;
        let refused = if user.chars().any(|c| c.is_control() || c == ' ') || !fits(user) {
            Some(
                "refused before sending: the user name must be one word of at most 248 octets, without spaces, CR, LF or NUL",
            )
        } else if password.contains(['\r', '\n', '\0']) || !fits(password) {
            Some("refused before sending: the password must be at most 248 octets, without CR, LF or NUL")
        } else {
            None
        };
        Pop3Client {
            user: user.to_string(),
            password: password.to_string(),
            mode,
            state: if refused.is_some() { ClientState::Done } else { ClientState::ExpectGreeting },
            reading: Reading::Status,
            lines: LineReader::any_lf(MAX_RESPONSE_LINE),
            out: VecDeque::new(),
            uids: VecMap::new(),
            listed: false,
            fetch: VecDeque::new(),
            dele: VecDeque::new(),
            marked: Vec::new(),
            downloaded: Vec::new(),
            total: 0,
            deleted: Vec::new(),
            error: refused.map(str::to_string),
            deadline: refused.is_none().then(|| now.plus(REPLY_TIMEOUT)),
            now,
        }
    }

    pub fn client_state(&self) -> ClientState {
        self.state
    }

    /// The user this client logs in as.
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The unique-ids this session learned are on the server, by message number: the UIDL
    /// listing, or nothing when STAT said the maildrop is empty. `None` while it knows
    /// nothing (before UIDL; a refused login; a server without UIDL).
    pub fn listing(&self) -> Option<&VecMap<u32, String>> {
        self.listed.then_some(&self.uids)
    }

    /// What it has downloaded so far in this session: unique-id (if any) and bytes.
    pub fn downloaded(&self) -> &[(Option<String>, Vec<u8>)] {
        &self.downloaded
    }

    /// The messages `DELE` marked in this session (by unique-id, else number), not yet
    /// confirmed deleted.
    pub fn marked(&self) -> &[String] {
        &self.marked
    }

    /// The messages the server confirmed deleting at QUIT (by unique-id, else number).
    pub fn deleted(&self) -> &[String] {
        &self.deleted
    }

    /// When done: what happened.
    pub fn outcome(&self) -> Option<Pop3Outcome> {
        (self.state == ClientState::Done).then(|| Pop3Outcome {
            downloaded: self.downloaded.clone(),
            deleted: self.deleted.clone(),
            error: self.error.clone(),
        })
    }

    /// The name a message is reported by: its unique-id, else its number.
    fn name_of(&self, n: u32) -> String {
        self.uids.get(&n).cloned().unwrap_or_else(|| n.to_string())
    }

    fn send(&mut self, verb: &str, arg: Option<String>, next: ClientState) {
        let mut line = verb.to_string();
        if let Some(a) = arg {
            line.push(' ');
            line.push_str(&a);
        }
        line.push_str("\r\n");
        let kind = EventKind::Command { verb: verb.to_string() };
        self.out.push_back(Output::Send { bytes: line.into_bytes(), kind });
        self.state = next;
        self.deadline = Some(self.now.plus(REPLY_TIMEOUT));
    }

    /// Keeps the first reason the session failed.
    fn fail(&mut self, why: String) {
        self.error.get_or_insert(why);
    }

    /// Ends the session cleanly: QUIT, then close when it is answered.
    fn fail_and_quit(&mut self, why: String) {
        self.fail(why);
        self.send("QUIT", None, ClientState::ExpectQuitReply);
    }

    /// Ends the session without QUIT: the framing cannot be trusted, the message is too
    /// big to read to its end, or the server is silent. Closing without QUIT means the
    /// server deletes nothing (RFC 1939 §6).
    fn give_up(&mut self, why: String) {
        self.fail(format!("{why}; closed without QUIT, so the server deletes nothing (RFC 1939 §6)"));
        self.state = ClientState::Done;
        self.reading = Reading::Status;
        self.deadline = None;
        self.out.push_back(Output::Close);
    }

    /// The next command once a message or a deletion is settled: RETR the next message,
    /// DELE the next one downloaded, or QUIT.
    fn next_step(&mut self) {
        if let Some(n) = self.fetch.pop_front() {
            self.send("RETR", Some(n.to_string()), ClientState::ExpectRetr(n));
        } else if let Some(n) = self.dele.pop_front() {
            self.send("DELE", Some(n.to_string()), ClientState::ExpectDeleReply(n));
        } else {
            self.send("QUIT", None, ClientState::ExpectQuitReply);
        }
    }

    /// How many octets the multi-line response now starting may have.
    fn body_limit(&self) -> usize {
        match self.state {
            ClientState::ExpectRetr(_) => MAX_MESSAGE.min(MAX_TOTAL - self.total),
            _ => MAX_LISTING,
        }
    }

    /// The scan listing arrived: choose the messages to fetch and check the caps before
    /// downloading anything.
    fn plan(&mut self, listing: Vec<(u32, String)>) {
        let mut sizes = Vec::new();
        for (n, size) in listing {
            let Ok(size) = size.parse::<u64>() else {
                return self.fail_and_quit(format!("unreadable LIST line: {n} {size:?} is not a size"));
            };
            sizes.push((n, size));
        }
        sizes.sort_unstable();
        sizes.dedup_by_key(|(n, _)| *n);
        let wanted: Vec<(u32, u64)> = match &self.mode {
            Mode::DownloadAndDelete => sizes,
            // A message without a unique-id cannot be told apart from one already
            // downloaded, so it is left alone.
            Mode::LeaveOnServer { known } => sizes
                .into_iter()
                .filter(|(n, _)| self.uids.get(n).is_some_and(|u| !known.contains(u)))
                .collect(),
        };
        if let Some((n, size)) = wanted.iter().find(|(_, s)| *s > MAX_MESSAGE as u64) {
            return self.fail_and_quit(format!(
                "message {n} is {size} octets, over the {MAX_MESSAGE} (10 MiB) this client downloads: nothing downloaded"
            ));
        }
        let sum: u64 = wanted.iter().map(|(_, s)| s).sum();
        if sum > MAX_TOTAL as u64 {
            return self.fail_and_quit(format!(
                "the messages to download make {sum} octets, over the {MAX_TOTAL} (100 MiB) one session downloads: nothing downloaded"
            ));
        }
        self.fetch = wanted.into_iter().map(|(n, _)| n).collect();
        self.next_step();
    }

    /// One whole response: the status line, and the body of a multi-line one.
    fn handle_response(&mut self, r: Response, body: Option<Vec<u8>>) {
        match self.state {
            ClientState::ExpectGreeting if r.ok => {
                self.send("USER", Some(self.user.clone()), ClientState::ExpectUserReply)
            }
            ClientState::ExpectGreeting => {
                self.fail_and_quit(format!("the server refused the connection (it said: {r})"))
            }
            ClientState::ExpectUserReply if r.ok => {
                self.send("PASS", Some(self.password.clone()), ClientState::ExpectPassReply)
            }
            ClientState::ExpectUserReply | ClientState::ExpectPassReply if !r.ok => {
                let why = login_refused(&r);
                self.fail_and_quit(why)
            }
            // Logged in: how much mail is there? (Thunderbird and fetchmail ask STAT first.)
            ClientState::ExpectPassReply => self.send("STAT", None, ClientState::ExpectStat),
            ClientState::ExpectStat if r.ok => match parse_stat(&r.text) {
                // Nothing in the maildrop: nothing to list, fetch or delete.
                Some(0) => {
                    self.listed = true;
                    self.send("QUIT", None, ClientState::ExpectQuitReply)
                }
                Some(_) => self.send("UIDL", None, ClientState::ExpectUidl),
                None => self.fail_and_quit(format!(
                    "unreadable STAT response \"{r}\": expected the number of messages and their octets (RFC 1939 §5)"
                )),
            },
            ClientState::ExpectStat => {
                self.fail_and_quit(format!("the server refused STAT (it said: {r})"))
            }
            ClientState::ExpectUidl if r.ok => match parse_listing(&body.unwrap_or_default(), "UIDL") {
                Ok(listing) => {
                    if let Some((n, uid)) = listing.iter().find(|(_, u)| !valid_unique_id(u)) {
                        return self.fail_and_quit(format!(
                            "unreadable UIDL line: {n} {uid:?} is not a unique-id (1 to 70 characters from 0x21 to 0x7E, RFC 1939 §7)"
                        ));
                    }
                    self.uids = listing.into_iter().collect();
                    self.listed = true;
                    self.send("LIST", None, ClientState::ExpectList);
                }
                Err(e) => self.fail_and_quit(e),
            },
            // The server has no UIDL (it is optional, RFC 1939 §7). Messages left on the
            // server can then not be told apart, so leaving mail on it is impossible;
            // Thunderbird says so too ("does not support UIDL or XTND XLST, which are
            // required to implement the 'Leave on server' ... options").
            ClientState::ExpectUidl => match self.mode {
                Mode::DownloadAndDelete => self.send("LIST", None, ClientState::ExpectList),
                Mode::LeaveOnServer { .. } => self.fail_and_quit(format!(
                    "the server has no UIDL (it said: {r}), so mail left on it cannot be told apart: nothing downloaded"
                )),
            },
            ClientState::ExpectList if r.ok => match parse_listing(&body.unwrap_or_default(), "LIST") {
                Ok(listing) => self.plan(listing),
                Err(e) => self.fail_and_quit(e),
            },
            ClientState::ExpectList => {
                self.fail_and_quit(format!("the server refused to list the messages (it said: {r})"))
            }
            ClientState::ExpectRetr(n) => {
                // A message the server cannot give now stays on the server, undeleted;
                // the others go on.
                if r.ok {
                    let bytes = body.unwrap_or_default();
                    self.total += bytes.len();
                    self.downloaded.push((self.uids.get(&n).cloned(), bytes));
                    if self.mode == Mode::DownloadAndDelete {
                        self.dele.push_back(n);
                    }
                }
                self.next_step();
            }
            ClientState::ExpectDeleReply(n) => {
                if r.ok {
                    let name = self.name_of(n);
                    self.marked.push(name);
                }
                self.next_step();
            }
            ClientState::ExpectQuitReply => {
                if r.ok {
                    self.deleted = std::mem::take(&mut self.marked);
                } else if !self.marked.is_empty() {
                    self.fail(format!(
                        "the server could not remove the messages marked for deletion (it said: {r}, RFC 1939 §6)"
                    ));
                }
                self.state = ClientState::Done;
                self.deadline = None;
                self.out.push_back(Output::Close);
            }
            // USER is settled by the two arms above; nothing is read once done.
            ClientState::ExpectUserReply | ClientState::Done => {}
        }
    }
}

/// Why a login was refused, in plain words, with what the server said (response codes
/// RFC 2449 §8.1.2 `IN-USE`, RFC 3206 §4–5 `SYS/TEMP`, `SYS/PERM`, `AUTH`).
fn login_refused(r: &Response) -> String {
    let code = r.code.as_deref().unwrap_or("").to_ascii_uppercase();
    let why = match code.split('/').collect::<Vec<_>>().as_slice() {
        ["AUTH", ..] => ": wrong user name or password",
        ["IN-USE", ..] => ": the maildrop is in use by another session; try again when it ends",
        ["SYS", "TEMP", ..] => ": a temporary problem on the server; try again later",
        ["SYS", "PERM", ..] => ": a lasting problem on the server",
        _ => "",
    };
    format!("login refused{why} (the server said: {r})")
}

/// The number of messages in a STAT response's text: `nn mm`, two numbers (RFC 1939 §5:
/// "+OK" followed by a single space, the number of messages, a single space, and the size
/// in octets; a server may add more after them).
fn parse_stat(text: &str) -> Option<u32> {
    let mut words = text.split(' ');
    let n = words.next()?;
    let octets = words.next()?;
    let digits = |w: &str| !w.is_empty() && w.len() <= 20 && w.bytes().all(|b| b.is_ascii_digit());
    (digits(n) && digits(octets)).then_some(())?;
    octets.parse::<u64>().ok()?;
    n.parse().ok()
}

/// The lines of a UIDL or LIST listing: `msg value` each (RFC 1939 §5, §7); anything
/// after the value is "other information" a server may add (§5) and is ignored.
fn parse_listing(body: &[u8], verb: &str) -> Result<Vec<(u32, String)>, String> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for line in text.split_terminator("\r\n") {
        let mut words = line.split(' ');
        let n =
            words.next().filter(|w| !w.is_empty() && w.len() <= 10 && w.bytes().all(|b| b.is_ascii_digit()));
        let n = n.and_then(|w| w.parse::<u32>().ok()).filter(|&n| n > 0);
        match (n, words.next()) {
            (Some(n), Some(value)) if !value.is_empty() => out.push((n, value.to_string())),
            _ => {
                let shown: String = line.chars().take(40).collect();
                return Err(format!(
                    "unreadable {verb} line {shown:?}: expected a message number and a value"
                ));
            }
        }
    }
    Ok(out)
}

impl Session for Pop3Client {
    /// Bytes from the server. Every complete response is handled now; an incomplete one
    /// waits for more.
    fn handle_input(&mut self, mut input: &[u8], now: SimTime, _env: &mut dyn Env) {
        self.now = now;
        while self.state != ClientState::Done {
            match &mut self.reading {
                Reading::Status => {
                    let r = match self.lines.read(&mut input) {
                        None => return,
                        Some(Line::TooLong { .. }) => Err(ResponseError::TooLong),
                        Some(Line::Complete { text, .. }) => parse_status_line(&text),
                    };
                    match r {
                        Err(e) => return self.give_up(format!("unreadable response: {e}")),
                        Ok(r) if r.ok && self.state.multi_line() => {
                            let body = BodyReader::new(self.body_limit());
                            self.reading = Reading::Body { head: r, body };
                            self.deadline = Some(now.plus(REPLY_TIMEOUT));
                        }
                        Ok(r) => self.handle_response(r, None),
                    }
                }
                Reading::Body { body, .. } => {
                    if input.is_empty() {
                        return;
                    }
                    // A download that goes on is not overdue: the timer restarts.
                    self.deadline = Some(now.plus(REPLY_TIMEOUT));
                    match body.read(&mut input) {
                        None => return,
                        Some(Err(e)) => {
                            let what = match self.state {
                                ClientState::ExpectRetr(n) => format!("message {n} has"),
                                _ => "the listing has".to_string(),
                            };
                            return self.give_up(format!("{what} {e}, more than this client reads"));
                        }
                        Some(Ok(bytes)) => {
                            let Reading::Body { head, .. } =
                                std::mem::replace(&mut self.reading, Reading::Status)
                            else {
                                unreachable!("reading a body")
                            };
                            self.handle_response(head, Some(bytes));
                        }
                    }
                }
            }
        }
    }

    /// The server closed the connection, or it broke. Only a `+OK` to QUIT deletes
    /// anything (RFC 1939 §6), so what was marked is not reported deleted.
    fn handle_close(&mut self, _now: SimTime) {
        self.deadline = None;
        if self.state == ClientState::Done {
            return;
        }
        let why = match self.state {
            ClientState::ExpectQuitReply if !self.marked.is_empty() => {
                "the connection closed before the reply to QUIT: the deletions are not confirmed".to_string()
            }
            s => format!("the connection closed while the client {}; nothing was deleted", s.describe(false)),
        };
        self.fail(why);
        self.state = ClientState::Done;
        self.reading = Reading::Status;
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<SimTime> {
        self.deadline
    }

    /// No response in time ([`REPLY_TIMEOUT`]): the client closes the connection.
    fn handle_timeout(&mut self, now: SimTime) {
        if self.deadline.is_none_or(|d| now < d) || self.state == ClientState::Done {
            return;
        }
        self.now = now;
        let secs = REPLY_TIMEOUT.0 / 1_000_000;
        if self.state == ClientState::ExpectQuitReply {
            // QUIT was sent: whether the server deleted is what it cannot know.
            let unsure = if self.marked.is_empty() { "" } else { ": the deletions are not confirmed" };
            self.fail(format!("no reply to QUIT within {secs} s{unsure}"));
            self.state = ClientState::Done;
            self.deadline = None;
            return self.out.push_back(Output::Close);
        }
        let doing = self.state.describe(false);
        self.give_up(format!("no response within {secs} s while the client {doing}"));
    }

    fn state(&self) -> SessionState {
        SessionState::Pop3Client(self.state)
    }

    fn classify(&self, input: &[u8]) -> EventKind {
        let line = input.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or(input);
        let (ok, code) = match parse_status_line(line) {
            Ok(r) => (r.ok, r.code),
            Err(_) => (input.starts_with(b"+"), None),
        };
        EventKind::Reply { status: Status::Pop3 { ok, code }, to_verb: None, answers: None }
    }

    fn is_closed(&self) -> bool {
        self.state == ClientState::Done && self.out.is_empty()
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

    use crate::pop3::server::{Pop3Config, Pop3Server};
    use crate::pop3::{MaildropError, MessageError, Pop3Item};
    use crate::session::{Directory, RcptVerdict};
    use crate::smtp::server::Peer;

    fn leave(known: &[&str]) -> Mode {
        Mode::LeaveOnServer { known: known.iter().map(|s| s.to_string()).collect() }
    }

    /// The commands a client sent (without CRLF), and `<close>`.
    fn drain(c: &mut Pop3Client, sent: &mut Vec<String>) {
        while let Some(o) = c.poll_output() {
            sent.push(match o {
                Output::Send { bytes, kind: EventKind::Command { verb } } => {
                    let line = String::from_utf8(bytes).unwrap();
                    assert!(line.ends_with("\r\n") && line.matches('\n').count() == 1, "{line:?}");
                    assert!(line.starts_with(&verb), "{verb} {line:?}");
                    line.trim_end().to_string()
                }
                Output::Close => "<close>".into(),
                o => panic!("a POP3 client sends commands only: {o:?}"),
            });
        }
    }

    /// Runs a client against scripted server writes; returns what it sent and the client.
    fn run(mode: Mode, writes: &[&[u8]]) -> (Vec<String>, Pop3Client) {
        let mut c = Pop3Client::new("bob", "secret", mode, SimTime::ZERO);
        let mut sent = Vec::new();
        for w in writes {
            c.handle_input(w, SimTime::ZERO, &mut Directory::default());
            drain(&mut c, &mut sent);
        }
        (sent, c)
    }

    /// The greeting, the replies to USER and PASS, and to STAT.
    const LOGIN: [&str; 4] =
        ["+OK pop.example.net ready\r\n", "+OK send PASS\r\n", "+OK logged in\r\n", "+OK 3 36\r\n"];
    const UIDL3: &str = "+OK unique-id listing follows\r\n1 u1\r\n2 u2\r\n3 u3\r\n.\r\n";
    const LIST3: &str = "+OK 3 messages (36 octets)\r\n1 14\r\n2 14\r\n3 8\r\n.\r\n";
    const RETR1: &str = "+OK 14 octets\r\nSubject: 1\r\n\r\n.\r\n";
    const RETR2: &str = "+OK 14 octets\r\nSubject: 2\r\n\r\n.\r\n";
    const RETR3: &str = "+OK 8 octets\r\n..dot\r\n.\r\n";
    const OK: &str = "+OK\r\n";

    /// The scripted server of a download-and-delete of three messages.
    fn three() -> Vec<&'static str> {
        let mut s = LOGIN.to_vec();
        s.extend([UIDL3, LIST3, RETR1, RETR2, RETR3, OK, OK, OK, "+OK bye\r\n"]);
        s
    }

    const THREE_SENT: [&str; 13] = [
        "USER bob",
        "PASS secret",
        "STAT",
        "UIDL",
        "LIST",
        "RETR 1",
        "RETR 2",
        "RETR 3",
        "DELE 1",
        "DELE 2",
        "DELE 3",
        "QUIT",
        "<close>",
    ];

    fn as_bytes<'a>(s: &'a [&'a str]) -> Vec<&'a [u8]> {
        s.iter().map(|s| s.as_bytes()).collect()
    }

    #[test]
    fn sessions_against_scripted_servers() {
        struct Case {
            name: &'static str,
            mode: Mode,
            server: Vec<&'static str>,
            sent: Vec<&'static str>,
            /// The unique-ids (or `-`) of the messages downloaded.
            downloaded: Vec<&'static str>,
            deleted: Vec<&'static str>,
            /// Words the error must contain, or `None` for no error.
            error: Option<Vec<&'static str>>,
        }
        let login = |rest: &[&'static str]| {
            let mut s = LOGIN.to_vec();
            s.extend_from_slice(rest);
            s
        };
        let cases = vec![
            Case {
                name: "download and delete three",
                mode: Mode::DownloadAndDelete,
                server: three(),
                sent: THREE_SENT.to_vec(),
                downloaded: vec!["u1", "u2", "u3"],
                deleted: vec!["u1", "u2", "u3"],
                error: None,
            },
            Case {
                name: "leave on server: only the unknown ones, nothing deleted",
                mode: leave(&["u2"]),
                server: login(&[UIDL3, LIST3, RETR1, RETR3, "+OK bye\r\n"]),
                sent: vec![
                    "USER bob",
                    "PASS secret",
                    "STAT",
                    "UIDL",
                    "LIST",
                    "RETR 1",
                    "RETR 3",
                    "QUIT",
                    "<close>",
                ],
                downloaded: vec!["u1", "u3"],
                deleted: vec![],
                error: None,
            },
            Case {
                name: "leave on server: everything known, nothing fetched",
                mode: leave(&["u1", "u2", "u3"]),
                server: login(&[UIDL3, LIST3, "+OK bye\r\n"]),
                sent: vec!["USER bob", "PASS secret", "STAT", "UIDL", "LIST", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: None,
            },
            Case {
                name: "no UIDL: download and delete by number",
                mode: Mode::DownloadAndDelete,
                server: login(&["-ERR unknown command UIDL\r\n", LIST3, RETR1, RETR2, RETR3, OK, OK, OK, OK]),
                sent: THREE_SENT.to_vec(),
                downloaded: vec!["-", "-", "-"],
                deleted: vec!["1", "2", "3"],
                error: None,
            },
            Case {
                name: "no UIDL: leave on server is impossible",
                mode: leave(&[]),
                server: login(&["-ERR unknown command UIDL\r\n", "+OK bye\r\n"]),
                sent: vec!["USER bob", "PASS secret", "STAT", "UIDL", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["no UIDL", "-ERR unknown command UIDL"]),
            },
            Case {
                name: "empty maildrop: QUIT right after STAT",
                mode: Mode::DownloadAndDelete,
                server: vec![LOGIN[0], LOGIN[1], LOGIN[2], "+OK 0 0\r\n", "+OK bye\r\n"],
                sent: vec!["USER bob", "PASS secret", "STAT", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: None,
            },
            Case {
                name: "STAT refused",
                mode: Mode::DownloadAndDelete,
                server: vec![LOGIN[0], LOGIN[1], LOGIN[2], "-ERR no\r\n", "+OK bye\r\n"],
                sent: vec!["USER bob", "PASS secret", "STAT", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["refused STAT", "-ERR no"]),
            },
            Case {
                name: "a STAT response without its two numbers",
                mode: Mode::DownloadAndDelete,
                server: vec![LOGIN[0], LOGIN[1], LOGIN[2], "+OK lots of mail\r\n", "+OK bye\r\n"],
                sent: vec!["USER bob", "PASS secret", "STAT", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["unreadable STAT response \"+OK lots of mail\"", "RFC 1939 §5"]),
            },
            Case {
                name: "bad password: the server's text, then QUIT",
                mode: Mode::DownloadAndDelete,
                server: vec![
                    LOGIN[0],
                    LOGIN[1],
                    "-ERR [AUTH] invalid user name or password\r\n",
                    "+OK bye\r\n",
                ],
                sent: vec!["USER bob", "PASS secret", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["wrong user name or password", "-ERR [AUTH] invalid user name or password"]),
            },
            Case {
                name: "maildrop in use",
                mode: Mode::DownloadAndDelete,
                server: vec![LOGIN[0], LOGIN[1], "-ERR [IN-USE] maildrop already locked\r\n", "+OK bye\r\n"],
                sent: vec!["USER bob", "PASS secret", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["in use by another session", "[IN-USE] maildrop already locked"]),
            },
            Case {
                name: "temporary trouble at PASS",
                mode: Mode::DownloadAndDelete,
                server: vec![LOGIN[0], LOGIN[1], "-ERR [SYS/TEMP] try later\r\n", "+OK bye\r\n"],
                sent: vec!["USER bob", "PASS secret", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["temporary problem", "[SYS/TEMP]"]),
            },
            Case {
                name: "user refused",
                mode: Mode::DownloadAndDelete,
                server: vec![LOGIN[0], "-ERR no\r\n", "+OK bye\r\n"],
                sent: vec!["USER bob", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["login refused", "-ERR no"]),
            },
            Case {
                name: "greeting refused",
                mode: Mode::DownloadAndDelete,
                server: vec!["-ERR go away\r\n", "+OK bye\r\n"],
                sent: vec!["QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["refused the connection", "go away"]),
            },
            Case {
                name: "QUIT -ERR: nothing confirmed deleted",
                mode: Mode::DownloadAndDelete,
                server: {
                    let mut s = three();
                    *s.last_mut().unwrap() = "-ERR [SYS/TEMP] some deleted messages not removed\r\n";
                    s
                },
                sent: THREE_SENT.to_vec(),
                downloaded: vec!["u1", "u2", "u3"],
                deleted: vec![],
                error: Some(vec!["could not remove", "some deleted messages not removed"]),
            },
            Case {
                name: "one DELE refused: that one is not reported deleted",
                mode: Mode::DownloadAndDelete,
                server: login(&[UIDL3, LIST3, RETR1, RETR2, RETR3, OK, "-ERR no\r\n", OK, OK]),
                sent: THREE_SENT.to_vec(),
                downloaded: vec!["u1", "u2", "u3"],
                deleted: vec!["u1", "u3"],
                error: None,
            },
            Case {
                name: "one RETR refused: skipped, left on the server",
                mode: Mode::DownloadAndDelete,
                server: login(&[UIDL3, LIST3, RETR1, "-ERR [SYS/TEMP] cannot read\r\n", RETR3, OK, OK, OK]),
                sent: vec![
                    "USER bob",
                    "PASS secret",
                    "STAT",
                    "UIDL",
                    "LIST",
                    "RETR 1",
                    "RETR 2",
                    "RETR 3",
                    "DELE 1",
                    "DELE 3",
                    "QUIT",
                    "<close>",
                ],
                downloaded: vec!["u1", "u3"],
                deleted: vec!["u1", "u3"],
                error: None,
            },
            Case {
                name: "a message over the cap in LIST: QUIT before downloading",
                mode: Mode::DownloadAndDelete,
                server: login(&[UIDL3, "+OK\r\n1 14\r\n2 10485761\r\n.\r\n", "+OK bye\r\n"]),
                sent: vec!["USER bob", "PASS secret", "STAT", "UIDL", "LIST", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["message 2 is 10485761 octets", "10 MiB"]),
            },
            Case {
                name: "a listing that is not one",
                mode: Mode::DownloadAndDelete,
                server: login(&["+OK\r\nhello world\r\n.\r\n", "+OK bye\r\n"]),
                sent: vec!["USER bob", "PASS secret", "STAT", "UIDL", "QUIT", "<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["unreadable UIDL line \"hello world\""]),
            },
            Case {
                name: "garbage instead of a response: close, no QUIT",
                mode: Mode::DownloadAndDelete,
                server: vec!["hello there\r\n"],
                sent: vec!["<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["unreadable response", "hello there", "without QUIT"]),
            },
            Case {
                name: "lower-case +ok is not +OK (RFC 1939 §3)",
                mode: Mode::DownloadAndDelete,
                server: vec!["+ok\r\n"],
                sent: vec!["<close>"],
                downloaded: vec![],
                deleted: vec![],
                error: Some(vec!["neither +OK nor -ERR"]),
            },
        ];
        for case in cases {
            let name = case.name;
            let (sent, c) = run(case.mode.clone(), &as_bytes(&case.server));
            assert_eq!(sent, case.sent, "{name}");
            let o = c.outcome().unwrap_or_else(|| panic!("{name}: not done"));
            let uids: Vec<&str> = o.downloaded.iter().map(|(u, _)| u.as_deref().unwrap_or("-")).collect();
            assert_eq!(uids, case.downloaded, "{name}");
            assert_eq!(o.deleted, case.deleted, "{name}");
            match (&o.error, &case.error) {
                (None, None) => {}
                (Some(e), Some(words)) => {
                    for w in words {
                        assert!(e.contains(w), "{name}: {e:?} lacks {w:?}");
                    }
                }
                (got, _) => panic!("{name}: error {got:?}"),
            }
            assert!(c.is_closed() && c.poll_timeout().is_none(), "{name}");
        }
    }

    #[test]
    fn deletions_are_reported_only_after_quit_is_answered() {
        let server = three();
        let (_, c) = run(Mode::DownloadAndDelete, &as_bytes(&server[..server.len() - 1]));
        assert_eq!(c.client_state(), ClientState::ExpectQuitReply);
        assert_eq!(c.outcome(), None);
        // The connection drops instead of `+OK`: marked, but nothing is known deleted.
        let mut c = c;
        c.handle_close(SimTime::ZERO);
        let o = c.outcome().unwrap();
        assert_eq!(o.downloaded.len(), 3);
        assert!(o.deleted.is_empty());
        assert!(o.error.unwrap().contains("deletions are not confirmed"));
    }

    #[test]
    fn dot_unstuffing_gives_the_exact_bytes() {
        // RFC 1939 §3: a leading dot followed by more is stripped; `.` alone ends it.
        let cases: &[(&str, &[u8])] = &[
            ("+OK\r\n.\r\n", b""),
            ("+OK\r\n..\r\n.\r\n", b".\r\n"),
            (
                "+OK\r\n..hidden\r\n...two\r\n.x\r\n\r\nplain.\r\n.\r\n",
                b".hidden\r\n..two\r\nx\r\n\r\nplain.\r\n",
            ),
            // Bare LF line ends come out as CRLF (as Python's poplib reads them).
            ("+OK\r\nA: b\n\nbody\n.\n", b"A: b\r\n\r\nbody\r\n"),
            ("+OK\r\nbare\rCR\r\n.\r\n", b"bare\rCR\r\n"),
        ];
        for (retr, want) in cases {
            let mut server = LOGIN.to_vec();
            server.extend(["+OK\r\n1 u1\r\n.\r\n", "+OK\r\n1 5\r\n.\r\n", retr, "+OK\r\n", "+OK bye\r\n"]);
            let (_, c) = run(Mode::DownloadAndDelete, &as_bytes(&server));
            let o = c.outcome().unwrap();
            assert_eq!(o.downloaded, [(Some("u1".to_string()), want.to_vec())], "{retr:?}");
            assert_eq!(o.deleted, ["u1"]);
        }
    }

    #[test]
    fn framing_does_not_depend_on_how_the_bytes_are_grouped() {
        let all: String = three().concat();
        let (want_sent, want) = run(Mode::DownloadAndDelete, &as_bytes(&three()));
        let want = want.outcome().unwrap();
        assert_eq!(want.downloaded[2].1, b".dot\r\n");
        // Several responses in one write.
        let (sent, c) = run(Mode::DownloadAndDelete, &[all.as_bytes()]);
        assert_eq!((sent, c.outcome().unwrap()), (want_sent.clone(), want.clone()), "one write");
        // Byte by byte.
        let bytes: Vec<&[u8]> = all.as_bytes().chunks(1).collect();
        let (sent, c) = run(Mode::DownloadAndDelete, &bytes);
        assert_eq!((sent, c.outcome().unwrap()), (want_sent.clone(), want.clone()), "byte by byte");
        // Cut anywhere into two writes.
        for cut in 1..all.len() {
            let (sent, c) = run(Mode::DownloadAndDelete, &[&all.as_bytes()[..cut], &all.as_bytes()[cut..]]);
            assert_eq!((sent, c.outcome().unwrap()), (want_sent.clone(), want.clone()), "cut at {cut}");
        }
    }

    #[test]
    fn one_command_at_a_time() {
        // Each response releases exactly one command: nothing is sent ahead.
        let mut c = Pop3Client::new("bob", "secret", Mode::DownloadAndDelete, SimTime::ZERO);
        assert_eq!(c.poll_output(), None, "the server speaks first");
        for (i, r) in three().iter().enumerate() {
            c.handle_input(r.as_bytes(), SimTime::ZERO, &mut Directory::default());
            let mut sent = Vec::new();
            drain(&mut c, &mut sent);
            let want = if i + 1 == three().len() { vec!["<close>"] } else { vec![THREE_SENT[i]] };
            assert_eq!(sent, want, "after response {i}");
        }
    }

    #[test]
    fn connection_lost_mid_retr_reports_nothing_deleted() {
        let mut server = LOGIN.to_vec();
        server.extend([UIDL3, LIST3, RETR1, "+OK 14 octets\r\nSubject: 2\r\n"]);
        let (sent, mut c) = run(Mode::DownloadAndDelete, &as_bytes(&server));
        assert_eq!(sent.last().unwrap(), "RETR 2");
        assert_eq!(c.client_state(), ClientState::ExpectRetr(2));
        assert_eq!(c.state().describe(false), "downloads message 2");
        c.handle_close(SimTime::from_secs(1));
        let o = c.outcome().unwrap();
        assert_eq!(o.downloaded, [(Some("u1".to_string()), b"Subject: 1\r\n\r\n".to_vec())]);
        assert!(o.deleted.is_empty());
        let e = o.error.unwrap();
        assert!(e.contains("connection closed while the client downloads message 2"), "{e}");
        assert!(c.is_closed() && c.poll_output().is_none());
    }

    #[test]
    fn a_silent_server_times_out() {
        // REPLY_TIMEOUT: 100 s after the command, for each state. Silent after QUIT, the
        // server may or may not have deleted: the client cannot say.
        let cases: &[(&str, usize, &str)] = &[
            ("greeting", 0, "no response within 100 s while the client waits for the server's greeting"),
            ("USER", 1, "no response within 100 s"),
            ("PASS", 2, "no response within 100 s"),
            ("STAT", 3, "no response within 100 s"),
            ("UIDL", 4, "no response within 100 s"),
            ("RETR 1", 6, "no response within 100 s while the client downloads message 1"),
            ("QUIT", 12, "no reply to QUIT within 100 s: the deletions are not confirmed"),
        ];
        for (name, n, why) in cases {
            let mut c = Pop3Client::new("bob", "secret", Mode::DownloadAndDelete, SimTime::ZERO);
            for r in three().iter().take(*n) {
                c.handle_input(r.as_bytes(), SimTime::from_secs(10), &mut Directory::default());
            }
            let mut sent = Vec::new();
            drain(&mut c, &mut sent);
            let due = SimTime::from_secs(if *n == 0 { 0 } else { 10 } + 100);
            assert_eq!(c.poll_timeout(), Some(due), "{name}");
            c.handle_timeout(SimTime(due.0 - 1));
            assert!(c.outcome().is_none(), "{name}: not yet");
            c.handle_timeout(due);
            assert_eq!(c.poll_output(), Some(Output::Close), "{name}: closes");
            assert_eq!(c.poll_output(), None);
            let o = c.outcome().unwrap();
            let e = o.error.unwrap();
            assert!(e.contains(why), "{name}: {e}");
            assert!(o.deleted.is_empty());
            assert_eq!(c.poll_timeout(), None);
        }
    }

    #[test]
    fn silence_after_quit_with_nothing_marked_says_only_that() {
        // An empty maildrop: QUIT comes straight after the listings, with nothing marked.
        let mut c = Pop3Client::new("bob", "secret", Mode::DownloadAndDelete, SimTime::ZERO);
        let mut sent = Vec::new();
        let replies = ["+OK ready\r\n", "+OK\r\n", "+OK\r\n", "+OK 0 0\r\n", "+OK\r\n.\r\n", "+OK\r\n.\r\n"];
        for r in replies {
            if c.client_state() == ClientState::ExpectQuitReply {
                break;
            }
            c.handle_input(r.as_bytes(), SimTime::from_secs(1), &mut Directory::default());
            drain(&mut c, &mut sent);
        }
        assert_eq!(c.client_state(), ClientState::ExpectQuitReply, "{sent:?}");
        c.handle_timeout(SimTime::from_secs(101));
        assert_eq!(c.poll_output(), Some(Output::Close));
        let e = c.outcome().unwrap().error.unwrap();
        assert_eq!(e, "no reply to QUIT within 100 s", "QUIT was sent: not \"closed without QUIT\"");
    }

    #[test]
    fn a_slow_download_that_goes_on_does_not_time_out() {
        let mut server = LOGIN.to_vec();
        server.extend([UIDL3, LIST3]);
        let (_, mut c) = run(Mode::DownloadAndDelete, &as_bytes(&server));
        let env = &mut Directory::default();
        for (i, part) in ["+OK\r\n", "Subject: 1\r\n", "\r\n", ".\r\n"].iter().enumerate() {
            let now = SimTime::from_secs(90 * (i as u64 + 1));
            c.handle_timeout(now);
            c.handle_input(part.as_bytes(), now, env);
            assert_eq!(c.poll_timeout(), Some(now.plus(REPLY_TIMEOUT)));
        }
        assert_eq!(c.client_state(), ClientState::ExpectRetr(2));
    }

    #[test]
    fn a_message_bigger_than_announced_and_the_cap_is_refused_mid_retr() {
        // LIST says 14 octets; RETR streams more than 10 MiB. The client cannot QUIT in the
        // middle of a response, so it closes: the server deletes nothing.
        let mut server = LOGIN.to_vec();
        server.extend([UIDL3, LIST3, RETR1, "+OK 14 octets\r\n"]);
        let (_, mut c) = run(Mode::DownloadAndDelete, &as_bytes(&server));
        let line = [b"x".repeat(998), b"\r\n".to_vec()].concat();
        let mut sent = Vec::new();
        let mut fed = 0;
        while c.client_state() != ClientState::Done {
            c.handle_input(&line, SimTime::ZERO, &mut Directory::default());
            fed += line.len();
            assert!(fed <= MAX_MESSAGE + line.len(), "refused at the cap");
        }
        drain(&mut c, &mut sent);
        assert_eq!(sent, ["<close>"]);
        let o = c.outcome().unwrap();
        assert_eq!(o.downloaded.len(), 1);
        assert!(o.deleted.is_empty());
        let e = o.error.unwrap();
        assert!(e.contains("message 2 has more than 10485760 octets") && e.contains("without QUIT"), "{e}");
        // One endless line is refused as well, without holding more than the cap.
        let mut server = LOGIN.to_vec();
        server.extend([UIDL3, LIST3, "+OK\r\n"]);
        let (_, mut c) = run(Mode::DownloadAndDelete, &as_bytes(&server));
        let chunk = vec![b'y'; 1 << 20];
        for _ in 0..11 {
            c.handle_input(&chunk, SimTime::ZERO, &mut Directory::default());
        }
        assert!(c.outcome().unwrap().error.unwrap().contains("message 1 has more than"));
    }

    #[test]
    fn the_total_is_capped_before_downloading() {
        let list: String = std::iter::once("+OK\r\n".to_string())
            .chain((1..=11).map(|n| format!("{n} {MAX_MESSAGE}\r\n")))
            .chain(std::iter::once(".\r\n".to_string()))
            .collect();
        let mut server = LOGIN.to_vec();
        server.extend(["-ERR no UIDL\r\n", &list, "+OK bye\r\n"]);
        let (sent, c) = run(Mode::DownloadAndDelete, &as_bytes(&server));
        assert_eq!(sent, ["USER bob", "PASS secret", "STAT", "UIDL", "LIST", "QUIT", "<close>"]);
        assert!(c.outcome().unwrap().error.unwrap().contains("100 MiB"));
    }

    #[test]
    fn credentials_that_would_break_the_command_line_are_refused_before_sending() {
        let long = "a".repeat(249);
        let cases = [
            ("bob\r\nDELE 1", "secret"),
            ("bob", "secret\r\nDELE 1"),
            ("bob", "sec\0ret"),
            ("bob", "secret\n"),
            ("bob smith", "secret"),
            ("", "secret"),
            ("bob", ""),
            (long.as_str(), "secret"),
            ("bob", long.as_str()),
        ];
        for (user, password) in cases {
            let mut c = Pop3Client::new(user, password, Mode::DownloadAndDelete, SimTime::ZERO);
            assert_eq!(c.poll_timeout(), None);
            c.handle_input(b"+OK ready\r\n", SimTime::ZERO, &mut Directory::default());
            assert_eq!(c.poll_output(), None, "{user:?} {password:?}");
            assert!(c.outcome().unwrap().error.unwrap().starts_with("refused before sending"));
            assert!(c.is_closed());
        }
        // At the limit: `PASS ` + 248 octets + CRLF = 255 (RFC 2449 §4).
        let fits = "p".repeat(248);
        let (sent, _) = run_with("bob", &fits, &["+OK\r\n", "+OK\r\n"]);
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[1].len() + 2, MAX_COMMAND_LINE);
        // A password may hold spaces: the server takes the rest of the line (RFC 1939 §7).
        let (sent, _) = run_with("bob", "two words", &["+OK\r\n", "+OK\r\n"]);
        assert_eq!(sent, ["USER bob", "PASS two words"]);
    }

    fn run_with(user: &str, password: &str, writes: &[&str]) -> (Vec<String>, Pop3Client) {
        let mut c = Pop3Client::new(user, password, Mode::DownloadAndDelete, SimTime::ZERO);
        let mut sent = Vec::new();
        for w in writes {
            c.handle_input(w.as_bytes(), SimTime::ZERO, &mut Directory::default());
            drain(&mut c, &mut sent);
        }
        (sent, c)
    }

    #[test]
    fn stat_responses() {
        let cases = [
            ("2 320", Some(2)),
            ("0 0", Some(0)),
            ("3 36 and more words", Some(3)),
            ("2", None),
            ("two 320", None),
            ("2 three", None),
            ("-1 5", None),
            ("", None),
            ("99999999999 5", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_stat(text), want, "{text:?}");
        }
    }

    #[test]
    fn status_lines() {
        let cases: &[(&[u8], Result<(bool, Option<&str>, &str), ()>)] = &[
            (b"+OK", Ok((true, None, ""))),
            (b"+OK 2 320", Ok((true, None, "2 320"))),
            (b"-ERR [IN-USE] locked", Ok((false, Some("IN-USE"), "locked"))),
            (b"-ERR [SYS/TEMP]", Ok((false, Some("SYS/TEMP"), ""))),
            (b"-ERR [not a code] x", Ok((false, None, "[not a code] x"))),
            (b"-ERR []", Ok((false, None, "[]"))),
            (b"+OKAY", Err(())),
            (b"-ERROR", Err(())),
            (b"OK", Err(())),
            (b"", Err(())),
            (b"\xff\xfe", Err(())),
        ];
        for (line, want) in cases {
            let got = parse_status_line(line);
            let got = got.as_ref().map(|r| (r.ok, r.code.as_deref(), r.text.as_str())).map_err(|_| ());
            assert_eq!(got, *want, "{}", String::from_utf8_lossy(line));
        }
        let r = parse_status_line(b"-ERR [AUTH] bad").unwrap();
        assert_eq!(r.to_string(), "-ERR [AUTH] bad");
    }

    #[test]
    fn a_response_line_over_512_octets_is_unreadable() {
        let long = format!("+OK {}\r\n", "x".repeat(600));
        let (sent, c) = run(Mode::DownloadAndDelete, &[long.as_bytes()]);
        assert_eq!(sent, ["<close>"]);
        assert!(c.outcome().unwrap().error.unwrap().contains("over 512 octets"));
    }

    #[test]
    fn states_are_named_and_described_in_plain_words() {
        let states = [
            ClientState::ExpectGreeting,
            ClientState::ExpectUserReply,
            ClientState::ExpectPassReply,
            ClientState::ExpectStat,
            ClientState::ExpectUidl,
            ClientState::ExpectList,
            ClientState::ExpectRetr(u32::MAX),
            ClientState::ExpectDeleReply(u32::MAX),
            ClientState::ExpectQuitReply,
            ClientState::Done,
        ];
        for s in states {
            for sending in [true, false] {
                let words = SessionState::Pop3Client(s).describe(sending);
                assert!(!words.is_empty() && words.len() <= 41, "{words}");
            }
            assert_eq!(SessionState::Pop3Client(s).name(), s.name());
            assert_eq!(SessionState::Pop3Client(s).protocol(), crate::trace::Protocol::Pop3);
        }
        assert_eq!(ClientState::ExpectRetr(2).describe(true), "sends RETR");
        assert_eq!(ClientState::ExpectRetr(2).describe(false), "downloads message 2");
        assert_eq!(ClientState::ExpectPassReply.describe(false), "waits for the reply to PASS");
    }

    #[test]
    fn classify_reads_the_status() {
        let c = Pop3Client::new("bob", "secret", Mode::DownloadAndDelete, SimTime::ZERO);
        let cases: &[(&[u8], bool, Option<&str>)] = &[
            (b"+OK ready\r\n", true, None),
            (b"-ERR [IN-USE] locked\r\n", false, Some("IN-USE")),
            (b"garbage\r\n", false, None),
            (b"", false, None),
        ];
        for (input, ok, code) in cases {
            assert_eq!(
                c.classify(input),
                EventKind::Reply {
                    status: Status::Pop3 { ok: *ok, code: code.map(str::to_string) },
                    to_verb: None,
                    answers: None
                }
            );
        }
    }

    #[test]
    fn garbage_never_panics_and_never_grows() {
        let starts: [&[&str]; 4] = [
            &[],
            &LOGIN,
            &[LOGIN[0], LOGIN[1], LOGIN[2], LOGIN[3], UIDL3],
            &[LOGIN[0], LOGIN[1], LOGIN[2], LOGIN[3], UIDL3, LIST3, "+OK\r\n"],
        ];
        for (k, start) in starts.iter().enumerate() {
            let mut seed = 12345u64 + k as u64;
            for _ in 0..200 {
                let (_, mut c) = run(Mode::DownloadAndDelete, &as_bytes(start));
                for _ in 0..50 {
                    let mut chunk = Vec::new();
                    for _ in 0..64 {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        chunk.push(match (seed >> 33) % 12 {
                            0 => b'\r',
                            1 => b'\n',
                            2 => b'.',
                            3 => b'+',
                            4 => b' ',
                            5 => b"0123456789"[(seed >> 40) as usize % 10],
                            6 => b"OK"[(seed >> 40) as usize % 2],
                            7 => b"-ERR"[(seed >> 40) as usize % 4],
                            _ => (seed >> 40) as u8,
                        });
                    }
                    c.handle_input(&chunk, SimTime::ZERO, &mut Directory::default());
                    let mut n = 0;
                    while c.poll_output().is_some() {
                        n += 1;
                    }
                    let line_ends = chunk.iter().filter(|&&b| b == b'\n').count();
                    assert!(n <= line_ends + 1, "at most one command per response, and a close");
                    assert!(c.lines.pending() <= MAX_RESPONSE_LINE);
                    if let Reading::Body { body, .. } = &c.reading {
                        assert!(body.body.len() + body.line.len() <= body.limit + 2);
                    }
                }
                c.handle_close(SimTime::ZERO);
                assert!(c.outcome().unwrap().deleted.is_empty(), "garbage never confirms a deletion");
            }
        }
    }

    // ---- End to end, against the real server ----

    const MSG1: &[u8] =
        b"Subject: one\r\nFrom: alice@example.org\r\n\r\nHello Bob.\r\n.hidden dot\r\n..two dots\r\n.\r\n";
    const MSG2: &[u8] = b"Subject: two\r\n\r\nline 1\r\n";
    const MSG3: &[u8] = b"Subject: three\r\n\r\n.\r\n..\r\n";
    const UIDS: [&str; 3] = ["1700000000.1", "1700000000.2", "1700000000.3"];

    /// A host with one maildrop (bob's), its lock, and what it was asked to delete.
    #[derive(Default)]
    struct Host {
        password: String,
        drop: Vec<(String, Rc<[u8]>)>,
        locks: HashMap<String, u64>,
        deletions: Vec<Vec<String>>,
    }

    impl Host {
        fn bob() -> Host {
            let drop = UIDS.iter().zip([MSG1, MSG2, MSG3]).map(|(u, m)| (u.to_string(), m.into())).collect();
            Host { password: "secret".into(), drop, ..Host::default() }
        }
    }

    impl Env for Host {
        fn recipient(&mut self, _client: &str, _rcpt: &str) -> RcptVerdict {
            RcptVerdict::NoSuchUser
        }
        fn check_password(&mut self, user: &str, password: &str) -> bool {
            user == "bob" && password == self.password
        }
        fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
            match self.locks.get(user) {
                Some(&holder) if holder != session => return Err(MaildropError::Locked),
                _ => self.locks.insert(user.into(), session),
            };
            Ok(self.drop.iter().map(|(uid, m)| Pop3Item { uid: uid.clone(), size: m.len() as u64 }).collect())
        }
        fn maildrop_message(
            &mut self,
            user: &str,
            session: u64,
            uid: &str,
        ) -> Result<Rc<[u8]>, MessageError> {
            if self.locks.get(user) != Some(&session) {
                return Err(MessageError::Unavailable);
            }
            self.drop.iter().find(|(u, _)| u == uid).map(|(_, m)| m.clone()).ok_or(MessageError::Gone)
        }
        fn commit_deletions(&mut self, _user: &str, _session: u64, uids: &[String]) -> bool {
            self.deletions.push(uids.to_vec());
            self.drop.retain(|(u, _)| !uids.contains(u));
            true
        }
        fn close_maildrop(&mut self, user: &str, session: u64) {
            if self.locks.get(user) == Some(&session) {
                self.locks.remove(user);
            }
        }
    }

    /// Joins a client and a real server: moves bytes between them until both are quiet,
    /// as the World does, and returns the transcript (`C:` commands, `S:` first lines).
    fn connect(client: &mut Pop3Client, host: &mut Host, session: u64) -> Vec<String> {
        let peer = Peer { addr: "192.0.2.20".into(), name: None };
        let mut server = Pop3Server::new(Pop3Config::new("pop.example.net"), peer, session, SimTime::ZERO);
        let mut transcript = Vec::new();
        let mut open = true;
        for step in 0..1000 {
            let now = SimTime::from_millis(step);
            let mut moved = false;
            while let Some(o) = server.poll_output() {
                moved = true;
                match o {
                    Output::Send { bytes, .. } if open => {
                        let first = bytes.split(|&b| b == b'\n').next().unwrap();
                        transcript.push(format!("S: {}", String::from_utf8_lossy(first).trim_end()));
                        client.handle_input(&bytes, now, host);
                    }
                    Output::Close if open => {
                        open = false;
                        client.handle_close(now);
                    }
                    _ => {}
                }
            }
            while let Some(o) = client.poll_output() {
                moved = true;
                match o {
                    Output::Send { bytes, .. } if open => {
                        transcript.push(format!("C: {}", String::from_utf8_lossy(&bytes).trim_end()));
                        server.handle_input(&bytes, now, host);
                    }
                    Output::Close if open => {
                        open = false;
                        server.handle_close(now);
                    }
                    _ => {}
                }
            }
            if !moved {
                break;
            }
        }
        assert!(!open || (client.is_closed() && server.is_closed()), "{transcript:#?}");
        // The driver releases the lock of a session that ended without QUIT.
        if let Some(user) = server.user() {
            host.close_maildrop(user, session);
        }
        transcript
    }

    #[test]
    fn end_to_end_download_and_delete() {
        let mut host = Host::bob();
        let mut c = Pop3Client::new("bob", "secret", Mode::DownloadAndDelete, SimTime::ZERO);
        let t = connect(&mut c, &mut host, 1);
        let commands: Vec<&str> = t.iter().filter_map(|l| l.strip_prefix("C: ")).collect();
        assert_eq!(
            commands,
            [
                "USER bob",
                "PASS secret",
                "STAT",
                "UIDL",
                "LIST",
                "RETR 1",
                "RETR 2",
                "RETR 3",
                "DELE 1",
                "DELE 2",
                "DELE 3",
                "QUIT"
            ]
        );
        assert_eq!(t.last().unwrap(), "S: +OK pop.example.net POP3 server signing off (0 messages left)");
        let o = c.outcome().unwrap();
        assert_eq!(o.error, None);
        let want: Vec<(Option<String>, Vec<u8>)> =
            UIDS.iter().zip([MSG1, MSG2, MSG3]).map(|(u, m)| (Some(u.to_string()), m.to_vec())).collect();
        assert_eq!(o.downloaded, want, "exact bytes, dots and all");
        assert_eq!(o.deleted, UIDS);
        assert_eq!(host.deletions, [UIDS.map(String::from).to_vec()]);
        assert!(host.drop.is_empty() && host.locks.is_empty());
    }

    #[test]
    fn end_to_end_leave_on_server() {
        let mut host = Host::bob();
        let mut c = Pop3Client::new("bob", "secret", leave(&[UIDS[1]]), SimTime::ZERO);
        let t = connect(&mut c, &mut host, 1);
        let commands: Vec<&str> = t.iter().filter_map(|l| l.strip_prefix("C: ")).collect();
        assert_eq!(commands, ["USER bob", "PASS secret", "STAT", "UIDL", "LIST", "RETR 1", "RETR 3", "QUIT"]);
        let o = c.outcome().unwrap();
        let got: Vec<(Option<&str>, &[u8])> =
            o.downloaded.iter().map(|(u, m)| (u.as_deref(), &m[..])).collect();
        assert_eq!(got, [(Some(UIDS[0]), MSG1), (Some(UIDS[2]), MSG3)]);
        assert!(o.deleted.is_empty() && host.deletions.is_empty());
        assert_eq!(host.drop.len(), 3);
        // The next session knows them all: it downloads nothing.
        let known: Vec<&str> = UIDS.to_vec();
        let mut c = Pop3Client::new("bob", "secret", leave(&known), SimTime::ZERO);
        connect(&mut c, &mut host, 2);
        assert_eq!(c.outcome().unwrap(), Pop3Outcome::default());
    }

    #[test]
    fn end_to_end_refusals() {
        // Wrong password: the server's [AUTH] text, QUIT, nothing touched.
        let mut host = Host::bob();
        let mut c = Pop3Client::new("bob", "wrong", Mode::DownloadAndDelete, SimTime::ZERO);
        let t = connect(&mut c, &mut host, 1);
        assert!(t.contains(&"C: QUIT".to_string()), "{t:#?}");
        let e = c.outcome().unwrap().error.unwrap();
        assert_eq!(
            e,
            "login refused: wrong user name or password (the server said: -ERR [AUTH] invalid user name or password)"
        );
        // Another session holds the maildrop: [IN-USE].
        host.locks.insert("bob".into(), 99);
        let mut c = Pop3Client::new("bob", "secret", Mode::DownloadAndDelete, SimTime::ZERO);
        connect(&mut c, &mut host, 2);
        let o = c.outcome().unwrap();
        assert!(o.error.unwrap().contains("[IN-USE]"));
        assert!(o.downloaded.is_empty() && host.drop.len() == 3);
        // Once it is released, the same client works.
        host.locks.clear();
        let mut c = Pop3Client::new("bob", "secret", Mode::DownloadAndDelete, SimTime::ZERO);
        connect(&mut c, &mut host, 3);
        assert_eq!(c.outcome().unwrap().deleted.len(), 3);
    }

    #[test]
    fn end_to_end_a_lost_connection_deletes_nothing() {
        // The client is cut off while downloading: the server never enters UPDATE.
        let mut host = Host::bob();
        let peer = Peer { addr: "192.0.2.20".into(), name: None };
        let mut server = Pop3Server::new(Pop3Config::new("pop.example.net"), peer, 1, SimTime::ZERO);
        let mut c = Pop3Client::new("bob", "secret", Mode::DownloadAndDelete, SimTime::ZERO);
        let mut to_client = Vec::new();
        for _ in 0..7 {
            while let Some(Output::Send { bytes, .. }) = server.poll_output() {
                to_client.extend(bytes);
            }
            // Half of what the server sent arrives, then the line is cut.
            if c.client_state() == ClientState::ExpectRetr(2) {
                let half = to_client.len() / 2;
                c.handle_input(&to_client[..half], SimTime::ZERO, &mut host);
                break;
            }
            c.handle_input(&std::mem::take(&mut to_client), SimTime::ZERO, &mut host);
            while let Some(Output::Send { bytes, .. }) = c.poll_output() {
                server.handle_input(&bytes, SimTime::ZERO, &mut host);
            }
        }
        assert_eq!(c.client_state(), ClientState::ExpectRetr(2));
        c.handle_close(SimTime::ZERO);
        server.handle_close(SimTime::ZERO);
        host.close_maildrop("bob", 1);
        let o = c.outcome().unwrap();
        assert_eq!(o.downloaded.len(), 1);
        assert!(o.deleted.is_empty() && o.error.is_some());
        assert!(host.deletions.is_empty() && host.drop.len() == 3 && host.locks.is_empty());
    }
}
