//! POP3 transcript fixtures (`tests/pop3/*.txt`): `C:` lines go to a POP3 server for
//! pop.example.net whose host holds Bob's maildrop of two messages, and its responses
//! must match the `S:` lines exactly (a multi-line response gives one `S:` per line).
//! A line `#= deleted: uid uid` says what the host must have been asked to delete by the
//! end (nothing when absent). Other `#` lines are comments. Each file is one session
//! (session id 1, at time zero); the files double as reading for a student.
#![cfg(feature = "pop3")]

use std::rc::Rc;

use mailroom_core::pop3::server::{Pop3Config, Pop3Server};
use mailroom_core::pop3::{MaildropError, MessageError, Pop3Item};
use mailroom_core::session::{Env, Output, RcptVerdict, Session};
use mailroom_core::smtp::server::Peer;
use mailroom_core::time::SimTime;

const LUNCH: &[u8] = b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: Lunch\r\n\r\nLunch at noon?\r\n.see you there\r\n";
const NEWS: &[u8] = b"From: news@example.com\r\nSubject: News\r\n\r\nLine one.\r\nLine two.\r\n";

/// Bob's provider: password `hunter2`, two messages, one lock.
struct Host {
    drop: Vec<(&'static str, Rc<[u8]>)>,
    locked_by: Option<u64>,
    deleted: Vec<String>,
}

impl Env for Host {
    fn recipient(&mut self, _client: &str, _rcpt: &str) -> RcptVerdict {
        RcptVerdict::NoSuchUser
    }
    fn check_password(&mut self, user: &str, password: &str) -> bool {
        user == "bob" && password == "hunter2"
    }
    fn open_maildrop(&mut self, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
        if user != "bob" {
            return Err(MaildropError::Unavailable);
        }
        if self.locked_by.is_some_and(|s| s != session) {
            return Err(MaildropError::Locked);
        }
        self.locked_by = Some(session);
        Ok(self.drop.iter().map(|(uid, m)| Pop3Item { uid: uid.to_string(), size: m.len() as u64 }).collect())
    }
    fn maildrop_message(&mut self, _user: &str, _session: u64, uid: &str) -> Result<Rc<[u8]>, MessageError> {
        self.drop.iter().find(|(u, _)| *u == uid).map(|(_, m)| m.clone()).ok_or(MessageError::Gone)
    }
    fn commit_deletions(&mut self, _user: &str, _session: u64, uids: &[String]) -> bool {
        self.deleted.extend(uids.iter().cloned());
        self.drop.retain(|(u, _)| !uids.iter().any(|d| d == u));
        true
    }
    fn close_maildrop(&mut self, _user: &str, session: u64) {
        if self.locked_by == Some(session) {
            self.locked_by = None;
        }
    }
}

fn responses(s: &mut Pop3Server) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(o) = s.poll_output() {
        if let Output::Send { bytes, .. } = o {
            let wire = String::from_utf8(bytes).unwrap();
            assert!(wire.ends_with("\r\n"));
            out.extend(wire.split_terminator("\r\n").map(str::to_string));
        }
    }
    out
}

#[test]
fn pop3_transcripts_match() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pop3");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 2);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let mut host = Host {
            drop: vec![("1764486000.1", LUNCH.into()), ("1764486000.2", NEWS.into())],
            locked_by: None,
            deleted: Vec::new(),
        };
        let peer = Peer { addr: "192.0.2.20".into(), name: None };
        let mut s = Pop3Server::new(Pop3Config::new("pop.example.net"), peer, 1, SimTime::ZERO);
        let mut got = responses(&mut s);
        let (mut want, mut want_deleted) = (Vec::new(), Vec::new());
        for line in text.lines() {
            if let Some(uids) = line.strip_prefix("#= deleted:") {
                want_deleted.extend(uids.split_whitespace().map(str::to_string));
            } else if line.starts_with('#') || line.trim().is_empty() {
            } else if let Some(c) = line.strip_prefix("C: ") {
                s.handle_input(format!("{c}\r\n").as_bytes(), SimTime::ZERO, &mut host);
                got.extend(responses(&mut s));
            } else if let Some(r) = line.strip_prefix("S: ") {
                want.push(r.to_string());
            } else {
                panic!("{name}: a line must start with C: or S: : {line}");
            }
        }
        assert_eq!(got, want, "{name}");
        assert_eq!(host.deleted, want_deleted, "{name}: what the host was asked to delete");
    }
}
