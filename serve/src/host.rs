//! The mail host behind every listener: one [`MailStore`] that SMTP delivers into, POP3
//! reads, locks and deletes from, and IMAP works on, so that a message sent through `--smtp`
//! is retrieved through `--pop3` or `--imap`, and a deletion is seen by the next session.
//! It lives on the thread of the event loop ([`crate::event_loop`]), beside every session's
//! machine, which asks it through [`HostEnv`]: the store keeps its messages as `Rc<[u8]>`
//! (the engine is single-threaded), and no message is ever copied between threads.

use std::io::{self, Write};
use std::rc::Rc;

use mailroom_core::mail::{self, Bounce, Failure};
use mailroom_core::pop3::{MaildropError, MessageError, Pop3Item, maildrop};
use mailroom_core::session::{Directory, Env, RcptVerdict};
use mailroom_core::smtp::server::Accepted;
use mailroom_core::store::{INBOX, MailStore, StoreLimits};
use mailroom_core::time::SimTime;

/// The store's own ceiling here ([`MailStore::with_limits`]): 512 MiB of mail and 262,144
/// messages. A native server has the machine's memory, not a browser tab's
/// ([`StoreLimits::BROWSER`]); this is room for a load test of 100,000 messages of
/// 1 KB (`scripts/bench-serve.sh`) with a margin, and bounded all the same.
pub const STORE_LIMITS: StoreLimits = StoreLimits { max_bytes: 512 << 20, max_messages: 1 << 18 };
/// New mail gets `452 4.3.1` at MAIL FROM once all mailboxes together hold this much
/// (256 MiB), until the server restarts (RFC 1870 §6.3, RFC 3463 §3.4). Half of the store's
/// own ceiling ([`STORE_LIMITS`]): the other half is room for mail already past MAIL FROM,
/// which usually fits, but not always (a message is counted once per mailbox: seven sessions
/// each ending DATA with 10 MiB for all five mailboxes bring 350 MiB). What does not fit
/// gets `452 4.3.1` at the final dot instead of its `250`, nothing of it is stored, and the
/// client keeps it and tries again later: nothing is lost.
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

/// The mail store and who has a mailbox in it.
pub struct Host {
    pub store: MailStore,
    /// Who has a mailbox here (every address of it also has one in `store`).
    pub directory: Directory,
    /// Print every delivered message to standard output (`--print-messages`).
    pub print_messages: bool,
    /// The server's name, as the reporting MTA of its bounces.
    pub hostname: String,
    /// Standard output, where every delivery and deletion is told; written out whenever
    /// the event loop is about to wait ([`Host::flush_log`]).
    log: io::BufWriter<io::Stdout>,
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
        }
    }

    /// Writes out what was printed.
    pub fn flush_log(&mut self) {
        let _ = self.log.flush();
    }

    /// True while there is room for new mail (checked at MAIL FROM).
    pub fn has_room(&self) -> bool {
        self.store.used() < MAX_STORED_BYTES && self.store.message_count() < MAX_STORED_MESSAGES
    }

    /// The server owns `a` now (it is about to answer 250): file it in every recipient's
    /// INBOX and say so. All or nothing: if it cannot be stored for every recipient, what
    /// was stored is taken back, and the caller must not send the 250 (it answers
    /// `452 4.3.1`), so the client keeps the message (RFC 5321 §6.1).
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

    fn commit_deletions(&mut self, user: &str, session: u64, uids: &[String]) -> bool {
        let removed = maildrop::delete(&mut self.store, user, session, uids);
        let left = maildrop::count(&self.store, user).unwrap_or(0);
        let _ = writeln!(
            self.log,
            "deleted {} from {} at QUIT of POP3 session {session} ({left} in mailbox)",
            uids.len(),
            user.to_ascii_lowercase()
        );
        removed
    }
}

/// What every machine asks of its host, answered from the host: the directory (SMTP's
/// RCPT), whether there is room (MAIL FROM), the passwords (AUTH, POP3, IMAP), the POP3
/// maildrops and, for IMAP, the store itself.
pub struct HostEnv<'a>(pub &'a mut Host);

impl Env for HostEnv<'_> {
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        self.0.directory.verdict(client_addr, rcpt)
    }

    fn storage_available(&mut self) -> bool {
        self.0.has_room()
    }

    /// AUTH on the submission service (RFC 4954), POP3's USER/PASS, IMAP's LOGIN: the
    /// world's passwords.
    fn check_password(&mut self, user: &str, password: &str) -> bool {
        password_of(user).is_some_and(|p| p == password)
    }

    fn apop_secret(&mut self, user: &str) -> Option<String> {
        password_of(user).map(str::to_string)
    }

    fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
        self.0.open_maildrop(user, session)
    }

    fn maildrop_message(&mut self, user: &str, session: u64, uid: &str) -> Result<Rc<[u8]>, MessageError> {
        maildrop::message(&self.0.store, user, session, uid)
    }

    fn commit_deletions(&mut self, user: &str, session: u64, uids: &[String]) -> bool {
        self.0.commit_deletions(user, session, uids)
    }

    fn maildrop_count(&mut self, user: &str) -> Option<usize> {
        maildrop::count(&self.0.store, user)
    }

    fn close_maildrop(&mut self, user: &str, session: u64) {
        maildrop::close(&mut self.0.store, user, session);
    }

    fn mail_store(&mut self) -> Option<&mut MailStore> {
        Some(&mut self.0.store)
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
        // A message already past MAIL FROM still fits here: the store's own ceiling is twice
        // as high (not a promise for every session at once: README, "Limits").
        assert!(host.store.deliver("bob@example.net", message, SimTime::ZERO).is_ok());
        assert_eq!(host.store.limits(), STORE_LIMITS);
    }
}
