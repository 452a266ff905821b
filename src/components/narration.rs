use std::rc::Rc;

use mailroom_core::lesson::Lesson;
use yew::prelude::*;

use crate::markdown;
use crate::state::{current_step, step_cursor};

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    pub lesson: Rc<Lesson>,
    /// For each lesson step, its event (`None` = the start).
    pub anchors: Vec<Option<usize>>,
    pub cursor: usize,
    /// Seek to a cursor (a step of the lesson was chosen).
    pub onseek: Callback<usize>,
}

/// The lesson's words for this moment, and its steps to jump between.
#[component]
pub fn Narration(props: &NarrationProps) -> Html {
    let step = current_step(&props.anchors, props.cursor);
    let body = use_memo((props.lesson.clone(), step), |(lesson, step)| {
        let text = step.and_then(|s| lesson.steps.get(s)).map(|s| s.body.as_str()).unwrap_or("");
        markdown::parse(text)
    });
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
        let onseek = props.onseek.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(n) = to {
                onseek.emit(n);
            }
        })
    };

    html! {
        <section class="panel narration" data-testid="narration" aria-labelledby="narration-title">
            <div class="narration-head">
                <p class="eyebrow">
                    { match step { Some(s) => format!("Lesson step {} of {count}", s + 1), None => format!("{count} lesson steps") } }
                </p>
                <div class="step-nav">
                    <button type="button" class="btn-small" aria-label="Previous lesson step" title="Previous lesson step"
                        disabled={prev.is_none()} onclick={seek(prev)}>{ "‹" }</button>
                    <button type="button" class="btn-small" aria-label="Next lesson step" title="Next lesson step"
                        disabled={next.is_none()} onclick={seek(next)}>{ "›" }</button>
                </div>
            </div>
            <h2 id="narration-title" class="narration-title">
                { title.unwrap_or_else(|| props.lesson.title.clone()) }
            </h2>
            <div class="narration-body">
                { markdown::render(&body) }
            </div>
            <nav class="outline" aria-label="Lesson steps">
                <ol>
                    { for steps.iter().enumerate().map(|(i, s)| {
                        let to = step_cursor(props.anchors.get(i).copied().flatten());
                        let state = match step {
                            Some(c) if c == i => "current",
                            Some(c) if i < c => "done",
                            _ => "todo",
                        };
                        html! {
                            <li key={i}>
                                <button type="button" class={classes!("outline-step", state)}
                                    aria-current={(state == "current").then_some("step")}
                                    aria-label={format!("Lesson step {}: {}", i + 1, s.title)}
                                    title={s.title.clone()}
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
