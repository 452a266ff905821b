use super::*;
use crate::world::names;

fn errors(text: &str) -> Vec<String> {
    match Description::parse(text) {
        Ok(_) => Vec::new(),
        Err(es) => es.iter().map(ToString::to_string).collect(),
    }
}

/// A small valid world that the table below breaks one line at a time.
const BASE: &str = "\
host laptop.example.org 192.0.2.10 client \"Alice's laptop\" at 10,62
host smtp.example.org 192.0.2.25 mail \"Alice's provider\" at 38,62
host ns.example.org 192.0.2.53 dns \"DNS resolver\" at 52,16
service smtp.example.org 25 smtp
service ns.example.org 53 dns
domain example.org on smtp.example.org
user alice@example.org
";

#[test]
fn the_standard_world_is_world_rs_standard_world() {
    let d = Description::parse(STANDARD).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(Description::standard(), d);
    assert_eq!(Description::named("standard"), Some(d.clone()));
    assert_eq!(Description::named("nowhere"), None);
    assert_eq!(d.seed, 42);
    let hosts: Vec<_> = d
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.addr.as_str(), h.role, h.label.as_str(), h.position))
        .collect();
    assert_eq!(
        hosts,
        [
            (names::LAPTOP, names::LAPTOP_ADDR, HostRole::Client, "Alice's laptop", (10, 62)),
            (
                names::ALICE_SERVER,
                names::ALICE_SERVER_ADDR,
                HostRole::MailServer,
                "Alice's provider",
                (38, 62)
            ),
            (names::RESOLVER, names::RESOLVER_ADDR, HostRole::Dns, "DNS resolver", (52, 16)),
            (names::BOB_SERVER, names::BOB_SERVER_ADDR, HostRole::MailServer, "Bob's provider", (78, 62)),
        ]
    );
    let services = |name| d.host(name).unwrap().services.iter().map(|s| (s.port, s.kind)).collect::<Vec<_>>();
    use ServiceKind::*;
    assert_eq!(services(names::LAPTOP), []);
    assert_eq!(services(names::ALICE_SERVER), [(25, Smtp), (587, Submission)]);
    assert_eq!(services(names::RESOLVER), [(53, Dns)]);
    assert_eq!(services(names::BOB_SERVER), [(25, Smtp), (110, Pop3), (143, Imap)]);
    assert_eq!(d.resolver.as_deref(), Some(names::RESOLVER));
    let domains: Vec<_> = d.domains.iter().map(|x| (x.name.as_str(), x.host.as_str())).collect();
    assert_eq!(domains, [("example.org", names::ALICE_SERVER), ("example.net", names::BOB_SERVER)]);
    let users: Vec<_> = d.users.iter().map(|u| u.address.as_str()).collect();
    assert_eq!(users, names::USERS);
    assert!(d.users.iter().all(|u| u.password.as_deref().is_some_and(|p| !p.is_empty())));
    // No trusted network: Alice logs in on the submission port, which offers STARTTLS.
    assert!(d.relays.is_empty());
    let alice = d.host(names::ALICE_SERVER).unwrap();
    let tls: Vec<_> = alice.services.iter().map(|s| (s.port, s.tls)).collect();
    assert_eq!(tls, [(25, TlsPolicy::Off), (587, TlsPolicy::Offered)]);
    let ms = SimDuration::from_millis;
    let links: Vec<_> =
        d.links.iter().map(|l| (l.a.as_str(), l.b.as_str(), l.latency, l.loss_percent)).collect();
    assert_eq!(
        links,
        [
            (names::LAPTOP, names::ALICE_SERVER, ms(20), 0),
            (names::LAPTOP, names::RESOLVER, ms(15), 0),
            (names::ALICE_SERVER, names::RESOLVER, ms(2), 0),
            (names::ALICE_SERVER, names::BOB_SERVER, ms(40), 0),
            (names::BOB_SERVER, names::RESOLVER, ms(25), 0),
        ]
    );
    assert!(d.faults.is_empty() && d.actions.is_empty());
    // The same zone as `standard_world` adds, record for record (order aside).
    let mut zone: Vec<String> = d.zone().records.iter().map(ToString::to_string).collect();
    zone.sort();
    assert_eq!(
        zone,
        [
            "example.net. 3600 IN MX 10 mx.example.net.",
            "example.org. 3600 IN MX 10 smtp.example.org.",
            "laptop.example.org. 3600 IN A 192.0.2.10",
            "mx.example.net. 3600 IN A 198.51.100.25",
            "ns.example.org. 3600 IN A 192.0.2.53",
            "smtp.example.org. 3600 IN A 192.0.2.25",
        ]
    );
}

/// (It cuts a connection: the `cut` rule comes with `pop3`.)
#[cfg(feature = "pop3")]
#[test]
fn the_example_of_the_module_doc_parses() {
    let src = include_str!("../describe.rs");
    let start = src.find("//! A complete example").unwrap();
    let example: String = src[start..]
        .lines()
        .skip(3)
        .take_while(|l| *l != "//! ```")
        .map(|l| l.trim_start_matches("//!").trim_start().to_string() + "\n")
        .collect();
    assert!(example.starts_with("seed 7"), "{example}");
    let d = Description::parse(&example).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(d.seed, 7);
    assert_eq!(d.hosts.len(), 5);
    assert_eq!(d.links[1].loss_percent, 10);
    assert_eq!(
        d.faults,
        [
            Fault::Down {
                host: "mx.example.net".into(),
                from: SimTime::ZERO,
                until: SimTime::from_secs(600),
                line: 25
            },
            Fault::Greylist { host: "backup.example.net".into(), line: 26 },
            Fault::MailboxFull { address: "bob@example.net".into(), line: 27 },
            Fault::Reply {
                host: "mx.example.net".into(),
                verb: "RCPT".into(),
                code: 451,
                enhanced: Some("4.7.1".into()),
                text: "Try again later".into(),
                times: Some(1),
                line: 28
            },
            Fault::Cut {
                host: "mx.example.net".into(),
                port: 25,
                verb: "QUIT".into(),
                times: Some(1),
                line: 29
            },
        ]
    );
    assert_eq!(
        d.actions,
        [ActionDesc::Send {
            at: SimTime::ZERO,
            from_host: "laptop.example.org".into(),
            via: "smtp.example.org".into(),
            to: vec!["bob@example.net".into()],
            subject: Some("Hi".into()),
            program: SendSetup { login: Some(Mechanism::Login), ..SendSetup::default() },
            line: 30
        }]
    );
    assert!(d.records.iter().any(RecordDesc::is_null_mx));
}

#[test]
fn forgiving_to_read() {
    let text = "\u{FEFF}  # a comment\n\n\tHOST Laptop.Example.ORG. 192.0.2.10 Client Laptop AT 10 , 62   # trailing\r\n\
                seed 0\nuser Alice@Example.ORG password wonderland\ndomain EXAMPLE.org on smtp.example.org\n\
                host smtp.example.org 192.0.2.25 mail \"A \\\"quoted\\\" \\\\ label\" at 1,2\n";
    let d = Description::parse(text).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(d.hosts[0].name, "laptop.example.org");
    assert_eq!(d.hosts[0].label, "Laptop");
    assert_eq!(d.hosts[0].position, (10, 62));
    assert_eq!(d.hosts[1].label, "A \"quoted\" \\ label");
    assert_eq!(d.users[0].address, "alice@example.org");
    assert_eq!(d.users[0].password.as_deref(), Some("wonderland"));
    assert_eq!(d.host("LAPTOP.example.org.").map(|h| h.line), Some(3));
}

#[test]
fn every_directive_broken() {
    let cases: &[(&str, &[&str])] = &[
        (
            "hots a.b 1.2.3.4",
            &[
                "line 8, column 1: unknown directive `hots` (did you mean `host`?); expected one of: seed, host, service, resolver, domain, user, relay, mx, a, txt, dkim, check, link, down, greylist, queue, size, full, reply, cut, at",
            ],
        ),
        (
            "seed -1",
            &["line 8, column 6: the seed is a whole number from 0 to 18446744073709551615, found `-1`"],
        ),
        ("seed 1\nseed 2", &["line 9, column 6: the seed is already set on line 8"]),
        (
            "host x.example 192.0.2.99 client \"X\"",
            &[
                "line 8, column 37: expected `at` here; the line reads `host NAME ADDRESS ROLE \"LABEL\" at X,Y`",
            ],
        ),
        (
            "host x.example 192.0.2.99 server \"X\" at 1,1",
            &["line 8, column 27: expected a role: client, mail or dns, found `server`"],
        ),
        (
            "host x.example 192.0.2.99 client \"X\" at 1,101",
            &[
                "line 8, column 41: expected a position X,Y with both from 0 to 100, such as `38,62`, found `1,101`",
            ],
        ),
        (
            "host x_y.example 192.0.2.99 client X at 1,1",
            &[
                "line 8, column 6: `_` is not allowed in the DNS name `x_y.example`: use letters, digits, hyphens and dots",
            ],
        ),
        (
            "host x.example 192.0.2.10 client X at 1,1",
            &["line 8, column 16: the address 192.0.2.10 already belongs to `laptop.example.org` on line 1"],
        ),
        (
            "host laptop.example.org 192.0.2.99 client X at 1,1",
            &["line 8, column 6: the host `laptop.example.org` is already defined on line 1"],
        ),
        (
            "service smtp.example.org 25 pop3",
            &[
                "line 8, column 26: port 25 of `smtp.example.org` already runs smtp on line 4; one service per port",
            ],
        ),
        (
            "service smtp.example.org 0 pop3",
            &["line 8, column 26: a port is a whole number from 1 to 65535, found `0`"],
        ),
        (
            "service smtp.example.org 110 pop",
            &["line 8, column 30: expected a service kind: smtp, submission, pop3, imap or dns, found `pop`"],
        ),
        (
            "queue laptop.example.org retry 5m",
            &["line 8, column 7: only a mail host has a queue, and `laptop.example.org` is a client host"],
        ),
        (
            "queue smtp.example.org retry",
            &[
                "line 8, column 29: expected a delay such as `5m` here; the line reads `queue HOST [retry DELAY...] [giveup AFTER] [warn AFTER|never]`",
            ],
        ),
        ("queue smtp.example.org retry 0s", &["line 8, column 30: a delay must be longer than 0s"]),
        (
            "queue smtp.example.org retry 1h giveup 30m",
            &["line 8, column 40: it gives up before the first retry: make `giveup` longer than it"],
        ),
        (
            "queue smtp.example.org giveup 1d warn 2d",
            &["line 8, column 39: the warning would come after giving up: make `warn` shorter than `giveup`"],
        ),
        (
            "queue smtp.example.org retry 5m soon",
            &[
                "line 8, column 33: unexpected `soon` at the end; the line reads `queue HOST [retry DELAY...] [giveup AFTER] [warn AFTER|never]`",
            ],
        ),
        (
            "service mx.example.net 465 pop3 starttls",
            &["line 8, column 28: `starttls` is for smtp and submission services, not pop3"],
        ),
        (
            "service mx.example.net 587 submission starttls required now",
            &[
                "line 8, column 57: unexpected `now` at the end; the line reads `service HOST PORT KIND [starttls [required]]`",
            ],
        ),
        (
            "service laptop.example.org 110 pop3",
            &[
                "line 8, column 9: a mail service runs on a mail host, and `laptop.example.org` is a client host",
            ],
        ),
        (
            "resolver smtp.example.org",
            &["line 8, column 10: the resolver must be a dns host, and `smtp.example.org` is a mail host"],
        ),
        (
            "resolver ns.example.org\nresolver ns.example.org",
            &["line 9, column 10: the resolver is already set on line 8; a world has one resolver"],
        ),
        (
            "domain example.net on ns.example.org",
            &[
                "line 8, column 23: mail for a domain is stored on a mail host, and `ns.example.org` is a dns host",
            ],
        ),
        (
            "domain example.net smtp.example.org",
            &[
                "line 8, column 20: expected `on`, found `smtp.example.org`; the line reads `domain DOMAIN on HOST`",
            ],
        ),
        (
            "user bob@example.net",
            &[
                "line 8, column 6: the domain of `bob@example.net` is not declared: add `domain example.net on HOST` (a mail host)",
            ],
        ),
        (
            "user ALICE@example.org",
            &["line 8, column 6: the user `alice@example.org` is already declared on line 7"],
        ),
        (
            "user bob@example.org passwd \"x\"",
            &[
                "line 8, column 22: unexpected `passwd` at the end; the line reads `user ADDRESS [password \"SECRET\"]`",
            ],
        ),
        (
            "relay laptop.example.org for 192.0.2.1",
            &["line 8, column 7: only a mail host relays mail, and `laptop.example.org` is a client host"],
        ),
        (
            "relay smtp.example.org for 192.0.2",
            &["line 8, column 28: expected an IPv4 address such as `192.0.2.25`, found `192.0.2`"],
        ),
        (
            "mx example.org 10 192.0.2.25",
            &[
                "line 8, column 19: an MX record names a host, not an address (RFC 5321 §5.1): write its name, and give it `a NAME 192.0.2.25` if it is not a host",
            ],
        ),
        (
            "mx example.org 10 mail.example.org",
            &[
                "line 8, column 19: `mail.example.org` has no address: define the host `mail.example.org`, or add `a mail.example.org ADDRESS`",
            ],
        ),
        (
            "mx example.org 65536 smtp.example.org",
            &["line 8, column 16: an MX preference is a whole number from 0 to 65535, found `65536`"],
        ),
        ("mx example.com 10 .", &["line 8, column 16: a null MX has preference 0 (RFC 7505 §3)"]),
        (
            "mx example.com 0 .\nmx example.com 10 smtp.example.org",
            &[
                "line 9, column 19: `example.com` has a null MX on line 8, which says it takes no mail; it can have no other MX (RFC 7505 §3)",
            ],
        ),
        (
            "mx example.com 10 smtp.example.org\nmx example.com 0 .",
            &[
                "line 9, column 18: a null MX must be the only MX of `example.com` (RFC 7505 §3), and it has another on line 8",
            ],
        ),
        (
            "a smtp.example.org 192.0.2.26",
            &[
                "line 8, column 3: `smtp.example.org` is a host and has an A record for its own address already; remove this line",
            ],
        ),
        (
            "a www.example.org 192.0.2.300",
            &[
                "line 8, column 19: `300` in `192.0.2.300` is more than 255, the largest part of an IPv4 address",
            ],
        ),
        (
            "link laptop.example.org laptop.example.org 1ms",
            &["line 8, column 25: a link joins two different hosts, and both ends are `laptop.example.org`"],
        ),
        (
            "link laptop.example.org smtp.example.org 20",
            &["line 8, column 42: `20` needs a unit: `20ms`, `20s`, `20m`, `20h` or `20d`"],
        ),
        (
            "link laptop.example.org smtp.example.org 20ms loss 110%",
            &["line 8, column 52: expected a whole percentage from 0% to 100% such as `10%`, found `110%`"],
        ),
        (
            "link laptop.example.org mx.example.net 20ms",
            &[
                "line 8, column 25: there is no host `mx.example.net`; the hosts are laptop.example.org, smtp.example.org, ns.example.org",
            ],
        ),
        (
            "link laptop.example.org smtp.example.org 20ms\nlink smtp.example.org laptop.example.org 5ms",
            &["line 9, column 6: `smtp.example.org` and `laptop.example.org` are already linked on line 8"],
        ),
        (
            "down smtp.example.org from 10m to 5m",
            &["line 8, column 35: the end of a `down` window must be later than its start"],
        ),
        (
            "down smtp.example.org 0s to 5m",
            &["line 8, column 23: expected `from`, found `0s`; the line reads `down HOST from TIME to TIME`"],
        ),
        (
            "down smtp.exmaple.org from 0s to 5m",
            &["line 8, column 6: there is no host `smtp.exmaple.org` (did you mean `smtp.example.org`?)"],
        ),
        (
            "greylist laptop.example.org",
            &[
                "line 8, column 10: greylisting answers SMTP, and `laptop.example.org` runs no SMTP service: add `service laptop.example.org 25 smtp`",
            ],
        ),
        (
            "greylist smtp.example.org\ngreylist smtp.example.org",
            &["line 9, column 10: `smtp.example.org` is already greylisting on line 8"],
        ),
        (
            "full bob@example.org",
            &["line 8, column 6: `bob@example.org` is not a user: add `user bob@example.org`"],
        ),
        ("full bob", &["line 8, column 6: expected an address such as `bob@example.net`, found `bob`"]),
        (
            "reply smtp.example.org RCPT 451 5.7.1 \"No\"",
            &[
                "line 8, column 33: the enhanced code 5.7.1 is of class 5, but 451 is a 4xx reply: the first digits must agree (RFC 3463 §2)",
            ],
        ),
        (
            "reply smtp.example.org RCPT 651 \"No\"",
            &[
                "line 8, column 29: a reply code of a rule (it refuses: 4xx try later, 5xx failed) is a whole number from 400 to 599, found `651`",
            ],
        ),
        (
            "reply mx.example.net MESSAGE 250 \"OK\"",
            &[
                "line 8, column 30: a reply code of a rule (it refuses: 4xx try later, 5xx failed) is a whole number from 400 to 599, found `250`",
            ],
        ),
        (
            "reply smtp.example.org QUIT 550 \"No\"",
            &[
                "line 8, column 29: QUIT is never answered 550 (RFC 5321 §4.3.2, RFC 4954 §6, RFC 3207 §4): use one of 421, 500, 501",
            ],
        ),
        (
            "reply smtp.example.org GREETING 450 \"Later\"",
            &[
                "line 8, column 33: GREETING is never answered 450 (RFC 5321 §4.3.2, RFC 4954 §6, RFC 3207 §4): use one of 554, 421",
            ],
        ),
        (
            "reply smtp.example.org DATA 451 \"No\"",
            &[
                "line 8, column 29: DATA is never answered 451 (RFC 5321 §4.3.2, RFC 4954 §6, RFC 3207 §4): use one of 503, 554, 530, 421, 500, 501",
            ],
        ),
        (
            "reply smtp.example.org AUTH 550 \"No\"",
            &[
                "line 8, column 29: AUTH is never answered 550 (RFC 5321 §4.3.2, RFC 4954 §6, RFC 3207 §4): use one of 432, 454, 503, 504, 534, 535, 538, 530, 421, 500, 501",
            ],
        ),
        (
            "reply smtp.example.org RCTP 451 \"No\"",
            &[
                "line 8, column 24: expected a command to answer (GREETING, EHLO, HELO, MAIL, RCPT, DATA, MESSAGE, RSET, NOOP, VRFY, HELP, QUIT, AUTH, STARTTLS), found `RCTP`",
            ],
        ),
        (
            "reply smtp.example.org RCPT 451 4.7.1",
            &[
                "line 8, column 38: expected the reply text in quotes, such as \"Try again later\" here; the line reads `reply HOST VERB CODE [X.Y.Z] \"TEXT\" [times N]`",
            ],
        ),
        (
            "reply smtp.example.org RCPT 451 \"No\" times 0",
            &["line 8, column 44: `times` is a whole number from 1 to 4294967295, found `0`"],
        ),
        (
            "reply smtp.example.org rcpt 451 \"No\"\nreply smtp.example.org RCPT 550 \"No\"",
            &["line 9, column 24: `smtp.example.org` already has a reply rule for RCPT on line 8"],
        ),
        (
            "cut smtp.example.org 25 before QUTI",
            &[
                "line 8, column 32: expected an SMTP command (EHLO, HELO, MAIL, RCPT, DATA, RSET, NOOP, VRFY, HELP, QUIT, AUTH, STARTTLS) or a POP3 command (USER, PASS, APOP, STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL, QUIT, CAPA), found `QUTI`",
            ],
        ),
        (
            "cut smtp.example.org 25 QUIT",
            &[
                "line 8, column 25: expected `before`, found `QUIT`; the line reads `cut HOST PORT before VERB [times N]`",
            ],
        ),
        (
            "cut smtp.example.org before QUIT",
            &["line 8, column 22: a port is a whole number from 1 to 65535, found `before`"],
        ),
        (
            "cut smtp.example.org 110 before QUIT",
            &["line 8, column 33: `smtp.example.org` runs nothing on port 110: its services are 25 smtp"],
        ),
        (
            "cut ns.example.org 53 before QUIT",
            &[
                "line 8, column 30: port 53 of `ns.example.org` runs dns: only SMTP and POP3 conversations can be cut",
            ],
        ),
        (
            "cut smtp.example.org 25 before RETR",
            &[
                "line 8, column 32: port 25 of `smtp.example.org` runs smtp, which has no command RETR (its commands: EHLO, HELO, MAIL, RCPT, DATA, RSET, NOOP, VRFY, HELP, QUIT, AUTH, STARTTLS)",
            ],
        ),
        (
            "cut nowhere.example 25 before QUIT",
            &[
                "line 8, column 5: there is no host `nowhere.example`; the hosts are laptop.example.org, smtp.example.org, ns.example.org",
            ],
        ),
        (
            "cut smtp.example.org 25 before quit\ncut smtp.example.org 25 before QUIT times 2",
            &[
                "line 9, column 32: connections to port 25 of `smtp.example.org` are already cut before QUIT on line 8",
            ],
        ),
        (
            "cut smtp.example.org 25 before DATA times 0",
            &["line 8, column 43: `times` is a whole number from 1 to 4294967295, found `0`"],
        ),
        (
            "at 0s send from smtp.example.org via smtp.example.org",
            &[
                "line 8, column 17: a message is sent from a person's device, and `smtp.example.org` is a mail host",
            ],
        ),
        (
            "at 0s send from laptop.example.org via ns.example.org",
            &[
                "line 8, column 40: `via` names the server the message is handed to, and `ns.example.org` runs no SMTP service: add `service ns.example.org 25 smtp`",
            ],
        ),
        #[cfg(not(feature = "imap"))]
        (
            "at 0s mail from laptop.example.org via smtp.example.org",
            &["line 8, column 7: expected an action: send or retrieve, found `mail`"],
        ),
        #[cfg(feature = "imap")]
        (
            "at 0s mail from laptop.example.org via smtp.example.org",
            &["line 8, column 7: expected an action: send, retrieve or imap, found `mail`"],
        ),
        (
            "at 0s retrieve from laptop.example.org via smtp.example.org user bob@example.net",
            &[
                "line 8, column 44: `via` names the POP3 server, and `smtp.example.org` runs no POP3 service: add `service smtp.example.org 110 pop3`",
                "line 8, column 66: `bob@example.net` is not a user: add `user bob@example.net`",
            ],
        ),
        (
            "at 0s retrieve from laptop.example.org via mx.example.net user nobody@example.net",
            &[
                "line 8, column 44: there is no host `mx.example.net`; the hosts are laptop.example.org, smtp.example.org, ns.example.org",
                "line 8, column 64: `nobody@example.net` is not a user: add `user nobody@example.net`",
            ],
        ),
        (
            "at 0s send from laptop.example.org via smtp.example.org to bob@example.net,,x@y.z",
            &["line 8, column 60: an address is missing in the list: two commas in a row, or one at an end"],
        ),
        (
            "at soon send from laptop.example.org via smtp.example.org",
            &[
                "line 8, column 4: expected a duration such as `250ms`, `30s`, `5m`, `2h` or `1d`, found `soon`",
            ],
        ),
        (
            "size smtp.example.org 0",
            &["line 8, column 23: a message size in octets is a whole number from 1 to 10485760, found `0`"],
        ),
        (
            "size smtp.example.org 20MB",
            &[
                "line 8, column 23: a message size in octets is a whole number from 1 to 10485760, found `20MB`",
            ],
        ),
        (
            "size laptop.example.org 1000",
            &["line 8, column 6: only a mail host takes messages, and `laptop.example.org` is a client host"],
        ),
        (
            "size smtp.example.org 1000\nsize smtp.example.org 2000",
            &["line 9, column 6: the largest message of `smtp.example.org` is already set on line 8"],
        ),
        (
            "at 0s send from laptop.example.org via smtp.example.org as \"Bank <no address>\"",
            &["line 8, column 60: expected an address such as `bob@example.net`, found `no address`"],
        ),
        (
            "at 0s send from laptop.example.org via smtp.example.org auth maybe",
            &["line 8, column 62: expected plain, login or none after `auth`, found `maybe`"],
        ),
        (
            "at 0s send from laptop.example.org via smtp.example.org broken commas",
            &[
                "line 8, column 64: expected dots (no doubled dots) or lf (bare LF line ends) after `broken`, found `commas`",
            ],
        ),
        (
            "at 0s send from laptop.example.org via smtp.example.org password \"a\" password \"b\"",
            &["line 8, column 79: `password` is written once"],
        ),
        (
            "at 0s send from laptop.example.org via smtp.example.org password",
            &[
                "line 8, column 65: expected the password the mail program logs in with, in quotes here; the line reads `at TIME send from HOST via HOST [to ADDRESS,...] [subject \"TEXT\"] [password \"TEXT\"] [auth plain|login|none] [broken dots|lf] [as \"SENDER\"] [envelope ADDRESS]  or  at TIME retrieve from HOST via HOST user ADDRESS [keep]`",
            ],
        ),
        (
            "at 0s send from laptop.example.org via smtp.example.org subject \"Hi",
            &["line 8, column 65: this quote is not closed: end the text with `\"` on the same line"],
        ),
    ];
    let mut wrong = Vec::new();
    for (broken, want) in cases {
        // How the line reads, and what is missing in words, are told only where teachers
        // write lessons (feature `teacher`).
        if !cfg!(feature = "teacher") && want.iter().any(|w| w.contains("the line reads")) {
            continue;
        }
        // A cut connection comes with `pop3` (the first load's lessons cut nothing).
        if !cfg!(feature = "pop3") && broken.starts_with("cut ") {
            continue;
        }
        let got = errors(&format!("{BASE}{broken}\n"));
        if got != *want {
            wrong.push(format!("{broken}\n  got:  {got:?}\n  want: {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    assert_eq!(errors(BASE), Vec::<String>::new());
}

#[test]
fn all_errors_are_collected_in_line_order() {
    let text = "link a.example b.example 1ms\nbogus\nhost c.example 1.2.3.4 client C at 1,1\nseed x\n";
    assert_eq!(
        errors(text),
        [
            "line 1, column 6: there is no host `a.example` (did you mean `c.example`?)",
            "line 1, column 16: there is no host `b.example` (did you mean `c.example`?)",
            "line 2, column 1: unknown directive `bogus`; expected one of: seed, host, service, resolver, domain, user, relay, mx, a, txt, dkim, check, link, down, greylist, queue, size, full, reply, cut, at",
            "line 4, column 6: the seed is a whole number from 0 to 18446744073709551615, found `x`",
        ]
    );
}

#[test]
fn errors_and_input_are_capped() {
    let text = "nonsense\n".repeat(500);
    let es = Description::parse(&text).unwrap_err();
    assert_eq!(es.len(), MAX_ERRORS);
    assert_eq!(
        es[MAX_ERRORS - 1].to_string(),
        "line 50, column 1: more problems follow; only the first 49 are shown"
    );
    let big = "# padding\n".repeat(MAX_DESCRIPTION_BYTES / 10 + 1);
    let es = Description::parse(&big).unwrap_err();
    assert_eq!(es.len(), 1);
    assert!(es[0].message.contains("at most 65536"), "{}", es[0]);
    let mut hosts = String::new();
    for i in 0..=MAX_HOSTS {
        hosts += &format!("host h{i}.example 10.0.{}.{} client H at 1,1\n", i / 200, i % 200);
    }
    assert_eq!(errors(&hosts), [format!("line {}, column 6: a world has at most 64 hosts", MAX_HOSTS + 1)]);
}

#[test]
fn a_lesson_extends_the_standard_world() {
    let mut d = Description::standard();
    let lesson = "\
seed 7
link smtp.example.org mx.example.net 400ms loss 5%
host backup.example.net 198.51.100.26 mail \"Bob's backup\" at 78,90
service backup.example.net 25 smtp
mx example.net 20 backup.example.net
down mx.example.net from 0s to 10m
at 1s send from laptop.example.org via smtp.example.org to carol@example.net
";
    d.extend(lesson, 10).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(d.seed, 7);
    let link = d.links.iter().find(|l| l.a == "smtp.example.org" && l.b == "mx.example.net").unwrap();
    assert_eq!((link.latency, link.loss_percent, link.line), (SimDuration::from_millis(400), 5, 11));
    assert_eq!(d.links.len(), 5, "the link was replaced, not added");
    assert_eq!(d.hosts.len(), 5);
    assert_eq!(d.host("backup.example.net").unwrap().line, 12);
    assert_eq!(d.faults[0].line(), 15);
    let mut again = d.clone();
    again.extend("resolver ns.example.org\nseed 9", 1).unwrap();
    assert_eq!((again.seed, again.resolver.as_deref()), (9, Some("ns.example.org")));
    let es = again.extend("resolver mx.example.net", 1).unwrap_err();
    assert_eq!(
        es[0].to_string(),
        "line 1, column 10: the resolver must be a dns host, and `mx.example.net` is a mail host"
    );

    let before = Description::standard();
    let mut d = before.clone();
    let lesson = "\
host mx.example.net 198.51.100.99 mail \"Again\" at 1,1
user bob@example.net
service mx.example.net 110 imap
mx example.net 0 .
link smtp.example.org mx.example.net 1ms
link mx.example.net smtp.example.org 2ms
";
    let es: Vec<String> = d.extend(lesson, 20).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(
        es,
        [
            "line 20, column 6: the host `mx.example.net` is already defined in the base world (line 11)",
            "line 21, column 6: the user `bob@example.net` is already declared in the base world (line 27)",
            "line 22, column 24: port 110 of `mx.example.net` already runs pop3 in the base world (line 16); one service per port",
            "line 23, column 18: a null MX must be the only MX of `example.net` (RFC 7505 §3), and it has another in the base world (line 35)",
            "line 25, column 6: `mx.example.net` and `smtp.example.org` are already linked on line 24",
        ]
    );
    assert_eq!(d, before, "a failed extend changes nothing");
}

#[test]
fn a_base_service_declared_again_changes_its_tls_once() {
    let tls = |d: &Description, port: u16| {
        let services = &d.host("mx.example.net").unwrap().services;
        let on: Vec<_> = services.iter().filter(|s| s.port == port).collect();
        assert_eq!(on.len(), 1, "one service on port {port}: {services:?}");
        (on[0].kind, on[0].tls)
    };
    let cases = [
        ("service mx.example.net 25 smtp starttls", TlsPolicy::Offered),
        ("service mx.example.net 25 smtp starttls required", TlsPolicy::Required),
        ("service mx.example.net 25 smtp", TlsPolicy::Off),
    ];
    for (line, want) in cases {
        let mut d = Description::standard();
        d.extend(line, 1).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        assert_eq!(tls(&d, 25), (ServiceKind::Smtp, want), "{line}");
        // The other services of the host stay.
        assert_eq!(tls(&d, 110).0, ServiceKind::Pop3, "{line}");
    }
    // Twice in one text, or another kind on the port: one service per port.
    let mut d = Description::standard();
    let twice = "service mx.example.net 25 smtp starttls\nservice mx.example.net 25 smtp";
    let es: Vec<String> = d.extend(twice, 1).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(
        es,
        ["line 2, column 24: port 25 of `mx.example.net` already runs smtp on line 1; one service per port"]
    );
    let other = "service mx.example.net 25 submission";
    let es: Vec<String> = d.extend(other, 1).unwrap_err().iter().map(ToString::to_string).collect();
    assert!(es[0].contains("already runs smtp in the base world"), "{es:?}");
}

/// The engine's own seeded generator, sized for indexing.
struct Rng(crate::rng::Rng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(crate::rng::Rng::new(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for _ in 0..2_000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        if let Err(es) = Description::parse(&text) {
            assert!(!es.is_empty() && es.len() <= MAX_ERRORS);
            assert!(es.iter().all(|e| e.line >= 1 && e.column >= 1 && !e.message.is_empty()));
        }
        let mut d = Description::standard();
        let _ = d.extend(&text, usize::MAX - 3);
    }
}

#[test]
fn token_soup_never_panics() {
    let words = [
        "seed",
        "host",
        "service",
        "resolver",
        "domain",
        "user",
        "relay",
        "mx",
        "a",
        "link",
        "down",
        "greylist",
        "full",
        "reply",
        "cut",
        "before",
        "at",
        "send",
        "from",
        "via",
        "to",
        "subject",
        "on",
        "for",
        "password",
        "loss",
        "times",
        "client",
        "mail",
        "dns",
        "smtp",
        "submission",
        "pop3",
        "imap",
        "laptop.example.org",
        "smtp.example.org",
        "mx.example.net",
        "ns.example.org",
        "example.net",
        "example.org",
        "bob@example.net",
        "alice@example.org",
        "192.0.2.10",
        "198.51.100.25",
        "10",
        "0",
        "65536",
        "451",
        "4.7.1",
        "5.1.1",
        ".",
        ",",
        "38,62",
        "10,",
        "20ms",
        "0s",
        "10m",
        "1d",
        "99999999999999999999",
        "10%",
        "\"Try again\"",
        "\"",
        "\"\\",
        "#",
        "\t",
        "RCPT",
        "é",
        "-",
        "..",
        "@",
    ];
    let mut rng = Rng::new(42);
    let mut ok = 0;
    for _ in 0..5_000 {
        let mut text = String::new();
        for _ in 0..rng.below(12) {
            let n = rng.below(8);
            let line: Vec<&str> = (0..n).map(|_| words[rng.below(words.len())]).collect();
            text += &line.join(" ");
            text.push('\n');
        }
        let mut d = Description::standard();
        match d.extend(&text, 1) {
            Ok(()) => ok += 1,
            Err(es) => assert!(es.len() <= MAX_ERRORS),
        }
    }
    assert!(ok > 0, "some soups are valid (blank ones at least)");
}

#[test]
fn the_worst_input_within_the_cap_is_read_quickly_enough() {
    // Many hosts with long names, then as many failing references as fit: each asks
    // for a "did you mean" hint, so this is the parser's most expensive input.
    let long = "x".repeat(60);
    let mut text = String::new();
    for i in 0..MAX_HOSTS {
        text += &format!("host {long}{i:02}.example 10.0.0.{i} client H at 1,1\n");
    }
    while text.len() < MAX_DESCRIPTION_BYTES - 200 {
        text += &format!("link {long}9a.example {long}9b.example 1ms\n");
    }
    let es = Description::parse(&text).unwrap_err();
    assert_eq!(es.len(), MAX_ERRORS);
    assert!(es[0].message.starts_with("there is no host"), "{}", es[0]);
}

#[test]
fn starttls_is_declared_per_smtp_service() {
    let extra =
        "service mx.example.net 587 submission starttls required\nservice mx.example.net 2525 smtp starttls";
    let mut d = Description::standard();
    d.extend(extra, 100).unwrap();
    let tls = |port| d.host(names::BOB_SERVER).unwrap().services.iter().find(|s| s.port == port).unwrap().tls;
    assert_eq!((tls(25), tls(587), tls(2525)), (TlsPolicy::Off, TlsPolicy::Required, TlsPolicy::Offered));
}

#[test]
fn a_queue_is_configured_per_mail_host() {
    let mut d = Description::standard();
    d.extend("queue smtp.example.org retry 1m 10m giveup 1h warn 20m\nqueue mx.example.net warn never", 100)
        .unwrap();
    let policy = |host: &str| d.queues.iter().find(|q| q.host == host).unwrap().policy.clone();
    let m = |n: u64| crate::time::SimDuration::from_secs(n * 60);
    assert_eq!(
        policy(names::ALICE_SERVER),
        RetryPolicy { backoff: vec![m(1), m(10)], lifetime: m(60), warn_after: Some(m(20)) }
    );
    let bob = policy(names::BOB_SERVER);
    assert_eq!((bob.backoff, bob.warn_after), (RetryPolicy::default().backoff, None));
    let err = d.clone().extend("queue smtp.example.org retry 5m", 200).unwrap_err();
    assert_eq!(
        err[0].to_string(),
        "line 200, column 7: the queue of `smtp.example.org` is already set on line 100"
    );
}

#[test]
fn every_reply_verb_has_refusals_and_only_refusals() {
    for verb in REPLY_VERBS {
        let codes = refusals(verb);
        assert!(codes.contains(&421), "{verb}: a server that must shut down may say 421");
        assert!(codes.iter().all(|c| (400..600).contains(c)), "{verb}: {codes:?}");
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len(), "{verb}: {codes:?}");
    }
    // What RFC 5321 §4.3.2 lists, for a few: a greeting refuses with 554, RSET only until
    // TLS, the end of the data has no 500 (it is not a command line).
    assert_eq!(refusals("GREETING"), [554, 421]);
    assert_eq!(refusals("RSET"), [530, 421, 500, 501]);
    // 530 wherever the simulated server itself sends it when TLS is required.
    for verb in ["HELO", "MAIL", "RCPT", "DATA", "VRFY", "HELP", "RSET", "AUTH"] {
        assert!(refusals(verb).contains(&530), "{verb}");
    }
    assert!(!refusals("MESSAGE").contains(&500));
    assert!(refusals("RCPT").contains(&450) && !refusals("MAIL").contains(&450));
}
