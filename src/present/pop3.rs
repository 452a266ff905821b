//! The mail program panel (POP3): what each mail program has downloaded and believes is
//! on the server, beside the maildrop as the server holds it. Full build only.

use mailroom_core::lesson::Lesson;
use mailroom_core::trace::{ConnId, HostId, MailProgramView, MaildropMessage, MaildropView, Trace};

use super::{address_of, first_name, short_name};

/// True when the trace shows mail programs: the lesson retrieves mail with POP3.
pub fn has_mail_programs(trace: &Trace) -> bool {
    trace.snapshot_at(0).iter().any(|h| h.pop3.as_ref().is_some_and(|v| !v.programs.is_empty()))
}

/// Where a message stands on the server, for one row of the panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnServer {
    /// In the maildrop; no session holds it (no number now).
    Stored,
    /// In the maildrop, listed with this number by the session that holds the lock.
    Listed(u32),
    /// Marked for deletion (DELE) in that session, as number `n`.
    Marked(u32),
    /// It arrived after the session opened the maildrop: the next session will see it.
    ArrivedDuring,
    /// The last QUIT removed it (the UPDATE state).
    Removed,
    /// Not on the server (only the mail program has it, or believes it is there).
    Absent,
}

impl OnServer {
    /// For `data-server` attributes and CSS classes.
    pub fn key(self) -> &'static str {
        match self {
            OnServer::Stored => "stored",
            OnServer::Listed(_) => "listed",
            OnServer::Marked(_) => "marked",
            OnServer::ArrivedDuring => "arrived",
            OnServer::Removed => "removed",
            OnServer::Absent => "absent",
        }
    }

    /// In words, for the cell.
    pub fn text(self) -> &'static str {
        match self {
            OnServer::Stored => "stored",
            OnServer::Listed(_) => "stored",
            OnServer::Marked(_) => "marked for deletion",
            OnServer::ArrivedDuring => "arrived during this session",
            OnServer::Removed => "removed at QUIT",
            OnServer::Absent => "not on the server",
        }
    }

    /// Its number in the open session, if it has one.
    pub fn number(self) -> Option<u32> {
        match self {
            OnServer::Listed(n) | OnServer::Marked(n) => Some(n),
            _ => None,
        }
    }
}

/// What one mail program has of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InProgram {
    /// How many copies it downloaded (two when a check was cut before QUIT).
    pub copies: usize,
    /// Which checks downloaded them; empty when the program has checked only once (the
    /// check says nothing then).
    pub checks: Vec<u32>,
    /// It believes the message is on the server.
    pub believed: bool,
    /// It asked the server to delete it (DELE answered +OK) in the open session.
    pub marked: bool,
}

impl InProgram {
    /// The first line of the cell: "downloaded", "2 copies", or "not downloaded".
    pub fn text(&self) -> String {
        match (self.copies, self.checks.as_slice()) {
            (0, _) => "not downloaded".into(),
            (1, []) => "downloaded".into(),
            (1, [c]) => format!("downloaded at check {c}"),
            (n, []) => format!("{n} copies"),
            (n, _) => format!("{n} copies (checks {})", join_numbers(&self.checks)),
        }
    }

    /// The second line: what it believes about the server's copy.
    pub fn belief(&self) -> Option<&'static str> {
        match (self.marked, self.believed) {
            (true, _) => Some("asked to delete it"),
            (false, true) => Some("thinks it is on the server"),
            (false, false) => None,
        }
    }
}

fn join_numbers(n: &[u32]) -> String {
    n.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// One message in the panel: the server's side and each mail program's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRow {
    /// Its unique-id (UIDL), or `—` for a copy the server gave none.
    pub uid: String,
    pub subject: String,
    /// The sender's name (`Alice Liddell`), or address.
    pub from: String,
    pub size: u64,
    pub on_server: OnServer,
    /// One per program of the group, in the group's order.
    pub programs: Vec<InProgram>,
}

impl MailRow {
    /// The number in the open session, or `—`.
    pub fn number_text(&self) -> String {
        self.on_server.number().map_or("—".to_string(), |n| n.to_string())
    }

    /// The size in octets, or `—` when unknown (a unique-id the program only believes in).
    pub fn size_text(&self) -> String {
        if self.size > 0 { self.size.to_string() } else { "—".to_string() }
    }

    /// Its unique-id and size on one line, for a narrow table: `UIDL 1.1 · 678 octets`.
    pub fn meta_text(&self) -> String {
        format!("UIDL {} · {} octets", self.uid, self.size_text())
    }

    /// The subject, or what stands for it.
    pub fn subject_text(&self) -> &str {
        if self.subject.is_empty() { "(not downloaded)" } else { &self.subject }
    }
}

/// A mail program of the group, for its column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramColumn {
    pub host: HostId,
    /// The column's heading: "On Bob's laptop".
    pub heading: String,
    /// "Mail program on Bob's laptop: downloads and deletes; checking now".
    pub line: String,
    /// "Last check failed: ...", when its last finished check failed and it is not
    /// checking again.
    pub error: Option<String>,
    pub checking: bool,
}

/// One user's mail: the maildrop on the server and the mail programs that fetch it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailGroup {
    pub user: String,
    /// "Bob’s mail", or the address.
    pub title: String,
    /// The POP3 server: `mx.example.net`.
    pub server: String,
    /// The maildrop's lock, in words: "Maildrop on mx: locked by Bob's laptop".
    pub lock: String,
    pub locked: bool,
    /// The server column's heading: "On mx".
    pub server_heading: String,
    /// The table's caption, for screen readers.
    pub caption: String,
    pub programs: Vec<ProgramColumn>,
    pub rows: Vec<MailRow>,
}

/// Who holds a lock: "Bob's laptop" (the device whose session it is).
fn holder(trace: &Trace, conn: ConnId) -> String {
    match trace.conn(conn).and_then(|c| trace.hosts.get(c.client)) {
        Some(h) => h.label.clone(),
        None => conn.to_string(),
    }
}

fn program_column(trace: &Trace, host: HostId, p: &MailProgramView) -> ProgramColumn {
    let device = trace.hosts.get(host).map(|h| h.label.as_str()).unwrap_or_default();
    let state = match (p.session, p.checks) {
        (Some(_), _) => "checking now".to_string(),
        (None, 0) => "has not checked yet".to_string(),
        (None, 1) => "checked once".to_string(),
        (None, n) => format!("checked {n} times"),
    };
    let mode = if p.keep { "leaves mail on the server" } else { "downloads and deletes" };
    ProgramColumn {
        host,
        heading: format!("On {device}"),
        line: format!("Mail program on {device}: {mode}; {state}"),
        error: p.error.as_ref().filter(|_| p.session.is_none()).map(|e| format!("Last check failed: {e}")),
        checking: p.session.is_some(),
    }
}

/// `Alice Liddell` for `Alice Liddell <alice@example.org>`; the address when there is no name.
pub fn display_name(mailbox: &str) -> &str {
    match mailbox.split_once('<') {
        Some((name, _)) if !name.trim().is_empty() => name.trim().trim_matches('"'),
        _ => address_of(mailbox),
    }
}

/// Where a maildrop message stands.
fn on_server(m: &MaildropMessage, locked: bool) -> OnServer {
    match (m.number, m.marked) {
        (Some(n), true) => OnServer::Marked(n),
        (Some(n), false) => OnServer::Listed(n),
        (None, _) if locked => OnServer::ArrivedDuring,
        (None, _) => OnServer::Stored,
    }
}

/// The last event at or before `cursor` after which the POP3 view of one of `hosts`
/// changed, if any.
fn last_change(trace: &Trace, cursor: usize, hosts: &[HostId]) -> Option<usize> {
    let view = |c: usize, h: HostId| trace.snapshot_at(c).get(h).and_then(|s| s.pop3.as_ref());
    (1..=cursor.min(trace.len())).rev().find(|&c| {
        hosts.iter().any(|&h| match (view(c, h), view(c - 1, h)) {
            (Some(a), Some(b)) => !std::rc::Rc::ptr_eq(a, b),
            (a, b) => a.is_some() != b.is_some(),
        })
    })
}

/// The mail program panel at `cursor`: one group per user a mail program fetches mail
/// for, each with its rows. The group that changed last comes first (it is what the
/// narration talks about); otherwise the lesson's recipients come first.
pub fn mail_groups(trace: &Trace, lesson: &Lesson, cursor: usize) -> Vec<MailGroup> {
    let snaps = trace.snapshot_at(cursor);
    let views: Vec<(HostId, &mailroom_core::trace::Pop3View)> =
        snaps.iter().enumerate().filter_map(|(h, s)| Some((h, s.pop3.as_deref()?))).collect();
    let programs: Vec<(HostId, &MailProgramView)> =
        views.iter().flat_map(|(h, v)| v.programs.iter().map(move |p| (*h, p))).collect();
    let mut users: Vec<&str> = Vec::new();
    for (_, p) in &programs {
        if !users.contains(&p.user.as_str()) {
            users.push(&p.user);
        }
    }
    let recipient = |u: &str| lesson.email.to.iter().any(|t| address_of(t).eq_ignore_ascii_case(u));
    let (mut users, others): (Vec<&str>, Vec<&str>) = users.into_iter().partition(|u| recipient(u));
    users.extend(others);
    let mut groups: Vec<(Option<usize>, usize, MailGroup)> = users
        .into_iter()
        .enumerate()
        .map(|(i, user)| {
            let mine: Vec<(HostId, &MailProgramView)> =
                programs.iter().filter(|(_, p)| p.user == user).copied().collect();
            let drop: Option<(HostId, &MaildropView)> =
                views.iter().find_map(|(h, v)| v.maildrops.iter().find(|d| d.user == user).map(|d| (*h, d)));
            let hosts: Vec<HostId> = mine.iter().map(|(h, _)| *h).chain(drop.map(|(h, _)| h)).collect();
            (last_change(trace, cursor, &hosts), i, group(trace, lesson, user, &mine, drop))
        })
        .collect();
    // Groups that changed at the same moment, or never, keep the recipients-first order.
    mailroom_core::sort::sort_by_key(&mut groups, |(changed, i, _)| (std::cmp::Reverse(*changed), *i));
    groups.into_iter().map(|(_, _, g)| g).collect()
}

fn group(
    trace: &Trace,
    lesson: &Lesson,
    user: &str,
    programs: &[(HostId, &MailProgramView)],
    drop: Option<(HostId, &MaildropView)>,
) -> MailGroup {
    let server = match drop {
        Some((h, _)) => trace.hosts.get(h).map(|h| h.name.clone()).unwrap_or_default(),
        None => programs.first().map(|(_, p)| p.server.clone()).unwrap_or_default(),
    };
    let locked_by = drop.and_then(|(_, d)| d.locked_by);
    let short = short_name(&server).to_string();
    let lock = match locked_by {
        Some(c) => format!("Maildrop on {short}: locked by {}", holder(trace, c)),
        None => format!("Maildrop on {short}: not locked, no session holds it"),
    };
    // The rows: what QUIT removed (it was at the top of the maildrop), the maildrop, then
    // what only a mail program has or believes in.
    let mut rows: Vec<MailRow> = Vec::new();
    let row = |m: &MaildropMessage, at: OnServer| MailRow {
        uid: m.uid.clone(),
        subject: m.subject.clone(),
        from: display_name(&m.from).to_string(),
        size: m.size,
        on_server: at,
        programs: Vec::new(),
    };
    if let Some((_, d)) = drop {
        rows.extend(d.removed.iter().map(|m| row(m, OnServer::Removed)));
        rows.extend(d.messages.iter().map(|m| row(m, on_server(m, locked_by.is_some()))));
    }
    for (_, p) in programs {
        for m in &p.downloaded {
            let uid = m.uid.clone().unwrap_or_else(|| "—".into());
            if !rows.iter().any(|r| r.uid == uid) {
                rows.push(MailRow {
                    uid,
                    subject: m.subject.clone(),
                    from: display_name(&m.from).to_string(),
                    size: m.size,
                    on_server: OnServer::Absent,
                    programs: Vec::new(),
                });
            }
        }
        for c in &p.on_server {
            if !rows.iter().any(|r| r.uid == c.uid) {
                rows.push(MailRow {
                    uid: c.uid.clone(),
                    subject: String::new(),
                    from: String::new(),
                    size: 0,
                    on_server: OnServer::Absent,
                    programs: Vec::new(),
                });
            }
        }
    }
    for r in &mut rows {
        r.programs = programs
            .iter()
            .map(|(_, p)| {
                let copies: Vec<u32> = p
                    .downloaded
                    .iter()
                    .filter(|m| m.uid.as_deref().unwrap_or("—") == r.uid)
                    .map(|m| m.check)
                    .collect();
                let belief = p.on_server.iter().find(|c| c.uid == r.uid);
                InProgram {
                    copies: copies.len(),
                    checks: if p.checks > 1 { copies } else { Vec::new() },
                    believed: belief.is_some(),
                    marked: belief.is_some_and(|c| c.marked),
                }
            })
            .collect();
    }
    let title = match first_name(lesson, user) {
        Some(first) => format!("{first}’s mail"),
        None => format!("Mail of {user}"),
    };
    MailGroup {
        user: user.to_string(),
        caption: format!("{title}: each message on {server} and in the mail program"),
        title,
        server_heading: format!("On {short}"),
        server,
        lock,
        locked: locked_by.is_some(),
        programs: programs.iter().map(|(h, p)| program_column(trace, *h, p)).collect(),
        rows,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mailroom_core::trace::{EventKind, Protocol};

    /// A built-in lesson and its run.
    pub(crate) fn lesson_run(id: &str) -> (Lesson, Trace) {
        let lesson = mailroom_core::lessons::builtin(id).unwrap().unwrap();
        let trace = mailroom_core::world::run_lesson(&lesson).unwrap().trace;
        (lesson, trace)
    }

    /// The cursor just after the `n`-th POP3 event labelled `label`.
    pub(crate) fn after(t: &Trace, label: &str, n: usize) -> usize {
        t.events
            .iter()
            .filter(|e| e.protocol == Protocol::Pop3 && e.kind.label() == label)
            .nth(n)
            .unwrap()
            .index
            + 1
    }

    /// (uid, where on the server, copies per program) of each row.
    fn rows(g: &MailGroup) -> Vec<(String, &'static str, Vec<usize>)> {
        g.rows
            .iter()
            .map(|r| (r.uid.clone(), r.on_server.key(), r.programs.iter().map(|p| p.copies).collect()))
            .collect()
    }

    fn row(uid: &str, at: &'static str, copies: &[usize]) -> (String, &'static str, Vec<usize>) {
        (uid.to_string(), at, copies.to_vec())
    }

    #[test]
    fn the_panel_follows_a_download_and_delete() {
        let (lesson, t) = lesson_run("retrieving-mail-with-pop3");
        assert!(has_mail_programs(&t));
        assert!(!has_mail_programs(&lesson_run("sending-an-email").1));
        let at = |cursor| mail_groups(&t, &lesson, cursor);
        // At the start: Bob's mail, empty, the program has not checked.
        let g = &at(0)[0];
        assert_eq!((g.title.as_str(), g.server.as_str()), ("Bob’s mail", "mx.example.net"));
        assert!(g.rows.is_empty() && !g.locked);
        assert_eq!(g.lock, "Maildrop on mx: not locked, no session holds it");
        assert_eq!(g.programs[0].heading, "On Bob's laptop");
        assert_eq!(
            g.programs[0].line,
            "Mail program on Bob's laptop: downloads and deletes; has not checked yet"
        );
        // Logged in: numbered, locked by the laptop's session.
        let g = &at(after(&t, "PASS", 0))[0];
        assert_eq!(rows(g), [row("1.1", "listed", &[0]), row("1.2", "listed", &[0])]);
        assert!(g.locked);
        assert_eq!(g.lock, "Maildrop on mx: locked by Bob's laptop");
        assert_eq!((g.rows[0].number_text(), g.rows[0].size_text()), ("1".to_string(), "680".to_string()));
        assert_eq!(g.rows[0].meta_text(), "UIDL 1.1 · 680 octets");
        assert_eq!(
            (g.rows[0].subject_text(), g.rows[0].from.as_str()),
            ("Lunch on Friday?", "Alice Liddell")
        );
        assert_eq!(g.programs[0].line, "Mail program on Bob's laptop: downloads and deletes; checking now");
        // After the first RETR and DELE 1: a copy, and message 1 marked.
        let g = &at(after(&t, "+OK", 8))[0];
        assert_eq!(rows(g), [row("1.1", "marked", &[1]), row("1.2", "listed", &[1])]);
        assert_eq!(g.rows[0].on_server.text(), "marked for deletion");
        let p = &g.rows[0].programs[0];
        assert_eq!((p.text(), p.belief()), ("downloaded".to_string(), Some("asked to delete it")));
        assert_eq!(g.rows[1].programs[0].belief(), Some("thinks it is on the server"));
        // QUIT: both removed, the lock free; the copies stay.
        let g = &at(after(&t, "QUIT", 0))[0];
        assert_eq!(rows(g), [row("1.1", "removed", &[1]), row("1.2", "removed", &[1])]);
        assert_eq!(g.rows[1].on_server.text(), "removed at QUIT");
        assert!(!g.locked);
        let g = &at(t.len())[0];
        assert_eq!(g.programs[0].line, "Mail program on Bob's laptop: downloads and deletes; checked once");
        assert_eq!(g.rows[1].programs[0].belief(), None, "nothing believed on the server any more");
    }

    #[test]
    fn where_a_maildrop_message_stands() {
        let m = |number, marked| MaildropMessage {
            uid: "1.1".into(),
            size: 10,
            number,
            marked,
            from: String::new(),
            subject: String::new(),
        };
        let cases = [
            (m(None, false), false, OnServer::Stored, "stored"),
            (m(Some(2), false), true, OnServer::Listed(2), "stored"),
            (m(Some(2), true), true, OnServer::Marked(2), "marked for deletion"),
            // Locked by a session that opened the maildrop before it arrived (RFC 1939 §4).
            (m(None, false), true, OnServer::ArrivedDuring, "arrived during this session"),
        ];
        for (msg, locked, want, text) in cases {
            assert_eq!(on_server(&msg, locked), want, "{msg:?} {locked}");
            assert_eq!(want.text(), text);
        }
        assert_eq!(OnServer::Marked(3).number(), Some(3));
        assert_eq!(OnServer::Removed.number(), None);
    }

    #[test]
    fn the_panel_shows_two_copies_after_a_cut_and_both_devices_with_the_lock() {
        let (lesson, t) = lesson_run("connection-drops-before-quit");
        let g = &mail_groups(&t, &lesson, t.len())[0];
        assert_eq!(rows(g), [row("1.1", "removed", &[2])]);
        assert_eq!(g.rows[0].programs[0].text(), "2 copies (checks 1, 3)");
        // Between the two, the server kept the broken session and its lock until its timer ran out.
        let in_use = t.events.iter().position(|e| e.text().starts_with("-ERR [IN-USE]")).unwrap();
        let g = &mail_groups(&t, &lesson, in_use + 1)[0];
        assert!(g.lock.contains("locked by Bob's laptop"), "{}", g.lock);
        assert_eq!(rows(g), [row("1.1", "marked", &[1])]);
        let (lesson, t) = lesson_run("the-pop3-lock");
        let refused = t.events.iter().find(|e| e.kind.label() == "-ERR").unwrap().index;
        let g = &mail_groups(&t, &lesson, refused + 1)[0];
        assert_eq!(
            g.programs.iter().map(|p| p.heading.as_str()).collect::<Vec<_>>(),
            ["On Bob's laptop", "On Bob's phone"]
        );
        assert!(g.lock.contains("locked by Bob's laptop"), "{}", g.lock);
        let g = &mail_groups(&t, &lesson, t.len())[0];
        assert_eq!(rows(g), [row("1.1", "stored", &[1, 1])]);
        let phone_note =
            t.events.iter().position(|e| e.text().contains("[IN-USE]") && e.kind == EventKind::Note).unwrap();
        let g = &mail_groups(&t, &lesson, phone_note + 1)[0];
        assert!(
            g.programs[1].error.as_deref().is_some_and(|e| e.starts_with("Last check failed: login refused"))
        );
        assert_eq!(g.programs[0].error, None);
    }

    #[test]
    fn the_whole_journey_has_bobs_mail_and_alices() {
        let (lesson, t) = lesson_run("the-whole-journey");
        let titles = |cursor| -> Vec<String> {
            mail_groups(&t, &lesson, cursor).into_iter().map(|g| g.title).collect()
        };
        // The recipient first, then whoever's mail changed last.
        assert_eq!(titles(0), ["Bob’s mail", "Alice’s mail"]);
        let bounce = t
            .events
            .iter()
            .position(|e| e.kind == EventKind::Delivery { mailbox: "alice@example.org".into() });
        assert_eq!(titles(bounce.unwrap()), ["Bob’s mail", "Alice’s mail"]);
        assert_eq!(titles(bounce.unwrap() + 1), ["Alice’s mail", "Bob’s mail"]);
        let groups = mail_groups(&t, &lesson, t.len());
        assert_eq!(groups[0].server, "smtp.example.org");
        assert_eq!(groups[0].rows[0].subject, "Undelivered Mail Returned to Sender");
        assert_eq!(groups[0].rows[0].on_server, OnServer::Removed);
    }

    #[test]
    fn a_display_name_is_the_name_or_the_address() {
        assert_eq!(display_name("Alice Liddell <alice@example.org>"), "Alice Liddell");
        assert_eq!(display_name("<alice@example.org>"), "alice@example.org");
        assert_eq!(display_name("\"Bob\" <bob@example.net>"), "Bob");
    }
}
