"""Spend anomalies in a real browser: a new tenant whose team spends about $8 a weekday for six weeks, and one
day of Ann's at $400. After detection (as the hourly check would run it), an admin finds that day in the
overview's "Unusual spend" list with the cost, the usual day and the ratio the detector stored, follows Ann's
link, and reads the same day on her person page; Ben's ordinary days appear nowhere."""

from __future__ import annotations

import datetime as dt
import secrets as pysecrets
from decimal import Decimal

from playwright.sync_api import Page, expect

from orgonaut.db import session_scope
from orgonaut.demo import DEMO_PASSWORD
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import service as rollups
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import anomalies
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Plan, Role
from orgonaut.ui import routes
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.spend_views import anomaly_note
from tests.e2e.pages import log_in
from tests.integration.rollups import builders as b


def _tenant_with_a_spike() -> tuple[str, int, anomalies.AnomalyView]:
    tag = pysecrets.token_hex(4)
    with session_scope() as session:
        tenant = tenancy.create_tenant(session=session, slug=f"e2e-an-{tag}", name=f"E2E Anomaly {tag}",
                                       plan=Plan.business)
        admin = tenancy.create_user(session=session, tenant=tenant, email=f"admin-{tag}@e2e-an.test",
                                    password=DEMO_PASSWORD, role=Role.admin, name="E2E Admin")
        team = b.unit(session, tenant, "Core", kind=OrgUnitKind.team)
        people = {name: b.actor(session, tenant, name, email=f"{name.lower()}-{tag}@e2e-an.test")
                  for name in ("Ann", "Ben", "Cid", "Dee")}
        today = tenant_today(session=session, tenant_id=tenant.id)
        for person in people.values():
            b.place(session, person, team, today - dt.timedelta(days=365))
        spike = today - dt.timedelta(days=2)
        day = today - dt.timedelta(days=42)
        while day < today:
            for n, (name, person) in enumerate(people.items()):
                if day == spike and name == "Ann":
                    b.usage(session, tenant, person, day, cost=Decimal(40_000))
                elif day.weekday() < 5 or day == spike:
                    b.usage(session, tenant, person, day, cost=Decimal(800 + 37 * n + day.day))
            day += dt.timedelta(days=1)
        session.commit()
        rollups.rebuild(session=session, tenant_id=tenant.id)
        session.commit()
        anomalies.detect(session=session, tenant_id=tenant.id)
        session.commit()
        viewer = visibility.viewer_for(session=session, user=admin, scenario_id=None)
        [found] = anomalies.list_recent(session=session, tenant_id=tenant.id, viewer=viewer)
        assert (found.name, found.day, found.cost_cents) == ("Ann", spike, Decimal(40_000))
        return admin.email, people["Ann"].id, found


def test_an_admin_finds_a_planted_spike_on_the_overview_and_the_persons_page(page: Page, base_url: str):
    admin, ann_id, found = _tenant_with_a_spike()
    log_in(page, base_url, admin)
    page.goto(f"{base_url}{routes.AI_SPEND}")
    table = page.get_by_role("region", name="Unusual spend")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(2, timeout=20_000)  # the header and Ann's day
    row = rows.nth(1)
    expect(row.get_by_role("rowheader")).to_have_text("Ann")
    expect(row.get_by_role("cell")).to_have_text([
        f"{found.day:%-d %b %Y}", "Claude Code", format_usd(Decimal(40_000)), format_usd(found.baseline_cents),
        f"{found.ratio}x", "—"])
    assert found.ratio > 10

    row.get_by_role("link", name="Ann").click()
    expect(page).to_have_url(f"{base_url}{routes.person_url(ann_id)}")
    expect(page.get_by_text(anomaly_note(found))).to_be_visible(timeout=20_000)
