//! The player's state: a pure view over `(trace, cursor, settings)`.
//!
//! Everything the page draws is a function of [`Player`]; stepping back is moving the
//! cursor. The reducer is plain Rust (no browser APIs) so it is unit-tested natively.

use crate::shared::Shared;
use std::rc::Rc;

use mailroom_core::lesson::{EmailSpec, Lesson};
use mailroom_core::lessons;
use mailroom_core::question;
use mailroom_core::trace::Trace;
use mailroom_core::world::{self, LessonRun};
use yew::Reducible;

/// Time per step at 1× speed, in milliseconds.
pub const BASE_STEP_MS: u32 = 900;

/// Playback speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Speed {
    /// Slow enough to read a long reply before the next line arrives.
    Quarter,
    Half,
    #[default]
    Normal,
    Double,
    Quadruple,
}

impl Speed {
    pub const ALL: [Speed; 5] = [Speed::Quarter, Speed::Half, Speed::Normal, Speed::Double, Speed::Quadruple];

    /// The value used in the speed `<select>` and in storage.
    pub fn key(self) -> &'static str {
        match self {
            Speed::Quarter => "0.25",
            Speed::Half => "0.5",
            Speed::Normal => "1",
            Speed::Double => "2",
            Speed::Quadruple => "4",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Speed::Quarter => "0.25×",
            Speed::Half => "0.5×",
            Speed::Normal => "1×",
            Speed::Double => "2×",
            Speed::Quadruple => "4×",
        }
    }

    pub fn from_key(key: &str) -> Option<Speed> {
        Speed::ALL.into_iter().find(|s| s.key() == key.trim())
    }

    /// Milliseconds between two steps while playing.
    pub fn step_ms(self) -> u32 {
        match self {
            Speed::Quarter => BASE_STEP_MS * 4,
            Speed::Half => BASE_STEP_MS * 2,
            Speed::Normal => BASE_STEP_MS,
            Speed::Double => BASE_STEP_MS / 2,
            Speed::Quadruple => BASE_STEP_MS / 4,
        }
    }

    /// How long a token takes to travel across the diagram: most of a step, so the token
    /// arrives before the next one leaves.
    pub fn travel_ms(self) -> u32 {
        (self.step_ms() * 7 / 10).clamp(150, 900)
    }
}

/// The settings that outlive a page load (kept in `localStorage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub speed: Speed,
    pub show_line_ends: bool,
    /// Play straight through the parts instead of stopping at the start of each one.
    pub play_through: bool,
    /// Show what an eavesdropper on the wire sees of encrypted connections.
    pub eavesdropper: bool,
    /// The conversation as a sequence diagram instead of the network diagram.
    pub sequence: bool,
}

impl Settings {
    /// `speed=2;line-ends=1;through=0;wire=0;seq=0`: small and readable, no JSON parser
    /// needed.
    pub fn to_storage(self) -> String {
        format!(
            "speed={};line-ends={};through={};wire={};seq={}",
            self.speed.key(),
            u8::from(self.show_line_ends),
            u8::from(self.play_through),
            u8::from(self.eavesdropper),
            u8::from(self.sequence)
        )
    }

    /// Reads what [`Settings::to_storage`] wrote; unknown or broken parts keep their default.
    pub fn from_storage(text: &str) -> Settings {
        let mut s = Settings::default();
        for part in text.split(';') {
            match part.split_once('=') {
                Some(("speed", v)) => s.speed = Speed::from_key(v).unwrap_or(s.speed),
                Some(("line-ends", v)) => s.show_line_ends = v.trim() == "1",
                Some(("through", v)) => s.play_through = v.trim() == "1",
                Some(("wire", v)) => s.eavesdropper = v.trim() == "1",
                Some(("seq", v)) => s.sequence = v.trim() == "1",
                _ => {}
            }
        }
        s
    }
}

/// Everything the player shows.
#[derive(Clone, Debug)]
pub struct Player {
    pub lesson: Shared<Lesson>,
    pub run: Shared<LessonRun>,
    /// How many events are shown: 0 = before anything happened, `total()` = all done.
    pub cursor: usize,
    pub playing: bool,
    pub speed: Speed,
    pub show_line_ends: bool,
    pub play_through: bool,
    /// The eavesdropper's view of encrypted connections is shown beside the transcript.
    pub eavesdropper: bool,
    /// The sequence diagram is shown instead of the network diagram.
    pub sequence: bool,
    /// Presenter mode: large type for a projector, the controls out of the way.
    pub presenting: bool,
    /// How many times the lesson's email is sent (`?messages=N`, after the cap).
    pub messages: usize,
    /// The event whose explanation is shown instead of the current one.
    pub selected: Option<usize>,
    /// Why the lesson could not be loaded, if it could not.
    pub error: Option<String>,
    /// The lesson being fetched (`lessons/<id>.md`), and the step to show once it is
    /// there.
    pub pending: Option<(String, usize)>,
    /// For each lesson step with a question: what the student said, once they did.
    pub said: Vec<Option<Said>>,
    /// A step was asked for while a question is due: the card says that one more shows
    /// the event without an answer. A habit of pressing → does not skip the prediction.
    pub nudged: bool,
}

/// The student's answer to a question of the lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Said {
    /// Their answer (the choice's text, or what they typed), and whether it is right.
    Answer {
        text: String,
        right: bool,
    },
    Skipped,
}

/// An answer given to the question that is due: a choice by its index, or typed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Choice(usize),
    Typed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Step,
    /// The student answers the question that is due (see [`Player::question_due`]): the
    /// answer is recorded and checked, and the event it was about is shown.
    Answer(Reply),
    /// The student skips the question that is due (not counted right), and the event is shown.
    Skip,
    /// The play timer's step: like [`Action::Step`], but playing stops when it reaches
    /// the start of a new part (unless the settings say to play straight through).
    Tick,
    /// To the start of the next part of the lesson (⇧→); to its question instead while it is
    /// not answered, and from the question, past it to its part.
    NextPart,
    /// To the start of the current part, or of the previous one when already there.
    PrevPart,
    Back,
    Seek(usize),
    /// To the part that starts at this step (the narration's ‹ › and its strip of parts):
    /// like [`Action::NextPart`], to its question when it asks one not yet answered.
    SeekPart(usize),
    ToStart,
    ToEnd,
    Play,
    Pause,
    Toggle,
    SetSpeed(Speed),
    ToggleLineEnds,
    TogglePlayThrough,
    ToggleEavesdropper,
    /// The network diagram or the sequence diagram.
    ToggleSequence,
    /// Presenter mode on or off (full screen, large type, one step per clicker press).
    TogglePresenting,
    /// The browser left full screen (Esc): presenter mode ends with it.
    StopPresenting,
    Select(Option<usize>),
    LoadLesson(String),
    /// The text of lesson `id` arrived (or why it could not be fetched).
    LessonText {
        id: String,
        text: Result<String, String>,
    },
    /// A notice to show (what became of an address that could not be read in full), or
    /// `None`: the one shown was read and closed.
    Notice(Option<String>),
}

/// True for the id of a built-in lesson.
pub fn is_lesson(id: &str) -> bool {
    lessons::entry(id).is_some() || crate::my_lessons::is_mine(id)
}

/// True for a lesson this build cannot play: a POP3, IMAP or sender-checking lesson, or a
/// teacher's own, in the lite build (without the features `pop3`, `imap`, `trust`,
/// `teacher`). The full build, in
/// `full/` next to the page, plays it: the loader sends the student there
/// ([`crate::hooks::use_lesson_loader`]).
pub fn plays_elsewhere(id: &str) -> bool {
    (!cfg!(feature = "imap") && lessons::needs_imap(id))
        || (!cfg!(feature = "pop3") && lessons::needs_pop3(id))
        || (!cfg!(feature = "trust") && lessons::needs_trust(id))
        || (!cfg!(feature = "teacher") && crate::my_lessons::is_mine(id))
}

/// The lesson's title in the narration when its file could not be had.
pub const NOT_LOADED: &str = "Not loaded";

/// What the page says while it goes to the full build for lesson `id`.
pub const LOADING_IMAP: &str = "Loading the rest of the simulator: POP3, IMAP, SPF, DKIM and DMARC…";

/// Parses and runs lesson `id` from its file's `text`, its email sent `messages` times (a
/// long trace, for the page benchmark: `?messages=27` in the address).
pub fn build_lesson(
    id: &str,
    text: &str,
    messages: usize,
) -> Result<(Shared<Lesson>, Shared<LessonRun>), String> {
    let messages = messages.clamp(1, world::MAX_REPEAT);
    let lesson = Lesson::parse_all(id, text).map_err(|errors| {
        let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let what = if all.len() == 1 { "a mistake" } else { "mistakes" };
        format!("The lesson “{id}” has {what}: {}", all.join("; "))
    })?;
    let run = world::run_lesson_repeated(&lesson, messages)
        .map_err(|e| format!("The lesson “{id}” does not fit the simulation: {e}"))?;
    Ok((Shared::new(lesson), Shared::new(run)))
}

/// The title of the first built-in lesson.
fn first_title() -> &'static str {
    lessons::INDEX.first().map_or("", |e| e.title)
}

/// The id of the first built-in lesson (the default when the address names none).
pub fn first_lesson_id() -> &'static str {
    lessons::INDEX.first().map_or("", |e| e.id)
}

/// Lesson `id` while nothing of it is shown: on its way, or (`failed`) not to be had.
fn empty_lesson(id: &str, failed: bool) -> (Shared<Lesson>, Shared<LessonRun>) {
    // A lesson played by the full build: its title and, in words, that it is on its way.
    let elsewhere = plays_elsewhere(id).then(|| lessons::entry(id)).flatten();
    let lesson = Lesson {
        id: id.to_string(),
        title: if failed { NOT_LOADED } else { elsewhere.map_or("Loading…", |e| e.title) }.into(),
        summary: if elsewhere.is_some() { LOADING_IMAP.into() } else { String::new() },
        listing: Default::default(),
        scenario: "send".into(),
        email: EmailSpec::default(),
        world: Default::default(),
        steps: Vec::new(),
    };
    (
        Shared::new(lesson),
        Shared::new(LessonRun { trace: Trace::default(), anchors: Vec::new(), answers: Vec::new() }),
    )
}

impl Player {
    /// A player waiting for lesson `id` (the first lesson if there is none by that name),
    /// to show it at `cursor` (clamped) once its text arrives ([`Action::LessonText`]),
    /// with the lesson's email sent `messages` times.
    pub fn loading(id: &str, cursor: usize, settings: Settings, messages: usize) -> Player {
        let (wanted, error) = if is_lesson(id) {
            (id, None)
        } else {
            let e = format!(
                "There is no lesson called “{id}”. Showing the first lesson, “{}”, instead.",
                first_title()
            );
            (first_lesson_id(), Some(e))
        };
        let (lesson, run) = empty_lesson(wanted, false);
        let error = match (messages > world::MAX_REPEAT, error) {
            (false, error) => error,
            (true, error) => {
                let cap = format!(
                    "The address asks for {messages} messages; at most {} can be sent, so {} are.",
                    world::MAX_REPEAT,
                    world::MAX_REPEAT
                );
                Some(error.map_or(cap.clone(), |e| format!("{e} {cap}")))
            }
        };
        Player {
            lesson,
            run,
            cursor: 0,
            playing: false,
            speed: settings.speed,
            show_line_ends: settings.show_line_ends,
            play_through: settings.play_through,
            eavesdropper: settings.eavesdropper,
            sequence: settings.sequence,
            presenting: false,
            messages: messages.clamp(1, world::MAX_REPEAT),
            selected: None,
            error,
            pending: Some((wanted.to_string(), cursor)),
            said: Vec::new(),
            nudged: false,
        }
    }

    /// True when nothing is shown and nothing is on its way: the lesson's load failed
    /// (offline, say). Seeking then loads it again ([`Action::Seek`]).
    pub fn can_retry(&self) -> bool {
        self.run.trace.is_empty() && self.pending.is_none() && is_lesson(&self.lesson.id)
    }

    /// The step whose question is due: its event is the next one to show, and the student
    /// has not answered it yet. Stepping forward waits for the answer.
    pub fn question_due(&self) -> Option<usize> {
        self.question_at(self.cursor)
    }

    /// The step whose question, not answered yet, is asked at cursor `at`: before its event,
    /// see [`Player::ask_at`].
    fn question_at(&self, at: usize) -> Option<usize> {
        let s = self.run.anchors.iter().position(|a| a.is_some_and(|a| self.ask_at(a) == at))?;
        (self.run.answers.get(s)?.is_some() && self.said.get(s).is_none_or(Option::is_none)).then_some(s)
    }

    /// Where a question about event `a` is asked ([`question::asked_at`]).
    fn ask_at(&self, a: usize) -> usize {
        question::asked_at(&self.run, a)
    }

    /// `(right, answered, asked)`: of the questions the lesson asks, how many the student
    /// answered (rather than passed), and how many of those right.
    pub fn score(&self) -> (usize, usize, usize) {
        let answers = self.said.iter().filter_map(|s| match s {
            Some(Said::Answer { right, .. }) => Some(*right),
            _ => None,
        });
        let (right, answered) = answers.fold((0, 0), |(r, a), right| (r + usize::from(right), a + 1));
        (right, answered, self.run.answers.iter().flatten().count())
    }

    /// Records `said` for the question that is due, and shows its event.
    fn answer(&self, said: Said) -> Player {
        let Some(s) = self.question_due() else { return self.clone() };
        let mut next = self.clone();
        next.said.resize(self.lesson.steps.len(), None);
        next.said[s] = Some(said);
        // Its event shown (past the notes before it, see `ask_at`).
        let to = self.run.anchors.get(s).copied().flatten().unwrap_or(self.cursor) + 1;
        Player { playing: false, ..next.with_cursor(to) }
    }

    /// True when the student has answered or passed a question since the lesson opened.
    pub fn met_a_question(&self) -> bool {
        self.said.iter().any(Option::is_some)
    }

    /// What the student said to the question of step `s`, if anything yet.
    pub fn said(&self, s: usize) -> Option<&Said> {
        self.said.get(s)?.as_ref()
    }

    pub fn trace(&self) -> &Trace {
        &self.run.trace
    }

    /// Number of events in the trace.
    pub fn total(&self) -> usize {
        self.run.trace.len()
    }

    /// The index of the current event (the last one shown), if any.
    pub fn current(&self) -> Option<usize> {
        self.cursor.checked_sub(1)
    }

    /// The event the explanation card is about: the selected one, else the current one.
    pub fn focused(&self) -> Option<usize> {
        self.selected.or(self.current())
    }

    pub fn at_end(&self) -> bool {
        self.cursor >= self.total()
    }

    pub fn settings(&self) -> Settings {
        Settings {
            speed: self.speed,
            show_line_ends: self.show_line_ends,
            play_through: self.play_through,
            eavesdropper: self.eavesdropper,
            sequence: self.sequence,
        }
    }

    /// The cursors where the lesson's parts start, in order (several parts may share one).
    pub fn part_starts(&self) -> impl Iterator<Item = usize> + '_ {
        self.run.anchors.iter().map(|a| step_cursor(*a))
    }

    /// The start of the first part that begins after the cursor.
    pub fn next_part_start(&self) -> Option<usize> {
        self.part_starts().filter(|&c| c > self.cursor).min()
    }

    /// The start of the current part when the cursor is inside it, else of the previous one.
    pub fn prev_part_start(&self) -> Option<usize> {
        self.part_starts().filter(|&c| c < self.cursor).max()
    }

    /// Where going to the part that starts at `start` lands: on its question, the event
    /// not yet shown, when the student has not answered it (a jump must not skip it); else
    /// at the start.
    fn part_landing(&self, start: usize) -> usize {
        match start.checked_sub(1).map(|a| self.ask_at(a)) {
            Some(at) if self.question_at(at).is_some() => at,
            _ => start,
        }
    }

    /// The lesson step being narrated at this cursor: the last step whose event is shown.
    pub fn current_step(&self) -> Option<usize> {
        current_step(&self.run.anchors, self.cursor)
    }

    fn with_cursor(&self, cursor: usize) -> Player {
        let cursor = cursor.min(self.total());
        Player {
            cursor,
            selected: None,
            playing: self.playing && cursor < self.total(),
            nudged: false,
            ..self.clone()
        }
    }
}

/// The cursor that shows the event a lesson step is anchored to (0 for `@ start`).
pub fn step_cursor(anchor: Option<usize>) -> usize {
    anchor.map_or(0, |i| i + 1)
}

/// The steps (cursor values) that part `part` narrates: from its own start to the step
/// before the next part begins (a part that starts later than its successor, or at the
/// same step, covers just its first step).
pub fn part_range(anchors: &[Option<usize>], part: usize, total: usize) -> Option<(usize, usize)> {
    let start = step_cursor(*anchors.get(part)?);
    let end =
        anchors[part + 1..].iter().map(|a| step_cursor(*a)).find(|&c| c > start).map_or(total, |c| c - 1);
    Some((start, end.max(start)))
}

/// The lesson step being narrated when `cursor` events are shown.
pub fn current_step(anchors: &[Option<usize>], cursor: usize) -> Option<usize> {
    anchors.iter().rposition(|a| step_cursor(*a) <= cursor)
}

impl Reducible for Player {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let total = self.total();
        let next = match action {
            // A question before this event: the first step asks for an answer (the card says
            // that one more step passes), the second shows the event without one (a class
            // that answers aloud, a student who passes); play stops there for an answer,
            // unless it plays straight through.
            Action::Step if self.question_due().is_some() && !self.nudged => {
                Player { nudged: true, playing: false, ..(*self).clone() }
            }
            Action::Step if self.question_due().is_some() => self.answer(Said::Skipped),
            // Play there does the same (not a play that stops at once): the first press
            // asks for an answer, the next passes the question and plays on.
            Action::Play if self.question_due().is_some() && !self.play_through && !self.nudged => {
                Player { nudged: true, playing: false, ..(*self).clone() }
            }
            Action::Play if self.question_due().is_some() && !self.play_through => {
                let passed = self.answer(Said::Skipped);
                Player { playing: passed.cursor < total, ..passed }
            }
            Action::Tick if !self.playing => return self,
            Action::Tick if self.question_due().is_some() && self.play_through => {
                Player { playing: true, ..self.answer(Said::Skipped) }
            }
            Action::Tick if self.question_due().is_some() => Player { playing: false, ..(*self).clone() },
            Action::Answer(reply) => {
                let Some(s) = self.question_due() else { return self };
                let (Some(Some(q)), Some(Some(answer))) =
                    (self.lesson.steps.get(s).map(|s| &s.question), self.run.answers.get(s))
                else {
                    return self;
                };
                let said = match reply {
                    Reply::Choice(i) => q
                        .choices
                        .get(i)
                        .map(|text| Said::Answer { text: text.clone(), right: answer.choice == Some(i) }),
                    Reply::Typed(text) if !text.trim().is_empty() => {
                        let right = q.typed_right(&text, answer);
                        Some(Said::Answer { text: text.trim().to_string(), right })
                    }
                    Reply::Typed(_) => None,
                };
                match said {
                    Some(said) => self.answer(said),
                    None => return self,
                }
            }
            Action::Skip => self.answer(Said::Skipped),
            Action::Step if self.cursor < total => self.with_cursor(self.cursor + 1),
            Action::Step => Player { playing: false, ..(*self).clone() },
            Action::Tick if !self.playing => return self,
            Action::Tick if self.cursor < total => {
                let next = self.with_cursor(self.cursor + 1);
                let new_part = self.part_starts().any(|c| c == next.cursor && c > 0);
                Player { playing: next.playing && (self.play_through || !new_part), ..next }
            }
            Action::Tick => Player { playing: false, ..(*self).clone() },
            // A jump stops at a question not yet answered; the next one passes it, as a
            // second → does, and shows its part.
            Action::NextPart if self.question_due().is_some() => self.answer(Said::Skipped),
            Action::NextPart => {
                let to = self.next_part_start().map_or(total, |c| self.part_landing(c));
                Player { playing: false, ..self.with_cursor(to) }
            }
            Action::PrevPart => {
                let to = self.prev_part_start().map_or(0, |c| self.part_landing(c));
                Player { playing: false, ..self.with_cursor(to) }
            }
            // At the question itself, its part's ›, or its chip, passes it as ⇧→ does.
            Action::SeekPart(c) if self.part_landing(c) == self.cursor && self.question_due().is_some() => {
                self.answer(Said::Skipped)
            }
            Action::SeekPart(c) => Player { playing: false, ..self.with_cursor(self.part_landing(c)) },
            Action::Back if self.cursor > 0 => Player { playing: false, ..self.with_cursor(self.cursor - 1) },
            Action::Back => return self,
            // While a lesson is on its way, the step is kept for it (an address with a step).
            Action::Seek(n) if self.pending.is_some() => {
                Player { pending: self.pending.as_ref().map(|(id, _)| (id.clone(), n)), ..(*self).clone() }
            }
            // Nothing shown, nothing on its way: the load failed (offline, say). The address
            // named again (typed, or a link followed) tries it again, at that step.
            Action::Seek(n) if self.can_retry() => {
                Player { pending: Some((self.lesson.id.clone(), n)), error: None, ..(*self).clone() }
            }
            Action::Seek(n) => self.with_cursor(n),
            Action::ToStart => Player { playing: false, ..self.with_cursor(0) },
            Action::ToEnd => self.with_cursor(total),
            Action::Play if total == 0 => return self,
            Action::Play if self.at_end() => Player { playing: true, ..self.with_cursor(0) },
            Action::Play => Player { playing: true, ..(*self).clone() },
            Action::Pause => Player { playing: false, ..(*self).clone() },
            Action::Toggle => {
                let action = if self.playing { Action::Pause } else { Action::Play };
                return self.reduce(action);
            }
            Action::SetSpeed(speed) => Player { speed, ..(*self).clone() },
            Action::ToggleLineEnds => Player { show_line_ends: !self.show_line_ends, ..(*self).clone() },
            Action::TogglePlayThrough => Player { play_through: !self.play_through, ..(*self).clone() },
            Action::ToggleEavesdropper => Player { eavesdropper: !self.eavesdropper, ..(*self).clone() },
            Action::ToggleSequence => Player { sequence: !self.sequence, ..(*self).clone() },
            Action::TogglePresenting => Player { presenting: !self.presenting, ..(*self).clone() },
            Action::StopPresenting if !self.presenting => return self,
            Action::StopPresenting => Player { presenting: false, ..(*self).clone() },
            Action::Select(Some(i)) if i < self.cursor => Player { selected: Some(i), ..(*self).clone() },
            Action::Select(_) => Player { selected: None, ..(*self).clone() },
            Action::LoadLesson(id) if !is_lesson(&id) => {
                let error =
                    format!("There is no lesson called “{id}”. Still showing “{}”.", self.lesson.title);
                Player { error: Some(error), playing: false, ..(*self).clone() }
            }
            // The full build plays it: nothing of this lesson is left on screen meanwhile.
            Action::LoadLesson(id) if plays_elsewhere(&id) => {
                let (lesson, run) = empty_lesson(&id, false);
                Player {
                    lesson,
                    run,
                    cursor: 0,
                    selected: None,
                    pending: Some((id, 0)),
                    playing: false,
                    ..(*self).clone()
                }
            }
            Action::LoadLesson(id) => Player { pending: Some((id, 0)), playing: false, ..(*self).clone() },
            // A lesson that is not the one still wanted arrived late: ignored.
            Action::LessonText { id, .. } if self.pending.as_ref().is_none_or(|(p, _)| *p != id) => {
                return self;
            }
            Action::LessonText { id, text } => {
                let cursor = self.pending.as_ref().map_or(0, |(_, c)| *c);
                match text.and_then(|t| build_lesson(&id, &t, self.messages)) {
                    Ok((lesson, run)) => {
                        let cursor = cursor.min(run.trace.len());
                        Player {
                            said: vec![None; lesson.steps.len()],
                            lesson,
                            run,
                            cursor,
                            playing: false,
                            selected: None,
                            pending: None,
                            ..(*self).clone()
                        }
                    }
                    // Nothing shown yet: fall back to the first lesson, once.
                    Err(e) if self.run.trace.is_empty() && id != first_lesson_id() => Player {
                        error: Some(format!("{e} Showing the first lesson, “{}”, instead.", first_title())),
                        pending: Some((first_lesson_id().to_string(), 0)),
                        ..(*self).clone()
                    },
                    // Nothing shown: the lesson's place says it did not come (the notice
                    // says why, and offers to try again), not "Loading…".
                    Err(e) if self.run.trace.is_empty() => Player {
                        lesson: empty_lesson(&self.lesson.id, true).0,
                        error: Some(e),
                        pending: None,
                        ..(*self).clone()
                    },
                    Err(e) => Player {
                        error: Some(format!("{e} Still showing “{}”.", self.lesson.title)),
                        pending: None,
                        ..(*self).clone()
                    },
                }
            }
            Action::Notice(text) => Player { error: text, ..(*self).clone() },
        };
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "imap")]
    use mailroom_core::trace::EventKind;

    /// A player that has received lesson `id` (from the files compiled into the tests).
    fn loaded(id: &str, cursor: usize) -> Rc<Player> {
        let p = Rc::new(Player::loading(id, cursor, Settings::default(), 1));
        deliver(p)
    }

    /// Hands the pending lesson's text to `p`, as the page's loader does after a fetch.
    fn deliver(p: Rc<Player>) -> Rc<Player> {
        let Some((id, _)) = p.pending.clone() else { return p };
        let text = lessons::BUILTIN.iter().find(|(i, _)| *i == id).map(|(_, t)| t.to_string());
        let p = p.reduce(Action::LessonText { id, text: text.ok_or_else(|| "not found".to_string()) });
        // A failed lesson falls back to the first one: deliver that too.
        if p.pending.is_some() { deliver(p) } else { p }
    }

    fn player() -> Rc<Player> {
        loaded(first_lesson_id(), 0)
    }

    /// Steps `p` forward until a question is due; the step it belongs to.
    fn to_question(mut p: Rc<Player>) -> (Rc<Player>, usize) {
        while p.question_due().is_none() {
            assert!(!p.at_end(), "no question in {}", p.lesson.id);
            p = p.reduce(Action::Step);
        }
        let s = p.question_due().unwrap();
        (p, s)
    }

    #[test]
    fn jumping_a_part_stops_at_its_question_until_it_is_answered() {
        let (asked, s) = to_question(loaded("a-bounce", 0));
        let at = asked.cursor;
        // Shift+→ from the start, part by part: it lands on the question (the event not
        // yet shown), never past it.
        let mut p = loaded("a-bounce", 0);
        while p.cursor < at {
            p = p.reduce(Action::NextPart);
        }
        assert_eq!((p.cursor, p.question_due()), (at, Some(s)));
        // The narration's ‹ › and its strip of parts land there too; asked again for the
        // part that asks (› or its chip, at the question), they pass it, as ⇧→ does.
        let sought = loaded("a-bounce", 0).reduce(Action::SeekPart(at + 1));
        assert_eq!((sought.cursor, sought.question_due()), (at, Some(s)));
        let passed = sought.reduce(Action::SeekPart(at + 1));
        assert_eq!((passed.cursor, passed.said(s)), (at + 1, Some(&Said::Skipped)));
        // From the question, Shift+→ passes it, as a second → does: its part, its event.
        let on = p.clone().reduce(Action::NextPart);
        assert_eq!((on.cursor, on.said(s), on.current_step()), (at + 1, Some(&Said::Skipped), Some(s)));
        // Shift+← from the part after it comes back to its part, now passed.
        let after = on.reduce(Action::NextPart);
        assert!(after.cursor > at + 1);
        assert_eq!(after.reduce(Action::PrevPart).cursor, at + 1);
        // Not yet passed, Shift+← from the part after lands on the question again.
        let unanswered = loaded("a-bounce", 0).reduce(Action::Seek(at + 1)).reduce(Action::NextPart);
        assert_eq!(unanswered.reduce(Action::PrevPart).cursor, at);
        // Answered, the part is its event again.
        let answered = p.reduce(Action::Answer(Reply::Choice(2))).reduce(Action::ToStart);
        assert_eq!(answered.reduce(Action::SeekPart(at + 1)).cursor, at + 1);
    }

    /// A server's verdict note just before its reply ("DMARC fail: … p=reject") would give
    /// the answer away: the question is asked before the note, and an answer shows the reply.
    #[cfg(feature = "imap")]
    #[test]
    fn a_question_is_asked_before_the_verdict_that_gives_it_away() {
        let mut p = loaded("dmarc", 0);
        let s = loop {
            let (asked, s) = to_question(p);
            if asked.lesson.steps[s].title == "Refused" {
                p = asked;
                break s;
            }
            p = asked.reduce(Action::Skip);
        };
        let reply = p.run.anchors[s].unwrap();
        let next = &p.run.trace.events[p.cursor];
        assert!(p.cursor < reply && next.kind == EventKind::Note, "asked before the note");
        assert!(next.text().starts_with("DMARC fail"), "{}", next.text());
        let answered = p.clone().reduce(Action::Answer(Reply::Choice(1)));
        assert_eq!((answered.cursor, answered.score().0), (reply + 1, 1), "the reply shown");
        // A part jump lands there too, not on the note.
        let mut jumped = loaded("dmarc", p.cursor.saturating_sub(30));
        while jumped.cursor < p.cursor && jumped.question_due() != Some(s) {
            jumped = jumped.reduce(Action::NextPart);
            if let Some(q) = jumped.question_due().filter(|&q| q != s) {
                jumped = jumped.reduce(Action::Skip);
                assert!(jumped.said(q).is_some());
            }
        }
        assert_eq!((jumped.cursor, jumped.question_due()), (p.cursor, Some(s)));
    }

    #[test]
    fn a_question_waits_for_its_answer_and_is_scored() {
        let (p, s) = to_question(loaded("a-bounce", 0));
        let at = p.cursor;
        assert_eq!(p.run.anchors[s], Some(at), "asked before its event is shown");
        assert_eq!(p.score(), (0, 0, 1));
        // Play stops there for an answer (unless it plays straight through, which passes).
        let mut playing = loaded("a-bounce", 0);
        while playing.cursor < at {
            // Play stops at each new part too; pressed again there, it goes on.
            playing = playing.clone().reduce(if playing.playing { Action::Tick } else { Action::Play });
        }
        let stopped = playing.reduce(Action::Tick);
        assert_eq!((stopped.cursor, stopped.playing, stopped.question_due()), (at, false, Some(s)));
        // Play pressed at the question asks for an answer, as a step does (it used to play
        // and stop at once, saying nothing); pressed again, it passes and plays on.
        let asked = stopped.reduce(Action::Play);
        assert_eq!((asked.cursor, asked.playing, asked.nudged), (at, false, true));
        let passed = asked.reduce(Action::Play);
        assert_eq!((passed.cursor, passed.playing, passed.said(s)), (at + 1, true, Some(&Said::Skipped)));
        let through = p.clone().reduce(Action::TogglePlayThrough).reduce(Action::Play);
        assert_eq!((through.cursor, through.playing, through.nudged), (at, true, false));
        let through = through.reduce(Action::Tick);
        assert_eq!((through.cursor, through.playing, through.said(s)), (at + 1, true, Some(&Said::Skipped)));
        // A step asks for an answer first; a second one passes: the event is shown, the
        // question counted as not answered.
        let nudged = p.clone().reduce(Action::Step);
        assert_eq!((nudged.cursor, nudged.nudged, nudged.question_due()), (at, true, Some(s)));
        let passed = nudged.reduce(Action::Step);
        assert_eq!(
            (passed.cursor, passed.said(s), passed.score(), passed.nudged),
            (at + 1, Some(&Said::Skipped), (0, 0, 1), false)
        );
        // An answer after the nudge is taken as any other.
        let answered = p.clone().reduce(Action::Step).reduce(Action::Answer(Reply::Choice(2)));
        assert_eq!((answered.cursor, answered.score(), answered.nudged), (at + 1, (1, 1, 1), false));
        // An empty typed answer to a question with choices, or a choice out of range: nothing.
        assert_eq!(p.clone().reduce(Action::Answer(Reply::Choice(9))).cursor, at);
        // A wrong choice: recorded, the event shown, not counted right.
        let wrong = p.clone().reduce(Action::Answer(Reply::Choice(0)));
        assert_eq!(wrong.cursor, at + 1);
        assert_eq!(
            wrong.said[s],
            Some(Said::Answer { text: "250: the address is fine".into(), right: false })
        );
        assert_eq!((wrong.question_due(), wrong.score()), (None, (0, 1, 1)));
        // The right one.
        let right = p.clone().reduce(Action::Answer(Reply::Choice(2)));
        assert_eq!(right.score(), (1, 1, 1));
        // Skipped: shown, not right; stepping back and forth does not ask again.
        let skipped = p.clone().reduce(Action::Skip);
        assert_eq!(
            (skipped.cursor, skipped.said[s].clone(), skipped.score()),
            (at + 1, Some(Said::Skipped), (0, 0, 1))
        );
        let again = skipped.reduce(Action::Back).reduce(Action::Step);
        assert_eq!(again.cursor, at + 1);
        // Seeking past a question does not answer it: it is asked when reached again.
        let jumped = p.clone().reduce(Action::ToEnd).reduce(Action::Seek(at));
        assert_eq!(jumped.question_due(), Some(s));
        // Answer and Skip do nothing when no question is due.
        let none = loaded("a-bounce", 0);
        assert_eq!(none.clone().reduce(Action::Skip).cursor, 0);
    }

    #[test]
    fn a_typed_answer_is_checked_as_a_reply_code() {
        let lesson = "---\ntitle: T\nfrom: Alice <alice@example.org>\nto: Bobby <bobby@example.net>\n---\n\
                      ## Start\n@ start\n\n## Refused\n@ reply to RCPT on mx.example.net\n\n\
                      ```question reply\nType the code.\n```\n";
        let p = Rc::new(Player::loading(first_lesson_id(), 0, Settings::default(), 1));
        let p = p.reduce(Action::LessonText { id: first_lesson_id().into(), text: Ok(lesson.into()) });
        let (p, s) = to_question(p);
        assert_eq!(p.clone().reduce(Action::Answer(Reply::Typed("  ".into()))).cursor, p.cursor);
        let right = p.clone().reduce(Action::Answer(Reply::Typed(" 550 no such user".into())));
        assert_eq!(right.said[s], Some(Said::Answer { text: "550 no such user".into(), right: true }));
        let wrong = p.reduce(Action::Answer(Reply::Typed("450".into())));
        assert_eq!(wrong.score(), (0, 1, 1));
    }

    fn run(p: Rc<Player>, actions: &[Action]) -> Rc<Player> {
        actions.iter().cloned().fold(p, |p, a| p.reduce(a))
    }

    #[test]
    fn an_imap_lesson_is_played_by_the_full_build() {
        let p = run(player(), &[Action::Step, Action::LoadLesson("reading-mail-with-imap".into())]);
        assert_eq!(p.pending, Some(("reading-mail-with-imap".to_string(), 0)));
        let opened = Player::loading("two-devices-imap", 7, Settings::default(), 1);
        assert_eq!(
            (opened.pending.clone(), opened.error.clone()),
            (Some(("two-devices-imap".into(), 7)), None)
        );
        if cfg!(feature = "imap") {
            // The full build fetches and plays it.
            let p = deliver(p);
            assert_eq!((p.lesson.title.as_str(), p.pending.clone()), ("Reading mail with IMAP", None));
            assert!(p.total() > 0);
        } else {
            // The lite build says, in words, that it goes to the full build; the lesson it
            // showed is gone from the screen (no steps, no cursor).
            assert!(plays_elsewhere("reading-mail-with-imap") && !plays_elsewhere("sending-an-email"));
            assert_eq!(
                (p.lesson.title.as_str(), p.lesson.summary.as_str()),
                ("Reading mail with IMAP", LOADING_IMAP)
            );
            assert_eq!((p.cursor, p.total()), (0, 0));
            assert_eq!(opened.lesson.summary, LOADING_IMAP);
        }
    }

    #[test]
    fn the_first_lesson_loads_and_has_events() {
        let p = player();
        assert_eq!(p.error, None);
        assert!(p.total() > 0);
        assert_eq!(p.cursor, 0);
    }

    #[test]
    fn step_and_back_move_the_cursor_within_bounds() {
        let p = player();
        let p = run(p, &[Action::Back]);
        assert_eq!(p.cursor, 0);
        let p = run(p, &[Action::Step, Action::Step]);
        assert_eq!(p.cursor, 2);
        let p = run(p, &[Action::Back]);
        assert_eq!(p.cursor, 1);
        let total = p.total();
        let p = run(p, &vec![Action::Step; total + 5]);
        assert_eq!(p.cursor, total);
    }

    #[test]
    fn seek_clamps_and_ends_jump() {
        let p = player();
        let total = p.total();
        assert_eq!(run(p.clone(), &[Action::Seek(10_000)]).cursor, total);
        assert_eq!(run(p.clone(), &[Action::ToEnd]).cursor, total);
        assert_eq!(run(p, &[Action::ToEnd, Action::ToStart]).cursor, 0);
    }

    #[test]
    fn reaching_the_end_stops_playing() {
        let p = run(player(), &[Action::Play]);
        assert!(p.playing);
        let total = p.total();
        // (Each question is passed with a second step.)
        let p = run(p, &vec![Action::Step; 2 * total]);
        assert_eq!(p.cursor, total);
        assert!(!p.playing);
    }

    #[test]
    fn play_at_the_end_restarts_from_the_start() {
        let p = run(player(), &[Action::ToEnd, Action::Play]);
        assert!(p.playing);
        assert_eq!(p.cursor, 0);
    }

    #[test]
    fn toggle_plays_and_pauses_and_back_pauses() {
        let p = run(player(), &[Action::Toggle]);
        assert!(p.playing);
        let p = run(p, &[Action::Toggle]);
        assert!(!p.playing);
        let p = run(p, &[Action::Step, Action::Play, Action::Back]);
        assert!(!p.playing);
    }

    #[test]
    fn selection_is_only_of_shown_events_and_clears_on_move() {
        let p = run(player(), &[Action::Select(Some(0))]);
        assert_eq!(p.selected, None, "nothing is shown at cursor 0");
        let p = run(p, &[Action::Step, Action::Step, Action::Select(Some(0))]);
        assert_eq!(p.selected, Some(0));
        assert_eq!(p.focused(), Some(0));
        let p = run(p, &[Action::Step]);
        assert_eq!(p.selected, None);
        assert_eq!(p.focused(), Some(2));
        let p = run(p, &[Action::Select(Some(1)), Action::Select(None)]);
        assert_eq!(p.selected, None);
    }

    #[test]
    fn settings_change_and_round_trip() {
        let p = run(player(), &[Action::SetSpeed(Speed::Quadruple), Action::ToggleLineEnds]);
        assert_eq!(p.speed, Speed::Quadruple);
        assert!(p.show_line_ends);
        let s = p.settings();
        assert_eq!(Settings::from_storage(&s.to_storage()), s);
        assert_eq!(Settings::from_storage("garbage;speed=7"), Settings::default());
        assert_eq!(Settings::from_storage("speed=0.5").speed, Speed::Half);
    }

    #[test]
    fn loading_an_unknown_lesson_keeps_the_current_one() {
        let p = run(player(), &[Action::Step, Action::LoadLesson("nope".into())]);
        assert!(p.error.is_some());
        assert_eq!((p.cursor, p.pending.clone()), (1, None));
        let p = run(p, &[Action::Notice(None), Action::LoadLesson("a-bounce".into())]);
        assert_eq!(p.pending, Some(("a-bounce".to_string(), 0)));
        // Until it arrives, the current lesson stays on screen; a late answer for a lesson
        // no longer wanted is ignored.
        assert_eq!(p.lesson.id, first_lesson_id());
        let ignored = run(p.clone(), &[Action::LessonText { id: "bcc".into(), text: Ok("x".into()) }]);
        assert!(Rc::ptr_eq(&ignored, &p));
        let p = deliver(p);
        assert_eq!((p.lesson.id.as_str(), p.cursor, p.error.clone()), ("a-bounce", 0, None));
    }

    #[test]
    fn a_lesson_that_cannot_be_fetched_is_said_and_the_current_one_stays() {
        let p = run(player(), &[Action::Step, Action::LoadLesson("a-bounce".into())]);
        let p = run(p, &[Action::LessonText { id: "a-bounce".into(), text: Err("offline".into()) }]);
        let error = p.error.clone().unwrap_or_default();
        assert!(error.contains("offline") && error.contains("Still showing"), "{error}");
        assert_eq!((p.lesson.id.as_str(), p.cursor, p.pending.clone()), (first_lesson_id(), 1, None));
        // A broken file is reported with what is wrong in it.
        let p = run(p, &[Action::LoadLesson("bcc".into())]);
        let p = run(p, &[Action::LessonText { id: "bcc".into(), text: Ok("no front matter".into()) }]);
        assert!(p.error.clone().unwrap_or_default().contains("has a mistake"), "{:?}", p.error);
    }

    #[test]
    fn loading_falls_back_to_the_first_lesson_and_clamps() {
        let p = Rc::new(Player::loading("does-not-exist", 3, Settings::default(), 1));
        let error = p.error.clone().unwrap_or_default();
        assert!(error.contains("does-not-exist") && error.contains("first lesson"), "{error}");
        assert_eq!(p.pending, Some((first_lesson_id().to_string(), 3)), "the step of the address is kept");
        let p = deliver(p);
        assert_eq!((p.lesson.id.as_str(), p.cursor), (first_lesson_id(), 3));
        let p = p.reduce(Action::Notice(None));
        assert_eq!(p.error, None);
        // A notice (an address typed that could not be read) keeps the step shown.
        let p = p.reduce(Action::Notice(Some("said".into())));
        assert_eq!((p.error.as_deref(), p.cursor), (Some("said"), 3));
        let p = loaded(first_lesson_id(), 1_000_000);
        assert_eq!(p.cursor, p.total());
        // A step asked for while the lesson is on its way is kept for it.
        let p = Rc::new(Player::loading("a-bounce", 0, Settings::default(), 1)).reduce(Action::Seek(5));
        assert_eq!(deliver(p).cursor, 5);
        // A file that cannot be read while nothing is shown yet: the first lesson instead.
        let p = Rc::new(Player::loading("a-bounce", 2, Settings::default(), 1));
        let p = p.reduce(Action::LessonText { id: "a-bounce".into(), text: Err("404".into()) });
        assert_eq!(p.pending, Some((first_lesson_id().to_string(), 0)));
        assert!(p.error.clone().unwrap_or_default().contains("404"));
        // That one cannot be read either (offline): nothing shown, nothing on its way.
        let first = first_lesson_id().to_string();
        let p = p.reduce(Action::LessonText { id: first.clone(), text: Err("offline".into()) });
        assert_eq!((p.pending.clone(), p.total(), p.lesson.title.as_str()), (None, 0, NOT_LOADED));
        assert!(p.error.clone().unwrap_or_default().contains("offline"));
        // The address named again (a hashchange seeks): the lesson is asked for again, at
        // that step, and the notice gives way to the loading state.
        let p = p.reduce(Action::Seek(4));
        assert_eq!((p.pending.clone(), p.error.clone()), (Some(("a-bounce".to_string(), 4)), None));
        let p = deliver(p);
        assert_eq!((p.lesson.id.as_str(), p.cursor, p.pending.clone()), ("a-bounce", 4, None));
    }

    #[test]
    fn steps_follow_their_anchors() {
        let anchors = [None, Some(1), Some(4)];
        assert_eq!(current_step(&anchors, 0), Some(0));
        assert_eq!(current_step(&anchors, 1), Some(0));
        assert_eq!(current_step(&anchors, 2), Some(1));
        assert_eq!(current_step(&anchors, 5), Some(2));
        assert_eq!(current_step(&[Some(3)], 2), None);
        assert_eq!(step_cursor(Some(4)), 5);
    }

    fn bounce() -> Rc<Player> {
        loaded("a-bounce", 0)
    }

    #[test]
    fn playing_stops_at_the_start_of_each_new_part() {
        let p = run(player(), &[Action::Play]);
        let first_stop = p.next_part_start().expect("a second part");
        let p = run(p, &vec![Action::Tick; first_stop]);
        assert_eq!(p.cursor, first_stop);
        assert!(!p.playing, "stopped at the start of the new part");
        let p = run(p, &[Action::Tick]);
        assert_eq!(p.cursor, first_stop, "a tick after the stop does nothing");
        let p = run(p, &[Action::Play, Action::Tick]);
        assert_eq!(p.cursor, first_stop + 1, "Play goes on");
        // In the bounce lesson the first part is ten steps long: played without a stop.
        let p = run(bounce(), &[Action::Play]);
        let stop = p.next_part_start().unwrap();
        let p = run(p, &vec![Action::Tick; stop - 1]);
        assert!(p.playing && p.cursor == stop - 1);
    }

    #[test]
    fn playing_straight_through_ignores_the_parts() {
        let p = run(player(), &[Action::TogglePlayThrough, Action::Play]);
        let total = p.total();
        let p = run(p, &vec![Action::Tick; total - 1]);
        assert!(p.playing);
        let p = run(p, &[Action::Tick]);
        assert_eq!(p.cursor, total);
        assert!(!p.playing, "stops at the end");
        assert!(Settings::from_storage(&p.settings().to_storage()).play_through);
    }

    #[test]
    fn the_sequence_view_is_a_setting_that_survives_a_reload() {
        let p = run(player(), &[Action::ToggleSequence]);
        assert!(p.sequence);
        let saved = p.settings().to_storage();
        assert!(saved.ends_with(";seq=1"), "{saved}");
        assert!(Settings::from_storage(&saved).sequence);
        // Stepping keeps it; toggling again goes back to the network diagram.
        let p = run(p, &[Action::Step, Action::ToggleSequence]);
        assert!(!p.sequence);
        assert!(!Settings::from_storage("speed=2;line-ends=1;through=0;wire=1").sequence);
    }

    #[test]
    fn the_eavesdropper_view_is_a_setting_that_survives_a_reload() {
        let p = run(player(), &[Action::ToggleEavesdropper]);
        assert!(p.eavesdropper);
        let saved = p.settings().to_storage();
        assert!(saved.contains(";wire=1"), "{saved}");
        assert!(Settings::from_storage(&saved).eavesdropper);
        // An old entry without it keeps the default.
        assert!(!Settings::from_storage("speed=2;line-ends=1;through=0").eavesdropper);
    }

    #[test]
    fn part_keys_jump_between_parts() {
        let p = bounce();
        let starts: Vec<usize> = p.part_starts().collect();
        let p = run(p, &[Action::NextPart]);
        assert_eq!(p.cursor, starts[1]);
        let p = run(p, &[Action::NextPart, Action::Step]);
        assert_eq!(p.cursor, starts[2] + 1);
        let p = run(p, &[Action::PrevPart]);
        assert_eq!(p.cursor, starts[2], "back to the start of the current part");
        let p = run(p, &[Action::PrevPart]);
        assert_eq!(p.cursor, starts[1]);
        let p = run(p, &vec![Action::NextPart; 50]);
        assert_eq!(p.cursor, p.total());
        let p = run(p, &vec![Action::PrevPart; 50]);
        assert_eq!(p.cursor, 0);
    }

    #[test]
    fn too_many_messages_are_capped_and_said() {
        let p = deliver(Rc::new(Player::loading(first_lesson_id(), 0, Settings::default(), 999_999)));
        assert_eq!(p.messages, world::MAX_REPEAT);
        let notice = p.error.clone().unwrap_or_default();
        assert!(notice.contains("999999") && notice.contains(&world::MAX_REPEAT.to_string()), "{notice}");
        let p = deliver(Rc::new(Player::loading(first_lesson_id(), 0, Settings::default(), 3)));
        assert_eq!((p.messages, p.error.clone()), (3, None));
        let one = loaded(first_lesson_id(), 0);
        assert!(p.total() > 2 * one.total(), "the email is sent three times");
    }

    #[test]
    fn parts_cover_ranges_of_steps() {
        let anchors = [None, Some(9), Some(10), Some(19)];
        assert_eq!(part_range(&anchors, 0, 36), Some((0, 9)));
        assert_eq!(part_range(&anchors, 1, 36), Some((10, 10)));
        assert_eq!(part_range(&anchors, 3, 36), Some((20, 36)));
        assert_eq!(part_range(&anchors, 4, 36), None);
    }

    #[test]
    fn speeds_are_ordered() {
        assert!(Speed::Quarter.step_ms() >= 3000, "slow enough to read a reply");
        assert!(Speed::Half.step_ms() > Speed::Normal.step_ms());
        assert!(Speed::Double.step_ms() > Speed::Quadruple.step_ms());
        assert!(Speed::ALL.iter().all(|s| s.travel_ms() < s.step_ms() || s.travel_ms() == 900));
    }
}
