use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// Watches the scrolling list `list` and keeps the row that matters in sight when the list
/// changes size: the selected row, else the current one (`row` reveals it). Entering
/// presenter mode (larger type, full screen), leaving it, or resizing the window moves the
/// rows, and no step comes to bring the current one back into view. A `ResizeObserver`
/// calls back after the browser's layout, before it paints: the scroll lands in the same
/// frame, with no layout forced. A step does not resize the list (its panel has a fixed
/// share of the page), so stepping costs nothing more. Watching ends when the returned
/// value is given to [`stop_watching`].
pub fn keep_in_sight(
    list: &web_sys::HtmlElement,
    row: fn(&web_sys::HtmlElement),
) -> Option<(web_sys::ResizeObserver, Closure<dyn FnMut()>)> {
    let watched = list.clone();
    let seen = Closure::<dyn FnMut()>::new(move || {
        let pick =
            |selector: &str| watched.query_selector(selector).ok().flatten().and_then(|r| r.dyn_into().ok());
        if let Some(r) = pick("[aria-selected=true]").or_else(|| pick("[aria-current]")) {
            row(&r);
        }
    });
    let observer = web_sys::ResizeObserver::new(seen.as_ref().unchecked_ref()).ok()?;
    observer.observe(list);
    Some((observer, seen))
}

/// Ends what [`keep_in_sight`] started.
pub fn stop_watching(watching: Option<(web_sys::ResizeObserver, Closure<dyn FnMut()>)>) {
    if let Some((observer, _seen)) = watching {
        observer.disconnect();
    }
}
