//! The teachers' tools in a real browser (the full build: feature `teacher`), through
//! wasm-bindgen-test-runner and headless Chromium: a shared link's lesson, deflated by the
//! browser's streams and read back.
//!
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p mailroom --target wasm32-unknown-unknown
//! --features imap,teacher --test browser_teacher`
#![cfg(all(target_arch = "wasm32", feature = "teacher"))]

use mailroom::my_lessons::{share_hash, shared_data, shared_text};
use mailroom_core::lesson::MAX_LESSON_BYTES;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// What a shared link's hash carries, read as the page reads it.
async fn read(hash: &str) -> Result<String, String> {
    shared_text(shared_data(hash).expect("a shared link")).await
}

#[wasm_bindgen_test]
async fn a_shared_link_carries_the_lesson_deflated() {
    let lesson = mailroom_core::lessons::BUILTIN.iter().find(|(id, _)| *id == "sending-an-email").unwrap().1;
    for text in ["---\ntitle: Ünïcode & \"quotes\"\n---\n## A\n@ start\n", lesson, ""] {
        let hash = share_hash(text).await;
        let data = hash.strip_prefix("#/shared/z.").expect("deflated");
        assert!(data.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)), "{hash}");
        assert_eq!(read(&hash).await.as_deref(), Ok(text));
    }
    // A whole lesson: less than half as long as its text in base64 (the links made before).
    let hash = share_hash(lesson).await;
    let undeflated = lesson.len().div_ceil(3) * 4;
    assert!(hash.len() * 2 < undeflated, "{} characters, against {undeflated} undeflated", hash.len());
}

#[wasm_bindgen_test]
async fn links_made_before_deflating_still_read() {
    // `#/shared/` and the text in base64url, without padding.
    assert_eq!(read("#/shared/SGVsbG8sIELDtmI").await.as_deref(), Ok("Hello, Böb"));
}

#[wasm_bindgen_test]
async fn a_broken_or_oversized_link_says_why() {
    let cut = "This link's lesson could not be read: was the link cut short when it was copied?";
    let hash = share_hash(&"A line of a lesson, and another.\n".repeat(200)).await;
    for broken in
        [&hash[..hash.len() - 10], "#/shared/z.", "#/shared/z.%%%", "#/shared/z.AAAA", "#/shared/%%%"]
    {
        assert_eq!(read(broken).await, Err(cut.to_string()), "{broken}");
    }
    // Not UTF-8.
    assert_eq!(read("#/shared/__4").await, Err(cut.to_string()));
    // A lesson's limit, counted as it inflates: one byte over is refused, the limit itself
    // is read (a few hundred bytes of link either way).
    let too_large =
        format!("This link's lesson is larger than a lesson may be ({} KB).", MAX_LESSON_BYTES / 1024);
    let over = share_hash(&" ".repeat(MAX_LESSON_BYTES + 1)).await;
    assert!(over.len() < 2_000, "{}", over.len());
    assert_eq!(read(&over).await, Err(too_large));
    assert_eq!(
        read(&share_hash(&" ".repeat(MAX_LESSON_BYTES)).await).await.map(|t| t.len()),
        Ok(MAX_LESSON_BYTES)
    );
}
