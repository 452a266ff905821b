//! The Trace: everything that happened in a World, in one total order.
//!
//! The UI is a view over (trace, cursor, settings): stepping back is moving the cursor,
//! so every event carries what the view needs to draw that moment exactly: the bytes on
//! the wire and a snapshot of every host's state after the event.

use std::fmt;
#[cfg(any(feature = "pop3", feature = "imap"))]
use std::rc::Rc;

use crate::session::{SessionState, Side};
use crate::time::SimTime;

/// Index of a host in [`Trace::hosts`].
pub type HostId = usize;

/// A connection of the World: its index in [`Trace::conns`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub usize);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection {}", self.0 + 1)
    }
}

/// Which protocol an event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Smtp,
    Pop3,
    Imap,
    Dns,
    /// Inside one host: filing a message into a mailbox, queueing, notes.
    Local,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "SMTP",
            Protocol::Pop3 => "POP3",
            Protocol::Imap => "IMAP",
            Protocol::Dns => "DNS",
            Protocol::Local => "local",
        }
    }
}

/// The status a server's response carries, in each protocol's own form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// SMTP: three digits and an optional enhanced status code (RFC 5321 §4.2, RFC 3463).
    Smtp { code: u16, enhanced: Option<String> },
    /// POP3: `+OK` or `-ERR`, with an optional response code such as `IN-USE`
    /// (RFC 1939 §3, RFC 2449 §8).
    Pop3 { ok: bool, code: Option<String> },
    /// IMAP (RFC 9051 §7.1): a tagged status, untagged data, or a continuation request.
    Imap(ImapResponse),
}

/// The three kinds of IMAP server response (RFC 9051 §2.2.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ImapResponse {
    /// `a1 OK ...`: the command tagged `a1` is done.
    Tagged { tag: String, condition: ImapCondition },
    /// `* ...`: data, e.g. `* 3 EXISTS`; `name` is its keyword (`EXISTS`).
    Untagged { name: String },
    /// `+ ...`: go on (a literal, an AUTHENTICATE step, IDLE).
    Continuation,
}

/// `OK`, `NO`, `BAD`, `PREAUTH` or `BYE` (RFC 9051 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImapCondition {
    Ok,
    No,
    Bad,
    Preauth,
    Bye,
}

impl ImapCondition {
    /// As written on the wire: `OK`, `NO`, `BAD`, `PREAUTH`, `BYE`.
    pub fn name(self) -> &'static str {
        match self {
            ImapCondition::Ok => "OK",
            ImapCondition::No => "NO",
            ImapCondition::Bad => "BAD",
            ImapCondition::Preauth => "PREAUTH",
            ImapCondition::Bye => "BYE",
        }
    }
}

impl Status {
    /// The SMTP reply code, for SMTP replies.
    pub fn smtp_code(&self) -> Option<u16> {
        match self {
            Status::Smtp { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A short label: `250`, `+OK`, `a1 OK`, `*`, `+`.
    pub fn label(&self) -> String {
        match self {
            Status::Smtp { code, .. } => code.to_string(),
            Status::Pop3 { ok: true, .. } => "+OK".into(),
            Status::Pop3 { ok: false, .. } => "-ERR".into(),
            Status::Imap(ImapResponse::Tagged { tag, condition }) => {
                format!("{tag} {}", condition.name())
            }
            Status::Imap(ImapResponse::Untagged { name }) => format!("* {name}"),
            Status::Imap(ImapResponse::Continuation) => "+".into(),
        }
    }

    /// True for a positive outcome (2xx, `+OK`, `OK`).
    pub fn is_positive(&self) -> bool {
        match self {
            Status::Smtp { code, .. } => (200..400).contains(code),
            Status::Pop3 { ok, .. } => *ok,
            Status::Imap(ImapResponse::Tagged { condition, .. }) => {
                matches!(condition, ImapCondition::Ok | ImapCondition::Preauth)
            }
            Status::Imap(_) => true,
        }
    }
}

/// What kind of thing happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A TCP connection is opened from `from` to `to` on `port`.
    Connect { port: u16 },
    /// The connection is closed by `from`.
    Close,
    /// One command line from client to server. `verb` is upper-cased (`"MAIL"`), or
    /// empty when the line is not a command at all.
    Command { verb: String },
    /// One whole reply (all its lines). `to_verb` is the command it answers (`None` for
    /// the greeting or a timeout); `answers` is the index of the event whose bytes made
    /// the server send it (the command, the message data, the connect for a greeting; for a
    /// tagged IMAP response, the command with its tag), set by the World as it happens,
    /// never guessed afterwards.
    Reply { status: Status, to_verb: Option<String>, answers: Option<usize> },
    /// The connection to `port` was refused: no service listens there (a TCP reset).
    Refused { port: u16 },
    /// The message content after `354`, through the terminating `CRLF.CRLF`.
    MessageData,
    /// A client's line in an SMTP AUTH exchange, answering a `334` (RFC 4954 §4): base64,
    /// not a command. Base64 is an encoding, not encryption.
    AuthData,
    /// One flight of the simulated TLS handshake after STARTTLS (RFC 3207 §4, RFC 8446 §2):
    /// no real cryptography happens; the event carries no bytes, only the size a real
    /// flight of that kind would have.
    Tls { flight: TlsFlight, size: usize },
    /// A DNS question, e.g. `example.net. IN MX`. `check`: asked by a receiving server's
    /// check of a sender (SPF's `a`, `mx` and `exists`, RFC 7208 §5), not to deliver mail:
    /// the same question on the wire, asked for another reason; set by the World as it
    /// asks.
    DnsQuery { name: String, qtype: String, check: bool },
    /// A DNS answer; `records` are in zone-file presentation form. `check` as for
    /// [`EventKind::DnsQuery`].
    DnsAnswer { name: String, qtype: String, records: Vec<String>, check: bool },
    /// A message is filed into `mailbox` (an address) on host `to`.
    Delivery { mailbox: String },
    /// The host `from` accepted responsibility for a message and queued it for relay.
    Queued { recipients: Vec<String> },
    /// A delivery attempt failed and a bounce (DSN) is generated for `sender`.
    Bounce { sender: String },
    /// The message has waited in the queue for long: a "delayed" warning (a DSN with
    /// `Action: delayed`) is generated for `sender`; the message stays queued.
    Delayed { sender: String },
    /// Free text from the narrator of the simulation, e.g. "Alice presses Send".
    Note,
}

impl EventKind {
    /// A short label for a token on the diagram, e.g. `EHLO`, `250`, `MX?`.
    pub fn label(&self) -> String {
        match self {
            EventKind::Connect { port } => format!("connect :{port}"),
            EventKind::Close => "close".into(),
            EventKind::Command { verb } if verb.is_empty() => "?".into(),
            EventKind::Command { verb } => verb.clone(),
            EventKind::Reply { status, .. } => status.label(),
            EventKind::Refused { .. } => "refused".into(),
            EventKind::MessageData => "message".into(),
            EventKind::AuthData => "login".into(),
            EventKind::Tls { flight, .. } => flight.label().into(),
            EventKind::DnsQuery { qtype, .. } => format!("{qtype}?"),
            EventKind::DnsAnswer { qtype, .. } => qtype.clone(),
            EventKind::Delivery { .. } => "deliver".into(),
            EventKind::Queued { .. } => "queued".into(),
            EventKind::Bounce { .. } => "bounce".into(),
            EventKind::Delayed { .. } => "delayed".into(),
            EventKind::Note => "note".into(),
        }
    }

    /// The broad family, for choosing a token shape in the UI.
    pub fn family(&self) -> Family {
        match self {
            EventKind::Connect { .. } | EventKind::Close | EventKind::Refused { .. } => Family::Connection,
            EventKind::Command { .. } => Family::Command,
            EventKind::Reply { .. } => Family::Reply,
            EventKind::MessageData => Family::Data,
            EventKind::AuthData => Family::Command,
            EventKind::Tls { .. } => Family::Connection,
            EventKind::DnsQuery { .. } | EventKind::DnsAnswer { .. } => Family::Dns,
            EventKind::Delivery { .. }
            | EventKind::Queued { .. }
            | EventKind::Bounce { .. }
            | EventKind::Delayed { .. } => Family::Mail,
            EventKind::Note => Family::Note,
        }
    }
}

/// Families of events, each drawn with its own token shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    Connection,
    Command,
    Reply,
    Data,
    Dns,
    Mail,
    Note,
}

impl Family {
    pub fn css_class(self) -> &'static str {
        match self {
            Family::Connection => "connection",
            Family::Command => "command",
            Family::Reply => "reply",
            Family::Data => "data",
            Family::Dns => "dns",
            Family::Mail => "mail",
            Family::Note => "note",
        }
    }
}

/// Role of a host, for drawing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostRole {
    /// A person's device running a mail client.
    Client,
    /// A mail server (MTA).
    MailServer,
    /// A DNS resolver.
    Dns,
}

/// A host of the World as the view needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    /// The DNS name, e.g. `smtp.example.org`.
    pub name: String,
    /// Who it belongs to, in plain words: "Alice's provider".
    pub label: String,
    /// Its IP address (documentation ranges, RFC 5737).
    pub addr: String,
    pub role: HostRole,
    /// Layout hint: position on a 0..=100 grid, x then y.
    pub position: (u8, u8),
}

/// One open session on a host: which connection, which side of it, and its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionView {
    pub conn: ConnId,
    pub side: Side,
    pub state: SessionState,
    /// Bytes this side sent are still on their way: the state reads "sends QUIT" rather
    /// than "waits for the reply to QUIT" until the QUIT is in the trace.
    pub sending: bool,
}

impl SessionView {
    /// The state in plain words, never ahead of the transcript.
    pub fn describe(&self) -> String {
        self.state.describe(self.sending)
    }
}

/// The state of one host just after an event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostSnapshot {
    /// Its open sessions, oldest connection first, each with its own state: a server
    /// with two clients shows both.
    pub sessions: Vec<SessionView>,
    /// Mailboxes on this host and how many messages each holds in its inbox.
    pub mailboxes: Vec<(String, usize)>,
    /// Mailboxes whose junk folder holds messages (a DMARC `quarantine`, an IMAP client's
    /// MOVE), and how many. Neither exists in a build without `trust` and `imap`.
    #[cfg(any(feature = "trust", feature = "imap"))]
    pub junk: Vec<(String, usize)>,
    /// Mailboxes whose inbox or junk folder holds messages a mail program put there (IMAP
    /// APPEND or COPY) rather than a delivery, and how many: they count in `mailboxes` and
    /// `junk`, but no delivery event lists them.
    #[cfg(feature = "imap")]
    pub filed: Vec<(String, usize)>,
    /// Messages waiting in its outgoing queue.
    pub queued: usize,
    /// Down (unreachable) until this moment: a `down` fault's window.
    pub down_until: Option<SimTime>,
    /// Those messages as `mailq` shows them: recipients, attempts, the next attempt.
    pub queue: Vec<crate::mta::QueueItem>,
    /// Its mail programs (a person's device) and the maildrops it serves (a POP3 server),
    /// when the World shows any: rebuilt only when something POP3 changed, and shared by
    /// the snapshots in between.
    #[cfg(feature = "pop3")]
    pub pop3: Option<Rc<Pop3View>>,
    /// Its IMAP mail programs (a device) and the mailboxes it serves with IMAP, when the
    /// World shows any: rebuilt only when something IMAP may have changed.
    #[cfg(feature = "imap")]
    pub imap: Option<Rc<ImapView>>,
}

/// The IMAP side of one host after an event: each device's view of the mailbox beside the
/// server's, so that a student sees them agree or not yet.
#[cfg(feature = "imap")]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImapView {
    /// The mail programs on this host, one per user.
    pub programs: Vec<ImapProgramView>,
    /// The mailboxes this host serves with IMAP that the World shows.
    pub mailboxes: Vec<ImapMailboxView>,
}

/// A mail program working with IMAP: what it believes is in each folder, read from what
/// the server told it (never from the server's store).
#[cfg(feature = "imap")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapProgramView {
    pub user: String,
    /// The IMAP server it works with.
    pub server: String,
    /// Its session while one is open.
    pub session: Option<ConnId>,
    /// The folder open in that session (SELECT).
    pub selected: Option<String>,
    /// True while it waits in IDLE for the server's news (RFC 2177).
    pub idling: bool,
    pub folders: Vec<ImapFolderView>,
    /// What went wrong last, if anything.
    pub error: Option<String>,
}

/// One user's mailbox on an IMAP server: every folder and message as stored.
#[cfg(feature = "imap")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapMailboxView {
    pub user: String,
    pub folders: Vec<ImapFolderView>,
    /// The IMAP sessions logged in to it, each with the folder it has open.
    pub sessions: Vec<(ConnId, Option<String>)>,
}

/// A folder, on the server or as a mail program believes it.
#[cfg(feature = "imap")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapFolderView {
    pub name: String,
    /// Its special use (`\Sent`, `\Archive`, RFC 6154).
    pub special_use: Option<String>,
    /// UIDVALIDITY (RFC 3501 §2.3.1.1); 0 for a folder a mail program never opened.
    pub uid_validity: u32,
    /// UIDNEXT: the UID the next message will get (the server's view only).
    pub uid_next: Option<u32>,
    /// Its messages in order: message n has sequence number n.
    pub messages: Vec<ImapMessageView>,
}

/// A message, on the server or as a mail program believes it.
#[cfg(feature = "imap")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapMessageView {
    /// Its UID; 0 when a mail program was told it exists (EXISTS) but not yet which it is.
    pub uid: u32,
    pub flags: crate::store::Flags,
    /// A mail program was told the message is `\Recent` (new to its session, RFC 3501
    /// §2.3.2): a flag of the session, never stored, so never on the server's side.
    pub recent: bool,
    pub from: String,
    pub subject: String,
    /// A mail program downloaded its body (always false on the server's side).
    pub opened: bool,
    /// ...only its text part (`BODY[n]`), not the whole message.
    pub text_only: bool,
}

/// The POP3 side of one host after an event: what the mail program panel shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pop3View {
    /// The mail programs on this host, one per user they fetch mail for.
    pub programs: Vec<MailProgramView>,
    /// The maildrops this host serves with POP3 that the World shows.
    pub maildrops: Vec<MaildropView>,
}

/// A mail program fetching one user's mail with POP3: its own copies, and what it believes
/// is on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailProgramView {
    /// Whose mail (`bob@example.net`).
    pub user: String,
    /// The POP3 server it fetches from (`mx.example.net`).
    pub server: String,
    /// True when it leaves mail on the server and fetches only what is new, by UIDL
    /// (RFC 1939 §7); false when it downloads and deletes.
    pub keep: bool,
    /// Its session while one is open (shown in the trace).
    pub session: Option<ConnId>,
    /// How many times it has started checking for mail.
    pub checks: u32,
    /// Every message it downloaded, oldest first.
    pub downloaded: Vec<DownloadedMessage>,
    /// The unique-ids it believes are on the server: the last UIDL listing it read, less
    /// what a QUIT confirmed deleted (empty before it ever read one).
    pub on_server: Vec<ServerCopy>,
    /// Why its last finished check failed, if it did.
    pub error: Option<String>,
}

/// A message a mail program downloaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadedMessage {
    /// Its unique-id on the server, when the server gave one (UIDL).
    pub uid: Option<String>,
    /// Its size in octets, as downloaded (lines end in CRLF, dots un-stuffed).
    pub size: u64,
    pub from: String,
    pub subject: String,
    /// Which check downloaded it (1 for the first).
    pub check: u32,
}

/// A message the mail program believes is on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerCopy {
    pub uid: String,
    /// The mail program has a copy of it.
    pub downloaded: bool,
    /// It asked the server to delete it (DELE got `+OK`) in the open session.
    pub marked: bool,
}

/// One user's maildrop on a POP3 server (RFC 1939 §3–§6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaildropView {
    pub user: String,
    /// The session that holds its lock (RFC 1939 §4), if any.
    pub locked_by: Option<ConnId>,
    /// Its messages now, in order.
    pub messages: Vec<MaildropMessage>,
    /// What the last QUIT removed (the UPDATE state, RFC 1939 §6), as they were listed in
    /// that session; kept until another session opens the maildrop.
    pub removed: Vec<MaildropMessage>,
    /// The session whose QUIT removed them.
    pub removed_by: Option<ConnId>,
}

/// One message of a maildrop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaildropMessage {
    /// Its unique-id, as UIDL gives it (RFC 1939 §7).
    pub uid: String,
    /// Its size in octets, as LIST gives it (RFC 1939 §5).
    pub size: u64,
    /// Its number in the session that holds the lock; `None` when no session holds it, or
    /// when the message arrived after that session opened the maildrop (it is for the next).
    pub number: Option<u32>,
    /// Marked for deletion (DELE) in that session: removed at its QUIT, unless RSET.
    pub marked: bool,
    pub from: String,
    pub subject: String,
}

impl HostSnapshot {
    /// The newest session in which this host is the server.
    pub fn server(&self) -> Option<&SessionView> {
        self.sessions.iter().rev().find(|s| s.side == Side::Server)
    }

    /// The newest session in which this host is the client (a mail program sending, a
    /// server relaying).
    pub fn client(&self) -> Option<&SessionView> {
        self.sessions.iter().rev().find(|s| s.side == Side::Client)
    }
}

/// One event of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// Position in the trace, from 0.
    pub index: usize,
    /// When it left `from`.
    pub sent: SimTime,
    /// When it reached `to` (equal to `sent` for local events).
    pub at: SimTime,
    pub from: HostId,
    pub to: HostId,
    pub protocol: Protocol,
    pub kind: EventKind,
    /// The connection it belongs to, if any.
    pub conn: Option<ConnId>,
    /// The exact bytes on the wire (for DNS: the question or records in presentation form;
    /// for a delivery: the message as stored; for a note: its text).
    pub bytes: Vec<u8>,
    /// Every host's state after the event, indexed by `HostId`.
    pub hosts: Vec<HostSnapshot>,
}

impl TraceEvent {
    /// The bytes as text, lossily, for display.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// True when the event moves between two hosts (and so animates a token).
    pub fn travels(&self) -> bool {
        self.from != self.to
    }
}

/// A connection of the World, as the transcript names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnInfo {
    pub client: HostId,
    pub server: HostId,
    pub port: u16,
    pub protocol: Protocol,
    /// The index of the event after which the connection is encrypted (its TLS handshake's
    /// last flight), if it ever is.
    pub tls_from: Option<usize>,
}

/// The flights of a TLS 1.3 handshake (RFC 8446 §2), as the World simulates them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsFlight {
    /// Client to server: the versions, ciphers and key share it offers.
    ClientHello,
    /// Server to client: ServerHello, then (encrypted) its certificate, a signature and
    /// Finished.
    ServerHello,
    /// Client to server: the client's Finished. From here on both sides encrypt.
    ClientFinished,
}

impl TlsFlight {
    pub fn label(self) -> &'static str {
        match self {
            TlsFlight::ClientHello => "ClientHello",
            TlsFlight::ServerHello => "ServerHello",
            TlsFlight::ClientFinished => "Finished",
        }
    }

    /// How many octets a typical flight of this kind takes on the wire (a ClientHello
    /// with an X25519 key share; a server flight with one RSA-2048 certificate).
    pub fn typical_size(self) -> usize {
        match self {
            TlsFlight::ClientHello => 517,
            TlsFlight::ServerHello => 1_870,
            TlsFlight::ClientFinished => 80,
        }
    }
}

/// The whole record of a World run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    pub hosts: Vec<HostInfo>,
    /// Every host's state before the first event (what the view shows at the start).
    pub initial: Vec<HostSnapshot>,
    pub conns: Vec<ConnInfo>,
    pub events: Vec<TraceEvent>,
}

impl Trace {
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn host(&self, id: HostId) -> &HostInfo {
        &self.hosts[id]
    }

    /// Every host's state after `cursor` events: [`Trace::initial`] at 0.
    pub fn snapshot_at(&self, cursor: usize) -> &[HostSnapshot] {
        match cursor.checked_sub(1) {
            None => &self.initial,
            Some(i) => self.events.get(i).or(self.events.last()).map_or(&self.initial, |e| &e.hosts),
        }
    }

    pub fn host_by_name(&self, name: &str) -> Option<HostId> {
        self.hosts.iter().position(|h| h.name.eq_ignore_ascii_case(name))
    }

    pub fn conn(&self, id: ConnId) -> Option<&ConnInfo> {
        self.conns.get(id.0)
    }

    /// The command (or message data) event that the reply at `index` answers, if any, as
    /// the World recorded it when the server answered.
    pub fn command_for_reply(&self, index: usize) -> Option<usize> {
        let EventKind::Reply { answers: Some(cmd), .. } = self.events.get(index)?.kind else {
            return None;
        };
        let answered = self.events.get(cmd)?;
        matches!(answered.kind, EventKind::Command { .. } | EventKind::MessageData).then_some(cmd)
    }

    /// The events from `from` on: what a live view appends after it drew `from` events.
    pub fn events_since(&self, from: usize) -> &[TraceEvent] {
        self.events.get(from..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_on_the_wire() {
        let tagged = |condition| Status::Imap(ImapResponse::Tagged { tag: "a1".into(), condition });
        let cases = [
            (Status::Smtp { code: 250, enhanced: Some("2.0.0".into()) }, "250", true),
            (Status::Smtp { code: 354, enhanced: None }, "354", true),
            (Status::Smtp { code: 550, enhanced: Some("5.1.1".into()) }, "550", false),
            (Status::Pop3 { ok: true, code: None }, "+OK", true),
            (Status::Pop3 { ok: false, code: Some("IN-USE".into()) }, "-ERR", false),
            (tagged(ImapCondition::Ok), "a1 OK", true),
            (tagged(ImapCondition::No), "a1 NO", false),
            (tagged(ImapCondition::Bad), "a1 BAD", false),
            (Status::Imap(ImapResponse::Untagged { name: "EXISTS".into() }), "* EXISTS", true),
            (Status::Imap(ImapResponse::Continuation), "+", true),
        ];
        for (status, label, positive) in cases {
            assert_eq!((status.label(), status.is_positive()), (label.to_string(), positive), "{status:?}");
        }
        assert_eq!(Status::Pop3 { ok: true, code: None }.smtp_code(), None);
        assert_eq!(ConnId(0).to_string(), "connection 1");
    }
}
