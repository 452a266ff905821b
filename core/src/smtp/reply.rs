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

impl Reply {
    /// A one-line reply with an enhanced status code.
    pub fn new(code: u16, enhanced: &str, text: impl Into<String>) -> Reply {
        Reply { code, enhanced: Some(enhanced.to_string()), lines: vec![text.into()] }
    }

    /// A one-line reply without an enhanced status code (greeting, EHLO).
    pub fn plain(code: u16, text: impl Into<String>) -> Reply {
        Reply { code, enhanced: None, lines: vec![text.into()] }
    }

    pub fn multi(code: u16, enhanced: Option<&str>, lines: Vec<String>) -> Reply {
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
            ReplyError::Malformed(l) => write!(f, "malformed reply line: {l:?}"),
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
        ReplyReader { lines: LineReader::new(MAX_REPLY_LINE), partial: None }
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
            (Reply::new(250, "2.1.0", "Sender OK"), "250 2.1.0 Sender OK\r\n"),
            (Reply::plain(220, "mx ESMTP"), "220 mx ESMTP\r\n"),
            (
                Reply::multi(250, None, vec!["mx".into(), "PIPELINING".into(), "8BITMIME".into()]),
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
            ("250 2.1.0 Sender OK\r\n", Ok(Reply::new(250, "2.1.0", "Sender OK"))),
            ("220 mx ESMTP\r\n", Ok(Reply::plain(220, "mx ESMTP"))),
            ("250-mx\r\n250 SIZE 10\r\n", Ok(Reply::multi(250, None, vec!["mx".into(), "SIZE 10".into()]))),
            ("354\r\n", Ok(Reply::plain(354, ""))),
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
