//! What someone on the wire sees of a connection after STARTTLS (RFC 3207): the
//! eavesdropper's view of the trace.
//!
//! Mailroom does not encrypt anything: the handshake is simulated and the bytes in the
//! trace are what the two ends read and write. This module says, truthfully, what a third
//! party between them would capture instead: TLS 1.3 records (RFC 8446 §5) whose sizes
//! follow from the plaintext (a 5-octet header, the data, one octet of content type and a
//! 16-octet AEAD tag per record of at most 2^14 octets), filled with octets that look
//! random because real ciphertext does. They are made from a hash of the connection and
//! the event, so the view is the same every time; they are not the output of any cipher.
//! Before the handshake ends everything is visible, and even the ClientHello shows the
//! server's name (SNI, RFC 6066 §3) in the clear.

use crate::trace::{EventKind, TlsFlight, Trace};

/// The largest plaintext in one TLS record (RFC 8446 §5.1).
pub const MAX_RECORD_PLAINTEXT: usize = 1 << 14;
/// A record's header: content type, legacy version, length (RFC 8446 §5.1).
pub const RECORD_HEADER: usize = 5;
/// The AEAD tag of AES-128-GCM and ChaCha20-Poly1305 (RFC 8446 §5.2, RFC 5116).
pub const TAG: usize = 16;

/// One captured TLS record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// What the header says: `Handshake` before the keys exist, `ApplicationData` after
    /// (TLS 1.3 hides the real content type inside the encryption).
    pub content_type: &'static str,
    /// The whole record on the wire, header included.
    pub bytes: Vec<u8>,
}

impl Record {
    /// What the header says the record carries, in words.
    pub fn content_type_words(&self) -> &'static str {
        match self.content_type {
            "ApplicationData" => "encrypted data",
            _ => "handshake",
        }
    }
}

/// What an eavesdropper sees of one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Sent in the clear: the very bytes.
    Clear,
    /// A handshake flight: its size, and what of it is readable.
    Handshake { flight: TlsFlight, size: usize, readable: String },
    /// Encrypted records: sizes and noise, nothing of the content.
    Encrypted { records: Vec<Record>, plaintext: usize },
}

impl Seen {
    /// The octets captured on the wire for an encrypted event.
    pub fn wire_len(&self) -> usize {
        match self {
            Seen::Encrypted { records, .. } => records.iter().map(|r| r.bytes.len()).sum(),
            Seen::Handshake { size, .. } => *size,
            Seen::Clear => 0,
        }
    }
}

/// What someone on the wire sees of event `index` of `t`.
pub fn seen(t: &Trace, index: usize) -> Seen {
    let Some(ev) = t.events.get(index) else {
        return Seen::Clear;
    };
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
    let conn_id = ev.conn.map_or(0, |c| c.0 as u64);
    let mut noise = Noise::new(conn_id, index as u64);
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
            bytes.extend((0..len).map(|_| noise.next_byte()));
            Record { content_type: "ApplicationData", bytes }
        })
        .collect();
    Seen::Encrypted { records, plaintext: ev.bytes.len() }
}

/// Octets that look random, from a hash of (connection, event): splitmix64.
struct Noise {
    state: u64,
    word: u64,
    left: u8,
}

impl Noise {
    fn new(conn: u64, event: u64) -> Noise {
        Noise { state: conn.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ event, word: 0, left: 0 }
    }

    fn next_byte(&mut self) -> u8 {
        if self.left == 0 {
            self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            self.word = z ^ (z >> 31);
            self.left = 8;
        }
        self.left -= 1;
        let b = self.word as u8;
        self.word >>= 8;
        b
    }
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
            let r = &records[0].bytes;
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
        let sizes: Vec<usize> = records.iter().map(|r| r.bytes.len()).collect();
        let full = RECORD_HEADER + MAX_RECORD_PLAINTEXT + 1 + TAG;
        assert_eq!(sizes, [full, full, RECORD_HEADER + 10 + 1 + TAG]);
    }
}
