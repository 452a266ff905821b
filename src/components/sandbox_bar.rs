use mailroom_core::sandbox::Input;
use mailroom_core::time::{SimDuration, SimTime};
use yew::prelude::*;

use crate::components::icons;
use crate::present::clock;
use crate::sandbox::SandboxAction;

#[derive(Properties, PartialEq)]
pub struct SandboxBarProps {
    pub cursor: usize,
    pub total: usize,
    /// Stepped back by the student ([`crate::sandbox::SandboxState::looking_back`]).
    pub looking_back: bool,
    /// The World's clock.
    pub now: SimTime,
    /// When the World next has something to do on its own.
    pub next: Option<SimTime>,
    /// How many inputs the session has (Undo takes back the last).
    pub inputs: usize,
    pub dispatch: Callback<SandboxAction>,
}

/// The waits offered: a minute (a reply that takes time), ten (past an SMTP server's idle
/// timeout, 5 minutes), an hour (past the first retries, 30 minutes apart) and four (the
/// "delayed" warning).
const WAITS: [(u64, &str, &str); 4] = [
    (60, "1 min", "one minute"),
    (600, "10 min", "ten minutes"),
    (3600, "1 hour", "an hour"),
    (14_400, "4 hours", "four hours"),
];

/// The sandbox's bottom bar: stepping through what happened, the World's time, and undo.
#[component]
pub fn SandboxBar(props: &SandboxBarProps) -> Html {
    let click = |action: SandboxAction| props.dispatch.reform(move |_: MouseEvent| action.clone());
    let at_start = props.cursor == 0;
    let at_end = props.cursor >= props.total;
    let start_over = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            let sure = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message("Start over? Everything you did in the sandbox goes.").ok()
                })
                .unwrap_or(false);
            if sure {
                dispatch.emit(SandboxAction::StartOver);
            }
        })
    };
    let next_title = match props.next {
        Some(t) => format!(
            "Move the clock on to the next thing the World has to do on its own (at {}, in {})",
            clock(t),
            wait_text(SimDuration(t.0.saturating_sub(props.now.0)))
        ),
        None => "Nothing is waiting to happen".to_string(),
    };
    html! {
        <footer class="controls sandbox-bar" role="region" aria-label="Sandbox controls">
            <div class="transport" role="group" aria-label="What happened">
                <button type="button" class="btn" data-testid="step-back" aria-label="Step back"
                    title="Step back (← or Page Up; Home: the start)" aria-keyshortcuts="ArrowLeft PageUp" disabled={at_start} onclick={click(SandboxAction::Back)}>
                    { icons::step_back() }
                </button>
                <button type="button" class="btn" data-testid="step-forward" aria-label="Step forward"
                    title="Step forward (→ or Page Down)" aria-keyshortcuts="ArrowRight PageDown" disabled={at_end} onclick={click(SandboxAction::Forward)}>
                    { icons::step_forward() }
                </button>
                <button type="button" class="btn" data-testid="to-end" aria-label="Go to the newest event"
                    title="Go to the newest event (End)" aria-keyshortcuts="End" disabled={at_end} onclick={click(SandboxAction::Latest)}>
                    { icons::to_end() }
                </button>
                <span class="sandbox-count" data-testid="event-count">
                    { format!("Event {} of {}", props.cursor, props.total) }
                    // What is done next (a line, a wait) happens at the newest event, not here.
                    if props.looking_back {
                        <span data-testid="looking-back" title="What you type or wait for happens after the newest event">
                            { " · looking back" }
                        </span>
                    }
                </span>
            </div>
            <div class="sandbox-waits" role="group" aria-label="Let time pass">
                <span class="sandbox-label" aria-hidden="true">{ "Wait" }</span>
                { for WAITS.iter().map(|&(secs, label, words)| html! {
                    <button type="button" class="btn-small" data-testid={format!("wait-{secs}")}
                        aria-label={format!("Wait {label}")} title={format!("Let {words} pass in the World")}
                        onclick={click(SandboxAction::Do(Input::Wait(SimDuration::from_secs(secs))))}>
                        { label }
                    </button>
                }) }
                <button type="button" class="btn-small" data-testid="next" title={next_title}
                    disabled={props.next.is_none()}
                    onclick={click(SandboxAction::Do(Input::Next))}>
                    { "Next thing ›" }
                </button>
            </div>
            <div class="sandbox-undo" role="group" aria-label="Your session">
                <button type="button" class="btn-small" data-testid="undo" disabled={props.inputs == 0}
                    title="Take back the last thing you did" onclick={click(SandboxAction::Undo)}>
                    { "Undo" }
                </button>
                <button type="button" class="btn-small" data-testid="start-over" disabled={props.inputs == 0}
                    title="Back to the world's start" onclick={start_over}>
                    { "Start over" }
                </button>
            </div>
        </footer>
    }
}

/// `5 min`, `1 h 30 min`, `30 s`: how long until something happens.
fn wait_text(d: SimDuration) -> String {
    let s = d.0 / 1_000_000;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}
