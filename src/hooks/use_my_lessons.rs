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

/// What the "write one here" box keeps while a teacher writes, so that a reload, a click
/// away and back, a closed tab lose none of it: its text, …
#[cfg(feature = "teacher")]
pub const DRAFT: &str = "mailroom.lesson-draft";
/// … the id of the kept lesson it is a version of (put there with Edit, or played from
/// there), which playing it replaces, …
#[cfg(feature = "teacher")]
pub const DRAFT_OF: &str = "mailroom.lesson-draft-of";
/// … and the text it held before another was put in it (Edit, a file, a shared link).
#[cfg(feature = "teacher")]
pub const SET_ASIDE: &str = "mailroom.lesson-draft-aside";

/// What the box kept under `key` (one of the three above), as it was left; empty if none.
#[cfg(feature = "teacher")]
pub fn load_draft(key: &str) -> String {
    storage().and_then(|s| s.get_item(key).ok().flatten()).unwrap_or_default()
}

/// Keeps `text` under `key` (nothing kept for an empty one).
#[cfg(feature = "teacher")]
pub fn save_draft(key: &str, text: &str) {
    if let Some(s) = storage() {
        let _ = if text.is_empty() { s.remove_item(key) } else { s.set_item(key, text) };
    }
}
