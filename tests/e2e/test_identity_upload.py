"""Identities from a pasted CSV on the AI Tooling settings page, in a real browser as the demo's admin: the
preview says per row what would happen (one row refused, naming why) and writes nothing; Add adds the
accepted row, which then shows in the person's "Also known as"."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect
from sqlmodel import select

from orgonaut.db import session_scope
from orgonaut.org.models import Actor, ActorIdentity
from orgonaut.ui import routes
from tests.e2e.pages import log_in
from tests.e2e.test_spend_overview import _tenant


def _person() -> Actor:
    with session_scope() as session:
        return session.exec(select(Actor).where(Actor.tenant_id == _tenant().id, Actor.scenario_id.is_(None),
                                                Actor.email != "", Actor.kind == "human").order_by(Actor.id)).first()


def _logins(actor_id: int) -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(ActorIdentity.value).where(ActorIdentity.actor_id == actor_id,
                                                                   ActorIdentity.kind == "github_login")))


def test_admin_previews_and_adds_identities_from_a_pasted_csv(page: Page, base_url: str, seeded_demo):
    person = _person()
    login = f"e2e-{uuid.uuid4().hex[:8]}"
    log_in(page, base_url, "admin@demo.test")
    page.goto(f"{base_url}{routes.AI_TOOLING_SETTINGS}")
    card = page.get_by_role("heading", name="Import identities from a CSV")
    expect(card).to_be_visible(timeout=20_000)
    page.get_by_label("Or paste the CSV").fill(
        f"person_email,kind,value\n{person.email},github_login,{login}\nnobody@demo.test,email,x@y.test\n")
    page.get_by_role("button", name="Preview").click()
    table = page.get_by_role("region", name="Identities to import")
    expect(table.get_by_role("row")).to_have_count(3, timeout=20_000)
    expect(table.get_by_role("row").nth(1)).to_contain_text("Will be added")
    expect(table.get_by_role("row").nth(2)).to_contain_text("Refused: ")
    assert login not in _logins(person.id)  # a preview writes nothing

    page.get_by_role("button", name="Add 1 identities").click()
    expect(page.get_by_text("1 identity added")).to_be_visible(timeout=20_000)
    assert _logins(person.id).count(login) == 1
    page.goto(f"{base_url}{routes.person_url(person.id)}")
    expect(page.get_by_text(login)).to_be_visible(timeout=20_000)
