"""Production is the default and refuses unsafe settings; secrets never show in the settings' repr."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from orgonaut.ai_tooling.providers import registry
from orgonaut.settings import Settings, reset_settings_cache

KEY = Fernet.generate_key().decode()


# Every vendor's API base setting, in simulator-port order (8765 ...).
VENDOR_BASES = ("ANTHROPIC_API_BASE", "CURSOR_API_BASE", "GITHUB_API_BASE", "CODEX_API_BASE",
                "CLAUDE_ENTERPRISE_API_BASE")


@pytest.fixture
def bare_environment(monkeypatch):
    """The environment of a fresh production host: none of the test run's settings."""
    for name in ("ORGONAUT_ENV", "ORGONAUT_SECRET_KEYS", *VENDOR_BASES):
        monkeypatch.delenv(name, raising=False)


def test_production_is_the_default_and_needs_an_encryption_key(bare_environment):
    with pytest.raises(ValidationError, match="ORGONAUT_SECRET_KEYS is not set"):
        Settings()
    settings = Settings(ORGONAUT_SECRET_KEYS=KEY)
    assert settings.environment == "production"
    assert settings.fernet_keys() == [KEY]
    # No simulator: the vendors' own APIs.
    assert [getattr(settings, name.lower()) for name in VENDOR_BASES] == [""] * len(VENDOR_BASES)


def test_production_refuses_a_vendor_base_that_is_not_https(bare_environment):
    for name in VENDOR_BASES:
        with pytest.raises(ValidationError, match=f"{name} must be an https:// URL in production"):
            Settings(ORGONAUT_SECRET_KEYS=KEY, **{name: "http://127.0.0.1:8765"})
    assert Settings(ORGONAUT_SECRET_KEYS=KEY, ANTHROPIC_API_BASE="https://proxy.example.test").anthropic_api_base \
        == "https://proxy.example.test"


def test_production_providers_call_the_vendors_over_https(bare_environment, monkeypatch):
    monkeypatch.setenv("ORGONAUT_SECRET_KEYS", KEY)
    reset_settings_cache()
    try:
        claude = registry.create_provider("claude_code", credentials={"api_key": "sk-ant-admin01-x"})
        cursor = registry.create_provider("cursor", credentials={"api_key": "key_x"})
        codex = registry.create_provider("codex", credentials={"workspace_id": "ws", "api_key": "sk-x",
                                                               "usd_per_credit": "0.04"})
        copilot = registry.create_provider("copilot", credentials={
            "kind": "organization", "owner": "acme", "token": "ghp_x", "business_seat_usd": "19",
            "enterprise_seat_usd": "39"})
        enterprise = registry.create_provider("claude_enterprise", credentials={"api_key": "sk-ant-api01-x"})
        assert [p.api_base for p in (claude, cursor, copilot, codex, enterprise)] == [
            "https://api.anthropic.com", "https://api.cursor.com", "https://api.github.com", "https://api.chatgpt.com",
            "https://api.anthropic.com"]
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_demo_and_test_use_the_simulators_and_a_generated_key(bare_environment):
    settings = Settings(ORGONAUT_ENV="demo")
    assert [getattr(settings, name.lower()) for name in VENDOR_BASES] == [
        "http://127.0.0.1:8765", "http://127.0.0.1:8766", "http://127.0.0.1:8767", "http://127.0.0.1:8768",
        "http://127.0.0.1:8769"]
    assert len(settings.fernet_keys()) == 1
    with pytest.raises(ValidationError):
        Settings(ORGONAUT_ENV="staging")


def test_secrets_and_urls_with_passwords_are_not_in_the_repr(bare_environment):
    settings = Settings(ORGONAUT_SECRET_KEYS=KEY, ORGONAUT_DATABASE_URL="postgresql+psycopg://app:db-pass@db/app",
                        REDIS_URL="redis://:redis-pass@cache:6379", ORGONAUT_SMTP_URL="smtp://u:smtp-pass@mail:25")
    for text in (repr(settings), str(settings)):
        for secret in (KEY, "db-pass", "redis-pass", "smtp-pass"):
            assert secret not in text


def test_passwords_are_hashed_with_argon2_defaults_outside_the_test_environment(bare_environment, monkeypatch):
    from orgonaut.tenancy import service

    monkeypatch.setenv("ORGONAUT_SECRET_KEYS", KEY)
    reset_settings_cache()
    try:
        # The parameters a production hash carries (RFC 9106 low memory: 64 MiB, 3 passes, 4 lanes).
        assert service._hasher.__wrapped__().hash("a-long-password").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    finally:
        reset_settings_cache()


def test_the_test_environment_hashes_cheaply_and_verifies_a_production_hash():
    from argon2 import PasswordHasher

    from orgonaut.tenancy import service

    assert service.hash_password("a-long-password").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert service._hasher().verify(PasswordHasher().hash("a-long-password"), "a-long-password")
