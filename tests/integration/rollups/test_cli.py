"""`orgonaut rollups rebuild [--tenant SLUG]`."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from typer.testing import CliRunner

from orgonaut.cli import app
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups.models import AiUsageRollup
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

DAY = dt.date(2025, 1, 10)


def _tenant_with_usage(session, slug):
    tenant = make_tenant(session, slug=slug)
    team = b.unit(session, tenant, "Web", kind=OrgUnitKind.team)
    alice = b.actor(session, tenant, f"Alice {slug}")
    b.place(session, alice, team, DAY)
    b.usage(session, tenant, alice, DAY, cost="2", sessions=1)
    return tenant, team


def test_rebuild_one_tenant_or_all(session):
    acme, acme_team = _tenant_with_usage(session, "acme")
    other, other_team = _tenant_with_usage(session, "other")
    session.commit()
    runner = CliRunner()
    result = runner.invoke(app, ["rollups", "rebuild", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert "rebuilt rollups of 1 tenant(s), 1 scope(s): 2 unit rows, 1 member rows" in result.output
    units = set(session.exec(select(AiUsageRollup.org_unit_id)).all())
    assert units == {acme_team.id}
    result = runner.invoke(app, ["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "2 tenant(s), 2 scope(s): 4 unit rows, 2 member rows" in result.output
    assert set(session.exec(select(AiUsageRollup.org_unit_id)).all()) == {acme_team.id, other_team.id}


def test_rebuild_of_an_unknown_tenant_fails_with_a_message(session):
    result = CliRunner().invoke(app, ["rollups", "rebuild", "--tenant", "nope"])
    assert result.exit_code == 1
    assert "Unknown tenant 'nope'" in result.output
