//! The Trace: everything that happened in a World, in one total order.
//!
//! The UI is a view over (trace, cursor, settings): stepping back is moving the cursor,
//! so every event carries what the view needs to draw that moment exactly: the bytes on
//! the wire and a snapshot of every host's state after the event.

use crate::time::SimTime;

/// Index of a host in [`Trace::hosts`].
pub type HostId = usize;

/// Which protocol an event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Smtp,
    Dns,
    /// Inside one host: filing a message into a mailbox, queueing, notes.
    Local,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "SMTP",
            Protocol::Dns => "DNS",
            Protocol::Local => "local",
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
    /// One whole reply (all its lines). `to_verb` is the command it answers
    /// (`None` for the greeting).
    Reply { code: u16, enhanced: Option<String>, to_verb: Option<String> },
    /// The message content after `354`, through the terminating `CRLF.CRLF`.
    MessageData,
    /// A DNS question, e.g. `example.net. IN MX`.
    DnsQuery { name: String, qtype: String },
    /// A DNS answer; `records` are in zone-file presentation form.
    DnsAnswer { name: String, qtype: String, records: Vec<String> },
    /// A message is filed into `mailbox` (an address) on host `to`.
    Delivery { mailbox: String },
    /// The host `from` accepted responsibility for a message and queued it for relay.
    Queued { recipients: Vec<String> },
    /// A delivery attempt failed and a bounce (DSN) is generated for `sender`.
    Bounce { sender: String },
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
            EventKind::Reply { code, .. } => code.to_string(),
            EventKind::MessageData => "message".into(),
            EventKind::DnsQuery { qtype, .. } => format!("{qtype}?"),
            EventKind::DnsAnswer { qtype, .. } => qtype.clone(),
            EventKind::Delivery { .. } => "deliver".into(),
            EventKind::Queued { .. } => "queued".into(),
            EventKind::Bounce { .. } => "bounce".into(),
            EventKind::Note => "note".into(),
        }
    }

    /// The broad family, for choosing a token shape in the UI.
    pub fn family(&self) -> Family {
        match self {
            EventKind::Connect { .. } | EventKind::Close => Family::Connection,
            EventKind::Command { .. } => Family::Command,
            EventKind::Reply { .. } => Family::Reply,
            EventKind::MessageData => Family::Data,
            EventKind::DnsQuery { .. } | EventKind::DnsAnswer { .. } => Family::Dns,
            EventKind::Delivery { .. } | EventKind::Queued { .. } | EventKind::Bounce { .. } => Family::Mail,
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

/// The state of one host just after an event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostSnapshot {
    /// The protocol state of its server side, named after the RFC (`ExpectMail`), `Idle`
    /// when no client is connected; for a client host (a laptop), its mail client's state.
    /// Empty for hosts without a mail protocol (the DNS resolver).
    pub state: String,
    /// For a mail server that is relaying: the state of its outgoing SMTP client
    /// (`ExpectRcptReply`), else empty.
    pub client_state: String,
    /// Mailboxes on this host and how many messages each holds.
    pub mailboxes: Vec<(String, usize)>,
    /// Messages waiting in its outgoing queue.
    pub queued: usize,
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
    pub conn: Option<usize>,
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

    /// The host named `name` (DNS name), if any.
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

    /// The command event that the reply at `index` answers, if any: the oldest command
    /// on the same connection that has not been answered yet.
    pub fn command_for_reply(&self, index: usize) -> Option<usize> {
        let ev = self.events.get(index)?;
        if !matches!(ev.kind, EventKind::Reply { .. }) {
            return None;
        }
        let conn = ev.conn?;
        let mut pending = std::collections::VecDeque::new();
        for e in self.events[..index].iter().filter(|e| e.conn == Some(conn)) {
            match e.kind {
                EventKind::Command { .. } | EventKind::MessageData => pending.push_back(e.index),
                EventKind::Reply { .. } => {
                    pending.pop_front();
                }
                _ => {}
            }
        }
        pending.pop_front()
    }
}
