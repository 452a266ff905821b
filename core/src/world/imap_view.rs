//! What the trace shows of IMAP after each event ([`ImapView`] in a host's snapshot): each
//! device's mail program with the folders and messages it believes are on the server
//! (UIDs, flags, subjects, as the server's responses told it), and the server's mailboxes
//! as stored, with the sessions logged in to them and the folder each has open. Side by
//! side they show a student when a device is in sync and when it is not yet.
//!
//! Like the POP3 views, they are rebuilt only when something IMAP may have changed and
//! shared with `Rc` between snapshots; everything is read from the machines and the store,
//! never from the bytes on the wire.

use std::rc::Rc;

use crate::imap::client::{Cache, CachedMessage, ClientState, ImapClient};
use crate::imap::server::ImapServer;
use crate::mail;
use crate::session::Side;
use crate::store::MailStore;
use crate::trace::{HostId, ImapFolderView, ImapMailboxView, ImapMessageView, ImapProgramView, ImapView};

use super::{World, idx};

/// The folders of a mail program's cache; `open`: the folder its session has open, the only
/// one whose `\Recent` flags mean something (they belong to the session's selection, RFC
/// 3501 §2.3.2); `opening`: the folder whose SELECT is on its way, with the messages known
/// of it before (see [`ImapClient::shown`]).
fn cache_folders(
    cache: &Cache,
    open: Option<usize>,
    opening: Option<(usize, &[CachedMessage])>,
) -> Vec<ImapFolderView> {
    cache
        .folders
        .iter()
        .enumerate()
        .map(|(i, f)| ImapFolderView {
            name: f.name.clone(),
            special_use: f.special_use.clone(),
            uid_validity: f.uid_validity,
            uid_next: None,
            messages: match opening {
                Some((o, before)) if o == i => before,
                _ => &f.messages,
            }
            .iter()
            .map(|m| ImapMessageView {
                uid: m.uid,
                flags: m.flags,
                recent: m.recent && open == Some(i),
                from: m.from.clone(),
                subject: m.subject.clone(),
                opened: m.opened,
                text_only: m.text_only,
            })
            .collect(),
        })
        .collect()
}

/// `user`'s folders in `store`, as stored.
fn store_folders(store: &MailStore, user: &str) -> Vec<ImapFolderView> {
    let Ok(infos) = store.folders(user) else { return Vec::new() };
    infos
        .iter()
        .filter_map(|info| {
            let f = store.folder(user, &info.name).ok()?;
            Some(ImapFolderView {
                name: info.name.clone(),
                special_use: info.special_use.map(|u| u.attribute().to_string()),
                uid_validity: f.uid_validity(),
                uid_next: Some(f.uid_next()),
                messages: f
                    .messages()
                    .iter()
                    .map(|m| ImapMessageView {
                        uid: m.uid,
                        flags: m.flags,
                        recent: false,
                        from: mail::header_text(&m.bytes, "From").unwrap_or_default(),
                        subject: mail::header_text(&m.bytes, "Subject").unwrap_or_default(),
                        opened: false,
                        text_only: false,
                    })
                    .collect(),
            })
        })
        .collect()
}

impl World {
    /// Rebuilds the views if something IMAP may have changed, keeping each host's `Rc`
    /// when its view came out the same.
    pub(super) fn refresh_imap_views(&mut self) {
        if !self.imap.dirty {
            return;
        }
        self.imap.dirty = false;
        let mut views = vec![ImapView::default(); self.hosts.len()];
        for ((host, user), p) in self.imap.programs.iter() {
            let client = p.conn.and_then(|c| {
                self.conns[c.0].ends[idx(Side::Client)]
                    .machine
                    .as_ref()?
                    .as_any()
                    .downcast_ref::<ImapClient>()
            });
            // Its SELECT, if it just decided on one, is not in the trace yet.
            let sending = p.conn.is_some_and(|c| self.conns[c.0].ends[idx(Side::Client)].in_flight > 0);
            let (open, opening) = client.map_or((None, None), |c| c.shown(sending));
            let cache = client.map_or(&p.cache, ImapClient::cache);
            views[*host].programs.push(ImapProgramView {
                user: user.clone(),
                server: p.server.clone(),
                session: p.conn.filter(|c| self.shown.contains(c)),
                selected: open.map(|i| cache.folders[i].name.clone()),
                idling: client.is_some_and(|c| c.client_state() == ClientState::Idling),
                folders: cache_folders(cache, open, opening),
                error: client.and_then(|c| c.errors().last()).or(p.errors.last()).cloned(),
            });
        }
        // The mailboxes mail programs work with, and any an IMAP session has logged in to.
        let mut watched = self.imap.watched.clone();
        let mut sessions: Vec<(HostId, String, crate::trace::ConnId, &ImapServer)> = Vec::new();
        for &conn in &self.shown {
            let c = &self.conns[conn.0];
            let server = c.ends[idx(Side::Server)]
                .machine
                .as_ref()
                .and_then(|m| m.as_any().downcast_ref::<ImapServer>());
            if let Some((s, user)) = server.and_then(|s| Some((s, s.user()?))) {
                watched.insert((c.server, user.to_string()));
                sessions.push((c.server, user.to_string(), conn, s));
            }
        }
        for (host, user) in &watched {
            let Some(store) = self.hosts[*host].mail.as_ref().map(|m| &m.store) else { continue };
            if !store.has_mailbox(user) {
                continue;
            }
            views[*host].mailboxes.push(ImapMailboxView {
                user: user.clone(),
                folders: store_folders(store, user),
                sessions: sessions
                    .iter()
                    .filter(|(h, u, _, _)| h == host && u == user)
                    .map(|(_, _, conn, s)| (*conn, s.selected(store).map(str::to_string)))
                    .collect(),
            });
        }
        let old = std::mem::take(&mut self.imap.views);
        self.imap.views = views
            .into_iter()
            .enumerate()
            .map(|(host, v)| {
                let before = old.get(host).cloned().flatten();
                if v.programs.is_empty() && v.mailboxes.is_empty() {
                    None
                } else if before.as_deref() == Some(&v) {
                    before
                } else {
                    Some(Rc::new(v))
                }
            })
            .collect();
    }
}
