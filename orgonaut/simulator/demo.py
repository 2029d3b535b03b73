"""The demo's people as each vendor's simulator sees them (`orgonaut simulate ... --demo`, the browser tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def demo_cursor_people(today: dt.date) -> dict[str, Any]:
    """The demo's Cursor members: about half the Claude Code people (the others use Claude Code only),
    the live humans without Claude Code (Cursor only), two of the contractors, and the people who
    left, removed then (`cursor_roster` in data.py decides the split); with the days the people who
    joined in the last year joined, and the days the leavers were removed: `CursorConfig` fields."""
    from orgonaut.org.demo_data import DEMO_PEOPLE, DEMO_UNKNOWN_USAGE_EMAILS
    from orgonaut.org.models import ActorKind
    from orgonaut.simulator.data import cursor_roster

    humans = [p for p in DEMO_PEOPLE if p.kind == ActorKind.human]
    claude_code = [p.address for p in humans if p.in_claude_code]
    cursor_only = [p.address for p in humans if not p.in_claude_code and p.left_months_ago is None]
    left = {p.address: today - dt.timedelta(days=30 * p.left_months_ago) for p in humans
            if p.left_months_ago is not None}
    joined = {p.address: today - dt.timedelta(days=30 * p.joined_months_ago) for p in humans
              if p.joined_months_ago < 12}
    roster = cursor_roster(claude_code, cursor_only) + list(left) + list(DEMO_UNKNOWN_USAGE_EMAILS[1::2])
    return {"roster": roster, "joined": joined, "removed": left, "unknown_emails": ()}


# The demo's department on Claude Enterprise seats (claude.ai, with Claude Code), and an account deleted
# since (its cost rows keep no e-mail: the sync names it by its user id).
CLAUDE_ENTERPRISE_DEPARTMENT = "Product"
DEMO_DELETED_ENTERPRISE_ACCOUNT = "former.analyst@demo.test"


def demo_claude_enterprise_people() -> dict[str, Any]:
    """The demo's Claude Enterprise members: the live humans of the Product department (its teams too),
    one account deleted since, and one unknown contractor: `ClaudeEnterpriseConfig` fields."""
    from orgonaut.org.demo_data import DEMO_PEOPLE, DEMO_UNKNOWN_USAGE_EMAILS, TEAMS
    from orgonaut.org.models import ActorKind

    department = CLAUDE_ENTERPRISE_DEPARTMENT
    units = {department} | {team for team, parent, _ in TEAMS if parent == department}
    roster = [p.address for p in DEMO_PEOPLE
              if p.kind == ActorKind.human and p.unit in units and p.left_months_ago is None]
    return {"roster": [*roster, DEMO_DELETED_ENTERPRISE_ACCOUNT], "deleted": (DEMO_DELETED_ENTERPRISE_ACCOUNT,),
            "unknown_emails": DEMO_UNKNOWN_USAGE_EMAILS[3:]}
