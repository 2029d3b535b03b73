"""The sync logs in pages (`integrations.service.sync_log_page`) against brute force: 150 runs of three
integrations (one of them HRIS) in every status, several at the same moment (ties go by id), beside another
tenant's; every page under every filter equals a slice of the whole filtered list computed here."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlmodel import select

from orgonaut.errors import NotFound, ValidationFailed
from orgonaut.integrations import service
from orgonaut.integrations.models import Integration, IntegrationCategory, IntegrationSyncLog, SyncKind, SyncStatus
from orgonaut.paging import PageRequest
from tests.factories import make_tenant

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def logs(session):
    draw = random.Random(3)
    tenant, other = make_tenant(session), make_tenant(session)
    integrations = [Integration(tenant_id=t.id, category=c, provider=p) for t, c, p in (
        (tenant, IntegrationCategory.ai_tooling, "claude_code"), (tenant, IntegrationCategory.ai_tooling, "cursor"),
        (tenant, IntegrationCategory.hris, "personio"), (other, IntegrationCategory.ai_tooling, "claude_code"))]
    session.add_all(integrations)
    session.flush()
    rows = []
    for n in range(170):
        integration = integrations[3] if n >= 150 else draw.choice(integrations[:3])
        # Every third run starts at the same moment as the one before it.
        created = START + dt.timedelta(hours=n - n % 3 if n % 3 == 1 else n)
        rows.append(IntegrationSyncLog(
            tenant_id=integration.tenant_id, integration_id=integration.id, kind=SyncKind.reconcile,
            status=draw.choice(list(SyncStatus)), window_start=START.date(), window_end=START.date(),
            created_at=created))
    session.add_all(rows)
    session.commit()
    return tenant, integrations, rows


def _expected(rows, tenant_id, integrations, *, integration_id=None, status=None, ai_only=False):
    allowed = {i.id for i in integrations if not ai_only or i.category == IntegrationCategory.ai_tooling}
    kept = [r for r in rows if r.tenant_id == tenant_id and r.integration_id in allowed
            and (integration_id is None or r.integration_id == integration_id)
            and (status is None or r.status == status)]
    return [r.id for r in sorted(kept, key=lambda r: (r.created_at, r.id), reverse=True)]


FILTERS = [dict(), dict(ai_only=True), dict(integration=0), dict(integration=1, status=SyncStatus.failed),
           *[dict(status=s, ai_only=True) for s in SyncStatus]]


@pytest.mark.parametrize("chosen", FILTERS, ids=str)
def test_every_page_under_every_filter_is_the_slice_of_the_whole_list(session, logs, chosen):
    tenant, integrations, rows = logs
    integration_id = integrations[chosen["integration"]].id if "integration" in chosen else None
    status, ai_only = chosen.get("status"), chosen.get("ai_only", False)
    expected = _expected(rows, tenant.id, integrations, integration_id=integration_id, status=status, ai_only=ai_only)
    for size in (1, 20, 200):
        pages = []
        for number in itertools.count(1):
            page = service.sync_log_page(
                session=session, tenant_id=tenant.id, request=PageRequest(page=number, size=size),
                integration_id=integration_id, status=status,
                category=IntegrationCategory.ai_tooling if ai_only else None)
            assert (page.page, page.total) == (number, len(expected))
            pages.append([log.id for log in page.items])
            if number >= page.pages:
                break
        assert pages == ([expected[i:i + size] for i in range(0, len(expected), size)] or [[]])


def test_refusals_and_the_unfinished_runs_question(session, logs):
    tenant, integrations, _rows = logs
    with pytest.raises(NotFound):
        service.sync_log_page(session=session, tenant_id=tenant.id, request=PageRequest(),
                              integration_id=integrations[3].id)  # another tenant's
    with pytest.raises(ValidationFailed, match="Unknown run status"):
        service.sync_log_page(session=session, tenant_id=tenant.id, request=PageRequest(), status="exploded")
    assert service.has_unfinished_runs(session=session, tenant_id=tenant.id)
    for log in session.exec(select(IntegrationSyncLog).where(IntegrationSyncLog.tenant_id == tenant.id)):
        if log.status in (SyncStatus.queued, SyncStatus.running):
            log.status = SyncStatus.succeeded
    session.commit()
    assert not service.has_unfinished_runs(session=session, tenant_id=tenant.id)
