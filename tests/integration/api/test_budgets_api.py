"""The budget endpoints: set, read and end budgets with the numbers of `spend.budgets` (the budgets page's),
after the API's only conversion (exact cents -> whole cents); refused input names its parameter, changes
nothing, and another tenant's or a scenario's unit is 404.

Acme: Engineering (department) > Core (team) with Alice, Bob and Idle; today is 18 November 2026.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlmodel import select

from orgonaut.spend import budgets
from orgonaut.spend.budgets import BudgetKey
from orgonaut.spend.models import Budget
from tests.integration.api.conftest import NOW, bearer, small_org, tenant_with_tokens

URL = "/api/v1/ai-tooling/budgets"


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(("unit", "provider"), [(None, None), ("engineering", None), ("core", "claude_code")])
def test_a_budget_set_reads_back_with_the_pages_numbers(client, session, world, unit, provider):
    acme, org = world
    unit_id = getattr(org, unit) if unit else None
    body = {"amount_usd": "1,250.75", "effective_month": "2026-11", "org_unit_id": unit_id, "provider": provider}
    answer = client.put(URL, json=body, headers=bearer(acme.admin_secret))
    assert answer.status_code == 200, answer.text
    want = budgets.status_of(session=session, tenant_id=acme.tenant.id, key=BudgetKey(unit_id, provider),
                             today=NOW.date())
    assert want is not None and want.spent_cents > 0
    got = answer.json()
    assert (got["org_unit_id"], got["provider"], got["amount_cents"], got["month"]) == (
        unit_id, provider, 125_075, "2026-11-01")
    assert (got["spent_cents"], got["spent_cents_exact"]) == (
        _whole(want.spent_cents), f"{want.spent_cents.quantize(Decimal('0.000001')):f}")
    assert got["forecast_cents"] == _whole(want.forecast.forecast_cents)
    assert got["used_pct"] == float(want.used_pct)
    assert [p["date"] for p in got["actual"]][-1] == "2026-11-18"
    assert got["projected"][-1] == {"date": "2026-11-30", "cost_cents": got["forecast_cents"],
                                    "cost_cents_exact": got["forecast_cents_exact"]}
    listed = client.get(URL, headers=bearer(acme.admin_secret)).json()
    assert listed["today"] == "2026-11-18" and listed["data"] == [got]


@pytest.mark.parametrize(("body", "param", "message"), [
    ({"amount_usd": "0"}, "amount_usd", "more than $0"),
    ({"amount_usd": "200000000"}, "amount_usd", "at most $100,000,000"),
    ({"amount_usd": "-3"}, "amount_usd", "cannot be negative"),
    ({"amount_usd": "lots"}, "amount_usd", "is not an amount in usd"),
    ({"effective_month": "2026-10"}, "effective_month", "2026-10 is past"),
    ({"effective_month": "2026-13"}, "effective_month", "is not a month"),
    ({"provider": "windsurf"}, "provider", "input should be"),
])
def test_bad_input_names_its_parameter_and_changes_nothing(client, session, world, body, param, message):
    acme, _ = world
    answer = client.put(URL, json={"amount_usd": "100", "effective_month": "2026-12"} | body,
                        headers=bearer(acme.admin_secret))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert (error["param"], error["message"].lower().startswith(f"{param}: ")) == (param, True), error
    assert message in error["message"].lower(), error
    assert session.exec(select(Budget).where(Budget.tenant_id == acme.tenant.id)).all() == []


def test_another_tenants_unit_is_not_found_and_a_budget_ends_from_a_month(client, session, world):
    acme, org = world
    other = tenant_with_tokens(session, slug="other")
    elsewhere = small_org(session, other.tenant)
    session.commit()
    answer = client.put(URL, json={"amount_usd": "10", "effective_month": "2026-12", "org_unit_id": elsewhere.core},
                        headers=bearer(acme.admin_secret))
    assert answer.status_code == 404 and "not a Live unit" in answer.json()["error"]["message"]

    headers = bearer(acme.admin_secret)
    assert client.put(URL, json={"amount_usd": "10", "effective_month": "2026-11", "org_unit_id": org.core},
                      headers=headers).status_code == 200
    gone = client.delete(f"{URL}?effective_month=2026-12&org_unit_id={org.core}", headers=headers)
    assert gone.status_code == 204, gone.text
    [listed] = client.get(URL, headers=headers).json()["data"]
    assert (listed["next_change_month"], listed["next_change_amount_cents"]) == ("2026-12-01", None)
    again = client.delete(f"{URL}?effective_month=2026-12&org_unit_id={org.core}&provider=cursor", headers=headers)
    assert again.status_code == 404
    assert client.get(URL, headers=bearer(other.admin_secret)).json()["data"] == []  # nothing leaks across tenants


def test_a_body_that_is_not_json_is_a_422_naming_the_body(client, world):
    acme, _ = world
    answer = client.put(URL, content=b"\x8f>not json", headers=bearer(acme.admin_secret) | {
        "Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["error"] == {
        "code": "invalid_parameter", "message": "body: the request body is not valid JSON.", "param": "body"}
