"""Python's smtplib, poplib, imaplib and ssl against mailroom-serve --tls: STARTTLS
(RFC 3207) and STLS (RFC 2595) with a real TLS handshake, passwords only after it (RFC 4954
§6, RFC 2595 §4, RFC 3501 §6.2.3), the certificate checked against the one the server
wrote, and the rules of RFC 3207 §4.2.

Run by serve/tests/tls_clients.rs with MAILROOM_SMTP_PORT, MAILROOM_SUBMISSION_PORT,
MAILROOM_POP3_PORT, MAILROOM_IMAP_PORT and MAILROOM_TLS_CERT set.
"""
import imaplib
import os
import poplib
import smtplib
import socket
import ssl
import unittest

HOST = "127.0.0.1"
SMTP_PORT = int(os.environ["MAILROOM_SMTP_PORT"])
SUBMISSION_PORT = int(os.environ["MAILROOM_SUBMISSION_PORT"])
POP3_PORT = int(os.environ["MAILROOM_POP3_PORT"])
IMAP_PORT = int(os.environ["MAILROOM_IMAP_PORT"])
CERT = os.environ["MAILROOM_TLS_CERT"]
# The standard world's made-up lesson password, base64 in AUTH PLAIN.
PLAIN = "AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ="


def checking():
    """A context that checks the server's certificate and name, trusting only its own."""
    return ssl.create_default_context(cafile=CERT)


def message(subject):
    return f"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: {subject}\r\n\r\nOver TLS.\r\n"


def reply(f):
    """One whole reply from the file `f`: (code, its lines)."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError(f"closed after {lines!r}")
        lines.append(line)
        if line[3:4] != b"-":
            return int(line[:3]), lines


class StartTls(unittest.TestCase):
    def connect(self, port):
        s = smtplib.SMTP(HOST, port, timeout=10)
        self.addCleanup(s.close)
        s.ehlo("laptop.example.org")
        return s

    def starttls_by_hand(self):
        """A raw connection to the SMTP port, after EHLO and the 220 to STARTTLS: the
        socket, and a file reading it."""
        raw = socket.create_connection((HOST, SMTP_PORT), timeout=10)
        self.addCleanup(raw.close)
        f = raw.makefile("rb")
        reply(f)
        raw.sendall(b"EHLO laptop.example.org\r\nSTARTTLS\r\n")
        reply(f)
        self.assertEqual(reply(f)[0], 220)
        return raw, f

    def test_starttls_is_offered_then_not(self):
        s = self.connect(SUBMISSION_PORT)
        self.assertTrue(s.has_extn("starttls"))
        code, text = s.starttls(context=checking())
        self.assertEqual(code, 220, text)
        self.assertIsInstance(s.sock, ssl.SSLSocket)
        self.assertIn(s.sock.version(), ("TLSv1.2", "TLSv1.3"))
        # RFC 3207 §4.2: the client must EHLO again; STARTTLS is no longer offered.
        s.ehlo("laptop.example.org")
        self.assertFalse(s.has_extn("starttls"))
        self.assertTrue(s.has_extn("auth"))
        code, _ = s.docmd("STARTTLS")
        self.assertEqual(code, 503)

    def test_auth_before_starttls_is_538(self):
        s = self.connect(SUBMISSION_PORT)
        code, text = s.docmd("AUTH", "PLAIN " + PLAIN)
        self.assertEqual(code, 538, text)
        self.assertTrue(text.startswith(b"5.7.11"), text)

    def test_login_and_send_over_tls(self):
        s = self.connect(SUBMISSION_PORT)
        s.starttls(context=checking())
        s.ehlo("laptop.example.org")
        code, _ = s.login("alice@example.org", "wonderland")
        self.assertEqual(code, 235)
        self.assertEqual(s.sendmail("alice@example.org", ["bob@example.net"], message("Submitted over TLS")), {})
        s.quit()

    def test_relay_port_takes_mail_over_tls(self):
        s = self.connect(SMTP_PORT)
        s.starttls(context=checking())
        s.ehlo("mx.example.org")
        self.assertEqual(s.sendmail("alice@example.org", ["bob@example.net"], message("Relayed over TLS")), {})
        s.quit()

    def test_the_certificate_is_checked(self):
        # Not a certificate any public authority signed: refused by a client that trusts only those.
        s = self.connect(SMTP_PORT)
        with self.assertRaises(ssl.SSLCertVerificationError):
            s.starttls(context=ssl.create_default_context())
        # Trusted, but for another name: refused too.
        raw, _ = self.starttls_by_hand()
        with self.assertRaises(ssl.SSLCertVerificationError):
            checking().wrap_socket(raw, server_hostname="mail.example.org")

    def test_plaintext_after_starttls_is_never_run(self):
        # A command slipped in after STARTTLS, in the clear (RFC 3207 §4.2; CVE-2011-0411 in
        # servers that ran it): dropped, never answered inside the secured session.
        raw = socket.create_connection((HOST, SMTP_PORT), timeout=10)
        self.addCleanup(raw.close)
        f = raw.makefile("rb")
        self.assertEqual(reply(f)[0], 220)
        raw.sendall(b"EHLO laptop.example.org\r\n")
        self.assertEqual(reply(f)[0], 250)
        raw.sendall(b"STARTTLS\r\nHELP\r\n")
        code, lines = reply(f)
        self.assertEqual(code, 220, lines)
        tls = checking().wrap_socket(raw, server_hostname=HOST)
        self.addCleanup(tls.close)
        g = tls.makefile("rb")
        tls.sendall(b"QUIT\r\n")
        code, lines = reply(g)
        self.assertEqual(code, 221, lines)

    def test_tls_1_2_too(self):
        context = checking()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        s = self.connect(SUBMISSION_PORT)
        s.starttls(context=context)
        self.assertEqual(s.sock.version(), "TLSv1.2")
        s.ehlo("laptop.example.org")
        self.assertEqual(s.login("alice@example.org", "wonderland")[0], 235)
        s.quit()

    def test_commands_sent_with_close_notify_are_answered(self):
        # A client that writes its last commands and its close_notify at once, without
        # waiting: what came before the close_notify is still answered, the message stored,
        # and the server ends TLS with its own close_notify (RFC 8446 §6.1).
        raw, _ = self.starttls_by_hand()
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = checking().wrap_bio(incoming, outgoing, server_hostname=HOST)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                incoming.write(raw.recv(65536))
        tls.write(
            b"EHLO laptop.example.org\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
            b"DATA\r\nSubject: Sent with close_notify\r\n\r\nHi\r\n.\r\nQUIT\r\n"
        )
        with self.assertRaises(ssl.SSLWantReadError):
            tls.unwrap()  # writes the close_notify, then would wait for the server's
        raw.sendall(outgoing.read())  # the commands and the close_notify in one write
        said, closed = b"", False
        while not closed and (data := raw.recv(65536)):
            incoming.write(data)
            while True:
                try:
                    said += tls.read(65536)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLZeroReturnError:
                    closed = True
                    break
        self.assertIn(b"\r\n250 2.0.0 OK: queued as ", said)
        self.assertTrue(said.endswith(b"\r\n221 2.0.0 mail.example.net closing connection\r\n"), said)
        self.assertTrue(closed, "the server's close_notify")

    def test_a_failed_handshake_ends_only_that_session(self):
        raw, _ = self.starttls_by_hand()
        # Plain text where the ClientHello should be: an alert, then the end.
        raw.sendall(b"EHLO laptop.example.org\r\n")
        rest = b""
        while chunk := raw.recv(4096):
            rest += chunk
        self.assertEqual(rest[:1], b"\x15", rest)  # a TLS alert record, in the clear
        # The server goes on.
        s = self.connect(SMTP_PORT)
        self.assertTrue(s.has_extn("starttls"))


class Stls(unittest.TestCase):
    """POP3's STLS (RFC 2595 §4)."""

    def connect(self):
        p = poplib.POP3(HOST, POP3_PORT, timeout=10)
        self.addCleanup(p.close)
        return p

    def test_capa_then_stls_then_login(self):
        p = self.connect()
        capa = p.capa()
        self.assertIn("STLS", capa)
        self.assertNotIn("USER", capa)  # RFC 2449 §6.2: not before TLS
        with self.assertRaises(poplib.error_proto) as cm:
            p.user("bob@example.net")
        self.assertIn(b"log in only over TLS", cm.exception.args[0])
        self.assertTrue(p.stls(context=checking()).startswith(b"+OK"))
        capa = p.capa()
        self.assertIn("USER", capa)
        self.assertNotIn("STLS", capa)
        p.user("bob@example.net")
        p.pass_("builder")
        self.assertTrue(p.noop().startswith(b"+OK"))
        p.quit()

    def test_plaintext_after_stls_is_never_run(self):
        raw = socket.create_connection((HOST, POP3_PORT), timeout=10)
        self.addCleanup(raw.close)
        f = raw.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        raw.sendall(b"STLS\r\nCAPA\r\n")
        self.assertTrue(f.readline().startswith(b"+OK Begin TLS"))
        tls = checking().wrap_socket(raw, server_hostname=HOST)
        self.addCleanup(tls.close)
        g = tls.makefile("rb")
        tls.sendall(b"QUIT\r\n")
        self.assertTrue(g.readline().startswith(b"+OK mail.example.net POP3 server signing off"))


class ImapStartTls(unittest.TestCase):
    """IMAP's STARTTLS (RFC 3501 §6.2.1)."""

    def test_logindisabled_then_starttls_then_login(self):
        m = imaplib.IMAP4(HOST, IMAP_PORT, timeout=10)
        self.addCleanup(lambda: m.state != "LOGOUT" and m.shutdown())
        self.assertIn("STARTTLS", m.capabilities)
        self.assertIn("LOGINDISABLED", m.capabilities)
        self.assertNotIn("AUTH=PLAIN", m.capabilities)
        typ, data = m._simple_command("LOGIN", "bob@example.net", "builder")
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[PRIVACYREQUIRED]", m.untagged_responses.get("NO", [b""])[-1] + b"".join(data))
        typ, _ = m.starttls(ssl_context=checking())
        self.assertEqual(typ, "OK")
        # imaplib asks CAPABILITY again after the handshake (RFC 3501 §6.2.1).
        self.assertNotIn("STARTTLS", m.capabilities)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        typ, _ = m.login("bob@example.net", "builder")
        self.assertEqual(typ, "OK")
        typ, data = m.select("INBOX")
        self.assertEqual(typ, "OK", data)
        m.logout()


if __name__ == "__main__":
    unittest.main(verbosity=2)
