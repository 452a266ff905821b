//! Writes the seed corpus of the fuzz targets (`fuzz/`) in the harness's input format
//! ([`mailroom_core::fuzzing`]): the SMTP and POP3 transcript fixtures, each sent line by
//! line and all in one write, and sessions through AUTH, STARTTLS, the limits, the fault
//! rules, the lock and the timers.
//!
//! ```sh
//! cargo run -p mailroom-core --example fuzz_seeds -- fuzz/corpus
//! ```
//!
//! writes `fuzz/corpus/smtp_server/seed-*` and `fuzz/corpus/pop3_server/seed-*`.

use std::path::{Path, PathBuf};

use mailroom_core::base64::encode as base64;
use mailroom_core::fuzzing::{ESCAPE, Step, encode, pop3_server, smtp_server};
use mailroom_core::pop3::md5_hex;
use mailroom_core::smtp::auth::plain_response;

/// Setups of the SMTP harness (the first byte; see `fuzzing/smtp.rs`).
const MX: u8 = 0;
const MX_TLS: u8 = 1;
const SUBMISSION: u8 = 3;
const SUBMISSION_TLS: u8 = 4;
const SUBMISSION_TLS_FOR_PASSWORDS: u8 = 5;
const SUBMISSION_TLS_REQUIRED: u8 = 6;
const NO_SERVICE: u8 = 7;
const SMALL: u8 = 8;
const RELAY_CLIENT: u8 = 16;
const FULL: u8 = 32;
const FAULTS: u8 = 64;
/// POP3: bits 0–2 how many messages Bob has, 8 unreadable, 16 Alice has one.
const UNREADABLE: u8 = 8;
const ALICE_HAS_MAIL: u8 = 16;

fn w(text: &str) -> Step {
    Step::write(text)
}

/// Puts `L` markers into an encoded input: every `<L:n>` in a write becomes `0xFF L n`,
/// n × 64 octets `a` when the harness reads it, so a long line stays a short seed.
fn long_lines(mut input: Vec<u8>) -> Vec<u8> {
    while let Some(at) = input.windows(3).position(|w| w == b"<L:") {
        let end = at + input[at..].iter().position(|&b| b == b'>').expect("<L:n>");
        let n: u8 = std::str::from_utf8(&input[at + 3..end])
            .ok()
            .and_then(|n| n.parse().ok())
            .expect("<L:n>, n a byte");
        input.splice(at..=end, [ESCAPE, b'L', n]);
    }
    input
}

/// The `C:` lines of a transcript fixture, with CRLF.
fn client_lines(path: &Path, rewrite: &dyn Fn(&str) -> String) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.strip_prefix("C:"))
        .map(|c| format!("{}\r\n", rewrite(c.strip_prefix(' ').unwrap_or(c))))
        .collect()
}

/// Each transcript twice: a write per line, and all lines in one write (pipelined).
fn transcripts(dir: &Path, setup: u8, rewrite: &dyn Fn(&str) -> String) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    let mut seeds = Vec::new();
    for path in files {
        let name = path.file_stem().expect("a file name").to_string_lossy().into_owned();
        let lines = client_lines(&path, rewrite);
        let steps: Vec<Step> = lines.iter().map(|l| w(l)).collect();
        seeds.push((name.clone(), encode(setup, &steps)));
        seeds.push((format!("{name}-pipelined"), encode(setup, &[w(&lines.concat())])));
    }
    seeds
}

fn smtp_seeds(root: &Path) -> Vec<(String, Vec<u8>)> {
    let alice = format!("AUTH PLAIN {}\r\n", plain_response("alice@example.org", "wonderland"));
    let wrong = format!("AUTH PLAIN {}\r\n", plain_response("alice@example.org", "looking-glass"));
    let login_user = format!("{}\r\n", base64(b"bob@example.net"));
    let login_password = format!("{}\r\n", base64(b"builder"));
    let message = "From: Alice <alice@example.org>\r\nSubject: hi\r\n\r\nHello\r\n..a dot\r\n.\r\n";
    let transaction = |from: &str, to: &str| format!("MAIL FROM:<{from}>\r\nRCPT TO:<{to}>\r\nDATA\r\n");
    let mut seeds = transcripts(&root.join("tests/transcripts"), MX, &|l| l.to_string());
    let mut add = |name: &str, setup: u8, steps: Vec<Step>| {
        seeds.push((name.to_string(), long_lines(encode(setup, &steps))))
    };
    add(
        "submission-plain",
        SUBMISSION,
        vec![
            w("EHLO laptop.example.org\r\n"),
            w("MAIL FROM:<alice@example.org>\r\n"),
            w(&wrong),
            w(&alice),
            w("MAIL FROM:<bob@example.net>\r\n"),
            w(&transaction("alice@example.org", "bob@far.example")),
            w(message),
            w("QUIT\r\n"),
        ],
    );
    add(
        "submission-login-after-starttls",
        SUBMISSION_TLS_FOR_PASSWORDS,
        vec![
            w("EHLO laptop.example.org\r\n"),
            w(&alice),
            w("STARTTLS\r\n"),
            Step::Tls,
            w("EHLO laptop.example.org\r\n"),
            w("AUTH LOGIN\r\n"),
            w(&login_user),
            w(&login_password),
            w(&transaction("bob@example.net", "carol@example.net")),
            w(message),
            w("QUIT\r\n"),
        ],
    );
    add(
        "submission-tls-required",
        SUBMISSION_TLS_REQUIRED,
        vec![
            w("HELO c\r\n"),
            w("EHLO c\r\n"),
            w("MAIL FROM:<alice@example.org>\r\nNOOP\r\n"),
            w("STARTTLS\r\nMAIL FROM:<alice@example.org>\r\n"),
            w("NOOP\r\n"),
            Step::Tls,
            w("EHLO c\r\n"),
            w(&format!("AUTH PLAIN\r\n{}\r\n", plain_response("alice@example.org", "wonderland"))),
            w(&transaction("alice@example.org", "bob@example.net")),
            w("Subject: x\r\n\r\nbody\r\n.\r\n"),
            w("STARTTLS\r\n"),
            Step::Timeout,
        ],
    );
    add(
        "submission-auth-mistakes",
        SUBMISSION_TLS,
        vec![
            w("AUTH PLAIN\r\n"),
            w("EHLO c\r\n"),
            w("AUTH CRAM-MD5\r\n"),
            w("AUTH LOGIN\r\n*\r\n"),
            w("AUTH PLAIN AGFsaWNl=\r\n"),
            w("AUTH PLAIN\r\nnot base64!\r\n"),
            w(&format!("AUTH PLAIN {}\r\n", base64(b"bob@example.net\0alice@example.org\0wonderland"))),
            w("AUTH PLAIN\r\n<L:200>\r\nNOOP\r\n"),
            w("STARTTLS now\r\n"),
            w("STARTTLS\r\n"),
            Step::Tls,
            Step::Tls,
            w("EHLO c\r\nSTARTTLS\r\n"),
            w("QUIT\r\n"),
        ],
    );
    add(
        "limits",
        MX | SMALL | RELAY_CLIENT,
        vec![
            w("EHLO c\r\n"),
            w("MAIL FROM:<a@example.org> SIZE=1000\r\n"),
            w("MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME\r\n"),
            w(
                "RCPT TO:<a@far.example>\r\nRCPT TO:<b@far.example>\r\nRCPT TO:<c@far.example>\r\nRCPT TO:<d@far.example>\r\n",
            ),
            w("DATA\r\n"),
            w(&format!("{}\r\n.\r\n", "x".repeat(300))),
            w(&transaction("a@example.org", "postmaster")),
            w("<L:20>\r\n.\r\n"),
            w("NOOP <L:10>\r\nNOOP\r\n"),
        ],
    );
    add(
        "fault-rules",
        MX | FAULTS,
        vec![
            w("EHLO c\r\n"),
            w(&transaction("spam@example.org", "grey@example.net")),
            w("RCPT TO:<full@example.net>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n"),
            w("Subject: spam\r\n\r\n.\r\n"),
            w(&transaction("fake@example.org", "bob@example.net")),
            w("Subject: fake\r\n\r\n.\r\n"),
        ],
    );
    add(
        "address-literals",
        MX,
        vec![
            w("EHLO [192.0.2.1]\r\n"),
            w("HELO [IPv6:2001:db8::1]\r\n"),
            w("EHLO [tag:content]\r\n"),
            w("EHLO [\u{1}]\r\n"),
            w(&transaction("a@[192.0.2.1]", "bob@example.net")),
            w("Subject: literal\r\n\r\n.\r\n"),
        ],
    );
    add("no-service", NO_SERVICE, vec![w("EHLO c\r\nMAIL FROM:<a@example.org>\r\n"), w("QUIT\r\n")]);
    add(
        "smuggling-and-bare-line-ends",
        MX,
        vec![
            w("EHLO c\r\n"),
            w(&transaction("a@example.org", "bob@example.net")),
            w("hi\n.\r\nMAIL FROM:<e@v.example>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\nevil\r\n.\r\n"),
            w("NOOP\n"),
            w("QUIT\nNOOP\r\n"),
            w(&transaction("a@example.org", "bob@example.net")),
            w("half a line"),
            Step::Close,
        ],
    );
    add(
        "starttls-on-port-25-storage-full",
        MX_TLS | FULL,
        vec![
            w("EHLO relay.example\r\n"),
            w("STARTTLS\r\n"),
            Step::Tls,
            w("EHLO relay.example\r\nMAIL FROM:<a@example.org>\r\n"),
            Step::Timeout,
            w("NOOP\r\n"),
        ],
    );
    seeds
}

fn pop3_seeds(root: &Path) -> Vec<(String, Vec<u8>)> {
    let rewrite = |l: &str| l.replace("USER bob", "USER bob@example.net").replace("hunter2", "builder");
    let mut seeds =
        transcripts(&root.join("tests/pop3"), 2, &|l| rewrite(l).replace("user bob", "user bob@example.net"));
    let login = "USER bob@example.net\r\nPASS builder\r\n";
    // Session 1 at time zero: APOP's timestamp is <1.0@pop.example.net>.
    let apop = format!("APOP bob@example.net {}\r\n", md5_hex(b"<1.0@pop.example.net>builder"));
    let mut add = |name: &str, setup: u8, steps: Vec<Step>| {
        seeds.push((name.to_string(), long_lines(encode(setup, &steps))))
    };
    add(
        "apop-retrieve-delete",
        5,
        vec![
            w(&apop),
            w("STAT\r\nLIST\r\nUIDL\r\n"),
            w("RETR 1\r\nRETR 3\r\nTOP 3 1\r\nTOP 5 0\r\nRETR 4\r\n"),
            w("DELE 1\r\nDELE 1\r\nLIST 1\r\nUIDL 2\r\nDELE 3\r\n"),
            w("QUIT\r\n"),
        ],
    );
    add(
        "two-sessions-and-the-lock",
        3,
        vec![
            w(login),
            w("DELE 2\r\n"),
            Step::Switch,
            w(login),
            w("QUIT\r\n"),
            Step::Switch,
            Step::Close,
            Step::Switch,
            Step::NewSession,
            w(login),
            w("LIST\r\nDELE 1\r\nRSET\r\nDELE 3\r\nQUIT\r\n"),
            Step::NewSession,
            w(login),
            w("UIDL\r\n"),
            Step::Timeout,
        ],
    );
    add(
        "mistakes",
        2 | UNREADABLE | ALICE_HAS_MAIL,
        vec![
            w("STAT\r\nNOOP\r\nPASS builder\r\nUSER carol@example.net\r\nPASS christmas\r\n"),
            w(
                "USER alice@example.org\r\nPASS wrong\r\nAPOP alice@example.org 00000000000000000000000000000000\r\n",
            ),
            w("CAPA\r\nUSER alice@example.org\r\nPA"),
            w("SS wonderland\r\nUSER x\r\nRETR 1\r\nTOP 1 0\r\nRETR 99999999999\r\nLIST x\r\nNOOP\n"),
            w("NOOP <L:5>\r\nQUIT now\r\n\r\nFROB\r\n\x00\r\n"),
            w("QUIT\r\n"),
            w("STAT\r\n"),
        ],
    );
    seeds
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".to_string()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    type Harness = fn(&[u8]);
    let targets: [(&str, Vec<(String, Vec<u8>)>, Harness); 2] =
        [("smtp_server", smtp_seeds(root), smtp_server), ("pop3_server", pop3_seeds(root), pop3_server)];
    for (target, seeds, harness) in targets {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for (name, input) in &seeds {
            // A seed that breaks an invariant is a bug to fix first, not a seed.
            harness(input);
            let path = dir.join(format!("seed-{name}"));
            std::fs::write(&path, input).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        println!("{}: {} seeds", dir.display(), seeds.len());
    }
}
