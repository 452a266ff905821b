//! A model-based property test of the POP3 server (issue 7, "a property test: the
//! maildrop after any sequence of POP3 commands and disconnections equals a simple
//! model's").
//!
//! Each case is a maildrop of 0–5 random messages (CRLF lines, some starting with `.`, a
//! lone `.`, `..`), stored in a real [`MailStore`], and 1–3 sessions run one after the
//! other on that store. The host ([`Host`]) answers the server through
//! `pop3::maildrop::{open, message, delete, close}`, so the store's lock and UIDs are the
//! real ones. A session is a list of groups; a group is a list of command lines (USER
//! with the right or a wrong name, PASS right or wrong, APOP with the right or a wrong
//! digest, STAT, LIST [n], RETR n, DELE n, TOP n k, UIDL [n], NOOP, RSET, QUIT, CAPA,
//! keywords in random case, junk and malformed lines, a line with a bare LF inside, over-long lines and
//! a 255-octet one) sent as one byte string cut at random places into several writes; or
//! a second session that tries to log in while this one runs. A session ends with QUIT,
//! a dropped connection (`handle_close`, sometimes in the middle of a line), or the
//! autologout (`handle_timeout` just before and then at `poll_timeout`).
//!
//! After every write, for each command line it completed, the model says what the one
//! response must be, and the wire must hold exactly those responses and nothing more:
//! - `+OK`/`-ERR` as the model's state says (no such message, deleted message, wrong
//!   state, bad syntax, `[AUTH]` for wrong credentials), nothing once closed;
//! - multi-line responses end with `.CRLF`, and un-stuffing RETR/TOP gives back the
//!   message bytes (TOP: headers, blank line, k body lines);
//! - STAT and LIST sizes equal the model's (CRLF counted, deleted ones left out);
//! - UIDL values are valid, the same in every session, and never name two messages;
//! - `Close` exactly after a QUIT; the lock is held by the session in TRANSACTION.
//!
//! A second session while the first is in TRANSACTION gets `-ERR [IN-USE]`; otherwise it
//! logs in, QUITs and frees the lock. After each session the store's INBOX equals the
//! model's: only QUIT from TRANSACTION deletes, exactly the marked messages; a drop or an
//! autologout deletes nothing, and after the driver's `close_maildrop` the lock is free.
#![cfg(feature = "pop3")]

use std::collections::HashMap;
use std::rc::Rc;

use mailroom_core::pop3::server::{Pop3Config, Pop3Server, State};
use mailroom_core::pop3::{MaildropError, MessageError, Pop3Item, maildrop, md5_hex, valid_unique_id};
use mailroom_core::session::{Env, Output, RcptVerdict, Session};
use mailroom_core::smtp::server::Peer;
use mailroom_core::store::{INBOX, MailStore, SessionKey};
use mailroom_core::time::{SimDuration, SimTime};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

const USER: &str = "bob@example.net";
const PASSWORD: &str = "secret";
const SECRET: &str = "tanstaaf";
const AUTOLOGOUT: SimDuration = SimDuration::from_secs(600);

// ----- the host: a real store through pop3::maildrop -------------------------------------

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
    fn apop_secret(&mut self, user: &str) -> Option<String> {
        (user == USER).then(|| SECRET.to_string())
    }
    fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
        maildrop::open(&mut self.store, user, session)
    }
    fn maildrop_message(&mut self, user: &str, session: u64, uid: &str) -> Result<Rc<[u8]>, MessageError> {
        maildrop::message(&self.store, user, session, uid)
    }
    fn commit_deletions(&mut self, user: &str, session: u64, uids: &[String]) -> bool {
        maildrop::delete(&mut self.store, user, session, uids)
    }
    fn close_maildrop(&mut self, user: &str, session: u64) {
        maildrop::close(&mut self.store, user, session)
    }
}

fn inbox(store: &MailStore) -> Vec<Vec<u8>> {
    store.folder(USER, INBOX).expect("inbox").messages().iter().map(|m| m.bytes.to_vec()).collect()
}

// ----- what is generated -----------------------------------------------------------------

#[derive(Clone, Debug)]
enum Cmd {
    User(bool),
    Pass(bool),
    Apop(bool),
    Stat,
    List(Option<u32>),
    Retr(u32),
    Dele(u32),
    Top(u32, u32),
    Uidl(Option<u32>),
    Noop,
    Rset,
    Quit,
    Capa,
    /// A line the parser must refuse in every state (index into [`JUNK`]).
    Junk(usize),
    /// A line of this many octets before its CRLF, over the 255-octet limit, whose tail
    /// is `QUIT` (never to be run).
    Long(usize),
    /// `NOOP` padded with spaces to exactly 255 octets with its CRLF: read, refused for
    /// its argument.
    JustFits,
    /// `NOOP<LF>QUIT<CR><LF>`: one line with a bare LF inside (only CRLF ends a line,
    /// RFC 1939 §3), refused; its QUIT is never run.
    BareLf,
}

const JUNK: &[&[u8]] = &[
    b"FROB",
    b"",
    b"STAT 1",
    b"RETR x",
    b"12 34",
    b"RETR",
    b"TOP 1",
    b"USER",
    b"USER a b",
    b"LIST 1 2",
    b"RETR -1",
    b"DELE",
    b"QUIT now",
    b"NOOP x",
    b"PASS",
    b"CAPA 1",
    b"APOP bob xyz",
    b"USER b\0b",
    b"USER b\rb",
    b"\xff\xfe",
];

/// A message number: mostly 0–6 (0 and past the end name nothing), sometimes one too big
/// for `u32` (rendered as `99999999999`).
fn msg_number() -> impl Strategy<Value = u32> {
    prop_oneof![10 => 0u32..=6, 1 => Just(u32::MAX)]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        3 => any::<bool>().prop_map(Cmd::User),
        3 => any::<bool>().prop_map(Cmd::Pass),
        1 => any::<bool>().prop_map(Cmd::Apop),
        2 => Just(Cmd::Stat),
        3 => proptest::option::of(msg_number()).prop_map(Cmd::List),
        3 => msg_number().prop_map(Cmd::Retr),
        4 => msg_number().prop_map(Cmd::Dele),
        2 => (msg_number(), 0u32..4).prop_map(|(n, k)| Cmd::Top(n, k)),
        3 => proptest::option::of(msg_number()).prop_map(Cmd::Uidl),
        1 => Just(Cmd::Noop),
        2 => Just(Cmd::Rset),
        1 => Just(Cmd::Quit),
        1 => Just(Cmd::Capa),
        2 => (0..JUNK.len()).prop_map(Cmd::Junk),
        1 => (254usize..400).prop_map(Cmd::Long),
        1 => Just(Cmd::JustFits),
        1 => Just(Cmd::BareLf),
    ]
}

#[derive(Clone, Debug)]
enum Group {
    /// Command lines sent as one byte string cut at these places into writes; each a
    /// keyword case choice.
    Lines(Vec<(Cmd, u8)>, Vec<Index>),
    /// Another session tries to log in now.
    Second,
    /// New mail is delivered to the store now: seen by a login after this, not by a
    /// session already in TRANSACTION (RFC 1939 §4), and never deleted by its QUIT.
    Arrive(Vec<u8>),
}

fn group() -> impl Strategy<Value = Group> {
    let lines = (
        any::<bool>(),
        proptest::collection::vec((cmd(), 0u8..3), 1..8),
        proptest::collection::vec(any::<Index>(), 0..4),
    )
        .prop_map(|(login, mut cmds, cuts)| {
            if login {
                cmds.splice(0..0, [(Cmd::User(true), 0), (Cmd::Pass(true), 0)]);
            }
            Group::Lines(cmds, cuts)
        });
    prop_oneof![8 => lines, 1 => Just(Group::Second), 1 => message().prop_map(Group::Arrive)]
}

#[derive(Clone, Debug)]
enum End {
    Quit,
    /// The peer goes away; `true`: in the middle of a command line.
    Drop(bool),
    Autologout,
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![2 => Just(End::Quit), 1 => any::<bool>().prop_map(End::Drop), 1 => Just(End::Autologout)]
}

#[derive(Clone, Debug)]
struct Case {
    messages: Vec<Vec<u8>>,
    sessions: Vec<(Vec<Group>, End)>,
}

const LINES: &[&str] = &[
    "Subject: hi",
    "From: alice@example.org",
    "",
    ".",
    "..",
    ".hidden",
    "..two dots",
    "body text",
    "x",
    " ",
];

fn message() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::sample::select(LINES), 1..8).prop_map(|lines| {
        let mut m = Vec::new();
        for l in lines {
            m.extend_from_slice(l.as_bytes());
            m.extend_from_slice(b"\r\n");
        }
        m
    })
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(message(), 0..=5),
        proptest::collection::vec((proptest::collection::vec(group(), 0..5), end()), 1..=3),
    )
        .prop_map(|(messages, sessions)| Case { messages, sessions })
}

// ----- rendering -------------------------------------------------------------------------

fn keyword(k: &str, case: u8) -> String {
    match case {
        0 => k.to_string(),
        1 => k.to_ascii_lowercase(),
        _ => {
            k.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_lowercase() } else { c }).collect()
        }
    }
}

fn num(n: u32) -> String {
    if n == u32::MAX { "99999999999".to_string() } else { n.to_string() }
}

/// The line, with its line end. `timestamp` is the greeting's, for APOP.
fn render(cmd: &Cmd, case: u8, timestamp: &str) -> Vec<u8> {
    let k = |w: &str| keyword(w, case);
    let text = match cmd {
        Cmd::User(right) => format!("{} {}", k("USER"), if *right { USER } else { "eve@example.net" }),
        Cmd::Pass(right) => format!("{} {}", k("PASS"), if *right { PASSWORD } else { "wrong secret" }),
        Cmd::Apop(right) => {
            let secret = if *right { SECRET } else { "guess" };
            format!("{} {USER} {}", k("APOP"), md5_hex(format!("{timestamp}{secret}").as_bytes()))
        }
        Cmd::Stat => k("STAT"),
        Cmd::List(None) => k("LIST"),
        Cmd::List(Some(n)) => format!("{} {}", k("LIST"), num(*n)),
        Cmd::Retr(n) => format!("{} {}", k("RETR"), num(*n)),
        Cmd::Dele(n) => format!("{} {}", k("DELE"), num(*n)),
        Cmd::Top(n, l) => format!("{} {} {l}", k("TOP"), num(*n)),
        Cmd::Uidl(None) => k("UIDL"),
        Cmd::Uidl(Some(n)) => format!("{} {}", k("UIDL"), num(*n)),
        Cmd::Noop => k("NOOP"),
        Cmd::Rset => k("RSET"),
        Cmd::Quit => k("QUIT"),
        Cmd::Capa => k("CAPA"),
        Cmd::Junk(i) => {
            let mut v = JUNK[*i].to_vec();
            v.extend_from_slice(b"\r\n");
            return v;
        }
        Cmd::Long(len) => format!("NOOP {}QUIT", "x".repeat(len - 9)),
        Cmd::JustFits => format!("NOOP{}", " ".repeat(249)),
        Cmd::BareLf => return b"NOOP\nQUIT\r\n".to_vec(),
    };
    let mut v = text.into_bytes();
    v.extend_from_slice(b"\r\n");
    v
}

// ----- the model -------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Msg {
    /// Which generated message this is, for the "never reused" check of unique-ids.
    id: usize,
    bytes: Vec<u8>,
    /// Its unique-id, once a UIDL showed it, and the session that showed it first.
    uid: Option<(String, u64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// `Some(right name)` right after a successful USER.
    Auth(Option<bool>),
    Transaction,
    /// `true` when QUIT from TRANSACTION entered UPDATE.
    Closed(bool),
}

/// What must be checked of a `+OK` response.
#[derive(Debug)]
enum Check {
    Plain,
    Stat(usize, u64),
    ListOne(u32, u64),
    UidlOne(u32, usize),
    Capa,
    List(Vec<(u32, u64)>),
    Uidl(Vec<(u32, usize)>),
    Body(Vec<u8>),
}

#[derive(Debug)]
enum Exp {
    None,
    Err(Option<&'static str>),
    Ok(Check),
}

/// What the checks know across sessions, and what the run has covered.
#[derive(Default)]
struct Ctx {
    /// The maildrop as the session in TRANSACTION sees it (and the store outside one).
    msgs: Vec<Msg>,
    /// Every unique-id ever shown, and which message it named.
    uids: HashMap<String, usize>,
    session: u64,
    stats: Stats,
}

/// How often the interesting cases happened, so that a passing run is not an empty one.
#[derive(Debug, Default)]
struct Stats {
    logins: usize,
    quit_deleted: usize,
    unclean_with_marks: usize,
    autologouts: usize,
    in_use: usize,
    second_logins: usize,
    dotted_bodies: usize,
    uid_across_sessions: usize,
    arrivals_in_transaction: usize,
    split_lines: usize,
    deleted_refused: usize,
}

struct SessionModel {
    st: St,
    deleted: Vec<bool>,
}

impl SessionModel {
    fn valid(&self, msgs: &[Msg], n: u32) -> Option<usize> {
        let i = (n as usize).checked_sub(1)?;
        (i < msgs.len() && !self.deleted[i]).then_some(i)
    }

    /// One complete command line: the response it must get, and the new state.
    /// `locked_elsewhere`: another session holds the maildrop.
    fn step(&mut self, cmd: &Cmd, msgs: &[Msg], locked_elsewhere: bool) -> Exp {
        let pending = match self.st {
            St::Closed(_) => return Exp::None,
            St::Auth(p) => {
                self.st = St::Auth(None);
                p
            }
            St::Transaction => None,
        };
        if matches!(cmd, Cmd::Junk(_) | Cmd::Long(_) | Cmd::JustFits | Cmd::BareLf) {
            return Exp::Err(None);
        }
        let login = |me: &mut SessionModel| {
            if locked_elsewhere {
                return Exp::Err(Some("IN-USE"));
            }
            me.st = St::Transaction;
            me.deleted = vec![false; msgs.len()];
            Exp::Ok(Check::Plain)
        };
        if let St::Auth(_) = self.st {
            return match cmd {
                Cmd::User(right) => {
                    self.st = St::Auth(Some(*right));
                    Exp::Ok(Check::Plain)
                }
                Cmd::Pass(_) if pending.is_none() => Exp::Err(None),
                Cmd::Pass(right) if *right && pending == Some(true) => login(self),
                Cmd::Pass(_) => Exp::Err(Some("AUTH")),
                Cmd::Apop(true) => login(self),
                Cmd::Apop(false) => Exp::Err(Some("AUTH")),
                Cmd::Quit => {
                    self.st = St::Closed(false);
                    Exp::Ok(Check::Plain)
                }
                Cmd::Capa => Exp::Ok(Check::Capa),
                _ => Exp::Err(None),
            };
        }
        let live = |me: &SessionModel| (0..msgs.len()).filter(|&i| !me.deleted[i]).collect::<Vec<usize>>();
        let size = |i: usize| msgs[i].bytes.len() as u64;
        match cmd {
            Cmd::User(_) | Cmd::Pass(_) | Cmd::Apop(_) => Exp::Err(None),
            Cmd::Stat => {
                let l = live(self);
                Exp::Ok(Check::Stat(l.len(), l.iter().map(|&i| size(i)).sum()))
            }
            Cmd::List(None) => {
                Exp::Ok(Check::List(live(self).iter().map(|&i| (i as u32 + 1, size(i))).collect()))
            }
            Cmd::Uidl(None) => Exp::Ok(Check::Uidl(live(self).iter().map(|&i| (i as u32 + 1, i)).collect())),
            Cmd::List(Some(n)) => match self.valid(msgs, *n) {
                Some(i) => Exp::Ok(Check::ListOne(*n, size(i))),
                None => Exp::Err(None),
            },
            Cmd::Uidl(Some(n)) => match self.valid(msgs, *n) {
                Some(i) => Exp::Ok(Check::UidlOne(*n, i)),
                None => Exp::Err(None),
            },
            Cmd::Retr(n) => match self.valid(msgs, *n) {
                Some(i) => Exp::Ok(Check::Body(msgs[i].bytes.clone())),
                None => Exp::Err(None),
            },
            Cmd::Top(n, k) => match self.valid(msgs, *n) {
                Some(i) => Exp::Ok(Check::Body(top(&msgs[i].bytes, *k))),
                None => Exp::Err(None),
            },
            Cmd::Dele(n) => match self.valid(msgs, *n) {
                Some(i) => {
                    self.deleted[i] = true;
                    Exp::Ok(Check::Plain)
                }
                None => Exp::Err(None),
            },
            Cmd::Noop => Exp::Ok(Check::Plain),
            Cmd::Rset => {
                self.deleted.iter_mut().for_each(|d| *d = false);
                Exp::Ok(Check::Plain)
            }
            Cmd::Capa => Exp::Ok(Check::Capa),
            Cmd::Quit => {
                self.st = St::Closed(true);
                Exp::Ok(Check::Plain)
            }
            Cmd::Junk(_) | Cmd::Long(_) | Cmd::JustFits | Cmd::BareLf => unreachable!(),
        }
    }
}

/// The headers, the blank line, and the first `k` body lines (RFC 1939 §7); the whole
/// message when it has no blank line.
fn top(bytes: &[u8], k: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut in_body = false;
    let mut n = 0;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if in_body {
            if n == k {
                break;
            }
            n += 1;
        }
        out.extend_from_slice(line);
        if line == b"\r\n" {
            in_body = true;
        }
    }
    out
}

// ----- reading the wire ------------------------------------------------------------------

/// Takes one CRLF-ended line off the front of `wire`.
fn take_line(wire: &mut Vec<u8>) -> Result<Vec<u8>, String> {
    let p = wire.windows(2).position(|w| w == b"\r\n").ok_or_else(|| {
        format!("a response line is missing or lacks its CRLF: {:?}", String::from_utf8_lossy(wire))
    })?;
    let line = wire[..p].to_vec();
    wire.drain(..p + 2);
    if line.contains(&b'\n') || line.contains(&b'\r') {
        return Err(format!("a bare CR or LF in a response line: {:?}", String::from_utf8_lossy(&line)));
    }
    Ok(line)
}

/// Takes one response off the front of `wire` and checks it against `exp`.
fn check_response(wire: &mut Vec<u8>, exp: Exp, ctx: &mut Ctx) -> Result<(), String> {
    let check = match exp {
        Exp::None => return Ok(()),
        Exp::Err(code) => {
            let line = String::from_utf8(take_line(wire)?).map_err(|e| e.to_string())?;
            let ok = match code {
                Some(c) => line.starts_with(&format!("-ERR [{c}] ")),
                None => line.starts_with("-ERR ") && !line.starts_with("-ERR ["),
            };
            return if ok { Ok(()) } else { Err(format!("wanted -ERR {code:?}, got {line:?}")) };
        }
        Exp::Ok(check) => check,
    };
    let status = String::from_utf8(take_line(wire)?).map_err(|e| e.to_string())?;
    if !status.starts_with("+OK") || status.len() + 2 > 512 {
        return Err(format!("wanted +OK ({check:?}), got {status:?}"));
    }
    let rest = status[3..].trim_start();
    let mut learn = |i: usize, uid: &str| -> Result<(), String> {
        if !valid_unique_id(uid) {
            return Err(format!("invalid unique-id {uid:?}"));
        }
        match &ctx.msgs[i].uid {
            Some((u, _)) if u != uid => {
                return Err(format!("message {i}'s unique-id changed: {u} then {uid}"));
            }
            Some((_, first)) => ctx.stats.uid_across_sessions += usize::from(*first != ctx.session),
            None => ctx.msgs[i].uid = Some((uid.to_string(), ctx.session)),
        }
        let id = ctx.msgs[i].id;
        match ctx.uids.insert(uid.to_string(), id) {
            Some(other) if other != id => Err(format!("unique-id {uid} names two messages")),
            _ => Ok(()),
        }
    };
    let multi = match &check {
        Check::Plain => None,
        Check::Stat(n, octets) => {
            let want = format!("{n} {octets}");
            return if rest == want { Ok(()) } else { Err(format!("STAT: wanted {want}, got {status:?}")) };
        }
        Check::ListOne(n, size) => {
            let want = format!("{n} {size}");
            return if rest == want { Ok(()) } else { Err(format!("LIST n: wanted {want}, got {status:?}")) };
        }
        Check::UidlOne(n, i) => {
            let uid =
                rest.strip_prefix(&format!("{n} ")).ok_or_else(|| format!("UIDL {n}: got {status:?}"))?;
            return learn(*i, uid);
        }
        _ => Some(()),
    };
    if multi.is_none() {
        return Ok(());
    }
    // A multi-line body: lines up to `.CRLF`, each un-stuffed.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    loop {
        let line = take_line(wire)?;
        if line == b"." {
            break;
        }
        match line.strip_prefix(b".") {
            Some(rest) if rest.first() != Some(&b'.') => {
                return Err(format!("a badly stuffed line {:?}", String::from_utf8_lossy(&line)));
            }
            Some(rest) => lines.push(rest.to_vec()),
            None => lines.push(line),
        }
    }
    let text = |l: &[u8]| String::from_utf8_lossy(l).into_owned();
    match check {
        Check::Capa => {
            let caps: Vec<String> = lines.iter().map(|l| text(l)).collect();
            for want in ["TOP", "UIDL", "USER"] {
                if !caps.iter().any(|c| c == want) {
                    return Err(format!("CAPA lacks {want}: {caps:?}"));
                }
            }
            Ok(())
        }
        Check::List(want) => {
            let got: Vec<String> = lines.iter().map(|l| text(l)).collect();
            let want: Vec<String> = want.iter().map(|(n, s)| format!("{n} {s}")).collect();
            let total: u64 = want.iter().map(|w| w.split(' ').nth(1).unwrap().parse::<u64>().unwrap()).sum();
            let count =
                if want.len() == 1 { "1 message".to_string() } else { format!("{} messages", want.len()) };
            if got != want || !rest.starts_with(&format!("{count} ({total} octets)")) {
                return Err(format!("LIST: wanted {want:?}, got {status:?} {got:?}"));
            }
            Ok(())
        }
        Check::Uidl(want) => {
            if lines.len() != want.len() {
                return Err(format!("UIDL: wanted {} lines, got {lines:?}", want.len()));
            }
            for (line, (n, i)) in lines.iter().zip(want) {
                let line = text(line);
                let uid =
                    line.strip_prefix(&format!("{n} ")).ok_or_else(|| format!("UIDL: line {line:?}"))?;
                learn(i, uid)?;
            }
            Ok(())
        }
        Check::Body(want) => {
            let got: Vec<u8> = lines.iter().flat_map(|l| l.iter().copied().chain(*b"\r\n")).collect();
            if got != want {
                return Err(format!("body: wanted {:?}, got {:?}", text(&want), text(&got)));
            }
            Ok(())
        }
        Check::Plain | Check::Stat(..) | Check::ListOne(..) | Check::UidlOne(..) => unreachable!(),
    }
}

/// Drains the server: its bytes onto `wire`, and how many `Close`s.
fn drain(s: &mut Pop3Server, wire: &mut Vec<u8>) -> Result<usize, String> {
    let mut closes = 0;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Send { bytes, .. } if closes == 0 => wire.extend_from_slice(&bytes),
            Output::Send { .. } => return Err("bytes after the close".into()),
            Output::Close => closes += 1,
            Output::Request(r) => return Err(format!("a request from POP3: {r:?}")),
        }
    }
    Ok(closes)
}

// ----- the driver ------------------------------------------------------------------------

fn new_server(session: u64, now: SimTime) -> Pop3Server {
    let peer = Peer { addr: "192.0.2.20".into(), name: None };
    Pop3Server::new(Pop3Config::new("pop.example.net"), peer, session, now)
}

/// Another session tries to log in while `holder` runs; `holder_in_transaction` says
/// whether the model has it holding the lock.
fn second_session(
    host: &mut Host,
    id: u64,
    now: SimTime,
    holder: u64,
    holder_in_transaction: bool,
    stats: &mut Stats,
) -> Result<(), String> {
    let before = inbox(&host.store);
    let mut s = new_server(id, now);
    let mut wire = Vec::new();
    s.handle_input(format!("USER {USER}\r\nPASS {PASSWORD}\r\n").as_bytes(), now, host);
    if drain(&mut s, &mut wire)? != 0 {
        return Err("second session: closed".into());
    }
    let mut ctx = Ctx::default();
    for exp in [Exp::Ok(Check::Plain), Exp::Ok(Check::Plain)] {
        check_response(&mut wire, exp, &mut ctx)?;
    }
    if holder_in_transaction {
        check_response(&mut wire, Exp::Err(Some("IN-USE")), &mut ctx)
            .map_err(|e| format!("second session while the first holds the lock: {e}"))?;
        stats.in_use += 1;
        s.handle_close(now);
        if let Some(u) = s.user() {
            return Err(format!("a refused session names user {u}"));
        }
        if host.store.locked_by(USER) != Some(SessionKey(holder)) {
            return Err("the refused session took the holder's lock away".into());
        }
    } else {
        check_response(&mut wire, Exp::Ok(Check::Plain), &mut ctx)
            .map_err(|e| format!("second session while nobody holds the lock: {e}"))?;
        stats.second_logins += 1;
        s.handle_input(b"QUIT\r\n", now, host);
        if drain(&mut s, &mut wire)? != 1 {
            return Err("second session: QUIT did not close".into());
        }
        check_response(&mut wire, Exp::Ok(Check::Plain), &mut ctx)?;
        if host.store.locked_by(USER).is_some() {
            return Err("second session: QUIT left the lock held".into());
        }
    }
    if !wire.is_empty() {
        return Err(format!("second session: extra bytes {:?}", String::from_utf8_lossy(&wire)));
    }
    if inbox(&host.store) != before {
        return Err("second session changed the maildrop".into());
    }
    Ok(())
}

fn run_case(case: &Case, stats: &mut Stats) -> Result<(), String> {
    let mut host = Host { store: MailStore::new() };
    host.store.create_mailbox(USER).map_err(|e| format!("{e:?}"))?;
    let mut ctx = Ctx::default();
    let mut next_msg = 0;
    for m in &case.messages {
        host.store.deliver(USER, m.clone(), SimTime::ZERO).map_err(|e| format!("{e:?}"))?;
        ctx.msgs.push(Msg { id: next_msg, bytes: m.clone(), uid: None });
        next_msg += 1;
    }
    let mut now = SimTime::from_secs(1);
    let mut next_id = 100;
    for (k, (groups, end)) in case.sessions.iter().enumerate() {
        let id = k as u64 + 1;
        ctx.session = id;
        let tick = |now: &mut SimTime| *now = now.plus(SimDuration::from_secs(1));
        tick(&mut now);
        let mut s = new_server(id, now);
        let mut last_input = now;
        let mut wire = Vec::new();
        if drain(&mut s, &mut wire)? != 0 {
            return Err("closed at the greeting".into());
        }
        check_response(&mut wire, Exp::Ok(Check::Plain), &mut ctx)?;
        let mut sm = SessionModel { st: St::Auth(None), deleted: vec![false; ctx.msgs.len()] };
        // Mail delivered while this session holds the maildrop: not in its view.
        let mut arrived: Vec<Msg> = Vec::new();
        let quit = [Group::Lines(vec![(Cmd::Quit, 0)], Vec::new())];
        let all = groups.iter().chain(if matches!(end, End::Quit) { &quit[..] } else { &[] });
        for (g, group) in all.enumerate() {
            let at = |e: String| format!("session {id}, group {g}: {e}");
            match group {
                Group::Second => {
                    tick(&mut now);
                    next_id += 1;
                    second_session(&mut host, next_id, now, id, sm.st == St::Transaction, &mut ctx.stats)
                        .map_err(at)?;
                }
                Group::Arrive(m) => {
                    host.store.deliver(USER, m.clone(), now).map_err(|e| at(format!("{e:?}")))?;
                    let msg = Msg { id: next_msg, bytes: m.clone(), uid: None };
                    next_msg += 1;
                    if let St::Auth(_) = sm.st {
                        ctx.msgs.push(msg);
                    } else {
                        ctx.stats.arrivals_in_transaction += usize::from(sm.st == St::Transaction);
                        arrived.push(msg);
                    }
                }
                Group::Lines(cmds, cuts) => {
                    let lines: Vec<Vec<u8>> =
                        cmds.iter().map(|(c, case)| render(c, *case, s.timestamp())).collect();
                    let bytes = lines.concat();
                    let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
                    cuts.push(0);
                    cuts.push(bytes.len());
                    cuts.sort_unstable();
                    cuts.dedup();
                    let mut next_line = 0;
                    for w in cuts.windows(2) {
                        let chunk = &bytes[w[0]..w[1]];
                        ctx.stats.split_lines += usize::from(chunk.last() != Some(&b'\n'));
                        tick(&mut now);
                        if !matches!(sm.st, St::Closed(_)) {
                            last_input = now;
                        }
                        s.handle_input(chunk, now, &mut host);
                        let closes = drain(&mut s, &mut wire).map_err(at)?;
                        let mut want_closes = 0;
                        // The lines this write completed: only CRLF ends one (RFC 1939 §3).
                        let ends =
                            (w[0]..w[1]).filter(|&i| bytes[i] == b'\n' && i > 0 && bytes[i - 1] == b'\r');
                        for _ in 0..ends.count() {
                            let (cmd, _) = &cmds[next_line];
                            let line = String::from_utf8_lossy(&lines[next_line]).into_owned();
                            next_line += 1;
                            let before = sm.st;
                            if let (St::Transaction, Cmd::Retr(n) | Cmd::Dele(n) | Cmd::Top(n, _)) =
                                (before, cmd)
                            {
                                let i = (*n as usize).wrapping_sub(1);
                                ctx.stats.deleted_refused += usize::from(sm.deleted.get(i) == Some(&true));
                            }
                            let exp = sm.step(cmd, &ctx.msgs, false);
                            if before != St::Transaction && sm.st == St::Transaction {
                                ctx.stats.logins += 1;
                            }
                            if let Exp::Ok(Check::Body(b)) = &exp {
                                ctx.stats.dotted_bodies +=
                                    usize::from(b.starts_with(b".") || b.windows(3).any(|w| w == b"\n."));
                            }
                            if !matches!(before, St::Closed(_)) && matches!(sm.st, St::Closed(_)) {
                                want_closes += 1;
                            }
                            let e = format!("{exp:?}");
                            check_response(&mut wire, exp, &mut ctx)
                                .map_err(|err| at(format!("{line:?} (model: {e}): {err}")))?;
                        }
                        if !wire.is_empty() {
                            return Err(at(format!(
                                "extra response bytes {:?}",
                                String::from_utf8_lossy(&wire)
                            )));
                        }
                        if closes != want_closes {
                            return Err(at(format!("{closes} closes, the model wants {want_closes}")));
                        }
                    }
                }
            }
            // Invariants between groups.
            let at = |e: &str| format!("session {id}, after group {g}: {e}");
            let held = host.store.locked_by(USER);
            match sm.st {
                St::Transaction if held != Some(SessionKey(id)) => {
                    return Err(at("TRANSACTION without the lock"));
                }
                St::Auth(_) if held.is_some() => return Err(at("the lock is held before login")),
                St::Closed(_) if held.is_some() => return Err(at("the lock is held after QUIT")),
                _ => {}
            }
            let want_timeout = (!matches!(sm.st, St::Closed(_))).then(|| last_input.plus(AUTOLOGOUT));
            if s.poll_timeout() != want_timeout {
                return Err(at(&format!("poll_timeout {:?}, wanted {want_timeout:?}", s.poll_timeout())));
            }
        }
        // How the session ends.
        let at = |e: &str| format!("session {id}, end {end:?}: {e}");
        match end {
            End::Quit => {}
            End::Drop(partial) => {
                if *partial {
                    tick(&mut now);
                    s.handle_input(b"DELE 1\r\nQUI", now, &mut host);
                    let exp = sm.step(&Cmd::Dele(1), &ctx.msgs, false);
                    drain(&mut s, &mut wire)?;
                    check_response(&mut wire, exp, &mut ctx).map_err(|e| at(&e))?;
                }
                s.handle_close(now);
            }
            End::Autologout => {
                if let Some(deadline) = s.poll_timeout() {
                    s.handle_timeout(SimTime(deadline.0 - 1));
                    if drain(&mut s, &mut wire)? != 0 || !wire.is_empty() {
                        return Err(at("the autologout fired early"));
                    }
                    s.handle_timeout(deadline);
                    if drain(&mut s, &mut wire)? != 1 || !wire.is_empty() {
                        return Err(at("the autologout must close silently"));
                    }
                    ctx.stats.autologouts += 1;
                }
            }
        }
        let updated = sm.st == St::Closed(true);
        let marks = sm.deleted.iter().any(|&d| d);
        if sm.st == St::Transaction && marks {
            ctx.stats.unclean_with_marks += 1;
        }
        if !matches!(s.server_state(), State::Closed | State::Update) || !s.is_closed() {
            return Err(at(&format!("the server is not closed: {:?}", s.server_state())));
        }
        if (s.server_state() == State::Update) != updated {
            return Err(at(&format!("server state {:?}, model {:?}", s.server_state(), sm.st)));
        }
        // A closed session reads nothing.
        s.handle_input(b"DELE 1\r\nQUIT\r\n", now, &mut host);
        if drain(&mut s, &mut wire)? != 0 || !wire.is_empty() {
            return Err(at("a closed session answered"));
        }
        // The driver releases the lock after an unclean end (the module doc).
        if let Some(user) = s.user() {
            host.close_maildrop(user, s.session());
        }
        if host.store.locked_by(USER).is_some() {
            return Err(at("the lock is still held after the session ended"));
        }
        if updated {
            ctx.stats.quit_deleted += usize::from(marks);
            let mut i = 0;
            ctx.msgs.retain(|_| {
                i += 1;
                !sm.deleted[i - 1]
            });
        }
        ctx.msgs.append(&mut arrived);
        let want: Vec<Vec<u8>> = ctx.msgs.iter().map(|m| m.bytes.clone()).collect();
        let got = inbox(&host.store);
        if got != want {
            return Err(at(&format!("the store holds {} messages, the model {}", got.len(), want.len())));
        }
    }
    let Ctx { stats: s, .. } = ctx;
    stats.logins += s.logins;
    stats.quit_deleted += s.quit_deleted;
    stats.unclean_with_marks += s.unclean_with_marks;
    stats.autologouts += s.autologouts;
    stats.in_use += s.in_use;
    stats.second_logins += s.second_logins;
    stats.dotted_bodies += s.dotted_bodies;
    stats.uid_across_sessions += s.uid_across_sessions;
    stats.arrivals_in_transaction += s.arrivals_in_transaction;
    stats.split_lines += s.split_lines;
    stats.deleted_refused += s.deleted_refused;
    Ok(())
}

/// 1024 cases (about 2 s in debug), or `PROPTEST_CASES`. Nothing is written to disk.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    Config { cases, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn pop3_server_agrees_with_the_model(case in case()) {
        let result = run_case(&case, &mut Stats::default());
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

/// The generator really reaches the cases the properties are about: a run of passing
/// cases that never logged in, never QUIT with marks, never dropped a session holding
/// marks, never met the lock, or never showed a unique-id twice would prove little.
#[test]
fn the_generator_reaches_every_interesting_case() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = case();
    let mut stats = Stats::default();
    for _ in 0..256 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        run_case(&case, &mut stats).expect("the property test covers failures");
    }
    let Stats {
        logins,
        quit_deleted,
        unclean_with_marks,
        autologouts,
        in_use,
        second_logins,
        dotted_bodies,
        uid_across_sessions,
        arrivals_in_transaction,
        split_lines,
        deleted_refused,
    } = stats;
    let counts = [
        logins,
        quit_deleted,
        unclean_with_marks,
        autologouts,
        in_use,
        second_logins,
        dotted_bodies,
        uid_across_sessions,
        arrivals_in_transaction,
        split_lines,
        deleted_refused,
    ];
    assert!(counts.iter().all(|&n| n >= 3), "{stats:?}", stats = counts);
}
