"""The provider seam: what every AI Tooling provider gives the rest of the product.

A provider knows its vendor's API and nothing of actors, scopes or the database. It tests a
connection (-> organisation name) and fetches one day (-> normalised per-person daily usage).
Ingestion, matching and the pages only ever see `DailyUsage` and `ProviderError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import msgspec

from orgonaut.integrations.error_kinds import ErrorKind

__all__ = [
    "API_KEY_PREFIX", "NOT_A_PERSON", "OTHER_PRODUCTS", "SERVICE_ACCOUNT_PREFIX", "VENDOR_ID_SOURCES",
    "AiToolingProvider", "DailyUsage", "DayUsages", "ErrorKind", "OneDayPerCall", "OrganisationCost",
    "ProviderError", "ProviderRetriableError", "RangePerCall", "ReportsOrganisationCost", "SourceHint",
    "not_a_person", "vendor_id_of", "vendor_id_source",
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

    # Who: a trimmed, lower-case e-mail; `api-key:<name>` for API-key actors; `<prefix><id>` for a person
    # the vendor names by an immutable id only (`vendor_id_source`, e.g. `github:583231`).
    source_email: str
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


# An API key or a service account maps to a robot or agent actor through an identity of this kind (the
# name after the prefix, as the vendor writes it), so its cost lands on that actor.
MACHINE_SOURCES: dict[str, str] = {API_KEY_PREFIX: "api_key", SERVICE_ACCOUNT_PREFIX: "service_account"}


def not_a_person(source: str) -> tuple[str, str] | None:
    """(what it is, its name) for an API key's or a service account's usage; None for a person's e-mail."""
    for prefix, kind in NOT_A_PERSON.items():
        if source.startswith(prefix):
            return kind, source.removeprefix(prefix)
    return None


# People a vendor names by an immutable id rather than an e-mail: the source is `<prefix><id>`, matched
# through the person's identity of that kind (an `org.models.IdentityKind` value). Ids never change when a
# login is renamed, so a person's records keep one source across renames.
VENDOR_ID_SOURCES: dict[str, str] = {
    "github:": "github_user_id",  # GitHub Copilot: the numeric user id
    "codex-user:": "codex_user_id",  # OpenAI Codex rows without an e-mail
    "claude-user:": "claude_user_id",  # Claude Enterprise actors without an e-mail (deleted users)
}


def vendor_id_source(prefix: str, vendor_id: object) -> str:
    """The `source_email` of a person a vendor names by id: `vendor_id_source("github:", 583231)`."""
    if prefix not in VENDOR_ID_SOURCES:
        raise ValueError(f"unknown vendor id prefix {prefix!r}")
    return f"{prefix}{str(vendor_id).strip()}"


def vendor_id_of(source: str) -> tuple[str, str] | None:
    """(identity kind, id) of a vendor-id source; None for an e-mail, an API key or a service account."""
    for prefix, kind in VENDOR_ID_SOURCES.items():
        if source.startswith(prefix):
            return kind, source.removeprefix(prefix)
    return None


class SourceHint(msgspec.Struct, frozen=True):
    """What else a vendor says about a vendor-id source, for matching and for the Unmatched list.

    `identities` are other names the vendor gives the same person, as (identity kind, value) pairs with
    `org.models.IdentityKind` values: `("github_login", "octocat")`, or `("email", "o@corp.example")` from
    GitHub's SAML external identities or a Codex row's e-mail. A source whose id no person holds is
    matched through them (and the person then learns the id, so a renamed login keeps its person)."""

    display_name: str = ""  # how people recognise the source: "@octocat"
    identities: tuple[tuple[str, str], ...] = ()


class DayUsages(list[DailyUsage]):
    """A fetched day's usage, one per person, with what the provider noticed and worked around
    (a record repeated across pages, say) in `warnings`, for the run's diagnostics, and for vendor-id
    sources what else the vendor says about them in `hints` (source -> SourceHint)."""

    def __init__(self, usages: list[DailyUsage] = (), warnings: list[str] | None = None,  # type: ignore[assignment]
                 hints: dict[str, SourceHint] | None = None):
        super().__init__(usages)
        self.warnings: list[str] = warnings or []
        self.hints: dict[str, SourceHint] = hints or {}


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


OTHER_PRODUCTS = "Other products on the same bill (outside the per-person report)"


@dataclass(frozen=True)
class OrganisationCost:
    """What the vendor bills the organisation over some days (its own cost report): in all, the part that is
    this tool's (what the per-person report covers), and every line by the vendor's description.

    `start` and `end` are the UTC days the vendor's figure covers: the days asked, unless the vendor can only
    report another period (Cursor's spend is its current billing cycle to date), so that ours is summed over
    the same days. `outside` names what the bill holds beyond the tool's part; `leaves_out` lists the
    prefixes of our sources (`SERVICE_ACCOUNT_PREFIX`, ...) whose usage the vendor's tool figure does not
    count, so they are set apart rather than left in the gap."""

    total_cents: Decimal
    tool_cents: Decimal
    lines: tuple[tuple[str, Decimal], ...]
    start: dt.date
    end: dt.date
    outside: str = OTHER_PRODUCTS
    leaves_out: tuple[str, ...] = ()


@runtime_checkable
class ReportsOrganisationCost(Protocol):
    """A provider whose vendor reports the organisation's billed cost: invoice reconciliation reads it."""

    def organisation_cost(self, start: dt.date, end: dt.date) -> OrganisationCost:
        """The organisation's cost from `start` to `end` (inclusive, UTC days), or over the period the vendor
        can report (the answer's `start` and `end`, with the declaration's `bill_period` saying which);
        raises ProviderError."""


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


@dataclass(frozen=True)
class Seat:
    """One paid seat as the vendor lists it today. `source` names its holder as the records do (an e-mail,
    `github:<id>`), so matching finds the person; `monthly_price_cents` is None when nobody told us the price."""

    source: str
    label: str  # how the vendor names the holder (an e-mail, "@login")
    plan: str
    monthly_price_cents: Decimal | None = None
    held_since: dt.date | None = None
    last_activity_at: dt.datetime | None = None  # the vendor's own (Copilot's depends on IDE telemetry)
    pending_cancellation: dt.date | None = None


@runtime_checkable
class ListsSeats(Protocol):
    """A provider whose vendor lists who holds a paid seat now: idle seats read the stored list."""

    def seats(self) -> list[Seat]:
        """Every seat held today; raises ProviderError."""
