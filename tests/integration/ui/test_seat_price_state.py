"""The settings page's seat prices (Copilot): the card says each plan's price and the days it applies to;
"Change seat price" re-prices that plan's stored days from the chosen day; a bad price stays in the dialog and
changes nothing; a manager's forged event changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import select

from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.models import AiToolUsageRecord, SeatPrice
from orgonaut.tenancy.models import Role
from orgonaut.ui.pages.ai_tooling.seat_price import SeatPriceState
from tests.integration.ai_tooling.test_sync_runs import backfill
from tests.integration.ui.test_ai_tooling_settings_state import _open, _tenant
from tests.support.github_simulator import (  # noqa: F401 - the fixtures
    VALID_GITHUB_TOKEN,
    clean_github_simulator,
    github_simulator,
    seat_cents,
)

TODAY = dt.datetime.now(dt.UTC).date()
START, END = TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=6)
FROM = START + dt.timedelta(days=2)


def _copilot(session, tenant, base_url: str):
    integration = service.connect(
        session=session, tenant_id=tenant.id, provider="copilot", api_base=base_url, baseline=True,
        credentials={"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
                     "business_seat_usd": "19", "enterprise_seat_usd": "39"})
    session.commit()
    return integration


def _business_seat_shares(session) -> dict[dt.date, set[str]]:
    session.expire_all()
    shares: dict[dt.date, set[str]] = {}
    for r in session.exec(select(AiToolUsageRecord)):
        if r.provider_metrics.get("plan_type") == "business":
            shares.setdefault(r.usage_date, set()).add(r.provider_metrics["seat_cost_cents"])
    return shares


def test_an_admin_changes_a_plans_seat_price_from_a_day(session, clean_github_simulator):  # noqa: F811
    tenant, emails = _tenant(session)
    integration = _copilot(session, tenant, clean_github_simulator.base_url)
    assert backfill(session, integration, START, END).status == "succeeded"
    _, page = _open(session, emails[Role.admin], dialog=SeatPriceState)
    [card] = [p for p in page.providers if p.name == "GitHub Copilot"]
    assert card.seat_prices == "Business: $19; Enterprise: $39"
    assert all(p.seat_prices == "" for p in page.providers if p.name != "GitHub Copilot")

    before = _business_seat_shares(session)
    page.open_seat_price(integration.id)
    assert page.open_dialog == "seat_price" and page.seat_plans == ["business", "enterprise"]
    page.save_seat_price({"plan": "business", "effective_from": FROM.isoformat(), "usd_per_month": "lots"})
    assert page.seat_price_error == "The monthly seat price (USD) must be a number, such as 0.04."
    assert page.open_dialog == "seat_price" and _business_seat_shares(session) == before
    assert session.exec(select(SeatPrice)).all() == []

    page.save_seat_price({"plan": "business", "effective_from": FROM.isoformat(), "usd_per_month": "21"})
    assert page.seat_price_error == "" and page.open_dialog == ""
    [card] = [p for p in page.providers if p.name == "GitHub Copilot"]
    day_before = FROM - dt.timedelta(days=1)
    assert card.seat_prices == (f"Business: $19 until {day_before:%-d %b %Y}; $21 from {FROM:%-d %b %Y}; "
                                "Enterprise: $39")
    assert _business_seat_shares(session) == {
        day: {format(seat_cents(Decimal(21 if day >= FROM else 19), day), "f")} for day in before}


def test_a_manager_cannot_change_seat_prices(session, clean_github_simulator):  # noqa: F811
    tenant, emails = _tenant(session)
    integration = _copilot(session, tenant, clean_github_simulator.base_url)
    _, page = _open(session, emails[Role.manager], dialog=SeatPriceState)
    page.open_dialog, page._dialog_integration_id = "seat_price", integration.id  # a forged event
    page.save_seat_price({"plan": "business", "effective_from": FROM.isoformat(), "usd_per_month": "21"})
    assert session.exec(select(SeatPrice)).all() == []
