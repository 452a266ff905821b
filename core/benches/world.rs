//! Benchmarks of the engine: running the lesson's World, a POP3 lesson, a 1,000-event
//! World, and the SMTP server on a whole transaction. Run with `cargo bench -p mailroom-core`.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use mailroom_core::lessons;
use mailroom_core::session::{Directory, Session};
use mailroom_core::smtp::server::{Peer, ServerConfig, SmtpServer};
use mailroom_core::time::SimTime;
use mailroom_core::world::{run_lesson, run_send_many};

fn benches(c: &mut Criterion) {
    let lesson = lessons::builtin("sending-an-email").unwrap().unwrap();
    c.bench_function("lesson sending-an-email: parse + run + resolve", |b| {
        b.iter(|| {
            let l = lessons::builtin("sending-an-email").unwrap().unwrap();
            black_box(run_lesson(&l).unwrap())
        })
    });
    // The POP3 lesson with the most going on: two SMTP sends, a bounce, two mail programs,
    // and the panel's views in the snapshots.
    let journey = lessons::builtin("the-whole-journey").unwrap().unwrap();
    let n = run_lesson(&journey).unwrap().trace.len();
    c.bench_function(&format!("lesson the-whole-journey ({n} events): run + resolve"), |b| {
        b.iter(|| black_box(run_lesson(&journey).unwrap()))
    });
    let n = run_send_many(&lesson.email, 27).unwrap().len();
    c.bench_function(&format!("world: 27 messages ({n} events)"), |b| {
        b.iter(|| black_box(run_send_many(&lesson.email, 27).unwrap()))
    });
    let config = ServerConfig::new("mx.example.net");
    let directory = Directory {
        local_domains: vec!["example.net".into()],
        mailboxes: vec!["bob@example.net".into()],
        ..Directory::default()
    };
    let mut session =
        b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n".to_vec();
    for i in 0..1000 {
        session.extend_from_slice(format!("Line {i} of a long message, with some text.\r\n").as_bytes());
    }
    session.extend_from_slice(b".\r\nQUIT\r\n");
    c.bench_function("smtp server: one 50 KB transaction", |b| {
        b.iter(|| {
            let peer = Peer { addr: "192.0.2.1".into(), name: None };
            let mut s = SmtpServer::new(config.clone(), peer, "B", SimTime::ZERO);
            s.handle_input(black_box(&session), SimTime::ZERO, &mut directory.clone());
            while s.poll_output().is_some() {}
        })
    });
}

criterion_group!(world, benches);
criterion_main!(world);
