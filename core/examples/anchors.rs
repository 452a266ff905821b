//! Prints where each step of a lesson lands: `cargo run -p mailroom-core --example anchors -- ID`.
//! For lesson writers: check that every anchor names the event the narration means.
fn main() {
    let id = std::env::args().nth(1).unwrap_or_else(|| "sending-an-email".into());
    let Some(parsed) = mailroom_core::lessons::builtin(&id) else {
        eprintln!("no built-in lesson {id}");
        std::process::exit(2);
    };
    let lesson = parsed.unwrap_or_else(|e| panic!("{id}: {e}"));
    let run = mailroom_core::world::run_lesson(&lesson).unwrap_or_else(|e| panic!("{id}: {e}"));
    for (step, at) in lesson.steps.iter().zip(&run.anchors) {
        let what = at.map_or("(start)".to_string(), |i| {
            let ev = &run.trace.events[i];
            let first = String::from_utf8_lossy(&ev.bytes).lines().next().unwrap_or("").to_string();
            format!("#{i} {} -> {} {:?} {first}", ev.from, ev.to, ev.kind)
        });
        println!("{:<40} {what}", step.title);
    }
}
