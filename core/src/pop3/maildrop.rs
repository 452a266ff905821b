//! A POP3 maildrop over a host's [`MailStore`]: the answers to the POP3 questions of
//! [`crate::session::Env`], shared by the World and `mailroom-serve`.
//!
//! The maildrop is the mailbox's INBOX, locked for one session while it is open
//! (RFC 1939 §4). Each message's unique-id is `<uidvalidity>.<uid>`: stable across
//! sessions and never reused, as UIDL requires (RFC 1939 §7), because the store never
//! reuses a UID within one UIDVALIDITY.

use std::rc::Rc;

use crate::pop3::{MaildropError, Pop3Item, size_as_sent};
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

/// The message `uid` of the maildrop `session` holds (RETR, TOP).
pub fn message(store: &MailStore, user: &str, session: u64, uid: &str) -> Option<Rc<[u8]>> {
    let uid = store_uid(held_validity(store, user, session)?, uid)?;
    store.folder(user, INBOX).ok()?.by_uid(uid).map(|(_, m)| m.bytes.clone())
}

/// Removes exactly these messages (the UPDATE state, RFC 1939 §6); false if any could
/// not be removed.
pub fn delete(store: &mut MailStore, user: &str, session: u64, uids: &[String]) -> bool {
    let Some(validity) = held_validity(store, user, session) else {
        return false;
    };
    let Some(uids) = uids.iter().map(|u| store_uid(validity, u)).collect::<Option<Vec<u32>>>() else {
        return false;
    };
    store.delete(user, INBOX, &uids).is_ok_and(|gone| gone.len() == uids.len())
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
        assert!(message(&store, "bob@example.net", 8, &items[0].uid).is_none(), "only the holder reads");
        assert_eq!(
            &*message(&store, "bob@example.net", 7, &items[1].uid).unwrap(),
            b"Subject: b\r\n\r\ny\r\n"
        );
        assert!(!delete(&mut store, "bob@example.net", 7, &["999.1".to_string()]), "another UIDVALIDITY");
        assert!(delete(&mut store, "bob@example.net", 7, &[items[0].uid.clone()]));
        close(&mut store, "bob@example.net", 7);
        let again = open(&mut store, "bob@example.net", 8).unwrap();
        assert_eq!(again, [items[1].clone()], "the same unique-id in the next session");
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
