"""Integration records (encrypted config, targeting, health) and their sync logs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from orgonaut.clock import utcnow


class IntegrationCategory(StrEnum):
    ai_tooling = "ai_tooling"
    hris = "hris"


class IntegrationStatus(StrEnum):
    active = "active"
    paused = "paused"
    error = "error"
    disconnected = "disconnected"


class SyncKind(StrEnum):
    reconcile = "reconcile"
    backfill = "backfill"


class SyncStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"
    cancelled = "cancelled"  # a person stopped it; the days synced before stay


class Integration(SQLModel, table=True):
    __tablename__ = "integrations"
    __table_args__ = (Index("ix_integrations_tenant_category", "tenant_id", "category", "provider"),)

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    category: IntegrationCategory = Field(sa_column=Column(String(20), nullable=False))
    provider: str = Field(max_length=40)
    status: IntegrationStatus = Field(
        default=IntegrationStatus.active, sa_column=Column(String(20), nullable=False)
    )
    # The provider credentials, sealed by orgonaut.integrations.secrets; NULL once disconnected.
    config_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True), repr=False)
    api_base: str | None = Field(default=None, max_length=500)
    target_baseline: bool = True
    target_scenario_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    target_all_future: bool = False
    # Scenarios created after this moment receive data when target_all_future is on.
    targeting_updated_at: dt.datetime = Field(default_factory=utcnow)
    organization_name: str | None = Field(default=None, max_length=200)
    last_sync_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_error_kind: str | None = Field(default=None, max_length=40)
    error_since: dt.datetime | None = None
    last_alert_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    disconnected_at: dt.datetime | None = None


class IntegrationSyncLog(SQLModel, table=True):
    __tablename__ = "integration_sync_logs"
    __table_args__ = (
        Index("ix_sync_logs_integration_created", "integration_id", "created_at"),
        # One scheduled reconcile per integration and window, however many beats or redeliveries.
        UniqueConstraint("integration_id", "schedule_key", name="uq_sync_logs_integration_schedule"),
    )

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    integration_id: int = Field(foreign_key="integrations.id")
    kind: SyncKind = Field(sa_column=Column(String(20), nullable=False))
    status: SyncStatus = Field(default=SyncStatus.queued, sa_column=Column(String(20), nullable=False))
    window_start: dt.date
    window_end: dt.date
    days_total: int = 0
    days_done: int = 0
    # The last day whose records are committed; a resumed run starts after it.
    checkpoint_date: dt.date | None = None
    records_fetched: int = 0
    records_upserted: int = 0
    records_matched: int = 0
    records_unmatched: int = 0
    error_message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    diagnostics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    triggered_by: str = Field(default="schedule", max_length=20)  # schedule | user | cli
    triggered_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    # The fencing token of the one runner allowed to commit days of this run: each runner writes its
    # own when it starts, and every day's commit is conditional on it still being there.
    lease: str | None = Field(default=None, max_length=64)
    # Set when a person cancels the run: it stops before its next day (stored days stay).
    cancel_requested_at: dt.datetime | None = None
    # "nightly:<window end>" for scheduled reconciles (unique per integration), else NULL.
    schedule_key: str | None = Field(default=None, max_length=40)
