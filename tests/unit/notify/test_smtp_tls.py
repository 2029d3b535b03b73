"""SMTP credentials never travel in clear: smtp+starttls:// upgrades before anything else and stops when
the server cannot, and a password over plain smtp:// is refused (security review, finding 14).
A real aiosmtpd server with a self-signed certificate, trusted through SSL_CERT_FILE."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from orgonaut.errors import ValidationFailed
from orgonaut.notify import smtp_client
from orgonaut.notify.smtp_server import MailSink
from tests.support.processes import free_port


def test_a_password_never_goes_over_plain_smtp_to_another_host():
    with pytest.raises(ValidationFailed, match="plain SMTP") as error:
        smtp_client.parse_smtp_url("smtp://alerts:hunter2@mail.example.com")
    assert "hunter2" not in str(error.value)
    assert smtp_client.parse_smtp_url("smtp://relay:pw@127.0.0.1:25").username == "relay"  # this machine's relay
    upgraded = smtp_client.parse_smtp_url("smtp+starttls://alerts:hunter2@mail.example.com")
    assert (upgraded.port, upgraded.starttls, upgraded.implicit_tls) == (587, True, False)


def _certificate(directory) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


class _Sink(MailSink):
    def __init__(self):
        super().__init__()
        self.sessions_tls: list[bool] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.sessions_tls.append(session.ssl is not None)
        return "250 Message accepted for delivery"


def _serve(tmp_path, *, offer_starttls: bool):
    sink = _Sink()
    options = {}
    if offer_starttls:
        cert, key = _certificate(tmp_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        options = {"tls_context": context, "require_starttls": True}
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller, sink


def _message():
    from email.message import EmailMessage
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "s", "x@y.test", "a@b.test"
    message.set_content("t")
    return message


def test_starttls_upgrades_before_the_mail_goes(tmp_path, monkeypatch):
    controller, sink = _serve(tmp_path, offer_starttls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))  # trust the test's own certificate
    try:
        url = smtp_client.parse_smtp_url(f"smtp+starttls://127.0.0.1:{controller.port}")
        smtp_client.deliver(_message(), sender="x@y.test", recipient="a@b.test", smtp=url,
                            hand_over=lambda: True, timeout=5)
    finally:
        controller.stop()
    assert sink.sessions_tls == [True]


def test_a_server_without_starttls_gets_nothing(tmp_path):
    controller, sink = _serve(tmp_path, offer_starttls=False)
    try:
        url = smtp_client.parse_smtp_url(f"smtp+starttls://127.0.0.1:{controller.port}")
        with pytest.raises(smtp_client.SmtpPermanent, match="does not offer STARTTLS"):
            smtp_client.deliver(_message(), sender="x@y.test", recipient="a@b.test", smtp=url,
                                hand_over=lambda: True, timeout=5)
    finally:
        controller.stop()
    assert sink.sessions_tls == []


def test_an_untrusted_certificate_stops_the_mail(tmp_path):
    controller, sink = _serve(tmp_path, offer_starttls=True)
    try:
        url = smtp_client.parse_smtp_url(f"smtp+starttls://127.0.0.1:{controller.port}")
        with pytest.raises(smtp_client.SmtpTransient, match="SSLCertVerificationError"):
            smtp_client.deliver(_message(), sender="x@y.test", recipient="a@b.test", smtp=url,
                                hand_over=lambda: True, timeout=5)
    finally:
        controller.stop()
    assert sink.sessions_tls == []
