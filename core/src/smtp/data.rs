//! Receiving the message after `354` (RFC 5321 §4.1.1.4, §4.5.2).
//!
//! Data ends only at `CRLF . CRLF`. A bare LF or a bare CR anywhere in the data marks the
//! message as bad: `<LF>.<LF>` or `<LF>.<CRLF>` never end it, so one message can never be
//! read as two (SMTP smuggling, CVE-2023-51764). The whole message is then refused at the
//! real end. Lines are dot-unstuffed; the stored size is capped.

use crate::line::{Held, Line, LineReader};
use crate::smtp::MAX_TEXT_LINE;

/// Why received data cannot be accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataProblem {
    /// A line ended in a bare LF, or a bare CR was inside a line.
    BareLineEnd,
    /// A line was longer than 1000 octets with its CRLF.
    LineTooLong,
    /// A NUL octet: no message may hold one, 7-bit or 8-bit (RFC 5322 §3.5's `text`,
    /// RFC 2045 §2.7 and §2.8), and IMAP could not hand it on in a literal (RFC 3501 §4.3).
    Nul,
    /// The message is larger than the server's maximum.
    TooBig,
}

/// The end of the data, and what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataEnd {
    /// The message, unstuffed, with CRLF line ends; the empty line first when its first
    /// line is no header field.
    Complete(Vec<u8>),
    Rejected(DataProblem),
}

/// Collects the message lines after `354`.
#[derive(Clone, Debug)]
pub struct DataReader {
    lines: LineReader,
    max_size: usize,
    message: Vec<u8>,
    problem: Option<DataProblem>,
    /// The previous line ended with CRLF (the DATA command line counts as one).
    prev_crlf: bool,
}

impl DataReader {
    pub fn new(max_size: usize) -> DataReader {
        DataReader {
            // One more octet than the text-line limit: the limit does not count the dot
            // that stuffing adds (RFC 5321 §4.5.3.1.6); an unstuffed line that uses it
            // is refused below.
            lines: LineReader::any_lf(MAX_TEXT_LINE + 1),
            max_size,
            message: Vec::new(),
            problem: None,
            prev_crlf: true,
        }
    }

    /// What it holds: the unfinished line (at most a text line and a stuffed dot) and the
    /// message so far (at most the server's maximum size).
    pub fn held(&self) -> [Held; 2] {
        [
            self.lines.held("data line"),
            Held { what: "message", bytes: self.message.len(), limit: self.max_size },
        ]
    }

    /// Consumes data from the front of `input`. Returns the end when the terminating
    /// `CRLF.CRLF` was read; the bytes after it stay in `input`.
    pub fn read(&mut self, input: &mut &[u8]) -> Option<DataEnd> {
        loop {
            let line = self.lines.read(input)?;
            match line {
                Line::TooLong { bare_lf } => {
                    self.problem.get_or_insert(DataProblem::LineTooLong);
                    // A long line that ends in a bare LF must not let `.CRLF` end the
                    // data after it: `<LF>.<CRLF>` is not the end (smuggling).
                    self.prev_crlf = !bare_lf;
                }
                Line::Complete { text, bare_lf } => {
                    let bare_cr = text.contains(&b'\r');
                    if text == b"." && !bare_lf && self.prev_crlf {
                        let message = std::mem::take(&mut self.message);
                        return Some(match self.problem {
                            Some(p) => DataEnd::Rejected(p),
                            None => DataEnd::Complete(with_header_section(message)),
                        });
                    }
                    if bare_lf || bare_cr {
                        self.problem = Some(DataProblem::BareLineEnd);
                    }
                    if text.contains(&0) {
                        self.problem.get_or_insert(DataProblem::Nul);
                    }
                    // Only a stuffed line may use the extra octet (RFC 5321 §4.5.3.1.6).
                    if !text.starts_with(b".") && text.len() + 2 > MAX_TEXT_LINE {
                        self.problem.get_or_insert(DataProblem::LineTooLong);
                    }
                    self.prev_crlf = !bare_lf;
                    // Dot-unstuffing: a leading dot is removed (RFC 5321 §4.5.2).
                    let text = text.strip_prefix(b".").unwrap_or(&text);
                    if self.message.len() + text.len() + 2 > self.max_size {
                        self.problem.get_or_insert(DataProblem::TooBig);
                        self.message.clear();
                    } else if self.problem.is_none() {
                        self.message.extend_from_slice(text);
                        self.message.extend_from_slice(b"\r\n");
                    }
                }
            }
        }
    }
}

/// Header fields, then optionally an empty line and the body (RFC 5322 §2.1). A message
/// whose first line is no header field (a name of printable ASCII and a colon, §3.6.8:
/// `hi`) is all body: the empty line goes first, as Postfix's cleanup puts it, or `hi`
/// would read as a broken header line under the trace fields put on top. Done once the
/// data is complete, so that the size limit counts only what the client sent. (The
/// obsolete space before the colon, §4.5.3, counts as no header field: the first load has
/// no room for it.)
fn with_header_section(mut message: Vec<u8>) -> Vec<u8> {
    let name = message.iter().take_while(|&&b| b.is_ascii_graphic() && b != b':').count();
    if !message.is_empty()
        && !message.starts_with(b"\r\n")
        && message.get(name) != (name > 0).then_some(&b':')
    {
        message.splice(0..0, *b"\r\n");
    }
    message
}

/// True for a line of the data as sent whose first dot the sender added (RFC 5321
/// §4.5.2): any line that starts with a dot, except the lone `.` that ends the data. The
/// receiver removes exactly that dot.
pub fn is_stuffed_line(line: &[u8]) -> bool {
    line.first() == Some(&b'.') && line != b"."
}

/// Dot-stuffs a message for sending and adds the terminating `.CRLF` (RFC 5321 §4.5.2).
/// The message must use CRLF line ends; a missing final CRLF is added.
pub fn stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 8);
    let mut at_line_start = true;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !message.is_empty() && !message.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// The message as the receiver reads it from `wire` (what follows `354`): one dot taken
/// from every line that starts with one, and the final `.` line dropped (RFC 5321
/// §4.5.2). For showing a message as sent; the server itself reads with [`DataReader`].
pub fn unstuff(wire: &[u8]) -> Vec<u8> {
    let body = wire.strip_suffix(b".\r\n").unwrap_or(wire);
    let mut out = Vec::with_capacity(body.len());
    let mut at_line_start = true;
    for &b in body {
        if !(at_line_start && b == b'.') {
            out.push(b);
        }
        at_line_start = b == b'\n';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstuff_reads_back_what_stuff_wrote() {
        for message in [&b""[..], b"a\r\n", b".\r\n..x\r\nb\r\n", b"Subject: x\r\n\r\n.hi\r\n.\r\n"] {
            assert_eq!(unstuff(&stuff(message)), message, "{:?}", String::from_utf8_lossy(message));
        }
    }

    fn run(input: &[u8]) -> (Option<DataEnd>, Vec<u8>) {
        let mut r = DataReader::new(1 << 20);
        let mut rest = input;
        let end = r.read(&mut rest);
        (end, rest.to_vec())
    }

    #[test]
    fn data_cases() {
        let cases: &[(&str, &[u8], Option<DataEnd>, &[u8])] = &[
            (
                "simple",
                b"Subject: x\r\n\r\nHi\r\n.\r\n",
                Some(DataEnd::Complete(b"Subject: x\r\n\r\nHi\r\n".to_vec())),
                b"",
            ),
            // Conformance 6: `.x`, `.`, `..` sent stuffed are stored unstuffed.
            (
                "unstuffing",
                b"\r\n..x\r\n..\r\n...\r\n.\r\n",
                Some(DataEnd::Complete(b"\r\n.x\r\n.\r\n..\r\n".to_vec())),
                b"",
            ),
            ("empty message", b".\r\n", Some(DataEnd::Complete(vec![])), b""),
            (
                "rest is kept",
                b"\r\na\r\n.\r\nQUIT\r\n",
                Some(DataEnd::Complete(b"\r\na\r\n".to_vec())),
                b"QUIT\r\n",
            ),
            // RFC 5322 §2.1: a first line that is no header field starts the body, after the
            // empty line that separates it from the header section (none here).
            ("no header field", b"Hi\r\n.\r\n", Some(DataEnd::Complete(b"\r\nHi\r\n".to_vec())), b""),
            ("a stuffed first line", b"..x\r\n.\r\n", Some(DataEnd::Complete(b"\r\n.x\r\n".to_vec())), b""),
            (
                "no name before the colon",
                b": x\r\n.\r\n",
                Some(DataEnd::Complete(b"\r\n: x\r\n".to_vec())),
                b"",
            ),
            (
                "a space in the name",
                b"Dear Bob: hi\r\n.\r\n",
                Some(DataEnd::Complete(b"\r\nDear Bob: hi\r\n".to_vec())),
                b"",
            ),
            (
                "a header field",
                b"X-Tag.1:y\r\nHi\r\n.\r\n",
                Some(DataEnd::Complete(b"X-Tag.1:y\r\nHi\r\n".to_vec())),
                b"",
            ),
            ("incomplete", b"a\r\n.", None, b""),
            // Conformance 7: <LF>.<CRLF> never ends data, and the message is refused at the real end.
            (
                "smuggling",
                b"hi\n.\r\nMAIL FROM:<e@v>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nevil\r\n.\r\n",
                Some(DataEnd::Rejected(DataProblem::BareLineEnd)),
                b"",
            ),
            (
                "bare LF dot LF",
                b"hi\r\n.\nstill data\r\n.\r\n",
                Some(DataEnd::Rejected(DataProblem::BareLineEnd)),
                b"",
            ),
            ("bare CR", b"a\rb\r\n.\r\n", Some(DataEnd::Rejected(DataProblem::BareLineEnd)), b""),
            (
                "a NUL octet",
                b"hi\r\n\x00.\r\nfoo\r\n.\r\nNOOP",
                Some(DataEnd::Rejected(DataProblem::Nul)),
                b"NOOP",
            ),
        ];
        for (name, input, want_end, want_rest) in cases {
            let (end, rest) = run(input);
            assert_eq!(&end, want_end, "{name}");
            assert_eq!(rest, *want_rest, "{name}");
        }
    }

    #[test]
    fn a_long_line_ending_in_bare_lf_does_not_end_the_data() {
        // Found in review: a line over 1000 octets ending in a bare LF, then `.CRLF`,
        // must not end the data, or the rest is read as a second transaction.
        let mut input = vec![b'x'; 1200];
        input.extend_from_slice(b"\n.\r\nMAIL FROM:<e@v.example>\r\nDATA\r\nsmuggled\r\n.\r\nNOOP\r\n");
        let (end, rest) = run(&input);
        assert_eq!(end, Some(DataEnd::Rejected(DataProblem::LineTooLong)));
        assert_eq!(rest, b"NOOP\r\n");
    }

    #[test]
    fn long_lines_and_big_messages_are_refused_without_buffering() {
        let mut long = vec![b'a'; 1500];
        long.extend_from_slice(b"\r\n.\r\n");
        assert_eq!(run(&long).0, Some(DataEnd::Rejected(DataProblem::LineTooLong)));

        let mut r = DataReader::new(1000);
        let line = [b'x'; 98].iter().chain(b"\r\n").copied().collect::<Vec<u8>>();
        for _ in 0..1000 {
            let mut input = line.as_slice();
            assert_eq!(r.read(&mut input), None);
        }
        assert!(r.message.len() <= 1000 && r.lines.pending() <= MAX_TEXT_LINE + 1);
        let mut end: &[u8] = b".\r\n";
        assert_eq!(r.read(&mut end), Some(DataEnd::Rejected(DataProblem::TooBig)));
    }

    #[test]
    fn the_text_line_limit_does_not_count_the_stuffed_dot() {
        // RFC 5321 §4.5.3.1.6: 998 characters + CRLF is the longest line; a line of 998
        // that starts with a dot is sent with 999 (the added dot does not count).
        let cases: &[(&str, usize, bool, bool)] = &[
            ("998 plain", 998, false, true),
            ("999 plain", 999, false, false),
            ("998 with a leading dot, stuffed to 999", 998, true, true),
            ("999 with a leading dot, stuffed to 1000", 999, true, false),
        ];
        for (name, len, dot, ok) in cases {
            let mut line = if *dot { b".".to_vec() } else { Vec::new() };
            line.extend(std::iter::repeat_n(b'x', len - usize::from(*dot)));
            let wire = stuff(&[line.as_slice(), b"\r\n"].concat());
            let (end, _) = run(&wire);
            // No header field: the empty line first (RFC 5322 §2.1).
            let want = if *ok {
                DataEnd::Complete([&b"\r\n"[..], &line, b"\r\n"].concat())
            } else {
                DataEnd::Rejected(DataProblem::LineTooLong)
            };
            assert_eq!(end, Some(want), "{name}");
        }
    }

    #[test]
    fn stuffed_lines_are_the_ones_the_receiver_unstuffs() {
        let cases: &[(&[u8], bool)] =
            &[(b"..dots", true), (b"..", true), (b".", false), (b"a.", false), (b"", false)];
        for (line, want) in cases {
            assert_eq!(is_stuffed_line(line), *want, "{:?}", String::from_utf8_lossy(line));
        }
        // What `stuff` writes, `is_stuffed_line` recognises, line by line.
        let wire = stuff(b".a\r\nb\r\n..\r\n");
        let marked: Vec<bool> = wire
            .split(|&b| b == b'\n')
            .map(|l| is_stuffed_line(l.strip_suffix(b"\r").unwrap_or(l)))
            .collect();
        assert_eq!(marked, [true, false, true, false, false]);
    }

    #[test]
    fn stuffing_round_trips() {
        let msg = b"Subject: x\r\n\r\n.x\r\n.\r\n..\r\nend\r\n";
        let wire = stuff(msg);
        assert_eq!(wire, b"Subject: x\r\n\r\n..x\r\n..\r\n...\r\nend\r\n.\r\n");
        let mut input = wire.as_slice();
        assert_eq!(DataReader::new(1 << 20).read(&mut input), Some(DataEnd::Complete(msg.to_vec())));
    }
}
