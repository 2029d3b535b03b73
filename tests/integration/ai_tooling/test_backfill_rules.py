"""The backfill input rules and cancelling a run, in `ai_tooling.service` (what the page and the CLI call):
the earliest day (the setting, or the provider's own where later), no partial day, a confirmation for a
range over a year, and `cancel_run`'s flag with its refusals. A refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from orgonaut import clock
from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.providers import registry
from orgonaut.cli import app
from orgonaut.errors import Conflict, Forbidden, NotFound, ValidationFailed
from orgonaut.integrations.models import IntegrationSyncLog, SyncStatus
from orgonaut.settings import reset_settings_cache
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.ai_tooling.conftest import connect

NOW = dt.datetime(2026, 6, 15, 1, 30, tzinfo=dt.UTC)  # the 14th (UTC) ended and is served (after an hour)
LAST_DAY = dt.date(2026, 6, 14)


@pytest.fixture
def frozen():
    with clock.frozen_at(NOW):
        yield


@pytest.fixture
def earliest(monkeypatch):
    def configure(value: str) -> None:
        monkeypatch.setenv("ORGONAUT_AI_TOOLING_EARLIEST_DATE", value)
        reset_settings_cache()

    yield configure
    monkeypatch.undo()
    reset_settings_cache()


def logs(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(IntegrationSyncLog)).one()


def test_claude_code_declares_its_earliest_day():
    assert registry.get_provider_info("claude_code").earliest_date == dt.date(2025, 1, 1)
    assert registry.get_provider_info("cursor").earliest_date is None


def test_the_earliest_day_is_the_setting_or_the_providers_own_where_later(earliest):
    assert service.earliest_backfill_date("claude_code") == dt.date(2025, 1, 1)  # default 2024-01-01 is earlier
    assert service.earliest_backfill_date("cursor") == dt.date(2024, 1, 1)
    earliest("2025-09-01")
    assert service.earliest_backfill_date("claude_code") == dt.date(2025, 9, 1)
    earliest("2020-01-01")
    assert service.earliest_backfill_date("claude_code") == dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (dt.date(2016, 6, 15), LAST_DAY, "The start date (2016-06-15) is too early: Claude Code usage can be "
                                         "backfilled from 2025-01-01 at the earliest."),
        (dt.date(2026, 6, 1), dt.date(2026, 6, 15),
         "Today's usage is not complete yet: the last day you can sync is 2026-06-14."),
        # Earlier rules first, with their own words.
        (dt.date(2026, 6, 2), dt.date(2026, 6, 1), "The end date (2026-06-01) is before the start date (2026-06-02)."),
        (dt.date(2026, 6, 1), dt.date(2026, 6, 16), "2026-06-16 is in the future"),
        (dt.date(2000, 1, 1), LAST_DAY, "A backfill covers at most 3660 days"),
    ],
)
def test_refused_ranges_say_why_and_write_nothing(session, tenant, clean_simulator, frozen, start, end, message):
    integration = connect(session, tenant, clean_simulator.base_url)
    with pytest.raises(ValidationFailed) as raised:
        service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id, start=start,
                               end=end, enqueue=False, confirmed=True)
    assert str(raised.value).startswith(message)
    assert not isinstance(raised.value, service.BackfillNeedsConfirmation)
    session.rollback()
    assert logs(session) == 0


def test_a_range_over_366_days_needs_confirmed(session, tenant, clean_simulator, frozen):
    integration = connect(session, tenant, clean_simulator.base_url)
    start = LAST_DAY - dt.timedelta(days=366)  # 367 days
    with pytest.raises(service.BackfillNeedsConfirmation) as raised:
        service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id, start=start,
                               end=LAST_DAY, enqueue=False)
    question = raised.value
    assert (question.days, question.requests) == (367, 367)
    assert str(question) == ("This backfill covers 367 days and takes at least 367 requests to the Anthropic API. "
                             "Continue?")
    session.rollback()
    assert logs(session) == 0

    # 366 days go without a question; with confirmed=True the longer one is queued.
    assert service.check_backfill(provider="claude_code", start=start + dt.timedelta(days=1), end=LAST_DAY).days == 366
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id, start=start,
                                 end=LAST_DAY, enqueue=False, confirmed=True)
    session.commit()
    assert (log.days_total, log.window_start, log.window_end) == (367, start, LAST_DAY)
    sync_lock_release(integration.id)


def sync_lock_release(integration_id: int) -> None:
    from orgonaut.ai_tooling import sync

    lock = sync.IntegrationLock(integration_id)
    holder = lock.holder()
    if holder:
        lock.release(holder)


def test_the_cli_asks_for_yes_on_a_long_backfill(session, tenant, clean_simulator, frozen):
    integration = connect(session, tenant, clean_simulator.base_url)
    args = ["ai-tooling", "backfill", "--integration", str(integration.id), "--start", "2025-01-01", "--end",
            LAST_DAY.isoformat(), "--queue"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: This backfill covers 530 days and takes at least 530 requests to the "
                                     "Anthropic API. Run again with --yes to start it.")
    assert logs(session) == 0
    result = CliRunner().invoke(app, [*args[:-1], "--start", "2026-06-01", "--end", "2026-06-15", "--queue"])
    assert "Today's usage is not complete yet: the last day you can sync is 2026-06-14." in result.stderr
    assert logs(session) == 0


# --- cancel -------------------------------------------------------------------------------------


@pytest.fixture
def queued(session, tenant, clean_simulator, frozen):
    integration = connect(session, tenant, clean_simulator.base_url)
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=dt.date(2026, 5, 1), end=LAST_DAY, enqueue=False)
    session.commit()
    yield log
    sync_lock_release(integration.id)


def test_cancel_sets_the_flag_once(session, tenant, queued):
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    cancelled = service.cancel_run(session=session, tenant_id=tenant.id, user=admin, log_id=queued.id)
    session.commit()
    assert cancelled.cancel_requested_at == NOW and cancelled.status == SyncStatus.queued
    with clock.frozen_at(NOW + dt.timedelta(hours=1)):
        again = service.cancel_run(session=session, tenant_id=tenant.id, user=admin, log_id=queued.id)
        session.commit()
    assert again.cancel_requested_at == NOW
    session.expire_all()
    assert session.get(IntegrationSyncLog, queued.id).cancel_requested_at == NOW


@pytest.mark.parametrize("role", [Role.owner, Role.admin])
def test_owners_and_admins_may_cancel(session, tenant, queued, role):
    user = make_user(session, tenant, role=role)
    session.commit()
    assert service.cancel_run(session=session, tenant_id=tenant.id, user=user, log_id=queued.id).cancel_requested_at


@pytest.mark.parametrize("role", [Role.manager, Role.member, Role.viewer])
def test_other_roles_may_not_cancel(session, tenant, queued, role):
    user = make_user(session, tenant, role=role)
    session.commit()
    with pytest.raises(Forbidden, match="Only owners and admins can manage AI Tooling integrations."):
        service.cancel_run(session=session, tenant_id=tenant.id, user=user, log_id=queued.id)
    session.rollback()
    assert session.get(IntegrationSyncLog, queued.id).cancel_requested_at is None


def test_another_tenants_run_is_not_found_and_finished_runs_conflict(session, tenant, queued):
    other = make_tenant(session)
    stranger = make_user(session, other, role=Role.admin)
    session.commit()
    with pytest.raises(NotFound, match=f"Sync log {queued.id} was not found."):
        service.cancel_run(session=session, tenant_id=other.id, user=stranger, log_id=queued.id)
    # Naming the run's tenant with a user of another tenant is refused as well.
    with pytest.raises(Forbidden):
        service.cancel_run(session=session, tenant_id=tenant.id, user=stranger, log_id=queued.id)
    session.rollback()
    assert session.get(IntegrationSyncLog, queued.id).cancel_requested_at is None

    admin = make_user(session, tenant, role=Role.admin)
    queued.status = SyncStatus.failed
    session.add(queued)
    session.commit()
    with pytest.raises(Conflict, match=f"Run {queued.id} has already finished \\(failed\\)"):
        service.cancel_run(session=session, tenant_id=tenant.id, user=admin, log_id=queued.id)
    session.rollback()
    assert session.get(IntegrationSyncLog, queued.id).cancel_requested_at is None
