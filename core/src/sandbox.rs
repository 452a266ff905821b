//! The sandbox: a student types into the running World, waits, and injects faults.
//!
//! What the student did is a list of [`Input`]s, each one line of text (`open
//! laptop.example.org mx.example.net 25`, `type 1 EHLO laptop.example.org`, `wait 30m`,
//! `fault greylist mx.example.net`). Replayed from the start on the same world they give the
//! same World and the same trace, byte for byte ([`Sandbox::replay`]): a reload, an undo or
//! a shared session restores exactly what the student saw, and nothing depends on when a key
//! was pressed.
//!
//! After each input the World runs what follows from it (the reply, a relay to the next
//! server, a delivery, a bounce) up to [`SETTLE`] of virtual time later; what comes later
//! still (a retry in 30 minutes, a server's idle timeout) waits until the student waits for
//! it (`wait 30m`, or `next`: on to the next thing the World has to do).
//!
//! Everything is bounded: the inputs ([`MAX_INPUTS`]), a typed line ([`MAX_LINE`]), the open
//! connections ([`MAX_CONNECTIONS`]) and the trace ([`MAX_EVENTS`]). An input that is
//! refused, or that would go over a bound, leaves the sandbox as it was.

use std::fmt;

use crate::describe::syntax::duration;
use crate::describe::{Description, Fault};
use crate::time::{SimDuration, SimTime, span};
use crate::trace::{ConnId, HostId, Trace};
use crate::world::World;

/// How far the World runs on its own after an input: what a command sets off (the reply,
/// DNS, the relay to the next server and its delivery, a connection attempt's 30 s timeout)
/// happens within it; timers further away (retries, idle timeouts) wait for `wait`/`next`.
pub const SETTLE: SimDuration = SimDuration::from_secs(60);
/// After a wait, how far the World runs on: long enough for what was under way at the end
/// of the wait (a retry's DNS and SMTP conversation) to finish.
pub const WAIT_SETTLE: SimDuration = SimDuration::from_secs(5);
/// A person takes a moment to type a line: each typed line leaves this long after the
/// previous moment, so the trace's times read like a session at a keyboard.
pub const TYPING: SimDuration = SimDuration::from_secs(2);
/// How the note of an injected fault begins, on the host it is about (the directive follows).
pub const FAULT_NOTE: &str = "From now on (a fault injected in the sandbox): ";
/// The most inputs one session keeps.
pub const MAX_INPUTS: usize = 500;
/// The longest line a student may type, in bytes. Longer than any SMTP limit (RFC 5321
/// §4.5.3.1: 512 for a command line, 1,000 for a text line), so those limits can be tried.
pub const MAX_LINE: usize = 2_000;
/// The most connections one session may open.
pub const MAX_CONNECTIONS: usize = 50;
/// The most events one session's trace may hold.
pub const MAX_EVENTS: usize = 10_000;
/// The longest `wait`: 30 days, the longest time a world description may use.
pub const MAX_WAIT: SimDuration = SimDuration::from_secs(30 * 86_400);
/// The world-description directives a student may inject while the World runs: the
/// faults, and (with the sender checks) a mail server starting to check senders.
#[cfg(not(feature = "trust"))]
pub const FAULTS: &[&str] = &["down", "greylist", "full", "reply", "cut"];
/// The world-description directives a student may inject while the World runs: the
/// faults, and (with the sender checks) a mail server starting to check senders, and a
/// domain changing a TXT record (its SPF record, its DMARC policy): in the sandbox `txt`
/// replaces the name's TXT records, in force at once (the simulated resolver keeps no cache).
#[cfg(feature = "trust")]
pub const FAULTS: &[&str] = &["down", "greylist", "full", "reply", "cut", "check", "txt"];

/// What the sandbox's world adds to the standard one when the engine has the sender checks:
/// example.org publishes its SPF record and its DMARC policy, and Alice's provider signs her
/// mail with DKIM, as providers do today. Nobody checks until a student says so
/// (`fault check mx.example.net spf dkim dmarc`).
#[cfg(feature = "trust")]
pub const TRUST_LINES: &str = "txt example.org \"v=spf1 mx -all\"
dkim smtp.example.org example.org mail
txt _dmarc.example.org \"v=DMARC1; p=quarantine\"
";

/// What the sandbox's world adds to the standard one when the engine has POP3 and IMAP:
/// Alice's provider serves her mailbox too, as a provider does, so that a bounce or a delay
/// warning it files for her can be read with a mail program's protocol, not only opened.
#[cfg(all(feature = "pop3", feature = "imap"))]
pub const MAILBOX_LINES: &str = "service smtp.example.org 110 pop3
service smtp.example.org 143 imap
";

/// The world the sandbox starts from: the standard world, with [`MAILBOX_LINES`] and
/// [`TRUST_LINES`] when the engine has what they need.
pub fn world() -> Description {
    #[allow(unused_mut)]
    let mut d = Description::standard();
    // The lines are this crate's own; a test reads them (`the_sandbox_world_reads`).
    #[cfg(all(feature = "pop3", feature = "imap"))]
    let _ = d.extend(MAILBOX_LINES, 1);
    #[cfg(feature = "trust")]
    let _ = d.extend(TRUST_LINES, 1);
    d
}

/// One thing a student did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// `open FROM TO PORT`: a person on host `from` opens a TCP connection to `port` of `to`
    /// (a terminal's `telnet TO PORT`).
    Open { from: String, to: String, port: u16 },
    /// `type N TEXT`: the person types `text` and presses Enter into connection `n`
    /// (numbered from 1 in the order opened): `text` and CRLF go out.
    Type { conn: usize, text: String },
    /// `close N`: the person closes connection `n`.
    Close { conn: usize },
    /// `wait 30m`: the World runs on for this long.
    Wait(SimDuration),
    /// `next`: the World runs on to the next thing it has to do (a timer, a retry).
    Next,
    /// `fault DIRECTIVE`: one directive of the world description named in [`FAULTS`]
    /// (`down`, `greylist`, `full`, `reply`, `cut`; with the sender checks `check` and
    /// `txt`), in force from now; a `down` window's times count from now.
    Fault(String),
}

impl Input {
    /// Reads one input line, as [`Input`]'s `Display` writes it.
    pub fn parse(line: &str) -> Result<Input, String> {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let conn = |s: &str| -> Result<usize, String> {
            match s.parse::<usize>() {
                Ok(n) if (1..=MAX_CONNECTIONS).contains(&n) && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
                _ => Err(format!("a connection is a number from 1 to {MAX_CONNECTIONS}, found `{s}`")),
            }
        };
        match word {
            "open" => {
                let parts: Vec<&str> = rest.split(' ').collect();
                let [from, to, port] = parts[..] else {
                    return Err(
                        "`open` takes a host, a host and a port: `open laptop.example.org mx.example.net 25`"
                            .into(),
                    );
                };
                let port = match port.parse::<u16>() {
                    Ok(p) if p >= 1 && port.bytes().all(|b| b.is_ascii_digit()) => p,
                    _ => return Err(format!("a port is a number from 1 to 65535, found `{port}`")),
                };
                Ok(Input::Open { from: from.to_string(), to: to.to_string(), port })
            }
            "type" => {
                let (n, text) = rest.split_once(' ').unwrap_or((rest, ""));
                let text = text.to_string();
                check_typed(&text)?;
                Ok(Input::Type { conn: conn(n)?, text })
            }
            "close" => Ok(Input::Close { conn: conn(rest)? }),
            "wait" => {
                let d = duration(rest)?;
                if d.0 == 0 || d > MAX_WAIT {
                    return Err(format!("a wait is longer than nothing and at most 30 days, found `{rest}`"));
                }
                Ok(Input::Wait(d))
            }
            "next" if rest.is_empty() => Ok(Input::Next),
            "fault" => {
                let kind = rest.split_whitespace().next().unwrap_or("");
                if !FAULTS.contains(&kind) {
                    return Err(format!("a fault is one of {}, found `{kind}`", FAULTS.join(", ")));
                }
                if rest.contains(['\r', '\n']) {
                    return Err("a fault is one line".into());
                }
                Ok(Input::Fault(rest.to_string()))
            }
            _ => Err(format!("expected open, type, close, wait, next or fault, found `{word}`")),
        }
    }
}

/// A typed line: at most [`MAX_LINE`] bytes, no line break (Enter sends it) and no other
/// control character but a tab.
fn check_typed(text: &str) -> Result<(), String> {
    if text.len() > MAX_LINE {
        return Err(format!("a typed line is at most {MAX_LINE} bytes; this one is {}", text.len()));
    }
    match text.chars().find(|c| c.is_control() && *c != '\t') {
        Some('\r' | '\n') => Err("one line at a time: Enter sends it".into()),
        Some(c) => Err(format!("a typed line has no control characters, found U+{:04X}", u32::from(c))),
        None => Ok(()),
    }
}

/// `30m`, `2h`, `1500ms`: the largest unit that divides the duration.
pub fn duration_text(d: SimDuration) -> String {
    let ms = d.0 / 1_000;
    let units = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "m"), (1_000, "s")];
    match units.iter().find(|(n, _)| ms > 0 && ms.is_multiple_of(*n)) {
        Some((n, unit)) => format!("{}{unit}", ms / n),
        None => format!("{ms}ms"),
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Open { from, to, port } => write!(f, "open {from} {to} {port}"),
            Input::Type { conn, text } => write!(f, "type {conn} {text}"),
            Input::Close { conn } => write!(f, "close {conn}"),
            Input::Wait(d) => write!(f, "wait {}", duration_text(*d)),
            Input::Next => f.write_str("next"),
            Input::Fault(directive) => write!(f, "fault {directive}"),
        }
    }
}

/// A connection the student opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened {
    pub id: ConnId,
    pub from: HostId,
    /// The host chosen by name.
    pub to: HostId,
    pub port: u16,
    /// How many events the trace held when it was opened (telnet's command comes then).
    pub opened_at: usize,
    /// How many events the trace held when the DNS gave the server's address (telnet's
    /// "Trying …" comes then); `None` if it never did.
    pub found_at: Option<usize>,
}

/// Why an input was refused; the sandbox is as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A running World and what the student did to it.
pub struct Sandbox {
    /// The world as it started.
    start: Description,
    world: World,
    inputs: Vec<Input>,
    /// For each input, how many events the trace held when it took effect.
    marks: Vec<usize>,
    conns: Vec<Opened>,
    /// [`MAX_EVENTS`] (lowered by the tests).
    max_events: usize,
}

impl Sandbox {
    /// The World of `description`, at its start: nothing has happened yet.
    pub fn new(description: Description) -> Sandbox {
        let mut world = World::from_description(&description);
        // Takes the hosts' state before the first event (the view's step 0).
        let _ = world.advance_to(SimTime::ZERO);
        Sandbox {
            start: description,
            world,
            inputs: Vec::new(),
            marks: Vec::new(),
            conns: Vec::new(),
            max_events: MAX_EVENTS,
        }
    }

    /// The session that `lines` (inputs, one a line, as [`Input`]'s `Display` writes them)
    /// make on the world of `description`. A line that cannot be read or is refused stops
    /// the replay: the sandbox of the lines before it, and the line's number (from 1) and
    /// why.
    pub fn replay<'a>(
        description: Description,
        lines: impl IntoIterator<Item = &'a str>,
    ) -> (Sandbox, Option<(usize, Refused)>) {
        let mut sandbox = Sandbox::new(description);
        for (i, line) in lines.into_iter().enumerate() {
            let applied = Input::parse(line).map_err(Refused).and_then(|input| sandbox.apply(input));
            if let Err(why) = applied {
                return (sandbox, Some((i + 1, why)));
            }
        }
        (sandbox, None)
    }

    /// Does `input` now, then lets the World run what follows from it ([`SETTLE`]).
    /// Refused (the sandbox unchanged) when it names what does not exist, or when the
    /// session would go over one of its bounds.
    pub fn apply(&mut self, input: Input) -> Result<(), Refused> {
        if self.inputs.len() >= MAX_INPUTS {
            return Err(Refused(format!("a session keeps at most {MAX_INPUTS} inputs: start over to go on")));
        }
        // What is kept is the input's text, and what a line may say is the reader's to
        // decide: an input refused by it, or read back as another (a wait finer than a
        // millisecond), is refused now, not at a reload.
        match Input::parse(&input.to_string()) {
            Ok(read) if read == input => {}
            Ok(_) => {
                return Err(Refused(format!(
                    "`{input}` cannot be kept as it is: write it as a line the sandbox reads"
                )));
            }
            Err(why) => return Err(Refused(why)),
        }
        self.check(&input)?;
        match self.run(&input) {
            Ok(mark) if self.world.trace().len() <= self.max_events => {
                self.inputs.push(input);
                self.marks.push(mark);
                Ok(())
            }
            outcome => {
                // Whatever the World did on the way is taken back: the same inputs again.
                let why = outcome.err().unwrap_or_else(|| {
                    Refused(format!("a session holds at most {MAX_EVENTS} events: start over to go on"))
                });
                let max_events = self.max_events;
                *self = self.without_last(0);
                self.max_events = max_events;
                Err(why)
            }
        }
    }

    /// The same session without its last `n` inputs (an undo).
    pub fn without_last(&self, n: usize) -> Sandbox {
        let keep = self.inputs.len().saturating_sub(n);
        let lines: Vec<String> = self.inputs[..keep].iter().map(Input::to_string).collect();
        // These inputs were all applied before, to the same world: none is refused.
        let mut sandbox = Sandbox::replay(self.start.clone(), lines.iter().map(String::as_str)).0;
        sandbox.max_events = self.max_events;
        sandbox
    }

    /// What the student did, in order.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// Every event so far, and the hosts' states after each.
    pub fn trace(&self) -> &Trace {
        self.world.trace()
    }

    /// The World's clock.
    pub fn now(&self) -> SimTime {
        self.world.now()
    }

    /// When the World next has something to do on its own, if anything.
    pub fn next_wakeup(&self) -> Option<SimTime> {
        self.world.next_wakeup()
    }

    /// The connections opened, numbered from 1 in this order.
    pub fn connections(&self) -> &[Opened] {
        &self.conns
    }

    /// True while connection `n` (from 1) is open.
    pub fn is_open(&self, n: usize) -> bool {
        n.checked_sub(1).and_then(|i| self.conns.get(i)).is_some_and(|c| self.world.is_open(c.id))
    }

    /// The world as it started.
    pub fn start(&self) -> &Description {
        &self.start
    }

    /// For each input, how many events the trace held when it took effect (a typed line:
    /// once typed): where it comes in the trace (a typed line is on the screen from there,
    /// even if it never arrives).
    pub fn marks(&self) -> &[usize] {
        &self.marks
    }

    /// The lines typed into connection `n` (from 1), in order, each with its mark (where it
    /// comes in the trace: [`Sandbox::marks`]).
    pub fn typed(&self, n: usize) -> Vec<(usize, &str)> {
        self.inputs
            .iter()
            .zip(&self.marks)
            .filter_map(|(input, &mark)| match input {
                Input::Type { conn, text } if *conn == n => Some((mark, text.as_str())),
                _ => None,
            })
            .collect()
    }

    /// The lines typed into connection `n` before event `cursor` (all of them once the
    /// cursor is at the end) that its server did not refuse, in order: no reply that
    /// answers what the line sent (the event a reply names as the one that made the server
    /// send it: the command, the message's end) says no: SMTP's `4xx` or `5xx` (RFC 5321
    /// §4.2.1), POP3's `-ERR` (RFC 1939 §3), IMAP's tagged `NO` or `BAD`, or an untagged
    /// `BAD` (RFC 3501 §7.1: the line could not be read as a command). A line with no
    /// answer (a line of a message, before its dot) counts as taken, and so does one a timer
    /// answered later (the server's idle timeout answers no line). So the next line to try
    /// goes on from what the server took: after `538` to AUTH before TLS, STARTTLS is still
    /// next.
    pub fn accepted(&self, n: usize, cursor: usize) -> Vec<&str> {
        self.judged(n, cursor).into_iter().filter(|(_, taken)| *taken).map(|(line, _)| line).collect()
    }

    /// Every line typed into connection `n` before event `cursor`, in order, with whether
    /// its server took it (as [`Sandbox::accepted`] judges).
    pub fn judged(&self, n: usize, cursor: usize) -> Vec<(&str, bool)> {
        use crate::trace::{EventKind, ImapResponse, Status};
        let Some(c) = n.checked_sub(1).and_then(|i| self.conns.get(i)) else { return Vec::new() };
        let trace = self.world.trace();
        let end = if cursor >= trace.len() { trace.len() } else { cursor };
        let typed: Vec<(usize, &str)> =
            self.typed(n).into_iter().filter(|(mark, _)| *mark < end || cursor >= trace.len()).collect();
        let refusals: Vec<usize> = trace.events[..end]
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Reply { status, answers: Some(a), .. }
                    if e.conn == Some(c.id)
                        && e.from == c.to
                        && (!status.is_positive()
                            || matches!(status, Status::Imap(ImapResponse::Untagged { name }) if name == "BAD")) =>
                {
                    Some(*a)
                }
                _ => None,
            })
            .collect();
        // Each line's window (up to the next line's mark), what it sent (its first event on
        // the wire, if any) and whether a refusal answers it.
        let windows: Vec<(std::ops::Range<usize>, Option<&EventKind>)> = typed
            .iter()
            .enumerate()
            .map(|(i, &(mark, _))| {
                let next = typed.get(i + 1).map_or(usize::MAX, |(next, _)| *next);
                let sent = trace.events[mark.min(end)..next.min(end)]
                    .iter()
                    .find(|e| e.conn == Some(c.id) && e.from == c.from)
                    .map(|e| &e.kind);
                (mark..next, sent)
            })
            .collect();
        let mut refused: Vec<bool> =
            windows.iter().map(|(w, _)| refusals.iter().any(|a| w.contains(a))).collect();
        let verb = |i: usize| match windows[i].1 {
            Some(EventKind::Command { verb }) => verb.as_str(),
            Some(EventKind::AuthData) => "(auth data)",
            _ => "",
        };
        // A login of two or more lines fails as a whole: credentials refused after `334`s
        // take their AUTH back (RFC 4954 §4: AUTH is tried again), and a refused PASS the
        // USER before it (RFC 1939 §7: USER again, then PASS).
        for i in (0..refused.len()).rev() {
            if !refused[i] {
                continue;
            }
            match verb(i) {
                "(auth data)" => {
                    let mut j = i;
                    while j > 0 && verb(j) == "(auth data)" {
                        j -= 1;
                        refused[j] = true;
                    }
                }
                "PASS" if i > 0 && verb(i - 1) == "USER" => refused[i - 1] = true,
                _ => {}
            }
        }
        typed.iter().zip(refused).map(|(&(_, line), r)| (line, !r)).collect()
    }

    /// Refuses what the World cannot do (a host or connection that does not exist, nothing
    /// left to happen), before anything is done. What a line may say is [`Input::parse`]'s.
    fn check(&self, input: &Input) -> Result<(), Refused> {
        let host = |name: &str| {
            self.world
                .host_by_name(name)
                .ok_or_else(|| Refused(format!("there is no host `{name}` in this world")))
        };
        let open = |n: usize| {
            if n == 0 || n > self.conns.len() {
                Err(Refused(format!("there is no connection {n}")))
            } else if !self.is_open(n) {
                Err(Refused(format!("connection {n} is closed")))
            } else {
                Ok(())
            }
        };
        match input {
            Input::Open { from, to, .. } => {
                if host(from)? == host(to)? {
                    return Err(Refused("a host connects to another host".into()));
                }
                if self.conns.len() >= MAX_CONNECTIONS {
                    return Err(Refused(format!("a session opens at most {MAX_CONNECTIONS} connections")));
                }
                Ok(())
            }
            Input::Type { conn, .. } | Input::Close { conn } => open(*conn),
            Input::Next if self.world.next_wakeup().is_none() => {
                Err(Refused("nothing is left to happen: the World waits for you".into()))
            }
            _ => Ok(()),
        }
    }

    /// Does `input`, then settles; returns how many events the trace held when the input
    /// took effect (for a typed line, after the moment of typing).
    fn run(&mut self, input: &Input) -> Result<usize, Refused> {
        let live = |e: crate::world::WorldError| Refused(e.to_string());
        let now = self.world.now();
        let mut mark = self.world.trace().len();
        match input {
            Input::Open { from, to, port } => {
                let (Some(from), Some(host)) = (self.world.host_by_name(from), self.world.host_by_name(to))
                else {
                    return Err(Refused("no such host".into()));
                };
                // As telnet does, by name: the DNS is asked first (see `settle` below).
                let id = self.world.open_named(from, to, *port).map_err(live)?;
                self.conns.push(Opened { id, from, to: host, port: *port, opened_at: mark, found_at: None });
            }
            Input::Type { conn, text } => {
                let id = self.conns[conn - 1].id;
                // The person types for a moment; what the World does meanwhile happens first.
                self.world.advance_to(now.plus(TYPING)).map_err(live)?;
                if !self.world.is_open(id) {
                    return Err(Refused(format!("connection {conn} was closed while you typed")));
                }
                mark = self.world.trace().len();
                let mut line = text.clone().into_bytes();
                line.extend_from_slice(b"\r\n");
                self.world.write(id, &line).map_err(live)?;
            }
            Input::Close { conn } => self.world.close(self.conns[conn - 1].id).map_err(live)?,
            Input::Wait(d) => {
                self.world.advance_to(now.plus(*d)).map_err(live)?;
            }
            Input::Next => {
                self.world.advance().map_err(live)?;
            }
            Input::Fault(directive) => self.inject(directive)?,
        }
        // After a wait only what was under way finishes (a retry's conversation), so that
        // `wait 4m` is not followed by the timers of the minute after it.
        self.settle(if matches!(input, Input::Wait(_)) { WAIT_SETTLE } else { SETTLE })?;
        // The DNS has answered a connection just opened (or given up) well within SETTLE. A
        // world's DNS gives a host's name only its own address (`describe` refuses another
        // A record for it), so the connection went to the host chosen, if anywhere.
        if let (Input::Open { .. }, Some(opened)) = (input, self.conns.last_mut()) {
            opened.found_at = self.world.found_at(opened.id);
        }
        Ok(mark)
    }

    /// Runs what is due within `horizon` from now.
    fn settle(&mut self, horizon: SimDuration) -> Result<(), Refused> {
        let horizon = self.world.now().plus(horizon);
        while let Some(t) = self.world.next_wakeup().filter(|t| *t <= horizon) {
            self.world.advance_to(t).map_err(|e| Refused(e.to_string()))?;
            if self.world.trace().len() > self.max_events {
                break;
            }
        }
        Ok(())
    }

    /// Reads one fault directive with the world description's grammar, checked against the
    /// world as it started (its hosts, its users, its own faults), and puts it in force now.
    /// A rule for a command that an earlier one covered replaces it.
    fn inject(&mut self, directive: &str) -> Result<(), Refused> {
        let before = self.start.faults.len();
        let mut d = self.start.clone();
        // A TXT record replaces the name's own (a domain changing its policy, or back to
        // what it was), so the line is read as if the name had none.
        #[cfg(feature = "trust")]
        if let Some(name) = directive.strip_prefix("txt ").and_then(|r| r.split_whitespace().next()) {
            d.records.retain(|r| {
                !(r.name.eq_ignore_ascii_case(name) && matches!(r.data, crate::dns::RData::Txt(_)))
            });
        }
        #[cfg(feature = "trust")]
        let records_before = d.records.len();
        d.extend(directive, 1).map_err(|errors| {
            Refused(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "))
        })?;
        // A server that starts checking senders: from the next message on (a check that
        // the starting world already makes is replaced).
        #[cfg(feature = "trust")]
        for k in d.checks.iter().skip(self.start.checks.len()) {
            if let Some(host) = self.world.host_by_name(&k.host) {
                let checks = crate::auth::check::Checks { spf: k.spf, dkim: k.dkim, dmarc: k.dmarc };
                self.world.check_senders(host, checks);
                let names = [(k.spf, "SPF"), (k.dkim, "DKIM"), (k.dmarc, "DMARC")];
                let names: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
                let text = format!(
                    "From now on (set in the sandbox): {} checks the senders of the mail it receives with {} (as a line of a world description: {directive})",
                    k.host,
                    match names.as_slice() {
                        [.., last] if names.len() > 1 =>
                            format!("{} and {last}", names[..names.len() - 1].join(", ")),
                        _ => names.join(""),
                    }
                );
                self.world.note(host, &text);
            }
        }
        // A domain that changes a TXT record: the name's TXT records become the new one.
        #[cfg(feature = "trust")]
        for r in &d.records[records_before..] {
            if let crate::dns::RData::Txt(text) = &r.data {
                self.world.zone_mut().replace_txt(&r.name, text);
                let dns = d.resolver.as_deref().and_then(|name| self.world.host_by_name(name));
                if let Some(host) = dns {
                    let text = format!(
                        "From now on (set in the sandbox): the TXT record of {} is \"{text}\" (as a line of a world description: {directive})",
                        r.name
                    );
                    self.world.note(host, &text);
                }
            }
        }
        let now = self.world.now();
        for f in &d.faults[before..] {
            self.world.apply_fault(f, now);
            // A moment in the trace: the fault is in force from here.
            let host = match f {
                Fault::Down { host, .. }
                | Fault::Greylist { host, .. }
                | Fault::Reply { host, .. }
                | Fault::Cut { host, .. } => self.world.host_by_name(host),
                Fault::MailboxFull { address, .. } => self
                    .start
                    .host_of_domain(&crate::mail::domain_of(address))
                    .and_then(|h| self.world.host_by_name(h)),
            };
            if let Some(host) = host {
                self.world.note(
                    host,
                    &format!(
                        "{FAULT_NOTE}{} (as a line of a world description: {directive})",
                        fault_words(f)
                    ),
                );
            }
        }
        Ok(())
    }
}

/// What a fault does, in plain words: the row that says it is in force reads as what the
/// World will do, not only as the directive's syntax.
pub fn fault_words(f: &Fault) -> String {
    let often = |times: &Option<u32>| match times {
        None => "every time".to_string(),
        Some(1) => "once".to_string(),
        Some(n) => format!("the first {n} times"),
    };
    match f {
        Fault::Down { host, from, until, .. } => {
            let when = match from.0 {
                0 => String::new(),
                t => format!(" in {}", span(SimDuration(t))),
            };
            let long = span(SimDuration(until.0.saturating_sub(from.0)));
            format!("{host} goes down{when} for {long}: it answers nothing, not even a new connection")
        }
        Fault::Greylist { host, .. } => format!(
            "{host} greylists: the first try of each client, sender and recipient gets 451 4.7.1, a try again after {} goes through",
            span(crate::world::GREYLIST_DELAY)
        ),
        Fault::MailboxFull { address, .. } => {
            format!("the mailbox {address} is full: mail for it is refused with 452 4.2.2 (try again later)")
        }
        Fault::Reply { host, verb, code, enhanced, text, times, .. } => {
            let verb = match verb.as_str() {
                "GREETING" => "a new connection",
                "MESSAGE" => "the message (after the final dot)",
                v => v,
            };
            let enhanced = enhanced.as_deref().map(|e| format!("{e} ")).unwrap_or_default();
            format!("{host} answers {verb} with {code} {enhanced}{text}, {}", often(times))
        }
        Fault::Cut { host, port, verb, times, .. } => format!(
            "a connection to {host} port {port} breaks as the client sends {verb} ({verb} never arrives), {}",
            often(times)
        ),
    }
}

#[cfg(test)]
mod tests;
