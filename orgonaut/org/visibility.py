"""Who may see AI usage: the one rule, asked by every page loader, handler and API route that returns
usage (cost, sessions, commits, pull requests, lines, any usage metric) of a person or a unit.

Whose usage a role reaches is `tenancy.models.ROLE_USAGE_REACH` (beside ROLE_ABILITIES), and only
with `costs.read`:

- owners and admins (`everyone`): every person and unit;
- members (`own`): their own person page only: the actor of the viewed scope whose e-mail, or one of
  whose e-mail identities ("Also known as"), is the user's login e-mail; no other person and no unit
  totals (the org structure stays visible);
- managers (`scope`): their own page, plus the units in their scope and the people in them.
  Outside their scope they see what a member sees.

A manager's scope. The org model has no "manager of" or "lead" link between a user and a unit, so
the scope is where the manager is placed: the units in which the manager's own actor (the actor of
the viewed scope with the user's e-mail) holds a placement in force today (the tenant's today; primary
or secondary), and every unit below them. The people in the scope are the actors with a placement in
force today in one of those units. A person who left the scope is out of it, even for the days they
were in it (the member table of a range leaves them out and says how many it left out). A manager
without an actor, or without a placement today, has no scope. The scope is read in the scope being
viewed (Live or a scenario): managers hold `org.write` and can re-place people in Live as well, so a
scenario grants them nothing they could not do in Live.

The tenant setting `Tenant.managers_see_people` (owners: `tenant.manage`) chooses whether managers
see the people of their scope (True, the default) or only unit totals (False; their own page stays
theirs).

Usage is shown only while the tenant's plan includes AI Tooling, as on the settings page and the API: on
another plan every role sees nobody's usage, and the refusal names the plan.

The answers never say whether a refused person or unit has usage: pages show `refusal` instead of
the numbers and the API answers 404, as for another tenant's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from orgonaut.emails import normalise_email
from orgonaut.errors import Forbidden, NotFound
from orgonaut.org import queries
from orgonaut.org.actors import get_actor_in_scope_or_raise
from orgonaut.org.models import Actor, ActorIdentity, IdentityKind, OrgUnit, OrgUnitKind, identity_scope_key
from orgonaut.org.units import get_org_unit_in_scope_or_raise
from orgonaut.tenancy.models import ROLE_USAGE_REACH, Ability, Feature, Role, Tenant, UsageReach, User
from orgonaut.tenancy.service import can, feature_refusal

OWN_PAGE_ONLY = "Usage is visible to you on your own page only."
OUTSIDE_SCOPE = ("Usage is visible to you on your own page and for the units you are placed in (and those "
                 "below them); this one is outside them.")
TOTALS_ONLY = "This organization shows managers unit totals only, not the usage of each person."
NO_COST_ACCESS = "Your role does not include AI usage."


@dataclass(frozen=True)
class UsageViewer:
    """What one user may see of usage in one scope (Live or a scenario), worked out once per load."""

    reach: UsageReach
    people_in_scope: bool = True  # for `scope`: the tenant lets managers see person-level numbers
    own_actor_ids: frozenset[int] = field(default_factory=frozenset)
    scope_unit_ids: frozenset[int] = field(default_factory=frozenset)
    scope_actor_ids: frozenset[int] = field(default_factory=frozenset)
    plan_refusal: str = ""  # set when the tenant's plan has no AI Tooling: then nobody's usage is shown

    @property
    def sees_everything(self) -> bool:
        return self.reach == UsageReach.everyone

    def may_see_actor(self, actor_id: int) -> bool:
        """This person's usage (their page, their rows, their records)."""
        if self.reach == UsageReach.everyone:
            return True
        if self.reach == UsageReach.nobody:
            return False
        if actor_id in self.own_actor_ids:
            return True
        return self.reach == UsageReach.scope and self.people_in_scope and actor_id in self.scope_actor_ids

    def visible_actor_ids(self) -> frozenset[int] | None:
        """Every person whose usage this viewer may see; None when that is everyone (unmatched usage too)."""
        if self.reach == UsageReach.everyone:
            return None
        return frozenset(a for a in self.own_actor_ids | self.scope_actor_ids if self.may_see_actor(a))

    def may_see_unit(self, org_unit_id: int) -> bool:
        """This unit's totals (cards and charts of a team or department)."""
        if self.reach == UsageReach.everyone:
            return True
        return self.reach == UsageReach.scope and org_unit_id in self.scope_unit_ids

    def may_see_people_of_unit(self, org_unit_id: int) -> bool:
        """Per-person rows of this unit (a team's member table); each row still asks `may_see_actor`."""
        if self.reach == UsageReach.everyone:
            return True
        return self.may_see_unit(org_unit_id) and self.people_in_scope

    def refusal_for_actor(self) -> str:
        """Why a person's usage is not shown (say the same whether or not they have any)."""
        if self.reach == UsageReach.nobody:
            return self.plan_refusal or NO_COST_ACCESS
        if self.reach == UsageReach.scope and not self.people_in_scope:
            return TOTALS_ONLY
        return OUTSIDE_SCOPE if self.reach == UsageReach.scope else OWN_PAGE_ONLY

    def refusal_for_unit(self) -> str:
        if self.reach == UsageReach.nobody:
            return self.plan_refusal or NO_COST_ACCESS
        return OUTSIDE_SCOPE if self.reach == UsageReach.scope else OWN_PAGE_ONLY


def reach_of(user: User | None) -> UsageReach:
    """Whose usage this user's role reaches: nobody without `costs.read` (or when deactivated)."""
    if user is None or not can(user, Ability.costs_read):
        return UsageReach.nobody
    return ROLE_USAGE_REACH[Role(user.role)]


def viewer_for(*, session: Session, user: User | None, scenario_id: int | None) -> UsageViewer:
    """What `user` may see of usage in the scope `scenario_id` (None: Live) of their own tenant.

    The caller has resolved `scenario_id` against the user's tenant; ids asked about later must be of
    that tenant and scope too (the `get_*_in_scope_or_raise` lookups see to that).
    """
    reach = reach_of(user)
    if user is None or reach == UsageReach.nobody:
        return UsageViewer(reach=UsageReach.nobody)
    tenant = session.get(Tenant, user.tenant_id)
    refusal = feature_refusal(tenant, Feature.ai_tooling) if tenant is not None else NO_COST_ACCESS
    if refusal:
        return UsageViewer(reach=UsageReach.nobody, plan_refusal=refusal)
    if reach == UsageReach.everyone:
        return UsageViewer(reach=reach)
    own = _own_actor_ids(session, user, scenario_id)
    if reach == UsageReach.own:
        return UsageViewer(reach=reach, own_actor_ids=own)
    today = queries.tenant_today(session=session, tenant_id=user.tenant_id)
    placed_in = queries.unit_ids_of_actors(session=session, actor_ids=set(own), on=today)
    units = queries.subtree_unit_ids(session=session, unit_ids=sorted(placed_in))
    people = queries.actor_ids_placed_in(session=session, unit_ids=units, on=today)
    return UsageViewer(
        reach=reach, people_in_scope=bool(tenant is not None and tenant.managers_see_people),
        own_actor_ids=own, scope_unit_ids=frozenset(units), scope_actor_ids=frozenset(people),
    )


def _own_actor_ids(session: Session, user: User, scenario_id: int | None) -> frozenset[int]:
    """The user's own person in the scope: the actor whose e-mail, or one of whose e-mail identities
    ("Also known as"), is the user's login e-mail."""
    email = normalise_email(user.email)
    by_email = select(Actor.id).where(Actor.tenant_id == user.tenant_id, Actor.scenario_id == scenario_id,
                                      Actor.email == email)
    by_identity = select(ActorIdentity.actor_id).where(
        ActorIdentity.tenant_id == user.tenant_id, ActorIdentity.scope_key == identity_scope_key(scenario_id),
        ActorIdentity.kind == IdentityKind.email, ActorIdentity.value == email)
    return frozenset([*session.exec(by_email).all(), *session.exec(by_identity).all()])


# --- lookups that refuse like an unknown id (the API) ---------------------------------------------


def get_visible_actor_or_raise(
    *, session: Session, user: User, scenario_id: int | None, actor_id: int, viewer: UsageViewer | None = None
) -> Actor:
    """The actor when it is in the user's tenant and the scope and `user` may see its usage; NotFound
    otherwise, worded exactly like another tenant's or an unknown id."""
    actor = get_actor_in_scope_or_raise(session=session, tenant_id=user.tenant_id, scenario_id=scenario_id,
                                        actor_id=actor_id)
    viewer = viewer or viewer_for(session=session, user=user, scenario_id=scenario_id)
    if not viewer.may_see_actor(actor.id):
        raise NotFound(f"Person {actor_id} was not found.")
    return actor


def get_visible_unit_or_raise(
    *, session: Session, user: User, scenario_id: int | None, org_unit_id: int, kind: OrgUnitKind
) -> OrgUnit:
    """The unit when it is in the user's tenant, the scope and of `kind`, and `user` may see its usage;
    NotFound otherwise, worded exactly like another tenant's or an unknown id."""
    unit = get_org_unit_in_scope_or_raise(session=session, tenant_id=user.tenant_id, scenario_id=scenario_id,
                                          org_unit_id=org_unit_id, kind=kind)
    if not viewer_for(session=session, user=user, scenario_id=scenario_id).may_see_unit(unit.id):
        raise NotFound(f"{OrgUnitKind(kind).value.capitalize()} {org_unit_id} was not found.")
    return unit


# --- the tenant setting ---------------------------------------------------------------------------


def set_managers_see_people(*, session: Session, user: User, managers_see_people: bool) -> Tenant:
    """Owners (`tenant.manage`) choose whether managers see person-level usage or unit totals only."""
    if not can(user, Ability.tenant_manage):
        raise Forbidden("Only owners can change who sees usage.")
    tenant = session.get_one(Tenant, user.tenant_id)
    tenant.managers_see_people = bool(managers_see_people)
    session.add(tenant)
    session.flush()
    return tenant
