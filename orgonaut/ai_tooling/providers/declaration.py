"""What a provider declares about itself, so that the wizard, the nightly window and the backfill form
need no code per provider: its credential fields and how they are checked, how many days one call
covers, how it names people, which metrics it reports, how long its days stay revisable, its earliest
day and how far back it keeps data, and its rate limit.

A declaration is data: `registry.PROVIDERS` holds one per provider. A provider can be declared before
it is built (state `coming_soon`, no factory): the settings page shows its card, and nothing connects it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import msgspec

from orgonaut.ai_tooling.providers.base import AiToolingProvider
from orgonaut.errors import ValidationFailed

MAX_CREDENTIAL_LENGTH = 512
_TOKEN_CHARACTERS = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: what a header can carry


class ProviderState(StrEnum):
    available = "available"
    coming_soon = "coming_soon"


class BillPeriod(StrEnum):
    """Which days a vendor's bill for the organisation (`ReportsOrganisationCost`) can cover."""

    any_days = "any_days"  # a cost report by day: any month can be reconciled
    current_cycle = "current_cycle"  # a snapshot of the current billing cycle to date: that cycle only


class FieldKind(StrEnum):
    secret = "secret"  # a key or token: a password field, sealed at rest, never shown again
    text = "text"  # an identifier such as a workspace id or an organisation slug
    decimal = "decimal"  # a positive amount such as a price per credit


class IdentityKind(StrEnum):
    """How a provider names the people in its records."""

    email = "email"
    github_login = "github_login"  # needs an identity map from login to person
    user_id = "user_id"  # a vendor user id, with an e-mail where the vendor gives one


class Metric(StrEnum):
    """The spec's usage fields. A provider that does not report one stores it as not reported."""

    sessions = "sessions_count"
    lines_added = "lines_added"
    lines_removed = "lines_removed"
    commits = "commits_count"
    pull_requests = "pull_requests_count"
    input_tokens = "total_input_tokens"
    output_tokens = "total_output_tokens"
    cache_read_tokens = "total_cache_read_tokens"
    cache_creation_tokens = "total_cache_creation_tokens"
    cost = "total_cost_cents"


ALL_METRICS = frozenset(Metric)


@dataclasses.dataclass(frozen=True, slots=True)
class CredentialField:
    """One field of the connect wizard, and the check its value must pass before any call."""

    name: str  # the key in the sealed config and in the form's data
    label: str
    kind: FieldKind = FieldKind.secret
    placeholder: str = ""
    hint: str = ""  # said under the field, and when a value does not look right
    prefix: str | None = None  # what every valid value starts with
    pattern: str | None = None  # a full-match regular expression for text fields
    required: bool = True  # an optional field may be left empty (stored as "")
    # Keys people mistake for this one: (how such a key starts, what to tell them), checked before `prefix`.
    mistaken: tuple[tuple[str, str], ...] = ()

    @property
    def secret(self) -> bool:
        return self.kind is FieldKind.secret

    def clean(self, raw: object) -> str:
        """The value trimmed, or ValidationFailed saying what is wrong (never echoing a secret)."""
        value = raw.strip() if isinstance(raw, str) else ""
        if not value and not self.required:
            return ""
        if not value:
            raise ValidationFailed(f"Enter the {self.label}.")
        if len(value) > MAX_CREDENTIAL_LENGTH:
            raise ValidationFailed(f"The {self.label} is too long ({MAX_CREDENTIAL_LENGTH} characters at most).")
        if self.kind is FieldKind.decimal:
            return self._clean_decimal(value)
        if not _TOKEN_CHARACTERS.fullmatch(value) or (self.pattern and not re.fullmatch(self.pattern, value)):
            shown = "" if self.secret else f" '{value[:40]}'"
            raise ValidationFailed(f"That does not look like a valid {self.label}{shown}. {self.hint}".strip())
        for start, message in self.mistaken:
            if value.startswith(start):
                raise ValidationFailed(message)
        if self.prefix and not value.startswith(self.prefix):
            raise ValidationFailed(self.hint or f"A {self.label} starts with {self.prefix}.")
        return value

    def _clean_decimal(self, value: str) -> str:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValidationFailed(f"The {self.label} must be a number, such as 0.04.") from None
        if not amount.is_finite() or amount <= 0 or amount > 1_000_000:
            raise ValidationFailed(f"The {self.label} must be a positive amount up to 1,000,000.")
        return str(amount)


@dataclasses.dataclass(frozen=True, slots=True)
class RateLimit:
    requests: int
    per_seconds: int

    def __str__(self) -> str:
        return f"{self.requests} requests per {self.per_seconds} s"


ProviderFactory = Callable[[Mapping[str, str], "str | None"], AiToolingProvider]


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderInfo:
    key: str
    display_name: str
    state: ProviderState
    description: str
    credentials: tuple[CredentialField, ...]
    api_name: str = ""  # "the Anthropic API": what the wizard and the backfill form name
    connection_test: str = ""  # the request Test connection makes, said in the wizard
    factory: ProviderFactory | None = None  # (credentials, api_base) -> provider; None while coming soon
    fetch_days_per_call: int = 1  # 1: one day per request; N: a range of up to N days
    identity: IdentityKind = IdentityKind.email
    metrics: frozenset[Metric] = ALL_METRICS
    # Days before the last complete day that the vendor may still revise: each nightly run re-reads them.
    revisable_days: int = 1
    # The first day the vendor can have usage for; backfills never ask for earlier days. None: unknown.
    earliest_date: dt.date | None = None
    retention_days: int | None = None  # how far back the vendor serves data; None: no documented limit
    rate_limit: RateLimit | None = None  # None: none documented (back off on 429 and honour retry-after)
    # The type of `DailyUsage.provider_metrics`: counters only this provider reports, stored as JSON.
    provider_metrics: type[msgspec.Struct] | None = None
    # For a provider that bills in credits: the credential field with the connection's price per credit.
    # Its records keep their exact credits in `provider_metrics["credits"]`, so a price that changes from a
    # day on re-prices the stored days it covers (`ai_tooling.credit_prices`).
    credit_price_field: str | None = None
    # Whether the client reads the vendor's own bill for the organisation (`ReportsOrganisationCost`), so the
    # per-person sum can be reconciled with it (`spend.reconciliation`).
    reports_organisation_cost: bool = False
    # For a provider whose records carry each day's share of a seat price: plan -> the credential field with the
    # connection's own monthly price, and how a stored day is re-priced when an admin sets a price from a day on
    # (`ai_tooling.seat_prices`): (stored provider_metrics, monthly USD, day) -> (total cost cents, new metrics),
    # or None when the record holds no seat of that plan.
    seat_price_fields: tuple[tuple[str, str], ...] = ()
    reprice_seat_day: Callable[[dict[str, Any], Decimal, dt.date, str], tuple[Decimal, dict[str, Any]] | None] \
        | None = None
    # Whether the client lists who holds a paid seat now (`ListsSeats`), for the idle-seats view (`ai_tooling.seats`).
    lists_seats: bool = False
    bill_period: BillPeriod = BillPeriod.any_days

    @property
    def available(self) -> bool:
        return self.state is ProviderState.available

    def ensure_available(self) -> ProviderInfo:
        """This declaration, or ValidationFailed when its provider is declared but not built yet."""
        if not self.available:
            raise ValidationFailed(f"{self.display_name} is coming soon: it cannot be connected yet.")
        return self

    @property
    def key_hint(self) -> str:
        """The hint of the first secret field (what the wizard says under the key)."""
        return next((f.hint for f in self.credentials if f.secret), "")

    def requests_for(self, days: int) -> int:
        """The fewest vendor requests `days` days take (a page each; more when a day has several pages)."""
        return -(-days // self.fetch_days_per_call)

    def earliest_fetchable(self, today: dt.date) -> dt.date | None:
        """The first day a backfill may ask this vendor for, by its own declarations."""
        days = [self.earliest_date] if self.earliest_date else []
        if self.retention_days is not None:
            days.append(today - dt.timedelta(days=self.retention_days))
        return max(days) if days else None

    def read_provider_metrics(self, stored: dict[str, Any]) -> msgspec.Struct | None:
        """A stored record's `provider_metrics`, as this provider's declared type (None: it has none)."""
        if self.provider_metrics is None or not stored:
            return None
        return msgspec.convert(stored, self.provider_metrics)

    def clean_credentials(self, values: Mapping[str, object]) -> dict[str, str]:
        """Every declared field, checked and trimmed; fields not declared are dropped."""
        return {spec.name: spec.clean(values.get(spec.name, "")) for spec in self.credentials}
