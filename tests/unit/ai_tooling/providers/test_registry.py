"""The provider registry: cards for the settings page, key checks, and building a provider."""

import pytest

from orgonaut.ai_tooling.providers.base import ProviderState
from orgonaut.ai_tooling.providers.claude_code import ClaudeCodeProvider
from orgonaut.ai_tooling.providers.registry import (
    PROVIDERS,
    create_provider,
    get_provider_info,
    list_providers,
    validate_api_key_format,
)
from orgonaut.errors import ValidationFailed
from orgonaut.settings import get_settings

KEY = "sk-ant-admin01-REGISTRY-SECRET-123"
KEY_HINT = (
    "An Anthropic Admin API key starts with sk-ant-admin…: create one in the Anthropic Console under "
    "Settings → Admin API keys."
)


def test_claude_code_is_available_and_the_others_are_coming_soon():
    assert [(p.key, p.display_name, p.state) for p in list_providers()] == [
        ("claude_code", "Claude Code", ProviderState.available),
        ("cursor", "Cursor", ProviderState.coming_soon),
        ("copilot", "GitHub Copilot", ProviderState.coming_soon),
        ("codex", "Codex", ProviderState.coming_soon),
    ]
    assert "Anthropic Admin API" in PROVIDERS["claude_code"].description
    assert all(p.description for p in PROVIDERS.values())
    assert [p.key for p in list_providers() if p.available] == ["claude_code"]


def test_the_registry_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        PROVIDERS["rogue"] = PROVIDERS["claude_code"]  # type: ignore[index]


def test_an_unknown_provider_names_the_valid_ones():
    with pytest.raises(ValidationFailed) as caught:
        get_provider_info("gemini")
    assert str(caught.value) == (
        "Unknown AI Tooling provider 'gemini'. Valid providers: claude_code, cursor, copilot, codex.")


def test_creating_claude_code_gives_a_configured_provider():
    provider = create_provider("claude_code", api_key=f"  {KEY}\n", api_base="http://127.0.0.1:9999/")
    assert isinstance(provider, ClaudeCodeProvider)
    assert provider.key == "claude_code" and provider.display_name == "Claude Code"
    assert provider.api_base == "http://127.0.0.1:9999"
    assert KEY not in repr(provider)


def test_without_an_api_base_the_configured_one_is_used():
    provider = create_provider("claude_code", api_key=KEY)
    assert provider.api_base == get_settings().anthropic_api_base.rstrip("/")


def test_a_bad_api_base_is_a_validation_error():
    with pytest.raises(ValidationFailed, match="http"):
        create_provider("claude_code", api_key=KEY, api_base="ftp://somewhere")


@pytest.mark.parametrize("key", ["cursor", "copilot", "codex"])
def test_coming_soon_providers_cannot_be_connected(key):
    with pytest.raises(ValidationFailed) as caught:
        create_provider(key, api_key="anything")
    assert "is coming soon: it cannot be connected yet." in str(caught.value)


@pytest.mark.parametrize(
    ("api_key", "message"),
    [
        ("sk-ant-api03-NOT-AN-ADMIN-KEY", KEY_HINT),
        ("ak-ant-admin01-LOOKALIKE", KEY_HINT),
        ("   ", "Enter the Claude Code API key."),
        ("sk-ant-admin01 has spaces", f"That does not look like an API key. {KEY_HINT}"),
        ("sk-ant-admin01-" + "x" * 600, f"That does not look like an API key. {KEY_HINT}"),
    ],
)
def test_a_key_of_the_wrong_form_is_refused_without_echoing_it(api_key, message):
    with pytest.raises(ValidationFailed) as caught:
        validate_api_key_format("claude_code", api_key)
    assert str(caught.value) == message
    if api_key.strip():
        assert api_key.strip() not in str(caught.value)


def test_a_good_key_comes_back_trimmed():
    assert validate_api_key_format("claude_code", f"\t{KEY} ") == KEY
