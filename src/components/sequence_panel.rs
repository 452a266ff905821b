//! The sequence diagram in the player, in place of the network diagram (the S key, or
//! the switch above it): an arrow per event shown so far, the current one marked and drawn
//! in, kept in sight as the lesson steps on. Its panel scrolls, never the page.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

use mailroom_core::world::LessonRun;

use crate::components::sequence::Sequence;
use crate::shared::Shared;

#[derive(Properties, PartialEq)]
pub struct SequencePanelProps {
    pub run: Shared<LessonRun>,
    pub cursor: usize,
    /// Presenter mode: the type grows, so the current row is brought into sight again.
    pub presenting: bool,
}

/// The top of `el` in `panel`'s scrolled content: offsets summed up to the panel (which is
/// positioned, CSS).
fn top_in(panel: &web_sys::HtmlElement, el: web_sys::HtmlElement) -> i32 {
    let (mut top, mut el) = (0, Some(el));
    while let Some(e) = el {
        top += e.offset_top();
        el = e.offset_parent().filter(|p| !p.is_same_node(Some(panel))).and_then(|p| p.dyn_into().ok());
    }
    top
}

/// Scrolls `panel` so that its current row is in sight below the sticky host names, or
/// to the top before anything happened.
fn reveal_current(panel: &web_sys::HtmlElement) {
    let find = |sel: &str| {
        panel.query_selector(sel).ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    };
    let Some(row) = find("[aria-current]") else {
        panel.set_scroll_top(0);
        return;
    };
    let head = find(".seq-head").map_or(0, |h| h.offset_height());
    let height = row.offset_height();
    let top = top_in(panel, row);
    let (scroll, view) = (panel.scroll_top(), panel.client_height());
    if top - head < scroll {
        panel.set_scroll_top(top - head);
    } else if top + height > scroll + view {
        panel.set_scroll_top(top + height - view);
    }
}

#[component]
pub fn SequencePanel(props: &SequencePanelProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        // In the next animation frame, when the browser lays the page out anyway: reading
        // the layout in the key press would force one more (see `use_next_frame`). Asked for
        // in an effect, not with `use_next_frame`: the row it brings into sight is drawn by
        // the child `Sequence`, and presenter mode's larger type is set by an effect; yew
        // runs effects once every render is done, children's included.
        use_effect_with((props.cursor, props.presenting), move |_| {
            if let Some(window) = web_sys::window() {
                let scroll = Closure::once_into_js(move || {
                    if let Some(panel) = node.cast::<web_sys::HtmlElement>().filter(|p| p.is_connected()) {
                        reveal_current(&panel);
                    }
                });
                let _ = window.request_animation_frame(scroll.unchecked_ref());
            }
        });
    }
    html! {
        <section class="panel seq-panel" ref={node} tabindex="0" aria-label="Sequence diagram: the conversation so far, arrow by arrow"
            data-testid="sequence-panel">
            <Sequence run={props.run.clone()} cursor={Some(props.cursor)} />
            if props.cursor == 0 {
                <p class="muted seq-empty">{ "Nothing has happened yet: each step adds an arrow, from the host that sends to the host that receives." }</p>
            }
        </section>
    }
}
