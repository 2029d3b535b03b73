"""Monthly budgets and the budget alerts already sent.

A budget is keyed by what it covers: the whole tenant (`org_unit_key` 0) or one Live org unit and its
subtree, all providers (`provider` "") or one. Each row holds the amount from `effective_month` on, until
the next row of the same key; a row without an amount ends the budget from its month. The natural key is
the primary key, as for the rollups, so "one row per key and month" needs no extra index and a set for the
same month replaces.

`budget_alerts` remembers each threshold crossed per budget key and month: its primary key makes an alert
go out once, however many workers check at once (`spend.budget_alerts`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Date, Integer, String
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
