//! Property tests of the World over random world descriptions and fault rules.
//!
//! Each case adds, with [`Description::extend`], a random piece of description to the
//! standard world: 1–3 extra mail hosts (some with no SMTP service at all), 1–3 extra
//! domains each stored on one of them, with users, and routed by a null MX, by nothing
//! (NXDOMAIN), by an implicit MX (an `a` record for the domain), or by 1–3 MX records of
//! equal or different preferences pointing at the extra hosts, at Bob's provider, at
//! Alice's provider itself, at the resolver (no SMTP service: refused) or at a name whose
//! address no host has; links with latency and loss; `down` windows (on every host but
//! Alice's provider, see below); `greylist`; `full` mailboxes; `reply` rules with 4xx and
//! 5xx codes, some `times N`; `cut` rules (with the engine's `pop3` feature) that break a
//! relay's or the laptop's connection as it sends a command, once, twice or every time (the
//! client gives up by its timer and the queue tries again; the server's session ends by
//! its own); a random seed. Then 1–4 messages are sent from the laptop
//! through smtp.example.org ([`World::send_mail_at`]) from existing users, from users of
//! other domains and from a sender whose domain does not exist (so its bounces fail), to
//! existing users, unknown users of known domains and unknown domains.
//!
//! Properties, for every generated world:
//!
//! 1. Determinism: two Worlds built from two parses of the same text, given the same
//!    sends, record equal traces.
//! 2. The run ends: `run_until_idle` is `Ok`, the World is idle and every queue is empty.
//! 3. Nothing is lost, nothing is doubled. Each message the laptop sends carries a unique
//!    `Message-ID`, which every hop keeps and every bounce quotes in its attached
//!    `text/rfc822-headers` part. For each message whose submission got `250` after the
//!    final dot, and each recipient whose `RCPT` got a 2xx there, exactly one of these is
//!    in the trace: a `Delivery` into that recipient's mailbox of a message with that
//!    Message-ID, or a `Final-Recipient: rfc822; RCPT` line in a `Bounce` event whose
//!    quoted headers carry that Message-ID, addressed to the message's sender. A
//!    recipient refused at `RCPT`, and every recipient of a message refused after the
//!    dot, has neither. Every `Delivery` is of a laptop message or of a bounce.
//! 4. Bounces: no `Bounce` event has a null sender, none is about a bounce (a message
//!    sent with `MAIL FROM:<>` never causes a DSN), and each bounce (by its own
//!    Message-ID) is delivered at most once, only into its sender's mailbox; those not
//!    delivered are dropped, each with one note: #bounces = #bounces delivered + #drops.
//!
//! Why the count is by Message-ID, end to end: each hop that answers `250` to the final
//! dot gives the message a queue id of its own (`OK: queued as ID`), and a relay splits
//! one message into one queue entry per domain, but the Message-ID header stays the same
//! from the laptop to the mailbox and into the bounce. With every queue empty at the end,
//! "exactly one end per (message, recipient)" covers every hop's `250` in between.
//!
//! Why Alice's provider is never `down` in the first property: it is the only host that
//! relays, so while it is down a server that had taken a message could not get its `250`
//! back to it, and the queue would rightly send the message again (RFC 5321 §6.1 accepts
//! that duplicate risk): "exactly one" would be false for a reason that is no bug. The
//! second property lets it go down and asks for "at least one" instead (a regression
//! test at the end pins the case that found a lost message).

use std::collections::{BTreeMap, BTreeSet};

use mailroom_core::describe::Description;
use mailroom_core::mail::{self, Draft};
use mailroom_core::time::SimTime;
use mailroom_core::trace::{EventKind, Status, Trace};
use mailroom_core::world::{SMTP_PORT, World};
use proptest::prelude::*;
use proptest::test_runner::Config;

const ALICE_SERVER: &str = "smtp.example.org";
const BOB_SERVER: &str = "mx.example.net";
const RESOLVER: &str = "ns.example.org";
const LAPTOP: &str = "laptop.example.org";
/// Alice's provider relays for the laptop's network, without a login.
const TRUSTED: &str = "relay smtp.example.org for 192.0.2.10\n";
/// The note of a dropped bounce (mta.rs).
const DROPPED: &str = "A bounce is never bounced: it is dropped.";

// ----- what is generated -----------------------------------------------------------------

#[derive(Clone, Debug)]
struct HostSpec {
    smtp: bool,
    latency_ms: u16,
    loss: u8,
}

#[derive(Clone, Debug)]
enum Exchange {
    /// An extra host (index modulo their number).
    Extra(usize),
    Bob,
    /// smtp.example.org: the queue connects to itself.
    Alice,
    /// The resolver: a host with an address and no SMTP service.
    Resolver,
    /// A name with an `a` record whose address no host has.
    Ghost,
}

#[derive(Clone, Debug)]
enum Routing {
    NullMx,
    /// No record at all: NXDOMAIN.
    Nothing,
    /// An `a` record for the domain: the implicit MX (RFC 5321 §5.1).
    Implicit(usize),
    Mx(Vec<(u16, Exchange)>),
}

#[derive(Clone, Debug)]
struct DomainSpec {
    stored_on: usize,
    users: usize,
    routing: Routing,
}

/// A host a fault applies to: 0 is Bob's provider, 1.. the extra hosts, and for `down`
/// the resolver too (`usize::MAX`); for `reply` Alice's provider too (`usize::MAX - 1`).
#[derive(Clone, Debug)]
enum FaultSpec {
    Down {
        target: usize,
        from_s: u32,
        len_s: u32,
    },
    Greylist {
        target: usize,
    },
    Full {
        user: usize,
    },
    Reply {
        target: usize,
        verb: usize,
        code: usize,
        times: Option<u32>,
    },
    /// `cut HOST 25 before VERB`: a client's connection breaks as it sends that command
    /// (one of [`CUT_VERBS`]); `None` times: every time. With the engine's `pop3` feature.
    Cut {
        target: usize,
        verb: usize,
        times: Option<u32>,
    },
}

#[derive(Clone, Debug)]
struct SendSpec {
    at_s: u32,
    from: usize,
    to: Vec<usize>,
}

#[derive(Clone, Debug)]
struct Case {
    /// Alice's provider may be `down`: then a message may be delivered more than once.
    relay_down: bool,
    seed: u64,
    hosts: Vec<HostSpec>,
    domains: Vec<DomainSpec>,
    bob_link: Option<(u16, u8)>,
    faults: Vec<FaultSpec>,
    sends: Vec<SendSpec>,
}

const VERBS: &[&str] = &["GREETING", "EHLO", "MAIL", "RCPT", "DATA", "MESSAGE", "QUIT"];
/// The commands a `cut` rule breaks a connection at: a relay's, and the laptop's own to
/// its provider (the final dot is not a command: a cut never loses a `250`).
const CUT_VERBS: &[&str] = &["EHLO", "STARTTLS", "MAIL", "RCPT", "DATA", "QUIT"];
const CODES: &[(u16, &str)] = &[
    (421, "4.3.2"),
    (450, "4.2.1"),
    (451, "4.7.1"),
    (452, "4.2.2"),
    (550, "5.1.1"),
    (551, "5.1.6"),
    (552, "5.2.2"),
    (553, "5.1.3"),
    (554, "5.7.1"),
];

fn exchange() -> impl Strategy<Value = Exchange> {
    prop_oneof![
        4 => (0..3usize).prop_map(Exchange::Extra),
        1 => Just(Exchange::Bob),
        1 => Just(Exchange::Alice),
        1 => Just(Exchange::Resolver),
        1 => Just(Exchange::Ghost),
    ]
}

fn routing() -> impl Strategy<Value = Routing> {
    prop_oneof![
        1 => Just(Routing::NullMx),
        1 => Just(Routing::Nothing),
        1 => (0..3usize).prop_map(Routing::Implicit),
        5 => prop::collection::vec((prop::sample::select(vec![10u16, 20]), exchange()), 1..=3)
            .prop_map(Routing::Mx),
    ]
}

/// `relay_down`: Alice's provider, the relay, may be `down` too.
fn fault(relay_down: bool) -> impl Strategy<Value = FaultSpec> {
    let down_targets: usize = if relay_down { 6 } else { 5 };
    prop_oneof![
        (0..down_targets, 0..1800u32, 1..2400u32).prop_map(|(t, f, l)| FaultSpec::Down {
            target: match t {
                4 => usize::MAX,
                5 => usize::MAX - 1,
                t => t,
            },
            from_s: f,
            len_s: l
        }),
        (0..4usize).prop_map(|target| FaultSpec::Greylist { target }),
        (0..10usize).prop_map(|user| FaultSpec::Full { user }),
        (0..5usize, 0..VERBS.len(), 0..CODES.len(), prop::option::of(1..3u32)).prop_map(
            |(t, verb, code, times)| FaultSpec::Reply {
                target: if t == 4 { usize::MAX - 1 } else { t },
                verb,
                code,
                times
            }
        ),
        (0..5usize, 0..CUT_VERBS.len(), prop::option::of(1..3u32)).prop_map(|(t, verb, times)| {
            FaultSpec::Cut { target: if t == 4 { usize::MAX - 1 } else { t }, verb, times }
        }),
    ]
}

fn case(relay_down: bool) -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        prop::collection::vec(
            (prop::bool::weighted(0.85), 1..300u16, prop::sample::select(vec![0u8, 0, 10, 30, 60]))
                .prop_map(|(smtp, latency_ms, loss)| HostSpec { smtp, latency_ms, loss }),
            1..=3,
        ),
        prop::collection::vec(
            (0..3usize, 0..=2usize, routing()).prop_map(|(stored_on, users, routing)| DomainSpec {
                stored_on,
                users,
                routing,
            }),
            1..=3,
        ),
        prop::option::of((1..200u16, prop::sample::select(vec![0u8, 20, 50]))),
        prop::collection::vec(fault(relay_down), 0..=5),
        prop::collection::vec(
            (0..1200u32, 0..20usize, prop::collection::vec(0..40usize, 1..=3))
                .prop_map(|(at_s, from, to)| SendSpec { at_s, from, to }),
            1..=4,
        ),
    )
        .prop_map(move |(seed, hosts, domains, bob_link, faults, sends)| Case {
            relay_down,
            seed,
            hosts,
            domains,
            bob_link,
            faults,
            sends,
        })
}

// ----- from the case to a description and a World ----------------------------------------

fn host_name(i: usize) -> String {
    format!("mx{i}.extra.test")
}

fn domain_name(i: usize) -> String {
    format!("d{i}.test")
}

impl Case {
    fn users(&self) -> Vec<String> {
        let mut u: Vec<String> =
            ["alice@example.org", "bob@example.net", "carol@example.net"].map(String::from).to_vec();
        for (i, d) in self.domains.iter().enumerate() {
            for j in 0..d.users {
                u.push(format!("u{j}@{}", domain_name(i)));
            }
        }
        u
    }

    fn senders(&self) -> Vec<String> {
        let mut s = self.users();
        // Twice, to be picked more often: its domain does not exist, so its bounces fail.
        s.push("ghost@nowhere.test".into());
        s.push("ghost@nowhere.test".into());
        s
    }

    fn recipients(&self) -> Vec<String> {
        let mut r = self.users();
        r.extend(["nobody@example.net", "nobody@example.org", "x@nowhere.test"].map(String::from));
        for i in 0..self.domains.len() {
            r.push(format!("nobody@{}", domain_name(i)));
        }
        r
    }

    /// A host a fault names, or `None` when it must be skipped (an extra host with no
    /// SMTP service for a rule that needs one).
    fn target(&self, t: usize, needs_smtp: bool) -> Option<String> {
        match t {
            usize::MAX => Some(RESOLVER.into()),
            x if x == usize::MAX - 1 => Some(ALICE_SERVER.into()),
            0 => Some(BOB_SERVER.into()),
            i => {
                let i = (i - 1) % self.hosts.len();
                (!needs_smtp || self.hosts[i].smtp).then(|| host_name(i))
            }
        }
    }

    /// The text added to the standard world.
    fn text(&self) -> String {
        let mut t = format!("seed {}\n", self.seed);
        let n = self.hosts.len();
        for (i, h) in self.hosts.iter().enumerate() {
            let name = host_name(i);
            t += &format!("host {name} 203.0.113.{} mail \"Extra {i}\" at {},{}\n", 10 + i, 60 + 10 * i, 20);
            if h.smtp {
                t += &format!("service {name} 25 smtp\n");
            }
            t += &format!("link {ALICE_SERVER} {name} {}ms loss {}%\n", h.latency_ms, h.loss);
        }
        if let Some((ms, loss)) = self.bob_link {
            t += &format!("link {ALICE_SERVER} {BOB_SERVER} {ms}ms loss {loss}%\n");
        }
        let mut written = BTreeSet::new();
        for (i, d) in self.domains.iter().enumerate() {
            let dom = domain_name(i);
            t += &format!("domain {dom} on {}\n", host_name(d.stored_on % n));
            for j in 0..d.users {
                t += &format!("user u{j}@{dom}\n");
            }
            match &d.routing {
                Routing::NullMx => t += &format!("mx {dom} 0 .\n"),
                Routing::Nothing => {}
                Routing::Implicit(h) => t += &format!("a {dom} 203.0.113.{}\n", 10 + h % n),
                Routing::Mx(mx) => {
                    for (pref, x) in mx {
                        let exchange = match x {
                            Exchange::Extra(h) => host_name(h % n),
                            Exchange::Bob => BOB_SERVER.into(),
                            Exchange::Alice => ALICE_SERVER.into(),
                            Exchange::Resolver => RESOLVER.into(),
                            Exchange::Ghost => {
                                let g = format!("ghost.{dom}");
                                if written.insert(g.clone()) {
                                    t += &format!("a {g} 203.0.113.{}\n", 200 + i);
                                }
                                g
                            }
                        };
                        if written.insert(format!("{dom} {pref} {exchange}")) {
                            t += &format!("mx {dom} {pref} {exchange}\n");
                        }
                    }
                }
            }
        }
        let users = self.users();
        for f in &self.faults {
            let line = match f {
                FaultSpec::Down { target, from_s, len_s } => self
                    .target(*target, false)
                    .map(|h| format!("down {h} from {from_s}s to {}s", from_s + len_s)),
                FaultSpec::Greylist { target } => self.target(*target, true).map(|h| format!("greylist {h}")),
                FaultSpec::Full { user } => Some(format!("full {}", users[user % users.len()])),
                FaultSpec::Reply { target, verb, code, times } => self.target(*target, true).map(|h| {
                    // A code RFC 5321 §4.3.2 allows for the verb (421 always is).
                    let allowed = mailroom_core::describe::refusals(VERBS[*verb]);
                    let codes: Vec<&(u16, &str)> =
                        CODES.iter().filter(|(c, _)| allowed.contains(c)).collect();
                    let (code, enhanced) = *codes[*code % codes.len()];
                    let times = times.map(|n| format!(" times {n}")).unwrap_or_default();
                    format!("reply {h} {} {code} {enhanced} \"Fault rule\"{times}", VERBS[*verb])
                }),
                // The lite engine has no `cut` rule: the case goes without it.
                FaultSpec::Cut { target, verb, times } if cfg!(feature = "pop3") => {
                    self.target(*target, true).map(|h| {
                        let times = times.map(|n| format!(" times {n}")).unwrap_or_default();
                        format!("cut {h} {SMTP_PORT} before {}{times}", CUT_VERBS[*verb])
                    })
                }
                FaultSpec::Cut { .. } => None,
            };
            // Greylist, full, reply and cut rules are written once per host (and verb).
            let key = line.as_ref().map(|l| {
                let w: Vec<&str> = l.split(' ').collect();
                match w[0] {
                    "reply" => w[..3].join(" "),
                    "cut" => w[..5].join(" "),
                    _ => l.clone(),
                }
            });
            if let (Some(line), Some(key)) = (line, key)
                && (line.starts_with("down") || written.insert(key))
            {
                t += &line;
                t.push('\n');
            }
        }
        t
    }

    fn description(&self) -> Result<Description, String> {
        let mut d = Description::standard();
        // The laptop sends on port 25 as anyone (also from domains that do not exist, so
        // that their bounces fail): its provider trusts its network.
        d.extend(TRUSTED, 1).map_err(|e| format!("{e:?}"))?;
        let text = self.text();
        d.extend(&text, 1).map_err(|errors| {
            let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            format!("{}\n{text}", errors.join("\n"))
        })?;
        Ok(d)
    }

    /// Builds the World, schedules the sends and runs it to the end.
    fn run(&self, d: &Description) -> Result<World, String> {
        let mut w = World::from_description(d);
        let laptop = w.host_by_name(LAPTOP).ok_or("no laptop")?;
        let (senders, recipients) = (self.senders(), self.recipients());
        for (i, s) in self.sends.iter().enumerate() {
            let from = senders[s.from % senders.len()].clone();
            let mut to: Vec<String> = Vec::new();
            for r in &s.to {
                let r = recipients[r % recipients.len()].clone();
                if !to.contains(&r) {
                    to.push(r);
                }
            }
            let subject = format!("Message {i}");
            let draft = Draft {
                cc: &[],
                bcc: &[],
                from: &from,
                to: &to,
                subject: &subject,
                body: "Hello.\n",
                attachments: &[],
            };
            w.send_mail_at(SimTime::from_secs(u64::from(s.at_s)), laptop, ALICE_SERVER, SMTP_PORT, &draft)
                .map_err(|e| e.to_string())?;
        }
        w.run_until_idle().map_err(|e| e.to_string())?;
        Ok(w)
    }
}

// ----- reading the trace -----------------------------------------------------------------

/// One message the laptop handed to its server.
#[derive(Debug, Default)]
struct Submission {
    sender: String,
    /// Recipients whose RCPT got a 2xx, and those refused.
    accepted: Vec<String>,
    refused: Vec<String>,
    message_id: Option<String>,
    /// The code of the reply after the final dot.
    end_code: Option<u16>,
}

fn smtp_code(status: &Status) -> u16 {
    status.smtp_code().unwrap_or(0)
}

/// `MAIL FROM:<a@b> ...` or `RCPT TO:<a@b>` → `a@b`.
fn path_of(command: &[u8]) -> String {
    let s = String::from_utf8_lossy(command);
    match (s.find('<'), s.find('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn submissions(t: &Trace) -> Result<Vec<Submission>, String> {
    let laptop = t.host_by_name(LAPTOP).ok_or("no laptop")?;
    let mut subs: BTreeMap<usize, Submission> = BTreeMap::new();
    for e in &t.events {
        let Some(c) = e.conn else { continue };
        if t.conns[c.0].client != laptop {
            continue;
        }
        match &e.kind {
            EventKind::Command { verb } if verb == "MAIL" => {
                let s = subs.entry(c.0).or_default();
                if !s.sender.is_empty() || s.message_id.is_some() {
                    return Err(format!("two transactions on {c}"));
                }
                s.sender = path_of(&e.bytes);
            }
            EventKind::MessageData => {
                subs.entry(c.0).or_default().message_id = mail::header(&e.bytes, "Message-ID");
            }
            EventKind::Reply { status, to_verb: Some(v), answers: Some(a) } if v == "RCPT" => {
                let rcpt = path_of(&t.events[*a].bytes);
                let s = subs.entry(c.0).or_default();
                if status.is_positive() { s.accepted.push(rcpt) } else { s.refused.push(rcpt) }
            }
            EventKind::Reply { status, to_verb: Some(v), answers: Some(a) }
                if v == "DATA" && t.events[*a].kind == EventKind::MessageData =>
            {
                subs.entry(c.0).or_default().end_code = Some(smtp_code(status));
            }
            _ => {}
        }
    }
    Ok(subs.into_values().collect())
}

/// What a DSN says: its own Message-ID, the quoted message's, and the failed recipients.
fn read_dsn(dsn: &[u8]) -> (Option<String>, Option<String>, Vec<String>) {
    let own = mail::header(dsn, "Message-ID");
    let text = String::from_utf8_lossy(dsn);
    let marker = "Content-Type: text/rfc822-headers\r\n\r\n";
    let original = text.find(marker).and_then(|i| mail::header(&dsn[i + marker.len()..], "Message-ID"));
    let failed = text
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("Final-Recipient: rfc822; "))
        .map(|r| r.to_ascii_lowercase())
        .collect();
    (own, original, failed)
}

/// Checks properties 3 and 4 on a finished trace; returns a summary for the statistics.
/// `exact`: every end state exactly once; otherwise at least once (a relay that went down
/// may rightly send a message again).
fn check_fate(t: &Trace, exact: bool) -> Result<(usize, usize, usize), String> {
    let subs = submissions(t)?;
    // (Message-ID, mailbox) → deliveries.
    let mut delivered: BTreeMap<(String, String), usize> = BTreeMap::new();
    // (quoted Message-ID, recipient) → failures reported in bounces.
    let mut bounced: BTreeMap<(String, String), usize> = BTreeMap::new();
    // A bounce's own Message-ID → its sender.
    let mut dsns: BTreeMap<String, String> = BTreeMap::new();
    let mut drops = 0;
    for e in &t.events {
        match &e.kind {
            EventKind::Delivery { mailbox } => {
                let id = mail::header(&e.bytes, "Message-ID").ok_or("a delivery without a Message-ID")?;
                *delivered.entry((id, mailbox.to_ascii_lowercase())).or_default() += 1;
            }
            // A "delayed" warning is a DSN like a bounce (to the real sender, about a
            // message that was sent, delivered or dropped itself) but settles nobody's fate.
            EventKind::Bounce { sender } | EventKind::Delayed { sender } => {
                let warning = matches!(e.kind, EventKind::Delayed { .. });
                if sender.is_empty() {
                    return Err(format!("event {}: a bounce to the null sender", e.index));
                }
                let (own, original, failed) = read_dsn(&e.bytes);
                let own = own.ok_or("a bounce without a Message-ID")?;
                let original = original.ok_or("a bounce that quotes no Message-ID")?;
                if dsns.contains_key(&original) {
                    return Err(format!("event {}: a bounce about the bounce {original}", e.index));
                }
                let sub = subs.iter().find(|s| s.message_id.as_ref() == Some(&original));
                match sub {
                    Some(s) if s.sender == sender.to_ascii_lowercase() => {}
                    Some(s) => {
                        return Err(format!(
                            "event {}: bounce of {original} to {sender}, but it was sent by {}",
                            e.index, s.sender
                        ));
                    }
                    None => {
                        return Err(format!("event {}: bounce of an unknown message {original}", e.index));
                    }
                }
                if failed.is_empty() {
                    return Err(format!("event {}: a bounce that names no recipient", e.index));
                }
                for r in failed.into_iter().filter(|_| !warning) {
                    *bounced.entry((original.clone(), r)).or_default() += 1;
                }
                if dsns.insert(own.clone(), sender.to_ascii_lowercase()).is_some() {
                    return Err(format!("two bounces with the Message-ID {own}"));
                }
            }
            EventKind::Note if e.text().contains(DROPPED) => drops += 1,
            _ => {}
        }
    }
    let ids: BTreeSet<&String> = subs.iter().filter_map(|s| s.message_id.as_ref()).collect();
    let mut bounces_delivered = 0;
    for ((id, mailbox), n) in &delivered {
        if let Some(sender) = dsns.get(id) {
            if (exact && n != &1) || mailbox != sender {
                return Err(format!(
                    "the bounce {id} was delivered {n} time(s) into {mailbox}, for {sender}"
                ));
            }
            bounces_delivered += 1;
        } else if !ids.contains(id) {
            return Err(format!("a delivery of {id} into {mailbox}, a message nobody sent"));
        }
    }
    if dsns.len() > bounces_delivered + drops || (exact && dsns.len() != bounces_delivered + drops) {
        return Err(format!(
            "{} bounces, {bounces_delivered} delivered and {drops} dropped: some bounce is lost or doubled",
            dsns.len()
        ));
    }
    let mut owned = 0;
    for s in &subs {
        let Some(id) = &s.message_id else { continue };
        let fate = |r: &String| {
            delivered.get(&(id.clone(), r.clone())).copied().unwrap_or(0)
                + bounced.get(&(id.clone(), r.clone())).copied().unwrap_or(0)
        };
        let taken = s.end_code == Some(250);
        owned += usize::from(taken);
        for r in &s.accepted {
            let want = if taken {
                1
            } else if s.end_code.is_some_and(|c| c >= 400) {
                0
            } else {
                fate(r).min(1)
            };
            if fate(r) != want && (exact || fate(r) < want) {
                return Err(format!(
                    "{id} to {r} (end of data: {:?}): {} deliveries and {} bounces, want {want} in all",
                    s.end_code,
                    delivered.get(&(id.clone(), r.clone())).copied().unwrap_or(0),
                    bounced.get(&(id.clone(), r.clone())).copied().unwrap_or(0),
                ));
            }
        }
        for r in &s.refused {
            if !s.accepted.contains(r) && fate(r) != 0 {
                return Err(format!("{id} reached {r}, whose RCPT was refused"));
            }
        }
    }
    Ok((owned, dsns.len(), drops))
}

fn first_difference(a: &Trace, b: &Trace) -> String {
    match a.events.iter().zip(&b.events).position(|(x, y)| x != y) {
        Some(i) => format!("event {i}: {:?} vs {:?}", a.events[i].kind, b.events[i].kind),
        None => format!("{} vs {} events (or hosts, connections differ)", a.len(), b.len()),
    }
}

// ----- the properties --------------------------------------------------------------------

/// Runs one case and checks every property; `Err` says which failed, with the text.
fn check(case: &Case) -> Result<(), String> {
    let fail = |why: String| {
        Err(format!("{why}\n--- the description added to the standard world:\n{}", case.text()))
    };
    let d = match case.description() {
        Ok(d) => d,
        Err(e) => return fail(format!("the generated description is refused: {e}")),
    };
    // The run ends, idle, with every queue empty.
    let w = match case.run(&d) {
        Ok(w) => w,
        Err(e) => return fail(format!("the run failed: {e}")),
    };
    if !w.is_idle() {
        return fail("not idle after run_until_idle".into());
    }
    if w.queued() != 0 {
        return fail(format!("{} message(s) left in a queue of an idle World", w.queued()));
    }
    // The same description (parsed again) and seed give the same trace.
    let again = case.run(&case.description()?)?;
    if w.trace() != again.trace() {
        return fail(format!("two runs differ: {}", first_difference(w.trace(), again.trace())));
    }
    // Nothing lost or doubled; bounces go to real senders and are never bounced.
    match check_fate(w.trace(), !case.relay_down) {
        Ok(_) => Ok(()),
        Err(e) => fail(e),
    }
}

/// 64 cases (under a second in debug mode), or `PROPTEST_CASES` for a longer soak. Nothing
/// is written to disk: a failure prints the smallest case and its description text.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    Config { cases, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_worlds_are_deterministic_lose_nothing_and_never_bounce_a_bounce(case in case(false)) {
        let result = check(&case);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }

    /// The same with Alice's provider, the relay, `down` at times: every message still
    /// ends at least once (a message may rightly arrive twice when a `250` is lost).
    #[test]
    fn random_worlds_with_the_relay_down_at_times_still_deliver_or_bounce_everything(case in case(true)) {
        let result = check(&case);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

/// The smallest case the second property found. Alice's provider takes a message at
/// 0.25 s and connects to mx.example.net at 0.258 s; it goes down at 0.3 s, so the
/// greeting mx.example.net sends at 0.298 s cannot reach it and the connection breaks.
/// `World::send` then tells only the side that was sending (the server) that the
/// connection closed; the relaying client never hears of it, its timers are cleared, the
/// queue entry waits for an outcome that never comes, and the World is idle with the
/// message still queued: accepted with `250`, then neither delivered nor bounced.
#[test]
fn the_queue_hears_of_a_connection_broken_by_its_own_host_going_down() {
    let mut d = Description::standard();
    d.extend(TRUSTED, 1).unwrap();
    d.extend("down smtp.example.org from 300ms to 10s\n", 1).unwrap();
    let mut w = World::from_description(&d);
    let laptop = w.host_by_name(LAPTOP).unwrap();
    let to = vec!["bob@example.net".to_string()];
    let draft = Draft {
        cc: &[],
        bcc: &[],
        from: "alice@example.org",
        to: &to,
        subject: "Hi",
        body: "Hello.\n",
        attachments: &[],
    };
    w.send_mail_at(SimTime::ZERO, laptop, ALICE_SERVER, SMTP_PORT, &draft).unwrap();
    w.run_until_idle().unwrap();
    assert!(w.is_idle());
    assert_eq!(w.queued(), 0, "the message is still queued in an idle World");
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1, "delivered on a retry after 10 s");
}

/// The checker itself finds what it must: a message delivered, one bounced for an
/// unknown user, and one whose bounce cannot be delivered and is dropped.
#[test]
fn the_checker_sees_deliveries_bounces_and_drops() {
    let case = Case {
        relay_down: false,
        seed: 1,
        hosts: vec![HostSpec { smtp: true, latency_ms: 10, loss: 0 }],
        domains: vec![DomainSpec {
            stored_on: 0,
            users: 1,
            routing: Routing::Mx(vec![(10, Exchange::Extra(0))]),
        }],
        bob_link: None,
        faults: vec![],
        // users: alice, bob, carol, u0@d0.test; senders + ghost; recipients + nobody@...
        sends: vec![
            SendSpec { at_s: 0, from: 0, to: vec![1, 3] },
            SendSpec { at_s: 1, from: 0, to: vec![4] },
            SendSpec { at_s: 2, from: 4, to: vec![4] },
        ],
    };
    let w = case.run(&case.description().unwrap()).unwrap();
    assert_eq!(check_fate(w.trace(), true), Ok((3, 2, 1)));
    assert_eq!(w.mailbox("u0@d0.test").unwrap().len(), 1);
}
