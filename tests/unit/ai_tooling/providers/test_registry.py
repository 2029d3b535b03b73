"""The provider registry and its declarations: cards for the settings page, credential checks, windows,
and building a provider."""

import dataclasses
import datetime as dt

import pytest

from orgonaut.ai_tooling.providers.claude_code.client import ClaudeCodeProvider
from orgonaut.ai_tooling.providers.declaration import FieldKind, IdentityKind, Metric, ProviderState
from orgonaut.ai_tooling.providers.registry import (
    PROVIDERS,
    create_provider,
    earliest_backfill_date,
    get_provider_info,
    list_providers,
    nightly_lookback_days,
    validate_credentials,
)
from orgonaut.errors import ValidationFailed
from orgonaut.settings import get_settings

KEY = "sk-ant-admin01-REGISTRY-SECRET-123"
KEY_HINT = (
    "An Anthropic Admin API key starts with sk-ant-admin…: create one in the Anthropic Console under "
    "Settings → Admin API keys."
)


def test_every_provider_the_spec_names_can_be_connected():
    assert [(p.key, p.display_name, p.state) for p in list_providers()] == [
        ("claude_code", "Claude Code", ProviderState.available),
        ("cursor", "Cursor", ProviderState.available),
        ("copilot", "GitHub Copilot", ProviderState.available),
        ("codex", "Codex", ProviderState.available),
        ("claude_enterprise", "Claude Enterprise", ProviderState.available),
    ]
    assert "Anthropic Admin API" in PROVIDERS["claude_code"].description
    assert all(p.description for p in PROVIDERS.values())


def test_the_registry_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        PROVIDERS["rogue"] = PROVIDERS["claude_code"]  # type: ignore[index]


def test_an_unknown_provider_names_the_valid_ones():
    with pytest.raises(ValidationFailed) as caught:
        get_provider_info("gemini")
    assert str(caught.value) == (
        "Unknown AI Tooling provider 'gemini'. "
        "Valid providers: claude_code, cursor, copilot, codex, claude_enterprise.")


def test_creating_claude_code_gives_a_configured_provider():
    provider = create_provider("claude_code", credentials={"api_key": f"  {KEY}\n"}, api_base="http://127.0.0.1:9999/")
    assert isinstance(provider, ClaudeCodeProvider)
    assert provider.key == "claude_code" and provider.display_name == "Claude Code"
    assert provider.api_base == "http://127.0.0.1:9999"
    assert KEY not in repr(provider)


def test_without_an_api_base_the_configured_one_is_used():
    provider = create_provider("claude_code", credentials={"api_key": KEY})
    assert provider.api_base == get_settings().anthropic_api_base.rstrip("/")


def test_a_bad_api_base_is_a_validation_error():
    with pytest.raises(ValidationFailed, match="http"):
        create_provider("claude_code", credentials={"api_key": KEY}, api_base="ftp://somewhere")


def test_creating_claude_enterprise_gives_a_configured_provider():
    from orgonaut.ai_tooling.providers.claude_enterprise.client import ClaudeEnterpriseProvider

    key = "sk-ant-api01-REGISTRY-SECRET-456"
    provider = create_provider("claude_enterprise", credentials={"api_key": f" {key} "})
    assert isinstance(provider, ClaudeEnterpriseProvider) and provider.display_name == "Claude Enterprise"
    assert provider.api_base == get_settings().claude_enterprise_api_base.rstrip("/") == "http://127.0.0.1:8769"
    assert key not in repr(provider)
    with pytest.raises(ValidationFailed, match="sk-ant-"):
        create_provider("claude_enterprise", credentials={"api_key": "key_not_anthropic"})


def test_a_provider_declared_before_it_is_built_cannot_be_connected():
    declared = dataclasses.replace(PROVIDERS["codex"], state=ProviderState.coming_soon, factory=None)
    with pytest.raises(ValidationFailed) as caught:
        declared.ensure_available()
    assert str(caught.value) == "Codex is coming soon: it cannot be connected yet."
    assert PROVIDERS["codex"].ensure_available() is PROVIDERS["codex"]


@pytest.mark.parametrize(
    ("api_key", "message"),
    [
        ("sk-ant-api03-NOT-AN-ADMIN-KEY", "That is an Anthropic API key (sk-ant-api…), which calls models; the usage "
                                          "report needs an Admin API key (sk-ant-admin…). An organisation admin "
                                          "creates one in the Anthropic Console under Settings → Admin API keys."),
        ("sk-ant-wrong-KEY", KEY_HINT),
        ("ak-ant-admin01-LOOKALIKE", KEY_HINT),
        ("   ", "Enter the Admin API key."),
        ("sk-ant-admin01 has spaces", f"That does not look like a valid Admin API key. {KEY_HINT}"),
        ("sk-ant-admin01-" + "x" * 600, "The Admin API key is too long (512 characters at most)."),
    ],
)
def test_a_key_of_the_wrong_form_is_refused_without_echoing_it(api_key, message):
    with pytest.raises(ValidationFailed) as caught:
        validate_credentials("claude_code", {"api_key": api_key})
    assert str(caught.value) == message
    if api_key.strip():
        assert api_key.strip() not in str(caught.value)


def test_good_credentials_come_back_trimmed_and_undeclared_fields_are_dropped():
    assert validate_credentials("claude_code", {"api_key": f"\t{KEY} ", "extra": "x"}) == {"api_key": KEY}


def test_every_declaration_is_complete():
    for info in list_providers():
        assert info.api_name.startswith("the ") and info.connection_test.startswith(("GET ", "POST ")), info.key
        assert info.credentials and any(f.secret for f in info.credentials), info.key
        assert len({f.name for f in info.credentials}) == len(info.credentials), info.key
        assert all(f.label and f.hint for f in info.credentials), info.key
        assert info.fetch_days_per_call >= 1 and info.revisable_days >= 1 and info.metrics, info.key
        assert (info.factory is not None) == info.available, info.key


def test_the_declarations_say_what_each_vendor_documents():
    copilot, codex = PROVIDERS["copilot"], PROVIDERS["codex"]
    assert [(f.name, f.kind) for f in copilot.credentials] == [
        ("kind", FieldKind.text), ("owner", FieldKind.text), ("token", FieldKind.secret),
        ("business_seat_usd", FieldKind.decimal),
        ("enterprise_seat_usd", FieldKind.decimal)]
    assert copilot.identity is IdentityKind.github_login and Metric.cost in copilot.metrics
    assert Metric.sessions not in copilot.metrics and copilot.revisable_days == 3
    assert [f.name for f in codex.credentials] == ["workspace_id", "api_key", "usd_per_credit"]
    assert codex.retention_days == 89 and codex.revisable_days == 5  # 90 days back from now: 89 whole days
    assert PROVIDERS["cursor"].fetch_days_per_call == 30
    assert str(PROVIDERS["cursor"].rate_limit) == "20 requests per 60 s"
    assert PROVIDERS["claude_code"].metrics == frozenset(Metric)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kind": "enterprise", "owner": "acme", "token": ""}, "Enter the GitHub token."),
        ({"kind": "org", "owner": "acme", "token": "ghp_x"},
         "That does not look like a valid account kind 'org'. organization, or enterprise for all of an "
         "enterprise's organisations."),
        ({"kind": "organization", "owner": "acme corp", "token": "ghp_x"},
         "That does not look like a valid organisation or enterprise slug 'acme corp'. The name in "
         "github.com/<slug>, or github.com/enterprises/<slug>."),
        ({"kind": "organization", "owner": "-acme", "token": "ghp_x"},
         "That does not look like a valid organisation or enterprise slug '-acme'. The name in "
         "github.com/<slug>, or github.com/enterprises/<slug>."),
        ({"kind": "organization", "owner": "acme", "token": "ghp_x"},
         "Enter the monthly price of a Copilot Business seat (USD)."),
    ],
)
def test_each_declared_field_is_checked_and_only_non_secrets_are_echoed(values, message):
    info = PROVIDERS["copilot"]
    with pytest.raises(ValidationFailed) as caught:
        info.clean_credentials(values)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("price", "cleaned"),
    [("0.04", "0.04"), (" 1.5 ", "1.5"), ("abc", None), ("-1", None), ("0", None), ("NaN", None), ("1e9", None)],
)
def test_a_price_per_credit_must_be_a_positive_amount(price, cleaned):
    values = {"workspace_id": "ws_1", "api_key": "sk-proj-abc", "usd_per_credit": price}
    if cleaned is None:
        with pytest.raises(ValidationFailed, match="price per credit"):
            PROVIDERS["codex"].clean_credentials(values)
    else:
        assert PROVIDERS["codex"].clean_credentials(values)["usd_per_credit"] == cleaned


def test_the_nightly_look_back_covers_the_vendors_revisable_days():
    assert nightly_lookback_days("claude_code", 7) == 7
    assert nightly_lookback_days("codex", 3) == 5  # rows arrive up to 5 days late
    assert nightly_lookback_days("claude_enterprise", 7) == 30  # cost is revisable for 30 days


def test_a_backfill_starts_no_earlier_than_the_vendor_serves():
    today = dt.date(2026, 12, 7)
    configured = dt.date(2024, 1, 1)
    assert earliest_backfill_date("claude_code", configured=configured, today=today) == dt.date(2025, 1, 1)
    assert earliest_backfill_date("codex", configured=configured, today=today) == today - dt.timedelta(days=89)
    assert earliest_backfill_date("copilot", configured=configured, today=today) == dt.date(2025, 12, 7)
    assert earliest_backfill_date("cursor", configured=configured, today=today) == configured
    assert earliest_backfill_date("claude_code", configured=dt.date(2026, 3, 1), today=today) == dt.date(2026, 3, 1)


def test_requests_for_a_range_follow_the_days_per_call():
    assert PROVIDERS["claude_code"].requests_for(365) == 365
    assert PROVIDERS["cursor"].requests_for(365) == 13
    assert PROVIDERS["cursor"].requests_for(30) == 1
