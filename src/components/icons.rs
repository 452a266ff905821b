//! Small inline SVG icons (no icon font, no emoji: they look the same everywhere).

use yew::prelude::*;

use crate::class;
use crate::present::LineEnd;

fn icon(path: &'static str) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
            <path d={path} fill="currentColor" />
        </svg>
    }
}

// The jumps (to the start, to the end) draw two triangles and a bar, ⏮ ⏭; a step one
// triangle and its bar, ◀▏ ▏▶: with one triangle each, "Go to the end" looked like "Step
// forward", and a student who clicked it for the next step was at the lesson's end.
const TO_START: &str = "M4 5h2.5v14H4zM13 5v14L6.5 12zM20.5 5v14L14 12z";
const STEP_BACK: &str = "M15 5v14L5 12zM17 5h2.5v14H17z";
const STEP_FORWARD: &str = "M4.5 5H7v14H4.5zM9 5v14l10-7z";
const TO_END: &str = "M3.5 5v14l6.5-7zM11 5v14l6.5-7zM17.5 5H20v14h-2.5z";

pub fn to_start() -> Html {
    icon(TO_START)
}

pub fn step_back() -> Html {
    icon(STEP_BACK)
}

pub fn play() -> Html {
    icon("M7 4.5v15L20 12z")
}

pub fn pause() -> Html {
    icon("M6 5h4.5v14H6zM13.5 5H18v14h-4.5z")
}

pub fn step_forward() -> Html {
    icon(STEP_FORWARD)
}

pub fn to_end() -> Html {
    icon(TO_END)
}

pub fn external() -> Html {
    html! {
        <svg class="icon-small" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
            <path d="M14 4h6v6h-2V7.4l-7.3 7.3-1.4-1.4L16.6 6H14zM5 6h6v2H7v9h9v-4h2v6H5z" fill="currentColor" />
        </svg>
    }
}

/// A visible line end: a one-line badge with the control characters' short names
/// ("CRLF", or "LF" alone in red for a bare line feed). Letters, not the Unicode control
/// pictures ␍ and ␊: many fonts (and so many classroom machines) have no glyph for them.
pub fn line_end(end: LineEnd, class: &'static str) -> Html {
    let bare = end != LineEnd::CrLf && class.is_empty();
    html! {
        <span class={class!("eol", class, bare.then_some("eol-bare"))} title={end.describe()}>
            { end.parts().concat() }
        </span>
    }
}

/// An envelope: the brand mark.
pub fn logo() -> Html {
    html! {
        <svg class="logo" viewBox="0 0 32 24" width="32" height="24" aria-hidden="true" focusable="false">
            <rect x="1.5" y="1.5" width="29" height="21" rx="3" fill="none" stroke="currentColor" stroke-width="2.5" />
            <path d="M2.5 3.5 16 14 29.5 3.5" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="round" />
        </svg>
    }
}

/// A clock: time that passed.
pub fn clock() -> Html {
    html! {
        <svg class="icon-small" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
            <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16zm-1 3v6l5 3 1-1.7-4-2.4V7z" fill="currentColor" />
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::{STEP_BACK, STEP_FORWARD, TO_END, TO_START};

    /// The shapes of a path: its closed parts, each a triangle (three corners) or a bar (four).
    fn shapes(path: &str) -> Vec<usize> {
        path.split('z')
            .filter(|p| !p.is_empty())
            .map(|p| p.matches(|c: char| c.is_ascii_alphabetic()).count())
            .collect()
    }

    #[test]
    fn a_jump_does_not_look_like_a_step() {
        let triangles = |path| shapes(path).iter().filter(|&&corners| corners == 3).count();
        for (jump, step) in [(TO_START, STEP_BACK), (TO_END, STEP_FORWARD)] {
            assert_eq!((triangles(jump), triangles(step)), (2, 1), "{jump} / {step}");
            assert_eq!(shapes(jump).len(), 3);
            assert_eq!(shapes(step).len(), 2);
        }
    }
}
