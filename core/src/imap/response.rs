//! What an IMAP server sends, read by the client (RFC 3501 §7, grammar §9).
//!
//! [`Reader`] cuts the byte stream into whole responses: a response is a line, unless the
//! line ends in a literal `{n}`, in which case n octets follow and the response goes on
//! after them (RFC 3501 §4.3: a FETCH of a body is one response with the message inside).
//! [`parse`] then reads one response into a [`Response`]. The grammar is read generously
//! (a server's data the client does not use is kept as [`Value`]s), but nothing makes it
//! panic, recurse without bound or hold more than its limits.

use crate::trace::ImapCondition;

/// The longest response line the client reads, literals not counted: 64 KiB (our choice;
/// RFC 3501 sets no limit, and the longest lines a server sends are FETCH responses whose
/// long strings come as literals).
pub const MAX_RESPONSE_LINE: usize = 64 * 1024;
/// The largest literal the client reads: a message of 10 MiB, as the POP3 client
/// downloads ([`crate::pop3::client::MAX_MESSAGE`]).
pub const MAX_LITERAL: usize = 10 * 1024 * 1024;
/// The most one response may hold, lines and literals together: one message-sized
/// literal and a few lines.
pub const MAX_RESPONSE: usize = MAX_LITERAL + 4 * MAX_RESPONSE_LINE;
/// Deepest nesting of parentheses read (our choice: ENVELOPE needs 2, BODYSTRUCTURE a few
/// per MIME level; it bounds the parser's recursion).
pub const MAX_DEPTH: usize = 32;

/// Why the byte stream cannot be read as responses: the client stops trusting the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    LineTooLong,
    LiteralTooBig,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::LineTooLong => write!(f, "a response line over {MAX_RESPONSE_LINE} octets"),
            ReadError::LiteralTooBig => write!(f, "a response over {MAX_RESPONSE} octets"),
        }
    }
}

/// Cuts the input into responses. Holds at most [`MAX_RESPONSE`] octets.
#[derive(Clone, Debug, Default)]
pub struct Reader {
    /// The response so far: lines (CRLF inside, after a literal's `{n}`) and literals.
    buf: Vec<u8>,
    /// Where the line being read starts in `buf`.
    line_start: usize,
    /// Octets of a literal still to read into `buf`.
    literal: usize,
    /// After an error nothing more is read.
    broken: bool,
}

impl Reader {
    /// The octets held, against [`MAX_RESPONSE`].
    pub fn held(&self) -> usize {
        self.buf.len()
    }

    /// The next whole response (without its final CRLF), consuming what it used of
    /// `input`; `None` when more input is needed. A line ended by a bare LF is taken as
    /// ended (as Python's imaplib does).
    pub fn next(&mut self, input: &mut &[u8]) -> Option<Result<Vec<u8>, ReadError>> {
        loop {
            if self.broken {
                *input = &[];
                return None;
            }
            if self.literal > 0 {
                let n = input.len().min(self.literal);
                self.buf.extend_from_slice(&input[..n]);
                self.literal -= n;
                *input = &input[n..];
                if self.literal > 0 {
                    return None;
                }
                self.line_start = self.buf.len();
                continue;
            }
            let lf = input.iter().position(|&b| b == b'\n');
            let chunk = &input[..lf.unwrap_or(input.len())];
            *input = &input[lf.map_or(input.len(), |p| p + 1)..];
            if self.buf.len() - self.line_start + chunk.len() > MAX_RESPONSE_LINE {
                return Some(Err(self.fail(ReadError::LineTooLong)));
            }
            self.buf.extend_from_slice(chunk);
            lf?;
            if self.buf.len() > self.line_start && self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            match literal_at_end(&self.buf[self.line_start..]) {
                None => {
                    self.line_start = 0;
                    return Some(Ok(std::mem::take(&mut self.buf)));
                }
                Some(n)
                    if n <= MAX_LITERAL as u64 && self.buf.len() as u64 + 2 + n <= MAX_RESPONSE as u64 =>
                {
                    self.buf.extend_from_slice(b"\r\n");
                    self.literal = n as usize;
                    self.line_start = self.buf.len();
                    if n == 0 {
                        continue;
                    }
                }
                Some(_) => return Some(Err(self.fail(ReadError::LiteralTooBig))),
            }
        }
    }

    fn fail(&mut self, e: ReadError) -> ReadError {
        self.broken = true;
        self.buf = Vec::new();
        e
    }
}

/// The size of the literal `{n}` at the end of a line (a number too long to count is
/// `u64::MAX`, which no limit lets through).
fn literal_at_end(line: &[u8]) -> Option<u64> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    (!digits.is_empty() && digits.iter().all(u8::is_ascii_digit))
        .then(|| std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()).unwrap_or(u64::MAX))
}

/// One value of a response (RFC 3501 §9): an atom or number, a string (quoted or a
/// literal), NIL, or a parenthesised list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An atom, a number or a flag (`\Seen`), as written; `BODY[]` is one atom.
    Atom(String),
    Str(Vec<u8>),
    Nil,
    List(Vec<Value>),
}

impl Value {
    pub fn atom(&self) -> Option<&str> {
        match self {
            Value::Atom(a) => Some(a),
            _ => None,
        }
    }

    pub fn number(&self) -> Option<u32> {
        self.atom()?.parse().ok()
    }

    /// A string or an atom as text (an astring, RFC 3501 §9); NIL is `None`.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Atom(a) => Some(a.clone()),
            Value::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
            _ => None,
        }
    }

    pub fn list(&self) -> &[Value] {
        match self {
            Value::List(l) => l,
            _ => &[],
        }
    }
}

/// One whole server response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// `+ text`: go on (RFC 3501 §7.5).
    Continue(String),
    /// `tag OK [code] text`, or untagged `* OK|NO|BAD|BYE|PREAUTH [code] text` (§7.1).
    /// `code` is what is inside the brackets (`UIDVALIDITY 3`).
    Status { tag: Option<String>, cond: ImapCondition, code: Option<String>, text: String },
    /// `* n EXISTS`, `* n RECENT`, `* n EXPUNGE` (§7.3.1, §7.3.2, §7.4.1); name upper case.
    Count { n: u32, name: String },
    /// `* n FETCH (name value ...)` (§7.4.2); names upper case.
    Fetch { seq: u32, items: Vec<(String, Value)> },
    /// Any other untagged data: `* CAPABILITY ...`, `* LIST ...`, `* FLAGS ...` (§7.2).
    Data { name: String, values: Vec<Value> },
}

/// Reads values from one response.
struct Values<'a> {
    b: &'a [u8],
    i: usize,
}

impl Values<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    /// An atom: up to a space, a parenthesis or a quote; `[...]` inside it is part of it
    /// (`BODY[HEADER.FIELDS (FROM)]`, RFC 3501 §7.4.2).
    fn atom(&mut self) -> Option<String> {
        let start = self.i;
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'(' | b')' | b'"' | b'{' | b'\r' | b'\n' => break,
                b'[' => {
                    let close = self.b[self.i..].iter().position(|&c| c == b']')?;
                    self.i += close + 1;
                }
                _ => self.i += 1,
            }
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.b[start..self.i]).into_owned())
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        self.spaces();
        match self.peek()? {
            b'(' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                let mut list = Vec::new();
                loop {
                    self.spaces();
                    if self.peek()? == b')' {
                        self.i += 1;
                        return Some(Value::List(list));
                    }
                    list.push(self.value(depth + 1)?);
                }
            }
            b'"' => {
                self.i += 1;
                let mut s = Vec::new();
                loop {
                    match self.peek()? {
                        b'"' => break,
                        b'\\' => {
                            self.i += 1;
                            s.push(self.peek()?);
                        }
                        b => s.push(b),
                    }
                    self.i += 1;
                }
                self.i += 1;
                Some(Value::Str(s))
            }
            b'{' => {
                let close = self.b[self.i..].iter().position(|&c| c == b'}')?;
                let n: usize = std::str::from_utf8(&self.b[self.i + 1..self.i + close]).ok()?.parse().ok()?;
                let start = self.i + close + 1 + 2;
                if self.b.get(self.i + close + 1..start)? != b"\r\n" {
                    return None;
                }
                let s = self.b.get(start..start.checked_add(n)?)?.to_vec();
                self.i = start + n;
                Some(Value::Str(s))
            }
            _ => {
                let a = self.atom()?;
                Some(if a.eq_ignore_ascii_case("NIL") { Value::Nil } else { Value::Atom(a) })
            }
        }
    }

    /// Values up to the end.
    fn rest(&mut self) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            self.spaces();
            if self.peek().is_none() {
                return Some(out);
            }
            out.push(self.value(0)?);
        }
    }
}

fn condition(word: &str) -> Option<ImapCondition> {
    Some(match word.to_ascii_uppercase().as_str() {
        "OK" => ImapCondition::Ok,
        "NO" => ImapCondition::No,
        "BAD" => ImapCondition::Bad,
        "PREAUTH" => ImapCondition::Preauth,
        "BYE" => ImapCondition::Bye,
        _ => return None,
    })
}

/// Reads one response (as [`Reader`] cut it). `None` when it is not a response at all.
pub fn parse(bytes: &[u8]) -> Option<Response> {
    if let Some(rest) = bytes.strip_prefix(b"+") {
        let text = rest.strip_prefix(b" ").unwrap_or(rest);
        return Some(Response::Continue(String::from_utf8_lossy(text).into_owned()));
    }
    let space = bytes.iter().position(|&b| b == b' ')?;
    let (tag, rest) = (&bytes[..space], &bytes[space + 1..]);
    let word_end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    let word = std::str::from_utf8(&rest[..word_end]).ok()?;
    let after = rest.get(word_end + 1..).unwrap_or_default();
    if tag.is_empty() || tag.iter().any(|b| b.is_ascii_control()) {
        return None;
    }
    if let Some(cond) = condition(word) {
        let text = String::from_utf8_lossy(after);
        let (code, text) = match text.strip_prefix('[').and_then(|t| t.split_once(']')) {
            Some((code, text)) => (Some(code.to_string()), text.trim_start().to_string()),
            None => (None, text.into_owned()),
        };
        let tag = (tag != b"*").then(|| String::from_utf8_lossy(tag).into_owned());
        return Some(Response::Status { tag, cond, code, text });
    }
    if tag != b"*" {
        return None;
    }
    let mut v = Values { b: after, i: 0 };
    if let Ok(n) = word.parse::<u32>() {
        let name =
            std::str::from_utf8(&after[..after.iter().position(|&b| b == b' ').unwrap_or(after.len())])
                .ok()?
                .to_ascii_uppercase();
        if name == "FETCH" {
            v.i = name.len();
            let list = v.value(0)?;
            let Value::List(list) = list else { return None };
            let mut items = Vec::new();
            let mut it = list.into_iter();
            while let Some(name) = it.next() {
                items.push((name.atom()?.to_ascii_uppercase(), it.next()?));
            }
            return Some(Response::Fetch { seq: n, items });
        }
        return Some(Response::Count { n, name });
    }
    Some(Response::Data { name: word.to_ascii_uppercase(), values: v.rest()? })
}

/// `CODE args` split at the first space, the code upper case (`APPENDUID 7 3`).
pub fn split_code(code: &str) -> (String, &str) {
    let (name, args) = code.split_once(' ').unwrap_or((code, ""));
    (name.to_ascii_uppercase(), args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8], chunk: usize) -> Vec<Result<Vec<u8>, ReadError>> {
        let mut r = Reader::default();
        let mut out = Vec::new();
        for mut part in input.chunks(chunk.max(1)) {
            while let Some(x) = r.next(&mut part) {
                out.push(x);
            }
        }
        out
    }

    #[test]
    fn responses_are_cut_at_line_ends_with_literals_inside() {
        let wire = b"* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\na1 OK done\r\n* 2 EXISTS\n";
        let want: Vec<Result<Vec<u8>, ReadError>> = vec![
            Ok(b"* 1 FETCH (BODY[] {5}\r\nab\r\nc)".to_vec()),
            Ok(b"a1 OK done".to_vec()),
            Ok(b"* 2 EXISTS".to_vec()),
        ];
        // Whatever the segments, the same responses.
        for chunk in [1, 2, 3, 7, wire.len()] {
            assert_eq!(read_all(wire, chunk), want, "chunk {chunk}");
        }
        // An empty literal.
        assert_eq!(
            read_all(b"* 1 FETCH (BODY[] {0}\r\n)\r\n", 4),
            vec![Ok(b"* 1 FETCH (BODY[] {0}\r\n)".to_vec())]
        );
    }

    #[test]
    fn limits_hold_whatever_arrives() {
        let huge = format!("* 1 FETCH (BODY[] {{{}}}\r\n", MAX_LITERAL + 1);
        assert_eq!(read_all(huge.as_bytes(), 64), vec![Err(ReadError::LiteralTooBig)]);
        let absurd = b"* 1 FETCH (BODY[] {99999999999999999999999}\r\n";
        assert_eq!(read_all(absurd, 64), vec![Err(ReadError::LiteralTooBig)]);
        let mut r = Reader::default();
        let long = vec![b'x'; MAX_RESPONSE_LINE + 10];
        let mut input = &long[..];
        assert_eq!(r.next(&mut input), Some(Err(ReadError::LineTooLong)));
        // Broken: the rest is ignored, nothing is held.
        let mut more: &[u8] = b"a1 OK\r\n";
        assert_eq!(r.next(&mut more), None);
        assert_eq!(r.held(), 0);
        // A literal announced and not yet sent holds what came, never more than announced.
        let mut r = Reader::default();
        let mut input: &[u8] = b"* 1 FETCH (BODY[] {10}\r\n12345";
        assert_eq!(r.next(&mut input), None);
        assert!(r.held() < 40);
    }

    #[test]
    fn responses_parse() {
        use ImapCondition::*;
        let status = |tag: Option<&str>, cond, code: Option<&str>, text: &str| Response::Status {
            tag: tag.map(str::to_string),
            cond,
            code: code.map(str::to_string),
            text: text.into(),
        };
        let cases: Vec<(&[u8], Option<Response>)> = vec![
            (b"+ Ready for literal data", Some(Response::Continue("Ready for literal data".into()))),
            (b"+", Some(Response::Continue(String::new()))),
            (
                b"a1 OK [READ-WRITE] SELECT completed",
                Some(status(Some("a1"), Ok, Some("READ-WRITE"), "SELECT completed")),
            ),
            (b"* OK [UIDVALIDITY 3] UIDs valid", Some(status(None, Ok, Some("UIDVALIDITY 3"), "UIDs valid"))),
            (
                b"a2 no [AUTHENTICATIONFAILED] invalid",
                Some(status(Some("a2"), No, Some("AUTHENTICATIONFAILED"), "invalid")),
            ),
            (b"* BYE logging out", Some(status(None, Bye, None, "logging out"))),
            (b"* 3 EXISTS", Some(Response::Count { n: 3, name: "EXISTS".into() })),
            (b"* 1 expunge", Some(Response::Count { n: 1, name: "EXPUNGE".into() })),
            (
                b"* CAPABILITY IMAP4rev1 IDLE",
                Some(Response::Data {
                    name: "CAPABILITY".into(),
                    values: vec![Value::Atom("IMAP4rev1".into()), Value::Atom("IDLE".into())],
                }),
            ),
            (
                b"* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
                Some(Response::Data {
                    name: "LIST".into(),
                    values: vec![
                        Value::List(vec![
                            Value::Atom("\\HasNoChildren".into()),
                            Value::Atom("\\Sent".into()),
                        ]),
                        Value::Str(b"/".to_vec()),
                        Value::Atom("Sent".into()),
                    ],
                }),
            ),
            (
                b"* 2 FETCH (UID 7 FLAGS (\\Seen) BODY[] {3}\r\nhi\n RFC822.SIZE 3 X \"a\\\"b\" Y NIL)",
                Some(Response::Fetch {
                    seq: 2,
                    items: vec![
                        ("UID".into(), Value::Atom("7".into())),
                        ("FLAGS".into(), Value::List(vec![Value::Atom("\\Seen".into())])),
                        ("BODY[]".into(), Value::Str(b"hi\n".to_vec())),
                        ("RFC822.SIZE".into(), Value::Atom("3".into())),
                        ("X".into(), Value::Str(b"a\"b".to_vec())),
                        ("Y".into(), Value::Nil),
                    ],
                }),
            ),
            (
                b"* 1 FETCH (BODY[HEADER.FIELDS (FROM)] NIL)",
                Some(Response::Fetch {
                    seq: 1,
                    items: vec![("BODY[HEADER.FIELDS (FROM)]".into(), Value::Nil)],
                }),
            ),
            // Not responses, or broken ones.
            (b"", None),
            (b"hello", None),
            (b"a1 FETCH x", None),
            (b"* 1 FETCH (UID)", None),
            (b"* 1 FETCH (UID \"unterminated)", None),
            (b"* 1 FETCH (BODY[] {9}\r\nab)", None),
            (b"* 1 FETCH UID 1", None),
            (b"* X (((", None),
        ];
        for (wire, want) in cases {
            assert_eq!(parse(wire), want, "{}", String::from_utf8_lossy(wire));
        }
        // Nesting is bounded.
        let deep = format!("* X {}", "(".repeat(10_000));
        assert_eq!(parse(deep.as_bytes()), None);
        let ok = format!("* X {}{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_some());
        assert_eq!(split_code("appenduid 7 3"), ("APPENDUID".to_string(), "7 3"));
    }
}
