"""Seat lists (`ai_tooling.seats`) read from the simulators over HTTP, and the idle seats they make.

Each vendor's list is read independently here (GitHub's seats pages, Cursor's members, Claude Enterprise's
users of the latest served day) and compared with what was stored; then Cursor's list meets hand-made usage
records: a member who used Cursor in the window holds no idle seat, one who used it 50 days ago or never
does (with the admin's seat price), one placed inside the window or inactive is left out. A vendor that
refuses the list leaves the last list in place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

from orgonaut.ai_tooling import seats, service
from orgonaut.ai_tooling.models import AiToolSeat, AiToolUsageRecord
from orgonaut.ai_tooling.providers.base import ProviderError
from orgonaut.org import visibility
from orgonaut.org.models import ActorStatus
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import idle_seats
from orgonaut.tenancy.models import UsageReach
from tests.integration.rollups import builders as b
from tests.support.claude_enterprise_simulator import VALID_ENTERPRISE_KEY, source_of
from tests.support.cursor_simulator import VALID_CURSOR_KEY, cursor_auth
from tests.support.github_simulator import VALID_GITHUB_TOKEN

EVERYONE = visibility.UsageViewer(reach=UsageReach.everyone)


def _stored(session, integration_id: int) -> dict[str, AiToolSeat]:
    session.expire_all()
    return {s.source: s for s in session.exec(select(AiToolSeat).where(AiToolSeat.integration_id == integration_id))}


def _cursor_members(base_url: str) -> list[dict]:
    answer = httpx.get(f"{base_url}/teams/members", auth=cursor_auth(), timeout=10).raise_for_status().json()
    return answer["teamMembers"]


def _connect_cursor(session, tenant, base_url: str, seat_usd: str = "40"):
    integration = service.connect(session=session, tenant_id=tenant.id, provider="cursor", api_base=base_url,
                                  credentials={"api_key": VALID_CURSOR_KEY, "seat_usd": seat_usd}, baseline=True)
    session.commit()
    return integration


def test_cursor_seats_are_the_current_paying_members(session, tenant, clean_cursor_simulator):
    integration = _connect_cursor(session, tenant, clean_cursor_simulator.base_url)
    members = _cursor_members(clean_cursor_simulator.base_url)
    paying = {m["email"].lower() for m in members if not m.get("isRemoved") and m["role"] != "free-owner"}
    assert paying and len(paying) < len(members)  # the simulator has removed members and free owners

    assert seats.refresh(session=session, integration=integration) == len(paying)
    session.commit()
    stored = _stored(session, integration.id)
    assert set(stored) == paying
    assert {(s.provider, s.plan, s.monthly_price_cents) for s in stored.values()} == {
        ("cursor", "Cursor", Decimal("4000"))}


def test_a_refused_read_keeps_the_last_list(session, tenant, clean_cursor_simulator):
    integration = _connect_cursor(session, tenant, clean_cursor_simulator.base_url)
    seats.refresh(session=session, integration=integration)
    session.commit()
    before = {source: seat.read_at for source, seat in _stored(session, integration.id).items()}
    clean_cursor_simulator.set_faults([{"mode": "status", "status": 401, "path": "/teams/members", "count": 5}])
    with pytest.raises(ProviderError):
        seats.refresh(session=session, integration=integration)
    session.rollback()
    assert {source: seat.read_at for source, seat in _stored(session, integration.id).items()} == before


def test_copilot_seats_are_those_held_today_priced_by_plan(session, tenant, clean_github_simulator):
    integration = service.connect(
        session=session, tenant_id=tenant.id, provider="copilot", api_base=clean_github_simulator.base_url,
        credentials={"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
                     "business_seat_usd": "19", "enterprise_seat_usd": "39"}, baseline=True)
    session.commit()
    listed, page = [], 1
    while True:
        answer = httpx.get(f"{clean_github_simulator.base_url}/orgs/orgonaut-sim/copilot/billing/seats",
                           params={"page": page, "per_page": 100}, timeout=10,
                           headers={"Authorization": f"Bearer {VALID_GITHUB_TOKEN}"}).raise_for_status().json()
        listed += answer["seats"]
        if len(answer["seats"]) < 100:
            break
        page += 1
    today = dt.datetime.now(dt.UTC).date()
    def held_today(seat: dict) -> bool:
        ends = seat.get("pending_cancellation_date")
        began = dt.date.fromisoformat(seat["created_at"][:10])
        return began <= today and (not ends or today < dt.date.fromisoformat(ends))

    held = {f"github:{s['assignee']['id']}": s for s in listed if s.get("assignee") and held_today(s)}
    assert held

    seats.refresh(session=session, integration=integration)
    session.commit()
    stored = _stored(session, integration.id)
    assert set(stored) == set(held)
    for source, seat in stored.items():
        vendor = held[source]
        assert seat.label == f"@{vendor['assignee']['login']}"
        assert seat.monthly_price_cents == (3900 if vendor.get("plan_type") == "enterprise" else 1900)
        assert seat.held_since == dt.date.fromisoformat(vendor["created_at"][:10])


def test_claude_enterprise_seats_are_the_users_of_the_latest_served_day(
    session, tenant, clean_claude_enterprise_simulator,
):
    base_url = clean_claude_enterprise_simulator.base_url
    integration = service.connect(session=session, tenant_id=tenant.id, provider="claude_enterprise",
                                  api_base=base_url, credentials={"api_key": VALID_ENTERPRISE_KEY}, baseline=True)
    session.commit()
    latest = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
    truth = httpx.get(f"{base_url}/_sim/truth", params={"date": latest.isoformat()}, timeout=10).raise_for_status()
    users = {source_of(row["user"]["id"], row["user"]["email_address"]) for row in truth.json()["users"]}
    assert users

    seats.refresh(session=session, integration=integration)
    session.commit()
    stored = _stored(session, integration.id)
    assert set(stored) == users
    assert {(s.plan, s.monthly_price_cents) for s in stored.values()} == {("Enterprise", None)}  # no price given


def test_idle_cursor_seats_follow_the_list_and_the_records(session, tenant, clean_cursor_simulator):
    integration = _connect_cursor(session, tenant, clean_cursor_simulator.base_url)
    paying = sorted(m["email"].lower() for m in _cursor_members(clean_cursor_simulator.base_url)
                    if not m.get("isRemoved") and m["role"] != "free-owner")
    assert len(paying) >= 5
    today = tenant_today(session=session, tenant_id=tenant.id)
    core = b.unit(session, tenant, "Core")
    names = ["recent", "long_ago", "never", "newcomer", "on_leave"]
    people = {name: b.actor(session, tenant, name, email=email) for name, email in zip(names, paying, strict=False)}
    for name, person in people.items():
        b.place(session, person, core, today - dt.timedelta(days=5) if name == "newcomer" else dt.date(2025, 1, 1))
    people["on_leave"].status = ActorStatus.inactive
    session.add(people["on_leave"])
    for name, ago in (("recent", 3), ("long_ago", 50), ("newcomer", 40), ("on_leave", 60)):
        session.add(AiToolUsageRecord(
            tenant_id=tenant.id, provider="cursor", scope_key=0, source_email=people[name].email,
            usage_date=today - dt.timedelta(days=ago), actor_id=people[name].id, integration_id=integration.id,
            total_cost_cents=Decimal("12.5")))
    session.commit()
    seats.refresh(session=session, integration=integration)
    session.commit()

    found = idle_seats.find(session=session, tenant_id=tenant.id, viewer=EVERYONE, days=30, today=today)
    assert [(s.name, s.provider, s.last_used, s.monthly_cost_cents) for s in found] == [
        ("long_ago", "cursor", today - dt.timedelta(days=50), Decimal("4000")),
        ("never", "cursor", None, Decimal("4000")),
    ]
    assert idle_seats.total_cents(found) == Decimal("8000")
    # Members matched to nobody hold seats too, but name no person to reclaim from: they are not listed.
    assert len(_stored(session, integration.id)) > len(people)


def test_an_unpriced_idle_seat_is_said_so_on_the_page_and_in_the_api(session, tenant, clean_cursor_simulator):
    from starlette.testclient import TestClient

    from orgonaut.api.app import create_app
    from orgonaut.tenancy.models import Role
    from orgonaut.ui import routes
    from orgonaut.ui.auth import AuthState
    from orgonaut.ui.pages.idle_seats import NO_PRICE, IdleSeatsState, seats_csv
    from tests.factories import make_user
    from tests.integration.api.conftest import bearer, new_token
    from tests.integration.ui.conftest import Tab, login_token

    integration = _connect_cursor(session, tenant, clean_cursor_simulator.base_url, seat_usd="")
    [email] = [m["email"].lower() for m in _cursor_members(clean_cursor_simulator.base_url)
               if not m.get("isRemoved") and m["role"] != "free-owner"][:1]
    b.place(session, b.actor(session, tenant, "Idle Ida", email=email), b.unit(session, tenant, "Core"),
            dt.date(2025, 1, 1))
    admin = make_user(session, tenant, role=Role.admin)
    secret = new_token(session, admin)
    session.commit()
    seats.refresh(session=session, integration=integration)
    session.commit()

    tab = Tab(login_token(session, admin.email))
    tab.route(routes.AI_SEATS, routes.AI_SEATS)
    tab.state(AuthState).require_login()
    page = tab.state(IdleSeatsState)
    page.load()
    assert [(r.name, r.cost) for r in page.rows] == [("Idle Ida", NO_PRICE)]
    assert page.total == "$0.00" and page.unpriced_note.startswith("1 idle seat without a price")
    assert page.can_read_seats
    assert seats_csv(page._seats).splitlines()[1].endswith(",cursor,Cursor,,")
    body = TestClient(create_app()).get("/api/v1/ai-tooling/idle-seats", headers=bearer(secret)).json()
    assert [(s["name"], s["monthly_cost_cents"], s["monthly_cost_cents_exact"]) for s in body["data"]] == [
        ("Idle Ida", None, None)]
