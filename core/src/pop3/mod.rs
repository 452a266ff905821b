//! POP3 (RFC 1939, with CAPA and response codes from RFC 2449 and RFC 3206), as a sans-IO
//! state machine.
//!
//! [`server::Pop3Server`] keeps the [`crate::session::Session`] contract. It holds no
//! mail: it asks its host, through [`crate::session::Env`], to check a password, to lock
//! and open a maildrop ([`Pop3Item`] per message), for a message's bytes, and to delete
//! what was marked when QUIT enters the UPDATE state.

pub mod client;
pub mod command;
pub mod maildrop;
mod md5;
pub mod server;

pub use md5::hex_digest as md5_hex;

/// A command line may be at most 255 octets, CRLF included: RFC 2449 §4 raised RFC 1939's
/// 40-octet argument limit ("Commands ... MUST NOT exceed 255 octets, including the
/// terminating CRLF"), since today's user names are longer.
pub const MAX_COMMAND_LINE: usize = 255;
/// A response line may be at most 512 octets, CRLF included (RFC 2449 §4).
pub const MAX_RESPONSE_LINE: usize = 512;
/// A unique-id is 1 to 70 characters in the range 0x21 to 0x7E (RFC 1939 §7, UIDL).
pub const MAX_UNIQUE_ID: usize = 70;

/// One message of a maildrop as the host sees it when the session opens it (RFC 1939 §4:
/// the maildrop is fixed for the session; mail that arrives later is for the next one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pop3Item {
    /// Its unique-id, stable across sessions and never reused (RFC 1939 §7, UIDL), e.g.
    /// `<uidvalidity>.<uid>` from the store.
    pub uid: String,
    /// Its exact size in octets, each line end counted as CRLF, before dot-stuffing
    /// (RFC 1939 §5, §11): [`size_as_sent`].
    pub size: u64,
}

/// The size of `message` as RETR sends it (RFC 1939 §11): every line ended by CRLF, a line
/// stored with a bare LF and a last line stored without its line end counted with the CRLF
/// it is sent with, the dots of stuffing not counted. A host gives this as
/// [`Pop3Item::size`]: IMAP's APPEND may have stored bytes as they came, so their length is
/// not what LIST, STAT and RETR's `+OK n octets` must say.
pub fn size_as_sent(message: &[u8]) -> u64 {
    message
        .split_inclusive(|&b| b == b'\n')
        .map(|line| {
            let text = line.strip_suffix(b"\n").unwrap_or(line);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            text.len() as u64 + 2
        })
        .sum()
}

/// Why the host could not open a maildrop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaildropError {
    /// Another session holds its lock: `-ERR [IN-USE]` (RFC 1939 §4, RFC 2449 §8.1.2).
    Locked,
    /// Any other reason (no such mailbox, the store is down): `-ERR [SYS/TEMP]`
    /// (RFC 3206 §4).
    Unavailable,
}

/// Why the host could not give a message of the maildrop a session holds (RETR, TOP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageError {
    /// It is no longer in the maildrop: another session removed it after this one opened
    /// the maildrop (an IMAP client's EXPUNGE or MOVE; RFC 1939 §4's lock is POP3's only).
    /// Trying again cannot bring it back: a plain `-ERR` that says so, as Dovecot answers
    /// ("-ERR Message 1 expunged."). No response code: RFC 3206 §4's `SYS` is for failures
    /// of the system, and `SYS/TEMP` would tell the client to try again later.
    Gone,
    /// It cannot be read now, though it is there (the store is down): `-ERR [SYS/TEMP]`
    /// (RFC 3206 §4).
    Unavailable,
}

/// True when `uid` is a valid unique-id: 1 to 70 characters in 0x21–0x7E (RFC 1939 §7).
pub fn valid_unique_id(uid: &str) -> bool {
    (1..=MAX_UNIQUE_ID).contains(&uid.len()) && uid.bytes().all(|b| (0x21..=0x7e).contains(&b))
}
