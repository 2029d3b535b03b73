"""The GitHub simulator's billing usage report (the organisation's or enterprise's bill) over real HTTP, and
the Copilot provider reading it: a day's AI-credit line is its users' items summed, its seat lines the seats
held that day at the list price spread over the month (an enterprise bills a user once, on Enterprise if any
seat is), Actions apart; the provider's bill equals the report summed here; bad queries, a refused token and
a malformed report are errors saying so."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError
from orgonaut.simulator.copilot import GithubConfig
from tests.support.github_simulator import VALID_GITHUB_TOKEN, GithubSimulatorServer

NOW = dt.datetime(2026, 7, 3, 12, tzinfo=dt.UTC)
WEEK = [dt.date(2026, 6, 8) + dt.timedelta(days=n) for n in range(7)]  # AI credits (from 1 June 2026)
AUTH = {"authorization": f"Bearer {VALID_GITHUB_TOKEN}"}
PRICES = {"business": Decimal(19), "enterprise": Decimal(39)}
BILL = {"organization": "/organizations/orgonaut-sim/settings/billing/usage",
        "enterprise": "/enterprises/orgonaut-sim-enterprise/settings/billing/usage"}


@pytest.fixture(scope="module")
def github():
    with GithubSimulatorServer(GithubConfig(now=lambda: NOW)) as server:
        yield server


@pytest.fixture
def sim(github):
    github.reset()
    yield github
    github.reset()


def report(sim, kind: str, **params: Any) -> list[dict[str, Any]]:
    answer = httpx.get(f"{sim.base_url}{BILL[kind]}", params=params, headers=AUTH, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["usageItems"]


def cents(item: dict[str, Any]) -> Decimal:
    return Decimal(str(item["netAmount"])) * 100


def provider(sim, kind: str = "organization"):
    owner = "orgonaut-sim" if kind == "organization" else "orgonaut-sim-enterprise"
    return registry.create_provider("copilot", credentials={
        "kind": kind, "owner": owner, "token": VALID_GITHUB_TOKEN, "business_seat_usd": "19",
        "enterprise_seat_usd": "39"}, api_base=sim.base_url)


@pytest.mark.parametrize("kind", ["organization", "enterprise"])
def test_a_days_copilot_lines_are_its_users_credits_and_the_seats_held(sim, kind):
    items = report(sim, kind, year=2026, month=6)
    assert {item["date"][:10] for item in items} == {f"2026-06-{d:02d}" for d in range(1, 31)}
    for day in WEEK:
        truth = sim.truth(day)
        lines = {item["sku"]: item for item in items if item["date"].startswith(day.isoformat())}
        assert {lines[sku]["product"] for sku in lines if sku.startswith("copilot")} == {"Copilot"}
        credits = sum((Decimal(str(i["netAmount"])) for found in truth["credits"].values() for i in found), Decimal(0))
        assert Decimal(str(lines["copilot_ai_credit"]["netAmount"])) == credits > 0
        plans: dict[int, str] = {}
        for seat in truth["enterprise_seats" if kind == "enterprise" else "seats"]:
            ends = seat["pending_cancellation_date"]
            if seat["created_at"][:10] <= day.isoformat() and (ends is None or day.isoformat() < ends):
                plans[seat["assignee"]["id"]] = max(plans.get(seat["assignee"]["id"], ""), seat["plan_type"])
        days = calendar.monthrange(day.year, day.month)[1]
        for plan, sku in (("business", "copilot_for_business"), ("enterprise", "copilot_enterprise")):
            held = sum(1 for held_plan in plans.values() if held_plan == plan)
            assert held > 0 and lines[sku]["unitType"] == "user-months"
            assert abs(Decimal(str(lines[sku]["netAmount"])) - PRICES[plan] * held / days) < Decimal("1e-9")
        assert set(lines) <= {"copilot_ai_credit", "copilot_for_business", "copilot_enterprise", "actions_linux"}
    assert report(sim, kind, year=2026, month=6, day=8) == [i for i in items if i["date"].startswith("2026-06-08")]
    assert report(sim, kind, year=2026, month=7, day=3) == []  # today: not billed yet


@pytest.mark.parametrize("kind", ["organization", "enterprise"])
def test_the_provider_reads_the_bill_of_any_days_exactly(sim, kind):
    first, last = dt.date(2026, 5, 28), dt.date(2026, 6, 3)  # two months' reports, premium requests then credits
    bill = provider(sim, kind).organisation_cost(first, last)
    items = [i for i in [*report(sim, kind, year=2026, month=5), *report(sim, kind, year=2026, month=6)]
             if first.isoformat() <= i["date"][:10] <= last.isoformat()]
    lines: dict[str, Decimal] = defaultdict(Decimal)
    for each in items:
        lines[f"{each['product']}: {each['sku']}"] += cents(each)
    assert dict(bill.lines) == dict(lines)
    assert "Copilot: copilot_premium_request" in lines and "Copilot: copilot_ai_credit" in lines
    assert bill.tool_cents == sum((cents(i) for i in items if i["product"] == "Copilot"), Decimal(0)) > 0
    assert bill.total_cents - bill.tool_cents == lines["Actions: actions_linux"] > 0
    assert (bill.start, bill.end) == (first, last)
    asked = [r["query"] for r in sim.requests(BILL[kind])]
    assert [(q["year"], q["month"]) for q in asked[:2]] == [("2026", "5"), ("2026", "6")]


@pytest.mark.parametrize(("params", "message"), [
    ({"year": "2026", "month": "6", "hour": "3"}, "daily lines only"),
    ({"year": "2026", "day": "3"}, "day needs a month"),
    ({"year": "2026", "month": "13"}, "name a time"),
])
def test_bad_queries_are_400_in_githubs_words(sim, params, message):
    answer = httpx.get(f"{sim.base_url}{BILL['organization']}", params=params, headers=AUTH)
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_a_refused_token_or_a_malformed_report_fails_the_reconciliation_saying_so(sim):
    refused = registry.create_provider("copilot", credentials={
        "kind": "organization", "owner": "orgonaut-sim", "token": "ghp_simnobilling000000000000000000",
        "business_seat_usd": "19", "enterprise_seat_usd": "39"}, api_base=sim.base_url)
    with pytest.raises(ProviderError) as caught:
        refused.organisation_cost(WEEK[0], WEEK[-1])
    assert caught.value.kind is ErrorKind.missing_permission
    sim.set_fault(mode="malformed", variant="shape", path=BILL["organization"])
    with pytest.raises(ProviderError, match="malformed billing usage of 2026-06") as caught:
        provider(sim).organisation_cost(WEEK[0], WEEK[-1])
    assert caught.value.kind is ErrorKind.malformed
