//! How the IMAP panel reads (full build only, feature `imap`): for each user's mailbox on
//! an IMAP server, every device's view of it beside the server's, from the snapshot at the
//! cursor (so stepping back shows exactly what was true then). Only reads the trace's
//! [`ImapView`]s; no protocol logic here.

use mailroom_core::lesson::Lesson;
use mailroom_core::store::Flags;
use mailroom_core::trace::{
    ConnId, HostId, ImapFolderView, ImapMailboxView, ImapMessageView, ImapProgramView, ImapView, Trace,
};

use super::pop3::display_name;
use super::{first_name, short_name};

/// True when the lesson's snapshots carry IMAP views (it has IMAP mail programs).
pub fn has_imap(trace: &Trace) -> bool {
    trace.snapshot_at(0).iter().any(|h| h.imap.as_ref().is_some_and(|v| !v.programs.is_empty()))
}

/// One user's mailbox: the server's side and each device's.
#[derive(Clone, Debug, PartialEq)]
pub struct ImapGroup {
    pub user: String,
    /// "Bob’s mail".
    pub title: String,
    /// The server's name (`mx.example.net`).
    pub server: String,
    /// The server's column heading ("On mx", like the POP3 panel's).
    pub server_heading: String,
    /// Each device: its mail program's state and its session on the server, one line each.
    pub devices: Vec<ImapDevice>,
    /// Sessions on the server of no device shown here, in words (the lessons have none).
    pub other_sessions: Option<String>,
    /// The folders that hold a message (on the server or in a device's view).
    pub folders: Vec<ImapFolderTable>,
    /// The other folders, empty everywhere, in words ("Sent (\Sent, UIDNEXT 1), …").
    pub empty_folders: String,
}

/// A device: its column heading, and on one line its mail program's state and its session
/// on the server, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct ImapDevice {
    pub heading: String,
    /// "Bob's laptop".
    pub name: String,
    /// Its mail program: "not connected", "connected, no folder open", "INBOX open",
    /// "INBOX open, in IDLE".
    pub program: String,
    /// Its session as the server sees it: "on mx: no session", "on mx: logged in",
    /// "on mx: INBOX selected".
    pub server: String,
    pub error: Option<String>,
    pub connected: bool,
}

impl ImapDevice {
    /// The whole line: "Bob's laptop: INBOX open, in IDLE · on mx: INBOX selected".
    pub fn line(&self) -> String {
        format!("{}: {} · {}", self.name, self.program, self.server)
    }
}

/// One folder's messages, a row per UID.
#[derive(Clone, Debug, PartialEq)]
pub struct ImapFolderTable {
    pub name: String,
    /// "INBOX · UIDVALIDITY 1 · UIDNEXT 3" (the server's numbers).
    pub caption: String,
    pub rows: Vec<ImapRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImapRow {
    /// The UID; 0 for a message a device was told exists (`* n EXISTS`) but not yet which.
    pub uid: u32,
    pub subject: String,
    pub from: String,
    /// On the server: its flags; `None` when it is not (or no longer) there.
    pub server: Option<String>,
    pub devices: Vec<ImapCell>,
}

impl ImapRow {
    pub fn uid_text(&self) -> String {
        if self.uid == 0 { "?".into() } else { self.uid.to_string() }
    }

    pub fn server_text(&self) -> &str {
        match (&self.server, self.uid) {
            (Some(flags), _) => flags,
            // A device's "* n EXISTS" without a UID: the server's own row is above, by UID.
            (None, 0) => "(above, with its UID)",
            (None, _) => "not on the server",
        }
    }
}

/// What one device believes of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImapCell {
    /// It has never opened the folder.
    NotSynced,
    /// It opened the folder but does not know this message (yet, or any more).
    Unknown,
    /// It knows the message with these flags, and maybe downloaded its body.
    Known { flags: String, opened: bool, text_only: bool },
}

impl ImapCell {
    pub fn key(&self) -> &'static str {
        match self {
            ImapCell::NotSynced => "not-synced",
            ImapCell::Unknown => "unknown",
            ImapCell::Known { .. } => "known",
        }
    }

    pub fn text(&self) -> String {
        match self {
            ImapCell::NotSynced => "folder not opened".into(),
            ImapCell::Unknown => "not known".into(),
            ImapCell::Known { flags, .. } => flags.clone(),
        }
    }

    pub fn note(&self) -> Option<&'static str> {
        match self {
            ImapCell::Known { opened: true, text_only: true, .. } => {
                Some("opened (only its text downloaded)")
            }
            ImapCell::Known { opened: true, .. } => Some("opened (body downloaded)"),
            _ => None,
        }
    }
}

/// A device's cell for a message it was told of (`* n EXISTS`) but has not fetched.
const TOLD_EXISTS: &str = "told it exists (* EXISTS), not fetched yet";

/// The flags a device was told, with the session's `\Recent` (never stored, so never on
/// the server's side).
fn device_flags_text(m: &ImapMessageView) -> String {
    match (m.recent, m.flags.is_empty()) {
        (false, _) => flags_text(m.flags),
        (true, true) => "\\Recent".into(),
        (true, false) => format!("{} \\Recent", flags_text(m.flags)),
    }
}

/// `\Seen \Flagged`, or "no flags".
pub fn flags_text(flags: Flags) -> String {
    if flags.is_empty() {
        return "no flags".into();
    }
    let names: Vec<&str> = Flags::NAMES.iter().filter(|(f, _)| flags.contains(*f)).map(|(_, n)| *n).collect();
    names.join(" ")
}

fn label(trace: &Trace, host: HostId) -> String {
    trace.hosts.get(host).map(|h| h.label.clone()).unwrap_or_default()
}

/// The device whose session `conn` is, in words.
fn device_of(trace: &Trace, conn: ConnId) -> String {
    match trace.conn(conn).and_then(|c| trace.hosts.get(c.client)) {
        Some(h) => h.label.clone(),
        None => conn.to_string(),
    }
}

/// What the server's side of a session says: the folder it has open, or that it is logged in.
fn session_text(selected: &Option<String>) -> String {
    match selected {
        Some(f) => format!("{f} selected"),
        None => "logged in".into(),
    }
}

/// A device's line: its mail program, and `sessions`, its sessions on the server (`short`).
fn device(trace: &Trace, host: HostId, p: &ImapProgramView, short: &str, sessions: &[&String]) -> ImapDevice {
    let name = label(trace, host);
    let program = match (p.session, &p.selected) {
        (None, _) => "not connected".to_string(),
        (Some(_), None) => "connected, no folder open".to_string(),
        (Some(_), Some(f)) if p.idling => format!("{f} open, in IDLE"),
        (Some(_), Some(f)) => format!("{f} open"),
    };
    let server = match sessions {
        [] => format!("on {short}: no session"),
        [s] => format!("on {short}: {s}"),
        many => format!(
            "on {short}: {} sessions ({})",
            many.len(),
            many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; ")
        ),
    };
    ImapDevice {
        heading: format!("On {name}"),
        name,
        program,
        server,
        error: p.error.as_ref().map(|e| format!("Last error: {e}")),
        connected: p.session.is_some(),
    }
}

fn folder<'a>(folders: &'a [ImapFolderView], name: &str) -> Option<&'a ImapFolderView> {
    folders.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

fn table(
    server: Option<&ImapFolderView>,
    name: &str,
    programs: &[(HostId, &ImapProgramView)],
) -> ImapFolderTable {
    let mut rows: Vec<ImapRow> = Vec::new();
    let views: Vec<Option<&ImapFolderView>> =
        programs.iter().map(|(_, p)| folder(&p.folders, name)).collect();
    if let Some(f) = server {
        rows.extend(f.messages.iter().map(|m| ImapRow {
            uid: m.uid,
            subject: m.subject.clone(),
            from: display_name(&m.from).to_string(),
            server: Some(flags_text(m.flags)),
            devices: Vec::new(),
        }));
    }
    // The server's messages each device was told exist (`* n EXISTS`) but has not fetched:
    // its message n without a UID yet is the server's message n, when the device does not
    // know that one by its UID.
    let announced: Vec<Vec<u32>> = views
        .iter()
        .map(|v| match (v, server) {
            (Some(v), Some(f)) => v
                .messages
                .iter()
                .zip(&f.messages)
                .filter(|(m, s)| m.uid == 0 && !v.messages.iter().any(|k| k.uid == s.uid))
                .map(|(_, s)| s.uid)
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    // What only a device believes in: expunged since, or not yet known by UID (and not
    // one of the server's above).
    for (v, told) in views.iter().zip(&announced) {
        let Some(v) = v else { continue };
        let unplaced = v.messages.iter().filter(|m| m.uid == 0).count() > told.len();
        for m in &v.messages {
            if (m.uid != 0 || unplaced) && !rows.iter().any(|r| r.uid == m.uid) {
                rows.push(ImapRow {
                    uid: m.uid,
                    subject: m.subject.clone(),
                    from: display_name(&m.from).to_string(),
                    server: None,
                    devices: Vec::new(),
                });
            }
        }
    }
    for row in &mut rows {
        row.devices = views
            .iter()
            .zip(&announced)
            .map(|(v, told)| match v {
                None => ImapCell::NotSynced,
                Some(v) if v.uid_validity == 0 && v.messages.is_empty() => ImapCell::NotSynced,
                Some(_) if row.uid != 0 && told.contains(&row.uid) => {
                    ImapCell::Known { flags: TOLD_EXISTS.into(), opened: false, text_only: false }
                }
                Some(v) => match v.messages.iter().find(|m| m.uid == row.uid) {
                    Some(m) => ImapCell::Known {
                        flags: device_flags_text(m),
                        opened: m.opened,
                        text_only: m.text_only,
                    },
                    None => ImapCell::Unknown,
                },
            })
            .collect();
    }
    // New mail a device was told of (`* n EXISTS`) but has not fetched: no UID yet.
    for row in rows.iter_mut().filter(|r| r.uid == 0) {
        if row.subject.is_empty() {
            row.subject = "a new message".into();
        }
        for cell in row.devices.iter_mut().filter(|c| matches!(c, ImapCell::Known { .. })) {
            *cell = ImapCell::Known { flags: TOLD_EXISTS.into(), opened: false, text_only: false };
        }
    }
    let caption = match server {
        Some(f) => {
            let next = f.uid_next.map(|n| format!(" · UIDNEXT {n}")).unwrap_or_default();
            format!("{} · UIDVALIDITY {}{next}", f.name, f.uid_validity)
        }
        None => format!("{name} · not on the server"),
    };
    ImapFolderTable { name: name.to_string(), caption, rows }
}

fn group(
    trace: &Trace,
    lesson: &Lesson,
    server_host: Option<HostId>,
    user: &str,
    mailbox: Option<&ImapMailboxView>,
    programs: &[(HostId, &ImapProgramView)],
) -> ImapGroup {
    let server = match server_host {
        Some(h) => trace.hosts.get(h).map(|h| h.name.clone()).unwrap_or_default(),
        None => programs.first().map(|(_, p)| p.server.clone()).unwrap_or_default(),
    };
    let title = match first_name(lesson, user) {
        Some(first) => format!("{first}’s mail"),
        None => format!("Mail of {user}"),
    };
    let short = short_name(&server);
    // The server's sessions, each given to the device it comes from: (its device, if one
    // of `programs`, and what it has open).
    let sessions: Vec<(ConnId, Option<HostId>, String)> = mailbox
        .map(|m| {
            m.sessions
                .iter()
                .map(|(conn, selected)| {
                    let client = trace.conn(*conn).map(|c| c.client);
                    let device = client.filter(|c| programs.iter().any(|(h, _)| h == c));
                    (*conn, device, session_text(selected))
                })
                .collect()
        })
        .unwrap_or_default();
    let devices = programs
        .iter()
        .map(|(h, p)| {
            let mine: Vec<&String> =
                sessions.iter().filter(|(_, d, _)| *d == Some(*h)).map(|(_, _, s)| s).collect();
            device(trace, *h, p, short, &mine)
        })
        .collect();
    let others: Vec<String> = sessions
        .iter()
        .filter(|(_, d, _)| d.is_none())
        .map(|(conn, _, what)| format!("{} ({what})", device_of(trace, *conn)))
        .collect();
    let other_sessions = (!others.is_empty()).then(|| format!("Also on {short}: {}", others.join("; ")));
    // Folders: the server's in its order, then any only a device knows.
    let mut names: Vec<String> =
        mailbox.map(|m| m.folders.iter().map(|f| f.name.clone()).collect()).unwrap_or_default();
    for (_, p) in programs {
        for f in &p.folders {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(&f.name)) {
                names.push(f.name.clone());
            }
        }
    }
    let server_folders: &[ImapFolderView] = mailbox.map_or(&[], |m| &m.folders);
    let mut folders = Vec::new();
    let mut empty = Vec::new();
    for name in &names {
        let t = table(folder(server_folders, name), name, programs);
        if t.rows.is_empty() {
            let what = match folder(server_folders, name) {
                Some(f) => {
                    let next = f.uid_next.map(|n| format!("UIDNEXT {n}")).unwrap_or_default();
                    match &f.special_use {
                        Some(u) => format!("{name} ({u}, {next})"),
                        None => format!("{name} ({next})"),
                    }
                }
                None => name.clone(),
            };
            empty.push(what);
        } else {
            folders.push(t);
        }
    }
    let empty_folders =
        if empty.is_empty() { String::new() } else { format!("Empty folders: {}", empty.join(", ")) };
    ImapGroup {
        user: user.to_string(),
        title,
        server_heading: format!("On {short}"),
        server,
        devices,
        other_sessions,
        folders,
        empty_folders,
    }
}

/// The IMAP panel's groups at `cursor`: one per user whose mail an IMAP program reads.
pub fn imap_groups(trace: &Trace, lesson: &Lesson, cursor: usize) -> Vec<ImapGroup> {
    let snaps = trace.snapshot_at(cursor);
    let views: Vec<(HostId, &ImapView)> =
        snaps.iter().enumerate().filter_map(|(h, s)| Some((h, s.imap.as_deref()?))).collect();
    let programs: Vec<(HostId, &ImapProgramView)> =
        views.iter().flat_map(|(h, v)| v.programs.iter().map(move |p| (*h, p))).collect();
    let mut users: Vec<&str> = Vec::new();
    for (_, p) in &programs {
        if !users.contains(&p.user.as_str()) {
            users.push(&p.user);
        }
    }
    users
        .into_iter()
        .map(|user| {
            let mine: Vec<(HostId, &ImapProgramView)> =
                programs.iter().filter(|(_, p)| p.user == user).copied().collect();
            let server = mine.first().map(|(_, p)| p.server.as_str()).unwrap_or_default();
            let mailbox = views.iter().find_map(|(h, v)| {
                let name_matches = trace.hosts.get(*h).is_some_and(|i| i.name.eq_ignore_ascii_case(server));
                v.mailboxes.iter().find(|m| m.user == user && name_matches).map(|m| (*h, m))
            });
            group(trace, lesson, mailbox.map(|(h, _)| h), user, mailbox.map(|(_, m)| m), &mine)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str) -> (Lesson, mailroom_core::world::LessonRun) {
        let lesson = mailroom_core::lessons::builtin(id).unwrap().unwrap();
        let run = mailroom_core::world::run_lesson(&lesson).unwrap();
        (lesson, run)
    }

    /// (uid, server's flags, each device's cell) of each row of folder `name`.
    fn rows(g: &ImapGroup, name: &str) -> Vec<(u32, String, Vec<String>)> {
        let t = g.folders.iter().find(|f| f.name == name).unwrap();
        t.rows
            .iter()
            .map(|r| (r.uid, r.server_text().to_string(), r.devices.iter().map(ImapCell::text).collect()))
            .collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn two_devices_see_the_same_mailbox_step_by_step() {
        let (lesson, run) = run("two-devices-imap");
        let t = &run.trace;
        assert!(has_imap(t));
        let at = |cursor| imap_groups(t, &lesson, cursor).remove(0);
        let g = at(0);
        assert_eq!((g.title.as_str(), g.server.as_str()), ("Bob’s mail", "mx.example.net"));
        assert_eq!(g.devices[0].line(), "Bob's laptop: not connected · on mx: no session");
        assert_eq!(g.devices[1].line(), "Bob's phone: not connected · on mx: no session");
        assert_eq!(g.other_sessions, None);
        assert!(g.folders.is_empty() && g.empty_folders.contains("INBOX (UIDNEXT 1)"), "{}", g.empty_folders);
        assert!(g.empty_folders.contains("Sent (\\Sent, UIDNEXT 1)"), "{}", g.empty_folders);
        // Both wait in IDLE; the phone has flagged, the laptop has read "Lunch"; "Photos" is gone.
        // The IDLE push: once "Dessert?" (UID 3) is delivered, the first moment a device knows
        // of it only by `* n EXISTS`: its row, as the server's message 3 (no row of its own).
        let told = |g: &ImapGroup| {
            g.folders.iter().find(|f| f.name == "INBOX").is_some_and(|f| {
                f.rows.iter().any(|r| {
                    r.uid == 3
                        && r.devices
                            .iter()
                            .any(|c| matches!(c, ImapCell::Known { flags, .. } if flags == TOLD_EXISTS))
                })
            })
        };
        let push = (0..=t.len()).find(|&c| told(&at(c)));
        let g = at(push.expect("a device is told of new mail by * EXISTS"));
        // The laptop, told first, is leaving IDLE to fetch it; the phone waits in IDLE still.
        // Each has its own session on the server.
        let lines: Vec<String> = g.devices.iter().map(ImapDevice::line).collect();
        assert_eq!(
            lines,
            [
                "Bob's laptop: INBOX open · on mx: INBOX selected",
                "Bob's phone: INBOX open, in IDLE · on mx: INBOX selected"
            ]
        );
        // As many rows as the server has messages: the laptop's message 3, not yet fetched,
        // is the server's UID 3; the phone has not heard of it.
        let inbox = rows(&g, "INBOX");
        assert_eq!(inbox.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 3], "{inbox:?}");
        assert_eq!(inbox[1], (3, "no flags".into(), s(&[TOLD_EXISTS, "not known"])));
        let g = at(t.len());
        assert!(g.devices.iter().all(|d| d.server == "on mx: no session"), "{:?}", g.devices);
        assert_eq!(
            rows(&g, "INBOX"),
            [
                (1, "\\Seen \\Flagged".into(), s(&["\\Seen \\Flagged", "\\Seen \\Flagged"])),
                (3, "no flags".into(), s(&["no flags", "no flags"]))
            ]
        );
        assert_eq!(g.folders[0].caption, "INBOX · UIDVALIDITY 1 · UIDNEXT 4");
        assert_eq!(g.folders[0].rows[0].devices[0].note(), Some("opened (body downloaded)"));
        assert_eq!(g.folders[0].rows[0].devices[1].note(), None);
    }

    #[test]
    fn the_panel_is_never_ahead_of_the_transcript_and_counts_what_exists() {
        use mailroom_core::trace::EventKind;
        let (lesson, run) = run("reading-mail-with-imap");
        let t = &run.trace;
        let at = |cursor| imap_groups(t, &lesson, cursor).remove(0);
        let laptop = |cursor| at(cursor).devices[0].program.clone();
        let command = |verb: &str| {
            t.events
                .iter()
                .position(|e| matches!(&e.kind, EventKind::Command { verb: v } if v == verb))
                .unwrap()
        };
        // The reply that ends LIST: the mail program has decided to SELECT, but it is not
        // said yet. The cursor after event i shows it.
        let select = command("SELECT");
        assert_eq!(laptop(select), "connected, no folder open", "at the event before SELECT");
        assert_eq!(laptop(select + 1), "INBOX open", "at SELECT");
        // Told `* 2 EXISTS` by SELECT's reply, not fetched yet: one row per message on the
        // server, each the laptop knows of only as existing.
        let fetch = command("UID FETCH");
        let g = at(fetch);
        let inbox = rows(&g, "INBOX");
        assert_eq!(inbox.len(), 2, "{inbox:?}");
        assert!(inbox.iter().all(|r| r.0 != 0 && r.2 == [TOLD_EXISTS]), "{inbox:?}");
        // The list fetched: `\Recent`, as the FETCH said, on the laptop's side only.
        let listed =
            (fetch..t.len()).find(|&c| rows(&at(c), "INBOX").iter().all(|r| r.2 != [TOLD_EXISTS])).unwrap();
        let inbox = rows(&at(listed), "INBOX");
        assert!(inbox.iter().all(|r| r.1 == "no flags" && r.2 == ["\\Recent"]), "{inbox:?}");
    }
}
