"""Spend anomalies on the pages: the overview lists the last 30 days' for the people the viewer sees, and the
person's page says so above the cards; other people's pages and a scenario say nothing.

The team of tests/integration/spend/test_anomalies.py: Ann, Ben, Cid and Dee in Core, about $8 a weekday
each; Ben's Monday planted at $120.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from orgonaut import clock
from orgonaut.ui import routes
from orgonaut.ui.auth import AuthState
from orgonaut.ui.pages.ai_usage_state import PersonUsageState
from orgonaut.ui.pages.overview import SpendOverviewState
from orgonaut.ui.pages.person import PersonState
from tests.factories import make_user
from tests.integration.spend.test_anomalies import NOW, TODAY, _detect, _set_cost, team  # noqa: F401
from tests.integration.ui.conftest import Tab, login_token

MONDAY = TODAY - dt.timedelta(days=3)


def _overview(session, email: str, **query: str) -> SpendOverviewState:
    tab = Tab(login_token(session, email))
    path = f"{routes.AI_SPEND}?{urlencode(query)}" if query else routes.AI_SPEND
    tab.route(routes.AI_SPEND, path, **query)
    tab.state(AuthState).require_login()
    state = tab.state(SpendOverviewState)
    state.load()
    return state


def _person(session, email: str, actor_id: int) -> PersonUsageState:
    tab = Tab(login_token(session, email))
    tab.open(PersonState, routes.PERSON, routes.person_url(actor_id), person_id=str(actor_id))
    usage = tab.state(PersonUsageState)
    usage.load()
    return usage


def test_the_overview_and_the_persons_page_show_the_anomaly(session, team):  # noqa: F811
    tenant, people, admin, manager = team
    _set_cost(session, tenant, people["Ben"], MONDAY, 12_000)
    [found] = _detect(session, tenant)
    with clock.frozen_at(NOW):
        for email in (admin.email, manager.email):
            page = _overview(session, email)
            assert [(a.name, a.day, a.cost, a.ratio, a.model, a.url) for a in page.anomalies] == [
                ("Ben", f"{MONDAY:%-d %b %Y}", "$120.00", f"{found.ratio}x", "claude-opus-4",
                 f"/people/{people['Ben'].id}")]
        # Only Claude Code has usage: a link naming Cursor falls back to every tool, the anomaly included.
        fallback = _overview(session, admin.email, provider="cursor")
        assert fallback.provider_notice != "" and len(fallback.anomalies) == 1

        ben = _person(session, admin.email, people["Ben"].id)
        assert ben.anomaly_notes == [
            f"Unusual spend on {MONDAY:%-d %b %Y}: $120.00 on Claude Code, {found.ratio}x the usual day "
            f"(${found.baseline_cents / 100:,.2f}), mostly claude-opus-4."]
        assert _person(session, admin.email, people["Ann"].id).anomaly_notes == []
        # A member sees their own page only: Ann sees no one's anomaly, and Ben's page is refused.
        make_user(session, tenant, role="member", email="ann@example.test")
        session.commit()
        refused = _person(session, "ann@example.test", people["Ben"].id)
        assert refused.anomaly_notes == [] and refused.hidden_note != ""
