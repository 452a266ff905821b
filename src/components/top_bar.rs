use mailroom_core::lessons::INDEX;
use yew::prelude::*;

use crate::class;
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
    /// Why the lesson in the address could not be shown, until it is dismissed.
    pub notice: Option<String>,
    pub ondismiss: Callback<()>,
    /// Nothing could be shown (a first load that failed): the notice offers to try again.
    #[prop_or_default]
    pub onretry: Option<Callback<()>>,
    /// Presenter mode is on; the button turns it on and off.
    pub presenting: bool,
    pub onpresent: Callback<()>,
    /// The sequence diagram is shown instead of the network diagram; the button switches.
    pub sequence: bool,
    pub onsequence: Callback<()>,
}

/// Brand, lesson title (or a lesson picker) and the step counter.
#[component]
pub fn TopBar(props: &TopBarProps) -> Html {
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
    let lessons = INDEX;
    html! {
        <header class="top-bar">
            <a class="brand" href="#/" title="All lessons: the learning path" data-testid="home-link">
                { icons::logo() }<span>{ "Mailroom" }</span>
                <span class="visually-hidden">{ ": all lessons" }</span>
            </a>
            // With several lessons the picker shows the title (the heading stays for screen
            // readers): one title on screen, not the same words twice.
            <h1 id="lesson-title" class={class!("lesson-title", (INDEX.len() > 1).then_some("visually-hidden"))}>
                { props.title.clone() }
            </h1>
            if INDEX.len() > 1 {
                <label class="lesson-picker" title="Choose a lesson">
                    <span class="visually-hidden">{ "Lesson" }</span>
                    <select data-testid="lesson-picker" {onchange}>
                        // A lesson of the teacher's own (or a shared one) is not in the list:
                        // the picker names it, first, rather than showing the first lesson's title.
                        if !lessons.iter().any(|e| e.id == props.lesson_id) {
                            <option value={props.lesson_id.clone()} selected=true disabled=true>{ props.title.clone() }</option>
                        }
                        { for lessons.iter().map(|e| html! {
                            <option value={e.id} selected={e.id == props.lesson_id}>{ e.title }</option>
                        }) }
                    </select>
                </label>
            }
            // A polite live region that is always there, so a notice added later is read out.
            <div class="notice-slot" role="status">
                if let Some(notice) = &props.notice {
                    <p class="notice" data-testid="notice">
                        <span>{ notice.clone() }</span>
                        if let Some(retry) = &props.onretry {
                            <button type="button" class="btn-small notice-retry" data-testid="retry"
                                onclick={retry.reform(|_: MouseEvent| ())}>{ "Try again" }</button>
                        }
                        <button type="button" class="notice-close" aria-label="Dismiss this notice" title="Dismiss"
                            onclick={props.ondismiss.reform(|_: MouseEvent| ())}>{ "×" }</button>
                    </p>
                } else if !props.summary.is_empty() {
                    <p class="lesson-summary" title={props.summary.clone()}><span>{ props.summary.clone() }</span></p>
                }
            </div>
            // A teacher's own lesson: back to the page where it is written, to mend it.
            if cfg!(feature = "teacher") && crate::my_lessons::is_mine(&props.lesson_id) {
                <a class="handout-link" href="#/yours" data-testid="yours-back"
                    title="Your lessons: where this one is kept, to change it (its Edit button puts it in the box)">{ "Your lessons ›" }</a>
            }
            // The teacher tools (a hand-out to print, a worksheet, exports) are in the full build.
            <a class="handout-link" href={crate::route::handout_href(&props.lesson_id)} data-testid="handout-link"
                title="A hand-out and a worksheet of this lesson to print, and its exports">{ "Hand-out ›" }</a>
            <button type="button" class="btn-small present" data-testid="sequence-button"
                aria-pressed={props.sequence.to_string()}
                title="The conversation as a sequence diagram, in place of the network diagram (S)"
                onclick={props.onsequence.reform(|_: MouseEvent| ())}>
                { "Sequence" }
            </button>
            <button type="button" class="btn-small present" data-testid="present"
                aria-pressed={props.presenting.to_string()}
                title="Presenter mode: full screen, large type, one step per clicker press (P)"
                onclick={props.onpresent.reform(|_: MouseEvent| ())}>
                { if props.presenting { "Stop presenting" } else { "Present" } }
            </button>
            <p class="step-counter" data-testid="step-counter"
                title="A step is one row of the transcript">
                { format!("Step {} of {}", props.cursor, props.total) }
            </p>
        </header>
    }
}
