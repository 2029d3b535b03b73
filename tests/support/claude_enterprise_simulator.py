"""The Claude Enterprise Analytics API simulator for tests: the Anthropic one's in-thread server
(simulator.py) with the Claude Enterprise app, and its fixtures.

    from tests.support.claude_enterprise_simulator import claude_enterprise_simulator  # noqa: F401

Steer it as the others (`set_fault(...)`, `revise(...)`, `requests()`); `truth(day)` is the day as a
fault-free reading sees it now ({"users": [...], "costs": [...]}, amounts as exact Decimals);
`enterprise_totals(truth)` sums it per person as a provider should, independently of the provider.
Days are relative to today (the API serves the last 90 days, each three days after it ends).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from orgonaut.simulator.claude_enterprise import ClaudeEnterpriseConfig, create_claude_enterprise_app
from tests.support.simulator import SimulatorServer, server_fixtures

VALID_ENTERPRISE_KEY = "sk-ant-api01-sim-valid-0000000000"
REVOKED_ENTERPRISE_KEY = "sk-ant-api01-sim-revoked-00000000"
NO_PERMISSION_ENTERPRISE_KEY = "sk-ant-api01-sim-noperm-000000000"


def recent_days(count: int, *, ago: int = 16) -> tuple[dt.date, ...]:
    """`count` consecutive days starting `ago` days before today (UTC): long over, still revisable."""
    first = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=ago)
    return tuple(first + dt.timedelta(days=n) for n in range(count))


class ClaudeEnterpriseSimulatorServer(SimulatorServer):
    name = "claude-enterprise-simulator"

    @staticmethod
    def default_config() -> ClaudeEnterpriseConfig:
        return ClaudeEnterpriseConfig()

    def app(self) -> Any:
        return create_claude_enterprise_app(self.config)

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        return super().requests(path)


def source_of(user_id: str, email: str | None) -> str:
    return email.strip().lower() if email else f"claude-user:{user_id}"


def enterprise_totals(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """source -> the record a provider should report for the truth's day: every declared metric summed
    (cost an exact Decimal), `rows` (the vendor rows behind it) and `products` (cost per product). An
    idle seat (an all-zero activity row, no cost) is no usage."""
    ids: dict[str, str] = {}
    for row in truth["users"]:
        ids[row["user"]["id"]] = source_of(row["user"]["id"], row["user"]["email_address"])
    for row in truth["costs"]:
        ids.setdefault(row["actor"]["user_id"], source_of(row["actor"]["user_id"], row["actor"]["email_address"]))
    totals: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "sessions_count": 0, "lines_added": 0, "lines_removed": 0, "commits_count": 0, "pull_requests_count": 0,
        "total_cost_cents": Decimal(0), "rows": 0, "products": defaultdict(Decimal), "active": False})
    for row in truth["users"]:
        total = totals[ids[row["user"]["id"]]]
        core = row["claude_code_metrics"]["core_metrics"]
        total["sessions_count"] += core["distinct_session_count"] or 0
        total["lines_added"] += core["lines_of_code"]["added_count"]
        total["lines_removed"] += core["lines_of_code"]["removed_count"]
        total["commits_count"] += core["commit_count"]
        total["pull_requests_count"] += core["pull_request_count"]
        total["rows"] += 1
        tools = row["claude_code_metrics"]["tool_actions"].values()
        total["active"] |= bool(core["distinct_session_count"] or core["commit_count"] or core["pull_request_count"]
                                or any(core["lines_of_code"].values())
                                or any(t["accepted_count"] or t["rejected_count"] for t in tools)
                                or row["chat_metrics"]["message_count"] or row["web_search_count"]
                                or row["cowork_metrics"]["message_count"] or row["cowork_metrics"]["action_count"])
    for row in truth["costs"]:
        total = totals[ids[row["actor"]["user_id"]]]
        total["total_cost_cents"] += Decimal(row["amount"])
        total["products"][row["product"]] += Decimal(row["amount"])
        total["rows"] += 1
        total["active"] = True
    return {who: {**total, "products": dict(total["products"])} for who, total in totals.items() if total["active"]}


claude_enterprise_simulator, clean_claude_enterprise_simulator = server_fixtures(
    ClaudeEnterpriseSimulatorServer, "claude_enterprise_simulator")
