"""Idle seats (`spend.idle_seats`) on the run's database: Copilot seat days written as a sync stores them
(`provider_metrics.plan_type` and the day's `seat_cost_cents`), with activity on some days.

Today is 17 December 2026. Over the last 60 days: Ann holds a seat and used it 10 days ago; Ben used his 40
days ago; Cid never used his; Dee's seat is 10 days old; Eve's seat ended 20 days ago; Fay is inactive; Gus's
first placement is 5 days old. Everyone but Gus is placed in Core since January.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.errors import ValidationFailed
from orgonaut.org import visibility
from orgonaut.org.models import ActorStatus
from orgonaut.spend import idle_seats
from orgonaut.tenancy.models import Role, UsageReach
from tests.factories import make_tenant, make_user
from tests.integration.rollups import builders as b

TODAY = dt.date(2026, 12, 17)
EVERYONE = visibility.UsageViewer(reach=UsageReach.everyone)
SEAT_DAY = {"business": Decimal("61.290322"), "enterprise": Decimal("125.806451")}


def _day(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def world(session):
    tenant = make_tenant(session)
    core = b.unit(session, tenant, "Core")
    plans = {"Ann": "business", "Ben": "enterprise", "Cid": "business", "Dee": "business", "Eve": "business",
             "Fay": "business", "Gus": "business"}
    seat_days = {name: range(1, 61) for name in plans}
    seat_days["Dee"], seat_days["Eve"] = range(1, 11), range(20, 61)
    active = {"Ann": {10, 45}, "Ben": {40, 50}}
    people = {}
    for name, plan in plans.items():
        person = b.actor(session, tenant, name)
        people[name] = person
        b.place(session, person, core, _day(5) if name == "Gus" else dt.date(2026, 1, 1))
        for n in seat_days[name]:
            used = n in active.get(name, set())
            session.add(AiToolUsageRecord(
                tenant_id=tenant.id, provider="copilot", scope_key=0, source_email=f"github:{person.id}",
                usage_date=_day(n), actor_id=person.id, total_cost_cents=SEAT_DAY[plan],
                provider_metrics={"interactions": 4 if used else 0, "code_generations": 2 if used else 0,
                                  "used_chat": used, "plan_type": plan, "seat_cost_cents": str(SEAT_DAY[plan])}))
    people["Fay"].status = ActorStatus.inactive
    session.add(people["Fay"])
    manager = make_user(session, tenant, role=Role.manager, email="ann@example.test")
    session.commit()
    return tenant, people, manager


def test_idle_seats_are_the_unused_current_seats_of_people_who_had_the_whole_window(session, world):
    tenant, people, _ = world
    seats = idle_seats.find(session=session, tenant_id=tenant.id, viewer=EVERYONE, today=TODAY)
    assert [(s.name, s.plan, s.last_used, s.monthly_cost_cents) for s in seats] == [
        ("Ben", "enterprise", _day(40), SEAT_DAY["enterprise"] * 30),
        ("Cid", "business", None, SEAT_DAY["business"] * 30),
    ]
    assert idle_seats.total_cents(seats) == SEAT_DAY["enterprise"] * 30 + SEAT_DAY["business"] * 30
    # Over 60 days Ben used his seat (40 days ago) and Cid's seat is no older than the window: nobody.
    assert idle_seats.find(session=session, tenant_id=tenant.id, viewer=EVERYONE, days=60, today=TODAY) == []
    # Over 7 days Ann (last used 10 days ago) and Dee (a 10-day-old seat, never used) are idle too.
    assert {s.name for s in idle_seats.find(session=session, tenant_id=tenant.id, viewer=EVERYONE, days="7",
                                            today=TODAY)} == {"Ann", "Ben", "Cid", "Dee"}


def test_a_manager_sees_the_idle_seats_of_their_people_and_bad_windows_are_refused(session, world):
    tenant, _, manager = world
    viewer = visibility.viewer_for(session=session, user=manager, scenario_id=None)
    assert [s.name for s in idle_seats.find(session=session, tenant_id=tenant.id, viewer=viewer, today=TODAY)] == [
        "Ben", "Cid"]  # Ann manages Core: its people
    for bad, message in (("3", "7 to 180 days"), ("999", "7 to 180 days"), ("month", "not a number")):
        with pytest.raises(ValidationFailed, match=message):
            idle_seats.find(session=session, tenant_id=tenant.id, viewer=EVERYONE, days=bad, today=TODAY)


def test_the_page_and_the_api_list_the_same_seats_and_the_csv_is_the_table(session, world):
    import csv
    import io

    from starlette.testclient import TestClient

    from orgonaut import clock
    from orgonaut.api.app import create_app
    from orgonaut.ui import routes
    from orgonaut.ui.auth import AuthState
    from orgonaut.ui.pages.idle_seats import IdleSeatsState, seats_csv
    from tests.integration.api.conftest import bearer, new_token
    from tests.integration.ui.conftest import Tab, login_token

    tenant, people, manager = world
    admin = make_user(session, tenant, role=Role.admin)
    secret = new_token(session, admin)
    session.commit()
    with clock.frozen_at(dt.datetime(2026, 12, 17, 9, 0, tzinfo=dt.UTC)):
        tab = Tab(login_token(session, admin.email))
        tab.route(routes.AI_SEATS, f"{routes.AI_SEATS}?days=7", days="7")
        tab.state(AuthState).require_login()
        page = tab.state(IdleSeatsState)
        page.load()
        assert page.days == "7" and [r.name for r in page.rows] == ["Ben", "Ann", "Cid", "Dee"]
        assert page.rows[0].last_used == f"{_day(40):%-d %b %Y}" and page.rows[2].last_used == "never"
        want = idle_seats.find(session=session, tenant_id=tenant.id, viewer=EVERYONE, days=7, today=TODAY)
        assert page.total == f"${idle_seats.total_cents(want) / 100:,.2f}"
        rows = list(csv.DictReader(io.StringIO(seats_csv(page._seats))))
        assert [(r["person"], r["plan"]) for r in rows] == [(s.name, s.plan) for s in want]
        assert page.download() is not None

        client = TestClient(create_app())
        body = client.get("/api/v1/ai-tooling/idle-seats?days=7", headers=bearer(secret)).json()
        assert [(s["name"], s["monthly_cost_cents_exact"]) for s in body["data"]] == [
            (s.name, f"{s.monthly_cost_cents:f}") for s in want]
        assert body["total_cents_exact"] == f"{idle_seats.total_cents(want):f}"
        assert client.get("/api/v1/ai-tooling/idle-seats?days=3", headers=bearer(secret)).status_code == 422

        member = make_user(session, tenant, role=Role.member, email="cid@example.test")
        session.commit()
        tab = Tab(login_token(session, member.email))
        tab.route(routes.AI_SEATS, routes.AI_SEATS)
        tab.state(AuthState).require_login()
        refused = tab.state(IdleSeatsState)
        refused.load()
        assert refused.note == "Idle seats are shown to managers, admins and owners." and refused.rows == []
