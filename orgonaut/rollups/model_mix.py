"""The overview's model mix: what the organisation spends per AI model, from a stored whole-tenant rollup.

The rule, once: a usage record's `model_breakdown` entries that name a model and carry an amount
(`estimated_cost.amount`, USD cents) are that model's cost; whatever of the record's `total_cost_cents`
they do not account for is "not split by model" (model ""). So the models and "not split" of any day
add up to the day's cost exactly, as the cost cards sum it. Which providers split cost by model is what
their records say: Claude Code, Cursor and Codex do; GitHub Copilot's per-model entries carry counts, no
cost, and Claude Enterprise splits its cost by product, not model, so their cost is "not split".

Stored per (tenant, scope, day, provider, model) in `ai_usage_tenant_model_costs` (whole millionths of a
cent), every record once, matched or not: refreshed with the other whole-tenant rollups (`refresh`, from
`service.refresh_tenant`) and rebuilt with them. A range's mix sums those rows (`ModelCosts.within`);
names are grouped across providers as they are written, the `TOP_MODELS` costliest shown and the rest as
"Other". The mix covers the whole tenant only: there is no per-person model rollup, so a manager's
overview has none (`model_costs_for` answers None for them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Integer, String, delete, func, literal, or_, select, true, union_all
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.clock import utcnow
from orgonaut.db import dialect_of, json_micro_cents, json_objects, json_text, micro_cents, rows_written, table_of
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups.coverage import cents, coverage_of
from orgonaut.rollups.models import MODEL_NAME_LENGTH, AiUsageTenantModelCost
from orgonaut.rollups.periods import Period

RECORDS = table_of(AiToolUsageRecord)
MODEL_COSTS = table_of(AiUsageTenantModelCost)

NOT_SPLIT = ""  # the model key of cost no model accounts for
TOP_MODELS = 8


# --- the stored rollup ------------------------------------------------------------------------------


def refresh(session: Session, *, tenant_id: int, scenario_id: int | None, start: dt.date | None,
            end: dt.date | None, cleared: bool = False) -> int:
    """Recomputes the scope's model-cost rows of start..end (None: every day) from the records, in one
    statement over the records' JSON (the same SQL on SQLite and PostgreSQL). Returns the rows written; the
    caller holds the scope lock and commits."""
    key = scope_key(scenario_id)
    r = RECORDS.c
    dates = [r.usage_date >= start] if start is not None else []
    if end is not None:
        dates.append(r.usage_date <= end)
    if not cleared:
        stored = [MODEL_COSTS.c.tenant_id == tenant_id, MODEL_COSTS.c.scope_key == key]
        if start is not None:
            stored.append(MODEL_COSTS.c.usage_date >= start)
        if end is not None:
            stored.append(MODEL_COSTS.c.usage_date <= end)
        session.execute(delete(MODEL_COSTS).where(*stored))
    in_scope = [r.tenant_id == tenant_id, r.scope_key == key, *dates]
    dialect = dialect_of(session)
    items, value, objects = json_objects(dialect, r.model_breakdown, "item")
    model = func.substr(json_text(dialect, value, "model"), 1, MODEL_NAME_LENGTH)
    amount = json_micro_cents(dialect, value, "estimated_cost", "amount")
    named = (
        select(r.usage_date.label("usage_date"), r.provider.label("provider"), model.label("model"),
               amount.label("cost"))
        .select_from(RECORDS.join(items, true()))
        .where(*in_scope, *objects, model.is_not(None), model != NOT_SPLIT, amount.is_not(None))
        .subquery("named")
    )
    n = named.c
    # Each named amount for its model, and against "not split", which also takes every record's whole cost.
    parts = union_all(
        select(n.usage_date, n.provider, n.model, n.cost),
        select(n.usage_date, n.provider, literal(NOT_SPLIT, String()), -n.cost),
        select(r.usage_date, r.provider, literal(NOT_SPLIT, String()), micro_cents(r.total_cost_cents))
        .where(*in_scope),
    ).subquery("parts")
    p = parts.c
    total = func.sum(p.cost)
    constants = [literal(tenant_id, Integer()), literal(key, Integer()), literal(scenario_id, Integer())]
    rows = rows_written(
        session, MODEL_COSTS.insert().from_select(
            ["tenant_id", "scope_key", "scenario_id", "usage_date", "provider", "model", "cost_micro_cents",
             "computed_at"],
            select(*constants, p.usage_date, p.provider, p.model, total, literal(utcnow(), UTCDateTime()))
            .group_by(p.usage_date, p.provider, p.model)
            .having(or_(p.model != NOT_SPLIT, total != 0)),
        ),
    )
    session.flush()
    return rows


# --- reading it -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelDayCost:
    date: dt.date
    provider: str
    model: str  # NOT_SPLIT: cost no model accounts for
    cost_cents: Decimal


@dataclass(frozen=True)
class ModelShare:
    """One row of the mix: a model, "Other" (the models past the top ones) or "not split by model"."""

    label: str
    kind: str  # "model", "other" or "not_split"
    providers: tuple[str, ...]  # whose records gave this cost, by key
    cost_cents: Decimal
    models: int  # the models in the row (1 for a model, 0 for "not split")
    share_pct: Decimal | None  # of the mix's total; None when that is 0


@dataclass(frozen=True)
class ModelMix:
    period: Period
    rows: tuple[ModelShare, ...]  # the top models by cost, then "Other", then "not split by model"
    total_cents: Decimal  # the period's cost: the rows add up to it

    @property
    def split_cents(self) -> Decimal:
        """What the models account for (all but "not split")."""
        return sum_cost_cents(r.cost_cents for r in self.rows if r.kind != "not_split")


OTHER_LABEL = "Other models"
NOT_SPLIT_LABEL = "Not split by model"


@dataclass(frozen=True)
class ModelCosts:
    """The stored rows of a coverage up to today; a page loads "all" once and cuts each range from it."""

    days: tuple[ModelDayCost, ...]

    def within(self, period: Period, *, top: int = TOP_MODELS) -> ModelMix:
        return mix_of((d for d in self.days if period.start <= d.date <= period.end), period, top=top)


def mix_of(days: Iterable[ModelDayCost], period: Period, *, top: int = TOP_MODELS) -> ModelMix:
    """The period's cost per model name (across providers), the `top` costliest first, the rest as "Other",
    then "not split by model"; models with no cost in the period are left out."""
    costs: dict[str, list[Decimal]] = defaultdict(list)
    providers: dict[str, set[str]] = defaultdict(set)
    for d in days:
        costs[d.model].append(d.cost_cents)
        providers[d.model].add(d.provider)
    totals = {model: sum_cost_cents(amounts) for model, amounts in costs.items()}
    total = sum_cost_cents(totals.values())

    def share(cost: Decimal) -> Decimal | None:
        return (cost * 100 / total).quantize(Decimal("0.1")) if total else None

    named = sorted(((m, c) for m, c in totals.items() if m != NOT_SPLIT and c), key=lambda mc: (-mc[1], mc[0]))
    rows = [ModelShare(label=m, kind="model", providers=tuple(sorted(providers[m])), cost_cents=c, models=1,
                       share_pct=share(c)) for m, c in named[:top]]
    rest = named[top:]
    if rest:
        cost = sum_cost_cents(c for _, c in rest)
        rows.append(ModelShare(label=OTHER_LABEL, kind="other",
                               providers=tuple(sorted({p for m, _ in rest for p in providers[m]})), cost_cents=cost,
                               models=len(rest), share_pct=share(cost)))
    if totals.get(NOT_SPLIT):
        cost = totals[NOT_SPLIT]
        rows.append(ModelShare(label=NOT_SPLIT_LABEL, kind="not_split", providers=tuple(sorted(providers[NOT_SPLIT])),
                               cost_cents=cost, models=0, share_pct=share(cost)))
    return ModelMix(period=period, rows=tuple(rows), total_cents=total)


def model_costs_for(
    *, session: Session, viewer: UsageViewer, tenant_id: int, scenario_id: int | None, today: dt.date,
    period: Period | None = None, provider: str | None = None,
) -> ModelCosts | None:
    """The stored model costs of the whole tenant (of `period`, else every day up to today), for owners and
    admins; None for anyone else (a manager's units have no model rollup)."""
    coverage = coverage_of(viewer)
    if coverage is None or not coverage.everything:
        return None
    c = MODEL_COSTS.c
    conditions = [c.tenant_id == tenant_id, c.scope_key == scope_key(scenario_id),
                  c.usage_date <= (period.end if period is not None else today)]
    if period is not None:
        conditions.append(c.usage_date >= period.start)
    if provider is not None:
        conditions.append(c.provider == provider)
    rows = session.execute(select(c.usage_date, c.provider, c.model, c.cost_micro_cents).where(*conditions)
                           .order_by(c.usage_date, c.provider, c.model))
    return ModelCosts(days=tuple(ModelDayCost(date=day, provider=key, model=model, cost_cents=cents(micro))
                                 for day, key, model, micro in rows))
