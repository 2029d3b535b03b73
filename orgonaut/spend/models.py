"""Monthly budgets and the budget alerts already sent.

A budget is keyed by what it covers: the whole tenant (`org_unit_key` 0) or one Live org unit and its
subtree, all providers (`provider` "") or one. Each row holds the amount from `effective_month` on, until
the next row of the same key; a row without an amount ends the budget from its month. The natural key is
the primary key, as for the rollups, so "one row per key and month" needs no extra index and a set for the
same month replaces.

`spend_anomalies` holds the anomalous (person, day, provider) of the recent days (`spend.anomalies`), with
the numbers that made them so and when they were notified.

`chargeback_closes` marks a month closed (its report frozen) and `chargeback_lines` holds the frozen report's
lines: the month's own (`for_month` = `month`) and the adjustments it carried for earlier closed months
(`spend.chargeback`).

`budget_alerts` remembers each threshold crossed per budget key and month: its primary key makes an alert
go out once, however many workers check at once (`spend.budget_alerts`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Date, Integer, Numeric, String
from sqlmodel import Field, SQLModel

from orgonaut.clock import utcnow

ALL_PROVIDERS = ""
WHOLE_TENANT = 0


def _key(type_) -> Column:
    return Column(type_, primary_key=True, autoincrement=False, nullable=False)


class Budget(SQLModel, table=True):
    __tablename__ = "budgets"

    tenant_id: int = Field(sa_column=_key(Integer))
    org_unit_key: int = Field(sa_column=_key(Integer))  # 0: the whole tenant, else a Live org unit's id
    provider: str = Field(sa_column=_key(String(40)))  # "": all providers
    effective_month: dt.date = Field(sa_column=_key(Date))  # the first of the month
    amount_cents: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))  # None: no budget
    set_by_user_id: int | None = None
    set_at: dt.datetime = Field(default_factory=utcnow)


class BudgetAlert(SQLModel, table=True):
    __tablename__ = "budget_alerts"

    tenant_id: int = Field(sa_column=_key(Integer))
    org_unit_key: int = Field(sa_column=_key(Integer))
    provider: str = Field(sa_column=_key(String(40)))
    month: dt.date = Field(sa_column=_key(Date))
    threshold: str = Field(sa_column=_key(String(12)))  # "50", "80", "100" or "forecast"
    spent_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    budget_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    sent_at: dt.datetime = Field(default_factory=utcnow)


class SpendAnomaly(SQLModel, table=True):
    __tablename__ = "spend_anomalies"

    tenant_id: int = Field(sa_column=_key(Integer))
    actor_id: int = Field(sa_column=_key(Integer))
    usage_date: dt.date = Field(sa_column=_key(Date))
    provider: str = Field(sa_column=_key(String(40)))
    cost_cents: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(18, 6), nullable=False))
    baseline_cents: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(18, 6), nullable=False))
    spread_cents: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(18, 6), nullable=False))
    team_median_cents: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 6), nullable=True))
    ratio: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(12, 1), nullable=False))
    model: str = Field(default="", sa_column=Column(String(120), nullable=False))
    detected_at: dt.datetime = Field(default_factory=utcnow)
    notified_at: dt.datetime | None = None


class ChargebackClose(SQLModel, table=True):
    __tablename__ = "chargeback_closes"

    tenant_id: int = Field(sa_column=_key(Integer))
    month: dt.date = Field(sa_column=_key(Date))  # the first of the month
    total_cents: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(18, 6), nullable=False))
    closed_by_user_id: int | None = None
    closed_at: dt.datetime = Field(default_factory=utcnow)


class ChargebackLine(SQLModel, table=True):
    __tablename__ = "chargeback_lines"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(index=True)
    month: dt.date  # the closed report it belongs to
    for_month: dt.date  # the month the cost was incurred: `month`, or an earlier one for an adjustment
    cost_centre: str = Field(max_length=60)
    department: str = Field(max_length=200)
    unit: str = Field(max_length=200)
    unit_id: int | None = None
    actor_id: int | None = None
    person: str = Field(max_length=200)
    provider: str = Field(max_length=40)
    amount_cents: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(18, 6), nullable=False))
