use mailroom_core::lessons::BUILTIN;
use yew::prelude::*;

use crate::components::icons;

#[derive(Properties, PartialEq)]
pub struct TopBarProps {
    pub lesson_id: String,
    pub title: String,
    /// One sentence about the lesson.
    pub summary: String,
    pub cursor: usize,
    pub total: usize,
    /// Another lesson was chosen (only offered when there is more than one).
    pub onlesson: Callback<String>,
}

/// Brand, lesson title (or a lesson picker) and the step counter.
#[component]
pub fn TopBar(props: &TopBarProps) -> Html {
    let onchange = {
        let onlesson = props.onlesson.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            onlesson.emit(select.value());
        })
    };
    html! {
        <header class="top-bar">
            <span class="brand">{ icons::logo() }<span>{ "Mailroom" }</span></span>
            <h1 id="lesson-title" class="lesson-title">{ props.title.clone() }</h1>
            if !props.summary.is_empty() {
                <p class="lesson-summary" title={props.summary.clone()}>{ props.summary.clone() }</p>
            }
            if BUILTIN.len() > 1 {
                <label class="lesson-picker">
                    <span class="visually-hidden">{ "Choose a lesson" }</span>
                    <select {onchange}>
                        { for BUILTIN.iter().map(|(id, _)| html! {
                            <option value={*id} selected={*id == props.lesson_id}>{ *id }</option>
                        }) }
                    </select>
                </label>
            }
            <p class="step-counter" data-testid="step-counter">
                { format!("Step {} of {}", props.cursor, props.total) }
            </p>
        </header>
    }
}
