"""Routes as constants, with builders for the dynamic ones."""

from __future__ import annotations

# Shared with the e-mails, so kept where no Reflex is needed to read them.
from orgonaut.paths import AI_BUDGETS as AI_BUDGETS
from orgonaut.paths import AI_TOOLING_SETTINGS as AI_TOOLING_SETTINGS
from orgonaut.paths import AUTH_SESSION as AUTH_SESSION
from orgonaut.paths import AUTH_SIGNED_OUT as AUTH_SIGNED_OUT
from orgonaut.paths import LOGIN as LOGIN
from orgonaut.paths import NOTIFICATION_SETTINGS as NOTIFICATION_SETTINGS
from orgonaut.paths import PEOPLE as PEOPLE
from orgonaut.paths import person_path

HOME = "/"
ACCESS_DENIED = "/access-denied"
PERSON = "/people/[person_id]"
TEAMS = "/teams"
TEAM = "/teams/[team_id]"
DEPARTMENTS = "/departments"
DEPARTMENT = "/departments/[department_id]"
SETTINGS = "/settings"
API_TOKENS_SETTINGS = "/settings/api-tokens"
NOTIFICATIONS = "/notifications"
AI_SPEND = "/ai-tooling"
AI_CHARGEBACK = "/ai-tooling/chargeback"
AI_SEATS = "/ai-tooling/seats"


def person_url(person_id: int | str) -> str:
    return person_path(person_id)


def team_url(team_id: int | str) -> str:
    return f"/teams/{team_id}"


def department_url(department_id: int | str) -> str:
    return f"/departments/{department_id}"
