//! The SMTP server's harness: one session of [`SmtpServer`], driven by a fuzz input, with
//! a checker that follows the conversation from the outside (the replies, the requests,
//! the closes) and panics as soon as the server says or does something it must not.

use std::collections::VecDeque;

use crate::fuzzing::{Step, check_held, decode, line_ends, password_is_right};
use crate::session::{CommandContext, Directory, Env, Output, RcptVerdict, Request, Session};
use crate::smtp::MAX_REPLY_LINE;
use crate::smtp::reply::{Reply, ReplyCode};
use crate::smtp::server::{Accepted, Peer, ServerConfig, SmtpServer, State, TlsPolicy};
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, Status};

/// The most lines a reply has: EHLO's on a submission server that offers STARTTLS
/// (greeting line, PIPELINING, SIZE, 8BITMIME, STARTTLS, AUTH, ENHANCEDSTATUSCODES, HELP).
const LONGEST_REPLY_LINES: usize = 8;
/// So no reply is longer than this (every line is at most 512 octets, RFC 5321 §4.5.3.1.5).
const LONGEST_REPLY: usize = LONGEST_REPLY_LINES * MAX_REPLY_LINE;
/// What the server adds to an accepted message: its `Received:` header, and on submission
/// a `Date:` and a `Message-ID:` (RFC 6409 §8). Generously.
const ADDED_HEADERS: usize = 1024;

/// What the first byte of an input chooses.
#[derive(Clone, Copy, Debug)]
struct Setup {
    submission: bool,
    tls: TlsPolicy,
    auth_needs_tls: bool,
    /// The greeting is `554`: the server refuses service and answers only QUIT.
    no_service: bool,
    /// A 256-octet message limit and 3 recipients at most, so that inputs reach them.
    small: bool,
    /// The client is in the provider's network and may relay.
    relay_client: bool,
    /// The host has no room for mail (`452 4.3.1`).
    full: bool,
    /// The world's fault rules answer some commands instead of the server.
    faults: bool,
}

impl Setup {
    /// Bits 0–2: which server; 3: small limits; 4: a relay client; 5: storage full;
    /// 6: fault rules.
    fn from_byte(b: u8) -> Setup {
        use TlsPolicy::{Off, Offered, Required};
        let (submission, tls, auth_needs_tls, no_service) = match b & 7 {
            // An MX on port 25, as in the lessons; then with STARTTLS offered, required.
            0 => (false, Off, false, false),
            1 => (false, Offered, false, false),
            2 => (false, Required, false, false),
            // Submission on port 587: in the clear, STARTTLS offered, passwords only over
            // TLS, TLS required.
            3 => (true, Off, false, false),
            4 => (true, Offered, false, false),
            5 => (true, Offered, true, false),
            6 => (true, Required, true, false),
            _ => (false, Off, false, true),
        };
        Setup {
            submission,
            tls,
            auth_needs_tls,
            no_service,
            small: b & 8 != 0,
            relay_client: b & 16 != 0,
            full: b & 32 != 0,
            faults: b & 64 != 0,
        }
    }

    fn config(&self) -> ServerConfig {
        let mut c = ServerConfig::new("mx.example.net");
        c.postmaster_domain = Some("example.net".into());
        c.submission = self.submission;
        c.tls = self.tls;
        c.auth_needs_tls = self.auth_needs_tls;
        if self.small {
            c.max_message_size = 256;
            c.max_recipients = 3;
        }
        c
    }
}

/// The host: mailboxes, the relay network, passwords, and fault rules.
struct Host {
    directory: Directory,
    faults: bool,
    /// Users whose password was found right, not yet paired with their `235`.
    logins: VecDeque<String>,
}

impl Env for Host {
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        if self.faults && rcpt.eq_ignore_ascii_case("full@example.net") {
            return RcptVerdict::Full;
        }
        self.directory.verdict(client_addr, rcpt)
    }

    fn storage_available(&mut self) -> bool {
        !self.directory.full
    }

    /// Greylisting for one recipient; a refused and a (would-be) accepted end of data for
    /// two senders: a rule may refuse a message, never make the server claim it kept one.
    fn intercept(&mut self, cmd: &CommandContext<'_>) -> Option<Reply> {
        if !self.faults {
            return None;
        }
        match (cmd.verb, cmd.mail_from, cmd.rcpt) {
            ("RCPT", _, Some(r)) if r.eq_ignore_ascii_case("grey@example.net") => {
                Some(Reply::of(ReplyCode::Greylisted, "Greylisted, try again later"))
            }
            ("MESSAGE", Some("spam@example.org"), _) => {
                Some(Reply::of(ReplyCode::ContentRefused, "Refused by a rule of this world"))
            }
            ("MESSAGE", Some("fake@example.org"), _) => Some(Reply::of(ReplyCode::Ok, "Pretends to be kept")),
            _ => None,
        }
    }

    fn check_password(&mut self, user: &str, password: &str) -> bool {
        let right = password_is_right(user, password);
        if right {
            self.logins.push_back(user.to_string());
        }
        right
    }
}

/// One SMTP session from a fuzz input. The first byte chooses the server (see [`Setup`]);
/// the rest is steps ([`crate::fuzzing`]). After every step it checks:
///
/// - every reply is well-formed (RFC 5321 §4.2, §4.2.1): three digits (first 2–5, second
///   0–5), the same code on every line, `-` after it on all lines but the last, printable
///   US-ASCII text, CRLF, at most 512 octets a line and [`LONGEST_REPLY_LINES`] lines; an
///   enhanced code of the reply's class on every line (RFC 2034, RFC 3463); what the trace
///   says matches the wire;
/// - the first reply is the greeting; at most one reply per line the client sent, plus the
///   greeting and one per timeout, so the output is bounded by the input;
/// - nothing at all after the connection closed; `221` and `421` are followed by the close;
///   `is_closed` and `poll_timeout` agree with it;
/// - no reply while the TLS handshake is due (plaintext after STARTTLS is never answered,
///   RFC 3207 §4.2), but a timeout's `421`; the `220` to STARTTLS is followed by the
///   request for the handshake, and only then; a `handle_tls` nobody asked for changes
///   nothing; after the handshake EHLO does not offer STARTTLS (§4.2), and everything
///   learnt before is forgotten;
/// - where TLS is required, nothing but EHLO, NOOP, STARTTLS and QUIT succeeds before it
///   (§4); AUTH only on submission, only after TLS where passwords need it (RFC 4954 §6),
///   and offered by EHLO only there;
///   `235` only for a right password, and the server's user is that one;
/// - no nested MAIL, no RCPT without MAIL, no `354` without a recipient; on submission
///   MAIL only after a login;
/// - [`Request::Accept`] only at the end of a complete transaction (MAIL, RCPT, `354`), with
///   recipients the server accepted, from the logged-in user's own address on submission
///   (RFC 6409 §6.1), after TLS where it is required, with CRLF line ends only (no
///   smuggling), a `Received:` of US-ASCII text, and within the size limit, and always followed by the `250` to DATA; a
///   `250` at the end of data never comes without it (RFC 5321 §6.1: a message the
///   server claims is never lost);
/// - the server's buffers stay within their limits ([`SmtpServer::held`]); the idle timer
///   does not fire before `poll_timeout()`, and at it says `421` and closes.
pub fn smtp_server(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else { return };
    let setup = Setup::from_byte(first);
    let config = setup.config();
    let mut host = Host {
        directory: Directory {
            local_domains: vec!["example.net".into(), "example.org".into()],
            mailboxes: vec!["bob@example.net".into(), "carol@example.net".into(), "alice@example.org".into()],
            relay_clients: vec!["192.0.2.10".into()],
            relay_domains: vec!["example.com".into()],
            full: setup.full,
        },
        faults: setup.faults,
        logins: VecDeque::new(),
    };
    let addr = if setup.relay_client { "192.0.2.10" } else { "203.0.113.7" };
    let peer = Peer { addr: addr.into(), name: Some("client.example".into()) };
    let mut now = SimTime::ZERO;
    let mut checker = Checker::new(setup, &config);
    let mut s = if setup.no_service {
        let refusal = Reply::custom(554, None, vec!["mx.example.net no SMTP service here".into()]);
        SmtpServer::with_greeting(config, peer, "F", now, refusal)
    } else {
        SmtpServer::new(config, peer, "F", now)
    };
    checker.drain(&mut s, &mut host);
    checker.check_server(&s);
    for step in decode(rest) {
        now = now.plus(SimDuration::from_secs(1));
        match step {
            Step::Write(bytes) => {
                checker.line_ends += line_ends(&bytes);
                s.handle_input(&bytes, now, &mut host);
            }
            Step::Tls => checker.tls(&mut s, now),
            Step::Timeout => now = checker.timeout(&mut s, now),
            Step::Close => {
                s.handle_close(now);
                checker.peer_closed();
            }
            // One connection only, no store.
            Step::NewSession | Step::Switch | Step::Deliver => {}
        }
        checker.drain(&mut s, &mut host);
        checker.check_server(&s);
    }
    s.handle_close(now);
    checker.peer_closed();
    checker.drain(&mut s, &mut host);
    checker.check_server(&s);
}

/// What the conversation has established so far, as seen from the outside.
struct Checker {
    setup: Setup,
    max_message_size: usize,
    max_recipients: usize,
    /// The server sent its close, or the peer closed.
    closed: bool,
    /// Line-feeds the client sent, replies the server sent, timeouts that fired.
    line_ends: usize,
    replies: usize,
    reply_bytes: usize,
    timeouts: usize,
    /// The server asked for the TLS handshake, which has not happened yet.
    tls_pending: bool,
    tls_done: bool,
    login: Option<String>,
    /// The greeting the server took (since the handshake): `Some(true)` EHLO, `Some(false)`
    /// HELO. An AUTH challenge (`334`) waits for its answer.
    greeted: Option<bool>,
    auth_waiting: bool,
    /// MAIL accepted; how many RCPTs since; `354` sent and the end of data not answered.
    mail: bool,
    rcpts: usize,
    data: bool,
    /// What must come next: the request for the handshake, the `250` to DATA, the close.
    expect_starttls: bool,
    expect_data_ok: bool,
    expect_close: bool,
}

impl Checker {
    fn new(setup: Setup, config: &ServerConfig) -> Checker {
        Checker {
            setup,
            max_message_size: config.max_message_size,
            max_recipients: config.max_recipients,
            closed: false,
            line_ends: 0,
            replies: 0,
            reply_bytes: 0,
            timeouts: 0,
            tls_pending: false,
            tls_done: false,
            login: None,
            greeted: None,
            auth_waiting: false,
            mail: false,
            rcpts: 0,
            data: false,
            expect_starttls: false,
            expect_data_ok: false,
            expect_close: false,
        }
    }

    fn end_transaction(&mut self) {
        self.mail = false;
        self.rcpts = 0;
        self.data = false;
    }

    fn drain(&mut self, s: &mut SmtpServer, host: &mut Host) {
        while let Some(o) = s.poll_output() {
            self.output(o, host);
        }
        assert!(
            !self.expect_starttls,
            "the 220 to STARTTLS was not followed by the request for the handshake"
        );
        assert!(!self.expect_data_ok, "an accepted message was not answered 250");
        assert!(!self.expect_close, "a 221 or 421 was not followed by the close");
        assert!(host.logins.is_empty(), "a right password without a 235: {:?}", host.logins);
    }

    fn output(&mut self, o: Output, host: &mut Host) {
        assert!(!self.closed, "output after the connection closed: {o:?}");
        if self.expect_starttls {
            assert_eq!(o, Output::Request(Request::StartTls), "after the 220 to STARTTLS");
        }
        if self.expect_close {
            assert_eq!(o, Output::Close, "after a 221 or 421");
        }
        match o {
            Output::Send { bytes, kind } => self.reply(&bytes, &kind, host),
            Output::Request(Request::Accept(a)) => self.accept(&a),
            #[cfg(feature = "trust")]
            Output::Request(Request::Verify(v)) => {
                panic!("a check asked by a server that checks no sender: {v:?}")
            }
            Output::Request(Request::StartTls) => {
                assert!(self.expect_starttls, "a request for the TLS handshake without a 220 to STARTTLS");
                self.expect_starttls = false;
                self.tls_pending = true;
            }
            Output::Close => {
                self.expect_close = false;
                self.closed = true;
                self.tls_pending = false;
            }
        }
    }

    fn reply(&mut self, wire: &[u8], kind: &EventKind, host: &mut Host) {
        let EventKind::Reply { status: Status::Smtp { code, enhanced }, to_verb, .. } = kind else {
            panic!("an SMTP server sends only replies, not {kind:?}");
        };
        let shown = String::from_utf8_lossy(wire);
        let lines = check_reply(wire, *code, enhanced.as_deref());
        self.replies += 1;
        self.reply_bytes += wire.len();
        let code = *code;
        let verb = to_verb.as_deref();
        if self.replies == 1 {
            let want = if self.setup.no_service { 554 } else { 220 };
            assert!(code == want && verb.is_none(), "the first reply must be the greeting {want}: {shown:?}");
            return;
        }
        if self.tls_pending {
            assert_eq!(
                code, 421,
                "a reply while the TLS handshake is due: plaintext after STARTTLS was answered (RFC 3207 §4.2): {shown:?}"
            );
        }
        if self.expect_data_ok {
            assert!(
                code == 250 && verb == Some("DATA"),
                "an accepted message must be answered 250, not {shown:?}"
            );
            self.expect_data_ok = false;
            self.end_transaction();
            return;
        }
        if self.setup.no_service {
            assert!(
                code >= 500 || verb == Some("QUIT") || code == 421,
                "a server that refused service answers only QUIT: {shown:?}"
            );
        }
        if self.setup.tls == TlsPolicy::Required && !self.tls_done && code < 400 {
            assert!(
                matches!(verb, None | Some("EHLO" | "NOOP" | "STARTTLS" | "QUIT")),
                "TLS is required, but {verb:?} succeeded in the clear (RFC 3207 §4): {shown:?}"
            );
        }
        if verb == Some("AUTH") {
            self.auth_waiting = code == 334;
        }
        match (verb, code) {
            (Some("EHLO" | "HELO"), 250) => {
                self.end_transaction();
                self.greeted = Some(verb == Some("EHLO"));
                if verb == Some("EHLO") {
                    let offers =
                        |k: &str| lines.iter().skip(1).any(|l| l == k || l.starts_with(&format!("{k} ")));
                    let want_tls = self.setup.tls != TlsPolicy::Off && !self.tls_done;
                    assert_eq!(
                        offers("STARTTLS"),
                        want_tls,
                        "EHLO offers STARTTLS when, and only when, it may be used: {shown:?}"
                    );
                    // RFC 4954 §6: not where it would be refused for want of TLS.
                    assert_eq!(
                        offers("AUTH"),
                        self.setup.submission && (!self.setup.auth_needs_tls || self.tls_done),
                        "EHLO offers AUTH on submission only, and only where it may be used: {shown:?}"
                    );
                }
            }
            (Some("MAIL"), 250) => {
                assert!(!self.mail, "a nested MAIL was accepted: {shown:?}");
                assert!(
                    !self.setup.submission || self.login.is_some(),
                    "MAIL accepted on submission without a login"
                );
                self.mail = true;
                self.rcpts = 0;
            }
            (Some("RCPT"), 250) => {
                assert!(self.mail, "RCPT accepted without MAIL: {shown:?}");
                self.rcpts += 1;
            }
            (Some("DATA"), 354) => {
                assert!(self.mail && self.rcpts > 0, "354 without a sender and a recipient");
                self.data = true;
            }
            (Some("DATA"), _) if self.data => {
                assert_ne!(
                    code, 250,
                    "250 to the end of data, but the message was never handed to the host (RFC 5321 §6.1)"
                );
                self.end_transaction();
            }
            (Some("RSET"), 250) => self.end_transaction(),
            (Some("AUTH"), 235 | 334) => {
                assert!(self.setup.submission, "AUTH is offered only on submission: {shown:?}");
                assert!(
                    !self.setup.auth_needs_tls || self.tls_done,
                    "a password was taken in the clear (RFC 4954 §6): {shown:?}"
                );
                assert!(!self.mail, "AUTH inside a transaction: {shown:?}");
                if code == 235 {
                    assert!(self.login.is_none(), "a second login: {shown:?}");
                    self.login = host.logins.pop_front();
                    assert!(self.login.is_some(), "235 without a right password");
                }
            }
            (Some("STARTTLS"), 220) => {
                assert!(self.setup.tls != TlsPolicy::Off, "STARTTLS accepted where it is not offered");
                assert!(!self.tls_done, "a second STARTTLS accepted");
                assert!(!self.mail, "STARTTLS accepted inside a transaction");
                self.expect_starttls = true;
            }
            (Some("QUIT"), 221) => {
                self.end_transaction();
                self.expect_close = true;
            }
            (_, 421) => {
                self.end_transaction();
                self.expect_close = true;
            }
            _ => {}
        }
    }

    fn accept(&mut self, a: &Accepted) {
        assert!(
            self.mail && self.rcpts > 0 && self.data,
            "a message accepted without a complete transaction (MAIL, RCPT, 354, end of data): {a:?}"
        );
        assert!(
            !a.rcpt_to.is_empty() && a.rcpt_to.len() <= self.rcpts && a.rcpt_to.len() <= self.max_recipients,
            "accepted for {} recipients, {} accepted by RCPT, limit {}",
            a.rcpt_to.len(),
            self.rcpts,
            self.max_recipients
        );
        if self.setup.submission {
            let user = self.login.as_deref().expect("a message accepted on submission without a login");
            assert!(
                a.mail_from.eq_ignore_ascii_case(user),
                "{user} sent as <{}> (RFC 6409 §6.1)",
                a.mail_from
            );
        }
        assert!(
            self.setup.tls != TlsPolicy::Required || self.tls_done,
            "a message accepted in the clear where TLS is required"
        );
        let m = &a.message;
        // The server's own header field is text (RFC 5322 §2.2): what the client named itself
        // must not bring control characters or 8-bit octets into it.
        let received = m.split(|&b| b == b';').next().unwrap_or_default();
        assert!(
            received.iter().all(|&b| matches!(b, b'\r' | b'\n' | b'\t' | 32..=126)),
            "the Received: header is not US-ASCII text: {:?}",
            String::from_utf8_lossy(received)
        );
        assert!(
            m.starts_with(b"Received: from ") && m.ends_with(b"\r\n"),
            "an accepted message without its Received: or final CRLF"
        );
        for (i, &b) in m.iter().enumerate() {
            let bare_cr = b == b'\r' && m.get(i + 1) != Some(&b'\n');
            let bare_lf = b == b'\n' && (i == 0 || m[i - 1] != b'\r');
            assert!(!bare_cr && !bare_lf, "a bare CR or LF at octet {i} of an accepted message (smuggling)");
        }
        assert!(
            m.len() <= self.max_message_size + ADDED_HEADERS,
            "an accepted message of {} octets, over the limit",
            m.len()
        );
        self.expect_data_ok = true;
    }

    fn tls(&mut self, s: &mut SmtpServer, now: SimTime) {
        if self.tls_pending {
            s.handle_tls(now);
            self.tls_pending = false;
            self.tls_done = true;
            self.login = None;
            self.greeted = None;
            self.end_transaction();
            assert!(
                s.tls_active() && s.server_state() == State::ExpectHelo && s.user().is_none(),
                "after the handshake the server starts over: EHLO expected, nobody logged in"
            );
        } else {
            let before = (s.server_state(), s.tls_active(), s.user().map(str::to_string));
            s.handle_tls(now);
            let after = (s.server_state(), s.tls_active(), s.user().map(str::to_string));
            assert_eq!(before, after, "handle_tls without a request for the handshake changed the server");
        }
    }

    /// Time runs to the server's wake-up: nothing happens a microsecond before, `421` and
    /// the close at it.
    fn timeout(&mut self, s: &mut SmtpServer, now: SimTime) -> SimTime {
        let Some(at) = s.poll_timeout() else {
            s.handle_timeout(now);
            return now;
        };
        if at > now {
            s.handle_timeout(SimTime(at.0 - 1));
            assert_eq!(s.poll_output(), None, "the idle timer fired before its deadline");
        }
        let at = at.max(now);
        s.handle_timeout(at);
        self.timeouts += 1;
        assert_eq!(
            s.server_state(),
            State::Closed,
            "the idle timer at poll_timeout() must close the session"
        );
        at
    }

    fn peer_closed(&mut self) {
        self.closed = true;
        self.tls_pending = false;
        self.end_transaction();
    }

    /// The server's own view agrees with the conversation, and its buffers are bounded.
    fn check_server(&self, s: &SmtpServer) {
        assert_eq!(s.is_closed(), self.closed, "is_closed() disagrees with the close the server sent or got");
        assert_eq!(
            s.poll_timeout().is_none(),
            self.closed,
            "a timer must be armed exactly while the session is open"
        );
        check_held(&s.held());
        assert_eq!(s.tls_active(), self.tls_done, "tls_active() disagrees with the handshake");
        if !self.closed {
            assert_eq!(s.user(), self.login.as_deref(), "the server's user is not the one its 235 logged in");
            let want = match (self.tls_pending, self.data, self.mail, self.rcpts) {
                (true, ..) => Some(State::TlsHandshake),
                (_, true, ..) => Some(State::ReceivingData),
                (_, _, true, 0) => Some(State::ExpectRcpt),
                (_, _, true, _) => Some(State::ExpectRcptOrData),
                // Greeted, no transaction: what must come before a message, if anything
                // (RFC 3207 §4, RFC 4954 §6, RFC 6409 §4.3); STARTTLS and AUTH only after EHLO.
                _ if self.auth_waiting || self.setup.no_service => None,
                _ => self.greeted.map(|ehlo| {
                    let clear = self.setup.tls != TlsPolicy::Off && !self.tls_done;
                    let no_user = self.setup.submission && self.login.is_none();
                    let first = if clear
                        && (self.setup.tls == TlsPolicy::Required || (no_user && self.setup.auth_needs_tls))
                    {
                        State::ExpectStartTls
                    } else if no_user {
                        State::ExpectAuth
                    } else {
                        State::ExpectMail
                    };
                    if first != State::ExpectMail && !ehlo { State::ExpectHelo } else { first }
                }),
            };
            if let Some(want) = want {
                assert_eq!(s.server_state(), want, "the server's state after its replies");
            }
            // Not greeted yet: `Greeting` until the server has read a line, then EHLO is
            // what it waits for. Before EHLO every line read gets its reply at once, so a
            // reply besides the greeting means a line was read.
            if self.greeted.is_none() && !self.tls_done && !self.setup.no_service {
                let want = if self.replies > 1 { State::ExpectHelo } else { State::Greeting };
                assert_eq!(s.server_state(), want, "not greeted, after {} replies", self.replies);
            }
        }
        // At most one reply per line, plus the greeting and a 421 per timeout.
        let most = 1 + self.line_ends + self.timeouts;
        assert!(self.replies <= most, "{} replies to {} lines", self.replies, self.line_ends);
        assert!(
            self.reply_bytes <= most * LONGEST_REPLY,
            "{} octets of replies to {} lines",
            self.reply_bytes,
            self.line_ends
        );
    }
}

/// Checks one reply on the wire (RFC 5321 §4.2, §4.2.1, §4.5.3.1.5; RFC 2034 §4) against
/// the code and enhanced code the trace gives it, and returns the text of each line.
fn check_reply(wire: &[u8], code: u16, enhanced: Option<&str>) -> Vec<String> {
    let shown = String::from_utf8_lossy(wire);
    assert!(wire.ends_with(b"\r\n"), "a reply must end with CRLF: {shown:?}");
    let lines: Vec<&[u8]> = wire[..wire.len() - 2].split(|&b| b == b'\n').collect();
    assert!(lines.len() <= LONGEST_REPLY_LINES, "a reply of {} lines: {shown:?}", lines.len());
    let digits = code.to_string();
    let d = digits.as_bytes();
    assert!(
        d.len() == 3 && (b'2'..=b'5').contains(&d[0]) && (b'0'..=b'5').contains(&d[1]),
        "not a reply code (RFC 5321 §4.2.1): {code}"
    );
    let mut texts = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        // Every line but the last lost its CRLF's LF to the split; its CR must be there.
        let line = if last {
            *line
        } else {
            line.strip_suffix(b"\r").unwrap_or_else(|| panic!("a bare LF in a reply: {shown:?}"))
        };
        assert!(line.len() + 2 <= MAX_REPLY_LINE, "a reply line of {} octets: {shown:?}", line.len() + 2);
        assert!(line.starts_with(d), "every line of a reply has its code {code}: {shown:?}");
        let sep = line.get(3).copied();
        let ok = if last { matches!(sep, None | Some(b' ')) } else { sep == Some(b'-') };
        assert!(ok, "`-` after the code on every line but the last, a space on the last: {shown:?}");
        let text = line.get(4..).unwrap_or_default();
        assert!(
            text.iter().all(|&b| b == b'\t' || (32..=126).contains(&b)),
            "reply text must be printable US-ASCII (RFC 5321 §4.2 textstring): {shown:?}"
        );
        let text = String::from_utf8_lossy(text).into_owned();
        let text = match enhanced {
            Some(e) => {
                assert!(
                    e.starts_with(d[0] as char),
                    "enhanced code {e} of another class than {code} (RFC 3463 §2)"
                );
                let rest = text
                    .strip_prefix(e)
                    .unwrap_or_else(|| panic!("every line starts with the enhanced code {e}: {shown:?}"));
                rest.strip_prefix(' ').unwrap_or(rest).to_string()
            }
            None => text,
        };
        texts.push(text);
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_replies_pass() {
        let cases: &[(&str, u16, Option<&str>, &[&str])] = &[
            ("220 mx ESMTP\r\n", 220, None, &["mx ESMTP"]),
            ("250-mx greets c\r\n250 HELP\r\n", 250, None, &["mx greets c", "HELP"]),
            ("334 \r\n", 334, None, &[""]),
            ("250 2.1.0 Sender OK\r\n", 250, Some("2.1.0"), &["Sender OK"]),
        ];
        for (wire, code, enhanced, want) in cases {
            assert_eq!(check_reply(wire.as_bytes(), *code, *enhanced), *want, "{wire:?}");
        }
    }

    /// The checker is only worth something if it fails: each of these must panic.
    #[test]
    fn malformed_replies_are_caught() {
        let long = format!("250 {}\r\n", "x".repeat(600));
        let cases: &[(&str, u16, Option<&str>)] = &[
            ("250 OK", 250, None),
            ("250 OK\n", 250, None),
            ("250-a\r\n251 b\r\n", 250, None),
            ("250 a\r\n250 b\r\n", 250, None),
            ("250-a\r\n250-b\r\n", 250, None),
            ("250 caf\u{e9}\r\n", 250, None),
            ("250 a\rb\r\n", 250, None),
            ("250 \u{1b}[31m\r\n", 250, None),
            ("250 2.1.0 OK\r\n", 251, None),
            ("650 no\r\n", 650, None),
            ("250 OK\r\n", 250, Some("2.0.0")),
            ("250 4.0.0 OK\r\n", 250, Some("4.0.0")),
            (&long, 250, None),
        ];
        for (wire, code, enhanced) in cases {
            let caught = std::panic::catch_unwind(|| check_reply(wire.as_bytes(), *code, *enhanced)).is_err();
            assert!(caught, "{wire:?} passed");
        }
    }
}
