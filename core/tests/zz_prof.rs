use mailroom_core::world::run_send_many;
#[test]
fn prof() {
    let lesson = mailroom_core::lessons::builtin("sending-an-email").unwrap().unwrap();
    for _ in 0..300 {
        std::hint::black_box(run_send_many(&lesson.email, 27).unwrap());
    }
}
