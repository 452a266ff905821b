use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use yew::prelude::*;

use crate::route::{self, Route};
use crate::state::{Action, Player, first_lesson_id};

fn location_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Where the address points now; a bad or missing hash means the first lesson, step 0.
pub fn initial_route() -> Route {
    route::parse(&location_hash()).unwrap_or_else(|| Route { lesson: first_lesson_id().to_string(), step: 0 })
}

/// Keeps the address in step with the player: every render writes the canonical hash
/// with `history.replaceState` (no history entry per step), and a `hashchange` (the
/// user edits the address, or follows a link) loads and seeks.
#[hook]
pub fn use_hash_route(lesson: &str, cursor: usize, dispatcher: UseReducerDispatcher<Player>) {
    let current: Rc<RefCell<String>> = use_mut_ref(String::new);
    *current.borrow_mut() = lesson.to_string();

    let wanted = route::format(&Route { lesson: lesson.to_string(), step: cursor });
    use_effect(move || {
        if location_hash() != wanted
            && let Some(history) = web_sys::window().and_then(|w| w.history().ok())
        {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&wanted));
        }
    });

    use_effect_with(dispatcher, move |dispatcher| {
        let dispatcher = dispatcher.clone();
        let listener = web_sys::window().map(|window| {
            EventListener::new(&window, "hashchange", move |_| {
                let route = initial_route();
                if *current.borrow() != route.lesson {
                    dispatcher.dispatch(Action::LoadLesson(route.lesson.clone()));
                }
                dispatcher.dispatch(Action::Seek(route.step));
            })
        });
        move || drop(listener)
    });
}
