//! Mail programs that fetch mail with POP3 (RFC 1939): the World's side of a retrieval.
//!
//! A mail program on a client host looks its server up, connects to port 110 and runs a
//! [`Pop3Client`]; what it downloaded is kept in the World, per host and user, as the mail
//! program's own copy. In "leave on server" mode it remembers the unique-ids it has seen,
//! so the next retrieval downloads only what is new (RFC 1939 §7, UIDL).
//!
//! What the trace shows of it ([`Pop3View`] in each host's snapshot: the mail programs and
//! the maildrops they fetch from) is built in [`pop3_view`](super::pop3_view).

use crate::vecmap::{VecMap, VecSet};
use std::rc::Rc;

use crate::dns::Answer;
use crate::pop3::client::{Mode, Pop3Client};
use crate::time::SimTime;
use crate::trace::{EventKind, HostId, Pop3View};

use super::{ConnId, ConnJob, End, Lookup, World};

/// The POP3 port (RFC 1939 §3).
pub const POP3_PORT: u16 = 110;

/// A message a mail program keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downloaded {
    /// Its unique-id on the server, when the server gave one (UIDL).
    pub uid: Option<String>,
    /// The message, un-stuffed, lines ending in CRLF.
    pub bytes: Vec<u8>,
    /// Which check downloaded it (1 for the first).
    pub check: u32,
}

/// What a mail program on one host keeps for one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailProgram {
    /// The POP3 server it fetches from.
    pub server: String,
    /// The mode of its latest check: leave mail on the server (true), or delete it.
    pub keep: bool,
    /// How many checks it has started.
    pub checks: u32,
    /// Every message downloaded, oldest first.
    pub messages: Vec<Downloaded>,
    /// The unique-ids it has downloaded, for "leave on server".
    pub known: VecSet<String>,
    /// The unique-ids it believes are on the server: the last listing it read, less what
    /// a QUIT confirmed deleted.
    pub on_server: Vec<String>,
    /// Why its last finished check failed, if it did.
    pub error: Option<String>,
}

/// The mail programs of a World, and what the trace shows of POP3.
#[derive(Default)]
pub(super) struct MailPrograms {
    pub(super) programs: VecMap<(HostId, String), MailProgram>,
    /// The maildrops the trace shows, as (server host, user): those a mail program fetches
    /// from (known when its retrieval is scheduled, so they are shown from the start).
    pub(super) watched: VecSet<(HostId, String)>,
    /// What the last snapshot showed, per host.
    pub(super) views: Vec<Option<Rc<Pop3View>>>,
    /// Something POP3 may have changed since the views were built.
    pub(super) dirty: bool,
}

impl MailPrograms {
    /// True when the trace shows anything of POP3: a World without mail programs or POP3
    /// sessions pays nothing for the views.
    pub(super) fn shows_anything(&self) -> bool {
        !self.programs.is_empty() || !self.watched.is_empty() || self.views.iter().any(Option::is_some)
    }
}

impl World {
    /// At `at`, the mail program on `host` fetches `user`'s mail from `server_name` with
    /// POP3: downloading and deleting it there, or with `keep`, downloading only what it
    /// has not seen and leaving everything on the server. The password is the user's, as
    /// the world describes it.
    pub fn retrieve_mail_at(&mut self, at: SimTime, host: HostId, server_name: &str, user: &str, keep: bool) {
        let user = user.to_ascii_lowercase();
        let password = self.password_of(&user).unwrap_or_default();
        // Shown from the start: the program (empty) and the maildrop it will read.
        let mp = &mut self.mail_programs;
        let program = mp.programs.get_or_insert_with((host, user.clone()), MailProgram::default);
        if program.server.is_empty() {
            program.server = server_name.to_ascii_lowercase();
            program.keep = keep;
        }
        if let Some(server) = self.hosts.iter().position(|h| h.info.name.eq_ignore_ascii_case(server_name)) {
            mp.watched.insert((server, user.clone()));
        }
        mp.dirty = true;
        let lookup =
            Box::new(Lookup::Retrieve { server_name: server_name.to_string(), user, password, keep });
        self.schedule(
            at.max(self.now),
            super::Action::Lookup { host, name: server_name.to_string(), qtype: "A", lookup },
        );
    }

    /// What the mail program on `host` has downloaded for `user`.
    pub fn mail_program(&self, host: HostId, user: &str) -> Option<&MailProgram> {
        self.mail_programs.programs.get(&(host, user.to_ascii_lowercase()))
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
        let program =
            self.mail_programs.programs.get_or_insert_with((host, user.clone()), MailProgram::default);
        program.checks += 1;
        program.keep = keep;
        program.server = server_name.to_ascii_lowercase();
        let mode =
            if keep { Mode::LeaveOnServer { known: program.known.clone() } } else { Mode::DownloadAndDelete };
        self.mail_programs.dirty = true;
        let client = Pop3Client::new(&user, password, mode, self.now);
        let end = End { machine: Some(Box::new(client)), ..End::default() };
        self.connect(host, server, POP3_PORT, end, ConnJob::Retrieve { user });
    }

    /// The mail program's session is over: keep what it downloaded, and say what happened.
    pub(super) fn retrieval_done(&mut self, conn: ConnId) {
        let Some(client) =
            self.conns[conn.0].ends[0].machine.as_ref().and_then(|m| m.as_any().downcast_ref::<Pop3Client>())
        else {
            return;
        };
        let Some(outcome) = client.outcome() else {
            return;
        };
        // What it now believes is on the server: what this session listed, less what its
        // QUIT removed; a session that listed nothing leaves the belief as it was.
        let listed: Option<Vec<String>> =
            client.listing().map(|l| l.values().filter(|u| !outcome.deleted.contains(u)).cloned().collect());
        let ConnJob::Retrieve { user } = std::mem::replace(&mut self.conns[conn.0].job, ConnJob::Reported)
        else {
            return;
        };
        let host = self.conns[conn.0].client;
        self.mail_programs.dirty = true;
        let program =
            self.mail_programs.programs.get_or_insert_with((host, user.clone()), MailProgram::default);
        let new = outcome.downloaded.len();
        let check = program.checks;
        for (uid, bytes) in outcome.downloaded {
            if let Some(u) = &uid {
                program.known.insert(u.clone());
            }
            program.messages.push(Downloaded { uid, bytes, check });
        }
        if let Some(l) = listed {
            program.on_server = l;
        }
        program.error = outcome.error.clone();
        let mut text = match new {
            0 => format!("The mail program finds no new mail for {user}."),
            1 => format!("The mail program downloaded 1 message for {user}."),
            n => format!("The mail program downloaded {n} messages for {user}."),
        };
        if !outcome.deleted.is_empty() {
            text.push_str(&format!(" The server deleted {} at QUIT.", outcome.deleted.len()));
        }
        if let Some(why) = outcome.error {
            text = match new {
                0 => format!("The mail program reports an error: {why}"),
                1 => {
                    format!("The mail program downloaded 1 message for {user}, then reports an error: {why}")
                }
                n => format!(
                    "The mail program downloaded {n} messages for {user}, then reports an error: {why}"
                ),
            };
        }
        self.local(host, EventKind::Note, text.into_bytes());
    }
}
