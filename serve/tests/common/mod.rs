//! Starts `mailroom-serve` on free ports of 127.0.0.1 and reads what it prints.

#![allow(dead_code)] // each test file uses its own part of it

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    /// The SMTP port (0 without `--smtp`).
    pub port: u16,
    /// The POP3 port (0 without `--pop3`).
    pub pop3_port: u16,
    /// The submission port (0 without `--submission`).
    pub submission_port: u16,
    /// The IMAP port (0 without `--imap`).
    #[allow(dead_code)]
    pub imap_port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// Copies everything `from` prints into `to`, on its own thread.
fn collect(mut from: impl Read + Send + 'static, to: &Arc<Mutex<String>>) {
    let sink = Arc::clone(to);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
}

impl Server {
    /// The server process's id (to read its memory in /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An SMTP server that prints the messages it stores.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// A server with `extra` options after `--smtp 127.0.0.1:0 --print-messages`.
    pub fn start_with(extra: &[&str]) -> Server {
        let mut args = vec!["--smtp", "127.0.0.1:0", "--print-messages"];
        args.extend_from_slice(extra);
        Server::run(&args)
    }

    /// A server with exactly these options; waits for its `listening` lines.
    pub fn run(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailroom-serve"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mailroom-serve");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let services =
            args.iter().filter(|a| matches!(**a, "--smtp" | "--submission" | "--pop3" | "--imap")).count();
        let (mut port, mut pop3_port, mut submission_port, mut imap_port) = (0, 0, 0, 0);
        for _ in 0..services {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            let (service, addr) = line
                .trim()
                .strip_prefix("listening ")
                .and_then(|rest| rest.split_once(' '))
                .unwrap_or_else(|| panic!("expected a listening line: {line:?}"));
            let p: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
            match service {
                "smtp" => port = p,
                "pop3" => pop3_port = p,
                "submission" => submission_port = p,
                "imap" => imap_port = p,
                other => panic!("unknown service {other:?}"),
            }
        }
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        collect(out, &stdout);
        collect(child.stderr.take().unwrap(), &stderr);
        Server { child, port, pop3_port, submission_port, imap_port, stdout, stderr }
    }

    /// Waits (bounded) until the server printed `needle`; returns everything printed.
    pub fn wait_for(&self, needle: &str) -> String {
        wait(&self.stdout, needle)
    }

    /// Waits (bounded) until the server printed `needle` on standard error (the
    /// transcript); returns everything it printed there.
    pub fn wait_for_stderr(&self, needle: &str) -> String {
        wait(&self.stderr, needle)
    }
}

fn wait(printed: &Mutex<String>, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let out = printed.lock().unwrap().clone();
        if out.contains(needle) || start.elapsed() > Duration::from_secs(10) {
            return out;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // What the server said, for the failing test's output.
        if std::thread::panicking() {
            eprintln!("--- mailroom-serve stderr ---\n{}", self.stderr.lock().unwrap());
        }
    }
}
