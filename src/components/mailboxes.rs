use crate::shared::Shared;

use mailroom_core::lesson::Lesson;
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::components::inspector::{self, View};
use crate::present::{self, StoredMessage};

#[derive(Properties, PartialEq)]
pub struct MailboxesProps {
    pub run: Shared<LessonRun>,
    pub lesson: Shared<Lesson>,
    pub cursor: usize,
}

/// Headers added on the way (trace fields) are marked, so students spot them.
fn is_trace_header(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.starts_with("return-path:") || lower.starts_with("received:")
}

fn message_lines(m: &StoredMessage) -> Html {
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
    html! { <>{ for lines }</> }
}

/// One stored message: its subject and sender; the button opens it in a dialog.
fn message(m: &StoredMessage, cursor: usize, onopen: &Callback<usize>) -> Html {
    let index = m.index;
    html! {
        <li key={m.index} class={classes!("message", (m.index + 1 == cursor).then_some("new"))}>
            <button type="button" class="message-open" aria-haspopup="dialog"
                onclick={onopen.reform(move |_: MouseEvent| index)}>
                <span class="msg-subject">{ m.subject.clone() }</span>
                <span class="msg-from">{ "From: " }{ m.from.clone() }</span>
                <span class="msg-read" aria-hidden="true">{ "Read ›" }</span>
            </button>
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct MessageDialogProps {
    message: StoredMessage,
    /// The run the message is read from, for the inspector's views.
    run: Shared<LessonRun>,
    /// "Bob’s mailbox".
    mailbox: String,
    onclose: Callback<()>,
}

/// A stored message, large, over the page: the side column is too small to read it in.
/// The platform's modal `<dialog>` (`showModal()`): focus stays inside, the page is inert,
/// Escape closes it. Its text scrolls inside it (wheel, PageUp/PageDown, Home/End), so a
/// long message such as a bounce is read to its end at any window size.
#[component]
fn MessageDialog(props: &MessageDialogProps) -> Html {
    let dialog_ref = use_node_ref();
    let text_ref = use_node_ref();
    {
        let (dialog_ref, text_ref) = (dialog_ref.clone(), text_ref.clone());
        use_effect_with((), move |_| {
            if let Some(dialog) = dialog_ref.cast::<web_sys::HtmlDialogElement>()
                && !dialog.open()
            {
                let _ = dialog.show_modal();
            }
            // The text has the focus, so the keys scroll it at once; Tab reaches Close.
            if let Some(text) = text_ref.cast::<web_sys::HtmlElement>() {
                let _ = text.focus();
            }
        });
    }
    let onkeydown = {
        let onclose = props.onclose.clone();
        Callback::from(move |e: KeyboardEvent| {
            // The player's shortcuts (Space, arrows, Home, End) do not reach the page: in
            // the text they scroll it, as the browser does.
            e.stop_propagation();
            if e.key() == "Escape" {
                e.prevent_default();
                onclose.emit(());
            }
        })
    };
    // A click on the backdrop lands on the <dialog> itself (its content is a child).
    let onclick = {
        let (onclose, dialog_ref) = (props.onclose.clone(), dialog_ref.clone());
        Callback::from(move |e: MouseEvent| {
            let on_dialog = e
                .target()
                .zip(dialog_ref.get())
                .is_some_and(|(t, d)| wasm_bindgen::JsValue::from(t) == wasm_bindgen::JsValue::from(d));
            if on_dialog {
                onclose.emit(());
            }
        })
    };
    let m = &props.message;
    let bytes = props.run.trace.events.get(m.index).map(|e| e.bytes.as_slice()).unwrap_or_default();
    let views = View::all(bytes);
    let current = use_state(|| View::Source);
    let tabs = views.iter().map(|&v| {
        let current = current.clone();
        html! {
            <button type="button" class="btn inspect-tab" aria-pressed={(v == *current).to_string()}
                onclick={Callback::from(move |_: MouseEvent| current.set(v))}>{ v.label() }</button>
        }
    });
    let body = if *current == View::Source {
        html! {
            <pre class="msg-text" ref={text_ref} tabindex="0" data-testid="message-text"
                aria-label="The message">{ message_lines(m) }</pre>
        }
    } else {
        html! {
            <div class="inspect" tabindex="0" data-testid="inspect-view" aria-label={current.label()}>
                { inspector::view(*current, &props.run.trace, m.index) }
            </div>
        }
    };
    html! {
        <dialog class="modal" ref={dialog_ref} aria-modal="true" aria-labelledby="message-dialog-title"
            aria-describedby="message-dialog-note" data-testid="message-dialog" {onkeydown} {onclick}>
            <div class="modal-inner">
                <div class="modal-head">
                    <div>
                        <p class="eyebrow">{ props.mailbox.clone() }</p>
                        <h2 id="message-dialog-title" class="modal-title">{ m.subject.clone() }</h2>
                    </div>
                    <button type="button" class="btn" onclick={props.onclose.reform(|_: MouseEvent| ())}>
                        { "Close" }
                    </button>
                </div>
                <div class="inspect-tabs" role="group" aria-label="Inspect the message">{ for tabs }</div>
                <p id="message-dialog-note" class="msg-note">
                    if *current == View::Source {
                        { "As stored, with the " }<mark>{ "Return-Path and Received" }</mark>{ " headers added on the way. Scroll to read it all." }
                    } else {
                        { "What the message says, read part by part. Scroll to read it all." }
                    }
                </p>
                { body }
            </div>
        </dialog>
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
    // No recipient has a mailbox here (a lesson about a bounce): the news comes back to
    // the sender, so the sender's mailbox is the one to watch.
    let (main, others) = if main.is_empty() {
        let sender = present::address_of(&props.lesson.email.from);
        let (main, others): (Vec<_>, Vec<_>) =
            boxes.iter().partition(|(_, addr)| addr.eq_ignore_ascii_case(sender));
        if main.is_empty() { (others, Vec::new()) } else { (main, others) }
    } else {
        (main, others)
    };
    // The message open in the dialog (its delivery event), and the button that opened it.
    let open = use_state(|| None::<usize>);
    let opener = use_mut_ref(|| None::<web_sys::HtmlElement>);
    let onopen = {
        let open = open.setter();
        use_callback(opener.clone(), move |i: usize, opener| {
            *opener.borrow_mut() = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element())
                .and_then(|a| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(a).ok());
            open.set(Some(i));
        })
    };
    let onclose = {
        let open = open.setter();
        use_callback(opener, move |_: (), opener| {
            open.set(None);
            if let Some(el) = opener.borrow_mut().take() {
                let _ = el.focus();
            }
        })
    };
    // Shown only while the message is delivered at this cursor: stepping back before the
    // delivery closes it.
    let dialog = (*open).and_then(|i| {
        let (_, addr) = main.iter().chain(others.iter()).find(|(_, a)| {
            trace.events.get(i).is_some_and(|e| matches!(&e.kind, mailroom_core::trace::EventKind::Delivery { mailbox } if mailbox.eq_ignore_ascii_case(a)))
        })?;
        let m = present::messages(trace, props.cursor, addr).into_iter().find(|m| m.index == i)?;
        Some(html! {
            <MessageDialog message={m} run={props.run.clone()} mailbox={present::mailbox_title(&props.lesson, addr)} onclose={onclose.clone()} />
        })
    });

    html! {
        <section class="panel mailboxes" aria-labelledby="mailboxes-title">
            // Each mailbox is titled ("Bob’s mailbox"): the panel's heading is for screen
            // readers, and its line on screen goes to the text of the column.
            <h2 id="mailboxes-title" class="visually-hidden">{ "Mailboxes" }</h2>
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
                            <ul class="messages">{ for messages.iter().map(|m| message(m, props.cursor, &onopen)) }</ul>
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
            if let Some(dialog) = dialog { { dialog } }
        </section>
    }
}
