use crate::shared::Shared;

use mailroom_core::trace::Protocol;
use mailroom_core::world::LessonRun;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::class;
use crate::components::icons;
use crate::hooks::use_next_frame;
use crate::present::{self, LineEnd, PreviewLine, Wire};
use crate::state::Action;

/// Lines of a message shown while its row is not selected (selected, it shows whole).
const MESSAGE_PREVIEW_LINES: usize = 4;

#[derive(Properties, PartialEq)]
pub struct TranscriptRowProps {
    pub run: Shared<LessonRun>,
    pub index: usize,
    pub current: bool,
    pub selected: bool,
    /// In the Tab order (roving tabindex: one row of the transcript is).
    pub tabbable: bool,
    pub show_line_ends: bool,
    /// Show what an eavesdropper on the wire sees of this row, if it is encrypted.
    pub eavesdropper: bool,
    /// Selecting the row sends [`Action::Select`].
    pub dispatch: Callback<Action>,
}

fn line(text: &str, end: LineEnd, show_end: bool) -> Html {
    html! {
        <span class="wire-line">
            { text.to_string() }
            if show_end && end != LineEnd::None {
                { icons::line_end(end, "") }
            }
        </span>
    }
}

/// A line of the message after `DATA`: a dot added by dot-stuffing is marked and named.
fn data_line(text: &str, end: LineEnd, show_end: bool) -> Html {
    if !present::is_dot_stuffed(text) {
        return line(text, end, show_end);
    }
    html! {
        <span class="wire-line stuffed" data-testid="stuffed-line">
            <mark class="stuffed-dot" title="the extra dot added by dot-stuffing (RFC 5321 §4.5.2)">{ "." }</mark>
            { text[1..].to_string() }
            if show_end && end != LineEnd::None {
                { icons::line_end(end, "") }
            }
            <span class="stuffed-note">{ " ← extra dot (dot-stuffing)" }</span>
        </span>
    }
}

/// Brings a row into sight, and then its dot-stuffed line if it has one: the line the
/// narration asks students to look at, even when the row is taller than the list.
pub fn reveal_row(row: &web_sys::HtmlElement) {
    let Some(list) = row.parent_element().and_then(|l| l.dyn_into::<web_sys::HtmlElement>().ok()) else {
        return;
    };
    reveal_in(&list, row);
    if let Some(line) =
        row.query_selector("[data-testid=stuffed-line]").ok().flatten().and_then(|l| l.dyn_into().ok())
    {
        reveal_in(&list, &line);
    }
}

/// Scrolls `container` (not the page) so that `el` is in sight, its top first. Offsets
/// are from the list, which is positioned (CSS).
pub fn reveal_in(container: &web_sys::HtmlElement, el: &web_sys::HtmlElement) {
    let (top, height) = (container.scroll_top(), container.client_height());
    let (el_top, el_bottom) = (el.offset_top(), el.offset_top() + el.offset_height());
    if el_top < top {
        container.set_scroll_top(el_top);
    } else if el_bottom > top + height {
        container.set_scroll_top((el_bottom - height).min(el_top));
    }
}

/// One event of the transcript. Its props only change when this row's own state does,
/// so a step re-renders two rows (the old and the new current one), not the whole list.
#[component]
pub fn TranscriptRow(props: &TranscriptRowProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        // Again when line ends or the eavesdropper's view appear or vanish: the rows change
        // height; and when the row is selected: a message then shows whole (and the one
        // selected before shrinks back). In the frame that shows the step (`use_next_frame`).
        let deps = (props.current || props.selected).then_some((
            props.current,
            props.selected,
            props.show_line_ends,
            props.eavesdropper,
        ));
        use_next_frame(deps, move |_| {
            // Only the transcript scrolls, never the page (at 150 % zoom the page itself
            // scrolls, and would hide the header and the diagram).
            if let Some(el) = node.cast::<web_sys::HtmlElement>().filter(|el| {
                el.is_connected()
                    && (el.has_attribute("aria-current")
                        || el.get_attribute("aria-selected").is_some_and(|s| s == "true"))
            }) {
                reveal_row(&el);
            }
        });
    }

    let trace = &props.run.trace;
    let Some(ev) = trace.events.get(props.index) else { return Html::default() };
    let speaker = present::speaker(trace, ev);
    let host = |id: usize| trace.hosts.get(id).map(|h| h.name.as_str()).unwrap_or("?");
    let route_text = if ev.travels() {
        [present::short_name(host(ev.from)), present::short_name(host(ev.to))].join(present::ROUTE_ARROW)
    } else {
        present::short_name(host(ev.from)).to_string()
    };
    let route_title = if ev.travels() {
        format!("from {} to {}", host(ev.from), host(ev.to))
    } else {
        host(ev.from).to_string()
    };

    // Line ends matter in SMTP and POP3 (CRLF, RFC 1939 §3); DNS is shown in presentation
    // form, not as wire bytes.
    let show_end = props.show_line_ends && matches!(ev.protocol, Protocol::Smtp | Protocol::Pop3);
    let body = match present::wire(ev) {
        Wire::Lines(lines) => html! {
            <div class="wire">{ for lines.iter().map(|(t, e)| line(t, *e, show_end)) }</div>
        },
        // Whole when the row is selected (Enter, a click, ↑ ↓): no button inside the row,
        // whose role (option) may hold no other control.
        Wire::Message(lines) => {
            let shown: Vec<PreviewLine> = if props.selected || lines.len() <= MESSAGE_PREVIEW_LINES + 1 {
                (0..lines.len()).map(PreviewLine::Line).collect()
            } else {
                present::message_preview(&lines, MESSAGE_PREVIEW_LINES)
            };
            html! {
                <div class="wire wire-message">
                    { for shown.iter().map(|p| match *p {
                        PreviewLine::Line(i) => data_line(&lines[i].0, lines[i].1, show_end),
                        PreviewLine::Gap(n) => html! {
                            <span class="wire-gap">
                                { format!("⋮ {n} more {}: click (or Enter) to see all", if n == 1 { "line" } else { "lines" }) }
                            </span>
                        },
                    }) }
                </div>
            }
        }
        Wire::Action(text) => html! { <div class="wire wire-action">{ text }</div> },
        Wire::Note(text) => html! { <div class="wire wire-note">{ text }</div> },
    };

    let onclick = {
        let index = props.index;
        props.dispatch.reform(move |_: MouseEvent| Action::Select(Some(index)))
    };
    let onkeydown = {
        let (dispatch, index, node, selected) =
            (props.dispatch.clone(), props.index, node.clone(), props.selected);
        Callback::from(move |e: KeyboardEvent| {
            let Some(row) = node.cast::<web_sys::Element>() else { return };
            // Keys pressed on the row itself only: a button inside it keeps Enter and Space.
            let on_row =
                e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|t| t == row);
            if !on_row || e.alt_key() || e.ctrl_key() || e.meta_key() {
                return;
            }
            // Marked as handled, so the page's shortcuts leave the key alone (Space
            // selects the row here, it does not also play).
            match e.key().as_str() {
                "Enter" | " " | "Spacebar" => {
                    e.prevent_default();
                    dispatch.emit(Action::Select(Some(index)));
                }
                // Back to following the current step, as the card's "back to the current
                // step" does; in presenter mode Esc ends presenting, as it says.
                "Escape" if selected && !crate::hooks::presenting_now() => {
                    e.prevent_default();
                    dispatch.emit(Action::Select(None));
                }
                "ArrowUp" | "ArrowDown" => {
                    e.prevent_default();
                    let (next, to) = if e.key() == "ArrowUp" {
                        (row.previous_element_sibling(), index.checked_sub(1))
                    } else {
                        (row.next_element_sibling(), Some(index + 1))
                    };
                    if let (Some(next), Some(to)) =
                        (next.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()), to)
                    {
                        dispatch.emit(Action::Select(Some(to)));
                        let _ = next.focus();
                    }
                }
                _ => {}
            }
        })
    };
    let class = class!(
        "row",
        format!("fam-{}", ev.kind.family().css_class()),
        props.current.then_some("current"),
        props.selected.then_some("selected"),
    );
    html! {
        <li
            ref={node}
            {class}
            data-testid="transcript-row"
            data-index={props.index.to_string()}
            role="option"
            aria-selected={props.selected.to_string()}
            aria-current={props.current.then_some("step")}
            tabindex={if props.tabbable { "0" } else { "-1" }}
            {onclick}
            {onkeydown}
        >
            if let Some(gap) = present::time_gap(trace, props.index) {
                <span class="row-gap" data-testid="time-gap">{ icons::clock() }{ gap }</span>
            }
            <span class="row-time" title="when this arrived (simulated time)">{ present::row_time(ev.at) }</span>
            <span class="row-who" title={speaker.describe()}>
                { speaker.prefix() }<span class="visually-hidden">{ format!(" ({})", speaker.describe()) }</span>
            </span>
            <span class="row-route" title={route_title}>{ route_text }</span>
            { body }
            if props.eavesdropper {
                if let Some(seen) = present::wire_view(trace, props.index) {
                    <div class="wire-seen" data-testid="wire-seen">{ seen }</div>
                }
            }
        </li>
    }
}
