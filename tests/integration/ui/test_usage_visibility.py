"""Who sees whose usage on the person, team and department pages: the whole matrix of role × own
person / other person / unit in scope / unit out of scope × the tenant's "managers see people" setting,
driven through the page states on the demo org with half a year of usage.

The people: a member who is Ana Souza (Core Platform); a manager who is Marcus Lee, placed in the
Platform Engineering department, so his scope is Platform Engineering, Core Platform and Developer
Experience and the people placed there today; a manager who is Julia Fischer (Checkout), whose
team had Samir Patel until four months ago; and the demo's manager@demo.test, who is nobody in the org.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from orgonaut.org import visibility
from orgonaut.org.models import Scenario
from orgonaut.tenancy.models import Feature, Plan, Role, Tenant, User
from orgonaut.tenancy.service import feature_refusal, set_plan
from orgonaut.ui import routes
from tests.factories import make_user
from tests.integration.ui.conftest import Tab, login_token
from tests.integration.ui.test_ai_usage_states import (  # noqa: F401 - fixtures used by name
    _actor,
    _frozen,
    _open_department,
    _open_person,
    _open_team,
    _unit,
    usage_demo,
)
from tests.integration.ui.test_spend_overview_state import _open as open_overview

MEMBER, MANAGER, CHECKOUT_MANAGER = "ana.souza@demo.test", "marcus.lee@demo.test", "julia.fischer@demo.test"


@pytest.fixture
def people(session: Session, usage_demo):  # noqa: F811 - the imported fixture
    make_user(session, usage_demo, role=Role.member, email=MEMBER)
    make_user(session, usage_demo, role=Role.manager, email=MANAGER)
    make_user(session, usage_demo, role=Role.manager, email=CHECKOUT_MANAGER)
    session.commit()
    return usage_demo


def _managers_see_people(session: Session, tenant: Tenant, value: bool) -> None:
    tenant = session.get_one(Tenant, tenant.id)
    tenant.managers_see_people = value
    session.add(tenant)
    session.commit()


def _sees_person(tab: Tab, session: Session, tenant: Tenant, name: str) -> tuple[bool, str]:
    usage = _open_person(tab, _actor(session, tenant.id, name).id)
    if usage.has_usage:
        assert usage.cards and usage.hidden_note == ""
    else:  # nothing of the person's usage reached the state
        assert usage.cards == [] and usage.cost_figure["data"][0]["x"] == [] and usage._series == []
    return usage.has_usage, usage.hidden_note


def _sees_team(tab: Tab, session: Session, tenant: Tenant, name: str):
    usage = _open_team(tab, _unit(session, tenant.id, name).id)
    if not usage.found_unit:
        assert usage.cards == [] and usage.member_rows == [] and usage._series == [] and usage._member_source is None
    return usage


def _sees_department(tab: Tab, session: Session, tenant: Tenant, name: str):
    usage = _open_department(tab, _unit(session, tenant.id, name).id)
    if not usage.found_unit:
        assert usage.cards == [] and usage._series == []
    return usage


@pytest.mark.parametrize("email", ["owner@demo.test", "admin@demo.test"])
def test_owners_and_admins_see_everyone_and_every_unit_whatever_the_setting(session, people, email):
    for setting in (True, False):
        _managers_see_people(session, people, setting)
        tab = Tab(login_token(session, email))
        for name in ("Ana Souza", "Julia Fischer", "Marcus Lee"):
            assert _sees_person(tab, session, people, name) == (True, "")
        for team in ("Core Platform", "Checkout"):
            usage = _sees_team(tab, session, people, team)
            assert usage.found_unit and usage.show_members and usage.member_rows
            assert usage.members_left_out_text == ""
        for department in ("Platform Engineering", "Engineering"):
            assert _sees_department(tab, session, people, department).found_unit


@pytest.mark.parametrize("setting", [True, False])
def test_a_member_sees_their_own_page_only(session, people, setting):
    _managers_see_people(session, people, setting)  # not about members: the same either way
    tab = Tab(login_token(session, MEMBER))
    assert _sees_person(tab, session, people, "Ana Souza") == (True, "")
    assert _sees_person(tab, session, people, "Ben Carter") == (False, visibility.OWN_PAGE_ONLY)  # same team
    assert _sees_person(tab, session, people, "Julia Fischer") == (False, visibility.OWN_PAGE_ONLY)
    for team in ("Core Platform", "Checkout"):  # her own team included: no leaderboard, no totals
        usage = _sees_team(tab, session, people, team)
        assert not usage.found_unit and usage.hidden_note == visibility.OWN_PAGE_ONLY
        assert usage.hidden_unit_id == _unit(session, people.id, team).id
    for department in ("Platform Engineering", "Engineering"):
        usage = _sees_department(tab, session, people, department)
        assert not usage.found_unit and usage.hidden_note == visibility.OWN_PAGE_ONLY


def test_a_member_without_a_person_sees_no_usage_anywhere(session, people):
    tab = Tab(login_token(session, "member@demo.test"))  # Milo Member is no actor of the demo org
    assert _sees_person(tab, session, people, "Ana Souza") == (False, visibility.OWN_PAGE_ONLY)
    assert not _sees_team(tab, session, people, "Core Platform").found_unit


def test_a_manager_sees_the_units_they_are_placed_in_and_below_and_the_people_there(session, people):
    tab = Tab(login_token(session, MANAGER))
    assert _sees_person(tab, session, people, "Marcus Lee") == (True, "")  # own page
    assert _sees_person(tab, session, people, "Ana Souza") == (True, "")  # Core Platform, below his department
    assert _sees_person(tab, session, people, "Farah Haddad") == (True, "")  # Developer Experience
    assert _sees_person(tab, session, people, "Julia Fischer") == (False, visibility.OUTSIDE_SCOPE)  # Checkout
    assert _sees_person(tab, session, people, "Ethan Brooks") == (False, visibility.OUTSIDE_SCOPE)  # above him

    core = _sees_team(tab, session, people, "Core Platform")
    assert core.found_unit and core.show_members and core.cards
    assert {m.name for m in core.member_rows} >= {"Ana Souza", "Ben Carter"}
    checkout = _sees_team(tab, session, people, "Checkout")
    assert not checkout.found_unit and checkout.hidden_note == visibility.OUTSIDE_SCOPE

    assert _sees_department(tab, session, people, "Platform Engineering").found_unit
    engineering = _sees_department(tab, session, people, "Engineering")  # his department's parent
    assert not engineering.found_unit and engineering.hidden_note == visibility.OUTSIDE_SCOPE


def test_with_unit_totals_only_a_manager_sees_totals_of_their_units_and_no_person_but_themselves(session, people):
    _managers_see_people(session, people, False)
    tab = Tab(login_token(session, MANAGER))
    assert _sees_person(tab, session, people, "Marcus Lee") == (True, "")
    assert _sees_person(tab, session, people, "Ana Souza") == (False, visibility.TOTALS_ONLY)
    assert _sees_person(tab, session, people, "Julia Fischer") == (False, visibility.TOTALS_ONLY)

    core = _sees_team(tab, session, people, "Core Platform")
    assert core.found_unit and core.cards and core.has_cost
    assert not core.show_members and core.member_rows == [] and core._member_source is None
    assert core.members_note == visibility.TOTALS_ONLY
    assert not _sees_team(tab, session, people, "Checkout").found_unit
    assert _sees_department(tab, session, people, "Platform Engineering").found_unit
    assert not _sees_department(tab, session, people, "Engineering").found_unit

    _managers_see_people(session, people, True)  # and back: the next load reads the setting again
    assert _sees_person(tab, session, people, "Ana Souza") == (True, "")


def test_the_member_table_leaves_out_people_who_left_the_managers_scope(session, people):
    tab = Tab(login_token(session, CHECKOUT_MANAGER))
    checkout = _sees_team(tab, session, people, "Checkout")
    assert checkout.found_unit and checkout.show_members
    samir = _actor(session, people.id, "Samir Patel")  # in Checkout until four months ago
    for choice, left_out in (("mtd", 0), ("3m", 0), ("6m", 1), ("all", 1)):
        checkout.choose_range(choice)
        assert samir.id not in {m.actor_id for m in checkout.member_rows}
        assert bool(checkout.members_left_out_text) == bool(left_out), choice
    assert checkout.members_left_out_text.startswith("1 person placed here in these days is outside your scope")
    # An admin sees him in the same range.
    admin = _sees_team(Tab(login_token(session, "admin@demo.test")), session, people, "Checkout")
    admin.choose_range("all")
    assert samir.id in {m.actor_id for m in admin.member_rows}


def test_a_manager_who_is_nobody_in_the_org_sees_no_usage(session, people):
    tab = Tab(login_token(session, "manager@demo.test"))
    assert _sees_person(tab, session, people, "Ana Souza") == (False, visibility.OUTSIDE_SCOPE)
    assert not _sees_team(tab, session, people, "Core Platform").found_unit
    assert not _sees_department(tab, session, people, "Platform Engineering").found_unit


def test_in_a_scenario_the_scope_is_read_in_that_scenario(session, people):
    reorg = session.exec(select(Scenario).where(Scenario.tenant_id == people.id, Scenario.name == "Reorg 2027")).one()
    marcus = session.exec(select(User).where(User.email == MANAGER)).one()
    live = visibility.viewer_for(session=session, user=marcus, scenario_id=None)
    in_reorg = visibility.viewer_for(session=session, user=marcus, scenario_id=reorg.id)
    assert live.own_actor_ids == {_actor(session, people.id, "Marcus Lee").id}
    assert in_reorg.own_actor_ids == {_actor(session, people.id, "Marcus Lee", scenario_id=reorg.id).id}
    # Ids of one scope never count in another.
    ana_live, ana_reorg = (_actor(session, people.id, "Ana Souza", scenario_id=s) for s in (None, reorg.id))
    assert live.may_see_actor(ana_live.id) and not live.may_see_actor(ana_reorg.id)
    assert not in_reorg.may_see_actor(ana_live.id)
    assert in_reorg.scope_unit_ids and in_reorg.scope_unit_ids.isdisjoint(live.scope_unit_ids)


# --- the setting ---------------------------------------------------------------------------------


def _settings(tab: Tab):
    from orgonaut.ui.pages.ai_tooling.usage_visibility import UsageVisibilityState
    from orgonaut.ui.pages.ai_tooling_settings import AiToolingSettingsState

    tab.open(AiToolingSettingsState, routes.AI_TOOLING_SETTINGS, routes.AI_TOOLING_SETTINGS)
    state = tab.state(UsageVisibilityState)
    state.load()
    return state


def _stored(session: Session, tenant: Tenant) -> bool:
    session.expire_all()
    return session.get_one(Tenant, tenant.id).managers_see_people


def test_only_owners_change_what_managers_see_and_only_after_confirming(session, people):
    owner = _settings(Tab(login_token(session, "owner@demo.test")))
    assert owner.loaded and owner.can_change and owner.managers_see == "people"

    owner.choose("totals")  # asks first: nothing stored yet
    assert owner.pending == "totals" and _stored(session, people)
    owner.set_dialog_open(False)  # Cancel
    assert owner.pending == "" and owner.managers_see == "people" and _stored(session, people)

    owner.choose(["totals"])
    owner.confirm()
    assert owner.pending == "" and owner.managers_see == "totals" and not _stored(session, people)
    assert _sees_person(Tab(login_token(session, MANAGER)), session, people, "Ana Souza") == (
        False, visibility.TOTALS_ONLY)

    # Admins see the setting; the server refuses their change whatever the browser sends.
    admin = _settings(Tab(login_token(session, "admin@demo.test")))
    assert admin.loaded and not admin.can_change and admin.managers_see == "totals"
    admin.choose("people")
    assert admin.pending == ""
    admin.pending = "people"  # as if forged
    admin.confirm()
    assert admin.managers_see == "totals" and not _stored(session, people)

    # Managers and members do not even load it (the page is for ai-tooling.manage).
    for email in (MANAGER, MEMBER):
        assert not _settings(Tab(login_token(session, email))).loaded

    # An owner who was demoted meanwhile is refused at confirm.
    owner.choose("people")
    assert owner.pending == "people"
    demoted = session.exec(select(User).where(User.email == "owner@demo.test")).one()
    demoted.role = Role.admin
    session.add(demoted)
    session.commit()
    owner.confirm()
    assert owner.managers_see == "totals" and not _stored(session, people)


def test_the_setting_is_checked_in_the_service_too(session, people):
    from orgonaut.errors import Forbidden

    admin = session.exec(select(User).where(User.email == "admin@demo.test")).one()
    with pytest.raises(Forbidden, match="Only owners"):
        visibility.set_managers_see_people(session=session, user=admin, managers_see_people=False)
    session.rollback()
    assert _stored(session, people)


def test_on_a_plan_without_ai_tooling_nobody_sees_usage_and_the_page_names_the_plan(session, people):
    tenant = session.get_one(Tenant, people.id)
    set_plan(session=session, tenant=tenant, plan=Plan.team)
    session.commit()
    refusal = feature_refusal(tenant, Feature.ai_tooling)
    assert refusal and "team" in refusal
    for email in ("owner@demo.test", MANAGER, MEMBER):
        tab = Tab(login_token(session, email))
        assert _sees_person(tab, session, people, "Ana Souza") == (False, refusal)
        team = _sees_team(tab, session, people, "Core Platform")
        assert not team.found_unit and team.hidden_note == refusal
        department = _sees_department(tab, session, people, "Platform Engineering")
        assert not department.found_unit and department.hidden_note == refusal
        overview, _ = open_overview(session, email)
        assert (overview.has_usage, overview.cards, overview.note) == (False, [], refusal)
    set_plan(session=session, tenant=tenant, plan=Plan.business)  # back on a plan with it: shown again
    session.commit()
    assert _sees_person(Tab(login_token(session, MEMBER)), session, people, "Ana Souza") == (True, "")


def test_a_user_whose_login_is_a_persons_also_known_as_address_sees_that_persons_page(session, people):
    from orgonaut.org import identities

    tab = Tab(login_token(session, "member@demo.test"))  # nobody in the org...
    assert _sees_person(tab, session, people, "Ana Souza") == (False, visibility.OWN_PAGE_ONLY)
    ana = _actor(session, people.id, "Ana Souza")
    identities.add_identity(session=session, tenant_id=people.id, actor_id=ana.id, value="Member@Demo.test")
    session.commit()
    # ... until that address is one of Ana's: then hers is the user's own page, and no one else's is.
    assert _sees_person(tab, session, people, "Ana Souza") == (True, "")
    assert _sees_person(tab, session, people, "Ben Carter") == (False, visibility.OWN_PAGE_ONLY)
