//! `--transcript`: every command and reply, `C:` and `S:`, on standard error. What the
//! client sends is printed a whole line at a time, so that a secret is always recognised
//! and masked, however the client split its writes: POP3's `PASS` argument, SMTP's AUTH
//! initial response, every line that answers an SMTP `334` challenge (RFC 4954 §4), IMAP's
//! `LOGIN` arguments and `AUTHENTICATE`'s responses (RFC 3501 §6.2.2, §6.2.3): from such
//! a command every line the client sends is hidden until the server answers it with
//! something other than a continuation (`+`), however its literals and line ends fall.

/// A line without a line end is printed once it is this long (a client that never sends
/// CRLF must not grow the buffer without bound); an IMAP line, as long as the server
/// reads one, so that a `LOGIN` is always seen whole.
const MAX_PENDING: usize = 4096;
const MAX_PENDING_IMAP: usize = mailroom_core::imap::command::MAX_LINE + 2;

/// Which protocol's secrets to look for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Smtp,
    Pop3,
    Imap,
}

/// The client's side of one connection's transcript.
pub struct ClientLines {
    on: bool,
    protocol: Protocol,
    pending: Vec<u8>,
    /// The next bytes continue a line already (partly) printed.
    continuing: bool,
    /// The line being continued is a secret: print none of it.
    secret: bool,
    /// SMTP: the server's last reply was a `334` challenge: the client's next line is a
    /// login secret.
    challenged: bool,
    /// IMAP: a `LOGIN` or `AUTHENTICATE` is under way: every line of the client is hidden
    /// until the server answers other than with `+`.
    logging_in: bool,
    /// Which session this is (never 0), and how its header names it.
    id: u64,
    label: String,
}

std::thread_local! {
    /// The session whose lines were printed last (0: none yet).
    static SHOWN: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl ClientLines {
    /// The transcript of session `id` (from 1), which its header calls `label` ("smtp
    /// session 3 from 127.0.0.1:50022").
    pub fn new(on: bool, protocol: Protocol, id: u64, label: String) -> ClientLines {
        ClientLines {
            on,
            protocol,
            pending: Vec::new(),
            continuing: false,
            secret: false,
            challenged: false,
            logging_in: false,
            id,
            label,
        }
    }

    /// Before this session's lines: its header, when the lines before were another
    /// session's (sessions served at once interleave, a line at a time).
    fn header(&self) {
        if SHOWN.with(|s| s.replace(self.id)) != self.id {
            eprintln!("== {}", self.label);
        }
    }

    /// What the server sends: its lines (`S:`), and what they make of the client's next
    /// ones: after an SMTP `334` the client's answer is a secret; an IMAP login stays under
    /// way while the server answers with `+`.
    pub fn server(&mut self, bytes: &[u8]) {
        if !self.on || bytes.is_empty() {
            return;
        }
        self.header();
        for line in String::from_utf8_lossy(bytes).split_inclusive('\n') {
            eprintln!("S: {}", visible(line.trim_end_matches(['\r', '\n'])));
        }
        let last = bytes.trim_ascii_end().rsplit(|&b| b == b'\n').next().unwrap_or_default();
        self.challenged = self.protocol == Protocol::Smtp && last.starts_with(b"334");
        self.logging_in &= last.starts_with(b"+");
    }

    /// What happened on the connection beside the commands and replies (TLS starting).
    pub fn note(&self, text: &str) {
        if self.on {
            self.header();
            eprintln!("-- {text}");
        }
    }

    /// Bytes from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        if !self.on {
            return;
        }
        let lines = self.shown(bytes);
        self.print(lines);
    }

    /// The client's lines that `bytes` complete, as the transcript shows them.
    fn shown(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let max = if self.protocol == Protocol::Imap { MAX_PENDING_IMAP } else { MAX_PENDING };
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            self.pending.extend_from_slice(piece);
            if piece.ends_with(b"\n") || self.pending.len() >= max {
                self.emit(&mut out);
            }
        }
        out
    }

    /// The connection ended: print what is left.
    pub fn finish(&mut self) {
        if self.on && !self.pending.is_empty() {
            let mut out = Vec::new();
            self.emit(&mut out);
            self.print(out);
        }
    }

    /// The client's lines, as `C:` lines on standard error.
    fn print(&self, lines: Vec<String>) {
        if !lines.is_empty() {
            self.header();
        }
        for line in lines {
            eprintln!("C: {}", visible(&line));
        }
    }

    fn emit(&mut self, out: &mut Vec<String>) {
        let text = String::from_utf8_lossy(&self.pending);
        let text = text.trim_end_matches(['\r', '\n']);
        if !self.continuing {
            let shown = if self.challenged || self.logging_in {
                self.challenged = false;
                Some("********".to_string())
            } else {
                match self.protocol {
                    Protocol::Pop3 => is_pass(text).then(|| "PASS ********".to_string()),
                    Protocol::Smtp => auth_initial(text).map(|auth| format!("{auth} ********")),
                    Protocol::Imap => {
                        let shown = imap_login(text);
                        self.logging_in = shown.is_some();
                        shown
                    }
                }
            };
            self.secret = shown.is_some();
            out.extend(shown);
        }
        if !self.secret {
            out.push(text.to_string());
        }
        self.continuing = !self.pending.ends_with(b"\n");
        self.pending.clear();
    }
}

/// A POP3 `PASS` command with an argument (the verb in any case, then any white space: a
/// tab the server refuses is no less secret).
fn is_pass(line: &str) -> bool {
    let mut words = line.split_ascii_whitespace();
    words.next().is_some_and(|v| v.eq_ignore_ascii_case("PASS")) && words.next().is_some()
}

/// An SMTP `AUTH mechanism initial-response` line: its `AUTH mechanism` part.
fn auth_initial(line: &str) -> Option<String> {
    let mut words = line.split_ascii_whitespace();
    let (verb, mech) = (words.next()?, words.next()?);
    (verb.eq_ignore_ascii_case("AUTH") && words.next().is_some()).then(|| format!("{verb} {mech}"))
}

/// How to show an IMAP command line that starts a login, `LOGIN` or `AUTHENTICATE` (in its
/// first two words, with a tag or without, or after `UID`: a line the server refuses is no
/// less secret):
/// the words up to the verb, and for AUTHENTICATE its mechanism, then `********` for the
/// rest.
fn imap_login(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_ascii_whitespace().take(4).collect();
    let verb = |w: &&str| w.eq_ignore_ascii_case("LOGIN") || w.eq_ignore_ascii_case("AUTHENTICATE");
    let after_uid = words.get(1).is_some_and(|w| w.eq_ignore_ascii_case("UID"));
    let at = words.iter().take(if after_uid { 3 } else { 2 }).position(verb)?;
    let keep = if words[at].eq_ignore_ascii_case("AUTHENTICATE") { at + 2 } else { at + 1 };
    let shown = words[..keep.min(words.len())].join(" ");
    Some(if words.len() > keep { format!("{shown} ********") } else { shown })
}

/// `line` with its control characters (but tab) written as `\xNN`: what a client sends
/// must not drive the terminal that shows the transcript (an ESC starts an escape
/// sequence), and a TLS record sent to a port in the clear stays readable text.
fn visible(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c.is_control() && c != '\t' {
            out.push_str(&format!("\\x{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent_to_the_terminal() {
        let cases = [
            ("NOOP", "NOOP"),
            ("NOOP \u{1b}[31mRED\u{1b}[0m \u{7}", "NOOP \\x1B[31mRED\\x1B[0m \\x07"),
            ("a\tb\r", "a\tb\\x0D"),
            ("\u{16}\u{3}\u{1}", "\\x16\\x03\\x01"),
            ("caf\u{e9} \u{9b}", "caf\u{e9} \\x9B"),
        ];
        for (line, shown) in cases {
            assert_eq!(visible(line), shown, "{line:?}");
        }
    }

    #[test]
    fn pass_lines_are_recognised_in_any_case() {
        assert!(is_pass("PASS builder"));
        assert!(is_pass("pass builder"));
        assert!(is_pass("PASS\tbuilder"));
        assert!(is_pass("PASS  builder"));
        assert!(!is_pass("PASS"));
        assert!(!is_pass("PASSWORD x"));
        assert!(!is_pass("USER bob@example.net"));
    }

    #[test]
    fn imap_logins_are_recognised() {
        let cases = [
            ("a1 LOGIN bob@example.net builder", Some("a1 LOGIN ********")),
            ("a1 login {15}", Some("a1 login ********")),
            ("a1  LOGIN  bob secret", Some("a1 LOGIN ********")),
            ("LOGIN bob secret", Some("LOGIN ********")),
            ("a2 AUTHENTICATE PLAIN AGJvYgBidWlsZGVy", Some("a2 AUTHENTICATE PLAIN ********")),
            ("a2 AUTHENTICATE PLAIN", Some("a2 AUTHENTICATE PLAIN")),
            ("x1 UID LOGIN bob@example.net builder", Some("x1 UID LOGIN ********")),
            ("x1\tLOGIN\tbob\tbuilder", Some("x1 LOGIN ********")),
            ("a3 SELECT INBOX", None),
            ("a3 SELECT LOGIN", None),
            ("a3 UID FETCH 1", None),
            ("DONE", None),
        ];
        for (line, shown) in cases {
            assert_eq!(imap_login(line), shown.map(str::to_string), "{line}");
        }
    }

    /// What an IMAP transcript prints of the client's lines: every command, and no secret,
    /// however the login came (arguments, literals with a line end or a `}` inside, a
    /// challenge, a refused literal), until the server answers other than with `+`.
    #[test]
    fn imap_secrets_stay_out_of_the_transcript() {
        let mut log = ClientLines::new(true, Protocol::Imap, 1, "imap session 1".into());
        let steps: [(&[u8], &[u8], &[&str]); 8] = [
            (b"a1 LOGIN {15}\r\n", b"+ Ready for literal data\r\n", &["a1 LOGIN ********"]),
            (b"bob@example.net {9}\r\n", b"+ Ready for literal data\r\n", &["********"]),
            (b"bu\nil}der\r\n", b"a1 NO [AUTHENTICATIONFAILED] invalid\r\n", &["********", "********"]),
            (
                b"a2 LOGIN bob secret}\r\n",
                b"a2 NO [AUTHENTICATIONFAILED] invalid\r\n",
                &["a2 LOGIN ********"],
            ),
            (b"a3 LOGIN bob {99999999}\r\n", b"a3 BAD [TOOBIG] too big\r\n", &["a3 LOGIN ********"]),
            (b"a4 AUTHENTICATE PLAIN\r\n", b"+ \r\n", &["a4 AUTHENTICATE PLAIN"]),
            (b"AGJvYgBidWlsZGVy\r\n", b"a4 OK logged in\r\n", &["********"]),
            (b"a5 SELECT INBOX\r\n", b"a5 OK\r\n", &["a5 SELECT INBOX"]),
        ];
        for (client, server, want) in steps {
            assert_eq!(log.shown(client), want, "{}", String::from_utf8_lossy(client));
            log.server(server);
        }
        // A line as long as the server reads one is decided whole.
        let long = format!("{} LOGIN bob secret\r\n", "t".repeat(5000));
        assert_eq!(log.shown(long.as_bytes()), [format!("{} LOGIN ********", "t".repeat(5000))]);
    }

    #[test]
    fn auth_initial_responses_are_recognised() {
        assert_eq!(auth_initial("AUTH PLAIN AGJvYgBidWlsZGVy").as_deref(), Some("AUTH PLAIN"));
        assert_eq!(auth_initial("auth login Ym9i").as_deref(), Some("auth login"));
        assert_eq!(auth_initial("AUTH\tPLAIN\tAGJvYgBidWlsZGVy").as_deref(), Some("AUTH PLAIN"));
        assert_eq!(auth_initial("AUTH LOGIN"), None);
        assert_eq!(auth_initial("MAIL FROM:<a@b> SIZE=1"), None);
    }
}
