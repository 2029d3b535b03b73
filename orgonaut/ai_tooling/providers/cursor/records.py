"""The Cursor Admin API's shapes, validated, and their sum into one `DailyUsage` per person and UTC day.

Activity comes from `POST /teams/daily-usage-data` (no money); cost and tokens from the usage events
of `POST /teams/filtered-usage-events`, summed per user and UTC day: `chargedCents` (fractional
cents, exact), or `tokenUsage.totalCents + cursorTokenFee` where an event has no `chargedCents` (the
older docs' rule). Both doc versions' shapes are accepted: a usage row may lack `userId` and `day`
(its `date` in epoch ms then names the day), a timestamp may be a string or a number of milliseconds.
Unknown extra fields are ignored. Events of a service account never match a person: they are kept
under `service-account:<name>`, like Claude Code's API keys.
Reference: https://cursor.com/docs/account/teams/admin-api
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, TypeVar

from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers import vendor_http
from orgonaut.ai_tooling.providers.base import SERVICE_ACCOUNT_PREFIX, DailyUsage, DayUsages, Seat
from orgonaut.ai_tooling.providers.money import cents_to_json, exact_cents, sum_cost_cents
from orgonaut.emails import normalise_email

MAX_COUNT = 10**15
MAX_AMOUNT_CENTS = 10**12

Count = Annotated[int, Meta(ge=0, le=MAX_COUNT)]
Text = Annotated[str, Meta(max_length=320)]
_T = TypeVar("_T")


class Member(Struct, frozen=True, gc=False):
    email: Text | None = None
    name: Text | None = None
    role: Text | None = None  # owner | member | free-owner (an owner without a paid seat)
    isRemoved: bool = False  # noqa: N815 - the vendor's field names


class Members(Struct, frozen=True, gc=False):
    teamMembers: list[Member]  # noqa: N815


class UsageRow(Struct, frozen=True, gc=False):
    email: Text
    date: int | None = None  # epoch ms of the day
    day: Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None
    isActive: bool = True  # noqa: N815
    totalLinesAdded: Count = 0  # noqa: N815
    totalLinesDeleted: Count = 0  # noqa: N815
    acceptedLinesAdded: Count = 0  # noqa: N815
    acceptedLinesDeleted: Count = 0  # noqa: N815
    totalApplies: Count = 0  # noqa: N815
    totalAccepts: Count = 0  # noqa: N815
    totalRejects: Count = 0  # noqa: N815
    totalTabsShown: Count = 0  # noqa: N815
    totalTabsAccepted: Count = 0  # noqa: N815
    composerRequests: Count = 0  # noqa: N815
    chatRequests: Count = 0  # noqa: N815
    agentRequests: Count = 0  # noqa: N815
    cmdkUsages: Count = 0  # noqa: N815
    subscriptionIncludedReqs: Count = 0  # noqa: N815
    apiKeyReqs: Count = 0  # noqa: N815
    usageBasedReqs: Count = 0  # noqa: N815
    bugbotUsages: Count = 0  # noqa: N815
    mostUsedModel: Text | None = None  # noqa: N815
    applyMostUsedExtension: Text | None = None  # noqa: N815
    tabMostUsedExtension: Text | None = None  # noqa: N815
    clientVersion: Text | None = None  # noqa: N815

    def usage_day(self) -> dt.date:
        if self.day is not None:
            return dt.date.fromisoformat(self.day)
        if self.date is None:
            raise ValueError("a usage row has neither `day` nor `date`")
        return dt.datetime.fromtimestamp(self.date / 1000, dt.UTC).date()


class Pagination(Struct, frozen=True, gc=False):
    hasNextPage: bool = False  # noqa: N815


class UsagePage(Struct, frozen=True, gc=False):
    data: list[UsageRow]
    pagination: Pagination | None = None


class TokenUsage(Struct, frozen=True, gc=False):
    inputTokens: Count = 0  # noqa: N815
    outputTokens: Count = 0  # noqa: N815
    cacheWriteTokens: Count = 0  # noqa: N815
    cacheReadTokens: Count = 0  # noqa: N815
    totalCents: Decimal = Decimal(0)  # noqa: N815


class UsageEvent(Struct, frozen=True, gc=False):
    timestamp: str | int
    userEmail: Text  # noqa: N815
    serviceAccountId: Text | None = None  # noqa: N815
    serviceAccountName: Text | None = None  # noqa: N815
    model: Text | None = None
    tokenUsage: TokenUsage | None = None  # noqa: N815
    chargedCents: Decimal | None = None  # noqa: N815
    cursorTokenFee: Decimal | None = None  # noqa: N815

    def moment(self) -> dt.datetime:
        try:
            millis = int(self.timestamp)
        except ValueError:
            raise ValueError(f"the event timestamp {str(self.timestamp)[:40]!r} is not epoch milliseconds") from None
        return dt.datetime.fromtimestamp(millis / 1000, dt.UTC)

    def cost_cents(self) -> Decimal:
        """`chargedCents` (model cost and Cursor's token fee), else the older docs' parts."""
        if self.chargedCents is not None:
            return _amount(self.chargedCents)
        parts = [self.tokenUsage.totalCents if self.tokenUsage is not None else Decimal(0),
                 self.cursorTokenFee if self.cursorTokenFee is not None else Decimal(0)]
        return sum_cost_cents(_amount(part) for part in parts)

    def owner(self) -> str | None:
        if self.serviceAccountId is not None:
            return SERVICE_ACCOUNT_PREFIX + (self.serviceAccountName or self.serviceAccountId)
        return normalise_email(self.userEmail) or None


class EventsPagination(Struct, frozen=True, gc=False):
    hasNextPage: bool = False  # noqa: N815
    numPages: int | None = None  # noqa: N815


class EventsPage(Struct, frozen=True, gc=False):
    usageEvents: list[UsageEvent]  # noqa: N815
    pagination: EventsPagination | None = None


class CursorCounters(Struct, frozen=True):
    """What only Cursor reports of a person's day (the record's `provider_metrics`)."""

    accepted_lines_added: int = 0
    accepted_lines_deleted: int = 0
    applies: int = 0
    accepts: int = 0
    rejects: int = 0
    tabs_shown: int = 0
    tabs_accepted: int = 0
    composer_requests: int = 0
    chat_requests: int = 0
    agent_requests: int = 0
    cmdk_usages: int = 0
    subscription_included_requests: int = 0
    usage_based_requests: int = 0
    api_key_requests: int = 0
    bugbot_usages: int = 0
    usage_events: int = 0
    most_used_model: str | None = None
    apply_most_used_extension: str | None = None
    tab_most_used_extension: str | None = None
    client_version: str | None = None


def parse_members(body: bytes) -> Members:
    return _decode(body, Members)


def parse_usage_page(body: bytes) -> UsagePage:
    return _decode(body, UsagePage)


def parse_events_page(body: bytes) -> EventsPage:
    return _decode(body, EventsPage)


UNPAID_ROLES = frozenset({"free-owner"})


def seats(members: Members, monthly_price_cents: Decimal | None) -> list[Seat]:
    """A paid seat per current member: removed members (kept in the list for history) and free owners hold none."""
    return [Seat(source=normalise_email(m.email), label=m.email, plan="Cursor", monthly_price_cents=monthly_price_cents)
            for m in members.teamMembers
            if m.email and "@" in m.email and not m.isRemoved and (m.role or "").lower() not in UNPAID_ROLES]


def organisation_name(members: Members) -> str:
    """The team's name as its current members' most common e-mail domain (the API gives the team no name)."""
    domains: dict[str, int] = defaultdict(int)
    for member in members.teamMembers:
        if member.email and "@" in member.email and not member.isRemoved:
            domains[member.email.rsplit("@", 1)[1].lower()] += 1
    if not domains:
        return "Cursor team"
    return max(sorted(domains), key=lambda domain: domains[domain])


class _PersonDay:
    __slots__ = ("cost", "events", "row", "tokens")

    def __init__(self) -> None:
        self.row: UsageRow | None = None
        self.cost: list[Decimal] = []
        self.tokens = [0, 0, 0, 0]  # input, output, cache read, cache write
        self.events = 0


def per_day(rows: list[UsageRow], events: list[UsageEvent], days: list[dt.date]) -> dict[dt.date, DayUsages]:
    """One DailyUsage per person and day of `days`: active rows and anyone with usage events. A member's
    inactive day without events is no usage (their seat is idle, not a zero-usage record).

    Pages are offsets into lists that grow while they are read (events arrive newest first), so a
    record can come back on two pages: an exact repeat is counted once, a person's usage row met
    twice keeps its later version; each says so in the day's warnings."""
    wanted = set(days)
    warnings: dict[dt.date, list[str]] = defaultdict(list)
    rows = _latest_rows(rows, warnings)
    events = _unique_events(events, warnings)
    people: dict[tuple[str, dt.date], _PersonDay] = defaultdict(_PersonDay)
    for row in rows:
        day = row.usage_day()
        if day in wanted and (row.isActive or _has_activity(row)):
            people[(normalise_email(row.email), day)].row = row
    model_costs: dict[tuple[str, dt.date], dict[str, tuple[list[Decimal], list[int]]]] = defaultdict(dict)
    for event in events:
        day, who = event.moment().date(), event.owner()
        if day not in wanted or who is None:
            continue
        person = people[(who, day)]
        cost = event.cost_cents()
        person.cost.append(cost)
        person.events += 1
        tokens = event.tokenUsage
        counted = ([tokens.inputTokens, tokens.outputTokens, tokens.cacheReadTokens, tokens.cacheWriteTokens]
                   if tokens is not None else [0, 0, 0, 0])
        person.tokens = [a + b for a, b in zip(person.tokens, counted, strict=True)]
        costs, model_tokens = model_costs[(who, day)].setdefault(event.model or "unknown", ([], [0, 0, 0, 0]))
        costs.append(cost)
        model_tokens[:] = [a + b for a, b in zip(model_tokens, counted, strict=True)]
    by_day: dict[dt.date, DayUsages] = {day: DayUsages(warnings=warnings.get(day)) for day in days}
    for (who, day), person in sorted(people.items()):
        by_day[day].append(_usage(who, day, person, model_costs.get((who, day), {})))
    return by_day


def _latest_rows(rows: list[UsageRow], warnings: dict[dt.date, list[str]]) -> list[UsageRow]:
    latest: dict[tuple[str, dt.date], UsageRow] = {}
    for row in rows:
        key = (normalise_email(row.email), row.usage_day())
        earlier = latest.get(key)
        if earlier is not None:
            what = "the same usage row" if earlier == row else "two versions of one usage row (the later is kept)"
            warnings[key[1]].append(f"{key[1]}: the Cursor Admin API sent {what} for {key[0]} on two pages.")
        latest[key] = row
    return list(latest.values())


def _unique_events(events: list[UsageEvent], warnings: dict[dt.date, list[str]]) -> list[UsageEvent]:
    seen: set[UsageEvent] = set()
    unique = []
    for event in events:
        if event in seen:
            day = event.moment().date()
            warnings[day].append(f"{day}: the Cursor Admin API sent one usage event of {event.owner()} at "
                                 f"{event.timestamp} on two pages; it was counted once.")
            continue
        seen.add(event)
        unique.append(event)
    return unique


_NO_ACTIVITY = UsageRow(email="")  # someone with usage events but no activity row that day


def _has_activity(row: UsageRow) -> bool:
    return bool(row.totalLinesAdded or row.totalLinesDeleted or row.composerRequests or row.chatRequests
                or row.agentRequests or row.totalTabsAccepted or row.cmdkUsages)


def _usage(who: str, day: dt.date, person: _PersonDay,
           models: dict[str, tuple[list[Decimal], list[int]]]) -> DailyUsage:
    row = person.row or _NO_ACTIVITY
    breakdown = [
        {"model": model, "tokens": dict(zip(("input", "output", "cache_read", "cache_creation"), tokens, strict=True)),
         "estimated_cost": {"currency": "USD", "amount": cents_to_json(sum_cost_cents(costs))}}
        for model, (costs, tokens) in sorted(models.items())
    ]
    return DailyUsage(
        source_email=who, usage_date=day, lines_added=row.totalLinesAdded, lines_removed=row.totalLinesDeleted,
        total_input_tokens=person.tokens[0], total_output_tokens=person.tokens[1],
        total_cache_read_tokens=person.tokens[2], total_cache_creation_tokens=person.tokens[3],
        total_cost_cents=sum_cost_cents(person.cost), model_breakdown=breakdown,
        provider_metrics=CursorCounters(
            accepted_lines_added=row.acceptedLinesAdded, accepted_lines_deleted=row.acceptedLinesDeleted,
            applies=row.totalApplies, accepts=row.totalAccepts, rejects=row.totalRejects,
            tabs_shown=row.totalTabsShown, tabs_accepted=row.totalTabsAccepted,
            composer_requests=row.composerRequests, chat_requests=row.chatRequests,
            agent_requests=row.agentRequests, cmdk_usages=row.cmdkUsages,
            subscription_included_requests=row.subscriptionIncludedReqs, usage_based_requests=row.usageBasedReqs,
            api_key_requests=row.apiKeyReqs, bugbot_usages=row.bugbotUsages, usage_events=person.events,
            most_used_model=row.mostUsedModel, apply_most_used_extension=row.applyMostUsedExtension,
            tab_most_used_extension=row.tabMostUsedExtension, client_version=row.clientVersion,
        ),
    )


def _amount(value: Decimal) -> Decimal:
    amount = exact_cents(value)
    if amount < 0 or amount > MAX_AMOUNT_CENTS:
        raise ValueError(f"a cost of {amount} cents is out of range")
    return amount


def _decode(body: bytes, shape: type[_T]) -> _T:
    return vendor_http.decode(body, shape)
