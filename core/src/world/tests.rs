//! The World's tests: delivery, bounces, retries, MX fallback, faults, the live API.

use super::*;
use crate::describe::Description;
use crate::mta::RetryPolicy;
use crate::session::{Env, RcptVerdict};
use crate::time::SimTime;

fn send(to: &str, from: &str, tweak: impl FnOnce(&mut World)) -> World {
    let (mut w, laptop) = standard_world();
    tweak(&mut w);
    let to = vec![to.to_string()];
    let draft = Draft { cc: &[], bcc: &[], from, to: &to, subject: "Test", body: "Hello", attachments: &[] };
    w.send_mail(laptop, names::ALICE_SERVER, &draft).unwrap();
    w.run_until_idle().unwrap();
    w
}

/// Retries after 5 and 30 minutes, given up after 35: three attempts, no warning.
const RETRY_DELAYS: [SimDuration; 2] = [SimDuration::from_secs(5 * 60), SimDuration::from_secs(30 * 60)];

fn short_queue(w: &mut World) {
    let lifetime = SimDuration::from_secs(35 * 60);
    w.retry_policy(1, RetryPolicy { backoff: RETRY_DELAYS.to_vec(), lifetime, warn_after: None });
}

fn kinds(w: &World) -> Vec<String> {
    w.trace().events.iter().map(|e| e.kind.label()).collect()
}

#[test]
fn delivered_to_bob() {
    let w = send("bob@example.net", "alice@example.org", |_| {});
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1);
    assert_eq!(w.mailbox("alice@example.org").unwrap().len(), 0);
    assert!(w.is_idle());
}

#[test]
fn a_relay_lets_go_of_a_message_at_the_250_after_its_data_and_bounces_at_the_refusal() {
    // The relay's queue (its count in the diagram) holds the message until the next server
    // takes it (250 after the data) or refuses it, not until QUIT and the close: from the
    // step that shows the relay heard the answer, the message is not "waiting" any more.
    let cases = [("bob@example.net", "250", "QUIT"), ("nobody@example.net", "550", "bounce")];
    for (to, answer, next) in cases {
        let w = send(to, "alice@example.org", |_| {});
        let t = w.trace();
        let (smtp, mx) =
            (w.host_by_name(names::ALICE_SERVER).unwrap(), w.host_by_name(names::BOB_SERVER).unwrap());
        let relay = t.events.iter().find(|e| e.from == smtp && e.to == mx).and_then(|e| e.conn).unwrap();
        // The last one from mx: the answer to the data, or the refusal.
        let at = t
            .events
            .iter()
            .rposition(|e| {
                e.conn == Some(relay)
                    && e.from == mx
                    && matches!(&e.kind, EventKind::Reply { status, .. } if status.label() == answer)
            })
            .unwrap_or_else(|| panic!("{to}: no {answer} from mx: {:?}", kinds(&w)));
        assert_eq!(t.events[at].hosts[smtp].queued, 1, "{to}: still queued while the {answer} travels");
        let after = &t.events[at + 1];
        assert_eq!(after.kind.label(), next, "{to}: {:?}", kinds(&w));
        assert_eq!(after.hosts[smtp].queued, 0, "{to}: let go once the {answer} is heard");
        let quit = t.events.iter().position(|e| e.conn == Some(relay) && e.kind.label() == "QUIT").unwrap();
        assert!(quit > at, "{to}: QUIT comes after the answer");
    }
}

#[cfg(feature = "pop3")]
#[test]
fn a_relay_cut_after_the_250_before_quit_delivers_once_and_never_retries() {
    // The next server took the message with its 250: the break before QUIT changes
    // nothing, no second copy, no bounce, no retry (RFC 5321 §6.1).
    let w = alice_sends_in("cut mx.example.net 25 before QUIT");
    let t = w.trace();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1, "{:?}", kinds(&w));
    assert_eq!(w.mailbox("alice@example.org").unwrap().len(), 0, "no bounce: {:?}", kinds(&w));
    let to_mx = t.events.iter().filter(|e| e.to == mx && matches!(e.kind, EventKind::Connect { .. })).count();
    assert_eq!(to_mx, 1, "one attempt: {:?}", kinds(&w));
    assert_eq!(w.queued(), 0);
    // The connection broke at QUIT: no 221 from mx. The relay gives up after its 5 minutes
    // (its QUIT timeout), the server when its own inactivity timer runs out; each says so,
    // once.
    assert!(!t.events.iter().any(|e| e.from == mx && e.kind.label() == "221"), "{:?}", kinds(&w));
    let notes: Vec<String> =
        t.events.iter().filter(|e| e.kind == EventKind::Note).map(|e| e.text()).collect();
    let broke: Vec<&String> = notes.iter().filter(|n| n.contains("broke as QUIT was sent")).collect();
    assert_eq!(broke.len(), 1, "{notes:?}");
    assert!(broke[0].contains("After 5 minutes without an answer, Alice's provider gives up"), "{notes:?}");
    assert_eq!(notes.iter().filter(|n| n.contains("inactivity timer runs out")).count(), 1, "{notes:?}");
}

#[test]
fn unknown_user_bounces_back_to_alice_with_a_dsn() {
    let w = send("nobody@example.net", "alice@example.org", |_| {});
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
    let alice = w.mailbox("alice@example.org").unwrap();
    assert_eq!(alice.len(), 1, "{:?}", kinds(&w));
    let dsn = String::from_utf8_lossy(alice[0]);
    // Bounces travel with a null reverse-path (RFC 5321 §4.5.5).
    assert!(dsn.starts_with("Return-Path: <>\r\n"), "{dsn}");
    for want in [
        "report-type=delivery-status",
        "Reporting-MTA: dns; smtp.example.org",
        "Final-Recipient: rfc822; nobody@example.net",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mx.example.net",
        "Diagnostic-Code: smtp; 550 5.1.1",
    ] {
        assert!(dsn.contains(want), "{want} missing in {dsn}");
    }
    assert!(kinds(&w).contains(&"bounce".to_string()));
}

#[test]
fn relay_refused_for_a_stranger_is_reported_by_the_client() {
    // Port 25 of Alice's provider, without a login and from outside any trusted network.
    let (mut w, laptop) = standard_world();
    let to = vec!["bob@example.net".to_string()];
    let draft = Draft {
        cc: &[],
        bcc: &[],
        from: "alice@example.org",
        to: &to,
        subject: "Test",
        body: "Hello",
        attachments: &[],
    };
    w.send_mail_at(SimTime::ZERO, laptop, names::ALICE_SERVER, SMTP_PORT, &draft).unwrap();
    w.run_until_idle().unwrap();
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
    let last_note = w.trace().events.iter().rev().find(|e| e.kind == EventKind::Note).unwrap();
    assert!(last_note.text().contains("550 5.7.1"), "{}", last_note.text());
    assert!(!kinds(&w).contains(&"queued".to_string()));
}

#[test]
fn a_domain_that_does_not_exist_bounces_with_5_1_2() {
    let w = send("bob@nowhere.test", "alice@example.org", |_| {});
    let dsn = String::from_utf8_lossy(w.mailbox("alice@example.org").unwrap()[0]).into_owned();
    assert!(dsn.contains("Status: 5.1.2") && dsn.contains("NXDOMAIN"), "{dsn}");
}

#[test]
fn a_bounce_crosses_smtp_with_a_null_sender() {
    // Carol (example.net) sends through smtp.example.org to an unknown user: the bounce
    // goes back to mx.example.net with MAIL FROM:<> (RFC 5321 §4.5.5).
    // (Through a trusted network: Carol has no login at Alice's provider.)
    let w = send("nobody@example.net", "carol@example.net", |w| w.relay_for(1, names::LAPTOP_ADDR));
    let null_mail = w.trace().events.iter().find(|e| {
        e.kind == EventKind::Command { verb: "MAIL".into() } && e.text().starts_with("MAIL FROM:<> ")
    });
    assert!(null_mail.is_some(), "{:?}", kinds(&w));
    let carol = w.mailbox("carol@example.net").unwrap();
    assert_eq!(carol.len(), 1);
    assert!(String::from_utf8_lossy(carol[0]).contains("Final-Recipient: rfc822; nobody@example.net"));
}

#[test]
fn a_failed_bounce_makes_no_bounce() {
    // The sender's domain does not exist, so the bounce cannot be delivered; it has a
    // null sender, so it is dropped, not bounced again (RFC 5321 §6.1, §4.5.5).
    let w = send("nobody@example.net", "ghost@nowhere.test", |w| w.relay_for(1, names::LAPTOP_ADDR));
    let bounces = kinds(&w).iter().filter(|k| *k == "bounce").count();
    assert_eq!(bounces, 1, "{:?}", kinds(&w));
    assert!(w.trace().events.iter().any(|e| e.kind == EventKind::Note && e.text().contains("never bounced")));
    assert_eq!(w.mailbox("alice@example.org").unwrap().len(), 0);
    assert!(w.is_idle());
}

#[test]
fn temporary_failures_are_retried_then_bounced() {
    let w = send("bob@example.net", "alice@example.org", |w| {
        // Bob's server accepts no recipient at all: 452 4.5.3, a temporary failure.
        w.server_config_mut(3).unwrap().max_recipients = 0;
        short_queue(w);
    });
    let retries: Vec<SimTime> = w
        .trace()
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Connect { .. }) && e.to == 3)
        .map(|e| e.sent)
        .collect();
    // At least the configured delays apart (RFC 5321 §4.5.4.1).
    assert!(retries.windows(2).zip(RETRY_DELAYS).all(|(w, d)| w[1] >= w[0].plus(d)), "{retries:?}");
    let connects_to_mx =
        w.trace().events.iter().filter(|e| matches!(e.kind, EventKind::Connect { .. }) && e.to == 3).count();
    assert_eq!(connects_to_mx, 1 + RETRY_DELAYS.len());
    let dsn = String::from_utf8_lossy(w.mailbox("alice@example.org").unwrap()[0]).into_owned();
    assert!(dsn.contains("Status: 5.4.7") && dsn.contains("452 4.5.3"), "{dsn}");
    // The retries happen later in virtual time.
    assert!(w.now() >= SimTime::ZERO.plus(RETRY_DELAYS[0]));
}

#[test]
fn a_host_without_a_mail_server_refuses_and_the_message_bounces() {
    // ns.example.org has an A record but no SMTP server: refused, retried, bounced.
    let w = send("x@ns.example.org", "alice@example.org", short_queue);
    let refusals = w
        .trace()
        .events
        .iter()
        .filter(|e| {
            matches!(e.kind, EventKind::Refused { port: 25 }) && e.text().starts_with("Connection refused")
        })
        .count();
    assert_eq!(refusals, 1 + RETRY_DELAYS.len());
    let dsn = String::from_utf8_lossy(w.mailbox("alice@example.org").unwrap()[0]).into_owned();
    assert!(dsn.contains("Status: 5.4.7") && dsn.contains("refused"), "{dsn}");
    // The World found that itself: no remote server said anything (RFC 3464 §2.3.5).
    assert!(!dsn.contains("Remote-MTA") && !dsn.contains("Diagnostic-Code"), "{dsn}");
    assert_eq!(w.queued(), 0, "every queue is empty");
}

#[test]
fn queue_ids_stay_unique_over_many_sessions() {
    let (mut w, laptop) = standard_world();
    let to = vec!["bob@example.net".to_string()];
    for i in 0..300 {
        let subject = format!("msg {i}");
        let draft = Draft {
            cc: &[],
            bcc: &[],
            from: "alice@example.org",
            to: &to,
            subject: &subject,
            body: "x",
            attachments: &[],
        };
        w.send_mail(laptop, names::ALICE_SERVER, &draft).unwrap();
    }
    w.run_until_idle().unwrap();
    let bob = w.mailbox("bob@example.net").unwrap();
    let mut subjects: Vec<String> = bob.iter().filter_map(|m| mail::header(m, "Subject")).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!((bob.len(), subjects.len()), (300, 300));
}

#[test]
fn snapshots_follow_the_protocol_states_per_connection() {
    use crate::smtp::client::ClientState;
    use crate::smtp::server::State;
    let w = send("bob@example.net", "alice@example.org", |_| {});
    let t = w.trace();
    assert!(t.snapshot_at(0)[1].sessions.is_empty());
    assert!(t.snapshot_at(0)[3].mailboxes.contains(&("bob@example.net".to_string(), 0)));
    assert_eq!(t.snapshot_at(t.len()), t.events.last().unwrap().hosts.as_slice());
    let mail_cmd =
        t.events.iter().find(|e| e.kind == EventKind::Command { verb: "MAIL".into() } && e.to == 1).unwrap();
    let conn = mail_cmd.conn.unwrap();
    let server = mail_cmd.hosts[1].server().unwrap();
    assert_eq!((server.conn, server.state), (conn, SessionState::SmtpServer(State::ExpectRcpt)));
    // Just connected: its greeting on the way, then what it waits for.
    let connect = t.events.iter().find(|e| e.conn == Some(conn)).unwrap();
    let greeting = connect.hosts[1].server().unwrap();
    assert_eq!(greeting.state, SessionState::SmtpServer(State::Greeting));
    assert_eq!(greeting.describe(), "greets the client (220)");
    let greeted = t.events.iter().find(|e| e.conn == Some(conn) && e.to == 0).unwrap();
    assert_eq!(greeted.hosts[1].server().unwrap().describe(), "waits for the client to say hello (EHLO)");
    // The laptop's MAIL has arrived: it waits for the reply, and says so.
    let laptop = mail_cmd.hosts[0].client().unwrap();
    assert_eq!(laptop.state, SessionState::SmtpClient(ClientState::ExpectMailReply));
    assert_eq!(laptop.describe(), "waits for the reply to MAIL FROM");
    let relay_rcpt =
        t.events.iter().find(|e| e.kind == EventKind::Command { verb: "RCPT".into() } && e.to == 3).unwrap();
    assert_eq!(
        relay_rcpt.hosts[1].client().unwrap().state,
        SessionState::SmtpClient(ClientState::ExpectRcptReply(0))
    );
    assert_eq!(
        relay_rcpt.hosts[3].server().unwrap().state,
        SessionState::SmtpServer(State::ExpectRcptOrData)
    );
    assert!(t.events.last().unwrap().hosts[3].sessions.is_empty());
}

#[test]
fn a_state_is_never_ahead_of_the_transcript() {
    // When the laptop reads the 250 after its message, it has already written QUIT, but
    // the QUIT is not in the trace yet: its state says it sends QUIT, not that it waits
    // for the reply to one.
    let w = send("bob@example.net", "alice@example.org", |_| {});
    let t = w.trace();
    let end_reply = t
        .events
        .iter()
        .find(|e| {
            matches!(&e.kind, EventKind::Reply { to_verb: Some(v), .. } if v == "DATA")
                && e.to == 0
                && e.text().starts_with("250")
        })
        .unwrap();
    let laptop = end_reply.hosts[0].client().unwrap();
    assert!(laptop.sending);
    assert_eq!(laptop.describe(), "sends QUIT");
    let quit =
        t.events.iter().find(|e| e.kind == EventKind::Command { verb: "QUIT".into() } && e.to == 1).unwrap();
    assert_eq!(quit.hosts[0].client().unwrap().describe(), "waits for the reply to QUIT");
    // Every state shown is the state of a machine whose last bytes are on screen or on their way.
    for e in &t.events {
        for s in e.hosts.iter().flat_map(|h| &h.sessions) {
            assert!(t.conn(s.conn).is_some());
        }
    }
}

#[test]
fn replies_know_the_event_they_answer() {
    let w = send("bob@example.net", "alice@example.org", |_| {});
    let t = w.trace();
    let mut n = 0;
    for e in &t.events {
        let EventKind::Reply { to_verb, answers, .. } = &e.kind else { continue };
        n += 1;
        let a = &t.events[answers.expect("every reply here answers something")];
        assert_eq!(a.conn, e.conn);
        match (&a.kind, to_verb.as_deref()) {
            (EventKind::Connect { .. }, None) => {}
            (EventKind::Command { verb }, Some(v)) => assert_eq!(verb, v),
            (EventKind::MessageData, Some("DATA")) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(n > 10);
}

#[test]
fn mx_fallback_a_refusing_first_mx_hands_over_to_the_backup() {
    // example.net gets a backup MX at preference 20; the primary refuses on port 25.
    let w = send("bob@example.net", "alice@example.org", |w| {
        let backup = w.add_host(
            HostInfo {
                name: "mx2.example.net".into(),
                label: "Bob's backup".into(),
                addr: "198.51.100.26".into(),
                role: HostRole::MailServer,
                position: (78, 30),
            },
            Some(ServerConfig::new("mx2.example.net")),
        );
        w.add_domain(backup, "example.net");
        w.add_mailbox(backup, "bob@example.net");
        w.zone_mut().add_mx("example.net", 20, "mx2.example.net");
        w.zone_mut().add_a("mx2.example.net", "198.51.100.26");
        w.unserve(3, SMTP_PORT);
    });
    let labels = kinds(&w);
    assert!(labels.contains(&"refused".to_string()), "{labels:?}");
    let mx2 = w.host_by_name("mx2.example.net").unwrap();
    assert_eq!(w.store(mx2).unwrap().folder("bob@example.net", "INBOX").unwrap().messages().len(), 1);
    // Both tries belong to the first attempt: no retry was needed.
    assert!(w.now() < SimTime::from_secs(60), "{}", w.now());
}

#[test]
fn greylisting_defers_and_the_retry_goes_through() {
    let w = send("bob@example.net", "alice@example.org", |w| w.greylist(3));
    let codes: Vec<String> = w
        .trace()
        .events
        .iter()
        .filter(|e| e.to == 1 && matches!(e.kind, EventKind::Reply { .. }))
        .map(|e| e.kind.label())
        .collect();
    assert!(codes.contains(&"451".to_string()), "{codes:?}");
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1);
    assert!(w.now() >= SimTime::ZERO.plus(RETRY_DELAYS[0]));
    assert_eq!(w.mailbox("alice@example.org").unwrap().len(), 0, "no bounce");
}

#[test]
fn a_reply_rule_and_a_full_mailbox() {
    let w = send("bob@example.net", "alice@example.org", |w| {
        w.reply_rule(
            3,
            "MAIL",
            Reply::custom(554, Some("5.7.1"), vec!["Your IP is on a block list".into()]),
            Some(1),
        );
    });
    let dsn = String::from_utf8_lossy(w.mailbox("alice@example.org").unwrap()[0]).into_owned();
    assert!(dsn.contains("Diagnostic-Code: smtp; 554 5.7.1 Your IP is on a block list"), "{dsn}");
    // A full mailbox stays full: after 4 hours Alice is warned (still trying), after 5
    // days the message is given up and bounced (RFC 5321 §4.5.4.1, RFC 3464).
    let w = send("bob@example.net", "alice@example.org", |w| w.mailbox_full("bob@example.net"));
    let inbox = w.mailbox("alice@example.org").unwrap();
    let [warning, bounce] = inbox.as_slice() else { panic!("{} messages", inbox.len()) };
    let (warning, bounce) = (String::from_utf8_lossy(warning), String::from_utf8_lossy(bounce));
    assert!(warning.contains("Action: delayed") && warning.contains("Status: 4.2.2"), "{warning}");
    assert!(warning.contains("Will-Retry-Until: Sat, 05 Dec 2026 09:00:"), "{warning}");
    assert!(bounce.contains("452 4.2.2") && bounce.contains("Status: 5.4.7"), "{bounce}");
    assert!(w.now() >= SimTime::ZERO.plus(SimDuration::from_secs(4 * 86_400)));
    let t = w.trace();
    let delayed = t.events.iter().find(|e| matches!(e.kind, EventKind::Delayed { .. })).unwrap();
    assert_eq!(crate::explain::event(t, delayed.index)[0].key, "delayed");
    // While it waits, Alice's provider shows the entry with its next attempt.
    let smtp = t.host_by_name(names::ALICE_SERVER).unwrap();
    let item = delayed.hosts[smtp].queue.first().expect("queued while warned");
    assert_eq!(item.recipients, ["bob@example.net"]);
    assert!(item.next.is_some_and(|n| n > delayed.at), "{item:?}");
    assert!(item.last_error.as_deref().is_some_and(|e| e.contains("452 4.2.2")), "{item:?}");
}

#[test]
fn a_host_that_is_down_times_out_and_the_queue_retries_after_it_is_back() {
    let w = send("bob@example.net", "alice@example.org", |w| {
        w.down(3, SimTime::ZERO, SimTime::from_secs(60));
    });
    let notes: Vec<String> =
        w.trace().events.iter().filter(|e| e.kind == EventKind::Note).map(|e| e.text()).collect();
    assert!(notes.iter().any(|n| n.contains("timed out after 30 s")), "{notes:?}");
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1, "delivered on the retry");
    // From the step that says it timed out, the queue shows when it tries again and why:
    // the queue decides at that same instant, with no event of its own to show it.
    let t = w.trace();
    let smtp = t.host_by_name(names::ALICE_SERVER).unwrap();
    let timeout = t.events.iter().find(|e| e.text().contains("timed out after 30 s")).unwrap();
    let item = timeout.hosts[smtp].queue.first().expect("waiting after the timeout");
    assert_eq!(item.next, Some(timeout.at.plus(RetryPolicy::default().backoff[0])), "{item:?}");
    assert!(item.last_error.as_deref().is_some_and(|e| e.contains("timed out")), "{item:?}");
}

#[test]
fn a_host_that_is_itself_down_is_told_so_not_the_server_or_the_resolver() {
    // The laptop is off the network: its connection and the relay's DNS question (the relay
    // down too) time out as any would, but the notes say whose outage it is.
    let (mut w, laptop) = standard_world();
    let (mx, smtp) =
        (w.host_by_name(names::BOB_SERVER).unwrap(), w.host_by_name(names::ALICE_SERVER).unwrap());
    w.down(laptop, SimTime::ZERO, SimTime::from_secs(3600));
    let conn = w.open(laptop, mx, SMTP_PORT).unwrap();
    w.run_until_idle().unwrap();
    assert!(!w.is_open(conn));
    let t = w.trace();
    let note = t.events.iter().find(|e| e.kind == EventKind::Note).unwrap();
    assert_eq!(
        note.text(),
        "No answer from mx.example.net (198.51.100.25) on port 25: bob-laptop is itself off the network, so its request never left; the connection timed out after 30 s."
            .replace("bob-laptop", &t.hosts[laptop].name)
    );
    #[cfg(feature = "sandbox")]
    assert_eq!(crate::explain::event(t, note.index)[0].key, "cut-off");
    // A relay that goes down as it looks up the next server (just after it queued the
    // message, at 410 ms): the queue's error says so.
    let w = send("bob@example.net", "alice@example.org", |w| {
        short_queue(w);
        w.down(smtp, SimTime::from_millis(411), SimTime::from_secs(60));
    });
    let t = w.trace();
    let note = t.events.iter().find(|e| e.kind == EventKind::Note && e.from == smtp).expect("a note");
    let text = note.text();
    assert!(
        text.starts_with("No answer: smtp.example.org is itself off the network: its question"),
        "{text}"
    );
    let item = note.hosts[smtp].queue.first().expect("waiting");
    assert!(item.last_error.as_deref().is_some_and(|e| e.contains("itself off the network")), "{item:?}");
    #[cfg(feature = "sandbox")]
    assert_eq!(crate::explain::event(t, note.index)[0].key, "cut-off");
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1, "delivered once it is back");
}

#[test]
fn loss_delays_but_never_loses_and_is_reproducible() {
    let run = || {
        let w = send("bob@example.net", "alice@example.org", |w| {
            w.lossy_link(1, 3, SimDuration::from_millis(40), 40);
        });
        (w.mailbox("bob@example.net").unwrap().len(), w.into_trace())
    };
    let (n, a) = run();
    let (_, b) = run();
    assert_eq!(n, 1);
    assert_eq!(a, b);
    let clean = send("bob@example.net", "alice@example.org", |_| {}).into_trace();
    assert!(a.events.last().unwrap().at > clean.events.last().unwrap().at);
}

#[test]
fn live_a_person_types_a_whole_transaction_line_by_line() {
    let (mut w, _) = standard_world();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let laptop = w.host_by_name(names::LAPTOP).unwrap();
    let conn = w.open(laptop, mx, SMTP_PORT).unwrap();
    w.advance_to(SimTime::from_secs(1)).unwrap();
    assert!(String::from_utf8_lossy(w.received(conn)).starts_with("220 mx.example.net"));
    let lines: &[&str] = &[
        "EHLO laptop.example.org\r\n",
        "MAIL FROM:<alice@example.org>\r\n",
        "RCPT TO:<bob@example.net>\r\n",
        "DATA\r\n",
        "Subject: typed by hand\r\n\r\nHello Bob\r\n.\r\n",
        "QUIT\r\n",
    ];
    for (i, line) in lines.iter().enumerate() {
        // A person types slowly: 20 seconds between lines.
        let t = SimTime::from_secs(20 * (i as u64 + 1));
        w.advance_to(t).unwrap();
        let seen = w.trace().len();
        w.write(conn, line.as_bytes()).unwrap();
        assert!(w.advance().unwrap().is_some());
        // What a live view appends: this line arriving, in order, on this connection.
        let new = w.trace().events_since(seen);
        assert!(
            new.first().is_some_and(|e| e.conn == Some(conn) && e.from == laptop && e.index == seen),
            "{i}"
        );
    }
    w.run_until_idle().unwrap();
    let got = String::from_utf8_lossy(w.received(conn)).into_owned();
    assert!(
        got.contains("\r\n354 ")
            && got.contains("250 2.0.0 OK: queued as")
            && got.ends_with("221 2.0.0 mx.example.net closing connection\r\n"),
        "{got}"
    );
    let bob = w.mailbox("bob@example.net").unwrap();
    assert_eq!(bob.len(), 1);
    assert!(String::from_utf8_lossy(bob[0]).contains("Subject: typed by hand"));
    // The typed message data was recognised as such.
    assert!(w.trace().events.iter().any(|e| e.kind == EventKind::MessageData && e.from == laptop));
}

#[test]
fn live_an_idle_session_is_closed_by_the_server_with_421() {
    let (mut w, _) = standard_world();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let conn = w.open(0, mx, SMTP_PORT).unwrap();
    w.advance_to(SimTime::from_secs(10)).unwrap();
    w.write(conn, b"EHLO laptop.example.org\r\n").unwrap();
    w.advance_to(SimTime::from_secs(11)).unwrap();
    assert!(w.is_open(conn));
    assert!(!w.is_idle(), "an open session with a timer is not finished");
    // Nothing more is typed: 5 minutes after the last command the server gives up.
    let wake = w.next_wakeup().unwrap();
    // The EHLO arrived at 10.030 s (the default 30 ms latency): the deadline is 5 minutes later.
    assert_eq!(wake, SimTime::from_millis(10_030).plus(crate::smtp::server::SERVER_TIMEOUT), "{wake}");
    w.advance().unwrap();
    w.run_until_idle().unwrap();
    let got = String::from_utf8_lossy(w.received(conn)).into_owned();
    assert!(got.contains("421 4.4.2 mx.example.net timeout"), "{got}");
    assert!(!w.is_open(conn));
    assert!(w.is_idle());
    let last = w.trace().events.last().unwrap();
    assert_eq!((last.kind.clone(), last.from), (EventKind::Close, mx));
}

#[test]
fn live_calls_on_unknown_or_closed_connections_are_errors() {
    let (mut w, _) = standard_world();
    assert!(w.write(ConnId(7), b"x").is_err());
    assert!(w.open(0, 99, 25).is_err());
    let c = w.open(0, 2, 25).unwrap();
    w.run_until_idle().unwrap();
    assert!(w.trace().events.iter().any(|e| e.kind == EventKind::Refused { port: 25 }));
    assert!(w.write(c, b"NOOP\r\n").is_err());
}

#[test]
#[cfg(feature = "sandbox")]
fn live_a_connection_by_name_ends_in_telnets_words_when_the_dns_gives_no_host() {
    // A name with no record, one whose address no host has, and one the resolver cannot
    // answer for (down): each ends where telnet would, before any connection is tried.
    let cases = [
        (
            "nowhere.example.net",
            "",
            "telnet: could not resolve nowhere.example.net/25: Name or service not known",
        ),
        // A domain with mail (an MX record) and no A record of its own.
        ("example.net", "", "telnet: could not resolve example.net/25: No address associated with hostname"),
        (
            "lost.example.net",
            "a lost.example.net 203.0.113.99",
            "telnet: Unable to connect to remote host: No route to host",
        ),
        (
            names::BOB_SERVER,
            "down ns.example.org from 0s to 1h",
            "telnet: could not resolve mx.example.net/25: Temporary failure in name resolution",
        ),
    ];
    for (name, extra, said) in cases {
        let text = format!("{}\n{extra}\n", crate::describe::STANDARD);
        let mut w = World::from_description(&Description::parse(&text).unwrap());
        let laptop = w.host_by_name(names::LAPTOP).unwrap();
        let conn = w.open_named(laptop, name, SMTP_PORT).unwrap();
        assert!(w.write(conn, b"EHLO laptop.example.org\r\n").is_err(), "{name}: typed before the address");
        w.run_until_idle().unwrap();
        let on_conn: Vec<String> =
            w.trace().events.iter().filter(|e| e.conn == Some(conn)).map(TraceEvent::text).collect();
        assert_eq!(on_conn, [said], "{name}");
        assert!(!w.is_open(conn) && w.found_at(conn).is_none(), "{name}");
        assert!(!w.trace().events.iter().any(|e| matches!(e.kind, EventKind::Connect { .. })), "{name}");
    }
}

#[test]
#[cfg(feature = "sandbox")]
fn live_a_connection_by_name_is_dialled_once_its_address_is_known_and_not_if_closed_before() {
    let (mut w, _) = standard_world();
    let laptop = w.host_by_name(names::LAPTOP).unwrap();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let conn = w.open_named(laptop, names::BOB_SERVER, SMTP_PORT).unwrap();
    w.advance_to(SimTime::from_secs(1)).unwrap();
    assert!(String::from_utf8_lossy(w.received(conn)).starts_with("220 mx.example.net"));
    let connects: Vec<_> = w
        .trace()
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Connect { .. }))
        .map(|e| e.conn)
        .collect();
    assert_eq!(connects, [Some(conn)]);
    assert_eq!(w.found_at(conn), Some(2), "after the question and its answer");
    assert!(w.is_open(conn) && w.trace().conns[conn.0].server == mx);
    // Closed while its name is looked up: nothing is sent, and the answer dials nothing.
    let (mut w, _) = standard_world();
    let conn = w.open_named(laptop, names::BOB_SERVER, SMTP_PORT).unwrap();
    w.close(conn).unwrap();
    assert!(!w.is_open(conn));
    w.run_until_idle().unwrap();
    assert!(w.trace().events.iter().all(|e| e.conn != Some(conn)), "{:?}", kinds(&w));
    assert!(w.trace().events.iter().any(|e| matches!(e.kind, EventKind::DnsAnswer { .. })));
    assert_eq!(w.found_at(conn), None);
}

#[test]
fn reply_rules_for_the_greeting_and_the_end_of_data() {
    // 554 at the greeting: the relay says QUIT, the message waits and is retried, then the
    // rule is used up and the retry goes through.
    let w = send("bob@example.net", "alice@example.org", |w| {
        w.reply_rule(
            3,
            "GREETING",
            Reply::custom(554, None, vec!["mx.example.net no service for you".into()]),
            Some(1),
        );
    });
    let labels = kinds(&w);
    assert!(labels.contains(&"554".to_string()), "{labels:?}");
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1);
    // A 451 after the final dot: the message is not taken, and is retried.
    let w = send("bob@example.net", "alice@example.org", |w| {
        w.reply_rule(3, "MESSAGE", Reply::custom(451, Some("4.3.0"), vec!["Try later".into()]), Some(1));
    });
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1, "delivered once, on the retry");
    assert!(w.now() >= SimTime::ZERO.plus(RETRY_DELAYS[0]));
}

#[test]
fn a_mail_loop_ends_in_a_bounce_after_the_hop_limit() {
    // loop.example has no MX, and its address is smtp.example.org's own, which relays for
    // itself: every hop hands the message back to itself until RFC 5321 §6.3's limit.
    let w = send("x@loop.example", "alice@example.org", |w| {
        w.zone_mut().add_a("loop.example", names::ALICE_SERVER_ADDR);
        w.relay_for(1, names::ALICE_SERVER_ADDR);
    });
    let alice = w.mailbox("alice@example.org").unwrap();
    assert_eq!(alice.len(), 1);
    let dsn = String::from_utf8_lossy(alice[0]);
    assert!(dsn.contains("Status: 5.4.6") && dsn.contains("mail loop"), "{dsn}");
    assert!(w.is_idle());
}

#[test]
fn loss_never_reorders_the_bytes_of_a_connection() {
    let (mut w, laptop) = standard_world();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    w.lossy_link(laptop, mx, SimDuration::from_millis(30), 50);
    let conn = w.open(laptop, mx, SMTP_PORT).unwrap();
    for i in 0..6 {
        w.write(conn, format!("HELP {i}\r\n").as_bytes()).unwrap();
    }
    w.write(conn, b"QUIT\r\n").unwrap();
    w.run_until_idle().unwrap();
    let sent: Vec<String> = w
        .trace()
        .events
        .iter()
        .filter(|e| e.from == laptop && e.conn == Some(conn))
        .map(|e| e.text())
        .collect();
    let want: Vec<String> = (0..6).map(|i| format!("HELP {i}\r\n")).chain(["QUIT\r\n".to_string()]).collect();
    assert_eq!(sent.iter().filter(|t| !t.is_empty()).cloned().collect::<Vec<_>>(), want);
    assert!(!w.is_open(conn), "the server closes after its 221 (RFC 5321 §4.1.1.10)");
}

#[test]
fn live_advance_to_never_runs_past_the_time_asked() {
    let (mut w, laptop) = standard_world();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let conn = w.open(laptop, mx, SMTP_PORT).unwrap();
    w.advance_to(SimTime::from_secs(1)).unwrap();
    w.write(conn, b"NOOP\r\n").unwrap();
    // The server's timer is re-armed by the NOOP: its first deadline is stale now.
    w.advance_to(SimTime::from_millis(300_500)).unwrap();
    assert_eq!(w.now(), SimTime::from_millis(300_500));
    assert!(w.is_open(conn));
    let typed = w.open(laptop, mx, 465).unwrap();
    w.write(typed, b"a1 LOGIN bob x\r\n").unwrap();
    w.run_until_idle().unwrap();
    assert!(w.received(typed).is_empty(), "typed bytes never come back as if the server sent them");
    let refused = w.trace().events.iter().find(|e| e.kind == EventKind::Refused { port: 465 }).unwrap();
    assert!(refused.text().contains("runs no service on port 465"), "{}", refused.text());
    // IMAP on port 143: refused in words without the feature, a session with it.
    let typed = w.open(laptop, mx, 143).unwrap();
    w.write(typed, b"a1 LOGIN bob@example.net builder\r\na2 LOGOUT\r\n").unwrap();
    w.run_until_idle().unwrap();
    #[cfg(not(feature = "imap"))]
    {
        let refused = w.trace().events.iter().find(|e| e.kind == EventKind::Refused { port: 143 }).unwrap();
        assert!(refused.text().contains("does not simulate IMAP yet"), "{}", refused.text());
    }
    #[cfg(feature = "imap")]
    {
        let got = String::from_utf8_lossy(w.received(typed)).into_owned();
        assert!(
            got.starts_with("* OK [CAPABILITY IMAP4rev1 ")
                && got.contains("\r\na1 OK ")
                && got.ends_with("a2 OK LOGOUT completed\r\n"),
            "{got}"
        );
        assert!(!w.is_open(typed));
    }
}

/// A message a mail program files into the INBOX (IMAP APPEND) is held but was never
/// delivered: the snapshot counts it apart, so that a delivered one expunged beside it is
/// not hidden by it (the mailbox panel said "1 of 1 filed" and nothing removed).
#[cfg(feature = "imap")]
#[test]
fn a_snapshot_tells_messages_filed_with_append_from_deliveries() {
    let mut w = send("bob@example.net", "alice@example.org", |_| {});
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let counts = |w: &World| {
        let snap = &w.trace().events.last().unwrap().hosts[mx];
        let bob = |list: &[(String, usize)]| {
            list.iter().find(|(a, _)| a == "bob@example.net").map_or(0, |(_, n)| *n)
        };
        (bob(&snap.mailboxes), bob(&snap.filed))
    };
    assert_eq!(counts(&w), (1, 0), "delivered by SMTP");
    let c = w.open(0, mx, 143).unwrap();
    w.write(c, b"a LOGIN bob@example.net builder\r\nb APPEND INBOX {5}\r\nhello\r\n").unwrap();
    w.advance_to(w.now().plus(SimDuration::from_millis(500))).unwrap();
    assert_eq!(counts(&w), (2, 1), "one delivered, one filed: {}", String::from_utf8_lossy(w.received(c)));
    w.write(c, b"c SELECT INBOX\r\nd UID STORE 1 +FLAGS (\\Deleted)\r\ne EXPUNGE\r\n").unwrap();
    w.advance_to(w.now().plus(SimDuration::from_millis(500))).unwrap();
    let got = String::from_utf8_lossy(w.received(c)).into_owned();
    assert!(got.contains("\r\n* 1 EXPUNGE\r\n") && got.contains("\r\ne OK"), "{got}");
    assert_eq!(counts(&w), (1, 1), "the delivered one gone, the filed one held");
}

/// Mail delivered while a POP3 session holds the maildrop is there at its QUIT, and the
/// count says so (it said what the session had listed).
#[cfg(feature = "pop3")]
#[test]
fn pop3_quit_counts_mail_delivered_during_the_session() {
    let mut w = send("bob@example.net", "alice@example.org", |_| {});
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let laptop = w.host_by_name(names::LAPTOP).unwrap();
    let later = |w: &World| w.now().plus(SimDuration::from_millis(500));
    let pop = w.open(0, mx, 110).unwrap();
    w.write(pop, b"USER bob@example.net\r\nPASS builder\r\n").unwrap();
    w.advance_to(later(&w)).unwrap();
    let smtp = w.open(laptop, mx, SMTP_PORT).unwrap();
    let lines = "EHLO laptop.example.org\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: meanwhile\r\n\r\nHi\r\n.\r\nQUIT\r\n";
    w.write(smtp, lines.as_bytes()).unwrap();
    w.advance_to(later(&w)).unwrap();
    assert!(String::from_utf8_lossy(w.received(smtp)).contains("250 2.0.0 OK: queued as"));
    w.write(pop, b"QUIT\r\n").unwrap();
    w.advance_to(later(&w)).unwrap();
    let got = String::from_utf8_lossy(w.received(pop)).into_owned();
    assert!(got.ends_with("signing off (2 messages left)\r\n"), "{got}");
}

/// POP3's lock is its own: an IMAP session may expunge and append meanwhile. QUIT's
/// count is of the maildrop as it is then (it said "1 message left" with 2 there).
#[cfg(all(feature = "pop3", feature = "imap"))]
#[test]
fn pop3_quit_counts_the_maildrop_as_it_is_after_imap_changed_it() {
    let mut w = send("bob@example.net", "alice@example.org", |_| {});
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let later = |w: &World| w.now().plus(SimDuration::from_millis(500));
    let pop = w.open(0, mx, 110).unwrap();
    w.write(pop, b"USER bob@example.net\r\nPASS builder\r\nDELE 1\r\n").unwrap();
    w.advance_to(later(&w)).unwrap();
    let imap = w.open(0, mx, 143).unwrap();
    let lines = "a LOGIN bob@example.net builder\r\nb SELECT INBOX\r\nc STORE 1 +FLAGS (\\Deleted)\r\nd EXPUNGE\r\ne APPEND INBOX {5}\r\nhello\r\nf APPEND INBOX {5}\r\nagain\r\n";
    w.write(imap, lines.as_bytes()).unwrap();
    w.advance_to(later(&w)).unwrap();
    let got = String::from_utf8_lossy(w.received(imap)).into_owned();
    assert!(got.contains("\r\nd OK") && got.contains("\r\nf OK"), "{got}");
    w.write(pop, b"QUIT\r\n").unwrap();
    w.advance_to(later(&w)).unwrap();
    let got = String::from_utf8_lossy(w.received(pop)).into_owned();
    assert!(got.ends_with("signing off (2 messages left)\r\n"), "{got}");
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 2);
}

#[test]
fn machines_ask_the_host_for_passwords_from_the_description() {
    let (mut w, _) = standard_world();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let mail = w.hosts[mx].mail.as_mut().unwrap();
    let mut env = HostEnv { host: mx, now: SimTime::ZERO, mail, faults: &mut Faults::default() };
    assert!(env.check_password("Bob@example.net", "builder"));
    assert!(!env.check_password("bob@example.net", "Builder"));
    assert!(!env.check_password("alice@example.org", "wonderland"), "alice lives on another host");
    assert!(matches!(env.recipient("203.0.113.1", "bob@example.net"), RcptVerdict::Local(_)));
    w.mailbox_full("bob@example.net");
    let mail = w.hosts[mx].mail.as_mut().unwrap();
    let mut env = HostEnv { host: mx, now: SimTime::ZERO, mail, faults: &mut Faults::default() };
    assert_eq!(env.recipient("203.0.113.1", "bob@example.net"), RcptVerdict::Full);
}

/// The whole path: SMTP delivers into Bob's store, POP3 on port 110 of the same host
/// reads it from that store (RFC 1939), typed live.
#[cfg(feature = "pop3")]
#[test]
fn pop3_reads_the_store_that_smtp_filled_locks_it_and_deletes_only_at_quit() {
    let mut w = send("bob@example.net", "alice@example.org", |_| {});
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let later = |w: &World, ms: u64| w.now().plus(SimDuration::from_millis(ms));
    let session = |w: &mut World, lines: &str| -> ConnId {
        let c = w.open(0, mx, 110).unwrap();
        w.advance_to(later(w, 500)).unwrap();
        w.write(c, lines.as_bytes()).unwrap();
        w.advance_to(later(w, 500)).unwrap();
        c
    };
    // 1. A session that drops without QUIT: marked for deletion, but nothing is deleted.
    let dropped = session(&mut w, "USER bob@example.net\r\nPASS builder\r\nDELE 1\r\n");
    let got = String::from_utf8_lossy(w.received(dropped)).into_owned();
    assert_eq!(got.matches("+OK").count(), 4, "greeting, USER, PASS, DELE: {got}");
    w.close(dropped).unwrap();
    w.advance_to(later(&w, 500)).unwrap();
    assert_eq!(
        w.mailbox("bob@example.net").unwrap().len(),
        1,
        "a session that ends without QUIT deletes nothing"
    );
    // 2. Read it, and hold the lock: a second session is told [IN-USE].
    let first = session(&mut w, "USER bob@example.net\r\nPASS builder\r\nSTAT\r\nUIDL 1\r\nRETR 1\r\n");
    let got = String::from_utf8_lossy(w.received(first)).into_owned();
    assert!(got.contains("Subject: Test") && got.contains("Return-Path: <alice@example.org>"), "{got}");
    // STAT is `+OK 1 609`; UIDL 1 is `+OK 1 <uidvalidity>.<uid>`.
    let uidl = got
        .lines()
        .find(|l| l.starts_with("+OK 1 ") && l.contains('.'))
        .map(str::to_string)
        .unwrap_or_default();
    let second = session(&mut w, "USER bob@example.net\r\nPASS builder\r\n");
    assert!(String::from_utf8_lossy(w.received(second)).contains("-ERR [IN-USE]"));
    // 3. DELE and QUIT: the UPDATE state removes it from the store.
    w.write(first, b"DELE 1\r\nQUIT\r\n").unwrap();
    w.advance_to(later(&w, 500)).unwrap();
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
    assert!(!w.is_open(first));
    // The lock is free again; the unique-id was of the form <uidvalidity>.<uid>.
    let third = session(&mut w, "USER bob@example.net\r\nPASS builder\r\nSTAT\r\nQUIT\r\n");
    let got = String::from_utf8_lossy(w.received(third)).into_owned();
    assert!(got.contains("+OK 0 0"), "{got}");
    assert!(uidl.split_whitespace().nth(2).is_some_and(|u| u.split_once('.').is_some()), "{uidl}");
    // The trace shows POP3 replies as +OK / -ERR on connections to port 110, and the
    // catalogue explains them, response codes included.
    let t = w.trace();
    let in_use = t.events.iter().find(|e| e.kind.label() == "-ERR").unwrap();
    assert_eq!(t.conn(in_use.conn.unwrap()).unwrap().port, 110);
    let keys: Vec<&str> = crate::explain::event(t, in_use.index).iter().map(|x| x.key).collect();
    assert_eq!(keys, ["-ERR", "IN-USE"]);
    // (A typed write is one event, named after its first command.)
    let user = t.events.iter().find(|e| e.kind == EventKind::Command { verb: "USER".into() }).unwrap();
    assert_eq!(crate::explain::event(t, user.index)[0].title, "Name the mailbox");
}

/// The standard world as a real provider runs it: no trusted network, submission on 587
/// with STARTTLS; `mx_tls` has Bob's provider offer STARTTLS on port 25 too.
fn submission_world(mx_tls: bool) -> World {
    let mut text = crate::describe::STANDARD.to_string();
    if mx_tls {
        text = text.replace("service mx.example.net   25  smtp", "service mx.example.net 25 smtp starttls");
    }
    World::from_description(&Description::parse(&text).unwrap())
}

fn send_on(w: &mut World, port: u16, from: &str) {
    let laptop = w.host_by_name("laptop.example.org").unwrap();
    let to = vec!["bob@example.net".to_string()];
    let draft = Draft { cc: &[], bcc: &[], from, to: &to, subject: "Test", body: "Hello", attachments: &[] };
    w.send_mail_at(SimTime::ZERO, laptop, names::ALICE_SERVER, port, &draft).unwrap();
    w.run_until_idle().unwrap();
}

/// The labels of the events of connection `conn`.
fn conn_labels(w: &World, conn: usize) -> Vec<String> {
    w.trace().events.iter().filter(|e| e.conn == Some(ConnId(conn))).map(|e| e.kind.label()).collect()
}

#[test]
fn a_mail_program_submits_on_587_with_starttls_and_a_login() {
    let mut w = submission_world(false);
    send_on(&mut w, 587, "alice@example.org");
    let labels = conn_labels(&w, 0);
    let want = [
        "connect :587",
        "220",
        "EHLO",
        "250",
        "STARTTLS",
        "220",
        "ClientHello",
        "ServerHello",
        "Finished",
        "EHLO",
        "250",
        "AUTH",
        "235",
        "MAIL",
        "250",
        "RCPT",
        "250",
        "DATA",
        "354",
        "message",
        "250",
        "QUIT",
        "221",
    ];
    assert_eq!(&labels[..want.len()], want, "{labels:?}");
    let t = w.trace();
    let finished = t.events.iter().find(|e| e.kind.label() == "Finished").unwrap();
    assert_eq!(t.conns[0].tls_from, Some(finished.index));
    // During the handshake the server says so, and it never reads ahead of the transcript.
    let hello = t.events.iter().find(|e| e.kind.label() == "ClientHello").unwrap();
    let server = &hello.hosts[t.conns[0].server];
    assert!(server.sessions.iter().any(|s| s.state.name() == "TlsHandshake"), "{server:?}");
    // The password went inside TLS, as PLAIN; the message was relayed and delivered, the
    // submission hop stamped ESMTPSA (RFC 3848) and the relay hop plain ESMTP.
    let auth = t.events.iter().find(|e| e.kind.label() == "AUTH").unwrap();
    assert!(auth.index > finished.index);
    let inbox = w.mailbox("bob@example.net").unwrap();
    let text = String::from_utf8_lossy(inbox[0]).into_owned();
    assert!(text.contains("by smtp.example.org (Mailroom) with ESMTPSA"), "{text}");
    assert!(text.contains("by mx.example.net (Mailroom) with ESMTP id"), "{text}");
    assert!(text.contains("\r\nMessage-ID: <"), "{text}");
}

#[test]
fn servers_relay_with_starttls_when_the_next_one_offers_it() {
    let mut w = submission_world(true);
    send_on(&mut w, 587, "alice@example.org");
    let relay = w.trace().conns.iter().position(|c| c.port == 25).unwrap();
    let labels = conn_labels(&w, relay);
    let want = [
        "connect :25",
        "220",
        "EHLO",
        "250",
        "STARTTLS",
        "220",
        "ClientHello",
        "ServerHello",
        "Finished",
        "EHLO",
        "250",
        "MAIL",
    ];
    assert_eq!(&labels[..want.len()], want, "{labels:?}");
    assert!(w.trace().conns[relay].tls_from.is_some());
    let text = String::from_utf8_lossy(w.mailbox("bob@example.net").unwrap()[0]).into_owned();
    // No login between servers: ESMTPS (RFC 3848).
    assert!(text.contains("by mx.example.net (Mailroom) with ESMTPS id"), "{text}");
}

#[test]
fn a_login_that_fails_or_a_stranger_on_port_25_sends_nothing() {
    // Bob has no account at Alice's provider: his login fails with 535, nothing is sent.
    let mut w = submission_world(false);
    send_on(&mut w, 587, "bob@example.net");
    let labels = conn_labels(&w, 0);
    assert_eq!(&labels[11..], ["AUTH", "535", "QUIT", "221", "close"], "{labels:?}");
    assert!(w.mailbox("bob@example.net").unwrap().is_empty());
    // Port 25 of her own provider is not for her any more: relaying is refused.
    let mut w = submission_world(false);
    send_on(&mut w, 25, "alice@example.org");
    let labels = conn_labels(&w, 0);
    assert!(labels.iter().any(|l| l == "550"), "{labels:?}");
}

/// A standard world with Bob's laptop, after `directives` (a lesson's world block).
#[cfg(feature = "pop3")]
fn bob_world(directives: &str) -> World {
    let mut d = crate::describe::Description::standard();
    let bob = "host bob-laptop.example.net 203.0.113.10 client \"Bob's laptop\" at 100,62\n";
    d.extend(&format!("{bob}{directives}"), 1).unwrap_or_else(|e| panic!("{e:?}"));
    let mut w = World::from_description(&d);
    let laptop = w.host_by_name(names::LAPTOP).unwrap();
    for subject in ["One", "Two"] {
        let to = vec!["bob@example.net".to_string()];
        let draft = Draft {
            cc: &[],
            bcc: &[],
            from: "alice@example.org",
            to: &to,
            subject,
            body: "Hello",
            attachments: &[],
        };
        w.send_mail(laptop, names::ALICE_SERVER, &draft).unwrap();
    }
    w
}

/// The mail program view and the maildrop view of Bob's after `cursor` events.
#[cfg(feature = "pop3")]
fn views(t: &Trace, cursor: usize) -> (crate::trace::MailProgramView, crate::trace::MaildropView) {
    let snaps = t.snapshot_at(cursor);
    let laptop = t.host_by_name("bob-laptop.example.net").unwrap();
    let mx = t.host_by_name(names::BOB_SERVER).unwrap();
    let p = snaps[laptop].pop3.as_ref().unwrap().programs[0].clone();
    let d = snaps[mx].pop3.as_ref().unwrap().maildrops[0].clone();
    (p, d)
}

/// What the panel shows is in the snapshots, computed by the World: the maildrop numbered
/// and marked by the session that holds its lock, what QUIT removed, and the mail
/// program's copies and beliefs; shared between events until it changes.
#[cfg(feature = "pop3")]
#[test]
fn the_trace_carries_the_mail_program_and_the_maildrop() {
    let mut w = bob_world("");
    let bob = w.host_by_name("bob-laptop.example.net").unwrap();
    w.retrieve_mail_at(SimTime::from_secs(60), bob, names::BOB_SERVER, "bob@example.net", false);
    w.run_until_idle().unwrap();
    let t = w.trace();
    let at = |kind: &str, n: usize| {
        t.events
            .iter()
            .filter(|e| e.protocol == Protocol::Pop3 && e.kind.label() == kind)
            .nth(n)
            .unwrap()
            .index
    };
    // Before the check: the maildrop holds both, unnumbered; the program has nothing.
    let (p, d) = views(t, at("connect :110", 0));
    assert!(p.downloaded.is_empty() && p.on_server.is_empty() && p.session.is_none());
    assert_eq!((p.user.as_str(), p.server.as_str(), p.keep), ("bob@example.net", "mx.example.net", false));
    assert_eq!(d.messages.iter().map(|m| (m.number, m.marked)).collect::<Vec<_>>(), [(None, false); 2]);
    assert_eq!(d.locked_by, None);
    // Logged in: locked by that session, numbered 1 and 2, sizes as LIST says them.
    let pass = at("PASS", 0);
    let (_, d) = views(t, pass + 1);
    let conn = t.events[pass].conn;
    assert_eq!(d.locked_by, conn);
    assert_eq!(d.messages.iter().map(|m| m.number).collect::<Vec<_>>(), [Some(1), Some(2)]);
    let list = t.events[at("LIST", 0) + 1].text();
    for m in &d.messages {
        assert!(list.contains(&format!("{} {}\r\n", m.number.unwrap(), m.size)), "{list}");
        assert_eq!(m.subject, ["One", "Two"][m.number.unwrap() as usize - 1]);
    }
    // After the first RETR: one copy, its unique-id and size; both believed on the server.
    let (p, _) = views(t, at("RETR", 0) + 2);
    assert_eq!(p.session, conn);
    assert_eq!(p.downloaded.len(), 1);
    assert_eq!(
        (p.downloaded[0].uid.as_deref(), p.downloaded[0].size),
        (Some(d.messages[0].uid.as_str()), d.messages[0].size)
    );
    assert_eq!(p.on_server.iter().map(|c| c.downloaded).collect::<Vec<_>>(), [true, false]);
    // DELE 1 marks message 1 on the server; the program knows once +OK arrives.
    let dele = at("DELE", 0);
    assert_eq!(views(t, dele + 1).1.messages.iter().map(|m| m.marked).collect::<Vec<_>>(), [true, false]);
    assert!(!views(t, dele + 1).0.on_server[0].marked, "not before the +OK");
    assert!(views(t, dele + 2).0.on_server[0].marked);
    // QUIT: both removed, shown as removed by that session; the lock is free.
    let quit = at("QUIT", 0);
    let (_, before) = views(t, quit);
    assert!(before.messages.iter().all(|m| m.marked));
    let (_, d) = views(t, quit + 1);
    assert!(d.messages.is_empty() && d.locked_by.is_none());
    assert_eq!(d.removed, before.messages);
    assert_eq!(d.removed_by, conn);
    // At the end: two copies, nothing believed on the server, no session, no error.
    let (p, _) = views(t, t.len());
    assert_eq!(p.downloaded.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(), ["One", "Two"]);
    assert!(p.on_server.is_empty() && p.session.is_none() && p.error.is_none() && p.checks == 1);
    // Shared, not copied: an SMTP event keeps the same view as the event before it.
    let smtp = t.events.iter().rposition(|e| e.protocol == Protocol::Smtp).unwrap();
    let mx = t.host_by_name(names::BOB_SERVER).unwrap();
    let (a, b) = (&t.events[smtp - 1].hosts[mx].pop3, &t.events[smtp].hosts[mx].pop3);
    assert!(std::rc::Rc::ptr_eq(a.as_ref().unwrap(), b.as_ref().unwrap()));
    // A world without mail programs shows none.
    let plain = send("bob@example.net", "alice@example.org", |_| {});
    assert!(plain.trace().events.iter().all(|e| e.hosts.iter().all(|h| h.pop3.is_none())));
}

/// `cut mx before QUIT`: the session never reaches UPDATE, so nothing is deleted
/// (RFC 1939 §6). The laptop gives up after 100 s, its mail program's reply timeout; the
/// server, told nothing, keeps the
/// session and its lock until its autologout timer (RFC 1939 §3), so a check in between is
/// locked out. The mail program keeps its copies and, not knowing better, downloads them
/// again at the next check.
#[cfg(feature = "pop3")]
#[test]
fn a_pop3_session_cut_before_quit_deletes_nothing() {
    let mut w = bob_world("cut mx.example.net 110 before QUIT times 1\n");
    let bob = w.host_by_name("bob-laptop.example.net").unwrap();
    for at in [60, 300, 900] {
        w.retrieve_mail_at(SimTime::from_secs(at), bob, names::BOB_SERVER, "bob@example.net", false);
    }
    w.run_until_idle().unwrap();
    let t = w.trace();
    let quits: Vec<&TraceEvent> = t
        .events
        .iter()
        .filter(|e| e.protocol == Protocol::Pop3 && e.kind == EventKind::Command { verb: "QUIT".into() })
        .collect();
    assert_eq!(quits.len(), 2, "the first QUIT never arrived; the locked-out check's and the last one's did");
    let note = t.events.iter().position(|e| e.text().contains("broke as QUIT was sent")).unwrap();
    assert!(
        t.events[note].text().contains("After 1 minute 40 seconds without an answer"),
        "{}",
        t.events[note].text()
    );
    assert!(t.events[note].at >= SimTime::from_secs(160), "100 s without an answer: {}", t.events[note].at);
    // At the laptop's note, the server still holds the session: locked, marked, nothing removed.
    let (_, d) = views(t, note + 1);
    assert!(d.locked_by.is_some(), "the server was told nothing");
    assert!(d.messages.iter().all(|m| m.marked) && d.removed.is_empty());
    // The note after it is the mail program's.
    let error = t.events[note + 1].text();
    assert!(
        error.contains("downloaded 2 messages") && error.contains("deletions are not confirmed"),
        "{error}"
    );
    let (p, _) = views(t, note + 2);
    assert_eq!(p.downloaded.len(), 2);
    assert_eq!(p.on_server.len(), 2, "it believes both are still there");
    assert!(p.error.is_some());
    // The check at 5 minutes is locked out by the session the server believes open.
    let in_use = t.events.iter().position(|e| e.text().starts_with("-ERR [IN-USE]")).unwrap();
    assert!(t.events[in_use].at < SimTime::from_secs(400));
    // Ten minutes after the last it heard, the server ends the session: nothing deleted,
    // nothing marked, the lock released.
    let gone =
        t.events.iter().position(|e| e.text().contains("inactivity timer runs out, and it ends")).unwrap();
    assert!(gone > in_use && t.events[gone].at >= SimTime::from_secs(660), "{}", t.events[gone].at);
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    assert_eq!(t.events[gone].from, mx);
    let (_, d) = views(t, gone + 1);
    assert_eq!(d.locked_by, None);
    assert_eq!(d.messages.len(), 2);
    assert!(d.messages.iter().all(|m| !m.marked && m.number.is_none()) && d.removed.is_empty());
    // The next check finds both and downloads them again: two copies of each.
    let (p, d) = views(t, t.len());
    assert_eq!(p.downloaded.iter().map(|m| m.check).collect::<Vec<_>>(), [1, 1, 3, 3]);
    assert!(d.messages.is_empty() && p.error.is_none());
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
}

/// A cut SMTP connection is a failed attempt like any other: the queue tries again later.
#[cfg(feature = "pop3")]
#[test]
fn an_smtp_relay_cut_before_data_is_retried() {
    let w = send("bob@example.net", "alice@example.org", |w| {
        let mx = w.host_by_name(names::BOB_SERVER).unwrap();
        w.cut_before(mx, SMTP_PORT, "DATA", Some(1));
    });
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1, "{:?}", kinds(&w));
    let t = w.trace();
    // The relay waits for DATA's reply as RFC 5321 §4.5.3.2.4 asks, 2 minutes; the server,
    // which heard the RCPT last, ends its side 5 minutes after it (§4.5.3.2.7).
    let broke = t.events.iter().find(|e| e.text().contains("broke as DATA was sent")).unwrap();
    assert!(broke.text().contains("After 2 minutes without an answer"), "{}", broke.text());
    let rcpt = t.events.iter().filter(|e| e.at < broke.at);
    let rcpt = rcpt.map(|e| (e, &e.kind)).rfind(|(_, k)| **k == EventKind::Command { verb: "RCPT".into() });
    let rcpt = rcpt.unwrap().0;
    let gone = t.events.iter().find(|e| e.text().contains("inactivity timer runs out")).unwrap();
    assert!(broke.at < gone.at && gone.at.0 - rcpt.at.0 >= 300_000_000, "{} {}", broke.at, gone.at);
    let datas = t.events.iter().filter(|e| e.kind == EventKind::Command { verb: "DATA".into() }).count();
    assert_eq!(datas, 2, "the laptop's DATA and the retry's; the cut one never arrived");
}

/// The maildrop is fixed when a session opens it (RFC 1939 §4): mail delivered during the
/// session is shown without a number, for the next session.
#[cfg(feature = "pop3")]
#[test]
fn mail_that_arrives_during_a_session_has_no_number_in_it() {
    let mut w = bob_world("");
    w.run_until_idle().unwrap();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let laptop = w.host_by_name(names::LAPTOP).unwrap();
    // A person logs in by hand and stays.
    let c = w.open(laptop, mx, 110).unwrap();
    w.advance_to(w.now().plus(SimDuration::from_millis(500))).unwrap();
    w.write(c, b"USER bob@example.net\r\nPASS builder\r\nDELE 2\r\n").unwrap();
    w.advance_to(w.now().plus(SimDuration::from_millis(500))).unwrap();
    // A third message arrives meanwhile.
    let to = vec!["bob@example.net".to_string()];
    let draft = Draft {
        cc: &[],
        bcc: &[],
        from: "alice@example.org",
        to: &to,
        subject: "Three",
        body: "Hello",
        attachments: &[],
    };
    w.send_mail(laptop, names::ALICE_SERVER, &draft).unwrap();
    w.advance_to(w.now().plus(SimDuration::from_secs(5))).unwrap();
    let t = w.trace();
    let d = &t.snapshot_at(t.len())[mx].pop3.as_ref().unwrap().maildrops[0];
    assert_eq!(d.locked_by, Some(c));
    let seen: Vec<(Option<u32>, bool, &str)> =
        d.messages.iter().map(|m| (m.number, m.marked, m.subject.as_str())).collect();
    assert_eq!(seen, [(Some(1), false, "One"), (Some(2), true, "Two"), (None, false, "Three")]);
}

/// The standard world with `directives` added, Alice's email to Bob sent through her
/// provider, and the World run until it is idle.
pub(crate) fn alice_sends_in(directives: &str) -> World {
    let mut d = Description::standard();
    d.extend(directives, 1).unwrap_or_else(|e| panic!("{e:?}"));
    let mut w = World::from_description(&d);
    let laptop = w.host_by_name(names::LAPTOP).unwrap();
    let to = vec!["bob@example.net".to_string()];
    let draft = Draft {
        cc: &[],
        bcc: &[],
        from: "Alice <alice@example.org>",
        to: &to,
        subject: "Signed",
        body: "Hello",
        attachments: &[],
    };
    w.send_mail(laptop, names::ALICE_SERVER, &draft).unwrap();
    w.run_until_idle().unwrap();
    w
}

#[cfg(feature = "trust")]
#[test]
fn a_message_the_checks_refuse_after_its_250_bounces_to_its_sender() {
    // Alice's provider took it (250): when Bob's provider refuses it, Alice hears of it
    // in a bounce, never silence (RFC 5321 §6.1). Her domain's SPF record names a server
    // that is not hers.
    let w = alice_sends_in("txt example.org \"v=spf1 ip4:203.0.113.99 -all\"\ncheck mx.example.net spf\n");
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
    let alice = w.mailbox("alice@example.org").unwrap();
    assert_eq!(alice.len(), 1, "a bounce");
    let dsn = String::from_utf8_lossy(alice[0]);
    assert!(dsn.contains("5.7.23") && dsn.contains("SPF validation failed"), "{dsn}");
    // Each DNS question of the check went over the network, to the resolver and back.
    let txt = w
        .trace()
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::DnsQuery { qtype, .. } if qtype == "TXT"));
    assert_eq!(txt.count(), 1);
}

#[cfg(feature = "trust")]
#[test]
fn signed_checked_and_filed_with_the_results_on_top() {
    let w = alice_sends_in(
        "txt example.org \"v=spf1 mx -all\"\ndkim smtp.example.org example.org mail\n\
         txt _dmarc.example.org \"v=DMARC1; p=reject\"\ncheck mx.example.net spf dkim dmarc\n",
    );
    let bob = w.mailbox("bob@example.net").unwrap();
    assert_eq!(bob.len(), 1);
    let m = String::from_utf8_lossy(bob[0]);
    let ar = crate::mail::header(bob[0], "Authentication-Results").unwrap();
    assert_eq!(
        ar,
        format!(
            "mx.example.net; spf=pass smtp.mailfrom=alice@example.org; dkim=pass header.d=example.org header.s=mail header.b={}; dmarc=pass header.from=example.org",
            &ar[ar.find("header.b=").unwrap() + 9..ar.find("; dmarc").unwrap()]
        )
    );
    // The signature is the provider's; the results are on top of everything.
    assert!(m.find("Authentication-Results:").unwrap() < m.find("DKIM-Signature:").unwrap(), "{m}");
}

#[cfg(feature = "trust")]
#[test]
fn a_check_whose_dns_does_not_answer_is_a_temperror_and_the_message_is_kept() {
    // The resolver goes down just before Bob's provider asks (at 0.88 s): after the 5 s
    // timeout SPF is a temperror, which refuses nothing.
    let w = alice_sends_in(
        "txt example.org \"v=spf1 mx -all\"\ncheck mx.example.net spf\ndown ns.example.org from 800ms to 1h\n",
    );
    let bob = w.mailbox("bob@example.net").unwrap();
    assert_eq!(bob.len(), 1);
    let ar = crate::mail::header(bob[0], "Authentication-Results").unwrap();
    assert!(ar.contains("spf=temperror"), "{ar}");
}

#[cfg(feature = "trust")]
#[test]
fn a_body_changed_after_signing_fails_dkim_and_quarantine_files_it_in_junk() {
    // A signed message of Alice's provider, typed again into Bob's provider with one word
    // of the body changed: the body hash no longer matches (RFC 6376 §3.7).
    let w = alice_sends_in("dkim smtp.example.org example.org mail\n");
    let signed = w
        .trace()
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData && e.bytes.starts_with(b"DKIM-Signature:"))
        .unwrap()
        .bytes
        .clone();
    let text = String::from_utf8(signed).unwrap().replace("Hello", "Hullo");
    let mut d = Description::standard();
    d.extend(
        "dkim smtp.example.org example.org mail\ntxt _dmarc.example.org \"v=DMARC1; p=quarantine\"\ncheck mx.example.net dkim dmarc\n",
        1,
    )
    .unwrap();
    let mut w = World::from_description(&d);
    let (laptop, mx) = (w.host_by_name(names::LAPTOP).unwrap(), w.host_by_name(names::BOB_SERVER).unwrap());
    let conn = w.open(laptop, mx, SMTP_PORT).unwrap();
    let tx = format!(
        "EHLO laptop.example.org\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n{text}QUIT\r\n"
    );
    w.write(conn, tx.as_bytes()).unwrap();
    w.run_until_idle().unwrap();
    let got = String::from_utf8_lossy(w.received(conn)).into_owned();
    assert!(got.contains("250 2.0.0 OK: queued as") && got.ends_with("closing connection\r\n"), "{got}");
    // Not in the inbox: in Junk, as example.org's policy asks.
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
    let store = w.store(mx).unwrap();
    let junk = store.folder("bob@example.net", "Junk").unwrap().messages();
    assert_eq!(junk.len(), 1);
    let ar = crate::mail::header(&junk[0].bytes, "Authentication-Results").unwrap();
    assert!(ar.contains("dkim=fail header.d=example.org") && ar.contains("dmarc=fail"), "{ar}");
    let note = w.trace().events.iter().rev().find(|e| e.kind == EventKind::Note).unwrap();
    assert!(note.text().contains("Junk"), "{}", note.text());
    // The host's state counts it there, apart from the inbox.
    let snap = &w.trace().events.last().unwrap().hosts[mx];
    let bob =
        |counts: &[(String, usize)]| counts.iter().find(|(a, _)| a == "bob@example.net").map(|(_, n)| *n);
    assert_eq!((bob(&snap.mailboxes), bob(&snap.junk), snap.junk.len()), (Some(0), Some(1), 1));
}

#[cfg(feature = "trust")]
#[test]
fn a_check_answers_the_message_then_what_was_sent_meanwhile_and_stops_when_the_client_goes() {
    let d = || {
        let mut d = Description::standard();
        d.extend("txt example.org \"v=spf1 mx -all\"\ncheck mx.example.net spf\n", 1).unwrap();
        World::from_description(&d)
    };
    // Typed a line at a time, each answered before the next, up to the message.
    let start = |w: &mut World| {
        let (laptop, mx) =
            (w.host_by_name(names::LAPTOP).unwrap(), w.host_by_name(names::BOB_SERVER).unwrap());
        let conn = w.open(laptop, mx, SMTP_PORT).unwrap();
        w.advance_to(SimTime::from_secs(1)).unwrap();
        for (i, line) in
            ["EHLO laptop.example.org", "MAIL FROM:<carol@example.org>", "RCPT TO:<bob@example.net>", "DATA"]
                .iter()
                .enumerate()
        {
            w.write(conn, format!("{line}\r\n").as_bytes()).unwrap();
            w.advance_to(SimTime::from_secs(2 + i as u64)).unwrap();
        }
        w.write(conn, b"Subject: x\r\n\r\nhi\r\n.\r\n").unwrap();
        (conn, mx)
    };
    // A QUIT right behind the message waits for the check; its 221 answers the QUIT.
    let mut w = d();
    let (conn, mx) = start(&mut w);
    w.write(conn, b"QUIT\r\n").unwrap();
    w.run_until_idle().unwrap();
    let t = w.trace();
    let index_of = |pred: &dyn Fn(&TraceEvent) -> bool| t.events.iter().position(pred).unwrap();
    let data = index_of(&|e| e.kind == EventKind::MessageData);
    let quit = index_of(&|e| matches!(&e.kind, EventKind::Command { verb } if verb == "QUIT"));
    let reply_to = |code: u16| {
        t.events.iter().find_map(|e| match &e.kind {
            EventKind::Reply { status, answers, .. } if status.smtp_code() == Some(code) && e.from == mx => {
                *answers
            }
            _ => None,
        })
    };
    // The check's note comes between: SPF fails (the laptop is not example.org's MX).
    assert!(t.events[data..].iter().any(|e| e.kind == EventKind::Note && e.text().contains("SPF fail")));
    assert_eq!(reply_to(550), Some(data), "the refusal answers the message");
    assert_eq!(reply_to(221), Some(quit), "the 221 answers the QUIT sent meanwhile");
    // A client that goes away while the host checks: nothing is taken, and the note says so.
    let mut w = d();
    let (conn, _) = start(&mut w);
    while !w
        .trace()
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::DnsQuery { qtype, .. } if qtype == "TXT"))
    {
        w.advance().unwrap();
    }
    w.close(conn).unwrap();
    w.run_until_idle().unwrap();
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
    let notes: Vec<String> =
        w.trace().events.iter().filter(|e| e.kind == EventKind::Note).map(|e| e.text()).collect();
    assert!(notes.iter().any(|n| n.contains("went away before the checks were done")), "{notes:?}");
    assert!(!notes.iter().any(|n| n.contains("SPF")), "no finding for a message nobody waits for: {notes:?}");
}

#[cfg(feature = "trust")]
#[test]
fn an_spf_refusal_ends_the_checks_and_notes_only_spf() {
    // SPF enforced and DMARC asked: an SPF fail refuses at once, so DKIM and DMARC are
    // never looked at, and the notes say only what was checked.
    let w =
        alice_sends_in("txt example.org \"v=spf1 ip4:203.0.113.99 -all\"\ncheck mx.example.net spf dmarc\n");
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let notes: Vec<String> = w
        .trace()
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Note && e.from == mx)
        .map(|e| e.text())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("SPF fail"), "{notes:?}");
    assert!(
        !w.trace()
            .events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::DnsQuery { name, .. } if name.starts_with("_dmarc.")))
    );
}

#[test]
fn a_mail_program_keeps_its_message_and_its_password_when_starttls_fails() {
    // Alice's provider offers STARTTLS on port 587 but answers it 454: her mail program
    // sends no password in the clear and keeps the message (RFC 3207 §4 leaves it to the
    // client); a relay would go on in the clear (the lesson "When STARTTLS fails").
    let w = alice_sends_in(
        "reply smtp.example.org STARTTLS 454 4.7.0 \"TLS not available due to local problem\"\n",
    );
    let commands: Vec<String> = w
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Command { verb } => Some(verb.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(commands, ["EHLO", "STARTTLS", "QUIT"]);
    assert!(!w.trace().events.iter().any(|e| e.kind == EventKind::AuthData));
    let note = w.trace().events.iter().rev().find(|e| e.kind == EventKind::Note).unwrap();
    assert_eq!(
        note.text(),
        "The mail program reports an error and keeps the message in its Outbox: 454 4.7.0 TLS not available due to local problem"
    );
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 0);
}

/// The notes of `w`'s trace, with their time (ms) and host.
#[cfg(feature = "pop3")]
fn notes_of(w: &World) -> Vec<(u64, String, String)> {
    let t = w.trace();
    let notes = t.events.iter().filter(|e| e.kind == EventKind::Note);
    notes.map(|e| (e.at.0 / 1000, t.hosts[e.from].name.clone(), e.text())).collect()
}

#[test]
#[cfg(feature = "pop3")]
fn a_host_down_mid_session_gets_what_tcp_sends_again_once_it_is_back() {
    // The relay's MAIL leaves at 0.578 s and would arrive at 0.618 s; mx is down from 0.6 s
    // to 40 s. TCP sends it again 1, 3, 7, 15, 31 and 63 s after it first left: that copy
    // gets through, and the session goes on where it was.
    let w = send("bob@example.net", "alice@example.org", |w| {
        w.down(3, SimTime::from_millis(600), SimTime::from_secs(40));
    });
    assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1, "delivered in the same session");
    let t = w.trace();
    let mail = t.events.iter().find(|e| e.to == 3 && e.text().starts_with("MAIL FROM")).unwrap();
    assert_eq!((mail.sent, mail.at), (SimTime::from_millis(578), SimTime::from_millis(63_618)));
    assert_eq!(t.events.iter().filter(|e| e.kind == EventKind::Connect { port: 25 } && e.to == 3).count(), 1);
    let notes = notes_of(&w);
    let said: Vec<_> = notes.iter().filter(|(_, _, n)| n.starts_with("No acknowledgement")).collect();
    assert_eq!(
        said,
        [&(578, "smtp.example.org".into(), "No acknowledgement: mx.example.net is down. TCP on smtp.example.org sends it again 1 s later, then after 2, 4, 8 s … (twice as long each time, at most 2 minutes), until mx.example.net is back, for 15 minutes at most.".into())]
    );
    assert!(!notes.iter().any(|(_, _, n)| n.contains("broke")), "{notes:?}");
}

#[test]
#[cfg(feature = "pop3")]
fn a_client_gives_up_by_its_own_timer_in_an_outage_whether_or_not_it_ends_later() {
    // mx is down from 0.6 s, for 10 minutes or for an hour: the relay's MAIL, sent at
    // 0.578 s, gets no answer. Its client gives up by its own 5 minutes for MAIL (RFC 5321
    // §4.5.3.2.2), in the same words either way: it cannot tell whether the outage will end.
    // The queue tries again later, and delivers once mx is back.
    for until in [600, 3600] {
        let w = send("bob@example.net", "alice@example.org", |w| {
            w.down(3, SimTime::from_millis(600), SimTime::from_secs(until));
        });
        let notes = notes_of(&w);
        let at = |start: &str| {
            notes.iter().find(|(_, _, n)| n.starts_with(start)).map(|(at, h, _)| (*at, h.as_str()))
        };
        assert_eq!(
            at(
                "The connection to mx.example.net broke: mx.example.net went down, and no answer came for 5 minutes. smtp.example.org gives up."
            ),
            Some((300_578, "smtp.example.org")),
            "{until}: {notes:#?}"
        );
        assert_eq!(w.mailbox("bob@example.net").unwrap().len(), 1, "{until}: delivered once, on a later try");
        let mails = w.trace().events.iter().filter(|e| e.to == 3 && e.text().starts_with("MAIL FROM"));
        let mails: Vec<SimTime> = mails.map(|e| e.at).collect();
        if until == 600 {
            // The MAIL sent again arrives once mx is back, after mx's own timer had ended
            // the session (at 300.538 s; its 421, sent again too, is still on its way):
            // nothing reads it, and mx's TCP answers with a reset. The retry is a new session.
            assert_eq!(
                at(
                    "Arrived after mx.example.net had closed the connection: “MAIL FROM:<alice@example.org> SIZE=416”, from smtp.example.org."
                ),
                Some((607_618, "mx.example.net")),
                "{notes:#?}"
            );
            assert_eq!(mails.len(), 1, "{mails:?}");
            assert!(!notes.iter().any(|(_, _, n)| n.contains("nothing has crossed")), "{notes:#?}");
            // The relay's client, which had given up and said so, is not told a second time.
            assert!(
                !notes.iter().any(|(_, _, n)| n.contains("answers with a reset (RST), as")),
                "{notes:#?}"
            );
        } else {
            // The first MAIL never arrives; mx's server ends its session by its inactivity
            // timer, 5 minutes after the EHLO.
            assert_eq!(
                at(
                    "Nothing more came from smtp.example.org (what it sent was lost on the way): mx.example.net's inactivity timer runs out"
                ),
                Some((300_538, "mx.example.net")),
                "{notes:#?}"
            );
            assert_eq!(mails.len(), 1, "{mails:?}");
            assert!(mails[0] >= SimTime::from_secs(3600));
        }
    }
}

#[test]
#[cfg(feature = "pop3")]
fn a_server_that_closes_after_answering_quit_into_an_outage_is_not_said_to_time_out() {
    // The QUIT arrives at 10.030 s; the laptop is down from 10.031 s for an hour, so the
    // 221 and the close are sent again in vain. The server let go after answering, not by
    // its inactivity timer.
    let (mut w, _) = standard_world();
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let laptop = w.host_by_name(names::LAPTOP).unwrap();
    let conn = w.open(laptop, mx, SMTP_PORT).unwrap();
    w.advance_to(SimTime::from_secs(10)).unwrap();
    w.down(laptop, SimTime::from_millis(10_031), SimTime::from_secs(3600));
    w.write(conn, b"QUIT\r\n").unwrap();
    w.run_until_idle().unwrap();
    let notes = notes_of(&w);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!((notes[0].0, notes[0].1.as_str()), (10_030, "mx.example.net"));
    assert!(notes[0].2.starts_with("No acknowledgement: laptop.example.org is down. TCP on mx.example.net"));
    assert!(!String::from_utf8_lossy(w.received(conn)).contains("221"));
    // The person's telnet, which has no timer, still holds its end: nothing told it.
    assert!(w.is_open(conn));
}
