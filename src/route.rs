//! Hash routing by hand: `#/lesson/<id>/step/<n>`, where `n` is the cursor; and, in the
//! full build, a lesson's printable pages `#/handout/<id>` and `#/worksheet/<id>`.
//!
//! Small enough that a router crate would cost more (in bytes) than it saves.

/// Where the address points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub lesson: String,
    pub step: usize,
    /// The address's step could not be read (a link cut short, `step/-3`, `step/abc`): the
    /// lesson from its start, and the page says so.
    pub step_unread: bool,
}

/// Lesson ids are file stems: lower-case letters, digits, `-` and `_`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Said when the address named a lesson but its step could not be read (a link cut short).
pub const STEP_UNREAD: &str =
    "The step in the address could not be read, so the lesson starts from its beginning.";

/// Said when such an address was typed over the lesson shown: it stays where it was.
pub const STEP_UNREAD_HERE: &str =
    "The step in the address could not be read, so the lesson stays at this step.";

/// Parses `#/lesson/<id>` or `#/lesson/<id>/step/<n>` (the `#` is optional, a trailing
/// `/` is allowed). A lesson's address whose step part cannot be read is the lesson at
/// step 0, [`Route::step_unread`]. Anything else is `None`: the page shows the home page.
/// A step number too large for `usize` becomes `usize::MAX` (the caller clamps it).
pub fn parse(hash: &str) -> Option<Route> {
    let path = hash.strip_prefix('#').unwrap_or(hash);
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut parts = path.split('/');
    if parts.next()? != "lesson" {
        return None;
    }
    // Ids are lower case; an address typed in capitals still means the same lesson.
    let lesson = parts.next()?.to_ascii_lowercase();
    if !valid_id(&lesson) {
        return None;
    }
    let step = match (parts.next(), parts.next(), parts.next()) {
        (None, ..) => Some(0),
        (Some("step"), Some(n), None) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            Some(n.parse().unwrap_or(usize::MAX))
        }
        _ => None,
    };
    Some(Route { lesson, step: step.unwrap_or(0), step_unread: step.is_none() })
}

/// A lesson's printable page for the classroom (the full build's teacher tools).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sheet {
    /// Title, the narration of every part, the transcript, the final diagram.
    Handout,
    /// The conversation with replies left blank, the questions, an answer key.
    Worksheet,
}

/// Parses `#/handout/<id>` or `#/worksheet/<id>` (the `#` and a trailing `/` optional).
pub fn parse_sheet(hash: &str) -> Option<(Sheet, String)> {
    let path = hash.strip_prefix('#').unwrap_or(hash);
    let path = path.strip_prefix('/').unwrap_or(path);
    let (page, id) = path.strip_suffix('/').unwrap_or(path).split_once('/')?;
    let sheet = match page {
        "handout" => Sheet::Handout,
        "worksheet" => Sheet::Worksheet,
        _ => return None,
    };
    let id = id.to_ascii_lowercase();
    valid_id(&id).then_some((sheet, id))
}

/// Where the player's "Hand-out ›" link goes: the hand-out of lesson `id`, in this build
/// when it has the teacher tools, else in the full build in `full/`.
pub fn handout_href(id: &str) -> String {
    let base = if cfg!(feature = "teacher") { "" } else { "full/" };
    format!("{base}#/handout/{id}")
}

/// The hash for lesson `id` at `step`, e.g. `#/lesson/sending-an-email/step/3`.
pub fn href(id: &str, step: usize) -> String {
    format!("#/lesson/{id}/step/{step}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(lesson: &str, step: usize) -> Option<Route> {
        Some(Route { lesson: lesson.into(), step, step_unread: false })
    }

    fn unread(lesson: &str) -> Option<Route> {
        Some(Route { lesson: lesson.into(), step: 0, step_unread: true })
    }

    #[test]
    fn parses_good_hashes() {
        let cases = [
            ("#/lesson/sending-an-email/step/20", r("sending-an-email", 20)),
            ("#/lesson/sending-an-email/step/0", r("sending-an-email", 0)),
            ("#/lesson/sending-an-email", r("sending-an-email", 0)),
            ("#/lesson/sending-an-email/", r("sending-an-email", 0)),
            ("/lesson/a_b-1/step/7/", r("a_b-1", 7)),
            ("#/lesson/x/step/99999999999999999999999999", r("x", usize::MAX)),
            ("#/lesson/A-BOUNCE/step/3", r("a-bounce", 3)),
        ];
        for (hash, want) in cases {
            assert_eq!(parse(hash), want, "{hash}");
        }
    }

    #[test]
    fn rejects_bad_hashes() {
        for hash in [
            "",
            "#",
            "#/",
            "#/lessons/x",
            "#/lesson/",
            "#/lesson/bad!/step/1",
            "#/lesson/../step/1",
            "#/lesson/<script>/step/1",
        ] {
            assert_eq!(parse(hash), None, "{hash}");
        }
    }

    #[test]
    fn a_lesson_with_a_step_that_cannot_be_read_starts_at_its_beginning() {
        for hash in [
            "#/lesson/x/step",
            "#/lesson/x/step/",
            "#/lesson/x/step/-1",
            "#/lesson/x/step/abc",
            "#/lesson/x/step/1e3",
            "#/lesson/x/step/1/extra",
            "#/lesson/x/page/1",
        ] {
            assert_eq!(parse(hash), unread("x"), "{hash}");
        }
    }

    #[test]
    fn sheets_parse() {
        let h = |id: &str| Some((Sheet::Handout, id.to_string()));
        assert_eq!(parse_sheet("#/handout/a-bounce"), h("a-bounce"));
        assert_eq!(parse_sheet("/handout/A-Bounce/"), h("a-bounce"));
        assert_eq!(parse_sheet("#/worksheet/x_1"), Some((Sheet::Worksheet, "x_1".into())));
        for bad in
            ["#/handout/", "#/handout", "#/handout/a/b", "#/lesson/a", "#/worksheet/<b>", "#/handouts/a", ""]
        {
            assert_eq!(parse_sheet(bad), None, "{bad}");
        }
        assert_eq!(parse("#/handout/a-bounce"), None, "not a lesson's player");
        let want = if cfg!(feature = "teacher") { "#/handout/a-bounce" } else { "full/#/handout/a-bounce" };
        assert_eq!(handout_href("a-bounce"), want);
    }

    #[test]
    fn href_round_trips() {
        assert_eq!(href("sending-an-email", 12), "#/lesson/sending-an-email/step/12");
        assert_eq!(parse(&href("sending-an-email", 12)), r("sending-an-email", 12));
    }
}
