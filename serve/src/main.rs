//! `mailroom-serve`: Mailroom's SMTP server on a real TCP socket, so that real clients
//! (Python's smtplib, curl, swaks, a mail program) talk to the very same server code that
//! the lessons animate. Only the sockets and threads live here; every protocol decision is
//! made by `mailroom-core`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailroom_core::smtp::Reply;
use mailroom_core::smtp::server::{Peer, ServerConfig, ServerOutput, SmtpServer};
use mailroom_core::time::SimTime;
use mailroom_core::world::{Mta, names};

/// An idle client is dropped after 5 minutes, the server timeout of RFC 5321 §4.5.3.2.7.
const IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// At most this many clients at once; more are told 421 and closed (RFC 5321 §3.8).
const MAX_CLIENTS: usize = 64;
/// All mailboxes together hold at most this much; then new mail gets `452 4.3.1` until
/// the server restarts. Mail already past MAIL FROM is still delivered, never dropped.
const MAX_STORED_BYTES: usize = 256 * 1024 * 1024;
/// The server's name in greetings and `Received:` headers.
const HOSTNAME: &str = "mail.example.net";

const HELP: &str = "\
mailroom-serve: Mailroom's simulated mail servers on loopback TCP, for real clients.

USAGE:
    mailroom-serve --smtp 127.0.0.1:2525 [--transcript] [--print-messages]

OPTIONS:
    --smtp ADDR        Listen for SMTP on ADDR (port 0 picks a free port).
    --transcript       Print every command and reply (C: / S:) to standard error.
    --print-messages   Print every delivered message, as stored, to standard output.
    -h, --help         Show this help.
    -V, --version      Show the version.

THE WORLD:
    The server is the final destination for the domains example.org and example.net
    and accepts mail for these users:
        alice@example.org
        bob@example.net
        carol@example.net
    (and postmaster@ of both domains). Mail for any other domain is refused with
    550 5.7.1 (relay access denied); an unknown user gets 550 5.1.1.

    Messages are kept in memory and lost when the server stops.
    Dates in Received: headers are simulation time, starting Mon, 30 Nov 2026 09:00:00.

EXAMPLE:
    mailroom-serve --smtp 127.0.0.1:2525 &
    python3 -c 'import smtplib; s = smtplib.SMTP(\"127.0.0.1\", 2525); \\
      s.sendmail(\"alice@example.org\", [\"bob@example.net\"], \"Subject: hi\\r\\n\\r\\nHello\\r\\n\"); s.quit()'
";

struct Options {
    smtp: SocketAddr,
    transcript: bool,
    print_messages: bool,
}

fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut smtp = None;
    let mut transcript = false;
    let mut print_messages = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "-V" | "--version" => {
                println!("mailroom-serve {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            "--smtp" => {
                let v = it.next().ok_or("--smtp needs an address, e.g. 127.0.0.1:2525")?;
                smtp = Some(v.parse::<SocketAddr>().map_err(|e| format!("--smtp {v}: {e}"))?);
            }
            "--transcript" => transcript = true,
            "--print-messages" => print_messages = true,
            other => return Err(format!("unknown argument {other} (see --help)")),
        }
    }
    let smtp = smtp.ok_or("nothing to serve: give --smtp ADDR (see --help)")?;
    Ok(Some(Options { smtp, transcript, print_messages }))
}

fn config() -> ServerConfig {
    let mut c = ServerConfig::new(HOSTNAME);
    c.local_domains = vec!["example.org".into(), "example.net".into()];
    c.mailboxes = names::USERS.iter().map(|s| s.to_string()).collect();
    c
}

struct Shared {
    mta: Mutex<Mta>,
    started: Instant,
    clients: AtomicUsize,
    sessions: AtomicUsize,
    transcript: bool,
    print_messages: bool,
}

impl Shared {
    /// The bytes held in all mailboxes.
    fn stored_bytes(&self) -> usize {
        self.mta.lock().map(|m| m.mailboxes.values().flatten().map(Vec::len).sum()).unwrap_or(usize::MAX)
    }

    /// Simulation time: the time since the server started.
    fn now(&self) -> SimTime {
        SimTime(self.started.elapsed().as_micros() as u64)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(&args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("mailroom-serve: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(opts.smtp) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mailroom-serve: cannot listen on {}: {e}", opts.smtp);
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("listening smtp {local}");
    let _ = std::io::stdout().flush();
    let shared = Arc::new(Shared {
        mta: Mutex::new(Mta::new(config())),
        started: Instant::now(),
        clients: AtomicUsize::new(0),
        sessions: AtomicUsize::new(0),
        transcript: opts.transcript,
        print_messages: opts.print_messages,
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        if shared.clients.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
            let mut stream = stream;
            let _ = stream
                .write_all(&Reply::new(421, "4.3.2", "Too many connections, try again later").to_bytes());
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

/// One client, from connect to close.
fn session(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    // A client that stops reading must not hold this thread (and a client slot) forever.
    stream.set_write_timeout(Some(IDLE_TIMEOUT))?;
    let peer_addr = stream.peer_addr()?.ip().to_string();
    let n = shared.sessions.fetch_add(1, Ordering::SeqCst) + 1;
    let session_id = format!("{:06X}", n & 0xFF_FFFF);
    let config = shared.mta.lock().map_err(|_| std::io::Error::other("lock poisoned"))?.config.clone();
    let mut server = SmtpServer::new(config, Peer { addr: peer_addr, name: None }, &session_id);
    let mut buf = [0u8; 8192];
    loop {
        let mut closing = false;
        while let Some(out) = server.poll_output() {
            match out {
                ServerOutput::Reply { reply, .. } => {
                    let bytes = reply.to_bytes();
                    if shared.transcript {
                        show("S: ", &bytes);
                    }
                    stream.write_all(&bytes)?;
                }
                ServerOutput::Accepted(a) => deliver(shared, a),
                ServerOutput::Close => closing = true,
            }
        }
        if closing {
            return Ok(());
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => {
                server.handle_close();
                return Ok(());
            }
            Ok(n) => n,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                let bytes =
                    Reply::new(421, "4.4.2", format!("{HOSTNAME} timeout, closing connection")).to_bytes();
                let _ = stream.write_all(&bytes);
                server.handle_close();
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if shared.transcript {
            show("C: ", &buf[..n]);
        }
        server.set_storage_available(shared.stored_bytes() < MAX_STORED_BYTES);
        server.handle_input(&buf[..n], shared.now());
    }
}

/// The server owns the message now (it is about to answer 250): file it in every
/// recipient's mailbox. Every recipient is local, since relaying is refused at RCPT.
fn deliver(shared: &Shared, a: mailroom_core::smtp::server::Accepted) {
    let Ok(mut mta) = shared.mta.lock() else {
        return;
    };
    for rcpt in &a.rcpt_to {
        let Some(mailbox) = mta.config.local_mailbox(rcpt) else {
            // Cannot happen: RCPT only accepts local mailboxes here. Say so loudly.
            eprintln!("mailroom-serve: BUG: accepted {} for non-local {rcpt}", a.id);
            continue;
        };
        let stored = mta.deliver_local(&mailbox, &a.mail_from, &a.message);
        let count = mta.mailboxes.get(&mailbox).map(Vec::len).unwrap_or(0);
        let mut out = std::io::stdout().lock();
        let _ =
            writeln!(out, "delivered {} to {mailbox} ({} octets, {count} in mailbox)", a.id, stored.len());
        if shared.print_messages {
            let _ = writeln!(out, "--- message {} for {mailbox} ---", a.id);
            let _ = out.write_all(&stored);
            let _ = writeln!(out, "--- end ---");
        }
        let _ = out.flush();
    }
}
