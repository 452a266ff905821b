use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// Runs `f` in the browser's next animation frame after a render whose `deps` differ from
/// the last render's (and after the first render), unless they are `None` (nothing to do:
/// a transcript row that is not the current one): for what needs the page laid out, like
/// bringing the current row into sight. Reading the layout at once would force a layout in
/// the middle of the key press; in the animation frame the browser lays the page out once
/// for the frame anyway.
///
/// Asked for during the render, not in an effect: yew runs effects after the renders, and
/// once its work has taken 16 ms (a step at 4x CPU throttling) it lets the browser draw a
/// frame before it runs them. An effect's frame would then be the frame after, and the
/// browser would lay out and paint the page twice per step. Asked for here, in the task
/// that changes the component's DOM, it is the frame that shows the change. Only for what
/// the component draws itself: yew may let the browser draw before a child whose props
/// changed has rendered, or before an effect has run (presenter mode's type size), and the
/// frame would read the page as it was; there, ask in an effect (`SequencePanel`).
#[hook]
pub fn use_next_frame<D, F>(deps: Option<D>, f: F)
where
    D: PartialEq + 'static,
    F: FnOnce(&D) + 'static,
{
    let last: Rc<RefCell<Option<Rc<D>>>> = use_mut_ref(|| None);
    let Some(deps) = deps else {
        *last.borrow_mut() = None;
        return;
    };
    if last.borrow().as_deref() == Some(&deps) {
        return;
    }
    let deps = Rc::new(deps);
    *last.borrow_mut() = Some(deps.clone());
    if let Some(window) = web_sys::window() {
        let run = Closure::once_into_js(move || f(&deps));
        let _ = window.request_animation_frame(run.unchecked_ref());
    }
}
