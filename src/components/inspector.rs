//! The message inspector's views of one message, beside its raw source: the header fields
//! in order with the `Received:` chain read hop by hop, the envelope next to the header,
//! the MIME tree, and a bounce's delivery-status fields explained. The engine reads the
//! message ([`mailroom_core::inspect`]); this only lays it out, as text nodes.

#[cfg(feature = "imap")]
use mailroom_core::imap::structure::{self, BodyPart};
use mailroom_core::inspect::{self, Dsn, DsnField, Part};
use mailroom_core::trace::{Trace, TraceEvent};
use yew::prelude::*;

use crate::components::explanation::{explanation_text, rfc_link};

/// One view of the inspector.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum View {
    Source,
    Header,
    Envelope,
    Mime,
    Report,
    /// The MIME tree an IMAP server's BODYSTRUCTURE describes.
    #[cfg(feature = "imap")]
    Structure,
}

impl View {
    pub fn label(self) -> &'static str {
        match self {
            View::Source => "Source",
            View::Header => "Header and hops",
            View::Envelope => "Envelope",
            View::Mime => "MIME parts",
            View::Report => "Bounce report",
            #[cfg(feature = "imap")]
            View::Structure => "MIME tree",
        }
    }

    /// The views that `message`, carried by `ev`, has: the report only for a delivery
    /// status notification; a FETCH response with a BODYSTRUCTURE has its tree and the
    /// response itself.
    pub fn all(ev: &TraceEvent, message: &[u8]) -> Vec<View> {
        #[cfg(feature = "imap")]
        if body_structure(ev).is_some() {
            return vec![View::Structure, View::Source];
        }
        #[cfg(not(feature = "imap"))]
        let _ = ev;
        let mut v = vec![View::Source, View::Header, View::Envelope, View::Mime];
        if inspect::dsn(message).is_some() {
            v.push(View::Report);
        }
        v
    }
}

/// The header fields in order, then the `Received:` chain oldest hop first.
fn header(message: &[u8]) -> Html {
    let fields = inspect::fields(message);
    // Oldest hop first: the engine reads the Received: lines from the bottom up.
    let hops = inspect::received_chain(message);
    let or_unknown = |s: &Option<String>| s.clone().unwrap_or_else(|| "?".into());
    html! {
        <>
            <h3 class="inspect-h">{ "The journey, hop by hop" }</h3>
            if hops.is_empty() {
                <p class="muted">{ "No Received: lines: no server has taken this copy from another host yet. Each one that does adds a line on top (RFC 5321 §4.4)." }</p>
            } else {
                <p class="muted">{ "Every server that takes the message adds a Received: line on top, so the first hop is the lowest line (RFC 5321 §4.4)." }</p>
                <ol class="hops">
                    { for hops.iter().map(|h| html! {
                        <li>
                            <span class="hop-route">
                                { or_unknown(&h.from) }
                                if let Some(tcp) = &h.from_tcp { <span class="muted">{ " (" }{ tcp.clone() }{ ")" }</span> }
                                { " → " }{ or_unknown(&h.by) }
                            </span>
                            if let Some(with) = &h.with {
                                <span class="hop-with">
                                    { "with " }<code>{ with.clone() }</code>
                                    if let Some(meaning) = h.protocol_meaning() { { ": " }{ meaning } }
                                </span>
                            }
                            if let Some(date) = &h.date { <span class="muted">{ date.clone() }</span> }
                        </li>
                    }) }
                </ol>
            }
            { auth_results(message) }
            <h3 class="inspect-h">{ "Header fields, in order" }</h3>
            <dl class="fields">
                { for fields.iter().map(|f| html! {
                    <>
                        <dt>{ f.name.clone() }{ ":" }</dt>
                        <dd>{ f.value.clone() }</dd>
                    </>
                }) }
            </dl>
        </>
    }
}

/// What the receiving servers found when they checked who sent it (SPF, DKIM, DMARC), from
/// their `Authentication-Results:` fields (RFC 8601); nothing when no server checked. Only
/// the full build has lessons whose servers check.
#[cfg(not(feature = "trust"))]
fn auth_results(_message: &[u8]) -> Html {
    Html::default()
}

/// What the receiving servers found when they checked who sent it (SPF, DKIM, DMARC), from
/// their `Authentication-Results:` fields (RFC 8601); nothing when no server checked.
#[cfg(feature = "trust")]
fn auth_results(message: &[u8]) -> Html {
    let checks = inspect::auth_results(message);
    if checks.is_empty() {
        return Html::default();
    }
    html! {
        <>
            <h3 class="inspect-h">{ "Who sent it? What the servers checked" }</h3>
            <p class="muted">{ "A server that checks the sender writes what it found in an Authentication-Results: line on top (RFC 8601)." }</p>
            { for checks.iter().map(|ar| html! {
                <dl class="fields dsn">
                    <dt>{ "Checked by" }</dt>
                    <dd><code>{ ar.authserv_id.clone() }</code></dd>
                    if ar.results.is_empty() {
                        <dt>{ "Result" }</dt><dd>{ "none: nothing was checked" }</dd>
                    }
                    { for ar.results.iter().map(|r| {
                        let props: Vec<String> = r.props.iter().map(|(k, v)| format!(" {k}={v}")).collect();
                        html! {
                            <>
                                <dt>{ r.method.to_ascii_uppercase() }</dt>
                                <dd>
                                    <code><strong>{ r.result.clone() }</strong>{ props.concat() }</code>
                                    if let Some(x) = r.explanation {
                                        <span class="dsn-what">{ x.title }{ " " }{ rfc_link(x) }</span>
                                        <details class="dsn-what">
                                            <summary>{ "What the results mean" }</summary>
                                            { explanation_text(x.text) }
                                        </details>
                                    }
                                </dd>
                            </>
                        }
                    }) }
                </dl>
            }) }
        </>
    }
}

/// The envelope (what the servers acted on) beside the header (what the reader sees).
fn envelope(trace: &Trace, index: usize, message: &[u8]) -> Html {
    let env = inspect::envelope(trace, index).unwrap_or_default();
    let header = |name: &str| {
        let a = inspect::addresses(message, name);
        if a.is_empty() { "(none)".to_string() } else { a.join(", ") }
    };
    let from =
        if env.mail_from.is_empty() { "<> (empty: a bounce)".to_string() } else { env.mail_from.clone() };
    let rcpt = if env.rcpt_to.is_empty() { "(none)".to_string() } else { env.rcpt_to.join(", ") };
    html! {
        <>
            <p class="muted">
                { "Servers deliver by the envelope (MAIL FROM and RCPT TO, RFC 5321 §3.3), never by the header. The two can differ: a Bcc recipient is in the envelope only, and a bounce goes to MAIL FROM." }
            </p>
            <table class="envelope">
                <thead>
                    <tr><th scope="col">{ "" }</th><th scope="col">{ "Envelope (for servers)" }</th><th scope="col">{ "Header (for people)" }</th></tr>
                </thead>
                <tbody>
                    <tr><th scope="row">{ "Sender" }</th><td>{ "MAIL FROM: " }{ from }</td><td>{ "From: " }{ header("From") }</td></tr>
                    <tr>
                        <th scope="row">{ "Recipients" }</th>
                        <td>{ "RCPT TO: " }{ rcpt }</td>
                        <td>
                            { "To: " }{ header("To") }<br />
                            { "Cc: " }{ header("Cc") }<br />
                            { "Bcc: " }{ header("Bcc") }
                        </td>
                    </tr>
                </tbody>
            </table>
        </>
    }
}

fn part(p: &Part) -> Html {
    let params: Vec<String> =
        p.params.iter().filter(|(n, _)| n != "boundary").map(|(n, v)| format!("{n}={v}")).collect();
    let size = p.body.end.saturating_sub(p.body.start);
    let field =
        |name: &str| p.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.value.clone());
    // How it travels (7bit, base64...) and whether it is an attachment (RFC 2045 §6, RFC 2183).
    let extra: String = [field("Content-Transfer-Encoding"), field("Content-Disposition")]
        .into_iter()
        .flatten()
        .map(|v| format!(" · {v}"))
        .collect();
    html! {
        <li>
            <code>{ p.content_type.clone() }</code>
            if !params.is_empty() { <span class="muted">{ format!(" ({})", params.join("; ")) }</span> }
            <span class="muted">{ " · " }{ size }{ " octets" }{ extra }</span>
            if !p.children.is_empty() {
                <ul class="mime">{ for p.children.iter().map(part) }</ul>
            }
        </li>
    }
}

fn mime(message: &[u8]) -> Html {
    let tree = inspect::mime_tree(message);
    html! {
        <>
            <p class="muted">
                { "Content-Type says what each part is; a multipart body holds parts of its own, separated by a boundary line (RFC 2045, RFC 2046)." }
            </p>
            <ul class="mime">{ part(&tree) }</ul>
        </>
    }
}

/// The BODYSTRUCTURE an IMAP server's `* FETCH` event carries, read into its tree.
#[cfg(feature = "imap")]
pub fn body_structure(ev: &TraceEvent) -> Option<BodyPart> {
    let reply = matches!(ev.kind, mailroom_core::trace::EventKind::Reply { .. });
    (reply && ev.protocol == mailroom_core::trace::Protocol::Imap)
        .then(|| structure::of_response(&ev.bytes))
        .flatten()
}

#[cfg(feature = "imap")]
fn body_part(p: &BodyPart) -> Html {
    let params: Vec<String> =
        p.params.iter().filter(|(n, _)| n != "boundary").map(|(n, v)| format!("{n}={v}")).collect();
    // What the server says of it: how it travels, its size as it travels, what it is.
    let mut facts: Vec<String> = Vec::new();
    facts.extend(p.encoding.clone());
    facts.extend(p.size.map(|n| format!("{n} octets")));
    facts.extend(p.lines.map(|n| if n == 1 { "1 line".to_string() } else { format!("{n} lines") }));
    match (p.disposition.as_deref(), p.filename.as_deref()) {
        (Some(d), Some(f)) => facts.push(format!("{d} “{f}”")),
        (Some(d), None) => facts.push(d.to_string()),
        (None, Some(f)) => facts.push(format!("“{f}”")),
        (None, None) => {}
    }
    facts.extend(p.description.clone());
    facts.extend(p.inner_subject.as_ref().map(|s| format!("a message: “{s}”")));
    html! {
        <li>
            if p.section.is_empty() {
                <span class="part-no">{ "whole" }</span>
            } else {
                <span class="part-no" title={format!("Fetched alone with BODY[{}]", p.section)}>{ p.section.clone() }</span>
            }
            { " " }<code>{ p.mime_type() }</code>
            if !params.is_empty() { <span class="muted">{ format!(" ({})", params.join("; ")) }</span> }
            if !facts.is_empty() { <span class="muted">{ " · " }{ facts.join(" · ") }</span> }
            if !p.children.is_empty() {
                <ul class="mime">{ for p.children.iter().map(body_part) }</ul>
            }
        </li>
    }
}

#[cfg(feature = "imap")]
fn body_structure_view(tree: &BodyPart) -> Html {
    html! {
        <>
            <p class="muted">
                { "What the server's BODYSTRUCTURE describes, read from the MIME headers of the message it stores (RFC 3501 §7.4.2). Each part's number is how a mail program fetches that part alone: BODY[1], BODY[2.1] (§6.4.5). Sizes are as the part travels, encoded." }
            </p>
            <ul class="mime structure" data-testid="structure-tree">{ body_part(tree) }</ul>
        </>
    }
}

fn dsn_fields(fields: &[DsnField]) -> Html {
    html! {
        <dl class="fields dsn">
            { for fields.iter().map(|f| html! {
                <>
                    <dt>{ f.name.clone() }{ ":" }</dt>
                    <dd>
                        <code>{ f.value.clone() }</code>
                        if let Some(x) = f.explanation {
                            <span class="dsn-what">{ x.title }{ ". " }{ explanation_text(x.text) }{ " " }{ rfc_link(x) }</span>
                        }
                    </dd>
                </>
            }) }
        </dl>
    }
}

fn report(dsn: &Dsn) -> Html {
    html! {
        <>
            <p class="muted">
                { "The machine-readable part of a bounce (RFC 3464): one group about the message, then one per recipient." }
            </p>
            <h3 class="inspect-h">{ "About the message" }</h3>
            { dsn_fields(&dsn.per_message) }
            { for dsn.recipients.iter().enumerate().map(|(i, r)| html! {
                <>
                    <h3 class="inspect-h">{ "Recipient " }{ i + 1 }</h3>
                    { dsn_fields(r) }
                </>
            }) }
        </>
    }
}

/// The view `view` of `message`, carried by event `index` (not the source: the dialog
/// shows it).
pub fn view(view: View, trace: &Trace, index: usize, message: &[u8]) -> Html {
    match view {
        View::Source => Html::default(),
        View::Header => header(message),
        View::Envelope => envelope(trace, index, message),
        View::Mime => mime(message),
        View::Report => inspect::dsn(message).map_or_else(Html::default, |d| report(&d)),
        #[cfg(feature = "imap")]
        View::Structure => trace
            .events
            .get(index)
            .and_then(body_structure)
            .map_or_else(Html::default, |t| body_structure_view(&t)),
    }
}
