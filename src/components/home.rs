use mailroom_core::lessons::{Entry, INDEX, Path};
use yew::prelude::*;

use crate::components::icons;
use crate::hooks::{load_my_lessons, load_progress};
use crate::progress::Progress;
use crate::route;

/// The address of lesson `id` at `step`.
fn href(id: &str, step: usize) -> String {
    route::href(id, step)
}

/// What the student has done in lesson `id`, in words ("" when never opened).
fn status(progress: &Progress, id: &str) -> (&'static str, String) {
    match progress.lesson(id) {
        Some(l) if l.finished => ("done", "Finished".into()),
        // How far they got; the "Continue" link says where they stopped.
        Some(l) if l.furthest == 0 => ("started", "Opened".into()),
        Some(l) => ("started", format!("Reached step {} of {}", l.furthest, l.total)),
        None => ("", String::new()),
    }
}

fn card(progress: &Progress, e: &Entry) -> Html {
    let level = e.listing.level.map(|l| l.title()).unwrap_or_default();
    let minutes = e.listing.minutes.map(|m| format!("{m} min")).unwrap_or_default();
    let meta = [level, &minutes].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ");
    lesson_card(progress, e.id, e.title, e.summary, meta)
}

/// A lesson's card: its title, what it teaches, `meta` (level and time), and how far the
/// student got.
fn lesson_card(progress: &Progress, id: &str, title: &str, summary: &str, meta: String) -> Html {
    let (class, said) = status(progress, id);
    html! {
        <li class={classes!("lesson-card", class)} data-lesson={id.to_string()}>
            <a href={href(id, 0)}>
                <span class="lesson-card-title">{ title.to_string() }</span>
                <span class="lesson-card-summary">{ summary.to_string() }</span>
                <span class="lesson-card-meta">
                    <span>{ meta }</span>
                    if !said.is_empty() {
                        <span class="lesson-card-status" data-testid="lesson-status">{ said }</span>
                    }
                    if let Some((right, asked)) = progress.lesson(id).and_then(|l| l.score) {
                        <span class="lesson-card-score" data-testid="lesson-score">
                            { format!("Predicted {right} of {asked}") }
                        </span>
                    }
                </span>
            </a>
        </li>
    }
}

/// Where the big button goes: on to the next lesson of the path when the student finished
/// the last one they played, back to where they stopped otherwise; the first lesson on a
/// first visit.
fn next_step(progress: &Progress) -> (String, String) {
    let last = progress.last.as_ref().and_then(|p| Some((mailroom_core::lessons::entry(&p.lesson)?, p.step)));
    match last {
        // At its end, or only opened again at its start: on along the path.
        Some((e, step))
            if progress.lesson(e.id).is_some_and(|l| l.finished && (step >= l.total || step == 0)) =>
        {
            let at = INDEX.iter().position(|i| i.id == e.id).unwrap_or(0);
            let next = INDEX
                .iter()
                .cycle()
                .skip(at + 1)
                .take(INDEX.len())
                .find(|i| progress.lesson(i.id).is_none_or(|l| !l.finished));
            match next {
                Some(n) => (href(n.id, 0), format!("Next: “{}”", n.title)),
                None => (href(e.id, 0), format!("Play “{}” again", e.title)),
            }
        }
        // Opened but not stepped into: nothing to continue ("at step 0").
        Some((e, 0)) => (href(e.id, 0), format!("Start “{}”", e.title)),
        Some((e, step)) => (href(e.id, step), format!("Continue “{}” at step {step}", e.title)),
        None => (href(INDEX[0].id, 0), format!("Start with “{}”", INDEX[0].title)),
    }
}

/// One part of the path (or the lessons outside it): a heading and its lessons in order.
fn part(progress: &Progress, n: usize, title: &str, lessons: &[&Entry]) -> Html {
    let id = format!("path-{n}");
    let done = progress.finished(lessons.iter().map(|e| e.id));
    html! {
        <section class="path-part" aria-labelledby={id.clone()}>
            <h2 {id}>
                <span class="path-number" aria-hidden="true">{ n }</span>
                { title.to_string() }
                <span class="path-done">{ format!("{done} of {} finished", lessons.len()) }</span>
            </h2>
            <ol class="path-lessons">
                { for lessons.iter().map(|e| card(progress, e)) }
            </ol>
        </section>
    }
}

/// The home page: the lessons as a learning path, what the student has done, and where
/// to continue.
#[component]
pub fn Home() -> Html {
    let loaded = use_memo((), |_| load_progress());
    // A teacher's own lessons kept in this browser (they play in the full build).
    let mine = use_memo((), |_| load_my_lessons().0);
    let (progress, notice) = &*loaded;
    let dismissed = use_state(|| false);
    use_effect_with((), |_| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title("Mailroom: learn how email really works");
        }
    });
    let parts: Vec<(String, Vec<&Entry>)> = Path::ALL
        .into_iter()
        .map(|p| (p.title().to_string(), INDEX.iter().filter(|e| e.listing.path == Some(p)).collect()))
        .chain([("More lessons".to_string(), INDEX.iter().filter(|e| e.listing.path.is_none()).collect())])
        .filter(|(_, lessons): &(String, Vec<&Entry>)| !lessons.is_empty())
        .collect();
    let (go, go_label) = next_step(progress);
    let finished = progress.finished(INDEX.iter().map(|e| e.id));
    let on_dismiss = {
        let dismissed = dismissed.clone();
        Callback::from(move |_: MouseEvent| dismissed.set(true))
    };
    html! {
        <div class="home" data-testid="home">
            <header class="top-bar">
                <span class="brand">{ icons::logo() }<span>{ "Mailroom" }</span></span>
                <div class="notice-slot" role="status">
                    if let (Some(notice), false) = (notice, *dismissed) {
                        <p class="notice" data-testid="notice">
                            <span>{ notice.clone() }</span>
                            <button type="button" class="notice-close" aria-label="Dismiss this notice"
                                title="Dismiss" onclick={on_dismiss}>{ "×" }</button>
                        </p>
                    }
                </div>
            </header>
            <main class="home-body" aria-labelledby="home-title">
                <section class="home-intro">
                    <h1 id="home-title">{ "Learn how email really works" }</h1>
                    <p>{ "Follow a message from one computer to another, one command and one reply at a time: \
                          SMTP, DNS, POP3 and IMAP, simulated in your browser. Step forward and back as you like." }</p>
                    <p class="home-actions">
                        <a class="button primary" href={go} data-testid="continue">{ go_label }</a>
                        <a class="button" href="#/sandbox" data-testid="sandbox-link"
                            title="Be the mail program yourself: type SMTP, POP3 or IMAP into the servers, let time pass, break things">
                            { "Open the sandbox" }
                        </a>
                        <span class="muted" data-testid="finished">
                            { format!("{finished} of {} lessons finished", INDEX.len()) }
                        </span>
                    </p>
                </section>
                { for parts.iter().enumerate().map(|(i, (title, lessons))| part(progress, i + 1, title, lessons)) }
                <section class="path-part home-yours" aria-labelledby="yours-title">
                    <h2 id="yours-title">{ "Your own lessons" }</h2>
                    <p>
                        { "Teachers: write a lesson as a text file and play it here, keep it in this browser, share it as a link. " }
                        <a href="#/yours" data-testid="yours-link">{ "Your lessons ›" }</a>
                    </p>
                    if !mine.lessons.is_empty() {
                        <ol class="path-lessons" data-testid="my-lessons">
                            { for mine.lessons.iter().map(|k| lesson_card(progress, &k.id, &k.title, "Kept in this browser", String::new())) }
                        </ol>
                    }
                </section>
            </main>
        </div>
    }
}
