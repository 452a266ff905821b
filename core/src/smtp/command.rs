//! Parsing one SMTP command line (RFC 5321 §4.1.1, §4.1.2) into a [`Command`].
//!
//! The verb and the argument rules are ours (they decide between 500, 501 and 502,
//! RFC 5321 §4.2.4); the paths and MAIL/RCPT parameters are read by [`crate::smtp::path`]
//! (a hand parser, checked against smtp-proto by the differential test below), after the
//! limits of §4.5.3.1.

use crate::smtp::path::{self, Path, PathError};
use crate::smtp::reply::{Reply, ReplyCode};
use crate::smtp::{MAX_DOMAIN, MAX_LOCAL_PART, MAX_PATH};

/// BODY= values of RFC 6152 (8BITMIME).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    SevenBit,
    EightBitMime,
}

/// A well-formed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    /// `from` is empty for the null reverse-path `<>`.
    Mail {
        from: String,
        size: Option<usize>,
        body: Option<Body>,
        /// An `AUTH=` parameter was given (RFC 4954 §5): checked and discarded.
        auth: bool,
    },
    Rcpt {
        to: String,
    },
    Data,
    Rset,
    Vrfy(String),
    Expn(String),
    Help(String),
    Noop,
    Quit,
    /// `STARTTLS`: switch to TLS (RFC 3207 §4).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954 §4). The mechanism is upper-cased;
    /// the initial response is still base64 (`=` for an empty one).
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    /// A command this server knows of but does not offer (`BDAT`, `ETRN`, ...).
    NotImplemented(String),
}

impl Command {
    pub fn verb(&self) -> &str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::Mail { .. } => "MAIL",
            Command::Rcpt { .. } => "RCPT",
            Command::Data => "DATA",
            Command::Rset => "RSET",
            Command::Vrfy(_) => "VRFY",
            Command::Expn(_) => "EXPN",
            Command::Help(_) => "HELP",
            Command::Noop => "NOOP",
            Command::Quit => "QUIT",
            Command::StartTls => "STARTTLS",
            Command::Auth { .. } => "AUTH",
            Command::NotImplemented(v) => v,
        }
    }
}

/// Verbs that exist in SMTP and its extensions but that this server does not offer:
/// they get `502`, not `500` (RFC 5321 §4.2.4).
pub(crate) const KNOWN_NOT_OFFERED: &[&str] =
    &["BDAT", "ETRN", "ATRN", "BURL", "TURN", "SEND", "SOML", "SAML", "LHLO"];

/// The verb of a command line, upper-cased: the first word, up to a space or a control
/// character (`NOOP<LF>QUIT` is a NOOP line with a bare LF inside, for the trace).
pub fn verb_of(line: &[u8]) -> String {
    let end = line.iter().position(|&b| b == b' ' || b.is_ascii_control()).unwrap_or(line.len());
    String::from_utf8_lossy(&line[..end.min(16)]).to_ascii_uppercase()
}

/// Parses one command line (without its CRLF). An `Err` is the reply to send.
pub fn parse(line: &[u8]) -> Result<Command, Reply> {
    if line.is_empty() {
        return Err(Reply::of(ReplyCode::LineError, "Syntax error: empty command line"));
    }
    // A line is one command: CR, LF or NUL inside it is a syntax error (RFC 5321 §2.3.8).
    if line.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Reply::of(ReplyCode::BadSyntax, "Syntax error: CR, LF or NUL inside a command line"));
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return Err(Reply::of(ReplyCode::LineError, "Syntax error: a command line must be text"));
    };
    let (verb, arg) = match text.split_once(' ') {
        Some((v, a)) => (v, a),
        None => (text, ""),
    };
    let verb = verb.to_ascii_uppercase();
    let arg_trimmed = arg.trim();
    let no_args = |cmd: Command| -> Result<Command, Reply> {
        if arg_trimmed.is_empty() {
            Ok(cmd)
        } else {
            Err(Reply::of(ReplyCode::BadArguments, format!("Syntax: {} (no arguments allowed)", cmd.verb())))
        }
    };
    match verb.as_str() {
        "EHLO" | "HELO" => {
            // The argument is one domain or address literal (RFC 5321 §4.1.1.1), nothing after it.
            let domain = arg_trimmed;
            if domain.is_empty()
                || domain.contains(' ')
                || domain.len() > MAX_DOMAIN
                || !is_domain_or_literal(domain)
            {
                return Err(Reply::of(ReplyCode::BadArguments, format!("Syntax: {verb} domain")));
            }
            Ok(if verb == "EHLO" { Command::Ehlo(domain.into()) } else { Command::Helo(domain.into()) })
        }
        "MAIL" => parse_mail(text),
        "RCPT" => parse_rcpt(text),
        "DATA" => no_args(Command::Data),
        "RSET" => no_args(Command::Rset),
        "QUIT" => no_args(Command::Quit),
        // "STARTTLS" with any parameter is a syntax error (RFC 3207 §4).
        "STARTTLS" => no_args(Command::StartTls),
        "AUTH" => parse_auth(arg_trimmed),
        // NOOP takes an optional string that is ignored (RFC 5321 §4.1.1.9).
        "NOOP" => Ok(Command::Noop),
        "HELP" => Ok(Command::Help(arg_trimmed.to_string())),
        "VRFY" | "EXPN" => {
            if arg_trimmed.is_empty() {
                return Err(Reply::of(ReplyCode::BadArguments, format!("Syntax: {verb} string")));
            }
            Ok(if verb == "VRFY" {
                Command::Vrfy(arg_trimmed.to_string())
            } else {
                Command::Expn(arg_trimmed.to_string())
            })
        }
        v if KNOWN_NOT_OFFERED.contains(&v) => Ok(Command::NotImplemented(verb)),
        _ => Err(Reply::of(ReplyCode::Unrecognized, "Syntax error: command unrecognized")),
    }
}

/// `AUTH SP sasl-mech [SP initial-response]` (RFC 4954 §4); a mechanism name is 1 to 20
/// upper-case letters, digits, `-` and `_` (RFC 4422 §3.1).
fn parse_auth(arg: &str) -> Result<Command, Reply> {
    const SYNTAX: &str = "Syntax: AUTH mechanism [initial-response]";
    let mut words = arg.split(' ').filter(|w| !w.is_empty());
    let (Some(mechanism), initial, None) = (words.next(), words.next(), words.next()) else {
        return Err(Reply::of(ReplyCode::BadArguments, SYNTAX));
    };
    let mechanism = mechanism.to_ascii_uppercase();
    let name_ok = (1..=20).contains(&mechanism.len())
        && mechanism.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !name_ok {
        return Err(Reply::of(ReplyCode::BadArguments, SYNTAX));
    }
    Ok(Command::Auth { mechanism, initial: initial.map(str::to_string) })
}

fn is_domain_or_literal(s: &str) -> bool {
    // Only a real address literal: the name is echoed in the 250 and in `Received:`, so
    // control characters or 8-bit octets between brackets must not pass (found by fuzzing).
    if s.starts_with('[') {
        return path::is_address_literal(s);
    }
    // `sub-domain = Let-dig [Ldh-str]`, `Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig` (RFC
    // 5321 §4.1.2): a label begins and ends with a letter or a digit. `_` is let in, as
    // Postfix's `reject_invalid_helo_hostname` does: real machines are named so (Windows'
    // "MY_PC"), and the name is only echoed back, never looked up here.
    s.split('.').all(|label| {
        let end_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        label.len() <= 63
            && end_ok(label.as_bytes().first())
            && end_ok(label.as_bytes().last())
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The path between `<` and `>` after `FROM:` or `TO:`, checked against the limits of
/// RFC 5321 §4.5.3.1.1–3 before any other parsing, so the student sees which one was hit.
fn check_path_limits(line: &[u8]) -> Result<(), Reply> {
    let text = String::from_utf8_lossy(line);
    let (Some(open), Some(close)) = (text.find('<'), text.find('>')) else {
        return Ok(());
    };
    if close < open {
        return Ok(());
    }
    // After `>` comes the end of the line or a space and parameters (RFC 5321 §4.1.2).
    if text[close + 1..].chars().next().is_some_and(|c| c != ' ') {
        let verb =
            if text.to_ascii_uppercase().starts_with("MAIL") { "MAIL FROM:<path>" } else { "RCPT TO:<path>" };
        return Err(Reply::of(
            ReplyCode::BadSyntax,
            format!("Syntax: {verb} [parameters], with a space before parameters"),
        ));
    }
    let path = &text[open..=close];
    if path.len() > MAX_PATH {
        return Err(Reply::of(ReplyCode::BadArguments, format!("Path too long (at most {MAX_PATH} octets)")));
    }
    let addr = &path[1..path.len() - 1];
    if let Some((local, domain)) = addr.rsplit_once('@') {
        if local.len() > MAX_LOCAL_PART {
            return Err(Reply::of(
                ReplyCode::BadArguments,
                format!("Local part too long (at most {MAX_LOCAL_PART} octets)"),
            ));
        }
        if domain.len() > MAX_DOMAIN {
            return Err(Reply::of(
                ReplyCode::BadArguments,
                format!("Domain too long (at most {MAX_DOMAIN} octets)"),
            ));
        }
    }
    Ok(())
}

/// Addresses must be ASCII: this server does not offer SMTPUTF8 (RFC 6531 §3.5).
fn require_ascii(addr: &str, refusal: ReplyCode) -> Result<(), Reply> {
    if addr.is_ascii() {
        Ok(())
    } else {
        Err(Reply::of(refusal, "Non-ASCII address needs SMTPUTF8, which this server does not offer"))
    }
}

/// The path after `FROM:` or `TO:` (verb already read), after our own path limits.
fn read_path<'a>(
    text: &'a str,
    keyword: &str,
    syntax: &str,
    bad_addr: ReplyCode,
) -> Result<(Path, Vec<(&'a str, Option<&'a str>)>), Reply> {
    check_path_limits(text.as_bytes())?;
    let syntax_error = || Reply::of(ReplyCode::BadSyntax, format!("Syntax: {syntax}"));
    let (path, rest) = path::parse_path_arg(&text[4..], keyword).map_err(|e| match e {
        PathError::Syntax => syntax_error(),
        PathError::BadAddress => Reply::of(bad_addr, "Bad address syntax"),
    })?;
    let params = path::esmtp_params(rest).map_err(|_| syntax_error())?;
    Ok((path, params))
}

fn invalid_param(key: &str, why: &str) -> Reply {
    Reply::of(ReplyCode::BadArguments, format!("Invalid {key} parameter{why}"))
}

fn parse_mail(text: &str) -> Result<Command, Reply> {
    const SYNTAX: &str = "MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME]";
    let (path, params) = read_path(text, "FROM", SYNTAX, ReplyCode::BadSender)?;
    // Only the parameters this server advertises in EHLO: SIZE (RFC 1870), BODY (RFC 6152),
    // AUTH (RFC 4954 §5; the server refuses it where it does not offer AUTH).
    let (mut size, mut body, mut auth) = (None, None, false);
    for (key, value) in params {
        if key.eq_ignore_ascii_case("SIZE") {
            // size-value ::= 1*20DIGIT (RFC 1870 §3). A valid one too large to count (more
            // than this machine's usize, 4 GiB on wasm32) is as large as can be: above any
            // limit, so 552 (§6.1), never 501.
            let n = value
                .filter(|v| (1..=20).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()))
                .map(|v| v.parse::<usize>().unwrap_or(usize::MAX))
                .ok_or_else(|| invalid_param("SIZE", ""))?;
            if size.replace(n).is_some() {
                return Err(invalid_param("SIZE", ": given twice"));
            }
        } else if key.eq_ignore_ascii_case("BODY") {
            let b = match value {
                Some(v) if v.eq_ignore_ascii_case("7BIT") => Body::SevenBit,
                Some(v) if v.eq_ignore_ascii_case("8BITMIME") => Body::EightBitMime,
                _ => return Err(invalid_param("BODY", "")),
            };
            if body.replace(b).is_some() {
                return Err(invalid_param("BODY", ": given twice"));
            }
        } else if key.eq_ignore_ascii_case("AUTH") {
            // RFC 4954 §5: `AUTH=` xtext (RFC 3461 §4), or `<>`. This server trusts no
            // client's word for who submitted a message: it "does nothing more than parse
            // and discard syntactically valid AUTH parameters"; invalid ones get 501.
            if !value.is_some_and(is_xtext) || std::mem::replace(&mut auth, true) {
                return Err(invalid_param("AUTH", ""));
            }
        } else {
            return Err(Reply::of(
                ReplyCode::UnsupportedParameter,
                format!("Unsupported MAIL parameter {}", key.to_ascii_uppercase()),
            ));
        }
    }
    let from = match path {
        Path::Null => String::new(),
        // `<Postmaster>` is a forward-path only (RFC 5321 §4.1.1.3).
        Path::Postmaster => return Err(Reply::of(ReplyCode::BadSender, "Bad address syntax")),
        Path::Mailbox(m) => m,
    };
    require_ascii(&from, ReplyCode::SenderNeedsUtf8)?;
    Ok(Command::Mail { from, size, body, auth })
}

/// `xtext` of RFC 3461 §4, not empty (an esmtp-value, RFC 5321 §4.1.2): the octets `!` to
/// `~` but `+` and `=`, and `+` followed by two upper-case hex digits.
fn is_xtext(v: &str) -> bool {
    let b = v.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'));
    let mut i = 0;
    while i < b.len() {
        i += match b[i] {
            b'+' if hex(i + 1) && hex(i + 2) => 3,
            b'+' | b'=' => return false,
            b'!'..=b'~' => 1,
            _ => return false,
        };
    }
    i > 0
}

fn parse_rcpt(text: &str) -> Result<Command, Reply> {
    const SYNTAX: &str = "RCPT TO:<forward-path>";
    let (path, params) = read_path(text, "TO", SYNTAX, ReplyCode::BadRecipient)?;
    // This server advertises no RCPT parameters (no DSN, RFC 3461).
    if let Some((key, _)) = params.first() {
        return Err(Reply::of(
            ReplyCode::UnsupportedParameter,
            format!("Unsupported RCPT parameter {}", key.to_ascii_uppercase()),
        ));
    }
    let to = match path {
        Path::Null => return Err(Reply::of(ReplyCode::BadRecipient, "A recipient cannot be empty")),
        Path::Postmaster => "postmaster".to_string(),
        Path::Mailbox(m) => m,
    };
    require_ascii(&to, ReplyCode::RecipientNeedsUtf8)?;
    Ok(Command::Rcpt { to })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        parse(line.as_bytes()).unwrap_or_else(|r| panic!("{line}: {r}"))
    }

    fn code(line: &str) -> (u16, String) {
        let r = parse(line.as_bytes()).expect_err(line);
        (r.code, r.enhanced.unwrap_or_default())
    }

    #[test]
    fn good_commands() {
        let cases = [
            ("EHLO laptop.example.org", Command::Ehlo("laptop.example.org".into())),
            ("ehlo [192.0.2.10]", Command::Ehlo("[192.0.2.10]".into())),
            ("HELO laptop", Command::Helo("laptop".into())),
            ("EHLO my-pc.example.org", Command::Ehlo("my-pc.example.org".into())),
            ("EHLO MY_PC", Command::Ehlo("MY_PC".into())),
            ("EHLO 4u.example", Command::Ehlo("4u.example".into())),
            (
                "MAIL FROM:<alice@example.org>",
                Command::Mail { from: "alice@example.org".into(), size: None, body: None, auth: false },
            ),
            ("mail from:<>", Command::Mail { from: "".into(), size: None, body: None, auth: false }),
            (
                "MAIL FROM:<a@b.c> SIZE=1000 BODY=8BITMIME",
                Command::Mail {
                    from: "a@b.c".into(),
                    size: Some(1000),
                    body: Some(Body::EightBitMime),
                    auth: false,
                },
            ),
            ("RCPT TO:<bob@example.net>", Command::Rcpt { to: "bob@example.net".into() }),
            ("RCPT TO:<Postmaster>", Command::Rcpt { to: "postmaster".into() }),
            ("DATA", Command::Data),
            ("rset", Command::Rset),
            ("NOOP", Command::Noop),
            ("NOOP anything at all", Command::Noop),
            ("QUIT", Command::Quit),
            ("VRFY bob", Command::Vrfy("bob".into())),
            ("HELP", Command::Help("".into())),
            ("STARTTLS", Command::StartTls),
            ("starttls", Command::StartTls),
            ("AUTH PLAIN", Command::Auth { mechanism: "PLAIN".into(), initial: None }),
            ("auth login", Command::Auth { mechanism: "LOGIN".into(), initial: None }),
            (
                "AUTH PLAIN AGJvYgBidWlsZGVy",
                Command::Auth { mechanism: "PLAIN".into(), initial: Some("AGJvYgBidWlsZGVy".into()) },
            ),
            ("AUTH PLAIN =", Command::Auth { mechanism: "PLAIN".into(), initial: Some("=".into()) }),
            ("AUTH SCRAM-SHA-256", Command::Auth { mechanism: "SCRAM-SHA-256".into(), initial: None }),
            ("BDAT 10 LAST", Command::NotImplemented("BDAT".into())),
        ];
        for (line, want) in cases {
            assert_eq!(ok(line), want, "{line}");
        }
    }

    #[test]
    fn bad_commands() {
        let long_local = format!("MAIL FROM:<{}@example.org>", "a".repeat(65));
        let long_path = format!("RCPT TO:<{}@{}.org>", "a".repeat(60), "b".repeat(200));
        let cases: Vec<(&str, u16, &str)> = vec![
            ("", 500, "5.5.2"),
            ("FROB", 500, "5.5.1"),
            ("DATA x", 501, "5.5.4"),
            ("RSET x", 501, "5.5.4"),
            ("QUIT x", 501, "5.5.4"),
            // RFC 3207 §4: "501 Syntax error (no parameters allowed)".
            ("STARTTLS now", 501, "5.5.4"),
            ("AUTH", 501, "5.5.4"),
            ("AUTH PLAIN a b", 501, "5.5.4"),
            ("AUTH PL@IN", 501, "5.5.4"),
            ("AUTH ABCDEFGHIJKLMNOPQRSTU", 501, "5.5.4"),
            ("EHLO", 501, "5.5.4"),
            ("EHLO bad!name", 501, "5.5.4"),
            // A label begins and ends with a letter or a digit (RFC 5321 §4.1.2).
            ("EHLO -bad-", 501, "5.5.4"),
            ("EHLO laptop-.example.org", 501, "5.5.4"),
            ("HELO laptop.-example.org", 501, "5.5.4"),
            ("EHLO a..b", 501, "5.5.4"),
            ("EHLO example.org.", 501, "5.5.4"),
            // One domain, nothing after it (the rest was dropped, and the client greeted).
            ("EHLO a b", 501, "5.5.4"),
            ("HELO laptop.example.org extra", 501, "5.5.4"),
            ("MAIL alice@example.org", 501, "5.5.2"),
            ("MAIL FROM:<not an address>", 501, "5.1.7"),
            ("RCPT TO:<>", 501, "5.1.3"),
            ("RCPT TO:bob", 501, "5.5.2"),
            ("MAIL FROM:<a@b.c> SMTPUTF8", 555, "5.5.4"),
            ("MAIL FROM:<a@b.c> FROB=1", 555, "5.5.4"),
            ("MAIL FROM:<a@b.c> SIZE=abc", 501, "5.5.4"),
            ("VRFY", 501, "5.5.4"),
            ("RCPT TO:<bob@example.net>x", 501, "5.5.2"),
            ("MAIL FROM:<a@b.c>SIZE=1", 501, "5.5.2"),
            ("NOOP\0", 501, "5.5.2"),
            ("NOOP a\rb", 501, "5.5.2"),
            (&long_local, 501, "5.5.4"),
            (&long_path, 501, "5.5.4"),
        ];
        for (line, want_code, want_enh) in cases {
            assert_eq!(code(line), (want_code, want_enh.to_string()), "{line:?}");
        }
    }

    /// Found by fuzzing: `EHLO [<anything>]` was taken, and the server echoed control
    /// characters and 8-bit octets into its 250 and the `Received:` header. Only address
    /// literals of RFC 5321 §4.1.3 pass now, as in MAIL and RCPT paths.
    #[test]
    fn ehlo_address_literal_with_control_characters_is_refused() {
        let cases: &[(&[u8], bool)] = &[
            (b"EHLO [192.0.2.1]", true),
            (b"EHLO [IPv6:2001:db8::1]", true),
            (b"HELO [tag:some-content]", true),
            (b"EHLO [\x01]", false),
            (b"EHLO [\x1b[31m]", false),
            (b"EHLO [\xc3\xa9]", false),
            (b"HELO [a\tb]", false),
            (b"EHLO [999.0.0.1]", false),
            (b"EHLO [not a literal]", false),
            (b"EHLO []", false),
        ];
        for (line, ok) in cases {
            let got = parse(line);
            assert_eq!(got.is_ok(), *ok, "{:?}: {got:?}", String::from_utf8_lossy(line));
            if let Err(r) = got {
                assert_eq!(
                    (r.code, r.enhanced.as_deref()),
                    (501, Some("5.5.4")),
                    "{:?}",
                    String::from_utf8_lossy(line)
                );
            }
        }
    }

    /// New cases of the hand parser, as whole command lines and their replies.
    #[test]
    fn mail_and_rcpt_paths_and_parameters() {
        let mail = |from: &str, size: Option<usize>, body: Option<Body>| {
            Ok(format!("MAIL {from} {size:?} {body:?}"))
        };
        let rcpt = |to: &str| Ok(format!("RCPT {to}"));
        let err = |code: u16, enh: &str| Err::<String, _>((code, enh.to_string()));
        let over = format!("MAIL FROM:<a@b> SIZE={}0", usize::MAX);
        let max = Some(usize::MAX);
        let cases: Vec<(&str, Result<String, (u16, String)>)> = vec![
            // Source routes are read and ignored (RFC 5321 §4.1.1.3, Appendix C).
            ("MAIL FROM:<@relay.example:a@b.example>", mail("a@b.example", None, None)),
            ("RCPT TO:<@r1.example,@r2.example:bob@c.example>", rcpt("bob@c.example")),
            ("RCPT TO:<@r1.example:>", err(501, "5.1.3")),
            ("RCPT TO:<@r1.example bob@c.example>", err(501, "5.1.3")),
            // Quoted local parts, with quoted-pairs; quotes go when not needed.
            ("RCPT TO:<\"bob\"@c.example>", rcpt("bob@c.example")),
            ("RCPT TO:<\"bob smith\"@c.example>", rcpt("\"bob smith\"@c.example")),
            ("RCPT TO:<\"a\\\"b\\\\c\"@c.example>", rcpt("\"a\\\"b\\\\c\"@c.example")),
            // The limits are checked first and find the first `>`: inside quotes it needs a space after it.
            ("RCPT TO:<\"a>b\"@c.example>", err(501, "5.5.2")),
            ("RCPT TO:<\"a> b\"@c.example>", rcpt("\"a> b\"@c.example")),
            ("RCPT TO:<\"unclosed@c.example>", err(501, "5.5.2")),
            // Address literals (RFC 5321 §4.1.3).
            ("RCPT TO:<bob@[192.0.2.7]>", rcpt("bob@[192.0.2.7]")),
            ("RCPT TO:<bob@[IPv6:2001:db8::7]>", rcpt("bob@[IPv6:2001:db8::7]")),
            ("RCPT TO:<bob@[300.0.2.7]>", err(501, "5.1.3")),
            ("MAIL FROM:<bob@[IPv6:zz::1]>", err(501, "5.1.7")),
            // <Postmaster> is a forward-path only, in any case.
            ("RCPT TO:<postMASTER>", rcpt("postmaster")),
            ("RCPT TO:<Postmaster@c.example>", rcpt("Postmaster@c.example")),
            ("MAIL FROM:<Postmaster>", err(501, "5.1.7")),
            ("RCPT TO:<>", err(501, "5.1.3")),
            ("RCPT TO:<> NOTIFY=NEVER", err(555, "5.5.4")),
            // Keywords and parameters in any case; SIZE and BODY only.
            ("mail from:<a@b> size=7 body=7bit", mail("a@b", Some(7), Some(Body::SevenBit))),
            ("MAIL FROM:<a@b> Body=8BitMime", mail("a@b", None, Some(Body::EightBitMime))),
            ("MAIL FROM:<a@b> BODY=BINARYMIME", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> SIZE=", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> SIZE", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> SIZE=-1", err(501, "5.5.4")),
            // 21 digits: not a size-value. 20 too many to count: as large as can be (then 552).
            (
                &over,
                if over.len() > "MAIL FROM:<a@b> SIZE=".len() + 20 {
                    err(501, "5.5.4")
                } else {
                    mail("a@b", max, None)
                },
            ),
            ("MAIL FROM:<a@b> SIZE=99999999999999999999", mail("a@b", max, None)),
            ("MAIL FROM:<a@b> SIZE=18446744073709551616", mail("a@b", max, None)),
            ("MAIL FROM:<a@b> SIZE=1 SIZE=1", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> BODY=7BIT BODY=8BITMIME", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> RET=HDRS", err(555, "5.5.4")),
            // AUTH=xtext or <> (RFC 4954 §5, RFC 3461 §4): checked, then discarded.
            ("MAIL FROM:<a@b> AUTH=<>", Ok("MAIL a@b None None AUTH".into())),
            ("MAIL FROM:<a@b> auth=alice+40example.org SIZE=9", Ok("MAIL a@b Some(9) None AUTH".into())),
            ("MAIL FROM:<a@b> AUTH=a+2B+3D+20b", Ok("MAIL a@b None None AUTH".into())),
            ("MAIL FROM:<a@b> AUTH=", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> AUTH", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> AUTH=a=b", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> AUTH=a+2b", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> AUTH=a+4", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> AUTH=a+", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> AUTH=jürgen@b", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> AUTH=<> AUTH=<>", err(501, "5.5.4")),
            ("MAIL FROM:<a@b> SIZE=1 =x", err(501, "5.5.2")),
            ("RCPT TO:<b@c> ORCPT=rfc822;b@c", err(555, "5.5.4")),
            // Spaces: after the colon and at the end are forgiven, inside the path not.
            ("MAIL FROM: <a@b>", mail("a@b", None, None)),
            ("RCPT TO:<b@c>   ", rcpt("b@c")),
            ("MAIL FROM:<a@b>  SIZE=5  ", mail("a@b", Some(5), None)),
            ("MAIL FROM:< a@b>", err(501, "5.1.7")),
            ("MAIL FROM:<a@b >", err(501, "5.1.7")),
            // Missing or doubled brackets.
            ("MAIL FROM:<a@b", err(501, "5.5.2")),
            ("MAIL FROM:a@b>", err(501, "5.5.2")),
            ("MAIL FROM:<<a@b>>", err(501, "5.5.2")),
            ("MAIL FROM:<<a@b> >", err(501, "5.1.7")),
            ("MAIL TO:<a@b>", err(501, "5.5.2")),
            ("RCPT FROM:<a@b>", err(501, "5.5.2")),
            // Non-ASCII reaches the SMTPUTF8 refusal, not a syntax error.
            ("MAIL FROM:<jürgen@example.org>", err(550, "5.6.7")),
            ("RCPT TO:<bob@bücher.example>", err(553, "5.6.7")),
            ("RCPT TO:<\"jü rgen\"@example.org>", err(553, "5.6.7")),
            // Bad domains and local parts.
            ("RCPT TO:<a@b.>", err(501, "5.1.3")),
            ("RCPT TO:<a@>", err(501, "5.1.3")),
            ("RCPT TO:<a.@b>", err(501, "5.1.3")),
            ("RCPT TO:<a@-b.example>", err(501, "5.1.3")),
        ];
        for (line, want) in cases {
            let got = match parse(line.as_bytes()) {
                Ok(Command::Mail { from, size, body, auth }) => {
                    Ok(format!("MAIL {from} {size:?} {body:?}{}", if auth { " AUTH" } else { "" }))
                }
                Ok(Command::Rcpt { to }) => Ok(format!("RCPT {to}")),
                Ok(other) => panic!("{line}: {other:?}"),
                Err(r) => Err((r.code, r.enhanced.unwrap_or_default())),
            };
            assert_eq!(got, want, "{line:?}");
        }
    }

    /// The parser this module used before the hand parser: smtp-proto after our own checks.
    /// It is the oracle of [`differential_against_smtp_proto`].
    mod oracle {
        use std::borrow::Cow;

        use super::super::{Body, Command, check_path_limits, require_ascii};
        use crate::smtp::reply::{Reply, ReplyCode};

        fn proto_error(e: smtp_proto::Error, syntax: &str, bad_addr: ReplyCode) -> Reply {
            use smtp_proto::Error as E;
            match e {
                E::InvalidSenderAddress | E::InvalidRecipientAddress => {
                    Reply::of(bad_addr, "Bad address syntax")
                }
                E::InvalidParameter { param } => {
                    Reply::of(ReplyCode::BadArguments, format!("Invalid {param} parameter"))
                }
                E::UnsupportedParameter { param } => {
                    Reply::of(ReplyCode::UnsupportedParameter, format!("Unsupported parameter {param}"))
                }
                _ => Reply::of(ReplyCode::BadSyntax, format!("Syntax: {syntax}")),
            }
        }

        fn proto_request(
            line: &[u8],
            syntax: &str,
            bad_addr: ReplyCode,
        ) -> Result<smtp_proto::Request<String>, Reply> {
            check_path_limits(line)?;
            let mut bytes = line.to_vec();
            bytes.extend_from_slice(b"\r\n");
            smtp_proto::Request::<Cow<str>>::parse(&mut bytes.iter())
                .map(smtp_proto::Request::into_owned)
                .map_err(|e| proto_error(e, syntax, bad_addr))
        }

        /// MAIL or RCPT lines only (the rest of [`super::super::parse`] is shared).
        pub fn parse(line: &[u8]) -> Result<Command, Reply> {
            if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"MAIL") {
                parse_mail(line)
            } else {
                parse_rcpt(line)
            }
        }

        fn parse_mail(line: &[u8]) -> Result<Command, Reply> {
            const SYNTAX: &str = "MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME]";
            let smtp_proto::Request::Mail { from } = proto_request(line, SYNTAX, ReplyCode::BadSender)?
            else {
                return Err(Reply::of(ReplyCode::BadSyntax, format!("Syntax: {SYNTAX}")));
            };
            let offered = smtp_proto::MAIL_BODY_7BIT | smtp_proto::MAIL_BODY_8BITMIME;
            if from.flags & !offered != 0
                || from.trans_id.is_some()
                || from.env_id.is_some()
                || from.solicit.is_some()
                || from.mtrk.is_some()
                || from.by != 0
                || from.hold_for != 0
                || from.hold_until != 0
                || from.mt_priority != 0
            {
                return Err(Reply::of(ReplyCode::UnsupportedParameter, "Unsupported MAIL parameter"));
            }
            require_ascii(&from.address, ReplyCode::SenderNeedsUtf8)?;
            let body = if from.flags & smtp_proto::MAIL_BODY_8BITMIME != 0 {
                Some(Body::EightBitMime)
            } else if from.flags & smtp_proto::MAIL_BODY_7BIT != 0 {
                Some(Body::SevenBit)
            } else {
                None
            };
            let upper = String::from_utf8_lossy(line).to_ascii_uppercase();
            let size = upper.contains(" SIZE=").then_some(from.size);
            Ok(Command::Mail { from: from.address, size, body, auth: from.auth.is_some() })
        }

        fn parse_rcpt(line: &[u8]) -> Result<Command, Reply> {
            const SYNTAX: &str = "RCPT TO:<forward-path>";
            let smtp_proto::Request::Rcpt { to } = proto_request(line, SYNTAX, ReplyCode::BadRecipient)?
            else {
                return Err(Reply::of(ReplyCode::BadSyntax, format!("Syntax: {SYNTAX}")));
            };
            if to.flags != 0 || to.orcpt.is_some() || to.rrvs != 0 {
                return Err(Reply::of(ReplyCode::UnsupportedParameter, "Unsupported RCPT parameter"));
            }
            require_ascii(&to.address, ReplyCode::RecipientNeedsUtf8)?;
            let address = if to.address.is_empty() {
                let upper = String::from_utf8_lossy(line).to_ascii_uppercase();
                if upper.contains("<POSTMASTER>") {
                    "postmaster".to_string()
                } else {
                    return Err(Reply::of(ReplyCode::BadRecipient, "A recipient cannot be empty"));
                }
            } else {
                to.address
            };
            Ok(Command::Rcpt { to: address })
        }
    }

    /// Accepted with this command, or refused (the code only: the two word their replies apart).
    type Outcome = Result<Command, u16>;

    fn outcome(r: Result<Command, Reply>) -> Outcome {
        r.map_err(|r| r.code)
    }

    /// A small seeded generator (xorshift64*), for a corpus that is the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// Lines built from the pieces paths and parameters are made of, some of them mutated
    /// by a stray character.
    fn generated_corpus(n: usize) -> Vec<String> {
        let mut rng = Rng(0x5eed_6d61_696c_726f);
        let heads = ["MAIL FROM:", "mail from:", "RCPT TO:", "rcpt To:", "MAIL FROM: ", "RCPT TO: "];
        let locals = [
            "a",
            "bob",
            "first.last",
            "x+tag",
            "o'neil",
            "\"quoted\"",
            "\"two words\"",
            "\"a\\\"b\"",
            "postmaster",
            "a_b",
            "{x}",
            "1",
        ];
        let domains = [
            "b",
            "example.org",
            "mail.example.org",
            "x-y.example",
            "[192.0.2.1]",
            "[IPv6:2001:db8::1]",
            "192.0.2.1",
            "a1.b2",
        ];
        let routes = ["", "", "", "@relay.example:", "@r1,@r2:"];
        let params = [
            "",
            "",
            "",
            " SIZE=100",
            " size=4096",
            " BODY=8BITMIME",
            " body=7bit",
            " SIZE=10 BODY=7BIT",
            " SMTPUTF8",
            " BODY=BINARYMIME",
            " FOO=bar",
            "  ",
            " SIZE=abc",
            " RET=FULL",
            " NOTIFY=NEVER",
        ];
        let strays = [".", "@", "\"", "\\", " ", "[", "]", "<", ">", ",", ":", "-", "_", "é", "(", "\t"];
        let mut out = Vec::new();
        for _ in 0..n {
            let path = match rng.below(10) {
                0 => String::new(),
                1 => rng.pick(&["Postmaster", "postmaster", "POSTMASTER"]).to_string(),
                _ => format!("{}{}@{}", rng.pick(&routes), rng.pick(&locals), rng.pick(&domains)),
            };
            let mut path: Vec<char> = path.chars().collect();
            // A third of the paths get one stray character, inserted or replacing one.
            if rng.below(3) == 0 {
                let stray = rng.pick(&strays).chars().next().unwrap_or('.');
                let at = rng.below(path.len() + 1);
                if at < path.len() && rng.below(2) == 0 {
                    path[at] = stray;
                } else {
                    path.insert(at, stray);
                }
            }
            let path: String = path.into_iter().collect();
            let close = if rng.below(15) == 0 { "" } else { ">" };
            out.push(format!("{}<{path}{close}{}", rng.pick(&heads), rng.pick(&params)));
        }
        out
    }

    /// Hand-written lines where the hand parser and smtp-proto must disagree, each with what
    /// each one answers and the reason, from the RFCs, that the hand parser is right.
    fn expected_disagreements() -> Vec<(String, Outcome, Outcome, &'static str)> {
        let mail = |from: &str| -> Outcome {
            Ok(Command::Mail { from: from.into(), size: None, body: None, auth: false })
        };
        let sized = |size: usize| -> Outcome {
            Ok(Command::Mail { from: "a@b".into(), size: Some(size), body: None, auth: false })
        };
        let body = |b: Body| -> Outcome {
            Ok(Command::Mail { from: "a@b".into(), size: None, body: Some(b), auth: false })
        };
        let rows: Vec<(&str, Outcome, Outcome, &str)> = vec![
            (
                "MAIL FROM:<Postmaster>",
                Err(501),
                mail(""),
                "smtp-proto reads <Postmaster> as the null sender; a reverse-path is Path / \"<>\" (RFC 5321 §4.1.2), <Postmaster> is for RCPT only (§4.1.1.3)",
            ),
            (
                "MAIL FROM:<@r.example:>",
                Err(501),
                mail(""),
                "smtp-proto drops the source route and finds <>; a route must be followed by a Mailbox (Path, RFC 5321 §4.1.2)",
            ),
            (
                "MAIL FROM:< a@b>",
                Err(501),
                mail("a@b"),
                "smtp-proto skips spaces after <; Path has none (RFC 5321 §4.1.2)",
            ),
            (
                "MAIL FROM:<a@b> SIZE=000000000000000000001",
                Err(501),
                sized(1),
                "size-value ::= 1*20DIGIT (RFC 1870 §3); smtp-proto reads any number of digits",
            ),
            (
                "MAIL FROM:<a@b> SIZE=18446744073709551615",
                sized(usize::MAX),
                Err(501),
                "a valid size-value (RFC 1870 §3) that smtp-proto takes for its 'no number' marker usize::MAX; the server then answers 552",
            ),
            (
                "MAIL FROM:<a@b> SIZE=99999999999999999999",
                sized(usize::MAX),
                Err(501),
                "a valid size-value (1*20DIGIT, RFC 1870 §3) too large to count: as large as can be, so the server answers 552 (§6.1); smtp-proto refuses it",
            ),
            (
                "MAIL FROM:<a@b> SIZE=1 SIZE=2",
                Err(501),
                sized(2),
                "which of two SIZE values counts is unspecified; we refuse instead of guessing (smtp-proto keeps the last)",
            ),
            (
                "MAIL FROM:<a@b> BODY=7BIT BODY=8BITMIME",
                Err(501),
                body(Body::EightBitMime),
                "two BODY values contradict each other (RFC 6152 §2 has one); smtp-proto ORs them",
            ),
            (
                "MAIL FROM:<a@b> BODY=8BITMIME BODY=8BITMIME",
                Err(501),
                body(Body::EightBitMime),
                "a parameter given twice is refused whatever its value, as for SIZE",
            ),
            (
                "MAIL FROM:<\"a b\"@c>",
                mail("\"a b\"@c"),
                mail("a b@c"),
                "smtp-proto drops the quotes, and `a b@c` is no mailbox: a Local-part that is not a Dot-string must stay a Quoted-string (RFC 5321 §4.1.2)",
            ),
            (
                "MAIL FROM:<\"a\\\\b\"@c>",
                mail("\"a\\\\b\"@c"),
                mail("a\\b@c"),
                "as above: a backslash is not atext, it must stay quoted (RFC 5321 §4.1.2)",
            ),
            (
                "MAIL FROM:<\"\"@c>",
                mail("\"\"@c"),
                Err(501),
                "Quoted-string = DQUOTE *QcontentSMTP DQUOTE may be empty (RFC 5321 §4.1.2); smtp-proto wants a non-empty local part",
            ),
            (
                "MAIL FROM:<\"a\"\"b\"@c>",
                Err(501),
                mail("ab@c"),
                "a Local-part is one Dot-string or one Quoted-string (RFC 5321 §4.1.2); smtp-proto joins quoted pieces",
            ),
            (
                "MAIL FROM:<a\"b\"c@d>",
                Err(501),
                mail("abc@d"),
                "as above: a quote inside a Dot-string is not atext (RFC 5321 §4.1.2)",
            ),
            (
                "MAIL FROM:<\"a\".\"b\"@c>",
                Err(501),
                mail("a.b@c"),
                "dotted quoted words are RFC 5322's obs-local-part, not in RFC 5321 §4.1.2",
            ),
            (
                "MAIL FROM:<\"a\tb\"@c>",
                Err(501),
                mail("a\tb@c"),
                "qtextSMTP is %d32-33 / %d35-91 / %d93-126: no TAB (RFC 5321 §4.1.2)",
            ),
            (
                "MAIL FROM:<a@\"b\">",
                Err(501),
                mail("a@b"),
                "a Domain is never quoted (RFC 5321 §4.1.2); smtp-proto lets quotes anywhere",
            ),
            (
                "MAIL FROM:<a@[192.0.2.1]>",
                mail("a@[192.0.2.1]"),
                Err(501),
                "Mailbox = Local-part \"@\" ( Domain / address-literal ) (RFC 5321 §4.1.2, §4.1.3); smtp-proto refuses every literal",
            ),
            (
                "MAIL FROM:<a@[IPv6:::1]>",
                mail("a@[IPv6:::1]"),
                Err(501),
                "IPv6-address-literal (RFC 5321 §4.1.3), as above",
            ),
            (
                "MAIL FROM:<a.@b>",
                Err(501),
                mail("a.@b"),
                "Dot-string = Atom *(\".\" Atom): no dot at the end (RFC 5321 §4.1.2)",
            ),
            (
                "MAIL FROM:<a@b.>",
                Err(501),
                mail("a@b."),
                "Domain = sub-domain *(\".\" sub-domain): no dot at the end (RFC 5321 §4.1.2)",
            ),
            ("MAIL FROM:<a@>", Err(501), mail("a@"), "a Mailbox has a Domain after \"@\" (RFC 5321 §4.1.2)"),
            (
                "MAIL FROM:<a@-b>",
                Err(501),
                mail("a@-b"),
                "sub-domain = Let-dig [Ldh-str]: it starts with a letter or digit (RFC 5321 §4.1.2)",
            ),
            (
                "MAIL FROM:<a@b_c.example>",
                Err(501),
                mail("a@b_c.example"),
                "Ldh-str has letters, digits and hyphens only (RFC 5321 §4.1.2); smtp-proto allows any atext in a domain",
            ),
            ("MAIL FROM:<a@b!c>", Err(501), mail("a@b!c"), "as above"),
            (
                "MAIL FROM:<a\u{7f}@b>",
                Err(501),
                mail("a\u{7f}@b"),
                "DEL (%d127) is no atext (RFC 5322 §3.2.3); smtp-proto counts it with the UTF-8 octets",
            ),
        ];
        rows.into_iter().map(|(l, o, t, why)| (l.to_string(), o, t, why)).collect()
    }

    /// Splits `local@domain` at its last `@`.
    fn split_address(a: &str) -> (&str, &str) {
        a.rsplit_once('@').unwrap_or((a, ""))
    }

    /// The disagreements that the generated corpus runs into, by kind: the kind's name if
    /// `ours` and `theirs` differ exactly the way that kind says, with its RFC reason above.
    fn explain(line: &str, ours: &Outcome, theirs: &Outcome) -> Option<&'static str> {
        let is_rfc_domain = |d: &str| {
            d.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
        };
        let addr = |c: &Command| match c {
            Command::Mail { from, .. } => from.clone(),
            Command::Rcpt { to } => to.clone(),
            _ => String::new(),
        };
        match (ours, theirs) {
            // Address literals: RFC 5321 §4.1.2, §4.1.3 (smtp-proto refuses them all).
            (Ok(c), Err(501)) if split_address(&addr(c)).1.starts_with('[') => Some("address literal"),
            // `<Postmaster>` is no reverse-path (RFC 5321 §4.1.2, §4.1.1.3).
            (Err(501), Ok(Command::Mail { from, .. }))
                if from.is_empty() && line.to_ascii_uppercase().contains("<POSTMASTER>") =>
            {
                Some("postmaster sender")
            }
            // A domain that is no Domain (RFC 5321 §4.1.2: Let-dig, Ldh-str).
            (Err(501), Ok(c)) if !is_rfc_domain(split_address(&addr(c)).1) => Some("lax domain"),
            // A Local-part that needs its quotes keeps them (RFC 5321 §4.1.2); smtp-proto drops
            // them: the same command, with smtp-proto's address the unquoted form of ours.
            (Ok(a), Ok(b)) => {
                let ours_addr = addr(a);
                let (local, domain) = split_address_quoted(&ours_addr);
                let unquoted = local.strip_prefix('"')?.strip_suffix('"')?;
                let mut plain = String::new();
                let mut chars = unquoted.chars();
                while let Some(ch) = chars.next() {
                    plain.push(if ch == '\\' { chars.next()? } else { ch });
                }
                let a_plain = match a.clone() {
                    Command::Mail { size, body, auth, .. } => {
                        Command::Mail { from: format!("{plain}@{domain}"), size, body, auth }
                    }
                    Command::Rcpt { .. } => Command::Rcpt { to: format!("{plain}@{domain}") },
                    other => other,
                };
                (&a_plain == b).then_some("quotes kept")
            }
            _ => None,
        }
    }

    /// Splits a mailbox at the `@` after its local part, which may be quoted and hold `@`.
    fn split_address_quoted(a: &str) -> (&str, &str) {
        if a.starts_with('"') {
            let mut escaped = false;
            for (i, ch) in a.char_indices().skip(1) {
                match ch {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return (&a[..=i], a[i + 1..].strip_prefix('@').unwrap_or("")),
                    _ => escaped = false,
                }
            }
        }
        split_address(a)
    }

    #[test]
    fn differential_against_smtp_proto() {
        let size_max = format!("MAIL FROM:<a@b> SIZE={}", usize::MAX);
        let hand_written = [
            "MAIL FROM:<a@b>",
            "MAIL FROM:<>",
            "mail from:<> size=0",
            "RCPT TO:<Postmaster>",
            "RCPT TO:<postmaster> ",
            "MAIL FROM:<Postmaster>",
            "RCPT TO:<>",
            "MAIL FROM: <a@b>",
            "MAIL FROM:   <a@b>",
            "MAIL FROM : <a@b>",
            "MAIL  FROM:<a@b>",
            "RCPT TO :<b@c>",
            "MAIL FROM:< a@b>",
            "MAIL FROM:<a@b >",
            "MAIL FROM:<a b@c>",
            "MAIL FROM:<a@b",
            "MAIL FROM:a@b",
            "MAIL FROM:<<a@b>>",
            "MAIL FROM:<a@b>>",
            "MAIL FROM:<a@b> SIZE=1 ",
            "MAIL FROM:<a@b>     ",
            "MAIL FROM:<a@b> SIZE=00000000000000000001",
            "MAIL FROM:<a@b> SIZE=000000000000000000001",
            &size_max,
            "MAIL FROM:<a@b> SIZE=99999999999999999999",
            "MAIL FROM:<a@b> SIZE=1 SIZE=2",
            "MAIL FROM:<a@b> BODY=7BIT BODY=8BITMIME",
            "MAIL FROM:<a@b> BODY=8BITMIME BODY=8BITMIME",
            "MAIL FROM:<a@b> SIZE=1 BODY=7BIT",
            "MAIL FROM:<a@b> sIzE=12 bOdY=8bItMiMe",
            "MAIL FROM:<a@b> SIZE=12x",
            "MAIL FROM:<a@b> BODY=7BITS",
            "MAIL FROM:<a@b> SMTPUTF8",
            "MAIL FROM:<a@b> AUTH=<>",
            "MAIL FROM:<a@b> AUTH=alice+40example.org",
            "MAIL FROM:<a@b> AUTH=",
            "RCPT TO:<b@c> NOTIFY=NEVER",
            "RCPT TO:<b@c> FOO",
            "MAIL FROM:<@r.example:a@b>",
            "MAIL FROM:<@r1.example,@r2.example:a@b>",
            "MAIL FROM:<@r.example:>",
            "MAIL FROM:<@r.example a@b>",
            "MAIL FROM:<\"a\"@b>",
            "MAIL FROM:<\"a b\"@c>",
            "MAIL FROM:<\"a\\\\b\"@c>",
            "MAIL FROM:<\"a\\b\"@c>",
            "MAIL FROM:<\"\"@c>",
            "MAIL FROM:<\"a\"\"b\"@c>",
            "MAIL FROM:<a\"b\"c@d>",
            "MAIL FROM:<\"a\".\"b\"@c>",
            "MAIL FROM:<\"a\tb\"@c>",
            "MAIL FROM:<a@\"b\">",
            "MAIL FROM:<a@[192.0.2.1]>",
            "MAIL FROM:<a@[IPv6:::1]>",
            "MAIL FROM:<a@[1.2.3]>",
            "MAIL FROM:<a.@b>",
            "MAIL FROM:<.a@b>",
            "MAIL FROM:<a..b@c>",
            "MAIL FROM:<a@b.>",
            "MAIL FROM:<a@.b>",
            "MAIL FROM:<a@b..c>",
            "MAIL FROM:<a@>",
            "MAIL FROM:<@b>",
            "MAIL FROM:<a@b@c>",
            "MAIL FROM:<a@-b>",
            "MAIL FROM:<a@b_c.example>",
            "MAIL FROM:<a@b!c>",
            "MAIL FROM:<a\u{7f}@b>",
            "MAIL FROM:<jürgen@b>",
            "MAIL FROM:<a@bücher.example>",
            "RCPT TO:<a@b,c>",
            "RCPT TO:<a@b:c>",
        ];
        let expected = expected_disagreements();
        let generated = generated_corpus(400);
        let mut corpus: Vec<(String, bool)> = hand_written.iter().map(|s| (s.to_string(), true)).collect();
        corpus.extend(generated.into_iter().map(|s| (s, false)));
        let mut seen = Vec::new();
        let mut kinds_seen = Vec::new();
        let mut unexplained = Vec::new();
        let mut both_accept = 0;
        for (line, by_hand) in &corpus {
            let ours = outcome(parse(line.as_bytes()));
            let theirs = outcome(oracle::parse(line.as_bytes()));
            let agree = match (&ours, &theirs) {
                (Ok(a), Ok(b)) => a == b,
                (Err(_), Err(_)) => true,
                _ => false,
            };
            both_accept += usize::from(agree && ours.is_ok());
            if agree {
                continue;
            }
            if *by_hand {
                // A hand-written line must be listed, with exactly these two outcomes.
                match expected.iter().find(|(l, ..)| l == line) {
                    Some((_, o, t, _)) if (o, t) == (&ours, &theirs) => seen.push(line.clone()),
                    _ => unexplained.push(format!("{line:?}\n    ours:   {ours:?}\n    theirs: {theirs:?}")),
                }
            } else {
                match explain(line, &ours, &theirs) {
                    Some(kind) => kinds_seen.push(kind),
                    None => {
                        unexplained.push(format!("{line:?}\n    ours:   {ours:?}\n    theirs: {theirs:?}"))
                    }
                }
            }
        }
        assert!(unexplained.is_empty(), "unexplained disagreements:\n{}", unexplained.join("\n"));
        for (line, ..) in &expected {
            assert!(seen.contains(line), "expected a disagreement on {line:?}");
        }
        for kind in ["address literal", "postmaster sender", "lax domain", "quotes kept"] {
            assert!(
                kinds_seen.contains(&kind),
                "the generated corpus no longer meets a {kind:?} disagreement"
            );
        }
        assert!(kinds_seen.len() < 80, "too many generated lines disagree: {}", kinds_seen.len());
        assert!(both_accept >= 50, "the corpus must exercise accepted lines too ({both_accept})");
    }
}
