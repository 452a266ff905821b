//! The IMAP server's harness: sessions of [`ImapServer`] over a real [`MailStore`], two at
//! once or one after the other, with mail arriving in between, driven as `mailroom-serve`
//! drives them (the store lent through [`Env::mail_store`], every open session told after
//! each event that the store may have changed, a session that ends without LOGOUT
//! released). A checker reads what each client sent with a [`Framer`] of its own, pairs
//! every command with its responses, reads every response with a parser of its own
//! (RFC 3501 §7, §9) and follows what the client has been told of its selected folder.

use std::collections::{BTreeMap, VecDeque};

use crate::fuzzing::{Step, check_held, decode, password_is_right};
use crate::imap::command::{self, Command, Frame, Framer, MAX_APPEND, MAX_COMMAND, MAX_LINE, Refusal};
use crate::imap::server::{ImapConfig, ImapServer, State};
use crate::line::Held;
use crate::session::{Env, Output, RcptVerdict, Session};
use crate::smtp::server::Peer;
use crate::store::{Flags, Folder, INBOX, MAX_FOLDERS, MailStore, WatcherId};
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, ImapCondition, ImapResponse, Status};

const BOB: &str = "bob@example.net";
const ALICE: &str = "alice@example.org";

/// Messages as SMTP stores them: a full header (ENVELOPE, SENTON), short ones, a multipart
/// with an attachment and a forwarded message (BODYSTRUCTURE, `BODY[2.1]`), an empty one.
const MESSAGES: [&[u8]; 5] = [
    b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nFrom: Alice <alice@example.org>\r\nTo: bob@example.net, \"Carol, C.\" <carol@example.net>\r\nSubject: Lunch\r\nMessage-ID: <1@example.org>\r\n\r\nLunch at noon?\r\n",
    b"From: news@example.com\r\nSubject: News\r\n\r\nLine one.\r\nLine two.\r\n",
    b"From: carol@example.net\r\nSubject: Hello\r\n\r\nHi\r\n",
    b"From: alice@example.org\r\nSubject: Photo\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere it is.\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: carol@example.net\r\nSubject: Fwd\r\n\r\nforwarded\r\n--b1\r\nContent-Type: image/png; name=p.png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--b1--\r\n",
    b"",
];

/// What SMTP files into Bob's INBOX at each `D` step.
const DELIVERED: &[u8] =
    b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: New mail\r\n\r\nHi Bob\r\n";

/// What the first byte of an input chooses.
#[derive(Clone, Copy, Debug)]
struct Setup {
    /// Bits 0–2: how many of [`MESSAGES`] Bob's INBOX holds (at most 5). His Archive
    /// always holds two.
    inbox: usize,
    /// Bit 3: folders inside others (`INBOX/Lists`, `Archive/2025`): `\HasChildren`,
    /// `[HASCHILDREN]`, a RENAME that moves children.
    children: bool,
    /// Bit 4: Alice has a mailbox too, with one message: a second user on the same store.
    alice: bool,
    /// Bit 5: Bob's mailbox is full to the octet: APPEND and COPY get `[OVERQUOTA]`.
    full: bool,
    /// Bit 6: the INBOX comes flagged: the first message `\Seen`, the second `\Deleted`
    /// (so EXPUNGE and CLOSE have something to remove).
    flagged: bool,
}

impl Setup {
    fn from_byte(b: u8) -> Setup {
        Setup {
            inbox: usize::from(b & 7).min(MESSAGES.len()),
            children: b & 8 != 0,
            alice: b & 16 != 0,
            full: b & 32 != 0,
            flagged: b & 64 != 0,
        }
    }

    fn store(self) -> MailStore {
        let mut store = MailStore::new();
        store.create_mailbox(BOB).expect("a new mailbox");
        for (i, m) in MESSAGES[..self.inbox].iter().enumerate() {
            let flags = match i {
                0 if self.flagged => Flags::SEEN,
                1 if self.flagged => Flags::DELETED,
                _ => Flags::NONE,
            };
            store.append(BOB, INBOX, m.to_vec(), flags, SimTime::ZERO).expect("room");
        }
        for m in [MESSAGES[3], MESSAGES[0]] {
            store.append(BOB, "Archive", m.to_vec(), Flags::SEEN, SimTime::ZERO).expect("room");
        }
        if self.children {
            for name in ["INBOX/Lists", "Archive/2025"] {
                store.create_folder(BOB, name).expect("a new folder");
            }
            store.append(BOB, "INBOX/Lists", MESSAGES[1].to_vec(), Flags::NONE, SimTime::ZERO).expect("room");
        }
        if self.alice {
            store.create_mailbox(ALICE).expect("a new mailbox");
            store.deliver(ALICE, MESSAGES[2].to_vec(), SimTime::ZERO).expect("room");
        }
        if self.full {
            let used = store.quota(BOB).expect("Bob's mailbox").used;
            store.set_quota(BOB, Some(used)).expect("Bob's mailbox");
        }
        store
    }
}

/// What one command (or refusal, or continuation, or store change) may be answered with,
/// besides what grows with its length and with the mailbox: fixed texts and codes.
const PER_FRAME: u64 = 1024;
/// Per octet the client writes: echoes of it (a tag, a mailbox name in a NO), a control
/// character shown escaped in at most 6 (`\u{1b}`).
const PER_INPUT_OCTET: u64 = 8;
/// Per message the client knows (the most while one command is answered): a `* n FETCH
/// (FLAGS ...)`, a `* n EXPUNGE`, a SEARCH hit or a COPYUID entry each take far less.
const PER_MESSAGE: u64 = 128;
/// Per folder a mailbox may have ([`MAX_FOLDERS`]), for LIST and LSUB: a line with the
/// folder's name (at most 255 octets) as a literal.
const PER_FOLDER: u64 = 640;
/// What a FETCH may add besides: the server's own limit, twice the folder and a MiB
/// (`ImapServer::fetch`), the folder being at most all the store held.
fn per_fetch(most_bytes: u64) -> u64 {
    2 * most_bytes + (1 << 20)
}

/// The host: a real store, the passwords, and a log of the logins the server checked.
struct Host {
    store: MailStore,
    /// Users whose password was found right, not yet paired with the response to their login.
    logins: VecDeque<String>,
    /// The most octets the store held at any moment a session asked for it.
    most_bytes: u64,
}

impl Env for Host {
    fn recipient(&mut self, _client_addr: &str, _rcpt: &str) -> RcptVerdict {
        RcptVerdict::NoSuchUser
    }

    fn check_password(&mut self, user: &str, password: &str) -> bool {
        let right = password_is_right(user, password);
        if right {
            self.logins.push_back(user.to_string());
        }
        right
    }

    fn mail_store(&mut self) -> Option<&mut MailStore> {
        self.most_bytes = self.most_bytes.max(self.store.used());
        Some(&mut self.store)
    }
}

/// IMAP sessions from a fuzz input. The first byte chooses the store (see [`Setup`]); the
/// rest is steps ([`crate::fuzzing`]): `N` starts the next session (the current one, if
/// still open, is dropped), `S` switches between two sessions at once, `D` has SMTP file a
/// new message into Bob's INBOX. After every step every open session is told that the store
/// may have changed (`Session::handle_store_change`), as `mailroom-serve` does.
///
/// The checker reads what each client sent with its own [`Framer`] (in the mode the
/// server's responses put the session in: commands, an AUTHENTICATE response, IDLE's DONE),
/// so it knows which command each response answers. It checks:
///
/// - every response is well-formed (RFC 3501 §7, §9): it ends with CRLF; a status response
///   (`tag OK|NO|BAD`, `* OK|NO|BAD|BYE`) is one line, its response code in brackets
///   right after the condition, its text printable US-ASCII (so is a `+`'s); data (`* 3
///   EXISTS`, `* 1 FETCH (...)`, `* LIST ...`) is atoms, quoted strings (7-bit, only `\"`
///   and `\\` escaped), literals of exactly the announced length without NUL, and
///   balanced lists; the trace says what the wire says;
/// - the greeting first; then each command gets exactly one tagged completion, with its
///   own tag (`*` for a line without one), after its untagged data and before the next
///   command's; a `+` only where due: a synchronising literal the framer takes, IDLE,
///   AUTHENTICATE without an initial response; a refused literal `NO [TOOBIG]` (RFC 7888);
///   a line during IDLE other than DONE gets `* BAD`; `* BYE` is followed by the close
///   (after LOGOUT's `OK`), and nothing follows the close; a session is told its mailbox
///   was deleted only when another session deleted it (a session cannot DELETE its own
///   selected mailbox); news outside a command only while idling (RFC 2177 §3);
/// - the state (RFC 3501 §3): LOGIN and AUTHENTICATE succeed exactly for a right password
///   of a user with a mailbox, only before the login; nothing else but CAPABILITY, NOOP
///   and LOGOUT succeeds before it, nothing that needs a selected mailbox without one;
///   SELECT says `[READ-WRITE]`, EXAMINE `[READ-ONLY]`, and no STORE, EXPUNGE or MOVE
///   succeeds read-only; the server's own state and user agree;
/// - what the client is told of its selected folder is consistent (RFC 3501 §7.3–7.4,
///   RFC 9051 §7.5.1): EXISTS never shrinks the mailbox, EXPUNGE and FETCH name a message
///   the client knows, no EXPUNGE during FETCH, STORE or SEARCH, a message keeps its UID,
///   UIDs ascend with sequence numbers and stay below UIDNEXT, UID FETCH reports the UID,
///   RFC822.SIZE and `BODY[]` (whole or partial) are the stored message's, SEARCH hits are
///   known messages (or UIDs below UIDNEXT); after every command that may tell of
///   expunges, and while idling, what the client knows is the folder exactly (number of
///   messages, UIDs and flags it was told); the selected folder keeps its UIDVALIDITY;
/// - the store stays consistent: UIDs strictly ascending in every folder and below UIDNEXT,
///   never reused within a UIDVALIDITY, UIDNEXT never going down, UIDVALIDITY values
///   distinct, the octets accounted per mailbox and in all; no folder is watched once every
///   session has ended;
/// - the output is bounded: all that the servers sent stays within what the input allows:
///   per command and per store change a constant and 128 octets per message the client
///   knows, 8 per octet written, 640 per folder a mailbox may have for LIST and LSUB,
///   twice the largest store so far and a MiB per FETCH;
/// - the framer holds at most a command, a line and one APPEND message
///   ([`ImapServer::held`]); the autologout does not fire before `poll_timeout()`, and at
///   it says BYE and closes; `is_closed()` and `poll_timeout()` agree with the close.
pub fn imap_server(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else { return };
    let store = Setup::from_byte(first).store();
    let most_bytes = store.used();
    let host = Host { store, logins: VecDeque::new(), most_bytes };
    let mut run = Run {
        host,
        conns: [None, None],
        active: 0,
        now: SimTime::ZERO,
        sent: 0,
        allowed: 0,
        folders: BTreeMap::new(),
        changed: true,
        frames: 0,
    };
    run.open(0);
    run.after_step();
    for step in decode(rest) {
        run.now = run.now.plus(SimDuration::from_secs(1));
        let i = run.active;
        match step {
            Step::Write(bytes) => {
                run.write(i, &bytes);
                run.changed = true;
            }
            Step::Tls => {
                // IMAP here has no STARTTLS: a handshake nobody asked for changes nothing.
                let c = run.conns[i].as_mut().expect("the active session");
                let before = c.server.server_state();
                c.server.handle_tls(run.now);
                assert_eq!(c.server.server_state(), before, "handle_tls changed an IMAP session");
                assert_eq!(c.server.poll_output(), None, "handle_tls made an IMAP session send");
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
            Step::Deliver => {
                // A full store refuses it, as SMTP would be refused: nothing changes then.
                let _ = run.host.store.deliver(BOB, DELIVERED, run.now);
                run.changed = true;
            }
        }
        run.after_step();
    }
    for i in 0..2 {
        if run.conns[i].is_some() {
            run.drop_session(i);
        }
    }
    run.after_step();
    for w in 1..=run.frames + 2 {
        assert_eq!(
            run.host.store.watching(WatcherId(w)),
            None,
            "watcher {w} still watches a folder after every session ended"
        );
    }
}

/// What the next line from the client is, as the server's responses said.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    Command,
    /// The response to AUTHENTICATE `tag`'s `+` (RFC 3501 §6.2.2).
    Authenticate(String),
    /// IDLE `tag` is in progress: DONE ends it (RFC 2177 §3).
    Idle(String),
}

/// The session's state as the client knows it (RFC 3501 §3); the end is [`Conn::closed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    NotAuthenticated,
    Authenticated,
    Selected { read_only: bool },
}

/// What the client was told of one message of the selected folder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Told {
    uid: Option<u32>,
    /// The flags last reported (without `\Recent`), unless a `.SILENT` STORE changed them since.
    flags: Option<Flags>,
}

/// One connection, and what its conversation has established.
struct Conn {
    server: ImapServer,
    /// The checker's own reading of what the client sent.
    reader: Framer,
    mode: Mode,
    phase: Phase,
    /// The user logged in, lower case.
    user: Option<String>,
    /// The selected folder as the client knows it: one entry per message, by sequence number.
    view: Option<Vec<Told>>,
    /// Its UIDVALIDITY, from SELECT's `[UIDVALIDITY n]`.
    validity: Option<u32>,
    /// The server sent its close, or the connection ended.
    closed: bool,
    /// The last command that could change the store or the view told of every change
    /// (expunges included): at the end of the write the view must be the folder.
    synced: bool,
    /// The selected folder may have been deleted by someone else (it was already gone when
    /// this write began, or the store changed under an idling session).
    deleted_elsewhere: bool,
    /// The most messages the client knew while the current frame (or news) was answered.
    peak: usize,
}

/// A response as the checker read it off the wire.
#[derive(Debug)]
enum Resp {
    /// `+ ...` (RFC 3501 §7.5).
    Continue,
    /// `tag OK|NO|BAD text`, or `* OK|NO|BAD|BYE|PREAUTH text` (then `tag` is `*`).
    Status { tag: String, cond: ImapCondition, code: Option<String> },
    /// `* ...` data (`* 3 EXISTS`, `* 1 FETCH (...)`, `* LIST ...`): its tokens.
    Data(Vec<Tok>),
    /// The server closed the connection.
    Close,
}

/// What an untagged response answers, for the rules that depend on it.
#[derive(Clone, Copy, Debug)]
struct During {
    selecting: bool,
    /// An EXPUNGE may be sent (not during FETCH, STORE or SEARCH, RFC 9051 §7.5.1).
    expunge_ok: bool,
    uid_fetch: bool,
    /// A SEARCH: its UID form or not.
    search: Option<bool>,
}

impl During {
    /// News outside a command: while idling, or at IDLE's DONE.
    const NEWS: During = During { selecting: false, expunge_ok: true, uid_fetch: false, search: None };

    fn of(cmd: &Command) -> During {
        During {
            selecting: matches!(cmd, Command::Select(_) | Command::Examine(_)),
            expunge_ok: !matches!(
                cmd,
                Command::Fetch { uid: false, .. }
                    | Command::Store { uid: false, .. }
                    | Command::Search { uid: false, .. }
            ),
            uid_fetch: matches!(cmd, Command::Fetch { uid: true, .. }),
            search: match cmd {
                Command::Search { uid, .. } => Some(*uid),
                _ => None,
            },
        }
    }
}

struct Run {
    host: Host,
    conns: [Option<Conn>; 2],
    active: usize,
    now: SimTime,
    /// Octets the servers sent, and what the inputs so far allow them.
    sent: u64,
    allowed: u64,
    /// Every folder by (user, UIDVALIDITY) at the end of the last step: UIDNEXT and UIDs.
    folders: BTreeMap<(&'static str, u32), (u32, Vec<u32>)>,
    /// The last step may have changed the store (a write, a delivery).
    changed: bool,
    /// Frames read: at least as many as the watchers the store handed out.
    frames: u64,
}

/// Takes what the server queued, counting its octets.
fn drain(server: &mut ImapServer, sent: &mut u64) -> VecDeque<Output> {
    let outs: VecDeque<Output> = std::iter::from_fn(|| server.poll_output()).collect();
    for o in &outs {
        if let Output::Send { bytes, .. } = o {
            *sent += bytes.len() as u64;
        }
    }
    outs
}

impl Run {
    fn open(&mut self, i: usize) {
        let peer = Peer { addr: "192.0.2.20".into(), name: None };
        let server = ImapServer::new(ImapConfig::new("imap.example.net"), peer, self.now);
        let mut c = Conn {
            server,
            reader: Framer::default(),
            mode: Mode::Command,
            phase: Phase::NotAuthenticated,
            user: None,
            view: None,
            validity: None,
            closed: false,
            synced: false,
            deleted_elsewhere: false,
            peak: 0,
        };
        let mut outs = drain(&mut c.server, &mut self.sent);
        self.allowed += PER_FRAME;
        match c.next(&mut outs) {
            Some(Resp::Status { tag, cond: ImapCondition::Ok, .. }) if tag == "*" => {}
            r => panic!("the first response must be the greeting * OK (RFC 3501 §7.1.1): {r:?}"),
        }
        assert!(outs.is_empty(), "more than the greeting before the first command: {outs:?}");
        self.conns[i] = Some(c);
    }

    /// The client writes `bytes`: the server reads them, and the checker pairs what it
    /// sent back with the frames its own reader finds in them.
    fn write(&mut self, i: usize, bytes: &[u8]) {
        let Run { host, conns, sent, now, .. } = self;
        let c = conns[i].as_mut().expect("the active session");
        c.deleted_elsewhere =
            matches!(c.phase, Phase::Selected { .. }) && c.server.selected(&host.store).is_none();
        // What the client was told before may be out of date: the other session ran since.
        c.synced = false;
        c.server.handle_input(bytes, *now, host);
        let mut outs = drain(&mut c.server, sent);
        if c.closed {
            assert!(outs.is_empty(), "output after the connection closed: {outs:?}");
            return;
        }
        let mut input = bytes;
        let mut allowed = PER_INPUT_OCTET * bytes.len() as u64;
        while !c.closed {
            let literals = c.mode == Mode::Command;
            let Some(frame) = c.reader.next(&mut input, literals) else { break };
            self.frames += 1;
            allowed += c.frame(frame, &mut outs, host);
        }
        c.peak = c.known();
        c.unsolicited(&mut outs, host);
        allowed += PER_MESSAGE * c.peak as u64;
        assert!(host.logins.is_empty(), "a right password without a response to a login: {:?}", host.logins);
        // The store is as the write left it: if the last command that could change it told
        // of every change, the client knows the folder as it is.
        if c.synced {
            c.check_view(&host.store);
        }
        c.synced = false;
        self.allowed += allowed;
    }

    /// The client went away: the driver releases the session (`ImapServer::release`).
    fn drop_session(&mut self, i: usize) {
        let c = self.conns[i].as_mut().expect("a session");
        c.server.handle_close(self.now);
        assert_eq!(c.server.poll_output(), None, "output after the client closed");
        c.end();
        c.server.release(&mut self.host);
    }

    /// The autologout: nothing a microsecond before `poll_timeout()`, `* BYE` and the
    /// close at it (RFC 3501 §5.4).
    fn timeout(&mut self, i: usize) {
        let now = self.now;
        let c = self.conns[i].as_mut().expect("a session");
        let Some(at) = c.server.poll_timeout() else {
            c.server.handle_timeout(now);
            assert_eq!(c.server.poll_output(), None, "a closed session woke up");
            return;
        };
        if at > now {
            c.server.handle_timeout(SimTime(at.0 - 1));
            assert_eq!(c.server.poll_output(), None, "the autologout fired before its deadline");
        }
        let at = at.max(now);
        c.server.handle_timeout(at);
        let mut outs = drain(&mut c.server, &mut self.sent);
        self.allowed += PER_FRAME;
        match c.next(&mut outs) {
            Some(Resp::Status { tag, cond: ImapCondition::Bye, .. }) if tag == "*" => c.bye(&mut outs, None),
            r => panic!("the autologout says * BYE and closes (RFC 3501 §5.4), not {r:?}"),
        }
        self.now = at;
    }

    /// The driver's part after every step: every open session is told that the store may
    /// have changed, a closed one is released; then every invariant is checked.
    fn after_step(&mut self) {
        let Run { host, conns, sent, allowed, now, .. } = self;
        for c in conns.iter_mut().flatten() {
            if c.closed {
                continue;
            }
            c.deleted_elsewhere = true;
            c.server.handle_store_change(*now, host);
            let mut outs = drain(&mut c.server, sent);
            c.peak = c.known();
            c.unsolicited(&mut outs, host);
            *allowed += PER_FRAME + PER_MESSAGE * c.peak as u64;
            if matches!(c.mode, Mode::Idle(_)) && !c.closed {
                // An idling session has told everything (RFC 2177 §3).
                c.synced = true;
                c.check_view(&host.store);
                c.synced = false;
            }
        }
        for c in conns.iter_mut().flatten() {
            if c.closed {
                c.server.release(host);
            }
        }
        self.check();
    }

    fn check(&mut self) {
        let store = &self.host.store;
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
            check_held(&[Held {
                what: "IMAP command",
                bytes: s.held(),
                limit: MAX_COMMAND + MAX_APPEND + MAX_LINE,
            }]);
            let idle = matches!(c.mode, Mode::Idle(_));
            let want = match (c.closed, c.phase) {
                (true, _) => State::Logout,
                (false, Phase::NotAuthenticated) => State::NotAuthenticated,
                (false, Phase::Authenticated) => State::Authenticated { idle },
                (false, Phase::Selected { read_only }) => State::Selected { read_only, idle },
            };
            assert_eq!(s.server_state(), want, "the server's state is not what its responses said");
            assert_eq!(s.user(), c.user.as_deref(), "the server's user is not the one logged in");
            if !c.closed
                && let Some(name) = s.selected(store)
            {
                let user = c.user.as_deref().expect("a selected folder needs a login");
                let v = store.folder(user, name).expect("the selected folder").uid_validity();
                assert_eq!(Some(v), c.validity, "the selected folder {name} changed its UIDVALIDITY");
            }
        }
        if std::mem::take(&mut self.changed) {
            self.check_store();
        }
        assert!(
            self.sent <= self.allowed,
            "the servers sent {} octets, more than the {} the input and the store allow",
            self.sent,
            self.allowed
        );
    }

    /// UIDs ascend and stay below UIDNEXT, are never reused within a UIDVALIDITY; UIDNEXT
    /// never goes down; UIDVALIDITY values are distinct; the octets add up.
    fn check_store(&mut self) {
        let store = &self.host.store;
        let mut now = BTreeMap::new();
        let mut total = 0;
        for user in [BOB, ALICE] {
            let Ok(folders) = store.folders(user) else { continue };
            let mut used = 0;
            for info in folders {
                let name = &info.name;
                let f = store.folder(user, name).expect("a listed folder");
                let v = f.uid_validity();
                assert_ne!(v, 0, "{name} has UIDVALIDITY 0 (RFC 3501 §2.3.1.1: nz-number)");
                let uids: Vec<u32> = f.messages().iter().map(|m| m.uid).collect();
                assert!(uids.windows(2).all(|w| w[0] < w[1]), "the UIDs of {name} do not ascend: {uids:?}");
                let last = uids.last().copied().unwrap_or(0);
                assert!(f.uid_next() > last, "{name}: UIDNEXT {} is not above UID {last}", f.uid_next());
                if let Some((next, before)) = self.folders.get(&(user, v)) {
                    assert!(
                        f.uid_next() >= *next,
                        "{name}: UIDNEXT went down from {next} to {}",
                        f.uid_next()
                    );
                    for u in uids.iter().filter(|&&u| u < *next) {
                        assert!(
                            before.binary_search(u).is_ok(),
                            "{name}: UID {u} was given to a new message within UIDVALIDITY {v}"
                        );
                    }
                }
                used += f.size();
                assert!(now.insert((user, v), (f.uid_next(), uids)).is_none(), "UIDVALIDITY {v} twice");
            }
            assert_eq!(store.quota(user).expect("a mailbox").used, used, "{user}'s octets do not add up");
            total += used;
        }
        assert_eq!(store.used(), total, "the store's octets do not add up");
        self.folders = now;
    }
}

impl Conn {
    /// The connection ended.
    fn end(&mut self) {
        self.closed = true;
        self.mode = Mode::Command;
        self.synced = false;
    }

    /// The next response, read and checked; `None` when the server sent nothing more.
    fn next(&mut self, outs: &mut VecDeque<Output>) -> Option<Resp> {
        let o = outs.pop_front()?;
        assert!(!self.closed, "output after the connection closed: {o:?}");
        Some(match o {
            Output::Send { bytes, kind } => read_response(&bytes, &kind),
            Output::Request(r) => panic!("an IMAP server asks nothing of the driver: {r:?}"),
            Output::Close => {
                self.end();
                assert!(outs.is_empty(), "output after the close: {outs:?}");
                Resp::Close
            }
        })
    }

    /// After `* BYE`: LOGOUT's tagged `OK`, then the close (RFC 3501 §6.1.3, §7.1.5).
    fn bye(&mut self, outs: &mut VecDeque<Output>, logout: Option<&str>) {
        if let Some(tag) = logout {
            match self.next(outs) {
                Some(Resp::Status { tag: t, cond: ImapCondition::Ok, .. }) if t == tag => {}
                r => panic!("LOGOUT: * BYE, then {tag} OK (RFC 3501 §6.1.3), not {r:?}"),
            }
        }
        match self.next(outs) {
            Some(Resp::Close) => {}
            r => panic!("* BYE must be followed by the close (RFC 3501 §7.1.5), not {r:?}"),
        }
    }

    /// A `* BYE` that answers no LOGOUT: the selected folder was deleted (RFC 2180 §3).
    fn deleted_bye(&mut self, outs: &mut VecDeque<Output>) {
        assert!(
            self.deleted_elsewhere,
            "* BYE for a selected folder that was there when this write began: the session \
             deleted its own selected mailbox, which DELETE must refuse ([INUSE])"
        );
        self.bye(outs, None);
    }

    /// Responses that answer no command: news while idling (RFC 2177 §3), or a BYE.
    fn unsolicited(&mut self, outs: &mut VecDeque<Output>, host: &Host) {
        while let Some(r) = self.next(outs) {
            assert!(
                matches!(self.mode, Mode::Idle(_)),
                "a response to no command, outside IDLE ({:?}): {r:?}",
                self.mode
            );
            self.news(r, outs, &host.store);
        }
    }

    /// One untagged response while idling: data, `* OK`, or `* BYE` and the close.
    fn news(&mut self, r: Resp, outs: &mut VecDeque<Output>, store: &MailStore) {
        match &r {
            Resp::Status { tag, cond: ImapCondition::Bye, .. } if tag == "*" => self.deleted_bye(outs),
            Resp::Status { tag, cond: ImapCondition::Ok, .. } if tag == "*" => {
                self.untagged(&r, During::NEWS, store)
            }
            Resp::Data(_) => self.untagged(&r, During::NEWS, store),
            r => panic!("only untagged news while idling (RFC 2177 §3), not {r:?}"),
        }
    }

    /// The completion of `tag` must come next (after news, while idling). `None`: the
    /// server said BYE and closed instead.
    fn completion(
        &mut self,
        outs: &mut VecDeque<Output>,
        tag: &str,
        idling: bool,
        store: &MailStore,
    ) -> Option<(ImapCondition, Option<String>)> {
        loop {
            let r = self.next(outs).unwrap_or_else(|| panic!("no response to complete {tag}"));
            match r {
                Resp::Status { tag: t, cond: ImapCondition::Bye, .. } if t == "*" => {
                    self.deleted_bye(outs);
                    return None;
                }
                // `* OK` is news; a completion for `*` is `* BAD` or `* NO`.
                Resp::Status { tag: t, cond, code }
                    if t == tag && (t != "*" || cond != ImapCondition::Ok) =>
                {
                    return Some((cond, code));
                }
                r if idling => self.news(r, outs, store),
                r => panic!("{tag}'s completion must come next, not {r:?}"),
            }
        }
    }

    /// The conversation's state does not allow command `verb`, whatever its arguments
    /// (RFC 3501 §6.1–§6.4).
    fn state_refuses(&self, verb: &str) -> bool {
        let any = matches!(verb, "CAPABILITY" | "NOOP" | "LOGOUT" | "STARTTLS");
        let login = matches!(verb, "LOGIN" | "AUTHENTICATE");
        let selected_only = matches!(
            verb.strip_prefix("UID ").unwrap_or(verb),
            "CHECK" | "CLOSE" | "UNSELECT" | "EXPUNGE" | "SEARCH" | "FETCH" | "STORE" | "COPY" | "MOVE"
        );
        !any && (self.user.is_none() != login
            || (self.user.is_some() && selected_only && self.view.is_none()))
    }

    /// How many messages the client knows.
    fn known(&self) -> usize {
        self.view.as_ref().map_or(0, Vec::len)
    }

    /// One frame of what the client sent, as the checker's own reader cut it, with the
    /// responses that answer it. Returns what they may take (besides the input's echoes):
    /// [`PER_FRAME`], [`PER_MESSAGE`] for each message the client knew, for LIST and LSUB
    /// [`PER_FOLDER`] for each folder a mailbox may have, for FETCH [`per_fetch`].
    fn frame(&mut self, frame: Frame, outs: &mut VecDeque<Output>, host: &mut Host) -> u64 {
        self.peak = self.known();
        let extra = self.answer(frame, outs, host);
        PER_FRAME + PER_MESSAGE * self.peak as u64 + extra
    }

    /// [`Conn::frame`]'s work; returns what LIST, LSUB or FETCH may add.
    fn answer(&mut self, frame: Frame, outs: &mut VecDeque<Output>, host: &mut Host) -> u64 {
        let idling = matches!(self.mode, Mode::Idle(_));
        match frame {
            Frame::Continue => {
                assert_eq!(self.mode, Mode::Command, "a literal read outside a command");
                let so_far = self.reader.pending();
                let verb = command::verb_of(so_far);
                // A command refused whatever its literal holds (a mistake before it, a state
                // that does not allow it) is refused instead of `+` (RFC 3501 §2.2.1).
                let unreadable = command::error_before_literal(so_far).is_some();
                let refused = unreadable || self.state_refuses(&verb);
                if !refused {
                    match self.next(outs) {
                        Some(Resp::Continue) => {}
                        r => panic!(
                            "a synchronising literal the server takes gets + (RFC 3501 §7.5), not {r:?}"
                        ),
                    }
                    return 0;
                }
                let tag = command::tag_of(so_far).unwrap_or_else(|| "*".into());
                self.reader.refuse_literal();
                // Refused for its state, it is answered as the whole command would be: news
                // first (RFC 9051 §7.5.1); a command that cannot be read gets its BAD alone.
                if let Some((cond, _)) = self.completion(outs, &tag, !unreadable, &host.store) {
                    assert_eq!(cond, ImapCondition::Bad, "{verb} refused before its literal: {tag} BAD");
                }
            }
            Frame::Refused { tag, why } => {
                let tag = match std::mem::replace(&mut self.mode, Mode::Command) {
                    Mode::Command => tag.unwrap_or_else(|| "*".into()),
                    Mode::Authenticate(t) | Mode::Idle(t) => t,
                };
                if why == Refusal::Unskippable {
                    match self.next(outs) {
                        Some(Resp::Status { tag, cond: ImapCondition::Bye, .. }) if tag == "*" => {
                            self.bye(outs, None)
                        }
                        r => panic!("a literal beyond counting ends the connection with * BYE, not {r:?}"),
                    }
                    return 0;
                }
                let want = if why == Refusal::LiteralTooBig { ImapCondition::No } else { ImapCondition::Bad };
                if let Some((cond, code)) = self.completion(outs, &tag, idling, &host.store) {
                    assert_eq!(cond, want, "a command refused by the framer ({why:?}) gets {tag} {want:?}");
                    if why == Refusal::LiteralTooBig {
                        assert_eq!(
                            code.as_deref(),
                            Some("TOOBIG"),
                            "a refused literal: NO [TOOBIG] (RFC 9051 §7.1)"
                        );
                    }
                }
            }
            Frame::Command(bytes) => match std::mem::replace(&mut self.mode, Mode::Command) {
                Mode::Authenticate(tag) => {
                    if let Some((cond, code)) = self.completion(outs, &tag, false, &host.store) {
                        // The line answers the `+` as an initial response would (RFC 4959).
                        let line = bytes.strip_suffix(b"\r\n").unwrap_or(&bytes);
                        let initial = Some(String::from_utf8_lossy(line).into_owned());
                        let auth = Command::Authenticate { mechanism: "PLAIN".into(), initial };
                        self.completed(&auth, cond, code.as_deref(), host);
                    }
                }
                Mode::Idle(tag) if bytes.eq_ignore_ascii_case(b"DONE\r\n") => {
                    self.respond(&tag, &Command::Idle, outs, host)
                }
                Mode::Idle(tag) => {
                    self.mode = Mode::Idle(tag);
                    if let Some((cond, _)) = self.completion(outs, "*", true, &host.store) {
                        assert_eq!(cond, ImapCondition::Bad, "only DONE may end IDLE: * BAD (RFC 2177 §3)");
                    }
                }
                Mode::Command => match command::parse(&bytes) {
                    Err(e) => {
                        let tag = e.tag.unwrap_or_else(|| "*".into());
                        if let Some((cond, _)) = self.completion(outs, &tag, false, &host.store) {
                            assert_eq!(cond, ImapCondition::Bad, "a command that cannot be read gets BAD");
                        }
                    }
                    Ok(t) => {
                        self.respond(&t.tag, &t.command, outs, host);
                        return match t.command {
                            Command::List { .. } | Command::Lsub { .. } => PER_FOLDER * MAX_FOLDERS as u64,
                            Command::Fetch { .. } => per_fetch(host.most_bytes),
                            _ => 0,
                        };
                    }
                },
            },
        }
        0
    }

    /// The responses to one command: untagged data, then its tagged completion (or the `+`
    /// that makes it go on).
    fn respond(&mut self, tag: &str, cmd: &Command, outs: &mut VecDeque<Output>, host: &mut Host) {
        let name = cmd.name();
        if matches!(cmd, Command::Select(_) | Command::Examine(_))
            && matches!(self.phase, Phase::Authenticated | Phase::Selected { .. })
        {
            // "If the client is already selected, it is deselected first" (RFC 3501 §6.3.1).
            self.phase = Phase::Authenticated;
            self.view = None;
            self.validity = None;
        }
        let during = During::of(cmd);
        loop {
            let r = self.next(outs).unwrap_or_else(|| panic!("{tag} {name} got no tagged response"));
            match r {
                Resp::Status { tag: t, cond: ImapCondition::Bye, .. } if t == "*" => {
                    if matches!(cmd, Command::Logout) {
                        self.bye(outs, Some(tag));
                    } else {
                        self.deleted_bye(outs);
                    }
                    return;
                }
                Resp::Status { tag: t, cond, code } if t == tag => {
                    self.completed(cmd, cond, code.as_deref(), host);
                    return;
                }
                Resp::Status { tag: t, .. } if t != "*" => {
                    panic!("a tagged response for {t} while {tag} {name} is being answered")
                }
                Resp::Continue => {
                    let due = match (cmd, self.phase) {
                        (Command::Idle, Phase::Authenticated | Phase::Selected { .. }) => true,
                        (Command::Authenticate { mechanism, initial: None }, Phase::NotAuthenticated) => {
                            mechanism == "PLAIN"
                        }
                        _ => false,
                    };
                    assert!(due, "+ to {tag} {name}, which does not go on");
                    // IDLE's news follow, read as news.
                    self.synced = false;
                    self.mode = match cmd {
                        Command::Idle => Mode::Idle(tag.to_string()),
                        _ => Mode::Authenticate(tag.to_string()),
                    };
                    return;
                }
                Resp::Close => panic!("the close without * BYE, answering {tag} {name}"),
                r => self.untagged(&r, during, &host.store),
            }
        }
    }

    /// A command's tagged completion against the state the client knows.
    fn completed(&mut self, cmd: &Command, cond: ImapCondition, code: Option<&str>, host: &mut Host) {
        let ok = cond == ImapCondition::Ok;
        let name = cmd.name();
        assert!(
            matches!(cond, ImapCondition::Ok | ImapCondition::No | ImapCondition::Bad),
            "a tagged {cond:?} to {name}"
        );
        let selected = matches!(self.phase, Phase::Selected { .. });
        let needs_selected = matches!(
            cmd,
            Command::Check
                | Command::Close
                | Command::Unselect
                | Command::Expunge
                | Command::UidExpunge(_)
                | Command::Search { .. }
                | Command::Fetch { .. }
                | Command::Store { .. }
                | Command::Copy { .. }
                | Command::Move { .. }
        );
        match cmd {
            Command::Capability | Command::Noop => assert!(ok, "{name} always succeeds: {cond:?}"),
            Command::Login { .. } | Command::Authenticate { .. } => {
                if self.phase == Phase::NotAuthenticated {
                    let creds = credentials(cmd).filter(|(u, p)| password_is_right(u, p));
                    if let Some((user, _)) = &creds {
                        let checked = host.logins.pop_front();
                        assert_eq!(
                            checked.as_ref(),
                            Some(user),
                            "{name}: the password of {user} was not checked"
                        );
                    }
                    let user = creds.map(|(u, _)| u).filter(|u| host.store.has_mailbox(u));
                    assert_eq!(
                        ok,
                        user.is_some(),
                        "{name} succeeds exactly for a right password of a user with a mailbox"
                    );
                    if ok {
                        self.phase = Phase::Authenticated;
                        self.user = user.map(|u| u.to_ascii_lowercase());
                    }
                } else {
                    assert_eq!(cond, ImapCondition::Bad, "{name} after the login is BAD (RFC 3501 §6.2)");
                }
            }
            _ if self.phase == Phase::NotAuthenticated => assert!(!ok, "{name} succeeded before a login"),
            _ if needs_selected && !selected => assert!(!ok, "{name} succeeded without a selected mailbox"),
            Command::Select(_) | Command::Examine(_) => {
                if ok {
                    let read_only = matches!(cmd, Command::Examine(_));
                    assert!(
                        self.view.is_some() && self.validity.is_some(),
                        "{name} succeeded without * n EXISTS and [UIDVALIDITY] (RFC 3501 §6.3.1)"
                    );
                    let want = if read_only { "READ-ONLY" } else { "READ-WRITE" };
                    assert_eq!(code, Some(want), "{name}'s OK says [{want}] (RFC 3501 §6.3.1-2)");
                    self.phase = Phase::Selected { read_only };
                } else {
                    assert!(code != Some("LIMIT"), "{name} ran out of watchers: a session leaks them");
                }
            }
            Command::Close | Command::Unselect if ok => {
                self.phase = Phase::Authenticated;
                self.view = None;
                self.validity = None;
            }
            Command::Store { .. } | Command::Expunge | Command::UidExpunge(_) | Command::Move { .. }
                if self.phase == (Phase::Selected { read_only: true }) =>
            {
                assert!(!ok, "{name} succeeded in a read-only mailbox (EXAMINE)")
            }
            _ => {}
        }
        if let Command::Store { silent: true, .. } = cmd
            && let Some(view) = &mut self.view
        {
            // The client was not told the new flags (RFC 3501 §6.4.6).
            view.iter_mut().for_each(|t| t.flags = None);
        }
        self.synced = During::of(cmd).expunge_ok && matches!(self.phase, Phase::Selected { .. });
    }

    /// The folder selected, found by its UIDVALIDITY (it may have been renamed since).
    fn folder<'s>(&self, store: &'s MailStore) -> Option<&'s Folder> {
        let (user, v) = (self.user.as_deref()?, self.validity?);
        let by_validity = |f: &&Folder| f.uid_validity() == v;
        if let Some(f) =
            self.server.selected(store).and_then(|n| store.folder(user, n).ok()).filter(by_validity)
        {
            return Some(f);
        }
        store.folders(user).ok()?.iter().find_map(|f| store.folder(user, &f.name).ok().filter(by_validity))
    }

    /// After a full update, what the client knows is the folder exactly.
    fn check_view(&self, store: &MailStore) {
        if self.closed || !matches!(self.phase, Phase::Selected { .. }) {
            return;
        }
        let view = self.view.as_ref().expect("a selected session knows its folder");
        let user = self.user.as_deref().expect("a selected folder needs a login");
        let name = self.server.selected(store).expect("the selected folder exists, or the session said BYE");
        let folder = store.folder(user, name).expect("the selected folder");
        let messages = folder.messages();
        assert_eq!(
            view.len(),
            messages.len(),
            "after telling every change, the client knows {} messages of {name}, which has {}",
            view.len(),
            messages.len()
        );
        for (i, (t, m)) in view.iter().zip(messages).enumerate() {
            if let Some(u) = t.uid {
                assert_eq!(u, m.uid, "message {} of {name}: the client was told UID {u}", i + 1);
            }
            if let Some(f) = t.flags {
                assert_eq!(f, m.flags, "message {} of {name}: the client was told flags {f}", i + 1);
            }
        }
    }

    /// One untagged response to a command (or news).
    fn untagged(&mut self, r: &Resp, during: During, store: &MailStore) {
        match r {
            Resp::Status { code: Some(code), .. } if during.selecting => {
                if let Some(v) = code.strip_prefix("UIDVALIDITY ") {
                    let v = v.parse().unwrap_or_else(|_| panic!("[UIDVALIDITY {v}]: a number"));
                    assert_ne!(v, 0, "UIDVALIDITY 0 (RFC 3501 §9: nz-number)");
                    self.validity = Some(v);
                }
            }
            Resp::Status { .. } => {}
            Resp::Data(toks) => self.data(toks, during, store),
            r => panic!("not an untagged response: {r:?}"),
        }
    }

    fn data(&mut self, toks: &[Tok], during: During, store: &MailStore) {
        let shown = format!("{toks:?}");
        if let [Tok::Atom(n), Tok::Atom(name), rest @ ..] = toks
            && let Some(n) = number(n)
        {
            let n = n as usize;
            let known = self.view.as_ref().map_or(0, Vec::len);
            match name.as_slice() {
                b"EXISTS" => {
                    assert!(rest.is_empty(), "{shown}");
                    match &mut self.view {
                        None => {
                            assert!(during.selecting, "* {n} EXISTS without a selected mailbox");
                            self.view = Some(vec![Told::default(); n]);
                            self.peak = self.peak.max(n);
                        }
                        Some(v) => {
                            self.peak = self.peak.max(n);
                            assert!(
                                n >= v.len(),
                                "* {n} EXISTS after {}: only EXPUNGE shrinks (RFC 3501 §7.3.1)",
                                v.len()
                            );
                            v.resize(n, Told::default());
                        }
                    }
                }
                b"RECENT" => {
                    assert!(rest.is_empty(), "{shown}");
                    assert!(self.view.is_some(), "* {n} RECENT without a selected mailbox");
                    assert!(n <= known, "* {n} RECENT of {known} messages");
                }
                b"EXPUNGE" => {
                    assert!(rest.is_empty(), "{shown}");
                    assert!(
                        during.expunge_ok,
                        "* {n} EXPUNGE during FETCH, STORE or SEARCH (RFC 9051 §7.5.1)"
                    );
                    assert!((1..=known).contains(&n), "* {n} EXPUNGE: the client knows {known} messages");
                    let gone = self.view.as_mut().expect("a view").remove(n - 1);
                    if let (Some(u), Some(f)) = (gone.uid, self.folder(store)) {
                        assert!(f.by_uid(u).is_none(), "* {n} EXPUNGE, but UID {u} is still there");
                    }
                }
                b"FETCH" => {
                    let [Tok::List(atts)] = rest else { panic!("* n FETCH (...): {shown}") };
                    assert!((1..=known).contains(&n), "* {n} FETCH: the client knows {known} messages");
                    self.fetch(n, atts, during, store);
                }
                _ => panic!("unknown message data: {shown}"),
            }
            return;
        }
        let Some((Tok::Atom(word), rest)) = toks.split_first() else { panic!("untagged data: {shown}") };
        match word.as_slice() {
            b"CAPABILITY" => assert!(rest.iter().all(|t| matches!(t, Tok::Atom(_))), "{shown}"),
            b"FLAGS" => assert!(
                matches!(rest, [Tok::List(l)] if l.iter().all(|t| matches!(t, Tok::Atom(_)))),
                "{shown}"
            ),
            b"LIST" | b"LSUB" => assert!(
                matches!(rest, [Tok::List(attrs), Tok::Quoted(sep), name]
                    if attrs.iter().all(|t| matches!(t, Tok::Atom(a) if a.starts_with(b"\\")))
                        && sep.as_slice() == b"/" && is_astring(name)),
                "* LIST (attributes) \"/\" mailbox: {shown}"
            ),
            b"STATUS" => assert!(
                matches!(rest, [name, Tok::List(items)] if is_astring(name)
                    && items.len().is_multiple_of(2)
                    && items.chunks(2).all(|p| matches!(p, [Tok::Atom(_), Tok::Atom(v)] if number(v).is_some()))),
                "* STATUS mailbox (item number ...): {shown}"
            ),
            b"SEARCH" => {
                let uid = during.search.unwrap_or_else(|| panic!("* SEARCH outside SEARCH: {shown}"));
                let hits: Vec<u32> = rest
                    .iter()
                    .map(|t| match t {
                        Tok::Atom(a) => number(a).filter(|&n| n > 0),
                        _ => None,
                    })
                    .map(|n| n.unwrap_or_else(|| panic!("* SEARCH numbers: {shown}")))
                    .collect();
                assert!(hits.windows(2).all(|w| w[0] < w[1]), "* SEARCH hits in order, each once: {shown}");
                let bound = if uid {
                    self.folder(store).map_or(u32::MAX, Folder::uid_next)
                } else {
                    self.view.as_ref().map_or(0, Vec::len) as u32 + 1
                };
                assert!(
                    hits.iter().all(|&h| h < bound),
                    "* SEARCH names a message the client does not know: {shown}"
                );
            }
            _ => panic!("unknown untagged data: {shown}"),
        }
    }

    /// `* n FETCH (...)`: the message's UID, flags and body against what the client was
    /// told and what the store has.
    fn fetch(&mut self, n: usize, atts: &[Tok], during: During, store: &MailStore) {
        let shown = format!("* {n} FETCH {atts:?}");
        assert!(
            !atts.is_empty() && atts.len().is_multiple_of(2),
            "FETCH data is pairs of a name and a value: {shown}"
        );
        let (mut uid, mut flags, mut size) = (None, None, None);
        let mut whole: Vec<(usize, &[u8])> = Vec::new();
        for pair in atts.chunks(2) {
            let Tok::Atom(name) = &pair[0] else { panic!("a FETCH item's name: {shown}") };
            let value = &pair[1];
            match name.as_slice() {
                b"UID" => uid = Some(atom_number(value).filter(|&u| u > 0).expect("UID nz-number")),
                b"FLAGS" => flags = Some(flag_list(value, &shown)),
                b"RFC822.SIZE" => size = Some(atom_number(value).expect("RFC822.SIZE number")),
                b"RFC822" | b"BODY[]" => whole.extend(string(value).map(|s| (0, s))),
                n if n.starts_with(b"BODY[]<") => {
                    let o = n[7..].strip_suffix(b">").and_then(number).expect("BODY[]<origin>");
                    whole.extend(string(value).map(|s| (o as usize, s)));
                }
                _ => {}
            }
        }
        if during.uid_fetch && uid.is_none() {
            assert!(
                atts.len() == 2 && flags.is_some(),
                "UID FETCH data without the UID (RFC 3501 §6.4.8): {shown}"
            );
        }
        let view = self.view.as_mut().expect("a view");
        if let Some(u) = uid {
            if let Some(k) = view[n - 1].uid {
                assert_eq!(k, u, "message {n} was UID {k}, now UID {u}, without an EXPUNGE");
            }
            view[n - 1].uid = Some(u);
            if let Some(b) = view[..n - 1].iter().rev().find_map(|t| t.uid) {
                assert!(b < u, "UID {u} of message {n} is not above the UID {b} of an earlier one");
            }
            if let Some(a) = view[n..].iter().find_map(|t| t.uid) {
                assert!(u < a, "UID {u} of message {n} is not below the UID {a} of a later one");
            }
        }
        if flags.is_some() {
            view[n - 1].flags = flags;
        }
        let Some(u) = view[n - 1].uid else { return };
        let Some(folder) = self.folder(store) else { return };
        assert!(u < folder.uid_next(), "UID {u} is not below UIDNEXT {}", folder.uid_next());
        let Some((_, m)) = folder.by_uid(u) else { return };
        if let Some(s) = size {
            assert_eq!(u64::from(s), m.size(), "RFC822.SIZE of UID {u}");
        }
        for (o, data) in whole {
            let start = o.min(m.bytes.len());
            assert!(
                m.bytes.get(start..start + data.len()) == Some(data),
                "BODY[]<{o}> of UID {u} is not the stored message: {shown}"
            );
        }
    }
}

/// The user name and password a LOGIN or an AUTHENTICATE PLAIN response carries: base64
/// of `[authzid] NUL authcid NUL passwd`, an authzid only if it is the authcid (RFC 4616
/// §2); `*` (cancel) and anything else carry none.
fn credentials(cmd: &Command) -> Option<(String, String)> {
    match cmd {
        Command::Login { user, password } => Some((user.clone(), password.clone())),
        Command::Authenticate { mechanism, initial: Some(r) } if mechanism == "PLAIN" => {
            let m = crate::base64::decode(r)?;
            let parts: Vec<&str> =
                m.split(|&b| b == 0).map(std::str::from_utf8).collect::<Result<_, _>>().ok()?;
            let [authzid, user, password] = parts[..] else { return None };
            let fits = !user.is_empty() && !password.is_empty() && (authzid.is_empty() || authzid == user);
            fits.then(|| (user.to_string(), password.to_string()))
        }
        _ => None,
    }
}

// ----- reading responses (RFC 3501 §7, §9), on purpose not with the crate's client reader -----

/// A token of untagged data: an atom or number (also `BODY[...]<n>`), a quoted string, a
/// literal, a parenthesised list.
#[derive(Debug)]
enum Tok {
    Atom(Vec<u8>),
    Quoted(Vec<u8>),
    Literal(Vec<u8>),
    List(Vec<Tok>),
}

fn number(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn atom_number(t: &Tok) -> Option<u32> {
    match t {
        Tok::Atom(a) => number(a),
        _ => None,
    }
}

/// A string's octets; `None` for NIL.
fn string(t: &Tok) -> Option<&[u8]> {
    match t {
        Tok::Quoted(s) | Tok::Literal(s) => Some(s),
        Tok::Atom(a) if a == b"NIL" => None,
        t => panic!("expected a string or NIL: {t:?}"),
    }
}

fn is_astring(t: &Tok) -> bool {
    matches!(t, Tok::Atom(_) | Tok::Quoted(_) | Tok::Literal(_))
}

/// `(\Seen \Recent)`: the system flags (no keywords are kept here), each once.
fn flag_list(t: &Tok, shown: &str) -> Flags {
    let Tok::List(items) = t else { panic!("FLAGS (...): {shown}") };
    let mut flags = Flags::NONE;
    let mut recent = false;
    for item in items {
        let Tok::Atom(a) = item else { panic!("a flag is an atom: {shown}") };
        let a = std::str::from_utf8(a).unwrap_or_default();
        if a == "\\Recent" {
            assert!(!recent, "\\Recent twice: {shown}");
            recent = true;
            continue;
        }
        let f = Flags::NAMES
            .iter()
            .find(|(_, n)| *n == a)
            .map(|&(f, _)| f)
            .unwrap_or_else(|| panic!("{a} is not a flag this server keeps: {shown}"));
        assert!(!flags.contains(f), "{a} twice: {shown}");
        flags = flags.union(f);
    }
    flags
}

/// Checks one response on the wire against the grammar and what the trace says of it.
fn read_response(wire: &[u8], kind: &EventKind) -> Resp {
    let shown = String::from_utf8_lossy(wire);
    let EventKind::Reply { status: Status::Imap(said), .. } = kind else {
        panic!("an IMAP server sends only responses, not {kind:?}");
    };
    assert!(wire.ends_with(b"\r\n"), "a response must end with CRLF: {shown:?}");
    if let Some(rest) = wire.strip_prefix(b"+") {
        assert_eq!(*said, ImapResponse::Continuation, "the trace of {shown:?}");
        let text = one_line(rest, &shown);
        let text =
            text.strip_prefix(' ').unwrap_or_else(|| panic!("a space after + (RFC 3501 §9): {shown:?}"));
        check_text(text, &shown);
        return Resp::Continue;
    }
    let sp = wire
        .iter()
        .position(|&b| b == b' ')
        .unwrap_or_else(|| panic!("a tag, * or + and a space: {shown:?}"));
    let (tag, rest) = (&wire[..sp], &wire[sp + 1..]);
    let word_end = rest.iter().position(|&b| b == b' ' || b == b'\r').unwrap_or(rest.len());
    let cond = match &rest[..word_end] {
        b"OK" => Some(ImapCondition::Ok),
        b"NO" => Some(ImapCondition::No),
        b"BAD" => Some(ImapCondition::Bad),
        b"BYE" => Some(ImapCondition::Bye),
        b"PREAUTH" => Some(ImapCondition::Preauth),
        _ => None,
    };
    if tag != b"*" {
        assert!(
            tag.iter().all(|&b| (0x21..0x7f).contains(&b) && !b"(){%*\"\\+".contains(&b)),
            "a tag is ASTRING-CHARs but + (RFC 3501 §9): {shown:?}"
        );
        assert!(
            matches!(cond, Some(ImapCondition::Ok | ImapCondition::No | ImapCondition::Bad)),
            "a tagged response is OK, NO or BAD (RFC 3501 §7.1): {shown:?}"
        );
    }
    if let Some(cond) = cond {
        let line = one_line(&rest[word_end..], &shown);
        let text =
            line.strip_prefix(' ').unwrap_or_else(|| panic!("a space and a text after {cond:?}: {shown:?}"));
        let (code, text) = match text.strip_prefix('[') {
            Some(t) => {
                let (code, after) =
                    t.split_once(']').unwrap_or_else(|| panic!("a response code ends with ]: {shown:?}"));
                assert!(
                    !code.is_empty() && code.bytes().all(|b| (0x20..0x7f).contains(&b)),
                    "a response code is printable US-ASCII: {shown:?}"
                );
                let text = after.strip_prefix(' ').unwrap_or_else(|| panic!("a space after ]: {shown:?}"));
                (Some(code.to_string()), text)
            }
            None => (None, text),
        };
        assert!(!text.is_empty(), "a response text may not be empty (RFC 3501 §9 text): {shown:?}");
        check_text(text, &shown);
        let tag = String::from_utf8_lossy(tag).into_owned();
        let trace_ok = match said {
            ImapResponse::Tagged { tag: t, condition } => *t == tag && *condition == cond,
            ImapResponse::Untagged { name } => tag == "*" && name == cond.name(),
            ImapResponse::Continuation => false,
        };
        assert!(trace_ok, "the trace says {said:?} of {shown:?}");
        return Resp::Status { tag, cond, code };
    }
    assert_eq!(tag, b"*", "a tagged response is OK, NO or BAD: {shown:?}");
    let mut i = sp + 1;
    let toks = tokens(wire, &mut i, false, &shown);
    let name = match toks.as_slice() {
        [Tok::Atom(n), Tok::Atom(name), ..] if number(n).is_some() => name,
        [Tok::Atom(name), ..] => name,
        _ => panic!("untagged data starts with a name: {shown:?}"),
    };
    let said_ok = matches!(said, ImapResponse::Untagged { name: n } if n.as_bytes() == name.as_slice());
    assert!(said_ok, "the trace says {said:?} of {shown:?}");
    Resp::Data(toks)
}

/// `rest` up to its final CRLF, which must be its only line end, as UTF-8.
fn one_line<'a>(rest: &'a [u8], shown: &str) -> &'a str {
    let line = &rest[..rest.len() - 2];
    assert!(!line.contains(&b'\r') && !line.contains(&b'\n'), "a CR or LF inside a response line: {shown:?}");
    std::str::from_utf8(line).unwrap_or_else(|_| panic!("a response line must be UTF-8 text: {shown:?}"))
}

/// Text for a person: 7-bit printable US-ASCII, nothing a terminal would act on. IMAP4rev1's
/// text is 7-bit (RFC 3501 §9 TEXT-CHAR); 8-bit would need the client's UTF8=ACCEPT
/// (RFC 6855 §3), which this server does not depend on.
fn check_text(text: &str, shown: &str) {
    assert!(
        text.bytes().all(|b| b == b'\t' || (32..=126).contains(&b)),
        "a response text must be printable US-ASCII: {shown:?}"
    );
}

/// Tokens separated by single spaces, up to `)` (in a list) or the final CRLF. Lists may
/// follow each other without one: `1*address` in an ENVELOPE, `1*body` in a multipart's
/// BODYSTRUCTURE (RFC 3501 §9).
fn tokens(s: &[u8], i: &mut usize, in_list: bool, shown: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    loop {
        if in_list && s.get(*i) == Some(&b')') {
            *i += 1;
            return out;
        }
        if !in_list && s.get(*i..) == Some(b"\r\n") {
            return out;
        }
        let adjacent = matches!(out.last(), Some(Tok::List(_))) && s.get(*i) == Some(&b'(');
        if !out.is_empty() && !adjacent {
            assert_eq!(s.get(*i), Some(&b' '), "one space between two items, at octet {}: {shown:?}", *i);
            *i += 1;
        }
        out.push(token(s, i, shown));
    }
}

fn token(s: &[u8], i: &mut usize, shown: &str) -> Tok {
    match s.get(*i) {
        Some(b'(') => {
            *i += 1;
            Tok::List(tokens(s, i, true, shown))
        }
        Some(b'"') => Tok::Quoted(quoted(s, i, shown)),
        Some(b'{') => Tok::Literal(literal(s, i, shown)),
        _ => Tok::Atom(atom(s, i, shown)),
    }
}

/// quoted = DQUOTE *QUOTED-CHAR DQUOTE: 7-bit text without CR, LF or NUL; only `"` and `\`
/// escaped (RFC 3501 §9).
fn quoted(s: &[u8], i: &mut usize, shown: &str) -> Vec<u8> {
    *i += 1;
    let mut out = Vec::new();
    loop {
        let b = *s.get(*i).unwrap_or_else(|| panic!("a quoted string without its closing quote: {shown:?}"));
        *i += 1;
        match b {
            b'"' => return out,
            b'\\' => {
                let e = s.get(*i).copied();
                assert!(
                    matches!(e, Some(b'"' | b'\\')),
                    "in a quoted string only \\\" and \\\\ are escapes: {shown:?}"
                );
                out.extend(e);
                *i += 1;
            }
            0 | b'\r' | b'\n' | 0x80.. => {
                panic!("a quoted string holds 7-bit text without CR, LF or NUL (RFC 3501 §9): {shown:?}")
            }
            _ => out.push(b),
        }
    }
}

/// literal = "{" number "}" CRLF *CHAR8, exactly that many octets, none of them NUL
/// (RFC 3501 §4.3).
fn literal(s: &[u8], i: &mut usize, shown: &str) -> Vec<u8> {
    *i += 1;
    let start = *i;
    while s.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    let n = number(&s[start..*i]).unwrap_or_else(|| panic!("a literal's length: {shown:?}")) as usize;
    assert!(s[*i..].starts_with(b"}\r\n"), "a literal's length is followed by }} and CRLF: {shown:?}");
    *i += 3;
    let data = s.get(*i..*i + n).unwrap_or_else(|| panic!("a literal shorter than announced: {shown:?}"));
    assert!(!data.contains(&0), "a literal may not contain NUL (RFC 3501 §4.3): {shown:?}");
    *i += n;
    data.to_vec()
}

/// An atom (ATOM-CHARs, and `]` as in an astring); after `BODY`, a section in brackets,
/// which may hold spaces, lists and strings, and its `<origin>`.
fn atom(s: &[u8], i: &mut usize, shown: &str) -> Vec<u8> {
    let start = *i;
    loop {
        match s.get(*i) {
            Some(b'[') if s[start..*i].eq_ignore_ascii_case(b"BODY") => {
                *i += 1;
                section(s, i, shown);
            }
            Some(&b) if (0x21..0x7f).contains(&b) && !b"(){\"%*".contains(&b) => *i += 1,
            _ => break,
        }
    }
    assert!(*i > start, "expected an atom, a string or a list at octet {start}: {shown:?}");
    s[start..*i].to_vec()
}

/// The inside of `BODY[...]` up to its `]`, then `<n>` if there is one.
fn section(s: &[u8], i: &mut usize, shown: &str) {
    let mut depth = 0;
    loop {
        match s.get(*i) {
            Some(b']') if depth == 0 => {
                *i += 1;
                break;
            }
            Some(b'(') => {
                depth += 1;
                *i += 1;
            }
            Some(b')') => {
                assert!(depth > 0, "a ) without its ( in a section: {shown:?}");
                depth -= 1;
                *i += 1;
            }
            Some(b'"') => {
                let _ = quoted(s, i, shown);
            }
            Some(b'{') => {
                let _ = literal(s, i, shown);
            }
            Some(&b) if (0x20..0x7f).contains(&b) => *i += 1,
            _ => panic!("a section ends with ]: {shown:?}"),
        }
    }
    if s.get(*i) == Some(&b'<') {
        *i += 1;
        let start = *i;
        while s.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        assert!(*i > start && s.get(*i) == Some(&b'>'), "a section's origin is <number>: {shown:?}");
        *i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(tag: Option<&str>, name: &str) -> EventKind {
        let status = match (tag, name) {
            (Some(t), c) => ImapResponse::Tagged {
                tag: t.into(),
                condition: match c {
                    "OK" => ImapCondition::Ok,
                    "NO" => ImapCondition::No,
                    _ => ImapCondition::Bad,
                },
            },
            (None, "+") => ImapResponse::Continuation,
            (None, n) => ImapResponse::Untagged { name: n.into() },
        };
        EventKind::Reply { status: Status::Imap(status), to_verb: None, answers: None }
    }

    #[test]
    fn well_formed_responses_pass() {
        let cases: &[(&[u8], EventKind)] = &[
            (b"a1 OK [READ-WRITE] SELECT completed\r\n", said(Some("a1"), "OK")),
            (b"* OK [UIDVALIDITY 3] UIDs valid\r\n", said(None, "OK")),
            (b"+ \r\n", said(None, "+")),
            (b"* BAD expected DONE\r\n", said(Some("*"), "BAD")),
            (b"* 2 EXISTS\r\n", said(None, "EXISTS")),
            (
                b"* 1 FETCH (UID 4 FLAGS (\\Seen \\Recent) BODY[HEADER.FIELDS (SUBJECT \"a b\")]<0> {3}\r\nx\r\n BODY[] NIL)\r\n",
                said(None, "FETCH"),
            ),
            (b"* LIST (\\HasNoChildren) \"/\" {4}\r\na\r\nb\r\n", said(None, "LIST")),
            (b"* SEARCH\r\n", said(None, "SEARCH")),
        ];
        for (wire, kind) in cases {
            read_response(wire, kind);
        }
    }

    /// The reader is only worth something if it fails: each of these must panic.
    #[test]
    fn malformed_responses_are_caught() {
        let cases: &[(&[u8], EventKind)] = &[
            (b"a1 OK done", said(Some("a1"), "OK")),
            (b"a1 OK done\r\n", said(Some("a2"), "OK")),
            (b"a1 OK \"x\r\ny\"\r\n", said(Some("a1"), "OK")),
            (b"a1 OK \x1b[2J\r\n", said(Some("a1"), "OK")),
            (b"a1 OK [READ-WRITE]\r\n", said(Some("a1"), "OK")),
            (b"a1 OK [READ-WRITE done\r\n", said(Some("a1"), "OK")),
            (b"a1 BYE done\r\n", said(Some("a1"), "OK")),
            (b"a+1 OK done\r\n", said(Some("a+1"), "OK")),
            (b"* 1 FETCH (BODY[] {5}\r\nabc)\r\n", said(None, "FETCH")),
            (b"* 1 FETCH (BODY[] {2}\r\na\0)\r\n", said(None, "FETCH")),
            (b"* 1 FETCH (UID 4\r\n", said(None, "FETCH")),
            (b"* 1 FETCH (UID  4)\r\n", said(None, "FETCH")),
            (b"* LIST () \"/\" \"a\nb\"\r\n", said(None, "LIST")),
            (b"* 1 FETCH (UID 4)\r\n", said(None, "EXISTS")),
            (b"+idling\r\n", said(None, "+")),
            ("* BAD expected DONE to end IDLE (RFC 2177 \u{a7}3)\r\n".as_bytes(), said(Some("*"), "BAD")),
            (b"a1 NO there is no folder named \"\xc3\x89t\xc3\xa9\"\r\n", said(Some("a1"), "NO")),
            ("+ caf\u{e9}\r\n".as_bytes(), said(None, "+")),
        ];
        for (wire, kind) in cases {
            let caught = std::panic::catch_unwind(|| read_response(wire, kind)).is_err();
            assert!(caught, "{:?} passed", String::from_utf8_lossy(wire));
        }
    }
}
