//! World descriptions: the hosts, domains, users, DNS records, links, faults and scripted
//! actions of a World, written as data so that teachers can change a world in a lesson
//! file without touching Rust. `lessons/README.md` documents it for teachers; a test checks
//! that it shows every directive of [`DIRECTIVES`] and every word of how each reads.
//!
//! This module only reads and checks text and produces plain data ([`Description`]); it
//! knows nothing of the World's internals. Building a World from a `Description` is the
//! World's job.
//!
//! The parser is written by hand rather than using TOML and serde for two reasons: the
//! wasm first-load budget is nearly spent (`toml` alone costs about 62 KB gzipped), and
//! its errors must speak a teacher's language: every problem names its line and column,
//! says what was expected and, where it helps, how the line reads. All problems are
//! collected (at most [`MAX_ERRORS`]), not just the first, and no input makes it panic.
//!
//! # Format
//!
//! One directive per line. Blank lines are ignored; `#` at the start of a word begins a
//! comment that runs to the end of the line. Words are separated by spaces or tabs. Text
//! with spaces goes in double quotes, where `\"` is a quote and `\\` a backslash (and
//! nothing else is an escape; control characters are refused everywhere). Directive names
//! and keywords are case-insensitive; host names, domains and addresses are compared
//! case-insensitively and stored in lower case. Directives may come in any order: a host
//! may be referred to before the line that defines it.
//!
//! ```text
//! seed NUMBER                                  the seed of the World's generator (default 0)
//! host NAME ADDRESS ROLE "LABEL" at X,Y        ROLE: client | mail | dns; X,Y on a 0..=100 grid
//! service HOST PORT KIND [starttls [required]] KIND: smtp | submission | pop3 | imap | dns;
//!                                              an SMTP service may offer (or require) STARTTLS
//! resolver HOST                                the dns host that answers everybody's queries
//! domain DOMAIN on HOST                        mail for DOMAIN is stored on that mail host
//! user ADDRESS [password "SECRET"]             a mailbox; its domain must be declared
//! relay HOST for ADDRESS|DOMAIN                HOST relays mail from that client address, or
//!                                              takes mail for that domain from anyone and
//!                                              passes it on (a backup MX)
//! mx DOMAIN PREFERENCE EXCHANGE                an MX record; EXCHANGE `.` is a null MX (RFC 7505)
//! a NAME ADDRESS                               an A record (every host has one for its own name)
//! link HOST HOST LATENCY [loss N%]             latency (and loss) between two hosts
//! down HOST from TIME to TIME                  the host is unreachable in [from, to)
//! greylist HOST                                451 4.7.1 to the first try of each (client, sender, recipient)
//! queue HOST [retry DELAY...] [giveup AFTER] [warn AFTER|never]
//!                                              the mail host's retries (the last delay repeats),
//!                                              when it gives up, when it warns the sender
//! size HOST BYTES                              the largest message the host's SMTP takes (RFC 1870)
//! full ADDRESS                                 that mailbox is full
//! reply HOST VERB CODE [X.Y.Z] "TEXT" [times N]    answer VERB on HOST with that reply (N times)
//! cut HOST PORT before VERB [times N]          a connection to that port breaks as the client sends VERB
//! at TIME send from HOST via HOST [to ADDRESS,...] [subject "TEXT"]    a scripted action
//!         [password "TEXT"] [auth plain|login|none] [broken dots|lf]     how the mail program is set up
//!         [as "NAME <ADDRESS>"]                                          a forged sender
//! at TIME retrieve from HOST via HOST user ADDRESS [keep]              POP3: download (and delete, unless `keep`)
//! at TIME imap from HOST via HOST user ADDRESS ACTION [auth plain]      IMAP (feature `imap`): what the person
//!         does with the mail program; ACTION as in [`imap`](self::imap)
//! ```
//!
//! - NAME, HOST, DOMAIN, EXCHANGE: DNS names (letters, digits, hyphens and dots, at most
//!   253 characters; a final dot is allowed). ADDRESS after `host`, `relay`, `a`: a dotted
//!   IPv4 address such as `192.0.2.25`. ADDRESS after `user`, `full`, `to`: a mailbox
//!   such as `bob@example.net`; a list is comma-separated (spaces around commas allowed).
//! - TIME and LATENCY: a whole number and a unit: `250ms`, `30s`, `5m`, `2h`, `1d`; times
//!   count from the start of the World, at most 30 days.
//! - PORT 1..=65535, one service per port per host; a service of the base world may be
//!   declared again with its kind, to change its `starttls`. PREFERENCE 0..=65535 (a null MX has 0).
//! - VERB: `GREETING` (the 220 on connecting), `EHLO`, `HELO`, `MAIL`, `RCPT`, `DATA`
//!   (the 354), `MESSAGE` (the reply after the final dot), `RSET`, `NOOP`, `VRFY`,
//!   `HELP`, `QUIT`, `AUTH`, `STARTTLS`. CODE 400..=599 (a rule only refuses); the class
//!   of the enhanced code (RFC 3463) matches the code's first digit. `times N` (N ≥ 1):
//!   only the first N times, then the host answers as usual.
//! - `cut`: PORT runs `smtp`, `submission` or `pop3`, and VERB is a command of that
//!   protocol ([`SMTP_CUT_VERBS`], [`POP3_CUT_VERBS`]); the command leaves the client and
//!   never arrives, and nothing else crosses (a laptop closed, a Wi-Fi lost). The client
//!   gives up when its own reply timer runs out (a person's telnet when TCP does, after
//!   `world::TCP_GIVE_UP`); the server, told nothing, only when its inactivity timer runs
//!   out. `times N` as for `reply`. With the `pop3` feature only (else a `cut` line needs
//!   the full app).
//! - `down`: a connection to the host times out. What is sent on a connection already open,
//!   to it or from it, TCP sends again until the host is back (`world::net::Network::resent`);
//!   a window that outlasts TCP breaks the connection as `cut` does. With the `pop3` feature
//!   (without it, such a connection breaks after 30 s: `core/build.rs` sends a lesson whose
//!   window starts after `0s` to the full app).
//!
//! What is checked once every line is read: every host referred to exists; host names
//! and addresses are unique; the resolver is a dns host that runs a `dns` service; mail
//! services run on mail hosts and `dns` on dns hosts; a domain is stored on a mail host; a
//! user's domain is declared; an MX exchange is a host or has an `a` record, or is `.`,
//! and a null MX is the only MX of its domain; `a` is not used for a host's own name;
//! `down` ends after it starts; a link joins two different hosts; `greylist`, `reply`
//! and `via` name hosts that run an SMTP service (`smtp` or `submission`); `send from`
//! names a client host; `full` names a declared user. Within one text each thing is
//! defined once; see [`Description::extend`] for what a lesson may change in a base world.
//!
//! A complete example (the standard world, [`STANDARD`], is another):
//!
//! ```text
//! seed 7
//! host laptop.example.org 192.0.2.10    client "Alice's laptop"   at 10,62
//! host smtp.example.org   192.0.2.25    mail   "Alice's provider" at 38,62
//! host ns.example.org     192.0.2.53    dns    "DNS resolver"     at 52,16
//! host mx.example.net     198.51.100.25 mail   "Bob's provider"   at 78,62
//! host backup.example.net 198.51.100.26 mail   "Bob's backup"     at 78,90
//! service smtp.example.org 25 smtp
//! service smtp.example.org 587 submission
//! service mx.example.net 25 smtp
//! service backup.example.net 25 smtp
//! service ns.example.org 53 dns
//! resolver ns.example.org
//! domain example.org on smtp.example.org
//! domain example.net on mx.example.net
//! user alice@example.org password "wonderland"   # made-up lesson passwords
//! user bob@example.net password "builder"
//! relay smtp.example.org for 192.0.2.10
//! mx example.org 10 smtp.example.org
//! mx example.net 10 mx.example.net
//! mx example.net 20 backup.example.net
//! mx example.com 0 .                             # example.com takes no mail
//! a www.example.net 198.51.100.80
//! link laptop.example.org smtp.example.org 20ms
//! link smtp.example.org mx.example.net 40ms loss 10%
//! down mx.example.net from 0s to 10m
//! greylist backup.example.net
//! full bob@example.net
//! reply mx.example.net RCPT 451 4.7.1 "Try again later" times 1
//! cut mx.example.net 25 before QUIT times 1         # the first QUIT to it never arrives
//! at 0s send from laptop.example.org via smtp.example.org to bob@example.net subject "Hi" auth login
//! ```

#[cfg(feature = "imap")]
mod imap;
pub(crate) mod syntax;

/// How an `at TIME imap ...` line reads, with every action (feature `imap`).
#[cfg(feature = "imap")]
pub use imap::USAGE as IMAP_USAGE;

use std::fmt;

use crate::dns::{RData, Record, Zone};
pub use crate::mta::RetryPolicy;
pub use crate::smtp::auth::Mechanism;
pub use crate::smtp::client::Flaw;
pub use crate::smtp::server::TlsPolicy;
use crate::time::{SimDuration, SimTime};
use crate::trace::HostRole;
use syntax::{Cursor, address, did_you_mean, dns_name, duration, enhanced, ipv4, lex, number, percent};

pub use syntax::{MAX_LABEL_LEN, MAX_LOCAL_PART_LEN, MAX_NAME_LEN, MAX_TEXT_LEN, MAX_TIME};

/// Descriptions larger than this are refused: a world is a few dozen lines, and the
/// cap bounds the work of the parser on any input.
pub const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;
/// At most this many problems are reported (the last one says that more follow).
pub const MAX_ERRORS: usize = 50;
/// At most this many hosts: they must fit on the diagram's 0..=100 grid.
pub const MAX_HOSTS: usize = 64;
/// The seed when a description has no `seed` line.
pub const DEFAULT_SEED: u64 = 0;
/// Why `dkim` and `check` are refused by an engine built without sender authentication.
const NEEDS_TRUST: &str =
    "TXT records, DKIM signing and checking senders (SPF, DKIM, DMARC) need the full app";
/// The standard world: `core/worlds/standard.world`.
pub const STANDARD: &str = include_str!("../worlds/standard.world");
/// The worlds that [`Description::named`] knows.
pub const NAMED: &[&str] = &["standard"];

/// The commands that `reply` may answer (SMTP, RFC 5321 §4.1.1, plus AUTH and STARTTLS);
/// `GREETING` is the reply on connecting, `MESSAGE` the reply after the final dot.
pub const REPLY_VERBS: &[&str] = &[
    "GREETING", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "MESSAGE", "RSET", "NOOP", "VRFY", "HELP", "QUIT",
    "AUTH", "STARTTLS",
];

/// The refusals a `reply` rule may give `verb` (one of [`REPLY_VERBS`]): the codes RFC 5321
/// §4.3.2 lists for it (AUTH: RFC 4954 §6; STARTTLS: RFC 3207 §4; the greeting: §3.1 and
/// the 421 of a server that must shut down), 530 to the commands a server may refuse
/// until the client has switched to TLS (all but NOOP, EHLO, STARTTLS and QUIT, RFC 3207
/// §4; those it may refuse until it has logged in, RFC 4954 §6, are among them), and 421,
/// 500 and 501, which any command may get (§4.3.2). NOOP and QUIT have no refusal of their
/// own.
pub fn refusals(verb: &str) -> Vec<u16> {
    let own: &[u16] = match verb {
        "GREETING" => return vec![554, 421],
        "EHLO" => &[504, 550, 502],
        "HELO" => &[504, 550, 502, 530],
        "MAIL" => &[552, 451, 452, 550, 553, 503, 455, 555, 530],
        "RCPT" => &[550, 551, 552, 553, 450, 451, 452, 503, 455, 555, 530],
        "DATA" => &[503, 554, 530],
        "MESSAGE" => return vec![552, 554, 451, 452, 450, 550, 421],
        "VRFY" => &[550, 551, 553, 502, 504, 530],
        "HELP" => &[502, 504, 530],
        "RSET" => &[530],
        "AUTH" => &[432, 454, 503, 504, 534, 535, 538, 530],
        "STARTTLS" => &[454],
        _ => &[],
    };
    own.iter().copied().chain([421, 500, 501]).collect()
}

/// The SMTP commands before which `cut` may break a connection (RFC 5321 §4.1.1, and
/// AUTH, STARTTLS).
pub const SMTP_CUT_VERBS: &[&str] =
    &["EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "VRFY", "HELP", "QUIT", "AUTH", "STARTTLS"];
/// The POP3 commands before which `cut` may break a connection (RFC 1939 §4–§7; CAPA,
/// RFC 2449 §5).
pub const POP3_CUT_VERBS: &[&str] =
    &["USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL", "QUIT", "CAPA"];

/// A world as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// Seeds the World's generator (order of equal-preference MX records, loss).
    pub seed: u64,
    pub hosts: Vec<HostDesc>,
    /// The host that answers DNS for everybody.
    pub resolver: Option<String>,
    pub domains: Vec<DomainDesc>,
    pub users: Vec<UserDesc>,
    pub relays: Vec<RelayDesc>,
    /// Queue settings of mail hosts (the default is [`RetryPolicy::default`]).
    pub queues: Vec<QueueDesc>,
    /// The largest message each listed mail host takes, in octets (the default is
    /// [`crate::smtp::MAX_MESSAGE_SIZE`]).
    pub sizes: Vec<SizeDesc>,
    /// The records written in the description; see [`Description::zone`] for all of them.
    pub records: Vec<RecordDesc>,
    pub links: Vec<LinkDesc>,
    pub faults: Vec<Fault>,
    pub actions: Vec<ActionDesc>,
    /// Mail hosts that sign their users' mail with DKIM.
    pub signers: Vec<SignerDesc>,
    /// Mail hosts that check the senders of the mail they receive.
    pub checks: Vec<CheckDesc>,
}

/// `dkim HOST DOMAIN SELECTOR`: the mail host signs mail from DOMAIN that its users hand
/// in, with the key of SELECTOR, whose public half is published in DNS at
/// `SELECTOR._domainkey.DOMAIN` (RFC 6376 §3.6.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerDesc {
    pub host: String,
    pub domain: String,
    pub selector: String,
    pub line: usize,
}

/// `check HOST spf dkim dmarc`: what the mail host checks of mail arriving on port 25.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckDesc {
    pub host: String,
    pub spf: bool,
    pub dkim: bool,
    pub dmarc: bool,
    pub line: usize,
}

/// A host. `line` is the line of its directive (0 when not read from a text); every item
/// carries one so that later checks can point back into the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostDesc {
    pub name: String,
    pub addr: String,
    pub role: HostRole,
    pub label: String,
    /// Position on a 0..=100 grid, x then y.
    pub position: (u8, u8),
    pub services: Vec<ServiceDesc>,
    pub line: usize,
}

/// A service listening on a port of a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceDesc {
    pub port: u16,
    pub kind: ServiceKind,
    /// STARTTLS on an SMTP service (`starttls`, `starttls required`; RFC 3207).
    pub tls: TlsPolicy,
    pub line: usize,
}

/// What answers on a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// SMTP between servers (RFC 5321), usually port 25.
    Smtp,
    /// Message submission (RFC 6409), usually port 587.
    Submission,
    /// POP3 (RFC 1939), usually port 110.
    Pop3,
    /// IMAP (RFC 9051), usually port 143.
    Imap,
    /// DNS (RFC 1035), usually port 53.
    Dns,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 5] =
        [ServiceKind::Smtp, ServiceKind::Submission, ServiceKind::Pop3, ServiceKind::Imap, ServiceKind::Dns];

    /// The word used in descriptions.
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Smtp => "smtp",
            ServiceKind::Submission => "submission",
            ServiceKind::Pop3 => "pop3",
            ServiceKind::Imap => "imap",
            ServiceKind::Dns => "dns",
        }
    }

    /// The well-known port.
    pub fn standard_port(self) -> u16 {
        match self {
            ServiceKind::Smtp => 25,
            ServiceKind::Submission => 587,
            ServiceKind::Pop3 => 110,
            ServiceKind::Imap => 143,
            ServiceKind::Dns => 53,
        }
    }

    /// True for the services that speak SMTP.
    pub fn speaks_smtp(self) -> bool {
        matches!(self, ServiceKind::Smtp | ServiceKind::Submission)
    }

    fn parse(s: &str) -> Result<ServiceKind, String> {
        ServiceKind::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(s)).ok_or_else(|| {
            format!("expected a service kind: smtp, submission, pop3, imap or dns, found `{s}`")
        })
    }
}

/// Mail for `name` is stored on `host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainDesc {
    pub name: String,
    pub host: String,
    pub line: usize,
}

/// A mailbox, in lower case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserDesc {
    pub address: String,
    pub password: Option<String>,
    pub line: usize,
}

/// `host` relays mail from the client address `client` (its trusted network).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayDesc {
    pub host: String,
    /// A client's IPv4 address, or a domain the host is a backup MX for.
    pub client: String,
    pub line: usize,
}

impl RelayDesc {
    /// True when `client` is a domain (the host is its backup MX), not an address.
    pub fn is_domain(&self) -> bool {
        ipv4(&self.client).is_err()
    }
}

/// How `host`'s queue retries, warns and gives up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueDesc {
    pub host: String,
    pub policy: RetryPolicy,
    pub line: usize,
}

/// The largest message `host` takes, in octets: what its EHLO announces as SIZE and
/// what it refuses above with `552 5.3.4` (RFC 1870).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeDesc {
    pub host: String,
    pub bytes: u64,
    pub line: usize,
}

/// A DNS record. A null MX (RFC 7505) has the exchange `.`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordDesc {
    pub name: String,
    pub data: RData,
    pub line: usize,
}

impl RecordDesc {
    /// True for a null MX (RFC 7505): the domain takes no mail.
    pub fn is_null_mx(&self) -> bool {
        matches!(&self.data, RData::Mx { exchange, .. } if exchange == ".")
    }
}

/// The link between hosts `a` and `b` (either direction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkDesc {
    pub a: String,
    pub b: String,
    pub latency: SimDuration,
    /// Percentage of lost packets, 0..=100.
    pub loss_percent: u8,
    pub line: usize,
}

/// A fault rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `host` is unreachable from `from` until just before `until`.
    Down { host: String, from: SimTime, until: SimTime, line: usize },
    /// `host` answers `451 4.7.1` to the first attempt of each (client, sender, recipient).
    Greylist { host: String, line: usize },
    /// The mailbox `address` is full.
    MailboxFull { address: String, line: usize },
    /// `host` answers `verb` (upper case, one of [`REPLY_VERBS`]) with this reply, the
    /// first `times` times (always when `None`).
    Reply {
        host: String,
        verb: String,
        code: u16,
        enhanced: Option<String>,
        text: String,
        times: Option<u32>,
        line: usize,
    },
    /// A client's connection to `port` of `host` breaks as it sends `verb` (upper case, a
    /// command of the service on that port): the command never arrives. The first `times`
    /// times (always when `None`). With POP3 (feature `pop3`), as its one lesson.
    #[cfg(feature = "pop3")]
    Cut { host: String, port: u16, verb: String, times: Option<u32>, line: usize },
}

impl Fault {
    pub fn line(&self) -> usize {
        match self {
            Fault::Down { line, .. }
            | Fault::Greylist { line, .. }
            | Fault::MailboxFull { line, .. }
            | Fault::Reply { line, .. } => *line,
            #[cfg(feature = "pop3")]
            Fault::Cut { line, .. } => *line,
        }
    }
}

/// How the mail program of a `send` is set up, where a lesson makes it differ from a
/// well set-up one (which logs in with AUTH PLAIN, with the user's own password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendSetup {
    /// The password it logs in with instead of the user's own: a typo in its settings.
    pub password: Option<String>,
    /// How it logs in (where the server asks for a login); `None`: it does not log in.
    pub login: Option<Mechanism>,
    /// A badly written program's fault.
    pub flaw: Option<Flaw>,
    /// The sender it writes in `From:` and `MAIL FROM` instead of the lesson's: a forged
    /// sender, which nothing in SMTP itself checks.
    pub sender: Option<String>,
    /// The `MAIL FROM` it gives instead of the `From:` address: the envelope sender, where
    /// bounces go (a mailing list's or a bulk mailer's own address, or a forger's domain).
    pub envelope: Option<String>,
}

impl Default for SendSetup {
    fn default() -> SendSetup {
        SendSetup { password: None, login: Some(Mechanism::Plain), flaw: None, sender: None, envelope: None }
    }
}

/// A scripted action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionDesc {
    /// At `at`, the person on `from_host` sends a message through the server `via`; `to`
    /// and `subject`, when given, replace the lesson's.
    Send {
        at: SimTime,
        from_host: String,
        via: String,
        to: Vec<String>,
        subject: Option<String>,
        program: SendSetup,
        line: usize,
    },
    /// At `at`, the mail program on `from_host` fetches `user`'s mail from `via` with POP3,
    /// deleting it there unless `keep` (leave on server: only new mail, by UIDL).
    Retrieve { at: SimTime, from_host: String, via: String, user: String, keep: bool, line: usize },
    /// At `at`, the person on `from_host` does `action` with the IMAP mail program that
    /// works with `via` for `user` (`plain`: it logs in with AUTHENTICATE PLAIN).
    #[cfg(feature = "imap")]
    Imap {
        at: SimTime,
        from_host: String,
        via: String,
        user: String,
        action: crate::imap::client::Action,
        plain: bool,
        line: usize,
    },
}

/// A problem in a description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeError {
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for DescribeError {
    /// `line 3, column 6: expected ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for DescribeError {}

impl Default for Description {
    fn default() -> Self {
        Description {
            seed: DEFAULT_SEED,
            hosts: Vec::new(),
            resolver: None,
            domains: Vec::new(),
            users: Vec::new(),
            relays: Vec::new(),
            queues: Vec::new(),
            sizes: Vec::new(),
            records: Vec::new(),
            links: Vec::new(),
            faults: Vec::new(),
            actions: Vec::new(),
            signers: Vec::new(),
            checks: Vec::new(),
        }
    }
}

impl Description {
    /// Reads and checks a whole description.
    pub fn parse(text: &str) -> Result<Description, Vec<DescribeError>> {
        let mut d = Description::default();
        d.extend(text, 1)?;
        Ok(d)
    }

    /// Adds the directives of `text`, whose first line is line `first_line` of its file
    /// (so errors point into a lesson file), on top of this description. The result is
    /// checked as a whole; on error `self` is unchanged.
    ///
    /// Defining again a host, domain, user, relay, record, service port, greylist,
    /// full mailbox or reply rule that exists is an error naming where it was defined.
    /// Three settings may be changed: `seed` and `resolver` replace the base's, and a
    /// `link` between two hosts already linked replaces its latency and loss. Within one
    /// text each of these is still written once.
    pub fn extend(&mut self, text: &str, first_line: usize) -> Result<(), Vec<DescribeError>> {
        let first_line = first_line.max(1);
        if text.len() > MAX_DESCRIPTION_BYTES {
            return Err(vec![DescribeError {
                line: first_line,
                column: 1,
                message: format!(
                    "the description is {} bytes long; at most {MAX_DESCRIPTION_BYTES} are read",
                    text.len()
                ),
            }]);
        }
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let mut b = Builder::new(self.clone());
        for (i, line) in text.lines().enumerate() {
            b.line(first_line.saturating_add(i), line);
        }
        let (d, errors) = b.finish();
        if errors.is_empty() {
            *self = d;
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The standard world of the lessons: Alice's laptop, her provider, a resolver and
    /// Bob's provider ([`STANDARD`]).
    pub fn standard() -> Description {
        // The file is part of the crate and checked by the tests; it is read once.
        static STANDARD_WORLD: std::sync::OnceLock<Description> = std::sync::OnceLock::new();
        STANDARD_WORLD.get_or_init(|| Description::parse(STANDARD).unwrap_or_default()).clone()
    }

    /// A built-in world by the name a lesson's front matter uses (`world: standard`).
    pub fn named(name: &str) -> Option<Description> {
        match name.trim().to_ascii_lowercase().as_str() {
            "standard" => Some(Description::standard()),
            _ => None,
        }
    }

    /// The mail host that `domain` is on (its `domain` line), any case.
    pub fn host_of_domain(&self, domain: &str) -> Option<&str> {
        self.domains.iter().find(|x| x.name.eq_ignore_ascii_case(domain)).map(|x| x.host.as_str())
    }

    /// The host called `name` (any case, a final dot allowed).
    pub fn host(&self, name: &str) -> Option<&HostDesc> {
        let name = name.strip_suffix('.').unwrap_or(name);
        self.hosts.iter().find(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// Every DNS record: the written ones, in order, then each host's A record.
    pub fn zone(&self) -> Zone {
        let mut zone = Zone::default();
        for r in &self.records {
            zone.records.push(Record { name: r.name.clone(), ttl: 3600, data: r.data.clone() });
        }
        for h in &self.hosts {
            zone.add_a(&h.name, &h.addr);
        }
        zone
    }
}

/// How a directive reads, where a teacher writes lessons (feature `teacher`); nothing in
/// the first load, whose lessons are its own, tested ones.
macro_rules! usage {
    ($s:literal) => {{
        #[cfg(feature = "teacher")]
        let s = $s;
        #[cfg(not(feature = "teacher"))]
        let s = "";
        s
    }};
}

/// Every directive with how it reads: for "did you mean", for error messages, and for the
/// test that the lesson writers' guide (`lessons/README.md`) shows each one and its words.
pub const DIRECTIVES: &[(&str, &str)] = &[
    ("seed", usage!("seed NUMBER")),
    ("host", usage!("host NAME ADDRESS ROLE \"LABEL\" at X,Y")),
    ("service", usage!("service HOST PORT KIND [starttls [required]]")),
    ("resolver", usage!("resolver HOST")),
    ("domain", usage!("domain DOMAIN on HOST")),
    ("user", usage!("user ADDRESS [password \"SECRET\"]")),
    ("relay", usage!("relay HOST for ADDRESS|DOMAIN")),
    ("mx", usage!("mx DOMAIN PREFERENCE EXCHANGE")),
    ("a", usage!("a NAME ADDRESS")),
    ("txt", usage!("txt NAME \"TEXT\"")),
    ("dkim", usage!("dkim HOST DOMAIN SELECTOR")),
    ("check", usage!("check HOST spf|dkim|dmarc...")),
    ("link", usage!("link HOST HOST LATENCY [loss N%]")),
    ("down", usage!("down HOST from TIME to TIME")),
    ("greylist", usage!("greylist HOST")),
    ("queue", usage!("queue HOST [retry DELAY...] [giveup AFTER] [warn AFTER|never]")),
    ("size", usage!("size HOST BYTES")),
    ("full", usage!("full ADDRESS")),
    ("reply", usage!("reply HOST VERB CODE [X.Y.Z] \"TEXT\" [times N]")),
    ("cut", usage!("cut HOST PORT before VERB [times N]")),
    (
        "at",
        usage!(
            "at TIME send from HOST via HOST [to ADDRESS,...] [subject \"TEXT\"] [password \"TEXT\"] [auth plain|login|none] [broken dots|lf] [as \"SENDER\"] [envelope ADDRESS]  or  at TIME retrieve from HOST via HOST user ADDRESS [keep]"
        ),
    ),
];

fn role_word(role: HostRole) -> &'static str {
    match role {
        HostRole::Client => "client",
        HostRole::MailServer => "mail",
        HostRole::Dns => "dns",
    }
}

/// `[times N]` at the end of a fault rule: how many times it applies (always, without it).
fn optional_times(c: &mut Cursor) -> Result<Option<u32>, syntax::Error> {
    if !c.optional("times") {
        return Ok(None);
    }
    let (n, _) = c.value("how many times, 1 or more", |s| number(s, "`times`", 1, u64::from(u32::MAX)))?;
    Ok(Some(n as u32))
}

fn role(s: &str) -> Result<HostRole, String> {
    match s.to_ascii_lowercase().as_str() {
        "client" => Ok(HostRole::Client),
        "mail" => Ok(HostRole::MailServer),
        "dns" => Ok(HostRole::Dns),
        _ => Err(format!("expected a role: client, mail or dns, found `{s}`")),
    }
}

fn grid(parts: &[String]) -> Result<(u8, u8), String> {
    let coord = |s: &str| number(s, "a coordinate", 0, 100).ok().map(|n| n as u8);
    match parts {
        [x, y] => match (coord(x), coord(y)) {
            (Some(x), Some(y)) => Ok((x, y)),
            _ => Err(format!(
                "expected a position X,Y with both from 0 to 100, such as `38,62`, found `{x},{y}`"
            )),
        },
        _ => Err(format!("expected a position X,Y such as `38,62`, found `{}`", parts.join(","))),
    }
}

/// What a referred host must be.
#[derive(Clone, Copy, Debug)]
enum Need {
    Exists,
    Role(HostRole),
    /// Runs an `smtp` or `submission` service.
    Smtp,
    /// Runs a `dns` service.
    DnsService,
    /// Runs a `pop3` service.
    Pop3,
    /// Runs an `smtp` service (where mail from other servers arrives).
    SmtpService,
    /// Runs a `submission` service (where its users hand in mail).
    Submission,
    /// Runs an `imap` service.
    #[cfg(feature = "imap")]
    Imap,
}

/// A condition checked once every line is read (directives may refer forward).
#[derive(Clone, Debug)]
enum Check {
    Host {
        name: String,
        need: Need,
        why: &'static str,
    },
    DomainDeclared {
        domain: String,
        address: String,
    },
    UserDeclared {
        address: String,
    },
    Resolvable {
        name: String,
    },
    NotAHost {
        name: String,
    },
    /// The MX record at this index, just added.
    NullMxAlone {
        index: usize,
    },
    /// `relay HOST for DOMAIN`: an MX record of the domain names the host.
    BackupMx {
        host: String,
        domain: String,
    },
    /// `cut`: the host runs SMTP or POP3 on the port, and `verb` is a command of it.
    #[cfg(feature = "pop3")]
    CutTarget {
        host: String,
        port: u16,
        verb: String,
    },
    /// `append-sent`: `host` sends a message at or before `at`.
    #[cfg(feature = "imap")]
    SentBefore {
        host: String,
        at: SimTime,
    },
}

/// Reads one text into a copy of a description.
struct Builder {
    d: Description,
    /// How many of each were in the base (items before these indices come from it).
    base_hosts: usize,
    base_domains: usize,
    base_users: usize,
    base_relays: usize,
    base_records: usize,
    base_faults: usize,
    errors: Vec<DescribeError>,
    checks: Vec<(usize, usize, Check)>,
    /// Services read, attached to their hosts at the end: (host, service).
    services: Vec<(String, ServiceDesc)>,
    seed_line: Option<usize>,
    resolver_line: Option<usize>,
    /// Per link: set or replaced by this text.
    link_is_new: Vec<bool>,
}

type Step = Result<(), (usize, String)>;

impl Builder {
    fn new(d: Description) -> Builder {
        Builder {
            base_hosts: d.hosts.len(),
            base_domains: d.domains.len(),
            base_users: d.users.len(),
            base_relays: d.relays.len(),
            base_records: d.records.len(),
            base_faults: d.faults.len(),
            link_is_new: vec![false; d.links.len()],
            d,
            errors: Vec::new(),
            checks: Vec::new(),
            services: Vec::new(),
            seed_line: None,
            resolver_line: None,
        }
    }

    fn error(&mut self, line: usize, column: usize, message: String) {
        self.errors.push(DescribeError { line, column, message });
    }

    fn check(&mut self, line: usize, col: usize, check: Check) {
        self.checks.push((line, col, check));
    }

    /// "on line 4", or "in the base world (line 4)".
    fn defined(line: usize, in_base: bool) -> String {
        if in_base { format!("in the base world (line {line})") } else { format!("on line {line}") }
    }

    fn line(&mut self, line: usize, text: &str) {
        let toks = match lex(text) {
            Ok(t) => t,
            Err((col, m)) => return self.error(line, col, m),
        };
        let Some(head) = toks.first() else { return };
        let word = head.text.to_ascii_lowercase();
        let found = DIRECTIVES.iter().find(|(n, _)| !head.quoted && *n == word);
        let Some(&(name, usage)) = found else {
            let names: Vec<&str> = DIRECTIVES.iter().map(|d| d.0).collect();
            let hint = match did_you_mean(&head.text, &names) {
                Some(n) if n.len() > 1 => format!(" (did you mean `{n}`?)"),
                _ => String::new(),
            };
            let message =
                format!("unknown directive `{}`{hint}; expected one of: {}", head.text, names.join(", "));
            return self.error(line, head.col, message);
        };
        let mut c = Cursor::new(&toks, usage);
        if let Err((col, m)) = self.directive(name, &mut c, line) {
            self.error(line, col, m);
        }
    }

    fn directive(&mut self, name: &str, c: &mut Cursor, line: usize) -> Step {
        match name {
            "seed" => {
                let (seed, col) = c.value("a number", |s| number(s, "the seed", 0, u64::MAX))?;
                c.done()?;
                if let Some(l) = self.seed_line {
                    return Err((col, format!("the seed is already set on line {l}")));
                }
                self.seed_line = Some(line);
                self.d.seed = seed;
            }
            "host" => self.host(c, line)?,
            "service" => {
                let (host, hcol) = c.value("a host name", dns_name)?;
                let (port, pcol) = c.value("a port number", |s| number(s, "a port", 1, 65_535))?;
                let (kind, kcol) =
                    c.value("a service kind (smtp, submission, pop3, imap, dns)", ServiceKind::parse)?;
                let tls = match (c.optional("starttls"), c.optional("required")) {
                    (false, _) => TlsPolicy::Off,
                    (true, false) => TlsPolicy::Offered,
                    (true, true) => TlsPolicy::Required,
                };
                c.done()?;
                if tls != TlsPolicy::Off && !kind.speaks_smtp() {
                    return Err((
                        kcol,
                        format!("`starttls` is for smtp and submission services, not {}", kind.name()),
                    ));
                }
                let port = port as u16;
                // Services of this text are attached to their hosts at the end. The same
                // service of the base world may be declared again, to change its TLS (Bob's
                // provider with STARTTLS for one lesson): it is taken out of the base.
                if let Some(h) = self.d.hosts[..self.base_hosts].iter_mut().find(|h| h.name == host)
                    && let Some(i) = h.services.iter().position(|s| s.port == port && s.kind == kind)
                {
                    h.services.remove(i);
                }
                let base = self.d.host(&host).and_then(|h| h.services.iter().find(|s| s.port == port));
                let here = self.services.iter().find(|(h, s)| *h == host && s.port == port).map(|(_, s)| s);
                if let Some((s, in_base)) = base.map(|s| (s, true)).or(here.map(|s| (s, false))) {
                    return Err((
                        pcol,
                        format!(
                            "port {port} of `{host}` already runs {} {}; one service per port",
                            s.kind.name(),
                            Builder::defined(s.line, in_base)
                        ),
                    ));
                }
                let (need, why) = match kind {
                    ServiceKind::Dns => (HostRole::Dns, "a dns service runs on a dns host"),
                    _ => (HostRole::MailServer, "a mail service runs on a mail host"),
                };
                self.check(line, hcol, Check::Host { name: host.clone(), need: Need::Role(need), why });
                self.services.push((host, ServiceDesc { port, kind, tls, line }));
            }
            "resolver" => {
                let (host, hcol) = c.value("the resolver's host name", dns_name)?;
                c.done()?;
                if let Some(l) = self.resolver_line {
                    return Err((
                        hcol,
                        format!("the resolver is already set on line {l}; a world has one resolver"),
                    ));
                }
                self.resolver_line = Some(line);
                let why = "the resolver must be a dns host";
                self.check(
                    line,
                    hcol,
                    Check::Host { name: host.clone(), need: Need::Role(HostRole::Dns), why },
                );
                self.check(line, hcol, Check::Host { name: host.clone(), need: Need::DnsService, why: "" });
                self.d.resolver = Some(host);
            }
            "domain" => {
                let (name, ncol) = c.value("a domain name", dns_name)?;
                c.keyword("on")?;
                let (host, hcol) = c.value("the host that stores its mail", dns_name)?;
                c.done()?;
                if let Some((i, d)) = self.d.domains.iter().enumerate().find(|(_, d)| d.name == name) {
                    let w = Builder::defined(d.line, i < self.base_domains);
                    return Err((ncol, format!("the domain `{name}` is already declared {w}")));
                }
                let why = "mail for a domain is stored on a mail host";
                self.check(
                    line,
                    hcol,
                    Check::Host { name: host.clone(), need: Need::Role(HostRole::MailServer), why },
                );
                self.d.domains.push(DomainDesc { name, host, line });
            }
            "user" => {
                let (addr, acol) = c.value("an address such as alice@example.org", address)?;
                let password = if c.optional("password") {
                    let t = c.next("the password in quotes")?;
                    if t.text.is_empty() {
                        return Err((
                            t.col,
                            "a password may not be empty: leave `password` out instead".into(),
                        ));
                    }
                    Some(t.text.clone())
                } else {
                    None
                };
                c.done()?;
                if let Some((i, u)) = self.d.users.iter().enumerate().find(|(_, u)| u.address == addr) {
                    let w = Builder::defined(u.line, i < self.base_users);
                    return Err((acol, format!("the user `{addr}` is already declared {w}")));
                }
                let domain = addr.rsplit_once('@').map_or(String::new(), |(_, d)| d.to_string());
                self.check(line, acol, Check::DomainDeclared { domain, address: addr.clone() });
                self.d.users.push(UserDesc { address: addr, password, line });
            }
            "relay" => {
                let (host, hcol) = c.value("the relaying host's name", dns_name)?;
                c.keyword("for")?;
                let (client, ccol) = c.value("a client's IPv4 address, or a domain", |s| {
                    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                        return ipv4(s);
                    }
                    dns_name(s).ok().filter(|d| d.contains('.')).ok_or_else(|| {
                        format!(
                            "expected a client's IPv4 address or a domain such as example.net, found `{s}`"
                        )
                    })
                })?;
                c.done()?;
                let found =
                    self.d.relays.iter().enumerate().find(|(_, r)| r.host == host && r.client == client);
                if let Some((i, r)) = found {
                    let w = Builder::defined(r.line, i < self.base_relays);
                    return Err((ccol, format!("`{host}` already relays for {client} {w}")));
                }
                let why = "only a mail host relays mail";
                self.check(
                    line,
                    hcol,
                    Check::Host { name: host.clone(), need: Need::Role(HostRole::MailServer), why },
                );
                if ipv4(&client).is_err() {
                    self.check(line, ccol, Check::BackupMx { host: host.clone(), domain: client.clone() });
                }
                self.d.relays.push(RelayDesc { host, client, line });
            }
            "mx" => self.mx(c, line)?,
            "queue" => self.queue(c, line)?,
            "size" => self.size(c, line)?,
            "a" => {
                let (name, ncol) = c.value("a DNS name", dns_name)?;
                let (addr, acol) = c.value("an IPv4 address", ipv4)?;
                c.done()?;
                let data = RData::A(addr.clone());
                let found = self.d.records.iter().enumerate().find(|(_, r)| r.name == name && r.data == data);
                if let Some((i, r)) = found {
                    let w = Builder::defined(r.line, i < self.base_records);
                    return Err((acol, format!("the record `a {name} {addr}` is already written {w}")));
                }
                self.check(line, ncol, Check::NotAHost { name: name.clone() });
                self.d.records.push(RecordDesc { name, data, line });
            }
            "link" => {
                let (a, acol) = c.value("the first host's name", dns_name)?;
                let (b, bcol) = c.value("the second host's name", dns_name)?;
                let (latency, _) = c.value("a latency such as `20ms`", duration)?;
                let loss_percent =
                    if c.optional("loss") { c.value("a loss rate such as `10%`", percent)?.0 } else { 0 };
                c.done()?;
                if a == b {
                    return Err((bcol, format!("a link joins two different hosts, and both ends are `{a}`")));
                }
                for (name, col) in [(&a, acol), (&b, bcol)] {
                    self.check(line, col, Check::Host { name: name.clone(), need: Need::Exists, why: "" });
                }
                let same = |l: &LinkDesc| (l.a == a && l.b == b) || (l.a == b && l.b == a);
                match self.d.links.iter().position(same) {
                    Some(i) if self.link_is_new[i] => {
                        let l = self.d.links[i].line;
                        return Err((acol, format!("`{a}` and `{b}` are already linked on line {l}")));
                    }
                    Some(i) => {
                        self.d.links[i] = LinkDesc { a, b, latency, loss_percent, line };
                        self.link_is_new[i] = true;
                    }
                    None => {
                        self.d.links.push(LinkDesc { a, b, latency, loss_percent, line });
                        self.link_is_new.push(true);
                    }
                }
            }
            "down" => {
                let (host, hcol) = c.value("the host's name", dns_name)?;
                c.keyword("from")?;
                let (from, _) = c.value("a time such as `0s`", duration)?;
                c.keyword("to")?;
                let (until, ucol) = c.value("a time such as `10m`", duration)?;
                c.done()?;
                if until <= from {
                    return Err((ucol, "the end of a `down` window must be later than its start".into()));
                }
                self.check(line, hcol, Check::Host { name: host.clone(), need: Need::Exists, why: "" });
                let (from, until) = (SimTime::ZERO.plus(from), SimTime::ZERO.plus(until));
                self.d.faults.push(Fault::Down { host, from, until, line });
            }
            "greylist" => {
                let (host, hcol) = c.value("the host's name", dns_name)?;
                c.done()?;
                let found = self.fault_line(|f| matches!(f, Fault::Greylist { host: h, .. } if *h == host));
                if let Some(w) = found {
                    return Err((hcol, format!("`{host}` is already greylisting {w}")));
                }
                let why = "greylisting answers SMTP";
                self.check(line, hcol, Check::Host { name: host.clone(), need: Need::Smtp, why });
                self.d.faults.push(Fault::Greylist { host, line });
            }
            "full" => {
                let (addr, acol) = c.value("an address such as bob@example.net", address)?;
                c.done()?;
                let found =
                    self.fault_line(|f| matches!(f, Fault::MailboxFull { address, .. } if *address == addr));
                if let Some(w) = found {
                    return Err((acol, format!("the mailbox `{addr}` is already full {w}")));
                }
                self.check(line, acol, Check::UserDeclared { address: addr.clone() });
                self.d.faults.push(Fault::MailboxFull { address: addr, line });
            }
            "reply" => self.reply(c, line)?,
            #[cfg(feature = "pop3")]
            "cut" => self.cut(c, line)?,
            #[cfg(not(feature = "pop3"))]
            "cut" => return Err((1, "a cut connection needs the full app".into())),
            "txt" => {
                if !cfg!(feature = "trust") {
                    return Err((1, NEEDS_TRUST.into()));
                }
                let (name, _) = c.value("the record's DNS name", syntax::record_name)?;
                let (text, tcol) = c.value("the text in quotes", syntax::txt_text)?;
                c.done()?;
                let data = RData::Txt(text);
                let found = self.d.records.iter().enumerate().find(|(_, r)| r.name == name && r.data == data);
                if let Some((i, r)) = found {
                    let w = Builder::defined(r.line, i < self.base_records);
                    return Err((tcol, format!("this TXT record of `{name}` is already written {w}")));
                }
                self.d.records.push(RecordDesc { name, data, line });
            }
            "dkim" => self.dkim(c, line)?,
            "check" => self.check_senders(c, line)?,
            "at" => self.send(c, line)?,
            _ => unreachable!("every name of DIRECTIVES has a branch"),
        }
        Ok(())
    }

    fn dkim(&mut self, c: &mut Cursor, line: usize) -> Step {
        if !cfg!(feature = "trust") {
            return Err((1, NEEDS_TRUST.into()));
        }
        let (host, hcol) = c.value("the signing mail host's name", dns_name)?;
        let (domain, dcol) = c.value("the domain it signs for", dns_name)?;
        // A selector is a DNS name of its own (RFC 6376 §3.1), the key's name under
        // `_domainkey.DOMAIN`.
        let (selector, _) = c.value("a selector, a name for the key such as `mail`", |s| {
            dns_name(s).map_err(|_| {
                format!("a selector is a name of letters, digits and hyphens (dots between parts), such as `mail`, found `{s}`")
            })
        })?;
        c.done()?;
        if let Some(s) = self.d.signers.iter().find(|s| s.host == host && s.domain == domain) {
            let l = s.line;
            return Err((dcol, format!("`{host}` already signs mail from {domain} on line {l}")));
        }
        let why = "a mail host signs the mail its users hand in on its submission port";
        self.check(line, hcol, Check::Host { name: host.clone(), need: Need::Submission, why });
        self.d.signers.push(SignerDesc { host, domain, selector, line });
        Ok(())
    }

    fn check_senders(&mut self, c: &mut Cursor, line: usize) -> Step {
        if !cfg!(feature = "trust") {
            return Err((1, NEEDS_TRUST.into()));
        }
        let (host, hcol) = c.value("the checking mail host's name", dns_name)?;
        let mut d = CheckDesc { host: host.clone(), spf: false, dkim: false, dmarc: false, line };
        loop {
            let word = if d.spf || d.dkim || d.dmarc {
                match c.value_if(|s| Ok::<_, String>(s.to_ascii_lowercase())) {
                    Some(w) => w,
                    None => break,
                }
            } else {
                c.value("what it checks: spf, dkim or dmarc", |s| Ok(s.to_ascii_lowercase()))?
            };
            let flag = match word.0.as_str() {
                "spf" => &mut d.spf,
                "dkim" => &mut d.dkim,
                "dmarc" => &mut d.dmarc,
                other => return Err((word.1, format!("expected spf, dkim or dmarc, found `{other}`"))),
            };
            if *flag {
                return Err((word.1, format!("`{}` is written twice", word.0)));
            }
            *flag = true;
        }
        c.done()?;
        if let Some(l) = self.d.checks.iter().find(|k| k.host == host).map(|k| k.line) {
            return Err((hcol, format!("`{host}` already checks senders, as line {l} says")));
        }
        let why = "a mail host checks the senders of the mail that arrives on its smtp port";
        self.check(line, hcol, Check::Host { name: host, need: Need::SmtpService, why });
        self.d.checks.push(d);
        Ok(())
    }

    /// Where a fault matching `pred` was defined.
    fn fault_line(&self, pred: impl Fn(&Fault) -> bool) -> Option<String> {
        let (i, f) = self.d.faults.iter().enumerate().find(|(_, f)| pred(f))?;
        Some(Builder::defined(f.line(), i < self.base_faults))
    }

    fn host(&mut self, c: &mut Cursor, line: usize) -> Step {
        let (name, ncol) = c.value("the host's DNS name", dns_name)?;
        let (addr, acol) = c.value("the host's IPv4 address", ipv4)?;
        let (role, _) = c.value("a role: client, mail or dns", role)?;
        let label = c.next("a label in quotes, such as \"Alice's provider\"")?;
        if label.text.trim().is_empty() {
            return Err((label.col, "a label may not be empty: it is shown on the diagram".into()));
        }
        let label = label.text.clone();
        c.keyword("at")?;
        let (parts, pcol) = c.list("a position X,Y such as `38,62`")?;
        let position = grid(&parts).map_err(|m| (pcol, m))?;
        c.done()?;
        if let Some((i, h)) = self.d.hosts.iter().enumerate().find(|(_, h)| h.name == name) {
            let w = Builder::defined(h.line, i < self.base_hosts);
            return Err((ncol, format!("the host `{name}` is already defined {w}")));
        }
        if let Some((i, h)) = self.d.hosts.iter().enumerate().find(|(_, h)| h.addr == addr) {
            let w = Builder::defined(h.line, i < self.base_hosts);
            return Err((acol, format!("the address {addr} already belongs to `{}` {w}", h.name)));
        }
        if self.d.hosts.len() >= MAX_HOSTS {
            return Err((ncol, format!("a world has at most {MAX_HOSTS} hosts")));
        }
        self.d.hosts.push(HostDesc { name, addr, role, label, position, services: Vec::new(), line });
        Ok(())
    }

    fn mx(&mut self, c: &mut Cursor, line: usize) -> Step {
        let (domain, _) = c.value("a domain name", dns_name)?;
        let (pref, pcol) = c.value("a preference", |s| number(s, "an MX preference", 0, 65_535))?;
        let t = c.next("the exchange: a host name, or `.` for a null MX")?;
        let ecol = t.col;
        let exchange = if t.text == "." {
            ".".to_string()
        } else if ipv4(&t.text).is_ok() {
            return Err((
                ecol,
                format!(
                    "an MX record names a host, not an address (RFC 5321 §5.1): write its name, and give it `a NAME {}` if it is not a host",
                    t.text
                ),
            ));
        } else {
            dns_name(&t.text).map_err(|m| (ecol, m))?
        };
        c.done()?;
        if exchange == "." && pref != 0 {
            return Err((pcol, "a null MX has preference 0 (RFC 7505 §3)".into()));
        }
        let data = RData::Mx { preference: pref as u16, exchange: exchange.clone() };
        let found = self.d.records.iter().enumerate().find(|(_, r)| r.name == domain && r.data == data);
        if let Some((i, r)) = found {
            let w = Builder::defined(r.line, i < self.base_records);
            return Err((ecol, format!("the record `mx {domain} {pref} {exchange}` is already written {w}")));
        }
        if exchange != "." {
            self.check(line, ecol, Check::Resolvable { name: exchange });
        }
        self.check(line, ecol, Check::NullMxAlone { index: self.d.records.len() });
        self.d.records.push(RecordDesc { name: domain, data, line });
        Ok(())
    }

    /// `queue HOST [retry DELAY...] [giveup AFTER] [warn AFTER|never]`: what is not written
    /// stays as in [`RetryPolicy::default`].
    /// `size HOST BYTES`: the largest message the host's SMTP services take.
    fn size(&mut self, c: &mut Cursor, line: usize) -> Step {
        let (host, hcol) = c.value("the mail host's name", dns_name)?;
        if let Some(q) = self.d.sizes.iter().find(|q| q.host == host) {
            return Err((hcol, format!("the largest message of `{host}` is already set on line {}", q.line)));
        }
        let max = crate::smtp::MAX_MESSAGE_SIZE as u64;
        let (bytes, _) =
            c.value("a size in octets such as `1000`", |s| number(s, "a message size in octets", 1, max))?;
        c.done()?;
        let why = "only a mail host takes messages";
        self.check(
            line,
            hcol,
            Check::Host { name: host.clone(), need: Need::Role(HostRole::MailServer), why },
        );
        self.d.sizes.push(SizeDesc { host, bytes, line });
        Ok(())
    }

    fn queue(&mut self, c: &mut Cursor, line: usize) -> Step {
        let (host, hcol) = c.value("the mail host's name", dns_name)?;
        if let Some(q) = self.d.queues.iter().find(|q| q.host == host) {
            return Err((hcol, format!("the queue of `{host}` is already set on line {}", q.line)));
        }
        let mut policy = RetryPolicy::default();
        let positive = |s: &str| match duration(s)? {
            d if d.0 == 0 => Err("a delay must be longer than 0s".to_string()),
            d => Ok(d),
        };
        if c.optional("retry") {
            let (first, _) = c.value("a delay such as `5m`", positive)?;
            policy.backoff = vec![first];
            while let Some((d, _)) = c.value_if(positive) {
                policy.backoff.push(d);
            }
        }
        if c.optional("giveup") {
            let (d, col) = c.value("a time such as `5d`", positive)?;
            if d < policy.backoff[0] {
                return Err((col, "it gives up before the first retry: make `giveup` longer than it".into()));
            }
            policy.lifetime = d;
        }
        if c.optional("warn") {
            if c.optional("never") {
                policy.warn_after = None;
            } else {
                let (d, col) = c.value("a time such as `4h`, or `never`", positive)?;
                if d >= policy.lifetime {
                    return Err((
                        col,
                        "the warning would come after giving up: make `warn` shorter than `giveup`".into(),
                    ));
                }
                policy.warn_after = Some(d);
            }
        }
        c.done()?;
        let why = "only a mail host has a queue";
        self.check(
            line,
            hcol,
            Check::Host { name: host.clone(), need: Need::Role(HostRole::MailServer), why },
        );
        self.d.queues.push(QueueDesc { host, policy, line });
        Ok(())
    }

    fn reply(&mut self, c: &mut Cursor, line: usize) -> Step {
        let (host, hcol) = c.value("the host's name", dns_name)?;
        let (verb, vcol) = c.value("a command such as RCPT", |s| {
            let v = s.to_ascii_uppercase();
            if REPLY_VERBS.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err(format!("expected a command to answer ({}), found `{s}`", REPLY_VERBS.join(", ")))
            }
        })?;
        // A rule can only refuse: a 2xx would tell the client "done" while the server did
        // nothing (a message answered 250 and never kept would be lost).
        let (code, ccol) = c.value("a reply code from 400 to 599, such as 451", |s| {
            number(s, "a reply code of a rule (it refuses: 4xx try later, 5xx failed)", 400, 599)
        })?;
        let code = code as u16;
        let allowed = refusals(&verb);
        if !allowed.contains(&code) {
            let list: Vec<String> = allowed.iter().map(u16::to_string).collect();
            return Err((
                ccol,
                format!(
                    "{verb} is never answered {code} (RFC 5321 §4.3.2, RFC 4954 §6, RFC 3207 §4): use one of {}",
                    list.join(", ")
                ),
            ));
        }
        let mut enh = None;
        let t = c.next("an enhanced code such as `4.7.1` or the reply text in quotes")?;
        let (text, tcol) = if !t.quoted
            && t.text.contains('.')
            && t.text.starts_with(|c: char| c.is_ascii_digit())
        {
            let (class, e) = enhanced(&t.text).map_err(|m| (t.col, m))?;
            if u16::from(class) != code / 100 {
                return Err((
                    t.col,
                    format!(
                        "the enhanced code {e} is of class {class}, but {code} is a {}xx reply: the first digits must agree (RFC 3463 §2)",
                        code / 100
                    ),
                ));
            }
            enh = Some(e);
            let t = c.next("the reply text in quotes, such as \"Try again later\"")?;
            (t.text.clone(), t.col)
        } else {
            (t.text.clone(), t.col)
        };
        // What the server will send is plain ASCII (RFC 5321 §4.2). (One line of at most
        // 512 octets, §4.5.3.1.5, it is anyway: a quoted text is at most 400 characters.)
        if let Some(odd) = text.chars().find(|c| !c.is_ascii()) {
            return Err((
                tcol,
                format!("a reply's text is plain ASCII (RFC 5321 §4.2): `{odd}` cannot be sent"),
            ));
        }
        let times = optional_times(c)?;
        c.done()?;
        let found = self
            .fault_line(|f| matches!(f, Fault::Reply { host: h, verb: v, .. } if *h == host && *v == verb));
        if let Some(w) = found {
            return Err((vcol, format!("`{host}` already has a reply rule for {verb} {w}")));
        }
        let why = "a reply rule answers SMTP commands";
        self.check(line, hcol, Check::Host { name: host.clone(), need: Need::Smtp, why });
        self.d.faults.push(Fault::Reply { host, verb, code, enhanced: enh, text, times, line });
        Ok(())
    }

    /// `cut HOST PORT before VERB [times N]`: a connection breaks as its client sends VERB.
    #[cfg(feature = "pop3")]
    fn cut(&mut self, c: &mut Cursor, line: usize) -> Step {
        let (host, hcol) = c.value("the server's name", dns_name)?;
        let (port, _) = c.value("a port number", |s| number(s, "a port", 1, 65_535))?;
        let port = port as u16;
        c.keyword("before")?;
        let (verb, vcol) = c.value("a command such as QUIT", |s| {
            let v = s.to_ascii_uppercase();
            if SMTP_CUT_VERBS.contains(&v.as_str()) || POP3_CUT_VERBS.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err(format!(
                    "expected an SMTP command ({}) or a POP3 command ({}), found `{s}`",
                    SMTP_CUT_VERBS.join(", "),
                    POP3_CUT_VERBS.join(", ")
                ))
            }
        })?;
        let times = optional_times(c)?;
        c.done()?;
        let found = self.fault_line(
            |f| matches!(f, Fault::Cut { host: h, port: p, verb: v, .. } if *h == host && *p == port && *v == verb),
        );
        if let Some(w) = found {
            return Err((
                vcol,
                format!("connections to port {port} of `{host}` are already cut before {verb} {w}"),
            ));
        }
        self.check(line, hcol, Check::Host { name: host.clone(), need: Need::Exists, why: "" });
        self.check(line, vcol, Check::CutTarget { host: host.clone(), port, verb: verb.clone() });
        self.d.faults.push(Fault::Cut { host, port, verb, times, line });
        Ok(())
    }

    fn send(&mut self, c: &mut Cursor, line: usize) -> Step {
        let (at, _) = c.value("a time such as `0s`", duration)?;
        let t = c.next("an action: send or retrieve")?;
        if !t.quoted && t.text.eq_ignore_ascii_case("retrieve") {
            return self.retrieve(c, line, SimTime::ZERO.plus(at));
        }
        #[cfg(feature = "imap")]
        if !t.quoted && t.text.eq_ignore_ascii_case("imap") {
            return self.imap(c, line, SimTime::ZERO.plus(at));
        }
        #[cfg(feature = "imap")]
        if t.quoted || !t.text.eq_ignore_ascii_case("send") {
            return Err((t.col, format!("expected an action: send, retrieve or imap, found `{}`", t.text)));
        }
        if t.quoted || !t.text.eq_ignore_ascii_case("send") {
            return Err((t.col, format!("expected an action: send or retrieve, found `{}`", t.text)));
        }
        c.keyword("from")?;
        let (from_host, fcol) = c.value("the sender's host", dns_name)?;
        c.keyword("via")?;
        let (via, vcol) = c.value("the server the message is handed to", dns_name)?;
        let mut to = None;
        let mut subject = None;
        let mut program = SendSetup::default();
        loop {
            if c.optional("to") {
                let (parts, col) = c.list("one or more addresses, separated by commas")?;
                if to.is_some() {
                    return Err((col, "`to` is written once, with the addresses separated by commas".into()));
                }
                let mut list = Vec::new();
                for p in parts {
                    if p.is_empty() {
                        return Err((
                            col,
                            "an address is missing in the list: two commas in a row, or one at an end".into(),
                        ));
                    }
                    list.push(address(&p).map_err(|m| (col, m))?);
                }
                to = Some(list);
            } else if c.optional("subject") {
                let t = c.next("the subject in quotes")?;
                if subject.is_some() {
                    return Err((t.col, "`subject` is written once".into()));
                }
                subject = Some(t.text.clone());
            } else if c.optional("password") {
                let t = c.next("the password the mail program logs in with, in quotes")?;
                if program.password.is_some() {
                    return Err((t.col, "`password` is written once".into()));
                }
                program.password = Some(t.text.clone());
            } else if c.optional("auth") {
                let t = c.next("how the mail program logs in: plain, login or none")?;
                program.login = match t.text.to_ascii_lowercase().as_str() {
                    "plain" => Some(Mechanism::Plain),
                    "login" => Some(Mechanism::Login),
                    "none" => None,
                    other => {
                        return Err((
                            t.col,
                            format!("expected plain, login or none after `auth`, found `{other}`"),
                        ));
                    }
                };
            } else if c.optional("as") {
                let t =
                    c.next("the sender the message claims, in quotes, such as \"Bank <help@bank.example>\"")?;
                if program.sender.is_some() {
                    return Err((t.col, "`as` is written once".into()));
                }
                address(crate::mail::addr_spec(&t.text)).map_err(|m| (t.col, m))?;
                program.sender = Some(t.text.clone());
            } else if c.optional("envelope") {
                let (addr, col) =
                    c.value("the MAIL FROM address, such as bounces@mailer.example", address)?;
                if program.envelope.is_some() {
                    return Err((col, "`envelope` is written once".into()));
                }
                program.envelope = Some(addr);
            } else if c.optional("broken") {
                let t = c.next("what is wrong with the sending program: dots or lf")?;
                program.flaw = Some(match t.text.to_ascii_lowercase().as_str() {
                    "dots" => Flaw::NoDotStuffing,
                    "lf" => Flaw::BareLf,
                    other => {
                        return Err((
                            t.col,
                            format!(
                                "expected dots (no doubled dots) or lf (bare LF line ends) after `broken`, found `{other}`"
                            ),
                        ));
                    }
                });
            } else {
                break;
            }
        }
        c.done()?;
        let why = "a message is sent from a person's device";
        self.check(
            line,
            fcol,
            Check::Host { name: from_host.clone(), need: Need::Role(HostRole::Client), why },
        );
        let why = "`via` names the server the message is handed to";
        self.check(line, vcol, Check::Host { name: via.clone(), need: Need::Smtp, why });
        let at = SimTime::ZERO.plus(at);
        self.d.actions.push(ActionDesc::Send {
            at,
            from_host,
            via,
            to: to.unwrap_or_default(),
            subject,
            program,
            line,
        });
        Ok(())
    }

    /// `retrieve from HOST via HOST user ADDRESS [keep]`: a mail program fetches mail with
    /// POP3, deleting it on the server unless `keep` (leave on server, UIDL).
    fn retrieve(&mut self, c: &mut Cursor, line: usize, at: SimTime) -> Step {
        c.keyword("from")?;
        let (from_host, fcol) = c.value("the host of the mail program", dns_name)?;
        c.keyword("via")?;
        let (via, vcol) = c.value("the POP3 server", dns_name)?;
        c.keyword("user")?;
        let (user, ucol) = c.value("the mailbox's address", address)?;
        let keep = c.optional("keep");
        c.done()?;
        let why = "mail is retrieved by a mail program on a person's device";
        self.check(
            line,
            fcol,
            Check::Host { name: from_host.clone(), need: Need::Role(HostRole::Client), why },
        );
        let why = "`via` names the POP3 server";
        self.check(line, vcol, Check::Host { name: via.clone(), need: Need::Pop3, why });
        self.check(line, ucol, Check::UserDeclared { address: user.clone() });
        self.d.actions.push(ActionDesc::Retrieve { at, from_host, via, user, keep, line });
        Ok(())
    }

    /// Attaches services, runs the checks, sorts and caps the errors.
    fn finish(mut self) -> (Description, Vec<DescribeError>) {
        for (host, s) in std::mem::take(&mut self.services) {
            if let Some(h) = self.d.hosts.iter_mut().find(|h| h.name == host) {
                h.services.push(s);
            }
        }
        // Checks come in line order, so once more than MAX_ERRORS have failed, the later
        // lines cannot be among the errors shown: stop there (the hints cost time).
        let mut failed: Vec<usize> = Vec::new();
        for (line, col, check) in std::mem::take(&mut self.checks) {
            if failed.len() > MAX_ERRORS && failed.last().is_some_and(|&l| l < line) {
                break;
            }
            if let Some(m) = self.problem(line, &check) {
                failed.push(line);
                self.error(line, col, m);
            }
        }
        let mut errors = self.errors;
        crate::sort::sort_by_key(&mut errors, |e| (e.line, e.column));
        errors.dedup();
        if errors.len() > MAX_ERRORS {
            let next = &errors[MAX_ERRORS - 1];
            let (line, column) = (next.line, next.column);
            errors.truncate(MAX_ERRORS - 1);
            let message = format!("more problems follow; only the first {} are shown", MAX_ERRORS - 1);
            errors.push(DescribeError { line, column, message });
        }
        (self.d, errors)
    }

    fn problem(&self, line: usize, check: &Check) -> Option<String> {
        let d = &self.d;
        match check {
            Check::Host { name, need, why } => {
                let Some(h) = d.host(name) else {
                    let names: Vec<&str> = d.hosts.iter().map(|h| h.name.as_str()).collect();
                    let hint = match did_you_mean(name, &names) {
                        Some(n) => format!(" (did you mean `{n}`?)"),
                        None if names.is_empty() => "; define it with a `host` line".to_string(),
                        None => format!("; the hosts are {}", names.join(", ")),
                    };
                    return Some(format!("there is no host `{name}`{hint}"));
                };
                match need {
                    Need::Exists => None,
                    Need::Role(r) if h.role == *r => None,
                    Need::Role(_) => Some(format!("{why}, and `{name}` is a {} host", role_word(h.role))),
                    Need::Pop3 if h.services.iter().any(|s| s.kind == ServiceKind::Pop3) => None,
                    Need::Pop3 => Some(format!("{why}, and `{name}` runs no POP3 service: add `service {name} 110 pop3`")),
                    #[cfg(feature = "imap")]
                    Need::Imap if h.services.iter().any(|s| s.kind == ServiceKind::Imap) => None,
                    #[cfg(feature = "imap")]
                    Need::Imap => Some(format!("{why}, and `{name}` runs no IMAP service: add `service {name} 143 imap`")),
                    Need::SmtpService if h.services.iter().any(|s| s.kind == ServiceKind::Smtp) => None,
                    Need::SmtpService => Some(format!("{why}, and `{name}` runs no smtp service: add `service {name} 25 smtp`")),
                    Need::Submission if h.services.iter().any(|s| s.kind == ServiceKind::Submission) => None,
                    Need::Submission => Some(format!("{why}, and `{name}` runs no submission service: add `service {name} 587 submission`")),
                    Need::Smtp if h.services.iter().any(|s| s.kind.speaks_smtp()) => None,
                    Need::Smtp => Some(format!("{why}, and `{name}` runs no SMTP service: add `service {name} 25 smtp`")),
                    Need::DnsService if h.services.iter().any(|s| s.kind == ServiceKind::Dns) => None,
                    // Reported by the role check already.
                    Need::DnsService if h.role != HostRole::Dns => None,
                    Need::DnsService => {
                        Some(format!("the resolver `{name}` runs no dns service: add `service {name} 53 dns`"))
                    }
                }
            }
            Check::DomainDeclared { domain, address } => (!d.domains.iter().any(|x| x.name == *domain)).then(|| {
                format!("the domain of `{address}` is not declared: add `domain {domain} on HOST` (a mail host)")
            }),
            Check::UserDeclared { address } => (!d.users.iter().any(|u| u.address == *address))
                .then(|| format!("`{address}` is not a user: add `user {address}`")),
            Check::Resolvable { name } => {
                let known = d.host(name).is_some()
                    || d.records.iter().any(|r| r.name == *name && matches!(r.data, RData::A(_)));
                (!known).then(|| {
                    format!("`{name}` has no address: define the host `{name}`, or add `a {name} ADDRESS`")
                })
            }
            Check::BackupMx { host, domain } => {
                let named = d.records.iter().any(|r| {
                    r.name == *domain
                        && matches!(&r.data, RData::Mx { exchange, .. } if exchange.trim_end_matches('.') == host)
                });
                (!named).then(|| {
                    format!(
                        "`{host}` would take mail for {domain} as its backup MX, but no MX record of {domain} names it: add `mx {domain} 20 {host}`"
                    )
                })
            }
            #[cfg(feature = "pop3")]
            Check::CutTarget { host, port, verb } => {
                // A missing host is reported by its own check.
                let h = d.host(host)?;
                let Some(service) = h.services.iter().find(|s| s.port == *port) else {
                    let ports: Vec<String> =
                        h.services.iter().map(|s| format!("{} {}", s.port, s.kind.name())).collect();
                    let runs = if ports.is_empty() { "nothing".to_string() } else { ports.join(", ") };
                    return Some(format!("`{host}` runs nothing on port {port}: its services are {runs}"));
                };
                let commands = match service.kind {
                    k if k.speaks_smtp() => SMTP_CUT_VERBS,
                    ServiceKind::Pop3 => POP3_CUT_VERBS,
                    k => {
                        return Some(format!(
                            "port {port} of `{host}` runs {}: only SMTP and POP3 conversations can be cut",
                            k.name()
                        ));
                    }
                };
                (!commands.contains(&verb.as_str())).then(|| {
                    format!(
                        "port {port} of `{host}` runs {}, which has no command {verb} (its commands: {})",
                        service.kind.name(),
                        commands.join(", ")
                    )
                })
            }
            #[cfg(feature = "imap")]
            Check::SentBefore { host, at } => imap::sent_before(d, host, *at),
            Check::NotAHost { name } => d.host(name).map(|_| {
                format!("`{name}` is a host and has an A record for its own address already; remove this line")
            }),
            Check::NullMxAlone { index } => {
                let me = &d.records[*index];
                // Reported once, on the later of two records (a base record is earlier).
                let earlier = d.records.iter().enumerate().find(|(i, r)| {
                    *i != *index
                        && r.name == me.name
                        && matches!(r.data, RData::Mx { .. })
                        && (me.is_null_mx() || r.is_null_mx())
                        && (*i < self.base_records || r.line < line)
                })?;
                let w = Builder::defined(earlier.1.line, earlier.0 < self.base_records);
                Some(if me.is_null_mx() {
                    format!("a null MX must be the only MX of `{}` (RFC 7505 §3), and it has another {w}", me.name)
                } else {
                    format!(
                        "`{}` has a null MX {w}, which says it takes no mail; it can have no other MX (RFC 7505 §3)",
                        me.name
                    )
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
