use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The element with the focus, when it is a real one (not the page's body).
fn focused_element() -> Option<web_sys::HtmlElement> {
    let document = web_sys::window()?.document()?;
    let active = document.active_element()?;
    if document.body().is_some_and(|b| wasm_bindgen::JsValue::from(b) == wasm_bindgen::JsValue::from(&active))
    {
        return None;
    }
    JsCast::dyn_into::<web_sys::HtmlElement>(active).ok()
}

/// When the control that had the focus vanished or was disabled by the last render (the
/// "Read" button of a message not yet delivered, "Next part" at the last part, a question
/// answered, the explanation card's "back to the current step" while a question waits),
/// the focus would fall to the page's body: it goes to the waiting question's prompt, or
/// else to Play, so the keyboard and the screen reader keep their place. In presenter mode
/// to the narration (which a screen reader then reads): Play would bring up the controls,
/// which slide away only when the focus leaves them, over the projected page.
#[hook]
pub fn use_focus_rescue(cursor: usize, selected: Option<usize>, lesson: String) {
    let last: Rc<RefCell<Option<web_sys::HtmlElement>>> = use_mut_ref(|| None);
    {
        let last = last.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|document| {
                EventListener::new(&document, "focusin", move |event| {
                    *last.borrow_mut() =
                        event.target().and_then(|t| JsCast::dyn_into::<web_sys::HtmlElement>(t).ok());
                })
            });
            move || drop(listener)
        });
    }
    use_effect_with((cursor, selected, lesson), move |_| {
        let lost =
            last.borrow().as_ref().is_some_and(|el| !el.is_connected() || el.has_attribute("disabled"));
        if !lost || focused_element().is_some_and(|el| !el.has_attribute("disabled")) {
            return;
        }
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let find = |sel: &str| document.query_selector(sel).ok().flatten();
        let narration = crate::hooks::presenting_now().then(|| find("[data-testid=narration]")).flatten();
        if let Some(el) = narration
            .or_else(|| find("h2.predict-prompt"))
            .or_else(|| find("[data-testid=play]"))
            .and_then(|p| p.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}
