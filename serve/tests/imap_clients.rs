//! Real IMAP clients against `mailroom-serve --imap` on 127.0.0.1: Python's imaplib and
//! curl, on mail that smtplib and curl sent through `--smtp` of the same server, and IDLE
//! driven over a raw socket while a message is delivered. Each test starts its own server
//! on free ports.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Server;

fn all_three() -> Server {
    Server::run(&["--smtp", "127.0.0.1:0", "--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0"])
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
fn python_imaplib_session() {
    let server = all_three();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/imaplib_session.py");
    let out = Command::new("python3")
        .arg(script)
        .env("MAILROOM_SMTP_PORT", server.port.to_string())
        .env("MAILROOM_POP3_PORT", server.pop3_port.to_string())
        .env("MAILROOM_IMAP_PORT", server.imap_port.to_string())
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "imaplib tests failed:\n{stderr}");
    assert!(stderr.contains("Ran 3 tests") && stderr.contains("OK"), "{stderr}");
}

/// A raw IMAP connection, for IDLE, which imaplib does not drive.
struct Raw {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Raw {
    fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        let mut raw = Raw { stream, reader };
        let greeting = raw.line();
        assert!(greeting.starts_with("* OK [CAPABILITY IMAP4rev1 "), "{greeting:?}");
        raw
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line
    }

    /// Sends a command and reads up to its tagged response; returns every line.
    fn command(&mut self, tag: &str, text: &str) -> Vec<String> {
        self.stream.write_all(format!("{tag} {text}\r\n").as_bytes()).unwrap();
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            assert!(!line.is_empty(), "connection closed after {lines:?}");
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }
}

/// PROTOCOLS.md 17: new mail delivered over SMTP reaches an idling client at once as
/// `* n EXISTS`; DONE ends the IDLE with a tagged OK.
#[test]
fn idle_is_told_of_new_mail_at_once() {
    let server = all_three();
    curl_send(server.port, "bob@example.net", "Subject: first\r\n\r\nHi\r\n");
    let mut raw = Raw::connect(server.imap_port);
    assert!(raw.command("a", "LOGIN bob@example.net builder").last().unwrap().starts_with("a OK"));
    let select = raw.command("b", "SELECT INBOX");
    assert!(select.contains(&"* 1 EXISTS\r\n".to_string()), "{select:?}");
    raw.stream.write_all(b"c IDLE\r\n").unwrap();
    assert_eq!(raw.line(), "+ idling\r\n");
    let sent = Instant::now();
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import smtplib; s = smtplib.SMTP('127.0.0.1', {}); \
             s.sendmail('alice@example.org', ['bob@example.net'], 'Subject: second\\r\\n\\r\\nHi\\r\\n'); s.quit()",
            server.port
        ))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(raw.line(), "* 2 EXISTS\r\n");
    assert_eq!(raw.line(), "* 2 RECENT\r\n");
    assert!(sent.elapsed() < Duration::from_secs(5));
    raw.stream.write_all(b"DONE\r\n").unwrap();
    assert_eq!(raw.line(), "c OK IDLE terminated\r\n");
    let fetch = raw.command("d", "FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    assert!(fetch[0].starts_with("* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {"), "{fetch:?}");
    assert_eq!(fetch[1], "Subject: second\r\n");
    let logout = raw.command("e", "LOGOUT");
    assert!(logout[0].starts_with("* BYE"), "{logout:?}");
}

/// PROTOCOLS.md 15 over TCP: an absurd literal is refused without `+`, and the session
/// goes on.
#[test]
fn an_absurd_literal_over_tcp() {
    let server = Server::run(&["--imap", "127.0.0.1:0"]);
    let mut raw = Raw::connect(server.imap_port);
    raw.command("a", "LOGIN bob@example.net builder");
    let r = raw.command("b", "APPEND INBOX {99999999999999999999}");
    assert_eq!(r.len(), 1);
    assert!(r[0].starts_with("b NO [TOOBIG]"), "{r:?}");
    assert_eq!(raw.command("c", "NOOP"), ["c OK NOOP completed\r\n"]);
}

/// Only CRLF ends a line (RFC 3501 §2.2): `a NOOP<LF>b LOGOUT` is one line with a bare LF
/// inside, answered with one `a BAD`; its LOGOUT is never run, and the session goes on.
#[test]
fn a_bare_lf_ends_no_command() {
    let server = Server::run(&["--imap", "127.0.0.1:0"]);
    let mut raw = Raw::connect(server.imap_port);
    raw.stream.write_all(b"a NOOP\nb LOGOUT\r\n").unwrap();
    let r = raw.command("c", "NOOP");
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(r[0].starts_with("a BAD a bare LF inside the line"), "{r:?}");
    assert_eq!(r[1], "c OK NOOP completed\r\n");
    assert_eq!(raw.command("d", "NOOP"), ["d OK NOOP completed\r\n"]);
}

/// A message APPENDed with bare LF line ends is the same message in RFC 5322 format for
/// both protocols: IMAP's RFC822.SIZE is the length of the BODY[] it sends, POP3's LIST
/// and RETR's `+OK n octets` the length of what RETR sends (RFC 9051 §7.5.2, RFC 1939 §11),
/// 31 octets with CRLF line ends. Before, IMAP sent it as stored (28 octets, bare LFs) and
/// POP3 announced 28 but sent 31.
#[test]
fn an_appended_message_has_one_size_over_imap_and_pop3() {
    let server = all_three();
    let message = b"Subject: bare\n\nline1\nline2\r\n";
    let as_sent = "Subject: bare\r\n\r\nline1\r\nline2\r\n";
    let mut raw = Raw::connect(server.imap_port);
    raw.command("a", "LOGIN carol@example.net christmas");
    raw.stream.write_all(format!("b APPEND INBOX {{{}+}}\r\n", message.len()).as_bytes()).unwrap();
    raw.stream.write_all(message).unwrap();
    raw.stream.write_all(b"\r\n").unwrap();
    let done = loop {
        let line = raw.line();
        assert!(!line.is_empty(), "closed");
        if line.starts_with("b ") {
            break line;
        }
    };
    assert!(done.starts_with("b OK [APPENDUID"), "{done:?}");
    raw.command("c", "SELECT INBOX");
    let fetch = raw.command("d", "FETCH 1 (RFC822.SIZE BODY.PEEK[])");
    assert_eq!(fetch[0], format!("* 1 FETCH (RFC822.SIZE 31 BODY[] {{31}}\r\n"), "{fetch:?}");
    assert_eq!(fetch[1..5].concat(), as_sent, "{fetch:?}");
    raw.command("e", "LOGOUT");

    let stream = TcpStream::connect(("127.0.0.1", server.pop3_port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut pop = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    stream
        .write_all(b"USER carol@example.net\r\nPASS christmas\r\nSTAT\r\nLIST 1\r\nRETR 1\r\nQUIT\r\n")
        .unwrap();
    let lines: Vec<String> = (0..12)
        .map(|_| {
            let mut line = String::new();
            pop.read_line(&mut line).unwrap();
            line
        })
        .collect();
    assert_eq!(lines[3], "+OK 1 31\r\n", "{lines:?}");
    assert_eq!(lines[4], "+OK 1 31\r\n", "{lines:?}");
    assert_eq!(lines[5], "+OK 31 octets\r\n", "{lines:?}");
    assert_eq!(lines[6..10].concat(), as_sent, "{lines:?}");
    assert_eq!(lines[10], ".\r\n", "{lines:?}");
}

/// The resident memory of process `pid`, in KiB (Linux).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A server whose INBOX holds one message of about 200 KB, and an IMAP session that has
/// selected it.
fn selected_with_a_big_message() -> (Server, Raw) {
    let server = Server::run(&["--smtp", "127.0.0.1:0", "--imap", "127.0.0.1:0"]);
    let line = "x".repeat(76);
    let body: String = (0..2600).map(|_| format!("{line}\r\n")).collect();
    curl_send(server.port, "bob@example.net", &format!("Subject: big\r\n\r\n{body}"));
    let mut raw = Raw::connect(server.imap_port);
    raw.command("a", "LOGIN bob@example.net builder");
    raw.command("b", "SELECT INBOX");
    (server, raw)
}

/// A client that pipelines FETCHes and never reads the answers cannot make the server hold
/// them all: its commands are no longer read once a few MiB of answers wait for it.
#[test]
fn a_client_that_never_reads_cannot_grow_the_server() {
    let (server, mut raw) = selected_with_a_big_message();
    let before = rss_kib(server.pid());
    // 1,000 fetches of 200 KB each: 200 MB of answers, if they were all made.
    let pipelined: String = (0..1000).map(|i| format!("f{i} FETCH 1 BODY.PEEK[]\r\n")).collect();
    raw.stream.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = raw.stream.write_all(pipelined.as_bytes()); // may block: the server stopped reading
    std::thread::sleep(Duration::from_secs(2));
    let grown = rss_kib(server.pid()).saturating_sub(before);
    assert!(grown < 48 * 1024, "the server grew by {grown} KiB");
}

/// A client that pipelines far more than the server holds for it, and only then reads, gets
/// every answer: the server reads its commands again as soon as the answers have gone out,
/// and serves the other clients meanwhile.
#[test]
fn a_client_that_pipelines_and_then_reads_gets_every_answer() {
    let (server, mut raw) = selected_with_a_big_message();
    // 100 fetches of 200 KB: 20 MB of answers, five times what the server holds for one client.
    let pipelined: String = (0..100).map(|i| format!("f{i} FETCH 1 BODY.PEEK[]\r\n")).collect();
    let mut writer = raw.stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || writer.write_all(pipelined.as_bytes()));
    std::thread::sleep(Duration::from_millis(500));
    let mut other = Raw::connect(server.imap_port);
    let noop = other.command("n", "NOOP");
    assert!(noop.last().is_some_and(|l| l.starts_with("n OK")), "{noop:?}");
    let start = Instant::now();
    let mut answered = 0;
    while answered < 100 {
        let line = raw.line();
        assert!(!line.is_empty(), "the connection closed after {answered} answers");
        if line.starts_with('f') && line.contains(" OK ") {
            answered += 1;
        }
    }
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    sending.join().unwrap().unwrap();
}

/// The autologout counts the client's silence after its responses have gone out, not the
/// time they take to go (RFC 9051 §5.4). With `--idle-timeout 1 --min-rate 20000`, a client
/// FETCHes a 1 MB message and reads it at 250,000 octets a second, well above the minimum
/// rate, through a small receive buffer: about 4 s, four timeouts. Then NOOP must still be
/// answered. (Before, the autologout ran while the FETCH was written: `* BYE` followed it.)
#[test]
fn a_slow_but_steady_reader_is_not_logged_out_while_its_fetch_goes_out() {
    let server = Server::run(&[
        "--smtp",
        "127.0.0.1:0",
        "--imap",
        "127.0.0.1:0",
        "--idle-timeout",
        "1",
        "--min-rate",
        "20000",
    ]);
    let line = "x".repeat(76);
    let body: String = (0..13_000).map(|_| format!("{line}\r\n")).collect();
    curl_send(server.port, "bob@example.net", &format!("Subject: big\r\n\r\n{body}"));
    let script = r#"
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
f = s.makefile("rb")
f.readline()
def command(tag, text):
    s.sendall(f"{tag} {text}\r\n".encode())
    while True:
        line = f.readline()
        if not line or line.startswith(tag.encode() + b" "):
            return line.decode().rstrip("\r\n")
assert command("a", "LOGIN bob@example.net builder").startswith("a OK")
assert command("b", "SELECT INBOX").startswith("b OK")
s.sendall(b"f FETCH 1 BODY.PEEK[]\r\n")
start = time.monotonic()
got = 0
while True:
    allowed = int(250000 * (time.monotonic() - start)) - got
    if allowed < 1:
        time.sleep(0.01)
        continue
    line = f.readline(allowed)
    if not line:
        break
    got += len(line)
    if line.startswith(b"f "):
        break
print(line.decode().rstrip("\r\n"), got, round(time.monotonic() - start, 2))
print(command("n", "NOOP"))
"#;
    let out = Command::new("python3")
        .args(["-c", script, &server.imap_port.to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{out:?}");
    let out = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("f OK "), "{out}");
    let took: f64 = lines[0].split_whitespace().last().unwrap().parse().unwrap();
    assert!(took > 2.0, "the answer took only {took} s: the test needs it to take longer than the timeout");
    assert!(lines.get(1).is_some_and(|l| l.starts_with("n OK")), "NOOP: {out}");
}

fn curl_imap(port: u16, extra: &[&str], path: &str) -> String {
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10", "-u", "bob@example.net:builder"])
        .args(extra)
        .arg(format!("imap://127.0.0.1:{port}/{path}"))
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// curl lists the folders, fetches a message by UID and searches.
#[test]
fn curl_lists_fetches_and_searches() {
    let curl = Command::new("curl").arg("-V").output().expect("curl runs");
    if !String::from_utf8_lossy(&curl.stdout).to_ascii_lowercase().contains("imap") {
        eprintln!("this curl has no imap support: skipped");
        return;
    }
    let server = all_three();
    curl_send(server.port, "bob@example.net", "Subject: via curl\r\n\r\nHello Bob\r\n");
    curl_send(server.port, "bob@example.net", "Subject: another\r\n\r\nMore\r\n");
    let listing = curl_imap(server.imap_port, &[], "");
    assert!(listing.contains("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"), "{listing}");
    assert!(listing.contains("\\Archive) \"/\" Archive\r\n"), "{listing}");
    let message = curl_imap(server.imap_port, &[], "INBOX;UID=2");
    assert!(message.starts_with("Return-Path: <alice@example.org>\r\n"), "{message:?}");
    assert!(message.ends_with("Subject: another\r\n\r\nMore\r\n"), "{message:?}");
    let found = curl_imap(server.imap_port, &["-X", "SEARCH SUBJECT curl"], "INBOX");
    assert_eq!(found, "* SEARCH 1\r\n");
    let unseen = curl_imap(server.imap_port, &["-X", "SEARCH UNSEEN"], "INBOX");
    assert_eq!(unseen, "* SEARCH 1\r\n", "fetching UID 2 set its \\Seen");
}

/// With `--idle-timeout 1`: an APPEND whose literal (RFC 9051 §4.3) is a message with one
/// long line, sent at 1,000 octets a second, takes 3 s without a line end and is stored (each
/// octet earns 1/500 s, the default `--min-rate`, up to the timeout); a literal dripped at
/// 100 octets a second falls behind and is cut off by the autologout, `* BYE`, after about
/// 1.25 s. (Before, only line ends counted: both were cut off a second after the last one.)
#[test]
fn a_literal_counts_as_activity_at_the_minimum_rate() {
    let server = Server::run(&["--imap", "127.0.0.1:0", "--idle-timeout", "1"]);
    let port = server.imap_port;
    // (octets per 100 ms, literal size): 3,000 octets at 1,000 a second; 100 a second.
    let sessions = [(100, 3_000), (10, 3_000)];
    let threads: Vec<_> = sessions
        .into_iter()
        .map(|(step, size)| {
            std::thread::spawn(move || {
                let mut raw = Raw::connect(port);
                raw.command("a", "LOGIN bob@example.net builder");
                raw.stream.write_all(format!("b APPEND INBOX {{{size}}}\r\n").as_bytes()).unwrap();
                assert_eq!(raw.line(), "+ Ready for literal data\r\n");
                let head = "Subject: slow\r\n\r\n";
                raw.stream.write_all(head.as_bytes()).unwrap();
                let since = Instant::now();
                let mut sent = head.len();
                let mut writer = raw.stream.try_clone().unwrap();
                let sending = std::thread::spawn(move || {
                    while sent < size {
                        std::thread::sleep(Duration::from_millis(100));
                        let n = step.min(size - sent);
                        if writer.write_all(&b"x".repeat(n)).is_err() {
                            return;
                        }
                        sent += n;
                    }
                    let _ = writer.write_all(b"\r\nc LOGOUT\r\n");
                });
                let answer = raw.line();
                let took = since.elapsed();
                let _ = sending.join();
                (step, answer, took)
            })
        })
        .collect();
    for t in threads {
        let (step, answer, took) = t.join().unwrap();
        if step == 100 {
            assert!(answer.starts_with("b OK [APPENDUID "), "{answer:?} after {took:?}");
            assert!(took >= Duration::from_millis(2500), "{took:?}");
        } else {
            assert!(answer.starts_with("* BYE "), "{answer:?} after {took:?}");
            assert!(took >= Duration::from_millis(1100), "{took:?}");
            assert!(took < Duration::from_millis(2500), "{took:?}");
        }
    }
}

/// A command refused whatever its literal holds is refused at once instead of the `+`
/// (RFC 3501 §2.2.1): over TCP the client, which waits for `+` before it sends the octets,
/// hears its tagged BAD and sends nothing more of it.
#[test]
fn a_refused_command_is_not_invited_to_send_its_literal() {
    let server = all_three();
    let mut raw = Raw::connect(server.imap_port);
    raw.stream.write_all(b"a1 SELECT {5}\r\n").unwrap();
    assert_eq!(
        raw.line(),
        "a1 BAD SELECT needs a login first: LOGIN user password (RFC 3501 section 6.2)\r\n"
    );
    raw.stream.write_all(b"a2 FROB {5}\r\n").unwrap();
    assert_eq!(raw.line(), "a2 BAD unknown command FROB\r\n");
    // A LOGIN whose name and password come as literals is invited, octets and all.
    raw.stream.write_all(b"a3 LOGIN {15}\r\n").unwrap();
    assert_eq!(raw.line(), "+ Ready for literal data\r\n");
    raw.stream.write_all(b"bob@example.net {7}\r\n").unwrap();
    assert_eq!(raw.line(), "+ Ready for literal data\r\n");
    raw.stream.write_all(b"builder\r\n").unwrap();
    assert!(raw.line().starts_with("a3 OK "));
    raw.stream.write_all(b"a4 COPY 1 {6}\r\n").unwrap();
    assert_eq!(
        raw.line(),
        "a4 BAD COPY needs a selected mailbox: SELECT one first (RFC 3501 section 6.4)\r\n"
    );
    assert!(raw.command("a5", "LOGOUT")[0].starts_with("* BYE"));
}
