"""Who sees whose usage, in a real browser, one test per role, on the demo with 180 days of usage.

The demo's member@ and manager@ users are nobody in the org, so these tests add two users who are:
Ana Souza (a member, Core Platform) and Marcus Lee (a manager placed in Platform Engineering, so his
scope is Platform Engineering, Core Platform and Developer Experience). They are removed afterwards.
The whole matrix is in tests/integration/ui/test_usage_visibility.py; these check what the page shows.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import delete, select

from orgonaut.db import session_scope
from orgonaut.demo import DEMO_PASSWORD
from orgonaut.org import visibility
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import LoginSession, Role, Tenant, User
from tests.e2e.pages import log_in

SECTION = "AI Tooling Usage"
MEMBER, MANAGER = "ana.souza@demo.test", "marcus.lee@demo.test"


@pytest.fixture(scope="module")
def org_users(seeded_demo):
    with session_scope() as session:
        tenant = session.exec(select(Tenant).where(Tenant.slug == seeded_demo)).one()
        for email, role in ((MEMBER, Role.member), (MANAGER, Role.manager)):
            tenancy.create_user(session=session, tenant=tenant, email=email, password=DEMO_PASSWORD, role=role)
    yield
    with session_scope() as session:
        ids = list(session.exec(select(User.id).where(User.email.in_([MEMBER, MANAGER]))))
        session.exec(delete(LoginSession).where(LoginSession.user_id.in_(ids)))
        session.exec(delete(User).where(User.id.in_(ids)))


def _id(model, name: str) -> int:
    with session_scope() as session:
        tenant_id = session.exec(select(Tenant.id).where(Tenant.slug == "demo")).one()
        return session.exec(select(model.id).where(model.tenant_id == tenant_id, model.scenario_id.is_(None),
                                                   model.name == name)).one()


def _section(page: Page):
    return page.get_by_role("region", name=SECTION, exact=True)


def _shows_numbers(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
    expect(_section(page).get_by_role("term").filter(has_text="Cost").first).to_be_visible(
        timeout=20_000)
    expect(_section(page).get_by_role("note")).to_have_count(0)


def _shows_note(page: Page, url: str, heading: str, note: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
    expect(_section(page).get_by_role("note")).to_have_text(note, timeout=20_000)
    expect(_section(page).get_by_role("term")).to_have_count(0)
    expect(page.get_by_text("Usage by member")).to_have_count(0)
    expect(page.locator("#team-cost-trend, #department-cost-trend, #person-cost-trend")).to_have_count(0)


def test_a_member_sees_usage_on_their_own_page_only(page: Page, base_url: str, org_users):
    log_in(page, base_url, MEMBER)
    _shows_numbers(page, f"{base_url}/people/{_id(Actor, 'Ana Souza')}", "Ana Souza")
    _shows_note(page, f"{base_url}/people/{_id(Actor, 'Ben Carter')}", "Ben Carter", visibility.OWN_PAGE_ONLY)
    # Her own team: the structure stays (its members), no totals and no leaderboard.
    _shows_note(page, f"{base_url}/teams/{_id(OrgUnit, 'Core Platform')}", "Core Platform", visibility.OWN_PAGE_ONLY)
    expect(page.get_by_role("link", name="Ben Carter").first).to_be_visible()
    _shows_note(page, f"{base_url}/departments/{_id(OrgUnit, 'Platform Engineering')}", "Platform Engineering",
                visibility.OWN_PAGE_ONLY)


def test_a_manager_sees_the_units_they_are_placed_in_and_below_and_their_people(
    page: Page, base_url: str, org_users
):
    log_in(page, base_url, MANAGER)
    _shows_numbers(page, f"{base_url}/teams/{_id(OrgUnit, 'Core Platform')}", "Core Platform")
    members = page.get_by_role("region", name="Usage by member")
    expect(members.get_by_role("link", name="Ana Souza")).to_be_visible()
    members.get_by_role("link", name="Ana Souza").click()
    expect(page.get_by_role("heading", name="Ana Souza", exact=True).first).to_be_visible()
    expect(_section(page).get_by_role("term").filter(has_text="Cost").first).to_be_visible(
        timeout=20_000)
    _shows_note(page, f"{base_url}/teams/{_id(OrgUnit, 'Checkout')}", "Checkout", visibility.OUTSIDE_SCOPE)
    _shows_note(page, f"{base_url}/people/{_id(Actor, 'Julia Fischer')}", "Julia Fischer", visibility.OUTSIDE_SCOPE)
    _shows_note(page, f"{base_url}/departments/{_id(OrgUnit, 'Engineering')}", "Engineering",
                visibility.OUTSIDE_SCOPE)


def test_an_admin_sees_everyone_and_the_setting_only_owners_change(page: Page, base_url: str, org_users):
    log_in(page, base_url, "admin@demo.test")
    _shows_numbers(page, f"{base_url}/teams/{_id(OrgUnit, 'Checkout')}", "Checkout")
    expect(page.get_by_role("region", name="Usage by member").get_by_role("link", name="Julia Fischer")).to_be_visible()
    _shows_numbers(page, f"{base_url}/people/{_id(Actor, 'Julia Fischer')}", "Julia Fischer")
    page.goto(f"{base_url}/settings/integrations/ai-tooling")
    expect(page.get_by_role("heading", name="Who sees usage")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("radio", name="Managers see unit totals only")).to_be_disabled()
    expect(page.get_by_text("Only owners can change this.")).to_be_visible()


def test_an_owner_changes_what_managers_see_after_confirming(page: Page, base_url: str, org_users):
    log_in(page, base_url, "owner@demo.test")
    page.goto(f"{base_url}/settings/integrations/ai-tooling")
    people = page.get_by_role("radio", name="Managers see each person in their units (default)")
    totals = page.get_by_role("radio", name="Managers see unit totals only")
    expect(people).to_be_checked(timeout=20_000)
    try:
        totals.click()
        dialog = page.get_by_role("alertdialog", name="Change what managers see?")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)
        expect(people).to_be_checked()

        totals.click()
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Change").click()
        expect(page.get_by_text("Managers now see unit totals only.")).to_be_visible()
        expect(totals).to_be_checked()
        page.reload()
        expect(totals).to_be_checked(timeout=20_000)
    finally:
        with session_scope() as session:
            tenant = session.exec(select(Tenant).where(Tenant.slug == "demo")).one()
            tenant.managers_see_people = True
            session.add(tenant)
