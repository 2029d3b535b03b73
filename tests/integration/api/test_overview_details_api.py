"""The overview's adoption, model mix and output-per-cost endpoints answer the `/ai-tooling` page's numbers (the
functions the page calls: `rollups.adoption`, `rollups.model_mix`, `rollups.output_per_cost`) after the API's only
conversion (exact cents -> whole cents, half-up), with the page's access rules: owners and admins the whole
tenant, a manager their units (no model mix: 403), anyone else 403.

Acme: Engineering (department) > Core (team) with Alice, Bob and Idle; Dana placed in Engineering itself;
stranger@acme.test's usage is matched to nobody. Records split most of their cost over a model or two.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlmodel import Session

from orgonaut.org import visibility
from orgonaut.rollups import adoption, model_mix, output_per_cost
from orgonaut.rollups.coverage import EVERYTHING, choose_period
from orgonaut.rollups.periods import tenant_today
from orgonaut.tenancy.models import Role, Tenant, UsageReach, User
from tests.integration.api.conftest import bearer
from tests.integration.api.test_overview_api import as_user  # noqa: F401 - the fixture

EVERYONE = visibility.UsageViewer(reach=UsageReach.everyone)
QUERIES = ["", "?range=last_month", "?range=3m", "?range=all", "?from=2026-10-30&to=2026-11-02",
           "?range=all&provider=claude_code", "?range=6m&provider=cursor"]


def _exact(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.000001'), rounding=ROUND_HALF_UP):f}"


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _period(session, tenant_id: int, query: str):
    args = dict(part.split("=") for part in query.lstrip("?").split("&") if part)
    today = tenant_today(session=session, tenant_id=tenant_id)
    period = choose_period(session, EVERYTHING, tenant_id=tenant_id, scenario_id=None, provider=args.get("provider"),
                           today=today, range=args.get("range") if "from" not in args else None,
                           start=dt.date.fromisoformat(args["from"]) if "from" in args else None,
                           end=dt.date.fromisoformat(args["to"]) if "to" in args else None)
    return today, period, args.get("provider")


@pytest.mark.parametrize("query", QUERIES)
def test_active_users_equal_the_pages(client, session, world, query):
    acme, _org = world
    answer = client.get(f"/api/v1/ai-tooling/overview/active-users{query}", headers=bearer(acme.admin_secret))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    today, period, provider = _period(session, acme.tenant.id, query)
    want = adoption.active_users_for(session=session, viewer=EVERYONE, tenant_id=acme.tenant.id, scenario_id=None,
                                     today=today, period=period, provider=provider)
    assert want is not None
    assert (body["start"], body["end"], body["everything"]) == (period.start.isoformat(), period.end.isoformat(), True)
    for name in ("days", "weeks", "months"):
        assert [(p["start"], p["end"], p["active_users"]) for p in body[name]] == [
            (p.start.isoformat(), p.end.isoformat(), p.users) for p in getattr(want, name)], name
    if provider != "cursor":
        assert any(p["active_users"] for p in body["days"]) or period.start == period.end


@pytest.mark.parametrize("provider", [None, "claude_code"])
def test_cohorts_equal_the_pages(client, session, world, provider):
    acme, _org = world
    query = f"?provider={provider}" if provider else ""
    body = client.get(f"/api/v1/ai-tooling/overview/cohorts{query}", headers=bearer(acme.admin_secret)).json()
    want = adoption.cohorts_for(session=session, viewer=EVERYONE, tenant_id=acme.tenant.id, scenario_id=None,
                                today=tenant_today(session=session, tenant_id=acme.tenant.id), provider=provider)
    assert want is not None and len(body["months"]) == 12
    assert [(m["month"], m["active"], m["new"], m["retained"], m["reactivated"], m["lapsed"]) for m in body["months"]] \
        == [(c.month.isoformat(), c.active, c.new, c.retained, c.reactivated, c.lapsed) for c in want]
    # Alice, Bob and Dana started in September (the org's usage starts 20 September 2026).
    september = next(m for m in body["months"] if m["month"] == "2026-09-01")
    assert (september["active"], september["new"]) == (3, 3)


@pytest.mark.parametrize("query", QUERIES)
def test_the_model_mix_equals_the_pages(client, session, world, query):
    acme, _org = world
    answer = client.get(f"/api/v1/ai-tooling/overview/model-mix{query}", headers=bearer(acme.admin_secret))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    today, period, provider = _period(session, acme.tenant.id, query)
    costs = model_mix.model_costs_for(session=session, viewer=EVERYONE, tenant_id=acme.tenant.id, scenario_id=None,
                                      today=today, provider=provider)
    assert costs is not None
    want = costs.within(period)  # the page cuts its range from "all" like this
    assert (body["cost_cents"], body["cost_cents_exact"]) == (_whole(want.total_cents), _exact(want.total_cents))
    assert [(r["label"], r["kind"], r["providers"], r["models"], r["cost_cents_exact"], r["share_pct"])
            for r in body["rows"]] == [
        (r.label, r.kind, list(r.providers), r.models, _exact(r.cost_cents),
         None if r.share_pct is None else float(r.share_pct)) for r in want.rows]
    assert sum(Decimal(r["cost_cents_exact"]) for r in body["rows"]) == Decimal(body["cost_cents_exact"])
    if provider != "cursor" and query:
        assert {r["label"] for r in body["rows"]} >= {"claude-sonnet", "Not split by model"}


@pytest.mark.parametrize("query", QUERIES)
def test_output_per_cost_equals_the_pages(client, session, world, query):
    acme, _org = world
    answer = client.get(f"/api/v1/ai-tooling/overview/output-per-cost{query}", headers=bearer(acme.admin_secret))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    today, period, provider = _period(session, acme.tenant.id, query)
    days = output_per_cost.output_days_for(session=session, viewer=EVERYONE, tenant_id=acme.tenant.id,
                                           scenario_id=None, today=today, provider=provider)
    assert days is not None
    want = days.within(period).rates
    assert [(r["metric"], r["amount"], r["cost_cents_exact"], r["per_dollar"], r["providers"], r["left_out"])
            for r in body["rates"]] == [
        (r.metric, r.amount, _exact(r.cost_cents), None if r.per_dollar is None else f"{r.per_dollar:f}",
         list(r.providers), list(r.left_out)) for r in want]
    if provider != "cursor":
        assert body["rates"][0]["providers"] == ["claude_code"] and body["rates"][0]["per_dollar"] is not None


def _user(session: Session, tenant: Tenant, email: str, role: Role) -> User:
    user = User(tenant_id=tenant.id, email=email, role=role, password_hash="!")
    session.add(user)
    session.commit()
    return user


ROUTES = ("/ai-tooling/overview/active-users", "/ai-tooling/overview/cohorts", "/ai-tooling/overview/model-mix",
          "/ai-tooling/overview/output-per-cost")


def test_who_may_read_them(session, world, as_user):  # noqa: F811 - the imported fixture
    acme, org = world
    for email, role in (("alice@acme.test", Role.member), ("stranger@acme.test", Role.manager)):
        client = as_user(_user(session, acme.tenant, email, role), acme.tenant)
        for route in ROUTES:
            answer = client.get(route)
            assert answer.status_code == 403, (email, route, answer.text)
            assert answer.json()["error"]["code"] == "overview_not_visible"
    # Bob manages Core: its usage; the model mix is the whole tenant's only.
    bob = as_user(_user(session, acme.tenant, "bob@acme.test", Role.manager), acme.tenant)
    manager = visibility.UsageViewer(reach=UsageReach.scope, scope_unit_ids=frozenset({org.core}))
    today = tenant_today(session=session, tenant_id=acme.tenant.id)
    cohorts = bob.get("/ai-tooling/overview/cohorts").json()
    want = adoption.cohorts_for(session=session, viewer=manager, tenant_id=acme.tenant.id, scenario_id=None,
                                today=today)
    assert want is not None and cohorts["everything"] is False
    assert [m["active"] for m in cohorts["months"]] == [c.active for c in want]
    assert max(m["active"] for m in cohorts["months"]) == 2  # Alice and Bob, not Dana
    output = bob.get("/ai-tooling/overview/output-per-cost?range=3m").json()
    assert output["everything"] is False and output["rates"][0]["amount"] > 0
    refused = bob.get("/ai-tooling/overview/model-mix")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "model_mix_not_visible"


@pytest.mark.parametrize(("query", "param"), [
    ("/overview/active-users?range=week", "range"), ("/overview/model-mix?from=2026-11-01", "to"),
    ("/overview/output-per-cost?from=2026-11-03&to=2026-11-01", "from"),
    ("/overview/cohorts?provider=nope", "provider"),
])
def test_bad_parameters_are_422_naming_the_parameter(client, world, query, param):
    acme, _org = world
    answer = client.get(f"/api/v1/ai-tooling{query}", headers=bearer(acme.admin_secret))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["param"] == param
