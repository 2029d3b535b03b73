"""The run's SMTP server, started when this package is collected, so every worker inherits its URL."""

import time

import pytest

from tests.support.simulator import clean_simulator, simulator  # noqa: F401 - fixtures
from tests.support.smtp import shared_server

SMTP = shared_server()


@pytest.fixture
def smtp_server():
    SMTP.clear()
    yield SMTP
    SMTP.clear()


def wait_until(predicate, timeout: float = 30.0, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"{message} not reached within {timeout}s")
