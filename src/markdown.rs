//! Lesson narration is untrusted Markdown: it is turned into DOM nodes, never into an
//! HTML string. Raw HTML shows as the text it is, links keep only `http`, `https` and
//! `mailto` targets (anything else becomes plain text), and images show their alt text.
//!
//! [`parse`] builds a small tree of allowed elements (tested natively); [`render`] turns
//! that tree into Yew nodes.
//!
//! The parser is our own, for the part of CommonMark 0.31 that narration uses: the
//! pulldown-cmark crate did the job well but cost 64 KB gzipped, a fifth of the page's
//! size budget. Within that part ours gives exactly the tree that pulldown-cmark
//! (`Parser::new`, no extensions) gives, which the tests check on every lesson, on the
//! examples in `lessons/README.md`, on a table of cases and on generated documents
//! (`markdown/differential.rs`, where pulldown-cmark stays as the oracle). Where
//! pulldown-cmark departs from CommonMark we follow it (tight and loose lists, tabs,
//! what a code span keeps of a line's indentation), except for a few bugs listed there.
//! It works in cmark's two phases: the block structure line by line ([`blocks`]), then
//! the inline content of each paragraph and heading ([`inlines`]).
//!
//! Supported: paragraphs, ATX and setext headings, block quotes, bullet and ordered lists
//! (nested, tight and loose), fenced and indented code, thematic breaks, HTML blocks
//! (as text), emphasis and strong emphasis with `*` and `_`, code spans, backslash
//! escapes, hard and soft line breaks, inline and reference links, images (their
//! description), autolinks, inline HTML (as text), and numeric character references.
//!
//! Left out, on purpose (each shows as plain text, or as told here):
//! - named character references other than the common ones in [`scan::ENTITIES`]
//!   (`&hearts;` stays `&hearts;`; pulldown-cmark knows all 2,125 HTML ones);
//! - for the emphasis rules, punctuation outside the Unicode blocks of
//!   `scan::PUNCT_RANGES` counts as a letter;
//! - reference labels ignore the case of ASCII letters only (`[Ärger]` does not find
//!   `[ärger]: ...`);
//! - extensions that `Parser::new` leaves off too: tables, strikethrough, task lists,
//!   footnotes, math, heading attributes, smart punctuation;
//! - nesting deeper than [`blocks::MAX_BLOCK_NESTING`] block quotes and list items, or
//!   [`inlines::MAX_INLINE_NESTING`] links and emphasis: the markers past it show as
//!   text (block) or lose their formatting (inline). This bounds the tree's depth and
//!   keeps the parser about linear on any input.

use yew::prelude::*;

use crate::components::icons;
use crate::present::LineEnd;

mod blocks;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod differential;
mod inlines;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties;
mod scan;

/// The elements narration may produce. Nothing else can be expressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum El {
    Paragraph,
    /// Headings inside a step are demoted: the step title is already a heading.
    Heading3,
    Heading4,
    BlockQuote,
    CodeBlock,
    List,
    OrderedList,
    Item,
    Emphasis,
    Strong,
    Strikethrough,
    Code,
    Link,
    Rule,
    Break,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Text(String),
    Element {
        el: El,
        /// Only for [`El::Link`], and only an allowed URL.
        href: Option<String>,
        children: Vec<Node>,
    },
}

/// True for the URL schemes a lesson may link to.
pub fn safe_url(url: &str) -> bool {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        && !url.chars().any(|c| c.is_control())
}

/// Parses `markdown` into the tree of allowed nodes.
pub fn parse(markdown: &str) -> Vec<Node> {
    let doc = blocks::parse(markdown);
    let mut out = Vec::new();
    convert(&doc, 0, false, &mut out);
    out
}

/// The children of block `id` as nodes. In a tight list (`tight`), an item's paragraphs
/// give their inline content without a paragraph around it.
fn convert(doc: &blocks::Document, id: usize, tight: bool, out: &mut Vec<Node>) {
    use blocks::Kind;
    let element = |el: El, children: Vec<Node>| Node::Element { el, href: None, children };
    for &child in &doc.blocks[id].children {
        let block = &doc.blocks[child];
        let node = match block.kind {
            Kind::Paragraph => {
                let inline = inlines::parse(inlines::trim_paragraph(&block.content), &doc.definitions);
                if tight {
                    inline.into_iter().for_each(|n| inlines::push_node(out, n));
                    continue;
                }
                element(El::Paragraph, inline)
            }
            Kind::Heading { level } => element(
                if level <= 2 { El::Heading3 } else { El::Heading4 },
                inlines::parse(&block.content, &doc.definitions),
            ),
            Kind::Code { .. } => element(El::CodeBlock, text_child(&block.content)),
            // A raw HTML block shows as the text it is, in a paragraph of its own.
            Kind::Html { .. } => element(El::Paragraph, text_child(&block.content)),
            Kind::Rule => element(El::Rule, vec![]),
            Kind::BlockQuote => {
                let mut children = Vec::new();
                convert(doc, child, false, &mut children);
                element(El::BlockQuote, children)
            }
            Kind::List { ordered, tight, .. } => {
                let mut items = Vec::new();
                for &item in &block.children {
                    let mut children = Vec::new();
                    convert(doc, item, tight, &mut children);
                    items.push(element(El::Item, children));
                }
                element(if ordered { El::OrderedList } else { El::List }, items)
            }
            Kind::Definitions | Kind::Item { .. } | Kind::Document => continue,
        };
        inlines::push_node(out, node);
    }
}

fn text_child(text: &str) -> Vec<Node> {
    if text.is_empty() { vec![] } else { vec![Node::Text(text.to_string())] }
}

/// Text, with the control pictures ␍ and ␊ drawn by the app (many fonts lack them).
fn render_text(text: &str) -> Html {
    if !text.contains(['\u{240D}', '\u{240A}']) {
        return html! { { text.to_string() } };
    }
    let mut out: Vec<Html> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['\u{240D}', '\u{240A}']) {
        out.push(html! { { rest[..at].to_string() } });
        let after = &rest[at..];
        let (end, len) = if after.starts_with("\u{240D}\u{240A}") {
            (LineEnd::CrLf, 6)
        } else if after.starts_with('\u{240D}') {
            (LineEnd::Cr, 3)
        } else {
            (LineEnd::Lf, 3)
        };
        out.push(icons::line_end(end, "eol-inline"));
        rest = &rest[at + len..];
    }
    out.push(html! { { rest.to_string() } });
    out.into_iter().collect()
}

/// The longest code span kept on one line, in characters.
const LONG_CODE: usize = 32;

/// The characters of the text under `nodes`.
fn text_len(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text(t) => t.chars().count(),
            Node::Element { children, .. } => text_len(children),
        })
        .sum()
}

fn render_node(node: &Node) -> Html {
    match node {
        Node::Text(t) => render_text(t),
        Node::Element { el, href, children } => {
            let inner: Html = children.iter().map(render_node).collect();
            match el {
                El::Paragraph => html! { <p>{ inner }</p> },
                El::Heading3 => html! { <h3>{ inner }</h3> },
                El::Heading4 => html! { <h4>{ inner }</h4> },
                El::BlockQuote => html! { <blockquote>{ inner }</blockquote> },
                El::CodeBlock => html! { <pre><code>{ inner }</code></pre> },
                El::List => html! { <ul>{ inner }</ul> },
                El::OrderedList => html! { <ol>{ inner }</ol> },
                El::Item => html! { <li>{ inner }</li> },
                El::Emphasis => html! { <em>{ inner }</em> },
                El::Strong => html! { <strong>{ inner }</strong> },
                El::Strikethrough => html! { <del>{ inner }</del> },
                // A short span is kept on one line; a long one (a teacher's DKIM value, an
                // address of 40 letters) may break, or it ran off the card.
                El::Code if text_len(children) > LONG_CODE => html! { <code class="long">{ inner }</code> },
                El::Code => html! { <code>{ inner }</code> },
                El::Link => html! {
                    <a href={href.clone().unwrap_or_default()} target="_blank" rel="noopener noreferrer">{ inner }</a>
                },
                El::Rule => html! { <hr /> },
                El::Break => html! { <br /> },
            }
        }
    }
}

/// Renders parsed narration.
pub fn render(nodes: &[Node]) -> Html {
    nodes.iter().map(render_node).collect()
}

/// The narration as plain text, blocks separated by a space (for the live region).
pub fn plain_text(nodes: &[Node]) -> String {
    fn walk(nodes: &[Node], out: &mut String) {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element { el, children, .. } => {
                    walk(children, out);
                    if !matches!(el, El::Emphasis | El::Strong | El::Strikethrough | El::Code | El::Link) {
                        out.push(' ');
                    }
                }
            }
        }
    }
    let mut out = String::new();
    walk(nodes, &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: &[Node]) -> String {
        n.iter()
            .map(|n| match n {
                Node::Text(t) => t.clone(),
                Node::Element { children, .. } => text(children),
            })
            .collect()
    }

    fn links(n: &[Node]) -> Vec<String> {
        let mut out = Vec::new();
        for node in n {
            if let Node::Element { el, href, children } = node {
                if *el == El::Link {
                    out.push(href.clone().expect("links have a href"));
                }
                out.extend(links(children));
            }
        }
        out
    }

    #[test]
    fn plain_text_joins_blocks() {
        let n = parse("Hello *there*, see `MAIL`.\n\n- one\n- two");
        assert_eq!(plain_text(&n), "Hello there, see MAIL. one two");
    }

    #[test]
    fn renders_basic_markdown() {
        let n = parse("Hello *there* and **you**, see `MAIL FROM`.\n\n- one\n- two");
        assert_eq!(n.len(), 2);
        let Node::Element { el: El::Paragraph, children, .. } = &n[0] else { panic!("{n:?}") };
        assert!(children.iter().any(|c| matches!(c, Node::Element { el: El::Emphasis, .. })));
        assert!(children.iter().any(|c| matches!(c, Node::Element { el: El::Code, .. })));
        assert!(matches!(&n[1], Node::Element { el: El::List, children, .. } if children.len() == 2));
    }

    #[test]
    fn a_long_code_span_is_told_from_a_short_one() {
        let code = |md: &str| {
            let n = parse(md);
            let Node::Element { children, .. } = &n[0] else { panic!("{n:?}") };
            children.iter().find_map(|c| match c {
                Node::Element { el: El::Code, children, .. } => Some(text_len(children)),
                _ => None,
            })
        };
        assert_eq!(code("See `MAIL FROM:<alice@example.org>`."), Some(29));
        assert!(code("See `MAIL FROM:<alice@example.org>`.").unwrap() <= LONG_CODE, "a command stays whole");
        let dkim = "See `b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==`.";
        assert!(code(dkim).unwrap() > LONG_CODE, "a signature may break");
    }

    #[test]
    fn raw_html_is_text() {
        for md in [
            "<script>alert(1)</script>",
            "Hi <script>alert(1)</script> there",
            "<img src=x onerror=alert(1)>",
            "text <img src=x onerror=alert(1)> more",
            "<iframe src=\"https://evil.example\"></iframe>",
        ] {
            let n = parse(md);
            assert!(text(&n).contains('<'), "{md}: the tag shows as text: {n:?}");
            assert!(links(&n).is_empty());
        }
        assert_eq!(text(&parse("<script>alert(1)</script>")).trim(), "<script>alert(1)</script>");
    }

    #[test]
    fn only_safe_links_are_links() {
        let n = parse(
            "[x](javascript:alert(1)) [y](JAVASCRIPT:alert(1)) [z]( data:text/html,hi ) [w](vbscript:x)",
        );
        assert!(links(&n).is_empty(), "{n:?}");
        assert!(text(&n).contains('x') && text(&n).contains('y'));
        let n = parse(
            "[rfc](https://www.rfc-editor.org/rfc/rfc5321) [m](mailto:bob@example.net) [h](HTTP://example.org) [rel](/local)",
        );
        assert_eq!(
            links(&n),
            ["https://www.rfc-editor.org/rfc/rfc5321", "mailto:bob@example.net", "HTTP://example.org"]
        );
        assert!(text(&n).contains("rel"));
        let n = parse("<javascript:alert(1)> <https://example.org>");
        assert_eq!(links(&n), ["https://example.org"]);
        let n = parse("Write to <bob@example.net>.");
        assert_eq!(links(&n), ["mailto:bob@example.net"]);
    }

    #[test]
    fn images_become_their_alt_text() {
        let n = parse("![a diagram](https://example.org/x.png) ![x](javascript:alert(1))");
        assert!(links(&n).is_empty());
        assert_eq!(text(&n).trim(), "a diagram x");
    }

    #[test]
    fn headings_are_demoted() {
        let n = parse("# Big\n### Small");
        assert!(matches!(n[0], Node::Element { el: El::Heading3, .. }));
        assert!(matches!(n[1], Node::Element { el: El::Heading4, .. }));
    }

    fn depth(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text(_) => 1,
                Node::Element { children, .. } => 1 + depth(children),
            })
            .max()
            .unwrap_or(0)
    }

    /// 100 KB of what a hostile lesson could hold: no panic, no deep tree, and (watch the
    /// test's time) nothing quadratic.
    #[test]
    fn hostile_input_is_parsed_quickly_into_a_shallow_tree() {
        const SIZE: usize = 100 * 1024;
        let repeat = |s: &str| s.repeat(SIZE / s.len());
        let mut backticks = String::new();
        for n in 1.. {
            if backticks.len() >= SIZE {
                break;
            }
            backticks.push_str(&"`".repeat(n));
            backticks.push('x');
        }
        let nested_lists: String = (0..SIZE / 100).map(|i| format!("{}- x\n", " ".repeat(i % 100))).collect();
        let inputs = [
            repeat("["),
            repeat("]"),
            repeat("[]("),
            repeat("[a]("),
            format!("{}{}", repeat("["), repeat("]")),
            format!("{}{}", "![".repeat(SIZE / 8), "[a](https://example.org)".repeat(SIZE / 48)),
            format!("[a]: https://example.org\n\n{}", repeat("[a]")),
            repeat("*"),
            repeat("*a"),
            repeat("**a*_"),
            repeat("_a_b"),
            repeat(">"),
            repeat("> "),
            repeat(">\n"),
            repeat("- "),
            repeat("1. "),
            nested_lists,
            backticks,
            repeat("` ``"),
            repeat("<"),
            repeat("<!--"),
            repeat("<a b='"),
            repeat("<https:"),
            repeat("&#"),
            repeat("\\"),
            repeat("x  \n"),
            repeat("[a]: b\n"),
            repeat("```\n"),
            repeat("<div>\n\n"),
        ];
        for input in &inputs {
            let nodes = parse(input);
            assert!(depth(&nodes) <= 2 * blocks::MAX_BLOCK_NESTING + 2 + inlines::MAX_INLINE_NESTING + 1);
            let _ = plain_text(&nodes);
        }
    }

    #[test]
    fn nesting_past_the_limit_shows_as_text() {
        let quotes = ">".repeat(100) + " deep";
        let n = parse(&quotes);
        assert_eq!(depth(&n), blocks::MAX_BLOCK_NESTING + 2);
        assert_eq!(text(&n), ">".repeat(100 - blocks::MAX_BLOCK_NESTING) + " deep");
        let emphasis = "*".repeat(100) + "deep" + &"*".repeat(100);
        let n = parse(&emphasis);
        assert!(depth(&n) <= inlines::MAX_INLINE_NESTING + 2, "{}", depth(&n));
        assert!(text(&n).contains("deep"));
    }

    #[test]
    fn reference_labels_ignore_ascii_case_and_spacing() {
        let n = parse(
            "[Mail  Server]: https://example.org/mx\n[ärger]: https://example.org/a\n\n[mail server] [ÄRGER]",
        );
        assert_eq!(links(&n), ["https://example.org/mx"]);
        assert_eq!(text(&n), "mail server [ÄRGER]");
    }

    #[test]
    fn the_guide_lists_every_named_character() {
        let guide = include_str!("../lessons/README.md");
        for (name, _) in scan::ENTITIES {
            assert!(guide.contains(&format!("&{name};")), "lessons/README.md does not list &{name};");
        }
    }

    #[test]
    fn safe_url_rules() {
        assert!(safe_url("https://example.org"));
        assert!(safe_url(" mailto:a@b"));
        assert!(!safe_url("javascript:alert(1)"));
        assert!(!safe_url("https://example.org/\u{0}x"));
        assert!(!safe_url("//evil.example"));
        assert!(!safe_url(""));
    }
}
