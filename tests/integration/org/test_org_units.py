"""Org units: one company root per scope, valid parents, no cycles, moves and renames."""

import re

import pytest

from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import events, service
from orgonaut.org.queries import descendant_unit_ids
from tests.factories import make_tenant
from tests.integration.org.conftest import org_state


def _create(session, org, **kwargs):
    return service.create_org_unit(session=session, tenant_id=org.tenant_id, scenario_id=None, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"kind": "company", "name": "Acme Two"}, Conflict,
         "This scope already has a company root; there is one per scope."),
        ({"kind": "department", "name": "Orphans"}, ValidationFailed,
         "A department needs a parent unit (company or department)."),
        ({"kind": "department", "name": "Under a team", "parent": "core"}, ValidationFailed,
         "A department cannot sit under a team; valid parents: company, department."),
        ({"kind": "team", "name": "No parent"}, ValidationFailed,
         "A team needs a parent unit (company or department or team)."),
        ({"kind": "company", "name": "Nested", "parent": "company"}, ValidationFailed,
         "The company is the root of the tree and has no parent."),
        ({"kind": "squad", "name": "X", "parent": "company"}, ValidationFailed,
         "Unknown org unit kind 'squad'. Valid: company, department, team, system."),
        ({"kind": "team", "name": "  ", "parent": "company"}, ValidationFailed, "A team needs a name."),
        ({"kind": "team", "name": "T", "parent": "company", "team_type": "tiger"}, ValidationFailed,
         "Unknown team type 'tiger'. Valid: stream-aligned, platform, enabling, complicated-subsystem."),
        ({"kind": "department", "name": "D", "parent": "company", "team_type": "platform"}, ValidationFailed,
         "Only teams have a team type."),
    ],
)
def test_bad_org_unit_input_is_refused_and_changes_nothing(session, org, recorder, kwargs, error, message):
    parent = kwargs.pop("parent", None)
    before = org_state(session)
    with pytest.raises(error, match=re.escape(message)):
        _create(session, org, parent_id=getattr(org, parent).id if parent else None, **kwargs)
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []


def test_units_nest_under_valid_parents(session, org):
    squad = _create(session, org, kind="team", name="Core Squad", parent_id=org.core.id, team_type="Platform")
    system = _create(session, org, kind="system", name="Billing System", parent_id=squad.id, purpose=" Money ")
    sub = _create(session, org, kind="department", name="Infra", parent_id=org.platform.id)
    session.commit()
    assert (squad.team_type, system.purpose, sub.parent_id) == ("platform", "Money", org.platform.id)
    assert descendant_unit_ids(session=session, org_unit_id=org.core.id) == [org.core.id, squad.id, system.id]


def test_each_scope_and_tenant_has_its_own_company_root(session, org):
    other = make_tenant(session)
    root = service.create_org_unit(session=session, tenant_id=other.id, scenario_id=None, kind="company", name="B")
    scenario = service.create_scenario(session=session, tenant_id=org.tenant_id, name="Plan")
    copied_root = service.get_company(session=session, tenant_id=org.tenant_id, scenario_id=scenario.id)
    session.commit()
    assert root.tenant_id == other.id
    assert copied_root is not None and copied_root.source_id == org.company.id
    with pytest.raises(Conflict, match="already has a company root"):
        service.create_org_unit(
            session=session, tenant_id=org.tenant_id, scenario_id=scenario.id, kind="company", name="Again"
        )


@pytest.mark.parametrize(
    ("unit", "parent", "message"),
    [
        ("engineering", "platform", "'Engineering' cannot move under 'Platform': that unit is inside it, so the "
                                    "tree would have a cycle."),
        ("platform", "platform", "'Platform' cannot move under 'Platform': that unit is inside it"),
        ("company", "sales", "The company is the root of the tree and cannot be moved."),
        ("sales", "checkout", "A department cannot sit under a team; valid parents: company, department."),
    ],
)
def test_bad_moves_are_refused_and_change_nothing(session, org, recorder, unit, parent, message):
    before = org_state(session)
    with pytest.raises(ValidationFailed, match=re.escape(message)):
        service.move_org_unit(
            session=session, tenant_id=org.tenant_id, org_unit_id=getattr(org, unit).id,
            parent_id=getattr(org, parent).id,
        )
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []


def test_move_reparents_the_subtree_and_emits_once(session, org, recorder):
    service.move_org_unit(
        session=session, tenant_id=org.tenant_id, org_unit_id=org.platform.id, parent_id=org.sales.id
    )
    # Moving to the parent it already has is no change.
    service.move_org_unit(
        session=session, tenant_id=org.tenant_id, org_unit_id=org.platform.id, parent_id=org.sales.id
    )
    session.commit()
    assert descendant_unit_ids(session=session, org_unit_id=org.sales.id) == [
        org.sales.id, org.platform.id, org.field_sales.id, org.core.id,
    ]
    assert recorder.events == [
        events.OrgUnitMoved(
            tenant_id=org.tenant_id, scenario_id=None, org_unit_id=org.platform.id,
            old_parent_id=org.engineering.id, new_parent_id=org.sales.id,
        )
    ]


def test_a_parent_in_another_scope_or_tenant_is_refused(session, org):
    scenario = service.create_scenario(session=session, tenant_id=org.tenant_id, name="Plan")
    scenario_sales = service.get_org_unit_by_name(
        session=session, tenant_id=org.tenant_id, scenario_id=scenario.id, kind="department", name="Sales"
    )
    other = make_tenant(session)
    foreign_root = service.create_org_unit(
        session=session, tenant_id=other.id, scenario_id=None, kind="company", name="Foreign"
    )
    session.commit()
    before = org_state(session)
    with pytest.raises(ValidationFailed, match=re.escape("The parent unit 'Sales' belongs to another scope.")):
        service.move_org_unit(
            session=session, tenant_id=org.tenant_id, org_unit_id=org.core.id, parent_id=scenario_sales.id
        )
    with pytest.raises(ValidationFailed, match="belongs to another scope"):
        _create(session, org, kind="team", name="Stray", parent_id=scenario_sales.id)
    with pytest.raises(NotFound, match=f"Org unit {foreign_root.id} was not found."):
        _create(session, org, kind="team", name="Stray", parent_id=foreign_root.id)
    with pytest.raises(NotFound, match=f"Org unit {foreign_root.id} was not found."):
        service.move_org_unit(
            session=session, tenant_id=org.tenant_id, org_unit_id=org.core.id, parent_id=foreign_root.id
        )
    with pytest.raises(NotFound, match=f"Org unit {org.core.id} was not found."):
        service.update_org_unit(session=session, tenant_id=other.id, org_unit_id=org.core.id, name="Mine")
    with pytest.raises(NotFound, match=f"Org unit {org.core.id} was not found."):
        service.move_org_unit(session=session, tenant_id=other.id, org_unit_id=org.core.id, parent_id=foreign_root.id)
    assert org_state(session) == before


def test_update_org_unit_renames_and_clears(session, org):
    service.update_org_unit(
        session=session, tenant_id=org.tenant_id, org_unit_id=org.core.id, name=" Core Platform ",
        team_type="platform", purpose="Keep the lights on",
    )
    session.commit()
    assert (org.core.name, org.core.team_type, org.core.purpose) == ("Core Platform", "platform", "Keep the lights on")
    service.update_org_unit(session=session, tenant_id=org.tenant_id, org_unit_id=org.core.id, purpose=None)
    session.commit()
    assert (org.core.name, org.core.team_type, org.core.purpose) == ("Core Platform", "platform", None)
    before = org_state(session)
    with pytest.raises(ValidationFailed, match="A team needs a name."):
        service.update_org_unit(session=session, tenant_id=org.tenant_id, org_unit_id=org.core.id, name=" ")
    assert org_state(session) == before


def test_list_org_units_by_kind(session, org):
    teams = service.list_org_units(session=session, tenant_id=org.tenant_id, scenario_id=None, kind="team")
    assert [u.name for u in teams] == ["Checkout", "Core", "Field Sales"]
    assert len(service.list_org_units(session=session, tenant_id=org.tenant_id, scenario_id=None)) == 7


def test_a_team_cannot_move_under_its_own_sub_team(session, org, recorder):
    squad = _create(session, org, kind="team", name="Core Squad", parent_id=org.core.id)
    pod = _create(session, org, kind="team", name="Core Pod", parent_id=squad.id)
    session.commit()
    before = org_state(session)
    with pytest.raises(ValidationFailed, match=re.escape(
        "'Core' cannot move under 'Core Pod': that unit is inside it, so the tree would have a cycle."
    )):
        service.move_org_unit(session=session, tenant_id=org.tenant_id, org_unit_id=org.core.id, parent_id=pod.id)
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []
