//! Property tests of the sandbox over random sessions: what a student types, waits and
//! injects, in any order, with mistakes.
//!
//! Each case is 1–30 steps on the sandbox's world, with Alice's provider relaying for her
//! laptop's network (so that a typed message goes through a queue): a whole SMTP
//! transaction typed into a new connection (laptop → Bob's provider, laptop → Alice's
//! provider, Alice's provider → Bob's provider), from a known or an unknown sender, to 1–3
//! recipients (known, unknown, of a domain that does not exist), each with a unique
//! `Message-ID:`, sometimes a line of it left out, changed to junk or typed twice, a body
//! line that starts with a dot, with or without `QUIT`; lines typed into a connection to
//! any port (POP3, IMAP, submission, DNS's port, one with no service) from a vocabulary
//! of commands, junk, non-ASCII and long lines; a connection closed; a wait or `next`; a
//! fault injected (a host down, greylisting, a full mailbox, a reply rule, a cut
//! connection). Then the World is left to run for 30 days.
//!
//! Properties, for every session:
//!
//! 1. Nothing panics; an input is done or refused, and a refused one leaves the sandbox as
//!    it was (the same inputs, the same trace length, the same clock).
//! 2. Bounded: at most `MAX_EVENTS` events, `MAX_INPUTS` inputs.
//! 3. Replay: the inputs written as text and read back give the same trace, byte for byte,
//!    with none refused (a reload, an undo and a shared session rest on it).
//! 4. Nothing is lost: every recipient whose typed `RCPT` got a 2xx, in a transaction whose
//!    final dot got `250`, ends with a delivery of that message into its mailbox or a
//!    bounce that names it (the message told apart by its typed Message-ID or by its first
//!    server's queue id, in that server's `Received:` field; exactly one unless Alice's provider, the relay, was taken down:
//!    then a lost `250` may rightly bring a second copy, RFC 5321 §6.1); a message with the
//!    null sender (a bounce itself) may instead be dropped, with a note, never bounced.

#![cfg(feature = "sandbox")]

use std::collections::BTreeSet;

use mailroom_core::sandbox::{self, Input, MAX_EVENTS, MAX_INPUTS, Sandbox};
use mailroom_core::trace::{EventKind, Trace};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Alice's provider relays for the laptop's network without a login, as in `properties.rs`.
const TRUSTED: &str = "relay smtp.example.org for 192.0.2.10\n";

/// (from, to) of a typed transaction's connection, on port 25.
const ROUTES: &[(&str, &str)] = &[
    ("laptop.example.org", "mx.example.net"),
    ("laptop.example.org", "smtp.example.org"),
    ("smtp.example.org", "mx.example.net"),
];
const SENDERS: &[&str] = &["alice@example.org", "bob@example.net", "ghost@nowhere.test", ""];
const RECIPIENTS: &[&str] = &[
    "bob@example.net",
    "carol@example.net",
    "alice@example.org",
    "nobody@example.net",
    "nobody@example.org",
    "x@nowhere.test",
];
/// Where lines of the vocabulary go: (from, to, port).
const PORTS: &[(&str, &str, u16)] = &[
    ("laptop.example.org", "mx.example.net", 110),
    ("laptop.example.org", "mx.example.net", 143),
    ("laptop.example.org", "smtp.example.org", 587),
    ("laptop.example.org", "smtp.example.org", 110),
    ("laptop.example.org", "mx.example.net", 25),
    ("laptop.example.org", "ns.example.org", 53),
    ("laptop.example.org", "mx.example.net", 2525),
];
const VOCABULARY: &[&str] = &[
    "USER bob",
    "PASS builder",
    "USER bob@example.net",
    "PASS wrong",
    "STAT",
    "LIST",
    "RETR 1",
    "DELE 1",
    "UIDL",
    "TOP 1 0",
    "RSET",
    "QUIT",
    "CAPA",
    "a1 LOGIN bob builder",
    "a2 SELECT INBOX",
    "a3 FETCH 1:* (FLAGS BODY[])",
    "a4 STORE 1 +FLAGS (\\Deleted)",
    "a5 EXPUNGE",
    "a6 IDLE",
    "DONE",
    "a7 LOGOUT",
    "EHLO laptop.example.org",
    "STARTTLS",
    "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=",
    "AUTH LOGIN",
    "MAIL FROM:<alice@example.org>",
    "RCPT TO:<bob@example.net>",
    "DATA",
    ".",
    "..",
    "",
    "NOOP",
    "HELP",
    "VRFY bob",
    "garbage",
    "ÿ é ü 日本",
    "\t",
    "MAIL FROM:<a@b> SIZE=99999999999999999999",
];
const FAULTS: &[&str] = &[
    "down mx.example.net from 0s to 10m",
    "down mx.example.net from 30s to 40m",
    "down smtp.example.org from 0s to 3m",
    "down ns.example.org from 0s to 5m",
    "greylist mx.example.net",
    "full bob@example.net",
    "reply mx.example.net RCPT 451 4.3.0 \"Try later\" times 1",
    "reply mx.example.net MESSAGE 554 5.7.1 \"No\"",
    "reply mx.example.net GREETING 421 4.3.2 \"Busy\" times 2",
    "cut mx.example.net 25 before DATA times 1",
    "cut mx.example.net 25 before QUIT",
    "cut smtp.example.org 25 before RCPT times 1",
    "cut mx.example.net 110 before RETR times 1",
];
const WAITS: &[&str] = &["wait 1m", "wait 10m", "wait 1h", "wait 4h", "next"];

#[derive(Clone, Debug)]
enum Step {
    /// A whole transaction on a new connection; `slip`: (which line, what becomes of it).
    Send {
        route: usize,
        from: usize,
        to: Vec<usize>,
        slip: Option<(usize, Slip)>,
        quit: bool,
    },
    /// Lines typed into a new connection.
    Lines {
        port: usize,
        lines: Vec<usize>,
        long: bool,
    },
    /// Close the connection numbered this (modulo those opened).
    Close(usize),
    Wait(usize),
    Fault(usize),
}

#[derive(Clone, Debug)]
enum Slip {
    Skip,
    Junk(usize),
    Twice,
}

fn step() -> impl Strategy<Value = Step> {
    let slip = prop_oneof![Just(Slip::Skip), (0..VOCABULARY.len()).prop_map(Slip::Junk), Just(Slip::Twice)];
    prop_oneof![
        5 => (
            0..ROUTES.len(),
            0..SENDERS.len(),
            prop::collection::vec(0..RECIPIENTS.len(), 1..=3),
            prop::option::weighted(0.3, (0..12usize, slip)),
            prop::bool::weighted(0.7),
        )
            .prop_map(|(route, from, to, slip, quit)| Step::Send { route, from, to, slip, quit }),
        2 => (0..PORTS.len(), prop::collection::vec(0..VOCABULARY.len(), 1..8), prop::bool::weighted(0.1))
            .prop_map(|(port, lines, long)| Step::Lines { port, lines, long }),
        1 => (0..8usize).prop_map(Step::Close),
        2 => (0..WAITS.len()).prop_map(Step::Wait),
        2 => (0..FAULTS.len()).prop_map(Step::Fault),
    ]
}

/// A transaction typed by a person: the lines, each a `type` input's text.
fn transaction(id: usize, from: &str, to: &[&str], slip: &Option<(usize, Slip)>, quit: bool) -> Vec<String> {
    let mut lines = vec!["EHLO laptop.example.org".to_string(), format!("MAIL FROM:<{from}>")];
    lines.extend(to.iter().map(|r| format!("RCPT TO:<{r}>")));
    lines.push("DATA".into());
    lines.push(format!("Message-ID: <{id}@typed.test>"));
    lines.push(format!("Subject: typed {id}"));
    lines.push(String::new());
    lines.push("Hello.".into());
    lines.push(".. a line that starts with a dot".into());
    lines.push(".".into());
    if quit {
        lines.push("QUIT".into());
    }
    if let Some((at, slip)) = slip {
        let at = at % lines.len();
        match slip {
            Slip::Skip => {
                lines.remove(at);
            }
            Slip::Junk(j) => lines[at] = VOCABULARY[*j].to_string(),
            Slip::Twice => {
                let line = lines[at].clone();
                lines.insert(at, line);
            }
        }
    }
    lines
}

/// The sandbox's world with the trusted relay.
fn world() -> mailroom_core::describe::Description {
    let mut d = sandbox::world();
    d.extend(TRUSTED, 1).expect("the relay line reads");
    d
}

/// Applies `input`; checks that a refused one changes nothing. True when done.
fn apply(s: &mut Sandbox, input: String) -> Result<bool, String> {
    // A line the sandbox does not read (too long) is refused before anything is done.
    let Ok(input) = Input::parse(&input) else { return Ok(false) };
    let before = (s.inputs().len(), s.trace().len(), s.now());
    match s.apply(input.clone()) {
        Ok(()) => Ok(true),
        Err(_) if (s.inputs().len(), s.trace().len(), s.now()) == before => Ok(false),
        Err(why) => Err(format!("`{input}` was refused ({why}) but changed the sandbox")),
    }
}

/// A typed transaction: the connection (its number) and the inputs of its RCPT lines and
/// final dot (their index in the session).
struct Typed {
    conn: usize,
    id: String,
    rcpts: Vec<(usize, String)>,
    dot: Option<usize>,
    /// The Message-ID line was typed (a slip may leave it out: then nothing tells the
    /// message apart).
    has_id: bool,
    /// `MAIL FROM:<>`: a bounce itself, which is dropped, never bounced, when it fails.
    null_sender: bool,
}

/// Runs the session; returns the sandbox, the typed transactions and whether the relay was
/// taken down.
fn run(steps: &[Step]) -> Result<(Sandbox, Vec<Typed>, bool), String> {
    let mut s = Sandbox::new(world());
    let mut typed = Vec::new();
    let mut relay_down = false;
    for (n, step) in steps.iter().enumerate() {
        match step {
            Step::Send { route, from, to, slip, quit } => {
                let (host, server) = ROUTES[*route];
                if !apply(&mut s, format!("open {host} {server} 25"))? {
                    continue;
                }
                let conn = s.connections().len();
                let to: Vec<&str> = to.iter().map(|&r| RECIPIENTS[r]).collect();
                let id = format!("<{n}@typed.test>");
                let mut t = Typed {
                    conn,
                    id,
                    rcpts: Vec::new(),
                    dot: None,
                    has_id: false,
                    null_sender: SENDERS[*from].is_empty(),
                };
                for line in transaction(n, SENDERS[*from], &to, slip, *quit) {
                    if !apply(&mut s, format!("type {conn} {line}"))? {
                        break;
                    }
                    let at = s.inputs().len() - 1;
                    if let Some(r) = line.strip_prefix("RCPT TO:<").and_then(|r| r.strip_suffix('>')) {
                        t.rcpts.push((at, r.to_string()));
                    } else if line == "." {
                        t.dot = Some(at);
                    } else if line.starts_with("Message-ID: ") {
                        t.has_id = true;
                    }
                }
                typed.push(t);
            }
            Step::Lines { port, lines, long } => {
                let (host, server, port) = PORTS[*port];
                if !apply(&mut s, format!("open {host} {server} {port}"))? {
                    continue;
                }
                let conn = s.connections().len();
                for &l in lines {
                    // Over SMTP's 512 and 1,000 octets (RFC 5321 §4.5.3.1), and at times over the
                    // sandbox's own 2,000 (refused).
                    let line = match long {
                        true => VOCABULARY[l].repeat(300).chars().take(1_000 + 10 * l * l).collect(),
                        false => VOCABULARY[l].to_string(),
                    };
                    if !apply(&mut s, format!("type {conn} {line}"))? {
                        break;
                    }
                }
            }
            Step::Close(n) => {
                let opened = s.connections().len();
                if opened > 0 {
                    apply(&mut s, format!("close {}", n % opened + 1))?;
                }
            }
            Step::Wait(w) => {
                apply(&mut s, WAITS[*w].to_string())?;
            }
            Step::Fault(f) => {
                if apply(&mut s, format!("fault {}", FAULTS[*f]))? && FAULTS[*f].starts_with("down smtp.") {
                    relay_down = true;
                }
            }
        }
    }
    Ok((s, typed, relay_down))
}

/// The reply on connection `conn` (from 1) that answers what input `input` sent: the first
/// event the client sent on it from the input's mark, and the reply naming that event;
/// its code and text.
fn reply_to(s: &Sandbox, conn: usize, input: usize) -> Option<(u16, String)> {
    let c = s.connections()[conn - 1];
    let t = s.trace();
    let end = s.marks().get(input + 1).copied().unwrap_or(t.len());
    let sent =
        (s.marks()[input]..end).find(|&i| t.events[i].conn == Some(c.id) && t.events[i].from == c.from)?;
    t.events.iter().find_map(|e| match &e.kind {
        EventKind::Reply { status, answers: Some(a), .. } if *a == sent && e.conn == Some(c.id) => {
            Some((status.smtp_code()?, e.text()))
        }
        _ => None,
    })
}

/// The note of a dropped bounce (mta.rs).
const DROPPED: &str = "A bounce is never bounced: it is dropped.";
/// Where a bounce (RFC 3464) quotes the message's header section.
const BOUNCE_MARK: &str = "Content-Type: text/rfc822-headers\r\n";

/// How many times the message that `marks` tell apart ended for `rcpt`: delivered into its
/// mailbox, or named by a bounce that quotes it. A message is told apart by its typed
/// `Message-ID:` line, or by the queue id its first server gave it, in that server's
/// `Received:` field (a slip may put a line that is no header field before the
/// Message-ID: the header section, and what a bounce quotes of it, then ends there).
fn ends(t: &Trace, marks: &[String], rcpt: &str) -> usize {
    let has = |text: &str| marks.iter().any(|m| text.contains(m.as_str()));
    let final_recipient = format!("\r\nfinal-recipient: rfc822; {}\r\n", rcpt.to_ascii_lowercase());
    t.events
        .iter()
        .filter(|e| match &e.kind {
            EventKind::Delivery { mailbox } => {
                let text = e.text();
                mailbox.eq_ignore_ascii_case(rcpt) && !text.contains(BOUNCE_MARK) && has(&text)
            }
            EventKind::Bounce { .. } => {
                let text = e.text();
                let quoted = text.find(BOUNCE_MARK).map_or("", |i| &text[i..]);
                text.to_ascii_lowercase().contains(&final_recipient) && has(quoted)
            }
            _ => false,
        })
        .count()
}

fn check(steps: &[Step]) -> Result<(), String> {
    let (mut s, typed, relay_down) = run(steps)?;
    // The World runs on for 30 days: every queue gives up long before.
    let settled = apply(&mut s, "wait 30d".into())?;
    if s.trace().len() > MAX_EVENTS || s.inputs().len() > MAX_INPUTS {
        return Err(format!("over a bound: {} events, {} inputs", s.trace().len(), s.inputs().len()));
    }
    // The same inputs, written and read back, give the same trace.
    let lines: Vec<String> = s.inputs().iter().map(Input::to_string).collect();
    let (again, refused) = Sandbox::replay(world(), lines.iter().map(String::as_str));
    if let Some((line, why)) = refused {
        return Err(format!("the replay refused line {line} `{}`: {why}", lines[line - 1]));
    }
    if again.trace() != s.trace() {
        let i = (0..s.trace().len()).find(|&i| again.trace().events.get(i) != s.trace().events.get(i));
        return Err(format!("the replay's trace differs from event {i:?}"));
    }
    // A session that reached its bound before the 30 days is not over: nothing to check.
    if !settled {
        return Ok(());
    }
    let drops =
        s.trace().events.iter().filter(|e| e.kind == EventKind::Note && e.text().contains(DROPPED)).count();
    // Messages with the null sender that ended nowhere for some recipient: each had a
    // failed delivery dropped (at least one note each).
    let mut unended = BTreeSet::new();
    for t in &typed {
        let Some((250, taken)) = t.dot.and_then(|dot| reply_to(&s, t.conn, dot)) else { continue };
        let Some(queue_id) = taken.trim_end().rsplit(' ').next() else { continue };
        // `id X;`, or `id X` and a line break before `for <rcpt>;` (RFC 5321 §4.4).
        let mut marks = vec![format!(" id {queue_id};"), format!(" id {queue_id}\r\n")];
        if t.has_id {
            marks.push(format!("\r\nMessage-ID: {}\r\n", t.id));
        }
        for (input, rcpt) in &t.rcpts {
            if !reply_to(&s, t.conn, *input).is_some_and(|(c, _)| (200..300).contains(&c)) {
                continue;
            }
            let n = ends(s.trace(), &marks, &rcpt.to_ascii_lowercase());
            // A recipient given twice may be delivered to once or twice; a failed bounce is
            // dropped, not bounced.
            let given = t.rcpts.iter().filter(|(_, r)| r == rcpt).count();
            if n == 0 && t.null_sender {
                unended.insert(&t.id);
                continue;
            }
            if n == 0 || (n > given && !relay_down) {
                return Err(format!(
                    "{} for {rcpt}, taken with `{}` on connection {}, ended {n} times",
                    t.id,
                    taken.trim_end(),
                    t.conn
                ));
            }
        }
    }
    if unended.len() > drops {
        return Err(format!(
            "{} messages with the null sender ended nowhere, {drops} dropped",
            unended.len()
        ));
    }
    Ok(())
}

/// 48 sessions, or `PROPTEST_CASES` for a longer soak.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48);
    Config { cases, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_sessions_replay_stay_bounded_and_lose_no_typed_message(
        steps in prop::collection::vec(step(), 1..30)
    ) {
        if let Err(why) = check(&steps) {
            // The session's inputs, to replay it in the sandbox by hand.
            let inputs = run(&steps).map(|(s, ..)| s.inputs().iter().map(Input::to_string).collect::<Vec<_>>().join("\n"));
            prop_assert!(false, "{why}\n--- the inputs:\n{}", inputs.unwrap_or_default());
        }
    }
}

/// The checker finds a typed message: delivered into Bob's mailbox once, refused at RCPT
/// for nobody, bounced by the relay for a domain that does not exist.
#[test]
fn the_checker_sees_a_typed_delivery_and_a_bounce() {
    let code = |s: &Sandbox, conn, input| reply_to(s, conn, input).map(|(c, _)| c);
    let steps = [Step::Send { route: 0, from: 0, to: vec![0, 3], slip: None, quit: true }];
    let (s, typed, _) = run(&steps).unwrap();
    let t = &typed[0];
    assert_eq!(code(&s, t.conn, t.dot.unwrap()), Some(250));
    assert_eq!(code(&s, t.conn, t.rcpts[0].0), Some(250));
    assert_eq!(code(&s, t.conn, t.rcpts[1].0), Some(550), "nobody@example.net is refused at RCPT");
    let by_id = ["\r\nMessage-ID: <0@typed.test>\r\n".to_string()];
    assert_eq!(ends(s.trace(), &by_id, "bob@example.net"), 1);
    check(&steps).unwrap();
    // Relayed through Alice's provider, to a domain that does not exist: bounced. The
    // Message-ID after a line that is no header field is not quoted; the queue id is.
    let steps = [Step::Send { route: 1, from: 0, to: vec![5], slip: Some((3, Slip::Twice)), quit: true }];
    let (mut s, typed, _) = run(&steps).unwrap();
    apply(&mut s, "wait 1h".into()).unwrap();
    let t = &typed[0];
    let (c, taken) = reply_to(&s, t.conn, t.dot.unwrap()).unwrap();
    assert_eq!(c, 250);
    let queue_id = taken.trim_end().rsplit(' ').next().unwrap();
    assert_eq!(ends(s.trace(), &by_id, "x@nowhere.test"), 0);
    let by_queue_id = [format!(" id {queue_id};"), format!(" id {queue_id}\r\n")];
    assert_eq!(ends(s.trace(), &by_queue_id, "x@nowhere.test"), 1);
    check(&steps).unwrap();
}

/// The generator's faults are all ones the sandbox takes (a refused one would test nothing).
#[test]
fn every_fault_the_sessions_inject_is_taken() {
    for fault in FAULTS {
        let mut s = Sandbox::new(world());
        assert_eq!(apply(&mut s, format!("fault {fault}")), Ok(true), "{fault}");
    }
}
