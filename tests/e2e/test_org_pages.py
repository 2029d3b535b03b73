"""The org pages in a real browser on the seeded demo: people, a person and the edit modal, teams,
departments, the scope switcher and read-only scopes, per role.

The database is shared by every browser test, so a test that changes a row puts it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import select

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.org import events
from orgonaut.org import service as org
from orgonaut.org.demo_data import DEMO_PEOPLE, SNAPSHOT
from orgonaut.org.models import Actor, ActorKind, OrgUnit, Scenario
from tests.e2e.pages import log_in

ANA = "Ana Souza"
ANA_EMAIL = "ana.souza@demo.test"


# --- helpers ----------------------------------------------------------------------------------


def _demo_tenant_id() -> int:
    with session_scope() as session:
        return session.exec(select(Actor.tenant_id).where(Actor.email == ANA_EMAIL)).first()


def _actor(name: str, scenario_id: int | None = None) -> Actor:
    with session_scope() as session:
        return session.exec(
            select(Actor).where(Actor.tenant_id == _demo_tenant_id(), Actor.scenario_id == scenario_id,
                                Actor.name == name)
        ).one()


def _service_message(actor_id: int, **form: str) -> str:
    """What the org service answers to this update (rolled back: nothing changes)."""
    with session_scope() as session:
        try:
            org.update_actor(session=session, tenant_id=_demo_tenant_id(), actor_id=actor_id, **form)
        except DomainError as error:
            session.rollback()
            return str(error)
        session.rollback()
    raise AssertionError(f"the service accepted {form}")


def _person_page(page: Page, base_url: str, actor_id: int) -> None:
    page.goto(f"{base_url}/people/{actor_id}")


def _choose_scope(page: Page, label: str) -> None:
    page.get_by_role("combobox", name="Scope").click()
    page.get_by_role("option", name=label, exact=True).click()


def _row_headers(page: Page, region: str):
    return page.get_by_role("region", name=region, exact=True).get_by_role("rowheader")


def _fact(page: Page, label: str):
    """The value of a labelled fact in a page's header (a <dd> after its <dt>)."""
    return page.get_by_role("term").filter(has_text=label).locator("xpath=following-sibling::dd[1]")


@pytest.fixture
def ana_restored() -> Iterator[Actor]:
    """Ana as the demo has her; put back afterwards even if the test failed half-way."""
    ana = _actor(ANA)
    yield ana
    with session_scope() as session:
        current = session.get(Actor, ana.id)
        if (current.name, current.email, current.kind, current.fte) != (ana.name, ana.email, ana.kind, ana.fte):
            org.update_actor(session=session, tenant_id=ana.tenant_id, actor_id=ana.id, name=ana.name,
                             email=ana.email, kind=ana.kind, fte=ana.fte)


# --- editing ----------------------------------------------------------------------------------


def test_admin_edits_an_email_in_the_modal_and_stays_on_the_page(page: Page, base_url: str, ana_restored: Actor):
    log_in(page, base_url, "admin@demo.test")
    page.get_by_label("Search people").fill("souza")
    expect(_row_headers(page, "People")).to_have_text([ANA])
    page.get_by_role("link", name=ANA).click()
    expect(page).to_have_url(re.compile(rf"/people/{ana_restored.id}/?$"))
    expect(page.get_by_role("heading", name=ANA)).to_be_visible()

    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit person")
    expect(dialog.get_by_label("E-mail")).to_have_value(ANA_EMAIL)
    dialog.get_by_label("E-mail").fill("Ana.Renamed@Demo.Test")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/people/{ana_restored.id}/?$"))
    expect(page.get_by_text("ana.renamed@demo.test", exact=True)).to_be_visible()
    assert _actor(ANA).email == "ana.renamed@demo.test"

    # Put it back through the same modal.
    page.get_by_role("button", name="Edit").click()
    dialog.get_by_label("E-mail").fill(ANA_EMAIL)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(ANA_EMAIL, exact=True)).to_be_visible()
    assert _actor(ANA).email == ANA_EMAIL


@pytest.mark.parametrize("bad_email", ["not-an-email", "ben.carter@demo.test"])
def test_a_refused_email_shows_the_services_message_and_changes_nothing(
    page: Page, base_url: str, ana_restored: Actor, bad_email: str
):
    expected = _service_message(ana_restored.id, email=bad_email)
    log_in(page, base_url, "manager@demo.test")
    _person_page(page, base_url, ana_restored.id)
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit person")
    dialog.get_by_label("E-mail").fill(bad_email)
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_role("alert")).to_have_text(expected)
    expect(dialog.get_by_label("E-mail")).to_have_value(bad_email)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(ANA_EMAIL, exact=True)).to_be_visible()
    assert _actor(ANA).email == ANA_EMAIL


def test_member_sees_no_edit_button(page: Page, base_url: str):
    ana = _actor(ANA)
    log_in(page, base_url, "member@demo.test")
    _person_page(page, base_url, ana.id)
    expect(page.get_by_role("heading", name=ANA)).to_be_visible()
    expect(page.get_by_text(ANA_EMAIL, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)


# --- scopes -----------------------------------------------------------------------------------


def test_a_snapshot_is_read_only_and_shows_no_edit_button(page: Page, base_url: str):
    log_in(page, base_url, "admin@demo.test")
    _person_page(page, base_url, _actor(ANA).id)
    expect(page.get_by_role("button", name="Edit")).to_be_visible()
    expect(page.get_by_role("status", name="Scope")).to_have_text("Live")

    _choose_scope(page, f"{SNAPSHOT} · snapshot · read-only")
    # A person's id belongs to one scope: the switch shows the same person in the new scope.
    with session_scope() as session:
        snapshot = session.exec(select(Scenario).where(Scenario.name == SNAPSHOT)).one()
    expect(page).to_have_url(re.compile(rf"/people/{_actor(ANA, snapshot.id).id}/?$"))
    expect(page.get_by_role("status", name="Scope")).to_have_text(re.compile(rf"{SNAPSHOT}\s*read-only"))
    expect(page.get_by_role("heading", name=ANA)).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)

    # The Live id is not in the snapshot: the friendly not-found view, and none of Ana's data.
    page.goto(f"{base_url}/people/{_actor(ANA).id}")
    expect(page.get_by_role("heading", name="Person not found")).to_be_visible()
    expect(page.get_by_text(ANA_EMAIL)).to_have_count(0)

    # The choice is remembered for this login session.
    page.goto(f"{base_url}/teams")
    expect(page.get_by_role("status", name="Scope")).to_have_text(re.compile(rf"{SNAPSHOT}\s*read-only"))
    _choose_scope(page, "Live")
    expect(page.get_by_role("status", name="Scope")).to_have_text("Live")


@pytest.fixture
def race_scenario() -> Iterator[Scenario]:
    """A scenario of the demo tenant for this test only; its rows are removed afterwards."""
    tenant_id = _demo_tenant_id()
    with events.isolated_subscribers(), session_scope() as session:
        scenario = org.create_scenario(session=session, tenant_id=tenant_id, name="E2E archived while editing")
    yield scenario
    with session_scope() as session:
        # Identities before their actors: the scenario copied any the demo's Live people have by then.
        for table in ("actor_identities", "placements", "actors", "org_units"):
            session.execute(sa.text(f"DELETE FROM {table} WHERE scenario_id = :s"), {"s": scenario.id})
        session.execute(sa.text("DELETE FROM scenarios WHERE id = :s"), {"s": scenario.id})


def test_the_server_refuses_an_edit_once_the_scenario_is_read_only(
    page: Page, base_url: str, race_scenario: Scenario
):
    """The edit controls hide in read-only scopes, so the server's refusal is reached by a race: the
    modal is open in an active scenario when someone archives it. The service refuses, the modal
    shows its message, and nothing changes."""
    copy = _actor(ANA, race_scenario.id)
    log_in(page, base_url, "admin@demo.test")
    _choose_scope(page, race_scenario.name)
    expect(page.get_by_role("status", name="Scope")).to_have_text(race_scenario.name)
    _person_page(page, base_url, copy.id)
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit person")
    dialog.get_by_label("E-mail").fill("ana.in.scenario@demo.test")

    with events.isolated_subscribers(), session_scope() as session:
        org.archive_scenario(session=session, tenant_id=copy.tenant_id, scenario_id=race_scenario.id)
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_role("alert")).to_have_text(_service_message(copy.id, email="ana.in.scenario@demo.test"))
    expect(dialog.get_by_role("alert")).to_contain_text("archived")
    assert _actor(ANA, race_scenario.id).email == ANA_EMAIL
    # After a reload the scope shows as read-only and the button is gone.
    page.reload()
    expect(page.get_by_role("status", name="Scope")).to_have_text(re.compile("read-only"))
    expect(page.get_by_role("heading", name=ANA)).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)


# --- lists ------------------------------------------------------------------------------------


def test_people_search_and_kind_filter(page: Page, base_url: str):
    log_in(page, base_url, "member@demo.test")
    people = _row_headers(page, "People")
    expect(people).to_have_count(50)  # the first page of 61
    expect(page.get_by_role("status").filter(has_text="people")).to_have_text(f"{len(DEMO_PEOPLE)} people")

    page.get_by_label("Search people").fill("triage.agent@")
    expect(people).to_have_text(["Support Triage Agent"])
    expect(page.get_by_text("1 person", exact=True)).to_be_visible()

    page.get_by_label("Search people").fill("")
    page.get_by_role("radio", name="Robots").click()
    robots = sorted((p.name for p in DEMO_PEOPLE if p.kind == ActorKind.robot), key=str.lower)
    expect(people).to_have_text(robots)

    page.get_by_label("Search people").fill("nobody-is-called-this")
    expect(page.get_by_text("No one matches")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(people).to_have_count(50)


def _demo_members(units: set[str]) -> list[str]:
    names = {
        p.name for p in DEMO_PEOPLE
        if p.left_months_ago is None and (p.unit in units or (p.secondary is not None and p.secondary[0] in units))
    }
    return sorted(names, key=str.lower)


def test_team_page_lists_its_members_with_allocation(page: Page, base_url: str):
    log_in(page, base_url, "member@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    teams = page.get_by_role("region", name="Teams")
    core_row = teams.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Core Platform"))
    expect(core_row.get_by_role("cell")).to_have_text(
        ["Platform Engineering", "platform", str(len(_demo_members({"Core Platform"})))])
    page.get_by_role("link", name="Developer Experience").click()

    expect(page.get_by_role("heading", name="Developer Experience")).to_be_visible()
    members = _demo_members({"Developer Experience"})
    expect(_row_headers(page, "Members")).to_have_text(members)
    expect(page.get_by_text(f"{len(members)} members", exact=True)).to_be_visible()
    region = page.get_by_role("region", name="Members")
    chloe = region.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Chloe Nguyen"))
    expect(chloe).to_contain_text("40 %")
    agent = region.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Claude Review Agent"))
    expect(agent).to_contain_text("150 %")
    expect(agent).to_contain_text("3.00")
    page.get_by_role("link", name="Platform Engineering", exact=True).click()
    expect(page.get_by_role("heading", name="Platform Engineering")).to_be_visible()


def test_department_page_lists_child_units_direct_members_and_subtree_count(page: Page, base_url: str):
    log_in(page, base_url, "member@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Departments").click()
    subtree = _demo_members({"Platform Engineering", "Core Platform", "Developer Experience"})
    row = page.get_by_role("region", name="Departments").get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Platform Engineering"))
    expect(row.get_by_role("cell")).to_have_text(["Engineering", "1", str(len(subtree))])
    page.get_by_role("link", name="Platform Engineering").click()

    expect(page.get_by_role("heading", name="Platform Engineering")).to_be_visible()
    expect(_row_headers(page, "Units below")).to_have_text(["Core Platform", "Developer Experience"])
    expect(_row_headers(page, "Direct members")).to_have_text(["Marcus Lee"])
    expect(_fact(page, "Members in subtree")).to_have_text(str(len(subtree)))
    expect(_fact(page, "Direct members")).to_have_text("1")
    expect(_fact(page, "Parent unit")).to_have_text("Engineering")
    with session_scope() as session:
        engineering = session.exec(select(OrgUnit).where(OrgUnit.name == "Engineering",
                                                         OrgUnit.scenario_id.is_(None))).one()
    page.get_by_role("link", name="Engineering", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/departments/{engineering.id}/?$"))


def test_unknown_ids_show_the_not_found_view(page: Page, base_url: str):
    log_in(page, base_url, "member@demo.test")
    for path, heading in (("/people/999999", "Person not found"), ("/teams/999999", "Team not found"),
                          ("/departments/abc", "Department not found")):
        page.goto(f"{base_url}{path}")
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
