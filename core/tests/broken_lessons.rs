//! The corpus of broken lesson files: every `tests/broken_lessons/*.md` is a lesson a
//! teacher might write with mistakes in it (bad front matter, an unknown key, a block left
//! open, a typo in the world, an anchor that matches no event, a question whose answer is
//! not what happens...), and the `.expect` file beside it holds exactly what the app and
//! `mailroom-serve check` say of it, one `LINE: message` a line, in order: every mistake
//! of the file, or, when it reads, the simulation's. Regenerate after a deliberate change
//! with MAILROOM_BLESS=1 and read the diff. The files double as examples of the errors
//! teachers see. They are what a teacher's build says (feature `teacher`, on by default):
//! the first load's words are shorter.
#![cfg(feature = "teacher")]

use mailroom_core::world::check_lesson;

/// What is wrong with `text`, as `mailroom-serve check` prints it (without the file name).
fn mistakes(id: &str, text: &str) -> Vec<String> {
    match check_lesson(id, text) {
        Err(errors) => errors.iter().map(|e| format!("{}: {}", e.line, e.message)).collect(),
        Ok(_) => Vec::new(),
    }
}

#[test]
fn broken_lessons_report_every_mistake_with_its_line() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken_lessons");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "md"));
    files.sort();
    assert!(files.len() >= 10, "the corpus has only {} files", files.len());
    let bless = std::env::var_os("MAILROOM_BLESS").is_some();
    let mut failures = Vec::new();
    for path in &files {
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        let got = mistakes(&id, &std::fs::read_to_string(path).unwrap());
        if got.is_empty() {
            failures.push(format!("{id}: no mistake found: the lesson was accepted"));
            continue;
        }
        let expect = path.with_extension("expect");
        if bless {
            std::fs::write(&expect, got.join("\n") + "\n").unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expect).unwrap_or_else(|e| panic!("{}: {e}", expect.display()));
        let want: Vec<&str> = want.lines().collect();
        if got != want {
            failures.push(format!("{id}:\n expected\n  {}\n got\n  {}", want.join("\n  "), got.join("\n  ")));
        }
        // Every mistake names its line (0 only for what concerns the whole file).
        for g in &got {
            assert!(g.split(':').next().is_some_and(|l| l.parse::<usize>().is_ok()), "{id}: {g}");
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n\n"));
}
