//! The mail store: the mailboxes of one mail host, shared by all its services.
//!
//! SMTP delivers into it ([`MailStore::deliver`]); a POP3 session locks a mailbox and reads
//! its INBOX as the maildrop ([`MailStore::lock`], [`MailStore::delete`] in the UPDATE state);
//! IMAP sessions open folders, set flags, copy, move and expunge, and learn what other
//! sessions did from [`MailStore::drain`]. A World owns one `MailStore` per mail host.
//!
//! It is plain data and methods: no I/O, no clock (dates are [`SimTime`]s passed in), no
//! randomness, sorted maps (`VecMap`) so that every listing comes out in the same order on every run.
//! Every operation checks its input and answers with a [`StoreError`] rather than panicking.
//!
//! What it keeps, and the rules it follows:
//! - A **mailbox** per address (compared lower-cased, as `world.rs` does: only the host a
//!   mailbox lives on interprets its local-part, RFC 5321 §2.3.11), with **folders**. `INBOX` always exists and its name is
//!   case-insensitive; other names are case-sensitive, levels separated by `/`
//!   (RFC 3501 §5.1, RFC 9051 §5.1). A new mailbox gets INBOX plus Sent, Drafts, Trash, Junk
//!   and Archive, marked with their special-use attributes (RFC 6154 §2).
//! - Folder operations as IMAP defines them: CREATE makes missing parents (RFC 3501 §6.3.3);
//!   DELETE refuses INBOX and a folder with children (RFC 9051 §6.3.5, `[HASCHILDREN]`);
//!   RENAME moves the children along, and renaming INBOX moves its messages into a new folder
//!   and leaves INBOX empty (RFC 3501 §6.3.5, RFC 9051 §6.3.6).
//! - Each **message** has a UID, strictly ascending in its folder and never reused within
//!   one UIDVALIDITY (RFC 3501 §2.3.1.1); flags (§2.3.2); an internal date (§2.3.3); a size in
//!   octets (§2.3.4); and its bytes as an `Rc<[u8]>`, so a session holds a message without
//!   copying it (the core is single-threaded, so `Rc` rather than `Arc`). Sequence numbers
//!   are positions: the n-th message of a folder has sequence number n (§2.3.1.2).
//! - UIDVALIDITY comes from a store-wide counter, never from a clock: a folder created again
//!   under an old name gets a greater value, which is what RFC 3501 §2.3.1.1 asks.
//! - `\Recent` the RFC 3501 way (§2.3.2): a message is recent for the first session that
//!   claims it with [`MailStore::take_recent`], and for no other. (RFC 9051 dropped `\Recent`;
//!   IMAP4rev1 clients still ask for it.)
//! - A **quota** per mailbox and a store-wide ceiling: delivery over either fails with
//!   [`StoreError::MailboxFull`] or [`StoreError::StoreFull`], which an SMTP server turns
//!   into `452 4.2.2` / `552 5.2.2` (RFC 3463 §3.3) or `452 4.3.1` (RFC 3463 §3.4).
//! - An exclusive **lock** per mailbox for POP3 (RFC 1939 §4; refused as `[IN-USE]`,
//!   RFC 2449 §8.1.2). It is advisory: SMTP still delivers into a locked mailbox.
//! - **Change notifications** per open folder, for IMAP's untagged EXISTS, EXPUNGE and FETCH
//!   responses and for IDLE (RFC 9051 §7.5, RFC 2177), bounded per watcher.
//!
//! ```
//! use mailroom_core::store::{Change, Expunged, FlagOp, Flags, MailStore};
//! use mailroom_core::time::SimTime;
//!
//! let mut store = MailStore::new();
//! store.create_mailbox("bob@example.net").unwrap();
//! // An IMAP session selects INBOX and watches it.
//! let idle = store.watch("bob@example.net", "INBOX").unwrap();
//! // SMTP delivers two messages.
//! for body in ["Subject: one\r\n\r\nHi\r\n", "Subject: two\r\n\r\nHi\r\n"] {
//!     store.deliver("bob@example.net", body.as_bytes(), SimTime::ZERO).unwrap();
//! }
//! assert_eq!(store.drain(idle), [Change::Exists(1), Change::Exists(2)]); // `* 2 EXISTS`
//! // The session marks the first one deleted and expunges.
//! store.set_flags("bob@example.net", "INBOX", 1, FlagOp::Add, Flags::DELETED).unwrap();
//! let gone = store.expunge("bob@example.net", "INBOX").unwrap();
//! assert_eq!(gone, [Expunged { seq: 1, uid: 1 }]); // `* 1 EXPUNGE`
//! ```

use crate::vecmap::VecMap;
use std::borrow::Cow;
use std::fmt;
use std::rc::Rc;

use crate::time::SimTime;

/// The most octets of mail one store holds, over all its mailboxes (64 MiB), unless its
/// host chooses other [`StoreLimits`]. Our own choice: the whole World runs inside one
/// browser tab; no lesson comes near it, and a sandbox that mails in a loop hits it long
/// before the tab runs out of memory.
pub const MAX_STORE_BYTES: u64 = 64 * 1024 * 1024;

/// The most messages one store holds, over all its mailboxes, unless its host chooses other
/// [`StoreLimits`]. Our own choice: keeps a store of empty messages bounded too (each message
/// costs some bookkeeping besides its bytes).
pub const MAX_MESSAGES: usize = 65_536;

/// How much one store may hold, over all its mailboxes: past either limit, delivery, APPEND
/// and COPY fail with [`StoreError::StoreFull`]. [`MailStore::new`] has the browser tab's
/// ([`StoreLimits::BROWSER`]); a host with a machine's memory to itself (`mailroom-serve`)
/// chooses its own with [`MailStore::with_limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    /// Octets of mail.
    pub max_bytes: u64,
    /// Messages, empty ones included.
    pub max_messages: usize,
}

impl StoreLimits {
    /// [`MAX_STORE_BYTES`] and [`MAX_MESSAGES`].
    pub const BROWSER: StoreLimits = StoreLimits { max_bytes: MAX_STORE_BYTES, max_messages: MAX_MESSAGES };
}

/// The most folders in one mailbox, INBOX included. Our own choice: a mail client shows a
/// few dozen; a script that creates folders in a loop must stop somewhere.
pub const MAX_FOLDERS: usize = 256;

/// The longest folder name, in octets. The common file-name limit (`NAME_MAX`, 255 on
/// Linux and BSD), which is what a Maildir++ server can store a folder under (Maildir++
/// keeps `a/b` as one directory `.a.b`).
pub const MAX_FOLDER_NAME: usize = 255;

/// The most changes queued for one watcher before its queue collapses to a single
/// [`Change::Resync`]. Our own choice: a session drained after every step holds a handful;
/// one that stops reading (a client that never sends a command) must not make the store grow.
pub const MAX_PENDING_CHANGES: usize = 1024;

/// The most watchers at once in one store. Our own choice, far above the sessions a World
/// opens; it keeps a session that watches without ever unwatching from growing the store.
pub const MAX_WATCHERS: usize = 1024;

/// The IMAP hierarchy separator of this store (RFC 3501 §5.1.1, returned by LIST).
pub const SEPARATOR: char = '/';

/// The one folder every mailbox has; its name is case-insensitive (RFC 3501 §5.1).
pub const INBOX: &str = "INBOX";

/// The system flags a message can carry (RFC 3501 §2.3.2, RFC 9051 §2.3.2), as a small set.
/// `\Recent` is not among them: it belongs to a session, see [`MailStore::take_recent`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Flags(u8);

impl Flags {
    pub const NONE: Flags = Flags(0);
    /// The message has been read.
    pub const SEEN: Flags = Flags(1);
    /// The message has been answered.
    pub const ANSWERED: Flags = Flags(2);
    /// The message is marked for attention.
    pub const FLAGGED: Flags = Flags(4);
    /// The message is marked for removal by a later EXPUNGE.
    pub const DELETED: Flags = Flags(8);
    /// The message is an unfinished draft.
    pub const DRAFT: Flags = Flags(16);

    /// Each flag with its IMAP name, in the order they are shown.
    pub const NAMES: [(Flags, &'static str); 5] = [
        (Flags::SEEN, "\\Seen"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::DELETED, "\\Deleted"),
        (Flags::DRAFT, "\\Draft"),
    ];

    /// True when every flag of `other` is set here.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// These flags without those of `other`.
    pub const fn minus(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// One flag by its IMAP name, case-insensitively (`\seen` is `\Seen`, RFC 9051 §9 flag).
    pub fn parse(name: &str) -> Option<Flags> {
        Flags::NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|&(f, _)| f)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        self.union(other)
    }
}

impl fmt::Display for Flags {
    /// `\Seen \Deleted`: the inside of an IMAP flag list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (flag, name) in Flags::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str(" ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// How a flag change combines with the flags a message has: IMAP's STORE `FLAGS`, `+FLAGS`
/// and `-FLAGS` (RFC 9051 §6.4.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagOp {
    /// The message gets exactly these flags.
    Replace,
    /// These flags are set; the others stay as they were.
    Add,
    /// These flags are cleared; the others stay as they were.
    Remove,
}

/// What a folder is for, so that every client finds the same Sent and Trash (RFC 6154 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecialUse {
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
}

impl SpecialUse {
    /// The LIST attribute, e.g. `\Sent`.
    pub const fn attribute(self) -> &'static str {
        match self {
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Trash => "\\Trash",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Archive => "\\Archive",
        }
    }
}

/// The folders of a new mailbox besides INBOX, each named after its use.
pub const DEFAULT_FOLDERS: [(&str, SpecialUse); 5] = [
    ("Sent", SpecialUse::Sent),
    ("Drafts", SpecialUse::Drafts),
    ("Trash", SpecialUse::Trash),
    ("Junk", SpecialUse::Junk),
    ("Archive", SpecialUse::Archive),
];

/// Who holds a lock: an opaque id the World gives each session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionKey(pub u64);

/// A session's subscription to the changes of one folder, from [`MailStore::watch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WatcherId(pub u64);

/// A message's internal date (RFC 3501 §2.3.3): when it was delivered, or the date-time an
/// APPEND gave (any, before the simulation began too), or the original's for COPY.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InternalDate {
    /// Seconds since the Unix epoch (before it, negative).
    pub unix: i64,
    /// The zone it was given in, in minutes east of UTC (`+0100`: 60); a delivery's is UTC.
    pub zone: i16,
}

impl From<SimTime> for InternalDate {
    fn from(t: SimTime) -> InternalDate {
        InternalDate { unix: crate::time::unix_secs(t), zone: 0 }
    }
}

impl InternalDate {
    /// The calendar date and time of day in its own zone: (year, month, day, hour, minute,
    /// second).
    pub fn local_parts(self) -> (i64, u32, u32, u32, u32, u32) {
        crate::time::unix_date_parts(self.local())
    }

    /// Its day in its own zone, as days since 1970-01-01: what SEARCH's BEFORE, ON and SINCE
    /// compare, "disregarding time and timezone" (RFC 3501 §6.4.4).
    pub fn day(self) -> i64 {
        self.local().div_euclid(86_400)
    }

    fn local(self) -> i64 {
        self.unix.saturating_add(i64::from(self.zone) * 60)
    }
}

/// One stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Unique within its folder and UIDVALIDITY (RFC 3501 §2.3.1.1).
    pub uid: u32,
    pub flags: Flags,
    /// Its internal date's zone ([`InternalDate::zone`]): kept beside the UID and flags, so
    /// that the entry stays 32 bytes.
    zone: i16,
    /// Its internal date, seconds since the Unix epoch ([`Message::internal_date`]).
    unix: i64,
    /// The message exactly as stored, shared rather than copied.
    pub bytes: Rc<[u8]>,
    /// It came by delivery (SMTP, or a DMARC quarantine into the junk folder) and has not
    /// been copied since: a mail program's APPEND or COPY makes a message of its own, while
    /// a MOVE (RFC 6851) keeps it the delivered one.
    pub delivered: bool,
}

impl Message {
    /// RFC822.SIZE: the number of octets (RFC 3501 §2.3.4).
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Its internal date (RFC 3501 §2.3.3).
    pub fn internal_date(&self) -> InternalDate {
        InternalDate { unix: self.unix, zone: self.zone }
    }
}

/// One message removed from a folder. A list of them is in the order an IMAP server sends
/// `* n EXPUNGE`: highest sequence number first, so that every `seq` is the message's
/// number at the moment its response is sent and the client's renumbering stays right
/// (RFC 9051 §7.5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expunged {
    pub seq: u32,
    pub uid: u32,
}

/// A folder: its messages in UID order and the numbers IMAP's SELECT reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    uid_validity: u32,
    uid_next: u32,
    /// Messages with a UID from here on have not been claimed as `\Recent` by any session.
    recent_from: u32,
    special_use: Option<SpecialUse>,
    subscribed: bool,
    messages: Vec<Message>,
}

impl Folder {
    fn new(uid_validity: u32, special_use: Option<SpecialUse>, subscribed: bool) -> Folder {
        Folder { uid_validity, uid_next: 1, recent_from: 1, special_use, subscribed, messages: Vec::new() }
    }

    /// UIDVALIDITY (RFC 3501 §2.3.1.1): never 0, different for each folder this store made.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// UIDNEXT: the UID the next message will get (RFC 3501 §2.3.1.1).
    pub fn uid_next(&self) -> u32 {
        self.uid_next
    }

    pub fn special_use(&self) -> Option<SpecialUse> {
        self.special_use
    }

    pub fn subscribed(&self) -> bool {
        self.subscribed
    }

    /// The messages in order: the message at index i has sequence number i + 1.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// EXISTS: the number of messages.
    pub fn exists(&self) -> u32 {
        self.messages.len() as u32
    }

    /// The number of messages without `\Seen` (STATUS UNSEEN).
    pub fn unseen(&self) -> u32 {
        self.messages.iter().filter(|m| !m.flags.contains(Flags::SEEN)).count() as u32
    }

    /// The number of messages no session has claimed as recent yet (STATUS RECENT).
    pub fn recent(&self) -> u32 {
        self.since(self.recent_from).len() as u32
    }

    /// The messages with a UID from `uid` on, in order: the last ones of the folder, found
    /// by binary search (what arrived since a session last looked, without a walk over
    /// every message).
    pub fn since(&self, uid: u32) -> &[Message] {
        &self.messages[self.messages.partition_point(|m| m.uid < uid)..]
    }

    /// The total size of the messages, in octets.
    pub fn size(&self) -> u64 {
        self.messages.iter().map(Message::size).sum()
    }

    /// The message with this UID and its sequence number; `None` for UID 0 or a missing one.
    pub fn by_uid(&self, uid: u32) -> Option<(u32, &Message)> {
        let i = self.messages.binary_search_by_key(&uid, |m| m.uid).ok()?;
        Some((i as u32 + 1, &self.messages[i]))
    }

    /// The message with this sequence number (1-based); `None` for 0 or past the end.
    pub fn by_seq(&self, seq: u32) -> Option<&Message> {
        self.messages.get((seq as usize).checked_sub(1)?)
    }
}

/// One line of a folder listing (what IMAP's LIST shows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderInfo {
    pub name: String,
    pub special_use: Option<SpecialUse>,
    pub subscribed: bool,
    /// `\HasChildren` / `\HasNoChildren` (RFC 9051 §7.3.1).
    pub has_children: bool,
}

/// A mailbox's size against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Octets stored, over all folders.
    pub used: u64,
    /// The limit in octets; `None` means only the store-wide ceiling applies.
    pub limit: Option<u64>,
}

/// What happened to a watched folder, queued for every watcher of it, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Messages arrived: the folder now has this many (IMAP `* n EXISTS`).
    Exists(u32),
    /// A message was removed; a run of these is highest first (`* n EXPUNGE`).
    Expunged(Expunged),
    /// A message's flags changed to these (`* n FETCH (FLAGS (...))`).
    Flags { uid: u32, flags: Flags },
    /// The folder was renamed; the watcher follows it under its new name.
    Renamed { to: String },
    /// The folder was deleted; the watcher sees nothing more. What the session tells its
    /// client is its choice: RFC 2180 §3 describes ending it with `* BYE`.
    Deleted,
    /// More than [`MAX_PENDING_CHANGES`] changes were waiting, so they were dropped: the
    /// session must compare what it knows with the folder as it is now (its name is
    /// [`MailStore::watching`]), or end the connection as servers do when they lose track.
    Resync,
}

/// Why the store refused. The messages say what was wrong and which rule says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    NoSuchMailbox {
        addr: String,
    },
    MailboxExists {
        addr: String,
    },
    NoSuchFolder {
        folder: String,
    },
    FolderExists {
        folder: String,
    },
    BadFolderName {
        folder: String,
        reason: &'static str,
    },
    /// INBOX can be renamed (its messages move) but never deleted.
    InboxIsPermanent,
    /// DELETE of a folder with children (RFC 9051 §6.3.5: `NO [HASCHILDREN]`).
    HasChildren {
        folder: String,
    },
    TooManyFolders,
    /// UID 0 or a UID the folder does not have.
    NoSuchMessage {
        uid: u32,
    },
    /// Over the mailbox's quota: SMTP `452 4.2.2` or `552 5.2.2` (RFC 3463 §3.3).
    MailboxFull {
        addr: String,
        used: u64,
        limit: u64,
        size: u64,
    },
    /// Over the store's [`StoreLimits`]: the server itself is out of room, SMTP
    /// `452 4.3.1` (RFC 3463 §3.4, RFC 5321 §4.5.3.1.10).
    StoreFull {
        limits: StoreLimits,
    },
    /// UIDNEXT would pass 2^32 - 1 (RFC 3501 §2.3.1.1).
    UidsExhausted {
        folder: String,
    },
    /// The store-wide UIDVALIDITY counter reached 2^32 - 1.
    UidValidityExhausted,
    /// Another session holds the mailbox (RFC 1939 §4; POP3 `-ERR [IN-USE]`, RFC 2449 §8.1.2).
    Locked {
        addr: String,
    },
    TooManyWatchers,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NoSuchMailbox { addr } => write!(f, "there is no mailbox for {addr} on this host"),
            StoreError::MailboxExists { addr } => write!(f, "{addr} already has a mailbox"),
            StoreError::NoSuchFolder { folder } => write!(f, "there is no folder named \"{folder}\""),
            StoreError::FolderExists { folder } => write!(f, "a folder named \"{folder}\" already exists"),
            StoreError::BadFolderName { folder, reason } => {
                write!(f, "\"{folder}\" cannot be a folder name: {reason}")
            }
            StoreError::InboxIsPermanent => {
                f.write_str("INBOX cannot be deleted: every mailbox has one (RFC 3501 section 6.3.4)")
            }
            StoreError::HasChildren { folder } => write!(
                f,
                "\"{folder}\" has folders inside it: delete those first (RFC 9051 section 6.3.5, [HASCHILDREN])"
            ),
            StoreError::TooManyFolders => {
                write!(f, "a mailbox holds at most {MAX_FOLDERS} folders on this server")
            }
            StoreError::NoSuchMessage { uid: 0 } => {
                f.write_str("UID 0 names no message: UIDs start at 1 (RFC 3501 section 2.3.1.1)")
            }
            StoreError::NoSuchMessage { uid } => write!(f, "no message has UID {uid} in this folder"),
            StoreError::MailboxFull { addr, used, limit, size } => write!(
                f,
                "the mailbox of {addr} is full: {used} of {limit} octets used, \
                 a message of {size} octets does not fit (RFC 3463 section 3.3: X.2.2 mailbox full)"
            ),
            StoreError::StoreFull { limits } => write!(
                f,
                "this server is out of room for mail (at most {} octets and {} messages; \
                 RFC 3463 section 3.4: 4.3.1 mail system full)",
                limits.max_bytes, limits.max_messages
            ),
            StoreError::UidsExhausted { folder } => write!(
                f,
                "\"{folder}\" has used every UID up to 2^32 - 1; a server would have to start over \
                 with a new UIDVALIDITY (RFC 3501 section 2.3.1.1)"
            ),
            StoreError::UidValidityExhausted => {
                f.write_str("this server has handed out every UIDVALIDITY value up to 2^32 - 1")
            }
            StoreError::Locked { addr } => write!(
                f,
                "the mailbox of {addr} is in use by another session: only one may hold the \
                 maildrop at a time (RFC 1939 section 4, [IN-USE] RFC 2449 section 8.1.2)"
            ),
            StoreError::TooManyWatchers => {
                write!(f, "at most {MAX_WATCHERS} sessions can have a folder open at once here")
            }
        }
    }
}

impl std::error::Error for StoreError {}

#[derive(Clone, Debug)]
struct Mailbox {
    folders: VecMap<String, Folder>,
    quota: Option<u64>,
    used: u64,
    lock: Option<SessionKey>,
}

impl Mailbox {
    /// Its junk folder: the first with the `\Junk` attribute (RFC 6154 §2).
    #[cfg(any(feature = "trust", feature = "imap"))]
    fn junk(&self) -> Option<&Folder> {
        self.folders.values().find(|f| f.special_use == Some(SpecialUse::Junk))
    }
}

#[derive(Clone, Debug)]
struct Watcher {
    addr: String,
    /// `None` once the folder is deleted.
    folder: Option<String>,
    changes: Vec<Change>,
}

impl Watcher {
    fn push(&mut self, change: Change) {
        if self.changes.first() == Some(&Change::Resync) {
            return;
        }
        if self.changes.len() >= MAX_PENDING_CHANGES {
            self.changes.clear();
            self.changes.push(Change::Resync);
            return;
        }
        self.changes.push(change);
    }
}

/// The mailboxes of one mail host. See the module documentation.
///
/// Methods that name a folder take its name as the client wrote it: `inbox` finds INBOX.
#[derive(Clone, Debug)]
pub struct MailStore {
    mailboxes: VecMap<String, Mailbox>,
    watchers: VecMap<WatcherId, Watcher>,
    /// The UIDVALIDITY the next folder gets (u64, so that 2^32 - 1 itself can be handed out).
    next_uid_validity: u64,
    next_watcher: u64,
    used: u64,
    messages: usize,
    limits: StoreLimits,
}

impl Default for MailStore {
    fn default() -> MailStore {
        MailStore::new()
    }
}

/// The key of an address: lower-cased.
fn key(addr: &str) -> String {
    addr.to_ascii_lowercase()
}

/// A folder name as stored: any case of `inbox` is `INBOX` (RFC 3501 §5.1), also as the
/// first level of a longer name (`inbox/x` is `INBOX/x`; our choice, so that INBOX's children
/// list under it whatever case the client typed).
fn canonical(name: &str) -> Cow<'_, str> {
    let first = name.split(SEPARATOR).next().unwrap_or(name);
    if first.eq_ignore_ascii_case(INBOX) && first != INBOX {
        Cow::Owned(format!("{INBOX}{}", &name[first.len()..]))
    } else {
        Cow::Borrowed(name)
    }
}

/// The reason `name` cannot be a folder, if any.
fn check_name(name: &str) -> Result<(), StoreError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_FOLDER_NAME {
        Some("it is longer than 255 octets")
    } else if name.chars().any(|c| c.is_control()) {
        Some("it contains a control character")
    } else if !name.is_ascii() {
        // Café would be a second folder beside Caf&AOk-, the same name to a mail program.
        Some(
            "a folder name is 7-bit, other letters in modified UTF-7: &AOk- for an e acute (RFC 3501 section 5.1)",
        )
    } else if !modified_utf7(name) {
        Some(
            "& begins a run of other letters in modified UTF-7, ended by -; a & itself is &- (RFC 3501 section 5.1.3)",
        )
    } else if name.contains(['*', '%']) {
        Some("* and % are LIST wildcards (RFC 9051 section 6.3.9)")
    } else if name.split(SEPARATOR).any(str::is_empty) {
        Some("a level between two / is empty")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StoreError::BadFolderName { folder: name.to_string(), reason }),
        None => Ok(()),
    }
}

/// True when every `&` of the 7-bit `name` starts a well-formed run of modified UTF-7
/// (RFC 3501 §5.1.3): `&-` for `&` itself, else modified BASE64 (`,` for `/`, no padding)
/// of UTF-16 up to a `-`, whose left-over bits are fewer than 6 and zero, whose surrogates
/// pair, and which holds no printable US-ASCII letter (that one represents itself) and no
/// control character (refused in a name written plainly too).
fn modified_utf7(name: &str) -> bool {
    let mut rest = name;
    while let Some(at) = rest.find('&') {
        let run = &rest[at + 1..];
        let Some(end) = run.find('-') else { return false };
        rest = &run[end + 1..];
        if end > 0 && !utf16_run(&run[..end]) {
            return false;
        }
    }
    true
}

/// One run of modified BASE64 between `&` and `-`, as [`modified_utf7`] says.
fn utf16_run(run: &str) -> bool {
    let (mut bits, mut held, mut units) = (0u32, 0u32, Vec::new());
    for b in run.bytes() {
        // Modified BASE64: `,` where base64 has `/`, which is not one of its letters.
        let Some(v) = (b != b'/').then(|| crate::base64::value(if b == b',' { b'/' } else { b })).flatten()
        else {
            return false;
        };
        bits = (bits << 6 | v) & 0xFF_FFFF;
        held += 6;
        if held >= 16 {
            held -= 16;
            units.push((bits >> held) as u16);
        }
    }
    held < 6
        && bits & ((1 << held) - 1) == 0
        && char::decode_utf16(units).all(|c| c.is_ok_and(|c| !(' '..='~').contains(&c) && !c.is_control()))
}

/// The names of the levels above `name`, outermost first: `a/b/c` gives `a`, `a/b`.
fn parents(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices(SEPARATOR).map(move |(i, _)| &name[..i])
}

/// True when `name` is `parent` or inside it.
fn within(name: &str, parent: &str) -> bool {
    name == parent || name.strip_prefix(parent).is_some_and(|rest| rest.starts_with(SEPARATOR))
}

/// `uids` sorted, for binary search: a client's UID set may come in any order.
fn sorted(uids: &[u32]) -> Vec<u32> {
    let mut v = uids.to_vec();
    v.sort_unstable();
    v
}

/// Removes the messages `pred` picks; returns them in EXPUNGE order and the octets freed.
fn remove_where(folder: &mut Folder, mut pred: impl FnMut(&Message) -> bool) -> (Vec<Expunged>, u64) {
    let mut gone: Vec<Expunged> = Vec::new();
    let mut freed = 0;
    for (i, m) in folder.messages.iter().enumerate() {
        if pred(m) {
            gone.push(Expunged { seq: i as u32 + 1, uid: m.uid });
            freed += m.size();
        }
    }
    if !gone.is_empty() {
        let mut next = gone.iter().peekable();
        folder.messages.retain(|m| {
            let hit = next.peek().is_some_and(|e| e.uid == m.uid);
            if hit {
                next.next();
            }
            !hit
        });
    }
    gone.reverse();
    (gone, freed)
}

impl MailStore {
    /// An empty store with the browser tab's limits ([`StoreLimits::BROWSER`]).
    pub fn new() -> MailStore {
        MailStore::with_limits(StoreLimits::BROWSER)
    }

    /// An empty store that holds at most what `limits` allow.
    pub fn with_limits(limits: StoreLimits) -> MailStore {
        MailStore {
            mailboxes: VecMap::new(),
            watchers: VecMap::new(),
            next_uid_validity: 1,
            next_watcher: 1,
            used: 0,
            messages: 0,
            limits,
        }
    }

    /// What this store may hold.
    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    // ----- mailboxes -----

    /// Creates the mailbox of `addr` with INBOX and the [`DEFAULT_FOLDERS`], all subscribed.
    pub fn create_mailbox(&mut self, addr: &str) -> Result<(), StoreError> {
        let k = key(addr);
        if self.mailboxes.contains_key(&k) {
            return Err(StoreError::MailboxExists { addr: k });
        }
        let mut folders = VecMap::new();
        folders.insert(INBOX.to_string(), Folder::new(self.new_uid_validity()?, None, true));
        for (name, usage) in DEFAULT_FOLDERS {
            folders.insert(name.to_string(), Folder::new(self.new_uid_validity()?, Some(usage), true));
        }
        self.mailboxes.insert(k, Mailbox { folders, quota: None, used: 0, lock: None });
        Ok(())
    }

    pub fn has_mailbox(&self, addr: &str) -> bool {
        self.mailboxes.contains_key(&key(addr))
    }

    /// The addresses that have a mailbox here, lower-cased, in order.
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.mailboxes.keys().map(String::as_str)
    }

    /// Every mailbox with the number of messages in its INBOX, in address order: what a
    /// view of the host shows after each event, so it allocates nothing and looks nothing up.
    pub fn inbox_counts(&self) -> impl Iterator<Item = (&str, usize)> {
        self.mailboxes.iter().map(|(a, m)| (a.as_str(), m.folders.get(INBOX).map_or(0, |f| f.messages.len())))
    }

    /// Each mailbox whose junk folder (`\Junk`, RFC 6154 §2) holds messages, and how many.
    #[cfg(any(feature = "trust", feature = "imap"))]
    pub fn junk_counts(&self) -> impl Iterator<Item = (&str, usize)> {
        self.mailboxes.iter().filter_map(|(a, m)| {
            let junk = m.junk()?;
            (!junk.messages.is_empty()).then_some((a.as_str(), junk.messages.len()))
        })
    }

    /// Each mailbox whose INBOX or junk folder holds messages that did not come by
    /// delivery (a mail program's APPEND, RFC 3501 §6.3.11, or COPY), and how many.
    #[cfg(feature = "imap")]
    pub fn filed_counts(&self) -> impl Iterator<Item = (&str, usize)> {
        // The folders `inbox_counts` and `junk_counts` count.
        self.mailboxes.iter().filter_map(|(a, m)| {
            let filed = |f: &Folder| f.messages.iter().filter(|m| !m.delivered).count();
            let n = m.folders.get(INBOX).map_or(0, filed) + m.junk().map_or(0, filed);
            (n > 0).then_some((a.as_str(), n))
        })
    }

    /// Sets the mailbox's limit in octets (`None`: only the store-wide one). A limit below
    /// what is stored is allowed: the mailbox is then full, which is how a fault rule of the
    /// World makes it so.
    pub fn set_quota(&mut self, addr: &str, limit: Option<u64>) -> Result<(), StoreError> {
        self.mailbox_mut(addr)?.quota = limit;
        Ok(())
    }

    pub fn quota(&self, addr: &str) -> Result<Quota, StoreError> {
        let mb = self.mailbox(addr)?;
        Ok(Quota { used: mb.used, limit: mb.quota })
    }

    /// Octets stored over the whole store.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Messages stored over the whole store, in every folder of every mailbox.
    pub fn message_count(&self) -> usize {
        self.messages
    }

    // ----- the POP3 lock -----

    /// Takes the exclusive lock on the mailbox for `holder` (RFC 1939 §4). Taking it again
    /// by the same holder is fine; another holder gets [`StoreError::Locked`] until
    /// [`MailStore::unlock`].
    pub fn lock(&mut self, addr: &str, holder: SessionKey) -> Result<(), StoreError> {
        let mb = self.mailbox_mut(addr)?;
        match mb.lock {
            Some(h) if h != holder => Err(StoreError::Locked { addr: key(addr) }),
            _ => {
                mb.lock = Some(holder);
                Ok(())
            }
        }
    }

    /// Releases the lock if `holder` has it; returns whether it did. Anyone else's call
    /// changes nothing.
    pub fn unlock(&mut self, addr: &str, holder: SessionKey) -> bool {
        match self.mailboxes.get_mut(&key(addr)) {
            Some(mb) if mb.lock == Some(holder) => {
                mb.lock = None;
                true
            }
            _ => false,
        }
    }

    pub fn locked_by(&self, addr: &str) -> Option<SessionKey> {
        self.mailboxes.get(&key(addr)).and_then(|mb| mb.lock)
    }

    // ----- folders -----

    /// The folders of the mailbox: INBOX first, then the others in byte order of their names
    /// (parents before children).
    pub fn folders(&self, addr: &str) -> Result<Vec<FolderInfo>, StoreError> {
        let mb = self.mailbox(addr)?;
        let info = |name: &str, f: &Folder| FolderInfo {
            name: name.to_string(),
            special_use: f.special_use,
            subscribed: f.subscribed,
            has_children: mb.folders.keys().any(|n| n != name && within(n, name)),
        };
        let inbox = mb.folders.get(INBOX).map(|f| info(INBOX, f));
        Ok(inbox
            .into_iter()
            .chain(mb.folders.iter().filter(|(n, _)| *n != INBOX).map(|(n, f)| info(n, f)))
            .collect())
    }

    /// One folder, to read its messages and numbers.
    pub fn folder(&self, addr: &str, name: &str) -> Result<&Folder, StoreError> {
        self.mailbox(addr)?
            .folders
            .get(&*canonical(name))
            .ok_or_else(|| StoreError::NoSuchFolder { folder: name.to_string() })
    }

    /// Creates a folder, and any missing parents, unsubscribed (RFC 3501 §6.3.3). A trailing
    /// `/` only says that folders will be made inside it, and is dropped.
    pub fn create_folder(&mut self, addr: &str, name: &str) -> Result<(), StoreError> {
        let name = canonical(name.strip_suffix(SEPARATOR).unwrap_or(name)).to_string();
        check_name(&name)?;
        let mb = self.mailbox(addr)?;
        if mb.folders.contains_key(&name) {
            return Err(StoreError::FolderExists { folder: name });
        }
        let missing: Vec<String> = parents(&name)
            .chain([name.as_str()])
            .filter(|n| !mb.folders.contains_key(&*canonical(n)))
            .map(|n| canonical(n).to_string())
            .collect();
        if mb.folders.len() + missing.len() > MAX_FOLDERS {
            return Err(StoreError::TooManyFolders);
        }
        let mut made = Vec::new();
        for n in missing {
            made.push((n, Folder::new(self.new_uid_validity()?, None, false)));
        }
        self.mailbox_mut(addr)?.folders.extend(made);
        Ok(())
    }

    /// Deletes a folder and its messages (RFC 9051 §6.3.5): never INBOX, never a folder with
    /// folders inside it. Its watchers get [`Change::Deleted`].
    pub fn delete_folder(&mut self, addr: &str, name: &str) -> Result<(), StoreError> {
        let name = canonical(name);
        let name = name.as_ref();
        if name == INBOX {
            return Err(StoreError::InboxIsPermanent);
        }
        let mb = self.mailbox_mut(addr)?;
        if !mb.folders.contains_key(name) {
            return Err(StoreError::NoSuchFolder { folder: name.to_string() });
        }
        if mb.folders.keys().any(|n| n != name && within(n, name)) {
            return Err(StoreError::HasChildren { folder: name.to_string() });
        }
        let folder =
            mb.folders.remove(name).ok_or_else(|| StoreError::NoSuchFolder { folder: name.to_string() })?;
        self.account(addr, -(folder.size() as i64), -(folder.messages.len() as isize));
        let k = key(addr);
        for w in self.watchers.values_mut() {
            if w.addr == k && w.folder.as_deref() == Some(name) {
                w.push(Change::Deleted);
                w.folder = None;
            }
        }
        Ok(())
    }

    /// Renames a folder and the folders inside it, making missing parents of the new name
    /// (RFC 3501 §6.3.5, RFC 9051 §6.3.6). Watchers follow and get [`Change::Renamed`].
    ///
    /// Renaming INBOX is special: its messages move into a new folder `to` (with a new
    /// UIDVALIDITY, keeping their UIDs and flags), INBOX stays, empty, and its children stay
    /// where they are. INBOX's watchers see every message expunged.
    pub fn rename_folder(&mut self, addr: &str, from: &str, to: &str) -> Result<(), StoreError> {
        let from = canonical(from).to_string();
        let to = canonical(to).to_string();
        check_name(&to)?;
        let mb = self.mailbox(addr)?;
        if !mb.folders.contains_key(&from) {
            return Err(StoreError::NoSuchFolder { folder: from });
        }
        if mb.folders.contains_key(&to) {
            return Err(StoreError::FolderExists { folder: to });
        }
        if from != INBOX && within(&to, &from) {
            return Err(StoreError::BadFolderName {
                folder: to,
                reason: "a folder cannot move inside itself",
            });
        }
        // The folders that move, old name -> new name.
        let moves: Vec<(String, String)> = if from == INBOX {
            vec![(from.clone(), to.clone())]
        } else {
            mb.folders
                .keys()
                .filter(|n| within(n, &from))
                .map(|n| (n.clone(), format!("{to}{}", &n[from.len()..])))
                .collect()
        };
        for (_, new) in &moves {
            check_name(new)?;
            if mb.folders.contains_key(new) {
                return Err(StoreError::FolderExists { folder: new.clone() });
            }
        }
        let missing: Vec<String> =
            parents(&to).filter(|n| !mb.folders.contains_key(*n)).map(String::from).collect();
        let new_inbox = from == INBOX;
        if mb.folders.len() + missing.len() + usize::from(new_inbox) > MAX_FOLDERS {
            return Err(StoreError::TooManyFolders);
        }
        let mut made = Vec::new();
        for n in missing {
            made.push((n, Folder::new(self.new_uid_validity()?, None, false)));
        }
        let inbox_validity = if new_inbox { Some(self.new_uid_validity()?) } else { None };
        let k = key(addr);
        let Some(mb) = self.mailboxes.get_mut(&k) else {
            return Err(StoreError::NoSuchMailbox { addr: k });
        };
        mb.folders.extend(made);
        if let Some(uid_validity) = inbox_validity {
            let Some(inbox) = mb.folders.get_mut(INBOX) else {
                return Err(StoreError::NoSuchFolder { folder: from });
            };
            let mut moved = Folder::new(uid_validity, None, false);
            moved.uid_next = inbox.uid_next;
            moved.recent_from = inbox.recent_from;
            moved.messages = std::mem::take(&mut inbox.messages);
            let gone: Vec<Expunged> = (1..=moved.exists())
                .rev()
                .zip(moved.messages.iter().rev())
                .map(|(seq, m)| Expunged { seq, uid: m.uid })
                .collect();
            mb.folders.insert(to, moved);
            for w in self.watchers.values_mut() {
                if w.addr == k && w.folder.as_deref() == Some(INBOX) {
                    for &e in &gone {
                        w.push(Change::Expunged(e));
                    }
                }
            }
            return Ok(());
        }
        for (old, new) in &moves {
            if let Some(f) = mb.folders.remove(old) {
                mb.folders.insert(new.clone(), f);
            }
        }
        for w in self.watchers.values_mut() {
            if w.addr != k {
                continue;
            }
            if let Some((_, new)) = moves.iter().find(|(old, _)| w.folder.as_deref() == Some(old.as_str())) {
                w.folder = Some(new.clone());
                w.push(Change::Renamed { to: new.clone() });
            }
        }
        Ok(())
    }

    /// Marks a folder subscribed or not (IMAP SUBSCRIBE / UNSUBSCRIBE, RFC 9051 §6.3.7–8).
    pub fn set_subscribed(&mut self, addr: &str, name: &str, subscribed: bool) -> Result<(), StoreError> {
        self.folder_mut(addr, name)?.subscribed = subscribed;
        Ok(())
    }

    /// Gives a folder a special use, or takes it away (RFC 6154).
    pub fn set_special_use(
        &mut self,
        addr: &str,
        name: &str,
        usage: Option<SpecialUse>,
    ) -> Result<(), StoreError> {
        self.folder_mut(addr, name)?.special_use = usage;
        Ok(())
    }

    // ----- messages -----

    /// Files a message that SMTP accepted into the INBOX of `addr`; returns its UID.
    pub fn deliver(
        &mut self,
        addr: &str,
        bytes: impl Into<Rc<[u8]>>,
        now: SimTime,
    ) -> Result<u32, StoreError> {
        self.add(addr, INBOX, bytes.into(), Flags::NONE, now.into(), true)
    }

    /// Files a message that its domain's policy sends to the junk folder (DMARC's
    /// `quarantine`, RFC 7489 §6.3): the folder with the `\Junk` attribute (RFC 6154 §2),
    /// or the INBOX when the mailbox has none.
    pub fn deliver_junk(
        &mut self,
        addr: &str,
        bytes: impl Into<Rc<[u8]>>,
        now: SimTime,
    ) -> Result<u32, StoreError> {
        let junk = self.folders(addr)?.into_iter().find(|f| f.special_use == Some(SpecialUse::Junk));
        let folder = junk.map_or_else(|| INBOX.to_string(), |f| f.name);
        self.add(addr, &folder, bytes.into(), Flags::NONE, now.into(), true)
    }

    /// Adds a message to a folder (delivery, or IMAP APPEND, RFC 9051 §6.3.12); returns its
    /// UID. Watchers get [`Change::Exists`]. Fails when the mailbox or the store is full.
    pub fn append(
        &mut self,
        addr: &str,
        folder: &str,
        bytes: impl Into<Rc<[u8]>>,
        flags: Flags,
        internal_date: impl Into<InternalDate>,
    ) -> Result<u32, StoreError> {
        self.add(addr, folder, bytes.into(), flags, internal_date.into(), false)
    }

    fn add(
        &mut self,
        addr: &str,
        folder: &str,
        bytes: Rc<[u8]>,
        flags: Flags,
        internal_date: InternalDate,
        delivered: bool,
    ) -> Result<u32, StoreError> {
        let size = bytes.len() as u64;
        self.check_room(addr, folder, size, 1)?;
        let f = self.folder_mut(addr, folder)?;
        let uid = f.uid_next;
        f.uid_next += 1;
        let InternalDate { unix, zone } = internal_date;
        f.messages.push(Message { uid, flags, zone, unix, bytes, delivered });
        let exists = f.exists();
        self.account(addr, size as i64, 1);
        self.notify(addr, folder, [Change::Exists(exists)]);
        Ok(uid)
    }

    /// Changes the flags of one message (IMAP STORE); returns its flags now. Watchers get
    /// [`Change::Flags`] only when they really changed; the session that asked answers its
    /// client from the returned value.
    pub fn set_flags(
        &mut self,
        addr: &str,
        folder: &str,
        uid: u32,
        op: FlagOp,
        flags: Flags,
    ) -> Result<Flags, StoreError> {
        let f = self.folder_mut(addr, folder)?;
        let i = f
            .messages
            .binary_search_by_key(&uid, |m| m.uid)
            .map_err(|_| StoreError::NoSuchMessage { uid })?;
        let m = &mut f.messages[i];
        let before = m.flags;
        m.flags = match op {
            FlagOp::Replace => flags,
            FlagOp::Add => before.union(flags),
            FlagOp::Remove => before.minus(flags),
        };
        let now = m.flags;
        if now != before {
            self.notify(addr, folder, [Change::Flags { uid, flags: now }]);
        }
        Ok(now)
    }

    /// Copies the messages with these UIDs (missing ones are skipped, as UID COPY does) to
    /// the end of `to`, keeping flags and internal dates (RFC 9051 §6.4.7); returns
    /// (old UID, new UID) pairs in UID order, what COPYUID reports (RFC 4315 §3). All or
    /// nothing: when they do not all fit, none is copied.
    pub fn copy(
        &mut self,
        addr: &str,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Result<Vec<(u32, u32)>, StoreError> {
        self.copy_inner(addr, from, uids, to, false)
    }

    /// Moves messages (RFC 6851): copies them to `to`, then removes them from `from`.
    /// Returns the UID pairs as [`MailStore::copy`] does and the removals in EXPUNGE order.
    /// Within one mailbox a move needs no room, so it works in a full mailbox.
    pub fn move_messages(
        &mut self,
        addr: &str,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Result<(Vec<(u32, u32)>, Vec<Expunged>), StoreError> {
        let pairs = self.copy_inner(addr, from, uids, to, true)?;
        let old: Vec<u32> = pairs.iter().map(|&(o, _)| o).collect();
        let gone = self.remove(addr, from, |m| old.binary_search(&m.uid).is_ok())?;
        Ok((pairs, gone))
    }

    /// Removes every message flagged `\Deleted` (IMAP EXPUNGE and CLOSE, RFC 9051 §6.4.3);
    /// returns them highest sequence number first, ready for `* n EXPUNGE`.
    pub fn expunge(&mut self, addr: &str, folder: &str) -> Result<Vec<Expunged>, StoreError> {
        self.remove(addr, folder, |m| m.flags.contains(Flags::DELETED))
    }

    /// Removes the messages with these UIDs whatever their flags: what POP3 does in the
    /// UPDATE state (RFC 1939 §6). Returns them as [`MailStore::expunge`] does; UIDs that are
    /// not there are skipped. (IMAP's UID EXPUNGE is this, on the `\Deleted` ones of a set.)
    pub fn delete(&mut self, addr: &str, folder: &str, uids: &[u32]) -> Result<Vec<Expunged>, StoreError> {
        let uids = sorted(uids);
        self.remove(addr, folder, |m| uids.binary_search(&m.uid).is_ok())
    }

    /// Claims the folder's recent messages for one session: returns the UIDs of the messages
    /// that arrived since any session last claimed them. They are `\Recent` for that session
    /// only (RFC 3501 §2.3.2). A read-write session calls it when it selects the folder and
    /// after each [`Change::Exists`]; a read-only one (EXAMINE) does not, and reads
    /// [`Folder::recent`] instead.
    pub fn take_recent(&mut self, addr: &str, folder: &str) -> Result<Vec<u32>, StoreError> {
        let f = self.folder_mut(addr, folder)?;
        let recent = f.since(f.recent_from).iter().map(|m| m.uid).collect();
        f.recent_from = f.uid_next;
        Ok(recent)
    }

    // ----- change notifications -----

    /// Starts watching a folder: from now on every change to it is queued for this watcher,
    /// including the changes the watching session makes itself (the session decides whether
    /// to tell its client again; IMAP's STORE `.SILENT` and the responses it already sent
    /// decide that).
    pub fn watch(&mut self, addr: &str, folder: &str) -> Result<WatcherId, StoreError> {
        self.folder(addr, folder)?;
        if self.watchers.len() >= MAX_WATCHERS {
            return Err(StoreError::TooManyWatchers);
        }
        let id = WatcherId(self.next_watcher);
        self.next_watcher += 1;
        self.watchers.insert(
            id,
            Watcher { addr: key(addr), folder: Some(canonical(folder).to_string()), changes: Vec::new() },
        );
        Ok(id)
    }

    /// Takes the changes queued for this watcher, oldest first. Empty for an unknown id.
    pub fn drain(&mut self, watcher: WatcherId) -> Vec<Change> {
        self.watchers.get_mut(&watcher).map(|w| std::mem::take(&mut w.changes)).unwrap_or_default()
    }

    /// The folder this watcher watches now (it follows renames); `None` once the folder was
    /// deleted, or for an unknown id.
    pub fn watching(&self, watcher: WatcherId) -> Option<&str> {
        self.watchers.get(&watcher).and_then(|w| w.folder.as_deref())
    }

    /// Stops watching; pending changes are dropped.
    pub fn unwatch(&mut self, watcher: WatcherId) {
        self.watchers.remove(&watcher);
    }

    // ----- inside -----

    fn new_uid_validity(&mut self) -> Result<u32, StoreError> {
        let v = u32::try_from(self.next_uid_validity).map_err(|_| StoreError::UidValidityExhausted)?;
        self.next_uid_validity += 1;
        Ok(v)
    }

    fn mailbox(&self, addr: &str) -> Result<&Mailbox, StoreError> {
        self.mailboxes.get(&key(addr)).ok_or_else(|| StoreError::NoSuchMailbox { addr: key(addr) })
    }

    fn mailbox_mut(&mut self, addr: &str) -> Result<&mut Mailbox, StoreError> {
        self.mailboxes.get_mut(&key(addr)).ok_or_else(|| StoreError::NoSuchMailbox { addr: key(addr) })
    }

    fn folder_mut(&mut self, addr: &str, name: &str) -> Result<&mut Folder, StoreError> {
        self.mailbox_mut(addr)?
            .folders
            .get_mut(&*canonical(name))
            .ok_or_else(|| StoreError::NoSuchFolder { folder: name.to_string() })
    }

    /// Checks that `count` messages of `size` octets in all fit into `folder`.
    fn check_room(&self, addr: &str, folder: &str, size: u64, count: usize) -> Result<(), StoreError> {
        let mb = self.mailbox(addr)?;
        self.check_uids(addr, folder, count)?;
        if let Some(limit) = mb.quota
            && mb.used.saturating_add(size) > limit
        {
            return Err(StoreError::MailboxFull { addr: key(addr), used: mb.used, limit, size });
        }
        let limits = self.limits;
        if self.used.saturating_add(size) > limits.max_bytes || self.messages + count > limits.max_messages {
            return Err(StoreError::StoreFull { limits });
        }
        Ok(())
    }

    /// Checks that `count` more UIDs can be given out while UIDNEXT stays a 32-bit number.
    fn check_uids(&self, addr: &str, folder: &str, count: usize) -> Result<(), StoreError> {
        let f = self.folder(addr, folder)?;
        if u64::from(f.uid_next) + count as u64 > u64::from(u32::MAX) {
            return Err(StoreError::UidsExhausted { folder: canonical(folder).to_string() });
        }
        Ok(())
    }

    /// Adds `bytes` octets and `count` messages to the totals of `addr` and the store.
    fn account(&mut self, addr: &str, bytes: i64, count: isize) {
        if let Some(mb) = self.mailboxes.get_mut(&key(addr)) {
            mb.used = mb.used.saturating_add_signed(bytes);
        }
        self.used = self.used.saturating_add_signed(bytes);
        self.messages = self.messages.saturating_add_signed(count);
    }

    fn notify(&mut self, addr: &str, folder: &str, changes: impl IntoIterator<Item = Change> + Clone) {
        let k = key(addr);
        let folder = canonical(folder);
        for w in self.watchers.values_mut() {
            if w.addr == k && w.folder.as_deref() == Some(&*folder) {
                for c in changes.clone() {
                    w.push(c);
                }
            }
        }
    }

    fn copy_inner(
        &mut self,
        addr: &str,
        from: &str,
        uids: &[u32],
        to: &str,
        moving: bool,
    ) -> Result<Vec<(u32, u32)>, StoreError> {
        let uids = sorted(uids);
        let originals: Vec<Message> = self
            .folder(addr, from)?
            .messages
            .iter()
            .filter(|m| uids.binary_search(&m.uid).is_ok())
            .cloned()
            .collect();
        self.folder(addr, to)?;
        let size: u64 = originals.iter().map(Message::size).sum();
        if moving {
            self.check_uids(addr, to, originals.len())?;
        } else {
            self.check_room(addr, to, size, originals.len())?;
        }
        if originals.is_empty() {
            return Ok(Vec::new());
        }
        let f = self.folder_mut(addr, to)?;
        let mut pairs = Vec::with_capacity(originals.len());
        for m in originals {
            let uid = f.uid_next;
            f.uid_next += 1;
            pairs.push((m.uid, uid));
            // A copy is the mail program's own message; a move keeps the one delivered.
            f.messages.push(Message { uid, delivered: moving && m.delivered, ..m });
        }
        let exists = f.exists();
        // A move takes this back when it removes the originals.
        self.account(addr, size as i64, pairs.len() as isize);
        self.notify(addr, to, [Change::Exists(exists)]);
        Ok(pairs)
    }

    fn remove(
        &mut self,
        addr: &str,
        folder: &str,
        pred: impl FnMut(&Message) -> bool,
    ) -> Result<Vec<Expunged>, StoreError> {
        let (gone, freed) = remove_where(self.folder_mut(addr, folder)?, pred);
        self.account(addr, -(freed as i64), -(gone.len() as isize));
        self.notify(addr, folder, gone.iter().map(|&e| Change::Expunged(e)).collect::<Vec<_>>());
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOB: &str = "bob@example.net";

    fn store() -> MailStore {
        let mut s = MailStore::new();
        s.create_mailbox("Bob@Example.NET").unwrap();
        s
    }

    /// Delivers messages `m1`, `m2`, ... of 10 octets each into Bob's INBOX.
    fn with_messages(n: u32) -> MailStore {
        let mut s = store();
        for i in 1..=n {
            let uid =
                s.deliver(BOB, format!("message{i:03}").into_bytes(), SimTime::from_secs(i.into())).unwrap();
            assert_eq!(uid, i);
        }
        s
    }

    fn uids(s: &MailStore, folder: &str) -> Vec<u32> {
        s.folder(BOB, folder).unwrap().messages().iter().map(|m| m.uid).collect()
    }

    fn names(s: &MailStore) -> Vec<String> {
        s.folders(BOB).unwrap().into_iter().map(|f| f.name).collect()
    }

    /// A message entry stays 32 bytes on 64-bit hosts (the README's memory figures for
    /// mailroom-serve count on it): the internal date's zone sits beside the UID and flags.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn a_message_entry_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Message>(), 32);
    }

    #[test]
    #[cfg(feature = "imap")]
    fn messages_a_mail_program_filed_are_told_from_deliveries() {
        // (what happens, the inbox and junk counts, the filed count) after each change.
        let mut s = store();
        let filed = |s: &MailStore| s.filed_counts().map(|(_, n)| n).next().unwrap_or(0);
        let counts = |s: &MailStore| {
            let inbox = s.inbox_counts().map(|(_, n)| n).next().unwrap_or(0);
            let junk = s.junk_counts().map(|(_, n)| n).next().unwrap_or(0);
            (inbox, junk, filed(s))
        };
        let cases: [(&str, fn(&mut MailStore), (usize, usize, usize)); 7] = [
            (
                "a delivery",
                |s| {
                    s.deliver(BOB, b"one".to_vec(), SimTime::ZERO).unwrap();
                },
                (1, 0, 0),
            ),
            (
                "an APPEND",
                |s| {
                    s.append(BOB, INBOX, b"two".to_vec(), Flags::NONE, SimTime::ZERO).unwrap();
                },
                (2, 0, 1),
            ),
            (
                "the delivered one expunged",
                |s| {
                    s.delete(BOB, INBOX, &[1]).unwrap();
                },
                (1, 0, 1),
            ),
            (
                "a quarantine",
                |s| {
                    s.deliver_junk(BOB, b"three".to_vec(), SimTime::ZERO).unwrap();
                },
                (1, 1, 1),
            ),
            (
                "moved from Junk to the INBOX",
                |s| {
                    s.move_messages(BOB, "Junk", &[1], INBOX).unwrap();
                },
                (2, 0, 1),
            ),
            (
                "copied within the INBOX",
                |s| {
                    s.copy(BOB, INBOX, &[3], INBOX).unwrap();
                },
                (3, 0, 2),
            ),
            (
                "an APPEND to Sent",
                |s| {
                    s.append(BOB, "Sent", b"four".to_vec(), Flags::NONE, SimTime::ZERO).unwrap();
                },
                (3, 0, 2),
            ),
        ];
        for (what, change, want) in cases {
            change(&mut s);
            assert_eq!(counts(&s), want, "after {what}");
        }
    }

    #[test]
    fn a_new_mailbox_has_inbox_and_the_special_use_folders() {
        let s = store();
        assert!(s.has_mailbox("BOB@example.net"));
        assert_eq!(s.addresses().collect::<Vec<_>>(), [BOB]);
        let got: Vec<(String, Option<&str>, bool)> = s
            .folders(BOB)
            .unwrap()
            .into_iter()
            .map(|f| (f.name, f.special_use.map(SpecialUse::attribute), f.subscribed))
            .collect();
        let want = [
            ("INBOX", None),
            ("Archive", Some("\\Archive")),
            ("Drafts", Some("\\Drafts")),
            ("Junk", Some("\\Junk")),
            ("Sent", Some("\\Sent")),
            ("Trash", Some("\\Trash")),
        ];
        assert_eq!(got, want.map(|(n, a)| (n.to_string(), a, true)));
        // Every folder got its own UIDVALIDITY, none of them 0.
        let mut validities: Vec<u32> =
            want.iter().map(|(n, _)| s.folder(BOB, n).unwrap().uid_validity()).collect();
        validities.sort();
        validities.dedup();
        assert_eq!(validities.len(), 6);
        assert!(!validities.contains(&0));
        for name in ["INBOX", "inbox", "InBoX"] {
            assert_eq!(s.folder(BOB, name).unwrap().uid_next(), 1, "{name}");
        }
        assert_eq!(s.folder(BOB, "sent"), Err(StoreError::NoSuchFolder { folder: "sent".into() }));
        let mut s = s;
        assert_eq!(s.create_mailbox(BOB), Err(StoreError::MailboxExists { addr: BOB.into() }));
    }

    #[test]
    fn folder_names() {
        let long = "x".repeat(MAX_FOLDER_NAME + 1);
        const UTF7: &str = "& begins a run of other letters in modified UTF-7, ended by -; a & itself is &- (RFC 3501 section 5.1.3)";
        let cases: [(&str, Result<&str, &str>); 26] = [
            ("Work", Ok("Work")),
            ("Work/", Ok("Work")),
            ("Work/2026/Q4", Ok("Work/2026/Q4")),
            // 7-bit, other letters in modified UTF-7 (RFC 3501 §5.1, §5.1.3).
            ("&AMk-t&AOk-", Ok("&AMk-t&AOk-")),
            (
                "Été",
                Err(
                    "a folder name is 7-bit, other letters in modified UTF-7: &AOk- for an e acute (RFC 3501 section 5.1)",
                ),
            ),
            ("sent", Ok("sent")), // names other than INBOX are case-sensitive
            ("inbox/Old", Ok("INBOX/Old")),
            ("inbox", Err("exists")),
            ("Sent", Err("exists")),
            ("", Err("it is empty")),
            ("/", Err("it is empty")),
            ("/top", Err("a level between two / is empty")),
            ("a//b", Err("a level between two / is empty")),
            ("a\r\nb", Err("it contains a control character")),
            ("100%", Err("* and % are LIST wildcards (RFC 9051 section 6.3.9)")),
            // Modified UTF-7 (RFC 3501 §5.1.3): its own examples, and runs that are not.
            ("Caf&AOk-", Ok("Caf&AOk-")),
            ("~peter/mail/&U,BTFw-/&ZeVnLIqe-", Ok("~peter/mail/&U,BTFw-/&ZeVnLIqe-")),
            ("Tom &- Jerry", Ok("Tom &- Jerry")),
            ("bad&", Err(UTF7)),
            ("a&b", Err(UTF7)),
            ("&AOk", Err(UTF7)),
            ("&AO=-", Err(UTF7)),
            // Padding bits that are not zero, and a letter that represents itself (A).
            ("&AOl-", Err(UTF7)),
            ("&AEE-", Err(UTF7)),
            // A lone surrogate; a control character (NUL), refused written plainly too.
            ("&2D0-", Err(UTF7)),
            ("&AAA-", Err(UTF7)),
        ];
        for (name, want) in cases {
            let mut s = store();
            let got = s.create_folder(BOB, name);
            match want {
                Ok(stored) => {
                    assert_eq!(got, Ok(()), "{name:?}");
                    assert!(names(&s).contains(&stored.to_string()), "{name:?}");
                    assert!(!s.folder(BOB, stored).unwrap().subscribed());
                }
                Err("exists") => assert!(matches!(got, Err(StoreError::FolderExists { .. })), "{name:?}"),
                Err(reason) => assert_eq!(
                    got,
                    Err(StoreError::BadFolderName { folder: name.trim_end_matches('/').into(), reason }),
                    "{name:?}"
                ),
            }
        }
        let mut s = store();
        assert_eq!(
            s.create_folder(BOB, &long),
            Err(StoreError::BadFolderName { folder: long.clone(), reason: "it is longer than 255 octets" })
        );
    }

    #[test]
    fn create_makes_the_parents_and_list_marks_children() {
        let mut s = store();
        s.create_folder(BOB, "Work/2026/Q4").unwrap();
        s.create_folder(BOB, "inbox/Old").unwrap();
        assert_eq!(
            names(&s),
            [
                "INBOX",
                "Archive",
                "Drafts",
                "INBOX/Old",
                "Junk",
                "Sent",
                "Trash",
                "Work",
                "Work/2026",
                "Work/2026/Q4"
            ]
        );
        let children: Vec<(String, bool)> =
            s.folders(BOB).unwrap().into_iter().map(|f| (f.name, f.has_children)).collect();
        for (name, has) in [("INBOX", true), ("Work", true), ("Work/2026", true), ("Work/2026/Q4", false)] {
            assert!(children.contains(&(name.to_string(), has)), "{name}");
        }
    }

    #[test]
    fn delete_folder() {
        // (folder, result, whether it is there afterwards)
        type Case = (&'static str, Result<(), StoreError>, bool);
        let cases: [Case; 6] = [
            ("INBOX", Err(StoreError::InboxIsPermanent), true),
            ("inbox", Err(StoreError::InboxIsPermanent), true),
            ("Work", Err(StoreError::HasChildren { folder: "Work".into() }), true),
            ("Nowhere", Err(StoreError::NoSuchFolder { folder: "Nowhere".into() }), false),
            ("Work/Old", Ok(()), false),
            ("Trash", Ok(()), false),
        ];
        for (name, want, after) in cases {
            let mut s = store();
            s.create_folder(BOB, "Work/Old").unwrap();
            assert_eq!(s.delete_folder(BOB, name), want, "{name}");
            assert_eq!(s.folder(BOB, name).is_ok(), after, "{name}");
        }
    }

    #[test]
    fn a_folder_made_again_gets_a_new_uidvalidity() {
        let mut s = store();
        s.create_folder(BOB, "Work").unwrap();
        s.append(BOB, "Work", &b"hello"[..], Flags::NONE, SimTime::ZERO).unwrap();
        let old = s.folder(BOB, "Work").unwrap().uid_validity();
        s.delete_folder(BOB, "Work").unwrap();
        assert_eq!(s.quota(BOB).unwrap().used, 0);
        s.create_folder(BOB, "Work").unwrap();
        let f = s.folder(BOB, "Work").unwrap();
        assert_ne!(f.uid_validity(), old);
        assert_eq!(f.uid_next(), 1);
    }

    #[test]
    fn rename_moves_the_children_and_the_watchers() {
        let mut s = store();
        s.create_folder(BOB, "Work/Old").unwrap();
        s.append(BOB, "Work/Old", &b"kept"[..], Flags::SEEN, SimTime::ZERO).unwrap();
        let validity = s.folder(BOB, "Work/Old").unwrap().uid_validity();
        let w = s.watch(BOB, "Work/Old").unwrap();
        s.rename_folder(BOB, "Work", "Archive/2026/Work").unwrap();
        assert_eq!(
            names(&s),
            [
                "INBOX",
                "Archive",
                "Archive/2026",
                "Archive/2026/Work",
                "Archive/2026/Work/Old",
                "Drafts",
                "Junk",
                "Sent",
                "Trash"
            ]
        );
        let f = s.folder(BOB, "Archive/2026/Work/Old").unwrap();
        assert_eq!((f.uid_validity(), f.exists()), (validity, 1));
        assert_eq!(s.drain(w), [Change::Renamed { to: "Archive/2026/Work/Old".into() }]);
        assert_eq!(s.watching(w), Some("Archive/2026/Work/Old"));
        // A change under the new name reaches the watcher.
        s.append(BOB, "Archive/2026/Work/Old", &b"new"[..], Flags::NONE, SimTime::ZERO).unwrap();
        assert_eq!(s.drain(w), [Change::Exists(2)]);
    }

    #[test]
    fn rename_refusals() {
        let cases: [(&str, &str, StoreError); 6] = [
            ("Nowhere", "X", StoreError::NoSuchFolder { folder: "Nowhere".into() }),
            ("Work", "Sent", StoreError::FolderExists { folder: "Sent".into() }),
            ("Work", "Work", StoreError::FolderExists { folder: "Work".into() }),
            ("Work", "inbox", StoreError::FolderExists { folder: "INBOX".into() }),
            (
                "Work",
                "Work/Inner",
                StoreError::BadFolderName {
                    folder: "Work/Inner".into(),
                    reason: "a folder cannot move inside itself",
                },
            ),
            (
                "Work",
                "a//b",
                StoreError::BadFolderName { folder: "a//b".into(), reason: "a level between two / is empty" },
            ),
        ];
        for (from, to, want) in cases {
            let mut s = store();
            s.create_folder(BOB, "Work").unwrap();
            assert_eq!(s.rename_folder(BOB, from, to), Err(want), "{from} -> {to}");
            assert!(s.folder(BOB, "Work").is_ok());
        }
    }

    #[test]
    fn renaming_inbox_moves_its_messages_and_leaves_it_empty() {
        let mut s = with_messages(3);
        s.create_folder(BOB, "INBOX/Sub").unwrap();
        s.set_flags(BOB, "INBOX", 2, FlagOp::Add, Flags::SEEN).unwrap();
        let w = s.watch(BOB, "inbox").unwrap();
        let validity = s.folder(BOB, "INBOX").unwrap().uid_validity();
        s.rename_folder(BOB, "INBOX", "Old mail").unwrap();
        let inbox = s.folder(BOB, "INBOX").unwrap();
        assert_eq!((inbox.exists(), inbox.uid_validity(), inbox.uid_next()), (0, validity, 4));
        let old = s.folder(BOB, "Old mail").unwrap();
        assert_ne!(old.uid_validity(), validity);
        assert_eq!(uids(&s, "Old mail"), [1, 2, 3]);
        assert_eq!(old.by_uid(2).unwrap().1.flags, Flags::SEEN);
        assert!(names(&s).contains(&"INBOX/Sub".to_string()), "INBOX's children stay");
        // INBOX's watchers saw every message leave; INBOX never reuses the UIDs.
        let gone = [(3, 3), (2, 2), (1, 1)].map(|(seq, uid)| Change::Expunged(Expunged { seq, uid }));
        assert_eq!(s.drain(w), gone);
        assert_eq!(s.watching(w), Some("INBOX"));
        assert_eq!(s.deliver(BOB, &b"next"[..], SimTime::ZERO), Ok(4));
        assert_eq!(s.quota(BOB).unwrap().used, 34);
    }

    #[test]
    fn since_finds_the_last_messages_by_uid() {
        let mut s = with_messages(5);
        s.delete(BOB, INBOX, &[2, 4]).unwrap();
        let f = s.folder(BOB, INBOX).unwrap();
        let since = |uid| f.since(uid).iter().map(|m| m.uid).collect::<Vec<_>>();
        assert_eq!(since(0), [1, 3, 5]);
        assert_eq!(since(2), [3, 5]);
        assert_eq!(since(3), [3, 5]);
        assert_eq!(since(5), [5]);
        assert_eq!(since(6), [] as [u32; 0]);
        assert_eq!(f.recent(), 3);
        assert_eq!(s.take_recent(BOB, INBOX), Ok(vec![1, 3, 5]));
        assert_eq!(s.folder(BOB, INBOX).unwrap().recent(), 0);
    }

    #[test]
    fn uids_ascend_and_are_never_reused() {
        let mut s = with_messages(3);
        s.set_flags(BOB, "INBOX", 3, FlagOp::Add, Flags::DELETED).unwrap();
        s.expunge(BOB, "INBOX").unwrap();
        assert_eq!(s.deliver(BOB, &b"x"[..], SimTime::ZERO), Ok(4));
        assert_eq!(uids(&s, "INBOX"), [1, 2, 4]);
        let f = s.folder(BOB, "INBOX").unwrap();
        assert_eq!(f.uid_next(), 5);
        let lookups = [(0, None), (1, Some(1)), (3, None), (4, Some(3)), (u32::MAX, None)];
        for (uid, seq) in lookups {
            assert_eq!(f.by_uid(uid).map(|(seq, _)| seq), seq, "UID {uid}");
        }
        let by_seq = [(0, None), (1, Some(1)), (3, Some(4)), (4, None), (u32::MAX, None)];
        for (seq, uid) in by_seq {
            assert_eq!(f.by_seq(seq).map(|m| m.uid), uid, "seq {seq}");
        }
    }

    #[test]
    fn uidnext_exhaustion_is_an_error() {
        let mut s = store();
        s.mailboxes.get_mut(BOB).unwrap().folders.get_mut(INBOX).unwrap().uid_next = u32::MAX - 1;
        assert_eq!(s.deliver(BOB, &b"last"[..], SimTime::ZERO), Ok(u32::MAX - 1));
        assert_eq!(s.folder(BOB, INBOX).unwrap().uid_next(), u32::MAX);
        assert_eq!(
            s.deliver(BOB, &b"one too many"[..], SimTime::ZERO),
            Err(StoreError::UidsExhausted { folder: "INBOX".into() })
        );
        assert_eq!(
            s.copy(BOB, "INBOX", &[u32::MAX - 1], "INBOX"),
            Err(StoreError::UidsExhausted { folder: "INBOX".into() })
        );
        assert_eq!(s.folder(BOB, INBOX).unwrap().exists(), 1);
    }

    #[test]
    fn uidvalidity_exhaustion_is_an_error() {
        let mut s = store();
        s.next_uid_validity = u32::MAX.into();
        assert_eq!(s.create_folder(BOB, "Last"), Ok(()));
        assert_eq!(s.create_folder(BOB, "Next"), Err(StoreError::UidValidityExhausted));
        assert_eq!(s.create_mailbox("carol@example.net"), Err(StoreError::UidValidityExhausted));
    }

    #[test]
    fn flags() {
        let cases = [
            (FlagOp::Add, Flags::SEEN, Flags::SEEN | Flags::FLAGGED, "\\Seen \\Flagged"),
            (
                FlagOp::Add,
                Flags::DELETED | Flags::DRAFT,
                Flags::FLAGGED | Flags::DELETED | Flags::DRAFT,
                "\\Flagged \\Deleted \\Draft",
            ),
            (FlagOp::Remove, Flags::FLAGGED | Flags::SEEN, Flags::NONE, ""),
            (FlagOp::Replace, Flags::ANSWERED, Flags::ANSWERED, "\\Answered"),
            (FlagOp::Replace, Flags::NONE, Flags::NONE, ""),
        ];
        for (op, arg, want, shown) in cases {
            let mut s = store();
            s.append(BOB, "INBOX", &b"x"[..], Flags::FLAGGED, SimTime::ZERO).unwrap();
            assert_eq!(s.set_flags(BOB, "INBOX", 1, op, arg), Ok(want), "{op:?} {arg}");
            assert_eq!(s.folder(BOB, "INBOX").unwrap().by_uid(1).unwrap().1.flags, want);
            assert_eq!(want.to_string(), shown);
        }
        for (name, want) in [
            ("\\Seen", Some(Flags::SEEN)),
            ("\\DELETED", Some(Flags::DELETED)),
            ("\\Recent", None),
            ("Seen", None),
        ] {
            assert_eq!(Flags::parse(name), want, "{name}");
        }
        let mut s = with_messages(1);
        assert_eq!(
            s.set_flags(BOB, "INBOX", 0, FlagOp::Add, Flags::SEEN),
            Err(StoreError::NoSuchMessage { uid: 0 })
        );
        assert_eq!(
            s.set_flags(BOB, "INBOX", 2, FlagOp::Add, Flags::SEEN),
            Err(StoreError::NoSuchMessage { uid: 2 })
        );
    }

    /// Applies `* n EXPUNGE` responses to a client's list of UIDs, as a client does.
    fn client_applies(mut view: Vec<u32>, gone: &[Expunged]) -> Vec<u32> {
        for e in gone {
            assert_eq!(view[e.seq as usize - 1], e.uid, "{e:?} names the message at that number");
            view.remove(e.seq as usize - 1);
        }
        view
    }

    #[test]
    fn expunge_reports_sequence_numbers_highest_first() {
        // (messages flagged \Deleted, the responses, the UIDs left)
        let cases: [(&[u32], &[(u32, u32)], &[u32]); 5] = [
            (&[1, 3], &[(3, 3), (1, 1)], &[2, 4, 5]),
            (&[], &[], &[1, 2, 3, 4, 5]),
            (&[1, 2, 3, 4, 5], &[(5, 5), (4, 4), (3, 3), (2, 2), (1, 1)], &[]),
            (&[2, 3, 5], &[(5, 5), (3, 3), (2, 2)], &[1, 4]),
            (&[4], &[(4, 4)], &[1, 2, 3, 5]),
        ];
        for (deleted, want, left) in cases {
            let mut s = with_messages(5);
            let w = s.watch(BOB, "INBOX").unwrap();
            for &uid in deleted {
                s.set_flags(BOB, "INBOX", uid, FlagOp::Add, Flags::DELETED).unwrap();
            }
            s.drain(w);
            let gone = s.expunge(BOB, "INBOX").unwrap();
            let want: Vec<Expunged> = want.iter().map(|&(seq, uid)| Expunged { seq, uid }).collect();
            assert_eq!(gone, want, "{deleted:?}");
            assert_eq!(client_applies(vec![1, 2, 3, 4, 5], &gone), left);
            assert_eq!(uids(&s, "INBOX"), left);
            assert_eq!(s.drain(w), want.iter().map(|&e| Change::Expunged(e)).collect::<Vec<_>>());
            assert_eq!(s.quota(BOB).unwrap().used, 10 * left.len() as u64);
            assert_eq!(s.used(), 10 * left.len() as u64);
        }
    }

    #[test]
    fn pop3_update_deletes_by_uid_whatever_the_flags() {
        let mut s = with_messages(4);
        s.lock(BOB, SessionKey(7)).unwrap();
        let gone = s.delete(BOB, "INBOX", &[4, 0, 2, 99]).unwrap();
        assert_eq!(gone, [Expunged { seq: 4, uid: 4 }, Expunged { seq: 2, uid: 2 }]);
        assert_eq!(uids(&s, "INBOX"), [1, 3]);
        assert_eq!(s.delete(BOB, "INBOX", &[]), Ok(Vec::new()));
        assert!(s.unlock(BOB, SessionKey(7)));
    }

    #[test]
    fn copy_and_move_give_new_uids_in_the_target() {
        let mut s = with_messages(3);
        s.set_flags(BOB, "INBOX", 2, FlagOp::Add, Flags::FLAGGED).unwrap();
        let trash = s.watch(BOB, "Trash").unwrap();
        let inbox = s.watch(BOB, "INBOX").unwrap();
        s.drain(inbox);

        assert_eq!(s.copy(BOB, "INBOX", &[3, 2, 42], "Trash"), Ok(vec![(2, 1), (3, 2)]));
        let copy = s.folder(BOB, "Trash").unwrap().by_uid(1).unwrap().1;
        let original = s.folder(BOB, "INBOX").unwrap().by_uid(2).unwrap().1;
        assert_eq!((copy.flags, copy.internal_date()), (Flags::FLAGGED, original.internal_date()));
        assert!(Rc::ptr_eq(&copy.bytes, &original.bytes), "a copy shares the bytes");
        assert_eq!(s.quota(BOB).unwrap().used, 50);

        let (pairs, gone) = s.move_messages(BOB, "INBOX", &[1, 3], "Trash").unwrap();
        assert_eq!(pairs, [(1, 3), (3, 4)]);
        assert_eq!(gone, [Expunged { seq: 3, uid: 3 }, Expunged { seq: 1, uid: 1 }]);
        assert_eq!(uids(&s, "INBOX"), [2]);
        assert_eq!(uids(&s, "Trash"), [1, 2, 3, 4]);
        assert_eq!(s.quota(BOB).unwrap().used, 50, "a move takes no room");
        assert_eq!(s.drain(trash), [Change::Exists(2), Change::Exists(4)]);
        assert_eq!(s.drain(inbox), gone.into_iter().map(Change::Expunged).collect::<Vec<_>>());

        assert_eq!(s.copy(BOB, "INBOX", &[99], "Trash"), Ok(Vec::new()));
        assert_eq!(s.drain(trash), [], "nothing copied, nothing to say");
        assert_eq!(
            s.copy(BOB, "INBOX", &[2], "Nowhere"),
            Err(StoreError::NoSuchFolder { folder: "Nowhere".into() })
        );
        assert_eq!(
            s.move_messages(BOB, "Nowhere", &[2], "Trash"),
            Err(StoreError::NoSuchFolder { folder: "Nowhere".into() })
        );
    }

    #[test]
    fn quota() {
        // (limit, sizes delivered one after the other, the results)
        type Case = (Option<u64>, &'static [u64], &'static [Result<u32, (u64, u64)>]);
        let cases: [Case; 5] = [
            (None, &[100, 100], &[Ok(1), Ok(2)]),
            (Some(150), &[100, 50, 1], &[Ok(1), Ok(2), Err((150, 1))]),
            (Some(150), &[100, 51, 50], &[Ok(1), Err((100, 51)), Ok(2)]),
            (Some(0), &[1, 0], &[Err((0, 1)), Ok(1)]),
            (Some(10), &[11], &[Err((0, 11))]),
        ];
        for (limit, sizes, want) in cases {
            let mut s = store();
            s.set_quota(BOB, limit).unwrap();
            for (&size, want) in sizes.iter().zip(want) {
                let want = want.map_err(|(used, size)| StoreError::MailboxFull {
                    addr: BOB.into(),
                    used,
                    limit: limit.unwrap_or(0),
                    size,
                });
                assert_eq!(
                    &s.deliver(BOB, vec![b'x'; size as usize], SimTime::ZERO),
                    &want,
                    "{limit:?} {sizes:?}"
                );
            }
        }
        // A limit below what is stored: full, but moving and deleting still work.
        let mut s = with_messages(2);
        s.set_quota(BOB, Some(5)).unwrap();
        assert_eq!(s.quota(BOB), Ok(Quota { used: 20, limit: Some(5) }));
        assert!(matches!(s.copy(BOB, "INBOX", &[1], "Archive"), Err(StoreError::MailboxFull { .. })));
        assert!(matches!(
            s.append(BOB, "Drafts", &b"draft"[..], Flags::DRAFT, SimTime::ZERO),
            Err(StoreError::MailboxFull { .. })
        ));
        assert_eq!(s.move_messages(BOB, "INBOX", &[1], "Archive").map(|(p, _)| p), Ok(vec![(1, 1)]));
        assert_eq!(s.delete(BOB, "INBOX", &[2]).map(|g| g.len()), Ok(1));
        assert_eq!(s.quota(BOB), Ok(Quota { used: 10, limit: Some(5) }));
        assert_eq!(uids(&s, "INBOX"), [] as [u32; 0]);
    }

    #[test]
    fn the_store_has_a_ceiling() {
        let limits = StoreLimits { max_bytes: 100, max_messages: 3 };
        let full = StoreError::StoreFull { limits };
        let mut s = MailStore::with_limits(limits);
        s.create_mailbox(BOB).unwrap();
        s.create_mailbox("carol@example.net").unwrap();
        assert_eq!(s.deliver(BOB, vec![0; 60], SimTime::ZERO), Ok(1));
        assert_eq!(s.deliver("carol@example.net", vec![0; 41], SimTime::ZERO), Err(full.clone()));
        assert_eq!(s.deliver("carol@example.net", vec![0; 40], SimTime::ZERO), Ok(1));
        assert_eq!(s.copy(BOB, "INBOX", &[1], "Archive"), Err(full.clone()), "copies count");
        assert_eq!(s.used(), 100);
        assert_eq!(s.append(BOB, "Drafts", Vec::new(), Flags::DRAFT, SimTime::ZERO), Ok(1));
        assert_eq!(s.message_count(), 3, "every folder counts");
        assert_eq!(s.deliver(BOB, Vec::new(), SimTime::ZERO), Err(full), "empty messages count");
        assert!(s.delete(BOB, "Drafts", &[1]).is_ok());
        assert_eq!(s.message_count(), 2);
        assert_eq!(s.deliver(BOB, Vec::new(), SimTime::ZERO), Ok(2));
        assert_eq!(MailStore::new().limits(), StoreLimits::BROWSER);
    }

    #[test]
    fn too_many_folders() {
        let mut s = store();
        for i in 6..MAX_FOLDERS {
            s.create_folder(BOB, &format!("f{i}")).unwrap();
        }
        assert_eq!(s.create_folder(BOB, "one more"), Err(StoreError::TooManyFolders));
        assert_eq!(s.rename_folder(BOB, "f6", "new/parent"), Err(StoreError::TooManyFolders));
        assert_eq!(s.rename_folder(BOB, "INBOX", "old"), Err(StoreError::TooManyFolders));
        assert_eq!(s.rename_folder(BOB, "f6", "g6"), Ok(()));
    }

    #[test]
    fn recent_belongs_to_the_first_session_that_claims_it() {
        let mut s = with_messages(2);
        assert_eq!(s.folder(BOB, "INBOX").unwrap().recent(), 2);
        // Session A selects INBOX read-write: both are recent for it.
        assert_eq!(s.take_recent(BOB, "INBOX"), Ok(vec![1, 2]));
        // Session B selects next: nothing is recent for it.
        assert_eq!(s.take_recent(BOB, "inbox"), Ok(vec![]));
        assert_eq!(s.folder(BOB, "INBOX").unwrap().recent(), 0);
        // New mail: recent for whichever session claims it first, once.
        s.deliver(BOB, &b"3"[..], SimTime::ZERO).unwrap();
        s.copy(BOB, "INBOX", &[1], "INBOX").unwrap();
        assert_eq!(s.folder(BOB, "INBOX").unwrap().recent(), 2);
        assert_eq!(s.take_recent(BOB, "INBOX"), Ok(vec![3, 4]));
        assert_eq!(s.take_recent(BOB, "INBOX"), Ok(vec![]));
        // Claims are per folder.
        assert_eq!(s.take_recent(BOB, "Trash"), Ok(vec![]));
    }

    #[test]
    fn the_pop3_lock() {
        let (a, b) = (SessionKey(1), SessionKey(2));
        let mut s = store();
        assert_eq!(s.locked_by(BOB), None);
        assert_eq!(s.lock(BOB, a), Ok(()));
        assert_eq!(s.lock("BOB@example.net", a), Ok(()), "the holder may ask again");
        assert_eq!(s.lock(BOB, b), Err(StoreError::Locked { addr: BOB.into() }));
        assert!(!s.unlock(BOB, b), "only the holder unlocks");
        assert_eq!(s.locked_by(BOB), Some(a));
        assert_eq!(s.deliver(BOB, &b"still delivered"[..], SimTime::ZERO), Ok(1), "the lock is advisory");
        assert!(s.unlock(BOB, a));
        assert_eq!(s.lock(BOB, b), Ok(()));
        assert_eq!(
            s.lock("nobody@example.net", a),
            Err(StoreError::NoSuchMailbox { addr: "nobody@example.net".into() })
        );
        assert!(!s.unlock("nobody@example.net", a));
    }

    #[test]
    fn every_watcher_of_a_folder_gets_every_change_in_order() {
        let mut s = with_messages(1);
        s.create_mailbox("carol@example.net").unwrap();
        let a = s.watch(BOB, "INBOX").unwrap();
        let b = s.watch(BOB, "inbox").unwrap();
        let sent = s.watch(BOB, "Sent").unwrap();
        let carol = s.watch("carol@example.net", "INBOX").unwrap();
        s.deliver(BOB, &b"second"[..], SimTime::ZERO).unwrap();
        s.set_flags(BOB, "INBOX", 1, FlagOp::Add, Flags::DELETED).unwrap();
        s.set_flags(BOB, "INBOX", 1, FlagOp::Add, Flags::DELETED).unwrap(); // no change, no news
        s.expunge(BOB, "INBOX").unwrap();
        let want = [
            Change::Exists(2),
            Change::Flags { uid: 1, flags: Flags::DELETED },
            Change::Expunged(Expunged { seq: 1, uid: 1 }),
        ];
        assert_eq!(s.drain(a), want);
        assert_eq!(s.drain(a), []);
        assert_eq!(s.drain(b), want);
        assert_eq!(s.drain(sent), []);
        assert_eq!(s.drain(carol), []);
        s.unwatch(b);
        s.deliver(BOB, &b"third"[..], SimTime::ZERO).unwrap();
        assert_eq!(s.drain(a), [Change::Exists(2)]);
        assert_eq!(s.drain(b), [], "unwatched");
        assert_eq!(s.watching(b), None);
    }

    #[test]
    fn a_deleted_folder_tells_its_watchers_and_stays_silent() {
        let mut s = store();
        s.create_folder(BOB, "Work").unwrap();
        let w = s.watch(BOB, "Work").unwrap();
        s.delete_folder(BOB, "Work").unwrap();
        assert_eq!(s.drain(w), [Change::Deleted]);
        assert_eq!(s.watching(w), None);
        s.create_folder(BOB, "Work").unwrap();
        s.append(BOB, "Work", &b"x"[..], Flags::NONE, SimTime::ZERO).unwrap();
        assert_eq!(s.drain(w), [], "a new folder of the same name is another folder");
    }

    #[test]
    fn a_queue_that_is_not_drained_collapses_to_resync() {
        let mut s = store();
        let w = s.watch(BOB, "INBOX").unwrap();
        for _ in 0..MAX_PENDING_CHANGES {
            s.deliver(BOB, Vec::new(), SimTime::ZERO).unwrap();
        }
        assert_eq!(s.watchers.get(&w).unwrap().changes.len(), MAX_PENDING_CHANGES);
        s.deliver(BOB, Vec::new(), SimTime::ZERO).unwrap();
        s.deliver(BOB, Vec::new(), SimTime::ZERO).unwrap();
        assert_eq!(s.drain(w), [Change::Resync]);
        s.deliver(BOB, Vec::new(), SimTime::ZERO).unwrap();
        assert_eq!(s.drain(w), [Change::Exists(MAX_PENDING_CHANGES as u32 + 3)], "drained, it starts again");
    }

    #[test]
    fn watchers_are_bounded() {
        let mut s = store();
        let first = s.watch(BOB, "INBOX").unwrap();
        for _ in 1..MAX_WATCHERS {
            s.watch(BOB, "INBOX").unwrap();
        }
        assert_eq!(s.watch(BOB, "INBOX"), Err(StoreError::TooManyWatchers));
        s.unwatch(first);
        assert!(s.watch(BOB, "INBOX").is_ok_and(|w| w != first), "ids are never reused");
    }

    #[test]
    fn unknown_mailboxes_folders_and_watchers_are_errors_not_panics() {
        let nobody = || StoreError::NoSuchMailbox { addr: "nobody@example.net".into() };
        let nowhere = || StoreError::NoSuchFolder { folder: "Nowhere".into() };
        let mut s = with_messages(1);
        let who = "Nobody@example.net";
        assert_eq!(s.deliver(who, &b"x"[..], SimTime::ZERO), Err(nobody()));
        assert_eq!(s.folders(who), Err(nobody()));
        assert_eq!(s.folder(who, "INBOX"), Err(nobody()));
        assert_eq!(s.create_folder(who, "X"), Err(nobody()));
        assert_eq!(s.delete_folder(who, "X"), Err(nobody()));
        assert_eq!(s.rename_folder(who, "X", "Y"), Err(nobody()));
        assert_eq!(s.set_quota(who, Some(1)), Err(nobody()));
        assert_eq!(s.quota(who), Err(nobody()));
        assert_eq!(s.expunge(who, "INBOX"), Err(nobody()));
        assert_eq!(s.take_recent(who, "INBOX"), Err(nobody()));
        assert_eq!(s.watch(who, "INBOX"), Err(nobody()));
        assert_eq!(s.append(BOB, "Nowhere", &b"x"[..], Flags::NONE, SimTime::ZERO), Err(nowhere()));
        assert_eq!(s.set_flags(BOB, "Nowhere", 1, FlagOp::Add, Flags::SEEN), Err(nowhere()));
        assert_eq!(s.expunge(BOB, "Nowhere"), Err(nowhere()));
        assert_eq!(s.delete(BOB, "Nowhere", &[1]), Err(nowhere()));
        assert_eq!(s.take_recent(BOB, "Nowhere"), Err(nowhere()));
        assert_eq!(s.set_subscribed(BOB, "Nowhere", true), Err(nowhere()));
        assert_eq!(s.set_special_use(BOB, "Nowhere", None), Err(nowhere()));
        assert_eq!(s.watch(BOB, "Nowhere"), Err(nowhere()));
        assert_eq!(s.drain(WatcherId(999)), []);
        assert_eq!(s.watching(WatcherId(999)), None);
        s.unwatch(WatcherId(999));
        assert_eq!(s.used(), 10, "nothing changed");
    }

    #[test]
    fn subscriptions_and_special_use() {
        let mut s = store();
        s.create_folder(BOB, "Bin").unwrap();
        s.set_subscribed(BOB, "Bin", true).unwrap();
        s.set_special_use(BOB, "Bin", Some(SpecialUse::Trash)).unwrap();
        s.set_special_use(BOB, "Trash", None).unwrap();
        s.set_subscribed(BOB, "Trash", false).unwrap();
        let bin = s.folder(BOB, "Bin").unwrap();
        assert_eq!((bin.subscribed(), bin.special_use()), (true, Some(SpecialUse::Trash)));
        let trash = s.folder(BOB, "Trash").unwrap();
        assert_eq!((trash.subscribed(), trash.special_use()), (false, None));
        s.rename_folder(BOB, "Bin", "Rubbish").unwrap();
        let rubbish = s.folder(BOB, "Rubbish").unwrap();
        assert_eq!(
            (rubbish.subscribed(), rubbish.special_use()),
            (true, Some(SpecialUse::Trash)),
            "kept on rename"
        );
    }

    #[test]
    fn errors_teach() {
        let cases = [
            (
                StoreError::MailboxFull { addr: BOB.into(), used: 900, limit: 1000, size: 200 },
                "the mailbox of bob@example.net is full: 900 of 1000 octets used, a message of 200 octets \
                 does not fit (RFC 3463 section 3.3: X.2.2 mailbox full)",
            ),
            (
                StoreError::NoSuchMessage { uid: 0 },
                "UID 0 names no message: UIDs start at 1 (RFC 3501 section 2.3.1.1)",
            ),
            (
                StoreError::InboxIsPermanent,
                "INBOX cannot be deleted: every mailbox has one (RFC 3501 section 6.3.4)",
            ),
            (
                StoreError::Locked { addr: BOB.into() },
                "the mailbox of bob@example.net is in use by another session: only one may hold the maildrop \
                 at a time (RFC 1939 section 4, [IN-USE] RFC 2449 section 8.1.2)",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn messages_report_their_size_and_date() {
        let mut s = store();
        let at = SimTime::from_millis(1_500);
        s.append(BOB, "Drafts", &b"Subject: hi\r\n\r\nHello\r\n"[..], Flags::DRAFT | Flags::SEEN, at)
            .unwrap();
        let f = s.folder(BOB, "drafts");
        assert!(f.is_err(), "only INBOX ignores case");
        let f = s.folder(BOB, "Drafts").unwrap();
        let m = f.by_seq(1).unwrap();
        assert_eq!(
            (m.uid, m.size(), m.internal_date(), m.flags),
            (1, 22, at.into(), Flags::DRAFT | Flags::SEEN)
        );
        assert_eq!((f.exists(), f.unseen(), f.size()), (1, 0, 22));
    }
}
