//! The sandbox page's state (the full build, `#/sandbox`): the running World of
//! [`mailroom_core::sandbox`] and what the page shows of it. The page is a view over
//! (trace, cursor), as the player is: the trace grows with each input, the cursor follows it
//! one event at a time (the tokens travel), and stepping back moves the cursor.
//!
//! Plain Rust (no browser APIs), unit-tested natively. What the student did is kept in
//! `localStorage` as its input lines, and replayed on the next visit.

use std::cell::RefCell;
use std::rc::Rc;

use mailroom_core::describe::{
    Description, POP3_CUT_VERBS, REPLY_VERBS, SMTP_CUT_VERBS, ServiceKind, refusals,
};
use mailroom_core::lesson::{EmailSpec, Lesson};
use mailroom_core::sandbox::{Input, Opened, Sandbox};
use mailroom_core::trace::{EventKind, HostRole, TlsFlight, Trace};
use mailroom_core::world::LessonRun;
use serde::{Deserialize, Serialize};
use yew::Reducible;

use crate::shared::Shared;

/// The `localStorage` key.
pub const KEY: &str = "mailroom.sandbox";
/// The version of the saved format. A different one is not read.
pub const VERSION: u32 = 1;

/// What is kept of a session: its inputs, as text ([`Input`]'s lines).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub lines: Vec<String>,
}

/// The sandbox page.
#[derive(Clone)]
pub struct SandboxState {
    /// The running World. Changed in place by the reducer; every change also makes a new
    /// `run`, which is what the components compare.
    pub sandbox: Rc<RefCell<Sandbox>>,
    /// The trace so far, shared with the diagram, the transcript and the panels.
    pub run: Shared<LessonRun>,
    /// A stand-in lesson for the panels that take one: the sandbox's world, no message.
    pub lesson: Shared<Lesson>,
    /// How many events are shown.
    pub cursor: usize,
    /// The cursor moves on by itself to the newest event (false once the student steps back).
    pub following: bool,
    /// The connection the terminal shows (from 1), 0 before the first.
    pub active: usize,
    /// The event chosen in the transcript.
    pub selected: Option<usize>,
    /// The last input refused, or why the saved session could not be restored in full.
    pub notice: Option<String>,
    /// The transcript shows what an eavesdropper on the wire sees of encrypted connections.
    pub eavesdropper: bool,
    /// The lines typed but not sent, from the one refused on (joined by newlines), back
    /// in the terminal's box to be mended; numbered, so that the same lines refused again
    /// come back again.
    pub unsent: (usize, String),
    /// What the side column shows below the terminal.
    pub pane: Pane,
}

/// What the side column shows below the terminal, one at a time: each gets the room left
/// on a laptop's screen (all three under the terminal went below its fold at 1366×768).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pane {
    /// What the current (or chosen) event means.
    #[default]
    Explanation,
    /// The World's mailboxes and what they hold.
    Mailboxes,
    /// The fault form and the faults injected.
    Faults,
}

/// What the page can do.
#[derive(Clone, Debug, PartialEq)]
pub enum SandboxAction {
    /// The student does this.
    Do(Input),
    /// The student sends these lines into connection `conn`, one after another (a pasted
    /// message), up to the first one refused.
    TypeLines {
        conn: usize,
        lines: Vec<String>,
    },
    /// Takes back the last input.
    Undo,
    /// Back to the world's start.
    StartOver,
    /// One more event shown (the animation's timer).
    Tick,
    /// One event back.
    Back,
    /// One event on.
    Forward,
    /// To the newest event, and follow again.
    Latest,
    /// Before the first event: the world as it started.
    First,
    /// The terminal shows connection `n`.
    Show(usize),
    /// An event chosen in the transcript (`None`: the current one again).
    Select(Option<usize>),
    DismissNotice,
    ToggleEavesdropper,
    /// The side column shows this below the terminal.
    ShowPane(Pane),
}

/// What a key does on the sandbox's page, outside its fields and its terminal's screen:
/// the lesson's keys for moving through what happened (a clicker's Page Up and Page
/// Down too). `None`: the browser's.
pub fn key_action(key: &str) -> Option<SandboxAction> {
    Some(match key {
        "ArrowLeft" | "PageUp" => SandboxAction::Back,
        "ArrowRight" | "PageDown" => SandboxAction::Forward,
        "Home" => SandboxAction::First,
        "End" => SandboxAction::Latest,
        _ => return None,
    })
}

impl SandboxState {
    /// A session on `world` from its start.
    pub fn new(world: Description) -> SandboxState {
        SandboxState::restore(world, &[])
    }

    /// The session that `lines` make on `world`; a line that cannot be replayed (the world
    /// changed since) ends it there, with a notice. Shown at its end.
    pub fn restore(world: Description, lines: &[String]) -> SandboxState {
        let (sandbox, refused) = Sandbox::replay(world.clone(), lines.iter().map(String::as_str));
        let notice = refused.map(|(n, why)| {
            format!(
                "Your saved session was restored up to input {}; input {n} could not be done again: {why}.",
                n - 1
            )
        });
        let lesson = Shared::new(Lesson {
            id: "sandbox".into(),
            title: "Sandbox".into(),
            summary: String::new(),
            listing: Default::default(),
            scenario: String::new(),
            email: EmailSpec::default(),
            world,
            steps: Vec::new(),
        });
        let run = run_of(&sandbox);
        let active = sandbox.connections().len();
        SandboxState {
            sandbox: Rc::new(RefCell::new(sandbox)),
            cursor: run.trace.len(),
            run,
            lesson,
            following: true,
            active,
            selected: None,
            notice,
            eavesdropper: false,
            unsent: (0, String::new()),
            pane: Pane::default(),
        }
    }

    /// Reads what [`SandboxState::saved`] wrote (see [`crate::saved`]); unreadable: a new
    /// session, with the notice.
    pub fn from_storage(world: Description, text: Option<&str>) -> SandboxState {
        let (saved, notice): (Saved, _) =
            crate::saved::decode(text, VERSION, "Your saved sandbox session", "was");
        let mut state = SandboxState::restore(world, &saved.lines);
        state.notice = notice.or(state.notice);
        state
    }

    /// What to keep of this session.
    pub fn saved(&self) -> String {
        let lines = self.sandbox.borrow().inputs().iter().map(Input::to_string).collect();
        crate::saved::encode(VERSION, &Saved { lines })
    }

    pub fn total(&self) -> usize {
        self.run.trace.len()
    }

    /// The student stepped back to an earlier moment: what is typed or waited for next
    /// happens after the newest event, not at the one shown. Not while the new events play
    /// out one at a time after an input (the view follows them; it said "looking back").
    pub fn looking_back(&self) -> bool {
        !self.following && self.cursor < self.total()
    }

    /// What the terminal shows of the connection it shows, at the cursor.
    pub fn screen(&self) -> Vec<TermLine> {
        let sandbox = self.sandbox.borrow();
        let Some(c) = self.active.checked_sub(1).and_then(|i| sandbox.connections().get(i)) else {
            return Vec::new();
        };
        let typed = sandbox.typed(self.active);
        terminal(&self.run.trace, c, &typed, self.cursor)
    }

    /// The lines typed into the connection the terminal shows, each with whether its server
    /// took it ([`Sandbox::judged`]), at the newest event, where the next line typed goes
    /// (also while looking back): the lines to try go on from those taken.
    pub fn judged(&self) -> Vec<(String, bool)> {
        let sandbox = self.sandbox.borrow();
        sandbox.judged(self.active, usize::MAX).into_iter().map(|(l, taken)| (l.to_string(), taken)).collect()
    }

    /// A connection opened or a line typed while the faults' pane shows: what comes back
    /// is explained (the fault form has done its part); the mailboxes stay in view, where a
    /// message typed is watched arrive.
    fn after_talk(&mut self) {
        if self.pane == Pane::Faults {
            self.pane = Pane::Explanation;
        }
    }

    /// The event the explanation card is about: the chosen one, else the current one.
    pub fn focused(&self) -> Option<usize> {
        self.selected.or(self.cursor.checked_sub(1))
    }

    /// A new state over what the sandbox holds now: shows the events that came from the
    /// cursor on, one at a time.
    /// `before`: how many connections there were before the change.
    fn changed(&self, sandbox: Rc<RefCell<Sandbox>>, before: usize, cursor: usize) -> SandboxState {
        let run = run_of(&sandbox.borrow());
        let opened = sandbox.borrow().connections().len();
        // A newly opened connection is the one to type into.
        let active = if opened > before || self.active > opened { opened } else { self.active };
        SandboxState {
            sandbox,
            cursor: cursor.min(run.trace.len()),
            run,
            lesson: self.lesson.clone(),
            following: true,
            active,
            selected: None,
            notice: None,
            eavesdropper: self.eavesdropper,
            unsent: self.unsent.clone(),
            pane: self.pane,
        }
    }
}

fn run_of(sandbox: &Sandbox) -> Shared<LessonRun> {
    Shared::new(LessonRun { trace: sandbox.trace().clone(), anchors: Vec::new(), answers: Vec::new() })
}

impl Reducible for SandboxState {
    type Action = SandboxAction;

    fn reduce(self: Rc<Self>, action: SandboxAction) -> Rc<Self> {
        let with = |f: &dyn Fn(&mut SandboxState)| {
            let mut next = (*self).clone();
            f(&mut next);
            Rc::new(next)
        };
        let total = self.total();
        match action {
            SandboxAction::Do(input) => {
                let before = self.sandbox.borrow().connections().len();
                let waited = if let Input::Wait(d) = &input { Some(d.0 / 1_000_000) } else { None };
                let talks = matches!(input, Input::Open { .. } | Input::Type { .. });
                let outcome = self.sandbox.borrow_mut().apply(input);
                match outcome {
                    // What the last input set off is shown whole, then this one's events
                    // one at a time.
                    Ok(()) => {
                        let mut next = self.changed(self.sandbox.clone(), before, total);
                        if talks {
                            next.after_talk();
                        }
                        // A wait that set nothing off changes only the clock: said, or the
                        // page looks as if the button did nothing.
                        if let (Some(secs), true) = (waited, next.total() == total) {
                            next.notice = Some(format!(
                                "{} passed, and nothing happened: no server had anything due (the clock shows the new time).",
                                crate::present::duration_words(secs)
                            ));
                        }
                        Rc::new(next)
                    }
                    Err(why) => with(&|s| {
                        s.notice = Some(sentence(&why.to_string()));
                        s.cursor = total;
                        s.following = true;
                    }),
                }
            }
            SandboxAction::TypeLines { conn, lines } => {
                let before = self.sandbox.borrow().connections().len();
                let count = lines.len();
                for (i, text) in lines.iter().enumerate() {
                    let outcome = self.sandbox.borrow_mut().apply(Input::Type { conn, text: text.clone() });
                    if let Err(why) = outcome {
                        let mut next = self.changed(self.sandbox.clone(), before, total);
                        // Nothing typed is lost: the refused line and the rest go back in the box.
                        next.unsent = (self.unsent.0 + 1, lines[i..].join("\n"));
                        next.notice = Some(match (i, count) {
                            (_, 1) => sentence(&why.to_string()),
                            (0, _) => format!(
                                "The first of your {count} lines was refused, and none was sent: {why}"
                            ),
                            (i, _) => format!(
                                "Line {} of your {count} was refused: {why}. The {i} before it were sent, the rest not.",
                                i + 1
                            ),
                        });
                        return Rc::new(next);
                    }
                }
                let mut next = self.changed(self.sandbox.clone(), before, total);
                next.after_talk();
                Rc::new(next)
            }
            SandboxAction::Undo => {
                let before = self.sandbox.borrow().connections().len();
                let back = self.sandbox.borrow().without_last(1);
                Rc::new(self.changed(Rc::new(RefCell::new(back)), before, usize::MAX))
            }
            SandboxAction::StartOver => Rc::new(SandboxState::new(self.sandbox.borrow().start().clone())),
            SandboxAction::Tick if self.following && self.cursor < total => with(&|s| s.cursor += 1),
            SandboxAction::Back if self.cursor > 0 => with(&|s| {
                s.cursor -= 1;
                s.following = false;
                s.selected = None;
            }),
            SandboxAction::Forward if self.cursor < total => with(&|s| {
                s.cursor += 1;
                s.following = s.cursor == total;
                s.selected = None;
            }),
            SandboxAction::First if self.cursor > 0 => with(&|s| {
                s.cursor = 0;
                s.following = false;
                s.selected = None;
            }),
            SandboxAction::Latest => with(&|s| {
                s.cursor = total;
                s.following = true;
                s.selected = None;
            }),
            SandboxAction::Show(n) if n >= 1 && n <= self.sandbox.borrow().connections().len() => {
                with(&|s| s.active = n)
            }
            // An event chosen in the transcript is explained: the explanation comes into view.
            SandboxAction::Select(i) => with(&|s| {
                s.selected = i.filter(|&i| i < s.cursor);
                if s.selected.is_some() {
                    s.pane = Pane::Explanation;
                }
            }),
            SandboxAction::ShowPane(pane) => with(&|s| s.pane = pane),
            SandboxAction::DismissNotice => with(&|s| s.notice = None),
            SandboxAction::ToggleEavesdropper => with(&|s| s.eavesdropper = !s.eavesdropper),
            _ => self,
        }
    }
}

/// One line of a connection as its terminal shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermLine {
    /// What the person typed.
    Typed(String),
    /// What came back.
    Received(String),
    /// What the terminal itself says (connected, refused, closed).
    Status(String),
}

/// Connection `c` as a terminal (`telnet HOST PORT`) shows it after `cursor` events: the
/// command; "Trying" the address once the DNS has given it; `typed`, the lines the person typed
/// into it with where each came in the trace (see [`Sandbox::marks`]), each shown as it was
/// typed (a terminal echoes it at once, whether or not it ever arrives); what came back;
/// what became of the connection (a name that could not be resolved, too).
pub fn terminal(trace: &Trace, c: &Opened, typed: &[(usize, &str)], cursor: usize) -> Vec<TermLine> {
    let host = trace.host(c.to);
    let mut out = Vec::new();
    // The command that opened it, as a shell shows it above telnet's own lines (as a typed
    // line is, once the view is past the moment it was typed).
    if c.opened_at < cursor || cursor >= trace.len() {
        out.push(TermLine::Status(format!("$ telnet {} {}", host.name, c.port)));
    }
    if c.found_at.is_some_and(|n| n <= cursor) {
        out.push(TermLine::Status(format!("Trying {} port {}…", host.addr, c.port)));
    }
    let lines = |bytes: &[u8]| -> Vec<String> {
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_suffix("\r\n").unwrap_or(&text);
        text.split("\r\n").map(str::to_string).collect()
    };
    let mut typed = typed.iter().filter(|(mark, _)| *mark < cursor || cursor >= trace.len()).peekable();
    let mut connected = false;
    for e in trace.events.iter().take(cursor).filter(|e| e.conn == Some(c.id)) {
        while let Some((_, line)) = typed.next_if(|(mark, _)| *mark <= e.index) {
            out.push(TermLine::Typed(line.to_string()));
        }
        match &e.kind {
            // What the server's host noted (its checks of a sender) is inside the server: a
            // person at the terminal sees only what reaches their side.
            EventKind::Note if e.from == c.to => {}
            EventKind::Note | EventKind::Refused { .. } => out.push(TermLine::Status(e.text())),
            EventKind::Close if e.from == c.to => {
                out.push(TermLine::Status("Connection closed by foreign host.".into()))
            }
            EventKind::Close => out.push(TermLine::Status("Connection closed.".into())),
            EventKind::Tls { flight: TlsFlight::ClientFinished, .. } => out.push(TermLine::Status(
                "TLS handshake done, as `openssl s_client -starttls smtp` does it: from here on the \
                 connection is encrypted, and the server has forgotten what it was told before (say EHLO again)."
                    .into(),
            )),
            // The lines typed are echoed from what was typed; the rest of the handshake is
            // not text.
            EventKind::Connect { .. } | EventKind::Tls { .. } => {}
            _ if e.from == c.from => {}
            _ => {
                // Connected once the server answers (its greeting).
                if !connected {
                    out.push(TermLine::Status(format!("Connected to {} ({}).", host.name, host.addr)));
                    connected = true;
                }
                out.extend(lines(&e.bytes).into_iter().map(TermLine::Received));
            }
        }
    }
    out.extend(typed.map(|(_, line)| TermLine::Typed(line.to_string())));
    out
}

/// Lines worth trying, in order, on a service (`kind`: the service's name) of host `server`
/// of `world`, typed on host `client`. POP3, IMAP and submission log in as the first user
/// with a password whose domain `server` serves (the world's `domain` and `user` lines):
/// Alice at her provider, Bob at his; without one, no login is offered.
pub fn hints(world: &Description, kind: &str, client: &str, server: &str, in_data: bool) -> Vec<String> {
    let ehlo = format!("EHLO {client}");
    let (user, password) = world
        .users
        .iter()
        .filter(|u| {
            let domain = u.address.rsplit_once('@').map_or("", |(_, d)| d);
            world.domains.iter().any(|d| d.host == server && d.name.eq_ignore_ascii_case(domain))
        })
        .find_map(|u| Some((u.address.as_str(), u.password.as_deref()?)))
        .unwrap_or_default();
    // AUTH PLAIN's initial response: base64 of NUL, the user, NUL, the password (RFC 4616 §2).
    let plain =
        format!("AUTH PLAIN {}", mailroom_core::base64::encode(format!("\0{user}\0{password}").as_bytes()));
    let lines: &[&str] = match kind {
        // After 354 every line is the message's, up to a line with a lone dot (RFC 5321
        // §4.1.1.4): a command typed now would be a line of the message.
        "smtp" | "submission" if in_data => &[
            "From: Alice <alice@example.org>",
            "To: Bob <bob@example.net>",
            "Subject: Hello",
            "",
            "Hello Bob!",
            ".",
        ],
        // To a mailbox the server keeps (it relays for nobody on port 25), else Bob's.
        // STARTTLS where the server takes nothing more in the clear (`starttls required`).
        "smtp" => {
            &["EHLO", "STARTTLS", "EHLO", "MAIL FROM:<alice@example.org>", "RCPT TO:<{rcpt}>", "DATA", "QUIT"]
        }
        // The login once TLS is on (before it, the server refuses a password: 538).
        "submission" => &[
            "EHLO",
            "STARTTLS",
            // The server forgets what it was told before TLS (RFC 3207 §4.2).
            "EHLO",
            "AUTH",
            "MAIL FROM:<{user}>",
            "RCPT TO:<bob@example.net>",
            "DATA",
            "QUIT",
        ],
        "pop3" => &["USER {user}", "PASS {password}", "STAT", "LIST", "RETR 1", "QUIT"],
        "imap" => &["a1 LOGIN {user} {password}", "a2 SELECT INBOX", "a3 FETCH 1 BODY[]", "a4 LOGOUT"],
        _ => &[],
    };
    lines
        .iter()
        // A server that keeps nobody's mail here: no login to offer (nor what needs one).
        .filter(|l| !user.is_empty() || !(l.contains("{user}") || l.contains("{password}") || **l == "AUTH"))
        .map(|l| match *l {
            "EHLO" => ehlo.clone(),
            "AUTH" => plain.clone(),
            l => l
                .replace("{rcpt}", if user.is_empty() { "bob@example.net" } else { user })
                .replace("{user}", user)
                .replace("{password}", password),
        })
        .collect()
}

/// The hints in the order to try them: from the one after the last typed (`typed`: every
/// line typed into the connection, in order), round to the ones before it (a second
/// message, a new session). A line matches the hint of its command or header field (its
/// first word, or its second when lines are `tagged`, as IMAP's are: `From: Me
/// <me@example.org>` is `From:`'s, `x LOGIN …` is `a1 LOGIN`'s), the next one ahead first,
/// else the first; a line that is none moves nothing. The first hint
/// is the next line to try: clicking it again and again typed the first hint each time
/// (six `From:` fields in one message).
pub fn hints_ahead<'a>(
    mut hints: Vec<String>,
    tagged: bool,
    typed: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut at = 0;
    for line in typed {
        let of_line = |h: &String| word(h, 0, tagged).eq_ignore_ascii_case(word(line, 0, tagged));
        let ahead = hints.get(at..).and_then(|rest| rest.iter().position(of_line)).map(|k| at + k);
        if let Some(k) = ahead.or_else(|| hints.iter().position(of_line)) {
            at = (k + 1) % hints.len();
        }
    }
    hints.rotate_left(at);
    hints
}

/// Word `n` of a line, its command's or header field's name the first (`MAIL FROM:<a@b>`:
/// `MAIL`, `FROM`, `<a@b>`; `Subject: Hi`: `Subject`), after its tag when lines are
/// `tagged` (IMAP's); empty past the last.
fn word(line: &str, n: usize, tagged: bool) -> &str {
    line.split([' ', ':']).nth(n + usize::from(tagged)).unwrap_or_default()
}

/// The verb of the command whose rest connection `c`'s server waits for after the last
/// event: its last word on the connection was a continuation (IMAP's `+`) that nothing
/// came after.
fn continued<'t>(trace: &'t Trace, c: &Opened) -> Option<&'t str> {
    use mailroom_core::trace::{EventKind, ImapResponse, Status};
    let last = trace.events.iter().rev().filter(|e| e.conn == Some(c.id)).find(|e| {
        matches!(
            e.kind,
            EventKind::Command { .. }
                | EventKind::Reply { .. }
                | EventKind::MessageData
                | EventKind::AuthData
        )
    })?;
    match &last.kind {
        EventKind::Reply { status: Status::Imap(ImapResponse::Continuation), answers: Some(a), .. }
            if last.from == c.to =>
        {
            match &trace.events.get(*a)?.kind {
                EventKind::Command { verb } => Some(verb),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The state of connection `c`'s server after the last event, if it has one still.
pub fn server_state(trace: &Trace, c: &Opened) -> Option<mailroom_core::session::SessionState> {
    use mailroom_core::session::Side;
    let host = trace.snapshot_at(trace.len()).get(c.to)?;
    host.sessions.iter().find(|s| s.conn == c.id && s.side == Side::Server).map(|s| s.state)
}

/// The server of connection `c` is reading a message (after `354`, up to the lone dot)
/// after the last event: what is typed now is the message's.
pub fn in_data(trace: &Trace, c: &Opened) -> bool {
    use mailroom_core::session::SessionState;
    use mailroom_core::smtp::server::State;
    server_state(trace, c) == Some(SessionState::SmtpServer(State::ReceivingData))
}

/// The message the client of connection `c` sends has reached its body: since its last
/// DATA command, a line of the message was empty.
fn in_body(trace: &Trace, c: &Opened) -> bool {
    use mailroom_core::trace::EventKind;
    let sent = trace.events.iter().rev().filter(|e| e.conn == Some(c.id) && e.from == c.from);
    sent.take_while(|e| !matches!(&e.kind, EventKind::Command { verb } if verb.eq_ignore_ascii_case("DATA")))
        .filter(|e| e.kind == EventKind::MessageData)
        .any(|e| e.bytes.starts_with(b"\r\n") || e.bytes.windows(4).any(|w| w == b"\r\n\r\n"))
}

/// The lines to try next on connection `c` (a service `kind`) of `trace`, the chips under
/// the terminal, for the line typed next (it goes after the newest event): [`hints`] for
/// the service, going on from the lines its server took ([`hints_ahead`]), only those its
/// state takes ([`hints_in_step`]). `typed`: every line typed into it, with whether its
/// server took it ([`SandboxState::judged`]).
///
/// A line just refused is not offered first again when typed as it was (`RETR 1` on an
/// empty maildrop would come back forever): the one after it does, and it comes second.
/// IMAP's lines get a tag not used before on the connection (`a` and a number counting up
/// from the highest used), since a client gives each command a different one (RFC 9051
/// §2.2.1). In a message's body, no header fields. What comes before a message is what the
/// server's state says it waits for: STARTTLS, then the login on submission, each once.
/// PASS has the password of the user USER named. An empty maildrop or INBOX offers no RETR
/// or FETCH. While the server waits for the rest of a command (IMAP's `+` for a literal), no
/// command; for an answer to a login's challenge, `*` cancels it (RFC 4954 §4, RFC 9051
/// §6.2.2).
pub fn to_try(
    world: &Description,
    kind: &str,
    trace: &Trace,
    c: &Opened,
    typed: &[(String, bool)],
) -> Vec<String> {
    let tagged = kind == "imap";
    if let Some(verb) = continued(trace, c).filter(|v| !v.eq_ignore_ascii_case("IDLE")) {
        return if verb.eq_ignore_ascii_case("AUTHENTICATE") { vec!["*".to_string()] } else { Vec::new() };
    }
    let taken: Vec<&str> = typed.iter().filter(|(_, taken)| *taken).map(|(l, _)| l.as_str()).collect();
    let reading = in_data(trace, c);
    let all = hints(world, kind, &trace.host(c.from).name, &trace.host(c.to).name, reading);
    let ahead = hints_ahead(all, tagged, taken.iter().copied());
    let mut out = hints_in_step(ahead, tagged, server_state(trace, c));
    let verb = |l: &str| word(l, 0, tagged).to_ascii_uppercase();
    // In the message's body, after the empty line that ends its header section (RFC 5322
    // §2.1): no more header fields, nor that empty line again.
    if reading && in_body(trace, c) {
        out.retain(|h| !h.is_empty() && !h.contains(": "));
    }
    // The user logged in (or being logged in): POP3's USER, IMAP's LOGIN.
    let named = taken
        .iter()
        .rev()
        .find(|l| ["USER", "LOGIN"].contains(&verb(l).as_str()))
        .map(|l| word(l, 1, tagged));
    // An empty maildrop or INBOX (as its host holds it now): nothing to read, no RETR or
    // FETCH of a message 1 that is not there (IMAP: with the INBOX selected).
    let inbox = !tagged
        || taken
            .iter()
            .rev()
            .find(|l| verb(l) == "SELECT")
            .is_some_and(|l| word(l, 1, tagged).eq_ignore_ascii_case("INBOX"));
    if let Some(user) = named
        && inbox
        && trace
            .snapshot_at(trace.len())
            .get(c.to)
            .is_some_and(|h| h.mailboxes.iter().any(|(m, n)| m.eq_ignore_ascii_case(user) && *n == 0))
    {
        out.retain(|h| !["RETR", "FETCH"].contains(&verb(h).as_str()));
    }
    // PASS with the password of the user just named (POP3's USER), if the world knows it.
    if !tagged && let Some(named) = named {
        let password = world.users.iter().find(|u| u.address.eq_ignore_ascii_case(named));
        match password.and_then(|u| u.password.as_deref()) {
            Some(p) => out.iter_mut().filter(|h| verb(h) == "PASS").for_each(|h| *h = format!("PASS {p}")),
            None => out.retain(|h| verb(h) != "PASS"),
        }
    }
    let untagged =
        |l: &str| if tagged { l.split_once(' ').map_or(l, |(_, rest)| rest) } else { l }.trim().to_owned();
    if let Some((last, false)) = typed.last()
        && out.len() > 1
        && untagged(&out[0]).eq_ignore_ascii_case(&untagged(last))
    {
        out.swap(0, 1);
    }
    if tagged {
        let used = |tag: &str| {
            typed.iter().any(|(l, _)| l.split(' ').next().is_some_and(|t| t.eq_ignore_ascii_case(tag)))
        };
        // After the highest `a` and a number used, so that they count up.
        let highest = typed
            .iter()
            .filter_map(|(l, _)| l.split(' ').next()?.strip_prefix(['a', 'A'])?.parse::<usize>().ok())
            .max();
        let mut n = (typed.len() + 1).max(highest.map_or(0, |h| h.saturating_add(1)));
        while used(&format!("a{n}")) {
            n += 1;
        }
        for hint in &mut out {
            if let Some((tag, rest)) = hint.split_once(' ')
                && tag.starts_with('a')
                && tag[1..].bytes().all(|b| b.is_ascii_digit())
            {
                *hint = format!("a{n} {rest}");
            }
        }
    }
    out
}

/// The hints the server's state takes (RFC 5321 §4.1.4's, RFC 1939 §3's and RFC 9051 §3's
/// commands, those of the hints), once each, from the one it takes next if the first of
/// `hints` is one it refuses (a `503`, a `-ERR`, a `BAD`): after RSET, MAIL again, not the
/// RCPT that followed the last line taken; after a failed login, the login again; once
/// logged in, no login. While IMAP's IDLE lasts, only DONE ends it (RFC 2177 §3).
pub fn hints_in_step(
    mut hints: Vec<String>,
    tagged: bool,
    state: Option<mailroom_core::session::SessionState>,
) -> Vec<String> {
    use mailroom_core::session::SessionState;
    use mailroom_core::smtp::server::State as Smtp;
    let takes: &[&str] = match state {
        Some(SessionState::SmtpServer(s)) => match s {
            Smtp::Greeting | Smtp::ExpectHelo => &["EHLO", "HELO", "QUIT"],
            // STARTTLS before the login, the login before a message: the server says which
            // comes first (RFC 3207 §4, RFC 6409 §4.3). Once TLS is on, no STARTTLS (RFC 3207
            // §4.2); once logged in, no AUTH (RFC 4954 §4): `503`.
            Smtp::ExpectStartTls => &["STARTTLS", "EHLO", "QUIT"],
            Smtp::ExpectAuth => &["AUTH", "EHLO", "QUIT"],
            Smtp::ExpectMail => &["MAIL", "EHLO", "QUIT"],
            Smtp::ExpectRcpt => &["RCPT", "QUIT"],
            Smtp::ExpectRcptOrData => &["DATA", "RCPT", "QUIT"],
            Smtp::NoService => &["QUIT"],
            // A login's challenge waits for its answer: `*` cancels (RFC 4954 §4).
            Smtp::AuthExchange => return vec!["*".to_string()],
            Smtp::ReceivingData => return hints,
            Smtp::CheckingSender | Smtp::TlsHandshake | Smtp::Closed => return Vec::new(),
        },
        #[cfg(feature = "pop3")]
        Some(SessionState::Pop3Server(s)) => {
            use mailroom_core::pop3::server::State as Pop3;
            match s {
                Pop3::Authorization { user_given: false } => &["USER", "QUIT"],
                Pop3::Authorization { user_given: true } => &["PASS", "USER", "QUIT"],
                Pop3::Transaction => &["STAT", "LIST", "RETR", "QUIT"],
                Pop3::Update | Pop3::Closed => return Vec::new(),
            }
        }
        #[cfg(feature = "imap")]
        Some(SessionState::ImapServer(s)) => {
            use mailroom_core::imap::server::State as Imap;
            match s {
                Imap::Authenticated { idle: true } | Imap::Selected { idle: true, .. } => {
                    return vec!["DONE".to_string()];
                }
                Imap::NotAuthenticated => &["LOGIN", "LOGOUT"],
                Imap::Authenticated { idle: false } => &["SELECT", "LOGOUT"],
                Imap::Selected { idle: false, .. } => &["FETCH", "SELECT", "LOGOUT"],
                Imap::Logout => return Vec::new(),
            }
        }
        _ => return hints,
    };
    let verb = |h: &String| word(h, 0, tagged).to_ascii_uppercase();
    if hints.first().is_some_and(|h| !takes.contains(&verb(h).as_str()))
        && let Some(at) = hints.iter().position(|h| verb(h) == takes[0])
    {
        hints.rotate_left(at);
    }
    let mut seen = Vec::new();
    hints.retain(|h| {
        takes.contains(&verb(h).as_str()) && !seen.contains(h) && {
            seen.push(h.clone());
            true
        }
    });
    hints
}

/// A port of a host that a person can type into: the host's services that speak text
/// (SMTP, submission, POP3, IMAP; DNS is binary), with their names.
pub fn typable_ports(world: &Description, host: &str) -> Vec<(u16, &'static str)> {
    world
        .host(host)
        .map(|h| {
            h.services
                .iter()
                .filter(|s| s.kind != ServiceKind::Dns)
                .map(|s| (s.port, s.kind.name()))
                .collect()
        })
        .unwrap_or_default()
}

/// The kinds of fault the sandbox's form offers (the world description's fault directives),
/// and a server that starts checking senders (`check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    Down,
    Greylist,
    Full,
    Reply,
    Cut,
    Check,
    Txt,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::Down,
        FaultKind::Greylist,
        FaultKind::Full,
        FaultKind::Reply,
        FaultKind::Cut,
        FaultKind::Check,
        FaultKind::Txt,
    ];

    /// Its directive's keyword.
    pub fn key(self) -> &'static str {
        match self {
            FaultKind::Down => "down",
            FaultKind::Greylist => "greylist",
            FaultKind::Full => "full",
            FaultKind::Reply => "reply",
            FaultKind::Cut => "cut",
            FaultKind::Check => "check",
            FaultKind::Txt => "txt",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FaultKind::Down => "A host goes down",
            FaultKind::Greylist => "A server greylists",
            FaultKind::Full => "A mailbox is full",
            FaultKind::Reply => "A server refuses a command",
            FaultKind::Cut => "A connection breaks",
            FaultKind::Check => "A server checks senders",
            FaultKind::Txt => "A domain changes its SPF or DMARC record",
        }
    }

    pub fn from_key(key: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// The fault form's choices. Whatever was chosen before another kind or host was picked,
/// [`FaultForm::effective`] makes it fit (a host that serves what the fault needs, a code
/// the command may get, a port the host has).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultForm {
    pub kind: FaultKind,
    pub host: String,
    /// How long a host stays down (`10m`).
    pub duration: String,
    pub mailbox: String,
    pub verb: String,
    pub code: u16,
    pub text: String,
    /// The rule works once (`times 1`), else every time.
    pub once: bool,
    pub port: u16,
    /// What a server checks (`spf dkim dmarc`).
    pub checks: String,
    /// The TXT record a domain publishes now: a whole `txt` line ([`FaultForm::records`]).
    pub record: String,
}

/// `(value, text)` of a `<select>`'s options.
pub type Options = Vec<(String, String)>;

impl FaultForm {
    /// Bob's provider (the last mail server) refusing RCPT once with 450: a first fault to
    /// try.
    pub fn new(world: &Description) -> FaultForm {
        let host = world.hosts.iter().rev().find(|h| h.role == HostRole::MailServer).map(|h| h.name.clone());
        let form = FaultForm {
            kind: FaultKind::Reply,
            host: host.unwrap_or_default(),
            duration: "10m".into(),
            mailbox: String::new(),
            verb: "RCPT".into(),
            code: 450,
            text: String::new(),
            once: true,
            port: 25,
            checks: "spf dkim dmarc".into(),
            record: String::new(),
        };
        form.effective(world)
    }

    /// The hosts the fault may name: any for `down`, the servers where mail from other
    /// servers arrives for `check`, the SMTP servers for the others.
    pub fn hosts(&self, world: &Description) -> Options {
        let fits = |h: &mailroom_core::describe::HostDesc| match self.kind {
            FaultKind::Down => true,
            FaultKind::Check => h.services.iter().any(|s| s.kind == ServiceKind::Smtp),
            _ => h.services.iter().any(|s| s.kind.speaks_smtp()),
        };
        world
            .hosts
            .iter()
            .filter(|h| fits(h))
            .map(|h| (h.name.clone(), format!("{} ({})", h.name, h.label)))
            .collect()
    }

    pub fn durations() -> Options {
        [("1m", "1 minute"), ("10m", "10 minutes"), ("1h", "1 hour"), ("4h", "4 hours"), ("1d", "1 day")]
            .map(|(v, t)| (v.to_string(), t.to_string()))
            .into()
    }

    pub fn mailboxes(world: &Description) -> Options {
        world.users.iter().map(|u| (u.address.clone(), u.address.clone())).collect()
    }

    pub fn reply_verbs() -> Options {
        let name = |v: &str| match v {
            "GREETING" => "the greeting (on connecting)".to_string(),
            "MESSAGE" => "the message (after the final dot)".to_string(),
            v => v.to_string(),
        };
        REPLY_VERBS.iter().map(|v| (v.to_string(), name(v))).collect()
    }

    /// The refusals the chosen command may get (RFC 5321 §4.3.2 and the rest: see
    /// [`refusals`]).
    pub fn codes(&self) -> Options {
        refusals(&self.verb).into_iter().map(|c| (c.to_string(), c.to_string())).collect()
    }

    /// What a server may be told to check (the words of a `check` line), each in words.
    pub fn checks() -> Options {
        [
            ("spf dkim dmarc", "SPF (a fail is refused), DKIM and DMARC"),
            ("dkim dmarc", "DKIM and DMARC (SPF counts only for DMARC: its fail alone is not refused)"),
            ("spf", "SPF only (a fail is refused)"),
            ("dkim", "DKIM only (the result is noted)"),
        ]
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .into()
    }

    /// The records example.org may publish instead of the sandbox world's own
    /// (`mailroom_core::sandbox::TRUST_LINES`): each replaces the name's TXT records at once.
    pub fn records() -> Options {
        [
            ("txt _dmarc.example.org \"v=DMARC1; p=reject\"", "DMARC: refuse what fails (p=reject)"),
            (
                "txt _dmarc.example.org \"v=DMARC1; p=quarantine\"",
                "DMARC: into Junk (p=quarantine, as at the start)",
            ),
            ("txt _dmarc.example.org \"v=DMARC1; p=none\"", "DMARC: deliver, only watch (p=none)"),
            ("txt example.org \"v=spf1 mx ~all\"", "SPF: other senders suspicious (~all)"),
            ("txt example.org \"v=spf1 ip4:192.0.2.10 mx -all\"", "SPF: Alice's laptop may send too"),
            ("txt example.org \"v=spf1 mx -all\"", "SPF: only its mail servers (-all, as at the start)"),
        ]
        .map(|(v, t)| (v.to_string(), format!("example.org · {t}")))
        .into()
    }

    pub fn times() -> Options {
        vec![("true".into(), "once".into()), ("false".into(), "every time".into())]
    }

    /// The ports of the chosen host whose connections a `cut` can break (SMTP and POP3).
    pub fn ports(&self, world: &Description) -> Options {
        let kinds = world.host(&self.host).map(|h| h.services.as_slice()).unwrap_or_default();
        kinds
            .iter()
            .filter(|s| s.kind.speaks_smtp() || s.kind == ServiceKind::Pop3)
            .map(|s| (s.port.to_string(), format!("{} ({})", s.port, s.kind.name())))
            .collect()
    }

    /// The commands a `cut` can break the connection before, on the chosen port.
    pub fn cut_verbs(&self, world: &Description) -> Options {
        let pop3 = world
            .host(&self.host)
            .and_then(|h| h.services.iter().find(|s| s.port == self.port))
            .is_some_and(|s| s.kind == ServiceKind::Pop3);
        let verbs = if pop3 { POP3_CUT_VERBS } else { SMTP_CUT_VERBS };
        verbs.iter().map(|v| (v.to_string(), v.to_string())).collect()
    }

    /// The same choices, each made to fit the others.
    pub fn effective(&self, world: &Description) -> FaultForm {
        let pick = |chosen: &str, options: &Options| {
            options
                .iter()
                .find(|(v, _)| v == chosen)
                .or(options.first())
                .map(|(v, _)| v.clone())
                .unwrap_or_default()
        };
        let mut f = self.clone();
        f.host = pick(&f.host, &f.hosts(world));
        f.duration = pick(&f.duration, &FaultForm::durations());
        f.mailbox = pick(&f.mailbox, &FaultForm::mailboxes(world));
        f.checks = pick(&f.checks, &FaultForm::checks());
        f.record = pick(&f.record, &FaultForm::records());
        if f.kind == FaultKind::Cut {
            f.port = pick(&f.port.to_string(), &f.ports(world)).parse().unwrap_or(0);
            f.verb = pick(&f.verb, &f.cut_verbs(world));
        } else {
            f.verb = pick(&f.verb, &FaultForm::reply_verbs());
            f.code = pick(&f.code.to_string(), &f.codes()).parse().unwrap_or(0);
        }
        f
    }

    /// The reply's text when none is written: words that fit the command and the code (a
    /// 421 names its server first, as RFC 5321 §4.2 writes it: `421 <domain> Service not
    /// available, closing transmission channel`).
    pub fn default_text(&self) -> String {
        let text = match (self.verb.as_str(), self.code) {
            ("RCPT", 450..=452) => "Mailbox busy, try again later",
            ("RCPT", 550) => "No such user here",
            ("MESSAGE" | "MAIL" | "RCPT", 552) => "Message too big",
            (_, 421) => return format!("{} Service not available, closing transmission channel", self.host),
            (_, 454) => "TLS not available due to temporary reason",
            (_, 530) => "Must issue a STARTTLS command first",
            (_, 535) => "Authentication credentials invalid",
            (_, c) if c < 500 => "Try again later",
            _ => "Refused",
        };
        text.to_string()
    }

    /// Why the reply's text cannot be sent as it is written, if it cannot: a reply's text
    /// is 7-bit, printable US-ASCII, spaces and tabs (RFC 5321 §4.2; this World's servers
    /// have no SMTPUTF8), so what else it has is refused rather than left out unseen.
    pub fn text_problem(&self) -> Option<String> {
        let odd: String =
            self.text.chars().filter(|c| !(' '..='~').contains(c) && *c != '\t').take(3).collect();
        (!odd.is_empty()).then(|| {
            let shown: Vec<String> =
                odd.chars().map(|c| if c.is_control() { format!("U+{:04X}", u32::from(c)) } else { c.to_string() }).collect();
            format!(
                "A reply's text is plain ASCII (RFC 5321 §4.2): {} cannot be sent. Write it without accents or symbols.",
                shown.join(" ")
            )
        })
    }

    /// The fault as a line of the world description (the text of [`Input::Fault`]), once
    /// the choices fit; `None` when the world has nothing it could name, or the reply's
    /// text cannot be sent ([`FaultForm::text_problem`]).
    pub fn directive(&self, world: &Description) -> Option<String> {
        let f = self.effective(world);
        let times = if f.once { " times 1" } else { "" };
        let needs = |v: &str| (!v.is_empty()).then_some(());
        match f.kind {
            FaultKind::Down => needs(&f.host).map(|_| format!("down {} from 0s to {}", f.host, f.duration)),
            FaultKind::Greylist => needs(&f.host).map(|_| format!("greylist {}", f.host)),
            FaultKind::Full => needs(&f.mailbox).map(|_| format!("full {}", f.mailbox)),
            FaultKind::Reply => {
                needs(&f.host)?;
                if f.text_problem().is_some() {
                    return None;
                }
                // In one quoted string whose quotes and backslashes are escaped; a tab is
                // written as the space the World's grammar reads it as.
                let text: String = f.text.trim().replace('\t', " ").chars().take(200).collect();
                let text = if text.is_empty() { f.default_text() } else { text };
                let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
                Some(format!("reply {} {} {} \"{quoted}\"{times}", f.host, f.verb, f.code))
            }
            FaultKind::Cut => {
                needs(&f.host)?;
                (f.port != 0).then(|| format!("cut {} {} before {}{times}", f.host, f.port, f.verb))
            }
            FaultKind::Check => needs(&f.host).map(|_| format!("check {} {}", f.host, f.checks)),
            FaultKind::Txt => needs(&f.record).map(|_| f.record.clone()),
        }
    }
}

/// An error of the engine as a notice of its own: a sentence, with its capital and its stop
/// ("a typed line is at most 2000 bytes; …" is written to follow a colon).
fn sentence(why: &str) -> String {
    let mut chars = why.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.is_empty() && !out.ends_with(['.', '!', '?', ':']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests;
