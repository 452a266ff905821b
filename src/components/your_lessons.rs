use std::rc::Rc;

use mailroom_core::lesson::LessonError;
use mailroom_core::world::check_lesson;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::components::icons;
use crate::hooks::{DRAFT, DRAFT_OF, SET_ASIDE, load_draft, load_my_lessons, save_draft, save_my_lessons};
use crate::my_lessons::{Keep, Kept, MyLessons, SetAside, share_hash, shared_text};
use crate::route;

/// Every mistake in lesson `text` (read from `name`): the file's own (with their lines), or,
/// once it reads, every one the simulation finds (anchors that match no event, questions
/// whose answer is not what happens). `Ok` with the lesson's title when it plays.
pub fn check(text: &str) -> Result<String, Vec<LessonError>> {
    let (lesson, _) = check_lesson("yours", text)?;
    Ok(lesson.title)
}

/// A mistake of a whole file (one that cannot be read as a lesson): on no line.
fn whole_file(message: &str) -> Vec<LessonError> {
    vec![LessonError { line: 0, message: message.to_string() }]
}

/// A lesson file's text from its bytes: UTF-8 (a byte order mark or none), or UTF-16 with its
/// byte order mark (Notepad's "Unicode"). Any other bytes are refused with the line where
/// they start: a file saved as "ANSI" (Windows-1252, Latin-1) would show `£`, `é` or `–` as
/// `�` to the class, and guessing which of those encodings it is could turn them into other
/// letters.
fn decode(bytes: &[u8]) -> Result<String, Vec<LessonError>> {
    let utf16 = |bytes: &[u8], unit: fn([u8; 2]) -> u16| {
        let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
        char::decode_utf16(units).collect::<Result<String, _>>().ok()
    };
    let text = match bytes {
        [0xFF, 0xFE, rest @ ..] if rest.len() % 2 == 0 => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] if rest.len() % 2 == 0 => utf16(rest, u16::from_be_bytes),
        _ => match std::str::from_utf8(bytes) {
            Ok(text) => Some(text.to_string()),
            Err(e) => {
                let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
                return Err(vec![LessonError {
                    line,
                    message: "this line is not UTF-8 text: the file was saved in another encoding (\"ANSI\", Windows-1252 or Latin-1?), so its letters such as é, £ or – cannot be read. Save it again as UTF-8 and open it again".to_string(),
                }]);
            }
        },
    };
    text.ok_or_else(|| {
        whole_file("the file starts as UTF-16 text but is cut or broken: save it again as UTF-8")
    })
}

/// What the page says about the last text or files it was given.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    None,
    /// The lessons of several files kept (their titles), whether the browser would keep
    /// them, and every file with mistakes: `(where it came from, every mistake)`.
    Report {
        kept: Vec<String>,
        unsaved: bool,
        mistakes: Vec<(String, Vec<LessonError>)>,
        /// Which of `mistakes` are those of the text put in the box: their lines are links
        /// to the line in the box.
        in_box: Option<usize>,
        /// Lessons that play, under the title of a different kept one: kept once the
        /// teacher chooses.
        clashes: Vec<Clash>,
    },
    /// A notice that came with the page: a shared link that could not be read, or kept
    /// lessons the browser could not read back.
    Notice(String),
}

/// A lesson that plays, given under the title of a different lesson kept in this browser
/// (kept lesson `id`): a colleague's shared lesson, an older copy of a file, another
/// version. Neither replaces the other until the teacher says which to keep.
#[derive(Clone, Debug, PartialEq)]
struct Clash {
    from: String,
    title: String,
    text: String,
    id: String,
}

/// Where a lesson played from the box is said to come from.
const FROM_BOX: &str = "The lesson in the box below";

/// The "write one here" box, kept in the browser as the teacher writes (see
/// [`crate::hooks::DRAFT`]): its text, the id of the kept lesson it is a version of (empty
/// if none), and the texts set aside when others were put in it.
#[derive(Clone)]
struct TheBox {
    text: UseStateHandle<String>,
    of: UseStateHandle<String>,
    aside: UseStateHandle<SetAside>,
}

/// Sets `handle` to `text`, kept in the browser under `key` at once (not in an effect: a
/// lesson played from here leaves the page before the next render).
fn set_kept(handle: &UseStateHandle<String>, key: &str, text: String) {
    save_draft(key, &text);
    handle.set(text);
}

impl TheBox {
    /// Puts `text` in the box, as a version of kept lesson `of` (empty: of none). What the
    /// box held is set aside when it is the teacher's own writing (no kept lesson has it),
    /// to be put back: a click on Edit, a file or a shared link never loses it.
    fn put(&self, text: String, of: &str, mine: &MyLessons) {
        self.put_over((*self.aside).clone(), text, of, mine);
    }

    /// [`TheBox::put`], with `aside` the texts set aside so far (a handle's value is the
    /// one of its render, not what was set since).
    fn put_over(&self, mut aside: SetAside, text: String, of: &str, mine: &MyLessons) {
        let old = &*self.text;
        if *old != text && !old.trim().is_empty() && !mine.lessons.iter().any(|k| k.text == *old) {
            aside.push(&self.of, old);
        }
        if aside != *self.aside {
            save_draft(SET_ASIDE, &aside.to_storage());
            self.aside.set(aside);
        }
        set_kept(&self.text, DRAFT, text);
        self.set_of(of.to_string());
    }

    fn set_of(&self, id: String) {
        set_kept(&self.of, DRAFT_OF, id);
    }

    /// The box holds `boxed`: when it was just kept (`taken`), it is a version of that
    /// lesson, which playing it again replaces.
    fn version_of(&self, taken: &[(String, String)], boxed: Option<&str>) {
        if let Some((id, _)) = taken.iter().find(|(_, t)| Some(t.as_str()) == boxed) {
            self.set_of(id.clone());
        }
    }
}

/// Plays kept lesson `id`.
fn play(id: String) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&route::href(&id, 0));
    }
}

/// A lesson given to the page: where it came from, its text, and its title when it plays
/// or every mistake in it.
type Given = (String, String, Result<String, Vec<LessonError>>);

/// Reads lesson `text` from `from`.
fn given(from: String, text: String) -> Given {
    let checked = check(&text);
    (from, text, checked)
}

/// Keeps every lesson of `all` that plays in the browser (`how`: see [`Keep`]), at once,
/// and says what is wrong with the others, and with the files `unread`; a lesson under the
/// title of a different kept one waits for the teacher's choice. One lesson alone that
/// plays and is kept is played; of more, the page says which were kept and lists every
/// mistake. Returns the lessons kept: their ids and texts.
fn take(
    all: Vec<Given>,
    mut mistakes: Vec<(String, Vec<LessonError>)>,
    how: Keep,
    kept: &UseStateHandle<Rc<MyLessons>>,
    outcome: &UseStateHandle<Outcome>,
) -> Vec<(String, String)> {
    let mut mine = MyLessons::clone(kept);
    let (mut titles, mut ids, mut clashes) = (Vec::new(), Vec::new(), Vec::new());
    // The first text with mistakes is the one put in the box (see `read_files`).
    let mut in_box = None;
    for (from, text, checked) in all {
        match checked {
            Ok(title) => match mine.keep(&title, &text, how) {
                Ok(id) => {
                    ids.push((id, text));
                    titles.push(format!("“{title}”"));
                }
                Err(id) => clashes.push(Clash { from, title, text, id }),
            },
            Err(m) => {
                in_box = in_box.or(Some(mistakes.len()));
                mistakes.push((from, m));
            }
        }
    }
    let saved = ids.is_empty() || save_my_lessons(&mine);
    if saved && !ids.is_empty() {
        kept.set(Rc::new(mine));
    }
    report(titles, !saved, mistakes, in_box, clashes, &ids, outcome);
    if saved { ids } else { Vec::new() }
}

/// Plays the one lesson kept, `ids`, when nothing else is to be said; else says it all. A
/// choice to be made takes the focus (on its safe answer, "Keep both").
fn report(
    kept: Vec<String>,
    unsaved: bool,
    mistakes: Vec<(String, Vec<LessonError>)>,
    in_box: Option<usize>,
    clashes: Vec<Clash>,
    ids: &[(String, String)],
    outcome: &UseStateHandle<Outcome>,
) {
    // Played only from the browser's storage: the player reads it from there.
    if let [(id, _)] = ids
        && !unsaved
        && mistakes.is_empty()
        && clashes.is_empty()
        && kept.len() == 1
    {
        play(id.clone());
        return;
    }
    if !clashes.is_empty() {
        focus_after_render(|| {
            web_sys::window()?.document()?.query_selector("[data-testid=keep-both]").ok().flatten()
        });
    }
    outcome.set(Outcome::Report { kept, unsaved, mistakes, in_box, clashes });
}

/// Reads the files of `list` (opened or dropped), then takes them all at once. The text of
/// the first one with mistakes goes into the editor, to be mended there; else the last one.
fn read_files(
    list: Option<web_sys::FileList>,
    the_box: TheBox,
    kept: UseStateHandle<Rc<MyLessons>>,
    outcome: UseStateHandle<Outcome>,
) {
    let Some(list) = list else { return };
    let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.item(i)).collect();
    spawn_local(async move {
        let mut all = Vec::new();
        let mut unread = Vec::new();
        for file in files {
            let name = file.name();
            if file.size() > mailroom_core::lesson::MAX_LESSON_BYTES as f64 {
                unread.push((name, whole_file("the file is too large for a lesson")));
                continue;
            }
            let bytes =
                JsFuture::from(file.array_buffer()).await.ok().map(|b| js_sys::Uint8Array::new(&b).to_vec());
            match bytes.map(|b| decode(&b)) {
                Some(Ok(t)) => all.push(given(name, t)),
                Some(Err(mistakes)) => unread.push((name, mistakes)),
                None => unread.push((name, whole_file("the file could not be read"))),
            }
        }
        let boxed = all.iter().find(|(_, _, c)| c.is_err()).or(all.last()).map(|(_, t, _)| t.clone());
        if let Some(t) = &boxed {
            the_box.put(t.clone(), "", &kept);
        }
        let taken = take(all, unread, Keep::New, &kept, &outcome);
        the_box.version_of(&taken, boxed.as_deref());
    });
}

/// Teachers' own lessons: open a file, drop one, or paste one, and it plays at once; a
/// broken one gets every mistake with its line. Kept in the browser until removed; each can
/// be shared as a link that carries it.
#[component]
pub fn YourLessons(props: &YourLessonsProps) -> Html {
    let loaded = use_memo((), |_| load_my_lessons());
    let kept = use_state(|| Rc::new(loaded.0.clone()));
    // What was being written in the box when the page was left. Whatever puts it there
    // (typing, a file, Edit, a shared link), the box is kept.
    let the_box = TheBox {
        text: use_state(|| load_draft(DRAFT)),
        of: use_state(|| load_draft(DRAFT_OF)),
        aside: use_state(|| SetAside::from_storage(&load_draft(SET_ASIDE))),
    };
    let text = the_box.text.clone();
    let outcome = use_state(|| match loaded.1.as_ref() {
        Some(notice) => Outcome::Notice(notice.clone()),
        None => Outcome::None,
    });
    // A shared link's lesson arrives with the page: in the box, and played at once when it
    // is right; a link that cannot be read says why. Again when another link is opened in
    // the same page (what the page said of the one before goes, and goes too when the
    // address no longer has a link).
    {
        let (the_box, kept, outcome) = (the_box.clone(), kept.clone(), outcome.clone());
        let link_said = use_mut_ref(|| false);
        use_effect_with(props.shared.clone(), move |shared| {
            let said_before = link_said.replace(false);
            match shared.as_deref().map(shared_text) {
                Some(Ok(t)) => {
                    the_box.put(t.clone(), "", &kept);
                    let taken = take(
                        vec![given("The shared lesson".into(), t.clone())],
                        Vec::new(),
                        Keep::New,
                        &kept,
                        &outcome,
                    );
                    the_box.version_of(&taken, Some(&t));
                }
                Some(Err(why)) => {
                    link_said.replace(true);
                    outcome.set(Outcome::Notice(why));
                }
                None if said_before => outcome.set(Outcome::None),
                None => {}
            }
        });
    }
    use_effect_with((), |_| {
        if let Some(d) = web_sys::window().and_then(|w| w.document()) {
            d.set_title("Your lessons · Mailroom");
        }
    });

    let onfile = {
        let (the_box, kept, outcome) = (the_box.clone(), kept.clone(), outcome.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            read_files(input.files(), the_box.clone(), kept.clone(), outcome.clone());
            input.set_value("");
        })
    };
    let ondrop = {
        let (the_box, kept, outcome) = (the_box.clone(), kept.clone(), outcome.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            read_files(
                e.data_transfer().and_then(|d| d.files()),
                the_box.clone(),
                kept.clone(),
                outcome.clone(),
            );
        })
    };
    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            set_kept(&text, DRAFT, area.value());
        })
    };
    // Played from the box, a lesson is kept in place of the one it is a version of, and is
    // from then on what the box is a version of.
    let onplay = {
        let (the_box, kept, outcome) = (the_box.clone(), kept.clone(), outcome.clone());
        Callback::from(move |_: MouseEvent| {
            let of = &*the_box.of;
            let how = if of.is_empty() { Keep::New } else { Keep::Replacing(of) };
            let all = vec![given(FROM_BOX.into(), (*the_box.text).clone())];
            if let [(id, _)] = &take(all, Vec::new(), how, &kept, &outcome)[..] {
                the_box.set_of(id.clone());
            }
        })
    };
    // A lesson under the title of another: kept in the other's place, or beside it. Found
    // by what it is, not where it was in the list (which a choice before changes).
    let choose = |clash: &Clash, replace: bool| {
        let (the_box, kept, outcome) = (the_box.clone(), kept.clone(), outcome.clone());
        let clash = clash.clone();
        Callback::from(move |_: MouseEvent| {
            let Outcome::Report { kept: mut titles, unsaved, mistakes, in_box, mut clashes } =
                (*outcome).clone()
            else {
                return;
            };
            let Some(at) = clashes.iter().position(|c| *c == clash) else { return };
            let mut mine = MyLessons::clone(&kept);
            let how = if replace { Keep::Replacing(&clash.id) } else { Keep::Alongside };
            match mine.keep(&clash.title, &clash.text, how) {
                Ok(id) => {
                    clashes.remove(at);
                    let saved = save_my_lessons(&mine);
                    if saved {
                        kept.set(Rc::new(mine));
                        if clash.text == *the_box.text {
                            the_box.set_of(id.clone());
                        }
                    }
                    titles.push(format!("“{}”", clash.title));
                    let ids = if saved { vec![(id, clash.text.clone())] } else { Vec::new() };
                    report(titles, unsaved || !saved, mistakes, in_box, clashes, &ids, &outcome);
                }
                // The lesson it was to replace is gone, and another has its title: asked
                // again, about that one.
                Err(other) => {
                    clashes[at].id = other;
                    outcome.set(Outcome::Report { kept: titles, unsaved, mistakes, in_box, clashes });
                }
            }
        })
    };
    // What the box held before, back in it, a version of the lesson it was (and what it
    // holds now set aside in its turn, when it is the teacher's own writing), or let go.
    let put_back = {
        let (the_box, kept) = (the_box.clone(), kept.clone());
        Callback::from(move |_: MouseEvent| {
            let mut aside = (*the_box.aside).clone();
            let held = (*the_box.text).clone();
            let keep = !held.trim().is_empty() && !kept.lessons.iter().any(|k| k.text == held);
            if let Some((of, back)) = aside.put_back(&the_box.of, keep.then_some(held.as_str())) {
                the_box.put_over(aside, back, &of, &kept);
            }
        })
    };
    let discard = {
        let aside = the_box.aside.clone();
        Callback::from(move |_: MouseEvent| {
            let mut rest = (*aside).clone();
            rest.pop();
            save_draft(SET_ASIDE, &rest.to_storage());
            aside.set(rest);
        })
    };
    // A removed lesson can be had back (Undo), until another is removed or the page left;
    // the focus goes to Undo rather than to nowhere.
    let removed = use_state(|| None::<(usize, Kept)>);
    let undo_ref = use_node_ref();
    let box_ref = use_node_ref();
    let remove = |id: String| {
        let (kept, removed, undo_ref) = (kept.clone(), removed.clone(), undo_ref.clone());
        Callback::from(move |_: MouseEvent| {
            let mut mine = MyLessons::clone(&kept);
            let Some(at) = mine.lessons.iter().position(|k| k.id == id) else { return };
            removed.set(Some((at, mine.lessons[at].clone())));
            mine.remove(&id);
            save_my_lessons(&mine);
            kept.set(Rc::new(mine));
            let undo_ref = undo_ref.clone();
            focus_after_render(move || undo_ref.cast());
        })
    };
    let undo = {
        let (kept, removed) = (kept.clone(), removed.clone());
        Callback::from(move |_: MouseEvent| {
            let Some((at, lesson)) = (*removed).clone() else { return };
            let mut mine = MyLessons::clone(&kept);
            let id = lesson.id.clone();
            mine.lessons.insert(at.min(mine.lessons.len()), lesson);
            save_my_lessons(&mine);
            kept.set(Rc::new(mine));
            removed.set(None);
            // Back on the lesson, in the list.
            focus_after_render(move || {
                web_sys::window()?
                    .document()?
                    .query_selector(&format!("[data-lesson=\"{id}\"] a"))
                    .ok()
                    .flatten()
            });
        })
    };
    // Its text back in the box, to be changed and played again (kept in its place).
    let edit = |k: &Kept| {
        let (the_box, kept, box_ref) = (the_box.clone(), kept.clone(), box_ref.clone());
        let (t, id) = (k.text.clone(), k.id.clone());
        Callback::from(move |_: MouseEvent| {
            the_box.put(t.clone(), &id, &kept);
            let box_ref = box_ref.clone();
            focus_after_render(move || box_ref.cast());
        })
    };
    // The link last made, shown under its lesson (id, link): to copy by hand where the
    // browser refuses the clipboard (some school machines), or to read it.
    let link_shown = use_state(|| None::<(String, String)>);
    let share = |id: String, t: String| {
        let link_shown = link_shown.clone();
        Callback::from(move |e: MouseEvent| {
            let Some(w) = web_sys::window() else { return };
            let here = w.location().href().unwrap_or_default();
            let link = format!("{}{}", here.split('#').next().unwrap_or_default(), share_hash(&t));
            link_shown.set(Some((id.clone(), link.clone())));
            // Said copied once the browser has it (it may refuse: no permission; a page not
            // served over HTTPS has no clipboard at all, `navigator.clipboard` undefined).
            let navigator = w.navigator();
            let has_clipboard =
                js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|c| !c.is_undefined());
            let copied = has_clipboard.then(|| navigator.clipboard().write_text(&link));
            let button = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
            spawn_local(async move {
                let done = match copied {
                    Some(copying) => JsFuture::from(copying).await.is_ok(),
                    None => false,
                };
                let said = if done {
                    "Link copied"
                } else {
                    "Could not copy: the browser refused (the link is below)"
                };
                if let Some(b) = button {
                    b.set_inner_text(said);
                }
            });
        })
    };
    // Where the caret is in the box, to find the line a mistake names.
    let caret = use_state(|| 1usize);
    let on_caret = {
        let caret = caret.clone();
        Callback::from(move |e: Event| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            caret.set(caret_line(&area));
        })
    };
    let go_to_line = |n: usize| {
        let (box_ref, caret) = (box_ref.clone(), caret.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(area) = box_ref.cast::<web_sys::HtmlTextAreaElement>() else { return };
            let text = area.value();
            let (start, end) = line_span(&text, n);
            let _ = area.focus();
            let _ = area.set_selection_range(start, end);
            // A browser does not bring a selection made by script into sight: the box
            // scrolls to the line (a third of the way down), measured where it wraps.
            if let Some(top) = text_height(&area, &text[..line_start(&text, n)]) {
                area.set_scroll_top(top - area.client_height() / 3);
            }
            caret.set(caret_line(&area));
        })
    };
    // Text that comes without a key (a paste from the menu, a drop, an IME) moves the caret too.
    let oninput = {
        let on_caret = on_caret.clone();
        Callback::from(move |e: InputEvent| {
            oninput.emit(e.clone());
            on_caret.emit(e.into());
        })
    };
    let lines = text.split('\n').count();
    let report = match &*outcome {
        Outcome::None => Html::default(),
        Outcome::Notice(said) => html! { <p class="notice" role="status">{ said.clone() }</p> },
        Outcome::Report { kept, unsaved, mistakes, in_box, clashes } => {
            let kept = (!kept.is_empty()).then(|| {
                let said = match (*unsaved, kept.len()) {
                    (false, _) => format!("Kept, in the list below: {}.", kept.join(", ")),
                    (true, 1) => format!(
                        "{} has no mistakes, but this browser would not keep it (its storage is full or off), so it cannot be played.",
                        kept[0]
                    ),
                    (true, _) => format!(
                        "{} have no mistakes, but this browser would not keep them (its storage is full or off), so they cannot be played.",
                        kept.join(", ")
                    ),
                };
                html! { <p class="notice" role="status" data-testid="kept-notice">{ said }</p> }
            });
            let wrong = mistakes.iter().enumerate().map(|(k, (from, mistakes))| {
                // What the run did, said after the anchors that match nothing, is no mistake.
                let n = mistakes.iter().filter(|m| !m.message.starts_with(mailroom_core::world::RUN_DID)).count();
                let what = if n <= 1 { "a mistake; fix it".to_string() } else { format!("{n} mistakes; fix them") };
                // In the box: "line N" goes to that line there.
                let item = |m: &LessonError| match m.line {
                    n if n > 0 && *in_box == Some(k) => html! {
                        <li>
                            <button type="button" class="line-link" onclick={go_to_line(n)} data-testid="go-to-line"
                                title="Select this line in the box">{ format!("line {n}") }</button>
                            { ": " }{ code_spans(&m.message) }
                        </li>
                    },
                    _ => html! { <li>{ code_spans(&m.to_string()) }</li> },
                };
                html! {
                    <>
                        <p>{ format!("{from} has {what}, then play it again:") }</p>
                        <ul>{ for mistakes.iter().map(item) }</ul>
                    </>
                }
            });
            // The title alone does not say which lesson is which: where each comes from does.
            let clashes = clashes.iter().map(|c| {
                html! {
                    <p class="notice" role="status" data-testid="clash" key={format!("{}\n{}\n{}", c.from, c.id, c.text.len())}>
                        { format!("{} is titled “{}”, like a different lesson kept in this browser. ", c.from, c.title) }
                        <button type="button" onclick={choose(c, false)} data-testid="keep-both"
                            title="Keep it as a lesson of its own, beside the one kept">{ "Keep both" }</button>
                        { " " }
                        <button type="button" onclick={choose(c, true)} data-testid="replace"
                            title="Keep it in place of the one kept under that title">{ "Replace the kept one" }</button>
                    </p>
                }
            });
            html! {
                <>
                    { for kept }
                    { for clashes }
                    if !mistakes.is_empty() {
                        <div class="lesson-errors" role="alert" data-testid="lesson-errors">{ for wrong }</div>
                    }
                </>
            }
        }
    };
    html! {
        <div class="home" data-testid="your-lessons" {ondrop} {ondragover}>
            <header class="top-bar">
                <a class="brand" href="#/" title="All lessons: the learning path" data-testid="home-link">
                    { icons::logo() }<span>{ "Mailroom" }</span>
                    <span class="visually-hidden">{ ": all lessons" }</span>
                </a>
            </header>
            <main class="home-body yours" aria-labelledby="yours-title">
                <h1 id="yours-title">{ "Your lessons" }</h1>
                <p>
                    { "A lesson is a text file: a world, an email and the story told step by step. " }
                    <a href="guide.html" target="_blank" rel="noopener" data-testid="guide-link">{ "How to write one (the guide)" }</a>
                    { ". Open a file, drop one on this page or paste one: it plays at once, and stays in this browser until you remove it." }
                </p>
                <p class="home-actions">
                    <label class="button primary">
                        { "Open lesson files…" }
                        <input type="file" class="visually-hidden" accept=".md,.txt,text/markdown,text/plain"
                            multiple=true onchange={onfile} data-testid="open-file" />
                    </label>
                    <span class="muted">{ "or drop them anywhere on this page" }</span>
                </p>
                { report }
                if let Some((_, last)) = the_box.aside.texts.first() {
                    <p class="notice" role="status" data-testid="set-aside">
                        { format!("What the box held before ({}) is set aside", lines_of(last)) }
                        { match the_box.aside.texts.len() - 1 {
                            0 => ". ".to_string(),
                            1 => " (and 1 text before it). ".to_string(),
                            n => format!(" (and {n} texts before it). "),
                        } }
                        <button type="button" onclick={put_back} data-testid="put-back">{ "Put it back" }</button>
                        { " " }
                        <button type="button" onclick={discard}>{ "Discard it" }</button>
                    </p>
                }
                <label class="paste" for="lesson-text">{ "Or paste a lesson, or write one here:" }</label>
                <textarea id="lesson-text" rows="14" spellcheck="false" value={(*text).clone()} {oninput}
                    ref={box_ref.clone()} data-testid="lesson-text" aria-describedby="caret-line"
                    onkeyup={on_caret.reform(|e: KeyboardEvent| e.into())}
                    onmouseup={on_caret.reform(|e: MouseEvent| e.into())}
                    onfocus={on_caret.reform(|e: FocusEvent| e.into())} />
                <p class="muted caret-line" id="caret-line" data-testid="caret-line">
                    // Said as the cursor's, so that after a Play with mistakes it is not
                    // read as the line of the first one (the list above links those).
                    { format!("The cursor is on line {} of {lines}", (*caret).min(lines)) }
                </p>
                <p>
                    <button type="button" class="button primary" onclick={onplay} data-testid="play-text"
                        aria-describedby={kept.get(&the_box.of).map(|_| "play-replaces")}>{ "Play this lesson" }</button>
                    if let Some(k) = kept.get(&the_box.of) {
                        { " " }<span class="muted" id="play-replaces" data-testid="play-replaces">
                            { format!("Played under the same title, it replaces “{}”, the version it was edited from.", k.title) }
                        </span>
                    }
                </p>
                <h2>{ "Kept in this browser" }</h2>
                // Not when another lesson was kept under its id since (a new one of that title).
                if let Some((_, lesson)) = (*removed).as_ref().filter(|(_, l)| !kept.lessons.iter().any(|k| k.id == l.id)) {
                    <p class="notice" role="status" data-testid="removed">
                        { format!("Removed “{}”. ", lesson.title) }
                        <button type="button" ref={undo_ref.clone()} onclick={undo} data-testid="undo-remove">{ "Undo" }</button>
                    </p>
                }
                if kept.lessons.is_empty() {
                    <p class="muted">{ "None yet." }</p>
                } else {
                    <ul class="kept" data-testid="kept">
                        { for kept.lessons.iter().map(|k| {
                            // Two lessons of one title (both kept, by choice): their ids tell
                            // them apart, on the page and in the buttons' names.
                            let twin = kept.lessons.iter().filter(|o| o.title == k.title).count() > 1;
                            let named = if twin { format!("“{}” ({})", k.title, k.id) } else { format!("“{}”", k.title) };
                            html! {
                                <li key={k.id.clone()} data-lesson={k.id.clone()}>
                                    <a href={route::href(&k.id, 0)}>{ k.title.clone() }</a>
                                    if twin {
                                        <span class="muted">{ format!(" ({})", k.id) }</span>
                                    }
                                    <button type="button" onclick={edit(k)} data-testid="edit"
                                        aria-label={format!("Edit {named}")}
                                        title="Put its text in the box above, to change it and play it again">{ "Edit" }</button>
                                    <button type="button" onclick={share(k.id.clone(), k.text.clone())}
                                        title="Copy a link that carries this lesson, to send to students">{ "Copy share link" }</button>
                                    <button type="button" onclick={remove(k.id.clone())}
                                        aria-label={format!("Remove {named}")}>{ "Remove" }</button>
                                    if let Some((_, link)) = link_shown.as_ref().filter(|(id, _)| *id == k.id) {
                                        <label class="share-link">
                                            <span>{ "Its link: " }</span>
                                            <input type="text" readonly=true value={link.clone()} data-testid="share-link"
                                                aria-label={format!("The share link of {named}")}
                                                onfocus={|e: FocusEvent| e.target_unchecked_into::<web_sys::HtmlInputElement>().select()} />
                                        </label>
                                    }
                                </li>
                            }
                        }) }
                    </ul>
                }
            </main>
        </div>
    }
}

/// "1 line", "12 lines".
fn lines_of(text: &str) -> String {
    match text.lines().count() {
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    }
}

/// Where line `n` (from 1) of `text` starts and ends, in the UTF-16 units a text box
/// counts; past the last line, its end.
fn line_span(text: &str, n: usize) -> (u32, u32) {
    let at = line_start(text, n);
    let start = text[..at].encode_utf16().count();
    let line = text[at..].split('\n').next().unwrap_or_default();
    (start as u32, (start + line.encode_utf16().count()) as u32)
}

/// Where line `n` (from 1) of `text` starts, in bytes; past the last line, its end.
fn line_start(text: &str, n: usize) -> usize {
    let mut at = 0;
    for _ in 1..n {
        match text[at..].find('\n') {
            Some(i) => at += i + 1,
            None => return text.len(),
        }
    }
    at
}

/// How tall `text` stands in a box like `area` (as wide, as styled, wrapping alike): a
/// hidden copy of it, measured and taken away.
fn text_height(area: &web_sys::HtmlTextAreaElement, text: &str) -> Option<i32> {
    let copy: web_sys::HtmlTextAreaElement = area.clone_node().ok()?.dyn_into().ok()?;
    for name in ["id", "data-testid", "aria-describedby"] {
        let _ = copy.remove_attribute(name);
    }
    let style =
        format!("position:absolute;visibility:hidden;height:0;min-height:0;width:{}px", area.offset_width());
    copy.set_attribute("style", &style).ok()?;
    copy.set_attribute("aria-hidden", "true").ok()?;
    copy.set_value(text);
    area.parent_node()?.append_child(&copy).ok()?;
    let height = copy.scroll_height();
    copy.remove();
    Some(height)
}

/// The line (from 1) the caret of `area` is on.
fn caret_line(area: &web_sys::HtmlTextAreaElement) -> usize {
    let at = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    1 + area.value().encode_utf16().take(at).filter(|&u| u == u16::from(b'\n')).count()
}

/// Focuses the element `find` gives once the render under way has drawn it.
fn focus_after_render(find: impl FnOnce() -> Option<web_sys::Element> + 'static) {
    gloo_timers::callback::Timeout::new(0, move || {
        if let Some(el) = find().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    })
    .forget();
}

#[derive(Properties, PartialEq)]
pub struct YourLessonsProps {
    /// What a shared link in the address carries (after `#/shared/`): a lesson to play, or
    /// to show with its mistakes, once read ([`shared_text`]).
    #[prop_or_default]
    pub shared: Option<String>,
}

/// A mistake's words, what they quote between backticks (`` `RCTP` ``) as code, as the
/// guide writes it; with an odd number of backticks (a ```` ``` ```` fence named), as
/// written. Text nodes only: a teacher's text is never read as HTML.
fn code_spans(text: &str) -> Html {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return html! { { text } };
    }
    let spans = parts.iter().enumerate().filter(|(_, p)| !p.is_empty()).map(|(i, p)| match i % 2 {
        0 => html! { { *p } },
        _ => html! { <code>{ *p }</code> },
    });
    html! { <>{ for spans }</> }
}

#[cfg(test)]
mod tests {
    use super::{check, decode, line_span, line_start, whole_file};

    /// A file's bytes as a lesson's text: UTF-8 with or without its mark, UTF-16 with its
    /// mark, and anything else refused at the line where it starts (a file saved as "ANSI").
    #[test]
    fn a_file_is_read_as_utf8_or_utf16_or_refused_at_its_line() {
        let utf16 = |le: bool| {
            let units = "£5, café – ok\n".encode_utf16();
            let bytes = units.flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() });
            let mark: [u8; 2] = if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] };
            mark.into_iter().chain(bytes).collect::<Vec<u8>>()
        };
        let cases: [(&str, Vec<u8>, Result<&str, usize>); 7] = [
            ("UTF-8", "£5, café – ok\n".as_bytes().to_vec(), Ok("£5, café – ok\n")),
            ("UTF-8 with its mark", b"\xEF\xBB\xBFtitle".to_vec(), Ok("\u{FEFF}title")),
            ("UTF-16 LE", utf16(true), Ok("£5, café – ok\n")),
            ("UTF-16 BE", utf16(false), Ok("£5, café – ok\n")),
            ("Windows-1252 on line 3", b"---\ntitle: x\nit costs \xA35\n".to_vec(), Err(3)),
            ("a lone surrogate in UTF-16", vec![0xFF, 0xFE, 0x00, 0xD8], Err(0)),
            ("UTF-16 cut in half a unit", vec![0xFF, 0xFE, 0x41], Err(1)),
        ];
        for (what, bytes, want) in cases {
            match (decode(&bytes), want) {
                (Ok(text), Ok(want)) => assert_eq!(text, want, "{what}"),
                (Err(e), Err(line)) => {
                    assert_eq!(e[0].line, line, "{what}");
                    assert!(e[0].message.contains("UTF-8"), "{what}: {}", e[0].message);
                }
                (got, _) => panic!("{what}: {got:?}"),
            }
        }
    }

    /// The mistakes a lesson text is checked with, as (line, text shown) pairs.
    fn said(text: &str) -> Vec<(usize, String)> {
        check(text).err().unwrap_or_default().iter().map(|m| (m.line, m.to_string())).collect()
    }

    #[test]
    fn a_mistake_keeps_its_line() {
        let (_, text) = mailroom_core::lessons::BUILTIN.iter().find(|(id, _)| *id == "a-bounce").unwrap();
        // A misspelt key on line 2: its line kept apart, for the link to it (not read back
        // out of the words shown).
        let mistakes = said(&text.replacen("---\n", "---\nsubjct: Hi\n", 1));
        assert!(
            mistakes.iter().any(|(line, shown)| *line == 2 && shown.starts_with("line 2: ")),
            "{mistakes:?}"
        );
        // The whole file's: no line, and none said.
        let mistakes = said("---\ntitle: T\n---\n");
        assert!(
            mistakes.iter().any(|(line, shown)| *line == 0 && !shown.starts_with("line")),
            "{mistakes:?}"
        );
        let unread = whole_file("the file is too large for a lesson");
        assert_eq!((unread[0].line, unread[0].to_string()), (0, "the file is too large for a lesson".into()));
        assert_eq!(said(text), Vec::new(), "a-bounce has no mistakes");
    }

    #[test]
    fn a_line_is_found_in_the_units_a_text_box_counts() {
        // “” and é are one UTF-16 unit each, an emoji two.
        let text = "---\ntitle: “Café”\n😀 x\nlast";
        for (n, span) in
            [(1, (0, 3)), (2, (4, 17)), (3, (18, 22)), (4, (23, 27)), (5, (27, 27)), (40, (27, 27))]
        {
            assert_eq!(line_span(text, n), span, "line {n}");
        }
        assert_eq!(line_span("", 1), (0, 0));
        for (n, start) in [(1, 0), (2, 4), (3, 23), (4, 30), (5, 34), (9, 34)] {
            assert_eq!(line_start(text, n), start, "line {n}");
        }
    }
}
