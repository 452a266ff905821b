//! The lessons that ship with Mailroom, read from `lessons/` at build time.

use crate::lesson::{Lesson, LessonError};

/// `(id, file text)` of every built-in lesson, in library order; without the `imap` feature,
/// less the lessons of [`NEEDS_IMAP`] (the engine could not run them).
pub const BUILTIN: &[(&str, &str)] = &[
    ("sending-an-email", include_str!("../../lessons/sending-an-email.md")),
    ("a-bounce", include_str!("../../lessons/a-bounce.md")),
    ("greylisting", include_str!("../../lessons/greylisting.md")),
    ("days-later", include_str!("../../lessons/days-later.md")),
    ("two-failures", include_str!("../../lessons/two-failures.md")),
    ("anatomy-of-a-message", include_str!("../../lessons/anatomy-of-a-message.md")),
    ("dns-and-mx", include_str!("../../lessons/dns-and-mx.md")),
    ("email-myths", include_str!("../../lessons/email-myths.md")),
    ("reading-a-bounce", include_str!("../../lessons/reading-a-bounce.md")),
    ("relaying", include_str!("../../lessons/relaying.md")),
    ("bcc", include_str!("../../lessons/bcc.md")),
    ("trusted-network", include_str!("../../lessons/trusted-network.md")),
    ("logging-in", include_str!("../../lessons/logging-in.md")),
    ("end-of-data", include_str!("../../lessons/end-of-data.md")),
    ("starttls", include_str!("../../lessons/starttls.md")),
    ("retrieving-mail-with-pop3", include_str!("../../lessons/retrieving-mail-with-pop3.md")),
    ("keeping-mail-on-the-server", include_str!("../../lessons/keeping-mail-on-the-server.md")),
    ("connection-drops-before-quit", include_str!("../../lessons/connection-drops-before-quit.md")),
    ("the-pop3-lock", include_str!("../../lessons/the-pop3-lock.md")),
    #[cfg(feature = "imap")]
    ("reading-mail-with-imap", include_str!("../../lessons/reading-mail-with-imap.md")),
    #[cfg(feature = "imap")]
    ("two-devices-imap", include_str!("../../lessons/two-devices-imap.md")),
    #[cfg(feature = "imap")]
    ("folders-and-flags", include_str!("../../lessons/folders-and-flags.md")),
    #[cfg(feature = "imap")]
    ("append-to-sent", include_str!("../../lessons/append-to-sent.md")),
    #[cfg(feature = "imap")]
    ("pop3-or-imap", include_str!("../../lessons/pop3-or-imap.md")),
    ("full-mailbox", include_str!("../../lessons/full-mailbox.md")),
    ("too-big", include_str!("../../lessons/too-big.md")),
    ("unknown-domain", include_str!("../../lessons/unknown-domain.md")),
    ("no-mx", include_str!("../../lessons/no-mx.md")),
    ("the-whole-journey", include_str!("../../lessons/the-whole-journey.md")),
];

/// `(id, title)` of every lesson in `lessons/`, in library order, in every build (with or
/// without the `imap` feature): what the web app's lesson picker needs before it has
/// fetched a lesson's file (`lessons/<id>.md` next to the page). Only this list is compiled
/// into the page, not the lessons' text: the first load stays small however many lessons
/// there are. [`BUILTIN`] holds the same lessons in the same order, less those of
/// [`NEEDS_IMAP`] without the feature. A test checks it against the files.
pub const INDEX: &[(&str, &str)] = &[
    ("sending-an-email", "Sending an email"),
    ("a-bounce", "When delivery fails: a bounce"),
    ("greylisting", "Try again later: greylisting and the retry queue"),
    ("days-later", "Days later: the delayed warning and the final bounce"),
    ("two-failures", "Refused at once or bounced later: two kinds of failure"),
    ("anatomy-of-a-message", "Anatomy of a message: headers, body, MIME"),
    ("dns-and-mx", "How an address finds its server: DNS and MX"),
    ("email-myths", "Email myths, tested"),
    ("reading-a-bounce", "Reading a bounce message"),
    ("relaying", "Relaying: MX records, a backup server and the Received trail"),
    ("bcc", "Envelope and header: Bcc explained"),
    ("trusted-network", "The old way: a trusted network"),
    ("logging-in", "Logging in to send: the submission port and AUTH"),
    ("end-of-data", "The end of DATA: dot-stuffing and why a bare LF matters"),
    ("starttls", "STARTTLS: what an eavesdropper sees"),
    ("retrieving-mail-with-pop3", "Retrieving mail with POP3"),
    ("keeping-mail-on-the-server", "Keeping mail on the server: UIDL"),
    ("connection-drops-before-quit", "What if the connection drops before QUIT?"),
    ("the-pop3-lock", "Two mail programs, one POP3 mailbox: the lock"),
    ("reading-mail-with-imap", "Reading mail with IMAP"),
    ("two-devices-imap", "Two devices, one mailbox: flags, EXPUNGE and IDLE"),
    ("folders-and-flags", "Folders and flags"),
    ("append-to-sent", "Where did my sent mail go? APPEND to Sent"),
    ("pop3-or-imap", "POP3 or IMAP? The same mailbox, side by side"),
    ("full-mailbox", "A full mailbox"),
    ("too-big", "A message too big"),
    ("unknown-domain", "A domain that does not exist"),
    ("no-mx", "A domain with no MX record"),
    ("the-whole-journey", "The whole journey"),
];

/// The lessons that need the engine's IMAP simulation (feature `imap`): a build without it
/// lists them in [`INDEX`] but cannot run them (the web app's lite build sends the student
/// to its full build for these).
pub const NEEDS_IMAP: &[&str] =
    &["reading-mail-with-imap", "two-devices-imap", "folders-and-flags", "append-to-sent", "pop3-or-imap"];

/// True when lesson `id` needs the IMAP simulation (see [`NEEDS_IMAP`]).
pub fn needs_imap(id: &str) -> bool {
    NEEDS_IMAP.contains(&id)
}

/// Parses the built-in lesson `id`.
pub fn builtin(id: &str) -> Option<Result<Lesson, LessonError>> {
    BUILTIN.iter().find(|(i, _)| *i == id).map(|(i, text)| Lesson::parse(i, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_names_every_lesson_by_its_title() {
        let ids: Vec<&str> = BUILTIN.iter().map(|(id, _)| *id).collect();
        // Without the `imap` feature BUILTIN leaves out the IMAP lessons; INDEX never does.
        let index: Vec<&str> =
            INDEX.iter().map(|(id, _)| *id).filter(|id| cfg!(feature = "imap") || !needs_imap(id)).collect();
        assert_eq!(index, ids, "INDEX lists the lessons of BUILTIN, in the same order");
        for (id, title) in INDEX.iter().filter(|(id, _)| ids.contains(id)) {
            let lesson = builtin(id).unwrap().unwrap();
            assert_eq!(&lesson.title, title, "the title of {id}");
        }
        // Every file in lessons/ is in INDEX, and NEEDS_IMAP names exactly those with an
        // IMAP mail program.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".md").map(str::to_string))
            .filter(|name| name != "README")
            .collect();
        files.sort();
        let mut all: Vec<String> = INDEX.iter().map(|(id, _)| id.to_string()).collect();
        all.sort();
        assert_eq!(files, all);
        let mut imap: Vec<&str> = files
            .iter()
            .map(String::as_str)
            .filter(|name| {
                std::fs::read_to_string(format!("{dir}/{name}.md")).unwrap().contains(" imap from ")
            })
            .collect();
        imap.sort();
        let mut needs: Vec<&str> = NEEDS_IMAP.to_vec();
        needs.sort();
        assert_eq!(imap, needs, "NEEDS_IMAP names the lessons whose world has an IMAP mail program");
        // Their titles, from the files (BUILTIN may not hold them).
        for (id, title) in INDEX.iter().filter(|(id, _)| needs_imap(id)) {
            let text = std::fs::read_to_string(format!("{dir}/{id}.md")).unwrap();
            assert!(
                text.lines().any(|l| l.strip_prefix("title:").is_some_and(|t| t.trim() == *title)),
                "{id}"
            );
        }
    }
}
