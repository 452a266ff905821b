//! SASL for SMTP AUTH (RFC 4954): the PLAIN (RFC 4616) and LOGIN mechanisms, with base64
//! decoded strictly (padding required, no stray bits: RFC 4648 §3.5; "the server MUST
//! reject ... with a 501" what does not decode, RFC 4954 §4).
//!
//! LOGIN is not standardised (draft-murchison-sasl-login): the server asks `Username:` and
//! `Password:`, each base64-encoded in a `334` reply, and the client answers each on a line
//! of its own. Real mail programs still use it, so the servers offer it beside PLAIN.

use crate::base64;

/// The mechanisms the servers offer, in the order EHLO lists them.
pub const MECHANISMS: [&str; 2] = ["PLAIN", "LOGIN"];

/// The longest line a client may send in an AUTH exchange, CRLF included: "the client
/// response ... MUST be ... no longer than 12288 octets" (RFC 4954 §4).
pub const MAX_AUTH_LINE: usize = 12288;

/// `Username:`, base64: LOGIN's first challenge.
pub const LOGIN_USERNAME: &str = "VXNlcm5hbWU6";
/// `Password:`, base64: LOGIN's second challenge.
pub const LOGIN_PASSWORD: &str = "UGFzc3dvcmQ6";

/// A mechanism the servers offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
}

impl Mechanism {
    /// The mechanism named `name` (upper case), if offered.
    pub fn named(name: &str) -> Option<Mechanism> {
        match name {
            "PLAIN" => Some(Mechanism::Plain),
            "LOGIN" => Some(Mechanism::Login),
            _ => None,
        }
    }
}

/// Decodes one base64 response. `=` is an empty response (RFC 4954 §4); anything that is
/// not canonical base64 is `None`.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    if text == "=" {
        return Some(Vec::new());
    }
    base64::decode(text)
}

/// Why a PLAIN message was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlainError {
    /// Not `[authzid] NUL authcid NUL passwd`, or not UTF-8 (RFC 4616 §2).
    Malformed,
    /// Acting on behalf of someone else (an authorization identity other than one's own),
    /// which these servers never allow; with the user and password given, so that a server
    /// can tell wrong credentials from the refusal (RFC 5530 §3's AUTHORIZATIONFAILED).
    OtherIdentity { user: String, password: String },
}

/// Reads a PLAIN message: `[authzid] NUL authcid NUL passwd` (RFC 4616 §2). Returns the
/// user (authcid) and the password.
pub fn parse_plain(message: &[u8]) -> Result<(String, String), PlainError> {
    let parts: Vec<&[u8]> = message.split(|&b| b == 0).collect();
    let [authzid, authcid, passwd] = parts.as_slice() else {
        return Err(PlainError::Malformed);
    };
    let (Ok(authzid), Ok(authcid), Ok(passwd)) =
        (std::str::from_utf8(authzid), std::str::from_utf8(authcid), std::str::from_utf8(passwd))
    else {
        return Err(PlainError::Malformed);
    };
    if authcid.is_empty() || passwd.is_empty() {
        return Err(PlainError::Malformed);
    }
    if !authzid.is_empty() && authzid != authcid {
        return Err(PlainError::OtherIdentity { user: authcid.to_string(), password: passwd.to_string() });
    }
    Ok((authcid.to_string(), passwd.to_string()))
}

/// The PLAIN initial response a client sends: base64 of `NUL user NUL password`.
pub fn plain_response(user: &str, password: &str) -> String {
    base64::encode(format!("\0{user}\0{password}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_strictly() {
        let cases: [(&str, Option<&[u8]>); 9] = [
            ("AGJvYgBidWlsZGVy", Some(b"\0bob\0builder")),
            ("=", Some(b"")),
            ("", Some(b"")),
            ("YQ==", Some(b"a")),
            // Missing padding, stray bits, characters outside the alphabet: all refused.
            ("YQ", None),
            ("YR==", None),
            ("YQ=", None),
            ("Y!==", None),
            ("AGJvYgBid WlsZGVy", None),
        ];
        for (text, want) in cases {
            assert_eq!(decode(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn plain_messages() {
        let ok = |u: &str, p: &str| Ok((u.to_string(), p.to_string()));
        let cases: [(&[u8], Result<(String, String), PlainError>); 8] = [
            (b"\0bob@example.net\0builder", ok("bob@example.net", "builder")),
            (b"bob@example.net\0bob@example.net\0builder", ok("bob@example.net", "builder")),
            (
                b"alice@example.org\0bob@example.net\0builder",
                Err(PlainError::OtherIdentity { user: "bob@example.net".into(), password: "builder".into() }),
            ),
            (b"\0bob\0", Err(PlainError::Malformed)),
            (b"\0\0builder", Err(PlainError::Malformed)),
            (b"bob\0builder", Err(PlainError::Malformed)),
            (b"\0bob\0build\0er", Err(PlainError::Malformed)),
            (b"\0b\xffb\0builder", Err(PlainError::Malformed)),
        ];
        for (message, want) in cases {
            assert_eq!(parse_plain(message), want, "{message:?}");
        }
    }

    #[test]
    fn client_responses_round_trip() {
        let r = plain_response("alice@example.org", "wonderland");
        let (user, pw) = parse_plain(&decode(&r).unwrap()).unwrap();
        assert_eq!((user.as_str(), pw.as_str()), ("alice@example.org", "wonderland"));
        assert_eq!(decode(LOGIN_USERNAME).unwrap(), b"Username:");
        assert_eq!(decode(LOGIN_PASSWORD).unwrap(), b"Password:");
    }
}
