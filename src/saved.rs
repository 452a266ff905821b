//! The format of what the app keeps in `localStorage` (the progress, a teacher's lessons):
//! `VERSION:` then the value in serde's postcard format, in base64. What cannot be read,
//! or was written by another version, is set aside with a notice, never a blank page.

use mailroom_core::base64;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Writes `value` as format `version`.
pub fn encode<T: Serialize>(version: u32, value: &T) -> String {
    format!("{version}:{}", base64::encode(&postcard::to_allocvec(value).unwrap_or_default()))
}

/// Reads what [`encode`] wrote as format `version`. Nothing saved is the default; something
/// unreadable is the default and the notice to show, which names it as `what` ("Your saved
/// progress"), with `was` or `were`.
pub fn decode<T: DeserializeOwned + Default>(
    text: Option<&str>,
    version: u32,
    what: &str,
    was: &str,
) -> (T, Option<String>) {
    let Some(text) = text else { return (T::default(), None) };
    let unreadable = || Some(format!("{what} could not be read and {was} set aside."));
    // Another version's data, whatever its shape, is only named.
    let Some((found, data)) = text.split_once(':') else { return (T::default(), unreadable()) };
    match found.parse::<u32>() {
        Ok(v) if v == version => match base64::decode(data.trim()).map(|b| postcard::from_bytes(&b)) {
            Some(Ok(value)) => (value, None),
            _ => (T::default(), unreadable()),
        },
        Ok(other) => {
            let is = if was == "was" { "is" } else { "are" };
            let notice =
                format!("{what} {is} from another version of Mailroom (format {other}) and {was} set aside.");
            (T::default(), Some(notice))
        }
        Err(_) => (T::default(), unreadable()),
    }
}
