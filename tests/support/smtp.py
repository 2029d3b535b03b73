"""A real SMTP server (aiosmtpd) in a thread of the test process, with what it received.

It keeps every message it is given (duplicates included, so a test can count them), and can stall
to simulate a slow server so a test can kill a worker mid-send:

- `stall_rcpt(seconds)`: answer RCPT TO only after a pause (the data has not been sent yet);
- `stall_after_data(seconds)`: store the message at the final '.', then delay the 250 reply.

`stalled` is set when a stall begins; a client that goes away cancels the stall.

Workers inherit ORGONAUT_SMTP_URL when they start: `shared_server()` starts one server per test
process and points the environment at it, so call it before any worker starts (at conftest import).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from email.message import EmailMessage

from aiosmtpd.smtp import Envelope

from orgonaut.notify.smtp_server import MailSink, start
from orgonaut.settings import reset_settings_cache
from tests.support.processes import free_port


@dataclasses.dataclass(frozen=True)
class Received:
    message: EmailMessage
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def to(self) -> str:
        return str(self.message["To"])

    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")

    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")


class _Handler(MailSink):
    def __init__(self, server: SmtpServer):
        super().__init__()
        self.server = server

    async def handle_RCPT(self, server, session, envelope: Envelope, address: str, rcpt_options) -> str:  # noqa: N802
        await self.server._stall("rcpt")
        if self.server.rcpt_reply is not None:
            return self.server.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:  # noqa: N802
        self.accept(envelope)
        await self.server._stall("data")
        return "250 Message accepted for delivery"

    def store(self, message: EmailMessage, envelope: Envelope) -> None:
        with self.server._lock:
            self.server._received.append(
                Received(message=message, mail_from=envelope.mail_from, rcpt_tos=tuple(envelope.rcpt_tos),
                         raw=bytes(envelope.content))
            )


class SmtpServer:
    def __init__(self, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or free_port()
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._stalls: dict[str, float] = {}
        self.stalled = threading.Event()
        # When set, RCPT TO is answered with this reply (e.g. "550 5.1.1 No such user") and nothing is taken.
        self.rcpt_reply: str | None = None
        self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> SmtpServer:
        self._controller = start(_Handler(self), host=self.host, port=self.port)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    # --- what arrived -------------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
        self.no_stalls()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Waits until at least `count` messages arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.received
            if len(received) >= count:
                return received
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} message(s) within {timeout}s, got {len(self.received)}")

    def settle(self, seconds: float = 1.0) -> list[Received]:
        """Everything received once nothing new has arrived for `seconds` (to assert "no more")."""
        seen = -1
        while True:
            received = self.received
            if len(received) == seen:
                return received
            seen = len(received)
            time.sleep(seconds)

    # --- slowness -----------------------------------------------------------------------------

    def stall_rcpt(self, seconds: float) -> None:
        self.stalled.clear()
        self._stalls = {"rcpt": seconds}

    def stall_after_data(self, seconds: float) -> None:
        self.stalled.clear()
        self._stalls = {"data": seconds}

    def no_stalls(self) -> None:
        self._stalls = {}
        self.stalled.clear()
        self.rcpt_reply = None

    async def _stall(self, step: str) -> None:
        seconds = self._stalls.get(step)
        if seconds:
            self.stalled.set()
            await asyncio.sleep(seconds)


_shared: SmtpServer | None = None


def shared_server() -> SmtpServer:
    """One server per test process; ORGONAUT_SMTP_URL points at it from the first call on."""
    global _shared
    if _shared is None:
        _shared = SmtpServer().start()
        os.environ["ORGONAUT_SMTP_URL"] = _shared.url
        reset_settings_cache()
    return _shared
