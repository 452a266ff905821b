use std::rc::Rc;

use yew::prelude::*;

use crate::components::controls::Controls;
use crate::components::diagram::Diagram;
use crate::components::explanation::ExplanationCard;
use crate::components::mailboxes::Mailboxes;
use crate::components::narration::Narration;
use crate::components::predict::{Moment, Predict};
use crate::components::sequence_panel::SequencePanel;
use crate::components::top_bar::TopBar;
use crate::components::transcript::Transcript;
use crate::hooks::{
    early_text, initial_route, load_settings, location_hash, use_focus_rescue, use_hash_route,
    use_keyboard_shortcuts, use_lesson_loader, use_persist_settings, use_play_timer, use_presenting,
    use_record_progress,
};
use crate::present;
use crate::route;
use crate::state::{Action, Player, Reply};

/// `?messages=N` in the address sends the lesson's email N times: a long trace, used by
/// the page benchmark (`tests/e2e/bench-step.mjs`). Absent or invalid: 1. Capped by the
/// player, which says so.
fn messages_param() -> usize {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("messages="))
        .and_then(|n| n.parse().ok().or_else(|| n.bytes().all(|b| b.is_ascii_digit()).then_some(usize::MAX)))
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

/// True when the lesson's snapshots carry IMAP views (never in the lite build).
fn has_imap(_player: &Player) -> bool {
    #[cfg(feature = "imap")]
    return present::imap::has_imap(_player.trace());
    #[cfg(not(feature = "imap"))]
    false
}

/// The IMAP panel, when the lesson has IMAP mail programs (full build only).
fn imap_panel(_player: &Player) -> Html {
    #[cfg(feature = "imap")]
    if has_imap(_player) {
        use crate::components::imap_panel::ImapPanel;
        return html! { <ImapPanel run={_player.run.clone()} lesson={_player.lesson.clone()} cursor={_player.cursor} /> };
    }
    Html::default()
}

/// The mail program panel, when the lesson has POP3 mail programs (full build only).
fn mail_programs(_player: &Player) -> Option<Html> {
    #[cfg(feature = "pop3")]
    if present::pop3::has_mail_programs(_player.trace()) {
        use crate::components::mail_programs::MailPrograms;
        return Some(html! {
            <MailPrograms run={_player.run.clone()} lesson={_player.lesson.clone()} cursor={_player.cursor} />
        });
    }
    None
}

/// The predict card, when a question is due, was just answered, or the lesson's score is
/// in: the question, its number among the lesson's questions, and the moment.
fn predict(player: &Player) -> Option<(Option<mailroom_core::question::Question>, (usize, usize), Moment)> {
    let asked: Vec<usize> =
        (0..player.run.answers.len()).filter(|&s| player.run.answers[s].is_some()).collect();
    let question = |s: usize| player.lesson.steps.get(s).and_then(|st| st.question.clone());
    let number = |s: usize| (asked.iter().position(|&a| a == s).map_or(0, |p| p + 1), asked.len());
    if let Some(s) = player.question_due() {
        return Some((question(s), number(s), Moment::Ask));
    }
    if asked.is_empty() {
        return None;
    }
    // The score of this visit: none after a reload at the end, with no question met (the
    // home page keeps the last score), rather than "every question left unanswered".
    if player.at_end() {
        if !player.met_a_question() {
            return None;
        }
        let (right, answered, asked) = player.score();
        return Some((None, (0, asked), Moment::Score { right, answered, asked }));
    }
    let s = player.current_step()?;
    let (said, answer) = (player.said(s)?.clone(), player.run.answers.get(s)?.as_ref()?.text.clone());
    Some((question(s), number(s), Moment::Told { said, answer }))
}

/// The whole player.
#[component]
pub fn App() -> Html {
    let player = use_reducer(|| {
        let route = initial_route();
        let mut player = Player::loading(&route.lesson, route.step, load_settings(), messages_param());
        if route.step_unread {
            player.error = Some(match player.error.take() {
                Some(e) => format!("{e} {}", route::STEP_UNREAD),
                None => route::STEP_UNREAD.to_string(),
            });
        }
        // The lesson's file, fetched as the page started, has usually come: the player
        // starts with it rather than "loading".
        match early_text(&route.lesson) {
            Some(text) => {
                Rc::unwrap_or_clone(Rc::new(player).reduce(Action::LessonText { id: route.lesson, text }))
            }
            None => player,
        }
    });
    let dispatcher = player.dispatcher();
    use_lesson_loader(player.pending.clone(), dispatcher.clone());

    use_keyboard_shortcuts(dispatcher.clone(), player.presenting);
    use_presenting(player.presenting, dispatcher.clone());
    use_play_timer(player.playing, player.cursor, player.speed, dispatcher.clone());
    // The lesson on its way; or, with nothing shown yet (a first load that failed), the one
    // the address names, which stays as it is.
    let coming = match &player.pending {
        Some((id, _)) => Some(id.as_str()),
        None => player.run.trace.is_empty().then_some(player.lesson.id.as_str()),
    };
    use_hash_route(&player.lesson.id, player.cursor, coming, dispatcher.clone());
    use_persist_settings(player.settings());
    // A lesson on its way is not progress yet.
    let shown = if player.pending.is_none() { player.total() } else { 0 };
    // What the home page shows: the predictions made, passed questions left out.
    let score = player.at_end().then(|| player.score()).map(|(r, a, _)| (r, a)).filter(|&(_, a)| a > 0);
    use_record_progress(&player.lesson.id, player.cursor, shown, score);
    use_focus_rescue(player.cursor, player.selected, player.lesson.id.clone());
    use_effect_with(player.lesson.title.clone(), |title| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&format!("{title} · Mailroom"));
        }
    });

    // The children send their actions through one callback, the reducer's own dispatch
    // function ("share the dispatcher, not a dozen callbacks"). It stays equal from render
    // to render, as do callbacks that only depend on the dispatcher, so memoised children
    // (transcript rows, narration) are not re-rendered for nothing.
    let dispatch = dispatcher.to_callback();
    let on_lesson = use_callback(dispatcher.clone(), |id: String, d| d.dispatch(Action::LoadLesson(id)));
    let on_dismiss = use_callback(dispatcher.clone(), |_: (), d| d.dispatch(Action::Notice(None)));
    let on_present = use_callback(dispatcher.clone(), |_: (), d| d.dispatch(Action::TogglePresenting));
    let on_sequence = use_callback(dispatcher.clone(), |_: (), d| d.dispatch(Action::ToggleSequence));
    let on_reply = use_callback(dispatcher.clone(), |r: Reply, d| d.dispatch(Action::Answer(r)));
    let on_skip = use_callback(dispatcher.clone(), |_: (), d| d.dispatch(Action::Skip));
    // Nothing shown and nothing on its way (a first load that failed, offline): the notice
    // offers to load the lesson again, at the step the address still names.
    let on_retry = player.can_retry().then(|| {
        let id = player.lesson.id.clone();
        dispatcher.to_callback().reform(move |_: ()| {
            Action::Seek(route::parse(&location_hash()).filter(|r| r.lesson == id).map_or(0, |r| r.step))
        })
    });
    let predict = predict(&player);

    let total = player.total();
    // What the transcript says while it has nothing: "Press Play" only once there is a lesson.
    let empty_transcript = if total > 0 {
        None
    } else if on_retry.is_some() {
        Some(AttrValue::Static("Nothing to show: the lesson did not load."))
    } else {
        player.pending.as_ref().map(|_| AttrValue::Static("Loading the lesson…"))
    };
    let due = predict.as_ref().filter(|(_, _, m)| *m == Moment::Ask).and_then(|(q, ..)| q.as_ref());
    let asking = due.is_some();
    let announce = match player.current() {
        _ if player.nudged => crate::components::predict::NUDGE.to_string(),
        // The question's prompt takes the focus (predict.rs), and a screen reader reads it
        // there: said here too, it was heard twice.
        _ if asking => "A question before the next step.".to_string(),
        // Just answered (its event the current one): the verdict first (the focus has left
        // the question, and the card's verdict is not read out by itself), then the step.
        Some(i) => {
            let step = format!("Step {} of {total}. {}", player.cursor, present::summary(player.trace(), i));
            let anchor = player.current_step().and_then(|s| player.run.anchors.get(s).copied().flatten());
            match &predict {
                Some((_, _, Moment::Told { said, answer })) if anchor == Some(i) => {
                    format!("{} {step}", crate::components::predict::verdict(said, answer).1)
                }
                _ => step,
            }
        }
        None => format!("Step 0 of {total}. Nothing has happened yet."),
    };

    html! {
        <main
            class="player"
            data-testid="player"
            data-cursor={player.cursor.to_string()}
            data-total={total.to_string()}
            data-lesson={player.lesson.id.clone()}
            aria-busy={player.pending.is_some().then_some("true")}
            aria-labelledby="lesson-title"
        >
            <TopBar
                lesson_id={player.lesson.id.clone()}
                title={player.lesson.title.clone()}
                summary={player.lesson.summary.clone()}
                cursor={player.cursor}
                {total}
                onlesson={on_lesson}
                notice={player.error.clone()}
                ondismiss={on_dismiss}
                onretry={on_retry}
                presenting={player.presenting}
                onpresent={on_present}
                sequence={player.sequence}
                onsequence={on_sequence}
            />
            <div class="stage">
                if player.sequence {
                    <SequencePanel run={player.run.clone()} cursor={player.cursor} presenting={player.presenting} />
                } else {
                    <Diagram
                        run={player.run.clone()}
                        cursor={player.cursor}
                        travel_ms={player.speed.travel_ms()}
                        {asking}
                    />
                }
                <Transcript
                    run={player.run.clone()}
                    cursor={player.cursor}
                    selected={player.selected}
                    show_line_ends={player.show_line_ends}
                    eavesdropper={player.eavesdropper}
                    dispatch={dispatch.clone()}
                    empty={empty_transcript}
                />
            </div>
            <aside class="side" aria-label="Lesson">
                <Narration
                    lesson={player.lesson.clone()}
                    anchors={player.run.anchors.clone()}
                    cursor={player.cursor}
                    {total}
                    messages={player.messages}
                    dispatch={dispatch.clone()}
                    presenting={player.presenting}
                />
                if let Some((question, number, moment)) = predict {
                    <Predict {question} {number} {moment} nudged={player.nudged} onreply={on_reply} onskip={on_skip} />
                }
                // While a question waits, the card of the current event would only say
                // "predict first" (its text follows the answer), and on a laptop's screen it
                // pushed the mailboxes out of the column: the question takes its place. A row
                // the student selects still gets its card (its text, too, after the answer).
                if !asking || player.selected.is_some() {
                    <ExplanationCard
                        run={player.run.clone()}
                        focused={player.focused()}
                        selected={player.selected.is_some()}
                        dispatch={dispatch.clone()}
                        {asking}
                    />
                }
                // A lesson with mail programs shows them next to the maildrops they read (the
                // mailboxes that matter, on the servers); the others show the mailboxes.
                // IMAP lessons (full build only) show each device's view beside the server's;
                // a lesson with both (POP3 or IMAP?) shows both panels.
                { imap_panel(&player) }
                if let Some(programs) = mail_programs(&player) {
                    { programs }
                } else if !has_imap(&player) {
                    <Mailboxes run={player.run.clone()} lesson={player.lesson.clone()} cursor={player.cursor} />
                }
            </aside>
            <Controls
                cursor={player.cursor}
                {total}
                playing={player.playing}
                speed={player.speed}
                show_line_ends={player.show_line_ends}
                play_through={player.play_through}
                anchors={player.run.anchors.clone()}
                {dispatch}
            />
            <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcer">
                { announce }
            </div>
        </main>
    }
}
