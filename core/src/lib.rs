//! # mailroom-core
//!
//! The simulation engine of Mailroom: sans-IO protocol state machines (bytes in, replies
//! and events out), the mail model, a deterministic [`world::World`] driven by virtual
//! time, the [`trace::Trace`] it records, lessons, and the explanation catalogue.
//! [`store::MailStore`] holds a mail host's mailboxes, shared by its SMTP, POP3 and IMAP services.
//!
//! No clock, socket, thread or unseeded randomness lives here: the same inputs give the
//! same trace, byte for byte.
#![forbid(unsafe_code)]

pub mod describe;
pub mod dns;
pub mod explain;
pub mod lesson;
pub mod lessons;
pub mod line;
pub mod mail;
pub mod mta;
pub mod rng;
pub mod session;
pub mod smtp;
pub mod store;
pub mod time;
pub mod trace;
pub mod world;
