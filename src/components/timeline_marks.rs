use yew::prelude::*;

use crate::state::step_cursor;

#[derive(Properties, PartialEq)]
pub struct TimelineMarksProps {
    /// Where the lesson's parts start (`None` = the start).
    pub anchors: Vec<Option<usize>>,
    /// Events in the trace.
    pub total: usize,
}

/// A mark on the timeline where each part of the lesson starts. A component of its own,
/// whose props do not change from step to step: a step does not compare its marks again.
#[component]
pub fn TimelineMarks(props: &TimelineMarksProps) -> Html {
    let total = props.total.max(1) as f64;
    let marks = props.anchors.iter().map(|a| {
        let left = step_cursor(*a) as f64 / total * 100.0;
        html! { <span class="timeline-mark" style={format!("left: {}%", crate::num::fixed(left, 3))}></span> }
    });
    html! { <div class="timeline-marks" aria-hidden="true">{ for marks }</div> }
}
