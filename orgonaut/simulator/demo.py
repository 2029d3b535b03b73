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


def demo_codex_people() -> dict[str, Any]:
    """The demo's Codex users (a few people): the Live humans of the Claude Code units a hash of the
    e-mail picks (about one in four), and one contractor; OpenAI hides the e-mail of two of them (their
    usage arrives under `codex-user:<id>`, matched through the identity map): `CodexConfig` fields."""
    from orgonaut.org.demo_data import DEMO_PEOPLE, DEMO_UNKNOWN_USAGE_EMAILS
    from orgonaut.simulator.data import hash64

    people = [p.address for p in DEMO_PEOPLE if p.in_claude_code and hash64(f"codex|{p.address.lower()}") % 4 == 0]
    return {"roster": people, "unknown_emails": DEMO_UNKNOWN_USAGE_EMAILS[2:3], "hidden_emails": people[:2]}


# Logins on the demo's Copilot organisation that no person of the demo org has (the Unmatched list's).
DEMO_UNKNOWN_GITHUB_LOGINS = ("octo-contractor", "pair-programmer-99", "vendor-bot-dev")


def demo_github_users(today: dt.date) -> list[Any]:
    """The demo's Copilot users: two of every three current humans (logins from their e-mails, about
    60% with a SAML identity whose nameId is their demo e-mail, the others to be linked by hand, one of
    those renamed two weeks ago), and a few logins nobody in the org has: `GithubConfig.users`."""
    from orgonaut.simulator.copilot_data import make_users

    return make_users(_demo_github_roster(), seed=0, unknown_logins=DEMO_UNKNOWN_GITHUB_LOGINS, now=today)


def _demo_github_roster() -> list[str]:
    from orgonaut.org.demo_data import DEMO_PEOPLE
    from orgonaut.org.models import ActorKind

    humans = [p for p in DEMO_PEOPLE if p.kind == ActorKind.human and p.left_months_ago is None]
    return [p.address for index, p in enumerate(humans) if index % 3 != 2]


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
