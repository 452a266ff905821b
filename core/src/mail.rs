//! The mail model: composing RFC 5322 messages, reading their headers, and writing
//! delivery status notifications (RFC 3464).
//!
//! Composing five header fields and reading one back is small enough to write here; a
//! full MIME parser (mail-parser) would cost ~42 KB of gzipped wasm for no gain yet.

use std::fmt;

use crate::base64;
use crate::time::{SimTime, rfc5322_date};

/// Why a message cannot be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeError(pub String);

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ComposeError {}

/// `Alice <alice@example.org>` → `alice@example.org`; a bare address is returned as is.
pub fn addr_spec(mailbox: &str) -> &str {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => mailbox[a + 1..b].trim(),
        _ => mailbox.trim(),
    }
}

/// The domain of an address, lower-cased.
pub fn domain_of(addr: &str) -> String {
    addr.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default()
}

/// Checks an address as a mail client would before putting it into an envelope.
pub fn check_address(addr: &str) -> Result<(), ComposeError> {
    let bad = |why: &str| Err(ComposeError(format!("`{addr}` is not a usable address: {why}")));
    if addr.chars().any(|c| c.is_control() || c == ' ' || c == '<' || c == '>') {
        return bad("it contains spaces, angle brackets or control characters");
    }
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return bad("it has no @");
    };
    if local.is_empty() || domain.is_empty() || !domain.contains('.') {
        return bad("it needs a name before the @ and a domain after it");
    }
    if local.len() > crate::smtp::MAX_LOCAL_PART || addr.len() + 2 > crate::smtp::MAX_PATH {
        return bad("it is too long");
    }
    Ok(())
}

/// Refuses CR, LF and other control characters in a header value: they would let one
/// header be read as two.
fn check_header_text(name: &str, value: &str) -> Result<(), ComposeError> {
    if value.chars().any(|c| c.is_control()) {
        return Err(ComposeError(format!("the {name} may not contain line breaks or control characters")));
    }
    Ok(())
}

/// Text that is not ASCII, as RFC 2047 encoded-words of at most 75 characters each
/// (§2), separated by spaces so that the header can be folded between them.
fn encoded_words(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        // 39 octets of UTF-8 give 52 characters of base64 + 12 of `=?UTF-8?B??=`: a word
        // fits on a line with a header name, within 78 characters.
        if chunk.len() + c.len_utf8() > 39 {
            words.push(format!("=?UTF-8?B?{}?=", base64::encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64::encode(chunk.as_bytes())));
    }
    words.join(" ")
}

/// `Zoë <zoe@example.org>` → `=?UTF-8?B?Wm/Dqw==?= <zoe@example.org>`: only the display
/// name may be encoded; the address stays as it is (RFC 2047 §5).
fn mailbox_value(name: &str, mailbox: &str) -> Result<String, ComposeError> {
    check_header_text(name, mailbox)?;
    let addr = addr_spec(mailbox);
    match mailbox.rfind('<') {
        Some(lt) => {
            let display = mailbox[..lt].trim();
            if display.is_empty() {
                Ok(format!("<{addr}>"))
            } else if display.is_ascii() {
                Ok(format!("{display} <{addr}>"))
            } else {
                Ok(format!("{} <{addr}>", encoded_words(display)))
            }
        }
        None => Ok(addr.to_string()),
    }
}

/// A header field folded at spaces so that lines stay within 78 characters where the
/// words allow it, and always within the hard limit of 998 (RFC 5322 §2.1.1, §2.2.3).
fn folded(name: &str, value: &str) -> Result<String, ComposeError> {
    let mut out = format!("{name}:");
    let mut line_len = out.len();
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        if word.len() + name.len() + 2 > 998 {
            return Err(ComposeError(format!("the {name} has a word too long for one line")));
        }
        if line_len + 1 + word.len() > 78 && line_len > name.len() + 1 {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push(' ');
        out.push_str(word);
        line_len += 1 + word.len();
    }
    out.push_str("\r\n");
    Ok(out)
}

/// What a person writes in a mail client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft<'a> {
    pub from: &'a str,
    pub to: &'a [String],
    /// Copies, named in a `Cc:` header.
    pub cc: &'a [String],
    /// Blind copies: in the envelope only, never in the header (RFC 5322 §3.6.3).
    pub bcc: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    /// Files sent with the text: a `multipart/mixed` message (RFC 2046 §5.1.3).
    pub attachments: &'a [Attachment],
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name (`menu.txt`).
    pub name: String,
    /// Its content type (`text/plain`), from the name's extension.
    pub content_type: String,
    pub data: Vec<u8>,
}

impl Attachment {
    /// An attachment called `name`, its type known from the extension as a mail program
    /// would guess it (`application/octet-stream` when unknown, RFC 2046 §4.5.1).
    pub fn new(name: &str, data: Vec<u8>) -> Attachment {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let content_type = match ext.as_str() {
            "txt" => "text/plain",
            "csv" => "text/csv",
            "html" | "htm" => "text/html",
            "ics" => "text/calendar",
            "md" => "text/markdown",
            _ => "application/octet-stream",
        };
        Attachment { name: name.to_string(), content_type: content_type.to_string(), data }
    }
}

/// The text part's headers: us-ascii and 7bit, or UTF-8 and 8bit (RFC 2045 §6, RFC 6152).
/// A multipart body's boundary made from the message's Message-ID: at most 70 characters,
/// each one a boundary may hold (`bcharsnospace`, RFC 2046 §5.1.1), so `@` becomes `.`.
fn mime_boundary(message_id: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(c);
    format!("=_part_{message_id}").chars().map(|c| if allowed(c) { c } else { '.' }).take(70).collect()
}

fn text_part_headers(m: &mut String, body: &str) {
    if body.is_ascii() {
        m.push_str("Content-Type: text/plain; charset=us-ascii\r\n");
        m.push_str("Content-Transfer-Encoding: 7bit\r\n");
    } else {
        m.push_str("Content-Type: text/plain; charset=utf-8\r\n");
        m.push_str("Content-Transfer-Encoding: 8bit\r\n");
    }
}

/// Writes an RFC 5322 message with Date, Message-ID, From, To, Subject, and MIME headers
/// for plain text (RFC 2045). Line ends become CRLF.
pub fn compose(draft: &Draft, date: SimTime, message_id: &str) -> Result<Vec<u8>, ComposeError> {
    check_address(addr_spec(draft.from))?;
    for to in draft.to.iter().chain(draft.cc).chain(draft.bcc) {
        check_address(addr_spec(to))?;
    }
    let mut m = String::new();
    m.push_str(&format!("Date: {}\r\n", rfc5322_date(date)));
    m.push_str(&format!("Message-ID: <{message_id}>\r\n"));
    m.push_str(&folded("From", &mailbox_value("From", draft.from)?)?);
    let to = draft.to.iter().map(|t| mailbox_value("To", t)).collect::<Result<Vec<_>, _>>()?;
    m.push_str(&folded("To", &to.join(", "))?);
    if !draft.cc.is_empty() {
        let cc = draft.cc.iter().map(|t| mailbox_value("Cc", t)).collect::<Result<Vec<_>, _>>()?;
        m.push_str(&folded("Cc", &cc.join(", "))?);
    }
    // Bcc recipients get the message through the envelope alone: the header that every
    // recipient reads does not name them (RFC 5322 §3.6.3, the first way it describes).
    check_header_text("Subject", draft.subject)?;
    m.push_str(&folded("Subject", &encoded_words(draft.subject))?);
    m.push_str("MIME-Version: 1.0\r\n");
    // With attachments: a multipart/mixed body, the text first, then each file in base64
    // (RFC 2046 §5.1.3, RFC 2045 §6.8). The boundary comes from the Message-ID, which no
    // line of the text can hold with the leading "--=_".
    let boundary = mime_boundary(message_id);
    if draft.attachments.is_empty() {
        text_part_headers(&mut m, draft.body);
        m.push_str("\r\n");
    } else {
        if draft.body.contains(&boundary) {
            return Err(ComposeError("the body contains the MIME boundary".into()));
        }
        for piece in [
            "Content-Type: multipart/mixed; boundary=\"",
            &boundary,
            "\"\r\n\r\nThis is a message with several parts in MIME format.\r\n\r\n--",
            &boundary,
            "\r\n",
        ] {
            m.push_str(piece);
        }
        text_part_headers(&mut m, draft.body);
        m.push_str("\r\n");
    }
    for line in draft.body.lines() {
        // RFC 5322 §2.1.1: at most 998 characters per line.
        if line.len() > 998 {
            return Err(ComposeError("a line of the body is longer than 998 characters".into()));
        }
        // A bare CR (or another control character) would be refused by any careful server.
        if line.chars().any(|c| c.is_control() && c != '\t') {
            return Err(ComposeError("the body may not contain control characters other than tabs".into()));
        }
        m.push_str(line);
        m.push_str("\r\n");
    }
    for a in draft.attachments {
        // The name goes into quoted parameters: no quotes, backslashes or controls.
        if a.name.is_empty()
            || a.name.chars().any(|c| c.is_control() || c == '"' || c == '\\' || !c.is_ascii())
        {
            return Err(ComposeError(format!(
                "the attachment name `{}` needs plain ASCII without quotes",
                a.name
            )));
        }
        for piece in [
            "--",
            &boundary,
            "\r\nContent-Type: ",
            &a.content_type,
            "; name=\"",
            &a.name,
            "\"\r\nContent-Disposition: attachment; filename=\"",
            &a.name,
            "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        ] {
            m.push_str(piece);
        }
        // Lines of 76 characters at most (RFC 2045 §6.8).
        let encoded = base64::encode(&a.data);
        for chunk in encoded.as_bytes().chunks(76) {
            m.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            m.push_str("\r\n");
        }
    }
    if !draft.attachments.is_empty() {
        m.push_str("--");
        m.push_str(&boundary);
        m.push_str("--\r\n");
    }
    Ok(m.into_bytes())
}

/// The header section of a message (up to the first empty line): none when the message
/// starts with the empty line (RFC 5322 §2.1: a message of body only).
pub fn header_section(message: &[u8]) -> &[u8] {
    if message.starts_with(b"\r\n") {
        return &[];
    }
    let end = message.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 2).unwrap_or(message.len());
    &message[..end]
}

/// `head` (a header section, lines ending in CRLF) without the fields called `name` whose
/// unfolded value `drop` picks; each field goes whole, with its folded lines
/// (RFC 5322 §2.2.3).
#[cfg(feature = "trust")]
pub fn without_fields(head: &[u8], name: &str, drop: impl Fn(&str) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len());
    let mut rest = head;
    while !rest.is_empty() {
        // One field: its first line and every line that starts with a space or a tab.
        let mut end = 0;
        loop {
            end += rest[end..].windows(2).position(|w| w == b"\r\n").map_or(rest.len() - end, |p| p + 2);
            if !rest.get(end).is_some_and(|b| *b == b' ' || *b == b'\t') {
                break;
            }
        }
        let (field, tail) = rest.split_at(end);
        let text = String::from_utf8_lossy(field);
        let named = text.split_once(':').is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name));
        let value = || {
            text.split_once(':')
                .map_or(String::new(), |(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        if !(named && drop(&value())) {
            out.extend_from_slice(field);
        }
        rest = tail;
    }
    out
}

/// The value of the first header field called `name`, unfolded (RFC 5322 §2.2.3).
pub fn header(message: &[u8], name: &str) -> Option<String> {
    let head = String::from_utf8_lossy(header_section(message));
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = &mut value {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value
}

/// Like [`header`], with RFC 2047 `=?UTF-8?B?...?=` words decoded, for showing to people.
/// Words in other charsets or encodings are left as they are.
pub fn header_text(message: &[u8], name: &str) -> Option<String> {
    let raw = header(message, name)?;
    let mut out = String::new();
    let mut prev_encoded = false;
    for (i, word) in raw.split(' ').enumerate() {
        let decoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut parts = w.splitn(3, '?');
                let (charset, enc, text) = (parts.next()?, parts.next()?, parts.next()?);
                (charset.eq_ignore_ascii_case("utf-8") && enc.eq_ignore_ascii_case("b")).then_some(text)
            })
            .and_then(base64::decode_lenient)
            .and_then(|b| String::from_utf8(b).ok());
        // Spaces between two encoded-words are not part of the text (RFC 2047 §6.2).
        if i > 0 && !(prev_encoded && decoded.is_some()) {
            out.push(' ');
        }
        prev_encoded = decoded.is_some();
        out.push_str(decoded.as_deref().unwrap_or(word));
    }
    Some(out)
}

/// `message` with every line end a CRLF: a bare LF becomes CRLF (RFC 5322 §2.1: lines end
/// with CRLF, and CR and LF never appear alone). A last line without its line end is kept
/// so (RFC 5322 allows a body that does not end in CRLF), and so is a bare CR, which ends no
/// line. IMAP's APPEND stores messages in this form, so that the message a client fetches
/// and the size it is told are those of the message in RFC 5322 format (RFC 9051 §2.3.4,
/// §7.5.2 RFC822.SIZE) and agree with what POP3 sends.
pub fn with_crlf_line_ends(message: Vec<u8>) -> Vec<u8> {
    let bare = |(i, &b): (usize, &u8)| b == b'\n' && (i == 0 || message[i - 1] != b'\r');
    let count = message.iter().enumerate().filter(|&x| bare(x)).count();
    if count == 0 {
        return message;
    }
    let mut out = Vec::with_capacity(message.len() + count);
    for (i, &b) in message.iter().enumerate() {
        if bare((i, &b)) {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Prepends `Return-Path:` at final delivery (RFC 5321 §4.4), and leaves out any the
/// message came with (with their folded lines): the final delivery MAY remove them (§4.4),
/// and one written by the sender is no trace field at all (RFC 5322 §3.6.7 puts it only on
/// top of a block of trace fields), so it would show an address the server never read.
///
/// A walk of its own rather than `without_fields` (the sender checks', which reads each
/// field's value): this one is in the first load, where that one made it 152 bytes larger
/// (43 over the budget, `scripts/size.sh`).
pub fn with_return_path(mail_from: &str, message: &[u8]) -> Vec<u8> {
    let head = header_section(message);
    let mut out = format!("Return-Path: <{mail_from}>\r\n").into_bytes();
    let mut dropping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b" ") && !line.starts_with(b"\t") {
            dropping = line.get(..12).is_some_and(|n| n.eq_ignore_ascii_case(b"return-path:"));
        }
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&message[head.len()..]);
    out
}

/// One recipient that could not be reached, for a DSN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub recipient: String,
    /// RFC 3463 status, e.g. `5.1.1`.
    pub status: String,
    /// Why, for the people reading the bounce, in the words of the event that failed it
    /// ("mx.example.net answered: 550 5.1.1 ...", "the domain nowhere.test does not
    /// exist (DNS: NXDOMAIN)").
    pub reason: String,
    /// The reply a remote server really sent, when one did. Only this goes into
    /// `Remote-MTA` and `Diagnostic-Code: smtp;` (RFC 3464 §2.3.5, §2.3.6): a failure the
    /// reporting MTA found itself (no MX, a refused connection, a timeout) has none.
    pub remote: Option<RemoteReply>,
}

/// A reply from a remote server, as it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteReply {
    /// The server's name.
    pub mta: String,
    /// The reply line(s), e.g. `550 5.1.1 <x@example.net>: no such user here`.
    pub reply: String,
}

/// What a bounce needs to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounce<'a> {
    pub reporting_mta: &'a str,
    pub sender: &'a str,
    pub arrival: SimTime,
    pub now: SimTime,
    pub message_id: &'a str,
    pub original: &'a [u8],
    /// The recipients it is about: failed ones, or in a warning the ones still waiting.
    pub failures: &'a [Failure],
    /// A "delayed" warning rather than a bounce: the message is still queued and will be
    /// tried until then (RFC 3464 §2.3.3, §2.3.9).
    pub will_retry_until: Option<SimTime>,
}

/// Writes a delivery status notification: `multipart/report; report-type=delivery-status`
/// with a part for people, a `message/delivery-status` part, and the original headers
/// (RFC 3464 §2, RFC 6522).
pub fn dsn(b: &Bounce) -> Vec<u8> {
    let boundary = format!("{}/{}", b.message_id.split('@').next().unwrap_or("dsn"), b.reporting_mta);
    let mut m = String::new();
    m.push_str(&format!("Date: {}\r\n", rfc5322_date(b.now)));
    m.push_str(&format!("Message-ID: <{}>\r\n", b.message_id));
    m.push_str(&format!("From: Mail Delivery System <MAILER-DAEMON@{}>\r\n", b.reporting_mta));
    m.push_str(&format!("To: <{}>\r\n", b.sender));
    m.push_str(match b.will_retry_until {
        None => "Subject: Undelivered Mail Returned to Sender\r\n",
        Some(_) => "Subject: Delayed Mail (still being retried)\r\n",
    });
    m.push_str("Auto-Submitted: auto-replied\r\n");
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
    ));
    m.push_str("This is a MIME-encapsulated message.\r\n\r\n");
    m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"));
    m.push_str(&format!("This is the mail system at {}.\r\n\r\n", b.reporting_mta));
    match b.will_retry_until {
        None => m.push_str("Your message could not be delivered to one or more recipients.\r\n\r\n"),
        Some(until) => m.push_str(&format!(
            "Your message could not be delivered yet to one or more recipients.\r\nIt will be tried again until {}.\r\nYou do not need to send it again.\r\n\r\n",
            rfc5322_date(until)
        )),
    }
    for f in b.failures {
        m.push_str(&format!("<{}>: {}\r\n", f.recipient, f.reason));
    }
    m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"));
    m.push_str(&format!("Reporting-MTA: dns; {}\r\n", b.reporting_mta));
    m.push_str(&format!("Arrival-Date: {}\r\n", rfc5322_date(b.arrival)));
    for f in b.failures {
        m.push_str("\r\n");
        m.push_str(&format!("Final-Recipient: rfc822; {}\r\n", f.recipient));
        m.push_str(if b.will_retry_until.is_some() { "Action: delayed\r\n" } else { "Action: failed\r\n" });
        m.push_str(&format!("Status: {}\r\n", f.status));
        if let Some(r) = &f.remote {
            m.push_str(&format!("Remote-MTA: dns; {}\r\n", r.mta));
            m.push_str(&format!("Diagnostic-Code: smtp; {}\r\n", r.reply));
        }
        m.push_str(&format!("Last-Attempt-Date: {}\r\n", rfc5322_date(b.now)));
        if let Some(until) = b.will_retry_until {
            m.push_str(&format!("Will-Retry-Until: {}\r\n", rfc5322_date(until)));
        }
    }
    m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"));
    let mut out = m.into_bytes();
    out.extend_from_slice(header_section(b.original));
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The final delivery's Return-Path goes on top; any the message came with, folded or
    /// not, in any case, is left out; the body is not touched.
    #[test]
    fn return_path_replaces_the_senders_own() {
        let cases: [(&[u8], &[u8]); 5] = [
            (b"Subject: hi\r\n\r\nbody\r\n", b"Subject: hi\r\n\r\nbody\r\n"),
            (
                b"Received: from x\r\nReturn-Path: <forged@evil.example>\r\nSubject: rp\r\n\r\nhi\r\n",
                b"Received: from x\r\nSubject: rp\r\n\r\nhi\r\n",
            ),
            (
                b"return-PATH:\r\n <forged@evil.example>\r\nSubject: rp\r\n\r\nReturn-Path: <in the body>\r\n",
                b"Subject: rp\r\n\r\nReturn-Path: <in the body>\r\n",
            ),
            (b"\r\nno header\r\n", b"\r\nno header\r\n"),
            // No header section: a Return-Path line in the body stays.
            (b"\r\nReturn-Path: <in the body>\r\n", b"\r\nReturn-Path: <in the body>\r\n"),
        ];
        for (message, rest) in cases {
            let mut want = b"Return-Path: <alice@example.org>\r\n".to_vec();
            want.extend_from_slice(rest);
            assert_eq!(
                String::from_utf8_lossy(&with_return_path("alice@example.org", message)),
                String::from_utf8_lossy(&want)
            );
        }
    }

    #[test]
    fn line_ends_become_crlf() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"Subject: bare\n\nline1\nline2\r\n", b"Subject: bare\r\n\r\nline1\r\nline2\r\n"),
            (b"A: 1\r\n\r\nx\r\n", b"A: 1\r\n\r\nx\r\n"),
            (b"\n", b"\r\n"),
            (b"no end", b"no end"),
            (b"a bare CR\rstays\r\r\n", b"a bare CR\rstays\r\r\n"),
            (b"", b""),
        ];
        for (message, want) in cases {
            assert_eq!(with_crlf_line_ends(message.to_vec()), want, "{:?}", String::from_utf8_lossy(message));
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(addr_spec("Alice Liddell <alice@example.org>"), "alice@example.org");
        assert_eq!(addr_spec(" bob@example.net "), "bob@example.net");
        assert_eq!(domain_of("bob@Example.NET"), "example.net");
        for bad in ["bob", "bob@", "@x.y", "a b@x.y", "a@x\r\n.y", "a@localhost"] {
            assert!(check_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn compose_writes_the_headers_and_crlf() {
        let to = vec!["Bob <bob@example.net>".to_string()];
        let d = Draft {
            cc: &[],
            bcc: &[],
            from: "Alice <alice@example.org>",
            to: &to,
            subject: "Lunch?",
            body: "Hi\n.dot\n",
            attachments: &[],
        };
        let m = String::from_utf8(compose(&d, SimTime::ZERO, "1@example.org").unwrap()).unwrap();
        assert!(m.starts_with("Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <1@example.org>\r\nFrom: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: Lunch?\r\n"));
        assert!(m.ends_with("\r\n\r\nHi\r\n.dot\r\n"));
        assert_eq!(header(m.as_bytes(), "subject").as_deref(), Some("Lunch?"));
    }

    #[test]
    fn attachments_make_a_multipart_message_with_base64_parts() {
        let to = vec!["bob@example.net".to_string()];
        let files = [
            Attachment::new("menu.txt", b"Soup\r\nBread\r\n".to_vec()),
            Attachment::new("photo.JPG", vec![0xff; 100]),
        ];
        assert_eq!(
            (files[0].content_type.as_str(), files[1].content_type.as_str()),
            ("text/plain", "application/octet-stream")
        );
        let d = Draft {
            cc: &[],
            bcc: &[],
            from: "alice@example.org",
            to: &to,
            subject: "Menu",
            body: "See the menu.",
            attachments: &files,
        };
        let m = compose(&d, SimTime::ZERO, "7@example.org").unwrap();
        let tree = crate::inspect::mime_tree(&m);
        assert_eq!(tree.content_type, "multipart/mixed");
        let kinds: Vec<(&str, Option<&str>)> =
            tree.children.iter().map(|p| (p.content_type.as_str(), p.param("name"))).collect();
        assert_eq!(
            kinds,
            [
                ("text/plain", None),
                ("text/plain", Some("menu.txt")),
                ("application/octet-stream", Some("photo.JPG"))
            ]
        );
        // Each file decodes back to its bytes; no base64 line is longer than 76 (RFC 2045 §6.8).
        for (part, file) in tree.children[1..].iter().zip(&files) {
            let text = std::str::from_utf8(&m[part.body.clone()]).unwrap();
            assert!(text.lines().all(|l| l.len() <= 76), "{text}");
            let joined: String = text.split_whitespace().collect();
            assert_eq!(crate::smtp::auth::decode(&joined).unwrap(), file.data, "{}", file.name);
        }
        let text = String::from_utf8(m).unwrap();
        assert!(text.contains("Content-Disposition: attachment; filename=\"menu.txt\"\r\n"), "{text}");
        assert!(text.ends_with("--=_part_7.example.org--\r\n"), "{text}");
        // The boundary holds only what RFC 2046 §5.1.1 allows, in at most 70 characters.
        let long = format!("{}@example.org", "1".repeat(80));
        for (id, boundary) in [
            ("7@example.org", "=_part_7.example.org".to_string()),
            ("a b\"c@x", "=_part_a.b.c.x".to_string()),
            (long.as_str(), format!("=_part_{}", "1".repeat(63))),
        ] {
            assert_eq!(mime_boundary(id), boundary, "{id}");
        }
        // A name that would break out of its quotes is refused.
        for bad in ["a\"b.txt", "", "caf\u{e9}.txt", "a\rb"] {
            let files = [Attachment::new(bad, vec![1])];
            let d = Draft { attachments: &files, ..d };
            assert!(compose(&d, SimTime::ZERO, "7@example.org").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cc_goes_into_the_header_and_bcc_does_not() {
        let (to, cc, bcc) = (
            vec!["bob@example.net".to_string()],
            vec!["Carol <carol@example.net>".to_string()],
            vec!["dave@example.net".to_string()],
        );
        let d = Draft {
            from: "alice@example.org",
            to: &to,
            cc: &cc,
            bcc: &bcc,
            subject: "x",
            body: "",
            attachments: &[],
        };
        let m = String::from_utf8(compose(&d, SimTime::ZERO, "1@x").unwrap()).unwrap();
        assert!(m.contains("\r\nTo: bob@example.net\r\nCc: Carol <carol@example.net>\r\n"), "{m}");
        assert!(!m.to_ascii_lowercase().contains("bcc") && !m.contains("dave"), "{m}");
        let bad = vec!["not an address".to_string()];
        let d = Draft {
            from: "alice@example.org",
            to: &to,
            cc: &[],
            bcc: &bad,
            subject: "x",
            body: "",
            attachments: &[],
        };
        assert!(compose(&d, SimTime::ZERO, "1@x").is_err(), "a bad Bcc address is refused too");
    }

    #[test]
    fn compose_refuses_header_injection_and_encodes_utf8() {
        let to = vec!["bob@example.net".to_string()];
        let bad = Draft {
            cc: &[],
            bcc: &[],
            from: "a@example.org",
            to: &to,
            subject: "x\r\nBcc: eve@evil.example",
            body: "",
            attachments: &[],
        };
        assert!(compose(&bad, SimTime::ZERO, "1@x").is_err());
        let utf = Draft {
            cc: &[],
            bcc: &[],
            from: "a@example.org",
            to: &to,
            subject: "Grüße",
            body: "",
            attachments: &[],
        };
        let m = String::from_utf8(compose(&utf, SimTime::ZERO, "1@x").unwrap()).unwrap();
        assert!(m.contains("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"), "{m}");
        // Only the display name is encoded; the address stays readable.
        let zoe = Draft {
            cc: &[],
            bcc: &[],
            from: "Zoë <alice@example.org>",
            to: &to,
            subject: "x",
            body: "",
            attachments: &[],
        };
        let m = String::from_utf8(compose(&zoe, SimTime::ZERO, "1@x").unwrap()).unwrap();
        assert!(m.contains("From: =?UTF-8?B?Wm/Dqw==?= <alice@example.org>\r\n"), "{m}");
        let bad_body = Draft {
            cc: &[],
            bcc: &[],
            from: "a@example.org",
            to: &to,
            subject: "x",
            body: "a\rb",
            attachments: &[],
        };
        assert!(compose(&bad_body, SimTime::ZERO, "1@x").is_err());
    }

    #[test]
    fn long_headers_are_folded_and_every_line_fits() {
        let many: Vec<String> = (0..60).map(|i| format!("Bob Example <bob{i}@example.net>")).collect();
        let subject = "word ".repeat(200);
        let long_utf8 = "ÄÖÜ ".repeat(40);
        for (to, subject) in [(&many, subject.as_str()), (&many, long_utf8.as_str())] {
            let d = Draft {
                cc: &[],
                bcc: &[],
                from: "Alice <alice@example.org>",
                to,
                subject,
                body: "hi",
                attachments: &[],
            };
            let m = String::from_utf8(compose(&d, SimTime::ZERO, "1@x").unwrap()).unwrap();
            for line in m.split("\r\n") {
                assert!(line.len() <= 78 || !line.contains(' '), "{line:?}");
                for w in line.split(' ').filter(|w| w.starts_with("=?")) {
                    assert!(w.len() <= 75, "{w}");
                }
            }
            assert_eq!(header(m.as_bytes(), "To").unwrap().matches('@').count(), 60);
        }
    }

    #[test]
    fn encoded_headers_read_back() {
        let to = vec!["bob@example.net".to_string()];
        let subject = "Grüße aus Köln, und noch viel mehr Text: ÄÖÜ ÄÖÜ ÄÖÜ ÄÖÜ ÄÖÜ ÄÖÜ";
        let d = Draft {
            cc: &[],
            bcc: &[],
            from: "Zoë <alice@example.org>",
            to: &to,
            subject,
            body: "",
            attachments: &[],
        };
        let m = compose(&d, SimTime::ZERO, "1@x").unwrap();
        assert_eq!(header_text(&m, "Subject").as_deref(), Some(subject));
        assert_eq!(header_text(&m, "From").as_deref(), Some("Zoë <alice@example.org>"));
        assert_eq!(
            header_text(b"Subject: =?ISO-8859-1?Q?x?= y\r\n\r\n", "Subject").as_deref(),
            Some("=?ISO-8859-1?Q?x?= y")
        );
    }

    #[test]
    fn headers_unfold() {
        let m = b"Subject: a\r\n long\r\nX: y\r\n\r\nSubject: body\r\n";
        assert_eq!(header(m, "Subject").as_deref(), Some("a long"));
        assert_eq!(header(m, "Missing"), None);
    }

    #[test]
    fn dsn_has_the_rfc3464_parts() {
        let f = [
            Failure {
                recipient: "nobody@example.net".into(),
                status: "5.1.1".into(),
                reason: "mx.example.net answered: 550 5.1.1 <nobody@example.net>: no such user here".into(),
                remote: Some(RemoteReply {
                    mta: "mx.example.net".into(),
                    reply: "550 5.1.1 <nobody@example.net>: no such user here".into(),
                }),
            },
            Failure {
                recipient: "x@nowhere.test".into(),
                status: "5.1.2".into(),
                reason: "the domain nowhere.test does not exist (DNS: NXDOMAIN)".into(),
                remote: None,
            },
        ];
        let b = Bounce {
            reporting_mta: "smtp.example.org",
            sender: "alice@example.org",
            arrival: SimTime::ZERO,
            now: SimTime::from_secs(1),
            message_id: "b1@smtp.example.org",
            original: b"Subject: hi\r\n\r\nbody\r\n",
            failures: &f,
            will_retry_until: None,
        };
        let m = String::from_utf8(dsn(&b)).unwrap();
        for want in [
            "Content-Type: multipart/report; report-type=delivery-status;",
            "Content-Type: message/delivery-status",
            "Reporting-MTA: dns; smtp.example.org",
            "Final-Recipient: rfc822; nobody@example.net",
            "Action: failed",
            "Status: 5.1.1",
            "Remote-MTA: dns; mx.example.net",
            "Diagnostic-Code: smtp; 550 5.1.1",
            "Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\n",
        ] {
            assert!(m.contains(want), "missing {want:?} in\n{m}");
        }
        assert!(!m.contains("body\r\n--"), "only the headers of the original");
        // A failure found by the reporting MTA itself names no remote server (RFC 3464 §2.3.5).
        let second = &m[m.find("Final-Recipient: rfc822; x@nowhere.test").unwrap()..];
        let second = &second[..second.find("\r\n\r\n").unwrap()];
        assert!(!second.contains("Remote-MTA") && !second.contains("Diagnostic-Code"), "{second}");
        assert!(m.contains("<x@nowhere.test>: the domain nowhere.test does not exist (DNS: NXDOMAIN)\r\n"));
    }
}
