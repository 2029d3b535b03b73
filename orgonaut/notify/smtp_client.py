"""Speaking SMTP for the outbox's sender: the server URL, one transaction up to the final '.', the
hand-over check just before it, and what each failure means for a retry (see `notify/email.py`)."""

from __future__ import annotations

import contextlib
import dataclasses
import email.policy
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from orgonaut.errors import ValidationFailed


@dataclasses.dataclass(frozen=True)
class SmtpUrl:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool = False
    username: str | None = dataclasses.field(default=None, repr=False)
    password: str | None = dataclasses.field(default=None, repr=False)


_SCHEMES = {"smtp": (25, False, False), "smtp+starttls": (587, False, True), "smtps": (465, True, False)}
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def parse_smtp_url(url: str) -> SmtpUrl:
    """`smtp://host[:port]` (plain, port 25: a local relay), `smtp+starttls://[user:password@]host[:port]`
    (upgraded to TLS before anything else, port 587) or `smtps://...` (TLS from the start, port 465).
    A password never goes over plain SMTP, except to this machine's own relay."""
    parsed = urlparse(url)
    if parsed.scheme not in _SCHEMES or not parsed.hostname:
        # Never echo the URL: it may hold a password.
        raise ValidationFailed("ORGONAUT_SMTP_URL must look like smtp://host:port, "
                               "smtp+starttls://user:password@host:587 or smtps://user:password@host:465.")
    default_port, implicit_tls, starttls = _SCHEMES[parsed.scheme]
    if parsed.username and not (implicit_tls or starttls) and parsed.hostname not in _LOOPBACK:
        raise ValidationFailed("ORGONAUT_SMTP_URL sends a password over plain SMTP: use smtp+starttls:// or smtps://.")
    return SmtpUrl(
        host=parsed.hostname, port=parsed.port or default_port, implicit_tls=implicit_tls, starttls=starttls,
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
    )


class SmtpTransient(Exception):
    """Not delivered, and a later attempt may succeed (network, timeout, 4xx)."""


class SmtpPermanent(Exception):
    """Not delivered, and trying again will not help (5xx)."""


class SmtpOutcomeUnknown(Exception):
    """The final '.' went out and no reply came back: the server may have the message."""


class HandOverRefused(Exception):
    """Another attempt owns the row now; this one stopped before the final '.'."""


class HandOverUndone(Exception):
    """Recording the hand-over failed (its commit may or may not have happened); the final '.' was
    not sent, and the row is pending again for a later attempt."""


def _check(reply: tuple[int, bytes], expected: int, step: str) -> None:
    code, text = reply
    if code == expected:
        return
    message = f"{step}: {code} {text.decode(errors='replace')}".strip()
    raise SmtpPermanent(message) if 500 <= code < 600 else SmtpTransient(message)


def _data_payload(message: EmailMessage) -> bytes:
    """The data section without its final '.': CRLF lines, leading dots doubled (RFC 5321 4.5.2)."""
    payload = message.as_bytes(policy=email.policy.SMTP)
    payload = re.sub(rb"(?m)^\.", b"..", payload)
    return payload if payload.endswith(b"\r\n") else payload + b"\r\n"


def deliver(
    message: EmailMessage, *, sender: str, recipient: str, smtp: SmtpUrl, hand_over: Callable[[], bool],
    timeout: float,
) -> None:
    """One SMTP transaction. `hand_over()` runs just before the final '.'; False aborts without it."""
    connection: smtplib.SMTP | None = None
    try:
        try:
            if smtp.implicit_tls:
                connection = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout,
                                              context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
            connection.ehlo_or_helo_if_needed()
            if smtp.starttls:
                if not connection.has_extn("starttls"):
                    raise SmtpPermanent("the SMTP server does not offer STARTTLS; check ORGONAUT_SMTP_URL")
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if smtp.username:
                connection.login(smtp.username, smtp.password or "")
            _check(connection.mail(sender), 250, "MAIL FROM")
            _check(connection.rcpt(recipient), 250, "RCPT TO")
            _check(connection.docmd("DATA"), 354, "DATA")
            connection.send(_data_payload(message))
        except smtplib.SMTPAuthenticationError as error:
            raise SmtpPermanent(f"SMTP login refused: {error.smtp_code}") from None
        except smtplib.SMTPNotSupportedError:
            raise SmtpPermanent("the SMTP server does not offer login; check ORGONAUT_SMTP_URL") from None
        except (smtplib.SMTPException, OSError) as error:
            raise SmtpTransient(f"SMTP failed before the data was complete: {type(error).__name__}: {error}") from None
        if not hand_over():
            raise HandOverRefused()
        try:
            connection.send(b".\r\n")
            reply = connection.getreply()
        except (smtplib.SMTPException, OSError) as error:
            raise SmtpOutcomeUnknown(
                f"no reply after the data was sent ({type(error).__name__}); not sent again"
            ) from None
        _check(reply, 250, "end of data")
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.quit()  # the server already took the message; a failed goodbye changes nothing
    finally:
        if connection is not None:
            connection.close()
