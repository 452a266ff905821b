//! The keys of the player, listed: the `?` button at the end of the controls, or the `?`
//! key anywhere, opens the list. A popover of the platform (`popover`): Esc or a click
//! elsewhere closes it, and the keys keep driving the lesson while it is open, so a student
//! can try each one with the list in sight.

use yew::prelude::*;

/// The id of the list, which the `?` key opens ([`crate::hooks::use_keyboard`]).
pub const ID: &str = "keys-help";

/// Each key and what it does (the shortcuts of [`crate::hooks::use_keyboard::shortcut`],
/// and those of a transcript row). Markup of our own, fixed when the app is built (no
/// lesson's or message's text in it): built by `html!`, the same list cost the page's
/// code 3.5 times as many bytes.
const LIST: &str = concat!(
    r#"<div id="keys-help" popover class="keys-help" role="dialog" aria-labelledby="keys-title" data-testid="keys-help">"#,
    r#"<h2 id="keys-title" class="panel-title">Keys</h2><dl>"#,
    "<dt>→ or Page Down</dt><dd>the next step</dd>",
    "<dt>← or Page Up</dt><dd>the step before</dd>",
    "<dt>Shift+→  Shift+←</dt><dd>the next part, the start of this one</dd>",
    "<dt>Space</dt><dd>play or pause (presenting: the next step)</dd>",
    "<dt>Home  End</dt><dd>the start, the end</dd>",
    "<dt>↑ ↓</dt><dd>in the transcript: the row before or after, explained; Esc lets go</dd>",
    "<dt>S</dt><dd>the sequence diagram, or the network again</dd>",
    "<dt>P or F5</dt><dd>present to the class; Esc ends it</dd>",
    "<dt>?</dt><dd>this list</dd></dl>",
    r#"<button type="button" class="btn" popovertarget="keys-help" popovertargetaction="hide">Close</button></div>"#,
);

/// The button and the list (a view of no state: not a component of its own, which would
/// cost the page's code more).
pub fn view() -> Html {
    html! {
        <>
            <button type="button" class="btn keys-button" popovertarget={ID} data-testid="keys-button"
                aria-label="Keys (?)" title="Keys (?)">{ "?" }</button>
            { Html::from_html_unchecked(AttrValue::Static(LIST)) }
        </>
    }
}
