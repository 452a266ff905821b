use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// What [`on_resize`] returns: give it to [`stop_watching`] to end the watching.
pub type Watching = Option<(web_sys::ResizeObserver, Closure<dyn FnMut()>)>;

/// Calls `seen` with `el` whenever the browser lays `el` out at a new size, and once when
/// it first has. A `ResizeObserver` calls back after the browser's layout, before it
/// paints: `el`'s sizes are read with no layout forced, and what `seen` changes lands in
/// the same frame.
pub fn on_resize(el: &web_sys::HtmlElement, seen: impl FnMut(&web_sys::HtmlElement) + 'static) -> Watching {
    // One closure type for every caller: wasm-bindgen's glue is made once.
    let mut seen: Box<dyn FnMut(&web_sys::HtmlElement)> = Box::new(seen);
    let watched = el.clone();
    let call = Closure::<dyn FnMut()>::new(move || seen(&watched));
    let observer = web_sys::ResizeObserver::new(call.as_ref().unchecked_ref()).ok()?;
    observer.observe(el);
    Some((observer, call))
}

/// Watches the scrolling list `list` and keeps the row that matters in sight when the list
/// changes size: the selected row, else the current one (`row` reveals it). Entering
/// presenter mode (larger type, full screen), leaving it, or resizing the window moves the
/// rows, and no step comes to bring the current one back into view. The scroll lands in
/// the frame of the new size ([`on_resize`]). A step does not resize the list (its panel
/// has a fixed share of the page), so stepping costs nothing more.
pub fn keep_in_sight(list: &web_sys::HtmlElement, row: fn(&web_sys::HtmlElement)) -> Watching {
    on_resize(list, move |list| {
        let pick =
            |selector: &str| list.query_selector(selector).ok().flatten().and_then(|r| r.dyn_into().ok());
        if let Some(r) = pick("[aria-selected=true]").or_else(|| pick("[aria-current]")) {
            row(&r);
        }
    })
}

/// Ends what [`on_resize`] started.
pub fn stop_watching(watching: Watching) {
    if let Some((observer, _seen)) = watching {
        observer.disconnect();
    }
}
