//! The conversation as a sequence diagram in HTML (full build's worksheet): a lane per
//! host, an arrow per event with what it says, numbered; the replies in `blanks` show an
//! empty numbered box to fill in. A grid of half-lane columns places each arrow from the
//! centre of its sender's lane to the centre of its receiver's, so it prints across pages
//! row by row.

use yew::prelude::*;

use mailroom_core::export;
use mailroom_core::world::LessonRun;

use crate::shared::Shared;

#[derive(Properties, PartialEq)]
pub struct SequenceProps {
    pub run: Shared<LessonRun>,
    /// The replies left blank, by event index, numbered in this order.
    pub blanks: Vec<usize>,
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
    let rows = export::sequence(trace);
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
    let arrows = rows.iter().map(|row| {
        let fam = format!("fam-{}", row.family.css_class());
        let blank = props.blanks.iter().position(|&b| b == row.index);
        let said = match blank {
            Some(k) => html! {
                <span class="seq-blank" data-testid="blank">{ format!("({})", k + 1) }</span>
            },
            None => html! { <span class="seq-label" title={row.label.clone()}>{ row.label.clone() }</span> },
        };
        let who = if row.from == row.to {
            format!("{}: ", name(row.from))
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
            let class = if b > a { "seq-arrow right" } else { "seq-arrow left" };
            html! { <span class={class} style={format!("grid-column: {} / {}", a.min(b), a.max(b))}>{ said }</span> }
        };
        html! {
            <li key={row.index} class={classes!("seq-row", fam)} data-testid="seq-row">
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
            <ol class="seq-rows" aria-label="The conversation, arrow by arrow">{ for arrows }</ol>
        </div>
    }
}
