//! Parsing one SMTP command line (RFC 5321 §4.1.1, §4.1.2) into a [`Command`].
//!
//! The verb and the argument rules are ours (they decide between 500, 501 and 502,
//! RFC 5321 §4.2.4); the paths and MAIL/RCPT parameters are read by `smtp-proto`, the
//! parser of the Stalwart mail server, and then held to the limits of §4.5.3.1.

use std::borrow::Cow;

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
    /// A command this server knows of but does not offer (`STARTTLS`, `AUTH`, `BDAT`, ...).
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
            Command::NotImplemented(v) => v,
        }
    }
}

/// Verbs that exist in SMTP and its extensions but that this server does not offer:
/// they get `502`, not `500` (RFC 5321 §4.2.4).
const KNOWN_NOT_OFFERED: &[&str] =
    &["STARTTLS", "AUTH", "BDAT", "ETRN", "ATRN", "BURL", "TURN", "SEND", "SOML", "SAML", "LHLO"];

/// The verb of a command line, upper-cased: the first word, up to a space.
pub fn verb_of(line: &[u8]) -> String {
    let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
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
            // The argument is a domain or an address literal (RFC 5321 §4.1.1.1).
            let domain = arg_trimmed.split(' ').next().unwrap_or("");
            if domain.is_empty() || domain.len() > MAX_DOMAIN || !is_domain_or_literal(domain) {
                return Err(Reply::of(ReplyCode::BadArguments, format!("Syntax: {verb} domain")));
            }
            Ok(if verb == "EHLO" { Command::Ehlo(domain.into()) } else { Command::Helo(domain.into()) })
        }
        "MAIL" => parse_mail(line),
        "RCPT" => parse_rcpt(line),
        "DATA" => no_args(Command::Data),
        "RSET" => no_args(Command::Rset),
        "QUIT" => no_args(Command::Quit),
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

fn is_domain_or_literal(s: &str) -> bool {
    if s.starts_with('[') {
        return s.ends_with(']') && s.len() > 2;
    }
    s.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
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

fn proto_error(e: smtp_proto::Error, syntax: &str, bad_addr: ReplyCode) -> Reply {
    use smtp_proto::Error as E;
    match e {
        E::InvalidSenderAddress | E::InvalidRecipientAddress => Reply::of(bad_addr, "Bad address syntax"),
        E::InvalidParameter { param } => {
            Reply::of(ReplyCode::BadArguments, format!("Invalid {param} parameter"))
        }
        E::UnsupportedParameter { param } => {
            Reply::of(ReplyCode::UnsupportedParameter, format!("Unsupported parameter {param}"))
        }
        _ => Reply::of(ReplyCode::BadSyntax, format!("Syntax: {syntax}")),
    }
}

/// MAIL and RCPT lines through smtp-proto's parser, after our own path limits.
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

/// Addresses must be ASCII: this server does not offer SMTPUTF8 (RFC 6531 §3.5).
fn require_ascii(addr: &str, refusal: ReplyCode) -> Result<(), Reply> {
    if addr.is_ascii() {
        Ok(())
    } else {
        Err(Reply::of(refusal, "Non-ASCII address needs SMTPUTF8, which this server does not offer"))
    }
}

fn parse_mail(line: &[u8]) -> Result<Command, Reply> {
    const SYNTAX: &str = "MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME]";
    let smtp_proto::Request::Mail { from } = proto_request(line, SYNTAX, ReplyCode::BadSender)? else {
        return Err(Reply::of(ReplyCode::BadSyntax, format!("Syntax: {SYNTAX}")));
    };
    // Only the parameters this server advertises in EHLO: SIZE (RFC 1870), BODY (RFC 6152).
    let offered = smtp_proto::MAIL_BODY_7BIT | smtp_proto::MAIL_BODY_8BITMIME;
    if from.flags & !offered != 0
        || from.trans_id.is_some()
        || from.env_id.is_some()
        || from.solicit.is_some()
        || from.mtrk.is_some()
        || from.auth.is_some()
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
    Ok(Command::Mail { from: from.address, size, body })
}

fn parse_rcpt(line: &[u8]) -> Result<Command, Reply> {
    const SYNTAX: &str = "RCPT TO:<forward-path>";
    let smtp_proto::Request::Rcpt { to } = proto_request(line, SYNTAX, ReplyCode::BadRecipient)? else {
        return Err(Reply::of(ReplyCode::BadSyntax, format!("Syntax: {SYNTAX}")));
    };
    if to.flags != 0 || to.orcpt.is_some() || to.rrvs != 0 {
        return Err(Reply::of(ReplyCode::UnsupportedParameter, "Unsupported RCPT parameter"));
    }
    require_ascii(&to.address, ReplyCode::RecipientNeedsUtf8)?;
    let address = if to.address.is_empty() {
        // smtp-proto reads `<Postmaster>` as the empty string; `<>` is no forward-path.
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
            (
                "MAIL FROM:<alice@example.org>",
                Command::Mail { from: "alice@example.org".into(), size: None, body: None },
            ),
            ("mail from:<>", Command::Mail { from: "".into(), size: None, body: None }),
            (
                "MAIL FROM:<a@b.c> SIZE=1000 BODY=8BITMIME",
                Command::Mail { from: "a@b.c".into(), size: Some(1000), body: Some(Body::EightBitMime) },
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
            ("STARTTLS", Command::NotImplemented("STARTTLS".into())),
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
            ("EHLO", 501, "5.5.4"),
            ("EHLO bad!name", 501, "5.5.4"),
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
}
