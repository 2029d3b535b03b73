"""The department page's "By unit below" (`DepartmentBreakdownState`, `rollups.breakdown`) against brute force
over the raw records of the org of tests/integration/spend/test_budgets.py: Engineering > {Web (Ann, Ben),
API (Cid)}, Dee and Mia placed in Engineering itself, random usage since 20 October, today 17 December 2026.
The CSV is the table; a member sees no breakdown; the provider filter narrows it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from orgonaut.rollups import breakdown as bd
from orgonaut.ui import routes
from orgonaut.ui.auth import AuthState
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.department import DepartmentState
from orgonaut.ui.pages.department_breakdown import DepartmentBreakdownState, breakdown_csv
from tests.integration.spend.test_budgets import PEOPLE, TODAY, org  # noqa: F401 - the fixture
from tests.integration.ui.conftest import Tab, login_token


def _open(session, email: str, unit_id: int, **query: str) -> DepartmentBreakdownState:
    tab = Tab(login_token(session, email))
    path = routes.department_url(unit_id) + (f"?provider={query['provider']}" if query else "")
    tab.open(DepartmentState, routes.DEPARTMENT, path, department_id=str(unit_id), **query)
    tab.state(AuthState).require_login()
    state = tab.state(DepartmentBreakdownState)
    state.load()
    return state


def _sum(records, units: set[str], start: dt.date, end: dt.date, provider: str | None = None) -> Decimal:
    return sum((cost for person, key, day, cost in records if person and PEOPLE[person] in units
                and start <= day <= end and (provider is None or key == provider)), Decimal(0))


def test_each_unit_below_is_its_subtree_and_the_months_add_up(session, org):  # noqa: F811
    eng = org["units"]["Engineering"]
    page = _open(session, org["admin"].email, eng.id)
    records = org["records"]
    december, november = (dt.date(2026, 12, 1), TODAY), (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    expected = {unit: (_sum(records, {unit}, *december), _sum(records, {unit}, *november)) for unit in ("Web", "API")}
    order = sorted(expected, key=lambda u: -expected[u][0])
    assert [(r.name, r.mtd, r.last_month) for r in page.rows] == [
        (u, format_usd(expected[u][0]), format_usd(expected[u][1])) for u in order]
    result = page._result
    assert [f"{m:%Y-%m}" for m in result.months] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    for child in result.children:
        assert child.months[-1] == child.costs.mtd_cost_cents and child.months[-2] == child.costs.last_month_cost_cents
        assert child.months[3] == _sum(records, {child.name}, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert result.direct_mtd_cents == _sum(records, {"Engineering"}, *december)
    assert page.direct_text.startswith("People placed in the department itself")
    rows = list(csv.DictReader(io.StringIO(breakdown_csv(result))))
    assert [(r["unit"], r["month_to_date_usd"]) for r in rows] == [
        (r.name, r.mtd.replace("$", "").replace(",", "")) for r in page.rows]
    assert page.download() is not None and page.csv_filename.endswith("-by-unit-2026-12.csv")

    cursor = _open(session, org["admin"].email, eng.id, provider="cursor")
    assert {r.name: r.mtd for r in cursor.rows} == {
        u: format_usd(_sum(records, {u}, *december, provider="cursor")) for u in ("Web", "API")}
    member = _open(session, org["member"].email, eng.id)
    assert member.rows == [] and member._result is None
    assert bd.breakdown(session=session, department=org["units"]["Web"]).children == ()  # a team has none below
