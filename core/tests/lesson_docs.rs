//! The lesson writers' guide, `lessons/README.md`, cannot rot: every complete lesson in it
//! (a block fenced as ````` ````markdown lesson `````) parses and runs with every anchor found,
//! every ```` ```world ```` block outside them runs on top of the standard world, every
//! anchor it shows parses, and every directive, keyword, front matter key and limit of the
//! lesson format appears in it.

use std::collections::BTreeSet;

use mailroom_core::describe::{DIRECTIVES, POP3_CUT_VERBS, REPLY_VERBS, SMTP_CUT_VERBS, ServiceKind};
use mailroom_core::lesson::{Lesson, MAX_ATTACHMENTS, MAX_LESSON_BYTES, MAX_STEPS};
use mailroom_core::lessons::{Level, Path};
use mailroom_core::world::run_lesson;

const README: &str = include_str!("../../lessons/README.md");

/// The fence of a complete lesson in the guide.
const LESSON_FENCE: &str = "````markdown lesson";

/// The guide's fenced blocks at the top level: (the opening line, the lines inside).
fn blocks() -> Vec<(&'static str, String)> {
    blocks_in(README)
}

/// The fenced blocks at the top level of `text`.
fn blocks_in(text: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let fence: String = line.chars().take_while(|&c| c == '`' || c == '~').collect();
        if fence.len() < 3 {
            continue;
        }
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim_end() != fence).collect();
        out.push((line, body.join("\n") + "\n"));
    }
    out
}

/// The guide's inline code spans (outside fenced blocks), as written between the backticks.
fn code_spans() -> Vec<String> {
    let mut spans = Vec::new();
    let mut fence: Option<String> = None;
    for line in README.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`' || c == '~').collect();
        match &fence {
            Some(f) if line.trim_end() == f => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => spans_of(line, &mut spans),
        }
    }
    spans
}

/// The code spans of one line: a run of n backticks opens a span that the next run of
/// exactly n backticks closes (CommonMark 6.1).
fn spans_of(line: &str, out: &mut Vec<String>) {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, c) in line.char_indices() {
        match runs.last_mut() {
            Some((start, n)) if c == '`' && *start + *n == i => *n += 1,
            _ if c == '`' => runs.push((i, 1)),
            _ => {}
        }
    }
    let mut k = 0;
    while k < runs.len() {
        let (start, n) = runs[k];
        match runs[k + 1..].iter().position(|r| r.1 == n) {
            Some(j) => {
                out.push(line[start + n..runs[k + 1 + j].0].trim().to_string());
                k += j + 2;
            }
            None => k += 1,
        }
    }
}

/// Every word of the guide's code: its inline code spans and its fenced blocks, lower case.
fn code_words() -> BTreeSet<String> {
    let mut text: Vec<String> = code_spans();
    text.extend(blocks().into_iter().map(|(_, body)| body));
    text.iter()
        .flat_map(|t| {
            t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).map(str::to_ascii_lowercase)
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// True when `lesson` can run in this build (POP3 retrievals need the `pop3` feature).
fn runs_here(lesson: &Lesson) -> bool {
    use mailroom_core::describe::ActionDesc;
    cfg!(feature = "pop3") || !lesson.world.actions.iter().any(|a| matches!(a, ActionDesc::Retrieve { .. }))
}

#[test]
fn every_complete_lesson_in_the_guide_parses_and_runs() {
    let mut ran = 0;
    for (fence, text) in blocks().into_iter().filter(|(f, _)| f.trim_end() == LESSON_FENCE) {
        // Without the `imap` feature the world block cannot even be read.
        if !cfg!(feature = "imap") && text.contains(" imap from ") {
            continue;
        }
        // Nor, without `pop3`, one that cuts a connection.
        if !cfg!(feature = "pop3") && text.lines().any(|l| l.starts_with("cut ")) {
            continue;
        }
        let title = text.lines().find_map(|l| l.strip_prefix("title: ")).unwrap_or(fence).to_string();
        let lesson = Lesson::parse("guide", &text).unwrap_or_else(|e| panic!("{title}: {e}"));
        if !runs_here(&lesson) {
            continue;
        }
        let run = run_lesson(&lesson).unwrap_or_else(|e| panic!("{title}: {e}"));
        assert_eq!(run.anchors.len(), lesson.steps.len(), "{title}");
        assert!(lesson.steps.iter().all(|s| !s.body.is_empty()), "{title}: a step without narration");
        ran += 1;
    }
    // The minimal lesson and the three examples.
    assert!(ran >= if cfg!(feature = "pop3") { 4 } else { 3 }, "only {ran} complete lessons ran");
}

#[test]
fn every_world_block_of_the_guide_runs_in_the_standard_world() {
    let mut worlds: Vec<String> = Vec::new();
    for (fence, body) in blocks() {
        match fence.trim_end() {
            "```world" => worlds.push(body),
            // A world block shown with its fences.
            "````text" => worlds.extend(
                blocks_in(&body).into_iter().filter(|(f, _)| f.trim_end() == "```world").map(|(_, b)| b),
            ),
            _ => {}
        }
    }
    let mut ran = 0;
    for block in worlds {
        if !cfg!(feature = "imap") && block.contains(" imap from ") {
            continue;
        }
        let text = format!(
            "---\ntitle: T\nfrom: Alice <alice@example.org>\nto: bob@example.net\nsubject: Lunch\n---\n```world\n{block}```\n## S\n@ start\nx\n"
        );
        let lesson = Lesson::parse("guide", &text).unwrap_or_else(|e| panic!("{e}\n{block}"));
        if runs_here(&lesson) {
            run_lesson(&lesson).unwrap_or_else(|e| panic!("{e}\n{block}"));
            ran += 1;
        }
    }
    assert!(ran >= if cfg!(feature = "imap") { 2 } else { 1 }, "only {ran} world blocks ran");
}

#[cfg(feature = "imap")]
#[test]
fn every_anchor_the_guide_shows_parses() {
    let anchors: Vec<String> =
        code_spans().into_iter().filter_map(|s| s.strip_prefix("@ ").map(str::to_string)).collect();
    assert!(anchors.len() > 20, "{anchors:?}");
    for a in anchors {
        mailroom_core::lesson::Anchor::parse(&a).unwrap_or_else(|e| panic!("`@ {a}`: {e}"));
    }
}

#[test]
fn every_directive_and_keyword_of_the_world_block_is_documented() {
    let spans = code_spans();
    let words = code_words();
    let mut missing = Vec::new();
    // Each directive with its syntax (a code span that starts with its name), and every
    // keyword of that syntax: the lower-case words of how it reads (`retry`, `keep`, ...).
    #[cfg(feature = "imap")]
    let imap = [("at", mailroom_core::describe::IMAP_USAGE)];
    #[cfg(not(feature = "imap"))]
    let imap = [];
    let usages = DIRECTIVES.iter().chain(&imap).copied();
    for (name, usage) in usages {
        if !spans.iter().any(|s| s.split_whitespace().next() == Some(name)) {
            missing.push(format!("the directive `{name}` (as `{usage}`)"));
        }
        let keywords = usage
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| {
                w.chars().any(|c| c.is_ascii_lowercase()) && !w.chars().any(|c| c.is_ascii_uppercase())
            })
            .filter(|w| *w != "or");
        for k in keywords {
            if !words.contains(k) {
                missing.push(format!("the keyword `{k}` of `{name}`"));
            }
        }
    }
    let values = ServiceKind::ALL.iter().map(|k| k.name().to_string());
    for v in
        values.chain([REPLY_VERBS, SMTP_CUT_VERBS, POP3_CUT_VERBS].concat().iter().map(|v| v.to_string()))
    {
        if !spans.contains(&v) {
            missing.push(format!("`{v}`"));
        }
    }
    assert!(missing.is_empty(), "lessons/README.md does not show:\n{}", missing.join("\n"));
}

#[test]
fn every_front_matter_key_value_and_limit_is_documented() {
    let spans = code_spans();
    let mut missing = Vec::new();
    // The parser names every key it knows when it meets one it does not.
    let e = Lesson::parse("x", "---\ntitle: T\nfrom: a@b\nto: c@d\nnot-a-key: 1\n---\n## S\n@ start\n")
        .unwrap_err();
    let known = e.message.split("(known: ").nth(1).and_then(|k| k.strip_suffix(')')).expect(&e.message);
    assert!(known.contains("title"), "{known}");
    for key in known.split(", ") {
        if !spans.contains(&format!("{key}:")) {
            missing.push(format!("the key `{key}:`"));
        }
    }
    let values = Path::ALL.map(Path::key).into_iter().chain(Level::ALL.map(Level::key));
    for v in values {
        if !spans.iter().any(|s| s == v) {
            missing.push(format!("`{v}`"));
        }
    }
    let limits = [
        format!("At most {MAX_STEPS} steps"),
        format!("at most {MAX_ATTACHMENTS}"),
        format!("1 to {}", mailroom_core::listing::MAX_MINUTES),
        format!("{MAX_LESSON_BYTES} bytes"),
        format!("At most {} hosts", mailroom_core::describe::MAX_HOSTS),
    ];
    for limit in limits {
        if !README.contains(&limit) {
            missing.push(format!("the limit “{limit}”"));
        }
    }
    assert!(missing.is_empty(), "lessons/README.md does not show:\n{}", missing.join("\n"));
}

/// The guide's IMAP world block shows what it says: the phone hears of the laptop's read.
#[cfg(feature = "imap")]
#[test]
fn the_imap_world_block_of_the_guide_tells_the_phone() {
    let (_, block) = blocks()
        .into_iter()
        .find(|(f, b)| f.trim_end() == "```world" && b.contains(" imap from "))
        .expect("the guide has an IMAP world block");
    let text = format!(
        "---\ntitle: T\nfrom: Alice <alice@example.org>\nto: bob@example.net\nsubject: Lunch\n---\n```world\n{block}```\n## S\n@ reply * FETCH to bob-phone #2\nx\n"
    );
    let lesson = Lesson::parse("guide", &text).unwrap_or_else(|e| panic!("{e}"));
    let run = run_lesson(&lesson).unwrap_or_else(|e| panic!("{e}"));
    let pushed = run.trace.events[run.anchors[0].unwrap()].text();
    assert_eq!(pushed, "* 1 FETCH (FLAGS (\\Seen))\r\n");
}

#[test]
fn the_readme_lists_every_lesson() {
    // The project's README has a table of the lessons, one row each, by title.
    let readme = include_str!("../../README.md");
    for (id, text) in mailroom_core::lessons::BUILTIN {
        let lesson = Lesson::parse(id, text).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(
            readme.contains(&format!("\n| {} |", lesson.title)),
            "README.md's lesson table has no row for {:?}",
            lesson.title
        );
    }
}
