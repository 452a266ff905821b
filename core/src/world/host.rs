//! A mail host's side of the World: its data (store, queue, users), how it files mail,
//! its fault rules, and its answers to what its protocol machines ask ([`Env`]).

use crate::vecmap::VecMap;

use crate::mail;
use crate::mta::{LocalDelivery, LocalFailure, Mta};
use crate::session::{CommandContext, Directory, Env, RcptVerdict};
use crate::smtp::reply::{Reply, ReplyCode};
use crate::smtp::server::ServerConfig;
use crate::store::{MailStore, StoreError};
use crate::time::{SimDuration, SimTime};
use crate::trace::HostId;

/// A mail host's own data: who it takes mail for, its mailboxes, its queue.
pub struct MailHost {
    pub config: ServerConfig,
    /// Local domains, mailboxes and the clients it relays for.
    pub directory: Directory,
    /// The host's mail store: it, not the SMTP server, owns delivered mail; POP3 and IMAP
    /// read it.
    pub store: MailStore,
    /// Users' passwords, for the services that ask for one (submission, POP3, IMAP).
    pub passwords: VecMap<String, String>,
    pub mta: Mta,
    pub(super) sessions: u32,
    /// What it checks of senders, and the DKIM keys it signs with.
    #[cfg(feature = "trust")]
    pub auth: super::auth::Authentication,
    /// When the MTA's timer is armed for.
    pub(super) mta_timer: Option<SimTime>,
}

impl MailHost {
    /// A fresh id for a server session (used in queue ids), deterministic.
    pub(super) fn next_session_id(&mut self) -> String {
        self.sessions += 1;
        let h = self
            .config
            .hostname
            .bytes()
            .fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
        // The whole counter, never truncated: queue ids must not repeat.
        format!("{:06X}{:02X}", h & 0xFF_FFFF, self.sessions)
    }
}

/// The store side of local delivery: files into the host's mailboxes.
pub(super) struct Mailboxes<'a> {
    pub store: &'a mut MailStore,
    pub directory: &'a Directory,
    pub now: SimTime,
}

impl LocalDelivery for Mailboxes<'_> {
    fn deliver(
        &mut self,
        rcpt: &str,
        mail_from: &str,
        message: &[u8],
        junk: bool,
    ) -> Result<(String, Vec<u8>), LocalFailure> {
        let Some(mailbox) = self.directory.local_mailbox(rcpt) else {
            return Err(LocalFailure {
                status: "5.1.1".into(),
                reason: format!("there is no mailbox {rcpt}"),
            });
        };
        if !self.store.has_mailbox(&mailbox) {
            // postmaster@ exists on every mail host (RFC 5321 §4.5.1): made on first use.
            let _ = self.store.create_mailbox(&mailbox);
        }
        let stored = mail::with_return_path(mail_from, message);
        let delivered = if cfg!(feature = "trust") && junk {
            self.store.deliver_junk(&mailbox, stored.clone(), self.now)
        } else {
            self.store.deliver(&mailbox, stored.clone(), self.now)
        };
        match delivered {
            Ok(_) => Ok((mailbox, stored)),
            Err(StoreError::MailboxFull { .. }) => {
                Err(LocalFailure { status: "4.2.2".into(), reason: format!("the mailbox {mailbox} is full") })
            }
            Err(e) => Err(LocalFailure { status: "4.3.1".into(), reason: e.to_string() }),
        }
    }
}

/// A fault rule that answers a command on a host instead of the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyRule {
    pub host: HostId,
    /// Upper case, e.g. `RCPT`.
    pub verb: String,
    pub reply: Reply,
    /// How many more times it applies; `None`: always.
    pub times: Option<u32>,
}

/// How long a greylisting server wants before a retry goes through (Postgrey's default).
pub const GREYLIST_DELAY: SimDuration = SimDuration::from_secs(300);

/// The fault rules of a World.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Hosts that greylist: the first attempt of each (client, sender, recipient) gets
    /// `451 4.7.1`, a later one goes through.
    pub greylist: Vec<HostId>,
    /// Each greylisted (host, client, sender, recipient), and when it was first tried.
    seen: Vec<((HostId, String, String, String), SimTime)>,
    pub replies: Vec<ReplyRule>,
    /// Connections to a host that break as a client sends a command.
    #[cfg(feature = "pop3")]
    pub cuts: Vec<CutRule>,
}

/// A client's connection to `port` of `host` breaks as it sends `verb`: the command never
/// arrives.
#[cfg(feature = "pop3")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutRule {
    pub host: HostId,
    pub port: u16,
    /// Upper case, e.g. `QUIT`.
    pub verb: String,
    /// How many more times it applies; `None`: always.
    pub times: Option<u32>,
}

impl Faults {
    /// True when a rule cuts the connection to `port` of `host` as `verb` is sent now; a
    /// rule with `times` is used up.
    #[cfg(feature = "pop3")]
    pub fn take_cut(&mut self, host: HostId, port: u16, verb: &str) -> bool {
        let Some(rule) = self
            .cuts
            .iter_mut()
            .find(|r| r.host == host && r.port == port && r.verb == verb && r.times != Some(0))
        else {
            return false;
        };
        if let Some(n) = &mut rule.times {
            *n -= 1;
        }
        true
    }

    /// The reply a rule of `host` gives to `verb` now, if any; a rule with `times` is used up.
    pub fn take_reply(&mut self, host: HostId, verb: &str) -> Option<Reply> {
        let rule =
            self.replies.iter_mut().find(|r| r.host == host && r.verb == verb && r.times != Some(0))?;
        if let Some(n) = &mut rule.times {
            *n -= 1;
        }
        Some(rule.reply.clone())
    }
}

/// A host's answers to its machines' questions.
pub(super) struct HostEnv<'a> {
    pub host: HostId,
    /// When the machine asks (a greylisting server counts from a first try).
    pub now: SimTime,
    pub mail: &'a mut MailHost,
    pub faults: &'a mut Faults,
}

impl Env for HostEnv<'_> {
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        let verdict = self.mail.directory.verdict(client_addr, rcpt);
        match verdict {
            RcptVerdict::Local(m)
                if self.mail.store.quota(&m).is_ok_and(|q| q.limit.is_some_and(|l| q.used >= l)) =>
            {
                RcptVerdict::Full
            }
            v => v,
        }
    }

    fn storage_available(&mut self) -> bool {
        !self.mail.mta.is_full()
    }

    fn check_password(&mut self, user: &str, password: &str) -> bool {
        self.mail.passwords.get(&user.to_ascii_lowercase()).is_some_and(|p| p == password)
    }

    #[cfg(feature = "pop3")]
    fn apop_secret(&mut self, user: &str) -> Option<String> {
        self.mail.passwords.get(&user.to_ascii_lowercase()).cloned()
    }

    /// The INBOX as a POP3 maildrop ([`crate::pop3::maildrop`]).
    #[cfg(feature = "pop3")]
    fn open_maildrop(
        &mut self,
        user: &str,
        session: u64,
    ) -> Result<Vec<crate::pop3::Pop3Item>, crate::pop3::MaildropError> {
        crate::pop3::maildrop::open(&mut self.mail.store, user, session)
    }

    #[cfg(feature = "pop3")]
    fn maildrop_message(
        &mut self,
        user: &str,
        session: u64,
        uid: &str,
    ) -> Result<std::rc::Rc<[u8]>, crate::pop3::MessageError> {
        crate::pop3::maildrop::message(&self.mail.store, user, session, uid)
    }

    #[cfg(feature = "pop3")]
    fn commit_deletions(&mut self, user: &str, session: u64, uids: &[String]) -> bool {
        crate::pop3::maildrop::delete(&mut self.mail.store, user, session, uids)
    }

    #[cfg(feature = "pop3")]
    fn maildrop_count(&mut self, user: &str) -> Option<usize> {
        crate::pop3::maildrop::count(&self.mail.store, user)
    }

    #[cfg(feature = "pop3")]
    fn close_maildrop(&mut self, user: &str, session: u64) {
        crate::pop3::maildrop::close(&mut self.mail.store, user, session);
    }

    /// The host's store, for its IMAP sessions.
    #[cfg(feature = "imap")]
    fn mail_store(&mut self) -> Option<&mut MailStore> {
        Some(&mut self.mail.store)
    }

    fn intercept(&mut self, cmd: &CommandContext<'_>) -> Option<Reply> {
        let host = self.host;
        if let Some(mut reply) = self.faults.take_reply(host, cmd.verb) {
            // Written without an enhanced status code, a rule's reply gets its class's
            // undefined one, X.0.0 (RFC 3463 §3.1), as the server's own replies carry one
            // (RFC 2034 §3). Not the greeting's: it has none (that rule is not taken here).
            if reply.enhanced.is_none() && (200..600).contains(&reply.code) {
                reply.enhanced = Some(format!("{}.0.0", reply.code / 100));
            }
            return Some(reply);
        }
        if cmd.verb == "RCPT" && self.faults.greylist.contains(&host) {
            let key = (
                host,
                cmd.client_addr.to_string(),
                cmd.mail_from.unwrap_or_default().to_ascii_lowercase(),
                cmd.rcpt.unwrap_or_default().to_ascii_lowercase(),
            );
            let now = self.now;
            let first = match self.faults.seen.iter().find(|(k, _)| *k == key) {
                Some((_, first)) => *first,
                None => {
                    self.faults.seen.push((key, now));
                    now
                }
            };
            // Only a retry after the delay goes through (Postgrey's 300 s; RFC 6647 §2.1:
            // a real MTA retries later, a spam engine firing once does not).
            if now < first.plus(GREYLIST_DELAY) {
                return Some(Reply::of(
                    ReplyCode::Greylisted,
                    "Greylisted: this sender is new here, please try again later",
                ));
            }
        }
        None
    }
}
