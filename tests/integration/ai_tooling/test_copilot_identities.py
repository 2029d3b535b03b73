"""GitHub Copilot people, matched to the org (the "one identity per person" issue's "done when"): 30 days
synced from the GitHub simulator where some logins map through SAML (their nameId is a person's e-mail),
one through a GitHub login a person was given by hand before the sync (the login's old name: GitHub
renames that user within the 30 days, and the renamed login keeps its person), one through a CSV upload
afterwards (which re-matches its stored usage and refreshes the team's rollups), and the rest stay
unmatched, named by their current logins. Expected owners come from the simulator's own users, never
from what the product stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from orgonaut.ai_tooling import aliases, identity_import, service, steps
from orgonaut.ai_tooling.models import AiToolUsageRecord, UsageSourceAlias
from orgonaut.integrations.models import SyncStatus
from orgonaut.org import service as org
from orgonaut.rollups import queries as rollup_queries
from orgonaut.rollups import queue as rollup_queue
from orgonaut.simulator.copilot import DEFAULT_UNKNOWN_LOGINS, GithubConfig
from orgonaut.simulator.copilot_data import GithubUser, make_users, user_row
from orgonaut.simulator.data import DEFAULT_ROSTER
from tests.integration.ai_tooling.conftest import add_actor
from tests.support.github_simulator import VALID_GITHUB_TOKEN, GithubSimulatorServer

_TODAY = dt.datetime.now(dt.UTC).date()
END = _TODAY - dt.timedelta(days=4)  # settled: GitHub finalises a day within three full days
DAYS = [END - dt.timedelta(days=n) for n in range(29, -1, -1)]  # 30 days; the rename falls within them
USERS = make_users(DEFAULT_ROSTER, seed=0, unknown_logins=DEFAULT_UNKNOWN_LOGINS, now=_TODAY)
ROSTER = {u.id: email for u, email in zip(USERS, DEFAULT_ROSTER, strict=False)}  # the org's people


@pytest.fixture
def github():
    """A simulator serving exactly USERS, so the expected owners are those of the simulator's users."""
    with GithubSimulatorServer(GithubConfig(users=USERS)) as server:
        yield server


def _records(session, tenant_id: int, **where) -> list[AiToolUsageRecord]:
    session.expire_all()
    conditions = [getattr(AiToolUsageRecord, name) == value for name, value in where.items()]
    return list(session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.tenant_id == tenant_id, *conditions)))


def _owners(session, tenant_id: int) -> dict[str, set[int | None]]:
    owners: dict[str, set[int | None]] = {}
    for record in _records(session, tenant_id):
        owners.setdefault(record.source_email, set()).add(record.actor_id)
    return owners


def _cost(records: list[AiToolUsageRecord]) -> Decimal:
    return sum((r.total_cost_cents for r in records), Decimal(0))


def _refresh_rollups(session, tenant_id: int) -> None:
    while rollup_queue.run_owed(tenant_id=tenant_id, scenario_id=None).intents:
        pass
    session.expire_all()


def _team_cost(session, team) -> tuple[Decimal, dict[int, Decimal]]:
    """The team's stored rollups: its total, and each member's cost."""
    total = rollup_queries.unit_summary(session=session, org_unit=team, breadth="direct").cost_cents
    members = rollup_queries.team_member_breakdown(session=session, org_unit=team, range="all")
    return total, {m.actor_id: m.cost_cents for m in members}


def _lines_added_by_day(user: GithubUser) -> dict[dt.date, int]:
    """The user's lines added per synced day, from the simulator's own rows (0: no row that day)."""
    return {day: (row or {}).get("loc_added_sum", 0) for day in DAYS
            for row in [user_row(user, day, seed=0)]}


def test_30_days_of_copilot_logins_match_through_saml_a_renamed_hand_made_login_and_a_csv_upload(
    session, tenant, github,
):
    people = {email: add_actor(session, tenant.id, email, name=email.split("@")[0]) for email in DEFAULT_ROSTER}
    [renamed] = [u for u in USERS if u.former_login is not None]
    assert renamed.renamed_on is not None and DAYS[0] < renamed.renamed_on <= DAYS[-1]
    by_csv, nobody_linked = [u for u in USERS if u.id in ROSTER and u.saml_email is None and u != renamed][:2]
    renamed_person, csv_person = people[ROSTER[renamed.id]], people[ROSTER[by_csv.id]]
    company = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="company", name="Co")
    team = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="team", name="Team",
                               parent_id=company.id)
    for person in (renamed_person, csv_person):
        org.create_placement(session=session, tenant_id=tenant.id, actor_id=person.id, org_unit_id=team.id,
                             start_date=dt.date(2020, 1, 1), is_primary=True)
    # By hand, before the sync: the login the person went by before GitHub renamed them.
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=renamed_person.id,
                     kind="github_login", value=renamed.former_login)
    session.commit()

    integration = service.connect(
        session=session, tenant_id=tenant.id, provider="copilot",
        credentials={"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
                     "business_seat_usd": "19", "enterprise_seat_usd": "39"},
        api_base=github.base_url, baseline=True)
    session.commit()
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=DAYS[0], end=DAYS[-1], user_id=None, enqueue=False)
    session.commit()
    assert steps.run_foreground(log_id=log.id, sleep=lambda _s: None).status == SyncStatus.succeeded

    expected = {f"github:{u.id}": people[u.saml_email].id for u in USERS if u.saml_email}
    expected[f"github:{renamed.id}"] = renamed_person.id
    owners = _owners(session, tenant.id)
    assert len(owners) == len(USERS)  # every seat holder has records (cost at least)
    for source, actor_ids in owners.items():
        assert actor_ids == {expected.get(source)}, source

    # The renamed login kept its person: one source, every day of the 30, the rows' lines on both sides.
    renamed_source = f"github:{renamed.id}"
    kept = _records(session, tenant.id, actor_id=renamed_person.id)
    assert {r.source_email for r in kept} == {renamed_source}
    lines = _lines_added_by_day(renamed)
    assert {r.usage_date: r.lines_added for r in kept} == lines
    assert any(lines[d] for d in DAYS if d < renamed.renamed_on) and any(lines[d] for d in DAYS
                                                                           if d >= renamed.renamed_on)
    logins = set(session.exec(select(UsageSourceAlias.value).where(
        UsageSourceAlias.tenant_id == tenant.id, UsageSourceAlias.source == renamed_source,
        UsageSourceAlias.kind == "github_login")))
    assert logins == {renamed.former_login, renamed.login}
    [names] = aliases.names_of(session=session, tenant_id=tenant.id, sources=[renamed_source]).values()
    assert names.label == f"@{renamed.login} (GitHub user id {renamed.id})"  # named by its newest login

    unmatched = {u.source_email: u.label for u in service.list_unmatched(session=session, tenant_id=tenant.id)}
    assert unmatched == {f"github:{u.id}": f"@{u.login} (GitHub user id {u.id})"
                         for u in USERS if f"github:{u.id}" not in expected}
    assert f"github:{nobody_linked.id}" in unmatched and f"github:{by_csv.id}" in unmatched

    _refresh_rollups(session, tenant.id)
    total, members = _team_cost(session, team)
    assert members == {renamed_person.id: _cost(kept), csv_person.id: 0} and total == _cost(kept) > 0

    # A CSV upload gives another login to its person: its stored 30 days are re-matched at once.
    text = f"person_email,kind,value\n{csv_person.email},github_login,{by_csv.login}\n"
    [row] = identity_import.preview(session=session, tenant_id=tenant.id, scenario_id=None, text=text).rows
    csv_source = f"github:{by_csv.id}"
    csv_records = _records(session, tenant.id, source_email=csv_source)
    assert row.accepted and row.would_match == len(csv_records) == len(DAYS)
    identity_import.apply(session=session, tenant_id=tenant.id, scenario_id=None, text=text)
    session.commit()
    assert _owners(session, tenant.id)[csv_source] == {csv_person.id}
    assert csv_source not in {u.source_email for u in service.list_unmatched(session=session, tenant_id=tenant.id)}
    _refresh_rollups(session, tenant.id)
    total, members = _team_cost(session, team)
    assert members == {renamed_person.id: _cost(kept), csv_person.id: _cost(csv_records)}
    assert total == _cost(kept) + _cost(csv_records) and _cost(csv_records) > 0
