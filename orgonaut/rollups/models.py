"""The stored aggregates that team and department pages read instead of raw usage records.

The tables, all derived from `ai_tool_usage_records` and the org tree, and rebuilt from them at any
time (`orgonaut rollups rebuild`):

- `ai_usage_rollups`: per (tenant, scope, org unit, breadth, day, provider) the summed metrics and the
  number of distinct actors with usage that day. Breadth `direct` counts actors placed in the unit
  itself, `subtree` actors placed in the unit or any descendant, each actor once.
- `ai_usage_member_rollups`: per (tenant, scope, org unit, actor, day, provider) one actor's metrics
  for a unit they were placed in directly that day. It feeds the team member table and exact distinct
  "active users" over any period (a period's distinct count is never a sum of daily counts).
- `ai_usage_rollup_scopes`: one row per (tenant, scope); its row lock serialises refreshes of a
  scope, and it remembers when the scope was last refreshed.
- `ai_usage_tenant_rollups`: per (tenant, scope, day, provider, matched or not) the whole tenant's
  summed metrics, every record counted once (unmatched usage and people without a placement
  included): the overview's money and trend.
- `ai_usage_tenant_actor_months`: per (tenant, scope, month, provider, actor) the first and last day
  of the actor's usage in that month: the overview's distinct active users this month without reading
  the records; `ai_usage_tenant_actors`: per (tenant, scope, provider, actor) the first day of all,
  for "people with usage ever".
- `ai_usage_tenant_model_costs`: per (tenant, scope, day, provider, model) the whole tenant's cost by
  the model its records name (`model_breakdown`); model "" holds what no model accounts for (a provider
  that splits no cost by model, or a record whose models do not add up to its cost), so a day's rows add
  up to its cost: the overview's model mix (`rollups.model_mix`).
- `ai_usage_tenant_active_users`: per (tenant, scope, grain, period, provider) the distinct people with
  usage in a day, a Monday-to-Sunday week or a calendar month; provider "" counts every provider
  together, each person once: the overview's daily, weekly and monthly active users (`rollups.adoption`).

No foreign keys: these are bulk-written derived rows (a foreign-key check per inserted row would
dominate a rebuild), and a refresh or rebuild removes rows of units, actors or scenarios that are gone.
The natural key is the primary key, so there is no surrogate id to fill or index.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Date, Integer, Numeric, String
from sqlmodel import Field, SQLModel

from orgonaut.clock import utcnow

MODEL_NAME_LENGTH = 200  # a model name longer than this is cut to it


class Breadth(StrEnum):
    direct = "direct"
    subtree = "subtree"


def _key(type_) -> Column:
    return Column(type_, primary_key=True, autoincrement=False, nullable=False)


def _count(type_=Integer) -> Column:
    return Column(type_, nullable=False, default=0)


class UsageMetrics(SQLModel):
    """The summed metrics of both rollup tables. NULL where no record summed into the row reports the
    metric (its provider does not); USD cents as exact as the raw records."""

    cost_cents: Decimal | None = Field(default=Decimal(0), sa_type=Numeric(18, 6), nullable=True)
    sessions: int | None = Field(default=0, nullable=True)
    commits: int | None = Field(default=0, nullable=True)
    pull_requests: int | None = Field(default=0, nullable=True)
    lines_added: int | None = Field(default=0, sa_type=BigInteger, nullable=True)
    lines_removed: int | None = Field(default=0, sa_type=BigInteger, nullable=True)
    input_tokens: int | None = Field(default=0, sa_type=BigInteger, nullable=True)
    output_tokens: int | None = Field(default=0, sa_type=BigInteger, nullable=True)
    cache_read_tokens: int | None = Field(default=0, sa_type=BigInteger, nullable=True)
    cache_creation_tokens: int | None = Field(default=0, sa_type=BigInteger, nullable=True)
    # Counters only some providers report (`rollups.counters`): NULL where no record behind the row does.
    tabs_accepted: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    agent_requests: int | None = Field(default=None, sa_type=BigInteger, nullable=True)


class AiUsageRollup(UsageMetrics, table=True):
    __tablename__ = "ai_usage_rollups"

    tenant_id: int = Field(sa_column=_key(Integer))
    scope_key: int = Field(sa_column=_key(Integer))  # 0 = Live, else the scenario id
    org_unit_id: int = Field(sa_column=_key(Integer))
    breadth: Breadth = Field(sa_column=_key(String(10)))
    usage_date: dt.date = Field(sa_column=_key(Date))
    provider: str = Field(sa_column=_key(String(40)))
    scenario_id: int | None = None
    actors_count: int = Field(default=0, sa_column=_count())  # distinct actors with usage that day
    computed_at: dt.datetime = Field(default_factory=utcnow)


class AiUsageMemberRollup(UsageMetrics, table=True):
    __tablename__ = "ai_usage_member_rollups"

    tenant_id: int = Field(sa_column=_key(Integer))
    scope_key: int = Field(sa_column=_key(Integer))
    org_unit_id: int = Field(sa_column=_key(Integer))
    usage_date: dt.date = Field(sa_column=_key(Date))
    provider: str = Field(sa_column=_key(String(40)))
    actor_id: int = Field(sa_column=_key(Integer))
    scenario_id: int | None = None


class AiUsageRollupScope(SQLModel, table=True):
    __tablename__ = "ai_usage_rollup_scopes"

    tenant_id: int = Field(sa_column=_key(Integer))
    scope_key: int = Field(sa_column=_key(Integer))
    scenario_id: int | None = None
    refreshed_at: dt.datetime = Field(default_factory=utcnow)



class AiUsageTenantRollup(UsageMetrics, table=True):
    __tablename__ = "ai_usage_tenant_rollups"

    tenant_id: int = Field(sa_column=_key(Integer))
    scope_key: int = Field(sa_column=_key(Integer))
    usage_date: dt.date = Field(sa_column=_key(Date))
    provider: str = Field(sa_column=_key(String(40)))
    matched: int = Field(sa_column=_key(Integer))  # 1: records matched to a person; 0: matched to nobody
    scenario_id: int | None = None
    actors_count: int = Field(default=0, sa_column=_count())  # distinct actors that day (0 when unmatched)
    computed_at: dt.datetime = Field(default_factory=utcnow)


class AiUsageTenantActorMonth(SQLModel, table=True):
    __tablename__ = "ai_usage_tenant_actor_months"

    tenant_id: int = Field(sa_column=_key(Integer))
    scope_key: int = Field(sa_column=_key(Integer))
    month: dt.date = Field(sa_column=_key(Date))  # the first of the month (the records' usage dates)
    provider: str = Field(sa_column=_key(String(40)))
    actor_id: int = Field(sa_column=_key(Integer))
    scenario_id: int | None = None
    first_day: dt.date = Field(sa_column=Column(Date, nullable=False))
    last_day: dt.date = Field(sa_column=Column(Date, nullable=False))
    active_days: int = Field(default=0, sa_column=_count())


class AiUsageTenantActor(SQLModel, table=True):
    """Per (tenant, scope, provider, actor) the actor's first day of usage: "people with usage ever"
    counts these rows (one per person and provider) rather than every actor-month."""

    __tablename__ = "ai_usage_tenant_actors"

    tenant_id: int = Field(sa_column=_key(Integer))
    scope_key: int = Field(sa_column=_key(Integer))
    provider: str = Field(sa_column=_key(String(40)))
    actor_id: int = Field(sa_column=_key(Integer))
    scenario_id: int | None = None
    first_day: dt.date = Field(sa_column=Column(Date, nullable=False))


class AiUsageTenantModelCost(SQLModel, table=True):
    """Per (tenant, scope, day, provider, model) the cost the records name for that model; model "" the rest
    of the records' cost. Whole millionths of a cent (`db.micro_cents`), exact on both databases."""

    __tablename__ = "ai_usage_tenant_model_costs"

    tenant_id: int = Field(sa_column=_key(Integer))
    scope_key: int = Field(sa_column=_key(Integer))
    usage_date: dt.date = Field(sa_column=_key(Date))
    provider: str = Field(sa_column=_key(String(40)))
    model: str = Field(sa_column=_key(String(MODEL_NAME_LENGTH)))  # "": cost no model accounts for
    scenario_id: int | None = None
    cost_micro_cents: int = Field(default=0, sa_column=_count(BigInteger))
    computed_at: dt.datetime = Field(default_factory=utcnow)


class ActiveGrain(StrEnum):
    day = "day"
    week = "week"  # Monday to Sunday
    month = "month"


ANY_PROVIDER = ""  # the provider key of active-user rows that count every provider together


class AiUsageTenantActiveUsers(SQLModel, table=True):
    """Per (tenant, scope, grain, period, provider) the distinct people with usage (matched records) in the
    period; provider `ANY_PROVIDER` counts each person once whatever the provider."""

    __tablename__ = "ai_usage_tenant_active_users"

    tenant_id: int = Field(sa_column=_key(Integer))
    scope_key: int = Field(sa_column=_key(Integer))
    grain: str = Field(sa_column=_key(String(8)))
    period_start: dt.date = Field(sa_column=_key(Date))
    provider: str = Field(sa_column=_key(String(40)))
    scenario_id: int | None = None
    users: int = Field(default=0, sa_column=_count())
