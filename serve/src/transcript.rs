//! `--transcript`: every command and reply, `C:` and `S:`, on standard error. What the
//! client sends is printed a whole line at a time, so that a POP3 `PASS` line is always
//! recognised and shown as `PASS ********`, however the client split its writes.

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
    /// The line being continued is a PASS line: print none of it.
    secret: bool,
}

impl ClientLines {
    pub fn new(on: bool, mask_pass: bool) -> ClientLines {
        ClientLines { on, mask_pass, pending: Vec::new(), continuing: false, secret: false }
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
            self.secret = self.mask_pass && is_pass(text);
        }
        match (self.secret, self.continuing) {
            (true, false) => eprintln!("C: PASS ********"),
            (true, true) => {}
            (false, _) => eprintln!("C: {text}"),
        }
        self.continuing = !self.pending.ends_with(b"\n");
        self.pending.clear();
    }
}

/// A POP3 `PASS` command with an argument (the verb in any case).
fn is_pass(line: &str) -> bool {
    line.get(..5).is_some_and(|v| v.eq_ignore_ascii_case("PASS "))
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
}
