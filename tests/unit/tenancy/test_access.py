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
