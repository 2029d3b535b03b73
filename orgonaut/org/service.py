"""The org model's rules, as the edges and other domains call them: `from orgonaut.org import service as org`.

A facade, kept on purpose rather than removed: about thirty modules call `org.<function>` (pages,
API routers, the CLI, the demo, the AI Tooling settings pages, tests), and one name for the domain's
writes is the convention every domain follows (docs/architecture.md, "Rules"). The code lives in:

- `scenarios`: scenarios and snapshots, scope lookups, `ensure_writable` (the read-only rule)
- `units`: org units and the tree's shape rules
- `actors`: people, robots and agents
- `placements`: actors in units over dates
- `identities`: the other names a person goes by in tools' data ("also known as"), one person per value
- `validation`: names, enum values and UNCHANGED, shared by the four

Every function takes the session first and keyword-only arguments. Services flush; the caller commits
(a page handler, an API route, a task or the CLI). Change events (`orgonaut.org.events`) are queued by
the services and delivered only once that commit succeeds, never for a rollback.

Scopes: Live is `scenario_id=None`; a scenario or snapshot is its id. Archived scenarios and snapshots
are read-only: every write into them raises `ReadOnlyScope`. An id that belongs to another tenant is
`NotFound`, exactly like an id that does not exist, so nothing leaks.
"""

from __future__ import annotations

from orgonaut.org.actors import (
    MAX_FTE,
    MIN_FTE,
    create_actor,
    get_actor,
    get_actor_by_email,
    get_actor_by_external_uid,
    get_actor_in_scope_or_raise,
    get_actor_or_raise,
    parse_fte,
    update_actor,
)
from orgonaut.org.identities import (
    LinkResult,
    add_identity,
    link_everywhere,
    list_identities,
    remove_identity,
)
from orgonaut.org.placements import (
    MAX_ALLOCATION,
    MIN_ALLOCATION,
    create_placement,
    end_placement,
    get_placement,
    get_placement_or_raise,
    parse_allocation,
    update_placement,
)
from orgonaut.org.scenarios import (
    archive_scenario,
    counterpart_actor,
    counterpart_unit,
    create_scenario,
    create_snapshot,
    ensure_writable,
    get_scenario,
    get_scenario_or_raise,
    get_scope_or_raise,
    list_scenarios,
)
from orgonaut.org.units import (
    TEAM_TYPES,
    VALID_PARENT_KINDS,
    create_org_unit,
    get_company,
    get_org_unit,
    get_org_unit_by_name,
    get_org_unit_in_scope_or_raise,
    get_org_unit_or_raise,
    list_org_units,
    move_org_unit,
    update_org_unit,
)
from orgonaut.org.validation import (
    UNCHANGED,
)

__all__ = [
    "LinkResult",
    "add_identity",
    "link_everywhere",
    "list_identities",
    "remove_identity",
    "MAX_ALLOCATION",
    "MAX_FTE",
    "MIN_ALLOCATION",
    "MIN_FTE",
    "TEAM_TYPES",
    "UNCHANGED",
    "VALID_PARENT_KINDS",
    "archive_scenario",
    "create_actor",
    "create_org_unit",
    "create_placement",
    "create_scenario",
    "create_snapshot",
    "end_placement",
    "ensure_writable",
    "get_actor",
    "get_actor_by_email",
    "get_actor_by_external_uid",
    "get_actor_in_scope_or_raise",
    "get_actor_or_raise",
    "get_company",
    "get_org_unit",
    "get_org_unit_by_name",
    "get_org_unit_in_scope_or_raise",
    "get_org_unit_or_raise",
    "get_placement",
    "get_placement_or_raise",
    "get_scenario",
    "counterpart_actor",
    "counterpart_unit",
    "get_scenario_or_raise",
    "get_scope_or_raise",
    "list_org_units",
    "list_scenarios",
    "move_org_unit",
    "parse_allocation",
    "parse_fte",
    "update_actor",
    "update_org_unit",
    "update_placement",
]
