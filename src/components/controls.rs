use yew::prelude::*;

use crate::components::icons;
use crate::components::keys_help;
use crate::present::LineEnd;
use crate::state::{Action, Speed, step_cursor};

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub cursor: usize,
    pub total: usize,
    pub playing: bool,
    pub speed: Speed,
    pub show_line_ends: bool,
    /// Play straight through, not stopping at each new part.
    pub play_through: bool,
    /// Where the lesson's steps are, drawn as marks on the timeline.
    pub anchors: Vec<Option<usize>>,
    /// The player's reducer: the buttons send their actions straight to it (one callback
    /// that stays the same from render to render).
    pub dispatch: Callback<Action>,
}

/// The bottom bar: transport buttons, timeline, speed and the line-ends switch.
#[component]
pub fn Controls(props: &ControlsProps) -> Html {
    let click = |action: Action| props.dispatch.reform(move |_: MouseEvent| action.clone());
    let oninput = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(n) = input.value().parse::<usize>() {
                dispatch.emit(Action::Seek(n));
            }
        })
    };
    // PageUp and PageDown (a presenter's clicker) step one back and one on, as everywhere
    // else on the page; a slider's own would jump a tenth of the lesson.
    let onkeydown = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            let action = match e.key().as_str() {
                "PageUp" => Action::Back,
                "PageDown" => Action::Step,
                _ => return,
            };
            e.prevent_default();
            dispatch.emit(action);
        })
    };
    let onspeed = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(speed) = Speed::from_key(&select.value()) {
                dispatch.emit(Action::SetSpeed(speed));
            }
        })
    };
    let at_start = props.cursor == 0;
    let at_end = props.cursor >= props.total;
    let total = props.total.max(1) as f64;
    let marks = props.anchors.iter().map(|a| {
        let left = step_cursor(*a) as f64 / total * 100.0;
        html! { <span class="timeline-mark" style={format!("left: {}%", crate::num::fixed(left, 3))}></span> }
    });

    html! {
        <footer class="controls" role="region" aria-label="Player controls">
            <div class="transport" role="group" aria-label="Playback">
                <button type="button" class="btn" data-testid="to-start" aria-label="Go to the start (Home)"
                    title="Go to the start (Home)" disabled={at_start} onclick={click(Action::ToStart)}>
                    { icons::to_start() }
                </button>
                <button type="button" class="btn" data-testid="step-back" aria-label="Step back (←)"
                    title="Step back (←)" disabled={at_start} onclick={click(Action::Back)}>
                    { icons::step_back() }
                </button>
                <button type="button" class="btn btn-play" data-testid="play"
                    aria-label={if props.playing { "Pause (Space)" } else { "Play (Space)" }}
                    title={if props.playing { "Pause (Space)" } else { "Play (Space)" }}
                    aria-pressed={props.playing.to_string()}
                    disabled={props.total == 0}
                    onclick={click(Action::Toggle)}>
                    if props.playing { { icons::pause() } } else { { icons::play() } }
                    <span class="btn-text">{ if props.playing { "Pause" } else { "Play" } }</span>
                </button>
                <button type="button" class="btn" data-testid="step-forward" aria-label="Step forward (→)"
                    title="Step forward (→)" disabled={at_end} onclick={click(Action::Step)}>
                    { icons::step_forward() }
                </button>
                <button type="button" class="btn" data-testid="to-end" aria-label="Go to the end (End)"
                    title="Go to the end (End)" disabled={at_end} onclick={click(Action::ToEnd)}>
                    { icons::to_end() }
                </button>
            </div>
            <div class="timeline">
                <div class="timeline-marks" aria-hidden="true">{ for marks }</div>
                <input
                    type="range"
                    data-testid="timeline"
                    min="0"
                    max={props.total.to_string()}
                    step="1"
                    value={props.cursor.to_string()}
                    aria-label="Timeline"
                    aria-valuetext={format!("Step {} of {}", props.cursor, props.total)}
                    {oninput}
                    {onkeydown}
                />
            </div>
            <label class="speed">
                <span>{ "Speed" }</span>
                <select data-testid="speed" onchange={onspeed}>
                    { for Speed::ALL.iter().map(|s| html! {
                        <option value={s.key()} selected={*s == props.speed}>{ s.label() }</option>
                    }) }
                </select>
            </label>
            <label class="line-ends stop-at-parts" title="Play stops where each part begins; Play goes on">
                <input
                    type="checkbox"
                    data-testid="stop-at-parts"
                    checked={!props.play_through}
                    onchange={props.dispatch.reform(|_: Event| Action::TogglePlayThrough)}
                />
                <span>{ "Stop at each part" }</span>
            </label>
            <label class="line-ends" title="Show the invisible carriage return and line feed that end every line">
                <input
                    type="checkbox"
                    data-testid="line-ends"
                    checked={props.show_line_ends}
                    onchange={props.dispatch.reform(|_: Event| Action::ToggleLineEnds)}
                />
                <span>{ "Line ends " }<span aria-hidden="true">{ icons::line_end(LineEnd::CrLf, "eol-sample") }</span></span>
            </label>
            { keys_help::view() }
        </footer>
    }
}
