//! The bar above a hand-out or a worksheet (full build): print it, download its exports,
//! go to the other sheet or back to the lesson. Hidden when printed.

use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use mailroom_core::export;
use mailroom_core::lesson::Lesson;
use mailroom_core::world::LessonRun;

use crate::route::Sheet;
use crate::shared::Shared;
use crate::sheets::{DIAGRAM_VARS, file_name, svg_file};

/// The diagram's stylesheet, for the SVG file of the network diagram.
const DIAGRAM_CSS: &str = include_str!("../../styles/diagram.css");

#[derive(Properties, PartialEq)]
pub struct SheetBarProps {
    pub lesson: Shared<Lesson>,
    pub run: Shared<LessonRun>,
    pub sheet: Sheet,
    /// The events the worksheet's sequence diagram leaves blank, by event index (a hand-out:
    /// none).
    pub blanks: Vec<usize>,
    /// The worksheet's answer key is shown and printed (unticked at first: a class's copies
    /// go without it).
    #[prop_or_default]
    pub answer_key: Option<UseStateHandle<bool>>,
}

/// Offers `text` as a file called `name`: a Blob URL followed by an `<a download>`.
fn download(name: &str, mime: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let parts = web_sys::js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let (Ok(Ok(a)), Some(body)) =
        (document.create_element("a").map(|a| a.dyn_into::<web_sys::HtmlAnchorElement>()), document.body())
    {
        a.set_href(&url);
        a.set_download(name);
        let _ = body.append_child(&a);
        a.click();
        a.remove();
    }
    // The download has its bytes long before this.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

/// The network diagram on the page as an SVG file of its own, with its stylesheet and
/// without the token of the current event.
fn diagram_file() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let svg = document.query_selector("[data-testid=diagram]").ok()??;
    let copy: web_sys::Element = svg.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    // A still picture: no token, and no link or host marked as the current event's.
    if let Ok(Some(tokens)) = copy.query_selector(".tokens") {
        tokens.remove();
    }
    if let Ok(marked) = copy.query_selector_all(".active, .sender, .receiver") {
        for i in 0..marked.length() {
            if let Some(el) = marked.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) {
                let _ = el.class_list().remove_3("active", "sender", "receiver");
            }
        }
    }
    let text = web_sys::XmlSerializer::new().ok()?.serialize_to_string(&copy).ok()?;
    let css = format!("{DIAGRAM_VARS}{DIAGRAM_CSS}svg.diagram{{max-height:none;background:#fff}}");
    Some(svg_file(&text, &css))
}

/// What a sheet offers to download.
#[derive(Clone, Copy)]
enum Export {
    Transcript,
    /// The network diagram on the page.
    Diagram,
    /// With the worksheet's blanks, if any.
    Sequence,
    Gift,
    MoodleXml,
}

impl Export {
    /// Makes the file and offers it.
    fn download(self, lesson: &Lesson, run: &LessonRun, worksheet: Option<&[usize]>) {
        let name = |ext: &str| file_name(&lesson.id, ext);
        const TEXT: &str = "text/plain;charset=utf-8";
        match self {
            Export::Transcript => {
                let text = export::transcript_text(&run.trace);
                download(
                    &name("transcript.txt"),
                    TEXT,
                    &format!("Mailroom: {}\n{}\n\n{text}", lesson.title, lesson.summary),
                );
            }
            Export::Diagram => {
                if let Some(svg) = diagram_file() {
                    download(&name("network.svg"), "image/svg+xml", &svg);
                }
            }
            Export::Sequence => {
                // A worksheet's: its speaker questions' arrows without their heads too, and
                // only up to where an outcome question asks what comes next.
                let svg = match worksheet {
                    Some(blanks) => {
                        let (unsaid, until) =
                            (export::unsaid_senders(lesson, run), export::worksheet_end(lesson, run));
                        export::sequence_svg(&run.trace, &lesson.title, blanks, &unsaid, until)
                    }
                    None => export::sequence_svg(&run.trace, &lesson.title, &[], &[], run.trace.events.len()),
                };
                let file = if worksheet.is_some() { "worksheet-sequence.svg" } else { "sequence.svg" };
                download(&name(file), "image/svg+xml", &svg)
            }
            Export::Gift => download(&name("quiz-gift.txt"), TEXT, &export::gift(lesson, run)),
            Export::MoodleXml => {
                download(&name("quiz-moodle.xml"), "application/xml", &export::moodle_xml(lesson, run))
            }
        }
    }
}

/// Print, the downloads, and the way to the other sheet and back to the lesson.
#[component]
pub fn SheetBar(props: &SheetBarProps) -> Html {
    let id = props.lesson.id.clone();
    // Back where the lesson was left in this browser (its last place kept), not at its
    // start: a teacher who opened the hand-out from step 30 goes back to step 30. Read once.
    let back = use_memo(id.clone(), |id| {
        let step = crate::hooks::load_progress().0.last.filter(|p| p.lesson == *id).map_or(0, |p| p.step);
        crate::route::href(id, step)
    });
    let asks = props.run.answers.iter().any(Option::is_some);
    let file = {
        let (lesson, run, blanks) = (props.lesson.clone(), props.run.clone(), props.blanks.clone());
        let worksheet = props.sheet == Sheet::Worksheet;
        move |what: Export| {
            let (lesson, run, blanks) = (lesson.clone(), run.clone(), blanks.clone());
            Callback::from(move |_: MouseEvent| {
                what.download(&lesson, &run, worksheet.then_some(blanks.as_slice()))
            })
        }
    };
    let print = Callback::from(|_: MouseEvent| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    });
    let (other, other_href) = match props.sheet {
        Sheet::Handout => ("Worksheet ›", format!("#/worksheet/{id}")),
        Sheet::Worksheet => ("Hand-out ›", format!("#/handout/{id}")),
    };
    let quiz_title = if asks {
        "The lesson's questions, with the simulation's answers"
    } else {
        "This lesson asks no questions"
    };
    html! {
        <nav class="sheet-bar" aria-label="Print and download" data-testid="sheet-bar">
            <a href={(*back).clone()} data-testid="back-to-lesson">{ "‹ Back to the lesson" }</a>
            <a href={other_href} data-testid="other-sheet">{ other }</a>
            <span class="sheet-bar-actions">
                if let Some(key) = &props.answer_key {
                    <label class="sheet-option">
                        <input type="checkbox" checked={**key} data-testid="with-answer-key"
                            onchange={{ let key = key.clone(); Callback::from(move |_: Event| key.set(!*key)) }} />
                        { "With the answer key" }
                    </label>
                }
                <button type="button" class="sheet-button primary" data-testid="print" onclick={print}>{ "Print" }</button>
                // "Download" said once, before the files (a bar that fits on one line at 1366);
                // each button's name starts with it and holds what it shows (WCAG 2.5.3).
                <span class="sheet-label" aria-hidden="true">{ "Download:" }</span>
                <button type="button" class="sheet-button" data-testid="download-transcript" onclick={file(Export::Transcript)}
                    aria-label="Download Transcript (.txt)">
                    { "Transcript (.txt)" }
                </button>
                <button type="button" class="sheet-button" data-testid="download-diagram" onclick={file(Export::Diagram)}
                    aria-label="Download Diagram (.svg), the network">
                    { "Diagram (.svg)" }
                </button>
                <button type="button" class="sheet-button" data-testid="download-sequence" onclick={file(Export::Sequence)}
                    aria-label="Download Sequence diagram (.svg)">
                    { "Sequence diagram (.svg)" }
                </button>
                <button type="button" class="sheet-button" data-testid="download-gift" title={quiz_title}
                    aria-label="Download Quiz (GIFT), for Moodle"
                    disabled={!asks} onclick={file(Export::Gift)}>{ "Quiz (GIFT)" }</button>
                <button type="button" class="sheet-button" data-testid="download-xml" title={quiz_title}
                    aria-label="Download Quiz (Moodle XML)"
                    disabled={!asks} onclick={file(Export::MoodleXml)}>{ "Quiz (Moodle XML)" }</button>
            </span>
        </nav>
    }
}

/// What a sheet shows while its lesson loads, or why it cannot be shown.
pub fn sheet_notice(loaded: &Option<Result<impl Sized, String>>) -> Html {
    let text = match loaded {
        Some(Err(e)) => e.clone(),
        _ => "Loading the lesson…".to_string(),
    };
    html! {
        <main class="sheet" aria-busy={loaded.is_none().then_some("true")}>
            <p class="sheet-notice" data-testid="notice">{ text }</p>
            <p><a href="#/">{ "All lessons" }</a></p>
        </main>
    }
}

/// Sets the window's title (what a printed page carries in its header) while a sheet is shown.
#[hook]
pub fn use_sheet_title(title: String) {
    use_effect_with(title, |title| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(title);
        }
    });
}
