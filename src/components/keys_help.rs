//! The keys of the player, listed: the `?` button at the end of the controls, or the `?`
//! key anywhere, opens the list. A popover of the platform (`popover`): it takes the focus
//! on its Close button as it opens (`autofocus`) and gives it back as it closes; Esc or a
//! click elsewhere closes it, and the keys keep driving the lesson while it is open, so a
//! student can try each one with the list in sight.

use yew::prelude::*;

/// The id of the list, which the `?` key opens ([`crate::hooks::use_keyboard`]).
pub const ID: &str = "keys-help";
/// The list while it is open, which Esc closes.
pub const OPEN: &str = "#keys-help:popover-open";

/// Each key and what it does (the shortcuts of [`crate::hooks::shortcut`],
/// and those of a transcript row). Markup of our own, fixed when the app is built (no
/// lesson's or message's text in it): built by `html!`, the same list cost the page's
/// code 3.5 times as many bytes.
const LIST: &str = concat!(
    r#"<section id="keys-help" popover class="keys-help" aria-labelledby="keys-title" data-testid="keys-help">"#,
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
    r#"<button type="button" class="btn" popovertarget="keys-help" popovertargetaction="hide" autofocus>Close</button></section>"#,
);

/// The button and the list (a view of no state: not a component of its own, which would
/// cost the page's code more).
pub fn view() -> Html {
    html! {
        <>
            <button type="button" class="btn keys-button" popovertarget={ID} data-testid="keys-button"
                aria-label="Keys" aria-keyshortcuts="?" title="Keys (?)">{ "?" }</button>
            { Html::from_html_unchecked(AttrValue::Static(LIST)) }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::LIST;
    use crate::hooks::{Target, shortcut};

    /// Every key the player's shortcuts take, among all printable characters and the named
    /// keys, is in the list, as it is shown there.
    #[test]
    fn the_list_names_every_shortcut() {
        let shown = |key: &str| match key {
            "ArrowRight" => "→",
            "ArrowLeft" => "←",
            "PageDown" => "Page Down",
            "PageUp" => "Page Up",
            " " | "Spacebar" => "<dt>Space</dt>",
            "Home" | "End" => "<dt>Home  End</dt>",
            "Escape" | "Esc" => "Esc ends it",
            "s" | "S" => "<dt>S</dt>",
            "p" | "P" | "F5" => "<dt>P or F5</dt>",
            _ => panic!("the shortcut {key:?} is not in the list of keys"),
        };
        let named = ["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End"];
        let more = ["Spacebar", "Escape", "Esc", "Enter", "Tab", "Backspace", "Delete", "Insert"];
        let function: Vec<String> = (1..=12).map(|n| format!("F{n}")).collect();
        let printable: Vec<String> = (b' '..=b'~').map(|b| char::from(b).to_string()).collect();
        let keys = named.iter().chain(&more).map(|k| k.to_string()).chain(function).chain(printable);
        let mut found = 0;
        for key in keys {
            for (shift, presenting) in [(false, false), (true, false), (false, true)] {
                if shortcut(&key, Target::Page, shift, presenting).is_some() {
                    found += 1;
                    assert!(LIST.contains(shown(&key)), "{key:?}");
                }
            }
            if key == "ArrowRight" || key == "ArrowLeft" {
                assert!(LIST.contains(&format!("Shift+{}", shown(&key))), "Shift with {key:?}");
            }
        }
        assert!(found >= 15, "{found}");
        assert!(LIST.contains("<dt>?</dt>") && LIST.contains("<dt>↑ ↓</dt>"));
        // The list's id, written into its markup, is the one the keys and the button use.
        assert!(
            LIST.contains(&format!(r#"id="{}" popover"#, super::ID))
                && LIST.contains(&format!(r#"popovertarget="{}""#, super::ID))
        );
        assert_eq!(super::OPEN, format!("#{}:popover-open", super::ID));
    }
}
