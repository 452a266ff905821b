use mailroom_core::lessons;
use mailroom_core::world::run_send_many;
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(213);
    let lesson = lessons::builtin("sending-an-email").unwrap().unwrap();
    let t = run_send_many(&lesson.email, n).unwrap();
    println!("{}", t.len());
}
