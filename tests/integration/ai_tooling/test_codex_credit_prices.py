"""A Codex price per credit that changes from a day on re-prices exactly the stored days it covers (up to
the next price), from each record's stored credits, and refreshes the rollups; a day synced later takes
its day's price; bad input is refused and changes nothing. Expected costs are computed here from the
credits the simulator reported, never read back from what the product computed."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from orgonaut.ai_tooling import credit_prices, service
from orgonaut.ai_tooling.models import CreditPrice
from orgonaut.cli import app
from orgonaut.errors import NotFound, ValidationFailed
from orgonaut.rollups import queue as rollup_queue
from orgonaut.rollups.models import AiUsageTenantRollup
from tests.factories import make_tenant
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_codex_sync import live_codex  # noqa: F401 - the fixture
from tests.integration.ai_tooling.test_sync_runs import backfill, records
from tests.support.codex_simulator import codex_credentials
from tests.support.simulator import SimulatorServer

TODAY = dt.datetime.now(dt.UTC).date()
START, END = TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=7)
D5, D8 = START + dt.timedelta(days=5), START + dt.timedelta(days=8)


def _expected(session, integration, prices: list[tuple[dt.date, str]]) -> dict[tuple[str, dt.date], Decimal]:
    """Each stored record's cost by the price in effect on its day, from its credits."""
    out = {}
    for r in records(session, integration):
        price = Decimal(next(p for since, p in reversed(prices) if since <= r.usage_date))
        exact = Decimal(r.provider_metrics["credits"]) * price * 100
        out[(r.source_email, r.usage_date)] = exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    return out


def _stored(session, integration) -> dict[tuple[str, dt.date], Decimal]:
    return {(r.source_email, r.usage_date): r.total_cost_cents for r in records(session, integration)}


def _models_priced(session, integration, prices: list[tuple[dt.date, str]]) -> None:
    """Each record's per-model cost is its model's credits at the day's price (the model mix follows a price)."""
    entries = 0
    for r in records(session, integration):
        price = Decimal(next(p for since, p in reversed(prices) if since <= r.usage_date))
        for entry in r.model_breakdown:
            want = (Decimal(entry["credits"]) * price * 100).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
            assert Decimal(entry["estimated_cost"]["amount"]) == want, (r.usage_date, entry)
            entries += 1
    assert entries


def _tenant_rollup_cost(session, tenant_id: int) -> Decimal:
    while rollup_queue.run_owed(tenant_id=tenant_id, scenario_id=None).intents:
        pass
    session.expire_all()
    return Decimal(session.exec(select(func.sum(AiUsageTenantRollup.cost_cents)).where(
        AiUsageTenantRollup.tenant_id == tenant_id, AiUsageTenantRollup.scope_key == 0)).one() or 0)


@pytest.fixture
def codex(session, tenant, live_codex):  # noqa: F811
    live_codex.reset()
    integration = service.connect(session=session, tenant_id=tenant.id, provider="codex",
                                  credentials=codex_credentials(usd_per_credit="0.04"), api_base=live_codex.base_url)
    session.commit()
    assert backfill(session, integration, START, END).status == "succeeded"
    return integration


def test_a_price_change_re_prices_exactly_the_days_it_covers(session, tenant, codex):
    start = [(dt.date.min, "0.04")]
    assert _stored(session, codex) == _expected(session, codex, start)
    assert any(r.usage_date >= D5 for r in records(session, codex))

    done = credit_prices.set_price(session=session, tenant_id=tenant.id, integration_id=codex.id,
                                   effective_from=D5, usd_per_credit="0.05")
    session.commit()
    prices = [*start, (D5, "0.05")]
    assert _stored(session, codex) == _expected(session, codex, prices)
    _models_priced(session, codex, prices)
    assert done.records == sum(1 for r in records(session, codex) if r.usage_date >= D5)
    assert _tenant_rollup_cost(session, tenant.id) == sum(_expected(session, codex, prices).values())

    credit_prices.set_price(session=session, tenant_id=tenant.id, integration_id=codex.id, effective_from=D8,
                            usd_per_credit="0.06")
    credit_prices.set_price(session=session, tenant_id=tenant.id, integration_id=codex.id, effective_from=D5,
                            usd_per_credit="0.045")  # the same day again: replaces it, up to D8 only
    session.commit()
    prices = [*start, (D5, "0.045"), (D8, "0.06")]
    assert _stored(session, codex) == _expected(session, codex, prices)
    assert _tenant_rollup_cost(session, tenant.id) == sum(_expected(session, codex, prices).values())
    assert [(p.effective_from, p.until, p.price) for p in credit_prices.schedule(
        session=session, integration=codex)] == [
        (None, D5 - dt.timedelta(days=1), Decimal("0.04")), (D5, D8 - dt.timedelta(days=1), Decimal("0.045")),
        (D8, None, Decimal("0.06"))]

    # A day synced again later (the nightly look-back) takes its day's price, not the connection's.
    assert backfill(session, codex, D8, D8 + dt.timedelta(days=1)).status == "succeeded"
    assert _stored(session, codex) == _expected(session, codex, prices)
    _models_priced(session, codex, prices)


@pytest.mark.parametrize(("day", "price", "message"), [
    ("2026-13-01", "0.05", "'2026-13-01' is not a date (YYYY-MM-DD)."),
    ("1999-12-31", "0.05", "A price takes effect on 2000-01-01 or later."),
    ("2026-01-01", "-1", "The price per credit (USD) must be a positive amount up to 1,000,000."),
    ("2026-01-01", "abc", "The price per credit (USD) must be a number, such as 0.04."),
])
def test_bad_input_is_refused_and_changes_nothing(session, tenant, codex, day, price, message):
    before = _stored(session, codex)
    with pytest.raises(ValidationFailed) as caught:
        credit_prices.set_price(session=session, tenant_id=tenant.id, integration_id=codex.id, effective_from=day,
                                usd_per_credit=price)
    session.rollback()
    assert str(caught.value) == message
    assert _stored(session, codex) == before and session.exec(select(CreditPrice)).all() == []


def test_only_credit_billing_connections_of_the_tenant_have_prices(session, tenant, codex):
    other = make_tenant(session)
    session.commit()
    with pytest.raises(NotFound):
        credit_prices.set_price(session=session, tenant_id=other.id, integration_id=codex.id,
                                effective_from=D5, usd_per_credit="0.05")
    session.rollback()
    with SimulatorServer() as anthropic:  # Claude Code bills in dollars
        integration = connect(session, tenant, anthropic.base_url)
        with pytest.raises(ValidationFailed, match="^Claude Code does not bill in credits"):
            credit_prices.set_price(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                    effective_from=D5, usd_per_credit="0.05")


def test_the_cli_sets_and_lists_prices(session, tenant, codex):
    runner = CliRunner()
    result = runner.invoke(app, ["ai-tooling", "credit-price", "--integration", str(codex.id),
                                 "--tenant", tenant.slug, "--from", D5.isoformat(), "--usd", "0.05"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("re-priced ")
    assert f"{D5.isoformat()} .. on: 0.05 USD per credit" in result.output
    bad = runner.invoke(app, ["ai-tooling", "credit-price", "--integration", str(codex.id), "--from", "2026-01-01"])
    assert bad.exit_code == 1 and "give both --from and --usd" in bad.output
