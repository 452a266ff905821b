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

/// Only CRLF ends a command line (RFC 1939 §3): `NOOP<LF>QUIT` is one line with a bare LF
/// inside, answered with one `-ERR`; its QUIT is never run, and the session goes on. An
/// over-long line is discarded past its bare LF up to the CRLF.
#[test]
fn a_bare_lf_ends_no_command() {
    let server = Server::run(&["--pop3", "127.0.0.1:0"]);
    let (mut raw, pass) = Raw::login(server.pop3_port, "bob@example.net", "builder");
    assert!(pass.starts_with("+OK"), "{pass:?}");
    let refused = raw.command("NOOP\nQUIT");
    assert!(refused.starts_with("-ERR a bare LF inside a command line"), "{refused:?}");
    assert!(raw.command("STAT").starts_with("+OK 0 0"));
    let long = raw.command(&format!("NOOP {}\nQUIT", "x".repeat(300)));
    assert!(long.starts_with("-ERR line too long"), "{long:?}");
    assert!(raw.command("NOOP").starts_with("+OK"));
    assert!(raw.command("QUIT").starts_with("+OK"));
}

/// The resident memory of process `pid`, in KiB (Linux).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A server whose maildrop for Bob holds one message of about 1 MB, sent with smtplib.
fn with_a_big_message() -> (Server, usize) {
    let server = both(&[]);
    let body = send_big(&server, 13_000, "['bob@example.net']");
    server.wait_for("delivered");
    (server, body)
}

/// Sends, with smtplib, a message of `lines` lines of 78 octets to `rcpts` (a Python list);
/// returns the body's size.
fn send_big(server: &Server, lines: usize, rcpts: &str) -> usize {
    let line = "x".repeat(76);
    let body: String = (0..lines).map(|_| format!("{line}\r\n")).collect();
    let script = format!(
        "import smtplib, sys; s = smtplib.SMTP('127.0.0.1', {}); \
         s.sendmail('alice@example.org', {rcpts}, 'Subject: big\\r\\n\\r\\n' + sys.stdin.read()); s.quit()",
        server.port
    );
    let mut child = Command::new("python3").args(["-c", &script]).stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    body.len()
}

/// POP3 advertises PIPELINING (RFC 2449 §6.6): a client that pipelines 300 RETRs of a 1 MB
/// message in one write and never reads cannot make the server build 300 MB of answers.
/// The session's commands are parsed one at a time and not at all while a few MiB wait
/// for the client (back-pressure), so the server stays small and serves everyone else: a
/// new SMTP client gets its 220 at once.
#[test]
fn pipelined_retr_without_reading_cannot_grow_the_server() {
    let (server, _) = with_a_big_message();
    let (mut raw, pass) = Raw::login(server.pop3_port, "bob@example.net", "builder");
    assert!(pass.starts_with("+OK"), "{pass:?}");
    let before = rss_kib(server.pid());
    let pipelined = "RETR 1\r\n".repeat(300);
    raw.send(pipelined.as_bytes()); // 2,400 octets: the socket takes them at once
    std::thread::sleep(Duration::from_secs(2));
    let grown = rss_kib(server.pid()).saturating_sub(before);
    assert!(grown < 32 * 1024, "the server grew by {grown} KiB");

    let start = Instant::now();
    let smtp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    smtp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut greeting = String::new();
    BufReader::new(smtp).read_line(&mut greeting).unwrap();
    assert!(greeting.starts_with("220 "), "{greeting:?}");
    assert!(start.elapsed() < Duration::from_secs(1), "the 220 took {:?}", start.elapsed());
}

/// The same client, reading once it has sent everything, gets all 300 messages in order:
/// the server parses its next command as soon as the answers have gone out.
#[test]
fn pipelined_retr_then_reading_gets_every_answer() {
    let (server, body_len) = with_a_big_message();
    let (mut raw, _) = Raw::login(server.pop3_port, "bob@example.net", "builder");
    raw.send("RETR 1\r\n".repeat(300).as_bytes());
    raw.send(b"QUIT\r\n");
    let mut answered = 0;
    let mut octets = 0;
    loop {
        let line = raw.line();
        assert!(!line.is_empty(), "the connection closed after {answered} answers");
        if line.starts_with("+OK ") && line.contains(" octets") {
            answered += 1;
        } else if line.starts_with("+OK") {
            break; // QUIT
        } else if line != ".\r\n" {
            octets += line.len();
        }
    }
    assert_eq!(answered, 300);
    assert!(octets > 300 * body_len, "{octets}");
}

/// A client that takes its answers more slowly than `--min-rate` is cut off in a bounded
/// time, however it spreads its reads, and one that keeps up is served to the end, however
/// long that takes. With `--idle-timeout 1 --min-rate 20000`, on a busy server (another
/// client's NOOP every 50 ms turns the loop, which then writes each client what its socket
/// takes), two POP3 clients RETR a 6 MB message, more than the kernel buffers: one reads
/// 5,000 octets a second through small segments and a small receive buffer, so that the
/// server sees its progress often, in small steps; it falls behind and is cut off about
/// 1.3 s after its RETR. The other reads 2,000,000 a second and gets the whole message,
/// though its answer waits in the server for longer than the timeout. (Before, every octet
/// written restarted the whole timeout, and the slow reader kept its connection for as long
/// as it read; counting the octets the kernel takes, rather than those the client
/// acknowledged, it kept it too: the kernel's send buffer grows faster than such a client
/// reads.)
#[test]
fn a_client_that_reads_too_slowly_is_cut_off_one_that_keeps_up_is_served() {
    let server = both(&["--idle-timeout", "1", "--min-rate", "20000"]);
    send_big(&server, 80_000, "['bob@example.net', 'carol@example.net']");
    let printed = server.wait_for("to carol@example.net");
    assert!(printed.contains("to bob@example.net"), "{printed}");

    let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let ticking = {
        let busy = busy.clone();
        let mut smtp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(smtp.try_clone().unwrap());
            let mut line = String::new();
            while busy.load(std::sync::atomic::Ordering::Relaxed) {
                line.clear();
                if reader.read_line(&mut line).is_err() || smtp.write_all(b"NOOP\r\n").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slow_reader.py");
    let reader = |user: &str, password: &str, rate: &str, buffers: [&str; 2], seconds: &str| {
        let port = server.pop3_port.to_string();
        Command::new("python3")
            .args([script, &port, user, password, rate, buffers[0], buffers[1], seconds])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs")
    };
    let started = Instant::now();
    let slow = reader("bob@example.net", "builder", "5000", ["2304", "88"], "6");
    let fast = reader("carol@example.net", "christmas", "2000000", ["16384", "536"], "10");
    let said = server.wait_for_stderr("read its answers too slowly");
    let cut = started.elapsed();
    let outcome = |child: std::process::Child| {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let (slow, fast) = (outcome(slow), outcome(fast));
    busy.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = ticking.join();
    assert!(said.contains("pop3 connection ended: the client read its answers too slowly"), "{said}");
    assert_eq!(said.matches("connection ended").count(), 1, "only the slow one: {said}");
    assert!(cut < Duration::from_secs(5), "cut off after {cut:?}");
    assert!(!slow.starts_with("complete"), "{slow}");
    assert!(fast.starts_with("complete "), "{fast}");
    let took: f64 = fast.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(
        took > 2.0,
        "the answer waited only {took} s: the test needs it to wait for longer than the timeout"
    );
}

/// The autologout counts the client's silence after its answer has gone out, not the time
/// the answer takes to go (RFC 1939 §3: an inactivity timer). With `--idle-timeout 1
/// --min-rate 20000`, a client RETRs a 1 MB message and reads it at 250,000 octets a second,
/// well above the minimum rate, through a small receive buffer, so that most of the answer
/// waits in the server: it takes about 4 s, four timeouts. Then DELE 1 and QUIT must work,
/// and the next session finds the maildrop empty. (Before, the autologout ran while the
/// answer was written: the client got the whole message and then the close, DELE and QUIT
/// never came, and the next session downloaded the message again.)
#[test]
fn a_slow_but_steady_reader_is_not_logged_out_while_its_answer_goes_out() {
    let server = both(&["--idle-timeout", "1", "--min-rate", "20000"]);
    send_big(&server, 13_000, "['bob@example.net']");
    server.wait_for("delivered");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slow_reader.py");
    let port = server.pop3_port.to_string();
    let out = Command::new("python3")
        .args([script, &port, "bob@example.net", "builder", "250000", "16384", "536", "20", "DELE 1,QUIT"])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{out:?}");
    let out = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("complete "), "{out}");
    let took: f64 = lines[0].split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(took > 2.0, "the answer took only {took} s: the test needs it to take longer than the timeout");
    assert!(lines.get(1).is_some_and(|l| l.starts_with("+OK")), "DELE: {out}");
    assert!(lines.get(2).is_some_and(|l| l.starts_with("+OK")), "QUIT: {out}");
    let (mut raw, pass) = Raw::login(server.pop3_port, "bob@example.net", "builder");
    assert!(pass.starts_with("+OK"), "{pass:?}");
    let stat = raw.command("STAT");
    assert!(stat.starts_with("+OK 0 "), "the message is still there: {stat:?}");
}

/// A message an IMAP session expunges while a POP3 session holds the maildrop is gone, for
/// good: RETR and TOP of it get a plain `-ERR` that says so, as Dovecot answers
/// ("-ERR Message 1 expunged."), not `[SYS/TEMP]`, which tells the client to try again
/// later (RFC 3206 §4: SYS is for failures of the system, TEMP for those that pass). DELE
/// of it is taken, and QUIT's UPDATE (RFC 1939 §6) removes what is marked: the message is
/// not there, which is what the client asked for, so `+OK`, not `-ERR [SYS/TEMP] some
/// deleted messages not removed`.
#[test]
fn a_message_expunged_over_imap_is_gone_for_pop3_not_a_temporary_failure() {
    let server = Server::run(&["--smtp", "127.0.0.1:0", "--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0"]);
    for subject in ["one", "two"] {
        curl_send(server.port, "bob@example.net", &format!("Subject: {subject}\r\n\r\nHi\r\n"));
    }
    server.wait_for(", 2 in mailbox)");
    let (mut pop3, pass) = Raw::login(server.pop3_port, "bob@example.net", "builder");
    assert!(pass.contains("2 messages"), "{pass:?}");

    let imap = TcpStream::connect(("127.0.0.1", server.imap_port)).unwrap();
    imap.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut imap_reader = BufReader::new(imap.try_clone().unwrap());
    let mut imap_writer = imap;
    let mut say = |tag: &str, command: &str| {
        imap_writer.write_all(format!("{tag} {command}\r\n").as_bytes()).unwrap();
        loop {
            let mut line = String::new();
            imap_reader.read_line(&mut line).unwrap();
            assert!(!line.is_empty(), "IMAP closed");
            if line.starts_with(&format!("{tag} ")) {
                return line;
            }
        }
    };
    say("a", "LOGIN bob@example.net builder");
    say("b", "SELECT INBOX");
    assert!(say("c", "STORE 1 +FLAGS.SILENT (\\Deleted)").starts_with("c OK"));
    assert!(say("d", "EXPUNGE").starts_with("d OK"));

    for command in ["RETR 1", "TOP 1 0"] {
        let answer = pop3.command(command);
        assert!(answer.starts_with("-ERR ") && !answer.contains("[SYS/"), "{command}: {answer:?}");
        assert!(answer.contains("another session"), "{command}: {answer:?}");
    }
    let two = pop3.command("RETR 2");
    assert!(two.starts_with("+OK"), "{two:?}");
    while pop3.line() != ".\r\n" {}
    assert!(pop3.command("DELE 1").starts_with("+OK"));
    let quit = pop3.command("QUIT");
    assert!(quit.starts_with("+OK"), "{quit:?}");

    let (mut again, pass) = Raw::login(server.pop3_port, "bob@example.net", "builder");
    assert!(pass.contains("1 message "), "{pass:?}");
    assert!(again.command("QUIT").starts_with("+OK"));
}
