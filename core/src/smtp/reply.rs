//! SMTP replies: formatting on the server side, parsing on the client side
//! (RFC 5321 §4.2; enhanced status codes RFC 2034, RFC 3463).

use std::fmt;

use crate::line::{Line, LineReader};
use crate::smtp::{MAX_REPLY_LINE, MAX_REPLY_LINES};

/// One whole reply: a three-digit code, an optional enhanced status code, and its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// `class.subject.detail`, e.g. `5.1.1` (RFC 3463). Written at the start of every line.
    pub enhanced: Option<String>,
    /// The text of each line, without the code.
    pub lines: Vec<String>,
}

/// Every reply the SMTP servers can send, typed: the code and enhanced status code of each
/// live here once, and the servers, `mailroom-serve` and the explanation catalogue all
/// use these names. The catalogue's test walks [`ReplyCode::ALL`], so a reply built at run
/// time cannot escape it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyCode {
    /// `220`: the greeting (RFC 5321 §4.2, §3.1).
    Greeting,
    /// `220 2.0.0`: go ahead with the TLS handshake (RFC 3207 §4).
    ReadyForTls,
    /// `221 2.0.0`: answer to QUIT.
    Closing,
    /// `214 2.0.0`: answer to HELP.
    Help,
    /// `250`: answer to EHLO and HELO (no enhanced code: RFC 2034 §3 starts them after EHLO).
    Hello,
    /// `250 2.0.0`: done (NOOP, RSET, the end of data).
    Ok,
    /// `250 2.1.0`: sender accepted.
    SenderOk,
    /// `250 2.1.5`: recipient accepted.
    RecipientOk,
    /// `252 2.5.0`: VRFY, cannot verify but will try (RFC 5321 §3.5.3).
    CannotVerify,
    /// `235 2.7.0`: logged in (RFC 4954 §6).
    AuthOk,
    /// `334`: the next step of an AUTH exchange; the text is a base64 challenge, without an
    /// enhanced code (RFC 4954 §4).
    AuthChallenge,
    /// `354`: go ahead with the message.
    StartData,
    /// `421 4.4.2`: the server's timeout ran out (RFC 5321 §4.5.3.2.7).
    Timeout,
    /// `421 4.3.2`: too busy, closing (RFC 5321 §3.8).
    TooBusy,
    /// `451 4.7.1`: greylisted, try again later.
    Greylisted,
    /// `452 4.3.1`: no room for more mail now (RFC 1870 §6.1).
    StorageFull,
    /// `452 4.2.2`: this mailbox is full (RFC 3463 §3.3).
    MailboxFull,
    /// `452 4.5.3`: too many recipients; earlier ones are kept (RFC 5321 §4.5.3.1.10).
    TooManyRecipients,
    /// `500 5.5.2`: a line too long, or not text (RFC 5321 §4.5.3.1.4, §4.5.3.1.9).
    LineError,
    /// `500 5.5.1`: no such command.
    Unrecognized,
    /// `501 5.5.4`: bad arguments.
    BadArguments,
    /// `501 5.5.2`: bad syntax.
    BadSyntax,
    /// `501 5.1.7`: bad sender address.
    BadSender,
    /// `501 5.1.3`: bad recipient address.
    BadRecipient,
    /// `502 5.5.1`: a command this server does not offer.
    NotOffered,
    /// `503 5.5.1`: a command out of sequence (RFC 5321 §4.1.4).
    BadSequence,
    /// `504 5.5.4`: an AUTH mechanism this server does not offer (RFC 4954 §4).
    UnknownMechanism,
    /// `501 5.7.0`: the client cancelled the AUTH exchange with `*` (RFC 4954 §4).
    AuthCancelled,
    /// `530 5.7.0`: log in first (RFC 4954 §6), or, where TLS is required, STARTTLS first
    /// (RFC 3207 §4).
    AuthRequired,
    /// `535 5.7.8`: wrong user name or password (RFC 4954 §6).
    AuthFailed,
    /// `538 5.7.11`: this host takes passwords only over an encrypted connection (RFC 4954 §6).
    EncryptionRequired,
    /// `553 5.7.1`: a logged-in user may send only from their own address (RFC 6409 §6.1).
    SenderNotOwned,
    /// `550 5.1.1`: no such mailbox.
    NoSuchUser,
    /// `550 5.7.1`: relay access denied.
    RelayDenied,
    /// `552 5.3.4`: message too big (RFC 1870 §6.1).
    TooBig,
    /// `550 5.6.7`: a sender address that needs SMTPUTF8 (RFC 6531 §3.5: 550 for MAIL).
    SenderNeedsUtf8,
    /// `553 5.6.7`: a recipient address that needs SMTPUTF8 (RFC 6531 §3.5: 553 for RCPT).
    RecipientNeedsUtf8,
    /// `554 5.6.0`: the message content is refused (bare CR/LF, over-long line).
    ContentRefused,
    /// `555 5.5.4`: a MAIL or RCPT parameter this server does not offer.
    UnsupportedParameter,
}

impl ReplyCode {
    pub const ALL: [ReplyCode; 39] = [
        ReplyCode::Greeting,
        ReplyCode::ReadyForTls,
        ReplyCode::AuthOk,
        ReplyCode::AuthChallenge,
        ReplyCode::UnknownMechanism,
        ReplyCode::AuthCancelled,
        ReplyCode::AuthRequired,
        ReplyCode::AuthFailed,
        ReplyCode::EncryptionRequired,
        ReplyCode::SenderNotOwned,
        ReplyCode::Closing,
        ReplyCode::Help,
        ReplyCode::Hello,
        ReplyCode::Ok,
        ReplyCode::SenderOk,
        ReplyCode::RecipientOk,
        ReplyCode::CannotVerify,
        ReplyCode::StartData,
        ReplyCode::Timeout,
        ReplyCode::TooBusy,
        ReplyCode::Greylisted,
        ReplyCode::StorageFull,
        ReplyCode::MailboxFull,
        ReplyCode::TooManyRecipients,
        ReplyCode::LineError,
        ReplyCode::Unrecognized,
        ReplyCode::BadArguments,
        ReplyCode::BadSyntax,
        ReplyCode::BadSender,
        ReplyCode::BadRecipient,
        ReplyCode::NotOffered,
        ReplyCode::BadSequence,
        ReplyCode::NoSuchUser,
        ReplyCode::RelayDenied,
        ReplyCode::TooBig,
        ReplyCode::SenderNeedsUtf8,
        ReplyCode::RecipientNeedsUtf8,
        ReplyCode::ContentRefused,
        ReplyCode::UnsupportedParameter,
    ];

    /// The three-digit code and the enhanced status code (RFC 3463), if any.
    pub const fn parts(self) -> (u16, Option<&'static str>) {
        use ReplyCode::*;
        match self {
            Greeting => (220, None),
            ReadyForTls => (220, Some("2.0.0")),
            AuthOk => (235, Some("2.7.0")),
            AuthChallenge => (334, None),
            UnknownMechanism => (504, Some("5.5.4")),
            AuthCancelled => (501, Some("5.7.0")),
            AuthRequired => (530, Some("5.7.0")),
            AuthFailed => (535, Some("5.7.8")),
            EncryptionRequired => (538, Some("5.7.11")),
            SenderNotOwned => (553, Some("5.7.1")),
            Closing => (221, Some("2.0.0")),
            Help => (214, Some("2.0.0")),
            Hello => (250, None),
            Ok => (250, Some("2.0.0")),
            SenderOk => (250, Some("2.1.0")),
            RecipientOk => (250, Some("2.1.5")),
            CannotVerify => (252, Some("2.5.0")),
            StartData => (354, None),
            Timeout => (421, Some("4.4.2")),
            TooBusy => (421, Some("4.3.2")),
            Greylisted => (451, Some("4.7.1")),
            StorageFull => (452, Some("4.3.1")),
            MailboxFull => (452, Some("4.2.2")),
            TooManyRecipients => (452, Some("4.5.3")),
            LineError => (500, Some("5.5.2")),
            Unrecognized => (500, Some("5.5.1")),
            BadArguments => (501, Some("5.5.4")),
            BadSyntax => (501, Some("5.5.2")),
            BadSender => (501, Some("5.1.7")),
            BadRecipient => (501, Some("5.1.3")),
            NotOffered => (502, Some("5.5.1")),
            BadSequence => (503, Some("5.5.1")),
            NoSuchUser => (550, Some("5.1.1")),
            RelayDenied => (550, Some("5.7.1")),
            TooBig => (552, Some("5.3.4")),
            SenderNeedsUtf8 => (550, Some("5.6.7")),
            RecipientNeedsUtf8 => (553, Some("5.6.7")),
            ContentRefused => (554, Some("5.6.0")),
            UnsupportedParameter => (555, Some("5.5.4")),
        }
    }
}

impl Reply {
    /// A one-line reply of a known kind.
    pub fn of(id: ReplyCode, text: impl Into<String>) -> Reply {
        Reply::lines(id, vec![text.into()])
    }

    /// A multi-line reply of a known kind (EHLO, HELP).
    pub fn lines(id: ReplyCode, lines: Vec<String>) -> Reply {
        let (code, enhanced) = id.parts();
        Reply { code, enhanced: enhanced.map(str::to_string), lines }
    }

    /// Any reply, e.g. one that a fault rule of a world description prescribes.
    pub fn custom(code: u16, enhanced: Option<&str>, lines: Vec<String>) -> Reply {
        Reply { code, enhanced: enhanced.map(str::to_string), lines }
    }

    /// 2yz: the command worked.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4yz: failed for now, may work later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5yz: failed for good.
    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// The first line's text, without the enhanced code.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// The wire form: the same code on every line, `-` after it on all but the last,
    /// a space after it on the last (RFC 5321 §4.2.1).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let n = self.lines.len().max(1);
        for i in 0..n {
            let sep = if i + 1 == n { ' ' } else { '-' };
            let text = self.lines.get(i).map(String::as_str).unwrap_or("");
            let line = match &self.enhanced {
                Some(e) => format!("{}{sep}{e} {text}\r\n", self.code),
                None if text.is_empty() => format!("{}{sep}\r\n", self.code),
                None => format!("{}{sep}{text}\r\n", self.code),
            };
            out.extend_from_slice(line.as_bytes());
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.enhanced {
            Some(e) => write!(f, "{} {e} {}", self.code, self.text()),
            None => write!(f, "{} {}", self.code, self.text()),
        }
    }
}

/// Why a reply could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyError {
    /// A line is not `ddd`, `ddd text` or `ddd-text`, or the code changed within a reply.
    Malformed(String),
    TooLong,
    TooManyLines,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::Malformed(l) => write!(f, "malformed reply line: “{l}”"),
            ReplyError::TooLong => write!(f, "reply line longer than {MAX_REPLY_LINE} octets"),
            ReplyError::TooManyLines => write!(f, "reply with more than {MAX_REPLY_LINES} lines"),
        }
    }
}

/// Reads replies from the bytes a server sends.
#[derive(Clone, Debug)]
pub struct ReplyReader {
    lines: LineReader,
    partial: Option<(u16, Vec<String>)>,
}

impl Default for ReplyReader {
    fn default() -> Self {
        ReplyReader { lines: LineReader::any_lf(MAX_REPLY_LINE), partial: None }
    }
}

impl ReplyReader {
    /// Takes the next whole reply out of `input`; `None` when more bytes are needed.
    pub fn read(&mut self, input: &mut &[u8]) -> Option<Result<Reply, ReplyError>> {
        loop {
            let line = match self.lines.read(input)? {
                Line::TooLong { .. } => return Some(Err(ReplyError::TooLong)),
                Line::Complete { text, .. } => String::from_utf8_lossy(&text).into_owned(),
            };
            let bytes = line.as_bytes();
            let code = (bytes.len() >= 3 && bytes[..3].iter().all(u8::is_ascii_digit))
                .then(|| line[..3].parse::<u16>().ok())
                .flatten()
                .filter(|c| (200..600).contains(c));
            let Some(code) = code else {
                self.partial = None;
                return Some(Err(ReplyError::Malformed(line)));
            };
            let (last, text) = match bytes.get(3) {
                None => (true, ""),
                Some(b' ') => (true, &line[4..]),
                Some(b'-') => (false, &line[4..]),
                Some(_) => {
                    self.partial = None;
                    return Some(Err(ReplyError::Malformed(line)));
                }
            };
            let (first_code, mut texts) = self.partial.take().unwrap_or((code, Vec::new()));
            if first_code != code {
                return Some(Err(ReplyError::Malformed(line)));
            }
            if texts.len() == MAX_REPLY_LINES {
                return Some(Err(ReplyError::TooManyLines));
            }
            texts.push(text.to_string());
            if !last {
                self.partial = Some((code, texts));
                continue;
            }
            // An enhanced status code, when the first line starts with one (RFC 2034 §4).
            let enhanced = texts[0].split(' ').next().filter(|e| is_enhanced(e, code)).map(str::to_string);
            if let Some(e) = &enhanced {
                for t in &mut texts {
                    if let Some(rest) = t.strip_prefix(e.as_str()) {
                        *t = rest.trim_start().to_string();
                    }
                }
            }
            return Some(Ok(Reply { code, enhanced, lines: texts }));
        }
    }
}

/// `class.subject.detail` whose class matches the reply's first digit (RFC 3463 §2).
fn is_enhanced(s: &str, code: u16) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0] == (code / 100).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form() {
        let cases = [
            (Reply::of(ReplyCode::SenderOk, "Sender OK"), "250 2.1.0 Sender OK\r\n"),
            (Reply::of(ReplyCode::Greeting, "mx ESMTP"), "220 mx ESMTP\r\n"),
            (
                Reply::lines(ReplyCode::Hello, vec!["mx".into(), "PIPELINING".into(), "8BITMIME".into()]),
                "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
            ),
        ];
        for (reply, wire) in cases {
            assert_eq!(String::from_utf8(reply.to_bytes()).unwrap(), wire);
        }
    }

    #[test]
    fn reading_replies() {
        let cases: &[(&str, Result<Reply, ReplyError>)] = &[
            ("250 2.1.0 Sender OK\r\n", Ok(Reply::of(ReplyCode::SenderOk, "Sender OK"))),
            ("220 mx ESMTP\r\n", Ok(Reply::of(ReplyCode::Greeting, "mx ESMTP"))),
            (
                "250-mx\r\n250 SIZE 10\r\n",
                Ok(Reply::lines(ReplyCode::Hello, vec!["mx".into(), "SIZE 10".into()])),
            ),
            ("354\r\n", Ok(Reply::of(ReplyCode::StartData, ""))),
            ("hello\r\n", Err(ReplyError::Malformed("hello".into()))),
            ("250-a\r\n251 b\r\n", Err(ReplyError::Malformed("251 b".into()))),
            ("999 x\r\n", Err(ReplyError::Malformed("999 x".into()))),
        ];
        for (wire, want) in cases {
            let mut r = ReplyReader::default();
            let mut input = wire.as_bytes();
            assert_eq!(&r.read(&mut input).unwrap(), want, "{wire:?}");
        }
    }

    #[test]
    fn a_bad_line_is_quoted_as_it_came() {
        // In quotation marks, not with `Debug`: that would bring `str`'s escaping into the page.
        let said = ReplyError::Malformed("999 x\"".into()).to_string();
        assert_eq!(said, "malformed reply line: “999 x\"”");
    }

    #[test]
    fn incomplete_replies_wait() {
        let mut r = ReplyReader::default();
        let mut a: &[u8] = b"250-mx\r\n250 PIPE";
        assert_eq!(r.read(&mut a), None);
        let mut b: &[u8] = b"LINING\r\n";
        assert_eq!(r.read(&mut b).unwrap().unwrap().lines, vec!["mx", "PIPELINING"]);
    }

    #[test]
    fn endless_multiline_reply_is_refused() {
        let mut r = ReplyReader::default();
        let wire = "250-x\r\n".repeat(MAX_REPLY_LINES + 1);
        let mut input = wire.as_bytes();
        assert_eq!(r.read(&mut input), Some(Err(ReplyError::TooManyLines)));
    }
}
