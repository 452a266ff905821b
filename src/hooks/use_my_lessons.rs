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
