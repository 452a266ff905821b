//! IMAP mail programs in the World: the client against the real server, two devices on
//! one mailbox, news pushed during IDLE at the moment of delivery.

use super::*;
use crate::imap::client::Pick;
use crate::mail::Draft;
use crate::store::Flags;
use crate::trace::{EventKind, ImapView, Protocol, Trace, TraceEvent};
use crate::world::names;

const BOB: &str = "bob@example.net";

/// The standard world with Bob's laptop and phone; Alice sends "One" and "Two" at once.
fn world() -> World {
    let mut d = crate::describe::Description::standard();
    d.extend(
        "host bob-laptop.example.net 203.0.113.10 client \"Bob's laptop\" at 100,62\n\
         host bob-phone.example.net 203.0.113.20 client \"Bob's phone\" at 89,62\n\
         link bob-laptop.example.net mx.example.net 30ms\n\
         link bob-phone.example.net mx.example.net 60ms\n",
        1,
    )
    .unwrap();
    let mut w = World::from_description(&d);
    for (i, subject) in ["One", "Two"].into_iter().enumerate() {
        alice_sends(&mut w, SimTime::from_secs(i as u64), subject);
    }
    w
}

fn alice_sends(w: &mut World, at: SimTime, subject: &str) {
    let laptop = w.host_by_name(names::LAPTOP).unwrap();
    let to = vec![BOB.to_string()];
    let draft = Draft {
        cc: &[],
        bcc: &[],
        from: "alice@example.org",
        to: &to,
        subject,
        body: "Hello",
        attachments: &[],
    };
    let port = w.submission_port(laptop, w.host_by_name(names::ALICE_SERVER).unwrap());
    w.send_mail_at(at, laptop, names::ALICE_SERVER, port, &draft).unwrap();
}

fn act(w: &mut World, secs: u64, device: &str, action: Action) {
    let host = w.host_by_name(device).unwrap();
    w.imap_action_at(SimTime::from_secs(secs), host, names::BOB_SERVER, BOB, action, false);
}

/// The IMAP events of one device's connections, as `C: line` / `S: line` (first line).
fn conversation(t: &Trace, device: &str) -> Vec<String> {
    let host = t.host_by_name(device).unwrap();
    t.events
        .iter()
        .filter(|e| e.protocol == Protocol::Imap && e.conn.is_some_and(|c| t.conns[c.0].client == host))
        .filter_map(|e| {
            let first = e.text().lines().next().unwrap_or("").to_string();
            match e.kind {
                EventKind::Command { .. } => Some(format!("C: {first}")),
                EventKind::Reply { .. } => Some(format!("S: {first}")),
                _ => None,
            }
        })
        .collect()
}

/// (UID, flags, subject) of a folder.
fn folder(messages: &[(u32, Flags, String)]) -> Vec<(u32, String, String)> {
    messages.iter().map(|(u, f, s)| (*u, f.to_string(), s.clone())).collect()
}

fn on_server(w: &World, name: &str) -> Vec<(u32, String, String)> {
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let f = w.store(mx).unwrap().folder(BOB, name).unwrap();
    folder(
        &f.messages()
            .iter()
            .map(|m| (m.uid, m.flags, crate::mail::header(&m.bytes, "Subject").unwrap_or_default()))
            .collect::<Vec<_>>(),
    )
}

fn believed(w: &World, device: &str, name: &str) -> Vec<(u32, String, String)> {
    let host = w.host_by_name(device).unwrap();
    let p = w.imap_program(host, BOB).unwrap();
    folder(
        &p.cache
            .folder(name)
            .unwrap()
            .messages
            .iter()
            .map(|m| (m.uid, m.flags, m.subject.clone()))
            .collect::<Vec<_>>(),
    )
}

fn want(items: &[(u32, &str, &str)]) -> Vec<(u32, String, String)> {
    items.iter().map(|&(u, f, s)| (u, f.to_string(), s.to_string())).collect()
}

#[test]
fn a_mail_program_reads_flags_archives_and_deletes_on_the_real_server() {
    let mut w = world();
    let laptop = "bob-laptop.example.net";
    act(&mut w, 60, laptop, Action::Check);
    act(&mut w, 120, laptop, Action::Read(Pick::Newest));
    act(&mut w, 180, laptop, Action::Mark { pick: Pick::Newest, flag: Flags::FLAGGED, on: true });
    act(&mut w, 240, laptop, Action::Archive(Pick::Oldest));
    act(&mut w, 300, laptop, Action::Delete(Pick::Subject("two".into())));
    w.run_until_idle().unwrap();
    let t = w.trace();
    let c = conversation(t, laptop);
    let commands: Vec<&str> = c.iter().filter_map(|l| l.strip_prefix("C: ")).collect();
    assert_eq!(
        commands,
        [
            "a1 LOGIN bob@example.net builder",
            "a2 LIST \"\" \"*\"",
            "a3 SELECT INBOX",
            "a4 UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE)",
            "a5 IDLE",
            "DONE",
            "a6 UID FETCH 2 (BODY[])",
            "a7 IDLE",
            "DONE",
            "a8 UID STORE 2 +FLAGS (\\Flagged)",
            "a9 IDLE",
            "DONE",
            "a10 UID MOVE 1 Archive",
            "a11 IDLE",
            "DONE",
            "a12 UID STORE 2 +FLAGS (\\Deleted)",
            "a13 EXPUNGE",
            "a14 LOGOUT",
        ],
        "{c:#?}"
    );
    // The server answered every command OK, and the body fetch set \Seen (RFC 3501 §6.4.5).
    assert!(c.iter().any(|l| l.contains("FETCH (UID 2 BODY[]") || l.contains("FETCH (UID 2 ")), "{c:#?}");
    assert!(!c.iter().any(|l| l.contains(" NO ") || l.contains(" BAD ")), "{c:#?}");
    // The server and the program agree.
    assert_eq!(on_server(&w, "INBOX"), []);
    assert_eq!(on_server(&w, "Archive"), want(&[(1, "", "One")]));
    assert_eq!(believed(&w, laptop, "INBOX"), []);
    assert_eq!(believed(&w, laptop, "Archive"), want(&[(1, "", "One")]));
    let p = w.imap_program(w.host_by_name(laptop).unwrap(), BOB).unwrap();
    assert!(p.errors.is_empty() && p.plan.is_empty() && p.sessions == 1, "{:?}", p.errors);
    assert!(w.is_idle());
}

/// Two devices: what one does reaches the other while it idles, when RFC 9051 §7.5.1
/// allows; a delivery reaches an idling device at once as `* n EXISTS`.
#[test]
fn two_devices_see_each_others_changes_and_new_mail_during_idle() {
    let mut w = world();
    let (laptop, phone) = ("bob-laptop.example.net", "bob-phone.example.net");
    act(&mut w, 60, laptop, Action::Check);
    act(&mut w, 60, phone, Action::Check);
    act(&mut w, 120, laptop, Action::Read(Pick::Newest));
    act(&mut w, 180, laptop, Action::Delete(Pick::Oldest));
    act(&mut w, 300, laptop, Action::Logout);
    alice_sends(&mut w, SimTime::from_secs(240), "Three");
    act(&mut w, 600, phone, Action::Logout);
    w.run_until_idle().unwrap();
    let t = w.trace();
    let c = conversation(t, phone);
    // The phone idles from its first sync to its logout; the server pushes each change.
    let pushed: Vec<&str> = c.iter().filter(|l| l.starts_with("S: * ")).map(String::as_str).collect();
    for line in [
        "S: * 2 FETCH (FLAGS (\\Seen))",
        "S: * 1 FETCH (FLAGS (\\Deleted))",
        "S: * 1 EXPUNGE",
        "S: * 2 EXISTS",
    ] {
        assert!(pushed.contains(&line), "{line} not in {pushed:#?}");
    }
    // The EXISTS leaves the server at the moment of the delivery, in the trace right after
    // the delivery's own event (and is on its way while Alice's server says 250).
    let delivery = t
        .events
        .iter()
        .rfind(|e| matches!(&e.kind, EventKind::Delivery { mailbox } if mailbox == BOB))
        .unwrap();
    let phone_host = t.host_by_name(phone).unwrap();
    let exists: &TraceEvent = t.events[delivery.index..]
        .iter()
        .find(|e| e.text() == "* 2 EXISTS\r\n" && e.to == phone_host)
        .expect("pushed after the delivery");
    assert_eq!(exists.sent, delivery.at);
    // The phone then ends IDLE, fetches the new one, and idles again.
    let after: Vec<&String> = c
        .iter()
        .skip_while(|l| !l.contains("UID MOVE") && !l.contains("* 1 EXPUNGE"))
        .skip_while(|l| *l != "S: * 2 EXISTS")
        .collect();
    assert_eq!(after[1..3], ["S: * 0 RECENT", "C: DONE"], "{after:#?}");
    assert!(after.iter().any(|l| l.contains("UID FETCH 3:* (UID FLAGS ENVELOPE RFC822.SIZE)")), "{after:#?}");
    // In the end all agree.
    let inbox = want(&[(2, "\\Seen", "Two"), (3, "", "Three")]);
    assert_eq!(on_server(&w, "INBOX"), inbox);
    assert_eq!(believed(&w, phone, "INBOX"), inbox);
    assert_eq!(believed(&w, laptop, "INBOX"), inbox, "the laptop was idling too");
    // The views in the trace show it step by step: when the EXISTS arrives, the phone
    // knows a second message is there, not yet which (UID 0); the server has UID 3.
    let uids = |v: &ImapView, program: bool| -> Vec<u32> {
        let f = if program { &v.programs[0].folders[0] } else { &v.mailboxes[0].folders[0] };
        f.messages.iter().map(|m| m.uid).collect()
    };
    let mx = t.host_by_name(names::BOB_SERVER).unwrap();
    let at_exists = &t.events[exists.index].hosts;
    assert_eq!(uids(at_exists[phone_host].imap.as_ref().unwrap(), true), [2, 0]);
    assert_eq!(uids(at_exists[mx].imap.as_ref().unwrap(), false), [2, 3]);
    let end = t.snapshot_at(t.len());
    let phone_view = &end[phone_host].imap.as_ref().unwrap().programs[0];
    assert_eq!(uids(end[phone_host].imap.as_ref().unwrap(), true), [2, 3]);
    assert!(phone_view.session.is_none() && !phone_view.idling && phone_view.error.is_none());
    assert!(end[mx].imap.as_ref().unwrap().mailboxes[0].sessions.is_empty());
}

/// A device that loses its network while idling, for longer than TCP sends again: the
/// news the server pushes to it never arrives, TCP on the server gives up and its session
/// stops watching the store; back on the network, the program's next command draws a reset,
/// and its next action opens a new session that catches up from its cache (RFC 4549 §4.3).
#[test]
fn a_broken_session_is_released_and_the_next_action_reconnects() {
    let mut w = world();
    let (laptop, phone) = ("bob-laptop.example.net", "bob-phone.example.net");
    let phone_host = w.host_by_name(phone).unwrap();
    w.down(phone_host, SimTime::from_secs(100), SimTime::from_secs(1200));
    act(&mut w, 60, phone, Action::Check);
    act(&mut w, 60, laptop, Action::Check);
    act(&mut w, 150, laptop, Action::Read(Pick::Oldest));
    act(&mut w, 1300, phone, Action::Check);
    act(&mut w, 1400, phone, Action::Mark { pick: Pick::Oldest, flag: Flags::FLAGGED, on: true });
    w.run_until_idle().unwrap();
    let t = w.trace();
    let c = conversation(t, phone);
    let logins = c.iter().filter(|l| l.contains("LOGIN")).count();
    assert_eq!(logins, 2, "{c:#?}");
    // The second session knows UIDs 1 and 2: it asks only for what is new, then the flags.
    assert!(c.contains(&"C: a4 UID FETCH 3:* (UID FLAGS ENVELOPE RFC822.SIZE)".to_string()), "{c:#?}");
    assert!(c.contains(&"C: a5 UID FETCH 1:2 (FLAGS)".to_string()), "{c:#?}");
    let p = w.imap_program(phone_host, BOB).unwrap();
    assert_eq!(p.sessions, 2);
    assert_eq!(p.errors, ["the connection closed"]);
    assert_eq!(believed(&w, phone, "INBOX"), want(&[(1, "\\Seen \\Flagged", "One"), (2, "", "Two")]));
    // No session watches the store any more.
    let mx = w.host_by_name(names::BOB_SERVER).unwrap();
    let store = w.store(mx).unwrap();
    assert!((0..16).all(|i| store.watching(crate::store::WatcherId(i)).is_none()));
    assert!(t.events.iter().any(|e| e.text().contains("reports: the connection closed")));
    // What each end was told, and when: the server's TCP gave up 15 minutes after its news
    // left (at 150.09 s); the phone's DONE, back on the network at 1,300 s, drew a reset.
    let note =
        |start: &str| t.events.iter().find(|e| e.kind == EventKind::Note && e.text().starts_with(start));
    let acked = note("No acknowledgement: bob-phone.example.net is down. TCP on mx.example.net").unwrap();
    assert_eq!(acked.at, SimTime::from_millis(150_090));
    let gave_up =
        note("The connection to bob-phone.example.net broke: bob-phone.example.net went down").unwrap();
    assert_eq!((gave_up.at, gave_up.from), (SimTime::from_millis(1_050_090), mx));
    let reset = note("The connection to mx.example.net broke: mx.example.net answers with a reset").unwrap();
    assert_eq!((reset.at, reset.from), (SimTime::from_millis(1_300_120), phone_host));
}
