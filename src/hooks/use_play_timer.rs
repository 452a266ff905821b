use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::state::{Action, Player, Speed};

/// The first step after pressing Play comes quickly, so the press feels answered.
const FIRST_STEP_MS: u32 = 300;

/// While playing, dispatches [`Action::Tick`] once per step time. The timer is re-armed
/// whenever the cursor moves, so a manual step while playing restarts the wait.
#[hook]
pub fn use_play_timer(playing: bool, cursor: usize, speed: Speed, dispatcher: UseReducerDispatcher<Player>) {
    let was_playing = use_mut_ref(|| false);
    use_effect_with((playing, cursor, speed), move |&(playing, _, speed)| {
        let just_started = playing && !*was_playing.borrow();
        *was_playing.borrow_mut() = playing;
        let timeout = playing.then(|| {
            let delay = if just_started { FIRST_STEP_MS.min(speed.step_ms()) } else { speed.step_ms() };
            Timeout::new(delay, move || dispatcher.dispatch(Action::Tick))
        });
        move || drop(timeout)
    });
}
