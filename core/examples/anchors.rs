//! Prints where each step of a lesson lands, for lesson writers: check that every anchor
//! names the event the narration means.
//!
//! ```text
//! cargo run -p mailroom-core --example anchors -- ID            a built-in lesson (lessons/ID.md)
//! cargo run -p mailroom-core --example anchors -- FILE.md       any lesson file
//! cargo run -p mailroom-core --example anchors -- FILE.md --all every event, with the steps among them
//! ```
use mailroom_core::lesson::Lesson;
use mailroom_core::trace::Trace;

/// One line for event `i`: its number, time, hosts, kind and the first line of its bytes.
fn event_line(trace: &Trace, i: usize) -> String {
    let ev = &trace.events[i];
    let first = String::from_utf8_lossy(&ev.bytes).lines().next().unwrap_or("").to_string();
    let (from, to) = (&trace.hosts[ev.from].name, &trace.hosts[ev.to].name);
    format!("#{i} {} {from} -> {to} [{}] {first}", ev.at, ev.kind.label())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = args.iter().any(|a| a == "--all");
    let what = args.iter().find(|a| *a != "--all").cloned().unwrap_or_else(|| "sending-an-email".into());
    let fail = |m: String| -> ! {
        eprintln!("{m}");
        std::process::exit(1)
    };
    let lesson = if what.ends_with(".md") {
        let text = std::fs::read_to_string(&what).unwrap_or_else(|e| fail(format!("{what}: {e}")));
        let id = std::path::Path::new(&what).file_stem().and_then(|s| s.to_str()).unwrap_or("lesson");
        Lesson::parse(id, &text).unwrap_or_else(|e| fail(format!("{what}: {e}")))
    } else {
        match mailroom_core::lessons::builtin(&what) {
            Some(parsed) => parsed.unwrap_or_else(|e| fail(format!("{what}: {e}"))),
            None => fail(format!("no built-in lesson {what} (give a file name ending in .md)")),
        }
    };
    let run = mailroom_core::world::run_lesson(&lesson).unwrap_or_else(|e| fail(format!("{what}: {e}")));
    if all {
        // Every event; a step's title above the event it lands on.
        let mut steps = lesson.steps.iter().zip(&run.anchors).peekable();
        while let Some((step, _)) = steps.next_if(|(_, at)| at.is_none()) {
            println!("== {} (@ {})", step.title, step.anchor_text);
        }
        for i in 0..run.trace.events.len() {
            while let Some((step, _)) = steps.next_if(|(_, at)| **at == Some(i)) {
                println!("== {} (@ {})", step.title, step.anchor_text);
            }
            println!("{}", event_line(&run.trace, i));
        }
        return;
    }
    for (step, at) in lesson.steps.iter().zip(&run.anchors) {
        let what = at.map_or("(start)".to_string(), |i| event_line(&run.trace, i));
        println!("{:<40} {what}", step.title);
    }
}
