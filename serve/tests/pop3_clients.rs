//! Real POP3 clients against `mailroom-serve --pop3` on 127.0.0.1: Python's poplib and
//! curl, reading mail that smtplib and curl sent through `--smtp` of the same server (one
//! store behind both). Each test starts its own server on free ports.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Server;

fn both(extra: &[&str]) -> Server {
    let mut args = vec!["--smtp", "127.0.0.1:0", "--pop3", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::run(&args)
}

/// A raw POP3 connection, for what no client library lets a test do.
struct Raw {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Raw {
    fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        // A bound on the test itself, should the server never answer.
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        let mut raw = Raw { stream, reader };
        let greeting = raw.line();
        assert!(greeting.starts_with("+OK "), "{greeting:?}");
        raw
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends one command and returns its (first) response line.
    fn command(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes());
        self.line()
    }

    fn login(port: u16, user: &str, password: &str) -> (Raw, String) {
        let mut raw = Raw::connect(port);
        let user = raw.command(&format!("USER {user}"));
        assert!(user.starts_with("+OK"), "{user:?}");
        let pass = raw.command(&format!("PASS {password}"));
        (raw, pass)
    }
}

fn curl_send(smtp_port: u16, to: &str, message: &str) {
    let mut child = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .arg(format!("smtp://127.0.0.1:{smtp_port}/client.example"))
        .args(["--mail-from", "alice@example.org", "--mail-rcpt", to, "--upload-file", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("curl runs");
    child.stdin.take().unwrap().write_all(message.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn python_poplib_session() {
    let server = both(&[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/poplib_session.py");
    let out = Command::new("python3")
        .arg(script)
        .env("MAILROOM_SMTP_PORT", server.port.to_string())
        .env("MAILROOM_POP3_PORT", server.pop3_port.to_string())
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "poplib tests failed:\n{stderr}");
    assert!(stderr.contains("OK"), "{stderr}");
    // The server says what QUIT removed: Carol's one message, and nothing of Alice's or
    // Bob's (their sessions ended with RSET, a dropped connection, or nothing marked).
    let printed = server.wait_for("deleted 1 from carol@example.net");
    assert!(printed.contains("at QUIT of POP3 session") && printed.contains("(2 in mailbox)"), "{printed}");
    assert!(!printed.contains("from alice@") && !printed.contains("from bob@"), "{printed}");
}

/// curl retrieves a message by number, lists the maildrop, and lists the unique-ids.
#[test]
fn curl_retrieves_a_message() {
    let curl = Command::new("curl").arg("-V").output().expect("curl runs");
    if !String::from_utf8_lossy(&curl.stdout).to_ascii_lowercase().contains("pop3") {
        eprintln!("this curl has no pop3 support: skipped");
        return;
    }
    let server = both(&[]);
    curl_send(server.port, "bob@example.net", "Subject: via curl\r\n\r\nHello Bob\r\n.dot line\r\n");
    let pop3 = |extra: &[&str], path: &str| {
        let out = Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "10", "-u", "bob@example.net:builder"])
            .args(extra)
            .arg(format!("pop3://127.0.0.1:{}/{path}", server.pop3_port))
            .output()
            .expect("curl runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let message = pop3(&[], "1");
    assert!(message.starts_with("Return-Path: <alice@example.org>\r\n"), "{message:?}");
    assert!(message.ends_with("Subject: via curl\r\n\r\nHello Bob\r\n.dot line\r\n"), "{message:?}");
    let listing = pop3(&[], "");
    assert_eq!(listing, format!("1 {}\r\n", message.len()));
    let uidl = pop3(&["-X", "UIDL"], "");
    assert!(uidl.starts_with("1 ") && uidl.trim_end().split('.').count() == 2, "{uidl:?}");

    // A wrong password: curl fails, and nothing is left locked.
    let out = Command::new("curl")
        .args(["--silent", "--max-time", "10", "-u", "bob@example.net:wrong"])
        .arg(format!("pop3://127.0.0.1:{}/1", server.pop3_port))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(pop3(&[], "1"), message);
}

/// POP3's autologout is the machine's (RFC 1939 §3): with `--idle-timeout 1` a silent
/// session is closed after a second, without a response and without deleting anything,
/// and the driver releases its lock.
#[test]
fn autologout_closes_silently_and_unlocks() {
    let server = both(&["--idle-timeout", "1"]);
    curl_send(server.port, "carol@example.net", "Subject: keep me\r\n\r\nHi\r\n");
    let (mut idle, pass) = Raw::login(server.pop3_port, "carol@example.net", "christmas");
    assert!(pass.starts_with("+OK") && pass.contains("1 message "), "{pass:?}");
    let marked = idle.command("DELE 1");
    assert!(marked.starts_with("+OK"), "{marked:?}");
    let since = Instant::now();

    let (_, refused) = Raw::login(server.pop3_port, "carol@example.net", "christmas");
    assert!(refused.starts_with("-ERR [IN-USE]"), "{refused:?}");

    let mut rest = String::new();
    idle.reader.read_to_string(&mut rest).expect("the server closes the connection");
    let waited = since.elapsed();
    assert_eq!(rest, "", "no response at autologout");
    assert!(waited >= Duration::from_millis(900), "closed after only {waited:?}");
    assert!(waited < Duration::from_secs(5), "closed after {waited:?}");

    // The lock is released and the marked message is still there.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (mut again, pass) = Raw::login(server.pop3_port, "carol@example.net", "christmas");
        if pass.starts_with("+OK") {
            assert!(pass.contains("1 message "), "{pass:?}");
            assert!(again.command("QUIT").starts_with("+OK"));
            break;
        }
        assert!(pass.starts_with("-ERR [IN-USE]") && Instant::now() < deadline, "{pass:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `--transcript` shows POP3 as C:/S: lines, but never a password, however the client
/// splits its writes.
#[test]
fn transcript_hides_the_password() {
    let server = Server::run(&["--pop3", "127.0.0.1:0", "--transcript"]);
    let mut raw = Raw::connect(server.pop3_port);
    assert!(raw.command("USER bob@example.net").starts_with("+OK"));
    raw.send(b"pa");
    std::thread::sleep(Duration::from_millis(100));
    raw.send(b"ss build");
    std::thread::sleep(Duration::from_millis(100));
    raw.send(b"er\r\n");
    assert!(raw.line().starts_with("+OK"));
    assert!(raw.command("STAT").starts_with("+OK 0 0"));
    assert!(raw.command("QUIT").starts_with("+OK"));
    let transcript = server.wait_for_stderr("C: QUIT");
    assert!(transcript.contains("C: USER bob@example.net\nS: +OK"), "{transcript}");
    assert!(transcript.contains("C: PASS ********\nS: +OK bob@example.net's maildrop"), "{transcript}");
    assert!(transcript.contains("C: STAT\nS: +OK 0 0\n"), "{transcript}");
    assert!(!transcript.contains("builder") && !transcript.contains("build"), "{transcript}");
}

/// A POP3-only server starts, and refuses over-long lines as the machine does.
#[test]
fn pop3_only_server() {
    let server = Server::run(&["--pop3", "127.0.0.1:0"]);
    assert_eq!(server.port, 0);
    let mut raw = Raw::connect(server.pop3_port);
    let long = raw.command(&format!("NOOP {}", "x".repeat(300)));
    assert!(long.starts_with("-ERR line too long"), "{long:?}");
    assert!(raw.command("QUIT").starts_with("+OK"));
}
