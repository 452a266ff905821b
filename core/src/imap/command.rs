//! IMAP command framing and parsing (RFC 3501 §2.2, §9; RFC 9051 where they agree;
//! literals per RFC 7888).
//!
//! [`Framer`] cuts the byte stream into whole commands: a command is a line, unless the
//! line ends in a literal `{n}` / `{n+}`, in which case n octets follow and the command
//! goes on after them (RFC 3501 §4.3). [`parse`] then reads one whole command, literals
//! inline, against the grammar of RFC 3501 §9 for the subset this server offers.
//!
//! Written here rather than taken from `imap-codec` because the web app's wasm has a
//! first-load budget; `imap-codec` is the oracle of a differential test instead
//! (`tests` below). Every error says what was expected, so the `BAD` teaches.

use crate::store::{FlagOp, InternalDate};
use crate::time::MONTHS;
/// The three-letter English month names IMAP dates use (RFC 3501 §9 date-month).
pub use crate::time::month_name;

/// The longest command line, CRLF included: RFC 7162 §4 asks servers to accept lines of
/// at least 8000 octets and clients to stay under 8192. Longer lines are discarded to
/// their end and answered `BAD`.
pub const MAX_LINE: usize = 8192;
/// The largest literal accepted in general: 4096 octets, the bound of non-synchronising
/// literals under LITERAL- (RFC 7888 §5, part of IMAP4rev2: RFC 9051 §4.3).
pub const MAX_LITERAL: usize = 4096;
/// The largest synchronising literal `{n}` that carries APPEND's message: as large as a
/// message SMTP takes ([`crate::smtp::MAX_MESSAGE_SIZE`]). RFC 7888 §5 bounds only the
/// non-synchronising literals; a synchronising one is sent only after our `+`, so the
/// client of a Sent or Drafts folder can file real mail. One such literal a command.
pub const MAX_APPEND: usize = crate::smtp::MAX_MESSAGE_SIZE;
/// The most one command may hold, lines and literals together (our choice: two full
/// literals and a line).
pub const MAX_COMMAND: usize = MAX_LINE + 2 * MAX_LITERAL;
/// Deepest nesting of SEARCH parentheses, NOT and OR (our choice: it bounds the parser's
/// recursion; no real client nests deeper than a few levels).
pub const MAX_DEPTH: usize = 16;

/// One parsed command with its tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tagged {
    pub tag: String,
    pub command: Command,
}

/// A sequence number or UID in a set: a number, or `*`, the largest in use (RFC 3501 §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqNum {
    Value(u32),
    Star,
}

/// A sequence set: ranges, each `(a, b)` in either order (`4:2` is `2:4`, RFC 3501 §9).
pub type SeqSet = Vec<(SeqNum, SeqNum)>;

/// The commands of the subset (RFC 3501 §6, MOVE RFC 6851, IDLE RFC 2177, UNSELECT
/// RFC 3691, UID EXPUNGE RFC 4315).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Capability,
    /// `STARTTLS` (RFC 3501 §6.2.1).
    StartTls,
    Noop,
    Logout,
    Login {
        user: String,
        password: String,
    },
    /// `AUTHENTICATE mechanism [initial-response]` (RFC 3501 §6.2.2, SASL-IR RFC 4959).
    Authenticate {
        mechanism: String,
        initial: Option<String>,
    },
    List {
        reference: String,
        pattern: String,
    },
    Lsub {
        reference: String,
        pattern: String,
    },
    Create(String),
    Delete(String),
    Rename {
        from: String,
        to: String,
    },
    Subscribe(String),
    Unsubscribe(String),
    Status {
        mailbox: String,
        items: Vec<StatusItem>,
    },
    Select(String),
    Examine(String),
    Check,
    Close,
    Unselect,
    Expunge,
    /// `UID EXPUNGE set` (RFC 4315 §2.1).
    UidExpunge(SeqSet),
    Search {
        uid: bool,
        charset: Option<String>,
        keys: Vec<SearchKey>,
    },
    Fetch {
        uid: bool,
        set: SeqSet,
        items: Vec<FetchItem>,
    },
    Store {
        uid: bool,
        set: SeqSet,
        op: FlagOp,
        silent: bool,
        flags: Vec<String>,
    },
    Copy {
        uid: bool,
        set: SeqSet,
        mailbox: String,
    },
    Move {
        uid: bool,
        set: SeqSet,
        mailbox: String,
    },
    Append {
        mailbox: String,
        flags: Vec<String>,
        /// The date-time given (RFC 3501 §6.3.11), in the zone it was written in.
        date: Option<InternalDate>,
        message: Vec<u8>,
    },
    Idle,
}

impl Command {
    /// The command's name, upper case (`UID FETCH` for the UID variants).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Capability => "CAPABILITY",
            Command::StartTls => "STARTTLS",
            Command::Noop => "NOOP",
            Command::Logout => "LOGOUT",
            Command::Login { .. } => "LOGIN",
            Command::Authenticate { .. } => "AUTHENTICATE",
            Command::List { .. } => "LIST",
            Command::Lsub { .. } => "LSUB",
            Command::Create(_) => "CREATE",
            Command::Delete(_) => "DELETE",
            Command::Rename { .. } => "RENAME",
            Command::Subscribe(_) => "SUBSCRIBE",
            Command::Unsubscribe(_) => "UNSUBSCRIBE",
            Command::Status { .. } => "STATUS",
            Command::Select(_) => "SELECT",
            Command::Examine(_) => "EXAMINE",
            Command::Check => "CHECK",
            Command::Close => "CLOSE",
            Command::Unselect => "UNSELECT",
            Command::Expunge => "EXPUNGE",
            Command::UidExpunge(_) => "UID EXPUNGE",
            Command::Search { uid: false, .. } => "SEARCH",
            Command::Search { uid: true, .. } => "UID SEARCH",
            Command::Fetch { uid: false, .. } => "FETCH",
            Command::Fetch { uid: true, .. } => "UID FETCH",
            Command::Store { uid: false, .. } => "STORE",
            Command::Store { uid: true, .. } => "UID STORE",
            Command::Copy { uid: false, .. } => "COPY",
            Command::Copy { uid: true, .. } => "UID COPY",
            Command::Move { uid: false, .. } => "MOVE",
            Command::Move { uid: true, .. } => "UID MOVE",
            Command::Append { .. } => "APPEND",
            Command::Idle => "IDLE",
        }
    }
}

/// A STATUS data item (RFC 3501 §6.3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusItem {
    Messages,
    Recent,
    UidNext,
    UidValidity,
    Unseen,
}

impl StatusItem {
    pub fn name(self) -> &'static str {
        match self {
            StatusItem::Messages => "MESSAGES",
            StatusItem::Recent => "RECENT",
            StatusItem::UidNext => "UIDNEXT",
            StatusItem::UidValidity => "UIDVALIDITY",
            StatusItem::Unseen => "UNSEEN",
        }
    }
}

/// What a FETCH asks for (RFC 3501 §6.4.5); the macros ALL, FAST and FULL are expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchItem {
    Flags,
    Uid,
    InternalDate,
    Rfc822Size,
    Envelope,
    /// `BODY`: the body structure without extension data.
    Body,
    BodyStructure,
    /// `BODY[section]<partial>` or `BODY.PEEK[...]`.
    Section {
        peek: bool,
        section: Section,
        partial: Option<(u32, u32)>,
    },
    /// `RFC822`: `BODY[]`, reported under its own name.
    Rfc822,
    /// `RFC822.HEADER`: `BODY.PEEK[HEADER]`.
    Rfc822Header,
    /// `RFC822.TEXT`: `BODY[TEXT]`.
    Rfc822Text,
}

/// A body section: part numbers, then what of that part (RFC 3501 §6.4.5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub part: Vec<u32>,
    pub text: Option<SectionText>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionText {
    Header,
    /// `HEADER.FIELDS (...)`, or `.NOT` when `not`.
    HeaderFields {
        not: bool,
        fields: Vec<String>,
    },
    Text,
    Mime,
}

/// A SEARCH key (RFC 3501 §6.4.4). Dates are days since 1970-01-01.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchKey {
    All,
    /// Messages with (`true`) or without (`false`) this flag.
    Flag(crate::store::Flags, bool),
    New,
    Old,
    Recent,
    /// `KEYWORD`/`UNKEYWORD`: this server keeps no keywords.
    Keyword(String, bool),
    /// `FROM`, `TO`, `CC`, `BCC`, `SUBJECT`, `HEADER name value`: the field contains it.
    Header(String, String),
    Body(String),
    Text(String),
    /// Internal date before, on, since a day.
    Before(i64),
    On(i64),
    Since(i64),
    /// The Date: header before, on, since a day.
    SentBefore(i64),
    SentOn(i64),
    SentSince(i64),
    Larger(u32),
    Smaller(u32),
    Uid(SeqSet),
    Seq(SeqSet),
    Not(Box<SearchKey>),
    Or(Box<SearchKey>, Box<SearchKey>),
    And(Vec<SearchKey>),
}

/// Why a command could not be read: its tag (if one could be read) and what was
/// expected, for the `BAD` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub tag: Option<String>,
    pub text: String,
}

/// The tag at the start of `bytes`, if it has one: 1*(ASTRING-CHAR except "+") before a
/// space (RFC 3501 §9 `tag`). Used to answer a command that could not be read.
pub fn tag_of(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|&b| !is_astring_char(b) || b == b'+')?;
    (end > 0 && bytes[end] == b' ').then(|| String::from_utf8_lossy(&bytes[..end]).into_owned())
}

/// True when `bytes` is a whole command typed without its tag (`LOGIN bob secret`): read
/// from its first word it is a command, read after a tag it is not.
pub fn without_tag(bytes: &[u8]) -> bool {
    let read_after_tag = |tag: String| (Parser { s: bytes, i: tag.len() + 1, depth: 0 }).command().is_ok();
    // A word alone (`NOOP`) has no tag at all: no space after it.
    !tag_of(bytes).is_some_and(read_after_tag) && whole_without_tag(bytes)
}

fn whole_without_tag(bytes: &[u8]) -> bool {
    (Parser { s: bytes, i: 0, depth: 0 }).command().is_ok()
}

/// The command word after the tag, upper case, or `""`. For the trace. A command typed
/// without its tag is named by its own first word (`LOGIN`, not `BOB` from the address
/// after it).
pub fn verb_of(bytes: &[u8]) -> String {
    let rest = match tag_of(bytes) {
        _ if without_tag(bytes) => bytes,
        Some(tag) => &bytes[tag.len() + 1..],
        None => return String::new(),
    };
    let word: Vec<u8> = rest.iter().take_while(|b| b.is_ascii_alphabetic()).copied().take(16).collect();
    let mut verb = String::from_utf8_lossy(&word).to_ascii_uppercase();
    if verb == "UID" {
        let next = &rest[3..];
        if next.first() == Some(&b' ') {
            let w: Vec<u8> =
                next[1..].iter().take_while(|b| b.is_ascii_alphabetic()).copied().take(16).collect();
            verb.push(' ');
            verb.push_str(&String::from_utf8_lossy(&w).to_ascii_uppercase());
        }
    }
    verb
}

// ----- character classes (RFC 3501 §9) -----

/// ATOM-CHAR: any CHAR except atom-specials (`(){ `, CTL, `%*`, `"\`, `]`).
fn is_atom_char(b: u8) -> bool {
    (0x21..0x7f).contains(&b) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// ASTRING-CHAR: ATOM-CHAR or `]`.
fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// list-char: ATOM-CHAR, list-wildcards or resp-specials.
fn is_list_char(b: u8) -> bool {
    is_atom_char(b) || matches!(b, b'%' | b'*' | b']')
}

// ----- the parser -----

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

type R<T> = Result<T, String>;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8, what: &str) -> R<()> {
        if self.eat(b) { Ok(()) } else { Err(format!("expected {what}")) }
    }

    fn sp(&mut self) -> R<()> {
        self.expect(b' ', "a single space")
    }

    /// Case-insensitive keyword `word` next.
    fn keyword(&mut self, word: &str) -> bool {
        let n = word.len();
        if self.s.len() >= self.i + n && self.s[self.i..self.i + n].eq_ignore_ascii_case(word.as_bytes()) {
            self.i += n;
            true
        } else {
            false
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    fn atom(&mut self) -> R<&'a str> {
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            return Err("expected an atom".into());
        }
        Ok(std::str::from_utf8(a).unwrap_or_default())
    }

    /// number = 1*DIGIT, fitting in 32 bits (RFC 3501 §9: "unsigned 32-bit integer").
    fn number(&mut self) -> R<u32> {
        let d = self.take_while(|b| b.is_ascii_digit());
        if d.is_empty() {
            return Err("expected a number".into());
        }
        std::str::from_utf8(d)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| "a number over 4294967295".into())
    }

    fn nz_number(&mut self) -> R<u32> {
        if self.peek() == Some(b'0') {
            return Err("expected a number from 1 (nz-number)".into());
        }
        self.number()
    }

    /// quoted = DQUOTE *QUOTED-CHAR DQUOTE; only `"` and `\` may be escaped; 7-bit text.
    fn quoted(&mut self) -> R<Vec<u8>> {
        self.expect(b'"', "a quoted string")?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err("a quoted string without its closing quote".into()),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            out.push(c);
                            self.i += 1;
                        }
                        _ => return Err("in a quoted string only \\\" and \\\\ may be escaped".into()),
                    }
                }
                Some(b'\r' | b'\n' | 0) | Some(0x80..) => {
                    return Err("a quoted string holds 7-bit text without CR or LF; send a literal".into());
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// literal = "{" number ["+"] "}" CRLF *CHAR8 (RFC 3501 §4.3, RFC 7888): the framer
    /// has already made sure the octets are there.
    fn literal(&mut self) -> R<Vec<u8>> {
        self.expect(b'{', "a literal")?;
        let n = self.number()? as usize;
        self.eat(b'+');
        self.expect(b'}', "} to end the literal's length")?;
        if !(self.eat(b'\r') && self.eat(b'\n')) {
            return Err("a literal's length must end the line".into());
        }
        let end = self.i.checked_add(n).ok_or("the literal is shorter than announced")?;
        let data = self.s.get(self.i..end).ok_or("the literal is shorter than announced")?;
        if data.contains(&0) {
            return Err("a literal may not contain NUL (RFC 3501 section 4.3)".into());
        }
        self.i += n;
        Ok(data.to_vec())
    }

    fn string(&mut self) -> R<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            _ => Err("expected a string (quoted or literal)".into()),
        }
    }

    fn astring_bytes(&mut self) -> R<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let a = self.take_while(is_astring_char);
                if a.is_empty() {
                    return Err("expected an atom or a string".into());
                }
                Ok(a.to_vec())
            }
        }
    }

    fn astring(&mut self) -> R<String> {
        String::from_utf8(self.astring_bytes()?).map_err(|_| "a string must be UTF-8 text".into())
    }

    /// A mailbox name. Quoted or an atom it is 7-bit by the grammar, so an 8-bit octet
    /// there gets the rule in words: names are 7-bit, other letters in modified UTF-7 (RFC
    /// 3501 §5.1, §5.1.3; this server does not offer UTF8=ACCEPT, RFC 6855). A literal may
    /// hold 8-bit text, which the store refuses as a new folder's name (`NO [CANNOT]`). (The
    /// words are 7-bit too: a response's text must be, RFC 3501 §9 TEXT-CHAR.)
    fn mailbox(&mut self) -> R<String> {
        const SEVEN_BIT: &str = "a mailbox name is 7-bit: other letters in modified UTF-7, &AOk- for an e acute (RFC 3501 section 5.1.3)";
        let name = self.astring().map_err(|e| match self.peek() {
            Some(0x80..) => SEVEN_BIT.to_string(),
            _ => format!("{e}: a mailbox name"),
        })?;
        match self.peek() {
            // An atom stopped at an 8-bit octet.
            Some(0x80..) => Err(SEVEN_BIT.into()),
            _ => Ok(name),
        }
    }

    /// list-mailbox = 1*list-char / string.
    fn list_mailbox(&mut self) -> R<String> {
        let bytes = match self.peek() {
            Some(b'"' | b'{') => self.string()?,
            _ => {
                let a = self.take_while(is_list_char);
                if a.is_empty() {
                    return Err("expected a mailbox pattern".into());
                }
                a.to_vec()
            }
        };
        String::from_utf8(bytes).map_err(|_| "a pattern must be UTF-8 text".into())
    }

    /// sequence-set (RFC 3501 §9).
    fn seq_set(&mut self) -> R<SeqSet> {
        let mut set = Vec::new();
        loop {
            let a = self.seq_number()?;
            let b = if self.eat(b':') { self.seq_number()? } else { a };
            set.push((a, b));
            if !self.eat(b',') {
                return Ok(set);
            }
        }
    }

    fn seq_number(&mut self) -> R<SeqNum> {
        if self.eat(b'*') {
            return Ok(SeqNum::Star);
        }
        self.nz_number()
            .map(SeqNum::Value)
            .map_err(|_| "expected a sequence set such as 1:*, 2,4:6 or *".into())
    }

    /// flag = "\" atom / atom (keywords).
    fn flag(&mut self) -> R<String> {
        let system = self.eat(b'\\');
        let a = self.atom().map_err(|_| "expected a flag such as \\Seen")?;
        Ok(if system { format!("\\{a}") } else { a.to_string() })
    }

    /// flag-list = "(" [flag *(SP flag)] ")".
    fn flag_list(&mut self) -> R<Vec<String>> {
        self.expect(b'(', "( to start a flag list")?;
        let mut flags = Vec::new();
        if self.eat(b')') {
            return Ok(flags);
        }
        loop {
            flags.push(self.flag()?);
            if self.eat(b')') {
                return Ok(flags);
            }
            self.sp()?;
        }
    }

    /// date = date-text / DQUOTE date-text DQUOTE; date-text = d[d]-Mon-yyyy.
    fn date(&mut self) -> R<i64> {
        let quoted = self.eat(b'"');
        let day = self.take_while(|b| b.is_ascii_digit());
        let date = (|| {
            if day.is_empty() || day.len() > 2 {
                return None;
            }
            let day: u32 = std::str::from_utf8(day).ok()?.parse().ok()?;
            if !self.eat(b'-') {
                return None;
            }
            let month = self.month()?;
            if !self.eat(b'-') {
                return None;
            }
            let year = self.take_while(|b| b.is_ascii_digit());
            if year.len() != 4 {
                return None;
            }
            let year: i64 = std::str::from_utf8(year).ok()?.parse().ok()?;
            days_from_civil(year, month, day)
        })();
        let date = date.ok_or("expected a date such as 1-Feb-2026")?;
        if quoted {
            self.expect(b'"', "\" to end the date")?;
        }
        Ok(date)
    }

    fn month(&mut self) -> Option<u32> {
        let m = self.s.get(self.i..self.i + 3)?;
        let n = MONTHS.iter().position(|n| n.as_bytes().eq_ignore_ascii_case(m))? as u32 + 1;
        self.i += 3;
        Some(n)
    }

    /// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone
    /// DQUOTE (RFC 3501 §9), the instant and the zone it was written in. A leap second
    /// (`23:59:60`) is the next minute's first (the instant is the same), and `-0000` is UTC
    /// as `+0000` is.
    fn date_time(&mut self) -> R<InternalDate> {
        let bad = || "expected a date-time such as \"30-Nov-2026 09:00:00 +0000\"".to_string();
        self.expect(b'"', "a date-time")?;
        let digit2 = |p: &mut Parser| -> Option<i64> {
            let d = p.s.get(p.i..p.i + 2)?;
            let v = match d {
                [b' ', b] if b.is_ascii_digit() => i64::from(b - b'0'),
                [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => i64::from((a - b'0') * 10 + (b - b'0')),
                _ => return None,
            };
            p.i += 2;
            Some(v)
        };
        let day = digit2(self).ok_or_else(bad)?;
        let at = (|| {
            if !self.eat(b'-') {
                return None;
            }
            let month = self.month()?;
            if !self.eat(b'-') {
                return None;
            }
            let y = self.s.get(self.i..self.i + 4).filter(|y| y.iter().all(u8::is_ascii_digit))?;
            let year: i64 = std::str::from_utf8(y).ok()?.parse().ok()?;
            self.i += 4;
            let mut hms = [0i64; 3];
            for (k, v) in hms.iter_mut().enumerate() {
                if !self.eat(if k == 0 { b' ' } else { b':' }) {
                    return None;
                }
                let d = self.s.get(self.i..self.i + 2).filter(|d| d.iter().all(u8::is_ascii_digit))?;
                *v = i64::from((d[0] - b'0') * 10 + (d[1] - b'0'));
                self.i += 2;
            }
            if !self.eat(b' ') {
                return None;
            }
            let sign = match self.peek()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            self.i += 1;
            let z = self.s.get(self.i..self.i + 4).filter(|z| z.iter().all(u8::is_ascii_digit))?;
            let z: i64 = std::str::from_utf8(z).ok()?.parse().ok()?;
            self.i += 4;
            let days = days_from_civil(year, month, day as u32)?;
            // A zone's minutes are under 60 (`+0960` is no zone).
            if hms[0] > 23 || hms[1] > 59 || hms[2] > 60 || z % 100 > 59 {
                return None;
            }
            let zone = sign * ((z / 100) * 60 + z % 100);
            let unix = days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2] - zone * 60;
            Some(InternalDate { unix, zone: zone as i16 })
        })()
        .ok_or_else(bad)?;
        self.expect(b'"', "\" to end the date-time")?;
        Ok(at)
    }

    fn end(&mut self) -> R<()> {
        if self.s[self.i..] == *b"\r\n" {
            self.i += 2;
            Ok(())
        } else if self.i < self.s.len() && self.s[self.i] == b' ' {
            Err("unexpected text at the end of the command".into())
        } else {
            Err("expected the end of the command".into())
        }
    }

    fn fetch_items(&mut self) -> R<Vec<FetchItem>> {
        use FetchItem::*;
        if self.keyword("ALL") && !self.more_atom() {
            return Ok(vec![Flags, InternalDate, Rfc822Size, Envelope]);
        }
        if self.keyword("FAST") && !self.more_atom() {
            return Ok(vec![Flags, InternalDate, Rfc822Size]);
        }
        if self.keyword("FULL") && !self.more_atom() {
            return Ok(vec![Flags, InternalDate, Rfc822Size, Envelope, Body]);
        }
        if self.eat(b'(') {
            let mut items = vec![self.fetch_att()?];
            while !self.eat(b')') {
                self.sp()?;
                items.push(self.fetch_att()?);
            }
            return Ok(items);
        }
        Ok(vec![self.fetch_att()?])
    }

    /// After a keyword: is an atom still going on (so the keyword was only a prefix)?
    fn more_atom(&mut self) -> bool {
        self.peek().is_some_and(|b| is_atom_char(b) && b != b'[' && b != b'<' && b != b'.')
    }

    fn fetch_att(&mut self) -> R<FetchItem> {
        let start = self.i;
        let word = self.take_while(|b| b.is_ascii_alphanumeric() || b == b'.');
        let word = std::str::from_utf8(word).unwrap_or_default().to_ascii_uppercase();
        let item = match word.as_str() {
            "FLAGS" => FetchItem::Flags,
            "UID" => FetchItem::Uid,
            "INTERNALDATE" => FetchItem::InternalDate,
            "RFC822.SIZE" => FetchItem::Rfc822Size,
            "RFC822" => FetchItem::Rfc822,
            "RFC822.HEADER" => FetchItem::Rfc822Header,
            "RFC822.TEXT" => FetchItem::Rfc822Text,
            "ENVELOPE" => FetchItem::Envelope,
            "BODYSTRUCTURE" => FetchItem::BodyStructure,
            "BODY" if self.peek() != Some(b'[') => FetchItem::Body,
            "BODY" | "BODY.PEEK" => {
                let section = self.section()?;
                let partial = if self.eat(b'<') {
                    let o = self.number()?;
                    self.expect(b'.', ". in <offset.length>")?;
                    let n = self.nz_number()?;
                    self.expect(b'>', "> to end <offset.length>")?;
                    Some((o, n))
                } else {
                    None
                };
                FetchItem::Section { peek: word == "BODY.PEEK", section, partial }
            }
            _ => {
                self.i = start;
                return Err("expected a fetch item: FLAGS UID INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE BODY[section] BODY.PEEK[section], or ALL FAST FULL".into());
            }
        };
        Ok(item)
    }

    /// section = "[" [section-spec] "]" (RFC 3501 §9).
    fn section(&mut self) -> R<Section> {
        self.expect(b'[', "[ to start a section")?;
        let mut s = Section::default();
        if self.eat(b']') {
            return Ok(s);
        }
        if self.peek().is_some_and(|b| b.is_ascii_digit()) {
            loop {
                s.part.push(self.nz_number()?);
                if !self.eat(b'.') {
                    break;
                }
                if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    s.text = Some(self.section_text(true)?);
                    break;
                }
            }
        } else {
            s.text = Some(self.section_text(false)?);
        }
        self.expect(b']', "] to end the section")?;
        Ok(s)
    }

    fn section_text(&mut self, after_part: bool) -> R<SectionText> {
        if self.keyword("HEADER.FIELDS") {
            let not = self.keyword(".NOT");
            self.sp()?;
            self.expect(b'(', "( to start the header field names")?;
            let mut fields = vec![self.astring()?];
            while !self.eat(b')') {
                self.sp()?;
                fields.push(self.astring()?);
            }
            return Ok(SectionText::HeaderFields { not, fields });
        }
        if self.keyword("HEADER") {
            return Ok(SectionText::Header);
        }
        if self.keyword("TEXT") {
            return Ok(SectionText::Text);
        }
        if after_part && self.keyword("MIME") {
            return Ok(SectionText::Mime);
        }
        Err("expected a section: HEADER, HEADER.FIELDS (...), HEADER.FIELDS.NOT (...), TEXT, a part number, or n.MIME".into())
    }

    fn search_keys(&mut self) -> R<Vec<SearchKey>> {
        let mut keys = Vec::new();
        loop {
            self.sp()?;
            keys.push(self.search_key()?);
            if self.peek() != Some(b' ') {
                return Ok(keys);
            }
        }
    }

    fn search_key(&mut self) -> R<SearchKey> {
        use crate::store::Flags as F;
        use SearchKey as K;
        if self.depth >= MAX_DEPTH {
            return Err(format!("search keys nested deeper than {MAX_DEPTH} levels"));
        }
        self.depth += 1;
        let key = (|| {
            if self.eat(b'(') {
                let mut keys = vec![self.search_key()?];
                while !self.eat(b')') {
                    self.sp()?;
                    keys.push(self.search_key()?);
                }
                return Ok(K::And(keys));
            }
            if self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'*') {
                return Ok(K::Seq(self.seq_set()?));
            }
            let word = self.take_while(|b| b.is_ascii_alphabetic());
            let word = std::str::from_utf8(word).unwrap_or_default().to_ascii_uppercase();
            let flag = |f: F, on: bool| Ok(K::Flag(f, on));
            match word.as_str() {
                "ALL" => Ok(K::All),
                "ANSWERED" => flag(F::ANSWERED, true),
                "DELETED" => flag(F::DELETED, true),
                "DRAFT" => flag(F::DRAFT, true),
                "FLAGGED" => flag(F::FLAGGED, true),
                "SEEN" => flag(F::SEEN, true),
                "UNANSWERED" => flag(F::ANSWERED, false),
                "UNDELETED" => flag(F::DELETED, false),
                "UNDRAFT" => flag(F::DRAFT, false),
                "UNFLAGGED" => flag(F::FLAGGED, false),
                "UNSEEN" => flag(F::SEEN, false),
                "NEW" => Ok(K::New),
                "OLD" => Ok(K::Old),
                "RECENT" => Ok(K::Recent),
                "KEYWORD" | "UNKEYWORD" => {
                    self.sp()?;
                    Ok(K::Keyword(self.atom()?.to_string(), word == "KEYWORD"))
                }
                "FROM" | "TO" | "CC" | "BCC" | "SUBJECT" => {
                    self.sp()?;
                    Ok(K::Header(word.clone(), self.astring()?))
                }
                "HEADER" => {
                    self.sp()?;
                    let name = self.astring()?;
                    self.sp()?;
                    Ok(K::Header(name, self.astring()?))
                }
                "BODY" | "TEXT" => {
                    self.sp()?;
                    let s = self.astring()?;
                    Ok(if word == "BODY" { K::Body(s) } else { K::Text(s) })
                }
                "BEFORE" | "ON" | "SINCE" | "SENTBEFORE" | "SENTON" | "SENTSINCE" => {
                    self.sp()?;
                    let d = self.date()?;
                    Ok(match word.as_str() {
                        "BEFORE" => K::Before(d),
                        "ON" => K::On(d),
                        "SINCE" => K::Since(d),
                        "SENTBEFORE" => K::SentBefore(d),
                        "SENTON" => K::SentOn(d),
                        _ => K::SentSince(d),
                    })
                }
                "LARGER" | "SMALLER" => {
                    self.sp()?;
                    let n = self.number()?;
                    Ok(if word == "LARGER" { K::Larger(n) } else { K::Smaller(n) })
                }
                "UID" => {
                    self.sp()?;
                    Ok(K::Uid(self.seq_set()?))
                }
                "NOT" => {
                    self.sp()?;
                    Ok(K::Not(Box::new(self.search_key()?)))
                }
                "OR" => {
                    self.sp()?;
                    let a = self.search_key()?;
                    self.sp()?;
                    Ok(K::Or(Box::new(a), Box::new(self.search_key()?)))
                }
                _ => {
                    Err("expected a search key such as ALL, UNSEEN, FROM \"x\", SINCE 1-Feb-2026, UID 1:*"
                        .into())
                }
            }
        })();
        self.depth -= 1;
        key
    }

    fn command(&mut self) -> R<Command> {
        let word = self.take_while(|b| b.is_ascii_alphabetic());
        let word = std::str::from_utf8(word).unwrap_or_default().to_ascii_uppercase();
        let cmd = match word.as_str() {
            "CAPABILITY" => Command::Capability,
            "STARTTLS" => Command::StartTls,
            "NOOP" => Command::Noop,
            "LOGOUT" => Command::Logout,
            "CHECK" => Command::Check,
            "CLOSE" => Command::Close,
            "UNSELECT" => Command::Unselect,
            "EXPUNGE" => Command::Expunge,
            "IDLE" => Command::Idle,
            "LOGIN" => {
                self.sp()?;
                let user = self.astring()?;
                self.sp()?;
                Command::Login { user, password: self.astring()? }
            }
            "AUTHENTICATE" => {
                self.sp()?;
                let mechanism = self.atom()?.to_ascii_uppercase();
                let initial = if self.eat(b' ') {
                    let r = self.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
                    if r.is_empty() {
                        return Err("expected a base64 initial response (RFC 4959)".into());
                    }
                    Some(String::from_utf8_lossy(r).into_owned())
                } else {
                    None
                };
                Command::Authenticate { mechanism, initial }
            }
            "LIST" | "LSUB" => {
                self.sp()?;
                let reference = self.mailbox()?;
                self.sp()?;
                let pattern = self.list_mailbox()?;
                if word == "LIST" {
                    Command::List { reference, pattern }
                } else {
                    Command::Lsub { reference, pattern }
                }
            }
            "CREATE" | "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE" | "SELECT" | "EXAMINE" => {
                self.sp()?;
                let m = self.mailbox()?;
                match word.as_str() {
                    "CREATE" => Command::Create(m),
                    "DELETE" => Command::Delete(m),
                    "SUBSCRIBE" => Command::Subscribe(m),
                    "UNSUBSCRIBE" => Command::Unsubscribe(m),
                    "SELECT" => Command::Select(m),
                    _ => Command::Examine(m),
                }
            }
            "RENAME" => {
                self.sp()?;
                let from = self.mailbox()?;
                self.sp()?;
                Command::Rename { from, to: self.mailbox()? }
            }
            "STATUS" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                self.sp()?;
                self.expect(b'(', "( to start the status items")?;
                let mut items = Vec::new();
                loop {
                    let w = self.take_while(|b| b.is_ascii_alphabetic());
                    let item = match std::str::from_utf8(w).unwrap_or_default().to_ascii_uppercase().as_str()
                    {
                        "MESSAGES" => StatusItem::Messages,
                        "RECENT" => StatusItem::Recent,
                        "UIDNEXT" => StatusItem::UidNext,
                        "UIDVALIDITY" => StatusItem::UidValidity,
                        "UNSEEN" => StatusItem::Unseen,
                        _ => {
                            return Err(
                                "expected a status item: MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN".into()
                            );
                        }
                    };
                    items.push(item);
                    if self.eat(b')') {
                        break;
                    }
                    self.sp()?;
                }
                Command::Status { mailbox, items }
            }
            "APPEND" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                self.sp()?;
                let flags = if self.peek() == Some(b'(') {
                    let f = self.flag_list()?;
                    self.sp()?;
                    f
                } else {
                    Vec::new()
                };
                let date = if self.peek() == Some(b'"') {
                    let d = self.date_time()?;
                    self.sp()?;
                    Some(d)
                } else {
                    None
                };
                if self.peek() != Some(b'{') {
                    return Err("APPEND takes the message as a literal: {size} then the octets".into());
                }
                Command::Append { mailbox, flags, date, message: self.literal()? }
            }
            "UID" => {
                self.sp()?;
                let w = self.take_while(|b| b.is_ascii_alphabetic());
                let w = std::str::from_utf8(w).unwrap_or_default().to_ascii_uppercase();
                match w.as_str() {
                    "SEARCH" => self.search(true)?,
                    "EXPUNGE" => {
                        self.sp()?;
                        Command::UidExpunge(self.seq_set()?)
                    }
                    "FETCH" | "STORE" | "COPY" | "MOVE" => {
                        self.sp()?;
                        self.with_set(&w, true)?
                    }
                    _ => {
                        return Err(
                            "expected UID FETCH, UID STORE, UID COPY, UID MOVE, UID SEARCH or UID EXPUNGE"
                                .into(),
                        );
                    }
                }
            }
            "FETCH" | "STORE" | "COPY" | "MOVE" => {
                self.sp()?;
                self.with_set(&word, false)?
            }
            "SEARCH" => self.search(false)?,
            "" => return Err("expected a command after the tag".into()),
            _ => return Err(format!("unknown command {word}")),
        };
        self.end()?;
        Ok(cmd)
    }

    /// After `SEARCH`: [SP "CHARSET" SP astring] 1*(SP search-key).
    fn search(&mut self, uid: bool) -> R<Command> {
        let save = self.i;
        let mut charset = None;
        if self.eat(b' ') && self.keyword("CHARSET") && self.peek() == Some(b' ') {
            self.sp()?;
            charset = Some(self.astring()?);
        } else {
            self.i = save;
        }
        Ok(Command::Search { uid, charset, keys: self.search_keys()? })
    }

    fn with_set(&mut self, word: &str, uid: bool) -> R<Command> {
        let set = self.seq_set()?;
        self.sp()?;
        Ok(match word {
            "FETCH" => Command::Fetch { uid, set, items: self.fetch_items()? },
            "COPY" => Command::Copy { uid, set, mailbox: self.mailbox()? },
            "MOVE" => Command::Move { uid, set, mailbox: self.mailbox()? },
            _ => {
                let op = if self.eat(b'+') {
                    FlagOp::Add
                } else if self.eat(b'-') {
                    FlagOp::Remove
                } else {
                    FlagOp::Replace
                };
                if !self.keyword("FLAGS") {
                    return Err("expected FLAGS, +FLAGS or -FLAGS, with .SILENT or without".into());
                }
                let silent = self.keyword(".SILENT");
                self.sp()?;
                let flags = if self.peek() == Some(b'(') {
                    self.flag_list()?
                } else {
                    let mut f = vec![self.flag()?];
                    while self.eat(b' ') {
                        f.push(self.flag()?);
                    }
                    f
                };
                Command::Store { uid, set, op, silent, flags }
            }
        })
    }
}

/// Days since 1970-01-01 of a calendar date, `None` for a date that does not exist
/// (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> Option<i64> {
    // Four-digit years only (RFC 3501 §9 date-year, RFC 5322 §3.3): a huge year from a
    // Date: header would overflow the arithmetic below.
    if !(0..=9999).contains(&y) {
        return None;
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let len = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d == 0 || d > len[m as usize - 1] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Parses one whole command: its bytes from the tag to the final CRLF, literals inline.
pub fn parse(bytes: &[u8]) -> Result<Tagged, ParseError> {
    let Some(tag) = tag_of(bytes) else {
        return Err(ParseError {
            tag: None,
            text: "a command starts with a tag and a space, e.g. a1 NOOP: a tag of letters, digits and marks, without ( ) { % * \" \\ or + (RFC 3501 section 9)".into(),
        });
    };
    let mut p = Parser { s: bytes, i: tag.len() + 1, depth: 0 };
    match p.command() {
        Ok(command) => Ok(Tagged { tag, command }),
        // A whole command with no tag (`LOGIN bob secret`): its name was read as the tag,
        // and what followed as the command. Said as such, not as an unknown command `BOB`.
        Err(_) if whole_without_tag(bytes) => Err(untagged(bytes, tag)),
        Err(text) => Err(ParseError { tag: Some(tag), text }),
    }
}

/// A whole command with no tag (`LOGIN bob secret`): its name was read as the tag, and what
/// followed as the command. Said as such, not as an unknown command `BOB`.
fn untagged(bytes: &[u8], tag: String) -> ParseError {
    // Its first line, as a response's text may hold it: printable 7-bit, no CR or LF (a
    // literal's lines stay out), and not too long.
    let line = bytes.iter().take_while(|&&b| b != b'\r' && b != b'\n').take(60);
    let line: String = line.filter(|b| (b' '..=b'~').contains(*b)).map(|&b| char::from(b)).collect();
    ParseError {
        text: format!(
            "a command starts with a tag: a1 {line} (here {tag} was read as the tag; RFC 3501 section 2.2.1)"
        ),
        tag: Some(tag),
    }
}

/// The command so far, `bytes`, ends in a synchronising literal `{n}` that the client waits
/// to be invited to send: its mistake before that literal (no tag, an unknown command, an
/// argument that cannot be), if it has one, which no literal can mend. The server answers
/// it instead of `+`, and the client sends nothing more of the command (RFC 3501 §2.2.1).
pub fn error_before_literal(bytes: &[u8]) -> Option<ParseError> {
    let open = bytes.iter().rposition(|&b| b == b'{')?;
    let Some(tag) = tag_of(bytes) else { return parse(bytes).err() };
    let mut p = Parser { s: bytes, i: tag.len() + 1, depth: 0 };
    // A parser that reaches the literal reads past its `{n}` before it misses the octets.
    let text = p.command().err().filter(|_| p.i <= open)?;
    // Read from its first word, a command typed without a tag gets as far as the literal.
    let mut whole = Parser { s: bytes, i: 0, depth: 0 };
    if whole.command().is_err() && whole.i > open {
        return Some(untagged(bytes, tag));
    }
    Some(ParseError { tag: Some(tag), text })
}

// ----- framing -----

/// What the [`Framer`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole command, from its tag to its final CRLF, literals inline.
    Command(Vec<u8>),
    /// The command so far ends in a synchronising literal `{n}` the server will take: it
    /// must send a continuation request (`+`), then the client sends the octets
    /// (RFC 3501 §7.5).
    Continue,
    /// The command was dropped; answer it `BAD` or `NO` with its tag when known.
    Refused { tag: Option<String>, why: Refusal },
}

/// Why a command was dropped by the framer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A line over [`MAX_LINE`] octets: discarded to its end.
    LineTooLong,
    /// A bare LF inside a line (RFC 3501 §2.2: lines end with CRLF, and only CRLF ends
    /// one, so what follows the LF is part of the refused line, never a command).
    BareLf,
    /// A synchronising literal over the limit: refused before the client sends it
    /// (RFC 3501 §7.5, `NO [TOOBIG]` RFC 9051 §7.1), so nothing more comes.
    LiteralTooBig,
    /// A non-synchronising literal over the limit (RFC 7888 §5): its octets and the rest
    /// of the command are being skipped, never read as commands.
    NonSyncTooBig,
    /// A non-synchronising literal whose size is not even a 64-bit number: the octets
    /// cannot be counted, so the connection must end (RFC 7888 §5).
    Unskippable,
    /// A literal in LOGIN while logins need TLS ([`Framer::logins_disabled`]): refused
    /// before the client sends it (RFC 3501 §7.5), so that no password comes in the clear.
    LoginDisabled,
}

/// Cuts the input into commands. Holds at most [`MAX_COMMAND`] octets, and one APPEND
/// message of at most [`MAX_APPEND`].
#[derive(Clone, Debug, Default)]
pub struct Framer {
    /// The line being read.
    line: Vec<u8>,
    /// The line went over [`MAX_LINE`]: its octets are dropped; `head` and `tail` keep its
    /// start (for the tag) and end (for a literal's length).
    discarding: bool,
    head: Vec<u8>,
    tail: Vec<u8>,
    /// The command so far (whole lines and literals).
    command: Vec<u8>,
    /// Octets of a literal still to read into `command`.
    literal: usize,
    /// The size of the one large APPEND literal in `command` (over [`MAX_LITERAL`]), not
    /// counted against [`MAX_COMMAND`].
    big: usize,
    /// Octets of a refused literal still to skip.
    skip: u64,
    /// After a refusal: the rest of that command's lines are skipped too.
    skipping: bool,
    /// Octets of literals read or skipped so far ([`Framer::literal_octets`]).
    literal_octets: u64,
    /// The line being read has a bare LF inside.
    bare_lf: bool,
    /// LOGIN is refused (LOGINDISABLED, RFC 3501 §6.2.3): a synchronising literal in it is
    /// refused instead of invited with `+`, so the password it would carry is never sent.
    pub logins_disabled: bool,
}

/// The literal announced at the end of `line` (`{n}` or `{n+}`): `(size, sync)`; size
/// `None` when the number is too long to count.
fn literal_at_end(line: &[u8]) -> Option<(Option<u64>, bool)> {
    let inner = line.strip_suffix(b"}")?;
    let (inner, sync) = match inner.strip_suffix(b"+") {
        Some(i) => (i, false),
        None => (inner, true),
    };
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok().and_then(|d| d.parse::<u64>().ok());
    Some((n, sync))
}

impl Framer {
    /// The octets held, against [`MAX_COMMAND`].
    pub fn held(&self) -> usize {
        self.command.len() + self.line.len() + self.head.len() + self.tail.len()
    }

    /// Octets of literals read or skipped since the session began: the client's progress
    /// inside a literal, which need not hold a line end (for the autologout).
    pub fn literal_octets(&self) -> u64 {
        self.literal_octets
    }

    /// The command read so far: after [`Frame::Continue`], up to the literal's `{n}` CRLF.
    pub fn pending(&self) -> &[u8] {
        &self.command
    }

    /// The synchronising literal just announced is refused, and with it the command: the
    /// client sends nothing more of it (RFC 3501 §2.2.1), so what comes next is a command.
    pub fn refuse_literal(&mut self) {
        self.command.clear();
        self.big = 0;
        self.literal = 0;
    }

    /// True while a command is partly read (a literal or a line after one is awaited).
    pub fn in_command(&self) -> bool {
        !self.command.is_empty() || self.literal > 0
    }

    /// Reads the next frame out of `input`, consuming what it used. `literals: false` reads
    /// plain lines (an AUTHENTICATE response, IDLE's `DONE`). `None`: more input needed.
    pub fn next(&mut self, input: &mut &[u8], literals: bool) -> Option<Frame> {
        loop {
            if self.skip > 0 {
                let n = (input.len() as u64).min(self.skip) as usize;
                self.skip -= n as u64;
                self.literal_octets += n as u64;
                *input = &input[n..];
                if self.skip > 0 {
                    return None;
                }
                continue;
            }
            if self.literal > 0 {
                let n = input.len().min(self.literal);
                self.command.extend_from_slice(&input[..n]);
                self.literal -= n;
                self.literal_octets += n as u64;
                *input = &input[n..];
                if self.literal > 0 {
                    return None;
                }
                continue;
            }
            // Only CRLF ends a line (RFC 3501 §2.2): a bare LF is kept inside it, the CR
            // of a CRLF may come in the write before its LF.
            let lf = input.iter().position(|&b| b == b'\n');
            let ends = lf.map(|p| match p {
                0 => (if self.discarding { &self.tail } else { &self.line }).last() == Some(&b'\r'),
                _ => input[p - 1] == b'\r',
            });
            let (chunk, rest) = match (lf, ends) {
                (Some(p), Some(true)) => (&input[..p], &input[p + 1..]),
                (Some(p), _) => (&input[..=p], &input[p + 1..]),
                (None, _) => (*input, &input[input.len()..]),
            };
            *input = rest;
            if ends == Some(false) {
                self.bare_lf = true;
            }
            if !self.discarding && self.line.len() + chunk.len() > MAX_LINE - 1 {
                self.discarding = true;
                self.head = self.line.iter().chain(chunk).take(64).copied().collect();
                self.line.clear();
            }
            if self.discarding {
                self.tail.extend_from_slice(chunk);
                let cut = self.tail.len().saturating_sub(32);
                self.tail.drain(..cut);
            } else {
                self.line.extend_from_slice(chunk);
            }
            if ends != Some(true) {
                if input.is_empty() {
                    return None;
                }
                continue;
            }
            let frame = self.end_of_line(literals);
            if frame.is_some() {
                return frame;
            }
        }
    }

    fn end_of_line(&mut self, literals: bool) -> Option<Frame> {
        let bare_lf = std::mem::take(&mut self.bare_lf);
        let (mut line, too_long) = if std::mem::take(&mut self.discarding) {
            let tail = std::mem::take(&mut self.tail);
            let head = std::mem::take(&mut self.head);
            if self.command.is_empty() {
                self.command = head;
            }
            (tail, true)
        } else {
            (std::mem::take(&mut self.line), false)
        };
        // Only CRLF ends a line: drop its CR.
        line.pop();
        let announced = if literals { literal_at_end(&line) } else { None };
        if self.skipping {
            // The rest of a refused command: nothing of it is kept, not even the start of
            // an over-long line (else the next command would inherit its tag).
            self.command.clear();
            self.big = 0;
            match announced {
                Some((Some(n), false)) => self.skip = n,
                _ => self.skipping = false,
            }
            return None;
        }
        let tag = tag_of(if self.command.is_empty() { &line } else { &self.command });
        let refuse = |s: &mut Framer, tag: Option<String>, why: Refusal| {
            s.command.clear();
            s.big = 0;
            if let Some((n, false)) = announced {
                // The literal's octets come anyway: skip them and the rest of the command.
                s.skipping = true;
                s.skip = n.unwrap_or(0);
                if n.is_none() {
                    return Some(Frame::Refused { tag, why: Refusal::Unskippable });
                }
            }
            Some(Frame::Refused { tag, why })
        };
        if too_long || self.command.len().saturating_sub(self.big) + line.len() + 2 > MAX_COMMAND {
            return refuse(self, tag, Refusal::LineTooLong);
        }
        if bare_lf {
            return refuse(self, tag, Refusal::BareLf);
        }
        self.command.extend_from_slice(&line);
        self.command.extend_from_slice(b"\r\n");
        let Some((n, sync)) = announced else {
            self.big = 0;
            return Some(Frame::Command(std::mem::take(&mut self.command)));
        };
        // The size is the client's u64, and a usize has 32 bits where the app runs (wasm32):
        // `n as usize` would keep its low bits (`{4294967301}` read as 5), so it is converted
        // only if it fits, and a size that does not is over every limit.
        let size = n.and_then(|n| usize::try_from(n).ok());
        let small = self.command.len().saturating_sub(self.big);
        let fits = size.is_some_and(|n| n <= MAX_LITERAL && small + n <= MAX_COMMAND);
        // RFC 7888 §5 bounds only `{n+}`: APPEND's message may come in a large `{n}`.
        let big = !fits
            && sync
            && self.big == 0
            && size.is_some_and(|n| n <= MAX_APPEND)
            && verb_of(&self.command) == "APPEND";
        if self.logins_disabled && verb_of(&self.command) == "LOGIN" {
            return refuse(self, tag, Refusal::LoginDisabled);
        }
        if big {
            self.big = size.unwrap_or(0);
        } else if !fits {
            let why = if sync { Refusal::LiteralTooBig } else { Refusal::NonSyncTooBig };
            return refuse(self, tag, why);
        }
        self.literal = size.unwrap_or(0);
        sync.then_some(Frame::Continue)
    }
}

#[cfg(test)]
mod tests;
