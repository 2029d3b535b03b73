"""Every AI Tooling provider the product knows: its declaration (`declaration.ProviderInfo`).

The settings page shows one card per entry and builds the connect wizard from its credential fields;
the nightly window and the backfill form read its freshness, earliest day and retention; ingestion
and matching build providers through `create_provider` and never name one. Adding a provider is a
folder under `providers/` with its `INFO`, a simulator module and one entry below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

from orgonaut.ai_tooling.providers import claude_code, claude_enterprise, codex, copilot, cursor
from orgonaut.ai_tooling.providers.base import AiToolingProvider
from orgonaut.ai_tooling.providers.declaration import ProviderInfo
from orgonaut.errors import ValidationFailed

PROVIDERS: Mapping[str, ProviderInfo] = MappingProxyType(
    {info.key: info for info in (claude_code.INFO, cursor.INFO, copilot.INFO, codex.INFO, claude_enterprise.INFO)}
)


def list_providers() -> list[ProviderInfo]:
    """Every provider, in the order the settings page shows them."""
    return list(PROVIDERS.values())


def display_name(key: str) -> str:
    """The provider's name for people ("GitHub Copilot"); a key this build does not list stays as it is."""
    info = PROVIDERS.get(key)
    return info.display_name if info is not None else key


def get_provider_info(key: str) -> ProviderInfo:
    try:
        return PROVIDERS[key]
    except (KeyError, TypeError):
        raise ValidationFailed(
            f"Unknown AI Tooling provider '{str(key)[:40]}'. Valid providers: {', '.join(PROVIDERS)}."
        ) from None


def validate_credentials(provider_key: str, values: Mapping[str, object]) -> dict[str, str]:
    """The provider's credential fields, trimmed and checked, or ValidationFailed saying what is wrong
    (never echoing a secret). Fields it does not declare are dropped."""
    return available_or_raise(provider_key).clean_credentials(values)


def create_provider(key: str, *, credentials: Mapping[str, object], api_base: str | None = None) -> AiToolingProvider:
    """A ready provider. `api_base` defaults to the configured one (`ANTHROPIC_API_BASE` for Claude Code)."""
    info = available_or_raise(key)
    cleaned = info.clean_credentials(credentials)
    if info.factory is None:
        raise ValidationFailed(f"{info.display_name} cannot be connected yet.")
    try:
        return info.factory(cleaned, api_base)
    except ValueError as error:  # the provider's own checks (API base URL); their text holds no secret
        raise ValidationFailed(str(error)) from None


def available_or_raise(key: str) -> ProviderInfo:
    return get_provider_info(key).ensure_available()


def nightly_lookback_days(key: str, configured: int) -> int:
    """Days each nightly run re-reads: the configured look-back, or more where the vendor revises longer."""
    return max(configured, get_provider_info(key).revisable_days)


def earliest_backfill_date(key: str, *, configured: dt.date, today: dt.date) -> dt.date:
    """The first day a backfill may ask for: the configured earliest, or the vendor's own where later."""
    declared = get_provider_info(key).earliest_fetchable(today)
    return max(configured, declared) if declared else configured
