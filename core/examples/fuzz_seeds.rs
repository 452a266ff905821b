//! Writes the seed corpus of the fuzz targets (`fuzz/`) in the harness's input format
//! ([`mailroom_core::fuzzing`]): the SMTP, POP3 and IMAP transcript fixtures, each sent line
//! by line and all in one write, and sessions through AUTH, STARTTLS, the limits, the fault
//! rules, the lock and the timers; for IMAP literals cut across writes, AUTHENTICATE, IDLE,
//! two sessions on one store and mail arriving.
//!
//! ```sh
//! cargo run -p mailroom-core --example fuzz_seeds -- fuzz/corpus
//! ```
//!
//! writes `fuzz/corpus/smtp_server/seed-*`, `fuzz/corpus/pop3_server/seed-*` and (with the
//! feature `imap`, on by default) `fuzz/corpus/imap_server/seed-*`.

use std::path::{Path, PathBuf};

use mailroom_core::base64::encode as base64;
#[cfg(feature = "imap")]
use mailroom_core::fuzzing::imap_server;
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
    // Six messages: the sixth stored as IMAP's APPEND once stored it, bare LFs and no last
    // line end; STAT, LIST and RETR's `+OK n octets` count what RETR sends (RFC 1939 §11).
    add(
        "appended-message-sizes",
        6,
        vec![w(login), w("STAT\r\nLIST\r\nLIST 6\r\nRETR 6\r\nTOP 6 0\r\nTOP 6 1\r\n"), w("QUIT\r\n")],
    );
    seeds
}

/// IMAP: bits 0–2 how many messages Bob's INBOX has, 8 folders inside folders, 16 Alice
/// has a mailbox, 32 Bob's mailbox is full, 64 the INBOX comes flagged (see `fuzzing/imap.rs`).
#[cfg(feature = "imap")]
mod imap {
    pub const CHILDREN: u8 = 8;
    pub const ALICE: u8 = 16;
    pub const FULL: u8 = 32;
    pub const FLAGGED: u8 = 64;
}

/// The IMAP transcript fixtures: `C:` lines, and `#= deliver:` as a delivery (`D`).
#[cfg(feature = "imap")]
fn imap_transcripts(dir: &Path, setup: u8) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    let mut seeds = Vec::new();
    for path in files {
        let name = path.file_stem().expect("a file name").to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let steps: Vec<Step> = text
            .lines()
            .filter_map(|l| match l.strip_prefix("C:") {
                Some(c) => Some(w(&format!("{}\r\n", c.strip_prefix(' ').unwrap_or(c)))),
                None => l.starts_with("#= deliver:").then_some(Step::Deliver),
            })
            .collect();
        seeds.push((name.clone(), encode(setup, &steps)));
        // All in one write, but a delivery still comes between (IDLE's news).
        let mut pipelined = Vec::new();
        let mut write = String::new();
        for step in steps {
            match step {
                Step::Write(b) => write.push_str(std::str::from_utf8(&b).expect("text")),
                other => {
                    pipelined.push(w(&std::mem::take(&mut write)));
                    pipelined.push(other);
                }
            }
        }
        pipelined.push(w(&write));
        pipelined.retain(|s| *s != w(""));
        seeds.push((format!("{name}-pipelined"), encode(setup, &pipelined)));
    }
    seeds
}

#[cfg(feature = "imap")]
fn imap_seeds(root: &Path) -> Vec<(String, Vec<u8>)> {
    use imap::{ALICE, CHILDREN, FLAGGED, FULL};
    let mut seeds = imap_transcripts(&root.join("tests/imap"), 3);
    let login = "a LOGIN bob@example.net builder\r\n";
    let plain = base64(b"\0bob@example.net\0builder");
    let mut add = |name: &str, setup: u8, steps: Vec<Step>| {
        seeds.push((name.to_string(), long_lines(encode(setup, &steps))))
    };
    add(
        "literals-cut-across-writes",
        2,
        vec![
            w("a LOGIN {15}\r\n"),
            w("bob@exa"),
            w("mple.net {7+}\r\nbuil"),
            w("der\r\nb SELECT {5+}\r\nINBOX\r"),
            w("\nc APPEND INBOX (\\Seen) \"30-Nov-2026 09:00:00 +0000\" {18}\r\n"),
            w("Subject: x\r\n\r\nbody"),
            w("\r\nd APPEND Drafts {20+}\r\nSubject: y\r\n\r\nhi\r\n\r\n"),
            w("e APPEND INBOX {6400}\r\n<L:100>\r\n"),
            w(
                "f STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)\r\ng FETCH * (UID RFC822.SIZE)\r\n",
            ),
            w("h LOGOUT\r\n"),
        ],
    );
    add(
        "authenticate",
        1,
        vec![
            w("a AUTHENTICATE PLAIN\r\n"),
            w("*\r\n"),
            w("b AUTHENTICATE CRAM-MD5\r\nc AUTHENTICATE PLAIN\r\nnot base64!\r\n"),
            w(&format!("d AUTHENTICATE PLAIN {}\r\n", base64(b"\0carol@example.net\0christmas"))),
            w("e AUTHENTICATE PLAIN\r\n"),
            w(&format!("{plain}\r\n")),
            w(&format!("f AUTHENTICATE PLAIN {plain}\r\ng LOGIN bob@example.net builder\r\n")),
            w("h CAPABILITY\r\n"),
        ],
    );
    add(
        "two-sessions-idle-and-news",
        3 | ALICE,
        vec![
            w(login),
            w("b SELECT INBOX\r\nc IDLE\r\n"),
            Step::Switch,
            w(login),
            w("b SELECT INBOX\r\nc STORE 1 +FLAGS (\\Deleted \\Flagged)\r\n"),
            w("d EXPUNGE\r\ne APPEND INBOX {3+}\r\nhi!\r\n"),
            Step::Deliver,
            w("f UID STORE 3:* FLAGS.SILENT (\\Seen)\r\ng COPY 1:* Archive\r\nh MOVE 1 Trash\r\n"),
            Step::Switch,
            w("NOOP\r\n"),
            w("DONE\r\nd FETCH 1:* (UID FLAGS)\r\ne SEARCH UNSEEN\r\n"),
            Step::Switch,
            w("i LOGOUT\r\n"),
            Step::Switch,
            w("f IDLE\r\n"),
            Step::Deliver,
            Step::Timeout,
            Step::NewSession,
            w("a LOGIN alice@example.org wonderland\r\nb SELECT INBOX\r\nc FETCH 1 BODY[]\r\n"),
        ],
    );
    add(
        "folders-under-a-selected-session",
        2 | CHILDREN,
        vec![
            w(login),
            w("b SELECT Archive\r\nc FETCH 1:* (UID FLAGS)\r\n"),
            Step::Switch,
            w(login),
            w("b LIST \"\" *\r\nc LSUB \"\" %\r\nd RENAME Archive Old\r\ne CREATE Archive/\r\n"),
            w(
                "f DELETE INBOX/Lists\r\ng SELECT inbox/lists\r\nh SUBSCRIBE Old\r\ni UNSUBSCRIBE Old/2025\r\n",
            ),
            Step::Switch,
            w("d NOOP\r\ne EXAMINE INBOX\r\n"),
            Step::Switch,
            w("j RENAME INBOX Saved\r\nk DELETE Old/2025\r\nl DELETE Old\r\nm LIST \"\" \"\"\r\n"),
            Step::Switch,
            w("f NOOP\r\ng SELECT Saved\r\nh DELETE Saved\r\ni CLOSE\r\n"),
            Step::Switch,
            w("n DELETE Saved\r\n"),
            Step::Switch,
            w("j NOOP\r\n"),
        ],
    );
    add(
        "fetch-search-store-copy",
        4 | FLAGGED,
        vec![
            w(login),
            w("b SELECT INBOX\r\n"),
            w(
                "c FETCH 1:* (FLAGS UID INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE BODY.PEEK[HEADER] BODY[TEXT] BODY[1] BODY[2.1] BODY[4.MIME] BODY[HEADER.FIELDS (SUBJECT FROM)] BODY[HEADER.FIELDS.NOT (TO)] BODY[]<0.10> RFC822.HEADER RFC822.TEXT)\r\n",
            ),
            w("d UID FETCH 1:* (RFC822 FAST)\r\ne FETCH 2,4:* ALL\r\nf UID FETCH 4:2 FULL\r\n"),
            w(
                "g SEARCH CHARSET UTF-8 OR (FROM alice SUBJECT lunch) NOT (DELETED SEEN) SINCE 1-Jan-1970 BEFORE 1-Jan-2100 SENTON 30-Nov-2026\r\n",
            ),
            w(
                "h UID SEARCH 1:* LARGER 10 SMALLER 100000 TEXT \"noon\" BODY Line HEADER Subject News UID 1:4,7\r\n",
            ),
            w(
                "i SEARCH NEW OLD RECENT ANSWERED UNANSWERED FLAGGED UNFLAGGED DRAFT UNDRAFT KEYWORD x UNKEYWORD y\r\n",
            ),
            w("j STORE 1:2 -FLAGS (\\Seen)\r\nk STORE 3 FLAGS.SILENT (\\Answered \\Draft)\r\n"),
            w("l UID COPY 1:* Drafts\r\nm UID MOVE 2 Nowhere\r\nn UID EXPUNGE 1:3\r\no CHECK\r\n"),
            w("p FETCH 9 FLAGS\r\nq SEARCH CHARSET KOI8-R ALL\r\nr UNSELECT\r\ns EXAMINE Drafts\r\n"),
            w(
                "t STORE 1 +FLAGS (\\Deleted)\r\nu FETCH 1 BODY[]\r\nv EXPUNGE\r\nw MOVE 1 INBOX\r\nx CLOSE\r\n",
            ),
        ],
    );
    add(
        "limits-and-mistakes",
        1 | FULL,
        vec![
            w("a1 FETCH 1 FLAGS\r\n\r\n* NOOP\r\na2 FROB\r\na3 NOOP\n"),
            w("a4 NOOP <L:200>\r\na5 NOOP\r\n"),
            w(login),
            w("b APPEND INBOX {99999999999999999999}\r\nc APPEND INBOX {5000+}\r\n<L:80>\r\nd NOOP\r\n"),
            w("e APPEND INBOX {10+}\r\nSubject: y\r\n"),
            w("f SELECT \"a\\\"b\"\r\ng CREATE {3}\r\n"),
            w("x\r\ny\r\nh IDLE\r\nNOOP\r\nDONE\r\ni SELECT INBOX\r\nj STORE 1 +FLAGS (\\Deleted)\r\n"),
            w("k COPY 1 INBOX\r\nl SEARCH (((((((((((((((((ALL)))))))))))))))))\r\nm FETCH 0:* FLAGS\r\n"),
            w("n LOGIN bob@example.net builder\r\no APPEND INBOX {999999999999999999999999+}\r\n"),
            w("p NOOP\r\n"),
        ],
    );
    seeds
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".to_string()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    type Harness = fn(&[u8]);
    #[allow(unused_mut)]
    let mut targets: Vec<(&str, Vec<(String, Vec<u8>)>, Harness)> =
        vec![("smtp_server", smtp_seeds(root), smtp_server), ("pop3_server", pop3_seeds(root), pop3_server)];
    #[cfg(feature = "imap")]
    targets.push(("imap_server", imap_seeds(root), imap_server));
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
