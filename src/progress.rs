//! What a student has done, remembered in the browser (`localStorage`): how far into each
//! lesson they went, which they finished, and where they stopped last, for the home page's
//! "Continue" link.
//!
//! Typed data, saved in [`crate::saved`]'s format after a version number. An entry that cannot be read
//! (corrupt, or written by another version) is ignored with a notice, never a blank page;
//! the next save replaces it.

use serde::{Deserialize, Serialize};

/// The `localStorage` key.
pub const KEY: &str = "mailroom.progress";
/// The version of the saved format. A different one is not read.
pub const VERSION: u32 = 1;
/// The most lessons remembered (a teacher's opened lessons count too): the oldest go.
pub const MAX_LESSONS: usize = 200;

/// Where a student stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub lesson: String,
    pub step: usize,
}

/// One lesson's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    pub id: String,
    /// The furthest step reached.
    pub furthest: usize,
    /// How many steps the lesson had then.
    pub total: usize,
    /// The last step was reached at least once.
    pub finished: bool,
    /// `(right, answered)`: the predictions of the last time the lesson was played to its
    /// end with at least one answered (passed questions are not counted; entries saved
    /// before counted them as asked).
    pub score: Option<(u16, u16)>,
}

/// Everything remembered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Most recently played last.
    pub lessons: Vec<LessonProgress>,
    pub last: Option<Place>,
}

impl Progress {
    /// Reads what [`Progress::to_storage`] wrote (see [`crate::saved`]).
    pub fn from_storage(text: Option<&str>) -> (Progress, Option<String>) {
        crate::saved::decode(text, VERSION, "Your saved progress", "was")
    }

    pub fn to_storage(&self) -> String {
        crate::saved::encode(VERSION, self)
    }

    /// The progress of lesson `id`, if it was ever played.
    pub fn lesson(&self, id: &str) -> Option<&LessonProgress> {
        self.lessons.iter().find(|l| l.id == id)
    }

    /// Records that lesson `id` (of `total` steps) is at `step`, and its `score` when it
    /// is known (at the end of a lesson that asks questions).
    pub fn record(&mut self, id: &str, step: usize, total: usize, score: Option<(usize, usize)>) {
        let at = self.lessons.iter().position(|l| l.id == id);
        let mut entry = at
            .map(|i| self.lessons.remove(i))
            .unwrap_or_else(|| LessonProgress { id: id.to_string(), ..LessonProgress::default() });
        entry.total = total;
        entry.furthest = entry.furthest.max(step).min(total);
        entry.finished |= total > 0 && step >= total;
        let small = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        entry.score = score.map(|(right, asked)| (small(right), small(asked))).or(entry.score);
        self.lessons.push(entry);
        if self.lessons.len() > MAX_LESSONS {
            self.lessons.remove(0);
        }
        self.last = Some(Place { lesson: id.to_string(), step });
    }

    /// How many of the lessons `ids` are finished.
    pub fn finished<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> usize {
        ids.into_iter().filter(|id| self.lesson(id).is_some_and(|l| l.finished)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_the_furthest_step_and_the_last_place() {
        let mut p = Progress::default();
        p.record("a", 5, 10, None);
        p.record("a", 2, 10, None);
        p.record("b", 1, 4, None);
        assert_eq!(p.lesson("a").map(|l| (l.furthest, l.finished)), Some((5, false)));
        assert_eq!(p.last, Some(Place { lesson: "b".into(), step: 1 }));
        p.record("a", 10, 10, Some((1, 2)));
        p.record("a", 0, 10, None);
        // The score of the last time to the end is kept until the next one.
        assert_eq!(p.lesson("a").unwrap().score, Some((1, 2)));
        p.record("a", 10, 10, Some((2, 2)));
        assert_eq!(p.lesson("a").unwrap().score, Some((2, 2)));
        assert_eq!(p.lesson("a").map(|l| (l.furthest, l.finished)), Some((10, true)));
        assert_eq!(p.finished(["a", "b", "c"]), 1);
        // Most recently played last.
        assert_eq!(p.lessons.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        // An empty lesson is never finished; a step past the end counts as the end.
        p.record("empty", 0, 0, None);
        p.record("c", 99, 3, None);
        assert_eq!(p.lesson("empty").map(|l| l.finished), Some(false));
        assert_eq!(p.lesson("c").map(|l| (l.furthest, l.finished)), Some((3, true)));
    }

    #[test]
    fn keeps_at_most_max_lessons() {
        let mut p = Progress::default();
        for i in 0..MAX_LESSONS + 5 {
            p.record(&format!("l{i}"), 1, 2, None);
        }
        assert_eq!(p.lessons.len(), MAX_LESSONS);
        assert!(p.lesson("l0").is_none() && p.lesson(&format!("l{}", MAX_LESSONS + 4)).is_some());
    }

    #[test]
    fn an_empty_saved_progress_is_empty() {
        let (p, notice) = Progress::from_storage(Some(&Progress::default().to_storage()));
        assert_eq!((p, notice), (Progress::default(), None));
        assert_eq!(Progress::default().to_storage(), "1:AAA=");
    }

    #[test]
    fn survives_its_own_round_trip_and_sets_aside_what_it_cannot_read() {
        let mut p = Progress::default();
        p.record("sending-an-email", 3, 39, Some((1, 2)));
        let (back, notice) = Progress::from_storage(Some(&p.to_storage()));
        assert_eq!((back, notice), (p, None));
        assert_eq!(Progress::from_storage(None), (Progress::default(), None));
        // A lesson id of 200 bytes said to have 300.
        let short =
            format!("1:{}", mailroom_core::base64::encode(&[[1, 0xac, 2].as_slice(), &[b'a'; 200]].concat()));
        let cases = [
            ("{not ours", "could not be read"),
            ("", "could not be read"),
            ("1:", "could not be read"),
            ("1:!!!", "could not be read"),
            (&short, "could not be read"),
            ("99:AAAA", "another version of Mailroom (format 99)"),
        ];
        for (text, want) in cases {
            let (got, notice) = Progress::from_storage(Some(text));
            assert_eq!(got, Progress::default(), "{text}");
            assert!(notice.as_deref().is_some_and(|n| n.contains(want)), "{text}: {notice:?}");
        }
    }
}
