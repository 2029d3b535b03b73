"""The demo org's static data: unique identities, a sensible roster, dated placements."""

import datetime as dt

from orgonaut.org import demo_data
from orgonaut.org.demo_data import DEMO_PEOPLE, DemoPerson, _months_ago, _planned_placements
from orgonaut.org.models import ActorKind


def test_people_have_unique_emails_and_external_ids():
    emails = [p.address for p in DEMO_PEOPLE if p.address]
    uids = [p.external_uid for p in DEMO_PEOPLE]
    assert len(emails) == len(set(emails)) == len(DEMO_PEOPLE) - 1
    assert len(uids) == len(set(uids))
    assert all(len(uid) <= 64 and uid.startswith("demo-") for uid in uids)


def test_units_named_by_people_exist():
    units = {demo_data.COMPANY} | {n for n, _p in demo_data.DEPARTMENTS} | {n for n, _p, _t in demo_data.TEAMS}
    named = {p.unit for p in DEMO_PEOPLE} | {p.secondary[0] for p in DEMO_PEOPLE if p.secondary}
    named |= {p.moved_from[0] for p in DEMO_PEOPLE if p.moved_from}
    assert named <= units


def test_roster_is_deterministic_and_excludes_robots_agents_and_leavers():
    roster = demo_data.demo_usage_roster()
    assert roster == demo_data.demo_usage_roster()
    by_email = {p.address: p for p in DEMO_PEOPLE}
    assert all(by_email[e].kind == ActorKind.human for e in roster if e in by_email)
    assert "quinn.foster@demo.test" not in roster  # left two months ago
    assert "pia.andersen@demo.test" not in roster  # support does not use Claude Code
    assert "victor.huang@demo.test" in roster  # the one in Business Operations who does
    assert not set(demo_data.DEMO_UNKNOWN_USAGE_EMAILS) & set(by_email)


def test_months_ago_counts_calendar_months():
    assert _months_ago(dt.date(2026, 11, 25), 12) == dt.date(2025, 11, 1)
    assert _months_ago(dt.date(2026, 1, 31), 1) == dt.date(2025, 12, 1)
    assert _months_ago(dt.date(2026, 3, 1), 0) == dt.date(2026, 3, 1)


def test_a_mover_has_back_to_back_primary_placements_and_a_split_has_a_secondary():
    today = dt.date(2026, 11, 25)
    mover = DemoPerson("Sam Move", "Checkout", moved_from=("Mobile Apps", 4))
    plans = _planned_placements(mover, today)
    assert [(p.unit, p.is_primary, p.start, p.end) for p in plans] == [
        ("Mobile Apps", True, dt.date(2025, 11, 1), dt.date(2026, 6, 30)),
        ("Checkout", True, dt.date(2026, 7, 1), None),
    ]
    split = DemoPerson("Sam Split", "Checkout", allocation=70, secondary=("Mobile Apps", 30), left_months_ago=1)
    assert [(p.unit, p.is_primary, p.allocation, p.end) for p in _planned_placements(split, today)] == [
        ("Checkout", True, 70, dt.date(2026, 9, 30)), ("Mobile Apps", False, 30, dt.date(2026, 9, 30)),
    ]
