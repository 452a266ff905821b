//! Base64 (RFC 4648 §4, the standard alphabet, with padding), for SMTP AUTH (RFC 4954),
//! RFC 2047 encoded-words and attachments (RFC 2045 §6.8).
//!
//! Written here rather than taken from the `base64` crate: its general engine costs the
//! wasm a few kilobytes more than these few lines, and the first-load budget (README
//! "Sizes and speed") has no room for them. The crate stays a dev-dependency, the oracle
//! of [`tests::differential_against_the_base64_crate`].

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` in base64, padded with `=` to a multiple of four characters.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes canonical base64 only: padded to a multiple of four characters, `=` only at
/// the end, and no stray bits in the last character (RFC 4648 §3.5). Anything else is
/// `None`.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let data = text.strip_suffix("==").or_else(|| text.strip_suffix('=')).unwrap_or(text);
    let out = decode_unpadded(data)?;
    // The bits after the last whole byte must be zero, or two texts would decode alike.
    let stray = match data.len() % 4 {
        2 => value(data.as_bytes()[data.len() - 1])? & 0b1111,
        3 => value(data.as_bytes()[data.len() - 1])? & 0b11,
        _ => 0,
    };
    (stray == 0).then_some(out)
}

/// Decodes base64 leniently: the padding may be left out, and stray bits in the last
/// character are ignored (as mail programs read RFC 2047 encoded-words). Characters
/// outside the alphabet are still `None`.
pub fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    decode_unpadded(text.trim_end_matches('='))
}

/// Decodes base64 without padding; a last group of one character is `None`.
fn decode_unpadded(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    Some(out)
}

/// The value of a base64 character (RFC 4648 §4; IMAP's modified BASE64 writes `,` for
/// `/`, `store::utf16_run`).
pub(crate) fn value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::base64::Engine;
    use ::base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    #[test]
    fn rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).as_deref(), Some(plain.as_bytes()), "{coded}");
            assert_eq!(decode_lenient(coded).as_deref(), Some(plain.as_bytes()), "{coded}");
        }
    }

    #[test]
    fn strict_and_lenient() {
        // (text, strict, lenient)
        let cases: [(&str, Option<&[u8]>, Option<&[u8]>); 9] = [
            ("YQ==", Some(b"a"), Some(b"a")),
            ("YQ", None, Some(b"a")),
            ("YQ=", None, Some(b"a")),
            ("YR==", None, Some(b"a")),
            ("YWI=", Some(b"ab"), Some(b"ab")),
            ("YWJ=", None, Some(b"ab")),
            ("Y!==", None, None),
            ("Z", None, None),
            ("YQ==YQ==", None, None),
        ];
        for (text, strict, lenient) in cases {
            assert_eq!(decode(text).as_deref(), strict, "{text:?}");
            assert_eq!(decode_lenient(text).as_deref(), lenient, "{text:?}");
        }
    }

    proptest! {
        /// Our encoder and strict decoder against the `base64` crate's standard engine,
        /// on bytes and on texts made mostly of base64 characters and `=`.
        #[test]
        fn differential_against_the_base64_crate(
            bytes in proptest::collection::vec(any::<u8>(), 0..40),
            text in "[A-Za-z0-9+/=]{0,12}|[A-Da-d0-3+/= !\n]{0,8}",
        ) {
            prop_assert_eq!(encode(&bytes), STANDARD.encode(&bytes));
            let coded = STANDARD.encode(&bytes);
            prop_assert_eq!(decode(&coded), Some(bytes));
            prop_assert_eq!(decode(&text), STANDARD.decode(&text).ok(), "{:?}", text);
        }
    }
}
