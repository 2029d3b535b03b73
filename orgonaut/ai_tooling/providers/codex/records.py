"""The Codex Enterprise Analytics API's usage pages, validated, and their sum into one `DailyUsage` per
person and UTC day.

A page is `{object: "page", data: [row…], has_more, next_page}` (one client version uses `next_cursor`
instead: both are read). A row (per user when `group` is omitted, one UTC day with `group_by=day`) is
`{start_time, end_time, user_id?, actor?{type, user_id, email?}, email?, totals{threads, turns, credits},
clients[{client_id, threads, turns, credits, uncached_text_input_tokens, cached_text_input_tokens,
text_output_tokens, text_total_tokens}], models?[{model, credits, speed?}], code_attribution?{lines_added,
lines_removed}}` (a third party's generated client; the reference itself was not readable, so unknown
fields are ignored and the optional parts may be missing).

Who: the row's e-mail (top level or the actor's), normalised, when OpenAI gives it ("when allowed");
else `codex-user:<user_id>`, matched through the person's Codex user id, with the id as its display
name (and an e-mail the same fetch gave for that id elsewhere, as a hint).

Money is credits, never floats: JSON numbers decode straight into Decimal from their text, and a day's
cost is its credits × the workspace's price per credit, in exact cents (`money.credits_to_cents`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers import vendor_http
from orgonaut.ai_tooling.providers.base import DailyUsage, DayUsages, SourceHint, vendor_id_source
from orgonaut.ai_tooling.providers.money import cents_to_json, credits_to_cents, sum_cost_cents
from orgonaut.emails import normalise_email

USER_PREFIX = "codex-user:"
MAX_COUNT = 10**15
MAX_CREDITS = Decimal(10**12)

Count = Annotated[int, Meta(ge=0, le=MAX_COUNT)]
Text = Annotated[str, Meta(max_length=320)]
UserId = Annotated[str, Meta(min_length=1, max_length=200)]
Credits = Decimal  # checked in `_credits` (msgspec has no bounds for Decimal)


class Totals(Struct, frozen=True, gc=False):
    credits: Credits
    threads: Count = 0
    turns: Count = 0


class ClientUsage(Struct, frozen=True, gc=False):
    client_id: Text
    threads: Count = 0
    turns: Count = 0
    credits: Credits = Decimal(0)
    uncached_text_input_tokens: Count = 0
    cached_text_input_tokens: Count = 0
    text_output_tokens: Count = 0
    text_total_tokens: Count = 0


class ModelUsage(Struct, frozen=True, gc=False):
    model: Text
    credits: Credits = Decimal(0)
    speed: Text | None = None


class CodeAttribution(Struct, frozen=True, gc=False):
    lines_added: Count = 0
    lines_removed: Count = 0


class Actor(Struct, frozen=True, gc=False):
    type: Text | None = None
    user_id: UserId | None = None
    email: Text | None = None


class UsageRow(Struct, frozen=True, gc=False):
    start_time: int
    totals: Totals
    end_time: int | None = None
    user_id: UserId | None = None
    email: Text | None = None
    actor: Actor | None = None
    # Tuples rather than lists: a frozen row is then hashable, so a repeated row is found by a set.
    clients: tuple[ClientUsage, ...] = ()
    models: tuple[ModelUsage, ...] | None = None
    code_attribution: CodeAttribution | None = None

    def day(self) -> dt.date:
        """The UTC day of the row's bucket (`group_by=day` buckets start at midnight UTC)."""
        try:
            return dt.datetime.fromtimestamp(self.start_time, dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"a row's start_time {self.start_time} is not a Unix time") from None

    def vendor_user(self) -> str | None:
        return self.user_id or (self.actor.user_id if self.actor is not None else None)

    def who(self) -> tuple[str, str | None]:
        """(source, the vendor's user id when the source is that id)."""
        email = normalise_email(self.email or (self.actor.email if self.actor is not None else None) or "")
        user = self.vendor_user()
        if email:
            return email, None
        if user is None or not user.strip():
            raise ValueError("a usage row names neither an e-mail nor a user_id")
        return vendor_id_source(USER_PREFIX, user), user.strip()


class UsagePage(Struct, frozen=True, gc=False):
    data: list[UsageRow]
    has_more: bool = False
    next_page: Text | None = None
    next_cursor: Text | None = None

    def next_token(self) -> tuple[str, str] | None:
        """(query parameter, value) of the next page, or None at the end; ValueError when `has_more`
        names no next page (asking for the first page again would never end)."""
        if not self.has_more:
            return None
        if self.next_page:
            return "page", self.next_page
        if self.next_cursor:
            return "cursor", self.next_cursor
        raise ValueError("has_more is true but the page names no next_page")


class ClientCounters(Struct, frozen=True):
    threads: int = 0
    turns: int = 0
    credits: Decimal = Decimal(0)


class CodexCounters(Struct, frozen=True):
    """What only Codex reports of a person's day (the record's `provider_metrics`). Credits are exact
    Decimals, which msgspec stores as JSON strings (lossless)."""

    threads: int = 0
    turns: int = 0
    credits: Decimal = Decimal(0)
    clients: dict[str, ClientCounters] = {}  # client_id -> its threads, turns and credits


def parse_usage_page(body: bytes) -> UsagePage:
    return vendor_http.decode(body, UsagePage)


class _PersonDay:
    __slots__ = ("added", "clients", "credits", "models", "removed", "threads", "tokens", "turns")

    def __init__(self) -> None:
        self.threads = self.turns = self.added = self.removed = 0
        self.credits: list[Decimal] = []
        self.tokens = [0, 0, 0]  # uncached input, cached input, output
        self.clients: dict[str, list[Any]] = {}  # client_id -> [threads, turns, [credits]]
        self.models: dict[str, list[Decimal]] = defaultdict(list)


def per_day(rows: list[UsageRow], days: list[dt.date], usd_per_credit: Decimal) -> dict[dt.date, DayUsages]:
    """One DailyUsage per person and day of `days` (rows of other days are not asked for and dropped).

    The API's rows are buckets per user and day; should a bucket come in two different rows they add up.
    The same row met twice (offset pages over a list that grew while it was read) is counted once,
    and the day's warnings say so."""
    wanted = set(days)
    warnings: dict[dt.date, list[str]] = defaultdict(list)
    seen: set[UsageRow] = set()
    people: dict[tuple[str, dt.date], _PersonDay] = defaultdict(_PersonDay)
    user_ids: dict[str, str] = {}  # source -> the vendor's user id, for sources that are one
    emails: dict[str, str] = {}  # vendor user id -> an e-mail another row gave it
    for row in rows:
        day, (who, user) = row.day(), row.who()
        if user is None and row.vendor_user():  # any day's row: what it says of the user holds on others
            emails[str(row.vendor_user()).strip()] = who
        if day not in wanted:
            continue
        if row in seen:
            warnings[day].append(f"{day}: the Codex Enterprise Analytics API sent the same usage row of {who} on "
                                 "two pages; it was counted once.")
            continue
        seen.add(row)
        if user is not None:
            user_ids[who] = user
        _add(people[(who, day)], row)
    by_day: dict[dt.date, DayUsages] = {day: DayUsages(warnings=warnings.get(day)) for day in days}
    for (who, day), person in sorted(people.items()):
        by_day[day].append(_usage(who, day, person, usd_per_credit))
        if who in user_ids:
            user = user_ids[who]
            identities = (("email", emails[user]),) if user in emails else ()
            by_day[day].hints[who] = SourceHint(display_name=user, identities=identities)
    return by_day


def _add(person: _PersonDay, row: UsageRow) -> None:
    # Sessions are threads: a Codex thread is one conversation with the agent (what `codex resume`
    # reopens), as a Claude Code session is; a turn is one prompt and the agent's work on it inside a
    # thread, so turns are not sessions (they stay in the counters).
    person.threads += row.totals.threads
    person.turns += row.totals.turns
    person.credits.append(row.totals.credits)
    if row.code_attribution is not None:
        person.added += row.code_attribution.lines_added
        person.removed += row.code_attribution.lines_removed
    for client in row.clients:
        person.tokens[0] += client.uncached_text_input_tokens
        person.tokens[1] += client.cached_text_input_tokens
        person.tokens[2] += client.text_output_tokens
        counters = person.clients.setdefault(client.client_id, [0, 0, []])
        counters[0] += client.threads
        counters[1] += client.turns
        counters[2].append(client.credits)
    for model in row.models or ():
        name = model.model if not model.speed or model.speed == "standard" else f"{model.model} ({model.speed})"
        person.models[name].append(model.credits)


def _usage(who: str, day: dt.date, person: _PersonDay, usd_per_credit: Decimal) -> DailyUsage:
    credits = _credits(person.credits)
    breakdown = [
        {"model": model, "credits": cents_to_json(_credits(amounts)),
         "estimated_cost": {"currency": "USD", "amount": cents_to_json(credits_to_cents(_credits(amounts),
                                                                                        usd_per_credit))}}
        for model, amounts in sorted(person.models.items())
    ]
    return DailyUsage(
        source_email=who, usage_date=day, sessions_count=person.threads, lines_added=person.added,
        lines_removed=person.removed, total_input_tokens=person.tokens[0], total_cache_read_tokens=person.tokens[1],
        total_output_tokens=person.tokens[2], total_cost_cents=credits_to_cents(credits, usd_per_credit),
        model_breakdown=breakdown,
        provider_metrics=CodexCounters(
            threads=person.threads, turns=person.turns, credits=credits,
            clients={client: ClientCounters(threads=threads, turns=turns, credits=_credits(amounts))
                     for client, (threads, turns, amounts) in sorted(person.clients.items())},
        ),
    )


def _credits(amounts: list[Decimal]) -> Decimal:
    """Credits summed exactly (the money module's exact sum: credits are amounts too)."""
    for amount in amounts:
        if not amount.is_finite() or amount < 0 or amount > MAX_CREDITS:
            raise ValueError(f"{str(amount)[:40]} credits is out of range")
    return sum_cost_cents(amounts)
