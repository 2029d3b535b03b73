"""The provider seam: what every AI Tooling provider gives the rest of the product.

A provider knows its vendor's API and nothing of actors, scopes or the database. It tests a
connection (-> organisation name) and fetches one day (-> normalised per-person daily usage).
Ingestion, matching and the pages only ever see `DailyUsage` and `ProviderError`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from orgonaut.integrations.error_kinds import ErrorKind

__all__ = [
    "API_KEY_PREFIX", "NOT_A_PERSON", "SERVICE_ACCOUNT_PREFIX", "AiToolingProvider", "DailyUsage", "DayUsages",
    "ErrorKind", "OneDayPerCall", "ProviderError", "ProviderRetriableError", "RangePerCall", "not_a_person",
]


class ProviderError(Exception):
    """A provider call failed. `str(error)` is safe to show and to store: it never holds the key."""

    def __init__(self, kind: ErrorKind, message: str, *, status: int | None = None,
                 request_id: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.request_id = request_id
        # Seconds the vendor asked us to wait (a 429's `retry-after`), for a later retry's countdown.
        self.retry_after = retry_after


class ProviderRetriableError(ProviderError):
    """Transient: a later attempt may succeed (used for Celery's autoretry)."""


class DailyUsage(msgspec.Struct, frozen=True):
    """One person's usage on one day with one provider, already summed over the vendor's rows.

    A frozen struct rather than a dataclass: a backfill builds one per person-day, and a frozen
    dataclass's `__init__` costs ten times as much (it sets each field through `object.__setattr__`).
    """

    source_email: str  # trimmed, lower case; `api-key:<name>` for API-key actors
    usage_date: dt.date
    sessions_count: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    commits_count: int = 0
    pull_requests_count: int = 0
    total_input_tokens: int = 0
    total_output_tokens: int = 0
    total_cache_read_tokens: int = 0
    total_cache_creation_tokens: int = 0
    total_cost_cents: Decimal = Decimal(0)  # USD cents, exact
    tool_actions: dict[str, Any] = {}  # (msgspec gives each instance its own empty dict / list)
    model_breakdown: list[dict[str, Any]] = []
    # Counters only this provider reports: an instance of its declaration's `provider_metrics` type.
    provider_metrics: msgspec.Struct | None = None

    @property
    def is_api_key(self) -> bool:
        return self.source_email.startswith(API_KEY_PREFIX)


API_KEY_PREFIX = "api-key:"
SERVICE_ACCOUNT_PREFIX = "service-account:"
# Usage that belongs to no person, by the prefix of its source: what the pages call it.
NOT_A_PERSON = {API_KEY_PREFIX: "API key", SERVICE_ACCOUNT_PREFIX: "Service account"}


def not_a_person(source: str) -> tuple[str, str] | None:
    """(what it is, its name) for an API key's or a service account's usage; None for a person's e-mail."""
    for prefix, kind in NOT_A_PERSON.items():
        if source.startswith(prefix):
            return kind, source.removeprefix(prefix)
    return None


class DayUsages(list[DailyUsage]):
    """A fetched day's usage, one per person, with what the provider noticed and worked around
    (a record repeated across pages, say) in `warnings`, for the run's diagnostics."""

    def __init__(self, usages: list[DailyUsage] = (), warnings: list[str] | None = None):  # type: ignore[assignment]
        super().__init__(usages)
        self.warnings: list[str] = warnings or []


class AiToolingProvider(Protocol):
    key: str
    display_name: str

    def test_connection(self) -> str:
        """Returns the organisation name, or raises ProviderError."""

    def fetch_day(self, day: dt.date) -> DayUsages:
        """All people's usage on `day` (UTC), one record per person; raises ProviderError."""

    def fetch_days(self, start: dt.date, end: dt.date) -> dict[dt.date, DayUsages]:
        """Every day from `start` to `end` (inclusive; at most the declaration's `fetch_days_per_call`
        days), each with all people's usage (an empty DayUsages for a day without any); the sync engine
        calls this. Raises ProviderError."""


class OneDayPerCall:
    """For a provider whose API serves one day per request: `fetch_days` is `fetch_day` per day."""

    def fetch_day(self, day: dt.date) -> DayUsages:
        raise NotImplementedError

    def fetch_days(self, start: dt.date, end: dt.date) -> dict[dt.date, DayUsages]:
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        return {day: self.fetch_day(day) for day in days}


class RangePerCall:
    """For a provider whose API serves a range of days per request: `fetch_day` is a one-day range."""

    def fetch_days(self, start: dt.date, end: dt.date) -> dict[dt.date, DayUsages]:
        raise NotImplementedError

    def fetch_day(self, day: dt.date) -> DayUsages:
        return self.fetch_days(day, day)[day]
