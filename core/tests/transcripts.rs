//! Transcript fixtures: `C:` lines go to Bob's server (mx.example.net of the standard
//! world), and its replies must match the `S:` lines exactly. The same files are good
//! reading for a student.

use mailroom_core::session::{Directory, Output, Session};
use mailroom_core::smtp::server::{Peer, SmtpServer};
use mailroom_core::time::SimTime;
use mailroom_core::world::{names, standard_world};

/// Bob's server of the standard world, and what it knows about its users.
fn server() -> (SmtpServer, Directory) {
    let (mut w, _) = standard_world();
    let mx = w.trace().host_by_name(names::BOB_SERVER).unwrap();
    let config = w.server_config_mut(mx).unwrap().clone();
    let directory = Directory {
        local_domains: vec!["example.net".into()],
        mailboxes: vec!["bob@example.net".into(), "carol@example.net".into()],
        ..Directory::default()
    };
    (SmtpServer::new(config, Peer { addr: "203.0.113.9".into(), name: None }, "T", SimTime::ZERO), directory)
}

fn replies(s: &mut SmtpServer) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(o) = s.poll_output() {
        if let Output::Send { bytes, .. } = o {
            let wire = String::from_utf8(bytes).unwrap();
            out.extend(wire.split_terminator("\r\n").map(str::to_string));
        }
    }
    out
}

#[test]
fn transcripts_match() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 3);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let (mut s, mut env) = server();
        let mut got = replies(&mut s);
        let mut want = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some(c) = line.strip_prefix("C:") {
                let c = c.strip_prefix(' ').unwrap_or(c);
                s.handle_input(format!("{c}\r\n").as_bytes(), SimTime::ZERO, &mut env);
                got.extend(replies(&mut s));
            } else if let Some(r) = line.strip_prefix("S: ") {
                want.push(r.to_string());
            } else if !line.trim().is_empty() {
                panic!("{name}: a line must start with C: or S: : {line}");
            }
        }
        assert_eq!(got, want, "{name}");
    }
}
