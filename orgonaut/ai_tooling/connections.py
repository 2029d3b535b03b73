"""AI Tooling integrations: connect (format check, then a live test, then the sealed key and the
targeting), change targeting, replace the key, test an existing connection, and the lookups the page,
the API and the CLI use. Pause, resume and disconnect are the same for every integration and live in
`orgonaut.integrations.service`.

A tenant has at most one integration per provider that is not disconnected; connecting a provider again
after a disconnect reuses that record, so its sync logs and usage history stay together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from sqlmodel import Session, col, select

from orgonaut import clock
from orgonaut.ai_tooling import sync
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError
from orgonaut.ai_tooling.providers.declaration import ProviderInfo
from orgonaut.errors import Conflict, Forbidden, NotFound, ValidationFailed
from orgonaut.integrations import health, secrets
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationCategory, IntegrationStatus
from orgonaut.org.models import Scenario, ScenarioKind, ScenarioStatus
from orgonaut.tenancy.models import Tenant

CATEGORY = IntegrationCategory.ai_tooling
NOT_ALLOWED = "Only owners and admins can manage AI Tooling integrations."


@dataclasses.dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    organization_name: str | None = None
    error_kind: ErrorKind | None = None
    message: str | None = None


def get_integration_or_raise(*, session: Session, tenant_id: int, integration_id: int) -> Integration:
    integration = integrations.get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.category != CATEGORY:
        raise NotFound(f"Integration {integration_id} was not found.")
    return integration


def list_integrations(*, session: Session, tenant_id: int, include_disconnected: bool = False) -> list[Integration]:
    return integrations.list_for_tenant(
        session=session, tenant_id=tenant_id, category=CATEGORY, include_disconnected=include_disconnected
    )


def current_integrations(*, session: Session, tenant_id: int) -> dict[str, Integration]:
    """The integration that stands for each provider: its connected one, else its latest disconnected one."""
    records = list_integrations(session=session, tenant_id=tenant_id, include_disconnected=True)
    by_provider: dict[str, Integration] = {}
    for integration in sorted(records, key=lambda i: (i.status == IntegrationStatus.disconnected, -i.id)):
        by_provider.setdefault(integration.provider, integration)
    return by_provider


def ensure_connectable(*, session: Session, tenant_id: int, provider: str) -> ProviderInfo:
    """The provider, if this tenant may start connecting it: available, and not connected already."""
    info = registry.available_or_raise(provider)
    if integrations.get_connected(session=session, tenant_id=tenant_id, category=CATEGORY, provider=info.key):
        raise ValidationFailed(f"{info.display_name} is already connected.")
    return info


def previous_targeting(*, session: Session, tenant_id: int, provider: str) -> tuple[bool, list[int], bool] | None:
    """(baseline, active scenario ids, all future) of the provider's disconnected connection, which connecting
    again reuses: the wizard starts from it. None when the provider was never connected."""
    integration = session.exec(
        select(Integration)
        .where(Integration.tenant_id == tenant_id, Integration.category == CATEGORY, Integration.provider == provider,
               Integration.status == IntegrationStatus.disconnected)
        .order_by(col(Integration.id).desc())
    ).first()
    if integration is None:
        return None
    return (integration.target_baseline, active_target_scenario_ids(session=session, integration=integration),
            integration.target_all_future)


def ensure_key_replaceable(*, session: Session, tenant_id: int, integration_id: int) -> Integration:
    """The integration, if its key may be replaced: a disconnected one is connected again instead."""
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed("This integration is disconnected; connect it again instead.")
    return integration


def active_target_scenario_ids(*, session: Session, integration: Integration) -> list[int]:
    """The integration's selected scenarios that are still active (archived ones drop out on the next save)."""
    selected = [int(i) for i in integration.target_scenario_ids]
    if not selected:
        return []
    active = set(session.exec(select(Scenario.id).where(
        Scenario.tenant_id == integration.tenant_id, col(Scenario.id).in_(selected),
        Scenario.kind == ScenarioKind.scenario, Scenario.status == ScenarioStatus.active,
    )))
    return [i for i in selected if i in active]


def tenant_or_raise(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"Tenant {tenant_id} was not found.")
    return tenant


def plan_or_raise(tenant: Tenant) -> None:
    reason = sync.plan_reason(tenant)
    if reason:
        raise Forbidden(reason)


def validate_targets(
    *, session: Session, tenant_id: int, baseline: bool, scenario_ids: Iterable[int | str], all_future: bool
) -> list[int]:
    """The selected scenario ids, each an active scenario of this tenant; ValidationFailed otherwise."""
    ids: list[int] = []
    for raw in scenario_ids:
        try:
            scenario_id = int(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(f"'{str(raw)[:40]}' is not a scenario id.") from None
        if scenario_id not in ids:
            ids.append(scenario_id)
    if not (baseline or ids or all_future):
        raise ValidationFailed(
            "Choose where usage data applies: the Live baseline, one or more active scenarios, "
            "or all future scenarios."
        )
    for scenario_id in ids:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None or scenario.tenant_id != tenant_id:
            raise ValidationFailed(f"Scenario {scenario_id} was not found.")
        if scenario.kind == ScenarioKind.snapshot:
            raise ValidationFailed(f"'{scenario.name}' is a snapshot: snapshots are read-only and receive no usage.")
        if scenario.status == ScenarioStatus.archived:
            raise ValidationFailed(
                f"The scenario '{scenario.name}' is archived: archived scenarios are read-only and receive no usage."
            )
    return ids


def test_credentials(*, provider: str, credentials: Mapping[str, object], api_base: str | None = None) -> str:
    """Checks credentials before they are saved (the form's Test connection): the organisation name, or
    ValidationFailed with the provider's readable reason. Nothing is stored."""
    client = registry.create_provider(provider, credentials=credentials, api_base=api_base)
    try:
        return client.test_connection()
    except ProviderError as error:
        raise ValidationFailed(f"Test connection failed: {error}") from None


def _clean_api_base(api_base: str | None) -> str | None:
    value = (api_base or "").strip()
    return value or None


def connect(
    *, session: Session, tenant_id: int, provider: str, credentials: Mapping[str, object],
    api_base: str | None = None,
    baseline: bool = True, scenario_ids: Iterable[int | str] = (), all_future: bool = False,
    user_id: int | None = None,
) -> Integration:
    """Tests the credentials against the provider, then stores them sealed with the targeting; status active."""
    info = registry.available_or_raise(provider)
    cleaned = info.clean_credentials(credentials)
    tenant = tenant_or_raise(session, tenant_id)
    plan_or_raise(tenant)
    ids = validate_targets(
        session=session, tenant_id=tenant_id, baseline=baseline, scenario_ids=scenario_ids, all_future=all_future
    )
    existing = integrations.get_connected(session=session, tenant_id=tenant_id, category=CATEGORY, provider=info.key)
    if existing is not None:
        raise Conflict(f"{info.display_name} is already connected (integration {existing.id}); disconnect it first.")
    api_base = _clean_api_base(api_base)
    organization_name = test_credentials(provider=info.key, credentials=cleaned, api_base=api_base)

    integration = session.exec(
        select(Integration)
        .where(Integration.tenant_id == tenant_id, Integration.category == CATEGORY, Integration.provider == info.key)
        .order_by(col(Integration.id).desc())
    ).first()
    now = clock.utcnow()
    if integration is None:
        integration = Integration(
            tenant_id=tenant_id, category=CATEGORY, provider=info.key, status=IntegrationStatus.active,
            created_by_user_id=user_id,
        )
    integration.api_base = api_base
    integration.target_baseline = bool(baseline)
    integration.target_scenario_ids = ids
    integration.target_all_future = bool(all_future)
    integration.targeting_updated_at = now
    integration.organization_name = organization_name[:200]
    integration.disconnected_at = None
    integrations.store_config(integration, cleaned)
    session.add(integration)
    session.flush()
    health.record(session=session, integration=integration, event=health.HealthEvent.connected)
    return integration


def update_targeting(
    *, session: Session, tenant_id: int, integration_id: int, baseline: bool, scenario_ids: Iterable[int | str],
    all_future: bool,
) -> Integration:
    """New targeting from the next run on. "All future" counts from the moment it is switched on."""
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again first.")
    ids = validate_targets(
        session=session, tenant_id=tenant_id, baseline=baseline, scenario_ids=scenario_ids, all_future=all_future
    )
    if all_future and not integration.target_all_future:
        integration.targeting_updated_at = clock.utcnow()
    integration.target_baseline = bool(baseline)
    integration.target_scenario_ids = ids
    integration.target_all_future = bool(all_future)
    session.add(integration)
    session.flush()
    return integration


def replace_credentials(
    *, session: Session, tenant_id: int, integration_id: int, credentials: Mapping[str, object]
) -> Integration:
    """Tests the new credentials first; stores them only if the test succeeds (an error status then clears)."""
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again instead.")
    cleaned = registry.validate_credentials(integration.provider, credentials)
    integration.organization_name = test_credentials(
        provider=integration.provider, credentials=cleaned, api_base=integration.api_base
    )[:200]
    integrations.store_config(integration, cleaned)
    session.add(integration)
    health.record(session=session, integration=integration, event=health.HealthEvent.test_succeeded)
    return integration


def test_connection(*, session: Session, tenant_id: int, integration_id: int) -> ConnectionTest:
    """Tests the stored credentials (the provider's declared `connection_test`) and records the health result."""
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again first.")
    try:
        client = registry.create_provider(integration.provider, credentials=integrations.read_config(integration),
                                          api_base=integration.api_base)
        name = client.test_connection()
    except ProviderError as error:
        result = ConnectionTest(ok=False, error_kind=error.kind, message=str(error))
    except secrets.SecretError as error:
        result = ConnectionTest(ok=False, error_kind=ErrorKind.credentials, message=str(error))
    else:
        integration.organization_name = name[:200]
        session.add(integration)
        health.record(session=session, integration=integration, event=health.HealthEvent.test_succeeded)
        return ConnectionTest(ok=True, organization_name=name)
    health.record(session=session, integration=integration, event=health.HealthEvent.test_failed,
                  error_kind=result.error_kind, message=result.message)
    return result
