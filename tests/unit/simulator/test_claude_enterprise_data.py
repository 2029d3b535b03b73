"""The Claude Enterprise simulator's generated data: deterministic by seed, the documented shapes, and
revisions applied to activity and cost alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orgonaut.simulator.claude_enterprise import ClaudeEnterpriseConfig, ClaudeEnterpriseSimulator
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.simulator.revisions import Revision

TODAY = dt.date(2026, 12, 7)
DAY = dt.date(2026, 11, 24)  # a Tuesday


def simulator(seed: int = 0) -> ClaudeEnterpriseSimulator:
    return ClaudeEnterpriseSimulator(ClaudeEnterpriseConfig(seed=seed, today=lambda: TODAY))


def test_the_same_seed_gives_the_same_day_and_another_seed_another():
    assert simulator(0).day(DAY) == simulator(0).day(DAY)
    assert simulator(0).day(DAY) != simulator(1).day(DAY)
    users, costs = simulator(0).day(DAY)
    emails = [row["user"]["email_address"] for row in users]
    assert emails == sorted(emails, key=str.lower)  # "sorted by email address", whatever its case
    assert len(users) == 15 and DEFAULT_ROSTER[5] not in {row["user"]["email_address"] for row in users}  # deleted
    assert all(len(row["amount"].split(".")[1]) == 6 and Decimal(row["amount"]) > 0 for row in costs)
    assert {row["product"] for row in costs} <= {"chat", "claude_code", "cowork"}
    week = [row for n in range(7) for row in simulator(0).day(DAY + dt.timedelta(days=n))[1]]
    assert any(row["actor"]["email_address"] is None and row["actor"]["deleted"] for row in week)


def test_a_revision_changes_activity_and_cost_and_a_move_keeps_the_user_id():
    sim = simulator()
    users, costs = sim.day(DAY)
    who = next(row["actor"] for row in costs if row["actor"]["email_address"])
    email, user_id = who["email_address"], who["user_id"]
    sim.add_revision(Revision(date=DAY, action="change", email=email.upper(), factor=Decimal(3)))
    changed_users, changed_costs = sim.day(DAY)
    mine = [r for r in costs if r["actor"]["user_id"] == user_id]
    revised = [r for r in changed_costs if r["actor"]["user_id"] == user_id]
    assert [Decimal(r["amount"]) for r in revised] == [3 * Decimal(r["amount"]) for r in mine]
    before = next(r for r in users if r["user"]["id"] == user_id)["claude_code_metrics"]["core_metrics"]
    after = next(r for r in changed_users if r["user"]["id"] == user_id)["claude_code_metrics"]["core_metrics"]
    assert after["lines_of_code"]["added_count"] == 3 * before["lines_of_code"]["added_count"]
    sim.add_revision(Revision(date=DAY, action="move", email=email, to_email="new@x.test"))
    moved_users, moved_costs = sim.day(DAY)
    assert next(r for r in moved_users if r["user"]["id"] == user_id)["user"]["email_address"] == "new@x.test"
    assert {r["actor"]["email_address"] for r in moved_costs if r["actor"]["user_id"] == user_id} == {"new@x.test"}
    sim.add_revision(Revision(date=DAY, action="drop", email="new@x.test"))
    dropped_users, dropped_costs = sim.day(DAY)
    assert all(r["user"]["id"] != user_id for r in dropped_users)
    assert all(r["actor"]["user_id"] != user_id for r in dropped_costs)
    assert sim.day(DAY + dt.timedelta(days=1)) == simulator().day(DAY + dt.timedelta(days=1))  # other days as they were
