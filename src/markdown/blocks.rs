//! The block structure of narration: CommonMark's two-phase algorithm (§ "Appendix: A
//! parsing strategy"), line by line, as cmark does it: each line first continues the
//! open containers (block quotes, list items, code), then may open new blocks, then is
//! added to the deepest one (or lazily to an open paragraph). Inline content is parsed
//! afterwards ([`super::inlines`]), once every link reference definition is known.

use mailroom_core::lesson::{closing_fence, opening_fence};
use mailroom_core::vecmap::VecMap;

use super::scan::{self, HtmlEnd};

/// How deep block quotes and list items may nest. A `>` or list marker past this depth
/// is text. Lessons use two or three levels; 32 keeps a hostile lesson from building a
/// tree that is expensive to walk on every line or deep enough to exhaust the stack
/// when rendered.
pub(super) const MAX_BLOCK_NESTING: usize = 32;

const TAB_STOP: usize = 4;
/// Indentation that makes a line indented code (CommonMark §4.4).
const CODE_INDENT: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Document,
    BlockQuote,
    /// `marker`: the bullet (`-`, `+`, `*`) or the delimiter after the number (`.`, `)`).
    List {
        ordered: bool,
        marker: u8,
        tight: bool,
    },
    /// `indent`: columns from the line start to the item's content (marker offset plus
    /// marker width plus padding); `blank_start`: nothing followed the marker.
    Item {
        indent: usize,
        blank_start: bool,
    },
    Paragraph,
    /// A paragraph that held only link reference definitions: it shows nothing, but a
    /// blank line after it still makes a list loose (as in pulldown-cmark).
    Definitions,
    Heading {
        level: u8,
    },
    /// `fence`: the fence character, its length and its indentation; `None` for indented
    /// code.
    Code {
        fence: Option<(u8, usize, usize)>,
    },
    Html {
        end: HtmlEnd,
    },
    Rule,
}

#[derive(Debug)]
pub(super) struct Block {
    pub kind: Kind,
    pub children: Vec<usize>,
    /// Text of a leaf: lines of a paragraph with their original line ends; the heading
    /// text; code and HTML lines, each ending in `\n` (CRLF normalised).
    pub content: String,
    parent: usize,
    open: bool,
    last_line_blank: bool,
    start_line: usize,
    /// Block quotes and list items from the document down to here.
    depth: usize,
}

/// A parsed document: blocks (the document is block 0) and its link reference
/// definitions (normalised label to destination; a `VecMap` as in the engine, so the
/// page carries one map type less).
pub(super) struct Document {
    pub blocks: Vec<Block>,
    pub definitions: VecMap<String, String>,
}

/// The state of the line being read, in cmark's terms: `offset` (bytes) and `column`
/// (columns, tabs expanded to the next multiple of 4) of what is consumed so far.
struct Parser<'a> {
    blocks: Vec<Block>,
    definitions: VecMap<String, String>,
    /// The deepest open block.
    tip: usize,
    line: &'a str,
    /// The line end the line had in the text (`""` for a last line without one).
    eol: &'a str,
    line_number: usize,
    offset: usize,
    column: usize,
    first_nonspace: usize,
    first_nonspace_column: usize,
    indent: usize,
    blank: bool,
    partially_consumed_tab: bool,
    /// The current line opened a fenced code block: the rest of it is the info string.
    fence_opened: bool,
    /// The current line opened an HTML block indented by this many columns.
    html_indent: usize,
}

/// Parses the block structure of `text`.
pub(super) fn parse(text: &str) -> Document {
    let mut p = Parser {
        blocks: vec![Block {
            kind: Kind::Document,
            children: Vec::new(),
            content: String::new(),
            parent: 0,
            open: true,
            last_line_blank: false,
            start_line: 1,
            depth: 0,
        }],
        definitions: VecMap::new(),
        tip: 0,
        line: "",
        eol: "",
        line_number: 0,
        offset: 0,
        column: 0,
        first_nonspace: 0,
        first_nonspace_column: 0,
        indent: 0,
        blank: false,
        partially_consumed_tab: false,
        fence_opened: false,
        html_indent: 0,
    };
    let mut rest = text;
    while !rest.is_empty() {
        let (line, eol, next) = match rest.find(['\n', '\r']) {
            Some(at) if rest[at..].starts_with("\r\n") => (&rest[..at], &rest[at..at + 2], &rest[at + 2..]),
            Some(at) => (&rest[..at], &rest[at..at + 1], &rest[at + 1..]),
            None => (rest, "", ""),
        };
        p.process_line(line, eol);
        rest = next;
    }
    while p.tip != 0 {
        p.tip = p.finalize(p.tip);
    }
    p.finalize(0);
    Document { blocks: p.blocks, definitions: p.definitions }
}

fn is_space_or_tab(b: Option<u8>) -> bool {
    matches!(b, Some(b' ' | b'\t'))
}

impl<'a> Parser<'a> {
    fn peek(&self, at: usize) -> Option<u8> {
        self.line.as_bytes().get(at).copied()
    }

    fn process_line(&mut self, line: &'a str, eol: &'a str) {
        self.line = line;
        self.eol = eol;
        self.line_number += 1;
        self.offset = 0;
        self.column = 0;
        self.first_nonspace = 0;
        self.first_nonspace_column = 0;
        self.indent = 0;
        self.blank = false;
        self.partially_consumed_tab = false;
        self.fence_opened = false;
        let Some(last_matched) = self.check_open_blocks() else { return };
        let mut container = last_matched;
        self.open_new_blocks(&mut container);
        self.add_text_to_container(container, last_matched);
    }

    fn find_first_nonspace(&mut self) {
        let mut chars_to_tab = TAB_STOP - (self.column % TAB_STOP);
        if self.first_nonspace <= self.offset {
            self.first_nonspace = self.offset;
            self.first_nonspace_column = self.column;
            loop {
                match self.peek(self.first_nonspace) {
                    Some(b' ') => {
                        self.first_nonspace += 1;
                        self.first_nonspace_column += 1;
                        chars_to_tab -= 1;
                        if chars_to_tab == 0 {
                            chars_to_tab = TAB_STOP;
                        }
                    }
                    Some(b'\t') => {
                        self.first_nonspace += 1;
                        self.first_nonspace_column += chars_to_tab;
                        chars_to_tab = TAB_STOP;
                    }
                    _ => break,
                }
            }
        }
        self.indent = self.first_nonspace_column - self.column;
        self.blank = self.first_nonspace >= self.line.len();
    }

    /// Consumes `count` bytes, or with `columns` `count` columns (a tab may be consumed
    /// partly).
    fn advance(&mut self, mut count: usize, columns: bool) {
        while count > 0 {
            match self.peek(self.offset) {
                None => break,
                Some(b'\t') => {
                    let chars_to_tab = TAB_STOP - (self.column % TAB_STOP);
                    if columns {
                        self.partially_consumed_tab = chars_to_tab > count;
                        let n = count.min(chars_to_tab);
                        self.column += n;
                        if !self.partially_consumed_tab {
                            self.offset += 1;
                        }
                        count -= n;
                    } else {
                        self.partially_consumed_tab = false;
                        self.column += chars_to_tab;
                        self.offset += 1;
                        count -= 1;
                    }
                }
                Some(_) => {
                    self.partially_consumed_tab = false;
                    self.offset += 1;
                    self.column += 1;
                    count -= 1;
                }
            }
        }
    }

    fn advance_to_first_nonspace(&mut self) {
        let n = self.first_nonspace - self.offset;
        self.advance(n, false);
    }

    /// Step 1: which open blocks the line continues. `None` when the line is used up
    /// (it closed a fenced code block).
    fn check_open_blocks(&mut self) -> Option<usize> {
        let mut container = 0;
        while let Some(&last) = self.blocks[container].children.last() {
            if !self.blocks[last].open {
                break;
            }
            container = last;
            self.find_first_nonspace();
            let matched = match self.blocks[container].kind {
                Kind::BlockQuote => {
                    let ok = self.indent <= 3 && self.peek(self.first_nonspace) == Some(b'>');
                    if ok {
                        self.advance(self.indent + 1, true);
                        if is_space_or_tab(self.peek(self.offset)) {
                            self.advance(1, true);
                        }
                    }
                    ok
                }
                Kind::Item { indent, blank_start } => {
                    if self.blank && blank_start && self.blocks[container].children.is_empty() {
                        // An item may start with one blank line, not two.
                        false
                    } else if self.indent >= indent {
                        self.advance(indent, true);
                        true
                    } else if self.blank {
                        self.advance_to_first_nonspace();
                        true
                    } else {
                        false
                    }
                }
                Kind::Code { fence: Some((ch, len, fence_indent)) } => {
                    let closing = self.peek(self.first_nonspace) == Some(ch)
                        && closing_fence(&self.line.as_bytes()[self.first_nonspace..], ch) >= len;
                    // As in pulldown-cmark, the end of the text closes the fence: a last line
                    // of less than 4 spaces is not part of the code.
                    let end_of_text = self.blank && self.eol.is_empty();
                    if self.indent <= 3 && (closing || end_of_text) {
                        self.tip = self.finalize(container);
                        return None;
                    }
                    let mut i = fence_indent;
                    while i > 0 && is_space_or_tab(self.peek(self.offset)) {
                        self.advance(1, true);
                        i -= 1;
                    }
                    true
                }
                Kind::Code { fence: None } => {
                    if self.indent >= CODE_INDENT {
                        self.advance(CODE_INDENT, true);
                        true
                    } else if self.blank {
                        self.advance_to_first_nonspace();
                        true
                    } else {
                        false
                    }
                }
                Kind::Heading { .. } | Kind::Rule | Kind::Definitions => false,
                Kind::Html { end } => !(self.blank && end == HtmlEnd::BlankLine),
                Kind::Paragraph => !self.blank,
                Kind::Document | Kind::List { .. } => true,
            };
            if !matched {
                return Some(self.blocks[container].parent);
            }
        }
        Some(container)
    }

    /// Step 2: new blocks the line starts inside `container`.
    fn open_new_blocks(&mut self, container: &mut usize) {
        let line: &'a str = self.line;
        let mut maybe_lazy = self.blocks[self.tip].kind == Kind::Paragraph;
        loop {
            let kind = self.blocks[*container].kind;
            if matches!(kind, Kind::Code { .. } | Kind::Html { .. }) {
                break;
            }
            self.find_first_nonspace();
            let indented = self.indent >= CODE_INDENT;
            let rest = &line.as_bytes()[self.first_nonspace..];
            let room = self.blocks[*container].depth < MAX_BLOCK_NESTING;
            let first = rest.first().copied();
            if !indented && first == Some(b'>') && room {
                let n = self.first_nonspace + 1 - self.offset;
                self.advance(n, false);
                if is_space_or_tab(self.peek(self.offset)) {
                    self.advance(1, true);
                }
                *container = self.add_child(*container, Kind::BlockQuote);
            } else if let Some(level) = (!indented).then(|| atx_heading_start(rest)).flatten() {
                let heading = self.add_child(*container, Kind::Heading { level: level as u8 });
                self.blocks[heading].content = atx_heading_text(&line[self.first_nonspace + level..]);
                self.offset = self.line.len();
                *container = heading;
            } else if let Some((ch, len)) = (!indented).then(|| opening_fence(rest)).flatten() {
                let fence_indent = self.first_nonspace - self.offset;
                *container = self.add_child(*container, Kind::Code { fence: Some((ch, len, fence_indent)) });
                self.offset = self.line.len();
                self.fence_opened = true;
            } else if let Some(end) = (!indented && first == Some(b'<'))
                .then(|| scan::html_block_start(rest, kind == Kind::Paragraph || maybe_lazy))
                .flatten()
            {
                // The indentation is part of the text, as spaces (pulldown-cmark).
                self.html_indent = self.indent;
                self.advance_to_first_nonspace();
                *container = self.add_child(*container, Kind::Html { end });
            } else if (!indented && kind == Kind::Paragraph)
                .then(|| setext_underline(rest))
                .flatten()
                .is_some_and(|level| self.setext_heading(*container, level))
            {
                self.offset = self.line.len();
            } else if !indented && is_thematic_break(rest) {
                *container = self.add_child(*container, Kind::Rule);
                self.offset = self.line.len();
            } else if let Some(marker) =
                (!indented && room).then(|| list_marker(rest, kind == Kind::Paragraph)).flatten()
            {
                self.open_list_item(container, marker);
            } else if indented && !maybe_lazy && !self.blank {
                self.advance(CODE_INDENT, true);
                *container = self.add_child(*container, Kind::Code { fence: None });
            } else {
                break;
            }
            if matches!(
                self.blocks[*container].kind,
                Kind::Paragraph | Kind::Heading { .. } | Kind::Code { .. }
            ) {
                break;
            }
            maybe_lazy = false;
        }
    }

    /// Makes the paragraph a setext heading, unless it held only link reference
    /// definitions (then the underline is read as something else).
    fn setext_heading(&mut self, paragraph: usize, level: u8) -> bool {
        self.resolve_definitions(paragraph);
        let block = &mut self.blocks[paragraph];
        if block.content.is_empty() {
            return false;
        }
        block.kind = Kind::Heading { level };
        block.content = block.content.trim_matches([' ', '\t', '\n', '\r']).to_string();
        true
    }

    fn open_list_item(&mut self, container: &mut usize, marker: ListMarker) {
        let n = self.first_nonspace + marker.width - self.offset;
        self.advance(n, false);
        let blank_start = self.line.as_bytes()[self.offset..].iter().all(|&c| c == b' ' || c == b'\t');
        let (saved_offset, saved_column, saved_tab) = (self.offset, self.column, self.partially_consumed_tab);
        while self.column - saved_column <= 5 && is_space_or_tab(self.peek(self.offset)) {
            self.advance(1, true);
        }
        let spaces = self.column - saved_column;
        let padding = if !(1..5).contains(&spaces) || self.offset >= self.line.len() {
            self.offset = saved_offset;
            self.column = saved_column;
            self.partially_consumed_tab = saved_tab;
            if spaces > 0 {
                self.advance(1, true);
            }
            marker.width + 1
        } else {
            marker.width + spaces
        };
        let continues = matches!(
            self.blocks[*container].kind,
            Kind::List { ordered, marker: m, .. } if ordered == marker.ordered && m == marker.marker
        );
        if !continues {
            let list = Kind::List { ordered: marker.ordered, marker: marker.marker, tight: true };
            *container = self.add_child(*container, list);
        }
        *container = self.add_child(*container, Kind::Item { indent: self.indent + padding, blank_start });
    }

    /// Step 3: the rest of the line goes into `container`, or lazily into the open
    /// paragraph.
    fn add_text_to_container(&mut self, mut container: usize, last_matched: usize) {
        self.find_first_nonspace();
        // A blank line right inside a block quote (`>` alone) ends nothing that counts for
        // a list around the quote (see `ends_with_blank_line`).
        if self.blank
            && self.blocks[container].kind != Kind::BlockQuote
            && let Some(&last) = self.blocks[container].children.last()
        {
            self.blocks[last].last_line_blank = true;
        }
        // Block quote lines are never blank (they hold a `>`); blank lines in fenced code
        // or inside an HTML block do not make a list loose; nor does the blank first line of
        // an empty item.
        let block = &self.blocks[container];
        let last_line_blank = self.blank
            && !matches!(
                block.kind,
                Kind::BlockQuote
                    | Kind::Heading { .. }
                    | Kind::Rule
                    | Kind::Code { fence: Some(_) }
                    | Kind::Html { .. }
            )
            && !(matches!(block.kind, Kind::Item { .. })
                && block.children.is_empty()
                && block.start_line == self.line_number);
        self.blocks[container].last_line_blank = last_line_blank;
        let mut up = container;
        while up != 0 {
            up = self.blocks[up].parent;
            self.blocks[up].last_line_blank = false;
        }

        if self.tip != last_matched
            && container == last_matched
            && !self.blank
            && self.blocks[self.tip].kind == Kind::Paragraph
        {
            // A lazy continuation line.
            self.add_line(self.tip, true);
            return;
        }
        while self.tip != last_matched {
            self.tip = self.finalize(self.tip);
        }
        match self.blocks[container].kind {
            Kind::Code { .. } => {
                if !self.fence_opened {
                    self.add_line(container, false);
                }
            }
            Kind::Html { end } => {
                let indent = std::mem::take(&mut self.html_indent);
                self.blocks[container].content.extend(std::iter::repeat_n(' ', indent));
                self.add_line(container, false);
                if let HtmlEnd::Marker(marker) = end
                    && scan::html_block_ends(
                        marker,
                        &self.line.as_bytes()[self.first_nonspace.min(self.line.len())..],
                    )
                {
                    container = self.finalize(container);
                }
            }
            _ if self.blank => {}
            // A continuation line keeps its indentation (pulldown-cmark shows it in a code
            // span over the line end); the inline parser drops it elsewhere. A first line
            // (after link definitions only) does not.
            Kind::Paragraph => {
                if self.blocks[container].content.is_empty() {
                    self.advance_to_first_nonspace();
                }
                self.add_line(container, true);
            }
            Kind::Heading { .. } => {}
            _ => {
                container = self.add_child(container, Kind::Paragraph);
                self.advance_to_first_nonspace();
                self.add_line(container, true);
            }
        }
        self.tip = container;
    }

    /// Adds the rest of the line to a leaf. Paragraphs keep the line end as written (so
    /// that a code span over a CRLF reads as two spaces, as in pulldown-cmark); code and
    /// HTML get `\n`.
    fn add_line(&mut self, block: usize, paragraph: bool) {
        let content = &mut self.blocks[block].content;
        // The rest of a tab that a container prefix took only part of: spaces in code and
        // HTML, nothing in a paragraph (as in pulldown-cmark).
        if self.partially_consumed_tab {
            self.offset += 1;
            if !paragraph {
                let chars_to_tab = TAB_STOP - (self.column % TAB_STOP);
                content.extend(std::iter::repeat_n(' ', chars_to_tab));
            }
        }
        content.push_str(&self.line[self.offset.min(self.line.len())..]);
        if paragraph {
            content.push_str(self.eol);
        } else if !self.eol.is_empty() {
            content.push('\n');
        }
    }

    fn add_child(&mut self, mut parent: usize, kind: Kind) -> usize {
        while !can_contain(self.blocks[parent].kind, kind) {
            parent = self.finalize(parent);
        }
        let depth =
            self.blocks[parent].depth + usize::from(matches!(kind, Kind::BlockQuote | Kind::Item { .. }));
        let id = self.blocks.len();
        self.blocks.push(Block {
            kind,
            children: Vec::new(),
            content: String::new(),
            parent,
            open: true,
            last_line_blank: false,
            start_line: self.line_number,
            depth,
        });
        self.blocks[parent].children.push(id);
        id
    }

    /// Closes a block; returns its parent.
    fn finalize(&mut self, id: usize) -> usize {
        self.blocks[id].open = false;
        let parent = self.blocks[id].parent;
        match self.blocks[id].kind {
            Kind::Paragraph => {
                self.resolve_definitions(id);
                if self.blocks[id].content.is_empty() {
                    self.blocks[id].kind = Kind::Definitions;
                }
            }
            Kind::Code { fence: None } => {
                // Trailing blank lines are not part of indented code.
                let content = &mut self.blocks[id].content;
                match content.rfind(|c: char| !matches!(c, ' ' | '\t' | '\n')) {
                    None => content.clear(),
                    Some(last) => {
                        if let Some(eol) = content[last..].find('\n') {
                            content.truncate(last + eol + 1);
                        }
                    }
                }
            }
            Kind::List { ordered, marker, .. } => {
                let tight = self.list_is_tight(id);
                self.blocks[id].kind = Kind::List { ordered, marker, tight };
            }
            _ => {}
        }
        parent
    }

    /// A list is loose when an item that is not the last ends with a blank line, or a
    /// block in an item is followed by a blank line and then more (CommonMark §5.3).
    fn list_is_tight(&self, list: usize) -> bool {
        let items = &self.blocks[list].children;
        for (i, &item) in items.iter().enumerate() {
            let item_has_next = i + 1 < items.len();
            if self.blocks[item].last_line_blank && item_has_next {
                return false;
            }
            let subs = &self.blocks[item].children;
            for (j, &sub) in subs.iter().enumerate() {
                if (item_has_next || j + 1 < subs.len()) && self.ends_with_blank_line(sub) {
                    return false;
                }
            }
        }
        true
    }

    /// Whether a block ends with a blank line, looking into its last list, item or block
    /// quote. cmark does not look into block quotes; pulldown-cmark does (a blank line in
    /// a list or code inside a quote, `- > - a` / `  >` / `- b`, loosens the outer list),
    /// and we follow pulldown-cmark.
    fn ends_with_blank_line(&self, mut id: usize) -> bool {
        loop {
            let block = &self.blocks[id];
            if block.last_line_blank {
                return true;
            }
            match (block.kind, block.children.last()) {
                (Kind::List { .. } | Kind::Item { .. } | Kind::BlockQuote, Some(&last)) => id = last,
                _ => return false,
            }
        }
    }

    /// Link reference definitions at the start of a paragraph are taken out of it
    /// (the first definition of a label wins).
    fn resolve_definitions(&mut self, paragraph: usize) {
        let content = std::mem::take(&mut self.blocks[paragraph].content);
        let mut at = 0;
        while let Some((label, dest, end)) = definition(
            &content,
            at + content[at..].len() - content[at..].trim_start_matches([' ', '\t']).len(),
        ) {
            // The first definition of a label wins (CommonMark §4.7).
            if !self.definitions.contains_key(&label) {
                self.definitions.insert(label, dest);
            }
            at = end;
        }
        // What follows starts a line: its indentation is not text.
        self.blocks[paragraph].content =
            if at == 0 { content } else { content[at..].trim_start_matches([' ', '\t']).to_string() };
    }
}

fn can_contain(parent: Kind, child: Kind) -> bool {
    match parent {
        Kind::Document | Kind::BlockQuote | Kind::Item { .. } => !matches!(child, Kind::Item { .. }),
        Kind::List { .. } => matches!(child, Kind::Item { .. }),
        _ => false,
    }
}

/// A link reference definition `[label]: destination "title"` at `s[at..]`: the
/// normalised label, the destination (escapes resolved) and where the next line starts.
fn definition(s: &str, at: usize) -> Option<(String, String, usize)> {
    let b = s.as_bytes();
    let (label, i) = scan::link_label(s, at)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    let i = scan::skip_spnl(b, i + 1);
    let (dest, after_dest) = scan::link_destination(s, i)?;
    let line_end = |mut j: usize| {
        while matches!(b.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        match (b.get(j), b.get(j + 1)) {
            (None, _) => Some(j),
            (Some(b'\r'), Some(b'\n')) => Some(j + 2),
            (Some(b'\r' | b'\n'), _) => Some(j + 1),
            _ => None,
        }
    };
    let title_start = scan::skip_spnl(b, after_dest);
    let end = match scan::link_title(s, title_start) {
        Some((_, after_title)) if title_start > after_dest => {
            line_end(after_title).or_else(|| line_end(after_dest))
        }
        _ => line_end(after_dest),
    }?;
    Some((scan::normalize_label(label), scan::unescape(dest), end))
}

/// `#` to `######` followed by a space, a tab or the line end: the level.
fn atx_heading_start(rest: &[u8]) -> Option<usize> {
    let level = rest.iter().take_while(|&&c| c == b'#').count();
    ((1..=6).contains(&level) && matches!(rest.get(level), None | Some(b' ' | b'\t'))).then_some(level)
}

/// The text of an ATX heading, as pulldown-cmark takes it: leading whitespace and
/// trailing spaces (not tabs) dropped, and the closing `#`s if spaces precede them.
fn atx_heading_text(after_marker: &str) -> String {
    let text = after_marker.trim_start_matches([' ', '\t', '\u{B}', '\u{C}']).trim_end_matches(' ');
    let without = text.trim_end_matches('#');
    if without.is_empty() {
        String::new()
    } else if without.len() < text.len() && without.ends_with(' ') {
        without.trim_end_matches(' ').to_string()
    } else {
        text.to_string()
    }
}

/// `===` (level 1) or `---` (level 2) with trailing spaces only.
fn setext_underline(rest: &[u8]) -> Option<u8> {
    let ch = *rest.first()?;
    let level = match ch {
        b'=' => 1,
        b'-' => 2,
        _ => return None,
    };
    let len = rest.iter().take_while(|&&c| c == ch).count();
    rest[len..].iter().all(|&c| c == b' ' || c == b'\t').then_some(level)
}

/// Three or more `*`, `-` or `_`, with spaces or tabs between and nothing else.
fn is_thematic_break(rest: &[u8]) -> bool {
    let Some(&ch) = rest.first() else { return false };
    if !matches!(ch, b'*' | b'-' | b'_') {
        return false;
    }
    let mut count = 0;
    for &c in rest {
        if c == ch {
            count += 1;
        } else if c != b' ' && c != b'\t' {
            return false;
        }
    }
    count >= 3
}

struct ListMarker {
    ordered: bool,
    /// The bullet, or the delimiter after the number.
    marker: u8,
    /// Bytes of the marker (`-`, `12.`).
    width: usize,
}

/// A list marker at the start of `rest` (CommonMark §5.2). Interrupting a paragraph, an
/// item must not be empty and an ordered one must start at 1.
fn list_marker(rest: &[u8], interrupts_paragraph: bool) -> Option<ListMarker> {
    let first = *rest.first()?;
    let (ordered, marker, width) = match first {
        b'*' | b'-' | b'+' => {
            if is_thematic_break(rest) {
                return None;
            }
            (false, first, 1)
        }
        b'0'..=b'9' => {
            let digits = rest.iter().take(10).take_while(|c| c.is_ascii_digit()).count();
            if digits > 9 {
                return None;
            }
            let delim = *rest.get(digits)?;
            if delim != b'.' && delim != b')' {
                return None;
            }
            let start =
                rest[..digits].iter().position(|&d| d != b'0').map_or(&[][..], |at| &rest[at..digits]);
            if interrupts_paragraph && start != b"1" {
                return None;
            }
            (true, delim, digits + 1)
        }
        _ => return None,
    };
    if !matches!(rest.get(width), None | Some(b' ' | b'\t')) {
        return None;
    }
    if interrupts_paragraph && rest[width..].iter().all(|&c| c == b' ' || c == b'\t') {
        return None;
    }
    Some(ListMarker { ordered, marker, width })
}
