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
/// "Read" button of a message not yet delivered, "Next part" at the last part), the
/// focus would fall to the page's body: it goes to Play instead, so the keyboard and the
/// screen reader keep their place.
#[hook]
pub fn use_focus_rescue(cursor: usize, lesson: String) {
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
    use_effect_with((cursor, lesson), move |_| {
        let lost =
            last.borrow().as_ref().is_some_and(|el| !el.is_connected() || el.has_attribute("disabled"));
        let active_ok = focused_element().is_some_and(|el| !el.has_attribute("disabled"));
        if lost
            && !active_ok
            && let Some(play) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector("[data-testid=play]").ok().flatten())
                .and_then(|p| JsCast::dyn_into::<web_sys::HtmlElement>(p).ok())
        {
            let _ = play.focus();
        }
    });
}
