"""Routes as constants, with builders for the dynamic ones."""

from __future__ import annotations

LOGIN = "/login"
HOME = "/"
ACCESS_DENIED = "/access-denied"
PEOPLE = "/people"
PERSON = "/people/[person_id]"
TEAMS = "/teams"
TEAM = "/teams/[team_id]"
DEPARTMENTS = "/departments"
DEPARTMENT = "/departments/[department_id]"
SETTINGS = "/settings"
AI_TOOLING_SETTINGS = "/settings/integrations/ai-tooling"
API_TOKENS_SETTINGS = "/settings/api-tokens"
NOTIFICATION_SETTINGS = "/settings/notifications"
NOTIFICATIONS = "/notifications"


def person_url(person_id: int | str) -> str:
    return f"/people/{person_id}"


def team_url(team_id: int | str) -> str:
    return f"/teams/{team_id}"


def department_url(department_id: int | str) -> str:
    return f"/departments/{department_id}"
