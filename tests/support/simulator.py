"""The Anthropic simulator for tests: a real uvicorn server on a free loopback port, in a thread.

Use it in a test module (or a conftest) with

    from tests.support.simulator import clean_simulator, simulator  # noqa: F401

`simulator` is one server for the whole run (session scope); `clean_simulator` is the same server
with its faults and request log reset before and after the test. Point a provider or an integration
at `simulator.base_url`; steer it with `set_fault(...)`, `set_faults([...])`, `clear_faults()`,
`requests(path=...)` and `reset()`; change a day with `revise(...)` (see `revisions()`), and read
what it should hold with `truth(day)` (the day's records after revisions and growth, exact
decimals); `person_totals(rows)` sums such records per person as a provider should, independently of
it. A worker subprocess reaches it over HTTP like any client.
For a server with its own configuration (another seed, a roster), start a `SimulatorServer(config)`.
The Cursor simulator's server (tests/support/cursor_simulator.py) is this one with another app.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Self

import httpx
import pytest
import uvicorn

from orgonaut.simulator.app import USAGE_REPORT_PATH, SimulatorConfig, create_app
from tests.support.processes import ROOT, free_port, wait_for_port

VALID_KEY = "sk-ant-admin01-test-valid-key-0000"
REVOKED_KEY = "sk-ant-admin01-revoked-0000"
NO_PERMISSION_KEY = "sk-ant-admin01-noperm-0000"


class SimulatorServer:
    """A simulator app on uvicorn in a thread; a vendor's server overrides `default_config` and `app`."""

    name = "anthropic-simulator"

    def __init__(self, config: Any = None):
        self.config = config or self.default_config()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._http = httpx.Client(base_url=self.base_url, timeout=10)

    @staticmethod
    def default_config() -> Any:
        return SimulatorConfig()

    def app(self) -> Any:
        return create_app(self.config)

    def start(self) -> Self:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=self.name, daemon=True)
        self._thread.start()
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._http.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- controls over HTTP -----------------------------------------------------------------------

    def _post(self, path: str, body: Any) -> dict[str, Any]:
        response = self._http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def _get(self, path: str, **params: Any) -> httpx.Response:
        response = self._http.get(path, params=params)
        response.raise_for_status()
        return response

    def set_fault(self, **fault: Any) -> None:
        """One fault, e.g. `set_fault(status=429, retry_after=1, count=2)` or `set_fault(mode="slow", delay=2)`."""
        self._post("/_sim/faults", fault)

    def set_faults(self, faults: list[dict[str, Any]]) -> None:
        """A queue of faults: the first that matches a request decides, until its count is spent."""
        self._post("/_sim/faults", {"faults": faults})

    def clear_faults(self) -> None:
        self._post("/_sim/faults", {"mode": "clear"})

    def reset(self) -> None:
        self._post("/_sim/reset", {})

    def faults(self) -> list[dict[str, Any]]:
        """The faults still pending."""
        return self._get("/_sim/faults").json()["faults"]

    def revise(self, **revision: Any) -> dict[str, Any]:
        """Changes a day from now on, e.g. `revise(date="2025-03-04", action="drop", email="a@x.test")`;
        returns the revision as recorded (with `id` and the number of `records` it touched)."""
        day = revision.get("date")
        if isinstance(day, dt.date):
            revision["date"] = day.isoformat()
        return self._post("/_sim/revise", revision)["revision"]

    def revisions(self) -> list[dict[str, Any]]:
        return self._get("/_sim/revisions").json()["revisions"]

    def truth(self, day: dt.date | str) -> dict[str, Any]:
        """`GET /_sim/truth` for the day, parsed with exact decimals: `data` is the day's whole list of
        records now (after revisions and growth), `grown` the indexes in it of grown records."""
        return json.loads(self._get("/_sim/truth", date=str(day)).text, parse_float=Decimal)

    def requests(self, path: str | None = USAGE_REPORT_PATH) -> list[dict[str, Any]]:
        """API requests received since the last reset (all paths when `path` is None)."""
        entries = self._get("/_sim/requests").json()["requests"]
        return [entry for entry in entries if path is None or entry["path"] == path]


def source_email(record: dict[str, Any]) -> str:
    """Who a vendor record is for, as a provider names them: the e-mail trimmed and lower-cased, or
    `api-key:<name>` for an API-key actor."""
    actor = record["actor"]
    if actor["type"] == "user_actor":
        return actor["email_address"].strip().lower()
    return f"api-key:{actor['api_key_name']}"


def person_totals(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """source_email -> every metric summed over the person's vendor records (named as `DailyUsage`'s
    fields, exact: cost in cents as a Decimal), and `rows`, how many records were summed."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(source_email(row), defaultdict(Decimal, rows=0))
        total["rows"] += 1
        core = row["core_metrics"]
        total["sessions_count"] += core["num_sessions"]
        total["lines_added"] += core["lines_of_code"]["added"]
        total["lines_removed"] += core["lines_of_code"]["removed"]
        total["commits_count"] += core["commits_by_claude_code"]
        total["pull_requests_count"] += core["pull_requests_by_claude_code"]
        for model in row["model_breakdown"]:
            total["total_input_tokens"] += model["tokens"]["input"]
            total["total_output_tokens"] += model["tokens"]["output"]
            total["total_cache_read_tokens"] += model["tokens"]["cache_read"]
            total["total_cache_creation_tokens"] += model["tokens"]["cache_creation"]
            total["total_cost_cents"] += Decimal(str(model["estimated_cost"]["amount"]))
    return {who: dict(total) for who, total in totals.items()}


def server_fixtures(make: Callable[[], SimulatorServer], name: str) -> tuple[Any, Any]:
    """Two fixtures: `name`, one server for the whole run, and `clean_<name>`, that server with its
    faults, revisions and request log reset before and after the test."""

    @pytest.fixture(scope="session", name=name)
    def session_server():
        with make() as server:
            yield server

    @pytest.fixture(name=f"clean_{name}")
    def clean_server(request):
        server = request.getfixturevalue(name)
        server.reset()
        yield server
        server.reset()

    return session_server, clean_server


simulator, clean_simulator = server_fixtures(SimulatorServer, "simulator")


def simulate(vendor: str, *args: str, **options: Any) -> subprocess.Popen:
    """`orgonaut simulate <vendor> ...` as a process of its own (its own session, output piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "orgonaut.cli", "simulate", vendor, *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **options,
    )


@pytest.fixture
def simulate_started():
    """`start(vendor, *args)`: the simulator command on a free port, answering; returns its base URL.
    Every process started is stopped after the test."""
    processes: list[subprocess.Popen] = []

    def start(vendor: str, *args: str) -> str:
        port = free_port()
        process = simulate(vendor, "--port", str(port), *args)
        processes.append(process)
        wait_for_port(port, timeout=30)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
