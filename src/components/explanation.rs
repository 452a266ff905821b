use crate::shared::Shared;

use mailroom_core::explain;
use mailroom_core::trace::EventKind;
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::class;
use crate::components::icons;
use crate::components::message_dialog::MessageDialog;
use crate::present;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ExplanationCardProps {
    pub run: Shared<LessonRun>,
    /// The event to explain: the selected one, else the current one.
    pub focused: Option<usize>,
    /// True when `focused` was chosen in the transcript (not simply the current event).
    pub selected: bool,
    /// The player's reducer: the card selects another event with [`Action::Select`]
    /// (`None`: follow the current one again).
    pub dispatch: Callback<Action>,
    /// A question waits for the student's prediction: the texts, which say what comes next
    /// ("the server answers 354"), wait for it too.
    #[prop_or_default]
    pub asking: bool,
}

/// A link to the RFC section of an explanation, opening in a new tab.
pub fn rfc_link(x: &explain::Explanation) -> Html {
    html! {
        <a href={x.url()} target="_blank" rel="noopener noreferrer">
            { x.rfc }{ " " }{ icons::external() }
            <span class="visually-hidden">{ " (opens in a new tab)" }</span>
        </a>
    }
}

/// An explanation's text, with what it quotes between backticks (`* n EXISTS`, `{n}`)
/// shown as code: the catalogue's texts are plain text with code spans, never Markdown.
pub fn explanation_text(text: &str) -> Html {
    html! {
        { for text.split('`').enumerate().map(|(i, part)| if i % 2 == 1 {
            html! { <code>{ part }</code> }
        } else {
            html! { { part } }
        }) }
    }
}

/// What the event means, in a student's words, with the RFC section to read.
#[component]
pub fn ExplanationCard(props: &ExplanationCardProps) -> Html {
    // The message open in the inspector (a message after 354, a copy filed in a mailbox,
    // a bounce or warning as written): the event that carries it.
    let inspecting = use_state(|| None::<usize>);
    let trace = &props.run.trace;
    let Some(ev) = props.focused.and_then(|i| trace.events.get(i)) else {
        return html! {
            <section class="panel explanation" aria-labelledby="explanation-title" data-testid="explanation">
                <h2 id="explanation-title" class="panel-title">{ "What happens" }</h2>
                <p class="muted">
                    { "Each step is explained here: what the line means, and the RFC that says so." }
                </p>
            </section>
        };
    };
    let index = ev.index;
    let dialog = (*inspecting).filter(|i| trace.events.get(*i).is_some()).map(|i| {
        let name = |h: usize| trace.hosts.get(h).map_or("?", |h| present::short_name(&h.name)).to_string();
        let e = &trace.events[i];
        let eyebrow = match &e.kind {
            EventKind::Delivery { mailbox } => format!("Filed in {mailbox}"),
            // A bounce or a delay warning, as its server wrote it.
            EventKind::Bounce { sender } | EventKind::Delayed { sender } => {
                format!("Written by {}, to {sender}", name(e.from))
            }
            EventKind::Reply { .. } => format!("{} to {}, answering FETCH", name(e.from), name(e.to)),
            _ if e.protocol == mailroom_core::trace::Protocol::Imap => {
                format!("Appended: {} → {}", name(e.from), name(e.to))
            }
            _ => format!("Sent after 354: {} → {}", name(e.from), name(e.to)),
        };
        let close = inspecting.setter();
        html! { <MessageDialog run={props.run.clone()} index={i} {eyebrow} onclose={move |_| close.set(None)} /> }
    });
    // What the inspector can open here: a message, or the tree a BODYSTRUCTURE describes.
    let message = matches!(
        ev.kind,
        EventKind::MessageData
            | EventKind::Delivery { .. }
            | EventKind::Bounce { .. }
            | EventKind::Delayed { .. }
    );
    #[cfg(feature = "imap")]
    let structure = crate::components::inspector::body_structure(ev).is_some();
    #[cfg(not(feature = "imap"))]
    let structure = false;
    let inspectable = match (message, structure) {
        (true, _) => Some("Inspect this message ›"),
        (false, true) => Some("Inspect the structure ›"),
        (false, false) => None,
    };
    let entries = explain::event(trace, ev.index);
    let speaker = present::speaker(trace, ev);
    let first_line = match present::wire(ev) {
        present::Wire::Lines(l) | present::Wire::Message(l) => {
            l.first().map(|(t, _)| t.clone()).unwrap_or_default()
        }
        present::Wire::Action(a) | present::Wire::Note(a) => a,
    };
    let answers = trace.command_for_reply(ev.index);
    // What the reply answers, as a student would name it: the command line, or the
    // message as a whole (its first header line would read as if the reply answered it).
    let answers_text = answers.and_then(|c| trace.events.get(c)).map(|c| match present::wire(c) {
        present::Wire::Lines(l) => (l.first().map(|(t, _)| t.clone()).unwrap_or_default(), true),
        present::Wire::Message(_) => ("the message (DATA)".to_string(), false),
        present::Wire::Action(a) | present::Wire::Note(a) => (a, false),
    });

    html! {
        <section class={class!("panel", "explanation", format!("fam-{}", ev.kind.family().css_class()))}
            aria-labelledby="explanation-title" data-testid="explanation">
            <div class="explanation-head">
                <p class="eyebrow">
                    { if props.selected { format!("Selected: step {}", ev.index + 1) } else { "Now".to_string() } }
                </p>
                <p class="explanation-wire"><span class="row-who">{ speaker.prefix() }</span>{ " " }<code>{ first_line }</code></p>
                if props.selected {
                    <button type="button" class="link-button" onclick={props.dispatch.reform(|_: MouseEvent| Action::Select(None))}>
                        { "back to the current step" }
                    </button>
                }
            </div>
            // Near the top: the panel's text scrolls, the way into the message stays in sight.
            if let Some(what) = inspectable {
                <p class="inspect-open">
                    <button type="button" class="link-button" data-testid="inspect-message"
                        onclick={let open = inspecting.setter(); move |_: MouseEvent| open.set(Some(index))}>
                        { what }
                    </button>
                </p>
            }
            if let (Some(c), Some((text, mono))) = (answers, answers_text) {
                <p class="answers">
                    { "Answers: " }
                    <button type="button" class={class!("link-button", mono.then_some("mono"))}
                        title="Explain what this reply answers (for a message: everything up to the final dot)"
                        onclick={props.dispatch.reform(move |_: MouseEvent| Action::Select(Some(c)))}>
                        { text }
                    </button>
                </p>
            }
            { for entries.iter().enumerate().map(|(i, x)| html! {
                <div class={class!("explain-entry", (i > 0).then_some("secondary"))}>
                    if i == 0 {
                        <h2 id="explanation-title" class="explanation-title">{ x.title }</h2>
                    } else {
                        <h3 class="explanation-subtitle">{ format!("{}: {}", x.key, x.title) }</h3>
                    }
                    // The source right under the title: in a short panel the text scrolls, the
                    // RFC link stays in sight.
                    if !x.rfc.is_empty() {
                        <p class="rfc">{ rfc_link(x) }</p>
                    }
                    if props.asking {
                        <p class="muted">{ "Predict first: the explanation follows your answer." }</p>
                    } else {
                        <p>{ explanation_text(x.text) }</p>
                    }
                </div>
            }) }
            if entries.is_empty() {
                <h2 id="explanation-title" class="explanation-title">{ ev.kind.label() }</h2>
            }
            // One node whether open or not (an Option would be spliced into the list, and
            // Yew, matching unkeyed children from the end, would rebuild the card).
            { dialog.unwrap_or_default() }
        </section>
    }
}
