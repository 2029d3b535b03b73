"""Every AI Tooling provider the product knows, with its display name and state.

The settings page shows one card per entry; ingestion and matching build providers through
`create_provider` and never name one. Adding a provider is a new module here and one entry below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from orgonaut.ai_tooling.providers.base import AiToolingProvider, ProviderState
from orgonaut.errors import ValidationFailed

MAX_API_KEY_LENGTH = 512
_KEY_CHARACTERS = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces


def _claude_code(*, api_key: str, api_base: str | None) -> AiToolingProvider:
    from orgonaut.ai_tooling.providers.claude_code import ClaudeCodeProvider
    from orgonaut.settings import get_settings

    # The demo and tests point ANTHROPIC_API_BASE at the simulator; production at the real API.
    return ClaudeCodeProvider(api_key, api_base or get_settings().anthropic_api_base)


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderInfo:
    key: str
    display_name: str
    state: ProviderState
    description: str
    factory: Callable[..., AiToolingProvider] | None = None  # None while coming soon
    key_prefix: str | None = None  # what every valid API key starts with
    key_hint: str = ""  # said when a key does not look right
    # The first day the vendor can have usage for; backfills never ask for earlier days. None: unknown.
    earliest_date: dt.date | None = None

    @property
    def available(self) -> bool:
        return self.state is ProviderState.available


PROVIDERS: Mapping[str, ProviderInfo] = MappingProxyType({
    info.key: info
    for info in (
        ProviderInfo(
            key="claude_code",
            display_name="Claude Code",
            state=ProviderState.available,
            description="Per-person daily Claude Code usage and cost via the Anthropic Admin API.",
            factory=_claude_code,
            key_prefix="sk-ant-admin",
            key_hint=(
                "An Anthropic Admin API key starts with sk-ant-admin…: create one in the Anthropic Console "
                "under Settings → Admin API keys."
            ),
            # Conservative: the Claude Code analytics report began during 2025, so no real usage
            # predates this; days before it could only come back empty (or, from a simulator, invented).
            earliest_date=dt.date(2025, 1, 1),
        ),
        ProviderInfo(
            key="cursor",
            display_name="Cursor",
            state=ProviderState.coming_soon,
            description="Per-person daily Cursor usage via the Cursor Admin API (Enterprise teams).",
        ),
        ProviderInfo(
            key="copilot",
            display_name="GitHub Copilot",
            state=ProviderState.coming_soon,
            description="Per-person daily GitHub Copilot usage via GitHub's Copilot usage metrics.",
        ),
        ProviderInfo(
            key="codex",
            display_name="Codex",
            state=ProviderState.coming_soon,
            description="OpenAI Codex usage via the OpenAI organisation usage and cost APIs.",
        ),
    )
})


def list_providers() -> list[ProviderInfo]:
    """Every provider, in the order the settings page shows them."""
    return list(PROVIDERS.values())


def get_provider_info(key: str) -> ProviderInfo:
    try:
        return PROVIDERS[key]
    except (KeyError, TypeError):
        raise ValidationFailed(
            f"Unknown AI Tooling provider '{str(key)[:40]}'. Valid providers: {', '.join(PROVIDERS)}."
        ) from None


def validate_api_key_format(provider_key: str, api_key: str) -> str:
    """The key without surrounding whitespace, or ValidationFailed saying what is wrong (never the key)."""
    info = _available_or_raise(provider_key)
    key = api_key.strip() if isinstance(api_key, str) else ""
    if not key:
        raise ValidationFailed(f"Enter the {info.display_name} API key.")
    if len(key) > MAX_API_KEY_LENGTH or not _KEY_CHARACTERS.fullmatch(key):
        raise ValidationFailed(f"That does not look like an API key. {info.key_hint}".strip())
    if info.key_prefix and not key.startswith(info.key_prefix):
        raise ValidationFailed(info.key_hint)
    return key


def create_provider(key: str, *, api_key: str, api_base: str | None = None) -> AiToolingProvider:
    """A ready provider. `api_base` defaults to the configured one (`ANTHROPIC_API_BASE` for Claude Code)."""
    info = _available_or_raise(key)
    api_key = validate_api_key_format(key, api_key)
    if info.factory is None:
        raise ValidationFailed(f"{info.display_name} cannot be connected yet.")
    try:
        return info.factory(api_key=api_key, api_base=api_base)
    except ValueError as error:  # the provider's own checks (API base URL); their text holds no key
        raise ValidationFailed(str(error)) from None


def _available_or_raise(key: str) -> ProviderInfo:
    info = get_provider_info(key)
    if not info.available:
        raise ValidationFailed(f"{info.display_name} is coming soon: it cannot be connected yet.")
    return info
