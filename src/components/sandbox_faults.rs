use mailroom_core::lesson::Lesson;
use mailroom_core::sandbox::Input;
use yew::prelude::*;

use crate::sandbox::{FaultForm, FaultKind, SandboxAction};
use crate::shared::Shared;

#[derive(Properties, PartialEq)]
pub struct SandboxFaultsProps {
    /// The sandbox's world: its hosts, services and users.
    pub lesson: Shared<Lesson>,
    /// What the student did (the faults among it are listed).
    pub inputs: Vec<String>,
    pub dispatch: Callback<SandboxAction>,
}

fn value_of(e: &Event) -> String {
    if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
        return select.value();
    }
    let input: web_sys::HtmlInputElement = e.target_unchecked_into();
    input.value()
}

/// Injecting a fault into the running World: a host down, greylisting, a full mailbox, a
/// server refusing a command, a connection cut; or a server checking senders (SPF, DKIM,
/// DMARC) from now on, or example.org changing its SPF record or DMARC policy. Each is a
/// line of the world description's grammar (shown, so a teacher can put it into a
/// lesson), in force from now.
#[component]
pub fn SandboxFaults(props: &SandboxFaultsProps) -> Html {
    let form = use_state(|| FaultForm::new(&props.lesson.world));
    let world = &props.lesson.world;
    // The choices as they fit together now (what the selects show).
    let f = form.effective(world);
    let directive = f.directive(world);
    let set = |change: fn(&mut FaultForm, String)| {
        let (form, f) = (form.clone(), f.clone());
        Callback::from(move |e: Event| {
            let mut next = f.clone();
            change(&mut next, value_of(&e));
            form.set(next);
        })
    };
    // The reply's text follows each key: Enter submits the form with what is typed, and
    // what cannot be sent is said at once.
    let oninput = {
        let (form, f) = (form.clone(), f.clone());
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            form.set(FaultForm { text: input.value(), ..f.clone() });
        })
    };
    let text_problem = f.text_problem();
    let onsubmit = {
        let (dispatch, directive) = (props.dispatch.clone(), directive.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(d) = &directive {
                dispatch.emit(SandboxAction::Do(Input::Fault(d.clone())));
            }
        })
    };
    let select = |testid: &'static str,
                  label: &'static str,
                  options: Vec<(String, String)>,
                  chosen: &str,
                  onchange: Callback<Event>| {
        html! {
            <label>
                <span>{ label }</span>
                <select data-testid={testid} {onchange}>
                    { for options.into_iter().map(|(value, text)| {
                        let selected = value == chosen;
                        html! { <option {selected} {value}>{ text }</option> }
                    }) }
                </select>
            </label>
        }
    };
    let fields = match f.kind {
        FaultKind::Down => html! {
            <>
                { select("fault-host", "Host", f.hosts(world), &f.host, set(|f, v| f.host = v)) }
                { select("fault-for", "for", FaultForm::durations(), &f.duration, set(|f, v| f.duration = v)) }
            </>
        },
        FaultKind::Greylist => {
            select("fault-host", "Server", f.hosts(world), &f.host, set(|f, v| f.host = v))
        }
        FaultKind::Full => select(
            "fault-mailbox",
            "Mailbox",
            FaultForm::mailboxes(world),
            &f.mailbox,
            set(|f, v| f.mailbox = v),
        ),
        FaultKind::Reply => html! {
            <>
                { select("fault-host", "Server", f.hosts(world), &f.host, set(|f, v| f.host = v)) }
                { select("fault-verb", "answers", FaultForm::reply_verbs(), &f.verb, set(|f, v| f.verb = v)) }
                { select("fault-code", "with", f.codes(), &f.code.to_string(), set(|f, v| f.code = v.parse().unwrap_or(f.code))) }
                <label>
                    <span>{ "saying" }</span>
                    <input type="text" data-testid="fault-text" value={f.text.clone()} maxlength="200"
                        placeholder={f.default_text()} {oninput}
                        aria-invalid={text_problem.is_some().then_some("true")}
                        aria-describedby={text_problem.is_some().then_some("fault-text-problem")} />
                </label>
                if let Some(problem) = &text_problem {
                    <p id="fault-text-problem" class="field-problem" role="alert" data-testid="fault-text-problem">{ problem.clone() }</p>
                }
                { select("fault-times", "how often", FaultForm::times(), &f.once.to_string(), set(|f, v| f.once = v == "true")) }
            </>
        },
        FaultKind::Check => html! {
            <>
                { select("fault-host", "Server", f.hosts(world), &f.host, set(|f, v| f.host = v)) }
                { select("fault-checks", "checks", FaultForm::checks(), &f.checks, set(|f, v| f.checks = v)) }
            </>
        },
        FaultKind::Txt => {
            select("fault-record", "Record", FaultForm::records(), &f.record, set(|f, v| f.record = v))
        }
        FaultKind::Cut => html! {
            <>
                { select("fault-host", "Server", f.hosts(world), &f.host, set(|f, v| f.host = v)) }
                { select("fault-port", "port", f.ports(world), &f.port.to_string(), set(|f, v| f.port = v.parse().unwrap_or(f.port))) }
                { select("fault-verb", "as the client sends", f.cut_verbs(world), &f.verb, set(|f, v| f.verb = v)) }
                { select("fault-times", "how often", FaultForm::times(), &f.once.to_string(), set(|f, v| f.once = v == "true")) }
            </>
        },
    };
    let injected: Vec<&str> = props.inputs.iter().filter_map(|i| i.strip_prefix("fault ")).collect();

    html! {
        <section class="panel sandbox-faults" aria-labelledby="faults-title">
            <h2 id="faults-title" class="panel-title">{ "Faults" }</h2>
            <form class="sandbox-fault-form" {onsubmit} data-testid="fault-form">
                { select("fault-kind", "Fault", FaultKind::ALL.iter().map(|k| (k.key().to_string(), k.label().to_string())).collect(),
                    f.kind.key(), set(|f, v| f.kind = FaultKind::from_key(&v).unwrap_or(f.kind))) }
                { fields }
                <button type="submit" class="btn-small" data-testid="inject" disabled={directive.is_none()}>{ "Inject now" }</button>
            </form>
            if let Some(d) = &directive {
                <p class="sandbox-directive muted">
                    { "As a line of a world description (its times count from now): " }<code data-testid="directive">{ d.clone() }</code>
                </p>
            }
            if !injected.is_empty() {
                <ul class="sandbox-injected" aria-label="Faults injected" data-testid="injected">
                    { for injected.iter().map(|d| html! { <li><code>{ d.to_string() }</code></li> }) }
                </ul>
            }
        </section>
    }
}
