//! POP3 command lines (RFC 1939 §3, §9; CAPA from RFC 2449 §5).
//!
//! A command is a keyword of three or four characters, case-insensitive, then arguments
//! each after a single space (RFC 1939 §3). Errors carry the syntax expected, so the
//! `-ERR` teaches.

/// One parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `USER name` (RFC 1939 §7).
    User(String),
    /// `PASS string`: the rest of the line, spaces included (RFC 1939 §7).
    Pass(String),
    /// `APOP name digest` (RFC 1939 §7).
    Apop {
        name: String,
        digest: String,
    },
    Quit,
    Stat,
    /// `LIST [msg]` (RFC 1939 §5).
    List(Option<u32>),
    Retr(u32),
    Dele(u32),
    Noop,
    Rset,
    /// `TOP msg n`: the headers and the first `n` lines of the body (RFC 1939 §7).
    Top {
        msg: u32,
        lines: u32,
    },
    /// `UIDL [msg]` (RFC 1939 §7).
    Uidl(Option<u32>),
    /// `CAPA` (RFC 2449 §5).
    Capa,
    /// `STLS`: start TLS (RFC 2595 §4).
    Stls,
}

impl Command {
    /// The keyword, upper case.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Apop { .. } => "APOP",
            Command::Quit => "QUIT",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Retr(_) => "RETR",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Top { .. } => "TOP",
            Command::Uidl(_) => "UIDL",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
        }
    }
}

/// The keyword of `line`, upper-cased, or `""` when the line does not start with one
/// (letters only, at most 4: RFC 1939 §3), up to a space or a control character. For the
/// trace.
pub fn verb_of(line: &[u8]) -> String {
    let word = line.split(|&b| b == b' ' || b.is_ascii_control()).next().unwrap_or(&[]);
    if is_keyword(word) { String::from_utf8_lossy(word).to_ascii_uppercase() } else { String::new() }
}

/// Letters only, at most 4 (RFC 1939 §3).
fn is_keyword(word: &[u8]) -> bool {
    (1..=4).contains(&word.len()) && word.iter().all(u8::is_ascii_alphabetic)
}

/// Parses one command line (without its CRLF). The error is the text of the `-ERR`.
pub fn parse(line: &[u8]) -> Result<Command, String> {
    // RFC 1939 §3: a command line is one line, ended by CRLF; a CR, a bare LF or a NUL
    // inside it is not part of any argument (PROTOCOLS.md "Bad input").
    if let Some(b) = line.iter().find(|&&b| b == b'\r' || b == b'\n' || b == 0) {
        let what = match b {
            b'\r' => "a CR",
            b'\n' => "a bare LF",
            _ => "a NUL byte",
        };
        return Err(format!("{what} inside a command line is not allowed (only CRLF ends a line)"));
    }
    let Ok(line) = std::str::from_utf8(line) else {
        return Err("a command line must be text (UTF-8)".into());
    };
    if line.is_empty() {
        return Err("empty line: send a command such as CAPA or USER name".into());
    }
    let (keyword, rest) = match line.split_once(' ') {
        Some((k, r)) => (k, Some(r)),
        None => (line, None),
    };
    let verb = keyword.to_ascii_uppercase();
    let args: Vec<&str> = match rest {
        Some(r) => r.split(' ').collect(),
        None => Vec::new(),
    };
    let none = |cmd: Command| {
        if rest.is_some() { Err(format!("{verb} takes no argument")) } else { Ok(cmd) }
    };
    match verb.as_str() {
        "USER" => match args.as_slice() {
            [name] if !name.is_empty() => Ok(Command::User(name.to_string())),
            _ => Err("syntax: USER name (one argument, no spaces)".into()),
        },
        // "the server may treat spaces in the argument as part of the password" (§7).
        "PASS" => match rest {
            Some(p) if !p.is_empty() => Ok(Command::Pass(p.to_string())),
            _ => Err("syntax: PASS password".into()),
        },
        "APOP" => match args.as_slice() {
            [name, digest]
                if !name.is_empty()
                    && digest.len() == 32
                    && digest.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Ok(Command::Apop { name: name.to_string(), digest: digest.to_ascii_lowercase() })
            }
            _ => Err("syntax: APOP name digest (the digest is 32 hex digits of MD5)".into()),
        },
        "QUIT" => none(Command::Quit),
        "STAT" => none(Command::Stat),
        "NOOP" => none(Command::Noop),
        "RSET" => none(Command::Rset),
        "CAPA" => none(Command::Capa),
        "STLS" => none(Command::Stls),
        "LIST" | "UIDL" => {
            let msg = match args.as_slice() {
                [] => None,
                [n] => Some(number(n).ok_or_else(|| format!("syntax: {verb} [msg] (msg is a number)"))?),
                _ => return Err(format!("syntax: {verb} [msg]: at most one message number")),
            };
            Ok(if verb == "LIST" { Command::List(msg) } else { Command::Uidl(msg) })
        }
        "RETR" | "DELE" => match args.as_slice() {
            [n] => {
                let n = number(n).ok_or_else(|| format!("syntax: {verb} msg (msg is a number)"))?;
                Ok(if verb == "RETR" { Command::Retr(n) } else { Command::Dele(n) })
            }
            _ => Err(format!("syntax: {verb} msg (one message number)")),
        },
        "TOP" => match args.as_slice() {
            [m, n] => match (number(m), number(n)) {
                (Some(msg), Some(lines)) => Ok(Command::Top { msg, lines }),
                _ => Err("syntax: TOP msg n (two numbers: the message and how many body lines)".into()),
            },
            _ => Err("syntax: TOP msg n (the message and how many body lines)".into()),
        },
        _ if !is_keyword(keyword.as_bytes()) => {
            Err("not a POP3 command: a command starts with a keyword such as STAT".into())
        }
        _ => Err(format!(
            "unknown command {verb}; POP3's are USER PASS APOP STAT LIST RETR DELE NOOP RSET TOP UIDL CAPA STLS QUIT (CAPA lists what this server offers)"
        )),
    }
}

/// A non-negative decimal number (RFC 1939 §3: "a numeric argument"). Too big for `u32` is
/// still a number: it is mapped to `u32::MAX`, which names no message.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 40 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_cases() {
        let ok: &[(&[u8], Command)] = &[
            (b"user bob", Command::User("bob".into())),
            (b"Pass two words", Command::Pass("two words".into())),
            (b"stat", Command::Stat),
            (b"LIST", Command::List(None)),
            (b"list 2", Command::List(Some(2))),
            (b"UIDL 007", Command::Uidl(Some(7))),
            (b"RETR 99999999999999", Command::Retr(u32::MAX)),
            (b"top 1 0", Command::Top { msg: 1, lines: 0 }),
            (
                b"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
                Command::Apop { name: "mrose".into(), digest: "c4c9334bac560ecc979e58001b3e22fb".into() },
            ),
            (b"capa", Command::Capa),
            (b"stls", Command::Stls),
        ];
        for (line, want) in ok {
            assert_eq!(parse(line).as_ref(), Ok(want), "{}", String::from_utf8_lossy(line));
        }
        let bad: &[(&[u8], &str)] = &[
            (b"", "empty line"),
            (b"STAT 1", "STAT takes no argument"),
            (b"QUIT now", "QUIT takes no argument"),
            (b"RETR", "syntax: RETR msg"),
            (b"RETR -1", "syntax: RETR msg"),
            (b"DELE 1 2", "syntax: DELE msg"),
            (b"LIST x", "syntax: LIST [msg]"),
            (b"TOP 1", "syntax: TOP msg n"),
            (b"USER", "syntax: USER name"),
            (b"USER a b", "syntax: USER name"),
            (b"PASS", "syntax: PASS"),
            (b"APOP bob xyz", "syntax: APOP"),
            (b"USER b\0b", "NUL"),
            (b"USER b\rb", "a CR"),
            (b"FROB", "unknown command FROB"),
            (b"\xff\xfe", "UTF-8"),
            (b"12 34", "not a POP3 command"),
            (b"ST\x02CAPAAT", "not a POP3 command"),
            (b"NOOP\nQUIT", "a bare LF inside a command line"),
        ];
        for (line, want) in bad {
            let got = parse(line).unwrap_err();
            assert!(got.contains(want), "{}: {got}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn verbs_for_the_trace() {
        assert_eq!(verb_of(b"retr 1"), "RETR");
        assert_eq!(verb_of(b"top"), "TOP");
        assert_eq!(verb_of(b"HELLO"), "");
        assert_eq!(verb_of(b"\x01\x02"), "");
        assert_eq!(verb_of(b"NOOP\nQUIT"), "NOOP", "a bare LF inside a NOOP line");
    }
}
