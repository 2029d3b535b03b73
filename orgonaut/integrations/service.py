"""Integration records, whatever their category: lookup, credentials, pause/resume/disconnect, sync logs.

Every lookup is tenant-scoped: another tenant's id is `NotFound`, exactly like an unknown id. The
services flush; the caller commits. Category-specific work (connecting, testing a key, syncing) lives
with the category, e.g. `orgonaut.ai_tooling.service`.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from orgonaut.clock import utcnow
from orgonaut.errors import NotFound, ValidationFailed
from orgonaut.integrations import health, secrets
from orgonaut.integrations.models import (
    Integration,
    IntegrationCategory,
    IntegrationStatus,
    IntegrationSyncLog,
    SyncStatus,
)
from orgonaut.paging import Page, PageRequest, fetch


def get(*, session: Session, tenant_id: int, integration_id: int) -> Integration | None:
    integration = session.get(Integration, integration_id)
    return integration if integration is not None and integration.tenant_id == tenant_id else None


def get_or_raise(*, session: Session, tenant_id: int, integration_id: int) -> Integration:
    integration = get(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration is None:
        raise NotFound(f"Integration {integration_id} was not found.")
    return integration


def get_any_or_raise(*, session: Session, integration_id: int) -> Integration:
    """Any tenant's integration: for the operator CLI and workers, which act across tenants."""
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise NotFound(f"Integration {integration_id} was not found.")
    return integration


def list_for_tenant(
    *, session: Session, tenant_id: int, category: IntegrationCategory | str | None = None,
    include_disconnected: bool = True,
) -> list[Integration]:
    statement = select(Integration).where(Integration.tenant_id == tenant_id)
    if category is not None:
        statement = statement.where(Integration.category == IntegrationCategory(category))
    if not include_disconnected:
        statement = statement.where(Integration.status != IntegrationStatus.disconnected)
    return list(session.exec(statement.order_by(Integration.provider, col(Integration.id).desc())))


def get_connected(
    *, session: Session, tenant_id: int, category: IntegrationCategory | str, provider: str
) -> Integration | None:
    """The tenant's integration with this provider that is not disconnected (there is at most one)."""
    return session.exec(
        select(Integration).where(
            Integration.tenant_id == tenant_id,
            Integration.category == IntegrationCategory(category),
            Integration.provider == provider,
            Integration.status != IntegrationStatus.disconnected,
        )
    ).first()


def read_config(integration: Integration) -> dict[str, Any]:
    """The opened credentials. Raises ValidationFailed when there are none (disconnected)."""
    if not integration.config_encrypted:
        raise ValidationFailed(f"Integration {integration.id} has no stored credentials; connect it again.")
    return secrets.open_config(integration.config_encrypted)


def store_config(integration: Integration, config: dict[str, Any]) -> None:
    integration.config_encrypted = secrets.seal_config(config)


def _connected_or_raise(integration: Integration) -> None:
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again first.")


def pause(*, session: Session, tenant_id: int, integration_id: int) -> Integration:
    """Suspends syncs: scheduled runs are logged as skipped and nothing is fetched. Idempotent."""
    integration = get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    _connected_or_raise(integration)
    health.record(session=session, integration=integration, event=health.HealthEvent.paused)
    return integration


def resume(*, session: Session, tenant_id: int, integration_id: int) -> Integration:
    """Paused -> active; the next nightly run syncs again. An integration that is not paused is left as it is."""
    integration = get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    _connected_or_raise(integration)
    if integration.status == IntegrationStatus.paused:
        health.record(session=session, integration=integration, event=health.HealthEvent.resumed)
    return integration


def disconnect(*, session: Session, tenant_id: int, integration_id: int) -> Integration:
    """Removes the stored credentials and stops syncing; usage records and sync logs stay.

    Connecting the same provider again later reuses this record (see ai_tooling.connections.connect).
    """
    integration = get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        return integration
    integration.config_encrypted = None
    integration.disconnected_at = utcnow()
    health.record(session=session, integration=integration, event=health.HealthEvent.disconnected)
    return integration


# --- sync logs --------------------------------------------------------------------------------


def list_sync_logs(
    *, session: Session, tenant_id: int, integration_id: int | None = None, limit: int = 20
) -> list[IntegrationSyncLog]:
    """Newest first. Without an integration id: the tenant's logs across its integrations."""
    statement = select(IntegrationSyncLog).where(IntegrationSyncLog.tenant_id == tenant_id)
    if integration_id is not None:
        get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
        statement = statement.where(IntegrationSyncLog.integration_id == integration_id)
    statement = statement.order_by(col(IntegrationSyncLog.created_at).desc(), col(IntegrationSyncLog.id).desc())
    return list(session.exec(statement.limit(max(1, min(limit, 500)))))


def sync_log_page(
    *, session: Session, tenant_id: int, request: PageRequest, category: IntegrationCategory | str | None = None,
    integration_id: int | None = None, status: SyncStatus | str | None = None,
) -> Page[IntegrationSyncLog]:
    """One page of the tenant's logs, newest first, with the count of all that match: of one category's
    integrations, of one integration (another tenant's is NotFound), in one status."""
    statement = select(IntegrationSyncLog).where(IntegrationSyncLog.tenant_id == tenant_id)
    if category is not None:
        of_category = select(Integration.id).where(Integration.tenant_id == tenant_id,
                                                   Integration.category == IntegrationCategory(category))
        statement = statement.where(col(IntegrationSyncLog.integration_id).in_(of_category))
    if integration_id is not None:
        get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
        statement = statement.where(IntegrationSyncLog.integration_id == integration_id)
    if status is not None:
        try:
            statement = statement.where(IntegrationSyncLog.status == SyncStatus(status))
        except ValueError:
            raise ValidationFailed(f"Unknown run status '{status}'. Valid: {', '.join(SyncStatus)}.") from None
    statement = statement.order_by(col(IntegrationSyncLog.created_at).desc(), col(IntegrationSyncLog.id).desc())
    return fetch(session, statement, request)


def has_unfinished_runs(*, session: Session, tenant_id: int) -> bool:
    """Whether any of the tenant's runs is queued or running (whatever page or filter a list shows)."""
    return session.exec(select(IntegrationSyncLog.id).where(
        IntegrationSyncLog.tenant_id == tenant_id,
        col(IntegrationSyncLog.status).in_((SyncStatus.queued, SyncStatus.running)),
    ).limit(1)).first() is not None


def get_sync_log_or_raise(*, session: Session, tenant_id: int, log_id: int) -> IntegrationSyncLog:
    log = session.get(IntegrationSyncLog, log_id)
    if log is None or log.tenant_id != tenant_id:
        raise NotFound(f"Sync log {log_id} was not found.")
    return log
