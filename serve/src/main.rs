//! `mailroom-serve`: Mailroom's SMTP server on a real TCP socket, so that real clients
//! (Python's smtplib, curl, swaks, a mail program) talk to the very same server code that
//! the lessons animate. Only the sockets, threads and the clock live here; every protocol
//! decision, the idle timeout included, is made by `mailroom-core`'s [`SmtpServer`], driven
//! through the [`Session`] contract. This binary is its host: it answers the machine's
//! questions ([`Env`]) from its in-memory store and carries out its requests (store this
//! message).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use clap::Parser;
use mailroom_core::mail;
use mailroom_core::session::{Directory, Env, Output, RcptVerdict, Request, Session};
use mailroom_core::smtp::reply::{Reply, ReplyCode};
use mailroom_core::smtp::server::{Accepted, Peer, SERVER_TIMEOUT, ServerConfig, SmtpServer};
use mailroom_core::time::{SimDuration, SimTime};
use mailroom_core::world::names;

/// At most this many clients at once; more are told `421 4.3.2` and closed (RFC 5321 §3.8).
const MAX_CLIENTS: usize = 64;
/// All mailboxes together hold at most this much; then new mail gets `452 4.3.1` until
/// the server restarts (RFC 1870 §6.3). Mail already past MAIL FROM is still delivered,
/// never dropped.
const MAX_STORED_BYTES: usize = 256 * 1024 * 1024;
/// The server's name in greetings and `Received:` headers.
const HOSTNAME: &str = "mail.example.net";
/// The largest `--idle-timeout`: a day is longer than any client waits.
const MAX_IDLE_TIMEOUT_SECS: u64 = 24 * 60 * 60;
/// The domains this server is the final destination for; the first one is also the
/// domain of a bare `RCPT TO:<Postmaster>` (RFC 5321 §4.1.1.3).
const LOCAL_DOMAINS: [&str; 2] = ["example.org", "example.net"];

/// Mailroom's simulated mail servers on loopback TCP, for real clients.
#[derive(Parser, Debug)]
#[command(name = "mailroom-serve", version, after_help = world_help())]
struct Options {
    /// Listen for SMTP on ADDR (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    smtp: SocketAddr,
    /// Print every command and reply (C: / S:) to standard error.
    #[arg(long)]
    transcript: bool,
    /// Print every delivered message, as stored, to standard output.
    #[arg(long)]
    print_messages: bool,
    /// For testing: seconds of silence before 421 4.4.2 and close
    ///
    /// For testing only: a client that sends nothing for SECS seconds is told
    /// 421 4.4.2 and disconnected. RFC 5321 §4.5.3.2.7 asks a real server to wait at
    /// least 5 minutes, the default.
    #[arg(long, value_name = "SECS", default_value_t = SERVER_TIMEOUT.0 / 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..=MAX_IDLE_TIMEOUT_SECS))]
    idle_timeout: u64,
}

/// The THE WORLD and EXAMPLE sections of `--help`; the users come from the same list as
/// the lessons' world.
fn world_help() -> String {
    let users: String = names::USERS.iter().map(|u| format!("    {u}\n")).collect();
    format!(
        "\
THE WORLD:
  The server is the final destination for the domains {domains}
  and accepts mail for these users:
{users}  (and postmaster@ of both domains). Mail for any other domain is refused with
  550 5.7.1 (relay access denied); an unknown user gets 550 5.1.1.

  Messages are kept in memory and lost when the server stops.
  Dates in Received: headers are simulation time, starting Mon, 30 Nov 2026 09:00:00.

EXAMPLE:
  mailroom-serve --smtp 127.0.0.1:2525 &
  python3 -c 'import smtplib; s = smtplib.SMTP(\"127.0.0.1\", 2525); \\
    s.sendmail(\"alice@example.org\", [\"bob@example.net\"], \"Subject: hi\\r\\n\\r\\nHello\\r\\n\"); s.quit()'",
        domains = LOCAL_DOMAINS.join(" and "),
    )
}

fn config(idle_timeout_secs: u64) -> ServerConfig {
    let mut c = ServerConfig::new(HOSTNAME);
    c.postmaster_domain = Some(LOCAL_DOMAINS[0].to_string());
    c.timeout = SimDuration::from_secs(idle_timeout_secs);
    c
}

/// The host's mail store: who has a mailbox here, and what is in the mailboxes.
struct Store {
    directory: Directory,
    /// Mailbox address → messages, each as stored (with `Return-Path:`).
    mailboxes: BTreeMap<String, Vec<Vec<u8>>>,
    /// The bytes held in all mailboxes together.
    stored_bytes: usize,
}

impl Store {
    fn new() -> Store {
        Store {
            directory: Directory {
                local_domains: LOCAL_DOMAINS.iter().map(|d| d.to_string()).collect(),
                mailboxes: names::USERS.iter().map(|u| u.to_string()).collect(),
                // Nobody may relay: this server is only a final destination.
                relay_clients: Vec::new(),
                full: false,
            },
            mailboxes: BTreeMap::new(),
            stored_bytes: 0,
        }
    }
}

/// The answers the SMTP server asks of its host.
impl Env for Store {
    fn recipient(&mut self, client_addr: &str, rcpt: &str) -> RcptVerdict {
        self.directory.recipient(client_addr, rcpt)
    }

    fn storage_available(&mut self) -> bool {
        self.stored_bytes < MAX_STORED_BYTES
    }
}

struct Shared {
    store: Mutex<Store>,
    config: ServerConfig,
    started: Instant,
    clients: AtomicUsize,
    sessions: AtomicUsize,
    transcript: bool,
    print_messages: bool,
}

impl Shared {
    /// The store. A thread that panicked while holding it left it whole (every change is
    /// a single push), so its mail is still served rather than lost.
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Simulation time: the time since the server started.
    fn now(&self) -> SimTime {
        SimTime(self.started.elapsed().as_micros() as u64)
    }

    /// The server owns `a` now (it is about to answer 250): file it in every recipient's
    /// mailbox and say so. All or nothing: if a recipient has no mailbox here, nothing is
    /// stored and the caller must not send the 250, so the client keeps the message
    /// (RFC 5321 §6.1).
    fn deliver(&self, a: &Accepted) -> Result<(), String> {
        let mut store = self.store();
        let mut targets = Vec::with_capacity(a.rcpt_to.len());
        for rcpt in &a.rcpt_to {
            // Cannot happen: no client may relay, so RCPT accepts only local mailboxes.
            let mailbox = store
                .directory
                .local_mailbox(rcpt)
                .ok_or_else(|| format!("BUG: accepted {} for {rcpt}, which has no mailbox here", a.id))?;
            targets.push(mailbox);
        }
        let stored = mail::with_return_path(&a.mail_from, &a.message);
        let mut out = io::stdout().lock();
        for mailbox in targets {
            store.stored_bytes += stored.len();
            let messages = store.mailboxes.entry(mailbox.clone()).or_default();
            messages.push(stored.clone());
            let count = messages.len();
            let _ = writeln!(
                out,
                "delivered {} to {mailbox} ({} octets, {count} in mailbox)",
                a.id,
                stored.len()
            );
            if self.print_messages {
                let _ = writeln!(out, "--- message {} for {mailbox} ---", a.id);
                let _ = out.write_all(&stored);
                let _ = writeln!(out, "--- end ---");
            }
        }
        let _ = out.flush();
        Ok(())
    }
}

fn main() -> ExitCode {
    // Bad arguments: clap prints the error and the usage, and exits with code 2.
    let opts = Options::parse();
    let listener = match TcpListener::bind(opts.smtp) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mailroom-serve: cannot listen on {}: {e}", opts.smtp);
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("listening smtp {local}");
    let _ = io::stdout().flush();
    let shared = Arc::new(Shared {
        store: Mutex::new(Store::new()),
        config: config(opts.idle_timeout),
        started: Instant::now(),
        clients: AtomicUsize::new(0),
        sessions: AtomicUsize::new(0),
        transcript: opts.transcript,
        print_messages: opts.print_messages,
    });
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        if shared.clients.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
            let busy = Reply::of(ReplyCode::TooBusy, "Too many connections, try again later");
            let _ = stream.write_all(&busy.to_bytes());
            shared.clients.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        std::thread::spawn(move || {
            if let Err(e) = session(stream, &shared) {
                eprintln!("mailroom-serve: connection ended: {e}");
            }
            shared.clients.fetch_sub(1, Ordering::SeqCst);
        });
    }
    ExitCode::SUCCESS
}

fn show(prefix: &str, bytes: &[u8]) {
    for line in String::from_utf8_lossy(bytes).split_inclusive('\n') {
        eprintln!("{prefix}{}", line.trim_end_matches(['\r', '\n']));
    }
}

fn to_duration(d: SimDuration) -> Duration {
    Duration::from_micros(d.0)
}

/// One client, from connect to close.
fn session(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    // A client that stops reading must not hold this thread (and a client slot) forever:
    // a write may take as long as the machine lets a client be idle.
    stream.set_write_timeout(Some(to_duration(shared.config.timeout)))?;
    let peer = Peer { addr: stream.peer_addr()?.ip().to_string(), name: None };
    let n = shared.sessions.fetch_add(1, Ordering::SeqCst) + 1;
    let session_id = format!("{:06X}", n & 0xFF_FFFF);
    let mut server = SmtpServer::new(shared.config.clone(), peer, &session_id, shared.now());
    let result = drive(&mut stream, &mut server, shared);
    if !server.is_closed() {
        server.handle_close(shared.now());
    }
    result
}

/// The [`Session`] call order: drain the outputs, arm the timer at the machine's
/// deadline, then feed it what arrives, or the timeout, or the close.
fn drive(stream: &mut TcpStream, server: &mut SmtpServer, shared: &Shared) -> io::Result<()> {
    let mut buf = [0u8; 8192];
    loop {
        if flush(stream, server, shared)? {
            return Ok(());
        }
        let Some(deadline) = server.poll_timeout() else {
            return Ok(());
        };
        let now = shared.now();
        if deadline <= now {
            server.handle_timeout(now);
            continue;
        }
        stream.set_read_timeout(Some(to_duration(SimDuration(deadline.0 - now.0))))?;
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if shared.transcript {
                    show("C: ", &buf[..n]);
                }
                server.handle_input(&buf[..n], shared.now(), &mut *shared.store());
            }
            // The timer fired: the machine decides (421 and close once its deadline
            // passed; nothing if the socket woke a little early).
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                server.handle_timeout(shared.now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Carries out everything the machine wants done, in order; true once it closed.
fn flush(stream: &mut TcpStream, server: &mut SmtpServer, shared: &Shared) -> io::Result<bool> {
    // Replies to pipelined commands leave in one write (RFC 2920 §3.2).
    let mut pending = Vec::new();
    let mut closing = false;
    while let Some(out) = server.poll_output() {
        match out {
            Output::Send { bytes, .. } => pending.extend_from_slice(&bytes),
            // Stored before its 250 is sent; if it cannot be, the connection ends without
            // the 250 and the client still holds the message.
            Output::Request(Request::Accept(a)) => shared.deliver(&a).map_err(io::Error::other)?,
            Output::Close => closing = true,
        }
    }
    if !pending.is_empty() {
        if shared.transcript {
            show("S: ", &pending);
        }
        stream.write_all(&pending)?;
    }
    Ok(closing)
}
