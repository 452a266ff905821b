use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// Keeps the row that matters in sight when the scrolling list `list` changes size: the
/// selected row, else the current one (`row` reveals it). Entering presenter mode (larger
/// type, full screen), leaving it, or resizing the window moves the rows, and no step
/// comes to bring the current one back into view. A `ResizeObserver` calls back after the
/// browser's layout, before it paints: the scroll lands in the same frame, with no layout
/// forced. A step does not resize the list (its panel has a fixed share of the page), so
/// stepping costs nothing more.
#[hook]
pub fn use_keep_in_sight(list: NodeRef, row: fn(&web_sys::HtmlElement)) {
    use_effect_with((), move |_| {
        let observing = list.cast::<web_sys::HtmlElement>().and_then(|el| {
            let watched = el.clone();
            let seen = Closure::<dyn FnMut()>::new(move || {
                let pick = |selector: &str| {
                    watched.query_selector(selector).ok().flatten().and_then(|r| r.dyn_into().ok())
                };
                if let Some(r) = pick("[aria-selected=true]").or_else(|| pick("[aria-current]")) {
                    row(&r);
                }
            });
            let observer = web_sys::ResizeObserver::new(seen.as_ref().unchecked_ref()).ok()?;
            observer.observe(&el);
            Some((observer, seen))
        });
        move || {
            if let Some((observer, _seen)) = observing {
                observer.disconnect();
            }
        }
    });
}
