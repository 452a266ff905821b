//! Fetches the lesson the player waits for (`lessons/<id>.md`, next to the page; trunk
//! copies the folder) and hands its text to the reducer. Only the lesson opened is loaded:
//! the page's first load does not grow with the number of lessons.
//!
//! A lesson this build cannot play (an IMAP lesson in the lite build, see
//! [`crate::state::plays_elsewhere`]) is not fetched: the page goes to the full build in
//! `full/`, at the same address (`full/#/lesson/<id>/step/<n>`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::route::{self, Route};
use crate::state::{Action, Player, plays_elsewhere};

/// Where lesson files come from instead of the network (the browser tests, which have no
/// server for them): the text of lesson `id`.
pub type LessonSource = fn(&str) -> Option<&'static str>;

/// A lesson file fetched as the page starts ([`prefetch`]): its id, its text once it has
/// come, and a promise that settles then.
type Early = (String, Rc<RefCell<Option<Result<String, String>>>>, Promise);

thread_local! {
    static SOURCE: Cell<Option<LessonSource>> = const { Cell::new(None) };
    static EARLY: RefCell<Option<Early>> = const { RefCell::new(None) };
}

/// Starts fetching built-in lesson `id`'s file before the first render (the page's start,
/// [`crate::start`]), so that the player is drawn once, with its lesson, instead of first
/// as an empty "loading" page and again when the file has come. Returns the promise that
/// settles when it has come (or failed), or `None` when the loader will not fetch it (a
/// lesson of the full build, a teacher's own, no such lesson, or lessons from
/// [`set_lesson_source`]).
pub fn prefetch(id: &str) -> Option<Promise> {
    if SOURCE.with(Cell::get).is_some() || plays_elsewhere(id) || mailroom_core::lessons::entry(id).is_none()
    {
        return None;
    }
    let by_page = fetched_by_page(id);
    let text = Rc::new(RefCell::new(None));
    let (slot, url) = (Rc::clone(&text), format!("lessons/{id}.md"));
    let arrived = wasm_bindgen_futures::future_to_promise(async move {
        let early = match by_page {
            Some(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
            None => None,
        };
        // Not fetched by the page, or that fetch failed: fetched now, with its error in words.
        let text = match early {
            Some(text) => Ok(text),
            None => fetch_text(&url).await,
        };
        *slot.borrow_mut() = Some(text);
        Ok(JsValue::UNDEFINED)
    });
    EARLY.with(|e| *e.borrow_mut() = Some((id.to_string(), text, arrived.clone())));
    Some(arrived)
}

/// The promise of lesson `id`'s text (or `null`) if the page's inline script started
/// fetching it as the page loaded (`self.mailroomLesson`, index.html).
fn fetched_by_page(id: &str) -> Option<Promise> {
    let get = |o: &JsValue, key: &str| js_sys::Reflect::get(o, &JsValue::from_str(key)).ok();
    let early = get(&js_sys::global(), "mailroomLesson")?;
    (get(&early, "id")?.as_string()? == id).then(|| get(&early, "text")?.dyn_into().ok()).flatten()
}

/// The text of lesson `id` if [`prefetch`] fetched it and it has come (taken: asked for
/// again, it is `None`).
pub fn early_text(id: &str) -> Option<Result<String, String>> {
    EARLY.with(|e| {
        let mut early = e.borrow_mut();
        let text = early.as_ref().filter(|(for_id, ..)| for_id == id)?.1.borrow_mut().take()?;
        *early = None;
        Some(text)
    })
}

/// The promise of lesson `id`'s text if [`prefetch`] is still fetching it.
fn early_promise(id: &str) -> Option<Promise> {
    EARLY.with(|e| e.borrow().as_ref().filter(|(for_id, ..)| for_id == id).map(|(.., p)| p.clone()))
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
            let hash = route::format(&Route { lesson: id, step });
            if let Some(window) = web_sys::window() {
                // `replace`: Back leads to the page before, not to this one, which would
                // only come here again.
                let _ = window.location().replace(&format!("full/{hash}"));
            }
            return;
        }
        // A teacher's own lesson, kept in this browser (the full build only).
        #[cfg(feature = "teacher")]
        if crate::my_lessons::is_mine(&id) {
            let kept = crate::hooks::load_my_lessons().0;
            let text = kept
                .get(&id)
                .map(|k| k.text.clone())
                .ok_or_else(|| format!("There is no lesson “{id}” kept in this browser."));
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
                // Fetched as the page started, and not yet come (else the player began
                // with it): wait for that fetch rather than start another.
                if let Some(arrived) = early_promise(&id) {
                    let _ = JsFuture::from(arrived).await;
                    if let Some(text) = early_text(&id) {
                        dispatcher.dispatch(Action::LessonText { id, text });
                        return;
                    }
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
