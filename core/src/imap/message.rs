//! What FETCH says about a message (RFC 3501 §7.4.2): its ENVELOPE and BODYSTRUCTURE,
//! computed from the message with the MIME reading of [`crate::inspect`], and its body
//! sections (`BODY[HEADER]`, `BODY[1.2]`, ...); and the IMAP string syntax they are
//! written in (RFC 3501 §4.3: atoms, quoted strings, literals, NIL).

use std::ops::Range;

use crate::imap::command::{Section, SectionText};
use crate::inspect::{self, Part};
use crate::mail;

/// Deepest message/rfc822 nesting described in a BODYSTRUCTURE (our choice; deeper ones
/// are described as plain parts, as [`inspect::MAX_MIME_DEPTH`] does for multiparts).
const MAX_NESTING: usize = 4;

// ----- strings on the wire -----

/// Writes `s` as a string: quoted when it is short 7-bit text without CR, LF or NUL,
/// otherwise as a literal (RFC 3501 §4.3).
pub fn push_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 1024 && s.iter().all(|&b| (1..0x80).contains(&b) && b != b'\r' && b != b'\n') {
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
        out.extend_from_slice(s);
    }
}

/// Writes `s` as a literal `{n}\r\n...` whatever it holds: body section data (RFC 3501
/// §7.4.2 BODY[...], RFC822*). A quoted string would be valid there too, but clients such
/// as curl expect the literal that servers send.
pub fn push_literal(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
    out.extend_from_slice(s);
}

/// A string, or NIL when absent.
pub fn push_nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => push_string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// An astring: an atom when it can be one, else a string (RFC 3501 §9).
pub fn push_astring(out: &mut Vec<u8>, s: &[u8]) {
    let atom = !s.is_empty()
        && s.iter().all(|&b| (0x21..0x7f).contains(&b) && !b"(){%*\"\\".contains(&b))
        && !s.eq_ignore_ascii_case(b"NIL");
    if atom { out.extend_from_slice(s) } else { push_string(out, s) }
}

// ----- ENVELOPE -----

/// The ENVELOPE of `message` (RFC 3501 §7.4.2): date, subject, from, sender, reply-to,
/// to, cc, bcc, in-reply-to, message-id, as the header has them (not decoded). Sender and
/// reply-to default to from.
pub fn envelope(out: &mut Vec<u8>, message: &[u8]) {
    let field = |name: &str| mail::header(message, name);
    out.push(b'(');
    for name in ["Date", "Subject"] {
        push_nstring(out, field(name).as_deref().map(str::as_bytes));
        out.push(b' ');
    }
    let from = field("From");
    for name in ["From", "Sender", "Reply-To", "To", "Cc", "Bcc"] {
        let value = match name {
            "Sender" | "Reply-To" => field(name).or_else(|| from.clone()),
            _ => field(name),
        };
        address_list(out, value.as_deref());
        out.push(b' ');
    }
    push_nstring(out, field("In-Reply-To").as_deref().map(str::as_bytes));
    out.push(b' ');
    push_nstring(out, field("Message-ID").as_deref().map(str::as_bytes));
    out.push(b')');
}

/// One entry of an address list: a mailbox, or the start or end of a group (RFC 3501
/// §7.4.2: a group starts with `(NIL NIL "name" NIL)` and ends with `(NIL NIL NIL NIL)`).
#[derive(Debug, PartialEq, Eq)]
enum Addr {
    Mailbox { name: Option<String>, mailbox: String, host: String },
    GroupStart(String),
    GroupEnd,
}

/// Reads an address header value (RFC 5322 §3.4): commas, colons and semicolons inside
/// quotes, angle brackets or comments do not count.
fn parse_addresses(value: &str) -> Vec<Addr> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut comment, mut escaped) = (false, false, 0u32, false);
    let mut current = String::new();
    let flush = |s: &mut String, out: &mut Vec<Addr>| {
        if let Some(a) = mailbox(s.trim()) {
            out.push(a);
        }
        s.clear();
    };
    for c in value.chars() {
        if escaped {
            escaped = false;
            current.push(c);
            continue;
        }
        match c {
            '\\' if quoted || comment > 0 => escaped = true,
            '"' if comment == 0 => quoted = !quoted,
            '(' if !quoted => comment += 1,
            ')' if !quoted && comment > 0 => comment -= 1,
            '<' if !quoted && comment == 0 => angle = true,
            '>' if !quoted && comment == 0 => angle = false,
            ':' if !quoted && !angle && comment == 0 => {
                out.push(Addr::GroupStart(current.trim().trim_matches('"').to_string()));
                current.clear();
                continue;
            }
            ';' if !quoted && !angle && comment == 0 => {
                flush(&mut current, &mut out);
                out.push(Addr::GroupEnd);
                continue;
            }
            ',' if !quoted && !angle && comment == 0 => {
                flush(&mut current, &mut out);
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    flush(&mut current, &mut out);
    out
}

/// One mailbox: `Name <local@host>` or `local@host (comment)`.
fn mailbox(s: &str) -> Option<Addr> {
    if s.is_empty() {
        return None;
    }
    let (name, spec) = match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => {
            let name = s[..a].trim().trim_matches('"').replace("\\\"", "\"");
            // A source route `@a,@b:` inside the brackets is obsolete (RFC 5322 §4.4).
            let spec = s[a + 1..b].rsplit(':').next().unwrap_or("");
            ((!name.is_empty()).then_some(name), spec.trim().to_string())
        }
        _ => {
            let mut spec = String::new();
            let mut depth = 0u32;
            for c in s.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth = depth.saturating_sub(1),
                    _ if depth == 0 => spec.push(c),
                    _ => {}
                }
            }
            (None, spec.trim().to_string())
        }
    };
    let (mailbox, host) = match spec.rsplit_once('@') {
        Some((m, h)) => (m.to_string(), h.to_string()),
        None => (spec, String::new()),
    };
    Some(Addr::Mailbox { name, mailbox, host })
}

fn address_list(out: &mut Vec<u8>, value: Option<&str>) {
    let addrs = value.map(parse_addresses).unwrap_or_default();
    if addrs.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in addrs {
        match a {
            Addr::Mailbox { name, mailbox, host } => {
                out.push(b'(');
                push_nstring(out, name.as_deref().map(str::as_bytes));
                out.extend_from_slice(b" NIL ");
                push_string(out, mailbox.as_bytes());
                out.push(b' ');
                push_string(out, host.as_bytes());
                out.push(b')');
            }
            Addr::GroupStart(name) => {
                out.extend_from_slice(b"(NIL NIL ");
                push_string(out, name.as_bytes());
                out.extend_from_slice(b" NIL)");
            }
            Addr::GroupEnd => out.extend_from_slice(b"(NIL NIL NIL NIL)"),
        }
    }
    out.push(b')');
}

// ----- BODYSTRUCTURE -----

/// BODYSTRUCTURE (`extended`) or BODY of `message` (RFC 3501 §7.4.2).
pub fn body_structure(out: &mut Vec<u8>, message: &[u8], extended: bool) {
    let tree = inspect::mime_tree(message);
    part_structure(out, message, &tree, extended, 0);
}

fn field<'p>(part: &'p Part, name: &str) -> Option<&'p str> {
    part.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.value.as_str())
}

fn type_and_subtype(part: &Part) -> (&str, &str) {
    part.content_type.split_once('/').unwrap_or(("text", "plain"))
}

/// `("name" "value" ...)` or NIL.
fn params(out: &mut Vec<u8>, params: &[(String, String)]) {
    if params.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (n, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        push_string(out, n.as_bytes());
        out.push(b' ');
        push_string(out, v.as_bytes());
    }
    out.push(b')');
}

/// The extension data shared by both kinds of part: disposition, language, location
/// (RFC 3501 §7.4.2 body-ext-1part / body-ext-mpart, after their first field).
fn disposition_language_location(out: &mut Vec<u8>, part: &Part) {
    match field(part, "Content-Disposition") {
        Some(d) => {
            let mut pieces = inspect::split_params(d).into_iter();
            let kind = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
            let ps: Vec<(String, String)> = pieces
                .filter_map(|p| {
                    let (n, v) = p.split_once('=')?;
                    Some((n.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
                })
                .collect();
            out.push(b'(');
            push_string(out, kind.as_bytes());
            out.push(b' ');
            params(out, &ps);
            out.push(b')');
        }
        None => out.extend_from_slice(b"NIL"),
    }
    out.push(b' ');
    push_nstring(out, field(part, "Content-Language").map(str::as_bytes));
    out.push(b' ');
    push_nstring(out, field(part, "Content-Location").map(str::as_bytes));
}

fn part_structure(out: &mut Vec<u8>, message: &[u8], part: &Part, extended: bool, nesting: usize) {
    let (kind, subtype) = type_and_subtype(part);
    out.push(b'(');
    if kind == "multipart" {
        if part.children.is_empty() {
            // body-type-mpart needs at least one body: an empty text part stands in for a
            // multipart whose parts could not be read.
            out.extend_from_slice(b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
        }
        for child in &part.children {
            part_structure(out, message, child, extended, nesting);
        }
        out.push(b' ');
        push_string(out, subtype.as_bytes());
        if extended {
            out.push(b' ');
            params(out, &part.params);
            out.push(b' ');
            disposition_language_location(out, part);
        }
        out.push(b')');
        return;
    }
    push_string(out, kind.as_bytes());
    out.push(b' ');
    push_string(out, subtype.as_bytes());
    out.push(b' ');
    if field(part, "Content-Type").is_none() {
        // RFC 2045 §5.2: no Content-Type means text/plain; charset=us-ascii.
        params(out, &[("charset".into(), "us-ascii".into())]);
    } else {
        params(out, &part.params);
    }
    out.push(b' ');
    push_nstring(out, field(part, "Content-ID").map(str::as_bytes));
    out.push(b' ');
    push_nstring(out, field(part, "Content-Description").map(str::as_bytes));
    out.push(b' ');
    let encoding = field(part, "Content-Transfer-Encoding").unwrap_or("7bit").to_ascii_lowercase();
    push_string(out, encoding.as_bytes());
    let body = &message[part.body.clone()];
    out.extend_from_slice(format!(" {}", body.len()).as_bytes());
    let lines = body.iter().filter(|&&b| b == b'\n').count();
    if part.content_type == "message/rfc822" && nesting < MAX_NESTING {
        out.push(b' ');
        envelope(out, body);
        out.push(b' ');
        let inner = inspect::mime_tree(body);
        part_structure(out, body, &inner, extended, nesting + 1);
        out.extend_from_slice(format!(" {lines}").as_bytes());
    } else if part.content_type == "message/rfc822" {
        // At the nesting limit, still what body-type-msg must have (RFC 3501 §9, RFC 9051
        // §9): the forwarded message's envelope (its header only: no deeper), and its body
        // as one part not looked into, with its real size: `application/octet-stream`
        // ("other kinds of data", RFC 2046 §4.5.1), the line count.
        out.push(b' ');
        envelope(out, body);
        let (_, text) = split_message(body);
        out.extend_from_slice(
            format!(" (\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" {}) {lines}", text.len())
                .as_bytes(),
        );
    } else if kind == "text" {
        out.extend_from_slice(format!(" {lines}").as_bytes());
    }
    if extended {
        out.push(b' ');
        push_nstring(out, field(part, "Content-MD5").map(str::as_bytes));
        out.push(b' ');
        disposition_language_location(out, part);
    }
    out.push(b')');
}

// ----- body sections -----

/// The header of a message, its blank line included, and where its text starts.
fn split_message(message: &[u8]) -> (Range<usize>, Range<usize>) {
    let end = if message.starts_with(b"\r\n") {
        2
    } else {
        message.windows(4).position(|w| w == b"\r\n\r\n").map_or(message.len(), |p| p + 4)
    };
    (0..end, end..message.len())
}

/// The header lines whose field names are (or, with `not`, are not) in `names`, each
/// with its continuation lines, then a blank line (RFC 3501 §6.4.5 HEADER.FIELDS).
fn header_fields(message: &[u8], names: &[String], not: bool) -> Vec<u8> {
    let head = &message[split_message(message).0];
    let mut out = Vec::new();
    let mut keep = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" {
            break;
        }
        if !line.starts_with(b" ") && !line.starts_with(b"\t") {
            let name = line.split(|&b| b == b':').next().unwrap_or_default();
            let listed = names.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name.trim_ascii()));
            keep = listed != not && line.contains(&b':');
        }
        if keep {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The octets of `section` of `message`, or `None` when the message has no such part
/// (answered NIL).
pub fn section(message: &[u8], section: &Section) -> Option<Vec<u8>> {
    // Walk the part numbers: (the bytes the part's ranges refer to, the part, whether it
    // stands for a whole message).
    let mut bytes = message;
    let mut part = inspect::mime_tree(message);
    let mut root = true;
    for &n in &section.part {
        let i = n as usize - 1;
        if !part.children.is_empty() {
            part = part.children.get(i)?.clone();
            root = false;
        } else if !root && part.content_type == "message/rfc822" {
            bytes = &bytes[part.body.clone()];
            let inner = inspect::mime_tree(bytes);
            part = if inner.children.is_empty() {
                (i == 0).then_some(inner)?
            } else {
                inner.children.get(i)?.clone()
            };
        } else if root && i == 0 {
            root = false;
        } else {
            return None;
        }
    }
    let whole = if section.part.is_empty() { message } else { &bytes[part.body.clone()] };
    let msg = || -> Option<&[u8]> {
        // HEADER and TEXT after part numbers need a message/rfc822 part (RFC 3501 §6.4.5).
        if section.part.is_empty() || part.content_type == "message/rfc822" { Some(whole) } else { None }
    };
    Some(match &section.text {
        None => whole.to_vec(),
        Some(SectionText::Header) => {
            let m = msg()?;
            m[split_message(m).0].to_vec()
        }
        Some(SectionText::Text) => {
            let m = msg()?;
            m[split_message(m).1].to_vec()
        }
        Some(SectionText::HeaderFields { not, fields }) => header_fields(msg()?, fields, *not),
        Some(SectionText::Mime) => {
            let mut h = bytes[part.header.clone()].to_vec();
            h.extend_from_slice(b"\r\n");
            h
        }
    })
}

/// `BODY[section]` as the response names it: `1.2.HEADER.FIELDS (FROM TO)`.
pub fn section_label(out: &mut Vec<u8>, section: &Section) {
    out.extend_from_slice(b"BODY[");
    let mut first = true;
    for n in &section.part {
        if !first {
            out.push(b'.');
        }
        out.extend_from_slice(n.to_string().as_bytes());
        first = false;
    }
    if let Some(text) = &section.text {
        if !first {
            out.push(b'.');
        }
        match text {
            SectionText::Header => out.extend_from_slice(b"HEADER"),
            SectionText::Text => out.extend_from_slice(b"TEXT"),
            SectionText::Mime => out.extend_from_slice(b"MIME"),
            SectionText::HeaderFields { not, fields } => {
                out.extend_from_slice(if *not { b"HEADER.FIELDS.NOT (" } else { b"HEADER.FIELDS (" });
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    push_astring(out, f.as_bytes());
                }
                out.push(b')');
            }
        }
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_codec::decode::Decoder;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    const SIMPLE: &[u8] = b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nFrom: Alice <alice@example.org>\r\nTo: bob@example.net, \"Carol, C.\" <carol@example.net>\r\nSubject: Lunch\r\nMessage-ID: <1@example.org>\r\n\r\nLunch at noon?\r\nSee you.\r\n";

    const MIXED: &[u8] = b"From: alice@example.org\r\nSubject: Photo\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere it is.\r\n--b1\r\nContent-Type: image/png; name=p.png\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=p.png\r\n\r\niVBORw0K\r\n--b1--\r\n";

    #[test]
    fn strings() {
        let cases: [(&[u8], &str); 5] = [
            (b"plain", "\"plain\""),
            (b"say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\""),
            (b"two\r\nlines", "{10}\r\ntwo\r\nlines"),
            ("caf\u{e9}".as_bytes(), "{5}\r\ncaf\u{e9}"),
            (b"", "\"\""),
        ];
        for (s, want) in cases {
            assert_eq!(text(|o| push_string(o, s)), want);
        }
        assert_eq!(text(|o| push_astring(o, b"INBOX")), "INBOX");
        assert_eq!(text(|o| push_astring(o, b"My Folder")), "\"My Folder\"");
        assert_eq!(text(|o| push_astring(o, b"nil")), "\"nil\"");
        assert_eq!(text(|o| push_nstring(o, None)), "NIL");
    }

    #[test]
    fn envelopes() {
        assert_eq!(
            text(|o| envelope(o, SIMPLE)),
            "(\"Mon, 30 Nov 2026 09:00:00 +0000\" \"Lunch\" ((\"Alice\" NIL \"alice\" \"example.org\")) \
             ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) \
             ((NIL NIL \"bob\" \"example.net\")(\"Carol, C.\" NIL \"carol\" \"example.net\")) NIL NIL NIL \
             \"<1@example.org>\")"
        );
        assert_eq!(text(|o| envelope(o, b"\r\nno header")), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
        // Groups (RFC 3501 §7.4.2) and comments.
        let cases = [
            ("undisclosed-recipients:;", "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))"),
            (
                "team: a@x.org, b@y.org;",
                "((NIL NIL \"team\" NIL)(NIL NIL \"a\" \"x.org\")(NIL NIL \"b\" \"y.org\")(NIL NIL NIL NIL))",
            ),
            ("bob@example.net (Bob, the builder)", "((NIL NIL \"bob\" \"example.net\"))"),
            ("<@relay.org:bob@example.net>", "((NIL NIL \"bob\" \"example.net\"))"),
            ("", "NIL"),
        ];
        for (value, want) in cases {
            assert_eq!(text(|o| address_list(o, Some(value))), want, "{value}");
        }
    }

    #[test]
    fn body_structures() {
        assert_eq!(
            text(|o| body_structure(o, SIMPLE, true)),
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 26 2 NIL NIL NIL NIL)"
        );
        assert_eq!(
            text(|o| body_structure(o, SIMPLE, false)),
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 26 2)"
        );
        assert_eq!(
            text(|o| body_structure(o, MIXED, false)),
            "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 11 0)\
             (\"image\" \"png\" (\"name\" \"p.png\") NIL NIL \"base64\" 8) \"mixed\")"
        );
        assert_eq!(
            text(|o| body_structure(o, MIXED, true)),
            "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 11 0 NIL NIL NIL NIL)\
             (\"image\" \"png\" (\"name\" \"p.png\") NIL NIL \"base64\" 8 NIL (\"attachment\" (\"filename\" \"p.png\")) NIL NIL) \
             \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)"
        );
        // A forwarded message: its envelope, structure and lines (RFC 3501 §7.4.2).
        let fwd = b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n";
        assert_eq!(
            text(|o| body_structure(o, fwd, false)),
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 22 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) \
             (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1) 3)"
        );
    }

    /// RFC 3501 §9 body-type-msg: a message/rfc822 part always has an envelope, a body
    /// and a line count, also past the nesting limit (then a NIL envelope and a minimal
    /// text/plain body).
    #[test]
    fn forwards_past_the_nesting_limit_keep_the_grammar() {
        let mut m = b"Subject: leaf\r\n\r\nhi\r\n".to_vec();
        for depth in 1..=7 {
            let mut outer = b"Subject: fwd\r\nContent-Type: message/rfc822\r\n\r\n".to_vec();
            outer.extend_from_slice(&m);
            m = outer;
            for extended in [false, true] {
                let out = text(|o| body_structure(o, &m, extended));
                let opens = out.matches('(').count();
                assert_eq!(opens, out.matches(')').count(), "{out}");
                let mut rest = &out[..];
                let mut parts = 0;
                let head = "\"message\" \"rfc822\" NIL NIL NIL \"7bit\" ";
                while let Some(at) = rest.find(head) {
                    parts += 1;
                    rest = &rest[at + head.len()..];
                    let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                    // An envelope, never NIL (RFC 3501 §9: body-type-msg has one).
                    assert!(
                        after.starts_with(" (NIL \"fwd\"") || after.starts_with(" (NIL \"leaf\""),
                        "{depth}: {out}"
                    );
                }
                assert_eq!(parts, depth.min(MAX_NESTING + 1), "{out}");
                // Past the limit, the last one's body is one part with its real size.
                if depth > MAX_NESTING {
                    assert!(out.contains("(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" "), "{out}");
                }
                // A strict parser of the grammar takes it: imap-codec, as a FETCH response.
                let response = format!("* 1 FETCH (BODYSTRUCTURE {out})\r\n");
                let parsed = imap_codec::ResponseCodec::default().decode(response.as_bytes());
                assert!(parsed.is_ok(), "{depth} {extended}: {parsed:?}\n{response}");
            }
        }
    }

    #[test]
    fn sections() {
        let s = |part: &[u32], t: Option<SectionText>| Section { part: part.to_vec(), text: t };
        let fields = |names: &[&str], not| SectionText::HeaderFields {
            not,
            fields: names.iter().map(|n| n.to_string()).collect(),
        };
        let cases: Vec<(&[u8], Section, Option<&[u8]>)> = vec![
            (SIMPLE, s(&[], None), Some(SIMPLE)),
            (SIMPLE, s(&[], Some(SectionText::Text)), Some(b"Lunch at noon?\r\nSee you.\r\n")),
            (SIMPLE, s(&[1], None), Some(b"Lunch at noon?\r\nSee you.\r\n")),
            (SIMPLE, s(&[2], None), None),
            (SIMPLE, s(&[], Some(fields(&["subject", "TO"], false))), Some(b"To: bob@example.net, \"Carol, C.\" <carol@example.net>\r\nSubject: Lunch\r\n\r\n")),
            (SIMPLE, s(&[], Some(fields(&["date", "from", "to", "message-id"], true))), Some(b"Subject: Lunch\r\n\r\n")),
            (MIXED, s(&[1], None), Some(b"Here it is.")),
            (MIXED, s(&[2], None), Some(b"iVBORw0K")),
            (MIXED, s(&[2], Some(SectionText::Mime)), Some(b"Content-Type: image/png; name=p.png\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=p.png\r\n\r\n")),
            (MIXED, s(&[1], Some(SectionText::Header)), None),
            (MIXED, s(&[3], None), None),
            (MIXED, s(&[1, 1], None), None),
            (b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n", s(&[1], Some(SectionText::Header)), Some(b"Subject: inner\r\n\r\n")),
            (b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n", s(&[1, 1], None), Some(b"hi\r\n")),
        ];
        for (msg, sec, want) in cases {
            assert_eq!(section(msg, &sec).as_deref(), want, "{sec:?}");
        }
        let mut label = Vec::new();
        section_label(&mut label, &s(&[1, 2], Some(fields(&["From", "X Y"], true))));
        assert_eq!(String::from_utf8(label).unwrap(), "BODY[1.2.HEADER.FIELDS.NOT (From \"X Y\")]");
    }
}
