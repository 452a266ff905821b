//! The POP3 server's harness: sessions of [`Pop3Server`] over a real [`MailStore`], answered
//! through [`crate::pop3::maildrop`] as the World and `mailroom-serve` answer them, two at
//! once or one after the other, with a checker that follows each conversation from the
//! outside and compares the store with what only QUIT may change.

use std::collections::VecDeque;
use std::rc::Rc;

use crate::fuzzing::{PASSWORDS, Step, check_held, decode, password_is_right};
use crate::line::{Line, LineReader};
use crate::pop3::server::{CAPABILITIES, Pop3Config, Pop3Server, State};
use crate::pop3::{
    MAX_COMMAND_LINE, MAX_RESPONSE_LINE, MaildropError, MessageError, Pop3Item, maildrop, md5_hex,
};
use crate::session::{Env, Output, RcptVerdict, Session};
use crate::smtp::server::Peer;
use crate::store::{INBOX, MailStore};
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, Status};

/// Messages as SMTP stores them (CRLF line ends): dot lines to stuff, an empty one, one
/// without a body; and one as IMAP's APPEND may have stored it, before it made line ends
/// CRLF: bare LFs, no last line end (RETR sends it with CRLFs, and its size counts them).
const MESSAGES: [&[u8]; 6] = [
    b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: Lunch\r\n\r\nLunch at noon?\r\n.see you there\r\n",
    b"From: news@example.com\r\nSubject: News\r\n\r\nLine one.\r\nLine two.\r\n",
    b"Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\n\r\nlast\r\n",
    b"",
    b"Subject: only a header\r\nX-Note: no blank line, no body\r\n",
    b"Subject: appended\n\n.dot\nlast line",
];

/// Bob's maildrop holds some of [`MESSAGES`], Alice's one or none, and Carol has no
/// mailbox here (her right password gets `[SYS/TEMP]`).
const USERS_WITH_MAILBOXES: [&str; 2] = ["bob@example.net", "alice@example.org"];

/// The host: a real store, the passwords (APOP's secret is the password), and a log of
/// what the server asked, for the checker to pair with the responses.
struct Host {
    store: MailStore,
    /// Messages cannot be read (RETR and TOP get `[SYS/TEMP]`).
    unreadable: bool,
    /// Every `open_maildrop` not yet paired with its response: the session, the user, and
    /// the maildrop it opened, or why not with the lock's holder at that moment.
    opens: VecDeque<(u64, String, Result<Inbox, (MaildropError, Option<u64>)>)>,
    /// `(session, unique-ids)` of every `commit_deletions` not yet paired with its QUIT.
    commits: Vec<(u64, Vec<String>)>,
}

impl Env for Host {
    fn recipient(&mut self, _client_addr: &str, _rcpt: &str) -> RcptVerdict {
        RcptVerdict::NoSuchUser
    }
    fn check_password(&mut self, user: &str, password: &str) -> bool {
        password_is_right(user, password)
    }
    fn apop_secret(&mut self, user: &str) -> Option<String> {
        secret(user).map(str::to_string)
    }
    fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
        let holder = self.store.locked_by(user).map(|k| k.0);
        let before = inbox(&self.store, user);
        let opened = maildrop::open(&mut self.store, user, session);
        let log = match &opened {
            Ok(_) => Ok(before),
            Err(e) => Err((*e, holder)),
        };
        self.opens.push_back((session, user.to_string(), log));
        opened
    }
    fn maildrop_message(&mut self, user: &str, session: u64, uid: &str) -> Result<Rc<[u8]>, MessageError> {
        if self.unreadable {
            return Err(MessageError::Unavailable);
        }
        maildrop::message(&self.store, user, session, uid)
    }
    fn commit_deletions(&mut self, user: &str, session: u64, uids: &[String]) -> bool {
        self.commits.push((session, uids.to_vec()));
        maildrop::delete(&mut self.store, user, session, uids)
    }
    fn close_maildrop(&mut self, user: &str, session: u64) {
        maildrop::close(&mut self.store, user, session);
    }
}

fn secret(user: &str) -> Option<&'static str> {
    PASSWORDS.iter().find(|(u, _)| u.eq_ignore_ascii_case(user)).map(|(_, p)| *p)
}

/// A user's INBOX as (unique-id, bytes).
type Inbox = Vec<(String, Rc<[u8]>)>;

fn inbox(store: &MailStore, user: &str) -> Inbox {
    let Ok(folder) = store.folder(user, INBOX) else { return Vec::new() };
    let validity = folder.uid_validity();
    folder.messages().iter().map(|m| (maildrop::unique_id(validity, m.uid), m.bytes.clone())).collect()
}

/// POP3 sessions from a fuzz input. The first byte chooses the store: bits 0–2 how many
/// of [`MESSAGES`] Bob has (0–6), bit 3 that messages cannot be read, bit 4 that Alice has
/// one too. The rest is steps ([`crate::fuzzing`]); `N` starts the next session (the
/// current one, if still open, is dropped), `S` switches between two sessions at once.
///
/// The checker reads what each session is sent with its own line reader, so it knows which
/// command line each response answers, and holds a model of the session (RFC 1939): its
/// state, the maildrop as it was opened, the marks. After every step it checks:
///
/// - every response is well-formed: `+OK` or `-ERR` (RFC 1939 §3), a response code only in
///   brackets right after `-ERR` (RFC 2449 §8) and as the trace says, a first line of at
///   most 512 octets (RFC 2449 §4) of printable US-ASCII, CRLF; a multi-line response ends
///   with `.CRLF`, every line of it ends with CRLF and every line that starts with a dot is
///   stuffed;
/// - the greeting first, with the session's APOP timestamp; then exactly one response per
///   command line, in order, until QUIT's, which the close follows; nothing after the
///   close; the autologout closes silently at `poll_timeout()`, not before (RFC 1939 §3);
/// - each response is the model's: `+OK`/`-ERR` and its code for the state and the command
///   (`[AUTH]` for wrong credentials, `[IN-USE]` exactly when another session holds the
///   lock, `[SYS/TEMP]` where there is no mailbox or the message cannot be read); STAT,
///   LIST and UIDL exact (sizes are the octets RETR delivers after un-stuffing, CRLF line
///   ends, unique-ids those of the store); RETR the message exactly, its lines ended by CRLF; TOP the header section and `n` lines;
///   CAPA what is offered;
/// - the store changes only at a QUIT from TRANSACTION, by exactly the marked messages
///   (RFC 1939 §6); a session that ends any other way (dropped, timed out, replaced)
///   deletes nothing, and once the driver released it, nobody holds the lock; the lock is
///   held exactly by the session in TRANSACTION;
/// - the server's own view (state, maildrop, marks) agrees with the model, and its
///   command-line buffer stays within 255 octets (RFC 2449 §4).
pub fn pop3_server(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else { return };
    let mut store = MailStore::new();
    for user in USERS_WITH_MAILBOXES {
        store.create_mailbox(user).expect("a new mailbox");
    }
    let bob = usize::from(first & 7).min(MESSAGES.len());
    for m in &MESSAGES[..bob] {
        store.deliver("bob@example.net", m.to_vec(), SimTime::ZERO).expect("room");
    }
    if first & 16 != 0 {
        store.deliver("alice@example.org", MESSAGES[0].to_vec(), SimTime::ZERO).expect("room");
    }
    let expected = USERS_WITH_MAILBOXES.iter().map(|u| inbox(&store, u)).collect();
    let host = Host { store, unreadable: first & 8 != 0, opens: VecDeque::new(), commits: Vec::new() };
    let mut run = Run { host, conns: [None, None], active: 0, next_id: 1, now: SimTime::ZERO, expected };
    run.open(0);
    run.check();
    for step in decode(rest) {
        run.now = run.now.plus(SimDuration::from_secs(1));
        let now = run.now;
        let i = run.active;
        match step {
            Step::Write(bytes) => {
                let c = run.conns[i].as_mut().expect("the active session");
                if !c.closed {
                    c.sent.extend(c.reader.read_all(&bytes));
                }
                c.server.handle_input(&bytes, now, &mut run.host);
            }
            Step::Tls => {
                // POP3 here has no STLS: a handshake nobody asked for changes nothing.
                let c = run.conns[i].as_mut().expect("the active session");
                let before = c.server.server_state();
                c.server.handle_tls(now);
                assert_eq!(c.server.server_state(), before, "handle_tls changed a POP3 session");
            }
            Step::Timeout => run.timeout(i),
            Step::Close => run.drop_session(i),
            Step::NewSession => {
                run.drop_session(i);
                run.open(i);
            }
            Step::Switch => {
                run.active = 1 - i;
                if run.conns[run.active].is_none() {
                    run.open(run.active);
                }
            }
            // The model's INBOX changes only at a QUIT: no deliveries here.
            Step::Deliver => {}
        }
        run.drain(run.active);
        run.check();
    }
    for i in 0..2 {
        if run.conns[i].is_some() {
            run.drop_session(i);
            run.drain(i);
        }
    }
    run.check();
}

/// Where a session is, as the model sees it (RFC 1939 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// AUTHORIZATION; the name of a successful USER right before.
    Authorization(Option<String>),
    /// TRANSACTION for this user (lower case), the maildrop as it was opened, the marks.
    Transaction { user: String, view: Inbox, marked: Vec<bool> },
    /// QUIT answered, or the connection ended.
    Over,
}

/// One connection, and what its conversation has established.
struct Conn {
    server: Pop3Server,
    id: u64,
    /// The server sent its close, or the connection ended.
    closed: bool,
    /// The checker's own reading of what the client sent, and the lines not yet answered.
    reader: LineReader,
    sent: VecDeque<Line>,
    greeted: bool,
    phase: Phase,
    /// After QUIT's response, the close must come next.
    expect_close: bool,
}

struct Run {
    host: Host,
    conns: [Option<Conn>; 2],
    active: usize,
    next_id: u64,
    now: SimTime,
    /// Each of [`USERS_WITH_MAILBOXES`]'s INBOX as it must be.
    expected: Vec<Inbox>,
}

impl Run {
    fn open(&mut self, i: usize) {
        let peer = Peer { addr: "192.0.2.20".into(), name: None };
        let server = Pop3Server::new(Pop3Config::new("pop.example.net"), peer, self.next_id, self.now);
        self.conns[i] = Some(Conn {
            server,
            id: self.next_id,
            closed: false,
            reader: LineReader::crlf(MAX_COMMAND_LINE),
            sent: VecDeque::new(),
            greeted: false,
            phase: Phase::Authorization(None),
            expect_close: false,
        });
        self.next_id += 1;
        self.drain(i);
    }

    /// The client went away (or was replaced): no UPDATE; the driver releases the lock.
    fn drop_session(&mut self, i: usize) {
        let c = self.conns[i].as_mut().expect("a session");
        c.server.handle_close(self.now);
        c.end();
        if let Some(user) = c.server.user() {
            self.host.close_maildrop(user, c.id);
        }
    }

    /// The autologout: nothing a microsecond before `poll_timeout()`, a silent close at it;
    /// the driver releases the lock.
    fn timeout(&mut self, i: usize) {
        let now = self.now;
        let c = self.conns[i].as_mut().expect("a session");
        let Some(at) = c.server.poll_timeout() else {
            c.server.handle_timeout(now);
            return;
        };
        if at > now {
            c.server.handle_timeout(SimTime(at.0 - 1));
            assert_eq!(c.server.poll_output(), None, "the autologout fired before its deadline");
        }
        let at = at.max(now);
        c.server.handle_timeout(at);
        assert_eq!(
            c.server.poll_output(),
            Some(Output::Close),
            "the autologout closes without a response (RFC 1939 §3)"
        );
        c.end();
        if let Some(user) = c.server.user() {
            self.host.close_maildrop(user, c.id);
        }
        self.now = at;
    }

    fn drain(&mut self, i: usize) {
        let Some(c) = self.conns[i].as_mut() else { return };
        while let Some(o) = c.server.poll_output() {
            assert!(!c.closed, "output after the connection closed: {o:?}");
            match o {
                Output::Send { bytes, kind } => {
                    assert!(!c.expect_close, "a response after QUIT's");
                    if let Some((user, deleted)) = c.respond(&bytes, &kind, &mut self.host) {
                        let u = USERS_WITH_MAILBOXES.iter().position(|u| *u == user);
                        if let Some(u) = u {
                            self.expected[u].retain(|(uid, _)| !deleted.contains(uid));
                        }
                    }
                }
                Output::Request(r) => panic!("a POP3 server asks nothing of the driver: {r:?}"),
                Output::Close => {
                    assert!(c.expect_close, "a close without QUIT's response");
                    c.end();
                }
            }
        }
        assert!(!c.expect_close, "QUIT's response was not followed by the close");
        if !c.closed {
            assert!(c.sent.is_empty(), "{} command lines got no response", c.sent.len());
        }
        assert!(
            self.host.opens.is_empty(),
            "a maildrop opened without a response to a login: {:?}",
            self.host.opens
        );
        assert!(
            self.host.commits.is_empty(),
            "deletions without a QUIT from TRANSACTION: {:?}",
            self.host.commits
        );
    }

    fn check(&self) {
        for c in self.conns.iter().flatten() {
            let s = &c.server;
            assert_eq!(
                s.is_closed(),
                c.closed,
                "is_closed() disagrees with the close the server sent or got"
            );
            assert_eq!(
                s.poll_timeout().is_none(),
                c.closed,
                "a timer must be armed exactly while the session is open"
            );
            check_held(&[s.held()]);
            match &c.phase {
                Phase::Authorization(pending) => {
                    assert_eq!(s.server_state(), State::Authorization { user_given: pending.is_some() });
                    assert!(s.user().is_none(), "a user before the login");
                }
                Phase::Transaction { user, view, marked } => {
                    assert_eq!(s.server_state(), State::Transaction);
                    assert_eq!(s.user().map(str::to_ascii_lowercase).as_deref(), Some(user.as_str()));
                    let msgs = s.messages();
                    let same = msgs.len() == view.len()
                        && msgs.iter().zip(view).zip(marked).all(|((m, (uid, bytes)), d)| {
                            m.1 == uid && m.2 == as_sent(bytes).len() as u64 && m.3 == *d
                        });
                    assert!(same, "the session's maildrop and marks are not the model's: {msgs:?}");
                }
                Phase::Over => assert!(c.closed, "a session past QUIT that did not close"),
            }
        }
        for (u, user) in USERS_WITH_MAILBOXES.iter().enumerate() {
            let got = inbox(&self.host.store, user);
            assert!(
                got == self.expected[u],
                "{user}'s INBOX changed without a QUIT that deleted it: {} messages, {} expected",
                got.len(),
                self.expected[u].len()
            );
            let holder = self.conns.iter().flatten().find(|c| match &c.phase {
                Phase::Transaction { user: u, .. } => u == user,
                _ => false,
            });
            let locked = self.host.store.locked_by(user).map(|k| k.0);
            assert_eq!(
                locked,
                holder.map(|c| c.id),
                "{user}'s lock is held by exactly the session in TRANSACTION"
            );
        }
    }
}

/// A message as RETR sends it, un-stuffed: every line ended by CRLF, a bare LF and a missing
/// last line end too (RFC 1939 §3); its length is the size STAT, LIST and RETR give (§11).
fn as_sent(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 2);
    for line in message.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The header section, the empty line and the first `n` lines of the body (RFC 1939 §7),
/// of a message as sent.
fn top(message: &[u8], n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut body_lines = None;
    for line in message.split_inclusive(|&b| b == b'\n') {
        if let Some(k) = &mut body_lines {
            if *k == n {
                break;
            }
            *k += 1;
        }
        out.extend_from_slice(line);
        if line == b"\r\n" && body_lines.is_none() {
            body_lines = Some(0);
        }
    }
    out
}

/// What the model expects of one response.
enum Want {
    Err(Option<&'static str>),
    /// `+OK`, with this first line (if it matters) and this multi-line body (if any).
    Ok(Option<String>, Option<Vec<u8>>),
}

impl Conn {
    /// The connection ended: lines not yet answered never will be.
    fn end(&mut self) {
        self.closed = true;
        self.expect_close = false;
        self.sent.clear();
        self.phase = Phase::Over;
    }

    /// Checks one response against the model and moves the model on. On a QUIT that
    /// deleted, returns the user and the unique-ids deleted.
    fn respond(&mut self, wire: &[u8], kind: &EventKind, host: &mut Host) -> Option<(String, Vec<String>)> {
        let EventKind::Reply { status: Status::Pop3 { ok, code }, to_verb, .. } = kind else {
            panic!("a POP3 server sends only responses, not {kind:?}");
        };
        let shown = String::from_utf8_lossy(wire);
        let r = check_response(wire, *ok, code.as_deref());
        if !self.greeted {
            self.greeted = true;
            assert!(*ok && to_verb.is_none(), "the first response must be the greeting: {shown:?}");
            assert!(
                r.text.ends_with(self.server.timestamp()),
                "the greeting ends with the APOP timestamp: {shown:?}"
            );
            return None;
        }
        let line =
            self.sent.pop_front().unwrap_or_else(|| panic!("a response to no command line: {shown:?}"));
        let (want, deleted) = self.model(&line, host);
        let line = match &line {
            Line::Complete { text, .. } => String::from_utf8_lossy(text).into_owned(),
            Line::TooLong { .. } => "(a line too long)".into(),
        };
        match want {
            Want::Err(want_code) => {
                assert!(
                    !*ok && code.as_deref() == want_code,
                    "{line:?} must get -ERR {want_code:?}: {shown:?}"
                )
            }
            Want::Ok(text, body) => {
                assert!(*ok, "{line:?} must get +OK: {shown:?}");
                if let Some(text) = text {
                    assert_eq!(r.text, text, "the response to {line:?}");
                }
                assert!(r.body == body, "the multi-line response to {line:?}: {shown:?}");
            }
        }
        deleted
    }

    /// What `line` must get now, and the model after it.
    fn model(&mut self, line: &Line, host: &mut Host) -> (Want, Option<(String, Vec<String>)>) {
        use crate::pop3::command::{Command, parse};
        let pending = match &mut self.phase {
            Phase::Authorization(pending) => pending.take(),
            _ => None,
        };
        let cmd = match line {
            Line::Complete { text, bare_lf: false } => parse(text),
            _ => Err(String::new()),
        };
        let Ok(cmd) = cmd else { return (Want::Err(None), None) };
        let capa = || {
            let body: String = CAPABILITIES.iter().map(|c| format!("{c}\r\n")).collect();
            Want::Ok(None, Some(body.into_bytes()))
        };
        if let Phase::Authorization(_) = self.phase {
            let login = |this: &mut Conn, host: &mut Host, name: &str| -> Want {
                let (session, user, opened) =
                    host.opens.pop_front().expect("a right login opens the maildrop");
                assert!(session == this.id && user == name, "the maildrop of {user} opened for {name}");
                match opened {
                    Ok(view) => {
                        let marked = vec![false; view.len()];
                        this.phase = Phase::Transaction { user: user.to_ascii_lowercase(), view, marked };
                        Want::Ok(None, None)
                    }
                    Err((MaildropError::Locked, holder)) => {
                        assert!(
                            holder.is_some_and(|h| h != this.id),
                            "[IN-USE] for {user}, whose lock nobody else holds"
                        );
                        Want::Err(Some("IN-USE"))
                    }
                    Err((MaildropError::Unavailable, _)) => {
                        assert!(
                            !host.store.has_mailbox(&user),
                            "[SYS/TEMP] at the login of {user}, who has a mailbox"
                        );
                        Want::Err(Some("SYS/TEMP"))
                    }
                }
            };
            let want = match cmd {
                Command::User(name) => {
                    self.phase = Phase::Authorization(Some(name));
                    Want::Ok(None, None)
                }
                Command::Pass(password) => match pending {
                    None => Want::Err(None),
                    Some(name) if password_is_right(&name, &password) => login(self, host, &name),
                    Some(_) => Want::Err(Some("AUTH")),
                },
                Command::Apop { name, digest } => {
                    let right =
                        secret(&name).map(|s| md5_hex(format!("{}{s}", self.server.timestamp()).as_bytes()));
                    if right.as_deref() == Some(digest.as_str()) {
                        login(self, host, &name)
                    } else {
                        Want::Err(Some("AUTH"))
                    }
                }
                Command::Quit => {
                    self.phase = Phase::Over;
                    self.expect_close = true;
                    Want::Ok(None, None)
                }
                Command::Capa => capa(),
                _ => Want::Err(None),
            };
            return (want, None);
        }
        let Phase::Transaction { user, view, marked } = &mut self.phase else {
            panic!("a response after the session ended");
        };
        let live = |n: u32| (n as usize).checked_sub(1).filter(|&i| i < view.len() && !marked[i]);
        let want = match cmd {
            // STLS only before a login (RFC 2595 §4), and never offered here.
            Command::User(_) | Command::Pass(_) | Command::Apop { .. } | Command::Stls => Want::Err(None),
            Command::Stat => {
                let (n, octets) = view
                    .iter()
                    .zip(marked.iter())
                    .filter(|(_, d)| !**d)
                    .fold((0, 0), |(n, o), (m, _)| (n + 1, o + as_sent(&m.1).len()));
                Want::Ok(Some(format!("{n} {octets}")), None)
            }
            Command::List(None) | Command::Uidl(None) => {
                let mut body = String::new();
                for (i, ((uid, bytes), d)) in view.iter().zip(marked.iter()).enumerate() {
                    if !d {
                        match cmd {
                            Command::List(_) => {
                                body.push_str(&format!("{} {}\r\n", i + 1, as_sent(bytes).len()))
                            }
                            _ => body.push_str(&format!("{} {uid}\r\n", i + 1)),
                        }
                    }
                }
                Want::Ok(None, Some(body.into_bytes()))
            }
            Command::List(Some(n)) | Command::Uidl(Some(n)) => match live(n) {
                Some(i) => match cmd {
                    Command::List(_) => Want::Ok(Some(format!("{n} {}", as_sent(&view[i].1).len())), None),
                    _ => Want::Ok(Some(format!("{n} {}", view[i].0)), None),
                },
                None => Want::Err(None),
            },
            Command::Retr(n) | Command::Top { msg: n, .. } => match live(n) {
                None => Want::Err(None),
                Some(_) if host.unreadable => Want::Err(Some("SYS/TEMP")),
                Some(i) => match cmd {
                    Command::Top { lines, .. } => Want::Ok(None, Some(top(&as_sent(&view[i].1), lines))),
                    _ => {
                        let sent = as_sent(&view[i].1);
                        Want::Ok(Some(format!("{} octets", sent.len())), Some(sent))
                    }
                },
            },
            Command::Dele(n) => match live(n) {
                Some(i) => {
                    marked[i] = true;
                    Want::Ok(None, None)
                }
                None => Want::Err(None),
            },
            Command::Noop => Want::Ok(None, None),
            Command::Rset => {
                marked.fill(false);
                Want::Ok(None, None)
            }
            Command::Capa => capa(),
            Command::Quit => {
                let uids: Vec<String> =
                    view.iter().zip(marked.iter()).filter(|(_, d)| **d).map(|(m, _)| m.0.clone()).collect();
                let commits = std::mem::take(&mut host.commits);
                match commits.as_slice() {
                    [] => assert!(uids.is_empty(), "QUIT deleted nothing of {uids:?}"),
                    [(id, asked)] => {
                        assert_eq!(*id, self.id, "another session's deletions");
                        assert_eq!(asked, &uids, "QUIT deletes exactly the marked messages (RFC 1939 §6)");
                    }
                    more => panic!("QUIT asked for deletions {} times", more.len()),
                }
                let user = user.clone();
                self.phase = Phase::Over;
                self.expect_close = true;
                return (Want::Ok(None, None), Some((user, uids)));
            }
        };
        (want, None)
    }
}

/// A response as read from the wire.
struct Response {
    /// The first line after `+OK `/`-ERR ` and its response code.
    text: String,
    /// A multi-line response's body, un-stuffed, each line with its CRLF.
    body: Option<Vec<u8>>,
}

/// Checks one response on the wire (RFC 1939 §3, RFC 2449 §4, §8) against what the trace
/// says of it.
fn check_response(wire: &[u8], ok: bool, code: Option<&str>) -> Response {
    let shown = String::from_utf8_lossy(wire);
    let end = wire
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or_else(|| panic!("a response must end with CRLF: {shown:?}"));
    let first = &wire[..end];
    assert!(end + 2 <= MAX_RESPONSE_LINE, "a first line of {} octets (RFC 2449 §4): {shown:?}", end + 2);
    // 7-bit printable US-ASCII (RFC 1939 §3, RFC 2449 §4): no 8-bit, and nothing a
    // terminal would act on.
    assert!(
        first.iter().all(|&b| b == b'\t' || (32..=126).contains(&b)),
        "a response line must be printable US-ASCII: {shown:?}"
    );
    let first = std::str::from_utf8(first).expect("ASCII");
    let rest = match (ok, first.strip_prefix("+OK"), first.strip_prefix("-ERR")) {
        (true, Some(rest), _) | (false, _, Some(rest)) => rest,
        _ => panic!("a response starts with +OK or -ERR as the trace says ({ok}): {shown:?}"),
    };
    assert!(rest.is_empty() || rest.starts_with(' '), "a space after +OK or -ERR: {shown:?}");
    let mut text = rest.strip_prefix(' ').unwrap_or(rest);
    match code {
        Some(c) => {
            assert!(!ok, "a response code on +OK: {shown:?}");
            text = text
                .strip_prefix(&format!("[{c}]"))
                .unwrap_or_else(|| panic!("the response code [{c}] right after -ERR: {shown:?}"));
            text = text.strip_prefix(' ').unwrap_or(text);
        }
        None => assert!(
            !text.starts_with('['),
            "a text in brackets reads as a response code (RFC 2449 §8): {shown:?}"
        ),
    }
    let after = &wire[end + 2..];
    if after.is_empty() {
        return Response { text: text.to_string(), body: None };
    }
    assert!(ok, "-ERR is always one line: {shown:?}");
    let body = after
        .strip_suffix(b".\r\n")
        .unwrap_or_else(|| panic!("a multi-line response ends with .CRLF: {shown:?}"));
    assert!(
        body.is_empty() || body.ends_with(b"\r\n"),
        "every line of a multi-line response ends with CRLF: {shown:?}"
    );
    let mut unstuffed = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|&b| b == b'\n') {
        let line = line
            .strip_suffix(b"\r\n")
            .unwrap_or_else(|| panic!("a bare LF in a multi-line response: {shown:?}"));
        assert!(!line.contains(&b'\r'), "a bare CR in a multi-line response: {shown:?}");
        let line = match line.first() {
            Some(b'.') => line.strip_prefix(b".").filter(|l| l.first() == Some(&b'.')).unwrap_or_else(|| {
                panic!("a line that starts with a dot must be stuffed (RFC 1939 §3): {shown:?}")
            }),
            _ => line,
        };
        unstuffed.extend_from_slice(line);
        unstuffed.extend_from_slice(b"\r\n");
    }
    Response { text: text.to_string(), body: Some(unstuffed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_responses_pass() {
        let r = check_response(b"+OK 2 173\r\n", true, None);
        assert_eq!((r.text.as_str(), r.body), ("2 173", None));
        let r = check_response(b"-ERR [IN-USE] locked\r\n", false, Some("IN-USE"));
        assert_eq!(r.text, "locked");
        let r = check_response(b"+OK\r\na\r\n..b\r\n\r\n.\r\n", true, None);
        assert_eq!(r.body.as_deref(), Some(&b"a\r\n.b\r\n\r\n"[..]));
        let r = check_response(b"+OK top\r\n.\r\n", true, None);
        assert_eq!(r.body.as_deref(), Some(&b""[..]));
        assert_eq!(top(b"A: 1\r\n\r\nx\r\ny\r\n", 1), b"A: 1\r\n\r\nx\r\n");
        assert_eq!(top(b"A: 1\r\nB: 2\r\n", 0), b"A: 1\r\nB: 2\r\n");
        assert_eq!(as_sent(b"A: 1\n\n.x\r\nlast"), b"A: 1\r\n\r\n.x\r\nlast\r\n");
        assert_eq!(as_sent(b""), b"");
    }

    /// The checker is only worth something if it fails: each of these must panic.
    #[test]
    fn malformed_responses_are_caught() {
        let long = format!("+OK {}\r\n", "x".repeat(600));
        let cases: &[(&[u8], bool, Option<&str>)] = &[
            (b"+OK", true, None),
            (b"+ok\r\n", true, None),
            (b"+OK\r\n", false, None),
            (b"-ERR no\r\n", true, None),
            (b"+OKAY\r\n", true, None),
            (b"-ERR [IN-USE] locked\r\n", false, None),
            (b"-ERR [AUTH] no\r\n", false, Some("IN-USE")),
            (b"-ERR no\r\nmore\r\n.\r\n", false, None),
            (b"+OK\r\nbody\r\n", true, None),
            (b"+OK\r\n.x\r\n.\r\n", true, None),
            (b"+OK\r\na\nb\r\n.\r\n", true, None),
            (b"+OK \x1b[2J\r\n", true, None),
            ("-ERR line too long (RFC 2449 \u{a7}4)\r\n".as_bytes(), false, None),
            (b"+OK caf\xe9\r\n", true, None),
            (long.as_bytes(), true, None),
        ];
        for (wire, ok, code) in cases {
            let caught = std::panic::catch_unwind(|| check_response(wire, *ok, *code)).is_err();
            assert!(caught, "{:?} passed", String::from_utf8_lossy(wire));
        }
    }
}
