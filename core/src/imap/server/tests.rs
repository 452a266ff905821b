use super::*;

use crate::session::RcptVerdict;

const BOB: &str = "bob@example.net";
const LUNCH: &[u8] =
    b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Lunch\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\nLunch at noon?\r\n";
const NEWS: &[u8] = b"From: news@example.com\r\nSubject: News\r\n\r\nLine one.\r\nLine two.\r\n";
const THIRD: &[u8] = b"From: carol@example.net\r\nSubject: Third\r\n\r\nHi Bob\r\n";

/// A host: Bob's password and a store with three messages in his INBOX.
struct Host {
    store: MailStore,
}

impl Host {
    fn new() -> Host {
        let mut store = MailStore::new();
        store.create_mailbox(BOB).unwrap();
        for m in [LUNCH, NEWS, THIRD] {
            store.deliver(BOB, m, SimTime::ZERO).unwrap();
        }
        Host { store }
    }
}

impl Env for Host {
    fn recipient(&mut self, _client: &str, _rcpt: &str) -> RcptVerdict {
        RcptVerdict::NoSuchUser
    }
    fn check_password(&mut self, user: &str, password: &str) -> bool {
        user.eq_ignore_ascii_case(BOB) && password == "builder"
    }
    fn mail_store(&mut self) -> Option<&mut MailStore> {
        Some(&mut self.store)
    }
}

fn server() -> ImapServer {
    let peer = Peer { addr: "192.0.2.20".into(), name: None };
    ImapServer::new(ImapConfig::new("imap.example.net"), peer, SimTime::ZERO)
}

/// The wire text of everything queued, and whether a close came.
fn drain(s: &mut ImapServer) -> String {
    let mut out = String::new();
    while let Some(o) = s.poll_output() {
        match o {
            Output::Send { bytes, .. } => out.push_str(&String::from_utf8(bytes).unwrap()),
            Output::Close => out.push_str("<close>"),
            Output::Request(r) => panic!("{r:?}"),
        }
    }
    out
}

fn say(s: &mut ImapServer, host: &mut Host, input: &str) -> String {
    s.handle_input(input.as_bytes(), SimTime::ZERO, host);
    drain(s)
}

fn logged_in(host: &mut Host) -> ImapServer {
    let mut s = server();
    drain(&mut s);
    let r = say(&mut s, host, "a LOGIN bob@example.net builder\r\n");
    assert!(r.starts_with("a OK"), "{r}");
    s
}

fn selected(host: &mut Host) -> ImapServer {
    let mut s = logged_in(host);
    let r = say(&mut s, host, "s SELECT INBOX\r\n");
    assert!(r.ends_with("s OK [READ-WRITE] SELECT completed\r\n"), "{r}");
    s
}

#[test]
fn greeting_lists_the_capabilities() {
    let mut s = server();
    assert_eq!(
        drain(&mut s),
        "* OK [CAPABILITY IMAP4rev1 LITERAL- SASL-IR AUTH=PLAIN IDLE MOVE UIDPLUS UNSELECT CHILDREN] imap.example.net IMAP4rev1 server ready\r\n"
    );
    assert_eq!(s.server_state(), State::NotAuthenticated);
}

/// STARTTLS (RFC 3501 §6.2.1) on a server that offers it and takes logins only over TLS:
/// each case what the client writes (`"tls"` where the driver finishes the handshake) and
/// what the server answers to each write (`"<tls>"` where it asks for the handshake).
#[test]
fn starttls() {
    const BEFORE: &str =
        "IMAP4rev1 LITERAL- SASL-IR IDLE MOVE UIDPLUS UNSELECT CHILDREN STARTTLS LOGINDISABLED";
    const AFTER: &str = "IMAP4rev1 LITERAL- SASL-IR AUTH=PLAIN IDLE MOVE UIDPLUS UNSELECT CHILDREN";
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "capabilities before and after",
            &["a CAPABILITY\r\n", "b STARTTLS\r\n", "tls", "c CAPABILITY\r\n"],
            &[
                &format!("* CAPABILITY {BEFORE}\r\na OK CAPABILITY completed\r\n"),
                "b OK Begin TLS negotiation now\r\n<tls>",
                "",
                &format!("* CAPABILITY {AFTER}\r\nc OK CAPABILITY completed\r\n"),
            ],
        ),
        (
            "no login in the clear",
            &[
                "a LOGIN bob@example.net builder\r\n",
                "b AUTHENTICATE PLAIN AGJvYkBleGFtcGxlLm5ldABidWlsZGVy\r\n",
                // Its password in a literal is not invited with `+` (RFC 3501 §7.5).
                "c LOGIN bob@example.net {7}\r\n",
                "d NOOP\r\n",
            ],
            &[
                "a NO [PRIVACYREQUIRED] LOGINDISABLED: log in only over TLS; send STARTTLS first (RFC 3501 section 6.2.3)\r\n",
                "b NO [PRIVACYREQUIRED] LOGINDISABLED: log in only over TLS; send STARTTLS first (RFC 3501 section 6.2.3)\r\n",
                "c NO [PRIVACYREQUIRED] LOGINDISABLED: log in only over TLS; send STARTTLS first (RFC 3501 section 6.2.3)\r\n",
                "d OK NOOP completed\r\n",
            ],
        ),
        (
            "then a login, with the capabilities of a secured session",
            &["a STARTTLS\r\n", "tls", "b LOGIN bob@example.net {7}\r\n", "builder\r\n", "c STARTTLS\r\n"],
            &[
                "a OK Begin TLS negotiation now\r\n<tls>",
                "",
                "+ Ready for literal data\r\n",
                &format!("b OK [CAPABILITY {AFTER}] logged in\r\n"),
                "c BAD STARTTLS only before a login (RFC 3501 section 6.2.1)\r\n",
            ],
        ),
        (
            "plaintext after starttls is discarded, never run",
            &["a STARTTLS\r\nb LOGOUT\r\n", "c NOOP\r\n", "tls", "d NOOP\r\n"],
            &["a OK Begin TLS negotiation now\r\n<tls>", "", "", "d OK NOOP completed\r\n"],
        ),
        (
            "twice",
            &["a STARTTLS\r\n", "tls", "b STARTTLS\r\n"],
            &["a OK Begin TLS negotiation now\r\n<tls>", "", "b BAD TLS is already active\r\n"],
        ),
    ];
    for (name, writes, want) in cases {
        let mut host = Host::new();
        let mut config = ImapConfig::new("imap.example.net");
        config.tls = true;
        config.login_needs_tls = true;
        let mut s = ImapServer::new(config, Peer { addr: "192.0.2.20".into(), name: None }, SimTime::ZERO);
        let take = |s: &mut ImapServer| {
            let mut out = String::new();
            while let Some(o) = s.poll_output() {
                match o {
                    Output::Send { bytes, .. } => out.push_str(&String::from_utf8(bytes).unwrap()),
                    Output::Request(Request::StartTls) => out.push_str("<tls>"),
                    Output::Request(r) => panic!("{r:?}"),
                    Output::Close => out.push_str("<close>"),
                }
            }
            out
        };
        let greeting = take(&mut s);
        assert!(greeting.starts_with(&format!("* OK [CAPABILITY {BEFORE}] ")), "{greeting}");
        let mut got = Vec::new();
        for w in *writes {
            if *w == "tls" {
                s.handle_tls(SimTime::ZERO);
                assert!(s.tls_active(), "{name}");
            } else {
                s.handle_input(w.as_bytes(), SimTime::ZERO, &mut host);
            }
            got.push(take(&mut s));
        }
        assert_eq!(got, *want, "{name}");
    }
    // Not offered: BAD, and the capabilities do not list it.
    let mut host = Host::new();
    let mut s = server();
    assert!(!drain(&mut s).contains("STARTTLS"));
    assert_eq!(say(&mut s, &mut host, "a STARTTLS\r\n"), "a BAD STARTTLS is not offered here\r\n");
}

#[test]
fn conformance_13_wrong_state_and_unknown_commands() {
    let mut host = Host::new();
    let mut s = server();
    drain(&mut s);
    let cases = [
        ("a1 FETCH 1 FLAGS\r\n", "a1 BAD FETCH needs a login first"),
        ("a2 FROB\r\n", "a2 BAD unknown command FROB"),
        ("a3 LOGIN bob@example.net wrong\r\n", "a3 NO [AUTHENTICATIONFAILED]"),
        ("a4 LOGIN bob@example.net builder\r\n", "a4 OK [CAPABILITY"),
        ("a5 FETCH 1 FLAGS\r\n", "a5 BAD FETCH needs a selected mailbox"),
        ("a6 FROB\r\n", "a6 BAD unknown command FROB"),
        ("a7 LOGIN bob@example.net builder\r\n", "a7 BAD already logged in"),
        ("\r\n", "* BAD a command starts with a tag"),
        ("a8 NOOP extra\r\n", "a8 BAD unexpected text at the end"),
        ("a9  NOOP\r\n", "a9 BAD expected a command"),
    ];
    for (input, want) in cases {
        let got = say(&mut s, &mut host, input);
        assert!(got.starts_with(want), "{input:?}: {got}");
    }
}

#[test]
fn conformance_14_select_and_examine() {
    let mut host = Host::new();
    let mut s = logged_in(&mut host);
    assert_eq!(
        say(&mut s, &mut host, "s SELECT inbox\r\n"),
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
         * 3 EXISTS\r\n\
         * 3 RECENT\r\n\
         * OK [UNSEEN 1] message 1 is the first unseen\r\n\
         * OK [UIDVALIDITY 1] UIDs valid\r\n\
         * OK [UIDNEXT 4] predicted next UID\r\n\
         * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] flags that can be changed\r\n\
         s OK [READ-WRITE] SELECT completed\r\n"
    );
    assert_eq!(s.server_state(), State::Selected { read_only: false, idle: false });
    // A second session: the messages are no longer recent for it (RFC 3501 §2.3.2); EXAMINE
    // is read-only, and a body fetch there does not set \Seen.
    let mut t = logged_in(&mut host);
    let r = say(&mut t, &mut host, "e EXAMINE INBOX\r\n");
    assert!(r.contains("* 0 RECENT\r\n") && r.contains("[PERMANENTFLAGS ()]"), "{r}");
    assert!(r.ends_with("e OK [READ-ONLY] EXAMINE completed\r\n"), "{r}");
    let r = say(&mut t, &mut host, "f FETCH 1 (BODY[TEXT] FLAGS)\r\n");
    assert_eq!(r, "* 1 FETCH (BODY[TEXT] {16}\r\nLunch at noon?\r\n FLAGS ())\r\nf OK FETCH completed\r\n");
    let r = say(&mut t, &mut host, "g STORE 1 +FLAGS (\\Seen)\r\n");
    assert!(r.starts_with("g NO [READ-ONLY]"), "{r}");
    // In the read-write session the same fetch sets \Seen and says so.
    let r = say(&mut s, &mut host, "f FETCH 1 BODY[TEXT]\r\n");
    assert_eq!(
        r,
        "* 1 FETCH (BODY[TEXT] {16}\r\nLunch at noon?\r\n FLAGS (\\Seen \\Recent))\r\nf OK FETCH completed\r\n"
    );
    // The examining session learns of it after its next command.
    let r = say(&mut t, &mut host, "n NOOP\r\n");
    assert_eq!(r, "* 1 FETCH (FLAGS (\\Seen))\r\nn OK NOOP completed\r\n");
}

#[test]
fn conformance_15_an_absurd_literal_is_refused_without_continuation() {
    let mut host = Host::new();
    let mut s = logged_in(&mut host);
    let r = say(&mut s, &mut host, "a APPEND INBOX {99999999999999999999}\r\n");
    assert!(r.starts_with("a NO [TOOBIG]"), "{r}");
    assert!(!r.contains("+ "), "no continuation");
    assert!(s.held() < 100, "nothing big held");
    let r = say(&mut s, &mut host, "b APPEND INBOX {10485761}\r\n");
    assert!(r.starts_with("b NO [TOOBIG]"), "{r}");
    // The session still works.
    assert_eq!(say(&mut s, &mut host, "c NOOP\r\n"), "c OK NOOP completed\r\n");
    // A literal within the limit gets its `+`.
    assert_eq!(say(&mut s, &mut host, "d APPEND Drafts (\\Draft) {5}\r\n"), "+ Ready for literal data\r\n");
    let r = say(&mut s, &mut host, "hello\r\n");
    assert_eq!(r, "d OK [APPENDUID 3 1] APPEND completed\r\n");
    // A non-synchronising literal over the limit: BAD, its octets skipped, never commands.
    let r = say(&mut s, &mut host, "e APPEND INBOX {10000+}\r\n");
    assert!(r.starts_with("e BAD [TOOBIG]"), "{r}");
    let smuggled = "x LOGOUT\r\n".repeat(1000);
    assert_eq!(say(&mut s, &mut host, &smuggled), "");
    // The command goes on after the literal to its CRLF; that too is skipped.
    assert_eq!(say(&mut s, &mut host, " rest of it\r\n"), "");
    assert_eq!(say(&mut s, &mut host, "f NOOP\r\n"), "f OK NOOP completed\r\n");
    // Small literals that together pass the command's limit: the reply names that limit,
    // not only the one each of them keeps to.
    let many = format!("g SEARCH{}\r\n", format!(" TEXT {{4000+}}\r\n{}", "z".repeat(4000)).repeat(10));
    let r = say(&mut s, &mut host, &many);
    assert!(r.starts_with("g BAD [TOOBIG]") && r.contains("16384 for a command with its literals"), "{r}");
    assert_eq!(say(&mut s, &mut host, "h NOOP\r\n"), "h OK NOOP completed\r\n");
    // APPEND's message may be larger than 4096 octets in a synchronising literal: RFC 7888
    // §5 bounds only `{n+}`.
    let mut draft = b"Subject: long\r\n\r\n".to_vec();
    draft.resize(5000, b'x');
    assert_eq!(say(&mut s, &mut host, "p APPEND Drafts {5000}\r\n"), "+ Ready for literal data\r\n");
    s.handle_input(&draft, SimTime::ZERO, &mut host);
    assert_eq!(say(&mut s, &mut host, "\r\n"), "p OK [APPENDUID 3 2] APPEND completed\r\n");
    assert_eq!(host.store.folder(BOB, "Drafts").unwrap().messages()[1].bytes.len(), 5000);
    // An uncountable one ends the session.
    let r = say(&mut s, &mut host, "g APPEND INBOX {99999999999999999999+}\r\n");
    assert!(r.starts_with("* BYE") && r.ends_with("<close>"), "{r}");
}

#[test]
fn conformance_16_expunge_renumbers_highest_first() {
    let mut host = Host::new();
    let mut s = selected(&mut host);
    let r = say(&mut s, &mut host, "a STORE 1,3 +FLAGS.SILENT (\\Deleted)\r\nb EXPUNGE\r\n");
    assert_eq!(r, "a OK STORE completed\r\n* 3 EXPUNGE\r\n* 1 EXPUNGE\r\nb OK EXPUNGE completed\r\n");
    let r = say(&mut s, &mut host, "c FETCH 1:* (UID FLAGS)\r\n");
    assert_eq!(r, "* 1 FETCH (UID 2 FLAGS (\\Recent))\r\nc OK FETCH completed\r\n");
}

#[test]
fn conformance_17_idle_gets_new_mail_at_once() {
    let mut host = Host::new();
    let mut s = selected(&mut host);
    assert_eq!(say(&mut s, &mut host, "i IDLE\r\n"), "+ idling\r\n");
    assert_eq!(s.server_state(), State::Selected { read_only: false, idle: true });
    host.store.deliver(BOB, &b"Subject: new\r\n\r\nhi\r\n"[..], SimTime::ZERO).unwrap();
    s.handle_store_change(SimTime::ZERO, &mut host);
    assert_eq!(drain(&mut s), "* 4 EXISTS\r\n* 4 RECENT\r\n");
    // Only DONE may come now.
    assert_eq!(
        say(&mut s, &mut host, "x NOOP\r\n"),
        "* BAD expected DONE to end IDLE (RFC 2177 section 3)\r\n"
    );
    assert_eq!(say(&mut s, &mut host, "done\r\n"), "i OK IDLE terminated\r\n");
    assert_eq!(s.server_state(), State::Selected { read_only: false, idle: false });
}

/// A session idling on a large INBOX hears of each delivery by a lookup, not a walk over the
/// folder (mailroom-serve under load, issue 10: it took seconds per thousand messages at
/// 20,000 stored, and grew with them); flags another session changes meanwhile still reach it.
#[test]
fn idle_on_a_large_folder_costs_the_same_per_delivery() {
    const HELD: u32 = 10_000;
    let mut host = Host::new();
    let message: std::rc::Rc<[u8]> = b"Subject: load\r\n\r\nhi\r\n".as_slice().into();
    for _ in 0..HELD {
        host.store.deliver(BOB, std::rc::Rc::clone(&message), SimTime::ZERO).unwrap();
    }
    let mut s = selected(&mut host);
    let mut other = selected(&mut host);
    assert_eq!(say(&mut s, &mut host, "i IDLE\r\n"), "+ idling\r\n");
    let t = std::time::Instant::now();
    for i in 1..=HELD {
        host.store.deliver(BOB, std::rc::Rc::clone(&message), SimTime::ZERO).unwrap();
        s.handle_store_change(SimTime::ZERO, &mut host);
        let n = 3 + HELD + i;
        let mut want = format!("* {n} EXISTS\r\n* {n} RECENT\r\n");
        if i % 1000 == 0 {
            say(&mut other, &mut host, &format!("f STORE {i} +FLAGS (\\Flagged)\r\n"));
            s.handle_store_change(SimTime::ZERO, &mut host);
            want.push_str(&format!("* {i} FETCH (FLAGS (\\Flagged \\Recent))\r\n"));
        }
        assert_eq!(drain(&mut s), want, "delivery {i}");
    }
    assert!(t.elapsed() < std::time::Duration::from_secs(3), "{:?}", t.elapsed());
}

#[test]
fn two_sessions_learn_each_others_changes_only_when_allowed() {
    let mut host = Host::new();
    let mut a = selected(&mut host);
    let mut b = selected(&mut host);
    // A deletes message 2 and expunges.
    let r = say(&mut a, &mut host, "1 STORE 2 +FLAGS (\\Deleted)\r\n2 EXPUNGE\r\n");
    assert_eq!(
        r,
        "* 2 FETCH (FLAGS (\\Deleted \\Recent))\r\n1 OK STORE completed\r\n* 2 EXPUNGE\r\n2 OK EXPUNGE completed\r\n"
    );
    // B hears nothing until it sends a command; a FETCH may not carry the EXPUNGE
    // (RFC 9051 §7.5.1), so message 2 still counts there, and its data is gone.
    assert_eq!(drain(&mut b), "");
    let r = say(&mut b, &mut host, "f FETCH 2:3 UID\r\n");
    assert_eq!(
        r,
        "* 3 FETCH (UID 3)\r\nf NO [EXPUNGEISSUED] some of the messages were expunged by another session\r\n"
    );
    let r = say(&mut b, &mut host, "s SEARCH ALL\r\n");
    assert_eq!(r, "* SEARCH 1 3\r\ns OK SEARCH completed\r\n");
    let r = say(&mut b, &mut host, "t STORE 3 +FLAGS (\\Flagged)\r\n");
    assert_eq!(r, "* 3 FETCH (FLAGS (\\Flagged))\r\nt OK STORE completed\r\n");
    // NOOP may: now B renumbers.
    assert_eq!(say(&mut b, &mut host, "n NOOP\r\n"), "* 2 EXPUNGE\r\nn OK NOOP completed\r\n");
    // A learns of B's flag after its next command, by A's numbers.
    assert_eq!(
        say(&mut a, &mut host, "n NOOP\r\n"),
        "* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\nn OK NOOP completed\r\n"
    );
    // UID commands may carry EXPUNGE.
    say(&mut a, &mut host, "d STORE 1 +FLAGS.SILENT (\\Deleted)\r\ne EXPUNGE\r\n");
    assert_eq!(
        say(&mut b, &mut host, "u UID FETCH 3 UID\r\n"),
        "* 1 EXPUNGE\r\n* 1 FETCH (UID 3)\r\nu OK UID FETCH completed\r\n"
    );
}

/// RFC 3501 §6.4.8: UID FETCH and UID STORE ignore UIDs that are not there, also when
/// another session expunged them; the EXPUNGE comes first, as the UID forms allow. The
/// sequence forms keep EXPUNGEISSUED (RFC 2180 §4.1).
#[test]
fn uid_commands_ignore_uids_expunged_by_another_session() {
    // (commands of B after A expunged UID 2, what B hears)
    let cases: [(&str, &str); 4] = [
        (
            "u UID FETCH 1:3 FLAGS\r\n",
            "* 2 EXPUNGE\r\n* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 3 FLAGS ())\r\nu OK UID FETCH completed\r\n",
        ),
        ("v UID STORE 2 +FLAGS (\\Seen)\r\n", "* 2 EXPUNGE\r\nv OK UID STORE completed\r\n"),
        ("w UID FETCH 2 UID\r\n", "* 2 EXPUNGE\r\nw OK UID FETCH completed\r\n"),
        (
            "f FETCH 2 UID\r\n",
            "f NO [EXPUNGEISSUED] some of the messages were expunged by another session\r\n",
        ),
    ];
    for (cmd, want) in cases {
        let mut host = Host::new();
        let mut a = selected(&mut host);
        let mut b = selected(&mut host);
        say(&mut a, &mut host, "1 STORE 2 +FLAGS (\\Deleted)\r\n2 EXPUNGE\r\n");
        assert_eq!(say(&mut b, &mut host, cmd), want, "{cmd}");
    }
}

/// RFC 3501 §7.4.2: FETCH FLAGS may come at any time, so a command on the selected
/// messages first learns the flags other sessions set; one response never contradicts
/// itself (SEARCH UNSEEN then FETCH FLAGS).
#[test]
fn search_and_fetch_see_flags_set_by_another_session() {
    let cases: [(&str, &str); 3] = [
        ("s SEARCH UNSEEN\r\n", "* 1 FETCH (FLAGS (\\Seen))\r\n* SEARCH 2 3\r\ns OK SEARCH completed\r\n"),
        (
            "s UID SEARCH SEEN\r\n",
            "* 1 FETCH (FLAGS (\\Seen))\r\n* SEARCH 1\r\ns OK UID SEARCH completed\r\n",
        ),
        (
            "f FETCH 1 FLAGS\r\n",
            "* 1 FETCH (FLAGS (\\Seen))\r\n* 1 FETCH (FLAGS (\\Seen))\r\nf OK FETCH completed\r\n",
        ),
    ];
    for (cmd, want) in cases {
        let mut host = Host::new();
        let mut a = selected(&mut host);
        let mut b = logged_in(&mut host);
        // B opens INBOX read-only, so A's session holds the \Recent flags.
        say(&mut b, &mut host, "e EXAMINE INBOX\r\n");
        say(&mut a, &mut host, "1 STORE 1 +FLAGS (\\Seen)\r\n");
        assert_eq!(say(&mut b, &mut host, cmd), want, "{cmd}");
    }
}

#[test]
fn garbage_never_panics_and_never_grows() {
    for start in ["", "a LOGIN bob@example.net builder\r\ns SELECT INBOX\r\n"] {
        let mut host = Host::new();
        let mut s = server();
        s.handle_input(start.as_bytes(), SimTime::ZERO, &mut host);
        let pieces: [&[u8]; 12] = [
            b"\r\n",
            b"\n",
            b" ",
            b"{",
            b"}",
            b"+",
            b"5",
            b"a FETCH 1:* (BODY[] FLAGS)",
            b"x STORE 1 +FLAGS (\\Deleted)",
            b"e EXPUNGE",
            b"i IDLE",
            b"DONE",
        ];
        let mut seed = 12345u64;
        for _ in 0..3000 {
            let mut chunk = Vec::new();
            for _ in 0..8 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                match (seed >> 33) % 4 {
                    0 => chunk.push((seed >> 40) as u8),
                    _ => chunk.extend_from_slice(pieces[(seed >> 40) as usize % pieces.len()]),
                }
            }
            s.handle_input(&chunk, SimTime::ZERO, &mut host);
            drain(&mut s);
            assert!(s.held() <= command::MAX_COMMAND + command::MAX_LINE + 96, "{}", s.held());
            if s.is_closed() {
                s = server();
            }
        }
        assert!(host.store.folder(BOB, "INBOX").is_ok());
    }
}

/// AUTHENTICATE PLAIN (RFC 3501 §6.2.2, RFC 4616 §2, RFC 4959 for the initial response):
/// a well-formed answer that does not log in is NO with a response code (RFC 5530 §3), a
/// cancelled exchange or an answer that is no base64 BAD.
#[test]
fn authenticate_plain_fails_with_no_and_is_refused_with_bad() {
    let cases = [
        ("a AUTHENTICATE PLAIN AGJvYkBleGFtcGxlLm5ldABidWlsZGVy\r\n", "a OK [CAPABILITY"),
        // Bob's name and password, asking to act as Alice.
        (
            "a AUTHENTICATE PLAIN YWxpY2VAZXhhbXBsZS5vcmcAYm9iQGV4YW1wbGUubmV0AGJ1aWxkZXI=\r\n",
            "a NO [AUTHORIZATIONFAILED] you may not act as another user",
        ),
        // The same with a wrong password: no telling that the name and the password fit.
        (
            "a AUTHENTICATE PLAIN YWxpY2VAZXhhbXBsZS5vcmcAYm9iQGV4YW1wbGUubmV0AHdyb25n\r\n",
            "a NO [AUTHENTICATIONFAILED] invalid user name or password",
        ),
        ("a AUTHENTICATE PLAIN AGJvYkBleGFtcGxlLm5ldAB3cm9uZw==\r\n", "a NO [AUTHENTICATIONFAILED]"),
        // `=`: an empty initial response, which is no PLAIN message.
        ("a AUTHENTICATE PLAIN =\r\n", "a NO [AUTHENTICATIONFAILED] PLAIN wants base64"),
        ("a AUTHENTICATE PLAIN bm8gbnVscw==\r\n", "a NO [AUTHENTICATIONFAILED] PLAIN wants base64"),
        ("a AUTHENTICATE PLAIN !!\r\n", "a BAD expected a base64 initial response"),
        ("a AUTHENTICATE PLAIN\r\nYQ\r\n", "+ \r\na BAD not base64"),
        ("a AUTHENTICATE PLAIN\r\n*\r\n", "+ \r\na BAD AUTHENTICATE cancelled"),
    ];
    for (input, want) in cases {
        let mut host = Host::new();
        let mut s = server();
        drain(&mut s);
        let got = say(&mut s, &mut host, input);
        assert!(got.starts_with(want), "{input}: {got}");
    }
}

/// RFC 3501 §6.2.2: a refused line (too long, bare LF) in answer to AUTHENTICATE, or
/// during IDLE, ends that command with its own tag, and the session reads commands again.
#[test]
fn a_refused_line_ends_authenticate_and_idle_with_their_tag() {
    let long = format!("{}\r\n", "A".repeat(9000));
    let cases: [(&str, &str, &str); 4] = [
        ("x AUTHENTICATE PLAIN\r\n", &long, "x BAD line too long"),
        ("x AUTHENTICATE PLAIN\r\n", "AGJvYgBidWlsZGVy\n\r\n", "x BAD a bare LF inside the line"),
        ("i IDLE\r\n", &long, "i BAD line too long"),
        ("i IDLE\r\n", "DONE\nDONE\r\n", "i BAD a bare LF inside the line"),
    ];
    for (start, line, want) in cases {
        let mut host = Host::new();
        let mut s = if start.contains("IDLE") { selected(&mut host) } else { server() };
        drain(&mut s);
        let r = say(&mut s, &mut host, start);
        assert!(r.starts_with('+'), "{r}");
        let r = say(&mut s, &mut host, line);
        assert!(r.starts_with(want), "{start}: {r}");
        assert_eq!(say(&mut s, &mut host, "y NOOP\r\n"), "y OK NOOP completed\r\n", "{start}");
        assert!(!matches!(s.server_state(), State::Selected { idle: true, .. }));
    }
}

/// DELETE of the selected mailbox is refused whatever case its INBOX level is written in
/// (the store reads `inbox/x` as `INBOX/x`); before, the session deleted its own mailbox
/// and was told `* BYE` "deleted by another session". Found by the invariants of the fuzz
/// target `imap_server` on an input written by hand.
#[test]
fn delete_of_the_selected_mailbox_is_refused_in_any_case_of_inbox() {
    for (folder, delete) in [("INBOX/x", "inbox/x"), ("INBOX/x", "Inbox/x"), ("INBOX", "inbox")] {
        let mut host = Host::new();
        let mut s = logged_in(&mut host);
        say(&mut s, &mut host, &format!("a CREATE {folder}\r\nb SELECT {folder}\r\n"));
        let r = say(&mut s, &mut host, &format!("c DELETE {delete}\r\n"));
        assert!(
            r.starts_with("c NO [INUSE]") || (folder == "INBOX" && r.starts_with("c NO [CANNOT]")),
            "{folder}: {r}"
        );
        assert!(host.store.folder(BOB, folder).is_ok(), "{folder}");
        assert_eq!(say(&mut s, &mut host, "d NOOP\r\n"), "d OK NOOP completed\r\n", "{folder}");
    }
}

/// A text that quotes the client never carries its control characters: CR LF from a
/// literal would end the line and forge a response (RFC 3501 §9 text); they are shown
/// escaped. Found by the fuzz target `imap_server`.
#[test]
fn texts_that_quote_the_client_escape_control_characters() {
    let cases: [(&str, &str); 4] = [
        (
            "b STATUS {12}\r\nx\r\n* BYE bad (MESSAGES)\r\n",
            "b NO [NONEXISTENT] there is no folder named \"x\\r\\n* BYE bad\"\r\n",
        ),
        (
            "b STATUS \"a\x06b\" (MESSAGES)\r\n",
            "b NO [NONEXISTENT] there is no folder named \"a\\u{6}b\"\r\n",
        ),
        (
            "b CREATE \"a\x1b[2Jb\"\r\n",
            "b NO [CANNOT] \"a\\u{1b}[2Jb\" cannot be a folder name: it contains a control character\r\n",
        ),
        (
            "b SELECT INBOX\r\nc SEARCH CHARSET {3}\r\nx\r\n ALL\r\n",
            "c NO [BADCHARSET (US-ASCII UTF-8)] charset x\\r\\n is not supported (RFC 3501 section 6.4.4)\r\n",
        ),
    ];
    for (input, want) in cases {
        let mut host = Host::new();
        let mut s = logged_in(&mut host);
        let r = say(&mut s, &mut host, input);
        assert!(r.ends_with(want), "{input:?}: {r:?}");
        assert_eq!(r.matches("\r\n").count(), r.lines().count(), "{input:?}: {r:?}");
    }
}

/// Response texts are 7-bit US-ASCII (IMAP4rev1's text, RFC 3501 §9; 8-bit only after the
/// client's ENABLE UTF8=ACCEPT, RFC 6855 §3, which this server does not offer): the server's
/// own citations say "section", and what a text quotes of the client (a mailbox name sent
/// as a literal of UTF-8) is shown escaped. Before, `§` went out as its two UTF-8 octets.
#[test]
fn response_texts_are_7bit_ascii() {
    let cases: [(bool, &str, &str); 9] = [
        (true, "b IDLE\r\nDONE x\r\n", "* BAD expected DONE to end IDLE (RFC 2177 section 3)\r\n"),
        (
            false,
            "b FETCH 1 FLAGS\r\n",
            "b BAD FETCH needs a selected mailbox: SELECT one first (RFC 3501 section 6.4)\r\n",
        ),
        (
            false,
            "b LOGIN bob@example.net builder\r\n",
            "b BAD already logged in (RFC 3501 section 6.2: only in the not authenticated state)\r\n",
        ),
        (
            false,
            "b STATUS {5}\r\n\u{c9}t\u{e9} (MESSAGES)\r\n",
            "b NO [NONEXISTENT] there is no folder named \"\\u{c9}t\\u{e9}\"\r\n",
        ),
        // A folder of that name is not made: it would sit beside &AMk-t&AOk-. Typed as an
        // atom too, as a student would.
        (
            false,
            "b CREATE {5}\r\n\u{c9}t\u{e9}\r\n",
            "b NO [CANNOT] \"\\u{c9}t\\u{e9}\" cannot be a folder name: a folder name is 7-bit",
        ),
        (
            false,
            "b CREATE Caf\u{e9}\r\n",
            "b BAD a mailbox name is 7-bit: other letters in modified UTF-7, &AOk- for an e acute",
        ),
        // 7-bit, but not modified UTF-7: a & alone (RFC 3501 §5.1.3), as a real client
        // that forgot to encode it would send it.
        (
            false,
            "b CREATE \"bad&\"\r\n",
            "b NO [CANNOT] \"bad&\" cannot be a folder name: & begins a run of other letters in modified UTF-7, ended by -; a & itself is &-",
        ),
        (false, "b CREATE \"Tom &- Jerry\"\r\n", "b OK CREATE completed"),
        (
            false,
            &format!("b NOOP {}\r\n", "x".repeat(9000)),
            "b BAD line too long: at most 8192 octets a line",
        ),
    ];
    for (select, input, want) in cases {
        let mut host = Host::new();
        let mut s = if select { selected(&mut host) } else { logged_in(&mut host) };
        let r = say(&mut s, &mut host, input);
        assert!(r.contains(want), "{input:?}: {r:?}");
        assert!(r.is_ascii(), "{input:?}: {r:?}");
    }
}

/// RFC822.SIZE is the size of the message in RFC 5322 format, CRLF line ends (RFC 9051
/// §2.3.4, §7.5.2), and BODY[] sends exactly that many octets. APPEND stored bytes as they
/// came: `Subject: bare<LF><LF>...` went out with bare LFs and its RFC822.SIZE counted them
/// as one octet each (28, where the message in RFC 5322 format has 31). A missing last line
/// end is allowed in RFC 5322 and kept.
#[test]
fn rfc822_size_is_the_octets_body_sends_in_rfc5322_format() {
    let cases: [(&[u8], &[u8]); 4] = [
        (b"Subject: bare\n\nline1\nline2\r\n", b"Subject: bare\r\n\r\nline1\r\nline2\r\n"),
        (b"Subject: crlf\r\n\r\nline1\r\n", b"Subject: crlf\r\n\r\nline1\r\n"),
        (b"Subject: no end\r\n\r\nlast", b"Subject: no end\r\n\r\nlast"),
        (b"Subject: bare, no end\n\nlast", b"Subject: bare, no end\r\n\r\nlast"),
    ];
    for (appended, want) in cases {
        let mut host = Host::new();
        let mut s = logged_in(&mut host);
        let mut input = format!("b APPEND INBOX {{{}+}}\r\n", appended.len()).into_bytes();
        input.extend_from_slice(appended);
        input.extend_from_slice(b"\r\nc SELECT INBOX\r\nd FETCH 4 (RFC822.SIZE BODY.PEEK[])\r\n");
        s.handle_input(&input, SimTime::ZERO, &mut host);
        let r = drain(&mut s);
        let shown = String::from_utf8_lossy(appended);
        let fetch = r.split("* 4 FETCH (").nth(1).unwrap_or_else(|| panic!("{shown}: {r}"));
        let size: usize =
            fetch.strip_prefix("RFC822.SIZE ").unwrap().split(' ').next().unwrap().parse().unwrap();
        let (n, rest) = fetch.split_once("BODY[] {").unwrap().1.split_once("}\r\n").unwrap();
        let body = &rest.as_bytes()[..n.parse::<usize>().unwrap()];
        assert_eq!((size, body), (want.len(), want), "{shown}");
    }
}

/// APPEND's date-time becomes the message's internal date as given (RFC 3501 §6.3.11),
/// years before the simulation began too, and FETCH gives it back in the zone it was given
/// in; SEARCH's BEFORE, ON and SINCE compare its day in that zone (§6.4.4: "disregarding
/// time and timezone"). Without a date, now (the simulation's start here), in UTC.
#[test]
fn an_appended_message_keeps_the_date_it_was_given() {
    // (the date-time given, the INTERNALDATE fetched, a SEARCH key it matches, one it does not)
    let cases = [
        ("01-Jan-2020 12:00:00 -0500", "01-Jan-2020 12:00:00 -0500", "ON 1-Jan-2020", "SINCE 2-Jan-2020"),
        // 04:30 UTC on the 2nd, but the 1st where it was written.
        ("01-Jan-2020 23:30:00 -0500", "01-Jan-2020 23:30:00 -0500", "ON 1-Jan-2020", "ON 2-Jan-2020"),
        (
            " 7-Mar-1999 08:05:09 +0530",
            "07-Mar-1999 08:05:09 +0530",
            "BEFORE 8-Mar-1999",
            "BEFORE 7-Mar-1999",
        ),
        (
            "31-Dec-2030 00:00:00 +0000",
            "31-Dec-2030 00:00:00 +0000",
            "SINCE 31-Dec-2030",
            "BEFORE 31-Dec-2030",
        ),
        ("29-Feb-2024 16:45:00 -0930", "29-Feb-2024 16:45:00 -0930", "ON 29-Feb-2024", "ON 1-Mar-2024"),
        // Before 1970: a negative count of seconds, its day still the one written.
        ("31-Dec-1969 23:00:00 -0100", "31-Dec-1969 23:00:00 -0100", "ON 31-Dec-1969", "SINCE 1-Jan-1970"),
        (
            "01-Jan-1970 00:10:00 -0030",
            "01-Jan-1970 00:10:00 -0030",
            "BEFORE 2-Jan-1970",
            "BEFORE 1-Jan-1970",
        ),
    ];
    for (given, want, matches, misses) in cases {
        let mut host = Host::new();
        let mut s = logged_in(&mut host);
        let r = say(&mut s, &mut host, &format!("b APPEND INBOX \"{given}\" {{2+}}\r\nhi\r\n"));
        assert!(r.starts_with("b OK [APPENDUID"), "{given}: {r}");
        say(&mut s, &mut host, "c SELECT INBOX\r\n");
        let r = say(&mut s, &mut host, "d FETCH 4 INTERNALDATE\r\n");
        assert!(r.starts_with(&format!("* 4 FETCH (INTERNALDATE \"{want}\")\r\n")), "{given}: {r}");
        let found = |key: &str, s: &mut ImapServer, host: &mut Host| {
            let r = say(s, host, &format!("e SEARCH {key}\r\n"));
            r.lines().next().unwrap_or_default().split(' ').any(|n| n == "4")
        };
        assert!(found(matches, &mut s, &mut host), "{given}: {matches}");
        assert!(!found(misses, &mut s, &mut host), "{given}: {misses}");
    }
    // No date: now, in UTC. A zone's minutes are under 60.
    let mut host = Host::new();
    let mut s = logged_in(&mut host);
    say(&mut s, &mut host, "b APPEND INBOX {2+}\r\nhi\r\n");
    let r = say(&mut s, &mut host, "b APPEND INBOX \"01-Jan-2020 12:00:00 +0160\" {2+}\r\nhi\r\n");
    assert!(r.contains("BAD") && r.contains("date-time"), "{r}");
    say(&mut s, &mut host, "c SELECT INBOX\r\n");
    let r = say(&mut s, &mut host, "d FETCH 4 INTERNALDATE\r\n");
    assert!(r.starts_with("* 4 FETCH (INTERNALDATE \"30-Nov-2026 09:00:00 +0000\")"), "{r}");
}

/// Body section data is always a literal, however short (RFC 3501 §7.4.2; curl needs it);
/// ENVELOPE keeps quoted strings.
#[test]
fn body_data_is_always_a_literal() {
    let cases: [(&str, &str); 4] = [
        ("f FETCH 3 BODY.PEEK[TEXT]\r\n", "* 3 FETCH (BODY[TEXT] {8}\r\nHi Bob\r\n)\r\n"),
        ("f FETCH 1 BODY.PEEK[]<0.4>\r\n", "* 1 FETCH (BODY[]<0> {4}\r\nFrom)\r\n"),
        (
            "f FETCH 3 RFC822.TEXT\r\n",
            "* 3 FETCH (RFC822.TEXT {8}\r\nHi Bob\r\n FLAGS (\\Seen \\Recent))\r\n",
        ),
        ("f FETCH 3 BODY.PEEK[1]<4.9>\r\n", "* 3 FETCH (BODY[1]<4> {4}\r\nob\r\n)\r\n"),
    ];
    for (cmd, want) in cases {
        let mut host = Host::new();
        let mut s = selected(&mut host);
        let r = say(&mut s, &mut host, cmd);
        assert_eq!(r, format!("{want}f OK FETCH completed\r\n"), "{cmd}");
    }
    let mut host = Host::new();
    let mut s = selected(&mut host);
    let r = say(&mut s, &mut host, "e FETCH 3 ENVELOPE\r\n");
    assert!(r.contains("\"Third\""), "{r}");
}

/// SEARCH TEXT and BODY cost time linear in the message and the needle: a 4096-octet
/// needle of a's on a megabyte of a's answers at once (it took 20 s).
#[test]
fn search_text_is_linear() {
    let mut host = Host::new();
    let mut m = b"Subject: a\r\n\r\n".to_vec();
    m.extend(std::iter::repeat_n(b'a', 1_000_000));
    host.store.deliver(BOB, m, SimTime::ZERO).unwrap();
    let mut s = selected(&mut host);
    let t = std::time::Instant::now();
    for (needle, want) in
        [(format!("{}b", "a".repeat(4095)), "* SEARCH\r\n"), ("A".repeat(4096), "* SEARCH 4\r\n")]
    {
        let r = say(&mut s, &mut host, &format!("s SEARCH TEXT {{4096+}}\r\n{needle}\r\n"));
        assert_eq!(r, format!("{want}s OK SEARCH completed\r\n"));
    }
    assert!(t.elapsed() < std::time::Duration::from_secs(3), "{:?}", t.elapsed());
    // Still a substring search, case-insensitive, with overlaps.
    for (hay, needle, want) in [
        ("aabaabaaab", "AAAB", true),
        ("abcabd", "abd", true),
        ("abcab", "abd", false),
        ("", "", true),
        ("x", "xy", false),
    ] {
        assert_eq!(contains_ci(hay.as_bytes(), needle), want, "{hay} {needle}");
    }
}

/// LIST with thousands of wildcards costs little (RFC 3501 §6.3.8 wildcards; runs
/// collapsed); it still matches as before.
#[test]
fn list_patterns_of_many_wildcards_are_cheap() {
    let mut host = Host::new();
    let mut s = logged_in(&mut host);
    for i in 0..240 {
        let name = format!("{i:03}{}", "n".repeat(250));
        assert!(say(&mut s, &mut host, &format!("c CREATE {name}\r\n")).contains("c OK"));
    }
    let t = std::time::Instant::now();
    let r = say(&mut s, &mut host, &format!("l LIST \"\" \"{}q\"\r\n", "%*".repeat(4000)));
    assert_eq!(r, "l OK LIST completed\r\n");
    let r = say(&mut s, &mut host, &format!("l LIST \"\" \"{}\"\r\n", "n*".repeat(4000)));
    assert_eq!(r, "l OK LIST completed\r\n");
    assert!(t.elapsed() < std::time::Duration::from_secs(3), "{:?}", t.elapsed());
    let cases = [
        ("*", "a/b", true),
        ("%", "a/b", false),
        ("a%%", "a/b", false),
        ("a%*%", "a/b", true),
        ("inbox/%", "INBOX/x", true),
        ("%/%", "a/b", true),
        ("a*b*c", "abc", true),
        ("abcd", "abc", false),
    ];
    for (pat, name, want) in cases {
        assert_eq!(wildmatch(pat.as_bytes(), name.as_bytes()), want, "{pat} {name}");
    }
}

/// A sequence set of many overlapping ranges costs no more than the messages it names.
#[test]
fn overlapping_sequence_sets_are_merged() {
    let mut host = Host::new();
    for _ in 0..20_000 {
        host.store.deliver(BOB, &b"Subject: x\r\n\r\nx\r\n"[..], SimTime::ZERO).unwrap();
    }
    let mut s = selected(&mut host);
    let set = vec!["1:*"; 2000].join(",");
    let t = std::time::Instant::now();
    let r = say(&mut s, &mut host, &format!("f STORE {set} +FLAGS.SILENT (\\Flagged)\r\n"));
    assert_eq!(r, "f OK STORE completed\r\n");
    assert!(t.elapsed() < std::time::Duration::from_secs(5), "{:?}", t.elapsed());
    let sel = |s: &str| {
        s.split(',')
            .map(|r| command::parse(format!("a FETCH {r} UID\r\n").as_bytes()).unwrap())
            .collect::<Vec<_>>()
    };
    let _ = sel;
    // Order and duplicates: the indexes ascend, each once.
    let mut host = Host::new();
    let mut s = selected(&mut host);
    for (set, uid, want) in [
        ("3,1:2,2", false, vec![0, 1, 2]),
        ("2:*,1", true, vec![0, 1, 2]),
        ("5:9,2", true, vec![1]),
        ("*:2", false, vec![1, 2]),
    ] {
        let Ok(Tagged { command: Command::Fetch { set, .. }, .. }) =
            command::parse(format!("a FETCH {set} UID\r\n").as_bytes())
        else {
            panic!()
        };
        assert_eq!(s.resolve(&set, uid).unwrap(), want);
    }
    assert!(say(&mut s, &mut host, "f FETCH 1:4 UID\r\n").starts_with("f BAD no message 4"));
}

/// A Date: header with an absurd year neither panics nor matches (RFC 5322 §3.3 years).
#[test]
fn absurd_years_in_date_headers_are_no_dates() {
    let mut host = Host::new();
    for year in ["99999999999999999", "-5", "10000"] {
        let m = format!("Subject: y\r\nDate: Mon, 1 Jan {year} 00:00:00 +0000\r\n\r\nx\r\n");
        host.store.deliver(BOB, m.into_bytes(), SimTime::ZERO).unwrap();
    }
    let mut s = selected(&mut host);
    let r = say(&mut s, &mut host, "s SEARCH SENTSINCE 1-Jan-1970\r\n");
    assert_eq!(r, "* SEARCH 1\r\ns OK SEARCH completed\r\n");
    assert_eq!(command::days_from_civil(i64::MAX, 1, 1), None);
    assert_eq!(command::days_from_civil(9999, 12, 31), Some(2_932_896));
}

/// One FETCH cannot queue far more than the mailbox: items are taken once, and past a
/// budget (twice the folder and a MiB) the command ends `NO [LIMIT]` (RFC 9051 §7.1).
#[test]
fn one_fetch_is_bounded() {
    let mut big = b"From: a@example.org\r\nSubject: big\r\n\r\n".to_vec();
    big.resize(100_000, b'x');
    let cases: [(String, &str, usize); 3] = [
        (vec!["BODY.PEEK[]"; 600].join(" "), "f OK FETCH completed\r\n", 110_000),
        (
            (0..300).map(|o| format!("BODY.PEEK[]<{o}.99999>")).collect::<Vec<_>>().join(" "),
            "f NO [LIMIT] too much data for one FETCH: ask for fewer messages or items\r\n",
            1 << 21,
        ),
        ("BODY.PEEK[] RFC822.HEADER UID".into(), "f OK FETCH completed\r\n", 110_000),
    ];
    for (items, end, most) in cases {
        let mut host = Host::new();
        host.store.deliver(BOB, big.clone(), SimTime::ZERO).unwrap();
        let mut s = selected(&mut host);
        let r = say(&mut s, &mut host, &format!("f FETCH 1:* ({items})\r\n"));
        assert!(r.ends_with(end), "{}", &r[r.len().saturating_sub(200)..]);
        assert!(r.len() < most, "{}", r.len());
    }
}

/// The autologout restarts when the client has taken the responses (its driver says when),
/// not when the command came: a FETCH that takes 20 minutes to go out leaves the client 30
/// minutes for its next command. Never earlier than the command's own deadline.
#[test]
fn the_autologout_restarts_when_the_responses_are_taken() {
    let mut host = Host::new();
    let mut s = server();
    s.handle_input(b"a LOGIN bob@example.net builder\r\n", SimTime::from_secs(100), &mut host);
    drain(&mut s);
    s.handle_output_taken(SimTime::from_secs(1300));
    assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(1300 + 1800)));
    s.handle_output_taken(SimTime::from_secs(200));
    assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(3100)), "never earlier");
    // In IDLE the pushes come unasked: their being taken is the client's kernel's doing,
    // not the client's, and keeps no one logged in (RFC 2177 §3, RFC 9051 §5.4).
    s.handle_input(b"b SELECT INBOX\r\nc IDLE\r\n", SimTime::from_secs(2000), &mut host);
    drain(&mut s);
    s.handle_output_taken(SimTime::from_secs(3000));
    assert_eq!(s.poll_timeout(), Some(SimTime::from_secs(2000 + 1800)), "IDLE");
}

/// A new session's autologout deadline after these writes (at these seconds).
fn deadline_after(writes: &[(u64, impl AsRef<[u8]>)]) -> Option<SimTime> {
    let mut host = Host::new();
    let mut s = server();
    for (at, bytes) in writes {
        s.handle_input(bytes.as_ref(), SimTime::from_secs(*at), &mut host);
        drain(&mut s);
    }
    s.poll_timeout()
}

/// The autologout counts inactivity (RFC 9051 §5.4): a complete line restarts it (a command,
/// a line of a literal, IDLE's DONE), a byte does not (inside a literal octets earn a little
/// time: the next test). Writes at these seconds, and the deadline (30 minutes after the
/// last complete line).
#[test]
fn the_autologout_restarts_per_line_not_per_octet() {
    let login = "a LOGIN bob@example.net builder\r\n";
    let cases: Vec<(&str, Vec<(u64, &str)>, u64)> = vec![
        ("a byte at a time", vec![(100, "a"), (200, " NOOP"), (1799, "x")], 1800),
        ("the line end", vec![(100, "a NO"), (200, "OP\r\n")], 2000),
        ("in a literal, each line", vec![(0, login), (10, "b APPEND INBOX {12}\r\n"), (100, "Hi\r\n")], 1900),
        (
            "in IDLE, DONE",
            vec![(0, login), (0, "c SELECT INBOX\r\nd IDLE\r\n"), (100, "DO"), (200, "NE\r\n")],
            2000,
        ),
        ("in IDLE, not a byte", vec![(0, login), (0, "c SELECT INBOX\r\nd IDLE\r\n"), (100, "D")], 1800),
    ];
    for (name, writes, want) in cases {
        assert_eq!(deadline_after(&writes), Some(SimTime::from_secs(want)), "{name}");
    }
}

/// Inside a literal (RFC 9051 §4.3), which may hold no line end at all, the octets count as
/// activity too, by the rule of Postfix's `smtpd_min_data_rate` ([`SimTime::earn`]): each
/// octet earns 1/500 s ([`time::MIN_RATE`]), never more than the 30 minutes from now that a
/// complete line gives. A client sending at 500 octets a second or more is never logged
/// out; one dripping slower falls behind and is. Writes at these seconds, and the deadline.
#[test]
fn octets_of_a_literal_earn_time_at_the_minimum_rate() {
    let login = "a LOGIN bob@example.net builder\r\n";
    let big = "b APPEND INBOX {1000000}\r\n";
    let x = |n: usize| "x".repeat(n);
    let cases: Vec<(&str, Vec<(u64, String)>, SimTime)> = vec![
        (
            "50,000 octets: 100 s",
            vec![(0, login.into()), (10, big.into()), (1000, x(50_000))],
            SimTime::from_secs(1910),
        ),
        (
            "at least 500 a second: the whole 30 minutes from now",
            vec![(0, login.into()), (10, big.into()), (1500, x(900_000))],
            SimTime::from_secs(3300),
        ),
        ("a byte: 2 ms", vec![(0, login.into()), (10, big.into()), (1809, x(1))], SimTime(1_810_002_000)),
        (
            "a drip of 100 a second falls behind",
            vec![(0, login.into()), (10, big.into()), (1000, x(99_000)), (2000, x(100_000))],
            SimTime::from_secs(2208),
        ),
        (
            "a refused literal's octets, skipped, count too",
            vec![(0, login.into()), (10, "b APPEND INBOX {10000+}\r\n".into()), (1000, x(5000))],
            SimTime::from_secs(1820),
        ),
        (
            "a line end in the literal restarts it all",
            vec![(0, login.into()), (10, big.into()), (100, "Hi\r\n".into())],
            SimTime::from_secs(1900),
        ),
    ];
    for (name, writes, want) in cases {
        assert_eq!(deadline_after(&writes), Some(want), "{name}");
    }
}

/// RFC 3501 §6.3.10: STATUS RECENT counts the messages with `\Recent` set. For the folder a
/// session has open, those are the ones it claimed at SELECT; for another session, none
/// (they are claimed); before any SELECT, all of them.
#[test]
fn status_recent_counts_the_messages_this_session_holds_as_recent() {
    let mut host = Host::new();
    let mut other = logged_in(&mut host);
    let status = "t STATUS INBOX (RECENT MESSAGES)\r\n";
    assert!(say(&mut other, &mut host, status).starts_with("* STATUS INBOX (RECENT 3 MESSAGES 3)\r\n"));
    let mut s = selected(&mut host);
    assert!(say(&mut s, &mut host, status).starts_with("* STATUS INBOX (RECENT 3 MESSAGES 3)\r\n"));
    assert!(
        say(&mut s, &mut host, "t STATUS inbox (RECENT)\r\n").starts_with("* STATUS inbox (RECENT 3)\r\n")
    );
    assert!(say(&mut other, &mut host, status).starts_with("* STATUS INBOX (RECENT 0 MESSAGES 3)\r\n"));
}

/// A sequence number that names no message is refused with what was wrong: 0 (no
/// seq-number), past the last, or `*` in an empty mailbox (RFC 3501 §9); UIDs that are not
/// there are skipped (§6.4.8).
#[test]
fn a_sequence_number_that_names_no_message_says_why() {
    let mut host = Host::new();
    let mut s = selected(&mut host);
    let cases = [
        ("f FETCH 0 FLAGS\r\n", "f BAD expected a sequence set such as 1:*"),
        ("f FETCH 2:4 FLAGS\r\n", "f BAD no message 4: the mailbox has 3 messages (RFC 3501 section 9"),
    ];
    for (input, want) in cases {
        let got = say(&mut s, &mut host, input);
        assert!(got.starts_with(want), "{input}: {got}");
    }
    say(&mut s, &mut host, "c CREATE Empty\r\n");
    say(&mut s, &mut host, "s SELECT Empty\r\n");
    let got = say(&mut s, &mut host, "f FETCH 1:* FLAGS\r\n");
    assert!(got.starts_with("f BAD the mailbox is empty, so not even * names one"), "{got}");
    let got = say(&mut s, &mut host, "f FETCH 1 FLAGS\r\n");
    assert!(got.starts_with("f BAD no message 1: the mailbox is empty (RFC 3501 section 9"), "{got}");
    assert_eq!(say(&mut s, &mut host, "u UID FETCH 1:* FLAGS\r\n"), "u OK UID FETCH completed\r\n");
}
