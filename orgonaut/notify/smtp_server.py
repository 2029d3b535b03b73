"""A local SMTP server (aiosmtpd) for the demo and the tests: it keeps every message it receives.

`orgonaut smtp --port 8025` stores each message as an .eml file under `var/mail/` (and, with
`--mbox`, appends it to an mbox file as well) and prints one line per message. It stores what it
receives, duplicates included, so it shows exactly what the sender did.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import itertools
import mailbox
import threading
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


def _content(envelope: Envelope) -> bytes:
    # The controller leaves the data undecoded (aiosmtpd's decode_data=False): the bytes received.
    return cast(bytes, envelope.content)


class MailSink:
    """An aiosmtpd handler that accepts every message and hands it to `store`."""

    def __init__(self, on_message: Callable[[EmailMessage, Envelope], None] | None = None):
        self._on_message = on_message

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.accept(envelope)
        return "250 Message accepted for delivery"

    def accept(self, envelope: Envelope) -> EmailMessage:
        message = email.message_from_bytes(_content(envelope), policy=email.policy.default)
        self.store(message, envelope)
        if self._on_message is not None:
            self._on_message(message, envelope)
        return message

    def store(self, message: EmailMessage, envelope: Envelope) -> None:
        """Keeps the message; the base class only passes it to `on_message`."""


class FileMailSink(MailSink):
    """Writes each message to `<directory>/<time>-<n>.eml` and, optionally, appends it to an mbox."""

    def __init__(self, directory: Path, *, mbox: Path | None = None,
                 on_message: Callable[[EmailMessage, Envelope], None] | None = None):
        super().__init__(on_message)
        self.directory = directory
        self.mbox = mbox
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        if mbox is not None:
            mbox.parent.mkdir(parents=True, exist_ok=True)
        self.last_path: Path | None = None

    def store(self, message: EmailMessage, envelope: Envelope) -> None:
        with self._lock:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
            path = self.directory / f"{stamp}-{next(self._counter):04d}.eml"
            path.write_bytes(_content(envelope))
            self.last_path = path
            if self.mbox is not None:
                box = mailbox.mbox(self.mbox)
                try:
                    box.lock()
                    box.add(_content(envelope))
                    box.flush()
                finally:
                    box.unlock()
                    box.close()


def start(handler: MailSink, *, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    """Starts the server in a background thread; `controller.stop()` ends it."""
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    return controller
