//! Hand-outs and exports for the classroom, as pure functions of a lesson and its run:
//!
//! - [`transcript_text`]: the whole conversation as text, `C:`/`S:` lines exactly as on
//!   the wire, DNS as `Q:`/`A:`, each event under a line naming its time, the sending and
//!   the receiving host;
//! - [`sequence`] and [`sequence_svg`]: the conversation as arrows between hosts (a
//!   sequence diagram), with chosen replies left blank for a worksheet ([`blanks`]);
//! - [`gift`] and [`moodle_xml`]: the lesson's questions as a quiz bank that Moodle imports
//!   (<https://docs.moodle.org/en/GIFT_format>, <https://docs.moodle.org/en/Moodle_XML_format>).
//!   The right answers are the engine's ([`LessonRun::answers`]), never written by hand.
//!
//! The page (full build) only offers these as a printable page and as downloads.

use std::fmt::Write as _;

use crate::lesson::Lesson;
use crate::question::{Answer, Question, QuestionKind};
use crate::time::SimTime;
use crate::trace::{
    EventKind, Family, HostId, ImapCondition, ImapResponse, Protocol, Status, Trace, TraceEvent,
};
use crate::world::LessonRun;

// ----- the transcript as text ------------------------------------------------------------

/// What the text says about a line that does not end in CRLF on the wire (SMTP, POP3 and
/// IMAP lines end in CRLF: RFC 5321 §2.3.8, RFC 1939 §3, RFC 9051 §2.2). Written on the line
/// after it, so the line itself stays exactly as sent.
const BARE_LF: &str = "   (ends with a bare LF, not CRLF)";
const BARE_CR: &str = "   (ends with a bare CR, not CRLF)";
const NO_END: &str = "   (no line end)";

/// The prefix of a line: `C:` client, `S:` server, `Q:` DNS question, `A:` DNS answer; `--`
/// for what happens without bytes on the wire (a connection opens, a message is filed).
fn prefix(trace: &Trace, ev: &TraceEvent) -> &'static str {
    match ev.kind {
        EventKind::DnsQuery { .. } => "Q:",
        EventKind::DnsAnswer { .. } => "A:",
        _ => match ev.conn.and_then(|c| trace.conn(c)) {
            Some(conn) if conn.server == ev.from => "S:",
            _ => "C:",
        },
    }
}

/// True for an event whose bytes travel on the wire as lines of a protocol (or, for DNS,
/// in presentation form: the question, or the answer's records one a line).
fn on_the_wire(ev: &TraceEvent) -> bool {
    matches!(
        ev.kind,
        EventKind::Command { .. }
            | EventKind::Reply { .. }
            | EventKind::MessageData
            | EventKind::AuthData
            | EventKind::DnsQuery { .. }
            | EventKind::DnsAnswer { .. }
    ) && !ev.bytes.is_empty()
}

/// An event without bytes on the wire, in words.
fn action(ev: &TraceEvent) -> String {
    match &ev.kind {
        EventKind::Connect { port } => format!("opens a TCP connection to port {port}"),
        EventKind::Close => "closes the connection".into(),
        EventKind::Refused { port } => format!("refuses the connection: nothing listens on port {port}"),
        EventKind::Tls { flight, size } => {
            format!("TLS handshake: {} ({size} bytes; simulated)", flight.label())
        }
        EventKind::Delivery { mailbox } => format!("files the message in the mailbox of {mailbox}"),
        EventKind::Queued { recipients } if recipients.is_empty() => "queues the message".into(),
        EventKind::Queued { recipients } => format!("queues the message for {}", recipients.join(", ")),
        EventKind::Bounce { sender } => format!("writes a bounce back to {sender}"),
        EventKind::Delayed { sender } => format!("warns {sender} that the message is delayed"),
        EventKind::Note => String::from_utf8_lossy(&ev.bytes).trim().to_string(),
        // A command or reply without bytes (none in the lessons): its name.
        other => format!("{} (no bytes)", other.label()),
    }
}

/// When an event arrived: seconds and milliseconds in the first minute, then `h:mm:ss`,
/// then days (`4d 02:00:00`).
pub fn clock(t: SimTime) -> String {
    let ms = t.as_millis();
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}.{:03} s", ms % 1000),
        // As the player's transcript: minutes, seconds and milliseconds in the first hour.
        60..3600 => format!("{}:{:02}.{:03}", s / 60, s % 60, ms % 1000),
        3600..86_400 => format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60),
        _ => format!("{}d {:02}:{:02}:{:02}", s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60),
    }
}

/// The line above an event: when, who sends it to whom, and over what.
fn header(trace: &Trace, ev: &TraceEvent) -> String {
    let name = |id: HostId| trace.hosts.get(id).map_or("?", |h| h.name.as_str());
    let time = clock(ev.at);
    if !ev.travels() {
        return format!("{time}  {}", name(ev.from));
    }
    let over = match ev.conn.and_then(|c| trace.conn(c).map(|info| (c, info))) {
        Some((c, info)) => {
            let tls = if info.tls_from.is_some_and(|f| f < ev.index) { ", encrypted" } else { "" };
            format!("{}, {c}{tls}", ev.protocol.name())
        }
        None => ev.protocol.name().to_string(),
    };
    format!("{time}  {} -> {}  ({over})", name(ev.from), name(ev.to))
}

/// Splits bytes into lines and how each ended: `\r\n`, `\n`, `\r`, or nothing (the last).
fn lines(bytes: &[u8]) -> Vec<(&[u8], &'static str)> {
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let end = match (bytes[i], bytes.get(i + 1)) {
            (b'\r', Some(b'\n')) => "\r\n",
            (b'\r', _) => "\r",
            (b'\n', _) => "\n",
            _ => {
                i += 1;
                continue;
            }
        };
        out.push((&bytes[start..i], end));
        i += end.len();
        start = i;
    }
    if start < bytes.len() {
        out.push((&bytes[start..], ""));
    }
    out
}

/// The whole conversation as text: a list of the hosts, then every event under a line
/// with its time, the sending and the receiving host (`0.050 s  smtp.example.org ->
/// laptop.example.org  (SMTP, connection 1)`), its bytes as `C:`/`S:` lines exactly as on
/// the wire (a line that does not end in CRLF is marked on the next line), DNS as `Q:`/`A:`
/// lines, and what happens without bytes on the wire as a `--` line.
pub fn transcript_text(trace: &Trace) -> String {
    let mut out = String::from("Hosts:\n");
    for h in &trace.hosts {
        let _ = writeln!(out, "  {}  {}  {}", h.name, h.addr, h.label);
    }
    out.push_str(
        "\nEach line: C: the client sends, S: the server answers, Q: a DNS question, A: a DNS answer,\n\
         --: what happens without bytes on the wire.\n\
         SMTP, POP3 and IMAP lines end with CRLF on the wire, unless marked.\n",
    );
    for ev in &trace.events {
        out.push('\n');
        out.push_str(&header(trace, ev));
        out.push('\n');
        if !on_the_wire(ev) {
            for line in action(ev).lines() {
                let _ = writeln!(out, "-- {line}");
            }
            continue;
        }
        let p = prefix(trace, ev);
        let dns = ev.protocol == Protocol::Dns;
        for (text, end) in lines(&ev.bytes) {
            let text = String::from_utf8_lossy(text);
            if text.is_empty() {
                out.push_str(p)
            } else {
                let _ = write!(out, "{p} {text}");
            }
            out.push('\n');
            // DNS is not lines on the wire: its presentation form ends records with LF.
            let mark = match end {
                "\r\n" => None,
                "\n" if dns => None,
                "" if dns => None,
                "\n" => Some(BARE_LF),
                "\r" => Some(BARE_CR),
                _ => Some(NO_END),
            };
            if let Some(mark) = mark {
                out.push_str(mark);
                out.push('\n');
            }
        }
        if matches!(&ev.kind, EventKind::DnsAnswer { records, .. } if records.is_empty()) {
            out.push_str("-- no such record\n");
        }
    }
    out
}

// ----- the sequence of the conversation ---------------------------------------------------

/// One arrow of a sequence diagram: an event from one host to another (or inside one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeqRow {
    /// The event's index in the trace.
    pub index: usize,
    pub from: HostId,
    pub to: HostId,
    /// What the arrow says: the first line sent, or the event in words.
    pub label: String,
    pub family: Family,
}

/// Labels longer than this are cut (with `…`): the transcript has the whole of it.
pub const MAX_LABEL: usize = 60;

/// `text`, cut to `max` characters (the last one `…`) when longer: after its last whole word
/// when that keeps more than half of it (a printed sheet cannot show the rest), else where
/// it is full (a long address, a base64 line).
pub(crate) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    // Where the next word would begin: the text goes on after a space there.
    let next_is_space = text.chars().nth(max.saturating_sub(1)) == Some(' ');
    if !next_is_space && let Some(space) = s.rfind(' ').filter(|&at| at > s.len() / 2) {
        s.truncate(space);
    }
    s.truncate(s.trim_end().len());
    s.push('…');
    s
}

/// What the arrow of `ev` says.
fn label(ev: &TraceEvent) -> String {
    match &ev.kind {
        // A line typed in the sandbox after 354 (lessons send whole messages).
        #[cfg(feature = "sandbox")]
        EventKind::MessageData if lines(&ev.bytes).len() == 1 => match &ev.bytes[..] {
            b".\r\n" => "the message's end (.)".into(),
            _ => "a line of the message".into(),
        },
        EventKind::MessageData => format!("the message ({} lines)", lines(&ev.bytes).len()),
        EventKind::Connect { port } => format!("connect to port {port}"),
        EventKind::Close => "close".into(),
        EventKind::Refused { port } => format!("refused: nothing on port {port}"),
        EventKind::Tls { flight, .. } => format!("TLS {}", flight.label()),
        EventKind::DnsAnswer { records, .. } if records.is_empty() => "no such record".into(),
        _ if on_the_wire(ev) => {
            let all = lines(&ev.bytes);
            let first = all.first().map(|(l, _)| String::from_utf8_lossy(l)).unwrap_or_default();
            match all.len() {
                0 | 1 => first.into_owned(),
                n => format!("{first} (+{} lines)", n - 1),
            }
        }
        _ => action(ev),
    }
}

/// The conversation as arrows between hosts, one per event, in order.
pub fn sequence(trace: &Trace) -> Vec<SeqRow> {
    trace
        .events
        .iter()
        .map(|ev| SeqRow {
            index: ev.index,
            from: ev.from,
            to: ev.to,
            label: cut(&label(ev), MAX_LABEL),
            family: ev.kind.family(),
        })
        .collect()
}

/// True for a reply with a code a student can write in a blank: an SMTP code, POP3's
/// `+OK`/`-ERR`, IMAP's tagged `OK`/`NO`/`BAD`.
fn is_coded_reply(ev: &TraceEvent) -> bool {
    use crate::trace::ImapResponse;
    matches!(
        &ev.kind,
        EventKind::Reply { status: Status::Smtp { .. } | Status::Pop3 { .. }, .. }
            | EventKind::Reply { status: Status::Imap(ImapResponse::Tagged { .. }), .. }
    )
}

/// The events a worksheet leaves blank, by event index, in order: the replies the lesson's
/// `reply` questions ask about (a lesson without such questions blanks every reply with a
/// code, SMTP's, POP3's `+OK`/`-ERR`, IMAP's `OK`/`NO`/`BAD`, the first time each code
/// answers each command), and the events its `speaker` questions ask about, whose arrow
/// would answer them ([`unsaid_senders`]); only those the worksheet draws, before its
/// [`worksheet_end`].
pub fn blanks(lesson: &Lesson, run: &LessonRun) -> Vec<usize> {
    let end = worksheet_end(lesson, run);
    let mut out = asked(lesson, run, QuestionKind::Reply);
    out.retain(|&b| b < end);
    if out.is_empty() {
        // Each code to each command once: where it comes again, [`box_of`] gives it the
        // first one's number (the relay's conversation repeats the client's).
        let events = &run.trace.events[..end];
        out = events
            .iter()
            .filter(|e| is_coded_reply(e))
            .filter(|e| !events[..e.index].iter().any(|f| is_coded_reply(f) && says_the_same(f, e)))
            .map(|e| e.index)
            .collect();
    }
    out.extend(asked_speakers(lesson, run));
    out.sort_unstable();
    out.dedup();
    out
}

/// True when event `b` would give away what blank `a` hides: a reply with the same code to
/// the same command (the relay's `354` after the client's), or the same command.
fn says_the_same(a: &TraceEvent, b: &TraceEvent) -> bool {
    match (&a.kind, &b.kind) {
        (EventKind::Reply { to_verb: x, .. }, EventKind::Reply { to_verb: y, .. }) => {
            x == y && a.kind.label() == b.kind.label()
        }
        (EventKind::Command { verb: x }, EventKind::Command { verb: y }) => x == y,
        _ => false,
    }
}

/// The box event `index` shows on a worksheet, as a position in `blanks` (numbered from 1
/// on the sheet): its own when it is a blank, else that of the blank it would give away
/// ([`says_the_same`]): the same answer elsewhere in the conversation has the same number,
/// and the key one line.
pub fn box_of(trace: &Trace, blanks: &[usize], index: usize) -> Option<usize> {
    if let Some(k) = blanks.iter().position(|&b| b == index) {
        return Some(k);
    }
    let ev = trace.events.get(index)?;
    blanks.iter().position(|&b| trace.events.get(b).is_some_and(|a| says_the_same(a, ev)))
}

/// How many events a worksheet's conversation draws: up to where the player asks the
/// lesson's earliest question whose answer the steps after it would draw
/// ([`crate::question::asked_at`]: before its event and the notes its sender wrote just
/// before, such as "SPF fail: …"): an `outcome` question ("delivered or bounced?": the
/// bounce's arrows, or the delivery), a `reply` question answered by a refusal
/// ([`refuses`]: the bounce written, the session given up and tried again, would tell a
/// 550 or a 451 from a 250) or by what its server did just before the reply (DKIM's verdict
/// and the delivery before its `250`, which the player asks before), or a `speaker`
/// question that its own line answers ([`told_by_their_line`]); without one, all of them.
pub fn worksheet_end(lesson: &Lesson, run: &LessonRun) -> usize {
    let outcomes = asked(lesson, run, QuestionKind::Outcome).into_iter();
    // Drawn, what comes after a refusal, or its server's steps just before a reply (asked
    // before them), would answer the box.
    let told_after = asked(lesson, run, QuestionKind::Reply)
        .into_iter()
        .filter(|&a| run.trace.events.get(a).is_some_and(refuses) || crate::question::asked_at(run, a) < a);
    outcomes
        .chain(told_after)
        .chain(told_by_their_line(lesson, run))
        .map(|a| crate::question::asked_at(run, a))
        .min()
        .unwrap_or(run.trace.events.len())
}

/// The events of `speaker` questions that their line on the diagram answers even without
/// its arrowhead: fewer than two of the choices are at its ends ("who asks DNS?" of three
/// hosts: the line to the resolver, and the queries after it, show which; of the line's two
/// ends, or of those and a third host, the question stands).
fn told_by_their_line<'a>(lesson: &'a Lesson, run: &'a LessonRun) -> impl Iterator<Item = usize> + 'a {
    lesson.steps.iter().zip(&run.anchors).filter_map(|(step, &at)| {
        let (q, e) = (step.question.as_ref()?, run.trace.events.get(at?)?);
        let at_an_end =
            |c: &&String| crate::question::hosts_named(&run.trace, c).any(|h| h == e.from || h == e.to);
        (q.kind == QuestionKind::Speaker && q.choices.iter().filter(at_an_end).count() < 2).then_some(e.index)
    })
}

/// A reply that refuses: an SMTP code from 400 up (RFC 5321 §4.2.1: 4yz failed for now,
/// 5yz failed for good), POP3's `-ERR` (RFC 1939 §3), IMAP's tagged `NO` or `BAD`
/// (RFC 9051 §7.1).
pub(crate) fn refuses(e: &TraceEvent) -> bool {
    match &e.kind {
        EventKind::Reply { status: Status::Smtp { code, .. }, .. } => *code >= 400,
        EventKind::Reply { status: Status::Pop3 { ok, .. }, .. } => !ok,
        EventKind::Reply { status: Status::Imap(ImapResponse::Tagged { condition, .. }), .. } => {
            matches!(condition, ImapCondition::No | ImapCondition::Bad)
        }
        _ => false,
    }
}

/// The events of the lesson's `speaker` questions ("who speaks first?") that a worksheet
/// draws (before its [`worksheet_end`]), in order.
fn asked_speakers(lesson: &Lesson, run: &LessonRun) -> Vec<usize> {
    let end = worksheet_end(lesson, run);
    let mut out = asked(lesson, run, QuestionKind::Speaker);
    out.retain(|&u| u < end);
    out
}

/// The events a worksheet draws without their arrowhead, which would say who sends them:
/// those of the lesson's `speaker` questions, and the ones that would give them away (the
/// relay's greeting after the client's: [`says_the_same`]), in order.
pub fn unsaid_senders(lesson: &Lesson, run: &LessonRun) -> Vec<usize> {
    let asked = asked_speakers(lesson, run);
    let events = &run.trace.events[..worksheet_end(lesson, run)];
    let echo = |e: &TraceEvent| asked.iter().any(|&s| s == e.index || says_the_same(&events[s], e));
    events.iter().filter(|e| echo(e)).map(|e| e.index).collect()
}

/// The events of the lesson's questions of one kind, in order.
fn asked(lesson: &Lesson, run: &LessonRun, kind: QuestionKind) -> Vec<usize> {
    lesson
        .steps
        .iter()
        .zip(&run.anchors)
        .filter(|(s, _)| s.question.as_ref().is_some_and(|q| q.kind == kind))
        .filter_map(|(_, a)| *a)
        .collect()
}

/// What a blank's answer is: the reply's first line (`550 5.1.1 <bobby@example.net>: ...`).
pub fn blank_answer(trace: &Trace, index: usize) -> String {
    trace.events.get(index).map(label).unwrap_or_default()
}

/// `&`, `<`, `>`, `"` and `'` as XML entities: for text and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Not allowed in XML 1.0 at all: shown as the replacement character.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

// Geometry of the sequence diagram, in SVG units (whole numbers: no float formatting).
const LANE: usize = 270;
const SIDE: usize = 130;
const HEAD: usize = 92;
const ROW: usize = 30;
/// Width of a character of the 12-unit monospace labels, in tenths (0.6 of the size).
const CHAR_TENTHS: usize = 73;

/// How many characters of a label fit in `room` units.
fn fit(room: usize) -> usize {
    room * 10 / CHAR_TENTHS
}

/// The sequence diagram as a standalone SVG file: a lane per host, an arrow per event with
/// what it says, numbered on the left. The events in `blanks` show an empty numbered box
/// instead of their text (a worksheet; [`blank_answer`] gives the key; an event that would
/// give one away shows its number too, [`box_of`]), and those in `unsaid` a line without
/// its arrowhead; only the first `until` events are drawn (a worksheet's
/// [`worksheet_end`]).
pub fn sequence_svg(trace: &Trace, title: &str, blanks: &[usize], unsaid: &[usize], until: usize) -> String {
    let mut rows = sequence(trace);
    rows.truncate(until);
    let n = trace.hosts.len().max(1);
    let width = 2 * SIDE + (n - 1) * LANE;
    let height = HEAD + rows.len() * ROW + 30;
    let x = |h: HostId| SIDE + h * LANE;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        xml_escape(&format!("Sequence diagram: {title}"))
    );
    let _ = writeln!(s, "<title>{}</title>", xml_escape(&format!("Sequence diagram: {title}")));
    s.push_str(
        "<style>text{font-family:ui-monospace,Consolas,\"DejaVu Sans Mono\",monospace;font-size:12px;fill:#18202b;stroke:none}\
         .host{font-family:system-ui,\"DejaVu Sans\",sans-serif;font-size:14px;font-weight:bold}\
         .name{font-size:11px;fill:#4a5565}.num{fill:#4a5565;font-size:11px}\
         .lane{stroke:#b3bcc9;stroke-width:1.5;stroke-dasharray:6 5}\
         .arrow{stroke-width:1.5}.command{stroke:#1d4ed8;fill:#1d4ed8}.reply{stroke:#15803d;fill:#15803d}\
         .dns{stroke:#7e22ce;fill:#7e22ce}.data{stroke:#b45309;fill:#b45309}\
         .connection,.note,.mail{stroke:#475569;fill:#475569}\
         .blank{fill:#fff;stroke:#18202b;stroke-width:1.5}.local{fill:#f1f4f8;stroke:#b3bcc9}</style>\n",
    );
    let _ = writeln!(s, "<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>");
    for (h, info) in trace.hosts.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text class=\"host\" x=\"{}\" y=\"28\" text-anchor=\"middle\">{}</text>\
             <text class=\"name\" x=\"{}\" y=\"46\" text-anchor=\"middle\">{}</text>\
             <line class=\"lane\" x1=\"{}\" y1=\"60\" x2=\"{}\" y2=\"{}\"/>",
            x(h),
            xml_escape(&cut(&info.label, LANE / 10)),
            x(h),
            xml_escape(&cut(&info.name, fit(LANE))),
            x(h),
            x(h),
            height - 16
        );
    }
    for (r, row) in rows.iter().enumerate() {
        let y = HEAD + r * ROW;
        // Grey where who sends it is the question: a reply's colour would answer it.
        let class = if unsaid.contains(&row.index) { "note" } else { row.family.css_class() };
        let _ =
            write!(s, "<g class=\"{class}\"><text class=\"num\" x=\"8\" y=\"{}\">{}</text>", y + 4, r + 1);
        let blank = box_of(trace, blanks, row.index);
        let (a, b) = (x(row.from), x(row.to));
        if row.from == row.to {
            // Inside one host: a box on its lane, the words beside it (to its left when
            // they fit better there).
            let (right, left) = (fit(width - a - 14), fit(a.saturating_sub(40)));
            let (tx, anchor, room) = if right >= row.label.chars().count() || right >= left {
                (a + 12, "start", right)
            } else {
                (a - 12, "end", left)
            };
            let _ = write!(
                s,
                "<rect class=\"local\" x=\"{}\" y=\"{}\" width=\"12\" height=\"16\" rx=\"3\"/>\
                 <text x=\"{tx}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                a - 6,
                y - 10,
                y + 3,
                xml_escape(&cut(&row.label, room))
            );
        } else {
            let (left, right) = (a.min(b), a.max(b));
            let _ = write!(s, "<line class=\"arrow\" x1=\"{a}\" y1=\"{y}\" x2=\"{b}\" y2=\"{y}\"/>");
            // The arrowhead at the receiver, unless which end sends is the question.
            if !unsaid.contains(&row.index) {
                let head = if b > a {
                    format!("{b},{y} {},{} {},{}", b - 9, y - 5, b - 9, y + 5)
                } else {
                    format!("{b},{y} {},{} {},{}", b + 9, y - 5, b + 9, y + 5)
                };
                let _ = write!(s, "<polygon points=\"{head}\" stroke=\"none\"/>");
            }
            let mid = (left + right) / 2;
            match blank {
                Some(k) => {
                    let _ = write!(
                        s,
                        "<rect class=\"blank\" x=\"{}\" y=\"{}\" width=\"150\" height=\"20\" rx=\"3\"/>\
                         <text class=\"num\" x=\"{}\" y=\"{}\">({})</text>",
                        mid - 75,
                        y - 24,
                        mid - 72,
                        y - 9,
                        k + 1
                    );
                }
                None => {
                    let room = fit((right - left).saturating_sub(12));
                    let _ = write!(
                        s,
                        "<text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" stroke=\"none\">{}</text>",
                        y - 5,
                        xml_escape(&cut(&row.label, room.max(8)))
                    );
                }
            }
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    s
}

// ----- the quiz bank: GIFT and Moodle XML ---------------------------------------------------

/// One question of a lesson, ready for a quiz bank: where it is asked, and the engine's
/// answer.
pub struct QuizItem<'a> {
    /// The step's number in the lesson, from 1, and its title.
    pub part: usize,
    pub title: &'a str,
    pub question: &'a Question,
    pub answer: &'a Answer,
    /// What really happens at that moment, in words (the reply's first line, who sent it).
    pub happens: String,
}

/// The lesson's questions with their right answers, in order.
pub fn quiz_items<'a>(lesson: &'a Lesson, run: &'a LessonRun) -> Vec<QuizItem<'a>> {
    lesson
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, step)| {
            let question = step.question.as_ref()?;
            let answer = run.answers.get(i)?.as_ref()?;
            let ev = run.anchors.get(i).copied().flatten().and_then(|e| run.trace.events.get(e));
            let happens = match (question.kind, ev) {
                (QuestionKind::Speaker, Some(ev)) => format!("{} sends: {}", answer.text, label(ev)),
                (QuestionKind::Outcome, _) => format!("The message is {}.", answer.text),
                (_, Some(ev)) => label(ev),
                (_, None) => answer.text.clone(),
            };
            Some(QuizItem { part: i + 1, title: &step.title, question, answer, happens })
        })
        .collect()
}

/// The category the questions go into: `$course$/top/Mailroom/<title>` (a `/` in the title
/// doubled, as Moodle reads category paths).
fn category(lesson: &Lesson) -> String {
    format!("$course$/top/Mailroom/{}", lesson.title.replace('/', "//"))
}

/// A question's name in the bank: the lesson and the part it is asked in.
fn question_name(lesson: &Lesson, item: &QuizItem) -> String {
    format!("{} · part {}: {}", lesson.title, item.part, item.title)
}

/// A question with fewer than two choices is asked as short answer (Moodle's multiple
/// choice needs two).
fn is_multichoice(q: &Question) -> bool {
    q.choices.len() >= 2
}

/// Text for GIFT: `\`, `~`, `=`, `#`, `{`, `}` and `:` escaped with a backslash, a line
/// break as `\n` (GIFT format, "Special characters").
pub fn gift_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '~' | '=' | '#' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The lesson's questions in Moodle's GIFT format: a category named after the lesson, then
/// each question as plain text (`[plain]`: an address in angle brackets stays text) with
/// its choices, the right one marked `=` (the engine's answer), or as short answer when it
/// has no choices (`{=550}`), and what really happens as general feedback (`####`).
pub fn gift(lesson: &Lesson, run: &LessonRun) -> String {
    let items = quiz_items(lesson, run);
    let mut s = format!(
        "// Mailroom: “{}” ({}), {} question{}.\n\
         // The right answers come from the simulation, not from the lesson's text.\n\n\
         $CATEGORY: {}\n",
        lesson.title.replace('\n', " "),
        lesson.id,
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        category(lesson)
    );
    for item in &items {
        let q = item.question;
        let _ = write!(
            s,
            "\n::{}::[plain]{}{{\n",
            gift_escape(&question_name(lesson, item)),
            gift_escape(&q.prompt)
        );
        if is_multichoice(q) {
            for (i, choice) in q.choices.iter().enumerate() {
                let mark = if item.answer.choice == Some(i) { '=' } else { '~' };
                let _ = writeln!(s, "\t{mark}{}", gift_escape(choice));
            }
        } else {
            let _ = writeln!(s, "\t={}", gift_escape(&item.answer.text));
        }
        let _ = writeln!(s, "\t####{}\n}}", gift_escape(&format!("In the simulation: {}", item.happens)));
    }
    s
}

/// `<tag format="plain_text"><text>…</text></tag>`.
fn xml_text(tag: &str, text: &str) -> String {
    format!("<{tag} format=\"plain_text\"><text>{}</text></{tag}>", xml_escape(text))
}

/// The lesson's questions as Moodle XML (`<quiz>`): a category question named after the
/// lesson, then each question as `multichoice` (one answer `fraction="100"`, the engine's,
/// the others `fraction="0"`) or, without choices, `shortanswer` (the code, any case).
/// Texts are `plain_text`, escaped for XML.
pub fn moodle_xml(lesson: &Lesson, run: &LessonRun) -> String {
    let items = quiz_items(lesson, run);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // A comment may not hold `--` (XML 1.0 §2.5).
    let mut comment =
        format!("Mailroom: {} ({}). The right answers come from the simulation.", lesson.title, lesson.id);
    while comment.contains("--") {
        comment = comment.replace("--", "- -");
    }
    let _ = writeln!(s, "<!-- {comment} -->");
    s.push_str("<quiz>\n");
    let _ = writeln!(
        s,
        "  <question type=\"category\">\n    <category><text>{}</text></category>\n  </question>",
        xml_escape(&category(lesson))
    );
    for item in &items {
        let q = item.question;
        let kind = if is_multichoice(q) { "multichoice" } else { "shortanswer" };
        let _ = writeln!(s, "  <question type=\"{kind}\">");
        let _ = writeln!(s, "    <name><text>{}</text></name>", xml_escape(&question_name(lesson, item)));
        let _ = writeln!(s, "    {}", xml_text("questiontext", &q.prompt));
        let _ = writeln!(
            s,
            "    {}",
            xml_text("generalfeedback", &format!("In the simulation: {}", item.happens))
        );
        s.push_str(
            "    <defaultgrade>1</defaultgrade>\n    <penalty>0.3333333</penalty>\n    <hidden>0</hidden>\n",
        );
        if is_multichoice(q) {
            s.push_str(
                "    <single>true</single>\n    <shuffleanswers>false</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n",
            );
            for (i, choice) in q.choices.iter().enumerate() {
                let fraction = if item.answer.choice == Some(i) { 100 } else { 0 };
                let _ = writeln!(
                    s,
                    "    <answer fraction=\"{fraction}\" format=\"plain_text\"><text>{}</text></answer>",
                    xml_escape(choice)
                );
            }
        } else {
            s.push_str("    <usecase>0</usecase>\n");
            let _ = writeln!(
                s,
                "    <answer fraction=\"100\" format=\"plain_text\"><text>{}</text></answer>",
                xml_escape(&item.answer.text)
            );
        }
        s.push_str("  </question>\n");
    }
    s.push_str("</quiz>\n");
    s
}

#[cfg(test)]
mod tests;
