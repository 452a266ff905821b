use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::route::{self, Route};
use crate::state::{Action, Player, first_lesson_id};

/// The address's hash, `#/lesson/…` (empty when there is none).
pub fn location_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Where the address points now; a bad or missing hash means the first lesson, step 0.
pub fn initial_route() -> Route {
    route::parse(&location_hash()).unwrap_or_else(|| Route {
        lesson: first_lesson_id().to_string(),
        step: 0,
        step_unread: false,
    })
}

/// How long the address waits after a step before it follows: writing it is a
/// same-document navigation that costs the browser ~10 ms, too much to pay inside a step
/// (budget 16 ms) while a student holds an arrow key down.
const HASH_DELAY_MS: u32 = 150;

/// True when the address `here` names a lesson, other than the one of `wanted`: the one
/// shown before another was chosen (the lesson picker). That one gets a history entry of
/// its own, so that Back goes back to it; a step, or an address that named no lesson, is
/// replaced.
pub fn leaves_a_lesson(here: &str, wanted: &str) -> bool {
    let lesson = |h: &str| route::parse(h).map(|r| r.lesson);
    lesson(here).is_some_and(|l| crate::state::is_lesson(&l) && lesson(wanted) != Some(l))
}

fn write_hash(wanted: &str) {
    let here = location_hash();
    if here != wanted
        && let Some(history) = web_sys::window().and_then(|w| w.history().ok())
    {
        let (state, url) = (wasm_bindgen::JsValue::NULL, Some(wanted));
        let _ = match leaves_a_lesson(&here, wanted) {
            true => history.push_state_with_url(&state, "", url),
            false => history.replace_state_with_url(&state, "", url),
        };
    }
}

/// Keeps the address in step with the player: shortly after each step it writes the
/// canonical hash with `history.replaceState` (no history entry per step), and at once
/// when the page is being left, so a reload opens the same moment; a `hashchange` (the
/// user edits the address, or follows a link) loads and seeks. While lesson `coming` is on
/// its way, or nothing is shown yet (a first load that failed), nothing is written: the
/// address names the lesson wanted, and an address naming it again seeks (which, with
/// nothing shown, loads it again: [`Player::can_retry`]). A load that fails leaves the
/// lesson shown as it was, and the address names it again.
#[hook]
pub fn use_hash_route(
    lesson: &str,
    cursor: usize,
    coming: Option<&str>,
    dispatcher: UseReducerDispatcher<Player>,
) {
    let loading = coming.is_some();
    let current: Rc<RefCell<String>> = use_mut_ref(String::new);
    *current.borrow_mut() = coming.unwrap_or(lesson).to_string();
    let wanted = route::href(lesson, cursor);
    let latest: Rc<RefCell<String>> = use_mut_ref(String::new);
    let on_its_way: Rc<RefCell<bool>> = use_mut_ref(|| false);
    *on_its_way.borrow_mut() = loading;
    let pending: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    // The address as the app last wrote or read it. When the address differs, the user
    // has just gone somewhere else and its `hashchange` is on its way: writing now would
    // undo that navigation (and the app would stay where it was).
    let known: Rc<RefCell<String>> = use_mut_ref(location_hash);
    let write = {
        let known = known.clone();
        move |wanted: &str| {
            if location_hash() == *known.borrow() {
                write_hash(wanted);
                *known.borrow_mut() = wanted.to_string();
            }
        }
    };

    {
        let (latest, write) = (latest.clone(), write.clone());
        use_effect_with((wanted, loading), move |(wanted, loading)| {
            *latest.borrow_mut() = wanted.clone();
            let wanted = wanted.clone();
            // Dropping the previous timeout cancels it: only the last step is written.
            *pending.borrow_mut() = (!loading).then(|| Timeout::new(HASH_DELAY_MS, move || write(&wanted)));
        });
    }

    let (shown, rewrite, waiting) = (latest.clone(), write.clone(), on_its_way.clone());
    // Leaving or reloading the page: write the address now.
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|window| {
            EventListener::new(&window, "pagehide", move |_| {
                if !*on_its_way.borrow() {
                    write(&latest.borrow())
                }
            })
        });
        move || drop(listener)
    });

    use_effect_with(dispatcher, move |dispatcher| {
        let dispatcher = dispatcher.clone();
        let listener = web_sys::window().map(|window| {
            EventListener::new(&window, "hashchange", move |_| {
                *known.borrow_mut() = location_hash();
                // Not a lesson: the page shows the home page instead of the player.
                let Some(route) = route::parse(&location_hash()) else { return };
                let other = *current.borrow() != route.lesson;
                if other {
                    dispatcher.dispatch(Action::LoadLesson(route.lesson.clone()));
                    if !crate::state::is_lesson(&route.lesson) {
                        // A lesson that does not exist: the one shown stays at its step,
                        // the notice says so, and the address names that step again (or,
                        // while one is on its way, that one once it has come).
                        if !*waiting.borrow() {
                            rewrite(&shown.borrow());
                        }
                        return;
                    }
                }
                // A step that cannot be read (`step/abc`): a new lesson starts at its
                // beginning, the one shown stays where it is; either is said.
                if !route.step_unread {
                    dispatcher.dispatch(Action::Seek(route.step));
                } else {
                    if !other && !*waiting.borrow() {
                        // The address names the step shown again.
                        rewrite(&shown.borrow());
                    }
                    let said = if other { route::STEP_UNREAD } else { route::STEP_UNREAD_HERE };
                    dispatcher.dispatch(Action::Notice(Some(said.to_string())));
                }
            })
        });
        move || drop(listener)
    });
}

#[cfg(test)]
mod tests {
    use super::leaves_a_lesson;

    /// Only another lesson chosen over one shown gets a history entry of its own.
    #[test]
    fn a_history_entry_for_another_lesson_only() {
        let cases = [
            ("#/lesson/sending-an-email/step/3", "#/lesson/a-bounce/step/0", true),
            ("#/lesson/sending-an-email/step/3", "#/lesson/sending-an-email/step/4", false),
            // An address that named no lesson (a typo), or no address: the lesson shown replaces it.
            ("#/lesson/no-such-lesson/step/3", "#/lesson/a-bounce/step/0", false),
            ("", "#/lesson/a-bounce/step/0", false),
            ("#/yours", "#/lesson/a-bounce/step/0", false),
        ];
        for (here, wanted, push) in cases {
            assert_eq!(leaves_a_lesson(here, wanted), push, "{here} -> {wanted}");
        }
    }
}
