"""Budgets (`spend.budgets`) and their alerts (`spend.budget_alerts`) on the run's database: spend and
forecast against brute force over the raw records, refused input that changes nothing, who sees which
budget, and thresholds that alert once per month to the right people.

The org: Acme > Engineering > {Web, API}; a manager placed in Engineering; an unplaced contractor's
records (unmatched) count for the whole tenant only. Today is Thursday 17 December 2026 (UTC).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.errors import Forbidden, NotFound, ValidationFailed
from orgonaut.notify.models import Category, EmailOutbox, Notification
from orgonaut.notify.service import update_preference
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import forecast as fc
from orgonaut.rollups import service as rollups
from orgonaut.spend import budget_alerts, budgets
from orgonaut.spend.budgets import BudgetKey
from orgonaut.spend.models import Budget, BudgetAlert
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.rollups import builders as b

NOW = dt.datetime(2026, 12, 17, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
DECEMBER = dt.date(2026, 12, 1)
PEOPLE = {"Ann": "Web", "Ben": "Web", "Cid": "API", "Dee": "Engineering", "Mia": "Engineering"}


@pytest.fixture
def org(session: Session):
    tenant = make_tenant(session)
    acme = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
    eng = b.unit(session, tenant, "Engineering", acme, kind=OrgUnitKind.department)
    units = {"Acme": acme, "Engineering": eng, "Web": b.unit(session, tenant, "Web", eng),
             "API": b.unit(session, tenant, "API", eng)}
    actors = {}
    for name, unit in PEOPLE.items():
        actors[name] = b.actor(session, tenant, name)
        b.place(session, actors[name], units[unit], dt.date(2026, 1, 1))
    rnd = random.Random(7)
    records = []  # (person or None, provider, day, cost)
    day = dt.date(2026, 10, 20)
    while day <= TODAY:
        for person in [*PEOPLE, None]:
            for provider in ("claude_code", "cursor"):
                if rnd.random() < (0.8 if day.weekday() < 5 else 0.15):
                    cost = Decimal(rnd.randint(1, 40_000_000)) / 1_000_000
                    email = "contractor@outside.test" if person is None else None
                    b.usage(session, tenant, actors[person] if person else None, day, cost=cost, provider=provider,
                            email=email)
                    records.append((person, provider, day, cost))
        day += dt.timedelta(days=1)
    admin = make_user(session, tenant, role=Role.admin)
    manager = make_user(session, tenant, role=Role.manager, email="mia@example.test")
    member = make_user(session, tenant, role=Role.member, email="ann@example.test")
    session.commit()
    with clock.frozen_at(NOW):
        rollups.rebuild(session=session, tenant_id=tenant.id)
        session.commit()
        yield dict(tenant=tenant, units=units, records=records, admin=admin, manager=manager, member=member)


def _daily(records, units: set[str] | None, provider: str | None) -> dict[dt.date, Decimal]:
    days: dict[dt.date, Decimal] = {}
    for person, key, day, cost in records:
        if (provider is None or key == provider) and (units is None or (person and PEOPLE[person] in units)):
            days[day] = days.get(day, Decimal(0)) + cost
    return days


@pytest.mark.parametrize(("unit", "provider", "covered"), [
    (None, None, None), (None, "cursor", None), ("Engineering", None, {"Engineering", "Web", "API"}),
    ("Web", "claude_code", {"Web"}),
])
def test_spend_and_forecast_equal_brute_force_over_the_records(session, org, unit, provider, covered):
    unit_id = org["units"][unit].id if unit else None
    status = budgets.set_budget(session=session, user=org["admin"], org_unit_id=unit_id, provider=provider,
                                amount="1,500.50", effective_month="2026-12")
    session.commit()
    daily = _daily(org["records"], covered, provider)
    assert status.amount_cents == 150_050
    assert status.spent_cents == sum((c for d, c in daily.items() if d >= DECEMBER), Decimal(0))
    assert status.forecast == fc.forecast_month(daily, TODAY)
    assert status.used_pct == (status.spent_cents / 150_050 * 100).quantize(Decimal("0.1"))
    assert status.unit_name == (unit or "Whole organization")


@pytest.mark.parametrize(("changes", "message"), [
    (dict(amount="-5"), "cannot be negative"),
    (dict(amount="0"), r"more than \$0"),
    (dict(amount="ten dollars"), "is not an amount in USD"),
    (dict(amount="12.345"), "is not an amount in USD"),
    (dict(amount="100000001"), r"at most \$100,000,000"),
    (dict(effective_month="2026-11"), "2026-11 is past"),
    (dict(effective_month="December"), "is not a month"),
    (dict(provider="windsurf"), "windsurf"),
])
def test_bad_input_is_refused_with_a_reason_and_changes_nothing(session, org, changes, message):
    arguments = dict(org_unit_id=org["units"]["Web"].id, provider=None, amount="100", effective_month="2026-12")
    with pytest.raises(ValidationFailed, match=message):
        budgets.set_budget(session=session, user=org["admin"], **(arguments | changes))
    assert session.exec(select(Budget).where(Budget.tenant_id == org["tenant"].id)).all() == []


def test_units_of_another_scope_or_tenant_and_roles_without_the_right_are_refused(session, org):
    other = make_tenant(session)
    foreign = b.unit(session, other, "Elsewhere")
    scenario_unit = b.unit(session, org["tenant"], "What-if", scenario_id=_scenario(session, org["tenant"]))
    for unit_id in (foreign.id, scenario_unit.id, 987654):
        with pytest.raises(NotFound, match="not a Live unit"):
            budgets.set_budget(session=session, user=org["admin"], org_unit_id=unit_id, provider=None, amount="10",
                               effective_month="2026-12")
    for user in (org["manager"], org["member"]):
        with pytest.raises(Forbidden, match="owners and admins"):
            budgets.set_budget(session=session, user=user, org_unit_id=None, provider=None, amount="10",
                               effective_month="2026-12")
    assert session.exec(select(Budget).where(Budget.tenant_id == org["tenant"].id)).all() == []


def _scenario(session: Session, tenant) -> int:
    from orgonaut.org.models import Scenario

    scenario = Scenario(tenant_id=tenant.id, name="What-if")
    session.add(scenario)
    session.flush()
    return scenario.id


def test_a_later_budget_and_a_removal_keep_this_month_and_say_what_comes(session, org):
    web = org["units"]["Web"].id
    admin = org["admin"]
    for amount, month in (("500", "2026-12"), ("800", "2027-02"), ("600", "2026-12")):
        budgets.set_budget(session=session, user=admin, org_unit_id=web, provider=None, amount=amount,
                           effective_month=month)
    status = budgets.status_of(session=session, tenant_id=org["tenant"].id, key=BudgetKey(web, None), today=TODAY)
    assert (status.amount_cents, status.next_change) == (60_000, (dt.date(2027, 2, 1), 80_000))
    budgets.remove_budget(session=session, user=admin, org_unit_id=web, provider=None, effective_month="2027-01")
    status = budgets.status_of(session=session, tenant_id=org["tenant"].id, key=BudgetKey(web, None), today=TODAY)
    assert (status.amount_cents, status.next_change) == (60_000, (dt.date(2027, 1, 1), None))
    january = budgets.status_of(session=session, tenant_id=org["tenant"].id, key=BudgetKey(web, None),
                                today=dt.date(2027, 1, 5))
    assert january is None
    with pytest.raises(NotFound, match="no budget to remove"):
        budgets.remove_budget(session=session, user=admin, org_unit_id=web, provider="cursor",
                              effective_month="2026-12")


def test_who_sees_which_budget(session, org):
    admin = org["admin"]
    for unit in (None, "Engineering", "Web"):
        budgets.set_budget(session=session, user=admin, org_unit_id=org["units"][unit].id if unit else None,
                           provider=None, amount="1000", effective_month="2026-12")
    session.commit()
    tenant_id = org["tenant"].id

    def seen(user) -> list[str]:
        viewer = visibility.viewer_for(session=session, user=user, scenario_id=None)
        return [s.unit_name for s in budgets.list_statuses(session=session, tenant_id=tenant_id, viewer=viewer,
                                                           today=TODAY)]

    assert seen(admin) == ["Whole organization", "Engineering", "Web"]
    assert seen(org["manager"]) == ["Engineering", "Web"]  # placed in Engineering: it and below
    assert seen(org["member"]) == []


def _sent(session: Session, tenant_id: int) -> list[tuple[str, str]]:
    rows = session.exec(select(BudgetAlert).where(BudgetAlert.tenant_id == tenant_id)).all()
    return sorted((str(r.org_unit_key), r.threshold) for r in rows)


def test_thresholds_alert_once_a_month_the_highest_to_admins_and_the_units_managers(session, org):
    tenant_id, eng = org["tenant"].id, org["units"]["Engineering"].id
    daily = _daily(org["records"], {"Engineering", "Web", "API"}, None)
    spent = sum((c for d, c in daily.items() if d >= DECEMBER), Decimal(0))
    # A budget the spend has passed 80 % of but not 100 %: one alert, "80 %", both lower thresholds claimed.
    amount = int(spent / Decimal("0.9")) // 100 * 100 + 100
    update_preference(session=session, user=org["admin"], category=Category.budgets, email=False)
    budgets.set_budget(session=session, user=org["admin"], org_unit_id=eng, provider=None,
                       amount=str(Decimal(amount) / 100), effective_month="2026-12")
    session.commit()
    [alert] = budget_alerts.check(session=session, tenant_id=tenant_id, today=TODAY)
    session.commit()
    assert alert.threshold == "80"
    assert set(alert.user_ids) == {org["admin"].id, org["manager"].id}
    assert _sent(session, tenant_id)[:2] == [(str(eng), "50"), (str(eng), "80")]
    notes = session.exec(select(Notification).where(Notification.tenant_id == tenant_id)).all()
    assert sorted(n.user_id for n in notes) == sorted([org["admin"].id, org["manager"].id])
    assert notes[0].title == "Engineering, all providers has used 80 % of its budget"
    assert notes[0].link == "/ai-tooling/budgets"
    mails = session.exec(select(EmailOutbox).where(EmailOutbox.tenant_id == tenant_id)).all()
    assert [m.user_id for m in mails] == [org["manager"].id]  # the admin turned e-mail off
    assert "Forecast to month end" in mails[0].text_body

    assert budget_alerts.check(session=session, tenant_id=tenant_id, today=TODAY) == []  # once
    # The next month starts from nothing: under 50 % on its first day, no alert; the thresholds are per month.
    assert budget_alerts.check(session=session, tenant_id=tenant_id, today=dt.date(2027, 1, 1)) == []


def test_a_forecast_over_the_budget_alerts_before_the_spend_gets_there(session, org):
    tenant_id, today = org["tenant"].id, dt.date(2026, 12, 8)
    daily = {d: c for d, c in _daily(org["records"], None, None).items() if d <= today}
    spent = sum((c for d, c in daily.items() if d >= DECEMBER), Decimal(0))
    forecast = fc.forecast_month(daily, today).forecast_cents
    amount = (spent * Decimal("2.5") / 100).quantize(Decimal("0.01"))  # 40 % used so far
    assert forecast > amount * 100  # a week in, the pace runs far past it
    budgets.set_budget(session=session, user=org["admin"], org_unit_id=None, provider=None, amount=str(amount),
                       effective_month="2026-12")
    [alert] = budget_alerts.check(session=session, tenant_id=tenant_id, today=today)
    assert alert.threshold == "forecast"
    assert _sent(session, tenant_id) == [("0", "forecast")]
    assert alert.user_ids == (org["admin"].id,)  # a tenant budget: owners and admins only
    [note] = session.exec(select(Notification).where(Notification.tenant_id == tenant_id)).all()
    assert note.title == "Whole organization, all providers is forecast to go over its budget"
