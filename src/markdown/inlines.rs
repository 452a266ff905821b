//! Inline content of a paragraph or heading (CommonMark §6): code spans, emphasis by the
//! delimiter-run algorithm (§6.2, "process emphasis"), links with their bracket stack,
//! autolinks, escapes, character references and line breaks.
//!
//! The text is read once, left to right, into a flat list of items; emphasis is then
//! resolved on a linked list of delimiter runs and recorded on the runs themselves, so
//! nothing is moved or inserted in the middle of a list. The tree is built at the end,
//! with a cap on its depth. Every search that could be repeated (the closer of a code
//! span, the end of an HTML comment) remembers its failures, so a hostile text costs
//! about linear time.

use mailroom_core::vecmap::VecMap;

use super::scan;
use super::{El, Node, safe_url};

/// How deeply links and emphasis may nest inside a paragraph. Deeper emphasis keeps its
/// text but loses its formatting; no lesson comes close (they nest two levels at most).
pub(super) const MAX_INLINE_NESTING: usize = 32;

enum Item {
    Text(String),
    /// A run of `*` or `_`: `count` of its characters still show as text. Emphasis that
    /// it closes ends before them, emphasis that it opens starts after them.
    Delim {
        ch: u8,
        count: usize,
        closes: Vec<El>,
        opens: Vec<El>,
    },
    Code(String),
    Break,
    /// The start of a link (`Some(href)`), or of a link's text shown without the link
    /// (`None`: an image's description, or a link to a scheme that is not allowed).
    Open(Option<String>),
    Close,
}

/// A delimiter run that may still open or close emphasis; a doubly linked list in
/// source order (indices only grow).
struct Delim {
    item: usize,
    ch: u8,
    /// The length of the whole run as written (for the "multiple of 3" rule).
    orig: usize,
    can_open: bool,
    can_close: bool,
    prev: Option<usize>,
    next: Option<usize>,
}

/// An open `[` or `![`.
struct Bracket {
    item: usize,
    image: bool,
    /// The last delimiter run before it: emphasis inside the link is resolved above it.
    delim_bottom: Option<usize>,
    /// Where the link text starts in the source (for reference labels).
    text_start: usize,
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    items: Vec<Item>,
    text: String,
    delims: Vec<Delim>,
    last_delim: Option<usize>,
    brackets: Vec<Bracket>,
    /// `[` openers below this index of `brackets` are inactive: a link may not contain
    /// a link (images may).
    link_floor: usize,
    definitions: &'a VecMap<String, String>,
    /// Lengths of backtick runs that have no closer further on (a few at most: a text of
    /// n bytes holds fewer than sqrt(2n) different lengths).
    code_failed: Vec<usize>,
    html: scan::HtmlMemo,
}

/// The lines of a paragraph without the spaces and line end after the last one.
pub(super) fn trim_paragraph(s: &str) -> &str {
    s.trim_end_matches(|c| c == '\n' || c == '\r' || LINE_SPACE.contains(&c))
}

/// Parses the inline content `s` (the lines of a paragraph, see [`trim_paragraph`], or a
/// heading's text).
pub(super) fn parse(s: &str, definitions: &VecMap<String, String>) -> Vec<Node> {
    let mut p = Parser {
        s,
        b: s.as_bytes(),
        pos: 0,
        items: Vec::new(),
        text: String::new(),
        delims: Vec::new(),
        last_delim: None,
        brackets: Vec::new(),
        link_floor: 0,
        definitions,
        code_failed: Vec::new(),
        html: scan::HtmlMemo::default(),
    };
    while p.pos < p.b.len() {
        match p.b[p.pos] {
            b'\n' | b'\r' => p.line_end(false),
            b'\\' => p.backslash(),
            b'`' => p.code_span(),
            c @ (b'*' | b'_') => p.delimiter_run(c),
            b'[' => p.open_bracket(false),
            b'!' if p.b.get(p.pos + 1) == Some(&b'[') => p.open_bracket(true),
            b']' => p.close_bracket(),
            b'<' => p.angle(),
            b'&' => p.entity(),
            _ => p.plain(),
        }
    }
    p.process_emphasis(None);
    p.flush();
    build(p.items)
}

/// Spaces that end a line without showing (and two of which make a hard break).
const LINE_SPACE: [char; 4] = [' ', '\t', '\u{B}', '\u{C}'];

fn is_special(c: u8) -> bool {
    matches!(c, b'\n' | b'\r' | b'\\' | b'`' | b'*' | b'_' | b'[' | b'!' | b']' | b'<' | b'&')
}

impl Parser<'_> {
    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.items.push(Item::Text(std::mem::take(&mut self.text)));
        }
    }

    fn push(&mut self, item: Item) {
        self.flush();
        self.items.push(item);
    }

    /// Ordinary characters up to the next one that may mean something. Spaces at the end
    /// of a line are dropped (two of them made a hard break, decided at the line end).
    fn plain(&mut self) {
        let start = self.pos;
        self.pos += 1;
        while self.pos < self.b.len() && !is_special(self.b[self.pos]) {
            self.pos += 1;
        }
        let mut run = &self.s[start..self.pos];
        if matches!(self.b.get(self.pos), Some(b'\n' | b'\r')) {
            run = run.trim_end_matches(LINE_SPACE);
        }
        self.text.push_str(run);
    }

    /// A line end: a hard break after two spaces or tabs (as pulldown-cmark counts them)
    /// or after a backslash, else a space. Spaces at the start of the next line are
    /// dropped.
    fn line_end(&mut self, hard: bool) {
        let at = self.pos;
        let spaces = self.b[..at].iter().rev().take_while(|&&c| LINE_SPACE.contains(&(c as char))).count();
        let hard = hard || spaces >= 2;
        self.pos += if self.s[at..].starts_with("\r\n") { 2 } else { 1 };
        while matches!(self.b.get(self.pos), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        if hard {
            self.push(Item::Break);
        } else {
            self.text.push(' ');
        }
    }

    fn backslash(&mut self) {
        match self.b.get(self.pos + 1) {
            Some(b'\n' | b'\r') => {
                self.pos += 1;
                self.line_end(true);
            }
            Some(&c) if c.is_ascii_punctuation() => {
                self.text.push(c as char);
                self.pos += 2;
            }
            _ => {
                self.text.push('\\');
                self.pos += 1;
            }
        }
    }

    /// A code span: a run of backticks up to the next run of the same length.
    fn code_span(&mut self) {
        let start = self.pos;
        let n = self.b[start..].iter().take_while(|&&c| c == b'`').count();
        let after = start + n;
        self.pos = after;
        if !self.code_failed.contains(&n) {
            let mut j = after;
            while let Some(k) = self.b[j..].iter().position(|&c| c == b'`').map(|k| j + k) {
                let m = self.b[k..].iter().take_while(|&&c| c == b'`').count();
                if m == n {
                    let content: String = self.s[after..k]
                        .chars()
                        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                        .collect();
                    let content = if content.len() >= 2
                        && content.starts_with(' ')
                        && content.ends_with(' ')
                        && !content.bytes().all(|c| c == b' ')
                    {
                        content[1..content.len() - 1].to_string()
                    } else {
                        content
                    };
                    self.push(Item::Code(content));
                    self.pos = k + m;
                    return;
                }
                j = k + m;
            }
            self.code_failed.push(n);
        }
        self.text.push_str(&self.s[start..after]);
    }

    /// A run of `*` or `_`, and whether it can open or close emphasis (left- and
    /// right-flanking, CommonMark §6.2). The start and end of the text count as
    /// whitespace.
    fn delimiter_run(&mut self, ch: u8) {
        let start = self.pos;
        let n = self.b[start..].iter().take_while(|&&c| c == ch).count();
        self.pos += n;
        let prev = self.s[..start].chars().next_back();
        let next = self.s[self.pos..].chars().next();
        let space = |c: Option<char>| c.is_none_or(char::is_whitespace);
        let punct = |c: Option<char>| c.is_some_and(scan::is_punct);
        let can_open = !space(next) && ((ch == b'*' && !punct(next)) || space(prev) || punct(prev));
        let can_close = !space(prev) && ((ch == b'*' && !punct(prev)) || space(next) || punct(next));
        self.push(Item::Delim { ch, count: n, closes: Vec::new(), opens: Vec::new() });
        if can_open || can_close {
            let id = self.delims.len();
            self.delims.push(Delim {
                item: self.items.len() - 1,
                ch,
                orig: n,
                can_open,
                can_close,
                prev: self.last_delim,
                next: None,
            });
            if let Some(last) = self.last_delim {
                self.delims[last].next = Some(id);
            }
            self.last_delim = Some(id);
        }
    }

    fn open_bracket(&mut self, image: bool) {
        let len = if image { 2 } else { 1 };
        self.push(Item::Text(if image { "![" } else { "[" }.to_string()));
        self.brackets.push(Bracket {
            item: self.items.len() - 1,
            image,
            delim_bottom: self.last_delim,
            text_start: self.pos + len,
        });
        self.pos += len;
    }

    fn pop_bracket(&mut self) {
        self.brackets.pop();
        self.link_floor = self.link_floor.min(self.brackets.len());
    }

    /// `]`: a link or image if an opener is waiting and a destination follows
    /// (`(url "title")`, or a reference to a definition); otherwise text.
    fn close_bracket(&mut self) {
        let close = self.pos;
        self.pos += 1;
        let Some(top) = self.brackets.last() else {
            self.text.push(']');
            return;
        };
        if !top.image && self.brackets.len() - 1 < self.link_floor {
            self.pop_bracket();
            self.text.push(']');
            return;
        }
        let found = self.inline_link(self.pos).or_else(|| self.reference(top.text_start, close));
        let Some((dest, end)) = found else {
            self.pop_bracket();
            self.text.push(']');
            return;
        };
        let top = self.brackets.last().expect("checked above");
        let (image, item, bottom) = (top.image, top.item, top.delim_bottom);
        self.flush();
        self.process_emphasis(bottom);
        let href = (!image && safe_url(&dest)).then(|| dest.trim().to_string());
        self.items[item] = Item::Open(href);
        self.items.push(Item::Close);
        self.pop_bracket();
        if !image {
            self.link_floor = self.brackets.len();
        }
        self.pos = end;
    }

    /// `(destination "title")` at `i`: the destination (escapes resolved) and the index
    /// past `)`.
    fn inline_link(&self, i: usize) -> Option<(String, usize)> {
        let b = self.b;
        if b.get(i) != Some(&b'(') {
            return None;
        }
        let j = scan::skip_spnl(b, i + 1);
        let (dest, after_dest) =
            if b.get(j) == Some(&b')') { ("", j) } else { scan::link_destination(self.s, j)? };
        let k = scan::skip_spnl(b, after_dest);
        let k = match scan::link_title(self.s, k) {
            Some((_, after_title)) if k > after_dest => scan::skip_spnl(b, after_title),
            _ => k,
        };
        (b.get(k) == Some(&b')')).then(|| (scan::unescape(dest), k + 1))
    }

    /// A reference link: `[text][label]`, `[label][]` or `[label]`, when the label is
    /// defined. Returns the destination and the index past the reference.
    fn reference(&self, text_start: usize, close: usize) -> Option<(String, usize)> {
        if self.definitions.is_empty() {
            return None;
        }
        let after = close + 1;
        let (label, end) = if self.s[after..].starts_with("[]") {
            (&self.s[text_start..close], after + 2)
        } else if let Some((label, end)) = scan::link_label(self.s, after) {
            (label, end)
        } else {
            (&self.s[text_start..close], after)
        };
        if label.len() > 999 {
            return None;
        }
        self.definitions.get(&scan::normalize_label(label)).map(|dest| (dest.clone(), end))
    }

    /// `<`: an autolink, raw HTML (shown as its text), or a plain `<`.
    fn angle(&mut self) {
        let i = self.pos;
        let link =
            scan::uri_autolink(self.s, i).map(|(uri, end)| (uri.to_string(), uri, end)).or_else(|| {
                scan::email_autolink(self.s, i).map(|(email, end)| (format!("mailto:{email}"), email, end))
            });
        if let Some((dest, text, end)) = link {
            let href = safe_url(&dest).then(|| dest.trim().to_string());
            self.push(Item::Open(href));
            self.text.push_str(text);
            self.push(Item::Close);
            self.pos = end;
        } else if let Some(end) = scan::inline_html(self.b, i, &mut self.html) {
            self.text.push_str(&self.s[i..end]);
            self.pos = end;
        } else {
            self.text.push('<');
            self.pos += 1;
        }
    }

    fn entity(&mut self) {
        if let Some((text, end)) = scan::entity(self.b, self.pos) {
            self.text.push_str(&text);
            self.pos = end;
        } else {
            self.text.push('&');
            self.pos += 1;
        }
    }

    fn count(&mut self, delim: usize) -> &mut usize {
        match &mut self.items[self.delims[delim].item] {
            Item::Delim { count, .. } => count,
            _ => unreachable!("a delimiter points at its run"),
        }
    }

    fn unlink(&mut self, d: usize) {
        let (prev, next) = (self.delims[d].prev, self.delims[d].next);
        if let Some(p) = prev {
            self.delims[p].next = next;
        }
        match next {
            Some(n) => self.delims[n].prev = prev,
            None => self.last_delim = prev,
        }
    }

    /// CommonMark's "process emphasis" over the runs above `bottom`: each closer, left
    /// to right, takes the nearest matching opener. `openers_bottom` remembers, per kind
    /// of closer, below which run no opener can be found, which keeps it linear.
    fn process_emphasis(&mut self, bottom: Option<usize>) {
        let above = |d: usize, floor: Option<usize>| floor.is_none_or(|f| d > f);
        let mut first = None;
        let mut d = self.last_delim;
        while let Some(i) = d.filter(|&i| above(i, bottom)) {
            first = Some(i);
            d = self.delims[i].prev;
        }
        // Indexed by the closer's character, whether it can also open, and its length
        // modulo 3.
        let mut openers_bottom = [[bottom; 6]; 2];
        let mut current = first;
        while let Some(c) = current {
            let closer = &self.delims[c];
            if !closer.can_close {
                current = closer.next;
                continue;
            }
            let class =
                (usize::from(closer.ch == b'_'), closer.orig % 3 + if closer.can_open { 3 } else { 0 });
            let floor = openers_bottom[class.0][class.1];
            let mut candidate = closer.prev;
            let mut opener = None;
            while let Some(o) = candidate.filter(|&o| above(o, floor)) {
                let op = &self.delims[o];
                if op.ch == closer.ch && op.can_open {
                    let odd = (op.can_close || closer.can_open)
                        && (op.orig + closer.orig).is_multiple_of(3)
                        && !(op.orig.is_multiple_of(3) && closer.orig.is_multiple_of(3));
                    if !odd {
                        opener = Some(o);
                        break;
                    }
                }
                candidate = op.prev;
            }
            let Some(o) = opener else {
                openers_bottom[class.0][class.1] = closer.prev;
                let next = closer.next;
                if !closer.can_open {
                    self.unlink(c);
                }
                current = next;
                continue;
            };
            let n = if *self.count(o) >= 2 && *self.count(c) >= 2 { 2 } else { 1 };
            let el = if n == 2 { El::Strong } else { El::Emphasis };
            *self.count(o) -= n;
            *self.count(c) -= n;
            if let Item::Delim { opens, .. } = &mut self.items[self.delims[o].item] {
                opens.push(el);
            }
            if let Item::Delim { closes, .. } = &mut self.items[self.delims[c].item] {
                closes.push(el);
            }
            // Runs between the two can no longer match anything.
            self.delims[o].next = Some(c);
            self.delims[c].prev = Some(o);
            if *self.count(o) == 0 {
                self.unlink(o);
            }
            if *self.count(c) == 0 {
                let next = self.delims[c].next;
                self.unlink(c);
                current = next;
            }
        }
        // Runs above the bottom are done with.
        match bottom {
            Some(b) => {
                self.delims[b].next = None;
                self.last_delim = Some(b);
            }
            None => self.last_delim = None,
        }
    }
}

/// Adds `node` to `children`, joining adjacent text.
pub(super) fn push_node(children: &mut Vec<Node>, node: Node) {
    if let (Node::Text(new), Some(Node::Text(prev))) = (&node, children.last_mut()) {
        prev.push_str(new);
        return;
    }
    if matches!(&node, Node::Text(t) if t.is_empty()) {
        return;
    }
    children.push(node);
}

/// An element being built: `None` shows its children without an element (link text
/// without its link, or formatting nested past [`MAX_INLINE_NESTING`]).
type Frame = (Option<(El, Option<String>)>, Vec<Node>);

fn open(stack: &mut Vec<Frame>, el: Option<(El, Option<String>)>) {
    let el = if stack.len() > MAX_INLINE_NESTING { None } else { el };
    stack.push((el, Vec::new()));
}

fn close(stack: &mut Vec<Frame>) {
    if stack.len() < 2 {
        return;
    }
    let (el, children) = stack.pop().expect("checked above");
    let parent = &mut stack.last_mut().expect("the root stays").1;
    match el {
        Some((el, href)) => parent.push(Node::Element { el, href, children }),
        None => children.into_iter().for_each(|c| push_node(parent, c)),
    }
}

fn build(items: Vec<Item>) -> Vec<Node> {
    let mut stack: Vec<Frame> = vec![(None, Vec::new())];
    let leaf =
        |stack: &mut Vec<Frame>, node| push_node(&mut stack.last_mut().expect("the root stays").1, node);
    for item in items {
        match item {
            Item::Text(t) => leaf(&mut stack, Node::Text(t)),
            Item::Code(t) => {
                leaf(&mut stack, Node::Element { el: El::Code, href: None, children: vec![Node::Text(t)] })
            }
            Item::Break => leaf(&mut stack, Node::Element { el: El::Break, href: None, children: vec![] }),
            Item::Open(href) => open(&mut stack, href.map(|h| (El::Link, Some(h)))),
            Item::Close => close(&mut stack),
            Item::Delim { ch, count, closes, opens } => {
                for _ in closes {
                    close(&mut stack);
                }
                if count > 0 {
                    leaf(&mut stack, Node::Text((ch as char).to_string().repeat(count)));
                }
                for el in opens.into_iter().rev() {
                    open(&mut stack, Some((el, None)));
                }
            }
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    stack.pop().map(|(_, children)| children).unwrap_or_default()
}
