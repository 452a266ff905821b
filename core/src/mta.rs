//! The queue manager of a mail server (an MTA's `qmgr`), sans-IO.
//!
//! Once an SMTP server has answered `250` to the final dot, the host owns the message
//! (RFC 5321 §4.1.1.4, §6.1): this part decides what becomes of it. Local recipients are
//! filed into the host's store at once; the others wait in the queue, one entry per
//! destination domain, until each recipient is delivered or has failed for good, and the
//! sender gets one bounce (RFC 3464) for what failed.
//!
//! Inputs: [`Mta::accept`] (a message), [`Mta::dns_answer`] (an MX or A answer),
//! [`Mta::attempt_result`] (what became of a connection), [`Mta::handle_timeout`]
//! (retries). Outputs, drained with [`Mta::poll_output`]: lookups to make, connections
//! to open, deliveries and bounces to record. [`Mta::poll_timeout`] says when the next
//! retry is due. The driver (the World) moves the bytes; filing into a mailbox is asked of
//! the host's store through [`LocalDelivery`].
//!
//! Routing follows RFC 5321 §5.1: the MX records of the domain in order of preference,
//! equal preferences in a random order (from the World's seeded generator); no MX means
//! the domain's own address is the implicit MX; a null MX (`0 .`, RFC 7505) means the
//! domain takes no mail. A refused connection or a `4xx` from one MX moves on to the next
//! before the message is deferred and retried later (§4.5.4.1).

use crate::vecmap::VecMap;
use std::collections::VecDeque;

use crate::dns::{Answer, RData};
use crate::mail::{self, Bounce, Failure, RemoteReply};
use crate::rng::Rng;
use crate::smtp::client::{Envelope, Outcome, RcptStatus};
use crate::smtp::server::Accepted;
use crate::time::{SimDuration, SimTime};

/// When a queued message is tried again, when its sender is warned, and when it is given
/// up, as a mail administrator configures them (Postfix: `minimal_backoff_time`,
/// `maximal_backoff_time`, `delay_warning_time`, `maximal_queue_lifetime`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delays before the 2nd, 3rd, ... attempt; the last one repeats until the message
    /// is given up.
    pub backoff: Vec<SimDuration>,
    /// How long after it arrived a message is given up (its `Will-Retry-Until`).
    pub lifetime: SimDuration,
    /// After this long in the queue the sender gets one "delayed" DSN (RFC 3464 §2.3.3,
    /// `Action: delayed`), if at all.
    pub warn_after: Option<SimDuration>,
}

impl Default for RetryPolicy {
    /// A real MTA's: "the retry interval SHOULD be at least 30 minutes; however, more
    /// sophisticated and variable strategies will be beneficial" and "the give-up time
    /// generally needs to be at least 4-5 days" (RFC 5321 §4.5.4.1). Retries after 30
    /// minutes, 1, 2 and 4 hours, then every 4 hours; a warning after 4 hours (a common
    /// `delay_warning_time`); given up after 5 days (Postfix's `maximal_queue_lifetime`).
    /// A lesson may set a quicker schedule (`queue HOST retry 5m ...`, as Postfix's
    /// `minimal_backoff_time` of 300 s: the RFC allows it when the client knows why
    /// delivery failed).
    fn default() -> RetryPolicy {
        let minutes = |m: u64| SimDuration::from_secs(m * 60);
        RetryPolicy {
            backoff: vec![minutes(30), minutes(60), minutes(120), minutes(240)],
            lifetime: SimDuration::from_secs(5 * 86_400),
            warn_after: Some(minutes(240)),
        }
    }
}

impl RetryPolicy {
    /// The delay after attempt number `attempt` (1 for the first) failed.
    pub fn delay_after(&self, attempt: usize) -> SimDuration {
        let i = attempt.saturating_sub(1).min(self.backoff.len().saturating_sub(1));
        self.backoff.get(i).copied().unwrap_or(SimDuration::from_secs(30 * 60))
    }
}

/// One queued message as a mail administrator sees it (`mailq`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueItem {
    pub id: String,
    /// The recipients still waiting.
    pub recipients: Vec<String>,
    pub arrival: SimTime,
    /// Attempts made so far.
    pub attempts: usize,
    /// When the next attempt starts; `None` while one is under way.
    pub next: Option<SimTime>,
    /// Why the last attempt did not deliver, for the first recipient still waiting.
    pub last_error: Option<String>,
}

/// A message that has passed through more servers than this is in a mail loop and is
/// bounced: RFC 5321 §6.3 counts `Received:` headers and says the limit "should be large",
/// "typically at least 100".
pub const MAX_HOPS: usize = 100;

/// At most this many messages wait in one queue; more are refused by the World's
/// servers (`452 4.3.1`) rather than grow memory without bound.
pub const MAX_QUEUE: usize = 10_000;

/// The RFC 3463 statuses this queue manager writes into DSNs on its own (the others come
/// from remote replies): no such mailbox, no such domain, mailbox full, null MX, routing
/// loop, delivery time expired; and in a "delayed" warning, no answer from the host.
pub const DSN_STATUSES: [&str; 7] = ["5.1.1", "5.1.2", "5.2.2", "5.1.10", "5.4.6", "5.4.7", "4.4.1"];

/// Filing a message into a local mailbox: asked of the host's store.
pub trait LocalDelivery {
    /// Files `message` for `rcpt`, with `Return-Path: <mail_from>` (RFC 5321 §4.4), in
    /// the Junk folder when `junk`, else the INBOX. Returns the mailbox and the bytes as
    /// stored, or why it cannot be filed.
    fn deliver(
        &mut self,
        rcpt: &str,
        mail_from: &str,
        message: &[u8],
        junk: bool,
    ) -> Result<(String, Vec<u8>), LocalFailure>;
}

/// Why a local delivery failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFailure {
    /// RFC 3463 status, e.g. `5.1.1` (no such mailbox) or `4.2.2` (mailbox full).
    pub status: String,
    pub reason: String,
}

/// Something the driver must do or record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MtaOutput {
    /// A message was filed into a local mailbox (the bytes as stored).
    Delivered { mailbox: String, stored: Vec<u8> },
    /// A message waits in the queue for relay to these recipients.
    Queued { id: String, recipients: Vec<String> },
    /// Ask DNS `name IN qtype` for entry `id`; answer with [`Mta::dns_answer`].
    Lookup { id: String, name: String, qtype: &'static str },
    /// Open an SMTP connection to `addr` (the exchange `exchange`) on port 25 and deliver
    /// the envelope; report with [`Mta::attempt_result`].
    Connect { id: String, exchange: String, addr: String, envelope: Envelope, message: Vec<u8> },
    /// A bounce was written for `sender`; it must be accepted like any message
    /// (`resubmit`, with a null reverse-path).
    Bounced { sender: String, dsn: Vec<u8>, resubmit: Accepted },
    /// A "delayed" warning was written for `sender` (the message stays queued); accepted
    /// like a bounce.
    Warned { sender: String, dsn: Vec<u8>, resubmit: Accepted },
    /// A bounce could not be delivered: it is dropped, never bounced (RFC 5321 §6.1).
    Dropped { why: String },
}

/// What became of a connection the MTA asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// No connection: refused, unreachable, or no such host. In our own words.
    NoConnection(String),
    /// The SMTP conversation ended; what became of each recipient.
    Finished(Outcome),
}

/// Why the last attempt did not deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LastError {
    reason: String,
    remote: Option<RemoteReply>,
}

#[derive(Clone, Debug)]
struct Entry {
    id: String,
    mail_from: String,
    domain: String,
    /// Recipients not yet delivered nor failed.
    pending: Vec<String>,
    failures: Vec<Failure>,
    message: Vec<u8>,
    arrival: SimTime,
    attempts: usize,
    /// Why the last try failed, per recipient still pending (RFC 3464 §2.3.6: the
    /// diagnostic is per recipient).
    errors: VecMap<String, LastError>,
    /// When the next attempt starts; `None` while one is under way.
    due: Option<SimTime>,
    /// The exchanges of this attempt, in the order to try them, and the one being tried.
    route: Vec<String>,
    hop: usize,
    /// The sender was sent a "delayed" warning.
    warned: bool,
}

impl Entry {
    /// Every pending recipient failed for now, for the same reason (no connection, no
    /// address): the World's own words, no remote reply.
    fn fail_all_for_now(&mut self, why: &str) {
        for r in &self.pending {
            self.errors.insert(r.clone(), LastError { reason: why.to_string(), remote: None });
        }
    }
}

/// One host's queue manager.
#[derive(Clone, Debug)]
pub struct Mta {
    hostname: String,
    local_domains: Vec<String>,
    queue: Vec<Entry>,
    rng: Rng,
    out: VecDeque<MtaOutput>,
    bounces: u64,
    policy: RetryPolicy,
}

impl Mta {
    /// The queue manager of `hostname`, which delivers mail for `local_domains` into its
    /// own store. `rng` orders equal-preference MX hosts.
    pub fn new(hostname: &str, local_domains: Vec<String>, rng: Rng) -> Mta {
        Mta {
            hostname: hostname.to_string(),
            local_domains,
            queue: Vec::new(),
            rng,
            out: VecDeque::new(),
            bounces: 0,
            policy: RetryPolicy::default(),
        }
    }

    /// Retries, warnings and giving up as `policy` says.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Mta {
        self.set_policy(policy);
        self
    }

    /// From now on, retries, warnings and giving up follow `policy`.
    pub fn set_policy(&mut self, policy: RetryPolicy) {
        self.policy = policy;
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The queue as `mailq` shows it, oldest first.
    pub fn items(&self) -> Vec<QueueItem> {
        self.queue
            .iter()
            .filter(|e| !e.pending.is_empty())
            .map(|e| QueueItem {
                id: e.id.clone(),
                recipients: e.pending.clone(),
                arrival: e.arrival,
                attempts: e.attempts,
                next: e.due,
                last_error: e.pending.iter().find_map(|r| e.errors.get(r)).map(|l| l.reason.clone()),
            })
            .collect()
    }

    pub fn is_local_domain(&self, domain: &str) -> bool {
        self.local_domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// Messages waiting in the queue.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// True when the queue can take no more.
    pub fn is_full(&self) -> bool {
        self.queue.len() >= MAX_QUEUE
    }

    pub fn poll_output(&mut self) -> Option<MtaOutput> {
        self.out.pop_front()
    }

    /// When the next queued attempt is due.
    pub fn poll_timeout(&self) -> Option<SimTime> {
        self.queue.iter().filter_map(|e| e.due).min()
    }

    /// The host owns `a` now: local recipients are filed at once, the others are queued
    /// for relay, one entry per domain, with a first attempt due now.
    pub fn accept(&mut self, a: Accepted, now: SimTime, store: &mut dyn LocalDelivery) {
        let mut remote: VecMap<String, Vec<String>> = VecMap::new();
        let mut failures = Vec::new();
        let hops = mail::header_section(&a.message)
            .split(|&b| b == b'\n')
            .filter(|l| l.len() >= 9 && l[..9].eq_ignore_ascii_case(b"Received:"))
            .count();
        if hops > MAX_HOPS {
            let why = format!(
                "a mail loop: the message passed through more than {MAX_HOPS} servers (RFC 5321 §6.3)"
            );
            failures.extend(a.rcpt_to.iter().map(|r| Failure {
                recipient: r.clone(),
                status: "5.4.6".into(),
                reason: why.clone(),
                remote: None,
            }));
        }
        for rcpt in a.rcpt_to.iter().filter(|_| hops <= MAX_HOPS) {
            let domain = mail::domain_of(rcpt);
            if !self.is_local_domain(&domain) {
                remote.get_or_insert_with(domain, Vec::new).push(rcpt.clone());
                continue;
            }
            match store.deliver(rcpt, &a.mail_from, &a.message, a.junk) {
                Ok((mailbox, stored)) => self.out.push_back(MtaOutput::Delivered { mailbox, stored }),
                // The server checked the mailbox at RCPT; if it cannot be filed now (it is
                // full, or it vanished), the sender still hears of it: nothing is lost.
                Err(f) => failures.push(Failure {
                    recipient: rcpt.clone(),
                    status: if f.status.starts_with('4') { format!("5{}", &f.status[1..]) } else { f.status },
                    reason: f.reason,
                    remote: None,
                }),
            }
        }
        for (i, (domain, rcpts)) in remote.into_iter().enumerate() {
            let id = if i == 0 { a.id.clone() } else { format!("{}-{i}", a.id) };
            self.out.push_back(MtaOutput::Queued { id: id.clone(), recipients: rcpts.clone() });
            self.queue.push(Entry {
                id,
                mail_from: a.mail_from.clone(),
                domain,
                pending: rcpts,
                failures: Vec::new(),
                message: a.message.clone(),
                arrival: a.received_at,
                attempts: 0,
                errors: VecMap::new(),
                due: Some(now),
                route: Vec::new(),
                hop: 0,
                warned: false,
            });
        }
        if !failures.is_empty() {
            let id = format!("{}-x", a.id);
            self.queue.push(Entry {
                id: id.clone(),
                mail_from: a.mail_from,
                domain: String::new(),
                pending: Vec::new(),
                failures,
                message: a.message,
                arrival: a.received_at,
                attempts: 1,
                errors: VecMap::new(),
                due: None,
                route: Vec::new(),
                hop: 0,
                warned: false,
            });
            self.finish(&id, now);
        }
    }

    /// Starts every attempt that is due.
    pub fn handle_timeout(&mut self, now: SimTime) {
        for e in &mut self.queue {
            if e.due.is_some_and(|d| d <= now) {
                e.due = None;
                e.attempts += 1;
                e.route.clear();
                e.hop = 0;
                self.out.push_back(MtaOutput::Lookup {
                    id: e.id.clone(),
                    name: e.domain.clone(),
                    qtype: "MX",
                });
            }
        }
    }

    /// The answer to a lookup this MTA asked for.
    pub fn dns_answer(&mut self, id: &str, name: &str, qtype: &str, answer: &Answer, now: SimTime) {
        let Some(e) = self.entry_mut(id) else {
            return;
        };
        if qtype == "MX" {
            match answer {
                Answer::Records(records) => {
                    let mut mx: Vec<(u16, String)> = records
                        .iter()
                        .filter_map(|r| match &r.data {
                            RData::Mx { preference, exchange } => Some((*preference, exchange.clone())),
                            RData::A(_) | RData::Txt(_) => None,
                        })
                        .collect();
                    // A null MX: the domain says it takes no mail (RFC 7505 §3).
                    if mx.len() == 1 && matches!(mx[0].1.trim_end_matches('.'), "") {
                        let why = format!("the domain {name} accepts no mail (null MX, RFC 7505)");
                        self.fail_pending(id, "5.1.10", why);
                        return self.finish(id, now);
                    }
                    crate::sort::sort_by_key(&mut mx, |(p, _)| *p);
                    // A relay that finds itself in the list discards itself and every MX
                    // as preferred or less preferred: it only hands mail to better ones
                    // (RFC 5321 §5.1), so mail never loops between backups.
                    let me = self.hostname.clone();
                    if let Some(own) = mx
                        .iter()
                        .find(|(_, n)| n.trim_end_matches('.').eq_ignore_ascii_case(&me))
                        .map(|(p, _)| *p)
                    {
                        mx.retain(|(p, _)| *p < own);
                        if mx.is_empty() {
                            let why = format!(
                                "{me} is the best mail server for {name} but does not take its mail (a routing loop)"
                            );
                            self.fail_pending(id, "5.4.6", why);
                            return self.finish(id, now);
                        }
                    }
                    // Equal preferences in a random order (RFC 5321 §5.1), from the seeded generator.
                    let mut route = Vec::new();
                    for group in mx.chunk_by(|a, b| a.0 == b.0) {
                        let mut names: Vec<String> = group.iter().map(|(_, n)| n.clone()).collect();
                        self.rng.shuffle(&mut names);
                        route.extend(names);
                    }
                    self.route(id, route);
                }
                // No MX: the domain's own address record is the implicit MX (RFC 5321 §5.1).
                Answer::NoData => self.route(id, vec![name.to_string()]),
                Answer::NxDomain => {
                    let why = format!("the domain {name} does not exist (DNS: NXDOMAIN)");
                    self.fail_pending(id, "5.1.2", why);
                    self.finish(id, now);
                }
            }
            return;
        }
        match answer.first_addr() {
            Some(addr) => {
                let envelope = Envelope { mail_from: e.mail_from.clone(), rcpt_to: e.pending.clone() };
                let out = MtaOutput::Connect {
                    id: id.to_string(),
                    exchange: name.to_string(),
                    addr: addr.to_string(),
                    envelope,
                    message: e.message.clone(),
                };
                self.out.push_back(out);
            }
            None => {
                let why = format!("no address found for the mail server {name}");
                e.fail_all_for_now(&why);
                self.next_hop_or_finish(id, now);
            }
        }
    }

    /// What became of the connection for entry `id` to the exchange `exchange`.
    pub fn attempt_result(&mut self, id: &str, exchange: &str, result: AttemptResult, now: SimTime) {
        let Some(e) = self.entry_mut(id) else {
            return;
        };
        match result {
            AttemptResult::NoConnection(why) => e.fail_all_for_now(&why),
            AttemptResult::Finished(outcome) => {
                for (rcpt, status) in outcome.recipients {
                    match status {
                        RcptStatus::Delivered(_) => e.pending.retain(|r| r != &rcpt),
                        RcptStatus::Failed(reply) => {
                            let remote = RemoteReply { mta: exchange.to_string(), reply: reply.to_string() };
                            let reason = format!("{exchange} answered: {reply}");
                            if reply.is_permanent() {
                                e.pending.retain(|r| r != &rcpt);
                                e.failures.push(Failure {
                                    recipient: rcpt,
                                    status: reply
                                        .enhanced
                                        .clone()
                                        .unwrap_or_else(|| format!("{}.0.0", reply.code / 100)),
                                    reason,
                                    remote: Some(remote),
                                });
                            } else {
                                e.errors.insert(rcpt, LastError { reason, remote: Some(remote) });
                            }
                        }
                        RcptStatus::Interrupted(why) => {
                            let reason = format!("with {exchange}: {why}");
                            e.errors.insert(rcpt, LastError { reason, remote: None });
                        }
                    }
                }
            }
        }
        self.next_hop_or_finish(id, now);
    }

    fn entry_mut(&mut self, id: &str) -> Option<&mut Entry> {
        self.queue.iter_mut().find(|e| e.id == id)
    }

    fn route(&mut self, id: &str, route: Vec<String>) {
        let Some(e) = self.entry_mut(id) else {
            return;
        };
        e.route = route;
        e.hop = 0;
        let name = e.route[0].clone();
        self.out.push_back(MtaOutput::Lookup { id: id.to_string(), name, qtype: "A" });
    }

    /// After a failed hop: the next exchange if recipients remain and one is left
    /// (RFC 5321 §5.1), else the end of this attempt.
    fn next_hop_or_finish(&mut self, id: &str, now: SimTime) {
        let Some(e) = self.entry_mut(id) else {
            return;
        };
        if !e.pending.is_empty() && e.hop + 1 < e.route.len() {
            e.hop += 1;
            let name = e.route[e.hop].clone();
            self.out.push_back(MtaOutput::Lookup { id: id.to_string(), name, qtype: "A" });
        } else {
            self.finish(id, now);
        }
    }

    fn fail_pending(&mut self, id: &str, status: &str, reason: String) {
        if let Some(e) = self.entry_mut(id) {
            for r in std::mem::take(&mut e.pending) {
                e.failures.push(Failure {
                    recipient: r,
                    status: status.to_string(),
                    reason: reason.clone(),
                    remote: None,
                });
            }
        }
    }

    /// After an attempt: retry what failed for now, bounce what failed for good, and take
    /// the entry off the queue when nothing is left.
    fn finish(&mut self, id: &str, now: SimTime) {
        let Some(pos) = self.queue.iter().position(|e| e.id == id) else {
            return;
        };
        let e = &mut self.queue[pos];
        if !e.pending.is_empty() {
            // Like Postfix: a message younger than the lifetime is tried again; the first
            // attempt that fails after it has expired gives it up.
            let until = e.arrival.plus(self.policy.lifetime);
            if now < until {
                e.due = Some(now.plus(self.policy.delay_after(e.attempts)));
                // Queued for long enough: warn the sender once, with the recipients still
                // waiting and until when they will be tried (RFC 3464 §2.3.3, §2.3.9).
                let late = self.policy.warn_after.is_some_and(|w| now >= e.arrival.plus(w));
                if late && !e.warned && !e.mail_from.is_empty() {
                    e.warned = true;
                    self.warn(pos, now, until);
                }
                return;
            }
            // Out of attempts: what is still pending fails (RFC 3463 §3.5: 4.4.7 becomes
            // 5.4.7, delivery time expired), each with its own last error. The last remote
            // reply, if the last error was one, is what the remote server really said.
            for r in std::mem::take(&mut e.pending) {
                let last =
                    e.errors.remove(&r).unwrap_or(LastError { reason: "no answer".into(), remote: None });
                e.failures.push(Failure {
                    recipient: r,
                    status: "5.4.7".into(),
                    reason: format!("delivery time expired; last error: {}", last.reason),
                    remote: last.remote,
                });
            }
        }
        let e = self.queue.remove(pos);
        if e.failures.is_empty() {
            return;
        }
        // Never bounce a bounce (RFC 5321 §6.1, §4.5.5): a message with a null sender is
        // dropped, as every MTA does.
        if e.mail_from.is_empty() {
            let why = "The bounce could not be delivered either. A bounce is never bounced: it is dropped.";
            self.out.push_back(MtaOutput::Dropped { why: why.to_string() });
            return;
        }
        self.bounces += 1;
        let message_id = format!("bounce.{}.{}@{}", e.id, self.bounces, self.hostname);
        let dsn = mail::dsn(&Bounce {
            reporting_mta: &self.hostname,
            sender: &e.mail_from,
            arrival: e.arrival,
            now,
            message_id: &message_id,
            original: &e.message,
            failures: &e.failures,
            will_retry_until: None,
        });
        let resubmit = Accepted {
            id: format!("{}B", e.id),
            mail_from: String::new(),
            rcpt_to: vec![e.mail_from.clone()],
            message: dsn.clone(),
            received_at: now,
            junk: false,
        };
        self.out.push_back(MtaOutput::Bounced { sender: e.mail_from, dsn, resubmit });
    }

    /// Writes the "delayed" warning for entry `pos`: every recipient still waiting, with
    /// the last error it met; the message stays queued until `until`.
    fn warn(&mut self, pos: usize, now: SimTime, until: SimTime) {
        let e = &self.queue[pos];
        let waiting: Vec<Failure> = e
            .pending
            .iter()
            .map(|r| {
                let last = e.errors.get(r);
                let remote = last.and_then(|l| l.remote.clone());
                // The remote server's own 4.x.x when it gave one, else "no answer from
                // host" (RFC 3463 §3.5).
                let status = remote
                    .as_ref()
                    .and_then(|rr| rr.reply.split_whitespace().nth(1))
                    .filter(|s| s.starts_with("4.") && s.split('.').count() == 3)
                    .unwrap_or("4.4.1")
                    .to_string();
                let reason = last.map_or_else(|| "no answer yet".to_string(), |l| l.reason.clone());
                Failure { recipient: r.clone(), status, reason, remote }
            })
            .collect();
        self.bounces += 1;
        let message_id = format!("delayed.{}.{}@{}", e.id, self.bounces, self.hostname);
        let dsn = mail::dsn(&Bounce {
            reporting_mta: &self.hostname,
            sender: &e.mail_from,
            arrival: e.arrival,
            now,
            message_id: &message_id,
            original: &e.message,
            failures: &waiting,
            will_retry_until: Some(until),
        });
        let resubmit = Accepted {
            id: format!("{}W", e.id),
            mail_from: String::new(),
            rcpt_to: vec![e.mail_from.clone()],
            message: dsn.clone(),
            received_at: now,
            junk: false,
        };
        self.out.push_back(MtaOutput::Warned { sender: e.mail_from.clone(), dsn, resubmit });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Zone;
    use crate::smtp::reply::Reply;

    /// A store that takes mail for `bob@example.net` only.
    struct Store(Vec<(String, Vec<u8>)>);
    impl LocalDelivery for Store {
        fn deliver(
            &mut self,
            rcpt: &str,
            mail_from: &str,
            message: &[u8],
            _junk: bool,
        ) -> Result<(String, Vec<u8>), LocalFailure> {
            if rcpt != "bob@example.net" {
                return Err(LocalFailure { status: "5.1.1".into(), reason: "no such mailbox".into() });
            }
            let stored = mail::with_return_path(mail_from, message);
            self.0.push((rcpt.to_string(), stored.clone()));
            Ok((rcpt.to_string(), stored))
        }
    }

    fn accepted(rcpts: &[&str]) -> Accepted {
        Accepted {
            id: "Q1".into(),
            mail_from: "alice@example.org".into(),
            rcpt_to: rcpts.iter().map(|r| r.to_string()).collect(),
            message: b"Subject: hi\r\n\r\nhello\r\n".to_vec(),
            received_at: SimTime::ZERO,
            junk: false,
        }
    }

    fn drain(m: &mut Mta) -> Vec<MtaOutput> {
        std::iter::from_fn(|| m.poll_output()).collect()
    }

    fn short(outs: &[MtaOutput]) -> Vec<String> {
        outs.iter()
            .map(|o| match o {
                MtaOutput::Delivered { mailbox, .. } => format!("delivered {mailbox}"),
                MtaOutput::Queued { id, .. } => format!("queued {id}"),
                MtaOutput::Lookup { name, qtype, .. } => format!("{qtype}? {name}"),
                MtaOutput::Connect { exchange, addr, .. } => format!("connect {exchange} {addr}"),
                MtaOutput::Bounced { sender, .. } => format!("bounce to {sender}"),
                MtaOutput::Warned { sender, .. } => format!("delayed warning to {sender}"),
                MtaOutput::Dropped { .. } => "dropped".into(),
            })
            .collect()
    }

    fn zone() -> Zone {
        let mut z = Zone::default();
        z.add_mx("far.example", 10, "mx1.far.example");
        z.add_mx("far.example", 20, "mx2.far.example");
        z.add_a("mx1.far.example", "203.0.113.1");
        z.add_a("mx2.far.example", "203.0.113.2");
        z.add_mx("nomail.example", 0, ".");
        z
    }

    /// Answers every lookup from `zone` and every connection with `result(exchange)`,
    /// until the MTA has nothing left to do now; returns everything it said.
    fn run(m: &mut Mta, now: SimTime, result: &dyn Fn(&str) -> AttemptResult) -> Vec<MtaOutput> {
        let z = zone();
        let mut all = Vec::new();
        loop {
            let outs = drain(m);
            if outs.is_empty() {
                return all;
            }
            for o in &outs {
                match o {
                    MtaOutput::Lookup { id, name, qtype } => {
                        m.dns_answer(id, name, qtype, &z.query(name, qtype), now)
                    }
                    MtaOutput::Connect { id, exchange, .. } => {
                        m.attempt_result(id, exchange, result(exchange), now)
                    }
                    _ => {}
                }
            }
            all.extend(outs);
        }
    }

    fn finished(rcpt: &str, reply: &str) -> AttemptResult {
        let mut r = crate::smtp::reply::ReplyReader::default();
        let reply: Reply = r.read(&mut reply.as_bytes()).unwrap().unwrap();
        let status =
            if reply.is_positive() { RcptStatus::Delivered(reply) } else { RcptStatus::Failed(reply) };
        AttemptResult::Finished(Outcome { recipients: vec![(rcpt.to_string(), status)] })
    }

    #[test]
    fn local_mail_is_filed_and_unknown_local_mail_bounces_at_once() {
        let mut m = Mta::new("mx.example.net", vec!["example.net".into()], Rng::new(1));
        let mut store = Store(Vec::new());
        m.accept(accepted(&["bob@example.net", "nobody@example.net"]), SimTime::ZERO, &mut store);
        let outs = drain(&mut m);
        assert_eq!(short(&outs), ["delivered bob@example.net", "bounce to alice@example.org"]);
        assert_eq!(m.queued(), 0);
        assert!(store.0[0].1.starts_with(b"Return-Path: <alice@example.org>\r\n"));
    }

    #[test]
    fn a_refused_or_deferring_mx_moves_on_to_the_next_before_deferring() {
        let cases: &[(&str, fn(&str) -> AttemptResult, &[&str])] = &[
            (
                "refused, then the backup takes it",
                |x| {
                    if x == "mx1.far.example" {
                        AttemptResult::NoConnection("connection refused".into())
                    } else {
                        finished("x@far.example", "250 2.0.0 ok\r\n")
                    }
                },
                &[
                    "queued Q1",
                    "MX? far.example",
                    "A? mx1.far.example",
                    "connect mx1.far.example 203.0.113.1",
                    "A? mx2.far.example",
                    "connect mx2.far.example 203.0.113.2",
                ],
            ),
            (
                "451 from the first, then the backup takes it",
                |x| {
                    if x == "mx1.far.example" {
                        finished("x@far.example", "451 4.7.1 greylisted\r\n")
                    } else {
                        finished("x@far.example", "250 2.0.0 ok\r\n")
                    }
                },
                &[
                    "queued Q1",
                    "MX? far.example",
                    "A? mx1.far.example",
                    "connect mx1.far.example 203.0.113.1",
                    "A? mx2.far.example",
                    "connect mx2.far.example 203.0.113.2",
                ],
            ),
            (
                "550 from the first is final",
                |_| finished("x@far.example", "550 5.1.1 no such user\r\n"),
                &[
                    "queued Q1",
                    "MX? far.example",
                    "A? mx1.far.example",
                    "connect mx1.far.example 203.0.113.1",
                    "bounce to alice@example.org",
                ],
            ),
        ];
        for (name, result, want) in cases {
            let mut m = Mta::new("smtp.example.org", vec!["example.org".into()], Rng::new(1));
            m.accept(accepted(&["x@far.example"]), SimTime::ZERO, &mut Store(Vec::new()));
            let mut outs = drain(&mut m);
            m.handle_timeout(SimTime::ZERO);
            outs.extend(run(&mut m, SimTime::ZERO, result));
            assert_eq!(short(&outs), *want, "{name}");
            assert_eq!(m.queued(), 0, "{name}");
        }
    }

    /// Retries after 5 and 30 minutes, then giving up: three attempts, no warning.
    const RETRY_DELAYS: [SimDuration; 2] = [SimDuration::from_secs(5 * 60), SimDuration::from_secs(30 * 60)];

    fn short_policy() -> RetryPolicy {
        let lifetime = SimDuration(RETRY_DELAYS[0].0 + RETRY_DELAYS[1].0 - 1);
        RetryPolicy { backoff: RETRY_DELAYS.to_vec(), lifetime, warn_after: None }
    }

    #[test]
    fn both_mx_deferring_means_retries_then_a_bounce_with_the_last_remote_reply() {
        let mut m =
            Mta::new("smtp.example.org", vec!["example.org".into()], Rng::new(1)).with_policy(short_policy());
        m.accept(accepted(&["x@far.example"]), SimTime::ZERO, &mut Store(Vec::new()));
        drain(&mut m);
        let mut now = SimTime::ZERO;
        let mut connects = 0;
        let mut last = Vec::new();
        while let Some(due) = m.poll_timeout() {
            assert!(due >= now);
            now = due;
            m.handle_timeout(now);
            last = run(&mut m, now, &|_| finished("x@far.example", "452 4.2.2 mailbox full\r\n"));
            connects += last.iter().filter(|o| matches!(o, MtaOutput::Connect { .. })).count();
        }
        assert_eq!(connects, 2 * (1 + RETRY_DELAYS.len()), "both exchanges, every attempt");
        assert_eq!(now, SimTime::ZERO.plus(RETRY_DELAYS[0]).plus(RETRY_DELAYS[1]));
        let Some(MtaOutput::Bounced { dsn, resubmit, .. }) = last.last() else {
            panic!("{:?}", short(&last))
        };
        let dsn = String::from_utf8_lossy(dsn);
        assert!(dsn.contains("Status: 5.4.7"), "{dsn}");
        assert!(dsn.contains("Diagnostic-Code: smtp; 452 4.2.2 mailbox full"), "{dsn}");
        assert_eq!(resubmit.mail_from, "");
    }

    #[test]
    fn no_domain_and_null_mx_fail_without_a_remote_reply() {
        for (rcpt, status) in [("x@nowhere.example", "5.1.2"), ("x@nomail.example", "5.1.10")] {
            let mut m = Mta::new("smtp.example.org", vec!["example.org".into()], Rng::new(1));
            m.accept(accepted(&[rcpt]), SimTime::ZERO, &mut Store(Vec::new()));
            m.handle_timeout(SimTime::ZERO);
            let outs = run(&mut m, SimTime::ZERO, &|_| panic!("no connection expected"));
            let Some(MtaOutput::Bounced { dsn, .. }) = outs.last() else { panic!("{:?}", short(&outs)) };
            let dsn = String::from_utf8_lossy(dsn);
            assert!(dsn.contains(&format!("Status: {status}")), "{dsn}");
            assert!(!dsn.contains("Remote-MTA") && !dsn.contains("Diagnostic-Code"), "{dsn}");
        }
    }

    #[test]
    fn a_bounce_that_fails_is_dropped_not_bounced() {
        let mut m = Mta::new("smtp.example.org", vec!["example.org".into()], Rng::new(1));
        let mut a = accepted(&["x@nowhere.example"]);
        a.mail_from = String::new();
        m.accept(a, SimTime::ZERO, &mut Store(Vec::new()));
        m.handle_timeout(SimTime::ZERO);
        let outs = run(&mut m, SimTime::ZERO, &|_| panic!());
        assert_eq!(short(&outs), ["queued Q1", "MX? nowhere.example", "dropped"]);
    }

    #[test]
    fn equal_preferences_are_shuffled_by_the_seed_and_reproducible() {
        let order = |seed: u64| {
            let mut m = Mta::new("smtp.example.org", vec![], Rng::new(seed));
            m.accept(accepted(&["x@eq.example"]), SimTime::ZERO, &mut Store(Vec::new()));
            m.handle_timeout(SimTime::ZERO);
            drain(&mut m);
            let mut z = Zone::default();
            for i in 0..5 {
                z.add_mx("eq.example", 10, &format!("mx{i}.eq.example"));
            }
            m.dns_answer("Q1", "eq.example", "MX", &z.query("eq.example", "MX"), SimTime::ZERO);
            m.queue[0].route.clone()
        };
        assert_eq!(order(3), order(3));
        let orders: std::collections::BTreeSet<Vec<String>> = (0..20).map(order).collect();
        assert!(orders.len() > 1, "different seeds give different orders");
    }

    #[test]
    fn a_backup_mx_hands_mail_only_to_better_ones() {
        let mut z = zone();
        z.add_mx("far.example", 30, "smtp.example.org");
        let mut m = Mta::new("smtp.example.org", vec![], Rng::new(1));
        m.accept(accepted(&["x@far.example"]), SimTime::ZERO, &mut Store(Vec::new()));
        m.handle_timeout(SimTime::ZERO);
        drain(&mut m);
        m.dns_answer("Q1", "far.example", "MX", &z.query("far.example", "MX"), SimTime::ZERO);
        assert_eq!(m.queue[0].route, ["mx1.far.example", "mx2.far.example"]);
        // As the best MX itself, it has nobody to hand the mail to: a routing loop.
        let mut m = Mta::new("mx1.far.example", vec![], Rng::new(1));
        m.accept(accepted(&["x@far.example"]), SimTime::ZERO, &mut Store(Vec::new()));
        m.handle_timeout(SimTime::ZERO);
        drain(&mut m);
        m.dns_answer("Q1", "far.example", "MX", &z.query("far.example", "MX"), SimTime::ZERO);
        let outs = drain(&mut m);
        let Some(MtaOutput::Bounced { dsn, .. }) = outs.last() else { panic!("{:?}", short(&outs)) };
        assert!(String::from_utf8_lossy(dsn).contains("Status: 5.4.6"));
    }

    #[test]
    fn each_recipient_keeps_its_own_last_error() {
        let mut m = Mta::new("smtp.example.org", vec![], Rng::new(1));
        m.accept(accepted(&["a@far.example", "b@far.example"]), SimTime::ZERO, &mut Store(Vec::new()));
        drain(&mut m);
        let mut last = Vec::new();
        let reply =
            |r: &str| crate::smtp::reply::ReplyReader::default().read(&mut r.as_bytes()).unwrap().unwrap();
        while let Some(now) = m.poll_timeout() {
            m.handle_timeout(now);
            last = run(&mut m, now, &|_| {
                AttemptResult::Finished(Outcome {
                    recipients: vec![
                        ("a@far.example".into(), RcptStatus::Failed(reply("452 4.2.2 a is full\r\n"))),
                        ("b@far.example".into(), RcptStatus::Failed(reply("451 4.7.1 b greylisted\r\n"))),
                    ],
                })
            });
        }
        let Some(MtaOutput::Bounced { dsn, .. }) = last.last() else { panic!("{:?}", short(&last)) };
        let dsn = String::from_utf8_lossy(dsn);
        let a = &dsn[dsn.find("Final-Recipient: rfc822; a@far.example").unwrap()..];
        let b = &dsn[dsn.find("Final-Recipient: rfc822; b@far.example").unwrap()..];
        assert!(a[..a.find("\r\n\r\n").unwrap()].contains("452 4.2.2 a is full"), "{dsn}");
        assert!(b[..b.find("\r\n\r\n").unwrap()].contains("451 4.7.1 b greylisted"), "{dsn}");
    }

    const MINUTE: u64 = 60;
    const HOUR: u64 = 3600;

    #[test]
    fn the_default_schedule_backs_off_warns_once_and_gives_up_after_five_days() {
        let mut m = Mta::new("smtp.example.org", vec!["example.org".into()], Rng::new(1));
        m.accept(accepted(&["x@far.example"]), SimTime::ZERO, &mut Store(Vec::new()));
        drain(&mut m);
        let mut attempts = Vec::new();
        let mut warnings = Vec::new();
        let mut last = Vec::new();
        while let Some(due) = m.poll_timeout() {
            attempts.push(due.as_micros() / 1_000_000);
            m.handle_timeout(due);
            last = run(&mut m, due, &|_| finished("x@far.example", "451 4.7.1 try again later\r\n"));
            for o in &last {
                if let MtaOutput::Warned { dsn, resubmit, .. } = o {
                    warnings.push((due, String::from_utf8_lossy(dsn).into_owned(), resubmit.clone()));
                }
            }
            // mailq shows the entry with its next attempt while it waits.
            if let Some(item) = m.items().first() {
                assert_eq!(item.attempts, attempts.len());
                assert!(item.next.is_some_and(|n| n > due));
                assert!(item.last_error.as_deref().is_some_and(|e| e.contains("451 4.7.1")), "{item:?}");
            }
        }
        // 30 min, 1 h, 2 h, then every 4 h: never sooner than 30 minutes (RFC 5321 §4.5.4.1).
        let first: Vec<u64> = attempts.iter().take(7).copied().collect();
        let at = |h: u64, m: u64| h * HOUR + m * MINUTE;
        assert_eq!(first, [0, at(0, 30), at(1, 30), at(3, 30), at(7, 30), at(11, 30), at(15, 30)]);
        assert!(attempts.windows(2).all(|w| w[1] - w[0] >= 30 * MINUTE), "{attempts:?}");
        assert!(attempts.windows(2).skip(4).all(|w| w[1] - w[0] == 4 * HOUR), "{attempts:?}");
        // Tried until the 5 days are over: the first attempt after that gives up.
        let last_at = *attempts.last().unwrap();
        assert!((5 * 24 * HOUR..5 * 24 * HOUR + 4 * HOUR).contains(&last_at), "{last_at}");
        // One warning, at the first attempt 4 hours after arrival, with the fields of a
        // delayed DSN (RFC 3464 §2.3.3, §2.3.4, §2.3.5, §2.3.6, §2.3.9).
        let [(when, dsn, resubmit)] = warnings.as_slice() else { panic!("{} warnings", warnings.len()) };
        assert_eq!(when.as_micros() / 1_000_000, at(7, 30));
        for field in [
            "Subject: Delayed Mail (still being retried)",
            "Content-Type: multipart/report; report-type=delivery-status",
            "Reporting-MTA: dns; smtp.example.org",
            "Final-Recipient: rfc822; x@far.example",
            "Action: delayed",
            "Status: 4.7.1",
            "Diagnostic-Code: smtp; 451 4.7.1 try again later",
            "Will-Retry-Until: Sat, 05 Dec 2026 09:00:00 +0000",
            "You do not need to send it again.",
        ] {
            assert!(dsn.contains(field), "{field} missing:\n{dsn}");
        }
        assert!(dsn.contains("Remote-MTA: dns; mx"), "{dsn}");
        assert_eq!(resubmit.mail_from, "", "a DSN has a null sender");
        // At the end: a bounce with Action: failed and 5.4.7, and an empty queue.
        let Some(MtaOutput::Bounced { dsn, .. }) = last.last() else { panic!("{:?}", short(&last)) };
        let dsn = String::from_utf8_lossy(dsn);
        for field in ["Action: failed", "Status: 5.4.7", "Diagnostic-Code: smtp; 451 4.7.1 try again later"] {
            assert!(dsn.contains(field), "{field} missing:\n{dsn}");
        }
        assert!(!dsn.contains("Will-Retry-Until"), "{dsn}");
        assert_eq!(m.queued(), 0);
    }

    #[test]
    fn a_warning_without_a_remote_reply_says_no_answer_and_a_bounce_is_never_warned_about() {
        let policy = RetryPolicy {
            backoff: vec![SimDuration::from_secs(10 * MINUTE)],
            lifetime: SimDuration::from_secs(HOUR),
            warn_after: Some(SimDuration::from_secs(15 * MINUTE)),
        };
        for (sender, want_warnings) in [("alice@example.org", 1), ("", 0)] {
            let mut m = Mta::new("smtp.example.org", vec![], Rng::new(1)).with_policy(policy.clone());
            let mut a = accepted(&["x@far.example"]);
            a.mail_from = sender.into();
            m.accept(a, SimTime::ZERO, &mut Store(Vec::new()));
            drain(&mut m);
            let mut warned = Vec::new();
            while let Some(due) = m.poll_timeout() {
                m.handle_timeout(due);
                let outs = run(&mut m, due, &|_| AttemptResult::NoConnection("connection refused".into()));
                warned.extend(outs.into_iter().filter_map(|o| match o {
                    MtaOutput::Warned { dsn, .. } => Some(String::from_utf8_lossy(&dsn).into_owned()),
                    _ => None,
                }));
            }
            assert_eq!(warned.len(), want_warnings, "sender {sender:?}");
            if let Some(dsn) = warned.first() {
                assert!(dsn.contains("Status: 4.4.1") && dsn.contains("refused"), "{dsn}");
                assert!(!dsn.contains("Remote-MTA") && !dsn.contains("Diagnostic-Code"), "{dsn}");
            }
        }
    }
}
