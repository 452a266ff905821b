//! Fetches the lesson the player waits for (`lessons/<id>.md`, next to the page; trunk
//! copies the folder) and hands its text to the reducer. Only the lesson opened is loaded:
//! the page's first load does not grow with the number of lessons.

use std::cell::Cell;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::state::{Action, Player};

/// Where lesson files come from instead of the network (the browser tests, which have no
/// server for them): the text of lesson `id`.
pub type LessonSource = fn(&str) -> Option<&'static str>;

thread_local! {
    static SOURCE: Cell<Option<LessonSource>> = const { Cell::new(None) };
}

/// Reads lessons from `source` instead of fetching them.
pub fn set_lesson_source(source: LessonSource) {
    SOURCE.with(|s| s.set(Some(source)));
}

/// Loads lesson `pending` (an id) whenever it changes.
#[hook]
pub fn use_lesson_loader(pending: Option<String>, dispatcher: UseReducerDispatcher<Player>) {
    use_effect_with(pending, move |pending| {
        let Some(id) = pending.clone() else { return };
        match SOURCE.with(Cell::get) {
            Some(source) => {
                let text =
                    source(&id).map(str::to_string).ok_or_else(|| format!("There is no file for “{id}”."));
                dispatcher.dispatch(Action::LessonText { id, text });
            }
            None => spawn_local(async move {
                let text = fetch_text(&format!("lessons/{id}.md")).await;
                dispatcher.dispatch(Action::LessonText { id, text });
            }),
        }
    });
}

/// The body of `url`, or why it could not be had, in words for the notice.
async fn fetch_text(url: &str) -> Result<String, String> {
    let failed = |what: &str| format!("The lesson could not be loaded ({what}); is the page offline?");
    let window = web_sys::window().ok_or_else(|| failed("no window"))?;
    let response = JsFuture::from(window.fetch_with_str(url)).await.map_err(|_| failed("no connection"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| failed("no response"))?;
    if !response.ok() {
        return Err(failed(&format!("HTTP {}", response.status())));
    }
    let text = response.text().map_err(|_| failed("no text"))?;
    let text = JsFuture::from(text).await.map_err(|_| failed("unreadable"))?;
    text.as_string().ok_or_else(|| failed("not text"))
}
