//! A POP3 maildrop over a host's [`MailStore`]: the answers to the POP3 questions of
//! [`crate::session::Env`], shared by the World and `mailroom-serve`.
//!
//! The maildrop is the mailbox's INBOX, locked for one session while it is open
//! (RFC 1939 §4). Each message's unique-id is `<uidvalidity>.<uid>`: stable across
//! sessions and never reused, as UIDL requires (RFC 1939 §7), because the store never
//! reuses a UID within one UIDVALIDITY.

use std::rc::Rc;

use crate::pop3::{MaildropError, MessageError, Pop3Item, size_as_sent};
use crate::store::{INBOX, MailStore, SessionKey, StoreError};

/// Locks `user`'s maildrop for `session` and lists its messages (RFC 1939 §4).
pub fn open(store: &mut MailStore, user: &str, session: u64) -> Result<Vec<Pop3Item>, MaildropError> {
    match store.lock(user, SessionKey(session)) {
        Ok(()) => {}
        Err(StoreError::Locked { .. }) => return Err(MaildropError::Locked),
        Err(_) => return Err(MaildropError::Unavailable),
    }
    let Ok(inbox) = store.folder(user, INBOX) else {
        store.unlock(user, SessionKey(session));
        return Err(MaildropError::Unavailable);
    };
    let validity = inbox.uid_validity();
    Ok(inbox
        .messages()
        .iter()
        .map(|m| Pop3Item { uid: unique_id(validity, m.uid), size: size_as_sent(&m.bytes) })
        .collect())
}

/// The message `uid` of the maildrop `session` holds (RETR, TOP). `Gone` when the INBOX no
/// longer holds it: an IMAP session expunged or moved it, or renamed the INBOX (its
/// messages go to the new name; the INBOX stays, empty, with its UIDVALIDITY, and UIDs are
/// never reused, RFC 3501 §6.3.5), since this session opened the maildrop.
pub fn message(store: &MailStore, user: &str, session: u64, uid: &str) -> Result<Rc<[u8]>, MessageError> {
    let validity = held_validity(store, user, session).ok_or(MessageError::Unavailable)?;
    let inbox = store.folder(user, INBOX).map_err(|_| MessageError::Unavailable)?;
    let found = store_uid(validity, uid).and_then(|uid| inbox.by_uid(uid));
    found.map(|(_, m)| m.bytes.clone()).ok_or(MessageError::Gone)
}

/// Removes exactly these messages (the UPDATE state, RFC 1939 §6); false if any could
/// not be removed. One that another session removed already (an IMAP EXPUNGE or MOVE, a
/// RENAME of the INBOX) is not in the maildrop, which is what was asked.
pub fn delete(store: &mut MailStore, user: &str, session: u64, uids: &[String]) -> bool {
    let Some(validity) = held_validity(store, user, session) else {
        return false;
    };
    // A unique-id of another UIDVALIDITY names a message the INBOX no longer holds.
    let uids: Vec<u32> = uids.iter().filter_map(|u| store_uid(validity, u)).collect();
    store.delete(user, INBOX, &uids).is_ok()
}

/// How many messages `user`'s maildrop holds now; `None` when there is none.
pub fn count(store: &MailStore, user: &str) -> Option<usize> {
    store.folder(user, INBOX).ok().map(|f| f.exists() as usize)
}

/// Releases the lock `session` holds; anyone else's call changes nothing.
pub fn close(store: &mut MailStore, user: &str, session: u64) {
    store.unlock(user, SessionKey(session));
}

/// `<uidvalidity>.<uid>`.
pub fn unique_id(validity: u32, uid: u32) -> String {
    format!("{validity}.{uid}")
}

/// The INBOX's UIDVALIDITY, if `session` holds `user`'s lock.
fn held_validity(store: &MailStore, user: &str, session: u64) -> Option<u32> {
    (store.locked_by(user) == Some(SessionKey(session))).then_some(())?;
    store.folder(user, INBOX).ok().map(|f| f.uid_validity())
}

/// The store's UID in a unique-id of this INBOX.
fn store_uid(validity: u32, unique_id: &str) -> Option<u32> {
    let (v, uid) = unique_id.split_once('.')?;
    (v.parse::<u32>().ok()? == validity).then_some(())?;
    uid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;

    #[test]
    fn a_maildrop_over_the_store() {
        let mut store = MailStore::new();
        store.create_mailbox("bob@example.net").unwrap();
        store.deliver("bob@example.net", b"Subject: a\r\n\r\nx\r\n".to_vec(), SimTime::ZERO).unwrap();
        store.deliver("bob@example.net", b"Subject: b\r\n\r\ny\r\n".to_vec(), SimTime::ZERO).unwrap();
        let items = open(&mut store, "bob@example.net", 7).unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|i| i.uid.split_once('.').is_some() && i.size > 0));
        assert_eq!(open(&mut store, "bob@example.net", 8), Err(MaildropError::Locked));
        assert_eq!(open(&mut store, "nobody@example.net", 8), Err(MaildropError::Unavailable));
        assert_eq!(
            message(&store, "bob@example.net", 8, &items[0].uid),
            Err(MessageError::Unavailable),
            "only the holder reads"
        );
        assert_eq!(
            &*message(&store, "bob@example.net", 7, &items[1].uid).unwrap(),
            b"Subject: b\r\n\r\ny\r\n"
        );
        assert!(
            !delete(&mut store, "bob@example.net", 8, &[items[0].uid.clone()]),
            "only the holder deletes"
        );
        assert!(delete(&mut store, "bob@example.net", 7, &[items[0].uid.clone()]));
        close(&mut store, "bob@example.net", 7);
        let again = open(&mut store, "bob@example.net", 8).unwrap();
        assert_eq!(again, [items[1].clone()], "the same unique-id in the next session");
    }

    /// A message an IMAP session expunges (or moves, or takes away with a RENAME of the
    /// INBOX) while a POP3 session holds the maildrop is `Gone`, not `Unavailable`: RETR
    /// will never read it. Marked with DELE, it counts as removed at QUIT: it is not in the
    /// maildrop, which is what the client asked (RFC 1939 §6).
    #[test]
    fn a_message_another_session_removed_is_gone_and_counts_as_removed() {
        let mut store = MailStore::new();
        store.create_mailbox("bob@example.net").unwrap();
        for m in [&b"Subject: a\r\n\r\nx\r\n"[..], b"Subject: b\r\n\r\ny\r\n", b"Subject: c\r\n\r\nz\r\n"] {
            store.deliver("bob@example.net", m.to_vec(), SimTime::ZERO).unwrap();
        }
        let items = open(&mut store, "bob@example.net", 7).unwrap();
        let uid = |i: usize| items[i].uid.clone();
        // Another session (IMAP) expunges the first; RENAME INBOX would move them all.
        store.delete("bob@example.net", INBOX, &[1]).unwrap();
        assert_eq!(message(&store, "bob@example.net", 7, &uid(0)), Err(MessageError::Gone));
        assert!(message(&store, "bob@example.net", 7, &uid(1)).is_ok());
        assert_eq!(
            message(&store, "bob@example.net", 7, "999.2"),
            Err(MessageError::Gone),
            "another UIDVALIDITY"
        );
        // DELE of the gone one and of the second: both are out of the maildrop after QUIT.
        assert!(delete(&mut store, "bob@example.net", 7, &[uid(0), uid(1)]));
        close(&mut store, "bob@example.net", 7);
        assert_eq!(open(&mut store, "bob@example.net", 8).unwrap(), [items[2].clone()]);
    }

    #[test]
    fn unique_ids_map_to_store_uids() {
        let cases = [("7.12", Some(12)), ("8.12", None), ("712", None), ("7.x", None), ("7.", None)];
        for (id, want) in cases {
            assert_eq!(store_uid(7, id), want, "{id}");
        }
        assert_eq!(unique_id(7, 12), "7.12");
    }
}
