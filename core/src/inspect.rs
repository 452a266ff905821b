//! The message inspector's reading of a message: its header fields in order, the
//! `Received:` chain hop by hop, the envelope next to the header, the MIME tree, and the
//! fields of a delivery status notification.
//!
//! Only what the simulation's messages contain needs reading, and a general MIME parser
//! (mail-parser) would cost ~42 KB of gzipped wasm, so this is written here against the
//! RFCs it cites. Untrusted input: it never panics, and depth and counts are capped.

use std::ops::Range;

use crate::mail;
use crate::trace::{EventKind, Trace};

/// A multipart body nested deeper than this is shown as one leaf.
pub const MAX_MIME_DEPTH: usize = 8;
/// At most this many parts are read in one message.
pub const MAX_PARTS: usize = 64;

/// One header field, its value unfolded (RFC 5322 §2.2.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// The header fields of `message` in order (up to the first empty line).
pub fn fields(message: &[u8]) -> Vec<Field> {
    let head = String::from_utf8_lossy(mail::header_section(message)).into_owned();
    let mut out: Vec<Field> = Vec::new();
    for line in head.split("\r\n").flat_map(|l| l.split('\n')) {
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.value.push(' ');
                last.value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            out.push(Field { name: name.trim().to_string(), value: value.trim().to_string() });
        }
    }
    out
}

/// One hop of the `Received:` chain (RFC 5321 §4.4): who handed the message to whom.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hop {
    /// The name the sending host gave in EHLO or HELO.
    pub from: Option<String>,
    /// What the receiver saw of the connection: reverse DNS name and address.
    pub from_tcp: Option<String>,
    /// The receiving host.
    pub by: Option<String>,
    /// The protocol: SMTP, ESMTP, ESMTPA, ESMTPS, ESMTPSA (RFC 3848), LMTP...
    pub with: Option<String>,
    /// The receiver's queue id.
    pub id: Option<String>,
    /// The recipient, when there was only one.
    pub for_addr: Option<String>,
    /// When the receiver took it.
    pub date: Option<String>,
}

impl Hop {
    /// What the `with` keyword says, in words (RFC 3848 §2, RFC 5321 §4.4).
    pub fn protocol_meaning(&self) -> Option<&'static str> {
        Some(match self.with.as_deref()?.to_ascii_uppercase().as_str() {
            "SMTP" => "SMTP, started with HELO",
            "ESMTP" => "SMTP with extensions (EHLO), not encrypted, no login",
            "ESMTPA" => "SMTP with extensions, the client logged in (AUTH), not encrypted",
            "ESMTPS" => "SMTP with extensions over TLS (STARTTLS), no login",
            "ESMTPSA" => "SMTP with extensions over TLS, the client logged in",
            "LMTP" => "LMTP, local delivery",
            _ => return None,
        })
    }
}

/// The `Received:` chain, first hop first: every server puts its line on top, so the
/// lowest line is the oldest (RFC 5321 §4.4).
pub fn received_chain(message: &[u8]) -> Vec<Hop> {
    let mut hops: Vec<Hop> = fields(message)
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Received"))
        .map(|f| parse_received(&f.value))
        .collect();
    hops.reverse();
    hops
}

/// `from X (tcp-info) by Y with Z id W for <a>; date` (RFC 5321 §4.4).
fn parse_received(value: &str) -> Hop {
    let (clauses, date) = match value.rsplit_once(';') {
        Some((c, d)) => (c, Some(d.trim().to_string())),
        None => (value, None),
    };
    let mut hop = Hop { date, ..Hop::default() };
    let mut key: Option<String> = None;
    // The clause just read, for the comment after it.
    let mut last: Option<String> = None;
    let mut rest = clauses.trim();
    while !rest.is_empty() {
        // A comment: the TCP-info after `from`, or a remark after any other clause.
        if let Some(inner) = rest.strip_prefix('(') {
            let end = inner.find(')').unwrap_or(inner.len());
            if key.is_none() && last.as_deref() == Some("from") && hop.from_tcp.is_none() {
                hop.from_tcp = Some(inner[..end].trim().to_string());
            }
            rest = inner.get(end + 1..).unwrap_or("").trim_start();
            continue;
        }
        let end = rest.find([' ', '\t', '(']).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = rest[end..].trim_start();
        match key.take() {
            None => key = Some(word.to_ascii_lowercase()),
            Some(k) => {
                let v = Some(word.trim_matches(['<', '>', ';', ',']).to_string());
                match k.as_str() {
                    "from" => hop.from = v,
                    "by" => hop.by = v,
                    "with" => hop.with = v,
                    "id" => hop.id = v,
                    "for" => hop.for_addr = v,
                    _ => {}
                }
                last = Some(k);
            }
        }
    }
    hop
}

/// The addresses of an address header (`To`, `Cc`, `Bcc`, `From`): each mailbox's
/// addr-spec as written (a local part is case-sensitive, RFC 5321 §2.4), in order (RFC 5322
/// §3.4). Commas inside quotes or angle brackets do not separate mailboxes.
pub fn addresses(message: &[u8], name: &str) -> Vec<String> {
    let Some(value) = mail::header(message, name) else { return Vec::new() };
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut start) = (false, false, 0);
    let bytes = value.as_bytes();
    for i in 0..=bytes.len() {
        match bytes.get(i) {
            Some(b'"') => quoted = !quoted,
            Some(b'<') if !quoted => angle = true,
            Some(b'>') if !quoted => angle = false,
            Some(b',') if quoted || angle => {}
            Some(b',') | None => {
                let one = mail::addr_spec(&value[start..i]).to_string();
                if one.contains('@') {
                    out.push(one);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// The envelope a message travelled with, beside what its header says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `MAIL FROM` (empty for a bounce).
    pub mail_from: String,
    /// The `RCPT TO` the server accepted.
    pub rcpt_to: Vec<String>,
}

/// The envelope of the message in event `index` of `t` (the message after `354`, a
/// delivery into a mailbox, or a bounce or delay warning as written): for the message, the `MAIL FROM` and
/// the accepted `RCPT TO` of its transaction; for a delivery, its `Return-Path:` and the
/// mailbox; for a bounce, the null reverse-path and the original sender.
pub fn envelope(t: &Trace, index: usize) -> Option<Envelope> {
    let ev = t.events.get(index)?;
    match &ev.kind {
        EventKind::Delivery { mailbox } => {
            let rp = mail::header(&ev.bytes, "Return-Path")?;
            Some(Envelope { mail_from: mail::addr_spec(&rp).to_string(), rcpt_to: vec![mailbox.clone()] })
        }
        // A bounce or delay warning just written: to the original sender, from the null
        // reverse-path (RFC 5321 §4.5.5), so that it can never bounce in turn.
        EventKind::Bounce { sender } | EventKind::Delayed { sender } => {
            Some(Envelope { mail_from: String::new(), rcpt_to: vec![sender.clone()] })
        }
        EventKind::MessageData => {
            let conn = ev.conn?;
            let on_conn = |e: &&crate::trace::TraceEvent| e.conn == Some(conn);
            let before: Vec<_> = t.events[..index].iter().filter(on_conn).collect();
            // The transaction: from its last MAIL command on.
            let start = before
                .iter()
                .rposition(|e| matches!(&e.kind, EventKind::Command { verb } if verb == "MAIL"))?;
            let mut env = Envelope::default();
            let text = |e: &crate::trace::TraceEvent| String::from_utf8_lossy(&e.bytes).into_owned();
            let arg = |line: &str, key: &str| {
                let upper = line.to_ascii_uppercase();
                let at = upper.find(key)? + key.len();
                let rest = &line[at..];
                let end = rest.find('>')?;
                Some(rest[..end].trim_start_matches('<').to_string())
            };
            env.mail_from = arg(&text(before[start]), "FROM:").unwrap_or_default();
            for e in &before[start..] {
                let EventKind::Command { verb } = &e.kind else { continue };
                if verb != "RCPT" {
                    continue;
                }
                // Accepted if the reply that answers it is positive.
                let accepted = t.events[e.index..index].iter().any(|r| {
                    matches!(&r.kind, EventKind::Reply { answers: Some(a), status, .. }
                        if *a == e.index && status.smtp_code().is_some_and(|c| (200..300).contains(&c)))
                });
                if let (true, Some(to)) = (accepted, arg(&text(e), "TO:")) {
                    env.rcpt_to.push(to);
                }
            }
            Some(env)
        }
        _ => None,
    }
}

/// One part of the MIME tree (RFC 2045, RFC 2046).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// `type/subtype`, lower case; `text/plain` when not given (RFC 2045 §5.2).
    pub content_type: String,
    /// The Content-Type parameters (`charset`, `boundary`, `report-type`...).
    pub params: Vec<(String, String)>,
    /// Its own header fields.
    pub fields: Vec<Field>,
    /// Where its header is (the blank line after it excluded), in octets of the whole
    /// message: what IMAP's `BODY[n.MIME]` returns, with a CRLF (RFC 3501 §6.4.5).
    pub header: Range<usize>,
    /// Where its body is, in octets of the whole message.
    pub body: Range<usize>,
    pub children: Vec<Part>,
}

impl Part {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The MIME tree of `message`.
pub fn mime_tree(message: &[u8]) -> Part {
    let mut count = 0;
    part(message, 0..message.len(), 0, &mut count)
}

fn part(message: &[u8], range: Range<usize>, depth: usize, count: &mut usize) -> Part {
    *count += 1;
    let bytes = &message[range.clone()];
    let head_len = mail::header_section(bytes).len();
    let body_start = range.start + (head_len + 2).min(bytes.len());
    let body_start = if bytes[head_len.min(bytes.len())..].starts_with(b"\r\n") {
        body_start
    } else {
        range.start + head_len
    };
    let fields = fields(bytes);
    let ct = fields.iter().find(|f| f.name.eq_ignore_ascii_case("Content-Type")).map(|f| f.value.clone());
    let (content_type, params) = parse_content_type(ct.as_deref().unwrap_or("text/plain"));
    let body = body_start.min(range.end)..range.end;
    let mut children = Vec::new();
    if let (true, Some(boundary)) = (
        content_type.starts_with("multipart/") && depth < MAX_MIME_DEPTH,
        params.iter().find(|(n, _)| n == "boundary").map(|(_, v)| v.clone()),
    ) {
        for r in split_multipart(message, body.clone(), &boundary) {
            if *count >= MAX_PARTS {
                break;
            }
            children.push(part(message, r, depth + 1, count));
        }
    }
    let header = range.start..range.start + head_len.min(bytes.len());
    Part { content_type, params, fields, header, body, children }
}

/// `type/subtype; name=value; name="quoted value"` → the type, lower case, and the
/// parameters, names lower case (RFC 2045 §5.1).
fn parse_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut pieces = split_params(value).into_iter();
    let kind = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = pieces
        .filter_map(|p| {
            let (n, v) = p.split_once('=')?;
            Some((n.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        })
        .collect();
    (if kind.contains('/') { kind } else { "text/plain".into() }, params)
}

/// Splits at `;` outside quotes.
pub(crate) fn split_params(value: &str) -> Vec<String> {
    split_unquoted(value, |c| c == ';')
}

/// `value` split at each `sep` outside double quotes (empty parts kept).
fn split_unquoted(value: &str, sep: impl Fn(char) -> bool) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in value.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        match (c, out.last_mut()) {
            (c, _) if sep(c) && !quoted => out.push(String::new()),
            (_, Some(s)) => s.push(c),
            (_, None) => {}
        }
    }
    out
}

/// The ranges of the body parts between `--boundary` lines, up to `--boundary--`
/// (RFC 2046 §5.1.1). The CRLF before a delimiter belongs to the delimiter.
fn split_multipart(message: &[u8], body: Range<usize>, boundary: &str) -> Vec<Range<usize>> {
    let delim = format!("--{boundary}");
    let mut starts = Vec::new();
    let mut pos = body.start;
    let mut out = Vec::new();
    while pos < body.end {
        let line_end =
            message[pos..body.end].iter().position(|&b| b == b'\n').map_or(body.end, |p| pos + p + 1);
        let line = &message[pos..line_end];
        let trimmed = line.strip_suffix(b"\r\n").or(line.strip_suffix(b"\n")).unwrap_or(line);
        if trimmed.starts_with(delim.as_bytes()) {
            let closing = trimmed[delim.len()..].starts_with(b"--");
            if let Some(start) = starts.pop() {
                // The CRLF before the delimiter is part of it.
                let end = if message[..pos].ends_with(b"\r\n") { pos - 2 } else { pos };
                out.push(start..end.max(start));
            }
            if closing {
                break;
            }
            starts.push(line_end);
        }
        pos = line_end;
    }
    out
}

/// One field of a delivery status notification, with what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsnField {
    pub name: String,
    pub value: String,
    /// Its explanation in the catalogue, if it has one.
    pub explanation: Option<&'static crate::explain::Explanation>,
}

/// The `message/delivery-status` part of a DSN (RFC 3464 §2): the per-message fields and
/// one group per recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dsn {
    pub per_message: Vec<DsnField>,
    pub recipients: Vec<Vec<DsnField>>,
}

/// The DSN fields of `message`, if it is a delivery status notification
/// (`multipart/report; report-type=delivery-status`, RFC 6522, RFC 3464).
pub fn dsn(message: &[u8]) -> Option<Dsn> {
    let tree = mime_tree(message);
    let is_report = tree.content_type == "multipart/report"
        && tree.param("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"));
    if !is_report {
        return None;
    }
    let status = tree.children.iter().find(|p| p.content_type == "message/delivery-status")?;
    let text = String::from_utf8_lossy(&message[status.body.clone()]).into_owned();
    let mut groups: Vec<Vec<DsnField>> = vec![Vec::new()];
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        if line.trim().is_empty() {
            if groups.last().is_some_and(|g| !g.is_empty()) {
                groups.push(Vec::new());
            }
            continue;
        }
        let group = groups.last_mut()?;
        if line.starts_with([' ', '\t']) {
            if let Some(f) = group.last_mut() {
                f.value.push(' ');
                f.value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_string();
            let explanation = crate::explain::dsn_field(&name);
            group.push(DsnField { name, value: value.trim().to_string(), explanation });
        }
    }
    groups.retain(|g| !g.is_empty());
    let mut groups = groups.into_iter();
    Some(Dsn { per_message: groups.next().unwrap_or_default(), recipients: groups.collect() })
}

#[cfg(feature = "trust")]
/// One result of an `Authentication-Results:` field (RFC 8601 §2.2):
/// `dkim=pass header.d=example.org header.s=mail`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthResult {
    /// `spf`, `dkim`, `dmarc`, ... (RFC 8601 §2.7), lower case.
    pub method: String,
    /// `pass`, `fail`, `none`, ... lower case.
    pub result: String,
    /// `ptype.property=value` pairs (`smtp.mailfrom`, `header.d`) and `reason`.
    pub props: Vec<(String, String)>,
    /// What the method checks, from the catalogue.
    pub explanation: Option<&'static crate::explain::Explanation>,
}

#[cfg(feature = "trust")]
/// One `Authentication-Results:` field: who checked (its `authserv-id`) and what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthResults {
    pub authserv_id: String,
    pub results: Vec<AuthResult>,
}

#[cfg(feature = "trust")]
/// At most this many results are read from one `Authentication-Results:` field.
pub const MAX_AUTH_RESULTS: usize = 16;

#[cfg(feature = "trust")]
/// Every `Authentication-Results:` field of `message`, top first (RFC 8601 §2.2): the
/// newest, added by the last server that checked, first. Comments are dropped.
pub fn auth_results(message: &[u8]) -> Vec<AuthResults> {
    fields(message)
        .into_iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Authentication-Results"))
        .take(MAX_AUTH_RESULTS)
        .map(|f| read_auth_results(&f.value))
        .collect()
}

#[cfg(feature = "trust")]
fn read_auth_results(value: &str) -> AuthResults {
    // Comments out (RFC 5322 §3.2.2, nested), quoted strings kept whole.
    let (mut text, mut depth, mut quoted) = (String::new(), 0usize, false);
    for c in value.chars() {
        match c {
            '"' if depth == 0 => {
                quoted = !quoted;
                text.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => text.push(c),
            _ => {}
        }
    }
    let mut parts = split_params(&text).into_iter().map(|p| p.trim().to_string());
    // The authserv-id, maybe followed by a version (RFC 8601 §2.2).
    let authserv_id =
        parts.next().and_then(|p| p.split_whitespace().next().map(str::to_string)).unwrap_or_default();
    let results = parts
        .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("none"))
        .take(MAX_AUTH_RESULTS)
        .filter_map(|p| {
            let mut words = split_unquoted(&p, char::is_whitespace).into_iter().filter(|w| !w.is_empty());
            let first = words.next()?;
            let (method, result) = first.split_once('=')?;
            let method = method.split('/').next().unwrap_or(method).to_ascii_lowercase();
            let props = words
                .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.trim_matches('"').to_string()))
                .collect();
            let explanation = crate::explain::other(&format!("ar-{method}"));
            Some(AuthResult { method, result: result.to_ascii_lowercase(), props, explanation })
        })
        .collect();
    AuthResults { authserv_id, results }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "trust")]
    #[test]
    fn authentication_results_are_read_method_by_method() {
        let m = b"Authentication-Results: mx.example.net;\r\n\tspf=pass (the mx of example.org) smtp.mailfrom=alice@example.org;\r\n\tdkim=fail header.d=example.org header.s=mail header.b=AbCd;\r\n\tdmarc=pass header.from=example.org\r\nAuthentication-Results: other.example; none\r\nSubject: x\r\n\r\nbody\r\n";
        let ar = auth_results(m);
        assert_eq!(ar.len(), 2);
        assert_eq!(ar[0].authserv_id, "mx.example.net");
        let got: Vec<(&str, &str, usize)> =
            ar[0].results.iter().map(|r| (r.method.as_str(), r.result.as_str(), r.props.len())).collect();
        assert_eq!(got, [("spf", "pass", 1), ("dkim", "fail", 3), ("dmarc", "pass", 1)]);
        assert_eq!(ar[0].results[0].props[0], ("smtp.mailfrom".to_string(), "alice@example.org".to_string()));
        assert!(ar[0].results.iter().all(|r| r.explanation.is_some()), "each method is explained");
        // `none`: the server checked nothing (RFC 8601 §2.2).
        assert_eq!(ar[1], AuthResults { authserv_id: "other.example".into(), results: Vec::new() });
        // A stranger's field never panics and is bounded.
        let hostile = format!("Authentication-Results: ((((x; {}\r\n\r\n", "a=b;".repeat(10_000));
        assert!(auth_results(hostile.as_bytes()).iter().all(|a| a.results.len() <= MAX_AUTH_RESULTS));
        let quoted = b"Authentication-Results: h; spf=pass reason=\"a; b\"\r\n\r\n";
        assert_eq!(auth_results(quoted)[0].results[0].props, [("reason".to_string(), "a; b".to_string())]);
    }

    const RELAYED: &str = "Return-Path: <alice@example.org>\r\n\
Received: from smtp.example.org (smtp.example.org [192.0.2.25])\r\n\tby mx.example.net (Mailroom) with ESMTPS id AB12\r\n\tfor <bob@example.net>; Mon, 30 Nov 2026 09:00:01 +0000\r\n\
Received: from laptop.example.org ([192.0.2.10])\r\n\tby smtp.example.org (Mailroom) with ESMTPSA id CD34; Mon, 30 Nov 2026 09:00:00 +0000\r\n\
From: \"Liddell, Alice\" <alice@example.org>\r\n\
To: Bob <bob@example.net>, carol@example.net\r\n\
Subject: Lunch\r\n on Friday?\r\n\
\r\n\
Hi\r\n";

    #[test]
    fn fields_are_unfolded_and_in_order() {
        let f = fields(RELAYED.as_bytes());
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Return-Path", "Received", "Received", "From", "To", "Subject"]);
        assert_eq!(f[5].value, "Lunch on Friday?");
    }

    #[test]
    fn the_received_chain_reads_first_hop_first() {
        let hops = received_chain(RELAYED.as_bytes());
        let cases = [
            ("laptop.example.org", Some("[192.0.2.10]"), "smtp.example.org", "ESMTPSA", "CD34", None),
            (
                "smtp.example.org",
                Some("smtp.example.org [192.0.2.25]"),
                "mx.example.net",
                "ESMTPS",
                "AB12",
                Some("bob@example.net"),
            ),
        ];
        assert_eq!(hops.len(), cases.len());
        for (hop, (from, tcp, by, with, id, for_addr)) in hops.iter().zip(cases) {
            assert_eq!(hop.from.as_deref(), Some(from));
            assert_eq!(hop.from_tcp.as_deref(), tcp);
            assert_eq!(hop.by.as_deref(), Some(by));
            assert_eq!(hop.with.as_deref(), Some(with));
            assert_eq!(hop.id.as_deref(), Some(id));
            assert_eq!(hop.for_addr.as_deref(), for_addr);
            assert!(hop.protocol_meaning().is_some());
            assert!(hop.date.as_deref().is_some_and(|d| d.starts_with("Mon, 30 Nov 2026")));
        }
        assert!(hops[0].protocol_meaning().unwrap().contains("logged in"));
        // Odd or broken lines give what can be read, never a panic.
        for odd in ["", ";", "from", "(unclosed", "by x with", "from a (b) (c) by d; e; f"] {
            let _ = parse_received(odd);
        }
        assert_eq!(parse_received("from a (b) (c) by d; e; f").by.as_deref(), Some("d"));
    }

    #[test]
    fn addresses_split_at_commas_outside_quotes() {
        assert_eq!(addresses(RELAYED.as_bytes(), "To"), ["bob@example.net", "carol@example.net"]);
        assert_eq!(addresses(RELAYED.as_bytes(), "From"), ["alice@example.org"]);
        assert!(addresses(RELAYED.as_bytes(), "Bcc").is_empty());
        // As written: a local part is case-sensitive (RFC 5321 §2.4).
        let bounce = b"From: Mail Delivery System <MAILER-DAEMON@smtp.example.org>\r\n\r\nx\r\n";
        assert_eq!(addresses(bounce, "From"), ["MAILER-DAEMON@smtp.example.org"]);
    }

    #[test]
    fn a_dsn_is_a_tree_with_its_fields_explained() {
        let failures = [mail::Failure {
            recipient: "bobby@example.net".into(),
            status: "5.1.1".into(),
            reason: "no such user".into(),
            remote: Some(mail::RemoteReply { mta: "mx.example.net".into(), reply: "550 5.1.1 no".into() }),
        }];
        let m = mail::dsn(&mail::Bounce {
            reporting_mta: "smtp.example.org",
            sender: "alice@example.org",
            arrival: crate::time::SimTime::ZERO,
            now: crate::time::SimTime::from_secs(1),
            message_id: "b1@smtp.example.org",
            original: RELAYED.as_bytes(),
            failures: &failures,
            will_retry_until: None,
        });
        let tree = mime_tree(&m);
        assert_eq!(tree.content_type, "multipart/report");
        let kinds: Vec<&str> = tree.children.iter().map(|p| p.content_type.as_str()).collect();
        assert_eq!(kinds, ["text/plain", "message/delivery-status", "text/rfc822-headers"]);
        let text = &m[tree.children[0].body.clone()];
        assert!(
            text.starts_with(b"This is the mail system") && text.ends_with(b"no such user\r\n"),
            "{}",
            String::from_utf8_lossy(text)
        );
        let d = dsn(&m).unwrap();
        let names = |g: &[DsnField]| g.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&d.per_message), ["Reporting-MTA", "Arrival-Date"]);
        assert_eq!(d.recipients.len(), 1);
        assert_eq!(
            names(&d.recipients[0]),
            ["Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code", "Last-Attempt-Date"]
        );
        for f in d.per_message.iter().chain(&d.recipients[0]) {
            let e = f.explanation.unwrap_or_else(|| panic!("{} is not explained", f.name));
            assert!(e.rfc.starts_with("RFC 3464 §2."), "{}", e.rfc);
        }
        assert!(dsn(RELAYED.as_bytes()).is_none());
    }

    #[test]
    fn the_envelope_is_what_the_server_accepted_not_what_the_header_says() {
        let (mut w, laptop) = crate::world::standard_world();
        let to = vec!["Bob <bob@example.net>".to_string(), "nobody@example.org".to_string()];
        let draft = mail::Draft {
            cc: &[],
            bcc: &[],
            from: "Alice <alice@example.org>",
            to: &to,
            subject: "Hi",
            body: "Hello",
            attachments: &[],
        };
        w.send_mail(laptop, "smtp.example.org", &draft).unwrap();
        w.run_until_idle().unwrap();
        let t = w.trace();
        let data = t.events.iter().find(|e| e.kind == EventKind::MessageData).unwrap();
        let env = envelope(t, data.index).unwrap();
        // nobody@example.org was refused at RCPT: in the header, not in the envelope.
        assert_eq!(
            env,
            Envelope { mail_from: "alice@example.org".into(), rcpt_to: vec!["bob@example.net".into()] }
        );
        assert_eq!(addresses(&data.bytes, "To"), ["bob@example.net", "nobody@example.org"]);
        let delivery = t.events.iter().find(|e| matches!(e.kind, EventKind::Delivery { .. })).unwrap();
        let env = envelope(t, delivery.index).unwrap();
        assert_eq!(
            env,
            Envelope { mail_from: "alice@example.org".into(), rcpt_to: vec!["bob@example.net".into()] }
        );
        // The stored message's chain: laptop → smtp.example.org → mx.example.net.
        let hops = received_chain(&delivery.bytes);
        let route: Vec<(&str, &str)> =
            hops.iter().map(|h| (h.from.as_deref().unwrap_or(""), h.by.as_deref().unwrap_or(""))).collect();
        assert_eq!(
            route,
            [("laptop.example.org", "smtp.example.org"), ("smtp.example.org", "mx.example.net")]
        );
        assert_eq!(envelope(t, 0), None);
    }

    #[test]
    fn hostile_mime_never_panics_and_is_bounded() {
        let mut deep = String::new();
        for i in 0..50 {
            deep.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"));
        }
        let many = format!(
            "Content-Type: multipart/mixed; boundary=x\r\n\r\n{}--x--\r\n",
            "--x\r\n\r\nhi\r\n".repeat(500)
        );
        for m in [
            deep.as_str(),
            many.as_str(),
            "",
            "\r\n",
            "Content-Type: multipart/mixed\r\n\r\n--\r\n",
            "Content-Type: ;;;\"\r\n",
        ] {
            let tree = mime_tree(m.as_bytes());
            fn count(p: &Part) -> usize {
                1 + p.children.iter().map(count).sum::<usize>()
            }
            assert!(count(&tree) <= MAX_PARTS + 1, "{}", count(&tree));
            let _ = dsn(m.as_bytes());
        }
    }
}
