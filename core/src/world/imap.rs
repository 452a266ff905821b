//! Mail programs that work with IMAP (RFC 3501): the World's side.
//!
//! A mail program on a device, for one user, has a plan: what the person does and when
//! ([`Planned`]). At the time of its first action it looks its server up, connects to
//! port 143 and runs an [`ImapClient`] with the whole plan; the client acts as time comes
//! and idles in between, and logs out after the last action. What the program believes
//! of the mailbox ([`Cache`]) is kept here between sessions. A session that ends early
//! (the connection broke, the login was refused) hands back what it had not done: what
//! was due already is dropped, the rest waits for its time and a new session.
//!
//! Whenever a host's store changes (SMTP delivered, a POP3 QUIT deleted, an IMAP session
//! stored flags, expunged, moved or appended) the World tells every IMAP session of that
//! host ([`Session::handle_store_change`]): one in IDLE sends its news at once
//! (RFC 2177 §3). What the trace shows of it all is built in
//! [`imap_view`](super::imap_view).

use std::rc::Rc;

use crate::dns::Answer;
use crate::imap::client::{Action, Cache, ImapClient, Planned};
use crate::imap::server::ImapServer;
use crate::session::{Output, Session, Side};
use crate::time::SimTime;
use crate::trace::{EventKind, HostId, ImapView};
use crate::vecmap::{VecMap, VecSet};

use super::host::HostEnv;
use super::{ConnId, ConnJob, End, Lookup, World, idx};

/// The IMAP port (RFC 3501 §2.1: "IMAP4rev1 ... usually on port 143").
pub const IMAP_PORT: u16 = 143;

/// What a mail program on one device keeps for one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImapProgram {
    /// The IMAP server it works with.
    pub server: String,
    /// It logs in with AUTHENTICATE PLAIN rather than LOGIN.
    pub plain: bool,
    /// The actions not handed to a session yet, in time order.
    pub plan: Vec<Planned>,
    /// What it believes is on the server, as its last session left it.
    pub cache: Cache,
    /// How many sessions it has opened.
    pub sessions: u32,
    /// What went wrong, oldest first, over all its sessions.
    pub errors: Vec<String>,
    /// The open session.
    pub(super) conn: Option<ConnId>,
    /// A lookup or connection for a new session is under way.
    pub(super) starting: bool,
}

/// The IMAP mail programs of a World, the messages devices sent (to file in Sent), and
/// what the trace shows of IMAP.
#[derive(Default)]
pub(super) struct ImapPrograms {
    pub(super) programs: VecMap<(HostId, String), ImapProgram>,
    /// Every message a mail program composed, with its device and the time it was sent.
    pub(super) sent: Vec<(HostId, SimTime, Rc<[u8]>)>,
    /// The mailboxes the trace shows: (server host, user).
    pub(super) watched: VecSet<(HostId, String)>,
    pub(super) views: Vec<Option<Rc<ImapView>>>,
    pub(super) dirty: bool,
}

/// The most sent messages kept for `append-sent` (our choice: a lesson sends a handful; a
/// World that sends in a loop must not keep every message).
pub const MAX_SENT_KEPT: usize = 64;

impl ImapPrograms {
    /// A mail program on `host` composed `message`, to be sent at `at`: kept so that the
    /// program can file it in Sent (the oldest is forgotten past [`MAX_SENT_KEPT`]).
    pub(super) fn remember_sent(&mut self, host: HostId, at: SimTime, message: &[u8]) {
        if self.sent.len() >= MAX_SENT_KEPT {
            self.sent.remove(0);
        }
        self.sent.push((host, at, Rc::from(message)));
    }

    pub(super) fn shows_anything(&self) -> bool {
        !self.programs.is_empty() || !self.watched.is_empty() || self.views.iter().any(Option::is_some)
    }
}

impl World {
    /// At `at`, the person on `host` does `action` with the IMAP mail program that works
    /// with `server_name` for `user` (a new program is set up on first use; `plain`: it
    /// logs in with AUTHENTICATE PLAIN). `AppendSent` files the latest message `host` sent
    /// at or before `at`. Actions are handed to a session when it opens: one added while
    /// the program's session is open waits for the next session.
    pub fn imap_action_at(
        &mut self,
        at: SimTime,
        host: HostId,
        server_name: &str,
        user: &str,
        action: Action,
        plain: bool,
    ) {
        let user = user.to_ascii_lowercase();
        let at = at.max(self.now);
        let message = (action == Action::AppendSent)
            .then(|| {
                self.imap.sent.iter().rev().find(|(h, t, _)| *h == host && *t <= at).map(|s| s.2.clone())
            })
            .flatten();
        let p = self.imap.programs.get_or_insert_with((host, user.clone()), ImapProgram::default);
        if p.server.is_empty() {
            p.server = server_name.to_ascii_lowercase();
        }
        p.plain |= plain;
        let i = p.plan.partition_point(|q| q.at <= at);
        p.plan.insert(i, Planned { at, action, message });
        if let Some(server) = self.host_by_name(server_name) {
            self.imap.watched.insert((server, user.clone()));
        }
        self.imap.dirty = true;
        self.schedule(at, super::Action::ImapWake { host, user });
    }

    /// The IMAP mail program on `host` for `user`.
    pub fn imap_program(&self, host: HostId, user: &str) -> Option<&ImapProgram> {
        self.imap.programs.get(&(host, user.to_ascii_lowercase()))
    }

    /// Time for the program's next action: open a session if none is open.
    pub(super) fn imap_wake(&mut self, host: HostId, user: String) {
        let now = self.now;
        let Some(p) = self.imap.programs.get_mut(&(host, user.clone())) else { return };
        if p.conn.is_some() || p.starting || p.plan.first().is_none_or(|q| q.at > now) {
            return;
        }
        p.starting = true;
        let name = p.server.clone();
        let lookup = Box::new(Lookup::Imap { user });
        self.schedule(now, super::Action::Lookup { host, name, qtype: "A", lookup });
    }

    /// The server's address is known (or not): connect and hand the plan to a client.
    pub(super) fn imap_connect(&mut self, host: HostId, answer: &Answer, user: String) {
        let server = answer.first_addr().and_then(|a| self.host_by_addr(a));
        let password = self.password_of(&user).unwrap_or_default();
        let now = self.now;
        let Some(p) = self.imap.programs.get_mut(&(host, user.clone())) else { return };
        p.starting = false;
        let Some(server) = server else {
            let why = format!("the mail program cannot find the server {}", p.server);
            p.errors.push(why.clone());
            self.local(host, EventKind::Note, format!("{}.", capitalise(&why)).into_bytes());
            return self.imap_session_over(host, &user, None);
        };
        p.sessions += 1;
        let plan = std::mem::take(&mut p.plan);
        let mut client = ImapClient::new(&user, &password, plan, p.cache.clone(), now);
        if p.plain {
            client = client.with_plain();
        }
        self.imap.dirty = true;
        let end = End { machine: Some(Box::new(client)), ..End::default() };
        let conn =
            self.connect(host, server, IMAP_PORT, end, ConnJob::Imap { user: user.clone(), reported: 0 });
        if let Some(p) = self.imap.programs.get_mut(&(host, user)) {
            p.conn = Some(conn);
        }
    }

    /// The client of `conn` did something: its new errors become notes, and when it is
    /// done the program keeps its cache and what it has not done.
    pub(super) fn imap_progress(&mut self, conn: ConnId) {
        let c = &self.conns[conn.0];
        let (host, ConnJob::Imap { user, reported }) = (c.client, &c.job) else { return };
        let Some(client) =
            c.ends[idx(Side::Client)].machine.as_ref().and_then(|m| m.as_any().downcast_ref::<ImapClient>())
        else {
            return;
        };
        let (user, reported) = (user.clone(), *reported);
        let fresh: Vec<String> = client.errors()[reported.min(client.errors().len())..].to_vec();
        let done = client
            .is_closed()
            .then(|| (client.cache().clone(), client.plan().iter().cloned().collect::<Vec<_>>()));
        if let ConnJob::Imap { reported, .. } = &mut self.conns[conn.0].job {
            *reported += fresh.len();
        }
        let label = self.hosts[host].info.label.clone();
        for why in &fresh {
            let text = format!("The mail program on {label} reports: {why}.");
            self.local(host, EventKind::Note, text.into_bytes());
        }
        let Some(p) = self.imap.programs.get_mut(&(host, user.clone())) else { return };
        p.errors.extend(fresh);
        self.imap.dirty = true;
        if let Some((cache, left)) = done {
            self.conns[conn.0].job = ConnJob::Reported;
            p.cache = cache;
            p.conn = None;
            self.imap_session_over(host, &user, Some(left));
        }
    }

    /// A session is over (or never opened): what was due is dropped, the rest waits for
    /// its time.
    fn imap_session_over(&mut self, host: HostId, user: &str, left: Option<Vec<Planned>>) {
        let now = self.now;
        let Some(p) = self.imap.programs.get_mut(&(host, user.to_string())) else { return };
        let mut plan = left.unwrap_or_default();
        plan.append(&mut p.plan);
        plan.retain(|q| q.at > now);
        plan.sort_by_key(|q| q.at);
        p.plan = plan;
        if let Some(at) = p.plan.first().map(|q| q.at) {
            self.schedule(at, super::Action::ImapWake { host, user: user.to_string() });
        }
    }

    /// `host`'s store may have changed: every IMAP session there is told, and one in IDLE
    /// sends its news now (RFC 2177 §3).
    pub(super) fn imap_store_changed(&mut self, host: HostId) {
        let now = self.now;
        let conns: Vec<ConnId> = self
            .shown
            .iter()
            .copied()
            .filter(|c| {
                let c = &self.conns[c.0];
                c.server == host
                    && c.ends[idx(Side::Server)]
                        .machine
                        .as_ref()
                        .is_some_and(|m| m.as_any().is::<ImapServer>())
            })
            .collect();
        for conn in conns {
            let Some(mail) = self.hosts[host].mail.as_mut() else { return };
            let Some(m) = self.conns[conn.0].ends[idx(Side::Server)].machine.as_mut() else { continue };
            m.handle_store_change(now, &mut HostEnv { host, now, mail, faults: &mut self.faults });
            let outs: Vec<Output> = std::iter::from_fn(|| m.poll_output()).collect();
            if !outs.is_empty() {
                self.imap.dirty = true;
                self.after_outputs(conn, Side::Server, outs, None);
            }
        }
    }

    /// An IMAP server session of `conn` ended without LOGOUT: it stops watching the store
    /// (it cannot ask the host itself then, see `ImapServer::release`).
    pub(super) fn imap_release(&mut self, conn: ConnId, side: Side) {
        if side != Side::Server {
            return;
        }
        let (host, now) = (self.conns[conn.0].server, self.now);
        let Some(mail) = self.hosts[host].mail.as_mut() else { return };
        if let Some(server) = self.conns[conn.0].ends[idx(side)]
            .machine
            .as_mut()
            .and_then(|m| m.as_any_mut())
            .and_then(|a| a.downcast_mut::<ImapServer>())
        {
            server.release(&mut HostEnv { host, now, mail, faults: &mut self.faults });
            self.imap.dirty = true;
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

#[cfg(test)]
mod tests;
