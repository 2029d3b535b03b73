"""GitHub's Copilot answers, validated, and their sum into one `DailyUsage` per person and UTC day.

Activity comes from the `users-1-day` report: one NDJSON row per user in one of several files. Rows
name people by `user_id` (immutable) and `user_login` (renamable): the source is `github:<user_id>`
and the login is a hint. `Unknown` is a normal value in GitHub's reports (a count it could not
attribute, an unknown IDE or model): a count of `Unknown` reads as 0, text keeps it. Unknown extra
fields are ignored. A row met twice (in two files) is counted once, the later version kept, with a
warning.

Cost is the seat's price for the day (`seat_day_cents`: a monthly price spread over the month's days
so that a whole month sums to the price exactly) plus the person's usage-based `netAmount`s (AI
credits, or premium requests before June 2026: dollars as JSON floats, converted through their
shortest text so 0.0132 is exactly 1.32 cents).
References: https://docs.github.com/en/copilot/reference/copilot-usage-metrics/copilot-usage-metrics ,
https://docs.github.com/rest/copilot/copilot-user-management , https://docs.github.com/en/rest/billing/usage
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers import base, vendor_http
from orgonaut.ai_tooling.providers.base import DailyUsage, DayUsages, SourceHint, vendor_id_source
from orgonaut.ai_tooling.providers.money import exact_cents, sum_cost_cents
from orgonaut.emails import normalise_email

GITHUB_PREFIX = "github:"
MAX_COUNT = 10**15
MAX_DOLLARS = Decimal(10**9)
UNKNOWN = "unknown"

Text = Annotated[str, Meta(max_length=320)]
# A count, or GitHub's `Unknown` (read as 0).
Count = Annotated[int, Meta(ge=0, le=MAX_COUNT)] | Text
Flag = bool | Text | None
_T = TypeVar("_T")


def count(value: int | str | None) -> int:
    """A report count; `Unknown` (any text) and a missing value are 0."""
    return value if isinstance(value, int) else 0


def flag(value: bool | str | None) -> bool:
    return value is True


class Counters(Struct, frozen=True, gc=False):
    """The counters every level of a row carries (the row, and each of its `totals_by_*` entries)."""

    user_initiated_interaction_count: Count = 0
    code_generation_activity_count: Count = 0
    code_acceptance_activity_count: Count = 0
    loc_suggested_to_add_sum: Count = 0
    loc_suggested_to_delete_sum: Count = 0
    loc_added_sum: Count = 0
    loc_deleted_sum: Count = 0


class ModelTotals(Counters, frozen=True, gc=False):
    model: Text | None = None
    feature: Text | None = None


class CliTokens(Struct, frozen=True, gc=False):
    prompt_tokens_sum: Count = 0
    output_tokens_sum: Count = 0


class CliTotals(Struct, frozen=True, gc=False):
    session_count: Count = 0
    request_count: Count = 0
    prompt_count: Count = 0
    token_usage: CliTokens | None = None


class UserRow(Counters, frozen=True, gc=False):
    """One line of a `users-1-day` file (the documented fields this product reads)."""

    user_id: Annotated[int, Meta(ge=1, le=MAX_COUNT)] = 0
    user_login: Text = ""
    day: Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")] = ""
    totals_by_model_feature: list[ModelTotals] | None = None
    totals_by_cli: CliTotals | None = None
    used_agent: Flag = None
    used_chat: Flag = None
    used_cli: Flag = None


class Report(Struct, frozen=True, gc=False):
    download_links: list[Annotated[str, Meta(max_length=4096)]]
    report_day: Text | None = None


class Assignee(Struct, frozen=True, gc=False):
    login: Text
    id: Annotated[int, Meta(ge=1, le=MAX_COUNT)]


class Seat(Struct, frozen=True, gc=False):
    created_at: Text
    assignee: Assignee | None = None  # a team-assigned seat without a user has none
    pending_cancellation_date: Text | None = None
    plan_type: Text | None = None
    last_activity_at: Text | None = None
    last_activity_editor: Text | None = None

    def held_on(self, day: dt.date) -> bool:
        """Held from the day it was created to the day before its pending cancellation (the next
        billing cycle's start, when the seat ends)."""
        created = _date(self.created_at, "created_at")
        ends = _date(self.pending_cancellation_date, "pending_cancellation_date") \
            if self.pending_cancellation_date else None
        return created <= day and (ends is None or day < ends)


class Seats(Struct, frozen=True, gc=False):
    seats: list[Seat]
    total_seats: Annotated[int, Meta(ge=0)] = 0


class UsageItem(Struct, frozen=True, gc=False):
    netAmount: float = 0.0  # noqa: N815 - GitHub's field names: dollars, as a JSON float
    model: Text | None = None
    grossQuantity: float = 0.0  # noqa: N815


class CreditUsage(Struct, frozen=True, gc=False):
    usageItems: list[UsageItem] = []  # noqa: N815


class CopilotCounters(Struct, frozen=True):
    """What only Copilot reports of a person's day (the record's `provider_metrics`)."""

    interactions: int = 0  # user_initiated_interaction_count ("active" when above 0)
    code_generations: int = 0
    code_acceptances: int = 0
    lines_suggested_to_add: int = 0
    lines_suggested_to_delete: int = 0
    used_agent: bool = False
    used_chat: bool = False
    used_cli: bool = False
    cli_sessions: int = 0
    cli_requests: int = 0
    cli_prompts: int = 0
    plan_type: str | None = None  # the seat's plan, when the person holds one
    seat_cost_cents: str = "0"  # the day's share of the seat price (exact, as text)
    # AI credits (premium requests before June 2026); None: the billing usage was not readable
    usage_based_cost_cents: str | None = None


def parse_report(body: bytes) -> Report | None:
    """The links of a day's report; None for an empty body (HTTP 204: no report for the day)."""
    if not body.strip():
        return None
    return _decode(body, Report)


def parse_rows(body: bytes) -> list[UserRow]:
    """A report file: one JSON object a line (blank lines skipped)."""
    rows = []
    decoder = msgspec.json.Decoder(UserRow)
    for number, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = decoder.decode(line)
        except msgspec.ValidationError as error:
            raise ValueError(f"line {number}: {error}") from None
        except msgspec.DecodeError:
            raise ValueError(f"line {number} is not JSON") from None
        except RecursionError:
            raise ValueError(f"line {number} is nested too deeply") from None
        if row.user_id == 0:
            raise ValueError(f"line {number} has no user_id")
        rows.append(row)
    return rows


def parse_seats(body: bytes) -> Seats:
    return _decode(body, Seats)


def parse_credit_usage(body: bytes) -> CreditUsage:
    return _decode(body, CreditUsage)


def credit_cents(usage: CreditUsage) -> Decimal:
    """The usage's `netAmount`s in exact cents: each float through its shortest text (`repr`), which is
    the decimal GitHub wrote."""
    amounts = []
    for item in usage.usageItems:
        dollars = Decimal(str(item.netAmount))
        if not dollars.is_finite() or abs(dollars) > MAX_DOLLARS:
            raise ValueError(f"a netAmount of {str(item.netAmount)[:40]} is out of range")
        amounts.append(exact_cents(dollars * 100))
    return sum_cost_cents(amounts)


def seat_day_cents(monthly_dollars: Decimal, day: dt.date) -> Decimal:
    """The day's share of a monthly seat price, in cents: the month's price in hundredths of a cent
    split over its days by whole units, the remainder spread evenly (day d gets
    floor(P·d/D) − floor(P·(d−1)/D)), so the days of a month add up to the price exactly."""
    units = monthly_dollars * 10_000  # hundredths of a cent
    if units != units.to_integral_value():
        raise ValueError("a seat price has at most four decimal places")
    price, days = int(units), calendar.monthrange(day.year, day.month)[1]
    share = price * day.day // days - price * (day.day - 1) // days
    return Decimal(share) / 100


def latest_rows(rows: list[UserRow], day: dt.date, warnings: list[str]) -> list[UserRow]:
    """One row per user: a row met again (in another file) replaces the earlier, with a warning."""
    latest: dict[int, UserRow] = {}
    for row in rows:
        earlier = latest.get(row.user_id)
        if earlier is not None:
            what = "the same row" if earlier == row else "two versions of one row (the later is kept)"
            warnings.append(f"{day}: GitHub's Copilot report sent {what} for "
                            f"{vendor_id_source(GITHUB_PREFIX, row.user_id)} (@{row.user_login}).")
        latest[row.user_id] = row
    return list(latest.values())


class Prices(msgspec.Struct, frozen=True):
    business: Decimal
    enterprise: Decimal

    def for_plan(self, plan: str | None) -> Decimal:
        return self.enterprise if (plan or "").lower() == "enterprise" else self.business


def reprice_seat_day(metrics: dict[str, Any], monthly_usd: Decimal, day: dt.date,
                     plan: str) -> tuple[Decimal, dict[str, Any]] | None:
    """A stored day of a person holding a `plan` seat, at another monthly price: (its total cost, its
    metrics with the new seat share); None when the day holds no seat of that plan. The usage-based part
    stays as GitHub billed it."""
    if (metrics.get("plan_type") or "").lower() != plan:
        return None
    seat = seat_day_cents(monthly_usd, day)
    usage = Decimal(str(metrics.get("usage_based_cost_cents") or "0"))
    return sum_cost_cents([seat, usage]), {**metrics, "seat_cost_cents": format(seat, "f")}


def held_by_user(seats: list[Seat], day: dt.date) -> dict[int, Seat]:
    """User id -> the seat they hold on `day`: an enterprise lists a seat per granting organisation, one
    counts, Enterprise first."""
    held: dict[int, Seat] = {}
    for seat in seats:
        if seat.assignee is not None and seat.held_on(day):
            other = held.get(seat.assignee.id)
            if other is None or (seat.plan_type == "enterprise" and other.plan_type != "enterprise"):
                held[seat.assignee.id] = seat
    return held


def seats_held(seats: list[Seat], prices: Prices, day: dt.date) -> list[base.Seat]:
    """The seats held on `day`, one per user, with the plan's monthly price."""
    return [base.Seat(source=vendor_id_source(GITHUB_PREFIX, user_id), label=f"@{seat.assignee.login}",
                      plan=(seat.plan_type or "business").capitalize(),
                      monthly_price_cents=prices.for_plan(seat.plan_type) * 100,
                      held_since=_date(seat.created_at, "created_at"),
                      last_activity_at=_moment(seat.last_activity_at),
                      pending_cancellation=_date(seat.pending_cancellation_date, "pending_cancellation_date")
                      if seat.pending_cancellation_date else None)
            for user_id, seat in sorted(held_by_user(seats, day).items()) if seat.assignee is not None]


def _moment(value: str | None) -> dt.datetime | None:
    """GitHub's ISO 8601 time (`2021-10-14T00:53:32-06:00`) in UTC; None when absent or unreadable (it is
    only shown)."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return moment.astimezone(dt.UTC) if moment and moment.tzinfo else None


def day_usages(day: dt.date, rows: list[UserRow], seats: list[Seat], credits: dict[int, Decimal] | None,
               prices: Prices, emails: dict[int, str], warnings: list[str]) -> DayUsages:
    """One DailyUsage per user with a row or a seat held that day (a seat without activity carries
    its cost only). `credits` (user id -> cents) is None when the billing usage was not readable."""
    by_user = {row.user_id: row for row in latest_rows(rows, day, warnings)}
    held = held_by_user(seats, day)
    logins = {seat.assignee.id: seat.assignee.login for seat in held.values() if seat.assignee is not None}
    logins.update({user_id: row.user_login for user_id, row in by_user.items()})
    usages, hints = [], {}
    for user_id in sorted(set(by_user) | set(held)):
        row, user_seat = by_user.get(user_id), held.get(user_id)
        seat_cost = seat_day_cents(prices.for_plan(user_seat.plan_type), day) if user_seat else Decimal(0)
        credit = None if credits is None else credits.get(user_id, Decimal(0))  # none asked: no activity
        source = vendor_id_source(GITHUB_PREFIX, user_id)
        usages.append(_usage(source, day, row, user_seat, seat_cost, credit))
        login = logins[user_id]
        # Identity values as the org stores them: logins are case-insensitive, e-mails normalised.
        identities = [("github_login", login.lower())]
        if user_id in emails and normalise_email(emails[user_id]):
            identities.append(("email", normalise_email(emails[user_id])))
        hints[source] = SourceHint(display_name=f"@{login}", identities=tuple(identities))
    return DayUsages(usages, warnings, hints)


_NO_ROW = UserRow()


def _usage(source: str, day: dt.date, row: UserRow | None, seat: Seat | None, seat_cost: Decimal,
           credit: Decimal | None) -> DailyUsage:
    activity = row or _NO_ROW
    cli = activity.totals_by_cli or CliTotals()
    tokens = cli.token_usage or CliTokens()
    return DailyUsage(
        source_email=source, usage_date=day, lines_added=count(activity.loc_added_sum),
        lines_removed=count(activity.loc_deleted_sum), total_input_tokens=count(tokens.prompt_tokens_sum),
        total_output_tokens=count(tokens.output_tokens_sum),
        total_cost_cents=sum_cost_cents([seat_cost, credit or Decimal(0)]),
        model_breakdown=_models(activity),
        provider_metrics=CopilotCounters(
            interactions=count(activity.user_initiated_interaction_count),
            code_generations=count(activity.code_generation_activity_count),
            code_acceptances=count(activity.code_acceptance_activity_count),
            lines_suggested_to_add=count(activity.loc_suggested_to_add_sum),
            lines_suggested_to_delete=count(activity.loc_suggested_to_delete_sum),
            used_agent=flag(activity.used_agent), used_chat=flag(activity.used_chat), used_cli=flag(activity.used_cli),
            cli_sessions=count(cli.session_count), cli_requests=count(cli.request_count),
            cli_prompts=count(cli.prompt_count), plan_type=seat.plan_type if seat is not None else None,
            seat_cost_cents=format(seat_cost, "f"),
            usage_based_cost_cents=format(credit, "f") if credit is not None else None,
        ),
    )


_MODEL_COUNTS = (("interactions", "user_initiated_interaction_count"),
                 ("code_generations", "code_generation_activity_count"),
                 ("code_acceptances", "code_acceptance_activity_count"),
                 ("lines_added", "loc_added_sum"), ("lines_removed", "loc_deleted_sum"))


def _models(row: UserRow) -> list[dict[str, Any]]:
    """Per model, the counters summed over its features (`totals_by_model_feature`)."""
    models: dict[str, dict[str, int]] = defaultdict(lambda: {name: 0 for name, _ in _MODEL_COUNTS})
    for entry in row.totals_by_model_feature or ():
        model = models[(entry.model or UNKNOWN).strip().lower() or UNKNOWN]
        for name, field in _MODEL_COUNTS:
            model[name] += count(getattr(entry, field))
    return [{"model": name, **counts} for name, counts in sorted(models.items())]


def _date(value: str | None, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"a seat's {name} {str(value)[:40]!r} is not a date") from None


def _decode(body: bytes, shape: type[_T]) -> _T:
    return vendor_http.decode(body, shape)
