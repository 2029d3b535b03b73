"""The AI Tooling settings page's state, driven in-process against a real database, Redis and the
Anthropic simulator over HTTP: access and plan refusals in every handler, the connect wizard (format
check, targets, test, save only after a successful test of that exact key, the key never in public
state), 401/403 guidance, inline backfill refusals, ?run= details, and the unmatched e-mail actions.

Background handlers (Test connection, Save) are driven through their begin / provider call / end
steps, the same functions the handler awaits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, select

from orgonaut import wiring
from orgonaut.ai_tooling import run_control, sync
from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers import registry
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncStatus
from orgonaut.org import queries as org_queries
from orgonaut.org import service as org
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.rollups import queries as rollup_queries
from orgonaut.rollups import queue as rollup_queue
from orgonaut.settings import reset_settings_cache
from orgonaut.tenancy.models import Plan, Role, Tenant
from orgonaut.ui import routes
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.ai_tooling import state as page_state
from orgonaut.ui.pages.ai_tooling import unmatched as unmatched_dialogs
from orgonaut.ui.pages.ai_tooling import wizard as wizard_dialog
from orgonaut.ui.pages.ai_tooling.backfill import BackfillState
from orgonaut.ui.pages.ai_tooling.disconnect import DisconnectState
from orgonaut.ui.pages.ai_tooling.run_detail import RunDetailState
from orgonaut.ui.pages.ai_tooling.state import NOT_ALLOWED, AiToolingSettingsState
from orgonaut.ui.pages.ai_tooling.targets import TargetingState
from orgonaut.ui.pages.ai_tooling.unmatched import UnmatchedState
from orgonaut.ui.pages.ai_tooling.wizard import ConnectWizardState
from tests.factories import make_tenant, make_user
from tests.integration.ui.conftest import Tab, login_token
from tests.support.simulator import (  # noqa: F401 - fixtures
    NO_PERMISSION_KEY,
    REVOKED_KEY,
    VALID_KEY,
    clean_simulator,
    simulator,
)

ORGANISATION = "Orgonaut Demo (simulated)"


@pytest.fixture
def anthropic(clean_simulator, monkeypatch):  # noqa: F811
    """The web process's view of the Anthropic API: the simulator, through ANTHROPIC_API_BASE."""
    monkeypatch.setenv("ANTHROPIC_API_BASE", clean_simulator.base_url)
    reset_settings_cache()
    yield clean_simulator
    monkeypatch.undo()
    reset_settings_cache()


@pytest.fixture
def released_locks():
    """Runs queued here never meet a worker: free their integration locks so later tests start clean."""
    yield
    from orgonaut.db import session_scope

    with session_scope() as session:
        for integration in session.exec(select(Integration)):
            lock = sync.IntegrationLock(integration.id)
            holder = lock.holder()
            if holder:
                lock.release(holder)


def _tenant(session: Session, plan: Plan = Plan.business) -> tuple[Tenant, dict[Role, str]]:
    tenant = make_tenant(session, plan=plan)
    emails = {role: make_user(session, tenant, role=role).email for role in Role}
    session.commit()
    return tenant, emails


def _open(session: Session, email: str, path: str = routes.AI_TOOLING_SETTINGS, dialog=None) -> tuple[Tab, Any]:
    """Loads the page in a new tab; the page state, or the substate of `dialog` (which reads and writes the
    page's vars, e.g. `open_dialog`, through inheritance)."""
    tab = Tab(login_token(session, email))
    page = tab.open(AiToolingSettingsState, routes.AI_TOOLING_SETTINGS, path)
    return tab, (page if dialog is None else tab.state(dialog))


def _public_json(tab: Tab) -> str:
    """Everything Reflex would send to the browser for this tab."""
    return json.dumps(tab.root.dict(), default=str)


def _test_key(page: ConnectWizardState) -> None:
    job = page._begin_key_test()
    assert job is not None, page.test_error
    page._end_key_test(job, wizard_dialog._test_key(job))


def _save(page: ConnectWizardState) -> None:
    job = page._begin_save()
    assert job is not None, page.save_error
    page._end_save(job, wizard_dialog._save_key(job))


def _connected(session: Session, tenant: Tenant, api_base: str) -> Integration:
    integration = ai_tooling.connect(session=session, tenant_id=tenant.id, provider="claude_code",
                                     credentials={"api_key": VALID_KEY}, api_base=api_base)
    session.commit()
    return integration


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.manager, Role.member, Role.viewer])
def test_roles_without_the_ability_see_nothing_and_every_handler_refuses(session, role, anthropic):
    tenant, emails = _tenant(session)
    integration = _connected(session, tenant, anthropic.base_url)
    anthropic.reset()
    tab, page = _open(session, emails[role])
    assert page.page_checked and not page.page_allowed
    assert page.providers == [] and page.logs == [] and page.unmatched == []
    wizard, backfill = tab.state(ConnectWizardState), tab.state(BackfillState)

    for spec in (wizard.open_connect("claude_code"), page.sync_now(integration.id), page.pause(integration.id),
                 tab.state(DisconnectState).open_disconnect(integration.id), backfill.open_backfill(integration.id),
                 tab.state(RunDetailState).open_run(1), wizard.open_replace_key(integration.id)):
        assert NOT_ALLOWED in repr(spec)
    backfill.run_backfill({"start": "2025-01-01", "end": "2025-01-02"})
    assert backfill.backfill_error == NOT_ALLOWED
    wizard.submit_credentials({"api_key": VALID_KEY})
    assert wizard.key_error == NOT_ALLOWED and wizard._pending_credentials == ""
    assert wizard._begin_key_test() is None and wizard.test_error == NOT_ALLOWED
    session.expire_all()
    assert session.get(Integration, integration.id).status == IntegrationStatus.active
    assert session.exec(select(IntegrationSyncLog)).all() == []
    assert anthropic.requests(path=None) == []


@pytest.mark.parametrize("role", [Role.owner, Role.admin])
def test_owners_and_admins_see_the_provider_cards(session, role):
    tenant, emails = _tenant(session)
    _, page = _open(session, emails[role])
    assert page.page_allowed and page.plan_ok
    assert [(p.name, p.available, p.integration_id) for p in page.providers] == [
        ("Claude Code", True, 0), ("Cursor", True, 0), ("GitHub Copilot", True, 0), ("Codex", True, 0),
        ("Claude Enterprise", True, 0)]
    assert page.logs == [] and page.unmatched == []


def test_a_plan_without_ai_tooling_gets_the_upgrade_notice_and_no_actions(session, anthropic):
    tenant, emails = _tenant(session, plan=Plan.business)
    integration = _connected(session, tenant, anthropic.base_url)
    tenant.plan = Plan.team
    session.add(tenant)
    session.commit()
    _, page = _open(session, emails[Role.owner])
    assert page.page_allowed and not page.plan_ok
    assert (page.plan_name, page.plans_text) == ("team", "business, enterprise and agency")
    assert page.providers == []
    refusal = "does not include AI Tooling usage sync (available on business, enterprise, agency)"
    assert refusal in repr(page.sync_now(integration.id))
    assert refusal in repr(page.get_substate([ConnectWizardState.get_name()]).open_connect("claude_code"))
    assert refusal in repr(page.pause(integration.id))
    session.expire_all()
    assert session.get(Integration, integration.id).status == IntegrationStatus.active
    assert session.exec(select(IntegrationSyncLog)).all() == []


# --- the wizard ---------------------------------------------------------------------------------


def test_connect_wizard_checks_the_format_targets_tests_and_saves_without_exposing_the_key(session, anthropic):
    tenant, emails = _tenant(session)
    reorg = org.create_scenario(session=session, tenant_id=tenant.id, name="Reorg")
    old = org.create_scenario(session=session, tenant_id=tenant.id, name="Old plan")
    org.archive_scenario(session=session, tenant_id=tenant.id, scenario_id=old.id)
    org.create_snapshot(session=session, tenant_id=tenant.id, name="Snap")
    session.commit()
    tab, page = _open(session, emails[Role.admin], dialog=ConnectWizardState)
    # Only active scenarios are offered.
    assert [(o.value, o.label) for o in page.scenario_options] == [(str(reorg.id), "Reorg")]

    page.open_connect("claude_code")
    assert page.open_dialog == "wizard" and page.wizard_step == "key"
    assert page.wizard_step_text == "Step 1 of 3: Admin API key"
    # A malformed key is refused before anything is sent.
    page.submit_credentials({"api_key": "sk-ant-wrong-key"})
    assert page.key_error == registry.PROVIDERS["claude_code"].key_hint
    assert "Anthropic Console under Settings → Admin API keys" in page.key_error
    page.submit_credentials({"api_key": "sk-ant-api03-not-an-admin-key"})  # an API key, mistaken for the other
    assert page.key_error.startswith("That is an Anthropic API key (sk-ant-api…), which calls models")
    assert page.wizard_step == "key" and page._pending_credentials == ""
    assert anthropic.requests(path=None) == []

    page.submit_credentials({"api_key": f"  {VALID_KEY} "})
    assert page.key_error == "" and page.wizard_step == "targets"
    assert page._pending_credentials.startswith("fernet:") and VALID_KEY not in page._pending_credentials

    page.set_target_baseline(False)
    page.submit_targets()
    assert page.targets_error.startswith("Choose where usage data applies") and page.wizard_step == "targets"
    page.target_scenarios = [str(old.id)]  # what a forged event could send
    page.submit_targets()
    assert "archived" in page.targets_error and page.wizard_step == "targets"
    page.target_scenarios = []
    page.toggle_target_scenario(str(reorg.id), True)
    page.set_target_baseline(True)
    page.set_target_all_future(True)
    page.submit_targets()
    assert page.targets_error == "" and page.wizard_step == "test"

    # Save needs a successful test first.
    assert not page.can_save and page._begin_save() is None
    assert page.save_error.startswith("Test the connection with this key first")
    _test_key(page)
    assert page.test_ok and page.test_org_name == ORGANISATION and page.can_save
    # One save at a time: a second click while the first runs does nothing.
    job = page._begin_save()
    assert job is not None and page.saving and not page.can_save
    assert page._begin_save() is None and page._begin_key_test() is None
    page._end_save(job, wizard_dialog._save_key(job))
    assert page.wizard_step == "saved" and page.saved_org_name == ORGANISATION
    assert page._pending_credentials == "" and page.test_ok is False

    session.expire_all()
    [integration] = session.exec(select(Integration).where(Integration.tenant_id == tenant.id)).all()
    assert (integration.status, integration.target_baseline, integration.target_scenario_ids,
            integration.target_all_future, integration.organization_name) == (
        IntegrationStatus.active, True, [reorg.id], True, ORGANISATION)
    assert integrations.read_config(integration)["api_key"] == VALID_KEY
    [card] = [p for p in page.providers if p.key == "claude_code"]
    assert (card.integration_id, card.status, card.status_color, card.organization_name) == (
        integration.id, "active", "green", ORGANISATION)
    assert card.status_meaning == "Connector is live and syncing nightly."
    assert card.targets == ["Live Baseline", "Reorg", "All future scenarios"]
    # The key is in nothing Reflex sends to the browser, before or after saving.
    assert VALID_KEY not in _public_json(tab)

    # The wizard offers a backfill; "Not now" closes it.
    page.skip_backfill()
    assert page.open_dialog != "wizard" and page._dialog_integration_id == 0


def test_save_needs_a_successful_test_of_this_exact_key(session, anthropic):
    tenant, emails = _tenant(session)
    _, page = _open(session, emails[Role.owner], dialog=ConnectWizardState)
    page.open_connect("claude_code")
    page.submit_credentials({"api_key": VALID_KEY})
    page.submit_targets()
    _test_key(page)
    assert page.can_save
    # Another key: the earlier test does not count for it.
    page.use_another_key()
    page.submit_credentials({"api_key": "sk-ant-admin01-another-key-1111"})
    page.submit_targets()
    assert not page.test_ok and not page.can_save
    assert page._begin_save() is None
    # A test result that arrives for an earlier key is dropped.
    page.use_another_key()
    page.submit_credentials({"api_key": VALID_KEY})
    page.submit_targets()
    job = page._begin_key_test()
    page.use_another_key()
    page._end_key_test(job, wizard_dialog._test_key(job))
    assert not page.test_ok and page._tested_version == -1
    # Cancel forgets the key.
    page.submit_credentials({"api_key": VALID_KEY})
    page.set_wizard_open(False)
    assert page._pending_credentials == "" and page.open_dialog != "wizard"
    session.expire_all()
    assert session.exec(select(Integration).where(Integration.tenant_id == tenant.id)).all() == []


@pytest.mark.parametrize(
    ("key", "guidance"),
    [
        (REVOKED_KEY, "Invalid or revoked Admin API key: generate a new key in the Anthropic Console"),
        (NO_PERMISSION_KEY, "The key lacks organisation-level permissions: check the key's scopes in the "
                            "Anthropic Console."),
    ],
)
def test_a_failed_test_shows_the_guidance_and_save_stays_off(session, anthropic, key, guidance):
    _, emails = _tenant(session)
    tab, page = _open(session, emails[Role.admin], dialog=ConnectWizardState)
    page.open_connect("claude_code")
    page.submit_credentials({"api_key": key})
    page.submit_targets()
    _test_key(page)
    assert not page.test_ok and not page.can_save
    assert page.test_error.startswith("Test connection failed: ") and guidance in page.test_error
    assert key not in _public_json(tab)


def test_a_faulted_provider_shows_try_again(session, anthropic):
    _, emails = _tenant(session)
    _, page = _open(session, emails[Role.admin], dialog=ConnectWizardState)
    page.open_connect("claude_code")
    page.submit_credentials({"api_key": VALID_KEY})
    page.submit_targets()
    anthropic.set_fault(status=401, count=1)
    _test_key(page)
    assert "Invalid or revoked Admin API key" in page.test_error
    anthropic.set_fault(status=403, count=1)
    _test_key(page)
    assert "organisation-level permissions" in page.test_error
    _test_key(page)
    assert page.test_ok


def test_replace_key_goes_through_the_same_test(session, anthropic):
    tenant, emails = _tenant(session)
    integration = _connected(session, tenant, anthropic.base_url)
    _, page = _open(session, emails[Role.admin], dialog=ConnectWizardState)
    page.open_replace_key(integration.id)
    assert page.wizard_mode == "replace" and page.wizard_step_text == "Step 1 of 2: Admin API key"
    page.submit_credentials({"api_key": REVOKED_KEY})
    assert page.wizard_step == "test"
    _test_key(page)
    assert "Invalid or revoked" in page.test_error and page._begin_save() is None
    page.use_another_key()
    new_key = "sk-ant-admin01-replacement-2222"
    page.submit_credentials({"api_key": new_key})
    _test_key(page)
    _save(page)
    assert page.open_dialog != "wizard" and page._pending_credentials == ""
    session.expire_all()
    assert integrations.read_config(session.get(Integration, integration.id))["api_key"] == new_key


# --- manage -------------------------------------------------------------------------------------


def test_backfill_refusals_are_inline_and_change_nothing(session, anthropic, released_locks):
    tenant, emails = _tenant(session)
    integration = _connected(session, tenant, anthropic.base_url)
    _, page = _open(session, emails[Role.admin], dialog=BackfillState)
    page.open_backfill(integration.id)
    assert page.open_dialog == "backfill"
    today = run_control._today()
    cases = [
        ({"start": "", "end": "2025-01-02"}, "Enter the start date."),
        ({"start": "2025-01-02", "end": ""}, "Enter the end date."),
        ({"start": "2025-01-10", "end": "2025-01-02"},
         "The end date (2025-01-02) is before the start date (2025-01-10)."),
        ({"start": today.isoformat(), "end": (today + dt.timedelta(days=1)).isoformat()},
         f"{today + dt.timedelta(days=1)} is in the future: the latest day you can sync is today ({today})."),
    ]
    for form, message in cases:
        page.run_backfill(form)
        assert page.backfill_error == message and page.open_dialog == "backfill"
    assert session.exec(select(IntegrationSyncLog)).all() == []

    # The last day vendors finished (yesterday, or the day before in the first hour after UTC midnight).
    end = min(today - dt.timedelta(days=1), sync.last_complete_day())
    start = end - dt.timedelta(days=29)
    events = page.run_backfill({"start": start.isoformat(), "end": end.isoformat()})
    assert page.backfill_error == "" and page.open_dialog != "backfill"
    assert "Backfill queued: 30 days." in repr(events)
    [log] = page.logs
    # A worker started by an earlier test may already have picked the run up.
    assert (log.kind, log.active, log.days_total) == ("Backfill", True, 30)
    assert log.status in ("queued", "running")
    assert re.fullmatch(r"\d+ of 30 days", log.progress_text)
    # A second run while this one holds the integration is refused.
    assert sync.ALREADY_RUNNING in repr(page.sync_now(integration.id))


def test_pause_resume_disconnect_and_connect_again(session, anthropic):
    tenant, emails = _tenant(session)
    integration = _connected(session, tenant, anthropic.base_url)
    reorg = org.create_scenario(session=session, tenant_id=tenant.id, name="Reorg")
    ai_tooling.update_targeting(session=session, tenant_id=tenant.id, integration_id=integration.id, baseline=False,
                                scenario_ids=[reorg.id], all_future=True)
    session.commit()
    tab, page = _open(session, emails[Role.admin])
    page.pause(integration.id)
    assert (page.providers[0].status, page.providers[0].status_color) == ("paused", "amber")
    assert page.providers[0].status_meaning == "Connector is configured but sync is suspended."
    assert "paused" in repr(page.sync_now(integration.id))
    page.resume(integration.id)
    assert page.providers[0].status == "active"

    disconnect = tab.state(DisconnectState)
    disconnect.open_disconnect(integration.id)
    assert page.open_dialog == "disconnect" and disconnect.disconnect_name == "Claude Code"
    disconnect.confirm_disconnect()
    card = page.providers[0]
    assert (card.status, card.status_color, card.integration_id) == ("disconnected", "gray", integration.id)
    session.expire_all()
    stored = session.get(Integration, integration.id)
    assert stored.config_encrypted is None and stored.status == IntegrationStatus.disconnected
    # Connect again later: the wizard starts from where its data applied, and the same record comes back.
    page = tab.state(ConnectWizardState)
    page.open_connect("claude_code")
    assert (page.target_baseline, page.target_scenarios, page.target_all_future) == (False, [str(reorg.id)], True)
    page.submit_credentials({"api_key": VALID_KEY})
    page.submit_targets()
    _test_key(page)
    _save(page)
    session.expire_all()
    assert session.get(Integration, integration.id).status == IntegrationStatus.active


def test_edit_targeting(session, anthropic):
    tenant, emails = _tenant(session)
    reorg = org.create_scenario(session=session, tenant_id=tenant.id, name="Reorg")
    integration = _connected(session, tenant, anthropic.base_url)
    _, page = _open(session, emails[Role.admin], dialog=TargetingState)
    page.open_targeting(integration.id)
    assert (page.target_baseline, page.target_scenarios, page.target_all_future) == (True, [], False)
    page.set_target_baseline(False)
    page.save_targeting()
    assert page.targeting_error.startswith("Choose where usage data applies") and page.open_dialog == "targeting"
    page.toggle_target_scenario(str(reorg.id), True)
    page.save_targeting()
    assert page.open_dialog != "targeting" and page.providers[0].targets == ["Reorg"]
    session.expire_all()
    assert session.get(Integration, integration.id).target_scenario_ids == [reorg.id]


def test_other_tenants_ids_are_not_found(session, anthropic):
    tenant, emails = _tenant(session)
    other, _ = _tenant(session)
    foreign = _connected(session, other, anthropic.base_url)
    tab, page = _open(session, emails[Role.admin])
    for spec in (page.sync_now(foreign.id), page.pause(foreign.id),
                 tab.state(DisconnectState).open_disconnect(foreign.id),
                 tab.state(ConnectWizardState).open_replace_key(foreign.id)):
        assert f"Integration {foreign.id} was not found." in repr(spec)
    session.expire_all()
    assert session.get(Integration, foreign.id).status == IntegrationStatus.active


# --- View run -----------------------------------------------------------------------------------


def _failed_run(session: Session, tenant: Tenant, api_base: str, simulator_server) -> IntegrationSyncLog:
    integration = _connected(session, tenant, api_base)
    end = sync.last_complete_day()  # yesterday, or the day before in the hour after UTC midnight
    log = ai_tooling.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                    start=end - dt.timedelta(days=3), end=end, enqueue=False)
    session.commit()
    # Two days go through, then the key is refused.
    simulator_server.set_fault(status=401, after=2, path="/v1/organizations/usage_report/claude_code")
    return sync.run_foreground(log_id=log.id)


def test_run_query_parameter_opens_the_run_details(session, anthropic):
    tenant, emails = _tenant(session)
    log = _failed_run(session, tenant, anthropic.base_url, anthropic)
    assert log.status == SyncStatus.failed
    _, page = _open(session, emails[Role.admin], f"{routes.AI_TOOLING_SETTINGS}?run={log.id}", RunDetailState)
    assert page.open_dialog == "run" and page.run.id == log.id
    assert (page.run.kind, page.run.status, page.run.status_color) == ("Backfill", "failed", "red")
    # The card tells the failed attempt from the last success (none yet), and when the next sync runs (an
    # invalid key leaves it in error, still scheduled).
    [card] = [p for p in page.providers if p.name == "Claude Code"]
    assert card.last_sync_ago != "" and card.last_success_ago == ""
    assert re.fullmatch(r"(today|tomorrow) at 03:00 UTC", card.next_sync), card.next_sync
    assert "Invalid or revoked Admin API key" in page.run.error_message
    [error] = page.run_errors
    assert error.kind == "Invalid or revoked API key" and error.http_status == "401"
    days = [(d.date, d.result) for d in page.run_days]
    start = log.window_start
    assert days == [
        (start.isoformat(), "synced"), ((start + dt.timedelta(days=1)).isoformat(), "synced"),
        ((start + dt.timedelta(days=2)).isoformat(), "failed"), ((start + dt.timedelta(days=3)).isoformat(),
                                                                 "not synced")]
    assert page.run_affected_dates == [(start + dt.timedelta(days=n)).isoformat() for n in (2, 3)]
    # Each synced day shows the records and cost the connection holds for it, read here from the records.
    stored = session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.integration_id == log.integration_id)).all()
    for day in page.run_days:
        held = [r for r in stored if r.usage_date.isoformat() == day.date]
        assert (day.records, day.cost) == ((f"{len(held):,}", format_usd(sum((r.total_cost_cents for r in held),
                                                                            Decimal(0)))) if held else ("", ""))
    assert sum(1 for day in page.run_days if day.records) == 2
    [row] = page.logs
    assert (row.id, row.status, row.active, row.fetched) == (log.id, "failed", False, log.records_fetched)
    assert page.providers[0].status == "error" and "Invalid or revoked" in page.providers[0].last_error
    page.set_run_open(False)
    assert page.open_dialog != "run" and page.run_days == []


def test_another_tenants_run_does_not_open(session, anthropic):
    other, _ = _tenant(session)
    log = _failed_run(session, other, anthropic.base_url, anthropic)
    _, emails = _tenant(session)
    _, page = _open(session, emails[Role.admin], f"{routes.AI_TOOLING_SETTINGS}?run={log.id}", RunDetailState)
    assert page.open_dialog != "run" and page.run_days == []
    assert f"Sync log {log.id} was not found." in repr(page.open_run(log.id))


# --- unmatched e-mails --------------------------------------------------------------------------


@pytest.fixture
def rematching(_no_subscribers):
    """The web process installs the org-event wiring; so do these tests (inside the isolation)."""
    wiring.install()
    yield


def _synced_tenant(session: Session, api_base: str) -> tuple[Tenant, dict[Role, str]]:
    tenant, emails = _tenant(session)
    integration = _connected(session, tenant, api_base)
    end = sync.last_complete_day()  # yesterday, or the day before in the hour after UTC midnight
    log = ai_tooling.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                    start=end - dt.timedelta(days=6), end=end, enqueue=False)
    session.commit()
    assert sync.run_foreground(log_id=log.id).status == SyncStatus.succeeded
    return tenant, emails


def test_unmatched_emails_add_person_and_use_for_an_existing_person(session, anthropic, rematching):
    tenant, emails = _synced_tenant(session, anthropic.base_url)
    _, page = _open(session, emails[Role.admin], dialog=UnmatchedState)
    expected = ai_tooling.list_unmatched(session=session, tenant_id=tenant.id)
    assert [u.source_email for u in page.unmatched] == [u.source_email for u in expected]
    assert len(page.unmatched) >= 3
    api_rows = [u for u in page.unmatched if u.not_a_person == "API key"]
    assert [u.label for u in api_rows] == ["ci-pipeline"]
    assert unmatched_dialogs.NOT_A_PERSON_ACTOR in repr(page.open_add_person(api_rows[0].source_email))
    assert page.open_dialog != "add"
    # An API key maps to a robot or an agent: the dialog offers none of the people (this org has only people).
    page.open_link_person(api_rows[0].source_email)
    assert page.open_dialog == "link" and page.link_people == [] and page.link_email == "api-key:ci-pipeline"
    page.set_link_open(False)

    first, second = [u for u in page.unmatched if not u.not_a_person][:2]
    page.open_add_person(first.source_email)
    assert page.open_dialog == "add" and page.add_email == first.source_email
    page.save_add_person({"name": "", "email": first.source_email, "kind": "human", "fte": "1.00"})
    assert page.add_error != "" and page.open_dialog == "add"
    page.save_add_person({"name": "New Person", "email": first.source_email, "kind": "human", "fte": "1.00"})
    assert page.open_dialog != "add" and page.add_error == ""
    assert first.source_email not in [u.source_email for u in page.unmatched]
    session.expire_all()
    actor = session.exec(select(Actor).where(Actor.tenant_id == tenant.id, Actor.email == first.source_email)).one()
    records = session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.source_email == first.source_email,
                                                           AiToolUsageRecord.tenant_id == tenant.id)).all()
    assert records and {r.actor_id for r in records} == {actor.id}

    existing = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="Existing One",
                                email="old.address@example.test")
    session.commit()
    page.open_link_person(second.source_email)
    assert page.open_dialog == "link" and (str(existing.id), "Existing One · old.address@example.test") in [
        (o.value, o.label) for o in page.link_people]
    page.save_link_person({"person": ""})
    assert page.link_error == "Choose the person who uses this e-mail."
    page.save_link_person({"person": str(existing.id)})
    assert page.open_dialog != "link" and second.source_email not in [u.source_email for u in page.unmatched]
    session.expire_all()
    assert session.get(Actor, existing.id).email == "old.address@example.test"  # kept: the address is added
    linked = session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.source_email == second.source_email,
                                                          AiToolUsageRecord.tenant_id == tenant.id)).all()
    assert linked and {r.actor_id for r in linked} == {existing.id}
    assert session.exec(select(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant.id, col(AiToolUsageRecord.actor_id).is_(None),
        AiToolUsageRecord.source_email.in_([first.source_email, second.source_email]))).all() == []


def test_unmatched_actions_need_org_write_in_a_writable_scope(session, anthropic, rematching):
    tenant, emails = _synced_tenant(session, anthropic.base_url)
    _, page = _open(session, emails[Role.admin], dialog=UnmatchedState)
    email = next(u.source_email for u in page.unmatched if not u.not_a_person)
    # An admin holds org.write; a snapshot scope is read-only.
    snapshot = org.create_snapshot(session=session, tenant_id=tenant.id, name="Snap")
    session.commit()
    page.scope_cookie = f"{page._fingerprint()}:{snapshot.id}"
    spec = page.open_add_person(email)
    assert page_state.NOT_ALLOWED_PEOPLE in repr(spec) and page.open_dialog != "add"
    page.save_add_person({"name": "X", "email": email, "kind": "human", "fte": "1"})
    assert page.add_error == page_state.NOT_ALLOWED_PEOPLE
    session.expire_all()
    assert session.exec(select(Actor).where(Actor.email == email)).all() == []


def test_last_sync_reads_ago_with_the_exact_time_in_the_tenants_zone(session, anthropic):
    from orgonaut import clock

    tenant, emails = _tenant(session)
    tenant.timezone = "America/New_York"
    integration = _connected(session, tenant, anthropic.base_url)
    integration.last_sync_at = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC)
    session.add_all([tenant, integration])
    session.commit()
    with clock.frozen_at(dt.datetime(2025, 1, 15, 15, 20, tzinfo=dt.UTC)):
        _, page = _open(session, emails[Role.admin])
    card = page.providers[0]
    assert card.last_sync_ago == "3 hours ago"
    assert card.last_sync_exact == "2025-01-15 07:00:00 EST (America/New_York)"
    assert card.last_sync_iso == "2025-01-15T12:00:00+00:00"


def _record_costs(session: Session, tenant_id: int, *emails: str) -> tuple[int, Decimal]:
    """How many records and what cost the raw records of these addresses hold (Live)."""
    records = session.exec(select(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant_id, AiToolUsageRecord.scope_key == 0,
        col(AiToolUsageRecord.source_email).in_(emails))).all()
    return len(records), sum((r.total_cost_cents or Decimal(0) for r in records), Decimal(0))


def test_use_for_an_existing_person_keeps_their_own_usage_and_adds_the_address(session, anthropic, rematching):
    """Issue 15's bug: linking an unmatched address to a person replaced the person's e-mail, so all of
    their own usage became unmatched. The address is added as an identity; the primary e-mail stays."""
    tenant, emails = _synced_tenant(session, anthropic.base_url)
    own, other = [u.source_email for u in ai_tooling.list_unmatched(session=session, tenant_id=tenant.id)
                  if not u.not_a_person][:2]
    company = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="company", name="Co")
    team = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="team", name="Team",
                               parent_id=company.id)
    person = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="Owner Of Both",
                              email=own)
    org.create_placement(session=session, tenant_id=tenant.id, actor_id=person.id, org_unit_id=team.id,
                         start_date=dt.date(2020, 1, 1), is_primary=True)
    session.commit()
    session.expire_all()
    own_count, own_cost = _record_costs(session, tenant.id, own)
    other_count, other_cost = _record_costs(session, tenant.id, other)
    assert own_count and other_count

    _, page = _open(session, emails[Role.admin], dialog=UnmatchedState)
    page.open_link_person(other)
    page.save_link_person({"person": str(person.id)})
    assert page.link_error == "" and other not in [u.source_email for u in page.unmatched]
    assert own not in [u.source_email for u in page.unmatched]

    session.expire_all()
    assert session.get(Actor, person.id).email == own  # the primary e-mail stays
    matched = session.exec(select(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant.id, AiToolUsageRecord.actor_id == person.id)).all()
    assert len(matched) == own_count + other_count
    assert sum((r.total_cost_cents or Decimal(0) for r in matched), Decimal(0)) == own_cost + other_cost
    # The rollups agree once the owed refresh ran (what the worker does): the team's member row.
    while rollup_queue.run_owed(tenant_id=tenant.id, scenario_id=None).intents:
        pass
    session.expire_all()
    [member] = rollup_queries.team_member_breakdown(session=session, org_unit=session.get(OrgUnit, team.id),
                                                   range="all")
    assert member.actor_id == person.id and member.cost_cents == own_cost + other_cost


def test_ignore_hides_an_unmatched_email_and_undo_brings_it_back(session, anthropic, rematching):
    tenant, emails = _synced_tenant(session, anthropic.base_url)
    _, page = _open(session, emails[Role.admin], dialog=UnmatchedState)
    listed = [u.source_email for u in page.unmatched]
    target = next(u for u in page.unmatched if not u.not_a_person)

    toast = page.ignore_email(target.source_email)
    assert f"Ignored {target.source_email}: not an employee. Undo it under Ignored." in repr(toast)
    assert [u.source_email for u in page.unmatched] == [e for e in listed if e != target.source_email]
    assert [(u.source_email, u.record_count, u.total_cost) for u in page.ignored] == [
        (target.source_email, target.record_count, target.total_cost)]
    assert "already ignored" in repr(page.ignore_email(target.source_email))

    toast = page.unignore_email(target.source_email)
    assert f"{target.source_email} is listed as unmatched again." in repr(toast)
    assert [u.source_email for u in page.unmatched] == listed and page.ignored == []
    # Managers and members may not manage AI Tooling: refused, nothing ignored.
    _, other = _open(session, emails[Role.member], dialog=UnmatchedState)
    other.ignore_email(target.source_email)
    assert ai_tooling.list_ignored(session=session, tenant_id=tenant.id) == []


def test_add_person_asks_for_a_team_and_places_them_there(session, anthropic, rematching):
    tenant, emails = _synced_tenant(session, anthropic.base_url)
    company = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="company", name="Co")
    team = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="team", name="Payments",
                               parent_id=company.id)
    session.commit()
    _, page = _open(session, emails[Role.admin], dialog=UnmatchedState)
    email = next(u.source_email for u in page.unmatched if not u.not_a_person)
    page.open_add_person(email)
    assert [(o.value, o.label) for o in page.add_teams] == [(str(team.id), "Payments")]
    form = {"name": "New Person", "email": email, "kind": "human", "fte": "1.00"}
    page.save_add_person(form)
    assert page.add_error == "Choose the team this person works in, so their cost counts in its numbers."
    assert page.open_dialog == "add"
    page.save_add_person({**form, "team": str(team.id)})
    assert page.add_error == "" and page.open_dialog != "add"
    session.expire_all()
    actor = session.exec(select(Actor).where(Actor.tenant_id == tenant.id, Actor.email == email)).one()
    first_day = min(r.usage_date for r in session.exec(select(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant.id, AiToolUsageRecord.source_email == email)))
    [placement] = org_queries.placements_of_actor(session=session, actor_id=actor.id)
    assert (placement[1].id, placement[0].start_date, placement[0].is_primary) == (team.id, first_day, True)
