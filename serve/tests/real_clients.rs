//! Real SMTP clients against `mailroom-serve` on 127.0.0.1: Python's smtplib, curl and
//! swaks. Each test starts its own server on a free port.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Server;

#[test]
fn python_smtplib_session() {
    let server = Server::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtplib_session.py");
    let out = Command::new("python3")
        .arg(script)
        .env("MAILROOM_SMTP_PORT", server.port.to_string())
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "smtplib tests failed:\n{stderr}");
    assert!(stderr.contains("OK"), "{stderr}");

    let printed = server.wait_for("Subject: Dots from smtplib");
    // Body lines that start with a dot arrive exactly as written: smtplib stuffed them,
    // the server unstuffed them.
    let msg = printed
        .split("--- message ")
        .find(|m| m.contains("for bob@example.net") && m.contains("Dots from smtplib"))
        .unwrap_or_else(|| panic!("no message for Bob in:\n{printed}"));
    assert!(msg.contains("\r\nFirst line\r\n.x starts with a dot\r\n.\r\n..\r\nLast line\r\n"), "{msg}");
    assert!(msg.contains("Return-Path: <alice@example.org>\r\nReceived: from "), "{msg}");
    // Nothing was delivered by the smuggling attempt, and nothing for unknown users.
    assert!(!printed.contains("smuggled"), "{printed}");
    assert!(!printed.contains("nobody@"), "{printed}");
    // Nor the message over the size limit, refused with 552 after its final dot.
    assert!(!printed.contains("Subject: too big"), "{printed}");
}

#[test]
fn curl_sends_a_message() {
    let server = Server::start();
    let mut child = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .arg(format!("smtp://127.0.0.1:{}/client.example", server.port))
        .args(["--mail-from", "alice@example.org", "--mail-rcpt", "carol@example.net", "--upload-file", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("curl runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"From: alice@example.org\r\nTo: carol@example.net\r\nSubject: via curl\r\n\r\nHello Carol\r\n",
        )
        .unwrap();
    assert!(child.wait().unwrap().success());
    let printed = server.wait_for("Hello Carol");
    assert!(printed.contains("to carol@example.net") && printed.contains("Subject: via curl"), "{printed}");

    // curl reports the refusal of an unknown user as an error.
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .arg(format!("smtp://127.0.0.1:{}", server.port))
        .args([
            "--mail-from",
            "alice@example.org",
            "--mail-rcpt",
            "nobody@example.net",
            "--upload-file",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("550"), "{out:?}");
}

#[test]
fn swaks_sends_a_message() {
    if Command::new("swaks").arg("--version").output().is_err() {
        // scripts/setup.sh installs swaks; only a developer machine may lack it.
        assert!(std::env::var("CI").is_err(), "swaks must be installed in CI (scripts/setup.sh)");
        eprintln!("swaks is not installed: skipped (run scripts/setup.sh)");
        return;
    }
    let server = Server::start();
    let out = Command::new("swaks")
        .args(["--server", "127.0.0.1", "--port", &server.port.to_string(), "--helo", "client.example"])
        .args(["--from", "alice@example.org", "--to", "bob@example.net"])
        .args(["--header", "Subject: via swaks", "--body", "Hello from swaks", "--timeout", "10"])
        .output()
        .expect("swaks runs");
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{transcript}");
    assert!(transcript.contains("<-  250 2.0.0 OK: queued as"), "{transcript}");
    let printed = server.wait_for("Hello from swaks");
    assert!(printed.contains("Subject: via swaks"), "{printed}");
}

/// The idle timeout is the machine's (RFC 5321 §4.5.3.2.7): `--idle-timeout 1` makes it a
/// second, and a silent client is told `421 4.4.2` and disconnected, no sooner.
#[test]
fn idle_client_gets_421_then_eof() {
    let server = Server::start_with(&["--idle-timeout", "1"]);
    let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    // A bound on the test itself, should the server never time out.
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("220 "), "{line:?}");

    // Activity restarts the clock: after 0.6 s of silence an EHLO buys a full second
    // more, so the 421 comes a second after the EHLO, not 0.4 s.
    std::thread::sleep(Duration::from_millis(600));
    let sent = Instant::now();
    (&stream).write_all(b"EHLO client.example\r\n").unwrap();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("250"), "{line:?}");
        if line.starts_with("250 ") {
            break;
        }
    }
    let mut rest = String::new();
    reader.read_to_string(&mut rest).expect("the server closes the connection");
    let waited = sent.elapsed();
    assert!(rest.starts_with("421 4.4.2 mail.example.net timeout"), "{rest:?}");
    assert!(rest.ends_with("\r\n") && rest.lines().count() == 1, "one reply, then EOF: {rest:?}");
    assert!(waited >= Duration::from_millis(990), "421 after only {waited:?}");
    assert!(waited < Duration::from_secs(5), "421 after {waited:?}");
}

/// The command line: `--help` shows the world, bad options exit with 2, as documented.
#[test]
fn command_line() {
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_mailroom-serve")).args(args).output().unwrap();
    let help = run(&["--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success(), "{help:?}");
    for needle in [
        "--smtp <ADDR>",
        "--pop3 <ADDR>",
        "--transcript",
        "--print-messages",
        "--idle-timeout <SECS>",
        "THE WORLD:",
        "carol@example.net",
        "bob@example.net      password \"builder\"",
        "made-up lesson passwords",
        "EXAMPLE:",
        "poplib",
    ] {
        assert!(text.contains(needle), "{needle} missing from --help:\n{text}");
    }
    let version = run(&["-V"]);
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        format!("mailroom-serve {}\n", env!("CARGO_PKG_VERSION"))
    );
    // Neither --smtp nor --pop3 is an error too: the server would serve nothing.
    for bad in [
        &[][..],
        &["--transcript"],
        &["--smtp", "nowhere"],
        &["--pop3", "nowhere"],
        &["--smtp", "127.0.0.1:0", "--idle-timeout", "0"],
        &["--bogus"],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("error:"), "{bad:?}: {out:?}");
    }
}

/// Sessions served at once interleave in the transcript a line at a time: a header names
/// the session whenever the lines switch to another one.
#[test]
fn the_transcript_names_each_session_as_their_lines_interleave() {
    let server = Server::start_with(&["--transcript"]);
    let mut a = Smtp::connect(server.port);
    let a_port = a.stream.local_addr().unwrap().port();
    let mut b = Smtp::connect(server.port);
    let b_port = b.stream.local_addr().unwrap().port();
    a.command("EHLO a.example");
    b.command("EHLO b.example");
    a.command("NOOP");
    let transcript = server.wait_for_stderr("C: NOOP\nS: 250");
    let a_head = format!("== smtp session 1 from 127.0.0.1:{a_port}\n");
    let b_head = format!("== smtp session 2 from 127.0.0.1:{b_port}\n");
    let want = [
        a_head.as_str(),
        "S: 220 ",
        b_head.as_str(),
        "S: 220 ",
        a_head.as_str(),
        "C: EHLO a.example\nS: 250-mail.example.net greets a.example\n",
        b_head.as_str(),
        "C: EHLO b.example\n",
        a_head.as_str(),
        "C: NOOP\nS: 250",
    ];
    let mut rest = transcript.as_str();
    for piece in want {
        let at = rest.find(piece).unwrap_or_else(|| panic!("{piece:?} in order in:\n{transcript}"));
        rest = &rest[at + piece.len()..];
    }
    assert_eq!(transcript.matches("== ").count(), 5, "{transcript}");
}

/// A raw SMTP session: sends lines, reads one reply (its last line).
struct Smtp {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Smtp {
    fn connect(port: u16) -> Smtp {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        let mut s = Smtp { stream, reader };
        assert!(s.reply().starts_with("220 "));
        s
    }

    /// The last line of the next reply; empty if the connection closed.
    fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return line;
            }
        }
    }

    fn command(&mut self, line: &str) -> String {
        self.stream.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        self.reply()
    }

    /// EHLO, MAIL, a RCPT for each of `to`, DATA: up to the 354.
    fn start(port: u16, login: Option<&str>, to: &[&str]) -> Smtp {
        let mut s = Smtp::connect(port);
        assert!(s.command("EHLO client.example").starts_with("250 "));
        if let Some(auth) = login {
            assert!(s.command(auth).starts_with("235 "));
        }
        assert!(s.command("MAIL FROM:<alice@example.org>").starts_with("250 "));
        for rcpt in to {
            assert!(s.command(&format!("RCPT TO:<{rcpt}>")).starts_with("250 "));
        }
        assert!(s.command("DATA").starts_with("354 "));
        s
    }
}

/// When the store has no room left at the end of DATA, the message gets `452 4.3.1`
/// (RFC 5321 §4.2.1: one reply per command; RFC 3463 §3.4), nothing of it is stored for any
/// recipient, and the session goes on; on submission too. The server refuses new mail at
/// MAIL FROM from half its store's ceiling (256 MiB), but mail already past MAIL FROM may
/// not fit in the other half: eleven sessions, each with a 10 MB message for all five
/// mailboxes (50 MB each), started while the store was empty.
#[test]
fn a_full_store_at_the_end_of_data_answers_452() {
    let server = Server::run(&["--smtp", "127.0.0.1:0", "--submission", "127.0.0.1:0"]);
    let all = ["alice@example.org", "bob@example.net", "carol@example.net", "postmaster@example.org"];
    let all = [&all[..], &["postmaster@example.net"]].concat();
    let mut sessions: Vec<Smtp> = (0..11).map(|_| Smtp::start(server.port, None, &all)).collect();
    let alice = "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=";
    let mut submission =
        Smtp::start(server.submission_port, Some(alice), &["bob@example.net", "carol@example.net"]);
    let line = format!("{}\r\n", "x".repeat(998));
    let message = format!("Subject: big\r\n\r\n{}.\r\n", line.repeat(10_400));
    let mut stored = 0;
    let full = loop {
        let mut s = sessions.remove(0);
        s.stream.write_all(message.as_bytes()).unwrap();
        let reply = s.reply();
        if !reply.starts_with("250 ") {
            break (s, reply);
        }
        stored += 1;
        assert!(!sessions.is_empty(), "all eleven stored: {reply:?}");
    };
    let (mut s, reply) = full;
    assert!(reply.starts_with("452 4.3.1 "), "after {stored} stored: {reply:?}");
    assert!(stored >= 5, "only {stored} stored");
    // The session goes on: RSET, a new MAIL refused for now (the store is past half), QUIT.
    assert!(s.command("RSET").starts_with("250 "));
    assert!(s.command("MAIL FROM:<alice@example.org>").starts_with("452 4.3.1 "));
    assert!(s.command("QUIT").starts_with("221 "));
    // The same on submission: 20 MB more do not fit either.
    submission.stream.write_all(message.as_bytes()).unwrap();
    assert!(submission.reply().starts_with("452 4.3.1 "));
    assert!(submission.command("NOOP").starts_with("250 "));
    assert!(submission.command("QUIT").starts_with("221 "));
    // Nothing of the refused messages was stored, for any recipient.
    let printed = server.wait_for(&format!("delivered {:06X}01 to postmaster@example.net", stored));
    assert_eq!(printed.matches("delivered ").count(), 5 * stored, "{printed}");
}

/// A client that sends a byte at a time, never a whole line, is timed out as a silent one
/// is: the idle timer restarts with each complete command line (RFC 5321 §4.5.3.2.7, RFC
/// 1939 §3, RFC 9051 §5.4), or in DATA each line of the message, not with each octet. With
/// `--idle-timeout 1`, on every service at once, each session drips a byte every 300 ms for
/// 3 s and must be closed about a second after its last complete line.
#[test]
fn a_byte_at_a_time_does_not_keep_a_session() {
    let server = Server::run(&[
        "--smtp",
        "127.0.0.1:0",
        "--pop3",
        "127.0.0.1:0",
        "--imap",
        "127.0.0.1:0",
        "--idle-timeout",
        "1",
    ]);
    let sessions: [(&str, u16, &str, &str, &str); 4] = [
        ("smtp", server.port, "", "NOOP NOOP NOOP", "421 4.4.2 "),
        (
            "smtp in DATA",
            server.port,
            "EHLO c\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
            "Subject: drip",
            "421 4.4.2 ",
        ),
        ("pop3", server.pop3_port, "USER bob@example.net\r\n", "PASS builder", ""),
        ("imap", server.imap_port, "a LOGIN bob@example.net builder\r\n", "b NOOP NOOP", "* BYE "),
    ];
    let threads: Vec<_> = sessions
        .into_iter()
        .map(|(name, port, first, drip, last)| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                stream.write_all(first.as_bytes()).unwrap();
                let since = Instant::now();
                let mut writer = stream.try_clone().unwrap();
                let dripping = std::thread::spawn(move || {
                    for b in drip.bytes().cycle().take(10) {
                        std::thread::sleep(Duration::from_millis(300));
                        if writer.write_all(&[b]).is_err() {
                            return;
                        }
                    }
                });
                let mut all = String::new();
                stream.read_to_string(&mut all).unwrap_or_else(|e| panic!("{name}: {e}: {all:?}"));
                let closed = since.elapsed();
                let _ = dripping.join();
                let last_line = all.lines().last().unwrap_or_default();
                assert!(last_line.starts_with(last), "{name}: {all:?}");
                assert!(closed < Duration::from_millis(2000), "{name}: closed after {closed:?}");
                assert!(closed >= Duration::from_millis(900), "{name}: closed after {closed:?}");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Beyond 64 clients at once (the event loop's cap) a client is told so and closed: on SMTP
/// with `421`, the server's domain first (RFC 5321 §4.2.3); the 64 keep their sessions.
#[test]
fn the_sixty_fifth_client_is_told_421_with_the_domain() {
    let server = Server::start();
    let held: Vec<Smtp> = (0..64).map(|_| Smtp::connect(server.port)).collect();
    let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut all = String::new();
    BufReader::new(stream).read_to_string(&mut all).expect("the server closes the connection");
    assert!(all.starts_with("421 4.3.2 mail.example.net "), "{all:?}");
    assert_eq!(all.lines().count(), 1, "one reply, then EOF: {all:?}");
    let mut first = held.into_iter().next().unwrap();
    assert!(first.command("NOOP").starts_with("250"), "the others are still served");
}
