"""Ingestion: where a day's usage goes (targeting), who it belongs to (matching), and storing it fast.

Targeting: Live when the baseline flag is on; each selected scenario that is still active; with
all-future on, every active scenario created after the targeting was set. Archived scenarios and
snapshots are never written, even when selected; they come back as skipped, with the reason, so the
sync log can say so.

Storing: one row per (tenant, provider, scope, e-mail, date), upserted. On PostgreSQL, a day none
of whose rows exist yet (every day of a backfill) is COPY'd straight into the table, inside a
savepoint: the cheapest way in. A day that already has rows (a re-sync), or a COPY that meets one
after all, goes through a temporary staging table merged with one INSERT .. SELECT .. ON CONFLICT
(about 0.8 of a plain COPY's rate, measured). On SQLite `orgonaut.db.upsert` sends batched
INSERT .. ON CONFLICT. The caller commits. The COPY text (text format, escaped here) goes as one
block; a sync makes it in its fetch thread (`prepare_rows`), while the previous day's COPY runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
import psycopg
from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from orgonaut import db, faultpoints
from orgonaut.ai_tooling import aliases
from orgonaut.ai_tooling.changes import owe_refresh
from orgonaut.ai_tooling.matching import actor_email_map, owner_of, rematch
from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import DailyUsage, ErrorKind, ProviderError
from orgonaut.ai_tooling.providers.declaration import ALL_METRICS, Metric
from orgonaut.clock import utcnow
from orgonaut.integrations.models import Integration
from orgonaut.org.models import Scenario, ScenarioKind, ScenarioStatus

# --- targeting --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TargetScope:
    scenario_id: int | None  # None = Live
    name: str


@dataclasses.dataclass(frozen=True)
class SkippedScope:
    scenario_id: int
    name: str
    reason: str


LIVE = TargetScope(scenario_id=None, name="Live")


def _unwritable_reason(scenario: Scenario) -> str | None:
    if scenario.kind == ScenarioKind.snapshot:
        return "snapshot (read-only)"
    if scenario.status == ScenarioStatus.archived:
        return "archived (read-only)"
    return None


def resolve_targets(*, session: Session, integration: Integration) -> tuple[list[TargetScope], list[SkippedScope]]:
    """The scopes this integration writes to now, and the selected ones it must skip (with why)."""
    scopes: list[TargetScope] = [LIVE] if integration.target_baseline else []
    skipped: list[SkippedScope] = []
    selected = [int(i) for i in integration.target_scenario_ids or []]
    candidates: dict[int, Scenario] = {}
    if selected:
        for scenario in session.exec(select(Scenario).where(col(Scenario.id).in_(selected))):
            if scenario.tenant_id == integration.tenant_id:
                candidates[scenario.id] = scenario
        for scenario_id in selected:
            if scenario_id not in candidates:
                skipped.append(SkippedScope(scenario_id, f"Scenario {scenario_id}", "no longer exists"))
    if integration.target_all_future:
        newer = select(Scenario).where(
            Scenario.tenant_id == integration.tenant_id,
            Scenario.kind == ScenarioKind.scenario,
            Scenario.created_at > integration.targeting_updated_at,
        )
        for scenario in session.exec(newer):
            candidates.setdefault(scenario.id, scenario)
    for scenario_id in sorted(candidates):
        scenario = candidates[scenario_id]
        reason = _unwritable_reason(scenario)
        if reason:
            skipped.append(SkippedScope(scenario_id, scenario.name, reason))
        else:
            scopes.append(TargetScope(scenario_id, scenario.name))
    return scopes, skipped


@dataclasses.dataclass
class ScopeMatcher:
    scope: TargetScope
    owners: dict[str, int]  # e-mail -> actor id in this scope


def load_matchers(*, session: Session, tenant_id: int, scopes: Sequence[TargetScope]) -> list[ScopeMatcher]:
    return [
        ScopeMatcher(scope, actor_email_map(session=session, tenant_id=tenant_id, scenario_id=scope.scenario_id))
        for scope in scopes
    ]


# --- storing ----------------------------------------------------------------------------------

# Every column the upsert writes, in COPY order; the natural key is the conflict target.
NATURAL_KEY = ("tenant_id", "provider", "scope_key", "source_email", "usage_date")
METRICS = (
    "sessions_count", "lines_added", "lines_removed", "commits_count", "pull_requests_count",
    "total_input_tokens", "total_output_tokens", "total_cache_read_tokens", "total_cache_creation_tokens",
    "total_cost_cents", "tool_actions", "model_breakdown", "provider_metrics",
)
COLUMNS = (*NATURAL_KEY, "integration_id", "scenario_id", "actor_id", *METRICS)
UPDATE_COLUMNS = ("integration_id", "scenario_id", "actor_id", *METRICS, "updated_at")
_STAGE = "ai_usage_stage"
_JSON = msgspec.json.Encoder(decimal_format="number")  # several times faster than json.dumps per row


@dataclasses.dataclass
class DayResult:
    day: dt.date
    fetched: int = 0  # people-days the provider returned
    upserted: int = 0  # rows written (one per person-day per target scope)
    # Per fetched record, so fetched = matched + unmatched: matched when a person was found in every
    # scope the record was written to, unmatched when some scope has none (its Unmatched list says which).
    matched: int = 0
    unmatched: int = 0
    # scope (None = Live) -> actors whose usage changed, for the rollup refresh
    actor_ids: dict[int | None, set[int]] = dataclasses.field(default_factory=dict)
    deleted: int = 0  # stored person-days the provider no longer reports, deleted


# People one provider may report for one day. Far above any real organisation: an answer beyond it is a
# broken or hostile endpoint, refused before its rows are built and stored (security review, finding 10).
MAX_PEOPLE_PER_DAY = 200_000


def _check_unique(usages: Sequence[DailyUsage]) -> None:
    if len(usages) > MAX_PEOPLE_PER_DAY:
        raise ProviderError(
            ErrorKind.malformed,
            f"The provider returned {len(usages):,} people for one day, more than the {MAX_PEOPLE_PER_DAY:,} "
            "any organisation has: the day is refused as malformed.",
        )
    seen: set[tuple[str, dt.date]] = set()
    for usage in usages:
        key = (usage.source_email, usage.usage_date)
        if key in seen:
            raise ProviderError(
                ErrorKind.malformed,
                f"The provider returned two records for {usage.source_email} on {usage.usage_date}.",
            )
        seen.add(key)


class Rows(list[tuple[Any, ...]]):
    """Upsert rows in COLUMNS order; `copy_lines` holds their COPY text when it was made ahead."""

    copy_lines: list[str] | None = None


def build_rows(
    *, integration: Integration, matchers: Sequence[ScopeMatcher], usages: Sequence[DailyUsage], day: dt.date
) -> tuple[Rows, DayResult]:
    """One tuple per (usage, scope) in COLUMNS order, matched against the scope's actors."""
    return prepare_rows(tenant_id=integration.tenant_id, provider=integration.provider,
                        integration_id=integration.id, matchers=matchers, usages=usages, day=day)


def prepare_rows(
    *, tenant_id: int, provider: str, integration_id: int | None, matchers: Sequence[ScopeMatcher],
    usages: Sequence[DailyUsage], day: dt.date, copy_lines: bool = False,
) -> tuple[Rows, DayResult]:
    """`build_rows` from plain values, so a fetch thread can run it; with `copy_lines`, also the rows'
    COPY text, which then costs the storing thread nothing while the database works."""
    _check_unique(usages)
    result = DayResult(day=day, fetched=len(usages))
    rows = Rows()
    unreported = _unreported(provider)
    unmatched_somewhere: set[str] = set()
    for matcher in matchers:
        scenario_id = matcher.scope.scenario_id
        key = scope_key(scenario_id)
        matched = result.actor_ids.setdefault(scenario_id, set())
        for usage in usages:
            actor_id = owner_of(usage.source_email, matcher.owners)
            if actor_id is None:
                unmatched_somewhere.add(usage.source_email)
            else:
                matched.add(actor_id)
            metrics = [usage.sessions_count, usage.lines_added, usage.lines_removed, usage.commits_count,
                       usage.pull_requests_count, usage.total_input_tokens, usage.total_output_tokens,
                       usage.total_cache_read_tokens, usage.total_cache_creation_tokens, usage.total_cost_cents]
            for index in unreported:
                metrics[index] = None
            extra = msgspec.to_builtins(usage.provider_metrics) if usage.provider_metrics is not None else {}
            rows.append((tenant_id, provider, key, usage.source_email, usage.usage_date, integration_id, scenario_id,
                         actor_id, *metrics, usage.tool_actions, usage.model_breakdown, extra))
    if copy_lines:
        rows.copy_lines = [_copy_line(row) for row in rows]
    result.upserted = len(rows)
    result.matched = result.fetched - len(unmatched_somewhere) if matchers else 0
    result.unmatched = result.fetched - result.matched
    return rows, result


def _store_postgres(session: Session, rows: list[tuple[Any, ...]], now: dt.datetime, fresh: bool) -> None:
    connection = session.connection()
    if fresh:
        savepoint = connection.begin_nested()
        try:
            _copy(connection, "ai_tool_usage_records", rows, (now, now))
        except psycopg.errors.UniqueViolation:
            savepoint.rollback()  # someone stored one of these rows meanwhile: merge instead
        else:
            savepoint.commit()
            return
    _merge_staged(connection, rows, now)


def _copy(connection: Any, table: str, rows: list[tuple[Any, ...]], extra: tuple[Any, ...]) -> None:
    """COPY rows (COLUMNS order, then `extra` columns) into `table`, as one block of COPY text."""
    names = ", ".join((*COLUMNS, *_EXTRA_COLUMNS[: len(extra)]))
    lines = rows.copy_lines if isinstance(rows, Rows) else None
    if lines is None:
        lines = [_copy_line(row) for row in rows]
    end = "".join(f"\t{_copy_value(value)}" for value in extra) + "\n"
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        copy.write((end.join(lines) + end).encode())
        faultpoints.reach("in_copy")


# The record's metric columns in METRICS (and DailyUsage) order, as the declarations name them.
_METRIC_ORDER = (Metric.sessions, Metric.lines_added, Metric.lines_removed, Metric.commits, Metric.pull_requests,
                 Metric.input_tokens, Metric.output_tokens, Metric.cache_read_tokens, Metric.cache_creation_tokens,
                 Metric.cost)


@functools.cache
def _unreported(provider: str) -> tuple[int, ...]:
    """Positions (in _METRIC_ORDER) of the metrics this provider does not report: stored as NULL."""
    info = registry.PROVIDERS.get(provider)
    reported = info.metrics if info is not None else ALL_METRICS
    return tuple(i for i, metric in enumerate(_METRIC_ORDER) if metric not in reported)


def _copy_line(row: tuple[Any, ...]) -> str:
    """One row (COLUMNS order) in COPY's text format, without its line end.

    Spelled out per column rather than looping over values with a type switch: a backfill formats a
    row per person-day, and this is about three times faster. The column types are the table's.
    """
    (tenant_id, provider, key, email, day, integration_id, scenario_id, actor_id, sessions, added, removed, commits,
     pull_requests, tokens_in, tokens_out, cache_read, cache_creation, cost, tool_actions, model_breakdown,
     provider_metrics) = row
    return (
        f"{tenant_id}\t{_copy_escape(provider)}\t{key}\t{_copy_escape(email)}\t{day}\t{_optional(integration_id)}\t"
        f"{_optional(scenario_id)}\t{_optional(actor_id)}\t{_optional(sessions)}\t{_optional(added)}\t"
        f"{_optional(removed)}\t{_optional(commits)}\t{_optional(pull_requests)}\t{_optional(tokens_in)}\t"
        f"{_optional(tokens_out)}\t{_optional(cache_read)}\t{_optional(cache_creation)}\t{_optional(cost)}\t"
        f"{_copy_json(tool_actions)}\t{_copy_json(model_breakdown)}\t{_copy_json(provider_metrics)}"
    )


def _optional(value: object) -> str:
    return "\\N" if value is None else str(value)


def _copy_json(value: Any) -> str:
    # JSON text holds no raw tab, newline or carriage return (JSON escapes them inside strings), so
    # a backslash is the only character COPY's text format needs escaped in it.
    return _JSON.encode(value).decode().replace("\\", "\\\\")


def _copy_value(value: Any) -> str:
    """A value of an extra column (the timestamps) in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return _copy_escape(value)
    return str(value)  # int, Decimal, date, datetime: their str() is valid PostgreSQL input


def _copy_escape(text_value: str) -> str:
    # COPY's text format: a backslash starts an escape; tab, newline and carriage return delimit.
    return text_value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


_EXTRA_COLUMNS = ("fetched_at", "updated_at")


def _merge_staged(connection: Any, rows: list[tuple[Any, ...]], now: dt.datetime) -> None:
    columns = ", ".join(COLUMNS)
    # Column types copied from the real table; a temp table lives as long as the pooled connection.
    connection.execute(text(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} AS SELECT {columns} FROM ai_tool_usage_records WITH NO DATA"
    ))
    _copy(connection, _STAGE, rows, ())
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in UPDATE_COLUMNS)
    connection.execute(
        text(
            f"INSERT INTO ai_tool_usage_records ({columns}, fetched_at, updated_at) "
            f"SELECT {columns}, :now, :now FROM {_STAGE} "
            f"ON CONFLICT ({', '.join(NATURAL_KEY)}) DO UPDATE SET {updates}"
        ),
        {"now": now},
    )
    # TRUNCATE, not DELETE: temporary tables are never vacuumed, so deleted rows would pile up in
    # the stage for as long as the pooled connection lives and every later merge would scan them.
    connection.execute(text(f"TRUNCATE {_STAGE}"))


def _store_generic(session: Session, rows: list[tuple[Any, ...]], now: dt.datetime) -> None:
    dicts = [{**dict(zip(COLUMNS, row, strict=True)), "fetched_at": now, "updated_at": now} for row in rows]
    db.upsert(session, AiToolUsageRecord, dicts, conflict_columns=NATURAL_KEY, update_columns=UPDATE_COLUMNS)
    faultpoints.reach("in_copy")  # SQLite has no COPY: the day's upsert is sent, not committed


def stored_days(
    *, session: Session, tenant_id: int, provider: str, scopes: Sequence[TargetScope], days: Sequence[dt.date]
) -> set[dt.date]:
    """Which of these days already hold rows of this tenant, provider and scopes: one query for a chunk
    of days, so that each new day of a backfill is COPY'd without a probe of its own."""
    if not days:
        return set()
    statement = select(col(AiToolUsageRecord.usage_date)).distinct().where(
        AiToolUsageRecord.tenant_id == tenant_id,
        col(AiToolUsageRecord.scope_key).in_(sorted({scope_key(s.scenario_id) for s in scopes})),
        col(AiToolUsageRecord.usage_date).in_(sorted(set(days))),
        AiToolUsageRecord.provider == provider,
    )
    return set(session.exec(statement))


def stored_day_totals(
    *, session: Session, integration_id: int, scenario_id: int | None, start: dt.date, end: dt.date
) -> dict[dt.date, tuple[int, Decimal]]:
    """day -> (records, their cost in cents) a connection holds now in one scope, for the days it has any."""
    r = db.table_of(AiToolUsageRecord).c
    statement = (sa_select(r.usage_date, func.count(), func.sum(db.micro_cents(r.total_cost_cents)))
                 .where(r.integration_id == integration_id, r.scope_key == scope_key(scenario_id),
                        r.usage_date >= start, r.usage_date <= end)
                 .group_by(r.usage_date))
    return {day: (int(count), Decimal(int(micro or 0)) / 1_000_000)
            for day, count, micro in session.execute(statement)}


def store_rows(*, session: Session, rows: list[tuple[Any, ...]], fresh: bool) -> int:
    """Upserts rows built by `build_rows` on the natural key. Returns rows sent; the caller commits.

    `fresh`: the caller found no stored rows for these rows' days (`stored_days`), so on PostgreSQL
    they go straight in by COPY. Either way a row stored meanwhile is merged, never refused.
    """
    if not rows:
        return 0
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        _store_postgres(session, rows, now, fresh)
    else:
        _store_generic(session, rows, now)
    return len(rows)


def replace_day(
    *, session: Session, tenant_id: int, provider: str, scopes: Sequence[TargetScope], day: dt.date,
    rows: list[tuple[Any, ...]], result: DayResult, fresh: bool,
) -> DayResult:
    """Makes the stored day equal the provider's complete day in every target scope: upserts `rows`
    and deletes the person-days the provider no longer reports (a correction). The actors of the
    rows deleted or taken over by another actor join `result.actor_ids`, so their rollups are
    refreshed too; `result.deleted` counts the rows deleted. The caller commits.

    `fresh`: the day held no rows when the chunk began (`stored_days`), so there is nothing to delete.
    """
    if not fresh:
        keys = {scope_key(s.scenario_id): s.scenario_id for s in scopes}
        reported = {(row[2], row[3]) for row in rows}  # (scope_key, source_email)
        records = db.table_of(AiToolUsageRecord)
        existing = session.execute(
            select(records.c.id, records.c.scope_key, records.c.source_email, records.c.actor_id).where(
                records.c.tenant_id == tenant_id, col(records.c.scope_key).in_(sorted(keys)),
                records.c.usage_date == day, records.c.provider == provider,
            )
        ).all()
        gone = [row.id for row in existing if (row.scope_key, row.source_email) not in reported]
        for row in existing:
            if row.actor_id is not None:
                result.actor_ids.setdefault(keys[row.scope_key], set()).add(row.actor_id)
        for start in range(0, len(gone), 500):
            session.execute(records.delete().where(col(records.c.id).in_(gone[start:start + 500])))
        result.deleted = len(gone)
    store_rows(session=session, rows=rows, fresh=fresh)
    return result


def remember_source_names(
    *, session: Session, tenant_id: int, scopes: Sequence[TargetScope], usages: Sequence[DailyUsage], day: dt.date
) -> None:
    """Keeps what the vendor called its vendor-id sources on `day` (`DayUsages.hints`); a source that got a
    new name (a login, a SAML e-mail) may now belong to a person: it is re-matched in every scope at once and
    the rollups of the days that moved are owed a refresh (flushed, not committed)."""
    named = aliases.record_aliases(session=session, tenant_id=tenant_id, hints=getattr(usages, "hints", {}), day=day)
    if not named:
        return
    for scope in scopes:
        change = rematch(session=session, tenant_id=tenant_id, scenario_id=scope.scenario_id, emails=named)
        if change.changed and change.start and change.end:
            owe_refresh(session, tenant_id=tenant_id, scenario_id=scope.scenario_id, start=change.start,
                        end=change.end, actor_ids=change.actor_ids)


def store_day(
    *, session: Session, integration: Integration, matchers: Sequence[ScopeMatcher], day: dt.date,
    usages: Sequence[DailyUsage],
) -> DayResult:
    """Matches one complete day's usage and makes every target scope's stored day equal it
    (flushed, not committed)."""
    rows, result = build_rows(integration=integration, matchers=matchers, usages=usages, day=day)
    scopes = [m.scope for m in matchers]
    stored = stored_days(session=session, tenant_id=integration.tenant_id, provider=integration.provider,
                         scopes=scopes, days=[day])
    result = replace_day(session=session, tenant_id=integration.tenant_id, provider=integration.provider,
                         scopes=scopes, day=day, rows=rows, result=result, fresh=day not in stored)
    remember_source_names(session=session, tenant_id=integration.tenant_id, scopes=scopes, usages=usages, day=day)
    return result
