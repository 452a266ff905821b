use std::rc::Rc;

use mailroom_core::lesson::Lesson;
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::present::{self, StoredMessage};

#[derive(Properties, PartialEq)]
pub struct MailboxesProps {
    pub run: Rc<LessonRun>,
    pub lesson: Rc<Lesson>,
    pub cursor: usize,
}

/// Headers added on the way (trace fields) are marked, so students spot them.
fn is_trace_header(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.starts_with("return-path:") || lower.starts_with("received:")
}

fn message(m: &StoredMessage, cursor: usize) -> Html {
    let mut in_headers = true;
    let mut last_was_trace = false;
    let lines = m.text.lines().map(|l| {
        let l = l.trim_end_matches('\r');
        if l.is_empty() {
            in_headers = false;
        }
        let folded = l.starts_with([' ', '\t']);
        let trace = in_headers && (is_trace_header(l) || (folded && last_was_trace));
        if !folded {
            last_was_trace = trace;
        }
        html! { <span class={classes!("msg-line", trace.then_some("trace-header"))}>{ l.to_string() }{ "\n" }</span> }
    });
    html! {
        <li key={m.index} class={classes!("message", (m.index + 1 == cursor).then_some("new"))}>
            <details>
                <summary>
                    <span class="msg-subject">{ m.subject.clone() }</span>
                    <span class="msg-from">{ "From: " }{ m.from.clone() }</span>
                </summary>
                <p class="msg-note">{ "As stored, with the " }<mark>{ "Return-Path and Received" }</mark>{ " headers added on the way:" }</p>
                <pre class="msg-text">{ for lines }</pre>
            </details>
        </li>
    }
}

/// The mailboxes of the World and what they hold at this moment: the lesson's
/// recipients in full, the others on one line.
#[component]
pub fn Mailboxes(props: &MailboxesProps) -> Html {
    let trace = &props.run.trace;
    let boxes = use_memo(props.run.clone(), |run| present::mailboxes(&run.trace));
    let recipient =
        |addr: &str| props.lesson.email.to.iter().any(|t| present::address_of(t).eq_ignore_ascii_case(addr));
    let (main, others): (Vec<_>, Vec<_>) = boxes.iter().partition(|(_, addr)| recipient(addr));
    let (main, others) = if main.is_empty() { (others, Vec::new()) } else { (main, others) };

    html! {
        <section class="panel mailboxes" aria-labelledby="mailboxes-title">
            <h2 id="mailboxes-title" class="panel-title">{ "Mailboxes" }</h2>
            if boxes.is_empty() {
                <p class="muted">{ "No mailboxes in this lesson." }</p>
            }
            // Keyed lists get an element of their own: next to an `if`, Yew would
            // rebuild them on every render.
            <div class="mailbox-list">
            { for main.iter().map(|(host, addr)| {
                let messages = present::messages(trace, props.cursor, addr);
                let host_name = trace.hosts.get(*host).map(|h| h.name.clone()).unwrap_or_default();
                html! {
                    <div key={addr.clone()} class="mailbox" data-testid="mailbox" data-owner={addr.clone()}
                        data-count={messages.len().to_string()}>
                        <h3 class="mailbox-title">
                            <span>{ present::mailbox_title(&props.lesson, addr) }</span>
                            <span class="mailbox-where">{ format!("{addr} on {host_name}") }</span>
                            <span class="count-badge">
                                { messages.len() }
                                <span class="visually-hidden">{ if messages.len() == 1 { " message" } else { " messages" } }</span>
                            </span>
                        </h3>
                        if !messages.is_empty() {
                            <ul class="messages">{ for messages.iter().map(|m| message(m, props.cursor)) }</ul>
                        }
                    </div>
                }
            }) }
            </div>
            if !others.is_empty() {
                <p class="other-mailboxes">
                    { "Other mailboxes: " }
                    { for others.iter().enumerate().map(|(i, (_, addr))| {
                        let n = present::messages(trace, props.cursor, addr).len();
                        html! {
                            <span key={addr.clone()} class="other-mailbox" data-testid="mailbox" data-owner={addr.clone()}
                                data-count={n.to_string()}>
                                if i > 0 { { " · " } }
                                <span class="mono">{ addr.clone() }</span>{ format!(" {n}") }
                            </span>
                        }
                    }) }
                </p>
            }
        </section>
    }
}
