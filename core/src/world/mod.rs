//! The World: hosts, the network between them, DNS, services on ports and mail stores,
//! driven by one deterministic scheduler in virtual time. Everything that happens is
//! recorded in the [`Trace`], in one total order.
//!
//! The World only moves bytes and time. Protocols live in sans-IO machines that keep the
//! [`Session`] contract ([`crate::smtp`] today; POP3 and IMAP are more services behind the
//! same door), the queue of each mail server in its [`Mta`], the network in [`net`].
//! How data flows, one way:
//!
//! ```text
//! agenda pops an action -> the network delivers bytes -> the connection's machine
//! consumes them -> its outputs (bytes, requests, timers) go back onto the agenda
//! -> every step appends events to the Trace
//! ```
//!
//! Two ways to drive it: give every input up front and [`World::run_until_idle`] (a
//! lesson), or live, as a person types: [`World::open`] a connection from a host to a
//! port, [`World::write`] bytes into it, [`World::advance_to`] a time or
//! [`World::advance`] to the next wake-up, and read what happened from
//! [`World::trace`] (`events_since`). Each call is one interaction with its own event
//! budget; a World with a pending retry or an open session is simply not idle.

mod agenda;
#[cfg(feature = "trust")]
mod auth;
mod build;
// The `cut` fault rule comes with POP3, as its one lesson does: the first load, whose
// lessons cut nothing, goes without it.
#[cfg(feature = "pop3")]
mod cut;
#[cfg(feature = "pop3")]
pub use cut::TCP_GIVE_UP;
mod host;
#[cfg(feature = "imap")]
mod imap;
#[cfg(feature = "imap")]
mod imap_view;
#[cfg(feature = "imap")]
pub use imap::{IMAP_PORT, ImapProgram};
#[cfg(feature = "pop3")]
mod pop3_view;
#[cfg(feature = "pop3")]
mod retrieve;
#[cfg(feature = "pop3")]
pub use retrieve::{Downloaded, MailProgram, POP3_PORT};
pub mod net;
mod scenario;

use crate::vecmap::VecMap;

pub use scenario::*;

use crate::describe::SendSetup;
use crate::dns::{Answer, Zone};
use crate::mail::{self, ComposeError, Draft};
use crate::mta::{AttemptResult, Mta, MtaOutput, RetryPolicy};
use crate::rng::Rng;
use crate::session::{Output, Request, Session, SessionState, Side};
use crate::smtp::client::{Envelope, RcptStatus, SmtpClient};
use crate::smtp::reply::Reply;
use crate::smtp::server::{Accepted, Peer, ServerConfig, SmtpServer, TlsPolicy};
use crate::store::MailStore;
use crate::time::{SimDuration, SimTime};
use crate::trace::{
    ConnId, ConnInfo, EventKind, HostId, HostInfo, HostRole, HostSnapshot, Protocol, SessionView, TlsFlight,
    Trace, TraceEvent,
};
use agenda::Agenda;
#[cfg(feature = "pop3")]
pub use host::CutRule;
pub use host::{Faults, GREYLIST_DELAY, MailHost, ReplyRule};
use host::{HostEnv, Mailboxes};
use net::{Down, Link, Network};

/// One interaction (a `run_until_idle`, an `advance_to`) that records more events than
/// this is stopped: some loop is wrong.
pub const MAX_EVENTS: usize = 20_000;
/// ... or runs more actions than this (actions that record nothing, such as timers).
pub const MAX_ACTIONS: usize = 200_000;
/// The SMTP port between servers (RFC 5321 §4.5.4.2 — well-known port 25).
pub const SMTP_PORT: u16 = 25;
/// The message submission port (RFC 6409 §3.1).
pub const SUBMISSION_PORT: u16 = 587;
/// How long a client waits for an answer to its connection attempt before it gives up
/// (Postfix's `smtp_connect_timeout`: 30 s).
pub const CONNECT_TIMEOUT: SimDuration = SimDuration::from_secs(30);
/// How long a DNS client waits for an answer (the resolver's `timeout:5` of resolv.conf).
pub const DNS_TIMEOUT: SimDuration = SimDuration::from_secs(5);
/// A person typing into a live connection sees at most this much of what came back;
/// older bytes are dropped from the view (they stay in the trace).
pub const MAX_TYPED_INBOX: usize = 64 * 1024;

/// What listens on a port of a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// SMTP between servers, the MX (RFC 5321), usually port 25.
    Smtp,
    /// Message submission for a provider's own users (RFC 6409), usually port 587.
    Submission,
    /// POP3 (RFC 1939), usually port 110.
    Pop3,
    /// IMAP (RFC 9051), usually port 143.
    Imap,
    /// DNS (RFC 1035), port 53.
    Dns,
}

impl Service {
    pub fn protocol(self) -> Protocol {
        match self {
            Service::Smtp | Service::Submission => Protocol::Smtp,
            Service::Pop3 => Protocol::Pop3,
            Service::Imap => Protocol::Imap,
            Service::Dns => Protocol::Dns,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::Smtp => "SMTP",
            Service::Submission => "submission",
            Service::Pop3 => "POP3",
            Service::Imap => "IMAP",
            Service::Dns => "DNS",
        }
    }
}

struct Host {
    info: HostInfo,
    services: VecMap<u16, Service>,
    /// STARTTLS on its SMTP ports (RFC 3207); a port not listed has none.
    tls: VecMap<u16, TlsPolicy>,
    mail: Option<MailHost>,
}

/// Why a connection exists.
#[derive(Clone, Debug)]
enum ConnJob {
    /// A person's mail client hands a message to its server.
    Submit,
    /// A server relays queue entry `id` to `exchange`.
    Relay { id: String, exchange: String },
    /// A person types into it (the live World).
    Typed,
    /// A mail program fetches `user`'s mail with POP3.
    #[cfg(feature = "pop3")]
    Retrieve { user: String },
    /// A mail program works with `user`'s mail over IMAP; `reported`: how many of its
    /// errors are in the trace already.
    #[cfg(feature = "imap")]
    Imap { user: String, reported: usize },
    /// The outcome was handled; nothing is left to report.
    Reported,
}

/// Per side of a connection: its machine (none for a person typing), bytes of it still on
/// the wire, and the time its timer is armed for.
#[derive(Default)]
struct End {
    machine: Option<Box<dyn Session>>,
    in_flight: u32,
    timer: Option<SimTime>,
}

struct Conn {
    client: HostId,
    server: HostId,
    port: u16,
    ends: [End; 2],
    job: ConnJob,
    /// The server side has accepted the connection.
    established: bool,
    /// Its Connect event is in the trace: from then on its sessions are shown.
    shown: bool,
    open: bool,
    /// The network between its ends is gone (a `cut` rule, or an outage longer than TCP
    /// sends again): what either end sends is lost. Each end finds out only by its own
    /// timer: the client when no answer comes, the server when its inactivity timer runs
    /// out, either when its TCP gives up. Why, and since when.
    #[cfg(feature = "pop3")]
    dead: Option<(cut::Broke, SimTime)>,
    /// Until when what each side sends during an outage is sent again (the arrival of its
    /// last copy that gets through): a segment sent before then is in the same outage.
    #[cfg(feature = "pop3")]
    resending: [SimTime; 2],
    /// The host that was down when something sent on it last went unacknowledged.
    #[cfg(feature = "pop3")]
    outage: Option<HostId>,
    /// When each side last sent bytes on it.
    #[cfg(feature = "pop3")]
    last_sent: [SimTime; 2],
    /// The client's end has given up on it (a dead connection): only the server's is left.
    client_gone: bool,
    /// The server's end has given up on it (a dead connection): only the client's is left.
    server_gone: bool,
    /// What a person typing into this connection got back, most recent last.
    inbox: Vec<u8>,
    /// Opened by a person by the server's name: its address is asked of the DNS first.
    #[cfg(feature = "sandbox")]
    by_name: bool,
    /// When the DNS gave the address of a connection opened by name: how many events the
    /// trace held then (telnet says "Trying" from there).
    #[cfg(feature = "sandbox")]
    found_at: Option<usize>,
    /// When the last segment each way arrives: TCP delivers a connection's bytes in
    /// order, so a later segment never overtakes a retransmitted one (head-of-line
    /// blocking), and a close comes after the data before it.
    last_arrival: [SimTime; 2],
}

impl Conn {
    /// `side`'s end has given up on it (a dead connection, or after an outage).
    #[cfg(feature = "pop3")]
    fn gone(&self, side: Side) -> bool {
        if side == Side::Client { self.client_gone } else { self.server_gone }
    }

    /// A `cut` rule or an outage broke it: nothing crosses it any more.
    fn is_dead(&self) -> bool {
        #[cfg(feature = "pop3")]
        return self.dead.is_some();
        #[cfg(not(feature = "pop3"))]
        false
    }
}

fn idx(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::Client => Side::Server,
        Side::Server => Side::Client,
    }
}

/// What a DNS lookup is for.
#[derive(Clone, Debug)]
enum Lookup {
    /// A mail client finds its server: then connects and sends.
    Submit { server_name: String, port: u16, envelope: Envelope, message: Vec<u8>, program: SendSetup },
    /// A server's queue manager routes entry `id`.
    Mta { id: String },
    /// A mail program finds its POP3 server: then connects and fetches.
    #[cfg(feature = "pop3")]
    Retrieve { server_name: String, user: String, password: String, keep: bool },
    /// An IMAP mail program finds its server: then connects for `user`.
    #[cfg(feature = "imap")]
    Imap { user: String },
    /// A receiving host's check of a sender (SPF, DKIM, DMARC) asks a question.
    #[cfg(feature = "trust")]
    Auth { job: u64 },
    /// A person at a terminal opens `conn` by the server's name (`telnet NAME PORT`).
    #[cfg(feature = "sandbox")]
    Typed { conn: ConnId },
}

impl Lookup {
    /// Asked for a check of a sender (SPF, DKIM, DMARC), not to deliver mail.
    fn is_check(&self) -> bool {
        #[cfg(feature = "trust")]
        return matches!(self, Lookup::Auth { .. });
        #[cfg(not(feature = "trust"))]
        false
    }
}

#[derive(Clone, Debug)]
enum Action {
    Note {
        host: HostId,
        text: String,
    },
    Lookup {
        host: HostId,
        name: String,
        qtype: &'static str,
        lookup: Box<Lookup>,
    },
    DnsQueryArrives {
        host: HostId,
        name: String,
        qtype: &'static str,
        lookup: Box<Lookup>,
        sent: SimTime,
    },
    DnsAnswerArrives {
        host: HostId,
        name: String,
        qtype: &'static str,
        answer: Answer,
        lookup: Box<Lookup>,
        sent: SimTime,
    },
    DnsTimeout {
        host: HostId,
        name: String,
        qtype: &'static str,
        lookup: Box<Lookup>,
        /// The asking host was itself off the network: its question never left.
        cut_off: bool,
    },
    ConnectArrives {
        conn: ConnId,
        sent: SimTime,
    },
    ConnectTimeout {
        conn: ConnId,
        /// The client was itself off the network: its SYN never left.
        cut_off: bool,
    },
    /// What `side` sent got no answer (its peer was down): the connection breaks. (With
    /// the engine's `pop3` feature, TCP sends it again instead: [`World::unacknowledged`].)
    #[cfg(not(feature = "pop3"))]
    Broken {
        conn: ConnId,
        side: Side,
    },
    /// TCP on `side` gives up on a dead connection (a `cut` rule's, or one whose segments
    /// all fell into an outage) now, unless that end's own timer did before.
    #[cfg(feature = "pop3")]
    GiveUp {
        conn: ConnId,
        side: Side,
    },
    /// A reset (RST) from the other end of a dead connection reaches `side`.
    #[cfg(feature = "pop3")]
    Reset {
        conn: ConnId,
        side: Side,
    },
    RefusedArrives {
        conn: ConnId,
        text: String,
        sent: SimTime,
    },
    Bytes {
        conn: ConnId,
        from: Side,
        bytes: Vec<u8>,
        kind: Option<EventKind>,
        sent: SimTime,
    },
    CloseArrives {
        conn: ConnId,
        from: Side,
        sent: SimTime,
    },
    Timer {
        conn: ConnId,
        side: Side,
    },
    MtaTimer {
        host: HostId,
    },
    /// Time for an action of the IMAP mail program on `host` for `user`.
    #[cfg(feature = "imap")]
    ImapWake {
        host: HostId,
        user: String,
    },
}

/// A problem running a World.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorldError {
    /// One interaction recorded more than [`MAX_EVENTS`] events.
    TooManyEvents,
    /// A live call named something that does not exist, or a closed connection.
    Live(String),
}

impl std::fmt::Display for WorldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorldError::TooManyEvents => {
                write!(f, "the simulation produced more than {MAX_EVENTS} events in one go")
            }
            WorldError::Live(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for WorldError {}

/// What a note says of a host that asked or dialled while it was itself down (off the
/// network): the explanation catalogue knows the note by it.
pub(crate) const CUT_OFF: &str = " is itself off the network";

/// The simulated Internet.
pub struct World {
    now: SimTime,
    seed: u64,
    hosts: Vec<Host>,
    net: Network,
    zone: Zone,
    resolver: Option<HostId>,
    agenda: Agenda<Action>,
    conns: Vec<Conn>,
    /// What mail programs have downloaded with POP3.
    #[cfg(feature = "pop3")]
    mail_programs: retrieve::MailPrograms,
    /// The IMAP mail programs, and what the trace shows of IMAP.
    #[cfg(feature = "imap")]
    imap: imap::ImapPrograms,
    /// The open connections whose Connect is in the trace, oldest first: what a snapshot
    /// shows (kept apart so a step costs the same however many connections have closed).
    shown: Vec<ConnId>,
    faults: Faults,
    trace: Trace,
    messages: u64,
    /// The checks of senders under way, by job number; a finished one is removed.
    #[cfg(feature = "trust")]
    auth_jobs: VecMap<u64, auth::AuthJob>,
    /// How many checks have started: the next job's number.
    #[cfg(feature = "trust")]
    auth_started: u64,
}

impl Default for World {
    fn default() -> Self {
        World::new(0)
    }
}

impl World {
    /// An empty World whose random choices all come from `seed`.
    pub fn new(seed: u64) -> World {
        World {
            now: SimTime::ZERO,
            seed,
            hosts: Vec::new(),
            net: Network::new(seed),
            zone: Zone::default(),
            resolver: None,
            agenda: Agenda::default(),
            conns: Vec::new(),
            #[cfg(feature = "pop3")]
            mail_programs: Default::default(),
            #[cfg(feature = "imap")]
            imap: Default::default(),
            shown: Vec::new(),
            faults: Faults::default(),
            trace: Trace::default(),
            messages: 0,
            #[cfg(feature = "trust")]
            auth_jobs: VecMap::new(),
            #[cfg(feature = "trust")]
            auth_started: 0,
        }
    }

    // ----- building -------------------------------------------------------------------

    /// Adds a host. A host with a server configuration is a mail host: it has mailboxes
    /// and a queue, and serves SMTP on port 25 unless other services are declared.
    pub fn add_host(&mut self, info: HostInfo, server: Option<ServerConfig>) -> HostId {
        self.trace.hosts.push(info.clone());
        let id = self.hosts.len();
        let mail = server.map(|config| {
            let rng = Rng::derive(self.seed, &config.hostname);
            MailHost {
                mta: Mta::new(&config.hostname, Vec::new(), rng),
                config,
                directory: Default::default(),
                store: MailStore::new(),
                passwords: VecMap::new(),
                sessions: 0,
                #[cfg(feature = "trust")]
                auth: Default::default(),
                mta_timer: None,
            }
        });
        let mut services = VecMap::new();
        if mail.is_some() {
            services.insert(SMTP_PORT, Service::Smtp);
        }
        if info.role == HostRole::Dns {
            services.insert(53, Service::Dns);
        }
        self.hosts.push(Host { info, services, tls: VecMap::new(), mail });
        id
    }

    /// Declares what listens on `port` of `host` (replacing what was there).
    pub fn serve(&mut self, host: HostId, port: u16, service: Service) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.services.insert(port, service);
        }
    }

    /// `host`'s queue retries, warns and gives up as `policy` says.
    pub fn retry_policy(&mut self, host: HostId, policy: RetryPolicy) {
        if let Some(m) = self.mail_mut(host) {
            m.mta.set_policy(policy);
        }
    }

    /// The SMTP service on `port` of `host` offers (or requires) STARTTLS (RFC 3207).
    pub fn offer_tls(&mut self, host: HostId, port: u16, tls: TlsPolicy) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.tls.insert(port, tls);
        }
    }

    /// The password the world gives `user` (an address), if any.
    pub fn password_of(&self, user: &str) -> Option<String> {
        let user = user.to_ascii_lowercase();
        self.hosts.iter().filter_map(|h| h.mail.as_ref()).find_map(|m| m.passwords.get(&user).cloned())
    }

    /// Takes `port` of `host` out of service: connections to it are refused.
    pub fn unserve(&mut self, host: HostId, port: u16) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.services.remove(&port);
        }
    }

    /// Mail for `domain` is delivered into `host`'s mailboxes.
    pub fn add_domain(&mut self, host: HostId, domain: &str) {
        let seed = self.seed;
        if let Some(m) = self.mail_mut(host) {
            m.directory.local_domains.push(domain.to_ascii_lowercase());
            if m.config.postmaster_domain.is_none() {
                m.config.postmaster_domain = Some(domain.to_ascii_lowercase());
            }
            let domains = m.directory.local_domains.clone();
            let rng = Rng::derive(seed, &m.config.hostname);
            let policy = m.mta.policy().clone();
            m.mta = Mta::new(&m.config.hostname, domains, rng).with_policy(policy);
        }
    }

    /// A mailbox on `host`.
    pub fn add_mailbox(&mut self, host: HostId, address: &str) {
        if let Some(m) = self.mail_mut(host) {
            let a = address.to_ascii_lowercase();
            m.directory.mailboxes.push(a.clone());
            let _ = m.store.create_mailbox(&a);
        }
    }

    /// `host` relays mail for clients at `client_addr` (its own network).
    pub fn relay_for(&mut self, host: HostId, client_addr: &str) {
        if let Some(m) = self.mail_mut(host) {
            m.directory.relay_clients.push(client_addr.to_string());
        }
    }

    /// `host` is a backup MX of `domain`: it takes its mail from anyone and passes it on
    /// to a better MX (RFC 5321 §5.1).
    pub fn relay_domain(&mut self, host: HostId, domain: &str) {
        if let Some(m) = self.mail_mut(host) {
            m.directory.relay_domains.push(domain.to_ascii_lowercase());
        }
    }

    pub fn link(&mut self, a: HostId, b: HostId, latency: SimDuration) {
        self.net.link(Link { a, b, latency, loss: 0 });
    }

    /// A link that loses `loss` percent of its segments (they are sent again, later).
    pub fn lossy_link(&mut self, a: HostId, b: HostId, latency: SimDuration, loss: u8) {
        self.net.link(Link { a, b, latency, loss: loss.min(100) });
    }

    /// `host` is unreachable from `from` until `until`.
    pub fn down(&mut self, host: HostId, from: SimTime, until: SimTime) {
        self.net.down(Down { host, from, until });
    }

    /// `host` greylists: the first attempt of each (client, sender, recipient) is told
    /// `451 4.7.1` at RCPT.
    pub fn greylist(&mut self, host: HostId) {
        self.faults.greylist.push(host);
    }

    /// `host` answers `verb` with `reply` (`times` times, or always). It replaces an earlier
    /// rule of `host` for `verb` (the sandbox injects a new one over one used up).
    pub fn reply_rule(&mut self, host: HostId, verb: &str, reply: Reply, times: Option<u32>) {
        let verb = verb.to_ascii_uppercase();
        self.faults.replies.retain(|r| !(r.host == host && r.verb == verb));
        self.faults.replies.push(ReplyRule { host, verb, reply, times });
    }

    /// The mailbox `address` takes no more mail: its quota is what it holds now.
    pub fn mailbox_full(&mut self, address: &str) {
        for h in &mut self.hosts {
            if let Some(m) = &mut h.mail
                && let Ok(q) = m.store.quota(address)
            {
                let _ = m.store.set_quota(address, Some(q.used));
            }
        }
    }

    pub fn zone_mut(&mut self) -> &mut Zone {
        &mut self.zone
    }

    /// The host that answers DNS questions for everybody.
    pub fn set_resolver(&mut self, host: HostId) {
        self.resolver = Some(host);
    }

    fn mail_mut(&mut self, host: HostId) -> Option<&mut MailHost> {
        self.hosts.get_mut(host)?.mail.as_mut()
    }

    // ----- getters --------------------------------------------------------------------

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn into_trace(self) -> Trace {
        self.trace
    }

    pub fn host_by_name(&self, name: &str) -> Option<HostId> {
        self.hosts.iter().position(|h| h.info.name.eq_ignore_ascii_case(name))
    }

    /// The messages in the INBOX of `addr`'s mailbox, wherever it lives.
    pub fn mailbox(&self, addr: &str) -> Option<Vec<&[u8]>> {
        self.hosts
            .iter()
            .filter_map(|h| h.mail.as_ref())
            .find_map(|m| m.store.folder(addr, crate::store::INBOX).ok())
            .map(|f| f.messages().iter().map(|m| &*m.bytes).collect())
    }

    /// The mail store of `host`.
    pub fn store(&self, host: HostId) -> Option<&MailStore> {
        self.hosts.get(host)?.mail.as_ref().map(|m| &m.store)
    }

    /// The server configuration of `host`, to change a World before it runs.
    pub fn server_config_mut(&mut self, host: HostId) -> Option<&mut ServerConfig> {
        self.mail_mut(host).map(|m| &mut m.config)
    }

    /// Messages waiting in the queues of all hosts.
    pub fn queued(&self) -> usize {
        self.hosts.iter().filter_map(|h| h.mail.as_ref()).map(|m| m.mta.queued()).sum()
    }

    /// True when nothing is left to do: no action waits, not even a timer.
    pub fn is_idle(&self) -> bool {
        self.next_wakeup().is_none()
    }

    /// When the World next has something to do. Timers that were re-armed or cancelled
    /// since they were scheduled do not count.
    pub fn next_wakeup(&self) -> Option<SimTime> {
        self.agenda
            .iter()
            .filter(|(at, a)| !self.is_stale(a, *at))
            .map(|(at, a)| match a {
                // A timer scheduled before its deadline moved later wakes at the deadline.
                Action::Timer { conn, side } => self.conns[conn.0].ends[idx(*side)]
                    .machine
                    .as_ref()
                    .and_then(|m| m.poll_timeout())
                    .map_or(at, |w| w.max(at)),
                _ => at,
            })
            .min()
    }

    // ----- inputs ---------------------------------------------------------------------

    /// A narrator's note at the current time, shown on `host`.
    pub fn note(&mut self, host: HostId, text: &str) {
        self.schedule(self.now, Action::Note { host, text: text.to_string() });
    }

    /// A person on `host` writes `draft` and presses Send now: the mail client looks up
    /// `server_name` and hands the message over with SMTP on port 25.
    /// The mail program on `host` sends `draft` through `server_name`, on the port
    /// [`World::submission_port`] picks.
    pub fn send_mail(&mut self, host: HostId, server_name: &str, draft: &Draft) -> Result<(), ComposeError> {
        let port = self.host_by_name(server_name).map_or(SMTP_PORT, |s| self.submission_port(host, s));
        self.send_mail_at(self.now, host, server_name, port, draft)
    }

    /// The port a mail program on `host` hands its mail to on `server`: submission on 587
    /// with a login (RFC 6409), unless the server relays for the host's network anyway
    /// (the old trusted-network way, on port 25) or has no submission service.
    pub fn submission_port(&self, host: HostId, server: HostId) -> u16 {
        let (Some(h), Some(s)) = (self.hosts.get(host), self.hosts.get(server)) else { return SMTP_PORT };
        let trusted = s.mail.as_ref().is_some_and(|m| m.directory.relay_clients.contains(&h.info.addr));
        let smtp = s.services.get(&SMTP_PORT) == Some(&Service::Smtp);
        let submission = s.services.get(&SUBMISSION_PORT) == Some(&Service::Submission);
        if submission && !(trusted && smtp) { SUBMISSION_PORT } else { SMTP_PORT }
    }

    /// The same, at time `at`, to `port` of the server (a scripted action of a lesson).
    /// The draft is checked now, so a bad one is refused at once.
    pub fn send_mail_at(
        &mut self,
        at: SimTime,
        host: HostId,
        server_name: &str,
        port: u16,
        draft: &Draft,
    ) -> Result<(), ComposeError> {
        self.send_program_at(at, host, server_name, port, draft, &SendSetup::default())
    }

    /// The same, by a mail program set up as `program` says (a lesson's `send` options:
    /// a mistyped password, another login mechanism, a badly written program).
    pub fn send_program_at(
        &mut self,
        at: SimTime,
        host: HostId,
        server_name: &str,
        port: u16,
        draft: &Draft,
        program: &SendSetup,
    ) -> Result<(), ComposeError> {
        let at = at.max(self.now);
        // Written now, dated when it is sent: a bad draft is refused at once.
        self.messages += 1;
        let from = mail::addr_spec(draft.from).to_string();
        // The time it was written, as a mail program puts it in the id (RFC 5322 §3.6.4
        // asks only that it be unique): 20261130090500 for Mon 30 Nov 2026 09:05:00.
        let (y, mo, d, h, mi, sec) = crate::time::date_parts(at);
        let id =
            format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{sec:02}.{}@{}", self.messages, mail::domain_of(&from));
        let message = mail::compose(draft, at, &id)?;
        #[cfg(feature = "imap")]
        self.imap.remember_sent(host, at, &message);
        let envelope = Envelope {
            mail_from: program.envelope.clone().unwrap_or(from),
            // Every recipient, Bcc included, is in the envelope, once (RFC 5321 §3.3).
            rcpt_to: draft.to.iter().chain(draft.cc).chain(draft.bcc).fold(Vec::new(), |mut all, t| {
                let addr = mail::addr_spec(t).to_string();
                if !all.iter().any(|a: &String| a.eq_ignore_ascii_case(&addr)) {
                    all.push(addr);
                }
                all
            }),
        };
        let lookup = Box::new(Lookup::Submit {
            server_name: server_name.to_string(),
            port,
            envelope,
            message,
            program: program.clone(),
        });
        self.schedule(at, Action::Lookup { host, name: server_name.to_string(), qtype: "A", lookup });
        Ok(())
    }

    /// Live: a person on `from` opens a TCP connection to `port` of `to`, to type into it.
    pub fn open(&mut self, from: HostId, to: HostId, port: u16) -> Result<ConnId, WorldError> {
        if from >= self.hosts.len() || to >= self.hosts.len() {
            return Err(WorldError::Live("no such host".into()));
        }
        Ok(self.connect(from, to, port, End::default(), ConnJob::Typed))
    }

    /// Live: a person on `from` opens a TCP connection to `port` of the host named `name`,
    /// as `telnet NAME PORT` does: first the name's address is asked of the DNS (an A
    /// record, through the world's resolver), then the connection goes to the host at that
    /// address. With no address (no such name, or no answer from the resolver) the
    /// connection ends there, in telnet's words. The connection is numbered at once;
    /// nothing can be typed into it until it is under way ([`World::found_at`]).
    #[cfg(feature = "sandbox")]
    pub fn open_named(&mut self, from: HostId, name: &str, port: u16) -> Result<ConnId, WorldError> {
        if from >= self.hosts.len() {
            return Err(WorldError::Live("no such host".into()));
        }
        // Until the DNS answers there is no server: the client stands in for it, so that no
        // link is drawn to a host nothing was sent to.
        let conn = self.add_conn(from, from, port, End::default(), ConnJob::Typed);
        self.conns[conn.0].by_name = true;
        let lookup = Box::new(Lookup::Typed { conn });
        self.schedule(self.now, Action::Lookup { host: from, name: name.to_string(), qtype: "A", lookup });
        Ok(conn)
    }

    /// Live: for a connection opened by name ([`World::open_named`]), how many events the
    /// trace held when the DNS gave its address; `None` while it is asked, when no address
    /// came, or for a connection opened otherwise.
    #[cfg(feature = "sandbox")]
    pub fn found_at(&self, conn: ConnId) -> Option<usize> {
        self.conns.get(conn.0).and_then(|c| c.found_at)
    }

    /// Live: the person types `bytes` into `conn`; they arrive after the link's latency.
    pub fn write(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), WorldError> {
        let c = self.conns.get(conn.0).ok_or_else(|| WorldError::Live(format!("no {conn}")))?;
        if !c.open || c.client_gone || !matches!(c.job, ConnJob::Typed) {
            return Err(WorldError::Live(format!("{conn} is closed or not typed by a person")));
        }
        #[cfg(feature = "sandbox")]
        if c.by_name && c.found_at.is_none() {
            return Err(WorldError::Live(format!("{conn} is still looking its server's name up")));
        }
        self.send(conn, Side::Client, bytes.to_vec(), None);
        Ok(())
    }

    /// Live: the person closes `conn`.
    pub fn close(&mut self, conn: ConnId) -> Result<(), WorldError> {
        let c = self.conns.get(conn.0).ok_or_else(|| WorldError::Live(format!("no {conn}")))?;
        // Still looking the name up: nothing was sent, so there is nobody to tell.
        #[cfg(feature = "sandbox")]
        if c.open && c.by_name && c.found_at.is_none() {
            self.conns[conn.0].open = false;
            self.end_closed(conn, Side::Client);
            return Ok(());
        }
        // A dead connection: telnet lets go of its end at once; the server hears nothing.
        #[cfg(feature = "pop3")]
        if c.is_dead() {
            self.dead_closed_by_person(conn);
            return Ok(());
        }
        if c.open && !c.is_dead() {
            self.close_from(conn, Side::Client);
        }
        Ok(())
    }

    /// Live: what came back to a person typing into `conn` (the most recent
    /// [`MAX_TYPED_INBOX`] bytes).
    pub fn received(&self, conn: ConnId) -> &[u8] {
        self.conns.get(conn.0).map_or(&[], |c| c.inbox.as_slice())
    }

    /// Live: true while `conn` is open (for the person typing into it).
    pub fn is_open(&self, conn: ConnId) -> bool {
        self.conns.get(conn.0).is_some_and(|c| c.open && !c.client_gone)
    }

    // ----- running --------------------------------------------------------------------

    /// Runs the next action. Returns false when there was none.
    pub fn step(&mut self) -> bool {
        self.step_until(None)
    }

    /// Runs the next action due at or before `until` (any, when `None`). Stale timers on
    /// the way are dropped without moving time.
    fn step_until(&mut self, until: Option<SimTime>) -> bool {
        if self.trace.events.is_empty() && self.trace.initial.is_empty() {
            self.trace.initial = self.snapshot();
        }
        loop {
            let Some(at) = self.agenda.peek_time() else {
                return false;
            };
            if until.is_some_and(|u| at > u) {
                return false;
            }
            let Some((at, action)) = self.agenda.pop() else {
                return false;
            };
            // A timer that was re-armed or cancelled since is dropped without moving time.
            if self.is_stale(&action, at) {
                continue;
            }
            self.now = self.now.max(at);
            self.run(action);
            return true;
        }
    }

    /// Runs actions up to `until` within one interaction's budget of events and actions.
    fn run_budgeted(&mut self, until: Option<SimTime>) -> Result<usize, WorldError> {
        let start = self.trace.events.len();
        let mut actions = 0usize;
        while self.step_until(until) {
            actions += 1;
            if self.trace.events.len() - start > MAX_EVENTS || actions > MAX_ACTIONS {
                return Err(WorldError::TooManyEvents);
            }
        }
        Ok(self.trace.events.len() - start)
    }

    /// Runs until nothing is left to do, within one interaction's event budget.
    pub fn run_until_idle(&mut self) -> Result<(), WorldError> {
        self.run_budgeted(None).map(|_| ())
    }

    /// Live: runs everything due up to `t`, then sets the clock to `t`. Returns how many
    /// events were recorded.
    pub fn advance_to(&mut self, t: SimTime) -> Result<usize, WorldError> {
        let n = self.run_budgeted(Some(t))?;
        self.now = self.now.max(t);
        Ok(n)
    }

    /// Live: runs everything due at the next wake-up time. Returns the new time, or
    /// `None` when nothing was left to do.
    pub fn advance(&mut self) -> Result<Option<SimTime>, WorldError> {
        let Some(t) = self.next_wakeup() else {
            return Ok(None);
        };
        self.advance_to(t)?;
        Ok(Some(t))
    }

    fn schedule(&mut self, at: SimTime, action: Action) {
        self.agenda.schedule(at, action);
    }

    fn is_stale(&self, action: &Action, at: SimTime) -> bool {
        match action {
            Action::Timer { conn, side } => self.conns[conn.0].ends[idx(*side)].timer != Some(at),
            Action::MtaTimer { host } => {
                self.hosts[*host].mail.as_ref().is_none_or(|m| m.mta_timer != Some(at))
            }
            Action::ConnectTimeout { conn, .. } => self.conns[conn.0].established || !self.conns[conn.0].open,
            // The end gave up by its own timer before TCP would have, or the connection
            // closed otherwise.
            // What is still on its way on a connection that has ended (sent again through an
            // outage, and a reset ended it first).
            #[cfg(feature = "pop3")]
            Action::Bytes { conn, from, .. } => {
                let c = &self.conns[conn.0];
                !c.open || c.gone(other(*from))
            }
            #[cfg(feature = "pop3")]
            Action::CloseArrives { conn, .. } => !self.conns[conn.0].open,
            #[cfg(feature = "pop3")]
            Action::GiveUp { conn, side } | Action::Reset { conn, side } => {
                let c = &self.conns[conn.0];
                !c.open || c.gone(*side)
            }
            _ => false,
        }
    }

    fn snapshot(&mut self) -> Vec<HostSnapshot> {
        #[cfg(feature = "pop3")]
        self.refresh_pop3_views();
        #[cfg(feature = "imap")]
        self.refresh_imap_views();
        let mut snaps: Vec<HostSnapshot> = self
            .hosts
            .iter()
            .enumerate()
            .map(|(id, h)| {
                let down_until = self.net.down_until(id, self.now);
                match &h.mail {
                    Some(m) => HostSnapshot {
                        sessions: Vec::new(),
                        mailboxes: m.store.inbox_counts().map(|(a, n)| (a.to_string(), n)).collect(),
                        // Only a DMARC quarantine or an IMAP client files mail in Junk.
                        #[cfg(any(feature = "trust", feature = "imap"))]
                        junk: m.store.junk_counts().map(|(a, n)| (a.to_string(), n)).collect(),
                        #[cfg(feature = "imap")]
                        filed: m.store.filed_counts().map(|(a, n)| (a.to_string(), n)).collect(),
                        queued: m.mta.queued(),
                        queue: m.mta.items(),
                        down_until,
                        #[cfg(feature = "pop3")]
                        pop3: None,
                        #[cfg(feature = "imap")]
                        imap: None,
                    },
                    None => HostSnapshot { down_until, ..HostSnapshot::default() },
                }
            })
            .collect();
        #[cfg(feature = "pop3")]
        for (snap, view) in snaps.iter_mut().zip(&self.mail_programs.views) {
            snap.pop3.clone_from(view);
        }
        #[cfg(feature = "imap")]
        for (snap, view) in snaps.iter_mut().zip(&self.imap.views) {
            snap.imap.clone_from(view);
        }
        for &id in &self.shown {
            let (i, c) = (id.0, &self.conns[id.0]);
            for (side, host) in [(Side::Client, c.client), (Side::Server, c.server)] {
                if (side == Side::Client && c.client_gone) || (side == Side::Server && c.server_gone) {
                    continue;
                }
                let end = &c.ends[idx(side)];
                let state = match &end.machine {
                    Some(m) => m.state(),
                    None if side == Side::Client => SessionState::Typed,
                    None => continue,
                };
                snaps[host].sessions.push(SessionView {
                    conn: ConnId(i),
                    side,
                    state,
                    sending: end.in_flight > 0,
                });
            }
        }
        snaps
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        sent: SimTime,
        from: HostId,
        to: HostId,
        protocol: Protocol,
        kind: EventKind,
        conn: Option<ConnId>,
        bytes: Vec<u8>,
    ) {
        let index = self.trace.events.len();
        // What POP3 shows can only change with a POP3 event or inside a host (a delivery,
        // a mail program's note), besides a released lock (see `release_maildrop`).
        #[cfg(feature = "pop3")]
        if protocol == Protocol::Pop3 || (protocol == Protocol::Local && self.mail_programs.shows_anything())
        {
            self.mail_programs.dirty = true;
        }
        // What IMAP shows changes with an IMAP event, a POP3 one (a QUIT deletes) or
        // inside a host (a delivery).
        #[cfg(feature = "imap")]
        if protocol == Protocol::Imap
            || (matches!(protocol, Protocol::Pop3 | Protocol::Local) && self.imap.shows_anything())
        {
            self.imap.dirty = true;
        }
        let hosts = self.snapshot();
        self.trace.events.push(TraceEvent {
            index,
            sent,
            at: self.now,
            from,
            to,
            protocol,
            kind,
            conn,
            bytes,
            hosts,
        });
    }

    /// Records an event that happens inside `host`, now.
    fn local(&mut self, host: HostId, kind: EventKind, bytes: Vec<u8>) {
        self.record(self.now, host, host, Protocol::Local, kind, None, bytes);
    }

    /// A note on `host` about what became of connection `conn` (it timed out, broke, was
    /// cut): it belongs to the connection, as a terminal shows it in the session.
    fn conn_note(&mut self, host: HostId, conn: ConnId, text: String) {
        self.record(self.now, host, host, Protocol::Local, EventKind::Note, Some(conn), text.into_bytes());
    }

    fn run(&mut self, action: Action) {
        match action {
            Action::Note { host, text } => self.local(host, EventKind::Note, text.into_bytes()),
            Action::Lookup { host, name, qtype, lookup } => {
                let Some(resolver) = self.resolver else {
                    let answer = self.zone.query(&name, qtype);
                    return self.lookup_done(host, &name, qtype, answer, *lookup);
                };
                let t = self.net.transmit(host, resolver, self.now);
                let cut_off = self.net.is_down(host, self.now);
                if self.net.is_down(resolver, t.at) || cut_off {
                    let at = self.now.plus(DNS_TIMEOUT);
                    return self.schedule(at, Action::DnsTimeout { host, name, qtype, lookup, cut_off });
                }
                self.schedule(t.at, Action::DnsQueryArrives { host, name, qtype, lookup, sent: self.now });
            }
            Action::DnsQueryArrives { host, name, qtype, lookup, sent } => {
                let resolver = self.resolver.unwrap_or(host);
                let question = format!("{name}. IN {qtype}");
                let check = lookup.is_check();
                let kind = EventKind::DnsQuery { name: name.clone(), qtype: qtype.to_string(), check };
                self.record(sent, host, resolver, Protocol::Dns, kind, None, question.into_bytes());
                let answer = self.zone.query(&name, qtype);
                let at = self.net.transmit(resolver, host, self.now).at;
                self.schedule(
                    at,
                    Action::DnsAnswerArrives { host, name, qtype, answer, lookup, sent: self.now },
                );
            }
            Action::DnsAnswerArrives { host, name, qtype, answer, lookup, sent } => {
                let resolver = self.resolver.unwrap_or(host);
                let records = answer.presentation(&name, qtype);
                let kind = EventKind::DnsAnswer {
                    name: name.clone(),
                    qtype: qtype.to_string(),
                    records: records.clone(),
                    check: lookup.is_check(),
                };
                let mut text = records.join("\n");
                text.push('\n');
                self.record(sent, resolver, host, Protocol::Dns, kind, None, text.into_bytes());
                self.lookup_done(host, &name, qtype, answer, *lookup);
            }
            Action::DnsTimeout { host, name, qtype, lookup, cut_off } => {
                let resolver = self.resolver.map(|r| self.hosts[r].info.name.clone()).unwrap_or_default();
                let why = if cut_off {
                    let me = &self.hosts[host].info.name;
                    format!(
                        "{me}{CUT_OFF}: its question {name} {qtype} never reached the DNS resolver {resolver}, and it gave up after 5 s"
                    )
                } else {
                    format!("the DNS resolver {resolver} did not answer {name} {qtype} within 5 s")
                };
                self.local(host, EventKind::Note, format!("No answer: {why}.").into_bytes());
                match *lookup {
                    Lookup::Submit { .. } => {}
                    #[cfg(feature = "pop3")]
                    Lookup::Retrieve { .. } => {}
                    #[cfg(feature = "imap")]
                    Lookup::Imap { user } => self.imap_connect(host, &Answer::NoData, user),
                    #[cfg(feature = "trust")]
                    Lookup::Auth { job } => self.auth_answer(job, None),
                    #[cfg(feature = "sandbox")]
                    Lookup::Typed { conn } => self.typed_found(conn, &name, None),
                    Lookup::Mta { id } => {
                        self.mta_input(host, |m, now| {
                            m.attempt_result(&id, &name, AttemptResult::NoConnection(why), now)
                        });
                    }
                }
            }
            Action::ConnectArrives { conn, sent } => self.connect_arrives(conn, sent),
            #[cfg(not(feature = "pop3"))]
            Action::Broken { conn, side } => {
                let c = &mut self.conns[conn.0];
                if !c.open {
                    return;
                }
                c.open = false;
                self.shown.retain(|s| *s != conn);
                let (me, peer) =
                    if side == Side::Client { (c.client, c.server) } else { (c.server, c.client) };
                // Said of the host that is down: it gives up nothing, it is gone.
                let (name, secs) = (&self.hosts[peer].info.name, CONNECT_TIMEOUT.0 / 1_000_000);
                let text =
                    format!("The connection with {name} broke: {name} was down, no answer for {secs} s.");
                self.conn_note(me, conn, text);
                // Both ends hear of it, so a relaying client reports to its queue.
                self.end_closed(conn, Side::Server);
                self.end_closed(conn, Side::Client);
            }
            #[cfg(feature = "pop3")]
            Action::GiveUp { conn, side: Side::Client } => self.client_gives_up(conn, true),
            #[cfg(feature = "pop3")]
            Action::GiveUp { conn, side: Side::Server } => self.server_tcp_gives_up(conn),
            #[cfg(feature = "pop3")]
            Action::Reset { conn, side } => self.reset_arrives(conn, side),
            Action::RefusedArrives { conn, text, sent } => {
                let c = &mut self.conns[conn.0];
                c.open = false;
                let (client, server, port) = (c.client, c.server, c.port);
                let protocol = self.protocol_of(conn);
                self.record(
                    sent,
                    server,
                    client,
                    protocol,
                    EventKind::Refused { port },
                    Some(conn),
                    text.clone().into_bytes(),
                );
                self.no_connection(conn, text);
            }
            Action::ConnectTimeout { conn, cut_off } => {
                let c = &mut self.conns[conn.0];
                c.open = false;
                let (client, server, port) = (c.client, c.server, c.port);
                let name = self.hosts[server].info.name.clone();
                let addr = self.hosts[server].info.addr.clone();
                let secs = CONNECT_TIMEOUT.0 / 1_000_000;
                let text = if cut_off {
                    let me = &self.hosts[client].info.name;
                    format!(
                        "No answer from {name} ({addr}) on port {port}: {me}{CUT_OFF}, so its request never left; the connection timed out after {secs} s."
                    )
                } else {
                    format!(
                        "No answer from {name} ({addr}) on port {port}: the connection timed out after {secs} s."
                    )
                };
                self.conn_note(client, conn, text.clone());
                self.no_connection(conn, text);
            }
            Action::Bytes { conn, from, bytes, kind, sent } => {
                self.bytes_arrive(conn, from, bytes, kind, sent)
            }
            Action::CloseArrives { conn, from, sent } => {
                let c = &mut self.conns[conn.0];
                if !c.open {
                    return;
                }
                c.open = false;
                self.shown.retain(|s| *s != conn);
                let (client, server) = (c.client, c.server);
                let (src, dst) = if from == Side::Client { (client, server) } else { (server, client) };
                let protocol = self.protocol_of(conn);
                self.record(sent, src, dst, protocol, EventKind::Close, Some(conn), Vec::new());
                self.end_closed(conn, other(from));
            }
            Action::Timer { conn, side } => {
                let now = self.now;
                let mut outs = Vec::new();
                if let Some(m) = self.conns[conn.0].ends[idx(side)].machine.as_mut() {
                    m.handle_timeout(now);
                    outs.extend(std::iter::from_fn(|| m.poll_output()));
                }
                self.conns[conn.0].ends[idx(side)].timer = None;
                self.release_maildrop(conn, side);
                #[cfg(feature = "imap")]
                if self.conns[conn.0].ends[idx(side)].machine.as_ref().is_some_and(|m| m.is_closed()) {
                    self.imap_release(conn, side);
                }
                self.after_outputs(conn, side, outs, None);
            }
            Action::MtaTimer { host } => {
                if let Some(m) = self.mail_mut(host) {
                    m.mta_timer = None;
                }
                self.mta_input(host, |m, now| m.handle_timeout(now));
            }
            #[cfg(feature = "imap")]
            Action::ImapWake { host, user } => self.imap_wake(host, user),
        }
    }

    fn protocol_of(&self, conn: ConnId) -> Protocol {
        let c = &self.conns[conn.0];
        self.hosts[c.server].services.get(&c.port).map_or(Protocol::Smtp, |s| s.protocol())
    }

    fn host_by_addr(&self, addr: &str) -> Option<HostId> {
        self.hosts.iter().position(|h| h.info.addr == addr)
    }

    /// Opens a TCP connection from `client` to `port` of `server`; the SYN arrives after
    /// the link's latency, or never when the server is down.
    fn connect(
        &mut self,
        client: HostId,
        server: HostId,
        port: u16,
        client_end: End,
        job: ConnJob,
    ) -> ConnId {
        let id = self.add_conn(client, server, port, client_end, job);
        self.dial(id, client, server);
        id
    }

    /// A connection from `client` to `port` of `server`, numbered, not yet under way.
    fn add_conn(
        &mut self,
        client: HostId,
        server: HostId,
        port: u16,
        client_end: End,
        job: ConnJob,
    ) -> ConnId {
        let id = ConnId(self.conns.len());
        let protocol = self.hosts[server].services.get(&port).map_or(Protocol::Smtp, |s| s.protocol());
        self.conns.push(Conn {
            client,
            server,
            port,
            ends: [client_end, End::default()],
            job,
            established: false,
            shown: false,
            open: true,
            #[cfg(feature = "pop3")]
            dead: None,
            #[cfg(feature = "pop3")]
            resending: [SimTime::ZERO; 2],
            #[cfg(feature = "pop3")]
            outage: None,
            #[cfg(feature = "pop3")]
            last_sent: [SimTime::ZERO; 2],
            client_gone: false,
            server_gone: false,
            inbox: Vec::new(),
            #[cfg(feature = "sandbox")]
            by_name: false,
            #[cfg(feature = "sandbox")]
            found_at: None,
            last_arrival: [SimTime::ZERO; 2],
        });
        self.trace.conns.push(ConnInfo { client, server, port, protocol, tls_from: None });
        id
    }

    /// Connection `id` from `client` to `server` gets under way: its SYN arrives after the
    /// link's latency, or never when the server is down.
    fn dial(&mut self, id: ConnId, client: HostId, server: HostId) {
        let t = self.net.transmit(client, server, self.now);
        // Bytes written at once follow the SYN, never overtake it.
        self.conns[id.0].last_arrival[idx(Side::Client)] = t.at;
        let cut_off = self.net.is_down(client, self.now);
        if self.net.is_down(server, t.at) || cut_off {
            self.schedule(self.now.plus(CONNECT_TIMEOUT), Action::ConnectTimeout { conn: id, cut_off });
        } else {
            self.schedule(t.at, Action::ConnectArrives { conn: id, sent: self.now });
        }
        self.arm(id, Side::Client);
    }

    /// The DNS's answer for a person's connection opened by name (`None`: no answer came):
    /// the connection goes to the host at the address, or ends as telnet ends it, with the
    /// resolver's words.
    #[cfg(feature = "sandbox")]
    fn typed_found(&mut self, conn: ConnId, name: &str, answer: Option<&Answer>) {
        let c = &self.conns[conn.0];
        if !c.open {
            return;
        }
        let (client, port) = (c.client, c.port);
        let addr = answer.and_then(Answer::first_addr);
        let Some(server) = addr.and_then(|a| self.host_by_addr(a)) else {
            // getaddrinfo's words for each (EAI_NONAME, EAI_NODATA, EAI_AGAIN).
            let why = match answer {
                Some(Answer::NxDomain) => "Name or service not known",
                Some(_) => "No address associated with hostname",
                None => "Temporary failure in name resolution",
            };
            let text = match addr {
                // An address no host has (an `a` record of a world): as the MTA finds it.
                Some(_) => "telnet: Unable to connect to remote host: No route to host".to_string(),
                None => format!("telnet: could not resolve {name}/{port}: {why}"),
            };
            self.conns[conn.0].open = false;
            self.conn_note(client, conn, text);
            return self.end_closed(conn, Side::Client);
        };
        let protocol = self.hosts[server].services.get(&port).map_or(Protocol::Smtp, |s| s.protocol());
        self.conns[conn.0].server = server;
        self.conns[conn.0].found_at = Some(self.trace.events.len());
        let info = &mut self.trace.conns[conn.0];
        (info.server, info.protocol) = (server, protocol);
        self.dial(conn, client, server);
    }

    /// The service on the port answers the connection, or the host refuses it.
    fn connect_arrives(&mut self, conn: ConnId, sent: SimTime) {
        let (client, server, port) =
            (self.conns[conn.0].client, self.conns[conn.0].server, self.conns[conn.0].port);
        let peer = Peer { addr: self.hosts[client].info.addr.clone(), name: None };
        let now = self.now;
        let service = self.hosts[server].services.get(&port).copied();
        let tls = self.hosts[server].tls.get(&port).copied().unwrap_or_default();
        let machine: Option<Box<dyn Session>> = match (service, self.hosts[server].mail.as_mut()) {
            (Some(Service::Smtp | Service::Submission), Some(m)) => {
                let session = m.next_session_id();
                let mut config = m.config.clone();
                // Submission (RFC 6409): logins, and where STARTTLS is offered, passwords
                // only after it (RFC 4954 §6, as RFC 8314 §3.3 wants of clear-text logins).
                config.submission = service == Some(Service::Submission);
                config.tls = tls;
                config.auth_needs_tls = config.submission && tls != TlsPolicy::Off;
                // A host that checks senders does so on the port servers deliver to.
                #[cfg(feature = "trust")]
                {
                    config.check_senders = service == Some(Service::Smtp) && m.auth.checks.any();
                }
                // A fault rule may replace the greeting (`reply HOST GREETING 554 ...`).
                Some(Box::new(match self.faults.take_reply(server, "GREETING") {
                    Some(reply) => SmtpServer::with_greeting(config, peer, &session, now, reply),
                    None => SmtpServer::new(config, peer, &session, now),
                }))
            }
            #[cfg(feature = "pop3")]
            (Some(Service::Pop3), Some(m)) => {
                m.sessions += 1;
                let config = crate::pop3::server::Pop3Config::new(&m.config.hostname);
                Some(Box::new(crate::pop3::server::Pop3Server::new(config, peer, u64::from(m.sessions), now)))
            }
            #[cfg(feature = "imap")]
            (Some(Service::Imap), Some(m)) => {
                let config = crate::imap::server::ImapConfig::new(&m.config.hostname);
                Some(Box::new(crate::imap::server::ImapServer::new(config, peer, now)))
            }
            _ => None,
        };
        let protocol = self.protocol_of(conn);
        self.conns[conn.0].shown = machine.is_some();
        if machine.is_some() {
            self.shown.push(conn);
        }
        let Some(mut machine) = machine else {
            self.record(sent, client, server, protocol, EventKind::Connect { port }, Some(conn), Vec::new());
            // Nothing listens there: the host answers the SYN with a reset, as TCP does.
            let name = self.hosts[server].info.name.clone();
            let text = match service {
                Some(svc) => format!(
                    "Connection refused: {name} declares {} on port {port}, but Mailroom does not simulate {} yet.",
                    svc.name(),
                    svc.name()
                ),
                None => format!("Connection refused: {name} runs no service on port {port}."),
            };
            let at = self.net.transmit(server, client, now).at;
            self.conns[conn.0].established = true;
            return self.schedule(at, Action::RefusedArrives { conn, text, sent: now });
        };
        self.conns[conn.0].established = true;
        let outs: Vec<Output> = std::iter::from_fn(|| machine.poll_output()).collect();
        self.conns[conn.0].ends[idx(Side::Server)].machine = Some(machine);
        // As for bytes that arrive: the server is in the snapshot of the connect, its
        // greeting on its way ("greets the client"), not yet arrived.
        let sends = outs.iter().filter(|o| matches!(o, Output::Send { .. })).count() as u32;
        let answers = Some(self.trace.events.len());
        self.conns[conn.0].ends[idx(Side::Server)].in_flight += sends;
        self.record(sent, client, server, protocol, EventKind::Connect { port }, Some(conn), Vec::new());
        self.conns[conn.0].ends[idx(Side::Server)].in_flight -= sends;
        self.after_outputs(conn, Side::Server, outs, answers);
    }

    /// Bytes from side `from` arrive at the other side.
    fn bytes_arrive(
        &mut self,
        conn: ConnId,
        from: Side,
        bytes: Vec<u8>,
        kind: Option<EventKind>,
        sent: SimTime,
    ) {
        let to = other(from);
        let now = self.now;
        let c = &mut self.conns[conn.0];
        if !c.open {
            return;
        }
        c.ends[idx(from)].in_flight = c.ends[idx(from)].in_flight.saturating_sub(1);
        #[cfg(feature = "pop3")]
        if self.arrives_after_close(conn, from, &bytes) {
            return;
        }
        let c = &mut self.conns[conn.0];
        if let Some(EventKind::Tls { flight, size }) = kind {
            return self.tls_arrives(conn, from, flight, size, sent);
        }
        let (client, server) = (c.client, c.server);
        let kind = match (kind, &c.ends[idx(to)].machine) {
            (Some(k), _) => k,
            (None, Some(m)) => m.classify(&bytes),
            (None, None) => EventKind::Command { verb: String::new() },
        };
        let index = self.trace.events.len();
        let mut outs = Vec::new();
        let c = &mut self.conns[conn.0];
        // A person's terminal that is told `220` to STARTTLS starts TLS, as `openssl
        // s_client -starttls smtp` does (telnet could not; the server would wait for ever).
        let typed_tls = to == Side::Client
            && c.ends[idx(to)].machine.is_none()
            && matches!(&kind, EventKind::Reply { status, to_verb: Some(v), .. }
                if v == "STARTTLS" && status.smtp_code() == Some(220));
        match c.ends[idx(to)].machine.as_mut() {
            Some(m) => {
                let host = if to == Side::Server { server } else { client };
                let h = &mut self.hosts[host];
                match h.mail.as_mut() {
                    Some(mail) => {
                        let mut env = HostEnv { host, now, mail, faults: &mut self.faults };
                        m.handle_input(&bytes, now, &mut env);
                    }
                    None => m.handle_input(&bytes, now, &mut crate::session::Directory::default()),
                }
                outs.extend(std::iter::from_fn(|| m.poll_output()));
            }
            // A server side without a machine (nothing listens): the bytes are dropped.
            None if to == Side::Server => {}
            None => {
                // A person reads what came back.
                c.inbox.extend_from_slice(&bytes);
                if c.inbox.len() > MAX_TYPED_INBOX {
                    let cut = c.inbox.len() - MAX_TYPED_INBOX;
                    c.inbox.drain(..cut);
                }
            }
        }
        // The receiver's answers are on their way from now: count them before the
        // snapshot, so its state never reads as if they had arrived.
        let sends = outs.iter().filter(|o| matches!(o, Output::Send { .. })).count() as u32;
        self.conns[conn.0].ends[idx(to)].in_flight += sends;
        let (src, dst) = if from == Side::Client { (client, server) } else { (server, client) };
        let protocol = self.protocol_of(conn);
        self.record(sent, src, dst, protocol, kind, Some(conn), bytes);
        self.conns[conn.0].ends[idx(to)].in_flight -= sends;
        self.after_outputs(conn, to, outs, Some(index));
        if typed_tls {
            let flight = TlsFlight::ClientHello;
            self.send(
                conn,
                Side::Client,
                Vec::new(),
                Some(EventKind::Tls { flight, size: flight.typical_size() }),
            );
        }
        // A POP3 QUIT or an IMAP command may have changed the store: IDLE sessions hear.
        #[cfg(feature = "imap")]
        if to == Side::Server && matches!(protocol, Protocol::Pop3 | Protocol::Imap) {
            self.imap_store_changed(server);
        }
    }

    /// A flight of the simulated TLS handshake arrives (RFC 8446 §2): the receiver answers
    /// with the next flight; the client is done when the server's flight arrives, the
    /// server when the client's Finished does. Then each side's machine is told, and the
    /// connection is encrypted from there on. No real cryptography happens.
    fn tls_arrives(&mut self, conn: ConnId, from: Side, flight: TlsFlight, size: usize, sent: SimTime) {
        let to = other(from);
        let now = self.now;
        let (client, server) = (self.conns[conn.0].client, self.conns[conn.0].server);
        let next = match flight {
            TlsFlight::ClientHello => Some(TlsFlight::ServerHello),
            TlsFlight::ServerHello => Some(TlsFlight::ClientFinished),
            TlsFlight::ClientFinished => None,
        };
        let mut outs = Vec::new();
        if flight != TlsFlight::ClientHello
            && let Some(m) = self.conns[conn.0].ends[idx(to)].machine.as_mut()
        {
            m.handle_tls(now);
            outs.extend(std::iter::from_fn(|| m.poll_output()));
        }
        let sends = outs.iter().filter(|o| matches!(o, Output::Send { .. })).count() as u32
            + u32::from(next.is_some());
        self.conns[conn.0].ends[idx(to)].in_flight += sends;
        let (src, dst) = if from == Side::Client { (client, server) } else { (server, client) };
        let protocol = self.protocol_of(conn);
        let index = self.trace.events.len();
        self.record(sent, src, dst, protocol, EventKind::Tls { flight, size }, Some(conn), Vec::new());
        self.conns[conn.0].ends[idx(to)].in_flight -= sends;
        if flight == TlsFlight::ClientFinished {
            self.trace.conns[conn.0].tls_from = Some(index);
        }
        if let Some(next) = next {
            self.send(conn, to, Vec::new(), Some(EventKind::Tls { flight: next, size: next.typical_size() }));
        }
        self.after_outputs(conn, to, outs, None);
    }

    /// Schedules bytes from `side` of `conn`.
    fn send(&mut self, conn: ConnId, side: Side, bytes: Vec<u8>, kind: Option<EventKind>) {
        let c = &mut self.conns[conn.0];
        #[cfg(feature = "pop3")]
        {
            c.last_sent[idx(side)] = self.now;
        }
        // Nothing crosses a dead connection: TCP sends it again in vain, and gives up.
        if c.is_dead() {
            #[cfg(feature = "pop3")]
            self.sent_on_dead(conn, side);
            return;
        }
        let (a, b) = if side == Side::Client { (c.client, c.server) } else { (c.server, c.client) };
        c.ends[idx(side)].in_flight += 1;
        #[cfg(feature = "pop3")]
        let at = {
            if self.cut_as_sent(conn, side, b, &bytes, kind.as_ref()) {
                return;
            }
            match self.net.resent(a, b, self.now, cut::TCP_GIVE_UP) {
                Some((at, 0)) => at,
                // One end is down: nothing acknowledges the segment.
                resent => return self.unacknowledged(conn, side, Some((bytes, kind)), resent.map(|r| r.0)),
            }
        };
        // Without the engine's `pop3` feature (whose lessons never take a host down
        // mid-session: `core/build.rs`), both ends lose the connection after 30 s.
        #[cfg(not(feature = "pop3"))]
        let at = {
            let t = self.net.transmit(a, b, self.now);
            if self.net.is_down(a, self.now) || self.net.is_down(b, t.at) {
                let at = self.now.plus(CONNECT_TIMEOUT);
                self.conns[conn.0].ends[idx(side)].in_flight -= 1;
                return self.schedule(at, Action::Broken { conn, side });
            }
            t.at
        };
        let at = self.in_order(conn, side, at);
        self.schedule(at, Action::Bytes { conn, from: side, bytes, kind, sent: self.now });
    }

    /// `side` closes `conn`: its FIN is on its way to the other end.
    fn close_from(&mut self, conn: ConnId, side: Side) {
        let (a, b) = self.ends_of(conn, side);
        #[cfg(feature = "pop3")]
        let at = match self.net.resent(a, b, self.now, cut::TCP_GIVE_UP) {
            Some((at, 0)) => at,
            resent => return self.unacknowledged(conn, side, None, resent.map(|r| r.0)),
        };
        #[cfg(not(feature = "pop3"))]
        let at = self.net.transmit(a, b, self.now).at;
        let at = self.in_order(conn, side, at);
        self.schedule(at, Action::CloseArrives { conn, from: side, sent: self.now });
    }

    /// The hosts of `conn` as (the host of `side`, its peer).
    fn ends_of(&self, conn: ConnId, side: Side) -> (HostId, HostId) {
        let c = &self.conns[conn.0];
        if side == Side::Client { (c.client, c.server) } else { (c.server, c.client) }
    }

    /// The arrival time of the next segment from `side`, never before the previous one.
    fn in_order(&mut self, conn: ConnId, side: Side, at: SimTime) -> SimTime {
        let last = &mut self.conns[conn.0].last_arrival[idx(side)];
        *last = (*last).max(at);
        *last
    }

    /// Acts on what `side` of `conn` asked for, then re-arms its timer. `answers` is the
    /// event whose bytes made it answer.
    fn after_outputs(&mut self, conn: ConnId, side: Side, outs: Vec<Output>, answers: Option<usize>) {
        for out in outs {
            match out {
                Output::Send { bytes, mut kind } => {
                    // A reply answers the event whose bytes made the machine send it (a
                    // command, the message, the connect for a greeting; none for a timer).
                    if let EventKind::Reply { answers: a, status, .. } = &mut kind {
                        *a = answers;
                        // A tagged IMAP response completes the command with its tag (RFC 9051
                        // §2.2.2), whatever line came last: IDLE's OK comes after DONE.
                        #[cfg(feature = "imap")]
                        if let crate::trace::Status::Imap(crate::trace::ImapResponse::Tagged {
                            tag, ..
                        }) = status
                        {
                            let tagged = |e: &crate::trace::TraceEvent| {
                                e.conn == Some(conn)
                                    && matches!(e.kind, EventKind::Command { .. })
                                    && e.bytes
                                        .strip_prefix(tag.as_bytes())
                                        .is_some_and(|r| r.first() == Some(&b' '))
                            };
                            // Back to this connection's start at most.
                            let opened = |e: &crate::trace::TraceEvent| {
                                e.conn == Some(conn) && matches!(e.kind, EventKind::Connect { .. })
                            };
                            let events = &self.trace.events;
                            let from = events.iter().rposition(opened).unwrap_or(0);
                            *a = events[from..].iter().rposition(tagged).map(|i| from + i).or(*a);
                        }
                        #[cfg(not(feature = "imap"))]
                        let _ = status;
                    }
                    self.send(conn, side, bytes, Some(kind));
                }
                Output::Request(Request::Accept(a)) => {
                    let host = self.conns[conn.0].server;
                    #[cfg(feature = "trust")]
                    let a = {
                        let mut a = a;
                        let port = self.conns[conn.0].port;
                        if self.hosts[host].services.get(&port) == Some(&Service::Submission) {
                            self.sign(host, &mut a);
                        }
                        a
                    };
                    self.accept(host, a);
                }
                // The host checks the sender, over DNS, then gives the server its verdict.
                #[cfg(feature = "trust")]
                Output::Request(Request::Verify(v)) => self.verify(conn, v, answers),
                // The client starts the handshake once the server's 220 has arrived; the
                // server, having sent it, just waits for the ClientHello.
                Output::Request(Request::StartTls) if side == Side::Client => {
                    let flight = TlsFlight::ClientHello;
                    self.send(
                        conn,
                        side,
                        Vec::new(),
                        Some(EventKind::Tls { flight, size: flight.typical_size() }),
                    );
                }
                Output::Request(Request::StartTls) => {}
                // An end of a dead connection gives up on it: the client when no answer
                // came, the server by its inactivity timer.
                #[cfg(feature = "pop3")]
                Output::Close if self.conns[conn.0].is_dead() => match (side, answers) {
                    (Side::Client, None) => self.client_gives_up(conn, false),
                    (Side::Server, None) => self.dead_end_closes(conn),
                    // It closes after answering (a QUIT): its answer and its close are lost.
                    (_, Some(_)) => self.end_lets_go(conn, side),
                },
                // After its 221 the server closes the channel (RFC 5321 §4.1.1.10), as it
                // does after a 421; the client closes too, and whichever close arrives
                // first ends the connection.
                Output::Close => {
                    // A client that closes by its own timer, during or after an outage.
                    #[cfg(feature = "pop3")]
                    if side == Side::Client && answers.is_none() {
                        self.client_timed_out(conn);
                    }
                    self.close_from(conn, side)
                }
            }
        }
        self.arm(conn, side);
        if side == Side::Client {
            self.report_outcome(conn);
        }
    }

    /// Arms `side`'s timer for what its machine asks.
    fn arm(&mut self, conn: ConnId, side: Side) {
        // At most one timer action per side is in the agenda: a deadline that moves later
        // (every command moves an SMTP server's) keeps the action already scheduled, which
        // re-arms itself when it fires early. Only an earlier deadline schedules anew.
        let end = &mut self.conns[conn.0].ends[idx(side)];
        let Some(want) = end.machine.as_ref().and_then(|m| m.poll_timeout()) else {
            return;
        };
        let want = want.max(self.now);
        if end.timer.is_none_or(|t| want < t) {
            end.timer = Some(want);
            self.schedule(want, Action::Timer { conn, side });
        }
    }

    /// The connection ended for `side`: its machine hears of it, and the client's job.
    fn end_closed(&mut self, conn: ConnId, side: Side) {
        self.end_gone(conn, side);
        self.conns[conn.0].ends[idx(other(side))].timer = None;
        self.report_outcome(conn);
    }

    /// `side` lets go of the connection: its machine hears of it, and what its session
    /// held (a POP3 maildrop's lock, an IMAP session's watch) is released.
    pub(super) fn end_gone(&mut self, conn: ConnId, side: Side) {
        let now = self.now;
        let end = &mut self.conns[conn.0].ends[idx(side)];
        end.timer = None;
        if let Some(m) = end.machine.as_mut() {
            m.handle_close(now);
        }
        self.release_maildrop(conn, side);
        #[cfg(feature = "imap")]
        self.imap_release(conn, side);
    }

    /// A POP3 session that ended without QUIT (the peer left, the autologout) leaves its
    /// maildrop unlocked and unchanged (RFC 1939 §6): the machine cannot ask the host then,
    /// so the World does it for it.
    #[cfg(feature = "pop3")]
    fn release_maildrop(&mut self, conn: ConnId, side: Side) {
        let c = &self.conns[conn.0];
        let host = if side == Side::Server { c.server } else { c.client };
        let Some(pop3) = c.ends[idx(side)]
            .machine
            .as_ref()
            .and_then(|m| m.as_any().downcast_ref::<crate::pop3::server::Pop3Server>())
            .filter(|p| p.is_closed())
        else {
            return;
        };
        let (Some(user), session) = (pop3.user().map(str::to_string), pop3.session()) else {
            return;
        };
        if let Some(m) = self.hosts[host].mail.as_mut() {
            m.store.unlock(&user, crate::store::SessionKey(session));
        }
        self.mail_programs.dirty = true;
    }

    #[cfg(not(feature = "pop3"))]
    fn release_maildrop(&mut self, _conn: ConnId, _side: Side) {}

    /// When a mail client's attempt is over, its job hears what became of it.
    fn report_outcome(&mut self, conn: ConnId) {
        if matches!(self.conns[conn.0].job, ConnJob::Reported | ConnJob::Typed) {
            return;
        }
        #[cfg(feature = "pop3")]
        if matches!(self.conns[conn.0].job, ConnJob::Retrieve { .. }) {
            return self.retrieval_done(conn);
        }
        #[cfg(feature = "imap")]
        if matches!(self.conns[conn.0].job, ConnJob::Imap { .. }) {
            return self.imap_progress(conn);
        }
        // A relay hands the message on at the `250` after its data; a mail program reports
        // to its user when the conversation is over.
        let relay = matches!(self.conns[conn.0].job, ConnJob::Relay { .. });
        let Some(outcome) = self.client_outcome(conn, relay) else {
            return;
        };
        let job = std::mem::replace(&mut self.conns[conn.0].job, ConnJob::Reported);
        let client = self.conns[conn.0].client;
        match job {
            ConnJob::Relay { id, exchange } => {
                self.mta_input(client, |m, now| {
                    m.attempt_result(&id, &exchange, AttemptResult::Finished(outcome), now)
                });
            }
            ConnJob::Submit => {
                let refused: Vec<String> = outcome
                    .recipients
                    .iter()
                    .filter_map(|(r, s)| match s {
                        RcptStatus::Delivered(_) => None,
                        RcptStatus::Failed(reply) => Some(format!("{r}: {reply}")),
                        RcptStatus::Interrupted(why) => Some(format!("{r}: {why}")),
                    })
                    .collect();
                // Refused before any recipient was named (the login, MAIL FROM): one
                // error for the whole message, which stays in the Outbox to be sent again.
                let whole = self.conns[conn.0].ends[idx(Side::Client)]
                    .machine
                    .as_ref()
                    .and_then(|m| m.as_any().downcast_ref::<SmtpClient>())
                    .and_then(SmtpClient::refused_whole);
                if let Some(reply) = whole {
                    let text = format!(
                        "The mail program reports an error and keeps the message in its Outbox: {reply}"
                    );
                    self.local(client, EventKind::Note, text.into_bytes());
                } else if !refused.is_empty() {
                    let text = format!("The mail client reports an error: {}", refused.join("; "));
                    self.local(client, EventKind::Note, text.into_bytes());
                }
            }
            ConnJob::Typed | ConnJob::Reported => {}
            #[cfg(feature = "pop3")]
            ConnJob::Retrieve { .. } => {}
            #[cfg(feature = "imap")]
            ConnJob::Imap { .. } => {}
        }
    }

    fn client_outcome(&self, conn: ConnId, settled: bool) -> Option<crate::smtp::client::Outcome> {
        let m = self.conns[conn.0].ends[idx(Side::Client)].machine.as_ref()?;
        let client = m.as_any().downcast_ref::<SmtpClient>()?;
        if settled { client.settled() } else { client.outcome() }
    }

    /// The queue manager of `host` takes an input; what it asks for is done at once.
    fn mta_input(&mut self, host: HostId, input: impl FnOnce(&mut Mta, SimTime)) {
        let now = self.now;
        let Some(m) = self.mail_mut(host) else {
            return;
        };
        input(&mut m.mta, now);
        self.drain_mta_shown(host);
    }

    /// [`Self::drain_mta`], and what the queue decided with no event of its own (a failed
    /// attempt's next try, its last error) belongs to the state after the note of this same
    /// instant, on this host, that told it (a timeout, a broken connection): there may be no
    /// later event before the retry to show it. (What arrives from another host shows its
    /// effect from the next step, as everywhere else.) Not generic, so not copied into each
    /// of `mta_input`'s callers.
    fn drain_mta_shown(&mut self, host: HostId) {
        let now = self.now;
        let before = self.trace.events.len();
        self.drain_mta(host);
        if self.trace.events.len() == before
            && let Some(last) = self.trace.events.last_mut().filter(|e| {
                e.at == now && matches!(e.kind, EventKind::Note) && e.from == host && e.to == host
            })
            && let Some(m) = self.hosts[host].mail.as_ref()
        {
            let snap = &mut last.hosts[host];
            snap.queued = m.mta.queued();
            snap.queue = m.mta.items();
        }
    }

    /// The server on `host` owns a message now: its queue manager delivers it locally or
    /// queues it for relay.
    fn accept(&mut self, host: HostId, a: Accepted) {
        let now = self.now;
        let Some(m) = self.hosts[host].mail.as_mut() else {
            return;
        };
        #[cfg(feature = "trust")]
        let (junk, before) = (a.junk, self.trace.events.len());
        let mut store = Mailboxes { store: &mut m.store, directory: &m.directory, now };
        m.mta.accept(a, now, &mut store);
        self.drain_mta(host);
        #[cfg(feature = "trust")]
        if junk {
            self.note_junk(host, before);
        }
    }

    fn drain_mta(&mut self, host: HostId) {
        while let Some(out) = self.mail_mut(host).and_then(|m| m.mta.poll_output()) {
            match out {
                MtaOutput::Delivered { mailbox, stored } => {
                    self.local(host, EventKind::Delivery { mailbox }, stored);
                    // An IDLE session hears of it at once (RFC 2177 §3).
                    #[cfg(feature = "imap")]
                    self.imap_store_changed(host);
                }
                MtaOutput::Queued { id, recipients } => {
                    let text = format!("Queued as {id} for {}", recipients.join(", "));
                    self.local(host, EventKind::Queued { recipients }, text.into_bytes());
                }
                MtaOutput::Lookup { id, name, qtype } => self.schedule(
                    self.now,
                    Action::Lookup { host, name, qtype, lookup: Box::new(Lookup::Mta { id }) },
                ),
                MtaOutput::Connect { id, exchange, addr, envelope, message } => {
                    match self.host_by_addr(&addr) {
                        Some(server) => {
                            let helo = self.hosts[host].info.name.clone();
                            // Servers relay with STARTTLS when the next one offers it.
                            let client = SmtpClient::new(&helo, envelope, message, self.now).with_starttls();
                            let end = End { machine: Some(Box::new(client)), ..End::default() };
                            self.connect(host, server, SMTP_PORT, end, ConnJob::Relay { id, exchange });
                        }
                        None => {
                            let why = format!("no host answers at {addr}");
                            let now = self.now;
                            if let Some(m) = self.mail_mut(host) {
                                m.mta.attempt_result(&id, &exchange, AttemptResult::NoConnection(why), now);
                            }
                        }
                    }
                }
                MtaOutput::Bounced { sender, dsn, resubmit } => {
                    self.local(host, EventKind::Bounce { sender }, dsn);
                    self.accept(host, resubmit);
                }
                MtaOutput::Warned { sender, dsn, resubmit } => {
                    self.local(host, EventKind::Delayed { sender }, dsn);
                    self.accept(host, resubmit);
                }
                MtaOutput::Dropped { why } => self.local(host, EventKind::Note, why.into_bytes()),
            }
        }
        // Arm the queue's timer for its next retry.
        let now = self.now;
        let Some(m) = self.mail_mut(host) else {
            return;
        };
        let want = m.mta.poll_timeout().map(|t| t.max(now));
        if want.is_some() && want != m.mta_timer {
            m.mta_timer = want;
            if let Some(t) = want {
                self.schedule(t, Action::MtaTimer { host });
            }
        }
    }

    fn lookup_done(&mut self, host: HostId, name: &str, qtype: &str, answer: Answer, lookup: Lookup) {
        match lookup {
            Lookup::Submit { server_name, port, envelope, message, program } => {
                let Some(server) = answer.first_addr().and_then(|a| self.host_by_addr(a)) else {
                    let text = format!(
                        "The mail client cannot find the server {server_name}: the message stays in the Outbox."
                    );
                    return self.local(host, EventKind::Note, text.into_bytes());
                };
                let helo = self.hosts[host].info.name.clone();
                // On the submission port a mail program logs in as the sender, with the
                // password the world gives that user (RFC 6409 §4.3, RFC 4954), and uses
                // STARTTLS wherever it is offered (RFC 3207).
                // A lesson may set the program up otherwise: a mistyped password, LOGIN
                // instead of PLAIN, no login at all, or a badly written program.
                let login = (self.hosts[server].services.get(&port) == Some(&Service::Submission))
                    .then(|| envelope.mail_from.to_ascii_lowercase())
                    .and_then(|user| {
                        let password = program.password.clone().or_else(|| self.password_of(&user))?;
                        Some((user, password, program.login?))
                    });
                let mut client = SmtpClient::new(&helo, envelope, message, self.now)
                    .with_starttls()
                    .with_flaw(program.flaw);
                if let Some((user, password, mechanism)) = login {
                    client = client.with_login(&user, &password).with_mechanism(mechanism);
                }
                let end = End { machine: Some(Box::new(client)), ..End::default() };
                self.connect(host, server, port, end, ConnJob::Submit);
            }
            Lookup::Mta { id } => self.mta_input(host, |m, now| m.dns_answer(&id, name, qtype, &answer, now)),
            #[cfg(feature = "pop3")]
            Lookup::Retrieve { server_name, user, password, keep } => {
                self.retrieve_connect(host, &answer, &server_name, user, &password, keep)
            }
            #[cfg(feature = "imap")]
            Lookup::Imap { user } => self.imap_connect(host, &answer, user),
            #[cfg(feature = "trust")]
            Lookup::Auth { job } => self.auth_answer(job, Some(&answer)),
            #[cfg(feature = "sandbox")]
            Lookup::Typed { conn } => self.typed_found(conn, name, Some(&answer)),
        }
    }

    /// No connection was made: the client's job hears it in the World's own words.
    fn no_connection(&mut self, conn: ConnId, why: String) {
        let job = &mut self.conns[conn.0].job;
        if matches!(job, ConnJob::Relay { .. })
            && let ConnJob::Relay { id, exchange } = std::mem::replace(job, ConnJob::Reported)
        {
            let client = self.conns[conn.0].client;
            self.mta_input(client, |m, now| {
                m.attempt_result(&id, &exchange, AttemptResult::NoConnection(why), now)
            });
        }
        // A mail program or a person hears it from its own machine (or sees the note).
        self.end_closed(conn, Side::Client);
    }
}

#[cfg(test)]
pub(crate) mod tests;
