//! The fuzz corpus as a regression test: every file under `tests/fuzz/<target>/` (the
//! minimised corpus the cargo-fuzz targets found, and the inputs that once broke an
//! invariant, named after what they found) goes through the same harness as the fuzz
//! target (`mailroom_core::fuzzing`), on stable Rust. A panic names the file; to look at one
//! more closely, `cargo +nightly fuzz run <target> core/tests/fuzz/<target>/<file>`.
//! The IMAP harness needs the feature `imap` (on by default), and so does its replay.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

#[cfg(feature = "imap")]
use mailroom_core::fuzzing::imap_server;
#[cfg(feature = "pop3")]
use mailroom_core::fuzzing::pop3_server;
use mailroom_core::fuzzing::smtp_server;

/// Runs every file of `tests/fuzz/<target>` through `harness`; fails naming each file that
/// panics. Returns how many files ran.
fn replay(target: &str, harness: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    let mut failed = Vec::new();
    for path in &files {
        let input = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if catch_unwind(AssertUnwindSafe(|| harness(&input))).is_err() {
            failed.push(path.file_name().expect("a file name").to_string_lossy().into_owned());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs break an invariant: {failed:?}",
        failed.len(),
        files.len()
    );
    files.len()
}

#[test]
fn the_smtp_server_corpus_keeps_every_invariant() {
    let n = replay("smtp_server", smtp_server);
    assert!(n >= 50, "only {n} SMTP inputs: is the corpus there?");
}

#[cfg(feature = "pop3")]
#[test]
fn the_pop3_server_corpus_keeps_every_invariant() {
    let n = replay("pop3_server", pop3_server);
    assert!(n >= 50, "only {n} POP3 inputs: is the corpus there?");
}

#[cfg(feature = "imap")]
#[test]
fn the_imap_server_corpus_keeps_every_invariant() {
    let n = replay("imap_server", imap_server);
    assert!(n >= 50, "only {n} IMAP inputs: is the corpus there?");
}
