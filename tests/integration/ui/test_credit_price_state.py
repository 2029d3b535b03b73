"""The settings page's price per credit (Codex): the card says which price applies to which days, and
"Change price" re-prices the stored days it covers; a bad price stays in the dialog and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import select

from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.models import AiToolUsageRecord, CreditPrice
from orgonaut.tenancy.models import Role
from orgonaut.ui.pages.ai_tooling.credit_price import CreditPriceState
from tests.integration.ai_tooling.test_codex_sync import live_codex  # noqa: F401 - the fixture
from tests.integration.ai_tooling.test_sync_runs import backfill
from tests.integration.ui.test_ai_tooling_settings_state import _open, _tenant
from tests.support.codex_simulator import codex_credentials

TODAY = dt.datetime.now(dt.UTC).date()
START, END = TODAY - dt.timedelta(days=12), TODAY - dt.timedelta(days=7)
FROM = START + dt.timedelta(days=3)


def _cost(session) -> Decimal:
    session.expire_all()
    return sum((r.total_cost_cents for r in session.exec(select(AiToolUsageRecord))), Decimal(0))


def test_an_admin_changes_the_price_from_a_day_and_the_card_says_which_price_applies(session, live_codex):  # noqa: F811
    live_codex.reset()
    tenant, emails = _tenant(session)
    integration = service.connect(session=session, tenant_id=tenant.id, provider="codex",
                                  credentials=codex_credentials(usd_per_credit="0.04"), api_base=live_codex.base_url)
    session.commit()
    assert backfill(session, integration, START, END).status == "succeeded"
    _, page = _open(session, emails[Role.admin], dialog=CreditPriceState)
    [card] = [p for p in page.providers if p.name == "Codex"]
    assert card.credit_prices == "$0.04"
    assert all(p.credit_prices == "" for p in page.providers if p.name != "Codex")

    before = _cost(session)
    page.open_credit_price(integration.id)
    assert page.open_dialog == "credit_price"
    page.save_credit_price({"effective_from": FROM.isoformat(), "usd_per_credit": "free"})
    assert page.price_error == "The price per credit (USD) must be a number, such as 0.04."
    assert page.open_dialog == "credit_price" and _cost(session) == before
    assert session.exec(select(CreditPrice)).all() == []

    page.save_credit_price({"effective_from": FROM.isoformat(), "usd_per_credit": "0.08"})
    assert page.price_error == "" and page.open_dialog == ""
    [card] = [p for p in page.providers if p.name == "Codex"]
    day_before = FROM - dt.timedelta(days=1)
    assert card.credit_prices == f"$0.04 until {day_before:%-d %b %Y}; $0.08 from {FROM:%-d %b %Y}"
    session.expire_all()
    for record in session.exec(select(AiToolUsageRecord)):
        credits = Decimal(record.provider_metrics["credits"])
        price = Decimal("0.08") if record.usage_date >= FROM else Decimal("0.04")
        assert record.total_cost_cents == (credits * price * 100).quantize(Decimal("0.000001")), record.usage_date
    assert _cost(session) > before


def test_people_who_may_not_manage_ai_tooling_cannot_change_prices(session, live_codex):  # noqa: F811
    live_codex.reset()
    tenant, emails = _tenant(session)
    integration = service.connect(session=session, tenant_id=tenant.id, provider="codex",
                                  credentials=codex_credentials(usd_per_credit="0.04"), api_base=live_codex.base_url)
    session.commit()
    _, page = _open(session, emails[Role.manager], dialog=CreditPriceState)
    page.open_dialog, page._dialog_integration_id = "credit_price", integration.id  # a forged event
    page.save_credit_price({"effective_from": FROM.isoformat(), "usd_per_credit": "0.08"})
    assert session.exec(select(CreditPrice)).all() == []
