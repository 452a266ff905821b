use super::*;
use mailroom_core::time::SimDuration;

fn state(lines: &[&str]) -> Rc<SandboxState> {
    let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let s = SandboxState::restore(Description::standard(), &lines);
    assert_eq!(s.notice, None, "{lines:?}");
    Rc::new(s)
}

fn act(s: Rc<SandboxState>, line: &str) -> Rc<SandboxState> {
    s.reduce(SandboxAction::Do(Input::parse(line).unwrap()))
}

fn ticks(mut s: Rc<SandboxState>) -> Rc<SandboxState> {
    while s.cursor < s.total() {
        s = s.reduce(SandboxAction::Tick);
    }
    s
}

#[test]
fn new_events_are_shown_one_at_a_time() {
    let s = state(&[]);
    assert_eq!((s.cursor, s.total(), s.active), (0, 0, 0));
    let s = act(s, "open laptop.example.org mx.example.net 25");
    assert_eq!((s.cursor, s.total(), s.active), (0, 2, 1), "connect and greeting, not shown yet");
    let s = s.reduce(SandboxAction::Tick);
    assert_eq!(s.cursor, 1);
    // The next input first shows the rest of the last one's events, then moves on from there.
    let s = act(s, "type 1 EHLO laptop.example.org");
    assert_eq!((s.cursor, s.total()), (2, 4));
    let s = ticks(s);
    let same = s.clone().reduce(SandboxAction::Tick);
    assert!(Rc::ptr_eq(&s, &same), "nothing more to show");
}

#[test]
fn stepping_back_stops_following_until_latest() {
    let s = ticks(state(&["open laptop.example.org mx.example.net 25", "type 1 NOOP"]));
    let total = s.total();
    let s = s.reduce(SandboxAction::Back).reduce(SandboxAction::Back);
    assert_eq!((s.cursor, s.following), (total - 2, false));
    assert_eq!(s.clone().reduce(SandboxAction::Tick).cursor, total - 2, "the timer does not pull it on");
    let s = s.reduce(SandboxAction::Forward);
    assert_eq!((s.cursor, s.following), (total - 1, false));
    let s = s.reduce(SandboxAction::Forward);
    assert_eq!((s.cursor, s.following), (total, true));
    let s = s.reduce(SandboxAction::Back).reduce(SandboxAction::Latest);
    assert_eq!((s.cursor, s.following), (total, true));
    let s = s.reduce(SandboxAction::Select(Some(1)));
    assert_eq!(s.focused(), Some(1));
    assert_eq!(s.reduce(SandboxAction::Select(Some(total))).selected, None, "the future is not chosen");
}

#[test]
fn a_refused_input_is_named_and_changes_nothing() {
    let s = ticks(state(&["open laptop.example.org mx.example.net 25", "type 1 QUIT"]));
    let (total, run) = (s.total(), s.run.clone());
    let s = act(s, "type 1 NOOP");
    assert_eq!(s.notice.as_deref(), Some("connection 1 is closed"));
    assert_eq!(s.total(), total);
    assert!(s.run == run, "the same trace");
    let s = s.reduce(SandboxAction::DismissNotice);
    assert_eq!(s.notice, None);
}

#[test]
fn undo_and_start_over() {
    let s = ticks(state(&["open laptop.example.org mx.example.net 25", "type 1 NOOP"]));
    let total = s.total();
    let s = s.reduce(SandboxAction::Undo);
    assert_eq!(s.sandbox.borrow().inputs().len(), 1);
    assert_eq!((s.cursor, s.total(), s.active), (total - 2, total - 2, 1));
    let s = s.reduce(SandboxAction::Undo);
    assert_eq!((s.cursor, s.total(), s.active), (0, 0, 0), "no connection left to show");
    let s = act(
        act(s, "open laptop.example.org mx.example.net 25"),
        "open laptop.example.org mx.example.net 110",
    );
    assert_eq!(s.active, 2, "the newest connection is the one to type into");
    let s = s.reduce(SandboxAction::Show(1));
    assert_eq!(s.active, 1);
    assert_eq!(s.clone().reduce(SandboxAction::Show(3)).active, 1, "no connection 3");
    let s = act(s, "wait 1m");
    assert_eq!(s.active, 1, "still the one chosen");
    let s = s.reduce(SandboxAction::StartOver);
    assert_eq!((s.total(), s.sandbox.borrow().inputs().len(), s.active), (0, 0, 0));
}

#[test]
fn a_session_survives_a_reload() {
    let s = ticks(state(&[
        "open laptop.example.org mx.example.net 25",
        "type 1 EHLO laptop.example.org",
        "fault greylist mx.example.net",
        "wait 10m",
    ]));
    let text = s.saved();
    assert!(text.starts_with("1:"), "{text}");
    let again = SandboxState::from_storage(Description::standard(), Some(&text));
    assert_eq!(again.notice, None);
    assert_eq!(again.sandbox.borrow().inputs(), s.sandbox.borrow().inputs());
    assert_eq!((again.total(), again.cursor, again.active), (s.total(), s.total(), 1));
    // Unreadable, or from another version: a new session, and a notice.
    for bad in ["1:!!!", "nonsense", "7:AAAA"] {
        let s = SandboxState::from_storage(Description::standard(), Some(bad));
        assert_eq!(s.total(), 0, "{bad}");
        assert!(s.notice.as_deref().is_some_and(|n| n.contains("sandbox session")), "{bad}: {:?}", s.notice);
    }
    // A line that cannot be done again: the session up to it, and which one.
    let saved = crate::saved::encode(
        VERSION,
        &Saved { lines: vec!["open laptop.example.org mx.example.net 25".into(), "type 2 NOOP".into()] },
    );
    let s = SandboxState::from_storage(Description::standard(), Some(&saved));
    assert_eq!(s.sandbox.borrow().inputs().len(), 1);
    let notice = s.notice.unwrap();
    assert!(notice.contains("up to input 1; input 2") && notice.contains("no connection 2"), "{notice}");
}

#[test]
fn the_terminal_reads_like_telnet() {
    let s = ticks(state(&[
        "open laptop.example.org mx.example.net 25",
        "type 1 EHLO laptop.example.org",
        "type 1 QUIT",
        "open laptop.example.org mx.example.net 2525",
    ]));
    let sandbox = s.sandbox.borrow();
    let c = sandbox.connections();
    let lines = terminal(&s.run.trace, &c[0], s.cursor);
    assert_eq!(lines[0], TermLine::Status("Trying 198.51.100.25 port 25…".into()));
    assert_eq!(lines[1], TermLine::Status("Connected to mx.example.net (198.51.100.25).".into()));
    assert_eq!(lines[2], TermLine::Received("220 mx.example.net ESMTP Mailroom ready".into()));
    assert_eq!(lines[3], TermLine::Typed("EHLO laptop.example.org".into()));
    assert!(lines.contains(&TermLine::Received("250-PIPELINING".into())), "{lines:?}");
    assert_eq!(
        lines[lines.len() - 3..],
        [
            TermLine::Typed("QUIT".into()),
            TermLine::Received("221 2.0.0 mx.example.net closing connection".into()),
            TermLine::Status("Connection closed by foreign host.".into()),
        ]
    );
    // Before the cursor only.
    assert_eq!(terminal(&s.run.trace, &c[0], 0).len(), 1);
    let refused = terminal(&s.run.trace, &c[1], s.cursor);
    assert_eq!(
        refused.last(),
        Some(&TermLine::Status("Connection refused: nothing listens on port 2525 of mx.example.net.".into()))
    );
}

#[test]
fn a_host_that_does_not_answer_times_out_in_the_terminal() {
    let s = ticks(state(&[
        "fault down mx.example.net from 0s to 1h",
        "open laptop.example.org mx.example.net 25",
        "open laptop.example.org mx.example.net 110",
    ]));
    let sandbox = s.sandbox.borrow();
    let c = sandbox.connections();
    let want = |port: u16| {
        vec![
            TermLine::Status(format!("Trying 198.51.100.25 port {port}…")),
            TermLine::Status(format!(
                "No answer from mx.example.net (198.51.100.25) on port {port}: the connection timed out after 30 s."
            )),
        ]
    };
    assert_eq!(terminal(&s.run.trace, &c[0], s.cursor), want(25));
    assert_eq!(terminal(&s.run.trace, &c[1], s.cursor), want(110));
}

#[test]
fn clock_and_ports() {
    let cases = [
        (0, "Mon 09:00:00"),
        (61, "Mon 09:01:01"),
        (15 * 3600, "Tue 00:00:00"),
        (6 * 86_400, "Sun 09:00:00"),
    ];
    for (secs, want) in cases {
        assert_eq!(clock(SimTime::ZERO.plus(SimDuration::from_secs(secs))), want, "{secs}");
    }
    let world = Description::standard();
    assert_eq!(typable_ports(&world, "mx.example.net"), [(25, "smtp"), (110, "pop3"), (143, "imap")]);
    assert_eq!(typable_ports(&world, "smtp.example.org"), [(25, "smtp"), (587, "submission")]);
    assert_eq!(typable_ports(&world, "ns.example.org"), []);
    assert_eq!(typable_ports(&world, "nowhere.example"), []);
}

#[test]
fn the_hints_work_on_the_standard_world() {
    // Every hint of each service, typed in order, is answered; none is refused as unknown.
    let cases = [
        ("smtp", "mx.example.net 25", &["500", "502"][..]),
        ("pop3", "mx.example.net 110", &["-ERR"][..]),
        ("imap", "mx.example.net 143", &["BAD", "NO"][..]),
        ("submission", "smtp.example.org 587", &["500", "502", "501"][..]),
    ];
    // A message for Bob first, typed on connection 1, so that there is one to read.
    let deliver = [
        "open laptop.example.org mx.example.net 25",
        "type 1 HELO laptop.example.org",
        "type 1 MAIL FROM:<alice@example.org>",
        "type 1 RCPT TO:<bob@example.net>",
        "type 1 DATA",
        "type 1 Subject: hi",
        "type 1 ",
        "type 1 Hello",
        "type 1 .",
        "type 1 QUIT",
    ];
    for (kind, to, never) in cases {
        let mut lines: Vec<String> = deliver.iter().map(|l| l.to_string()).collect();
        lines.push(format!("open laptop.example.org {to}"));
        lines.extend(
            hints(kind)
                .iter()
                .filter(|h| !h.starts_with("DATA") && **h != "STARTTLS")
                .map(|h| format!("type 2 {h}")),
        );
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let s = ticks(state(&lines));
        let sandbox = s.sandbox.borrow();
        let got: Vec<TermLine> = terminal(&s.run.trace, &sandbox.connections()[1], s.cursor);
        let received: Vec<&String> =
            got.iter().filter_map(|l| if let TermLine::Received(t) = l { Some(t) } else { None }).collect();
        assert!(received.len() > hints(kind).len() - 2, "{kind}: {got:?}");
        for r in &received {
            assert!(!never.iter().any(|n| r.starts_with(n) || r.contains(&format!(" {n} "))), "{kind}: {r}");
        }
    }
    // The submission server wants TLS before a password (RFC 4954 §4, 538).
    let s = ticks(state(&[
        "open laptop.example.org smtp.example.org 587",
        "type 1 EHLO x",
        &format!("type 1 {}", hints("submission")[1]),
    ]));
    let sandbox = s.sandbox.borrow();
    let got = terminal(&s.run.trace, &sandbox.connections()[0], s.cursor);
    assert!(got.iter().any(|l| matches!(l, TermLine::Received(t) if t.starts_with("538 5.7.11"))), "{got:?}");
    let plain = mailroom_core::base64::decode("AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=").unwrap();
    assert_eq!(plain, b"\0alice@example.org\0wonderland");
}

#[test]
fn a_terminal_says_what_starttls_needs() {
    let s =
        ticks(state(&["open laptop.example.org smtp.example.org 587", "type 1 EHLO x", "type 1 STARTTLS"]));
    let sandbox = s.sandbox.borrow();
    let got = terminal(&s.run.trace, &sandbox.connections()[0], s.cursor);
    assert!(
        matches!(got.last(), Some(TermLine::Status(t)) if t.contains("openssl s_client -starttls smtp")),
        "{got:?}"
    );
}
