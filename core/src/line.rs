//! Line framing shared by the line-based protocols (SMTP, POP3, IMAP commands).
//!
//! A [`LineReader`] takes bytes as they arrive and hands out whole lines. Incomplete input
//! is not an error: it waits for more. A line longer than the limit is not buffered:
//! the reader keeps at most `max` bytes, discards the rest up to the next line end and
//! reports [`Line::TooLong`], so the tail of an over-long line is never run as a command
//! (RFC 5321 §4.5.3.1.4, §4.5.3.1.10).

use std::collections::VecDeque;

/// What the reader found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line, without its line end.
    Complete {
        text: Vec<u8>,
        /// True when the line ended in a bare LF rather than CRLF.
        bare_lf: bool,
    },
    /// A line longer than the limit ended; its bytes were discarded.
    TooLong {
        /// True when it ended in a bare LF rather than CRLF.
        bare_lf: bool,
    },
}

/// How much of its input a machine holds unfinished, and the most it may hold there: the
/// fuzz harness ([`crate::fuzzing`]) checks after every step that no buffer grows past its
/// limit, whatever arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    /// Which buffer (`"command line"`, `"message"`).
    pub what: &'static str,
    pub bytes: usize,
    pub limit: usize,
}

/// Splits a byte stream into lines of at most `max` octets including the CRLF.
#[derive(Clone, Debug)]
pub struct LineReader {
    max: usize,
    buf: Vec<u8>,
    discarding: bool,
    /// While discarding: the last byte seen, to tell CRLF from a bare LF at the end.
    last: u8,
}

impl LineReader {
    /// `max` counts the line end too, as the RFCs do.
    pub fn new(max: usize) -> LineReader {
        LineReader { max, buf: Vec::new(), discarding: false, last: 0 }
    }

    /// Changes the limit for the lines still to come (an SMTP AUTH exchange allows longer
    /// lines than commands do, RFC 4954 §4).
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// Forgets an unfinished line (after STARTTLS, what was sent in the clear before the
    /// handshake is dropped, RFC 3207 §4.2).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.discarding = false;
    }

    /// The bytes of an unfinished line held so far.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The unfinished line as [`Held`], against the limit: never more than `max` octets.
    pub fn held(&self, what: &'static str) -> Held {
        Held { what, bytes: self.buf.len(), limit: self.max }
    }

    /// Takes the next line out of `input`, consuming the bytes it used from the front.
    /// Returns `None` when `input` ran out before a line end: call again with more bytes.
    pub fn read(&mut self, input: &mut &[u8]) -> Option<Line> {
        let lf = input.iter().position(|&b| b == b'\n');
        let (chunk, ended) = match lf {
            Some(p) => (&input[..p], true),
            None => (*input, false),
        };
        *input = match lf {
            Some(p) => &input[p + 1..],
            None => &[],
        };
        if !self.discarding {
            // `max - 1` leaves room for the LF itself; the CR is part of `buf` when present.
            let room = (self.max - 1).saturating_sub(self.buf.len());
            if chunk.len() > room {
                self.discarding = true;
                self.last = chunk.last().copied().unwrap_or(0);
                self.buf.clear();
            } else {
                self.buf.extend_from_slice(chunk);
            }
        } else if let Some(&b) = chunk.last() {
            self.last = b;
        }
        if !ended {
            return None;
        }
        if std::mem::take(&mut self.discarding) {
            self.buf.clear();
            return Some(Line::TooLong { bare_lf: self.last != b'\r' });
        }
        let mut text = std::mem::take(&mut self.buf);
        let bare_lf = text.last() != Some(&b'\r');
        if !bare_lf {
            text.pop();
        }
        Some(Line::Complete { text, bare_lf })
    }

    /// Reads every complete line in `input`.
    pub fn read_all(&mut self, mut input: &[u8]) -> VecDeque<Line> {
        let mut out = VecDeque::new();
        while let Some(line) = self.read(&mut input) {
            out.push_back(line);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(s: &str) -> Line {
        Line::Complete { text: s.as_bytes().to_vec(), bare_lf: false }
    }

    #[test]
    fn framing_cases() {
        let cases: &[(&str, &[&[u8]], Vec<Line>)] = &[
            ("one line", &[b"NOOP\r\n"], vec![complete("NOOP")]),
            ("split across writes", &[b"NO", b"OP\r", b"\n"], vec![complete("NOOP")]),
            ("two in one write", &[b"A\r\nB\r\n"], vec![complete("A"), complete("B")]),
            ("incomplete waits", &[b"NOOP"], vec![]),
            (
                "bare LF is reported",
                &[b"NOOP\n"],
                vec![Line::Complete { text: b"NOOP".to_vec(), bare_lf: true }],
            ),
            ("empty line", &[b"\r\n"], vec![complete("")]),
        ];
        for (name, writes, want) in cases {
            let mut r = LineReader::new(512);
            let mut got = Vec::new();
            for w in *writes {
                got.extend(r.read_all(w));
            }
            assert_eq!(&got, want, "{name}");
        }
    }

    #[test]
    fn limit_counts_the_crlf() {
        // 510 octets of text + CRLF = 512: allowed.
        let mut r = LineReader::new(512);
        let mut line = vec![b'a'; 510];
        line.extend_from_slice(b"\r\n");
        assert_eq!(r.read_all(&line), [Line::Complete { text: vec![b'a'; 510], bare_lf: false }]);
        // 511 + CRLF = 513: too long.
        let mut line = vec![b'a'; 511];
        line.extend_from_slice(b"\r\n");
        assert_eq!(r.read_all(&line), [Line::TooLong { bare_lf: false }]);
        let mut line = vec![b'a'; 600];
        line.push(b'\n');
        assert_eq!(r.read_all(&line), [Line::TooLong { bare_lf: true }]);
        // The CR and the LF of a long line may come in different writes.
        assert_eq!(r.read_all(&[b'a'; 600]), []);
        assert_eq!(r.read_all(b"\r"), []);
        assert_eq!(r.read_all(b"\n"), [Line::TooLong { bare_lf: false }]);
    }

    #[test]
    fn over_long_input_is_discarded_to_the_line_end_and_never_buffered() {
        let mut r = LineReader::new(512);
        for _ in 0..100 {
            assert!(r.read_all(&[b'x'; 1000]).is_empty());
            assert!(r.pending() <= 512);
        }
        // The tail of the long line is not a command; the next line is.
        assert_eq!(r.read_all(b"QUIT\r\nNOOP\r\n"), [Line::TooLong { bare_lf: false }, complete("NOOP")]);
    }
}
