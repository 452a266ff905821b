//! The World: hosts, links, DNS and mail servers, driven by one deterministic scheduler in
//! virtual time. Everything that happens is recorded in the [`Trace`], in one total order.
//!
//! The World only moves bytes and time between sans-IO state machines; the protocols live
//! in [`crate::smtp`]. Actions are kept in an agenda ordered by (time, sequence number),
//! so the same inputs give the same trace, byte for byte. [`World::step`] runs one action,
//! so a World can also grow live (a sandbox adds actions while a student types).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::dns::{Answer, Zone};
use crate::lesson::{EmailSpec, Lesson, LessonError};
use crate::mail::{self, Bounce, ComposeError, Draft, Failure};
use crate::smtp::client::{ClientOutput, Envelope, RcptStatus, SmtpClient};
use crate::smtp::server::{Accepted, Peer, ServerConfig, ServerOutput, SmtpServer};
use crate::time::{SimDuration, SimTime};
use crate::trace::{
    ConnInfo, EventKind, HostId, HostInfo, HostRole, HostSnapshot, Protocol, Trace, TraceEvent,
};

/// A World that produces more events than this is stopped: some loop is wrong.
pub const MAX_EVENTS: usize = 20_000;
/// Latency of a link nobody configured.
pub const DEFAULT_LATENCY: SimDuration = SimDuration::from_millis(30);
/// Delays before the 2nd, 3rd, ... delivery attempt of a queued message. Real MTAs retry
/// for days (RFC 5321 §4.5.4.1 suggests giving up after 4–5 days); virtual time is cheap
/// but lessons should stay short, so the simulated queue gives up after three attempts.
pub const RETRY_DELAYS: [SimDuration; 2] = [SimDuration::from_secs(5 * 60), SimDuration::from_secs(30 * 60)];
/// The SMTP port between servers (RFC 5321 §4.5.4.2 — well-known port 25).
pub const SMTP_PORT: u16 = 25;

/// A mail server's storage: its mailboxes and its outgoing queue.
#[derive(Clone, Debug)]
pub struct Mta {
    pub config: ServerConfig,
    /// Messages as stored, per mailbox address, in arrival order.
    pub mailboxes: BTreeMap<String, Vec<Vec<u8>>>,
    queue: Vec<QueueEntry>,
    sessions: u32,
}

impl Mta {
    pub fn new(config: ServerConfig) -> Mta {
        let mailboxes = config.mailboxes.iter().map(|m| (m.clone(), Vec::new())).collect();
        Mta { config, mailboxes, queue: Vec::new(), sessions: 0 }
    }

    /// A fresh id for a server session (used in queue ids), deterministic.
    pub fn next_session_id(&mut self) -> String {
        self.sessions += 1;
        let h = self
            .config
            .hostname
            .bytes()
            .fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
        // The whole counter, never truncated: queue ids must not repeat (they name queue
        // entries).
        format!("{:06X}{:02X}", h & 0xFF_FFFF, self.sessions)
    }

    /// Files `message` into the local `mailbox`, with `Return-Path:` (RFC 5321 §4.4).
    /// Returns the stored bytes.
    pub fn deliver_local(&mut self, mailbox: &str, mail_from: &str, message: &[u8]) -> Vec<u8> {
        let stored = mail::with_return_path(mail_from, message);
        self.mailboxes.entry(mailbox.to_string()).or_default().push(stored.clone());
        stored
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

#[derive(Clone, Debug)]
struct QueueEntry {
    id: String,
    mail_from: String,
    domain: String,
    /// Recipients not yet delivered nor failed.
    pending: Vec<String>,
    failures: Vec<Failure>,
    message: Vec<u8>,
    arrival: SimTime,
    attempts: usize,
    /// The reason of the last temporary failure.
    last_error: Option<(String, Option<String>)>,
}

struct Host {
    info: HostInfo,
    mta: Option<Mta>,
}

/// Why a connection exists.
#[derive(Clone, Debug)]
enum ConnJob {
    /// A person's mail client hands a message to its server.
    Submit,
    /// A server relays queue entry `id`.
    Relay { id: String },
    /// The outcome was handled; nothing is left to report.
    Reported,
}

struct Conn {
    client: HostId,
    server: HostId,
    client_sm: SmtpClient,
    server_sm: Option<SmtpServer>,
    job: ConnJob,
    open: bool,
}

/// What a DNS lookup is for.
#[derive(Clone, Debug)]
enum Lookup {
    /// A mail client finds its server: then connects and sends.
    Submit { server_name: String, envelope: Envelope, message: Vec<u8> },
    /// A server looks for the MX of a queued message's domain.
    Mx { id: String },
    /// ... and then the address of exchange `idx` of `exchanges`.
    Addr { id: String, exchanges: Vec<String>, idx: usize },
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
        lookup: Lookup,
    },
    DnsQueryArrives {
        host: HostId,
        name: String,
        qtype: &'static str,
        lookup: Lookup,
        sent: SimTime,
    },
    DnsAnswerArrives {
        host: HostId,
        name: String,
        qtype: &'static str,
        answer: Answer,
        lookup: Lookup,
        sent: SimTime,
    },
    ConnectArrives {
        conn: usize,
        sent: SimTime,
    },
    ToServer {
        conn: usize,
        bytes: Vec<u8>,
        kind: EventKind,
        sent: SimTime,
    },
    ToClient {
        conn: usize,
        bytes: Vec<u8>,
        kind: EventKind,
        sent: SimTime,
    },
    CloseArrives {
        conn: usize,
        sent: SimTime,
    },
    Attempt {
        host: HostId,
        id: String,
    },
}

struct Scheduled {
    at: SimTime,
    seq: u64,
    action: Action,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A problem running a World.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorldError {
    TooManyEvents,
}

impl std::fmt::Display for WorldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorldError::TooManyEvents => {
                write!(f, "the simulation produced more than {MAX_EVENTS} events")
            }
        }
    }
}

/// The simulated Internet.
pub struct World {
    now: SimTime,
    hosts: Vec<Host>,
    links: Vec<(HostId, HostId, SimDuration)>,
    zone: Zone,
    resolver: Option<HostId>,
    agenda: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    conns: Vec<Conn>,
    trace: Trace,
    messages: u64,
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

impl World {
    pub fn new() -> World {
        World {
            now: SimTime::ZERO,
            hosts: Vec::new(),
            links: Vec::new(),
            zone: Zone::default(),
            resolver: None,
            agenda: BinaryHeap::new(),
            seq: 0,
            conns: Vec::new(),
            trace: Trace::default(),
            messages: 0,
        }
    }

    // ----- building -------------------------------------------------------------------

    /// Adds a host; a host with a server configuration runs an SMTP server and an MTA.
    pub fn add_host(&mut self, info: HostInfo, server: Option<ServerConfig>) -> HostId {
        self.trace.hosts.push(info.clone());
        self.hosts.push(Host { info, mta: server.map(Mta::new) });
        self.hosts.len() - 1
    }

    pub fn link(&mut self, a: HostId, b: HostId, latency: SimDuration) {
        self.links.push((a, b, latency));
    }

    pub fn zone_mut(&mut self) -> &mut Zone {
        &mut self.zone
    }

    /// The host that answers DNS questions for everybody.
    pub fn set_resolver(&mut self, host: HostId) {
        self.resolver = Some(host);
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

    /// The messages stored in `addr`'s mailbox, wherever it lives.
    pub fn mailbox(&self, addr: &str) -> Option<&[Vec<u8>]> {
        self.hosts
            .iter()
            .filter_map(|h| h.mta.as_ref())
            .find_map(|m| m.mailboxes.get(&addr.to_ascii_lowercase()))
            .map(Vec::as_slice)
    }

    /// The server configuration of `host`, to change a World before it runs.
    pub fn server_config_mut(&mut self, host: HostId) -> Option<&mut ServerConfig> {
        self.hosts.get_mut(host)?.mta.as_mut().map(|m| &mut m.config)
    }

    /// True when nothing is left to do.
    pub fn is_idle(&self) -> bool {
        self.agenda.is_empty()
    }

    // ----- inputs ---------------------------------------------------------------------

    /// A narrator's note at the current time, shown on `host`.
    pub fn note(&mut self, host: HostId, text: &str) {
        self.schedule(self.now, Action::Note { host, text: text.to_string() });
    }

    /// A person on `host` writes `draft` and presses Send: the mail client looks up
    /// `server_name` and hands the message over with SMTP.
    pub fn send_mail(&mut self, host: HostId, server_name: &str, draft: &Draft) -> Result<(), ComposeError> {
        self.messages += 1;
        let from = mail::addr_spec(draft.from).to_string();
        let id = format!(
            "{}.{}@{}",
            20261130090000u64 + self.now.as_millis() / 1000,
            self.messages,
            mail::domain_of(&from)
        );
        let message = mail::compose(draft, self.now, &id)?;
        let envelope = Envelope {
            mail_from: from,
            rcpt_to: draft.to.iter().map(|t| mail::addr_spec(t).to_string()).collect(),
        };
        let lookup = Lookup::Submit { server_name: server_name.to_string(), envelope, message };
        self.schedule(self.now, Action::Lookup { host, name: server_name.to_string(), qtype: "A", lookup });
        Ok(())
    }

    // ----- running --------------------------------------------------------------------

    /// Runs the next action. Returns false when there was none.
    pub fn step(&mut self) -> bool {
        if self.trace.events.is_empty() {
            self.trace.initial = self.snapshot();
        }
        let Some(Reverse(next)) = self.agenda.pop() else {
            return false;
        };
        self.now = self.now.max(next.at);
        self.run(next.action);
        true
    }

    /// Runs until nothing is left to do.
    pub fn run_until_idle(&mut self) -> Result<(), WorldError> {
        while self.step() {
            if self.trace.events.len() > MAX_EVENTS {
                return Err(WorldError::TooManyEvents);
            }
        }
        Ok(())
    }

    fn schedule(&mut self, at: SimTime, action: Action) {
        self.seq += 1;
        self.agenda.push(Reverse(Scheduled { at, seq: self.seq, action }));
    }

    fn latency(&self, a: HostId, b: HostId) -> SimDuration {
        self.links
            .iter()
            .find(|(x, y, _)| (*x, *y) == (a, b) || (*x, *y) == (b, a))
            .map(|l| l.2)
            .unwrap_or(DEFAULT_LATENCY)
    }

    fn arrival(&self, a: HostId, b: HostId) -> SimTime {
        self.now.plus(self.latency(a, b))
    }

    fn snapshot(&self) -> Vec<HostSnapshot> {
        self.hosts
            .iter()
            .enumerate()
            .map(|(id, h)| {
                let server = self.conns.iter().rev().find(|c| c.open && c.server == id);
                let client = self.conns.iter().rev().find(|c| c.open && c.client == id);
                let client_state = client.map(|c| c.client_sm.state().to_string()).unwrap_or_default();
                let (state, client_state) = match h.info.role {
                    HostRole::Dns => (String::new(), String::new()),
                    HostRole::Client if client_state.is_empty() => ("Idle".to_string(), String::new()),
                    HostRole::Client => (client_state, String::new()),
                    HostRole::MailServer => {
                        let state = server
                            .and_then(|c| c.server_sm.as_ref())
                            .map(|s| s.state().to_string())
                            .unwrap_or_else(|| "Idle".to_string());
                        (state, client_state)
                    }
                };
                let (mailboxes, queued) = match &h.mta {
                    Some(m) => (m.mailboxes.iter().map(|(k, v)| (k.clone(), v.len())).collect(), m.queued()),
                    None => (Vec::new(), 0),
                };
                HostSnapshot { state, client_state, mailboxes, queued }
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        sent: SimTime,
        from: HostId,
        to: HostId,
        protocol: Protocol,
        kind: EventKind,
        conn: Option<usize>,
        bytes: Vec<u8>,
    ) {
        let index = self.trace.events.len();
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

    fn run(&mut self, action: Action) {
        match action {
            Action::Note { host, text } => self.local(host, EventKind::Note, text.into_bytes()),
            Action::Lookup { host, name, qtype, lookup } => {
                let Some(resolver) = self.resolver else {
                    let answer = self.zone.query(&name, qtype);
                    return self.lookup_done(host, &name, qtype, answer, lookup);
                };
                let at = self.arrival(host, resolver);
                self.schedule(at, Action::DnsQueryArrives { host, name, qtype, lookup, sent: self.now });
            }
            Action::DnsQueryArrives { host, name, qtype, lookup, sent } => {
                let resolver = self.resolver.unwrap_or(host);
                let question = format!("{name}. IN {qtype}");
                let kind = EventKind::DnsQuery { name: name.clone(), qtype: qtype.to_string() };
                self.record(sent, host, resolver, Protocol::Dns, kind, None, question.into_bytes());
                let answer = self.zone.query(&name, qtype);
                let at = self.arrival(resolver, host);
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
                };
                let mut text = records.join("\n");
                text.push('\n');
                self.record(sent, resolver, host, Protocol::Dns, kind, None, text.into_bytes());
                self.lookup_done(host, &name, qtype, answer, lookup);
            }
            Action::ConnectArrives { conn, sent } => {
                let (client, server) = (self.conns[conn].client, self.conns[conn].server);
                let peer = Peer { addr: self.hosts[client].info.addr.clone(), name: None };
                let sm = self.hosts[server].mta.as_mut().map(|m| {
                    let session = m.next_session_id();
                    SmtpServer::new(m.config.clone(), peer, &session)
                });
                let refused = sm.is_none();
                self.conns[conn].server_sm = sm;
                self.record(
                    sent,
                    client,
                    server,
                    Protocol::Smtp,
                    EventKind::Connect { port: SMTP_PORT },
                    Some(conn),
                    Vec::new(),
                );
                if refused {
                    // No SMTP server on that host: the connection is refused, a temporary
                    // failure for the client (retry, then bounce), never a silent stall.
                    let name = self.hosts[server].info.name.clone();
                    self.local(
                        client,
                        EventKind::Note,
                        format!("Connection refused: {name} runs no mail server on port {SMTP_PORT}.")
                            .into_bytes(),
                    );
                    self.conns[conn].open = false;
                    self.conns[conn].client_sm.handle_close();
                    self.drain_client(conn);
                } else {
                    self.drain_server(conn);
                }
            }
            Action::ToServer { conn, bytes, kind, sent } => {
                let now = self.now;
                if let Some(s) = self.conns[conn].server_sm.as_mut() {
                    s.handle_input(&bytes, now);
                }
                let (client, server) = (self.conns[conn].client, self.conns[conn].server);
                self.record(sent, client, server, Protocol::Smtp, kind, Some(conn), bytes);
                self.drain_server(conn);
            }
            Action::ToClient { conn, bytes, kind, sent } => {
                self.conns[conn].client_sm.handle_input(&bytes);
                let (client, server) = (self.conns[conn].client, self.conns[conn].server);
                self.record(sent, server, client, Protocol::Smtp, kind, Some(conn), bytes);
                self.drain_client(conn);
            }
            Action::CloseArrives { conn, sent } => {
                if let Some(s) = self.conns[conn].server_sm.as_mut() {
                    s.handle_close();
                }
                self.conns[conn].open = false;
                let (client, server) = (self.conns[conn].client, self.conns[conn].server);
                self.record(sent, client, server, Protocol::Smtp, EventKind::Close, Some(conn), Vec::new());
            }
            Action::Attempt { host, id } => {
                let Some(domain) = self.entry(host, &id).map(|e| e.domain.clone()) else {
                    return;
                };
                if let Some(e) = self.entry_mut(host, &id) {
                    e.attempts += 1;
                }
                self.schedule(
                    self.now,
                    Action::Lookup { host, name: domain, qtype: "MX", lookup: Lookup::Mx { id } },
                );
            }
        }
    }

    fn entry(&self, host: HostId, id: &str) -> Option<&QueueEntry> {
        self.hosts[host].mta.as_ref()?.queue.iter().find(|e| e.id == id)
    }

    fn entry_mut(&mut self, host: HostId, id: &str) -> Option<&mut QueueEntry> {
        self.hosts[host].mta.as_mut()?.queue.iter_mut().find(|e| e.id == id)
    }

    fn host_by_addr(&self, addr: &str) -> Option<HostId> {
        self.hosts.iter().position(|h| h.info.addr == addr)
    }

    /// Opens an SMTP connection from `client` to `server`.
    fn connect(&mut self, client: HostId, server: HostId, sm: SmtpClient, job: ConnJob) {
        self.conns.push(Conn { client, server, client_sm: sm, server_sm: None, job, open: true });
        self.trace.conns.push(ConnInfo { client, server, port: SMTP_PORT, protocol: Protocol::Smtp });
        let conn = self.conns.len() - 1;
        let at = self.arrival(client, server);
        self.schedule(at, Action::ConnectArrives { conn, sent: self.now });
    }

    fn lookup_done(&mut self, host: HostId, name: &str, qtype: &str, answer: Answer, lookup: Lookup) {
        match lookup {
            Lookup::Submit { server_name, envelope, message } => {
                let Some(server) = answer.first_addr().and_then(|a| self.host_by_addr(a)) else {
                    let text = format!(
                        "The mail client cannot find the server {server_name}: the message stays in the Outbox."
                    );
                    return self.local(host, EventKind::Note, text.into_bytes());
                };
                let helo = self.hosts[host].info.name.clone();
                self.connect(host, server, SmtpClient::new(&helo, envelope, message), ConnJob::Submit);
            }
            Lookup::Mx { id } => match answer {
                Answer::Records(_) => self.resolve_exchange(host, id, answer.exchanges(), 0),
                // No MX: the domain itself is the implicit MX (RFC 5321 §5.1).
                Answer::NoData => self.resolve_exchange(host, id, vec![name.to_string()], 0),
                Answer::NxDomain => {
                    let why = format!("the domain {name} does not exist (DNS: NXDOMAIN)");
                    self.fail_all(host, &id, "5.1.2", None, &why);
                    self.finish_attempt(host, &id);
                }
            },
            Lookup::Addr { id, exchanges, idx } => {
                match answer.first_addr().and_then(|a| self.host_by_addr(a)) {
                    Some(server) => {
                        let Some(e) = self.entry(host, &id) else {
                            return;
                        };
                        let envelope =
                            Envelope { mail_from: e.mail_from.clone(), rcpt_to: e.pending.clone() };
                        let message = e.message.clone();
                        let helo = self.hosts[host].info.name.clone();
                        let sm = SmtpClient::new(&helo, envelope, message);
                        self.connect(host, server, sm, ConnJob::Relay { id });
                    }
                    None if idx + 1 < exchanges.len() => self.resolve_exchange(host, id, exchanges, idx + 1),
                    None => {
                        let why = format!("no address found for the mail server of {qtype} {name}");
                        if let Some(e) = self.entry_mut(host, &id) {
                            e.last_error = Some((why, None));
                        }
                        self.finish_attempt(host, &id);
                    }
                }
            }
        }
    }

    fn resolve_exchange(&mut self, host: HostId, id: String, exchanges: Vec<String>, idx: usize) {
        let name = exchanges[idx].clone();
        self.schedule(
            self.now,
            Action::Lookup { host, name, qtype: "A", lookup: Lookup::Addr { id, exchanges, idx } },
        );
    }

    fn drain_server(&mut self, conn: usize) {
        loop {
            let Some(out) = self.conns[conn].server_sm.as_mut().and_then(SmtpServer::poll_output) else {
                return;
            };
            match out {
                ServerOutput::Reply { reply, to_verb } => {
                    let kind =
                        EventKind::Reply { code: reply.code, enhanced: reply.enhanced.clone(), to_verb };
                    let at = self.arrival(self.conns[conn].server, self.conns[conn].client);
                    self.schedule(
                        at,
                        Action::ToClient { conn, bytes: reply.to_bytes(), kind, sent: self.now },
                    );
                }
                ServerOutput::Accepted(a) => {
                    let server = self.conns[conn].server;
                    self.accept(server, a);
                }
                // The client closes after reading 221; its Close is the one recorded.
                ServerOutput::Close => {}
            }
        }
    }

    fn drain_client(&mut self, conn: usize) {
        while let Some(out) = self.conns[conn].client_sm.poll_output() {
            let at = self.arrival(self.conns[conn].client, self.conns[conn].server);
            let sent = self.now;
            match out {
                ClientOutput::Command { verb, bytes } => self
                    .schedule(at, Action::ToServer { conn, bytes, kind: EventKind::Command { verb }, sent }),
                ClientOutput::Data(bytes) => {
                    self.schedule(at, Action::ToServer { conn, bytes, kind: EventKind::MessageData, sent })
                }
                ClientOutput::Close => self.schedule(at, Action::CloseArrives { conn, sent }),
            }
        }
        if let Some(outcome) = self.conns[conn].client_sm.outcome() {
            let job = std::mem::replace(&mut self.conns[conn].job, ConnJob::Reported);
            let client = self.conns[conn].client;
            let server_name = self.hosts[self.conns[conn].server].info.name.clone();
            match job {
                ConnJob::Relay { id } => {
                    for (rcpt, status) in outcome.recipients {
                        self.relay_result(client, &id, &rcpt, status, &server_name);
                    }
                    self.finish_attempt(client, &id);
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
                    if !refused.is_empty() {
                        let text = format!("The mail client reports an error: {}", refused.join("; "));
                        self.local(client, EventKind::Note, text.into_bytes());
                    }
                }
                ConnJob::Reported => {}
            }
        }
    }

    fn relay_result(&mut self, host: HostId, id: &str, rcpt: &str, status: RcptStatus, server_name: &str) {
        let Some(e) = self.entry_mut(host, id) else {
            return;
        };
        match status {
            RcptStatus::Delivered(_) => e.pending.retain(|r| r != rcpt),
            RcptStatus::Failed(reply) if reply.is_permanent() => {
                e.pending.retain(|r| r != rcpt);
                e.failures.push(Failure {
                    recipient: rcpt.to_string(),
                    status: reply.enhanced.clone().unwrap_or_else(|| format!("{}.0.0", reply.code / 100)),
                    remote_mta: Some(server_name.to_string()),
                    diagnostic: reply.to_string(),
                });
            }
            RcptStatus::Failed(reply) => {
                e.last_error = Some((reply.to_string(), Some(server_name.to_string())))
            }
            RcptStatus::Interrupted(why) => e.last_error = Some((why, Some(server_name.to_string()))),
        }
    }

    fn fail_all(&mut self, host: HostId, id: &str, status: &str, remote: Option<String>, why: &str) {
        if let Some(e) = self.entry_mut(host, id) {
            for r in std::mem::take(&mut e.pending) {
                e.failures.push(Failure {
                    recipient: r,
                    status: status.to_string(),
                    remote_mta: remote.clone(),
                    diagnostic: why.to_string(),
                });
            }
        }
    }

    /// After a delivery attempt: retry what failed for now, bounce what failed for good,
    /// and take the entry off the queue when nothing is left.
    fn finish_attempt(&mut self, host: HostId, id: &str) {
        let Some(e) = self.entry(host, id) else {
            return;
        };
        if !e.pending.is_empty() {
            if let Some(delay) = RETRY_DELAYS.get(e.attempts - 1) {
                let at = self.now.plus(*delay);
                self.schedule(at, Action::Attempt { host, id: id.to_string() });
                return;
            }
            // Out of attempts: what is still pending fails (RFC 3463 4.4.7 → 5.4.7 expired).
            let (why, remote) = e.last_error.clone().unwrap_or(("no answer".into(), None));
            self.fail_all(host, id, "5.4.7", remote, &format!("delivery time expired; last error: {why}"));
        }
        let Some(mta) = self.hosts[host].mta.as_mut() else {
            return;
        };
        let Some(pos) = mta.queue.iter().position(|e| e.id == id) else {
            return;
        };
        let e = mta.queue.remove(pos);
        if e.failures.is_empty() {
            return;
        }
        // Never bounce a bounce (RFC 5321 §6.2): a message with a null sender is dropped
        // with a note, as every MTA does.
        if e.mail_from.is_empty() {
            let text = "The bounce could not be delivered either. A bounce is never bounced: it is dropped.";
            return self.local(host, EventKind::Note, text.as_bytes().to_vec());
        }
        self.messages += 1;
        let reporting = self.hosts[host].info.name.clone();
        let message_id = format!("bounce.{}.{}@{reporting}", e.id, self.messages);
        let dsn = mail::dsn(&Bounce {
            reporting_mta: &reporting,
            sender: &e.mail_from,
            arrival: e.arrival,
            now: self.now,
            message_id: &message_id,
            original: &e.message,
            failures: &e.failures,
        });
        self.local(host, EventKind::Bounce { sender: e.mail_from.clone() }, dsn.clone());
        let id = format!("{}B", e.id);
        self.accept(
            host,
            Accepted {
                id,
                mail_from: String::new(),
                rcpt_to: vec![e.mail_from],
                message: dsn,
                received_at: self.now,
            },
        );
    }

    /// The server on `host` owns a message now: deliver it locally or queue it for relay.
    fn accept(&mut self, host: HostId, a: Accepted) {
        let Some(mta) = self.hosts[host].mta.as_mut() else {
            return;
        };
        let mut remote: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut delivered = Vec::new();
        let mut unknown = Vec::new();
        for rcpt in &a.rcpt_to {
            let domain = mail::domain_of(rcpt);
            if mta.config.is_local_domain(&domain) {
                match mta.config.local_mailbox(rcpt) {
                    Some(mbox) => {
                        let stored = mta.deliver_local(&mbox, &a.mail_from, &a.message);
                        delivered.push((mbox, stored));
                    }
                    None => unknown.push(rcpt.clone()),
                }
            } else {
                remote.entry(domain).or_default().push(rcpt.clone());
            }
        }
        let mut queued = Vec::new();
        for (i, (domain, rcpts)) in remote.into_iter().enumerate() {
            let id = if i == 0 { a.id.clone() } else { format!("{}-{i}", a.id) };
            queued.push((id.clone(), rcpts.clone()));
            mta.queue.push(QueueEntry {
                id,
                mail_from: a.mail_from.clone(),
                domain,
                pending: rcpts,
                failures: Vec::new(),
                message: a.message.clone(),
                arrival: a.received_at,
                attempts: 0,
                last_error: None,
            });
        }
        for (mbox, stored) in delivered {
            self.local(host, EventKind::Delivery { mailbox: mbox }, stored);
        }
        for (id, rcpts) in queued {
            let text = format!("Queued as {id} for {}", rcpts.join(", "));
            self.local(host, EventKind::Queued { recipients: rcpts }, text.into_bytes());
            self.schedule(self.now, Action::Attempt { host, id });
        }
        // A local recipient that vanished after RCPT was accepted (cannot happen with a
        // fixed configuration) still gets a bounce rather than silence.
        if !unknown.is_empty() {
            let mta = self.hosts[host].mta.as_mut().expect("checked above");
            mta.queue.push(QueueEntry {
                id: format!("{}-x", a.id),
                mail_from: a.mail_from.clone(),
                domain: String::new(),
                pending: Vec::new(),
                failures: unknown
                    .into_iter()
                    .map(|r| Failure {
                        recipient: r,
                        status: "5.1.1".into(),
                        remote_mta: None,
                        diagnostic: "no such mailbox".into(),
                    })
                    .collect(),
                message: a.message,
                arrival: a.received_at,
                attempts: 1,
                last_error: None,
            });
            let id = format!("{}-x", a.id);
            self.finish_attempt(host, &id);
        }
    }
}

// ----- the standard world of the lessons -----------------------------------------------

/// Names and addresses of the standard world (documentation ranges, RFC 5737).
pub mod names {
    pub const LAPTOP: &str = "laptop.example.org";
    pub const ALICE_SERVER: &str = "smtp.example.org";
    pub const RESOLVER: &str = "ns.example.org";
    pub const BOB_SERVER: &str = "mx.example.net";
    pub const LAPTOP_ADDR: &str = "192.0.2.10";
    pub const ALICE_SERVER_ADDR: &str = "192.0.2.25";
    pub const RESOLVER_ADDR: &str = "192.0.2.53";
    pub const BOB_SERVER_ADDR: &str = "198.51.100.25";
    /// Users of each domain, as `mailroom-serve --help` lists them.
    pub const USERS: &[&str] = &["alice@example.org", "bob@example.net", "carol@example.net"];
}

/// The standard world: Alice's laptop, her provider `smtp.example.org`, a DNS resolver,
/// and Bob's provider `mx.example.net` with the mailboxes of Bob and Carol.
pub fn standard_world() -> (World, HostId) {
    use names::*;
    let mut w = World::new();
    let host = |name: &str, label: &str, addr: &str, role, position| HostInfo {
        name: name.into(),
        label: label.into(),
        addr: addr.into(),
        role,
        position,
    };
    let laptop = w.add_host(host(LAPTOP, "Alice's laptop", LAPTOP_ADDR, HostRole::Client, (10, 62)), None);
    let mut org = ServerConfig::new(ALICE_SERVER);
    org.local_domains = vec!["example.org".into()];
    org.mailboxes = vec!["alice@example.org".into()];
    // Alice's laptop is on her provider's network, so the provider relays for it
    // (like Postfix's `permit_mynetworks`). Submission with AUTH comes in a later lesson.
    org.relay_clients = vec![LAPTOP_ADDR.into()];
    let smtp = w.add_host(
        host(ALICE_SERVER, "Alice's provider", ALICE_SERVER_ADDR, HostRole::MailServer, (38, 62)),
        Some(org),
    );
    let ns = w.add_host(host(RESOLVER, "DNS resolver", RESOLVER_ADDR, HostRole::Dns, (52, 16)), None);
    let mut net = ServerConfig::new(BOB_SERVER);
    net.local_domains = vec!["example.net".into()];
    net.mailboxes = vec!["bob@example.net".into(), "carol@example.net".into()];
    let mx = w.add_host(
        host(BOB_SERVER, "Bob's provider", BOB_SERVER_ADDR, HostRole::MailServer, (78, 62)),
        Some(net),
    );
    w.set_resolver(ns);
    w.link(laptop, smtp, SimDuration::from_millis(20));
    w.link(laptop, ns, SimDuration::from_millis(15));
    w.link(smtp, ns, SimDuration::from_millis(2));
    w.link(smtp, mx, SimDuration::from_millis(40));
    w.link(mx, ns, SimDuration::from_millis(25));
    let z = w.zone_mut();
    z.add_mx("example.org", 10, ALICE_SERVER);
    z.add_a(ALICE_SERVER, ALICE_SERVER_ADDR);
    z.add_mx("example.net", 10, BOB_SERVER);
    z.add_a(BOB_SERVER, BOB_SERVER_ADDR);
    z.add_a(RESOLVER, RESOLVER_ADDR);
    z.add_a(LAPTOP, LAPTOP_ADDR);
    (w, laptop)
}

/// Runs the `send` scenario: the person on the laptop sends `email` via smtp.example.org.
pub fn run_send(email: &EmailSpec) -> Result<Trace, String> {
    let (mut w, laptop) = standard_world();
    let first = email.from.split(['<', '@']).next().unwrap_or("").trim();
    let who = if first.is_empty() { "Alice" } else { first };
    w.note(laptop, &format!("{who} writes an email and presses Send."));
    let draft = Draft { from: &email.from, to: &email.to, subject: &email.subject, body: &email.body };
    w.send_mail(laptop, names::ALICE_SERVER, &draft).map_err(|e| e.to_string())?;
    w.run_until_idle().map_err(|e| e.to_string())?;
    Ok(w.into_trace())
}

/// The `send` scenario with `n` messages, one after the other: a long trace, for
/// benchmarks of the engine and of the page.
pub fn run_send_many(email: &EmailSpec, n: usize) -> Result<Trace, String> {
    let (mut w, laptop) = standard_world();
    let draft = Draft { from: &email.from, to: &email.to, subject: &email.subject, body: &email.body };
    for _ in 0..n {
        w.send_mail(laptop, names::ALICE_SERVER, &draft).map_err(|e| e.to_string())?;
        w.run_until_idle().map_err(|e| e.to_string())?;
    }
    Ok(w.into_trace())
}

/// A lesson's World run to the end, and where each of its steps lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonRun {
    pub trace: Trace,
    /// For each step of the lesson: the index of its event, `None` for `@ start`.
    pub anchors: Vec<Option<usize>>,
}

/// Runs a lesson's scenario and resolves every step's anchor.
pub fn run_lesson(lesson: &Lesson) -> Result<LessonRun, LessonError> {
    run_lesson_repeated(lesson, 1)
}

/// The most messages [`run_lesson_repeated`] sends: about 1,900 events.
pub const MAX_REPEAT: usize = 50;

/// Runs a lesson's scenario with its email sent `n` times (clamped to 1..=[`MAX_REPEAT`]),
/// for a long trace; the steps' anchors land on the first message's events.
pub fn run_lesson_repeated(lesson: &Lesson, n: usize) -> Result<LessonRun, LessonError> {
    let n = n.clamp(1, MAX_REPEAT);
    let trace = if n == 1 { run_send(&lesson.email) } else { run_send_many(&lesson.email, n) };
    let trace = trace.map_err(|m| LessonError { line: 0, message: m })?;
    let anchors = lesson.resolve(&trace)?;
    Ok(LessonRun { trace, anchors })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(to: &str, from: &str, tweak: impl FnOnce(&mut World)) -> World {
        let (mut w, laptop) = standard_world();
        tweak(&mut w);
        let to = vec![to.to_string()];
        let draft = Draft { from, to: &to, subject: "Test", body: "Hello" };
        w.send_mail(laptop, names::ALICE_SERVER, &draft).unwrap();
        w.run_until_idle().unwrap();
        w
    }

    fn kinds(w: &World) -> Vec<String> {
        w.trace().events.iter().map(|e| e.kind.label()).collect()
    }

    #[test]
    fn delivered_to_bob() {
        let w = send("bob@example.net", "alice@example.org", |_| {});
        assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1);
        assert_eq!(w.mailbox("alice@example.org").unwrap().len(), 0);
        assert!(w.is_idle());
    }

    #[test]
    fn unknown_user_bounces_back_to_alice_with_a_dsn() {
        let w = send("nobody@example.net", "alice@example.org", |_| {});
        assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
        let alice = w.mailbox("alice@example.org").unwrap();
        assert_eq!(alice.len(), 1, "{:?}", kinds(&w));
        let dsn = String::from_utf8_lossy(&alice[0]);
        // Bounces travel with a null reverse-path (RFC 5321 §4.5.5).
        assert!(dsn.starts_with("Return-Path: <>\r\n"), "{dsn}");
        for want in [
            "report-type=delivery-status",
            "Reporting-MTA: dns; smtp.example.org",
            "Final-Recipient: rfc822; nobody@example.net",
            "Action: failed",
            "Status: 5.1.1",
            "Remote-MTA: dns; mx.example.net",
            "Diagnostic-Code: smtp; 550 5.1.1",
        ] {
            assert!(dsn.contains(want), "{want} missing in {dsn}");
        }
        assert!(kinds(&w).contains(&"bounce".to_string()));
    }

    #[test]
    fn relay_refused_for_a_stranger_is_reported_by_the_client() {
        let w = send("bob@example.net", "alice@example.org", |w| {
            w.server_config_mut(1).unwrap().relay_clients.clear();
        });
        assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
        let last_note = w.trace().events.iter().rev().find(|e| e.kind == EventKind::Note).unwrap();
        assert!(last_note.text().contains("550 5.7.1"), "{}", last_note.text());
        assert!(!kinds(&w).contains(&"queued".to_string()));
    }

    #[test]
    fn a_domain_that_does_not_exist_bounces_with_5_1_2() {
        let w = send("bob@nowhere.test", "alice@example.org", |_| {});
        let dsn = String::from_utf8_lossy(&w.mailbox("alice@example.org").unwrap()[0]).into_owned();
        assert!(dsn.contains("Status: 5.1.2") && dsn.contains("NXDOMAIN"), "{dsn}");
    }

    #[test]
    fn a_bounce_crosses_smtp_with_a_null_sender() {
        // Carol (example.net) sends through smtp.example.org to an unknown user: the bounce
        // goes back to mx.example.net with MAIL FROM:<> (RFC 5321 §4.5.5).
        let w = send("nobody@example.net", "carol@example.net", |_| {});
        let null_mail = w.trace().events.iter().find(|e| {
            e.kind == EventKind::Command { verb: "MAIL".into() } && e.text().starts_with("MAIL FROM:<> ")
        });
        assert!(null_mail.is_some(), "{:?}", kinds(&w));
        let carol = w.mailbox("carol@example.net").unwrap();
        assert_eq!(carol.len(), 1);
        assert!(String::from_utf8_lossy(&carol[0]).contains("Final-Recipient: rfc822; nobody@example.net"));
    }

    #[test]
    fn a_failed_bounce_makes_no_bounce() {
        // The sender's domain does not exist, so the bounce cannot be delivered; it has a
        // null sender, so it is dropped, not bounced again (RFC 5321 §6.2).
        let w = send("nobody@example.net", "ghost@nowhere.test", |_| {});
        let bounces = kinds(&w).iter().filter(|k| *k == "bounce").count();
        assert_eq!(bounces, 1, "{:?}", kinds(&w));
        assert!(
            w.trace().events.iter().any(|e| e.kind == EventKind::Note && e.text().contains("never bounced"))
        );
        assert_eq!(w.mailbox("alice@example.org").unwrap().len(), 0);
        assert!(w.is_idle());
    }

    #[test]
    fn temporary_failures_are_retried_then_bounced() {
        let w = send("bob@example.net", "alice@example.org", |w| {
            // Bob's server accepts no recipient at all: 452 4.5.3, a temporary failure.
            w.server_config_mut(3).unwrap().max_recipients = 0;
        });
        let connects_to_mx = w
            .trace()
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Connect { .. }) && e.to == 3)
            .count();
        assert_eq!(connects_to_mx, 1 + RETRY_DELAYS.len());
        let dsn = String::from_utf8_lossy(&w.mailbox("alice@example.org").unwrap()[0]).into_owned();
        assert!(dsn.contains("Status: 5.4.7") && dsn.contains("452 4.5.3"), "{dsn}");
        // The retries happen later in virtual time.
        assert!(w.now() >= SimTime::ZERO.plus(RETRY_DELAYS[0]));
    }

    #[test]
    fn a_host_without_a_mail_server_refuses_and_the_message_bounces() {
        // ns.example.org has an A record but no SMTP server: refused, retried, bounced.
        let w = send("x@ns.example.org", "alice@example.org", |_| {});
        let refusals = w.trace().events.iter().filter(|e| e.text().starts_with("Connection refused")).count();
        assert_eq!(refusals, 1 + RETRY_DELAYS.len());
        let dsn = String::from_utf8_lossy(&w.mailbox("alice@example.org").unwrap()[0]).into_owned();
        assert!(dsn.contains("Status: 5.4.7") && dsn.contains("closed"), "{dsn}");
        assert!(
            w.hosts.iter().filter_map(|h| h.mta.as_ref()).all(|m| m.queued() == 0),
            "every queue is empty"
        );
    }

    #[test]
    fn queue_ids_stay_unique_over_many_sessions() {
        let (mut w, laptop) = standard_world();
        let to = vec!["bob@example.net".to_string()];
        for i in 0..300 {
            let subject = format!("msg {i}");
            let draft = Draft { from: "alice@example.org", to: &to, subject: &subject, body: "x" };
            w.send_mail(laptop, names::ALICE_SERVER, &draft).unwrap();
        }
        w.run_until_idle().unwrap();
        let bob = w.mailbox("bob@example.net").unwrap();
        let mut subjects: Vec<String> = bob.iter().filter_map(|m| mail::header(m, "Subject")).collect();
        subjects.sort();
        subjects.dedup();
        assert_eq!((bob.len(), subjects.len()), (300, 300));
    }

    #[test]
    fn snapshots_follow_the_protocol_states() {
        let w = send("bob@example.net", "alice@example.org", |_| {});
        let t = w.trace();
        assert_eq!(t.snapshot_at(0)[1].state, "Idle");
        assert!(t.snapshot_at(0)[3].mailboxes.contains(&("bob@example.net".to_string(), 0)));
        assert_eq!(t.snapshot_at(t.len()), t.events.last().unwrap().hosts.as_slice());
        let mail_cmd = t
            .events
            .iter()
            .find(|e| e.kind == EventKind::Command { verb: "MAIL".into() } && e.to == 1)
            .unwrap();
        assert_eq!(mail_cmd.hosts[1].state, "ExpectRcpt");
        assert_eq!(mail_cmd.hosts[0].state, "ExpectMailReply");
        let relay_rcpt = t
            .events
            .iter()
            .find(|e| e.kind == EventKind::Command { verb: "RCPT".into() } && e.to == 3)
            .unwrap();
        assert_eq!(relay_rcpt.hosts[1].client_state, "ExpectRcptReply");
        assert_eq!(relay_rcpt.hosts[3].state, "ExpectRcptOrData");
        assert_eq!(t.events.last().unwrap().hosts[3].state, "Idle");
    }
}
