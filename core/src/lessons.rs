//! The lessons that ship with Mailroom, read from `lessons/` at build time.

use crate::lesson::{Lesson, LessonError};

pub use crate::listing::{Level, Listing, Path};

/// A lesson of the library as the home page lists it, read from its file's front matter
/// at build time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The file stem, as in `lessons/<id>.md` and `#/lesson/<id>`.
    pub id: &'static str,
    pub title: &'static str,
    /// What it teaches, in a sentence.
    pub summary: &'static str,
    pub listing: Listing,
    /// It needs the engine's IMAP simulation (feature `imap`): a build without it lists the
    /// lesson but cannot run it (the web app's lite build sends the student to its full
    /// build for these).
    pub imap: bool,
    /// It needs the engine's POP3 simulation (feature `pop3`), as [`Entry::imap`]: a POP3
    /// mail program, a `cut` rule, or a host down mid-session (TCP sending again into the
    /// outage).
    pub pop3: bool,
    /// It needs the engine's sender checks (feature `trust`: SPF, DKIM, DMARC), as
    /// [`Entry::imap`].
    pub trust: bool,
}

// `BUILTIN` and `INDEX`, made by `build.rs` from the files in `lessons/`: the folder is the
// list, so a new lesson needs no change here. Only `INDEX` (titles, summaries, the listing)
// is compiled into the web app, not the lessons' text: it fetches a lesson's file
// (`lessons/<id>.md` next to the page) when it is opened.
include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

/// The lesson `id` of the library.
pub fn entry(id: &str) -> Option<&'static Entry> {
    INDEX.iter().find(|e| e.id == id)
}

/// True when lesson `id` needs the IMAP simulation (see [`Entry::imap`]).
pub fn needs_imap(id: &str) -> bool {
    entry(id).is_some_and(|e| e.imap)
}

/// True when lesson `id` needs the POP3 simulation (see [`Entry::pop3`]).
pub fn needs_pop3(id: &str) -> bool {
    entry(id).is_some_and(|e| e.pop3)
}

/// True when lesson `id` needs the sender checks (see [`Entry::trust`]).
pub fn needs_trust(id: &str) -> bool {
    entry(id).is_some_and(|e| e.trust)
}

/// True when this build of the engine can run lesson `id`.
pub fn runs_here(e: &Entry) -> bool {
    (cfg!(feature = "imap") || !e.imap)
        && (cfg!(feature = "pop3") || !e.pop3)
        && (cfg!(feature = "trust") || !e.trust)
}

/// Parses the built-in lesson `id`.
pub fn builtin(id: &str) -> Option<Result<Lesson, LessonError>> {
    BUILTIN.iter().find(|(i, _)| *i == id).map(|(i, text)| Lesson::parse(i, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Lesson;

    fn files() -> Vec<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons");
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let path = e.ok()?.path();
                let id = path.file_name()?.to_str()?.strip_suffix(".md")?.to_string();
                (id != "README").then(|| (id, std::fs::read_to_string(&path).unwrap()))
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_index_lists_every_file_with_what_its_front_matter_says() {
        let files = files();
        let mut ids: Vec<&str> = INDEX.iter().map(|e| e.id).collect();
        ids.sort();
        assert_eq!(ids, files.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>());
        for (id, text) in &files {
            let entry = entry(id).unwrap();
            if !runs_here(entry) {
                continue; // the engine cannot read its world without the feature
            }
            let lesson = Lesson::parse(id, text).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(entry.title, lesson.title, "{id}");
            assert_eq!(entry.summary, lesson.summary, "{id}");
            assert_eq!(entry.listing, lesson.listing, "{id}");
            // Every built-in lesson is on the path, with its level and time.
            assert!(lesson.listing.path.is_some() && lesson.listing.level.is_some(), "{id}");
            assert!(lesson.listing.minutes.is_some() && !lesson.summary.is_empty(), "{id}");
            // `pop3` names exactly the lessons whose world has a POP3 mail program, cuts a
            // connection or takes a host down after the start; `imap` those whose world has an
            // IMAP mail program.
            #[cfg(feature = "pop3")]
            {
                use crate::describe::{ActionDesc, Fault};
                let w = &lesson.world;
                let retrieves = w.actions.iter().any(|a| matches!(a, ActionDesc::Retrieve { .. }));
                let breaks = w.faults.iter().any(|f| match f {
                    Fault::Cut { .. } => true,
                    Fault::Down { from, .. } => *from > crate::time::SimTime::ZERO,
                    _ => false,
                });
                assert_eq!(entry.pop3, retrieves || breaks, "{id}");
            }
            #[cfg(feature = "imap")]
            assert_eq!(
                entry.imap,
                lesson.world.actions.iter().any(|a| matches!(a, crate::describe::ActionDesc::Imap { .. })),
                "{id}"
            );
        }
    }

    #[test]
    fn the_library_follows_the_path() {
        let keys: Vec<_> = INDEX.iter().map(|e| (e.listing.path, e.listing.order)).collect();
        assert!(keys.is_sorted(), "{keys:?}");
        // No two lessons share a place on the path.
        assert!(keys.windows(2).all(|w| w[0] != w[1]), "{keys:?}");
        assert_eq!(INDEX[0].id, "sending-an-email", "the first lesson of the path");
        // BUILTIN holds the same lessons in the same order, less the IMAP ones without the
        // feature.
        let builtin: Vec<&str> = BUILTIN.iter().map(|(id, _)| *id).collect();
        let index: Vec<&str> = INDEX.iter().filter(|e| runs_here(e)).map(|e| e.id).collect();
        assert_eq!(builtin, index);
        assert!(INDEX.iter().any(|e| e.imap) && needs_imap("two-devices-imap") && !needs_imap("a-bounce"));
        assert!(needs_pop3("retrieving-mail-with-pop3") && !needs_pop3("a-bounce"));
    }
}
