"""A person's "Also known as" in a real browser: an admin adds an unmatched address to a person who
had no usage, sees that address's usage appear on the person's page at once (re-matched by the org
event after the commit), then removes it through the confirmation and sees the usage go again.

The expected cost is summed from the stored raw records of that address, not from the page's query.
The database is shared by every browser test: the identity is removed afterwards whatever happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, func, select

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.db import session_scope
from orgonaut.org import service as org
from orgonaut.org.models import Actor, ActorIdentity
from orgonaut.rollups import periods
from orgonaut.tenancy.models import Tenant
from orgonaut.ui.format import format_usd
from tests.e2e.pages import log_in

SECTION = "AI Tooling Usage"
PERSON = "Elena Petrova"  # no Claude Code usage of her own in the demo


def _demo() -> tuple[int, Actor]:
    with session_scope() as session:
        tenant_id = session.exec(select(Tenant.id).where(Tenant.slug == "demo")).one()
        elena = session.exec(select(Actor).where(Actor.tenant_id == tenant_id, col(Actor.scenario_id).is_(None),
                                                 Actor.name == PERSON)).one()
        return tenant_id, elena


def _unmatched_with_recent_cost(tenant_id: int) -> tuple[str, Decimal]:
    """An unmatched person-shaped address with cost last month, and that cost from its raw records."""
    with session_scope() as session:
        last = periods.previous_month(periods.tenant_today(session=session, tenant_id=tenant_id))
        for entry in ai_tooling.list_unmatched(session=session, tenant_id=tenant_id):
            if entry.not_a_person:
                continue
            cost = session.exec(select(func.sum(AiToolUsageRecord.total_cost_cents)).where(
                AiToolUsageRecord.tenant_id == tenant_id, AiToolUsageRecord.scope_key == 0,
                AiToolUsageRecord.source_email == entry.source_email,
                col(AiToolUsageRecord.usage_date).between(last.start, last.end))).one()
            if cost:
                return entry.source_email, Decimal(str(cost))
    raise AssertionError("the demo has no unmatched address with cost last month")


@pytest.fixture
def elena() -> Iterator[Actor]:
    tenant_id, person = _demo()
    yield person
    with session_scope() as session:  # put the shared demo back, re-matching the usage as the page would
        for identity in session.exec(select(ActorIdentity).where(ActorIdentity.actor_id == person.id)).all():
            org.remove_identity(session=session, tenant_id=tenant_id, identity_id=identity.id)


def test_an_identity_added_on_the_person_page_brings_its_usage_and_removing_it_takes_it_away(
    page: Page, base_url: str, elena: Actor
):
    address, last_month_cost = _unmatched_with_recent_cost(elena.tenant_id)
    log_in(page, base_url, "admin@demo.test")  # sees every person's usage (a manager, only their scope's)
    page.goto(f"{base_url}/people/{elena.id}")
    expect(page.get_by_role("heading", name=PERSON)).to_be_visible()
    expect(page.get_by_role("heading", name="Also known as")).to_be_visible()
    expect(page.locator("#ai-tooling-usage")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_role("region", name=SECTION, exact=True)).to_have_count(0)

    # A bad address first: refused under the form, nothing added.
    page.get_by_label("Identity value").fill("not an address")
    expect(page.get_by_label("Identity value")).to_have_value("not an address")
    page.get_by_role("button", name="Add identity").click()
    expect(page.get_by_role("alert")).to_have_text("'not an address' is not a valid e-mail address.")

    page.get_by_label("Identity value").fill(address.upper())
    expect(page.get_by_label("Identity value")).to_have_value(address.upper())
    page.get_by_role("button", name="Add identity").click()
    table = page.get_by_role("region", name="Also known as", exact=True)
    expect(table.get_by_role("rowheader")).to_have_text([address])
    expect(page.get_by_label("Identity value")).to_have_value("")
    section = page.get_by_role("region", name=SECTION, exact=True)
    # The cards follow the range: last month's, as the cost computed above.
    section.get_by_role("radio", name="Last Month", exact=True).click()
    last_month = section.get_by_role("term").filter(has_text=re.compile("^Cost$")).locator(
        "xpath=following-sibling::dd[1]")
    expect(last_month).to_have_text(format_usd(last_month_cost))

    page.get_by_role("button", name=f"Remove {address}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"E-mail {address}")
    dialog.get_by_role("button", name="Remove").click()
    expect(table).to_have_count(0)
    expect(page.get_by_text("No other identities.")).to_be_visible()
    expect(page.get_by_role("region", name=SECTION, exact=True)).to_have_count(0)
    with session_scope() as session:
        assert address in [u.source_email for u in ai_tooling.list_unmatched(session=session,
                                                                             tenant_id=elena.tenant_id)]


def test_ignore_on_the_unmatched_list_and_its_undo(page: Page, base_url: str):
    """An admin ignores an unmatched address (not an employee) and undoes it, without reloading."""
    tenant_id, _ = _demo()
    address, _ = _unmatched_with_recent_cost(tenant_id)
    log_in(page, base_url, "admin@demo.test")
    try:
        page.goto(f"{base_url}/settings/integrations/ai-tooling")
        unmatched = page.get_by_role("region", name="Unmatched e-mails", exact=True)
        expect(unmatched.get_by_role("rowheader").first).to_be_visible(timeout=20_000)
        expect(unmatched.get_by_role("rowheader", name=address, exact=True)).to_have_count(1)
        unmatched.get_by_role("button", name=f"Ignore {address}", exact=True).click()
        expect(unmatched.get_by_role("rowheader", name=address, exact=True)).to_have_count(0)
        ignored = page.get_by_role("region", name="Ignored e-mails", exact=True)
        expect(ignored.get_by_role("rowheader")).to_have_text([address])
        ignored.get_by_role("button", name=f"Undo ignore of {address}").click()
        expect(unmatched.get_by_role("rowheader", name=address, exact=True)).to_have_count(1)
        expect(ignored).to_have_count(0)
    finally:
        with session_scope() as session:
            if any(u.source_email == address for u in ai_tooling.list_ignored(session=session, tenant_id=tenant_id)):
                ai_tooling.unignore(session=session, tenant_id=tenant_id, source_email=address)
