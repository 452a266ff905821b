//! TEMPORARY placeholder while the real World is written (same API).
use crate::lesson::{Lesson, LessonError};
use crate::time::SimTime;
use crate::trace::*;

/// A lesson's World run to the end, and where each of its steps lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonRun {
    pub trace: Trace,
    /// For each step of the lesson: the index of its event, `None` for `@ start`.
    pub anchors: Vec<Option<usize>>,
}

pub fn run_lesson(lesson: &Lesson) -> Result<LessonRun, LessonError> {
    let hosts = vec![
        HostInfo { name: "laptop.example.org".into(), label: "Alice's laptop".into(), addr: "192.0.2.10".into(), role: HostRole::Client, position: (8, 50) },
        HostInfo { name: "smtp.example.org".into(), label: "Alice's provider".into(), addr: "192.0.2.25".into(), role: HostRole::MailServer, position: (38, 50) },
        HostInfo { name: "dns.example".into(), label: "DNS resolver".into(), addr: "192.0.2.53".into(), role: HostRole::Dns, position: (55, 12) },
        HostInfo { name: "mx.example.net".into(), label: "Bob's provider".into(), addr: "198.51.100.25".into(), role: HostRole::MailServer, position: (75, 50) },
    ];
    let mut t = Trace { hosts, conns: vec![ConnInfo { client: 0, server: 1, port: 25, protocol: Protocol::Smtp }], events: vec![] };
    let mut push = |from, to, kind, bytes: &str, state: &str| {
        let i = t.events.len();
        let mut hs = vec![HostSnapshot::default(); 4];
        hs[1].state = state.into();
        t.events.push(TraceEvent { index: i, sent: SimTime::from_millis(i as u64 * 20), at: SimTime::from_millis(i as u64 * 20 + 10), from, to, protocol: Protocol::Smtp, kind, conn: Some(0), bytes: bytes.as_bytes().to_vec(), hosts: hs });
    };
    push(0, 1, EventKind::Connect { port: 25 }, "", "ExpectHelo");
    push(1, 0, EventKind::Reply { code: 220, enhanced: None, to_verb: None }, "220 smtp.example.org ESMTP Mailroom\r\n", "ExpectHelo");
    push(0, 1, EventKind::Command { verb: "EHLO".into() }, "EHLO laptop.example.org\r\n", "ExpectHelo");
    push(1, 0, EventKind::Reply { code: 250, enhanced: None, to_verb: Some("EHLO".into()) }, "250-smtp.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n", "ExpectMail");
    let anchors = lesson.resolve(&t)?;
    Ok(LessonRun { trace: t, anchors })
}
