//! The IMAP panel (full build only, feature `imap`).

use mailroom_core::lesson::Lesson;
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::present::imap::{ImapFolderTable, ImapGroup, ImapRow, imap_groups};
use crate::shared::Shared;

#[derive(Properties, PartialEq)]
pub struct ImapPanelProps {
    pub run: Shared<LessonRun>,
    pub lesson: Shared<Lesson>,
    pub cursor: usize,
}

/// One message: its UID, what it is, its flags on the server and in each device's view.
fn row(r: &ImapRow) -> Html {
    html! {
        <tr class={classes!("mail-row", (r.server.is_none() && r.uid != 0).then_some("absent"))} data-testid="imap-row"
            data-uid={r.uid.to_string()}>
            <td class="num mono">{ r.uid_text() }</td>
            <th scope="row" class="mail-subject">
                { r.subject.clone() }
                if !r.from.is_empty() {
                    <span class="mail-from">{ "from " }{ r.from.clone() }</span>
                }
            </th>
            <td class={classes!("server-cell", "mono", r.server.is_none().then_some("absent"))}>{ r.server_text().to_string() }</td>
            { for r.devices.iter().map(|c| html! {
                <td class={classes!("imap-cell", c.key())} data-state={c.key()}>
                    <span class="mono">{ c.text() }</span>
                    if let Some(note) = c.note() {
                        <span class="program-belief">{ note }</span>
                    }
                </td>
            }) }
        </tr>
    }
}

fn folder(g: &ImapGroup, f: &ImapFolderTable) -> Html {
    html! {
        <div key={f.name.clone()} class="mail-table-wrap">
            <table class="mail-table imap-table" data-testid="imap-table" data-folder={f.name.clone()}>
                <caption class="imap-caption">{ f.caption.clone() }</caption>
                <thead>
                    <tr>
                        <th scope="col" class="num">{ "UID" }</th>
                        <th scope="col">{ "Message" }</th>
                        <th scope="col">{ g.server_heading.clone() }</th>
                        { for g.devices.iter().map(|d| html! { <th scope="col">{ d.heading.clone() }</th> }) }
                    </tr>
                </thead>
                <tbody>{ for f.rows.iter().map(row) }</tbody>
            </table>
        </div>
    }
}

fn group(g: &ImapGroup) -> Html {
    html! {
        <div key={g.user.clone()} class="mail-group" data-testid="imap-group" data-user={g.user.clone()}>
            <h3 class="mailbox-title">
                <span>{ g.title.clone() }</span>
                <span class="mailbox-where">{ format!("{} on {}", g.user, g.server) }</span>
            </h3>
            // One line per device: its mail program, then its session on the server.
            <ul class="mail-status">
                { for g.devices.iter().map(|d| html! {
                    <li class={classes!(d.connected.then_some("checking"))} data-testid="imap-device">
                        <strong>{ d.name.clone() }</strong>{ ": " }{ d.program.clone() }{ " · " }{ d.server.clone() }
                        if let Some(e) = &d.error {
                            <span class="mail-error">{ e.clone() }</span>
                        }
                    </li>
                }) }
                if let Some(others) = &g.other_sessions {
                    <li data-testid="imap-sessions">{ others.clone() }</li>
                }
            </ul>
            if g.folders.is_empty() {
                <p class="muted mail-empty">{ "No mail in any folder." }</p>
            }
            { for g.folders.iter().map(|f| folder(g, f)) }
            if !g.empty_folders.is_empty() {
                <p class="muted imap-empty-folders">{ g.empty_folders.clone() }</p>
            }
        </div>
    }
}

/// Each device's view of the mailbox beside the server's: folders, UIDs, flags, which
/// messages a device has opened, and who is logged in or waiting in IDLE; read from the
/// snapshot at the cursor.
#[component]
pub fn ImapPanel(props: &ImapPanelProps) -> Html {
    let groups = imap_groups(&props.run.trace, &props.lesson, props.cursor);
    html! {
        // In the Tab order: the panel scrolls inside, and holds no control to reach it by.
        <section tabindex="0" class="panel mailboxes imap" aria-labelledby="imap-title" data-testid="imap-panel">
            <h2 id="imap-title" class="visually-hidden">{ "IMAP: the devices and the server" }</h2>
            <div class="mail-groups">{ for groups.iter().map(group) }</div>
        </section>
    }
}
