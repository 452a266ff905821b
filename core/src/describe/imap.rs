//! `at TIME imap from HOST via HOST user ADDRESS ACTION [auth plain]`: what a person does
//! with an IMAP mail program, one action a line (feature `imap`).
//!
//! ```text
//! at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net check
//! at 2m imap from bob-laptop.example.net via mx.example.net user bob@example.net read "Lunch"
//! at 3m imap from bob-phone.example.net  via mx.example.net user bob@example.net archive oldest
//! ```
//!
//! ACTION: `check` (connect and synchronise, or NOOP), `read [MSG]` (fetch the body:
//! `\Seen`), `read-text [MSG]` (BODYSTRUCTURE, then only the text part: `\Seen`), `flag [MSG]` / `unflag [MSG]` (`\Flagged`), `mark-read [MSG]` /
//! `mark-unread [MSG]` (`\Seen`), `archive [MSG]` (UID MOVE to the `\Archive` folder),
//! `delete [MSG]` (`\Deleted`, then EXPUNGE), `expunge`, `open FOLDER` (SELECT),
//! `append-sent` (APPEND a copy of the latest message this device sent to `\Sent`),
//! `logout`. MSG: `newest` (the default), `oldest`, or `"TEXT"`: the newest message of
//! the open folder whose subject contains TEXT. Lines of one device and user are one mail
//! program: its session opens at its first action, waits in IDLE between actions and
//! logs out after the last; `auth plain` on any of its lines makes it log in with
//! AUTHENTICATE PLAIN instead of LOGIN.

use super::syntax::{Cursor, Error, address, dns_name, typo_hint};
use super::{ActionDesc, Builder, Check, Description, Need, Step};
use crate::imap::client::{Action, Pick};
use crate::store::{Flags, MAX_FOLDER_NAME};
use crate::time::SimTime;
use crate::trace::HostRole;

/// How an `imap` line reads, for its errors.
pub const USAGE: &str = "at TIME imap from HOST via HOST user ADDRESS ACTION [auth plain]  (ACTION: check, read [MSG], read-text [MSG], flag [MSG], unflag [MSG], mark-read [MSG], mark-unread [MSG], archive [MSG], delete [MSG], expunge, open FOLDER, append-sent, logout; MSG: newest, oldest or \"SUBJECT\")";

const ACTIONS: [&str; 13] = [
    "check",
    "read",
    "read-text",
    "flag",
    "unflag",
    "mark-read",
    "mark-unread",
    "archive",
    "delete",
    "expunge",
    "open",
    "append-sent",
    "logout",
];

/// `newest`, `oldest`, `"SUBJECT"`, or nothing (the newest).
fn pick(c: &mut Cursor) -> Result<Pick, Error> {
    if let Some(t) = c.next_quoted() {
        if t.text.is_empty() {
            return Err((t.col, "the subject to look for is empty: write some of its words".into()));
        }
        return Ok(Pick::Subject(t.text.clone()));
    }
    Ok(c.value_if(|s| match s.to_ascii_lowercase().as_str() {
        "newest" => Ok(Pick::Newest),
        "oldest" => Ok(Pick::Oldest),
        _ => Err(String::new()),
    })
    .map_or(Pick::Newest, |(p, _)| p))
}

impl Builder {
    pub(super) fn imap(&mut self, c: &mut Cursor, line: usize, at: SimTime) -> Step {
        c.usage = USAGE;
        c.keyword("from")?;
        let (from_host, fcol) = c.value("the host of the mail program", dns_name)?;
        c.keyword("via")?;
        let (via, vcol) = c.value("the IMAP server", dns_name)?;
        c.keyword("user")?;
        let (user, ucol) = c.value("the mailbox's address", address)?;
        let t = c.next("what the person does: check, read, flag, archive, delete, ...")?;
        let mark = |flag, on| Action::Mark { pick: Pick::Newest, flag, on };
        let mut action = match (t.quoted, t.text.to_ascii_lowercase().as_str()) {
            (false, "check") => Action::Check,
            (false, "read") => Action::Read(Pick::Newest),
            (false, "read-text") => Action::ReadText(Pick::Newest),
            (false, "flag") => mark(Flags::FLAGGED, true),
            (false, "unflag") => mark(Flags::FLAGGED, false),
            (false, "mark-read") => mark(Flags::SEEN, true),
            (false, "mark-unread") => mark(Flags::SEEN, false),
            (false, "archive") => Action::Archive(Pick::Newest),
            (false, "delete") => Action::Delete(Pick::Newest),
            (false, "expunge") => Action::Expunge,
            (false, "open") => {
                let f = c.next("the folder to open, such as Archive")?;
                if f.text.is_empty() || f.text.len() > MAX_FOLDER_NAME {
                    return Err((f.col, format!("a folder name has 1 to {MAX_FOLDER_NAME} characters")));
                }
                Action::Open(f.text.clone())
            }
            (false, "append-sent") => Action::AppendSent,
            (false, "logout") => Action::Logout,
            _ => {
                let hint = typo_hint(&t.text, &ACTIONS);
                let all = ACTIONS.join(", ");
                return Err((
                    t.col,
                    format!("expected what the person does ({all}), found `{}`{hint}", t.text),
                ));
            }
        };
        match &mut action {
            Action::Read(p)
            | Action::ReadText(p)
            | Action::Mark { pick: p, .. }
            | Action::Archive(p)
            | Action::Delete(p) => *p = pick(c)?,
            _ => {}
        }
        let plain = c.optional("auth");
        if plain {
            c.keyword("plain")?;
        }
        c.done()?;
        let why = "an IMAP mail program runs on a person's device";
        self.check(
            line,
            fcol,
            Check::Host { name: from_host.clone(), need: Need::Role(HostRole::Client), why },
        );
        let why = "`via` names the IMAP server";
        self.check(line, vcol, Check::Host { name: via.clone(), need: Need::Imap, why });
        self.check(line, ucol, Check::UserDeclared { address: user.clone() });
        if action == Action::AppendSent {
            self.check(line, t.col, Check::SentBefore { host: from_host.clone(), at });
        }
        self.d.actions.push(ActionDesc::Imap { at, from_host, via, user, action, plain, line });
        Ok(())
    }
}

/// `append-sent` on `host` at `at`: a message sent from that host by then to file.
pub(super) fn sent_before(d: &Description, host: &str, at: SimTime) -> Option<String> {
    let sent = d
        .actions
        .iter()
        .any(|a| matches!(a, ActionDesc::Send { at: t, from_host, .. } if from_host == host && *t <= at));
    (!sent).then(|| {
        format!("`append-sent` files a message sent from `{host}`, and no `send from {host}` comes at or before this time")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAPTOP: &str = "host bob-laptop.example.net 203.0.113.10 client \"Bob's laptop\" at 100,62\n";
    const AT: &str = "at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net";

    /// The standard world with Bob's laptop, then `text` from line 2.
    fn parse(text: &str) -> Result<Description, Vec<String>> {
        let mut d = Description::standard();
        d.extend(&format!("{LAPTOP}{text}\n"), 1)
            .map(|_| d)
            .map_err(|es| es.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn actions_are_read() {
        let cases: Vec<(&str, Action, bool)> = vec![
            ("check", Action::Check, false),
            ("read", Action::Read(Pick::Newest), false),
            ("read oldest", Action::Read(Pick::Oldest), false),
            ("read-text \"Menu\"", Action::ReadText(Pick::Subject("Menu".into())), false),
            ("READ \"Lunch on\"", Action::Read(Pick::Subject("Lunch on".into())), false),
            ("flag newest", Action::Mark { pick: Pick::Newest, flag: Flags::FLAGGED, on: true }, false),
            (
                "unflag \"x\"",
                Action::Mark { pick: Pick::Subject("x".into()), flag: Flags::FLAGGED, on: false },
                false,
            ),
            ("mark-read", Action::Mark { pick: Pick::Newest, flag: Flags::SEEN, on: true }, false),
            ("mark-unread oldest", Action::Mark { pick: Pick::Oldest, flag: Flags::SEEN, on: false }, false),
            ("archive oldest", Action::Archive(Pick::Oldest), false),
            ("delete \"Photos\" auth plain", Action::Delete(Pick::Subject("Photos".into())), true),
            ("expunge", Action::Expunge, false),
            ("open Archive", Action::Open("Archive".into()), false),
            ("open \"Old mail/2025\"", Action::Open("Old mail/2025".into()), false),
            ("logout auth PLAIN", Action::Logout, true),
        ];
        for (words, want, want_plain) in cases {
            let d = parse(&format!("{AT} {words}")).unwrap_or_else(|e| panic!("{words}: {e:?}"));
            let Some(ActionDesc::Imap { at, from_host, via, user, action, plain, line }) = d.actions.last()
            else {
                panic!("{words}: {:?}", d.actions)
            };
            assert_eq!((action, *plain), (&want, want_plain), "{words}");
            assert_eq!(
                (at.as_millis(), from_host.as_str(), via.as_str(), user.as_str(), *line),
                (60_000, "bob-laptop.example.net", "mx.example.net", "bob@example.net", 2)
            );
        }
        // append-sent after a send from the same device.
        let d =
            parse(&format!("at 30s send from bob-laptop.example.net via mx.example.net\n{AT} append-sent"))
                .unwrap();
        assert!(matches!(d.actions.last(), Some(ActionDesc::Imap { action: Action::AppendSent, .. })));
    }

    #[test]
    fn every_mistake_is_named_with_its_line_and_column() {
        let cases: &[(&str, &[&str])] = &[
            (
                "at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net",
                &[
                    "line 2, column 79: expected what the person does: check, read, flag, archive, delete, ... here; the line reads `at TIME imap from HOST via HOST user ADDRESS ACTION [auth plain]  (ACTION: check, read [MSG], read-text [MSG], flag [MSG], unflag [MSG], mark-read [MSG], mark-unread [MSG], archive [MSG], delete [MSG], expunge, open FOLDER, append-sent, logout; MSG: newest, oldest or \"SUBJECT\")`",
                ],
            ),
            (
                "at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net raed",
                &[
                    "line 2, column 80: expected what the person does (check, read, read-text, flag, unflag, mark-read, mark-unread, archive, delete, expunge, open, append-sent, logout), found `raed` (did you mean `read`?)",
                ],
            ),
            (
                "at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net read latest",
                &[
                    "line 2, column 85: unexpected `latest` at the end; the line reads `at TIME imap from HOST via HOST user ADDRESS ACTION [auth plain]  (ACTION: check, read [MSG], read-text [MSG], flag [MSG], unflag [MSG], mark-read [MSG], mark-unread [MSG], archive [MSG], delete [MSG], expunge, open FOLDER, append-sent, logout; MSG: newest, oldest or \"SUBJECT\")`",
                ],
            ),
            (
                "at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net read \"\"",
                &["line 2, column 85: the subject to look for is empty: write some of its words"],
            ),
            (
                "at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net open",
                &[
                    "line 2, column 84: expected the folder to open, such as Archive here; the line reads `at TIME imap from HOST via HOST user ADDRESS ACTION [auth plain]  (ACTION: check, read [MSG], read-text [MSG], flag [MSG], unflag [MSG], mark-read [MSG], mark-unread [MSG], archive [MSG], delete [MSG], expunge, open FOLDER, append-sent, logout; MSG: newest, oldest or \"SUBJECT\")`",
                ],
            ),
            (
                "at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net check auth login",
                &[
                    "line 2, column 91: expected `plain`, found `login`; the line reads `at TIME imap from HOST via HOST user ADDRESS ACTION [auth plain]  (ACTION: check, read [MSG], read-text [MSG], flag [MSG], unflag [MSG], mark-read [MSG], mark-unread [MSG], archive [MSG], delete [MSG], expunge, open FOLDER, append-sent, logout; MSG: newest, oldest or \"SUBJECT\")`",
                ],
            ),
            (
                "at 1m imap from laptop.example.org via smtp.example.org user carol@example.net check",
                &[
                    "line 2, column 40: `via` names the IMAP server, and `smtp.example.org` runs no IMAP service: add `service smtp.example.org 143 imap`",
                ],
            ),
            (
                "at 1m imap from mx.example.net via mx.example.net user dave@example.net check",
                &[
                    "line 2, column 17: an IMAP mail program runs on a person's device, and `mx.example.net` is a mail host",
                    "line 2, column 56: `dave@example.net` is not a user: add `user dave@example.net`",
                ],
            ),
            (
                "at 1m imap from bob-phone.example.net via mx.example.net user bob@example.net check",
                &[
                    "line 2, column 17: there is no host `bob-phone.example.net`; the hosts are laptop.example.org, smtp.example.org, ns.example.org, mx.example.net, bob-laptop.example.net",
                ],
            ),
            (
                "at 1m imap from bob-laptop.example.net via mx.example.net user bob@example.net append-sent\nat 2m send from bob-laptop.example.net via mx.example.net",
                &[
                    "line 2, column 80: `append-sent` files a message sent from `bob-laptop.example.net`, and no `send from bob-laptop.example.net` comes at or before this time",
                ],
            ),
            (
                "at 1m imap from bob-laptop.example.net user bob@example.net check",
                &[
                    "line 2, column 40: expected `via`, found `user`; the line reads `at TIME imap from HOST via HOST user ADDRESS ACTION [auth plain]  (ACTION: check, read [MSG], read-text [MSG], flag [MSG], unflag [MSG], mark-read [MSG], mark-unread [MSG], archive [MSG], delete [MSG], expunge, open FOLDER, append-sent, logout; MSG: newest, oldest or \"SUBJECT\")`",
                ],
            ),
            (
                "at 1m imaps from bob-laptop.example.net via mx.example.net user bob@example.net check",
                &["line 2, column 7: expected an action: send, retrieve or imap, found `imaps`"],
            ),
        ];
        let mut wrong = Vec::new();
        for (broken, want) in cases {
            let got = parse(broken).err().unwrap_or_default();
            if got != *want {
                wrong.push(format!("{broken}\n  got:  {got:?}\n  want: {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }
}

#[cfg(test)]
mod soup {
    use super::*;

    /// Lines made of the words an `imap` line may hold, in any order, never panic.
    #[test]
    fn imap_word_soup_never_panics() {
        let words = [
            "at",
            "1m",
            "imap",
            "from",
            "via",
            "user",
            "bob-laptop.example.net",
            "mx.example.net",
            "bob@example.net",
            "check",
            "read",
            "read-text",
            "open",
            "append-sent",
            "newest",
            "oldest",
            "\"Lunch\"",
            "\"\"",
            "auth",
            "plain",
            "delete",
            "archive",
            "flag",
            "send",
            "#",
            "\"unclosed",
        ];
        let mut rng = crate::rng::Rng::new(3);
        for _ in 0..3000 {
            let n = 1 + rng.below(14) as usize;
            let line: Vec<&str> = (0..n).map(|_| words[rng.below(words.len() as u64) as usize]).collect();
            let mut d = Description::standard();
            let _ = d.extend(
                &format!(
                    "{}\nat 1m {}\n",
                    "host bob-laptop.example.net 203.0.113.10 client \"B\" at 1,1",
                    line.join(" ")
                ),
                1,
            );
        }
    }
}
