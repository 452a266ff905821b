use crate::shared::Shared;

use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::components::transcript_row::{TranscriptRow, reveal_row};
use crate::hooks::{keep_in_sight, stop_watching};
use crate::present::Speaker;
use crate::state::Action;

/// Rows are rendered in memoised chunks of this many events, so a step compares a few
/// chunk props instead of one props value per row, however many windows were asked for.
const CHUNK: usize = 32;

/// How many rows before the current one are in the page; earlier ones come a window at a
/// time on demand ("Show earlier steps"). The browser's work in a step (style, layout,
/// paint) grows with the rows in the page, so that a step costs about the same on a trace
/// of 10,000 events as on a lesson's 50, the page holds about as many rows as a lesson
/// has: 64 to 95 (a window of 256 cost a step at 4× CPU 72 ms of main-thread work against
/// 53–55 ms, README). A multiple of [`CHUNK`].
pub const WINDOW: usize = 2 * CHUNK;

/// The first row in the page: a window before the last row shown (more windows when
/// asked for), and never after the selected row; at the start of its chunk.
pub fn first_row(shown: usize, windows: usize, selected: Option<usize>) -> usize {
    let start = shown.saturating_sub(WINDOW.saturating_mul(windows.max(1)));
    let start = selected.filter(|s| *s < shown).map_or(start, |s| start.min(s));
    start / CHUNK * CHUNK
}

#[derive(Properties, PartialEq)]
pub struct TranscriptProps {
    pub run: Shared<LessonRun>,
    pub cursor: usize,
    pub selected: Option<usize>,
    pub show_line_ends: bool,
    /// Show what an eavesdropper on the wire sees of encrypted connections.
    pub eavesdropper: bool,
    /// The player's reducer: the buttons send their actions straight to it (one callback
    /// that stays the same from render to render).
    pub dispatch: Callback<Action>,
    /// What the empty transcript says (the player's default: press Play).
    #[prop_or_default]
    pub empty: Option<AttrValue>,
}

/// Everything said so far, one row per event; the future stays hidden.
#[component]
pub fn Transcript(props: &TranscriptProps) -> Html {
    let shown = props.cursor.min(props.run.trace.len());
    // Windows of earlier rows asked for; back to one for another lesson.
    let windows = use_state(|| 1usize);
    let list = use_node_ref();
    // Its "who to whom" column as wide as the trace's longest route needs, once a trace.
    let route = use_memo(props.run.clone(), |run| crate::present::route_width(&run.trace));
    {
        // One effect for both (each effect is code of its own in the wasm): back to one
        // window for another lesson, and the current row kept in sight when the list's
        // size changes (presenter mode, a resized window).
        let (windows, list) = (windows.clone(), list.clone());
        use_effect_with(props.run.clone(), move |_| {
            windows.set(1);
            let watching = list.cast::<web_sys::HtmlElement>().and_then(|el| keep_in_sight(&el, reveal_row));
            move || stop_watching(watching)
        });
    }
    let start = first_row(shown, *windows, props.selected);
    let current = shown.checked_sub(1);
    let within = |i: Option<usize>, start: usize| i.filter(|i| (start..start + CHUNK).contains(i));
    // Roving tabindex: one row is in the Tab order (the selected one, else the current
    // one); ↑ and ↓ move between rows. Tab reaches the controls after one stop here.
    let tabbable = props.selected.filter(|s| *s < shown).or(current);
    html! {
        <section class="panel transcript-panel" aria-labelledby="transcript-heading" aria-describedby="transcript-hint">
            <div class="panel-head">
                <h2 id="transcript-heading" class="panel-title">{ "Transcript" }</h2>
                <p id="transcript-hint" class="panel-hint">
                    { "One row is one step, at the time it arrived. Click a row, or use ↑ ↓, to explain it." }
                </p>
            </div>
            // The key to the rows, on screen (a projector and a touch screen show no
            // tooltips): who speaks, and what the time is.
            // Only where a connection switches to TLS (STARTTLS): the wire's side of it.
            if crate::present::has_tls(&props.run.trace) {
                <label class="eavesdropper-toggle" title="What someone on the network between the two hosts would capture">
                    <input
                        type="checkbox"
                        data-testid="eavesdropper"
                        checked={props.eavesdropper}
                        onchange={props.dispatch.reform(|_: Event| Action::ToggleEavesdropper)}
                    />
                    <span>{ "Eavesdropper's view" }</span>
                </label>
            }
            <p class="transcript-legend" data-testid="transcript-legend">
                { for Speaker::ALL.iter().map(|s| html! {
                    <span class="legend-item">
                        <span class="row-who">{ s.prefix() }</span>{ " " }{ s.describe() }
                    </span>
                }) }
            </p>
            // Not inside the list: an `if` next to a keyed list makes Yew rebuild every row.
            if shown == 0 {
                <p class="transcript-empty">{ props.empty.clone().unwrap_or_else(|| "Nothing has been said yet. Press Play or → to begin.".into()) }</p>
            }
            if start > 0 {
                <p class="transcript-more">
                    <button type="button" class="link-button" data-testid="earlier-rows"
                        onclick={let w = windows.clone(); move |_: MouseEvent| w.set(*w + 1)}>
                        { match start {
                            1 => "Show the earlier step".to_string(),
                            2..=WINDOW => format!("Show the {start} earlier steps"),
                            _ => format!("Show {WINDOW} earlier steps"),
                        } }
                    </button>
                    if start > WINDOW {
                        <span class="muted">{ format!(" ({start} not shown)") }</span>
                    }
                </p>
            }
            <ol ref={list} class="transcript" data-testid="transcript" role="listbox" aria-label="Transcript" aria-describedby="transcript-hint"
                style={format!("--route:{}.{}ch", *route / 10, *route % 10)}>
                { for (start..shown).step_by(CHUNK).map(|start| html! {
                    <TranscriptChunk
                        key={start}
                        run={props.run.clone()}
                        {start}
                        end={(start + CHUNK).min(shown)}
                        current={within(current, start)}
                        selected={within(props.selected, start)}
                        tabbable={within(tabbable, start)}
                        show_line_ends={props.show_line_ends}
                        eavesdropper={props.eavesdropper}
                        dispatch={props.dispatch.clone()}
                    />
                }) }
            </ol>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct TranscriptChunkProps {
    pub run: Shared<LessonRun>,
    pub start: usize,
    /// One past the last row of the chunk.
    pub end: usize,
    /// The current event, when it is in this chunk.
    pub current: Option<usize>,
    /// The selected event, when it is in this chunk.
    pub selected: Option<usize>,
    /// The row in the Tab order, when it is in this chunk.
    pub tabbable: Option<usize>,
    pub show_line_ends: bool,
    pub eavesdropper: bool,
    pub dispatch: Callback<Action>,
}

/// Up to [`CHUNK`] rows, directly inside the transcript's `<ol>` (a fragment).
#[component]
pub fn TranscriptChunk(props: &TranscriptChunkProps) -> Html {
    html! {
        { for (props.start..props.end).map(|i| html! {
            <TranscriptRow
                key={i}
                run={props.run.clone()}
                index={i}
                current={Some(i) == props.current}
                selected={Some(i) == props.selected}
                tabbable={Some(i) == props.tabbable}
                show_line_ends={props.show_line_ends}
                eavesdropper={props.eavesdropper}
                dispatch={props.dispatch.clone()}
            />
        }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_holds_a_window_of_rows_before_the_current_one() {
        // (rows shown, windows asked for, selected row) -> first row in the page
        let cases = [
            (0, 1, None, 0),
            (40, 1, None, 0),
            (WINDOW, 1, None, 0),
            (WINDOW + 1, 1, None, 0),
            (WINDOW + CHUNK, 1, None, CHUNK),
            (10_000, 1, None, (10_000 - WINDOW) / CHUNK * CHUNK),
            (10_000, 2, None, (10_000 - 2 * WINDOW) / CHUNK * CHUNK),
            (10_000, usize::MAX, None, 0),
            // A selected row far back stays in the page, and so do the rows after it.
            (10_000, 1, Some(130), 128),
            // A selection not yet shown does not count.
            (1_000, 1, Some(5_000), (1_000 - WINDOW) / CHUNK * CHUNK),
        ];
        for (shown, windows, selected, want) in cases {
            assert_eq!(first_row(shown, windows, selected), want, "{shown} {windows} {selected:?}");
        }
    }
}
