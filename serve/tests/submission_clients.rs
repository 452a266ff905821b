//! Real clients logging in to `mailroom-serve --submission` on 127.0.0.1 (RFC 6409,
//! RFC 4954): Python's smtplib (PLAIN and LOGIN, a wrong password, MAIL before AUTH, SIZE,
//! one refused recipient among several), swaks with `--auth` and `--pipeline`, and curl
//! with `--user`. A message sent through submission is read back through POP3.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::Server;

fn server() -> Server {
    Server::run(&["--submission", "127.0.0.1:0", "--pop3", "127.0.0.1:0", "--print-messages", "--transcript"])
}

#[test]
fn python_smtplib_logs_in_and_sends() {
    let server = server();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/submission_session.py");
    let out = Command::new("python3")
        .arg(script)
        .env("MAILROOM_SUBMISSION_PORT", server.submission_port.to_string())
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "smtplib tests failed:\n{stderr}");
    let printed = server.wait_for("Subject: Several recipients from smtplib");
    // Delivered with the submission hop's marks: ESMTPA (RFC 3848), a Message-ID added
    // (RFC 6409 §8.3), for each accepted recipient and not the refused one.
    let msg = printed
        .split("--- message ")
        .find(|m| m.contains("PLAIN login from smtplib"))
        .unwrap_or_else(|| panic!("no PLAIN message in:\n{printed}"));
    assert!(msg.contains("with ESMTPA id"), "{msg}");
    assert!(msg.contains("\r\nMessage-ID: <"), "{msg}");
    assert!(msg.contains("\r\nDate: "), "{msg}");
    assert!(printed.contains("Subject: LOGIN login from smtplib"), "{printed}");
    assert!(!printed.contains("to nobody@"), "{printed}");
    // Outside the world: a bounce in Alice's own INBOX, naming the recipient.
    let bounce = server.wait_for("someone@far.example");
    assert!(bounce.contains("delivered") && bounce.contains("B to alice@example.org"), "{bounce}");
    assert!(bounce.contains("Final-Recipient: rfc822; someone@far.example"), "{bounce}");
    assert!(bounce.contains("Status: 5.1.2"), "{bounce}");
    // Read back from Alice's INBOX over POP3: a bounce is sent with the null sender
    // (`MAIL FROM:<>`, RFC 5321 §4.5.5), which final delivery records as `Return-Path: <>`
    // (§4.4), so that nobody ever bounces the bounce.
    let inbox = pop3_messages(server.pop3_port, "alice@example.org", "wonderland");
    let dsn = inbox
        .iter()
        .find(|m| m.contains("Final-Recipient: rfc822; someone@far.example"))
        .unwrap_or_else(|| panic!("no DSN in Alice's INBOX: {inbox:#?}"));
    assert!(dsn.starts_with("Return-Path: <>\r\n"), "{dsn}");
    assert!(dsn.contains("\r\nContent-Type: multipart/report; report-type=delivery-status"), "{dsn}");
    // The transcript never shows a password, nor the base64 that carries it.
    let transcript = server.wait_for_stderr("AUTH PLAIN ********");
    assert!(!transcript.contains("wonderland"), "{transcript}");
    assert!(!transcript.contains("AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ="), "{transcript}");
    assert!(!transcript.contains("d29uZGVybGFuZA=="), "{transcript}");
}

#[test]
fn swaks_logs_in_with_pipelining() {
    let server = server();
    let port = server.submission_port.to_string();
    let swaks = |auth: &str, password: &str| {
        Command::new("swaks")
            .args(["--server", "127.0.0.1", "--port", &port, "--helo", "laptop.example.org"])
            .args(["--from", "alice@example.org", "--to", "bob@example.net"])
            .args(["--auth", auth, "--auth-user", "alice@example.org", "--auth-password", password])
            .args(["--pipeline", "--header", &format!("Subject: swaks {auth}"), "--timeout", "10"])
            .output()
            .expect("swaks runs")
    };
    for auth in ["PLAIN", "LOGIN"] {
        let out = swaks(auth, "wonderland");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("<-  235 2.7.0 Authentication successful"), "{text}");
        server.wait_for(&format!("Subject: swaks {auth}"));
    }
    let out = swaks("PLAIN", "wrong");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("535 5.7.8"), "{out:?}");
}

#[test]
fn curl_logs_in_and_pop3_reads_it_back() {
    let server = server();
    let message = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: via curl\r\n\r\nHello Bob\r\n";
    let out = curl_submits(&server, ["--login-options", "AUTH=PLAIN"], message);
    assert!(out.status.success(), "{out:?}");
    server.wait_for("Hello Bob");
    // Bob reads it with POP3 from the same store.
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .arg(format!("pop3://127.0.0.1:{}/1", server.pop3_port))
        .args(["--user", "bob@example.net:builder"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("Hello Bob") && text.contains("with ESMTPA"), "{out:?}");
    // A wrong password: curl reports the refused login (its exit code 67).
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .arg(format!("smtp://127.0.0.1:{}", server.submission_port))
        .args(["--user", "alice@example.org:nope", "--mail-from", "alice@example.org"])
        .args(["--mail-rcpt", "bob@example.net", "--upload-file", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(67), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Login denied"), "{out:?}");
    let transcript = server.wait_for_stderr("535 5.7.8");
    assert!(!transcript.contains("nope"), "{transcript}");
}

/// curl's `--mail-auth` sends the AUTH parameter to MAIL (RFC 4954 §5) as xtext, here
/// `AUTH=<alice@example.org>`; submission advertises AUTH, so it takes the parameter (and
/// discards it: it trusts no client's word for who submitted a message), and the message
/// is delivered.
#[test]
fn curl_sends_the_mail_auth_parameter() {
    let server = server();
    let message = b"Subject: mail-auth\r\n\r\nHello via --mail-auth\r\n";
    let out = curl_submits(&server, ["--mail-auth", "alice@example.org"], message);
    assert!(out.status.success(), "{out:?}");
    server.wait_for("Hello via --mail-auth");
    let transcript = server.wait_for_stderr("C: MAIL FROM:<alice@example.org> AUTH=<alice@example.org>");
    assert!(transcript.contains("AUTH=<alice@example.org>\nS: 250 2.1.0"), "{transcript}");
}

/// Every message in `user`'s maildrop, as Python's poplib retrieves it (CRLF line ends).
fn pop3_messages(port: u16, user: &str, password: &str) -> Vec<String> {
    let script = format!(
        "import poplib\n\
         p = poplib.POP3('127.0.0.1', {port}, timeout=10)\n\
         p.user('{user}')\n\
         p.pass_('{password}')\n\
         for i in range(1, len(p.list()[1]) + 1):\n    \
             print(b'\\r\\n'.join(p.retr(i)[1]).decode() + '\\r\\n\\0', end='')\n\
         p.quit()\n"
    );
    let out = Command::new("python3").arg("-c").arg(script).output().expect("python3 runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_terminator('\0').map(str::to_string).collect()
}

/// curl logs in to submission as Alice and sends `message` to Bob, with two more options
/// (`option`); what curl said and how it ended.
fn curl_submits(server: &Server, option: [&str; 2], message: &[u8]) -> std::process::Output {
    let mut child = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .arg(format!("smtp://127.0.0.1:{}/laptop.example.org", server.submission_port))
        .args(["--user", "alice@example.org:wonderland"])
        .args(option)
        .args(["--mail-from", "alice@example.org", "--mail-rcpt", "bob@example.net", "--upload-file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl runs");
    child.stdin.take().unwrap().write_all(message).unwrap();
    child.wait_with_output().unwrap()
}
