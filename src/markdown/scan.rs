//! Character classes and the small scanners that blocks and inlines share: punctuation,
//! entity references, link destinations, titles and labels, autolinks and raw HTML.
//!
//! Every scanner takes the whole text and a start index, and answers with the index just
//! past what it recognised (`None`: not this construct). They never allocate unless they
//! return a value, and never look further than their construct can reach.

use std::borrow::Cow;

/// How deep parentheses may nest in a link destination (`[a](b(c(d)))`): as in cmark and
/// pulldown-cmark (CommonMark allows a limit), so that `(((((` cannot make a scan quadratic.
const MAX_LINK_PARENS: usize = 32;

/// A link label is at most 999 characters (CommonMark §4.7).
const MAX_LABEL: usize = 999;

/// Unicode punctuation and symbols outside ASCII that count as punctuation for the
/// emphasis rules (CommonMark §2.1: general categories P and S). Only these blocks are
/// listed, exactly as the Unicode tables have them: Latin-1, General Punctuation,
/// super- and subscript signs, currency, letterlike symbols, arrows, mathematical and
/// technical symbols,
/// control pictures (`␍␊`), box drawing, shapes, dingbats, supplemental punctuation,
/// CJK punctuation, fullwidth ASCII punctuation and the common emoji blocks. Punctuation
/// of other scripts counts as a letter here (a documented difference, which only matters
/// for `*` and `_` right next to such a character).
const PUNCT_RANGES: &[(u32, u32)] = &[
    (0xA1, 0xA9),
    (0xAB, 0xAC),
    (0xAE, 0xB1),
    (0xB4, 0xB4),
    (0xB6, 0xB8),
    (0xBB, 0xBB),
    (0xBF, 0xBF),
    (0xD7, 0xD7),
    (0xF7, 0xF7),
    (0x2010, 0x2027),
    (0x2030, 0x205E),
    (0x207A, 0x207E),
    (0x208A, 0x208E),
    (0x20A0, 0x20C0),
    (0x2100, 0x2101),
    (0x2103, 0x2106),
    (0x2108, 0x2109),
    (0x2114, 0x2114),
    (0x2116, 0x2118),
    (0x211E, 0x2123),
    (0x2125, 0x2125),
    (0x2127, 0x2127),
    (0x2129, 0x2129),
    (0x212E, 0x212E),
    (0x213A, 0x213B),
    (0x2140, 0x2144),
    (0x214A, 0x214D),
    (0x214F, 0x214F),
    (0x218A, 0x218B),
    (0x2190, 0x2426),
    (0x2440, 0x244A),
    (0x249C, 0x24E9),
    (0x2500, 0x2775),
    (0x2794, 0x2B73),
    (0x2B76, 0x2B95),
    (0x2B97, 0x2BFF),
    (0x2E00, 0x2E2E),
    (0x2E30, 0x2E5D),
    (0x3001, 0x3004),
    (0x3008, 0x3020),
    (0x3030, 0x3030),
    (0x3036, 0x3037),
    (0x303D, 0x303F),
    (0xFF01, 0xFF0F),
    (0xFF1A, 0xFF20),
    (0xFF3B, 0xFF40),
    (0xFF5B, 0xFF65),
    (0x1F300, 0x1F6D7),
    (0x1F6DC, 0x1F6EC),
    (0x1F6F0, 0x1F6FC),
    (0x1F900, 0x1FA53),
    (0x1FA60, 0x1FA6D),
    (0x1FA70, 0x1FA7C),
    (0x1FA80, 0x1FA88),
    (0x1FA90, 0x1FABD),
    (0x1FABF, 0x1FAC5),
    (0x1FACE, 0x1FADB),
    (0x1FAE0, 0x1FAE8),
    (0x1FAF0, 0x1FAF8),
];

/// Unicode blocks where [`PUNCT_RANGES`] is exact (for the test that holds it against
/// the oracle, which runs natively only).
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(super) const PUNCT_EXACT_BLOCKS: &[(u32, u32)] = &[
    (0x80, 0xFF),
    (0x2000, 0x2BFF),
    (0x2E00, 0x2E7F),
    (0x3000, 0x303F),
    (0xFF00, 0xFF65),
    (0x1F300, 0x1F6FF),
    (0x1F900, 0x1FAFF),
];

/// Punctuation for the emphasis rules: ASCII punctuation and [`PUNCT_RANGES`].
pub(super) fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    let c = c as u32;
    PUNCT_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Named character references that narration may use. Every other name stays as the
/// text it is (`&hearts;` shows as `&hearts;`); numeric references all work.
pub(super) const ENTITIES: &[(&str, &str)] = &[
    ("amp", "&"),
    ("apos", "'"),
    ("bull", "\u{2022}"),
    ("check", "\u{2713}"),
    ("copy", "\u{A9}"),
    ("darr", "\u{2193}"),
    ("deg", "\u{B0}"),
    ("divide", "\u{F7}"),
    ("euro", "\u{20AC}"),
    ("gt", ">"),
    ("harr", "\u{2194}"),
    ("hellip", "\u{2026}"),
    ("laquo", "\u{AB}"),
    ("larr", "\u{2190}"),
    ("ldquo", "\u{201C}"),
    ("lsquo", "\u{2018}"),
    ("lt", "<"),
    ("mdash", "\u{2014}"),
    ("middot", "\u{B7}"),
    ("nbsp", "\u{A0}"),
    ("ndash", "\u{2013}"),
    ("pound", "\u{A3}"),
    ("quot", "\""),
    ("raquo", "\u{BB}"),
    ("rarr", "\u{2192}"),
    ("rdquo", "\u{201D}"),
    ("reg", "\u{AE}"),
    ("rsquo", "\u{2019}"),
    ("sect", "\u{A7}"),
    ("times", "\u{D7}"),
    ("trade", "\u{2122}"),
    ("uarr", "\u{2191}"),
];

/// The character reference at `s[i..]` (which starts with `&`): what it stands for and
/// the index past its `;`.
pub(super) fn entity(s: &[u8], i: usize) -> Option<(Cow<'static, str>, usize)> {
    let mut j = i + 1;
    if s.get(j) == Some(&b'#') {
        j += 1;
        let hex = matches!(s.get(j), Some(b'x' | b'X'));
        if hex {
            j += 1;
        }
        let (radix, max) = if hex { (16, 6) } else { (10, 7) };
        let start = j;
        let mut value: u32 = 0;
        while let Some(d) = s.get(j).and_then(|&b| (b as char).to_digit(radix)) {
            if j - start == max {
                return None;
            }
            value = value * radix + d;
            j += 1;
        }
        if j == start || s.get(j) != Some(&b';') {
            return None;
        }
        let c = char::from_u32(value).filter(|&c| c != '\0').unwrap_or('\u{FFFD}');
        return Some((Cow::Owned(c.to_string()), j + 1));
    }
    let start = j;
    while j - start < 32 && s.get(j).is_some_and(u8::is_ascii_alphanumeric) {
        j += 1;
    }
    if j == start || s.get(j) != Some(&b';') {
        return None;
    }
    let name = &s[start..j];
    let (_, value) = ENTITIES.iter().find(|(n, _)| n.as_bytes() == name)?;
    Some((Cow::Borrowed(value), j + 1))
}

/// Backslash escapes and character references resolved (link destinations and titles).
pub(super) fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut plain = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if b.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                out.push_str(&s[plain..i]);
                i += 1;
                plain = i;
                i += 1;
            }
            b'&' => {
                if let Some((text, end)) = entity(b, i) {
                    out.push_str(&s[plain..i]);
                    out.push_str(&text);
                    i = end;
                    plain = i;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&s[plain..]);
    out
}

fn is_space_or_tab(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Spaces and tabs, and at most one line end (`spnl` in cmark).
pub(super) fn skip_spnl(s: &[u8], mut i: usize) -> usize {
    while s.get(i).copied().is_some_and(is_space_or_tab) {
        i += 1;
    }
    match (s.get(i), s.get(i + 1)) {
        (Some(b'\r'), Some(b'\n')) => i += 2,
        (Some(b'\r' | b'\n'), _) => i += 1,
        _ => return i,
    }
    while s.get(i).copied().is_some_and(is_space_or_tab) {
        i += 1;
    }
    i
}

/// A link destination at `s[i..]` (CommonMark §6.3): `<...>` or a run without spaces or
/// controls whose parentheses balance. Returns the raw destination (escapes unresolved)
/// and the index past it.
pub(super) fn link_destination(s: &str, i: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    if b.get(i) == Some(&b'<') {
        let mut j = i + 1;
        loop {
            match b.get(j)? {
                b'>' => return Some((&s[i + 1..j], j + 1)),
                b'\\' if b.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 2,
                b'<' | b'\n' | b'\r' => return None,
                _ => j += 1,
            }
        }
    }
    let mut j = i;
    let mut depth = 0;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' if b.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 2,
            b'(' => {
                depth += 1;
                if depth > MAX_LINK_PARENS {
                    return None;
                }
                j += 1;
            }
            b')' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
                j += 1;
            }
            c if c <= b' ' || c == 0x7F => break,
            _ => j += 1,
        }
    }
    if j == i || depth != 0 {
        return None;
    }
    Some((&s[i..j], j))
}

/// A link title at `s[i..]`: `"..."`, `'...'` or `(...)`, which may span lines but not a
/// blank line. Returns the raw title and the index past it.
pub(super) fn link_title(s: &str, i: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let close = match b.get(i)? {
        b'"' => b'"',
        b'\'' => b'\'',
        b'(' => b')',
        _ => return None,
    };
    let mut j = i + 1;
    loop {
        let c = *b.get(j)?;
        if c == close {
            return Some((&s[i + 1..j], j + 1));
        }
        match c {
            b'\\' if b.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 2,
            b'(' if close == b')' => return None,
            b'\n' | b'\r' => {
                // A blank line ends the paragraph, so it cannot be inside a title.
                let mut k = j + 1;
                if c == b'\r' && b.get(k) == Some(&b'\n') {
                    k += 1;
                }
                while b.get(k).copied().is_some_and(is_space_or_tab) {
                    k += 1;
                }
                if matches!(b.get(k), Some(b'\n' | b'\r')) {
                    return None;
                }
                j = k;
            }
            _ => j += 1,
        }
    }
}

/// A link label `[...]` at `s[i..]` (CommonMark §4.7): at most 999 characters, no
/// unescaped brackets, not only whitespace. Returns the raw inside and the index past `]`.
pub(super) fn link_label(s: &str, i: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    let mut blank = true;
    loop {
        if j - (i + 1) > MAX_LABEL {
            return None;
        }
        match *b.get(j)? {
            b']' => break,
            b'[' => return None,
            b'\\' if b.get(j + 1).is_some_and(u8::is_ascii_punctuation) => {
                blank = false;
                j += 2;
            }
            c => {
                blank &= c.is_ascii_whitespace();
                j += 1;
            }
        }
    }
    if blank || j - (i + 1) > MAX_LABEL {
        return None;
    }
    Some((&s[i + 1..j], j + 1))
}

/// A label as definitions and references are matched: inner whitespace collapsed to one
/// space (ASCII whitespace, as pulldown-cmark does) and ASCII letters folded to lower
/// case. Other letters must match exactly: Unicode case folding would bring std's case
/// tables (some 24 KB) into the page for reference links no lesson uses.
pub(super) fn normalize_label(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for word in label.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.make_ascii_lowercase();
    out
}

/// A URI autolink `<scheme:...>` at `s[i..]` (which starts with `<`): the URI and the
/// index past `>`.
pub(super) fn uri_autolink(s: &str, i: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let start = i + 1;
    let mut j = start;
    if !b.get(j)?.is_ascii_alphabetic() {
        return None;
    }
    while b.get(j).is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')) {
        j += 1;
    }
    if !(2..=32).contains(&(j - start)) || b.get(j) != Some(&b':') {
        return None;
    }
    loop {
        match *b.get(j)? {
            b'>' => return Some((&s[start..j], j + 1)),
            b'<' => return None,
            c if c <= b' ' || c == 0x7F => return None,
            _ => j += 1,
        }
    }
}

/// An email autolink `<local@domain>` at `s[i..]`: the address and the index past `>`.
pub(super) fn email_autolink(s: &str, i: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let start = i + 1;
    let mut j = start;
    while b.get(j).is_some_and(|&c| c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c)) {
        j += 1;
    }
    if j == start || b.get(j) != Some(&b'@') {
        return None;
    }
    j += 1;
    loop {
        // One domain label: alphanumeric at both ends, hyphens inside, at most 63.
        let label = j;
        while b.get(j).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-') {
            j += 1;
        }
        if j == label || j - label > 63 || b[label] == b'-' || b[j - 1] == b'-' {
            return None;
        }
        match b.get(j)? {
            b'.' => j += 1,
            b'>' => return Some((&s[start..j], j + 1)),
            _ => return None,
        }
    }
}

/// Where searches for the end of a raw HTML construct already failed: every later search
/// for the same end fails too, so each is done at most once per text (no quadratic scans
/// on `<!--<!--<!--...`).
#[derive(Default)]
pub(super) struct HtmlMemo {
    comment: bool,
    instruction: bool,
    declaration: bool,
    cdata: bool,
}

fn find_from(s: &[u8], i: usize, needle: &[u8]) -> Option<usize> {
    s.get(i..)?.windows(needle.len()).position(|w| w == needle).map(|p| i + p)
}

fn tag_name(s: &[u8], mut i: usize) -> Option<usize> {
    if !s.get(i)?.is_ascii_alphabetic() {
        return None;
    }
    while s.get(i).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-') {
        i += 1;
    }
    Some(i)
}

/// Whitespace inside a tag: spaces, tabs and line ends.
fn tag_space(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)) {
        i += 1;
    }
    i
}

fn attribute(s: &[u8], mut i: usize) -> Option<usize> {
    if !s.get(i).is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b':') {
        return None;
    }
    while s.get(i).is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-')) {
        i += 1;
    }
    let before_value = i;
    let j = tag_space(s, i);
    if s.get(j) != Some(&b'=') {
        return Some(before_value);
    }
    let j = tag_space(s, j + 1);
    match s.get(j) {
        Some(&q @ (b'"' | b'\'')) => {
            let end = s[j + 1..].iter().position(|&c| c == q)?;
            Some(j + 1 + end + 1)
        }
        _ => {
            let mut k = j;
            while s.get(k).is_some_and(|&c| {
                !matches!(
                    c,
                    b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | b'"' | b'\'' | b'=' | b'<' | b'>' | b'`'
                )
            }) {
                k += 1;
            }
            if k == j { None } else { Some(k) }
        }
    }
}

/// An open tag `<name attr="v" ...>` or `<name/>` at `s[i..]` (which starts with `<`).
pub(super) fn open_tag(s: &[u8], i: usize) -> Option<usize> {
    let mut j = tag_name(s, i + 1)?;
    loop {
        let k = tag_space(s, j);
        if k == j {
            break;
        }
        match attribute(s, k) {
            Some(end) => j = end,
            None => {
                j = k;
                break;
            }
        }
    }
    if s.get(j) == Some(&b'/') {
        j += 1;
    }
    (s.get(j) == Some(&b'>')).then_some(j + 1)
}

/// A closing tag `</name >` at `s[i..]`.
pub(super) fn closing_tag(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i + 1) != Some(&b'/') {
        return None;
    }
    let j = tag_space(s, tag_name(s, i + 2)?);
    (s.get(j) == Some(&b'>')).then_some(j + 1)
}

/// Raw inline HTML at `s[i..]` (CommonMark §6.6): a tag, comment, processing instruction,
/// declaration or CDATA section. It shows as its text; recognising it only keeps what is
/// inside from being read as Markdown, as CommonMark says.
pub(super) fn inline_html(s: &[u8], i: usize, memo: &mut HtmlMemo) -> Option<usize> {
    let rest = &s[i..];
    let search = |flag: &mut bool, from: usize, needle: &[u8]| {
        if *flag {
            return None;
        }
        let found = find_from(s, from, needle).map(|p| p + needle.len());
        *flag = found.is_none();
        found
    };
    if rest.starts_with(b"<!--") {
        if rest.starts_with(b"<!-->") {
            return Some(i + 5);
        }
        if rest.starts_with(b"<!--->") {
            return Some(i + 6);
        }
        return search(&mut memo.comment, i + 4, b"-->");
    }
    if rest.starts_with(b"<?") {
        return search(&mut memo.instruction, i + 2, b"?>");
    }
    if rest.starts_with(b"<![CDATA[") {
        return search(&mut memo.cdata, i + 9, b"]]>");
    }
    if rest.starts_with(b"<!") && rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
        return search(&mut memo.declaration, i + 2, b">");
    }
    open_tag(s, i).or_else(|| closing_tag(s, i))
}

/// Tag names that start an HTML block of kind 6 (CommonMark §4.6).
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
];

/// Tag names of HTML blocks of kind 1, and the closing tag that ends each (exactly as
/// written: pulldown-cmark looks for its own closing tag only, case-sensitively).
const RAW_TAGS: &[(&str, &str)] =
    &[("pre", "</pre>"), ("script", "</script>"), ("style", "</style>"), ("textarea", "</textarea>")];

/// What ends an HTML block (CommonMark §4.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HtmlEnd {
    /// Kinds 1 to 5: the first line that contains this.
    Marker(&'static str),
    /// Kinds 6 and 7: a blank line.
    BlankLine,
}

/// The HTML block that `line` starts (it begins with `<`), or `None`. Kind 7 (any
/// complete tag alone on its line) cannot interrupt a paragraph: `in_paragraph` leaves
/// it out.
pub(super) fn html_block_start(line: &[u8], in_paragraph: bool) -> Option<HtmlEnd> {
    let name_end = |from: usize| {
        let mut j = from;
        while line.get(j).is_some_and(u8::is_ascii_alphanumeric) {
            j += 1;
        }
        j
    };
    let end = name_end(1);
    for (tag, close) in RAW_TAGS {
        if line[1..end].eq_ignore_ascii_case(tag.as_bytes())
            && matches!(line.get(end), None | Some(b' ' | b'\t' | b'>'))
        {
            return Some(HtmlEnd::Marker(close));
        }
    }
    for (start, close) in [("<!--", "-->"), ("<?", "?>"), ("<![CDATA[", "]]>")] {
        if line.starts_with(start.as_bytes()) {
            return Some(HtmlEnd::Marker(close));
        }
    }
    if line.starts_with(b"<!") && line.get(2).is_some_and(u8::is_ascii_alphabetic) {
        return Some(HtmlEnd::Marker(">"));
    }
    let from = if line.get(1) == Some(&b'/') { 2 } else { 1 };
    let end = name_end(from);
    if BLOCK_TAGS.iter().any(|t| t.as_bytes().eq_ignore_ascii_case(&line[from..end])) {
        match (line.get(end), line.get(end + 1)) {
            (None | Some(b' ' | b'\t' | b'>'), _) | (Some(b'/'), Some(b'>')) => {
                return Some(HtmlEnd::BlankLine);
            }
            _ => {}
        }
    }
    if in_paragraph {
        return None;
    }
    let tag_end = open_tag(line, 0).or_else(|| closing_tag(line, 0))?;
    line[tag_end..].iter().all(|&c| c == b' ' || c == b'\t').then_some(HtmlEnd::BlankLine)
}

/// True when `line` ends an HTML block that ends at `marker`.
pub(super) fn html_block_ends(marker: &str, line: &[u8]) -> bool {
    line.windows(marker.len()).any(|w| w == marker.as_bytes())
}
