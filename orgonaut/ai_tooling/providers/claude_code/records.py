"""The Claude Code usage report's shape, validated, and its normalisation into `DailyUsage`.

The vendor's data is untrusted: a page is decoded straight into typed structs (msgspec: strict
types, sizes and ranges checked in C, several times faster than building dicts and validating them,
which matters for a 365-day backfill), then the rules types cannot say are checked (the date, USD,
sane amounts, e-mails). A failure names the record and field. Unknown extra fields are ignored, so an
additive vendor change does not stop syncs.

JSON numbers decoded into a `Decimal` field keep their exact text: no float ever touches an amount.
Reference: https://platform.claude.com/docs/en/api/admin-api/claude-code/get-claude-code-usage-report
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers.base import API_KEY_PREFIX, DailyUsage
from orgonaut.ai_tooling.providers.money import cents_to_json, exact_cents, sum_cost_cents
from orgonaut.emails import normalise_email

MAX_RECORDS_PER_PAGE = 1000  # the API's own maximum `limit`
MAX_COUNT = 10**15  # far above any real count, small enough for BIGINT columns and exact sums
MAX_AMOUNT_CENTS = 10**12  # the usage records store Numeric(18, 6)
MIN_AMOUNT_EXPONENT = -12  # at most 12 decimal places, so sums stay exact

Count = Annotated[int, Meta(ge=0, le=MAX_COUNT)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_MSGSPEC_PATH = re.compile(r"^(?P<message>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)
_RECORD_PATH = re.compile(r"^\.data\[(?P<index>\d+)\]\.?")


# The page's structs are `gc=False`: decoded JSON cannot form reference cycles, and leaving a day's
# ten thousand structs out of the cycle collector halves the decode time.
class UserActor(Struct, frozen=True, gc=False, tag_field="type", tag="user_actor"):
    email_address: Annotated[str, Meta(max_length=320)]


class ApiActor(Struct, frozen=True, gc=False, tag_field="type", tag="api_actor"):
    api_key_name: Name


class LinesOfCode(Struct, frozen=True, gc=False):
    added: Count
    removed: Count


class CoreMetrics(Struct, frozen=True, gc=False):
    num_sessions: Count
    lines_of_code: LinesOfCode
    commits_by_claude_code: Count
    pull_requests_by_claude_code: Count


class ToolAction(Struct, frozen=True, gc=False):
    accepted: Count
    rejected: Count


class Tokens(Struct, frozen=True, gc=False):
    input: Count
    output: Count
    cache_read: Count
    cache_creation: Count


class EstimatedCost(Struct, frozen=True, gc=False):
    currency: Annotated[str, Meta(max_length=16)]
    # A JSON number, exact: `int`, or `Decimal` from the number's own text (or a decimal string).
    amount: int | Decimal


class ModelUsage(Struct, frozen=True, gc=False):
    model: Name
    tokens: Tokens
    estimated_cost: EstimatedCost


class UsageRecord(Struct, frozen=True, gc=False):
    date: Annotated[str, Meta(max_length=40)]
    actor: UserActor | ApiActor
    core_metrics: CoreMetrics
    tool_actions: Annotated[dict[Name, ToolAction], Meta(max_length=100)]
    model_breakdown: Annotated[list[ModelUsage], Meta(max_length=100)]
    organization_id: Annotated[str, Meta(max_length=200)] | None = None
    customer_type: Annotated[str, Meta(max_length=40)] | None = None
    terminal_type: Annotated[str, Meta(max_length=100)] | None = None
    subscription_type: Annotated[str, Meta(max_length=40)] | None = None


class UsagePage(Struct, frozen=True, gc=False):
    data: Annotated[list[UsageRecord], Meta(max_length=MAX_RECORDS_PER_PAGE)]
    has_more: bool
    next_page: Annotated[str, Meta(min_length=1, max_length=4096)] | None = None


class Organization(Struct, frozen=True):
    id: Annotated[str, Meta(max_length=200)]
    name: Name


class ErrorBody(Struct, frozen=True):
    type: Annotated[str, Meta(max_length=100)] = ""
    message: Annotated[str, Meta(max_length=10_000)] = ""


class ErrorEnvelope(Struct, frozen=True):
    error: ErrorBody


_PAGE = msgspec.json.Decoder(UsagePage)
_ORGANIZATION = msgspec.json.Decoder(Organization)
_ERROR = msgspec.json.Decoder(ErrorEnvelope)


def parse_record_date(value: str) -> dt.date:
    """A record's `date`, documented both as `YYYY-MM-DD` and as RFC 3339 (taken as its UTC day)."""
    if _DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    if _RFC3339.fullmatch(value):
        moment = dt.datetime.fromisoformat(value.upper().replace(" ", "T"))
        return moment.astimezone(dt.UTC).date()
    raise ValueError("date is neither YYYY-MM-DD nor RFC 3339")


def describe_decode_error(error: msgspec.MsgspecError) -> str:
    """`record 3: core_metrics.num_sessions: Expected `int` >= 0`, or what was wrong with the JSON."""
    if not isinstance(error, msgspec.ValidationError):  # (a ValidationError is also a DecodeError)
        return f"the body is not valid JSON ({str(error).removeprefix('JSON is malformed: ')[:120]})"
    text = str(error)
    match = _MSGSPEC_PATH.match(text)
    if match is None:
        return text[:300]
    message, path = match["message"], match["path"]
    record = _RECORD_PATH.match(path)
    prefix = ""
    if record is not None:
        prefix = f"record {int(record['index']) + 1}: "
        path = path[record.end():]
    path = path.lstrip(".")
    return (f"{prefix}{path}: {message}" if path else f"{prefix}{message}")[:300]


TOO_DEEP = "the JSON is nested too deeply"


def parse_page(body: bytes, *, day: dt.date) -> UsagePage:
    """A validated page whose every record is dated `day`; ValueError with a reader's message if not."""
    try:
        page = _PAGE.decode(body)
    except msgspec.MsgspecError as error:
        raise ValueError(describe_decode_error(error)) from None
    except RecursionError:  # JSON nested deeper than a decoder goes: no page the API sends
        raise ValueError(TOO_DEEP) from None
    expected = (day.isoformat(), f"{day.isoformat()}T00:00:00Z")
    for number, record in enumerate(page.data, start=1):
        problem = _record_problem(record, day, expected)
        if problem:
            raise ValueError(f"record {number}: {problem}")
    if page.has_more and page.next_page is None:
        raise ValueError("has_more is true but next_page is missing")
    return page


def _record_problem(record: UsageRecord, day: dt.date, expected: tuple[str, str]) -> str | None:
    """What the types cannot say: the date, the e-mail and the amounts. None when the record is fine."""
    if record.date not in expected:
        try:
            dated = parse_record_date(record.date)
        except ValueError as error:
            return f"date: {error}"
        if dated != day:
            return f"date: {dated.isoformat()} is not the requested day"
    actor = record.actor
    if isinstance(actor, UserActor) and not _EMAIL.fullmatch(actor.email_address.strip()):
        return "actor.email_address: not an e-mail address"
    if isinstance(actor, ApiActor) and not actor.api_key_name.strip():
        return "actor.api_key_name: empty"
    for index, usage in enumerate(record.model_breakdown):
        cost = usage.estimated_cost
        if cost.currency != "USD":
            return f"model_breakdown[{index}].estimated_cost.currency: {cost.currency[:16]!r} is not USD"
        problem = _amount_problem(cost.amount)
        if problem:
            return f"model_breakdown[{index}].estimated_cost.amount: {problem}"
    return None


def _amount_problem(amount: int | Decimal) -> str | None:
    if isinstance(amount, int):
        return None if 0 <= amount < MAX_AMOUNT_CENTS else "must be at least 0 and below 10^12 cents"
    if not amount.is_finite() or not 0 <= amount < MAX_AMOUNT_CENTS:
        return "must be a finite number of cents, at least 0 and below 10^12"
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < MIN_AMOUNT_EXPONENT:
        return "has more than 12 decimal places"
    return None


def parse_organization(body: bytes) -> Organization:
    try:
        organization = _ORGANIZATION.decode(body)
    except msgspec.MsgspecError as error:
        raise ValueError(describe_decode_error(error)) from None
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    if not organization.name.strip():
        raise ValueError("name: empty")
    return organization


def parse_error_envelope(body: bytes) -> ErrorBody | None:
    """The documented `{"type": "error", "error": {...}}`, or None when the body is something else."""
    try:
        return _ERROR.decode(body).error
    except (msgspec.MsgspecError, RecursionError):
        return None


def source_email(actor: UserActor | ApiActor) -> str:
    """Trimmed, lower-case e-mail; `api-key:<name>` for API-key actors (they have no e-mail)."""
    if isinstance(actor, UserActor):
        return normalise_email(actor.email_address)
    return f"{API_KEY_PREFIX}{actor.api_key_name.strip()}"


class Repeat(Struct, frozen=True):
    """A vendor row met twice in one day's pages: `first` and `later` are indexes into the records."""

    email: str
    first: int
    later: int
    identical: bool


def without_repeats(records: list[UsageRecord]) -> tuple[list[UsageRecord], list[Repeat]]:
    """The day's rows with each vendor row once.

    A person's rows for one day differ in `customer_type`, `terminal_type` or `subscription_type`
    (they are summed); two rows that agree on all of them are one row met twice, which happens when
    a day still growing is paged with offset cursors. An exact repeat is dropped; a repeat whose
    values changed between the pages keeps the later (newer) one. Either is reported.
    """
    seen: dict[tuple[str, str | None, str | None, str | None, str | None], int] = {}
    dropped: set[int] = set()
    repeats: list[Repeat] = []
    for index, record in enumerate(records):
        key = (source_email(record.actor), record.customer_type, record.terminal_type, record.subscription_type,
               record.organization_id)
        first = seen.get(key)
        seen[key] = index
        if first is not None:
            identical = msgspec.json.encode(records[first]) == msgspec.json.encode(record)
            repeats.append(Repeat(key[0], first, index, identical))
            dropped.add(first)
    if not repeats:
        return records, []
    return [record for index, record in enumerate(records) if index not in dropped], repeats


def normalise(records: Iterable[UsageRecord], *, day: dt.date) -> list[DailyUsage]:
    """One `DailyUsage` per person (or API key), summing every vendor row for that person-day.

    Tokens are summed over `model_breakdown`; `tool_actions` are merged per tool and
    `model_breakdown` per model, both as JSON-safe values (cost amounts as exact decimal strings).
    Most people have one row a day with distinct models: they take a path without merging.
    """
    people: dict[str, UsageRecord | list[UsageRecord]] = {}
    for record in records:
        email = source_email(record.actor)
        seen = people.get(email)
        if seen is None:
            people[email] = record
        elif type(seen) is list:
            seen.append(record)
        else:
            people[email] = [seen, record]  # type: ignore[list-item]
    usages = []
    for email in sorted(people):
        rows = people[email]
        if type(rows) is list:
            usages.append(_person_day(email, rows, day))
        else:
            usages.append(_one_row_day(email, rows, day))  # type: ignore[arg-type]
    return usages


def _one_row_day(email: str, row: UsageRecord, day: dt.date) -> DailyUsage:
    """`_person_day` for a single row whose models are distinct: nothing to merge."""
    models = row.model_breakdown
    if len(models) > 1:
        if len({usage.model for usage in models}) != len(models):
            return _person_day(email, [row], day)
        models = sorted(models, key=_model_name)
    total_in = total_out = total_read = total_creation = 0
    breakdown = []
    costs = []
    for usage in models:
        tokens = usage.tokens
        cost = exact_cents(usage.estimated_cost.amount)
        costs.append(cost)
        total_in += tokens.input
        total_out += tokens.output
        total_read += tokens.cache_read
        total_creation += tokens.cache_creation
        breakdown.append({
            "model": usage.model,
            "tokens": {"input": tokens.input, "output": tokens.output, "cache_read": tokens.cache_read,
                       "cache_creation": tokens.cache_creation},
            "estimated_cost": {"currency": "USD", "amount": cents_to_json(cost)},
        })
    metrics = row.core_metrics
    lines = metrics.lines_of_code
    return DailyUsage(
        email, day, metrics.num_sessions, lines.added, lines.removed, metrics.commits_by_claude_code,
        metrics.pull_requests_by_claude_code, total_in, total_out, total_read, total_creation,
        # A sum of one model's cost is that cost (already exact and in its summed form).
        costs[0] if len(costs) == 1 else sum_cost_cents(costs),
        {name: {"accepted": action.accepted, "rejected": action.rejected}
         for name, action in sorted(row.tool_actions.items())},
        breakdown,
    )


def _model_name(usage: ModelUsage) -> str:
    return usage.model


def _person_day(email: str, rows: list[UsageRecord], day: dt.date) -> DailyUsage:
    sessions = added = removed = commits = pull_requests = 0
    tools: dict[str, dict[str, int]] = {}
    models: dict[str, list[Any]] = {}  # model -> [input, output, cache_read, cache_creation, [amounts]]
    for row in rows:
        metrics = row.core_metrics
        sessions += metrics.num_sessions
        added += metrics.lines_of_code.added
        removed += metrics.lines_of_code.removed
        commits += metrics.commits_by_claude_code
        pull_requests += metrics.pull_requests_by_claude_code
        for tool, action in row.tool_actions.items():
            counts = tools.get(tool)
            if counts is None:
                tools[tool] = {"accepted": action.accepted, "rejected": action.rejected}
            else:
                counts["accepted"] += action.accepted
                counts["rejected"] += action.rejected
        for usage in row.model_breakdown:
            tokens = usage.tokens
            model = models.get(usage.model)
            if model is None:
                models[usage.model] = [tokens.input, tokens.output, tokens.cache_read, tokens.cache_creation,
                                       [usage.estimated_cost.amount]]
            else:
                model[0] += tokens.input
                model[1] += tokens.output
                model[2] += tokens.cache_read
                model[3] += tokens.cache_creation
                model[4].append(usage.estimated_cost.amount)
    breakdown = []
    costs = []
    total_in = total_out = total_read = total_creation = 0
    for name in sorted(models):
        tokens_in, tokens_out, cache_read, cache_creation, amounts = models[name]
        cost = sum_cost_cents(amounts)
        costs.append(cost)
        total_in += tokens_in
        total_out += tokens_out
        total_read += cache_read
        total_creation += cache_creation
        breakdown.append({
            "model": name,
            "tokens": {"input": tokens_in, "output": tokens_out, "cache_read": cache_read,
                       "cache_creation": cache_creation},
            "estimated_cost": {"currency": "USD", "amount": cents_to_json(cost)},
        })
    return DailyUsage(
        source_email=email,
        usage_date=day,
        sessions_count=sessions,
        lines_added=added,
        lines_removed=removed,
        commits_count=commits,
        pull_requests_count=pull_requests,
        total_input_tokens=total_in,
        total_output_tokens=total_out,
        total_cache_read_tokens=total_read,
        total_cache_creation_tokens=total_creation,
        total_cost_cents=sum_cost_cents(costs),
        tool_actions=dict(sorted(tools.items())),
        model_breakdown=breakdown,
    )
