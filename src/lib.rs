//! # Mailroom web app
//!
//! A view over `(trace, cursor, settings)`: the core runs a lesson's World to the end and
//! records a [`mailroom_core::trace::Trace`]; the app shows the first `cursor` events of
//! it on a network diagram, in a transcript and in the lesson's narration.
//!
//! - [`state`]: the [`state::Player`] and its pure reducer.
//! - [`route`]: `#/lesson/<id>/step/<n>` parsing and formatting.
//! - [`markdown`]: untrusted narration to DOM nodes.
//! - [`present`]: how events read on screen.
//! - [`components`]: one component per file; [`hooks`]: timers, keys, address, storage.
#![forbid(unsafe_code)]

pub mod class;
pub mod components;
pub mod diagram_text;
pub mod hooks;
pub mod markdown;
pub mod my_lessons;
pub mod num;
pub mod present;
pub mod progress;
pub mod route;
#[cfg(feature = "imap")]
pub mod sandbox;
pub mod saved;
pub mod shared;
pub mod sheets;
pub mod state;

// The allocator: talc instead of Rust's default for wasm (dlmalloc).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use components::app::App;
pub use hooks::{LessonSource, set_lesson_source};

/// Renders the app into `root`.
pub fn mount(root: web_sys::Element) -> yew::AppHandle<App> {
    yew::Renderer::<App>::with_root(root).render()
}

/// Renders the page (the home page or a lesson's player, as the address says) into `root`.
pub fn mount_page(root: web_sys::Element) -> yew::AppHandle<components::page::Page> {
    yew::Renderer::<components::page::Page>::with_root(root).render()
}

/// Renders the page into `<body>` (the entry point of the page). When the page's inline
/// script is fetching the lesson the address names (index.html), the first render waits
/// until it has come, at most 300 ms ([`hooks::early_ready`]): the player is then drawn and
/// laid out once, with its lesson.
pub fn start() {
    // The full build's own styles (styles/full.css), before its first render.
    #[cfg(any(feature = "pop3", feature = "teacher"))]
    add_style("full-css", include_str!("../styles/full.css"));
    // Yew empties `<body>` as it renders into it: what the page adds to it (web/offline.js's
    // notices) waits for this event, sent once the first render is done.
    let render = || {
        drop(yew::Renderer::<components::page::Page>::new().render());
        if let (Some(window), Ok(started)) = (web_sys::window(), web_sys::Event::new("mailroom-started")) {
            let _ = window.dispatch_event(&started);
        }
    };
    let lesson = route::parse(&hooks::location_hash()).map(|r| r.lesson);
    match lesson.and_then(|id| hooks::early_ready(&id)) {
        Some(ready) => wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(ready).await;
            render();
        }),
        None => render(),
    }
}

/// Adds a `<style id=ID>` with `css` to the document's head, once.
#[cfg(any(feature = "pop3", feature = "teacher"))]
pub fn add_style(id: &str, css: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if document.get_element_by_id(id).is_some() {
        return;
    }
    if let (Ok(style), Some(head)) = (document.create_element("style"), document.head()) {
        style.set_id(id);
        style.set_text_content(Some(css));
        let _ = head.append_child(&style);
    }
}
