//! Fuzz harnesses for the servers: bytes in, every invariant checked after every step, a
//! panic with a plain message when one breaks.
//!
//! The cargo-fuzz targets in `fuzz/` call [`smtp_server`], [`pop3_server`] and (feature
//! `imap`) `imap_server` with what libFuzzer makes up, and `core/tests/fuzz_regressions.rs` replays the corpus they found
//! (`core/tests/fuzz/`) through the same functions on stable Rust, so every input that
//! ever mattered is checked by `cargo test`. Nothing here is used by the World or the web
//! app (release builds drop it).
//!
//! # The input
//!
//! The first byte chooses the setup (which server, which limits, which store; see
//! [`smtp_server`], [`pop3_server`] and `imap_server`). The rest is what the client does, in order: bytes it writes, and
//! markers, each an [`ESCAPE`] byte followed by one byte:
//!
//! | after `0xFF` | step |
//! |---|---|
//! | `0xFF` | a literal `0xFF` byte in the current write |
//! | `T` | the TLS handshake completes ([`Session::handle_tls`](crate::session::Session::handle_tls)) |
//! | `W` | time runs to the machine's next wake-up ([`Session::handle_timeout`](crate::session::Session::handle_timeout) at `poll_timeout()`) |
//! | `C` | the client closes the connection ([`Session::handle_close`](crate::session::Session::handle_close)) |
//! | `N` | a new connection replaces this one (POP3, IMAP: the next session on the same store) |
//! | `S` | switch to the other of two connections at once (POP3: the lock, `[IN-USE]`; IMAP: one session's changes reach the other) |
//! | `D` | SMTP delivers a message into Bob's INBOX (IMAP: `* n EXISTS`, at once while idling) |
//! | `L` *n* | *n* × 64 octets `a` in the current write (long lines from short inputs) |
//! | anything else | the end of the current write |
//!
//! Bytes between markers are one write ([`Session::handle_input`](crate::session::Session::handle_input)),
//! so the same commands arrive whole, pipelined, or cut in the middle of a line. [`encode`]
//! writes steps in this form (the seed corpus is built with it:
//! `cargo run -p mailroom-core --example fuzz_seeds`).

#[cfg(feature = "imap")]
mod imap;
#[cfg(feature = "pop3")]
mod pop3;
mod smtp;

#[cfg(feature = "imap")]
pub use imap::imap_server;
#[cfg(feature = "pop3")]
pub use pop3::pop3_server;
pub use smtp::smtp_server;

/// Starts a marker (see the module doc).
pub const ESCAPE: u8 = 0xFF;

/// At most this many octets in all of an input's `L` markers together, so that a short
/// input stays quick to run (libFuzzer's `-timeout` is for hangs, not for large inputs).
pub const MAX_EXPANSION: usize = 64 * 1024;

/// One thing the client (or time) does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Bytes the client writes at once.
    Write(Vec<u8>),
    /// The TLS handshake the server asked for completes (a server that did not ask must
    /// ignore it).
    Tls,
    /// Time runs to the machine's next wake-up.
    Timeout,
    /// The client closes the connection.
    Close,
    /// A new connection replaces the current one.
    NewSession,
    /// Switch to the other connection.
    Switch,
    /// Mail arrives: SMTP files a message into the store (IMAP only).
    Deliver,
}

impl Step {
    /// `Step::Write` of a string, for seeds and tests.
    pub fn write(text: &str) -> Step {
        Step::Write(text.as_bytes().to_vec())
    }
}

/// Reads the steps after the setup byte (see the module doc).
pub fn decode(input: &[u8]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut write = Vec::new();
    let mut expanded = 0;
    let mut bytes = input.iter().copied();
    while let Some(b) = bytes.next() {
        if b != ESCAPE {
            write.push(b);
            continue;
        }
        let Some(marker) = bytes.next() else { break };
        let step = match marker {
            ESCAPE => {
                write.push(ESCAPE);
                continue;
            }
            b'L' => {
                let n = usize::from(bytes.next().unwrap_or(0)) * 64;
                let n = n.min(MAX_EXPANSION - expanded);
                expanded += n;
                write.resize(write.len() + n, b'a');
                continue;
            }
            b'T' => Some(Step::Tls),
            b'W' => Some(Step::Timeout),
            b'C' => Some(Step::Close),
            b'N' => Some(Step::NewSession),
            b'S' => Some(Step::Switch),
            b'D' => Some(Step::Deliver),
            _ => None,
        };
        if !write.is_empty() {
            steps.push(Step::Write(std::mem::take(&mut write)));
        }
        steps.extend(step);
    }
    if !write.is_empty() {
        steps.push(Step::Write(write));
    }
    steps
}

/// The input that [`decode`] reads back as `setup` and `steps`: each write's `0xFF` bytes
/// doubled, `0xFF |` between two writes.
pub fn encode(setup: u8, steps: &[Step]) -> Vec<u8> {
    let mut out = vec![setup];
    let mut after_write = false;
    for step in steps {
        let marker = match step {
            Step::Write(bytes) => {
                if after_write {
                    out.extend_from_slice(&[ESCAPE, b'|']);
                }
                for &b in bytes {
                    out.push(b);
                    if b == ESCAPE {
                        out.push(ESCAPE);
                    }
                }
                after_write = true;
                continue;
            }
            Step::Tls => b'T',
            Step::Timeout => b'W',
            Step::Close => b'C',
            Step::NewSession => b'N',
            Step::Switch => b'S',
            Step::Deliver => b'D',
        };
        out.extend_from_slice(&[ESCAPE, marker]);
        after_write = false;
    }
    out
}

/// The users the harnesses know, with the standard world's made-up lesson passwords
/// (as `mailroom-serve` has them).
const PASSWORDS: [(&str, &str); 3] =
    [("alice@example.org", "wonderland"), ("bob@example.net", "builder"), ("carol@example.net", "christmas")];

fn password_is_right(user: &str, password: &str) -> bool {
    PASSWORDS.iter().any(|(u, p)| u.eq_ignore_ascii_case(user) && *p == password)
}

/// The line-feeds in `bytes`: at most one reply per line a client sends.
fn line_ends(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Panics unless every buffer is within its limit.
fn check_held(held: &[crate::line::Held]) {
    for h in held {
        assert!(
            h.bytes <= h.limit,
            "the server holds {} octets of {}, over its limit of {}",
            h.bytes,
            h.what,
            h.limit
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_reads_what_encode_writes() {
        let steps = vec![
            Step::write("EHLO c\r\n"),
            Step::Write(vec![b'x', ESCAPE, b'y']),
            Step::Tls,
            Step::write("NOOP\r\n"),
            Step::Timeout,
            Step::Close,
            Step::NewSession,
            Step::Switch,
            Step::Deliver,
            Step::write("QUIT\r\n"),
        ];
        let input = encode(7, &steps);
        assert_eq!(input[0], 7);
        assert_eq!(decode(&input[1..]), steps);
    }

    #[test]
    fn markers() {
        let cases: &[(&[u8], Vec<Step>)] = &[
            (b"", vec![]),
            (b"\xff", vec![]),
            (b"a\xff", vec![Step::write("a")]),
            (b"a\xff|\xff|b", vec![Step::write("a"), Step::write("b")]),
            (b"\xffL\x01", vec![Step::Write(vec![b'a'; 64])]),
            (b"x\xffL", vec![Step::write("x")]),
            (b"\xffTa\xffW", vec![Step::Tls, Step::write("a"), Step::Timeout]),
        ];
        for (input, want) in cases {
            assert_eq!(&decode(input), want, "{input:?}");
        }
        // The expansion is capped for the whole input.
        let many: Vec<u8> = (0..100).flat_map(|_| [ESCAPE, b'L', 255]).collect();
        let Step::Write(w) = &decode(&many)[0] else { panic!() };
        assert_eq!(w.len(), MAX_EXPANSION);
    }
}
