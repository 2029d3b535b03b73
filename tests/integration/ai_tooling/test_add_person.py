""""Add person" on the Unmatched list: the person is placed in the chosen team from the address's first
day of usage, so the cost already stored lands in that team's rollups (summed here from the
simulator's raw rows); a team is required when the scope has one; refusals change nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from orgonaut.ai_tooling import service
from orgonaut.errors import NotFound, ValidationFailed
from orgonaut.org import service as org
from orgonaut.org.models import Placement
from tests.integration.ai_tooling.conftest import WEEK, connect
from tests.integration.ai_tooling.test_identity_matching import CONTRACTOR, raw_cost, stored_of, team_cost
from tests.integration.ai_tooling.test_targeting_and_matching import rows, run


def _team(session, tenant_id: int, name: str = "Team", scenario_id: int | None = None):
    company = org.get_company(session=session, tenant_id=tenant_id, scenario_id=scenario_id) or org.create_org_unit(
        session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind="company", name="Co")
    team = org.create_org_unit(session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind="team", name=name,
                               parent_id=company.id)
    session.commit()
    return team


def test_add_person_places_them_from_the_first_day_of_usage_and_the_team_gets_the_cost(
        session, tenant, clean_simulator):
    team = _team(session, tenant.id)
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[6])
    first_day = rows(session, tenant.id, email=CONTRACTOR)[0].usage_date

    person = service.add_person(session=session, tenant_id=tenant.id, scenario_id=None, source_email=CONTRACTOR,
                                name="Jo Contractor", team_id=team.id)
    session.commit()

    [placement] = session.exec(select(Placement).where(Placement.actor_id == person.id)).all()
    assert (placement.org_unit_id, placement.is_primary, placement.start_date, placement.end_date) == (
        team.id, True, first_day, None)
    expected = raw_cost(clean_simulator.base_url, CONTRACTOR)
    assert stored_of(session, tenant.id, person.id) == expected
    assert team_cost(session, team.id, None) == {person.id: expected[1]}


def test_a_team_is_required_when_the_scope_has_one_and_refusals_change_nothing(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0])
    plan = org.create_scenario(session=session, tenant_id=tenant.id, name="Plan")
    session.commit()
    # No team anywhere yet: the person is added unplaced.
    alone = service.add_person(session=session, tenant_id=tenant.id, scenario_id=plan.id, source_email="x@y.test",
                               name="Unplaced", team_id=None)
    session.commit()
    assert org.get_actor(session=session, tenant_id=tenant.id, actor_id=alone.id).scenario_id == plan.id
    live_team = _team(session, tenant.id)

    def count() -> tuple[int, int]:
        return (session.execute(sa.text("SELECT count(*) FROM actors")).scalar_one(),
                session.execute(sa.text("SELECT count(*) FROM placements")).scalar_one())

    before = count()
    with pytest.raises(ValidationFailed, match="Choose the team this person works in"):
        service.add_person(session=session, tenant_id=tenant.id, scenario_id=None, source_email=CONTRACTOR,
                           name="Jo", team_id=None)
    with pytest.raises(NotFound):  # Live's team is not the scenario's
        service.add_person(session=session, tenant_id=tenant.id, scenario_id=plan.id, source_email=CONTRACTOR,
                           name="Jo", team_id=live_team.id)
    with pytest.raises(NotFound):  # a company is not a team
        service.add_person(session=session, tenant_id=tenant.id, scenario_id=None, source_email=CONTRACTOR,
                           name="Jo", team_id=live_team.parent_id)
    with pytest.raises(ValidationFailed):
        service.add_person(session=session, tenant_id=tenant.id, scenario_id=None, source_email=CONTRACTOR,
                           name=" ", team_id=live_team.id)
    session.rollback()
    assert count() == before
