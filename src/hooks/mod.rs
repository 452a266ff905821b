//! Browser glue: everything here only dispatches actions or mirrors state outwards.

mod keep_in_sight;
mod use_focus_rescue;
mod use_hash_route;
mod use_keyboard;
mod use_lesson_loader;
mod use_my_lessons;
mod use_next_frame;
mod use_play_timer;
mod use_presenting;
mod use_progress;
#[cfg(feature = "imap")]
mod use_sandbox;
mod use_settings;
#[cfg(feature = "teacher")]
mod use_sheet_lesson;

pub use keep_in_sight::{keep_in_sight, on_resize, stop_watching};
pub use use_focus_rescue::use_focus_rescue;
pub use use_hash_route::{initial_route, leaves_a_lesson, location_hash, use_hash_route};
pub use use_keyboard::{Target, key_target, shortcut, use_keyboard_shortcuts};
pub use use_lesson_loader::{LessonSource, early_ready, early_text, set_lesson_source, use_lesson_loader};
pub use use_my_lessons::load_my_lessons;
#[cfg(feature = "teacher")]
pub use use_my_lessons::{DRAFT, DRAFT_OF, SET_ASIDE, load_draft, save_draft, save_my_lessons};
pub use use_next_frame::use_next_frame;
pub use use_play_timer::use_play_timer;
pub use use_presenting::{presenting_now, use_presenting};
pub use use_progress::{load_progress, use_record_progress};
#[cfg(feature = "imap")]
pub use use_sandbox::{SANDBOX_STEP_MS, load_sandbox, use_sandbox_animation, use_save_sandbox};
pub use use_settings::{load_settings, use_persist_settings};
#[cfg(feature = "teacher")]
pub use use_sheet_lesson::{SheetLesson, use_sheet_lesson, use_sheet_style};

/// The page's `localStorage`, if it has one: it may be missing or throw (private modes,
/// sandboxed frames).
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
