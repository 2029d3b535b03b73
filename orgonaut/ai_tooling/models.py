"""Per-person daily usage records and the stored rollups that pages read.

`scope_key` is the NOT NULL form of the scope (0 = Live, otherwise the scenario id): NULL never
collides in a unique index, so the natural key uses it. `scenario_id` stays for joins and readers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Numeric, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from orgonaut.clock import utcnow

LIVE_SCOPE_KEY = 0


def scope_key(scenario_id: int | None) -> int:
    return LIVE_SCOPE_KEY if scenario_id is None else scenario_id


class AiToolUsageRecord(SQLModel, table=True):
    __tablename__ = "ai_tool_usage_records"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "provider", "scope_key", "source_email", "usage_date", name="uq_ai_usage_natural_key"
        ),
        Index("ix_ai_usage_actor_date", "actor_id", "usage_date"),
        Index("ix_ai_usage_scope_date", "tenant_id", "scope_key", "usage_date"),
    )

    id: int = Field(
        default=None,
        # BIGINT on PostgreSQL; SQLite only auto-increments a column typed exactly INTEGER.
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    tenant_id: int = Field(foreign_key="tenants.id")
    integration_id: int | None = Field(default=None, foreign_key="integrations.id")
    provider: str = Field(max_length=40)
    scope_key: int = LIVE_SCOPE_KEY
    scenario_id: int | None = Field(default=None, foreign_key="scenarios.id")
    # Lower-cased e-mail, or `api-key:<key name>` for API-key actors (never matched).
    source_email: str = Field(sa_column=Column(String(320), nullable=False))
    usage_date: dt.date
    actor_id: int | None = Field(default=None, foreign_key="actors.id")
    # The spec's metrics. NULL: the provider does not report this metric (its declaration's `metrics`),
    # which pages show as "—"; 0 is a reported zero.
    sessions_count: int | None = Field(default=0, sa_column=Column(Integer, nullable=True))
    lines_added: int | None = Field(default=0, sa_column=Column(Integer, nullable=True))
    lines_removed: int | None = Field(default=0, sa_column=Column(Integer, nullable=True))
    commits_count: int | None = Field(default=0, sa_column=Column(Integer, nullable=True))
    pull_requests_count: int | None = Field(default=0, sa_column=Column(Integer, nullable=True))
    total_input_tokens: int | None = Field(default=0, sa_column=Column(BigInteger, nullable=True))
    total_output_tokens: int | None = Field(default=0, sa_column=Column(BigInteger, nullable=True))
    total_cache_read_tokens: int | None = Field(default=0, sa_column=Column(BigInteger, nullable=True))
    total_cache_creation_tokens: int | None = Field(default=0, sa_column=Column(BigInteger, nullable=True))
    # USD cents, exact: the vendor's amounts are JSON numbers that may carry fractions of a cent.
    total_cost_cents: Decimal | None = Field(default=Decimal(0), sa_column=Column(Numeric(18, 6), nullable=True))
    tool_actions: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    model_breakdown: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Counters only this provider reports, in the shape its declaration's `provider_metrics` type gives.
    provider_metrics: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    fetched_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class RollupRefreshIntent(SQLModel, table=True):
    """Rollups a committed change made stale: written in the changing transaction (a stored day, a
    re-match, a placement change), deleted in the one that refreshes them (`orgonaut.rollups.queue`).
    So a lost message, a killed worker or a broker restart can delay a refresh but never lose it.
    It lives with the usage records because the sync writes it and must not import the rollups."""

    __tablename__ = "rollup_refresh_intents"
    __table_args__ = (Index("ix_rollup_intents_scope", "tenant_id", "scope_key"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(sa_column=Column(Integer, nullable=False))
    scope_key: int = Field(sa_column=Column(Integer, nullable=False))
    scenario_id: int | None = None
    start_date: dt.date
    end_date: dt.date
    # Whose usage changed, and units that changed themselves (a placement ended, a unit moved).
    actor_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    org_unit_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    # When a refresh job was last sent for it: the reaper sends another once this is old.
    queued_at: dt.datetime | None = None
    attempts: int = 0


class SyncDayCommit(SQLModel, table=True):
    """The runner ledger: one row per day a sync run committed, naming the lease (the runner) that
    committed it, written in that day's own fenced transaction (`ai_tooling.ledger`). So it holds
    exactly the commits that happened, none that were rolled back: the proof, after any crash or
    takeover, that each day of a run was committed once and by one runner."""

    __tablename__ = "sync_day_commits"
    __table_args__ = (Index("ix_sync_day_commits_log_day", "log_id", "usage_date"),)

    id: int | None = Field(default=None, primary_key=True)
    log_id: int = Field(sa_column=Column(Integer, nullable=False))  # integration_sync_logs.id
    usage_date: dt.date
    lease: str = Field(max_length=64)
    committed_at: dt.datetime = Field(default_factory=utcnow)


class IgnoredUsageSource(SQLModel, table=True):
    """An unmatched address (or API key, service account) someone said is not an employee: the
    Unmatched list leaves it out, in every scope of the tenant, until undone (`ai_tooling.unmatched`).
    The records stay as they are (unmatched, in no unit); a person who gets the address later still
    takes its usage."""

    __tablename__ = "ignored_usage_sources"
    __table_args__ = (UniqueConstraint("tenant_id", "source_email", name="uq_ignored_usage_sources"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    source_email: str = Field(sa_column=Column(String(320), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class UsageSourceAlias(SQLModel, table=True):
    """Another name a vendor gives a vendor-id source (`github:583231` is `@octocat`, and through SAML
    `octo@corp.example`): kept from every fetched day (`DayUsages.hints`), never forgotten, so a renamed
    login keeps its person and a login added to a person later re-matches the source. Matching consults
    them after the source's own id (`ai_tooling.matching`). `kind` is an `org.models.IdentityKind` value,
    or `display_name` (only shown, never matched). Per tenant: aliases are what the vendor says, not scoped."""

    __tablename__ = "usage_source_aliases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "kind", "value", name="uq_usage_source_aliases"),
        Index("ix_usage_source_aliases_value", "tenant_id", "kind", "value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    source: str = Field(sa_column=Column(String(320), nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    value: str = Field(sa_column=Column(String(320), nullable=False))
    last_seen: dt.date  # the latest usage day the vendor gave this name: the newest login is shown


class CreditPrice(SQLModel, table=True):
    """The price of one credit of a provider that bills in credits (Codex), from `effective_from` on, for one
    connection; the connection's own price (its credentials) applies before the first row. Changing it
    re-prices the stored days it covers from their stored credits (`ai_tooling.credit_prices`)."""

    __tablename__ = "credit_prices"
    __table_args__ = (UniqueConstraint("integration_id", "effective_from", name="uq_credit_prices_day"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    integration_id: int = Field(foreign_key="integrations.id")
    effective_from: dt.date
    usd_per_credit: Decimal = Field(sa_column=Column(Numeric(18, 6), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class AiToolSeat(SQLModel, table=True):
    """A paid seat a connection's vendor lists today (`providers.base.Seat`): the whole list is replaced each
    time it is read (`ai_tooling.seats`), so it is the vendor's list as of `read_at`. Its holder is named as
    the records name people (`source`), and matched to a person when read, like usage."""

    __tablename__ = "ai_tool_seats"
    __table_args__ = (UniqueConstraint("integration_id", "source", name="uq_ai_tool_seats_source"),
                      Index("ix_ai_tool_seats_tenant", "tenant_id", "provider"))

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    integration_id: int = Field(foreign_key="integrations.id")
    provider: str = Field(max_length=40)
    source: str = Field(sa_column=Column(String(320), nullable=False))
    label: str = Field(max_length=320)
    plan: str = Field(max_length=80)
    monthly_price_cents: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 6), nullable=True))
    held_since: dt.date | None = None
    last_activity_at: dt.datetime | None = None
    pending_cancellation: dt.date | None = None
    read_at: dt.datetime = Field(default_factory=utcnow)


class SeatPrice(SQLModel, table=True):
    """A seat plan's monthly price from `effective_from` on, for one connection whose records carry each day's
    share of a seat price (Copilot); the connection's own price (its credentials) applies before the plan's first
    row. Setting one re-prices the stored days it covers (`ai_tooling.seat_prices`)."""

    __tablename__ = "seat_prices"
    __table_args__ = (UniqueConstraint("integration_id", "plan", "effective_from", name="uq_seat_prices_day"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    integration_id: int = Field(foreign_key="integrations.id")
    plan: str = Field(max_length=40)
    effective_from: dt.date
    usd_per_month: Decimal = Field(sa_column=Column(Numeric(18, 6), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
