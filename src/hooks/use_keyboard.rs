use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::keys_help;
use crate::state::{Action, Player};

/// Where a key was pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A field that uses the keys itself: text, a select, the timeline slider.
    Field,
    /// A button or a link: clicked with the mouse, they keep the focus, and a
    /// class presses Space expecting Play/Pause (Enter still activates them).
    Control,
    /// A button other than the one last pressed with the mouse (reached with Tab, or
    /// focused by script): Space presses it, as
    /// everywhere else (an answer, Step forward), except in presenter mode; the arrows
    /// and the other keys still drive the lesson.
    KeyboardButton,
    /// A checkbox: Space is the only key that ticks it, so Space stays with it (the
    /// arrows and the other keys still drive the lesson).
    Checkbox,
    /// Anything else (the page, a heading, a panel).
    Page,
}

/// What a key does where it was pressed, with Shift held or not, in presenter mode or
/// not. `None`: leave the key to the browser.
pub fn shortcut(key: &str, target: Target, shift: bool, presenting: bool) -> Option<Action> {
    if target == Target::Field {
        return None;
    }
    match key {
        " " | "Spacebar" if target == Target::Checkbox => None,
        // Presenting, every press is one step, as on a slide deck (a clicker may send
        // Space; the focus may be on Stop presenting, reached with Tab).
        " " | "Spacebar" if presenting => Some(Action::Step),
        " " | "Spacebar" if target == Target::KeyboardButton => None,
        " " | "Spacebar" => Some(Action::Toggle),
        // P, or F5 (what a clicker's "start the show" button sends), presents.
        "p" | "P" | "F5" => Some(Action::TogglePresenting),
        // Esc ends it. In full screen the browser takes Esc to leave it, which ends
        // presenting too (use_presenting); this is for where full screen was refused. The
        // message inspector's dialog keeps its keys to itself: there Esc closes the dialog.
        "Escape" | "Esc" if presenting => Some(Action::StopPresenting),
        // S: the sequence diagram, or back to the network diagram.
        "s" | "S" => Some(Action::ToggleSequence),
        // ⇧← and ⇧→ jump a whole part of the lesson.
        "ArrowLeft" if shift => Some(Action::PrevPart),
        "ArrowRight" if shift => Some(Action::NextPart),
        // PageUp and PageDown are what a presenter's clicker sends: one step, like ← →.
        "ArrowLeft" | "PageUp" => Some(Action::Back),
        "ArrowRight" | "PageDown" => Some(Action::Step),
        "Home" => Some(Action::ToStart),
        "End" => Some(Action::ToEnd),
        _ => None,
    }
}

/// Sorts the element a key was pressed in.
pub fn target_kind(tag: &str, input_type: &str, editable: bool) -> Target {
    match tag.to_ascii_uppercase().as_str() {
        _ if editable => Target::Field,
        "SELECT" | "TEXTAREA" => Target::Field,
        "INPUT" if matches!(input_type.to_ascii_lowercase().as_str(), "checkbox" | "radio") => {
            Target::Checkbox
        }
        "INPUT" if input_type.eq_ignore_ascii_case("button") => Target::Control,
        "INPUT" => Target::Field,
        "BUTTON" | "SUMMARY" | "A" => Target::Control,
        _ => Target::Page,
    }
}

/// Where a key press lands, for a page's shortcuts: what the focused element is, its tag
/// and itself. `None` with Ctrl, Meta or Alt held (the browser's and the system's keys),
/// or when a handler of the element took the key already.
pub fn key_target(event: &web_sys::KeyboardEvent) -> Option<(Target, String, Option<web_sys::HtmlElement>)> {
    if event.ctrl_key() || event.meta_key() || event.alt_key() || event.default_prevented() {
        return None;
    }
    let target = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
    let tag = target.as_ref().map(|t| t.tag_name()).unwrap_or_default();
    let editable = target.as_ref().is_some_and(|t| t.is_content_editable());
    let input_type = target.as_ref().and_then(|t| t.get_attribute("type")).unwrap_or_default();
    Some((target_kind(&tag, &input_type, editable), tag, target))
}

/// Space plays or pauses, ← → and PageUp PageDown step, ⇧← ⇧→ jump a part, Home and
/// End jump to the ends, anywhere on the page.
#[hook]
pub fn use_keyboard_shortcuts(dispatcher: UseReducerDispatcher<Player>, presenting: bool) {
    // What the listener reads at each key press: the last render's.
    let now = use_mut_ref(|| presenting);
    *now.borrow_mut() = presenting;
    // Attached in the first render and kept (dropped with the player), not in an effect:
    // yew may let the browser draw, and deliver a key press, between a render and its
    // effects, and a key pressed as the page appears (or just after P) was lost.
    let _listener = use_memo((), move |_| {
        web_sys::window().and_then(|w| w.document()).map(|document| {
            // The element last pressed with the mouse (or a finger): a button focused
            // otherwise (Tab, or script after a key) came by the keyboard.
            let pressed = std::rc::Rc::new(std::cell::RefCell::new(None::<web_sys::Node>));
            let seen = pressed.clone();
            let pointerdown = EventListener::new(&document, "pointerdown", move |event| {
                *seen.borrow_mut() = event.target().and_then(|t| t.dyn_into().ok());
            });
            let page = document.clone();
            let keydown = EventListener::new_with_options(
                &document,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    let Some((mut kind, tag, target)) = key_target(event) else { return };
                    // A button focused from the keyboard keeps Space (not a link: Space
                    // there would only scroll the page).
                    let clicked = target.as_ref().is_some_and(|t| t.contains(pressed.borrow().as_ref()));
                    if kind == Target::Control && !tag.eq_ignore_ascii_case("A") && !clicked {
                        kind = Target::KeyboardButton;
                    }
                    let key = event.key();
                    // On a closed drop-down the arrows would choose at each press: in the
                    // lesson picker, load lesson after lesson (each a new page for the
                    // class; WCAG 3.2.2). They do nothing there; Space or Alt+↓ opens its
                    // list, where they move and Enter chooses.
                    if tag == "SELECT" && key.starts_with("Arrow") {
                        event.prevent_default();
                        return;
                    }
                    if key == " " && event.repeat() && matches!(kind, Target::Control | Target::Page) {
                        event.prevent_default();
                        return;
                    }
                    // ? opens (or closes) the list of these keys; Esc closes it first (in
                    // presenter mode it would end presenting and leave the list open).
                    let list = match key.as_str() {
                        "?" if kind != Target::Field => page.get_element_by_id(keys_help::ID),
                        "Escape" => page.query_selector(keys_help::OPEN).ok().flatten(),
                        _ => None,
                    };
                    if let Some(list) = list.and_then(|l| l.dyn_into::<web_sys::HtmlElement>().ok()) {
                        event.prevent_default();
                        // Opened with nothing focused, the list gives the focus back to
                        // its `?` button as it closes (the popover returns it to where it
                        // was: the page's start).
                        if tag == "BODY" {
                            let button = page.query_selector(".keys-button").ok().flatten();
                            if let Some(b) = button.and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok()) {
                                let _ = b.focus();
                            }
                        }
                        let _ = list.toggle_popover();
                        return;
                    }
                    if let Some(action) = shortcut(&key, kind, event.shift_key(), *now.borrow()) {
                        event.prevent_default();
                        dispatcher.dispatch(action);
                    }
                },
            );
            (pointerdown, keydown)
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions() {
        let page = Target::Page;
        assert_eq!(shortcut(" ", page, false, false), Some(Action::Toggle));
        assert_eq!(shortcut("ArrowRight", page, false, false), Some(Action::Step));
        assert_eq!(shortcut("ArrowLeft", Target::Control, false, false), Some(Action::Back));
        assert_eq!(shortcut("Home", page, false, false), Some(Action::ToStart));
        assert_eq!(shortcut("End", page, false, false), Some(Action::ToEnd));
        assert_eq!(shortcut("s", page, false, false), Some(Action::ToggleSequence));
        assert_eq!(shortcut("S", Target::Control, false, true), Some(Action::ToggleSequence));
        assert_eq!(shortcut("s", Target::Field, false, false), None);
        assert_eq!(shortcut("x", page, false, false), None);
    }

    #[test]
    fn clicker_keys_step_and_shift_jumps_a_part() {
        assert_eq!(shortcut("PageDown", Target::Page, false, false), Some(Action::Step));
        assert_eq!(shortcut("PageUp", Target::Control, false, false), Some(Action::Back));
        assert_eq!(shortcut("ArrowRight", Target::Page, true, false), Some(Action::NextPart));
        assert_eq!(shortcut("ArrowLeft", Target::Control, true, false), Some(Action::PrevPart));
    }

    #[test]
    fn space_plays_even_after_a_button_was_clicked() {
        assert_eq!(target_kind("BUTTON", "", false), Target::Control);
        assert_eq!(shortcut(" ", Target::Control, false, false), Some(Action::Toggle));
        // Space is how a keyboard ticks a checkbox: it stays there; arrows still step.
        assert_eq!(target_kind("input", "checkbox", false), Target::Checkbox);
        assert_eq!(shortcut(" ", Target::Checkbox, false, false), None);
        assert_eq!(shortcut("ArrowRight", Target::Checkbox, false, false), Some(Action::Step));
    }

    #[test]
    fn a_button_reached_with_tab_keeps_space() {
        // Space presses it (an answer, Step forward), as on any page.
        assert_eq!(shortcut(" ", Target::KeyboardButton, false, false), None);
        // Presenting, Space steps wherever the focus is (on Stop presenting, reached with Tab).
        assert_eq!(shortcut(" ", Target::KeyboardButton, false, true), Some(Action::Step));
        for presenting in [false, true] {
            assert_eq!(shortcut("ArrowRight", Target::KeyboardButton, false, presenting), Some(Action::Step));
            assert_eq!(shortcut("PageUp", Target::KeyboardButton, false, presenting), Some(Action::Back));
        }
        assert_eq!(shortcut("s", Target::KeyboardButton, false, false), Some(Action::ToggleSequence));
    }

    #[test]
    fn presenting_every_press_steps_and_p_presents() {
        assert_eq!(shortcut(" ", Target::Page, false, true), Some(Action::Step));
        assert_eq!(shortcut(" ", Target::Control, false, true), Some(Action::Step));
        assert_eq!(shortcut("PageDown", Target::Page, false, true), Some(Action::Step));
        assert_eq!(shortcut("PageUp", Target::Page, false, true), Some(Action::Back));
        assert_eq!(shortcut("p", Target::Page, false, false), Some(Action::TogglePresenting));
        assert_eq!(shortcut("F5", Target::Control, false, true), Some(Action::TogglePresenting));
        assert_eq!(shortcut("p", Target::Field, false, false), None);
        assert_eq!(shortcut("Escape", Target::Page, false, true), Some(Action::StopPresenting));
        assert_eq!(shortcut("Escape", Target::Control, false, true), Some(Action::StopPresenting));
        assert_eq!(shortcut("Escape", Target::Page, false, false), None, "Esc is the browser's otherwise");
    }

    #[test]
    fn form_fields_keep_their_keys() {
        for (tag, kind) in [("INPUT", "range"), ("select", ""), ("TEXTAREA", ""), ("INPUT", "")] {
            let target = target_kind(tag, kind, false);
            assert_eq!(target, Target::Field, "{tag} {kind}");
            assert_eq!(shortcut("ArrowRight", target, false, false), None);
            assert_eq!(shortcut(" ", target, false, false), None);
        }
        assert_eq!(target_kind("DIV", "", true), Target::Field);
        assert_eq!(target_kind("H2", "", false), Target::Page);
    }
}
