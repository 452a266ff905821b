//! The mail host behind every listener: one [`MailStore`] that SMTP delivers into and POP3
//! reads, locks and deletes from, so that a message sent through `--smtp` is retrieved
//! through `--pop3`, and a deletion is seen by the next session.
//!
//! The store keeps its messages as `Rc<[u8]>` (the engine is single-threaded), so it cannot
//! be shared between threads behind a mutex. One thread owns it instead, and the connection
//! threads ask it through [`StoreHandle::run`], one job at a time: the jobs are serialised
//! exactly as a mutex would serialise them, and no `Rc` ever leaves the store thread (bytes
//! are copied out).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use mailroom_core::imap::server::{ImapConfig, ImapServer};
use mailroom_core::mail::{self, Bounce, Failure};
use mailroom_core::pop3::{MaildropError, Pop3Item, maildrop};
use mailroom_core::session::{Directory, Env, Output, RcptVerdict, Session};
use mailroom_core::smtp::server::Accepted;
use mailroom_core::smtp::server::Peer;
use mailroom_core::store::{INBOX, MailStore, StoreLimits};
use mailroom_core::time::SimTime;

/// The store's own ceiling here ([`MailStore::with_limits`]): 512 MiB of mail and 262,144
/// messages. A native server has the machine's memory, not a browser tab's
/// ([`StoreLimits::BROWSER`]); this is room for a load test of 100,000 messages of
/// 1 KB (`scripts/bench-serve.sh`) with a margin, and bounded all the same.
pub const STORE_LIMITS: StoreLimits = StoreLimits { max_bytes: 512 << 20, max_messages: 1 << 18 };
/// New mail gets `452 4.3.1` once all mailboxes together hold this much (256 MiB), until the
/// server restarts (RFC 1870 §6.3, RFC 3463 §3.4). Half of the store's own ceiling
/// ([`STORE_LIMITS`]), so that mail already past MAIL FROM still fits and is delivered rather
/// than refused at the final dot. (Should it not fit, the connection ends without the 250
/// and the client keeps the message: nothing is lost.)
pub const MAX_STORED_BYTES: u64 = STORE_LIMITS.max_bytes / 2;
/// The same for the number of messages (131,072), in all folders.
pub const MAX_STORED_MESSAGES: usize = STORE_LIMITS.max_messages / 2;
// The load test stores 100,000 messages of about 1.3 KB.
const _: () = assert!(MAX_STORED_MESSAGES > 100_000 && MAX_STORED_BYTES > 100_000 * 1400);

/// The made-up lesson passwords of the standard world (`core/worlds/standard.world`), for
/// POP3's USER/PASS and the secret of APOP. Shown to students: never use them anywhere real.
pub const PASSWORDS: [(&str, &str); 3] =
    [("alice@example.org", "wonderland"), ("bob@example.net", "builder"), ("carol@example.net", "christmas")];

/// The password of `user` (any case), if it has one.
pub fn password_of(user: &str) -> Option<&'static str> {
    PASSWORDS.iter().find(|(u, _)| u.eq_ignore_ascii_case(user)).map(|(_, p)| *p)
}

/// What the store thread owns.
pub struct Host {
    pub store: MailStore,
    /// Who has a mailbox here (every address of it also has one in `store`).
    pub directory: Directory,
    /// Print every delivered message to standard output (`--print-messages`).
    pub print_messages: bool,
    /// The server's name, as the reporting MTA of its bounces.
    pub hostname: String,
    /// Standard output, where every delivery and deletion is told; flushed whenever the
    /// store thread has no job waiting ([`StoreHandle::start`]).
    log: io::BufWriter<io::Stdout>,
    /// The IMAP sessions: they live here, beside the store they work on, so that a change
    /// to the store reaches an idling session at once (RFC 2177).
    imap: BTreeMap<u64, ImapConn>,
}

/// One IMAP session and the way to its client.
struct ImapConn {
    server: ImapServer,
    to_client: ImapOut,
}

/// The way to an IMAP client's writer thread: bytes to write, `None` to close, and how
/// many octets wait there unwritten. The connection's reader stops reading the client
/// while too many wait ([`ImapOut::over`]), so a client that pipelines commands and never
/// reads the answers cannot make the server hold more and more of them.
#[derive(Clone)]
pub struct ImapOut {
    pub tx: mpsc::Sender<Option<Vec<u8>>>,
    pub backlog: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Octets queued for one IMAP client beyond which its commands are no longer read.
pub const MAX_IMAP_BACKLOG: usize = 4 << 20;

impl ImapOut {
    fn send(&self, bytes: Option<Vec<u8>>) {
        let n = bytes.as_ref().map_or(0, Vec::len);
        self.backlog.fetch_add(n, std::sync::atomic::Ordering::AcqRel);
        if self.tx.send(bytes).is_err() {
            self.backlog.fetch_sub(n, std::sync::atomic::Ordering::AcqRel);
        }
    }

    /// The writer took `n` octets off the queue.
    pub fn written(&self, n: usize) {
        self.backlog.fetch_sub(n, std::sync::atomic::Ordering::AcqRel);
    }

    /// Too much waits: stop reading this client until its writer catches up.
    pub fn over(&self) -> bool {
        self.backlog.load(std::sync::atomic::Ordering::Acquire) > MAX_IMAP_BACKLOG
    }
}

impl ImapConn {
    /// Sends what the machine queued; true once it closed.
    fn flush(&mut self) -> bool {
        let (mut bytes, mut close) = (Vec::new(), false);
        while let Some(out) = self.server.poll_output() {
            match out {
                Output::Send { bytes: b, .. } => bytes.extend_from_slice(&b),
                Output::Close => close = true,
                Output::Request(_) => {}
            }
        }
        if !bytes.is_empty() {
            self.to_client.send(Some(bytes));
        }
        if close {
            self.to_client.send(None);
        }
        close || self.server.is_closed()
    }
}

/// What the IMAP server asks of its host: the passwords, and the store itself.
struct ImapEnv<'a> {
    store: &'a mut MailStore,
}

impl Env for ImapEnv<'_> {
    /// Not asked by IMAP.
    fn recipient(&mut self, _client_addr: &str, _rcpt: &str) -> RcptVerdict {
        RcptVerdict::NoSuchUser
    }

    fn check_password(&mut self, user: &str, password: &str) -> bool {
        password_of(user).is_some_and(|p| p == password)
    }

    fn mail_store(&mut self) -> Option<&mut MailStore> {
        Some(self.store)
    }
}

type Job = Box<dyn FnOnce(&mut Host) + Send>;

/// The way to the store thread. Cheap to share: every connection thread holds a reference.
pub struct StoreHandle {
    jobs: mpsc::Sender<Job>,
    /// Whether new mail fits ([`Host::has_room`]) as the store thread left it after its last
    /// job: SMTP asks at every MAIL FROM, and reading it here costs no trip to that thread
    /// and back (as good as asking: the answer could change the moment after, either way).
    room: Arc<AtomicBool>,
}

impl StoreHandle {
    /// Starts the store thread, owning the host that `make` builds there (a host cannot
    /// move between threads).
    pub fn start(make: impl FnOnce() -> Host + Send + 'static) -> StoreHandle {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let room = Arc::new(AtomicBool::new(true));
        let room_now = Arc::clone(&room);
        std::thread::spawn(move || {
            let mut host = make();
            loop {
                let job = match inbox.try_recv() {
                    Ok(job) => job,
                    // What the jobs printed goes out once none waits: one write for a burst
                    // of deliveries, and never later than the moment the store is idle.
                    Err(mpsc::TryRecvError::Empty) => {
                        host.flush_log();
                        match inbox.recv() {
                            Ok(job) => job,
                            Err(_) => break,
                        }
                    }
                    Err(mpsc::TryRecvError::Disconnected) => break,
                };
                // A job that panics (a bug) loses only its own answer: the asking thread sees
                // no result and fails that one request; the store keeps serving the others.
                // Every store operation checks its input before it changes anything.
                let _ = catch_unwind(AssertUnwindSafe(|| job(&mut host)));
                // Whatever the job changed, idling IMAP sessions hear of it now.
                let _ = catch_unwind(AssertUnwindSafe(|| host.store_changed()));
                room_now.store(host.has_room(), Ordering::Release);
            }
            host.flush_log();
        });
        StoreHandle { jobs, room }
    }

    /// True while there is room for new mail (checked at MAIL FROM), without asking the
    /// store thread.
    pub fn has_room(&self) -> bool {
        self.room.load(Ordering::Acquire)
    }

    /// Runs `f` on the store thread and waits for its result; `None` if the store thread
    /// could not answer (a bug made the job panic).
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce(&mut Host) -> R + Send + 'static) -> Option<R> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |host: &mut Host| {
                let _ = tx.send(f(host));
            }))
            .ok()?;
        rx.recv().ok()
    }
}

impl Host {
    /// The store of this server's world: a mailbox for every user and for the postmaster
    /// of every local domain (RFC 5321 §4.5.1), so that every address RCPT accepts has one.
    pub fn new(directory: Directory, print_messages: bool, hostname: &str) -> Host {
        let mut store = MailStore::with_limits(STORE_LIMITS);
        let postmasters = directory.local_domains.iter().map(|d| format!("postmaster@{d}"));
        for addr in directory.mailboxes.iter().cloned().chain(postmasters) {
            // Cannot fail: a new store, distinct addresses.
            let _ = store.create_mailbox(&addr);
        }
        Host {
            store,
            directory,
            print_messages,
            hostname: hostname.to_string(),
            log: io::BufWriter::new(io::stdout()),
            imap: BTreeMap::new(),
        }
    }

    /// Writes out what was printed.
    pub fn flush_log(&mut self) {
        let _ = self.log.flush();
    }

    /// A client connected to IMAP: its session `id` starts, its greeting goes out.
    /// Returns when the machine wants to be woken.
    pub fn imap_open(
        &mut self,
        id: u64,
        config: ImapConfig,
        peer: Peer,
        now: SimTime,
        to_client: ImapOut,
    ) -> Option<SimTime> {
        let mut conn = ImapConn { server: ImapServer::new(config, peer, now), to_client };
        conn.flush();
        let deadline = conn.server.poll_timeout();
        self.imap.insert(id, conn);
        deadline
    }

    /// Bytes from IMAP client `id` (or, with `None`, its timer fired). Returns when to wake
    /// it next; `None` once it closed.
    pub fn imap_input(&mut self, id: u64, bytes: Option<&[u8]>, now: SimTime) -> Option<SimTime> {
        let conn = self.imap.get_mut(&id)?;
        match bytes {
            Some(b) => conn.server.handle_input(b, now, &mut ImapEnv { store: &mut self.store }),
            None => conn.server.handle_timeout(now),
        }
        if conn.flush() { None } else { conn.server.poll_timeout() }
    }

    /// IMAP client `id` is gone: the driver's part of an unclean end (`ImapServer::release`).
    pub fn imap_end(&mut self, id: u64, now: SimTime) {
        if let Some(mut conn) = self.imap.remove(&id) {
            conn.server.handle_close(now);
            conn.server.release(&mut ImapEnv { store: &mut self.store });
        }
    }

    /// The store may have changed: every IMAP session is told (`Session::handle_store_change`);
    /// those in IDLE push the news.
    fn store_changed(&mut self) {
        for conn in self.imap.values_mut() {
            conn.server.handle_store_change(SimTime::ZERO, &mut ImapEnv { store: &mut self.store });
            conn.flush();
        }
    }

    /// True while there is room for new mail (checked at MAIL FROM).
    pub fn has_room(&self) -> bool {
        self.store.used() < MAX_STORED_BYTES && self.store.message_count() < MAX_STORED_MESSAGES
    }

    /// The server owns `a` now (it is about to answer 250): file it in every recipient's
    /// INBOX and say so. All or nothing: if it cannot be stored for every recipient, what
    /// was stored is taken back, and the caller must not send the 250, so the client keeps
    /// the message (RFC 5321 §6.1).
    ///
    /// A recipient outside this server's world (a logged-in user on the submission port may
    /// name anyone) cannot be reached from here: the sender gets a bounce for it, in their
    /// own INBOX (RFC 3464), and the message is delivered to the others.
    pub fn deliver(&mut self, a: &Accepted, now: SimTime) -> Result<(), String> {
        let (targets, outside): (Vec<_>, Vec<_>) =
            a.rcpt_to.iter().map(|r| (r, self.directory.local_mailbox(r))).partition(|(_, m)| m.is_some());
        let targets: Vec<String> = targets.into_iter().filter_map(|(_, m)| m).collect();
        let outside: Vec<&String> = outside.into_iter().map(|(r, _)| r).collect();
        let mut batch = Vec::with_capacity(2);
        if !targets.is_empty() {
            batch.push((a.id.clone(), mail::with_return_path(&a.mail_from, &a.message), targets));
        }
        if !outside.is_empty() {
            let (to, dsn) = self.bounce(a, &outside, now);
            // A bounce has the null reverse-path (RFC 5321 §4.5.5).
            batch.push((format!("{}B", a.id), mail::with_return_path("", &dsn), vec![to]));
        }
        self.store_all(&batch, now)
    }

    /// The bounce for the recipients of `a` that are outside the world, and the mailbox
    /// it goes to: the sender's, or the postmaster's if the sender has none here.
    fn bounce(&self, a: &Accepted, outside: &[&String], now: SimTime) -> (String, Vec<u8>) {
        let failures: Vec<Failure> = outside
            .iter()
            .map(|r| Failure {
                recipient: r.to_string(),
                status: "5.1.2".into(),
                reason: format!(
                    "{} knows only the domains {}: there is no way to reach {} from here",
                    self.hostname,
                    self.directory.local_domains.join(" and "),
                    mail::domain_of(r)
                ),
                remote: None,
            })
            .collect();
        let message_id = format!("{}B@{}", a.id, self.hostname);
        let dsn = mail::dsn(&Bounce {
            reporting_mta: &self.hostname,
            sender: &a.mail_from,
            arrival: a.received_at,
            now,
            message_id: &message_id,
            original: &a.message,
            failures: &failures,
            will_retry_until: None,
        });
        let postmaster = || format!("postmaster@{}", self.directory.local_domains.first().map_or("", |d| d));
        let to = self.directory.local_mailbox(&a.mail_from).unwrap_or_else(postmaster);
        (to, dsn)
    }

    /// Files each `(id, message, mailboxes)` of `batch`, all or nothing, and says so.
    fn store_all(&mut self, batch: &[(String, Vec<u8>, Vec<String>)], now: SimTime) -> Result<(), String> {
        let mut done: Vec<(&str, u32)> = Vec::new();
        for (id, message, targets) in batch {
            let stored: Rc<[u8]> = message.as_slice().into();
            for mailbox in targets {
                match self.store.deliver(mailbox, Rc::clone(&stored), now) {
                    Ok(uid) => done.push((mailbox, uid)),
                    Err(e) => {
                        for (mailbox, uid) in &done {
                            let _ = self.store.delete(mailbox, INBOX, &[*uid]);
                        }
                        return Err(format!("cannot store {id} for {mailbox}: {e}"));
                    }
                }
            }
        }
        let out = &mut self.log;
        for (id, message, targets) in batch {
            for mailbox in targets {
                let count = self.store.folder(mailbox, INBOX).map_or(0, |f| f.exists());
                let _ = writeln!(
                    out,
                    "delivered {id} to {mailbox} ({} octets, {count} in mailbox)",
                    message.len()
                );
                if self.print_messages {
                    let _ = writeln!(out, "--- message {id} for {mailbox} ---");
                    let _ = out.write_all(message);
                    let _ = writeln!(out, "--- end ---");
                }
            }
        }
        Ok(())
    }

    /// The INBOX of `user` as a POP3 maildrop, locked for `session`
    /// ([`mailroom_core::pop3::maildrop`], shared with the World).
    fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
        maildrop::open(&mut self.store, user, session)
    }

    fn maildrop_message(&self, user: &str, session: u64, uid: &str) -> Option<Vec<u8>> {
        maildrop::message(&self.store, user, session, uid).map(|m| m.to_vec())
    }

    fn commit_deletions(&mut self, user: &str, session: u64, uids: &[String]) -> bool {
        let removed = maildrop::delete(&mut self.store, user, session, uids);
        let left = self.store.folder(user, INBOX).map_or(0, |f| f.exists());
        let _ = writeln!(
            self.log,
            "deleted {} from {} at QUIT of POP3 session {session} ({left} in mailbox)",
            uids.len(),
            user.to_ascii_lowercase()
        );
        removed
    }
}

/// What the SMTP server asks of its host: the directory answers at once; whether there is
/// room, the store thread's last word on it.
pub struct SmtpEnv<'a> {
    pub store: &'a StoreHandle,
    pub directory: &'a Directory,
}

impl Env for SmtpEnv<'_> {
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        self.directory.verdict(client_addr, rcpt)
    }

    fn storage_available(&mut self) -> bool {
        self.store.has_room()
    }

    /// AUTH on the submission service (RFC 4954): the world's passwords.
    fn check_password(&mut self, user: &str, password: &str) -> bool {
        password_of(user).is_some_and(|p| p == password)
    }
}

/// What the POP3 server asks of its host: the passwords, and the maildrops in the store.
pub struct Pop3Env<'a> {
    pub store: &'a StoreHandle,
    pub directory: &'a Directory,
}

impl Env for Pop3Env<'_> {
    /// Not asked by POP3; answered as SMTP would be.
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        self.directory.verdict(client_addr, rcpt)
    }

    fn check_password(&mut self, user: &str, password: &str) -> bool {
        password_of(user).is_some_and(|p| p == password)
    }

    fn apop_secret(&mut self, user: &str) -> Option<String> {
        password_of(user).map(str::to_string)
    }

    fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
        let user = user.to_string();
        self.store.run(move |h| h.open_maildrop(&user, session)).unwrap_or(Err(MaildropError::Unavailable))
    }

    fn maildrop_message(&mut self, user: &str, session: u64, uid: &str) -> Option<Rc<[u8]>> {
        let (user, uid) = (user.to_string(), uid.to_string());
        self.store.run(move |h| h.maildrop_message(&user, session, &uid)).flatten().map(Rc::from)
    }

    fn commit_deletions(&mut self, user: &str, session: u64, uids: &[String]) -> bool {
        let (user, uids) = (user.to_string(), uids.to_vec());
        self.store.run(move |h| h.commit_deletions(&user, session, &uids)).unwrap_or(false)
    }

    fn close_maildrop(&mut self, user: &str, session: u64) {
        let user = user.to_string();
        self.store.run(move |h| {
            maildrop::close(&mut h.store, &user, session);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The passwords here are the standard world's, line for line.
    #[test]
    fn passwords_are_the_standard_worlds() {
        let world = include_str!("../../core/worlds/standard.world");
        let mut found = Vec::new();
        for line in world.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let ["user", addr, "password", secret] = words[..] {
                found.push((addr, secret.trim_matches('"')));
            }
        }
        assert_eq!(found, PASSWORDS);
        assert_eq!(password_of("Bob@Example.NET"), Some("builder"));
        assert_eq!(password_of("postmaster@example.net"), None);
    }

    /// Room for a load test of 100,000 messages, then `452 4.3.1` at MAIL FROM, counting the
    /// messages of every folder (an IMAP APPEND to Sent takes room too).
    #[test]
    fn new_mail_is_refused_past_the_limit() {
        let directory = Directory {
            local_domains: vec!["example.net".into()],
            mailboxes: vec!["bob@example.net".into()],
            relay_clients: Vec::new(),
            relay_domains: Vec::new(),
            full: false,
        };
        let mut host = Host::new(directory, false, "mail.example.net");
        let message: Rc<[u8]> = b"Subject: hi\r\n\r\nHi\r\n".as_slice().into();
        for _ in 1..MAX_STORED_MESSAGES {
            host.store.deliver("bob@example.net", Rc::clone(&message), SimTime::ZERO).unwrap();
        }
        assert!(host.has_room());
        host.store
            .append("bob@example.net", "Sent", Rc::clone(&message), Default::default(), SimTime::ZERO)
            .unwrap();
        assert!(!host.has_room());
        // Mail already past MAIL FROM still fits: the store's own ceiling is twice as high.
        assert!(host.store.deliver("bob@example.net", message, SimTime::ZERO).is_ok());
        assert_eq!(host.store.limits(), STORE_LIMITS);
    }
}
