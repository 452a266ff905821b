//! How trace events read on screen: pure functions from the trace to text, used by the
//! components and tested natively. No protocol logic lives here: the core says what
//! happened, this module only words it.

/// The IMAP panel (full build only).
#[cfg(feature = "imap")]
pub mod imap;
/// The mail program panel (POP3; full build only).
#[cfg(feature = "pop3")]
pub mod pop3;

use mailroom_core::lesson::Lesson;
use mailroom_core::time::SimTime;
use mailroom_core::tls::Seen;
use mailroom_core::trace::{
    ConnId, EventKind, HostId, HostRole, HostSnapshot, Protocol, Status, Trace, TraceEvent,
};

/// Who is speaking in a transcript row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speaker {
    Client,
    Server,
    Query,
    Answer,
    /// Something that happens inside one host.
    Local,
}

impl Speaker {
    /// In the order of the transcript's legend.
    pub const ALL: [Speaker; 5] =
        [Speaker::Client, Speaker::Server, Speaker::Query, Speaker::Answer, Speaker::Local];

    /// The transcript prefix, as in RFC examples (`C:` / `S:`).
    pub fn prefix(self) -> &'static str {
        match self {
            Speaker::Client => "C:",
            Speaker::Server => "S:",
            Speaker::Query => "Q:",
            Speaker::Answer => "A:",
            Speaker::Local => "··",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Speaker::Client => "client",
            Speaker::Server => "server",
            Speaker::Query => "DNS question",
            Speaker::Answer => "DNS answer",
            Speaker::Local => "inside one host",
        }
    }
}

pub fn speaker(trace: &Trace, ev: &TraceEvent) -> Speaker {
    match ev.kind {
        EventKind::DnsQuery { .. } => Speaker::Query,
        EventKind::DnsAnswer { .. } => Speaker::Answer,
        _ if !ev.travels() => Speaker::Local,
        _ => match ev.conn.and_then(|c| trace.conn(c)) {
            Some(conn) if conn.server == ev.from => Speaker::Server,
            Some(_) => Speaker::Client,
            None if ev.protocol == Protocol::Dns => Speaker::Query,
            None => Speaker::Client,
        },
    }
}

/// How a line ended on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnd {
    CrLf,
    /// A bare LF: not a valid SMTP line end (and a smuggling risk).
    Lf,
    /// A bare CR.
    Cr,
    None,
}

impl LineEnd {
    /// The control characters, by their short names: `["CR", "LF"]`.
    pub fn parts(self) -> &'static [&'static str] {
        match self {
            LineEnd::CrLf => &["CR", "LF"],
            LineEnd::Lf => &["LF"],
            LineEnd::Cr => &["CR"],
            LineEnd::None => &[],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            LineEnd::CrLf => "carriage return, line feed",
            LineEnd::Lf => "bare line feed",
            LineEnd::Cr => "bare carriage return",
            LineEnd::None => "",
        }
    }
}

/// Splits bytes into lines, keeping how each ended. A final line without an end is kept
/// only when it is not empty.
pub fn wire_lines(bytes: &[u8]) -> Vec<(String, LineEnd)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                out.push((String::from_utf8_lossy(&bytes[start..i]).into_owned(), LineEnd::CrLf));
                i += 2;
                start = i;
            }
            b'\r' | b'\n' => {
                let end = if bytes[i] == b'\r' { LineEnd::Cr } else { LineEnd::Lf };
                out.push((String::from_utf8_lossy(&bytes[start..i]).into_owned(), end));
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        out.push((String::from_utf8_lossy(&bytes[start..]).into_owned(), LineEnd::None));
    }
    out
}

/// What a transcript row shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wire {
    /// Lines exactly as sent (commands, replies, DNS).
    Lines(Vec<(String, LineEnd)>),
    /// The message content after 354: shown collapsed.
    Message(Vec<(String, LineEnd)>),
    /// Something that is not bytes on the wire, in words.
    Action(String),
    /// A narrator's note.
    Note(String),
}

pub fn wire(ev: &TraceEvent) -> Wire {
    let lines = || wire_lines(&ev.bytes);
    match &ev.kind {
        // A POP3 message (RETR, TOP) is shown collapsed like the message after DATA: it is
        // dot-stuffed the same way (RFC 1939 §3).
        EventKind::Reply { status: Status::Pop3 { ok: true, .. }, to_verb: Some(v), .. }
            if (v == "RETR" || v == "TOP") && !ev.bytes.is_empty() =>
        {
            Wire::Message(lines())
        }
        EventKind::Command { .. } | EventKind::Reply { .. } if !ev.bytes.is_empty() => Wire::Lines(lines()),
        EventKind::Command { verb } => Wire::Lines(vec![(verb.clone(), LineEnd::None)]),
        EventKind::Reply { status, .. } => Wire::Lines(vec![(status.label(), LineEnd::None)]),
        EventKind::MessageData => Wire::Message(lines()),
        EventKind::AuthData => Wire::Lines(lines()),
        EventKind::Tls { flight, size } => Wire::Action(format!(
            "TLS handshake: {} ({size} bytes; simulated, no real cryptography)",
            flight.label()
        )),
        EventKind::DnsQuery { name, qtype, .. } if ev.bytes.is_empty() => {
            Wire::Lines(vec![(format!("{name} IN {qtype}"), LineEnd::None)])
        }
        EventKind::DnsAnswer { records, .. } if ev.bytes.is_empty() => {
            if records.is_empty() {
                Wire::Action("no such record".into())
            } else {
                Wire::Lines(records.iter().map(|r| (r.clone(), LineEnd::None)).collect())
            }
        }
        EventKind::DnsQuery { .. } | EventKind::DnsAnswer { .. } => Wire::Lines(lines()),
        EventKind::Connect { port } => Wire::Action(format!("opens a TCP connection to port {port}")),
        EventKind::Close => Wire::Action("closes the connection".into()),
        EventKind::Refused { port } => {
            Wire::Action(format!("refuses the connection: nothing listens on port {port} (TCP reset)"))
        }
        EventKind::Delivery { mailbox } => {
            Wire::Action(format!("files the message in the mailbox of {mailbox}"))
        }
        EventKind::Queued { recipients } if recipients.is_empty() => {
            Wire::Action("queues the message".into())
        }
        EventKind::Queued { recipients } => {
            Wire::Action(format!("queues the message for {}", recipients.join(", ")))
        }
        EventKind::Bounce { sender } => Wire::Action(format!("writes a bounce back to {sender}")),
        EventKind::Delayed { sender } => {
            Wire::Action(format!("warns {sender} that the message is delayed (still trying)"))
        }
        EventKind::Note => Wire::Note(ev.text().trim().to_string()),
    }
}

/// A line of a message as sent after `DATA` whose first dot was added by the client
/// (dot-stuffing): the engine's rule, [`mailroom_core::smtp::data::is_stuffed_line`].
pub fn is_dot_stuffed(line: &str) -> bool {
    mailroom_core::smtp::data::is_stuffed_line(line.as_bytes())
}

/// What a collapsed message shows: the first `head` lines, then the lines a student is
/// asked to look at (dot-stuffed lines and the final dot), with gaps between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewLine {
    Line(usize),
    /// This many lines left out.
    Gap(usize),
}

pub fn message_preview(lines: &[(String, LineEnd)], head: usize) -> Vec<PreviewLine> {
    let mut out = Vec::new();
    let mut hidden = 0;
    for (i, (text, _)) in lines.iter().enumerate() {
        if i < head || text.starts_with('.') {
            if hidden > 0 {
                out.push(PreviewLine::Gap(hidden));
                hidden = 0;
            }
            out.push(PreviewLine::Line(i));
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        out.push(PreviewLine::Gap(hidden));
    }
    out
}

/// A server's queue in words: "1 waiting to be relayed", and when its next attempt is
/// due, on the transcript's clock: "· next try 5:00.000".
pub fn queue_text(snap: &HostSnapshot) -> String {
    let waiting = format!("{} waiting to be relayed", snap.queued);
    match snap.queue.iter().filter_map(|q| q.next).min() {
        Some(next) if snap.queue.iter().all(|q| q.next.is_some()) => {
            format!("{waiting} · next try {}", row_time(next))
        }
        _ => waiting,
    }
}

/// Where the narration of a part sits among the steps: "steps 0–10", "step 14".
pub fn steps_text(range: (usize, usize)) -> String {
    match range {
        (a, b) if a == b => format!("step {a}"),
        (a, b) => format!("steps {a}–{b}"),
    }
}

/// Said once the email is sent more than once (`?messages=N`): the parts are written
/// for one message and follow the first.
pub fn messages_note(messages: usize) -> Option<String> {
    (messages > 1)
        .then(|| format!("The email is sent {messages} times here; the parts follow the first one."))
}

/// What the live region reads when a new part starts: its number, title and text.
pub fn part_announcement(part: usize, count: usize, title: &str, text: &str) -> String {
    // "Where is Alice's server?" is a sentence already: no full stop after it.
    let stop = if title.ends_with(['?', '!', '.', ':']) { "" } else { "." };
    format!("Part {} of {count}: {title}{stop} {text}", part + 1)
}

/// The first DNS label: `smtp.example.org` → `smtp`.
pub fn short_name(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// What an eavesdropper on the wire sees of the event at `index`, when that differs from
/// what the two ends see: a handshake flight's readable parts, or encrypted records as
/// their sizes and first octets. `None` for what travels in the clear.
pub fn wire_view(trace: &Trace, index: usize) -> Option<String> {
    /// Octets of each record shown in hex.
    const SHOWN: usize = 24;
    match mailroom_core::tls::seen(trace, index) {
        Seen::Clear => None,
        Seen::Handshake { size, readable, .. } => {
            Some(format!("on the wire: {size} bytes of TLS handshake; {readable}"))
        }
        Seen::Encrypted { records, plaintext } => {
            let wire: usize = records.iter().map(Vec::len).sum();
            let first = records.first()?;
            let hex: Vec<String> = first.iter().take(SHOWN).map(|b| format!("{b:02x}")).collect();
            let more = if first.len() > SHOWN { " …" } else { "" };
            let count = if records.len() == 1 {
                "1 TLS record".to_string()
            } else {
                format!("{} TLS records", records.len())
            };
            Some(format!(
                "all an eavesdropper captures of it: {count}, {wire} bytes for {plaintext} bytes of encrypted text: {}{more}",
                hex.join(" ")
            ))
        }
    }
}

/// The connections that are encrypted at `cursor`, as host pairs (for the diagram).
pub fn encrypted_links(trace: &Trace, cursor: usize) -> Vec<(HostId, HostId)> {
    open_conns(trace, cursor)
        .into_iter()
        .filter_map(|c| trace.conn(c))
        .filter(|c| c.tls_from.is_some_and(|f| f < cursor))
        .map(|c| (c.client.min(c.server), c.client.max(c.server)))
        .collect()
}

/// True when some connection of the trace switches to TLS.
pub fn has_tls(trace: &Trace) -> bool {
    trace.conns.iter().any(|c| c.tls_from.is_some())
}

/// Between the two hosts of a transcript row's "who to whom" (`laptop → smtp`).
pub const ROUTE_ARROW: &str = " → ";

/// The width of the transcript's "who to whom" column, in tenths of the transcript's `ch`:
/// its longest route (`bob-laptop → mx`, in type 0.92 times as large), at least the 12.5
/// `ch` the others need, at most 20 (a longer one is cut, its whole in the row's title).
pub fn route_width(trace: &Trace) -> usize {
    let names: Vec<usize> = trace.hosts.iter().map(|h| short_name(&h.name).chars().count()).collect();
    let len = |id: usize| names.get(id).copied().unwrap_or(1);
    let arrow = ROUTE_ARROW.chars().count();
    let longest = trace
        .events
        .iter()
        .map(|e| if e.travels() { len(e.from) + arrow + len(e.to) } else { len(e.from) })
        .max()
        .unwrap_or(0);
    (longest * 92 / 10 + 1).clamp(125, 200)
}

/// When an event arrived, as the transcript shows it: seconds with milliseconds within the
/// first minute (what a student can relate to), minutes and seconds with milliseconds
/// within the first hour (a mail program that checks a minute later: its steps are
/// milliseconds apart, and `0:01:00` on every row looked like a stopped clock), then
/// `h:mm:ss`, then days.
pub fn row_time(t: SimTime) -> String {
    let ms = t.as_millis();
    let secs = ms / 1000;
    match secs {
        0..60 => t.to_string(),
        60..3600 => format!("{}:{:02}.{:03}", secs / 60, secs % 60, ms % 1000),
        3600..86_400 => format!("{}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60),
        _ => format!("{}d {:02}:{:02}", secs / 86_400, (secs / 3600) % 24, (secs / 60) % 60),
    }
}

/// A stretch of time in words, to the two largest units: `5 minutes`, `1 hour 30
/// minutes`, `4 days 2 hours`.
pub fn duration_words(secs: u64) -> String {
    let units = [(86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")];
    let mut parts = Vec::new();
    let mut left = secs;
    for (size, name) in units {
        let n = left / size;
        if n > 0 && parts.len() < 2 {
            parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
            left -= n * size;
        } else if !parts.is_empty() {
            // Only adjacent units: "1 day 5 minutes" would read oddly.
            break;
        }
    }
    if parts.is_empty() { "no time".to_string() } else { parts.join(" ") }
}

/// Waiting time before the event at `index` (a retry queue, a timeout, a scripted send
/// later on), when it is long enough to say: "5 minutes later". The player steps over it
/// in one press; this says how much time passed. From two minutes on, to the minute
/// ("about 5 minutes later" for 4 minutes 58 seconds: the clock beside it says 5:00.000),
/// from a day on to the hour.
pub fn time_gap(trace: &Trace, index: usize) -> Option<String> {
    /// Shorter pauses are just the network and the machines at work.
    const MIN_GAP_SECS: u64 = 60;
    let ev = trace.events.get(index)?;
    let prev = trace.events.get(index.checked_sub(1)?)?;
    let secs = ev.at.as_millis().saturating_sub(prev.at.as_millis()) / 1000;
    // To the second under two minutes, to the minute under a day, to the hour from a day
    // on: what the words say (two adjacent units) is then the gap, rounded.
    let unit = match secs {
        86_400.. => 3_600,
        120.. => 60,
        _ => 1,
    };
    let round = (secs + unit / 2) / unit * unit;
    let about = if round == secs { "" } else { "about " };
    (secs >= MIN_GAP_SECS).then(|| format!("{about}{} later", duration_words(round)))
}

/// One sentence about the event at `index`, for the screen reader's live region.
pub fn summary(trace: &Trace, index: usize) -> String {
    let Some(ev) = trace.events.get(index) else { return String::new() };
    let label = |id: HostId| trace.hosts.get(id).map(|h| h.label.as_str()).unwrap_or("?");
    let what = match wire(ev) {
        Wire::Lines(lines) => {
            let first = lines.first().map(|(l, _)| l.as_str()).unwrap_or("");
            if lines.len() > 1 {
                format!("{first} (and {} more lines)", lines.len() - 1)
            } else {
                first.to_string()
            }
        }
        Wire::Message(lines) if matches!(ev.kind, EventKind::Reply { .. }) => {
            let first = lines.first().map(|(l, _)| l.as_str()).unwrap_or("");
            format!("{first}, then the message, {} lines", lines.len().saturating_sub(1))
        }
        // A line typed in the sandbox after 354 is one line of the message: read it (the
        // first load's lessons send whole messages).
        #[cfg(feature = "imap")]
        Wire::Message(lines) if lines.len() == 1 => match lines[0].0.as_str() {
            "." => "the message's end: a line holding only a dot".to_string(),
            "" => "an empty line of the message".to_string(),
            line => format!("a line of the message: {line}"),
        },
        Wire::Message(lines) => format!("the message itself, {} lines", lines.len()),
        Wire::Action(a) => a,
        Wire::Note(n) => n,
    };
    let said = if ev.travels() {
        format!("{} to {}: {what}", label(ev.from), label(ev.to))
    } else {
        format!("{}: {what}", label(ev.from))
    };
    match time_gap(trace, index) {
        Some(gap) => format!("{gap}. {said}"),
        None => said,
    }
}

/// What a host is doing, in plain words: the state of its newest server session and of
/// its newest client session (a mail program sending, a server relaying), as the engine
/// describes them, never ahead of the transcript. A host with no session is idle.
pub fn host_states(role: HostRole, snap: &HostSnapshot) -> (String, String) {
    if let Some(until) = snap.down_until {
        // A week on, the weekday alone would read as this week's: the date too.
        let when = match until.as_millis() >= 7 * 86_400_000 {
            true => {
                use mailroom_core::time::{date_parts, month_name, weekday};
                let (_, month, day, h, m, s) = date_parts(until);
                format!("{} {day} {} {h:02}:{m:02}:{s:02}", weekday(until), month_name(month))
            }
            false => clock(until),
        };
        return (format!("down until {when}"), String::new());
    }
    let server = snap.server().map(|s| s.describe());
    let client = snap.client().map(|s| s.describe());
    match (role, server, client) {
        (HostRole::Dns, _, _) => (String::new(), String::new()),
        (HostRole::Client, _, Some(c)) => (c, String::new()),
        (HostRole::Client, _, None) => ("idle".into(), String::new()),
        // Relaying as a client, it is not idle: only no client is connected to it.
        (HostRole::MailServer, s, c) => {
            let none = if c.is_some() { "no client connected" } else { "idle: no client connected" };
            (s.unwrap_or_else(|| none.into()), c.unwrap_or_default())
        }
    }
}

/// The World's clock as a person reads it: `Mon 09:02:31` (it starts on Monday 30
/// November 2026 at 09:00 UTC).
pub fn clock(t: mailroom_core::time::SimTime) -> String {
    let (_, _, _, h, m, s) = mailroom_core::time::date_parts(t);
    format!("{} {h:02}:{m:02}:{s:02}", mailroom_core::time::weekday(t))
}

/// The host snapshots at `cursor` (after event `cursor - 1`, or the initial states at 0).
pub fn snapshots(trace: &Trace, cursor: usize) -> Option<&[HostSnapshot]> {
    let snaps = trace.snapshot_at(cursor);
    (!snaps.is_empty()).then_some(snaps)
}

/// Every mailbox in the trace, with the host that holds it, in order of appearance.
pub fn mailboxes(trace: &Trace) -> Vec<(HostId, String)> {
    let mut out: Vec<(HostId, String)> = Vec::new();
    let mut add = |host: HostId, addr: &str| {
        if !out.iter().any(|(_, a)| a.eq_ignore_ascii_case(addr)) {
            out.push((host, addr.to_string()));
        }
    };
    // Every mailbox there is at the end, or at the start when nothing has happened yet.
    let last = trace.events.last().map_or(&trace.initial, |e| &e.hosts);
    for (host, snap) in last.iter().enumerate() {
        for (addr, _) in &snap.mailboxes {
            add(host, addr);
        }
    }
    for ev in &trace.events {
        if let EventKind::Delivery { mailbox } = &ev.kind {
            add(ev.to, mailbox);
        }
    }
    out
}

/// How many messages `addr`'s junk folder holds on the host of `snap`: a DMARC
/// quarantine, or an IMAP client, files mail there. Neither is in the lite build, where
/// this is 0 and the counts that add it compile to the inbox's. (The snapshot has the
/// count with the engine's `trust` or `imap`; this app's `imap` turns on `trust`.)
pub fn junk_count(_snap: &HostSnapshot, _addr: &str) -> usize {
    #[cfg(feature = "trust")]
    return _snap.junk.iter().find(|(a, _)| a.eq_ignore_ascii_case(_addr)).map_or(0, |(_, j)| *j);
    #[cfg(not(feature = "trust"))]
    0
}

/// How many of the messages mailbox `addr` holds in its inbox and junk folder a mail
/// program put there (IMAP APPEND or COPY, RFC 3501 §6.3.11, §6.4.7) rather than a delivery.
pub fn filed_count(_snap: &HostSnapshot, _addr: &str) -> usize {
    #[cfg(feature = "imap")]
    return _snap.filed.iter().find(|(a, _)| a.eq_ignore_ascii_case(_addr)).map_or(0, |(_, n)| *n);
    #[cfg(not(feature = "imap"))]
    0
}

/// A message as stored in a mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// The delivery event.
    pub index: usize,
    pub from: String,
    pub subject: String,
    pub text: String,
}

/// Every mailbox's deliveries: its address (lower case) and the events that filed a
/// message into it, in order. Made once per trace; what a mailbox holds at a cursor is
/// then a binary search ([`Deliveries::at`]), whatever the length of the trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deliveries(Vec<(String, Vec<usize>)>);

impl Deliveries {
    pub fn of(trace: &Trace) -> Deliveries {
        let mut out: Vec<(String, Vec<usize>)> = Vec::new();
        for e in &trace.events {
            if let EventKind::Delivery { mailbox } = &e.kind {
                let mailbox = mailbox.to_ascii_lowercase();
                match out.iter_mut().find(|(m, _)| *m == mailbox) {
                    Some((_, list)) => list.push(e.index),
                    None => out.push((mailbox, vec![e.index])),
                }
            }
        }
        Deliveries(out)
    }

    /// The delivery events of `mailbox` among the events shown at `cursor`.
    pub fn at(&self, mailbox: &str, cursor: usize) -> &[usize] {
        let list = self.0.iter().find(|(m, _)| m.eq_ignore_ascii_case(mailbox)).map_or(&[][..], |(_, l)| l);
        &list[..list.partition_point(|&i| i < cursor)]
    }
}

/// The message filed by delivery event `index`.
pub fn stored(trace: &Trace, index: usize) -> Option<StoredMessage> {
    let e = trace.events.get(index)?;
    let text = e.text();
    Some(StoredMessage {
        index,
        // A message typed in the sandbox may have none (a server does not add it); the
        // first load's lessons always write one.
        from: header(&text, "From")
            .unwrap_or_else(|| if cfg!(feature = "imap") { "(none)" } else { "" }.into()),
        subject: header(&text, "Subject").unwrap_or_else(|| "(no subject)".into()),
        text,
    })
}

/// The message an event carries, as its receiver reads it: a copy in a mailbox as stored,
/// the message after `354` with the dot-stuffing undone and without the final dot.
pub fn message_bytes(ev: &TraceEvent) -> Vec<u8> {
    match ev.kind {
        // SMTP's dot-stuffing undone (RFC 5321 §4.5.2); an IMAP literal is sent as it is.
        EventKind::MessageData if ev.protocol == mailroom_core::trace::Protocol::Smtp => {
            mailroom_core::smtp::data::unstuff(&ev.bytes)
        }
        _ => ev.bytes.clone(),
    }
}

/// The value of header `name` in a message (first occurrence, folded lines joined),
/// searching only the header section.
pub fn header(message: &str, name: &str) -> Option<String> {
    mailroom_core::mail::header_text(message.as_bytes(), name)
}

/// The address inside `Name <addr>`, or the whole string.
pub fn address_of(mailbox: &str) -> &str {
    mailroom_core::mail::addr_spec(mailbox)
}

/// The first name the lesson gives the owner of `addr` (`Bob` for `Bob Marley
/// <bob@example.net>`), if it names one; with a title, the title and the name after it
/// (`Ms Khan`, not `Ms`: how a class addresses its teacher).
pub fn first_name<'a>(lesson: &'a Lesson, addr: &str) -> Option<&'a str> {
    let e = &lesson.email;
    let people = std::iter::once(&e.from).chain(&e.to).chain(&e.cc).chain(&e.bcc);
    people
        .filter(|person| address_of(person).eq_ignore_ascii_case(addr))
        .find_map(|person| called(&person[..person.find('<')?]))
}

/// What a display name calls its owner: its first word, or a title and the word after it.
fn called(display: &str) -> Option<&str> {
    const TITLES: [&str; 9] = ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"];
    let name = display.trim().trim_matches('"').trim();
    let mut words = name.split_whitespace();
    let first = words.next()?;
    let titled = TITLES.iter().any(|t| first.trim_end_matches('.').eq_ignore_ascii_case(t));
    match words.next() {
        Some(next) if titled => {
            let end = name.len() - name[first.len()..].trim_start().len() + next.len();
            Some(&name[..end])
        }
        _ => Some(first.trim_matches('"')).filter(|f| !f.is_empty()),
    }
}

/// "Bob's mailbox" for `bob@example.net` when the lesson names Bob; else the address.
pub fn mailbox_title(lesson: &Lesson, addr: &str) -> String {
    match first_name(lesson, addr) {
        Some(first) => format!("{first}’s mailbox"),
        None => format!("Mailbox of {addr}"),
    }
}

/// Pairs of hosts that talk to each other anywhere in the trace (each pair once, in order
/// of first appearance): the links of the diagram.
pub fn links(trace: &Trace) -> Vec<(HostId, HostId)> {
    let mut out: Vec<(HostId, HostId)> = Vec::new();
    let pairs = trace
        .conns
        .iter()
        .map(|c| (c.client, c.server))
        .chain(trace.events.iter().filter(|e| e.travels()).map(|e| (e.from, e.to)));
    for (a, b) in pairs {
        let key = (a.min(b), a.max(b));
        if a != b && !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// Connections open after the events shown at `cursor` (connected and not yet closed),
/// read from the snapshot: as cheap on a long trace as on a short one.
pub fn open_conns(trace: &Trace, cursor: usize) -> Vec<ConnId> {
    let mut open: Vec<ConnId> =
        trace.snapshot_at(cursor).iter().flat_map(|h| &h.sessions).map(|s| s.conn).collect();
    mailroom_core::sort::sort_by(&mut open, |a, b| a < b);
    open.dedup();
    open
}

/// A size for the panel: "678 octets" (POP3 counts octets, RFC 1939 §5).
pub fn octets(n: u64) -> String {
    format!("{n} octets")
}

#[cfg(test)]
mod tests {
    use super::*;

    use mailroom_core::trace::{ConnInfo, HostInfo, HostRole};

    fn host(name: &str, role: HostRole) -> HostInfo {
        HostInfo { name: name.into(), label: name.into(), addr: "192.0.2.1".into(), role, position: (0, 0) }
    }

    fn ev(index: usize, from: HostId, to: HostId, kind: EventKind, bytes: &str) -> TraceEvent {
        TraceEvent {
            index,
            sent: SimTime::ZERO,
            at: SimTime::ZERO,
            from,
            to,
            protocol: Protocol::Smtp,
            kind,
            conn: Some(ConnId(0)),
            bytes: bytes.as_bytes().to_vec(),
            hosts: vec![HostSnapshot::default(); 2],
        }
    }

    fn trace() -> Trace {
        let msg = "Return-Path: <alice@example.org>\r\nReceived: from a\r\n by b\r\nFrom: Alice <alice@example.org>\r\nSubject: Lunch\r\n on Friday?\r\n\r\nSubject: not a header\r\n";
        Trace {
            hosts: vec![
                host("laptop.example.org", HostRole::Client),
                host("mx.example.net", HostRole::MailServer),
            ],
            initial: Vec::new(),
            conns: vec![ConnInfo {
                client: 0,
                server: 1,
                port: 25,
                protocol: Protocol::Smtp,
                tls_from: None,
            }],
            events: vec![
                ev(0, 0, 1, EventKind::Connect { port: 25 }, ""),
                ev(
                    1,
                    1,
                    0,
                    EventKind::Reply {
                        status: mailroom_core::trace::Status::Smtp { code: 220, enhanced: None },
                        to_verb: None,
                        answers: Some(0),
                    },
                    "220 hi\r\n",
                ),
                ev(2, 0, 1, EventKind::Command { verb: "QUIT".into() }, "QUIT\r\n"),
                ev(3, 1, 1, EventKind::Delivery { mailbox: "bob@example.net".into() }, msg),
                ev(4, 0, 1, EventKind::Close, ""),
            ],
        }
    }

    #[test]
    fn a_display_name_calls_its_owner_by_first_name_or_by_title_and_name() {
        for (display, want) in [
            ("Bob Marley ", Some("Bob")),
            ("\"Alice Liddell\" ", Some("Alice")),
            ("\"Alice\" Liddell ", Some("Alice")),
            ("Ms Khan ", Some("Ms Khan")),
            ("Dr. Who ", Some("Dr. Who")),
            ("mr  Smith Jones", Some("mr  Smith")),
            ("Ms ", Some("Ms")),
            ("Bob", Some("Bob")),
            ("  ", None),
            ("\"\" ", None),
        ] {
            assert_eq!(called(display), want, "{display:?}");
        }
    }

    #[test]
    fn a_host_that_is_down_says_until_when() {
        let snap = HostSnapshot { down_until: Some(SimTime::from_secs(20 * 60)), ..HostSnapshot::default() };
        for role in [HostRole::MailServer, HostRole::Client, HostRole::Dns] {
            assert_eq!(host_states(role, &snap).0, "down until Mon 09:20:00", "{role:?}");
            // A week on, with the date: not this Monday.
            let week =
                HostSnapshot { down_until: Some(SimTime::from_secs(7 * 86_400)), ..HostSnapshot::default() };
            assert_eq!(host_states(role, &week).0, "down until Mon 7 Dec 09:00:00", "{role:?}");
        }
        assert_eq!(
            host_states(HostRole::MailServer, &HostSnapshot::default()).0,
            "idle: no client connected"
        );
        assert_eq!(clock(SimTime::from_secs(15 * 3600 + 61)), "Tue 00:01:01");
    }

    #[test]
    fn times_and_gaps_read_as_people_say_them() {
        let cases: [(u64, &str); 9] = [
            (1_234, "1.234 s"),
            (59_999, "59.999 s"),
            (65_000, "1:05.000"),
            (60_015, "1:00.015"),
            (1_800_250, "30:00.250"),
            (3_599_999, "59:59.999"),
            (3_600_000, "1:00:00"),
            (3_723_000, "1:02:03"),
            (4 * 86_400_000 + 3_600_000 * 5 + 60_000 * 7 + 9_000, "4d 05:07"),
        ];
        for (ms, want) in cases {
            assert_eq!(row_time(SimTime::from_millis(ms)), want);
        }
        let words = [
            (0, "no time"),
            (1, "1 second"),
            (300, "5 minutes"),
            (302, "5 minutes 2 seconds"),
            (5_400, "1 hour 30 minutes"),
            (3_601, "1 hour"),
            (4 * 86_400 + 7_200, "4 days 2 hours"),
        ];
        for (secs, want) in words {
            assert_eq!(duration_words(secs), want, "{secs}");
        }
        // The gap before an event, from the previous one's arrival; short ones unsaid.
        let mut t = trace();
        t.events[2].at = SimTime::from_secs(59);
        t.events[3].at = SimTime::from_secs(59 + 1_800);
        assert_eq!(time_gap(&t, 0), None);
        assert_eq!(time_gap(&t, 2), None);
        assert_eq!(time_gap(&t, 3).as_deref(), Some("30 minutes later"));
        assert!(summary(&t, 3).starts_with("30 minutes later. "), "{}", summary(&t, 3));
        // Under two minutes, to the second; from two minutes on, to the minute.
        for (gap, want) in [
            (61, "1 minute 1 second later"),
            (119, "1 minute 59 seconds later"),
            (120, "2 minutes later"),
            (298, "about 5 minutes later"),
            (209, "about 3 minutes later"),
            (3_629, "about 1 hour later"),
            (3_690, "about 1 hour 2 minutes later"),
            (86_400 + 20, "about 1 day later"),
            // From a day on, to the hour: 1 day 5 minutes is not "1 day" exactly.
            (86_400 + 300, "about 1 day later"),
            (86_400 + 9_000, "about 1 day 3 hours later"),
            (2 * 86_400 + 23 * 3_600 + 2_400, "about 3 days later"),
            (2 * 86_400 + 3_600, "2 days 1 hour later"),
        ] {
            t.events[3].at = SimTime::from_secs(59 + gap);
            assert_eq!(time_gap(&t, 3).as_deref(), Some(want), "{gap}");
        }
    }

    #[test]
    fn speakers_follow_the_connection_roles() {
        let t = trace();
        let who: Vec<_> = t.events.iter().map(|e| speaker(&t, e).prefix()).collect();
        assert_eq!(who, ["C:", "S:", "C:", "··", "C:"]);
        assert_eq!(speaker(&t, &t.events[1]), Speaker::Server);
    }

    #[test]
    fn line_ends_are_kept() {
        assert_eq!(
            wire_lines(b"250-a\r\n250 b\r\n"),
            [("250-a".to_string(), LineEnd::CrLf), ("250 b".to_string(), LineEnd::CrLf)]
        );
        assert_eq!(
            wire_lines(b"a\nb\rc"),
            [
                ("a".to_string(), LineEnd::Lf),
                ("b".to_string(), LineEnd::Cr),
                ("c".to_string(), LineEnd::None)
            ]
        );
        assert!(wire_lines(b"").is_empty());
    }

    #[test]
    fn the_route_column_is_as_wide_as_the_longest_route() {
        // "laptop → smtp", "smtp → mx": the column's usual 12.5 ch.
        assert_eq!(route_width(&lesson_trace()), 125);
        // A mail program on bob-laptop: "bob-laptop → mx", 15 characters in type 0.92 times
        // the transcript's: 13.9 ch.
        #[cfg(feature = "pop3")]
        {
            let text = mailroom_core::lessons::builtin("retrieving-mail-with-pop3").unwrap().unwrap();
            let run = mailroom_core::world::run_lesson(&text).unwrap();
            assert_eq!(route_width(&run.trace), 139);
        }
        // No trace yet; names too long for any column: the bounds.
        assert_eq!(route_width(&Trace::default()), 125);
        let mut long = lesson_trace();
        long.hosts[0].name = "a-very-long-host-name-indeed.example.org".into();
        assert_eq!(route_width(&long), 200);
    }

    /// "Sending an email" as the engine runs it.
    fn lesson_trace() -> Trace {
        let lesson = mailroom_core::lessons::builtin("sending-an-email").unwrap().unwrap();
        mailroom_core::world::run_send(&lesson.email).unwrap()
    }

    #[test]
    fn host_states_are_plain_words_and_idle_without_a_session() {
        let t = lesson_trace();
        let roles: Vec<HostRole> = t.hosts.iter().map(|h| h.role).collect();
        let at = |cursor: usize| -> Vec<(String, String)> {
            t.snapshot_at(cursor).iter().zip(&roles).map(|(s, r)| host_states(*r, s)).collect()
        };
        let start = at(0);
        assert_eq!(start[0].0, "idle");
        assert_eq!(start[1].0, "idle: no client connected");
        assert_eq!(start[2], (String::new(), String::new()));
        // Alice's provider relaying, with no client of its own: busy, so not "idle".
        let relaying =
            (0..=t.len()).map(at).find(|s| !s[1].1.is_empty() && s[1].0.contains("no client")).unwrap();
        assert_eq!(relaying[1].0, "no client connected", "{relaying:?}");
        let mail =
            t.events.iter().position(|e| e.kind == EventKind::Command { verb: "MAIL".into() }).unwrap();
        let states = at(mail + 1);
        assert_eq!(states[0].0, "waits for the reply to MAIL FROM");
        // Its 250 is on the way: the server replies first, then waits.
        assert_eq!(states[1].0, "replies; then waits for RCPT TO");
        assert_eq!(at(mail + 2)[1].0, "knows the sender: waits for RCPT TO");
        // No RFC state name reaches the page, and every state fits a diagram label.
        for cursor in 0..=t.len() {
            for (a, b) in at(cursor) {
                assert!(!a.contains("Expect") && !b.contains("Expect"), "{a} / {b}");
                assert!(a.len() <= 41 && b.len() <= 41, "{a} / {b}");
            }
        }
    }

    #[test]
    fn headers_unfold_and_stop_at_the_body() {
        let t = trace();
        let text = t.events[3].text();
        assert_eq!(header(&text, "subject").as_deref(), Some("Lunch on Friday?"));
        assert_eq!(header(&text, "Received").as_deref(), Some("from a by b"));
        assert_eq!(header(&text, "To"), None);
    }

    #[test]
    fn messages_appear_only_once_delivered() {
        let t = trace();
        let d = Deliveries::of(&t);
        assert_eq!((d.at("bob@example.net", 3), d.at("BOB@example.net", 5)), (&[][..], &[3][..]));
        assert_eq!(d.at("carol@example.net", 5), &[] as &[usize]);
        assert!(d.at("bob@example.net", 3).is_empty());
        let m: Vec<StoredMessage> =
            d.at("bob@example.net", 4).iter().filter_map(|&i| stored(&t, i)).collect();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].from, "Alice <alice@example.org>");
        assert_eq!(m[0].subject, "Lunch on Friday?");
        assert_eq!(mailboxes(&t), [(1, "bob@example.net".to_string())]);
    }

    #[test]
    fn connections_open_and_close() {
        assert_eq!(links(&trace()), [(0, 1)]);
        let t = lesson_trace();
        assert!(open_conns(&t, 0).is_empty());
        let connect = t.events.iter().position(|e| matches!(e.kind, EventKind::Connect { .. })).unwrap();
        assert!(open_conns(&t, connect).is_empty(), "not before its connect is shown");
        assert_eq!(open_conns(&t, connect + 1), [ConnId(0)]);
        assert!(open_conns(&t, t.len()).is_empty());
    }

    #[test]
    fn summaries_name_the_hosts() {
        let t = trace();
        assert_eq!(summary(&t, 1), "mx.example.net to laptop.example.org: 220 hi");
        assert_eq!(summary(&t, 3), "mx.example.net: files the message in the mailbox of bob@example.net");
        assert_eq!(summary(&t, 99), "");
    }

    /// A line typed in the sandbox after 354 is read out, not counted ("1 lines"); a
    /// message without From: says so in the mailbox.
    #[cfg(feature = "imap")]
    #[test]
    fn a_typed_line_of_a_message_is_read_out() {
        let mut t = trace();
        let n = t.len();
        t.events.push(ev(n, 0, 1, EventKind::MessageData, "Hello Bob\r\n"));
        t.events.push(ev(
            n + 1,
            1,
            1,
            EventKind::Delivery { mailbox: "bob@example.net".into() },
            "Subject: x\r\n\r\nhi\r\n",
        ));
        assert_eq!(summary(&t, n), "laptop.example.org to mx.example.net: a line of the message: Hello Bob");
        for (line, said) in [
            (".\r\n", "the message's end: a line holding only a dot"),
            ("\r\n", "an empty line of the message"),
        ] {
            t.events[n] = ev(n, 0, 1, EventKind::MessageData, line);
            assert_eq!(summary(&t, n), format!("laptop.example.org to mx.example.net: {said}"));
        }
        assert_eq!(stored(&t, n + 1).unwrap().from, "(none)");
    }

    #[test]
    fn the_preview_keeps_the_dotted_lines() {
        let lines: Vec<(String, LineEnd)> =
            ["a", "b", "c", "..dots", "d", "e", "."].iter().map(|l| (l.to_string(), LineEnd::CrLf)).collect();
        use PreviewLine::*;
        assert_eq!(message_preview(&lines, 2), [Line(0), Line(1), Gap(1), Line(3), Gap(2), Line(6)]);
        assert!(is_dot_stuffed("..dots") && !is_dot_stuffed(".") && !is_dot_stuffed("a."));
    }

    #[test]
    fn words_for_the_screen() {
        let item = |next: Option<u64>| mailroom_core::mta::QueueItem {
            id: "Q".into(),
            recipients: vec!["bob@example.net".into()],
            arrival: SimTime::ZERO,
            attempts: 1,
            next: next.map(SimTime::from_secs),
            last_error: None,
        };
        let mut snap = HostSnapshot { queued: 1, ..HostSnapshot::default() };
        assert_eq!(queue_text(&snap), "1 waiting to be relayed");
        snap.queue = vec![item(Some(301))];
        assert_eq!(queue_text(&snap), "1 waiting to be relayed · next try 5:01.000");
        // While an attempt is under way there is no "next" to tell.
        snap.queue = vec![item(Some(301)), item(None)];
        snap.queued = 2;
        assert_eq!(queue_text(&snap), "2 waiting to be relayed");
        assert_eq!(steps_text((0, 10)), "steps 0–10");
        assert_eq!(steps_text((14, 14)), "step 14");
        assert_eq!(messages_note(1), None);
        assert!(messages_note(27).unwrap_or_default().contains("27 times"));
        assert_eq!(
            part_announcement(0, 9, "A small typo", "Alice meant"),
            "Part 1 of 9: A small typo. Alice meant"
        );
        assert_eq!(
            part_announcement(1, 30, "Where is Alice's server?", "The laptop asks"),
            "Part 2 of 30: Where is Alice's server? The laptop asks"
        );
        let legend: Vec<_> = Speaker::ALL.iter().map(|s| s.prefix()).collect();
        assert_eq!(legend, ["C:", "S:", "Q:", "A:", "··"]);
    }

    #[test]
    fn addresses_and_titles() {
        assert_eq!(address_of("Bob Marley <bob@example.net>"), "bob@example.net");
        assert_eq!(address_of(" bob@example.net "), "bob@example.net");
        assert_eq!(short_name("smtp.example.org"), "smtp");
    }

    #[test]
    #[cfg(feature = "pop3")]
    fn pop3_messages_are_shown_collapsed_and_summarised() {
        use super::pop3::tests::{after, lesson_run};
        let (_, t) = lesson_run("retrieving-mail-with-pop3");
        let retr = after(&t, "RETR", 0);
        assert!(matches!(wire(&t.events[retr]), Wire::Message(_)));
        assert!(
            summary(&t, retr)
                .starts_with("Bob's provider to Bob's laptop: +OK 680 octets, then the message, ")
        );
        assert!(
            matches!(wire(&t.events[after(&t, "+OK", 4) - 1]), Wire::Lines(_)),
            "the UIDL listing is shown whole"
        );
    }
}
