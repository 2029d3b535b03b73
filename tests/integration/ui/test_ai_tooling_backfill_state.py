"""The AI Tooling page's backfill rules and Cancel, driven in-process like the other page-state tests:
every refusal is said inline with its reason and queues nothing; a range over a year asks first (days and
requests) and Continue queues exactly that range; Cancel sets the run's cancel flag for an owner or admin
of its tenant only, and the page says "Cancelling…" until the run ends.

The clock stands at 2026-06-15 12:00 UTC, so the last complete day is 2026-06-14 and Claude Code's
earliest day (2025-01-01) leaves room for ranges over a year. Runs are never sent to a worker here
(`sent` reads what went to the broker).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling import sync
from orgonaut.db import get_engine
from orgonaut.errors import Conflict
from orgonaut.integrations.models import IntegrationSyncLog, SyncKind, SyncStatus
from orgonaut.tenancy.models import Role, User
from orgonaut.ui.pages.ai_tooling.backfill import BackfillState
from orgonaut.ui.pages.ai_tooling.cancel_run import CANCELLING, CancelRunState
from orgonaut.ui.pages.ai_tooling.run_detail import RunDetailState
from orgonaut.ui.pages.ai_tooling.state import NOT_ALLOWED
from orgonaut.ui.pages.ai_tooling.wizard import ConnectWizardState
from tests.integration.ui.test_ai_tooling_settings_state import (  # noqa: F401 - fixtures
    _connected,
    _open,
    _save,
    _tenant,
    _test_key,
    anthropic,
    released_locks,
)
from tests.support import celery_queue
from tests.support.simulator import VALID_KEY, clean_simulator, simulator  # noqa: F401 - fixtures

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
LAST_DAY = dt.date(2026, 6, 14)


pytestmark = pytest.mark.usefixtures("released_locks")


@pytest.fixture
def server(anthropic):  # noqa: F811 - the imported fixture
    """The Anthropic simulator, as the web process sees it."""
    return anthropic


@pytest.fixture
def frozen():
    with clock.frozen_at(NOW):
        yield


class SentRuns:
    """The runs whose first task went to the broker: read from the run's Celery queue on Redis, or,
    when the run's shared worker took the task first, from the integration's lock, which only a
    queued task's token holds (a foreground run's token says so)."""

    def __init__(self) -> None:
        celery_queue.empty_queue()

    def __eq__(self, other: object) -> bool:
        runs = {args[0] for name, args in celery_queue.queued_tasks() if name == sync.TASK_NAME}
        with Session(get_engine()) as fresh:
            for log in fresh.exec(select(IntegrationSyncLog)):
                holder = sync.IntegrationLock(log.integration_id).holder() or ""
                if holder.startswith(f"{log.id}:") and ":foreground-" not in holder:
                    runs.add(log.id)
        return sorted(runs) == other


@pytest.fixture
def sent():
    yield SentRuns()
    celery_queue.empty_queue()


def _logs(session: Session) -> list[IntegrationSyncLog]:
    session.expire_all()
    return list(session.exec(select(IntegrationSyncLog).order_by(IntegrationSyncLog.id)))


def _backfill_page(session: Session, anthropic_server):
    tenant, emails = _tenant(session)
    integration = _connected(session, tenant, anthropic_server.base_url)
    tab, page = _open(session, emails[Role.admin], dialog=BackfillState)
    page.open_backfill(integration.id)
    assert page.open_dialog == "backfill"
    return tenant, emails, integration, tab, page


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "message"),
    [
        # The case: ten years back, which would have filled every "All" chart with invented history.
        ({"start": "2016-06-15", "end": "2026-06-14"},
         "The start date (2016-06-15) is too early: Claude Code usage can be backfilled from 2025-01-01 at the "
         "earliest."),
        ({"start": "2024-12-31", "end": "2025-01-31"},
         "The start date (2024-12-31) is too early: Claude Code usage can be backfilled from 2025-01-01 at the "
         "earliest."),
        ({"start": "2026-06-01", "end": "2026-06-15"},
         "Today's usage is not complete yet: the last day you can sync is 2026-06-14."),
        ({"start": "2026-06-15", "end": "2026-06-15"},
         "Today's usage is not complete yet: the last day you can sync is 2026-06-14."),
        ({"start": "2026-06-01", "end": "2026-06-16"},
         "2026-06-16 is in the future: the latest day you can sync is today (2026-06-15)."),
        ({"start": "2026-13-01", "end": "2026-06-14"}, "The start date '2026-13-01' is not a date (YYYY-MM-DD)."),
        ({"start": "2026-06-14", "end": "2026-06-01"},
         "The end date (2026-06-01) is before the start date (2026-06-14)."),
    ],
)
def test_bad_backfill_input_is_refused_inline_and_queues_nothing(session, server, frozen, sent, form, message):
    _, _, integration, _, page = _backfill_page(session, server)
    assert page.run_backfill(form) is None
    assert page.backfill_error == message
    assert page.open_dialog == "backfill" and page.confirm_text == ""
    assert _logs(session) == [] and sent == []
    assert page.logs == []


def test_the_form_starts_at_the_last_complete_day_and_says_the_limits(session, server, frozen, sent):
    _, _, _, _, page = _backfill_page(session, server)
    assert page.backfill_end_default == "2026-06-14"
    assert page.backfill_start_default == "2026-05-16"  # 30 days
    assert "from 2025-01-01 to 2026-06-14 (today's usage is not complete yet)" in page.backfill_note


def test_a_configured_earliest_date_later_than_the_providers_wins(session, server, frozen, sent, monkeypatch):
    from orgonaut.settings import reset_settings_cache

    monkeypatch.setenv("ORGONAUT_AI_TOOLING_EARLIEST_DATE", "2026-06-01")
    reset_settings_cache()
    try:
        _, _, _, _, page = _backfill_page(session, server)
        page.run_backfill({"start": "2026-05-31", "end": "2026-06-14"})
        assert page.backfill_error == ("The start date (2026-05-31) is too early: Claude Code usage can be "
                                       "backfilled from 2026-06-01 at the earliest.")
        assert page.backfill_start_default == "2026-06-01"  # the default window is clamped to it
        assert _logs(session) == [] and sent == []
    finally:
        monkeypatch.undo()
        reset_settings_cache()


# --- the confirmation ---------------------------------------------------------------------------


QUESTION_530 = "This backfill covers 530 days and takes at least 530 requests to the Anthropic API. Continue?"


def test_a_backfill_over_a_year_asks_first_and_continue_queues_that_range(
    session, server, frozen, sent,
):
    _, _, integration, _, page = _backfill_page(session, server)
    long_range = {"start": "2025-01-01", "end": "2026-06-14"}
    assert page.run_backfill(long_range) is None
    assert page.confirm_text == QUESTION_530
    assert page.backfill_error == "" and page.open_dialog == "backfill"
    assert _logs(session) == [] and sent == []

    # Change dates: back to the form, nothing queued; the same range asks again.
    page.change_dates()
    assert page.confirm_text == ""
    page.run_backfill(long_range)
    assert page.confirm_text == QUESTION_530

    # Dates changed while the question stood: the new range is asked about, not queued.
    page.run_backfill({"start": "2025-01-02", "end": "2026-06-14"})
    assert page.confirm_text == (
        "This backfill covers 529 days and takes at least 529 requests to the Anthropic API. Continue?")
    assert _logs(session) == [] and sent == []

    # Continue (the same range as the question): queued, the dialog closes, the watcher starts.
    events = page.run_backfill({"start": "2025-01-02", "end": "2026-06-14"})
    assert "Backfill queued: 529 days." in repr(events) and "watch_runs" in repr(events)
    assert page.open_dialog == "" and page.confirm_text == "" and page.backfill_error == ""
    [log] = _logs(session)
    assert (log.kind, log.window_start, log.window_end, log.days_total) == (
        "backfill", dt.date(2025, 1, 2), LAST_DAY, 529)
    assert log.status in (SyncStatus.queued, SyncStatus.running)  # the run's shared worker may have begun
    assert log.integration_id == integration.id and sent == [log.id]
    assert [row.id for row in page.logs] == [log.id]


def test_a_year_or_less_needs_no_question(session, server, frozen, sent):
    _, _, _, _, page = _backfill_page(session, server)
    events = page.run_backfill({"start": (LAST_DAY - dt.timedelta(days=365)).isoformat(), "end": "2026-06-14"})
    assert page.confirm_text == "" and "Backfill queued: 366 days." in repr(events)
    assert [log.days_total for log in _logs(session)] == [366]


def test_the_wizards_backfill_offer_follows_the_same_rules(session, server, frozen, sent):
    _, emails = _tenant(session)
    tab, wizard = _open(session, emails[Role.admin], dialog=ConnectWizardState)
    wizard.open_connect("claude_code")
    wizard.submit_credentials({"api_key": VALID_KEY})
    wizard.submit_targets()
    _test_key(wizard)
    _save(wizard)
    assert wizard.wizard_step == "saved" and wizard.open_dialog == "wizard"
    backfill = tab.state(BackfillState)
    assert backfill.backfill_end_default == "2026-06-14"
    backfill.run_backfill({"start": "2026-06-10", "end": "2026-06-15"})
    assert backfill.backfill_error == "Today's usage is not complete yet: the last day you can sync is 2026-06-14."
    backfill.run_backfill({"start": "2025-01-01", "end": "2026-06-14"})
    assert backfill.confirm_text == QUESTION_530 and wizard.open_dialog == "wizard"
    assert _logs(session) == [] and sent == []
    events = backfill.run_backfill({"start": "2025-01-01", "end": "2026-06-14"})
    assert "Backfill queued: 530 days." in repr(events) and wizard.open_dialog == ""
    assert [log.days_total for log in _logs(session)] == [530]


# --- Cancel ---------------------------------------------------------------------------------------


def _running_backfill(session: Session, anthropic_server):
    tenant, emails, integration, tab, page = _backfill_page(session, anthropic_server)
    # The run's shared worker may take the task at once: its first day waits, so the run stays active.
    anthropic_server.set_fault(mode="slow", delay=5, path="/v1/organizations/usage_report/claude_code")
    page.run_backfill({"start": "2026-05-01", "end": "2026-06-14"})
    [log] = _logs(session)
    return tenant, emails, log, tab


def test_cancel_asks_then_sets_the_flag_and_the_row_says_cancelling(session, server, frozen, sent):
    _, _, log, tab = _running_backfill(session, server)
    cancel = tab.state(CancelRunState)
    [row] = cancel.logs
    assert row.active and row.cancellable and not row.cancelling

    assert cancel.open_cancel(log.id) is None
    assert cancel.open_dialog == "cancel" and cancel.cancel_window == "2026-05-01 → 2026-06-14"
    assert _logs(session)[0].cancel_requested_at is None  # asking is not cancelling
    events = cancel.confirm_cancel()
    assert CANCELLING in repr(events) and "watch_runs" in repr(events)
    assert cancel.open_dialog == ""
    [stored] = _logs(session)
    assert stored.cancel_requested_at == NOW
    # The run itself stops it, before its next day (a worker may have started its first one).
    assert stored.status in (SyncStatus.queued, SyncStatus.running)
    [row] = cancel.logs
    assert row.active and row.cancelling and not row.cancellable
    run = tab.state(RunDetailState)
    run.open_run(log.id)
    assert run.run.cancelling

    # Asking again changes nothing (the first request's time stays).
    with clock.frozen_at(NOW + dt.timedelta(minutes=5)):
        cancel.open_cancel(log.id)
        cancel.confirm_cancel()
    assert _logs(session)[0].cancel_requested_at == NOW


def test_cancel_is_refused_to_members_and_to_other_tenants(session, server, frozen, sent):
    _, emails, log, _ = _running_backfill(session, server)
    member_tab, _ = _open(session, emails[Role.member])
    member = member_tab.state(CancelRunState)
    assert NOT_ALLOWED in repr(member.open_cancel(log.id)) and member.open_dialog == ""
    # A forged confirm (no dialog opened) is refused too.
    member.open_dialog, member._cancel_log_id = "cancel", log.id
    assert NOT_ALLOWED in repr(member.confirm_cancel())

    _, other_emails = _tenant(session)
    other_tab, _ = _open(session, other_emails[Role.admin])
    other = other_tab.state(CancelRunState)
    assert f"Sync log {log.id} was not found." in repr(other.open_cancel(log.id))
    other.open_dialog, other._cancel_log_id = "cancel", log.id
    assert f"Sync log {log.id} was not found." in repr(other.confirm_cancel())
    assert _logs(session)[0].cancel_requested_at is None


def test_a_finished_run_cannot_be_cancelled(session, server, frozen, sent):
    # A run no task was sent for, so no worker writes it while the test finishes it by hand (a worker
    # that took a real run could write "running" over the test's "succeeded").
    _, emails, integration, tab, page = _backfill_page(session, server)
    page.open_dialog = ""  # the admin closed the backfill dialog
    log = IntegrationSyncLog(tenant_id=integration.tenant_id, integration_id=integration.id, kind=SyncKind.backfill,
                             window_start=dt.date(2026, 5, 1), window_end=dt.date(2026, 6, 14), days_total=45,
                             status=SyncStatus.succeeded, started_at=NOW, finished_at=NOW)
    session.add(log)
    session.commit()
    cancel = tab.state(CancelRunState)
    message = f"Run {log.id} has already finished (succeeded): there is nothing to cancel."
    assert message in repr(cancel.open_cancel(log.id)) and cancel.open_dialog == ""
    cancel.open_dialog, cancel._cancel_log_id = "cancel", log.id  # the dialog was open when it finished
    assert message in repr(cancel.confirm_cancel())
    assert _logs(session)[0].cancel_requested_at is None
    admin = session.exec(select(User).where(User.email == emails[Role.admin])).one()
    with pytest.raises(Conflict, match="nothing to cancel"):
        ai_tooling.cancel_run(session=session, tenant_id=admin.tenant_id, user=admin, log_id=log.id)
