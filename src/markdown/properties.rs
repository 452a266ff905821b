//! Properties of the parser on any text at all: it never panics, every link it makes has
//! an allowed URL, and its tree stays shallow. Native only (proptest).

use proptest::prelude::*;

use super::blocks::MAX_BLOCK_NESTING;
use super::inlines::MAX_INLINE_NESTING;
use super::{El, Node, parse, plain_text, safe_url};

/// The deepest a tree can be: a list and an item per level of block nesting, a leaf
/// block, the inline elements, and a text.
pub(super) const MAX_DEPTH: usize = 2 * MAX_BLOCK_NESTING + 1 + MAX_INLINE_NESTING + 1;

pub(super) fn depth(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text(_) => 1,
            Node::Element { children, .. } => 1 + depth(children),
        })
        .max()
        .unwrap_or(0)
}

/// Every link in `nodes` has an allowed URL, and nothing else has one.
fn links_are_safe(nodes: &[Node]) -> Result<(), String> {
    for node in nodes {
        if let Node::Element { el, href, children } = node {
            match (el, href) {
                (El::Link, Some(url)) if safe_url(url) => {}
                (El::Link, _) => return Err(format!("a link to {href:?}")),
                (_, Some(url)) => return Err(format!("{el:?} with a URL {url:?}")),
                (_, None) => {}
            }
            links_are_safe(children)?;
        }
    }
    Ok(())
}

/// Text made mostly of the characters that mean something in Markdown.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(
            &[
                "*",
                "_",
                "[",
                "]",
                "(",
                ")",
                "<",
                ">",
                "`",
                "\\",
                "&",
                "#",
                "!",
                "-",
                "+",
                "1.",
                "\n",
                "\r\n",
                "\r",
                " ",
                "  ",
                "\t",
                "a",
                "é",
                "📬",
                ":",
                "\"",
                "'",
                "~",
                "|",
                "=",
                "\0",
                "http://",
                "https://x.example",
                "javascript:",
                "mailto:a@b.c",
                "&amp;",
                "&#x",
                ";",
                "<!--",
                "-->",
                "```",
                "    ",
                "> ",
                "- ",
                "<a href='",
            ][..]
        )
        .prop_map(str::to_string),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..120).prop_map(|pieces| pieces.concat())
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let nodes = parse(text);
    links_are_safe(&nodes).map_err(|e| TestCaseError::fail(format!("{e} in {text:?}")))?;
    prop_assert!(depth(&nodes) <= MAX_DEPTH, "depth {} for {:?}", depth(&nodes), text);
    let _ = plain_text(&nodes);
    Ok(())
}

/// 1,000 cases (a few seconds in debug mode), or `PROPTEST_CASES` for a longer soak (the
/// parser was held against a million and more). Nothing is written to disk: a failure
/// prints the smallest case.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_parses_into_safe_links(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn markdownish_text_parses_into_safe_links(text in markdownish()) {
        check(&text)?;
    }
}
