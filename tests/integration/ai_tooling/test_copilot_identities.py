"""GitHub Copilot people, matched to the org (issue 15's "done when"): a week synced from the GitHub
simulator where some logins map through SAML (their nameId is a person's e-mail), one through a GitHub
login a person was given by hand before the sync, one through a CSV upload afterwards (which re-matches
its stored usage and refreshes the team's rollups), and the rest stay unmatched, named by their logins.
Expected owners come from the simulator's own users, never from what the product stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import select

from orgonaut.ai_tooling import identity_import, service, steps
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.integrations.models import SyncStatus
from orgonaut.org import service as org
from orgonaut.rollups import queries as rollup_queries
from orgonaut.rollups import queue as rollup_queue
from orgonaut.simulator.copilot import DEFAULT_UNKNOWN_LOGINS
from orgonaut.simulator.copilot_data import make_users
from orgonaut.simulator.data import DEFAULT_ROSTER
from tests.integration.ai_tooling.conftest import add_actor
from tests.support.github_simulator import VALID_GITHUB_TOKEN

_TODAY = dt.datetime.now(dt.UTC).date()
START = _TODAY - dt.timedelta(days=_TODAY.weekday() + 14)
END = START + dt.timedelta(days=6)


def _owners(session, tenant_id: int) -> dict[str, set[int | None]]:
    session.expire_all()
    owners: dict[str, set[int | None]] = {}
    for record in session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.tenant_id == tenant_id)):
        owners.setdefault(record.source_email, set()).add(record.actor_id)
    return owners


def test_copilot_logins_match_through_saml_a_hand_made_identity_and_a_csv_upload(
    session, tenant, clean_github_simulator,
):
    users = make_users(DEFAULT_ROSTER, seed=0, unknown_logins=DEFAULT_UNKNOWN_LOGINS, now=_TODAY)
    roster = {u.login: email for u, email in zip(users, DEFAULT_ROSTER, strict=False)}
    people = {email: add_actor(session, tenant.id, email, name=email.split("@")[0]) for email in DEFAULT_ROSTER}
    without_saml = [u for u in users if u.login in roster and u.saml_email is None]
    by_hand, by_csv, nobody_linked = without_saml[:3]
    company = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="company", name="Co")
    team = org.create_org_unit(session=session, tenant_id=tenant.id, scenario_id=None, kind="team", name="Team",
                               parent_id=company.id)
    csv_person = people[roster[by_csv.login]]
    org.create_placement(session=session, tenant_id=tenant.id, actor_id=csv_person.id, org_unit_id=team.id,
                         start_date=dt.date(2020, 1, 1), is_primary=True)
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=people[roster[by_hand.login]].id,
                     kind="github_login", value=by_hand.login)
    session.commit()

    integration = service.connect(
        session=session, tenant_id=tenant.id, provider="copilot",
        credentials={"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
                     "business_seat_usd": "19", "enterprise_seat_usd": "39"},
        api_base=clean_github_simulator.base_url, baseline=True)
    session.commit()
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=START, end=END, user_id=None, enqueue=False)
    session.commit()
    assert steps.run_foreground(log_id=log.id, sleep=lambda _s: None).status == SyncStatus.succeeded

    expected = {f"github:{u.id}": people[u.saml_email].id for u in users if u.saml_email}
    expected[f"github:{by_hand.id}"] = people[roster[by_hand.login]].id
    owners = _owners(session, tenant.id)
    assert len(owners) == len(users)  # every seat holder has records (cost at least)
    for source, actor_ids in owners.items():
        assert actor_ids == {expected.get(source)}, source
    unmatched = {u.source_email: u.label for u in service.list_unmatched(session=session, tenant_id=tenant.id)}
    assert unmatched[f"github:{nobody_linked.id}"] == f"@{nobody_linked.login} (GitHub user id {nobody_linked.id})"
    assert set(unmatched) == {source for source in owners if source not in expected}

    # A CSV upload gives another login to its person: its stored week is re-matched at once.
    text = f"person_email,kind,value\n{csv_person.email},github_login,{by_csv.login}\n"
    [row] = identity_import.preview(session=session, tenant_id=tenant.id, scenario_id=None, text=text).rows
    csv_source = f"github:{by_csv.id}"
    csv_records = [r for r in session.exec(select(AiToolUsageRecord).where(
        AiToolUsageRecord.source_email == csv_source))]
    assert row.accepted and row.would_match == len(csv_records) > 0
    identity_import.apply(session=session, tenant_id=tenant.id, scenario_id=None, text=text)
    session.commit()
    assert _owners(session, tenant.id)[csv_source] == {csv_person.id}
    while rollup_queue.run_owed(tenant_id=tenant.id, scenario_id=None).intents:
        pass
    session.expire_all()
    [member] = [m for m in rollup_queries.team_member_breakdown(session=session, org_unit=team, range="all")
                if m.actor_id == csv_person.id]
    assert member.cost_cents == sum((r.total_cost_cents for r in csv_records), Decimal(0)) > 0
