//! What the trace shows of POP3 after each event ([`Pop3View`] in a host's snapshot): the
//! mail programs of a device, with their own copies and what they believe is on the server,
//! and the maildrops of a POP3 server, with each message's number in the open session, its
//! size and unique-id, its deletion mark, and what the last QUIT removed.
//!
//! Snapshots are cloned for every event, so the views are rebuilt only when something POP3
//! may have changed (an event of a POP3 connection, anything inside a host such as a
//! delivery or a mail program's note, a lock released) and shared with `Rc` in between.
//! Everything is read from the machines and the store, never from the bytes on the wire.

use std::rc::Rc;

use crate::mail;
use crate::pop3::client::Pop3Client;
use crate::pop3::maildrop;
use crate::pop3::server::Pop3Server;
use crate::session::Side;
use crate::store::{INBOX, SessionKey};
use crate::trace::{
    ConnId, DownloadedMessage, HostId, MailProgramView, MaildropMessage, MaildropView, Pop3View, ServerCopy,
};

use super::{ConnJob, World, idx};

/// `From:` and `Subject:` of a message, for a person to recognise it.
fn from_and_subject(bytes: &[u8]) -> (String, String) {
    let from = mail::header_text(bytes, "From").unwrap_or_default();
    let subject = mail::header_text(bytes, "Subject").unwrap_or_else(|| "(no subject)".into());
    (from, subject)
}

impl World {
    /// Rebuilds the views if something POP3 may have changed, keeping each host's `Rc` when
    /// its view came out the same.
    pub(super) fn refresh_pop3_views(&mut self) {
        if !self.mail_programs.dirty {
            return;
        }
        self.mail_programs.dirty = false;
        let mut views: Vec<Pop3View> = vec![Pop3View::default(); self.hosts.len()];
        for (host, user) in self.mail_programs.programs.keys() {
            if let Some(v) = self.program_view(*host, user) {
                views[*host].programs.push(v);
            }
        }
        // The maildrops mail programs read, and any a POP3 session has logged into.
        let mut watched = self.mail_programs.watched.clone();
        for &conn in &self.shown {
            let c = &self.conns[conn.0];
            if let Some(user) = pop3_server(self, conn).and_then(Pop3Server::user) {
                watched.insert((c.server, user.to_string()));
            }
        }
        for (host, user) in &watched {
            if let Some(v) = self.maildrop_view(*host, user) {
                views[*host].maildrops.push(v);
            }
        }
        let old = std::mem::take(&mut self.mail_programs.views);
        self.mail_programs.views = views
            .into_iter()
            .enumerate()
            .map(|(host, v)| {
                let before = old.get(host).cloned().flatten();
                if v.programs.is_empty() && v.maildrops.is_empty() {
                    None
                } else if before.as_deref() == Some(&v) {
                    before
                } else {
                    Some(Rc::new(v))
                }
            })
            .collect();
    }

    /// The mail program on `host` for `user`: what it keeps, plus what its open session
    /// has downloaded and learned so far.
    fn program_view(&self, host: HostId, user: &str) -> Option<MailProgramView> {
        let p = self.mail_programs.programs.get(&(host, user.to_string()))?;
        let mut downloaded: Vec<DownloadedMessage> = p
            .messages
            .iter()
            .map(|m| {
                let (from, subject) = from_and_subject(&m.bytes);
                DownloadedMessage {
                    uid: m.uid.clone(),
                    size: m.bytes.len() as u64,
                    from,
                    subject,
                    check: m.check,
                }
            })
            .collect();
        let mut on_server: Vec<(String, bool)> = p.on_server.iter().map(|u| (u.clone(), false)).collect();
        // A session not reported yet (running, or just ended): nothing of it is kept yet.
        let live =
            self.conns.iter().enumerate().find(|(_, c)| {
                c.client == host && matches!(&c.job, ConnJob::Retrieve { user: u } if u == user)
            });
        let mut session = None;
        if let Some((i, c)) = live {
            session = self.shown.contains(&ConnId(i)).then_some(ConnId(i));
            if let Some(client) = c.ends[idx(Side::Client)]
                .machine
                .as_ref()
                .and_then(|m| m.as_any().downcast_ref::<Pop3Client>())
            {
                for (uid, bytes) in client.downloaded() {
                    let (from, subject) = from_and_subject(bytes);
                    downloaded.push(DownloadedMessage {
                        uid: uid.clone(),
                        size: bytes.len() as u64,
                        from,
                        subject,
                        check: p.checks,
                    });
                }
                if let Some(listing) = client.listing() {
                    on_server = listing
                        .values()
                        .filter(|u| !client.deleted().contains(u))
                        .map(|u| (u.clone(), client.marked().contains(u)))
                        .collect();
                }
            }
        }
        let on_server = on_server
            .into_iter()
            .map(|(uid, marked)| {
                let downloaded = downloaded.iter().any(|d| d.uid.as_deref() == Some(uid.as_str()));
                ServerCopy { uid, downloaded, marked }
            })
            .collect();
        Some(MailProgramView {
            user: user.to_string(),
            server: p.server.clone(),
            keep: p.keep,
            session,
            checks: p.checks,
            downloaded,
            on_server,
            error: p.error.clone(),
        })
    }

    /// `user`'s maildrop on `host`: the INBOX as POP3 lists it, numbered and marked by the
    /// session that holds its lock, and what the last QUIT removed.
    fn maildrop_view(&self, host: HostId, user: &str) -> Option<MaildropView> {
        let store = &self.hosts.get(host)?.mail.as_ref()?.store;
        let inbox = store.folder(user, INBOX).ok()?;
        let holder = store.locked_by(user).and_then(|key| self.lock_holder(host, key));
        let session: Vec<(u32, &str, u64, bool)> = holder.map(|(_, s)| s.messages()).unwrap_or_default();
        let validity = inbox.uid_validity();
        let messages: Vec<MaildropMessage> = inbox
            .messages()
            .iter()
            .map(|m| {
                let uid = maildrop::unique_id(validity, m.uid);
                let listed = session.iter().find(|(_, u, _, _)| *u == uid);
                let (from, subject) = from_and_subject(&m.bytes);
                MaildropMessage {
                    number: listed.map(|l| l.0),
                    marked: listed.is_some_and(|l| l.3),
                    uid,
                    size: crate::pop3::size_as_sent(&m.bytes),
                    from,
                    subject,
                }
            })
            .collect();
        let locked_by = holder.map(|(c, _)| c);
        // Only a POP3 QUIT removes messages from a maildrop: what was marked in the last
        // view and is gone now was removed by that session's UPDATE (RFC 1939 §6).
        let before = self
            .mail_programs
            .views
            .get(host)
            .and_then(Option::as_deref)
            .and_then(|v| v.maildrops.iter().find(|d| d.user == user));
        let gone: Vec<MaildropMessage> = before
            .map(|b| {
                b.messages
                    .iter()
                    .filter(|m| m.marked && !messages.iter().any(|n| n.uid == m.uid))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (removed, removed_by) = match before {
            _ if !gone.is_empty() => (gone, before.and_then(|b| b.locked_by)),
            // A new session opened the maildrop: the last QUIT is old news.
            Some(b) if locked_by.is_some() && b.locked_by != locked_by => (Vec::new(), None),
            Some(b) => (b.removed.clone(), b.removed_by),
            None => (Vec::new(), None),
        };
        Some(MaildropView { user: user.to_string(), locked_by, messages, removed, removed_by })
    }

    /// The shown POP3 session on `host` that holds the lock `key`, and its server machine.
    fn lock_holder(&self, host: HostId, key: SessionKey) -> Option<(ConnId, &Pop3Server)> {
        self.shown.iter().find_map(|&conn| {
            let server = pop3_server(self, conn)?;
            (self.conns[conn.0].server == host && server.session() == key.0).then_some((conn, server))
        })
    }
}

/// The POP3 server machine of `conn`, if it has one.
fn pop3_server(w: &World, conn: ConnId) -> Option<&Pop3Server> {
    w.conns[conn.0].ends[idx(Side::Server)].machine.as_ref()?.as_any().downcast_ref::<Pop3Server>()
}
