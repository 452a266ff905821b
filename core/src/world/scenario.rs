//! Scenarios: the standard world of the lessons, and running a lesson in it.

use crate::lesson::{EmailSpec, Lesson, LessonError};
use crate::mail::Draft;
use crate::smtp::server::ServerConfig;
use crate::time::SimDuration;
use crate::trace::{HostId, HostInfo, HostRole, Trace};

use super::World;

// ----- the standard world of the lessons -----------------------------------------------

/// Names and addresses of the standard world (documentation ranges, RFC 5737).
pub mod names {
    pub const LAPTOP: &str = "laptop.example.org";
    pub const ALICE_SERVER: &str = "smtp.example.org";
    pub const RESOLVER: &str = "ns.example.org";
    pub const BOB_SERVER: &str = "mx.example.net";
    pub const LAPTOP_ADDR: &str = "192.0.2.10";
    pub const ALICE_SERVER_ADDR: &str = "192.0.2.25";
    pub const RESOLVER_ADDR: &str = "192.0.2.53";
    pub const BOB_SERVER_ADDR: &str = "198.51.100.25";
    /// Users of each domain, as `mailroom-serve --help` lists them.
    pub const USERS: &[&str] = &["alice@example.org", "bob@example.net", "carol@example.net"];
}

/// The standard world: Alice's laptop, her provider `smtp.example.org`, a DNS resolver,
/// and Bob's provider `mx.example.net` with the mailboxes of Bob and Carol.
pub fn standard_world() -> (World, HostId) {
    use names::*;
    let mut w = World::new(0);
    let host = |name: &str, label: &str, addr: &str, role, position| HostInfo {
        name: name.into(),
        label: label.into(),
        addr: addr.into(),
        role,
        position,
    };
    let laptop = w.add_host(host(LAPTOP, "Alice's laptop", LAPTOP_ADDR, HostRole::Client, (10, 62)), None);
    let smtp = w.add_host(
        host(ALICE_SERVER, "Alice's provider", ALICE_SERVER_ADDR, HostRole::MailServer, (38, 62)),
        Some(ServerConfig::new(ALICE_SERVER)),
    );
    w.add_domain(smtp, "example.org");
    w.add_mailbox(smtp, "alice@example.org");
    // Alice's laptop is on her provider's network, so the provider relays for it
    // (like Postfix's `permit_mynetworks`). Submission with AUTH comes in a later lesson.
    w.relay_for(smtp, LAPTOP_ADDR);
    let ns = w.add_host(host(RESOLVER, "DNS resolver", RESOLVER_ADDR, HostRole::Dns, (52, 16)), None);
    let mx = w.add_host(
        host(BOB_SERVER, "Bob's provider", BOB_SERVER_ADDR, HostRole::MailServer, (78, 62)),
        Some(ServerConfig::new(BOB_SERVER)),
    );
    w.add_domain(mx, "example.net");
    w.add_mailbox(mx, "bob@example.net");
    w.add_mailbox(mx, "carol@example.net");
    w.set_resolver(ns);
    w.link(laptop, smtp, SimDuration::from_millis(20));
    w.link(laptop, ns, SimDuration::from_millis(15));
    w.link(smtp, ns, SimDuration::from_millis(2));
    w.link(smtp, mx, SimDuration::from_millis(40));
    w.link(mx, ns, SimDuration::from_millis(25));
    let z = w.zone_mut();
    z.add_mx("example.org", 10, ALICE_SERVER);
    z.add_a(ALICE_SERVER, ALICE_SERVER_ADDR);
    z.add_mx("example.net", 10, BOB_SERVER);
    z.add_a(BOB_SERVER, BOB_SERVER_ADDR);
    z.add_a(RESOLVER, RESOLVER_ADDR);
    z.add_a(LAPTOP, LAPTOP_ADDR);
    (w, laptop)
}

/// Runs the `send` scenario: the person on the laptop sends `email` via smtp.example.org.
pub fn run_send(email: &EmailSpec) -> Result<Trace, String> {
    let (mut w, laptop) = standard_world();
    let first = email.from.split(['<', '@']).next().unwrap_or("").trim();
    let who = if first.is_empty() { "Alice" } else { first };
    w.note(laptop, &format!("{who} writes an email and presses Send."));
    let draft = Draft { from: &email.from, to: &email.to, subject: &email.subject, body: &email.body };
    w.send_mail(laptop, names::ALICE_SERVER, &draft).map_err(|e| e.to_string())?;
    w.run_until_idle().map_err(|e| e.to_string())?;
    Ok(w.into_trace())
}

/// The `send` scenario with `n` messages, one after the other: a long trace, for
/// benchmarks of the engine and of the page.
pub fn run_send_many(email: &EmailSpec, n: usize) -> Result<Trace, String> {
    let (mut w, laptop) = standard_world();
    let draft = Draft { from: &email.from, to: &email.to, subject: &email.subject, body: &email.body };
    for _ in 0..n {
        w.send_mail(laptop, names::ALICE_SERVER, &draft).map_err(|e| e.to_string())?;
        w.run_until_idle().map_err(|e| e.to_string())?;
    }
    Ok(w.into_trace())
}

/// A lesson's World run to the end, and where each of its steps lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonRun {
    pub trace: Trace,
    /// For each step of the lesson: the index of its event, `None` for `@ start`.
    pub anchors: Vec<Option<usize>>,
}

/// Runs a lesson's scenario and resolves every step's anchor.
pub fn run_lesson(lesson: &Lesson) -> Result<LessonRun, LessonError> {
    run_lesson_repeated(lesson, 1)
}

/// The most messages [`run_lesson_repeated`] sends: about 1,900 events.
pub const MAX_REPEAT: usize = 50;

/// Runs a lesson's scenario with its email sent `n` times (clamped to 1..=[`MAX_REPEAT`]),
/// for a long trace; the steps' anchors land on the first message's events.
pub fn run_lesson_repeated(lesson: &Lesson, n: usize) -> Result<LessonRun, LessonError> {
    let n = n.clamp(1, MAX_REPEAT);
    let trace = if n == 1 { run_send(&lesson.email) } else { run_send_many(&lesson.email, n) };
    let trace = trace.map_err(|m| LessonError { line: 0, message: m })?;
    let anchors = lesson.resolve(&trace)?;
    Ok(LessonRun { trace, anchors })
}
