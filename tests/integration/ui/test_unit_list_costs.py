"""The team and department lists' cost columns (`ui/pages/unit_costs.py`) on the demo org with half a
year of usage: each row equals that unit's own page (`queries.unit_summary`, subtree), the totals row
is the listed units' usage with each person once, the columns sort, a manager sees numbers only for
the units of his scope, and a viewer (no costs.read) sees no cost columns.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session

from orgonaut.rollups import overview, queries
from orgonaut.tenancy.models import Role
from orgonaut.ui import routes
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.departments import DepartmentsState
from orgonaut.ui.pages.teams import TeamsState
from orgonaut.ui.pages.unit_costs import HIDDEN
from tests.factories import make_user
from tests.integration.ui.conftest import Tab, login_token
from tests.integration.ui.test_ai_usage_states import _frozen, _unit, usage_demo  # noqa: F401

MANAGER = "marcus.lee@demo.test"  # placed in Platform Engineering
MANAGER_UNITS = {"Platform Engineering", "Core Platform", "Developer Experience"}


@pytest.fixture
def people(session: Session, usage_demo):  # noqa: F811 - the imported fixture
    make_user(session, usage_demo, role=Role.manager, email=MANAGER)
    make_user(session, usage_demo, role=Role.viewer, email="vera.viewer@demo.test")
    session.commit()
    return usage_demo


def _open(session: Session, email: str, state_cls, route: str):
    return Tab(login_token(session, email)).open(state_cls, route, route)


def _rows(state):
    return state.teams if isinstance(state, TeamsState) else state.departments


@pytest.mark.parametrize(("state_cls", "route"), [(TeamsState, routes.TEAMS), (DepartmentsState, routes.DEPARTMENTS)])
def test_every_row_equals_its_units_page_and_the_totals_count_each_person_once(session, people, state_cls, route):
    state = _open(session, "admin@demo.test", state_cls, route)
    assert state.show_costs and _rows(state)
    ids = []
    for row in _rows(state):
        unit = _unit(session, people.id, row.name)
        page = queries.unit_summary(session=session, org_unit=unit, breadth="subtree")
        assert (row.last_month, row.mtd, row.active) == (
            format_usd(page.last_month_cost_cents), format_usd(page.mtd_cost_cents), f"{page.mtd_active_users:,}")
        ids.append(unit.id)
    union = overview.overview(session=session, tenant_id=people.id, scenario_id=None, unit_ids=ids, top=0).total
    assert (state.totals.last_month, state.totals.mtd, state.totals.active) == (
        format_usd(union.last_month_cost_cents), format_usd(union.mtd_cost_cents), f"{union.active_users:,}")
    assert union.mtd_cost_cents > 0


def test_the_columns_sort_and_a_second_click_reverses(session, people):
    state = _open(session, "admin@demo.test", TeamsState, routes.TEAMS)
    assert [r.name.lower() for r in state.teams] == sorted(r.name.lower() for r in state.teams)

    def money(text: str) -> Decimal:
        return Decimal(text.replace("$", "").replace(",", ""))

    state.sort_by("mtd")
    values = [money(r.mtd) for r in state.teams]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    state.sort_by("mtd")
    assert [money(r.mtd) for r in state.teams] == sorted(values)
    state.sort_by("active")
    actives = [int(r.active.replace(",", "")) for r in state.teams]
    assert actives == sorted(actives, reverse=True)
    state.sort_by("nonsense")  # a forged event changes nothing
    assert [int(r.active.replace(",", "")) for r in state.teams] == actives


def test_a_manager_sees_numbers_for_his_units_only_and_a_viewer_none(session, people):
    state = _open(session, MANAGER, DepartmentsState, routes.DEPARTMENTS)
    assert state.show_costs
    for row in state.departments:
        if row.name in MANAGER_UNITS:
            assert row.mtd != HIDDEN, row.name
        else:
            assert (row.last_month, row.mtd, row.change, row.active) == (HIDDEN,) * 4, row.name
    shown = [r for r in state.departments if r.mtd != HIDDEN]
    assert {r.name for r in shown} == MANAGER_UNITS & {r.name for r in state.departments} and shown
    state.sort_by("mtd")
    assert all(r.mtd != HIDDEN for r in state.departments[:len(shown)])  # hidden rows stay last
    # The totals are his units' only.
    ids = [_unit(session, people.id, r.name).id for r in shown]
    union = overview.overview(session=session, tenant_id=people.id, scenario_id=None, unit_ids=ids, top=0).total
    assert state.totals.mtd == format_usd(union.mtd_cost_cents)

    viewer = _open(session, "vera.viewer@demo.test", TeamsState, routes.TEAMS)
    assert not viewer.show_costs and viewer.teams and all(r.mtd == HIDDEN for r in viewer.teams)
    assert viewer._costs == {}
