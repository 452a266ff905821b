//! `--transcript`: every command and reply, `C:` and `S:`, on standard error. What the
//! client sends is printed a whole line at a time, so that a secret is always recognised
//! and masked, however the client split its writes: POP3's `PASS` argument, SMTP's AUTH
//! initial response, every line that answers an SMTP `334` challenge (RFC 4954 §4), IMAP's
//! `LOGIN` arguments (with the lines of their literals) and `AUTHENTICATE`'s responses
//! (RFC 3501 §6.2.2, §6.2.3).

/// A line without a line end is printed once it is this long (a client that never sends
/// CRLF must not grow the buffer without bound).
const MAX_PENDING: usize = 4096;

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
    /// The server's last reply was a challenge (SMTP `334`, IMAP `+` to AUTHENTICATE): the
    /// client's next line is a login secret.
    challenged: bool,
    /// IMAP: the last command was AUTHENTICATE, so a `+` is a challenge.
    authenticating: bool,
    /// IMAP: a LOGIN line ended in a literal's length: the next line holds its secret.
    login_goes_on: bool,
}

impl ClientLines {
    pub fn new(on: bool, protocol: Protocol) -> ClientLines {
        ClientLines {
            on,
            protocol,
            pending: Vec::new(),
            continuing: false,
            secret: false,
            challenged: false,
            authenticating: false,
            login_goes_on: false,
        }
    }

    /// What the server just sent: after an SMTP `334`, or an IMAP `+` to AUTHENTICATE, the
    /// client's answer is a secret.
    pub fn server_sent(&mut self, bytes: &[u8]) {
        let last = bytes.trim_ascii_end().rsplit(|&b| b == b'\n').next().unwrap_or_default();
        self.challenged = match self.protocol {
            Protocol::Smtp => last.starts_with(b"334"),
            Protocol::Imap => self.authenticating && last.starts_with(b"+"),
            Protocol::Pop3 => false,
        };
    }

    /// Bytes from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        if !self.on {
            return;
        }
        for line in self.shown(bytes) {
            eprintln!("C: {line}");
        }
    }

    /// The client's lines that `bytes` complete, as the transcript shows them.
    fn shown(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            self.pending.extend_from_slice(piece);
            if piece.ends_with(b"\n") || self.pending.len() >= MAX_PENDING {
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
            for line in out {
                eprintln!("C: {line}");
            }
        }
    }

    fn emit(&mut self, out: &mut Vec<String>) {
        let text = String::from_utf8_lossy(&self.pending);
        let text = text.trim_end_matches(['\r', '\n']);
        if !self.continuing {
            let shown = if self.challenged || self.login_goes_on {
                self.challenged = false;
                Some("********".to_string())
            } else {
                match self.protocol {
                    Protocol::Pop3 => is_pass(text).then(|| "PASS ********".to_string()),
                    Protocol::Smtp => auth_initial(text).map(|mech| format!("{mech} ********")),
                    Protocol::Imap => {
                        let (verb, shown) = imap_login(text);
                        self.authenticating = verb.eq_ignore_ascii_case("AUTHENTICATE");
                        shown
                    }
                }
            };
            // `a LOGIN {3}`, `bob {7}`: a literal's length ends the line, its octets follow.
            self.login_goes_on = self.protocol == Protocol::Imap && shown.is_some() && text.ends_with('}');
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

/// A POP3 `PASS` command with an argument (the verb in any case).
fn is_pass(line: &str) -> bool {
    line.get(..5).is_some_and(|v| v.eq_ignore_ascii_case("PASS "))
}

/// An SMTP `AUTH mechanism initial-response` line: its `AUTH mechanism` part.
fn auth_initial(line: &str) -> Option<&str> {
    let mut words = line.splitn(3, ' ');
    let (verb, mech, rest) = (words.next()?, words.next()?, words.next()?);
    (verb.eq_ignore_ascii_case("AUTH") && !rest.is_empty()).then(|| &line[..verb.len() + 1 + mech.len()])
}

/// An IMAP command line's verb, and how to show it when it holds a secret: `LOGIN`'s
/// arguments, `AUTHENTICATE`'s initial response (RFC 4959).
fn imap_login(line: &str) -> (&str, Option<String>) {
    let mut words = line.splitn(4, ' ');
    let (tag, verb) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (mech, initial) = (words.next(), words.next());
    let shown = if verb.eq_ignore_ascii_case("LOGIN") && mech.is_some() {
        Some(format!("{tag} {verb} ********"))
    } else if verb.eq_ignore_ascii_case("AUTHENTICATE") && initial.is_some() {
        Some(format!("{tag} {verb} {} ********", mech.unwrap_or("")))
    } else {
        None
    };
    (verb, shown)
}

/// What the server sends, line by line.
pub fn server(bytes: &[u8]) {
    for line in String::from_utf8_lossy(bytes).split_inclusive('\n') {
        eprintln!("S: {}", line.trim_end_matches(['\r', '\n']));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_lines_are_recognised_in_any_case() {
        assert!(is_pass("PASS builder"));
        assert!(is_pass("pass builder"));
        assert!(!is_pass("PASS"));
        assert!(!is_pass("PASSWORD x"));
        assert!(!is_pass("USER bob@example.net"));
    }

    #[test]
    fn imap_logins_are_recognised() {
        let cases = [
            ("a1 LOGIN bob@example.net builder", "LOGIN", Some("a1 LOGIN ********")),
            ("a1 login {15}", "login", Some("a1 login ********")),
            (
                "a2 AUTHENTICATE PLAIN AGJvYgBidWlsZGVy",
                "AUTHENTICATE",
                Some("a2 AUTHENTICATE PLAIN ********"),
            ),
            ("a2 AUTHENTICATE PLAIN", "AUTHENTICATE", None),
            ("a3 SELECT INBOX", "SELECT", None),
            ("DONE", "", None),
        ];
        for (line, verb, shown) in cases {
            assert_eq!(imap_login(line), (verb, shown.map(str::to_string)), "{line}");
        }
    }

    /// What an IMAP transcript prints of the client's lines: every command, and no secret,
    /// however the login came (arguments, literals, a challenge).
    #[test]
    fn imap_secrets_stay_out_of_the_transcript() {
        let mut log = ClientLines::new(true, Protocol::Imap);
        let steps: [(&[u8], &[u8], &[&str]); 5] = [
            (b"a1 LOGIN {15}\r\n", b"+ Ready for literal data\r\n", &["a1 LOGIN ********"]),
            (b"bob@example.net {7}\r\n", b"+ Ready for literal data\r\n", &["********"]),
            (b"builder\r\n", b"a1 OK logged in\r\n", &["********"]),
            (b"a2 AUTHENTICATE PLAIN\r\n", b"+ \r\n", &["a2 AUTHENTICATE PLAIN"]),
            (b"AGJvYgBidWlsZGVy\r\n", b"a2 BAD already logged in\r\n", &["********"]),
        ];
        for (client, server, want) in steps {
            let shown = log.shown(client);
            assert_eq!(shown, want, "{}", String::from_utf8_lossy(client));
            log.server_sent(server);
        }
        assert_eq!(log.shown(b"a3 SELECT INBOX\r\n"), ["a3 SELECT INBOX"]);
    }

    #[test]
    fn auth_initial_responses_are_recognised() {
        assert_eq!(auth_initial("AUTH PLAIN AGJvYgBidWlsZGVy"), Some("AUTH PLAIN"));
        assert_eq!(auth_initial("auth login Ym9i"), Some("auth login"));
        assert_eq!(auth_initial("AUTH LOGIN"), None);
        assert_eq!(auth_initial("MAIL FROM:<a@b> SIZE=1"), None);
    }
}
