use mailroom_core::lesson::Lesson;
use mailroom_core::sandbox::{Input, Opened};
use mailroom_core::trace::HostRole;
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::sandbox::{SandboxAction, TermLine, to_try, typable_ports};
use crate::shared::Shared;

#[derive(Properties, PartialEq)]
pub struct SandboxTerminalProps {
    pub run: Shared<LessonRun>,
    pub cursor: usize,
    /// Stepped back by the student ([`crate::sandbox::SandboxState::looking_back`]).
    pub looking_back: bool,
    /// The connections opened, numbered from 1.
    pub conns: Vec<Opened>,
    /// Which of them are open now.
    pub open: Vec<bool>,
    /// The one shown (from 1), 0 before the first.
    pub active: usize,
    /// The sandbox's world (its hosts and their services).
    pub lesson: Shared<Lesson>,
    /// What the terminal shows of the active connection ([`crate::sandbox::SandboxState::screen`]).
    pub screen: Vec<TermLine>,
    /// The lines typed into it, each with whether its server took it
    /// ([`crate::sandbox::SandboxState::judged`]).
    pub typed: Vec<(String, bool)>,
    /// Lines refused or not sent after one refused, back in the box ([`crate::sandbox::SandboxState::unsent`]).
    pub unsent: (usize, String),
    pub dispatch: Callback<SandboxAction>,
}

fn value_of(e: &Event) -> String {
    let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
    select.value()
}

/// The terminal: connect from one host to a port of another, then type lines into the
/// connection and read what comes back, as `telnet HOST PORT` would show it.
#[component]
pub fn SandboxTerminal(props: &SandboxTerminalProps) -> Html {
    let world = &props.lesson.world;
    let hosts: Vec<String> = world.hosts.iter().map(|h| h.name.clone()).collect();
    let first_client = world.hosts.iter().find(|h| h.role == HostRole::Client).map(|h| h.name.clone());
    let from = use_state(|| first_client.or_else(|| hosts.first().cloned()).unwrap_or_default());
    let first_server = {
        let from = (*from).clone();
        // The last server (Bob's provider in the standard world): where a message typed by
        // hand goes straight to the recipient's mailbox.
        move || {
            world
                .hosts
                .iter()
                .rev()
                .find(|h| h.name != from && !typable_ports(world, &h.name).is_empty())
                .map(|h| h.name.clone())
        }
    };
    let to = use_state(|| first_server().unwrap_or_default());
    // Where it can connect from `from`: another host with a service to type into.
    let servers: Vec<&str> = world
        .hosts
        .iter()
        .filter(|h| h.name != *from && !typable_ports(world, &h.name).is_empty())
        .map(|h| h.name.as_str())
        .collect();
    // The host chosen, if it is one of them; else the first.
    let to_now =
        servers.iter().find(|h| **h == *to).or(servers.first()).map(|h| h.to_string()).unwrap_or_default();
    let ports = typable_ports(world, &to_now);
    let port = use_state(|| ports.first().map_or(25, |p| p.0));
    // The port chosen, if the host has it; else the host's first.
    let port_now = ports.iter().find(|p| p.0 == *port).or(ports.first()).map(|p| p.0);
    let text = use_state(String::new);
    // The connect form, once a connection is open, waits behind "New connection": the
    // terminal then leaves the column's room to what is below it.
    let adding = use_state(|| false);
    let show_form = props.conns.is_empty() || *adding;
    let from_select = use_node_ref();
    // Opened: the form's first field takes the focus (the form comes after its button).
    {
        let from_select = from_select.clone();
        use_effect_with(*adding, move |&adding| {
            if adding && let Some(el) = from_select.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    // A connection opened from it (not one refused): the form goes back behind its button.
    {
        let adding = adding.clone();
        use_effect_with(props.conns.len(), move |_| {
            if *adding {
                adding.set(false);
            }
        });
    }
    let screen = use_node_ref();
    let field = use_node_ref();

    let connect = {
        let (from, to, dispatch) = ((*from).clone(), to_now.clone(), props.dispatch.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(port) = port_now {
                dispatch.emit(SandboxAction::Do(Input::Open { from: from.clone(), to: to.clone(), port }));
            }
        })
    };
    let active = props.active;
    let conn = active.checked_sub(1).and_then(|i| props.conns.get(i)).copied();
    let is_open = active.checked_sub(1).and_then(|i| props.open.get(i)).copied().unwrap_or(false);
    let looking_back = props.looking_back;
    let send = {
        let (text, dispatch) = (text.clone(), props.dispatch.clone());
        move || {
            // A pasted message goes out a line at a time, as typed.
            let value = (*text).clone();
            let value = value.strip_suffix('\n').unwrap_or(&value);
            let lines = value.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l).to_string()).collect();
            dispatch.emit(SandboxAction::TypeLines { conn: active, lines });
            text.set(String::new());
        }
    };
    let onsubmit = {
        let send = send.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            send();
        })
    };
    // Enter sends; Shift+Enter starts another line (a pasted message keeps its lines).
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
            e.prevent_default();
            send();
        }
    });
    {
        let text = text.clone();
        use_effect_with(props.unsent.clone(), move |(n, lines)| {
            if *n > 0 {
                text.set(lines.clone());
            }
        });
    }
    let oninput = {
        let (text, dispatch) = (text.clone(), props.dispatch.clone());
        Callback::from(move |e: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            text.set(area.value());
            // Typing while looking back (reached by Tab): to the newest event, as a click does.
            if looking_back {
                dispatch.emit(SandboxAction::Latest);
            }
        })
    };
    let lines = &props.screen;
    // The newest line in view (also when the connect form, shown or hidden, resizes it).
    {
        let screen = screen.clone();
        use_effect_with((lines.len(), show_form), move |_| {
            if let Some(el) = screen.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    // The focus on the line to type in when a connection opens (not when the page opens
    // on a kept session); on the screen when the connection closes under it.
    {
        let (field, screen) = (field.clone(), screen.clone());
        let opened = use_mut_ref(|| (props.conns.len(), is_open));
        use_effect_with((props.conns.len(), is_open), move |&(n, is_open)| {
            let (before, was_open) = std::mem::replace(&mut *opened.borrow_mut(), (n, is_open));
            let more = n > before;
            let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
            let field_el = field.cast::<web_sys::HtmlElement>();
            if more && is_open {
                if let Some(el) = &field_el {
                    let _ = el.focus();
                }
            } else if was_open
                && !is_open
                // Still on the line that is now disabled, or already lost to the page
                // (a browser blurs a disabled control).
                && active.is_none_or(|a| {
                    field_el.as_ref().is_some_and(|f| **f == a) || a.tag_name().eq_ignore_ascii_case("body")
                })
                && let Some(el) = screen.cast::<web_sys::HtmlElement>()
            {
                let _ = el.focus();
            }
        });
    }
    let kind = conn.and_then(|c| {
        let name = &props.run.trace.host(c.to).name;
        typable_ports(world, name).into_iter().find(|p| p.0 == c.port).map(|p| p.1)
    });
    let fill = |hint: String| {
        let (text, field) = (text.clone(), field.clone());
        Callback::from(move |_: MouseEvent| {
            text.set(hint.clone());
            if let Some(el) = field.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        })
    };
    let label = |c: &Opened| {
        let t = &props.run.trace;
        format!("{} → {}:{}", t.host(c.from).name, t.host(c.to).name, c.port)
    };

    let connect_form = html! {
        <form class="sandbox-connect" id="sandbox-connect" onsubmit={connect} data-testid="connect">
            <label>
                <span>{ "From" }</span>
                <select data-testid="connect-from" ref={from_select.clone()} onchange={{ let from = from.clone(); Callback::from(move |e: Event| from.set(value_of(&e))) }}>
                    { for world.hosts.iter().map(|h| html! {
                        <option value={h.name.clone()} selected={h.name == *from}>{ h.name.clone() }</option>
                    }) }
                </select>
            </label>
            <label>
                <span>{ "to" }</span>
                <select data-testid="connect-to" onchange={{ let to = to.clone(); Callback::from(move |e: Event| to.set(value_of(&e))) }}>
                    { for servers.iter().map(|&h| html! {
                        <option value={h.to_string()} selected={h == to_now}>{ h.to_string() }</option>
                    }) }
                </select>
            </label>
            <label>
                <span>{ "port" }</span>
                <select data-testid="connect-port" onchange={{ let port = port.clone(); Callback::from(move |e: Event| port.set(value_of(&e).parse().unwrap_or(25))) }}>
                    { for ports.iter().map(|&(p, name)| html! {
                        <option value={p.to_string()} selected={Some(p) == port_now}>{ format!("{p} ({name})") }</option>
                    }) }
                </select>
            </label>
            <button type="submit" class="btn-small" data-testid="connect-button" disabled={port_now.is_none()}>
                { "Connect" }
            </button>
        </form>
    };
    html! {
        <section class="panel sandbox-terminal" aria-labelledby="terminal-title">
            <h2 id="terminal-title" class="panel-title">{ "Terminal" }</h2>
            if props.conns.is_empty() {
                { connect_form.clone() }
                <p class="muted sandbox-hint">
                    { "Open a connection as a person at a terminal would (telnet, or openssl s_client): for a start, from Alice's laptop \
                       to Bob's provider on port 25, then type SMTP's commands yourself. Each line you send, and each reply, crosses the diagram." }
                </p>
            } else {
                <div class="sandbox-tabs" role="group" aria-label="Connections">
                    { for props.conns.iter().enumerate().map(|(i, c)| {
                        let n = i + 1;
                        let closed = !props.open.get(i).copied().unwrap_or(false);
                        html! {
                            <button type="button" class={classes!("sandbox-tab", closed.then_some("closed"))}
                                aria-pressed={(n == active).to_string()} data-testid={format!("conn-{n}")}
                                title={if closed { "Closed" } else { "Open" }}
                                onclick={props.dispatch.reform(move |_: MouseEvent| SandboxAction::Show(n))}>
                                { format!("{n} · {}", label(c)) }
                                if closed { <span class="visually-hidden">{ " (closed)" }</span> }
                            </button>
                        }
                    }) }
                    <button type="button" class="sandbox-tab sandbox-new" data-testid="new-connection"
                        aria-expanded={show_form.to_string()} aria-controls="sandbox-connect"
                        onclick={{ let adding = adding.clone(); Callback::from(move |_: MouseEvent| adding.set(!*adding)) }}>
                        { if show_form { "× Cancel" } else { "+ New connection" } }
                    </button>
                </div>
                if show_form {
                    { connect_form }
                }
                <pre class="sandbox-screen" data-testid="terminal" ref={screen} tabindex="0"
                    aria-label={format!("Connection {active}: what was typed and what came back")}>
                    { for lines.iter().map(|l| match l {
                        TermLine::Typed(t) => html! { <span class="typed">{ format!("{t}\n") }</span> },
                        TermLine::Received(t) => html! { <span class="received">{ format!("{t}\n") }</span> },
                        TermLine::Status(t) => html! { <span class="status">{ format!("{t}\n") }</span> },
                    }) }
                </pre>
                <form class="sandbox-type" {onsubmit} data-testid="type">
                    <label class="visually-hidden" for="sandbox-line">
                        { match is_open {
                            true => format!("Type a line into connection {active}; Enter sends it"),
                            false => format!("Connection {active} is closed: nothing more can be typed into it"),
                        } }
                    </label>
                    <textarea id="sandbox-line" rows="1" ref={field.clone()} data-testid="line" value={(*text).clone()}
                        {oninput} {onkeydown} disabled={!is_open} spellcheck="false" autocomplete="off"
                        // What is typed goes after the newest event: a click into the box
                        // while looking back brings the view there, the terminal and the lines
                        // to try with it (they showed the moment looked at). Tab passing
                        // through leaves the view where it is.
                        onpointerdown={looking_back.then(|| props.dispatch.reform(|_: PointerEvent| SandboxAction::Latest))}
                        placeholder={match (is_open, looking_back) {
                            // What is typed goes after the newest event, not after the one
                            // looked at (a student stepped back to send MAIL again, and got
                            // 503 for a nested MAIL).
                            (true, true) => "Type to go on from the newest event",
                            (true, false) => "Type a command, then Enter",
                            // Stepped back to when it was open: it is closed at the newest event.
                            (false, true) => "This connection is closed now (you are looking back)",
                            (false, false) => "This connection is closed",
                        }} />
                    <button type="submit" class="btn-small" disabled={!is_open}>{ "Send" }</button>
                    <button type="button" class="btn-small" data-testid="close" disabled={!is_open}
                        title="Close this connection from your side"
                        onclick={props.dispatch.reform(move |_: MouseEvent| SandboxAction::Do(Input::Close { conn: active }))}>
                        { "Close" }
                    </button>
                </form>
                if is_open {
                    if let Some(kind) = kind {
                        <p class="sandbox-hints" data-testid="hints">
                            <span class="muted">{ if looking_back { "At the newest event, try: " } else { "Try: " } }</span>
                            { for conn.map(|c| to_try(world, kind, &props.run.trace, &c, &props.typed)).unwrap_or_default().into_iter().map(|h| html! {
                                <button type="button" class="chip" onclick={fill(h.clone())} title="Put this line in the box">
                                    // The line between the header and the body.
                                    { if h.is_empty() { "(an empty line)".to_string() } else { h } }
                                </button>
                            }) }
                        </p>
                    }
                }
            }
        </section>
    }
}
