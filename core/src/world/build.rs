//! A World built from a [`Description`]: worlds as data.

use crate::describe::{Description, Fault, ServiceKind};
use crate::smtp::reply::Reply;
use crate::smtp::server::ServerConfig;
use crate::time::SimTime;
use crate::trace::{HostInfo, HostRole};

use super::{Service, World};

impl From<ServiceKind> for Service {
    fn from(k: ServiceKind) -> Service {
        match k {
            ServiceKind::Smtp => Service::Smtp,
            ServiceKind::Submission => Service::Submission,
            ServiceKind::Pop3 => Service::Pop3,
            ServiceKind::Imap => Service::Imap,
            ServiceKind::Dns => Service::Dns,
        }
    }
}

impl World {
    /// Builds the World a description describes. The description has been checked when it
    /// was parsed ([`Description::parse`]), so every name it uses exists; a name that does
    /// not is skipped rather than trusted.
    pub fn from_description(d: &Description) -> World {
        let mut w = World::new(d.seed);
        for h in &d.hosts {
            let info = HostInfo {
                name: h.name.clone(),
                label: h.label.clone(),
                addr: h.addr.clone(),
                role: h.role,
                position: h.position,
            };
            let server = (h.role == HostRole::MailServer).then(|| ServerConfig::new(&h.name));
            let id = w.add_host(info, server);
            // Exactly the services the description declares.
            w.hosts[id].services.clear();
            for s in &h.services {
                w.serve(id, s.port, s.kind.into());
                w.offer_tls(id, s.port, s.tls);
            }
        }
        if let Some(r) = d.resolver.as_deref().and_then(|r| w.host_by_name(r)) {
            w.set_resolver(r);
        }
        for dom in &d.domains {
            if let Some(host) = w.host_by_name(&dom.host) {
                w.add_domain(host, &dom.name);
            }
        }
        for u in &d.users {
            let domain = crate::mail::domain_of(&u.address);
            let host = d.host_of_domain(&domain).and_then(|h| w.host_by_name(h));
            if let Some(host) = host {
                w.add_mailbox(host, &u.address);
                if let (Some(m), Some(p)) = (w.mail_mut(host), &u.password) {
                    m.passwords.insert(u.address.to_ascii_lowercase(), p.clone());
                }
            }
        }
        for q in &d.queues {
            if let Some(host) = w.host_by_name(&q.host) {
                w.retry_policy(host, q.policy.clone());
            }
        }
        for z in &d.sizes {
            if let Some(c) = w.host_by_name(&z.host).and_then(|h| w.server_config_mut(h)) {
                c.max_message_size = usize::try_from(z.bytes).unwrap_or(usize::MAX);
            }
        }
        for r in &d.relays {
            if let Some(host) = w.host_by_name(&r.host) {
                if r.is_domain() {
                    w.relay_domain(host, &r.client);
                } else {
                    w.relay_for(host, &r.client);
                }
            }
        }
        *w.zone_mut() = d.zone();
        // After the zone: signing publishes each key's record.
        #[cfg(feature = "trust")]
        for s in &d.signers {
            if let Some(host) = w.host_by_name(&s.host) {
                w.sign_for(host, &s.domain, &s.selector);
            }
        }
        #[cfg(feature = "trust")]
        for k in &d.checks {
            if let Some(host) = w.host_by_name(&k.host) {
                let checks = crate::auth::check::Checks { spf: k.spf, dkim: k.dkim, dmarc: k.dmarc };
                w.check_senders(host, checks);
            }
        }
        for l in &d.links {
            if let (Some(a), Some(b)) = (w.host_by_name(&l.a), w.host_by_name(&l.b)) {
                w.lossy_link(a, b, l.latency, l.loss_percent);
            }
        }
        for f in &d.faults {
            w.apply_fault(f, SimTime::ZERO);
        }
        w
    }

    /// Puts fault `f` in force; a `down` window's times count from `since` (a lesson's
    /// world: its start; the sandbox: the moment it is injected). A host the fault names
    /// that does not exist is skipped (descriptions are checked as they are read).
    pub fn apply_fault(&mut self, f: &Fault, since: SimTime) {
        match f {
            Fault::Down { host, from, until, .. } => {
                if let Some(h) = self.host_by_name(host) {
                    let shift = |t: &SimTime| since.plus(crate::time::SimDuration(t.0));
                    self.down(h, shift(from), shift(until));
                }
            }
            Fault::Greylist { host, .. } => {
                if let Some(h) = self.host_by_name(host) {
                    self.greylist(h);
                }
            }
            Fault::MailboxFull { address, .. } => self.mailbox_full(address),
            Fault::Reply { host, verb, code, enhanced, text, times, .. } => {
                if let Some(h) = self.host_by_name(host) {
                    let reply = Reply::custom(*code, enhanced.as_deref(), vec![text.clone()]);
                    self.reply_rule(h, verb, reply, *times);
                }
            }
            #[cfg(feature = "pop3")]
            Fault::Cut { host, port, verb, times, .. } => {
                if let Some(h) = self.host_by_name(host) {
                    self.cut_before(h, *port, verb, *times);
                }
            }
        }
    }
}
