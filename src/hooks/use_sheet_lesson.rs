//! Loads a lesson for its hand-out or worksheet (the full build's teacher tools): fetches
//! `lessons/<id>.md` as the player does (or, for a teacher's own, reads the copy kept in
//! this browser), and runs it to the end.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use mailroom_core::lesson::Lesson;
use mailroom_core::world::LessonRun;

use super::use_lesson_loader::fetch_text;
use crate::shared::Shared;
use crate::state::{build_lesson, is_lesson};

/// A lesson and its run, or why it could not be had; `None` while it is on its way.
pub type SheetLesson = Option<Result<(Shared<Lesson>, Shared<LessonRun>), String>>;

/// Lesson `id`, run to the end.
#[hook]
pub fn use_sheet_lesson(id: &str) -> SheetLesson {
    let loaded = use_state(|| None);
    {
        let loaded = loaded.clone();
        use_effect_with(id.to_string(), move |id| {
            let id = id.clone();
            if !is_lesson(&id) {
                loaded.set(Some(Err(format!("There is no lesson called “{id}”."))));
                return;
            }
            // A teacher's own lesson is kept in this browser, not on the server.
            if crate::my_lessons::is_mine(&id) {
                let kept = crate::hooks::load_my_lessons().0;
                loaded.set(Some(match kept.get(&id) {
                    Some(k) => build_lesson(&id, &k.text, 1),
                    None => Err(crate::my_lessons::not_kept(&id)),
                }));
                return;
            }
            spawn_local(async move {
                let built = match fetch_text(&format!("lessons/{id}.md")).await {
                    Ok(text) => build_lesson(&id, &text, 1),
                    Err(e) => Err(e),
                };
                loaded.set(Some(built));
            });
        });
    }
    (*loaded).clone()
}

/// The hand-out's and the worksheet's own stylesheet (`styles/sheets.css`, screen and
/// print): added to the page by the full build when a sheet is shown, so the lite build's
/// stylesheet does not grow with it.
const SHEET_CSS: &str = include_str!("../../styles/sheets.css");

/// Adds [`SHEET_CSS`] to the document once.
#[hook]
pub fn use_sheet_style() {
    use_effect_with((), |_| crate::add_style("sheet-css", SHEET_CSS));
}
