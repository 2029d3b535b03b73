"""Placements: allocation, dates, one primary at a time, same tenant and scope."""

import datetime as dt
import re

import pytest

from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import events, service
from tests.factories import make_tenant
from tests.integration.org.conftest import DAY, build_small_org, org_state


def _place(session, org, actor, unit, **kwargs):
    kwargs.setdefault("start_date", DAY)
    return service.create_placement(
        session=session, tenant_id=org.tenant_id, actor_id=actor.id, org_unit_id=unit.id, **kwargs
    )


@pytest.mark.parametrize(
    ("who", "where", "kwargs", "error", "message"),
    [
        ("dee", "core", {"allocation_pct": 301}, ValidationFailed,
         "Allocation must be between 0 and 300 %, not 301 %."),
        ("dee", "core", {"allocation_pct": -1}, ValidationFailed, "Allocation must be between 0 and 300 %, not -1 %."),
        ("dee", "core", {"allocation_pct": "half"}, ValidationFailed,
         "Allocation must be a whole number of percent between 0 and 300, not 'half'."),
        ("dee", "core", {"end_date": DAY - dt.timedelta(days=1)}, ValidationFailed,
         "A placement's end date (2026-06-14) cannot be before its start date (2026-06-15)."),
        ("ada", "checkout", {"is_primary": True}, Conflict,
         "Ada already has a primary placement in 'Core' from 2025-06-15 on (open-ended); an actor has exactly "
         "one primary placement at a time."),
        ("eve", "core", {"is_primary": True, "start_date": DAY - dt.timedelta(days=40)}, Conflict,
         "Eve already has a primary placement in 'Checkout' from 2025-06-15 to 2026-05-16"),
        ("fay", "checkout", {"is_primary": True, "start_date": DAY, "end_date": DAY + dt.timedelta(days=30)},
         Conflict, "Fay already has a primary placement in 'Core' from 2026-07-15 on"),
        ("bob", "core", {"is_primary": False}, Conflict, "Bob is already placed in 'Core' from 2025-06-15."),
    ],
)
def test_bad_placements_are_refused_and_change_nothing(session, org, recorder, who, where, kwargs, error, message):
    before = org_state(session)
    with pytest.raises(error, match=re.escape(message)):
        _place(session, org, getattr(org, who), getattr(org, where), **kwargs)
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []


def test_primary_placements_that_do_not_overlap_are_allowed(session, org):
    # Eve's primary ended DAY-30, Fay's starts DAY+30: the days outside are free.
    after = _place(session, org, org.eve, org.core, is_primary=True, start_date=DAY - dt.timedelta(days=29))
    before = _place(session, org, org.fay, org.checkout, is_primary=True, start_date=DAY,
                    end_date=DAY + dt.timedelta(days=29), allocation_pct=300)
    zero = _place(session, org, org.dee, org.core, allocation_pct=0)
    session.commit()
    assert (after.is_primary, before.allocation_pct, zero.allocation_pct) == (True, 300, 0)


def test_placement_to_a_unit_of_another_scope_or_tenant_is_refused(session, org):
    scenario = service.create_scenario(session=session, tenant_id=org.tenant_id, name="Plan")
    scenario_core = service.get_org_unit_by_name(
        session=session, tenant_id=org.tenant_id, scenario_id=scenario.id, kind="team", name="Core"
    )
    foreign = build_small_org(session, make_tenant(session))
    session.commit()
    before = org_state(session)
    with pytest.raises(ValidationFailed, match=re.escape("'Core' belongs to another scope than Dee.")):
        _place(session, org, org.dee, scenario_core)
    with pytest.raises(NotFound, match=f"Org unit {foreign.core.id} was not found."):
        _place(session, org, org.dee, foreign.core)
    with pytest.raises(NotFound, match=f"Person {foreign.dee.id} was not found."):
        _place(session, org, foreign.dee, org.core)
    with pytest.raises(NotFound, match=f"Placement {foreign.bob_primary.id} was not found."):
        service.update_placement(
            session=session, tenant_id=org.tenant_id, placement_id=foreign.bob_primary.id, allocation_pct=10
        )
    with pytest.raises(NotFound, match=f"Placement {foreign.bob_primary.id} was not found."):
        service.end_placement(
            session=session, tenant_id=org.tenant_id, placement_id=foreign.bob_primary.id, end_date=DAY
        )
    with pytest.raises(NotFound, match=f"Org unit {foreign.core.id} was not found."):
        service.update_placement(
            session=session, tenant_id=org.tenant_id, placement_id=org.bob_primary.id, org_unit_id=foreign.core.id
        )
    assert org_state(session) == before


def test_update_placement_moves_and_reports_old_and_new_units_and_dates(session, org, recorder):
    placement = service.update_placement(
        session=session, tenant_id=org.tenant_id, placement_id=org.bob_primary.id, org_unit_id=org.field_sales.id,
        allocation_pct=80, start_date=DAY, end_date=DAY + dt.timedelta(days=10),
    )
    session.commit()
    assert (placement.org_unit_id, placement.allocation_pct, placement.start_date, placement.end_date) == (
        org.field_sales.id, 80, DAY, DAY + dt.timedelta(days=10),
    )
    assert recorder.events == [
        events.PlacementChanged(
            tenant_id=org.tenant_id, scenario_id=None, placement_id=org.bob_primary.id, actor_id=org.bob.id,
            org_unit_ids=tuple(sorted((org.checkout.id, org.field_sales.id))), change="changed",
            start=DAY - dt.timedelta(days=365), end=None,
        )
    ]


def test_update_placement_refuses_a_second_primary_and_bad_values(session, org, recorder):
    secondary = next(p for p in _bob_placements(session, org) if not p.is_primary)
    before = org_state(session)
    with pytest.raises(Conflict, match="Bob already has a primary placement in 'Checkout'"):
        service.update_placement(session=session, tenant_id=org.tenant_id, placement_id=secondary.id, is_primary=True)
    with pytest.raises(ValidationFailed, match=re.escape("Allocation must be between 0 and 300 %, not 400 %.")):
        service.update_placement(session=session, tenant_id=org.tenant_id, placement_id=secondary.id,
                                 allocation_pct=400)
    with pytest.raises(ValidationFailed, match="cannot be before its start date"):
        service.update_placement(session=session, tenant_id=org.tenant_id, placement_id=secondary.id,
                                 start_date=DAY, end_date=DAY - dt.timedelta(days=1))
    with pytest.raises(Conflict, match=re.escape("Bob is already placed in 'Checkout'")):
        service.update_placement(session=session, tenant_id=org.tenant_id, placement_id=secondary.id,
                                 org_unit_id=org.checkout.id)
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []


def _bob_placements(session, org):
    from orgonaut.org.queries import placements_of_actor

    return [p for p, _unit in placements_of_actor(session=session, actor_id=org.bob.id)]


def test_end_placement_sets_the_last_day_and_emits_ended(session, org, recorder):
    service.end_placement(session=session, tenant_id=org.tenant_id, placement_id=org.bob_primary.id, end_date=DAY)
    # Ending it again on the same day is no change and no event.
    service.end_placement(session=session, tenant_id=org.tenant_id, placement_id=org.bob_primary.id, end_date=DAY)
    session.commit()
    assert org.bob_primary.end_date == DAY
    assert recorder.events == [
        events.PlacementChanged(
            tenant_id=org.tenant_id, scenario_id=None, placement_id=org.bob_primary.id, actor_id=org.bob.id,
            org_unit_ids=(org.checkout.id,), change="ended", start=DAY - dt.timedelta(days=365), end=None,
        )
    ]
    before = org_state(session)
    with pytest.raises(ValidationFailed, match=re.escape(
        "A placement's end date (2025-06-14) cannot be before its start date (2025-06-15)."
    )):
        service.end_placement(
            session=session, tenant_id=org.tenant_id, placement_id=org.bob_primary.id,
            end_date=DAY - dt.timedelta(days=366),
        )
    assert org_state(session) == before
    # Once ended, a new primary may start the next day.
    _place(session, org, org.bob, org.field_sales, is_primary=True, start_date=DAY + dt.timedelta(days=1))
    session.commit()
