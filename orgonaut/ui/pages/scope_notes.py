"""What a unit's scope means for its usage numbers, said on its page (team, department)."""

from __future__ import annotations

from sqlmodel import Session

from orgonaut.org import service as org
from orgonaut.org.models import OrgUnit, ScenarioKind


def scope_note(session: Session, unit: OrgUnit) -> str:
    """Why a unit's numbers are what they are in its scope; empty for a Live unit or one Live has too."""
    if unit.scenario_id is None:
        return ""
    scenario = org.get_scenario(session=session, tenant_id=unit.tenant_id, scenario_id=unit.scenario_id)
    if scenario is not None and scenario.kind == ScenarioKind.snapshot:
        return (f"{scenario.name} is a snapshot of the org: usage is synced into Live and active scenarios only, "
                "so a snapshot holds none.")
    if org.counterpart_unit(session=session, tenant_id=unit.tenant_id, org_unit_id=unit.id, scenario_id=None) is None:
        name = scenario.name if scenario is not None else "this scenario"
        return (f"{unit.name} exists only in {name}: its numbers are its people's usage as if this structure had "
                "applied.")
    return ""
