"""Where records go (Live, chosen scenarios, all future; never archived scenarios or snapshots) and whom
they belong to (matching, re-matching on org events, re-matching on a re-run, the unmatched list)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.ai_tooling import changes, service, sync
from orgonaut.ai_tooling.models import AiToolUsageRecord, RollupRefreshIntent, scope_key
from orgonaut.db import get_engine
from orgonaut.errors import NotFound
from orgonaut.integrations.models import Integration, SyncStatus
from orgonaut.org import service as org
from orgonaut.org.models import Actor
from orgonaut.simulator.data import DEFAULT_ROSTER
from tests.integration.ai_tooling.conftest import WEEK, add_actor, connect, expected_totals

ADA, BEN, CARLA = DEFAULT_ROSTER[0], DEFAULT_ROSTER[1], DEFAULT_ROSTER[2]


def run(session, integration, start, end=None):
    log = service.start_backfill(session=session, tenant_id=integration.tenant_id, integration_id=integration.id,
                                 start=start, end=end or start, enqueue=False)
    session.commit()
    return sync.run_foreground(log_id=log.id)


def rows(session, tenant_id, scenario_id=None, email=None):
    session.expire_all()
    statement = select(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant_id, AiToolUsageRecord.scope_key == scope_key(scenario_id)
    )
    if email is not None:
        statement = statement.where(AiToolUsageRecord.source_email == email)
    return list(session.exec(statement.order_by(AiToolUsageRecord.usage_date)))


def active_day(base_url, *emails) -> dt.date:
    """A day of the week on which all these people have usage."""
    for day in WEEK:
        if set(emails) <= set(expected_totals(base_url, day)):
            return day
    raise AssertionError("no day with usage for all of them")


class OwedRefreshes:
    """The rollup refreshes owed since `mark()`, read from their durable intents. `hold(scope)` makes
    the scope's job count as already waiting, so no worker works the intents off while a test reads."""

    def __init__(self, tenant_id: int, redis_client):
        self.tenant_id, self.redis, self.after = tenant_id, redis_client, 0

    def hold(self, scenario_id: int | None = None) -> None:
        self.redis.set(changes.sent_key(self.tenant_id, scenario_id), "1", ex=300)

    def mark(self) -> None:
        with Session(get_engine()) as fresh:
            self.after = max([i.id for i in fresh.exec(select(RollupRefreshIntent))], default=0)

    def since(self) -> list[dict]:
        with Session(get_engine()) as fresh:
            owed = fresh.exec(select(RollupRefreshIntent).where(RollupRefreshIntent.tenant_id == self.tenant_id,
                                                                RollupRefreshIntent.id > self.after)
                              .order_by(RollupRefreshIntent.id)).all()
        return [{"tenant_id": i.tenant_id, "scenario_id": i.scenario_id, "start": i.start_date, "end": i.end_date,
                 "actor_ids": i.actor_ids} for i in owed]


@pytest.fixture
def refreshes(tenant, redis_client):
    owed = OwedRefreshes(tenant.id, redis_client)
    owed.hold(None)
    return owed


# --- targeting --------------------------------------------------------------------------------


def test_records_go_to_live_chosen_scenarios_and_scenarios_created_later(session, tenant, clean_simulator):
    add_actor(session, tenant.id, ADA)
    chosen = org.create_scenario(session=session, tenant_id=tenant.id, name="Chosen")
    older = org.create_scenario(session=session, tenant_id=tenant.id, name="Older, not chosen")
    will_archive = org.create_scenario(session=session, tenant_id=tenant.id, name="Archived later")
    session.commit()
    integration = connect(session, tenant, clean_simulator.base_url, baseline=True,
                          scenario_ids=[chosen.id, will_archive.id], all_future=True)
    clock.advance(dt.timedelta(seconds=1))
    newer = org.create_scenario(session=session, tenant_id=tenant.id, name="Newer")
    newer_archived = org.create_scenario(session=session, tenant_id=tenant.id, name="Newer, archived")
    snapshot = org.create_snapshot(session=session, tenant_id=tenant.id, name="Snapshot")
    org.archive_scenario(session=session, tenant_id=tenant.id, scenario_id=will_archive.id)
    org.archive_scenario(session=session, tenant_id=tenant.id, scenario_id=newer_archived.id)
    session.commit()
    # A selection cannot name a snapshot; a stored one (older data) must still never be written.
    integration.target_scenario_ids = [chosen.id, will_archive.id, snapshot.id]
    session.add(integration)
    session.commit()
    day = active_day(clean_simulator.base_url, ADA)

    log = run(session, integration, day)

    assert log.status == SyncStatus.succeeded
    people = len(expected_totals(clean_simulator.base_url, day))
    for scenario_id in (None, chosen.id, newer.id):
        written = rows(session, tenant.id, scenario_id)
        assert len(written) == people
        assert all(r.scenario_id == scenario_id for r in written)
        [ada] = [r for r in written if r.source_email == ADA]
        owner = session.exec(select(Actor).where(Actor.scenario_id == scenario_id, Actor.email == ADA)).one()
        assert ada.actor_id == owner.id  # matched against that scope's own actor
    for scenario_id in (older.id, will_archive.id, newer_archived.id, snapshot.id):
        assert rows(session, tenant.id, scenario_id) == []
    assert log.records_upserted == 3 * people and log.records_fetched == people
    assert {s["name"] for s in log.diagnostics["scopes"]} == {"Live", "Chosen", "Newer"}
    assert {(s["name"], s["reason"]) for s in log.diagnostics["skipped_scopes"]} == {
        ("Archived later", "archived (read-only)"),
        ("Newer, archived", "archived (read-only)"),
        ("Snapshot", "snapshot (read-only)"),
    }


def test_all_future_counts_from_when_it_was_switched_on(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url, baseline=True)
    clock.advance(dt.timedelta(seconds=1))
    before = org.create_scenario(session=session, tenant_id=tenant.id, name="Before")
    session.commit()
    clock.advance(dt.timedelta(seconds=1))
    service.update_targeting(session=session, tenant_id=tenant.id, integration_id=integration.id, baseline=True,
                             scenario_ids=[], all_future=True)
    session.commit()
    switched_on = session.get(Integration, integration.id).targeting_updated_at
    clock.advance(dt.timedelta(seconds=1))
    after = org.create_scenario(session=session, tenant_id=tenant.id, name="After")
    session.commit()
    # Changing other targeting later keeps the moment "all future" began.
    service.update_targeting(session=session, tenant_id=tenant.id, integration_id=integration.id, baseline=False,
                             scenario_ids=[before.id], all_future=True)
    session.commit()
    session.refresh(integration)
    assert integration.targeting_updated_at == switched_on

    run(session, integration, WEEK[0])

    assert rows(session, tenant.id, None) == []
    assert rows(session, tenant.id, before.id) and rows(session, tenant.id, after.id)


@pytest.mark.parametrize("case", ["unknown", "foreign", "archived", "snapshot", "none"])
def test_connect_refuses_bad_targets_and_stores_nothing(session, tenant, clean_simulator, case):
    from tests.factories import make_tenant

    other = make_tenant(session)
    foreign = org.create_scenario(session=session, tenant_id=other.id, name="Theirs")
    archived = org.create_scenario(session=session, tenant_id=tenant.id, name="Old plan")
    org.archive_scenario(session=session, tenant_id=tenant.id, scenario_id=archived.id)
    snapshot = org.create_snapshot(session=session, tenant_id=tenant.id, name="Q1 snapshot")
    session.commit()
    ids, baseline, message = {
        "unknown": ([999_999], True, "Scenario 999999 was not found."),
        "foreign": ([foreign.id], True, f"Scenario {foreign.id} was not found."),
        "archived": ([archived.id], True, "The scenario 'Old plan' is archived"),
        "snapshot": ([snapshot.id], True, "'Q1 snapshot' is a snapshot"),
        "none": ([], False, "Choose where usage data applies"),
    }[case]
    clean_simulator.reset()
    with pytest.raises(Exception) as raised:
        connect(session, tenant, clean_simulator.base_url, baseline=baseline, scenario_ids=ids)
    session.rollback()
    assert type(raised.value).__name__ == "ValidationFailed" and message in str(raised.value)
    assert session.exec(select(Integration)).all() == []
    assert clean_simulator.requests(path=None) == []  # refused before any network call


# --- matching ---------------------------------------------------------------------------------


def test_an_actor_created_later_takes_over_their_unmatched_records(session, tenant, clean_simulator, refreshes):
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[4])
    ada_rows = rows(session, tenant.id, email=ADA)
    assert ada_rows and all(r.actor_id is None for r in ada_rows)
    scenario = org.create_scenario(session=session, tenant_id=tenant.id, name="Elsewhere")
    session.commit()

    refreshes.hold(scenario.id)
    refreshes.mark()
    ada = add_actor(session, tenant.id, ADA)  # commits: the subscriber re-matches

    assert {r.actor_id for r in rows(session, tenant.id, email=ADA)} == {ada.id}
    assert all(r.actor_id is None for r in rows(session, tenant.id) if r.source_email != ADA)
    assert refreshes.since() == [{
        "tenant_id": tenant.id, "scenario_id": None, "start": ada_rows[0].usage_date,
        "end": ada_rows[-1].usage_date, "actor_ids": [ada.id],
    }]
    # The same e-mail in a scenario matches only that scenario's records (it has none).
    refreshes.mark()
    add_actor(session, tenant.id, ADA, scenario_id=scenario.id)
    assert refreshes.since() == []
    assert {r.actor_id for r in rows(session, tenant.id, email=ADA)} == {ada.id}


def test_an_email_change_moves_records_to_the_new_owner_and_unlinks_the_old(session, tenant, clean_simulator,
                                                                            refreshes):
    ada = add_actor(session, tenant.id, ADA)
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[4])
    assert {r.actor_id for r in rows(session, tenant.id, email=ADA)} == {ada.id}
    ben_rows = rows(session, tenant.id, email=BEN)
    assert ben_rows and all(r.actor_id is None for r in ben_rows)

    refreshes.mark()
    org.update_actor(session=session, tenant_id=tenant.id, actor_id=ada.id, email=f"  {BEN.upper()} ")
    session.commit()

    assert {r.actor_id for r in rows(session, tenant.id, email=ADA)} == {None}  # no longer owned
    assert {r.actor_id for r in rows(session, tenant.id, email=BEN)} == {ada.id}
    [call] = refreshes.since()
    assert call["actor_ids"] == [ada.id] and call["scenario_id"] is None

    # Someone else takes the old address: the records follow the address.
    carla = add_actor(session, tenant.id, ADA, name="Not Ada")
    assert {r.actor_id for r in rows(session, tenant.id, email=ADA)} == {carla.id}


def test_a_rerun_matches_records_outside_its_window(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[2])
    # An actor written without an org event (e.g. by a bulk import): only a sync re-match finds it.
    actor = Actor(tenant_id=tenant.id, name="Carla", email=CARLA, external_uid="carla-1")
    session.add(actor)
    session.commit()
    earlier = rows(session, tenant.id, email=CARLA)
    assert earlier and all(r.actor_id is None for r in earlier)

    log = run(session, integration, WEEK[4])

    assert {r.actor_id for r in rows(session, tenant.id, email=CARLA)} == {actor.id}
    assert log.diagnostics["rematched"]["linked"] >= len(earlier)


def test_the_unmatched_list_per_scope(session, tenant, clean_simulator):
    add_actor(session, tenant.id, ADA)
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[6])
    expected: dict[str, list] = {}
    for day in WEEK:
        for who, totals in expected_totals(clean_simulator.base_url, day).items():
            if who != ADA:
                entry = expected.setdefault(who, [0, day, Decimal(0)])
                entry[0] += 1
                entry[1] = max(entry[1], day)
                entry[2] += totals["total_cost_cents"]

    listed = service.list_unmatched(session=session, tenant_id=tenant.id)

    assert {u.source_email: [u.record_count, u.last_seen, u.total_cost_cents] for u in listed} == expected
    assert [u.last_seen for u in listed] == sorted((u.last_seen for u in listed), reverse=True)
    flags = {u.source_email: u.not_a_person for u in listed}
    assert flags["api-key:ci-pipeline"] == "API key" and flags["contractor.jo@partner-agency.example"] == ""
    assert "freelance.dev@contractors.example" in flags  # normalised from the vendor's mixed case
    # Per scope: a scenario that receives no data has nothing unmatched; another tenant's is unknown.
    scenario = org.create_scenario(session=session, tenant_id=tenant.id, name="Quiet")
    session.commit()
    assert service.list_unmatched(session=session, tenant_id=tenant.id, scenario_id=scenario.id) == []
    with pytest.raises(NotFound):
        service.list_unmatched(session=session, tenant_id=tenant.id + 999, scenario_id=scenario.id)
