"""Who may see the AI spend overview (/ai-tooling), driven through its page state on the demo org with
half a year of usage: owners and admins the whole organisation, a manager the units of their scope,
a manager who is nobody in the org a note, a member their own person page, a viewer the denied view.

The numbers the admin sees are checked against sums over the raw records written here, and the
manager's against his department's subtree rollups; the CSV against the table it exports.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind, Scenario
from orgonaut.rollups import periods, queries
from orgonaut.rollups.models import Breadth
from orgonaut.rollups.periods import month_to_date
from orgonaut.tenancy.models import Role
from orgonaut.ui import routes
from orgonaut.ui.auth import AuthState
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.overview import NO_PERSON, NO_SCOPE, SpendOverviewState
from orgonaut.ui.pages.spend_text import CSV_HEADER, trend_csv, units_csv
from orgonaut.ui.scope import ScopeState
from tests.factories import make_user
from tests.integration.ui.conftest import Tab, login_token
from tests.integration.ui.test_ai_usage_states import NOW, _actor, _frozen, _unit, usage_demo  # noqa: F401

MEMBER, MANAGER = "ana.souza@demo.test", "marcus.lee@demo.test"
MANAGER_UNITS = {"Platform Engineering", "Core Platform", "Developer Experience"}


@pytest.fixture
def people(session: Session, usage_demo):  # noqa: F811 - the imported fixture
    make_user(session, usage_demo, role=Role.member, email=MEMBER)
    make_user(session, usage_demo, role=Role.manager, email=MANAGER)
    make_user(session, usage_demo, role=Role.viewer, email="vera.viewer@demo.test")
    session.commit()
    return usage_demo


def _open(session: Session, email: str, scenario_id: int | None = None, query: dict | None = None):
    tab = Tab(login_token(session, email))
    if scenario_id is not None:
        tab.scope.scope_cookie = f"{ScopeState._fingerprint(tab.scope)}:{scenario_id}"
    query = query or {}
    tab.route(routes.AI_SPEND, f"{routes.AI_SPEND}?{urlencode(query)}" if query else routes.AI_SPEND, **query)
    tab.state(AuthState).require_login()
    state = tab.state(SpendOverviewState)
    return state, state.load()


def _card(state: SpendOverviewState, label: str) -> str:
    return next(c.value for c in state.cards if c.label == label)


def _nothing_shown(state: SpendOverviewState) -> None:
    assert state.cards == [] and state.units == [] and state.providers == [] and state.trend_figure == {}
    assert state._units == []


@pytest.mark.parametrize("email", ["owner@demo.test", "admin@demo.test"])
def test_owners_and_admins_see_the_whole_organisation(session, people, email):
    state, redirect = _open(session, email)
    assert redirect is None and state.page_allowed and state.note == "" and state.has_usage
    r = AiToolUsageRecord
    mtd = month_to_date(NOW.date())
    total = session.execute(select(func.sum(r.total_cost_cents)).where(
        r.tenant_id == people.id, r.scope_key == 0, r.usage_date.between(mtd.start, mtd.end))).scalar_one()
    assert _card(state, "Month to date") == format_usd(Decimal(total))
    active = session.execute(select(func.count(func.distinct(r.actor_id))).where(
        r.tenant_id == people.id, r.scope_key == 0, r.usage_date >= mtd.start)).scalar_one()
    assert _card(state, "Active users this month") == f"{active:,}"
    a = Actor
    headcount = session.execute(select(func.count()).select_from(a).where(
        a.tenant_id == people.id, a.scenario_id.is_(None), a.status == "active", a.kind == "human")).scalar_one()
    assert _card(state, "Headcount") == f"{headcount:,}" and headcount > 0
    unmatched = session.execute(select(func.sum(r.total_cost_cents)).where(
        r.tenant_id == people.id, r.scope_key == 0, r.actor_id.is_(None),
        r.usage_date.between(mtd.start, mtd.end))).scalar_one()
    assert (format_usd(Decimal(unmatched)) in state.unmatched_text) if unmatched else state.unmatched_text == ""
    kinds = {u.kind for u in state.units}
    assert kinds == {"Department", "Team"}
    assert any(u.name == "Checkout" for u in state.units)  # outside the manager's scope, shown to admins


def test_a_manager_sees_the_units_of_his_scope_only(session, people):
    state, redirect = _open(session, MANAGER)
    assert redirect is None and state.note == "" and state.has_usage
    assert {u.name for u in state.units} <= MANAGER_UNITS and {u.name for u in state.units}
    # His scope is Platform Engineering and everything below it: the cards are its subtree's.
    department = _unit(session, people.id, "Platform Engineering")
    summary = queries.unit_summary(session=session, org_unit=department, breadth=Breadth.subtree)
    assert _card(state, "Month to date") == format_usd(summary.mtd_cost_cents)
    assert _card(state, "Last month") == format_usd(summary.last_month_cost_cents)
    assert _card(state, "Active users this month") == f"{summary.mtd_active_users:,}"
    assert state.unmatched_text == ""
    row = next(u for u in state.units if u.name == "Platform Engineering")
    assert row.url == routes.department_url(department.id) and row.mtd == format_usd(summary.mtd_cost_cents)
    assert department.kind == OrgUnitKind.department


def test_a_manager_placed_nowhere_is_told_so_and_gets_no_numbers(session, people):
    state, redirect = _open(session, "manager@demo.test")  # nobody in the demo org
    assert redirect is None and state.note == NO_SCOPE
    _nothing_shown(state)


def test_a_member_is_sent_to_their_own_person_page(session, people):
    state, redirect = _open(session, MEMBER)
    ana = _actor(session, people.id, "Ana Souza")
    assert redirect is not None and routes.person_url(ana.id) in str(redirect)
    _nothing_shown(state)


def test_a_member_without_a_person_is_told_so(session, people):
    state, redirect = _open(session, "member@demo.test")  # Milo Member is no actor of the demo org
    assert redirect is None and state.note == NO_PERSON
    _nothing_shown(state)


def test_a_viewer_gets_the_denied_view(session, people):
    state, redirect = _open(session, "vera.viewer@demo.test")
    assert redirect is None and state.page_checked and not state.page_allowed
    _nothing_shown(state)


def test_the_csv_is_the_table(session, people):
    state, _ = _open(session, "admin@demo.test")
    assert state.download_units() is not None
    rows = list(csv.reader(io.StringIO(units_csv(state._units))))
    assert rows[0] == CSV_HEADER
    assert len(rows) - 1 == len(state.units)

    def plain(text: str) -> str:
        return text.replace("$", "").replace(",", "")

    for line, shown in zip(rows[1:], state.units, strict=True):
        assert line[0].capitalize() == shown.kind and line[1] == shown.name
        assert (line[2], line[3], line[6]) == (plain(shown.mtd), plain(shown.last_same_days), plain(shown.last_month))
        assert shown.change.startswith(("+" if Decimal(line[4]) > 0 else "") + format_usd(Decimal(line[4]) * 100))
    assert state.csv_filename.startswith("ai-spend-top-units-live-")


def test_in_a_scenario_the_overview_is_that_scenarios(session, people):
    reorg = session.execute(select(Scenario.id).where(Scenario.tenant_id == people.id,
                                                      Scenario.name == "Reorg 2027")).scalar_one()
    state, _ = _open(session, "admin@demo.test", scenario_id=reorg)
    assert state.scope_value == str(reorg) and state.has_usage
    r = AiToolUsageRecord
    mtd = month_to_date(NOW.date())
    total = session.execute(select(func.sum(r.total_cost_cents)).where(
        r.tenant_id == people.id, r.scope_key == reorg, r.usage_date.between(mtd.start, mtd.end))).scalar_one()
    live = session.execute(select(func.sum(r.total_cost_cents)).where(
        r.tenant_id == people.id, r.scope_key == 0, r.usage_date.between(mtd.start, mtd.end))).scalar_one()
    assert total != live  # the scenario's usage skips days: a mix-up of scopes would show
    assert _card(state, "Month to date") == format_usd(Decimal(total))
    assert state.csv_filename.startswith(f"ai-spend-top-units-scenario-{reorg}-")
    scenario_units = set(session.execute(select(OrgUnit.name).where(OrgUnit.scenario_id == reorg)).scalars())
    assert state.units and {u.name for u in state.units} <= scenario_units


def test_the_cost_trend_switches_ranges_without_a_query_and_adds_up(session, people):
    state, _ = _open(session, "admin@demo.test")
    r = AiToolUsageRecord
    today = NOW.date()
    for choice in ("mtd", "last_month", "3m", "6m", "all"):
        state.choose_range(choice)
        first = session.execute(select(func.min(r.usage_date)).where(
            r.tenant_id == people.id, r.scope_key == 0)).scalar_one()
        period = periods.period_for(choice, today=today, first_usage=first)
        total = session.execute(select(func.sum(r.total_cost_cents)).where(
            r.tenant_id == people.id, r.scope_key == 0, r.usage_date.between(period.start, period.end))).scalar_one()
        assert state.range_has_cost
        assert state.range_total.startswith(format_usd(Decimal(total or 0))), choice
        xs = {x for trace in state.daily_figure["data"] for x in trace["x"]}
        assert xs == {d.isoformat() for d in period.days}, choice
        months = {x for trace in state.range_months_figure["data"] for x in trace["x"]}
        assert len(months) == (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1
    state.choose_range("mtd")
    assert state.range_total.startswith(_card(state, "Month to date"))

    # The trend's CSV is the chosen range's days, a column per provider, each day's total.
    state.choose_range("last_month")
    assert state.download_trend() is not None
    series = state._ranged
    rows = list(csv.DictReader(io.StringIO(trend_csv(series))))
    assert [row["date"] for row in rows] == [d.isoformat() for d in series.period.days]
    for row, day in zip(rows, series.days, strict=True):
        total = session.execute(select(func.sum(r.total_cost_cents)).where(
            r.tenant_id == people.id, r.scope_key == 0, r.usage_date == day.date)).scalar_one()
        assert row["total_usd"] == format_usd(Decimal(total or 0)).replace("$", "").replace(",", "")
        parts = [Decimal(v) for k, v in row.items() if k not in ("date", "total_usd")]
        assert abs(sum(parts, Decimal(0)) - Decimal(row["total_usd"])) <= Decimal("0.01") * len(parts)


def test_the_provider_filter_reads_the_link_and_falls_back_to_all_tools(session, people):
    r = AiToolUsageRecord
    used = sorted(session.execute(select(r.provider).where(r.tenant_id == people.id).distinct()).scalars())
    mtd = month_to_date(NOW.date())
    key = used[0]
    state, _ = _open(session, "admin@demo.test", query={"provider": key})
    assert state.chosen_provider == key and state.provider_notice == ""
    total = session.execute(select(func.sum(r.total_cost_cents)).where(
        r.tenant_id == people.id, r.scope_key == 0, r.provider == key,
        r.usage_date.between(mtd.start, mtd.end))).scalar_one()
    assert _card(state, "Month to date") == format_usd(Decimal(total))
    assert [p.provider for p in state.providers] == [PROVIDERS[key].display_name]
    assert f"-{key}-" in state.csv_filename
    state, _ = _open(session, "admin@demo.test", query={"provider": "nope"})
    assert state.chosen_provider == "all" and "Unknown AI tool 'nope'" in state.provider_notice
