//! `mailroom-serve check FILE...`: a teacher's lesson files checked as the app and the
//! tests check the built-in ones. Each file is parsed (front matter, message, world block,
//! steps: every mistake is reported, not only the first), its world is run to the end, and
//! every step's anchor must find its event in order. What is wrong is printed as
//! `FILE:LINE: what`, one line each, and the exit code says whether all files passed. A file
//! called `README.md` is skipped: in `lessons/` it is the guide to writing lessons.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use mailroom_core::lesson::MAX_LESSON_BYTES;
use mailroom_core::world::check_lesson;

/// What one file came to: `Ok` with a summary, or the errors to print.
fn check_file(path: &Path) -> Result<String, Vec<String>> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| vec![format!("{name}: cannot read it: {e}")])?;
    if bytes.len() > MAX_LESSON_BYTES {
        return Err(vec![format!("{name}: {} bytes; a lesson has at most {MAX_LESSON_BYTES}", bytes.len())]);
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![format!("{name}: not UTF-8 text (byte {} is not)", e.utf8_error().valid_up_to())]
    })?;
    let id = path.file_stem().and_then(|s| s.to_str()).unwrap_or("lesson");
    let at = |line: usize| if line == 0 { format!("{name}") } else { format!("{name}:{line}") };
    let (lesson, run) = check_lesson(id, &text).map_err(|errors| {
        errors.iter().map(|e| format!("{}: {}", at(e.line), e.message)).collect::<Vec<_>>()
    })?;
    Ok(format!(
        "{name}: ok: \"{}\", {} steps over {} events",
        lesson.title,
        lesson.steps.len(),
        run.trace.events.len()
    ))
}

/// Checks every file; prints what passed to standard output and what failed to standard
/// error. Exit code 0 when all passed, 1 otherwise.
pub fn run(files: &[std::path::PathBuf]) -> ExitCode {
    let mut failed = 0;
    for path in files {
        // lessons/README.md is the guide to writing lessons, not a lesson (as for build.rs):
        // `check lessons/*.md` checks the lessons.
        if path.file_name().is_some_and(|n| n == "README.md") {
            let _ = writeln!(io::stdout().lock(), "{}: skipped: the guide, not a lesson", path.display());
            continue;
        }
        match check_file(path) {
            Ok(summary) => {
                let _ = writeln!(io::stdout().lock(), "{summary}");
            }
            Err(errors) => {
                failed += 1;
                let mut err = io::stderr().lock();
                for e in errors {
                    let _ = writeln!(err, "{e}");
                }
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        let _ = writeln!(io::stderr().lock(), "{failed} of {} lesson files have errors", files.len());
        ExitCode::FAILURE
    }
}
