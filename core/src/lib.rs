//! # mailroom-core
//!
//! The simulation engine of Mailroom. No clock, socket, thread or unseeded randomness
//! lives here: the same inputs give the same trace, byte for byte.
//!
//! The map:
//! - [`session`]: the contract every protocol machine keeps (bytes in, outputs out,
//!   timers, a typed state) and what a machine may ask of its host ([`session::Env`]).
//! - [`smtp`]: the SMTP server and client, sans-IO; [`line`](mod@line): CRLF framing with limits.
//! - [`pop3`]: the POP3 server, sans-IO; it asks its host for the maildrop through
//!   [`session::Env`].
//! - [`imap`]: the IMAP server, sans-IO; it works on its host's mail store, asked for
//!   through [`session::Env::mail_store`].
//! - [`mta`]: a mail server's queue manager, sans-IO: routing by MX, retries, bounces.
//! - [`store`]: a mail host's mailboxes, folders, UIDs, flags, locks and notifications,
//!   shared by its SMTP, POP3 and IMAP services.
//! - [`mail`]: RFC 5322 messages and RFC 3464 bounces; [`dns`]: records and answers.
//! - [`describe`]: worlds as data (hosts, services, users, records, links, faults,
//!   scripted sends), parsed with errors that name the line.
//! - [`world`]: the [`world::World`] that runs it all in virtual time ([`time`]) with a
//!   seeded generator ([`rng`]), and records the [`trace::Trace`].
//! - [`lesson`], [`lessons`]: lesson files and their anchors; [`explain`]: every command
//!   and reply in plain words, with its RFC section.
//! - [`tls`]: what an eavesdropper on the wire sees of a connection after STARTTLS.
//! - [`inspect`]: the message inspector's reading of a message (header fields, the
//!   `Received:` chain, envelope and header, the MIME tree, DSN fields).
//!
//! A World is driven in this order: build it ([`world::World::from_description`]), give
//! it inputs (`send_mail_at`, or live: `open`, `write`, `close`), then let time run
//! (`run_until_idle`, or live: `advance`, `advance_to`), and read the trace
//! (`trace().events_since(n)`).
#![forbid(unsafe_code)]

#[cfg(feature = "trust")]
pub mod auth;
pub mod base64;
pub mod describe;
pub mod dns;
pub mod explain;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "imap")]
pub mod imap;
pub mod inspect;
pub mod lesson;
pub mod lessons;
pub mod line;
pub mod listing;
pub mod mail;
pub mod mta;
#[cfg(feature = "pop3")]
pub mod pop3;
pub mod question;
pub mod rng;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod session;
pub mod smtp;
pub mod sort;
pub mod store;
pub mod time;
pub mod tls;
pub mod trace;
pub mod vecmap;
pub mod world;
