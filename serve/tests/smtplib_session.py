"""Python's smtplib (a real SMTP client) against mailroom-serve.

Run by serve/tests/real_clients.rs with MAILROOM_SMTP_PORT set to the server's port.
"""
import os
import smtplib
import socket
import unittest

HOST = "127.0.0.1"
PORT = int(os.environ["MAILROOM_SMTP_PORT"])

MESSAGE = (
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: Dots from smtplib\r\n"
    "\r\n"
    "First line\r\n"
    ".x starts with a dot\r\n"
    ".\r\n"
    "..\r\n"
    "Last line\r\n"
)


def raw(lines, expect_replies):
    """Sends bytes on a plain socket and returns the reply lines received."""
    with socket.create_connection((HOST, PORT), timeout=10) as s:
        f = s.makefile("rb")
        greeting = f.readline()
        assert greeting.startswith(b"220 "), greeting
        s.sendall(lines)
        replies = []
        while len(replies) < expect_replies:
            line = f.readline()
            if not line:
                break
            replies.append(line.decode().rstrip("\r\n"))
        return replies


class SmtplibAgainstMailroom(unittest.TestCase):
    def connect(self):
        s = smtplib.SMTP(HOST, PORT, timeout=10)
        self.addCleanup(s.close)
        return s

    def test_ehlo_lists_extensions(self):
        s = self.connect()
        code, _ = s.ehlo("client.example")
        self.assertEqual(code, 250)
        for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes"):
            self.assertTrue(s.has_extn(ext), ext)
        self.assertEqual(int(s.esmtp_features["size"]), 10 * 1024 * 1024)
        s.quit()

    def test_send_to_bob_with_dot_lines(self):
        s = self.connect()
        refused = s.sendmail("alice@example.org", ["bob@example.net"], MESSAGE)
        self.assertEqual(refused, {})
        s.quit()

    def test_unknown_user_gets_550(self):
        s = self.connect()
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail("alice@example.org", ["nobody@example.net"], MESSAGE)
        code, text = cm.exception.recipients["nobody@example.net"]
        self.assertEqual(code, 550)
        self.assertIn(b"5.1.1", text)
        # The connection still works after the refusal.
        self.assertEqual(s.noop()[0], 250)
        s.quit()

    def test_some_recipients_refused_the_rest_delivered(self):
        s = self.connect()
        refused = s.sendmail("alice@example.org", ["carol@example.net", "nobody@example.org"], MESSAGE)
        self.assertEqual(list(refused), ["nobody@example.org"])
        self.assertEqual(refused["nobody@example.org"][0], 550)
        s.quit()

    def test_relay_is_refused(self):
        s = self.connect()
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail("alice@example.org", ["someone@elsewhere.test"], MESSAGE)
        code, text = cm.exception.recipients["someone@elsewhere.test"]
        self.assertEqual(code, 550)
        self.assertIn(b"5.7.1", text)
        s.quit()

    def test_rset_noop_vrfy_help(self):
        s = self.connect()
        s.ehlo()
        self.assertEqual(s.mail("alice@example.org")[0], 250)
        self.assertEqual(s.rcpt("bob@example.net")[0], 250)
        self.assertEqual(s.rset()[0], 250)
        # After RSET the transaction is gone: RCPT needs a new MAIL.
        self.assertEqual(s.rcpt("bob@example.net")[0], 503)
        self.assertEqual(s.noop()[0], 250)
        self.assertEqual(s.verify("bob")[0], 252)
        self.assertIn(b"EHLO", s.help())
        self.assertEqual(s.quit()[0], 221)

    def test_bad_sequence_is_503(self):
        s = self.connect()
        self.assertEqual(s.docmd("MAIL", "FROM:<alice@example.org>")[0], 503)
        s.ehlo()
        self.assertEqual(s.docmd("DATA")[0], 503)
        self.assertEqual(s.docmd("RSET", "now")[0], 501)
        s.quit()

    def test_size_over_the_limit(self):
        s = self.connect()
        s.ehlo()
        code, text = s.mail("alice@example.org", ["SIZE=999999999"])
        self.assertEqual((code, text[:5]), (552, b"5.3.4"))
        s.quit()

    def test_message_over_the_limit_gets_552_after_the_final_dot(self):
        # No SIZE= on MAIL: the server learns the size from the data, and refuses it after
        # the final dot (RFC 5321 §4.5.3.1.10, RFC 1870 §6.1): nothing is delivered, the
        # transaction is over, the session goes on.
        s = self.connect()
        s.ehlo()
        self.assertEqual(s.mail("alice@example.org")[0], 250)
        self.assertEqual(s.rcpt("bob@example.net")[0], 250)
        body = "Subject: too big\r\n\r\n" + ("x" * 998 + "\r\n") * 10600
        self.assertGreater(len(body), 10 * 1024 * 1024)
        code, text = s.data(body)
        self.assertEqual((code, text[:5]), (552, b"5.3.4"))
        self.assertEqual(s.rcpt("bob@example.net")[0], 503)
        self.assertEqual(s.noop()[0], 250)
        s.quit()

    def test_pipelining_four_commands_in_one_write(self):
        replies = raw(
            b"EHLO c\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
            b"RCPT TO:<nobody@example.net>\r\nDATA\r\n",
            expect_replies=6 + 4,
        )
        self.assertEqual([r[:3] for r in replies[6:]], ["250", "250", "550", "354"])

    def test_long_line_is_refused_and_tail_not_run(self):
        replies = raw(b"NOOP " + b"x" * 2000 + b"QUIT\r\nNOOP\r\n", expect_replies=2)
        self.assertEqual([r[:3] for r in replies], ["500", "250"])

    def test_smuggling_attempt_is_one_rejection(self):
        replies = raw(
            b"EHLO c\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n"
            b"Subject: a\r\n\r\nhi\n.\r\nMAIL FROM:<eve@evil.example>\r\nRCPT TO:<carol@example.net>\r\n"
            b"DATA\r\nsmuggled\r\n.\r\nNOOP\r\n",
            expect_replies=6 + 5,
        )
        self.assertEqual([r[:3] for r in replies[6:]], ["250", "250", "354", "554", "250"])

    def test_smuggling_after_an_over_long_line_is_one_rejection(self):
        replies = raw(
            b"EHLO c\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n"
            + b"x" * 1200
            + b"\n.\r\nMAIL FROM:<eve@evil.example>\r\nRCPT TO:<carol@example.net>\r\n"
            b"DATA\r\nsmuggled\r\n.\r\nNOOP\r\n",
            expect_replies=6 + 5,
        )
        self.assertEqual([r[:3] for r in replies[6:]], ["250", "250", "354", "554", "250"])

    def test_bare_lf_does_not_end_a_command(self):
        # Only CRLF ends a command (RFC 5321 §2.3.8): NOOP<LF>QUIT is one line with a bare
        # LF inside, which gets one reply; its QUIT is never run, and the session goes on.
        replies = raw(b"NOOP\nQUIT\r\nNOOP\r\n", expect_replies=2)
        self.assertEqual([r[:3] for r in replies], ["501", "250"])

    def test_bare_lf_in_an_over_long_line_does_not_end_it(self):
        # Discarded up to its CRLF, past the bare LF: one 500, and QUIT is never run.
        replies = raw(b"NOOP " + b"x" * 600 + b"\nQUIT\r\nNOOP\r\n", expect_replies=2)
        self.assertEqual([r[:3] for r in replies], ["500", "250"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
