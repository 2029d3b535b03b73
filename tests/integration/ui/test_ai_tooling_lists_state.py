"""The settings page's paged lists, driven in-process: Unmatched e-mails (130 sources) and the sync logs
(45 runs) in pages their address names, searched, sorted and filtered from the address and back into it;
bad values show the first (or last) page; the list's actions act on the rows of the page shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlmodel import Session

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.integrations.models import Integration, IntegrationCategory, IntegrationSyncLog, SyncKind, SyncStatus
from orgonaut.org import service as org
from orgonaut.paging import PageRequest, Sort
from orgonaut.tenancy.models import Role
from orgonaut.ui import routes
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState
from orgonaut.ui.pages.ai_tooling.unmatched import UnmatchedState
from tests.factories import make_tenant, make_user
from tests.integration.ui.conftest import Tab, login_token

DAY = dt.date(2026, 6, 1)
START = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
SETTINGS = routes.AI_TOOLING_SETTINGS
STATUSES = [SyncStatus.succeeded, SyncStatus.failed, SyncStatus.skipped]


@dataclass
class Setup:
    id: int
    admin_email: str
    integrations: tuple[Integration, Integration]


@pytest.fixture
def tenant(session: Session) -> Setup:
    """130 unmatched sources (source n last seen n days before DAY: the default order is by n), a person,
    and 45 finished runs of two integrations (the newest first: run 44 of the second integration)."""
    tenant = make_tenant(session)
    admin = make_user(session, tenant, role=Role.admin)
    org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="Ana Person", email="ana@corp.test")
    session.add_all([
        AiToolUsageRecord(tenant_id=tenant.id, provider="claude_code", source_email=f"user{n:03d}@contractor.test",
                          usage_date=DAY - dt.timedelta(days=n), total_cost_cents=Decimal(n))
        for n in range(130)
    ])
    first, second = (Integration(tenant_id=tenant.id, category=IntegrationCategory.ai_tooling, provider=p)
                     for p in ("claude_code", "cursor"))
    session.add_all([first, second])
    session.flush()
    session.add_all([
        IntegrationSyncLog(tenant_id=tenant.id, integration_id=(first, second)[n % 2].id, kind=SyncKind.reconcile,
                           status=STATUSES[n % 3], window_start=DAY, window_end=DAY,
                           created_at=START + dt.timedelta(minutes=n))
        for n in range(45)
    ])
    session.commit()
    return Setup(id=tenant.id, admin_email=admin.email, integrations=(first, second))


def _open_tab(session: Session, tenant: Setup, query: str = "") -> tuple[Tab, AiToolingSettingsState]:
    tab = Tab(login_token(session, tenant.admin_email))
    return tab, tab.open(AiToolingSettingsState, SETTINGS, f"{SETTINGS}?{query}" if query else SETTINGS)


def _open(session: Session, tenant: Setup, query: str = "") -> AiToolingSettingsState:
    return _open_tab(session, tenant, query)[1]


def _sources(page) -> list[str]:
    return [u.source_email for u in page.unmatched]


def _user(n: int) -> str:
    return f"user{n:03d}@contractor.test"


def _script(event) -> str:
    return str(event.args)


def test_both_lists_open_on_their_first_page_with_a_pager(session, tenant):
    page = _open(session, tenant)
    assert _sources(page) == [_user(n) for n in range(50)]
    assert (page.unmatched_total, page.unmatched_pager.summary) == (130, "1–50 of 130")
    assert page.unmatched_pager.next_href == f"{SETTINGS}?unmatched_page=2"
    assert [row.id for row in page.logs] == list(range(45, 25, -1))  # ids 1..45, newest first
    assert (page.logs_total, page.logs_pager.summary) == (45, "1–20 of 45")
    assert page.logs_pager.next_href == f"{SETTINGS}?logs_page=2"
    assert [o.label for o in page.log_integrations] == ["Claude Code", "Cursor"]


def test_the_address_names_each_lists_page_and_bad_values_fall_back(session, tenant):
    page = _open(session, tenant, "unmatched_page=3&logs_page=2&logs_size=10")
    assert _sources(page) == [_user(n) for n in range(100, 130)]
    assert page.unmatched_pager.previous_href == f"{SETTINGS}?unmatched_page=2&logs_page=2&logs_size=10"
    assert [row.id for row in page.logs] == list(range(35, 25, -1))
    assert _sources(_open(session, tenant, "unmatched_page=999")) == [_user(n) for n in range(100, 130)]
    for bad in ("unmatched_page=x&logs_page=-3", "unmatched_page=0&unmatched_size=0", "unmatched_size=1e9",
                "unmatched_sort=salary", "logs_status=exploded&logs_integration=abc"):
        page = _open(session, tenant, bad)
        assert _sources(page) == [_user(n) for n in range(50)], bad
        assert page.logs_total == 45, bad
    assert len(_open(session, tenant, "unmatched_size=100000").unmatched) == 130  # at most 200 a page


def test_search_and_sort_of_unmatched_come_from_the_address_and_go_back_to_it(session, tenant):
    page = _open(session, tenant, "unmatched_q=USER12&unmatched_sort=-cost")
    assert _sources(page) == [_user(n) for n in range(129, 119, -1)]
    assert (page.unmatched_search, page.unmatched_sort, page.unmatched_pager.summary) == ("USER12", "-cost",
                                                                                          "1–10 of 10")
    page = _open(session, tenant, "unmatched_page=2")
    assert f'"{SETTINGS}?unmatched_q=user01"' in _script(page.search_unmatched("user01"))  # page 1 again
    assert _sources(page) == [_user(n) for n in range(10, 20)]
    assert f'"{SETTINGS}?unmatched_q=user01&unmatched_sort=-cost"' in _script(page.sort_unmatched("cost"))
    assert _sources(page)[0] == _user(19)
    assert f'"{SETTINGS}?unmatched_q=user01&unmatched_sort=cost"' in _script(page.sort_unmatched("cost"))
    assert _sources(page)[0] == _user(10)
    page.search_unmatched("nobody")
    assert (page.unmatched, page.unmatched_total, page.unmatched_pager.summary) == ([], 0, "")
    assert f'"{SETTINGS}?unmatched_sort=cost"' in _script(page.clear_unmatched_search())


def test_the_logs_filter_by_integration_and_status_from_the_address_and_back(session, tenant):
    first, second = tenant.integrations
    page = _open(session, tenant, f"logs_integration={second.id}&logs_status=failed")
    assert [row.id for row in page.logs] == [n + 1 for n in range(44, -1, -1) if n % 2 and n % 3 == 1]
    assert (page.logs_integration, page.logs_status) == (str(second.id), "failed")
    other = Integration(tenant_id=make_tenant(session).id, category=IntegrationCategory.ai_tooling,
                        provider="claude_code")
    session.add(other)
    session.commit()
    page = _open(session, tenant, f"logs_integration={other.id}")  # not this tenant's: every integration
    assert (page.logs_total, page.logs_integration) == (45, "all")
    script = _script(page.filter_logs_integration(str(first.id)))
    assert f'"{SETTINGS}?logs_integration={first.id}"' in script and page.logs_total == 23
    assert f'"{SETTINGS}?logs_integration={first.id}&logs_status=skipped"' in _script(
        page.filter_logs_status("skipped"))
    assert {row.status for row in page.logs} == {"skipped"} and page.logs_total == 8
    page.filter_logs_integration("all")
    page.filter_logs_status("all")
    assert page.logs_total == 45


def test_a_run_in_progress_is_watched_whatever_the_logs_show(session, tenant):
    first, _second = tenant.integrations
    session.add(IntegrationSyncLog(tenant_id=tenant.id, integration_id=first.id, kind=SyncKind.backfill,
                                   status=SyncStatus.running, window_start=DAY, window_end=DAY, created_at=START))
    session.commit()
    tab = Tab(login_token(session, tenant.admin_email))
    tab.route(SETTINGS, f"{SETTINGS}?logs_status=failed")
    from orgonaut.ui.auth import AuthState

    tab.state(AuthState).require_login()
    events = tab.state(AiToolingSettingsState).load()
    assert "watch_runs" in str(events)


def test_the_actions_work_on_the_rows_of_the_page_shown(session, tenant):
    tab, page = _open_tab(session, tenant, "unmatched_page=3")
    dialogs = tab.state(UnmatchedState)
    assert "no longer in the unmatched list" in str(dialogs.open_add_person(_user(5)))  # on page 1, not shown
    dialogs.open_link_person(_user(120))
    assert (dialogs.open_dialog, dialogs.link_email) == ("link", _user(120))
    dialogs.set_link_open(False)
    dialogs.ignore_email(_user(129))
    assert _user(129) not in _sources(page) and page.unmatched_total == 129
    assert [u.source_email for u in page.ignored] == [_user(129)]
    listed = ai_tooling.unmatched_page(session=session, tenant_id=tenant.id, request=PageRequest(3, 50),
                                       sort=Sort("last_seen", descending=True))
    assert _sources(page) == [u.source_email for u in listed.items]
