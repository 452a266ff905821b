//! The student's progress in `localStorage` (see [`crate::progress`]).

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use super::storage;
use crate::progress::{KEY, Progress};

/// The progress saved in this browser, and the notice to show when it could not be read.
pub fn load_progress() -> (Progress, Option<String>) {
    let text = storage().and_then(|s| s.get_item(KEY).ok().flatten());
    Progress::from_storage(text.as_deref())
}

/// A lesson's place (id, step, steps) and score, waiting to be saved.
type Due = (String, usize, usize, Option<(usize, usize)>);

/// How long the player waits after a step before it saves: a student holding an arrow key
/// down writes once, when they let go.
const SAVE_DELAY_MS: u32 = 400;

/// Remembers that lesson `id` (of `total` steps) is shown at `cursor`: a little after each
/// step, and at once when the player goes away (the student goes to the home page). A
/// lesson still loading (`total == 0`) is not recorded. Reads the saved progress afresh
/// before each write, so two tabs do not undo each other's lessons.
#[hook]
pub fn use_record_progress(id: &str, cursor: usize, total: usize, score: Option<(usize, usize)>) {
    let due: Rc<RefCell<Option<Due>>> = use_mut_ref(|| None);
    let timer: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    fn save(due: &RefCell<Option<Due>>) {
        if let (Some((id, step, total, score)), Some(s)) = (due.borrow_mut().take(), storage()) {
            let mut progress = load_progress().0;
            progress.record(&id, step, total, score);
            let _ = s.set_item(KEY, &progress.to_storage());
        }
    }
    {
        let (due, timer) = (due.clone(), timer.clone());
        use_effect_with((id.to_string(), cursor, total, score), move |(id, cursor, total, score)| {
            if *total > 0 {
                // Another lesson was chosen before the last one's place was saved.
                if due.borrow().as_ref().is_some_and(|(due_id, ..)| due_id != id) {
                    save(&due);
                }
                *due.borrow_mut() = Some((id.clone(), *cursor, *total, *score));
                *timer.borrow_mut() = Some(Timeout::new(SAVE_DELAY_MS, move || save(&due)));
            }
        });
    }
    // Leaving or reloading the page, or the player going away: save now.
    use_effect_with((), move |_| {
        let on_hide = due.clone();
        let listener = web_sys::window()
            .map(|w| gloo_events::EventListener::new(&w, "pagehide", move |_| save(&on_hide)));
        move || {
            drop(listener);
            save(&due);
        }
    });
}
