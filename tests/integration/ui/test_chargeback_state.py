"""The chargeback page (`ChargebackState`) on the random org of tests/integration/spend/test_chargeback.py:
it shows `spend.chargeback`'s report for the month in the link (last month by default), the CSV's exact
amounts add up to the total, closing asks first and freezes, cost centre codes are saved (a bad one
refused, nothing changed), and a manager gets the denied view with nothing loaded."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from orgonaut.org.models import OrgUnit
from orgonaut.spend import chargeback as cb
from orgonaut.ui import routes
from orgonaut.ui.auth import AuthState
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.chargeback import ChargebackState, report_csv
from tests.integration.spend.test_chargeback import world  # noqa: F401 - the fixture
from tests.integration.ui.conftest import Tab, login_token


def _open(session, email: str, month: str | None = None) -> ChargebackState:
    tab = Tab(login_token(session, email))
    path = f"{routes.AI_CHARGEBACK}?month={month}" if month else routes.AI_CHARGEBACK
    tab.route(routes.AI_CHARGEBACK, path, **({"month": month} if month else {}))
    tab.state(AuthState).require_login()
    state = tab.state(ChargebackState)
    state.load()
    return state


def test_the_page_is_the_report_and_its_csv_adds_up(session, world):  # noqa: F811
    tenant, units, _, admin, _ = world
    page = _open(session, admin.email)
    assert page.page_allowed and page.month == "2026-11" and page.months[:2] == ["2026-12", "2026-11"]
    report = cb.report(session=session, tenant_id=tenant.id, month="2026-11")
    assert page.total == format_usd(report.total_cents) and page.can_close
    assert [(r.name, r.amount) for r in page.by_cost_centre] == [
        (name, format_usd(amount)) for name, amount in report.by_cost_centre()]
    assert len(page.lines) == len(report.lines)
    rows = list(csv.DictReader(io.StringIO(report_csv(page._report))))
    assert sum((Decimal(r["amount_usd"]) for r in rows), Decimal(0)) * 100 == report.total_cents
    assert page.download() is not None and page.csv_filename == "chargeback-2026-11.csv"

    october = _open(session, admin.email, "2026-10")
    october.ask_close()
    assert october.closing
    october.confirm_close()
    october = _open(session, admin.email, "2026-10")
    assert october.status_text.startswith("Closed ") and not october.can_close
    assert _open(session, admin.email, "1999-01").month == "2026-11"  # a month not offered: the default

    api = next(u for u in page.units if u.name == "API")
    assert (api.code, api.effective) == ("", "CC-ENG")
    page.save_cost_centre({"unit_id": str(api.id), "code": "no;such code!"})
    session.expire_all()
    assert session.get(OrgUnit, api.id).cost_centre is None
    page.save_cost_centre({"unit_id": str(api.id), "code": "CC-API"})
    session.expire_all()
    assert session.get(OrgUnit, api.id).cost_centre == "CC-API"
    assert next(u for u in _open(session, admin.email).units if u.name == "API").effective == "CC-API"


def test_a_manager_gets_the_denied_view_and_no_numbers(session, world):  # noqa: F811
    _, _, _, _, manager = world
    page = _open(session, manager.email)
    assert not page.page_allowed and page.lines == [] and page.total == "" and page._report is None
    page.month, page.can_close = "2026-10", True  # a forged close
    page.confirm_close()
    assert cb.closed_months(session=session, tenant_id=manager.tenant_id) == {}
