"""Python's imaplib (a real IMAP client) against mailroom-serve, with mail sent by smtplib
and removed by poplib.

Run by serve/tests/imap_clients.rs with MAILROOM_SMTP_PORT, MAILROOM_POP3_PORT and
MAILROOM_IMAP_PORT set to the ports of one server: all three services share its store.
Each test uses its own user's mailbox, so the order of the tests does not matter.
"""
import datetime
import imaplib
import os
import poplib
import re
import smtplib
import time
import unittest

HOST = "127.0.0.1"
SMTP_PORT = int(os.environ["MAILROOM_SMTP_PORT"])
POP3_PORT = int(os.environ["MAILROOM_POP3_PORT"])
IMAP_PORT = int(os.environ["MAILROOM_IMAP_PORT"])

PASSWORDS = {
    "alice@example.org": "wonderland",
    "bob@example.net": "builder",
    "carol@example.net": "christmas",
}


def send(to, subject, body="Hello\r\n"):
    with smtplib.SMTP(HOST, SMTP_PORT) as s:
        msg = f"From: Alice <alice@example.org>\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}"
        s.sendmail("alice@example.org", [to], msg)


def login(user):
    m = imaplib.IMAP4(HOST, IMAP_PORT)
    m.login(user, PASSWORDS[user])
    return m


class ImaplibTests(unittest.TestCase):
    def test_bob_reads_flags_copies_moves_and_expunges(self):
        for i in range(3):
            send("bob@example.net", f"Note {i + 1}")
        m = login("bob@example.net")
        self.assertIn("IDLE", m.capabilities)
        typ, folders = m.list()
        self.assertEqual(typ, "OK")
        names = b"\n".join(folders)
        self.assertIn(b'(\\HasNoChildren) "/" INBOX', names)
        self.assertIn(b"\\Sent", names)
        self.assertIn(b"\\Trash", names)
        typ, data = m.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"3"]))
        self.assertRegex(m.response("UIDVALIDITY")[1][0], rb"^\d+$")
        typ, data = m.search(None, "SUBJECT", '"Note 2"')
        self.assertEqual(data, [b"2"])
        typ, data = m.search(None, "UNSEEN")
        self.assertEqual(data, [b"1 2 3"])
        typ, data = m.fetch("1", "(FLAGS RFC822.SIZE ENVELOPE)")
        self.assertIn(b'"Note 1"', data[0])
        self.assertIn(b'("Alice" NIL "alice" "example.org")', data[0])
        typ, data = m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: Note 2\r\n\r\n")
        typ, data = m.fetch("2", "(BODY[TEXT])")
        self.assertEqual(data[0][1], b"Hello\r\n")
        self.assertIn(b"\\Seen", data[1] if len(data) > 1 else data[0][0])
        typ, data = m.search(None, "SEEN")
        self.assertEqual(data, [b"2"])
        typ, data = m.store("1", "+FLAGS", "(\\Flagged)")
        self.assertIn(b"\\Flagged", data[0])
        typ, data = m.copy("1", "Archive")
        self.assertEqual(typ, "OK")
        typ, data = m.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        self.assertEqual(len(uids), 3)
        typ, data = m.uid("FETCH", uids[2].decode(), "(UID FLAGS)")
        self.assertIn(b"UID " + uids[2], data[0])
        typ, data = m.uid("MOVE", uids[2].decode(), "Trash")
        self.assertEqual(typ, "OK")
        typ, data = m.uid("STORE", uids[0].decode(), "+FLAGS", "(\\Deleted)")
        self.assertEqual(typ, "OK")
        typ, data = m.expunge()
        # imaplib hands over every EXPUNGE it saw: MOVE's (message 3) and EXPUNGE's.
        self.assertEqual(data, [b"3", b"1"])
        typ, data = m.search(None, "ALL")
        self.assertEqual(data, [b"1"])
        typ, data = m.status("Trash", "(MESSAGES UNSEEN)")
        self.assertEqual(data, [b"Trash (MESSAGES 1 UNSEEN 1)"])
        typ, data = m.status("Archive", "(MESSAGES)")
        self.assertEqual(data, [b"Archive (MESSAGES 1)"])
        m.close()
        typ, data = m.select("Archive", readonly=True)  # EXAMINE
        self.assertEqual(data, [b"1"])
        typ, data = m.fetch("1", "(BODY[TEXT] FLAGS)")
        # No \Seen: EXAMINE is read-only. The copy kept \Flagged; nobody claimed it yet,
        # so it is still \Recent (RFC 3501 §2.3.2).
        self.assertEqual(data[1], b" FLAGS (\\Flagged \\Recent))")
        typ, data = m.store("1", "+FLAGS", "(\\Seen)")
        self.assertEqual(typ, "NO")
        self.assertTrue(data[0].startswith(b"[READ-ONLY]"), data)
        m.logout()

    def test_carol_appends_creates_and_renames(self):
        m = login("carol@example.net")
        msg = b"From: carol@example.net\r\nTo: alice@example.org\r\nSubject: Sent copy\r\n\r\nHi Alice\r\n"
        typ, data = m.append("Sent", "(\\Seen)", None, msg)
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[APPENDUID \d+ 1\]")
        typ, data = m.create("Projects/2026")
        self.assertEqual(typ, "OK")
        typ, folders = m.list("\"\"", "Projects*")
        self.assertEqual(folders, [b'(\\HasChildren) "/" Projects', b'(\\HasNoChildren) "/" Projects/2026'])
        typ, data = m.rename("Projects/2026", "Projects/Done")
        self.assertEqual(typ, "OK")
        typ, data = m.select("Sent")
        self.assertEqual(data, [b"1"])
        typ, data = m.fetch("1", "(RFC822)")
        self.assertEqual(data[0][1], msg)
        typ, data = m.fetch("1", "(BODYSTRUCTURE)")
        self.assertIn(b'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1', data[0])
        # An old message put back with its own date (RFC 3501 §6.3.11), long before the
        # server's clock began: kept as given, zone and all.
        sent = datetime.datetime(2019, 5, 17, 14, 3, 7, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
        typ, data = m.append("Sent", None, imaplib.Time2Internaldate(sent), msg)
        self.assertEqual(typ, "OK")
        typ, data = m.fetch("2", "(INTERNALDATE)")
        self.assertEqual(data[0], b'2 (INTERNALDATE "17-May-2019 14:03:07 +0200")')
        self.assertEqual(time.mktime(imaplib.Internaldate2tuple(data[0])), sent.timestamp())
        typ, data = m.search(None, "BEFORE", "1-Jan-2020")
        self.assertEqual(data, [b"2"])
        typ, data = m.create("Projects")
        self.assertEqual(typ, "NO")
        m.logout()

    def test_a_pop3_quit_that_deletes_is_seen_by_imap(self):
        send("alice@example.org", "For POP3 and IMAP")
        m = login("alice@example.org")
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"1"])
        p = poplib.POP3(HOST, POP3_PORT)
        p.user("alice@example.org")
        p.pass_("wonderland")
        p.dele(1)
        p.quit()
        typ, data = m.noop()
        self.assertEqual(m.response("EXPUNGE"), ("EXPUNGE", [b"1"]))
        typ, data = m.search(None, "ALL")
        self.assertEqual(data, [b""])
        m.logout()


if __name__ == "__main__":
    unittest.main()
