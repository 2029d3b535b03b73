"""The overview's adoption, model mix and output per cost on a hand-made org whose numbers are worked out
here by hand (the random org of `test_adoption_properties.py` checks them against brute force).

Acme > Engineering (department) > Core (team). Today is 12 January 2025 (UTC).
- Ann (Core): Claude Code in October, November and January (not December): new in October, retained in
  November, lapsed in December, reactivated in January.
- Ben (Engineering itself): Cursor in December and January: new in December, retained in January.
- Cat (nowhere placed): Claude Code on 6 January only: new in January; the whole tenant's, no manager's.
- a contractor's usage matched to nobody on 7 January: in the cost and model mix, never an active user.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orgonaut import clock
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import adoption, model_mix, output_per_cost, service
from orgonaut.rollups.periods import Period
from orgonaut.tenancy.models import UsageReach
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

NOW = dt.datetime(2025, 1, 12, 12, tzinfo=dt.UTC)
TODAY = NOW.date()
EVERYONE = visibility.UsageViewer(reach=UsageReach.everyone)


def _models(*pairs: tuple[str, str]) -> list[dict]:
    return [{"model": m, "estimated_cost": {"currency": "USD", "amount": a}} for m, a in pairs]


@pytest.fixture
def world(session):
    with clock.frozen_at(NOW):
        tenant = make_tenant(session)
        company = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
        engineering = b.unit(session, tenant, "Engineering", company, kind=OrgUnitKind.department)
        core = b.unit(session, tenant, "Core", engineering)
        ann, ben, cat = (b.actor(session, tenant, name) for name in ("Ann", "Ben", "Cat"))
        b.place(session, ann, core, dt.date(2024, 1, 1))
        b.place(session, ben, engineering, dt.date(2024, 1, 1))

        def use(who, day, cost, provider="claude_code", models=(), **metrics):
            row = b.usage(session, tenant, who, day, cost=cost, provider=provider, **metrics)
            row.model_breakdown = _models(*models)
            session.add(row)

        use(ann, dt.date(2024, 10, 7), "100", commits=2, lines_added=50, models=[("sonnet", "80"), ("haiku", "20")])
        use(ann, dt.date(2024, 11, 4), "200", commits=4, pull_requests=1, lines_added=100,
            models=[("sonnet", "150"), ("opus", "50")])
        use(ann, dt.date(2025, 1, 6), "300", commits=6, pull_requests=2, lines_added=300,
            models=[("opus", "250")])  # $0.50 no model accounts for
        use(ben, dt.date(2024, 12, 2), "400", provider="cursor", lines_added=1000, models=[("gpt-5", "400")])
        use(ben, dt.date(2025, 1, 7), "100", provider="cursor", lines_added=100,
            models=[("gpt-5", "60"), ("auto", "40")])
        use(cat, dt.date(2025, 1, 6), "50", commits=1, lines_added=10, models=[("sonnet", "50")])
        use(None, dt.date(2025, 1, 7), "25", provider="copilot", lines_added=5)  # Copilot: no cost by model
        session.commit()
        service.rebuild(session=session, tenant_id=tenant.id)
        session.commit()
        manager = visibility.UsageViewer(reach=UsageReach.scope, scope_unit_ids=frozenset({engineering.id, core.id}))
        with clock.frozen_at(NOW):
            yield tenant, manager


def _cohorts(session, tenant, viewer, **kwargs):
    found = adoption.cohorts_for(session=session, viewer=viewer, tenant_id=tenant.id, scenario_id=None, today=TODAY,
                                 **kwargs)
    assert found is not None and len(found) == 12 and found[0].month == dt.date(2024, 2, 1)
    return {c.month: (c.active, c.new, c.retained, c.reactivated, c.lapsed) for c in found if c.active or c.lapsed}


def test_cohorts_by_hand(session, world):
    tenant, manager = world
    # (active, new, retained, reactivated, lapsed)
    assert _cohorts(session, tenant, EVERYONE) == {
        dt.date(2024, 10, 1): (1, 1, 0, 0, 0), dt.date(2024, 11, 1): (1, 0, 1, 0, 0),
        dt.date(2024, 12, 1): (1, 1, 0, 0, 1), dt.date(2025, 1, 1): (3, 1, 1, 1, 0),
    }
    # The manager's units: Ann and Ben, not Cat.
    assert _cohorts(session, tenant, manager) == {
        dt.date(2024, 10, 1): (1, 1, 0, 0, 0), dt.date(2024, 11, 1): (1, 0, 1, 0, 0),
        dt.date(2024, 12, 1): (1, 1, 0, 0, 1), dt.date(2025, 1, 1): (2, 0, 1, 1, 0),
    }
    # Claude Code alone: Ben is nobody there.
    assert _cohorts(session, tenant, EVERYONE, provider="claude_code") == {
        dt.date(2024, 10, 1): (1, 1, 0, 0, 0), dt.date(2024, 11, 1): (1, 0, 1, 0, 0),
        dt.date(2024, 12, 1): (0, 0, 0, 0, 1), dt.date(2025, 1, 1): (2, 1, 0, 1, 0),
    }


def test_active_users_by_hand(session, world):
    tenant, manager = world
    period = Period(dt.date(2025, 1, 1), TODAY)
    found = adoption.active_users_for(session=session, viewer=EVERYONE, tenant_id=tenant.id, scenario_id=None,
                                      today=TODAY, period=period)
    assert found is not None
    assert {p.start: p.users for p in found.days if p.users} == {dt.date(2025, 1, 6): 2, dt.date(2025, 1, 7): 1}
    # The week of 30 Dec .. 5 Jan had nobody; 6 .. 12 January Ann, Ben and Cat.
    assert [(p.start, p.users) for p in found.weeks] == [(dt.date(2024, 12, 30), 0), (dt.date(2025, 1, 6), 3)]
    assert [(p.start, p.end, p.users) for p in found.months] == [(dt.date(2025, 1, 1), dt.date(2025, 1, 31), 3)]
    mine = adoption.active_users_for(session=session, viewer=manager, tenant_id=tenant.id, scenario_id=None,
                                     today=TODAY, period=period, provider="cursor")
    assert mine is not None
    assert {p.start: p.users for p in mine.days if p.users} == {dt.date(2025, 1, 7): 1}
    assert [p.users for p in mine.months] == [1]
    nobody = visibility.UsageViewer(reach=UsageReach.own)
    assert adoption.active_users_for(session=session, viewer=nobody, tenant_id=tenant.id, scenario_id=None,
                                     today=TODAY, period=period) is None


def test_model_mix_by_hand(session, world):
    tenant, manager = world
    costs = model_mix.model_costs_for(session=session, viewer=EVERYONE, tenant_id=tenant.id, scenario_id=None,
                                      today=TODAY)
    assert costs is not None
    mix = costs.within(Period(dt.date(2024, 10, 1), TODAY), top=3)
    assert [(r.label, r.kind, r.providers, r.cost_cents, r.models) for r in mix.rows] == [
        ("gpt-5", "model", ("cursor",), Decimal(460), 1),
        ("opus", "model", ("claude_code",), Decimal(300), 1),
        ("sonnet", "model", ("claude_code",), Decimal(280), 1),
        ("Other models", "other", ("claude_code", "cursor"), Decimal(60), 2),  # auto $0.40, haiku $0.20
        ("Not split by model", "not_split", ("claude_code", "copilot"), Decimal(75), 0),  # opus $0.50, Copilot $0.25
    ]
    assert mix.total_cents == Decimal(1175) and mix.split_cents == Decimal(1100)
    assert [r.share_pct for r in mix.rows] == [Decimal("39.1"), Decimal("25.5"), Decimal("23.8"), Decimal("5.1"),
                                               Decimal("6.4")]
    january = costs.within(Period(dt.date(2025, 1, 1), TODAY))
    assert [(r.label, r.cost_cents) for r in january.rows] == [
        ("opus", 250), ("gpt-5", 60), ("sonnet", 50), ("auto", 40), ("Not split by model", 75)]
    only_cursor = model_mix.model_costs_for(session=session, viewer=EVERYONE, tenant_id=tenant.id, scenario_id=None,
                                            today=TODAY, provider="cursor")
    assert only_cursor is not None
    assert [(r.label, r.cost_cents) for r in only_cursor.within(Period(dt.date(2024, 10, 1), TODAY)).rows] == [
        ("gpt-5", 460), ("auto", 40)]
    assert model_mix.model_costs_for(session=session, viewer=manager, tenant_id=tenant.id, scenario_id=None,
                                     today=TODAY) is None


def test_output_per_cost_by_hand(session, world):
    tenant, manager = world
    days = output_per_cost.output_days_for(session=session, viewer=EVERYONE, tenant_id=tenant.id, scenario_id=None,
                                           today=TODAY)
    assert days is not None
    rates = {r.metric: r for r in days.within(Period(dt.date(2024, 10, 1), TODAY)).rates}
    # Commits: Claude Code only ($6.50 of Ann and Cat), Cursor's and Copilot's $5.25 left out.
    assert (rates["commits"].amount, rates["commits"].cost_cents) == (13, Decimal(650))
    assert rates["commits"].providers == ("claude_code",) and rates["commits"].left_out == ("cursor", "copilot")
    assert rates["commits"].per_dollar == Decimal("2.0000")
    assert (rates["pull_requests"].amount, rates["pull_requests"].per_dollar) == (3, Decimal("0.4615"))
    # Lines added: every provider reports them.
    assert (rates["lines_added"].amount, rates["lines_added"].cost_cents) == (1565, Decimal(1175))
    assert rates["lines_added"].providers == ("claude_code", "cursor", "copilot") and not rates["lines_added"].left_out
    assert rates["lines_added"].per_dollar == Decimal("133.1915")
    # The manager: Ann's and Ben's usage; only Cursor in December, which reports no commits: no rate.
    mine = output_per_cost.output_days_for(session=session, viewer=manager, tenant_id=tenant.id, scenario_id=None,
                                           today=TODAY)
    assert mine is not None
    december = {r.metric: r for r in mine.within(Period(dt.date(2024, 12, 1), dt.date(2024, 12, 31))).rates}
    assert december["commits"].providers == () and december["commits"].per_dollar is None
    assert december["commits"].left_out == ("cursor",)
    assert (december["lines_added"].amount, december["lines_added"].per_dollar) == (1000, Decimal("250.0000"))
