//! One component per file, each with its `XxxProps`.

pub mod app;
pub mod controls;
pub mod diagram;
pub mod explanation;
/// A lesson's hand-out: only the full build (feature `teacher`) has it.
#[cfg(feature = "teacher")]
pub mod handout;
pub mod home;
pub mod icons;
/// The IMAP panel: only the full build (feature `imap`) has it.
#[cfg(feature = "imap")]
pub mod imap_panel;
pub mod inspector;
pub mod keys_help;
/// The mail program panel (POP3): only the full build (feature `pop3`) has it.
#[cfg(feature = "pop3")]
pub mod mail_programs;
pub mod mailboxes;
pub mod message_dialog;
pub mod narration;
pub mod page;
pub mod predict;
/// The sandbox (`#/sandbox`): only the full build (feature `imap`) has it, with its bar,
/// terminal and fault form.
#[cfg(feature = "imap")]
pub mod sandbox_bar;
#[cfg(feature = "imap")]
pub mod sandbox_faults;
#[cfg(feature = "imap")]
pub mod sandbox_page;
#[cfg(feature = "imap")]
pub mod sandbox_terminal;
pub mod sequence;
pub mod sequence_panel;
#[cfg(feature = "teacher")]
pub mod sheet_bar;
pub mod top_bar;
pub mod transcript;
pub mod transcript_row;
/// A lesson's worksheet: only the full build (feature `teacher`) has it.
#[cfg(feature = "teacher")]
pub mod worksheet;
#[cfg(feature = "teacher")]
pub mod your_lessons;
