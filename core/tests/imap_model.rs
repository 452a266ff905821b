//! A model-based property test of the IMAP server with two sessions on one mailbox (the
//! issue: "a mailbox after random STORE, COPY, MOVE, EXPUNGE and APPEND sequences from
//! two sessions matches a simple model (counts, UIDs ascending and never reused, flags,
//! what each session was told)").
//!
//! Each case is Bob's mailbox in a real [`MailStore`], 0–5 messages in INBOX and 0–2 in
//! Archive with random flags, and two IMAP sessions of Bob, both with INBOX selected
//! read-write. The host lends the store through [`Env::mail_store`], so the UIDs, the
//! watchers and `\Recent` are the real ones. Then 1–40 steps: a session sends a command
//! (written in pieces cut at random places); SMTP delivers into INBOX; or a session IDLEs
//! while the other sends commands, then DONE. After every step the driver calls
//! [`Session::handle_store_change`] on both sessions, as the World does. The commands:
//! STORE and UID STORE (`FLAGS`, `+FLAGS`, `-FLAGS`, with or without `.SILENT`) on random
//! sequence sets (`*`, ranges, lists, numbers past the end, a `0` now and then), COPY,
//! MOVE and their UID forms to Archive, to INBOX itself or to a folder that does not
//! exist, EXPUNGE, UID EXPUNGE, APPEND (INBOX, Archive, a missing folder; with flags;
//! synchronising literal or not), NOOP, FETCH and UID FETCH of `(UID FLAGS)`, sometimes
//! with `BODY[TEXT]` (which sets `\Seen`), SEARCH and UID SEARCH (flags, RECENT, NEW,
//! OLD, UID and sequence sets).
//!
//! The model ([`Model`]) is, per folder, a list of (UID, flags, which message) and UIDNEXT;
//! per session ([`View`]), what the server must believe that session knows of INBOX: the
//! UIDs by sequence number (expunged ones it has not been told of yet among them), where
//! news begins, and which messages are `\Recent` for it. A session learns what changed
//! at the end of each command, before a command on messages, and at once while idling;
//! never an EXPUNGE during FETCH, STORE or SEARCH (RFC 9051 §7.5.1).
//!
//! Checked after every step:
//! - the tagged response: OK, NO or BAD and its response code as the model says
//!   (`[EXPUNGEISSUED]`, `[TRYCREATE]`, `[APPENDUID v u]` and `[COPYUID v from to]` with
//!   the exact UIDs); a syntax error answers at once, telling nothing;
//! - the store equals the model: each folder's messages, UIDs, flags, UIDNEXT and
//!   UIDVALIDITY; UIDs strictly ascending and below UIDNEXT; a UID under the last UIDNEXT
//!   names the message it named before (never reused);
//! - what each session was told, read as a client reads it ([`Client`]: `* n EXISTS`
//!   adds messages, `* n EXPUNGE` removes the n-th, `* n FETCH` tells flags and UIDs):
//!   every number names a message the client knows; EXISTS is never less than what the
//!   client counts (no decrease without EXPUNGEs); no EXPUNGE during FETCH, STORE or
//!   SEARCH; no output at all from a session that is not in a command or idling; the
//!   client's list equals the model's view (its length, and every UID it learned); after
//!   each command that told it news, the flags it knows equal the store's ("the status of
//!   the flags is determinate", RFC 3501 §6.4.6, counting what a `.SILENT` STORE set) and
//!   `\Recent` is as the model says; after NOOP and during IDLE it knows exactly INBOX;
//! - FETCH answers exactly the messages asked for that are still there (`BODY[TEXT]`
//!   their text), SEARCH exactly the matching ones, a STORE without `.SILENT` reports
//!   every message it changed (UID STORE with the UID), IDLE starts with `+`.
#![cfg(feature = "imap")]

use std::collections::{BTreeMap, BTreeSet};

use mailroom_core::imap::server::{ImapConfig, ImapServer};
use mailroom_core::session::{Env, Output, RcptVerdict, Session};
use mailroom_core::smtp::server::Peer;
use mailroom_core::store::{FlagOp, Flags, INBOX, MailStore};
use mailroom_core::time::{SimDuration, SimTime};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

const USER: &str = "bob@example.net";
const PASSWORD: &str = "builder";
const ARCHIVE: &str = "Archive";
const MISSING: &str = "Nowhere";

// ----- the host: a real store, lent to the servers -------------------------------------

struct Host {
    store: MailStore,
}

impl Env for Host {
    fn recipient(&mut self, _client: &str, _rcpt: &str) -> RcptVerdict {
        RcptVerdict::NoSuchUser
    }
    fn check_password(&mut self, user: &str, password: &str) -> bool {
        user == USER && password == PASSWORD
    }
    fn mail_store(&mut self) -> Option<&mut MailStore> {
        Some(&mut self.store)
    }
}

/// Message `id`: its bytes name it, so the store's copy of it can be told apart.
fn message(id: u32) -> Vec<u8> {
    format!("Message-ID: <{id}@model.example>\r\nSubject: message {id}\r\n\r\n{}", text(id)).into_bytes()
}

/// What `BODY[TEXT]` of message `id` is.
fn text(id: u32) -> String {
    format!("Text of message {id}.\r\n")
}

fn id_of(bytes: &[u8]) -> Option<u32> {
    let rest = bytes.strip_prefix(b"Message-ID: <")?;
    let end = rest.iter().position(|&b| b == b'@')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

// ----- what is generated -------------------------------------------------------------------

/// A number in a sequence set; `N(0)` is a syntax error (nz-number, RFC 3501 §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    N(u32),
    Star,
}

/// A sequence set: numbers `a` and ranges `a:b`, in a comma list.
type Set = Vec<(Num, Option<Num>)>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum To {
    Archive,
    Inbox,
    Missing,
}

impl To {
    fn name(self) -> &'static str {
        match self {
            To::Archive => ARCHIVE,
            To::Inbox => INBOX,
            To::Missing => MISSING,
        }
    }
}

#[derive(Clone, Debug)]
enum Key {
    All,
    /// `SEEN` (true) or `UNSEEN` (false), and so on for each system flag.
    Flag(Flags, bool),
    Recent,
    New,
    Old,
    Uid(Set),
    Seq(Set),
}

#[derive(Clone, Debug)]
enum Cmd {
    Store {
        uid: bool,
        set: Set,
        op: FlagOp,
        silent: bool,
        flags: Flags,
    },
    Copy {
        uid: bool,
        set: Set,
        to: To,
    },
    Move {
        uid: bool,
        set: Set,
        to: To,
    },
    Expunge,
    UidExpunge(Set),
    /// `sync`: a synchronising literal `{n}` (the server answers `+` first), else `{n+}`.
    Append {
        to: To,
        flags: Flags,
        sync: bool,
    },
    Noop,
    /// `(UID FLAGS)`, and `BODY[TEXT]` when `body`.
    Fetch {
        uid: bool,
        set: Set,
        body: bool,
    },
    Search {
        uid: bool,
        keys: Vec<Key>,
    },
}

impl Cmd {
    fn uid(&self) -> bool {
        match self {
            Cmd::Store { uid, .. }
            | Cmd::Copy { uid, .. }
            | Cmd::Move { uid, .. }
            | Cmd::Fetch { uid, .. }
            | Cmd::Search { uid, .. } => *uid,
            Cmd::UidExpunge(_) => true,
            _ => false,
        }
    }

    /// A `0` in one of its sets: the parser refuses the line.
    fn has_zero(&self) -> bool {
        let zero = |set: &Set| set.iter().any(|&(a, b)| a == Num::N(0) || b == Some(Num::N(0)));
        match self {
            Cmd::Store { set, .. }
            | Cmd::Copy { set, .. }
            | Cmd::Move { set, .. }
            | Cmd::Fetch { set, .. }
            | Cmd::UidExpunge(set) => zero(set),
            Cmd::Search { keys, .. } => {
                keys.iter().any(|k| matches!(k, Key::Uid(s) | Key::Seq(s) if zero(s)))
            }
            _ => false,
        }
    }

    /// FETCH, STORE and SEARCH, not their UID forms: no EXPUNGE while answering them.
    fn holds_expunges(&self) -> bool {
        matches!(self, Cmd::Fetch { .. } | Cmd::Store { .. } | Cmd::Search { .. }) && !self.uid()
    }
}

#[derive(Clone, Debug)]
enum Action {
    /// A command, written in pieces cut at these places.
    Send(Cmd, Vec<Index>),
    /// SMTP delivers a new message into INBOX.
    Deliver,
    /// Another mail program (not one of the two sessions) flips `\Flagged` on INBOX's
    /// first message [`FLIPS`] times: more changes than a watcher queues
    /// (`store::MAX_PENDING_CHANGES`), so the sessions must compare rather than replay.
    Flood,
}

/// An odd number over `store::MAX_PENDING_CHANGES` (1024).
const FLIPS: usize = 1025;

#[derive(Clone, Debug)]
enum Step {
    /// Session 0 or 1 acts.
    Run(usize, Action),
    /// Session 0 or 1 writes a command but its last piece; the other one acts; then the
    /// last piece comes.
    Overlap(usize, Cmd, Vec<Index>, Action),
    /// The session IDLEs while the other one acts, then sends DONE.
    Idle(usize, Vec<Action>),
}

#[derive(Clone, Debug)]
struct Case {
    inbox: Vec<Flags>,
    archive: Vec<Flags>,
    steps: Vec<Step>,
}

fn flags_of(bits: u8) -> Flags {
    Flags::NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits >> i & 1 == 1)
        .fold(Flags::NONE, |a, (_, (f, _))| a | *f)
}

fn flags() -> impl Strategy<Value = Flags> {
    prop_oneof![
        3 => Just(Flags::DELETED),
        1 => Just(Flags::SEEN),
        1 => Just(Flags::FLAGGED),
        3 => (0u8..32).prop_map(flags_of),
    ]
}

fn one_flag() -> impl Strategy<Value = Flags> {
    proptest::sample::select(Flags::NAMES.iter().map(|&(f, _)| f).collect::<Vec<_>>())
}

fn num() -> impl Strategy<Value = Num> {
    prop_oneof![
        30 => (1u32..=4).prop_map(Num::N),
        6 => (5u32..=9).prop_map(Num::N),
        8 => Just(Num::Star),
        1 => Just(Num::N(0)),
    ]
}

fn set() -> impl Strategy<Value = Set> {
    prop_oneof![
        1 => Just(vec![(Num::N(1), Some(Num::Star))]),
        4 => proptest::collection::vec((num(), proptest::option::of(num())), 1..=3),
    ]
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        2 => Just(Key::All),
        6 => (one_flag(), any::<bool>()).prop_map(|(f, on)| Key::Flag(f, on)),
        1 => Just(Key::Recent),
        1 => Just(Key::New),
        1 => Just(Key::Old),
        2 => set().prop_map(Key::Uid),
        2 => set().prop_map(Key::Seq),
    ]
}

fn to() -> impl Strategy<Value = To> {
    prop_oneof![6 => Just(To::Archive), 2 => Just(To::Inbox), 1 => Just(To::Missing)]
}

fn op() -> impl Strategy<Value = FlagOp> {
    prop_oneof![Just(FlagOp::Replace), Just(FlagOp::Add), Just(FlagOp::Remove)]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        7 => (any::<bool>(), set(), op(), any::<bool>(), flags())
            .prop_map(|(uid, set, op, silent, flags)| Cmd::Store { uid, set, op, silent, flags }),
        2 => (any::<bool>(), set(), to()).prop_map(|(uid, set, to)| Cmd::Copy { uid, set, to }),
        2 => (any::<bool>(), set(), to()).prop_map(|(uid, set, to)| Cmd::Move { uid, set, to }),
        3 => Just(Cmd::Expunge),
        1 => set().prop_map(Cmd::UidExpunge),
        2 => (to(), flags(), any::<bool>()).prop_map(|(to, flags, sync)| Cmd::Append { to, flags, sync }),
        2 => Just(Cmd::Noop),
        3 => (any::<bool>(), set(), proptest::bool::weighted(0.3))
            .prop_map(|(uid, set, body)| Cmd::Fetch { uid, set, body }),
        2 => (any::<bool>(), proptest::collection::vec(key(), 1..=2))
            .prop_map(|(uid, keys)| Cmd::Search { uid, keys }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        10 => (cmd(), proptest::collection::vec(any::<Index>(), 0..3)).prop_map(|(c, cuts)| Action::Send(c, cuts)),
        1 => Just(Action::Deliver),
        1 => proptest::bool::weighted(0.2).prop_map(|flood| if flood { Action::Flood } else { Action::Deliver }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => (0usize..2, action()).prop_map(|(s, a)| Step::Run(s, a)),
        2 => (0usize..2, cmd(), proptest::collection::vec(any::<Index>(), 1..3), action())
            .prop_map(|(s, c, cuts, a)| Step::Overlap(s, c, cuts, a)),
        1 => (0usize..2, proptest::collection::vec(action(), 1..4)).prop_map(|(s, a)| Step::Idle(s, a)),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(flags(), 0..=5),
        proptest::collection::vec(flags(), 0..=2),
        proptest::collection::vec(step(), 1..40),
    )
        .prop_map(|(inbox, archive, steps)| Case { inbox, archive, steps })
}

// ----- rendering ---------------------------------------------------------------------------

fn render_set(set: &Set) -> String {
    let n = |x: Num| match x {
        Num::N(k) => k.to_string(),
        Num::Star => "*".into(),
    };
    let parts: Vec<String> = set
        .iter()
        .map(|&(a, b)| match b {
            None => n(a),
            Some(b) => format!("{}:{}", n(a), n(b)),
        })
        .collect();
    parts.join(",")
}

fn render_key(k: &Key) -> String {
    match k {
        Key::All => "ALL".into(),
        Key::Flag(f, on) => {
            let name = f.to_string().trim_start_matches('\\').to_ascii_uppercase();
            if *on { name } else { format!("UN{name}") }
        }
        Key::Recent => "RECENT".into(),
        Key::New => "NEW".into(),
        Key::Old => "OLD".into(),
        Key::Uid(s) => format!("UID {}", render_set(s)),
        Key::Seq(s) => render_set(s),
    }
}

/// The command's octets; `id` is the message an APPEND carries.
fn render(tag: &str, cmd: &Cmd, id: u32) -> Vec<u8> {
    let u = if cmd.uid() { "UID " } else { "" };
    let line = match cmd {
        Cmd::Store { set, op, silent, flags, .. } => {
            let sign = match op {
                FlagOp::Replace => "",
                FlagOp::Add => "+",
                FlagOp::Remove => "-",
            };
            let silent = if *silent { ".SILENT" } else { "" };
            format!("{tag} {u}STORE {} {sign}FLAGS{silent} ({flags})", render_set(set))
        }
        Cmd::Copy { set, to, .. } => format!("{tag} {u}COPY {} {}", render_set(set), to.name()),
        Cmd::Move { set, to, .. } => format!("{tag} {u}MOVE {} {}", render_set(set), to.name()),
        Cmd::Expunge => format!("{tag} EXPUNGE"),
        Cmd::UidExpunge(set) => format!("{tag} UID EXPUNGE {}", render_set(set)),
        Cmd::Append { to, flags, sync } => {
            let m = message(id);
            let flags = if flags.is_empty() { String::new() } else { format!("({flags}) ") };
            let plus = if *sync { "" } else { "+" };
            let mut v = format!("{tag} APPEND {} {flags}{{{}{plus}}}\r\n", to.name(), m.len()).into_bytes();
            v.extend_from_slice(&m);
            v.extend_from_slice(b"\r\n");
            return v;
        }
        Cmd::Noop => format!("{tag} NOOP"),
        Cmd::Fetch { set, body, .. } => {
            let body = if *body { " BODY[TEXT]" } else { "" };
            format!("{tag} {u}FETCH {} (UID FLAGS{body})", render_set(set))
        }
        Cmd::Search { keys, .. } => {
            let keys: Vec<String> = keys.iter().map(render_key).collect();
            format!("{tag} {u}SEARCH {}", keys.join(" "))
        }
    };
    format!("{line}\r\n").into_bytes()
}

// ----- the model ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Msg {
    uid: u32,
    flags: Flags,
    /// Which message this is ([`message`]).
    id: u32,
}

#[derive(Clone, Debug)]
struct Folder {
    name: &'static str,
    validity: u32,
    msgs: Vec<Msg>,
    uid_next: u32,
    /// Messages from this UID on are `\Recent` for the next session that looks.
    recent_from: u32,
}

impl Folder {
    fn get(&self, uid: u32) -> Option<&Msg> {
        self.msgs.iter().find(|m| m.uid == uid)
    }

    fn get_mut(&mut self, uid: u32) -> Option<&mut Msg> {
        self.msgs.iter_mut().find(|m| m.uid == uid)
    }

    fn append(&mut self, flags: Flags, id: u32) -> u32 {
        let uid = self.uid_next;
        self.uid_next += 1;
        self.msgs.push(Msg { uid, flags, id });
        uid
    }

    fn uids(&self) -> Vec<u32> {
        self.msgs.iter().map(|m| m.uid).collect()
    }
}

/// What the server must believe one session knows of INBOX.
#[derive(Clone, Debug, Default)]
struct View {
    /// The UIDs by sequence number: message n is `uids[n - 1]`. Some may be expunged
    /// already, not yet told.
    uids: Vec<u32>,
    /// Messages from this UID on are news to the session.
    known_next: u32,
    /// The messages that are `\Recent` for this session (RFC 3501 §2.3.2).
    recent: BTreeSet<u32>,
}

struct Model {
    inbox: Folder,
    archive: Folder,
    views: [View; 2],
    next_id: u32,
}

/// The tagged response's code as the model wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Code {
    None,
    Is(&'static str),
    AppendUid(u32, u32),
    /// UIDVALIDITY of the target and the (old, new) UID pairs.
    CopyUid(u32, Vec<(u32, u32)>),
}

/// What the model says a command must get.
#[derive(Debug)]
struct Expect {
    cond: &'static str,
    code: Code,
    /// The server told the session its news before the tagged response: the flags the
    /// client knows must then be the store's.
    synced: bool,
    /// FETCH, STORE, SEARCH: no EXPUNGE (RFC 9051 §7.5.1).
    no_expunge: bool,
    /// The `* n FETCH` responses that carry a UID: (n, UID, the message whose text
    /// BODY[TEXT] must be).
    fetched: Vec<(u32, u32, Option<u32>)>,
    /// The UIDs whose new flags a STORE without `.SILENT` must report.
    reported: Vec<u32>,
    /// A `.SILENT` STORE: what it did to these UIDs (the client applies it itself).
    silent: Option<(FlagOp, Flags, Vec<u32>)>,
    search: Option<Vec<u32>>,
    /// MOVE's untagged `OK [COPYUID ...]` (RFC 6851 §4.3).
    moved: Option<Code>,
    continuations: usize,
}

impl Expect {
    fn new(cond: &'static str) -> Expect {
        Expect {
            cond,
            code: Code::None,
            synced: false,
            no_expunge: false,
            fetched: Vec::new(),
            reported: Vec::new(),
            silent: None,
            search: None,
            moved: None,
            continuations: 0,
        }
    }
}

fn apply(op: FlagOp, before: Flags, flags: Flags) -> Flags {
    match op {
        FlagOp::Replace => flags,
        FlagOp::Add => before | flags,
        FlagOp::Remove => before.minus(flags),
    }
}

/// `set` against `star`, its value of `*`: does it hold `v`?
fn in_set(set: &Set, v: u32, star: u32) -> bool {
    let n = |x: Num| match x {
        Num::N(k) => k,
        Num::Star => star,
    };
    set.iter().any(|&(a, b)| {
        let (a, b) = (n(a), n(b.unwrap_or(a)));
        (a.min(b)..=a.max(b)).contains(&v)
    })
}

/// The indexes into `uids` that `set` names, ascending, each once; `None` when a sequence
/// number is past the end or `*` names no message (RFC 3501 §9). UIDs that are not there
/// are skipped (§6.4.8).
fn resolve(uids: &[u32], set: &Set, uid: bool) -> Option<Vec<usize>> {
    let n = uids.len() as u32;
    let star = if uid { uids.last().copied().unwrap_or(0) } else { n };
    if !uid {
        let v = |x: Num| match x {
            Num::N(k) => k,
            Num::Star => n,
        };
        for &(a, b) in set {
            let (a, b) = (v(a), v(b.unwrap_or(a)));
            if a.min(b) == 0 || a.max(b) > n {
                return None;
            }
        }
    }
    Some((0..uids.len()).filter(|&i| in_set(set, if uid { uids[i] } else { i as u32 + 1 }, star)).collect())
}

impl Model {
    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn folder(&mut self, to: To) -> &mut Folder {
        match to {
            To::Inbox => &mut self.inbox,
            _ => &mut self.archive,
        }
    }

    /// The session claims INBOX's recent messages; they are `\Recent` for it alone.
    fn claim_recent(&mut self, s: usize) {
        let from = self.inbox.recent_from;
        self.views[s].recent.extend(self.inbox.msgs.iter().map(|m| m.uid).filter(|&u| u >= from));
        self.inbox.recent_from = self.inbox.uid_next;
    }

    fn select(&mut self, s: usize) {
        self.views[s] =
            View { uids: self.inbox.uids(), known_next: self.inbox.uid_next, recent: BTreeSet::new() };
        self.claim_recent(s);
    }

    /// The server tells session `s` what changed (RFC 9051 §7.5.1): with `expunge_ok` the
    /// expunged messages leave its numbering; new ones join it.
    fn sync(&mut self, s: usize, expunge_ok: bool) {
        let inbox = &self.inbox;
        let v = &mut self.views[s];
        if expunge_ok {
            v.uids.retain(|&u| inbox.get(u).is_some());
        }
        let new: Vec<u32> = inbox.msgs.iter().map(|m| m.uid).filter(|&u| u >= v.known_next).collect();
        if !new.is_empty() {
            v.known_next = inbox.uid_next;
            v.uids.extend(new);
            self.claim_recent(s);
        }
    }

    /// Session `s` sends `cmd`, which carries message `id` if it is an APPEND.
    fn command(&mut self, s: usize, cmd: &Cmd, id: u32) -> Expect {
        if cmd.has_zero() {
            // Refused by the parser: answered at once, no news (RFC 3501 §7.1.3).
            return Expect::new("BAD");
        }
        let uid = cmd.uid();
        if matches!(
            cmd,
            Cmd::Store { .. } | Cmd::Fetch { .. } | Cmd::Search { .. } | Cmd::Copy { .. } | Cmd::Move { .. }
        ) {
            self.sync(s, uid);
        } else if let Cmd::UidExpunge(_) = cmd {
            self.sync(s, true);
        }
        let mut e = Expect::new("OK");
        let targets = |me: &Model, set: &Set| resolve(&me.views[s].uids, set, uid);
        let expunge_issued = |e: &mut Expect, missing: bool| {
            if missing && !uid {
                e.cond = "NO";
                e.code = Code::Is("EXPUNGEISSUED");
            }
        };
        match cmd {
            Cmd::Store { set, op, silent, flags, .. } => match targets(self, set) {
                None => e.cond = "BAD",
                Some(idx) => {
                    let mut changed = Vec::new();
                    let mut missing = false;
                    for i in idx {
                        let u = self.views[s].uids[i];
                        match self.inbox.get_mut(u) {
                            Some(m) => {
                                m.flags = apply(*op, m.flags, *flags);
                                changed.push(u);
                                if uid && !silent {
                                    e.fetched.push((i as u32 + 1, u, None));
                                }
                            }
                            None => missing = true,
                        }
                    }
                    expunge_issued(&mut e, missing);
                    if *silent {
                        e.silent = Some((*op, *flags, changed));
                    } else {
                        e.reported = changed;
                    }
                }
            },
            Cmd::Fetch { set, body, .. } => match targets(self, set) {
                None => e.cond = "BAD",
                Some(idx) => {
                    let mut missing = false;
                    for i in idx {
                        let u = self.views[s].uids[i];
                        match self.inbox.get_mut(u) {
                            Some(m) => {
                                // RFC 3501 §6.4.5: BODY[...] sets \Seen.
                                if *body {
                                    m.flags = m.flags | Flags::SEEN;
                                }
                                e.fetched.push((i as u32 + 1, u, body.then_some(m.id)));
                            }
                            None => missing = true,
                        }
                    }
                    expunge_issued(&mut e, missing);
                }
            },
            Cmd::Search { keys, .. } => {
                let v = &self.views[s];
                let (n, last) = (v.uids.len() as u32, v.uids.last().copied().unwrap_or(0));
                let mut found = Vec::new();
                for (i, &u) in v.uids.iter().enumerate() {
                    let Some(m) = self.inbox.get(u) else { continue };
                    let recent = v.recent.contains(&u);
                    let hit = keys.iter().all(|k| match k {
                        Key::All => true,
                        Key::Flag(f, on) => m.flags.contains(*f) == *on,
                        Key::Recent => recent,
                        Key::New => recent && !m.flags.contains(Flags::SEEN),
                        Key::Old => !recent,
                        Key::Uid(set) => in_set(set, u, last),
                        Key::Seq(set) => in_set(set, i as u32 + 1, n),
                    });
                    if hit {
                        found.push(if uid { u } else { i as u32 + 1 });
                    }
                }
                e.search = Some(found);
            }
            Cmd::Copy { set, to, .. } | Cmd::Move { set, to, .. } => match targets(self, set) {
                None => e.cond = "BAD",
                Some(_) if *to == To::Missing => {
                    e.cond = "NO";
                    e.code = Code::Is("TRYCREATE");
                }
                Some(idx) => {
                    let moving = matches!(cmd, Cmd::Move { .. });
                    let originals: Vec<Msg> =
                        idx.iter().filter_map(|&i| self.inbox.get(self.views[s].uids[i]).copied()).collect();
                    let target = self.folder(*to);
                    let pairs: Vec<(u32, u32)> =
                        originals.iter().map(|m| (m.uid, target.append(m.flags, m.id))).collect();
                    if moving {
                        self.inbox.msgs.retain(|m| !originals.iter().any(|o| o.uid == m.uid));
                    }
                    if !pairs.is_empty() {
                        let code = Code::CopyUid(self.folder(*to).validity, pairs);
                        if moving {
                            e.moved = Some(code);
                        } else {
                            e.code = code;
                        }
                    }
                }
            },
            Cmd::Expunge => self.inbox.msgs.retain(|m| !m.flags.contains(Flags::DELETED)),
            Cmd::UidExpunge(set) => {
                let idx = targets(self, set).expect("a UID set always resolves");
                let gone: Vec<u32> = idx
                    .iter()
                    .map(|&i| self.views[s].uids[i])
                    .filter(|&u| self.inbox.get(u).is_some_and(|m| m.flags.contains(Flags::DELETED)))
                    .collect();
                self.inbox.msgs.retain(|m| !gone.contains(&m.uid));
            }
            Cmd::Append { to, flags, sync } => {
                e.continuations = usize::from(*sync);
                if *to == To::Missing {
                    e.cond = "NO";
                    e.code = Code::Is("TRYCREATE");
                } else {
                    let f = self.folder(*to);
                    let new = f.append(*flags, id);
                    e.code = Code::AppendUid(f.validity, new);
                }
            }
            Cmd::Noop => {}
        }
        e.no_expunge = cmd.holds_expunges();
        self.sync(s, !e.no_expunge);
        e.synced = true;
        e
    }
}

// ----- reading the server as a client does -----------------------------------------------------

/// One response (RFC 3501 §7), as much of it as the checks need.
#[derive(Debug)]
enum Resp {
    Continue,
    Tagged {
        tag: String,
        cond: String,
        code: Option<String>,
    },
    Exists(u32),
    Recent(u32),
    Expunge(u32),
    Fetch {
        seq: u32,
        uid: Option<u32>,
        flags: Option<(Flags, bool)>,
        body: Option<Vec<u8>>,
    },
    Search(Vec<u32>),
    /// `* OK [code] text`.
    Ok(Option<String>),
    /// `* FLAGS (...)`.
    Flags,
}

/// The server's output as responses: lines, each with the literals `{n}` inside it.
fn responses(bytes: &[u8]) -> Result<Vec<Resp>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let mut line = String::new();
        let mut literals = Vec::new();
        loop {
            let end = bytes[i..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| format!("output without CRLF: {:?}", String::from_utf8_lossy(&bytes[i..])))?;
            let part = std::str::from_utf8(&bytes[i..i + end]).map_err(|e| e.to_string())?;
            line.push_str(part);
            i += end + 2;
            let size: Option<usize> =
                part.strip_suffix('}').and_then(|p| p.rsplit_once('{')).and_then(|(_, n)| n.parse().ok());
            let Some(n) = size else { break };
            let literal = bytes.get(i..i + n).ok_or("a literal cut short")?;
            literals.push(literal.to_vec());
            i += n;
        }
        out.push(parse(&line, literals).map_err(|e| format!("{e}: {line:?}"))?);
    }
    Ok(out)
}

fn code_of(text: &str) -> Option<String> {
    let rest = text.strip_prefix('[')?;
    Some(rest[..rest.find(']')?].to_string())
}

fn parse(line: &str, literals: Vec<Vec<u8>>) -> Result<Resp, String> {
    if line == "+" || line.starts_with("+ ") {
        return Ok(Resp::Continue);
    }
    let Some(rest) = line.strip_prefix("* ") else {
        let mut words = line.splitn(3, ' ');
        let (tag, cond, text) = (words.next(), words.next(), words.next().unwrap_or(""));
        let (Some(tag), Some(cond)) = (tag, cond) else { return Err("not a response".into()) };
        return Ok(Resp::Tagged { tag: tag.into(), cond: cond.into(), code: code_of(text) });
    };
    let (first, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    if let Ok(n) = first.parse::<u32>() {
        let (what, tail) = tail.split_once(' ').unwrap_or((tail, ""));
        return match (what, tail) {
            ("EXISTS", "") => Ok(Resp::Exists(n)),
            ("RECENT", "") => Ok(Resp::Recent(n)),
            ("EXPUNGE", "") => Ok(Resp::Expunge(n)),
            ("FETCH", items) => fetch(n, items, literals),
            _ => Err("an unexpected untagged response".into()),
        };
    }
    match first {
        "SEARCH" => {
            let nums: Result<Vec<u32>, _> = tail.split_whitespace().map(str::parse).collect();
            Ok(Resp::Search(nums.map_err(|e| e.to_string())?))
        }
        "OK" => Ok(Resp::Ok(code_of(tail))),
        "FLAGS" => Ok(Resp::Flags),
        _ => Err("an unexpected untagged response".into()),
    }
}

/// `(UID 4 FLAGS (\Seen \Recent) BODY[TEXT] {n})`, the literals apart.
fn fetch(seq: u32, items: &str, literals: Vec<Vec<u8>>) -> Result<Resp, String> {
    let mut rest =
        items.strip_prefix('(').and_then(|r| r.strip_suffix(')')).ok_or("FETCH without parentheses")?;
    let mut literals = literals.into_iter();
    let (mut uid, mut flags, mut body) = (None, None, None);
    while !rest.is_empty() {
        let (item, value) = rest.split_once(' ').ok_or("a FETCH item without value")?;
        let (value, tail) = match item {
            "FLAGS" => {
                let close = value.find(')').ok_or("a flag list without ')'")?;
                (&value[..=close], &value[close + 1..])
            }
            _ => value.split_once(' ').map_or((value, ""), |(v, t)| (v, t)),
        };
        match item {
            "UID" => uid = Some(value.parse::<u32>().map_err(|e| e.to_string())?),
            "FLAGS" => {
                let list =
                    value.strip_prefix('(').and_then(|v| v.strip_suffix(')')).ok_or("a bad flag list")?;
                let mut f = Flags::NONE;
                let mut recent = false;
                for name in list.split_whitespace() {
                    match Flags::parse(name) {
                        Some(one) => f = f | one,
                        None if name == "\\Recent" => recent = true,
                        None => return Err(format!("an unknown flag {name}")),
                    }
                }
                flags = Some((f, recent));
            }
            "BODY[TEXT]" => body = Some(literals.next().ok_or("BODY[TEXT] without a literal")?),
            _ => return Err(format!("an unasked FETCH item {item}")),
        }
        rest = tail.strip_prefix(' ').unwrap_or(tail);
    }
    Ok(Resp::Fetch { seq, uid, flags, body })
}

/// One message as the client knows it.
#[derive(Clone, Debug, Default)]
struct Known {
    uid: Option<u32>,
    flags: Option<Flags>,
    recent: Option<bool>,
    /// Its flags were reported in the output being read.
    reported: bool,
}

/// What a session's client was told of INBOX: its messages by sequence number.
#[derive(Clone, Debug, Default)]
struct Client {
    msgs: Vec<Known>,
}

/// What one output of a session held besides the news the client applied.
#[derive(Debug, Default)]
struct Heard {
    tagged: Option<(String, String, Option<String>)>,
    /// FETCH responses with a UID: (n, UID, BODY[TEXT]).
    fetched: Vec<(u32, u32, Option<Vec<u8>>)>,
    search: Option<Vec<u32>>,
    untagged_ok: Vec<Option<String>>,
    continuations: usize,
    /// Whether the first response was a continuation.
    continued_first: bool,
    exists: Vec<u32>,
    recent: Vec<u32>,
    expunges: usize,
    /// EXPUNGEs after the first untagged `OK [COPYUID ...]`.
    expunges_after_copyuid: usize,
    flag_news: usize,
    /// FETCH responses with `\Recent` among the flags.
    recent_flags: usize,
}

impl Client {
    /// Reads one output as a client does. `no_expunge`: the command is FETCH, STORE or
    /// SEARCH; `selecting`: SELECT's untagged FLAGS and OK are expected.
    fn read(&mut self, resps: Vec<Resp>, no_expunge: bool, selecting: bool) -> Result<Heard, String> {
        let mut h = Heard::default();
        for m in &mut self.msgs {
            m.reported = false;
        }
        for (k, r) in resps.into_iter().enumerate() {
            if h.tagged.is_some() {
                return Err(format!("a response after the tagged one: {r:?}"));
            }
            let len = self.msgs.len() as u32;
            let in_range = |n: u32, what: &str| {
                if n == 0 || n > len {
                    Err(format!("* {n} {what}, but the client knows {len} messages"))
                } else {
                    Ok(n as usize - 1)
                }
            };
            match r {
                Resp::Continue => {
                    h.continuations += 1;
                    h.continued_first |= k == 0;
                }
                Resp::Tagged { tag, cond, code } => h.tagged = Some((tag, cond, code)),
                Resp::Exists(n) => {
                    // RFC 9051 §7.4.1 (RFC 3501 §7.3.1): only EXPUNGE makes a mailbox smaller.
                    if n < len {
                        return Err(format!(
                            "* {n} EXISTS without EXPUNGE, but the client knows {len} messages"
                        ));
                    }
                    self.msgs.resize(n as usize, Known::default());
                    h.exists.push(n);
                }
                Resp::Recent(n) => {
                    if n > len {
                        return Err(format!("* {n} RECENT of {len} messages"));
                    }
                    h.recent.push(n);
                }
                Resp::Expunge(n) => {
                    if no_expunge {
                        return Err(format!("* {n} EXPUNGE during FETCH, STORE or SEARCH (RFC 9051 §7.5.1)"));
                    }
                    let i = in_range(n, "EXPUNGE")?;
                    self.msgs.remove(i);
                    h.expunges += 1;
                    h.expunges_after_copyuid += usize::from(!h.untagged_ok.is_empty() && !selecting);
                }
                Resp::Fetch { seq, uid, flags, body } => {
                    let i = in_range(seq, "FETCH")?;
                    let m = &mut self.msgs[i];
                    if let Some(u) = uid {
                        if m.uid.is_some_and(|old| old != u) {
                            return Err(format!("message {seq} was UID {:?}, now UID {u}", m.uid));
                        }
                        m.uid = Some(u);
                        h.fetched.push((seq, u, body));
                    } else if body.is_some() {
                        return Err(format!("* {seq} FETCH with BODY[TEXT] but no UID"));
                    } else {
                        h.flag_news += 1;
                    }
                    if let Some((f, recent)) = flags {
                        h.recent_flags += usize::from(recent);
                        m.flags = Some(f);
                        m.recent = Some(recent);
                        m.reported = true;
                    }
                }
                Resp::Search(found) => {
                    if h.search.replace(found).is_some() {
                        return Err("two SEARCH responses".into());
                    }
                }
                Resp::Ok(code) if selecting || code.as_deref().is_some_and(|c| c.starts_with("COPYUID ")) => {
                    h.untagged_ok.push(code)
                }
                Resp::Flags if selecting => {}
                r => return Err(format!("an unexpected response {r:?}")),
            }
        }
        Ok(h)
    }
}

/// `1:3,5` as the UIDs in it, in order.
fn expand(set: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
                if a > b {
                    return None;
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().ok()?),
        }
    }
    Some(out)
}

fn code_matches(got: &Option<String>, want: &Code) -> bool {
    match (got.as_deref(), want) {
        (None, Code::None) => true,
        (Some(g), Code::Is(w)) => g == *w,
        (Some(g), Code::AppendUid(v, u)) => g == format!("APPENDUID {v} {u}"),
        (Some(g), Code::CopyUid(v, pairs)) => {
            let words: Vec<&str> = g.split(' ').collect();
            let [name, validity, from, to] = words[..] else { return false };
            let (Some(from), Some(to)) = (expand(from), expand(to)) else { return false };
            name == "COPYUID"
                && validity == v.to_string()
                && from.len() == to.len()
                && from.into_iter().zip(to).eq(pairs.iter().copied())
        }
        _ => false,
    }
}

// ----- the driver --------------------------------------------------------------------------------

/// How often the interesting cases happened, so that a passing run is not an empty one.
#[derive(Debug, Default)]
struct Stats {
    /// Non-UID FETCH, STORE or SEARCH sent while the session held expunges not yet told.
    held_expunges: usize,
    expunge_issued: usize,
    /// `* n EXPUNGE` received by a session for a message another session removed.
    expunges_of_others: usize,
    /// News pushed to a session in IDLE.
    idle_news: usize,
    /// `* n FETCH (FLAGS ...)` telling a session flags that another one (or the flood) set.
    flag_news: usize,
    copyuid: usize,
    moved: usize,
    trycreate: usize,
    out_of_range: usize,
    syntax_errors: usize,
    silent_stores: usize,
    appended: usize,
    uid_expunged: usize,
    recent_seen: usize,
    searches_found: usize,
    bodies: usize,
    split_writes: usize,
    /// A command whose pieces came before and after the other session's action.
    overlaps: usize,
    floods: usize,
}

struct Run {
    host: Host,
    model: Model,
    servers: [ImapServer; 2],
    clients: [Client; 2],
    now: SimTime,
    tags: u32,
    idle: Option<usize>,
    /// Per folder of the model (INBOX, Archive): UIDNEXT and UID → message at the last check.
    before: [(u32, BTreeMap<u32, u32>); 2],
    stats: Stats,
}

/// The bytes a session queued; a close is a failure here.
fn drain(s: &mut ImapServer) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(o) = s.poll_output() {
        match o {
            Output::Send { bytes, .. } => out.extend_from_slice(&bytes),
            Output::Close => {
                return Err(format!("the session closed after {:?}", String::from_utf8_lossy(&out)));
            }
            Output::Request(r) => return Err(format!("a request from IMAP: {r:?}")),
        }
    }
    Ok(out)
}

impl Run {
    fn new(case: &Case) -> Result<Run, String> {
        let mut store = MailStore::new();
        store.create_mailbox(USER).map_err(|e| e.to_string())?;
        let validity = |store: &MailStore, name| store.folder(USER, name).map(|f| f.uid_validity());
        let folder =
            |name, validity| Folder { name, validity, msgs: Vec::new(), uid_next: 1, recent_from: 1 };
        let mut model = Model {
            inbox: folder(INBOX, validity(&store, INBOX).map_err(|e| e.to_string())?),
            archive: folder(ARCHIVE, validity(&store, ARCHIVE).map_err(|e| e.to_string())?),
            views: Default::default(),
            next_id: 0,
        };
        for (to, list) in [(To::Inbox, &case.inbox), (To::Archive, &case.archive)] {
            for &flags in list {
                let id = model.id();
                store
                    .append(USER, to.name(), message(id), flags, SimTime::ZERO)
                    .map_err(|e| e.to_string())?;
                model.folder(to).append(flags, id);
            }
        }
        let peer = Peer { addr: "192.0.2.20".into(), name: None };
        let server = || ImapServer::new(ImapConfig::new("imap.example.net"), peer.clone(), SimTime::ZERO);
        let mut run = Run {
            host: Host { store },
            model,
            servers: [server(), server()],
            clients: Default::default(),
            now: SimTime::ZERO,
            tags: 0,
            idle: None,
            before: Default::default(),
            stats: Stats::default(),
        };
        for s in 0..2 {
            run.login_and_select(s).map_err(|e| format!("session {s}: {e}"))?;
        }
        run.check_store()?;
        Ok(run)
    }

    fn tick(&mut self) {
        self.now = self.now.plus(SimDuration::from_secs(1));
    }

    fn tag(&mut self) -> String {
        self.tags += 1;
        format!("t{}", self.tags)
    }

    /// Sends `bytes` to session `s` and reads the output.
    fn say(&mut self, s: usize, bytes: &[u8]) -> Result<Vec<Resp>, String> {
        self.tick();
        self.servers[s].handle_input(bytes, self.now, &mut self.host);
        responses(&drain(&mut self.servers[s])?)
    }

    fn login_and_select(&mut self, s: usize) -> Result<(), String> {
        drain(&mut self.servers[s])?;
        let tag = self.tag();
        let r = self.say(s, format!("{tag} LOGIN {USER} {PASSWORD}\r\n").as_bytes())?;
        if !matches!(&r[..], [Resp::Tagged { cond, .. }] if cond == "OK") {
            return Err(format!("LOGIN: {r:?}"));
        }
        let tag = self.tag();
        let r = self.say(s, format!("{tag} SELECT INBOX\r\n").as_bytes())?;
        self.model.select(s);
        let h = self.clients[s].read(r, false, true)?;
        let (inbox, view) = (&self.model.inbox, &self.model.views[s]);
        let unseen = inbox.msgs.iter().position(|m| !m.flags.contains(Flags::SEEN)).map(|i| i + 1);
        let mut want = vec![format!("UIDVALIDITY {}", inbox.validity), format!("UIDNEXT {}", inbox.uid_next)];
        if let Some(n) = unseen {
            want.push(format!("UNSEEN {n}"));
        }
        for w in &want {
            if !h.untagged_ok.iter().any(|c| c.as_deref() == Some(w.as_str())) {
                return Err(format!("SELECT did not say [{w}]: {:?}", h.untagged_ok));
            }
        }
        if unseen.is_none() && h.untagged_ok.iter().flatten().any(|c| c.starts_with("UNSEEN")) {
            return Err("SELECT named an unseen message, the model has none".into());
        }
        if h.exists != [inbox.msgs.len() as u32] || h.recent != [view.recent.len() as u32] {
            return Err(format!(
                "SELECT said EXISTS {:?} RECENT {:?}, the model {} and {}",
                h.exists,
                h.recent,
                inbox.msgs.len(),
                view.recent.len()
            ));
        }
        match h.tagged {
            Some((t, c, Some(code))) if t == tag && c == "OK" && code == "READ-WRITE" => {}
            t => return Err(format!("SELECT ended {t:?}")),
        }
        self.check_view(s, true)
    }

    /// A step: the session acts, then both hear of the store's changes.
    fn act(&mut self, s: usize, action: &Action) -> Result<(), String> {
        match action {
            Action::Deliver => {
                let id = self.model.id();
                self.host.store.deliver(USER, message(id), self.now).map_err(|e| e.to_string())?;
                self.model.inbox.append(Flags::NONE, id);
            }
            Action::Flood => {
                if let Some(m) = self.model.inbox.msgs.first_mut() {
                    let uid = m.uid;
                    // An odd number of flips: the flag ends the other way round.
                    let op = if m.flags.contains(Flags::FLAGGED) { FlagOp::Remove } else { FlagOp::Add };
                    m.flags = apply(op, m.flags, Flags::FLAGGED);
                    for _ in 0..FLIPS {
                        let f = self.host.store.folder(USER, INBOX).map_err(|e| e.to_string())?;
                        let flagged = f.by_uid(uid).is_some_and(|(_, m)| m.flags.contains(Flags::FLAGGED));
                        let op = if flagged { FlagOp::Remove } else { FlagOp::Add };
                        self.host
                            .store
                            .set_flags(USER, INBOX, uid, op, Flags::FLAGGED)
                            .map_err(|e| e.to_string())?;
                    }
                    self.stats.floods += 1;
                }
            }
            Action::Send(cmd, cuts) => self.send(s, cmd, cuts, None)?,
        }
        self.notify()?;
        self.check_store()
    }

    /// The driver tells both sessions the store changed: one in IDLE tells its client at
    /// once, the other says nothing (RFC 9051 §7.5.1: no EXPUNGE without a command).
    fn notify(&mut self) -> Result<(), String> {
        for s in 0..2 {
            self.servers[s].handle_store_change(self.now, &mut self.host);
            let out = drain(&mut self.servers[s])?;
            if self.idle != Some(s) {
                if !out.is_empty() {
                    return Err(format!(
                        "session {s} spoke outside a command: {:?}",
                        String::from_utf8_lossy(&out)
                    ));
                }
                continue;
            }
            self.model.sync(s, true);
            let h = self.clients[s].read(responses(&out)?, false, false)?;
            if h.tagged.is_some() || h.continuations > 0 || h.search.is_some() || !h.fetched.is_empty() {
                return Err(format!("session {s} in IDLE: {h:?}"));
            }
            self.stats.idle_news += h.exists.len() + h.expunges + h.flag_news;
            self.stats.expunges_of_others += h.expunges;
            self.stats.flag_news += h.flag_news;
            self.stats.recent_seen += h.recent_flags;
            self.check_view(s, true).map_err(|e| format!("session {s} in IDLE: {e}"))?;
            self.check_all_known(s).map_err(|e| format!("session {s} in IDLE: {e}"))?;
        }
        Ok(())
    }

    /// Session `s` sends `cmd` in pieces; `meanwhile`, the other session acts before the
    /// last piece.
    fn send(
        &mut self,
        s: usize,
        cmd: &Cmd,
        cuts: &[Index],
        meanwhile: Option<&Action>,
    ) -> Result<(), String> {
        let tag = self.tag();
        let id = self.model.next_id + 1;
        if matches!(cmd, Cmd::Append { .. }) {
            self.model.id();
        }
        let bytes = render(&tag, cmd, id);
        let line = String::from_utf8_lossy(&bytes).lines().next().unwrap_or_default().to_string();
        let at = |e: String| format!("session {s}, {line:?}: {e}");
        // Written in pieces: nothing but a continuation may come before the last one.
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.extend([0, bytes.len()]);
        points.sort_unstable();
        points.dedup();
        let last = points[points.len() - 2];
        let mut resps = Vec::new();
        for w in points.windows(2).filter(|w| w[1] < bytes.len()) {
            self.tick();
            self.servers[s].handle_input(&bytes[w[0]..w[1]], self.now, &mut self.host);
            let got = responses(&drain(&mut self.servers[s])?).map_err(at)?;
            self.stats.split_writes += 1;
            if let Some(r) = got.iter().find(|r| !matches!(r, Resp::Continue)) {
                return Err(at(format!("a response before the command was complete: {r:?}")));
            }
            resps.extend(got);
        }
        if let Some(a) = meanwhile {
            self.stats.overlaps += usize::from(last > 0);
            self.act(1 - s, a).map_err(|e| at(format!("meanwhile, session {}: {e}", 1 - s)))?;
        }
        // The server reads the command now.
        let pending = self.model.views[s].uids.iter().any(|&u| self.model.inbox.get(u).is_none());
        if pending && cmd.holds_expunges() {
            self.stats.held_expunges += 1;
        }
        let count = self.model.inbox.msgs.len();
        let e = self.model.command(s, cmd, id);
        if let Cmd::UidExpunge(_) = cmd {
            self.stats.uid_expunged += usize::from(self.model.inbox.msgs.len() < count);
        }
        // Expunges by another session, held back until now, are told now.
        if pending && !cmd.holds_expunges() && e.synced {
            self.stats.expunges_of_others += 1;
        }
        self.tick();
        self.servers[s].handle_input(&bytes[last..], self.now, &mut self.host);
        resps.extend(responses(&drain(&mut self.servers[s])?).map_err(at)?);
        let h = self.clients[s].read(resps, e.no_expunge, false).map_err(at)?;
        self.check_heard(s, &tag, &e, &h).map_err(at)?;
        if matches!(cmd, Cmd::Noop) {
            self.check_all_known(s).map_err(at)?;
        }
        Ok(())
    }

    fn check_heard(&mut self, s: usize, tag: &str, e: &Expect, h: &Heard) -> Result<(), String> {
        let model = format!("the model wants {} {:?}", e.cond, e.code);
        match &h.tagged {
            Some((t, cond, code))
                if t == tag && cond == e.cond && (e.cond == "BAD" || code_matches(code, &e.code)) => {}
            t => return Err(format!("tagged {t:?}, {model}")),
        }
        if !e.synced && (!h.exists.is_empty() || h.expunges > 0 || h.flag_news > 0 || !h.fetched.is_empty()) {
            return Err(format!("a refused line told news: {h:?}"));
        }
        if h.continuations != e.continuations || (e.continuations > 0 && !h.continued_first) {
            return Err(format!("{} continuations, the model wants {}", h.continuations, e.continuations));
        }
        let mut fetched: Vec<(u32, u32, Option<Vec<u8>>)> = h.fetched.clone();
        fetched.sort();
        let want: Vec<(u32, u32, Option<Vec<u8>>)> =
            e.fetched.iter().map(|&(n, u, id)| (n, u, id.map(|id| text(id).into_bytes()))).collect();
        if fetched != want {
            let show = |v: &[(u32, u32, Option<Vec<u8>>)]| -> Vec<(u32, u32, bool)> {
                v.iter().map(|(n, u, b)| (*n, *u, b.is_some())).collect()
            };
            return Err(format!("FETCH answered {:?}, the model wants {:?}", show(&fetched), show(&want)));
        }
        if h.search != e.search {
            return Err(format!("SEARCH said {:?}, the model wants {:?}", h.search, e.search));
        }
        match (&e.moved, &h.untagged_ok[..]) {
            (None, []) => {}
            (Some(want @ Code::CopyUid(_, pairs)), [got]) if code_matches(got, want) => {
                // RFC 6851 §4.3: COPYUID before the EXPUNGEs of the moved messages.
                if h.expunges_after_copyuid < pairs.len() {
                    return Err(format!(
                        "{} EXPUNGEs after OK [COPYUID], {} moved",
                        h.expunges_after_copyuid,
                        pairs.len()
                    ));
                }
            }
            (want, got) => return Err(format!("untagged OK {got:?}, the model wants {want:?}")),
        }
        // What a .SILENT STORE did, the client works out itself (RFC 3501 §6.4.6).
        let view = &self.model.views[s];
        if self.clients[s].msgs.len() != view.uids.len() {
            return Err(format!(
                "the client knows {} messages, the model's view {:?}",
                self.clients[s].msgs.len(),
                view.uids
            ));
        }
        let at = |u: u32| view.uids.iter().position(|&v| v == u).expect("a target is in the view");
        if let Some((op, flags, uids)) = &e.silent {
            for &u in uids {
                let k = &mut self.clients[s].msgs[at(u)];
                k.flags = match op {
                    FlagOp::Replace => Some(*flags),
                    _ => k.flags.map(|f| apply(*op, f, *flags)),
                };
            }
        }
        for &u in &e.reported {
            let k = &self.clients[s].msgs[at(u)];
            if !k.reported {
                return Err(format!("STORE did not report the flags of UID {u}"));
            }
        }
        self.check_view(s, e.synced)?;
        // Stats.
        let st = &mut self.stats;
        st.expunge_issued += usize::from(e.code == Code::Is("EXPUNGEISSUED"));
        st.trycreate += usize::from(e.code == Code::Is("TRYCREATE"));
        st.out_of_range += usize::from(e.cond == "BAD" && e.synced);
        st.syntax_errors += usize::from(!e.synced);
        st.copyuid += usize::from(matches!(e.code, Code::CopyUid(..)));
        st.moved += usize::from(e.moved.is_some());
        st.appended += usize::from(matches!(e.code, Code::AppendUid(..)));
        st.silent_stores += e.silent.as_ref().map_or(0, |(_, _, u)| usize::from(!u.is_empty()));
        st.searches_found += usize::from(e.search.as_ref().is_some_and(|f| !f.is_empty()));
        st.bodies += e.fetched.iter().filter(|f| f.2.is_some()).count();
        // A STORE's own answers carry no UID in the sequence form: not news.
        st.flag_news += h.flag_news.saturating_sub(if e.fetched.is_empty() { e.reported.len() } else { 0 });
        st.recent_seen += h.recent_flags;
        Ok(())
    }

    /// The client's list against the model's view; with `synced`, the flags it knows
    /// against the store's.
    fn check_view(&self, s: usize, synced: bool) -> Result<(), String> {
        let (client, view, inbox) = (&self.clients[s], &self.model.views[s], &self.model.inbox);
        if client.msgs.len() != view.uids.len() {
            return Err(format!(
                "the client knows {} messages, the model's view {:?}",
                client.msgs.len(),
                view.uids
            ));
        }
        for (i, (k, &u)) in client.msgs.iter().zip(&view.uids).enumerate() {
            let n = i + 1;
            if k.uid.is_some_and(|c| c != u) {
                return Err(format!("message {n} is UID {:?} to the client, UID {u} to the model", k.uid));
            }
            if k.recent.is_some_and(|r| r != view.recent.contains(&u)) {
                return Err(format!(
                    "message {n} (UID {u}): \\Recent {:?}, the model {}",
                    k.recent,
                    !k.recent.unwrap()
                ));
            }
            if let (true, Some(m), Some(f)) = (synced, inbox.get(u), k.flags)
                && f != m.flags
            {
                return Err(format!(
                    "message {n} (UID {u}) has flags ({f}) to the client, ({}) in the store",
                    m.flags
                ));
            }
        }
        Ok(())
    }

    /// After NOOP and in IDLE the client knows exactly INBOX: no expunge held back, no
    /// news untold.
    fn check_all_known(&self, s: usize) -> Result<(), String> {
        let (client, inbox) = (&self.clients[s], &self.model.inbox);
        let known: Vec<Option<u32>> = client.msgs.iter().map(|k| k.uid).collect();
        let want = inbox.uids();
        if known.len() != want.len() || known.iter().zip(&want).any(|(k, w)| k.is_some_and(|k| k != *w)) {
            return Err(format!("the client knows {known:?}, INBOX holds {want:?}"));
        }
        Ok(())
    }

    /// The store's folders against the model's; UIDs ascending, below UIDNEXT, never
    /// given to another message.
    fn check_store(&mut self) -> Result<(), String> {
        for (k, model) in [&self.model.inbox, &self.model.archive].into_iter().enumerate() {
            let f = self.host.store.folder(USER, model.name).map_err(|e| e.to_string())?;
            let at = |e: String| format!("{}: {e}", model.name);
            let got: Vec<Msg> = f
                .messages()
                .iter()
                .map(|m| Msg { uid: m.uid, flags: m.flags, id: id_of(&m.bytes).unwrap_or(u32::MAX) })
                .collect();
            if got.windows(2).any(|w| w[0].uid >= w[1].uid)
                || got.last().is_some_and(|m| m.uid >= f.uid_next())
            {
                return Err(at(format!("UIDs not ascending below UIDNEXT {}: {:?}", f.uid_next(), got)));
            }
            let (next_before, ids_before) = &self.before[k];
            if f.uid_next() < *next_before {
                return Err(at(format!("UIDNEXT went down from {next_before} to {}", f.uid_next())));
            }
            for m in &got {
                if m.uid < *next_before && ids_before.get(&m.uid) != Some(&m.id) {
                    return Err(at(format!(
                        "UID {} reused: it was {:?}, now message {}",
                        m.uid,
                        ids_before.get(&m.uid),
                        m.id
                    )));
                }
            }
            if got != model.msgs || f.uid_next() != model.uid_next || f.uid_validity() != model.validity {
                return Err(at(format!(
                    "the store holds {got:?} (UIDNEXT {}), the model {:?} (UIDNEXT {})",
                    f.uid_next(),
                    model.msgs,
                    model.uid_next
                )));
            }
            self.before[k] = (f.uid_next(), got.iter().map(|m| (m.uid, m.id)).collect());
        }
        Ok(())
    }

    fn idle(&mut self, s: usize, actions: &[Action]) -> Result<(), String> {
        let at = |e: String| format!("session {s} IDLE: {e}");
        let tag = self.tag();
        let r = self.say(s, format!("{tag} IDLE\r\n").as_bytes()).map_err(at)?;
        self.model.sync(s, true);
        let h = self.clients[s].read(r, false, false).map_err(at)?;
        if h.continuations != 1 || !h.continued_first || h.tagged.is_some() {
            return Err(at(format!("IDLE must answer '+' first, and no tagged response: {h:?}")));
        }
        self.check_view(s, true).map_err(at)?;
        self.check_all_known(s).map_err(at)?;
        self.idle = Some(s);
        for a in actions {
            self.act(1 - s, a)?;
        }
        self.idle = None;
        let r = self.say(s, b"DONE\r\n").map_err(at)?;
        self.model.sync(s, true);
        let h = self.clients[s].read(r, false, false).map_err(at)?;
        match &h.tagged {
            Some((t, c, None)) if *t == tag && c == "OK" => {}
            t => return Err(at(format!("DONE got {t:?}"))),
        }
        self.check_view(s, true).map_err(at)?;
        self.check_all_known(s).map_err(at)?;
        self.notify()
    }
}

fn run_case(case: &Case, stats: &mut Stats) -> Result<(), String> {
    let mut run = Run::new(case)?;
    for (k, step) in case.steps.iter().enumerate() {
        let at = |e: String| format!("step {k}: {e}");
        match step {
            Step::Run(s, a) => run.act(*s, a).map_err(at)?,
            Step::Overlap(s, cmd, cuts, a) => {
                run.send(*s, cmd, cuts, Some(a)).map_err(at)?;
                run.notify().map_err(at)?;
                run.check_store().map_err(at)?;
            }
            Step::Idle(s, actions) => run.idle(*s, actions).map_err(at)?,
        }
    }
    let s = run.stats;
    stats.held_expunges += s.held_expunges;
    stats.expunge_issued += s.expunge_issued;
    stats.expunges_of_others += s.expunges_of_others;
    stats.idle_news += s.idle_news;
    stats.flag_news += s.flag_news;
    stats.copyuid += s.copyuid;
    stats.moved += s.moved;
    stats.trycreate += s.trycreate;
    stats.out_of_range += s.out_of_range;
    stats.syntax_errors += s.syntax_errors;
    stats.silent_stores += s.silent_stores;
    stats.appended += s.appended;
    stats.uid_expunged += s.uid_expunged;
    stats.recent_seen += s.recent_seen;
    stats.searches_found += s.searches_found;
    stats.bodies += s.bodies;
    stats.split_writes += s.split_writes;
    stats.overlaps += s.overlaps;
    stats.floods += s.floods;
    Ok(())
}

/// 300 cases, or `PROPTEST_CASES`. Nothing is written to disk.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    Config { cases, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn two_imap_sessions_agree_with_the_model(case in case()) {
        let result = run_case(&case, &mut Stats::default());
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

/// The generator really reaches the cases the properties are about: a run that never held
/// an expunge back, never idled through news, never moved or copied, never met a missing
/// folder or a number past the end would prove little.
#[test]
fn the_generator_reaches_every_interesting_case() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = case();
    let mut stats = Stats::default();
    for _ in 0..128 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        run_case(&case, &mut stats).expect("the property test covers failures");
    }
    let s = &stats;
    let counts = [
        s.held_expunges,
        s.expunge_issued,
        s.expunges_of_others,
        s.idle_news,
        s.flag_news,
        s.copyuid,
        s.moved,
        s.trycreate,
        s.out_of_range,
        s.syntax_errors,
        s.silent_stores,
        s.appended,
        s.uid_expunged,
        s.recent_seen,
        s.searches_found,
        s.bodies,
        s.split_writes,
        s.overlaps,
        s.floods,
    ];
    assert!(counts.iter().all(|&n| n >= 3), "{stats:?}");
}
