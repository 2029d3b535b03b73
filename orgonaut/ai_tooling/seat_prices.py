"""Seat prices with effective dates, for providers whose records carry each day's share of a seat's monthly
price (Copilot's Business and Enterprise plans: `ProviderInfo.seat_price_fields`).

A connection is made with a monthly price per plan (its credentials); an admin can then set a plan's price from
a day on (`set_price`), say when a contract is renegotiated. The price of a day is the plan's latest one in effect
on it, else the connection's own. Setting one re-prices exactly the stored days it covers (up to the plan's next
price), in every scope, through the provider's `reprice_seat_day` (the seat share changes, usage-based cost stays
as billed), and owes the rollup refresh of the days and people whose cost changed; a day synced later takes its
day's price as it is stored (`price_stored_day`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from orgonaut.ai_tooling import price_schedule
from orgonaut.ai_tooling.models import AiToolUsageRecord, SeatPrice
from orgonaut.ai_tooling.price_schedule import PricePeriod, Repriced, price_on
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.declaration import CredentialField, FieldKind, ProviderInfo
from orgonaut.errors import ValidationFailed
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration

_PRICE = CredentialField(name="usd_per_month", label="monthly seat price (USD)", kind=FieldKind.decimal,
                         hint="The price of one seat a month in USD, such as 19.")


def plans(integration: Integration) -> list[str]:
    """The seat plans whose price can be set for this connection (none: its provider has no seat prices)."""
    return [plan for plan, _ in registry.get_provider_info(integration.provider).seat_price_fields]


def _info(integration: Integration) -> ProviderInfo:
    info = registry.get_provider_info(integration.provider)
    if not info.seat_price_fields or info.reprice_seat_day is None:
        raise ValidationFailed(f"{info.display_name} has no seat price to set.")
    return info


def schedule(*, session: Session, integration: Integration, plan: str) -> list[PricePeriod]:
    """A plan's monthly prices, oldest first: the connection's own, then each one set from a day on."""
    fields = dict(_info(integration).seat_price_fields)
    if plan not in fields:
        raise ValidationFailed(f"'{plan[:40]}' is not a seat plan here; the plans are {', '.join(fields)}.")
    own = Decimal(str(integrations.read_config(integration)[fields[plan]]))
    rows = session.exec(select(SeatPrice).where(SeatPrice.integration_id == integration.id, SeatPrice.plan == plan))
    return price_schedule.schedule(own, [(row.effective_from, Decimal(row.usd_per_month)) for row in rows])


def set_price(*, session: Session, tenant_id: int, integration_id: int, plan: str, effective_from: dt.date | str,
              usd_per_month: str, user_id: int | None = None) -> Repriced:
    """Sets a plan's monthly price from a day on (replacing one set for that same day) and re-prices the stored
    days it covers (flushed; the caller commits). Bad input changes nothing."""
    integration = integrations.get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    plan = str(plan).strip().lower()
    schedule(session=session, integration=integration, plan=plan)  # a plan of this provider
    day = price_schedule.parse_day(effective_from)
    price = Decimal(_PRICE.clean(usd_per_month))
    if price != price.quantize(Decimal("0.0001")):
        raise ValidationFailed("A seat price has at most four decimal places.")
    row = session.exec(select(SeatPrice).where(SeatPrice.integration_id == integration.id, SeatPrice.plan == plan,
                                               SeatPrice.effective_from == day)).first()
    if row is None:
        row = SeatPrice(tenant_id=tenant_id, integration_id=integration.id, plan=plan, effective_from=day,
                        usd_per_month=price)
    row.usd_per_month, row.created_by_user_id = price, user_id
    session.add(row)
    session.flush()
    period = price_on(schedule(session=session, integration=integration, plan=plan), day)
    return _reprice(session, integration, plan, period, start=day, end=period.until)


def price_stored_day(*, session: Session, integration: Integration, day: dt.date) -> None:
    """Gives a freshly stored day its plans' prices of that day, where one was set (the provider priced it with
    the connection's own). Flushed; the day's refresh is owed already."""
    if not registry.get_provider_info(integration.provider).seat_price_fields:
        return
    set_plans = session.exec(select(SeatPrice.plan).where(SeatPrice.integration_id == integration.id,
                                                          SeatPrice.effective_from <= day).distinct()).all()
    for plan in sorted(set_plans):
        period = price_on(schedule(session=session, integration=integration, plan=plan), day)
        _reprice(session, integration, plan, period, start=day, end=day, owe=False)


def _reprice(session: Session, integration: Integration, plan: str, period: PricePeriod, *, start: dt.date,
             end: dt.date | None, owe: bool = True) -> Repriced:
    reprice_day = _info(integration).reprice_seat_day
    assert reprice_day is not None
    record = AiToolUsageRecord
    statement = select(record).where(record.integration_id == integration.id, record.usage_date >= start)
    if end is not None:
        statement = statement.where(record.usage_date <= end)

    def cost(row: AiToolUsageRecord) -> tuple[Decimal, dict[str, Any]] | None:
        priced = reprice_day(dict(row.provider_metrics or {}), period.price, row.usage_date, plan)
        return None if priced is None else (priced[0], {"provider_metrics": priced[1]})

    return price_schedule.reprice(session, integration, session.exec(statement.order_by(col(record.id))), cost,
                                  owe=owe)
