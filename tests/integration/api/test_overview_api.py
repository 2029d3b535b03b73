"""The overview endpoints answer the numbers of the `/ai-tooling` page (`rollups.overview`, the
functions the page calls), after the API's only conversion (exact cents -> whole cents, half-up), with
the page's access rules: owners and admins the whole tenant, a manager their units, anyone else 403.

Acme: Engineering (department) > Core (team) with Alice, Bob and Idle; Dana placed in Engineering
itself; stranger@acme.test's usage is matched to nobody.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlmodel import Session

from orgonaut.org import visibility
from orgonaut.rollups import overview as ov
from orgonaut.rollups import spend_series
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Ability, Role, Tenant, UsageReach, User
from tests.integration.api.conftest import bearer

EVERYONE = visibility.UsageViewer(reach=UsageReach.everyone)


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _exact(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.000001'), rounding=ROUND_HALF_UP):f}"


def _check_figures(got: dict, want: ov.SpendFigures) -> None:
    for name in ("mtd_cost_cents", "last_month_cost_cents", "month_before_cost_cents", "change_cents",
                 "forecast_cents"):
        value = getattr(want, name)
        assert (got[name], got[f"{name}_exact"]) == (_whole(value), _exact(value)), name
    assert (got["active_users"], got["ever_users"]) == (want.active_users, want.ever_users)
    per_user = want.cost_per_active_user_cents
    assert got["cost_per_active_user_cents"] == (None if per_user is None else _whole(per_user))
    assert got["change_pct"] == (None if want.change_pct is None else float(round(want.change_pct, 2)))


@pytest.mark.parametrize("provider", [None, "claude_code", "cursor"])
def test_the_cards_equal_the_pages_numbers(client, session, world, provider):
    acme, org = world
    query = f"?provider={provider}" if provider else ""
    answer = client.get(f"/api/v1/ai-tooling/overview{query}", headers=bearer(acme.admin_secret))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    want = ov.overview_for(session=session, viewer=EVERYONE, tenant_id=acme.tenant.id, scenario_id=None,
                           provider=provider)
    assert want is not None
    assert (body["everything"], body["provider"], body["headcount"], body["today"]) == (
        True, provider, want.headcount, want.today.isoformat())
    _check_figures(body["total"], want.total)
    assert [p["provider"] for p in body["by_provider"]] == [key for key, _ in want.by_provider]
    for got, (_, figures) in zip(body["by_provider"], want.by_provider, strict=True):
        _check_figures(got, figures)
    assert body["unmatched"]["all_time_cost_cents_exact"] == _exact(want.unmatched.all_time_cost_cents)
    assert body["all_time_cost_cents_exact"] == _exact(want.all_time_cost_cents)
    if provider != "cursor":  # the small org's usage is Claude Code's, the stranger's unmatched
        assert want.total.mtd_cost_cents > 0 and want.unmatched.all_time_cost_cents > 0
        assert body["total"]["active_users"] == 3 and body["headcount"] == 4
    else:
        assert body["by_provider"] == [] and body["total"]["mtd_cost_cents"] == 0


@pytest.mark.parametrize("query", ["", "?range=last_month", "?range=3m", "?range=6m", "?range=all",
                                   "?from=2026-10-30&to=2026-11-02", "?range=all&provider=claude_code"])
def test_the_series_equals_the_pages_trend(client, session, world, query):
    acme, org = world
    answer = client.get(f"/api/v1/ai-tooling/overview/series{query}", headers=bearer(acme.admin_secret))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    args = dict(part.split("=") for part in query.lstrip("?").split("&") if part)
    want = spend_series.series_for(session=session, viewer=EVERYONE, tenant_id=acme.tenant.id, scenario_id=None,
                         range=args.get("range") if "from" not in args else None,
                         start=dt.date.fromisoformat(args["from"]) if "from" in args else None,
                         end=dt.date.fromisoformat(args["to"]) if "to" in args else None,
                         provider=args.get("provider"))
    assert want is not None
    assert (body["start"], body["end"]) == (want.period.start.isoformat(), want.period.end.isoformat())
    assert [(d["date"], d["cost_cents_exact"], [(p["provider"], p["cost_cents_exact"]) for p in d["by_provider"]])
            for d in body["days"]] == [
        (d.date.isoformat(), _exact(d.cost_cents), [(k, _exact(c)) for k, c in d.cost_by_provider]) for d in want.days]
    assert [(m["month"], m["cost_cents_exact"]) for m in body["months"]] == [
        (m.month.isoformat(), _exact(m.cost_cents)) for m in want.months]
    # The months hold exactly the days.
    assert sum(Decimal(m["cost_cents_exact"]) for m in body["months"]) == sum(
        Decimal(d["cost_cents_exact"]) for d in body["days"])


def test_the_top_units_equal_the_pages_and_the_limit_applies(client, session, world):
    acme, org = world
    body = client.get("/api/v1/ai-tooling/overview/top-units", headers=bearer(acme.admin_secret)).json()
    want = ov.overview_for(session=session, viewer=EVERYONE, tenant_id=acme.tenant.id, scenario_id=None)
    assert want is not None
    units = body["departments"] + body["teams"]
    assert [(u["org_unit_id"], u["kind"], u["mtd_cost_cents_exact"], u["previous_cost_cents_exact"],
             u["change_cents_exact"], u["last_month_cost_cents_exact"]) for u in units] == [
        (u.org_unit_id, u.kind.value, _exact(u.mtd_cost_cents), _exact(u.last_month_same_days_cost_cents),
         _exact(u.change_cents), _exact(u.last_month_cost_cents)) for u in want.top_departments + want.top_teams]
    assert [u["org_unit_id"] for u in body["departments"]] == [org.engineering]
    assert [u["org_unit_id"] for u in body["teams"]] == [org.core]
    limited = client.get("/api/v1/ai-tooling/overview/top-units?limit=1", headers=bearer(acme.admin_secret))
    assert limited.status_code == 200 and len(limited.json()["teams"]) == 1


@pytest.mark.parametrize(("query", "param"), [
    ("/overview/series?range=week", "range"), ("/overview/series?range=mtd&from=2026-11-01&to=2026-11-02", "range"),
    ("/overview/series?from=2026-11-01", "to"), ("/overview/series?from=2026-11-03&to=2026-11-01", "from"),
    ("/overview/top-units?limit=0", "limit"), ("/overview?provider=nope", "provider"),
    ("/overview?scenario=999999", "scenario"),
])
def test_bad_parameters_are_422_naming_the_parameter(client, world, query, param):
    acme, _org = world
    answer = client.get(f"/api/v1/ai-tooling{query}", headers=bearer(acme.admin_secret))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["param"] == param


def _user(session: Session, tenant: Tenant, email: str, role: Role) -> User:
    user = User(tenant_id=tenant.id, email=email, role=role, password_hash="!")
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def as_user(frozen):
    """A client whose every request is `user`'s with every ability: only the visibility rule decides
    (today only owners' and admins' tokens carry ai-tooling.manage; see test_usage_visibility)."""
    from starlette.testclient import TestClient

    from orgonaut.api.app import create_api
    from orgonaut.api.deps import current_token

    clients = []

    def make(user: User, tenant: Tenant):
        api = create_api()
        api.dependency_overrides[current_token] = lambda: tokens.TokenAccess(
            token_id=0, tenant=tenant, user=user, abilities=frozenset(Ability))
        clients.append(TestClient(api))
        return clients[-1]

    yield make
    for c in clients:
        c.close()


ROUTES = ("/ai-tooling/overview", "/ai-tooling/overview/series", "/ai-tooling/overview/top-units")


def test_members_and_managers_without_a_scope_are_refused_and_a_manager_sees_their_units(session, world, as_user):
    acme, org = world
    for email, role in (("alice@acme.test", Role.member), ("stranger@acme.test", Role.manager)):
        client = as_user(_user(session, acme.tenant, email, role), acme.tenant)
        for route in ROUTES:
            answer = client.get(route)
            assert answer.status_code == 403, (email, route, answer.text)
            assert answer.json()["error"]["code"] == "overview_not_visible"
    # Bob manages Core only: Core's usage, no unmatched usage, no department.
    bob = as_user(_user(session, acme.tenant, "bob@acme.test", Role.manager), acme.tenant)
    cards = bob.get("/ai-tooling/overview").json()
    want = ov.overview(session=session, tenant_id=acme.tenant.id, scenario_id=None, unit_ids={org.core},
                       headcount_actor_ids={org.alice, org.bob, org.idle})
    assert cards["everything"] is False and cards["headcount"] == 3
    _check_figures(cards["total"], want.total)
    assert cards["unmatched"]["all_time_cost_cents"] == 0
    top = bob.get("/ai-tooling/overview/top-units").json()
    assert top["departments"] == [] and [u["org_unit_id"] for u in top["teams"]] == [org.core]
    series = bob.get("/ai-tooling/overview/series?range=3m").json()
    assert sum(Decimal(d["cost_cents_exact"]) for d in series["days"]) > 0
