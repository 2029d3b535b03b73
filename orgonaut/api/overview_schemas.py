"""Response models of the overview's adoption, model mix and output per cost (`routers/overview_details.py`).
Money as in `api.schemas`: whole cents rounded half-up, and the exact amount beside it as a string."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from orgonaut.api.schemas import Currency
from orgonaut.rollups.periods import Range


class ActivePointOut(BaseModel):
    start: dt.date = Field(description="The day, the Monday of the week or the first of the month.")
    end: dt.date
    active_users: int = Field(description="Distinct people with usage in the day, week or month.")


class ActiveUsersOut(BaseModel):
    scenario_id: int | None
    provider: str | None = Field(description="The provider asked for; null: every provider, each person once.")
    everything: bool = Field(description="True: the whole tenant; false: the usage attributed to a manager's units.")
    range: Range | None = Field(description="The range asked for; null when from/to were given.")
    start: dt.date
    end: dt.date
    days: list[ActivePointOut] = Field(description="Daily active users, one point per day of the range.")
    weeks: list[ActivePointOut] = Field(description="Weekly active users: every Monday-to-Sunday week the range "
                                                    "touches, each counted whole.")
    months: list[ActivePointOut] = Field(description="Monthly active users: every calendar month the range touches, "
                                                     "each counted whole (this month up to today).")


class CohortMonthOut(BaseModel):
    month: dt.date = Field(description="The first of the month.")
    active: int = Field(description="People with usage that month: new + retained + reactivated.")
    new: int = Field(description="Their first month with usage.")
    retained: int = Field(description="Active the month before too.")
    reactivated: int = Field(description="Active before, but not the month before.")
    lapsed: int = Field(description="Active the month before, not this month.")


class CohortsOut(BaseModel):
    scenario_id: int | None
    provider: str | None
    everything: bool
    months: list[CohortMonthOut] = Field(description="The last 12 calendar months, this one to date, oldest first.")


class ModelShareOut(BaseModel):
    label: str = Field(description="The model's name as its provider writes it, \"Other models\" or \"Not split by "
                                   "model\".")
    kind: Literal["model", "other", "not_split"]
    providers: list[str] = Field(description="The providers whose records gave this cost, by key.")
    models: int = Field(description="Models in the row: 1 for a model, how many for Other, 0 for not split.")
    cost_cents: int
    cost_cents_exact: str
    share_pct: float | None = Field(description="Of the range's cost, to a tenth; null when that is 0.")


class ModelMixOut(BaseModel):
    scenario_id: int | None
    provider: str | None
    currency: Currency
    range: Range | None
    start: dt.date
    end: dt.date
    cost_cents: int = Field(description="The range's cost: the rows add up to it.")
    cost_cents_exact: str
    rows: list[ModelShareOut] = Field(description="The costliest models first, then Other, then the cost no model "
                                                  "accounts for (providers that split no cost by model).")


class OutputRateOut(BaseModel):
    metric: Literal["commits", "pull_requests", "lines_added"]
    label: str
    amount: int = Field(description="The metric summed over the providers that report it.")
    cost_cents: int = Field(description="Those providers' cost only.")
    cost_cents_exact: str
    per_dollar: str | None = Field(description="amount per USD of that cost, to four places; null without such "
                                               "cost.")
    providers: list[str] = Field(description="Providers with usage in the range that report the metric.")
    left_out: list[str] = Field(description="Providers with usage that do not report it: their cost is left out.")


class OutputPerCostOut(BaseModel):
    scenario_id: int | None
    provider: str | None
    everything: bool
    currency: Currency
    range: Range | None
    start: dt.date
    end: dt.date
    rates: list[OutputRateOut]
