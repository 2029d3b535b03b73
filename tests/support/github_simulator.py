"""The GitHub simulator for tests: the Anthropic one's in-thread server (simulator.py) with the GitHub
app, and its fixtures.

    from tests.support.github_simulator import clean_github_simulator, github_simulator  # noqa: F401

Steer it as the others (`set_fault(...)`, `revise(...)`, `requests()`); `truth(day)` is the day as
the simulator holds it now (its files of rows, seats, credits as exact Decimals, SAML identities).
`copilot_truth(truth, day, prices)` is what a client should report for it, computed here
independently of the provider: source -> {metric: value} and source -> the records it sums.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from orgonaut.simulator.copilot import GithubConfig, create_github_app
from tests.support.simulator import SimulatorServer, server_fixtures

VALID_GITHUB_TOKEN = "ghp_simvalid000000000000000000000000000"
REVOKED_GITHUB_TOKEN = "ghp_simrevoked00000000000000000000000"
NO_PERMISSION_GITHUB_TOKEN = "ghp_simnoperm000000000000000000000000"
PRICES = {"business": Decimal(19), "enterprise": Decimal(39)}


class GithubSimulatorServer(SimulatorServer):
    name = "github-simulator"

    @staticmethod
    def default_config() -> GithubConfig:
        return GithubConfig()

    def app(self) -> Any:
        return create_github_app(self.config)

    def truth(self, day: dt.date | str) -> dict[str, Any]:
        return json.loads(self._get("/_sim/truth", date=str(day)).text, parse_float=Decimal)

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        return super().requests(path)


def seat_cents(monthly: Decimal, day: dt.date) -> Decimal:
    """A day's share of a monthly price: the month in hundredths of a cent, day d getting
    floor(P·d/D) − floor(P·(d−1)/D) (so a whole month is the price)."""
    units, days = int(monthly * 10_000), calendar.monthrange(day.year, day.month)[1]
    return Decimal(units * day.day // days - units * (day.day - 1) // days) / 100


def copilot_truth(truth: dict[str, Any], day: dt.date, prices: dict[str, Decimal] = PRICES, *,
                  enterprise: bool = False) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """source -> {metric: exact value} and source -> how many vendor records make up the source's
    day (its row, its seat, its credit items), as a client should report `day`. An enterprise's user
    with seats from two organisations pays one, the Enterprise one if either is."""
    rows = {row["user_id"]: row for file in truth["files"] for row in file}
    seats: dict[int, dict[str, Any]] = {}
    for seat in sorted(truth["enterprise_seats" if enterprise else "seats"], key=lambda s: s["plan_type"]):
        if dt.date.fromisoformat(seat["created_at"][:10]) <= day and (
                seat["pending_cancellation_date"] is None
                or day < dt.date.fromisoformat(seat["pending_cancellation_date"])):
            seats[seat["assignee"]["id"]] = seat  # business sorts before enterprise: enterprise wins
    people, records = {}, {}
    for user_id in set(rows) | set(seats):
        row, seat = rows.get(user_id, {}), seats.get(user_id)
        items = truth["credits"].get(row.get("user_login"), []) if row else []
        cost = seat_cents(prices[seat["plan_type"]], day) if seat else Decimal(0)
        cost += sum((Decimal(str(item["netAmount"])) * 100 for item in items), Decimal(0))
        tokens = (row.get("totals_by_cli") or {}).get("token_usage") or {}
        people[f"github:{user_id}"] = {
            "lines_added": row.get("loc_added_sum", 0), "lines_removed": row.get("loc_deleted_sum", 0),
            "total_input_tokens": tokens.get("prompt_tokens_sum", 0),
            "total_output_tokens": tokens.get("output_tokens_sum", 0), "total_cost_cents": cost,
        }
        records[f"github:{user_id}"] = bool(row) + bool(seat) + len(items)
    return people, records


github_simulator, clean_github_simulator = server_fixtures(GithubSimulatorServer, "github_simulator")
