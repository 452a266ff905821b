use mailroom_core::lessons::INDEX;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonPickerProps {
    pub lesson_id: String,
    /// Another lesson was chosen.
    pub onlesson: Callback<String>,
}

/// The top bar's drop-down of every lesson, by title. A component of its own, with props
/// that do not change from step to step, so that a step does not compare its options
/// again (one per lesson).
#[component]
pub fn LessonPicker(props: &LessonPickerProps) -> Html {
    let onchange = {
        let onlesson = props.onlesson.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            onlesson.emit(select.value());
            // The keys belong to the lesson now, not to the drop-down: ← and → step, Space
            // plays (in the picker they would choose another lesson or open the list).
            if let Some(play) = select
                .owner_document()
                .and_then(|d| d.query_selector("[data-testid=play]").ok().flatten())
                .and_then(|p| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(p).ok())
            {
                let _ = play.focus();
            }
        })
    };
    // The picker names lessons by their titles, not by their file names.
    html! {
        <label class="lesson-picker" title="Choose a lesson">
            <span class="visually-hidden">{ "Lesson" }</span>
            <select data-testid="lesson-picker" {onchange}>
                { for INDEX.iter().map(|e| html! {
                    <option value={e.id} selected={e.id == props.lesson_id}>{ e.title }</option>
                }) }
            </select>
        </label>
    }
}
