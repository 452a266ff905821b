//! Hash routing by hand: `#/lesson/<id>/step/<n>`, where `n` is the cursor; and, in the
//! full build, a lesson's printable pages `#/handout/<id>` and `#/worksheet/<id>`.
//!
//! Small enough that a router crate would cost more (in bytes) than it saves.

/// Where the address points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub lesson: String,
    pub step: usize,
}

/// Lesson ids are file stems: lower-case letters, digits, `-` and `_`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Parses `#/lesson/<id>` or `#/lesson/<id>/step/<n>` (the `#` is optional, a trailing
/// `/` is allowed). Anything else is `None`; the caller falls back to the first lesson.
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
    let step = match (parts.next(), parts.next()) {
        (None, _) => 0,
        (Some("step"), Some(n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            n.parse().unwrap_or(usize::MAX)
        }
        _ => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Route { lesson, step })
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

/// The hash for `route`, e.g. `#/lesson/sending-an-email/step/3`.
pub fn format(route: &Route) -> String {
    format!("#/lesson/{}/step/{}", route.lesson, route.step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(lesson: &str, step: usize) -> Option<Route> {
        Some(Route { lesson: lesson.into(), step })
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
            "#/lesson/x/step/",
            "#/lesson/x/step/-1",
            "#/lesson/x/step/1e3",
            "#/lesson/x/step/1/extra",
            "#/lesson/x/page/1",
            "#/lesson/<script>/step/1",
        ] {
            assert_eq!(parse(hash), None, "{hash}");
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
    fn format_round_trips() {
        let route = Route { lesson: "sending-an-email".into(), step: 12 };
        assert_eq!(format(&route), "#/lesson/sending-an-email/step/12");
        assert_eq!(parse(&format(&route)), Some(route));
    }
}
