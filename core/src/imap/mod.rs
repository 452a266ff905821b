//! IMAP (IMAP4rev1, RFC 3501, following RFC 9051 where they agree), as a sans-IO server.
//!
//! - [`command`]: framing (lines and literals, RFC 7888) and the command parser.
//! - [`message`]: what FETCH says of a message: ENVELOPE, BODYSTRUCTURE, body sections.
//! - [`server`]: [`server::ImapServer`], which keeps the [`crate::session::Session`]
//!   contract and works on the host's [`crate::store::MailStore`], asked for through
//!   [`crate::session::Env::mail_store`].
//! - `client` (feature `imap`): a mail program that reads, flags, archives, deletes and
//!   files sent mail, idling for news in between; `response` reads what the server sends,
//!   `structure` a BODYSTRUCTURE back into the MIME tree it describes.

#[cfg(feature = "imap")]
pub mod client;
pub mod command;
pub mod message;
#[cfg(feature = "imap")]
pub mod response;
pub mod server;
#[cfg(feature = "imap")]
pub mod structure;

/// What CAPABILITY lists (RFC 3501 §6.1.1): only what this server really offers.
/// `LITERAL-`: literals of up to 4096 octets without waiting for `+` (RFC 7888 §5);
/// `SASL-IR`: AUTHENTICATE with an initial response (RFC 4959); `AUTH=PLAIN` (RFC 4616;
/// in the World no TLS, so the lesson can show what travels); `IDLE` (RFC 2177); `MOVE`
/// (RFC 6851); `UIDPLUS`: APPENDUID, COPYUID, UID EXPUNGE (RFC 4315); `UNSELECT`
/// (RFC 3691); `CHILDREN`: \HasChildren and \HasNoChildren (RFC 3348).
/// A server that offers STARTTLS ([`server::ImapConfig::tls`]) adds `STARTTLS` until it is
/// used, and one that takes logins only over TLS says `LOGINDISABLED` instead of
/// `AUTH=PLAIN` until then (RFC 3501 §6.2.1, §7.2.1): [`server::ImapServer::capabilities`].
pub const CAPABILITIES: &str = "IMAP4rev1 LITERAL- SASL-IR AUTH=PLAIN IDLE MOVE UIDPLUS UNSELECT CHILDREN";

/// The flags a message can have here: the system flags (RFC 3501 §2.3.2). No keywords,
/// so PERMANENTFLAGS has no `\*` (RFC 3501 §7.1).
pub const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
