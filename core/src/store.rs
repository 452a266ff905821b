//! The mail store: the mailboxes of one mail host, shared by all its services.
//!
//! SMTP delivers into it ([`MailStore::deliver`]); a POP3 session locks a mailbox and reads
//! its INBOX as the maildrop ([`MailStore::lock`], [`MailStore::delete`] in the UPDATE state);
//! IMAP sessions open folders, set flags, copy, move and expunge, and learn what other
//! sessions did from [`MailStore::drain`]. A World owns one `MailStore` per mail host.
//!
//! It is plain data and methods: no I/O, no clock (dates are [`SimTime`]s passed in), no
//! randomness, `BTreeMap`s so that every listing comes out in the same order on every run.
//! Every operation checks its input and answers with a [`StoreError`] rather than panicking.
//!
//! What it keeps, and the rules it follows:
//! - A **mailbox** per address (compared lower-cased, as `world.rs` does; RFC 5321 §2.4 lets
//!   the receiving host decide), with **folders**. `INBOX` always exists and its name is
//!   case-insensitive; other names are case-sensitive, levels separated by `/`
//!   (RFC 3501 §5.1, RFC 9051 §5.1). A new mailbox gets INBOX plus Sent, Drafts, Trash, Junk
//!   and Archive, marked with their special-use attributes (RFC 6154 §2).
//! - Folder operations as IMAP defines them: CREATE makes missing parents (RFC 3501 §6.3.3);
//!   DELETE refuses INBOX and a folder with children (RFC 9051 §6.3.4, `[HASCHILDREN]`);
//!   RENAME moves the children along, and renaming INBOX moves its messages into a new folder
//!   and leaves INBOX empty (RFC 3501 §6.3.5).
//! - Each **message** has a UID, strictly ascending in its folder and never reused within
//!   one UIDVALIDITY (RFC 3501 §2.3.1.1); flags (§2.3.2); an internal date (§2.3.3); a size in
//!   octets (§2.3.4); and its bytes as an `Rc<[u8]>`, so a session holds a message without
//!   copying it (the core is single-threaded, so `Rc` rather than `Arc`). Sequence numbers
//!   are positions: the n-th message of a folder has sequence number n (§2.3.1.2).
//! - UIDVALIDITY comes from a store-wide counter, never from a clock: a folder created again
//!   under an old name gets a new value, which is all RFC 3501 §2.3.1.1 asks.
//! - `\Recent` the RFC 3501 way (§2.3.2): a message is recent for the first session that
//!   claims it with [`MailStore::take_recent`], and for no other. (RFC 9051 dropped `\Recent`;
//!   IMAP4rev1 clients still ask for it.)
//! - A **quota** per mailbox and a store-wide ceiling: delivery over either fails with
//!   [`StoreError::MailboxFull`] or [`StoreError::StoreFull`], which an SMTP server turns
//!   into `452 4.2.2` / `552 5.2.2` (RFC 3463 §3.3) or `452 4.3.1` (RFC 3463 §3.4).
//! - An exclusive **lock** per mailbox for POP3 (RFC 1939 §8; refused as `[IN-USE]`,
//!   RFC 2449 §8.1.2). It is advisory: SMTP still delivers into a locked mailbox.
//! - **Change notifications** per open folder, for IMAP's untagged EXISTS, EXPUNGE and FETCH
//!   responses and for IDLE (RFC 9051 §7.5, RFC 2177), bounded per watcher.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use crate::time::SimTime;

/// The most octets of mail one store holds, over all its mailboxes (64 MiB). Our own
/// choice: the whole World runs inside one browser tab; no lesson comes near it, and a
/// sandbox that mails in a loop hits it long before the tab runs out of memory.
pub const MAX_STORE_BYTES: u64 = 64 * 1024 * 1024;

/// The most messages one store holds, over all its mailboxes. Our own choice: keeps a store
/// of empty messages bounded too (each message costs some bookkeeping besides its bytes).
pub const MAX_MESSAGES: usize = 65_536;

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

/// One stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Unique within its folder and UIDVALIDITY (RFC 3501 §2.3.1.1).
    pub uid: u32,
    pub flags: Flags,
    /// When the message arrived: delivery, APPEND or the original's date for COPY (§2.3.3).
    pub internal_date: SimTime,
    /// The message exactly as stored, shared rather than copied.
    pub bytes: Rc<[u8]>,
}

impl Message {
    /// RFC822.SIZE: the number of octets (RFC 3501 §2.3.4).
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
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
        self.messages.iter().filter(|m| m.uid >= self.recent_from).count() as u32
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
    /// The folder was deleted; the watcher sees nothing more (IMAP servers end the session
    /// with `* BYE` or `* NO`, RFC 9051 §6.3.4).
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
    /// DELETE of a folder with children (RFC 9051 §6.3.4: `NO [HASCHILDREN]`).
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
    /// Over [`MAX_STORE_BYTES`] or [`MAX_MESSAGES`]: the server itself is out of room, SMTP
    /// `452 4.3.1` (RFC 3463 §3.4, RFC 5321 §4.5.3.1.10).
    StoreFull,
    /// UIDNEXT would pass 2^32 - 1 (RFC 3501 §2.3.1.1).
    UidsExhausted {
        folder: String,
    },
    /// The store-wide UIDVALIDITY counter reached 2^32 - 1.
    UidValidityExhausted,
    /// Another session holds the mailbox (RFC 1939 §8; POP3 `-ERR [IN-USE]`, RFC 2449 §8.1.2).
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
                f.write_str("INBOX cannot be deleted: every mailbox has one (RFC 3501 §6.3.4)")
            }
            StoreError::HasChildren { folder } => write!(
                f,
                "\"{folder}\" has folders inside it: delete those first (RFC 9051 §6.3.4, [HASCHILDREN])"
            ),
            StoreError::TooManyFolders => {
                write!(f, "a mailbox holds at most {MAX_FOLDERS} folders on this server")
            }
            StoreError::NoSuchMessage { uid: 0 } => {
                f.write_str("UID 0 names no message: UIDs start at 1 (RFC 3501 §2.3.1.1)")
            }
            StoreError::NoSuchMessage { uid } => write!(f, "no message has UID {uid} in this folder"),
            StoreError::MailboxFull { addr, used, limit, size } => write!(
                f,
                "the mailbox of {addr} is full: {used} of {limit} octets used, \
                 a message of {size} octets does not fit (RFC 3463 §3.3: X.2.2 mailbox full)"
            ),
            StoreError::StoreFull => write!(
                f,
                "this server is out of room for mail (at most {MAX_STORE_BYTES} octets and \
                 {MAX_MESSAGES} messages; RFC 3463 §3.4: 4.3.1 mail system full)"
            ),
            StoreError::UidsExhausted { folder } => write!(
                f,
                "\"{folder}\" has used every UID up to 2^32 - 1; a server would have to start over \
                 with a new UIDVALIDITY (RFC 3501 §2.3.1.1)"
            ),
            StoreError::UidValidityExhausted => {
                f.write_str("this server has handed out every UIDVALIDITY value up to 2^32 - 1")
            }
            StoreError::Locked { addr } => write!(
                f,
                "the mailbox of {addr} is in use by another session: only one may hold the \
                 maildrop at a time (RFC 1939 §8, [IN-USE] RFC 2449 §8.1.2)"
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
    folders: BTreeMap<String, Folder>,
    quota: Option<u64>,
    used: u64,
    lock: Option<SessionKey>,
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
    mailboxes: BTreeMap<String, Mailbox>,
    watchers: BTreeMap<WatcherId, Watcher>,
    /// The UIDVALIDITY the next folder gets.
    next_uid_validity: u32,
    next_watcher: u64,
    used: u64,
    messages: usize,
    max_bytes: u64,
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
    } else if name.contains(['*', '%']) {
        Some("* and % are LIST wildcards (RFC 9051 §6.3.9)")
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

/// The names of the levels above `name`, outermost first: `a/b/c` gives `a`, `a/b`.
fn parents(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices(SEPARATOR).map(move |(i, _)| &name[..i])
}

/// True when `name` is `parent` or inside it.
fn within(name: &str, parent: &str) -> bool {
    name == parent || name.strip_prefix(parent).is_some_and(|rest| rest.starts_with(SEPARATOR))
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
    pub fn new() -> MailStore {
        MailStore {
            mailboxes: BTreeMap::new(),
            watchers: BTreeMap::new(),
            next_uid_validity: 1,
            next_watcher: 1,
            used: 0,
            messages: 0,
            max_bytes: MAX_STORE_BYTES,
        }
    }

    // ----- mailboxes -----

    /// Creates the mailbox of `addr` with INBOX and the [`DEFAULT_FOLDERS`], all subscribed.
    pub fn create_mailbox(&mut self, addr: &str) -> Result<(), StoreError> {
        let k = key(addr);
        if self.mailboxes.contains_key(&k) {
            return Err(StoreError::MailboxExists { addr: k });
        }
        let mut folders = BTreeMap::new();
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

    // ----- the POP3 lock -----

    /// Takes the exclusive lock on the mailbox for `holder` (RFC 1939 §8). Taking it again
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

    /// Deletes a folder and its messages (RFC 9051 §6.3.4): never INBOX, never a folder with
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
        let Some(folder) = mb.folders.remove(name) else {
            return Err(StoreError::NoSuchFolder { folder: name.to_string() });
        };
        let size = folder.size();
        mb.used -= size;
        self.used -= size;
        self.messages -= folder.messages.len();
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
    /// (RFC 3501 §6.3.5). Watchers follow and get [`Change::Renamed`].
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
        self.append(addr, INBOX, bytes, Flags::NONE, now)
    }

    /// Adds a message to a folder (delivery, or IMAP APPEND, RFC 9051 §6.3.12); returns its
    /// UID. Watchers get [`Change::Exists`]. Fails when the mailbox or the store is full.
    pub fn append(
        &mut self,
        addr: &str,
        folder: &str,
        bytes: impl Into<Rc<[u8]>>,
        flags: Flags,
        internal_date: SimTime,
    ) -> Result<u32, StoreError> {
        let bytes = bytes.into();
        let size = bytes.len() as u64;
        self.check_room(addr, folder, size, 1)?;
        let f = self.folder_mut(addr, folder)?;
        let uid = f.uid_next;
        f.uid_next += 1;
        f.messages.push(Message { uid, flags, internal_date, bytes });
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
        self.remove(addr, folder, |m| uids.contains(&m.uid))
    }

    /// Claims the folder's recent messages for one session: returns the UIDs of the messages
    /// that arrived since any session last claimed them. They are `\Recent` for that session
    /// only (RFC 3501 §2.3.2). A read-write session calls it when it selects the folder and
    /// after each [`Change::Exists`]; a read-only one (EXAMINE) does not, and reads
    /// [`Folder::recent`] instead.
    pub fn take_recent(&mut self, addr: &str, folder: &str) -> Result<Vec<u32>, StoreError> {
        let f = self.folder_mut(addr, folder)?;
        let recent = f.messages.iter().filter(|m| m.uid >= f.recent_from).map(|m| m.uid).collect();
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
        let v = self.next_uid_validity;
        self.next_uid_validity = v.checked_add(1).ok_or(StoreError::UidValidityExhausted)?;
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
        if let Some(limit) = mb.quota {
            if mb.used.saturating_add(size) > limit {
                return Err(StoreError::MailboxFull { addr: key(addr), used: mb.used, limit, size });
            }
        }
        if self.used.saturating_add(size) > self.max_bytes || self.messages + count > MAX_MESSAGES {
            return Err(StoreError::StoreFull);
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
        let originals: Vec<Message> =
            self.folder(addr, from)?.messages.iter().filter(|m| uids.contains(&m.uid)).cloned().collect();
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
            f.messages.push(Message { uid, ..m });
        }
        let exists = f.exists();
        if !moving {
            self.account(addr, size as i64, pairs.len() as isize);
        }
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
