from orgonaut.tenancy.models import PLAN_FEATURES, Ability, Feature, Plan, Role, Tenant, User, plans_with
from orgonaut.tenancy.service import can, has_feature


def _user(role: Role, active: bool = True) -> User:
    return User(id=1, tenant_id=1, email="x@y.test", password_hash="-", role=role, is_active=active)


def test_only_owner_and_admin_manage_ai_tooling_and_integrations():
    allowed = {role for role in Role if can(_user(role), Ability.ai_tooling_manage)}
    assert allowed == {Role.owner, Role.admin}
    allowed = {role for role in Role if can(_user(role), Ability.integrations_manage)}
    assert allowed == {Role.owner, Role.admin}


def test_billing_is_owner_only_and_managers_edit_the_org():
    assert {r for r in Role if can(_user(r), Ability.billing_manage)} == {Role.owner}
    assert {r for r in Role if can(_user(r), Ability.org_write)} == {Role.owner, Role.admin, Role.manager}


def test_inactive_or_missing_user_can_nothing():
    assert not can(_user(Role.owner, active=False), Ability.ai_tooling_manage)
    assert not can(None, Ability.teams_read)


def test_ai_tooling_is_on_business_enterprise_agency_only():
    assert plans_with(Feature.ai_tooling) == [Plan.business, Plan.enterprise, Plan.agency]
    for plan in Plan:
        tenant = Tenant(slug="t", name="t", plan=plan)
        assert has_feature(tenant, Feature.ai_tooling) == (Feature.ai_tooling in PLAN_FEATURES[plan])
    assert not has_feature(Tenant(slug="t", name="t", plan=Plan.team), "integrations.ai-tooling")


def test_whose_usage_each_role_sees_and_who_chooses_what_managers_see():
    from orgonaut.org.visibility import UsageViewer, reach_of
    from orgonaut.tenancy.models import UsageReach

    assert {r: reach_of(_user(r)) for r in Role} == {
        Role.owner: UsageReach.everyone, Role.admin: UsageReach.everyone, Role.manager: UsageReach.scope,
        Role.member: UsageReach.own, Role.viewer: UsageReach.nobody,  # a viewer lacks costs.read
    }
    assert reach_of(_user(Role.owner, active=False)) == UsageReach.nobody and reach_of(None) == UsageReach.nobody
    assert {r for r in Role if can(_user(r), Ability.tenant_manage)} == {Role.owner}

    own, in_scope, outside, unit, other_unit = 1, 2, 3, 10, 11
    def viewer(reach: UsageReach, people: bool = True) -> UsageViewer:
        return UsageViewer(reach=reach, people_in_scope=people, own_actor_ids=frozenset({own}),
                           scope_unit_ids=frozenset({unit}), scope_actor_ids=frozenset({own, in_scope}))

    def row(v: UsageViewer) -> tuple:
        return (v.may_see_actor(own), v.may_see_actor(in_scope), v.may_see_actor(outside), v.may_see_unit(unit),
                v.may_see_unit(other_unit), v.may_see_people_of_unit(unit), v.visible_actor_ids())

    #                                  own    in     out    unit   other  people visible
    assert row(viewer(UsageReach.everyone)) == (True, True, True, True, True, True, None)
    assert row(viewer(UsageReach.scope)) == (True, True, False, True, False, True, {own, in_scope})
    assert row(viewer(UsageReach.scope, people=False)) == (True, False, False, True, False, False, {own})
    assert row(viewer(UsageReach.own)) == (True, False, False, False, False, False, {own})
    assert row(viewer(UsageReach.nobody)) == (False, False, False, False, False, False, set())
