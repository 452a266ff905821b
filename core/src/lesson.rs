//! Lessons: data files that teachers write without touching Rust.
//!
//! A lesson is a Markdown file with a small front matter (`key: value` lines between
//! `---` fences), an optional ```` ```message ```` block with the body of the email that
//! the scenario sends, and then one `## Title` section per step. The first line of a step
//! that starts with `@` is its *anchor*: which trace event the step belongs to, by meaning
//! ("the reply to RCPT"), never by position. A change in the engine that moves or removes
//! that event makes the anchor fail, and so fails the lesson's test. The guide for teachers,
//! with every key, block, anchor and directive and complete examples, is `lessons/README.md`
//! (its examples are tested by `tests/lesson_docs.rs`).
//!
//! ~~~text
//! ---
//! title: Sending an email
//! from: Alice <alice@example.org>
//! to: Bob <bob@example.net>
//! subject: Lunch on Friday?
//! ---
//! ```message
//! Hi Bob, ...
//! ```
//! ## The greeting
//! @ reply 220 on smtp.example.org
//! Narration in Markdown...
//! ~~~
//!
//! Anchor grammar (words are case-insensitive; `#n` picks the n-th match, default 1):
//! `start` · `connect` · `close` · `command VERB` · `reply CODE` · `reply +OK` ·
//! `reply -ERR` · `reply to VERB` · (IMAP) `reply OK|NO|BAD|+|* NAME` and
//! `reply to VERB OK|NO|BAD|+|* NAME` · `data` · `dns query [TYPE] [NAME]` ·
//! `dns answer [TYPE] [NAME]` · `queued` · `delivery [MAILBOX]` · `bounce` · `delayed` ·
//! `tls [FLIGHT]` · `note`, each optionally followed by
//! `on HOST` (the server of the connection, or the host where it happens), `from HOST`,
//! `to HOST` and `#n`. Host names may be DNS names or the short names `laptop` etc.

use std::fmt;

use crate::describe::Description;
use crate::listing::Listing;
#[cfg(feature = "teacher")]
use crate::question::ANSWER_WRONG;
use crate::question::{Answer, Question};
use crate::trace::{EventKind, Status, TlsFlight, Trace, TraceEvent};

/// Lesson files larger than this are refused: a lesson is prose, not a data dump.
pub const MAX_LESSON_BYTES: usize = 256 * 1024;
/// The most files a lesson's message carries.
pub const MAX_ATTACHMENTS: usize = 8;
/// More steps than this is surely a mistake in the file.
pub const MAX_STEPS: usize = 200;

/// A parsed lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    /// Short identifier used in URLs, e.g. `sending-an-email`.
    pub id: String,
    pub title: String,
    /// One sentence for the lesson library.
    pub summary: String,
    /// Where it sits in the learning path, its level and time (`path:`, `order:`,
    /// `level:`, `minutes:`).
    pub listing: Listing,
    /// Which built-in scenario the World runs (`send` for now).
    pub scenario: String,
    /// The email the scenario sends.
    pub email: EmailSpec,
    /// The world it runs in: a named world (`world: standard`) with the lesson's own
    /// ```` ```world ```` directives on top (hosts, faults, scripted sends).
    pub world: Description,
    pub steps: Vec<Step>,
}

/// What the simulated person types into their mail client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailSpec {
    /// `Display Name <addr>` or a bare address.
    pub from: String,
    /// One or more recipients, comma-separated in the file.
    pub to: Vec<String>,
    /// Copies (`cc:`), named in the header.
    pub cc: Vec<String>,
    /// Blind copies (`bcc:`): in the envelope only.
    pub bcc: Vec<String>,
    pub subject: String,
    /// The body, lines separated by `\n`.
    pub body: String,
    /// Files sent with it (```` ```attachment NAME ```` blocks).
    pub attachments: Vec<crate::mail::Attachment>,
}

/// One step of a lesson's narration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    pub anchor: Anchor,
    /// The anchor as written, for error messages.
    pub anchor_text: String,
    /// Markdown narration (untrusted: the UI renders it into DOM nodes, never raw HTML).
    pub body: String,
    /// Line of its `@` anchor in the file, 1-based: where the mistakes of its anchor point
    /// (an editor's "go to line" lands on what to change).
    pub line: usize,
    /// What the student predicts before the step's event (a ```` ```question ```` block).
    pub question: Option<Question>,
}

/// Which event a step is tied to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub what: AnchorKind,
    pub on: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// 1-based: the n-th matching event.
    pub nth: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorKind {
    /// Before the first event.
    Start,
    Connect,
    Close,
    Command(String),
    Reply(u16),
    /// A POP3 response: `+OK` (true) or `-ERR` (false).
    Pop3Reply(bool),
    ReplyTo(String),
    Data,
    DnsQuery {
        qtype: Option<String>,
        name: Option<String>,
    },
    DnsAnswer {
        qtype: Option<String>,
        name: Option<String>,
    },
    Queued,
    Delivery(Option<String>),
    Bounce,
    /// A "delayed" warning (a DSN with `Action: delayed`).
    Delayed,
    /// A flight of the TLS handshake after STARTTLS: `ClientHello`, `ServerHello` or
    /// `Finished` (any of them without a name).
    Tls(Option<String>),
    Note,
    /// An IMAP response (feature `imap`): `reply OK`, `reply * EXISTS`, `reply +`, or
    /// `reply to SELECT OK`: of that kind, answering that command when `verb` is given.
    #[cfg(feature = "imap")]
    ImapReply {
        verb: Option<String>,
        kind: ImapReplyKind,
    },
}

/// Which IMAP responses an anchor names (RFC 3501 §7).
#[cfg(feature = "imap")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImapReplyKind {
    /// The tagged `OK`, `NO` or `BAD` that ends a command.
    Tagged(crate::trace::ImapCondition),
    /// Untagged data `* NAME` (`* EXISTS`, `* FETCH`, `* OK`, `* BYE`).
    Untagged(String),
    /// A continuation request `+`.
    Continuation,
}

/// `OK`, `NO`, `BAD`, `+` or `* NAME` at the front of `w`, for an IMAP reply anchor.
#[cfg(feature = "imap")]
fn imap_reply_kind<'a>(w: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>) -> Option<ImapReplyKind> {
    use crate::trace::ImapCondition as C;
    let kind = match w.peek()?.to_ascii_uppercase().as_str() {
        "OK" => ImapReplyKind::Tagged(C::Ok),
        "NO" => ImapReplyKind::Tagged(C::No),
        "BAD" => ImapReplyKind::Tagged(C::Bad),
        "+" => ImapReplyKind::Continuation,
        "*" => {
            w.next();
            return Some(ImapReplyKind::Untagged(w.next()?.to_ascii_uppercase()));
        }
        _ => return None,
    };
    w.next();
    Some(kind)
}

/// An IMAP command is `UID FETCH` in two words (RFC 3501 §6.4.8).
#[cfg(feature = "imap")]
fn imap_verb<'a>(verb: &str, w: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>) -> String {
    let mut verb = verb.to_ascii_uppercase();
    if verb == "UID"
        && let Some(next) = w.next_if(|s| {
            !s.starts_with('#') && !matches!(s.to_ascii_lowercase().as_str(), "on" | "from" | "to")
        })
    {
        verb = format!("UID {}", next.to_ascii_uppercase());
    }
    verb
}

/// A problem in a lesson file, with the line it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for LessonError {}

/// The front matter that opens on line `opened` (1-based, its `---`) has no closing `---`:
/// the whole lesson was read as front matter. The teachers' build says where it should
/// most likely have ended: before the first line that cannot be `name: value` (a fenced
/// block, a heading, an anchor, a line of prose), so that the editor's go-to-line lands
/// where the `---` is missing.
fn front_matter_not_closed(lines: &[&str], opened: usize, mut errors: Vec<LessonError>) -> Vec<LessonError> {
    #[cfg(feature = "teacher")]
    {
        let end = lines.iter().enumerate().skip(opened).find(|(_, l)| {
            let l = l.trim();
            l.starts_with("```")
                || l.starts_with("##")
                || l.starts_with('@')
                || (!l.is_empty() && !l.starts_with('#') && !l.contains(':'))
        });
        if let Some((n, l)) = end {
            let shown = crate::export::cut(l.trim(), 41);
            // The mistakes found above it still stand; those below were read as front
            // matter by mistake.
            errors.retain(|e| e.line <= n);
            errors.push(err(
                n + 1,
                format!(
                    "the front matter opened by the `---` on line {opened} is not closed: put a `---` line before this one, which reads: {shown}"
                ),
            ));
            return errors;
        }
    }
    #[cfg(not(feature = "teacher"))]
    let _ = (lines, &mut errors);
    vec![err(opened, "the front matter is not closed with `---`")]
}

/// What is wrong with `line` when it is a step's heading without the space after `##`
/// (`##Delivered`): Markdown reads it as a line of text, so it would be narration.
#[cfg(feature = "teacher")]
pub fn heading_slip(line: &str) -> Option<String> {
    let rest = line.strip_prefix("##")?;
    rest.starts_with(|c: char| !c.is_whitespace() && c != '#').then(|| {
        format!("`{line}` is read as narration, not as a step: a step's heading is `## ` with a space, then its title")
    })
}

/// A line of a step's narration that is an anchor (`@ …`), the lines `above` it before:
/// where to say so (1-based) and what. After a heading of another level than `## `, the
/// heading is the slip; otherwise the anchor is not on the line after its heading.
#[cfg(feature = "teacher")]
pub fn anchor_slip(above: &[&str], line: &str) -> Option<(usize, String)> {
    let anchor = line.trim();
    if !anchor.starts_with('@') {
        return None;
    }
    let shown = crate::export::cut(anchor, 41);
    if let Some(k) = above.iter().rposition(|l| !l.trim().is_empty()) {
        if heading_slip(above[k]).is_some() {
            return None; // `##Title`, said already
        }
        let heading = above[k].trim();
        if heading.starts_with('#') && !heading.starts_with("## ") {
            let heading = crate::export::cut(heading, 41);
            return Some((
                k + 1,
                format!(
                    "`{heading}` is not a step's heading, so its anchor `{shown}` is read as narration: a step's heading is `## ` (two #, a space), then its title"
                ),
            ));
        }
    }
    Some((
        above.len() + 1,
        format!(
            "`{shown}` is read as narration: a step's anchor goes on the first line after its `## ` heading"
        ),
    ))
}

/// An opening code fence (CommonMark §4.5), `rest` being a line after its indentation: at
/// least three backticks (the rest of the line without a backtick) or tildes. Returns the
/// character and the length. The page's Markdown (`src/markdown/blocks.rs`) and the
/// lesson's reading of its steps both use it, so that they agree where a block ends.
pub fn opening_fence(rest: &[u8]) -> Option<(u8, usize)> {
    let ch = *rest.first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.iter().take_while(|&&c| c == ch).count();
    if len < 3 || (ch == b'`' && rest[len..].contains(&b'`')) {
        return None;
    }
    Some((ch, len))
}

/// The length of a closing fence of `ch` (followed only by spaces, not tabs, as in
/// pulldown-cmark), or 0; `rest` a line after its indentation. A closing fence has no info
/// string: ```question inside a ````text block is text of the block.
pub fn closing_fence(rest: &[u8], ch: u8) -> usize {
    let len = rest.iter().take_while(|&&c| c == ch).count();
    if len >= 3 && rest[len..].iter().all(|&c| c == b' ') { len } else { 0 }
}

/// A line of a step's text after up to three spaces (more make it indented code, in
/// which no fence opens or closes).
fn unindented(line: &str) -> Option<&[u8]> {
    let rest = line.trim_start_matches(' ');
    (line.len() - rest.len() <= 3).then_some(rest.as_bytes())
}

/// The fence that opens a block on `line` and the rest of its info string after `word`:
/// "```world" is (('`', 3), ""), "````attachment menu.txt" (('`', 4), " menu.txt").
fn block_opening<'a>(line: &'a str, word: &str) -> Option<((u8, usize), &'a str)> {
    let fence = unindented(line).and_then(opening_fence)?;
    let rest = &line.trim_start_matches(' ')[fence.1..];
    Some((fence, rest.strip_prefix(word)?))
}

/// True when `line` closes a block opened with `fence` (its character and length).
fn closes(line: &str, (ch, len): (u8, usize)) -> bool {
    unindented(line).is_some_and(|rest| closing_fence(rest, ch) >= len)
}

/// The lines of a fenced block that starts before `lines[*i]`, up to its closing fence
/// (as CommonMark closes one, [`closing_fence`]: a line of ``` with a word after it is the
/// block's text, and a block opened with ```` holds ``` lines); `None` when the file ends
/// first. `*i` moves past the closing fence.
fn fenced_block(lines: &[&str], i: &mut usize, fence: (u8, usize)) -> Option<String> {
    let start = *i;
    while *i < lines.len() {
        *i += 1;
        if closes(lines[*i - 1], fence) {
            return Some(lines[start..*i - 1].join("\n"));
        }
    }
    None
}

fn err(line: usize, message: impl Into<String>) -> LessonError {
    LessonError { line, message: message.into() }
}

impl Lesson {
    /// Parses a lesson file. `id` is its file stem. On error, the first one (see
    /// [`Lesson::parse_all`] for every one).
    pub fn parse(id: &str, text: &str) -> Result<Lesson, LessonError> {
        Lesson::parse_all(id, text).map_err(|mut errors| errors.swap_remove(0))
    }

    /// Parses a lesson file, and on error says every mistake it can find, in line order
    /// (a teacher fixes them all at once): each wrong front matter line, every error of
    /// the world block, every step without a readable anchor. Never an empty list.
    pub fn parse_all(id: &str, text: &str) -> Result<Lesson, Vec<LessonError>> {
        if text.len() > MAX_LESSON_BYTES {
            return Err(vec![err(0, format!("the lesson is larger than {MAX_LESSON_BYTES} bytes"))]);
        }
        // Editors on Windows may start the file with a byte order mark.
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let lines: Vec<&str> = text.lines().collect();
        let mut errors: Vec<LessonError> = Vec::new();
        let mut i = 0;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        if lines.get(i).map(|l| l.trim()) != Some("---") {
            return Err(vec![err(i + 1, "a lesson starts with front matter between `---` lines")]);
        }
        i += 1;
        let mut title = None;
        let mut summary = String::new();
        let mut scenario = ("send".to_string(), 0);
        let mut world_name = ("standard".to_string(), 0);
        let mut from = None;
        let mut to = None;
        let (mut cc, mut bcc) = (Vec::new(), Vec::new());
        let list = |v: &str| {
            v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<_>>()
        };
        let mut subject = String::new();
        let mut listing = Listing::default();
        let front_start = i;
        loop {
            let Some(line) = lines.get(i) else {
                return Err(front_matter_not_closed(&lines, front_start, errors));
            };
            i += 1;
            if line.trim() == "---" {
                break;
            }
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                errors.push(err(i, format!("expected `key: value`, found `{}`", line.trim())));
                continue;
            };
            let value = value.trim().to_string();
            let key = key.trim().to_ascii_lowercase();
            let header = matches!(key.as_str(), "from" | "to" | "cc" | "bcc" | "subject");
            if header && value.chars().any(|c| c.is_control()) {
                errors.push(err(i, "header values may not contain control characters"));
                continue;
            }
            // `to: Bob <bob@example.net>; Carol <carol@example.net>` (a mail program's
            // habit) would send to Carol alone: the address is read from the last `<...>`.
            #[cfg(feature = "teacher")]
            if matches!(key.as_str(), "to" | "cc" | "bcc")
                && (value.contains(';') || value.split(',').any(|a| unquoted(a).matches('@').count() > 1))
            {
                errors.push(err(
                    i,
                    format!(
                        "`{key}:` holds one address or several separated by commas, as `{key}: Bob <bob@example.net>, carol@example.net` (a `;` or a missing comma runs two together)"
                    ),
                ));
            }
            match key.as_str() {
                "title" => title = Some(value),
                "summary" => summary = value,
                "scenario" => scenario = (value, i),
                "world" => world_name = (value, i),
                "from" => from = Some(value),
                "to" => to = Some(list(&value)),
                "cc" => cc = list(&value),
                "bcc" => bcc = list(&value),
                "subject" => subject = value,
                other => match listing.read(other, &value) {
                    Some(Ok(())) => {}
                    Some(Err(what)) => errors.push(err(i, what)),
                    None => {
                        let hint = crate::describe::syntax::typo_hint(other, &KEYS);
                        errors.push(err(
                            i,
                            format!("unknown front matter key `{other}`{hint} (known: {})", KEYS.join(", ")),
                        ))
                    }
                },
            }
        }
        // The closing `---` (1-based): where a missing key is reported.
        let front_end = i;
        if title.is_none() {
            errors.push(err(front_end, "the front matter needs a `title:`"));
        }
        if scenario.0 != "send" {
            errors.push(err(scenario.1, format!("unknown scenario `{}` (known: send)", scenario.0)));
        }
        if from.is_none() {
            errors.push(err(front_end, "the front matter needs `from:`"));
        }
        if to.as_ref().is_none_or(|t| t.is_empty()) {
            errors.push(err(front_end, "the front matter needs `to:`"));
        }
        let mut world = Description::named(&world_name.0).unwrap_or_else(|| {
            errors.push(err(
                world_name.1,
                format!("unknown world `{}` (known: {})", world_name.0, crate::describe::NAMED.join(", ")),
            ));
            Description::standard()
        });
        let mut body = String::new();
        let mut attachments = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        // Steps whose anchor could not be read: counted, so that the lesson is not also
        // said to have no step.
        let mut broken_steps = 0;
        // Inside a fenced block of a step: its fence (character, length) and the line it
        // opened on.
        let mut fence: Option<((u8, usize), usize)> = None;
        while i < lines.len() {
            let line = lines[i];
            i += 1;
            let block = ["world", "message", "attachment"].into_iter().find_map(|b| {
                (fence.is_none() && steps.is_empty() && broken_steps == 0)
                    .then(|| block_opening(line, b).map(|(f, info)| (b, f, info)))
                    .flatten()
            });
            if let Some((kind, opened, info)) = block {
                let start = i;
                let Some(text) = fenced_block(&lines, &mut i, opened) else {
                    errors.push(err(start, format!("the ```{kind} block is not closed")));
                    break;
                };
                if kind == "message" {
                    body = text;
                } else if kind == "attachment" {
                    // ```attachment menu.txt: the file's name after the word, its text inside.
                    let name = info.trim();
                    if name.is_empty() {
                        errors.push(err(
                            start,
                            "an ```attachment block names its file: ```attachment menu.txt",
                        ));
                    } else if attachments.len() == MAX_ATTACHMENTS {
                        errors.push(err(
                            start,
                            format!("a lesson sends at most {MAX_ATTACHMENTS} attachments"),
                        ));
                    } else {
                        let mut data = text.replace('\n', "\r\n").into_bytes();
                        data.extend_from_slice(b"\r\n");
                        attachments.push(crate::mail::Attachment::new(name, data));
                    }
                } else if let Err(es) = world.extend(&text, start + 1) {
                    // Its directives add to the named world; errors point into this file.
                    // The line is the error's own (said once, before it).
                    errors.extend(es.iter().map(|e| {
                        err(e.line, format!("in the ```world block, column {}: {}", e.column, e.message))
                    }));
                }
                continue;
            }
            // A step's question: ```question KIND, read into the step, not its narration.
            if let (None, Some(step), Some((opened, kind))) =
                (fence, steps.last_mut(), block_opening(line, "question"))
            {
                let start = i;
                let Some(text) = fenced_block(&lines, &mut i, opened) else {
                    errors.push(err(start, "the ```question block is not closed"));
                    break;
                };
                if step.question.is_some() {
                    errors.push(err(start, "a step asks at most one question"));
                }
                match Question::parse(kind, &text) {
                    #[cfg(feature = "teacher")]
                    Ok(q) => {
                        let answer_line = if q.answer_line > 0 { start + q.answer_line } else { 0 };
                        step.question = Some(Question { line: start, answer_line, ..q });
                    }
                    #[cfg(not(feature = "teacher"))]
                    Ok(q) => step.question = Some(q),
                    Err((n, what)) => errors.push(err(start + n, what)),
                }
                continue;
            }
            if let Some((opened, _)) = fence {
                if closes(line, opened) {
                    fence = None;
                }
            } else if let Some(f) = unindented(line).and_then(opening_fence) {
                fence = Some((f, i));
            } else if let Some(heading) = line.strip_prefix("## ") {
                if steps.len() + broken_steps == MAX_STEPS {
                    errors.push(err(i, format!("a lesson has at most {MAX_STEPS} steps")));
                    break;
                }
                let heading_line = i;
                // The anchor: the first non-blank line after the heading, starting with `@`.
                while i < lines.len() && lines[i].trim().is_empty() {
                    i += 1;
                }
                let anchor_line = lines.get(i).map(|l| l.trim()).unwrap_or("");
                let Some(anchor_text) = anchor_line.strip_prefix('@') else {
                    errors.push(err(
                        heading_line,
                        format!("step `{}` needs an anchor line such as `@ reply to RCPT`", heading.trim()),
                    ));
                    broken_steps += 1;
                    continue;
                };
                i += 1;
                match Anchor::parse(anchor_text) {
                    Ok(anchor) => steps.push(Step {
                        title: heading.trim().to_string(),
                        anchor,
                        anchor_text: anchor_text.trim().to_string(),
                        body: String::new(),
                        // `i` is past the anchor now: its 1-based line.
                        line: i,
                        question: None,
                    }),
                    Err(m) => {
                        errors.push(err(i, m));
                        broken_steps += 1;
                    }
                }
                continue;
            }
            // `##Title`: meant as a step, read as narration (the step above would take its
            // anchor and question, unseen). A teacher's lesson is told; ours have none.
            #[cfg(feature = "teacher")]
            if let Some(m) = heading_slip(line).filter(|_| fence.is_none()) {
                errors.push(err(i, m));
            }
            // An anchor read as narration (its heading `#` or `###`, or a line between them):
            // the students would read the `@ …` line in the step above's text.
            #[cfg(feature = "teacher")]
            if let Some((n, m)) =
                anchor_slip(&lines[..i - 1], line).filter(|_| fence.is_none() && !steps.is_empty())
            {
                errors.push(err(n, m));
            }
            match steps.last_mut() {
                Some(step) => {
                    step.body.push_str(line);
                    step.body.push('\n');
                }
                None if line.trim().is_empty() || broken_steps > 0 => {}
                None => errors.push(err(i, "text before the first `## ` step")),
            }
        }
        // A step's block left open would take every step after it for its text, unseen. (One
        // opened before any step is text before the first step, said already.)
        if let Some(((ch, len), line)) = fence.filter(|_| !steps.is_empty()) {
            let f = char::from(ch).to_string().repeat(len);
            errors.push(err(line, format!("this {f} block is not closed: the file ends inside it")));
        }
        if steps.is_empty() && broken_steps == 0 {
            errors.push(err(0, "a lesson needs at least one `## ` step"));
        }
        let (Some(title), Some(from), Some(to), true) = (title, from, to, errors.is_empty()) else {
            // Line order; the ones of the whole file (line 0) last.
            crate::sort::sort_by_key(&mut errors, |e| if e.line == 0 { usize::MAX } else { e.line });
            return Err(errors);
        };
        for s in &mut steps {
            s.body = s.body.trim().to_string();
        }
        Ok(Lesson {
            id: id.to_string(),
            title,
            summary,
            listing,
            scenario: scenario.0,
            email: EmailSpec { from, to, cc, bcc, subject, body, attachments },
            world,
            steps,
        })
    }

    /// Finds the event of every step in `trace`. Steps must follow the trace's order.
    /// `Start` resolves to `None` (before the first event).
    pub fn resolve(&self, trace: &Trace) -> Result<Vec<Option<usize>>, LessonError> {
        let (out, mut errors) = self.resolve_each(trace);
        match errors.is_empty() {
            true => Ok(out),
            false => Err(errors.swap_remove(0).1),
        }
    }

    /// Every step's event, and every step whose anchor matches no event or comes before
    /// the step above it (with its index): a teacher sees all of them at once. A step
    /// that matches nothing is left out of the order (`None` in the list).
    pub fn resolve_each(&self, trace: &Trace) -> (Vec<Option<usize>>, Vec<(usize, LessonError)>) {
        let mut out = Vec::with_capacity(self.steps.len());
        let mut errors = Vec::new();
        let mut last: Option<Option<usize>> = None;
        #[cfg(feature = "teacher")]
        let mut above = 0;
        for (n, step) in self.steps.iter().enumerate() {
            let found = match step.anchor.find(trace) {
                Ok(found) => found,
                Err(m) => {
                    errors.push((
                        n,
                        err(step.line, format!("step `{}`: @ {}: {m}", step.title, step.anchor_text)),
                    ));
                    out.push(None);
                    continue;
                }
            };
            if last.is_some_and(|last| found <= last) {
                #[cfg_attr(not(feature = "teacher"), expect(unused_mut))]
                let mut m = format!(
                    "step `{}` (@ {}) comes before the step above it in the trace",
                    step.title, step.anchor_text
                );
                // Which two steps, and where each lands, for the teacher to see which one
                // is anchored on the wrong event.
                #[cfg(feature = "teacher")]
                {
                    let at = |f: Option<usize>| f.map_or(0, |i| i + 1);
                    let a = &self.steps[above];
                    m = if last == Some(found) {
                        format!(
                            "step `{}` (@ {}) is anchored on the same event as the step above it, `{}` (@ {}, line {}): each step needs an event of its own, later than the one above it",
                            step.title, step.anchor_text, a.title, a.anchor_text, a.line
                        )
                    } else {
                        format!(
                            "step `{}` (@ {}), at step {} of the player, comes before the step above it, `{}` (@ {}, line {}), at step {}: steps follow the order of what happens; one of the two is anchored on another event than you meant",
                            step.title,
                            step.anchor_text,
                            at(found),
                            a.title,
                            a.anchor_text,
                            a.line,
                            at(last.flatten())
                        )
                    };
                }
                errors.push((n, err(step.line, m)));
            }
            last = Some(found);
            #[cfg(feature = "teacher")]
            {
                above = n;
            }
            out.push(found);
        }
        (out, errors)
    }

    /// The right answer to step `n`'s question (`None` without one), read from `trace` at
    /// the step's event `at`.
    pub fn answer(&self, n: usize, trace: &Trace, at: Option<usize>) -> Result<Option<Answer>, LessonError> {
        let Some(step) = self.steps.get(n) else { return Ok(None) };
        let Some(q) = &step.question else { return Ok(None) };
        q.answer(trace, at).map(Some).map_err(|m| {
            // An `answer:` that is not what happens: its own line, the one to mend.
            #[cfg(feature = "teacher")]
            let line = if q.answer_line > 0 && m.starts_with(ANSWER_WRONG) { q.answer_line } else { q.line };
            #[cfg(not(feature = "teacher"))]
            let line = step.line;
            err(line, format!("the question of step `{}`: {m}", step.title))
        })
    }

    /// The right answer to every step's question (`None` for a step without one), read
    /// from `trace` at the step's event (`anchors`, from [`Lesson::resolve`]).
    pub fn answers(
        &self,
        trace: &Trace,
        anchors: &[Option<usize>],
    ) -> Result<Vec<Option<Answer>>, LessonError> {
        anchors.iter().enumerate().map(|(n, at)| self.answer(n, trace, *at)).collect()
    }
}

/// The front matter's keys.
pub(crate) const KEYS: [&str; 13] = [
    "title", "summary", "path", "order", "level", "minutes", "from", "to", "cc", "bcc", "subject", "world",
    "scenario",
];

/// The front matter's keys that change nothing the simulation does: the listing's.
#[cfg(feature = "teacher")]
pub(crate) const LISTING_KEYS: [&str; 5] = ["summary", "path", "order", "level", "minutes"];

/// What an anchor that matches nothing is said to miss: "no such event happens", "fewer
/// than 2 such events happen" (written out there: a `format!` costs the first load more).
pub const SUCH_EVENT: &str = "such event";

impl Anchor {
    pub fn parse(text: &str) -> Result<Anchor, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut w = words.iter().copied().peekable();
        let lower = |s: &str| s.to_ascii_lowercase();
        let head = w.next().ok_or("empty anchor")?;
        let is_qualifier = |s: &str| matches!(lower(s).as_str(), "on" | "from" | "to") || s.starts_with('#');
        let what = match lower(head).as_str() {
            "start" => AnchorKind::Start,
            "connect" => AnchorKind::Connect,
            "close" => AnchorKind::Close,
            "data" => AnchorKind::Data,
            "queued" => AnchorKind::Queued,
            "bounce" => AnchorKind::Bounce,
            "delayed" => AnchorKind::Delayed,
            "tls" => match w.peek().filter(|s| !is_qualifier(s)) {
                Some(_) => {
                    let name = w.next().unwrap_or_default();
                    let flight = [TlsFlight::ClientHello, TlsFlight::ServerHello, TlsFlight::ClientFinished]
                        .into_iter()
                        .find(|f| f.label().eq_ignore_ascii_case(name))
                        .ok_or_else(|| {
                            format!(
                                "`tls` names a flight: ClientHello, ServerHello or Finished, not `{name}`"
                            )
                        })?;
                    AnchorKind::Tls(Some(flight.label().to_string()))
                }
                None => AnchorKind::Tls(None),
            },
            "note" => AnchorKind::Note,
            "command" => {
                let verb = w.next().ok_or("`command` needs a verb, e.g. `command MAIL`")?;
                #[cfg(feature = "imap")]
                let verb = &imap_verb(verb, &mut w);
                AnchorKind::Command(verb.to_ascii_uppercase())
            }
            #[cfg(feature = "imap")]
            "reply"
                if w.peek().is_some_and(|s| ["ok", "no", "bad", "+", "*"].contains(&lower(s).as_str())) =>
            {
                let kind = imap_reply_kind(&mut w).ok_or("`reply *` needs a name, e.g. `reply * EXISTS`")?;
                AnchorKind::ImapReply { verb: None, kind }
            }
            #[cfg(feature = "imap")]
            "reply" if w.peek().is_some_and(|s| lower(s) == "to") => {
                w.next();
                let verb = w.next().ok_or("`reply to` needs a verb, e.g. `reply to RCPT`")?;
                let verb = imap_verb(verb, &mut w);
                match imap_reply_kind(&mut w) {
                    Some(kind) => AnchorKind::ImapReply { verb: Some(verb), kind },
                    None => AnchorKind::ReplyTo(verb),
                }
            }
            "reply" => {
                let next = w.next().ok_or("`reply` needs a code or `to VERB`")?;
                if next.eq_ignore_ascii_case("+OK") || next.eq_ignore_ascii_case("-ERR") {
                    AnchorKind::Pop3Reply(next.starts_with('+'))
                } else if lower(next) == "to" {
                    let verb = w.next().ok_or("`reply to` needs a verb, e.g. `reply to RCPT`")?;
                    AnchorKind::ReplyTo(verb.to_ascii_uppercase())
                } else {
                    let code: u16 =
                        next.parse().ok().filter(|c| (200..600).contains(c)).ok_or_else(|| {
                            format!("`{next}` is not a reply code (SMTP: 250, POP3: +OK or -ERR)")
                        })?;
                    AnchorKind::Reply(code)
                }
            }
            "dns" => {
                let which = w.next().ok_or("`dns` needs `query` or `answer`")?;
                let mut qtype = None;
                let mut name = None;
                if let Some(t) = w.next_if(|s| !is_qualifier(s)) {
                    // `dns query example.net`: the name where the type goes.
                    #[cfg(feature = "teacher")]
                    if t.contains('.') {
                        return Err(format!(
                            "`dns {which} {t}`: the type comes first, then the name: `dns {which} MX {t}` (or A, TXT)"
                        ));
                    }
                    qtype = Some(t.to_ascii_uppercase());
                }
                if let Some(n) = w.next_if(|s| !is_qualifier(s)) {
                    name = Some(n.trim_end_matches('.').to_ascii_lowercase());
                }
                match lower(which).as_str() {
                    "query" => AnchorKind::DnsQuery { qtype, name },
                    "answer" => AnchorKind::DnsAnswer { qtype, name },
                    other => {
                        return Err(format!("`dns {other}`: expected `dns query` or `dns answer`"));
                    }
                }
            }
            "delivery" => AnchorKind::Delivery(w.next_if(|s| !is_qualifier(s)).map(lower)),
            other => {
                const KINDS: [&str; 13] = [
                    "start", "connect", "close", "data", "queued", "bounce", "delayed", "tls", "note",
                    "command", "reply", "dns", "delivery",
                ];
                let hint = crate::describe::syntax::typo_hint(other, &KINDS);
                return Err(format!(
                    "unknown anchor `{other}`{hint}; an anchor starts with one of: {}",
                    KINDS.join(", ")
                ));
            }
        };
        let mut anchor = Anchor { what, on: None, from: None, to: None, nth: 1 };
        // Whether the word before was a host's name (after `on`, `from` or `to`).
        #[cfg(feature = "teacher")]
        let mut after_host = false;
        while let Some(word) = w.next() {
            if let Some(n) = word.strip_prefix('#') {
                anchor.nth = n
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("`{word}`: expected #1, #2, ..."))?;
                #[cfg(feature = "teacher")]
                {
                    after_host = false;
                }
                continue;
            }
            let slot = match lower(word).as_str() {
                "on" => &mut anchor.on,
                "from" => &mut anchor.from,
                "to" => &mut anchor.to,
                // A host written by its label on the diagram (`on Bob's provider`) ends here.
                #[cfg(feature = "teacher")]
                _ if after_host => {
                    return Err(format!(
                        "unexpected `{word}`: `on`, `from` and `to` take one host's name, as in `on mx` or `on mx.example.net` (not its label on the diagram, as `Bob's provider`)"
                    ));
                }
                #[cfg(feature = "teacher")]
                _ => {
                    return Err(format!(
                        "unexpected `{word}`: after the kind of event come only `on HOST`, `from HOST`, `to HOST` and `#n`"
                    ));
                }
                #[cfg(not(feature = "teacher"))]
                _ => return Err(format!("unexpected `{word}`")),
            };
            let value = w.next().ok_or_else(|| format!("`{word}` needs a host name"))?;
            *slot = Some(value.to_ascii_lowercase());
            #[cfg(feature = "teacher")]
            {
                after_host = true;
            }
        }
        Ok(anchor)
    }

    /// The index of the event this anchor names, `None` for `start`.
    pub fn find(&self, trace: &Trace) -> Result<Option<usize>, String> {
        if self.what == AnchorKind::Start {
            return Ok(None);
        }
        let host_matches = |id: usize, name: &Option<String>| match name {
            None => true,
            Some(n) => {
                let h = &trace.hosts[id];
                h.name.eq_ignore_ascii_case(n)
                    || h.name.split('.').next().is_some_and(|s| s.eq_ignore_ascii_case(n))
            }
        };
        for name in [&self.on, &self.from, &self.to].into_iter().flatten() {
            if !trace.hosts.iter().enumerate().any(|(id, _)| host_matches(id, &Some(name.clone()))) {
                #[cfg(feature = "teacher")]
                {
                    // The hosts there are, by the names an anchor takes, and the nearest one.
                    let names: Vec<&str> = trace.hosts.iter().map(|h| h.name.as_str()).collect();
                    let hint = crate::describe::syntax::typo_hint(name, &names);
                    return Err(format!(
                        "there is no host `{name}`{hint}; the hosts are {}",
                        names.join(", ")
                    ));
                }
                #[cfg(not(feature = "teacher"))]
                return Err(format!("there is no host `{name}`"));
            }
        }
        let kind_ok = |e: &TraceEvent| -> bool {
            match (&self.what, &e.kind) {
                (AnchorKind::Connect, EventKind::Connect { .. }) => true,
                (AnchorKind::Close, EventKind::Close) => true,
                (AnchorKind::Command(v), EventKind::Command { verb }) => v == verb,
                (AnchorKind::Reply(c), EventKind::Reply { status, .. }) => status.smtp_code() == Some(*c),
                (AnchorKind::Pop3Reply(ok), EventKind::Reply { status: Status::Pop3 { ok: o, .. }, .. }) => {
                    ok == o
                }
                (AnchorKind::ReplyTo(v), EventKind::Reply { to_verb, .. }) => {
                    to_verb.as_deref() == Some(v.as_str())
                }
                (AnchorKind::Data, EventKind::MessageData) => true,
                (AnchorKind::DnsQuery { qtype, name }, EventKind::DnsQuery { name: n, qtype: t, .. })
                | (AnchorKind::DnsAnswer { qtype, name }, EventKind::DnsAnswer { name: n, qtype: t, .. }) => {
                    qtype.as_ref().is_none_or(|q| q == t)
                        && name.as_ref().is_none_or(|q| q.eq_ignore_ascii_case(n))
                }
                (AnchorKind::Queued, EventKind::Queued { .. }) => true,
                (AnchorKind::Delivery(m), EventKind::Delivery { mailbox }) => {
                    m.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(mailbox))
                }
                (AnchorKind::Bounce, EventKind::Bounce { .. }) => true,
                (AnchorKind::Delayed, EventKind::Delayed { .. }) => true,
                (AnchorKind::Tls(f), EventKind::Tls { flight, .. }) => {
                    f.as_deref().is_none_or(|f| f == flight.label())
                }
                (AnchorKind::Note, EventKind::Note) => true,
                #[cfg(feature = "imap")]
                (
                    AnchorKind::ImapReply { verb, kind },
                    EventKind::Reply { status: Status::Imap(r), to_verb, .. },
                ) => {
                    use crate::trace::ImapResponse as R;
                    verb.as_ref().is_none_or(|v| to_verb.as_ref() == Some(v))
                        && match (kind, r) {
                            (ImapReplyKind::Tagged(c), R::Tagged { condition, .. }) => c == condition,
                            (ImapReplyKind::Untagged(n), R::Untagged { name }) => n == name,
                            (ImapReplyKind::Continuation, R::Continuation) => true,
                            _ => false,
                        }
                }
                _ => false,
            }
        };
        // `on`: the server side of the connection, or the host of a local event. A note
        // about a connection (it broke, it timed out) is on the host that noted it, as
        // every local event is.
        let server = |e: &TraceEvent| match e.conn {
            Some(c) if e.travels() => trace.conns[c.0].server,
            _ => e.to,
        };
        let matches = |e: &TraceEvent| -> bool {
            kind_ok(e)
                && host_matches(server(e), &self.on)
                && host_matches(e.from, &self.from)
                && host_matches(e.to, &self.to)
        };
        trace.events.iter().filter(|e| matches(e)).nth(self.nth - 1).map(|e| Some(e.index)).ok_or_else(|| {
            #[cfg_attr(not(feature = "teacher"), expect(unused_mut))]
            let mut m = if self.nth == 1 {
                "no such event happens".to_string()
            } else {
                format!("fewer than {} such events happen", self.nth)
            };
            // Where the same kind of event does happen, for the teacher to compare.
            #[cfg(feature = "teacher")]
            {
                let such: Vec<&TraceEvent> = trace.events.iter().filter(|e| kind_ok(e)).collect();
                let mut places: Vec<(usize, Vec<usize>)> = Vec::new();
                for e in &such {
                    match places.iter_mut().find(|(h, _)| *h == server(e)) {
                        Some((_, steps)) => steps.push(e.index + 1),
                        None => places.push((server(e), vec![e.index + 1])),
                    }
                }
                let mut said: Vec<String> = places
                    .iter()
                    .take(3)
                    .map(|(h, steps)| {
                        let n = steps.len();
                        let shown: Vec<String> = steps.iter().take(4).map(ToString::to_string).collect();
                        let more = if n > 4 { ", ..." } else { "" };
                        let word = if n == 1 { "step" } else { "steps" };
                        format!("on {} ({word} {}{more})", trace.hosts[*h].name, shown.join(", "))
                    })
                    .collect();
                if places.len() > 3 {
                    said.push("...".into());
                }
                if !said.is_empty() {
                    let times = match such.len() {
                        1 => "once".to_string(),
                        n => format!("{n} times"),
                    };
                    m.push_str(&format!(
                        "; whatever the hosts, events of this kind happen {times}: {}",
                        said.join(", ")
                    ));
                }
                // A command no one sends in this run: the nearest one that is sent
                // (`RCTP` for `RCPT`).
                let named = match &self.what {
                    AnchorKind::Command(v) | AnchorKind::ReplyTo(v) => Some(v.as_str()),
                    #[cfg(feature = "imap")]
                    AnchorKind::ImapReply { verb: Some(v), .. } => Some(v.as_str()),
                    _ => None,
                };
                if let Some(v) = named.filter(|_| such.is_empty()) {
                    let mut sent: Vec<String> = trace
                        .events
                        .iter()
                        .filter_map(|e| match &e.kind {
                            EventKind::Command { verb } if !verb.is_empty() => {
                                Some(verb.to_ascii_lowercase())
                            }
                            _ => None,
                        })
                        .collect();
                    sent.sort_unstable();
                    sent.dedup();
                    let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
                    // Sent, but answered otherwise or not at all: no spelling to mend.
                    let is_sent = sent.contains(&v.to_ascii_lowercase().as_str());
                    if let Some(k) = crate::describe::syntax::did_you_mean(v, &sent).filter(|_| !is_sent) {
                        let k = k.to_ascii_uppercase();
                        m.push_str(&format!(" (no `{v}` is sent in this run: did you mean `{k}`?)"));
                    }
                }
            }
            m
        })
    }
}

/// `"bob@example.net" <bob@example.net>` without its quoted display name: an `@` inside
/// quotes is part of the name (RFC 5322 §3.2.4), not another address.
#[cfg(feature = "teacher")]
fn unquoted(address: &str) -> String {
    address.split('"').step_by(2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "---\ntitle: T\nfrom: a@example.org\nto: b@example.net\n---\n## Go\n@ start\nHello *there*.\n";

    #[test]
    fn parses_a_minimal_lesson() {
        let l = Lesson::parse("t", MINIMAL).unwrap();
        assert_eq!(l.title, "T");
        assert_eq!(l.email.to, vec!["b@example.net"]);
        assert_eq!(l.steps.len(), 1);
        assert_eq!(l.steps[0].anchor.what, AnchorKind::Start);
        assert_eq!(l.steps[0].body, "Hello *there*.");
    }

    #[test]
    fn anchors_parse() {
        let cases: &[(&str, AnchorKind, Option<&str>, usize)] = &[
            ("reply to RCPT", AnchorKind::ReplyTo("RCPT".into()), None, 1),
            ("reply 250 on mx.example.net #2", AnchorKind::Reply(250), Some("mx.example.net"), 2),
            ("command ehlo", AnchorKind::Command("EHLO".into()), None, 1),
            (
                "dns query MX example.net.",
                AnchorKind::DnsQuery { qtype: Some("MX".into()), name: Some("example.net".into()) },
                None,
                1,
            ),
            ("dns answer on dns", AnchorKind::DnsAnswer { qtype: None, name: None }, Some("dns"), 1),
            ("delivery bob@example.net", AnchorKind::Delivery(Some("bob@example.net".into())), None, 1),
            ("delayed", AnchorKind::Delayed, None, 1),
            ("tls", AnchorKind::Tls(None), None, 1),
            ("tls clienthello on smtp", AnchorKind::Tls(Some("ClientHello".into())), Some("smtp"), 1),
            ("tls Finished #2", AnchorKind::Tls(Some("Finished".into())), None, 2),
            ("tls on mx", AnchorKind::Tls(None), Some("mx"), 1),
            ("reply +OK from mx #2", AnchorKind::Pop3Reply(true), None, 2),
            ("reply -err to bob-phone", AnchorKind::Pop3Reply(false), None, 1),
        ];
        for (text, what, on, nth) in cases {
            let a = Anchor::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(&a.what, what, "{text}");
            assert_eq!(a.on.as_deref(), *on, "{text}");
            assert_eq!(a.nth, *nth, "{text}");
        }
    }

    #[cfg(feature = "imap")]
    #[test]
    fn imap_anchors_parse() {
        use crate::trace::ImapCondition as C;
        let imap = |verb: Option<&str>, kind| AnchorKind::ImapReply { verb: verb.map(str::to_string), kind };
        let cases: &[(&str, AnchorKind, Option<&str>, usize)] = &[
            ("command UID FETCH #2", AnchorKind::Command("UID FETCH".into()), None, 2),
            ("command uid move on mx", AnchorKind::Command("UID MOVE".into()), Some("mx"), 1),
            ("command UID on mx", AnchorKind::Command("UID".into()), Some("mx"), 1),
            ("command IDLE", AnchorKind::Command("IDLE".into()), None, 1),
            ("reply ok to bob-laptop", imap(None, ImapReplyKind::Tagged(C::Ok)), None, 1),
            ("reply NO", imap(None, ImapReplyKind::Tagged(C::No)), None, 1),
            ("reply * exists to bob-phone #2", imap(None, ImapReplyKind::Untagged("EXISTS".into())), None, 2),
            ("reply +", imap(None, ImapReplyKind::Continuation), None, 1),
            ("reply to SELECT OK", imap(Some("SELECT"), ImapReplyKind::Tagged(C::Ok)), None, 1),
            (
                "reply to UID FETCH * FETCH #3",
                imap(Some("UID FETCH"), ImapReplyKind::Untagged("FETCH".into())),
                None,
                3,
            ),
            (
                "reply to select * ok on mx",
                imap(Some("SELECT"), ImapReplyKind::Untagged("OK".into())),
                Some("mx"),
                1,
            ),
            ("reply to UID FETCH on mx", AnchorKind::ReplyTo("UID FETCH".into()), Some("mx"), 1),
            ("reply to LOGIN", AnchorKind::ReplyTo("LOGIN".into()), None, 1),
        ];
        for (text, kind, on, nth) in cases {
            let a = Anchor::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((&a.what, a.on.as_deref(), a.nth), (kind, *on, *nth), "{text}");
        }
        assert!(Anchor::parse("reply *").unwrap_err().contains("reply * EXISTS"));
    }

    #[test]
    fn bad_anchors_are_explained() {
        let cases = [
            ("", "empty anchor"),
            ("jump", "unknown anchor `jump`"),
            ("reply 99", "`99` is not a reply code"),
            ("command", "`command` needs a verb"),
            ("reply to RCPT #0", "expected #1, #2"),
            ("data on", "`on` needs a host name"),
            ("tls Goodbye", "`tls` names a flight: ClientHello, ServerHello or Finished, not `Goodbye`"),
            ("reply 550 5.1.1", "unexpected `5.1.1`"),
        ];
        for (text, want) in cases {
            let e = Anchor::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    /// A word after a host's name is a label of the diagram written for the name; any other
    /// unexpected word is told what may follow the kind (the teachers' words).
    #[cfg(feature = "teacher")]
    #[test]
    fn an_unexpected_word_is_told_what_may_come() {
        let cases = [
            ("reply to RCPT on Bob's provider", "(not its label on the diagram, as `Bob's provider`)"),
            ("reply to RCPT on mx #2 provider", "only `on HOST`, `from HOST`, `to HOST` and `#n`"),
            ("reply 550 5.1.1", "only `on HOST`, `from HOST`, `to HOST` and `#n`"),
        ];
        for (text, want) in cases {
            let e = Anchor::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    /// Recipients run together (a `;`, a missing comma) are refused at their line; an `@`
    /// inside a quoted display name is part of the name (RFC 5322 §3.2.4).
    #[cfg(feature = "teacher")]
    #[test]
    fn recipients_run_together_are_refused() {
        let lesson =
            |to: &str| format!("---\ntitle: T\nfrom: a@example.org\nto: {to}\n---\n## S\n@ start\nx\n");
        for to in ["Bob <bob@example.net>; carol@example.net", "bob@example.net carol@example.net"] {
            let e = Lesson::parse_all("x", &lesson(to)).unwrap_err();
            assert!(e[0].line == 4 && e[0].message.contains("several separated by commas"), "{to}: {e:?}");
        }
        for to in ["\"bob@example.net\" <bob@example.net>", "Bob <bob@example.net>, carol@example.net"] {
            assert!(Lesson::parse_all("x", &lesson(to)).is_ok(), "{to}");
        }
    }

    #[test]
    fn message_and_world_blocks_are_read() {
        let text = "---\ntitle: T\nfrom: a@example.org\nto: bob@example.net\n---\n```world\nseed 7\n```\n```message\nline one\n.line two\n```\n## S\n@ start\nx\n";
        let l = Lesson::parse("x", text).unwrap();
        assert_eq!(l.email.body, "line one\n.line two");
        assert_eq!(l.world.seed, 7);
    }

    #[test]
    fn a_block_closes_as_commonmark_closes_a_code_block() {
        let head = "---\ntitle: T\nfrom: a@example.org\nto: bob@example.net\n---\n";
        let step = "## S\n@ start\n";
        // (the message block, the body read from it)
        let cases = [
            ("```message\nhi\n```\n", "hi"),
            // A line of ``` with a word after it is text of the block (it cannot close one).
            ("```message\nSee:\n```python\nprint(1)\n```\n", "See:\n```python\nprint(1)"),
            // Opened with four, it holds lines of three.
            ("````message\nIn Markdown:\n```\ncode\n```\n````\n", "In Markdown:\n```\ncode\n```"),
            // A longer closing fence, up to three spaces before it, spaces after it.
            ("```message\nhi\n   `````  \n", "hi"),
            // Four spaces make a line of the message, not a fence.
            ("```message\nhi\n    ```\n```\n", "hi\n    ```"),
        ];
        for (block, body) in cases {
            let text = format!("{head}{block}{step}");
            let lesson = Lesson::parse("x", &text).unwrap_or_else(|e| panic!("{block:?}: {e}"));
            assert_eq!(lesson.email.body, body, "{block:?}");
        }
        // An attachment's name after its word; a question's kind after its word.
        let text = format!(
            "{head}````attachment menu.txt\nsoup\n```\n````\n{step}```question reply\nQ?\n- 250: yes\n- 550: no\n```\n"
        );
        let lesson = Lesson::parse("x", &text).unwrap();
        let files: Vec<_> =
            lesson.email.attachments.iter().map(|a| (a.name.as_str(), a.data.as_slice())).collect();
        assert_eq!(files, [("menu.txt", &b"soup\r\n```\r\n"[..])]);
        assert!(lesson.steps[0].question.is_some());
    }

    #[test]
    fn bad_files_are_explained() {
        let cases = [
            ("no front matter", "front matter"),
            ("---\ntitle: T\n", "not closed"),
            ("---\nfrom: a@b\nto: c@d\n---\n## S\n@ start\n", "needs a `title:`"),
            ("---\ntitle: T\nfrom: a@b\nto: c@d\ncolour: red\n---\n", "unknown front matter key"),
            (
                "---\ntitle: T\nfrom: a@b\nto: c@d\nsubjct: Hi\n---\n",
                "line 5: unknown front matter key `subjct` (did you mean `subject`?) (known: title,",
            ),
            ("---\ntitle: T\nfrom: a@b\nto: c@d\n---\n## S\nno anchor\n", "needs an anchor line"),
            ("---\ntitle: T\nfrom: a@b\nto: c@d\n---\nstray\n## S\n@ start\n", "text before the first"),
            ("---\ntitle: T\nfrom: a@b\nto: c@d\n---\n", "at least one"),
            (
                "---\ntitle: T\nfrom: a@b\nto: c@d\n---\n```message\nhi\n",
                "line 6: the ```message block is not closed",
            ),
            (
                "---\ntitle: T\nfrom: a@b\nto: c@d\n---\n```world\nseed 1\n",
                "line 6: the ```world block is not closed",
            ),
            // A step's code block left open: the steps after it would be its text, unseen.
            (
                "---\ntitle: T\nfrom: a@b\nto: c@d\n---\n## S\n@ start\n```\n250 OK\n## T\n@ reply to RCPT\n",
                "line 8: this ``` block is not closed: the file ends inside it",
            ),
            (
                "---\ntitle: T\nfrom: a@b\nto: c@d\n---\n## S\n@ start\n~~~text\nhi\n",
                "line 8: this ~~~ block is not closed",
            ),
            // ```question does not close a block (only a fence of its own characters does).
            (
                "---\ntitle: T\nfrom: a@b\nto: c@d\n---\n## S\n@ start\n```\nhi\n## T\n@ start\n```question reply\nQ?\n",
                "line 8: this ``` block is not closed",
            ),
            ("---\ntitle: T\nscenario: fly\nfrom: a@b\nto: c@d\n---\n## S\n@ start\n", "unknown scenario"),
            (
                "---\ntitle: T\npath: up\nfrom: a@b\nto: c@d\n---\n## S\n@ start\n",
                "line 3: unknown path `up`",
            ),
            (
                "---\ntitle: T\nfrom: a@b\nto: c@d\nminutes: 999\n---\n## S\n@ start\n",
                "line 5: `minutes:` takes",
            ),
        ];
        for (text, want) in cases {
            let e = Lesson::parse("x", text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        // Front matter left open: the teachers' build points at the first line that cannot
        // be in it, where the `---` is missing (the first load's words are shorter).
        let open = "---\ntitle: T\nfrom: a@b\n\n## S\n@ start\n";
        let e = Lesson::parse("x", open).unwrap_err().to_string();
        #[cfg(feature = "teacher")]
        assert!(e.contains("line 5: the front matter opened by the `---` on line 1 is not closed"), "{e}");
        #[cfg(not(feature = "teacher"))]
        assert!(e.contains("line 1: the front matter is not closed"), "{e}");
    }

    #[test]
    fn every_mistake_is_said_at_once_in_line_order() {
        // One file with a mistake of each kind a teacher makes: all are reported, each at
        // its own line (the world block's with their column), in line order.
        let text = "---\ntitle: T\ncolour: red\nfrom: a@example.org\nto: b@example.net\nnot a pair\n---\n\
                    ```world\nhots x\ngreylist nowhere.example\n```\n\
                    ## One\n@ reply 99\n\n## Two\nno anchor\n\n## Three\n@ start\nfine\n";
        let got: Vec<String> =
            Lesson::parse_all("x", text).unwrap_err().iter().map(ToString::to_string).collect();
        let want = [
            "line 3: unknown front matter key `colour`",
            "line 6: expected `key: value`, found `not a pair`",
            "line 9: in the ```world block, column 1: unknown directive `hots`",
            "line 10: in the ```world block, column 10: there is no host `nowhere.example`",
            "line 13: `99` is not a reply code",
            "line 15: step `Two` needs an anchor line",
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g}\n  does not start with\n{w}");
        }
        // `parse` says the first.
        assert!(Lesson::parse("x", text).unwrap_err().to_string().starts_with(want[0]));
        // Missing keys are said at the closing `---`, together.
        let got = Lesson::parse_all("x", "---\nsummary: s\n---\n## S\n@ start\n").unwrap_err();
        let lines: Vec<(usize, &str)> = got.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(
            lines,
            [
                (3, "the front matter needs a `title:`"),
                (3, "the front matter needs `from:`"),
                (3, "the front matter needs `to:`")
            ]
        );
    }

    #[test]
    fn byte_order_mark_and_crlf_files_parse() {
        let text = format!("\u{FEFF}{}", MINIMAL.replace('\n', "\r\n"));
        let l = Lesson::parse("t", &text).unwrap();
        assert_eq!((l.title.as_str(), l.steps[0].body.as_str()), ("T", "Hello *there*."));
    }

    #[test]
    fn headings_inside_code_blocks_are_not_steps() {
        let text = format!("{MINIMAL}```\n## not a step\n```\n");
        let l = Lesson::parse("t", &text).unwrap();
        assert_eq!(l.steps.len(), 1);
        assert!(l.steps[0].body.contains("## not a step"));
        // A ````text block showing a question block (as lessons/README.md does): the inner
        // fences are its text, the step after it a step. CRLF and a closing fence indented
        // by up to three spaces, with spaces after it, as the page's Markdown reads them.
        let shown = "````text\n```question reply\nQ?\n- 250: ok\n```\n  ````  \n\n## Next\n@ start\n";
        for text in [format!("{MINIMAL}{shown}"), format!("{MINIMAL}{shown}").replace('\n', "\r\n")] {
            let l = Lesson::parse("t", &text).unwrap();
            assert_eq!(l.steps.len(), 2, "{text:?}");
            assert!(l.steps[0].body.ends_with("```\n  ````"), "{:?}", l.steps[0].body);
            assert_eq!(l.steps[1].question, None);
        }
        // Four spaces make it code, not a fence: no block opens.
        let l = Lesson::parse("t", &format!("{MINIMAL}    ```\n## Next\n@ start\n")).unwrap();
        assert_eq!(l.steps.len(), 2);
    }
}
