//! Makes the lesson library from the files in `lessons/`: the folder is the list. Adding a
//! lesson is adding a file; its front matter (`title:`, `summary:`, `path:`, `order:`,
//! `level:`, `minutes:`) says where it goes. Writes `$OUT_DIR/lessons.rs`, included by
//! `src/lessons.rs`.
//!
//! Lenient on purpose: a value this script cannot read is left out here, and the lesson's
//! own parser (run on every built-in lesson by the tests) reports it with its line.

use std::fmt::Write as _;
use std::path::Path as FsPath;

#[path = "src/listing.rs"]
#[allow(dead_code)]
mod listing;

use listing::Listing;

struct Found {
    id: String,
    file: String,
    title: String,
    summary: String,
    listing: Listing,
    /// The lesson's world has an IMAP mail program (`at ... imap from ...`).
    imap: bool,
    /// The lesson's world has a POP3 mail program (`at ... retrieve from ...`), cuts a
    /// connection (`cut ...`) or takes a host down after the start (`down HOST from 5m ...`),
    /// which come with the engine's `pop3` feature.
    pop3: bool,
    /// The lesson's world signs or checks senders (`dkim ...`, `check ...`).
    trust: bool,
}

fn read(id: &str, file: &FsPath) -> Found {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let mut found = Found {
        id: id.to_string(),
        file: file.display().to_string(),
        title: id.to_string(),
        summary: String::new(),
        listing: Listing::default(),
        imap: false,
        pop3: false,
        trust: false,
    };
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    if lines.next().map(str::trim) == Some("---") {
        for line in lines.by_ref().take_while(|l| l.trim() != "---") {
            let Some((key, value)) = line.split_once(':') else { continue };
            let key = key.trim().to_ascii_lowercase();
            match key.as_str() {
                "title" => found.title = value.trim().to_string(),
                "summary" => found.summary = value.trim().to_string(),
                _ => {
                    let _ = found.listing.read(&key, value);
                }
            }
        }
    }
    // A world line such as `at 0s imap from laptop via imap.example.net user ...`.
    let action = |what: &str| text.lines().any(|l| l.trim_start().starts_with("at ") && l.contains(what));
    found.imap = action(" imap from ");
    found.pop3 = action(" retrieve from ");
    // A `dkim` or `check` directive inside the world block (trust), or `cut` (pop3), or a
    // `down` window that starts after 0s, which may take a host down mid-session: TCP sending
    // again into the outage comes with the engine's `pop3` feature too.
    let mut in_world = false;
    for l in text.lines().map(str::trim) {
        if l.starts_with("```") {
            in_world = l.trim_start_matches('`').trim() == "world";
            continue;
        }
        let word = l.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        found.trust |= in_world && (word == "dkim" || word == "check");
        found.pop3 |= in_world && word == "cut";
        let later = |from: &str| from.chars().any(|c| c.is_ascii_digit() && c != '0');
        found.pop3 |= in_world && word == "down" && l.split_whitespace().nth(3).is_some_and(later);
    }
    found
}

fn main() {
    let dir = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut lessons: Vec<Found> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let id = path.file_name()?.to_str()?.strip_suffix(".md")?.to_string();
            // README.md documents the format; lesson ids are lower case.
            (id != "README").then_some((id, path))
        })
        .map(|(id, path)| {
            println!("cargo::rerun-if-changed={}", path.display());
            // The file name is the lesson's address (`#/lesson/<id>`), which takes these only.
            let valid = !id.is_empty()
                && id.len() <= 100
                && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            assert!(
                valid,
                "{}: a lesson's file name is its address: use lower-case letters, digits, `-` and `_` \
                 (for example `my-lesson.md`)",
                path.display()
            );
            read(&id, &path)
        })
        .collect();
    // The path's parts in order (lessons outside the path last), then `order:`, then title.
    lessons.sort_by(|a, b| {
        let key = |l: &Found| (l.listing.path.is_none(), l.listing.path, l.listing.order);
        key(a).cmp(&key(b)).then_with(|| a.title.cmp(&b.title)).then_with(|| a.id.cmp(&b.id))
    });

    let mut out = String::from("// Generated by build.rs from the files in lessons/.\n\n");
    out.push_str(
        "/// `(id, file text)` of every built-in lesson, in library order; without the `imap`\n\
         /// or `pop3` feature, less the lessons that need it (the engine could not run them).\n\
         pub const BUILTIN: &[(&str, &str)] = &[\n",
    );
    for l in &lessons {
        let needs: Vec<&str> = [(l.imap, "imap"), (l.pop3, "pop3"), (l.trust, "trust")]
            .into_iter()
            .filter_map(|(need, feature)| need.then_some(feature))
            .collect();
        if !needs.is_empty() {
            let all: Vec<String> = needs.iter().map(|f| format!("feature = {f:?}")).collect();
            writeln!(out, "    #[cfg(all({}))]", all.join(", ")).unwrap();
        }
        writeln!(out, "    ({:?}, include_str!({:?})),", l.id, l.file).unwrap();
    }
    out.push_str("];\n\n");
    out.push_str(
        "/// Every lesson in `lessons/`, in library order, in every build (with or without the\n\
         /// `imap` feature): what the home page and the lesson picker show before a lesson's\n\
         /// file is fetched.\n\
         pub const INDEX: &[Entry] = &[\n",
    );
    for l in &lessons {
        let opt = |v: Option<String>| v.map_or("None".to_string(), |v| format!("Some({v})"));
        writeln!(
            out,
            "    Entry {{ id: {:?}, title: {:?}, summary: {:?}, listing: Listing {{ path: {}, order: {}, level: {}, minutes: {} }}, imap: {}, pop3: {}, trust: {} }},",
            l.id,
            l.title,
            l.summary,
            opt(l.listing.path.map(|p| format!("Path::{p:?}"))),
            l.listing.order,
            opt(l.listing.level.map(|v| format!("Level::{v:?}"))),
            opt(l.listing.minutes.map(|m| m.to_string())),
            l.imap,
            l.pop3,
            l.trust,
        )
        .unwrap();
    }
    out.push_str("];\n");
    let target = FsPath::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("lessons.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
}
