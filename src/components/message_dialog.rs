//! A message, large, over the page, in the message inspector: its source, and the
//! inspector's readings of it (hops, envelope, MIME parts, a bounce's report). Opened from
//! a mailbox (the copy as stored) or from the explanation of a message sent after `354`
//! (the message as the server reads it).

use mailroom_core::trace::{EventKind, Protocol};
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::class;
use crate::components::inspector::{self, View};
use crate::present;
use crate::shared::Shared;

#[derive(Properties, PartialEq)]
pub struct MessageDialogProps {
    pub run: Shared<LessonRun>,
    /// The event that carries the message: a delivery into a mailbox, or the message
    /// after `354`.
    pub index: usize,
    /// Over the title: "Bob’s mailbox", or who sent it to whom.
    pub eyebrow: String,
    pub onclose: Callback<()>,
}

/// Headers added on the way are marked, so students spot them: the trace fields, and (the
/// sender checks are in the full build only) a provider's signature and a receiver's
/// results, which the note above the source names with them.
fn is_trace_header(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.starts_with("return-path:")
        || lower.starts_with("received:")
        || (cfg!(feature = "trust")
            && (lower.starts_with("dkim-signature:") || lower.starts_with("authentication-results:")))
}

fn message_lines(text: &str) -> Html {
    let mut in_headers = true;
    let mut last_was_trace = false;
    let lines = text.lines().map(|l| {
        let l = l.trim_end_matches('\r');
        if l.is_empty() {
            in_headers = false;
        }
        let folded = l.starts_with([' ', '\t']);
        let trace = in_headers && (is_trace_header(l) || (folded && last_was_trace));
        if !folded {
            last_was_trace = trace;
        }
        html! { <span class={class!("msg-line", trace.then_some("trace-header"))}>{ l.to_string() }{ "\n" }</span> }
    });
    html! { <>{ for lines }</> }
}

/// The platform's modal `<dialog>` (`showModal()`): focus stays inside, the page is inert,
/// Escape closes it, and the focus goes back to what opened it. Its text scrolls inside it
/// (wheel, PageUp/PageDown, Home/End), so a long message such as a bounce is read to its
/// end at any window size.
#[component]
pub fn MessageDialog(props: &MessageDialogProps) -> Html {
    let dialog_ref = use_node_ref();
    let text_ref = use_node_ref();
    {
        let (dialog_ref, text_ref) = (dialog_ref.clone(), text_ref.clone());
        use_effect_with((), move |_| {
            let opener = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element())
                .and_then(|a| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(a).ok());
            if let Some(dialog) = dialog_ref.cast::<web_sys::HtmlDialogElement>()
                && !dialog.open()
            {
                let _ = dialog.show_modal();
            }
            // The text has the focus, so the keys scroll it at once; Tab reaches the views
            // and Close.
            if let Some(text) = text_ref.cast::<web_sys::HtmlElement>() {
                let _ = text.focus();
            }
            move || {
                // Out of the modal state first: while it lasts, the page is inert and cannot
                // take the focus.
                if let Some(dialog) = dialog_ref.cast::<web_sys::HtmlDialogElement>() {
                    dialog.close();
                }
                if let Some(el) = opener {
                    let _ = el.focus();
                }
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
    let trace = &props.run.trace;
    let ev = trace.events.get(props.index);
    let current = {
        let first = ev.and_then(|ev| View::all(ev, &present::message_bytes(ev)).first().copied());
        use_state(|| first.unwrap_or(View::Source))
    };
    let Some(ev) = ev else {
        return Html::default();
    };
    let sent = matches!(ev.kind, EventKind::MessageData);
    let message = present::message_bytes(ev);
    let text = String::from_utf8_lossy(&message).into_owned();
    let views = View::all(ev, &message);
    // A FETCH response is about a message, not one.
    let response = !views.contains(&View::Header);
    let subject = match response {
        true => "How the message is built".to_string(),
        false => present::header(&text, "Subject").unwrap_or_else(|| "(no subject)".into()),
    };
    let tabs = views.into_iter().map(|v| {
        let current = current.clone();
        html! {
            <button type="button" class="btn inspect-tab" aria-pressed={(v == *current).to_string()}
                onclick={Callback::from(move |_: MouseEvent| current.set(v))}>{ v.label() }</button>
        }
    });
    // What the servers on the way added: their trace, a signature, the results of checks;
    // Return-Path only where the message is filed (RFC 5321 §4.4), so never in one sent.
    let added: Vec<&str> = ["Return-Path", "Received", "DKIM-Signature", "Authentication-Results"]
        .into_iter()
        .filter(|h| !(sent && *h == "Return-Path") && present::header(&text, h).is_some())
        .collect();
    let trace_fields = match added.split_last() {
        Some((last, [])) => format!("{last} header"),
        Some((last, rest)) => format!("{} and {last} headers", rest.join(", ")),
        None => String::new(),
    };
    let note = match (*current, sent) {
        (_, _) if response && *current != View::Source => html! {
            { "What this one response says of the message's parts, before any of them is downloaded." }
        },
        (View::Source, _) if response => html! {
            { "The response as it travelled: one parenthesised list, each part of the message in a pair of parentheses inside it." }
        },
        // A bounce or a warning as its server wrote it: nothing added yet.
        (View::Source, false) if added.is_empty() => html! { { "As its server wrote it." } },
        (View::Source, false) => html! {
            <>{ "As stored, with the " }<mark>{ trace_fields.clone() }</mark>{ " added on the way." }</>
        },
        // IMAP's APPEND: the message in a literal, filed as it is (no dots, no 354).
        (View::Source, true) if ev.protocol == Protocol::Imap => html! {
            { "As the mail program sends it in APPEND's literal: the server files it as it is." }
        },
        // The first hop's has nothing of a server yet: it is as the mail program wrote it.
        (View::Source, true) if added.is_empty() => html! {
            { "As the server reads it after 354: the doubled dots undone, the final dot gone. No server has added anything to it yet." }
        },
        (View::Source, true) => html! {
            <>{ "As the server reads it after 354: the doubled dots undone, the final dot gone, with the " }<mark>{ trace_fields.clone() }</mark>{ " added on the way." }</>
        },
        _ => html! { { "Read out of the message for you; Source shows its text." } },
    };
    let body = if *current == View::Source {
        html! {
            <pre class="msg-text" ref={text_ref} tabindex="0" data-testid="message-text"
                aria-label="The message">{ message_lines(&text) }</pre>
        }
    } else {
        html! {
            <div class="inspect" tabindex="0" data-testid="inspect-view" aria-label={current.label()}>
                { inspector::view(*current, trace, props.index, &message) }
            </div>
        }
    };
    html! {
        <dialog class="modal" ref={dialog_ref} aria-modal="true" aria-labelledby="message-dialog-title"
            aria-describedby="message-dialog-note" data-testid="message-dialog" {onkeydown} {onclick}>
            <div class="modal-inner">
                <div class="modal-head">
                    <div>
                        <p class="eyebrow">{ props.eyebrow.clone() }</p>
                        <h2 id="message-dialog-title" class="modal-title">{ subject }</h2>
                    </div>
                    <button type="button" class="btn" onclick={props.onclose.reform(|_: MouseEvent| ())}>
                        { "Close" }
                    </button>
                </div>
                <div class="inspect-tabs" role="group" aria-label="Inspect the message">{ for tabs }</div>
                <p id="message-dialog-note" class="msg-note">{ note }</p>
                { body }
            </div>
        </dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::is_trace_header;

    #[test]
    fn the_fields_added_on_the_way_are_marked() {
        // (line, marked) as the source view shows a stored message's header.
        let cases = [
            ("Return-Path: <alice@example.org>", true),
            ("received: from smtp.example.org", true),
            ("DKIM-Signature: v=1; a=ed25519-sha256; d=example.org", cfg!(feature = "trust")),
            ("Authentication-Results: mx.example.net; spf=pass", cfg!(feature = "trust")),
            ("Subject: Lunch", false),
            ("From: Alice <alice@example.org>", false),
        ];
        for (line, marked) in cases {
            assert_eq!(is_trace_header(line), marked, "{line}");
        }
    }
}
