use crate::shared::Shared;

use mailroom_core::lesson::Lesson;
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::class;
use crate::present::pop3::{self as present, MailGroup, MailRow};

#[derive(Properties, PartialEq)]
pub struct MailProgramsProps {
    pub run: Shared<LessonRun>,
    pub lesson: Shared<Lesson>,
    pub cursor: usize,
}

/// One message: its number in the open session, what it is, and where it stands on the
/// server and in each mail program.
fn row(r: &MailRow) -> Html {
    let server = r.on_server;
    html! {
        <tr key={r.uid.clone()} class={class!("mail-row", server.key())} data-testid="mail-row"
            data-uid={r.uid.clone()} data-server={server.key()}>
            <td class="num">{ r.number_text() }</td>
            <th scope="row" class="mail-subject">
                { r.subject_text().to_string() }
                if !r.from.is_empty() {
                    <span class="mail-from">{ "from " }{ r.from.clone() }</span>
                }
                <span class="mail-meta">{ r.meta_text() }</span>
            </th>
            <td class="num col-meta">{ r.size_text() }</td>
            <td class="mono col-meta">{ r.uid.clone() }</td>
            <td class={class!("server-cell", server.key())}>{ server.text() }</td>
            { for r.programs.iter().map(|p| html! {
                <td class={class!("program-cell", (p.copies > 0).then_some("has"), p.marked.then_some("asked"))}
                    data-copies={p.copies.to_string()} data-believed={p.believed.to_string()}>
                    { p.text() }
                    if let Some(b) = p.belief() {
                        <span class="program-belief">{ b }</span>
                    }
                </td>
            }) }
        </tr>
    }
}

/// One user's mail: the maildrop's lock, the mail programs' modes and states, and the
/// table of messages.
fn group(g: &MailGroup) -> Html {
    html! {
        <div key={g.user.clone()} class="mail-group" data-testid="mail-group" data-user={g.user.clone()}>
            <h3 class="mailbox-title">
                <span>{ g.title.clone() }</span>
                <span class="mailbox-where">{ format!("{} on {}", g.user, g.server) }</span>
            </h3>
            <ul class="mail-status">
                <li class={class!("lock", g.locked.then_some("locked"))} data-testid="maildrop-lock">
                    { g.lock.clone() }
                </li>
                { for g.programs.iter().map(|p| html! {
                    <li key={p.host} class={class!(p.checking.then_some("checking"))}>
                        { p.line.clone() }
                        if let Some(e) = &p.error {
                            <span class="mail-error" data-testid="mail-error">{ e.clone() }</span>
                        }
                    </li>
                }) }
            </ul>
            if g.rows.is_empty() {
                <p class="muted mail-empty">{ "No mail on the server; none downloaded." }</p>
            } else {
                // A narrow window scrolls the table sideways rather than cut it.
                <div class="mail-table-wrap">
                <table class={class!("mail-table", (g.programs.len() > 1).then_some("wide"))} data-testid="mail-table">
                    <caption class="visually-hidden">{ g.caption.clone() }</caption>
                    <thead>
                        <tr>
                            <th scope="col" class="num"><abbr title="its number in the open POP3 session">{ "No." }</abbr></th>
                            <th scope="col">{ "Message" }</th>
                            <th scope="col" class="num col-meta">{ "Octets" }</th>
                            <th scope="col" class="col-meta">{ "UIDL" }</th>
                            <th scope="col">{ g.server_heading.clone() }</th>
                            { for g.programs.iter().map(|p| html! { <th scope="col">{ p.heading.clone() }</th> }) }
                        </tr>
                    </thead>
                    <tbody>{ for g.rows.iter().map(row) }</tbody>
                </table>
                </div>
            }
        </div>
    }
}

/// The mail programs of the lesson next to the maildrops they read: what each has
/// downloaded and believes is on the server, and the server's side of every message (its
/// number in the open session, size, unique-id, deletion mark, and what QUIT removed).
#[component]
pub fn MailPrograms(props: &MailProgramsProps) -> Html {
    let groups = present::mail_groups(&props.run.trace, &props.lesson, props.cursor);
    html! {
        // In the Tab order: the panel scrolls inside, and holds no control to reach it by.
        <section tabindex="0" class="panel mailboxes pop3" aria-labelledby="pop3-title" data-testid="mail-programs">
            <h2 id="pop3-title" class="visually-hidden">{ "Mail programs and the server" }</h2>
            <div class="mail-groups">{ for groups.iter().map(group) }</div>
        </section>
    }
}
