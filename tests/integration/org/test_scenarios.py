"""Scenarios and snapshots: copies with lineage, and read-only scopes that refuse every write."""

import datetime as dt
import re

import pytest
from sqlmodel import select

from orgonaut.errors import Conflict, NotFound, ReadOnlyScope, ValidationFailed
from orgonaut.org import events, service
from orgonaut.org.models import Actor, OrgUnit, Placement
from tests.factories import make_tenant
from tests.integration.org.conftest import DAY, org_state


def _rows(session, model, tenant_id, scenario_id):
    return list(
        session.exec(select(model).where(model.tenant_id == tenant_id, model.scenario_id == scenario_id)
                     .order_by(model.id))
    )


def _assert_copy(session, tenant_id, source_scope, target_scope):
    """Every row of the source scope has exactly one copy in the target, linked by source_id."""
    units = {u.id: u for u in _rows(session, OrgUnit, tenant_id, source_scope)}
    unit_copies = {u.source_id: u for u in _rows(session, OrgUnit, tenant_id, target_scope)}
    assert set(unit_copies) == set(units)
    for source_id, copy in unit_copies.items():
        original = units[source_id]
        assert (copy.kind, copy.name, copy.team_type) == (original.kind, original.name, original.team_type)
        expected_parent = unit_copies[original.parent_id].id if original.parent_id else None
        assert copy.parent_id == expected_parent
    actors = {a.id: a for a in _rows(session, Actor, tenant_id, source_scope)}
    actor_copies = {a.source_id: a for a in _rows(session, Actor, tenant_id, target_scope)}
    assert set(actor_copies) == set(actors)
    for source_id, copy in actor_copies.items():
        original = actors[source_id]
        assert (copy.name, copy.email, copy.fte, copy.kind, copy.external_uid) == (
            original.name, original.email, original.fte, original.kind, original.external_uid,
        )
    placements = {p.id: p for p in _rows(session, Placement, tenant_id, source_scope)}
    placement_copies = {p.source_id: p for p in _rows(session, Placement, tenant_id, target_scope)}
    assert set(placement_copies) == set(placements)
    for source_id, copy in placement_copies.items():
        original = placements[source_id]
        assert copy.actor_id == actor_copies[original.actor_id].id
        assert copy.org_unit_id == unit_copies[original.org_unit_id].id
        assert (copy.is_primary, copy.allocation_pct, copy.start_date, copy.end_date) == (
            original.is_primary, original.allocation_pct, original.start_date, original.end_date,
        )
    return unit_copies, actor_copies


def test_create_scenario_copies_live_with_lineage_and_emits_once(session, org, recorder):
    scenario = service.create_scenario(session=session, tenant_id=org.tenant_id, name=" Plan A ")
    session.commit()
    assert (scenario.name, scenario.kind, scenario.status, scenario.source_scenario_id, scenario.read_only) == (
        "Plan A", "scenario", "active", None, False,
    )
    units, actors = _assert_copy(session, org.tenant_id, None, scenario.id)
    assert len(units) == 7 and len(actors) == 6
    assert recorder.events == [events.ScenarioCreated(tenant_id=org.tenant_id, scenario_id=scenario.id)]
    # The copy is independent: changing it leaves Live alone.
    service.update_actor(session=session, tenant_id=org.tenant_id, actor_id=actors[org.ada.id].id, name="Ada B")
    session.commit()
    session.refresh(org.ada)
    assert org.ada.name == "Ada"


def test_create_scenario_from_another_scenario_copies_that_scenario(session, org):
    first = service.create_scenario(session=session, tenant_id=org.tenant_id, name="First")
    moved = service.get_org_unit_by_name(
        session=session, tenant_id=org.tenant_id, scenario_id=first.id, kind="team", name="Checkout"
    )
    target = service.get_org_unit_by_name(
        session=session, tenant_id=org.tenant_id, scenario_id=first.id, kind="department", name="Sales"
    )
    service.move_org_unit(session=session, tenant_id=org.tenant_id, org_unit_id=moved.id, parent_id=target.id)
    second = service.create_scenario(
        session=session, tenant_id=org.tenant_id, name="Second", source_scenario_id=first.id
    )
    session.commit()
    assert second.source_scenario_id == first.id
    units, _actors = _assert_copy(session, org.tenant_id, first.id, second.id)
    assert units[moved.id].parent_id == units[target.id].id


def test_snapshot_copies_live_and_is_read_only(session, org):
    snapshot = service.create_snapshot(session=session, tenant_id=org.tenant_id, name="Q2 close")
    session.commit()
    assert (snapshot.kind, snapshot.read_only) == ("snapshot", True)
    _assert_copy(session, org.tenant_id, None, snapshot.id)


def test_list_scenarios_orders_active_then_archived_then_snapshots(session, org):
    b = service.create_scenario(session=session, tenant_id=org.tenant_id, name="b plan")
    a = service.create_scenario(session=session, tenant_id=org.tenant_id, name="A plan")
    old = service.create_scenario(session=session, tenant_id=org.tenant_id, name="0 old")
    service.archive_scenario(session=session, tenant_id=org.tenant_id, scenario_id=old.id)
    snap = service.create_snapshot(session=session, tenant_id=org.tenant_id, name="00 snap")
    service.create_scenario(session=session, tenant_id=make_tenant(session).id, name="Foreign")
    session.commit()
    listed = service.list_scenarios(session=session, tenant_id=org.tenant_id)
    assert [(s.id, s.read_only) for s in listed] == [
        (a.id, False), (b.id, False), (old.id, True), (snap.id, True),
    ]
    assert [s.id for s in service.list_scenarios(session=session, tenant_id=org.tenant_id, kind="snapshot")] == [
        snap.id
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "  "}, ValidationFailed, "A scenario needs a name."),
        ({"name": "TAKEN"}, Conflict, "A scenario or snapshot named 'TAKEN' already exists."),
        ({"name": "New", "source_scenario_id": 999999}, NotFound, "Scenario 999999 was not found."),
    ],
)
def test_bad_scenario_input_is_refused_and_changes_nothing(session, org, recorder, kwargs, error, message):
    service.create_scenario(session=session, tenant_id=org.tenant_id, name="taken")
    session.commit()
    recorder.events.clear()
    before = org_state(session)
    with pytest.raises(error, match=re.escape(message)):
        service.create_scenario(session=session, tenant_id=org.tenant_id, **kwargs)
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []


def _read_only_scope(session, org, which):
    if which == "snapshot":
        scope = service.create_snapshot(session=session, tenant_id=org.tenant_id, name="Frozen")
        message = "'Frozen' is a snapshot and cannot be changed."
    else:
        scope = service.create_scenario(session=session, tenant_id=org.tenant_id, name="Frozen")
        service.archive_scenario(session=session, tenant_id=org.tenant_id, scenario_id=scope.id)
        message = "The scenario 'Frozen' is archived and cannot be changed."
    session.commit()
    return scope, message


WRITES = {
    "create_org_unit": lambda s, t, scope, u, a, p: service.create_org_unit(
        session=s, tenant_id=t, scenario_id=scope.id, kind="team", name="New", parent_id=u["Engineering"].id),
    "update_org_unit": lambda s, t, scope, u, a, p: service.update_org_unit(
        session=s, tenant_id=t, org_unit_id=u["Core"].id, name="Renamed"),
    "move_org_unit": lambda s, t, scope, u, a, p: service.move_org_unit(
        session=s, tenant_id=t, org_unit_id=u["Core"].id, parent_id=u["Sales"].id),
    "create_actor": lambda s, t, scope, u, a, p: service.create_actor(
        session=s, tenant_id=t, scenario_id=scope.id, name="New", email="new@x.test"),
    "update_actor": lambda s, t, scope, u, a, p: service.update_actor(
        session=s, tenant_id=t, actor_id=a.id, email="changed@x.test"),
    "create_placement": lambda s, t, scope, u, a, p: service.create_placement(
        session=s, tenant_id=t, actor_id=a.id, org_unit_id=u["Sales"].id, start_date=DAY),
    "update_placement": lambda s, t, scope, u, a, p: service.update_placement(
        session=s, tenant_id=t, placement_id=p.id, allocation_pct=50),
    "end_placement": lambda s, t, scope, u, a, p: service.end_placement(
        session=s, tenant_id=t, placement_id=p.id, end_date=DAY),
    "archive_scenario": lambda s, t, scope, u, a, p: service.archive_scenario(
        session=s, tenant_id=t, scenario_id=scope.id),
}


@pytest.mark.parametrize("which", ["snapshot", "archived"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_write_to_a_read_only_scope_is_refused_and_changes_nothing(session, org, recorder, which, write):
    scope, message = _read_only_scope(session, org, which)
    units = {u.name: u for u in _rows(session, OrgUnit, org.tenant_id, scope.id)}
    actor = next(a for a in _rows(session, Actor, org.tenant_id, scope.id) if a.source_id == org.ada.id)
    placement = next(p for p in _rows(session, Placement, org.tenant_id, scope.id) if p.actor_id == actor.id)
    recorder.events.clear()
    before = org_state(session)
    with pytest.raises(ReadOnlyScope, match=re.escape(message)):
        WRITES[write](session, org.tenant_id, scope, units, actor, placement)
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []


def test_another_tenants_scenario_is_not_found(session, org):
    foreign_tenant = make_tenant(session)
    foreign = service.create_scenario(session=session, tenant_id=foreign_tenant.id, name="Theirs")
    session.commit()
    before = org_state(session)
    message = re.escape(f"Scenario {foreign.id} was not found.")
    assert service.get_scenario(session=session, tenant_id=org.tenant_id, scenario_id=foreign.id) is None
    with pytest.raises(NotFound, match=message):
        service.get_scenario_or_raise(session=session, tenant_id=org.tenant_id, scenario_id=foreign.id)
    with pytest.raises(NotFound, match=message):
        service.archive_scenario(session=session, tenant_id=org.tenant_id, scenario_id=foreign.id)
    with pytest.raises(NotFound, match=message):
        service.create_scenario(
            session=session, tenant_id=org.tenant_id, name="Copy", source_scenario_id=foreign.id
        )
    with pytest.raises(NotFound, match=message):
        service.create_actor(
            session=session, tenant_id=org.tenant_id, scenario_id=foreign.id, name="X", email="x@x.test"
        )
    with pytest.raises(NotFound, match=message):
        service.create_org_unit(
            session=session, tenant_id=org.tenant_id, scenario_id=foreign.id, kind="company", name="X"
        )
    assert org_state(session) == before


def test_archived_scenarios_still_read_and_can_be_copied(session, org):
    old = service.create_scenario(session=session, tenant_id=org.tenant_id, name="Old")
    service.archive_scenario(session=session, tenant_id=org.tenant_id, scenario_id=old.id)
    revived = service.create_scenario(session=session, tenant_id=org.tenant_id, name="Revived",
                                      source_scenario_id=old.id)
    service.create_placement(
        session=session, tenant_id=org.tenant_id,
        actor_id=service.get_actor_by_email(
            session=session, tenant_id=org.tenant_id, scenario_id=revived.id, email=org.dee.email).id,
        org_unit_id=service.get_org_unit_by_name(
            session=session, tenant_id=org.tenant_id, scenario_id=revived.id, kind="team", name="Core").id,
        start_date=DAY + dt.timedelta(days=1),
    )
    session.commit()
    assert (old.read_only, revived.read_only) == (True, False)
