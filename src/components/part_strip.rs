use crate::shared::Shared;

use mailroom_core::lesson::Lesson;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

use crate::class;
use crate::state::{Action, step_cursor};

#[derive(Properties, PartialEq)]
pub struct PartStripProps {
    pub lesson: Shared<Lesson>,
    /// For each lesson step, its event (`None` = the start).
    pub anchors: Vec<Option<usize>>,
    /// The part shown (`None`: before the first).
    pub step: Option<usize>,
    /// The player's reducer: choosing a part sends [`Action::Seek`].
    pub dispatch: Callback<Action>,
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

/// The narration's strip of the lesson's parts, one numbered cell each, to jump between
/// them. A component of its own, whose props change only when the part does: a step
/// inside a part does not compare its cells again.
#[component]
pub fn PartStrip(props: &PartStripProps) -> Html {
    let step = props.step;
    // The current part's cell is in sight (the strip scrolls sideways when it is narrow).
    let strip_ref = use_node_ref();
    {
        let strip_ref = strip_ref.clone();
        use_effect_with((props.lesson.id.clone(), step), move |_| {
            // It needs a layout: done in the next frame, not in the key press.
            if let Some(window) = web_sys::window() {
                let scroll = Closure::once_into_js(move || reveal_current(&strip_ref));
                let _ = window.request_animation_frame(scroll.unchecked_ref());
            }
        });
    }
    let seek = |to: usize| props.dispatch.reform(move |_: MouseEvent| Action::Seek(to));
    let steps = &props.lesson.steps;
    html! {
        <nav class="outline" aria-label="Parts of the lesson">
        <ol ref={strip_ref.clone()}>
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
                            onclick={seek(to)}>
                            { i + 1 }
                        </button>
                    </li>
                }
            }) }
        </ol>
    </nav>
    }
}
