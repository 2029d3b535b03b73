"""Prices per credit with effective dates, for providers that bill in credits (Codex).

A connection is made with a price per credit (a credential field the provider declares as its
`credit_price_field`); an admin can then set a new price from a day on (`set_price`). The price of a day
is the latest one in effect on it, else the connection's own. Every stored record of such a provider keeps
its exact credits (`provider_metrics["credits"]`), so setting a price re-prices exactly the stored days it
covers (up to the next price's first day) from those credits, in every scope, and owes the rollup refresh
of the days and people whose cost changed; a day synced later takes its day's price as it is stored
(`price_stored_day`). Money: `money.credits_to_cents`, rounded once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from orgonaut.ai_tooling import price_schedule
from orgonaut.ai_tooling.models import AiToolUsageRecord, CreditPrice
from orgonaut.ai_tooling.price_schedule import PricePeriod, Repriced, price_on
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.declaration import CredentialField, FieldKind
from orgonaut.ai_tooling.providers.money import cents_to_json, credits_to_cents
from orgonaut.errors import ValidationFailed
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration

__all__ = ["PricePeriod", "Repriced", "price_stored_day", "schedule", "set_price"]

_PRICE = CredentialField(name="usd_per_credit", label="price per credit (USD)", kind=FieldKind.decimal,
                         hint="The price of one credit in USD, such as 0.04.")


def _price_field(integration: Integration) -> str:
    field = registry.get_provider_info(integration.provider).credit_price_field
    if field is None:
        info = registry.get_provider_info(integration.provider)
        raise ValidationFailed(f"{info.display_name} does not bill in credits: it has no price per credit.")
    return field


def schedule(*, session: Session, integration: Integration) -> list[PricePeriod]:
    """The connection's prices per credit, oldest first: its own, then each one set from a day on."""
    own = Decimal(str(integrations.read_config(integration)[_price_field(integration)]))
    rows = session.exec(select(CreditPrice).where(CreditPrice.integration_id == integration.id))
    return price_schedule.schedule(own, [(row.effective_from, Decimal(row.usd_per_credit)) for row in rows])


def set_price(
    *, session: Session, tenant_id: int, integration_id: int, effective_from: dt.date | str, usd_per_credit: str,
    user_id: int | None = None,
) -> Repriced:
    """Sets the price from a day on (replacing a price set for that same day) and re-prices the stored days
    it covers, up to the next price's first day (flushed; the caller commits). Bad input changes nothing."""
    integration = integrations.get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    _price_field(integration)
    day = price_schedule.parse_day(effective_from)
    price = Decimal(_PRICE.clean(usd_per_credit))
    row = session.exec(select(CreditPrice).where(CreditPrice.integration_id == integration.id,
                                                 CreditPrice.effective_from == day)).first()
    if row is None:
        row = CreditPrice(tenant_id=tenant_id, integration_id=integration.id, effective_from=day, usd_per_credit=price)
    row.usd_per_credit, row.created_by_user_id = price, user_id
    session.add(row)
    session.flush()
    period = price_on(schedule(session=session, integration=integration), day)
    return _reprice(session, integration, period, start=day, end=period.until)


def price_stored_day(*, session: Session, integration: Integration, day: dt.date) -> None:
    """Gives a freshly stored day of a credit-billing provider its day's price, when that is not the
    connection's own (the provider priced it with that one). Flushed; the day's refresh is owed already."""
    if registry.get_provider_info(integration.provider).credit_price_field is None:
        return
    if session.exec(select(CreditPrice.id).where(CreditPrice.integration_id == integration.id,
                                                 CreditPrice.effective_from <= day).limit(1)).first() is None:
        return  # the connection's own price applies: the provider used it
    period = price_on(schedule(session=session, integration=integration), day)
    _reprice(session, integration, period, start=day, end=day, owe=False)


def repriced_breakdown(breakdown: list[dict[str, Any]], usd_per_credit: Decimal) -> list[dict[str, Any]]:
    """A record's per-model entries with the price applied to each one's credits (its `estimated_cost`), so
    the model mix follows a new price as the record's total does; entries without credits stay as they are."""
    repriced = []
    for entry in breakdown or []:
        credits = entry.get("credits") if isinstance(entry, dict) else None
        if credits is None:
            repriced.append(entry)
            continue
        amount = credits_to_cents(Decimal(str(credits)), usd_per_credit)
        repriced.append({**entry, "estimated_cost": {"currency": "USD", "amount": cents_to_json(amount)}})
    return repriced


def _reprice(session: Session, integration: Integration, period: PricePeriod, *, start: dt.date,
             end: dt.date | None, owe: bool = True) -> Repriced:
    record = AiToolUsageRecord
    statement = select(record).where(record.integration_id == integration.id, record.usage_date >= start)
    if end is not None:
        statement = statement.where(record.usage_date <= end)

    def cost(row: AiToolUsageRecord) -> tuple[Decimal, dict[str, Any]]:
        credits = Decimal(str((row.provider_metrics or {}).get("credits", "0")))
        return credits_to_cents(credits, period.price), {
            "model_breakdown": repriced_breakdown(row.model_breakdown, period.price)}

    return price_schedule.reprice(session, integration, session.exec(statement.order_by(col(record.id))), cost,
                                  owe=owe)
