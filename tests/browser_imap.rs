//! The IMAP panel in a real browser (the full build: feature `imap`), through
//! wasm-bindgen-test-runner and headless Chromium. "Two devices, one mailbox" is stepped
//! with the keys a presenter uses; the panel is read at moments found by the narration's
//! part titles (never by step numbers), and stepping back shows exactly what was shown
//! before. Waits on the renderer (`yew::scheduler::flush`), never on a clock.
//!
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p mailroom --target wasm32-unknown-unknown
//! --features imap --test browser_imap`
#![cfg(all(target_arch = "wasm32", feature = "imap"))]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

const LESSON: &str = "two-devices-imap";
const BOB: &str = "bob@example.net";

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts a fresh app at step 0 of the lesson, in its own div, with the lesson files from
/// the engine's copy (no server here).
async fn mount() -> (Element, yew::AppHandle<mailroom::App>) {
    mount_lesson(LESSON).await
}

async fn mount_lesson(lesson: &str) -> (Element, yew::AppHandle<mailroom::App>) {
    let window = web_sys::window().unwrap();
    let hash = format!("#/lesson/{lesson}/step/0");
    window.history().unwrap().replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&hash)).unwrap();
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    mailroom::set_lesson_source(|id| {
        mailroom_core::lessons::BUILTIN.iter().find(|(i, _)| *i == id).map(|(_, text)| *text)
    });
    let handle = mailroom::mount(root.clone());
    // The first render asks for the lesson; the second shows it.
    yew::scheduler::flush().await;
    yew::scheduler::flush().await;
    (root, handle)
}

async fn finish(root: Element, handle: yew::AppHandle<mailroom::App>) {
    handle.destroy();
    yew::scheduler::flush().await;
    root.remove();
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no {selector}"))
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).collect()
}

fn text(el: &Element) -> String {
    el.text_content().unwrap_or_default().trim().to_string()
}

/// A key pressed on the page (`shift` held or not), as a presenter's keyboard sends it.
async fn press(key: &str, shift: bool) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    document().body().unwrap().dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
}

fn cursor(root: &Element) -> usize {
    find(root, "main[data-testid=player]").get_attribute("data-cursor").unwrap().parse().unwrap()
}

fn part_title(root: &Element) -> String {
    text(&find(root, "#narration-title"))
}

/// Jumps part by part (Shift+→) to the start of the part titled `title`.
async fn goto_part(root: &Element, title: &str) {
    for _ in 0..50 {
        if part_title(root) == title {
            return;
        }
        let before = cursor(root);
        press("ArrowRight", true).await;
        assert_ne!(cursor(root), before, "no part titled {title:?} ahead");
    }
    panic!("no part titled {title:?}");
}

/// The IMAP panel's group of Bob's mail.
fn bob(root: &Element) -> Element {
    find(root, &format!(r#"[data-testid=imap-panel] [data-testid=imap-group][data-user="{BOB}"]"#))
}

/// Each device's line: its mail program, then its session on the server.
fn devices(root: &Element) -> Vec<String> {
    all(&bob(root), "[data-testid=imap-device]").iter().map(text).collect()
}

/// The rows of `folder`: (UID, [the server's flags, each device's cell]).
fn rows(root: &Element, folder: &str) -> Vec<(String, Vec<String>)> {
    let table = bob(root).query_selector(&format!(r#"[data-testid=imap-table][data-folder="{folder}"]"#));
    let Some(table) = table.unwrap() else { return Vec::new() };
    all(&table, "[data-testid=imap-row]")
        .iter()
        .map(|r| {
            let cells = all(r, "td").iter().skip(1).map(text).collect();
            (r.get_attribute("data-uid").unwrap_or_default(), cells)
        })
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn row(uid: &str, cells: &[&str]) -> (String, Vec<String>) {
    (uid.to_string(), s(cells))
}

const SEEN_OPENED: &str = "\\Seen \\Recentopened (body downloaded)";

/// The panel follows the lesson: who is connected, what each device knows of each message,
/// and what the server holds; each moment is found by its part's title.
#[wasm_bindgen_test]
async fn the_panel_shows_each_device_beside_the_server_part_by_part() {
    let (root, handle) = mount().await;
    assert_eq!(cursor(&root), 0);
    assert_eq!(all(&root, "[data-testid=mailbox]").len(), 0, "the IMAP panel takes the mailboxes' place");
    assert_eq!(
        devices(&root),
        s(&[
            "Bob's laptop: not connected · on mx: no session",
            "Bob's phone: not connected · on mx: no session"
        ])
    );
    assert!(rows(&root, "INBOX").is_empty());
    assert!(text(&bob(&root)).contains("No mail in any folder."));

    goto_part(&root, "Both wait for news").await;
    assert_eq!(
        devices(&root),
        s(&[
            "Bob's laptop: INBOX open, in IDLE · on mx: INBOX selected",
            "Bob's phone: INBOX open, in IDLE · on mx: INBOX selected",
        ])
    );
    let headings: Vec<String> =
        all(&bob(&root), "[data-testid=imap-table] thead th").iter().map(text).collect();
    assert_eq!(headings, s(&["UID", "Message", "On mx", "On Bob's laptop", "On Bob's phone"]));
    assert_eq!(
        rows(&root, "INBOX"),
        // `\Recent` for the laptop's session, the first to see them (RFC 3501 §2.3.2).
        [row("1", &["no flags", "\\Recent", "no flags"]), row("2", &["no flags", "\\Recent", "no flags"])]
    );

    // The laptop read message 1 (the server set \Seen); the idling phone is told at once.
    goto_part(&root, "The phone hears of it").await;
    assert_eq!(rows(&root, "INBOX")[0], row("1", &["\\Seen", SEEN_OPENED, "\\Seen"]));
    // One step back: the server's news had not reached the phone yet.
    press("ArrowLeft", false).await;
    assert_eq!(rows(&root, "INBOX")[0], row("1", &["\\Seen", SEEN_OPENED, "no flags"]));
    // Back there the lesson's question is due again: the first → asks for an answer, the
    // second passes it.
    if !all(&root, "[data-testid=predict-skip]").is_empty() {
        press("ArrowRight", false).await;
        assert!(!all(&root, ".predict-nudge").is_empty(), "the card asks for an answer first");
    }
    press("ArrowRight", false).await;
    assert_eq!(rows(&root, "INBOX")[0].1[2], "\\Seen");

    // EXPUNGE: gone from the server and the laptop; the phone believes in it until told.
    goto_part(&root, "Message 2 is gone").await;
    let inbox = rows(&root, "INBOX");
    assert_eq!(inbox[1], row("2", &["not on the server", "not known", "\\Deleted"]), "{inbox:?}");
    goto_part(&root, "Gone on the phone too").await;
    assert_eq!(rows(&root, "INBOX").iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["1"]);

    // New mail pushed in IDLE: each device knows there is one more message, not yet which.
    goto_part(&root, "And to the phone").await;
    let inbox = rows(&root, "INBOX");
    // The row is the server's message 3: no row of its own, as many rows as messages.
    let told = "told it exists (* EXISTS), not fetched yet";
    assert!(inbox.contains(&row("3", &["no flags", told, told])), "{inbox:?}");
    assert!(!inbox.iter().any(|r| r.0 == "0"), "{inbox:?}");

    // At the end both have logged out; the three sides agree.
    press("End", false).await;
    assert_eq!(
        devices(&root),
        s(&[
            "Bob's laptop: not connected · on mx: no session",
            "Bob's phone: not connected · on mx: no session"
        ])
    );
    assert_eq!(
        rows(&root, "INBOX"),
        [
            row("1", &["\\Seen \\Flagged", "\\Seen \\Flaggedopened (body downloaded)", "\\Seen \\Flagged"]),
            row("3", &["no flags", "no flags", "no flags"]),
        ]
    );
    finish(root, handle).await;
}

/// Going back part by part (Shift+←) shows exactly what was shown going forward: the panel
/// reads the snapshot at the cursor, nothing stays behind from later.
#[wasm_bindgen_test]
async fn stepping_back_restores_each_earlier_view() {
    let (root, handle) = mount().await;
    let panel = || text(&find(&root, "[data-testid=imap-panel]"));
    let mut seen = vec![(cursor(&root), part_title(&root), panel())];
    loop {
        press("ArrowRight", true).await;
        let at = cursor(&root);
        if at == seen.last().unwrap().0 {
            break;
        }
        seen.push((at, part_title(&root), panel()));
    }
    assert!(seen.len() > 10, "the lesson has many parts ({})", seen.len());
    let distinct: std::collections::BTreeSet<&String> = seen.iter().map(|(_, _, p)| p).collect();
    assert!(distinct.len() > 8, "the panel changes from part to part ({} views)", distinct.len());
    // From the end (or the last part's start) back to the start, one part at a time. A
    // question's stop is not one of them: going forward, ⇧→ stopped at it and the next ⇧→
    // passed it, so its part starts after it.
    let asked: Vec<usize> = seen.windows(2).filter(|w| w[0].1 == w[1].1).map(|w| w[1].0).collect();
    for (at, title, view) in seen.iter().rev().skip(1).filter(|(at, ..)| !asked.contains(at)) {
        press("ArrowLeft", true).await;
        assert_eq!(cursor(&root), *at, "back at the start of {title:?}");
        assert_eq!(part_title(&root), *title);
        assert_eq!(panel(), *view, "the panel at the start of {title:?}, as it was going forward");
    }
    assert_eq!(cursor(&root), 0);
    finish(root, handle).await;
}

/// A BODYSTRUCTURE on the wire is inspected as the tree it describes: each part with its
/// number (what BODY[n] fetches), type, encoding, size and disposition; the response
/// itself is the other view; the command that follows fetches the part numbered 1.
#[wasm_bindgen_test]
async fn a_bodystructure_is_inspected_as_the_mime_tree_it_describes() {
    let (root, handle) = mount_lesson("attachments-over-imap").await;
    goto_part(&root, "The structure").await;
    let open = find(&root, "[data-testid=inspect-message]");
    assert_eq!(text(&open), "Inspect the structure ›");
    open.dyn_ref::<web_sys::HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    let dialog = find(&root, "[data-testid=message-dialog]");
    assert_eq!(text(&find(&dialog, "#message-dialog-title")), "How the message is built");
    let parts: Vec<String> = all(&dialog, "[data-testid=structure-tree] li")
        .iter()
        .map(|li| {
            let no = text(&find(li, ".part-no"));
            let kind = text(&find(li, "code"));
            format!("{no} {kind}")
        })
        .collect();
    assert_eq!(parts, s(&["whole multipart/mixed", "1 text/plain", "2 text/csv"]));
    let tree = text(&find(&dialog, "[data-testid=structure-tree]"));
    for fact in ["charset=us-ascii", "7bit", "base64", "attachment “menu.csv”", "name=menu.csv"] {
        assert!(tree.contains(fact), "{fact} not in {tree}");
    }
    // The other view: the response as it travelled.
    let tabs = all(&dialog, ".inspect-tab");
    assert_eq!(tabs.iter().map(text).collect::<Vec<_>>(), s(&["MIME tree", "Source"]));
    tabs[1].dyn_ref::<web_sys::HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    let source = text(&find(&dialog, "[data-testid=message-text]"));
    assert!(source.starts_with("* 1 FETCH (UID 1 BODYSTRUCTURE ((\"text\" \"plain\""), "{source}");
    find(&dialog, ".modal-head .btn").dyn_ref::<web_sys::HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    assert!(root.query_selector("[data-testid=message-dialog]").unwrap().is_none());
    goto_part(&root, "Only part 1").await;
    assert!(text(&find(&root, ".explanation-wire")).contains("UID FETCH 1 (BODY[1])"));
    // The phone has the text, not the whole message; the server has it whole.
    goto_part(&root, "The text, and \\Seen").await;
    let panel = text(&bob(&root));
    assert!(panel.contains("opened (only its text downloaded)"), "{panel}");
    assert!(!panel.contains("body downloaded"), "{panel}");
    finish(root, handle).await;
}

/// A message appended over IMAP is in a literal, not after 354: the inspector says so, and
/// shows its octets as sent (no dot-stuffing to undo).
#[wasm_bindgen_test]
async fn an_appended_message_is_inspected_as_imap_sends_it() {
    let (root, handle) = mount_lesson("append-to-sent").await;
    goto_part(&root, "The message itself").await;
    find(&root, "[data-testid=inspect-message]").dyn_ref::<web_sys::HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    let dialog = find(&root, "[data-testid=message-dialog]");
    assert!(text(&dialog).contains("Appended: "), "{}", text(&dialog));
    let note = text(&find(&dialog, "#message-dialog-note"));
    assert_eq!(note, "As the mail program sends it in APPEND's literal: the server files it as it is.");
    finish(root, handle).await;
}
