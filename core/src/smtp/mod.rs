//! SMTP (RFC 5321 and the extensions the servers advertise), as sans-IO state machines.
//!
//! [`server::SmtpServer`] and [`client::SmtpClient`] take bytes in and hand out replies,
//! bytes to send and events; the caller (the World, or `mailroom-serve` over TCP) moves
//! the bytes and the time.

pub mod auth;
pub mod client;
pub mod command;
pub mod data;
pub mod path;
pub mod reply;
pub mod server;
#[cfg(test)]
mod submission_tests;

pub use reply::Reply;

/// A command line may be at most 512 octets, CRLF included (RFC 5321 §4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = 512;
/// Where AUTH is offered, a MAIL command may be 500 octets longer, for its `AUTH=`
/// parameter (RFC 4954 §3).
pub const MAX_MAIL_LINE_AUTH: usize = MAX_COMMAND_LINE + 500;
/// A text line of the message may be at most 1000 octets, CRLF included (RFC 5321 §4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = 1000;
/// A reply line may be at most 512 octets, CRLF included (RFC 5321 §4.5.3.1.5).
pub const MAX_REPLY_LINE: usize = 512;
/// A local-part may be at most 64 octets (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;
/// A domain may be at most 255 octets (RFC 5321 §4.5.3.1.2).
pub const MAX_DOMAIN: usize = 255;
/// A reverse- or forward-path may be at most 256 octets, the angle brackets included
/// (RFC 5321 §4.5.3.1.3).
pub const MAX_PATH: usize = 256;
/// A server must accept at least 100 recipients per transaction (RFC 5321 §4.5.3.1.8).
pub const MAX_RECIPIENTS: usize = 100;
/// The largest message the simulated servers accept, advertised with SIZE (RFC 1870).
/// 10 MiB, Postfix's default `message_size_limit`.
pub const MAX_MESSAGE_SIZE: usize = 10 * 1024 * 1024;
/// A multi-line reply with more lines than this is treated as malformed by the client.
/// Real servers send a few dozen at most (EHLO, HELP).
pub const MAX_REPLY_LINES: usize = 100;
