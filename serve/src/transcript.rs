//! `--transcript`: every command and reply, `C:` and `S:`, on standard error. What the
//! client sends is printed a whole line at a time, so that a secret is always recognised
//! and masked, however the client split its writes: POP3's `PASS` argument, SMTP's AUTH
//! initial response, and every line that answers an SMTP `334` challenge (RFC 4954 §4).

/// A line without a line end is printed once it is this long (a client that never sends
/// CRLF must not grow the buffer without bound).
const MAX_PENDING: usize = 4096;

/// The client's side of one connection's transcript.
pub struct ClientLines {
    on: bool,
    /// Hide the argument of `PASS` (POP3, RFC 1939 §7).
    mask_pass: bool,
    pending: Vec<u8>,
    /// The next bytes continue a line already (partly) printed.
    continuing: bool,
    /// The line being continued is a secret: print none of it.
    secret: bool,
    /// The server's last reply was `334`: the client's next line is a login secret.
    challenged: bool,
}

impl ClientLines {
    pub fn new(on: bool, mask_pass: bool) -> ClientLines {
        ClientLines {
            on,
            mask_pass,
            pending: Vec::new(),
            continuing: false,
            secret: false,
            challenged: false,
        }
    }

    /// What the server just sent: after an SMTP `334` the client's answer is a secret.
    pub fn server_sent(&mut self, bytes: &[u8]) {
        let last = bytes.trim_ascii_end().rsplit(|&b| b == b'\n').next().unwrap_or_default();
        self.challenged = !self.mask_pass && last.starts_with(b"334");
    }

    /// Bytes from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        if !self.on {
            return;
        }
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            self.pending.extend_from_slice(piece);
            if piece.ends_with(b"\n") || self.pending.len() >= MAX_PENDING {
                self.emit();
            }
        }
    }

    /// The connection ended: print what is left.
    pub fn finish(&mut self) {
        if self.on && !self.pending.is_empty() {
            self.emit();
        }
    }

    fn emit(&mut self) {
        let text = String::from_utf8_lossy(&self.pending);
        let text = text.trim_end_matches(['\r', '\n']);
        if !self.continuing {
            let shown = if self.challenged {
                self.challenged = false;
                Some("********".to_string())
            } else if self.mask_pass {
                is_pass(text).then(|| "PASS ********".to_string())
            } else {
                auth_initial(text).map(|mech| format!("{mech} ********"))
            };
            self.secret = shown.is_some();
            if let Some(shown) = shown {
                eprintln!("C: {shown}");
            }
        }
        if !self.secret {
            eprintln!("C: {text}");
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
    fn auth_initial_responses_are_recognised() {
        assert_eq!(auth_initial("AUTH PLAIN AGJvYgBidWlsZGVy"), Some("AUTH PLAIN"));
        assert_eq!(auth_initial("auth login Ym9i"), Some("auth login"));
        assert_eq!(auth_initial("AUTH LOGIN"), None);
        assert_eq!(auth_initial("MAIL FROM:<a@b> SIZE=1"), None);
    }
}
