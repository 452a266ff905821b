//! BODYSTRUCTURE read back into the MIME tree it describes (RFC 3501 §7.4.2, grammar
//! §9 `body`): what a mail program learns of a message's parts before it downloads any
//! of them, and the part numbers it then fetches with `BODY[n]` (§6.4.5).
//!
//! The reader is generous, as the response reader is: a field it does not need may be
//! missing or odd, and the part is still shown; only a value that is not a body at all
//! (not a list, no type) is refused. Depth is bounded by [`response::MAX_DEPTH`].

use crate::imap::response::{self, Response, Value};

/// One part of the tree, as the server described it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BodyPart {
    /// Its part number (RFC 3501 §6.4.5): `1`, `2.1`... ; empty for the multipart that
    /// is the whole message (its body is `BODY[TEXT]`).
    pub section: String,
    /// `text`, `image`, `multipart`..., lower case.
    pub media_type: String,
    /// `plain`, `mixed`..., lower case.
    pub subtype: String,
    /// The Content-Type parameters (`charset`, `name`, `boundary`...).
    pub params: Vec<(String, String)>,
    /// Content-ID and Content-Description.
    pub id: Option<String>,
    pub description: Option<String>,
    /// Content-Transfer-Encoding (`7bit`, `base64`...), lower case; none for a multipart.
    pub encoding: Option<String>,
    /// The size of its body in octets as it travels (encoded); none for a multipart.
    pub size: Option<u64>,
    /// Lines of its body, for `text/*` and `message/rfc822`.
    pub lines: Option<u64>,
    /// Content-Disposition (`inline`, `attachment`) and its `filename`, from the
    /// extension data of BODYSTRUCTURE (BODY has none).
    pub disposition: Option<String>,
    pub filename: Option<String>,
    /// For `message/rfc822`: the subject of the message inside (from its ENVELOPE).
    pub inner_subject: Option<String>,
    /// A multipart's parts; a `message/rfc822`'s one body.
    pub children: Vec<BodyPart>,
}

impl BodyPart {
    /// `text/plain`.
    pub fn mime_type(&self) -> String {
        format!("{}/{}", self.media_type, self.subtype)
    }

    pub fn is_multipart(&self) -> bool {
        self.media_type == "multipart"
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The part to show as the message's text, as a mail program picks it: the first
    /// `text/plain` that is not an attachment, else the first such `text/html`, looking
    /// into multiparts but not into attached messages (RFC 2046 §5.1.4: of an
    /// alternative, the plainest comes first). `None` when there is no text at all.
    pub fn text_part(&self) -> Option<&BodyPart> {
        self.find_text("plain").or_else(|| self.find_text("html"))
    }

    fn find_text(&self, subtype: &str) -> Option<&BodyPart> {
        if self.is_multipart() {
            return self.children.iter().find_map(|c| c.find_text(subtype));
        }
        let attached = self.disposition.as_deref() == Some("attachment");
        (self.media_type == "text" && self.subtype == subtype && !attached).then_some(self)
    }

    /// Every part, depth first, the tree's root first.
    pub fn walk(&self) -> Vec<&BodyPart> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

/// The BODYSTRUCTURE (or BODY) that one `* n FETCH` response carries, read into its tree;
/// `None` when the response carries none or it cannot be read as a body.
pub fn of_response(bytes: &[u8]) -> Option<BodyPart> {
    let Some(Response::Fetch { items, .. }) = response::parse(bytes) else { return None };
    items.iter().find(|(n, _)| n == "BODYSTRUCTURE" || n == "BODY").and_then(|(_, v)| read(v))
}

/// Reads a `body` value (RFC 3501 §9) as the whole message's tree.
pub fn read(value: &Value) -> Option<BodyPart> {
    let mut root = body(value)?;
    // A message that is not multipart has one part, numbered 1 (§6.4.5).
    let section = if root.is_multipart() { String::new() } else { "1".into() };
    number(&mut root, section);
    Some(root)
}

/// Gives `part` its number and its children theirs.
fn number(part: &mut BodyPart, section: String) {
    let child =
        |i: usize| if section.is_empty() { (i + 1).to_string() } else { format!("{section}.{}", i + 1) };
    if part.is_multipart() {
        for (i, c) in part.children.iter_mut().enumerate() {
            number(c, child(i));
        }
    } else if let Some(inner) = part.children.first_mut() {
        // message/rfc822: a multipart inside is numbered under it (2.1, 2.2...); any other
        // body inside is part n.1 (§6.4.5).
        if inner.is_multipart() {
            inner.section = section.clone();
            for (i, c) in inner.children.iter_mut().enumerate() {
                number(c, child(i));
            }
        } else {
            number(inner, child(0));
        }
    }
    part.section = section;
}

fn lower(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::text).map(|s| s.to_ascii_lowercase())
}

/// `("name" "value" ...)` or NIL.
fn params(v: Option<&Value>) -> Vec<(String, String)> {
    let list = v.map(Value::list).unwrap_or_default();
    list.chunks(2)
        .filter_map(|p| Some((p.first()?.text()?.to_ascii_lowercase(), p.get(1)?.text()?)))
        .collect()
}

/// `("attachment" ("filename" "x.txt"))` or NIL.
fn disposition(part: &mut BodyPart, v: Option<&Value>) {
    let Some(d) = v.map(Value::list).filter(|d| !d.is_empty()) else { return };
    part.disposition = lower(d.first());
    part.filename = params(d.get(1)).into_iter().find(|(n, _)| n == "filename").map(|(_, v)| v);
}

fn body(value: &Value) -> Option<BodyPart> {
    let list = match value {
        Value::List(l) if !l.is_empty() => l,
        _ => return None,
    };
    // body-type-mpart: one or more bodies, then the subtype (§9).
    if matches!(list[0], Value::List(_)) {
        let count = list.iter().take_while(|v| matches!(v, Value::List(_))).count();
        let children = list[..count].iter().map(body).collect::<Option<Vec<_>>>()?;
        let mut part = BodyPart {
            media_type: "multipart".into(),
            subtype: lower(list.get(count))?,
            params: params(list.get(count + 1)),
            children,
            ..BodyPart::default()
        };
        disposition(&mut part, list.get(count + 2));
        return Some(part);
    }
    // body-type-1part: type, subtype, params, id, description, encoding, size...
    let mut part = BodyPart {
        media_type: lower(list.first())?,
        subtype: lower(list.get(1))?,
        params: params(list.get(2)),
        id: list.get(3).and_then(Value::text),
        description: list.get(4).and_then(Value::text),
        encoding: lower(list.get(5)),
        size: list.get(6).and_then(Value::atom).and_then(|a| a.parse().ok()),
        ..BodyPart::default()
    };
    // What follows the size depends on the type (§9 body-type-msg, body-type-text).
    let mut next = 7;
    if part.media_type == "message" && part.subtype == "rfc822" {
        part.inner_subject = list.get(7).map(Value::list).and_then(|e| e.get(1)).and_then(Value::text);
        part.children.extend(list.get(8).and_then(body));
        part.lines = list.get(9).and_then(Value::atom).and_then(|a| a.parse().ok());
        next = 10;
    } else if part.media_type == "text" {
        part.lines = list.get(7).and_then(Value::atom).and_then(|a| a.parse().ok());
        next = 8;
    }
    // body-ext-1part: MD5, then the disposition.
    disposition(&mut part, list.get(next + 1));
    Some(part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::message;

    fn tree(message: &[u8]) -> BodyPart {
        let mut bytes = b"* 1 FETCH (UID 1 BODYSTRUCTURE ".to_vec();
        message::body_structure(&mut bytes, message, true);
        bytes.extend_from_slice(b")\r\n");
        of_response(&bytes).unwrap_or_else(|| panic!("unreadable: {}", String::from_utf8_lossy(&bytes)))
    }

    /// `section type` for every part, depth first.
    fn outline(t: &BodyPart) -> Vec<String> {
        t.walk().iter().map(|p| format!("{} {}", p.section, p.mime_type()).trim().to_string()).collect()
    }

    const MIXED: &[u8] = b"From: a@b\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n\
--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\nthere\r\n\
--b2\r\nContent-Type: text/html\r\n\r\n<p>Hello</p>\r\n--b2--\r\n\
--b1\r\nContent-Type: text/plain; name=\"menu.txt\"\r\nContent-Disposition: attachment; filename=\"menu.txt\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nU291cA==\r\n\
--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: Inner\r\nContent-Type: multipart/mixed; boundary=b3\r\n\r\n\
--b3\r\n\r\none\r\n--b3\r\nContent-Type: image/png\r\n\r\nx\r\n--b3--\r\n\
--b1--\r\n";

    #[test]
    fn the_tree_the_server_describes_is_the_messages_own() {
        let cases: [(&[u8], &[&str]); 3] = [
            (b"Subject: plain\r\n\r\nHi\r\n", &["1 text/plain"]),
            (
                b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\nHi\r\n--b\r\nContent-Type: text/html\r\n\r\n<b>Hi</b>\r\n--b--\r\n",
                &["multipart/alternative", "1 text/plain", "2 text/html"],
            ),
            (
                MIXED,
                &[
                    "multipart/mixed",
                    "1 multipart/alternative",
                    "1.1 text/plain",
                    "1.2 text/html",
                    "2 text/plain",
                    "3 message/rfc822",
                    "3 multipart/mixed",
                    "3.1 text/plain",
                    "3.2 image/png",
                ],
            ),
        ];
        for (message, want) in cases {
            assert_eq!(outline(&tree(message)), want, "{}", String::from_utf8_lossy(message));
        }
    }

    #[test]
    fn fields_are_read_from_their_places() {
        let t = tree(MIXED);
        assert_eq!(t.param("boundary"), Some("b1"));
        let text = &t.children[0].children[0];
        assert_eq!(
            (text.param("charset"), text.encoding.as_deref(), text.lines),
            (Some("utf-8"), Some("7bit"), Some(1))
        );
        // The CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1).
        assert_eq!(text.size, Some(b"Hello\r\nthere".len() as u64));
        let file = &t.children[1];
        assert_eq!(
            (file.disposition.as_deref(), file.filename.as_deref(), file.encoding.as_deref()),
            (Some("attachment"), Some("menu.txt"), Some("base64"))
        );
        assert_eq!(t.children[2].inner_subject.as_deref(), Some("Inner"));
        // The text a mail program shows: the plain alternative, not the attachment.
        assert_eq!(t.text_part().map(|p| p.section.as_str()), Some("1.1"));
    }

    #[test]
    fn text_part_as_a_mail_program_picks_it() {
        let only_html = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/png\r\n\r\nx\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n";
        let only_file = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nx\r\n--b--\r\n";
        let cases: [(&[u8], Option<&str>); 3] =
            [(b"Subject: x\r\n\r\nHi\r\n", Some("1")), (only_html, Some("2")), (only_file, None)];
        for (m, want) in cases {
            assert_eq!(tree(m).text_part().map(|p| p.section.as_str()), want);
        }
    }

    #[test]
    fn bodies_that_are_not_bodies_are_refused_and_odd_fields_tolerated() {
        let cases: [(&[u8], bool); 8] = [
            (b"* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1))\r\n", true),
            // BODY, the non-extensible form.
            (
                b"* 1 FETCH (BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1))\r\n",
                true,
            ),
            // A size that is not a number, fields missing: still a part.
            (b"* 1 FETCH (BODYSTRUCTURE (\"image\" \"png\" NIL NIL NIL \"base64\" big))\r\n", true),
            (b"* 1 FETCH (BODYSTRUCTURE (\"image\" \"png\"))\r\n", true),
            (b"* 1 FETCH (BODYSTRUCTURE NIL)\r\n", false),
            (b"* 1 FETCH (BODYSTRUCTURE ())\r\n", false),
            (b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\")))\r\n", false),
            (b"* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n", false),
        ];
        for (bytes, ok) in cases {
            assert_eq!(of_response(bytes).is_some(), ok, "{}", String::from_utf8_lossy(bytes));
        }
        let t = of_response(cases[1].0).unwrap();
        assert_eq!((t.mime_type(), t.param("charset")), ("text/plain".to_string(), Some("us-ascii")));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut bytes = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
        bytes.extend(std::iter::repeat_n(b'(', 10_000));
        bytes.extend_from_slice(b"\"text\" \"plain\"");
        bytes.extend(std::iter::repeat_n(b')', 10_000));
        bytes.extend_from_slice(b" \"mixed\")\r\n");
        assert_eq!(of_response(&bytes), None);
    }
}
