//! The exports, checked against what they export: the transcript text rebuilds every
//! event's bytes; the SVG is well-formed and hides exactly the blanks; the GIFT and Moodle
//! XML files parse by their documented grammar and hold every question with the engine's
//! answer.

use super::*;
use crate::describe::ActionDesc;
use crate::lessons::BUILTIN;
use crate::world::run_lesson;

/// Every built-in lesson that runs in this build, run.
fn lessons() -> Vec<(Lesson, LessonRun)> {
    BUILTIN
        .iter()
        .map(|(id, text)| Lesson::parse(id, text).unwrap_or_else(|e| panic!("{id}: {e}")))
        .filter(|l| {
            cfg!(feature = "pop3")
                || !l.world.actions.iter().any(|a| matches!(a, ActionDesc::Retrieve { .. }))
        })
        .map(|l| {
            let run = run_lesson(&l).unwrap_or_else(|e| panic!("{}: {e}", l.id));
            (l, run)
        })
        .collect()
}

/// One event as read back from the text: its header line, the bytes its `C:`/`S:`/`Q:`/`A:`
/// lines rebuild, the prefixes used, and its `--` lines.
#[derive(Debug, Default)]
struct ReadEvent {
    header: String,
    bytes: Vec<u8>,
    prefixes: Vec<String>,
    actions: Vec<String>,
}

/// Reads [`transcript_text`] back: each event starts at a line that starts with a digit (its
/// time) after a blank line. A wire line is `P: text` (or `P:` for an empty line) and ended
/// by CRLF, unless the next line marks it; DNS lines follow the trace's presentation form (a
/// question without line end, records each ended by LF).
fn read_transcript(text: &str) -> Vec<ReadEvent> {
    let mut out: Vec<ReadEvent> = Vec::new();
    let mut prev_blank = false;
    for line in text.split('\n') {
        if prev_blank && line.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(ReadEvent { header: line.to_string(), ..Default::default() });
            prev_blank = false;
            continue;
        }
        prev_blank = line.is_empty();
        let Some(ev) = out.last_mut() else { continue };
        if let Some(a) = line.strip_prefix("-- ") {
            ev.actions.push(a.to_string());
        } else if let Some(end) = [(BARE_LF, "\n"), (BARE_CR, "\r"), (NO_END, "")]
            .iter()
            .find_map(|(mark, end)| (line == *mark).then_some(*end))
        {
            assert!(ev.bytes.ends_with(b"\r\n"), "a mark follows a line: {}", ev.header);
            ev.bytes.truncate(ev.bytes.len() - 2);
            ev.bytes.extend_from_slice(end.as_bytes());
        } else if let Some(p) = ["C:", "S:", "Q:", "A:"].iter().find(|p| line.starts_with(**p)) {
            let rest = &line[2..];
            let text = rest.strip_prefix(' ').unwrap_or(rest);
            assert!(rest.is_empty() || rest.starts_with(' '), "{line:?}");
            match *p {
                "Q:" => {
                    if !ev.bytes.is_empty() {
                        ev.bytes.push(b'\n');
                    }
                    ev.bytes.extend_from_slice(text.as_bytes());
                }
                "A:" => {
                    ev.bytes.extend_from_slice(text.as_bytes());
                    ev.bytes.push(b'\n');
                }
                _ => {
                    ev.bytes.extend_from_slice(text.as_bytes());
                    ev.bytes.extend_from_slice(b"\r\n");
                }
            }
            ev.prefixes.push(p.to_string());
        } else {
            assert!(line.is_empty(), "a line of no known kind: {line:?}");
        }
    }
    out
}

#[test]
fn the_transcript_export_equals_the_traces_bytes() {
    let mut wire_events = 0;
    for (lesson, run) in lessons() {
        let trace = &run.trace;
        let text = transcript_text(trace);
        let read = read_transcript(&text);
        let id = &lesson.id;
        assert_eq!(read.len(), trace.events.len(), "{id}: one header per event");
        for (ev, got) in trace.events.iter().zip(&read) {
            let (from, to) = (&trace.hosts[ev.from].name, &trace.hosts[ev.to].name);
            let names = if ev.travels() { format!("  {from} -> {to}  (") } else { format!("  {from}") };
            assert!(got.header.contains(&names), "{id} #{}: {}", ev.index, got.header);
            assert!(got.header.starts_with(&clock(ev.at)), "{id} #{}: {}", ev.index, got.header);
            if on_the_wire(ev) {
                wire_events += 1;
                assert_eq!(
                    String::from_utf8_lossy(&got.bytes),
                    String::from_utf8_lossy(&ev.bytes),
                    "{id} #{}: the bytes",
                    ev.index
                );
                assert_eq!(got.bytes, ev.bytes, "{id} #{}: exactly", ev.index);
                let want = prefix(trace, ev);
                assert!(got.prefixes.iter().all(|p| p == want), "{id} #{}: {:?}", ev.index, got.prefixes);
            } else {
                assert!(got.bytes.is_empty(), "{id} #{}: no wire lines", ev.index);
                assert_eq!(got.actions, [action(ev)], "{id} #{}", ev.index);
                if ev.kind == EventKind::Note {
                    assert_eq!(got.actions[0].as_bytes(), ev.bytes.trim_ascii(), "{id} #{}", ev.index);
                }
            }
        }
    }
    assert!(wire_events > 500, "{wire_events}");
}

#[test]
fn transcript_lines_read_as_in_the_rfcs() {
    let (_, run) = lessons().into_iter().find(|(l, _)| l.id == "sending-an-email").unwrap();
    let text = transcript_text(&run.trace);
    for want in [
        "  smtp.example.org  192.0.2.25  Alice's provider\n",
        "  laptop.example.org -> ns.example.org  (DNS)\nQ: smtp.example.org. IN A\n",
        "  laptop.example.org -> smtp.example.org  (SMTP, connection 1)\n-- opens a TCP connection to port 587\n",
        "  smtp.example.org -> laptop.example.org  (SMTP, connection 1)\nS: 220 smtp.example.org ESMTP Mailroom ready\n",
        "(SMTP, connection 1, encrypted)\nC: AUTH PLAIN ",
        "\nS: 250-PIPELINING\n",
        "\nC: .\n",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
    // A bare LF is marked, and the line itself kept as sent.
    let (_, run) = lessons().into_iter().find(|(l, _)| l.id == "end-of-data").unwrap();
    assert!(transcript_text(&run.trace).contains(BARE_LF), "end-of-data sends bare LFs");
    assert_eq!(clock(SimTime::from_millis(50)), "0.050 s");
    assert_eq!(clock(SimTime::from_secs(300)), "5:00.000");
    assert_eq!(clock(SimTime::from_millis(60_015)), "1:00.015");
    assert_eq!(clock(SimTime::from_secs(3723)), "1:02:03");
    assert_eq!(clock(SimTime::from_secs(4 * 86_400 + 7200)), "4d 02:00:00");
}

#[test]
fn sequence_diagrams_are_well_formed_svg_with_the_blanks_hidden() {
    for (lesson, run) in lessons() {
        let blanks = blanks(&lesson, &run);
        assert!(!blanks.is_empty(), "{}: a worksheet has something to fill in", lesson.id);
        let unsaid = unsaid_senders(&lesson, &run);
        let end = worksheet_end(&lesson, &run);
        let svg = sequence_svg(&run.trace, &lesson.title, &blanks, &unsaid, end);
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}\n{svg}", lesson.id));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let rows = doc.descendants().filter(|n| n.has_tag_name("g")).count();
        assert_eq!(rows, end, "{}: a row per event, up to the worksheet's end", lesson.id);
        let whole = sequence_svg(&run.trace, &lesson.title, &[], &[], run.trace.events.len());
        let whole = roxmltree::Document::parse(&whole).unwrap();
        assert_eq!(whole.descendants().filter(|n| n.has_tag_name("g")).count(), run.trace.events.len());
        // A box for each blank, and for each event that would give one away.
        let boxed: Vec<(usize, usize)> =
            (0..end).filter_map(|i| box_of(&run.trace, &blanks, i).map(|k| (i, k))).collect();
        let boxes = doc.descendants().filter(|n| n.attribute("class") == Some("blank")).count();
        assert_eq!(boxes, boxed.len(), "{}", lesson.id);
        assert!(boxed.len() >= blanks.len());
        // A boxed row says nothing but its number.
        let row_text = |i: usize| -> String {
            let g = doc.descendants().filter(|n| n.has_tag_name("g")).nth(i).unwrap();
            g.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect::<Vec<_>>().join(" ")
        };
        for (k, &b) in blanks.iter().enumerate() {
            assert_eq!(row_text(b), format!("{} ({})", b + 1, k + 1), "{}", lesson.id);
        }
        for &(i, k) in &boxed {
            assert_eq!(row_text(i), format!("{} ({})", i + 1, k + 1), "{}", lesson.id);
        }
        // No row left readable says what a box hides (the same code to the same command).
        for i in (0..end).filter(|i| !boxed.iter().any(|(b, _)| b == i)) {
            let said = row_text(i);
            for &b in &blanks {
                let (hidden, ev) = (&run.trace.events[b], &run.trace.events[i]);
                if let (EventKind::Reply { to_verb: x, .. }, EventKind::Reply { to_verb: y, .. }) =
                    (&hidden.kind, &ev.kind)
                {
                    assert!(
                        x != y || hidden.kind.label() != ev.kind.label(),
                        "{}: row {i} ({said}) gives away box of {b}",
                        lesson.id
                    );
                }
            }
        }
        // An arrow has its head, but where which end sends is a question (blank too).
        for (i, e) in run.trace.events.iter().enumerate().take(end) {
            let g = doc.descendants().filter(|n| n.has_tag_name("g")).nth(i).unwrap();
            let heads = g.descendants().filter(|n| n.has_tag_name("polygon")).count();
            let expected = usize::from(e.from != e.to && !unsaid.contains(&i));
            assert_eq!(heads, expected, "{}: event {i}", lesson.id);
            // Nor its colour: a reply's would say the server sends it.
            if unsaid.contains(&i) {
                assert_eq!(g.attribute("class"), Some("note"), "{}: event {i}", lesson.id);
            }
        }
        assert!(unsaid.iter().all(|&u| box_of(&run.trace, &blanks, u).is_some()), "{}", lesson.id);
    }
}

#[test]
fn worksheets_blank_the_replies_the_questions_ask_about_else_every_coded_reply() {
    let all = lessons();
    let find = |id: &str| all.iter().find(|(l, _)| l.id == id).unwrap();
    // A bounce asks for the 550 (a refusal): its worksheet stops before it, so the 550 is
    // no box; the replies drawn before it are, each code to each command once.
    let (lesson, run) = find("a-bounce");
    let b = blanks(lesson, run);
    let end = worksheet_end(lesson, run);
    let refusal = refused_reply(lesson, run).unwrap();
    assert_eq!(run.trace.events[refusal].kind.label(), "550");
    assert!(blank_answer(&run.trace, refusal).starts_with("550 5.1.1"));
    assert!(refusal >= end && !b.contains(&refusal));
    assert!(b.len() > 1 && b.iter().all(|&i| i < end && is_coded_reply(&run.trace.events[i])), "{b:?}");
    // Sending an email asks who speaks first (the greeting) and what DATA gets: both
    // blank, the greeting's arrow without its head.
    let (lesson, run) = find("sending-an-email");
    let b = blanks(lesson, run);
    let labels: Vec<String> = b.iter().map(|&i| run.trace.events[i].kind.label()).collect();
    assert_eq!(labels, ["220", "354"]);
    // Further on, the relay's own conversation with Bob's provider would give both away (its
    // greeting, its 354): they show the same boxes, the greeting without its arrowhead too.
    let unsaid = unsaid_senders(lesson, run);
    assert_eq!(unsaid.len(), 2);
    assert_eq!(unsaid[0], b[0]);
    let mx_greeting = unsaid[1];
    assert_eq!(box_of(&run.trace, &b, mx_greeting), Some(0));
    assert!(run.trace.events[mx_greeting].from != run.trace.events[b[0]].from);
    let relay_354 = (b[1] + 1..run.trace.events.len())
        .find(|&i| run.trace.events[i].kind.label() == "354")
        .expect("the relay's 354");
    assert_eq!(box_of(&run.trace, &b, relay_354), Some(1));
    // The other replies stay readable: a 250 is no 354.
    let a_250 = (0..run.trace.events.len()).find(|&i| run.trace.events[i].kind.label() == "250").unwrap();
    assert_eq!(box_of(&run.trace, &b, a_250), None);
    // Two failures and No MX ask only `outcome`: every reply with a code is boxed, up to the
    // step it asks before, where the worksheet's conversation stops; each code to each
    // command has one number, which comes again where that reply does.
    for id in ["two-failures", "no-mx"] {
        let (lesson, run) = find(id);
        let b = blanks(lesson, run);
        let end = worksheet_end(lesson, run);
        assert!(!b.is_empty() && b.iter().all(|&i| i < end));
        let replies: Vec<usize> =
            (0..end).filter(|&i| matches!(run.trace.events[i].kind, EventKind::Reply { .. })).collect();
        assert!(replies.iter().all(|&i| box_of(&run.trace, &b, i).is_some()), "{id}");
        let mut labels: Vec<(String, Option<String>)> = b
            .iter()
            .map(|&i| match &run.trace.events[i].kind {
                EventKind::Reply { to_verb, .. } => (run.trace.events[i].kind.label(), to_verb.clone()),
                _ => unreachable!("{id}: a box on a reply"),
            })
            .collect();
        let n = labels.len();
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), n, "{id}: each code to each command once");
        if id == "no-mx" {
            assert!(
                n < replies.len(),
                "{id}: {n} boxes for {} replies: the relay's come again",
                replies.len()
            );
        }
    }
}

/// "Who asks DNS?" of three hosts: the query's line runs from the asker to the resolver, so
/// it answers the question even without its arrowhead (and the queries after it as well):
/// the worksheet stops before it. "Who speaks first?" of a line's two ends does not.
#[test]
fn a_worksheet_stops_before_a_speaker_question_its_line_would_answer() {
    let all = lessons();
    let find = |id: &str| all.iter().find(|(l, _)| l.id == id).unwrap();
    let speaker = |lesson: &Lesson, run: &LessonRun| -> Vec<usize> {
        let asked = lesson.steps.iter().zip(&run.anchors);
        let speaker =
            asked.filter(|(s, _)| s.question.as_ref().is_some_and(|q| q.kind == QuestionKind::Speaker));
        speaker.filter_map(|(_, a)| *a).collect()
    };
    // (lesson, whether its worksheet stops before its speaker question)
    // The greeting's question with a third host to choose from (a teacher's): the line's
    // two ends still leave it a question.
    let (_, text) = BUILTIN.iter().find(|(id, _)| *id == "sending-an-email").unwrap();
    let three = text.replacen("- Alice's provider\n```", "- Alice's provider\n- Bob's provider\n```", 1);
    assert_ne!(&three, text);
    let three = Lesson::parse("three-choices", &three).unwrap();
    let three = (three.clone(), run_lesson(&three).unwrap());
    let cases =
        [("dns-and-mx", true), ("forwarded", true), ("sending-an-email", false), ("three-choices", false)];
    // Forwarded is a lesson on trust: without the sender checks the engine has no such lesson.
    for (id, stops) in cases.into_iter().filter(|(id, _)| *id != "forwarded" || cfg!(feature = "trust")) {
        let (lesson, run) = if id == "three-choices" { &three } else { find(id) };
        let asked = speaker(lesson, run);
        let end = worksheet_end(lesson, run);
        assert_eq!(asked.len(), 1, "{id}");
        let at = crate::question::asked_at(run, asked[0]);
        assert_eq!(end == at, stops, "{id}: ends at {end}, asked at {at}");
        assert_eq!(unsaid_senders(lesson, run).contains(&asked[0]), !stops, "{id}");
    }
}

/// A question on how a message ends ("delivered or bounced?") is answered by the steps after
/// it (the bounce's arrows, the delivery): a worksheet's conversation stops before its
/// event, so that nothing drawn gives the answer away.
#[test]
fn a_worksheet_stops_before_the_steps_that_answer_an_outcome_question() {
    let mut cut = 0;
    for (lesson, run) in lessons() {
        let end = worksheet_end(&lesson, &run);
        // Where the player asks it: before its event, and before the notes its sender
        // wrote just before (a server's verdict).
        let asked = lesson
            .steps
            .iter()
            .zip(&run.anchors)
            .filter(|(s, _)| s.question.as_ref().is_some_and(|q| q.kind == QuestionKind::Outcome))
            .filter_map(|(_, a)| *a)
            .map(|a| crate::question::asked_at(&run, a))
            .min();
        // The other stops: a refused reply, a speaker question its line would answer (see
        // the tests of each).
        let told = super::told_by_their_line(&lesson, &run).map(|a| crate::question::asked_at(&run, a));
        let other = refused(&lesson, &run).into_iter().chain(told).chain(given_away(&lesson, &run)).min();
        let Some(at) = asked else {
            assert_eq!(end, other.unwrap_or(run.trace.events.len()), "{}", lesson.id);
            continue;
        };
        cut += 1;
        assert_eq!(end, other.map_or(at, |r| r.min(at)), "{}", lesson.id);
        // Nothing the worksheet leaves blank or headless lies beyond what it draws.
        assert!(blanks(&lesson, &run).iter().chain(&unsaid_senders(&lesson, &run)).all(|&b| b < end));
        // What answers it, a delivery or a bounce, comes in the steps left out.
        let fate = run.trace.events[end..]
            .iter()
            .any(|e| matches!(e.kind, EventKind::Bounce { .. } | EventKind::Delivery { .. }));
        assert!(fate, "{}", lesson.id);
    }
    // No MX, Two failures, When STARTTLS fails; with the full build's lessons The whole
    // journey, Forwarded and Email myths too.
    let expected = if cfg!(feature = "trust") { 6 } else { 3 };
    assert!(cut >= expected, "only {cut} lessons ask how a message ends");

    // A teacher's lesson whose only `reply` question comes after its outcome question: the
    // worksheet still has boxes to fill in (every coded reply it draws), not none (with
    // none, the page and the download would show every reply).
    let tricky = Lesson::parse("tricky", TRICKY).unwrap();
    let run = run_lesson(&tricky).unwrap();
    let end = worksheet_end(&tricky, &run);
    let typed = run.anchors[3].unwrap();
    assert!(typed >= end, "the typed question's reply is past the end");
    let b = blanks(&tricky, &run);
    let coded: Vec<usize> =
        run.trace.events[..end].iter().filter(|e| is_coded_reply(e)).map(|e| e.index).collect();
    assert!(b.len() >= 3 && coded.iter().all(|&i| box_of(&run.trace, &b, i).is_some()), "{b:?}");
    assert!(b.contains(&run.anchors[1].unwrap()) && !b.contains(&typed));
}

/// The event of the lesson's earliest `reply` question that a refusal answers (a 4xx or
/// 5xx, -ERR, NO, BAD), if any.
fn refused_reply(lesson: &Lesson, run: &LessonRun) -> Option<usize> {
    lesson
        .steps
        .iter()
        .zip(&run.anchors)
        .filter(|(s, _)| s.question.as_ref().is_some_and(|q| q.kind == QuestionKind::Reply))
        .filter_map(|(_, a)| *a)
        .filter(|&a| refuses(&run.trace.events[a]))
        .min()
}

/// Where the player asks the question of [`refused_reply`].
fn refused(lesson: &Lesson, run: &LessonRun) -> Option<usize> {
    refused_reply(lesson, run).map(|a| crate::question::asked_at(run, a))
}

/// Where the player asks the earliest `reply` question that its server's own steps just
/// before it would answer (a verdict, a delivery before the `250`): before them.
fn given_away(lesson: &Lesson, run: &LessonRun) -> Option<usize> {
    let replies = lesson.steps.iter().zip(&run.anchors);
    let replies = replies.filter(|(s, _)| s.question.as_ref().is_some_and(|q| q.kind == QuestionKind::Reply));
    let asked = replies.filter_map(|(_, a)| *a).map(|a| (a, crate::question::asked_at(run, a)));
    asked.filter(|(a, at)| at < a).map(|(_, at)| at).min()
}

/// DKIM asks whether the unsigned copy is accepted before the server's verdict and the
/// delivery that come before its `250`: the worksheet stops there too, so that neither
/// is drawn above the box (a teacher found "DKIM none" and "files the message" printed
/// right before it).
#[test]
#[cfg(feature = "trust")]
fn a_worksheet_stops_before_what_gives_a_reply_away() {
    let all = lessons();
    let (lesson, run) = all.iter().find(|(l, _)| l.id == "dkim").unwrap();
    let at = given_away(lesson, run).expect("dkim asks before its verdict");
    let end = worksheet_end(lesson, run);
    assert_eq!(end, at);
    let reply = run.trace.events[at..].iter().find(|e| e.travels()).unwrap();
    assert!(matches!(reply.kind, EventKind::Reply { .. }), "{reply:?}");
    assert!(
        run.trace.events[end..reply.index].iter().any(|e| matches!(e.kind, EventKind::Delivery { .. })),
        "the delivery that gives the 250 away is left out"
    );
    assert!(blanks(lesson, run).iter().all(|&b| b < end));
}

/// A `reply` question answered by a refusal ("250, 451 or 550?") is answered again by the
/// steps after it: the bounce written (a 5xx), the same command sent again later (a 4xx),
/// and by the notes the server writes just before it ("SPF fail: …"). A worksheet's
/// conversation stops where the player asks it, before all of them.
#[test]
fn a_worksheet_stops_before_a_refused_reply() {
    let mut stopped = Vec::new();
    for (lesson, run) in lessons() {
        let Some(reply) = refused_reply(&lesson, &run) else { continue };
        let at = crate::question::asked_at(&run, reply);
        let end = worksheet_end(&lesson, &run);
        assert!(end <= at, "{}", lesson.id);
        if end < at {
            continue; // an outcome question asked before it stops it sooner
        }
        stopped.push(lesson.id.clone());
        let b = blanks(&lesson, &run);
        assert!(b.iter().all(|&i| i < end), "{}: no box past the end", lesson.id);
        let svg = sequence_svg(&run.trace, &lesson.title, &b, &unsaid_senders(&lesson, &run), end);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("g")).count(), end, "{}", lesson.id);
        // Nothing drawn is the refusing server's own note on it.
        let server = run.trace.events[reply].from;
        let notes =
            run.trace.events[..end].iter().rev().take_while(|e| !e.travels() && e.from == server).count();
        assert_eq!(notes, 0, "{}: the server's notes before its refusal are left out", lesson.id);
        // What would tell the answer comes after the end: for a 5xx the bounce written, or
        // the client giving up (its next command QUIT or RSET, not the transaction's next
        // step); for a 4xx the command it refused, sent again.
        let later = &run.trace.events[reply + 1..];
        let next_command = later.iter().find_map(|e| match &e.kind {
            EventKind::Command { verb } if e.from == run.trace.events[reply].to => Some(verb.as_str()),
            _ => None,
        });
        let told = match &run.trace.events[reply].kind {
            EventKind::Reply { status: Status::Smtp { code, .. }, .. } if *code >= 500 => {
                later.iter().any(|e| matches!(e.kind, EventKind::Bounce { .. }))
                    || matches!(next_command, Some("QUIT" | "RSET"))
            }
            EventKind::Reply { to_verb: Some(verb), .. } => {
                later.iter().any(|e| matches!(&e.kind, EventKind::Command { verb: v } if v == verb))
            }
            _ => false,
        };
        assert!(told, "{}: what answers it comes after the end", lesson.id);
    }
    for id in ["a-bounce", "greylisting"] {
        assert!(stopped.iter().any(|s| s == id), "{id} stops at its refusal: {stopped:?}");
    }
    #[cfg(feature = "trust")]
    for id in ["spf", "dmarc"] {
        assert!(stopped.iter().any(|s| s == id), "{id} stops at its refusal: {stopped:?}");
    }
}

#[test]
fn xml_and_gift_escape_their_special_characters() {
    assert_eq!(
        xml_escape("<a href=\"x\">'&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
    );
    assert_eq!(xml_escape("a\u{1}b\tc"), "a\u{FFFD}b\tc");
    assert_eq!(gift_escape("a~b=c#d{e}f:g\\h\ni"), "a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h\\ni");
}

// ----- the quiz bank ------------------------------------------------------------------------

/// A question read back from a quiz file.
#[derive(Debug, PartialEq, Eq)]
struct ReadQuestion {
    name: String,
    text: String,
    /// `multichoice` or `shortanswer`.
    kind: String,
    /// Each answer and whether it is right (fraction 100).
    answers: Vec<(String, bool)>,
    feedback: String,
}

/// Undoes GIFT's escapes: `\` before `~ = # { } :` and `\`, `\n` a line break.
fn gift_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(c @ ('~' | '=' | '#' | '{' | '}' | ':' | '\\')) => out.push(c),
            other => panic!("`\\{other:?}` is not a GIFT escape"),
        }
    }
    out
}

/// Splits `s` at the unescaped `sep` characters (GIFT's special characters are escaped
/// with `\`).
fn split_unescaped(s: &str, sep: impl Fn(char) -> bool) -> Vec<(Option<char>, String)> {
    let mut out = vec![(None, String::new())];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let last = &mut out.last_mut().unwrap().1;
            last.push(c);
            last.extend(chars.next());
        } else if sep(c) {
            out.push((Some(c), String::new()));
        } else {
            out.last_mut().unwrap().1.push(c);
        }
    }
    out
}

/// A GIFT reader for the subset [`gift`] writes, following Moodle's documented grammar
/// (docs.moodle.org/en/GIFT_format and qformat_gift's reader): questions separated by
/// blank lines; `//` comment lines; a `$CATEGORY:` block; `::name::`, an optional `[plain]`
/// format, the question text, then one `{...}` answer block at the end: answers `=right`
/// and `~wrong` (multiple choice when a `~` is there, else short answer), and general
/// feedback after `####`. No unescaped `{`, `}`, `=`, `~`, `#` or `:` may appear elsewhere.
/// Returns the category and the questions.
fn read_gift(text: &str) -> (Option<String>, Vec<ReadQuestion>) {
    // We write this by hand: no maintained Rust crate reads GIFT.
    let mut category = None;
    let mut questions = Vec::new();
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
        let q = lines.join("\n");
        let q = q.trim();
        if q.is_empty() {
            continue;
        }
        if let Some(c) = q.strip_prefix("$CATEGORY:") {
            assert!(category.is_none(), "one category");
            category = Some(c.trim().to_string());
            continue;
        }
        let rest = q.strip_prefix("::").expect("a question starts with its ::name::");
        let parts = split_unescaped(rest, |c| c == ':');
        // `name`, then an empty piece between the two colons of `::`, then the rest.
        assert!(parts.len() >= 3 && parts[1].1.is_empty(), "::name:: in {q}");
        let name = gift_unescape(&parts[0].1);
        let body: String = rest[parts[0].1.len() + 2..].to_string();
        let body = body.strip_prefix("[plain]").expect("plain text format");
        let pieces = split_unescaped(body, |c| c == '{' || c == '}');
        assert_eq!(pieces.len(), 3, "one answer block, at the end: {q}");
        assert_eq!((pieces[1].0, pieces[2].0), (Some('{'), Some('}')));
        assert!(pieces[2].1.trim().is_empty(), "nothing after the answers: {q}");
        let text = gift_unescape(pieces[0].1.trim());
        let (answers, feedback) = match pieces[1].1.split_once("####") {
            Some((a, f)) => (a.to_string(), gift_unescape(f.trim())),
            None => (pieces[1].1.clone(), String::new()),
        };
        assert!(!feedback.contains('#'), "feedback has no answer feedback: {q}");
        let marks = split_unescaped(&answers, |c| c == '=' || c == '~');
        assert!(marks[0].1.trim().is_empty(), "answers start with = or ~: {q}");
        let answers: Vec<(String, bool)> = marks[1..]
            .iter()
            .map(|(mark, a)| {
                assert!(split_unescaped(a, |c| c == '#').len() == 1, "no unescaped # in {a:?}");
                (gift_unescape(a.trim()), *mark == Some('='))
            })
            .collect();
        let kind = if marks.iter().any(|(m, _)| *m == Some('~')) { "multichoice" } else { "shortanswer" };
        questions.push(ReadQuestion { name, text, kind: kind.into(), answers, feedback });
    }
    (category, questions)
}

/// Reads Moodle XML as Moodle documents it (docs.moodle.org/en/Moodle_XML_format): a
/// `<quiz>` of `<question type="...">`, the first a category; each question's
/// `name/text`, `questiontext/text` and `answer` elements with a `fraction` (100 right, 0
/// wrong) and a `text`.
fn read_moodle_xml(xml: &str) -> (String, Vec<ReadQuestion>) {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let quiz = doc.root_element();
    assert_eq!(quiz.tag_name().name(), "quiz");
    fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, tag: &str) -> roxmltree::Node<'a, 'i> {
        let found: Vec<_> = n.children().filter(|c| c.has_tag_name(tag)).collect();
        assert_eq!(found.len(), 1, "one <{tag}> in <{}>", n.tag_name().name());
        found[0]
    }
    let text_of = |n: roxmltree::Node<'_, '_>| child(n, "text").text().unwrap_or("").to_string();
    let mut questions = quiz.children().filter(|n| n.is_element());
    let category = questions.next().expect("a category first");
    assert_eq!(category.attribute("type"), Some("category"));
    let category = text_of(child(category, "category"));
    let questions = questions
        .map(|q| {
            assert!(q.has_tag_name("question"));
            let kind = q.attribute("type").unwrap().to_string();
            assert!(kind == "multichoice" || kind == "shortanswer", "{kind}");
            for tag in ["questiontext", "generalfeedback"] {
                assert_eq!(child(q, tag).attribute("format"), Some("plain_text"));
            }
            let answers: Vec<(String, bool)> = q
                .children()
                .filter(|c| c.has_tag_name("answer"))
                .map(|a| {
                    let fraction = a.attribute("fraction").unwrap();
                    assert!(fraction == "100" || fraction == "0", "{fraction}");
                    (text_of(a), fraction == "100")
                })
                .collect();
            if kind == "multichoice" {
                assert_eq!(child(q, "single").text(), Some("true"));
            } else {
                assert_eq!(child(q, "usecase").text(), Some("0"));
            }
            ReadQuestion {
                name: text_of(child(q, "name")),
                text: text_of(child(q, "questiontext")),
                kind,
                answers,
                feedback: text_of(child(q, "generalfeedback")),
            }
        })
        .collect();
    (category, questions)
}

/// A lesson of the standard world (a message to a mailbox that does not exist) with three
/// questions full of the characters GIFT and XML treat specially, one typed.
const TRICKY: &str = "---\ntitle: Braces {and} colons: a <test> & \"more\" / more ---\n\
     from: Alice <alice@example.org>\nto: Bobby <bobby@example.net>\n---\n\
     ## Start\n@ start\n\nText.\n\n\
     ## Who = first?\n@ reply 220 from smtp.example.org\n\n\
     ```question speaker\nWho speaks first: ~ the {client} or = the server? #1 \\ back\n\
     - laptop\n- Alice's provider\n```\nText.\n\n\
     ## Outcome\n@ reply to RCPT on smtp.example.org\n\n\
     ```question outcome\nDelivered or bounced, <bobby@example.net>?\n```\nText.\n\n\
     ## Typed\n@ reply to RCPT on mx.example.net\n\n\
     ```question reply\nType the code: RCPT TO:<bobby@example.net> & then?\n```\nText.\n";

/// Every lesson with questions, and the tricky one.
fn quizzes() -> Vec<(Lesson, LessonRun)> {
    let mut all: Vec<_> =
        lessons().into_iter().filter(|(l, _)| l.steps.iter().any(|s| s.question.is_some())).collect();
    assert!(all.len() >= 4, "the built-in lessons ask questions");
    let tricky = Lesson::parse("tricky", TRICKY).unwrap();
    let run = run_lesson(&tricky).unwrap();
    all.push((tricky, run));
    all
}

/// What the quiz files must hold for `lesson`: each question, its type and its answers,
/// the right one the engine's.
fn expected(lesson: &Lesson, run: &LessonRun) -> Vec<(String, String, Vec<(String, bool)>)> {
    let mut out = Vec::new();
    for (step, answer) in lesson.steps.iter().zip(&run.answers) {
        let (Some(q), Some(a)) = (&step.question, answer) else { continue };
        if q.choices.len() >= 2 {
            let answers =
                q.choices.iter().enumerate().map(|(i, c)| (c.clone(), a.choice == Some(i))).collect();
            out.push((q.prompt.clone(), "multichoice".to_string(), answers));
        } else {
            out.push((q.prompt.clone(), "shortanswer".to_string(), vec![(a.text.clone(), true)]));
        }
    }
    out
}

#[test]
fn gift_files_parse_and_hold_every_question_with_the_engines_answer() {
    for (lesson, run) in quizzes() {
        let text = gift(&lesson, &run);
        let (category, questions) = read_gift(&text);
        assert_eq!(category, Some(format!("$course$/top/Mailroom/{}", lesson.title.replace('/', "//"))));
        let got: Vec<_> =
            questions.iter().map(|q| (q.text.clone(), q.kind.clone(), q.answers.clone())).collect();
        assert_eq!(got, expected(&lesson, &run), "{}:\n{text}", lesson.id);
        for q in &questions {
            assert!(q.name.starts_with(&format!("{} · part ", lesson.title)), "{}", q.name);
            assert!(q.feedback.starts_with("In the simulation: "), "{}", q.feedback);
            assert_eq!(q.answers.iter().filter(|(_, right)| *right).count(), 1);
        }
    }
}

#[test]
fn moodle_xml_files_parse_and_hold_every_question_with_the_engines_answer() {
    for (lesson, run) in quizzes() {
        let xml = moodle_xml(&lesson, &run);
        let (category, questions) = read_moodle_xml(&xml);
        assert_eq!(category, format!("$course$/top/Mailroom/{}", lesson.title.replace('/', "//")));
        let got: Vec<_> =
            questions.iter().map(|q| (q.text.clone(), q.kind.clone(), q.answers.clone())).collect();
        assert_eq!(got, expected(&lesson, &run), "{}:\n{xml}", lesson.id);
        // GIFT and XML say the same.
        let (_, from_gift) = read_gift(&gift(&lesson, &run));
        assert_eq!(questions, from_gift, "{}", lesson.id);
    }
}

#[test]
fn the_tricky_lesson_reads_back_as_written() {
    let (lesson, run) = quizzes().pop().unwrap();
    let (_, q) = read_gift(&gift(&lesson, &run));
    assert_eq!(q.len(), 3);
    assert_eq!(q[0].text, "Who speaks first: ~ the {client} or = the server? #1 \\ back");
    assert_eq!(q[0].answers, [("laptop".to_string(), false), ("Alice's provider".to_string(), true)]);
    assert_eq!(q[1].answers, [("delivered".to_string(), false), ("bounced".to_string(), true)]);
    assert_eq!(
        (q[2].kind.as_str(), q[2].answers.as_slice()),
        ("shortanswer", &[("550".to_string(), true)][..])
    );
    assert!(q[2].feedback.starts_with("In the simulation: 550 5.1.1"), "{}", q[2].feedback);
    assert_eq!(q[0].name, "Braces {and} colons: a <test> & \"more\" / more --- · part 2: Who = first?");
}

/// A label too long for its arrow is cut after a whole word when that keeps more than half
/// of it (a printed sheet cannot show the rest), else where it is full.
#[test]
fn labels_are_cut_after_a_whole_word() {
    let cases = [
        ("short", 10, "short"),
        (
            "signs the message with DKIM for example.org (the key published",
            50,
            "signs the message with DKIM for example.org (the…",
        ),
        // The word after the cut begins right there: the words before stay whole.
        ("one two three", 8, "one two…"),
        ("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=", 30, "AUTH PLAIN AGFsaWNlQGV4YW1wbG…"),
        ("averylongwordwithoutspaces", 10, "averylong…"),
    ];
    for (text, max, want) in cases {
        let got = super::cut(text, max);
        assert_eq!(got, want, "{text}");
        assert!(got.chars().count() <= max, "{got}");
    }
}
