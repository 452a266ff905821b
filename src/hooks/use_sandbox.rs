use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::sandbox::{KEY, SandboxAction, SandboxState};

/// How long each new event of the sandbox takes on screen: quick enough to keep up with
/// typing, slow enough to see each token travel.
pub const SANDBOX_STEP_MS: u32 = 450;

/// What was kept of the last sandbox session in this browser.
pub fn load_sandbox() -> Option<String> {
    super::storage()?.get_item(KEY).ok().flatten()
}

/// Keeps the session (its inputs) whenever the trace changes, from the student's first
/// change on: opening the page writes nothing, so a kept session that could be replayed
/// only in part (or not read) stays as it was until the student goes on.
#[hook]
pub fn use_save_sandbox(state: &UseReducerHandle<SandboxState>) {
    let s = state.clone();
    let first = use_mut_ref(|| true);
    use_effect_with(state.run.clone(), move |_| {
        if std::mem::replace(&mut *first.borrow_mut(), false) {
            return;
        }
        if let Some(storage) = super::storage() {
            let _ = storage.set_item(KEY, &s.saved());
        }
    });
}

/// Shows the new events one at a time while the page follows the newest; at once when the
/// student asks for less motion.
#[hook]
pub fn use_sandbox_animation(state: &UseReducerHandle<SandboxState>) {
    let dispatcher = state.dispatcher();
    let due = state.following && state.cursor < state.total();
    use_effect_with((state.cursor, state.total(), due), move |&(_, _, due)| {
        let reduced = web_sys::window()
            .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
            .is_some_and(|m| m.matches());
        let timeout = due.then(|| {
            if reduced {
                dispatcher.dispatch(SandboxAction::Latest);
                None
            } else {
                Some(Timeout::new(SANDBOX_STEP_MS, move || dispatcher.dispatch(SandboxAction::Tick)))
            }
        });
        move || drop(timeout)
    });
}
