//! The web app in a real browser (headless Chromium through wasm-bindgen-test-runner):
//! it mounts, renders the diagram, the transcript and the controls, and answers clicks
//! and keys. Waits on the renderer (`yew::scheduler::flush`), never on a clock.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts a fresh app at step 0 of the first lesson, in its own div.
async fn mount() -> (Element, yew::AppHandle<mailroom::App>) {
    mount_at("#/lesson/sending-an-email/step/0").await
}

/// Mounts a fresh app at the address `hash`, in its own div.
async fn mount_at(hash: &str) -> (Element, yew::AppHandle<mailroom::App>) {
    let window = web_sys::window().unwrap();
    window.history().unwrap().replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(hash)).unwrap();
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    // No server for the lesson files here: they come from the engine's copy.
    mailroom::set_lesson_source(|id| {
        mailroom_core::lessons::BUILTIN.iter().find(|(i, _)| *i == id).map(|(_, text)| *text)
    });
    let handle = mailroom::mount(root.clone());
    // The first render asks for the lesson; the second shows it.
    yew::scheduler::flush().await;
    yew::scheduler::flush().await;
    (root, handle)
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no {selector}"))
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

fn attr(el: &Element, name: &str) -> String {
    el.get_attribute(name).unwrap_or_default()
}

fn has_class(el: &Element, class: &str) -> bool {
    attr(el, "class").split_whitespace().any(|c| c == class)
}

fn click(root: &Element, selector: &str) {
    find(root, selector).dyn_into::<HtmlElement>().unwrap().click();
}

fn press(key: &str) {
    press_on(&document().body().unwrap(), key);
}

/// A key pressed with `target` focused: the event starts there and bubbles up.
fn press_on(target: &Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

async fn finish(root: Element, handle: yew::AppHandle<mailroom::App>) {
    handle.destroy();
    yew::scheduler::flush().await;
    root.remove();
}

#[wasm_bindgen_test]
async fn renders_the_player_at_the_start() {
    let (root, handle) = mount().await;
    let player = find(&root, "main[data-testid=player]");
    assert_eq!(attr(&player, "data-cursor"), "0");
    let total: usize = attr(&player, "data-total").parse().unwrap();
    assert!(total > 10, "the lesson's trace has events ({total})");

    let diagram = find(&root, "[data-testid=diagram]");
    assert_eq!(diagram.tag_name().to_lowercase(), "svg");
    assert!(count(&root, "[data-testid=diagram] .host") >= 4, "every host is drawn");
    find(&root, "[data-testid=transcript]");
    assert_eq!(count(&root, "[data-testid=transcript-row]"), 0, "the future is hidden");
    for id in
        ["to-start", "step-back", "play", "step-forward", "to-end", "speed", "step-counter", "narration"]
    {
        find(&root, &format!("[data-testid={id}]"));
    }
    assert_eq!(attr(&find(&root, "[data-testid=play]"), "aria-pressed"), "false");
    assert_eq!(
        find(&root, "[data-testid=step-counter]").text_content().unwrap().trim(),
        format!("Step 0 of {total}")
    );
    let bob = find(&root, r#"[data-testid=mailbox][data-owner="bob@example.net"]"#);
    assert_eq!(attr(&bob, "data-count"), "0");
    finish(root, handle).await;
}

#[wasm_bindgen_test]
async fn step_forward_and_back_move_the_cursor() {
    let (root, handle) = mount().await;
    click(&root, "[data-testid=step-forward]");
    yew::scheduler::flush().await;
    let player = find(&root, "main[data-testid=player]");
    assert_eq!(attr(&player, "data-cursor"), "1");
    assert_eq!(count(&root, "[data-testid=transcript-row]"), 1);
    assert_eq!(count(&root, "[data-testid=transcript-row][aria-current=step]"), 1);

    let token = find(&root, "[data-testid=token-layer] > .token-sprite");
    click(&root, "[data-testid=step-forward]");
    yew::scheduler::flush().await;
    assert_eq!(attr(&player, "data-cursor"), "2");
    // The token of each step is a new element, so its CSS animation starts afresh.
    assert!(!token.is_connected(), "the old token is gone");
    // An element of the page over the diagram (its transform is the compositor's to animate),
    // which travels: it starts (--dx, --dy) from where it arrives.
    let token = find(&root, "[data-testid=token-layer] > svg.token-sprite.token");
    assert!(token.get_attribute("style").unwrap_or_default().contains("--dx"), "the token travels");
    assert_eq!(count(&root, "[data-testid=transcript-row]"), 2);
    // The address follows shortly after the step (it is not written inside the step).
    let hash = || web_sys::window().unwrap().location().hash().unwrap();
    for _ in 0..100 {
        if hash() == "#/lesson/sending-an-email/step/2" {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    assert_eq!(hash(), "#/lesson/sending-an-email/step/2");

    click(&root, "[data-testid=step-back]");
    yew::scheduler::flush().await;
    assert_eq!(attr(&player, "data-cursor"), "1");
    finish(root, handle).await;
}

#[wasm_bindgen_test]
async fn keys_step_and_jump_and_the_end_delivers_to_bob() {
    let (root, handle) = mount().await;
    let player = find(&root, "main[data-testid=player]");
    let total = attr(&player, "data-total");
    press("ArrowRight");
    yew::scheduler::flush().await;
    assert_eq!(attr(&player, "data-cursor"), "1");
    press("End");
    yew::scheduler::flush().await;
    assert_eq!(attr(&player, "data-cursor"), total);
    let bob = find(&root, r#"[data-testid=mailbox][data-owner="bob@example.net"]"#);
    assert_eq!(attr(&bob, "data-count"), "1");
    assert!(bob.text_content().unwrap().contains("Lunch on Friday?"));
    press("Home");
    yew::scheduler::flush().await;
    assert_eq!(attr(&player, "data-cursor"), "0");
    assert_eq!(attr(&bob, "data-count"), "0");
    finish(root, handle).await;
}

#[wasm_bindgen_test]
async fn clicking_a_row_explains_it() {
    let (root, handle) = mount().await;
    press("End");
    yew::scheduler::flush().await;
    click(&root, "[data-testid=transcript-row][data-index='4']");
    yew::scheduler::flush().await;
    let card = find(&root, "[data-testid=explanation]");
    assert!(card.text_content().unwrap().contains("Selected: step 5"), "{:?}", card.text_content());
    assert_eq!(count(&root, "[data-testid=transcript-row].selected"), 1);
    let row = find(&root, "[data-testid=transcript-row][data-index='4']");
    assert_eq!(attr(&row, "aria-selected"), "true", "the selected row says so");
    assert_eq!(count(&root, "[data-testid=transcript-row][aria-selected=true]"), 1);
    finish(root, handle).await;
}

/// Roving tabindex: one row is in the Tab order, so Tab reaches the controls quickly;
/// Space and Enter select the focused row (Space does not also play); ↑ and ↓ move.
#[wasm_bindgen_test]
async fn the_transcript_is_one_tab_stop_with_arrow_keys() {
    let (root, handle) = mount().await;
    press("End");
    yew::scheduler::flush().await;
    let rows = count(&root, "[data-testid=transcript-row]");
    assert!(rows > 10);
    let tabbable = root.query_selector_all("[data-testid=transcript-row][tabindex='0']").unwrap();
    assert_eq!(tabbable.length(), 1, "one row is in the Tab order");
    let current = find(&root, "[data-testid=transcript-row][aria-current=step]");
    assert_eq!(attr(&current, "tabindex"), "0", "the current row is the tabbable one");
    assert_eq!(count(&root, "[data-testid=transcript-row][tabindex='-1']"), rows - 1);

    let row = find(&root, "[data-testid=transcript-row][data-index='4']");
    press_on(&row, " ");
    yew::scheduler::flush().await;
    assert_eq!(
        attr(&find(&root, "[data-testid=play]"), "aria-pressed"),
        "false",
        "Space on a row does not play"
    );
    assert!(has_class(&row, "selected"), "Space selected the row");
    assert_eq!(attr(&row, "tabindex"), "0", "the selected row is now the tabbable one");
    assert_eq!(attr(&current, "tabindex"), "-1");

    row.dyn_ref::<HtmlElement>().unwrap().focus().unwrap();
    press_on(&row, "ArrowDown");
    yew::scheduler::flush().await;
    let next = find(&root, "[data-testid=transcript-row][data-index='5']");
    assert!(has_class(&next, "selected"), "↓ selected the next row");
    assert_eq!(document().active_element().as_ref(), Some(&next), "↓ moved the focus");
    press_on(&next, "ArrowUp");
    yew::scheduler::flush().await;
    assert!(has_class(&row, "selected"), "↑ went back");
    press_on(&row, "Enter");
    yew::scheduler::flush().await;
    let card = find(&root, "[data-testid=explanation]");
    assert!(card.text_content().unwrap().contains("Selected: step 5"), "{:?}", card.text_content());
    let player = find(&root, "main[data-testid=player]");
    assert_eq!(
        attr(&player, "data-cursor"),
        attr(&player, "data-total"),
        "arrows in the transcript do not step"
    );

    let list = find(&root, "[data-testid=transcript]");
    assert_eq!(attr(&list, "aria-label"), "Transcript");
    let hint = find(&root, &format!("#{}", attr(&list, "aria-describedby")));
    assert!(hint.text_content().unwrap().contains("arrived"), "the hint says what the times are");
    finish(root, handle).await;
}

/// A reply to the message names the message, not its first header line.
#[wasm_bindgen_test]
async fn the_reply_to_the_message_says_it_answers_the_message() {
    let (root, handle) = mount().await;
    press("End");
    yew::scheduler::flush().await;
    let rows = root.query_selector_all("[data-testid=transcript-row]").unwrap();
    let after_message = (0..rows.length())
        .map(|i| rows.item(i).unwrap().dyn_into::<Element>().unwrap())
        .find(|r| r.text_content().unwrap().contains("queued as"))
        .expect("the 250 after the message");
    after_message.dyn_ref::<HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    let answers = find(&root, "[data-testid=explanation] .answers");
    let text = answers.text_content().unwrap();
    assert!(text.contains("the message (DATA)"), "{text}");
    assert!(!text.contains("Date:"), "{text}");
    finish(root, handle).await;
}

/// An unknown lesson in the address: the first lesson is shown, with a visible notice
/// that says so, which can be dismissed.
#[wasm_bindgen_test]
async fn an_unknown_lesson_is_said_politely() {
    let (root, handle) = mount_at("#/lesson/nope/step/3").await;
    let notice = find(&root, "[data-testid=notice]");
    let text = notice.text_content().unwrap();
    assert!(text.contains("nope") && text.contains("Sending an email"), "{text}");
    assert_eq!(attr(&notice.parent_element().unwrap(), "role"), "status", "a polite live region");
    assert_eq!(attr(&find(&root, "main[data-testid=player]"), "data-cursor"), "3");
    click(&root, "[data-testid=notice] button");
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=notice]"), 0, "dismissed");
    finish(root, handle).await;
}

/// A stored message opens in a dialog, which Escape closes.
#[wasm_bindgen_test]
async fn a_stored_message_opens_in_a_dialog() {
    let (root, handle) = mount().await;
    press("End");
    yew::scheduler::flush().await;
    click(&root, r#"[data-testid=mailbox][data-owner="bob@example.net"] button"#);
    yew::scheduler::flush().await;
    let dialog = find(&root, "[data-testid=message-dialog]");
    assert_eq!(attr(&dialog, "aria-modal"), "true");
    assert_eq!(dialog.tag_name(), "DIALOG", "the platform's dialog");
    assert!(dialog.has_attribute("open"), "shown with showModal()");
    assert!(dialog.text_content().unwrap().contains("Received: from"), "the message as stored");
    let player = find(&root, "main[data-testid=player]");
    let cursor = attr(&player, "data-cursor");
    let focused = document().active_element().unwrap();
    assert!(dialog.contains(Some(&focused)), "the focus is in the dialog");
    press_on(&focused, "ArrowLeft");
    yew::scheduler::flush().await;
    assert_eq!(attr(&player, "data-cursor"), cursor, "the page's keys rest while the dialog is open");
    press_on(&focused, "Escape");
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=message-dialog]"), 0, "Escape closed it");
    finish(root, handle).await;
}

/// Clicks the inspector's button labelled `label` in the open dialog.
fn inspect(root: &Element, label: &str) {
    let buttons = root.query_selector_all("[data-testid=message-dialog] .inspect-tab").unwrap();
    let button = (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .find(|b| b.text_content().unwrap_or_default() == label)
        .unwrap_or_else(|| panic!("no inspector button {label}"));
    button.click();
}

/// The inspector reads a stored message: the hops oldest first with their protocol in
/// words, the envelope beside the header, the MIME tree; a bounce's report field by field.
#[wasm_bindgen_test]
async fn the_inspector_reads_the_hops_the_envelope_the_parts_and_a_bounce() {
    let (root, handle) = mount().await;
    press("End");
    yew::scheduler::flush().await;
    click(&root, r#"[data-testid=mailbox][data-owner="bob@example.net"] button"#);
    yew::scheduler::flush().await;
    inspect(&root, "Header and hops");
    yew::scheduler::flush().await;
    let view = find(&root, "[data-testid=inspect-view]").text_content().unwrap();
    let first = view.find("→ smtp.example.org").expect("the first hop");
    let second = view.find("→ mx.example.net").expect("the second hop");
    assert!(first < second, "oldest hop first: {view}");
    assert!(view.contains("ESMTPSA"), "{view}");
    assert!(view.contains("Subject:"), "the fields in order: {view}");
    inspect(&root, "Envelope");
    yew::scheduler::flush().await;
    let view = find(&root, "[data-testid=inspect-view]").text_content().unwrap();
    assert!(view.contains("MAIL FROM: alice@example.org"), "{view}");
    assert!(view.contains("RCPT TO: bob@example.net"), "{view}");
    inspect(&root, "MIME parts");
    yew::scheduler::flush().await;
    let view = find(&root, "[data-testid=inspect-view]").text_content().unwrap();
    assert!(view.contains("text/plain"), "{view}");
    assert_eq!(count(&root, ".inspect-tab"), 4, "no bounce report for a plain message");
    inspect(&root, "Source");
    yew::scheduler::flush().await;
    assert!(find(&root, "[data-testid=message-text]").text_content().unwrap().contains("Received: from"));
    finish(root, handle).await;

    // The message after 354, opened from its explanation: read as the server reads it
    // (the doubled dot undone), with the envelope of its transaction.
    let (root, handle) = mount_at("#/lesson/sending-an-email/step/23").await;
    // As a click or a key press would, the button has the focus when it opens the dialog.
    let button: HtmlElement = find(&root, "[data-testid=inspect-message]").dyn_into().unwrap();
    button.focus().unwrap();
    button.click();
    yew::scheduler::flush().await;
    assert!(button.is_connected(), "opening the dialog rebuilds nothing");
    let source = find(&root, "[data-testid=message-text]").text_content().unwrap();
    assert!(source.contains("\n...and this line starts with dots"), "{source}");
    assert!(!source.contains("....and"), "unstuffed: {source}");
    // The first hop: no server has added a trace field yet (none is claimed).
    let note = find(&root, "#message-dialog-note").text_content().unwrap();
    assert!(note.ends_with("No server has added anything to it yet."), "{note}");
    inspect(&root, "Envelope");
    yew::scheduler::flush().await;
    let view = find(&root, "[data-testid=inspect-view]").text_content().unwrap();
    assert!(view.contains("RCPT TO: bob@example.net"), "{view}");
    press_on(&find(&root, "[data-testid=inspect-view]"), "Escape");
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=message-dialog]"), 0, "Escape closed it");
    let focused = document().active_element().unwrap();
    assert_eq!(attr(&focused, "data-testid"), "inspect-message", "the focus went back to the button");
    finish(root, handle).await;

    // The relay's copy after its 354: the Received line Alice's provider added is named.
    let (root, handle) = mount_at("#/lesson/sending-an-email/step/43").await;
    let button: HtmlElement = find(&root, "[data-testid=inspect-message]").dyn_into().unwrap();
    button.click();
    yew::scheduler::flush().await;
    let note = find(&root, "#message-dialog-note").text_content().unwrap();
    assert!(note.ends_with("the final dot gone, with the Received header added on the way."), "{note}");
    finish(root, handle).await;

    // A bounce has a fifth view: its delivery-status fields, explained.
    let (root, handle) = mount_at("#/lesson/a-bounce/step/0").await;
    press("End");
    yew::scheduler::flush().await;
    click(&root, r#"[data-testid=mailbox][data-owner="alice@example.org"] button"#);
    yew::scheduler::flush().await;
    inspect(&root, "Bounce report");
    yew::scheduler::flush().await;
    let view = find(&root, "[data-testid=inspect-view]").text_content().unwrap();
    for want in ["Reporting-MTA:", "Action:", "failed", "Status:", "5.1.1", "RFC 3464"] {
        assert!(view.contains(want), "{want} in {view}");
    }
    inspect(&root, "Envelope");
    yew::scheduler::flush().await;
    let view = find(&root, "[data-testid=inspect-view]").text_content().unwrap();
    assert!(view.contains("MAIL FROM: <> (empty: a bounce)"), "{view}");
    // The header as written: a local part is case-sensitive (RFC 5321 §2.4).
    assert!(view.contains("From: MAILER-DAEMON@"), "{view}");
    // Written where it is filed, it crossed no server: no Received line is claimed.
    inspect(&root, "Source");
    yew::scheduler::flush().await;
    let note = find(&root, "[data-testid=message-dialog]").text_content().unwrap();
    assert!(note.contains("with the Return-Path header added"), "{note}");
    finish(root, handle).await;
}

/// The eavesdropper's view: after the TLS handshake a row shows what the wire carries (a
/// TLS record, no plaintext); before it, nothing is added, because the wire carries the
/// very bytes.
#[wasm_bindgen_test]
async fn the_eavesdropper_sees_records_only_after_the_handshake() {
    let (root, handle) = mount().await;
    assert_eq!(count(&root, "[data-testid=wire-seen]"), 0);
    click(&root, "[data-testid=eavesdropper]");
    yew::scheduler::flush().await;
    press("End");
    yew::scheduler::flush().await;
    let rows = root.query_selector_all("[data-testid=transcript-row]").unwrap();
    let text = |i: u32| rows.item(i).unwrap().text_content().unwrap_or_default();
    let seen: Vec<(String, bool)> = (0..rows.length())
        .map(|i| {
            let row = rows.item(i).unwrap().dyn_into::<Element>().unwrap();
            (text(i), row.query_selector("[data-testid=wire-seen]").unwrap().is_some())
        })
        .collect();
    let index = |needle: &str| seen.iter().position(|(t, _)| t.contains(needle)).unwrap();
    // STARTTLS itself and the first EHLO cross in the clear; AUTH goes inside TLS.
    assert!(!seen[index("STARTTLS")].1, "STARTTLS is sent in the clear");
    let auth = &seen[index("AUTH PLAIN AG")];
    assert!(auth.1, "the login is encrypted");
    assert!(
        auth.0.contains("all an eavesdropper captures of it: 1 TLS record") && auth.0.contains("17 03 03"),
        "{}",
        auth.0
    );
    // The relay to mx.example.net has no TLS: its rows stay as they are.
    assert!(!seen[index("greets smtp.example.org")].1, "the second hop is in the clear");
    finish(root, handle).await;
}

#[wasm_bindgen_test]
async fn play_toggles_aria_pressed() {
    let (root, handle) = mount().await;
    click(&root, "[data-testid=play]");
    yew::scheduler::flush().await;
    assert_eq!(attr(&find(&root, "[data-testid=play]"), "aria-pressed"), "true");
    click(&root, "[data-testid=play]");
    yew::scheduler::flush().await;
    assert_eq!(attr(&find(&root, "[data-testid=play]"), "aria-pressed"), "false");
    finish(root, handle).await;
}

mod big_trace {
    use std::cell::RefCell;
    use std::collections::BTreeSet;
    use std::rc::Rc;

    use mailroom::components::transcript::{Transcript, WINDOW, first_row};
    use mailroom::shared::Shared;
    use mailroom::state::Action;
    use mailroom_core::world::LessonRun;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    use wasm_bindgen_test::*;
    use yew::prelude::*;

    use super::{document, find};

    /// The first lesson's trace, repeated until it has `n` events.
    fn big_run(n: usize) -> Shared<LessonRun> {
        let lesson = mailroom_core::lessons::builtin("sending-an-email").unwrap().unwrap();
        let mut run = mailroom_core::world::run_lesson(&lesson).unwrap();
        let base = run.trace.events.clone();
        run.trace.events = (0..n)
            .map(|i| {
                let mut e = base[i % base.len()].clone();
                e.index = i;
                e
            })
            .collect();
        Shared::new(run)
    }

    #[derive(Properties, PartialEq)]
    struct HarnessProps {
        run: Shared<LessonRun>,
    }

    #[component]
    fn Harness(props: &HarnessProps) -> Html {
        let cursor = use_state(|| 999usize);
        let onclick = {
            let cursor = cursor.clone();
            Callback::from(move |_: MouseEvent| cursor.set(*cursor + 1))
        };
        let dispatch = use_callback((), |_: Action, _| ());
        html! {
            <>
                <button id="harness-step" {onclick}>{ "step" }</button>
                <Transcript run={props.run.clone()} cursor={*cursor} selected={None} show_line_ends={false}
                    eavesdropper={false} {dispatch} />
            </>
        }
    }

    /// The last step of a 1,000-event trace touches only the rows whose state changed: the
    /// old current row and the new one. The page holds a window of rows before the current
    /// one, not all 999.
    #[wasm_bindgen_test]
    async fn a_step_rerenders_only_the_rows_that_changed() {
        let root = document().create_element("div").unwrap();
        document().body().unwrap().append_child(&root).unwrap();
        let handle =
            yew::Renderer::<Harness>::with_root_and_props(root.clone(), HarnessProps { run: big_run(1000) })
                .render();
        yew::scheduler::flush().await;
        let window = |shown: usize| (shown - first_row(shown, 1, None)) as u32;
        assert_eq!(root.query_selector_all("[data-testid=transcript-row]").unwrap().length(), window(999));
        assert!(window(999) < 999 && window(999) >= WINDOW as u32);

        // Records delivered to the callback (the renderer yields to microtasks) and
        // those still pending at the end are both kept.
        let seen: Rc<RefCell<Vec<web_sys::MutationRecord>>> = Rc::default();
        let collect = {
            let seen = seen.clone();
            Closure::<dyn FnMut(js_sys::Array)>::new(move |records: js_sys::Array| {
                seen.borrow_mut().extend(records.iter().map(|r| r.unchecked_into()));
            })
        };
        let observer = web_sys::MutationObserver::new(collect.as_ref().unchecked_ref()).unwrap();
        let options = web_sys::MutationObserverInit::new();
        options.set_subtree(true);
        options.set_child_list(true);
        options.set_attributes(true);
        options.set_character_data(true);
        observer.observe_with_options(&find(&root, "[data-testid=transcript]"), &options).unwrap();

        let performance = web_sys::window().unwrap().performance().unwrap();
        let started = performance.now();
        find(&root, "#harness-step").dyn_into::<web_sys::HtmlElement>().unwrap().click();
        yew::scheduler::flush().await;
        let took = performance.now() - started;
        console_log!("the last step of a 1,000-event trace took {took:.1} ms");

        seen.borrow_mut().extend(observer.take_records().iter().map(|r| r.unchecked_into()));
        observer.disconnect();
        let records: Vec<web_sys::MutationRecord> = seen.borrow().clone();
        assert!(!records.is_empty(), "the step changed the transcript");
        let mut kinds = std::collections::BTreeMap::new();
        for r in records.iter() {
            *kinds
                .entry(format!(
                    "{} {:?} {:?} +{} -{}",
                    r.type_(),
                    r.attribute_name(),
                    r.target().map(|t| t.node_name()),
                    r.added_nodes().length(),
                    r.removed_nodes().length()
                ))
                .or_insert(0) += 1;
        }

        let mut touched = BTreeSet::new();
        let mut added = 0;
        for record in records.iter() {
            added += record.added_nodes().length();
            let target = record.target().unwrap();
            let element = match target.dyn_ref::<web_sys::Element>() {
                Some(e) => e.clone(),
                None => target.parent_element().unwrap(),
            };
            if let Some(row) = element.closest("[data-testid=transcript-row]").unwrap() {
                touched.insert(row.get_attribute("data-index").unwrap());
            }
        }
        assert!(touched.contains("998"), "the old current row lost its highlight: {touched:?}\n{kinds:#?}");
        assert!(
            touched.iter().all(|i| i == "998" || i == "999"),
            "rows touched by one step: {touched:?}\n{kinds:#?}"
        );
        assert!(added >= 1, "the new row was added");
        assert_eq!(root.query_selector_all("[data-testid=transcript-row]").unwrap().length(), window(1000));
        // The budget is 16 ms in a release build (about 7 ms measured); tests run a debug
        // build (about 20 ms), so only a gross regression (every row rebuilt: ~400 ms) fails.
        assert!(took < 150.0, "a step took {took:.1} ms");

        handle.destroy();
        yew::scheduler::flush().await;
        root.remove();
    }
}

/// PROTOCOLS.md case 18: lesson Markdown with `<script>`, `<img onerror=...>` and a
/// `javascript:` link renders inert in the real DOM.
#[wasm_bindgen_test]
async fn hostile_narration_renders_inert() {
    use mailroom::components::narration::{Narration, NarrationProps};
    use mailroom_core::lesson::Lesson;

    let text = "---\ntitle: T\nfrom: alice@example.org\nto: bob@example.net\n---\n## Hostile\n@ start\n\
        <script>window.__pwned = 1</script>\n\n<img src=x onerror=\"window.__pwned = 2\">\n\n\
        [x](javascript:alert(1)) [y](JAVASCRIPT:alert(2)) <javascript:alert(3)> [ok](https://example.org)\n\n\
        <a href=\"javascript:alert(4)\">raw link</a> ![img](https://example.org/x.png)\n";
    let lesson = mailroom::shared::Shared::new(Lesson::parse("hostile", text).unwrap());
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    let props = NarrationProps {
        lesson,
        anchors: vec![None],
        cursor: 0,
        total: 0,
        messages: 1,
        dispatch: yew::Callback::noop(),
        presenting: false,
    };
    let handle = yew::Renderer::<Narration>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert_eq!(count(&root, "script, img, iframe, [onerror]"), 0, "{}", root.inner_html());
    let links = root.query_selector_all("a[href]").unwrap();
    let hrefs: Vec<String> = (0..links.length())
        .map(|i| links.item(i).unwrap().dyn_into::<Element>().unwrap().get_attribute("href").unwrap())
        .collect();
    assert_eq!(hrefs, ["https://example.org"]);
    // The raw HTML is shown as the text it is.
    assert!(root.text_content().unwrap().contains("<script>window.__pwned = 1</script>"));
    let pwned = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__pwned".into()).unwrap();
    assert!(pwned.is_undefined());
    handle.destroy();
    root.remove();
}

/// A POP3 lesson shows the mail program panel instead of the mailboxes; it follows the
/// cursor both ways, as the rest of the page does.
#[wasm_bindgen_test]
#[cfg(feature = "pop3")]
async fn a_pop3_lesson_shows_the_mail_program_panel() {
    let (root, handle) = mount_at("#/lesson/retrieving-mail-with-pop3/step/0").await;
    assert_eq!(count(&root, "[data-testid=mailbox]"), 0);
    let group = r#"[data-testid=mail-programs] [data-testid=mail-group][data-user="bob@example.net"]"#;
    find(&root, group);
    assert_eq!(count(&root, "[data-testid=mail-row]"), 0, "nothing delivered yet");
    press("End");
    yew::scheduler::flush().await;
    let servers: Vec<String> = {
        let rows = root.query_selector_all("[data-testid=mail-row]").unwrap();
        (0..rows.length())
            .map(|i| attr(&rows.item(i).unwrap().dyn_into::<Element>().unwrap(), "data-server"))
            .collect()
    };
    assert_eq!(servers, ["removed", "removed"], "both removed at QUIT");
    assert_eq!(count(&root, "[data-testid=mail-row] [data-copies='1']"), 2, "and downloaded once each");
    press("Home");
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=mail-row]"), 0);
    finish(root, handle).await;
}

/// The home page lists every lesson on the learning path; a lesson opened from it and
/// stepped is remembered (after the player goes away), and the home page then says how far
/// the student got and offers to continue there.
#[wasm_bindgen_test]
async fn the_home_page_follows_the_path_and_remembers_progress() {
    use mailroom_core::lessons::INDEX;
    let window = web_sys::window().unwrap();
    let storage = window.local_storage().unwrap().unwrap();
    storage.remove_item(mailroom::progress::KEY).unwrap();
    let go = |hash: &str| {
        window
            .history()
            .unwrap()
            .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(hash))
            .unwrap();
        window.dispatch_event(&web_sys::Event::new("hashchange").unwrap()).unwrap();
    };
    go("#/");
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    mailroom::set_lesson_source(|id| {
        mailroom_core::lessons::BUILTIN.iter().find(|(i, _)| *i == id).map(|(_, text)| *text)
    });
    let handle = mailroom::mount_page(root.clone());
    yew::scheduler::flush().await;
    find(&root, "[data-testid=home]");
    assert_eq!(
        count(&root, ".path-part:not(.home-yours)"),
        4,
        "Sending, Retrieving, When things go wrong, Security and trust"
    );
    assert_eq!(count(&root, ".lesson-card"), INDEX.len() as u32);
    let first = find(&root, "[data-testid=continue]");
    assert_eq!(attr(&first, "href"), "#/lesson/sending-an-email/step/0");
    assert_eq!(first.text_content().unwrap(), "Start with “Sending an email”");
    assert_eq!(count(&root, "[data-testid=lesson-status]"), 0, "nothing played yet");

    // Into a lesson, three steps, and back home by the brand link's address.
    go("#/lesson/a-bounce/step/0");
    yew::scheduler::flush().await;
    yew::scheduler::flush().await;
    find(&root, "[data-testid=player][data-lesson=a-bounce]");
    for _ in 0..3 {
        press("ArrowRight");
        yew::scheduler::flush().await;
    }
    assert_eq!(attr(&find(&root, "[data-testid=player]"), "data-cursor"), "3");
    let total = attr(&find(&root, "[data-testid=player]"), "data-total");
    assert_eq!(attr(&find(&root, "[data-testid=home-link]"), "href"), "#/");
    go("#/");
    yew::scheduler::flush().await;
    find(&root, "[data-testid=home]");
    let card = find(&root, ".lesson-card[data-lesson=a-bounce]");
    assert!(has_class(&card, "started"));
    assert_eq!(
        find(&card, "[data-testid=lesson-status]").text_content().unwrap(),
        format!("Reached step 3 of {total}")
    );
    let go_on = find(&root, "[data-testid=continue]");
    assert_eq!(attr(&go_on, "href"), "#/lesson/a-bounce/step/3");
    assert_eq!(go_on.text_content().unwrap(), "Continue “When delivery fails: a bounce” at step 3");

    // To the end: finished.
    go("#/lesson/a-bounce/step/3");
    yew::scheduler::flush().await;
    yew::scheduler::flush().await;
    press("End");
    yew::scheduler::flush().await;
    go("#/");
    yew::scheduler::flush().await;
    let card = find(&root, ".lesson-card[data-lesson=a-bounce]");
    assert!(has_class(&card, "done"));
    assert_eq!(find(&card, "[data-testid=lesson-status]").text_content().unwrap(), "Finished");
    assert!(find(&root, "[data-testid=finished]").text_content().unwrap().starts_with("1 of "));
    let next = find(&root, "[data-testid=continue]");
    assert_eq!(next.text_content().unwrap(), "Next: “Reading a bounce message”");
    assert_eq!(attr(&next, "href"), "#/lesson/reading-a-bounce/step/0");

    // A corrupt saved progress: a notice on the home page, never a blank page.
    handle.destroy();
    yew::scheduler::flush().await;
    storage.set_item(mailroom::progress::KEY, "1:%%%").unwrap();
    let handle = mailroom::mount_page(root.clone());
    yew::scheduler::flush().await;
    assert!(find(&root, "[data-testid=notice]").text_content().unwrap().contains("could not be read"));
    assert_eq!(count(&root, ".lesson-card"), INDEX.len() as u32);
    storage.remove_item(mailroom::progress::KEY).unwrap();
    handle.destroy();
    yew::scheduler::flush().await;
    root.remove();
}

thread_local! {
    /// What `FrameProbe`'s animation frames were asked for with, in order, and what its
    /// element showed when each ran.
    static FRAMES: std::cell::RefCell<Vec<(u32, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[derive(yew::Properties, PartialEq)]
struct FrameProbeProps {
    deps: Option<u32>,
    /// Changes at every update, so that each one renders.
    render: usize,
}

#[yew::component]
fn FrameProbe(props: &FrameProbeProps) -> yew::Html {
    let node = yew::use_node_ref();
    let shown = node.clone();
    mailroom::hooks::use_next_frame(props.deps, move |d| {
        let text = shown.cast::<Element>().and_then(|p| p.text_content()).unwrap_or_default();
        FRAMES.with(|f| f.borrow_mut().push((*d, text)));
    });
    yew::html! { <p ref={node}>{ props.deps.map(|d| d.to_string()).unwrap_or_default() }</p> }
}

/// The next animation frame (its callbacks run in the order they were asked for).
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().unwrap().request_animation_frame(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The scroll to the current row runs in the frame after a render that changed what it
/// depends on (and after the first), once; never for `None` (a row that is not current).
#[wasm_bindgen_test]
async fn use_next_frame_runs_once_per_change_of_its_deps() {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    FRAMES.with(|f| f.borrow_mut().clear());
    let mut handle = yew::Renderer::<FrameProbe>::with_root_and_props(
        root.clone(),
        FrameProbeProps { deps: Some(1), render: 0 },
    )
    .render();
    // Each render's deps, and the frames run after it: the first render's; the same deps
    // again; new ones; none; the ones from before `None` (a row current again).
    let renders: [(Option<u32>, &[u32]); 6] = [
        (Some(1), &[1]),
        (Some(1), &[1]),
        (Some(2), &[1, 2]),
        (None, &[1, 2]),
        (None, &[1, 2]),
        (Some(2), &[1, 2, 2]),
    ];
    for (i, (deps, frames)) in renders.into_iter().enumerate() {
        if i > 0 {
            handle.update(FrameProbeProps { deps, render: i });
        }
        yew::scheduler::flush().await;
        next_frame().await;
        // Each frame ran once the element showed what the render drew.
        let want: Vec<(u32, String)> = frames.iter().map(|&d| (d, d.to_string())).collect();
        assert_eq!(FRAMES.with(|f| f.borrow().clone()), want, "after render {i} ({deps:?})");
    }
    handle.destroy();
    yew::scheduler::flush().await;
    root.remove();
}

/// The catalogue's texts quote responses between backticks (`* n EXISTS`); the card shows
/// them as code, never as backticks, at every step of an IMAP lesson.
#[wasm_bindgen_test]
#[cfg(feature = "imap")]
async fn explanations_show_quoted_responses_as_code() {
    let (root, handle) = mount_at("#/lesson/reading-mail-with-imap/step/0").await;
    let total: usize = attr(&find(&root, "[data-testid=player]"), "data-total").parse().unwrap();
    let mut code = 0;
    for step in 1..=total {
        press("ArrowRight");
        yew::scheduler::flush().await;
        let entries =
            root.query_selector_all("[data-testid=explanation] .explain-entry > p:not(.rfc)").unwrap();
        for i in 0..entries.length() {
            let p = entries.item(i).unwrap().dyn_into::<Element>().unwrap();
            let text = p.text_content().unwrap();
            assert!(!text.contains('`'), "step {step}: a backtick in {text:?}");
            code += p.query_selector_all("code").unwrap().length();
        }
    }
    assert!(code > 0, "some explanations quote a response");
    finish(root, handle).await;
}

/// While a question waits for the student's prediction, the diagram's host states (which
/// name what each host does next: "waits for the server's greeting") show as "?", on screen
/// and in the diagram's description, and the explanation card gives way to the question;
/// once answered (here: passed), they come back.
#[wasm_bindgen_test]
async fn the_diagram_keeps_the_answer_while_a_question_waits() {
    let (root, handle) = mount_at("#/lesson/sending-an-email/step/0").await;
    let states = |root: &Element| -> Vec<String> {
        let list = root.query_selector_all("[data-testid=diagram] .host-state").unwrap();
        (0..list.length()).map(|i| list.item(i).unwrap().text_content().unwrap()).collect()
    };
    let desc = |root: &Element| find(root, "#diagram-desc").text_content().unwrap();
    // Step on until the first question ("Who speaks first?") is asked.
    let mut steps = 0;
    while count(&root, "[data-testid=predict-skip]") == 0 {
        assert!(steps < 40, "no question in the first 40 steps");
        press("ArrowRight");
        yew::scheduler::flush().await;
        steps += 1;
    }
    let asked = states(&root);
    assert!(!asked.is_empty() && asked.iter().all(|s| s == "?"), "{asked:?}");
    // Nor does the explanation of the connection ("… until the server sends its 220"): the
    // question takes the card's place in the column.
    assert_eq!(count(&root, "[data-testid=explanation]"), 0);
    assert!(!desc(&root).contains("greeting"), "{}", desc(&root));
    click(&root, "[data-testid=predict-skip]");
    yew::scheduler::flush().await;
    let told = states(&root);
    assert!(!told.is_empty() && told.iter().all(|s| s != "?"), "{told:?}");
    let explained = find(&root, "[data-testid=explanation]").text_content().unwrap();
    assert!(!explained.contains("Predict first"), "{explained}");
    finish(root, handle).await;
}

#[wasm_bindgen_test]
async fn a_host_that_is_down_is_drawn_down_until_it_is_back() {
    // "Relaying": mx.example.net is off the network for the first hour.
    let (root, handle) = mount_at("#/lesson/relaying/step/1").await;
    let down = |root: &Element| -> Vec<String> {
        let list = root.query_selector_all("[data-testid=diagram] .host.down title").unwrap();
        (0..list.length()).map(|i| list.item(i).unwrap().text_content().unwrap()).collect()
    };
    let now = down(&root);
    assert_eq!(now.len(), 1, "{now:?}");
    assert!(now[0].starts_with("mx.example.net, ") && now[0].contains("down until Mon "), "{now:?}");
    // At the end the hour is over: nothing is drawn down.
    press("End");
    yew::scheduler::flush().await;
    assert_eq!(down(&root), Vec::<String>::new());
    finish(root, handle).await;
}

/// The first load's engine has no `cut` rule (it comes with `pop3`): a world that cuts a
/// connection says so, in words, instead of running without it.
#[cfg(not(feature = "pop3"))]
#[wasm_bindgen_test]
fn a_cut_connection_needs_the_full_app_in_the_first_load() {
    let mut d = mailroom_core::describe::Description::standard();
    let errors = d.extend("cut mx.example.net 25 before QUIT\n", 1).unwrap_err();
    let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(said, ["line 1, column 1: a cut connection needs the full app"]);
}
