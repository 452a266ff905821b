//! The conversation as a sequence diagram in HTML: a lane per host, an arrow per event
//! with what it says, numbered. In the player (`cursor`) only the events shown so far, the
//! current one marked and drawn in; on a worksheet every event up to `until`, the events
//! in `blanks` show an empty numbered box to fill in, and those in `unsaid` have no
//! arrowhead. A grid of half-lane columns places each arrow from the centre of its
//! sender's lane to the centre of its receiver's, so it prints across pages row by row.

use yew::prelude::*;

use mailroom_core::export;
use mailroom_core::world::LessonRun;

use crate::class;
use crate::shared::Shared;

#[derive(Properties, PartialEq)]
pub struct SequenceProps {
    pub run: Shared<LessonRun>,
    /// The events left blank, by event index, numbered in this order (an event that would
    /// give one away shows its number too: `export::box_of`).
    #[prop_or_default]
    pub blanks: Vec<usize>,
    /// The events drawn without their arrowhead, which would say who sends them (a
    /// worksheet's speaker questions).
    #[prop_or_default]
    pub unsaid: Vec<usize>,
    /// In the player: how many events are shown (the last one is the current event);
    /// `None`: all of them.
    #[prop_or_default]
    pub cursor: Option<usize>,
    /// On a worksheet: how many events are drawn (the ones after would answer one of its
    /// questions); `None`: all of them.
    #[prop_or_default]
    pub until: Option<usize>,
}

/// The grid lines of host `h`'s lane: the first column holds the row numbers, then two
/// columns per host; its centre is line `3 + 2h`.
fn centre(h: usize) -> usize {
    3 + 2 * h
}

#[component]
pub fn Sequence(props: &SequenceProps) -> Html {
    let trace = &props.run.trace;
    let n = trace.hosts.len();
    // The arrows' texts are made once per run, not at every step.
    let rows = use_memo(props.run.clone(), |run| export::sequence(&run.trace));
    let shown = props.cursor.unwrap_or(rows.len()).min(props.until.unwrap_or(rows.len())).min(rows.len());
    // In the player, as in the transcript, a window of arrows before the current one.
    let start =
        if props.cursor.is_some() { crate::components::transcript::first_row(shown, 1, None) } else { 0 };
    let current = props.cursor.and_then(|c| c.checked_sub(1));
    let name = |h: usize| trace.hosts.get(h).map_or("?", |i| i.label.as_str());
    let lanes = (0..n)
        .map(|h| html! { <span class="seq-lane" style={format!("grid-column: {} / span 2", 2 + 2 * h)} /> });
    let heads = trace.hosts.iter().enumerate().map(|(h, info)| {
        html! {
            <span class="seq-host" style={format!("grid-column: {} / span 2", 2 + 2 * h)}>
                <strong>{ info.label.clone() }</strong><small>{ info.name.clone() }</small>
            </span>
        }
    });
    let arrows = rows[start..shown].iter().map(|row| {
        let unsaid = props.unsaid.contains(&row.index);
        // Grey where who sends it is the question: a reply's colour would answer it.
        let fam = if unsaid { "fam-note".to_string() } else { format!("fam-{}", row.family.css_class()) };
        let is_current = current == Some(row.index);
        let blank = export::box_of(trace, &props.blanks, row.index);
        let said = match blank {
            Some(k) => html! {
                <span class="seq-blank" data-testid="blank">{ format!("({})", k + 1) }</span>
            },
            None => html! { <span class="seq-label" title={row.label.clone()}>{ row.label.clone() }</span> },
        };
        let who = if row.from == row.to {
            format!("{}: ", name(row.from))
        } else if unsaid {
            format!("between {} and {}, who sends it? ", name(row.from.min(row.to)), name(row.from.max(row.to)))
        } else {
            format!("{} to {}: ", name(row.from), name(row.to))
        };
        let shape = if row.from == row.to {
            // Inside one host: beside its lane, on the side with more room.
            let (c, right_half) = (centre(row.from), 2 * row.from + 1 >= n);
            let (span, class) = if right_half { (format!("2 / {c}"), "seq-local end") } else { (format!("{c} / -1"), "seq-local") };
            html! { <span class={class} style={format!("grid-column: {span}")}>{ said }</span> }
        } else {
            let (a, b) = (centre(row.from), centre(row.to));
            let (lo, hi) = (a.min(b), a.max(b));
            let class = match (unsaid, b > a) {
                (true, _) => "seq-arrow",
                (false, true) => "seq-arrow right",
                (false, false) => "seq-arrow left",
            };
            let line = |inside: Html| html! { <span {class} style={format!("grid-column: {lo} / {hi}")}>{ inside }</span> };
            if blank.is_some() {
                line(said)
            } else {
                // The words over the arrow run on past its end, to the side with more room:
                // between neighbouring lanes an arrow is too short for a command line.
                let (span, end) =
                    if 2 * n + 2 - hi >= lo - 2 { (format!("{lo} / -1"), "") } else { (format!("2 / {hi}"), " end") };
                html! {
                    <>
                        { line(Html::default()) }
                        <span class={format!("seq-say{end}")} style={format!("grid-column: {span}")}>{ said }</span>
                    </>
                }
            }
        };
        html! {
            <li key={row.index} class={class!("seq-row", fam, is_current.then_some("current"))}
                aria-current={is_current.then_some("step")} data-testid="seq-row">
                <span class="seq-num">{ row.index + 1 }</span>
                <span class="visually-hidden">{ who }</span>
                { shape }
            </li>
        }
    });
    html! {
        <div class="seq" style={format!("--cols: {}", 2 * n)} data-testid="sequence">
            <div class="seq-lanes" aria-hidden="true">{ for lanes }</div>
            <div class="seq-head" aria-hidden="true">{ for heads }</div>
            if start > 0 {
                <p class="muted seq-earlier">{ format!("{start} earlier steps: see the transcript") }</p>
            }
            <ol class="seq-rows" aria-label="The conversation, arrow by arrow">{ for arrows }</ol>
        </div>
    }
}
