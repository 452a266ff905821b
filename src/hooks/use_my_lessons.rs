//! The lessons a teacher keeps in this browser, in `localStorage` (see
//! [`crate::my_lessons`]).

use super::storage;
use crate::my_lessons::{KEY, MyLessons};

/// The kept lessons, and the notice to show when they could not be read.
pub fn load_my_lessons() -> (MyLessons, Option<String>) {
    let text = storage().and_then(|s| s.get_item(KEY).ok().flatten());
    MyLessons::from_storage(text.as_deref())
}

/// Saves the kept lessons; `false` when the browser refused (storage full or off).
#[cfg(feature = "teacher")]
pub fn save_my_lessons(mine: &MyLessons) -> bool {
    storage().is_some_and(|s| s.set_item(KEY, &mine.to_storage()).is_ok())
}

/// Where the text in the "write one here" box is kept while a teacher writes: a reload, a
/// click away and back, a closed tab lose none of it.
#[cfg(feature = "teacher")]
const DRAFT_KEY: &str = "mailroom.lesson-draft";

/// The lesson being written in the box, as it was left.
#[cfg(feature = "teacher")]
pub fn load_draft() -> Option<String> {
    storage().and_then(|s| s.get_item(DRAFT_KEY).ok().flatten())
}

/// Keeps what is in the box (nothing kept for an empty box).
#[cfg(feature = "teacher")]
pub fn save_draft(text: &str) {
    if let Some(s) = storage() {
        let _ = if text.is_empty() { s.remove_item(DRAFT_KEY) } else { s.set_item(DRAFT_KEY, text) };
    }
}
