"""Budget alerts: a budget's month reaching 50 %, 80 % and 100 % of its amount, and its forecast first going
over it, each once per budget and month.

`check` runs after every Live rollup refresh (the spend moved) and every hour from beat (the month turned);
it is idempotent: the `budget_alerts` row of (budget key, month, threshold) is claimed with an insert that
skips an existing row, in the transaction that writes the notifications, so two workers checking at once
alert once, and a rolled-back check alerts again next time.

When one check crosses several thresholds (a first sync of a month already at 85 %), the thresholds are all
claimed and one alert says the highest. The forecast alert goes out only while the spend is under the
budget (above it, "over budget" has been said).

Recipients: the tenant's active owners and admins, and for a unit's budget the active managers whose scope
(`org.visibility`, in Live) holds the unit, each per their "Budget alerts" preference (in-app, e-mail).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from orgonaut.notify.models import Category
from orgonaut.paths import AI_BUDGETS
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import alerting, budgets
from orgonaut.spend.alerting import usd
from orgonaut.spend.models import Budget, BudgetAlert
from orgonaut.tenancy.models import Tenant, User

CHECK_TASK = "orgonaut.spend.check_spend"  # workers.spend_tasks: budgets and anomalies, after each Live refresh
THRESHOLDS = (50, 80, 100)
FORECAST = "forecast"


@dataclass(frozen=True)
class SentAlert:
    key: budgets.BudgetKey
    month: dt.date
    threshold: str  # the highest crossed: "50", "80", "100" or "forecast"
    user_ids: tuple[int, ...]


def tenants_with_budgets(*, session: Session) -> list[int]:
    return list(session.exec(select(Budget.tenant_id).distinct().order_by(col(Budget.tenant_id))))


def check(*, session: Session, tenant_id: int, today: dt.date | None = None) -> list[SentAlert]:
    """Every budget of the tenant in force this month, its newly crossed thresholds alerted (flushed)."""
    today = today or tenant_today(session=session, tenant_id=tenant_id)
    keys = {budgets.BudgetKey(org_unit_id=unit_key or None, provider=provider or None)
            for unit_key, provider in session.exec(
                select(Budget.org_unit_key, Budget.provider).where(Budget.tenant_id == tenant_id).distinct())}
    sent = []
    for key in sorted(keys, key=lambda k: k.stored):
        status = budgets.status_of(session=session, tenant_id=tenant_id, key=key, today=today)
        if status is None:
            continue
        crossed = [str(t) for t in THRESHOLDS if status.spent_cents * 100 >= status.amount_cents * t]
        if status.over_forecast:
            crossed.append(FORECAST)
        new = [threshold for threshold in crossed if _claim(session, tenant_id, status, threshold)]
        if not new:
            continue
        highest = max((t for t in new if t != FORECAST), key=int, default=FORECAST)
        if highest == FORECAST and "100" in crossed:
            continue  # over budget already said; the forecast adds nothing
        sent.append(_alert(session, tenant_id, status, highest))
    return sent


def _claim(session: Session, tenant_id: int, status: budgets.BudgetStatus, threshold: str) -> bool:
    unit_key, provider = status.key.stored
    values = dict(tenant_id=tenant_id, org_unit_key=unit_key, provider=provider, month=status.month,
                  threshold=threshold, spent_cents=int(status.spent_cents), budget_cents=status.amount_cents)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # RETURNING says whether this insert wrote the row (a skipped conflict returns nothing), on both dialects.
    statement = dialect.insert(BudgetAlert).values(**values).on_conflict_do_nothing().returning(
        BudgetAlert.threshold)
    return session.execute(statement).first() is not None


def recipients(*, session: Session, tenant_id: int, org_unit_id: int | None) -> list[User]:
    """Owners and admins; for a unit's budget also the managers whose scope holds the unit."""
    return alerting.recipients(session=session, tenant_id=tenant_id, manager_hears=lambda viewer: (
        org_unit_id is not None and viewer.may_see_unit(org_unit_id)))


def _alert(session: Session, tenant_id: int, status: budgets.BudgetStatus, threshold: str) -> SentAlert:
    tenant = session.get_one(Tenant, tenant_id)
    what = f"{status.unit_name}, {status.provider_name if status.key.provider else 'all providers'}"
    month = f"{status.month:%B %Y}"
    spent, amount = usd(status.spent_cents), usd(status.amount_cents)
    forecast = usd(status.forecast.forecast_cents)
    if threshold == FORECAST:
        title = f"{what} is forecast to go over its budget"
        body = (f"{spent} spent of {amount} in {month} ({status.used_pct} %); at this pace the month ends at "
                f"{forecast} ({status.forecast_pct} % of the budget).")
    elif threshold == "100":
        title = f"{what} is over its budget"
        body = f"{spent} spent of {amount} in {month} ({status.used_pct} %). Forecast to month end: {forecast}."
    else:
        title = f"{what} has used {threshold} % of its budget"
        body = f"{spent} spent of {amount} in {month} ({status.used_pct} %). Forecast to month end: {forecast}."
    facts = [("Budget", what), ("Month", month), ("Spent", f"{spent} ({status.used_pct} %)"), ("Budget amount", amount),
             ("Forecast to month end", f"{forecast} ({status.forecast_pct} %)")]
    footer = (f"You receive this because you manage AI tooling or this unit in {tenant.name}. "
              "Choose which alerts reach you by e-mail in your notification settings:")
    alert = alerting.Alert(category=Category.budgets, title=title, body=body, link=AI_BUDGETS, facts=facts,
                           action="Open the budgets", footer=footer)
    users = recipients(session=session, tenant_id=tenant_id, org_unit_id=status.key.org_unit_id)
    user_ids = alerting.deliver(session=session, users=users, alert=alert)
    return SentAlert(key=status.key, month=status.month, threshold=threshold, user_ids=tuple(user_ids))
