"""Python's smtplib logging in to mailroom-serve's submission port (RFC 6409, RFC 4954).

Run by serve/tests/submission_clients.rs with MAILROOM_SUBMISSION_PORT set.
"""
import os
import smtplib
import unittest

HOST = "127.0.0.1"
PORT = int(os.environ["MAILROOM_SUBMISSION_PORT"])


def message(subject, to="Bob <bob@example.net>"):
    return (
        "From: Alice <alice@example.org>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject}\r\n"
        "\r\n"
        "Sent after logging in.\r\n"
    )


class SubmissionWithSmtplib(unittest.TestCase):
    def connect(self):
        s = smtplib.SMTP(HOST, PORT, timeout=10)
        self.addCleanup(s.close)
        s.ehlo("laptop.example.org")
        return s

    def test_ehlo_offers_auth_but_not_starttls(self):
        s = self.connect()
        self.assertTrue(s.has_extn("auth"))
        self.assertEqual(sorted(s.esmtp_features["auth"].split()), ["LOGIN", "PLAIN"])
        self.assertFalse(s.has_extn("starttls"))
        self.assertTrue(s.has_extn("size"))

    def test_mail_before_auth_is_530(self):
        s = self.connect()
        code, text = s.mail("alice@example.org")
        self.assertEqual(code, 530)
        self.assertTrue(text.startswith(b"5.7.0"), text)

    def test_login_plain(self):
        s = self.connect()
        s.user, s.password = "alice@example.org", "wonderland"
        code, text = s.auth("PLAIN", s.auth_plain)
        self.assertEqual(code, 235, text)
        refused = s.sendmail("alice@example.org", ["bob@example.net"], message("PLAIN login from smtplib"))
        self.assertEqual(refused, {})

    def test_login_login(self):
        s = self.connect()
        s.user, s.password = "alice@example.org", "wonderland"
        code, text = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        self.assertEqual(code, 235, text)
        s.sendmail("alice@example.org", ["carol@example.net"], message("LOGIN login from smtplib", "carol@example.net"))

    def test_login_picks_a_mechanism(self):
        s = self.connect()
        code, _ = s.login("alice@example.org", "wonderland")
        self.assertEqual(code, 235)

    def test_wrong_password_is_535(self):
        s = self.connect()
        with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
            s.login("alice@example.org", "looking-glass")
        self.assertEqual(cm.exception.smtp_code, 535)
        self.assertTrue(cm.exception.smtp_error.startswith(b"5.7.8"), cm.exception.smtp_error)

    def test_auth_twice_is_503(self):
        s = self.connect()
        s.login("alice@example.org", "wonderland")
        code, _ = s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=")
        self.assertEqual(code, 503)

    def test_auth_inside_a_transaction_is_503(self):
        s = self.connect()
        s.login("alice@example.org", "wonderland")
        self.assertEqual(s.mail("alice@example.org")[0], 250)
        code, _ = s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdvbmRlcmxhbmQ=")
        self.assertEqual(code, 503)

    def test_bad_base64_is_501(self):
        s = self.connect()
        code, _ = s.docmd("AUTH", "PLAIN AGFsaWNl=")
        self.assertEqual(code, 501)

    def test_only_ones_own_address(self):
        s = self.connect()
        s.login("alice@example.org", "wonderland")
        code, text = s.mail("bob@example.net")
        self.assertEqual(code, 553)
        self.assertTrue(text.startswith(b"5.7.1"), text)

    def test_size_and_one_refused_recipient_among_several(self):
        # smtplib sends SIZE= with MAIL by itself, since the server lists SIZE (RFC 1870).
        s = self.connect()
        s.login("alice@example.org", "wonderland")
        code, _ = s.mail("alice@example.org", ["SIZE=100000000"])
        self.assertEqual(code, 552)
        refused = s.sendmail(
            "alice@example.org",
            ["bob@example.net", "nobody@example.net", "carol@example.net"],
            message("Several recipients from smtplib"),
        )
        self.assertEqual(list(refused), ["nobody@example.net"])
        self.assertEqual(refused["nobody@example.net"][0], 550)

    def test_outside_the_world_bounces_back(self):
        s = self.connect()
        s.login("alice@example.org", "wonderland")
        refused = s.sendmail("alice@example.org", ["someone@far.example"], message("To the far side", "someone@far.example"))
        self.assertEqual(refused, {})


if __name__ == "__main__":
    unittest.main(verbosity=2)
