//! Mail programs that fetch mail with POP3 (RFC 1939): the World's side of a retrieval.
//!
//! A mail program on a client host looks its server up, connects to port 110 and runs a
//! [`Pop3Client`]; what it downloaded is kept in the World, per host and user, as the mail
//! program's own copy. In "leave on server" mode it remembers the unique-ids it has seen,
//! so the next retrieval downloads only what is new (RFC 1939 §7, UIDL).

use std::collections::{BTreeMap, BTreeSet};

use crate::dns::Answer;
use crate::pop3::client::{Mode, Pop3Client};
use crate::time::SimTime;
use crate::trace::{EventKind, HostId};

use super::{ConnId, ConnJob, End, Lookup, World};

/// The POP3 port (RFC 1939 §3).
pub const POP3_PORT: u16 = 110;

/// What a mail program on one host keeps for one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailProgram {
    /// Every message downloaded, oldest first: its unique-id (when the server gave one)
    /// and its bytes.
    pub messages: Vec<(Option<String>, Vec<u8>)>,
    /// The unique-ids it has seen on the server, for "leave on server".
    pub known: BTreeSet<String>,
}

/// The mail programs of a World, by (host, user).
pub type MailPrograms = BTreeMap<(HostId, String), MailProgram>;

impl World {
    /// At `at`, the mail program on `host` fetches `user`'s mail from `server_name` with
    /// POP3: downloading and deleting it there, or with `keep`, downloading only what it
    /// has not seen and leaving everything on the server. The password is the user's, as
    /// the world describes it.
    pub fn retrieve_mail_at(&mut self, at: SimTime, host: HostId, server_name: &str, user: &str, keep: bool) {
        let user = user.to_ascii_lowercase();
        let password = self
            .hosts
            .iter()
            .filter_map(|h| h.mail.as_ref())
            .find_map(|m| m.passwords.get(&user).cloned())
            .unwrap_or_default();
        let lookup =
            Box::new(Lookup::Retrieve { server_name: server_name.to_string(), user, password, keep });
        self.schedule(
            at.max(self.now),
            super::Action::Lookup { host, name: server_name.to_string(), qtype: "A", lookup },
        );
    }

    /// What the mail program on `host` has downloaded for `user`.
    pub fn mail_program(&self, host: HostId, user: &str) -> Option<&MailProgram> {
        self.mail_programs.get(&(host, user.to_ascii_lowercase()))
    }

    pub(super) fn retrieve_connect(
        &mut self,
        host: HostId,
        answer: &Answer,
        server_name: &str,
        user: String,
        password: &str,
        keep: bool,
    ) {
        let Some(server) = answer.first_addr().and_then(|a| self.host_by_addr(a)) else {
            let text = format!("The mail program cannot find the server {server_name}: no mail is fetched.");
            return self.local(host, EventKind::Note, text.into_bytes());
        };
        let mode = if keep {
            let known = self.mail_program(host, &user).map(|p| p.known.clone()).unwrap_or_default();
            Mode::LeaveOnServer { known }
        } else {
            Mode::DownloadAndDelete
        };
        let client = Pop3Client::new(&user, password, mode, self.now);
        let end = End { machine: Some(Box::new(client)), ..End::default() };
        self.connect(host, server, POP3_PORT, end, ConnJob::Retrieve { user });
    }

    /// The mail program's session is over: keep what it downloaded, and say what happened.
    pub(super) fn retrieval_done(&mut self, conn: ConnId) {
        let Some(outcome) = self.conns[conn.0].ends[0]
            .machine
            .as_ref()
            .and_then(|m| m.as_any().downcast_ref::<Pop3Client>())
            .and_then(Pop3Client::outcome)
        else {
            return;
        };
        let ConnJob::Retrieve { user } = std::mem::replace(&mut self.conns[conn.0].job, ConnJob::Reported)
        else {
            return;
        };
        let host = self.conns[conn.0].client;
        let program = self.mail_programs.entry((host, user.clone())).or_default();
        let new = outcome.downloaded.len();
        for (uid, bytes) in outcome.downloaded {
            if let Some(u) = &uid {
                program.known.insert(u.clone());
            }
            program.messages.push((uid, bytes));
        }
        let mut text = match new {
            0 => format!("The mail program finds no new mail for {user}."),
            1 => format!("The mail program downloaded 1 message for {user}."),
            n => format!("The mail program downloaded {n} messages for {user}."),
        };
        if !outcome.deleted.is_empty() {
            text.push_str(&format!(" The server deleted {} at QUIT.", outcome.deleted.len()));
        }
        if let Some(why) = outcome.error {
            text = format!("The mail program reports an error: {why}");
        }
        self.local(host, EventKind::Note, text.into_bytes());
    }
}
