use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::state::{Action, Player};

/// What a key does, given the tag of the element it was pressed in.
/// `None`: leave the key to the browser.
pub fn shortcut(key: &str, target_tag: &str, editable: bool) -> Option<Action> {
    let tag = target_tag.to_ascii_uppercase();
    // Form fields use these keys themselves (the timeline slider moves with the arrows).
    if editable || matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA") {
        return None;
    }
    match key {
        // Space on a button or a summary already activates it: toggling here would
        // fire twice.
        " " | "Spacebar" if matches!(tag.as_str(), "BUTTON" | "SUMMARY" | "A") => None,
        " " | "Spacebar" => Some(Action::Toggle),
        "ArrowLeft" => Some(Action::Back),
        "ArrowRight" => Some(Action::Step),
        "Home" => Some(Action::ToStart),
        "End" => Some(Action::ToEnd),
        _ => None,
    }
}

/// Space plays or pauses, ← and → step, Home and End jump, anywhere on the page.
#[hook]
pub fn use_keyboard_shortcuts(dispatcher: UseReducerDispatcher<Player>) {
    use_effect_with(dispatcher, |dispatcher| {
        let dispatcher = dispatcher.clone();
        let listener = web_sys::window().and_then(|w| w.document()).map(|document| {
            EventListener::new_with_options(
                &document,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    if event.ctrl_key() || event.meta_key() || event.alt_key() || event.default_prevented() {
                        return;
                    }
                    let target = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
                    let tag = target.as_ref().map(|t| t.tag_name()).unwrap_or_default();
                    let editable = target.as_ref().is_some_and(|t| t.is_content_editable());
                    let key = event.key();
                    if key == " " && event.repeat() {
                        event.prevent_default();
                        return;
                    }
                    if let Some(action) = shortcut(&key, &tag, editable) {
                        event.prevent_default();
                        dispatcher.dispatch(action);
                    }
                },
            )
        });
        move || drop(listener)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(shortcut(" ", "BODY", false), Some(Action::Toggle));
        assert_eq!(shortcut("ArrowRight", "LI", false), Some(Action::Step));
        assert_eq!(shortcut("ArrowLeft", "BUTTON", false), Some(Action::Back));
        assert_eq!(shortcut("Home", "MAIN", false), Some(Action::ToStart));
        assert_eq!(shortcut("End", "MAIN", false), Some(Action::ToEnd));
        assert_eq!(shortcut("x", "MAIN", false), None);
    }

    #[test]
    fn form_fields_and_buttons_keep_their_keys() {
        assert_eq!(shortcut("ArrowRight", "INPUT", false), None);
        assert_eq!(shortcut(" ", "select", false), None);
        assert_eq!(shortcut("Home", "TEXTAREA", false), None);
        assert_eq!(shortcut(" ", "BUTTON", false), None);
        assert_eq!(shortcut(" ", "DIV", true), None);
    }
}
