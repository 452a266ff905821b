//! The mail model: composing RFC 5322 messages, reading their headers, and writing
//! delivery status notifications (RFC 3464).
//!
//! Composing five header fields and reading one back is small enough to write here; a
//! full MIME parser (mail-parser) would cost ~42 KB of gzipped wasm for no gain yet.

use std::fmt;

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

/// A header value: refused when it holds CR, LF or other control characters (they would
/// let one header be read as two); encoded as an RFC 2047 word when it is not ASCII.
fn header_value(name: &str, value: &str) -> Result<String, ComposeError> {
    if value.chars().any(|c| c.is_control()) {
        return Err(ComposeError(format!("the {name} may not contain line breaks or control characters")));
    }
    if value.is_ascii() {
        Ok(value.to_string())
    } else {
        Ok(format!("=?UTF-8?B?{}?=", base64(value.as_bytes())))
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What a person writes in a mail client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft<'a> {
    pub from: &'a str,
    pub to: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
}

/// Writes an RFC 5322 message with Date, Message-ID, From, To, Subject, and MIME headers
/// for plain text (RFC 2045). Line ends become CRLF.
pub fn compose(draft: &Draft, date: SimTime, message_id: &str) -> Result<Vec<u8>, ComposeError> {
    check_address(addr_spec(draft.from))?;
    for to in draft.to {
        check_address(addr_spec(to))?;
    }
    let mut m = String::new();
    m.push_str(&format!("Date: {}\r\n", rfc5322_date(date)));
    m.push_str(&format!("Message-ID: <{message_id}>\r\n"));
    m.push_str(&format!("From: {}\r\n", header_value("From", draft.from)?));
    m.push_str(&format!("To: {}\r\n", header_value("To", &draft.to.join(", "))?));
    m.push_str(&format!("Subject: {}\r\n", header_value("Subject", draft.subject)?));
    m.push_str("MIME-Version: 1.0\r\n");
    if draft.body.is_ascii() {
        m.push_str("Content-Type: text/plain; charset=us-ascii\r\n");
        m.push_str("Content-Transfer-Encoding: 7bit\r\n");
    } else {
        m.push_str("Content-Type: text/plain; charset=utf-8\r\n");
        m.push_str("Content-Transfer-Encoding: 8bit\r\n");
    }
    m.push_str("\r\n");
    for line in draft.body.lines() {
        // RFC 5322 §2.1.1: at most 998 characters per line.
        if line.len() > 998 {
            return Err(ComposeError("a line of the body is longer than 998 characters".into()));
        }
        m.push_str(line);
        m.push_str("\r\n");
    }
    Ok(m.into_bytes())
}

/// The header section of a message (up to the first empty line).
pub fn header_section(message: &[u8]) -> &[u8] {
    let end = message.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 2).unwrap_or(message.len());
    &message[..end]
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

/// Prepends `Return-Path:` at final delivery (RFC 5321 §4.4).
pub fn with_return_path(mail_from: &str, message: &[u8]) -> Vec<u8> {
    let mut out = format!("Return-Path: <{mail_from}>\r\n").into_bytes();
    out.extend_from_slice(message);
    out
}

/// One recipient that could not be reached, for a DSN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub recipient: String,
    /// RFC 3463 status, e.g. `5.1.1`.
    pub status: String,
    /// The server that refused, if one answered.
    pub remote_mta: Option<String>,
    /// The reply as the remote server sent it, or our own words.
    pub diagnostic: String,
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
    pub failures: &'a [Failure],
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
    m.push_str("Subject: Undelivered Mail Returned to Sender\r\n");
    m.push_str("Auto-Submitted: auto-replied\r\n");
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
    ));
    m.push_str("This is a MIME-encapsulated message.\r\n\r\n");
    m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"));
    m.push_str(&format!(
        "This is the mail system at {}.\r\n\r\nYour message could not be delivered to one or more recipients.\r\n\r\n",
        b.reporting_mta
    ));
    for f in b.failures {
        m.push_str(&format!("<{}>: {}\r\n", f.recipient, f.diagnostic));
    }
    m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"));
    m.push_str(&format!("Reporting-MTA: dns; {}\r\n", b.reporting_mta));
    m.push_str(&format!("Arrival-Date: {}\r\n", rfc5322_date(b.arrival)));
    for f in b.failures {
        m.push_str("\r\n");
        m.push_str(&format!("Final-Recipient: rfc822; {}\r\n", f.recipient));
        m.push_str("Action: failed\r\n");
        m.push_str(&format!("Status: {}\r\n", f.status));
        if let Some(r) = &f.remote_mta {
            m.push_str(&format!("Remote-MTA: dns; {r}\r\n"));
            m.push_str(&format!("Diagnostic-Code: smtp; {}\r\n", f.diagnostic));
        }
        m.push_str(&format!("Last-Attempt-Date: {}\r\n", rfc5322_date(b.now)));
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
        let d = Draft { from: "Alice <alice@example.org>", to: &to, subject: "Lunch?", body: "Hi\n.dot\n" };
        let m = String::from_utf8(compose(&d, SimTime::ZERO, "1@example.org").unwrap()).unwrap();
        assert!(m.starts_with("Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <1@example.org>\r\nFrom: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: Lunch?\r\n"));
        assert!(m.ends_with("\r\n\r\nHi\r\n.dot\r\n"));
        assert_eq!(header(m.as_bytes(), "subject").as_deref(), Some("Lunch?"));
    }

    #[test]
    fn compose_refuses_header_injection_and_encodes_utf8() {
        let to = vec!["bob@example.net".to_string()];
        let bad = Draft { from: "a@example.org", to: &to, subject: "x\r\nBcc: eve@evil.example", body: "" };
        assert!(compose(&bad, SimTime::ZERO, "1@x").is_err());
        let utf = Draft { from: "a@example.org", to: &to, subject: "Grüße", body: "" };
        let m = String::from_utf8(compose(&utf, SimTime::ZERO, "1@x").unwrap()).unwrap();
        assert!(m.contains("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"), "{m}");
    }

    #[test]
    fn base64_vectors() {
        for (i, o) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg==")] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn headers_unfold() {
        let m = b"Subject: a\r\n long\r\nX: y\r\n\r\nSubject: body\r\n";
        assert_eq!(header(m, "Subject").as_deref(), Some("a long"));
        assert_eq!(header(m, "Missing"), None);
    }

    #[test]
    fn dsn_has_the_rfc3464_parts() {
        let f = [Failure {
            recipient: "nobody@example.net".into(),
            status: "5.1.1".into(),
            remote_mta: Some("mx.example.net".into()),
            diagnostic: "550 5.1.1 <nobody@example.net>: no such user here".into(),
        }];
        let b = Bounce {
            reporting_mta: "smtp.example.org",
            sender: "alice@example.org",
            arrival: SimTime::ZERO,
            now: SimTime::from_secs(1),
            message_id: "b1@smtp.example.org",
            original: b"Subject: hi\r\n\r\nbody\r\n",
            failures: &f,
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
    }
}
