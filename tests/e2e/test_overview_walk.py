"""A manager walks the AI spend overview down to a person in a real browser: overview -> department -> team ->
person, by the pages' links, switching the range and the provider filter on the way.

A tenant of its own: Walk Co > Walk Dept (the manager, Mia, placed in it) > Walk Team (Tom and Tess); Olga in
Other Dept, outside Mia's scope. Claude Code (all four) and Cursor (Tom and Tess) are synced here from simulators
of their own, from the first of last month, and the owed rollup refreshes worked off. Every number checked on a
page is computed here from the database: the raw records of the people placed in the scope, or the domain
functions the pages call (`rollups.overview`, `rollups.output_per_cost`, `rollups.queries`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets as pysecrets
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling import steps
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.windows import last_complete_day
from orgonaut.db import get_engine, session_scope
from orgonaut.demo import DEMO_PASSWORD
from orgonaut.org import service as org
from orgonaut.org import visibility
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.rollups import output_per_cost, periods, queries
from orgonaut.rollups import queue as rollup_queue
from orgonaut.rollups.models import Breadth
from orgonaut.rollups.periods import Range
from orgonaut.simulator.app import SimulatorConfig
from orgonaut.simulator.cursor import CursorConfig
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Plan, Role, User
from orgonaut.ui.format import format_usd
from tests.e2e.pages import log_in
from tests.support.cursor_simulator import VALID_CURSOR_KEY, CursorSimulatorServer
from tests.support.simulator import SimulatorServer

END = last_complete_day()
START = (END.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # the first of last month
SECTION = "AI Tooling Usage"


@pytest.fixture(scope="module")
def walk():
    """The tenant, synced from both simulators, its rollups refreshed: ids and e-mails by name."""
    tag = pysecrets.token_hex(4)
    emails = {name: f"{name.lower()}.{tag}@walk.test" for name in ("Mia", "Tom", "Tess", "Olga")}
    anthropic = SimulatorConfig(roster=list(emails.values()), unknown_emails=(), api_key_names=(), every_day=True)
    cursor = CursorConfig(roster=[emails["Tom"], emails["Tess"]], unknown_emails=(), removed={}, joined={},
                          service_accounts=(), every_day=True)
    with SimulatorServer(anthropic) as claude, CursorSimulatorServer(cursor) as cursor_server, \
            session_scope() as session:
        tenant = tenancy.create_tenant(session=session, slug=f"e2e-walk-{tag}", name=f"Walk {tag}",
                                       plan=Plan.business)
        company = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="company",
                                      name="Walk Co")
        dept = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="department",
                                   name="Walk Dept", parent_id=company.id)
        team = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="team",
                                   name="Walk Team", parent_id=dept.id)
        other = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="department",
                                    name="Other Dept", parent_id=company.id)
        ids = {}
        for name, unit in (("Mia", dept), ("Tom", team), ("Tess", team), ("Olga", other)):
            actor = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name=f"{name} Walker",
                                     email=emails[name])
            session.flush()
            org.create_placement(session=session, tenant_id=tenant.id, actor_id=actor.id,
                                 org_unit_id=unit.id, start_date=START - dt.timedelta(days=30), is_primary=True)
            ids[name] = actor.id
        tenancy.create_user(session=session, tenant=tenant, email=emails["Mia"], password=DEMO_PASSWORD,
                            role=Role.manager, name="Mia Walker")
        integrations = [
            ai_tooling.connect(session=session, tenant_id=tenant.id, provider="claude_code", api_base=claude.base_url,
                               credentials={"api_key": f"sk-ant-admin01-walk-{pysecrets.token_hex(12)}"}),
            ai_tooling.connect(session=session, tenant_id=tenant.id, provider="cursor",
                               api_base=cursor_server.base_url, credentials={"api_key": VALID_CURSOR_KEY}),
        ]
        session.commit()
        logs = [ai_tooling.start_backfill(session=session, tenant_id=tenant.id, integration_id=i.id, start=START,
                                          end=END, triggered_by="cli", enqueue=False) for i in integrations]
        session.commit()
        tenant_id, log_ids = tenant.id, [log.id for log in logs]
        units = {"dept": dept.id, "team": team.id}
        for log_id in log_ids:
            assert steps.run_foreground(log_id=log_id, sleep=lambda _s: None).status == "succeeded"
    while rollup_queue.run_owed(tenant_id=tenant_id, scenario_id=None).intents:
        pass
    return {"tenant_id": tenant_id, "ids": ids, "units": units, "manager": emails["Mia"]}


def _cost(records) -> Decimal:
    return sum((r.total_cost_cents or Decimal(0) for r in records), Decimal(0))


def _records(walk, *, names, provider: str | None = None, period: periods.Period) -> list[AiToolUsageRecord]:
    """The raw records of these people in the period (of one provider, or all)."""
    actor_ids = [walk["ids"][n] for n in names]
    with session_scope() as session:
        r = AiToolUsageRecord
        statement = select(r).where(r.tenant_id == walk["tenant_id"], r.actor_id.in_(actor_ids),
                                    r.usage_date >= period.start, r.usage_date <= period.end)
        if provider is not None:
            statement = statement.where(r.provider == provider)
        return list(session.exec(statement))


def _today(walk) -> dt.date:
    with session_scope() as session:
        return periods.tenant_today(session=session, tenant_id=walk["tenant_id"])


def _card(region, label: str):
    return region.get_by_role("term").filter(has_text=re.compile(f"^{re.escape(label)}$")).locator(
        "xpath=following-sibling::dd[1]")


def _output_row(page: Page, label: str):
    return page.get_by_role("region", name="Output per dollar").get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=label, exact=True))


def _manager_viewer(walk) -> visibility.UsageViewer:
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == walk["manager"])).one()
        return visibility.viewer_for(session=session, user=user, scenario_id=None)


def test_a_manager_walks_from_the_overview_to_a_person_switching_range_and_provider(
    page: Page, base_url: str, walk,
):
    scope = ("Mia", "Tom", "Tess")  # Olga is outside Mia's units
    today = _today(walk)
    mtd, last_month = periods.month_to_date(today), periods.previous_month(today)
    log_in(page, base_url, walk["manager"])

    # The overview: Mia's units only, every provider.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="AI spend").click()
    expect(page).to_have_url(f"{base_url}/ai-tooling")
    summary = page.get_by_label("AI spend summary")
    expect(_card(summary, "Month to date")).to_have_text(format_usd(_cost(_records(walk, names=scope, period=mtd))),
                                                         timeout=20_000)
    assert _cost(_records(walk, names=("Olga",), period=mtd)) > 0  # hers would show if the scope leaked
    expect(page.get_by_text("The teams and departments you are placed in, and those below them")).to_be_visible()
    expect(page.get_by_role("note").filter(has_text="The model mix covers the whole organisation")).to_be_visible()

    # The range: last month. Output per dollar follows it (lines added: both providers report them).
    page.get_by_role("radiogroup", name="Range").get_by_role("radio", name="Last Month", exact=True).click()
    expect(page).to_have_url(f"{base_url}/ai-tooling?range=last_month")
    with Session(get_engine()) as session:
        rates = output_per_cost.output_days_for(session=session, viewer=_manager_viewer(walk),
                                                tenant_id=walk["tenant_id"], scenario_id=None, today=today)
    assert rates is not None
    lines = next(r for r in rates.within(last_month).rates if r.metric == "lines_added")
    raw = _records(walk, names=scope, period=last_month)
    assert lines.amount == sum(r.lines_added or 0 for r in raw) > 0 and lines.cost_cents == _cost(raw)
    expect(_output_row(page, "Lines added").get_by_role("cell").nth(1)).to_have_text(f"{lines.amount:,}")
    expect(_output_row(page, "Commits")).to_contain_text("from Claude Code; Cursor left out (not reported)")

    # The provider filter: Cursor alone; the range stays.
    page.get_by_role("radiogroup", name="AI tool").get_by_role("radio", name="Cursor", exact=True).click()
    expect(page).to_have_url(f"{base_url}/ai-tooling?provider=cursor&range=last_month")
    expect(_card(summary, "Month to date")).to_have_text(
        format_usd(_cost(_records(walk, names=scope, provider="cursor", period=mtd))), timeout=20_000)
    expect(_card(summary, "Last month")).to_have_text(
        format_usd(_cost(_records(walk, names=scope, provider="cursor", period=last_month))))
    expect(_output_row(page, "Commits")).to_contain_text("No provider with usage here reports commits")

    # Down to the department by its link in the top units.
    top = page.get_by_role("region", name="Top departments and teams")
    top.get_by_role("link", name="Walk Dept", exact=True).click()
    expect(page).to_have_url(f"{base_url}/departments/{walk['units']['dept']}")
    section = page.get_by_role("region", name=SECTION, exact=True)
    with Session(get_engine()) as session:
        dept = session.get(OrgUnit, walk["units"]["dept"])

        def dept_cost(choice: Range, provider: str | None = None) -> str:
            points = queries.unit_series(session=session, org_unit=dept, breadth=Breadth.subtree, range=choice,
                                         provider=provider)
            return format_usd(sum((p.cost_cents for p in points), Decimal(0)))

        expect(_card(section, "Subtree cost")).to_have_text(dept_cost(Range.three_months), timeout=20_000)
        assert dept_cost(Range.three_months) == format_usd(_cost(_records(
            walk, names=scope, period=periods.period_for(Range.three_months, today=today))))
        section.get_by_role("radio", name="MTD", exact=True).click()
        expect(_card(section, "Subtree cost")).to_have_text(dept_cost(Range.mtd))
        section.get_by_role("radiogroup", name="AI tool").get_by_role("radio", name="Claude Code", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/departments/{walk['units']['dept']}\?provider=claude_code"))
        expect(_card(section, "Subtree cost")).to_have_text(dept_cost(Range.mtd, "claude_code"), timeout=20_000)
        assert dept_cost(Range.mtd, "claude_code") == format_usd(_cost(_records(
            walk, names=scope, provider="claude_code", period=mtd)))

    # Down to the team by its link in the breakdown by unit below.
    page.get_by_role("region", name="Spend by unit below").get_by_role("link", name="Walk Team", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/teams/{walk['units']['team']}"))
    section = page.get_by_role("region", name=SECTION, exact=True)
    with Session(get_engine()) as session:
        team = session.get(OrgUnit, walk["units"]["team"])
        shown_provider = "claude_code" if "provider=claude_code" in page.url else None
        team_points = queries.unit_series(session=session, org_unit=team, breadth=Breadth.subtree,
                                          range=Range.three_months, provider=shown_provider)
        expect(_card(section, "Cost")).to_have_text(format_usd(sum((p.cost_cents for p in team_points), Decimal(0))),
                                                     timeout=20_000)
        section.get_by_role("radio", name="Last Month", exact=True).click()
        members = queries.team_member_breakdown(session=session, org_unit=team, range=Range.last_month,
                                                provider=shown_provider)
        expected = sum((m.cost_cents for m in members), Decimal(0))
        expect(_card(section, "Cost")).to_have_text(format_usd(expected))
        assert expected == _cost(_records(walk, names=("Tom", "Tess"), provider=shown_provider, period=last_month))

    # Down to a person from the member table.
    person = members[0]
    page.get_by_role("region", name="Usage by member").get_by_role("link", name=person.name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/people/{person.actor_id}"))
    section = page.get_by_role("region", name=SECTION, exact=True)
    with Session(get_engine()) as session:
        actor = session.get(Actor, person.actor_id)
        shown_provider = "claude_code" if "provider=claude_code" in page.url else None
        points = queries.person_series(session=session, actor=actor, range=Range.three_months,
                                       provider=shown_provider)
    expect(_card(section, "Cost")).to_have_text(format_usd(sum((p.cost_cents for p in points), Decimal(0))),
                                                timeout=20_000)
    name = next(n for n, i in walk["ids"].items() if i == person.actor_id)
    assert sum((p.cost_cents for p in points), Decimal(0)) == _cost(_records(
        walk, names=(name,), provider=shown_provider, period=periods.period_for(Range.three_months, today=today)))
