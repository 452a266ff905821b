//! Sender authentication in the World: a provider signs its users' mail with DKIM as it
//! takes it on the submission port (RFC 6376 §2.1), and a receiving host that checks
//! senders answers its server's [`Request::Verify`](crate::session::Request::Verify) by
//! asking the resolver each DNS question of SPF, DKIM and DMARC over the simulated network,
//! then gives the server its verdict.

use crate::auth::check::{Check, Checks};
use crate::auth::dkim::Signer;
use crate::dns::Answer;
use crate::rng::Rng;
use crate::session::{Output, Side, Verdict, Verify};
use crate::smtp::server::Accepted;
use crate::store::SpecialUse;
use crate::trace::{ConnId, EventKind, HostId};

use super::host::HostEnv;
use super::{Action, Lookup, Service, World, idx};

/// A check under way: for the message that connection `conn` is waiting to hear about.
pub(super) struct AuthJob {
    conn: ConnId,
    host: HostId,
    /// The trace event the server's reply will answer (the message).
    answers: Option<usize>,
    check: Check,
    /// How many of the check's findings are in the trace already.
    reported: usize,
}

/// What a mail host does about senders.
#[derive(Default)]
pub struct Authentication {
    /// The checks it makes of mail arriving on its SMTP port.
    pub checks: Checks,
    /// The DKIM keys it signs its users' mail with, by domain.
    pub signers: Vec<Signer>,
}

impl World {
    /// The host checks senders of mail arriving on port 25 (`check HOST spf dkim dmarc`).
    /// Sessions already open on that port check from their next message on, as new ones
    /// do (a sandbox's `check` takes effect at once, as its faults do).
    pub fn check_senders(&mut self, host: HostId, checks: Checks) {
        if let Some(m) = self.mail_mut(host) {
            m.auth.checks = checks;
        }
        let on = checks.any();
        let services = &self.hosts[host].services;
        let smtp = |port: u16| services.get(&port) == Some(&Service::Smtp);
        for conn in self.conns.iter_mut().filter(|c| c.server == host && smtp(c.port)) {
            if let Some(machine) = conn.ends[idx(Side::Server)].machine.as_mut() {
                machine.check_senders(on);
            }
        }
    }

    /// The host signs mail from `domain` that its users hand in, with the key of
    /// `selector`, and the key's record is published (`dkim HOST DOMAIN SELECTOR`).
    pub fn sign_for(&mut self, host: HostId, domain: &str, selector: &str) {
        let signer = Signer::new(domain, selector);
        self.zone.add_txt(&signer.key_name(), &signer.record());
        if let Some(m) = self.mail_mut(host) {
            m.auth.signers.push(signer);
        }
    }

    /// A message taken on the submission port of `host`: signed when the host has a key for
    /// the domain of its `From:` (RFC 6376 §3.9: the `From:` field is the one that must
    /// be signed; §2.1: the signer is the domain's operator).
    pub(super) fn sign(&mut self, host: HostId, a: &mut Accepted) {
        let Some(m) = self.hosts[host].mail.as_ref() else {
            return;
        };
        // A host with keys says why it signs nothing (a From: of another domain, or six
        // From: fields, typed in the sandbox: RFC 5322 §3.6 allows one): the message goes
        // out unsigned, which the receiver's checks will tell.
        if m.auth.signers.is_empty() {
            return;
        }
        let from = crate::auth::dmarc::from_domain(&a.message);
        let signer = from
            .as_ref()
            .ok()
            .and_then(|f| m.auth.signers.iter().find(|s| s.domain().eq_ignore_ascii_case(f)));
        let Some(signer) = signer else {
            let why = match from {
                Ok(from) => format!("it has no DKIM key for {from}, the domain of the From: field"),
                Err(why) => why,
            };
            let text = format!("does not sign the message with DKIM: {why}.");
            self.local(host, EventKind::Note, text.into_bytes());
            return;
        };
        let text = format!(
            "signs the message with DKIM for {} (the key published at {}).",
            signer.domain(),
            signer.key_name()
        );
        a.message = signer.sign(&a.message, crate::time::unix_secs(self.now));
        self.local(host, EventKind::Note, text.into_bytes());
    }

    /// Where the quarantined message delivered in events `before..` went: the Delivery
    /// event names only the mailbox.
    pub(super) fn note_junk(&mut self, host: HostId, before: usize) {
        let Some(m) = self.hosts[host].mail.as_ref() else {
            return;
        };
        let has_junk = |mailbox: &str| {
            m.store.folders(mailbox).is_ok_and(|f| f.iter().any(|f| f.special_use == Some(SpecialUse::Junk)))
        };
        let notes: Vec<String> = self.trace.events[before..]
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Delivery { mailbox } if has_junk(mailbox) => {
                    Some(format!("Filed in the Junk folder of {mailbox}, not the inbox."))
                }
                EventKind::Delivery { mailbox } => {
                    Some(format!("{mailbox} has no Junk folder: filed in the inbox."))
                }
                _ => None,
            })
            .collect();
        for text in notes {
            self.local(host, EventKind::Note, text.into_bytes());
        }
    }

    /// The server of `conn` has a whole message and waits for the host's checks.
    pub(super) fn verify(&mut self, conn: ConnId, v: Verify, answers: Option<usize>) {
        let host = self.conns[conn.0].server;
        let Some(m) = self.hosts[host].mail.as_ref() else {
            return;
        };
        let name = m.config.hostname.clone();
        let job = self.auth_started;
        self.auth_started += 1;
        let sample = Rng::derive(self.seed, &format!("dmarc {name} {job}")).below(100) as u8;
        let check = Check::new(m.auth.checks, &name, v, crate::time::unix_secs(self.now), sample);
        self.auth_jobs.insert(job, AuthJob { conn, host, answers, check, reported: 0 });
        self.auth_next(job);
    }

    /// The answer to check `job`'s question (`None`: it timed out).
    pub(super) fn auth_answer(&mut self, job: u64, answer: Option<&Answer>) {
        if let Some(j) = self.auth_jobs.get_mut(&job) {
            j.check.answer(answer);
        }
        self.auth_next(job);
    }

    /// Asks the check's next question, or gives its verdict. A check whose client has gone
    /// away stops: nothing is left to answer, and the message was never taken.
    fn auth_next(&mut self, job: u64) {
        let Some(j) = self.auth_jobs.get(&job) else {
            return;
        };
        let (host, conn) = (j.host, j.conn);
        if !self.conns[conn.0].open {
            self.auth_jobs.remove(&job);
            let text = "The client went away before the checks were done: the message was not taken.";
            return self.conn_note(host, conn, text.to_string());
        }
        // Each check's finding is noted as that check is done.
        let (found, query) = (j.check.findings(), j.check.query());
        for line in found.into_iter().skip(j.reported) {
            self.conn_note(host, conn, line);
            if let Some(j) = self.auth_jobs.get_mut(&job) {
                j.reported += 1;
            }
        }
        if let Some((name, qtype)) = query {
            let lookup = Box::new(Lookup::Auth { job });
            return self.schedule(self.now, Action::Lookup { host, name, qtype, lookup });
        }
        let Some(j) = self.auth_jobs.remove(&job) else {
            return;
        };
        let Some(verdict) = j.check.verdict().cloned() else {
            return;
        };
        self.give_verdict(conn, verdict, j.answers);
    }

    /// The host's verdict on the message the server of `conn` waits about: the server
    /// answers the end of data now (its reply answers the message, event `answers`), then
    /// what the client sent meanwhile (those replies answer the client's latest command).
    fn give_verdict(&mut self, conn: ConnId, verdict: Verdict, answers: Option<usize>) {
        let now = self.now;
        let (client, server) = (self.conns[conn.0].client, self.conns[conn.0].server);
        let Some(mut m) = self.conns[conn.0].ends[idx(Side::Server)].machine.take() else {
            return;
        };
        if let Some(mail) = self.hosts[server].mail.as_mut() {
            let mut env = HostEnv { host: server, now, mail, faults: &mut self.faults };
            m.handle_verdict(verdict, now, &mut env);
        }
        let mut outs: Vec<Output> = std::iter::from_fn(|| m.poll_output()).collect();
        self.conns[conn.0].ends[idx(Side::Server)].machine = Some(m);
        // The message's reply (and the request to take it) first.
        let first = outs.iter().position(|o| matches!(o, Output::Send { .. })).map_or(outs.len(), |i| i + 1);
        let later = outs.split_off(first);
        self.after_outputs(conn, Side::Server, outs, answers);
        if !later.is_empty() {
            let latest = self.trace.events.iter().rposition(|e| {
                e.conn == Some(conn) && e.from == client && matches!(e.kind, EventKind::Command { .. })
            });
            self.after_outputs(conn, Side::Server, later, latest.filter(|&i| Some(i) > answers));
        }
    }
}
