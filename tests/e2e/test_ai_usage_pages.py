"""The AI Tooling sections in a real browser on the demo with 180 days of simulator usage.

What is plotted is read from the Plotly graph div (`gd.data`), never from screenshots, and compared
with what `orgonaut.rollups.queries` answers for the same unit and range in this process (the web
app reads the same database).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from orgonaut.db import get_engine, session_scope
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.rollups import periods, queries
from orgonaut.rollups.models import Breadth
from orgonaut.rollups.periods import RANGE_LABELS, Period, Range, previous_period
from orgonaut.tenancy.models import Tenant
from orgonaut.ui.components.charts import buckets, dollars
from orgonaut.ui.components.usage_cards import period_text
from orgonaut.ui.format import format_usd
from tests.e2e.pages import log_in

SECTION = "AI Tooling Usage"
# Clicks a range option and resolves with the milliseconds until Plotly finished redrawing.
TIMED_SWITCH = """
async (option, chartId) => {
  const gd = document.getElementById(chartId);
  const started = performance.now();
  await new Promise((resolve, reject) => {
    gd.once('plotly_afterplot', resolve);
    setTimeout(() => reject(new Error('no redraw within 5 s')), 5000);
    option.click();
  });
  return performance.now() - started;
}
"""
PLOTTED = """
(chartId) => {
  const gd = document.getElementById(chartId);
  return gd && gd.data ? {x: gd.data[0].x, y: gd.data[0].y, customdata: gd.data[0].customdata} : null;
}
"""


def _tenant_id() -> int:
    with session_scope() as session:
        return session.exec(select(Tenant.id).where(Tenant.slug == "demo")).one()


def _unit(name: str) -> OrgUnit:
    with session_scope() as session:
        return session.exec(select(OrgUnit).where(OrgUnit.tenant_id == _tenant_id(), OrgUnit.scenario_id.is_(None),
                                                  OrgUnit.name == name)).one()


def _actor(name: str) -> Actor:
    with session_scope() as session:
        return session.exec(select(Actor).where(Actor.tenant_id == _tenant_id(), Actor.scenario_id.is_(None),
                                                Actor.name == name)).one()


def _expected(points: list[queries.DayPoint]) -> dict:
    """What the cost chart plots for a range's days (today is left out until it has usage)."""
    with session_scope() as session:
        today = periods.tenant_today(session=session, tenant_id=_tenant_id())
    chart = buckets(points, today=today)
    return {"x": [b.start.isoformat() for b in chart], "y": [dollars(b.cost_cents) for b in chart],
            "customdata": [[b.label, format_usd(b.cost_cents)] for b in chart]}


def _total(points: list[queries.DayPoint]) -> str:
    return format_usd(sum((p.cost_cents for p in points), Decimal(0)))


def _section(page: Page):
    return page.get_by_role("region", name=SECTION, exact=True)


def _card(page: Page, label: str):
    """A summary card's value: the definition after its term."""
    return _section(page).get_by_role("term").filter(has_text=re.compile(f"^{re.escape(label)}$")).locator(
        "xpath=following-sibling::dd[1]")


def _wait_for_plot(page: Page, chart_id: str, expected: dict) -> None:
    page.wait_for_function(
        "([chartId, x]) => { const gd = document.getElementById(chartId);"
        " return !!(gd && gd.data && JSON.stringify(gd.data[0].x) === JSON.stringify(x)); }",
        arg=[chart_id, expected["x"]], timeout=15_000,
    )
    assert page.evaluate(PLOTTED, chart_id) == expected


def _switch_every_range(page: Page, chart_id: str, series_for) -> list[float]:
    """Clicks every range (twice round), checks the plotted points each time; the redraw times in ms."""
    plotted: dict[Range, dict] = {}
    timings = []
    for choice in [*Range, *Range]:
        expected = _expected(series_for(choice))
        assert any(expected["y"]), f"the demo has usage in {choice}"
        option = _section(page).get_by_role("radio", name=RANGE_LABELS[choice], exact=True)
        if option.get_attribute("aria-checked") == "true":  # the default range: no redraw to time
            _wait_for_plot(page, chart_id, expected)
        else:
            # The chart may still be mounting (the page's first render under load): time a redraw, not that.
            page.wait_for_function(
                "chartId => { const gd = document.getElementById(chartId); return !!(gd && gd.data && gd.once); }",
                arg=chart_id, timeout=15_000,
            )
            timings.append(option.evaluate(TIMED_SWITCH, chart_id))
            _wait_for_plot(page, chart_id, expected)
        expect(option).to_have_attribute("aria-checked", "true")
        expect(_section(page).get_by_label("Range total")).to_contain_text(
            format_usd(sum(p.cost_cents for p in series_for(choice))))
        plotted[choice] = expected
    # Each range plotted other days.
    assert len({tuple(p["x"]) for p in plotted.values()}) == len(Range)
    return timings


@pytest.fixture(autouse=True)
def _refreshes_done(demo_refreshed):
    """The seed's rollup refreshes are worked off before each test (conftest: `demo_refreshed`)."""


@pytest.fixture
def admin(page: Page, base_url: str) -> Page:
    """An admin sees every person's and unit's usage (who sees what per role: test_usage_visibility.py)."""
    log_in(page, base_url, "admin@demo.test")
    return page


def test_team_page_plots_every_range_and_lists_members_for_it(admin: Page, base_url: str):
    team = _unit("Checkout")
    admin.goto(f"{base_url}/teams/{team.id}")
    with Session(get_engine()) as session:
        # The cards follow the range: the default, 3M.
        three = queries.unit_series(session=session, org_unit=team, breadth=Breadth.subtree, range=Range.three_months)
        expect(_card(admin, "Cost")).to_have_text(_total(three))
        expect(_card(admin, "Active users")).to_have_text(str(queries.active_users(
            session=session, org_unit=team, breadth=Breadth.subtree, start=three[0].date, end=three[-1].date)))
        expect(_section(admin).get_by_role("status", name="Freshness")).to_have_text(
            re.compile(r"^updated (just now|\d+ (minute|hour|day)s? ago)$"))
        expect(_section(admin)).to_contain_text("counts fully in each team")

        timings = _switch_every_range(
            admin, "team-cost-trend",
            lambda r: queries.unit_series(session=session, org_unit=team, breadth=Breadth.subtree, range=r))
        # Timings are printed for docs/benchmarks.md; speed is never asserted in a test.
        print(f"\nteam range switch, click to redraw (ms): {[round(t) for t in timings]}")

        table = _section(admin).get_by_role("region", name="Usage by member")
        for choice in Range:
            _section(admin).get_by_role("radio", name=RANGE_LABELS[choice], exact=True).click()
            members = queries.team_member_breakdown(session=session, org_unit=team, range=choice)
            expect(table.locator("tbody").get_by_role("rowheader")).to_have_text([m.name for m in members])
            expect(table.get_by_role("row").nth(1).get_by_role("cell").first).to_have_text(
                format_usd(members[0].cost_cents))
            # The totals row: the exact sum, rounded once; the same number as the cost card.
            expect(table.locator("tfoot").get_by_role("cell").first).to_have_text(
                format_usd(sum((m.cost_cents for m in members), Decimal(0))))
            expect(_card(admin, "Cost")).to_have_text(format_usd(sum((m.cost_cents for m in members), Decimal(0))))
    first = table.get_by_role("link", name=members[0].name)
    expect(first).to_have_attribute("href", f"/people/{members[0].actor_id}")
    first.click()
    expect(admin).to_have_url(f"{base_url}/people/{members[0].actor_id}")
    expect(_section(admin).get_by_role("heading", name=SECTION)).to_be_visible()


def test_member_table_sorts_by_clicking_column_headers(admin: Page, base_url: str):
    team = _unit("Checkout")
    admin.goto(f"{base_url}/teams/{team.id}")
    _section(admin).get_by_role("radio", name="All", exact=True).click()
    with Session(get_engine()) as session:
        members = queries.team_member_breakdown(session=session, org_unit=team, range=Range.all)
    assert len(members) >= 4
    table = _section(admin).get_by_role("region", name="Usage by member")
    names = table.locator("tbody").get_by_role("rowheader")

    def column(label: str):
        return table.get_by_role("columnheader").filter(has=admin.get_by_role("button", name=label, exact=True))

    expect(names).to_have_text([m.name for m in members])  # cost, highest first
    expect(column("Cost")).to_have_attribute("aria-sort", "descending")

    table.get_by_role("button", name="Name", exact=True).click()
    by_name = sorted(members, key=lambda m: (m.name.lower(), m.actor_id))
    expect(names).to_have_text([m.name for m in by_name])
    expect(column("Name")).to_have_attribute("aria-sort", "ascending")
    expect(column("Cost")).to_have_attribute("aria-sort", "none")
    table.get_by_role("button", name="Name", exact=True).click()
    expect(names).to_have_text([m.name for m in reversed(by_name)])
    expect(column("Name")).to_have_attribute("aria-sort", "descending")

    table.get_by_role("button", name="Sessions", exact=True).click()
    by_sessions = sorted(by_name, key=lambda m: m.sessions, reverse=True)
    expect(names).to_have_text([m.name for m in by_sessions])
    table.get_by_role("button", name="Sessions", exact=True).click()
    expect(names).to_have_text([m.name for m in sorted(by_name, key=lambda m: m.sessions)])
    table.get_by_role("button", name="Cost", exact=True).click()
    expect(names).to_have_text([m.name for m in members])


def test_department_page_shows_direct_and_subtree_and_plots_every_range(admin: Page, base_url: str):
    department = _unit("Engineering")
    admin.goto(f"{base_url}/departments/{department.id}")
    with Session(get_engine()) as session:
        def series(breadth, choice):
            return queries.unit_series(session=session, org_unit=department, breadth=breadth, range=choice)

        direct, subtree = series(Breadth.direct, Range.three_months), series(Breadth.subtree, Range.three_months)
        assert 0 < sum(p.cost_cents for p in direct) < sum(p.cost_cents for p in subtree)
        for label, value in (
            ("Direct cost", _total(direct)),
            ("Subtree cost", _total(subtree)),
            ("Sessions", f"{sum(p.sessions for p in subtree):,}"),
            ("Commits", f"{sum(p.commits for p in subtree):,}"),
            ("Pull requests", f"{sum(p.pull_requests for p in subtree):,}"),
            ("Lines added", f"{sum(p.lines_added for p in subtree):,}"),
        ):
            expect(_card(admin, label)).to_have_text(value)
        timings = _switch_every_range(
            admin, "department-cost-trend",
            lambda r: queries.unit_series(session=session, org_unit=department, breadth=Breadth.subtree, range=r))
    print(f"\ndepartment range switch, click to redraw (ms): {[round(t) for t in timings]}")
    # Hover shows the date and the amount in dollars; the y axis is money.
    trace = admin.evaluate("() => document.getElementById('department-cost-trend').data[0].hovertemplate")
    assert trace == "%{customdata[0]}<br>%{customdata[1]}<extra></extra>"
    ticks = admin.locator("#department-cost-trend .ytick text").all_text_contents()
    assert ticks and all(t.startswith("$") for t in ticks), ticks


def test_person_with_usage_shows_the_ranges_cards_and_both_charts(admin: Page, base_url: str):
    ana = _actor("Ana Souza")
    admin.goto(f"{base_url}/people/{ana.id}")
    with Session(get_engine()) as session:
        points = queries.person_series(session=session, actor=ana, range=Range.three_months)
        for label, value in (
            ("Cost", _total(points)),
            ("Sessions", f"{sum(p.sessions for p in points):,}"),
            ("Commits", f"{sum(p.commits for p in points):,}"),
            ("Pull requests", f"{sum(p.pull_requests for p in points):,}"),
            ("Lines added", f"{sum(p.lines_added for p in points):,}"),
            ("Lines removed", f"{sum(p.lines_removed for p in points):,}"),
            ("Active providers", "1"),
        ):
            expect(_card(admin, label)).to_have_text(value)
        expect(_section(admin).get_by_role("term")).to_have_count(7)
        _section(admin).get_by_role("radio", name="Last Month", exact=True).click()
        points = queries.person_series(session=session, actor=ana, range=Range.last_month)
    _wait_for_plot(admin, "person-cost-trend", _expected(points))
    expect(_card(admin, "Cost")).to_have_text(_total(points))
    lines = admin.evaluate(
        "() => document.getElementById('person-activity').data.map(t => [t.name, t.type, t.y])")
    # Separate series, not a stack of parts of one whole.
    assert lines == [["Sessions", "scatter", [p.sessions for p in points]],
                     ["Commits", "scatter", [p.commits for p in points]],
                     ["Pull requests", "scatter", [p.pull_requests for p in points]]]
    assert admin.evaluate("() => document.getElementById('person-activity').layout.barmode") is None
    # Hovering the activity chart shows the day's three numbers.
    for chart_id, said in (("person-activity", ("Sessions:", "Pull requests:")), ("person-cost-trend", ("$",))):
        plot = admin.locator(f"#{chart_id} .nsewdrag").first
        plot.scroll_into_view_if_needed()
        box = plot.bounding_box()
        admin.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
        hover = admin.locator(f"#{chart_id} .hoverlayer")
        for text in said:
            expect(hover).to_contain_text(text)
    # The table alternative: the same numbers, one row per day.
    _section(admin).get_by_text("Activity as a table", exact=True).click()
    rows = admin.locator("#person-activity-table tbody tr")
    expect(rows).to_have_count(len(points))
    expect(rows.first.get_by_role("rowheader")).to_have_text(period_text(Period(points[0].date, points[0].date)))
    expect(rows.first.get_by_role("cell").first).to_have_text(f"{points[0].sessions:,}")


def test_the_range_is_in_the_url_and_the_cards_follow_it(admin: Page, base_url: str):
    team = _unit("Checkout")
    url = f"{base_url}/teams/{team.id}"
    with Session(get_engine()) as session:
        def points(choice):
            return queries.unit_series(session=session, org_unit=team, breadth=Breadth.subtree, range=choice)

        admin.goto(url)
        radio = _section(admin).get_by_role("radio", name="Last Month", exact=True)
        radio.click()
        # The address changes in place (no reload), with the range in it.
        expect(admin).to_have_url(f"{url}?range=last_month")
        month = points(Range.last_month)
        days = len(month)  # a point per day
        cost = _section(admin).get_by_role("definition").first.locator("xpath=..")
        expect(_card(admin, "Cost")).to_have_text(_total(month))
        expect(cost).to_contain_text(period_text(Period(month[0].date, month[-1].date)))
        expect(cost).to_contain_text(f"vs the {days} days before")
        before = previous_period(Period(month[0].date, month[-1].date))
        earlier = queries.unit_series(session=session, org_unit=team, breadth=Breadth.subtree, start=before.start,
                                      end=before.end)
        assert sum(p.cost_cents for p in earlier) != sum(p.cost_cents for p in month)  # a change to show

        # A reload keeps the range: cards, chart and its table.
        admin.reload()
        expect(radio).to_have_attribute("aria-checked", "true")
        expect(_card(admin, "Cost")).to_have_text(_total(month))
        _wait_for_plot(admin, "team-cost-trend", _expected(month))
        _section(admin).get_by_text("Team cost trend as a table", exact=True).click()
        expect(admin.locator("#team-cost-trend-table tbody tr").last).to_contain_text(_total(month))

        # Another range, then the provider filter's link keeps both.
        _section(admin).get_by_role("radio", name="MTD", exact=True).click()
        expect(admin).to_have_url(f"{url}?range=mtd")
        expect(_card(admin, "Cost")).to_have_text(_total(points(Range.mtd)))
        admin.goto(f"{url}?provider=claude_code&range=all")
        expect(_section(admin).get_by_role("radio", name="All", exact=True)).to_have_attribute("aria-checked", "true")
        expect(_card(admin, "Cost")).to_have_text(_total(points(Range.all)))
        _section(admin).get_by_role("radio", name="6M", exact=True).click()
        expect(admin).to_have_url(f"{url}?provider=claude_code&range=6m")

        # A bad value is the default range, with no error.
        admin.goto(f"{url}?range=forever")
        expect(_section(admin).get_by_role("radio", name="3M", exact=True)).to_have_attribute("aria-checked", "true")
        expect(_card(admin, "Cost")).to_have_text(_total(points(Range.three_months)))
        expect(_section(admin).get_by_role("status")).not_to_contain_text("Unknown")


def test_person_without_usage_has_no_ai_tooling_section(admin: Page, base_url: str):
    elena = _actor("Elena Petrova")  # does not use Claude Code in the demo
    with Session(get_engine()) as session:
        assert queries.person_summary(session=session, actor=elena) is None
    admin.goto(f"{base_url}/people/{elena.id}")
    expect(admin.get_by_role("heading", name="Elena Petrova")).to_be_visible()
    # The slot is busy until the section's load for this person is done; then nothing is in it.
    expect(admin.locator("#ai-tooling-usage")).to_have_attribute("aria-busy", "false")
    expect(_section(admin)).to_have_count(0)
    expect(admin.get_by_text(SECTION)).to_have_count(0)


def test_updating_shows_while_a_refresh_waits_and_clears_when_it_is_done(
    admin: Page, base_url: str, celery_worker_process
):
    from orgonaut import clock, kv
    from orgonaut.ai_tooling import changes
    from orgonaut.rollups import queue as refresh

    team = _unit("Checkout")
    julia = _actor("Julia Fischer")
    today = clock.utcnow().date()
    # A job for the scope is already waiting in the queue (its send key stands), so this change
    # sends none: the scope stays pending until the job is sent below.
    kv.locks().set(changes.sent_key(team.tenant_id, None), "1", ex=60)
    # Her last month of usage is recomputed, so the team's rollups are "updated just now" afterwards.
    assert changes.queue_rollup_refresh(tenant_id=team.tenant_id, scenario_id=None,
                                        start=today - dt.timedelta(days=30), end=today, actor_ids=[julia.id])
    admin.goto(f"{base_url}/teams/{team.id}")
    expect(_section(admin).get_by_role("status", name="Freshness")).to_have_text("updating…")
    assert changes.send_job(team.tenant_id, None, force=True)
    # The page polls, and when the worker is done it reloads the numbers: no reload of the page.
    expect(_section(admin).get_by_role("status", name="Freshness")).to_have_text(
        re.compile(r"^updated (just now|1 minute ago)$"), timeout=30_000)
    assert not refresh.refresh_pending(tenant_id=team.tenant_id, scenario_id=None)


def test_a_team_without_usage_shows_an_empty_state_instead_of_a_chart(admin: Page, base_url: str):
    team = _unit("Customer Support")  # nobody there uses Claude Code in the demo
    with Session(get_engine()) as session:
        assert not any(p.cost_cents for p in queries.unit_series(session=session, org_unit=team,
                                                                 breadth=Breadth.subtree, range=Range.all))
    admin.goto(f"{base_url}/teams/{team.id}")
    expect(_card(admin, "Cost")).to_have_text("$0.00")
    for label in ("MTD", "All"):
        _section(admin).get_by_role("radio", name=label, exact=True).click()
        expect(_section(admin).get_by_text("No usage in this range")).to_be_visible()
        expect(admin.locator("#team-cost-trend")).to_have_count(0)
