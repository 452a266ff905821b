//! The corpus of broken descriptions: every `tests/descriptions/*.world` file says in
//! `# expect: line L, column C: message` comments exactly which problems it has, in
//! order. A `# base: standard` comment reads the file on top of the standard world, the
//! way a lesson does. The files double as examples of the errors teachers see.

use mailroom_core::describe::{DescribeError, Description};

fn read(text: &str) -> Result<Description, Vec<DescribeError>> {
    let on_standard = text.lines().any(|l| l.trim() == "# base: standard");
    if on_standard {
        let mut d = Description::standard();
        d.extend(text, 1).map(|()| d)
    } else {
        Description::parse(text)
    }
}

#[test]
fn describe_broken_descriptions_report_what_they_expect() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/descriptions");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "world"));
    files.sort();
    assert!(files.len() >= 20, "the corpus has only {} files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let text = std::fs::read_to_string(path).unwrap();
        let want: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        if want.is_empty() {
            failures.push(format!("{name}: no `# expect: line L, column C: message` comment"));
            continue;
        }
        let got: Vec<String> = match read(&text) {
            Ok(_) => Vec::new(),
            Err(es) => es.iter().map(ToString::to_string).collect(),
        };
        // How a line reads, and what is missing in words, only a teacher's build says.
        if !cfg!(feature = "teacher") && want.iter().any(|w| w.contains("the line reads")) {
            continue;
        }
        // A cut connection comes with the engine's `pop3` feature: without it, a `cut` line
        // says only that it needs the full app.
        if !cfg!(feature = "pop3") && text.lines().any(|l| l.starts_with("cut ")) {
            assert!(
                got.iter().any(|g| g.ends_with("a cut connection needs the full app")),
                "{name}: {got:?}"
            );
            continue;
        }
        if got != want {
            let got = if got.is_empty() {
                "  (no error: the description was accepted)".to_string()
            } else {
                got.iter().map(|g| format!("  {g}")).collect::<Vec<_>>().join("\n")
            };
            let want = want.iter().map(|w| format!("  {w}")).collect::<Vec<_>>().join("\n");
            failures.push(format!("{name}:\n expected\n{want}\n got\n{got}"));
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n\n"));
}

#[test]
fn describe_the_standard_world_file_is_valid_on_its_own() {
    let text = include_str!("../worlds/standard.world");
    let d = Description::parse(text)
        .unwrap_or_else(|es| panic!("{}", es.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")));
    assert_eq!(d, Description::standard());
}
