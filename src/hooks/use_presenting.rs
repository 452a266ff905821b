use gloo_events::EventListener;
use yew::prelude::*;

use crate::state::{Action, Player};

/// Presenter mode on the page: `data-presenting` on `<html>` (large type: every size
/// is in rem) and full screen, where the browser allows it. Leaving full screen (Esc)
/// ends presenter mode.
#[hook]
pub fn use_presenting(presenting: bool, dispatcher: UseReducerDispatcher<Player>) {
    use_effect_with(presenting, |&presenting| {
        let document = web_sys::window().and_then(|w| w.document());
        if let Some(root) = document.as_ref().and_then(|d| d.document_element()) {
            let _ = root.toggle_attribute_with_force("data-presenting", presenting);
            let full = document.as_ref().and_then(|d| d.fullscreen_element()).is_some();
            if presenting && !full {
                // Refused outside a key press or click, or in a frame: presenting goes on.
                let _ = root.request_fullscreen();
            } else if !presenting
                && full
                && let Some(d) = &document
            {
                d.exit_fullscreen();
            }
        }
    });
    use_effect_with(dispatcher, |dispatcher| {
        let dispatcher = dispatcher.clone();
        let listener = web_sys::window().and_then(|w| w.document()).map(|document| {
            let d = document.clone();
            EventListener::new(&document, "fullscreenchange", move |_| {
                if d.fullscreen_element().is_none() {
                    dispatcher.dispatch(Action::StopPresenting);
                }
            })
        });
        move || {
            drop(listener);
            // The player goes away (to the home page): so does presenter mode.
            if let Some(root) =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element())
            {
                let _ = root.remove_attribute("data-presenting");
            }
        }
    });
}

/// True while presenter mode is on (`data-presenting` on `<html>`): for a handler that is
/// not told.
pub fn presenting_now() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .is_some_and(|e| e.has_attribute("data-presenting"))
}
