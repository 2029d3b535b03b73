"""The /settings/api-tokens page state, driven in-process the way Reflex drives it: what each role
sees, the secret shown once, and the server-side refusals a forged event meets."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select

from orgonaut import clock
from orgonaut.api.models import ApiToken
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Ability, Role
from orgonaut.ui import routes
from orgonaut.ui.pages.api_tokens import NOT_ALLOWED, ApiTokensState
from tests.integration.api.conftest import AI, api_user, tenant_with_tokens
from tests.integration.ui.conftest import router_for


class Tab:
    """One browser tab signed in as `user`, on the API tokens page."""

    def __init__(self, session, user):
        from reflex.state import State

        import orgonaut.orgonaut  # noqa: F401 - registers the pages
        from orgonaut.ui.auth import AuthState

        token = tenancy.start_session(session=session, user=user)
        session.commit()
        self.root = State(_reflex_internal_init=True)
        self.root.router = router_for(routes.API_TOKENS_SETTINGS, routes.API_TOKENS_SETTINGS, token)
        self.state(AuthState).require_login()
        self.page: ApiTokensState = self.state(ApiTokensState)
        self.page.load()

    def state(self, state_cls):
        return self.root.get_substate(state_cls.get_full_name().split(".")[1:])


def _count(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(ApiToken)).one()


@pytest.fixture
def acme(session):
    acme = tenant_with_tokens(session, slug="acme")
    session.commit()
    return acme


def test_owner_and_admin_are_offered_their_own_roles_abilities(session, acme):
    owner = api_user(session, acme.tenant, role=Role.owner)
    owner_page = Tab(session, owner).page
    admin_page = Tab(session, acme.admin).page
    assert owner_page.page_allowed and admin_page.page_allowed
    assert Ability.billing_manage.value in owner_page.grantable
    assert Ability.billing_manage.value not in admin_page.grantable
    assert set(admin_page.grantable) == {a.value for a in tokens.grantable_abilities(acme.admin)}
    assert admin_page.new_abilities == [AI]
    assert [row.name for row in admin_page.tokens] == ["test"]  # the tenant's token made by the fixture


def test_create_shows_the_secret_once_and_lists_the_token(session, acme):
    page = Tab(session, acme.admin).page
    page.set_new_name("Finance export")
    page.toggle_ability(Ability.teams_read.value, True)
    page.set_new_expiry_days("14")
    page.create_token()
    assert page.form_error == ""
    secret = page.new_secret
    assert tokens.looks_like_secret(secret) and page.new_secret_name == "Finance export"
    stored = session.exec(select(ApiToken).where(ApiToken.name == "Finance export")).one()
    assert stored.token_hash == tokens.hash_secret(secret)
    assert stored.abilities == [AI, Ability.teams_read.value] and stored.expires_at is not None
    row = next(r for r in page.tokens if r.name == "Finance export")
    assert row.prefix == f"ogt_{secret[4:12]}…" and row.status == "active" and row.last_used == "never"
    assert row.expiry_warning == "Expires in 14 days"  # within the warning period
    assert secret not in repr(page.tokens)
    # The form is ready for the next one; the secret goes when dismissed and never comes back.
    assert (page.new_name, page.new_expiry_days, page.new_abilities) == ("", "90", [AI])
    page.dismiss_secret()
    assert page.new_secret == ""
    page.set_new_name("second")
    page.create_token()
    assert page.new_secret
    page.load()
    assert page.new_secret == "" and page.new_secret_name == ""


@pytest.mark.parametrize(
    ("name", "abilities", "days", "message"),
    [
        ("", [AI], "", "needs a name"),
        ("x", [], "", "at least one ability"),
        ("x", [AI], "soon", "whole number of days"),
        ("x", [AI], "0", "1 to 3650 days"),
        ("x", [Ability.billing_manage.value], "", "cannot carry billing.manage"),  # forged: not offered
    ],
)
def test_bad_input_says_why_and_creates_nothing(session, acme, name, abilities, days, message):
    page = Tab(session, acme.admin).page
    before = _count(session)
    page.set_new_name(name)
    page.new_abilities = abilities
    page.set_new_expiry_days(days)
    page.create_token()
    assert message in page.form_error
    assert page.new_secret == ""
    assert _count(session) == before


@pytest.mark.parametrize("role", [Role.manager, Role.member, Role.viewer])
def test_other_roles_are_denied_and_forged_events_change_nothing(session, acme, role):
    user = api_user(session, acme.tenant, role=role)
    session.commit()
    tab = Tab(session, user)
    page = tab.page
    assert page.page_checked and not page.page_allowed
    assert page.tokens == [] and page.grantable == []
    before = _count(session)
    page.set_new_name("sneaky")
    page.new_abilities = [Ability.teams_read.value]
    page.create_token()
    assert page.form_error == NOT_ALLOWED and page.new_secret == ""
    assert _count(session) == before
    target = session.exec(select(ApiToken)).first()
    page.ask_revoke(target.id, target.name)
    page.confirm_revoke()
    session.expire_all()
    assert session.get(ApiToken, target.id).revoked_at is None


def test_revoke_asks_first_and_stays_in_the_tenant(session, acme):
    beta = tenant_with_tokens(session, slug="beta")
    session.commit()
    theirs = session.exec(select(ApiToken).where(ApiToken.tenant_id == beta.tenant.id)).one()
    mine = session.exec(select(ApiToken).where(ApiToken.tenant_id == acme.tenant.id)).one()
    page = Tab(session, acme.admin).page

    page.ask_revoke(mine.id, mine.name)
    assert page.revoke_open and page.revoke_name == "test"
    page.set_revoke_open(False)  # Cancel
    session.expire_all()
    assert not page.revoke_open and session.get(ApiToken, mine.id).revoked_at is None

    page.ask_revoke(theirs.id, "guess")  # a forged id of another tenant
    page.confirm_revoke()
    session.expire_all()
    assert session.get(ApiToken, theirs.id).revoked_at is None

    page.ask_revoke(mine.id, mine.name)
    page.confirm_revoke()
    session.expire_all()
    assert session.get(ApiToken, mine.id).revoked_at is not None
    assert next(r for r in page.tokens if r.id == mine.id).status == "revoked"


def test_a_new_token_expires_in_90_days_unless_chosen_and_the_list_warns_before(session, acme):
    page = Tab(session, acme.admin).page
    assert page.new_expiry_days == "90"  # the form's default: never is a choice, not the default
    page.set_new_name("Default expiry")
    page.create_token()
    stored = session.exec(select(ApiToken).where(ApiToken.name == "Default expiry")).one()
    assert stored.expires_at is not None
    left = stored.expires_at - clock.utcnow()
    assert dt.timedelta(days=89, hours=23) < left <= dt.timedelta(days=90)
    row = next(r for r in page.tokens if r.name == "Default expiry")
    assert row.expiry_warning == ""  # far from its end
    page.set_new_name("Never")
    page.set_new_expiry_days("")
    page.create_token()
    assert session.exec(select(ApiToken).where(ApiToken.name == "Never")).one().expires_at is None
    # Near its end the list warns (checked on the rule itself: a login session of today would be over).
    assert tokens.expiry_warning(stored, now=stored.expires_at - dt.timedelta(days=2, hours=23)) == \
        "Expires in 3 days"
    assert tokens.expiry_warning(stored, now=stored.expires_at - dt.timedelta(hours=5)) == "Expires within a day"
    assert tokens.expiry_warning(stored, now=stored.expires_at + dt.timedelta(seconds=1)) == ""  # expired
    page.set_new_name("Soon")
    page.set_new_expiry_days("3")
    page.create_token()
    assert next(r for r in page.tokens if r.name == "Soon").expiry_warning == "Expires in 3 days"
