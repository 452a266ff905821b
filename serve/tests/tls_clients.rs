//! Real clients with STARTTLS and STLS against `mailroom-serve --tls` on 127.0.0.1 (RFC 3207,
//! RFC 2595, RFC 3501 §6.2.1): Python's smtplib, poplib, imaplib and ssl (the certificate
//! checked, passwords refused before TLS, plaintext slipped in after STARTTLS never run, a
//! failed handshake), swaks with `--tls` and AUTH, and curl with `--ssl-reqd` over SMTP,
//! POP3 and IMAP, checking the certificate the server wrote with `--tls-cert`.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::Server;

/// A server with STARTTLS on both SMTP services, and the file its certificate is in.
struct TlsServer {
    server: Server,
    cert: PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.cert);
    }
}

fn server(name: &str) -> TlsServer {
    let cert = std::env::temp_dir().join(format!("mailroom-serve-{}-{name}.pem", std::process::id()));
    let server = Server::run(&[
        "--smtp",
        "127.0.0.1:0",
        "--submission",
        "127.0.0.1:0",
        "--pop3",
        "127.0.0.1:0",
        "--imap",
        "127.0.0.1:0",
        "--print-messages",
        "--transcript",
        "--tls",
        "--tls-cert",
        cert.to_str().unwrap(),
    ]);
    TlsServer { server, cert }
}

#[test]
fn python_clients_start_tls() {
    let s = server("smtplib");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls_session.py");
    let out = Command::new("python3")
        .arg(script)
        .env("MAILROOM_SMTP_PORT", s.server.port.to_string())
        .env("MAILROOM_SUBMISSION_PORT", s.server.submission_port.to_string())
        .env("MAILROOM_POP3_PORT", s.server.pop3_port.to_string())
        .env("MAILROOM_IMAP_PORT", s.server.imap_port.to_string())
        .env("MAILROOM_TLS_CERT", &s.cert)
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "Python client tests failed:\n{stderr}");
    // The hops' marks: ESMTPSA after TLS and a login, ESMTPS after TLS alone (RFC 3848).
    let printed = s.server.wait_for("Subject: Relayed over TLS");
    let submitted = printed.split("--- message ").find(|m| m.contains("Submitted over TLS")).unwrap();
    assert!(submitted.contains("with ESMTPSA id"), "{submitted}");
    let relayed = printed.split("--- message ").find(|m| m.contains("Relayed over TLS")).unwrap();
    assert!(relayed.contains("with ESMTPS id"), "{relayed}");
    assert!(printed.contains("Subject: Sent with close_notify"), "{printed}");
    // The fingerprint is printed at start; the transcript says where TLS began, and what
    // was dropped unread.
    assert!(
        printed.contains("tls certificate mail.example.net localhost 127.0.0.1 ::1 sha256 "),
        "{printed}"
    );
    // The last of them (the Python classes run in alphabetical order: IMAP, SMTP, POP3).
    let transcript = s.server.wait_for_stderr("after STLS: dropped unread");
    assert!(transcript.contains("-- TLS handshake done (TLSv1_3"), "{transcript}");
    assert!(
        transcript.contains("-- 6 octets sent in the clear after STARTTLS: dropped unread"),
        "{transcript}"
    );
    assert!(!transcript.contains("C: HELP"), "{transcript}");
    assert!(transcript.contains("TLS: received corrupt message"), "{transcript}");
    assert!(transcript.contains("-- 6 octets sent in the clear after STLS: dropped unread"), "{transcript}");
    assert!(transcript.contains("NO [PRIVACYREQUIRED]"), "{transcript}");
}

#[test]
fn swaks_starts_tls_and_logs_in() {
    let s = server("swaks");
    let port = s.server.submission_port.to_string();
    let swaks = |tls: &[&str]| {
        Command::new("swaks")
            .args(["--server", "127.0.0.1", "--port", &port, "--helo", "laptop.example.org"])
            .args(["--from", "alice@example.org", "--to", "bob@example.net"])
            .args(["--auth", "PLAIN", "--auth-user", "alice@example.org", "--auth-password", "wonderland"])
            .args(tls)
            .args(["--header", "Subject: swaks over TLS", "--timeout", "10"])
            .output()
            .expect("swaks runs")
    };
    let out = swaks(&["--tls"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("<-  220 2.0.0 Ready to start TLS"), "{text}");
    assert!(text.contains("=== TLS started with cipher"), "{text}");
    assert!(
        text.contains("=== TLS peer DN=\"/CN=mail.example.net/O=Mailroom (a simulated server)\""),
        "{text}"
    );
    assert!(text.contains("<~  235 2.7.0 Authentication successful"), "{text}");
    s.server.wait_for("Subject: swaks over TLS");
    // Without --tls, EHLO does not offer AUTH (RFC 4954 §6), so swaks never sends the
    // password in the clear: it gives up.
    let out = swaks(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("<-  250-STARTTLS") && !text.contains("250-AUTH"), "{text}");
    assert!(!text.contains("-> AUTH") && !text.contains("AGFsaWNl"), "{text}");
}

#[test]
fn curl_requires_tls_and_checks_the_certificate() {
    let s = server("curl");
    let curl = |extra: &[&str]| {
        let mut child = Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "10", "--ssl-reqd"])
            .arg(format!("smtp://127.0.0.1:{}/laptop.example.org", s.server.submission_port))
            .args(["--user", "alice@example.org:wonderland"])
            .args(extra)
            .args([
                "--mail-from",
                "alice@example.org",
                "--mail-rcpt",
                "bob@example.net",
                "--upload-file",
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("curl runs");
        child.stdin.take().unwrap().write_all(b"Subject: curl over TLS\r\n\r\nHello over TLS\r\n").unwrap();
        child.wait_with_output().unwrap()
    };
    // curl trusts only the public authorities by default: the self-signed certificate is
    // refused (exit code 60), and nothing is sent.
    let out = curl(&[]);
    assert_eq!(out.status.code(), Some(60), "{out:?}");
    // Given the certificate the server wrote, curl checks it and sends.
    let out = curl(&["--cacert", s.cert.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let printed = s.server.wait_for("Hello over TLS");
    assert!(printed.contains("with ESMTPSA id"), "{printed}");
    // Bob reads it over POP3 and over IMAP, from the same store, each after STLS or
    // STARTTLS; in the clear he cannot log in (curl's 67, login denied: POP3 refuses the
    // APOP curl tries first; curl itself sends no LOGIN where IMAP says LOGINDISABLED; the
    // servers' own refusals are tested with poplib and imaplib).
    let cert = s.cert.to_str().unwrap();
    for url in [
        format!("pop3://127.0.0.1:{}/1", s.server.pop3_port),
        format!("imap://127.0.0.1:{}/INBOX;UID=1", s.server.imap_port),
    ] {
        let read = |tls: &[&str]| {
            Command::new("curl")
                .args(["--silent", "--show-error", "--max-time", "10"])
                .args(tls)
                .arg(&url)
                .args(["--user", "bob@example.net:builder"])
                .output()
                .unwrap()
        };
        let out = read(&["--ssl-reqd", "--cacert", cert]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("Hello over TLS"), "{url}: {out:?}");
        let out = read(&[]);
        assert_eq!(out.status.code(), Some(67), "{url}: {out:?}");
    }
}

/// Without `--tls`, `--tls-cert` is refused (clap's exit code 2), and no STARTTLS is offered.
#[test]
fn tls_cert_needs_tls() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailroom-serve"))
        .args(["--smtp", "127.0.0.1:0", "--tls-cert", "/tmp/never-written.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls"), "{out:?}");
}
