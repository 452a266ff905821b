//! `mailroom-serve`: Mailroom's SMTP, submission, POP3 and IMAP servers on real TCP sockets, so that real
//! clients (Python's smtplib and poplib, curl, swaks, a mail program) talk to the very same
//! server code that the lessons animate. Only the sockets, threads and the clock live here;
//! every protocol decision, the idle timeouts included, is made by `mailroom-core`'s
//! [`SmtpServer`] and [`Pop3Server`], driven through the [`Session`] contract. This binary
//! is their host: it answers the machines' questions ([`Env`]) from one mail store shared by
//! both services ([`host`]) and carries out their requests (store this message).

mod check;
mod host;
mod transcript;

use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use clap::{ArgGroup, Parser, Subcommand};
use mailroom_core::imap::server::{self as imap, ImapConfig};
use mailroom_core::pop3::server::{AUTOLOGOUT, Pop3Config, Pop3Server};
use mailroom_core::session::{Directory, Env, Output, Request, Session};
use mailroom_core::smtp::reply::{Reply, ReplyCode};
use mailroom_core::smtp::server::{Peer, SERVER_TIMEOUT, ServerConfig, SmtpServer};
use mailroom_core::time::{SimDuration, SimTime};
use mailroom_core::world::names;

use host::{Host, ImapOut, Pop3Env, SmtpEnv, StoreHandle};
use transcript::ClientLines;

/// At most this many clients at once, over both services; more are told `421 4.3.2`
/// (SMTP, RFC 5321 §3.8) or `-ERR [SYS/TEMP]` (POP3, RFC 3206 §4) and closed.
const MAX_CLIENTS: usize = 64;
/// The servers' name in greetings and `Received:` headers.
const HOSTNAME: &str = "mail.example.net";
/// The largest `--idle-timeout`: a day is longer than any client waits.
const MAX_IDLE_TIMEOUT_SECS: u64 = 24 * 60 * 60;
/// The domains this server is the final destination for; the first one is also the
/// domain of a bare `RCPT TO:<Postmaster>` (RFC 5321 §4.1.1.3).
const LOCAL_DOMAINS: [&str; 2] = ["example.org", "example.net"];

/// Mailroom's simulated mail servers on loopback TCP, for real clients.
#[derive(Parser, Debug)]
#[command(name = "mailroom-serve", version, after_help = world_help(),
          subcommand_negates_reqs = true, args_conflicts_with_subcommands = true,
          group(ArgGroup::new("service").required(true).multiple(true).args(["smtp", "submission", "pop3", "imap"])))]
struct Options {
    #[command(subcommand)]
    command: Option<Command>,
    /// Listen for SMTP on ADDR (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    smtp: Option<SocketAddr>,
    /// Listen for message submission on ADDR (port 0 picks a free port): AUTH PLAIN or
    /// LOGIN first, then mail from your own address to anyone (RFC 6409, RFC 4954).
    #[arg(long, value_name = "ADDR")]
    submission: Option<SocketAddr>,
    /// Listen for POP3 on ADDR (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pop3: Option<SocketAddr>,
    /// Listen for IMAP on ADDR (port 0 picks a free port): IMAP4rev1 with IDLE, MOVE and
    /// UIDPLUS, on the same mailboxes (RFC 3501).
    #[arg(long, value_name = "ADDR")]
    imap: Option<SocketAddr>,
    /// Print every command and reply (C: / S:) to standard error; passwords as ********.
    #[arg(long)]
    transcript: bool,
    /// Print every delivered message, as stored, to standard output.
    #[arg(long)]
    print_messages: bool,
    /// For testing: seconds of silence before a client is disconnected
    ///
    /// For testing: a client that sends nothing for SECS seconds is disconnected, on every
    /// service. SMTP says 421 4.4.2 first; POP3 closes without a word and deletes nothing
    /// (its autologout); IMAP says * BYE. A real server waits at least 5 minutes for SMTP
    /// (RFC 5321 §4.5.3.2.7), 10 minutes for POP3 (RFC 1939 §3) and 30 minutes for IMAP
    /// (RFC 3501 §5.4): those are the defaults.
    #[arg(long, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=MAX_IDLE_TIMEOUT_SECS))]
    idle_timeout: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check lesson files: each is read, its world run, and every step's anchor found,
    /// as for the built-in lessons. Errors are printed as FILE:LINE: what is wrong; the exit
    /// code is 0 only if every file passed.
    Check {
        /// Lesson files (Markdown, as in lessons/).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<std::path::PathBuf>,
    },
}

/// The THE WORLD and EXAMPLE sections of `--help`; the users come from the same list as
/// the lessons' world.
fn world_help() -> String {
    let users: String = names::USERS
        .iter()
        .map(|u| {
            let password = host::password_of(u).map(|p| format!("password \"{p}\"")).unwrap_or_default();
            format!("    {u:<20} {password}\n")
        })
        .collect();
    format!(
        "\
THE WORLD:
  The server is the final destination for the domains {domains}
  and accepts mail for these users:
{users}  (and postmaster@ of both domains). Mail for any other domain is refused with
  550 5.7.1 (relay access denied); an unknown user gets 550 5.1.1.
  The passwords are made-up lesson passwords, shown to students: never use them anywhere
  real. POP3 (USER/PASS or APOP) logs in with the full address and its password, and reads
  the mailbox's INBOX, where SMTP delivers. Submission (AUTH PLAIN or LOGIN with the same
  address and password; no STARTTLS here, so it runs in the clear on loopback) takes mail
  only from your own address and delivers it to these users; mail for any other domain
  comes back to you as a bounce (a DSN in your own INBOX). IMAP (LOGIN or AUTHENTICATE
  PLAIN, same address and password) sees every folder of the mailbox (INBOX, Sent,
  Drafts, Trash, Junk, Archive), with flags and UIDs; a session in IDLE is told of new
  mail at once, and what POP3 deletes at QUIT is gone for IMAP too. An APPEND may carry
  a message of up to 10 MiB in a synchronising literal; a non-synchronising
  one (LITERAL-) holds at most 4096 octets (RFC 7888).

  Messages are kept in memory, shared by all services, and lost when the server stops.
  Dates in Received: headers are simulation time, starting Mon, 30 Nov 2026 09:00:00.

EXAMPLE:
  mailroom-serve --smtp 127.0.0.1:2525 --submission 127.0.0.1:2587 --pop3 127.0.0.1:1110 &
  python3 -c 'import smtplib; s = smtplib.SMTP(\"127.0.0.1\", 2525); \\
    s.sendmail(\"alice@example.org\", [\"bob@example.net\"], \"Subject: hi\\r\\n\\r\\nHello\\r\\n\"); s.quit()'
  python3 -c 'import poplib; p = poplib.POP3(\"127.0.0.1\", 1110); p.user(\"bob@example.net\"); \\
    p.pass_(\"builder\"); print(b\"\\n\".join(p.retr(1)[1]).decode()); p.quit()'
  mailroom-serve --smtp 127.0.0.1:2525 --imap 127.0.0.1:1143 &
  curl -u bob@example.net:builder 'imap://127.0.0.1:1143/INBOX;UID=1'",
        domains = LOCAL_DOMAINS.join(" and "),
    )
}

fn smtp_config(idle_timeout: Option<SimDuration>) -> ServerConfig {
    let mut c = ServerConfig::new(HOSTNAME);
    c.postmaster_domain = Some(LOCAL_DOMAINS[0].to_string());
    c.timeout = idle_timeout.unwrap_or(SERVER_TIMEOUT);
    c
}

/// Submission (RFC 6409): AUTH first, then mail from one's own address to anyone. No
/// STARTTLS: a real client would try a real TLS handshake.
fn submission_config(idle_timeout: Option<SimDuration>) -> ServerConfig {
    let mut c = smtp_config(idle_timeout);
    c.submission = true;
    c
}

fn pop3_config(idle_timeout: Option<SimDuration>) -> Pop3Config {
    let mut c = Pop3Config::new(HOSTNAME);
    c.timeout = idle_timeout.unwrap_or(AUTOLOGOUT);
    c
}

fn imap_config(idle_timeout: Option<SimDuration>) -> ImapConfig {
    let mut c = ImapConfig::new(HOSTNAME);
    c.timeout = idle_timeout.unwrap_or(imap::AUTOLOGOUT);
    c
}

fn directory() -> Directory {
    Directory {
        local_domains: LOCAL_DOMAINS.iter().map(|d| d.to_string()).collect(),
        mailboxes: names::USERS.iter().map(|u| u.to_string()).collect(),
        // Nobody may relay: this server is only a final destination.
        relay_clients: Vec::new(),
        relay_domains: Vec::new(),
        full: false,
    }
}

/// The services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    Smtp,
    Submission,
    Pop3,
    Imap,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Smtp => "smtp",
            Service::Submission => "submission",
            Service::Pop3 => "pop3",
            Service::Imap => "imap",
        }
    }
}

struct Shared {
    store: StoreHandle,
    directory: Directory,
    smtp: ServerConfig,
    submission: ServerConfig,
    pop3: Pop3Config,
    imap: ImapConfig,
    started: Instant,
    clients: AtomicUsize,
    workers: Workers,
    /// Numbers every session of both services: SMTP's queue ids, POP3's lock holders.
    sessions: AtomicU64,
    transcript: bool,
}

impl Shared {
    /// Simulation time: the time since the server started.
    fn now(&self) -> SimTime {
        SimTime(self.started.elapsed().as_micros() as u64)
    }

    fn next_session(&self) -> u64 {
        self.sessions.fetch_add(1, Ordering::SeqCst) + 1
    }
}

fn main() -> ExitCode {
    // Bad arguments (or neither --smtp nor --pop3): clap prints the error and the usage,
    // and exits with code 2.
    let opts = Options::parse();
    if let Some(Command::Check { files }) = &opts.command {
        return check::run(files);
    }
    let wanted = [
        (Service::Smtp, opts.smtp),
        (Service::Submission, opts.submission),
        (Service::Pop3, opts.pop3),
        (Service::Imap, opts.imap),
    ];
    // Every listener is bound before any is announced: one that cannot listen stops all.
    let mut listeners = Vec::new();
    for (service, addr) in wanted.into_iter().filter_map(|(s, a)| Some((s, a?))) {
        match TcpListener::bind(addr) {
            Ok(l) => listeners.push((service, l)),
            Err(e) => {
                eprintln!("mailroom-serve: cannot listen on {addr} for {}: {e}", service.name());
                return ExitCode::FAILURE;
            }
        }
    }
    {
        let mut out = io::stdout().lock();
        for (service, l) in &listeners {
            let local = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
            let _ = writeln!(out, "listening {} {local}", service.name());
        }
        let _ = out.flush();
    }
    let idle_timeout = opts.idle_timeout.map(SimDuration::from_secs);
    let directory = directory();
    let (for_store, print_messages) = (directory.clone(), opts.print_messages);
    let shared = Arc::new(Shared {
        store: StoreHandle::start(move || Host::new(for_store, print_messages, HOSTNAME)),
        directory,
        smtp: smtp_config(idle_timeout),
        submission: submission_config(idle_timeout),
        pop3: pop3_config(idle_timeout),
        imap: imap_config(idle_timeout),
        started: Instant::now(),
        clients: AtomicUsize::new(0),
        workers: Workers::default(),
        sessions: AtomicU64::new(0),
        transcript: opts.transcript,
    });
    let accepting: Vec<_> = listeners
        .into_iter()
        .map(|(service, listener)| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || accept(service, &listener, &shared))
        })
        .collect();
    for thread in accepting {
        let _ = thread.join();
    }
    ExitCode::SUCCESS
}

/// Takes the clients of one listener, each on its own thread ([`Workers`]).
fn accept(service: Service, listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if shared.clients.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
            let busy = match service {
                Service::Smtp | Service::Submission => {
                    Reply::of(ReplyCode::TooBusy, "Too many connections, try again later").to_bytes()
                }
                Service::Pop3 => b"-ERR [SYS/TEMP] too many connections, try again later\r\n".to_vec(),
                // RFC 3501 §7.1.5: BYE at connect, the server refuses the connection.
                Service::Imap => b"* BYE too many connections, try again later\r\n".to_vec(),
            };
            let _ = stream.write_all(&busy);
            shared.clients.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        shared.workers.serve((service, stream), shared);
    }
}

/// A client to serve: the service it came to, and its connection.
type Client = (Service, TcpStream);

/// The connection threads, each kept for the next client once its own has gone: starting a
/// thread per connection was a quarter of the server's CPU under a load of short SMTP
/// sessions (`scripts/bench-serve.sh`). A thread is started only when none waits, and a
/// client counts against [`MAX_CLIENTS`] until its thread waits again, so there are never
/// more than that many.
#[derive(Default)]
struct Workers {
    /// The way to each thread that waits for a client.
    idle: std::sync::Mutex<Vec<mpsc::Sender<Client>>>,
}

impl Workers {
    /// Serves `client` on a waiting thread, or a new one.
    fn serve(&self, client: Client, shared: &Arc<Shared>) {
        let waiting = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let client = match waiting {
            Some(worker) => match worker.send(client) {
                Ok(()) => return,
                // A waiting thread never lets go of its channel; were it gone, a new one serves.
                Err(mpsc::SendError(client)) => client,
            },
            None => client,
        };
        let shared = Arc::clone(shared);
        std::thread::spawn(move || work(client, &shared));
    }
}

/// One connection thread: serves its client, then waits for the next.
fn work(mut client: Client, shared: &Shared) {
    let (next, clients) = mpsc::channel::<Client>();
    loop {
        let (service, stream) = client;
        let result = match service {
            Service::Smtp => smtp_session(stream, shared, &shared.smtp),
            Service::Submission => smtp_session(stream, shared, &shared.submission),
            Service::Pop3 => pop3_session(stream, shared),
            Service::Imap => imap_session(stream, shared),
        };
        if let Err(e) = result {
            eprintln!("mailroom-serve: {} connection ended: {e}", service.name());
        }
        shared.workers.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(next.clone());
        shared.clients.fetch_sub(1, Ordering::SeqCst);
        // This thread holds `next` itself: the channel stays open, and it waits until a
        // client comes.
        let Ok(c) = clients.recv() else { return };
        client = c;
    }
}

fn to_duration(d: SimDuration) -> Duration {
    Duration::from_micros(d.0)
}

fn peer_of(stream: &TcpStream) -> io::Result<Peer> {
    Ok(Peer { addr: stream.peer_addr()?.ip().to_string(), name: None })
}

/// One SMTP (or submission) client, from connect to close.
fn smtp_session(mut stream: TcpStream, shared: &Shared, config: &ServerConfig) -> io::Result<()> {
    // A client that stops reading must not hold this thread (and a client slot) forever:
    // a write may take as long as the machine lets a client be idle.
    stream.set_write_timeout(Some(to_duration(config.timeout)))?;
    let peer = peer_of(&stream)?;
    let session_id = format!("{:06X}", shared.next_session() & 0xFF_FFFF);
    let mut server = SmtpServer::new(config.clone(), peer, &session_id, shared.now());
    let mut env = SmtpEnv { store: &shared.store, directory: &shared.directory };
    let mut log = ClientLines::new(shared.transcript, false);
    let result = drive(&mut stream, &mut server, shared, &mut env, &mut log);
    log.finish();
    if !server.is_closed() {
        server.handle_close(shared.now());
    }
    result
}

/// One POP3 client, from connect to close.
fn pop3_session(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_write_timeout(Some(to_duration(shared.pop3.timeout)))?;
    let peer = peer_of(&stream)?;
    let mut server = Pop3Server::new(shared.pop3.clone(), peer, shared.next_session(), shared.now());
    let mut env = Pop3Env { store: &shared.store, directory: &shared.directory };
    let mut log = ClientLines::new(shared.transcript, true);
    let result = drive(&mut stream, &mut server, shared, &mut env, &mut log);
    log.finish();
    if !server.is_closed() {
        server.handle_close(shared.now());
    }
    // The machine releases the maildrop only at QUIT. After a dropped connection, an
    // autologout or a broken socket the driver must (`Pop3Server`'s module doc): nothing
    // is deleted, and the next session may lock it. After QUIT this changes nothing.
    if let Some(user) = server.user() {
        env.close_maildrop(user, server.session());
    }
    result
}

/// One IMAP client, from connect to close. The machine lives on the store thread (see
/// [`host`]); this thread reads the socket and hands the bytes over, a writer thread sends
/// whatever the machine queues, including what IDLE pushes when SMTP delivers.
fn imap_session(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    writer.set_write_timeout(Some(to_duration(shared.imap.timeout)))?;
    let peer = peer_of(&stream)?;
    let mut reader = io::BufReader::with_capacity(8192, stream);
    let id = shared.next_session();
    let (tx, outgoing) = std::sync::mpsc::channel::<Option<Vec<u8>>>();
    let to_client = ImapOut { tx, backlog: Arc::new(AtomicUsize::new(0)) };
    let out = to_client.clone();
    let transcript = shared.transcript;
    let writing = std::thread::spawn(move || {
        for bytes in outgoing {
            let Some(bytes) = bytes else { break };
            if transcript {
                transcript::server(&bytes);
            }
            let written = writer.write_all(&bytes);
            out.written(bytes.len());
            if written.is_err() {
                break;
            }
        }
        let _ = writer.shutdown(std::net::Shutdown::Both);
    });
    let backlog = to_client.clone();
    let (config, now) = (shared.imap.clone(), shared.now());
    let mut deadline = shared.store.run(move |h| h.imap_open(id, config, peer, now, to_client)).flatten();
    let result = loop {
        let Some(at) = deadline else { break Ok(()) };
        // A client that sends commands faster than it reads the answers waits, unread,
        // until its answers have gone out (bounded memory; the machine's own timer still
        // ends a session whose client never reads).
        while backlog.over() && !writing.is_finished() && shared.now() < at {
            std::thread::sleep(Duration::from_millis(5));
        }
        let now = shared.now();
        let input = if at <= now {
            None
        } else {
            reader.get_ref().set_read_timeout(Some(to_duration(SimDuration(at.0 - now.0))))?;
            // One line at a time (at most the buffer), so that pipelined commands reach the
            // machine one by one and the backlog check above runs between them.
            match reader.fill_buf() {
                Ok([]) => break Ok(()),
                Ok(available) => {
                    let n = available.iter().position(|&b| b == b'\n').map_or(available.len(), |p| p + 1);
                    let line = available[..n].to_vec();
                    reader.consume(n);
                    Some(line)
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            }
        };
        let now = shared.now();
        deadline = shared.store.run(move |h| h.imap_input(id, input.as_deref(), now)).flatten();
    };
    let now = shared.now();
    shared.store.run(move |h| h.imap_end(id, now));
    let _ = writing.join();
    result
}

/// The [`Session`] call order: drain the outputs, arm the timer at the machine's
/// deadline, then feed it what arrives, or the timeout, or the close.
fn drive(
    stream: &mut TcpStream,
    machine: &mut dyn Session,
    shared: &Shared,
    env: &mut dyn Env,
    log: &mut ClientLines,
) -> io::Result<()> {
    let mut buf = [0u8; 8192];
    loop {
        if flush(stream, machine, shared, log)? {
            return Ok(());
        }
        let Some(deadline) = machine.poll_timeout() else {
            return Ok(());
        };
        let now = shared.now();
        if deadline <= now {
            machine.handle_timeout(now);
            continue;
        }
        stream.set_read_timeout(Some(to_duration(SimDuration(deadline.0 - now.0))))?;
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                log.feed(&buf[..n]);
                machine.handle_input(&buf[..n], shared.now(), env);
            }
            // The timer fired: the machine decides (SMTP's 421, POP3's silent autologout,
            // once its deadline passed; nothing if the socket woke a little early).
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                machine.handle_timeout(shared.now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Carries out everything the machine wants done, in order; true once it closed.
fn flush(
    stream: &mut TcpStream,
    machine: &mut dyn Session,
    shared: &Shared,
    log: &mut ClientLines,
) -> io::Result<bool> {
    // Replies to pipelined commands leave in one write (RFC 2920 §3.2, RFC 2449 §6.6).
    let mut pending = Vec::new();
    let mut closing = false;
    while let Some(out) = machine.poll_output() {
        match out {
            Output::Send { bytes, .. } => pending.extend_from_slice(&bytes),
            // Stored before its 250 is sent; if it cannot be, the connection ends without
            // the 250 and the client still holds the message.
            Output::Request(Request::Accept(a)) => {
                let now = shared.now();
                let stored = shared
                    .store
                    .run(move |h| h.deliver(&a, now))
                    .unwrap_or_else(|| Err("the store could not take the message".to_string()));
                stored.map_err(io::Error::other)?;
            }
            // Never asked: mailroom-serve does not offer STARTTLS.
            Output::Request(Request::StartTls) => {}
            Output::Close => closing = true,
        }
    }
    if !pending.is_empty() {
        if shared.transcript {
            transcript::server(&pending);
        }
        log.server_sent(&pending);
        stream.write_all(&pending)?;
    }
    Ok(closing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every user of the world has a made-up password, and nobody else has one.
    #[test]
    fn every_user_has_a_password() {
        let users: Vec<&str> = host::PASSWORDS.iter().map(|(u, _)| *u).collect();
        assert_eq!(users, names::USERS);
    }
}
