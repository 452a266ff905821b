//! The engine's checks of the sizes a client announces, on the 32-bit target the app runs
//! on (wasm32, where a `usize` has 32 bits and `n as usize` keeps only the low bits of a
//! u64). The same cases run natively in `core/src/imap/command/tests.rs`, where a `usize`
//! is 64 bits and a cut could not show.
//!
//! `cargo test -p mailroom --target wasm32-unknown-unknown --features imap --test wasm32_limits`
#![cfg(all(target_arch = "wasm32", feature = "imap"))]

use mailroom_core::imap::command::{Frame, Framer, Refusal};
use wasm_bindgen_test::*;

fn frames(input: &[u8]) -> Vec<Frame> {
    let mut f = Framer::default();
    let mut input = input;
    let mut out = Vec::new();
    while let Some(fr) = f.next(&mut input, true) {
        out.push(fr);
    }
    out
}

/// `{4294967301}` is 2^32 + 5: cut to 32 bits it would be a 5-octet literal, taken with
/// a `+`, and the next command's octets read as its message.
#[wasm_bindgen_test]
fn a_literal_size_over_32_bits_is_not_cut() {
    assert_eq!(usize::BITS, 32, "this test is about a 32-bit usize");
    let refused = |why| Frame::Refused { tag: Some("a".into()), why };
    let noop = Frame::Command(b"b NOOP\r\n".to_vec());
    assert_eq!(
        frames(b"a APPEND INBOX {4294967301}\r\nb NOOP\r\n"),
        [refused(Refusal::LiteralTooBig), noop.clone()]
    );
    assert_eq!(frames(b"a LOGIN {4294967297}\r\nb NOOP\r\n"), [refused(Refusal::LiteralTooBig), noop]);
    // A non-synchronising one comes anyway: all its octets are skipped, none is a command.
    assert_eq!(
        frames(b"a APPEND INBOX {4294967301+}\r\nhello\r\nb NOOP\r\n"),
        [refused(Refusal::NonSyncTooBig)]
    );
}
