use crate::shared::Shared;

use mailroom_core::lesson::Lesson;
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::class;
use crate::components::message_dialog::MessageDialog;
use crate::present::{self, Deliveries, StoredMessage};

/// The newest messages of a mailbox listed; the count says how many it holds (a long
/// trace files hundreds, and a list of them all would cost every step its paint).
const LISTED: usize = 12;

#[derive(Properties, PartialEq)]
pub struct MailboxesProps {
    pub run: Shared<LessonRun>,
    pub lesson: Shared<Lesson>,
    pub cursor: usize,
}

/// One stored message: its subject and sender; the button opens it in a dialog.
fn message(m: &StoredMessage, cursor: usize, onopen: &Callback<usize>) -> Html {
    let index = m.index;
    html! {
        <li key={m.index} class={class!("message", (m.index + 1 == cursor).then_some("new"))}>
            <button type="button" class="message-open" aria-haspopup="dialog"
                onclick={onopen.reform(move |_: MouseEvent| index)}>
                <span class="msg-subject">{ m.subject.clone() }</span>
                <span class="msg-from">{ "From: " }{ m.from.clone() }</span>
                // Its word in its name too (WCAG 2.5.3: "click Read" works by voice); the
                // arrow is not read out.
                <span class="msg-read">{ "Read" }<span aria-hidden="true">{ " ›" }</span></span>
            </button>
        </li>
    }
}

/// The mailboxes of the World and what they hold at this moment: the lesson's
/// recipients in full, the others on one line.
#[component]
pub fn Mailboxes(props: &MailboxesProps) -> Html {
    let trace = &props.run.trace;
    let boxes = use_memo(props.run.clone(), |run| present::mailboxes(&run.trace));
    let deliveries = use_memo(props.run.clone(), |run| Deliveries::of(&run.trace));
    let held = |addr: &str| deliveries.at(addr, props.cursor);
    // What mailbox `addr` on `host` holds now, in its inbox and junk folder together: less
    // than was delivered once a mail program took messages away (POP3 DELE then QUIT, IMAP
    // EXPUNGE or MOVE), more once one filed messages there itself (IMAP APPEND or COPY),
    // which no delivery lists. A message in Junk (a DMARC quarantine) is still held, not
    // taken away. Also how many of those are in Junk, and how many were filed.
    let holds = |host: usize, addr: &str| {
        let snap = trace.snapshot_at(props.cursor).get(host);
        let inbox = snap.and_then(|s| s.mailboxes.iter().find(|(a, _)| a.eq_ignore_ascii_case(addr)));
        let junk = snap.map_or(0, |s| present::junk_count(s, addr));
        let kept = inbox.map_or(held(addr).len(), |(_, n)| n + junk);
        let filed = snap.map_or(0, |s| present::filed_count(s, addr)).min(kept);
        (kept, junk, filed)
    };
    let email = &props.lesson.email;
    // Every recipient of the lesson's message, copies included: their mailboxes are shown in full.
    let recipient = |addr: &str| {
        email
            .to
            .iter()
            .chain(&email.cc)
            .chain(&email.bcc)
            .any(|t| present::address_of(t).eq_ignore_ascii_case(addr))
    };
    // The recipients' mailboxes in full; and the sender's once news has come back to it (a
    // bounce, a delay warning), or when no recipient has a mailbox here (a lesson about a
    // bounce): then it is the one to watch.
    let sender = present::address_of(&props.lesson.email.from);
    let is_sender = |addr: &str| addr.eq_ignore_ascii_case(sender);
    let sender_has_news = boxes.iter().any(|(_, addr)| is_sender(addr) && !held(addr).is_empty());
    let no_recipient_here = !boxes.iter().any(|(_, addr)| recipient(addr));
    let (main, others): (Vec<_>, Vec<_>) = boxes.iter().partition(|(_, addr)| {
        recipient(addr) || (is_sender(addr) && (sender_has_news || no_recipient_here))
    });
    // Nobody of the lesson has a mailbox here: show them all.
    let (main, others) = if main.is_empty() { (others, Vec::new()) } else { (main, others) };
    // The message open in the dialog (its delivery event); the dialog gives the focus
    // back to the button that opened it when it closes.
    let open = use_state(|| None::<usize>);
    let onopen = {
        let open = open.setter();
        use_callback((), move |i: usize, _| open.set(Some(i)))
    };
    let onclose = {
        let open = open.setter();
        use_callback((), move |_: (), _| open.set(None))
    };
    // Shown only while the message is delivered at this cursor: stepping back before the
    // delivery closes it.
    let dialog = (*open).and_then(|i| {
        let (_, addr) = main.iter().chain(others.iter()).find(|(_, a)| {
            trace.events.get(i).is_some_and(|e| matches!(&e.kind, mailroom_core::trace::EventKind::Delivery { mailbox } if mailbox.eq_ignore_ascii_case(a)))
        })?;
        let m = held(addr).contains(&i).then(|| present::stored(trace, i)).flatten()?;
        Some(html! {
            <MessageDialog index={m.index} run={props.run.clone()} eyebrow={present::mailbox_title(&props.lesson, addr)} onclose={onclose.clone()} />
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
                let all = held(addr);
                let (kept, junk, filed) = holds(*host, addr);
                let gone = all.len().saturating_sub(kept - filed);
                let earlier = all.len().saturating_sub(LISTED);
                let messages: Vec<StoredMessage> = all[earlier..].iter().filter_map(|&i| present::stored(trace, i)).collect();
                let host_name = trace.hosts.get(*host).map(|h| h.name.clone()).unwrap_or_default();
                html! {
                    <div key={addr.clone()} class="mailbox" data-testid="mailbox" data-owner={addr.clone()}
                        data-count={kept.to_string()}>
                        <h3 class="mailbox-title">
                            <span>{ present::mailbox_title(&props.lesson, addr) }</span>
                            <span class="mailbox-where">{ format!("{addr} on {host_name}") }</span>
                            <span class="count-badge">
                                { kept }
                                <span class="visually-hidden">{ if kept == 1 { " message" } else { " messages" } }</span>
                            </span>
                        </h3>
                        if gone > 0 {
                            <p class="muted messages-earlier" data-testid="mailbox-gone">
                                { format!("{} delivered here, {gone} of them no longer in the inbox (removed by a mail program):", all.len()) }
                            </p>
                        }
                        if filed > 0 {
                            <p class="muted messages-earlier" data-testid="mailbox-filed">
                                { format!("{filed} of {kept} put here by a mail program (IMAP APPEND or COPY, RFC 3501 §6.3.11, §6.4.7), not delivered, so not listed with the deliveries.") }
                            </p>
                        }
                        if junk > 0 {
                            <p class="muted messages-earlier" data-testid="mailbox-junk">
                                { format!("{junk} of {kept} in the Junk folder, not the inbox (the sender's domain asked for it: DMARC quarantine).") }
                            </p>
                        }
                        if earlier > 0 {
                            <p class="muted messages-earlier">{ format!("The newest {LISTED}, after {earlier} earlier ones:") }</p>
                        }
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
                    { for others.iter().enumerate().map(|(i, (host, addr))| {
                        let (n, _, _) = holds(*host, addr);
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
