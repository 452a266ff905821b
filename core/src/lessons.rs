//! The lessons that ship with Mailroom, read from `lessons/` at build time.

use crate::lesson::{Lesson, LessonError};

/// `(id, file text)` of every built-in lesson, in library order.
pub const BUILTIN: &[(&str, &str)] = &[
    ("sending-an-email", include_str!("../../lessons/sending-an-email.md")),
    ("a-bounce", include_str!("../../lessons/a-bounce.md")),
    ("greylisting", include_str!("../../lessons/greylisting.md")),
    ("days-later", include_str!("../../lessons/days-later.md")),
    ("two-failures", include_str!("../../lessons/two-failures.md")),
    ("relaying", include_str!("../../lessons/relaying.md")),
    ("bcc", include_str!("../../lessons/bcc.md")),
    ("trusted-network", include_str!("../../lessons/trusted-network.md")),
    ("starttls", include_str!("../../lessons/starttls.md")),
    ("retrieving-mail-with-pop3", include_str!("../../lessons/retrieving-mail-with-pop3.md")),
    ("keeping-mail-on-the-server", include_str!("../../lessons/keeping-mail-on-the-server.md")),
    ("connection-drops-before-quit", include_str!("../../lessons/connection-drops-before-quit.md")),
    ("the-pop3-lock", include_str!("../../lessons/the-pop3-lock.md")),
    ("the-whole-journey", include_str!("../../lessons/the-whole-journey.md")),
];

/// Parses the built-in lesson `id`.
pub fn builtin(id: &str) -> Option<Result<Lesson, LessonError>> {
    BUILTIN.iter().find(|(i, _)| *i == id).map(|(i, text)| Lesson::parse(i, text))
}
