//! IMAP transcript fixtures (`tests/imap/*.txt`): `C:` lines go to an IMAP server for
//! imap.example.net whose host holds Bob's mailbox (password `builder`) with two messages
//! in INBOX, and its responses must match the `S:` lines exactly (one `S:` per line; a
//! literal's octets are lines too). `#= deliver: Subject` files a new message into
//! Bob's INBOX, as SMTP would, and tells the session (`Session::handle_store_change`).
//! Other `#` lines are comments. Each file is one session at time zero; the files double
//! as reading for a student.
#![cfg(feature = "imap")]

use mailroom_core::imap::server::{ImapConfig, ImapServer};
use mailroom_core::session::{Env, Output, RcptVerdict, Session};
use mailroom_core::smtp::server::Peer;
use mailroom_core::store::MailStore;
use mailroom_core::time::SimTime;

const BOB: &str = "bob@example.net";
const LUNCH: &[u8] = b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: Lunch\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\nLunch at noon?\r\n";
const NEWS: &[u8] = b"From: news@example.com\r\nSubject: News\r\n\r\nLine one.\r\n";
const THIRD: &[u8] = b"From: carol@example.net\r\nSubject: Hello\r\n\r\nHi\r\n";

struct Host {
    store: MailStore,
}

impl Env for Host {
    fn recipient(&mut self, _client: &str, _rcpt: &str) -> RcptVerdict {
        RcptVerdict::NoSuchUser
    }
    fn check_password(&mut self, user: &str, password: &str) -> bool {
        user == BOB && password == "builder"
    }
    fn mail_store(&mut self) -> Option<&mut MailStore> {
        Some(&mut self.store)
    }
}

fn responses(s: &mut ImapServer) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(o) = s.poll_output() {
        match o {
            Output::Send { bytes, .. } => {
                let wire = String::from_utf8(bytes).unwrap();
                assert!(wire.ends_with("\r\n"));
                out.extend(wire.split_terminator("\r\n").map(str::to_string));
            }
            Output::Close => out.push("<close>".into()),
            Output::Request(_) => {}
        }
    }
    out
}

#[test]
fn imap_transcripts_match() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/imap");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 5);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let mut host = Host { store: MailStore::new() };
        host.store.create_mailbox(BOB).unwrap();
        for m in [LUNCH, NEWS, THIRD] {
            host.store.deliver(BOB, m, SimTime::ZERO).unwrap();
        }
        let peer = Peer { addr: "192.0.2.20".into(), name: None };
        let mut s = ImapServer::new(ImapConfig::new("imap.example.net"), peer, SimTime::ZERO);
        let mut got = responses(&mut s);
        let mut want = Vec::new();
        for line in text.lines() {
            if let Some(subject) = line.strip_prefix("#= deliver: ") {
                let m = format!("From: alice@example.org\r\nSubject: {subject}\r\n\r\nHi\r\n");
                host.store.deliver(BOB, m.into_bytes(), SimTime::ZERO).unwrap();
                s.handle_store_change(SimTime::ZERO, &mut host);
                got.extend(responses(&mut s));
            } else if line.starts_with('#') || line.trim().is_empty() {
            } else if let Some(c) = line.strip_prefix("C: ") {
                s.handle_input(format!("{c}\r\n").as_bytes(), SimTime::ZERO, &mut host);
                got.extend(responses(&mut s));
            } else if let Some(r) = line.strip_prefix("S: ") {
                want.push(r.to_string());
            } else if line == "S:" {
                want.push(String::new());
            } else {
                panic!("{name}: a line must start with C: or S: : {line}");
            }
        }
        assert_eq!(got, want, "{name}");
    }
}
