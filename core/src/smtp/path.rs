//! The argument of MAIL and RCPT: `FROM:<reverse-path>` / `TO:<forward-path>` and the
//! ESMTP parameters after it (RFC 5321 §4.1.1.2–3, §4.1.2).
//!
//! Why a hand-written parser when smtp-proto, the parser of the Stalwart mail server, does
//! this job well: the engine runs in the browser as WebAssembly, and smtp-proto's request
//! parser (every verb and every extension's parameters) cost about 20 KB raw / 12 KB gzip of
//! the first-load budget (300 KB gzip, `scripts/size.sh`) for the two arguments we read from
//! it. This file reads exactly that subset. smtp-proto stays as a dev-dependency: it is the
//! oracle of the differential test in `command.rs`, which lists, with the RFC's reason, every
//! case where the two must disagree (the pattern planned for IMAP: a hand parser for the
//! subset, differential tests against the field's crate).
//!
//! Non-ASCII (UTF-8) octets are read as letters in local-parts and domains, as RFC 6531 §3.3
//! extends the grammar, so that such an address reaches the `553` answer "needs SMTPUTF8"
//! instead of being a syntax error.

/// What was between `<` and `>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Path {
    /// `<>`, the null reverse-path (RFC 5321 §4.5.5).
    Null,
    /// `<Postmaster>` without a domain, any case (RFC 5321 §4.1.1.3).
    Postmaster,
    /// `local-part@domain`, without its source route. A quoted local-part whose content is a
    /// Dot-string loses its quotes (`"abc"@x` is `abc@x`: a quoted-string is an atom,
    /// semantically, RFC 5322 §3.2.4); any other keeps them, with `\` only before `"` and `\`.
    Mailbox(String),
}

/// Why an argument was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// Not `KEYWORD:<...>`: no keyword, no colon, no `<`, no closing `>`, or a bad parameter keyword.
    Syntax,
    /// Something between `<` and `>` that is not a path.
    BadAddress,
}

/// Reads ` FROM:<path>` (`keyword` = `"FROM"`) or ` TO:<path>` from `arg`, what follows the
/// verb, and returns the path and the rest of the line after `>`.
///
/// RFC 5321 §3.3 says that spaces are not permitted on either side of the colon; like
/// smtp-proto (and Postfix unless `strict_rfc821_envelopes`), spaces before the keyword,
/// before the colon and before `<` are accepted, since clients that send them are common.
pub fn parse_path_arg<'a>(arg: &'a str, keyword: &str) -> Result<(Path, &'a str), PathError> {
    let s = arg.trim_start_matches(' ');
    let kw_len = s.bytes().take_while(|&b| b.is_ascii_alphanumeric() || b == b'-').count();
    if !s[..kw_len].eq_ignore_ascii_case(keyword) {
        return Err(PathError::Syntax);
    }
    let s = s[kw_len..].trim_start_matches(' ');
    let s = s.strip_prefix(':').ok_or(PathError::Syntax)?.trim_start_matches(' ');
    let s = s.strip_prefix('<').ok_or(PathError::Syntax)?;
    let mut c = Cursor { s, i: 0 };
    let path = c.path()?;
    Ok((path, &s[c.i..]))
}

/// `[SP esmtp-param *(SP esmtp-param)]` after the path, as `(keyword, value)` pairs
/// (RFC 5321 §4.1.2: `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`). The values
/// are checked by whoever knows the keyword. Runs of spaces and trailing spaces are accepted,
/// as smtp-proto and Postfix do, though the RFC has exactly one SP.
pub fn esmtp_params(rest: &str) -> Result<Vec<(&str, Option<&str>)>, PathError> {
    if !rest.is_empty() && !rest.starts_with(' ') {
        return Err(PathError::Syntax);
    }
    rest.split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (key, value) = match t.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (t, None),
            };
            let key_ok = key.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if key_ok { Ok((key, value)) } else { Err(PathError::Syntax) }
        })
        .collect()
}

/// `atext` of RFC 5322 §3.2.3, plus UTF-8 octets (RFC 6531 §3.3).
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b) || b >= 0x80
}

/// `Let-dig` of RFC 5321 §4.1.2, plus UTF-8 octets (U-labels, RFC 6531 §3.3).
fn is_let_dig(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// A Dot-string: `Atom *("." Atom)`, `Atom = 1*atext`.
fn is_dot_string(s: &str) -> bool {
    s.split('.').all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
}

/// `IPv4-address-literal = Snum 3("." Snum)`, each Snum 0 to 255 (RFC 5321 §4.1.3).
fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// `IPv6-addr` of RFC 5321 §4.1.3: eight hex groups, or fewer around one `::` that stands
/// for at least two (at most six others), the last two of them possibly an IPv4 address.
fn is_ipv6(s: &str) -> bool {
    let hex: String = match s.rsplit_once(':') {
        Some((head, tail)) if tail.contains('.') => {
            if !is_ipv4(tail) {
                return false;
            }
            format!("{head}:0:0")
        }
        _ => s.to_string(),
    };
    fn groups(part: &str) -> Option<usize> {
        if part.is_empty() {
            return Some(0);
        }
        let mut n = 0;
        for g in part.split(':') {
            if g.is_empty() || g.len() > 4 || !g.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            n += 1;
        }
        Some(n)
    }
    match hex.split_once("::") {
        None => groups(&hex) == Some(8),
        Some((l, r)) => matches!((groups(l), groups(r)), (Some(a), Some(b)) if a + b <= 6),
    }
}

struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> usize {
        let n = self.s.as_bytes()[self.i..].iter().take_while(|&&b| f(b)).count();
        self.i += n;
        n
    }

    /// Running out of line inside the path is a missing `>`: a syntax error, like smtp-proto's.
    /// A character that fits nowhere is a bad address.
    fn err(&self) -> PathError {
        if self.i >= self.s.len() { PathError::Syntax } else { PathError::BadAddress }
    }

    /// `Path = "<" [ A-d-l ":" ] Mailbox ">"`, `Reverse-path = Path / "<>"`, and
    /// `"<Postmaster>"` (RFC 5321 §4.1.2, §4.1.1.3); the `<` is already read.
    fn path(&mut self) -> Result<Path, PathError> {
        if self.eat(b'>') {
            return Ok(Path::Null);
        }
        let rest = &self.s.as_bytes()[self.i..];
        if rest.len() >= 11 && rest[..10].eq_ignore_ascii_case(b"postmaster") && rest[10] == b'>' {
            self.i += 11;
            return Ok(Path::Postmaster);
        }
        // A source route is read and thrown away (RFC 5321 §4.1.1.3, Appendix C).
        if self.peek() == Some(b'@') {
            self.adl()?;
        }
        let mailbox = self.mailbox()?;
        if !self.eat(b'>') {
            return Err(self.err());
        }
        Ok(Path::Mailbox(mailbox))
    }

    /// `A-d-l = At-domain *( "," At-domain )`, `At-domain = "@" Domain`, then `":"`.
    fn adl(&mut self) -> Result<(), PathError> {
        loop {
            if !self.eat(b'@') {
                return Err(self.err());
            }
            self.domain()?;
            if self.eat(b':') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(self.err());
            }
        }
    }

    /// `Mailbox = Local-part "@" ( Domain / address-literal )`.
    fn mailbox(&mut self) -> Result<String, PathError> {
        let local =
            if self.peek() == Some(b'"') { self.quoted_string()? } else { self.dot_string()?.to_string() };
        if !self.eat(b'@') {
            return Err(self.err());
        }
        let start = self.i;
        if self.peek() == Some(b'[') {
            self.address_literal()?;
        } else {
            self.domain()?;
        }
        Ok(format!("{local}@{}", &self.s[start..self.i]))
    }

    /// `Dot-string = Atom *("." Atom)`.
    fn dot_string(&mut self) -> Result<&'a str, PathError> {
        let start = self.i;
        loop {
            if self.take_while(is_atext) == 0 {
                return Err(self.err());
            }
            if !self.eat(b'.') {
                return Ok(&self.s[start..self.i]);
            }
        }
    }

    /// `Quoted-string = DQUOTE *QcontentSMTP DQUOTE`, `qtextSMTP = %d32-33 / %d35-91 /
    /// %d93-126`, `quoted-pairSMTP = %d92 %d32-126`; returned in the form of [`Path::Mailbox`].
    fn quoted_string(&mut self) -> Result<String, PathError> {
        self.i += 1;
        let mut content = Vec::new();
        loop {
            let Some(b) = self.peek() else { return Err(PathError::Syntax) };
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => match self.peek() {
                    Some(q @ 32..=126) => {
                        self.i += 1;
                        content.push(q);
                    }
                    _ => return Err(self.err()),
                },
                32..=126 | 0x80.. => content.push(b),
                _ => return Err(PathError::BadAddress),
            }
        }
        // Only ASCII delimiters were taken out, so the content is still UTF-8.
        let content = String::from_utf8(content).map_err(|_| PathError::BadAddress)?;
        if is_dot_string(&content) {
            return Ok(content);
        }
        let mut quoted = String::from("\"");
        for ch in content.chars() {
            if ch == '"' || ch == '\\' {
                quoted.push('\\');
            }
            quoted.push(ch);
        }
        quoted.push('"');
        Ok(quoted)
    }

    /// `Domain = sub-domain *("." sub-domain)`, `sub-domain = Let-dig [Ldh-str]`,
    /// `Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig`.
    fn domain(&mut self) -> Result<(), PathError> {
        loop {
            let start = self.i;
            let n = self.take_while(|b| is_let_dig(b) || b == b'-');
            let label = &self.s.as_bytes()[start..self.i];
            if n == 0 || label[0] == b'-' || label[n - 1] == b'-' {
                return Err(if n == 0 { self.err() } else { PathError::BadAddress });
            }
            if !self.eat(b'.') {
                return Ok(());
            }
        }
    }

    /// `address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
    /// General-address-literal ) "]"` (RFC 5321 §4.1.3); `IPv6:` is matched in any case, as
    /// ABNF strings are.
    fn address_literal(&mut self) -> Result<(), PathError> {
        self.i += 1;
        let start = self.i;
        self.take_while(is_dcontent);
        let inner = &self.s[start..self.i];
        if !self.eat(b']') {
            return Err(self.err());
        }
        if is_literal_content(inner) { Ok(()) } else { Err(PathError::BadAddress) }
    }
}

/// `dcontent = %d33-90 / %d94-126`: printable ASCII but `[`, `\` and `]` (RFC 5321 §4.1.3).
fn is_dcontent(b: u8) -> bool {
    matches!(b, 33..=90 | 94..=126)
}

/// What an address literal holds between its brackets (RFC 5321 §4.1.3): an IPv4 address,
/// `IPv6:` and an IPv6 address, or a General-address-literal.
fn is_literal_content(inner: &str) -> bool {
    if !inner.bytes().all(is_dcontent) {
        return false;
    }
    match inner.split_once(':') {
        Some((tag, addr)) if tag.eq_ignore_ascii_case("IPv6") => is_ipv6(addr),
        // General-address-literal = Standardized-tag ":" 1*dcontent, the tag an Ldh-str.
        Some((tag, rest)) => {
            !rest.is_empty()
                && tag.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
                && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }
        None => is_ipv4(inner),
    }
}

/// `address-literal = "[" ... "]"` as a whole (RFC 5321 §4.1.3): what EHLO and HELO may
/// name instead of a domain (§4.1.1.1).
pub fn is_address_literal(s: &str) -> bool {
    s.strip_prefix('[').and_then(|s| s.strip_suffix(']')).is_some_and(is_literal_content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        use PathError::*;
        let mb = |s: &str| Ok(Path::Mailbox(s.to_string()));
        let cases: Vec<(&str, Result<Path, PathError>)> = vec![
            ("<>", Ok(Path::Null)),
            ("<PostMaster>", Ok(Path::Postmaster)),
            ("<postmaster@x.org>", mb("postmaster@x.org")),
            ("<a@b>", mb("a@b")),
            ("<first.last+tag@mail.example.org>", mb("first.last+tag@mail.example.org")),
            ("<@relay.example:a@b>", mb("a@b")),
            ("<@r1.example,@r2.example:a@b>", mb("a@b")),
            ("<@r1.example:>", Err(BadAddress)),
            ("<@:a@b>", Err(BadAddress)),
            ("<\"abc\"@b>", mb("abc@b")),
            ("<\"a b\"@b>", mb("\"a b\"@b")),
            ("<\"a\\\"b\"@b>", mb("\"a\\\"b\"@b")),
            ("<\"a\\\\b\"@b>", mb("\"a\\\\b\"@b")),
            ("<\"a\\b\"@b>", mb("ab@b")),
            ("<\"\"@b>", mb("\"\"@b")),
            ("<\"a\tb\"@b>", Err(BadAddress)),
            ("<\"abc@b>", Err(Syntax)),
            ("<a\"b\"@c>", Err(BadAddress)),
            ("<a@[192.0.2.1]>", mb("a@[192.0.2.1]")),
            ("<a@[192.0.2.256]>", Err(BadAddress)),
            ("<a@[192.0.2]>", Err(BadAddress)),
            ("<a@[IPv6:2001:db8::1]>", mb("a@[IPv6:2001:db8::1]")),
            ("<a@[ipv6:::ffff:192.0.2.1]>", mb("a@[ipv6:::ffff:192.0.2.1]")),
            ("<a@[IPv6:1:2:3:4:5:6:7:8]>", mb("a@[IPv6:1:2:3:4:5:6:7:8]")),
            ("<a@[IPv6:1:2:3:4:5:6:7::]>", Err(BadAddress)),
            ("<a@[IPv6:2001:db8::g]>", Err(BadAddress)),
            ("<a@[x-tag:any.thing]>", mb("a@[x-tag:any.thing]")),
            ("<a@[x-tag-:1]>", Err(BadAddress)),
            ("<a@[1.2.3.4>", Err(Syntax)),
            ("<a@b.>", Err(BadAddress)),
            ("<a@.b>", Err(BadAddress)),
            ("<a@b..c>", Err(BadAddress)),
            ("<a@-b>", Err(BadAddress)),
            ("<a@b->", Err(BadAddress)),
            ("<a@b_c>", Err(BadAddress)),
            ("<a@>", Err(BadAddress)),
            ("<@b>", Err(BadAddress)),
            ("<a.@b>", Err(BadAddress)),
            ("<.a@b>", Err(BadAddress)),
            ("<a..b@c>", Err(BadAddress)),
            ("<a@b@c>", Err(BadAddress)),
            ("<a b@c>", Err(BadAddress)),
            ("< a@b>", Err(BadAddress)),
            ("<a@b", Err(Syntax)),
            ("<<a@b>>", Err(BadAddress)),
            ("<é@bü.example>", mb("é@bü.example")),
            ("<a\u{7f}@b>", Err(BadAddress)),
        ];
        for (arg, want) in cases {
            let line = format!("FROM:{arg}");
            let got = parse_path_arg(&line, "FROM").map(|(p, _)| p);
            assert_eq!(got, want, "{arg:?}");
        }
    }

    #[test]
    fn keyword_and_colon() {
        for (arg, ok) in [
            (" FROM:<a@b>", true),
            (" from:<a@b>", true),
            ("  FROM : <a@b>", true),
            (" FROM:  <a@b>", true),
            (" FROMX:<a@b>", false),
            (" FRM:<a@b>", false),
            (" FROM<a@b>", false),
            (" FROM:a@b", false),
            ("", false),
        ] {
            assert_eq!(parse_path_arg(arg, "FROM").is_ok(), ok, "{arg:?}");
        }
    }

    #[test]
    fn params() {
        assert_eq!(esmtp_params(""), Ok(vec![]));
        assert_eq!(
            esmtp_params(" SIZE=1  body=7BIT "),
            Ok(vec![("SIZE", Some("1")), ("body", Some("7BIT"))])
        );
        assert_eq!(esmtp_params(" SMTPUTF8"), Ok(vec![("SMTPUTF8", None)]));
        assert_eq!(esmtp_params("SIZE=1"), Err(PathError::Syntax));
        assert_eq!(esmtp_params(" -X=1"), Err(PathError::Syntax));
        assert_eq!(esmtp_params(" =1"), Err(PathError::Syntax));
        assert_eq!(esmtp_params(" A_B"), Err(PathError::Syntax));
    }
}
