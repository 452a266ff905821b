//! Lessons a teacher opened in the page (from a file, dropped, pasted, or from a shared
//! link), kept in this browser until removed. Each gets an id `my-<slug of its title>`, so
//! it plays at `#/lesson/my-…` like a built-in lesson.
//!
//! Saved in [`crate::saved`]'s format, like the progress.
//!
//! A shared link carries the whole lesson file: `#/shared/z.<base64url of the text,
//! deflated>` (RFC 1951, miniz_oxide: less than half as long, a hash of 5,202 characters
//! for "Sending an email"'s 9,220 bytes against 12,303), or, in links made before,
//! `#/shared/<base64url of the text>`.

#[cfg(any(feature = "teacher", test))]
use mailroom_core::base64;
use serde::{Deserialize, Serialize};

/// The `localStorage` key.
pub const KEY: &str = "mailroom.lessons";
/// The version of the saved format.
pub const VERSION: u32 = 1;
/// Every kept lesson's id starts so (built-in lessons never do: a test checks).
pub const PREFIX: &str = "my-";
/// The most lessons kept.
pub const MAX_KEPT: usize = 50;

/// One kept lesson.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub id: String,
    pub title: String,
    /// The lesson file, as written.
    pub text: String,
}

/// Every kept lesson, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyLessons {
    pub lessons: Vec<Kept>,
}

/// How [`MyLessons::keep`] keeps a lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep<'a> {
    /// As a new lesson; refused under the title of a kept one.
    New,
    /// In place of kept lesson `id` when it has the same title (the lesson it was edited
    /// from, or the one the teacher chose to replace); a new lesson under any other title,
    /// and refused under the title of another kept one.
    Replacing(&'a str),
    /// As a lesson of its own, even under the title of a kept one.
    Alongside,
}

/// True for the id of a lesson kept in the browser.
pub fn is_mine(id: &str) -> bool {
    id.starts_with(PREFIX)
}

/// Said when the address names a teacher's lesson that this browser does not keep: an
/// address copied from another browser (only a share link carries the lesson itself).
#[cfg(feature = "teacher")]
pub fn not_kept(id: &str) -> String {
    format!(
        "There is no lesson “{id}” kept in this browser. A teacher's own lesson is kept in the browser where it was written or opened: to play it here, open its share link (“Copy share link” in Your lessons)."
    )
}

/// `my-` and the title in lower-case letters and digits joined by `-` (at most 60).
fn slug(title: &str) -> String {
    let mut s = String::from(PREFIX);
    for word in title.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if s.len() + word.len() > 60 {
            break;
        }
        if s.len() > PREFIX.len() {
            s.push('-');
        }
        s.push_str(&word.to_ascii_lowercase());
    }
    if s.len() == PREFIX.len() {
        s.push_str("lesson");
    }
    s
}

impl MyLessons {
    /// Reads what [`MyLessons::to_storage`] wrote (see [`crate::saved`]).
    pub fn from_storage(text: Option<&str>) -> (MyLessons, Option<String>) {
        crate::saved::decode(text, VERSION, "The lessons kept in this browser", "were")
    }

    pub fn to_storage(&self) -> String {
        crate::saved::encode(VERSION, self)
    }

    pub fn get(&self, id: &str) -> Option<&Kept> {
        self.lessons.iter().find(|k| k.id == id)
    }

    /// Keeps lesson `text` titled `title`, `how` the teacher asked, and returns its id; the
    /// oldest goes when there are too many. The same text again is the lesson already kept.
    /// A different lesson under the title of a kept one replaces nothing by itself (a
    /// colleague's shared lesson, an older copy of a file): `Err` with the kept one's id,
    /// for the teacher to choose ([`Keep::Replacing`] it, or [`Keep::Alongside`]).
    pub fn keep(&mut self, title: &str, text: &str, how: Keep) -> Result<String, String> {
        if let Some(k) = self.lessons.iter().find(|k| k.text == text) {
            return Ok(k.id.clone());
        }
        // Edited in the box and still under its title: the teacher's new version.
        if let Keep::Replacing(id) = how
            && let Some(k) = self.lessons.iter_mut().find(|k| k.id == id && k.title == title)
        {
            k.text = text.to_string();
            return Ok(k.id.clone());
        }
        if how != Keep::Alongside
            && let Some(k) = self.lessons.iter().find(|k| k.title == title)
        {
            return Err(k.id.clone());
        }
        let base = slug(title);
        let id = (1..)
            .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
            .find(|id| self.get(id).is_none())
            .unwrap_or(base);
        self.lessons.push(Kept { id: id.clone(), title: title.to_string(), text: text.to_string() });
        if self.lessons.len() > MAX_KEPT {
            self.lessons.remove(0);
        }
        Ok(id)
    }

    pub fn remove(&mut self, id: &str) {
        self.lessons.retain(|k| k.id != id);
    }
}

/// The most texts the "write one here" box keeps set aside (the oldest goes).
#[cfg(any(feature = "teacher", test))]
pub const MAX_SET_ASIDE: usize = 20;

/// What the "write one here" box set aside when another text was put in it (Edit, a file,
/// a shared link): the teacher's own writing, newest first, each with the id of the kept
/// lesson it was a version of (empty: none), to be put back.
#[cfg(any(feature = "teacher", test))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAside {
    pub texts: Vec<(String, String)>,
}

#[cfg(any(feature = "teacher", test))]
impl SetAside {
    /// Reads what [`SetAside::to_storage`] wrote (nothing, or something unreadable: none).
    pub fn from_storage(text: &str) -> SetAside {
        crate::saved::decode(Some(text).filter(|t| !t.is_empty()), VERSION, "", "").0
    }

    /// Nothing when nothing is set aside.
    pub fn to_storage(&self) -> String {
        if self.texts.is_empty() { String::new() } else { crate::saved::encode(VERSION, self) }
    }

    /// Sets `text` (a version of kept lesson `of`) aside, on top, unless it is there already.
    pub fn push(&mut self, of: &str, text: &str) {
        if self.texts.iter().any(|(_, t)| t == text) {
            return;
        }
        self.texts.insert(0, (of.to_string(), text.to_string()));
        self.texts.truncate(MAX_SET_ASIDE);
    }

    /// The text set aside last, and the id of the lesson it was a version of.
    pub fn pop(&mut self) -> Option<(String, String)> {
        (!self.texts.is_empty()).then(|| self.texts.remove(0))
    }

    /// "Put it back": the text set aside last (see [`SetAside::pop`]), and what the box holds
    /// (`held`, a version of kept lesson `of`; `None` when it need not be kept) set aside
    /// last of all, so that putting back again and again goes round every text. (Set aside
    /// on top, it came straight back: after two files in a row the box swapped between them,
    /// and the teacher's draft beneath could not be reached.)
    pub fn put_back(&mut self, of: &str, held: Option<&str>) -> Option<(String, String)> {
        let back = self.pop()?;
        if let Some(held) = held.filter(|h| !self.texts.iter().any(|(_, t)| t == h)) {
            self.texts.push((of.to_string(), held.to_string()));
        }
        Some(back)
    }
}

/// Base64 with the URL-safe alphabet of RFC 4648 §5 and no padding: nothing in it needs
/// escaping in an address.
#[cfg(any(feature = "teacher", test))]
fn url_encode(bytes: &[u8]) -> String {
    let mut s: String = base64::encode(bytes).chars().filter(|&c| c != '=').collect();
    s = s
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    s
}

#[cfg(any(feature = "teacher", test))]
fn url_decode(text: &str) -> Option<Vec<u8>> {
    let mut s: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    base64::decode(&s)
}

/// What a shared link's hash carries after `#/shared/`; `None` for another address.
pub fn shared_data(hash: &str) -> Option<&str> {
    Some(hash.strip_prefix('#').unwrap_or(hash).strip_prefix("/shared/")?.trim_end_matches('/'))
}

/// The marker of a deflated lesson in a link (`.` is not a letter of base64url).
#[cfg(feature = "teacher")]
const DEFLATED: &str = "z.";

/// The hash of a link that carries lesson `text`, deflated.
#[cfg(feature = "teacher")]
pub fn share_hash(text: &str) -> String {
    format!("#/shared/{DEFLATED}{}", url_encode(&miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9)))
}

/// The lesson text that a shared link carries ([`shared_data`]), or why it cannot be read.
#[cfg(feature = "teacher")]
pub fn shared_text(data: &str) -> Result<String, String> {
    use mailroom_core::lesson::MAX_LESSON_BYTES;
    let broken =
        || "This link's lesson could not be read: was the link cut short when it was copied?".to_string();
    let bytes = match data.strip_prefix(DEFLATED) {
        Some(packed) => {
            let packed = url_decode(packed).ok_or_else(broken)?;
            // Inflated up to a lesson's limit and no further: a link of a few hundred bytes
            // could inflate to gigabytes.
            miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_LESSON_BYTES).map_err(
                |e| match e.status {
                    miniz_oxide::inflate::TINFLStatus::HasMoreOutput => format!(
                        "This link's lesson is larger than a lesson may be ({} KB).",
                        MAX_LESSON_BYTES / 1024
                    ),
                    _ => broken(),
                },
            )?
        }
        None => url_decode(data).ok_or_else(broken)?,
    };
    String::from_utf8(bytes).map_err(|_| broken())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_titles_and_stay_unique() {
        let mut mine = MyLessons::default();
        let mut keep = |title: &str, text: &str| mine.keep(title, text, Keep::New).unwrap();
        assert_eq!(keep("SMTP, step by step!", "a"), "my-smtp-step-by-step");
        assert_eq!(keep("SMTP: step by step", "b"), "my-smtp-step-by-step-2");
        // The same lesson again: the one kept.
        assert_eq!(keep("SMTP, step by step!", "a"), "my-smtp-step-by-step");
        assert_eq!(keep("Ünïcode ½", "d"), "my-n-code");
        assert_eq!(keep("!!!", "e"), "my-lesson");
        assert_eq!(slug(&"word ".repeat(40)).len(), 57);
        mine.remove("my-lesson");
        assert!(mine.get("my-lesson").is_none() && mine.lessons.len() == 3);
        assert!(is_mine("my-lesson") && !is_mine("a-bounce"));
        for e in mailroom_core::lessons::INDEX {
            assert!(!is_mine(e.id), "a built-in lesson id must not start with {PREFIX}");
        }
    }

    /// A kept lesson is never replaced by another of its title unless the teacher says so:
    /// a colleague's shared lesson or an older file would have taken its place unseen.
    #[test]
    fn a_lesson_of_the_same_title_replaces_only_when_asked() {
        let text = |mine: &MyLessons, id: &str| mine.get(id).map(|k| k.text.clone());
        let mut mine = MyLessons::default();
        let ours = mine.keep("Our class", "ours", Keep::New).unwrap();
        // (how, title, text) → what keep says, and the texts kept afterwards.
        let cases: [(Keep, &str, &str, Result<&str, &str>, &[&str]); 6] = [
            (Keep::New, "Our class", "theirs", Err("my-our-class"), &["ours"]),
            // Edited from another lesson, or renamed while edited: never in its place.
            (Keep::Replacing("my-other"), "Our class", "theirs", Err("my-our-class"), &["ours"]),
            (
                Keep::Replacing("my-our-class"),
                "Our class (2)",
                "renamed",
                Ok("my-our-class-2"),
                &["ours", "renamed"],
            ),
            (Keep::Alongside, "Our class", "theirs", Ok("my-our-class-3"), &["ours", "renamed", "theirs"]),
            (
                Keep::Replacing("my-our-class"),
                "Our class",
                "mended",
                Ok("my-our-class"),
                &["mended", "renamed", "theirs"],
            ),
            // Its text again, however asked: the lesson kept.
            (Keep::Alongside, "Our class", "theirs", Ok("my-our-class-3"), &["mended", "renamed", "theirs"]),
        ];
        for (how, title, body, want, texts) in cases {
            assert_eq!(
                mine.keep(title, body, how),
                want.map(String::from).map_err(String::from),
                "{how:?} {body}"
            );
            let kept: Vec<_> = mine.lessons.iter().map(|k| k.text.as_str()).collect();
            assert_eq!(kept, texts, "{how:?} {body}");
        }
        assert_eq!(text(&mine, &ours).as_deref(), Some("mended"));
    }

    /// Nothing the teacher wrote is lost to another text put in the box: each goes on top,
    /// once, and comes back newest first with the lesson it was a version of.
    #[test]
    fn texts_set_aside_come_back_newest_first() {
        let mut aside = SetAside::default();
        assert_eq!(SetAside::from_storage(&aside.to_storage()), aside);
        assert_eq!(aside.to_storage(), "");
        aside.push("", "draft");
        aside.push("my-a", "edited a");
        aside.push("", "draft");
        assert_eq!(SetAside::from_storage(&aside.to_storage()), aside);
        assert_eq!(aside.pop(), Some(("my-a".into(), "edited a".into())));
        assert_eq!(aside.pop(), Some((String::new(), "draft".into())));
        assert_eq!(aside.pop(), None);
        for i in 0..MAX_SET_ASIDE + 2 {
            aside.push("", &format!("text {i}"));
        }
        assert_eq!(aside.texts.len(), MAX_SET_ASIDE);
        assert_eq!(aside.texts[0].1, format!("text {}", MAX_SET_ASIDE + 1), "the newest kept");
        assert_eq!(SetAside::from_storage("junk"), SetAside::default());
    }

    /// A draft, then two files opened one after the other: putting back again and again
    /// brings each one round, the draft too.
    #[test]
    fn putting_back_goes_round_every_text() {
        let mut aside = SetAside::default();
        let mut held = "draft".to_string();
        for file in ["file a", "file b"] {
            aside.push("", &held);
            held = file.to_string();
        }
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (_, back) = aside.put_back("", Some(&held)).unwrap();
            seen.push(std::mem::replace(&mut held, back.clone()));
            assert_eq!(aside.texts.len(), 2, "{aside:?}");
        }
        assert_eq!(seen, ["file b", "file a", "draft"]);
        assert_eq!(held, "file b", "round again");
        // What need not be kept (a kept lesson's own text) is not set aside.
        assert_eq!(aside.put_back("my-a", None).map(|(_, t)| t), Some("file a".into()));
        assert_eq!(aside.texts.len(), 1);
    }

    #[test]
    fn keeps_at_most_max_kept() {
        let mut mine = MyLessons::default();
        for i in 0..MAX_KEPT + 3 {
            mine.keep(&format!("Lesson {i}"), &format!("x{i}"), Keep::New).unwrap();
        }
        assert_eq!(mine.lessons.len(), MAX_KEPT);
        assert!(mine.get("my-lesson-0").is_none());
    }

    #[test]
    fn round_trips_and_sets_aside_what_it_cannot_read() {
        let mut mine = MyLessons::default();
        mine.keep("A", "---\ntitle: A\n", Keep::New).unwrap();
        assert_eq!(MyLessons::from_storage(Some(&mine.to_storage())), (mine, None));
        assert_eq!(MyLessons::from_storage(None), (MyLessons::default(), None));
        for (text, want) in
            [("junk", "could not be read"), ("1:@@", "could not be read"), ("7:AA", "format 7")]
        {
            let (got, notice) = MyLessons::from_storage(Some(text));
            assert_eq!(got, MyLessons::default());
            assert!(notice.is_some_and(|n| n.contains(want)), "{text}");
        }
    }

    #[test]
    fn which_addresses_are_shared_links() {
        // The page's part (the lite page too): which addresses are shared links, and what
        // they carry, read by the teachers' page (the tests below).
        assert_eq!(shared_data("#/shared/z.abc-_"), Some("z.abc-_"));
        assert_eq!(shared_data("#/shared/abc/"), Some("abc"));
        assert_eq!(shared_data("#/lesson/a-bounce"), None);
        assert_eq!(shared_data("#/sharedabc"), None);
        // Every length round-trips (the padding put back), and `+` `/` never appear.
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(97).wrapping_add(251)).collect();
            let e = url_encode(&bytes);
            assert!(!e.contains(['+', '/', '=']), "{e}");
            assert_eq!(url_decode(&e), Some(bytes));
        }
    }

    /// What a shared link's hash carries, read as the page reads it.
    #[cfg(feature = "teacher")]
    fn read(hash: &str) -> Result<String, String> {
        shared_text(shared_data(hash).expect("a shared link"))
    }

    #[cfg(feature = "teacher")]
    #[test]
    fn a_shared_link_carries_the_lesson_deflated() {
        let lesson =
            mailroom_core::lessons::BUILTIN.iter().find(|(id, _)| *id == "sending-an-email").unwrap().1;
        for text in ["---\ntitle: Ünïcode & \"quotes\"\n---\n## A\n@ start\n", lesson, ""] {
            let hash = share_hash(text);
            let data = hash.strip_prefix("#/shared/z.").expect("deflated");
            assert!(data.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)), "{hash}");
            assert_eq!(read(&hash).as_deref(), Ok(text));
        }
        // A whole lesson: less than half as long as its text in base64 (the links before).
        let hash = share_hash(lesson);
        let undeflated = lesson.len().div_ceil(3) * 4;
        assert!(hash.len() * 2 < undeflated, "{} characters, against {undeflated} undeflated", hash.len());
        // The links made before deflating still read: `#/shared/` and the text in base64url.
        assert_eq!(read("#/shared/SGVsbG8sIELDtmI").as_deref(), Ok("Hello, Böb"));
    }

    #[cfg(feature = "teacher")]
    #[test]
    fn a_broken_or_oversized_link_says_why() {
        use mailroom_core::lesson::MAX_LESSON_BYTES;
        let cut = "This link's lesson could not be read: was the link cut short when it was copied?";
        let hash = share_hash(&"A line of a lesson, and another.\n".repeat(200));
        for broken in [
            &hash[..hash.len() - 10],
            "#/shared/z.",
            "#/shared/z.%%%",
            "#/shared/z.AAAA",
            "#/shared/%%%",
            "#/shared/__4",
        ] {
            assert_eq!(read(broken), Err(cut.to_string()), "{broken}");
        }
        // A lesson's limit: one byte over is refused (a few hundred bytes of link), the limit
        // itself is read.
        let too_large =
            format!("This link's lesson is larger than a lesson may be ({} KB).", MAX_LESSON_BYTES / 1024);
        let over = share_hash(&" ".repeat(MAX_LESSON_BYTES + 1));
        assert!(over.len() < 2_000, "{}", over.len());
        assert_eq!(read(&over), Err(too_large));
        assert_eq!(read(&share_hash(&" ".repeat(MAX_LESSON_BYTES))).map(|t| t.len()), Ok(MAX_LESSON_BYTES));
    }
}
