"""F6: a malformed or never-ending page 2 of one day D fails the run loudly, and a re-run repairs it.

The provider asks for 1000 records a page, so a simulated day has one page: an `endless` fault on
day D's first page (the `after`-th usage request, days being fetched in order) gives it a second
page, and the next fault in the queue breaks that one. That page lies past the day's records, so
the `record` and `currency` variants (which break a record) fall back to a page of the wrong
shape. The `endless` variant keeps handing out fresh cursors until the client's page cap. In every
case: the run failed naming D and the page, D was not asked again, nothing after D was asked, the
days before D are exact, nothing of D or later was stored, the owner got exactly one alert e-mail;
after the fault is cleared a backfill of [D, end] makes the whole window exact.
"""

from __future__ import annotations

import random

import pytest
from sqlmodel import Session, select

from orgonaut.ai_tooling import sync
from orgonaut.db import get_engine
from orgonaut.integrations.models import SyncStatus
from orgonaut.notify.models import EmailOutbox
from orgonaut.tenancy.models import Role
from tests.factories import make_user
from tests.failover.test_sync_faults import USAGE, _reaped_and_settled, backfill, days, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import wait_for
from tests.support import oracle
from tests.support.smtp import shared_server

pytestmark = pytest.mark.timeout(120)
VARIANTS = ["json", "shape", "record", "currency", "endless"]


def _outbox(tenant_id: int) -> list[EmailOutbox]:
    with Session(get_engine()) as fresh:
        return list(fresh.exec(select(EmailOutbox).where(EmailOutbox.tenant_id == tenant_id)).all())


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_bad_page_two_of_one_day_fails_naming_it_then_a_rerun_is_exact(
    session, placed, clean_simulator, celery_worker_process, variant  # noqa: F811
):
    owner = make_user(session, placed, role=Role.owner)
    session.commit()
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(8)
    d = random.Random(variant).randrange(1, len(window) - 1)  # one day, neither the first nor the last
    day = window[d]
    if variant == "endless":
        faults = [{"mode": "endless", "path": USAGE, "after": d}]
    else:
        faults = [{"mode": "endless", "path": USAGE, "after": d, "count": 1},
                  {"mode": "malformed", "variant": variant, "path": USAGE, "count": 1}]
    clean_simulator.set_faults(faults)
    smtp = shared_server()
    smtp.clear()

    failed = sync.run_foreground(log_id=backfill(session, integration, window[0], window[-1], enqueue=False).id)

    requests = clean_simulator.requests()
    clean_simulator.clear_faults()
    assert failed.status == SyncStatus.failed
    assert day.isoformat() in failed.error_message, failed.error_message
    assert "page" in failed.error_message
    assert [e["date"] for e in failed.diagnostics["errors"]] == [day.isoformat()]
    assert (failed.days_done, failed.checkpoint_date) == (d, window[d - 1])
    assert failed.diagnostics["affected_records"]["dates"][0] == day.isoformat()
    pages_of_d = [r for r in requests if r["query"].get("starting_at") == day.isoformat()]
    if variant == "endless":
        assert "runs past 1000 pages" in failed.error_message
        assert len(pages_of_d) == 1000
    else:
        assert len(pages_of_d) == 2  # a malformed page is final: not asked again
    assert not any(r["query"].get("starting_at") > day.isoformat() for r in requests)  # nothing after D asked
    stored = oracle.stored_totals(placed.id)
    assert stored == oracle.vendor_totals(clean_simulator.base_url, window[:d])  # before D exact, nothing >= D
    wait_for(lambda: all(e.status != "pending" for e in _outbox(placed.id)), timeout=30, what="alerts sent")
    alerts = [e for e in _outbox(placed.id) if e.to_address == owner.email]
    assert len(alerts) == 1  # one alert, sent once
    assert len([m for m in smtp.settle(0.5) if m.to == owner.email]) == len(alerts)

    rerun = sync.run_foreground(log_id=backfill(session, integration, day, window[-1], enqueue=False).id)

    assert rerun.status == SyncStatus.succeeded, rerun.error_message
    assert rerun.days_done == len(window) - d
    stored = oracle.stored_totals(placed.id)
    assert stored == oracle.vendor_totals(clean_simulator.base_url, window)
    # The oracle's other parts; the re-run's counters cover its own days only.
    assert rerun.records_fetched == rerun.records_upserted == len([k for k in stored if k[1] >= day])
    wait_for(lambda: _reaped_and_settled(placed.id), timeout=90, what="owed refreshes worked off")
    assert oracle.owed_refreshes(placed.id) == 0
    rollups = oracle.rollup_rows(placed.id)
    assert rollups[0] and rollups == oracle.rebuilt_rollup_rows(placed.id)
