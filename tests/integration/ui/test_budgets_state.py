"""The budgets page (`BudgetsState`): the table and burn-down equal `spend.budgets`, an admin sets and removes
budgets through the form and the confirmation, bad input stays in the form and changes nothing, a manager
sees their units' budgets without the controls, a member is told the page is not theirs, and the CSV is
the table.

The org: Acme > Engineering > {Web, API}, Mia (a manager) placed in Engineering; today is 17 December 2026.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from orgonaut.spend import budgets
from orgonaut.spend.models import Budget
from orgonaut.ui import routes
from orgonaut.ui.auth import AuthState
from orgonaut.ui.pages.budgets import BudgetsState, budgets_csv, key_text, row_view
from tests.integration.spend.test_budgets import NOW, org  # noqa: F401 - the fixture
from tests.integration.ui.conftest import Tab, login_token


def _open(session, email: str) -> BudgetsState:
    tab = Tab(login_token(session, email))
    tab.route(routes.AI_BUDGETS, routes.AI_BUDGETS)
    tab.state(AuthState).require_login()
    state = tab.state(BudgetsState)
    state.load()
    return state


@pytest.fixture
def admin_page(session, org):  # noqa: F811
    return _open(session, org["admin"].email)


def test_an_admin_sets_a_budget_sees_its_numbers_and_burn_down_and_removes_it(session, org, admin_page):  # noqa: F811
    page = admin_page
    assert page.note == "" and page.can_edit and page.rows == []
    assert [c.label for c in page.unit_choices] == ["Whole organization", "API (team)", "Engineering (department)",
                                                   "Web (team)"]
    eng = org["units"]["Engineering"].id
    page.save({"unit": str(eng), "provider": "all", "amount": "ten", "month": "2026-12"})
    assert page.form_error == "'ten' is not an amount in USD (such as 1500 or 1500.50)."
    assert session.exec(select(Budget)).all() == []

    page.set_form_open(True)
    page.save({"unit": str(eng), "provider": "all", "amount": "2,000", "month": "2026-12"})
    page.load()
    assert page.form_error == "" and not page.form_open
    status = budgets.status_of(session=session, tenant_id=org["tenant"].id, key=budgets.BudgetKey(eng, None),
                               today=NOW.date())
    assert page.rows == [row_view(status)]
    assert page.rows[0].amount == "$2,000.00" and page.rows[0].unit == "Engineering"
    assert page.chosen == key_text(status.key) and page.burn_title == "Engineering · All providers"
    spent, forecast, budget = page.burn_figure["data"]
    assert spent["x"][-1] == "2026-12-17" and forecast["x"][-1] == "2026-12-31"
    assert spent["customdata"][-1][1] == page.rows[0].spent
    assert budget["y"] == [2000.0, 2000.0]

    assert page.download() is not None and page.csv_filename == "budgets-2026-12.csv"
    [row] = list(csv.DictReader(io.StringIO(budgets_csv(page._statuses))))
    assert (row["unit"], row["budget_usd"], row["spent_usd"], row["status"]) == (
        "Engineering", "2000.00", page.rows[0].spent.replace("$", "").replace(",", ""), page.rows[0].status)

    page.ask_remove(page.rows[0].key)
    assert page.removing == page.rows[0].key
    page.confirm_remove()
    page.load()
    assert page.rows == [] and page.removing == ""


def test_a_manager_sees_the_budgets_of_their_units_without_controls_and_a_member_nothing(session, org):  # noqa: F811
    admin = org["admin"]
    for unit in (None, "Web"):
        budgets.set_budget(session=session, user=admin, org_unit_id=org["units"][unit].id if unit else None,
                           provider=None, amount="500", effective_month="2026-12")
    session.commit()
    manager = _open(session, org["manager"].email)
    assert [r.unit for r in manager.rows] == ["Web"] and not manager.can_edit and manager.unit_choices == []
    manager.save({"unit": "tenant", "provider": "all", "amount": "1", "month": "2026-12"})  # a forged event
    assert manager.form_error == budgets.NO_ACCESS
    manager.ask_remove(manager.rows[0].key)
    manager.confirm_remove()
    assert len(session.exec(select(Budget)).all()) == 2
    member = _open(session, org["member"].email)
    assert member.note == "Budgets are shown to managers, admins and owners." and member.rows == []
    assert member._statuses == []


def test_unit_pages_and_the_overview_show_their_budgets_burn_down(session, org):  # noqa: F811
    from orgonaut.ui.pages.spend_views import budget_sentence
    from tests.integration.ui.test_ai_usage_states import _open_department, _open_team
    from tests.integration.ui.test_spend_overview_state import _open as open_overview

    admin, units, tenant_id = org["admin"], org["units"], org["tenant"].id
    for unit, amount in ((None, "9000"), ("Engineering", "4000"), ("Web", "1500")):
        budgets.set_budget(session=session, user=admin, org_unit_id=units[unit].id if unit else None, provider=None,
                           amount=amount, effective_month="2026-12")
    session.commit()

    def sentence(unit: str | None) -> str:
        key = budgets.BudgetKey(units[unit].id if unit else None, None)
        return budget_sentence(budgets.status_of(session=session, tenant_id=tenant_id, key=key, today=NOW.date()))

    tab = Tab(login_token(session, admin.email))
    web = _open_team(tab, units["Web"].id)
    assert web.budget_text == sentence("Web") and web.budget_text.startswith("Budget for December 2026: $1,500.00")
    assert web.budget_figure["data"][2]["y"] == [1500.0, 1500.0]
    assert _open_team(tab, units["API"].id).budget_text == ""  # no budget of its own
    assert _open_department(tab, units["Engineering"].id).budget_text == sentence("Engineering")
    overview, _ = open_overview(session, admin.email)
    assert overview.budget_text == sentence(None)
    # A manager sees the budgets of the units in their scope, not the organisation's.
    mia = Tab(login_token(session, org["manager"].email))
    assert _open_team(mia, units["Web"].id).budget_text == sentence("Web")
    assert open_overview(session, org["manager"].email)[0].budget_text == ""
