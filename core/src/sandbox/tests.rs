use super::*;
use crate::trace::{EventKind, TraceEvent};

const LAPTOP: &str = "laptop.example.org";
const MX: &str = "mx.example.net";

fn sandbox(lines: &[&str]) -> Sandbox {
    let (s, refused) = Sandbox::replay(Description::standard(), lines.iter().copied());
    assert_eq!(refused, None, "{lines:?}");
    s
}

/// What came back on connection `n`, as the person at the terminal reads it.
fn received(s: &Sandbox, n: usize) -> String {
    let c = s.connections()[n - 1];
    s.trace().events.iter().filter(|e| e.conn == Some(c.id) && e.from == c.to).map(TraceEvent::text).collect()
}

fn replies(s: &Sandbox) -> Vec<String> {
    s.trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Reply { status, .. } => Some(status.label()),
            _ => None,
        })
        .collect()
}

/// Alice at her laptop, logged in to her provider's submission port over TLS (AUTH PLAIN
/// of alice@example.org, wonderland), as a mail program is before MAIL FROM.
#[cfg(any(feature = "trust", all(feature = "pop3", feature = "imap")))]
const ALICE_SUBMITS: [&str; 5] = [
    "open laptop.example.org smtp.example.org 587",
    "type 1 EHLO laptop.example.org",
    "type 1 STARTTLS",
    "type 1 EHLO laptop.example.org",
    "type 1 AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=",
];

/// A whole transaction typed into Bob's server: what `swaks` or a terminal would do.
const TYPED_TRANSACTION: &[&str] = &[
    "open laptop.example.org mx.example.net 25",
    "type 1 EHLO laptop.example.org",
    "type 1 MAIL FROM:<alice@example.org>",
    "type 1 RCPT TO:<bob@example.net>",
    "type 1 DATA",
    "type 1 Subject: typed by hand",
    "type 1 ",
    "type 1 Hello Bob",
    "type 1 .",
    "type 1 QUIT",
];

#[test]
fn inputs_read_back_as_written() {
    let cases = [
        "open laptop.example.org mx.example.net 25",
        "type 1 EHLO laptop.example.org",
        "type 12 ",
        "type 3 \tMAIL FROM:<a@b>  ",
        "close 2",
        "wait 30m",
        "wait 1500ms",
        "wait 2h",
        "wait 1d",
        "next",
        "fault down mx.example.net from 0s to 10m",
        "fault reply mx.example.net RCPT 450 4.2.0 \"Try later\" times 1",
    ];
    for line in cases {
        let input = Input::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(input.to_string(), line, "{input:?}");
    }
    assert_eq!(Input::parse("type 1").unwrap(), Input::Type { conn: 1, text: String::new() });
    assert_eq!(Input::parse("wait 90s").unwrap().to_string(), "wait 90s");
    assert_eq!(Input::parse("wait 120s").unwrap().to_string(), "wait 2m");
}

#[test]
fn bad_inputs_are_named() {
    let cases = [
        ("", "expected open, type, close"),
        ("telnet mx 25", "expected open, type, close"),
        ("open laptop.example.org mx.example.net", "a host, a host and a port"),
        ("open a b 0", "from 1 to 65535"),
        ("open a b 70000", "from 1 to 65535"),
        ("open a b +25", "from 1 to 65535"),
        ("type 0 HELO", "from 1 to 50"),
        ("type x HELO", "from 1 to 50"),
        ("type 51 HELO", "from 1 to 50"),
        ("type 1 a\rb", "one line at a time"),
        ("type 1 a\u{0}b", "U+0000"),
        ("close", "from 1 to 50"),
        ("wait", "a duration"),
        ("wait 0s", "longer than nothing"),
        ("wait 31d", "longer than 30 days"),
        ("next now", "expected open"),
        ("fault host evil 1.2.3.4 client", "a fault is one of down"),
        ("fault", "a fault is one of"),
    ];
    for (line, want) in cases {
        let got = Input::parse(line).expect_err(line);
        assert!(got.contains(want), "{line:?}: {got}");
    }
    let long = format!("type 1 {}", "x".repeat(MAX_LINE + 1));
    assert!(Input::parse(&long).unwrap_err().contains("at most 2000 bytes"));
}

#[test]
fn a_typed_transaction_is_delivered() {
    let s = sandbox(TYPED_TRANSACTION);
    let got = received(&s, 1);
    assert!(got.starts_with("220 mx.example.net"), "{got}");
    assert!(got.contains("\r\n354 ") && got.contains("250 2.0.0 OK: queued as"), "{got}");
    assert!(got.ends_with("221 2.0.0 mx.example.net closing connection\r\n"), "{got}");
    assert!(!s.is_open(1), "the server closed it after QUIT");
    let delivered: Vec<&TraceEvent> = s
        .trace()
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Delivery { mailbox } if mailbox == "bob@example.net"))
        .collect();
    assert_eq!(delivered.len(), 1);
    assert!(delivered[0].text().contains("Subject: typed by hand\r\n\r\nHello Bob\r\n"));
    // Every line left two seconds after the moment before it: a person typing.
    let typed: Vec<SimTime> = s
        .trace()
        .events
        .iter()
        .filter(|e| e.from == 0 && e.conn.is_some() && !e.bytes.is_empty())
        .map(|e| e.sent)
        .collect();
    assert!(typed.windows(2).all(|w| w[1].0 >= w[0].0 + TYPING.0), "{typed:?}");
}

#[test]
fn a_replay_gives_the_same_trace_byte_for_byte() {
    let lines: Vec<&str> =
        TYPED_TRANSACTION.iter().copied().chain(["fault greylist mx.example.net", "wait 5m"]).collect();
    let live = {
        let mut s = Sandbox::new(Description::standard());
        for line in &lines {
            s.apply(Input::parse(line).unwrap()).unwrap();
        }
        s
    };
    let again = sandbox(&lines);
    let key = |s: &Sandbox| -> Vec<(SimTime, SimTime, usize, usize, Vec<u8>)> {
        s.trace().events.iter().map(|e| (e.sent, e.at, e.from, e.to, e.bytes.clone())).collect()
    };
    assert_eq!(key(&live), key(&again));
    assert_eq!(live.now(), again.now());
    let written: Vec<String> = live.inputs().iter().map(Input::to_string).collect();
    assert_eq!(written, lines);
}

#[test]
fn a_fault_counts_from_the_moment_it_is_injected() {
    // RCPT is accepted, then the teacher injects a rule: the next RCPT is refused, the
    // first keeps its 250, and the rule is used up after one.
    let s = sandbox(&[
        "open laptop.example.org mx.example.net 25",
        "type 1 HELO laptop.example.org",
        "type 1 MAIL FROM:<alice@example.org>",
        "type 1 RCPT TO:<bob@example.net>",
        "fault reply mx.example.net RCPT 450 4.2.1 \"Mailbox busy, try later\" times 1",
        "type 1 RCPT TO:<carol@example.net>",
        "type 1 RCPT TO:<carol@example.net>",
    ]);
    assert_eq!(replies(&s), ["220", "250", "250", "250", "450", "250"]);
    assert!(received(&s, 1).contains("450 4.2.1 Mailbox busy, try later\r\n"));
}

#[test]
fn a_host_taken_down_now_comes_back_when_its_window_ends() {
    let s = sandbox(&[
        "wait 1h",
        "fault down mx.example.net from 0s to 10m",
        "open laptop.example.org mx.example.net 25",
    ]);
    // No answer: the connection attempt gives up after its timeout (30 s).
    assert!(received(&s, 1).is_empty());
    assert!(!s.is_open(1));
    let s = sandbox(&[
        "wait 1h",
        "fault down mx.example.net from 0s to 10m",
        "open laptop.example.org mx.example.net 25",
        "wait 10m",
        "open laptop.example.org mx.example.net 25",
    ]);
    assert!(received(&s, 2).starts_with("220 mx.example.net"), "{}", received(&s, 2));
}

#[test]
fn a_mailbox_filled_now_refuses_the_next_message() {
    let mut lines: Vec<&str> = vec!["fault full bob@example.net"];
    lines.extend(TYPED_TRANSACTION);
    let s = sandbox(&lines);
    let got = received(&s, 1);
    assert!(got.contains("\r\n452 4.2.2") || got.contains("\r\n552 5.2.2"), "{got}");
    assert!(!s.trace().events.iter().any(|e| matches!(e.kind, EventKind::Delivery { .. })));
}

#[test]
fn waiting_lets_the_servers_timers_run() {
    // Nothing typed after EHLO: 5 minutes later the server says 421 and closes.
    let mut s = sandbox(&["open laptop.example.org mx.example.net 25", "type 1 EHLO laptop.example.org"]);
    assert!(s.is_open(1));
    let before = s.now();
    s.apply(Input::Next).unwrap();
    assert!(s.now() >= before.plus(crate::smtp::server::SERVER_TIMEOUT.min(SimDuration(u64::MAX))));
    assert!(received(&s, 1).contains("421 4.4.2 mx.example.net timeout"), "{}", received(&s, 1));
    assert!(!s.is_open(1));
    // Nothing is left to happen.
    let refused = s.apply(Input::Next).unwrap_err();
    assert!(refused.0.contains("nothing is left"), "{refused}");
}

#[test]
fn a_refused_input_changes_nothing() {
    let s0 = sandbox(&["open laptop.example.org mx.example.net 25", "type 1 QUIT"]);
    let cases = [
        (Input::Type { conn: 1, text: "NOOP".into() }, "connection 1 is closed"),
        (Input::Type { conn: 2, text: "NOOP".into() }, "there is no connection 2"),
        (Input::Close { conn: 1 }, "connection 1 is closed"),
        (
            Input::Open { from: LAPTOP.into(), to: "nowhere.example".into(), port: 25 },
            "no host `nowhere.example`",
        ),
        (Input::Open { from: MX.into(), to: MX.into(), port: 25 }, "another host"),
        (Input::Fault("greylist laptop.example.org".into()), "greylisting answers SMTP"),
        (Input::Fault("full nobody@example.net".into()), "nobody@example.net"),
        (Input::Fault("reply mx.example.net QUIT 550 \"No\"".into()), "never answered 550"),
        (Input::Fault("host x.example 192.0.2.99 client".into()), "a fault is one of"),
        (Input::Wait(SimDuration(0)), "longer than nothing"),
    ];
    for (input, want) in cases {
        let mut s = sandbox(&["open laptop.example.org mx.example.net 25", "type 1 QUIT"]);
        let got = s.apply(input.clone()).expect_err(&format!("{input:?}"));
        assert!(got.0.contains(want), "{input:?}: {got}");
        assert_eq!(s.trace().len(), s0.trace().len(), "{input:?}");
        assert_eq!(s.inputs(), s0.inputs(), "{input:?}");
        assert_eq!(s.now(), s0.now(), "{input:?}");
    }
    // What would not read back as itself is refused now, not at the next reload.
    let cases = [
        (Input::Wait(SimDuration(1_500)), "wait 1ms"),
        (
            Input::Fault("greylist mx.example.net\nhost evil.example 192.0.2.66 client".into()),
            "a fault is one line",
        ),
        (
            Input::Open { from: LAPTOP.into(), to: MX.into(), port: 0 },
            "a port is a number from 1 to 65535, found `0`",
        ),
        (Input::Type { conn: 1, text: "a\u{b}b".into() }, "U+000B"),
    ];
    for (input, want) in cases {
        let mut s = sandbox(&[]);
        let got = s.apply(input.clone()).expect_err(&format!("{input:?}"));
        assert!(got.0.contains(want), "{input:?}: {got}");
        assert_eq!(s.trace().hosts.len(), 4, "no host added");
    }
}

#[test]
fn a_rule_injected_again_replaces_the_one_before() {
    // The first rule is used up; the second, for the same command, is in force.
    let s = sandbox(&[
        "open laptop.example.org mx.example.net 25",
        "type 1 HELO laptop.example.org",
        "type 1 MAIL FROM:<alice@example.org>",
        "fault reply mx.example.net RCPT 450 \"Busy\" times 1",
        "type 1 RCPT TO:<bob@example.net>",
        "fault reply mx.example.net RCPT 550 \"No\"",
        "type 1 RCPT TO:<bob@example.net>",
        "fault greylist mx.example.net",
        "fault greylist mx.example.net",
    ]);
    assert_eq!(replies(&s)[3..], ["450", "550"]);
}

#[test]
fn a_cut_breaks_a_typed_connection_and_says_so_on_it() {
    let lines = [
        "open laptop.example.org mx.example.net 25",
        "type 1 EHLO laptop.example.org",
        "fault cut mx.example.net 25 before QUIT times 1",
        "type 1 QUIT",
    ];
    // Telnet has no timer of its own: it waits on, and nothing comes.
    let s = sandbox(&lines);
    assert!(s.is_open(1), "told nothing yet");
    let c = s.connections()[0].id;
    // The QUIT leaves, said on the laptop as it goes, and never arrives.
    let mut on_conn = s.trace().events.iter().rev().filter(|e| e.conn == Some(c));
    let last = on_conn.next().unwrap();
    assert_eq!(
        last.text(),
        "The connection to mx.example.net breaks as QUIT is sent (a laptop closed, a Wi-Fi lost): QUIT never arrives, and neither end is told."
    );
    assert_eq!((last.from, last.kind.clone()), (s.connections()[0].from, EventKind::Note));
    assert!(
        matches!(&on_conn.next().unwrap().kind, EventKind::Reply { to_verb: Some(v), .. } if v == "EHLO"),
        "the QUIT never arrived"
    );
    // The server's inactivity timer ends its side first (5 minutes after EHLO, RFC 5321
    // §4.5.3.2.7); its 421 is lost too. TCP gives up on the QUIT after about 15 minutes,
    // and only then is telnet told.
    let s = sandbox(&[&lines[..], &["wait 15m"]].concat());
    assert!(!s.is_open(1));
    let notes: Vec<(SimTime, String)> = s
        .trace()
        .events
        .iter()
        .filter(|e| e.conn == Some(c) && e.kind == EventKind::Note)
        .map(|e| (e.at, e.text()))
        .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(notes[0].1.contains("breaks as QUIT is sent"), "{notes:?}");
    assert!(
        notes[1].1.starts_with("Nothing more came from laptop.example.org (its QUIT was lost on the way): "),
        "{notes:?}"
    );
    assert!(
        notes[2].1.contains("broke as QUIT was sent")
            && notes[2].1.contains("After 15 minutes without an answer, TCP on Alice's laptop gives up"),
        "{notes:?}"
    );
    assert!(notes[2].0.0 - notes[1].0.0 > 9 * 60 * 1_000_000, "{notes:?}");
    // Closed by the person meanwhile: telnet lets go of its end at once, and says so; the
    // server is told nothing (its own timer still ends its side).
    let s = sandbox(&[&lines[..], &["close 1"]].concat());
    assert!(!s.is_open(1));
    let last = s.trace().events.iter().rev().find(|e| e.conn == Some(c)).unwrap();
    assert!(last.text().starts_with("Closed at this end."), "{}", last.text());
    let s = sandbox(&[&lines[..], &["close 1", "wait 15m"]].concat());
    let notes = s.trace().events.iter().filter(|e| e.conn == Some(c) && e.kind == EventKind::Note);
    let notes: Vec<String> = notes.map(|e| e.text()).collect();
    assert_eq!(notes.len(), 3, "the cut's, the close's and the server's own, not TCP's: {notes:?}");
    assert!(notes[2].starts_with("Nothing more came from"), "{notes:?}");
    assert!(!received(&s, 1).contains("221") && !received(&s, 1).contains("421"));
    // A line typed after the cut is said to be lost too, where it is typed.
    let s = sandbox(&[&lines[..], &["type 1 NOOP"]].concat());
    let last = s.trace().events.iter().rev().find(|e| e.conn == Some(c)).unwrap();
    assert!(
        last.text().starts_with("The connection to mx.example.net is broken: this line is lost too"),
        "{}",
        last.text()
    );
    // Where each input came in the trace.
    let s = sandbox(&[
        "open laptop.example.org mx.example.net 25",
        "fault down mx.example.net from 0s to 10m",
        "type 1 NOOP",
    ]);
    assert_eq!(s.marks().len(), 3);
    assert!(s.marks().windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_replay_stops_at_the_first_line_it_cannot_do() {
    let (s, refused) = Sandbox::replay(
        Description::standard(),
        ["open laptop.example.org mx.example.net 25", "type 1 QUIT", "type 1 NOOP", "wait 1m"],
    );
    let (line, why) = refused.unwrap();
    assert_eq!(line, 3);
    assert!(why.0.contains("connection 1 is closed"), "{why}");
    assert_eq!(s.inputs().len(), 2);
    let (s, refused) = Sandbox::replay(Description::standard(), ["wait 1m", "dance"]);
    assert_eq!(refused.map(|(l, _)| l), Some(2));
    assert_eq!(s.inputs(), [Input::Wait(SimDuration::from_secs(60))]);
}

#[test]
fn undo_takes_back_the_last_inputs() {
    let s = sandbox(TYPED_TRANSACTION);
    let back = s.without_last(2);
    assert_eq!(back.inputs(), &s.inputs()[..TYPED_TRANSACTION.len() - 2]);
    assert!(back.is_open(1), "QUIT and the final dot taken back");
    assert!(!back.trace().events.iter().any(|e| matches!(e.kind, EventKind::Delivery { .. })));
    assert_eq!(s.without_last(100).trace().len(), 0);
}

#[test]
fn a_session_is_bounded() {
    // Inputs.
    let mut s = Sandbox::new(Description::standard());
    for _ in 0..MAX_INPUTS {
        s.apply(Input::Wait(SimDuration::from_secs(1))).unwrap();
    }
    let got = s.apply(Input::Wait(SimDuration::from_secs(1))).unwrap_err();
    assert!(got.0.contains("at most 500 inputs"), "{got}");
    // Connections.
    let mut s = Sandbox::new(Description::standard());
    for _ in 0..MAX_CONNECTIONS {
        s.apply(Input::Open { from: LAPTOP.into(), to: MX.into(), port: 25 }).unwrap();
    }
    let got = s.apply(Input::Open { from: LAPTOP.into(), to: MX.into(), port: 25 }).unwrap_err();
    assert!(got.0.contains("at most 50 connections"), "{got}");
    // Events: the input that would go over the bound is taken back whole.
    let mut s = sandbox(&["open laptop.example.org mx.example.net 25"]);
    s.max_events = s.trace().len() + 3;
    s.apply(Input::parse("type 1 NOOP").unwrap()).unwrap();
    let len = s.trace().len();
    let got = s.apply(Input::parse("type 1 NOOP").unwrap()).unwrap_err();
    assert!(got.0.contains("at most"), "{got}");
    assert_eq!((s.trace().len(), s.inputs().len(), s.max_events), (len, 2, len + 1));
}

#[test]
fn a_port_with_no_service_refuses_the_connection() {
    let s = sandbox(&["open laptop.example.org mx.example.net 2525"]);
    assert!(s.trace().events.iter().any(|e| e.kind == EventKind::Refused { port: 2525 }));
    assert!(!s.is_open(1));
}

#[cfg(feature = "pop3")]
#[test]
fn a_typed_message_can_be_read_back_with_pop3() {
    let mut lines: Vec<&str> = TYPED_TRANSACTION.to_vec();
    lines.extend([
        "open laptop.example.org mx.example.net 110",
        "type 2 USER bob@example.net",
        "type 2 PASS builder",
        "type 2 STAT",
        "type 2 RETR 1",
    ]);
    let s = sandbox(&lines);
    let got = received(&s, 2);
    assert!(got.contains("+OK 1 ") && got.contains("Hello Bob\r\n.\r\n"), "{got}");
}

#[test]
fn greylisting_wants_the_retry_to_wait() {
    // Tried again at once: still greylisted; five minutes later (Postgrey's delay): taken.
    let s = sandbox(&[
        "fault greylist mx.example.net",
        "open laptop.example.org mx.example.net 25",
        "type 1 HELO laptop.example.org",
        "type 1 MAIL FROM:<alice@example.org>",
        "type 1 RCPT TO:<bob@example.net>",
        "type 1 RCPT TO:<bob@example.net>",
        "type 1 NOOP",
        "wait 4m",
        "type 1 RCPT TO:<bob@example.net>",
        "type 1 NOOP",
        "wait 1m",
        "type 1 RCPT TO:<bob@example.net>",
    ]);
    assert_eq!(replies(&s)[3..], ["451", "451", "250", "451", "250", "250"]);
}

#[cfg(feature = "trust")]
#[test]
fn the_sandbox_world_reads_and_a_server_told_to_check_refuses_a_fake() {
    let mut d = Description::standard();
    #[cfg(all(feature = "pop3", feature = "imap"))]
    assert_eq!(d.extend(MAILBOX_LINES, 1), Ok(()));
    assert_eq!(d.extend(TRUST_LINES, 1), Ok(()));
    assert_eq!(world(), d);
    let fake = |checks: &str| -> Vec<String> {
        // The checks, then any other line of the session before the typing.
        let mut lines: Vec<String> =
            format!("fault check mx.example.net {checks}").lines().map(String::from).collect();
        // The typed transaction, with a From: line at the top of its message.
        for l in TYPED_TRANSACTION {
            lines.push(l.to_string());
            if *l == "type 1 DATA" {
                lines.push("type 1 From: Alice <alice@example.org>".into());
            }
        }
        let (s, refused) = Sandbox::replay(world(), lines.iter().map(String::as_str));
        assert_eq!(refused, None);
        let notes = s.trace().events.iter().filter(|e| e.kind == EventKind::Note).map(TraceEvent::text);
        let mut out: Vec<String> = notes
            .filter(|n| n.starts_with("SPF") || n.starts_with("DMARC") || n.starts_with("From now on"))
            .collect();
        // The last 250 or 550: the answer to the message (QUIT's is 221).
        let answer = replies(&s).into_iter().rfind(|r| r == "250" || r == "550");
        out.push(answer.unwrap_or_default());
        out
    };
    // Typed from Alice's laptop as alice@example.org: example.org's SPF record names only
    // its MX. Enforced SPF refuses it; DMARC files it in Junk (p=quarantine).
    // A domain that changes its records: the name's TXT records are replaced, at once.
    let reject = fake("dkim dmarc\nfault txt _dmarc.example.org \"v=DMARC1; p=reject\"");
    assert_eq!(
        reject[1],
        "From now on (set in the sandbox): the TXT record of _dmarc.example.org is \"v=DMARC1; p=reject\" (as a line of a world description: txt _dmarc.example.org \"v=DMARC1; p=reject\")"
    );
    assert!(reject[3].starts_with("DMARC fail: example.org's DMARC record says p=reject"), "{reject:?}");
    assert_eq!(reject[4], "550", "{reject:?}");
    // And back to the record it started with: the same line as the world's own.
    let back = fake(
        "dkim dmarc\nfault txt _dmarc.example.org \"v=DMARC1; p=reject\"\nfault txt _dmarc.example.org \"v=DMARC1; p=quarantine\"",
    );
    assert!(back[4].starts_with("DMARC fail: example.org's DMARC record says p=quarantine"), "{back:?}");
    assert_eq!(back[5], "250", "{back:?}");
    let laptop = fake("spf\nfault txt example.org \"v=spf1 ip4:192.0.2.10 mx -all\"");
    assert!(laptop[2].starts_with("SPF pass: 192.0.2.10"), "{laptop:?}");
    assert_eq!(laptop[3], "250", "{laptop:?}");
    let spf = fake("spf");
    assert_eq!(
        spf[0],
        "From now on (set in the sandbox): mx.example.net checks the senders of the mail it receives with SPF (as a line of a world description: check mx.example.net spf)"
    );
    let all = fake("spf dkim dmarc");
    assert!(all[0].contains("receives with SPF, DKIM and DMARC (as a line"), "{all:?}");
    assert!(spf[1].starts_with("SPF fail: 192.0.2.10"), "{spf:?}");
    assert_eq!(spf[2], "550", "{spf:?}");
    let dmarc = fake("dkim dmarc");
    assert!(dmarc[1].starts_with("SPF fail"), "{dmarc:?}");
    assert!(dmarc[2].starts_with("DMARC fail: example.org's DMARC record says p=quarantine"), "{dmarc:?}");
    assert_eq!(dmarc[3], "250", "taken, for the Junk folder: {dmarc:?}");
    // Each check's note comes once, in order, as it is done; one without a From: can't be
    // checked by DMARC (RFC 7489 §6.6.1), and says so last.
    let mut lines = vec!["fault check mx.example.net dmarc".to_string()];
    lines.extend(TYPED_TRANSACTION.iter().map(|l| l.to_string()));
    let (s, _) = Sandbox::replay(world(), lines.iter().map(String::as_str));
    let notes: Vec<String> =
        s.trace().events.iter().filter(|e| e.kind == EventKind::Note).map(TraceEvent::text).collect();
    let checks: Vec<&str> = notes
        .iter()
        .filter_map(|n| n.split(':').next())
        .filter(|n| n.contains(' ') && n.len() < 16)
        .collect();
    assert_eq!(checks, ["SPF fail", "DKIM none", "DMARC permerror"], "{notes:?}");
    // Without a check, nothing is asked: the fake is delivered as before.
    let (s, _) = Sandbox::replay(world(), TYPED_TRANSACTION.iter().copied());
    assert!(
        !s.trace()
            .events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::DnsQuery { qtype, .. } if qtype == "TXT"))
    );
}

/// A check set while a connection is open applies to its next message, as a fault does
/// (it applied only to connections opened after it: the fake was taken with a `250`); set
/// while the message is under way, to that one, checked at its end.
#[cfg(feature = "trust")]
#[test]
fn a_check_set_with_a_connection_open_checks_its_next_message() {
    for at in 1..=8 {
        let mut lines = TYPED_TRANSACTION.to_vec();
        lines.insert(at, "fault check mx.example.net spf");
        let (s, refused) = Sandbox::replay(world(), lines);
        assert_eq!(refused, None);
        // The last 250 or 550: the answer to the message (QUIT's is 221).
        let answer = replies(&s).into_iter().rfind(|r| r == "250" || r == "550");
        assert_eq!(answer.as_deref(), Some("550"), "set after {:?}", TYPED_TRANSACTION[at - 1]);
    }
}

/// A message the provider cannot sign (two From: fields, typed by hand) says so: it went
/// out unsigned without a word.
#[cfg(feature = "trust")]
#[test]
fn a_message_with_two_from_fields_is_said_to_go_unsigned() {
    let notes = |from_lines: &[&str]| -> Vec<String> {
        let mut lines = ALICE_SUBMITS.to_vec();
        lines.extend([
            "type 1 MAIL FROM:<alice@example.org>",
            "type 1 RCPT TO:<bob@example.net>",
            "type 1 DATA",
        ]);
        lines.extend(from_lines.iter().copied());
        lines.extend(["type 1 ", "type 1 Hello", "type 1 ."]);
        let (s, refused) = Sandbox::replay(world(), lines);
        assert_eq!(refused, None);
        let notes = s.trace().events.iter().filter(|e| e.kind == EventKind::Note).map(TraceEvent::text);
        notes.filter(|n| n.contains("DKIM")).collect()
    };
    let one = notes(&["type 1 From: Alice <alice@example.org>"]);
    assert!(one.iter().any(|n| n.starts_with("signs the message with DKIM for example.org")), "{one:?}");
    let two = notes(&["type 1 From: Alice <alice@example.org>", "type 1 From: Alice <alice@example.org>"]);
    assert_eq!(
        two,
        ["does not sign the message with DKIM: the message has 2 From: fields, and DMARC needs exactly one."]
    );
}

#[cfg(feature = "pop3")]
#[test]
fn a_command_the_server_does_not_know_is_explained_before_its_answer() {
    // A student's typing mistakes, in SMTP and in POP3 (a keyword of four letters, and a
    // word too long to be one), and a command SMTP has that the server does not offer: the
    // card explains the line itself, not only the reply after it, and says which reply it
    // will get.
    let s = sandbox(&[
        "open laptop.example.org mx.example.net 25",
        "type 1 EHOL laptop.example.org",
        "type 1 ETRN example.org",
        "type 1 EHLO laptop.example.org",
        "open laptop.example.org mx.example.net 110",
        "type 2 STAX",
        "type 2 STATUS",
    ]);
    let t = s.trace();
    let explained: Vec<(String, &str, &str)> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Command { verb } => {
                let x = crate::explain::event(t, e.index);
                assert_eq!(x.len(), 1, "{verb}: {x:?}");
                Some((verb.clone(), x[0].title, x[0].rfc))
            }
            _ => None,
        })
        .collect();
    let unknown_smtp = ("Not an SMTP command", "RFC 5321 §4.2.4, §4.1.1");
    let not_offered = ("A command this server does not offer", "RFC 5321 §4.2.4");
    let unknown_pop3 = ("Not a POP3 command", "RFC 1939 §3");
    let ehlo = crate::explain::command("EHLO").unwrap();
    assert_eq!(
        explained,
        [
            ("EHOL".to_string(), unknown_smtp.0, unknown_smtp.1),
            // A command of an extension the server does not implement: 502, not 500.
            ("ETRN".to_string(), not_offered.0, not_offered.1),
            ("EHLO".to_string(), ehlo.title, ehlo.rfc),
            ("STAX".to_string(), unknown_pop3.0, unknown_pop3.1),
            // Not a keyword at all (more than four letters): no verb in the trace.
            (String::new(), unknown_pop3.0, unknown_pop3.1),
        ]
    );
    // The replies are the ones the explanations announce.
    assert_eq!(replies(&s), ["220", "500", "502", "250", "+OK", "-ERR", "-ERR"]);
}

#[test]
fn a_connection_by_name_asks_the_dns_first_as_telnet_does() {
    let s = sandbox(&["open laptop.example.org mx.example.net 25"]);
    let t = s.trace();
    let laptop = t.hosts.iter().position(|h| h.name == LAPTOP).unwrap();
    let kinds: Vec<&EventKind> = t.events.iter().take(3).map(|e| &e.kind).collect();
    assert!(
        matches!(kinds[..], [
            EventKind::DnsQuery { name: q, qtype: a, .. },
            EventKind::DnsAnswer { name: r, .. },
            EventKind::Connect { port: 25 },
        ] if q == MX && a == "A" && r == MX),
        "{kinds:?}"
    );
    assert_eq!((t.events[0].from, t.events[1].to), (laptop, laptop));
    // The address is known after the answer: telnet says "Trying" from there.
    let c = s.connections()[0];
    assert_eq!(c.found_at, Some(2));
    assert_eq!(t.host(c.to).name, MX);
    // The DNS sent it to the host chosen (a world gives a host's name its own address only).
    assert_eq!(t.conns[c.id.0].server, c.to);
    assert!(received(&s, 1).starts_with("220 mx.example.net"));
}

#[test]
fn a_name_the_resolver_does_not_answer_for_ends_the_connection_in_telnets_words() {
    let lines = ["fault down ns.example.org from 0s to 1h", "open laptop.example.org mx.example.net 25"];
    let s = sandbox(&lines);
    let c = s.connections()[0];
    assert_eq!(c.found_at, None);
    assert!(!s.is_open(1));
    let said: Vec<String> =
        s.trace().events.iter().filter(|e| e.conn == Some(c.id)).map(TraceEvent::text).collect();
    assert_eq!(said, ["telnet: could not resolve mx.example.net/25: Temporary failure in name resolution"]);
    // Explained as what it is, not as any note of the simulation.
    let note = s.trace().events.iter().position(|e| e.conn == Some(c.id)).unwrap();
    let told: Vec<&str> = crate::explain::event(s.trace(), note).iter().map(|x| x.key).collect();
    assert_eq!(told, ["telnet-resolve"]);
    // No connection was tried, so nothing can be typed into it.
    assert!(!s.trace().events.iter().any(|e| matches!(e.kind, EventKind::Connect { .. })));
    let (_, refused) = Sandbox::replay(
        Description::standard(),
        lines.iter().copied().chain(["type 1 EHLO laptop.example.org"]),
    );
    assert!(refused.is_some_and(|(line, why)| line == 3 && why.0.contains("connection 1 is closed")));
}

#[test]
fn what_became_of_a_connection_is_explained_not_just_noted() {
    // (what the student did, how the World's note begins, the explanation it gets)
    let open = "open laptop.example.org mx.example.net 25";
    let cases: &[(&[&str], &str, &str)] = &[
        (&["fault down mx.example.net from 0s to 1h"], FAULT_NOTE, "fault-down"),
        (&["fault greylist mx.example.net"], FAULT_NOTE, "fault-greylist"),
        (&["fault full bob@example.net"], FAULT_NOTE, "fault-full"),
        (&["fault cut mx.example.net 25 before QUIT"], FAULT_NOTE, "fault-cut"),
        // Its text says "goes down": told by what the fault is, not by the words it quotes.
        (&["fault reply mx.example.net RCPT 450 \"The server goes down soon\""], FAULT_NOTE, "fault-reply"),
        (&["fault down ns.example.org from 0s to 1h", open], "telnet: could not resolve", "telnet-resolve"),
        (&["fault down ns.example.org from 0s to 1h", open], "No answer: the DNS resolver", "dns-timeout"),
        (
            &["fault down mx.example.net from 0s to 1h", open],
            "No answer from mx.example.net",
            "connect-timeout",
        ),
        (
            &[open, "fault cut mx.example.net 25 before QUIT", "type 1 QUIT", "wait 15m"],
            "The connection to",
            "broken",
        ),
        (&[open, "fault down mx.example.net from 0s to 1h", "type 1 NOOP"], "No acknowledgement: ", "resend"),
        (
            &[open, "fault down mx.example.net from 0s to 10m", "type 1 NOOP", "wait 20m"],
            "Arrived after ",
            "reset",
        ),
        (
            &[open, "fault down mx.example.net from 0s to 10m", "type 1 NOOP", "wait 20m"],
            "The connection to mx.example.net broke: mx.example.net answers with a reset",
            "broken",
        ),
        (
            &[open, "fault down mx.example.net from 0s to 1h", "type 1 NOOP", "wait 15m"],
            "The connection to mx.example.net broke: mx.example.net went down",
            "broken",
        ),
        (
            &[open, "fault cut mx.example.net 25 before QUIT", "type 1 QUIT", "wait 5m"],
            "Nothing more came from",
            "inactive",
        ),
    ];
    for (lines, start, key) in cases {
        let s = sandbox(lines);
        let t = s.trace();
        let note = t.events.iter().position(|e| e.kind == EventKind::Note && e.text().starts_with(start));
        let note = note.unwrap_or_else(|| panic!("{lines:?}: no note {start:?}"));
        let told: Vec<&str> = crate::explain::event(t, note).iter().map(|x| x.key).collect();
        assert_eq!(told, [*key], "{}", t.events[note].text());
    }
}

#[test]
fn an_injected_fault_is_said_in_words_beside_its_line() {
    // (the fault injected, the host whose row says it, the words)
    let cases = [
        (
            "down mx.example.net from 0s to 1h",
            "mx.example.net",
            "mx.example.net goes down for 1 hour: it answers nothing, not even a new connection",
        ),
        (
            "down mx.example.net from 30m to 1d",
            "mx.example.net",
            "mx.example.net goes down in 30 minutes for 23 hours 30 minutes: it answers nothing, not even a new connection",
        ),
        (
            "greylist mx.example.net",
            "mx.example.net",
            "mx.example.net greylists: the first try of each client, sender and recipient gets 451 4.7.1, a try again after 5 minutes goes through",
        ),
        (
            "full bob@example.net",
            "mx.example.net",
            "the mailbox bob@example.net is full: mail for it is refused with 452 4.2.2 (try again later)",
        ),
        (
            "reply mx.example.net RCPT 550 5.1.1 \"No such user here\"",
            "mx.example.net",
            "mx.example.net answers RCPT with 550 5.1.1 No such user here, every time",
        ),
        (
            "reply mx.example.net GREETING 421 \"mx.example.net busy\" times 1",
            "mx.example.net",
            "mx.example.net answers a new connection with 421 mx.example.net busy, once",
        ),
        (
            "cut mx.example.net 25 before QUIT",
            "mx.example.net",
            "a connection to mx.example.net port 25 breaks as the client sends QUIT (QUIT never arrives), every time",
        ),
    ];
    for (fault, host, words) in cases {
        let s = sandbox(&[&format!("fault {fault}")]);
        let t = s.trace();
        let note =
            t.events.iter().find(|e| e.kind == EventKind::Note).unwrap_or_else(|| panic!("{fault}: no note"));
        assert_eq!(t.hosts[note.from].name, host, "{fault}");
        assert_eq!(
            note.text(),
            format!("{FAULT_NOTE}{words} (as a line of a world description: {fault})"),
            "{fault}"
        );
    }
    assert_eq!(span(SimDuration::from_secs(90)), "1 minute 30 seconds");
    assert_eq!(span(SimDuration(0)), "no time");
    assert_eq!(span(SimDuration::from_secs(1)), "1 second");
    assert_eq!(span(SimDuration::from_secs(2 * 86_400)), "2 days");
}

#[cfg(feature = "imap")]
#[test]
fn a_command_typed_inside_a_message_is_said_to_be_a_line_of_it() {
    // The classic slip: QUIT before the lone dot. After 354 it is a line of the message;
    // `Quit smoking` is just text. The IMAP command without its tag is said as such.
    let s = sandbox(&[
        "open laptop.example.org mx.example.net 25",
        "type 1 EHLO laptop.example.org",
        "type 1 MAIL FROM:<alice@example.org>",
        "type 1 RCPT TO:<bob@example.net>",
        "type 1 DATA",
        "type 1 Subject: hi",
        "type 1 ",
        "type 1 Quit smoking",
        "type 1 Help me move on Saturday",
        "type 1 Send me the slides",
        "type 1 QUIT",
        "open laptop.example.org mx.example.net 143",
        "type 2 LOGIN bob@example.net builder",
        "type 2 NOOP",
    ]);
    let t = s.trace();
    let told: Vec<(String, &str)> = t
        .events
        .iter()
        .filter(|e| e.from != e.to && matches!(e.kind, EventKind::MessageData | EventKind::Command { .. }))
        .filter(|e| e.protocol != crate::trace::Protocol::Smtp || e.kind == EventKind::MessageData)
        .map(|e| (e.text().trim_end().to_string(), crate::explain::event(t, e.index)[0].key))
        .collect();
    assert_eq!(
        told,
        [
            ("Subject: hi".to_string(), "data"),
            (String::new(), "data"),
            ("Quit smoking".to_string(), "data"),
            ("Help me move on Saturday".to_string(), "data"),
            ("Send me the slides".to_string(), "data"),
            ("QUIT".to_string(), "data-command"),
            ("LOGIN bob@example.net builder".to_string(), "no-tag"),
            ("NOOP".to_string(), "no-tag"),
        ]
    );
    // Nothing answered the QUIT: the server still waits for the dot.
    assert!(!received(&s, 1).contains("221"), "{}", received(&s, 1));
}

/// Alice's provider serves her mailbox in the sandbox: a bounce it files for her is read
/// with POP3 and IMAP, as a mail program would.
#[cfg(all(feature = "pop3", feature = "imap"))]
#[test]
fn alice_reads_her_bounce_on_her_providers_server() {
    let services =
        world().host("smtp.example.org").unwrap().services.iter().map(|s| s.port).collect::<Vec<_>>();
    assert_eq!(services, [25, 587, 110, 143]);
    let mut lines = ALICE_SUBMITS.to_vec();
    lines.extend([
        "type 1 MAIL FROM:<alice@example.org>",
        "type 1 RCPT TO:<nobody@example.net>",
        "type 1 DATA",
        "type 1 Subject: to nobody",
        "type 1 ",
        "type 1 Hello?",
        "type 1 .",
        "type 1 QUIT",
        "wait 1m",
        "open laptop.example.org smtp.example.org 110",
        "type 2 USER alice@example.org",
        "type 2 PASS wonderland",
        "type 2 RETR 1",
        "open laptop.example.org smtp.example.org 143",
        "type 3 a1 LOGIN alice@example.org wonderland",
        "type 3 a2 SELECT INBOX",
    ]);
    let (s, refused) = Sandbox::replay(world(), lines);
    assert_eq!(refused, None);
    let pop3 = received(&s, 2);
    assert!(pop3.contains("Final-Recipient: rfc822; nobody@example.net"), "{pop3}");
    assert!(received(&s, 3).contains("* 1 EXISTS"), "{}", received(&s, 3));
}

/// What the server took of the lines typed into a connection, judged by the replies that
/// answer each (their status as the World read it), never by the text that came back.
#[test]
fn the_lines_a_server_took_are_told_by_the_replies_that_answer_them() {
    // Submission: a password before TLS is refused (538), MAIL before a login too (530);
    // STARTTLS is taken. The lines of a message have no answer of their own; its dot has.
    let s = sandbox(&[
        "open laptop.example.org smtp.example.org 587",
        "type 1 EHLO x",
        "type 1 AUTH PLAIN AGFsaWNl",
        "type 1 MAIL FROM:<eve@example.org>",
        "type 1 STARTTLS",
    ]);
    let end = s.trace().len();
    assert_eq!(s.accepted(1, end), ["EHLO x", "STARTTLS"]);
    assert_eq!(
        s.judged(1, end),
        [
            ("EHLO x", true),
            ("AUTH PLAIN AGFsaWNl", false),
            ("MAIL FROM:<eve@example.org>", false),
            ("STARTTLS", true)
        ]
    );
    // Looking back: what was typed before the cursor, judged by what had come by then.
    let at_auth = s.typed(1)[1].0;
    assert_eq!(s.accepted(1, at_auth), ["EHLO x"]);
    assert_eq!(s.accepted(1, at_auth + 1), ["EHLO x", "AUTH PLAIN AGFsaWNl"], "its 538 has not come yet");
    assert!(s.accepted(2, end).is_empty(), "no such connection");

    let mut lines = TYPED_TRANSACTION[..8].to_vec();
    lines.extend(["type 1 .", "type 1 NOOP", "wait 10m"]);
    let s = sandbox(&lines);
    assert!(received(&s, 1).contains("421 "), "{}", received(&s, 1));
    let taken = s.accepted(1, s.trace().len());
    // The idle timeout's 421 answers no line: NOOP was taken.
    assert_eq!(
        taken,
        TYPED_TRANSACTION[1..8].iter().map(|l| &l[7..]).chain([".", "NOOP"]).collect::<Vec<_>>()
    );

    let s = sandbox(&["open laptop.example.org mx.example.net 25", "type 1 DATA", "type 1 HELO x"]);
    assert_eq!(s.accepted(1, s.trace().len()), ["HELO x"], "DATA before MAIL: 503");

    // A message refused at its end: its lines were taken, its dot was not.
    let mut lines = vec!["fault reply mx.example.net MESSAGE 554 \"No thanks\""];
    lines.extend(&TYPED_TRANSACTION[..8]);
    lines.push("type 1 .");
    let s = sandbox(&lines);
    // Written without an enhanced code, the rule's reply gets 5.0.0 (RFC 3463 §3.1).
    assert!(received(&s, 1).contains("554 5.0.0 No thanks"), "{}", received(&s, 1));
    assert_eq!(s.accepted(1, s.trace().len()).last(), Some(&"Hello Bob"));
}

/// AUTH LOGIN over three lines (RFC 4954 §4): the password refused takes the whole login
/// back, so AUTH is the next line to try again; one that works keeps all three.
#[cfg(any(feature = "trust", all(feature = "pop3", feature = "imap")))]
#[test]
fn a_login_refused_takes_back_all_its_lines() {
    let login = |password: &str| {
        let mut lines = ALICE_SUBMITS[..4].to_vec();
        let password = format!("type 1 {}", crate::base64::encode(password.as_bytes()));
        lines.extend(["type 1 AUTH LOGIN", "type 1 YWxpY2VAZXhhbXBsZS5vcmc=", &password, "type 1 NOOP"]);
        let s = sandbox(&lines);
        let c = s.connections()[0].id;
        let kinds =
            s.trace().events.iter().filter(|e| e.conn == Some(c) && e.kind == EventKind::AuthData).count();
        assert_eq!(kinds, 2, "two lines of the login answer 334s");
        s.accepted(1, s.trace().len()).iter().map(|l| l.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(login("nope"), ["EHLO laptop.example.org", "STARTTLS", "EHLO laptop.example.org", "NOOP"]);
    assert_eq!(login("wonderland").len(), 7);
}

/// POP3's `-ERR`, IMAP's `NO` and `BAD` (tagged, and untagged for a line with no tag),
/// and a message read back whose lines look like refusals.
#[cfg(all(feature = "pop3", feature = "imap"))]
#[test]
fn a_message_read_back_is_not_taken_for_a_refusal() {
    let mut lines: Vec<&str> = TYPED_TRANSACTION[..7].to_vec();
    lines.extend([
        "type 1 -ERR is what I got yesterday",
        "type 1 a3 NO is a line of it",
        "type 1 .",
        "type 1 QUIT",
    ]);
    lines.extend([
        "open laptop.example.org mx.example.net 110",
        "type 2 USER bob@example.net",
        "type 2 PASS wrong",
        "type 2 USER bob@example.net",
        "type 2 PASS builder",
        "type 2 RETR 1",
        "type 2 RETR 9",
        "open laptop.example.org mx.example.net 143",
        "type 3 a1 LOGIN bob@example.net nope",
        "type 3 LOGIN bob@example.net builder",
        "type 3 NOOP",
        "type 3 a2 LOGIN bob@example.net builder",
        "type 3 a3 SELECT INBOX",
        "type 3 a4 FETCH 1 BODY[]",
        "type 3 a5 FETCH 7 BODY[]",
        "type 3 a6 IDLE",
        "type 3 DONE",
    ]);
    let s = sandbox(&lines);
    let end = s.trace().len();
    assert!(received(&s, 2).contains("-ERR is what I got yesterday"), "{}", received(&s, 2));
    assert_eq!(
        s.accepted(2, end),
        ["USER bob@example.net", "PASS builder", "RETR 1"],
        "a refused PASS takes its USER back (USER again, then PASS: RFC 1939 §7)"
    );
    let imap = received(&s, 3);
    assert!(imap.contains("a3 NO is a line of it") && imap.contains("* BAD"), "{imap}");
    // IDLE's `+` and the OK after DONE (which answers the IDLE): both taken.
    assert!(imap.contains("a6 OK"), "{imap}");
    assert_eq!(
        s.accepted(3, end),
        ["a2 LOGIN bob@example.net builder", "a3 SELECT INBOX", "a4 FETCH 1 BODY[]", "a6 IDLE", "DONE"]
    );
}

#[test]
fn a_host_down_mid_session_is_sent_to_again_until_it_is_back_or_tcp_gives_up() {
    let open = "open laptop.example.org mx.example.net 25";
    let conn_notes = |s: &Sandbox| -> Vec<(u64, String, String)> {
        let (t, c) = (s.trace(), s.connections()[0].id);
        let notes = t.events.iter().filter(|e| e.conn == Some(c) && e.kind == EventKind::Note);
        notes.map(|e| (e.at.0 / 1_000_000, t.hosts[e.from].name.clone(), e.text())).collect()
    };
    // Down for 10 minutes: the NOOP typed at 2 s is sent again until a copy gets through
    // (at 609 s). The server's inactivity timer ran out meanwhile (at 300 s): its 421 and
    // its close are still being sent again, and what arrives after it closed is read by
    // nobody: its TCP answers with a reset, and the connection is gone at both ends.
    let s = sandbox(&[open, "fault down mx.example.net from 0s to 10m", "type 1 NOOP", "wait 20m"]);
    let notes = conn_notes(&s);
    let s10 = notes.clone();
    assert_eq!(notes.len(), 4, "{notes:#?}");
    assert_eq!((notes[0].0, notes[0].1.as_str()), (2, "laptop.example.org"));
    assert!(
        notes[0].2.starts_with("No acknowledgement: mx.example.net is down. TCP on laptop.example.org sends")
    );
    assert_eq!((notes[1].0, notes[1].1.as_str()), (300, "mx.example.net"));
    assert!(notes[1].2.starts_with("No acknowledgement: mx.example.net is down, cut off from the network"));
    assert_eq!((notes[2].0, notes[2].1.as_str()), (609, "mx.example.net"));
    assert_eq!(
        notes[2].2,
        "Arrived after mx.example.net had closed the connection: “NOOP”, from laptop.example.org. Nothing reads it: TCP on mx.example.net answers with a reset (RST)."
    );
    assert_eq!((notes[3].0, notes[3].1.as_str()), (609, "laptop.example.org"));
    assert_eq!(
        notes[3].2,
        "The connection to mx.example.net broke: mx.example.net answers with a reset (RST), as it had closed the connection. laptop.example.org closes it too."
    );
    assert!(!received(&s, 1).contains("421"), "{}", received(&s, 1));
    assert!(!s.is_open(1));
    // The 421 and the close still being sent again wake nothing up: the connection is gone.
    assert_eq!(s.next_wakeup(), None);
    // The laptop itself down: the same, said of it.
    let s = sandbox(&[open, "fault down laptop.example.org from 0s to 10m", "type 1 NOOP", "wait 20m"]);
    let notes = conn_notes(&s);
    assert!(notes[0].2.starts_with("No acknowledgement: laptop.example.org is down, cut off"), "{notes:#?}");
    assert!(notes[1].2.starts_with("No acknowledgement: laptop.example.org is down. TCP on mx.example.net"));
    // Down for an hour: nothing gets through. The server ends its session by its own timer;
    // telnet has none, so the laptop hears only when its TCP gives up, 15 minutes on.
    // Its 421 goes into the outage as in the 10 minutes' (the same note): neither end can
    // tell an outage that will end from one that will not.
    let s = sandbox(&[open, "fault down mx.example.net from 0s to 1h", "type 1 NOOP", "wait 20m"]);
    let notes = conn_notes(&s);
    assert_eq!(notes.len(), 4, "{notes:#?}");
    assert_eq!(notes[1], s10[1]);
    assert_eq!((notes[2].0, notes[2].1.as_str()), (300, "mx.example.net"));
    assert!(
        notes[2]
            .2
            .starts_with("Nothing more came from laptop.example.org (what it sent was lost on the way): "),
        "{notes:#?}"
    );
    assert_eq!((notes[3].0, notes[3].1.as_str()), (902, "laptop.example.org"));
    assert_eq!(
        notes[3].2,
        "The connection to mx.example.net broke: mx.example.net went down, and nothing has crossed it since. After sending for 15 minutes without an acknowledgement, TCP on laptop.example.org gives up."
    );
    assert!(!s.is_open(1));
    assert!(!received(&s, 1).contains("421"), "the 421 never arrived");
}
