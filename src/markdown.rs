//! Lesson narration is untrusted Markdown: it is turned into DOM nodes, never into an
//! HTML string. Raw HTML shows as the text it is, links keep only `http`, `https` and
//! `mailto` targets (anything else becomes plain text), and images show their alt text.
//!
//! [`parse`] builds a small tree of allowed elements (tested natively); [`render`] turns
//! that tree into Yew nodes.

use pulldown_cmark::{Event, HeadingLevel, LinkType, Parser, Tag};
use yew::prelude::*;

use crate::components::icons;
use crate::present::LineEnd;

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

/// What an open tag becomes.
enum Open {
    /// An element to build.
    El(El, Option<String>),
    /// No element: its children are spliced into the parent (unsafe links, images).
    Transparent,
}

/// Parses `markdown` into the tree of allowed nodes.
pub fn parse(markdown: &str) -> Vec<Node> {
    let mut stack: Vec<(Open, Vec<Node>)> = vec![(Open::Transparent, Vec::new())];
    fn push(stack: &mut [(Open, Vec<Node>)], node: Node) {
        let children = &mut stack.last_mut().expect("the root is never popped").1;
        // Merge adjacent text so raw HTML split into pieces reads as one string.
        if let (Node::Text(new), Some(Node::Text(prev))) = (&node, children.last_mut()) {
            prev.push_str(new);
            return;
        }
        children.push(node);
    }
    for event in Parser::new(markdown) {
        match event {
            Event::Start(tag) => {
                let open = match tag {
                    // A raw HTML block shows as the text it is, in a paragraph of its own.
                    Tag::Paragraph | Tag::HtmlBlock => Open::El(El::Paragraph, None),
                    Tag::Heading { level: HeadingLevel::H1 | HeadingLevel::H2, .. } => {
                        Open::El(El::Heading3, None)
                    }
                    Tag::Heading { .. } => Open::El(El::Heading4, None),
                    Tag::BlockQuote(_) => Open::El(El::BlockQuote, None),
                    Tag::CodeBlock(_) => Open::El(El::CodeBlock, None),
                    Tag::List(Some(_)) => Open::El(El::OrderedList, None),
                    Tag::List(None) => Open::El(El::List, None),
                    Tag::Item => Open::El(El::Item, None),
                    Tag::Emphasis => Open::El(El::Emphasis, None),
                    Tag::Strong => Open::El(El::Strong, None),
                    Tag::Strikethrough => Open::El(El::Strikethrough, None),
                    // `<bob@example.net>` arrives without its scheme.
                    Tag::Link { link_type: LinkType::Email, dest_url, .. }
                        if safe_url(&format!("mailto:{}", dest_url.trim())) =>
                    {
                        Open::El(El::Link, Some(format!("mailto:{}", dest_url.trim())))
                    }
                    Tag::Link { dest_url, .. } if safe_url(&dest_url) => {
                        Open::El(El::Link, Some(dest_url.trim().to_string()))
                    }
                    // Unsafe links become their text; images become their alt text.
                    _ => Open::Transparent,
                };
                stack.push((open, Vec::new()));
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    continue;
                }
                let (open, children) = stack.pop().expect("checked above");
                match open {
                    Open::El(el, href) => push(&mut stack, Node::Element { el, href, children }),
                    Open::Transparent => {
                        for child in children {
                            push(&mut stack, child);
                        }
                    }
                }
            }
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => {
                push(&mut stack, Node::Text(t.into_string()))
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => push(&mut stack, Node::Text(t.into_string())),
            Event::FootnoteReference(t) => push(&mut stack, Node::Text(format!("[{t}]"))),
            Event::Code(t) => push(
                &mut stack,
                Node::Element { el: El::Code, href: None, children: vec![Node::Text(t.into_string())] },
            ),
            Event::SoftBreak => push(&mut stack, Node::Text(" ".into())),
            Event::HardBreak => {
                push(&mut stack, Node::Element { el: El::Break, href: None, children: vec![] })
            }
            Event::Rule => push(&mut stack, Node::Element { el: El::Rule, href: None, children: vec![] }),
            Event::TaskListMarker(done) => {
                push(&mut stack, Node::Text(if done { "[x] " } else { "[ ] " }.into()))
            }
        }
    }
    // Close anything left open (the parser balances its events, but be safe).
    while stack.len() > 1 {
        let (open, children) = stack.pop().expect("len > 1");
        match open {
            Open::El(el, href) => push(&mut stack, Node::Element { el, href, children }),
            Open::Transparent => children.into_iter().for_each(|c| push(&mut stack, c)),
        }
    }
    stack.pop().map(|(_, c)| c).unwrap_or_default()
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
