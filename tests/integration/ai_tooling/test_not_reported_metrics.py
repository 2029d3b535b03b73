"""A metric a provider does not report is stored as not reported (NULL), never 0, all the way to the
pages: the records, both rollup tables, the person and unit cards ("—"), the member table and the API.

GitHub Copilot's declaration reports lines, tokens and cost but no sessions, commits, pull requests or
cache tokens; its day is stored as its client would hand it over (a cost of 0: a reported zero).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.ai_tooling import ingest
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import DailyUsage
from orgonaut.ai_tooling.providers.declaration import Metric
from orgonaut.api.routers.usage import record_out
from orgonaut.integrations.models import Integration
from orgonaut.org.models import OrgUnitKind
from orgonaut.paging import PageRequest, Sort
from orgonaut.rollups import queries, service
from orgonaut.rollups.members import team_member_page
from orgonaut.rollups.models import AiUsageMemberRollup, AiUsageRollup, Breadth
from orgonaut.ui.components.usage_cards import NOT_REPORTED
from orgonaut.ui.pages.usage_views import Providers, card_range, person_range_cards
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

DAY = dt.date(2025, 3, 3)
NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


class CopilotCounters(msgspec.Struct):
    code_acceptance_activity_count: int
    used_agent: bool


def _integration(session, tenant, provider: str) -> Integration:
    integration = Integration(tenant_id=tenant.id, category="ai_tooling", provider=provider)
    session.add(integration)
    session.commit()
    return integration


def _store(session, integration, usages) -> None:
    matchers = ingest.load_matchers(session=session, tenant_id=integration.tenant_id, scopes=[ingest.LIVE])
    ingest.store_day(session=session, integration=integration, matchers=matchers, day=DAY, usages=usages)
    session.commit()


@pytest.fixture
def team(session):
    tenant = make_tenant(session)
    web = b.unit(session, tenant, "Web", kind=OrgUnitKind.team)
    ada, ben = b.actor(session, tenant, "Ada"), b.actor(session, tenant, "Ben")
    for who in (ada, ben):
        b.place(session, who, web, dt.date(2025, 1, 1))
    session.commit()
    return tenant, web, ada, ben


def _copilot_day(email: str, added: int) -> DailyUsage:
    # What a client hands over: DailyUsage's defaults (0) for what the vendor does not report.
    return DailyUsage(source_email=email, usage_date=DAY, lines_added=added, lines_removed=1, total_input_tokens=5,
                      total_output_tokens=7, provider_metrics=CopilotCounters(3, True))


def test_the_copilot_declaration_lacks_the_metrics_this_test_relies_on():
    metrics = registry.PROVIDERS["copilot"].metrics
    assert Metric.sessions not in metrics and Metric.commits not in metrics and Metric.lines_added in metrics
    assert Metric.cost in metrics


def test_unreported_metrics_are_stored_as_null_on_both_store_paths_and_reported_ones_as_given(session, team):
    tenant, _, ada, _ = team
    copilot = _integration(session, tenant, "copilot")
    for added in (10, 12):  # a new day (straight COPY on PostgreSQL), then the same day again (merge)
        _store(session, copilot, [_copilot_day(ada.email, added)])
        session.expire_all()
        [record] = session.exec(select(AiToolUsageRecord)).all()
        assert (record.sessions_count, record.commits_count, record.pull_requests_count,
                record.total_cache_read_tokens, record.total_cache_creation_tokens) == (None,) * 5
        assert record.total_cost_cents == 0
        assert (record.lines_added, record.lines_removed, record.total_input_tokens,
                record.total_output_tokens) == (added, 1, 5, 7)
        assert record.provider_metrics == {"code_acceptance_activity_count": 3, "used_agent": True}
    out = record_out(record)
    assert (out.sessions_count, out.commits_count, out.lines_added) == (None, None, 12)


def test_rollups_and_cards_say_not_reported_and_mix_with_a_provider_that_reports(session, team):
    tenant, web, ada, ben = team
    _store(session, _integration(session, tenant, "copilot"), [_copilot_day(ada.email, 10),
                                                               _copilot_day(ben.email, 4)])
    _store(session, _integration(session, tenant, "claude_code"), [
        DailyUsage(source_email=ben.email, usage_date=DAY, sessions_count=3, commits_count=0, lines_added=6,
                   total_cost_cents=Decimal("2.5")),
    ])
    with clock.frozen_at(NOW):
        service.rebuild(session=session, tenant_id=tenant.id)
        session.commit()

        rollups = {(r.provider, r.breadth): r for r in session.exec(select(AiUsageRollup))}
        copilot = rollups[("copilot", "direct")]
        assert (copilot.sessions, copilot.commits, copilot.cost_cents, copilot.lines_added) == (None, None, 0, 14)
        assert rollups[("claude_code", "direct")].commits == 0  # a reported zero stays a zero
        members = {(r.provider, r.actor_id): r for r in session.exec(select(AiUsageMemberRollup))}
        assert members[("copilot", ada.id)].sessions is None and members[("copilot", ada.id)].lines_added == 10

        # Ada has only Copilot usage: her sessions are not reported; Ben's are Claude Code's 3.
        ada_summary = queries.person_summary(session=session, actor=ada)
        assert (ada_summary.sessions, ada_summary.commits, ada_summary.lines_added) == (None, None, 10)
        # The cards of "All" (since the first day of usage) sum the same days the chart plots.
        every = card_range("all", today=NOW.date(), first_usage=DAY)
        when = "Mar 3 – 10, 2025"

        def cards_of(actor, providers):
            series = queries.person_series(session=session, actor=actor, range="all")
            return {card.label: (card.value, card.hint)
                    for card in person_range_cards(series, every, Providers(providers, providers))}

        cards = cards_of(ada, ("copilot",))
        assert cards["Sessions"] == (NOT_REPORTED, "not reported by GitHub Copilot")
        assert cards["Lines added"] == ("10", when)
        ben_summary = queries.person_summary(session=session, actor=ben)
        assert (ben_summary.sessions, ben_summary.commits, ben_summary.lines_added) == (3, 0, 10)
        ben_cards = cards_of(ben, ("claude_code", "copilot"))
        assert ben_cards["Sessions"] == ("3", f"{when} · Claude Code only")
        assert ben_cards["Lines added"] == ("10", when)

        unit = queries.unit_summary(session=session, org_unit=web, breadth=Breadth.direct)
        assert (unit.sessions, unit.commits, unit.pull_requests, unit.lines_added) == (3, 0, 0, 20)
        assert unit.cost_cents == Decimal("2.5")

        [point] = [p for p in queries.unit_series(session=session, org_unit=web, breadth=Breadth.direct,
                                                  range="all") if p.date == DAY]
        assert (point.cost_cents, point.sessions, point.commits) == (Decimal("2.5"), 3, 0)
        assert point.cost_by_provider == (("claude_code", Decimal("2.5")), ("copilot", Decimal(0)))

        rows = queries.team_member_breakdown(session=session, org_unit=web, range="all")
        by_name = {row.name: row for row in rows}
        assert (by_name["Ada"].sessions, by_name["Ada"].lines_added) == (None, 10)
        assert (by_name["Ben"].sessions, by_name["Ben"].lines_added) == (3, 10)
        # Not reported sorts below every reported value, zero included (the page's SQL order).
        for descending, names in ((True, ["Ben", "Ada"]), (False, ["Ada", "Ben"])):
            page = team_member_page(session=session, org_unit=web, range="all", request=PageRequest(),
                                    sort=Sort("sessions", descending))
            assert [row.name for row in page.rows.items] == names
            assert (page.totals.sessions, page.totals.lines_added) == (3, 20)


def test_a_unit_without_usage_shows_zero_not_not_reported(session, team):
    _, web, _, _ = team
    summary = queries.unit_summary(session=session, org_unit=web, breadth=Breadth.direct)
    assert (summary.sessions, summary.commits, summary.lines_added) == (0, 0, 0)
