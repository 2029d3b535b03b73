"""GitHub Copilot in a real browser: a tenant synced a week from the GitHub simulator, and the same week
of one person's Claude Code from the Anthropic simulator; the logins nobody holds wait on the Unmatched
list named by login and id. An admin links one to the person ("Use for an existing person"): the person
gets the GitHub user id, the login leaves the list, and the person's page shows Copilot beside Claude
Code: both in the cost chart, split per provider and day as their raw records, the total their sum, and
each provider's cost alone through the provider filter."""

from __future__ import annotations

import datetime as dt
import re
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
from orgonaut.simulator.app import SimulatorConfig
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Plan, Role
from orgonaut.ui import routes
from orgonaut.ui.format import format_usd
from tests.e2e.pages import log_in
from tests.support.github_simulator import VALID_GITHUB_TOKEN, GithubSimulatorServer
from tests.support.simulator import SimulatorServer

_TODAY = dt.datetime.now(dt.UTC).date()
START = _TODAY - dt.timedelta(days=_TODAY.weekday() + 14)
END = START + dt.timedelta(days=6)


def _tenant_with_copilot_and_claude_code(github: GithubSimulatorServer, anthropic: SimulatorServer,
                                         email: str) -> tuple[int, str, int]:
    """A new tenant (admin, one person at `email`) with a week of Copilot and of Claude Code synced in
    this process."""
    tag = pysecrets.token_hex(4)
    with session_scope() as session:
        tenant = tenancy.create_tenant(session=session, slug=f"e2e-gh-{tag}", name=f"E2E GH {tag}",
                                       plan=Plan.business)
        admin = tenancy.create_user(session=session, tenant=tenant, email=f"admin-{tag}@e2e-gh.test",
                                    password=DEMO_PASSWORD, role=Role.admin, name="E2E Admin")
        org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="company", name="GH Co")
        person = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="Gia Hub",
                                  email=email)
        session.flush()
        integrations = [
            ai_tooling.connect(
                session=session, tenant_id=tenant.id, provider="copilot", api_base=github.base_url, baseline=True,
                credentials={"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
                             "business_seat_usd": "19", "enterprise_seat_usd": "39"}),
            ai_tooling.connect(
                session=session, tenant_id=tenant.id, provider="claude_code", api_base=anthropic.base_url,
                baseline=True, credentials={"api_key": f"sk-ant-admin01-e2e-{pysecrets.token_hex(12)}"}),
        ]
        session.commit()
        logs = [ai_tooling.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                          start=START, end=END, triggered_by="cli", enqueue=False)
                for integration in integrations]
        session.commit()
        tenant_id, admin_email, person_id, log_ids = tenant.id, admin.email, person.id, [log.id for log in logs]
    for log_id in log_ids:
        assert steps.run_foreground(log_id=log_id, sleep=lambda _s: None).status == "succeeded"
    return tenant_id, admin_email, person_id


def _costs_by_provider_and_day(person_id: int) -> dict[str, dict[str, Decimal]]:
    """The person's stored raw records: provider -> day -> cost."""
    costs: dict[str, dict[str, Decimal]] = {}
    with session_scope() as session:
        for r in session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.actor_id == person_id)):
            day = costs.setdefault(r.provider, {})
            day[r.usage_date.isoformat()] = day.get(r.usage_date.isoformat(), Decimal(0)) + r.total_cost_cents
    return costs


def test_an_admin_links_an_unmatched_github_login_and_the_person_page_shows_copilot_beside_claude_code(
    page: Page, base_url: str,
):
    email = f"gia-{pysecrets.token_hex(4)}@e2e-gh.test"
    # Claude Code of this one person, every day (no other people, API keys or unknown addresses).
    anthropic_config = SimulatorConfig(roster=[email], unknown_emails=(), api_key_names=(), every_day=True)
    with GithubSimulatorServer() as github, SimulatorServer(anthropic_config) as anthropic:
        tenant_id, admin, person_id = _tenant_with_copilot_and_claude_code(github, anthropic, email)
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

    costs = _costs_by_provider_and_day(person_id)
    assert set(costs) == {"claude_code", "copilot"} and all(costs.values())
    totals = {provider: sum(days.values(), Decimal(0)) for provider, days in costs.items()}
    assert totals["copilot"] == cost

    # All tools: both providers in the cards and the chart, split per provider and day as the raw records.
    page.goto(f"{base_url}{routes.person_url(person_id)}?range=all")
    section = page.get_by_role("region", name="AI Tooling Usage", exact=True)

    def card(label: str):
        term = section.get_by_role("term").filter(has_text=re.compile(f"^{re.escape(label)}$"))
        return term.locator("xpath=following-sibling::dd[1]")

    expect(card("Active providers")).to_have_text("2", timeout=20_000)
    expect(section).to_contain_text("Claude Code, GitHub Copilot")
    both = format_usd(totals["claude_code"] + totals["copilot"])
    expect(card("Cost")).to_have_text(both)
    expect(section.get_by_label("Range total")).to_contain_text(both)
    page.wait_for_function("() => { const gd = document.getElementById('person-cost-trend');"
                           " return !!(gd && gd.data && gd.data.length === 2); }", timeout=15_000)
    plotted = page.evaluate("() => Object.fromEntries(document.getElementById('person-cost-trend').data"
                            ".map(t => [t.name, Object.fromEntries(t.x.map((x, i) => [x, t.customdata[i][1]]))]))")
    assert list(plotted) == ["Claude Code", "GitHub Copilot"]
    for provider, name in (("claude_code", "Claude Code"), ("copilot", "GitHub Copilot")):
        assert {day: plotted[name][day] for day in costs[provider]} == {
            day: format_usd(cents) for day, cents in costs[provider].items()}, provider

    # Each provider alone through the filter.
    for provider in ("claude_code", "copilot"):
        page.goto(f"{base_url}{routes.person_url(person_id)}?provider={provider}&range=all")
        expect(card("Active providers")).to_have_text("1", timeout=20_000)
        expect(card("Cost")).to_have_text(format_usd(totals[provider]))
        expect(section.get_by_label("Range total")).to_contain_text(format_usd(totals[provider]))
