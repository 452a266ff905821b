//! The words of a description: one line split into tokens (bare words and `"quoted
//! strings"`), a cursor that reads them with errors saying what was expected, and the
//! parsers of single values (names, addresses, durations, numbers).
//!
//! Every error is `(column, message)`; the caller adds the line. Columns are 1-based and
//! count characters, as an editor shows them.

use crate::time::SimDuration;

/// A name written out is at most 253 characters: 255 octets on the wire (RFC 1035
/// §2.3.4) minus the length octet of the first label and the root's zero octet.
pub const MAX_NAME_LEN: usize = 253;
/// A label (the part between dots) is at most 63 octets (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// The local part of an address is at most 64 octets (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART_LEN: usize = 64;
/// A quoted string (a label, a password, a reply text, a subject) is at most this long:
/// an SMTP reply line is at most 512 octets with its code and CRLF (RFC 5321 §4.5.3.1.5).
pub const MAX_TEXT_LEN: usize = 400;
/// Times and durations are at most 30 days: real queues give up after 4–5 days
/// (RFC 5321 §4.5.4.1), and a lesson is much shorter.
pub const MAX_TIME: SimDuration = SimDuration::from_secs(30 * 86_400);

pub type Error = (usize, String);

/// One token of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tok {
    /// The word, or the quoted string with its escapes resolved.
    pub text: String,
    /// Column of its first character (the opening quote of a quoted string).
    pub col: usize,
    /// Column just after its last character.
    pub end: usize,
    pub quoted: bool,
}

/// Splits `line` into tokens. `#` at the start of a token begins a comment.
pub fn lex(line: &str) -> Result<Vec<Tok>, Error> {
    let chars: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c == ' ' || c == '\t' {
            i += 1;
        } else if c == '#' {
            break;
        } else if c == '"' {
            let mut text = String::new();
            i += 1;
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err((
                        col,
                        "this quote is not closed: end the text with `\"` on the same line".into(),
                    ));
                };
                match c {
                    '"' => break,
                    '\\' => match chars.get(i + 1) {
                        Some(&e @ ('"' | '\\')) => {
                            text.push(e);
                            i += 1;
                        }
                        Some(&e) if !e.is_control() => {
                            return Err((
                                i + 1,
                                format!(
                                    "unknown escape `\\{e}`: inside quotes only `\\\"` and `\\\\` are escapes"
                                ),
                            ));
                        }
                        _ => {
                            return Err((
                                i + 1,
                                "a backslash inside quotes must be followed by `\"` or `\\`".into(),
                            ));
                        }
                    },
                    c if c.is_control() => return Err((i + 1, control(c))),
                    c => text.push(c),
                }
                i += 1;
            }
            i += 1; // the closing quote
            if chars.get(i).is_some_and(|&next| next != ' ' && next != '\t') {
                return Err((i + 1, "put a space after the closing quote".into()));
            }
            if text.chars().count() > MAX_TEXT_LEN {
                return Err((col, format!("a quoted text is at most {MAX_TEXT_LEN} characters")));
            }
            toks.push(Tok { text, col, end: i + 1, quoted: true });
        } else if cfg!(feature = "teacher") && matches!(c, '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}')
        {
            // A word processor's quotes (or a keyboard's): they quote nothing here. (Said
            // to teachers, whose files they are in; the first load's lessons have none.)
            return Err((
                col,
                format!("`{c}` is a curly quote: type a straight one, `\"`, on both sides of the text"),
            ));
        } else {
            let start = i;
            while i < chars.len() && chars[i] != ' ' && chars[i] != '\t' {
                match chars[i] {
                    '"' => {
                        return Err((i + 1, "a quote may only start a value: put a space before it".into()));
                    }
                    // Copied from a web page or a word processor, it looks like a space.
                    '\u{00A0}' | '\u{202F}' | '\u{2007}' if cfg!(feature = "teacher") => {
                        return Err((i + 1, "a non-breaking space (copied from a web page or a document?): type a plain space".into()));
                    }
                    c if c.is_control() => return Err((i + 1, control(c))),
                    _ => i += 1,
                }
            }
            toks.push(Tok {
                text: chars[start..i].iter().collect(),
                col: start + 1,
                end: i + 1,
                quoted: false,
            });
        }
    }
    Ok(toks)
}

fn control(c: char) -> String {
    format!("the control character U+{:04X} is not allowed here", c as u32)
}

/// Reads the tokens of one directive, left to right.
pub struct Cursor<'a> {
    toks: &'a [Tok],
    i: usize,
    /// How the directive reads, for error messages: `host NAME ADDRESS ROLE "LABEL" at X,Y`.
    #[cfg_attr(not(feature = "teacher"), expect(dead_code))]
    pub usage: &'static str,
}

impl<'a> Cursor<'a> {
    pub fn new(toks: &'a [Tok], usage: &'static str) -> Cursor<'a> {
        Cursor { toks, i: 1, usage }
    }

    /// The column just after the last token read.
    fn end_col(&self) -> usize {
        self.toks.get(self.i.wrapping_sub(1)).map_or(1, |t| t.end)
    }

    /// `; the line reads `…``: how the directive reads, after an error. Only where a teacher
    /// writes lessons (feature `teacher`): the first load's lessons are its own, tested ones.
    fn reads(&self) -> String {
        #[cfg(feature = "teacher")]
        return format!("; the line reads `{}`", self.usage);
        #[cfg(not(feature = "teacher"))]
        String::new()
    }

    fn missing(&self, what: &str) -> Error {
        #[cfg(feature = "teacher")]
        return (self.end_col(), format!("expected {what} here{}", self.reads()));
        // (What is missing, in words, only where teachers write lessons: see `reads`.)
        #[cfg(not(feature = "teacher"))]
        {
            let _ = what;
            (self.end_col(), "the line is incomplete".to_string())
        }
    }

    /// The next token, whatever it is.
    pub fn next(&mut self, what: &str) -> Result<&'a Tok, Error> {
        let t = self.toks.get(self.i).ok_or_else(|| self.missing(what))?;
        self.i += 1;
        Ok(t)
    }

    /// The next token, parsed by `parse`; its error is placed at the token.
    pub fn value<T>(
        &mut self,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<(T, usize), Error> {
        let t = self.next(what)?;
        parse(&t.text).map(|v| (v, t.col)).map_err(|m| (t.col, m))
    }

    /// The keyword `kw` (any case).
    pub fn keyword(&mut self, kw: &str) -> Result<(), Error> {
        let t = self.next(&format!("`{kw}`"))?;
        if t.quoted || !t.text.eq_ignore_ascii_case(kw) {
            return Err((t.col, format!("expected `{kw}`, found `{}`{}", t.text, self.reads())));
        }
        Ok(())
    }

    /// The next token parsed by `parse`, if it parses (else nothing is consumed).
    pub fn value_if<T>(&mut self, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<(T, usize)> {
        let t = self.toks.get(self.i).filter(|t| !t.quoted)?;
        let v = parse(&t.text).ok()?;
        self.i += 1;
        Some((v, t.col))
    }

    /// The next token if it is quoted text (consumed), else nothing.
    #[cfg(feature = "imap")]
    pub fn next_quoted(&mut self) -> Option<&'a Tok> {
        let t = self.toks.get(self.i).filter(|t| t.quoted)?;
        self.i += 1;
        Some(t)
    }

    /// True (and consumes it) when the next token is the keyword `kw`.
    pub fn optional(&mut self, kw: &str) -> bool {
        match self.toks.get(self.i) {
            Some(t) if !t.quoted && t.text.eq_ignore_ascii_case(kw) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    /// A comma-separated list that may be written with spaces around the commas
    /// (`38,62`, `38, 62`, `a@x , b@y`): the parts and the column of the first.
    pub fn list(&mut self, what: &str) -> Result<(Vec<String>, usize), Error> {
        let first = self.next(what)?;
        let col = first.col;
        let mut joined = first.text.clone();
        while let Some(t) = self.toks.get(self.i) {
            if t.quoted || !(joined.ends_with(',') || t.text.starts_with(',')) {
                break;
            }
            joined.push_str(&t.text);
            self.i += 1;
        }
        Ok((joined.split(',').map(|s| s.trim().to_string()).collect(), col))
    }

    /// Nothing may follow.
    pub fn done(&self) -> Result<(), Error> {
        match self.toks.get(self.i) {
            None => Ok(()),
            Some(t) => Err((t.col, format!("unexpected `{}` at the end{}", t.text, self.reads()))),
        }
    }
}

/// A DNS name: letters, digits and hyphens in dot-separated labels (RFC 1035 §2.3.1,
/// digits first allowed by RFC 1123 §2.1). A final dot is allowed; the name is returned
/// in lower case (names compare case-insensitively, RFC 4343) without it.
pub fn dns_name(s: &str) -> Result<String, String> {
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.is_empty() {
        return Err(format!("expected a DNS name such as `mx.example.net`, found `{s}`"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("a DNS name is at most {MAX_NAME_LEN} characters (RFC 1035 §2.3.4)"));
    }
    if ipv4(name).is_ok() {
        return Err(format!("expected a DNS name such as `mx.example.net`, found the address `{s}`"));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!("`{s}` has an empty label: two dots in a row, or a dot at the start"));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(format!(
                "`{label}` is longer than {MAX_LABEL_LEN} characters, the limit of a label (RFC 1035 §2.3.4)"
            ));
        }
        if let Some(c) = label.chars().find(|c| !c.is_ascii_alphanumeric() && *c != '-') {
            return Err(format!(
                "`{c}` is not allowed in the DNS name `{s}`: use letters, digits, hyphens and dots"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "the label `{label}` of `{s}` may not start or end with a hyphen (RFC 1123 §2.1)"
            ));
        }
    }
    Ok(name.to_ascii_lowercase())
}

/// The owner name of a TXT record: a DNS name whose labels may also hold `_`, as the
/// names of SPF, DKIM and DMARC data do (`_dmarc.example.org`,
/// `mail._domainkey.example.org`; RFC 8552 §2).
pub fn record_name(s: &str) -> Result<String, String> {
    // Checked as a host name with each `_` read as a letter; the name itself is kept.
    dns_name(&s.replace('_', "u")).map_err(|e| e.replace(&s.replace('_', "u"), s))?;
    Ok(s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase())
}

/// The text of a TXT record: printable ASCII (RFC 7208 §3 and RFC 7489 §6.4 are ASCII),
/// at most [`MAX_TXT_LEN`] characters.
pub fn txt_text(s: &str) -> Result<String, String> {
    if s.len() > MAX_TXT_LEN {
        return Err(format!("a TXT record here is at most {MAX_TXT_LEN} characters"));
    }
    if let Some(c) = s.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(format!("{c:?} is not allowed in a TXT record: use printable ASCII"));
    }
    Ok(s.to_string())
}

/// The longest TXT text a description may write: room for an SPF record of many
/// mechanisms, far below DNS's own limit of 65535 octets of data (RFC 1035 §3.2.1).
pub const MAX_TXT_LEN: usize = 1000;

/// A dotted IPv4 address: four numbers 0..=255 without leading zeros.
pub fn ipv4(s: &str) -> Result<String, String> {
    let expected = || format!("expected an IPv4 address such as `192.0.2.25`, found `{s}`");
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return Err(expected());
    }
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(expected());
        }
        if p.len() > 1 && p.starts_with('0') {
            return Err(format!(
                "`{p}` in `{s}` has a leading zero, which some programs read as octal: write it without"
            ));
        }
        if p.parse::<u16>().map_or(true, |n| n > 255) {
            return Err(format!("`{p}` in `{s}` is more than 255, the largest part of an IPv4 address"));
        }
    }
    Ok(s.to_string())
}

/// A mailbox address `local@domain` (a dot-atom local part, RFC 5322 §3.4.1, and a DNS
/// name), in lower case.
pub fn address(s: &str) -> Result<String, String> {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err(format!("expected an address such as `bob@example.net`, found `{s}`"));
    };
    if local.is_empty() {
        return Err(format!("`{s}` has nothing before the `@`"));
    }
    if local.len() > MAX_LOCAL_PART_LEN {
        return Err(format!(
            "the part before `@` is at most {MAX_LOCAL_PART_LEN} characters (RFC 5321 §4.5.3.1.1)"
        ));
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if let Some(c) = local.chars().find(|&c| !atext(c) && c != '.') {
        return Err(format!("`{c}` is not allowed before the `@` in `{s}`"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(format!("the dots before the `@` in `{s}` must separate words (RFC 5322 §3.4.1)"));
    }
    let domain = dns_name(domain).map_err(|m| format!("after the `@`: {m}"))?;
    Ok(format!("{}@{domain}", local.to_ascii_lowercase()))
}

/// A duration: a whole number and a unit, `250ms`, `30s`, `5m`, `2h` or `1d`.
pub fn duration(s: &str) -> Result<SimDuration, String> {
    let expected = || format!("expected a duration such as `250ms`, `30s`, `5m`, `2h` or `1d`, found `{s}`");
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = s.split_at(digits);
    if number.is_empty() || number.len() > 12 {
        return Err(expected());
    }
    let n: u64 = number.parse().map_err(|_| expected())?;
    let micros_per = match unit.to_ascii_lowercase().as_str() {
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" | "min" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        "" => return Err(format!("`{s}` needs a unit: `{s}ms`, `{s}s`, `{s}m`, `{s}h` or `{s}d`")),
        _ => return Err(expected()),
    };
    match n.checked_mul(micros_per) {
        Some(us) if us <= MAX_TIME.0 => Ok(SimDuration(us)),
        _ => Err(format!("`{s}` is longer than 30 days, the longest time a description may use")),
    }
}

/// A whole number in `min..=max`; `what` names it in the error.
pub fn number(s: &str, what: &str, min: u64, max: u64) -> Result<u64, String> {
    let out_of_range = || format!("{what} is a whole number from {min} to {max}, found `{s}`");
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(out_of_range());
    }
    match s.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(out_of_range()),
    }
}

/// A loss rate: a whole percentage `0%`..=`100%` (the `%` may be left out).
pub fn percent(s: &str) -> Result<u8, String> {
    let n = s.strip_suffix('%').unwrap_or(s);
    number(n, "a loss rate", 0, 100)
        .map(|n| n as u8)
        .map_err(|_| format!("expected a whole percentage from 0% to 100% such as `10%`, found `{s}`"))
}

/// An enhanced status code `class.subject.detail` (RFC 3463 §2): class 2, 4 or 5,
/// subject and detail 0..=999 without leading zeros.
pub fn enhanced(s: &str) -> Result<(u8, String), String> {
    let expected = || format!("expected an enhanced status code such as `4.7.1` (RFC 3463), found `{s}`");
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 3 {
        return Err(expected());
    }
    for p in &parts {
        if p.is_empty()
            || p.len() > 3
            || !p.bytes().all(|b| b.is_ascii_digit())
            || (p.len() > 1 && p.starts_with('0'))
        {
            return Err(expected());
        }
    }
    match parts[0] {
        "2" | "4" | "5" => Ok((parts[0].as_bytes()[0] - b'0', s.to_string())),
        _ => Err(format!(
            "the class of `{s}` must be 2 (success), 4 (temporary failure) or 5 (permanent failure) (RFC 3463 §3.1)"
        )),
    }
}

/// Longer words get no "did you mean" hint: comparing them costs more than it helps.
const HINT_MAX_LEN: usize = 64;

/// The closest of `words` to `w`, when it is a likely typo (edit distance at most 2).
pub fn did_you_mean<'w>(w: &str, words: &[&'w str]) -> Option<&'w str> {
    let w = w.to_ascii_lowercase();
    words
        .iter()
        // Two edits change the length by two at most: skip the rest (and long words).
        .filter(|k| w.len() <= HINT_MAX_LEN && k.len().abs_diff(w.len()) <= 2)
        .map(|k| (distance(&w, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// " (did you mean `word`?)" when `w` is a likely typo of one of `words`, else nothing: to
/// put after the unknown word in an error message.
pub fn typo_hint(w: &str, words: &[&str]) -> String {
    did_you_mean(w, words).map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default()
}

/// Levenshtein distance, for short words.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Result<Vec<(String, usize, bool)>, Error> {
        lex(line).map(|ts| ts.into_iter().map(|t| (t.text, t.col, t.quoted)).collect())
    }

    #[test]
    fn lexing() {
        let s = |x: &str| x.to_string();
        let cases: &[(&str, Result<Vec<(String, usize, bool)>, Error>)] = &[
            ("", Ok(vec![])),
            ("   # only a comment", Ok(vec![])),
            ("host a\tb", Ok(vec![(s("host"), 1, false), (s("a"), 6, false), (s("b"), 8, false)])),
            (
                "x \"Alice's \\\"provider\\\\\" y",
                Ok(vec![(s("x"), 1, false), (s("Alice's \"provider\\"), 3, true), (s("y"), 26, false)]),
            ),
            ("a#b # comment", Ok(vec![(s("a#b"), 1, false)])),
            ("x \"# not a comment\"", Ok(vec![(s("x"), 1, false), (s("# not a comment"), 3, true)])),
            ("é \"ü\"", Ok(vec![(s("é"), 1, false), (s("ü"), 3, true)])),
            ("x \"open", Err((3, s("this quote is not closed: end the text with `\"` on the same line")))),
            (
                "x \"a\\nb\"",
                Err((5, s("unknown escape `\\n`: inside quotes only `\\\"` and `\\\\` are escapes"))),
            ),
            ("x \"a\"b", Err((6, s("put a space after the closing quote")))),
            ("ab\"c\"", Err((3, s("a quote may only start a value: put a space before it")))),
            ("a\u{7}b", Err((2, s("the control character U+0007 is not allowed here")))),
            ("x \"a\rb\"", Err((5, s("the control character U+000D is not allowed here")))),
        ];
        for (line, want) in cases {
            assert_eq!(&words(line), want, "{line:?}");
        }
        #[cfg(feature = "teacher")]
        let cases: &[(&str, Result<Vec<(String, usize, bool)>, Error>)] = &[
            // A word processor's quotes, and its spaces that do not break.
            (
                "host a mail \u{201C}School mail\u{201D} at 1,2",
                Err((
                    13,
                    s("`\u{201C}` is a curly quote: type a straight one, `\"`, on both sides of the text"),
                )),
            ),
            (
                "x \"\u{201C}fine\u{201D} inside\"",
                Ok(vec![(s("x"), 1, false), (s("\u{201C}fine\u{201D} inside"), 3, true)]),
            ),
            (
                "host\u{A0}b c",
                Err((
                    5,
                    s("a non-breaking space (copied from a web page or a document?): type a plain space"),
                )),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(&words(line), want, "{line:?}");
        }
    }

    #[test]
    fn values() {
        assert_eq!(dns_name("MX.Example.NET."), Ok("mx.example.net".into()));
        assert_eq!(dns_name("3com.example"), Ok("3com.example".into()));
        for bad in ["", ".", "a..b", "-a.b", "a-.b", "a_b.c", "192.0.2.1", &"a".repeat(64), &"a.".repeat(130)]
        {
            assert!(dns_name(bad).is_err(), "{bad}");
        }
        assert_eq!(ipv4("192.0.2.25"), Ok("192.0.2.25".into()));
        for bad in ["192.0.2", "192.0.2.256", "192.0.2.025", "1.2.3.4.5", "a.b.c.d", "1..2.3", "+1.2.3.4"] {
            assert!(ipv4(bad).is_err(), "{bad}");
        }
        assert_eq!(address("Bob@Example.NET"), Ok("bob@example.net".into()));
        assert_eq!(address("o'neil+x@example.net"), Ok("o'neil+x@example.net".into()));
        for bad in ["bob", "@example.net", "bob@", "b..b@x.y", ".b@x.y", "b(c)@x.y", "bob@x_y"] {
            assert!(address(bad).is_err(), "{bad}");
        }
        let ms = |n| Ok(SimDuration::from_millis(n));
        assert_eq!(duration("250ms"), ms(250));
        assert_eq!(duration("30s"), ms(30_000));
        assert_eq!(duration("5m"), ms(300_000));
        assert_eq!(duration("2H"), ms(7_200_000));
        assert_eq!(duration("1d"), ms(86_400_000));
        assert_eq!(duration("0s"), ms(0));
        assert_eq!(duration("30"), Err("`30` needs a unit: `30ms`, `30s`, `30m`, `30h` or `30d`".into()));
        for bad in ["", "s", "1.5s", "-1s", "1w", "31d", "99999999999999999999s", "1 s"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        assert_eq!(percent("10%"), Ok(10));
        assert_eq!(percent("100"), Ok(100));
        assert!(percent("101%").is_err() && percent("2.5%").is_err() && percent("%").is_err());
        assert_eq!(enhanced("4.7.1"), Ok((4, "4.7.1".into())));
        for bad in ["3.0.0", "4.7", "4.07.1", "4.7.1000", "x.y.z", "4..1"] {
            assert!(enhanced(bad).is_err(), "{bad}");
        }
        assert_eq!(number("65535", "a preference", 0, 65_535), Ok(65_535));
        assert!(number("65536", "a preference", 0, 65_535).is_err());
        assert!(number("-1", "a preference", 0, 65_535).is_err());
    }

    #[test]
    fn typos() {
        let words = ["host", "service", "mx", "a"];
        assert_eq!(did_you_mean("hots", &words), Some("host"));
        assert_eq!(did_you_mean("SERVCE", &words), Some("service"));
        assert_eq!(did_you_mean("zebra", &words), None);
        assert_eq!(typo_hint("hots", &words), " (did you mean `host`?)");
        assert_eq!(typo_hint("zebra", &words), "");
    }

    #[test]
    fn lists_join_around_commas() {
        let toks = lex("at 38, 62 x").unwrap();
        let mut c = Cursor::new(&toks, "");
        assert_eq!(c.list("X,Y"), Ok((vec!["38".into(), "62".into()], 4)));
        assert!(c.done().is_err());
        let toks = lex("to a@x.y ,b@x.y").unwrap();
        let mut c = Cursor::new(&toks, "");
        assert_eq!(c.list("ADDR").map(|l| l.0), Ok(vec!["a@x.y".into(), "b@x.y".into()]));
        assert!(c.done().is_ok());
    }
}
