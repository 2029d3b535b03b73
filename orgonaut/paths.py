"""In-app paths that more than the pages need (e-mails link to them, the session cookie's endpoints
redirect to them), in a module free of Reflex.

`orgonaut.ui.routes` re-exports these next to the pages' own routes.
"""

from __future__ import annotations

LOGIN = "/login"
PEOPLE = "/people"
# The HTTP endpoints that set and clear the HttpOnly session cookie (`orgonaut.api.session_cookie`).
AUTH_SESSION = "/auth/session"
AUTH_SIGNED_OUT = "/auth/signed-out"
AI_TOOLING_SETTINGS = "/settings/integrations/ai-tooling"
NOTIFICATION_SETTINGS = "/settings/notifications"
AI_BUDGETS = "/ai-tooling/budgets"


def person_path(person_id: int | str) -> str:
    """A person's page (e-mails and notifications link to it)."""
    return f"{PEOPLE}/{person_id}"
