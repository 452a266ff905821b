use gloo_events::EventListener;
use yew::prelude::*;

use crate::components::app::App;
use crate::components::home::Home;
use crate::hooks::location_hash;
use crate::route;

/// The page: a lesson's player when the address names a lesson (`#/lesson/…`), the home
/// page with the learning path otherwise. Follows the address as it changes.
#[component]
pub fn Page() -> Html {
    let in_lesson = use_state(|| route::parse(&location_hash()).is_some());
    {
        let in_lesson = in_lesson.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                EventListener::new(&w, "hashchange", move |_| {
                    in_lesson.set(route::parse(&location_hash()).is_some());
                })
            });
            move || drop(listener)
        });
    }
    if *in_lesson {
        html! { <App /> }
    } else {
        html! { <Home /> }
    }
}
