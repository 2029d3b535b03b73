"""The Codex Enterprise Analytics API simulator for tests: the Anthropic one's in-thread server
(simulator.py) with the Codex app, and its fixtures.

    from tests.support.codex_simulator import clean_codex_simulator, codex_simulator  # noqa: F401

`codex_simulator` is one server for the whole run, its clock fixed at `CODEX_NOW` (so March 2025 is
settled and inside the 90-day look-back); `clean_codex_simulator` is the same server reset before and
after the test. Steer it as the others (`set_fault(...)`, `revise(...)`, `requests()`); `truth(day)` is
the day's rows now, credits as Decimals; `codex_totals(rows, usd_per_credit)` sums rows per person as a
provider should, independently of it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from orgonaut.simulator.codex import USAGE_PATH, CodexConfig, create_codex_app
from tests.support.simulator import SimulatorServer, server_fixtures

VALID_CODEX_KEY = "sk-sim-codex-valid-000000000000"
REVOKED_CODEX_KEY = "sk-sim-codex-revoked-0000000000"
NO_SCOPE_CODEX_KEY = "sk-sim-codex-noscope-0000000000"
WORKSPACE_ID = "ws_sim_codex"
USD_PER_CREDIT = "0.04"
CODEX_NOW = dt.datetime(2025, 4, 15, 12, tzinfo=dt.UTC)


def usage_path(workspace_id: str = WORKSPACE_ID) -> str:
    return USAGE_PATH.format(workspace_id=workspace_id)


def codex_credentials(key: str = VALID_CODEX_KEY, *, usd_per_credit: str = USD_PER_CREDIT) -> dict[str, str]:
    return {"workspace_id": WORKSPACE_ID, "api_key": key, "usd_per_credit": usd_per_credit}


def fixed_config(**options: Any) -> CodexConfig:
    return CodexConfig(**{"now": lambda: CODEX_NOW, "workspace_id": WORKSPACE_ID, **options})


class CodexSimulatorServer(SimulatorServer):
    name = "codex-simulator"

    @staticmethod
    def default_config() -> CodexConfig:
        return fixed_config()

    def app(self) -> Any:
        return create_codex_app(self.config)

    def truth(self, day: dt.date | str) -> dict[str, Any]:
        """The day's rows now, every credit amount a Decimal."""
        return json.loads(self._get("/_sim/truth", date=str(day)).text, parse_float=Decimal)

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        return super().requests(path)


def row_source(row: dict[str, Any]) -> str:
    """Who a row is for, as a provider names them: the e-mail, else `codex-user:<user_id>`."""
    email = row.get("email") or (row.get("actor") or {}).get("email")
    return email.strip().lower() if email else f"codex-user:{row.get('user_id') or row['actor']['user_id']}"


def codex_totals(rows: list[dict[str, Any]], usd_per_credit: str = USD_PER_CREDIT) -> dict[str, dict[str, Any]]:
    """source -> the record's metrics summed over the person's rows (cost: credits × price × 100 cents,
    exact to a millionth of a cent), `clients` (the client entries summed) and `credits`."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(row_source(row), defaultdict(int, credits=Decimal(0)))
        total["sessions_count"] += row["totals"]["threads"]
        total["turns"] += row["totals"]["turns"]
        total["credits"] += Decimal(str(row["totals"]["credits"]))
        attribution = row.get("code_attribution") or {}
        total["lines_added"] += attribution.get("lines_added", 0)
        total["lines_removed"] += attribution.get("lines_removed", 0)
        for client in row["clients"]:
            total["clients"] += 1
            total["total_input_tokens"] += client["uncached_text_input_tokens"]
            total["total_cache_read_tokens"] += client["cached_text_input_tokens"]
            total["total_output_tokens"] += client["text_output_tokens"]
    for total in totals.values():
        # Exact, then to a millionth of a cent (half-even), the precision a stored amount keeps.
        total["total_cost_cents"] = (total["credits"] * Decimal(usd_per_credit) * 100).quantize(
            Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    return {who: dict(total) for who, total in totals.items()}


codex_simulator, clean_codex_simulator = server_fixtures(CodexSimulatorServer, "codex_simulator")
