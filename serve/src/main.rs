//! `mailroom-serve`: Mailroom's SMTP, submission, POP3 and IMAP servers on real TCP sockets,
//! so that real clients (Python's smtplib, poplib and imaplib, curl, swaks, a mail program)
//! talk to the very same server code that the lessons animate. Only the sockets and the
//! clock live here ([`event_loop`]); every protocol decision, the idle timeouts included, is
//! made by `mailroom-core`'s SMTP, POP3 and IMAP servers, driven through the `Session`
//! contract. This binary is their host: it answers the machines' questions (`Env`) from one
//! mail store shared by every service ([`host`]) and carries out their requests (store this
//! message).

mod check;
mod event_loop;
mod host;
mod tls;
mod transcript;

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand};
use mailroom_core::imap::server::{self as imap, ImapConfig};
use mailroom_core::pop3::server::{AUTOLOGOUT, Pop3Config};
use mailroom_core::session::Directory;
use mailroom_core::smtp::server::{SERVER_TIMEOUT, ServerConfig, TlsPolicy};
use mailroom_core::time::{MIN_RATE, SimDuration};
use mailroom_core::world::names;

use host::Host;

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
    /// Offer STARTTLS (SMTP, submission, IMAP) and STLS (POP3), with a real TLS handshake
    ///
    /// Offer STARTTLS on --smtp and --submission (RFC 3207) and --imap (RFC 3501 §6.2.1),
    /// and STLS on --pop3 (RFC 2595), with a real TLS handshake and a certificate made at
    /// start, self-signed, for mail.example.net, localhost, 127.0.0.1 and ::1 (its SHA-256
    /// fingerprint is printed). Passwords are then taken only over TLS, as a real server
    /// does: submission's AUTH gets 538 5.7.11 before STARTTLS (RFC 4954 §6), POP3's USER
    /// -ERR before STLS, IMAP says LOGINDISABLED (RFC 3501 §6.2.3).
    #[arg(long)]
    tls: bool,
    /// With --tls: write the certificate (PEM) to FILE, for clients that check it
    ///
    /// With --tls: write the certificate (PEM) to FILE, for clients that check it
    /// (curl --cacert FILE, Python's ssl.create_default_context(cafile=FILE)). Only the
    /// certificate: the key is never written anywhere.
    #[arg(long, value_name = "FILE", requires = "tls")]
    tls_cert: Option<std::path::PathBuf>,
    /// For testing: seconds of silence before a client is disconnected
    ///
    /// For testing: a client that sends no complete command line (in SMTP's DATA, no line of
    /// the message) for SECS seconds is disconnected, on every service; a byte at a time
    /// does not count (but inside an IMAP literal each octet earns 1/500 s, up to SECS from
    /// now: a literal sent at 500 octets a second or more goes on without a line end).
    /// SMTP says 421 4.4.2 first; POP3 closes without a word and deletes nothing
    /// (its autologout); IMAP says * BYE. A real server waits at least 5 minutes for SMTP
    /// (RFC 5321 §4.5.3.2.7), 10 minutes for POP3 (RFC 1939 §3) and 30 minutes for IMAP
    /// (RFC 3501 §5.4): those are the defaults.
    #[arg(long, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=MAX_IDLE_TIMEOUT_SECS))]
    idle_timeout: Option<u64>,
    /// For testing: the slowest a client may read, or send an IMAP literal, in octets a second
    ///
    /// For testing: the slowest a client may take the answers that wait for it, or send an
    /// IMAP literal, in octets a second (default 500, Postfix's smtpd_min_data_rate). Each
    /// octet earns the client 1/RATE of a second, up to the idle timeout from now: one that
    /// keeps up RATE is never cut off, one that reads or sends slower is, however it spreads
    /// its bytes.
    #[arg(long, value_name = "RATE", value_parser = clap::value_parser!(u64).range(1..))]
    min_rate: Option<u64>,
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
  address and password; in the clear on loopback, or with --tls only after STARTTLS) takes mail
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

/// SMTP; with `--tls`, STARTTLS offered (RFC 3207).
fn smtp_config(idle_timeout: Option<SimDuration>, tls: bool) -> ServerConfig {
    let mut c = ServerConfig::new(HOSTNAME);
    c.postmaster_domain = Some(LOCAL_DOMAINS[0].to_string());
    c.timeout = idle_timeout.unwrap_or(SERVER_TIMEOUT);
    c.tls = if tls { TlsPolicy::Offered } else { TlsPolicy::Off };
    c
}

/// Submission (RFC 6409): AUTH first, then mail from one's own address to anyone. With
/// `--tls`, AUTH only once STARTTLS has encrypted the connection (RFC 4954 §6, RFC 8314
/// §3.3); without, no STARTTLS, and it runs in the clear (on loopback).
fn submission_config(idle_timeout: Option<SimDuration>, tls: bool) -> ServerConfig {
    let mut c = smtp_config(idle_timeout, tls);
    c.submission = true;
    c.auth_needs_tls = tls;
    c
}

/// POP3; with `--tls`, STLS offered and logins only after it (RFC 2595 §4).
fn pop3_config(idle_timeout: Option<SimDuration>, tls: bool) -> Pop3Config {
    let mut c = Pop3Config::new(HOSTNAME);
    c.timeout = idle_timeout.unwrap_or(AUTOLOGOUT);
    c.tls = tls;
    c.login_needs_tls = tls;
    c
}

/// IMAP; with `--tls`, STARTTLS offered and LOGINDISABLED until it (RFC 3501 §6.2.1).
fn imap_config(idle_timeout: Option<SimDuration>, min_rate: u64, tls: bool) -> ImapConfig {
    let mut c = ImapConfig::new(HOSTNAME);
    c.timeout = idle_timeout.unwrap_or(imap::AUTOLOGOUT);
    c.min_rate = min_rate;
    c.tls = tls;
    c.login_needs_tls = tls;
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

fn main() -> ExitCode {
    // Bad arguments (or neither --smtp nor --pop3): clap prints the error and the usage,
    // and exits with code 2.
    let opts = Options::parse();
    if let Some(Command::Check { files }) = &opts.command {
        return check::run(files);
    }
    // The certificate, and its file, before any listener is announced.
    let identity = match opts.tls.then(|| tls::self_signed(HOSTNAME)).transpose() {
        Ok(identity) => identity,
        Err(e) => {
            eprintln!("mailroom-serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(identity), Some(path)) = (&identity, &opts.tls_cert)
        && let Err(e) = std::fs::write(path, &identity.pem)
    {
        eprintln!("mailroom-serve: cannot write the certificate to {}: {e}", path.display());
        return ExitCode::FAILURE;
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
        if let Some(identity) = &identity {
            let names = format!("{HOSTNAME} localhost 127.0.0.1 ::1");
            let _ = writeln!(out, "tls certificate {names} sha256 {}", identity.fingerprint);
        }
        let _ = out.flush();
    }
    let idle_timeout = opts.idle_timeout.map(SimDuration::from_secs);
    let min_rate = opts.min_rate.unwrap_or(MIN_RATE);
    let services = event_loop::Services {
        smtp: smtp_config(idle_timeout, opts.tls),
        submission: submission_config(idle_timeout, opts.tls),
        pop3: pop3_config(idle_timeout, opts.tls),
        imap: imap_config(idle_timeout, min_rate, opts.tls),
        min_rate,
        transcript: opts.transcript,
        tls: identity.map(|i| i.config),
    };
    let mut host = Host::new(directory(), opts.print_messages, HOSTNAME);
    match event_loop::run(listeners, &services, &mut host) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailroom-serve: {e}");
            ExitCode::FAILURE
        }
    }
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
