//! The IMAP server, sans-IO (IMAP4rev1, RFC 3501; RFC 9051 where they agree; LITERAL-
//! RFC 7888; IDLE RFC 2177; MOVE RFC 6851; UIDPLUS RFC 4315; UNSELECT RFC 3691;
//! SASL-IR RFC 4959; CHILDREN RFC 3348; response codes RFC 5530).
//!
//! It keeps the [`Session`] contract: create it with [`ImapServer::new`] when a client
//! connects (the greeting is queued), feed what arrives to [`Session::handle_input`],
//! drain [`Session::poll_output`], and wake it at [`Session::poll_timeout`].
//!
//! It holds no mail: the mailboxes are the host's [`MailStore`], asked for through
//! [`Env::mail_store`] at each command. What the client was told (the selected folder's
//! messages by sequence number, their flags, which are `\Recent` for this session) is the
//! session's own, and it learns what other sessions and SMTP did from the store's
//! watcher ([`MailStore::watch`]) only at the moments RFC 9051 §7.5.1 allows: before the
//! tagged response of a command, never an EXPUNGE during FETCH, STORE or SEARCH; and
//! during IDLE, as soon as the driver calls [`Session::handle_store_change`].
//!
//! **After an unclean end.** [`Session::handle_close`] and [`Session::handle_timeout`]
//! get no `Env`, so a driver whose session ended without LOGOUT calls
//! [`ImapServer::release`], which stops watching the store.

use std::collections::VecDeque;

use crate::imap::command::{
    self, Command, FetchItem, Frame, Framer, Refusal, SearchKey, SeqNum, SeqSet, StatusItem, Tagged,
};
use crate::imap::message::{self, push_astring, push_literal};
use crate::imap::{CAPABILITIES, SYSTEM_FLAGS};
use crate::line::{LineEnds, ascii_text};
use crate::mail;
use crate::session::{Env, Output, Request, Session, SessionState};
use crate::smtp::auth;
use crate::smtp::server::Peer;
use crate::store::{
    Change, Expunged, FlagOp, Flags, InternalDate, MailStore, SEPARATOR, StoreError, WatcherId,
};
use crate::time::{self, SimDuration, SimTime};
use crate::trace::{EventKind, ImapCondition, ImapResponse, Status};

/// The autologout timer: "If a server has an inactivity autologout timer, the duration of
/// that timer MUST be at least 30 minutes" (RFC 3501 §5.4). We use the minimum.
pub const AUTOLOGOUT: SimDuration = SimDuration::from_secs(30 * 60);

/// How an IMAP server presents itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapConfig {
    /// Its name, in the greeting.
    pub hostname: String,
    /// Inactivity before the autologout ([`AUTOLOGOUT`]).
    pub timeout: SimDuration,
    /// Inside a literal, the octets a second that count as activity ([`time::MIN_RATE`]).
    pub min_rate: u64,
    /// STARTTLS is offered (RFC 3501 §6.2.1): its driver can do a TLS handshake.
    pub tls: bool,
    /// LOGIN and AUTHENTICATE only once STARTTLS has encrypted the connection
    /// (`LOGINDISABLED`, RFC 3501 §6.2.3, §7.2.1).
    pub login_needs_tls: bool,
}

impl ImapConfig {
    pub fn new(hostname: &str) -> ImapConfig {
        ImapConfig {
            hostname: hostname.to_string(),
            timeout: AUTOLOGOUT,
            min_rate: time::MIN_RATE,
            tls: false,
            login_needs_tls: false,
        }
    }
}

/// The session's state, named after RFC 3501 §3. `idle`: an IDLE command is in progress
/// (RFC 2177), waiting for `DONE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    NotAuthenticated,
    Authenticated { idle: bool },
    Selected { read_only: bool, idle: bool },
    Logout,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::NotAuthenticated => "NotAuthenticated",
            State::Authenticated { idle: false } => "Authenticated",
            State::Authenticated { idle: true } => "Authenticated (IDLE)",
            State::Selected { idle: false, .. } => "Selected",
            State::Selected { idle: true, .. } => "Selected (IDLE)",
            State::Logout => "Logout",
        }
    }

    /// In plain words, for a student (at most 41 characters).
    pub fn describe(self, sending: bool) -> &'static str {
        match (self, sending) {
            (State::NotAuthenticated, true) => "replies; then waits for LOGIN",
            (State::NotAuthenticated, false) => "waits for LOGIN or AUTHENTICATE",
            (State::Authenticated { idle: true } | State::Selected { idle: true, .. }, _) => {
                "idling: pushes news until DONE"
            }
            (State::Authenticated { .. }, true) => "replies; logged in, no folder open",
            (State::Authenticated { .. }, false) => "logged in: waits for SELECT",
            (State::Selected { read_only: false, .. }, true) => "replies; a folder is open",
            (State::Selected { read_only: false, .. }, false) => "a folder is open (read-write)",
            (State::Selected { read_only: true, .. }, _) => "a folder is open (read-only)",
            (State::Logout, _) => "says BYE and closes",
        }
    }
}

/// What the next line from the client is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    Command,
    /// The answer to AUTHENTICATE's `+` (RFC 3501 §6.2.2).
    Authenticate {
        tag: String,
    },
    /// `DONE` ends the IDLE command `tag` (RFC 2177 §3).
    Idle {
        tag: String,
    },
    /// After `OK` to STARTTLS, until the driver says the handshake is done: what arrives
    /// in the clear meanwhile is discarded (RFC 3501 §6.2.1).
    Handshake,
}

/// One message of the selected folder as the client knows it: sequence number n is
/// `messages[n - 1]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Known {
    uid: u32,
    /// The flags the client was last told (or would be told by a FETCH FLAGS now).
    flags: Flags,
    /// Expunged in the store by another session; the client will be told at the next
    /// moment an EXPUNGE may be sent (RFC 9051 §7.5.1).
    gone: bool,
}

#[derive(Clone, Debug)]
struct Selected {
    watcher: WatcherId,
    read_only: bool,
    messages: Vec<Known>,
    /// The UID after the highest the client has been told of: newer ones are news.
    known_next: u32,
    /// The UIDs that are `\Recent` for this session (RFC 3501 §2.3.2), ascending; all of
    /// them in `messages`.
    recent: Vec<u32>,
    /// How many of `messages` are `gone`.
    gone: usize,
}

impl Selected {
    fn is_recent(&self, uid: u32) -> bool {
        self.recent.binary_search(&uid).is_ok()
    }

    /// Drops from `recent[from..]` the UIDs no longer in `messages` (those before `from`
    /// are known to be there).
    fn retain_live_recent(&mut self, from: usize) {
        let mut kept = from;
        for i in from..self.recent.len() {
            let uid = self.recent[i];
            if self.messages.binary_search_by_key(&uid, |k| k.uid).is_ok() {
                self.recent[kept] = uid;
                kept += 1;
            }
        }
        self.recent.truncate(kept);
    }
}

/// How a command ended: the tagged response's condition, response code and text.
struct Done {
    cond: ImapCondition,
    code: Option<String>,
    text: String,
}

fn ok(text: impl Into<String>) -> Done {
    Done { cond: ImapCondition::Ok, code: None, text: text.into() }
}

/// The end of a FETCH or STORE that met messages another session expunged: `NO
/// [EXPUNGEISSUED]` for the sequence-number forms (RFC 2180 §4.1.2, RFC 5530); the UID
/// forms ignore a UID that is not there (RFC 3501 §6.4.8).
fn expunge_issued(missing: bool, uid: bool, verb: &str) -> Done {
    if missing && !uid {
        no(Some("EXPUNGEISSUED"), "some of the messages were expunged by another session")
    } else {
        ok(format!("{verb} completed"))
    }
}

fn no(code: Option<&str>, text: impl Into<String>) -> Done {
    Done { cond: ImapCondition::No, code: code.map(str::to_string), text: text.into() }
}

fn bad(text: impl Into<String>) -> Done {
    Done { cond: ImapCondition::Bad, code: None, text: text.into() }
}

/// A store error as a tagged NO with the response code of RFC 5530 that fits.
fn store_no(e: &StoreError) -> Done {
    let code = match e {
        StoreError::NoSuchFolder { .. } => "NONEXISTENT",
        StoreError::FolderExists { .. } => "ALREADYEXISTS",
        StoreError::HasChildren { .. } => "HASCHILDREN",
        StoreError::MailboxFull { .. } => "OVERQUOTA",
        StoreError::TooManyFolders | StoreError::TooManyWatchers | StoreError::StoreFull { .. } => "LIMIT",
        StoreError::BadFolderName { .. } | StoreError::InboxIsPermanent => "CANNOT",
        _ => "SERVERBUG",
    };
    no(Some(code), e.to_string())
}

/// One IMAP server session.
#[derive(Clone, Debug)]
pub struct ImapServer {
    config: ImapConfig,
    peer: Peer,
    state: State,
    mode: Mode,
    framer: Framer,
    /// The mailbox (address) logged in.
    user: Option<String>,
    selected: Option<Selected>,
    out: VecDeque<Output>,
    deadline: SimTime,
    /// Whether the client's octets complete a line: the timer restarts per line.
    line_ends: LineEnds,
    /// The time of the last input: APPEND's default internal date.
    now: SimTime,
    /// The connection is encrypted (after STARTTLS and its handshake).
    tls_active: bool,
}

impl ImapServer {
    /// A client connected at `now`: queues the greeting `* OK [CAPABILITY ...]`
    /// (RFC 3501 §7.1.1, RFC 9051 §7.1.1).
    pub fn new(config: ImapConfig, peer: Peer, now: SimTime) -> ImapServer {
        let deadline = now.plus(config.timeout);
        let mut s = ImapServer {
            config,
            peer,
            state: State::NotAuthenticated,
            mode: Mode::Command,
            framer: Framer::default(),
            user: None,
            selected: None,
            out: VecDeque::new(),
            deadline,
            line_ends: LineEnds::default(),
            now,
            tls_active: false,
        };
        s.framer.logins_disabled = s.config.login_needs_tls;
        let line = format!(
            "* OK [CAPABILITY {}] {} IMAP4rev1 server ready\r\n",
            s.capabilities(),
            s.config.hostname
        );
        s.send(line.into_bytes(), ImapResponse::Untagged { name: "OK".into() }, None);
        s
    }

    /// The client has taken everything this server sent, at `now` (its driver knows when
    /// the last octet left, or was acknowledged): the autologout timer restarts from then.
    /// It counts the client's inactivity (RFC 9051 §5.4), and a client still taking a FETCH
    /// of a big message is not inactive. A driver that holds responses for the client does
    /// not act on [`Session::poll_timeout`] while they wait, and then calls this. What IDLE
    /// pushes unasked does not count: taking it is the client's kernel's doing, not the
    /// client's (a stopped client would be kept for as long as mail comes, RFC 2177 §3).
    pub fn handle_output_taken(&mut self, now: SimTime) {
        if !self.is_closed() && !matches!(self.mode, Mode::Idle { .. }) {
            self.deadline = self.deadline.max(now.plus(self.config.timeout));
        }
    }

    pub fn server_state(&self) -> State {
        self.state
    }

    /// True once STARTTLS and its handshake have encrypted the connection.
    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    /// What CAPABILITY says now ([`CAPABILITIES`]): `STARTTLS` while it may be used; while
    /// a login needs TLS first, `LOGINDISABLED` and no `AUTH=PLAIN` (RFC 3501 §6.2.1,
    /// §6.2.3, §7.2.1). After the handshake the client asks again (it must forget what it
    /// was told in the clear).
    pub fn capabilities(&self) -> String {
        let plain = !self.tls_active;
        let mut caps = CAPABILITIES.to_string();
        if plain && self.config.login_needs_tls {
            caps = caps.replace(" AUTH=PLAIN", "");
        }
        if plain && self.config.tls && self.state == State::NotAuthenticated {
            caps.push_str(" STARTTLS");
        }
        if plain && self.config.login_needs_tls {
            caps.push_str(" LOGINDISABLED");
        }
        caps
    }

    /// LOGIN and AUTHENTICATE before STARTTLS where logins need TLS: refused before the
    /// password is looked at (RFC 3501 §6.2.3; PRIVACYREQUIRED, RFC 5530 §3).
    fn login_disabled(&self) -> Option<Done> {
        (self.config.login_needs_tls && !self.tls_active).then(|| {
            no(
                Some("PRIVACYREQUIRED"),
                "LOGINDISABLED: log in only over TLS; send STARTTLS first (RFC 3501 section 6.2.3)",
            )
        })
    }

    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// The mailbox logged in, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The folder open in this session, by its name in `store` now (it follows a rename).
    pub fn selected<'s>(&self, store: &'s MailStore) -> Option<&'s str> {
        self.selected_name(store)
    }

    /// The octets of an unfinished command it holds (never more than
    /// [`command::MAX_COMMAND`] and a line).
    pub fn held(&self) -> usize {
        self.framer.held()
    }

    /// The session ended without LOGOUT: stop watching the store (see the module doc).
    /// Harmless after LOGOUT.
    pub fn release(&mut self, env: &mut dyn Env) {
        if let (Some(sel), Some(store)) = (self.selected.take(), env.mail_store()) {
            store.unwatch(sel.watcher);
        }
    }

    fn send(&mut self, bytes: Vec<u8>, response: ImapResponse, verb: Option<&str>) {
        let kind = EventKind::Reply {
            status: Status::Imap(response),
            to_verb: verb.map(str::to_string),
            answers: None,
        };
        self.out.push_back(Output::Send { bytes, kind });
    }

    /// `* <rest>`: untagged data named `name` (`EXISTS`, `FETCH`).
    fn untagged(&mut self, name: &str, rest: Vec<u8>, verb: Option<&str>) {
        let mut line = b"* ".to_vec();
        line.extend_from_slice(&rest);
        line.extend_from_slice(b"\r\n");
        self.send(line, ImapResponse::Untagged { name: name.to_string() }, verb);
    }

    fn tagged(&mut self, tag: &str, done: Done, verb: Option<&str>) {
        let cond = match done.cond {
            ImapCondition::Ok => "OK",
            ImapCondition::No => "NO",
            ImapCondition::Bad => "BAD",
            ImapCondition::Preauth => "PREAUTH",
            ImapCondition::Bye => "BYE",
        };
        let code = done.code.map(|c| format!("[{c}] ")).unwrap_or_default();
        // A text may quote the client (a mailbox name, a charset), which a literal can fill
        // with CR LF: written as is, that would end the line and forge a response of the
        // client's choosing (RFC 3501 §9: text has no CR or LF), or with 8-bit, which
        // IMAP4rev1's text is not. Control and non-ASCII characters are shown escaped
        // (`\r`, `\u{1b}`, `\u{e9}`).
        let text = ascii_text(&done.text);
        let line = format!("{tag} {cond} {code}{text}\r\n");
        self.send(
            line.into_bytes(),
            ImapResponse::Tagged { tag: tag.to_string(), condition: done.cond },
            verb,
        );
    }

    fn continuation(&mut self, text: &str) {
        let line = format!("+ {}\r\n", ascii_text(text));
        self.send(line.into_bytes(), ImapResponse::Continuation, None);
    }

    /// `* BYE`, then the close (RFC 3501 §7.1.5).
    fn bye(&mut self, text: &str, env: Option<&mut dyn Env>) {
        self.untagged("BYE", format!("BYE {}", ascii_text(text)).into_bytes(), None);
        if let Some(env) = env {
            self.release(env);
        }
        self.state = State::Logout;
        self.out.push_back(Output::Close);
    }

    fn set_idle(&mut self, idle: bool) {
        self.state = match self.state {
            State::Authenticated { .. } => State::Authenticated { idle },
            State::Selected { read_only, .. } => State::Selected { read_only, idle },
            s => s,
        };
    }

    /// One frame from the client.
    fn handle_frame(&mut self, frame: Frame, env: &mut dyn Env) {
        match frame {
            Frame::Continue => self.literal_announced(env),
            Frame::Refused { tag, why } => {
                // A refused line during AUTHENTICATE or IDLE ends that command: the tagged
                // response goes with its tag (RFC 3501 §6.2.2), not with a word of the line.
                let tag = match std::mem::replace(&mut self.mode, Mode::Command) {
                    Mode::Command | Mode::Handshake => tag.unwrap_or_else(|| "*".into()),
                    Mode::Authenticate { tag } => tag,
                    Mode::Idle { tag } => {
                        self.set_idle(false);
                        tag
                    }
                };
                let done = match why {
                    Refusal::LineTooLong => bad(format!(
                        "line too long: at most {} octets a line and {} a command (RFC 7162 section 4); discarded",
                        command::MAX_LINE,
                        command::MAX_COMMAND
                    )),
                    Refusal::BareLf => bad(
                        "a bare LF inside the line: only CRLF ends a line (RFC 3501 section 2.2); discarded",
                    ),
                    // RFC 3501 §7.5: the server may refuse a synchronising literal with a
                    // tagged NO; the client then sends nothing of it.
                    Refusal::LoginDisabled => self.login_disabled().unwrap_or_else(|| bad("LOGIN refused")),
                    Refusal::LiteralTooBig => no(
                        Some("TOOBIG"),
                        format!(
                            "literal too big: at most {} octets, {} for a command with its literals, or {} for APPEND's message; not sent",
                            command::MAX_LITERAL,
                            command::MAX_COMMAND,
                            command::MAX_APPEND
                        ),
                    ),
                    Refusal::NonSyncTooBig => Done {
                        cond: ImapCondition::Bad,
                        code: Some("TOOBIG".into()),
                        // Over the limit alone, or with the literals before it in the
                        // same command.
                        text: format!(
                            "non-synchronizing literal too big: at most {} octets, {} for a command with its literals (LITERAL-, RFC 7888 section 5); skipped",
                            command::MAX_LITERAL,
                            command::MAX_COMMAND
                        ),
                    },
                    Refusal::Unskippable => {
                        return self
                            .bye("literal size beyond counting (RFC 7888 section 5); closing", Some(env));
                    }
                };
                self.tagged(&tag, done, None);
            }
            Frame::Command(bytes) => match std::mem::replace(&mut self.mode, Mode::Command) {
                Mode::Command => self.command_bytes(&bytes, env),
                // Never reached (`handle_input` reads nothing until the handshake is done).
                Mode::Handshake => self.mode = Mode::Handshake,
                Mode::Authenticate { tag } => self.authenticate_response(&tag, &bytes, env),
                Mode::Idle { tag } => {
                    if bytes.eq_ignore_ascii_case(b"DONE\r\n") {
                        self.set_idle(false);
                        self.finish(&tag, "IDLE", ok("IDLE terminated"), true, env);
                    } else {
                        // RFC 2177 §3: the only thing a client may send during IDLE is DONE.
                        self.mode = Mode::Idle { tag };
                        self.tagged("*", bad("expected DONE to end IDLE (RFC 2177 section 3)"), None);
                    }
                }
            },
        }
    }

    fn command_bytes(&mut self, bytes: &[u8], env: &mut dyn Env) {
        match command::parse(bytes) {
            Ok(Tagged { tag, command }) => self.command(tag, command, env),
            Err(e) => {
                let verb = command::verb_of(bytes);
                let verb = (!verb.is_empty()).then_some(verb);
                // RFC 3501 §7.1.3: BAD with the command's tag, or untagged when it has none.
                let tag = e.tag.unwrap_or_else(|| "*".into());
                self.tagged(&tag, bad(e.text), verb.as_deref());
            }
        }
    }

    /// Before the tagged response: tell the client what changed (RFC 9051 §7.5.1), then
    /// the tagged response itself.
    fn finish(&mut self, tag: &str, verb: &str, done: Done, expunge_ok: bool, env: &mut dyn Env) {
        if self.state != State::Logout
            && let Some(store) = env.mail_store()
        {
            self.sync(store, expunge_ok, Some(verb));
        }
        if self.state != State::Logout {
            self.tagged(tag, done, Some(verb));
        }
    }

    /// The command so far ends in a synchronising literal: `+` invites its octets, unless
    /// the command is refused whatever they are (a mistake before the literal, a command
    /// its state does not allow), which is said at once instead, so the client sends
    /// nothing more of it (RFC 3501 §2.2.1) and no password comes for a refused LOGIN.
    fn literal_announced(&mut self, env: &mut dyn Env) {
        let so_far = self.framer.pending();
        let verb = command::verb_of(so_far);
        let (tag, done) = match (command::error_before_literal(so_far), command::tag_of(so_far)) {
            // A command that cannot be read: BAD, and nothing else (as `command_bytes`).
            (Some(e), _) => {
                self.framer.refuse_literal();
                let tag = e.tag.unwrap_or_else(|| "*".into());
                let verb = (!verb.is_empty()).then_some(verb);
                return self.tagged(&tag, bad(e.text), verb.as_deref());
            }
            (None, Some(tag)) => match self.refused_in_state(&verb) {
                Some(done) => (tag, done),
                None => return self.continuation("Ready for literal data"),
            },
            (None, None) => return self.continuation("Ready for literal data"),
        };
        self.framer.refuse_literal();
        // As the whole command would be answered: what changed first, then the refusal.
        let expunge_ok = !matches!(verb.as_str(), "FETCH" | "STORE" | "SEARCH");
        self.finish(&tag, &verb, done, expunge_ok, env);
    }

    /// Why the current state refuses command `verb` whatever its arguments (RFC 3501 §6:
    /// each command belongs to states), if it does.
    fn refused_in_state(&self, verb: &str) -> Option<Done> {
        match (self.state, verb) {
            (_, "CAPABILITY" | "NOOP" | "LOGOUT" | "STARTTLS") => None,
            (State::NotAuthenticated, "LOGIN" | "AUTHENTICATE") => None,
            (State::NotAuthenticated, v) => {
                Some(bad(format!("{v} needs a login first: LOGIN user password (RFC 3501 section 6.2)")))
            }
            (_, "LOGIN" | "AUTHENTICATE") => {
                Some(bad("already logged in (RFC 3501 section 6.2: only in the not authenticated state)"))
            }
            (
                _,
                "CHECK" | "CLOSE" | "UNSELECT" | "EXPUNGE" | "UID EXPUNGE" | "SEARCH" | "UID SEARCH"
                | "FETCH" | "UID FETCH" | "STORE" | "UID STORE" | "COPY" | "UID COPY" | "MOVE" | "UID MOVE",
            ) if self.selected.is_none() => {
                Some(bad(format!("{verb} needs a selected mailbox: SELECT one first (RFC 3501 section 6.4)")))
            }
            _ => None,
        }
    }

    fn command(&mut self, tag: String, cmd: Command, env: &mut dyn Env) {
        let verb = cmd.name();
        // RFC 9051 §7.5.1: no EXPUNGE while responding to FETCH, STORE or SEARCH (their UID
        // forms may have one).
        let expunge_ok = !matches!(
            cmd,
            Command::Fetch { uid: false, .. }
                | Command::Store { uid: false, .. }
                | Command::Search { uid: false, .. }
        );
        // Commands that work on the selected messages first learn the store's state: the
        // current flags (an untagged FETCH FLAGS may be sent at any time, RFC 3501 §7.4.2),
        // so that SEARCH and FETCH FLAGS agree within one response; and, for the UID forms,
        // the EXPUNGEs too, so that a UID expunged elsewhere is simply not there (RFC 3501
        // §6.4.8: a non-existent UID is ignored). The sequence forms keep their numbering
        // (RFC 9051 §7.5.1, RFC 2180 §4.1).
        let early_sync = match &cmd {
            Command::Fetch { uid, .. }
            | Command::Store { uid, .. }
            | Command::Search { uid, .. }
            | Command::Copy { uid, .. }
            | Command::Move { uid, .. } => Some(*uid),
            Command::UidExpunge(_) => Some(true),
            _ => None,
        };
        let done = match (self.state, cmd) {
            // Any state (RFC 3501 §6.1).
            (_, Command::Capability) => {
                let caps = format!("CAPABILITY {}", self.capabilities());
                self.untagged("CAPABILITY", caps.into_bytes(), Some(verb));
                ok("CAPABILITY completed")
            }
            (State::NotAuthenticated, Command::StartTls) if !self.config.tls => {
                bad("STARTTLS is not offered here")
            }
            (State::NotAuthenticated, Command::StartTls) if self.tls_active => bad("TLS is already active"),
            // RFC 3501 §6.2.1: OK, then the handshake; nothing sent in the clear meanwhile
            // is acted on.
            (State::NotAuthenticated, Command::StartTls) => {
                self.tagged(&tag, ok("Begin TLS negotiation now"), Some(verb));
                self.mode = Mode::Handshake;
                self.out.push_back(Output::Request(Request::StartTls));
                return;
            }
            (_, Command::StartTls) => bad("STARTTLS only before a login (RFC 3501 section 6.2.1)"),
            (State::NotAuthenticated, Command::Login { .. } | Command::Authenticate { .. })
                if let Some(refused) = self.login_disabled() =>
            {
                refused
            }
            (_, Command::Noop) => ok("NOOP completed"),
            (_, Command::Logout) => {
                self.untagged(
                    "BYE",
                    format!("BYE {} IMAP4rev1 server logging out", self.config.hostname).into_bytes(),
                    Some(verb),
                );
                self.release(env);
                self.state = State::Logout;
                self.tagged(&tag, ok("LOGOUT completed"), Some(verb));
                self.out.push_back(Output::Close);
                return;
            }
            (State::NotAuthenticated, Command::Login { user, password }) => self.login(&user, &password, env),
            (State::NotAuthenticated, Command::Authenticate { mechanism, initial }) => {
                if mechanism != "PLAIN" {
                    no(None, format!("{mechanism} is not offered: use AUTHENTICATE PLAIN (RFC 4616)"))
                } else if let Some(initial) = initial {
                    return self.authenticate_response(&tag, format!("{initial}\r\n").as_bytes(), env);
                } else {
                    // RFC 3501 §6.2.2: an empty continuation, then the client's base64 line.
                    self.continuation("");
                    self.mode = Mode::Authenticate { tag };
                    return;
                }
            }
            // A command its state does not allow, whatever its arguments.
            (_, c) if let Some(refused) = self.refused_in_state(c.name()) => refused,
            (_, Command::Idle) => {
                // RFC 2177 §3: `+`, then news as it happens, until DONE.
                self.continuation("idling");
                self.set_idle(true);
                self.mode = Mode::Idle { tag };
                if let Some(store) = env.mail_store() {
                    self.sync(store, true, None);
                }
                return;
            }
            (_, c) => {
                let user = self.user.clone().unwrap_or_default();
                let Some(store) = env.mail_store() else {
                    self.tagged(
                        &tag,
                        no(Some("UNAVAILABLE"), "the mail store cannot be reached"),
                        Some(verb),
                    );
                    return;
                };
                if let Some(expunge_ok) = early_sync
                    && self.selected.is_some()
                {
                    self.sync(store, expunge_ok, Some(verb));
                    if self.state == State::Logout {
                        return;
                    }
                }
                self.authenticated(c, &user, store, verb)
            }
        };
        self.finish(&tag, verb, done, expunge_ok, env);
    }

    fn login(&mut self, user: &str, password: &str, env: &mut dyn Env) -> Done {
        let has_mailbox =
            env.check_password(user, password) && env.mail_store().is_some_and(|s| s.has_mailbox(user));
        if has_mailbox {
            self.user = Some(user.to_ascii_lowercase());
            self.state = State::Authenticated { idle: false };
            Done {
                cond: ImapCondition::Ok,
                code: Some(format!("CAPABILITY {}", self.capabilities())),
                text: "logged in".into(),
            }
        } else {
            // RFC 5530 §3: AUTHENTICATIONFAILED, the same for a wrong name or password.
            no(Some("AUTHENTICATIONFAILED"), "invalid user name or password")
        }
    }

    /// The client's answer to AUTHENTICATE PLAIN (RFC 4616 §2 in base64, RFC 3501 §6.2.2).
    fn authenticate_response(&mut self, tag: &str, line: &[u8], env: &mut dyn Env) {
        let text = std::str::from_utf8(line).unwrap_or("").trim_end_matches("\r\n");
        let done = if text == "*" {
            bad("AUTHENTICATE cancelled by the client (RFC 3501 section 6.2.2)")
        } else {
            // A well-formed answer that does not log in is a failed authentication: NO (RFC
            // 3501 §6.2.2), not BAD (which is for a cancelled exchange or an answer that is
            // no base64).
            match auth::decode(text).as_deref().map(auth::parse_plain) {
                Some(Ok((user, password))) => self.login(&user, &password, env),
                Some(Err(auth::PlainError::Malformed)) => no(
                    Some("AUTHENTICATIONFAILED"),
                    "PLAIN wants base64 of [authzid] NUL user NUL password (RFC 4616 section 2)",
                ),
                // RFC 5530 §3: AUTHORIZATIONFAILED once the credentials were right, to act
                // as someone else; with wrong ones, the answer of any wrong login (`login`
                // refuses them, never logging in).
                Some(Err(auth::PlainError::OtherIdentity { user, password })) => {
                    match env.check_password(&user, &password) {
                        true => {
                            no(Some("AUTHORIZATIONFAILED"), "you may not act as another user (the authzid)")
                        }
                        false => self.login(&user, &password, env),
                    }
                }
                None => bad("not base64 (RFC 4648 section 4)"),
            }
        };
        self.tagged(tag, done, Some("AUTHENTICATE"));
    }

    /// The commands of the authenticated and selected states (RFC 3501 §6.3, §6.4).
    fn authenticated(&mut self, cmd: Command, user: &str, store: &mut MailStore, verb: &str) -> Done {
        match cmd {
            Command::Select(name) => self.select(&name, false, user, store, verb),
            Command::Examine(name) => self.select(&name, true, user, store, verb),
            Command::Create(name) => match store
                .create_folder(user, name.trim_end_matches(SEPARATOR).trim_end_matches(SEPARATOR))
            {
                Ok(()) => ok("CREATE completed"),
                Err(e) => store_no(&e),
            },
            Command::Delete(name) => {
                if self.selected_name(store).is_some_and(|s| folder_eq(s, &name)) {
                    return no(Some("INUSE"), "the mailbox is selected here: CLOSE or UNSELECT it first");
                }
                match store.delete_folder(user, &name) {
                    Ok(()) => ok("DELETE completed"),
                    Err(e) => store_no(&e),
                }
            }
            Command::Rename { from, to } => match store.rename_folder(user, &from, &to) {
                Ok(()) => ok("RENAME completed"),
                Err(e) => store_no(&e),
            },
            Command::Subscribe(name) | Command::Unsubscribe(name) => {
                let on = verb == "SUBSCRIBE";
                match store.set_subscribed(user, &name, on) {
                    Ok(()) => ok(format!("{verb} completed")),
                    Err(e) => store_no(&e),
                }
            }
            Command::List { reference, pattern } | Command::Lsub { reference, pattern } => {
                self.list(&reference, &pattern, verb == "LSUB", user, store, verb)
            }
            Command::Status { mailbox, items } => {
                let Ok(f) = store.folder(user, &mailbox) else {
                    return no(Some("NONEXISTENT"), format!("there is no folder named \"{mailbox}\""));
                };
                // RFC 3501 §6.3.10: RECENT counts the messages with `\Recent` set: those no
                // session has claimed yet, and in the folder this session has open (which a
                // client SHOULD NOT ask STATUS of, but may), the ones it claimed.
                let own = match (&self.selected, self.selected_name(store)) {
                    (Some(sel), Some(open)) if store.folder(user, open).is_ok_and(|o| std::ptr::eq(o, f)) => {
                        sel.recent.len() as u32
                    }
                    _ => 0,
                };
                let mut rest = b"STATUS ".to_vec();
                push_astring(&mut rest, mailbox.as_bytes());
                rest.extend_from_slice(b" (");
                for (i, item) in items.iter().enumerate() {
                    let v = match item {
                        StatusItem::Messages => f.exists(),
                        StatusItem::Recent => f.recent() + own,
                        StatusItem::UidNext => f.uid_next(),
                        StatusItem::UidValidity => f.uid_validity(),
                        StatusItem::Unseen => f.unseen(),
                    };
                    if i > 0 {
                        rest.push(b' ');
                    }
                    rest.extend_from_slice(format!("{} {v}", item.name()).as_bytes());
                }
                rest.push(b')');
                self.untagged("STATUS", rest, Some(verb));
                ok("STATUS completed")
            }
            Command::Append { mailbox, flags, date, message } => {
                // RFC 3501 §6.3.11: the date given (before the simulation began too, in
                // its own zone), else now.
                let at = date.unwrap_or_else(|| self.now.into());
                // Stored with CRLF line ends: the message should be in RFC 2822 format
                // (RFC 3501 §6.3.11), so a bare LF becomes CRLF, and RFC822.SIZE, BODY[] and
                // POP3 all give the message in RFC 5322 format (RFC 9051 §7.5.2).
                let message = mail::with_crlf_line_ends(message);
                match store.append(user, &mailbox, message, to_flags(&flags), at) {
                    Ok(uid) => {
                        let validity = store.folder(user, &mailbox).map_or(0, |f| f.uid_validity());
                        Done {
                            cond: ImapCondition::Ok,
                            code: Some(format!("APPENDUID {validity} {uid}")),
                            text: "APPEND completed".into(),
                        }
                    }
                    // RFC 3501 §6.3.11: TRYCREATE when the target does not exist.
                    Err(StoreError::NoSuchFolder { folder }) => no(
                        Some("TRYCREATE"),
                        format!("there is no folder named \"{folder}\": CREATE it first"),
                    ),
                    Err(e) => store_no(&e),
                }
            }
            Command::Check => ok("CHECK completed"),
            Command::Close | Command::Unselect => {
                let sel = self.selected.take().expect("checked");
                if verb == "CLOSE" && !sel.read_only {
                    // RFC 3501 §6.4.2: expunge silently, no untagged EXPUNGE.
                    if let Some(name) = store.watching(sel.watcher).map(str::to_string) {
                        let _ = store.expunge(user, &name);
                    }
                }
                store.unwatch(sel.watcher);
                self.state = State::Authenticated { idle: false };
                ok(format!("{verb} completed"))
            }
            Command::Expunge | Command::UidExpunge(_) => {
                let sel = self.selected.as_ref().expect("checked");
                if sel.read_only {
                    return no(Some("READ-ONLY"), "the mailbox is open read-only (EXAMINE)");
                }
                let Some(name) = store.watching(sel.watcher).map(str::to_string) else {
                    return no(Some("NONEXISTENT"), "the mailbox was deleted");
                };
                let result = match &cmd {
                    Command::UidExpunge(set) => {
                        // RFC 4315 §2.1: only the \Deleted messages among these UIDs.
                        let uids: Vec<u32> = self
                            .resolve(set, true)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|i| sel.messages[i].uid)
                            .filter(|&u| {
                                store
                                    .folder(user, &name)
                                    .ok()
                                    .and_then(|f| f.by_uid(u))
                                    .is_some_and(|(_, m)| m.flags.contains(Flags::DELETED))
                            })
                            .collect();
                        store.delete(user, &name, &uids)
                    }
                    _ => store.expunge(user, &name),
                };
                // The `* n EXPUNGE` responses come from `sync`, highest first.
                match result {
                    Ok(_) => ok(format!("{verb} completed")),
                    Err(e) => store_no(&e),
                }
            }
            Command::Search { uid, charset, keys } => {
                if let Some(c) = charset
                    && !c.eq_ignore_ascii_case("US-ASCII")
                    && !c.eq_ignore_ascii_case("UTF-8")
                {
                    return no(
                        Some("BADCHARSET (US-ASCII UTF-8)"),
                        format!("charset {c} is not supported (RFC 3501 section 6.4.4)"),
                    );
                }
                self.search(uid, &keys, user, store, verb)
            }
            Command::Fetch { uid, set, items } => self.fetch(uid, &set, items, user, store, verb),
            Command::Store { uid, set, op, silent, flags } => {
                self.store_flags(uid, &set, op, silent, to_flags(&flags), user, store, verb)
            }
            Command::Copy { uid, set, mailbox } | Command::Move { uid, set, mailbox } => {
                self.copy(uid, &set, &mailbox, verb.ends_with("MOVE"), user, store, verb)
            }
            // Handled before: any-state commands, login, IDLE.
            _ => bad("unexpected command"),
        }
    }

    fn selected_name<'s>(&self, store: &'s MailStore) -> Option<&'s str> {
        self.selected.as_ref().and_then(|s| store.watching(s.watcher))
    }

    /// SELECT and EXAMINE (RFC 3501 §6.3.1–2).
    fn select(&mut self, name: &str, read_only: bool, user: &str, store: &mut MailStore, verb: &str) -> Done {
        // "If the client is already selected, it is deselected first" (RFC 3501 §6.3.1),
        // without expunging.
        if let Some(old) = self.selected.take() {
            store.unwatch(old.watcher);
        }
        self.state = State::Authenticated { idle: false };
        let watcher = match store.watch(user, name) {
            Ok(w) => w,
            Err(e) => return store_no(&e),
        };
        // \Recent: claimed by a read-write session; EXAMINE only looks (RFC 3501 §2.3.2).
        let claimed = if read_only { Vec::new() } else { store.take_recent(user, name).unwrap_or_default() };
        let Ok(f) = store.folder(user, name) else { return no(Some("NONEXISTENT"), "no such folder") };
        let recent = if read_only {
            let n = f.recent() as usize;
            f.messages()[f.messages().len() - n..].iter().map(|m| m.uid).collect()
        } else {
            claimed
        };
        let messages: Vec<Known> =
            f.messages().iter().map(|m| Known { uid: m.uid, flags: m.flags, gone: false }).collect();
        let first_unseen = f.messages().iter().position(|m| !m.flags.contains(Flags::SEEN));
        let (exists, validity, next) = (f.exists(), f.uid_validity(), f.uid_next());
        let n_recent = recent.len();
        self.selected = Some(Selected { watcher, read_only, messages, known_next: next, recent, gone: 0 });
        self.state = State::Selected { read_only, idle: false };
        self.untagged("FLAGS", format!("FLAGS ({SYSTEM_FLAGS})").into_bytes(), Some(verb));
        self.untagged("EXISTS", format!("{exists} EXISTS").into_bytes(), Some(verb));
        self.untagged("RECENT", format!("{n_recent} RECENT").into_bytes(), Some(verb));
        if let Some(i) = first_unseen {
            self.untagged(
                "OK",
                format!("OK [UNSEEN {}] message {} is the first unseen", i + 1, i + 1).into_bytes(),
                Some(verb),
            );
        }
        self.untagged("OK", format!("OK [UIDVALIDITY {validity}] UIDs valid").into_bytes(), Some(verb));
        self.untagged("OK", format!("OK [UIDNEXT {next}] predicted next UID").into_bytes(), Some(verb));
        let permanent = if read_only { String::new() } else { SYSTEM_FLAGS.to_string() };
        self.untagged(
            "OK",
            format!("OK [PERMANENTFLAGS ({permanent})] flags that can be changed").into_bytes(),
            Some(verb),
        );
        let code = if read_only { "READ-ONLY" } else { "READ-WRITE" };
        Done { cond: ImapCondition::Ok, code: Some(code.into()), text: format!("{verb} completed") }
    }

    /// LIST and LSUB (RFC 3501 §6.3.8–9): `reference` and `pattern` joined, `*` matching
    /// anything and `%` anything but the separator.
    fn list(
        &mut self,
        reference: &str,
        pattern: &str,
        lsub: bool,
        user: &str,
        store: &MailStore,
        verb: &str,
    ) -> Done {
        if pattern.is_empty() && !lsub {
            // RFC 3501 §6.3.8: an empty pattern asks for the separator and the root.
            self.untagged("LIST", format!("LIST (\\Noselect) \"{SEPARATOR}\" \"\"").into_bytes(), Some(verb));
            return ok("LIST completed");
        }
        let full = format!("{reference}{pattern}");
        let Ok(folders) = store.folders(user) else { return no(Some("SERVERBUG"), "no mailbox") };
        for f in folders {
            if (lsub && !f.subscribed) || !wildmatch(full.as_bytes(), f.name.as_bytes()) {
                continue;
            }
            let mut attrs: Vec<&str> = Vec::new();
            if !lsub {
                // RFC 3348 §4: \HasChildren / \HasNoChildren; RFC 6154 §2: special use.
                attrs.push(if f.has_children { "\\HasChildren" } else { "\\HasNoChildren" });
                if let Some(u) = f.special_use {
                    attrs.push(u.attribute());
                }
            }
            let mut rest =
                format!("{} ({}) \"{SEPARATOR}\" ", if lsub { "LSUB" } else { "LIST" }, attrs.join(" "))
                    .into_bytes();
            push_astring(&mut rest, f.name.as_bytes());
            self.untagged(if lsub { "LSUB" } else { "LIST" }, rest, Some(verb));
        }
        ok(format!("{verb} completed"))
    }

    /// The indexes into the selected messages that `set` names. For sequence numbers, a
    /// number past the last message is an error (RFC 3501 §9 seq-number); for UIDs, UIDs
    /// that are not there are skipped (§6.4.8). `*` is the last message (its UID).
    fn resolve(&self, set: &SeqSet, uid: bool) -> Result<Vec<usize>, String> {
        let sel = self.selected.as_ref().ok_or("no mailbox selected")?;
        let n = sel.messages.len();
        // The ranges as index ranges `lo..hi`, then merged: `1:*,1:*,...` costs the number
        // of ranges and messages, never their product.
        let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(set.len());
        if uid {
            // The UIDs ascend with the sequence numbers (RFC 3501 §2.3.1.1).
            let last = sel.messages.last().map_or(0, |m| m.uid);
            let v = |s: SeqNum| match s {
                SeqNum::Value(v) => v,
                SeqNum::Star => last,
            };
            for &(a, b) in set {
                let (lo, hi) = (v(a).min(v(b)), v(a).max(v(b)));
                let start = sel.messages.partition_point(|m| m.uid < lo);
                let end = sel.messages.partition_point(|m| m.uid <= hi);
                if start < end {
                    ranges.push((start, end));
                }
            }
        } else {
            let v = |s: SeqNum| match s {
                SeqNum::Value(v) => v as usize,
                SeqNum::Star => n,
            };
            for &(a, b) in set {
                let (lo, hi) = (v(a).min(v(b)), v(a).max(v(b)));
                if lo == 0 || hi > n {
                    // The parser refuses a 0, so a 0 here is `*` in an empty mailbox.
                    let why = match (n, lo) {
                        (0, 0) => "the mailbox is empty, so not even * names one".to_string(),
                        (0, _) => format!("no message {hi}: the mailbox is empty"),
                        (1, _) => format!("no message {hi}: the mailbox has 1 message"),
                        _ => format!("no message {hi}: the mailbox has {n} messages"),
                    };
                    return Err(format!("{why} (RFC 3501 section 9 sequence-set)"));
                }
                ranges.push((lo - 1, hi));
            }
        }
        ranges.sort_unstable();
        let mut out = Vec::new();
        let mut next = 0;
        for (lo, hi) in ranges {
            out.extend(lo.max(next)..hi);
            next = next.max(hi);
        }
        Ok(out)
    }

    /// `(\Seen \Recent)`: what FETCH FLAGS says of a message.
    fn flag_list(sel: &Selected, k: &Known) -> String {
        let mut s = k.flags.to_string();
        if sel.is_recent(k.uid) {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str("\\Recent");
        }
        format!("({s})")
    }

    fn fetch(
        &mut self,
        uid: bool,
        set: &SeqSet,
        mut items: Vec<FetchItem>,
        user: &str,
        store: &mut MailStore,
        verb: &str,
    ) -> Done {
        let indexes = match self.resolve(set, uid) {
            Ok(i) => i,
            Err(e) => return bad(e),
        };
        // RFC 3501 §6.4.8: UID FETCH always reports the UID.
        if uid && !items.contains(&FetchItem::Uid) {
            items.insert(0, FetchItem::Uid);
        }
        // Each item once: `BODY[] BODY[] ...` must not multiply the output.
        let mut unique: Vec<FetchItem> = Vec::with_capacity(items.len());
        for item in items {
            if !unique.contains(&item) {
                unique.push(item);
            }
        }
        let items = unique;
        let sets_seen = items.iter().any(|i| {
            matches!(i, FetchItem::Section { peek: false, .. } | FetchItem::Rfc822 | FetchItem::Rfc822Text)
        });
        let Some(name) = self.selected_name(store).map(str::to_string) else {
            return no(Some("NONEXISTENT"), "the mailbox was deleted");
        };
        // What one FETCH may queue (RFC 9051 §7.1 LIMIT): twice the folder and a MiB, so
        // that `1:* (BODY[] RFC822)` works and distinct partials of a large message cannot
        // make the server (or the browser tab) allocate gigabytes.
        let budget = store
            .folder(user, &name)
            .map_or(0, |f| f.messages().iter().map(|m| m.bytes.len()).sum::<usize>())
            .saturating_mul(2)
            .saturating_add(1 << 20);
        let mut queued = 0usize;
        let mut over = false;
        let mut missing = false;
        for i in indexes {
            if over {
                break;
            }
            let sel = self.selected.as_mut().expect("selected");
            let k = sel.messages[i];
            if k.gone {
                missing = true;
                continue;
            }
            let mut with_flags = items.contains(&FetchItem::Flags);
            // RFC 3501 §6.4.5: a BODY[...] fetch sets \Seen (not in a read-only mailbox),
            // and the changed flags are reported.
            if sets_seen
                && !sel.read_only
                && !k.flags.contains(Flags::SEEN)
                && let Ok(f) = store.set_flags(user, &name, k.uid, FlagOp::Add, Flags::SEEN)
            {
                sel.messages[i].flags = f;
                with_flags = true;
            }
            let k = sel.messages[i];
            let Ok(folder) = store.folder(user, &name) else { break };
            let Some((_, m)) = folder.by_uid(k.uid) else {
                missing = true;
                continue;
            };
            let mut rest = format!("{} FETCH (", i + 1).into_bytes();
            let mut first = true;
            let mut sep = |rest: &mut Vec<u8>| {
                if !std::mem::take(&mut first) {
                    rest.push(b' ');
                }
            };
            for item in &items {
                if *item == FetchItem::Flags {
                    continue;
                }
                if queued + rest.len() > budget {
                    over = true;
                    break;
                }
                sep(&mut rest);
                match item {
                    FetchItem::Uid => rest.extend_from_slice(format!("UID {}", k.uid).as_bytes()),
                    FetchItem::InternalDate => {
                        // In the zone it was given in (RFC 3501 §9: date-time).
                        let date = m.internal_date();
                        let (y, mo, d, h, mi, s) = date.local_parts();
                        let month = command::month_name(mo);
                        let (sign, zone) = (if date.zone < 0 { '-' } else { '+' }, date.zone.unsigned_abs());
                        let (zh, zm) = (zone / 60, zone % 60);
                        rest.extend_from_slice(
                            format!(
                                "INTERNALDATE \"{d:02}-{month}-{y:04} {h:02}:{mi:02}:{s:02} {sign}{zh:02}{zm:02}\""
                            )
                            .as_bytes(),
                        );
                    }
                    FetchItem::Rfc822Size => {
                        rest.extend_from_slice(format!("RFC822.SIZE {}", m.size()).as_bytes())
                    }
                    FetchItem::Envelope => {
                        rest.extend_from_slice(b"ENVELOPE ");
                        message::envelope(&mut rest, &m.bytes);
                    }
                    FetchItem::Body | FetchItem::BodyStructure => {
                        let ext = *item == FetchItem::BodyStructure;
                        rest.extend_from_slice(if ext { b"BODYSTRUCTURE " } else { b"BODY " });
                        message::body_structure(&mut rest, &m.bytes, ext);
                    }
                    FetchItem::Rfc822 | FetchItem::Rfc822Header | FetchItem::Rfc822Text => {
                        let (label, section): (&[u8], _) = match item {
                            FetchItem::Rfc822 => (b"RFC822 ", command::Section::default()),
                            FetchItem::Rfc822Header => (
                                b"RFC822.HEADER ",
                                command::Section { part: vec![], text: Some(command::SectionText::Header) },
                            ),
                            _ => (
                                b"RFC822.TEXT ",
                                command::Section { part: vec![], text: Some(command::SectionText::Text) },
                            ),
                        };
                        rest.extend_from_slice(label);
                        let data = message::section(&m.bytes, &section).unwrap_or_default();
                        // Body data always as a literal (RFC 3501 §7.4.2; what clients expect).
                        push_literal(&mut rest, &data);
                    }
                    FetchItem::Section { section, partial, .. } => {
                        message::section_label(&mut rest, section);
                        let data = message::section(&m.bytes, section);
                        match (data, partial) {
                            (None, _) => rest.extend_from_slice(b" NIL"),
                            (Some(d), None) => {
                                rest.push(b' ');
                                push_literal(&mut rest, &d);
                            }
                            // RFC 3501 §6.4.5: <origin.octets>, reported as <origin>.
                            (Some(d), Some((o, n))) => {
                                let start = (*o as usize).min(d.len());
                                let end = start.saturating_add(*n as usize).min(d.len());
                                rest.extend_from_slice(format!("<{o}> ").as_bytes());
                                push_literal(&mut rest, &d[start..end]);
                            }
                        }
                    }
                    FetchItem::Flags => {}
                }
            }
            if with_flags {
                sep(&mut rest);
                let sel = self.selected.as_ref().expect("selected");
                rest.extend_from_slice(format!("FLAGS {}", Self::flag_list(sel, &k)).as_bytes());
            }
            if over || queued + rest.len() > budget {
                over = true;
                break;
            }
            rest.push(b')');
            queued += rest.len();
            self.untagged("FETCH", rest, Some(verb));
        }
        if over {
            return no(Some("LIMIT"), "too much data for one FETCH: ask for fewer messages or items");
        }
        expunge_issued(missing, uid, verb)
    }

    #[allow(clippy::too_many_arguments)]
    fn store_flags(
        &mut self,
        uid: bool,
        set: &SeqSet,
        op: FlagOp,
        silent: bool,
        flags: Flags,
        user: &str,
        store: &mut MailStore,
        verb: &str,
    ) -> Done {
        let indexes = match self.resolve(set, uid) {
            Ok(i) => i,
            Err(e) => return bad(e),
        };
        let Some(name) = self.selected_name(store).map(str::to_string) else {
            return no(Some("NONEXISTENT"), "the mailbox was deleted");
        };
        let sel = self.selected.as_mut().expect("selected");
        if sel.read_only {
            return no(Some("READ-ONLY"), "the mailbox is open read-only (EXAMINE): flags cannot change");
        }
        let mut lines = Vec::new();
        let mut missing = false;
        for i in indexes {
            let k = sel.messages[i];
            if k.gone {
                missing = true;
                continue;
            }
            match store.set_flags(user, &name, k.uid, op, flags) {
                Ok(f) => sel.messages[i].flags = f,
                Err(_) => {
                    missing = true;
                    continue;
                }
            }
            // RFC 3501 §6.4.6: the new flags as untagged FETCH, unless .SILENT; with the UID
            // for UID STORE (§6.4.8).
            if !silent {
                let k = sel.messages[i];
                let u = if uid { format!(" UID {}", k.uid) } else { String::new() };
                lines.push(format!("{} FETCH (FLAGS {}{u})", i + 1, Self::flag_list(sel, &k)).into_bytes());
            }
        }
        for l in lines {
            self.untagged("FETCH", l, Some(verb));
        }
        expunge_issued(missing, uid, verb)
    }

    #[allow(clippy::too_many_arguments)]
    fn copy(
        &mut self,
        uid: bool,
        set: &SeqSet,
        target: &str,
        moving: bool,
        user: &str,
        store: &mut MailStore,
        verb: &str,
    ) -> Done {
        let indexes = match self.resolve(set, uid) {
            Ok(i) => i,
            Err(e) => return bad(e),
        };
        let Some(name) = self.selected_name(store).map(str::to_string) else {
            return no(Some("NONEXISTENT"), "the mailbox was deleted");
        };
        let sel = self.selected.as_ref().expect("selected");
        if moving && sel.read_only {
            return no(Some("READ-ONLY"), "the mailbox is open read-only (EXAMINE): nothing can move out");
        }
        let uids: Vec<u32> =
            indexes.iter().map(|&i| sel.messages[i]).filter(|k| !k.gone).map(|k| k.uid).collect();
        let result = if moving {
            store.move_messages(user, &name, &uids, target).map(|(pairs, _)| pairs)
        } else {
            store.copy(user, &name, &uids, target)
        };
        match result {
            Ok(pairs) => {
                let validity = store.folder(user, target).map_or(0, |f| f.uid_validity());
                let code = (!pairs.is_empty()).then(|| {
                    let from: Vec<u32> = pairs.iter().map(|p| p.0).collect();
                    let to: Vec<u32> = pairs.iter().map(|p| p.1).collect();
                    format!("COPYUID {validity} {} {}", uid_set(&from), uid_set(&to))
                });
                if moving {
                    // RFC 6851 §4.3: COPYUID in an untagged OK, before the EXPUNGEs.
                    if let Some(c) = &code {
                        self.untagged("OK", format!("OK [{c}] moved").into_bytes(), Some(verb));
                    }
                    ok(format!("{verb} completed"))
                } else {
                    Done { cond: ImapCondition::Ok, code, text: format!("{verb} completed") }
                }
            }
            // RFC 3501 §6.4.7: TRYCREATE when the target does not exist.
            Err(StoreError::NoSuchFolder { folder }) if folder == target => {
                no(Some("TRYCREATE"), format!("there is no folder named \"{target}\": CREATE it first"))
            }
            Err(e) => store_no(&e),
        }
    }

    fn search(&mut self, uid: bool, keys: &[SearchKey], user: &str, store: &MailStore, verb: &str) -> Done {
        let Some(name) = self.selected_name(store) else {
            return no(Some("NONEXISTENT"), "the mailbox was deleted");
        };
        let Ok(folder) = store.folder(user, name) else { return no(Some("NONEXISTENT"), "no such folder") };
        let sel = self.selected.as_ref().expect("selected");
        let last_uid = sel.messages.last().map_or(0, |m| m.uid);
        let mut rest = b"SEARCH".to_vec();
        for (i, k) in sel.messages.iter().enumerate() {
            let Some((_, m)) = folder.by_uid(k.uid) else { continue };
            let ctx = Ctx {
                seq: i as u32 + 1,
                count: sel.messages.len() as u32,
                last_uid,
                known: k,
                recent: sel.is_recent(k.uid),
                bytes: &m.bytes,
                date: m.internal_date(),
            };
            if keys.iter().all(|key| ctx.matches(key)) {
                rest.extend_from_slice(format!(" {}", if uid { k.uid } else { i as u32 + 1 }).as_bytes());
            }
        }
        self.untagged("SEARCH", rest, Some(verb));
        ok(format!("{verb} completed"))
    }

    /// Tells the client what changed in the selected folder since it was last told
    /// (RFC 9051 §7.5.1, RFC 3501 §7.3–7.4): `* n EXPUNGE` for messages other sessions
    /// removed, highest first so that every number is right when it is sent (only when
    /// `expunge_ok`), `* n EXISTS` (and `* n RECENT`) for new ones, `* n FETCH (FLAGS ...)`
    /// for changed flags. The selected folder deleted: `* BYE` (RFC 2180 §3).
    fn sync(&mut self, store: &mut MailStore, expunge_ok: bool, verb: Option<&str>) {
        let Some(sel) = self.selected.as_mut() else { return };
        let changes = store.drain(sel.watcher);
        let pending_gone = expunge_ok && sel.gone > 0;
        if changes.is_empty() && !pending_gone {
            return;
        }
        let user = self.user.clone().unwrap_or_default();
        let Some(folder) = store.watching(sel.watcher).and_then(|n| store.folder(&user, n).ok()) else {
            return self
                .bye("the selected mailbox was deleted by another session (RFC 2180 section 3)", None);
        };
        let mut lines: Vec<(&str, Vec<u8>)> = Vec::new();
        // Flag news first, about messages as the client numbers them now. Only the messages
        // the changes name can differ from what the client knows: every change to a stored
        // message is queued for every watcher of its folder (`MailStore::notify`), so a
        // delivery into a folder of 100,000 messages costs a lookup, not a walk over all of
        // them. After a `Resync` (changes were dropped) every message is compared.
        let touched: Vec<usize> = if changes.contains(&Change::Resync) {
            (0..sel.messages.len()).collect()
        } else {
            let mut uids: Vec<u32> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::Flags { uid, .. } | Change::Expunged(Expunged { uid, .. }) => Some(*uid),
                    _ => None,
                })
                .collect();
            uids.sort_unstable();
            uids.dedup();
            uids.iter().filter_map(|u| sel.messages.binary_search_by_key(u, |k| k.uid).ok()).collect()
        };
        let mut flag_news = Vec::new();
        for i in touched {
            let k = &mut sel.messages[i];
            if k.gone {
                continue;
            }
            match folder.by_uid(k.uid) {
                None => {
                    k.gone = true;
                    sel.gone += 1;
                }
                Some((_, m)) if m.flags != k.flags => {
                    k.flags = m.flags;
                    flag_news.push((i, *k));
                }
                _ => {}
            }
        }
        for (i, k) in flag_news {
            lines.push((
                "FETCH",
                format!("{} FETCH (FLAGS {})", i + 1, Self::flag_list(sel, &k)).into_bytes(),
            ));
        }
        let removed = expunge_ok && sel.gone > 0;
        if removed {
            // Highest first: each number is the message's own until it is sent.
            for i in (0..sel.messages.len()).rev() {
                if sel.messages[i].gone {
                    lines.push(("EXPUNGE", format!("{} EXPUNGE", i + 1).into_bytes()));
                }
            }
            sel.messages.retain(|k| !k.gone);
            sel.gone = 0;
        }
        let new = folder.since(sel.known_next);
        if !new.is_empty() {
            // Read-only, the folder's unclaimed messages among the new ones (both are its
            // last ones); read-write, the session claims them below.
            let unclaimed: Option<Vec<u32>> = sel.read_only.then(|| {
                let n = (folder.recent() as usize).min(new.len());
                new[new.len() - n..].iter().map(|m| m.uid).collect()
            });
            sel.known_next = folder.uid_next();
            sel.messages.extend(new.iter().map(|m| Known { uid: m.uid, flags: m.flags, gone: false }));
            lines.push(("EXISTS", format!("{} EXISTS", sel.messages.len()).into_bytes()));
            let fresh = unclaimed.unwrap_or_else(|| {
                let name = store.watching(sel.watcher).unwrap_or_default().to_string();
                store.take_recent(&user, &name).unwrap_or_default()
            });
            // Those before `checked` are in `messages` already.
            let mut checked = if removed { 0 } else { sel.recent.len() };
            sel.recent.extend(fresh);
            // New UIDs are above every known one, so `recent` stays ascending; should that
            // ever not hold, it is sorted again.
            if !sel.recent[checked.saturating_sub(1)..].windows(2).all(|w| w[0] < w[1]) {
                sel.recent.sort_unstable();
                sel.recent.dedup();
                checked = 0;
            }
            sel.retain_live_recent(checked);
            lines.push(("RECENT", format!("{} RECENT", sel.recent.len()).into_bytes()));
        } else if removed {
            sel.retain_live_recent(0);
        }
        for (name, line) in lines {
            self.untagged(name, line, verb);
        }
    }
}

/// Search context of one message.
struct Ctx<'a> {
    seq: u32,
    count: u32,
    last_uid: u32,
    known: &'a Known,
    recent: bool,
    bytes: &'a [u8],
    date: InternalDate,
}

/// The day of an RFC 5322 date (`Mon, 30 Nov 2026 09:00:00 +0000`), time and zone left
/// out as SENTBEFORE/SENTON/SENTSINCE want (RFC 3501 §6.4.4).
fn sent_day(bytes: &[u8]) -> Option<i64> {
    let date = mail::header(bytes, "Date")?;
    let words: Vec<&str> = date.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let m = words
        .iter()
        .position(|w| w.len() == 3 && (1..=12).any(|m| command::month_name(m).eq_ignore_ascii_case(w)))?;
    let month = (1..=12).find(|&k| command::month_name(k).eq_ignore_ascii_case(words[m]))?;
    let day: u32 = words.get(m.checked_sub(1)?)?.parse().ok()?;
    let year: i64 = words.get(m + 1)?.parse().ok()?;
    command::days_from_civil(year, month, day)
}

/// Case-insensitive substring search (ASCII case), in time linear in `hay` and `needle`
/// (Knuth–Morris–Pratt): SEARCH TEXT with a long needle on a large message must not
/// cost their product.
fn contains_ci(hay: &[u8], needle: &str) -> bool {
    let n: Vec<u8> = needle.bytes().map(|b| b.to_ascii_lowercase()).collect();
    if n.is_empty() {
        return true;
    }
    if n.len() > hay.len() {
        return false;
    }
    // fail[i]: the length of the longest proper border of n[..=i].
    let mut fail = vec![0usize; n.len()];
    let mut k = 0;
    for i in 1..n.len() {
        while k > 0 && n[i] != n[k] {
            k = fail[k - 1];
        }
        if n[i] == n[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for &b in hay {
        let b = b.to_ascii_lowercase();
        while k > 0 && b != n[k] {
            k = fail[k - 1];
        }
        if b == n[k] {
            k += 1;
            if k == n.len() {
                return true;
            }
        }
    }
    false
}

impl Ctx<'_> {
    fn in_set(&self, set: &SeqSet, v: u32, star: u32) -> bool {
        let f = |s: SeqNum| match s {
            SeqNum::Value(v) => v,
            SeqNum::Star => star,
        };
        set.iter().any(|&(a, b)| (f(a).min(f(b))..=f(a).max(f(b))).contains(&v))
    }

    /// RFC 3501 §6.4.4; strings match as case-insensitive substrings.
    fn matches(&self, key: &SearchKey) -> bool {
        let seen = self.known.flags.contains(Flags::SEEN);
        match key {
            SearchKey::All => true,
            SearchKey::Flag(f, on) => self.known.flags.contains(*f) == *on,
            SearchKey::New => self.recent && !seen,
            SearchKey::Old => !self.recent,
            SearchKey::Recent => self.recent,
            // No keywords are kept (PERMANENTFLAGS has no \*).
            SearchKey::Keyword(_, on) => !on,
            SearchKey::Header(name, value) => {
                let head = mail::header_section(self.bytes);
                let mut found = false;
                let text = String::from_utf8_lossy(head);
                let mut current: Option<String> = None;
                for line in text.split("\r\n").chain(std::iter::once("")) {
                    if line.starts_with([' ', '\t']) {
                        if let Some(c) = &mut current {
                            c.push_str(line);
                        }
                        continue;
                    }
                    if let Some(c) = current.take() {
                        found |= contains_ci(c.as_bytes(), value);
                    }
                    if let Some((n, v)) = line.split_once(':')
                        && n.trim().eq_ignore_ascii_case(name)
                    {
                        current = Some(v.to_string());
                    }
                }
                found
            }
            SearchKey::Body(s) => {
                let head = mail::header_section(self.bytes).len();
                contains_ci(&self.bytes[head.min(self.bytes.len())..], s)
            }
            SearchKey::Text(s) => contains_ci(self.bytes, s),
            SearchKey::Before(d) => self.date.day() < *d,
            SearchKey::On(d) => self.date.day() == *d,
            SearchKey::Since(d) => self.date.day() >= *d,
            SearchKey::SentBefore(d) => sent_day(self.bytes).is_some_and(|s| s < *d),
            SearchKey::SentOn(d) => sent_day(self.bytes) == Some(*d),
            SearchKey::SentSince(d) => sent_day(self.bytes).is_some_and(|s| s >= *d),
            SearchKey::Larger(n) => self.bytes.len() as u64 > u64::from(*n),
            SearchKey::Smaller(n) => (self.bytes.len() as u64) < u64::from(*n),
            SearchKey::Uid(set) => self.in_set(set, self.known.uid, self.last_uid),
            SearchKey::Seq(set) => self.in_set(set, self.seq, self.count),
            SearchKey::Not(k) => !self.matches(k),
            SearchKey::Or(a, b) => self.matches(a) || self.matches(b),
            SearchKey::And(ks) => ks.iter().all(|k| self.matches(k)),
        }
    }
}

/// The system flags named in a flag list; keywords and `\Recent` are not kept
/// (PERMANENTFLAGS lists only the system flags, RFC 3501 §7.1).
fn to_flags(names: &[String]) -> Flags {
    names.iter().filter_map(|n| Flags::parse(n)).fold(Flags::NONE, Flags::union)
}

/// Folder names compare exactly, except INBOX (RFC 3501 §5.1), also as the first level of
/// a longer name: the store reads `inbox/x` as `INBOX/x`.
fn folder_eq(a: &str, b: &str) -> bool {
    /// What follows a first level INBOX written in any case.
    fn under_inbox(n: &str) -> Option<&str> {
        let first = n.split(SEPARATOR).next().unwrap_or(n);
        first.eq_ignore_ascii_case("INBOX").then(|| &n[first.len()..])
    }
    a == b || matches!((under_inbox(a), under_inbox(b)), (Some(x), Some(y)) if x == y)
}

/// `1:3,5`: UIDs (ascending) as a compact set, for COPYUID (RFC 4315 §3).
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let mut j = i;
        while j + 1 < uids.len() && uids[j + 1] == uids[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&uids[i].to_string());
        if j > i {
            out.push(':');
            out.push_str(&uids[j].to_string());
        }
        i = j + 1;
    }
    out
}

/// LIST pattern matching (RFC 3501 §6.3.8): `*` matches anything, `%` anything but the
/// separator; the INBOX level matches case-insensitively. Dynamic programming over the
/// pattern with its runs of wildcards collapsed, which then has at most twice as many
/// octets as the name: the cost is at most about 2 × name length², whatever the pattern.
fn wildmatch(pattern: &[u8], name: &[u8]) -> bool {
    // A run of wildcards matches what its widest member does: `%*%` is `*`, `%%` is `%`.
    let mut collapsed: Vec<u8> = Vec::with_capacity(pattern.len().min(2 * name.len() + 2));
    let mut literals = 0;
    for &p in pattern {
        match (p, collapsed.last_mut()) {
            (b'*' | b'%', Some(last @ (b'*' | b'%'))) => {
                if p == b'*' {
                    *last = b'*';
                }
            }
            _ => {
                literals += usize::from(p != b'*' && p != b'%');
                // More characters to match than the name has: no match, at no cost.
                if literals > name.len() {
                    return false;
                }
                collapsed.push(p);
            }
        }
    }
    let pattern = &collapsed[..];
    let inbox =
        name.len() >= 5 && name[..5].eq_ignore_ascii_case(b"INBOX") && (name.len() == 5 || name[5] == b'/');
    let eq = |p: u8, c: u8, at: usize| p == c || (inbox && at < 5 && p.eq_ignore_ascii_case(&c));
    // m[j]: pattern[..i] matches name[..j].
    let mut m = vec![false; name.len() + 1];
    m[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        match p {
            b'*' | b'%' => {
                for j in 0..=name.len() {
                    next[j] = m[j] || (j > 0 && next[j - 1] && (p == b'*' || name[j - 1] != b'/'));
                }
            }
            _ => {
                for j in 1..=name.len() {
                    next[j] = m[j - 1] && eq(p, name[j - 1], j - 1);
                }
            }
        }
        m = next;
    }
    m[name.len()]
}

impl Session for ImapServer {
    fn handle_input(&mut self, mut input: &[u8], now: SimTime, env: &mut dyn Env) {
        if self.is_closed() {
            return;
        }
        // The autologout timer counts inactivity (RFC 3501 §5.4, RFC 9051 §5.4): it restarts
        // when a line is complete (a command, its continuation after a literal, a line of a
        // literal, IDLE's DONE), not at every octet, so a byte at a time does not keep a session.
        // A literal's octets (§4.3: APPEND's message, which may have no line end at all) count
        // by their number instead: each earns 1/min_rate s, never beyond the full timeout
        // from now ([`SimTime::earn`]), so a client sending at least min_rate octets a second
        // is never logged out, one that drips slower is, in a bounded time.
        let line = self.line_ends.complete(input);
        let before = self.framer.literal_octets();
        self.now = now;
        while !self.is_closed() {
            // Plaintext after STARTTLS, before the handshake: discarded, never run as a
            // command (RFC 3501 §6.2.1).
            if self.mode == Mode::Handshake {
                break;
            }
            let literals = self.mode == Mode::Command;
            let Some(frame) = self.framer.next(&mut input, literals) else { break };
            self.handle_frame(frame, env);
        }
        let octets = self.framer.literal_octets() - before;
        let limit = self.config.timeout;
        self.deadline =
            if line { now.plus(limit) } else { self.deadline.earn(octets, self.config.min_rate, now, limit) };
    }

    fn handle_close(&mut self, _now: SimTime) {
        self.state = State::Logout;
    }

    /// The handshake after STARTTLS is done: the session goes on, not authenticated, with
    /// nothing of what came in the clear (RFC 3501 §6.2.1).
    fn handle_tls(&mut self, now: SimTime) {
        if self.mode != Mode::Handshake || self.is_closed() {
            return;
        }
        self.mode = Mode::Command;
        self.tls_active = true;
        // A new framer: nothing held from before, and LOGIN's literals invited again.
        self.framer = Framer::default();
        self.deadline = now.plus(self.config.timeout);
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<SimTime> {
        (!self.is_closed()).then_some(self.deadline)
    }

    /// The autologout: `* BYE`, then the close (RFC 3501 §5.4, §7.1.5).
    fn handle_timeout(&mut self, now: SimTime) {
        if self.is_closed() || now < self.deadline {
            return;
        }
        self.bye("autologout: idle for too long (RFC 3501 section 5.4)", None);
    }

    /// The store changed: while idling, tell the client at once (RFC 2177 §3).
    fn handle_store_change(&mut self, _now: SimTime, env: &mut dyn Env) {
        if matches!(self.mode, Mode::Idle { .. })
            && let Some(store) = env.mail_store()
        {
            self.sync(store, true, None);
        }
    }

    fn state(&self) -> SessionState {
        SessionState::ImapServer(self.state)
    }

    fn classify(&self, input: &[u8]) -> EventKind {
        EventKind::Command { verb: command::verb_of(input) }
    }

    fn is_closed(&self) -> bool {
        self.state == State::Logout
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    #[cfg(feature = "imap")]
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests;
