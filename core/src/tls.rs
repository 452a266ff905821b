//! What someone on the wire sees of a connection after STARTTLS (RFC 3207): the
//! eavesdropper's view of the trace.
//!
//! Mailroom does not encrypt anything: the handshake is simulated and the bytes in the
//! trace are what the two ends read and write. This module says, truthfully, what a third
//! party between them would capture instead: TLS 1.3 records (RFC 8446 §5) whose sizes
//! follow from the plaintext (a 5-octet header, the data, one octet of content type and a
//! 16-octet AEAD tag per record of at most 2^14 octets), filled with octets that look
//! random because real ciphertext does. They come from the World's seeded generator
//! ([`Rng`]), seeded by the connection and the event, so the view is the same every time;
//! they are not the output of any cipher.
//! Before the handshake ends everything is visible, and even the ClientHello shows the
//! server's name (SNI, RFC 6066 §3) in the clear.

use crate::rng::Rng;
use crate::trace::{EventKind, TlsFlight, Trace};

/// The largest plaintext in one TLS record (RFC 8446 §5.1).
pub const MAX_RECORD_PLAINTEXT: usize = 1 << 14;
/// A record's header: content type, legacy version, length (RFC 8446 §5.1).
pub const RECORD_HEADER: usize = 5;
/// The AEAD tag of AES-128-GCM and ChaCha20-Poly1305 (RFC 8446 §5.2, RFC 5116).
pub const TAG: usize = 16;

/// What an eavesdropper sees of one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Sent in the clear: the very bytes.
    Clear,
    /// A handshake flight: its size, and what of it is readable.
    Handshake { flight: TlsFlight, size: usize, readable: String },
    /// Encrypted TLS 1.3 application-data records, each whole as captured (header
    /// included): sizes and noise, nothing of the content.
    Encrypted { records: Vec<Vec<u8>>, plaintext: usize },
}

/// What someone on the wire sees of event `index` of `t`.
pub fn seen(t: &Trace, index: usize) -> Seen {
    let Some(ev) = t.events.get(index) else {
        return Seen::Clear;
    };
    // What happens inside a host (a note that the connection broke) is not on the wire.
    if !ev.travels() {
        return Seen::Clear;
    }
    let conn = ev.conn.and_then(|c| t.conn(c));
    if let EventKind::Tls { flight, size } = ev.kind {
        let server = conn.map(|c| t.host(c.server).name.clone()).unwrap_or_default();
        let readable = match flight {
            TlsFlight::ClientHello => {
                format!("TLS 1.3 ClientHello: the name of the server it wants, {server} (SNI), is readable")
            }
            TlsFlight::ServerHello => {
                "ServerHello readable; the certificate and the rest are already encrypted".to_string()
            }
            TlsFlight::ClientFinished => "encrypted".to_string(),
        };
        return Seen::Handshake { flight, size, readable };
    }
    let encrypted = conn.and_then(|c| c.tls_from).is_some_and(|from| index > from);
    if !encrypted || ev.bytes.is_empty() {
        return Seen::Clear;
    }
    // The World's one generator, seeded by the connection and the event.
    let conn_id = ev.conn.map_or(0, |c| c.0 as u64);
    let mut noise = Rng::derive(conn_id, &index.to_string());
    let records = ev
        .bytes
        .chunks(MAX_RECORD_PLAINTEXT)
        .map(|chunk| {
            // The encrypted part: the data, its real content type, the tag (RFC 8446 §5.2).
            let len = chunk.len() + 1 + TAG;
            let mut bytes = Vec::with_capacity(RECORD_HEADER + len);
            // application_data (23), legacy_record_version 0x0303, length.
            bytes.extend_from_slice(&[23, 3, 3]);
            bytes.extend_from_slice(&(len as u16).to_be_bytes());
            while bytes.len() < RECORD_HEADER + len {
                let word = noise.next_u64().to_le_bytes();
                let take = (RECORD_HEADER + len - bytes.len()).min(word.len());
                bytes.extend_from_slice(&word[..take]);
            }
            bytes
        })
        .collect();
    Seen::Encrypted { records, plaintext: ev.bytes.len() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::{Description, STANDARD};
    use crate::mail::Draft;
    use crate::time::SimTime;
    use crate::world::World;

    fn submission_trace() -> Trace {
        // The standard world: submission on 587 with STARTTLS.
        let mut w = World::from_description(&Description::parse(STANDARD).unwrap());
        let laptop = w.host_by_name("laptop.example.org").unwrap();
        let to = vec!["bob@example.net".to_string()];
        let draft = Draft {
            cc: &[],
            bcc: &[],
            from: "alice@example.org",
            to: &to,
            subject: "Secret",
            body: "The password is swordfish",
            attachments: &[],
        };
        w.send_mail_at(SimTime::ZERO, laptop, "smtp.example.org", 587, &draft).unwrap();
        w.run_until_idle().unwrap();
        w.into_trace()
    }

    #[test]
    fn after_the_handshake_only_sizes_and_noise_are_seen() {
        let t = submission_trace();
        let find = |label: &str| t.events.iter().find(|e| e.kind.label() == label).unwrap().index;
        // Before STARTTLS: in the clear.
        assert_eq!(seen(&t, find("EHLO")), Seen::Clear);
        assert_eq!(seen(&t, find("STARTTLS")), Seen::Clear);
        // The ClientHello names the server, readable by anyone.
        let Seen::Handshake { readable, size, .. } = seen(&t, find("ClientHello")) else { panic!() };
        assert!(readable.contains("smtp.example.org (SNI)") && size == 517, "{readable}");
        // The login and the message: records of the right sizes, none of the content.
        for label in ["AUTH", "message"] {
            let i = find(label);
            let plain = &t.events[i].bytes;
            let Seen::Encrypted { records, plaintext } = seen(&t, i) else {
                panic!("{label} is not encrypted")
            };
            assert_eq!(plaintext, plain.len());
            assert_eq!(records.len(), 1);
            let r = &records[0];
            assert_eq!(r.len(), RECORD_HEADER + plain.len() + 1 + TAG);
            assert_eq!(&r[..3], [23, 3, 3]);
            assert_eq!(usize::from(u16::from_be_bytes([r[3], r[4]])), plain.len() + 1 + TAG);
            let body = &r[RECORD_HEADER..];
            assert!(!body.windows(9).any(|w| w == b"swordfish") && !body.windows(5).any(|w| w == b"AUTH "));
            // Noise, not zeros: many different octets.
            let distinct: std::collections::BTreeSet<u8> = body.iter().copied().collect();
            assert!(distinct.len() > body.len().min(256) / 3, "{distinct:?}");
        }
        // The same view every time.
        assert_eq!(seen(&t, find("message")), seen(&submission_trace(), find("message")));
        // The relay to Bob's provider had no TLS: the message crosses that link in the clear.
        let relayed = t.events.iter().filter(|e| e.kind.label() == "message").nth(1).unwrap();
        assert_eq!(seen(&t, relayed.index), Seen::Clear);
    }

    #[test]
    fn big_writes_are_split_into_records_of_at_most_16_kib() {
        let mut t = submission_trace();
        let i = t.events.iter().find(|e| e.kind.label() == "message").unwrap().index;
        t.events[i].bytes = vec![b'x'; MAX_RECORD_PLAINTEXT * 2 + 10];
        let Seen::Encrypted { records, .. } = seen(&t, i) else { panic!() };
        let sizes: Vec<usize> = records.iter().map(Vec::len).collect();
        let full = RECORD_HEADER + MAX_RECORD_PLAINTEXT + 1 + TAG;
        assert_eq!(sizes, [full, full, RECORD_HEADER + 10 + 1 + TAG]);
    }
}
