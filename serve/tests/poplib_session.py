"""Python's poplib (a real POP3 client) against mailroom-serve, with mail sent by smtplib.

Run by serve/tests/pop3_clients.rs with MAILROOM_SMTP_PORT and MAILROOM_POP3_PORT set to
the ports of one server (`--smtp 127.0.0.1:0 --pop3 127.0.0.1:0`): both services share its
store. Each test uses its own user's maildrop, so the order of the tests does not matter.
"""
import os
import poplib
import smtplib
import time
import unittest

HOST = "127.0.0.1"
SMTP_PORT = int(os.environ["MAILROOM_SMTP_PORT"])
POP3_PORT = int(os.environ["MAILROOM_POP3_PORT"])

# Made-up lesson passwords of the standard world.
PASSWORDS = {
    "alice@example.org": "wonderland",
    "bob@example.net": "builder",
    "carol@example.net": "christmas",
}

DOTS = (
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: Dots for poplib\r\n"
    "\r\n"
    "First line\r\n"
    ".x starts with a dot\r\n"
    ".\r\n"
    "..\r\n"
    "Last line\r\n"
)


def message(subject, to):
    return f"From: alice@example.org\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nHello\r\n"


def send(to, body):
    s = smtplib.SMTP(HOST, SMTP_PORT, timeout=10)
    try:
        refused = s.sendmail("alice@example.org", [to], body)
        assert refused == {}, refused
        s.quit()
    finally:
        s.close()


def setUpModule():
    send("bob@example.net", DOTS)
    send("bob@example.net", message("second", "bob@example.net"))
    for i in range(1, 4):
        send("carol@example.net", message(f"carol {i}", "carol@example.net"))
    send("alice@example.org", message("for alice", "alice@example.org"))


class PoplibAgainstMailroom(unittest.TestCase):
    def connect(self):
        p = poplib.POP3(HOST, POP3_PORT, timeout=10)
        self.addCleanup(p.close)
        return p

    def login(self, user):
        p = self.connect()
        self.assertTrue(p.user(user).startswith(b"+OK"))
        self.assertTrue(p.pass_(PASSWORDS[user]).startswith(b"+OK"))
        return p

    def login_when_free(self, user):
        """Logs in, waiting (bounded) while another session still holds the lock."""
        deadline = time.monotonic() + 5
        while True:
            p = self.connect()
            p.user(user)
            try:
                p.pass_(PASSWORDS[user])
                return p
            except poplib.error_proto as e:
                if b"[IN-USE]" not in e.args[0] or time.monotonic() > deadline:
                    raise
                p.close()
                time.sleep(0.05)

    def test_read_bobs_mail(self):
        p = self.connect()
        self.assertTrue(p.getwelcome().startswith(b"+OK "))
        self.assertIn("UIDL", p.capa())
        p.user("bob@example.net")
        self.assertIn(b"2 messages", p.pass_("builder"))
        count, octets = p.stat()
        self.assertEqual(count, 2)
        _, listing, _ = p.list()
        sizes = [int(line.split()[1]) for line in listing]
        self.assertEqual(sum(sizes), octets)
        _, uidl, _ = p.uidl()
        self.assertEqual([line.split()[0] for line in uidl], [b"1", b"2"])
        self.assertEqual(p.uidl(2).split()[1:], uidl[1].split())

        # RETR: the message as stored; poplib un-stuffs the body lines that start with a dot.
        resp, lines, _ = p.retr(1)
        self.assertEqual(resp, b"+OK %d octets" % sizes[0])
        self.assertEqual(lines[0], b"Return-Path: <alice@example.org>")
        self.assertIn(b"Subject: Dots for poplib", lines)
        self.assertEqual(lines[-5:], [b"First line", b".x starts with a dot", b".", b"..", b"Last line"])
        # LIST's size is exactly the octets of the message with CRLF line ends.
        self.assertEqual(sum(len(line) + 2 for line in lines), sizes[0])

        # TOP 1 0: the headers and the blank line, no body.
        _, top, _ = p.top(1, 0)
        self.assertEqual(top, lines[: lines.index(b"") + 1])
        self.assertIn(b"signing off", p.quit())

        # A second session (logging in with APOP) sees the same unique-ids.
        p = self.connect()
        self.assertTrue(p.apop("bob@example.net", "builder").startswith(b"+OK"))
        self.assertEqual(p.uidl()[1], uidl)
        self.assertEqual(p.stat(), (count, octets))
        p.quit()

    def test_dele_then_rset_keeps_everything(self):
        p = self.login_when_free("bob@example.net")
        count, octets = p.stat()
        self.assertTrue(p.dele(1).startswith(b"+OK"))
        self.assertEqual(p.stat()[0], count - 1)
        with self.assertRaises(poplib.error_proto):
            p.retr(1)
        self.assertTrue(p.rset().startswith(b"+OK"))
        self.assertEqual(p.stat(), (count, octets))
        p.quit()
        p = self.login_when_free("bob@example.net")
        self.assertEqual(p.stat(), (count, octets))
        p.quit()

    def test_dele_then_quit_removes_the_message(self):
        p = self.login("carol@example.net")
        _, before, _ = p.uidl()
        self.assertEqual(len(before), 3)
        p.dele(2)
        # Only marked: the others keep their numbers, and the marked one is gone from LIST.
        self.assertEqual([line.split()[0] for line in p.list()[1]], [b"1", b"3"])
        p.quit()

        p = self.login("carol@example.net")
        _, after, _ = p.uidl()
        ids_before = [line.split()[1] for line in before]
        self.assertEqual([line.split()[1] for line in after], [ids_before[0], ids_before[2]])
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_wrong_password_is_auth(self):
        for user, password in [("bob@example.net", "Builder"), ("nobody@example.net", "builder")]:
            p = self.connect()
            p.user(user)
            with self.assertRaises(poplib.error_proto) as cm:
                p.pass_(password)
            self.assertTrue(cm.exception.args[0].startswith(b"-ERR [AUTH]"), cm.exception)
            p.quit()
        p = self.connect()
        with self.assertRaises(poplib.error_proto) as cm:
            p.apop("bob@example.net", "wrong")
        self.assertTrue(cm.exception.args[0].startswith(b"-ERR [AUTH]"), cm.exception)

    def test_second_session_is_in_use_until_the_first_quits(self):
        first = self.login_when_free("alice@example.org")
        second = self.connect()
        second.user("alice@example.org")
        with self.assertRaises(poplib.error_proto) as cm:
            second.pass_("wonderland")
        self.assertTrue(cm.exception.args[0].startswith(b"-ERR [IN-USE]"), cm.exception)
        # The refused session may try again; still locked while the first one is on.
        second.user("alice@example.org")
        with self.assertRaises(poplib.error_proto):
            second.pass_("wonderland")
        first.quit()
        # QUIT's +OK came after the lock was released: the next login succeeds at once.
        second.user("alice@example.org")
        self.assertTrue(second.pass_("wonderland").startswith(b"+OK"))
        second.quit()

    def test_dropped_connection_deletes_nothing_and_unlocks(self):
        p = self.login_when_free("alice@example.org")
        count, octets = p.stat()
        self.assertGreaterEqual(count, 1)
        p.dele(1)
        # Gone without QUIT: no UPDATE state, so nothing is deleted (RFC 1939 §6).
        p.close()
        p = self.login_when_free("alice@example.org")
        self.assertEqual(p.stat(), (count, octets))
        p.quit()


if __name__ == "__main__":
    unittest.main(verbosity=2)
