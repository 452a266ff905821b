use crate::shared::Shared;

use mailroom_core::lesson::Lesson;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::class;
use crate::hooks::use_next_frame;
use crate::markdown;
use crate::present;
use crate::state::{Action, current_step, part_range, step_cursor};

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    pub lesson: Shared<Lesson>,
    /// For each lesson step, its event (`None` = the start).
    pub anchors: Vec<Option<usize>>,
    pub cursor: usize,
    /// Events in the trace.
    pub total: usize,
    /// How many times the email is sent (the parts follow the first).
    pub messages: usize,
    /// The player's reducer: choosing a part of the lesson sends [`Action::SeekPart`].
    pub dispatch: Callback<Action>,
    /// Presenter mode: a long part's text scrolls inside (styles/app.css), so it is a Tab
    /// stop, for the keyboard to scroll it.
    pub presenting: bool,
}

/// Scrolls the parts strip sideways so that the current part's cell is in sight.
fn reveal_current(strip: &NodeRef) {
    let Some(strip) = strip.cast::<web_sys::HtmlElement>() else { return };
    if strip.scroll_width() <= strip.client_width() {
        return;
    }
    let Some(cell) = strip
        .query_selector("[aria-current]")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    // Centred, so the parts around it show too.
    let left = cell.offset_left() - (strip.client_width() - cell.offset_width()) / 2;
    strip.set_scroll_left(left.max(0));
}

/// The link on from the end of lesson `id`: the lesson after it on the path, else the list.
fn next_lesson(id: &str) -> Html {
    let index = mailroom_core::lessons::INDEX;
    match index.iter().position(|e| e.id == id).and_then(|at| index.get(at + 1)) {
        Some(next) => html! {
            <a href={crate::route::href(next.id, 0)}>
                { format!("Next lesson: “{}” ›", next.title) }
            </a>
        },
        // A teacher's own lesson: back to the others they keep.
        #[cfg(feature = "teacher")]
        None if crate::my_lessons::is_mine(id) => html! { <a href="#/yours">{ "Your lessons ›" }</a> },
        None => html! { <a href="#/">{ "All lessons ›" }</a> },
    }
}

/// The lesson's words for this moment, and its steps to jump between.
#[component]
pub fn Narration(props: &NarrationProps) -> Html {
    let step = current_step(&props.anchors, props.cursor);
    let body = use_memo((props.lesson.clone(), step), |(lesson, step)| {
        let text = step.and_then(|s| lesson.steps.get(s)).map(|s| s.body.as_str()).unwrap_or("");
        markdown::parse(text)
    });
    // A new part starts at the top of its text (the body scrolls when it is long), and
    // its cell of the strip is in sight (the strip scrolls sideways when it is narrow).
    let body_ref = use_node_ref();
    let strip_ref = use_node_ref();
    {
        let (body_ref, strip_ref) = (body_ref.clone(), strip_ref.clone());
        // Both scroll positions need a layout: in the frame that shows the step.
        use_next_frame(Some((props.lesson.id.clone(), step)), move |_| {
            if let Some(el) = body_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(0);
            }
            reveal_current(&strip_ref);
        });
    }
    let steps = &props.lesson.steps;
    let count = steps.len();
    let title = step.and_then(|s| steps.get(s)).map(|s| s.title.clone());

    let prev =
        step.and_then(|s| s.checked_sub(1)).map(|s| step_cursor(props.anchors.get(s).copied().flatten()));
    let next = match step {
        Some(s) => props.anchors.get(s + 1).map(|a| step_cursor(*a)),
        None => props.anchors.first().map(|a| step_cursor(*a)),
    };
    let seek = |to: Option<usize>| {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(n) = to {
                dispatch.emit(Action::SeekPart(n));
            }
        })
    };

    // "Part", not "step": the top bar counts the steps of the conversation, and each
    // part says which of those steps it narrates.
    let range = step.and_then(|s| part_range(&props.anchors, s, props.total));
    let eyebrow = match step {
        Some(s) => format!(
            "Part {} of {count} · {}",
            s + 1,
            present::steps_text(range.unwrap_or((props.cursor, props.cursor)))
        ),
        None => format!("{count} parts"),
    };
    // At the first step of a part, the screen reader reads the part: its title and text.
    let announce = match (step, &title, range) {
        (Some(s), Some(t), Some((start, _))) if start == props.cursor => {
            present::part_announcement(s, count, t, &markdown::plain_text(&body))
        }
        _ => String::new(),
    };
    html! {
        <section class="panel narration" data-testid="narration" aria-labelledby="narration-title" tabindex="-1">
            <div class="narration-head">
                <p class="eyebrow" data-testid="part-counter">{ eyebrow }</p>
                <div class="step-nav">
                    <button type="button" class="btn-small" aria-label="Previous part (Shift+←)" title="Previous part (Shift+←)"
                        disabled={prev.is_none()} onclick={seek(prev)}>{ "‹" }</button>
                    <button type="button" class="btn-small" aria-label="Next part (Shift+→)" title="Next part (Shift+→)"
                        disabled={next.is_none()} onclick={seek(next)}>{ "›" }</button>
                </div>
            </div>
            <h2 id="narration-title" class="narration-title">
                { title.unwrap_or_else(|| props.lesson.title.clone()) }
            </h2>
            // Presenting, a stop of the keyboard's (its text scrolls with ↑ ↓): named as one.
            <div class="narration-body" ref={body_ref} data-testid="narration-body"
                tabindex={props.presenting.then_some("0")} role={props.presenting.then_some("region")}
                aria-label={props.presenting.then_some("The part's text")}>
                { markdown::render(&body) }
                // At the end, the way on: the next lesson of the path (the home page's
                // list after the last one; a teacher's own leads back to theirs).
                if props.total > 0 && props.cursor >= props.total {
                    <p class="narration-next" data-testid="next-lesson">{ next_lesson(&props.lesson.id) }</p>
                }
                if let Some(note) = present::messages_note(props.messages) {
                    <p class="narration-note" data-testid="messages-note">{ note }</p>
                }
            </div>
            <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="part-announcer">
                { announce }
            </div>
            // A strip of its own for each lesson: Chromium keeps a scroll timeline's place
            // (the fade of a cut end) when its strip is filled anew and fits.
            <nav class="outline" aria-label="Parts of the lesson" key={props.lesson.id.as_str()}>
                <ol ref={strip_ref}>
                    { for steps.iter().enumerate().map(|(i, s)| {
                        let to = step_cursor(props.anchors.get(i).copied().flatten());
                        let state = match step {
                            Some(c) if c == i => "current",
                            Some(c) if i < c => "done",
                            _ => "todo",
                        };
                        html! {
                            <li key={i}>
                                <button type="button" class={class!("outline-step", state)}
                                    aria-current={(state == "current").then_some("step")}
                                    // One Tab stop for the strip (the current part); ‹ and ›
                                    // move between parts, and ← → keep stepping everywhere.
                                    tabindex={if state == "current" || (step.is_none() && i == 0) { "0" } else { "-1" }}
                                    aria-label={format!("Part {}: {}", i + 1, s.title)}
                                    title={format!("Part {}: {}", i + 1, s.title)}
                                    onclick={seek(Some(to))}>
                                    { i + 1 }
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            </nav>
        </section>
    }
}
