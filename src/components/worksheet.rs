//! A lesson's worksheet (full build, `#/worksheet/<id>`): the network, the conversation as
//! a sequence diagram with chosen replies left blank (those the lesson's questions ask
//! about, else every reply with a code: `export::blanks`) and the events its speaker
//! questions ask about blank and without their arrowhead (up to an `outcome` question's
//! step, or a refused reply's, whose answer the steps after it would draw:
//! `export::worksheet_end`), the lesson's questions, and an answer key on a page of its
//! own (printed with "With the answer key" ticked; a class's copies go without it). The
//! answers are the engine's.

use yew::prelude::*;

use mailroom_core::export;

use crate::components::diagram::Diagram;
use crate::components::sequence::Sequence;
use crate::components::sheet_bar::{SheetBar, sheet_notice, use_sheet_title};
use crate::hooks::{use_sheet_lesson, use_sheet_style};
use crate::route::Sheet;

#[derive(Properties, PartialEq)]
pub struct WorksheetProps {
    /// The lesson's id.
    pub id: String,
}

#[component]
pub fn Worksheet(props: &WorksheetProps) -> Html {
    use_sheet_style();
    // Its own page at the end, printed only when the teacher ticks it: the copies for a
    // class, printed as the sheet opens, go without the answers.
    let with_key = use_state(|| false);
    let loaded = use_sheet_lesson(&props.id);
    let title = match &loaded {
        Some(Ok((lesson, _))) => format!("Worksheet: {} · Mailroom", lesson.title),
        _ => "Worksheet · Mailroom".to_string(),
    };
    use_sheet_title(title);
    let Some(Ok((lesson, run))) = loaded.clone() else { return sheet_notice(&loaded) };
    let trace = &run.trace;
    let blanks = export::blanks(&lesson, &run);
    let unsaid = export::unsaid_senders(&lesson, &run);
    let end = export::worksheet_end(&lesson, &run);
    // Boxes that repeat one (the relay's own 354 after the client's).
    let repeats = (0..end).any(|i| !blanks.contains(&i) && export::box_of(trace, &blanks, i).is_some());
    let items = export::quiz_items(&lesson, &run);
    let host = |h: usize| trace.hosts.get(h).map_or("?", |i| i.label.as_str());
    let questions = items.iter().map(|item| {
        let q = item.question;
        html! {
            <li class="sheet-question" data-testid="question">
                <p>{ q.prompt.clone() }</p>
                if q.choices.is_empty() {
                    <p class="write-in">{ "Your answer: " }<span class="line" /></p>
                } else {
                    <ul class="choices">
                        { for q.choices.iter().map(|c| html! { <li>{ c.clone() }</li> }) }
                    </ul>
                }
            </li>
        }
    });
    let key_blanks = blanks.iter().enumerate().map(|(k, &b)| {
        let ev = &trace.events[b];
        html! {
            <li data-testid="key-blank">
                <strong>{ format!("({}) ", k + 1) }</strong>
                { format!("step {}, {} to {}: ", b + 1, host(ev.from), host(ev.to)) }
                <code>{ export::blank_answer(trace, b) }</code>
            </li>
        }
    });
    let key_questions = items.iter().map(|item| {
        let right = item.answer.choice.and_then(|c| item.question.choices.get(c));
        html! {
            <li data-testid="key-question">
                <p>{ item.question.prompt.clone() }</p>
                <p><strong>{ right.cloned().unwrap_or_else(|| item.answer.text.clone()) }</strong></p>
                <p class="sheet-meta">{ format!("In the simulation: {}", item.happens) }</p>
            </li>
        }
    });
    html! {
        <main class="sheet worksheet" data-testid="worksheet" data-lesson={lesson.id.clone()} aria-labelledby="sheet-title">
            <SheetBar lesson={lesson.clone()} run={run.clone()} sheet={Sheet::Worksheet} blanks={blanks.clone()}
                answer_key={Some(with_key.clone())} />
            <header class="sheet-head">
                <p class="sheet-kind">{ "Mailroom · worksheet" }</p>
                <h1 id="sheet-title">{ lesson.title.clone() }</h1>
                <p class="sheet-name">{ "Name: " }<span class="line" />{ " Date: " }<span class="line short" /></p>
            </header>
            <section class="sheet-section sheet-diagram" aria-labelledby="worksheet-network">
                <h2 id="worksheet-network">{ "The network" }</h2>
                <Diagram run={run.clone()} cursor={0} travel_ms={0} />
            </section>
            <section class="sheet-section" aria-labelledby="worksheet-sequence">
                <h2 id="worksheet-sequence">{ "The conversation" }</h2>
                <p>{ format!(
                    "Each arrow is one step, in order, from the host that sends it to the one that receives it. \
                     Fill in {}: what does the server answer?{}",
                    match blanks.len() {
                        1 => "the numbered box".to_string(),
                        n => format!("the {n} numbered boxes"),
                    },
                    if unsaid.is_empty() { "" } else { " Where a line has no arrowhead, who sends it, and what?" }
                ) }</p>
                if repeats {
                    <p>{ "A number that comes again is the same kind of answer again, further on in the conversation: \
                          the same code to the same command. Its words may differ (another server's name; \
                          what a server offers after STARTTLS)." }</p>
                }
                if end < trace.events.len() {
                    <p data-testid="sequence-end">{ match end {
                        0 => "None of the conversation is drawn: what happens is one of the questions below.".to_string(),
                        // A question on how it ends, or a refusal asked about (its
                        // bounce, its retry would say which code it was).
                        _ => format!("The conversation stops after step {end}: what happens next would answer the questions below."),
                    } }</p>
                }
                <Sequence run={run.clone()} blanks={blanks.clone()} {unsaid} until={end} />
            </section>
            if !items.is_empty() {
                <section class="sheet-section" aria-labelledby="worksheet-questions">
                    <h2 id="worksheet-questions">{ "Questions" }</h2>
                    <ol class="sheet-questions">{ for questions }</ol>
                </section>
            }
            <section class="sheet-section answer-key" data-testid="answer-key" aria-labelledby="worksheet-key"
                hidden={!*with_key}>
                <h2 id="worksheet-key">{ format!("Answer key: {}", lesson.title) }</h2>
                <h3>{ "The boxes" }</h3>
                <ul class="key-list plain">{ for key_blanks }</ul>
                if !items.is_empty() {
                    <h3>{ "The questions" }</h3>
                    <ol class="key-list">{ for key_questions }</ol>
                }
                <p class="sheet-meta">{ "The answers are what the simulation does, not what the lesson's text says." }</p>
            </section>
        </main>
    }
}
