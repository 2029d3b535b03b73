"""The health state machine on real rows (fields, alert hook), and `secrets rotate` re-sealing in place."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from orgonaut import clock
from orgonaut.cli import app
from orgonaut.integrations import health, secrets
from orgonaut.integrations.error_kinds import error_kind_label
from orgonaut.integrations.models import Integration, IntegrationStatus
from orgonaut.notify import alerts
from orgonaut.settings import reset_settings_cache
from tests.factories import make_tenant

KEY = "sk-ant-admin01-rotation-plaintext-key"


@pytest.fixture
def integration(session):
    tenant = make_tenant(session)
    row = Integration(tenant_id=tenant.id, category="ai_tooling", provider="claude_code",
                      config_encrypted=secrets.seal_config({"api_key": KEY}))
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def transitions(monkeypatch):
    """(previous, current) per transition, and ("still", "error") per failure while already in error."""
    seen = []
    real, real_still = alerts.on_health_transition, alerts.on_still_failing

    def record(*, session, integration, previous, current):
        seen.append((previous, current))
        return real(session=session, integration=integration, previous=previous, current=current)

    def still(*, session, integration):
        seen.append(("still", integration.status))
        return real_still(session=session, integration=integration)

    monkeypatch.setattr(alerts, "on_health_transition", record)
    monkeypatch.setattr(alerts, "on_still_failing", still)
    return seen


def test_failures_set_error_fields_and_alert_once_per_transition(session, integration, transitions):
    start = dt.datetime(2025, 3, 3, 4, 0, tzinfo=dt.UTC)
    with clock.frozen_at(start):
        health.record(session=session, integration=integration, event=health.HealthEvent.sync_failed,
                      error_kind="unavailable", message="Could not reach the Anthropic API.")
    with clock.frozen_at(start + dt.timedelta(hours=1)):
        health.record(session=session, integration=integration, event=health.HealthEvent.sync_failed,
                      error_kind="invalid_key", message="Invalid or revoked Admin API key.")
    session.commit()
    row = session.get(Integration, integration.id)
    assert (row.status, row.last_error_kind, row.last_error) == ("error", "invalid_key",
                                                                  "Invalid or revoked Admin API key.")
    assert row.error_since == start  # the failure began with the first one
    assert row.last_sync_at == start + dt.timedelta(hours=1) and row.last_success_at is None
    assert transitions == [("active", "error"), ("still", "error")]  # the second is the same episode

    health.record(session=session, integration=integration, event=health.HealthEvent.sync_succeeded)
    session.commit()
    row = session.get(Integration, integration.id)
    assert (row.status, row.last_error, row.last_error_kind, row.error_since) == ("active", None, None, None)
    assert row.last_success_at is not None
    assert transitions == [("active", "error"), ("still", "error"), ("error", "active")]


def test_a_failure_event_needs_a_kind_and_a_message(session, integration):
    with pytest.raises(ValueError, match="needs an error kind and a message"):
        health.record(session=session, integration=integration, event=health.HealthEvent.test_failed)


def test_pause_resume_disconnect_transitions(session, integration, transitions):
    for event in ("paused", "sync_failed", "resumed", "disconnected", "sync_succeeded", "connected"):
        kwargs = {"error_kind": "unavailable", "message": "down"} if event == "sync_failed" else {}
        health.record(session=session, integration=integration, event=event, **kwargs)
    assert transitions == [("active", "paused"), ("paused", "active"), ("active", "disconnected"),
                           ("disconnected", "active")]
    assert error_kind_label("missing_permission") == "Missing permission"
    assert error_kind_label("busy") == "Another run was in progress" and error_kind_label("gone_kind") == "gone_kind"


def test_rotate_reseals_every_config_with_the_newest_key(session, integration, monkeypatch):
    old = secrets.newest_key()
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("ORGONAUT_SECRET_KEYS", f"{new},{old}")
    reset_settings_cache()
    try:
        result = CliRunner().invoke(app, ["secrets", "rotate"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"re-encrypted 1 integration credential(s) with key {secrets.key_id(new)}"
        assert KEY not in result.output and new not in result.output
        session.expire_all()
        sealed = session.get(Integration, integration.id).config_encrypted
        assert secrets.sealed_key_id(sealed) == secrets.key_id(new)
        assert secrets.rotate(session=session) == 0  # already done: a rerun changes nothing
        # The old key can go now.
        monkeypatch.setenv("ORGONAUT_SECRET_KEYS", new)
        reset_settings_cache()
        assert secrets.open_config(sealed) == {"api_key": KEY}
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_rotate_without_the_old_key_fails_clearly_and_changes_nothing(session, integration, monkeypatch):
    before = integration.config_encrypted
    monkeypatch.setenv("ORGONAUT_SECRET_KEYS", Fernet.generate_key().decode())
    reset_settings_cache()
    try:
        result = CliRunner().invoke(app, ["secrets", "rotate"])
    finally:
        monkeypatch.undo()
        reset_settings_cache()
    assert result.exit_code == 1
    assert "Add the old key back to the list" in result.output and KEY not in result.output
    session.expire_all()
    assert session.get(Integration, integration.id).config_encrypted == before
    assert IntegrationStatus(session.get(Integration, integration.id).status) == IntegrationStatus.active
