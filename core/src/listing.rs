//! Where a lesson sits in the learning path, and what it asks of the student: the front
//! matter keys `path:`, `order:`, `level:` and `minutes:`.
//!
//! This file is also compiled into the crate's build script (`build.rs`, by `#[path]`), which
//! reads every file in `lessons/` and makes the library's list from them: a new lesson is a
//! new file, with no Rust to change. So it depends on nothing but `core`/`std`.

/// The parts of the learning path, in the order a class takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Path {
    Sending,
    Retrieving,
    Failures,
    Trust,
}

impl Path {
    /// Every part of the path, in order.
    pub const ALL: [Path; 4] = [Path::Sending, Path::Retrieving, Path::Failures, Path::Trust];

    /// The word a lesson file uses (`path: sending`).
    pub fn key(self) -> &'static str {
        match self {
            Path::Sending => "sending",
            Path::Retrieving => "retrieving",
            Path::Failures => "failures",
            Path::Trust => "trust",
        }
    }

    /// The heading of this part of the path on the home page.
    pub fn title(self) -> &'static str {
        match self {
            Path::Sending => "Sending",
            Path::Retrieving => "Retrieving",
            Path::Failures => "When things go wrong",
            Path::Trust => "Security and trust",
        }
    }

    /// Reads `path:`: the key or the heading, in any case.
    pub fn parse(value: &str) -> Option<Path> {
        let value = value.trim();
        Path::ALL
            .into_iter()
            .find(|p| p.key().eq_ignore_ascii_case(value) || p.title().eq_ignore_ascii_case(value))
    }
}

/// How much the lesson expects the student to know already.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Beginner, Level::Intermediate, Level::Advanced];

    /// The word a lesson file uses (`level: beginner`) and the home page shows, capitalised.
    pub fn key(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Level::Beginner => "Beginner",
            Level::Intermediate => "Intermediate",
            Level::Advanced => "Advanced",
        }
    }

    pub fn parse(value: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.key().eq_ignore_ascii_case(value.trim()))
    }
}

/// The longest a lesson may say it takes: a class period and then some.
pub const MAX_MINUTES: u16 = 240;

/// The listing keys of a lesson's front matter. All optional: a lesson without `path:` is
/// listed after the path, under "More lessons".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub path: Option<Path>,
    /// Its place within its part of the path (`order: 2`); lessons of equal order by title.
    pub order: u16,
    pub level: Option<Level>,
    /// About how long the lesson takes a student, in minutes.
    pub minutes: Option<u16>,
}

impl Listing {
    /// Reads one front matter line's `key` and `value` if `key` is a listing key: `None`
    /// when it is not one, `Some(Err(what is wrong))` when its value cannot be read.
    pub fn read(&mut self, key: &str, value: &str) -> Option<Result<(), String>> {
        let value = value.trim();
        let result = match key {
            "path" => Path::parse(value).map(|p| self.path = Some(p)).ok_or_else(|| {
                format!("unknown path `{value}` (known: {})", Path::ALL.map(|p| p.key()).join(", "))
            }),
            "order" => value
                .parse()
                .map(|n| self.order = n)
                .map_err(|_| format!("`order:` takes a whole number, not `{value}`")),
            "level" => Level::parse(value).map(|l| self.level = Some(l)).ok_or_else(|| {
                format!("unknown level `{value}` (known: {})", Level::ALL.map(|l| l.key()).join(", "))
            }),
            "minutes" => match value.parse::<u16>() {
                Ok(n) if (1..=MAX_MINUTES).contains(&n) => {
                    self.minutes = Some(n);
                    Ok(())
                }
                _ => Err(format!(
                    "`minutes:` takes a number of minutes from 1 to {MAX_MINUTES}, not `{value}`"
                )),
            },
            _ => return None,
        };
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_listing_keys() {
        let cases: &[(&str, &str, Result<Listing, &str>)] = &[
            ("path", "sending", Ok(Listing { path: Some(Path::Sending), ..Listing::default() })),
            (
                "path",
                " When things go WRONG ",
                Ok(Listing { path: Some(Path::Failures), ..Listing::default() }),
            ),
            ("path", "trust", Ok(Listing { path: Some(Path::Trust), ..Listing::default() })),
            (
                "path",
                "sideways",
                Err("unknown path `sideways` (known: sending, retrieving, failures, trust)"),
            ),
            ("order", "3", Ok(Listing { order: 3, ..Listing::default() })),
            ("order", "-1", Err("`order:` takes a whole number, not `-1`")),
            ("level", "Intermediate", Ok(Listing { level: Some(Level::Intermediate), ..Listing::default() })),
            ("level", "expert", Err("unknown level `expert` (known: beginner, intermediate, advanced)")),
            ("minutes", "15", Ok(Listing { minutes: Some(15), ..Listing::default() })),
            ("minutes", "0", Err("`minutes:` takes a number of minutes from 1 to 240, not `0`")),
            ("minutes", "ten", Err("`minutes:` takes a number of minutes from 1 to 240, not `ten`")),
        ];
        for (key, value, want) in cases {
            let mut listing = Listing::default();
            let got = listing.read(key, value).expect("a listing key").map(|()| listing);
            assert_eq!(got, want.map_err(str::to_string), "{key}: {value}");
        }
        assert_eq!(Listing::default().read("title", "x"), None);
    }
}
