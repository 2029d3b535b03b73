"""Monthly budgets (USD) for the whole tenant or a Live org unit, for all providers or one, and where each
stands this month: spent so far, the forecast to month end (`rollups.forecast`), the share used.

- Owners and admins set them (`ai-tooling.manage`), from this month or a later one on; a set for the same
  key and month replaces, and "remove" ends the budget from a month on (a row without an amount), so the
  history of what applied when stays.
- Budgets are for Live: a scenario is a what-if, it spends nothing. A unit's spend is its subtree's, as
  on its page (a person placed in two units counts fully in each); the tenant's is every record, matched
  or not, as on the overview.
- Who sees them: owners and admins every budget; a manager the budgets of the units in their scope
  (`org.visibility`); nobody else.

Bad input (not a number, negative or zero, more than `MAX_BUDGET_CENTS`, a month in the past, a unit not
in Live or not in the tenant, an unknown provider) raises a clear error and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlmodel import Session, col

from orgonaut.ai_tooling.providers import registry
from orgonaut.db import table_of
from orgonaut.errors import Forbidden, NotFound, ValidationFailed
from orgonaut.org.models import OrgUnit
from orgonaut.org.units import get_org_unit_in_scope_or_raise
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups import forecast as fc
from orgonaut.rollups.models import AiUsageRollup, AiUsageTenantRollup, Breadth
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend.models import ALL_PROVIDERS, WHOLE_TENANT, Budget
from orgonaut.tenancy.models import Ability, UsageReach, User
from orgonaut.tenancy.service import can

MAX_BUDGET_CENTS = 100_000_000 * 100  # $100 million a month: anything above is a typo
_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")
ROLLUPS = table_of(AiUsageRollup)
TENANT_ROLLUPS = table_of(AiUsageTenantRollup)
NO_ACCESS = "Budgets are set by owners and admins."


@dataclass(frozen=True)
class BudgetKey:
    org_unit_id: int | None  # None: the whole tenant
    provider: str | None  # None: all providers

    @property
    def stored(self) -> tuple[int, str]:
        return (self.org_unit_id or WHOLE_TENANT, self.provider or ALL_PROVIDERS)


@dataclass(frozen=True)
class BudgetStatus:
    key: BudgetKey
    unit_name: str  # the unit's name, or "Whole organization"
    unit_kind: str  # "company" for the whole tenant
    provider_name: str  # "All providers" or the provider's display name
    month: dt.date
    amount_cents: int
    forecast: fc.Forecast
    next_change: tuple[dt.date, int | None] | None  # (month, amount or None = removed) after this month

    @property
    def spent_cents(self) -> Decimal:
        return self.forecast.spent_cents

    @property
    def used_pct(self) -> Decimal:
        return (self.spent_cents / self.amount_cents * 100).quantize(Decimal("0.1"))

    @property
    def forecast_pct(self) -> Decimal:
        return (self.forecast.forecast_cents / self.amount_cents * 100).quantize(Decimal("0.1"))

    @property
    def over_forecast(self) -> bool:
        return self.forecast.forecast_cents > self.amount_cents


# --- input --------------------------------------------------------------------------------------


def parse_amount(value: str | int | Decimal) -> int:
    """USD as typed ("1500", "1,500.50", "$2000") to whole cents."""
    text = str(value).strip().replace(",", "").removeprefix("$").strip()
    if text.startswith("-"):
        raise ValidationFailed("A budget cannot be negative.")
    if not _AMOUNT.match(text):
        raise ValidationFailed(f"'{str(value)[:40]}' is not an amount in USD (such as 1500 or 1500.50).")
    try:
        cents = int(Decimal(text) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValidationFailed(f"'{str(value)[:40]}' is not an amount in USD.") from None
    if cents <= 0:
        raise ValidationFailed("A budget must be more than $0; to end one, remove it.")
    if cents > MAX_BUDGET_CENTS:
        raise ValidationFailed(f"A monthly budget is at most ${MAX_BUDGET_CENTS // 100:,}; is '{text}' a typo?")
    return cents


def parse_month(value: dt.date | str) -> dt.date:
    """"2027-01" or "2027-01-01" (or a date) to the month's first day."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text + "-01" if len(text) == 7 else text).replace(day=1)
    except ValueError:
        raise ValidationFailed(f"'{text[:40]}' is not a month (YYYY-MM).") from None


def _provider(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    return registry.get_provider_info(str(value).strip()).key  # unknown: ValidationFailed naming the valid ones


def _unit(session: Session, tenant_id: int, org_unit_id: int | None) -> OrgUnit | None:
    if org_unit_id is None:
        return None
    try:
        return get_org_unit_in_scope_or_raise(session=session, tenant_id=tenant_id, scenario_id=None,
                                              org_unit_id=org_unit_id)
    except NotFound:
        raise NotFound(f"Org unit {org_unit_id} is not a Live unit of this organization: budgets are set on "
                       "Live units.") from None


def _require_manager(user: User) -> None:
    if not can(user, Ability.ai_tooling_manage):
        raise Forbidden(NO_ACCESS)


# --- writes -------------------------------------------------------------------------------------


def set_budget(
    *, session: Session, user: User, org_unit_id: int | None, provider: str | None, amount: str | int | Decimal,
    effective_month: dt.date | str,
) -> BudgetStatus:
    """Sets the budget of a key from a month on (this month or later; flushed, the caller commits)."""
    _require_manager(user)
    tenant_id = user.tenant_id
    amount_cents = parse_amount(amount)
    unit = _unit(session, tenant_id, org_unit_id)
    key = BudgetKey(org_unit_id=unit.id if unit else None, provider=_provider(provider))
    month = starting_month(session, tenant_id, effective_month)
    _store(session, tenant_id, key, month, amount_cents, user.id)
    today = tenant_today(session=session, tenant_id=tenant_id)
    status = status_of(session=session, tenant_id=tenant_id, key=key, today=today, month=month)
    assert status is not None
    return status


def remove_budget(
    *, session: Session, user: User, org_unit_id: int | None, provider: str | None, effective_month: dt.date | str,
) -> None:
    """Ends the key's budget from a month on (this month or later)."""
    _require_manager(user)
    tenant_id = user.tenant_id
    unit = _unit(session, tenant_id, org_unit_id)
    key = BudgetKey(org_unit_id=unit.id if unit else None, provider=_provider(provider))
    month = starting_month(session, tenant_id, effective_month)
    if amount_for(_rows(session, tenant_id, key), month) is None:
        raise NotFound("There is no budget to remove for that unit, provider and month.")
    _store(session, tenant_id, key, month, None, user.id)


def starting_month(session: Session, tenant_id: int, value: dt.date | str) -> dt.date:
    """The month a budget change takes effect: this month or a later one, within five years."""
    month = parse_month(value)
    this_month = tenant_today(session=session, tenant_id=tenant_id).replace(day=1)
    if month < this_month:
        raise ValidationFailed(f"A budget applies from this month ({this_month:%Y-%m}) or a later one; "
                               f"{month:%Y-%m} is past.")
    if month > this_month.replace(year=this_month.year + 5):
        raise ValidationFailed("A budget starts within the next five years.")
    return month


def _store(session: Session, tenant_id: int, key: BudgetKey, month: dt.date, amount_cents: int | None,
           user_id: int | None) -> None:
    unit_key, provider = key.stored
    row = session.get(Budget, (tenant_id, unit_key, provider, month))
    if row is None:
        row = Budget(tenant_id=tenant_id, org_unit_key=unit_key, provider=provider, effective_month=month)
    row.amount_cents, row.set_by_user_id = amount_cents, user_id
    session.add(row)
    session.flush()


# --- reads --------------------------------------------------------------------------------------


def _rows(session: Session, tenant_id: int, key: BudgetKey) -> list[Budget]:
    unit_key, provider = key.stored
    return list(session.execute(
        select(Budget).where(col(Budget.tenant_id) == tenant_id, col(Budget.org_unit_key) == unit_key,
                             col(Budget.provider) == provider).order_by(col(Budget.effective_month))
    ).scalars())


def amount_for(rows: list[Budget], month: dt.date) -> int | None:
    """The amount in force in `month`: the latest row from that month or before (None: no budget)."""
    in_force = [row for row in rows if row.effective_month <= month]
    return in_force[-1].amount_cents if in_force else None


def daily_costs(session: Session, tenant_id: int, key: BudgetKey, start: dt.date, end: dt.date
                ) -> dict[dt.date, Decimal]:
    """The key's Live cost per day from the stored rollups (a unit: its subtree; the tenant: everything)."""
    if key.org_unit_id is None:
        t = TENANT_ROLLUPS.c
        conditions = [t.tenant_id == tenant_id, t.scope_key == 0, t.usage_date >= start, t.usage_date <= end]
        day, cost, provider = t.usage_date, t.cost_cents, t.provider
    else:
        r = ROLLUPS.c
        conditions = [r.tenant_id == tenant_id, r.scope_key == 0, r.org_unit_id == key.org_unit_id,
                      r.breadth == Breadth.subtree.value, r.usage_date >= start, r.usage_date <= end]
        day, cost, provider = r.usage_date, r.cost_cents, r.provider
    if key.provider is not None:
        conditions.append(provider == key.provider)
    rows = session.execute(select(day, func.sum(cost)).where(*conditions).group_by(day)).all()
    return {row[0]: Decimal(row[1] or 0) for row in rows}


def status_of(*, session: Session, tenant_id: int, key: BudgetKey, today: dt.date, month: dt.date | None = None
              ) -> BudgetStatus | None:
    """Where the key's budget of this month stands (None: no budget this month). With `month` later than
    this one (a budget set from then on), the status of that month's amount against this month's pace."""
    rows = _rows(session, tenant_id, key)
    this_month = today.replace(day=1)
    amount = amount_for(rows, month or this_month)
    if amount is None:
        return None
    start = this_month - dt.timedelta(days=fc.TRAILING_DAYS)
    forecast = fc.forecast_month(daily_costs(session, tenant_id, key, start, today), today)
    later = [(row.effective_month, row.amount_cents) for row in rows if row.effective_month > (month or this_month)]
    unit = session.get(OrgUnit, key.org_unit_id) if key.org_unit_id is not None else None
    return BudgetStatus(
        key=key, unit_name=unit.name if unit else "Whole organization",
        unit_kind=str(unit.kind) if unit else "company",
        provider_name=registry.get_provider_info(key.provider).display_name if key.provider else "All providers",
        month=month or this_month, amount_cents=amount, forecast=forecast, next_change=later[0] if later else None,
    )


def may_see(viewer: UsageViewer, key: BudgetKey) -> bool:
    """Owners and admins see every budget; a manager those of the units in their scope."""
    if viewer.reach == UsageReach.everyone:
        return True
    return key.org_unit_id is not None and viewer.reach == UsageReach.scope and viewer.may_see_unit(key.org_unit_id)


def list_statuses(*, session: Session, tenant_id: int, viewer: UsageViewer, today: dt.date | None = None
                  ) -> list[BudgetStatus]:
    """Every budget in force this month that `viewer` may see: the tenant's first, then units by name,
    all providers before each provider."""
    today = today or tenant_today(session=session, tenant_id=tenant_id)
    keys: dict[tuple[int, str], BudgetKey] = {}
    for unit_key, provider in session.execute(
        select(col(Budget.org_unit_key), col(Budget.provider)).where(col(Budget.tenant_id) == tenant_id).distinct()
    ).all():
        keys[(unit_key, provider)] = BudgetKey(org_unit_id=unit_key or None, provider=provider or None)
    statuses = [status for key in keys.values() if may_see(viewer, key)
                if (status := status_of(session=session, tenant_id=tenant_id, key=key, today=today)) is not None]
    return sorted(statuses, key=lambda s: (s.key.org_unit_id is not None, s.unit_name.lower(), s.key.provider or ""))


def status_for_unit(*, session: Session, tenant_id: int, viewer: UsageViewer, org_unit_id: int | None,
                    provider: str | None = None, today: dt.date | None = None) -> BudgetStatus | None:
    """The budget of one unit (None: the whole tenant) for a page's burn-down, when one is set and visible."""
    key = BudgetKey(org_unit_id=org_unit_id, provider=provider)
    if not may_see(viewer, key):
        return None
    today = today or tenant_today(session=session, tenant_id=tenant_id)
    return status_of(session=session, tenant_id=tenant_id, key=key, today=today)
