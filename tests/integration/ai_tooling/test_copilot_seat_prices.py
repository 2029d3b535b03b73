"""A Copilot seat plan's price set from a day on re-prices exactly the stored days of that plan it covers (the
seat's share of the new monthly price; the usage-based part as GitHub billed it), refreshes the rollups, is
kept by a day synced again later and by the stored seat list; bad input is refused and changes nothing.
Expected seat shares are computed here (`github_simulator.seat_cents`), never read back from the product."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import func, select

from orgonaut.ai_tooling import seat_prices, seats, service
from orgonaut.ai_tooling.models import AiToolSeat, SeatPrice
from orgonaut.errors import ValidationFailed
from orgonaut.rollups import queue as rollup_queue
from orgonaut.rollups.models import AiUsageTenantRollup
from tests.integration.ai_tooling.test_sync_runs import backfill, records
from tests.support.github_simulator import VALID_GITHUB_TOKEN, seat_cents

TODAY = dt.datetime.now(dt.UTC).date()
START, END = TODAY - dt.timedelta(days=14), TODAY - dt.timedelta(days=5)
FROM = START + dt.timedelta(days=4)
OWN = {"business": Decimal(19), "enterprise": Decimal(39)}


@pytest.fixture
def copilot(session, tenant, clean_github_simulator):
    integration = service.connect(
        session=session, tenant_id=tenant.id, provider="copilot", api_base=clean_github_simulator.base_url,
        credentials={"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
                     "business_seat_usd": "19", "enterprise_seat_usd": "39"}, baseline=True)
    session.commit()
    assert backfill(session, integration, START, END).status == "succeeded"
    return integration


def _expected(session, integration, business_from: dt.date | None, business: Decimal) -> dict:
    out = {}
    for r in records(session, integration):
        plan = r.provider_metrics.get("plan_type")
        usage = Decimal(r.provider_metrics.get("usage_based_cost_cents") or "0")
        price = business if plan == "business" and business_from and r.usage_date >= business_from else OWN.get(plan)
        out[(r.source_email, r.usage_date)] = (seat_cents(price, r.usage_date) if plan else Decimal(0)) + usage
    return out


def _stored(session, integration) -> dict:
    return {(r.source_email, r.usage_date): r.total_cost_cents for r in records(session, integration)}


def _tenant_rollup_cost(session, tenant_id: int) -> Decimal:
    while rollup_queue.run_owed(tenant_id=tenant_id, scenario_id=None).intents:
        pass
    session.expire_all()
    return Decimal(session.exec(select(func.sum(AiUsageTenantRollup.cost_cents)).where(
        AiUsageTenantRollup.tenant_id == tenant_id, AiUsageTenantRollup.scope_key == 0)).one() or 0)


def test_a_seat_price_re_prices_the_plans_days_it_covers_and_later_syncs_keep_it(session, tenant, copilot):
    assert _stored(session, copilot) == _expected(session, copilot, None, OWN["business"])
    business = [r for r in records(session, copilot) if r.provider_metrics.get("plan_type") == "business"]
    assert any(r.usage_date >= FROM for r in business) and any(r.usage_date < FROM for r in business)
    assert any(r.provider_metrics.get("plan_type") == "enterprise" for r in records(session, copilot))

    done = seat_prices.set_price(session=session, tenant_id=tenant.id, integration_id=copilot.id, plan="Business",
                                 effective_from=FROM.isoformat(), usd_per_month="25")
    session.commit()
    want = _expected(session, copilot, FROM, Decimal(25))
    assert _stored(session, copilot) == want
    assert done.records == sum(1 for r in business if r.usage_date >= FROM)
    assert {r.provider_metrics["seat_cost_cents"] for r in records(session, copilot)
            if r.provider_metrics.get("plan_type") == "business" and r.usage_date == FROM} == {
        format(seat_cents(Decimal(25), FROM), "f")}
    assert _tenant_rollup_cost(session, tenant.id) == sum(want.values())

    # The same days synced again come back at the connection's own price from the provider: stored, they take
    # the day's price.
    assert backfill(session, copilot, FROM, END).status == "succeeded"
    assert _stored(session, copilot) == want
    assert [p.price for p in seat_prices.schedule(session=session, integration=copilot, plan="business")] == [
        Decimal(19), Decimal(25)]

    seats.refresh(session=session, integration=copilot)
    session.commit()
    listed = session.exec(select(AiToolSeat).where(AiToolSeat.integration_id == copilot.id)).all()
    assert {s.plan: s.monthly_price_cents for s in listed} == {"Business": Decimal(2500), "Enterprise": Decimal(3900)}


@pytest.mark.parametrize(("plan", "effective_from", "usd", "message"), [
    ("team", "2026-01-01", "25", "not a seat plan"),
    ("business", "2026-13-01", "25", "is not a date"),
    ("business", "2026-01-01", "-1", "positive amount"),
    ("business", "2026-01-01", "19.12345", "four decimal places"),
    ("business", "1999-12-31", "25", "2000-01-01 or later"),
])
def test_bad_input_is_refused_and_changes_nothing(session, tenant, copilot, plan, effective_from, usd, message):
    before = _stored(session, copilot)
    with pytest.raises(ValidationFailed, match=message):
        seat_prices.set_price(session=session, tenant_id=tenant.id, integration_id=copilot.id, plan=plan,
                              effective_from=effective_from, usd_per_month=usd)
    session.rollback()
    assert session.exec(select(SeatPrice)).all() == []
    assert _stored(session, copilot) == before
