use mailroom_core::question::Question;
use yew::prelude::*;

use crate::state::{Reply, Said};

/// What the predict card shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Moment {
    /// The question is due: its event is next.
    Ask,
    /// The student has answered (or passed), and the event is shown: the right answer.
    Told { said: Said, answer: String },
    /// The end of a lesson that asks questions: how many were answered right, answered
    /// (not passed), and asked.
    Score { right: usize, answered: usize, asked: usize },
}

#[derive(Properties, PartialEq)]
pub struct PredictProps {
    /// The question (absent for the score).
    pub question: Option<Question>,
    /// Its number among the lesson's questions, from 1, and how many there are.
    pub number: (usize, usize),
    pub moment: Moment,
    /// A step was asked for while the question is due: one more shows the event.
    #[prop_or_default]
    pub nudged: bool,
    pub onreply: Callback<Reply>,
    pub onskip: Callback<()>,
}

/// What the card says (and the announcer) when a step is asked for while the question is due.
pub const NUDGE: &str = "Choose an answer first, or step again to see what happens.";

/// The score in words: a question left unanswered (shown with no answer, or stepped
/// over on the timeline) is not a wrong one, and "passed" is not said of it: beside a
/// score it reads as a success.
fn score_text(right: usize, answered: usize, asked: usize) -> String {
    match asked.saturating_sub(answered) {
        0 => format!("You predicted {right} of {asked} right."),
        _ if answered == 0 => "No predictions this time: every question was left unanswered.".into(),
        // "0 of 1 right; 1 left unanswered" read as if the lesson had asked one question.
        _ => format!("You answered {answered} of {asked} questions: {right} right."),
    }
}

/// The verdict on what the student said (its class, and its words), also what the
/// announcer reads out when they answer.
pub fn verdict(said: &Said, answer: &str) -> (&'static str, String) {
    match said {
        Said::Answer { right: true, .. } => ("right", format!("Right: {answer}.")),
        Said::Answer { text, .. } => {
            ("wrong", format!("Not this time: you said {text}; the answer is {answer}."))
        }
        Said::Skipped => ("", format!("The answer: {answer}.")),
    }
}

/// Predict what happens next: the lesson's question before its event, then whether the
/// student was right, and the score at the end. The explanation card below explains the
/// event itself (the catalogue) either way.
#[component]
pub fn Predict(props: &PredictProps) -> Html {
    let typed = use_node_ref();
    let prompt = use_node_ref();
    let card = use_node_ref();
    // When a question appears, the keyboard goes to it: to its prompt (a screen reader reads
    // the question; Tab goes on to the choices or the box of a typed answer), not to a
    // choice, whose focus ring would read as a hint, nor into the box, where a presenter's
    // clicker (PageDown) would no longer step. → asks for an answer, and passes when pressed
    // again. The focus may scroll the column to the question (a short window); once
    // answered, the column is back at its top, the part's narration whole above the verdict.
    {
        let (prompt, card) = (prompt.clone(), card.clone());
        let asking = props.moment == Moment::Ask;
        use_effect_with((asking, props.number), move |(asking, _)| {
            if *asking && let Some(el) = prompt.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            } else if let Some(column) = card.cast::<web_sys::Element>().and_then(|c| c.parent_element()) {
                column.set_scroll_top(0);
            }
        });
    }
    let (n, of) = props.number;
    let body = match (&props.moment, &props.question) {
        (Moment::Ask, Some(q)) => {
            let choices = q.choices.iter().enumerate().map(|(i, c)| {
                let onclick = props.onreply.reform(move |_: MouseEvent| Reply::Choice(i));
                html! { <li><button type="button" class="choice" {onclick}>{ c.clone() }</button></li> }
            });
            let onsubmit = {
                let (typed, onreply) = (typed.clone(), props.onreply.clone());
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    if let Some(input) = typed.cast::<web_sys::HtmlInputElement>() {
                        onreply.emit(Reply::Typed(input.value()));
                    }
                })
            };
            html! {
                <>
                    <h2 id="predict-title" class="predict-prompt" ref={prompt} tabindex="-1">{ q.prompt.clone() }</h2>
                    if q.choices.is_empty() {
                        <form class="predict-typed" {onsubmit}>
                            <label>{ "Reply code" }
                                <input ref={typed.clone()} type="text" size="6" maxlength="12"
                                    autocomplete="off" spellcheck="false" data-testid="predict-input" />
                            </label>
                            <button type="submit" class="choice">{ "Check" }</button>
                        </form>
                    } else {
                        <ol class="predict-choices" aria-labelledby="predict-title">{ for choices }</ol>
                    }
                    if props.nudged {
                        <p class="predict-nudge">
                            { NUDGE }
                        </p>
                    }
                    <button type="button" class="predict-skip" data-testid="predict-skip"
                        onclick={props.onskip.reform(|_: MouseEvent| ())}>
                        { "Show me (no answer)" }
                    </button>
                </>
            }
        }
        (Moment::Told { said, answer }, Some(q)) => {
            let (class, verdict) = verdict(said, answer);
            html! {
                <>
                    <p class="predict-prompt">{ q.prompt.clone() }</p>
                    <p class={classes!("predict-verdict", class)} data-testid="predict-verdict">{ verdict }</p>
                </>
            }
        }
        (Moment::Score { right, answered, asked }, _) => html! {
            <p class="predict-verdict" data-testid="predict-score">{ score_text(*right, *answered, *asked) }</p>
        },
        _ => Html::default(),
    };
    let eyebrow = match props.moment {
        Moment::Score { .. } => "Your predictions".to_string(),
        _ => format!("Predict · question {n} of {of}"),
    };
    html! {
        <section ref={card} class="panel predict" data-testid="predict" aria-labelledby="predict-eyebrow">
            <p class="eyebrow" id="predict-eyebrow">{ eyebrow }</p>
            { body }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::score_text;

    #[test]
    fn the_score_counts_unanswered_questions_apart() {
        for (right, answered, asked, said) in [
            (1, 2, 2, "You predicted 1 of 2 right."),
            (0, 1, 1, "You predicted 0 of 1 right."),
            (1, 1, 3, "You answered 1 of 3 questions: 1 right."),
            (2, 3, 4, "You answered 3 of 4 questions: 2 right."),
            (0, 1, 2, "You answered 1 of 2 questions: 0 right."),
            (0, 0, 2, "No predictions this time: every question was left unanswered."),
            (0, 0, 1, "No predictions this time: every question was left unanswered."),
        ] {
            assert_eq!(score_text(right, answered, asked), said, "{right}/{answered}/{asked}");
        }
    }
}
