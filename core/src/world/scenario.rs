//! Scenarios: the standard world of the lessons, and running a lesson in it.

use crate::describe::{ActionDesc, Description, SendSetup};
use crate::lesson::{EmailSpec, Lesson, LessonError};
use crate::mail::Draft;
use crate::time::SimTime;
use crate::trace::{HostId, Trace};

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

/// The standard world (`core/worlds/standard.world`): Alice's laptop, her provider
/// `smtp.example.org`, a DNS resolver, and Bob's provider `mx.example.net` with the
/// mailboxes of Bob and Carol. Returns the laptop too.
pub fn standard_world() -> (World, HostId) {
    let w = World::from_description(&Description::standard());
    let laptop = w.host_by_name(names::LAPTOP).unwrap_or(0);
    (w, laptop)
}

/// One scripted send of a lesson: who sends, through which server, and what.
struct Send<'a> {
    at: SimTime,
    from_host: String,
    via: String,
    email: &'a EmailSpec,
    to: Vec<String>,
    cc: Vec<String>,
    bcc: Vec<String>,
    subject: String,
    program: SendSetup,
}

/// The sends of a lesson: its scripted actions, or by default the laptop sending the
/// lesson's email through Alice's provider at once.
fn sends<'a>(world: &Description, email: &'a EmailSpec) -> Vec<Send<'a>> {
    let scripted: Vec<Send> = world
        .actions
        .iter()
        .filter_map(|a| match a {
            ActionDesc::Send { at, from_host, via, to, subject, program, .. } => Some(Send {
                at: *at,
                from_host: from_host.clone(),
                via: via.clone(),
                email,
                to: if to.is_empty() { email.to.clone() } else { to.clone() },
                // The lesson's copies go with its own recipients only.
                cc: if to.is_empty() { email.cc.clone() } else { Vec::new() },
                bcc: if to.is_empty() { email.bcc.clone() } else { Vec::new() },
                subject: subject.clone().unwrap_or_else(|| email.subject.clone()),
                program: program.clone(),
            }),
            ActionDesc::Retrieve { .. } => None,
            #[cfg(feature = "imap")]
            ActionDesc::Imap { .. } => None,
        })
        .collect();
    if !scripted.is_empty() {
        return scripted;
    }
    vec![Send {
        at: SimTime::ZERO,
        from_host: names::LAPTOP.into(),
        via: names::ALICE_SERVER.into(),
        email,
        to: email.to.clone(),
        cc: email.cc.clone(),
        bcc: email.bcc.clone(),
        subject: email.subject.clone(),
        program: SendSetup::default(),
    }]
}

/// Schedules the sends in `w`; `narrate` adds "Alice writes an email and presses Send."
fn schedule_sends(w: &mut World, sends: &[Send], narrate: bool) -> Result<(), String> {
    for (i, s) in sends.iter().enumerate() {
        let host = w.host_by_name(&s.from_host).ok_or_else(|| format!("there is no host {}", s.from_host))?;
        let via = w.host_by_name(&s.via).ok_or_else(|| format!("there is no host {}", s.via))?;
        let port = w.submission_port(host, via);
        if narrate {
            let first = s.email.from.split(['<', '@']).next().unwrap_or("").trim();
            let who = if first.is_empty() { "Alice" } else { first };
            // The same message from the same device once more: a second try.
            let again = i > 0 && {
                let p = &sends[i - 1];
                p.from_host == s.from_host && p.to == s.to && p.subject == s.subject
            };
            let text = if let Some(sender) = &s.program.sender {
                // A forged sender: whoever is at that computer, not the lesson's sender.
                let label = &w.hosts[host].info.label;
                format!("Someone on {label} sends an email that claims to come from {sender}.")
            } else if s.program.flaw.is_some() {
                format!("{who} runs a home-made program that sends an email.")
            } else if again {
                format!("{who} presses Send again.")
            } else {
                format!("{who} writes an email and presses Send.")
            };
            w.schedule(s.at, super::Action::Note { host, text });
        }
        let draft = Draft {
            from: s.program.sender.as_deref().unwrap_or(&s.email.from),
            to: &s.to,
            cc: &s.cc,
            bcc: &s.bcc,
            subject: &s.subject,
            body: &s.email.body,
            attachments: &s.email.attachments,
        };
        w.send_program_at(s.at, host, &s.via, port, &draft, &s.program).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Schedules the lesson's POP3 retrievals (`at TIME retrieve ...`), `offset` later.
fn schedule_retrievals(w: &mut World, d: &Description, offset: SimTime) -> Result<(), String> {
    for a in &d.actions {
        let ActionDesc::Retrieve { at, from_host, via, user, keep, .. } = a else {
            continue;
        };
        let host = w.host_by_name(from_host).ok_or_else(|| format!("there is no host {from_host}"))?;
        let at = offset.plus(crate::time::SimDuration(at.0));
        #[cfg(feature = "pop3")]
        {
            let label = w.hosts[host].info.label.clone();
            let text = format!("The mail program on {label} checks for new mail for {user}.");
            w.schedule(at, super::Action::Note { host, text });
            w.retrieve_mail_at(at, host, via, user, *keep);
        }
        #[cfg(not(feature = "pop3"))]
        {
            let _ = (host, at, via, user, keep);
            return Err("this build of Mailroom does not simulate POP3 yet".to_string());
        }
    }
    Ok(())
}

/// Schedules the lesson's IMAP actions (`at TIME imap ...`), `offset` later, each with a
/// note that says what the person does.
#[cfg(feature = "imap")]
fn schedule_imap(w: &mut World, d: &Description, offset: SimTime) -> Result<(), String> {
    for a in &d.actions {
        let ActionDesc::Imap { at, from_host, via, user, action, plain, .. } = a else {
            continue;
        };
        let host = w.host_by_name(from_host).ok_or_else(|| format!("there is no host {from_host}"))?;
        let at = offset.plus(crate::time::SimDuration(at.0));
        let label = w.hosts[host].info.label.clone();
        let mut name = user.split('@').next().unwrap_or("").to_string();
        if let Some(first) = name.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let text = format!("On {label}, {name} {}.", action.describe());
        w.schedule(at, super::Action::Note { host, text });
        w.imap_action_at(at, host, via, user, action.clone(), *plain);
    }
    Ok(())
}

/// Runs the `send` scenario in the standard world: the person on the laptop sends
/// `email` via smtp.example.org.
pub fn run_send(email: &EmailSpec) -> Result<Trace, String> {
    run_world(&Description::standard(), email, 1)
}

/// The `send` scenario with `n` messages, one after the other: a long trace, for
/// benchmarks of the engine and of the page.
pub fn run_send_many(email: &EmailSpec, n: usize) -> Result<Trace, String> {
    run_world(&Description::standard(), email, n)
}

/// Runs a described world with a lesson's sends, `n` times over (each round after the
/// previous one has finished).
pub(crate) fn run_world(d: &Description, email: &EmailSpec, n: usize) -> Result<Trace, String> {
    let mut w = World::from_description(d);
    let sends = sends(d, email);
    for round in 0..n.max(1) {
        let offset = w.now();
        let shifted: Vec<Send> = sends
            .iter()
            .map(|s| Send {
                at: offset.plus(crate::time::SimDuration(s.at.0)),
                from_host: s.from_host.clone(),
                via: s.via.clone(),
                email: s.email,
                to: s.to.clone(),
                cc: s.cc.clone(),
                bcc: s.bcc.clone(),
                subject: s.subject.clone(),
                program: s.program.clone(),
            })
            .collect();
        // The first round as the lesson alone has it, its notes too ("Alice writes an
        // email and presses Send."): its events are the same and come first, so the steps'
        // anchors land on them (`the_steps_land_on_the_first_round`).
        schedule_sends(&mut w, &shifted, round == 0)?;
        schedule_retrievals(&mut w, d, offset)?;
        #[cfg(feature = "imap")]
        schedule_imap(&mut w, d, offset)?;
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
    /// For each step: the right answer to its question, if it asks one.
    pub answers: Vec<Option<crate::question::Answer>>,
}

/// Runs a lesson's world and scripted actions, and resolves every step's anchor.
pub fn run_lesson(lesson: &Lesson) -> Result<LessonRun, LessonError> {
    run_lesson_repeated(lesson, 1)
}

/// A lesson file checked as the app, `mailroom-serve check` and the tests check it: read
/// (every mistake of the file, each with its line), then run (every mistake the simulation
/// finds: anchors that match no event or come out of order, questions whose answer is not
/// what happens; a step whose anchor matches nothing has its question left unchecked).
pub fn check_lesson(id: &str, text: &str) -> Result<(Lesson, LessonRun), Vec<LessonError>> {
    #[cfg(feature = "teacher")]
    let lesson = match Lesson::parse_all(id, text) {
        Ok(lesson) => lesson,
        Err(errors) => {
            // Mistakes that change nothing the simulation does (a front matter key it does
            // not know, the listing's path, order, level or minutes): the lesson is also read
            // and run without those lines, so that the simulation's mistakes come with them
            // at once, not after another try.
            if let Some(lesson) = listing_only(text, &errors).and_then(|t| Lesson::parse_all(id, &t).ok()) {
                let more = run_checked(lesson).err().unwrap_or_default();
                return Err(errors.into_iter().chain(more).collect());
            }
            // What most likely caused the mistakes the reader found further down, first. A
            // block left open that the reader found itself is said once.
            let said = |c: &LessonError| {
                c.message.starts_with(NEVER_CLOSED) && errors.iter().any(|e| e.line == c.line)
            };
            let causes: Vec<LessonError> = likely_causes(text).into_iter().filter(|c| !said(c)).collect();
            return Err(causes.into_iter().chain(errors).collect());
        }
    };
    #[cfg(not(feature = "teacher"))]
    let lesson = Lesson::parse_all(id, text)?;
    // A lesson that reads may still hold a block left open: a message that took the world
    // block after it for its text (its hosts then "do not exist"). Said first there too.
    #[cfg(feature = "teacher")]
    return run_checked(lesson).map_err(|errors| likely_causes(text).into_iter().chain(errors).collect());
    #[cfg(not(feature = "teacher"))]
    run_checked(lesson)
}

/// The text of a lesson whose every mistake is on a front matter line the simulation does
/// not need (not the title, the message's fields, the world or the scenario), with those
/// lines left empty; `None` if any mistake is elsewhere.
#[cfg(feature = "teacher")]
fn listing_only(text: &str, errors: &[LessonError]) -> Option<String> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let open = lines.iter().position(|l| !l.trim().is_empty())?;
    let close = open + 1 + lines.get(open + 1..)?.iter().position(|l| l.trim() == "---")?;
    // The listing's keys change nothing the simulation does; a key it does not know is
    // harmless unless it is a slip for one it needs (`scenaro:`).
    use crate::lesson::{KEYS, LISTING_KEYS};
    let harmless = |key: &str| {
        LISTING_KEYS.contains(&key)
            || !KEYS.contains(&key)
                && crate::describe::syntax::did_you_mean(key, &KEYS).is_none_or(|k| LISTING_KEYS.contains(&k))
    };
    let soft = |n: usize| {
        n > open + 1
            && n <= close
            && lines[n - 1].split_once(':').is_some_and(|(k, _)| harmless(&k.trim().to_ascii_lowercase()))
    };
    let wrong: Vec<usize> = errors.iter().map(|e| e.line).collect();
    wrong.iter().all(|&n| soft(n)).then(|| {
        let kept = lines.iter().enumerate().map(|(i, l)| if wrong.contains(&(i + 1)) { "" } else { *l });
        kept.collect::<Vec<_>>().join("\n")
    })
}

/// A lesson that reads, run: every mistake the simulation finds (see [`check_lesson`]).
fn run_checked(lesson: Lesson) -> Result<(Lesson, LessonRun), Vec<LessonError>> {
    let trace =
        run_world(&lesson.world, &lesson.email, 1).map_err(|m| vec![LessonError { line: 0, message: m }])?;
    let (anchors, failed) = lesson.resolve_each(&trace);
    // Anchors written for another run (the sender changed, and the server refused it)
    // match nothing: what the run did says why, last (not when every anchor that failed
    // names a host there is not, or comes out of order).
    #[cfg(feature = "teacher")]
    let run_did = failed
        .iter()
        .any(|(_, e)| e.message.contains(crate::lesson::SUCH_EVENT))
        .then(|| what_the_run_did(&trace))
        .flatten();
    let mut errors = Vec::new();
    let mut answers = Vec::with_capacity(anchors.len());
    let mut failed = failed.into_iter().peekable();
    for (n, at) in anchors.iter().enumerate() {
        // In step order: this step's anchor mistake, else its question's.
        let mut wrong = false;
        while let Some((_, e)) = failed.next_if(|(i, _)| *i == n) {
            errors.push(e);
            wrong = true;
        }
        match lesson.answer(n, &trace, *at) {
            _ if wrong => answers.push(None),
            Ok(a) => answers.push(a),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        #[cfg(feature = "teacher")]
        errors.extend(run_did.map(|message| LessonError { line: 0, message }));
        return Err(errors);
    }
    Ok((lesson, LessonRun { trace, anchors, answers }))
}

/// How [`likely_causes`] says a block was left open.
#[cfg(feature = "teacher")]
const NEVER_CLOSED: &str = "the block opened here is never closed";

/// A slip that the reader cannot tell from what was meant, and reports where its effects
/// show, further down: a block fence left open (it swallows the steps after it). Said at
/// its own line. (The other such slip, a heading without the space after `##`, the reader
/// names itself: [`crate::lesson::heading_slip`].)
#[cfg(feature = "teacher")]
fn likely_causes(text: &str) -> Vec<LessonError> {
    let mut found = Vec::new();
    let never_closed = |line: usize, fence: &str, until: &str| LessonError {
        line,
        message: format!(
            "{NEVER_CLOSED}{until}: a line with only {fence} on it ends it (what follows was read as part of the block)"
        ),
    };
    let mut open: Option<(usize, &str)> = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(fence) = ["```", "~~~"].into_iter().find(|f| t.starts_with(f)) {
            // What follows the fence: nothing (or more of it) ends a block; a word opens one.
            let rest = t.trim_end().trim_start_matches(fence.chars().next().unwrap_or('`'));
            open = match open {
                Some((_, f)) if f == fence && rest.is_empty() => None,
                // Another block of the same fence opens (```question): the one before was
                // left open.
                Some((at, f)) if f == fence && rest.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                    found.push(never_closed(at, f, &format!(" before line {}", n + 1)));
                    Some((n + 1, fence))
                }
                Some(o) => Some(o),
                None => Some((n + 1, fence)),
            };
        }
    }
    if let Some((line, fence)) = open {
        found.push(never_closed(line, fence, ""));
    }
    found
}

/// How the line that says what a lesson's run did begins: it comes after the mistakes, and
/// is none itself.
#[cfg(feature = "teacher")]
pub const RUN_DID: &str = "what this lesson's run did";

/// What a run did, in words, for the anchors that match nothing: the replies that refused
/// something ("smtp.example.org answered `530 ...` to `MAIL FROM:<...>`", the first three),
/// where mail was delivered, and for whom it bounced. With the sender changed in the front
/// matter, for one, the run is refused early, and with a recipient's domain mistyped the
/// message bounces: the anchors written for the lesson find nothing.
#[cfg(feature = "teacher")]
fn what_the_run_did(trace: &Trace) -> Option<String> {
    use crate::trace::EventKind;
    let first_line = |e: &crate::trace::TraceEvent| e.text().lines().next().unwrap_or_default().to_string();
    let said: Vec<String> = trace
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Reply { status, .. } if !status.is_positive()))
        .map(|e| {
            let command = trace.command_for_reply(e.index).map(|c| &trace.events[c]);
            let to = command.map(|c| match c.kind {
                EventKind::MessageData => " to the message".to_string(),
                _ => format!(" to `{}`", first_line(c)),
            });
            // Refused for want of a login (RFC 4954 §6): say how the program logs in.
            let command = command.map(first_line).unwrap_or_default();
            let login = match (&e.kind, command.strip_prefix("MAIL FROM:<").and_then(|r| r.split_once('>'))) {
                (EventKind::Reply { status, .. }, Some((sender, _))) if status.smtp_code() == Some(530) => format!(
                    " (its mail program logs in as the sender, with the password of the sender's `user` line, and did not: give {sender} one, `user {sender} password \"…\"`, or send from a user who has one)"
                ),
                _ => String::new(),
            };
            format!("{} answered `{}`{}{login}", trace.hosts[e.from].name, first_line(e), to.unwrap_or_default())
        })
        .collect();
    let more = if said.len() > 3 { format!(", and {} more", said.len() - 3) } else { String::new() };
    let mut parts = Vec::new();
    if !said.is_empty() {
        parts.push(format!("refused: {}{more}", said.iter().take(3).cloned().collect::<Vec<_>>().join("; ")));
    }
    // Each address once, in the order of the run.
    let mut list = |addrs: &mut dyn Iterator<Item = String>, what: &str| {
        let mut seen: Vec<String> = Vec::new();
        for a in addrs {
            if !seen.contains(&a) {
                seen.push(a);
            }
        }
        if !seen.is_empty() {
            parts.push(format!("{what} {}", seen.join(", ")));
        }
    };
    list(
        &mut trace.events.iter().filter_map(|e| match &e.kind {
            // A bounce or a delay warning is delivered too, with an empty return path.
            EventKind::Delivery { mailbox } if e.bytes.starts_with(b"Return-Path: <>") => {
                Some(format!("{mailbox} (a bounce or a warning)"))
            }
            EventKind::Delivery { mailbox } => Some(mailbox.clone()),
            _ => None,
        }),
        "mail delivered to",
    );
    list(
        // Each recipient group's `Final-Recipient: rfc822; bob@example.com` (RFC 3464 §2.3.2).
        &mut trace
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Bounce { .. }))
            .filter_map(|e| crate::inspect::dsn(&e.bytes))
            .flat_map(|d| d.recipients)
            .flat_map(|group| group.into_iter().filter(|f| f.name.eq_ignore_ascii_case("Final-Recipient")))
            .map(|f| f.value.rsplit(';').next().unwrap_or_default().trim().to_string()),
        "bounced, not delivered:",
    );
    (!parts.is_empty())
        .then(|| format!("{RUN_DID}, to compare with the anchors that match nothing: {}", parts.join("; ")))
}

/// The most messages [`run_lesson_repeated`] sends: about 11,700 events in "Sending an
/// email" (47 a message; the page benchmark asks for 10,000, see README).
pub const MAX_REPEAT: usize = 250;

/// Runs a lesson's scenario with its sends repeated `n` times (clamped to
/// 1..=[`MAX_REPEAT`]), for a long trace; the steps' anchors land on the first round.
pub fn run_lesson_repeated(lesson: &Lesson, n: usize) -> Result<LessonRun, LessonError> {
    let n = n.clamp(1, MAX_REPEAT);
    let trace =
        run_world(&lesson.world, &lesson.email, n).map_err(|m| LessonError { line: 0, message: m })?;
    let anchors = lesson.resolve(&trace)?;
    let answers = lesson.answers(&trace, &anchors)?;
    Ok(LessonRun { trace, anchors, answers })
}

#[cfg(test)]
mod repeated {
    use super::*;

    /// `?messages=N`: every lesson this build runs plays with its email sent more than once,
    /// its steps on the same events as with one (a note of the first round was missing, and
    /// ten lessons stopped at an anchor out of order).
    #[test]
    fn the_steps_land_on_the_first_round() {
        for (id, text) in crate::lessons::BUILTIN {
            if !crate::lessons::entry(id).is_some_and(crate::lessons::runs_here) {
                continue;
            }
            let lesson = Lesson::parse(id, text).unwrap();
            let once = run_lesson(&lesson).unwrap();
            let thrice = run_lesson_repeated(&lesson, 3).unwrap_or_else(|e| panic!("{id}: {}", e.message));
            assert_eq!(thrice.anchors, once.anchors, "{id}");
            assert_eq!(thrice.answers, once.answers, "{id}");
            let n = once.trace.events.len();
            assert!(thrice.trace.events.len() > n, "{id}");
            for (a, b) in once.trace.events.iter().zip(&thrice.trace.events) {
                assert_eq!((a.at, &a.kind, &a.bytes), (b.at, &b.kind, &b.bytes), "{id} #{}", a.index);
            }
        }
    }
}

#[cfg(all(test, feature = "teacher"))]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_that_reads_has_no_likely_cause() {
        // Every built-in lesson (fences of ``` and ~~~, ### headings, blocks in blocks).
        for (id, text) in crate::lessons::BUILTIN {
            let causes: Vec<String> = likely_causes(text).iter().map(ToString::to_string).collect();
            assert!(causes.is_empty(), "{id}: {causes:?}");
        }
    }

    #[test]
    fn a_heading_without_its_space_is_a_mistake_of_its_own() {
        let text = crate::lessons::BUILTIN.iter().find(|(id, _)| *id == "sending-an-email").unwrap().1;
        assert!(check_lesson("s", text).is_ok());
        // Into the narration of the last step: the file reads, and its run finds no fault.
        let slipped = format!("{}\n##Delivered\n", text.trim_end());
        let line = slipped.lines().count();
        let errors = check_lesson("s", &slipped).unwrap_err();
        let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [format!(
                "line {line}: `##Delivered` is read as narration, not as a step: a step's heading is `## ` with a space, then its title"
            )]
        );
        // In a code block of the narration it is the block's text.
        let quoted = format!("{}\n```\n##Delivered\n```\n", text.trim_end());
        assert!(check_lesson("s", &quoted).is_ok());
        // With another mistake above it, said once all the same; `###` is a heading of the
        // narration, and `##` alone is text.
        let both =
            format!("{}\n### Fine\n##\n##Delivered\n", text.trim_end()).replacen("title:", "titel:", 1);
        let said: Vec<String> =
            check_lesson("s", &both).unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(said.iter().filter(|m| m.contains("`##Delivered`")).count(), 1, "{said:?}");
        assert_eq!(said.iter().filter(|m| m.contains("read as narration")).count(), 1, "{said:?}");
    }

    #[test]
    fn slips_are_named_at_their_line() {
        let text = "---\ntitle: T\n---\n##One\n@ start\n~~~\n```message\n~~~\n### Three\n```message\nhi\n```question reply\n````\n";
        let said: Vec<String> =
            check_lesson("t", text).unwrap_err().iter().map(ToString::to_string).collect();
        let first = |start: &str| said.iter().filter(|m| m.starts_with(start)).count();
        assert_eq!(first("line 4: `##One` is read as narration"), 1, "{said:?}");
        assert_eq!(first("line 10: the block opened here is never closed before line 12"), 1, "{said:?}");
        let causes: Vec<String> = likely_causes(text).iter().map(ToString::to_string).collect();
        assert_eq!(causes.len(), 1, "{causes:?}");
        // Said first, before what the reader found further down.
        assert!(said[0].starts_with("line 10: the block opened here"), "{said:?}");
    }
}
