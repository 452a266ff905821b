//! The IMAP client, sans-IO: a mail program that keeps one user's mail on the server and
//! shows it (IMAP4rev1, RFC 3501; IDLE RFC 2177; MOVE RFC 6851; UIDPLUS RFC 4315;
//! SASL-IR RFC 4959; special-use folders RFC 6154; synchronisation as RFC 4549 §4.3).
//!
//! It keeps the [`Session`] contract: feed it what the server sends with
//! [`Session::handle_input`], drain [`Session::poll_output`] for the commands, wake it at
//! [`Session::poll_timeout`]. What the person does (read, flag, archive, delete, file a
//! sent message) is its [`Planned`] list of [`Action`]s, each at a time: the client acts
//! when time reaches it, and between actions waits in IDLE for news.
//!
//! One command at a time, as a careful mail program does:
//!
//! ```text
//! S: * OK [CAPABILITY ...] ready       (CAPABILITY first when the greeting lacks them)
//! C: a1 LOGIN bob builder              (or AUTHENTICATE PLAIN, with SASL-IR when offered)
//! C: a2 LIST "" "*"                    which folder is Sent, Archive (RFC 6154)
//! C: a3 SELECT INBOX                   EXISTS, UIDVALIDITY (a new one: forget the cache)
//! C: a4 UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE)    the list of messages
//!    (with a cache: UID FETCH n+1:* (...) for the new, UID FETCH 1:n (FLAGS) for the rest)
//! C: a5 IDLE  S: +   ... S: * 3 EXISTS → C: DONE, UID FETCH for the new one, IDLE again
//! at an action: DONE, then UID FETCH u (BODY[]) | UID FETCH u (BODYSTRUCTURE), then
//!    UID FETCH u (BODY[n]) for the text part alone | UID STORE u +FLAGS (\Flagged) |
//!    UID MOVE u Archive | UID STORE u +FLAGS (\Deleted), EXPUNGE | APPEND Sent {n} ...
//! C: aN LOGOUT                         after the last action
//! ```
//!
//! What it believes is in each folder ([`Cache`]: UIDs, flags, subjects) is read from the
//! responses, never from the server's store: the World keeps it between sessions, as a
//! mail program keeps its cache on disk. A server that breaks the framing, or is silent
//! for [`REPLY_TIMEOUT`], is left: the connection is closed.

use std::collections::VecDeque;
use std::rc::Rc;

use crate::imap::message::push_astring;
use crate::imap::response::{self, Reader, Response, Value};
use crate::imap::structure::{self, BodyPart};
use crate::session::{Env, Output, Session, SessionState};
use crate::smtp::auth;
use crate::store::{Flags, INBOX, MAX_FOLDERS, MAX_MESSAGES};
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, ImapCondition, ImapResponse, Status};

/// How long the client waits for the answer to a command. RFC 3501 gives clients no
/// figure (only the server's autologout, at least 30 minutes, §5.4): a mail program's own,
/// Thunderbird's default read timeout of 100 s (its `mailnews.tcptimeout`), as the POP3
/// client's.
pub const REPLY_TIMEOUT: SimDuration = SimDuration::from_secs(100);
/// An IDLE is ended and sent again after this long: "clients using IDLE are advised to
/// terminate the IDLE and re-issue it at least every 29 minutes to avoid being logged
/// off" (RFC 2177 §3).
pub const IDLE_RENEW: SimDuration = SimDuration::from_secs(29 * 60);

/// The most errors one session keeps (our choice: a few dozen say all there is to say; a
/// server that refuses everything must not make the list grow without bound).
pub const MAX_ERRORS: usize = 32;

/// Which message an action is about, among those of the open folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pick {
    /// The one with the highest UID: the latest to arrive (RFC 3501 §2.3.1.1).
    Newest,
    Oldest,
    /// The newest whose subject contains this text (any case).
    Subject(String),
}

/// What the person does with the mail program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Look for new mail: connect and synchronise, or on an open session NOOP, which lets
    /// the server tell what changed (RFC 3501 §6.1.2).
    Check,
    /// Open a message: its body is fetched with `BODY[]`, which sets `\Seen` (§6.4.5).
    Read(Pick),
    /// Open a message's text alone, as a mail program does with a large message: its
    /// BODYSTRUCTURE first (§7.4.2), then only the part to show with `BODY[n]`, which
    /// sets `\Seen`; the attachments stay on the server until asked for.
    ReadText(Pick),
    /// Set (`on`) or clear a flag: `UID STORE +FLAGS` / `-FLAGS` (§6.4.6).
    Mark { pick: Pick, flag: Flags, on: bool },
    /// Move to the folder whose special use is `\Archive` (RFC 6154), by `UID MOVE`
    /// (RFC 6851 §3.1), or COPY, `\Deleted` and EXPUNGE where MOVE is not offered.
    Archive(Pick),
    /// Delete: `\Deleted`, then EXPUNGE (§6.4.6, §6.4.3).
    Delete(Pick),
    /// EXPUNGE: remove every message of the open folder marked `\Deleted` (§6.4.3).
    Expunge,
    /// Open another folder (SELECT, §6.3.1).
    Open(String),
    /// File a copy of a sent message in the `\Sent` folder with APPEND (§6.3.11).
    AppendSent,
    /// End the session (LOGOUT, §6.1.3).
    Logout,
}

impl Pick {
    /// `the newest message`, `the message about “Lunch”` (the first whose subject has the word).
    pub fn describe(&self) -> String {
        match self {
            Pick::Newest => "the newest message".into(),
            Pick::Oldest => "the oldest message".into(),
            Pick::Subject(s) => format!("the message about “{s}”"),
        }
    }
}

impl Action {
    /// What the person does, in words: `opens the newest message`.
    pub fn describe(&self) -> String {
        match self {
            Action::Check => "checks for new mail".into(),
            Action::Read(p) => format!("opens {}", p.describe()),
            Action::ReadText(p) => format!("opens the text of {}", p.describe()),
            Action::Mark { pick, flag, on } => {
                let what = match (*flag, on) {
                    (Flags::SEEN, true) => "marks {} as read",
                    (Flags::SEEN, false) => "marks {} as unread",
                    (Flags::FLAGGED, true) => "flags {}",
                    (Flags::FLAGGED, false) => "removes the flag from {}",
                    (_, true) => "sets a flag on {}",
                    (_, false) => "clears a flag of {}",
                };
                what.replace("{}", &pick.describe())
            }
            Action::Archive(p) => format!("archives {}", p.describe()),
            Action::Delete(p) => format!("deletes {}", p.describe()),
            Action::Expunge => "empties what is marked deleted (EXPUNGE)".into(),
            Action::Open(f) => format!("opens the folder {f}"),
            Action::AppendSent => "files a copy of the sent message in Sent".into(),
            Action::Logout => "closes the mail program".into(),
        }
    }
}

/// An action at its time; `message` is what APPEND files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub at: SimTime,
    pub action: Action,
    pub message: Option<Rc<[u8]>>,
}

/// A message as the client knows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CachedMessage {
    /// Its UID; 0 while the server has announced it (EXISTS) but not yet said which.
    pub uid: u32,
    pub flags: Flags,
    /// The server said `\Recent` in its FLAGS: new to this session (RFC 3501 §2.3.2), a flag
    /// of the session, not stored with the message.
    pub recent: bool,
    pub subject: String,
    pub from: String,
    /// RFC822.SIZE.
    pub size: u64,
    /// Its body was downloaded (the person opened it).
    pub opened: bool,
    /// Only a part of it was downloaded (its text, `BODY[n]`), not the whole message.
    pub text_only: bool,
}

/// A folder as the client knows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CachedFolder {
    pub name: String,
    /// Its special use from LIST (`\Sent`, `\Archive`, RFC 6154), if any.
    pub special_use: Option<String>,
    /// The UIDVALIDITY its messages belong to; 0 before it was ever selected.
    pub uid_validity: u32,
    /// Its messages; for the open folder in sequence-number order (message n at n - 1).
    pub messages: Vec<CachedMessage>,
}

/// What the mail program believes is on the server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cache {
    pub folders: Vec<CachedFolder>,
}

impl Cache {
    pub fn folder(&self, name: &str) -> Option<&CachedFolder> {
        self.folders.iter().find(|f| same_folder(&f.name, name))
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.folders.iter().position(|f| same_folder(&f.name, name))
    }
}

/// Folder names compare exactly, except INBOX (RFC 3501 §5.1).
fn same_folder(a: &str, b: &str) -> bool {
    a == b || (a.eq_ignore_ascii_case(INBOX) && b.eq_ignore_ascii_case(INBOX))
}

/// The command a client state is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    Capability,
    Login,
    Authenticate,
    List,
    Select,
    Fetch,
    Store,
    Move,
    Copy,
    Expunge,
    Append,
    Noop,
    Idle,
    Logout,
}

impl Verb {
    /// Every verb, for tests that go through them all.
    pub const ALL: [Verb; 14] = [
        Verb::Capability,
        Verb::Login,
        Verb::Authenticate,
        Verb::List,
        Verb::Select,
        Verb::Fetch,
        Verb::Store,
        Verb::Move,
        Verb::Copy,
        Verb::Expunge,
        Verb::Append,
        Verb::Noop,
        Verb::Idle,
        Verb::Logout,
    ];

    /// As on the wire (`UID FETCH`).
    pub fn name(self) -> &'static str {
        match self {
            Verb::Capability => "CAPABILITY",
            Verb::Login => "LOGIN",
            Verb::Authenticate => "AUTHENTICATE",
            Verb::List => "LIST",
            Verb::Select => "SELECT",
            Verb::Fetch => "UID FETCH",
            Verb::Store => "UID STORE",
            Verb::Move => "UID MOVE",
            Verb::Copy => "UID COPY",
            Verb::Expunge => "EXPUNGE",
            Verb::Append => "APPEND",
            Verb::Noop => "NOOP",
            Verb::Idle => "IDLE",
            Verb::Logout => "LOGOUT",
        }
    }
}

/// The client's state: what it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// The server's greeting (RFC 3501 §7.1.1).
    ExpectGreeting,
    /// The answer to this command.
    Expect(Verb),
    /// The server's `+` to go on with this command (a literal, an AUTHENTICATE step).
    ExpectContinuation(Verb),
    /// In IDLE: the server pushes news; `DONE` ends it (RFC 2177 §3).
    Idling,
    /// `DONE` sent: the OK that ends the IDLE command.
    ExpectIdleEnd,
    /// Logged in, nothing to do until the next action (a server without IDLE).
    Waiting,
    Done,
}

impl ClientState {
    pub fn name(self) -> &'static str {
        match self {
            ClientState::ExpectGreeting => "ExpectGreeting",
            ClientState::Expect(_) => "ExpectResponse",
            ClientState::ExpectContinuation(_) => "ExpectContinuation",
            ClientState::Idling => "Idling",
            ClientState::ExpectIdleEnd => "ExpectIdleEnd",
            ClientState::Waiting => "Waiting",
            ClientState::Done => "Done",
        }
    }

    /// In plain words, at most 41 characters; "sends X" while the command is on its way.
    pub fn describe(self, sending: bool) -> String {
        match (self, sending) {
            (ClientState::ExpectGreeting, _) => "waits for the server's greeting".into(),
            (ClientState::Expect(v) | ClientState::ExpectContinuation(v), true) => {
                format!("sends {}", v.name())
            }
            (ClientState::Expect(v), false) => format!("waits for the answer to {}", v.name()),
            (ClientState::ExpectContinuation(_), false) => "waits for the server's +".into(),
            (ClientState::Idling, _) => "idles: the server tells it news".into(),
            (ClientState::ExpectIdleEnd, true) => "sends DONE".into(),
            (ClientState::ExpectIdleEnd, false) => "waits for the OK that ends IDLE".into(),
            (ClientState::Waiting, _) => "logged in, nothing to do yet".into(),
            (ClientState::Done, _) => "finished".into(),
        }
    }
}

/// A command decided and not yet answered.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cmd {
    Capability,
    Login,
    Authenticate,
    List,
    Select(String),
    /// `UID FETCH from:* (UID FLAGS ENVELOPE RFC822.SIZE)`: messages above the highest
    /// UID known.
    FetchNew(u32),
    /// `UID FETCH 1:n (FLAGS)`: the flags of the messages known, and which are gone.
    FetchFlags(u32),
    FetchBody(u32),
    /// `UID FETCH u (BODYSTRUCTURE)`: the parts of a message, before any is downloaded.
    FetchStructure(u32),
    /// `UID FETCH u (BODY[n])`: one part.
    FetchPart(u32, String),
    Store {
        uid: u32,
        flags: Flags,
        on: bool,
        silent: bool,
    },
    Move {
        uid: u32,
        to: String,
    },
    Copy {
        uid: u32,
        to: String,
    },
    Expunge,
    UidExpunge(u32),
    Append {
        folder: String,
        message: Rc<[u8]>,
    },
    Noop,
    Idle,
    Logout,
}

impl Cmd {
    fn verb(&self) -> Verb {
        match self {
            Cmd::Capability => Verb::Capability,
            Cmd::Login => Verb::Login,
            Cmd::Authenticate => Verb::Authenticate,
            Cmd::List => Verb::List,
            Cmd::Select(_) => Verb::Select,
            Cmd::FetchNew(_)
            | Cmd::FetchFlags(_)
            | Cmd::FetchBody(_)
            | Cmd::FetchStructure(_)
            | Cmd::FetchPart(..) => Verb::Fetch,
            Cmd::Store { .. } => Verb::Store,
            Cmd::Move { .. } => Verb::Move,
            Cmd::Copy { .. } => Verb::Copy,
            Cmd::Expunge | Cmd::UidExpunge(_) => Verb::Expunge,
            Cmd::Append { .. } => Verb::Append,
            Cmd::Noop => Verb::Noop,
            Cmd::Idle => Verb::Idle,
            Cmd::Logout => Verb::Logout,
        }
    }
}

/// The capabilities the client uses (RFC 3501 §7.2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Caps {
    known: bool,
    idle: bool,
    moves: bool,
    uidplus: bool,
    sasl_ir: bool,
    plain: bool,
    /// LOGIN must not be used (RFC 3501 §6.2.3, §7.2.1).
    login_disabled: bool,
}

impl Caps {
    fn read<'a>(words: impl Iterator<Item = &'a str>) -> Caps {
        let mut c = Caps { known: true, ..Caps::default() };
        for w in words {
            match w.to_ascii_uppercase().as_str() {
                "IDLE" => c.idle = true,
                "MOVE" => c.moves = true,
                "UIDPLUS" => c.uidplus = true,
                "SASL-IR" => c.sasl_ir = true,
                "AUTH=PLAIN" => c.plain = true,
                "LOGINDISABLED" => c.login_disabled = true,
                _ => {}
            }
        }
        c
    }
}

/// `1:3,5` as UIDs in order (RFC 4315 §3 `uid-set`); an absurd range yields nothing.
fn uid_set(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let (a, b) = part.split_once(':').unwrap_or((part, part));
        let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else { return Vec::new() };
        let (lo, hi) = (a.min(b), a.max(b));
        if out.len() + (hi - lo) as usize >= MAX_MESSAGES {
            return Vec::new();
        }
        out.extend(lo..=hi);
    }
    out
}

/// An ENVELOPE address `(name adl mailbox host)` as `Name <mailbox@host>`.
fn address(a: &Value) -> String {
    let part = |i: usize| a.list().get(i).and_then(Value::text).unwrap_or_default();
    let addr = format!("{}@{}", part(2), part(3));
    match part(0) {
        n if n.is_empty() => addr,
        n => format!("{n} <{addr}>"),
    }
}

/// One IMAP session of a mail program.
#[derive(Clone, Debug)]
pub struct ImapClient {
    user: String,
    password: String,
    /// Log in with AUTHENTICATE PLAIN where offered, rather than LOGIN.
    plain: bool,
    state: ClientState,
    reader: Reader,
    out: VecDeque<Output>,
    tags: u32,
    caps: Caps,
    /// The command in flight, with its tag.
    sent: Option<(String, Cmd)>,
    /// Commands decided, to send one after the other.
    queue: VecDeque<Cmd>,
    plan: VecDeque<Planned>,
    cache: Cache,
    /// The open folder: an index into the cache's folders.
    selected: Option<usize>,
    /// The folder open before the last SELECT: what the transcript shows while that SELECT
    /// is still on its way.
    previous: Option<usize>,
    /// What the cache held of the folder being opened, to recognise by UID what it
    /// already knows (RFC 4549 §4.3.1).
    before: Vec<CachedMessage>,
    /// The server announced messages the client has not fetched yet.
    news: bool,
    /// The copies a COPYUID announced (RFC 4315 §3), with their new UIDs, and the
    /// UIDVALIDITY of their folder.
    copies: (u32, Vec<CachedMessage>),
    /// The BODYSTRUCTURE the last `FetchStructure` brought.
    structure: Option<BodyPart>,
    errors: Vec<String>,
    deadline: Option<SimTime>,
    idle_since: SimTime,
    now: SimTime,
}

impl ImapClient {
    /// A mail program connected at `now`, with what it believed before (`cache`) and what
    /// the person will do (`plan`, in time order). It waits for the greeting.
    pub fn new(user: &str, password: &str, plan: Vec<Planned>, cache: Cache, now: SimTime) -> ImapClient {
        ImapClient {
            user: user.to_string(),
            password: password.to_string(),
            plain: false,
            state: ClientState::ExpectGreeting,
            reader: Reader::default(),
            out: VecDeque::new(),
            tags: 0,
            caps: Caps::default(),
            sent: None,
            queue: VecDeque::new(),
            plan: plan.into(),
            cache,
            selected: None,
            previous: None,
            before: Vec::new(),
            news: false,
            copies: (0, Vec::new()),
            structure: None,
            errors: Vec::new(),
            deadline: Some(now.plus(REPLY_TIMEOUT)),
            idle_since: now,
            now,
        }
    }

    /// Logs in with AUTHENTICATE PLAIN (RFC 4616; RFC 3501 §6.2.2) rather than LOGIN.
    pub fn with_plain(mut self) -> ImapClient {
        self.plain = true;
        self
    }

    pub fn client_state(&self) -> ClientState {
        self.state
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// What it believes is on the server now.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The open folder's name.
    pub fn selected(&self) -> Option<&str> {
        self.selected.map(|i| self.cache.folders[i].name.as_str())
    }

    /// The open folder as the transcript shows it, and the messages to show for the folder
    /// being opened: while a SELECT is still on its way (`sending`: its bytes are not in the
    /// trace yet), the folder open before it and what was known of the new one, so the view
    /// is never ahead of what was said.
    /// Both as indexes into the cache's folders.
    pub fn shown(&self, sending: bool) -> (Option<usize>, Option<(usize, &[CachedMessage])>) {
        match (&self.sent, self.selected) {
            (Some((_, Cmd::Select(_))), Some(i)) if sending => (self.previous, Some((i, &self.before))),
            _ => (self.selected, None),
        }
    }

    /// The actions not done yet.
    pub fn plan(&self) -> &VecDeque<Planned> {
        &self.plan
    }

    /// What went wrong so far, oldest first.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The octets of an unfinished response it holds (at most [`response::MAX_RESPONSE`]).
    pub fn held(&self) -> usize {
        self.reader.held()
    }

    fn fail(&mut self, why: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(why);
        }
    }

    /// Ends without LOGOUT: the server cannot be understood or is gone.
    fn give_up(&mut self, why: String) {
        self.fail(format!("{why}; the mail program closes the connection"));
        self.close();
    }

    fn close(&mut self) {
        if self.state != ClientState::Done {
            self.state = ClientState::Done;
            self.deadline = None;
            self.sent = None;
            self.out.push_back(Output::Close);
        }
    }

    fn push(&mut self, bytes: Vec<u8>, kind: EventKind) {
        self.out.push_back(Output::Send { bytes, kind });
    }

    /// Sends `cmd` with a new tag.
    fn send(&mut self, cmd: Cmd) {
        self.tags += 1;
        let tag = format!("a{}", self.tags);
        let verb = cmd.verb();
        let word = if matches!(cmd, Cmd::UidExpunge(_)) { "UID EXPUNGE" } else { verb.name() };
        let mut line = format!("{tag} {word}").into_bytes();
        let mut state = ClientState::Expect(verb);
        let mut arg = |s: &str| {
            line.push(b' ');
            line.extend_from_slice(s.as_bytes());
        };
        match &cmd {
            Cmd::Capability | Cmd::Expunge | Cmd::Noop | Cmd::Idle | Cmd::Logout => {}
            Cmd::Login => {
                let mut a = Vec::new();
                push_astring(&mut a, self.user.as_bytes());
                a.push(b' ');
                push_astring(&mut a, self.password.as_bytes());
                arg(&String::from_utf8_lossy(&a));
            }
            // SASL-IR (RFC 4959): the first answer goes with the command.
            Cmd::Authenticate if self.caps.sasl_ir => {
                arg(&format!("PLAIN {}", auth::plain_response(&self.user, &self.password)))
            }
            Cmd::Authenticate => {
                arg("PLAIN");
                state = ClientState::ExpectContinuation(verb);
            }
            Cmd::List => arg("\"\" \"*\""),
            Cmd::Select(f) => {
                let mut a = Vec::new();
                push_astring(&mut a, f.as_bytes());
                arg(&String::from_utf8_lossy(&a));
            }
            Cmd::FetchNew(from) => arg(&format!("{from}:* (UID FLAGS ENVELOPE RFC822.SIZE)")),
            Cmd::FetchFlags(to) => arg(&format!("1:{to} (FLAGS)")),
            Cmd::FetchBody(uid) => arg(&format!("{uid} (BODY[])")),
            Cmd::FetchStructure(uid) => arg(&format!("{uid} (BODYSTRUCTURE)")),
            Cmd::FetchPart(uid, section) => arg(&format!("{uid} (BODY[{section}])")),
            Cmd::Store { uid, flags, on, silent } => {
                let (sign, quiet) = (if *on { '+' } else { '-' }, if *silent { ".SILENT" } else { "" });
                arg(&format!("{uid} {sign}FLAGS{quiet} ({flags})"))
            }
            Cmd::Move { uid, to } | Cmd::Copy { uid, to } => {
                let mut a = format!("{uid} ").into_bytes();
                push_astring(&mut a, to.as_bytes());
                arg(&String::from_utf8_lossy(&a));
            }
            // RFC 4315 §2.1: only this message, not others some session marked \Deleted.
            Cmd::UidExpunge(uid) => arg(&uid.to_string()),
            // A synchronising literal: the message follows once the server says `+`, or not
            // at all if it refuses (RFC 3501 §7.5).
            Cmd::Append { folder, message } => {
                let mut a = Vec::new();
                push_astring(&mut a, folder.as_bytes());
                arg(&format!("{} (\\Seen) {{{}}}", String::from_utf8_lossy(&a), message.len()));
                state = ClientState::ExpectContinuation(verb);
            }
        }
        line.extend_from_slice(b"\r\n");
        self.push(line, EventKind::Command { verb: word.into() });
        if let Cmd::Select(name) = &cmd {
            self.open_folder(name);
        }
        self.sent = Some((tag, cmd));
        self.state = state;
        self.deadline = Some(self.now.plus(REPLY_TIMEOUT));
    }

    /// SELECT is on its way: the folder's messages will be numbered afresh by the
    /// server's EXISTS; what the cache knew is kept aside to be recognised by UID.
    fn open_folder(&mut self, name: &str) {
        let i = match self.cache.index(name) {
            Some(i) => i,
            None if self.cache.folders.len() < MAX_FOLDERS => {
                self.cache.folders.push(CachedFolder { name: name.to_string(), ..CachedFolder::default() });
                self.cache.folders.len() - 1
            }
            None => return,
        };
        self.previous = self.selected.replace(i);
        if let Some(old) = self.previous {
            // The folder left keeps what is known of it, in UID order.
            self.cache.folders[old].messages.retain(|m| m.uid != 0);
        }
        self.before = std::mem::take(&mut self.cache.folders[i].messages);
    }

    /// Sends DONE: the IDLE command ends (RFC 2177 §3).
    fn end_idle(&mut self) {
        self.push(b"DONE\r\n".to_vec(), EventKind::Command { verb: "DONE".into() });
        self.state = ClientState::ExpectIdleEnd;
        self.deadline = Some(self.now.plus(REPLY_TIMEOUT));
    }

    /// The open folder's messages.
    fn open_messages(&mut self) -> Option<&mut Vec<CachedMessage>> {
        let i = self.selected?;
        Some(&mut self.cache.folders[i].messages)
    }

    /// The UID of the message `pick` names in the open folder.
    fn pick(&mut self, pick: &Pick, skip_deleted: bool) -> Option<u32> {
        let Some(i) = self.selected else {
            self.fail("no folder is open".into());
            return None;
        };
        let f = &self.cache.folders[i];
        let found = f
            .messages
            .iter()
            .filter(|m| m.uid != 0 && !(skip_deleted && m.flags.contains(Flags::DELETED)))
            .filter(|m| match pick {
                Pick::Subject(s) => m.subject.to_ascii_lowercase().contains(&s.to_ascii_lowercase()),
                _ => true,
            })
            .max_by_key(|m| if *pick == Pick::Oldest { u32::MAX - m.uid } else { m.uid })
            .map(|m| m.uid);
        if found.is_none() {
            let what = match pick {
                Pick::Subject(s) => format!("no message about “{s}”"),
                _ => "no message".into(),
            };
            let why = format!("there is {what} in {}", f.name);
            self.fail(why);
        }
        found
    }

    /// The folder whose special use is `attr` (RFC 6154), else the one named `name`.
    fn special(&self, attr: &str, name: &str) -> String {
        let by_use = self
            .cache
            .folders
            .iter()
            .find(|f| f.special_use.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(attr)));
        by_use.map_or_else(|| name.to_string(), |f| f.name.clone())
    }

    /// Turns an action into commands.
    fn act(&mut self, p: Planned) {
        let mut q = Vec::new();
        match p.action {
            Action::Check => q.push(Cmd::Noop),
            Action::Read(pick) => q.extend(self.pick(&pick, false).map(Cmd::FetchBody)),
            Action::ReadText(pick) => q.extend(self.pick(&pick, false).map(Cmd::FetchStructure)),
            Action::Mark { pick, flag, on } => q.extend(self.pick(&pick, false).map(|uid| Cmd::Store {
                uid,
                flags: flag,
                on,
                silent: false,
            })),
            Action::Archive(pick) => {
                let to = self.special("\\Archive", "Archive");
                if let Some(uid) = self.pick(&pick, true) {
                    if self.caps.moves {
                        q.push(Cmd::Move { uid, to });
                    } else {
                        // Without MOVE: COPY, \Deleted, EXPUNGE (RFC 6851 §1).
                        q.push(Cmd::Copy { uid, to });
                        q.push(Cmd::Store { uid, flags: Flags::DELETED, on: true, silent: true });
                        q.push(if self.caps.uidplus { Cmd::UidExpunge(uid) } else { Cmd::Expunge });
                    }
                }
            }
            Action::Delete(pick) => {
                if let Some(uid) = self.pick(&pick, true) {
                    q.push(Cmd::Store { uid, flags: Flags::DELETED, on: true, silent: false });
                    q.push(Cmd::Expunge);
                }
            }
            Action::Expunge if self.selected.is_some() => q.push(Cmd::Expunge),
            Action::Expunge => self.fail("no folder is open".into()),
            Action::Open(folder) => q.push(Cmd::Select(folder)),
            Action::AppendSent => match p.message {
                Some(message) => q.push(Cmd::Append { folder: self.special("\\Sent", "Sent"), message }),
                None => self.fail("there is no sent message to file".into()),
            },
            Action::Logout => q.push(Cmd::Logout),
        }
        self.queue.extend(q);
    }

    /// Sends the next command, if nothing is in flight: one queued, a fetch of news, the
    /// actions now due, then IDLE until the next one, or LOGOUT after the last.
    fn next(&mut self) {
        if self.sent.is_some() || matches!(self.state, ClientState::Done | ClientState::ExpectGreeting) {
            return;
        }
        loop {
            if let Some(cmd) = self.queue.pop_front() {
                return self.send(cmd);
            }
            if std::mem::take(&mut self.news) && self.selected.is_some() {
                let highest =
                    self.open_messages().map_or(0, |ms| ms.iter().map(|m| m.uid).max().unwrap_or(0));
                return self.send(Cmd::FetchNew(highest + 1));
            }
            if self.plan.front().is_none_or(|p| p.at > self.now) {
                break;
            }
            let p = self.plan.pop_front().expect("front");
            self.act(p);
        }
        match self.plan.front() {
            None => self.send(Cmd::Logout),
            Some(_) if self.caps.idle => self.send(Cmd::Idle),
            Some(_) => {
                self.state = ClientState::Waiting;
                self.deadline = None;
            }
        }
    }

    /// After login: LIST, SELECT INBOX. A check due now is that synchronisation.
    fn logged_in(&mut self) {
        while self.plan.front().is_some_and(|p| p.at <= self.now && p.action == Action::Check) {
            self.plan.pop_front();
        }
        self.queue.push_back(Cmd::List);
        self.queue.push_back(Cmd::Select(INBOX.into()));
    }

    fn handle(&mut self, r: Response) {
        if self.state == ClientState::ExpectGreeting && !matches!(r, Response::Status { tag: None, .. }) {
            return self.give_up("the server's first line is not an IMAP greeting (RFC 3501 §7.1)".into());
        }
        match r {
            Response::Continue(_) => self.continuation(),
            Response::Status { tag: Some(tag), cond, code, text } => self.tagged(&tag, cond, code, text),
            Response::Status { tag: None, cond, code, text } => self.untagged_status(cond, code, text),
            Response::Count { n, name } => self.count(n, &name),
            Response::Fetch { seq, items } => self.fetched(seq, items),
            Response::Data { name, values } => self.data(&name, &values),
        }
    }

    fn continuation(&mut self) {
        match (self.state, &self.sent) {
            (ClientState::ExpectContinuation(Verb::Authenticate), _) => {
                let line = format!("{}\r\n", auth::plain_response(&self.user, &self.password));
                self.push(line.into_bytes(), EventKind::AuthData);
                self.state = ClientState::Expect(Verb::Authenticate);
            }
            (ClientState::ExpectContinuation(Verb::Append), Some((_, Cmd::Append { message, .. }))) => {
                let mut bytes = message.to_vec();
                bytes.extend_from_slice(b"\r\n");
                self.push(bytes, EventKind::MessageData);
                self.state = ClientState::Expect(Verb::Append);
            }
            (ClientState::Expect(Verb::Idle), _) => {
                self.state = ClientState::Idling;
                self.deadline = None;
                self.idle_since = self.now;
                // Something became due while IDLE was on its way: end it at once.
                if self.news || self.plan.front().is_some_and(|p| p.at <= self.now) {
                    self.end_idle();
                }
            }
            // A `+` nobody asked for: nothing to send.
            _ => {}
        }
    }

    fn untagged_status(&mut self, cond: ImapCondition, code: Option<String>, text: String) {
        if self.state == ClientState::ExpectGreeting {
            return self.greeting(cond, code, text);
        }
        if cond == ImapCondition::Bye {
            // The server is closing (RFC 3501 §7.1.5): expected after LOGOUT only.
            if !matches!(self.sent, Some((_, Cmd::Logout))) {
                self.fail(format!("the server ended the session: {text}"));
            }
            return;
        }
        let Some(code) = code else { return };
        let (name, args) = response::split_code(&code);
        match name.as_str() {
            // A new UIDVALIDITY: the UIDs the cache holds mean nothing now (§2.3.1.1).
            "UIDVALIDITY" => {
                if let (Some(i), Ok(v)) = (self.selected, args.parse::<u32>()) {
                    let f = &mut self.cache.folders[i];
                    if f.uid_validity != v {
                        f.uid_validity = v;
                        self.before.clear();
                    }
                }
            }
            // UID MOVE says it before the EXPUNGEs (RFC 6851 §4.3).
            "COPYUID" => self.copyuid(args),
            "CAPABILITY" => self.caps = Caps::read(args.split(' ')),
            _ => {}
        }
    }

    fn greeting(&mut self, cond: ImapCondition, code: Option<String>, text: String) {
        if let Some((name, args)) = code.as_deref().map(response::split_code)
            && name == "CAPABILITY"
        {
            self.caps = Caps::read(args.split(' '));
        }
        self.state = ClientState::Expect(Verb::Capability);
        if !self.caps.known {
            self.queue.push_back(Cmd::Capability);
        }
        match cond {
            ImapCondition::Ok if self.plain || (self.caps.login_disabled && self.caps.plain) => {
                self.queue.push_back(Cmd::Authenticate)
            }
            // "The client MUST NOT issue a LOGIN command if the server advertises the
            // LOGINDISABLED capability" (RFC 3501 §6.2.3).
            ImapCondition::Ok if self.caps.login_disabled => {
                self.plan.clear();
                return self.give_up("the server allows no LOGIN and offers no AUTHENTICATE PLAIN".into());
            }
            ImapCondition::Ok => self.queue.push_back(Cmd::Login),
            // Already logged in (RFC 3501 §7.1.4).
            ImapCondition::Preauth => self.logged_in(),
            _ => return self.give_up(format!("the server refused the connection: {text}")),
        }
        self.next();
    }

    /// `COPYUID validity from to` (RFC 4315 §3): the copies of these messages of the open
    /// folder got these UIDs.
    fn copyuid(&mut self, args: &str) {
        let mut w = args.split(' ');
        let validity = w.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        let (from, to) = (uid_set(w.next().unwrap_or("")), uid_set(w.next().unwrap_or("")));
        let Some(source) = self.open_messages() else { return };
        let copies = from
            .into_iter()
            .zip(to)
            .filter_map(|(old, new)| {
                let m = source.iter().find(|m| m.uid == old)?;
                Some(CachedMessage {
                    uid: new,
                    flags: m.flags.minus(Flags::DELETED),
                    recent: false,
                    ..m.clone()
                })
            })
            .collect();
        self.copies = (validity, copies);
    }

    fn count(&mut self, n: u32, name: &str) {
        let selecting = matches!(self.sent, Some((_, Cmd::Select(_))));
        let Some(messages) = self.open_messages() else { return };
        match name {
            // New messages (RFC 3501 §7.3.1): announced now, fetched next.
            "EXISTS" => {
                if n as usize > MAX_MESSAGES {
                    return self.give_up(format!(
                        "the server announces {n} messages, more than the {MAX_MESSAGES} this client keeps"
                    ));
                }
                let before = messages.len();
                messages.resize(n as usize, CachedMessage::default());
                if n as usize > before && !selecting {
                    self.news = true;
                    if self.state == ClientState::Idling {
                        self.end_idle();
                    }
                }
            }
            // Gone, and the numbers after it move down by one (§7.4.1).
            "EXPUNGE" if n >= 1 && (n as usize) <= messages.len() => {
                messages.remove(n as usize - 1);
            }
            _ => {}
        }
    }

    fn fetched(&mut self, seq: u32, items: Vec<(String, Value)>) {
        let Some(i) = self.selected else { return };
        let Some(m) = seq.checked_sub(1).and_then(|s| self.cache.folders[i].messages.get_mut(s as usize))
        else {
            return;
        };
        for (name, value) in items {
            match name.as_str() {
                "UID" => m.uid = value.number().unwrap_or(m.uid),
                "FLAGS" => {
                    let list = value.list();
                    m.flags =
                        list.iter().filter_map(|f| Flags::parse(f.atom()?)).fold(Flags::NONE, Flags::union);
                    m.recent =
                        list.iter().any(|f| f.atom().is_some_and(|a| a.eq_ignore_ascii_case("\\Recent")));
                }
                "RFC822.SIZE" => m.size = value.number().map_or(m.size, u64::from),
                "ENVELOPE" => {
                    let e = value.list();
                    m.subject = e.get(1).and_then(Value::text).unwrap_or_default();
                    m.from = e.get(2).and_then(|l| l.list().first()).map(address).unwrap_or_default();
                }
                n if n.starts_with("BODY[") => {
                    m.text_only = n != "BODY[]" && (m.text_only || !m.opened);
                    m.opened = true;
                }
                "BODYSTRUCTURE" if matches!(self.sent, Some((_, Cmd::FetchStructure(_)))) => {
                    self.structure = structure::read(&value)
                }
                _ => {}
            }
        }
        // A message known from before: what the cache knew of it stays known.
        if m.subject.is_empty()
            && m.from.is_empty()
            && let Some(old) = self.before.iter().find(|o| o.uid == m.uid && m.uid != 0)
        {
            let text_only = if m.opened { m.text_only } else { old.text_only };
            *m = CachedMessage {
                flags: m.flags,
                recent: m.recent,
                opened: m.opened || old.opened,
                text_only,
                ..old.clone()
            };
        }
    }

    fn data(&mut self, name: &str, values: &[Value]) {
        match name {
            "CAPABILITY" => self.caps = Caps::read(values.iter().filter_map(Value::atom)),
            "LIST" if matches!(self.sent, Some((_, Cmd::List))) => {
                let (Some(attrs), Some(folder)) = (values.first(), values.get(2).and_then(Value::text))
                else {
                    return;
                };
                let attrs: Vec<&str> = attrs.list().iter().filter_map(Value::atom).collect();
                if attrs.iter().any(|a| a.eq_ignore_ascii_case("\\Noselect")) {
                    return;
                }
                const USES: [&str; 7] =
                    ["\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive", "\\All", "\\Flagged"];
                let special_use = attrs
                    .iter()
                    .find_map(|a| USES.iter().find(|u| u.eq_ignore_ascii_case(a)))
                    .map(|u| u.to_string());
                match self.cache.index(&folder) {
                    Some(i) => self.cache.folders[i].special_use = special_use,
                    None if self.cache.folders.len() < MAX_FOLDERS => self.cache.folders.push(CachedFolder {
                        name: folder,
                        special_use,
                        ..CachedFolder::default()
                    }),
                    None => {}
                }
            }
            _ => {}
        }
    }

    /// The end of the command in flight (RFC 3501 §7.1).
    fn tagged(&mut self, tag: &str, cond: ImapCondition, code: Option<String>, text: String) {
        let Some((sent_tag, cmd)) = self.sent.take() else { return };
        if sent_tag != tag {
            // Not the answer to our command: ignored.
            self.sent = Some((sent_tag, cmd));
            return;
        }
        self.state = ClientState::Expect(cmd.verb());
        let ok = cond == ImapCondition::Ok;
        let (code_name, code_args) = code.as_deref().map(response::split_code).unwrap_or_default();
        if code_name == "CAPABILITY" {
            self.caps = Caps::read(code_args.split(' '));
        }
        if !ok {
            let code = code.as_deref().map(|c| format!("[{c}] ")).unwrap_or_default();
            self.fail(format!("{} was refused: {} {code}{text}", cmd.verb().name(), cond.name()));
        }
        match cmd {
            Cmd::Login | Cmd::Authenticate if ok => self.logged_in(),
            Cmd::Login | Cmd::Authenticate => {
                // Nothing can be done without a login: the plan is given up.
                self.plan.clear();
                self.queue.clear();
                self.queue.push_back(Cmd::Logout);
            }
            Cmd::Select(_) if ok => {
                let known = self.before.iter().map(|m| m.uid).max().unwrap_or(0);
                let n = self.open_messages().map_or(0, |m| m.len());
                // RFC 4549 §4.3.1: the new messages first, then the flags of the known ones.
                let mut sync = Vec::new();
                if n > 0 {
                    sync.push(Cmd::FetchNew(known + 1));
                    if known > 0 {
                        sync.push(Cmd::FetchFlags(known));
                    }
                }
                for c in sync.into_iter().rev() {
                    self.queue.push_front(c);
                }
            }
            Cmd::Select(_) => {
                // Not opened: the folder keeps what the cache knew.
                if let Some(i) = self.selected.take() {
                    self.cache.folders[i].messages = std::mem::take(&mut self.before);
                }
            }
            Cmd::FetchFlags(_) => self.before.clear(),
            // The part to show, by its number in the tree: a text part, else the whole
            // message (nothing in it reads as text; the person sees what there is).
            Cmd::FetchStructure(uid) if ok => {
                let part = self.structure.take().and_then(|t| t.text_part().map(|p| p.section.clone()));
                self.queue.push_front(match part {
                    Some(section) => Cmd::FetchPart(uid, section),
                    None => Cmd::FetchBody(uid),
                });
            }
            Cmd::FetchNew(_) if !self.queue.iter().any(|c| matches!(c, Cmd::FetchFlags(_))) => {
                self.before.clear()
            }
            Cmd::Move { to, .. } | Cmd::Copy { to, .. } if ok => {
                if code_name == "COPYUID" {
                    self.copyuid(code_args);
                }
                let (validity, copies) = std::mem::take(&mut self.copies);
                self.add_to(&to, validity, copies);
            }
            Cmd::Append { folder, message } if ok && code_name == "APPENDUID" => {
                let mut w = code_args.split(' ').filter_map(|a| a.parse::<u32>().ok());
                if let (Some(validity), Some(uid)) = (w.next(), w.next()) {
                    let field = |name| crate::mail::header(&message, name).unwrap_or_default();
                    let (subject, from) = (field("Subject"), field("From"));
                    let size = message.len() as u64;
                    let m = CachedMessage {
                        uid,
                        flags: Flags::SEEN,
                        recent: false,
                        subject,
                        from,
                        size,
                        opened: true,
                        text_only: false,
                    };
                    self.add_to(&folder, validity, vec![m]);
                }
            }
            // A server that refuses IDLE after offering it: wait without it.
            Cmd::Idle if !ok => self.caps.idle = false,
            Cmd::Logout => return self.close(),
            _ => {}
        }
        self.next();
    }

    /// Adds messages to a folder that is not open, if its cache is for `validity` (else
    /// the cache of it starts afresh).
    fn add_to(&mut self, folder: &str, validity: u32, mut messages: Vec<CachedMessage>) {
        let Some(i) = self.cache.index(folder) else { return };
        if Some(i) == self.selected || messages.is_empty() {
            return;
        }
        let f = &mut self.cache.folders[i];
        if f.uid_validity != validity {
            f.uid_validity = validity;
            f.messages.clear();
        }
        f.messages.append(&mut messages);
        f.messages.sort_by_key(|m| m.uid);
        f.messages.dedup_by_key(|m| m.uid);
        f.messages.truncate(MAX_MESSAGES);
    }
}

impl Session for ImapClient {
    fn handle_input(&mut self, mut input: &[u8], now: SimTime, _env: &mut dyn Env) {
        self.now = now;
        while self.state != ClientState::Done {
            match self.reader.next(&mut input) {
                None => break,
                Some(Err(e)) => return self.give_up(format!("the server sent {e}")),
                Some(Ok(bytes)) => match response::parse(&bytes) {
                    Some(r) => self.handle(r),
                    None => {
                        let shown: String = String::from_utf8_lossy(&bytes).chars().take(40).collect();
                        return self.give_up(format!("{shown:?} is not an IMAP response (RFC 3501 §7)"));
                    }
                },
            }
        }
    }

    fn handle_close(&mut self, _now: SimTime) {
        if self.state != ClientState::Done {
            if !matches!(self.sent, Some((_, Cmd::Logout))) {
                self.fail("the connection closed".into());
            }
            self.state = ClientState::Done;
            self.deadline = None;
        }
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<SimTime> {
        let next = self.plan.front().map(|p| p.at);
        match self.state {
            ClientState::Done => None,
            ClientState::Idling => {
                let renew = self.idle_since.plus(IDLE_RENEW);
                Some(next.map_or(renew, |n| n.min(renew)))
            }
            ClientState::Waiting => next,
            _ => self.deadline,
        }
    }

    fn handle_timeout(&mut self, now: SimTime) {
        self.now = now;
        match self.state {
            ClientState::Done => {}
            ClientState::Idling
                if self.plan.front().is_some_and(|p| p.at <= now)
                    || now >= self.idle_since.plus(IDLE_RENEW) =>
            {
                self.end_idle()
            }
            ClientState::Waiting => self.next(),
            _ if self.deadline.is_some_and(|d| now >= d) => {
                self.give_up(format!("no answer from the server for {} s", REPLY_TIMEOUT.0 / 1_000_000))
            }
            _ => {}
        }
    }

    fn state(&self) -> SessionState {
        SessionState::ImapClient(self.state)
    }

    fn classify(&self, input: &[u8]) -> EventKind {
        let status = match response::parse(input.strip_suffix(b"\r\n").unwrap_or(input)) {
            Some(Response::Continue(_)) => ImapResponse::Continuation,
            Some(Response::Status { tag: Some(tag), cond, .. }) => {
                ImapResponse::Tagged { tag, condition: cond }
            }
            Some(Response::Status { cond, .. }) => ImapResponse::Untagged { name: cond.name().into() },
            Some(Response::Count { name, .. }) => ImapResponse::Untagged { name },
            Some(Response::Fetch { .. }) => ImapResponse::Untagged { name: "FETCH".into() },
            Some(Response::Data { name, .. }) => ImapResponse::Untagged { name },
            None => ImapResponse::Untagged { name: String::new() },
        };
        EventKind::Reply { status: Status::Imap(status), to_verb: None, answers: None }
    }

    fn is_closed(&self) -> bool {
        self.state == ClientState::Done
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests;
