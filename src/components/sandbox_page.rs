use gloo_events::{EventListener, EventListenerOptions};
use mailroom_core::sandbox::Input;
use mailroom_core::time::SimTime;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::diagram::Diagram;
use crate::components::explanation::ExplanationCard;
use crate::components::icons;
use crate::components::mailboxes::Mailboxes;
use crate::components::sandbox_bar::SandboxBar;
use crate::components::sandbox_faults::SandboxFaults;
use crate::components::sandbox_terminal::SandboxTerminal;
use crate::components::transcript::Transcript;
use crate::hooks::{
    SANDBOX_STEP_MS, Target, key_target, load_sandbox, use_sandbox_animation, use_save_sandbox,
};
use crate::present;
use crate::present::clock;
use crate::sandbox::{Pane, SandboxAction, SandboxState};
use crate::state::Action;

/// ← and → (Page Up and Page Down) step back and on through what happened, Home goes to
/// the start and End to the newest event, as in a lesson; not in a field (the terminal's line, a fault's settings), where they edit, nor
/// on the terminal's screen, where they scroll it.
#[hook]
fn use_sandbox_keys(dispatcher: UseReducerDispatcher<SandboxState>) {
    let _listener = use_memo((), move |_| {
        let document = web_sys::window()?.document()?;
        let options = EventListenerOptions::enable_prevent_default();
        Some(EventListener::new_with_options(&document, "keydown", options, move |event| {
            let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
            let Some((kind, _, target)) = key_target(event).filter(|_| !event.shift_key()) else { return };
            let on_screen = target.is_some_and(|t| t.closest(".sandbox-screen").ok().flatten().is_some());
            if kind == Target::Field || on_screen {
                return;
            }
            let Some(action) = crate::sandbox::key_action(&event.key()) else { return };
            event.prevent_default();
            dispatcher.dispatch(action);
        }))
    });
}

/// The id of a pane below the terminal.
fn pane_id(pane: Pane) -> &'static str {
    match pane {
        Pane::Explanation => "pane-explanation",
        Pane::Mailboxes => "pane-mailboxes",
        Pane::Faults => "pane-faults",
    }
}

/// The sandbox (`#/sandbox`, the full build): the standard world running, a terminal to
/// type into any of its servers, the clock to move on, and faults to inject; the diagram,
/// the transcript and the explanations show what happens, as in a lesson.
#[component]
pub fn SandboxPage() -> Html {
    let state = use_reducer(|| {
        SandboxState::from_storage(mailroom_core::sandbox::world(), load_sandbox().as_deref())
    });
    use_save_sandbox(&state);
    use_sandbox_animation(&state);
    use_effect_with((), |_| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title("Sandbox · Mailroom");
        }
    });
    use_sandbox_keys(state.dispatcher());
    let dispatch = state.dispatcher().to_callback();
    // The transcript and the explanation card speak the player's actions: choosing an event
    // and the eavesdropper's view are what they do here.
    let player = use_callback(dispatch.clone(), |a: Action, d| match a {
        Action::Select(i) => d.emit(SandboxAction::Select(i)),
        Action::ToggleEavesdropper => d.emit(SandboxAction::ToggleEavesdropper),
        _ => {}
    });
    let sandbox = state.sandbox.borrow();
    let conns = sandbox.connections().to_vec();
    let open: Vec<bool> = (1..=conns.len()).map(|n| sandbox.is_open(n)).collect();
    let inputs: Vec<String> = sandbox.inputs().iter().map(ToString::to_string).collect();
    let faults = sandbox.inputs().iter().filter(|i| matches!(i, Input::Fault(_))).count();
    let (now, next) = (sandbox.now(), sandbox.next_wakeup());
    drop(sandbox);
    let total = state.total();
    // The clock of the moment shown: now at the newest event, else that event's time.
    let shown_at = if state.cursor >= total {
        now
    } else {
        state
            .cursor
            .checked_sub(1)
            .and_then(|i| state.run.trace.events.get(i))
            .map_or(SimTime::ZERO, |e| e.at)
    };
    // What the panes' buttons count: messages delivered up to the moment shown, faults injected.
    let delivered = state.run.trace.events[..state.cursor.min(total)]
        .iter()
        .filter(|e| matches!(e.kind, mailroom_core::trace::EventKind::Delivery { .. }))
        .count();
    let announce = match state.cursor.checked_sub(1) {
        Some(i) => format!("Event {} of {total}. {}", state.cursor, present::summary(&state.run.trace, i)),
        None => "Nothing has happened yet: open a connection.".to_string(),
    };

    html! {
        <main class="player sandbox" data-testid="sandbox" data-cursor={state.cursor.to_string()}
            data-total={total.to_string()} aria-labelledby="sandbox-title">
            <header class="top-bar">
                <a class="brand" href="#/" title="All lessons: the learning path" data-testid="home-link">
                    { icons::logo() }
                    <span>{ "Mailroom" }</span>
                    <span class="visually-hidden">{ ": all lessons" }</span>
                </a>
                <h1 id="sandbox-title" class="lesson-title">{ "Sandbox" }</h1>
                <div class="notice-slot" role="status">
                    if let Some(notice) = &state.notice {
                        <p class="notice" data-testid="notice">
                            <span>{ notice.clone() }</span>
                            <button type="button" class="notice-close" aria-label="Dismiss this notice" title="Dismiss"
                                onclick={dispatch.reform(|_: MouseEvent| SandboxAction::DismissNotice)}>{ "×" }</button>
                        </p>
                    }
                </div>
                <p class="step-counter sandbox-clock" data-testid="clock" title="The World's clock">
                    { icons::clock() }
                    <span class="visually-hidden">{ "The World's clock: " }</span>
                    { clock(shown_at) }
                </p>
            </header>
            <div class="stage">
                <Diagram run={state.run.clone()} cursor={state.cursor} travel_ms={SANDBOX_STEP_MS * 7 / 10}
                    now={(state.cursor >= total).then_some(now)} />
                <Transcript
                    run={state.run.clone()}
                    cursor={state.cursor}
                    selected={state.selected}
                    show_line_ends={false}
                    eavesdropper={state.eavesdropper}
                    dispatch={player.clone()}
                    empty={Some(AttrValue::from("Nothing has been said yet: open a connection in the terminal."))}
                />
            </div>
            <aside class="side" aria-label="Sandbox">
                <SandboxTerminal
                    run={state.run.clone()}
                    cursor={state.cursor}
                    looking_back={state.looking_back()}
                    conns={conns}
                    open={open}
                    active={state.active}
                    lesson={state.lesson.clone()}
                    screen={state.screen()}
                    typed={state.judged()}
                    unsent={state.unsent.clone()}
                    dispatch={dispatch.clone()}
                />
                <div class="sandbox-panes">
                    <div class="sandbox-switch" role="group" aria-label="Below the terminal">
                        { for [
                            (Pane::Explanation, "Explanation", None),
                            (Pane::Mailboxes, "Mailboxes", (delivered > 0).then_some((delivered, "delivered"))),
                            (Pane::Faults, "Faults", (faults > 0).then_some((faults, "injected"))),
                        ].into_iter().map(|(pane, name, count)| html! {
                            <button type="button" class="sandbox-tab" aria-pressed={(state.pane == pane).to_string()}
                                aria-controls={pane_id(pane)} data-testid={pane_id(pane).replace("pane-", "show-")}
                                onclick={dispatch.reform(move |_: MouseEvent| SandboxAction::ShowPane(pane))}>
                                { name }
                                if let Some((n, what)) = count {
                                    <span class="sandbox-count-badge">{ format!(" {n}") }</span>
                                    <span class="visually-hidden">{ format!(" {what}") }</span>
                                }
                            </button>
                        }) }
                    </div>
                    // Each kept in the page while another shows: the fault form keeps what was
                    // chosen in it. Each scrolls, and is a Tab stop for it (its content may
                    // have no control to scroll to); a group, not a landmark (its panel is one).
                    <div class="sandbox-pane" id={pane_id(Pane::Explanation)} hidden={state.pane != Pane::Explanation}
                        role="group" aria-label="Explanation" tabindex="0">
                        <ExplanationCard
                            run={state.run.clone()}
                            focused={state.focused()}
                            selected={state.selected.is_some()}
                            dispatch={player}
                        />
                    </div>
                    <div class="sandbox-pane" id={pane_id(Pane::Mailboxes)} hidden={state.pane != Pane::Mailboxes}
                        role="group" aria-label="Mailboxes" tabindex="0">
                        <Mailboxes run={state.run.clone()} lesson={state.lesson.clone()} cursor={state.cursor} />
                    </div>
                    <div class="sandbox-pane" id={pane_id(Pane::Faults)} hidden={state.pane != Pane::Faults}
                        role="group" aria-label="Faults" tabindex="0">
                        <SandboxFaults lesson={state.lesson.clone()} inputs={inputs.clone()} dispatch={dispatch.clone()} />
                    </div>
                </div>
            </aside>
            <SandboxBar cursor={state.cursor} {total} looking_back={state.looking_back()} {now} {next} inputs={inputs.len()} {dispatch} />
            <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcer">
                { announce }
            </div>
        </main>
    }
}
