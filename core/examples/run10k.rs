//! The World of "Sending an email" sent N times over (213 by default: 10,011 events), for a
//! profiler: `valgrind --tool=callgrind target/release/examples/run10k [N]` counts the
//! instructions of the run the page does for `?messages=N` (README, "Sizes and speed").
use mailroom_core::lessons;
use mailroom_core::world::run_send_many;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(213);
    let lesson = lessons::builtin("sending-an-email").unwrap().unwrap();
    let trace = run_send_many(&lesson.email, n).unwrap();
    println!("{} events", trace.len());
}
