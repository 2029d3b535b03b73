"""Ignore on the Unmatched list (not an employee) and its undo: the address leaves the list of every
scope and is listed apart with the same totals, its records stay exactly as they were, a person who
gets it later still takes its usage; refusals change nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from orgonaut.ai_tooling import service
from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import service as org
from tests.factories import make_tenant
from tests.integration.ai_tooling.conftest import WEEK, add_actor, connect
from tests.integration.ai_tooling.test_identity_matching import CONTRACTOR
from tests.integration.ai_tooling.test_targeting_and_matching import ADA, rows, run


def records_state(session) -> list[tuple]:
    session.expire_all()
    return [tuple(r) for r in session.execute(sa.text(
        "SELECT id, scope_key, source_email, actor_id, total_cost_cents FROM ai_tool_usage_records ORDER BY id"))]


def test_ignore_hides_an_address_in_every_scope_and_undo_brings_it_back(session, tenant, clean_simulator):
    plan = org.create_scenario(session=session, tenant_id=tenant.id, name="Plan")
    session.commit()
    integration = connect(session, tenant, clean_simulator.base_url, scenario_ids=[plan.id])
    run(session, integration, WEEK[0], WEEK[6])
    before = {scope: service.list_unmatched(session=session, tenant_id=tenant.id, scenario_id=scope)
              for scope in (None, plan.id)}
    [entry] = [u for u in before[None] if u.source_email == CONTRACTOR]
    stored = records_state(session)

    service.ignore(session=session, tenant_id=tenant.id, source_email=f" {CONTRACTOR.upper()} ")
    session.commit()

    for scope in (None, plan.id):
        listed = service.list_unmatched(session=session, tenant_id=tenant.id, scenario_id=scope)
        assert listed == [u for u in before[scope] if u.source_email != CONTRACTOR]
        assert [u.source_email for u in service.list_ignored(session=session, tenant_id=tenant.id,
                                                             scenario_id=scope)] == [CONTRACTOR]
    assert service.list_ignored(session=session, tenant_id=tenant.id) == [entry]  # same totals, apart
    assert records_state(session) == stored  # no record changed
    with pytest.raises(Conflict, match="already ignored"):
        service.ignore(session=session, tenant_id=tenant.id, source_email=CONTRACTOR)

    service.unignore(session=session, tenant_id=tenant.id, source_email=CONTRACTOR)
    session.commit()
    for scope in (None, plan.id):
        assert service.list_unmatched(session=session, tenant_id=tenant.id, scenario_id=scope) == before[scope]
        assert service.list_ignored(session=session, tenant_id=tenant.id, scenario_id=scope) == []
    with pytest.raises(NotFound, match="is not ignored"):
        service.unignore(session=session, tenant_id=tenant.id, source_email=CONTRACTOR)


def test_an_ignored_address_still_matches_a_person_who_gets_it(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[2])
    service.ignore(session=session, tenant_id=tenant.id, source_email=CONTRACTOR)
    session.commit()
    ada = add_actor(session, tenant.id, ADA)
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ada.id, value=CONTRACTOR)
    session.commit()
    assert {r.actor_id for r in rows(session, tenant.id, email=CONTRACTOR)} == {ada.id}
    assert service.list_ignored(session=session, tenant_id=tenant.id) == []  # nothing unmatched is left of it


def test_ignore_refusals_change_nothing(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0])
    add_actor(session, tenant.id, ADA)
    other = make_tenant(session)
    session.commit()
    for tenant_id, email, error, message in (
        (tenant.id, "  ", ValidationFailed, "Choose the unmatched e-mail to ignore."),
        (tenant.id, ADA, NotFound, f"{ADA} has no unmatched usage."),  # matched: nothing to ignore
        (tenant.id, "nobody@nowhere.test", NotFound, "nobody@nowhere.test has no unmatched usage."),
        (other.id, CONTRACTOR, NotFound, f"{CONTRACTOR} has no unmatched usage."),  # another tenant's usage
    ):
        with pytest.raises(error) as refused:
            service.ignore(session=session, tenant_id=tenant_id, source_email=email)
        assert str(refused.value) == message
    assert session.execute(sa.text("SELECT count(*) FROM ignored_usage_sources")).scalar_one() == 0
