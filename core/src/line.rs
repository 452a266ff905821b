//! Line framing shared by the line-based protocols (SMTP, POP3, IMAP commands).
//!
//! A [`LineReader`] takes bytes as they arrive and hands out whole lines. Incomplete input
//! is not an error: it waits for more. A line longer than the limit is not buffered:
//! the reader keeps at most `max` bytes, discards the rest up to the next line end and
//! reports [`Line::TooLong`], so the tail of an over-long line is never run as a command
//! (RFC 5321 §4.5.3.1.4, §4.5.3.1.10).
//!
//! Which octets end a line is chosen when the reader is made. A server reading commands
//! uses [`LineReader::crlf`]: only CRLF ends a line, and a bare LF is an octet inside it,
//! so `NOOP<LF>QUIT<CR><LF>` is one line (which the command parser refuses) and never two
//! commands (RFC 5321 §2.3.8, RFC 1939 §3, RFC 3501 §2.2; PROTOCOLS.md "A line is one
//! command"). SMTP's message data and the clients use [`LineReader::any_lf`]: every LF
//! ends a line and a bare one is reported, for the data to be refused (RFC 5321 §4.1.1.4)
//! or, in a client, read as leniently as Python's `smtplib` and `poplib` do.

use std::collections::VecDeque;

/// Tracks whether the octets a peer sent complete a line, CRLF only: the idle timers of
/// the servers restart per line, not per octet, and a bare LF ends no line (see the module
/// doc), so it does not count either. The CR and the LF may come in two writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineEnds {
    after_cr: bool,
}

impl LineEnds {
    /// True when `input`, following what came before, holds the end of a line.
    pub fn complete(&mut self, input: &[u8]) -> bool {
        let ends = (self.after_cr && input.first() == Some(&b'\n')) || input.windows(2).any(|w| w == b"\r\n");
        if let Some(&last) = input.last() {
            self.after_cr = last == b'\r';
        }
        ends
    }
}

/// What the reader found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line, without its line end. From a [`LineReader::crlf`] reader `text`
    /// may hold bare LFs, and `bare_lf` is always false.
    Complete {
        text: Vec<u8>,
        /// True when the line ended in a bare LF rather than CRLF ([`LineReader::any_lf`]).
        bare_lf: bool,
    },
    /// A line longer than the limit ended; its bytes were discarded.
    TooLong {
        /// True when it ended in a bare LF rather than CRLF ([`LineReader::any_lf`]).
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

/// Splits a byte stream into lines of at most `max` octets including the line end.
#[derive(Clone, Debug)]
pub struct LineReader {
    max: usize,
    /// A bare LF ends a line too ([`LineReader::any_lf`]).
    any_lf: bool,
    buf: Vec<u8>,
    discarding: bool,
    /// The last octet of the line so far (kept or discarded): a CR there and an LF first
    /// in the next write make a CRLF.
    last: u8,
}

impl LineReader {
    /// A reader of command lines: only CRLF ends a line; a bare LF stays in it. `max`
    /// counts the CRLF too, as the RFCs do.
    pub fn crlf(max: usize) -> LineReader {
        LineReader { max, any_lf: false, buf: Vec::new(), discarding: false, last: 0 }
    }

    /// A reader for which every LF ends a line, a bare one reported in [`Line`]: SMTP's
    /// message data (which refuses bare LFs) and the clients' reading of replies.
    pub fn any_lf(max: usize) -> LineReader {
        LineReader { any_lf: true, ..LineReader::crlf(max) }
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
        self.last = 0;
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
        loop {
            let Some(p) = input.iter().position(|&b| b == b'\n') else {
                self.take(input);
                *input = &[];
                return None;
            };
            let cr = match p {
                0 => self.last == b'\r',
                _ => input[p - 1] == b'\r',
            };
            if !cr && !self.any_lf {
                // A bare LF inside a command line: part of the line, counted against the
                // limit like any octet.
                self.take(&input[..=p]);
                *input = &input[p + 1..];
                continue;
            }
            self.take(&input[..p]);
            *input = &input[p + 1..];
            self.last = 0;
            let bare_lf = !cr;
            if std::mem::take(&mut self.discarding) {
                self.buf.clear();
                return Some(Line::TooLong { bare_lf });
            }
            let mut text = std::mem::take(&mut self.buf);
            if cr {
                text.pop();
            }
            return Some(Line::Complete { text, bare_lf });
        }
    }

    /// Adds `chunk` to the line, or drops it once the line is over the limit.
    fn take(&mut self, chunk: &[u8]) {
        let Some(&last) = chunk.last() else { return };
        self.last = last;
        if self.discarding {
            return;
        }
        // `max - 1` leaves room for the LF itself; the CR is part of `buf` when present.
        let room = (self.max - 1).saturating_sub(self.buf.len());
        if chunk.len() > room {
            self.discarding = true;
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(chunk);
        }
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

/// `text` as a response text may be on the wire: 7-bit printable US-ASCII (POP3's
/// responses, RFC 1939 §3 and RFC 2449 §4; IMAP4rev1's `text`, RFC 3501 §9, which a server
/// may not fill with 8-bit unless the client enabled UTF8=ACCEPT, RFC 6855 §3). A text that
/// quotes the client (a mailbox name from a literal) could carry anything: a control
/// character is shown escaped (`\r`, `\u{1b}`), so it can neither end the line nor forge a
/// response, and so is any other non-ASCII character (`\u{e9}`); `§`, should a citation
/// still carry it, is written `section `.
pub fn ascii_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '§' => out.push_str("section "),
            c if c.is_ascii_control() => out.extend(c.escape_debug()),
            c if c.is_ascii() => out.push(c),
            c => out.extend(c.escape_unicode()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_ends_at_crlf_even_across_writes_and_never_at_a_bare_lf() {
        let cases: &[(&str, &[&[u8]], &[bool])] = &[
            ("one write", &[b"NOOP\r\n"], &[true]),
            ("a bare LF", &[b"NOOP\n"], &[false]),
            ("CR, then LF", &[b"NOOP\r", b"\n"], &[false, true]),
            ("CR, nothing, LF", &[b"NOOP\r", b"", b"\n"], &[false, false, true]),
            ("CR, then x, then LF", &[b"NOOP\r", b"x", b"\n"], &[false, false, false]),
            ("octets", &[b"N", b"O"], &[false, false]),
        ];
        for (name, writes, want) in cases {
            let mut ends = LineEnds::default();
            let got: Vec<bool> = writes.iter().map(|w| ends.complete(w)).collect();
            assert_eq!(got, *want, "{name}");
        }
    }

    fn complete(s: &str) -> Line {
        Line::Complete { text: s.as_bytes().to_vec(), bare_lf: false }
    }

    fn read(r: &mut LineReader, writes: &[&[u8]]) -> Vec<Line> {
        writes.iter().flat_map(|w| r.read_all(w)).collect()
    }

    #[test]
    fn framing_cases() {
        let cases: &[(&str, &[&[u8]], Vec<Line>)] = &[
            ("one line", &[b"NOOP\r\n"], vec![complete("NOOP")]),
            ("split across writes", &[b"NO", b"OP\r", b"\n"], vec![complete("NOOP")]),
            ("two in one write", &[b"A\r\nB\r\n"], vec![complete("A"), complete("B")]),
            ("incomplete waits", &[b"NOOP"], vec![]),
            ("empty line", &[b"\r\n"], vec![complete("")]),
        ];
        for (name, writes, want) in cases {
            assert_eq!(&read(&mut LineReader::crlf(512), writes), want, "{name}");
            assert_eq!(&read(&mut LineReader::any_lf(512), writes), want, "{name}, any LF");
        }
    }

    /// A command line ends only at CRLF (RFC 5321 §2.3.8, RFC 1939 §3, RFC 3501 §2.2): a
    /// bare LF is an octet inside the line, so what follows it is never a command of its own.
    #[test]
    fn a_bare_lf_ends_no_command_line() {
        let cases: &[(&str, &[&[u8]], Vec<Line>)] = &[
            ("inside", &[b"NOOP\nQUIT\r\n"], vec![complete("NOOP\nQUIT")]),
            ("alone, waits", &[b"NOOP\n"], vec![]),
            ("then its CRLF", &[b"NOOP\n", b"\r\n"], vec![complete("NOOP\n")]),
            ("first in a write", &[b"NOOP", b"\nQUIT\r\n"], vec![complete("NOOP\nQUIT")]),
            ("CR LF in two writes", &[b"NOOP\r", b"\nQUIT\r\n"], vec![complete("NOOP"), complete("QUIT")]),
            ("LF CR", &[b"NOOP\n\r\n"], vec![complete("NOOP\n")]),
            ("bare CR, then LF", &[b"A\rB\n\r\n"], vec![complete("A\rB\n")]),
        ];
        for (name, writes, want) in cases {
            assert_eq!(&read(&mut LineReader::crlf(512), writes), want, "{name}");
        }
    }

    #[test]
    fn any_lf_reports_a_bare_lf() {
        let bare = |s: &str| Line::Complete { text: s.as_bytes().to_vec(), bare_lf: true };
        let cases: &[(&str, &[&[u8]], Vec<Line>)] = &[
            ("bare LF", &[b"NOOP\n"], vec![bare("NOOP")]),
            ("then CRLF", &[b"A\nB\r\n"], vec![bare("A"), complete("B")]),
            ("CR LF in two writes", &[b"A\r", b"\n"], vec![complete("A")]),
            ("LF first in a write", &[b"A", b"\nB\r\n"], vec![bare("A"), complete("B")]),
        ];
        for (name, writes, want) in cases {
            assert_eq!(&read(&mut LineReader::any_lf(512), writes), want, "{name}");
        }
    }

    #[test]
    fn limit_counts_the_crlf() {
        for mut r in [LineReader::crlf(512), LineReader::any_lf(512)] {
            // 510 octets of text + CRLF = 512: allowed.
            let mut line = vec![b'a'; 510];
            line.extend_from_slice(b"\r\n");
            assert_eq!(r.read_all(&line), [Line::Complete { text: vec![b'a'; 510], bare_lf: false }]);
            // 511 + CRLF = 513: too long.
            let mut line = vec![b'a'; 511];
            line.extend_from_slice(b"\r\n");
            assert_eq!(r.read_all(&line), [Line::TooLong { bare_lf: false }]);
            // The CR and the LF of a long line may come in different writes.
            assert_eq!(r.read_all(&[b'a'; 600]), []);
            assert_eq!(r.read_all(b"\r"), []);
            assert_eq!(r.read_all(b"\n"), [Line::TooLong { bare_lf: false }]);
        }
        let mut line = vec![b'a'; 600];
        line.push(b'\n');
        assert_eq!(LineReader::any_lf(512).read_all(&line), [Line::TooLong { bare_lf: true }]);
        // A bare LF counts as an octet of a command line: 509 + LF + CRLF = 512 is allowed,
        // one more is too long.
        for (n, fits) in [(509, true), (510, false)] {
            let mut line = vec![b'a'; n];
            line.extend_from_slice(b"\n\r\n");
            let got = LineReader::crlf(512).read_all(&line);
            assert_eq!(matches!(got[0], Line::Complete { .. }), fits, "{n}");
        }
    }

    #[test]
    fn over_long_input_is_discarded_to_the_line_end_and_never_buffered() {
        for mut r in [LineReader::crlf(512), LineReader::any_lf(512)] {
            for _ in 0..100 {
                assert!(r.read_all(&[b'x'; 1000]).is_empty());
                assert!(r.pending() <= 512);
            }
            // The tail of the long line is not a command; the next line is.
            assert_eq!(r.read_all(b"QUIT\r\nNOOP\r\n"), [Line::TooLong { bare_lf: false }, complete("NOOP")]);
        }
    }

    /// An over-long command line is discarded up to its CRLF, bare LFs and all: what
    /// follows a bare LF in it is never run (PROTOCOLS.md "over a limit").
    #[test]
    fn an_over_long_line_is_discarded_past_its_bare_lfs() {
        let mut r = LineReader::crlf(512);
        let mut line = b"NOOP ".to_vec();
        line.extend_from_slice(&[b'x'; 600]);
        line.extend_from_slice(b"\nQUIT\r\nNOOP\r\n");
        assert_eq!(r.read_all(&line), [Line::TooLong { bare_lf: false }, complete("NOOP")]);
        // Bare LFs without end never make it buffer more than the limit.
        for _ in 0..100 {
            assert!(r.read_all(&[b'\n'; 1000]).is_empty());
            assert!(r.read_all(b"x\nQUIT\n").is_empty());
            assert!(r.pending() <= 512);
        }
        assert_eq!(r.read_all(b"\r\nNOOP\r\n"), [Line::TooLong { bare_lf: false }, complete("NOOP")]);
    }

    #[test]
    fn response_texts_are_ascii() {
        let cases = [
            ("plain text", "plain text"),
            ("(RFC 2449 §4)", "(RFC 2449 section 4)"),
            ("no folder \"Été\"", "no folder \"\\u{c9}t\\u{e9}\""),
            ("a\r\nb OK forged", "a\\r\\nb OK forged"),
            ("tab\tand esc\u{1b}", "tab\\tand esc\\u{1b}"),
            ("\u{85}\u{2028}", "\\u{85}\\u{2028}"),
        ];
        for (text, want) in cases {
            let got = ascii_text(text);
            assert_eq!(got, want, "{text:?}");
            assert!(got.bytes().all(|b| (0x20..0x7f).contains(&b)), "{got:?}");
        }
    }
}
