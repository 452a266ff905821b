//! The SMTP server as a submission server (RFC 6409) with AUTH (RFC 4954) and STARTTLS
//! (RFC 3207): the conformance cases of `PROTOCOLS.md` for both, as tables of writes and
//! the replies they must get.

use crate::base64;
use crate::session::{Directory, Env, Output, RcptVerdict, Session};
use crate::smtp::auth;
use crate::smtp::server::tests::drain;
use crate::smtp::server::{Accepted, Peer, ServerConfig, SmtpServer, State, TlsPolicy};
use crate::time::SimTime;
use crate::trace::EventKind;

/// The host's answers, with passwords.
struct Users(Directory);

impl Env for Users {
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        self.0.recipient(client_addr, rcpt)
    }
    fn check_password(&mut self, user: &str, password: &str) -> bool {
        matches!(
            (user.to_ascii_lowercase().as_str(), password),
            ("alice@example.org", "wonderland") | ("bob@example.org", "builder")
        )
    }
}

fn users() -> Users {
    Users(Directory {
        local_domains: vec!["example.org".into()],
        mailboxes: vec!["alice@example.org".into(), "bob@example.org".into()],
        relay_clients: vec![],
        relay_domains: Vec::new(),
        full: false,
    })
}

/// One step: bytes from the client, or the end of the TLS handshake.
#[derive(Clone, Copy)]
enum Step {
    W(&'static str),
    Tls,
}
use Step::{Tls, W};

fn config(tls: TlsPolicy, auth_needs_tls: bool) -> ServerConfig {
    let mut c = ServerConfig::new("smtp.example.org");
    c.submission = true;
    c.tls = tls;
    c.auth_needs_tls = auth_needs_tls;
    c
}

/// Every reply as `"code enhanced"` (or `"code"`), `"tls"` when the server asks for the
/// handshake, `"close"`; the accepted messages; the server.
fn run(config: ServerConfig, steps: &[Step]) -> (Vec<String>, Vec<Accepted>, SmtpServer) {
    let peer = Peer { addr: "203.0.113.7".into(), name: None };
    let mut s = SmtpServer::new(config, peer, "S", SimTime::ZERO);
    let mut env = users();
    let (mut replies, mut accepted) = (Vec::new(), Vec::new());
    drain(&mut s, &mut replies, &mut accepted);
    for step in steps {
        match step {
            W(text) => s.handle_input(text.as_bytes(), SimTime::ZERO, &mut env),
            Tls => s.handle_tls(SimTime::ZERO),
        }
        drain(&mut s, &mut replies, &mut accepted);
    }
    (replies, accepted, s)
}

const ALICE_PLAIN: &str = "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=\r\n";

#[test]
fn the_login_helper_matches_the_constant() {
    assert_eq!(
        format!("AUTH PLAIN {}\r\n", auth::plain_response("alice@example.org", "wonderland")),
        ALICE_PLAIN
    );
}

#[test]
fn submission_and_auth() {
    let wrong = format!("AUTH PLAIN {}\r\n", auth::plain_response("alice@example.org", "looking-glass"));
    let wrong: &'static str = Box::leak(wrong.into_boxed_str());
    let plain_alone = format!("{}\r\n", auth::plain_response("alice@example.org", "wonderland"));
    let plain_alone: &'static str = Box::leak(plain_alone.into_boxed_str());
    let other_authzid =
        format!("AUTH PLAIN {}\r\n", base64::encode(b"bob@example.org\0alice@example.org\0wonderland"));
    let other_authzid: &'static str = Box::leak(other_authzid.into_boxed_str());
    let long_answer: &'static str = Box::leak(format!("{}\r\n", "A".repeat(13_000)).into_boxed_str());
    let off = || config(TlsPolicy::Off, false);
    // RFC 4954 §3: where AUTH is offered, MAIL may be 500 octets longer than 512 (an xtext
    // `AUTH=`); no other command may.
    let line = |head: &str, len: usize| -> &'static str {
        let pad = len - head.len() - "@example.org\r\n".len();
        Box::leak(format!("{head}{}@example.org\r\n", "a".repeat(pad)).into_boxed_str())
    };
    let mail_529 = line("MAIL FROM:<alice@example.org> AUTH=", 529);
    let mail_1012 = line("MAIL FROM:<alice@example.org> AUTH=", 1012);
    let mail_1013 = line("MAIL FROM:<alice@example.org> AUTH=", 1013);
    let rcpt_513 = line("RCPT TO:<", 513);
    let cases: Vec<(&str, ServerConfig, Vec<Step>, Vec<&str>)> = vec![
        (
            "a MAIL line with AUTH= up to 1012 octets",
            off(),
            vec![W("EHLO c\r\n"), W(ALICE_PLAIN), W(mail_529), W("RSET\r\n"), W(mail_1012)],
            vec!["220", "250", "235 2.7.0", "250 2.1.0", "250 2.0.0", "250 2.1.0"],
        ),
        (
            "a MAIL line over 1012, or another command over 512",
            off(),
            vec![
                W("EHLO c\r\n"),
                W(ALICE_PLAIN),
                W(mail_1013),
                W("MAIL FROM:<alice@example.org>\r\n"),
                W(rcpt_513),
            ],
            vec!["220", "250", "235 2.7.0", "500 5.5.2", "250 2.1.0", "500 5.5.2"],
        ),
        // PROTOCOLS.md case 9: MAIL before AUTH → 530 5.7.0; bad credentials → 535 5.7.8;
        // AUTH inside a transaction → 503.
        (
            "9 mail before auth",
            off(),
            vec![W("EHLO c\r\n"), W("MAIL FROM:<alice@example.org>\r\n")],
            vec!["220", "250", "530 5.7.0"],
        ),
        (
            "9 bad credentials, then right",
            off(),
            vec![W("EHLO c\r\n"), W(wrong), W(ALICE_PLAIN)],
            vec!["220", "250", "535 5.7.8", "235 2.7.0"],
        ),
        (
            "9 auth inside a transaction",
            off(),
            vec![W("EHLO c\r\n"), W(ALICE_PLAIN), W("MAIL FROM:<alice@example.org>\r\n"), W(ALICE_PLAIN)],
            vec!["220", "250", "235 2.7.0", "250 2.1.0", "503 5.5.1"],
        ),
        (
            "auth after success",
            off(),
            vec![W("EHLO c\r\n"), W(ALICE_PLAIN), W(ALICE_PLAIN)],
            vec!["220", "250", "235 2.7.0", "503 5.5.1"],
        ),
        ("auth before ehlo", off(), vec![W(ALICE_PLAIN)], vec!["220", "503 5.5.1"]),
        ("auth after helo", off(), vec![W("HELO c\r\n"), W(ALICE_PLAIN)], vec!["220", "250", "503 5.5.1"]),
        (
            "unknown mechanism",
            off(),
            vec![W("EHLO c\r\n"), W("AUTH CRAM-MD5\r\n")],
            vec!["220", "250", "504 5.5.4"],
        ),
        (
            "plain with a challenge",
            off(),
            vec![W("EHLO c\r\n"), W("AUTH PLAIN\r\n"), W(plain_alone)],
            vec!["220", "250", "334", "235 2.7.0"],
        ),
        (
            "login",
            off(),
            vec![
                W("EHLO c\r\n"),
                W("AUTH LOGIN\r\n"),
                W("YWxpY2VAZXhhbXBsZS5vcmc=\r\n"),
                W("d29uZGVybGFuZA==\r\n"),
            ],
            vec!["220", "250", "334", "334", "235 2.7.0"],
        ),
        (
            "login with the user as initial response",
            off(),
            vec![W("EHLO c\r\n"), W("AUTH LOGIN YWxpY2VAZXhhbXBsZS5vcmc=\r\n"), W("d3Jvbmc=\r\n")],
            vec!["220", "250", "334", "535 5.7.8"],
        ),
        // "*" cancels: 501; the session goes on, still not logged in.
        (
            "cancel",
            off(),
            vec![W("EHLO c\r\n"), W("AUTH LOGIN\r\n"), W("*\r\n"), W("MAIL FROM:<alice@example.org>\r\n")],
            vec!["220", "250", "334", "501 5.7.0", "530 5.7.0"],
        ),
        // Non-canonical base64 is refused with 501 (RFC 4954 §4), initial or later.
        (
            "bad base64 initial",
            off(),
            vec![W("EHLO c\r\n"), W("AUTH PLAIN AGFsaWNl=\r\n")],
            vec!["220", "250", "501 5.5.2"],
        ),
        (
            "bad base64 answer",
            off(),
            vec![W("EHLO c\r\n"), W("AUTH PLAIN\r\n"), W("not base64!\r\n")],
            vec!["220", "250", "334", "501 5.5.2"],
        ),
        (
            "plain for someone else",
            off(),
            vec![W("EHLO c\r\n"), W(other_authzid)],
            vec!["220", "250", "535 5.7.8"],
        ),
        // An over-long answer ends the exchange; the next line is a command again.
        (
            "answer too long",
            off(),
            vec![W("EHLO c\r\n"), W("AUTH PLAIN\r\n"), W(long_answer), W("NOOP\r\n")],
            vec!["220", "250", "334", "500 5.5.2", "250 2.0.0"],
        ),
        // A logged-in user sends only as themselves (RFC 6409 §6.1), but to anyone.
        (
            "own address only",
            off(),
            vec![
                W("EHLO c\r\n"),
                W(ALICE_PLAIN),
                W("MAIL FROM:<bob@example.org>\r\n"),
                W("MAIL FROM:<>\r\n"),
                W("MAIL FROM:<Alice@Example.org>\r\n"),
                W("RCPT TO:<someone@far.example>\r\n"),
            ],
            vec!["220", "250", "235 2.7.0", "553 5.7.1", "553 5.7.1", "250 2.1.0", "250 2.1.5"],
        ),
        // The AUTH parameter to MAIL, where AUTH is offered (RFC 4954 §5): a valid one is
        // parsed and discarded, whatever it names ("<>" or an xtext address); an invalid one
        // gets 501 5.5.4; after HELO there are no parameters (555).
        (
            "mail auth parameter",
            off(),
            vec![
                W("EHLO c\r\n"),
                W(ALICE_PLAIN),
                W("MAIL FROM:<alice@example.org> AUTH=a+3db\r\n"),
                W("MAIL FROM:<alice@example.org> AUTH=<>\r\n"),
                W("RSET\r\n"),
                W("MAIL FROM:<alice@example.org> AUTH=bob+40example.org\r\n"),
                W("RSET\r\n"),
                W("MAIL FROM:<alice@example.org> AUTH=<alice@example.org>\r\n"),
                W("RCPT TO:<bob@example.org>\r\n"),
            ],
            vec![
                "220",
                "250",
                "235 2.7.0",
                "501 5.5.4",
                "250 2.1.0",
                "250 2.0.0",
                "250 2.1.0",
                "250 2.0.0",
                "250 2.1.0",
                "250 2.1.5",
            ],
        ),
        (
            "mail auth parameter after helo",
            off(),
            vec![W("HELO c\r\n"), W("MAIL FROM:<alice@example.org> AUTH=<>\r\n")],
            vec!["220", "250", "555 5.5.4"],
        ),
        // Without a login, relaying is refused as always.
        (
            "no login, no relay",
            off(),
            vec![W("EHLO c\r\n"), W("VRFY x\r\n"), W("RCPT TO:<x@far.example>\r\n")],
            vec!["220", "250", "252 2.5.0", "503 5.5.1"],
        ),
        (
            "starttls not offered",
            off(),
            vec![W("EHLO c\r\n"), W("STARTTLS\r\n")],
            vec!["220", "250", "502 5.5.1"],
        ),
    ];
    for (name, config, steps, want) in cases {
        let (got, _, _) = run(config, &steps);
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn starttls_rules() {
    let offered = || config(TlsPolicy::Offered, false);
    let needs = || config(TlsPolicy::Offered, true);
    let required = || config(TlsPolicy::Required, true);
    let cases: Vec<(&str, ServerConfig, Vec<Step>, Vec<&str>)> = vec![
        (
            "220, then the handshake",
            offered(),
            vec![W("EHLO c\r\n"), W("STARTTLS\r\n")],
            vec!["220", "250", "220 2.0.0", "tls"],
        ),
        (
            "501 with arguments",
            offered(),
            vec![W("EHLO c\r\n"), W("STARTTLS now\r\n")],
            vec!["220", "250", "501 5.5.4"],
        ),
        // Only EHLO's answer offers it: before it, or after HELO, 503 (as AUTH).
        (
            "after EHLO only",
            offered(),
            vec![W("STARTTLS\r\n"), W("HELO c\r\n"), W("STARTTLS\r\n"), W("EHLO c\r\n"), W("STARTTLS\r\n")],
            vec!["220", "503 5.5.1", "250", "503 5.5.1", "250", "220 2.0.0", "tls"],
        ),
        // Plaintext pipelined after STARTTLS is discarded, never run (RFC 3207 §4.2,
        // CVE-2011-0411): one write, one reply.
        (
            "pipelined plaintext is discarded",
            offered(),
            vec![
                W("EHLO c\r\n"),
                W("STARTTLS\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<x@far.example>\r\n"),
            ],
            vec!["220", "250", "220 2.0.0", "tls"],
        ),
        // ... and so is anything sent before the handshake is done.
        (
            "plaintext during the handshake",
            offered(),
            vec![W("EHLO c\r\n"), W("STARTTLS\r\n"), W("NOOP\r\n"), Tls, W("NOOP\r\n")],
            vec!["220", "250", "220 2.0.0", "tls", "250 2.0.0"],
        ),
        // After the handshake: everything forgotten, EHLO again; STARTTLS only once.
        (
            "forget everything",
            offered(),
            vec![
                W("EHLO c\r\n"),
                W(ALICE_PLAIN),
                W("STARTTLS\r\n"),
                Tls,
                W("MAIL FROM:<alice@example.org>\r\n"),
                W("EHLO c\r\n"),
                W("MAIL FROM:<alice@example.org>\r\n"),
                W("STARTTLS\r\n"),
            ],
            vec!["220", "250", "235 2.7.0", "220 2.0.0", "tls", "503 5.5.1", "250", "530 5.7.0", "503 5.5.1"],
        ),
        (
            "not inside a transaction",
            offered(),
            vec![W("EHLO c\r\n"), W(ALICE_PLAIN), W("MAIL FROM:<alice@example.org>\r\n"), W("STARTTLS\r\n")],
            vec!["220", "250", "235 2.7.0", "250 2.1.0", "503 5.5.1"],
        ),
        // Passwords only over TLS: 538 5.7.11 before, 235 after (RFC 4954 §6).
        (
            "538 before tls",
            needs(),
            vec![W("EHLO c\r\n"), W(ALICE_PLAIN), W("STARTTLS\r\n"), Tls, W("EHLO c\r\n"), W(ALICE_PLAIN)],
            vec!["220", "250", "538 5.7.11", "220 2.0.0", "tls", "250", "235 2.7.0"],
        ),
        // TLS required: only NOOP, EHLO, STARTTLS and QUIT in the clear (RFC 3207 §4).
        (
            "tls required",
            required(),
            vec![
                W("HELO c\r\n"),
                W("EHLO c\r\n"),
                W("MAIL FROM:<alice@example.org>\r\n"),
                W("RSET\r\n"),
                W("AUTH PLAIN\r\n"),
                W("VRFY x\r\n"),
                W("NOOP\r\n"),
                W("QUIT\r\n"),
            ],
            vec![
                "220",
                "530 5.7.0",
                "250",
                "530 5.7.0",
                "530 5.7.0",
                "530 5.7.0",
                "530 5.7.0",
                "250 2.0.0",
                "221 2.0.0",
                "close",
            ],
        ),
        (
            "tls required, after tls",
            required(),
            vec![W("EHLO c\r\n"), W("STARTTLS\r\n"), Tls, W("HELO c\r\n"), W("RSET\r\n")],
            vec!["220", "250", "220 2.0.0", "tls", "250", "250 2.0.0"],
        ),
    ];
    for (name, config, steps, want) in cases {
        let (got, _, _) = run(config, &steps);
        assert_eq!(got, want, "{name}");
    }
}

/// What EHLO lists, before and after TLS, where passwords need TLS or not.
fn ehlo_keywords(tls: TlsPolicy, auth_needs_tls: bool, steps: &[Step]) -> Vec<String> {
    let peer = Peer { addr: "203.0.113.7".into(), name: None };
    let mut s = SmtpServer::new(config(tls, auth_needs_tls), peer, "S", SimTime::ZERO);
    let mut env = users();
    let mut last = Vec::new();
    for step in steps {
        match step {
            W(text) => s.handle_input(text.as_bytes(), SimTime::ZERO, &mut env),
            Tls => s.handle_tls(SimTime::ZERO),
        }
        while let Some(o) = s.poll_output() {
            if let Output::Send { bytes, .. } = o {
                last = bytes;
            }
        }
    }
    String::from_utf8(last).unwrap().lines().skip(1).map(|l| l[4..].to_string()).collect()
}

#[test]
fn ehlo_advertises_what_is_offered() {
    let has = |list: &[String], k: &str| list.iter().any(|l| l == k);
    let plain = ehlo_keywords(TlsPolicy::Off, false, &[W("EHLO c\r\n")]);
    assert!(has(&plain, "AUTH PLAIN LOGIN") && !has(&plain, "STARTTLS"), "{plain:?}");
    let before = ehlo_keywords(TlsPolicy::Offered, false, &[W("EHLO c\r\n")]);
    assert!(has(&before, "STARTTLS") && has(&before, "AUTH PLAIN LOGIN"), "{before:?}");
    // Where passwords need TLS, no AUTH is offered before it (RFC 4954 §6).
    let before = ehlo_keywords(TlsPolicy::Offered, true, &[W("EHLO c\r\n")]);
    assert!(has(&before, "STARTTLS") && !has(&before, "AUTH PLAIN LOGIN"), "{before:?}");
    // After the handshake STARTTLS is no longer offered (RFC 3207 §4.2), and AUTH is.
    let handshake = [W("EHLO c\r\n"), W("STARTTLS\r\n"), Tls, W("EHLO c\r\n")];
    for auth_needs_tls in [false, true] {
        let after = ehlo_keywords(TlsPolicy::Offered, auth_needs_tls, &handshake);
        assert!(!has(&after, "STARTTLS") && has(&after, "AUTH PLAIN LOGIN"), "{after:?}");
    }
}

#[test]
fn submitted_messages_are_completed_and_stamped() {
    let message = "From: Alice <alice@example.org>\r\nSubject: hi\r\n\r\nHello\r\n.\r\n";
    let message: &'static str = Box::leak(message.to_string().into_boxed_str());
    let (replies, accepted, s) = run(
        config(TlsPolicy::Offered, true),
        &[
            W("EHLO c\r\n"),
            W("STARTTLS\r\n"),
            Tls,
            W("EHLO c\r\n"),
            W(ALICE_PLAIN),
            W("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@far.example>\r\nDATA\r\n"),
            W(message),
        ],
    );
    assert_eq!(
        replies,
        ["220", "250", "220 2.0.0", "tls", "250", "235 2.7.0", "250 2.1.0", "250 2.1.5", "354", "250 2.0.0"]
    );
    assert!(s.tls_active());
    assert_eq!(s.user(), Some("alice@example.org"));
    assert_eq!(s.server_state(), State::ExpectMail);
    let [a] = accepted.as_slice() else { panic!("{accepted:?}") };
    let text = String::from_utf8(a.message.clone()).unwrap();
    // RFC 3848: ESMTPSA = ESMTP + TLS + AUTH. RFC 6409 §8: Date and Message-ID added,
    // inside the header section.
    assert!(
        text.starts_with(
            "Received: from c ([203.0.113.7])\r\n\tby smtp.example.org (Mailroom) with ESMTPSA id S01"
        ),
        "{text}"
    );
    let (header, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(header.contains("\r\nDate: "), "{header}");
    assert!(header.contains("\r\nMessage-ID: <S01@smtp.example.org>"), "{header}");
    assert_eq!(body, "Hello\r\n");
    // A message that has both keeps its own.
    let own = "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <x@example.org>\r\n\r\nHi\r\n.\r\n";
    let own: &'static str = Box::leak(own.to_string().into_boxed_str());
    let (_, accepted, _) = run(
        config(TlsPolicy::Off, false),
        &[
            W("EHLO c\r\n"),
            W(ALICE_PLAIN),
            W("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"),
            W(own),
        ],
    );
    let text = String::from_utf8(accepted[0].message.clone()).unwrap();
    assert_eq!(text.matches("Date:").count(), 1, "{text}");
    assert_eq!(text.matches("Message-ID:").count(), 1, "{text}");
    assert!(text.contains("with ESMTPA id"), "{text}");
}

#[test]
fn auth_answers_are_classified_as_login_data() {
    let (_, _, mut s) = run(config(TlsPolicy::Off, false), &[W("EHLO c\r\n"), W("AUTH LOGIN\r\n")]);
    assert_eq!(s.classify(b"YWxpY2U=\r\n"), EventKind::AuthData);
    assert_eq!(s.server_state(), State::AuthExchange);
    s.handle_input(b"*\r\n", SimTime::ZERO, &mut users());
    assert_eq!(s.classify(b"NOOP\r\n"), EventKind::Command { verb: "NOOP".into() });
}

/// A message without header fields on submission (RFC 6409 §8.2–8.3): Date and Message-ID
/// are added as its header section, before the empty line that the server puts first
/// (RFC 5322 §2.1), never among its body's lines; an empty line later in the body does
/// not count as the end of a header section it does not have.
#[test]
fn a_message_without_header_fields_gets_date_and_message_id_as_its_header() {
    for (sent, body) in [("hi\r\n.\r\n", "hi\r\n"), ("hi\r\n\r\nbye\r\n.\r\n", "hi\r\n\r\nbye\r\n")] {
        let (_, accepted, _) = run(
            config(TlsPolicy::Off, false),
            &[
                W("EHLO c\r\n"),
                W(ALICE_PLAIN),
                W("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"),
                W(sent),
            ],
        );
        let text = String::from_utf8(accepted[0].message.clone()).unwrap();
        let (header, stored_body) = text.split_once("\r\n\r\n").unwrap();
        assert!(header.starts_with("Received: ") && header.contains("\r\nDate: "), "{text:?}");
        assert!(header.contains("\r\nMessage-ID: <S01@smtp.example.org>"), "{text:?}");
        assert_eq!(stored_body, body, "{text:?}");
    }
}

/// The state the server tells after each step says what it waits for, before a message
/// too: STARTTLS where nothing more is taken in the clear (RFC 3207 §4, RFC 4954 §6), the
/// login where a submission server takes mail only from a user who logged in (RFC 6409
/// §4.3), then MAIL. A refused command leaves it as it was.
#[test]
fn the_state_says_what_comes_before_a_message() {
    let bad_login: &'static str = Box::leak(
        format!("AUTH PLAIN {}\r\n", auth::plain_response("alice@example.org", "looking-glass"))
            .into_boxed_str(),
    );
    let port_25 = |tls| ServerConfig { tls, ..ServerConfig::new("mx.example.org") };
    use State::{
        AuthExchange, ExpectAuth, ExpectHelo, ExpectMail, ExpectRcpt, ExpectStartTls, Greeting, TlsHandshake,
    };
    let cases: Vec<(&str, ServerConfig, Vec<(Step, State)>)> = vec![
        (
            "submission, passwords only over TLS",
            config(TlsPolicy::Offered, true),
            vec![
                (W("EHLO c\r\n"), ExpectStartTls),
                (W("MAIL FROM:<alice@example.org>\r\n"), ExpectStartTls),
                (W(ALICE_PLAIN), ExpectStartTls),
                (W("STARTTLS\r\n"), TlsHandshake),
                (Tls, ExpectHelo),
                (W("EHLO c\r\n"), ExpectAuth),
                (W("MAIL FROM:<alice@example.org>\r\n"), ExpectAuth),
                (W("RSET\r\n"), ExpectAuth),
                (W("AUTH LOGIN\r\n"), AuthExchange),
                (W("*\r\n"), ExpectAuth),
                (W(bad_login), ExpectAuth),
                (W(ALICE_PLAIN), ExpectMail),
                (W("MAIL FROM:<alice@example.org>\r\n"), ExpectRcpt),
                (W("RSET\r\n"), ExpectMail),
                (W("EHLO c\r\n"), ExpectMail),
            ],
        ),
        (
            "submission with no TLS: the login first",
            config(TlsPolicy::Off, false),
            vec![
                // AUTH is an extension: after HELO, EHLO first (503).
                (W("HELO c\r\n"), ExpectHelo),
                (W(ALICE_PLAIN), ExpectHelo),
                (W("EHLO c\r\n"), ExpectAuth),
                (W(ALICE_PLAIN), ExpectMail),
            ],
        ),
        (
            "submission where TLS is offered and passwords may go in the clear",
            config(TlsPolicy::Offered, false),
            vec![(W("EHLO c\r\n"), ExpectAuth), (W(ALICE_PLAIN), ExpectMail)],
        ),
        (
            "submission where TLS is required, logged in",
            config(TlsPolicy::Required, false),
            vec![
                (W("EHLO c\r\n"), ExpectStartTls),
                (W(ALICE_PLAIN), ExpectStartTls),
                (W("STARTTLS\r\n"), TlsHandshake),
                (Tls, ExpectHelo),
                (W("EHLO c\r\n"), ExpectAuth),
                (W(ALICE_PLAIN), ExpectMail),
            ],
        ),
        (
            "port 25 where TLS is required",
            port_25(TlsPolicy::Required),
            vec![
                (W("HELO c\r\n"), ExpectHelo),
                (W("STARTTLS\r\n"), ExpectHelo),
                (W("EHLO c\r\n"), ExpectStartTls),
                (W("MAIL FROM:<a@example.net>\r\n"), ExpectStartTls),
                (W("STARTTLS\r\n"), TlsHandshake),
                (Tls, ExpectHelo),
                (W("EHLO c\r\n"), ExpectMail),
            ],
        ),
        (
            "port 25 where TLS is offered: mail in the clear",
            port_25(TlsPolicy::Offered),
            vec![(W("EHLO c\r\n"), ExpectMail), (W("MAIL FROM:<a@example.net>\r\n"), ExpectRcpt)],
        ),
        (
            // Greeting until the client has said something: a reply on its way after that
            // answers it ("replies; then waits for EHLO"), it is not the greeting.
            "port 25, a command before EHLO",
            port_25(TlsPolicy::Off),
            vec![
                (W("MAIL FR"), Greeting),
                (W("OM:<a@example.net>\r\n"), ExpectHelo),
                (W("NOOP\r\n"), ExpectHelo),
                (W("EHLO c\r\n"), ExpectMail),
            ],
        ),
    ];
    for (name, config, steps) in cases {
        let peer = Peer { addr: "203.0.113.7".into(), name: None };
        let mut s = SmtpServer::new(config, peer, "S", SimTime::ZERO);
        let mut env = users();
        let (mut replies, mut accepted) = (Vec::new(), Vec::new());
        drain(&mut s, &mut replies, &mut accepted);
        assert_eq!(s.server_state(), Greeting, "{name}: just connected");
        for (i, (step, want)) in steps.into_iter().enumerate() {
            match step {
                W(text) => s.handle_input(text.as_bytes(), SimTime::ZERO, &mut env),
                Tls => s.handle_tls(SimTime::ZERO),
            }
            drain(&mut s, &mut replies, &mut accepted);
            assert_eq!(s.server_state(), want, "{name}, step {i}: after {replies:?}");
        }
    }
}
