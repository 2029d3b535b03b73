"""GitHub Copilot in a real browser: a tenant synced a week from the GitHub simulator; its logins nobody
holds wait on the Unmatched list named by login and id. An admin links one to a person ("Use for an
existing person"): the person gets the GitHub user id, the login leaves the list, and the person's page
shows the Copilot cost of that login's raw records beside the other providers (the provider filter)."""

from __future__ import annotations

import datetime as dt
import secrets as pysecrets
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlmodel import col, select

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling import steps
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.db import session_scope
from orgonaut.demo import DEMO_PASSWORD
from orgonaut.org import service as org
from orgonaut.org.models import ActorIdentity
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Plan, Role
from orgonaut.ui import routes
from orgonaut.ui.format import format_usd
from tests.e2e.pages import log_in
from tests.support.github_simulator import VALID_GITHUB_TOKEN, GithubSimulatorServer

_TODAY = dt.datetime.now(dt.UTC).date()
START = _TODAY - dt.timedelta(days=_TODAY.weekday() + 14)
END = START + dt.timedelta(days=6)


def _tenant_with_copilot(github: GithubSimulatorServer) -> tuple[int, str, int]:
    """A new tenant (admin, one person) with a week of Copilot synced in this process."""
    tag = pysecrets.token_hex(4)
    with session_scope() as session:
        tenant = tenancy.create_tenant(session=session, slug=f"e2e-gh-{tag}", name=f"E2E GH {tag}",
                                       plan=Plan.business)
        admin = tenancy.create_user(session=session, tenant=tenant, email=f"admin-{tag}@e2e-gh.test",
                                    password=DEMO_PASSWORD, role=Role.admin, name="E2E Admin")
        org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="company", name="GH Co")
        person = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="Gia Hub",
                                  email=f"gia-{tag}@e2e-gh.test")
        session.flush()
        integration = ai_tooling.connect(
            session=session, tenant_id=tenant.id, provider="copilot", api_base=github.base_url, baseline=True,
            credentials={"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
                         "business_seat_usd": "19", "enterprise_seat_usd": "39"})
        session.commit()
        log = ai_tooling.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                        start=START, end=END, triggered_by="cli", enqueue=False)
        session.commit()
        tenant_id, admin_email, person_id = tenant.id, admin.email, person.id
    assert steps.run_foreground(log_id=log.id, sleep=lambda _s: None).status == "succeeded"
    return tenant_id, admin_email, person_id


def test_an_admin_links_an_unmatched_github_login_to_a_person(page: Page, base_url: str):
    with GithubSimulatorServer() as github:
        tenant_id, admin, person_id = _tenant_with_copilot(github)
    with session_scope() as session:
        unmatched = [u for u in ai_tooling.list_unmatched(session=session, tenant_id=tenant_id)
                     if u.source_email.startswith("github:")]
    chosen = unmatched[0]
    assert chosen.label.startswith("@") and "(GitHub user id " in chosen.label

    log_in(page, base_url, admin)
    page.goto(f"{base_url}{routes.AI_TOOLING_SETTINGS}")
    region = page.get_by_role("region", name="Unmatched e-mails")
    expect(region.get_by_role("rowheader", name=chosen.label, exact=True)).to_be_visible(timeout=20_000)
    region.get_by_role("button", name=f"Use {chosen.source_email} for an existing person").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(chosen.label)
    dialog.get_by_role("combobox", name="Person").click()
    page.get_by_role("option").filter(has_text="Gia Hub").click()
    dialog.get_by_role("button", name="Use this identity").click()
    expect(dialog).to_be_hidden()
    expect(region.get_by_role("rowheader", name=chosen.label, exact=True)).to_have_count(0)

    with session_scope() as session:
        identities = session.exec(select(ActorIdentity.kind, ActorIdentity.value).where(
            ActorIdentity.actor_id == person_id)).all()
        assert [(str(kind), value) for kind, value in identities] == [
            ("github_user_id", chosen.source_email.removeprefix("github:"))]
        records = session.exec(select(AiToolUsageRecord).where(
            AiToolUsageRecord.source_email == chosen.source_email,
            col(AiToolUsageRecord.scenario_id).is_(None))).all()
        assert records and {r.actor_id for r in records} == {person_id}
        cost = sum((r.total_cost_cents for r in records), Decimal(0))

    page.goto(f"{base_url}{routes.person_url(person_id)}?provider=copilot&range=all")
    expect(page.get_by_text(format_usd(cost)).first).to_be_visible(timeout=20_000)
