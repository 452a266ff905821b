//! Every lesson is also a test: it parses, its World runs to the end, and every step's
//! anchor finds its event, in order.

use mailroom_core::describe::ActionDesc;
use mailroom_core::lesson::Lesson;
use mailroom_core::lessons::BUILTIN;
#[cfg(any(feature = "pop3", feature = "imap"))]
use mailroom_core::trace::ConnId;
use mailroom_core::trace::{EventKind, Trace};
#[cfg(feature = "pop3")]
use mailroom_core::trace::{MaildropMessage, Pop3View};
use mailroom_core::world::{run_lesson, run_send};

/// True when `lesson` can run in this build: lessons whose mail programs retrieve mail need
/// the `pop3` feature (without it they are refused in words, see the last test). Lessons
/// with IMAP mail programs need the `imap` feature; without it they are not built in at all
/// (`lessons::BUILTIN` leaves them out, and the description language does not read them).
fn runs_here(lesson: &Lesson) -> bool {
    cfg!(feature = "pop3") || !lesson.world.actions.iter().any(|a| matches!(a, ActionDesc::Retrieve { .. }))
}

#[test]
fn every_builtin_lesson_runs_and_every_anchor_resolves() {
    assert!(!BUILTIN.is_empty());
    for (id, text) in BUILTIN {
        let lesson = Lesson::parse(id, text).unwrap_or_else(|e| panic!("{id}: {e}"));
        if !runs_here(&lesson) {
            continue;
        }
        let run = run_lesson(&lesson).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(run.anchors.len(), lesson.steps.len());
        let mut last = None;
        for (step, anchor) in lesson.steps.iter().zip(&run.anchors) {
            assert!(
                anchor > &last || last.is_none() && anchor.is_none(),
                "{id}: step {} out of order",
                step.title
            );
            last = *anchor;
            assert!(!step.body.is_empty(), "{id}: step {} has no narration", step.title);
        }
    }
}

#[test]
fn lesson_files_are_found_on_disk() {
    // A teacher adds a lesson by adding a file; build.rs must make it a built-in lesson.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // README.md is the guide to writing lessons, not a lesson.
        if path.extension().is_some_and(|e| e == "md") && !path.ends_with("README.md") {
            let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
            // Without the `imap` (`pop3`) feature the IMAP (POP3) lessons are not built in.
            let text = std::fs::read_to_string(&path).unwrap();
            let entry = mailroom_core::lessons::entry(&stem);
            if (!cfg!(feature = "imap") && text.contains(" imap from "))
                || (!cfg!(feature = "pop3") && text.contains(" retrieve from "))
                || (!cfg!(feature = "trust") && entry.is_some_and(|e| e.trust))
            {
                continue;
            }
            assert!(
                BUILTIN.iter().any(|(id, _)| *id == stem),
                "{stem}.md is not a built-in lesson (see core/build.rs)"
            );
        }
    }
}

#[test]
fn sending_an_email_reaches_bobs_mailbox_with_trace_headers() {
    let lesson = mailroom_core::lessons::builtin("sending-an-email").unwrap().unwrap();
    let trace = run_send(&lesson.email).unwrap();
    let deliveries: Vec<_> = trace
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Delivery { mailbox } if mailbox == "bob@example.net"))
        .collect();
    assert_eq!(deliveries.len(), 1);
    let stored = deliveries[0].text();
    assert!(
        stored.starts_with("Return-Path: <alice@example.org>\r\nReceived: from smtp.example.org"),
        "{stored}"
    );
    assert_eq!(stored.matches("Received: ").count(), 2, "one Received per hop");
    assert!(stored.contains("\r\nSubject: Lunch on Friday?\r\n"));
    // The body line with leading dots is stored as written, unstuffed.
    assert!(stored.contains("\r\n...and this line starts with dots"));
    // ...and went over the wire stuffed.
    let data = trace.events.iter().find(|e| e.kind == EventKind::MessageData).unwrap();
    assert!(data.text().contains("\r\n....and this line starts with dots"));
    assert!(data.text().ends_with("\r\n.\r\n"));
    // The last snapshot shows Bob's mailbox with one message.
    let last = trace.events.last().unwrap();
    let mx = trace.host_by_name("mx.example.net").unwrap();
    assert!(last.hosts[mx].mailboxes.contains(&("bob@example.net".to_string(), 1)));
}

#[test]
fn the_same_inputs_give_the_same_trace() {
    let lesson = mailroom_core::lessons::builtin("sending-an-email").unwrap().unwrap();
    assert_eq!(run_send(&lesson.email).unwrap(), run_send(&lesson.email).unwrap());
}

#[test]
fn events_are_in_time_order_and_replies_answer_commands() {
    let lesson = mailroom_core::lessons::builtin("sending-an-email").unwrap().unwrap();
    let trace = run_send(&lesson.email).unwrap();
    for w in trace.events.windows(2) {
        assert!(w[0].at <= w[1].at);
        assert!(w[1].sent <= w[1].at);
    }
    for e in &trace.events {
        assert_eq!(e.hosts.len(), trace.hosts.len());
        if let EventKind::Reply { to_verb: Some(verb), .. } = &e.kind {
            let cmd = trace.command_for_reply(e.index).expect("a reply answers a command");
            match &trace.events[cmd].kind {
                EventKind::Command { verb: v } => assert_eq!(v, verb),
                EventKind::MessageData => assert_eq!(verb, "DATA"),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn a_lesson_whose_anchor_is_missing_fails_with_the_step_named() {
    let text = "---\ntitle: T\nfrom: alice@example.org\nto: bob@example.net\n---\n## Never\n@ reply 421\nx\n";
    let lesson = Lesson::parse("t", text).unwrap();
    let e = run_lesson(&lesson).unwrap_err().to_string();
    assert!(e.contains("step `Never`") && e.contains("no such event"), "{e}");
    let text = "---\ntitle: T\nfrom: alice@example.org\nto: bob@example.net\n---\n## B\n@ close on mx.example.net\nx\n## A\n@ connect\ny\n";
    let e = run_lesson(&Lesson::parse("t", text).unwrap()).unwrap_err().to_string();
    assert!(e.contains("comes before the step above it"), "{e}");
}

#[cfg(feature = "pop3")]
/// What the mail program panel shows of a host (its [`Pop3View`]), one line per program,
/// maildrop and message.
fn dump_pop3(trace: &Trace, host: usize, view: &Pop3View) -> String {
    let name = &trace.hosts[host].name;
    let conn = |c: Option<ConnId>| c.map_or("-".to_string(), |c| (c.0).to_string());
    let mut out = String::new();
    for p in &view.programs {
        out.push_str(&format!(
            "  = {name}: mail program of {} via {} ({}), {} checks, session {}{}\n",
            p.user,
            p.server,
            if p.keep { "keep" } else { "delete" },
            p.checks,
            conn(p.session),
            p.error.as_ref().map(|e| format!(", error: {e}")).unwrap_or_default()
        ));
        for d in &p.downloaded {
            let uid = d.uid.as_deref().unwrap_or("-");
            out.push_str(&format!("    has {uid} {} octets, check {}: {}\n", d.size, d.check, d.subject));
        }
        let believed: Vec<String> = p
            .on_server
            .iter()
            .map(|c| {
                format!(
                    "{}{}{}",
                    c.uid,
                    if c.downloaded { "" } else { " (new)" },
                    if c.marked { " (marked)" } else { "" }
                )
            })
            .collect();
        out.push_str(&format!("    believes on server: [{}]\n", believed.join(", ")));
    }
    for d in &view.maildrops {
        out.push_str(&format!("  = {name}: maildrop of {}, locked by {}\n", d.user, conn(d.locked_by)));
        let line = |m: &MaildropMessage| {
            let n = m.number.map_or("-".to_string(), |n| n.to_string());
            let mark = if m.marked { " marked" } else { "" };
            format!("#{n} {} {} octets{mark}: {}", m.uid, m.size, m.subject)
        };
        for m in &d.messages {
            out.push_str(&format!("    {}\n", line(m)));
        }
        for m in &d.removed {
            out.push_str(&format!("    removed at QUIT of {}: {}\n", conn(d.removed_by), line(m)));
        }
    }
    out
}

/// What the IMAP views show of a host: each mail program's folders as it believes them,
/// and each mailbox's folders as stored, one line per folder.
#[cfg(feature = "imap")]
fn dump_imap(trace: &Trace, host: usize, view: &mailroom_core::trace::ImapView) -> String {
    use mailroom_core::trace::ImapFolderView;
    let name = &trace.hosts[host].name;
    let conn = |c: Option<ConnId>| c.map_or("-".to_string(), |c| (c.0).to_string());
    let folder = |f: &ImapFolderView| {
        let messages: Vec<String> = f
            .messages
            .iter()
            .map(|m| {
                format!(
                    "{} [{}]{} {}",
                    m.uid,
                    m.flags,
                    match (m.opened, m.text_only) {
                        (true, true) => " opened (text)",
                        (true, false) => " opened",
                        _ => "",
                    },
                    m.subject
                )
            })
            .collect();
        format!(
            "    {}{} v{}{}: {}\n",
            f.name,
            f.special_use.as_deref().map(|u| format!(" ({u})")).unwrap_or_default(),
            f.uid_validity,
            f.uid_next.map(|n| format!(" next {n}")).unwrap_or_default(),
            messages.join(" | ")
        )
    };
    let mut out = String::new();
    for p in &view.programs {
        out.push_str(&format!(
            "  = {name}: IMAP program of {} via {}, session {}{}{}{}\n",
            p.user,
            p.server,
            conn(p.session),
            p.selected.as_deref().map(|s| format!(", {s} open")).unwrap_or_default(),
            if p.idling { ", idling" } else { "" },
            p.error.as_ref().map(|e| format!(", error: {e}")).unwrap_or_default()
        ));
        out.extend(p.folders.iter().map(folder));
    }
    for m in &view.mailboxes {
        let sessions: Vec<String> =
            m.sessions.iter().map(|(c, f)| format!("{}:{}", c.0, f.as_deref().unwrap_or("-"))).collect();
        out.push_str(&format!(
            "  = {name}: IMAP mailbox of {}, sessions [{}]\n",
            m.user,
            sessions.join(", ")
        ));
        out.extend(m.folders.iter().map(folder));
    }
    out
}

/// The trace of a lesson as text: every event with its times, hosts, label, connection
/// and bytes, and what the mail program panel shows whenever it changes. Golden files pin
/// the conversations byte for byte.
fn dump(trace: &Trace) -> String {
    let mut out = String::new();
    #[cfg(feature = "pop3")]
    let mut shown: Vec<Option<std::rc::Rc<Pop3View>>> =
        trace.initial.iter().map(|h| h.pop3.clone()).collect();
    #[cfg(feature = "pop3")]
    for (host, v) in shown.iter().enumerate() {
        if let Some(v) = v {
            out.push_str(&dump_pop3(trace, host, v));
        }
    }
    #[cfg(feature = "imap")]
    let mut imap: Vec<_> = trace.initial.iter().map(|h| h.imap.clone()).collect();
    #[cfg(feature = "imap")]
    for (host, v) in imap.iter().enumerate() {
        if let Some(v) = v {
            out.push_str(&dump_imap(trace, host, v));
        }
    }
    for e in &trace.events {
        out.push_str(&format!(
            "#{} {}..{} {}->{} {} {:?}\n{}\n",
            e.index,
            e.sent.as_micros(),
            e.at.as_micros(),
            e.from,
            e.to,
            e.kind.label(),
            e.conn.map(|c| c.0),
            String::from_utf8_lossy(&e.bytes)
        ));
        #[cfg(any(feature = "pop3", feature = "imap"))]
        for (host, snap) in e.hosts.iter().enumerate() {
            #[cfg(feature = "pop3")]
            if snap.pop3 != shown[host] {
                if let Some(v) = &snap.pop3 {
                    out.push_str(&dump_pop3(trace, host, v));
                }
                shown[host] = snap.pop3.clone();
            }
            #[cfg(feature = "imap")]
            if snap.imap != imap[host] {
                if let Some(v) = &snap.imap {
                    out.push_str(&dump_imap(trace, host, v));
                }
                imap[host] = snap.imap.clone();
            }
        }
    }
    out
}

#[test]
fn lessons_give_the_same_conversation_byte_for_byte() {
    // Regenerate after a deliberate change with MAILROOM_BLESS=1 and read the diff.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    for (id, text) in BUILTIN {
        let lesson = Lesson::parse(id, text).unwrap();
        if !runs_here(&lesson) {
            continue;
        }
        let run = run_lesson(&lesson).unwrap();
        // Where each step lands, then the trace: a step that moves to another event (one
        // that still matches its anchor) is a change to read too.
        let steps: Vec<String> = lesson
            .steps
            .iter()
            .zip(&run.anchors)
            .map(|(step, at)| {
                format!("step {:?} @ {}\n", step.title, at.map_or("start".to_string(), |i| format!("#{i}")))
            })
            .collect();
        let got = steps.concat() + &dump(&run.trace);
        let path = dir.join(format!("{id}.trace"));
        if std::env::var_os("MAILROOM_BLESS").is_some() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}\n(a new lesson? write its golden trace with MAILROOM_BLESS=1 cargo test -p mailroom-core --test lessons, read it and commit it: see lessons/README.md)",
                path.display()
            )
        });
        if got != want {
            let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
            panic!(
                "{id}: the trace changed at line {}:\n got: {}\nwant: {}",
                line + 1,
                got.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            );
        }
    }
}

#[test]
fn a_lesson_can_add_to_its_world_and_script_sends() {
    let text = "---\ntitle: Greylisting\nfrom: Alice <alice@example.org>\nto: bob@example.net\nsubject: Hi\nworld: standard\n---\n```world\ngreylist mx.example.net\nat 0s send from laptop.example.org via smtp.example.org\nat 1m send from laptop.example.org via smtp.example.org to carol@example.net subject \"Second\"\n```\n## Try later\n@ reply 451 on mx.example.net\nGreylisted.\n## Delivered\n@ delivery bob@example.net\nOn the retry.\n";
    let lesson = Lesson::parse("grey", text).unwrap();
    let run = run_lesson(&lesson).unwrap();
    let deliveries: Vec<String> = run
        .trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Delivery { mailbox } => Some(mailbox.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    assert!(deliveries.contains(&"carol@example.net".to_string()));
}

#[test]
fn a_broken_world_block_names_its_line_in_the_lesson_file() {
    let text = "---\ntitle: T\nfrom: alice@example.org\nto: bob@example.net\n---\n```world\ngreylist mx.example.net\ndown nowhere.example from 0s to 1m\n```\n## S\n@ start\nx\n";
    let e = Lesson::parse("t", text).unwrap_err();
    assert_eq!(e.line, 8, "{e}");
    assert!(e.message.contains("nowhere.example"), "{e}");
    let text =
        "---\ntitle: T\nfrom: alice@example.org\nto: bob@example.net\nworld: moon\n---\n## S\n@ start\nx\n";
    let e = Lesson::parse("t", text).unwrap_err();
    assert_eq!(e.line, 5, "{e}");
    assert!(e.message.contains("unknown world `moon`"), "{e}");
}

/// The whole path in one world: Alice sends, Bob's mail program fetches it with POP3 an
/// hour later and deletes it on the server; a second fetch that keeps mail on the server
/// finds nothing new.
#[cfg(feature = "pop3")]
#[test]
fn a_lesson_can_send_and_then_retrieve_with_pop3() {
    let text = "---\ntitle: Whole path\nfrom: Alice <alice@example.org>\nto: bob@example.net\nsubject: Hi\n---\n```world\nat 0s send from laptop.example.org via smtp.example.org\nat 1h retrieve from laptop.example.org via mx.example.net user bob@example.net\nat 2h retrieve from laptop.example.org via mx.example.net user bob@example.net keep\n```\n## Delivered\n@ delivery bob@example.net\nIn the store.\n## Fetched\n@ command RETR on mx.example.net\nDownloaded.\n## Deleted at QUIT\n@ reply to QUIT on mx.example.net #2\nGone from the server.\n";
    let lesson = Lesson::parse("whole", text).unwrap_or_else(|e| panic!("{e}"));
    let run = run_lesson(&lesson).unwrap_or_else(|e| panic!("{e}"));
    let notes: Vec<String> =
        run.trace.events.iter().filter(|e| e.kind == EventKind::Note).map(|e| e.text()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("downloaded 1 message for bob@example.net") && n.contains("deleted 1")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("no new mail")), "{notes:?}");
    let last = run.trace.events.last().unwrap();
    let mx = run.trace.host_by_name("mx.example.net").unwrap();
    assert!(
        last.hosts[mx].mailboxes.contains(&("bob@example.net".to_string(), 0)),
        "the server's copy is gone"
    );
}

#[cfg(not(feature = "pop3"))]
#[test]
fn without_pop3_a_retrieving_lesson_is_refused_in_words() {
    let text = "---\ntitle: T\nfrom: alice@example.org\nto: bob@example.net\n---\n```world\nat 1h retrieve from laptop.example.org via mx.example.net user bob@example.net\n```\n## S\n@ start\nx\n";
    let e = run_lesson(&Lesson::parse("t", text).unwrap()).unwrap_err().to_string();
    assert!(e.contains("does not simulate POP3"), "{e}");
}

/// The message inspector reads every message of every lesson: each message after `354`
/// and each copy filed in a mailbox has its header fields, an envelope that agrees with
/// the trace, a MIME tree, a `Received:` chain with a protocol for each hop, and every bounce or delay warning its RFC 3464 report with an explained
/// `Action` per recipient.
#[test]
fn the_inspector_reads_every_message_of_every_lesson() {
    use mailroom_core::inspect;
    let mut read = 0;
    for (id, text) in BUILTIN {
        let lesson = Lesson::parse(id, text).unwrap();
        if !runs_here(&lesson) {
            continue;
        }
        let t = run_lesson(&lesson).unwrap().trace;
        for ev in &t.events {
            let (is_copy, is_data) =
                (matches!(ev.kind, EventKind::Delivery { .. }), matches!(ev.kind, EventKind::MessageData));
            if let EventKind::Bounce { sender } | EventKind::Delayed { sender } = &ev.kind {
                let env = inspect::envelope(&t, ev.index).unwrap();
                assert!(env.mail_from.is_empty() && env.rcpt_to == [sender.clone()], "{id} #{}", ev.index);
                assert!(inspect::dsn(&ev.bytes).is_some(), "{id} #{}: a bounce is a report", ev.index);
            }
            if !is_copy && !is_data {
                continue;
            }
            let at = format!("{id} #{}", ev.index);
            let m = ev.bytes.as_slice();
            let fields = inspect::fields(m);
            assert!(
                fields.iter().any(|f| f.name.eq_ignore_ascii_case("From")),
                "{at}: no From in {fields:?}"
            );
            // A message an IMAP client files with APPEND travels without an envelope; one
            // after SMTP's 354 always has one.
            let smtp = t.events[..ev.index].iter().any(|e| {
                e.conn == ev.conn && matches!(&e.kind, EventKind::Command { verb } if verb == "MAIL")
            });
            let Some(env) = inspect::envelope(&t, ev.index) else {
                assert!(is_data && !smtp, "{at}: no envelope");
                read += 1;
                continue;
            };
            if let EventKind::Delivery { mailbox } = &ev.kind {
                assert_eq!(env.rcpt_to, std::slice::from_ref(mailbox), "{at}");
                // A bounce has the null reverse-path (RFC 5321 §4.5.5); other mail its sender.
                let is_report = inspect::dsn(m).is_some();
                assert_eq!(env.mail_from.is_empty(), is_report, "{at}: MAIL FROM {:?}", env.mail_from);
                // One Received: line per server that took it over SMTP, each naming its
                // protocol; a report written by the sender's own server has none.
                let hops = inspect::received_chain(m);
                assert!(!hops.is_empty() || is_report, "{at}: a delivered copy has passed a server");
                assert!(hops.iter().all(|h| h.with.is_some() && h.by.is_some()), "{at}: {hops:?}");
            } else {
                assert!(!env.rcpt_to.is_empty(), "{at}: a message after 354 has accepted recipients");
            }
            let tree = inspect::mime_tree(m);
            assert!(tree.content_type.contains('/'), "{at}: {}", tree.content_type);
            if let Some(dsn) = inspect::dsn(m) {
                assert!(!dsn.recipients.is_empty(), "{at}: a report names its recipients");
                for r in &dsn.recipients {
                    let action = r.iter().find(|f| f.name.eq_ignore_ascii_case("Action"));
                    let action = action.unwrap_or_else(|| panic!("{at}: no Action in {r:?}"));
                    assert!(["failed", "delayed"].contains(&action.value.as_str()), "{at}: {}", action.value);
                    assert!(
                        r.iter().all(|f| f.explanation.is_some()),
                        "{at}: a field without explanation: {r:?}"
                    );
                }
            }
            read += 1;
        }
    }
    assert!(read > 50, "only {read} messages read");
}

/// The inline code spans of `markdown` (whitespace made single spaces) that begin with
/// `first`, the first word of a reply; not the name of a kind of IMAP response (`* FETCH`).
fn quoted(markdown: &str, first: &str) -> Vec<String> {
    markdown
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| s.split(' ').next() == Some(first) && s.len() > first.len())
        .filter(|s| first != "*" || s.split(' ').count() > 2)
        .collect()
}

/// True when `line` reads as `quoted`, where `...` or `…` in it stand for any text; the
/// quote ends where a word of the line ends, unless it ends with `...`.
fn reads_as(line: &str, quoted: &str) -> bool {
    let open = quoted.ends_with("...") || quoted.ends_with('…');
    let quoted = quoted.trim_end_matches(['.', '…']).trim_end();
    let mut rest = line;
    for (i, part) in quoted.split("...").flat_map(|p| p.split('…')).map(str::trim).enumerate() {
        match rest.find(part) {
            Some(at) if i > 0 || at == 0 => rest = &rest[at + part.len()..],
            _ => return false,
        }
    }
    open || !rest.starts_with(char::is_alphanumeric)
}

#[test]
fn a_reply_the_narration_quotes_is_one_the_conversation_holds() {
    // What a student sees must be true: a step on the reply `+OK 2 1366` that quotes
    // `+OK 2 1362` is wrong. A reply a step quotes that begins as the step's own reply
    // (its code, `+OK`, `*` …) is a line of the lesson's conversation (`...` standing for
    // any text); other codes in the narration are what could have been said instead.
    let mut wrong = Vec::new();
    for (id, text) in BUILTIN {
        let lesson = Lesson::parse(id, text).unwrap_or_else(|e| panic!("{id}: {e}"));
        if !runs_here(&lesson) {
            continue;
        }
        let run = run_lesson(&lesson).unwrap_or_else(|e| panic!("{id}: {e}"));
        let lines: Vec<String> = run
            .trace
            .events
            .iter()
            .flat_map(|e| e.text().lines().map(str::to_string).collect::<Vec<_>>())
            .collect();
        for (step, anchor) in lesson.steps.iter().zip(&run.anchors) {
            let Some(event) = anchor.and_then(|a| run.trace.events.get(a)) else { continue };
            let Some(first) = event.text().split_whitespace().next().map(str::to_string) else { continue };
            for q in quoted(&step.body, &first) {
                if !lines.iter().any(|l| reads_as(l, &q)) {
                    wrong.push(format!("{id}: step \"{}\" quotes `{q}`", step.title));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "replies no line of the lesson's conversation reads as:\n{}", wrong.join("\n"));
}

#[test]
fn a_quoted_reply_reads_as_a_line_with_dots_for_any_text() {
    let cases = [
        ("+OK 2 1366", "+OK 2 1366", true),
        ("+OK 2 1366", "+OK 2 1362", false),
        ("250 2.0.0 OK: queued as 7", "250 ... queued as", true),
        ("250 2.0.0 OK: queued as 7", "250 …", true),
        ("+OK bye (0 messages left)", "+OK ... (0 messages left)", true),
        ("+OK bye (1 message left)", "+OK ... (0 messages left)", false),
        ("x 250 OK", "250 OK", false),
        ("+OK 2 1366", "+OK 2 136", false),
        ("+OK 2 1366", "+OK 2 136...", true),
        ("354 Start mail input; end with <CRLF>.<CRLF>", "354 Start mail input", true),
    ];
    for (line, q, want) in cases {
        assert_eq!(reads_as(line, q), want, "{line} / {q}");
    }
}

#[test]
#[cfg(feature = "imap")]
fn a_tagged_imap_response_answers_the_command_with_its_tag() {
    // RFC 9051 §2.2.2: `a5 OK IDLE terminated` completes `a5 IDLE`, though DONE came last.
    use mailroom_core::trace::{ImapResponse, Status};
    let mut idle = 0;
    for (id, text) in BUILTIN {
        let lesson = Lesson::parse(id, text).unwrap_or_else(|e| panic!("{id}: {e}"));
        let run = run_lesson(&lesson).unwrap_or_else(|e| panic!("{id}: {e}"));
        let trace = &run.trace;
        for ev in &trace.events {
            let EventKind::Reply { status: Status::Imap(ImapResponse::Tagged { tag, .. }), .. } = &ev.kind
            else {
                continue;
            };
            let command = trace.command_for_reply(ev.index).map(|c| trace.events[c].text());
            let command =
                command.unwrap_or_else(|| panic!("{id}: {} answers no command", ev.text().trim_end()));
            assert!(
                command.starts_with(&format!("{tag} ")),
                "{id}: {} answers {}",
                ev.text().trim_end(),
                command.trim_end()
            );
            idle += usize::from(command.starts_with(&format!("{tag} IDLE")));
        }
    }
    assert!(idle > 0, "some lesson ends an IDLE");
}

/// The first load tells no message apart for an `outcome` question (it goes without
/// `question::message_of`): for every built-in lesson, the outcome of the step's own
/// message is that of any message after the step. A lesson where it is not would need
/// that code in the first load.
#[cfg(feature = "teacher")]
#[test]
fn every_outcome_question_has_one_answer_with_or_without_its_message() {
    use mailroom_core::mail;
    use mailroom_core::question::{QuestionKind, message_of, outcome};
    let mut asked = 0;
    for (id, text) in BUILTIN {
        let lesson = Lesson::parse(id, text).unwrap_or_else(|e| panic!("{id}: {e}"));
        if !runs_here(&lesson) {
            continue;
        }
        let run = run_lesson(&lesson).unwrap_or_else(|e| panic!("{id}: {e}"));
        for (step, at) in lesson.steps.iter().zip(&run.anchors) {
            let (Some(q), Some(at)) = (&step.question, *at) else { continue };
            if q.kind != QuestionKind::Outcome {
                continue;
            }
            asked += 1;
            let message =
                message_of(&run.trace, at).unwrap_or_else(|| panic!("{id}: step {}: no message", step.title));
            let message_id = mail::header(&message.bytes, "Message-ID");
            assert!(message_id.is_some(), "{id}: step {}: no Message-ID", step.title);
            let own = outcome(&run.trace, at, message_id.as_deref());
            assert!(own.is_some(), "{id}: step {}", step.title);
            assert_eq!(own, outcome(&run.trace, at, None), "{id}: step {}", step.title);
        }
    }
    assert!(asked >= 6, "{asked} outcome questions");
}
