//! The client against scripted servers (transcripts: `S:` what the server sends, `C:`
//! what the client must answer, `@ SECONDS` time passing), and against the real server.

use super::*;
use crate::session::Directory;

const BOB: &str = "bob@example.net";
const CAPS: &str = "IMAP4rev1 LITERAL- SASL-IR AUTH=PLAIN IDLE MOVE UIDPLUS";
const ENV1: &str = "(\"Mon, 30 Nov 2026 09:00:00 +0000\" \"Lunch\" ((\"Alice\" NIL \"alice\" \"example.org\")) NIL NIL NIL NIL NIL NIL \"<1@example.org>\")";
const ENV2: &str = "(NIL \"Photos\" ((NIL NIL \"carol\" \"example.net\")) NIL NIL NIL NIL NIL NIL NIL)";

fn at(secs: u64) -> Planned {
    Planned { at: SimTime::from_secs(secs), action: Action::Check, message: None }
}

fn plan(items: &[(u64, Action)]) -> Vec<Planned> {
    items.iter().map(|(s, a)| Planned { action: a.clone(), ..at(*s) }).collect()
}

/// Plays `script` against `c`: `S:` lines in a row arrive together; the client's output
/// must then be exactly the `C:` lines that follow (`<close>`: it closes); `@ N` is a
/// timer at N seconds. Panics with the line that differs.
fn play(c: &mut ImapClient, script: &str) {
    let mut lines = script.lines().map(str::trim).filter(|l| !l.is_empty()).peekable();
    let mut now = SimTime::ZERO;
    let drain = |c: &mut ImapClient| {
        let mut got = String::new();
        while let Some(o) = c.poll_output() {
            match o {
                Output::Send { bytes, .. } => got.push_str(&String::from_utf8_lossy(&bytes)),
                Output::Close => got.push_str("<close>\r\n"),
                Output::Request(_) => {}
            }
        }
        got
    };
    while let Some(line) = lines.next() {
        if let Some(t) = line.strip_prefix("@ ") {
            now = SimTime::from_secs(t.parse().unwrap());
            c.handle_timeout(now);
        } else if let Some(s) = line.strip_prefix("S: ") {
            let mut input = format!("{s}\r\n");
            while let Some(more) = lines.next_if(|l| l.starts_with("S: ")) {
                input.push_str(&more[3..]);
                input.push_str("\r\n");
            }
            c.handle_input(input.as_bytes(), now, &mut Directory::default());
        } else {
            panic!("a C: line without S: or @ before it: {line}");
        }
        let mut want = String::new();
        while let Some(more) = lines.next_if(|l| l.starts_with("C:")) {
            want.push_str(more[2..].trim_start());
            want.push_str("\r\n");
        }
        assert_eq!(drain(c), want, "after {line:?}");
    }
}

fn client(items: &[(u64, Action)]) -> ImapClient {
    ImapClient::new(BOB, "builder", plan(items), Cache::default(), SimTime::ZERO)
}

/// The first session: log in, LIST, SELECT INBOX, two messages, then the script goes on.
fn synced(items: &[(u64, Action)]) -> ImapClient {
    let mut c = client(items);
    play(
        &mut c,
        &format!(
            "S: * OK [CAPABILITY {CAPS}] mx ready
             C: a1 LOGIN bob@example.net builder
             S: a1 OK [CAPABILITY {CAPS}] logged in
             C: a2 LIST \"\" \"*\"
             S: * LIST (\\HasNoChildren) \"/\" INBOX
             S: * LIST (\\HasNoChildren \\Archive) \"/\" Archive
             S: * LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"
             S: a2 OK LIST completed
             C: a3 SELECT INBOX
             S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
             S: * 2 EXISTS
             S: * 2 RECENT
             S: * OK [UIDVALIDITY 7] UIDs valid
             S: * OK [UIDNEXT 3] predicted next UID
             S: a3 OK [READ-WRITE] SELECT completed
             C: a4 UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE)
             S: * 1 FETCH (UID 1 RFC822.SIZE 120 ENVELOPE {ENV1} FLAGS (\\Recent))
             S: * 2 FETCH (UID 2 RFC822.SIZE 90 ENVELOPE {ENV2} FLAGS (\\Seen \\Recent))"
        ),
    );
    c
}

fn summary(c: &ImapClient, folder: &str) -> Vec<(u32, String, String)> {
    c.cache()
        .folder(folder)
        .unwrap()
        .messages
        .iter()
        .map(|m| (m.uid, m.flags.to_string(), m.subject.clone()))
        .collect()
}

fn msgs(items: &[(u32, &str, &str)]) -> Vec<(u32, String, String)> {
    items.iter().map(|&(u, f, s)| (u, f.to_string(), s.to_string())).collect()
}

#[test]
fn a_first_session_lists_selects_fetches_envelopes_and_logs_out() {
    let mut c = synced(&[]);
    assert_eq!(summary(&c, "INBOX"), msgs(&[(1, "", "Lunch"), (2, "\\Seen", "Photos")]));
    let inbox = c.cache().folder("inbox").unwrap();
    assert_eq!((inbox.uid_validity, inbox.messages[0].size), (7, 120));
    assert_eq!(inbox.messages[0].from, "Alice <alice@example.org>");
    assert_eq!(inbox.messages[1].from, "carol@example.net");
    // Special use from LIST (RFC 6154).
    let uses: Vec<(&str, Option<&str>)> =
        c.cache().folders.iter().map(|f| (f.name.as_str(), f.special_use.as_deref())).collect();
    assert_eq!(uses, [("INBOX", None), ("Archive", Some("\\Archive")), ("Sent Items", Some("\\Sent"))]);
    // Nothing more to do: LOGOUT, then the close after the server's answer.
    play(
        &mut c,
        "S: a4 OK UID FETCH completed
         C: a5 LOGOUT
         S: a4 OK again, ignored
         S: * BYE logging out
         S: a5 OK LOGOUT completed
         C: <close>",
    );
    assert!(c.is_closed() && c.errors().is_empty(), "{:?}", c.errors());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn logging_in_follows_what_the_server_offers() {
    // No capabilities in the greeting: ask first (RFC 3501 §6.1.1). PLAIN without SASL-IR:
    // the empty `+`, then the base64 line (RFC 3501 §6.2.2, RFC 4616).
    let mut c = client(&[]).with_plain();
    play(
        &mut c,
        "S: * OK ready
         C: a1 CAPABILITY
         S: * CAPABILITY IMAP4rev1 AUTH=PLAIN
         S: a1 OK done
         C: a2 AUTHENTICATE PLAIN
         S: +
         C: AGJvYkBleGFtcGxlLm5ldABidWlsZGVy
         S: a2 OK logged in
         C: a3 LIST \"\" \"*\"",
    );
    // With SASL-IR the answer goes with the command (RFC 4959).
    let mut c = client(&[]).with_plain();
    play(
        &mut c,
        "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready
         C: a1 AUTHENTICATE PLAIN AGJvYkBleGFtcGxlLm5ldABidWlsZGVy",
    );
    // A password with a space or a quote goes as a quoted string (RFC 3501 §9 astring).
    let mut c = ImapClient::new(BOB, "my \"pass\"", Vec::new(), Cache::default(), SimTime::ZERO);
    play(
        &mut c,
        "S: * OK ready\nC: a1 CAPABILITY\nS: a1 OK\nC: a2 LOGIN bob@example.net \"my \\\"pass\\\"\"",
    );
    // Already logged in (PREAUTH): straight to LIST.
    let mut c = client(&[]);
    play(&mut c, &format!("S: * PREAUTH [CAPABILITY {CAPS}] welcome\nC: a1 LIST \"\" \"*\""));
    // LOGINDISABLED (RFC 3501 §6.2.3): PLAIN if offered, else nothing can be done.
    let mut c = client(&[]);
    play(
        &mut c,
        "S: * OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN SASL-IR] ready\nC: a1 AUTHENTICATE PLAIN AGJvYkBleGFtcGxlLm5ldABidWlsZGVy",
    );
    let mut c = client(&[(60, Action::Check)]);
    play(&mut c, "S: * OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready\nC: <close>");
    assert!(c.plan().is_empty() && c.errors()[0].contains("no LOGIN"), "{:?}", c.errors());
    // A greeting that refuses.
    let mut c = client(&[]);
    play(&mut c, "S: * BYE too busy\nC: <close>");
    assert!(c.errors()[0].contains("too busy"), "{:?}", c.errors());
}

#[test]
fn a_refused_login_gives_up_the_plan_and_logs_out() {
    let mut c = client(&[(60, Action::Read(Pick::Newest))]);
    play(
        &mut c,
        &format!(
            "S: * OK [CAPABILITY {CAPS}] ready
             C: a1 LOGIN bob@example.net builder
             S: a1 NO [AUTHENTICATIONFAILED] invalid user name or password
             C: a2 LOGOUT
             S: * BYE bye
             S: a2 OK done
             C: <close>"
        ),
    );
    assert!(c.plan().is_empty());
    assert_eq!(c.errors(), ["LOGIN was refused: NO [AUTHENTICATIONFAILED] invalid user name or password"]);
}

#[test]
fn between_actions_it_idles_and_acts_when_time_comes() {
    let mut c = synced(&[
        (60, Action::Read(Pick::Oldest)),
        (120, Action::Mark { pick: Pick::Subject("lunch".into()), flag: Flags::FLAGGED, on: true }),
        (180, Action::Mark { pick: Pick::Newest, flag: Flags::SEEN, on: false }),
        (240, Action::Delete(Pick::Newest)),
    ]);
    play(
        &mut c,
        "S: a4 OK
         C: a5 IDLE",
    );
    // Nothing due: it idles and wakes for the first action.
    assert_eq!(c.client_state(), ClientState::Expect(Verb::Idle));
    play(&mut c, "S: + idling");
    assert_eq!((c.client_state(), c.poll_timeout()), (ClientState::Idling, Some(SimTime::from_secs(60))));
    play(
        &mut c,
        "@ 60
         C: DONE
         S: a5 OK IDLE terminated
         C: a6 UID FETCH 1 (BODY[])
         S: * 1 FETCH (UID 1 BODY[] {9}
         S: Hi Bob!
         S:  FLAGS (\\Seen))
         S: a6 OK UID FETCH completed
         C: a7 IDLE
         S: + idling
         @ 120
         C: DONE
         S: a7 OK IDLE terminated
         C: a8 UID STORE 1 +FLAGS (\\Flagged)
         S: * 1 FETCH (FLAGS (\\Seen \\Flagged) UID 1)
         S: a8 OK UID STORE completed
         C: a9 IDLE
         S: + idling
         @ 180
         C: DONE
         S: a9 OK IDLE terminated
         C: a10 UID STORE 2 -FLAGS (\\Seen)
         S: * 2 FETCH (FLAGS () UID 2)
         S: a10 OK
         C: a11 IDLE
         S: + idling
         @ 240
         C: DONE
         S: a11 OK IDLE terminated
         C: a12 UID STORE 2 +FLAGS (\\Deleted)
         S: * 2 FETCH (FLAGS (\\Deleted) UID 2)
         S: a12 OK
         C: a13 EXPUNGE
         S: * 2 EXPUNGE
         S: a13 OK EXPUNGE completed
         C: a14 LOGOUT",
    );
    assert_eq!(summary(&c, "INBOX"), msgs(&[(1, "\\Seen \\Flagged", "Lunch")]));
    assert!(c.cache().folder("INBOX").unwrap().messages[0].opened);
    assert!(c.errors().is_empty(), "{:?}", c.errors());
}

#[test]
fn news_during_idle_is_fetched_at_once() {
    let mut c = synced(&[(3600, Action::Logout)]);
    play(
        &mut c,
        &format!(
            "S: a4 OK
             C: a5 IDLE
             S: + idling
             S: * 1 FETCH (FLAGS (\\Seen))
             S: * 2 EXPUNGE
             S: * 2 EXISTS
             C: DONE
             S: * 2 RECENT
             S: a5 OK IDLE terminated
             C: a6 UID FETCH 2:* (UID FLAGS ENVELOPE RFC822.SIZE)
             S: * 2 FETCH (UID 3 FLAGS () ENVELOPE {ENV2} RFC822.SIZE 80)
             S: a6 OK
             C: a7 IDLE"
        ),
    );
    // Another session read 1 and expunged 2; message 2 now is the new UID 3.
    assert_eq!(summary(&c, "INBOX"), msgs(&[(1, "\\Seen", "Lunch"), (3, "", "Photos")]));
    // IDLE is renewed every 29 minutes (RFC 2177 §3).
    play(
        &mut c,
        "S: + idling
         @ 1740
         C: DONE
         S: a7 OK
         C: a8 IDLE
         S: + idling
         @ 3600
         C: DONE
         S: a8 OK
         C: a9 LOGOUT",
    );
}

#[test]
fn archive_moves_by_special_use_and_remembers_the_new_uid() {
    let mut c = synced(&[(60, Action::Archive(Pick::Oldest))]);
    play(
        &mut c,
        "S: a4 OK
         C: a5 IDLE
         S: + idling
         @ 60
         C: DONE
         S: a5 OK
         C: a6 UID MOVE 1 Archive
         S: * OK [COPYUID 9 1 4] moved
         S: * 1 EXPUNGE
         S: a6 OK UID MOVE completed
         C: a7 LOGOUT",
    );
    assert_eq!(summary(&c, "INBOX"), msgs(&[(2, "\\Seen", "Photos")]));
    assert_eq!(summary(&c, "Archive"), msgs(&[(4, "", "Lunch")]));
    assert_eq!(c.cache().folder("Archive").unwrap().uid_validity, 9);
    // Without MOVE: COPY, \Deleted, UID EXPUNGE (UIDPLUS) or EXPUNGE.
    let mut c = client(&[(60, Action::Archive(Pick::Newest))]);
    play(
        &mut c,
        &format!(
            "S: * OK [CAPABILITY IMAP4rev1 UIDPLUS] ready
             C: a1 LOGIN bob@example.net builder
             S: a1 OK
             C: a2 LIST \"\" \"*\"
             S: a2 OK
             C: a3 SELECT INBOX
             S: * 1 EXISTS
             S: a3 OK
             C: a4 UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE)
             S: * 1 FETCH (UID 5 FLAGS () ENVELOPE {ENV1})
             S: a4 OK
             @ 60
             C: a5 UID COPY 5 Archive
             S: a5 OK [COPYUID 3 5 1] done
             C: a6 UID STORE 5 +FLAGS.SILENT (\\Deleted)
             S: a6 OK
             C: a7 UID EXPUNGE 5
             S: * 1 EXPUNGE
             S: a7 OK
             C: a8 LOGOUT"
        ),
    );
    assert_eq!(c.cache().folder("INBOX").unwrap().messages, []);
}

#[test]
fn a_sent_message_is_filed_with_append_and_its_uid() {
    let message: Rc<[u8]> =
        Rc::from(&b"From: Bob <bob@example.net>\r\nSubject: Re: Lunch\r\n\r\nYes!\r\n"[..]);
    let mut c = synced(&[]);
    c.plan.push_back(Planned {
        at: SimTime::from_secs(30),
        action: Action::AppendSent,
        message: Some(message),
    });
    play(
        &mut c,
        "S: a4 OK
         C: a5 IDLE
         S: + idling
         @ 30
         C: DONE
         S: a5 OK
         C: a6 APPEND \"Sent Items\" (\\Seen) {57}
         S: + Ready for literal data
         C: From: Bob <bob@example.net>
         C: Subject: Re: Lunch
         C:
         C: Yes!
         C:
         S: a6 OK [APPENDUID 12 1] APPEND completed
         C: a7 LOGOUT",
    );
    let sent = c.cache().folder("Sent Items").unwrap();
    assert_eq!(
        (sent.uid_validity, sent.messages[0].uid, sent.messages[0].subject.as_str()),
        (12, 1, "Re: Lunch")
    );
    assert_eq!(sent.messages[0].flags, Flags::SEEN);
    // A refused literal (a tagged NO instead of `+`): the message is not sent.
    let mut c = synced(&[]);
    c.plan.push_back(Planned {
        at: SimTime::ZERO,
        action: Action::AppendSent,
        message: Some(Rc::from(&b"x"[..])),
    });
    play(
        &mut c,
        "S: a4 OK
         C: a5 APPEND \"Sent Items\" (\\Seen) {1}
         S: a5 NO [TOOBIG] too big
         C: a6 LOGOUT",
    );
    assert_eq!(c.errors(), ["APPEND was refused: NO [TOOBIG] too big"]);
}

#[test]
fn a_second_session_syncs_from_its_cache() {
    let mut first = synced(&[]);
    play(&mut first, "S: a4 OK\nC: a5 LOGOUT\nS: a5 OK\nC: <close>");
    let cache = first.cache().clone();
    // RFC 4549 §4.3.1: UID FETCH of what is new, then the flags of what is known; a message
    // gone (UID 1) is dropped, one new (UID 3) is fetched whole.
    let mut c = ImapClient::new(BOB, "builder", Vec::new(), cache.clone(), SimTime::ZERO);
    play(
        &mut c,
        &format!(
            "S: * OK [CAPABILITY {CAPS}] ready
             C: a1 LOGIN bob@example.net builder
             S: a1 OK
             C: a2 LIST \"\" \"*\"
             S: a2 OK
             C: a3 SELECT INBOX
             S: * 2 EXISTS
             S: * OK [UIDVALIDITY 7] same
             S: a3 OK
             C: a4 UID FETCH 3:* (UID FLAGS ENVELOPE RFC822.SIZE)
             S: * 2 FETCH (UID 3 FLAGS () ENVELOPE {ENV1} RFC822.SIZE 10)
             S: a4 OK
             C: a5 UID FETCH 1:2 (FLAGS)
             S: * 1 FETCH (UID 2 FLAGS (\\Flagged))
             S: a5 OK
             C: a6 LOGOUT"
        ),
    );
    assert_eq!(summary(&c, "INBOX"), msgs(&[(2, "\\Flagged", "Photos"), (3, "", "Lunch")]));
    // A new UIDVALIDITY: everything is fetched again (RFC 3501 §2.3.1.1).
    let mut c = ImapClient::new(BOB, "builder", Vec::new(), cache, SimTime::ZERO);
    play(
        &mut c,
        "S: * PREAUTH [CAPABILITY IMAP4rev1] ready
         C: a1 LIST \"\" \"*\"
         S: a1 OK
         C: a2 SELECT INBOX
         S: * 1 EXISTS
         S: * OK [UIDVALIDITY 8] new
         S: a2 OK
         C: a3 UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE)",
    );
}

#[test]
fn what_cannot_be_done_is_said_and_skipped() {
    let mut c = synced(&[
        (0, Action::Read(Pick::Subject("invoice".into()))),
        (0, Action::AppendSent),
        (0, Action::Open("Archive".into())),
        (0, Action::Read(Pick::Newest)),
        (0, Action::Expunge),
    ]);
    play(
        &mut c,
        "S: a4 OK
         C: a5 SELECT Archive
         S: * 0 EXISTS
         S: a5 OK [READ-WRITE] done
         C: a6 EXPUNGE
         S: a6 OK
         C: a7 LOGOUT",
    );
    assert_eq!(
        c.errors(),
        [
            "there is no message about “invoice” in INBOX",
            "there is no sent message to file",
            "there is no message in Archive"
        ]
    );
    assert_eq!(c.selected(), Some("Archive"));
    // The INBOX keeps what was known of it.
    assert_eq!(summary(&c, "INBOX").len(), 2);
    // A folder that cannot be opened: the cache keeps it as it was.
    let mut c = synced(&[(0, Action::Open("Nope".into()))]);
    play(&mut c, "S: a4 OK\nC: a5 SELECT Nope\nS: a5 NO [NONEXISTENT] no such folder\nC: a6 LOGOUT");
    assert_eq!(c.selected(), None);
}

#[test]
fn a_server_that_misbehaves_is_left() {
    // Silence: after REPLY_TIMEOUT the client closes.
    let mut c = client(&[]);
    assert_eq!(c.poll_timeout(), Some(SimTime::ZERO.plus(REPLY_TIMEOUT)));
    play(&mut c, "@ 99\n@ 100\nC: <close>");
    assert!(c.errors()[0].contains("no answer from the server for 100 s"), "{:?}", c.errors());
    // Not IMAP at all.
    let mut c = client(&[]);
    play(&mut c, "S: +OK POP3 server ready\nC: <close>");
    // A message count past what a client keeps: no allocation, it leaves.
    let mut c = synced(&[]);
    play(&mut c, "S: * 4294967295 EXISTS\nC: <close>");
    // A literal past the limit.
    let mut c = synced(&[]);
    play(&mut c, "S: * 1 FETCH (BODY[] {99999999999})\nC: <close>");
    // IDLE refused after being offered: it waits without it.
    let mut c = synced(&[(60, Action::Logout)]);
    play(&mut c, "S: a4 OK\nC: a5 IDLE\nS: a5 BAD no\n@ 60\nC: a6 LOGOUT");
    // A server that refuses everything: the errors kept are bounded.
    let mut c = synced(&(0..100).map(|_| (0, Action::Read(Pick::Subject("x".into())))).collect::<Vec<_>>());
    play(&mut c, "S: a4 OK\nC: a5 LOGOUT");
    assert_eq!(c.errors().len(), MAX_ERRORS);
    // The connection closes under it.
    let mut c = synced(&[]);
    c.handle_close(SimTime::ZERO);
    assert!(c.is_closed() && c.errors() == ["the connection closed"]);
}

/// Random bytes in random pieces never make it panic or hold more than its limit.
#[test]
fn garbage_never_panics() {
    let mut rng = crate::rng::Rng::new(7);
    let pieces: [&[u8]; 12] = [
        b"* OK [CAPABILITY IMAP4rev1 IDLE MOVE] hi\r\n",
        b"a1 OK\r\n",
        b"a2 OK\r\n",
        b"a3 OK [COPYUID 1 1:99999999 1]\r\n",
        b"* 3 EXISTS\r\n",
        b"* 1 EXPUNGE\r\n",
        b"* 2 FETCH (UID 9 FLAGS (\\Seen) ENVELOPE (NIL \"x\" NIL))\r\n",
        b"+ go\r\n",
        b"* LIST () \"/\" Archive\r\n",
        b"{5}\r\n",
        b"(((\"",
        b"\r\n",
    ];
    for _ in 0..200 {
        let mut c = ImapClient::new(
            BOB,
            "x",
            plan(&[(0, Action::Archive(Pick::Newest)), (0, Action::Delete(Pick::Oldest))]),
            Cache::default(),
            SimTime::ZERO,
        );
        for step in 0..40 {
            let p = pieces[rng.below(pieces.len() as u64) as usize];
            c.handle_input(p, SimTime::from_secs(step), &mut Directory::default());
            while c.poll_output().is_some() {}
            c.handle_timeout(SimTime::from_secs(step * 60));
            assert!(c.held() <= response::MAX_RESPONSE);
        }
    }
}

/// Every state reads in plain words that fit the diagram (at most 41 characters).
#[test]
fn states_describe_themselves_briefly() {
    let verbs = Verb::ALL;
    let mut states = vec![
        ClientState::ExpectGreeting,
        ClientState::Idling,
        ClientState::ExpectIdleEnd,
        ClientState::Waiting,
        ClientState::Done,
    ];
    for v in verbs {
        states.push(ClientState::Expect(v));
        states.push(ClientState::ExpectContinuation(v));
    }
    for s in states {
        for sending in [false, true] {
            let words = s.describe(sending);
            assert!(!words.is_empty() && words.chars().count() <= 41, "{s:?}: {words}");
        }
    }
    assert_eq!(ClientState::Expect(Verb::Fetch).describe(true), "sends UID FETCH");
    assert_eq!(ClientState::ExpectIdleEnd.describe(false), "waits for the OK that ends IDLE");
}

#[test]
fn reading_the_text_alone_asks_the_structure_then_one_part() {
    // (BODYSTRUCTURE the server sends, the command that must follow): the first text/plain
    // that is not an attachment, else text/html, else the whole message; a structure that
    // is not one, or a refused fetch, falls back as a mail program would.
    let alternative = "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1)(\"text\" \"html\" NIL NIL NIL \"7bit\" 9 1) \"alternative\")";
    let cases = [
        ("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 5 1)".to_string(), "a7 UID FETCH 1 (BODY[1])"),
        (format!("({alternative}(\"application\" \"pdf\" NIL NIL NIL \"base64\" 900) \"mixed\")"), "a7 UID FETCH 1 (BODY[1.1])"),
        ("((\"image\" \"png\" NIL NIL NIL \"base64\" 9)(\"text\" \"html\" NIL NIL NIL \"7bit\" 9 1) \"mixed\")".into(), "a7 UID FETCH 1 (BODY[2])"),
        ("((\"text\" \"plain\" NIL NIL NIL \"base64\" 9 1 NIL (\"attachment\" (\"filename\" \"a.txt\")) NIL NIL) \"mixed\")".into(), "a7 UID FETCH 1 (BODY[])"),
        ("NIL".into(), "a7 UID FETCH 1 (BODY[])"),
    ];
    for (structure, then) in cases {
        let mut c = synced(&[(60, Action::ReadText(Pick::Oldest))]);
        play(
            &mut c,
            &format!(
                "S: a4 OK
                 C: a5 IDLE
                 S: + idling
                 @ 60
                 C: DONE
                 S: a5 OK IDLE terminated
                 C: a6 UID FETCH 1 (BODYSTRUCTURE)
                 S: * 1 FETCH (UID 1 BODYSTRUCTURE {structure})
                 S: a6 OK UID FETCH completed
                 C: {then}
                 S: * 1 FETCH (UID 1 BODY[1] {{5}}
                 S: Hi!
                 S:  FLAGS (\\Seen))
                 S: a7 OK UID FETCH completed
                 C: a8 LOGOUT"
            ),
        );
        assert!(c.cache().folder("INBOX").unwrap().messages[0].opened, "{structure}");
        assert_eq!(summary(&c, "INBOX")[0].1, "\\Seen");
    }
    // Refused: said, and nothing more is fetched.
    let mut c = synced(&[(60, Action::ReadText(Pick::Oldest))]);
    play(
        &mut c,
        "S: a4 OK
         C: a5 IDLE
         S: + idling
         @ 60
         C: DONE
         S: a5 OK IDLE terminated
         C: a6 UID FETCH 1 (BODYSTRUCTURE)
         S: a6 NO [SERVERBUG] cannot read the message
         C: a7 LOGOUT",
    );
    assert_eq!(c.errors().len(), 1, "{:?}", c.errors());
}
