use super::*;
use crate::present::clock;
use mailroom_core::time::{SimDuration, SimTime};

fn state(lines: &[&str]) -> Rc<SandboxState> {
    let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let s = SandboxState::restore(Description::standard(), &lines);
    assert_eq!(s.notice, None, "{lines:?}");
    Rc::new(s)
}

fn act(s: Rc<SandboxState>, line: &str) -> Rc<SandboxState> {
    s.reduce(SandboxAction::Do(Input::parse(line).unwrap()))
}

/// The lines to try on the sandbox's world.
fn hints(kind: &str, client: &str, server: &str, in_data: bool) -> Vec<String> {
    super::hints(&mailroom_core::sandbox::world(), kind, client, server, in_data)
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
    assert_eq!(
        (s.cursor, s.total(), s.active),
        (0, 4, 1),
        "the name looked up, connect, greeting: not shown yet"
    );
    let s = s.reduce(SandboxAction::Tick);
    assert_eq!(s.cursor, 1);
    // The next input first shows the rest of the last one's events, then moves on from there.
    let s = act(s, "type 1 EHLO laptop.example.org");
    assert_eq!((s.cursor, s.total()), (4, 6));
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
    let start = s.clone().reduce(SandboxAction::First);
    assert_eq!((start.cursor, start.following), (0, false), "the world as it started");
    assert_eq!(start.clone().reduce(SandboxAction::Tick).cursor, 0);
    assert_eq!(start.reduce(SandboxAction::Forward).cursor, 1);
    // The lesson's keys, a clicker's too.
    for (key, action) in [
        ("ArrowLeft", Some(SandboxAction::Back)),
        ("PageUp", Some(SandboxAction::Back)),
        ("ArrowRight", Some(SandboxAction::Forward)),
        ("PageDown", Some(SandboxAction::Forward)),
        ("Home", Some(SandboxAction::First)),
        ("End", Some(SandboxAction::Latest)),
        ("a", None),
        (" ", None),
    ] {
        assert_eq!(crate::sandbox::key_action(key), action, "{key:?}");
    }
    let s = s.reduce(SandboxAction::Select(Some(1)));
    assert_eq!(s.focused(), Some(1));
    assert_eq!(s.reduce(SandboxAction::Select(Some(total))).selected, None, "the future is not chosen");
}

#[test]
fn a_refused_input_is_named_and_changes_nothing() {
    let s = ticks(state(&["open laptop.example.org mx.example.net 25", "type 1 QUIT"]));
    let (total, run) = (s.total(), s.run.clone());
    let s = act(s, "type 1 NOOP");
    assert_eq!(s.notice.as_deref(), Some("Connection 1 is closed."));
    assert_eq!(s.total(), total);
    assert!(s.run == run, "the same trace");
    let s = s.reduce(SandboxAction::DismissNotice);
    assert_eq!(s.notice, None);
    // The eavesdropper's view stays on as the session goes on.
    let s = act(s.reduce(SandboxAction::ToggleEavesdropper), "wait 1m");
    assert!(s.eavesdropper);
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

/// What the terminal shows of connection `n`.
fn screen(s: &Rc<SandboxState>, n: usize) -> Vec<TermLine> {
    s.clone().reduce(SandboxAction::Show(n)).screen()
}

#[test]
fn the_terminal_reads_like_telnet() {
    let s = ticks(state(&[
        "open laptop.example.org mx.example.net 25",
        "type 1 EHLO laptop.example.org",
        "type 1 QUIT",
        "open laptop.example.org mx.example.net 2525",
    ]));
    let lines = screen(&s, 1);
    assert_eq!(lines[0], TermLine::Status("$ telnet mx.example.net 25".into()));
    assert_eq!(lines[1], TermLine::Status("Trying 198.51.100.25 port 25…".into()));
    assert_eq!(lines[2], TermLine::Status("Connected to mx.example.net (198.51.100.25).".into()));
    assert_eq!(lines[3], TermLine::Received("220 mx.example.net ESMTP Mailroom ready".into()));
    assert_eq!(lines[4], TermLine::Typed("EHLO laptop.example.org".into()));
    assert!(lines.contains(&TermLine::Received("250-PIPELINING".into())), "{lines:?}");
    assert_eq!(
        lines[lines.len() - 3..],
        [
            TermLine::Typed("QUIT".into()),
            TermLine::Received("221 2.0.0 mx.example.net closing connection".into()),
            TermLine::Status("Connection closed by foreign host.".into()),
        ]
    );
    // Before the cursor only: telnet says "Trying" once the DNS has given the address
    // (its question and answer are the first two events), not before.
    let back =
        (0..s.total()).fold(s.clone(), |s, _| s.reduce(SandboxAction::Back)).reduce(SandboxAction::Show(1));
    assert_eq!(back.screen(), []);
    let answered = back.reduce(SandboxAction::Forward).reduce(SandboxAction::Forward);
    assert_eq!(
        answered.screen(),
        [
            TermLine::Status("$ telnet mx.example.net 25".into()),
            TermLine::Status("Trying 198.51.100.25 port 25…".into())
        ]
    );
    // A refused connection was never connected: the attempt, then the World's words.
    assert_eq!(
        screen(&s, 2),
        [
            TermLine::Status("$ telnet mx.example.net 2525".into()),
            TermLine::Status("Trying 198.51.100.25 port 2525…".into()),
            TermLine::Status("Connection refused: mx.example.net runs no service on port 2525.".into()),
        ]
    );
}

#[test]
fn a_host_that_does_not_answer_times_out_in_the_terminal() {
    let s = ticks(state(&[
        "fault down mx.example.net from 0s to 1h",
        "open laptop.example.org mx.example.net 25",
        "open laptop.example.org mx.example.net 110",
    ]));
    let want = |port: u16| {
        vec![
            TermLine::Status(format!("$ telnet mx.example.net {port}")),
            TermLine::Status(format!("Trying 198.51.100.25 port {port}…")),
            TermLine::Status(format!(
                "No answer from mx.example.net (198.51.100.25) on port {port}: the connection timed out after 30 s."
            )),
        ]
    };
    assert_eq!(screen(&s, 1), want(25));
    assert_eq!(screen(&s, 2), want(110));
}

#[test]
fn a_name_the_dns_does_not_answer_for_is_never_tried() {
    let s = ticks(state(&[
        "fault down ns.example.org from 0s to 1h",
        "open laptop.example.org mx.example.net 25",
    ]));
    assert_eq!(
        screen(&s, 1),
        [
            TermLine::Status("$ telnet mx.example.net 25".into()),
            TermLine::Status(
                "telnet: could not resolve mx.example.net/25: Temporary failure in name resolution".into()
            )
        ]
    );
    // Nothing went towards Bob's provider: the diagram draws no link to it.
    let mx = s.run.trace.hosts.iter().position(|h| h.name == "mx.example.net").unwrap();
    let links = crate::present::links(&s.run.trace);
    assert!(links.iter().all(|&(a, b)| a != mx && b != mx), "{links:?}");
}

#[test]
fn a_line_that_never_arrives_is_on_the_screen_with_what_became_of_it() {
    // The line is echoed as typed; the connection's own note says it broke (once TCP gave
    // up: telnet has no timer of its own).
    let s = ticks(state(&[
        "open laptop.example.org mx.example.net 25",
        "fault cut mx.example.net 25 before QUIT",
        "type 1 QUIT",
        "wait 15m",
    ]));
    let got = screen(&s, 1);
    assert_eq!(got[got.len() - 3], TermLine::Typed("QUIT".into()));
    // Said as it leaves: the cut.
    assert!(
        matches!(&got[got.len() - 2], TermLine::Status(t) if t.contains("breaks as QUIT is sent")),
        "{got:?}"
    );
    assert!(
        matches!(&got[got.len() - 1], TermLine::Status(t) if t.contains("broke as QUIT was sent")),
        "{got:?}"
    );
    // A host down for longer than TCP sends again: the terminal says so as TCP starts
    // sending the line again, and when it gives up.
    let s = ticks(state(&[
        "open laptop.example.org mx.example.net 25",
        "fault down mx.example.net from 0s to 1h",
        "type 1 NOOP",
        "wait 16m",
    ]));
    let got = screen(&s, 1);
    assert_eq!(got[got.len() - 3], TermLine::Typed("NOOP".into()));
    assert!(
        matches!(&got[got.len() - 2], TermLine::Status(t) if t.starts_with("No acknowledgement: mx.example.net is down.")),
        "{got:?}"
    );
    assert!(
        matches!(&got[got.len() - 1], TermLine::Status(t) if t.contains("mx.example.net went down, and nothing has crossed it since")),
        "{got:?}"
    );
}

#[test]
fn a_paste_goes_out_line_by_line_up_to_the_first_refused() {
    let s = ticks(state(&["open laptop.example.org mx.example.net 25"]));
    let lines = |v: &[&str]| v.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    let s = ticks(s.reduce(SandboxAction::TypeLines {
        conn: 1,
        lines: lines(&["HELO a", "NOOP", "NO\u{b}OP", "QUIT"]),
    }));
    assert_eq!(s.sandbox.borrow().inputs().len(), 3, "HELO and NOOP sent, the rest not");
    let notice = s.notice.clone().unwrap();
    assert!(
        notice.starts_with("Line 3 of your 4 was refused: ")
            && notice.ends_with("The 2 before it were sent, the rest not."),
        "{notice}"
    );
    assert!(s.sandbox.borrow().is_open(1), "QUIT was not sent");
    // Nothing typed is lost: the refused line and the rest go back in the box.
    assert_eq!(s.unsent, (1, "NO\u{b}OP\nQUIT".to_string()));
    let s = s.reduce(SandboxAction::TypeLines { conn: 1, lines: lines(&["NO\u{b}OP", "QUIT"]) });
    assert!(
        s.notice.as_deref().unwrap().starts_with("The first of your 2 lines was refused, and none was sent")
    );
    assert_eq!(
        s.unsent,
        (2, "NO\u{b}OP\nQUIT".to_string()),
        "the same lines, refused again, come back again"
    );
    let s = s.reduce(SandboxAction::TypeLines { conn: 1, lines: lines(&["NO\u{b}OP"]) });
    assert_eq!(s.notice.as_deref(), Some("A typed line has no control characters, found U+000B."));
    assert_eq!(s.unsent, (3, "NO\u{b}OP".to_string()));
    let s = ticks(s.reduce(SandboxAction::TypeLines { conn: 1, lines: lines(&["QUIT"]) }));
    assert_eq!(s.notice, None);
    assert!(!s.sandbox.borrow().is_open(1));
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
            hints(kind, "laptop.example.org", to.split(' ').next().unwrap_or_default(), false)
                .iter()
                // STARTTLS is offered only where the server waits for it (not on these).
                .filter(|h| !h.starts_with("DATA") && *h != "STARTTLS")
                .map(|h| format!("type 2 {h}")),
        );
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let s = ticks(state(&lines));
        let got = screen(&s, 2);
        let received: Vec<&String> =
            got.iter().filter_map(|l| if let TermLine::Received(t) = l { Some(t) } else { None }).collect();
        assert!(received.len() > hints(kind, "x", "mx.example.net", false).len() - 2, "{kind}: {got:?}");
        for r in &received {
            assert!(!never.iter().any(|n| r.starts_with(n) || r.contains(&format!(" {n} "))), "{kind}: {r}");
        }
    }
    // Submission: a password before TLS is refused (538, RFC 4954 §4); after STARTTLS the
    // terminal does the handshake, as openssl s_client would, and the hints go through:
    // the provider takes the message for Bob and relays it to his provider.
    let auth = &hints("submission", "x", "smtp.example.org", false)[3];
    let s = ticks(state(&[
        "open laptop.example.org smtp.example.org 587",
        "type 1 EHLO x",
        &format!("type 1 {auth}"),
    ]));
    let got = screen(&s, 1);
    assert!(got.iter().any(|l| matches!(l, TermLine::Received(t) if t.starts_with("538 5.7.11"))), "{got:?}");
    let mut lines = vec!["open laptop.example.org smtp.example.org 587".to_string()];
    for h in hints("submission", "laptop.example.org", "smtp.example.org", false) {
        lines.push(format!("type 1 {h}"));
        if h == "DATA" {
            // After 354 the hints are the message's lines, ending with the lone dot.
            let at_data: Vec<&str> = lines.iter().map(String::as_str).collect();
            let s = ticks(state(&at_data));
            let opened = s.sandbox.borrow().connections()[0];
            assert!(in_data(&s.run.trace, &opened), "the server reads the message");
            let message = hints("submission", "laptop.example.org", "smtp.example.org", true);
            assert_eq!(message.last().map(String::as_str), Some("."));
            lines.extend(message.iter().map(|l| format!("type 1 {l}")));
            let s = ticks(state(&lines.iter().map(String::as_str).collect::<Vec<_>>()));
            assert!(!in_data(&s.run.trace, &opened), "the lone dot ends it");
        }
    }
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let s = ticks(state(&lines));
    let got = screen(&s, 1);
    assert!(
        got.iter().any(|l| matches!(l, TermLine::Status(t) if t.starts_with("TLS handshake done"))),
        "{got:?}"
    );
    assert!(got.iter().any(|l| matches!(l, TermLine::Received(t) if t.starts_with("235 2.7.0"))), "{got:?}");
    assert!(
        got.iter().any(|l| matches!(l, TermLine::Received(t) if t.starts_with("250 2.0.0 OK: queued"))),
        "{got:?}"
    );
    let delivered = s.run.trace.events.iter().any(|e| {
        matches!(&e.kind, mailroom_core::trace::EventKind::Delivery { mailbox } if mailbox == "bob@example.net")
            && e.text().contains("Subject: Hello")
    });
    assert!(delivered, "relayed to Bob's provider and delivered");
    let plain = mailroom_core::base64::decode("AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=").unwrap();
    assert_eq!(plain, b"\0alice@example.org\0wonderland");
}

#[test]
fn the_fault_form_writes_lines_the_world_reads() {
    let world = Description::standard();
    let form = FaultForm::new(&world);
    assert_eq!(
        form.directive(&world).unwrap(),
        "reply mx.example.net RCPT 450 \"Mailbox busy, try again later\" times 1"
    );
    // A 421 names its server first (RFC 5321 §4.2).
    let closing = FaultForm { verb: "GREETING".into(), code: 421, ..form.clone() }.effective(&world);
    assert_eq!(
        closing.directive(&world).unwrap(),
        "reply mx.example.net GREETING 421 \"mx.example.net Service not available, closing transmission channel\" times 1"
    );
    // Quotes and backslashes escaped.
    let odd = FaultForm { text: r#" C:\temp "quoted" cafe "#.into(), once: false, ..form.clone() };
    let line = odd.directive(&world).unwrap();
    assert_eq!(line, r#"reply mx.example.net RCPT 450 "C:\\temp \"quoted\" cafe""#);
    // What a reply cannot carry (it is 7-bit: RFC 5321 §4.2) is refused, and said, never
    // silently left out.
    for (text, problem) in [
        ("café", Some("é")),
        ("50 €, ok\u{7f}", Some("€ U+007F")),
        ("日本語です", Some("日 本 語")),
        ("tab\there", None),
        ("plain ~ ASCII!", None),
    ] {
        let f = FaultForm { text: text.into(), ..form.clone() };
        let said = f.text_problem();
        assert_eq!(said.is_some(), problem.is_some(), "{text}: {said:?}");
        if let Some(p) = problem {
            assert!(
                said.as_deref().is_some_and(|s| s.contains(&format!(": {p} cannot be sent"))),
                "{text}: {said:?}"
            );
        }
        assert_eq!(f.directive(&world).is_some(), problem.is_none(), "{text}");
    }
    let s = ticks(state(&[
        &format!("fault {line}"),
        "open laptop.example.org mx.example.net 25",
        "type 1 HELO a",
        "type 1 MAIL FROM:<a@b.example>",
        "type 1 RCPT TO:<bob@example.net>",
    ]));
    // Without an enhanced code of its own, the reply gets its class's undefined one.
    assert_eq!(screen(&s, 1).last(), Some(&TermLine::Received(r#"450 4.0.0 C:\temp "quoted" cafe"#.into())));
    // Each kind, from its defaults, is a line the sandbox takes; the choices fit the kind.
    for kind in FaultKind::ALL {
        let f = FaultForm { kind, ..form.clone() }.effective(&world);
        let line = f.directive(&world).unwrap();
        assert!(line.starts_with(kind.key()), "{line}");
        let s =
            Rc::new(SandboxState::new(world.clone())).reduce(SandboxAction::Do(Input::Fault(line.clone())));
        assert_eq!(s.notice, None, "{line}");
    }
    // A cut on POP3's port offers POP3's commands.
    let cut =
        FaultForm { kind: FaultKind::Cut, port: 110, verb: "RETR".into(), ..form.clone() }.effective(&world);
    assert_eq!(cut.directive(&world).unwrap(), "cut mx.example.net 110 before RETR times 1");
    let cut = FaultForm { port: 25, ..cut }.effective(&world);
    assert_eq!(cut.verb, "EHLO", "RETR is not an SMTP command: the first one instead");
    // A check names a server where mail from other servers arrives, with what it checks.
    let check =
        FaultForm { kind: FaultKind::Check, host: "ns.example.org".into(), ..form.clone() }.effective(&world);
    assert_eq!(check.directive(&world).unwrap(), "check smtp.example.org spf dkim dmarc");
    let check =
        FaultForm { host: "mx.example.net".into(), checks: "dkim dmarc".into(), ..check }.effective(&world);
    assert_eq!(check.directive(&world).unwrap(), "check mx.example.net dkim dmarc");
    // Every record example.org may publish instead, one after the other in the sandbox's
    // world, those it starts with included (back to how it was): each replaces the last.
    let world = mailroom_core::sandbox::world();
    let mut s = Rc::new(SandboxState::new(world.clone()));
    for (line, _) in FaultForm::records().into_iter().chain(FaultForm::records()) {
        let f = FaultForm { kind: FaultKind::Txt, record: line.clone(), ..form.clone() }.effective(&world);
        assert_eq!(f.directive(&world).as_deref(), Some(line.as_str()));
        s = s.reduce(SandboxAction::Do(Input::Fault(line.clone())));
        assert_eq!(s.notice, None, "{line}");
    }
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

/// The hints go on from the last one typed: the first is always the next line to try, and
/// the others follow round (a second message, a new session).
#[test]
fn the_hints_go_on_from_the_last_one_typed() {
    let message = hints("smtp", "x", "mx.example.net", true);
    let first = |hints: Vec<String>, typed: &[&str]| {
        let tagged = hints[0].starts_with("a1 ");
        let got = hints_ahead(hints.clone(), tagged, typed.iter().copied());
        let mut sorted = got.clone();
        sorted.sort();
        let mut all = hints;
        all.sort();
        assert_eq!(sorted, all, "every hint still offered: {typed:?}");
        got[0].clone()
    };
    // (typed, the first hint shown)
    let cases: [(&[&str], &str); 8] = [
        (&[], "From: Alice <alice@example.org>"),
        (&["EHLO x", "MAIL FROM:<a@b>", "DATA"], "From: Alice <alice@example.org>"),
        (&["From: Alice <alice@example.org>"], "To: Bob <bob@example.net>"),
        // A line of one's own of the same field counts as its hint; one that is none moves
        // nothing.
        (&["From: Me <me@example.org>"], "To: Bob <bob@example.net>"),
        (&["From: Me <me@example.org>", "Cc: Carol <c@d>"], "To: Bob <bob@example.net>"),
        (&["From: Alice <alice@example.org>", ""], "Hello Bob!"),
        (&["From: Alice <alice@example.org>", "", "Hello Bob!"], "."),
        // The message ended: a second one starts from the top.
        (&["From: Alice <alice@example.org>", "", "Hello Bob!", "."], "From: Alice <alice@example.org>"),
    ];
    for (typed, want) in cases {
        assert_eq!(first(message.clone(), typed), want, "{typed:?}");
    }
    // Submission's EHLO comes twice: the second is the one after STARTTLS. A second
    // transaction: MAIL again, after the first message's QUIT was passed by.
    let submission = hints("submission", "x", "smtp.example.org", false);
    assert!(first(submission.clone(), &["EHLO x", "STARTTLS", "ehlo x"]).starts_with("AUTH PLAIN"));
    let again = ["EHLO x", "STARTTLS", "EHLO x", "AUTH PLAIN x", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA"];
    assert_eq!(first(submission.clone(), &again), "QUIT");
    let mut second = again.to_vec();
    second.push("MAIL FROM:<a@b>");
    assert!(first(submission, &second).starts_with("RCPT TO"));
    // IMAP: a command is matched past its tag, whatever tag the student chose (their own
    // `a2 LOGIN` is LOGIN, not the hint tagged a2, SELECT).
    // At Alice's provider, POP3 and IMAP log in as Alice (her bounces are filed there).
    assert_eq!(
        hints("pop3", "x", "smtp.example.org", false)[..2],
        ["USER alice@example.org", "PASS wonderland"]
    );
    assert_eq!(hints("imap", "x", "smtp.example.org", false)[0], "a1 LOGIN alice@example.org wonderland");
    // Submission logs in as Alice: AUTH PLAIN's response is base64 of NUL, her address,
    // NUL, her password (RFC 4616 §2).
    assert_eq!(
        hints("submission", "x", "smtp.example.org", false)[3],
        "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ="
    );
    // The user is the world's: Carol, if her domain were the one the server serves.
    let mut w = mailroom_core::sandbox::world();
    w.users.retain(|u| u.address != "bob@example.net");
    assert_eq!(
        super::hints(&w, "pop3", "x", "mx.example.net", false)[..2],
        ["USER carol@example.net", "PASS christmas"]
    );
    // Nobody's mail kept there: no login offered, only what needs none.
    w.users.clear();
    assert_eq!(super::hints(&w, "pop3", "x", "mx.example.net", false), ["STAT", "LIST", "RETR 1", "QUIT"]);
    let submission = super::hints(&w, "submission", "x", "smtp.example.org", false);
    assert_eq!(submission[..3], ["EHLO x", "STARTTLS", "EHLO x"]);
    assert!(!submission.iter().any(|h| h.starts_with("AUTH") || h.contains('{')), "{submission:?}");
    let imap = hints("imap", "x", "mx.example.net", false);
    assert!(first(imap.clone(), &["a2 LOGIN bob@example.net builder"]).ends_with("SELECT INBOX"));
    assert!(first(imap, &["x LOGIN bob@example.net builder", "y select inbox"]).contains("FETCH"));
    assert!(hints_ahead(Vec::new(), false, ["x"]).is_empty());
}

/// The lines to try after `inputs` (a sandbox's lines), on its first connection, a `kind`
/// of service.
fn tried(inputs: &[&str], kind: &str) -> Vec<String> {
    let s = ticks(state(inputs));
    let opened = s.sandbox.borrow().connections()[0];
    to_try(&mailroom_core::sandbox::world(), kind, &s.run.trace, &opened, &s.judged())
}

/// `lines` typed into a connection from the laptop to port `port` of `server`.
fn typed_into(server: &str, port: u16, lines: &[&str]) -> Vec<String> {
    let mut inputs = vec![format!("open laptop.example.org {server} {port}")];
    inputs.extend(lines.iter().map(|l| format!("type 1 {l}")));
    inputs
}

/// The hints go on from what the server took, not from every line typed: a refused line
/// leaves the next one to try where it was (the engine judges each line by the replies
/// that answer it: `Sandbox::judged`). They are for the line typed next, which goes after
/// the newest event: the same while the student looks back.
#[test]
fn a_refused_line_moves_the_hints_nowhere() {
    let s = ticks(state(&[
        "open laptop.example.org smtp.example.org 587",
        "type 1 EHLO x",
        "type 1 AUTH PLAIN AGFsaWNl",
        "type 1 MAIL FROM:<eve@example.org>",
    ]));
    let judged = [
        ("EHLO x".to_string(), true),
        ("AUTH PLAIN AGFsaWNl".to_string(), false),
        ("MAIL FROM:<eve@example.org>".to_string(), false),
    ];
    assert_eq!(s.judged(), judged);
    let back = s.reduce(SandboxAction::Back).reduce(SandboxAction::Back).reduce(SandboxAction::Back);
    assert!(back.looking_back());
    assert_eq!(back.judged(), judged, "looking back");
    let next = |typed: &[&str]| {
        let inputs = typed_into("smtp.example.org", 587, typed);
        tried(&inputs.iter().map(String::as_str).collect::<Vec<_>>(), "submission")[0].clone()
    };
    assert_eq!(
        next(&["EHLO x", "AUTH PLAIN AGFsaWNl", "MAIL FROM:<eve@example.org>"]),
        "STARTTLS",
        "after 538 and 530, STARTTLS is still next"
    );
    assert_eq!(
        next(&["EHLO x", "AUTH PLAIN AGFsaWNl", "MAIL FROM:<eve@example.org>", "STARTTLS"]),
        "EHLO laptop.example.org"
    );
}

/// The first hint is a command the server's state takes: after RSET, MAIL again (not the
/// RCPT after the MAIL taken); after a failed login, the login again. Nothing the server
/// would refuse is offered (no login once logged in, no STARTTLS once TLS is on), nor the
/// same line twice; a line just refused as it was offered is not offered first again;
/// IMAP's tags are new ones; while the server waits for the rest of a command, no command.
#[test]
fn the_hints_are_what_the_server_takes_next() {
    let login = "a1 LOGIN bob@example.net builder";
    let ehlo = "EHLO laptop.example.org";
    let plain = "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=";
    let tls = ["EHLO x", "STARTTLS"];
    let cases: [(&[&str], u16, &str, &[&str]); 31] = [
        (&[], 25, "smtp", &[ehlo, "QUIT"]),
        (&["EHLO x"], 25, "smtp", &["MAIL FROM:<alice@example.org>", "QUIT", ehlo]),
        (&["EHLO x", "MAIL FROM:<alice@example.org>"], 25, "smtp", &["RCPT TO:<bob@example.net>", "QUIT"]),
        // RSET ends the transaction: MAIL again, not the RCPT that followed MAIL.
        (
            &["EHLO x", "MAIL FROM:<alice@example.org>", "RSET"],
            25,
            "smtp",
            &["MAIL FROM:<alice@example.org>", "QUIT", ehlo],
        ),
        (
            &["EHLO x", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.net>"],
            25,
            "smtp",
            &["DATA", "QUIT", "RCPT TO:<bob@example.net>"],
        ),
        // A recipient refused (no such mailbox): RCPT again, or QUIT.
        (
            &["EHLO x", "MAIL FROM:<alice@example.org>", "RCPT TO:<nobody@example.net>"],
            25,
            "smtp",
            &["RCPT TO:<bob@example.net>", "QUIT"],
        ),
        // Port 25 of Alice's provider relays for nobody: a recipient it keeps mail for.
        (
            &["EHLO x", "MAIL FROM:<alice@example.org>"],
            25,
            "smtp.example.org",
            &["RCPT TO:<alice@example.org>", "QUIT"],
        ),
        // Submission: before TLS, STARTTLS, and no password (538); once it is on, EHLO
        // again and no STARTTLS (RFC 3207 §4.2); no message before the login (530); logged
        // in, no AUTH (RFC 4954 §4); EHLO once among the chips.
        (&["EHLO x"], 587, "submission", &["STARTTLS", ehlo, "QUIT"]),
        (&tls, 587, "submission", &[ehlo, "QUIT"]),
        (&[tls[0], tls[1], "EHLO x"], 587, "submission", &[plain, "QUIT", ehlo]),
        (
            &[tls[0], tls[1], "EHLO x", plain],
            587,
            "submission",
            &["MAIL FROM:<alice@example.org>", "QUIT", ehlo],
        ),
        (
            &[
                tls[0],
                tls[1],
                "EHLO x",
                plain,
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "Hi",
                ".",
            ],
            587,
            "submission",
            &["QUIT", ehlo, "MAIL FROM:<alice@example.org>"],
        ),
        // In the message: its header fields, the empty line, its body; in its body, no
        // header fields.
        (
            &["EHLO x", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.net>", "DATA"],
            25,
            "smtp",
            &[
                "From: Alice <alice@example.org>",
                "To: Bob <bob@example.net>",
                "Subject: Hello",
                "",
                "Hello Bob!",
                ".",
            ],
        ),
        (
            &[
                "EHLO x",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "Subject: Hi",
                "",
            ],
            25,
            "smtp",
            &["Hello Bob!", "."],
        ),
        // A body line that reads like a command is the message's all the same.
        (
            &[
                "EHLO x",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "",
                "DATA",
                "Data: x",
            ],
            25,
            "smtp",
            &["Hello Bob!", "."],
        ),
        // A login's challenge waits for its answer: `*` cancels it.
        (&[tls[0], tls[1], "EHLO x", "AUTH LOGIN"], 587, "submission", &["*"]),
        // A wrong password: PASS is refused and the server wants USER again (RFC 1939 §7).
        (&["USER bob@example.net", "PASS wrong"], 110, "pop3", &["USER bob@example.net", "QUIT"]),
        // PASS with the password of the user named; a user the world does not know, none.
        (&["USER carol@example.net"], 110, "pop3", &["PASS christmas", "QUIT", "USER bob@example.net"]),
        (&["USER nobody@example.net"], 110, "pop3", &["QUIT", "USER bob@example.net"]),
        // Logged in: no USER or PASS.
        (&["USER bob@example.net", "PASS builder"], 110, "pop3", &["STAT", "LIST", "QUIT"]),
        // An empty maildrop (Bob's, before any mail): nothing to RETR.
        (
            &["USER bob@example.net", "PASS builder", "STAT", "LIST", "RETR 1"],
            110,
            "pop3",
            &["QUIT", "STAT", "LIST"],
        ),
        // A line skipped and refused: the one skipped first.
        (&["USER bob@example.net", "PASS builder", "STAT", "RETR 1"], 110, "pop3", &["LIST", "QUIT", "STAT"]),
        (
            &["a1 LOGIN bob@example.net wrong"],
            143,
            "imap",
            &["a2 LOGIN bob@example.net builder", "a2 LOGOUT"],
        ),
        (&[login], 143, "imap", &["a2 SELECT INBOX", "a2 LOGOUT"]),
        // Tags count up from the highest used.
        (&[login, "a9 SELECT INBOX", "a4 NOOP"], 143, "imap", &["a10 LOGOUT", "a10 SELECT INBOX"]),
        // A tag the student used is not offered again.
        (&["a2 LOGIN bob@example.net builder"], 143, "imap", &["a3 SELECT INBOX", "a3 LOGOUT"]),
        // An empty INBOX: FETCH 1 is refused and not offered; LOGOUT, with a new tag.
        (&[login, "a2 SELECT INBOX", "a3 FETCH 1 BODY[]"], 143, "imap", &["a4 LOGOUT", "a4 SELECT INBOX"]),
        // IDLE goes on until DONE (RFC 2177 §3).
        (&[login, "a2 IDLE"], 143, "imap", &["DONE"]),
        // The server waits for a literal's octets: no command; for a login's answer, `*`.
        (&[login, "a2 APPEND INBOX {2}"], 143, "imap", &[]),
        (&[login, "a2 APPEND INBOX {2}", "hi", ""], 143, "imap", &["a5 SELECT INBOX", "a5 LOGOUT"]),
        (&["a1 AUTHENTICATE PLAIN"], 143, "imap", &["*"]),
    ];
    // With a message in it, RETR and FETCH are offered; one refused as it was offered
    // (a message that is not there) is not offered first again.
    let mut mail: Vec<String> = [
        "open laptop.example.org mx.example.net 25",
        "type 1 EHLO laptop.example.org",
        "type 1 MAIL FROM:<alice@example.org>",
        "type 1 RCPT TO:<bob@example.net>",
        "type 1 DATA",
        "type 1 Subject: typed by hand",
        "type 1 ",
        "type 1 Hello Bob",
        "type 1 .",
    ]
    .map(String::from)
    .to_vec();
    mail.extend(
        ["open laptop.example.org mx.example.net 110", "type 2 USER bob@example.net", "type 2 PASS builder"]
            .map(String::from),
    );
    let last = |inputs: &[String], kind: &str| {
        let s = ticks(state(&inputs.iter().map(String::as_str).collect::<Vec<_>>()));
        let opened = *s.sandbox.borrow().connections().last().unwrap();
        to_try(&mailroom_core::sandbox::world(), kind, &s.run.trace, &opened, &s.judged())
    };
    assert_eq!(last(&mail, "pop3"), ["STAT", "LIST", "RETR 1", "QUIT"]);
    mail.extend(["type 2 STAT", "type 2 LIST", "type 2 RETR 1", "type 2 QUIT"].map(String::from));
    mail.extend(
        [
            "open laptop.example.org mx.example.net 143",
            "type 3 a1 LOGIN bob@example.net builder",
            "type 3 a2 SELECT INBOX",
        ]
        .map(String::from),
    );
    assert_eq!(last(&mail, "imap"), ["a3 FETCH 1 BODY[]", "a3 LOGOUT", "a3 SELECT INBOX"]);
    mail.push("type 3 a3 FETCH 1 BODY[]".into());
    assert_eq!(last(&mail, "imap")[0], "a4 LOGOUT");
    for (lines, port, kind, want) in cases {
        let (server, kind) = match kind {
            "submission" | "smtp.example.org" => ("smtp.example.org", if port == 25 { "smtp" } else { kind }),
            _ => ("mx.example.net", kind),
        };
        let inputs = typed_into(server, port, lines);
        let got = tried(&inputs.iter().map(String::as_str).collect::<Vec<_>>(), kind);
        assert_eq!(got, want, "{lines:?}");
    }
}

/// A wait that sets nothing off is said (only the clock moved); one that does is not.
#[test]
fn a_quiet_wait_says_that_nothing_happened() {
    let s = act(state(&[]), "wait 1m");
    assert_eq!(
        s.notice.as_deref(),
        Some(
            "1 minute passed, and nothing happened: no server had anything due (the clock shows the new time)."
        )
    );
    // Ten minutes of silence on an open connection: the server's idle timeout (421) is due.
    let s = act(ticks(state(&["open laptop.example.org mx.example.net 25"])), "wait 10m");
    assert_eq!(s.notice, None);
    assert!(s.total() > s.cursor, "the timeout's events are shown one at a time");
}

/// One pane at a time below the terminal: the one chosen stays through steps and waits; an
/// event chosen in the transcript brings the explanation; so does talking to a server from
/// the faults' pane, not from the mailboxes' (where a typed message is watched arrive).
#[test]
fn the_pane_below_the_terminal_follows_what_the_student_does() {
    let s = ticks(state(&["open laptop.example.org mx.example.net 25"]));
    assert_eq!(s.pane, Pane::Explanation);
    let s = s.reduce(SandboxAction::ShowPane(Pane::Mailboxes));
    let s = ticks(act(s, "type 1 EHLO x"));
    assert_eq!(s.pane, Pane::Mailboxes, "typing keeps the mailboxes in view");
    let s = s.reduce(SandboxAction::Back).reduce(SandboxAction::Latest);
    assert_eq!(s.pane, Pane::Mailboxes);
    let s = s.reduce(SandboxAction::ShowPane(Pane::Faults));
    let s = ticks(act(s, "wait 1m"));
    assert_eq!(s.pane, Pane::Faults, "a wait keeps it");
    let s = ticks(act(s, "fault greylist mx.example.net"));
    assert_eq!(s.pane, Pane::Faults, "a fault injected keeps it");
    let s = ticks(s.reduce(SandboxAction::TypeLines { conn: 1, lines: vec!["NOOP".to_string()] }));
    assert_eq!(s.pane, Pane::Explanation, "a line sent is explained");
    let s = s.reduce(SandboxAction::ShowPane(Pane::Mailboxes)).reduce(SandboxAction::Select(Some(1)));
    assert_eq!((s.pane, s.selected), (Pane::Explanation, Some(1)), "a row chosen is explained");
    let s = s.reduce(SandboxAction::ShowPane(Pane::Faults));
    let s = ticks(act(s, "open laptop.example.org mx.example.net 110"));
    assert_eq!(s.pane, Pane::Explanation);
}

#[test]
fn an_error_alone_in_a_notice_is_a_sentence() {
    for (why, said) in [
        (
            "a typed line is at most 2000 bytes; this one is 2105",
            "A typed line is at most 2000 bytes; this one is 2105.",
        ),
        ("one line at a time: Enter sends it", "One line at a time: Enter sends it."),
        ("Already one.", "Already one."),
        ("é accented first", "É accented first."),
        ("", ""),
    ] {
        assert_eq!(sentence(why), said);
    }
}

#[test]
fn looking_back_is_the_students_step_back_not_the_play_out() {
    let s = state(&["open laptop.example.org mx.example.net 25"]);
    // The events of an input play out one at a time: the view follows them.
    let s = act(s, "type 1 NOOP");
    assert!(s.cursor < s.total() && !s.looking_back(), "playing out");
    let s = ticks(s);
    assert!(!s.looking_back(), "at the newest");
    let s = s.reduce(SandboxAction::Back);
    assert!(s.looking_back(), "stepped back");
    let s = s.reduce(SandboxAction::Forward);
    assert!(!s.looking_back(), "forward to the newest again");
}

/// Port 25 where TLS is required (`starttls required` in a teacher's world): after EHLO,
/// STARTTLS, the only way on (everything else gets `530`, RFC 3207 §4); then EHLO again,
/// and mail.
#[test]
fn where_tls_is_required_starttls_is_offered() {
    let mut world = mailroom_core::sandbox::world();
    assert!(world.extend("service mx.example.net 25 smtp starttls required", 1).is_ok());
    let tried = |lines: &[&str]| {
        let s =
            ticks(Rc::new(SandboxState::restore(world.clone(), &typed_into("mx.example.net", 25, lines))));
        let opened = s.sandbox.borrow().connections()[0];
        to_try(&world, "smtp", &s.run.trace, &opened, &s.judged())
    };
    let ehlo = "EHLO laptop.example.org";
    assert_eq!(tried(&["EHLO x"]), ["STARTTLS", ehlo, "QUIT"]);
    assert_eq!(tried(&["EHLO x", "MAIL FROM:<alice@example.org>"]), ["STARTTLS", ehlo, "QUIT"]);
    assert_eq!(tried(&["EHLO x", "STARTTLS"]), [ehlo, "QUIT"]);
    assert_eq!(tried(&["EHLO x", "STARTTLS", "EHLO x"]), ["MAIL FROM:<alice@example.org>", "QUIT", ehlo]);
}
