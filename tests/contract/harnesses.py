"""Each provider's side of the provider contract suite (`test_provider_contract.py`).

The suite is written once, for every available provider in the registry; all it knows of one
provider's vendor comes from that provider's harness: its simulator (running, over real HTTP), the
credentials that work, are revoked or lack permission, the 401/403 wording, how to make the vendor
fail, break a page, repeat a record, grow or revise a day, and the simulator's truth for a day.
The suite builds the providers itself, through `registry.create_provider`, as the product does.

A new provider joins by adding a harness class and its simulator fixture here, an entry in
`HARNESSES`, and the fixture's import in `conftest.py`; the suite fails for an available provider
without one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Literal, Protocol

import pytest

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import API_KEY_PREFIX, SERVICE_ACCOUNT_PREFIX
from orgonaut.ai_tooling.providers.claude_code.client import INVALID_KEY_MESSAGE, MISSING_PERMISSION_MESSAGE
from orgonaut.ai_tooling.providers.claude_enterprise import client as claude_enterprise_client
from orgonaut.ai_tooling.providers.codex.client import INVALID_KEY_MESSAGE as CODEX_INVALID_KEY_MESSAGE
from orgonaut.ai_tooling.providers.codex.client import (
    MISSING_PERMISSION_MESSAGE as CODEX_MISSING_PERMISSION_MESSAGE,
)
from orgonaut.ai_tooling.providers.copilot.client import INVALID_KEY_MESSAGE as COPILOT_INVALID_KEY_MESSAGE
from orgonaut.ai_tooling.providers.copilot.client import (
    MISSING_PERMISSION_MESSAGE as COPILOT_MISSING_PERMISSION_MESSAGE,
)
from orgonaut.ai_tooling.providers.cursor.client import INVALID_KEY_MESSAGE as CURSOR_INVALID_KEY_MESSAGE
from orgonaut.ai_tooling.providers.cursor.client import (
    MISSING_PERMISSION_MESSAGE as CURSOR_MISSING_PERMISSION_MESSAGE,
)
from orgonaut.ai_tooling.providers.declaration import Metric
from orgonaut.simulator.app import USAGE_REPORT_PATH, SimulatorConfig
from orgonaut.simulator.claude_enterprise import ClaudeEnterpriseConfig
from orgonaut.simulator.copilot import GithubConfig
from orgonaut.simulator.copilot_data import NOREPLY, user_id_of
from orgonaut.simulator.cursor import CursorConfig
from tests.support.claude_enterprise_simulator import (
    NO_PERMISSION_ENTERPRISE_KEY,
    REVOKED_ENTERPRISE_KEY,
    VALID_ENTERPRISE_KEY,
    ClaudeEnterpriseSimulatorServer,
    enterprise_totals,
    recent_days,
)
from tests.support.codex_simulator import (
    NO_SCOPE_CODEX_KEY,
    REVOKED_CODEX_KEY,
    VALID_CODEX_KEY,
    WORKSPACE_ID,
    CodexSimulatorServer,
    codex_credentials,
    codex_totals,
    fixed_config,
    row_source,
    usage_path,
)
from tests.support.cursor_simulator import (
    NO_PERMISSION_CURSOR_KEY,
    REVOKED_CURSOR_KEY,
    VALID_CURSOR_KEY,
    CursorSimulatorServer,
)
from tests.support.github_simulator import (
    NO_PERMISSION_GITHUB_TOKEN,
    REVOKED_GITHUB_TOKEN,
    VALID_GITHUB_TOKEN,
    GithubSimulatorServer,
    copilot_truth,
)
from tests.support.simulator import (
    NO_PERMISSION_KEY,
    REVOKED_KEY,
    VALID_KEY,
    SimulatorServer,
    person_totals,
    source_email,
)

# The providers the suite runs for: every one the registry says can be connected.
AVAILABLE = [info for info in registry.list_providers() if info.available]

CredentialsKind = Literal["valid", "revoked", "no_permission"]


@dataclasses.dataclass(frozen=True)
class DayTruth:
    """What the vendor holds for a day now, as the provider should report it."""

    people: dict[str, dict[str, Any]]  # source_email -> {metric: exact value}, every metric the vendor reports
    rows: dict[str, int]  # source_email -> how many vendor records make up that person-day
    pages: int  # the requests a fault-free fetch of the day takes


class ContractHarness(Protocol):
    """One provider's vendor, as a simulator reset for each test."""

    @property
    def base_url(self) -> str:
        """What `create_provider(..., api_base=)` is given."""

    @property
    def organisation_name(self) -> str:
        """What a test connection answers."""

    @property
    def invalid_key_message(self) -> str:
        """The provider's exact 401 wording (its client's constant)."""

    @property
    def missing_permission_message(self) -> str:
        """The provider's exact 403 wording (its client's constant)."""

    @property
    def days(self) -> Sequence[dt.date]:
        """Long-over days with usage; the first spans at least three pages, and across them some
        person-day is summed from several vendor records and some cost has fractions of a cent."""

    @property
    def bill_rounding(self) -> Decimal:
        """Cents a person's records may differ from the vendor's bill over the days by (0: exact)."""

    def reset(self) -> None:
        """No faults, revisions or growth; the request log emptied."""

    def credentials(self, kind: CredentialsKind) -> dict[str, str]:
        """Credentials (every declared field) that are valid, revoked (401) or lack permission (403)."""

    def statuses(self) -> list[int]:
        """The HTTP status of every vendor API request since the reset, in order."""

    def fail(self, status: int, *, retry_after: float | None = None, count: int | None = 1, after: int = 0) -> None:
        """The next `count` usage requests (every one when None), after `after` went through, answer
        `status`, with a `retry-after` header of `retry_after` seconds when given."""

    def malform_page(self, page: int) -> None:
        """The next fetch's page `page` (from 1) comes back malformed."""

    def repeat_record(self, day: dt.date) -> str:
        """The next fetch of `day` meets one record twice (on pages 1 and 2); returns whose it is."""

    def grow_day(self, day: dt.date) -> str:
        """A record joins `day` while the next fetch pages through it; returns whose it is."""

    def revise(self, day: dt.date) -> set[str]:
        """The vendor corrects `day`; returns the people whose usage that changes (or adds or removes)."""

    def truth(self, day: dt.date) -> DayTruth:
        """The simulator's own account of `day`, summed here independently of the provider."""


# -- Claude Code: the Anthropic Admin API simulator ---------------------------------------------------

CLAUDE_CODE_PAGE_SIZE = 5  # the client asks for 1,000 records a page; this simulator serves 5
# Monday 3 to Sunday 9 March 2025: 42, 32, 41, 40, 33, 2 and 3 records.
CLAUDE_CODE_DAYS = tuple(dt.date(2025, 3, 3) + dt.timedelta(days=n) for n in range(7))
_CLAUDE_CODE_KEYS = {"valid": VALID_KEY, "revoked": REVOKED_KEY, "no_permission": NO_PERMISSION_KEY}


@pytest.fixture(scope="session")
def claude_code_contract_simulator():
    """The Anthropic simulator with pages shorter than the client asks for, so every fetch pages."""
    with SimulatorServer(SimulatorConfig(page_size=CLAUDE_CODE_PAGE_SIZE)) as server:
        yield server


@dataclasses.dataclass
class ClaudeCodeHarness:
    server: SimulatorServer
    invalid_key_message: str = INVALID_KEY_MESSAGE
    missing_permission_message: str = MISSING_PERMISSION_MESSAGE
    days: Sequence[dt.date] = CLAUDE_CODE_DAYS
    bill_rounding: Decimal = Decimal(0)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def organisation_name(self) -> str:
        return self.server.config.organization_name

    def reset(self) -> None:
        self.server.reset()

    def credentials(self, kind: CredentialsKind) -> dict[str, str]:
        return {"api_key": _CLAUDE_CODE_KEYS[kind]}

    def statuses(self) -> list[int]:
        return [request["status"] for request in self.server.requests(None)]

    def fail(self, status: int, *, retry_after: float | None = None, count: int | None = 1, after: int = 0) -> None:
        self.server.set_fault(status=status, retry_after=retry_after, count=count, after=after, path=USAGE_REPORT_PATH)

    def malform_page(self, page: int) -> None:
        # The page's first record loses its `core_metrics`: well-formed JSON, a record the API never sends.
        self.server.set_fault(mode="malformed", variant="record", after=page - 1, count=1, path=USAGE_REPORT_PATH)

    def repeat_record(self, day: dt.date) -> str:
        # `dup`: page 2 starts with page 1's last record again (what offset cursors do on a growing day).
        self.server.set_fault(mode="dup", count=1)
        return source_email(self.server.truth(day)["data"][CLAUDE_CODE_PAGE_SIZE - 1])

    def grow_day(self, day: dt.date) -> str:
        # `grow`: as page 2 is asked for, a new record for page 1's last person joins the day before the
        # cursor, so page 2 starts with page 1's last record again and the new one is behind the cursor.
        self.server.set_fault(mode="grow", count=1)
        return source_email(self.server.truth(day)["data"][CLAUDE_CODE_PAGE_SIZE - 1])

    def revise(self, day: dt.date) -> set[str]:
        people = person_totals(self.server.truth(day)["data"])
        singles = sorted(who for who, total in people.items()
                         if total["rows"] == 1 and not who.startswith(API_KEY_PREFIX))
        dropped, changed, moved = singles[:3]
        self.server.revise(date=day, action="drop", email=dropped)
        self.server.revise(date=day, action="change", email=changed, factor=3)
        self.server.revise(date=day, action="move", email=moved, to_email="Someone.New@Acme.test")
        return {dropped, changed, moved, "someone.new@acme.test"}

    def truth(self, day: dt.date) -> DayTruth:
        records = self.server.truth(day)["data"]
        totals = person_totals(records)
        return DayTruth(
            people={who: {metric.value: total.get(metric.value, Decimal(0)) for metric in Metric}
                    for who, total in totals.items()},
            rows={who: total["rows"] for who, total in totals.items()},
            pages=max(1, -(-len(records) // CLAUDE_CODE_PAGE_SIZE)),
        )


def _claude_code(request: pytest.FixtureRequest) -> ContractHarness:
    return ClaudeCodeHarness(request.getfixturevalue("claude_code_contract_simulator"))


# -- Cursor: the Cursor Admin API simulator -------------------------------------------------------------

CURSOR_PAGE_SIZE = 7  # users (daily usage) and events a page; the client asks for 1,000
CURSOR_DAYS = tuple(dt.date(2025, 3, 3) + dt.timedelta(days=n) for n in range(7))
_CURSOR_KEYS = {"valid": VALID_CURSOR_KEY, "revoked": REVOKED_CURSOR_KEY, "no_permission": NO_PERMISSION_CURSOR_KEY}
_CURSOR_TOKENS = {Metric.input_tokens: "total_input_tokens", Metric.output_tokens: "total_output_tokens",
                  Metric.cache_read_tokens: "total_cache_read_tokens",
                  Metric.cache_creation_tokens: "total_cache_creation_tokens"}


@pytest.fixture(scope="session")
def cursor_contract_simulator():
    """The Cursor simulator with pages of seven users or events, so a day's reading pages."""
    with CursorSimulatorServer(CursorConfig(page_size=CURSOR_PAGE_SIZE)) as server:
        yield server


@dataclasses.dataclass
class CursorHarness:
    server: CursorSimulatorServer
    invalid_key_message: str = CURSOR_INVALID_KEY_MESSAGE
    missing_permission_message: str = CURSOR_MISSING_PERMISSION_MESSAGE
    days: Sequence[dt.date] = CURSOR_DAYS
    bill_rounding: Decimal = Decimal(0)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def organisation_name(self) -> str:
        return str(self.server.team()["name"])

    def reset(self) -> None:
        self.server.reset()

    def credentials(self, kind: CredentialsKind) -> dict[str, str]:
        return {"api_key": _CURSOR_KEYS[kind]}

    def statuses(self) -> list[int]:
        return [request["status"] for request in self.server.requests(None)]

    def fail(self, status: int, *, retry_after: float | None = None, count: int | None = 1, after: int = 0) -> None:
        self.server.set_fault(status=status, retry_after=retry_after, count=count, after=after)

    def malform_page(self, page: int) -> None:
        # The page's first record loses its e-mail: well-formed JSON, a record the API never sends.
        self.server.set_fault(mode="malformed", variant="record", after=page - 1, count=1)

    def repeat_record(self, day: dt.date) -> str:
        # `dup`: daily usage's page 2 starts with page 1's last user again.
        self.server.set_fault(mode="dup", count=1)
        return str(self.server.truth(day)["activity"][CURSOR_PAGE_SIZE - 1]["email"]).lower()

    def grow_day(self, day: dt.date) -> str:
        # `grow`: as events' page 2 is asked for, a new event of page 1's last event's person joins the day
        # before the offset, so page 2 starts with page 1's last event again.
        self.server.set_fault(mode="grow", count=1)
        return str(self.server.truth(day)["events"][CURSOR_PAGE_SIZE - 1]["userEmail"]).lower()

    def revise(self, day: dt.date) -> set[str]:
        people = self.server.truth(day)["people"]
        chosen = sorted(who for who, person in people.items() if person["events"] and person["active"])
        dropped, changed, moved = chosen[:3]
        self.server.revise(date=day, action="drop", email=dropped)
        self.server.revise(date=day, action="change", email=changed, factor=3)
        self.server.revise(date=day, action="move", email=moved, to_email="Someone.New@Acme.test")
        return {dropped, changed, moved, "someone.new@acme.test"}

    def truth(self, day: dt.date) -> DayTruth:
        truth = self.server.truth(day)
        people = {}
        rows = {}
        sources = [*((who, p) for who, p in truth["people"].items()),
                   *((SERVICE_ACCOUNT_PREFIX + name, p) for name, p in truth["service_accounts"].items())]
        for who, person in sources:
            activity = person.get("activity") or {}
            if not (person.get("active", True) or person["events"]):
                continue  # an idle seat: no usage
            people[who] = {
                Metric.lines_added.value: activity.get("totalLinesAdded", 0),
                Metric.lines_removed.value: activity.get("totalLinesDeleted", 0),
                Metric.cost.value: person["total_cost_cents"],
                **{metric.value: person[name] for metric, name in _CURSOR_TOKENS.items()},
            }
            rows[who] = person["events"]
        usage_pages = max(1, -(-len(truth["activity"]) // CURSOR_PAGE_SIZE))
        event_pages = max(1, -(-len(truth["events"]) // CURSOR_PAGE_SIZE))
        return DayTruth(people=people, rows=rows, pages=usage_pages + event_pages)


def _cursor(request: pytest.FixtureRequest) -> ContractHarness:
    return CursorHarness(request.getfixturevalue("cursor_contract_simulator"))


# -- Codex: the Codex Enterprise Analytics API simulator ----------------------------------------------

CODEX_PAGE_SIZE = 7  # rows a page; the client asks for 100
# Monday 3 to Sunday 9 March 2025 (settled, and inside the 90-day look-back of the simulator's fixed clock):
# 33, 32, 35, 28, 30, 4 and 2 rows, about one in five without an e-mail.
CODEX_DAYS = tuple(dt.date(2025, 3, 3) + dt.timedelta(days=n) for n in range(7))
_CODEX_KEYS = {"valid": VALID_CODEX_KEY, "revoked": REVOKED_CODEX_KEY, "no_permission": NO_SCOPE_CODEX_KEY}
_CODEX_METRICS = tuple(metric.value for metric in registry.get_provider_info("codex").metrics)


@pytest.fixture(scope="session")
def codex_contract_simulator():
    """The Codex simulator with pages of seven rows, so a day's reading pages."""
    with CodexSimulatorServer(fixed_config(page_size=CODEX_PAGE_SIZE)) as server:
        yield server


@dataclasses.dataclass
class CodexHarness:
    server: CodexSimulatorServer
    invalid_key_message: str = CODEX_INVALID_KEY_MESSAGE
    missing_permission_message: str = CODEX_MISSING_PERMISSION_MESSAGE
    days: Sequence[dt.date] = CODEX_DAYS
    bill_rounding: Decimal = Decimal(0)
    organisation_name: str = f"Codex workspace {WORKSPACE_ID}"

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def reset(self) -> None:
        self.server.reset()

    def credentials(self, kind: CredentialsKind) -> dict[str, str]:
        return codex_credentials(_CODEX_KEYS[kind])

    def statuses(self) -> list[int]:
        return [request["status"] for request in self.server.requests(None)]

    def fail(self, status: int, *, retry_after: float | None = None, count: int | None = 1, after: int = 0) -> None:
        self.server.set_fault(status=status, retry_after=retry_after, count=count, after=after, path=usage_path())

    def malform_page(self, page: int) -> None:
        # The page's first row loses its `totals`: well-formed JSON, a row the API never sends.
        self.server.set_fault(mode="malformed", variant="record", after=page - 1, count=1)

    def repeat_record(self, day: dt.date) -> str:
        # `dup`: page 2 starts with page 1's last row again.
        self.server.set_fault(mode="dup", count=1)
        return row_source(self.server.truth(day)["rows"][CODEX_PAGE_SIZE - 1])

    def grow_day(self, day: dt.date) -> str:
        # `grow`: as page 2 is asked for, a new row of page 1's last row's user joins the day before the
        # offset, so page 2 starts with page 1's last row again.
        self.server.set_fault(mode="grow", count=1)
        return row_source(self.server.truth(day)["rows"][CODEX_PAGE_SIZE - 1])

    def revise(self, day: dt.date) -> set[str]:
        rows = self.server.truth(day)["rows"]
        chosen = sorted(row_source(row) for row in rows if row.get("email"))  # revisions name people by e-mail
        dropped, changed, moved = chosen[:3]
        self.server.revise(date=day, action="drop", email=dropped)
        self.server.revise(date=day, action="change", email=changed, factor=3)
        self.server.revise(date=day, action="move", email=moved, to_email="Someone.New@Acme.test")
        return {dropped, changed, moved, "someone.new@acme.test"}

    def truth(self, day: dt.date) -> DayTruth:
        rows = self.server.truth(day)["rows"]
        totals = codex_totals(rows)
        return DayTruth(
            people={who: {metric: total.get(metric, 0) for metric in _CODEX_METRICS} for who, total in totals.items()},
            rows={who: total["clients"] for who, total in totals.items()},  # client entries summed per person
            pages=max(1, -(-len(rows) // CODEX_PAGE_SIZE)),
        )


def _codex(request: pytest.FixtureRequest) -> ContractHarness:
    return CodexHarness(request.getfixturevalue("codex_contract_simulator"))



# -- GitHub Copilot: the GitHub simulator ---------------------------------------------------------------

# Monday 3 to Sunday 9 November 2025: long settled.
COPILOT_DAYS = tuple(dt.date(2025, 11, 3) + dt.timedelta(days=n) for n in range(7))
_COPILOT_TOKENS = {"valid": VALID_GITHUB_TOKEN, "revoked": REVOKED_GITHUB_TOKEN,
                   "no_permission": NO_PERMISSION_GITHUB_TOKEN}


@pytest.fixture(scope="session")
def copilot_contract_simulator():
    """The GitHub simulator with each day's report in three files."""
    with GithubSimulatorServer(GithubConfig(files_per_day=3)) as server:
        yield server


@dataclasses.dataclass
class CopilotHarness:
    server: GithubSimulatorServer
    invalid_key_message: str = COPILOT_INVALID_KEY_MESSAGE
    missing_permission_message: str = COPILOT_MISSING_PERMISSION_MESSAGE
    days: Sequence[dt.date] = COPILOT_DAYS
    # A seat's monthly price is spread over the month's days in whole hundredths of a cent
    # (`records.seat_day_cents`); GitHub bills each day's exact fraction.
    bill_rounding: Decimal = Decimal("0.01")

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def organisation_name(self) -> str:
        return self.server.config.organization

    def reset(self) -> None:
        self.server.reset()

    def credentials(self, kind: CredentialsKind) -> dict[str, str]:
        return {"kind": "organization", "owner": self.server.config.organization, "token": _COPILOT_TOKENS[kind],
                "business_seat_usd": "19", "enterprise_seat_usd": "39"}

    def statuses(self) -> list[int]:
        return [request["status"] for request in self.server.requests(None)]

    def fail(self, status: int, *, retry_after: float | None = None, count: int | None = 1, after: int = 0) -> None:
        self.server.set_fault(status=status, retry_after=retry_after, count=count, after=after)

    def malform_page(self, page: int) -> None:
        # Request 1 is the report (its links go missing), 2 and on its files (a row loses its user_id).
        self.server.set_fault(mode="malformed", variant="record", after=page - 1, count=1)

    def repeat_record(self, day: dt.date) -> str:
        # `dup`: the second file starts with the first file's last row again.
        self.server.set_fault(mode="dup", count=1)
        return f"github:{self.server.truth(day)['files'][0][-1]['user_id']}"

    def grow_day(self, day: dt.date) -> str:
        # `grow`: as the second file is read, the first file's last user gets more activity, re-issued there.
        self.server.set_fault(mode="grow", count=1)
        return f"github:{self.server.truth(day)['files'][0][-1]['user_id']}"

    def revise(self, day: dt.date) -> set[str]:
        rows = sorted((row for file in self.server.truth(day)["files"] for row in file), key=lambda r: r["user_id"])
        dropped, changed, moved = [row for row in rows if row["loc_added_sum"] > 0][:3]
        for action, row, extra in (("drop", dropped, {}), ("change", changed, {"factor": 3}),
                                   ("move", moved, {"to_email": "someone-new" + NOREPLY})):
            self.server.revise(date=day, action=action, email=row["user_login"] + NOREPLY, **extra)
        return {f"github:{row['user_id']}" for row in (dropped, changed, moved)} | {
            f"github:{user_id_of('someone-new')}"}

    def truth(self, day: dt.date) -> DayTruth:
        truth = self.server.truth(day)
        people, records = copilot_truth(truth, day)
        rows = sum(len(file) for file in truth["files"])
        return DayTruth(people=people, rows=records, pages=1 + len(truth["files"]) + 2 + rows)


def _copilot(request: pytest.FixtureRequest) -> ContractHarness:
    return CopilotHarness(request.getfixturevalue("copilot_contract_simulator"))


# -- Claude Enterprise: the Enterprise Analytics API simulator, read through the anthropic SDK -----------

CLAUDE_ENTERPRISE_PAGE_SIZE = 5  # activity and cost rows a page; the client asks for 1,000
_CLAUDE_ENTERPRISE_KEYS = {"valid": VALID_ENTERPRISE_KEY, "revoked": REVOKED_ENTERPRISE_KEY,
                           "no_permission": NO_PERMISSION_ENTERPRISE_KEY}


@pytest.fixture(scope="session")
def claude_enterprise_contract_simulator():
    """The Claude Enterprise simulator with pages of five rows, so a day's reading pages (15 members
    with an account: three activity pages, then the day's cost pages)."""
    with ClaudeEnterpriseSimulatorServer(ClaudeEnterpriseConfig(page_size=CLAUDE_ENTERPRISE_PAGE_SIZE)) as server:
        yield server


@dataclasses.dataclass
class ClaudeEnterpriseHarness:
    server: ClaudeEnterpriseSimulatorServer
    invalid_key_message: str = claude_enterprise_client.INVALID_KEY_MESSAGE
    missing_permission_message: str = claude_enterprise_client.MISSING_PERMISSION_MESSAGE
    organisation_name: str = claude_enterprise_client.ORGANISATION_LABEL
    bill_rounding: Decimal = Decimal(0)
    # Weekdays (Monday on): days with more than a page of cost. The API serves only the last 90 days,
    # each three days after it ends, and cost stays revisable for 30: days relative to today.
    days: Sequence[dt.date] = dataclasses.field(default_factory=lambda: _enterprise_days())

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def reset(self) -> None:
        self.server.reset()

    def credentials(self, kind: CredentialsKind) -> dict[str, str]:
        return {"api_key": _CLAUDE_ENTERPRISE_KEYS[kind]}

    def statuses(self) -> list[int]:
        return [request["status"] for request in self.server.requests(None)]

    def fail(self, status: int, *, retry_after: float | None = None, count: int | None = 1, after: int = 0) -> None:
        self.server.set_fault(status=status, retry_after=retry_after, count=count, after=after)

    def malform_page(self, page: int) -> None:
        # The page's first activity row loses its `claude_code_metrics`: JSON the API never sends, which
        # the SDK passes on unvalidated (pages 1 to 3 of a day are its activity pages).
        self.server.set_fault(mode="malformed", variant="record", after=page - 1, count=1)

    def repeat_record(self, day: dt.date) -> str:
        # `dup`: activity page 2 starts with page 1's last row again.
        row = self.server.truth(day)["users"][CLAUDE_ENTERPRISE_PAGE_SIZE - 1]
        self.server.set_fault(mode="dup", count=1)
        return str(row["user"]["email_address"]).lower()

    def grow_day(self, day: dt.date) -> str:
        # `grow` (cost pages only): as cost page 2 is asked for, a new cost row of page 1's last row's
        # person ranks just before it, so page 2 starts with that row again.
        actor = self.server.truth(day)["costs"][CLAUDE_ENTERPRISE_PAGE_SIZE - 1]["actor"]
        self.server.set_fault(mode="grow", count=1)
        return str(actor["email_address"]).lower() if actor["email_address"] else f"claude-user:{actor['user_id']}"

    def revise(self, day: dt.date) -> set[str]:
        totals = enterprise_totals(self.server.truth(day))
        chosen = sorted(who for who, total in totals.items()
                        if total["total_cost_cents"] and total["lines_added"] and "@" in who)
        dropped, changed, moved = chosen[:3]
        self.server.revise(date=day, action="drop", email=dropped)
        self.server.revise(date=day, action="change", email=changed, factor=3)
        self.server.revise(date=day, action="move", email=moved, to_email="Someone.New@Acme.test")
        return {dropped, changed, moved, "someone.new@acme.test"}

    def truth(self, day: dt.date) -> DayTruth:
        truth = self.server.truth(day)
        totals = enterprise_totals(truth)
        metrics = [metric.value for metric in _ENTERPRISE_METRICS]
        return DayTruth(
            people={who: {metric: total[metric] for metric in metrics} for who, total in totals.items()},
            rows={who: total["rows"] for who, total in totals.items()},
            pages=max(1, -(-len(truth["users"]) // CLAUDE_ENTERPRISE_PAGE_SIZE))
            + max(1, -(-len(truth["costs"]) // CLAUDE_ENTERPRISE_PAGE_SIZE)),
        )


_ENTERPRISE_METRICS = (Metric.sessions, Metric.lines_added, Metric.lines_removed, Metric.commits,
                       Metric.pull_requests, Metric.cost)


def _enterprise_days() -> tuple[dt.date, ...]:
    """Seven days from the Monday 15 to 21 days ago: over (and served) for two weeks, within 30 days."""
    first = recent_days(1, ago=15)[0]
    first -= dt.timedelta(days=first.weekday())
    return recent_days(7, ago=(dt.datetime.now(dt.UTC).date() - first).days)


def _claude_enterprise(request: pytest.FixtureRequest) -> ContractHarness:
    return ClaudeEnterpriseHarness(request.getfixturevalue("claude_enterprise_contract_simulator"))

# Provider key -> the harness for one test (given the test's request, to reach its simulator fixture).
HARNESSES: dict[str, Callable[[pytest.FixtureRequest], ContractHarness]] = {
    "claude_code": _claude_code,
    "cursor": _cursor,
    "codex": _codex,
    "copilot": _copilot,
    "claude_enterprise": _claude_enterprise,
}
