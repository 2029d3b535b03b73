"""/settings/integrations/ai-tooling in a real browser: the full stack (web app, a real Celery worker,
the database, Redis) against the browser tests' Anthropic simulator.

An admin connects Claude Code (format check, targets, test → organisation name → save), runs a 30-day
backfill and watches its progress bar reach done, makes a run fail and opens View run, matches unmatched
e-mails, pauses, resumes and disconnects; 401 and 403 from the simulator's faults show the spec's
guidance; a member and a manager are refused; a tenant on a plan without AI Tooling sees the upgrade
notice. The API key is searched for in the page's HTML and in every WebSocket frame.

A backfill over a year asks first (days and requests) and a running backfill can be cancelled after a
confirmation; today's partial day is refused.

The demo tenant is connected by the seed, so the connect flows use tenants of their own.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets as pysecrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page, WebSocket, expect
from sqlmodel import col, select

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling import sync
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.db import session_scope
from orgonaut.demo import DEMO_PASSWORD
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncStatus
from orgonaut.org import service as org
from orgonaut.org.models import Actor, ActorIdentity, Scenario
from orgonaut.settings import get_settings
from orgonaut.simulator.app import ORGANIZATION_PATH, USAGE_REPORT_PATH
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Plan, Role
from orgonaut.ui import routes
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.ai_tooling.views import kind_label
from tests.e2e.pages import log_in
from tests.support.simulator import SimulatorServer

URL = routes.AI_TOOLING_SETTINGS
ORGANISATION = "Orgonaut Demo (simulated)"
LIVE_MEANINGS = {
    "active": "Connector is live and syncing nightly.",
    "paused": "Connector is configured but sync is suspended.",
    "error": "The last sync or connection test failed.",
    "disconnected": "Connector has been removed.",
}


# --- helpers ----------------------------------------------------------------------------------


@dataclass
class Frames:
    """Every WebSocket frame the page sent and received."""

    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Frames:
        def on_socket(ws: WebSocket) -> None:
            ws.on("framesent", lambda payload: self.sent.append(_text(payload)))
            ws.on("framereceived", lambda payload: self.received.append(_text(payload)))

        page.on("websocket", on_socket)
        return self


def _text(payload: str | bytes) -> str:
    return payload if isinstance(payload, str) else payload.decode("utf-8", "replace")


@dataclass(frozen=True)
class E2eTenant:
    id: int
    admin: str
    scenario: str
    archived: str
    snapshot: str
    person: str
    person_email: str


def _new_tenant(plan: Plan = Plan.business) -> E2eTenant:
    """A tenant of its own (the demo is connected by the seed): an admin, scenarios, one person."""
    tag = pysecrets.token_hex(4)
    with session_scope() as session:
        tenant = tenancy.create_tenant(session=session, slug=f"e2e-ai-{tag}", name=f"E2E AI {tag}", plan=plan)
        admin = tenancy.create_user(session=session, tenant=tenant, email=f"admin-{tag}@e2e-ai.test",
                                    password=DEMO_PASSWORD, role=Role.admin, name="E2E Admin")
        org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="company",
                            name=f"E2E AI {tag}")
        person = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="Pat Existing",
                                  email=f"pat-{tag}@old-address.test")
        session.flush()
        scenario = org.create_scenario(session=session, tenant_id=tenant.id, name=f"Reorg {tag}")
        archived = org.create_scenario(session=session, tenant_id=tenant.id, name=f"Old plan {tag}")
        org.archive_scenario(session=session, tenant_id=tenant.id, scenario_id=archived.id)
        snapshot = org.create_snapshot(session=session, tenant_id=tenant.id, name=f"Snapshot {tag}")
        return E2eTenant(id=tenant.id, admin=admin.email, scenario=scenario.name, archived=archived.name,
                         snapshot=snapshot.name, person=person.name, person_email=person.email)


def _integration(tenant_id: int) -> Integration:
    with session_scope() as session:
        return session.exec(select(Integration).where(Integration.tenant_id == tenant_id)).one()


def _latest_log(tenant_id: int) -> IntegrationSyncLog:
    with session_scope() as session:
        return session.exec(select(IntegrationSyncLog).where(IntegrationSyncLog.tenant_id == tenant_id)
                            .order_by(col(IntegrationSyncLog.id).desc())).first()


def _new_log_id(tenant_id: int, after: int) -> int:
    """The id of the run a click just queued (waits for its row)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        log = _latest_log(tenant_id)
        if log is not None and log.id > after:
            return log.id
        time.sleep(0.1)
    raise AssertionError("no new run was queued")


def _card(page: Page, name: str = "Claude Code"):
    return page.get_by_role("region", name=name, exact=True)


def _expect_status(page: Page, status: str) -> None:
    card = _card(page)
    expect(card.get_by_text(LIVE_MEANINGS[status], exact=True)).to_be_visible(timeout=20_000)
    expect(card.get_by_text(status, exact=True)).to_be_visible()


def _open_settings(page: Page, base_url: str, email: str) -> None:
    log_in(page, base_url, email)
    page.goto(f"{base_url}{URL}")
    expect(page.get_by_role("heading", name="Providers")).to_be_visible(timeout=20_000)


def _start_wizard(page: Page, key: str):
    _card(page).get_by_role("button", name="Connect", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Connect Claude Code")).to_be_visible()
    expect(dialog).to_contain_text("Step 1 of 3: Admin API key")
    dialog.get_by_label("Admin API key").fill(key)
    dialog.get_by_role("button", name="Next").click()
    expect(dialog).to_contain_text("Step 2 of 3: Where data applies")
    dialog.get_by_role("button", name="Next").click()  # Live Baseline is on by default
    expect(dialog).to_contain_text("Step 3 of 3: Test and save")
    return dialog


def _row(page: Page, log_id: int):
    return page.get_by_role("region", name="Recent sync logs").locator(f'tr[data-run="{log_id}"]')


def _redis_state_holds(secret: str) -> bool:
    """Whether any value in the Reflex state store (Redis) holds `secret` in plain text."""
    client = redis.Redis.from_url(get_settings().redis_state_url)
    needle = secret.encode()
    for name in client.scan_iter(count=500):
        kind = client.type(name)
        if kind == b"string":
            values = [client.get(name) or b""]
        elif kind == b"hash":
            values = list(client.hgetall(name).values())
        else:
            continue
        if any(needle in value for value in values):
            return True
    return False


def _new_key() -> str:
    return f"sk-ant-admin01-e2e-{pysecrets.token_hex(12)}"


@pytest.fixture
def stack(web_app, demo_simulator: SimulatorServer, celery_worker_process) -> Iterator[SimulatorServer]:
    """The web app and a worker, both pointed at the simulator (the web app's fixture set
    ANTHROPIC_API_BASE before either process started); faults cleared around each test."""
    demo_simulator.clear_faults()
    yield demo_simulator
    demo_simulator.clear_faults()


# --- the admin's whole flow -------------------------------------------------------------------


def test_admin_connects_backfills_watches_progress_matches_pauses_resumes_and_disconnects(
    page: Page, base_url: str, stack: SimulatorServer, run_dir: Path,
):
    tenant = _new_tenant()
    key = _new_key()
    frames = Frames().attach(page)
    _open_settings(page, base_url, tenant.admin)

    # Provider cards: every provider can be connected.
    for name in ("Claude Code", "Cursor", "GitHub Copilot", "Codex", "Claude Enterprise"):
        expect(_card(page, name)).to_contain_text("Not connected yet.")
        expect(_card(page, name).get_by_role("button", name="Connect", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Recent sync logs")).to_have_count(0)
    expect(page.get_by_text("No sync runs yet")).to_be_visible()
    expect(page.get_by_text("No unmatched e-mails")).to_be_visible()

    # Step 1: the format is checked before anything is sent to Anthropic.
    requests_before = len(stack.requests(path=None))
    _card(page).get_by_role("button", name="Connect", exact=True).click()
    dialog = page.get_by_role("dialog")
    key_field = dialog.get_by_label("Admin API key")
    expect(key_field).to_have_attribute("type", "password")
    expect(dialog).to_contain_text("Anthropic Console under Settings → Admin API keys")
    expect(key_field).to_have_attribute("aria-invalid", "false")
    key_field.fill("sk-ant-api03-this-is-not-an-admin-key")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_role("alert")).to_contain_text("That is an Anthropic API key (sk-ant-api…)")
    # The field says it was refused, and why, to a screen reader on the field itself.
    expect(key_field).to_have_attribute("aria-invalid", "true")
    expect(key_field).to_have_accessible_description(re.compile("That is an Anthropic API key"))
    expect(dialog.get_by_role("alert")).to_contain_text("needs an Admin API key (sk-ant-admin…)")
    expect(key_field).to_have_value("sk-ant-api03-this-is-not-an-admin-key")  # kept, to be corrected
    key_field.fill("sk-wrong")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_role("alert")).to_contain_text("An Anthropic Admin API key starts with sk-ant-admin")
    assert len(stack.requests(path=None)) == requests_before
    key_field.fill(key)
    assert key not in page.content()
    dialog.get_by_role("button", name="Next").click()

    # Step 2: Live Baseline, active scenarios only, all future; at least one.
    expect(dialog).to_contain_text("Step 2 of 3: Where data applies")
    # The server holds the key now, sealed: the Reflex state store has no plain copy (though it does
    # hold this tab's state, e.g. the signed-in e-mail).
    assert _redis_state_holds(tenant.admin)
    assert not _redis_state_holds(key)
    expect(dialog.get_by_role("checkbox", name=tenant.scenario)).to_be_visible()
    expect(dialog.get_by_text(tenant.archived)).to_have_count(0)
    expect(dialog.get_by_text(tenant.snapshot)).to_have_count(0)
    dialog.get_by_role("checkbox", name="Live Baseline").click()
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Choose where usage data applies")
    dialog.get_by_role("checkbox", name="Live Baseline").click()
    dialog.get_by_role("checkbox", name=tenant.scenario).click()
    dialog.get_by_role("button", name="Next").click()

    # Step 3: Save only after a successful test; the test shows the organisation's name.
    expect(dialog).to_contain_text("Step 3 of 3: Test and save")
    save = dialog.get_by_role("button", name="Save")
    expect(save).to_be_disabled()
    dialog.get_by_role("button", name="Test connection").click()
    expect(dialog.get_by_role("status")).to_contain_text(f"Organisation: {ORGANISATION}")
    expect(save).to_be_enabled()
    save.click()
    expect(dialog.get_by_role("status")).to_contain_text(f"Claude Code is connected to {ORGANISATION}")
    integration = _integration(tenant.id)
    assert integration.status == IntegrationStatus.active
    assert integrations.read_config(integration)["api_key"] == key
    assert integration.target_baseline and len(integration.target_scenario_ids) == 1

    # The wizard offers a backfill: empty, reversed and future ranges are refused inline.
    yesterday = sync.last_complete_day()
    start, end = yesterday - dt.timedelta(days=29), yesterday
    expect(dialog.get_by_label("End date")).to_have_value(end.isoformat())
    for (first, last), message in [
        (("", end.isoformat()), "Enter the start date."),
        ((end.isoformat(), start.isoformat()), f"The end date ({start}) is before the start date ({end})."),
        ((start.isoformat(), (end + dt.timedelta(days=5)).isoformat()), "is in the future"),
    ]:
        dialog.get_by_label("Start date").fill(first)
        dialog.get_by_label("End date").fill(last)
        dialog.get_by_role("button", name="Run backfill").click()
        expect(dialog.get_by_role("alert")).to_contain_text(message)
    assert _latest_log(tenant.id) is None

    # A 30-day backfill on the real worker; the simulator is slowed so the progress is seen moving.
    stack.set_fault(mode="slow", delay=0.4, path=USAGE_REPORT_PATH)
    dialog.get_by_label("Start date").fill(start.isoformat())
    dialog.get_by_label("End date").fill(end.isoformat())
    dialog.get_by_role("button", name="Run backfill").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Backfill queued: 30 days.")).to_be_visible()
    log_id = _new_log_id(tenant.id, 0)
    row = _row(page, log_id)
    expect(row).to_contain_text("Backfill")
    seen: list[int] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        text = row.inner_text()
        done = re.search(r"(\d+) of 30 days", text)
        if done:
            seen.append(int(done.group(1)))
        if "succeeded" in text:
            break
        page.wait_for_timeout(150)
    stack.clear_faults()
    # The bar moved without a reload, and the table refreshed itself when the run ended.
    assert seen == sorted(seen), seen
    assert len({n for n in seen if 0 < n < 30}) >= 2, seen
    expect(row).to_contain_text("succeeded")
    expect(row.get_by_role("progressbar")).to_have_count(0)
    log = _latest_log(tenant.id)
    assert log.status == SyncStatus.succeeded and log.days_done == 30 and log.records_fetched > 0
    expect(row).to_contain_text(str(log.records_fetched))
    expect(row).to_contain_text("E2E Admin")
    # The last attempt and the last success (the same run), each relative with its exact time on hover.
    times = _card(page).locator("time")
    expect(times).to_have_count(2)
    for last_sync in (times.first, times.last):
        expect(last_sync).to_have_text(re.compile(r"just now|\d+ minutes? ago"))
        expect(last_sync).to_have_attribute("title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"))
    expect(_card(page)).to_contain_text(re.compile(r"Next sync(today|tomorrow) at 03:00 UTC"))

    # View run: the days, one by one.
    row.get_by_role("button", name=f"View run {log_id}").click()
    run = page.get_by_role("dialog")
    expect(run).to_contain_text(f"Run {log_id}: Backfill {start} → {end}")
    days = run.get_by_role("region", name="Day by day").get_by_role("row")
    expect(days).to_have_count(31)  # the header and 30 days
    expect(run.get_by_role("region", name="Day by day").get_by_text("synced", exact=True)).to_have_count(30)
    run.get_by_role("button", name="Close").click()
    expect(run).to_be_hidden()

    # Unmatched e-mails: this tenant has almost nobody, so the simulator's people are unmatched.
    unmatched = page.get_by_role("region", name="Unmatched e-mails")
    expect(unmatched.get_by_text("API key", exact=True).first).to_be_visible()
    emails = unmatched.get_by_role("rowheader").all_inner_texts()
    people = [e.strip() for e in emails if "@" in e]
    assert len(people) >= 2, emails
    first, second = people[0], people[1]
    unmatched.get_by_role("button", name=f"Add person for {first}").click()
    add = page.get_by_role("dialog")
    expect(add.get_by_label("E-mail")).to_have_value(first)
    add.get_by_label("Name").fill("Added From Usage")
    add.get_by_role("button", name="Add person").click()
    expect(add).to_be_hidden()
    expect(unmatched.get_by_role("rowheader", name=first, exact=True)).to_have_count(0)

    unmatched.get_by_role("button", name=f"Use {second} for an existing person").click()
    link = page.get_by_role("dialog")
    link.get_by_role("combobox", name="Person").click()
    page.get_by_role("option", name=f"{tenant.person} · {tenant.person_email}").click()
    link.get_by_role("button", name="Use this e-mail").click()
    expect(link).to_be_hidden()
    expect(unmatched.get_by_role("rowheader", name=second, exact=True)).to_have_count(0)
    with session_scope() as session:
        pat = session.exec(select(Actor).where(Actor.tenant_id == tenant.id, Actor.name == tenant.person,
                                               col(Actor.scenario_id).is_(None))).one()
        assert pat.email == tenant.person_email  # kept: the address is added as another identity
        # Live's records are Pat's now; the scenario's copy of Pat is also known by the address there.
        records = session.exec(select(AiToolUsageRecord).where(
            AiToolUsageRecord.tenant_id == tenant.id, AiToolUsageRecord.source_email == second,
            col(AiToolUsageRecord.scenario_id).is_(None))).all()
        assert records and {r.actor_id for r in records} == {pat.id}
        known_as = session.exec(select(ActorIdentity.scenario_id, ActorIdentity.value).join(
            Actor, col(Actor.id) == col(ActorIdentity.actor_id)).where(
            Actor.tenant_id == tenant.id, Actor.external_uid == pat.external_uid)).all()
        scenario_id = session.exec(select(Scenario.id).where(Scenario.tenant_id == tenant.id,
                                                             Scenario.name == tenant.scenario)).one()
        # Live and the active scenario; not the archived scenario nor the snapshot (read-only).
        assert sorted(known_as, key=lambda row: row[0] or 0) == [(None, second), (scenario_id, second)]

    # A failing Sync now: the status turns to error, and View run says why.
    stack.set_fault(status=401, path=USAGE_REPORT_PATH, count=1)
    _card(page).get_by_role("button", name="Sync now").click()
    toast = page.get_by_text(f"Sync queued for {yesterday}.")
    expect(toast).to_be_visible()
    # The toast leaves the table's last column (View run) free to click.
    note = toast.bounding_box()
    button = _row(page, log_id).get_by_role("button", name=f"View run {log_id}").bounding_box()
    assert note and button
    apart_x = note["x"] + note["width"] <= button["x"] or button["x"] + button["width"] <= note["x"]
    apart_y = note["y"] + note["height"] <= button["y"] or button["y"] + button["height"] <= note["y"]
    assert apart_x or apart_y, (note, button)
    failed_id = _new_log_id(tenant.id, log_id)
    expect(_row(page, failed_id)).to_contain_text("failed", timeout=60_000)
    _expect_status(page, "error")
    expect(_card(page)).to_contain_text("Invalid or revoked API key")
    _row(page, failed_id).get_by_role("button", name=f"View run {failed_id}").click()
    run = page.get_by_role("dialog")
    expect(run.get_by_role("alert")).to_contain_text("Invalid or revoked Admin API key")
    expect(run.get_by_role("region", name="Run errors")).to_contain_text("401")
    expect(run.get_by_role("region", name="Affected records")).to_contain_text(yesterday.isoformat())
    page.keyboard.press("Escape")
    expect(run).to_be_hidden()

    # Sync now again (the key works): healthy again.
    _card(page).get_by_role("button", name="Sync now").click()
    expect(_row(page, _new_log_id(tenant.id, failed_id))).to_contain_text("succeeded", timeout=60_000)
    _expect_status(page, "active")

    # Pause and resume.
    _card(page).get_by_role("button", name="Pause").click()
    _expect_status(page, "paused")
    expect(_card(page).get_by_role("button", name="Sync now")).to_have_count(0)
    _card(page).get_by_role("button", name="Resume").click()
    _expect_status(page, "active")

    # Disconnect, after a confirmation; the records stay and Connect comes back.
    _card(page).get_by_role("button", name="Disconnect").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("stored API key is removed")
    confirm.get_by_role("button", name="Cancel").click()
    _expect_status(page, "active")
    _card(page).get_by_role("button", name="Disconnect").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disconnect").click()
    _expect_status(page, "disconnected")
    expect(_card(page).get_by_role("button", name="Connect", exact=True)).to_be_visible()
    integration = _integration(tenant.id)
    assert integration.status == IntegrationStatus.disconnected and integration.config_encrypted is None
    with session_scope() as session:
        assert session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.tenant_id == tenant.id)).first()

    # The key went to the server once (the step-1 submit) and never came back: not in any frame
    # received, not in the page's HTML.
    page.reload()
    expect(page.get_by_role("heading", name="Providers")).to_be_visible()
    assert key not in page.content()
    assert [frame for frame in frames.received if key in frame] == []
    carrying = [frame for frame in frames.sent if key in frame]
    assert len(carrying) == 1 and "submit_credentials" in carrying[0], carrying
    assert frames.received, "no WebSocket frames were recorded"
    # Nor is it in the Reflex state store, the web app's log or the worker's log.
    assert not _redis_state_holds(key)
    for log_file in ("web.log", "worker.log"):
        assert key not in (run_dir / log_file).read_text(errors="replace"), log_file


# --- test connection failures -------------------------------------------------------------------


def test_test_connection_shows_the_guidance_for_401_403_and_a_failing_network(
    page: Page, base_url: str, stack: SimulatorServer,
):
    tenant = _new_tenant()
    key = _new_key()
    frames = Frames().attach(page)
    _open_settings(page, base_url, tenant.admin)
    dialog = _start_wizard(page, key)
    save = dialog.get_by_role("button", name="Save")
    test = dialog.get_by_role("button", name="Test connection")

    stack.set_fault(status=401, path=ORGANIZATION_PATH, count=1)
    test.click()
    expect(dialog.get_by_role("alert")).to_contain_text(
        "Invalid or revoked Admin API key: generate a new key in the Anthropic Console")
    expect(save).to_be_disabled()

    stack.set_fault(status=403, path=ORGANIZATION_PATH, count=1)
    test.click()
    expect(dialog.get_by_role("alert")).to_contain_text(
        "The key lacks organisation-level permissions: check the key's scopes in the Anthropic Console.")
    expect(save).to_be_disabled()

    # The provider answers 503 to every attempt: "try again later".
    stack.set_fault(status=503, path=ORGANIZATION_PATH, count=5)
    test.click()
    expect(dialog.get_by_role("alert")).to_contain_text("try again later", timeout=60_000)
    expect(save).to_be_disabled()

    test.click()
    expect(dialog.get_by_role("status")).to_contain_text(f"Organisation: {ORGANISATION}")
    expect(save).to_be_enabled()
    # Cancel forgets the key: nothing is stored.
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    with session_scope() as session:
        assert session.exec(select(Integration).where(Integration.tenant_id == tenant.id)).all() == []
    assert key not in page.content()
    assert [frame for frame in frames.received if key in frame] == []


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["member@demo.test", "manager@demo.test"])
def test_members_and_managers_are_refused(page: Page, base_url: str, web_app, email: str):
    log_in(page, base_url, email)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="AI Tooling")).to_have_count(0)
    page.goto(f"{base_url}{URL}")
    expect(page.get_by_role("heading", name="You don't have access to this page")).to_be_visible()
    expect(page.get_by_role("button", name="Connect")).to_have_count(0)
    expect(page.get_by_text("Recent sync logs")).to_have_count(0)


def test_admin_sees_the_demo_connection_and_its_run_from_a_link(page: Page, base_url: str, web_app):
    """The seeded demo connection; ?run=<id> (the alerts' link) opens that run's details."""
    with session_scope() as session:
        tenant = tenancy.get_tenant_by_slug_or_raise(session=session, slug="demo")
        log = session.exec(select(IntegrationSyncLog).where(IntegrationSyncLog.tenant_id == tenant.id)
                           .order_by(IntegrationSyncLog.id)).first()
    log_in(page, base_url, "admin@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="AI Tooling").click()
    expect(page.get_by_role("heading", name="Providers")).to_be_visible()
    expect(_card(page)).to_contain_text(ORGANISATION)
    page.goto(f"{base_url}{URL}?run={log.id}")
    run = page.get_by_role("dialog")
    expect(run).to_contain_text(f"Run {log.id}: {kind_label(log)}")
    expect(run.get_by_role("region", name="Day by day").get_by_role("row")).to_have_count(
        min(log.days_total, 400) + 1)


def test_a_plan_without_ai_tooling_sees_the_upgrade_notice(page: Page, base_url: str, web_app):
    tenant = _new_tenant(plan=Plan.team)
    log_in(page, base_url, tenant.admin)
    page.goto(f"{base_url}{URL}")
    notice = page.get_by_role("status", name="Upgrade notice")
    expect(notice).to_contain_text("AI Tooling usage sync is not part of your plan")
    expect(notice).to_contain_text("team plan")
    expect(notice).to_contain_text("business, enterprise and agency")
    actions = re.compile(r"^(Connect|Sync now|Backfill|Pause|Disconnect)$")
    expect(page.get_by_role("button", name=actions)).to_have_count(0)
    expect(page.get_by_role("region", name="Claude Code")).to_have_count(0)


# --- backfill confirmation and Cancel ---------------------------------------------------------------


def test_a_long_backfill_asks_first_and_a_running_backfill_can_be_cancelled(
    page: Page, base_url: str, stack: SimulatorServer,
):
    tenant = _new_tenant()
    with session_scope() as session:
        ai_tooling.connect(session=session, tenant_id=tenant.id, provider="claude_code",
                                            credentials={"api_key": _new_key()})
    _open_settings(page, base_url, tenant.admin)
    _card(page).get_by_role("button", name="Backfill").click()
    dialog = page.get_by_role("dialog")
    last = ai_tooling.last_complete_day()
    expect(dialog.get_by_label("End date")).to_have_value(last.isoformat())

    # Today's usage is partial: refused, naming the last day that can be synced.
    dialog.get_by_label("End date").fill((last + dt.timedelta(days=1)).isoformat())
    dialog.get_by_role("button", name="Run backfill").click()
    expect(dialog.get_by_role("alert")).to_contain_text(
        f"Today's usage is not complete yet: the last day you can sync is {last}.")

    # Over a year: the question first, with the days and the requests; nothing is queued.
    start = dt.date(2025, 1, 1)
    days = (last - start).days + 1
    dialog.get_by_label("Start date").fill(start.isoformat())
    dialog.get_by_label("End date").fill(last.isoformat())
    dialog.get_by_role("button", name="Run backfill").click()
    question = dialog.get_by_role("status", name="Confirm backfill")
    expect(question).to_contain_text(
        f"This backfill covers {days} days and takes at least {days} requests to the Anthropic API. Continue?")
    expect(dialog.get_by_role("alert")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Run backfill")).to_have_count(0)
    assert _latest_log(tenant.id) is None
    question.get_by_role("button", name="Change dates").click()
    expect(question).to_have_count(0)
    assert _latest_log(tenant.id) is None

    # Continue queues that range; the simulator is slowed so the run is still going when Cancel is clicked.
    stack.set_fault(mode="slow", delay=0.3, path=USAGE_REPORT_PATH)
    dialog.get_by_role("button", name="Run backfill").click()
    dialog.get_by_role("status", name="Confirm backfill").get_by_role("button", name="Continue").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(f"Backfill queued: {days} days.")).to_be_visible()
    log_id = _new_log_id(tenant.id, 0)
    row = _row(page, log_id)
    cancel = row.get_by_role("button", name=f"Cancel run {log_id}")

    # Cancel asks first; "Keep running" changes nothing.
    cancel.click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Stop this backfill after the current day? Days already synced stay.")
    confirm.get_by_role("button", name="Keep running").click()
    expect(confirm).to_be_hidden()
    assert _latest_log(tenant.id).cancel_requested_at is None
    cancel.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Stop the backfill").click()
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    log = _latest_log(tenant.id)
    assert log.id == log_id and log.cancel_requested_at is not None

    # The run stops before its next day (it may say "Cancelling…" for a moment): the days it stored stay.
    expect(row.get_by_role("progressbar")).to_have_count(0, timeout=90_000)
    expect(row).to_contain_text("cancelled")
    expect(row).not_to_contain_text("Cancelling…")
    expect(cancel).to_have_count(0)
    log = _latest_log(tenant.id)
    assert log.status == "cancelled" and 0 <= log.days_done < days
    assert log.error_message.startswith("Cancelled.")
    stack.clear_faults()


# --- Cursor beside Claude Code --------------------------------------------------------------------


def test_an_admin_connects_cursor_and_a_person_using_both_tools_sees_both(
    page: Page, base_url: str, stack: SimulatorServer, demo_cursor_simulator,
):
    from orgonaut.org.demo_data import demo_usage_roster
    from orgonaut.simulator.demo import demo_cursor_people

    tenant = _new_tenant()
    both = next(email for email in demo_cursor_people(dt.date.today())["roster"] if email in demo_usage_roster())
    with session_scope() as session:
        person = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="Both Tools",
                                  email=both)
        person_id = person.id
    _open_settings(page, base_url, tenant.admin)

    # The same wizard, built from Cursor's declared credential field.
    _card(page, "Cursor").get_by_role("button", name="Connect", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Connect Cursor")).to_be_visible()
    expect(dialog).to_contain_text("Step 1 of 3: Credentials")
    expect(dialog).to_contain_text("Cursor dashboard under Settings → API Keys")
    # The seat price (for idle seats) may be left empty.
    expect(dialog.get_by_label("Monthly price of a Cursor seat (USD) (optional)")).to_have_value("")
    dialog.get_by_label("Admin API key").fill("key_e2e_cursor_0000000000000000")
    dialog.get_by_role("button", name="Next").click()
    # Wait for step 2: a second click while step 1 is still shown would press step 1's Next again.
    expect(dialog).to_contain_text("Step 2 of 3: Where data applies")
    dialog.get_by_role("button", name="Next").click()  # Live Baseline
    expect(dialog).to_contain_text("the Cursor Admin API (GET /teams/members)")
    dialog.get_by_role("button", name="Test connection").click()
    team = demo_cursor_simulator.team()["name"]
    expect(dialog.get_by_role("status")).to_contain_text(f"Connection OK. Organisation: {team}")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_contain_text(f"Cursor is connected to {team}")
    dialog.get_by_role("button", name="Not now").click()
    expect(_card(page, "Cursor").get_by_text("active", exact=True)).to_be_visible(timeout=20_000)

    # A week of both tools' usage (run here, as the worker would), then the person's page.
    end = sync.last_complete_day()
    with session_scope() as session:
        ai_tooling.connect(session=session, tenant_id=tenant.id, provider="claude_code",
                           credentials={"api_key": _new_key()}, api_base=stack.base_url)
    for provider in ("cursor", "claude_code"):
        with session_scope() as session:
            integration = ai_tooling.current_integrations(session=session, tenant_id=tenant.id)[provider]
            log = ai_tooling.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                            start=end - dt.timedelta(days=6), end=end, user_id=None, enqueue=False)
            log_id = log.id
        sync.run_foreground(log_id=log_id)
    page.goto(f"{base_url}/people/{person_id}")
    section = page.get_by_role("region", name="AI Tooling Usage", exact=True)
    providers = section.get_by_role("term").filter(has_text=re.compile("^Active providers$"))
    expect(providers.locator("xpath=following-sibling::dd[1]")).to_have_text("2")
    expect(section).to_contain_text("Claude Code, Cursor")
    page.wait_for_function("() => { const gd = document.getElementById('person-cost-trend');"
                           " return !!(gd && gd.data && gd.data.length === 2); }", timeout=15_000)
    names = page.evaluate("() => document.getElementById('person-cost-trend').data.map(t => t.name)")
    assert names == ["Claude Code", "Cursor"]

    # The provider filter: each choice drives every card and the chart, is kept in the URL and survives a
    # reload. Expected numbers are summed here from the person's raw records.
    with session_scope() as session:
        records = session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.actor_id == person_id)).all()
    mine = {p: [r for r in records if r.provider == p] for p in ("claude_code", "cursor")}
    assert mine["claude_code"] and mine["cursor"]
    sessions = f"{sum(r.sessions_count or 0 for r in mine['claude_code']):,}"
    tabs = f"{sum(r.provider_metrics['tabs_accepted'] for r in mine['cursor']):,}"

    def card(label: str):
        term = section.get_by_role("term").filter(has_text=re.compile(f"^{re.escape(label)}$"))
        return term.locator("xpath=following-sibling::dd[1]")

    def plotted() -> dict[str, list[str]]:
        return page.evaluate("() => Object.fromEntries(document.getElementById('person-cost-trend').data"
                             ".map(t => [t.name, Object.fromEntries(t.x.map((x, i) => [x, t.customdata[i][1]]))]))")

    def daily(provider: str) -> dict[str, str]:
        return {r.usage_date.isoformat(): format_usd(r.total_cost_cents) for r in mine[provider]}

    expect(card("Sessions")).to_have_text(sessions)
    expect(card("Tabs accepted")).to_have_text(tabs)
    tool = section.get_by_role("radiogroup", name="AI tool")
    expect(tool.get_by_role("radio", name="All tools", exact=True)).to_have_attribute("aria-checked", "true")

    tool.get_by_role("radio", name="Cursor", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/people/{person_id}\?provider=cursor$"))
    for reloaded in (False, True):  # chosen, then after a reload
        expect(tool.get_by_role("radio", name="Cursor", exact=True)).to_have_attribute("aria-checked", "true")
        expect(card("Active providers")).to_have_text("1")
        expect(card("Sessions")).to_have_text("—")
        expect(card("Tabs accepted")).to_have_text(tabs)
        expect(section).to_contain_text("Activity not reported")
        expect(section).to_contain_text("Cursor does not report sessions, commits or pull requests.")
        expect(section.get_by_label("Range total")).to_contain_text(
            format_usd(sum((r.total_cost_cents for r in mine["cursor"]), Decimal(0))))
        page.wait_for_function("() => { const gd = document.getElementById('person-cost-trend');"
                               " return !!(gd && gd.data && gd.data.length === 1); }", timeout=15_000)
        [(name, shown)] = plotted().items()
        assert name == "Cost" and {day: shown[day] for day in daily("cursor")} == daily("cursor")
        if not reloaded:  # the checks above then wait for the reloaded page before anything is clicked
            page.reload()
            section = page.get_by_role("region", name="AI Tooling Usage", exact=True)
            tool = section.get_by_role("radiogroup", name="AI tool")

    tool.get_by_role("radio", name="Claude Code", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/people/{person_id}\?provider=claude_code$"))
    expect(card("Sessions")).to_have_text(sessions)
    expect(card("Tabs accepted")).to_have_text("—")
    expect(section).to_contain_text("not reported by Claude Code · Cursor only")
    expect(section.get_by_label("Range total")).to_contain_text(
        format_usd(sum((r.total_cost_cents for r in mine["claude_code"]), Decimal(0))))

    tool.get_by_role("radio", name="All tools", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/people/{person_id}$"))
    expect(card("Active providers")).to_have_text("2")
    page.wait_for_function("() => { const gd = document.getElementById('person-cost-trend');"
                           " return !!(gd && gd.data && gd.data.length === 2); }", timeout=15_000)
    both_days = plotted()
    assert {day: both_days["Cursor"][day] for day in daily("cursor")} == daily("cursor")
    assert {day: both_days["Claude Code"][day] for day in daily("claude_code")} == daily("claude_code")
