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

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from orgonaut.ai_tooling.changes import owe_refresh
from orgonaut.ai_tooling.models import AiToolUsageRecord, CreditPrice
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.declaration import CredentialField, FieldKind
from orgonaut.ai_tooling.providers.money import cents_to_json, credits_to_cents, sum_cost_cents
from orgonaut.errors import ValidationFailed
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration

EARLIEST = dt.date(2000, 1, 1)
_PRICE = CredentialField(name="usd_per_credit", label="price per credit (USD)", kind=FieldKind.decimal,
                         hint="The price of one credit in USD, such as 0.04.")


@dataclasses.dataclass(frozen=True)
class PricePeriod:
    """A price and the days it applies to (`until`: the day before the next price, None: open)."""

    usd_per_credit: Decimal
    effective_from: dt.date | None  # None: the connection's own price, from the first day
    until: dt.date | None


@dataclasses.dataclass(frozen=True)
class Repriced:
    records: int  # stored person-days (per scope) whose cost was recomputed
    cost_before_cents: Decimal
    cost_after_cents: Decimal


def _price_field(integration: Integration) -> str:
    field = registry.get_provider_info(integration.provider).credit_price_field
    if field is None:
        info = registry.get_provider_info(integration.provider)
        raise ValidationFailed(f"{info.display_name} does not bill in credits: it has no price per credit.")
    return field


def schedule(*, session: Session, integration: Integration) -> list[PricePeriod]:
    """The connection's prices, oldest first: its own, then each one set from a day on."""
    own = Decimal(str(integrations.read_config(integration)[_price_field(integration)]))
    rows = list(session.exec(select(CreditPrice).where(CreditPrice.integration_id == integration.id)
                             .order_by(col(CreditPrice.effective_from))))
    periods = [PricePeriod(usd_per_credit=own, effective_from=None, until=None)]
    for row in rows:
        periods[-1] = dataclasses.replace(periods[-1], until=row.effective_from - dt.timedelta(days=1))
        periods.append(PricePeriod(usd_per_credit=_plain(Decimal(row.usd_per_credit)),
                                   effective_from=row.effective_from, until=None))
    return periods


def _plain(amount: Decimal) -> Decimal:
    """0.050000 (as Numeric(18, 6) gives it back) as 0.05, and 100 as 100 (not 1E+2)."""
    return Decimal(format(amount.normalize(), "f"))


def price_on(periods: list[PricePeriod], day: dt.date) -> PricePeriod:
    return next(p for p in reversed(periods) if p.effective_from is None or p.effective_from <= day)


def set_price(
    *, session: Session, tenant_id: int, integration_id: int, effective_from: dt.date | str, usd_per_credit: str,
    user_id: int | None = None,
) -> Repriced:
    """Sets the price from a day on (replacing a price set for that same day) and re-prices the stored days
    it covers, up to the next price's first day (flushed; the caller commits). Bad input changes nothing."""
    integration = integrations.get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    _price_field(integration)
    day = _day(effective_from)
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


def _day(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationFailed(f"'{str(value)[:40]}' is not a date (YYYY-MM-DD).") from None
    if day < EARLIEST:
        raise ValidationFailed(f"A price takes effect on {EARLIEST.isoformat()} or later.")
    return day


def _reprice(session: Session, integration: Integration, period: PricePeriod, *, start: dt.date,
             end: dt.date | None, owe: bool = True) -> Repriced:
    record = AiToolUsageRecord
    statement = select(record).where(record.integration_id == integration.id, record.usage_date >= start)
    if end is not None:
        statement = statement.where(record.usage_date <= end)
    before: list[Decimal] = []
    after: list[Decimal] = []
    touched: dict[int | None, tuple[set[int], dt.date, dt.date]] = {}
    for row in session.exec(statement):
        credits = Decimal(str((row.provider_metrics or {}).get("credits", "0")))
        cost = credits_to_cents(credits, period.usd_per_credit)
        before.append(row.total_cost_cents or Decimal(0))
        after.append(cost)
        breakdown = repriced_breakdown(row.model_breakdown, period.usd_per_credit)
        if row.total_cost_cents == cost and breakdown == row.model_breakdown:
            continue
        row.total_cost_cents = cost
        row.model_breakdown = breakdown
        session.add(row)
        actors, first, last = touched.get(row.scenario_id, (set(), row.usage_date, row.usage_date))
        if row.actor_id is not None:
            actors.add(row.actor_id)
        touched[row.scenario_id] = (actors, min(first, row.usage_date), max(last, row.usage_date))
    session.flush()
    if owe:
        for scenario_id, (actors, first, last) in touched.items():
            owe_refresh(session, tenant_id=integration.tenant_id, scenario_id=scenario_id, start=first, end=last,
                        actor_ids=actors, records=True)
    return Repriced(records=len(after), cost_before_cents=sum_cost_cents(before),
                    cost_after_cents=sum_cost_cents(after))
