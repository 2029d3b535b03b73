"""The Claude Enterprise Analytics API's rows, validated, and their sum into one `DailyUsage` per person
and UTC day.

The `anthropic` SDK builds its models without validating them (a wrong type or a missing field passes
through), so every row it gives is checked here against the documented shape before anything is read.
Activity comes from `/users` (one row per member and day; Claude Code counts are `added_count`,
`commit_count`, ... unlike the Claude Code report's `added`, `commits_by_claude_code`); cost from
`/user_cost_report` by day and product, amounts as decimal strings of cents (exact Decimals).
People are joined by user id; a person is named by e-mail, or, for a deleted account whose e-mail is
gone, by `claude-user:<user id>` with a `SourceHint` (its name, else its id).
Reference: https://platform.claude.com/docs/en/api/admin/analytics
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers.base import DailyUsage, DayUsages, Seat, SourceHint, vendor_id_source
from orgonaut.ai_tooling.providers.money import cents_to_json, exact_cents, sum_cost_cents
from orgonaut.emails import normalise_email

MAX_COUNT = 10**15
MAX_AMOUNT_CENTS = 10**12
USER_SOURCE_PREFIX = "claude-user:"

Count = Annotated[int, Meta(ge=0, le=MAX_COUNT)]
Text = Annotated[str, Meta(max_length=320)]
Amount = Annotated[str, Meta(pattern=r"^-?[0-9]{1,15}(\.[0-9]{1,12})?$")]
_T = TypeVar("_T")


class User(Struct, frozen=True, gc=False):
    id: Annotated[str, Meta(min_length=1, max_length=200)]
    email_address: Text | None = None
    type: Literal["user"] = "user"


class LinesOfCode(Struct, frozen=True, gc=False):
    added_count: Count
    removed_count: Count


class CoreMetrics(Struct, frozen=True, gc=False):
    commit_count: Count
    lines_of_code: LinesOfCode
    pull_request_count: Count
    distinct_session_count: Count | None = None
    artifacts_created_count: Count = 0


class ToolCounts(Struct, frozen=True, gc=False):
    accepted_count: Count
    rejected_count: Count


class ToolActions(Struct, frozen=True, gc=False):
    edit_tool: ToolCounts
    multi_edit_tool: ToolCounts
    notebook_edit_tool: ToolCounts
    write_tool: ToolCounts


class ClaudeCodeMetrics(Struct, frozen=True, gc=False):
    core_metrics: CoreMetrics
    tool_actions: ToolActions


class ChatMetrics(Struct, frozen=True, gc=False):
    message_count: Count
    distinct_conversation_count: Count | None = None


class CoworkMetrics(Struct, frozen=True, gc=False):
    message_count: Count = 0
    action_count: Count = 0


class UserActivity(Struct, frozen=True, gc=False):
    claude_code_metrics: ClaudeCodeMetrics
    chat_metrics: ChatMetrics
    user: User | None = None  # null only on rows aggregated across users, which we never ask for
    cowork_metrics: CoworkMetrics | None = None
    web_search_count: Count = 0

    def active(self) -> bool:
        """Any activity counted: an idle seat's all-zero row is no usage."""
        core, chat, cowork = self.claude_code_metrics.core_metrics, self.chat_metrics, self.cowork_metrics
        tools = _tool_counts(self.claude_code_metrics.tool_actions)
        return bool(core.distinct_session_count or core.commit_count or core.pull_request_count
                    or core.lines_of_code.added_count or core.lines_of_code.removed_count or any(tools.values())
                    or chat.message_count or self.web_search_count
                    or (cowork is not None and (cowork.message_count or cowork.action_count)))


def amount_cents(amount: str) -> Decimal:
    """A cost report's `amount` (a decimal string of cents) as exact cents; ValueError when out of range."""
    cents = exact_cents(Decimal(amount))
    if cents < 0 or cents > MAX_AMOUNT_CENTS:
        raise ValueError(f"a cost of {amount[:40]} cents is out of range")
    return cents


class Actor(Struct, frozen=True, gc=False):
    user_id: Annotated[str, Meta(min_length=1, max_length=200)]
    type: Literal["user_actor"] = "user_actor"
    email_address: Text | None = None
    name: Text | None = None
    deleted: bool = False


class CostRow(Struct, frozen=True, gc=False):
    actor: Actor
    amount: Amount
    list_amount: Amount
    currency: Literal["USD"]
    starting_at: dt.datetime
    product: Text | None = None
    requests: Count | None = None

    def cents(self) -> Decimal:
        return amount_cents(self.amount)

    def day(self) -> dt.date:
        start = self.starting_at
        if start.tzinfo is None or start.utcoffset() != dt.timedelta(0) or start.time() != dt.time():
            raise ValueError(f"a cost row's starting_at {start.isoformat()} is not a UTC day's start")
        return start.date()


class ClaudeEnterpriseCounters(Struct, frozen=True):
    """What only Claude Enterprise reports of a person's day (the record's `provider_metrics`)."""

    chat_messages: int = 0
    chat_conversations: int = 0
    web_searches: int = 0
    cowork_messages: int = 0
    cowork_actions: int = 0
    tool_actions_accepted: int = 0
    tool_actions_rejected: int = 0
    requests: int = 0  # API requests behind the day's cost


def to_plain(item: Any) -> Any:
    """An SDK model as plain data (what the API sent, without the SDK's defaults), for `convert`."""
    dump = getattr(item, "to_dict", None)
    if dump is None:
        raise ValueError("a row is not an object")
    return dump(mode="json", warnings=False)


def convert(data: Any, shape: type[_T]) -> _T:
    try:
        return msgspec.convert(data, type=shape)
    except msgspec.ValidationError as error:
        raise ValueError(str(error)) from None


def activity_row(item: Any) -> UserActivity:
    row = convert(to_plain(item), UserActivity)
    if row.user is None:
        raise ValueError("an activity row names no user")
    return row


def cost_row(item: Any) -> CostRow:
    return convert(to_plain(item), CostRow)


class _Person:
    __slots__ = ("activity", "costs", "email", "name")

    def __init__(self) -> None:
        self.activity: UserActivity | None = None
        self.costs: dict[str, CostRow] = {}  # product -> row
        self.email: str | None = None
        self.name: str | None = None


def per_day(activity: Mapping[dt.date, Iterable[UserActivity]], costs: Iterable[CostRow],
            days: list[dt.date]) -> dict[dt.date, DayUsages]:
    """One DailyUsage per person and day of `days`, from the days' activity rows and the range's cost
    rows. A row met twice (offset cursors on a day that grows) is counted once, the later version kept
    if it changed, with a warning naming the person and the day."""
    wanted = set(days)
    warnings: dict[dt.date, list[str]] = defaultdict(list)
    people: dict[tuple[str, dt.date], _Person] = defaultdict(_Person)
    for day, rows in activity.items():
        for row in rows:
            user = row.user
            if user is None:  # activity_row refuses these
                continue
            person = people[(user.id, day)]
            if person.activity is not None:
                warnings[day].append(_repeat_warning(day, _who(user.email_address, user.id), "activity row",
                                                     person.activity == row))
            person.activity = row
            person.email = normalise_email(user.email_address or "") or person.email
    for cost in costs:
        day = cost.day()
        if day not in wanted:
            raise ValueError(f"a cost row is for {day}, outside the range asked for")
        person = people[(cost.actor.user_id, day)]
        product = cost.product or "other"
        earlier = person.costs.get(product)
        if earlier is not None:
            warnings[day].append(_repeat_warning(day, _who(cost.actor.email_address, cost.actor.user_id),
                                                 f"{product} cost row", earlier == cost))
        person.costs[product] = cost
        person.email = person.email or normalise_email(cost.actor.email_address or "") or None
        person.name = person.name or cost.actor.name
    by_source: dict[tuple[str, dt.date], list[_Person]] = defaultdict(list)
    hints: dict[str, SourceHint] = {}
    for (user_id, day), person in people.items():
        if not person.costs and (person.activity is None or not person.activity.active()):
            continue  # an idle seat: no usage
        if person.email:
            source = person.email
        else:
            source = vendor_id_source(USER_SOURCE_PREFIX, user_id)
            hints[source] = SourceHint(display_name=person.name or user_id)
        by_source[(source, day)].append(person)
    by_day = {day: DayUsages(warnings=warnings.get(day), hints={}) for day in days}
    for (source, day), persons in sorted(by_source.items()):
        by_day[day].append(_usage(source, day, persons))
        if source in hints:
            by_day[day].hints[source] = hints[source]
    return by_day


def seats(rows: Iterable[UserActivity], monthly_price_cents: Decimal | None) -> list[Seat]:
    """A seat per user the day's `/users` rows list: every member with an account is listed, idle ones all zero."""
    return [Seat(source=_who(row.user.email_address, row.user.id), label=row.user.email_address or row.user.id,
                 plan="Enterprise", monthly_price_cents=monthly_price_cents)
            for row in rows if row.user is not None]


def _who(email: str | None, user_id: str) -> str:
    return normalise_email(email or "") or vendor_id_source(USER_SOURCE_PREFIX, user_id)


def _repeat_warning(day: dt.date, who: str, what: str, same: bool) -> str:
    version = f"the same {what}" if same else f"two versions of one {what} (the later is kept)"
    return f"{day}: the Claude Enterprise Analytics API sent {version} for {who} on two pages."


def _tool_counts(actions: ToolActions) -> dict[str, dict[str, int]]:
    return {name: {"accepted": counts.accepted_count, "rejected": counts.rejected_count}
            for name, counts in (("edit_tool", actions.edit_tool), ("multi_edit_tool", actions.multi_edit_tool),
                                 ("notebook_edit_tool", actions.notebook_edit_tool),
                                 ("write_tool", actions.write_tool))
            if counts.accepted_count or counts.rejected_count}


def _usage(source: str, day: dt.date, persons: list[_Person]) -> DailyUsage:
    """The person-day summed over their rows (one user id, or several that share an e-mail)."""
    sessions = added = removed = commits = pull_requests = 0
    chat = conversations = searches = cowork_messages = cowork_actions = requests = 0
    tools: dict[str, dict[str, int]] = {}
    products: dict[str, list[CostRow]] = defaultdict(list)
    for person in persons:
        row = person.activity
        if row is not None:
            core = row.claude_code_metrics.core_metrics
            sessions += core.distinct_session_count or 0
            added += core.lines_of_code.added_count
            removed += core.lines_of_code.removed_count
            commits += core.commit_count
            pull_requests += core.pull_request_count
            for tool, counts in _tool_counts(row.claude_code_metrics.tool_actions).items():
                total = tools.setdefault(tool, {"accepted": 0, "rejected": 0})
                total["accepted"] += counts["accepted"]
                total["rejected"] += counts["rejected"]
            chat += row.chat_metrics.message_count
            conversations += row.chat_metrics.distinct_conversation_count or 0
            searches += row.web_search_count
            if row.cowork_metrics is not None:
                cowork_messages += row.cowork_metrics.message_count
                cowork_actions += row.cowork_metrics.action_count
        for product, cost in person.costs.items():
            products[product].append(cost)
            requests += cost.requests or 0
    breakdown = []
    product_costs = []
    for product in sorted(products):
        amount = sum_cost_cents(cost.cents() for cost in products[product])
        product_costs.append(amount)
        breakdown.append({"product": product, "requests": sum(cost.requests or 0 for cost in products[product]),
                          "estimated_cost": {"currency": "USD", "amount": cents_to_json(amount)}})
    return DailyUsage(
        source_email=source, usage_date=day, sessions_count=sessions, lines_added=added, lines_removed=removed,
        commits_count=commits, pull_requests_count=pull_requests, total_cost_cents=sum_cost_cents(product_costs),
        tool_actions=dict(sorted(tools.items())), model_breakdown=breakdown,
        provider_metrics=ClaudeEnterpriseCounters(
            chat_messages=chat, chat_conversations=conversations, web_searches=searches,
            cowork_messages=cowork_messages, cowork_actions=cowork_actions,
            tool_actions_accepted=sum(t["accepted"] for t in tools.values()),
            tool_actions_rejected=sum(t["rejected"] for t in tools.values()), requests=requests,
        ),
    )
