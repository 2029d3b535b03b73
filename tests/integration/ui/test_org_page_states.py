"""The org pages' states: what they load for each scope and role, and what the edit modal refuses."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from orgonaut.errors import DomainError
from orgonaut.org import service as org
from orgonaut.org.demo_data import (
    ARCHIVED_SCENARIO,
    DEMO_PEOPLE,
    DEPARTMENTS,
    REORG_SCENARIO,
    SNAPSHOT,
    TEAMS,
)
from orgonaut.org.models import Actor, ActorKind, OrgUnit, OrgUnitKind, Scenario
from orgonaut.tenancy.models import Role
from orgonaut.ui import routes
from orgonaut.ui.components.actor_edit import NOT_ALLOWED
from orgonaut.ui.pages.ai_usage_state import TeamUsageState
from orgonaut.ui.pages.department import DepartmentState
from orgonaut.ui.pages.departments import DepartmentsState
from orgonaut.ui.pages.people import PeopleState
from orgonaut.ui.pages.person import PersonState
from orgonaut.ui.pages.team import TeamState
from orgonaut.ui.pages.teams import TeamsState
from orgonaut.ui.scope import LIVE
from tests.factories import make_tenant, make_user
from tests.integration.ui.conftest import Tab, demo_members, login_token


def _actor(session: Session, tenant_id: int, name: str, scenario_id: int | None = None) -> Actor:
    return session.exec(
        select(Actor).where(Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id, Actor.name == name)
    ).one()


def _unit(session: Session, tenant_id: int, name: str, scenario_id: int | None = None) -> OrgUnit:
    return session.exec(
        select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.scenario_id == scenario_id,
                              OrgUnit.name == name)
    ).one()


def _scenario(session: Session, tenant_id: int, name: str) -> Scenario:
    return session.exec(select(Scenario).where(Scenario.tenant_id == tenant_id, Scenario.name == name)).one()


def _row(session: Session, actor_id: int) -> tuple:
    session.expire_all()
    actor = session.get(Actor, actor_id)
    return actor.name, actor.email, str(actor.kind), actor.fte


def _open_person(tab: Tab, actor_id: int) -> PersonState:
    return tab.open(PersonState, routes.PERSON, routes.person_url(actor_id), person_id=str(actor_id))


def _service_message(session: Session, **update) -> str:
    """What the org service says to this update (run and rolled back, so nothing changes)."""
    with pytest.raises(DomainError) as refused:
        org.update_actor(session=session, **update)
    session.rollback()
    return str(refused.value)


# --- person page ------------------------------------------------------------------------------


def test_person_page_shows_placements_effective_fte_and_over_allocation(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    agent = _actor(session, demo.id, "Claude Review Agent")
    page = _open_person(tab, agent.id)
    assert page.found
    assert (page.person.name, page.person.kind, page.person.email, page.person.fte) == (
        "Claude Review Agent", "agent", "review.agent@demo.test", "2.00")
    assert page.tab_title == "Claude Review Agent · Orgonaut"  # tells open tabs apart
    [placement] = page.placements
    assert (placement.unit_name, placement.allocation_pct, placement.effective_fte, placement.is_primary) == (
        "Developer Experience", 150, "3.00", True)
    assert placement.unit_url == routes.team_url(_unit(session, demo.id, "Developer Experience").id)
    # 150 % is shown as it is, and flagged.
    assert page.person.current_allocation_pct == 150
    assert page.person.current_effective_fte == "3.00"
    assert page.over_allocated

    chloe = _open_person(tab, _actor(session, demo.id, "Chloe Nguyen").id)
    assert [(p.unit_name, p.allocation_pct, p.is_primary, p.timing, p.end) for p in chloe.placements] == [
        ("Core Platform", 60, True, "current", ""), ("Developer Experience", 40, False, "current", "")]
    assert chloe.person.current_allocation_pct == 100
    assert not chloe.over_allocated


def test_person_page_shows_an_ended_placement_as_ended(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    samir = _open_person(tab, _actor(session, demo.id, "Samir Patel").id)
    assert [(p.unit_name, p.timing) for p in samir.placements] == [
        ("Search & Discovery", "current"), ("Checkout", "ended")]
    assert samir.placements[1].end != ""
    assert samir.person.current_allocation_pct == 100


def test_ids_from_another_scope_or_tenant_show_not_found_and_no_data(session, demo):
    other = make_tenant(session)
    stranger = org.create_actor(session=session, tenant_id=other.id, scenario_id=None, name="Stranger",
                                email="stranger@other.test")
    session.commit()
    snapshot = _scenario(session, demo.id, SNAPSHOT)
    snapshot_copy = _actor(session, demo.id, "Ana Souza", scenario_id=snapshot.id)
    tab = Tab(login_token(session, "admin@demo.test"))
    for raw in (str(stranger.id), str(snapshot_copy.id), "999999", "not-a-number"):
        page = tab.open(PersonState, routes.PERSON, f"/people/{raw}", person_id=raw)
        assert page.page_allowed
        assert not page.found
        assert page.person.name == "" and page.placements == []
        assert page.tab_title == "Person · Orgonaut"

    other_team = org.create_org_unit(session=session, tenant_id=other.id, scenario_id=None, kind="company",
                                     name="Other Co")
    session.commit()
    department = _unit(session, demo.id, "Engineering")
    for raw in (str(other_team.id), str(department.id)):  # another tenant's unit; a department is no team
        team = tab.open(TeamState, routes.TEAM, f"/teams/{raw}", team_id=raw)
        assert not team.found and team.members == [] and team.unit.name == ""
        assert team.tab_title == "Team · Orgonaut"


def test_edit_saves_through_the_service_and_reloads_the_page(session, demo):
    tab = Tab(login_token(session, "manager@demo.test"))
    ana = _actor(session, demo.id, "Ana Souza")
    page = _open_person(tab, ana.id)
    assert page.can_edit_scope
    page.open_actor_edit(ana.id)
    assert page.edit_open
    assert (page.edit_name, page.edit_email, page.edit_kind, page.edit_fte) == (
        "Ana Souza", "ana.souza@demo.test", "human", "1.00")

    page.save_actor_edit({"name": "Ana Souza", "email": "  Ana.S@Demo.Test ", "kind": "human", "fte": "0.9"})

    assert page.edit_error == ""
    assert not page.edit_open
    assert _row(session, ana.id) == ("Ana Souza", "ana.s@demo.test", "human", org.parse_fte("0.90"))
    assert (page.person.email, page.person.fte) == ("ana.s@demo.test", "0.90")
    assert page.placements[0].effective_fte == "0.90"


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("email", "ben.carter@demo.test"), ("fte", "3.5"), ("name", "  "),
     ("email", "")],
)
def test_a_refused_edit_shows_the_services_message_and_changes_nothing(session, demo, field, value):
    tab = Tab(login_token(session, "admin@demo.test"))
    ana = _actor(session, demo.id, "Ana Souza")
    before = _row(session, ana.id)
    form = {"name": "Ana Souza", "email": "ana.souza@demo.test", "kind": "human", "fte": "1.00", field: value}
    expected = _service_message(session, tenant_id=demo.id, actor_id=ana.id, **form)
    page = _open_person(tab, ana.id)
    page.open_actor_edit(ana.id)

    page.save_actor_edit(form)

    assert page.edit_error == expected
    assert page.edit_open
    assert _row(session, ana.id) == before
    assert page.person.email == "ana.souza@demo.test"
    # Reflex state outlives a reload; the page opens with the modal closed all the same.
    page = _open_person(tab, ana.id)
    assert (page.edit_open, page.edit_error) == (False, "")


def test_member_gets_no_edit_controls_and_the_server_refuses_anyway(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    ana = _actor(session, demo.id, "Ana Souza")
    before = _row(session, ana.id)
    page = _open_person(tab, ana.id)
    assert page.found
    assert not page.can_edit_org and not page.can_edit_scope

    page.open_actor_edit(ana.id)
    assert not page.edit_open
    page.save_actor_edit({"name": "Hacked", "email": "x@demo.test", "kind": "robot", "fte": "1"})

    assert page.edit_error == NOT_ALLOWED
    assert _row(session, ana.id) == before


def test_viewer_is_refused_too(session, demo):
    make_user(session, demo, role=Role.viewer, email="viewer@demo.test")
    session.commit()
    tab = Tab(login_token(session, "viewer@demo.test"))
    ana = _actor(session, demo.id, "Ana Souza")
    before = _row(session, ana.id)
    page = _open_person(tab, ana.id)
    assert page.found and not page.can_edit_scope
    page._edit_actor_id = ana.id  # as if a crafted event had opened the modal
    page.save_actor_edit({"name": "Ana Souza", "email": "v@demo.test", "kind": "human", "fte": "1"})
    assert page.edit_error == NOT_ALLOWED
    assert _row(session, ana.id) == before


def test_pages_keep_nothing_of_an_earlier_login_when_the_session_is_gone(session, demo):
    tab = Tab(login_token(session, "admin@demo.test"))
    ana = _actor(session, demo.id, "Ana Souza")
    assert _open_person(tab, ana.id).found
    assert tab.open(PeopleState, routes.PEOPLE, routes.PEOPLE).people
    core = _unit(session, demo.id, "Core Platform")
    assert tab.open(TeamState, routes.TEAM, routes.team_url(core.id), team_id=str(core.id)).members

    tab.token = ""  # logged out (or the session expired) in this tab
    person = _open_person(tab, ana.id)
    assert (person.found, person.person.name, person.placements) == (False, "", [])
    assert tab.open(PeopleState, routes.PEOPLE, routes.PEOPLE).people == []
    team = tab.open(TeamState, routes.TEAM, routes.team_url(core.id), team_id=str(core.id))
    assert (team.found, team.unit.name, team.members) == (False, "", [])
    tab.scope.load_scopes()
    assert (tab.scope.active_scopes, tab.scope.read_only_scopes) == ([], [])


ALL_ON_ONE_PAGE = f"{routes.PEOPLE}?size=100"  # the demo's 61 people on one page (50 by default)


# --- scopes -----------------------------------------------------------------------------------


def test_scope_switcher_lists_live_then_active_then_read_only(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    tab.open(PeopleState, routes.PEOPLE, routes.PEOPLE)
    assert (tab.scope.scope_value, tab.scope.scope_name, tab.scope.scope_read_only) == (LIVE, "Live", False)
    assert [o.label for o in tab.scope.active_scopes] == [REORG_SCENARIO]
    assert [o.label for o in tab.scope.read_only_scopes] == [
        f"{ARCHIVED_SCENARIO} · archived · read-only", f"{SNAPSHOT} · snapshot · read-only"]


def test_snapshot_scope_is_read_only_and_the_server_refuses_an_edit_there(session, demo):
    tab = Tab(login_token(session, "admin@demo.test"))
    snapshot = _scenario(session, demo.id, SNAPSHOT)
    tab.open(PeopleState, routes.PEOPLE, routes.PEOPLE)
    tab.scope.choose_scope(str(snapshot.id))

    copy = _actor(session, demo.id, "Ana Souza", scenario_id=snapshot.id)
    page = _open_person(tab, copy.id)
    assert page.found
    assert (page.scope_name, page.scope_read_only) == (SNAPSHOT, True)
    assert page.can_edit_org and not page.can_edit_scope  # the Edit button is not rendered

    before = _row(session, copy.id)
    form = {"name": "Ana Souza", "email": "ana.new@demo.test", "kind": "human", "fte": "1.00"}
    expected = _service_message(session, tenant_id=demo.id, actor_id=copy.id, **form)
    assert "snapshot" in expected
    page.open_actor_edit(copy.id)  # as if the modal had been reached anyway
    page.save_actor_edit(form)
    assert page.edit_error == expected
    assert _row(session, copy.id) == before
    # Live is untouched too.
    assert _actor(session, demo.id, "Ana Souza").email == "ana.souza@demo.test"


def test_people_pages_load_the_chosen_scope(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    reorg = _scenario(session, demo.id, REORG_SCENARIO)
    live_people = tab.open(PeopleState, routes.PEOPLE, ALL_ON_ONE_PAGE, size="100")
    live_ids = {p.id for p in live_people.people}
    tab.scope.choose_scope(str(reorg.id))
    people = tab.open(PeopleState, routes.PEOPLE, ALL_ON_ONE_PAGE, size="100")
    assert (people.scope_name, people.scope_read_only) == (REORG_SCENARIO, False)
    assert len(people.people) == len(DEMO_PEOPLE)
    assert not live_ids & {p.id for p in people.people}
    # In Reorg 2027, Hana Sato moved to the new AI Enablement team.
    [hana] = [p for p in people.people if p.name == "Hana Sato"]
    assert hana.home_unit == "AI Enablement"


def test_the_scope_choice_belongs_to_the_login_session(session, demo):
    token = login_token(session, "admin@demo.test")
    tab = Tab(token)
    reorg = _scenario(session, demo.id, REORG_SCENARIO)
    tab.scope.choose_scope(str(reorg.id))
    cookie = tab.scope.scope_cookie

    same_login = Tab(token, scope_cookie=cookie)  # a reload or another tab of the same browser session
    same_login.open(PeopleState, routes.PEOPLE, routes.PEOPLE)
    assert same_login.scope.scope_name == REORG_SCENARIO

    new_login = Tab(login_token(session, "admin@demo.test"), scope_cookie=cookie)
    new_login.open(PeopleState, routes.PEOPLE, routes.PEOPLE)
    assert (new_login.scope.scope_value, new_login.scope.scope_name) == (LIVE, "Live")


def test_a_foreign_or_unknown_scope_falls_back_to_live(session, demo):
    other = make_tenant(session)
    foreign = org.create_scenario(session=session, tenant_id=other.id, name="Theirs")
    session.commit()
    tab = Tab(login_token(session, "admin@demo.test"))
    for value in (str(foreign.id), "424242", "live", "junk"):
        tab.scope.choose_scope(value)
        people = tab.open(PeopleState, routes.PEOPLE, ALL_ON_ONE_PAGE, size="100")
        assert (people.scope_value, people.scope_name) == (LIVE, "Live")
        assert {p.name for p in people.people} == {p.name for p in DEMO_PEOPLE}


def test_switching_scope_on_a_detail_page_shows_the_same_unit_or_person_there(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    reorg = _scenario(session, demo.id, REORG_SCENARIO)
    ana = _actor(session, demo.id, "Ana Souza")
    ana_in_reorg = _actor(session, demo.id, "Ana Souza", reorg.id)
    _open_person(tab, ana.id)
    redirect = tab.scope.choose_scope(str(reorg.id))
    assert f'"{routes.person_url(ana_in_reorg.id)}"' in str(redirect.args)
    _open_person(tab, ana_in_reorg.id)
    assert f'"{routes.person_url(ana.id)}"' in str(tab.scope.choose_scope(LIVE).args)

    # A team, through a chain of copies: Live -> the reorg -> a scenario copied from the reorg.
    dx = _unit(session, demo.id, "Developer Experience")
    dx_in_reorg = _unit(session, demo.id, "Developer Experience", reorg.id)
    snap = org.create_scenario(session=session, tenant_id=demo.id, name="Reorg v2", source_scenario_id=reorg.id)
    session.commit()
    dx_in_snap = _unit(session, demo.id, "Developer Experience", snap.id)
    assert len({dx.id, dx_in_reorg.id, dx_in_snap.id}) == 3
    tab.open(TeamState, routes.TEAM, routes.team_url(dx_in_snap.id), team_id=str(dx_in_snap.id))
    assert f'"{routes.team_url(dx.id)}"' in str(tab.scope.choose_scope(LIVE).args)
    assert f'"{routes.team_url(dx_in_reorg.id)}"' in str(tab.scope.choose_scope(str(reorg.id)).args)

    # A team that exists only in the scenario: back in Live, its list.
    enablement = _unit(session, demo.id, "AI Enablement", reorg.id)
    tab.open(TeamState, routes.TEAM, routes.team_url(enablement.id), team_id=str(enablement.id))
    assert f'"{routes.TEAMS}"' in str(tab.scope.choose_scope(LIVE).args)
    tab.open(PeopleState, routes.PEOPLE, routes.PEOPLE)
    assert f'"{routes.PEOPLE}"' in str(tab.scope.choose_scope(str(reorg.id)).args)


def test_a_unit_page_says_what_its_scope_means_for_its_numbers(session, demo):
    tab = Tab(login_token(session, "admin@demo.test"))
    reorg = _scenario(session, demo.id, REORG_SCENARIO)
    snapshot = org.create_snapshot(session=session, tenant_id=demo.id, name="Frozen")
    session.commit()
    cases = [(_unit(session, demo.id, "Developer Experience"), ""),
             (_unit(session, demo.id, "Developer Experience", reorg.id), ""),
             (_unit(session, demo.id, "AI Enablement", reorg.id),
              f"AI Enablement exists only in {REORG_SCENARIO}: its numbers are its people's usage as if this "
              "structure had applied."),
             (_unit(session, demo.id, "Developer Experience", snapshot.id),
              "Frozen is a snapshot of the org: usage is synced into Live and active scenarios only, so a snapshot "
              "holds none.")]
    for unit, note in cases:
        tab.scope.choose_scope(str(unit.scenario_id) if unit.scenario_id else LIVE)
        tab.open(TeamState, routes.TEAM, routes.team_url(unit.id), team_id=str(unit.id))
        usage = tab.state(TeamUsageState)
        usage.load()
        assert usage.scope_note == note, unit.name


# --- people list ------------------------------------------------------------------------------


def test_people_search_by_name_or_email_and_kind_filter(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    people = tab.open(PeopleState, routes.PEOPLE, ALL_ON_ONE_PAGE, size="100")
    assert people.count_text == f"{len(DEMO_PEOPLE)} people"

    people.search_people("SOUZA")
    assert [p.name for p in people.people] == ["Ana Souza"]
    assert people.people[0].url == routes.person_url(_actor(session, demo.id, "Ana Souza").id)
    people.search_people("triage.agent@")
    assert [p.name for p in people.people] == ["Support Triage Agent"]

    people.search_people("")
    people.filter_kind(["robot"])  # segmented controls may send a list
    assert {p.name for p in people.people} == {p.name for p in DEMO_PEOPLE if p.kind == ActorKind.robot}
    people.filter_kind("agent")
    assert {p.name for p in people.people} == {p.name for p in DEMO_PEOPLE if p.kind == ActorKind.agent}
    people.search_people("nobody-matches-this")
    assert people.people == [] and people.filtered

    people.clear_filters()
    assert len(people.people) == len(DEMO_PEOPLE) and not people.filtered


# --- teams and departments --------------------------------------------------------------------


def test_teams_list_and_team_page_show_members_with_allocation(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    teams = tab.open(TeamsState, routes.TEAMS, routes.TEAMS)
    assert [t.name for t in teams.teams] == sorted((name for name, _, _ in TEAMS), key=str.lower)
    for team in teams.teams:
        assert team.direct_count == len(demo_members({team.name})), team.name
    parents = {name: parent for name, parent, _ in TEAMS}
    assert all(t.parent_name == parents[t.name] for t in teams.teams)

    core = _unit(session, demo.id, "Core Platform")
    page = tab.open(TeamState, routes.TEAM, routes.team_url(core.id), team_id=str(core.id))
    assert page.found
    assert (page.unit.name, page.unit.parent_name, page.unit.team_type) == (
        "Core Platform", "Platform Engineering", "platform")
    assert page.tab_title == "Core Platform · Orgonaut"
    assert page.unit.parent_url == routes.department_url(_unit(session, demo.id, "Platform Engineering").id)
    assert {m.name for m in page.members} == demo_members({"Core Platform"})
    [chloe] = [m for m in page.members if m.name == "Chloe Nguyen"]
    assert (chloe.allocation_pct, chloe.is_primary, chloe.effective_fte) == (60, True, "0.60")
    assert page.members_text == f"{len(demo_members({'Core Platform'}))} members"

    devex = _unit(session, demo.id, "Developer Experience")
    page = tab.open(TeamState, routes.TEAM, routes.team_url(devex.id), team_id=str(devex.id))
    [chloe] = [m for m in page.members if m.name == "Chloe Nguyen"]
    assert (chloe.allocation_pct, chloe.is_primary) == (40, False)
    # Farah, George, Hana 3 x 1.00 + Ivan 0.50 + Deploy Bot 1.00 + review agent 2.00 x 150 % + Chloe 1.00 x 40 %
    assert page.members_fte == "7.90"


def _department_subtree(name: str) -> set[str]:
    units = {name}
    while True:
        below = {d for d, parent in DEPARTMENTS if parent in units} | {t for t, parent, _ in TEAMS if parent in units}
        if below <= units:
            return units
        units |= below


def test_departments_list_and_department_page_count_direct_and_subtree_members(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    departments = tab.open(DepartmentsState, routes.DEPARTMENTS, routes.DEPARTMENTS)
    assert [d.name for d in departments.departments] == sorted((n for n, _ in DEPARTMENTS), key=str.lower)
    for d in departments.departments:
        assert d.direct_count == len(demo_members({d.name})), d.name
        assert d.subtree_count == len(demo_members(_department_subtree(d.name))), d.name

    platform = _unit(session, demo.id, "Platform Engineering")
    page = tab.open(DepartmentState, routes.DEPARTMENT, routes.department_url(platform.id),
                    department_id=str(platform.id))
    assert page.found
    assert page.unit.parent_name == "Engineering"
    assert page.tab_title == "Platform Engineering · Orgonaut"
    assert [(c.name, c.kind) for c in page.child_units] == [
        ("Core Platform", OrgUnitKind.team.value), ("Developer Experience", OrgUnitKind.team.value)]
    assert [c.direct_count for c in page.child_units] == [
        len(demo_members({"Core Platform"})), len(demo_members({"Developer Experience"}))]
    assert {m.name for m in page.members} == {"Marcus Lee"}
    assert page.unit.subtree_count == len(demo_members(_department_subtree("Platform Engineering"))) == 13

    team = _unit(session, demo.id, "Checkout")
    page = tab.open(DepartmentState, routes.DEPARTMENT, routes.department_url(team.id), department_id=str(team.id))
    assert not page.found and page.child_units == []
    assert page.tab_title == "Department · Orgonaut"


# --- person page: also known as -----------------------------------------------------------------


def _identities(session: Session, actor_id: int) -> list[tuple[str, str]]:
    session.expire_all()
    return [(str(i.kind), i.value) for i in org.list_identities(session=session, tenant_id=session.get(
        Actor, actor_id).tenant_id, actor_id=actor_id)]


def test_also_known_as_adds_and_removes_identities_with_clear_refusals(session, demo):
    tab = Tab(login_token(session, "manager@demo.test"))
    ana = _actor(session, demo.id, "Ana Souza")
    page = _open_person(tab, ana.id)
    assert page.found and page.identities == [] and page.can_edit_scope

    refusals = [
        ("email", "  ", "Enter the e-mail."),
        ("email", "ana at home", "'ana at home' is not a valid e-mail address."),
        ("email", "Ben.Carter@demo.test", "ben.carter@demo.test is the primary e-mail of Ben Carter; an address "
                                          "belongs to one person."),
        ("github_login", "ana souza", "'ana souza' is not a GitHub login (letters, digits and hyphens)."),
    ]
    for kind, value, message in refusals:
        page.set_identity_kind(kind)
        page.set_identity_value(value)
        assert page.add_identity({}) is None
        assert page.identity_error == message
        assert page.identity_value == value  # kept for correcting
        assert _identities(session, ana.id) == []

    page.set_identity_kind("email")
    page.set_identity_value(" Ana@Home.Example ")
    events_next = page.add_identity({})
    assert page.identity_error == "" and page.identity_value == ""
    assert "PersonUsageState.load" in repr(events_next)  # the usage section reloads: usage was re-matched
    assert [(r.kind_label, r.value) for r in page.identities] == [("E-mail", "ana@home.example")]
    page.set_identity_kind("github_login")
    page.set_identity_value("@Ana-S")
    page.add_identity({})
    assert _identities(session, ana.id) == [("email", "ana@home.example"), ("github_login", "ana-s")]

    # Someone else's identity: the refusal names who holds it.
    ben = _actor(session, demo.id, "Ben Carter")
    other = _open_person(Tab(login_token(session, "admin@demo.test")), ben.id)
    other.set_identity_value("ana@home.example")
    other.add_identity({})
    assert other.identity_error == "The e-mail ana@home.example already belongs to Ana Souza."

    # Remove asks first; Keep changes nothing, Remove removes.
    first = page.identities[0]
    page.ask_remove_identity(first.id)
    assert page.remove_identity_open and page.remove_identity_label == "E-mail ana@home.example"
    page.set_remove_identity_open(False)
    assert _identities(session, ana.id) == [("email", "ana@home.example"), ("github_login", "ana-s")]
    page.ask_remove_identity(first.id)
    page.confirm_remove_identity()
    assert not page.remove_identity_open
    assert _identities(session, ana.id) == [("github_login", "ana-s")]
    assert [r.value for r in page.identities] == ["ana-s"]


def test_also_known_as_is_refused_to_members_and_in_a_snapshot(session, demo):
    ana = _actor(session, demo.id, "Ana Souza")
    org.add_identity(session=session, tenant_id=demo.id, actor_id=ana.id, value="ana@home.example")
    session.commit()
    page = _open_person(Tab(login_token(session, "member@demo.test")), ana.id)
    assert [r.value for r in page.identities] == ["ana@home.example"]  # readers see the list
    assert not page.can_edit_scope
    page.set_identity_value("x@home.example")
    page.add_identity({})
    assert page.identity_error == NOT_ALLOWED
    assert NOT_ALLOWED in repr(page.ask_remove_identity(page.identities[0].id))
    page._remove_identity_id = page.identities[0].id  # as if a crafted event had opened the dialog
    page.confirm_remove_identity()
    assert _identities(session, ana.id) == [("email", "ana@home.example")]

    tab = Tab(login_token(session, "admin@demo.test"))
    snapshot = _scenario(session, demo.id, SNAPSHOT)
    tab.open(PeopleState, routes.PEOPLE, routes.PEOPLE)
    tab.scope.choose_scope(str(snapshot.id))
    copy = _actor(session, demo.id, "Ana Souza", scenario_id=snapshot.id)
    page = _open_person(tab, copy.id)
    assert not page.can_edit_scope
    page.set_identity_value("y@home.example")
    page.add_identity({})
    assert "snapshot" in page.identity_error
    assert _identities(session, copy.id) == []  # the snapshot was taken before the identity was added
    # A person of another scope is not this page's: the server checks the scope of the person shown.
    page._identities_actor_id = ana.id
    page.add_identity({})
    assert page.identity_error == f"Person {ana.id} was not found."
    assert _identities(session, ana.id) == [("email", "ana@home.example")]
