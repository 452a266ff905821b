use gloo_events::EventListener;
use yew::prelude::*;

use crate::components::app::App;
use crate::components::home::Home;
use crate::hooks::location_hash;
use crate::route;

/// What the address shows: a lesson's player (`true`) or the home page; in the full build
/// also a lesson's hand-out or worksheet.
#[cfg(not(feature = "teacher"))]
type View = bool;
#[cfg(not(feature = "teacher"))]
fn view(hash: &str) -> View {
    route::parse(hash).is_some()
}

#[cfg(feature = "teacher")]
type View = Option<Option<(route::Sheet, String)>>;
/// `Some(None)`: a lesson's player; `Some(Some(..))`: a sheet; `None`: the home page.
#[cfg(feature = "teacher")]
fn view(hash: &str) -> View {
    match route::parse_sheet(hash) {
        Some(sheet) => Some(Some(sheet)),
        None => route::parse(hash).is_some().then_some(None),
    }
}

/// The page: a lesson's player when the address names a lesson (`#/lesson/…`), the home
/// page with the learning path otherwise; in the full build, a lesson's hand-out or
/// worksheet at `#/handout/…` and `#/worksheet/…` (the teacher tools, see
/// [`crate::route::Sheet`]). Follows the address as it changes.
#[component]
pub fn Page() -> Html {
    let shown = use_state(|| view(&location_hash()));
    {
        let shown = shown.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window()
                .map(|w| EventListener::new(&w, "hashchange", move |_| shown.set(view(&location_hash()))));
            move || drop(listener)
        });
    }
    #[cfg(feature = "teacher")]
    {
        use crate::components::{handout::Handout, worksheet::Worksheet};
        match (*shown).clone() {
            Some(Some((route::Sheet::Handout, id))) => {
                html! { <Handout key={id.as_str()} id={id.clone()} /> }
            }
            Some(Some((route::Sheet::Worksheet, id))) => {
                html! { <Worksheet key={id.as_str()} id={id.clone()} /> }
            }
            Some(None) => html! { <App /> },
            None => html! { <Home /> },
        }
    }
    #[cfg(not(feature = "teacher"))]
    if *shown {
        html! { <App /> }
    } else {
        html! { <Home /> }
    }
}
