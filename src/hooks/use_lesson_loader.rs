//! Fetches the lesson the player waits for (`lessons/<id>.md`, next to the page; trunk
//! copies the folder) and hands its text to the reducer. Only the lesson opened is loaded:
//! the page's first load does not grow with the number of lessons.
//!
//! A lesson this build cannot play (an IMAP lesson in the lite build, see
//! [`crate::state::plays_elsewhere`]) is not fetched: the page goes to the full build in
//! `full/`, at the same address (`full/#/lesson/<id>/step/<n>`).

use std::cell::Cell;

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::route;
use crate::state::{Action, Player, plays_elsewhere};

/// Where lesson files come from instead of the network (the browser tests, which have no
/// server for them): the text of lesson `id`.
pub type LessonSource = fn(&str) -> Option<&'static str>;

thread_local! {
    static SOURCE: Cell<Option<LessonSource>> = const { Cell::new(None) };
}

/// The fetch of lesson `id`'s file that the page's inline script started while the app's
/// code loaded (`self.mailroomLesson`, index.html: `id`; `text`, a promise of the text or
/// `null`; `value`, the text once it has come; `ready`, a promise that settles when it has
/// come or after 300 ms), when the loader would fetch that file (not lessons from
/// [`set_lesson_source`], nor one of the full build's in the lite build).
fn early(id: &str) -> Option<JsValue> {
    if SOURCE.with(Cell::get).is_some() || plays_elsewhere(id) {
        return None;
    }
    let early = get(&js_sys::global(), "mailroomLesson")?;
    (get(&early, "id")?.as_string()? == id).then_some(early)
}

fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined())
}

/// A promise that settles when the early fetch of lesson `id` has come (or after 300 ms),
/// if the page started one: the page waits for it before its first render
/// ([`crate::start`]), so that the player is drawn once, with its lesson, rather than first
/// empty ("loading") and again when the file has come.
pub fn early_ready(id: &str) -> Option<Promise> {
    get(&early(id)?, "ready")?.dyn_into().ok()
}

/// The text of lesson `id`, if the page fetched it early and it has come.
pub fn early_text(id: &str) -> Option<Result<String, String>> {
    get(&early(id)?, "value")?.as_string().map(Ok)
}

/// Reads lessons from `source` instead of fetching them.
pub fn set_lesson_source(source: LessonSource) {
    SOURCE.with(|s| s.set(Some(source)));
}

/// Loads lesson `pending` (an id, and the step to show) whenever the id changes.
#[hook]
pub fn use_lesson_loader(pending: Option<(String, usize)>, dispatcher: UseReducerDispatcher<Player>) {
    let step = pending.as_ref().map_or(0, |(_, step)| *step);
    use_effect_with(pending.map(|(id, _)| id), move |pending| {
        let Some(id) = pending.clone() else { return };
        if plays_elsewhere(&id) {
            // An address whose step cannot be read goes as it is, so that the full build
            // says so (it starts the lesson from its beginning).
            let here = crate::hooks::location_hash();
            let hash = match route::parse(&here) {
                Some(r) if r.lesson == id && r.step_unread => here.clone(),
                _ => route::href(&id, step),
            };
            if let Some(window) = web_sys::window() {
                // Chosen in the picker over a lesson shown here: Back comes back to that
                // one. Else `replace`: Back leads to the page before, not to this one,
                // which would only come here again.
                let (location, url) = (window.location(), format!("full/{hash}"));
                let _ = match crate::hooks::leaves_a_lesson(&here, &hash) {
                    true => location.assign(&url),
                    false => location.replace(&url),
                };
            }
            return;
        }
        // A teacher's own lesson, kept in this browser (the full build only).
        #[cfg(feature = "teacher")]
        if crate::my_lessons::is_mine(&id) {
            let kept = crate::hooks::load_my_lessons().0;
            let text = kept.get(&id).map(|k| k.text.clone()).ok_or_else(|| crate::my_lessons::not_kept(&id));
            dispatcher.dispatch(Action::LessonText { id, text });
            return;
        }
        match SOURCE.with(Cell::get) {
            Some(source) => {
                let text =
                    source(&id).map(str::to_string).ok_or_else(|| format!("There is no file for “{id}”."));
                dispatcher.dispatch(Action::LessonText { id, text });
            }
            None => spawn_local(async move {
                // Fetched by the page as it loaded, and not come before the first render
                // (else the player began with it): that fetch, rather than another; if it
                // failed, another, whose failure the notice puts in words.
                let early =
                    early(&id).and_then(|e| get(&e, "text")).and_then(|t| t.dyn_into::<Promise>().ok());
                if let Some(text) = early
                    && let Some(text) = JsFuture::from(text).await.ok().and_then(|t| t.as_string())
                {
                    dispatcher.dispatch(Action::LessonText { id, text: Ok(text) });
                    return;
                }
                let text = fetch_text(&format!("lessons/{id}.md")).await;
                dispatcher.dispatch(Action::LessonText { id, text });
            }),
        }
    });
}

/// The body of `url`, or why it could not be had, in words for the notice.
pub(crate) async fn fetch_text(url: &str) -> Result<String, String> {
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
