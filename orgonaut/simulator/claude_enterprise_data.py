"""Deterministic Claude Enterprise usage for a roster: per-user daily activity (`/users`) and per-user,
per-product daily cost (`/user_cost_report`), as the Enterprise Analytics API documents them.

Every number of a person-day comes from a hash of (seed, user id, date), so the same request always
gets the same answer. Members are active most weekdays and a little at weekends; some days are chat
only, some Claude Code only; cost is split by product (chat, claude_code, cowork), amounts are decimal
strings of cents with six decimals (some with fractions of a cent). A deleted account has cost rows
(its actor's e-mail null, `deleted` true, name "Deleted User") and no activity rows.

The organisation's cost (`/cost_report`) is its users' cost rows summed per product, plus, on most
weekdays, Claude in Slack channels (`claude-tag`), which the API attributes to no user account (so
`/user_cost_report` leaves it out, as documented).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from orgonaut.simulator.data import between, hash64, uniforms

PRODUCTS = ("chat", "claude_code", "cowork")
UNATTRIBUTED_PRODUCT = "claude-tag"  # Claude in Slack channels: cost with no user account
# Products a grown cost row may take (ones the generator never makes, so a grown row is always new).
GROWN_PRODUCTS = ("claude_design", "claude_in_chrome", "office_agent")
TOOLS = ("edit_tool", "multi_edit_tool", "notebook_edit_tool", "write_tool")
MICRO = Decimal("0.000001")


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    user_id: str  # "user_…", tagged as the API spells it
    email: str
    name: str
    deleted: bool = False  # the account is deleted: e-mail null in cost rows, no activity rows


def make_members(emails: Sequence[str], *, seed: int, deleted: Sequence[str] = ()) -> list[Member]:
    gone = {email.lower() for email in deleted}
    members = []
    for email in dict.fromkeys(emails):
        user_id = f"user_{hash64(f'{seed}|claude-enterprise|{email.lower()}'):016x}"
        local = email.split("@", 1)[0]
        name = " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)
        members.append(Member(user_id=user_id, email=email, name=name or local, deleted=email.lower() in gone))
    return members


def day_bounds(day: dt.date) -> tuple[str, str]:
    """The day's UTC bucket as the API writes it (`2026-01-15T00:00:00Z`, exclusive end)."""
    return f"{day.isoformat()}T00:00:00Z", f"{(day + dt.timedelta(days=1)).isoformat()}T00:00:00Z"


# A person's usage-based cost a day per product, in cents: about what heavy and light users of each spend.
_DAILY_CENTS = {"chat": (20, 600), "claude_code": (50, 2500), "cowork": (10, 400)}


def cents(value: Decimal) -> str:
    """An amount in cents as the API writes it: six decimals ("41280.000000")."""
    return format(value.quantize(MICRO), "f")


class EnterpriseUsage:
    """The generated activity and cost of a roster's members, per day."""

    def __init__(self, *, seed: int, members: Sequence[Member]):
        self.seed = seed
        self.members = list(members)

    def _draws(self, member: Member, day: dt.date) -> Callable[[], float]:
        stream = uniforms(f"{self.seed}|{member.user_id}|{day.isoformat()}")
        return lambda: next(stream)

    def _plan(self, member: Member, day: dt.date) -> tuple[bool, bool, Callable[[], float]]:
        """Whether the member chats and codes that day, and the day's draws."""
        u = self._draws(member, day)
        active = u() < (0.25 if day.weekday() >= 5 else 0.8)
        kind = u()
        return active and kind < 0.8, active and kind > 0.3, u

    def activity(self, day: dt.date) -> list[dict[str, Any]]:
        """The `/users` rows of the day: every member with an account (idle ones all zero), by e-mail."""
        rows = [self._activity(member, day) for member in self.members if not member.deleted]
        return sorted(rows, key=lambda row: (row["user"]["email_address"].lower(), row["user"]["id"]))

    def _activity(self, member: Member, day: dt.date) -> dict[str, Any]:
        chats, codes, u = self._plan(member, day)
        sessions = between(u, 1, 6) if codes else 0
        tools = {tool: {"accepted_count": between(u, 0, 12) if codes else 0,
                        "rejected_count": between(u, 0, 3) if codes else 0} for tool in TOOLS}
        office = {"connectors_used_count": 0, "distinct_connectors_used_count": 0, "distinct_session_count": 0,
                  "distinct_skills_used_count": 0, "message_count": 0, "skills_used_count": 0}
        return {
            "user": {"type": "user", "id": member.user_id, "email_address": member.email},
            "chat_metrics": {
                "connectors_used_count": between(u, 0, 3) if chats else 0,
                "distinct_artifacts_created_count": between(u, 0, 2) if chats else 0,
                "distinct_connectors_used_count": 0, "distinct_conversation_count": between(u, 1, 8) if chats else 0,
                "distinct_files_uploaded_count": 0, "distinct_projects_created_count": 0,
                "distinct_projects_used_count": between(u, 0, 2) if chats else 0,
                "distinct_shared_artifacts_viewed_count": 0, "distinct_skills_used_count": 0,
                "message_count": between(u, 2, 60) if chats else 0, "shared_conversations_viewed_count": 0,
                "thinking_message_count": between(u, 0, 10) if chats else 0,
            },
            "claude_code_metrics": {
                "core_metrics": {
                    "artifacts_created_count": 0, "commit_count": between(u, 0, 5) if codes else 0,
                    "distinct_session_count": sessions,
                    "lines_of_code": {"added_count": between(u, 0, 900) if codes else 0,
                                      "removed_count": between(u, 0, 300) if codes else 0},
                    "pull_request_count": between(u, 0, 2) if codes else 0,
                },
                "tool_actions": tools,
            },
            "cowork_metrics": {
                "action_count": 0, "artifacts_created_count": 0, "connectors_used_count": 0, "dispatch_turn_count": 0,
                "distinct_connectors_used_count": 0, "distinct_plugins_used_count": 0, "distinct_session_count": 0,
                "distinct_skills_used_count": 0, "message_count": 0, "plugins_used_count": 0, "skills_used_count": 0,
            },
            "design_metrics": {"distinct_projects_created_count": 0, "distinct_projects_used_count": 0,
                               "distinct_session_count": 0, "message_count": 0},
            "office_metrics": {product: dict(office) for product in ("excel", "outlook", "powerpoint", "word")},
            "science_metrics": {"delegation_count": 0, "distinct_session_count": 0, "message_count": 0,
                                "remote_compute_job_count": 0, "skills_used_count": 0},
            "distinct_user_count": None,
            "web_search_count": between(u, 0, 4) if chats else 0,
            "last_activity_date": day.isoformat() if chats or codes else None,
        }

    def costs(self, day: dt.date) -> list[dict[str, Any]]:
        """The day's `/user_cost_report` rows grouped by product (one per member and product with cost)."""
        start, end = day_bounds(day)
        rows = []
        for member in self.members:
            chats, codes, u = self._plan(member, day)
            for product, used in (("chat", chats), ("claude_code", codes), ("cowork", chats and u() < 0.2)):
                if not used:
                    continue
                whole = between(u, *_DAILY_CENTS[product])
                # Amounts end in ...000 (millicents at most): a grown row one micro-cent above never ties one.
                fraction = Decimal(between(u, 0, 999)) / 1000 if u() < 0.4 else Decimal(0)
                amount = Decimal(whole) + fraction
                rows.append(cost_row(member, product, amount, requests=between(u, 1, 300), start=start, end=end))
        return rows


def cost_row(member: Member, product: str, amount: Decimal, *, requests: int, start: str, end: str) -> dict[str, Any]:
    actor = {"type": "user_actor", "user_id": member.user_id, "deleted": member.deleted,
             "email_address": None if member.deleted else member.email,
             "name": "Deleted User" if member.deleted else member.name}
    return {
        "actor": actor, "amount": cents(amount), "list_amount": cents(amount * Decimal("1.25")), "currency": "USD",
        "product": product, "requests": requests, "starting_at": start, "ending_at": end,
        "cost_type": None, "token_type": None, "model": None, "context_window": None, "inference_geo": None,
        "speed": None, "rbac_group_id": None, "slack_channel_id": None, "claude_tag_category": None,
        "claude_tag_user_id": None,
    }


def unattributed_cost(seed: int, day: dt.date) -> Decimal:
    """The day's cost that no user account carries (Claude in Slack channels), in cents: most weekdays."""
    u = uniforms(f"{seed}|claude-enterprise-unattributed|{day.isoformat()}").__next__
    if u() >= (0.1 if day.weekday() >= 5 else 0.7):
        return Decimal(0)
    return Decimal(between(u, 50, 3_000)) + Decimal(between(u, 0, 999)) / 1000


def organisation_results(user_rows: list[dict[str, Any]], unattributed: Decimal, *,
                         by_product: bool) -> list[dict[str, Any]]:
    """A `/cost_report` bucket's results: the users' rows summed per product (or in one row), with the
    unattributed cost as its own product; empty when the day has no cost."""
    totals: dict[str | None, list[Decimal]] = {}
    for row in user_rows:
        total = totals.setdefault(row["product"] if by_product else None, [Decimal(0), Decimal(0), Decimal(0)])
        total[0] += Decimal(row["amount"])
        total[1] += Decimal(row["list_amount"])
        total[2] += row["requests"]
    if unattributed:
        total = totals.setdefault(UNATTRIBUTED_PRODUCT if by_product else None, [Decimal(0), Decimal(0), Decimal(0)])
        total[0] += unattributed
        total[1] += unattributed * Decimal("1.25")
        total[2] += 1
    return [{"amount": cents(amount), "list_amount": cents(listed), "currency": "USD", "product": product,
             "requests": int(requests), "cost_type": None, "token_type": None, "model": None, "context_window": None,
             "inference_geo": None, "speed": None, "rbac_group_id": None, "slack_channel_id": None,
             "claude_tag_category": None, "claude_tag_user_id": None}
            for product, (amount, listed, requests) in sorted(totals.items(), key=lambda item: item[0] or "")]
