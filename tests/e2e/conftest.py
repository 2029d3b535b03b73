"""Browser tests: a real web app process, a real worker, the demo seed, and Debian's Chromium.

The database is seeded once for the session (the demo tenant), so these tests do not empty the
tables after each test; a test that changes shared rows puts them back or uses its own tenant.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.stack import WebApp

E2E_PORT = int(os.environ.get("ORGONAUT_E2E_PORT", "3100"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides the per-test emptying: browser tests share one seeded database."""
    yield


@pytest.fixture(scope="session")
def demo_simulator():
    """The Anthropic simulator with the demo org's roster; the web app and the worker talk to it."""
    from orgonaut.org.demo_data import demo_usage_roster
    from orgonaut.settings import reset_settings_cache
    from orgonaut.simulator.app import SimulatorConfig
    from tests.support.simulator import SimulatorServer

    server = SimulatorServer(SimulatorConfig(roster=demo_usage_roster())).start()
    os.environ["ANTHROPIC_API_BASE"] = server.base_url
    reset_settings_cache()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_cursor_simulator():
    """The Cursor simulator with the demo's Cursor users (some use Claude Code too, some only Cursor)."""
    import datetime as dt

    from orgonaut.settings import reset_settings_cache
    from orgonaut.simulator.cursor import CursorConfig
    from orgonaut.simulator.demo import demo_cursor_people
    from tests.support.cursor_simulator import CursorSimulatorServer

    server = CursorSimulatorServer(CursorConfig(**demo_cursor_people(dt.datetime.now(dt.UTC).date()))).start()
    os.environ["CURSOR_API_BASE"] = server.base_url
    reset_settings_cache()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeded_demo(demo_simulator):
    """The demo tenant with its org and 180 days of Claude Code usage from the simulator (the pages'
    tests pin its numbers; Cursor is connected by the tests that need it)."""
    from orgonaut.db import session_scope
    from orgonaut.demo import seed_demo

    with session_scope() as session:
        tenant = seed_demo(session=session, timezone="UTC", with_usage=True, usage_providers=("claude_code",))
        return tenant.slug


@pytest.fixture
def demo_refreshed(seeded_demo, celery_worker_process):
    """The seed's backfill queued a rollup refresh per stored day: a real worker works them off (the pages
    that read rollups wait for it; once done, later waits return at once)."""
    import time

    from sqlmodel import select

    from orgonaut.db import session_scope
    from orgonaut.rollups import queue as refresh
    from orgonaut.tenancy.models import Tenant

    with session_scope() as session:
        tenant_id = session.exec(select(Tenant.id).where(Tenant.slug == seeded_demo)).one()
    deadline = time.monotonic() + 600
    while refresh.refresh_pending(tenant_id=tenant_id, scenario_id=None):
        assert time.monotonic() < deadline, "the seed's rollup refreshes did not finish"
        time.sleep(1)


@pytest.fixture(scope="session")
def web_app(seeded_demo, demo_cursor_simulator, run_dir):
    app = WebApp(E2E_PORT, run_dir / "web.log").start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def base_url(web_app):
    return web_app.base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}
