"""Connecting, testing, replacing the key and reconnecting an AI Tooling integration."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.claude_code.client import INVALID_KEY_MESSAGE, MISSING_PERMISSION_MESSAGE
from orgonaut.errors import Conflict, Forbidden, NotFound, ValidationFailed
from orgonaut.integrations import secrets
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationStatus
from orgonaut.tenancy.models import Plan
from tests.factories import make_tenant, make_user
from tests.integration.ai_tooling.conftest import WEEK, connect
from tests.integration.ai_tooling.test_sync_runs import backfill
from tests.support.simulator import NO_PERMISSION_KEY, REVOKED_KEY, VALID_KEY


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_connect_tests_the_key_then_stores_it_sealed(session, tenant, clean_simulator):
    user = make_user(session, tenant)
    session.commit()
    integration = service.connect(
        session=session, tenant_id=tenant.id, provider="claude_code", credentials={"api_key": f"  {VALID_KEY}\n"},
        api_base=clean_simulator.base_url, baseline=True, user_id=user.id,
    )
    session.commit()

    stored = session.get(Integration, integration.id)
    assert (stored.category, stored.provider, stored.status) == ("ai_tooling", "claude_code", IntegrationStatus.active)
    assert stored.organization_name == "Orgonaut Demo (simulated)"
    assert stored.config_encrypted.startswith("fernet:") and VALID_KEY not in stored.config_encrypted
    assert secrets.open_config(stored.config_encrypted) == {"api_key": VALID_KEY}  # trimmed
    assert (stored.target_baseline, stored.target_scenario_ids, stored.target_all_future) == (True, [], False)
    assert stored.created_by_user_id == user.id and stored.api_base == clean_simulator.base_url
    assert "config_encrypted" not in repr(stored) and VALID_KEY not in repr(stored)
    [request] = clean_simulator.requests(path="/v1/organizations/me")
    assert request["auth"] == "valid"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("sk-live-123", "An Anthropic Admin API key starts with sk-ant-admin"),
        ("sk-ant-api03-abc", "That is an Anthropic API key (sk-ant-api…), which calls models; the usage report needs "
                             "an Admin API key"),
        ("", "Enter the Admin API key."),
        (REVOKED_KEY, f"Test connection failed: {INVALID_KEY_MESSAGE}"),
        (NO_PERMISSION_KEY, f"Test connection failed: {MISSING_PERMISSION_MESSAGE}"),
    ],
)
def test_a_bad_key_is_refused_with_a_readable_reason_and_nothing_is_stored(session, tenant, clean_simulator, key,
                                                                          message):
    with pytest.raises(ValidationFailed) as raised:
        connect(session, tenant, clean_simulator.base_url, key=key)
    session.rollback()
    assert str(raised.value).startswith(message)
    assert count(session, Integration) == 0
    if not key.startswith("sk-ant-admin"):
        assert clean_simulator.requests(path=None) == []  # the format is checked before any request


def test_an_unknown_provider_is_refused(session, tenant, clean_simulator):
    with pytest.raises(ValidationFailed, match="Unknown AI Tooling provider 'nope'"):
        service.connect(session=session, tenant_id=tenant.id, provider="nope", credentials={"api_key": VALID_KEY})
    assert count(session, Integration) == 0


def test_a_plan_without_ai_tooling_cannot_connect(session, clean_simulator):
    tenant = make_tenant(session, plan=Plan.team)
    session.commit()
    with pytest.raises(Forbidden, match=r"plan \(team\) does not include AI Tooling usage sync"):
        connect(session, tenant, clean_simulator.base_url)


def test_one_connection_per_provider_and_reconnecting_reuses_the_record(session, tenant, clean_simulator):
    first = connect(session, tenant, clean_simulator.base_url)
    with pytest.raises(Conflict, match=f"Claude Code is already connected \\(integration {first.id}\\)"):
        connect(session, tenant, clean_simulator.base_url)
    session.rollback()
    assert backfill(session, first, WEEK[0], WEEK[0]).status == "succeeded"
    kept = count(session, AiToolUsageRecord)

    integrations.disconnect(session=session, tenant_id=tenant.id, integration_id=first.id)
    session.commit()
    gone = session.get(Integration, first.id)
    assert (gone.status, gone.config_encrypted) == (IntegrationStatus.disconnected, None)
    assert gone.disconnected_at is not None and count(session, AiToolUsageRecord) == kept
    with pytest.raises(ValidationFailed, match="disconnected"):
        service.start_sync_now(session=session, tenant_id=tenant.id, integration_id=first.id, enqueue=False)
    session.rollback()

    again = connect(session, tenant, clean_simulator.base_url, baseline=False, all_future=True)
    assert again.id == first.id
    assert (again.status, again.target_baseline, again.target_all_future) == (IntegrationStatus.active, False, True)
    assert again.disconnected_at is None and again.config_encrypted


def test_another_tenants_integration_is_not_found(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    other = make_tenant(session)
    session.commit()
    for call in (
        lambda: service.get_integration_or_raise(session=session, tenant_id=other.id, integration_id=integration.id),
        lambda: service.test_connection(session=session, tenant_id=other.id, integration_id=integration.id),
        lambda: service.start_sync_now(session=session, tenant_id=other.id, integration_id=integration.id),
        lambda: integrations.pause(session=session, tenant_id=other.id, integration_id=integration.id),
        lambda: integrations.disconnect(session=session, tenant_id=other.id, integration_id=integration.id),
        lambda: integrations.list_sync_logs(session=session, tenant_id=other.id, integration_id=integration.id),
    ):
        with pytest.raises(NotFound, match=f"Integration {integration.id} was not found."):
            call()
    assert service.list_integrations(session=session, tenant_id=other.id) == []
    assert [i.id for i in service.list_integrations(session=session, tenant_id=tenant.id)] == [integration.id]


def test_test_connection_records_health_both_ways(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    clean_simulator.set_fault(status=401, count=1)

    failed = service.test_connection(session=session, tenant_id=tenant.id, integration_id=integration.id)
    session.commit()
    assert (failed.ok, failed.error_kind, failed.message) == (False, "invalid_key", INVALID_KEY_MESSAGE)
    assert session.get(Integration, integration.id).status == IntegrationStatus.error

    passed = service.test_connection(session=session, tenant_id=tenant.id, integration_id=integration.id)
    session.commit()
    assert (passed.ok, passed.organization_name) == (True, "Orgonaut Demo (simulated)")
    healed = session.get(Integration, integration.id)
    assert (healed.status, healed.last_error, healed.last_error_kind) == (IntegrationStatus.active, None, None)


def test_replace_key_is_tested_first(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    before = session.get(Integration, integration.id).config_encrypted
    with pytest.raises(ValidationFailed, match="Test connection failed"):
        service.replace_credentials(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                    credentials={"api_key": REVOKED_KEY})
    session.rollback()
    assert session.get(Integration, integration.id).config_encrypted == before

    new_key = "sk-ant-admin01-the-replacement-key"
    service.replace_credentials(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                credentials={"api_key": new_key})
    session.commit()
    assert secrets.open_config(session.get(Integration, integration.id).config_encrypted) == {"api_key": new_key}


def test_pause_resume_and_targeting_changes(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    paused = integrations.pause(session=session, tenant_id=tenant.id, integration_id=integration.id)
    session.commit()
    assert paused.status == IntegrationStatus.paused
    # A failed test on a paused integration is noted but does not un-pause it.
    clean_simulator.set_fault(status=500)
    result = service.test_connection(session=session, tenant_id=tenant.id, integration_id=integration.id)
    session.commit()
    assert not result.ok and session.get(Integration, integration.id).status == IntegrationStatus.paused
    clean_simulator.clear_faults()
    assert integrations.resume(session=session, tenant_id=tenant.id, integration_id=integration.id).status == "active"
    session.commit()
    with pytest.raises(ValidationFailed, match="Choose where usage data applies"):
        service.update_targeting(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 baseline=False, scenario_ids=[], all_future=False)
    session.rollback()
    assert session.get(Integration, integration.id).target_baseline is True


# --- the page's rules, in the service -------------------------------------------------------------


def test_ensure_connectable_refuses_unknown_and_already_connected(session, tenant, clean_simulator):
    assert service.ensure_connectable(session=session, tenant_id=tenant.id, provider="claude_code").key == "claude_code"
    with pytest.raises(ValidationFailed, match="Unknown AI Tooling provider"):
        service.ensure_connectable(session=session, tenant_id=tenant.id, provider="nope")
    integration = connect(session, tenant, clean_simulator.base_url)
    with pytest.raises(ValidationFailed, match="^Claude Code is already connected.$"):
        service.ensure_connectable(session=session, tenant_id=tenant.id, provider="claude_code")
    # Another tenant may still connect it.
    other = make_tenant(session)
    session.commit()
    assert service.ensure_connectable(session=session, tenant_id=other.id, provider="claude_code")
    integrations.disconnect(session=session, tenant_id=tenant.id, integration_id=integration.id)
    session.commit()
    assert service.ensure_connectable(session=session, tenant_id=tenant.id, provider="claude_code")


def test_ensure_key_replaceable_and_the_representative_integration(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    assert service.ensure_key_replaceable(session=session, tenant_id=tenant.id,
                                          integration_id=integration.id).id == integration.id
    assert service.current_integrations(session=session, tenant_id=tenant.id) == {"claude_code": integration}
    integrations.disconnect(session=session, tenant_id=tenant.id, integration_id=integration.id)
    session.commit()
    with pytest.raises(ValidationFailed, match="^This integration is disconnected; connect it again instead.$"):
        service.ensure_key_replaceable(session=session, tenant_id=tenant.id, integration_id=integration.id)
    # A disconnected record still stands for its provider (its logs and history stay with it).
    assert service.current_integrations(session=session, tenant_id=tenant.id) == {"claude_code": integration}
    other = make_tenant(session)
    session.commit()
    with pytest.raises(NotFound):
        service.ensure_key_replaceable(session=session, tenant_id=other.id, integration_id=integration.id)
    assert service.current_integrations(session=session, tenant_id=other.id) == {}


def test_active_target_scenario_ids_drop_archived_scenarios(session, tenant, clean_simulator):
    from orgonaut.org import service as org

    keep = org.create_scenario(session=session, tenant_id=tenant.id, name="Keep")
    gone = org.create_scenario(session=session, tenant_id=tenant.id, name="Gone")
    session.commit()
    integration = connect(session, tenant, clean_simulator.base_url, scenario_ids=[keep.id, gone.id])
    assert service.active_target_scenario_ids(session=session, integration=integration) == [keep.id, gone.id]
    org.archive_scenario(session=session, tenant_id=tenant.id, scenario_id=gone.id)
    session.commit()
    assert service.active_target_scenario_ids(session=session, integration=integration) == [keep.id]
