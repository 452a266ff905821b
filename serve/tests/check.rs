//! `mailroom-serve check FILE...`: every built-in lesson passes; broken lesson files are
//! reported with their file and line, what is wrong, and a failing exit code.

use std::path::PathBuf;
use std::process::Command;

fn check(files: &[PathBuf]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailroom-serve")).arg("check").args(files).output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn lessons_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lessons")
}

#[test]
fn every_builtin_lesson_passes() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(lessons_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    assert!(files.len() > 10);
    let (ok, out, err) = check(&files);
    assert!(ok, "{err}");
    // Every lesson passes; README.md, the guide to writing lessons, is skipped.
    let skipped: Vec<&str> = out.lines().filter(|l| l.contains(": skipped: ")).collect();
    assert!(skipped.len() == 1 && skipped[0].contains("README.md"), "{out}");
    assert_eq!(out.lines().filter(|l| l.contains(": ok: ")).count(), files.len() - 1, "{out}");
}

#[test]
fn broken_files_are_reported_with_file_line_and_what() {
    let dir = std::env::temp_dir().join(format!("mailroom-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let head = "---\ntitle: Broken\nfrom: Alice <alice@example.org>\nto: Bob <bob@example.net>\n---\n\n";
    // (file name, text, what stderr must say)
    let cases: &[(&str, String, &str)] = &[
        (
            "world.md",
            format!("{head}```world\nhots x\n```\n\n## One\n@ start\n\nText.\n"),
            "world.md:8: in the ```world block, column 1: unknown directive `hots` (did you mean `host`?)",
        ),
        (
            "anchor.md",
            format!("{head}## One\n@ reply 999\n\nText.\n"),
            "anchor.md:8: `999` is not a reply code",
        ),
        (
            "unmatched.md",
            format!("{head}## One\n@ reply 421\n\nText.\n"),
            "unmatched.md:8: step `One`: @ reply 421: no such event happens",
        ),
        (
            "no-title.md",
            "---\nfrom: a@example.org\n---\n".to_string(),
            "no-title.md:3: the front matter needs a `title:`",
        ),
        (
            "two.md",
            format!("{head}```world\nhots x\ngreylist nowhere.example\n```\n\n## One\n@ start\n"),
            // Every mistake, not only the first: the second error of the world block.
            "two.md:9: in the ```world block, column 10: there is no host `nowhere.example`",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let (ok, out, err) = check(std::slice::from_ref(&path));
        assert!(!ok, "{name} must fail: {out}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(err.contains("1 of 1 lesson files have errors"), "{err}");
    }
    // A missing file and a good one: the good one still passes, the exit code fails.
    let good = lessons_dir().join("sending-an-email.md");
    let (ok, out, err) = check(&[dir.join("missing.md"), good]);
    assert!(!ok);
    assert!(err.contains("missing.md: cannot read it"), "{err}");
    assert!(out.contains("sending-an-email.md: ok: \"Sending an email\""), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
