//! Predict what happens next: a lesson step can ask, before its event, what the engine is
//! about to do. The right answer is never written by hand: it is read from the trace, so
//! a question cannot teach something the simulation does not do. A teacher may still say
//! what they expect (`answer:`); when the engine disagrees, the lesson fails to load (and
//! its test fails), naming both.
//!
//! ~~~text
//! ## Does the address exist?
//! @ reply to RCPT on mx.example.net
//!
//! ```question reply
//! What will Bob's provider answer to RCPT TO:<bobby@example.net>?
//! - 250 the address is fine
//! - 451 try again later
//! - 550 no such mailbox
//! ```
//! ~~~
//!
//! Kinds (the word after ```` ```question ````):
//! - `reply`: the step's event is a reply; the answer is its code (`550`; POP3 `+OK` or
//!   `-ERR`; IMAP `OK`, `NO` or `BAD`). A choice is right when it starts with the code.
//!   Without choices the student types the code.
//! - `speaker`: which host sends the step's event. Choices name hosts (`mx`,
//!   `mx.example.net` or the label, `Bob's provider`).
//! - `outcome`: is the message delivered or bounced? `bounced` when a bounce of the step's
//!   message follows the step's event, else `delivered` when a delivery of it does (to any
//!   of its recipients). Its message: see [`message_of`]. Choices default to both.

use crate::mail;
use crate::trace::{EventKind, HostId, ImapResponse, Status, Trace, TraceEvent};

/// The most choices a question offers.
pub const MAX_CHOICES: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionKind {
    Reply,
    Speaker,
    Outcome,
}

impl QuestionKind {
    fn parse(word: &str) -> Option<QuestionKind> {
        match word.to_ascii_lowercase().as_str() {
            "reply" => Some(QuestionKind::Reply),
            "speaker" => Some(QuestionKind::Speaker),
            "outcome" => Some(QuestionKind::Outcome),
            _ => None,
        }
    }
}

/// A question of a lesson step, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub kind: QuestionKind,
    /// What the student is asked (one line of Markdown-free text).
    pub prompt: String,
    /// The choices offered, in order; empty: the student types the answer (`reply` only).
    pub choices: Vec<String>,
    /// What the teacher expects (`answer:`), checked against the engine.
    pub expect: Option<String>,
    /// The line of its ```` ```question ```` fence in the lesson file, 1-based: where its
    /// errors point (0 when it was not read from a file). The lite build's lessons are its
    /// own, tested ones: their errors name the step's line.
    #[cfg(feature = "teacher")]
    pub line: usize,
    /// The line of its `answer:` (0 without one): where an answer that is not what happens
    /// points, so that the teacher mends that line, not the fence.
    #[cfg(feature = "teacher")]
    pub answer_line: usize,
}

/// The hosts a `speaker` question's choice names: by its label, its name or the name's
/// first part, in any case (a first part, `mx`, may name more than one).
pub(crate) fn hosts_named<'a>(trace: &'a Trace, choice: &'a str) -> impl Iterator<Item = HostId> + 'a {
    trace.hosts.iter().enumerate().filter_map(move |(id, h)| {
        let short = h.name.split('.').next().unwrap_or_default();
        [h.name.as_str(), short, h.label.as_str()]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(choice))
            .then_some(id)
    })
}

/// Where a question about event `at` is asked, as a cursor (the events before it shown):
/// before the event, and before what its sender did on its own just before it: its notes (a
/// server's verdict, "DMARC fail: … p=reject", would give its reply away), and before a
/// reply a message filed in a mailbox or queued (the `250` to the final dot follows them);
/// and after the event of the step above.
// (Inline: called across the crate, from the player, it costs the first load 0.3 KB more out
// of line.)
#[inline]
pub fn asked_at(run: &crate::world::LessonRun, at: usize) -> usize {
    let trace = &run.trace;
    let from = trace.events.get(at).map(|e| e.from);
    // Before a reply, a delivery or a queued message gives it away too (the `250` to the
    // final dot follows them). Only the full build's lessons ask such a question (DKIM's),
    // and only there can a step's own event be among what is passed over: the first load's
    // lessons are kept free of both by a test, and it goes without this code.
    #[cfg(any(feature = "trust", feature = "teacher"))]
    let reply = matches!(trace.events.get(at).map(|e| &e.kind), Some(EventKind::Reply { .. }));
    let own = |e: &TraceEvent| match e.kind {
        EventKind::Note => true,
        #[cfg(any(feature = "trust", feature = "teacher"))]
        EventKind::Delivery { .. } | EventKind::Queued { .. } => reply,
        _ => false,
    };
    let mut i = at;
    while let Some(e) = i.checked_sub(1).and_then(|p| trace.events.get(p))
        && own(e)
        && Some(e.from) == from
        && e.to == e.from
        // Never before the step above's event: DKIM's "No signature" is the note just
        // before the delivery before the reply its next step asks about.
        && (cfg!(not(any(feature = "trust", feature = "teacher"))) || !run.anchors.contains(&Some(e.index)))
    {
        i -= 1;
    }
    i
}

/// The message that event `at` is about (an `outcome` question's): the event that carries
/// it. The message itself (its content after `354`, or a copy filed in a mailbox); on a
/// connection, its transaction's (the content sent after its `MAIL`, or the coming
/// transaction's before any), or, for a transaction that sends none (refused before
/// `DATA`), the last message its client received (a relay's); anywhere else (a note, a DNS
/// lookup, the queue), the last message its host received, or else the next one it sends
/// (a mail program about to send). `None` when there is no such message: a mail program's
/// transaction refused before `DATA`.
#[cfg(feature = "teacher")]
pub fn message_of(trace: &Trace, at: usize) -> Option<&TraceEvent> {
    let events = &trace.events;
    let event = events.get(at)?;
    let data = |e: &&TraceEvent| e.kind == EventKind::MessageData;
    let received = |host| events[..=at].iter().rev().filter(data).find(|e| e.to == host);
    match (&event.kind, event.conn) {
        (EventKind::MessageData | EventKind::Delivery { .. }, _) => Some(event),
        (_, Some(conn)) => {
            let mail = |e: &TraceEvent| {
                e.conn == Some(conn) && matches!(&e.kind, EventKind::Command { verb } if verb == "MAIL")
            };
            let start = events[..=at]
                .iter()
                .rposition(mail)
                .or_else(|| events[at..].iter().position(mail).map(|p| at + p));
            // From that MAIL to the next one on the connection.
            let sent = start.and_then(|start| {
                events[start..]
                    .iter()
                    .filter(|e| e.conn == Some(conn))
                    .skip(1)
                    .take_while(|e| !mail(e))
                    .find(data)
            });
            sent.or_else(|| received(trace.conns.get(conn.0)?.client))
        }
        (kind, None) => {
            let host = if matches!(kind, EventKind::DnsAnswer { .. }) { event.to } else { event.from };
            received(host).or_else(|| events[at..].iter().filter(data).find(|e| e.from == host))
        }
    }
}

/// How the message whose Message-ID is `id` (`<…>`) ends after event `at`: `bounced` when
/// a bounce of it follows (a bounce returns its header, RFC 3462 `text/rfc822-headers`),
/// else `delivered` when a copy of it is filed (to any of its recipients; a bounce filed is
/// another message, with a Message-ID of its own); `None` when neither. With `id` `None`
/// (a message without one; the first load, see [`Question::answer`]), any message.
pub fn outcome(trace: &Trace, at: usize, id: Option<&str>) -> Option<&'static str> {
    let after = trace.events.get(at..)?;
    let of = |e: &TraceEvent| {
        id.is_none_or(|id| {
            let header = match e.kind {
                EventKind::Bounce { .. } => returned_header(&e.bytes),
                _ => &e.bytes,
            };
            mail::header(header, "Message-ID").as_deref() == Some(id)
        })
    };
    if after.iter().any(|e| matches!(e.kind, EventKind::Bounce { .. }) && of(e)) {
        Some("bounced")
    } else if after.iter().any(|e| matches!(e.kind, EventKind::Delivery { .. }) && of(e)) {
        Some("delivered")
    } else {
        None
    }
}

/// The original's header that a bounce returns: its `text/rfc822-headers` part (RFC 3462).
fn returned_header(dsn: &[u8]) -> &[u8] {
    let tree = crate::inspect::mime_tree(dsn);
    let part = tree.children.iter().find(|p| p.content_type == "text/rfc822-headers");
    part.and_then(|p| dsn.get(p.body.clone())).unwrap_or_default()
}

/// The right answer to a question, as the engine produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// In words for the student: `550`, `mx.example.net (Bob's provider)`, `bounced`.
    pub text: String,
    /// Which choice is right, when there are choices.
    pub choice: Option<usize>,
}

impl Question {
    /// Reads a ```` ```question KIND ```` block: `kind` is the fence's word, `text` the
    /// lines inside. Errors are `(line offset in the block, 0 for the fence, what)`.
    pub fn parse(kind: &str, text: &str) -> Result<Question, (usize, String)> {
        let kind = QuestionKind::parse(kind.trim()).ok_or_else(|| {
            #[cfg(feature = "teacher")]
            if kind.trim().is_empty() {
                return (
                    0,
                    "a ```question block says its kind after the word: ```question reply, ```question speaker or ```question outcome".to_string(),
                );
            }
            (
                0,
                format!(
                    "a ```question block says its kind: reply, speaker or outcome, not `{}`",
                    kind.trim()
                ),
            )
        })?;
        let mut q = Question {
            kind,
            prompt: String::new(),
            choices: Vec::new(),
            expect: None,
            #[cfg(feature = "teacher")]
            line: 0,
            #[cfg(feature = "teacher")]
            answer_line: 0,
        };
        for (n, line) in text.lines().enumerate().map(|(n, l)| (n + 1, l.trim())) {
            if line.is_empty() {
                continue;
            } else if let Some(choice) = line.strip_prefix("- ") {
                if q.choices.len() == MAX_CHOICES {
                    return Err((n, format!("a question offers at most {MAX_CHOICES} choices")));
                }
                q.choices.push(choice.trim().to_string());
            } else if let Some(expect) = line.strip_prefix("answer:") {
                q.expect = Some(expect.trim().to_string());
                #[cfg(feature = "teacher")]
                {
                    q.answer_line = n;
                }
            } else if q.prompt.is_empty() {
                q.prompt = line.to_string();
            } else {
                return Err((n, "a question is one line, then its choices as `- ` lines".to_string()));
            }
        }
        if q.prompt.is_empty() {
            return Err((0, "the question has no text: write it on the first line of the block".into()));
        }
        // A host's label written in a word processor: `Bob’s provider` is `Bob's provider`.
        #[cfg(feature = "teacher")]
        if q.kind == QuestionKind::Speaker {
            let straight = |c: &mut String| *c = c.replace(['\u{2018}', '\u{2019}'], "'");
            q.choices.iter_mut().for_each(straight);
            q.expect.iter_mut().for_each(straight);
        }
        if q.kind == QuestionKind::Outcome && q.choices.is_empty() {
            q.choices = vec!["delivered".into(), "bounced".into()];
        }
        if q.choices.is_empty() && q.kind == QuestionKind::Speaker {
            return Err((0, "a `speaker` question offers the hosts to choose from as `- ` lines".into()));
        }
        Ok(q)
    }

    /// The right answer, read from event `at` of `trace` (the step's event); or why this
    /// question cannot be asked there, or why the teacher's choices or `answer:` are not
    /// what happens.
    pub fn answer(&self, trace: &Trace, at: Option<usize>) -> Result<Answer, String> {
        let event = at.and_then(|i| trace.events.get(i)).ok_or("a question cannot be asked at `@ start`")?;
        // The forms of the right answer the student may pick or type.
        let (text, names): (String, Vec<String>) = match self.kind {
            QuestionKind::Reply => {
                let code = match &event.kind {
                    EventKind::Reply { status: Status::Smtp { code, .. }, .. } => code.to_string(),
                    EventKind::Reply { status: Status::Pop3 { ok, .. }, .. } => {
                        (if *ok { "+OK" } else { "-ERR" }).to_string()
                    }
                    EventKind::Reply {
                        status: Status::Imap(ImapResponse::Tagged { condition, .. }), ..
                    } => condition.name().to_string(),
                    #[cfg(not(feature = "teacher"))]
                    _ => return Err("a `reply` question is asked at a reply: anchor the step on one".into()),
                    // What the step is anchored on instead, and the anchor of its reply.
                    #[cfg(feature = "teacher")]
                    other => {
                        // The reply that comes of it, on the same server.
                        let on = &trace.hosts[event.to].name;
                        let (what, anchor) = match other {
                            EventKind::Command { verb } if !verb.is_empty() => {
                                (format!("the command {verb}"), format!("reply to {verb} on {on}"))
                            }
                            EventKind::MessageData => {
                                ("the message itself".to_string(), format!("reply to DATA #2 on {on}"))
                            }
                            _ => (format!("a `{}` event", other.label()), "reply to RCPT on mx".to_string()),
                        };
                        return Err(format!(
                            "a `reply` question is asked at a reply (the code is the answer), and this step's event is {what}: anchor the step on a reply, such as `@ {anchor}`"
                        ));
                    }
                };
                // Each choice starts with a code of the reply's protocol: one that starts
                // otherwise (`5.1.1 unknown user`, the enhanced code; `no such user`) would be
                // said wrong beside a reply that reads `550 5.1.1 … no such user`.
                #[cfg(feature = "teacher")]
                {
                    let (codes, like): (&[&str], &str) = match &event.kind {
                        EventKind::Reply { status: Status::Pop3 { .. }, .. } => {
                            (&["+OK", "-ERR"], "`+OK` or `-ERR`")
                        }
                        EventKind::Reply { status: Status::Imap(_), .. } => {
                            (&["OK", "NO", "BAD"], "`OK`, `NO` or `BAD`")
                        }
                        _ => (&[], "three digits, such as `550`"),
                    };
                    let smtp = |w: &str| w.len() == 3 && w.bytes().all(|b| b.is_ascii_digit());
                    let is_code = |w: &str| {
                        if codes.is_empty() {
                            smtp(w)
                        } else {
                            codes.iter().any(|c| c.eq_ignore_ascii_case(w))
                        }
                    };
                    if let Some(c) = self.choices.iter().find(|c| !is_code(first_word(c))) {
                        let enhanced = if first_word(c).contains('.') {
                            ": that is an enhanced status code (RFC 3463), which comes after the reply's code (`- 550 5.1.1 unknown user`)"
                        } else {
                            ""
                        };
                        return Err(format!(
                            "the choice `{c}` does not start with a reply's code ({like}), so it can never be the answer{enhanced}"
                        ));
                    }
                }
                (code.clone(), vec![code])
            }
            QuestionKind::Speaker => {
                let h = &trace.hosts[event.from];
                let short = h.name.split('.').next().unwrap_or_default().to_string();
                (format!("{} ({})", h.name, h.label), vec![h.name.clone(), short, h.label.clone()])
            }
            QuestionKind::Outcome => {
                // Only the step's own message counts: a later one may end otherwise.
                #[cfg(feature = "teacher")]
                let id = match message_of(trace, event.index) {
                    Some(m) => mail::header(&m.bytes, "Message-ID"),
                    None => return Err(
                        "an `outcome` question asks how a message ends, and this step's transaction sends none (refused before DATA): anchor it on the way of a message that is sent".into(),
                    ),
                };
                // The first load tells no message apart: it plays only the built-in
                // lessons, and for every one of them the outcome of any message after the
                // step is that of its own (tests/lessons.rs checks it), so it goes without
                // `message_of` (a first version of it in the first load cost 978 bytes of
                // gzipped wasm, with 395 left in the budget).
                #[cfg(not(feature = "teacher"))]
                let id: Option<String> = None;
                let what = outcome(trace, event.index, id.as_deref())
                    .ok_or("neither a delivery nor a bounce follows this step's event")?;
                (what.to_string(), vec![what.to_string()])
            }
        };
        let right = |said: &str| self.is(said, &names);
        if let Some(expect) = &self.expect
            && !right(expect)
        {
            // Both wrong: said at once, so that a teacher mends both in one go.
            #[cfg(feature = "teacher")]
            if !self.choices.is_empty() && !self.choices.iter().any(|c| right(c)) {
                return Err(format!(
                    "its `answer: {expect}` is not what happens, and none of its choices is either: the answer is {text}"
                ));
            }
            return Err(format!("its `answer: {expect}` is not what happens: the answer is {text}"));
        }
        if self.kind == QuestionKind::Speaker {
            let unknown: Vec<&String> =
                self.choices.iter().filter(|c| hosts_named(trace, c).next().is_none()).collect();
            if let Some(c) = unknown.first() {
                #[cfg_attr(not(feature = "teacher"), expect(unused_mut))]
                let mut m = format!("the choice `{c}` names no host of this world");
                // Every choice that names none, and the names there are to choose from.
                #[cfg(feature = "teacher")]
                {
                    let all: Vec<String> = unknown.iter().map(|c| format!("`{c}`")).collect();
                    let names: Vec<String> =
                        trace.hosts.iter().map(|h| format!("`{}` ({})", h.label, h.name)).collect();
                    m = format!(
                        "the choice{} {} name{} no host of this world; a choice is a host's label, its name or the name's first part: {}",
                        if all.len() == 1 { "" } else { "s" },
                        all.join(", "),
                        if all.len() == 1 { "s" } else { "" },
                        names.join(", ")
                    );
                }
                return Err(m);
            }
        }
        let matching: Vec<usize> = (0..self.choices.len()).filter(|&i| right(&self.choices[i])).collect();
        match (self.choices.is_empty(), matching.as_slice()) {
            (true, _) => Ok(Answer { text, choice: None }),
            (false, [one]) => Ok(Answer { text, choice: Some(*one) }),
            (false, []) => Err(format!("none of its choices is what happens: the answer is {text}")),
            (false, _) => Err(format!("more than one of its choices is {text}")),
        }
    }

    /// True when `said` (a choice, or what the student typed) is one of `names`: for a
    /// reply, it starts with the code; otherwise the whole of it, in any case.
    fn is(&self, said: &str, names: &[String]) -> bool {
        let said = said.trim();
        let said = if self.kind == QuestionKind::Reply { first_word(said) } else { said };
        names.iter().any(|n| n.eq_ignore_ascii_case(said))
    }

    /// True when the student's `typed` answer (to a question without choices) is right.
    pub fn typed_right(&self, typed: &str, answer: &Answer) -> bool {
        self.is(typed, std::slice::from_ref(&answer.text))
    }
}

/// How the errors of an `answer:` that is not what happens begin.
#[cfg(feature = "teacher")]
pub(crate) const ANSWER_WRONG: &str = "its `answer: ";

/// `550`, `550:`, `550 no such user`, `+OK`, `-ERR.`: the code, without what follows (the
/// first run of letters, digits, `+`, `-` and `.`: `5.1.1` is one word, not `5`).
fn first_word(said: &str) -> &str {
    said.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Lesson;
    use crate::question::QuestionKind as K;
    use crate::world::run_lesson;

    /// A lesson of the standard world (a message to a mailbox that does not exist) with
    /// one step at `anchor` asking `block`.
    fn lesson(anchor: &str, block: &str) -> String {
        // (At `@ start` the first step is the one asked, a line earlier.)
        let before = if anchor == "start" { "\n" } else { "## Before\n@ start\n" };
        format!(
            "---\ntitle: Q\nfrom: Alice <alice@example.org>\nto: Bobby <bobby@example.net>\n---\n\
             {before}\n## Asked\n@ {anchor}\n\n{block}\nText.\n"
        )
    }

    fn run(anchor: &str, block: &str) -> Result<Option<Answer>, String> {
        let l = Lesson::parse("q", &lesson(anchor, block)).map_err(|e| e.to_string())?;
        run_lesson(&l).map(|r| r.answers.last().cloned().flatten()).map_err(|e| e.to_string())
    }

    /// A label written in a word processor (`Bob’s provider`, a curly apostrophe) names the
    /// host whose label has a straight one; a block without its kind says where it goes.
    #[cfg(feature = "teacher")]
    #[test]
    fn a_teachers_typography_is_read_as_meant() {
        let block =
            "```question speaker\nWho answers?\n- Alice\u{2019}s provider\n- Bob\u{2019}s provider\n```";
        let a = run("reply to RCPT on mx.example.net", block).unwrap().unwrap();
        assert_eq!(a.choice, Some(1), "{a:?}");
        let l = Lesson::parse_all("q", &lesson("start", "```question\nWho?\n- mx\n```")).unwrap_err();
        assert!(
            l[0].message.contains("says its kind after the word: ```question reply, ```question speaker"),
            "{l:?}"
        );
    }

    #[test]
    fn the_right_answer_comes_from_the_trace() {
        let three = "- 250 fine\n- 451: later\n- 550: no such mailbox";
        let cases: &[(&str, String, Answer)] = &[
            (
                "reply to RCPT on mx.example.net",
                format!("```question reply\nWhat will mx answer?\n{three}\n```"),
                Answer { text: "550".into(), choice: Some(2) },
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question reply\nType the code mx answers.\nanswer: 550\n```".into(),
                Answer { text: "550".into(), choice: None },
            ),
            (
                "reply 220 from smtp.example.org",
                "```question speaker\nWho speaks first?\n- laptop\n- Alice's provider\n```".into(),
                Answer { text: "smtp.example.org (Alice's provider)".into(), choice: Some(1) },
            ),
            (
                "reply to RCPT on smtp.example.org",
                "```question outcome\nDelivered or bounced?\n```".into(),
                Answer { text: "bounced".into(), choice: Some(1) },
            ),
        ];
        for (anchor, block, want) in cases {
            assert_eq!(run(anchor, block).as_ref(), Ok(&Some(want.clone())), "{block}");
        }
    }

    /// Two messages a minute apart, one delivered to Bob, the other to a mailbox that does
    /// not exist, bounced, in both orders. An `outcome` question is about its step's own
    /// message, not whatever ends last or first.
    #[cfg(feature = "teacher")]
    #[test]
    fn an_outcome_is_the_step_s_own_message_s() {
        let text = |first: &str, second: &str, anchor: &str| {
            format!(
                "---\ntitle: Q\nfrom: Alice <alice@example.org>\nto: Bob <bob@example.net>\n---\n\n\
                 ```world\n\
                 at 0s send from laptop.example.org via smtp.example.org to {first} subject \"First\"\n\
                 at 1m send from laptop.example.org via smtp.example.org to {second} subject \"Second\"\n\
                 ```\n\n## Before\n@ start\n\n## Asked\n@ {anchor}\n\n\
                 ```question outcome\nDelivered or bounced?\n```\nText.\n"
            )
        };
        // (anchor, which message it is about: 1 or 2), the same in both orders.
        let cases = [
            // On a connection: its transaction's message (before MAIL, during, after DATA).
            ("command EHLO on smtp.example.org", 1),
            ("command MAIL on smtp.example.org", 1),
            ("reply to DATA #2 on smtp.example.org", 1),
            ("command MAIL #2 on smtp.example.org", 2),
            ("reply to DATA #4 on smtp.example.org", 2),
            ("command MAIL on mx.example.net", 1),
            // A mail program's note: the message it is about to send.
            ("note on laptop.example.org", 1),
            ("note on laptop.example.org #2", 2),
            // The queue and a DNS lookup: the message the host last received.
            ("queued", 1),
            ("queued #2", 2),
            ("dns answer MX example.net", 1),
            ("dns answer MX example.net #2", 2),
        ];
        let (good, bad) = ("bob@example.net", "bobby@example.net");
        for (first, second, ends) in
            [(good, bad, ["delivered", "bounced"]), (bad, good, ["bounced", "delivered"])]
        {
            // mx refuses the RCPT of the bounced one: its relay transaction sends no DATA,
            // and is about the message the relay holds. mx's DATA is the delivered one's.
            let bounced = if first == bad { 1 } else { 2 };
            let more = [("reply to RCPT on mx.example.net", 1), ("reply to RCPT #2 on mx.example.net", 2)];
            let data = ("command DATA on mx.example.net", 3 - bounced);
            for (anchor, message) in cases.into_iter().chain(more).chain([data]) {
                let l = Lesson::parse("q", &text(first, second, anchor))
                    .unwrap_or_else(|e| panic!("{anchor}: {e}"));
                let r = run_lesson(&l).unwrap_or_else(|e| panic!("{first} first, {anchor}: {e}"));
                let answer = r.answers.last().cloned().flatten().map(|a| a.text);
                assert_eq!(answer.as_deref(), Some(ends[message - 1]), "{first} first, {anchor}");
            }
        }
        // A mail program's transaction refused before DATA sends no message to ask about.
        let text = text("alise@example.org", good, "reply to RCPT on smtp.example.org");
        let err = run_lesson(&Lesson::parse("q", &text).unwrap()).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("sends none (refused before DATA)"), "{err}");
    }

    /// A question is asked before its event, and before the notes its sender wrote just
    /// before it: DMARC's verdict ("DMARC fail: …") would give the 550 away. So would a
    /// delivery or a queued message before the `250` to the final dot (DKIM's "No signature").
    #[cfg(feature = "trust")]
    #[test]
    fn a_question_is_asked_before_the_delivery_that_gives_it_away() {
        let l = crate::lessons::builtin("dkim").unwrap().unwrap();
        let run = run_lesson(&l).unwrap();
        let s = l.steps.iter().position(|s| s.title == "The answer to the unsigned copy").unwrap();
        let reply = run.anchors[s].unwrap();
        let at = asked_at(&run, reply);
        // The step above is the DKIM note just before the delivery: shown, and no further back.
        assert_eq!(Some(at - 1), run.anchors[s - 1], "asked just after the step above");
        assert!(
            run.trace.events[at..reply].iter().any(|e| matches!(e.kind, EventKind::Delivery { .. })),
            "the delivery comes after the question"
        );
    }

    /// In every lesson this build plays, a question is asked after the step above's event,
    /// and no delivery or queued message of the replying host is shown just before a reply
    /// it asks about: so the first load goes without the code that makes sure of both.
    #[test]
    fn no_question_is_asked_before_the_step_above_nor_after_what_gives_it_away() {
        for entry in crate::lessons::INDEX.iter().filter(|e| crate::lessons::runs_here(e)) {
            let l = crate::lessons::builtin(entry.id).unwrap().unwrap();
            let run = run_lesson(&l).unwrap();
            for (n, step) in l.steps.iter().enumerate() {
                let Some(at) = run.anchors[n].filter(|_| step.question.is_some()) else { continue };
                let asked = asked_at(&run, at);
                assert!(
                    run.anchors[..n].iter().flatten().all(|&p| p < asked),
                    "{}: {}",
                    entry.id,
                    step.title
                );
                let Some(before) = asked.checked_sub(1).map(|p| &run.trace.events[p]) else { continue };
                let from = run.trace.events[at].from;
                let gives = matches!(run.trace.events[at].kind, EventKind::Reply { .. })
                    && before.from == from
                    && before.to == from
                    && matches!(before.kind, EventKind::Delivery { .. } | EventKind::Queued { .. });
                assert!(!gives || run.anchors.contains(&Some(before.index)), "{}: {}", entry.id, step.title);
            }
        }
    }

    /// A question is asked before its event, and before the notes its sender wrote just
    /// before it: DMARC's verdict ("DMARC fail: …") would give the 550 away.
    #[cfg(feature = "trust")]
    #[test]
    fn a_question_is_asked_before_the_verdict_that_gives_it_away() {
        let l = crate::lessons::builtin("dmarc").unwrap().unwrap();
        let run = run_lesson(&l).unwrap();
        let s = l.steps.iter().position(|s| s.title == "Refused").unwrap();
        let reply = run.anchors[s].unwrap();
        let at = asked_at(&run, reply);
        assert_eq!(at, reply - 1, "one note before the reply");
        assert!(run.trace.events[at].text().starts_with("DMARC fail"), "{}", run.trace.events[at].text());
        // An event with no note of its sender before it is asked just before itself.
        let first =
            run.anchors.iter().flatten().find(|&&a| a > 0 && run.trace.events[a - 1].kind != EventKind::Note);
        let first = *first.unwrap();
        assert_eq!(asked_at(&run, first), first);
    }

    #[test]
    fn a_question_that_is_not_what_happens_is_refused_at_its_line() {
        let cases = [
            (
                "reply to RCPT on mx.example.net",
                "```question reply\nWhat?\n- 250\n- 451\n```",
                // The block's fence; a build without the teacher's tools names the step's
                // anchor line.
                if cfg!(feature = "teacher") {
                    "line 12: the question of step `Asked`: none of its choices is what happens: the answer is 550"
                } else {
                    "line 10: the question of step `Asked`: none of its choices is what happens: the answer is 550"
                },
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question reply\nWhat?\nanswer: 250\n- 550\n```",
                // The `answer:` line itself, the one to mend.
                if cfg!(feature = "teacher") {
                    "line 14: the question of step `Asked`: its `answer: 250` is not what happens: the answer is 550"
                } else {
                    "line 10: the question of step `Asked`: its `answer: 250` is not what happens: the answer is 550"
                },
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question reply\nWhat?\nanswer: 250\n- 250\n- 451\n```",
                if cfg!(feature = "teacher") {
                    "its `answer: 250` is not what happens, and none of its choices is either: the answer is 550"
                } else {
                    "its `answer: 250` is not what happens: the answer is 550"
                },
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question reply\nWhat?\n- 550 no\n- 550 yes\n```",
                "more than one of its choices is 550",
            ),
            (
                "command RCPT on mx.example.net",
                "```question reply\nWhat?\n- 550\n```",
                "a `reply` question is asked at a reply",
            ),
            ("start", "```question outcome\nWhat?\n```", "cannot be asked at `@ start`"),
            (
                "reply 220 from smtp.example.org",
                "```question speaker\nWho?\n- the moon\n- smtp\n```",
                "the choice `the moon` names no host",
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question guess\nWhat?\n```",
                "line 12: a ```question block says its kind",
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question reply\n- 550\n```",
                "line 12: the question has no text",
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question reply\nWhat?\nAnd what?\n```",
                "line 14: a question is one line",
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question reply\nWhat?\n",
                "line 12: the ```question block is not closed",
            ),
            (
                "reply to RCPT on mx.example.net",
                "```question reply\nA?\n```\n```question reply\nB?\n```",
                "line 15: a step asks at most one question",
            ),
        ];
        for (anchor, block, want) in cases {
            let got = run(anchor, block).unwrap_err();
            assert!(got.contains(want), "{block}:\n  got {got}\n want {want}");
        }
    }

    #[test]
    fn typed_and_chosen_answers_are_read_as_a_student_means_them() {
        let reply = Question {
            kind: K::Reply,
            prompt: "?".into(),
            choices: vec![],
            expect: None,
            #[cfg(feature = "teacher")]
            line: 0,
            #[cfg(feature = "teacher")]
            answer_line: 0,
        };
        let answer = Answer { text: "550".into(), choice: None };
        for (typed, right) in [
            ("550", true),
            (" 550 ", true),
            ("550 no such user", true),
            ("550.", true),
            ("55", false),
            ("5501", false),
            ("", false),
            ("250", false),
            ("5.1.1", false),
        ] {
            assert_eq!(reply.typed_right(typed, &answer), right, "{typed:?}");
        }
        let pop = Answer { text: "-ERR".into(), choice: None };
        assert!(reply.typed_right("-err", &pop) && !reply.typed_right("+OK", &pop));
        assert_eq!(Question::parse("outcome", "Delivered?").unwrap().choices, ["delivered", "bounced"]);
        assert!(Question::parse("speaker", "Who?").unwrap_err().1.contains("offers the hosts"));
        let many = format!("Which?\n{}", (0..9).map(|i| format!("- 2{i}0\n")).collect::<String>());
        assert_eq!(
            Question::parse("reply", &many).unwrap_err(),
            (10, format!("a question offers at most {MAX_CHOICES} choices"))
        );
    }

    #[cfg(feature = "teacher")]
    #[test]
    fn a_reply_choice_starts_with_a_code_of_the_replys_protocol() {
        let anchor = "reply to RCPT on mx.example.net";
        let block =
            |choices: &str| format!("```question reply\nWhat does Bob's provider answer?\n{choices}```\n");
        for choices in ["- 250\n- 550: no such mailbox\n", "- 250 OK\n- 550.\n"] {
            assert!(run(anchor, &block(choices)).is_ok(), "{choices}");
        }
        for (choice, hint) in [("5.1.1 unknown user", true), ("no such user", false), ("+OK", false)] {
            let m = run(anchor, &block(&format!("- 250\n- {choice}\n"))).unwrap_err();
            assert!(
                m.contains(&format!(
                    "the choice `{choice}` does not start with a reply's code (three digits, such as `550`)"
                )),
                "{m}"
            );
            assert_eq!(m.contains("enhanced status code (RFC 3463)"), hint, "{m}");
        }
    }
}
