//! The one thread that serves every client. It waits on all the sockets at once (mio: epoll
//! on Linux, kqueue on macOS and the BSDs) and, when one is ready or a session's timer is
//! due, drives that session's machine through the [`Session`] contract, beside the [`Host`]
//! they all work on. Every protocol decision, the idle timeouts included, is the machines';
//! this loop moves bytes and keeps the clock.
//!
//! One thread, not one per client: the machines and the store are single-threaded, so a
//! message SMTP accepts is in the store before its `250` is written and an IMAP session in
//! IDLE hears of it in the same turn of the loop, with no lock, no copy of a message between
//! threads and no thread woken in between. Under load that is what a server spends its time
//! on: with a thread per client and a store thread, waking threads took more CPU than the
//! mail (`scripts/bench-serve.sh`, README "mailroom-serve under load").
//!
//! Each turn: wait for readiness or the earliest deadline; accept new clients; for every
//! session, read what arrived and give it to its machine a line at a time (stopping while
//! too much waits for a client that does not read), act on its timer; tell the IMAP
//! sessions that the store may have changed; write what the machines queued; end the
//! sessions that are done.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use mailroom_core::imap::server::{ImapConfig, ImapServer};
use mailroom_core::pop3::maildrop;
use mailroom_core::pop3::server::{Pop3Config, Pop3Server};
use mailroom_core::session::{Output, Request, Session};
use mailroom_core::smtp::reply::{Reply, ReplyCode};
use mailroom_core::smtp::server::{Peer, ServerConfig, SmtpServer};
use mailroom_core::time::{SimDuration, SimTime};

use crate::Service;
use crate::host::{Host, HostEnv};
use crate::transcript::{ClientLines, Protocol};

/// At most this many clients at once, over all services; more are told `421 4.3.2`
/// (SMTP, RFC 5321 §3.8), `-ERR [SYS/TEMP]` (POP3, RFC 3206 §4) or `* BYE` (IMAP,
/// RFC 3501 §7.1.5) and closed.
pub const MAX_CLIENTS: usize = 64;

/// Octets waiting to be written to one client beyond which its input is no longer read
/// nor parsed: a client that sends commands faster than it reads the answers waits,
/// unread, until they have gone out, so it cannot make the server hold more and more of
/// them (the write deadline, [`Conn::write`], ends a session whose client does not read
/// them). Checked before every command line, so a client costs at most this and one
/// response (a POP3 `RETR` of the largest message, an IMAP `FETCH` within its own limit).
pub const MAX_BACKLOG: usize = 4 << 20;

/// Octets read from a socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Reads from one client in one turn of the loop, at most (64 KiB): a client that sends
/// without pause is served in turn with the others.
const READS_PER_TURN: usize = 4;

/// How often the loop looks again at a client whose answers have all been handed to the
/// kernel but not all acknowledged ([`Conn::write`]): nothing wakes the loop when they are,
/// so it looks. The machine's idle timer restarts at most this late.
const ACK_CHECK: SimDuration = SimDuration::from_millis(50);

/// How each service's machine is set up, and whether to print the transcript.
pub struct Services {
    pub smtp: ServerConfig,
    pub submission: ServerConfig,
    pub pop3: Pop3Config,
    pub imap: ImapConfig,
    /// The slowest a client may take its answers, in octets a second, once they wait for it
    /// ([`Conn::write`]; [`mailroom_core::time::MIN_RATE`] unless `--min-rate`).
    pub min_rate: u64,
    pub transcript: bool,
    /// `--tls`: how STARTTLS and STLS are answered ([`crate::tls`]); `None`, never asked.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// A session's machine.
enum Machine {
    Smtp(SmtpServer),
    Pop3(Pop3Server),
    Imap(ImapServer),
}

impl Machine {
    fn session(&mut self) -> &mut dyn Session {
        match self {
            Machine::Smtp(m) => m,
            Machine::Pop3(m) => m,
            Machine::Imap(m) => m,
        }
    }

    /// When the machine wants its timer handled; `None` once it is done.
    fn timer(&self) -> Option<SimTime> {
        match self {
            Machine::Smtp(m) => m.poll_timeout(),
            Machine::Pop3(m) => m.poll_timeout(),
            Machine::Imap(m) => m.poll_timeout(),
        }
    }
}

/// Why a session ends before its machine closed it.
enum Broken {
    /// The client closed the connection, and then it could not take what was left.
    Closed,
    /// It broke (the error).
    Error(String),
}

/// One client.
struct Conn {
    service: Service,
    stream: TcpStream,
    machine: Machine,
    /// Read from the client: `input[taken..]` is not yet given to the machine, which gets
    /// a line at a time (at most [`READ_CHUNK`] octets are held here).
    input: Vec<u8>,
    taken: usize,
    /// For the client, not yet written.
    output: Vec<u8>,
    /// While answers wait for the client ([`Conn::waiting`]): by when it must have taken
    /// more of them ([`Conn::write`]).
    write_deadline: Option<SimTime>,
    /// When all that is left is in the kernel, not yet acknowledged: when to look again.
    ack_check: Option<SimTime>,
    /// The longest the client may fall behind: the service's idle timeout.
    write_timeout: SimDuration,
    /// Octets handed to the socket so far, and how many of them the client has taken
    /// (acknowledged), as last seen.
    sent: u64,
    acked: u64,
    /// The socket may hold more to read (readiness is reported once per arrival, so what
    /// was left unread must be remembered).
    unread: bool,
    /// The machine closed (or has no timer left), or the client did: the connection ends
    /// once `output` is written.
    closing: bool,
    /// The client closed its side: what waits is still written (the reply to a QUIT it sent
    /// before closing), but nothing more is read.
    eof: bool,
    /// Ends now, without writing what waits.
    broken: Option<Broken>,
    log: ClientLines,
    /// After the answer to STARTTLS or STLS: the TLS connection, through which everything
    /// is read and written from then on. `input` and the transcript hold the plaintext,
    /// `output` what goes on the wire.
    tls: Option<Box<rustls::ServerConnection>>,
    /// The machine has been told that the handshake is done.
    tls_told: bool,
}

impl Conn {
    /// True while answers wait for the client: in `output`, or handed to the kernel and not
    /// yet acknowledged ([`unacknowledged`]). Meanwhile the machine's idle timer is held,
    /// and the write deadline stands in for it ([`Conn::write`]).
    fn waiting(&self) -> bool {
        !self.output.is_empty() || self.acked < self.sent
    }

    /// The machine's timer, or while answers wait, the write deadline and the next look at
    /// what the client acknowledged.
    fn deadline(&self) -> Option<SimTime> {
        if !self.waiting() {
            return self.machine.timer();
        }
        match (self.write_deadline, self.ack_check) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Reads what arrived (through `buf`) and gives it to the machine, until the socket is
    /// drained, the machine is done, too much waits for the client, or this client had its
    /// share of the turn.
    ///
    /// Back-pressure: every machine gets its input a line at a time, and no line while more
    /// than [`MAX_BACKLOG`] octets wait for the client, so one read of pipelined commands
    /// cannot make the machine answer them all at once (300 pipelined POP3 `RETR`s of a
    /// 10 MB message would be 3 GB; RFC 2449 §6.6 and RFC 2920 §3.1 allow a client to
    /// pipeline, and say nothing of how much). What one client costs is bounded by the
    /// backlog and one response; the rest waits unread, in the socket, until the answers
    /// have gone out. (SMTP's message data goes in a line at a time too: no reply until the
    /// final dot.)
    fn read(&mut self, buf: &mut [u8], host: &mut Host, services: &Services, now: SimTime) {
        let mut reads = 0;
        while self.broken.is_none() && !self.closing && self.output.len() <= MAX_BACKLOG {
            if self.taken < self.input.len() {
                let rest = &self.input[self.taken..];
                let n = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |p| p + 1);
                let line = &rest[..n];
                self.taken += n;
                self.log.feed(line);
                self.machine.session().handle_input(line, now, &mut HostEnv(host));
                if self.taken == self.input.len() {
                    self.input.clear();
                    self.taken = 0;
                }
                self.take_output(host, services, now);
                continue;
            }
            if !self.unread || reads == READS_PER_TURN {
                return;
            }
            reads += 1;
            let read = match &mut self.tls {
                Some(tls) => tls.read_tls(&mut self.stream),
                None => self.stream.read(buf),
            };
            match read {
                // The client closed (after its close_notify, if it spoke TLS: rustls reads
                // nothing more then). What it sent before is answered above first.
                Ok(0) => {
                    self.eof = true;
                    self.closing = true;
                    self.unread = false;
                    self.close_tls();
                }
                Ok(_) if self.tls.is_some() => self.decrypt(host, services, now),
                // Given to the machine a line at a time (above), not whole.
                Ok(n) => self.input.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.unread = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.broken = Some(Broken::Error(e.to_string())),
            }
        }
    }

    /// What TLS records just arrived say: the handshake's messages, answered at once; its
    /// end, told to the machine (which then expects EHLO again, RFC 3207 §4.2); the
    /// client's plaintext, into `input` (at most the records of one read). Its
    /// `close_notify` ends its side once the commands before it are answered: the next
    /// `read_tls` reads nothing ([`Conn::read`]). A record that does not decrypt or a
    /// handshake that fails ends the session, after the alert that says why.
    fn decrypt(&mut self, host: &mut Host, services: &Services, now: SimTime) {
        let Some(tls) = &mut self.tls else { return };
        let processed = tls.process_new_packets();
        // The handshake's next flight, or the alert for a failure.
        flush(tls, &mut self.output);
        if let Err(e) = processed {
            let said = format!("TLS: {e}");
            self.log.note(&said);
            eprintln!("mailroom-serve: {} connection ended: {said}", self.service.name());
            // The alert goes out, then the session ends; nothing more is read.
            self.eof = true;
            self.closing = true;
            return;
        }
        match tls.reader().read_to_end(&mut self.input) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => self.broken = Some(Broken::Error(format!("TLS: {e}"))),
        }
        if !self.tls_told && !tls.is_handshaking() {
            self.tls_told = true;
            if services.transcript {
                let version = tls.protocol_version().map_or("TLS".into(), |v| format!("{v:?}"));
                let suite =
                    tls.negotiated_cipher_suite().map_or(String::new(), |s| format!(", {:?}", s.suite()));
                self.log.note(&format!("TLS handshake done ({version}{suite}): encrypted from here on"));
            }
            self.machine.session().handle_tls(now);
            self.take_output(host, services, now);
        }
    }

    /// Queues `bytes` for the client: through TLS once it is on. False when they cannot
    /// go: during the handshake (the machine's timer ran out before it was done: its
    /// `421` or `* BYE` would reach nobody, since the client cannot read it in the clear).
    fn send(&mut self, bytes: &[u8]) -> bool {
        let Some(tls) = &mut self.tls else {
            self.output.extend_from_slice(bytes);
            return true;
        };
        if tls.is_handshaking() {
            return false;
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            match tls.writer().write(rest) {
                Ok(n) if n > 0 => rest = &rest[n..],
                // Never, as what it takes goes out at once (below); should it, the session
                // ends rather than lose part of an answer.
                _ => {
                    self.broken = Some(Broken::Error("TLS: an answer could not be queued".into()));
                    return false;
                }
            }
            flush(tls, &mut self.output);
        }
        true
    }

    /// Ends TLS, if it is on, with this side's close_notify (RFC 8446 §6.1), after what
    /// waits for the client.
    fn close_tls(&mut self) {
        if let Some(tls) = &mut self.tls {
            tls.send_close_notify();
            flush(tls, &mut self.output);
        }
    }

    /// What the server said, in the clear: to the transcript (which masks the client's
    /// answer to a `334`).
    fn told(&mut self, said: &mut Vec<u8>) {
        self.log.server(said);
        said.clear();
    }

    /// STARTTLS (or POP3's STLS) was answered: what follows on the wire is TLS. Whatever the
    /// client sent after that command's line, in the clear, is dropped unread: a command
    /// slipped in before the handshake must not run inside the secured session (RFC 3207
    /// §4.2 for SMTP; the same for POP3, RFC 2595 §4, and IMAP, RFC 3501 §6.2.1).
    fn start_tls(&mut self, services: &Services) {
        let Some(config) = &services.tls else { return };
        if self.tls.is_some() {
            return;
        }
        let dropped = self.input.len() - self.taken;
        self.input.clear();
        self.taken = 0;
        if dropped > 0 {
            let command = if self.service == Service::Pop3 { "STLS" } else { "STARTTLS" };
            self.log.note(&format!("{dropped} octets sent in the clear after {command}: dropped unread"));
        }
        match rustls::ServerConnection::new(Arc::clone(config)) {
            Ok(tls) => self.tls = Some(Box::new(tls)),
            Err(e) => self.broken = Some(Broken::Error(format!("TLS: {e}"))),
        }
    }

    /// True when [`Conn::read`] has more to do at once: input left to read or to give to
    /// the machine, which stopped for the backlog or the end of its share.
    fn wants_turn(&self) -> bool {
        self.broken.is_none()
            && !self.closing
            && self.output.len() <= MAX_BACKLOG
            && (self.unread || self.taken < self.input.len())
    }

    /// Carries out everything the machine wants done, in order: what it sends waits in
    /// `output` (replies to pipelined commands leave in one write, RFC 2920 §3.2, RFC 2449
    /// §6.6); a message it accepted is stored before its `250` is written, and if it cannot
    /// be (the store is full), the machine answers `452 4.3.1` instead: nothing of it is
    /// kept, the client still holds it and tries again later (RFC 5321 §4.2.1, §6.1).
    fn take_output(&mut self, host: &mut Host, services: &Services, now: SimTime) {
        // What the machine said, in the clear, for the transcript.
        let mut said = Vec::new();
        while let Some(out) = self.machine.session().poll_output() {
            match out {
                Output::Send { bytes, .. } => {
                    if self.send(&bytes) {
                        said.extend_from_slice(&bytes);
                    } else {
                        self.log.note("(not sent: the TLS handshake is not done)");
                    }
                }
                Output::Request(Request::Accept(a)) => {
                    if let Err(e) = host.deliver(&a, now) {
                        match &mut self.machine {
                            Machine::Smtp(m) => {
                                eprintln!("mailroom-serve: {}: {e}: answered 452 4.3.1", self.service.name());
                                m.not_stored();
                            }
                            // Only SMTP hands messages over; said should another ever do.
                            _ => eprintln!("mailroom-serve: {}: {e}: not stored", self.service.name()),
                        }
                    }
                }
                // After the answer to STARTTLS or STLS, which is queued in the clear.
                Output::Request(Request::StartTls) => {
                    self.told(&mut said);
                    self.start_tls(services);
                }
                // Never asked: mailroom-serve checks no sender (its servers' `check_senders`
                // is off: there is no DNS to ask).
                Output::Request(Request::Verify(_)) => {}
                Output::Close => {
                    self.close_tls();
                    self.closing = true;
                }
            }
        }
        self.told(&mut said);
        if self.machine.timer().is_none() {
            self.closing = true;
        }
    }

    /// Writes what waits, as much as the socket takes now, and ends the session if the
    /// client has fallen too far behind; once the client has taken every answer, tells the
    /// machine, whose idle timer restarts from then.
    ///
    /// The idle timers (SMTP's 5 minutes, POP3's autologout, IMAP's) measure the client's
    /// silence after the server answered (RFC 5321 §4.5.3.2.7, RFC 1939 §3, RFC 9051 §5.4),
    /// not the time the answer took to go out: a client that takes a 10 MB `RETR` at 500
    /// octets a second is busy for hours, and were the autologout to run meanwhile, the
    /// session would end as idle once the answer was out, before its `DELE` and `QUIT`, and
    /// the next session would download the message again. So while answers wait
    /// ([`Conn::waiting`]) the machine's timer is not acted on ([`Conn::tick`]); the write
    /// deadline bounds the wait instead, and when the last octet is acknowledged the
    /// machine's `handle_output_taken` restarts the idle timer.
    ///
    /// The write deadline is bounded by real progress, by the rule of Postfix's
    /// `smtpd_min_data_rate`: when answers begin to wait for the client, it has the
    /// service's idle timeout to take more of them; each octet it takes earns it
    /// `1 / min_rate` of a second, but never more than the idle timeout from now. A client
    /// that reads at least `min_rate` octets a second, however slow its link, is never cut
    /// off; one that reads slower falls behind, and is cut off after a bounded time however
    /// it spreads its reads (a byte a second: about the idle timeout). Before, every octet
    /// written restarted the whole timeout, so a client that read a byte at a time held its
    /// connection, one of [`MAX_CLIENTS`], for ever.
    ///
    /// An octet counts once the client has acknowledged it ([`unacknowledged`]), not when
    /// the kernel takes it: the kernel grows a socket's send buffer as the connection goes
    /// (to 4 MiB on Linux), by more than the client reads when its segments are small, and
    /// that is no progress of the client's.
    fn write(&mut self, now: SimTime, min_rate: u64) {
        debug_assert!(self.waiting());
        let mut written = 0;
        while written < self.output.len() {
            match self.stream.write(&self.output[written..]) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.broken = Some(if self.eof { Broken::Closed } else { Broken::Error(e.to_string()) });
                    return;
                }
            }
        }
        self.output.drain(..written);
        self.sent += written as u64;
        let acked = self.sent - unacknowledged(&self.stream).min(self.sent);
        let taken = acked.saturating_sub(self.acked);
        self.acked = self.acked.max(acked);
        if !self.waiting() {
            self.write_deadline = None;
            self.ack_check = None;
            match &mut self.machine {
                Machine::Smtp(m) => m.handle_output_taken(now),
                Machine::Pop3(m) => m.handle_output_taken(now),
                Machine::Imap(m) => m.handle_output_taken(now),
            }
            return;
        }
        let due = self.write_deadline.unwrap_or(now.plus(self.write_timeout));
        self.write_deadline = Some(due.earn(taken, min_rate, now, self.write_timeout));
        self.ack_check = self.output.is_empty().then(|| now.plus(ACK_CHECK));
        if self.write_deadline.is_some_and(|due| due <= now) {
            let secs = self.write_timeout.0 / 1_000_000;
            self.broken = Some(Broken::Error(format!(
                "the client read its answers too slowly (more than {secs} s behind {min_rate} octets a second)"
            )));
        }
    }

    /// The machine's timer, if it is due and no answers wait for the client (then it is
    /// held: [`Conn::write`]). (The write deadline is [`Conn::write`]'s: it first counts
    /// what the client has taken since the last turn.)
    fn tick(&mut self, host: &mut Host, services: &Services, now: SimTime) {
        if !self.waiting() && self.machine.timer().is_some_and(|t| t <= now) {
            self.machine.session().handle_timeout(now);
            self.take_output(host, services, now);
        }
    }

    /// The session is over. The driver's part of an end that was not QUIT or LOGOUT (the
    /// client left, a timer, a broken socket): the machine is told, and what it held is
    /// given back.
    fn end(mut self, host: &mut Host, poll: &Poll, now: SimTime) {
        self.log.finish();
        match &mut self.machine {
            Machine::Smtp(m) => {
                if !m.is_closed() {
                    m.handle_close(now);
                }
            }
            // The machine releases the maildrop only at QUIT. After a dropped connection, an
            // autologout or a broken socket the driver must (`Pop3Server`'s module doc):
            // nothing is deleted, and the next session may lock it. After QUIT this changes
            // nothing.
            Machine::Pop3(m) => {
                if !m.is_closed() {
                    m.handle_close(now);
                }
                if let Some(user) = m.user() {
                    maildrop::close(&mut host.store, user, m.session());
                }
            }
            // `ImapServer::release`: its folder unwatched, its locks given back.
            Machine::Imap(m) => {
                m.handle_close(now);
                m.release(&mut HostEnv(host));
            }
        }
        if let Some(Broken::Error(e)) = &self.broken {
            eprintln!("mailroom-serve: {} connection ended: {e}", self.service.name());
        }
        let _ = poll.registry().deregister(&mut self.stream);
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// What TLS has for the wire (the handshake's messages, records, alerts), into `output`.
/// Into a `Vec` every write is whole, so this ends.
fn flush(tls: &mut rustls::ServerConnection, output: &mut Vec<u8>) {
    while tls.wants_write() && tls.write_tls(output).is_ok() {}
}

/// Octets written to `stream` that the client has not acknowledged yet: on Linux, the
/// socket's send queue (`SIOCOUTQ`, tcp(7)); elsewhere none are known, and what the kernel
/// took counts as taken.
#[cfg(target_os = "linux")]
fn unacknowledged(stream: &TcpStream) -> u64 {
    use std::os::fd::AsRawFd;
    let mut queued: libc::c_int = 0;
    // SAFETY: SIOCOUTQ (TIOCOUTQ) on a TCP socket stores one int through the pointer, which
    // points at `queued`; the descriptor is open for as long as `stream` lives.
    let ok = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut queued) } == 0;
    if ok { queued.max(0) as u64 } else { 0 }
}

#[cfg(not(target_os = "linux"))]
fn unacknowledged(_stream: &TcpStream) -> u64 {
    0
}

/// Runs `work` on `conn`; should it panic (a bug), that session ends and the others go on,
/// as a session on a thread of its own would. (Every store operation checks its input
/// before it changes anything, so a panic leaves the store as it was.)
fn guarded(conn: &mut Conn, work: impl FnOnce(&mut Conn)) {
    if catch_unwind(AssertUnwindSafe(|| work(conn))).is_err() {
        conn.broken = Some(Broken::Error("a bug ended this session (the panic is printed above)".into()));
    }
}

/// Simulation time: the time since the server started.
fn sim_time(started: Instant, at: Instant) -> SimTime {
    SimTime(at.saturating_duration_since(started).as_micros() as u64)
}

fn to_duration(d: SimDuration) -> Duration {
    Duration::from_micros(d.0)
}

/// What a client beyond [`MAX_CLIENTS`] is told before it is closed: for SMTP, `421` with
/// the server's domain first, as RFC 5321 §4.2.3 writes it ("421 <domain> Service not
/// available, closing transmission channel").
fn busy(service: Service, hostname: &str) -> Vec<u8> {
    match service {
        Service::Smtp | Service::Submission => {
            Reply::of(ReplyCode::TooBusy, format!("{hostname} Too many connections, try again later"))
                .to_bytes()
        }
        Service::Pop3 => b"-ERR [SYS/TEMP] too many connections, try again later\r\n".to_vec(),
        // RFC 3501 §7.1.5: BYE at connect, the server refuses the connection.
        Service::Imap => b"* BYE too many connections, try again later\r\n".to_vec(),
    }
}

/// Serves every client of `listeners` until the process ends.
pub fn run(
    listeners: Vec<(Service, std::net::TcpListener)>,
    services: &Services,
    host: &mut Host,
) -> io::Result<()> {
    let started = Instant::now();
    let mut poll = Poll::new()?;
    let mut listening = Vec::new();
    for (i, (service, listener)) in listeners.into_iter().enumerate() {
        listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(listener);
        poll.registry().register(&mut listener, Token(i), Interest::READABLE)?;
        listening.push((service, listener));
    }
    let mut conns: BTreeMap<usize, Conn> = BTreeMap::new();
    let mut next_token = listening.len();
    // Numbers every session: SMTP's queue ids, POP3's lock holders.
    let mut sessions: u64 = 0;
    let mut events = Events::with_capacity(256);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        host.flush_log();
        let now = sim_time(started, Instant::now());
        let timeout = if conns.values().any(Conn::wants_turn) {
            Some(Duration::ZERO)
        } else {
            conns
                .values()
                .filter_map(Conn::deadline)
                .min()
                .map(|at| to_duration(SimDuration(at.0.saturating_sub(now.0))))
        };
        if let Err(e) = poll.poll(&mut events, timeout) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let now = sim_time(started, Instant::now());
        for event in &events {
            let token = event.token().0;
            if let Some((service, listener)) = listening.get(token) {
                accept(
                    *service,
                    listener,
                    &poll,
                    &mut conns,
                    &mut next_token,
                    &mut sessions,
                    host,
                    services,
                    now,
                );
            } else if let Some(conn) = conns.get_mut(&token)
                && (event.is_readable() || event.is_read_closed() || event.is_error())
            {
                conn.unread = true;
            }
        }
        for conn in conns.values_mut() {
            guarded(conn, |conn| {
                conn.read(&mut buf, host, services, now);
                conn.tick(host, services, now);
            });
        }
        // Whatever changed in the store, idling IMAP sessions hear of it now (RFC 2177).
        for conn in conns.values_mut() {
            if matches!(conn.machine, Machine::Imap(_)) && conn.broken.is_none() {
                guarded(conn, |conn| {
                    conn.machine.session().handle_store_change(now, &mut HostEnv(host));
                    conn.take_output(host, services, now);
                });
            }
        }
        let mut done = Vec::new();
        for (&token, conn) in conns.iter_mut() {
            if conn.broken.is_none() && conn.waiting() {
                conn.write(now, services.min_rate);
            }
            if conn.broken.is_some() || (conn.closing && conn.output.is_empty()) {
                done.push(token);
            }
        }
        for token in done {
            if let Some(conn) = conns.remove(&token) {
                let _ = catch_unwind(AssertUnwindSafe(|| conn.end(host, &poll, now)));
            }
        }
    }
}

/// Takes every client waiting on `listener`.
#[allow(clippy::too_many_arguments)]
fn accept(
    service: Service,
    listener: &TcpListener,
    poll: &Poll,
    conns: &mut BTreeMap<usize, Conn>,
    next_token: &mut usize,
    sessions: &mut u64,
    host: &mut Host,
    services: &Services,
    now: SimTime,
) {
    loop {
        let (mut stream, addr) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("mailroom-serve: cannot accept a {} client: {e}", service.name());
                return;
            }
        };
        if conns.len() >= MAX_CLIENTS {
            // A fresh socket takes a line at once.
            let _ = stream.write(&busy(service, &host.hostname));
            continue;
        }
        let peer = Peer { addr: addr.ip().to_string(), name: None };
        *sessions += 1;
        let on = services.transcript;
        let label = format!("{} session {} from {addr}", service.name(), *sessions);
        let (machine, timeout, log) = match service {
            Service::Smtp | Service::Submission => {
                let config = if service == Service::Smtp { &services.smtp } else { &services.submission };
                let id = format!("{:06X}", *sessions & 0xFF_FFFF);
                let log = ClientLines::new(on, Protocol::Smtp, *sessions, label);
                (Machine::Smtp(SmtpServer::new(config.clone(), peer, &id, now)), config.timeout, log)
            }
            Service::Pop3 => {
                let machine = Pop3Server::new(services.pop3.clone(), peer, *sessions, now);
                (
                    Machine::Pop3(machine),
                    services.pop3.timeout,
                    ClientLines::new(on, Protocol::Pop3, *sessions, label),
                )
            }
            Service::Imap => {
                // IDLE's news is a line or two at a time: no waiting to fill a segment.
                let _ = stream.set_nodelay(true);
                let machine = ImapServer::new(services.imap.clone(), peer, now);
                (
                    Machine::Imap(machine),
                    services.imap.timeout,
                    ClientLines::new(on, Protocol::Imap, *sessions, label),
                )
            }
        };
        let token = *next_token;
        *next_token += 1;
        if let Err(e) =
            poll.registry().register(&mut stream, Token(token), Interest::READABLE | Interest::WRITABLE)
        {
            eprintln!("mailroom-serve: cannot watch a {} client: {e}", service.name());
            continue;
        }
        let mut conn = Conn {
            service,
            stream,
            machine,
            input: Vec::new(),
            taken: 0,
            output: Vec::new(),
            write_deadline: None,
            ack_check: None,
            write_timeout: timeout,
            sent: 0,
            acked: 0,
            unread: true,
            closing: false,
            eof: false,
            broken: None,
            log,
            tls: None,
            tls_told: false,
        };
        conn.take_output(host, services, now);
        conns.insert(token, conn);
    }
}
