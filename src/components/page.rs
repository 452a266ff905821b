use gloo_events::EventListener;
use yew::prelude::*;

use crate::components::app::App;
use crate::components::home::Home;
use crate::hooks::location_hash;
use crate::route;

/// What the address shows.
#[derive(Clone, Debug, PartialEq)]
enum View {
    /// `#/lesson/…`: the player.
    Lesson,
    /// `#/yours`, or `#/shared/…` with what the link carries (a lesson, read by the page
    /// of the teachers' own lessons): the full build.
    Yours(Option<String>),
    /// `#/handout/…`, `#/worksheet/…`: a lesson's hand-out or worksheet (the full build).
    Sheet(route::Sheet, String),
    /// `#/sandbox`: the running World to type into (the full build).
    Sandbox,
    /// Anything else: the home page.
    Home,
}

fn view() -> View {
    let hash = location_hash();
    if let Some((sheet, id)) = route::parse_sheet(&hash) {
        View::Sheet(sheet, id)
    } else if route::parse(&hash).is_some() {
        View::Lesson
    } else if let Some(shared) = crate::my_lessons::shared_data(&hash) {
        View::Yours(Some(shared.to_string()))
    } else if hash.trim_end_matches('/') == "#/yours" {
        View::Yours(None)
    } else if hash.trim_end_matches('/') == "#/sandbox" {
        View::Sandbox
    } else {
        View::Home
    }
}

/// The page: a lesson's player when the address names a lesson (`#/lesson/…`), the
/// teachers' own lessons (`#/yours`, `#/shared/…`) and a lesson's hand-out or worksheet
/// (`#/handout/…`, `#/worksheet/…`, see [`crate::route::Sheet`]), the home page with the
/// learning path otherwise. Follows the address as it changes.
#[component]
pub fn Page() -> Html {
    let shown = use_state(view);
    {
        let shown = shown.clone();
        use_effect_with((), move |_| {
            let listener =
                web_sys::window().map(|w| EventListener::new(&w, "hashchange", move |_| shown.set(view())));
            move || drop(listener)
        });
    }
    match &*shown {
        View::Lesson => html! { <App /> },
        View::Home => html! { <Home /> },
        View::Yours(shared) => yours(shared),
        View::Sheet(sheet, id) => sheet_page(*sheet, id),
        View::Sandbox => sandbox(),
    }
}

#[cfg(feature = "teacher")]
fn yours(shared: &Option<String>) -> Html {
    use crate::components::your_lessons::YourLessons;
    html! { <YourLessons shared={shared.clone()} /> }
}

#[cfg(feature = "teacher")]
fn sheet_page(sheet: route::Sheet, id: &str) -> Html {
    use crate::components::{handout::Handout, worksheet::Worksheet};
    match sheet {
        route::Sheet::Handout => html! { <Handout key={id} id={id.to_string()} /> },
        route::Sheet::Worksheet => html! { <Worksheet key={id} id={id.to_string()} /> },
    }
}

#[cfg(feature = "imap")]
fn sandbox() -> Html {
    html! { <crate::components::sandbox_page::SandboxPage /> }
}

#[cfg(not(feature = "imap"))]
fn sandbox() -> Html {
    elsewhere("Loading the sandbox…")
}

#[cfg(not(feature = "teacher"))]
fn yours(_: &Option<String>) -> Html {
    elsewhere("Loading the teachers' tools…")
}

#[cfg(not(feature = "teacher"))]
fn sheet_page(_: route::Sheet, _: &str) -> Html {
    elsewhere("Loading the teachers' tools…")
}

/// The lite build has no teachers' tools and no sandbox: the full build in `full/` has,
/// at the same address.
#[cfg(not(all(feature = "teacher", feature = "imap")))]
fn elsewhere(loading: &'static str) -> Html {
    if let Some(w) = web_sys::window() {
        let _ = w.location().replace(&format!("full/{}", location_hash()));
    }
    html! { <p class="home-body" role="status">{ loading }</p> }
}
