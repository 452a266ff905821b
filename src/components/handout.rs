//! A lesson's hand-out (full build, `#/handout/<id>`): its title, the network at the end
//! of the lesson, the narration of every part, and the whole transcript, on a page made to
//! be printed (`styles/sheets.css`).

use yew::prelude::*;

use mailroom_core::export;

use crate::components::diagram::Diagram;
use crate::components::sheet_bar::{SheetBar, sheet_notice, use_sheet_title};
use crate::hooks::{use_sheet_lesson, use_sheet_style};
use crate::markdown;
use crate::route::Sheet;

#[derive(Properties, PartialEq)]
pub struct HandoutProps {
    /// The lesson's id.
    pub id: String,
}

#[component]
pub fn Handout(props: &HandoutProps) -> Html {
    use_sheet_style();
    let loaded = use_sheet_lesson(&props.id);
    let title = match &loaded {
        Some(Ok((lesson, _))) => format!("Hand-out: {} · Mailroom", lesson.title),
        _ => "Hand-out · Mailroom".to_string(),
    };
    use_sheet_title(title);
    let Some(Ok((lesson, run))) = loaded.clone() else { return sheet_notice(&loaded) };
    let total = run.trace.len();
    let parts = lesson.steps.iter().enumerate().map(|(i, step)| {
        html! {
            <article class="sheet-part" data-testid="handout-part">
                <h3>{ format!("Part {}: {}", i + 1, step.title) }</h3>
                <div class="narration-body">{ markdown::render(&markdown::parse(&step.body)) }</div>
            </article>
        }
    });
    html! {
        <main class="sheet handout" data-testid="handout" data-lesson={lesson.id.clone()} aria-labelledby="sheet-title">
            <SheetBar lesson={lesson.clone()} run={run.clone()} sheet={Sheet::Handout} blanks={Vec::new()} />
            <header class="sheet-head">
                <p class="sheet-kind">{ "Mailroom · hand-out" }</p>
                <h1 id="sheet-title">{ lesson.title.clone() }</h1>
                <p class="sheet-summary">{ lesson.summary.clone() }</p>
                <p class="sheet-meta">{ match lesson.steps.len() { 1 => format!("1 part · {total} steps"), n => format!("{n} parts · {total} steps") } }</p>
            </header>
            <section class="sheet-section sheet-diagram" aria-labelledby="handout-network">
                <h2 id="handout-network">{ "The network at the end of the lesson" }</h2>
                <Diagram run={run.clone()} cursor={total} travel_ms={0} />
            </section>
            <section class="sheet-section" aria-labelledby="handout-parts">
                <h2 id="handout-parts">{ "The lesson, part by part" }</h2>
                { for parts }
            </section>
            <section class="sheet-section sheet-transcript" aria-labelledby="handout-transcript">
                <h2 id="handout-transcript">{ "Transcript" }</h2>
                // A block per event, so that none is cut in two on paper.
                <div data-testid="handout-transcript">
                    { for export::transcript_text(&run.trace).split("\n\n").map(|event| html! { <pre>{ event.to_string() }</pre> }) }
                </div>
            </section>
        </main>
    }
}
