"""Spend anomalies (`spend.anomalies`) on the run's database.

- On the Claude Code simulator's data synced over HTTP (40 people in one team, 44 days): quiet data gives
  no anomaly at all; two planted spikes (a `change` revision x15 of one person's day) are found, exactly
  those two, with the ratio and the model their records say.
- On hand-made data: a day that the whole team spent as much is no anomaly (the team check); detection
  stores, notifies owners, admins and the person's manager once, keeps quiet within the cooldown, and a
  revised day that is no longer unusual drops out.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.notify.models import Category, Notification
from orgonaut.org import visibility
from orgonaut.org.models import Actor, OrgUnitKind
from orgonaut.rollups import service as rollups
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.spend import anomalies
from orgonaut.spend.models import SpendAnomaly
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_sync_runs import backfill
from tests.integration.rollups import builders as b
from tests.support.simulator import clean_simulator, simulator  # noqa: F401 - the fixtures

START, END = dt.date(2025, 2, 1), dt.date(2025, 3, 16)
LOOK = (dt.date(2025, 3, 3), END)  # the last two weeks: each day has 28 days of history before it


def _synced_team(session, sim):
    tenant = make_tenant(session)
    team = b.unit(session, tenant, "Core")
    for email in DEFAULT_ROSTER:
        b.place(session, b.actor(session, tenant, email.split("@")[0], email=email), team, dt.date(2024, 1, 1))
    session.commit()
    integration = connect(session, tenant, sim.base_url)
    assert backfill(session, integration, START, END).status == "succeeded"
    rollups.rebuild(session=session, tenant_id=tenant.id)
    session.commit()
    return tenant


def _spender(sim, day: dt.date) -> tuple[str, Decimal]:
    """The person with the day's largest cost in the simulator's truth (so the spike is of a real day)."""
    totals: dict[str, Decimal] = {}
    for row in sim.truth(day)["data"]:
        email = row["actor"].get("email_address")
        if email:
            cost = sum((Decimal(str(m["estimated_cost"]["amount"])) for m in row["model_breakdown"]), Decimal(0))
            totals[email.lower()] = totals.get(email.lower(), Decimal(0)) + cost
    email = max(totals, key=lambda e: totals[e])
    return email, totals[email]


def test_quiet_simulator_data_has_no_anomaly(session, clean_simulator):  # noqa: F811
    tenant = _synced_team(session, clean_simulator)
    assert anomalies.find(session=session, tenant_id=tenant.id, first=LOOK[0], last=LOOK[1]) == []


def test_planted_spikes_in_the_simulators_data_are_found_and_nothing_else(session, clean_simulator):  # noqa: F811
    planted = {}
    for day in (dt.date(2025, 3, 11), dt.date(2025, 3, 13)):
        email, cost = _spender(clean_simulator, day)
        assert clean_simulator.revise(date=day, action="change", email=email, factor=15)["records"] >= 1
        planted[(email, day)] = cost * 15
    tenant = _synced_team(session, clean_simulator)
    found = anomalies.find(session=session, tenant_id=tenant.id, first=LOOK[0], last=LOOK[1])
    emails = {p.id: p.email for p in session.exec(select(Actor).where(Actor.tenant_id == tenant.id))}
    assert {(emails[f.actor_id], f.day) for f in found} == set(planted)
    for f in found:
        assert f.provider == "claude_code" and f.cost_cents == planted[(emails[f.actor_id], f.day)]
        assert f.verdict.ratio == (f.cost_cents / max(f.verdict.baseline_cents, anomalies.MIN_SPREAD_CENTS)).quantize(
            Decimal("0.1"))
        assert f.model.startswith("claude-") and f.team_median_cents is not None


# --- hand-made data ------------------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 17)
NOW = dt.datetime(2026, 12, 17, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def team(session):
    tenant = make_tenant(session)
    unit = b.unit(session, tenant, "Core", kind=OrgUnitKind.team)
    people = {name: b.actor(session, tenant, name) for name in ("Ann", "Ben", "Cid", "Dee")}
    for person in people.values():
        b.place(session, person, unit, dt.date(2026, 1, 1))
    day = TODAY - dt.timedelta(days=40)
    while day < TODAY:
        for n, person in enumerate(people.values()):
            if day.weekday() < 5:
                b.usage(session, tenant, person, day, cost=Decimal(800 + 37 * n + day.day))  # about $8 a day
        day += dt.timedelta(days=1)
    admin = make_user(session, tenant, role=Role.admin)
    manager = make_user(session, tenant, role=Role.manager, email="dee@example.test")  # Dee manages Core
    session.commit()
    return tenant, people, admin, manager


def _set_cost(session, tenant, person, day: dt.date, cents: int) -> None:
    from orgonaut.ai_tooling.models import AiToolUsageRecord

    record = session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.actor_id == person.id,
                                                          AiToolUsageRecord.usage_date == day)).one()
    record.total_cost_cents = Decimal(cents)
    record.model_breakdown = [{"model": "claude-opus-4", "estimated_cost": {"currency": "USD", "amount": "9000"}},
                              {"model": "claude-haiku-4", "estimated_cost": {"currency": "USD", "amount": "12"}}]
    session.add(record)
    session.commit()


def _detect(session, tenant):
    with clock.frozen_at(NOW):
        rollups.rebuild(session=session, tenant_id=tenant.id)
        new = anomalies.detect(session=session, tenant_id=tenant.id, today=TODAY)
        session.commit()
    return new


def test_a_day_the_whole_team_spent_alike_is_no_anomaly(session, team):
    tenant, people, _, _ = team
    day = TODAY - dt.timedelta(days=1)  # Wednesday
    for person in people.values():
        _set_cost(session, tenant, person, day, 9_000)
    assert _detect(session, tenant) == []
    _set_cost(session, tenant, people["Ann"], day, 40_000)  # now Ann alone is far above the others too
    [found] = _detect(session, tenant)
    assert (found.actor_id, found.usage_date, found.model) == (people["Ann"].id, day, "claude-opus-4")
    assert found.team_median_cents == Decimal(9_000)


def test_detection_notifies_once_keeps_quiet_in_the_cooldown_and_drops_a_revised_day(session, team):
    tenant, people, admin, manager = team
    monday, wednesday = TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=1)
    _set_cost(session, tenant, people["Ben"], monday, 12_000)
    [first] = _detect(session, tenant)
    assert (first.actor_id, first.usage_date, first.cost_cents) == (people["Ben"].id, monday, Decimal(12_000))
    notes = session.exec(select(Notification).where(Notification.tenant_id == tenant.id)).all()
    assert sorted(n.user_id for n in notes) == sorted([admin.id, manager.id])
    assert {n.category for n in notes} == {Category.anomalies}
    assert notes[0].title == f"Unusual AI spend: Ben on {monday:%-d %b}"
    assert notes[0].link == f"/people/{people['Ben'].id}"
    assert _detect(session, tenant) == []  # found again, not new: nothing more

    _set_cost(session, tenant, people["Ben"], wednesday, 15_000)
    [second] = _detect(session, tenant)
    assert second.usage_date == wednesday and second.notified_at is None  # within the cooldown: listed only
    assert len(session.exec(select(Notification).where(Notification.tenant_id == tenant.id)).all()) == 2

    viewer = visibility.viewer_for(session=session, user=admin, scenario_id=None)
    listed = anomalies.list_recent(session=session, tenant_id=tenant.id, viewer=viewer, today=TODAY)
    assert [(a.name, a.day) for a in listed] == [("Ben", wednesday), ("Ben", monday)]

    _set_cost(session, tenant, people["Ben"], monday, 850)  # the vendor revised Monday: an ordinary day
    _detect(session, tenant)
    rows = session.exec(select(SpendAnomaly).where(SpendAnomaly.tenant_id == tenant.id)).all()
    assert [(r.actor_id, r.usage_date) for r in rows] == [(people["Ben"].id, wednesday)]
