"""People a vendor names by an immutable id (GitHub Copilot's user id, say): matched through the person's
identity of that kind, else through the other names the vendor gave the id (its logins, a SAML e-mail),
kept from every day so a renamed login keeps its person. A name or an identity that arrives later
re-matches the stored usage at once; the Unmatched list names the source by its newest login, and
linking it gives the person the id."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from orgonaut.ai_tooling import ingest, service
from orgonaut.ai_tooling.models import AiToolUsageRecord, UsageSourceAlias
from orgonaut.ai_tooling.providers.base import DailyUsage, DayUsages, SourceHint, vendor_id_source
from orgonaut.errors import ValidationFailed
from orgonaut.integrations.models import Integration
from orgonaut.org import service as org
from orgonaut.org.models import ActorIdentity
from tests.integration.ai_tooling.conftest import add_actor

DAY1, DAY2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
OCTO = vendor_id_source("github:", 583231)
MONA = vendor_id_source("github:", 1024)


def _integration(session, tenant) -> Integration:
    integration = Integration(tenant_id=tenant.id, category="ai_tooling", provider="claude_code",
                              api_base="http://127.0.0.1:9")
    session.add(integration)
    session.commit()
    return integration


def _day(day: dt.date, hints: dict[str, SourceHint], *costs: tuple[str, str]) -> DayUsages:
    return DayUsages([DailyUsage(source_email=source, usage_date=day, total_cost_cents=Decimal(cost))
                      for source, cost in costs], hints=hints)


def _store(session, tenant, integration, day: dt.date, usages: DayUsages) -> None:
    scopes = [ingest.TargetScope(scenario_id=None, name="Live")]
    matchers = ingest.load_matchers(session=session, tenant_id=tenant.id, scopes=scopes)
    ingest.store_day(session=session, integration=integration, matchers=matchers, day=day, usages=usages)
    session.commit()


def _owners(session) -> dict[tuple[str, dt.date], int | None]:
    session.expire_all()
    return {(r.source_email, r.usage_date): r.actor_id for r in session.exec(select(AiToolUsageRecord))}


def _login(login: str, *more: tuple[str, str]) -> SourceHint:
    return SourceHint(display_name=f"@{login}", identities=(("github_login", login), *more))


def test_a_vendor_id_source_belongs_to_the_person_holding_that_id(session, tenant):
    integration = _integration(session, tenant)
    ada = add_actor(session, tenant.id, "ada@x.test", name="Ada")
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ada.id, kind="github_user_id", value="583231")
    session.commit()
    _store(session, tenant, integration, DAY1, _day(DAY1, {OCTO: _login("octocat")}, (OCTO, "12.5"), (MONA, "3")))
    assert _owners(session) == {(OCTO, DAY1): ada.id, (MONA, DAY1): None}


def test_a_login_matches_and_a_renamed_login_keeps_its_person(session, tenant):
    integration = _integration(session, tenant)
    ada = add_actor(session, tenant.id, "ada@x.test", name="Ada")
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ada.id, kind="github_login", value="OctoCat")
    session.commit()
    _store(session, tenant, integration, DAY1, _day(DAY1, {OCTO: _login("octocat")}, (OCTO, "12.5")))
    assert _owners(session) == {(OCTO, DAY1): ada.id}
    # GitHub renames the login; the id is the same, so the records keep one source and the person.
    _store(session, tenant, integration, DAY2, _day(DAY2, {OCTO: _login("octo-renamed")}, (OCTO, "4")))
    assert _owners(session) == {(OCTO, DAY1): ada.id, (OCTO, DAY2): ada.id}
    listed = {(a.kind, a.value): a.last_seen for a in session.exec(select(UsageSourceAlias))}
    assert listed == {("github_login", "octocat"): DAY1, ("display_name", "@octocat"): DAY1,
                      ("github_login", "octo-renamed"): DAY2, ("display_name", "@octo-renamed"): DAY2}


def test_a_saml_e_mail_matches_the_person_with_that_primary_e_mail(session, tenant):
    integration = _integration(session, tenant)
    ada = add_actor(session, tenant.id, "ada@x.test", name="Ada")
    hint = _login("octocat", ("email", "Ada@X.test"))
    _store(session, tenant, integration, DAY1, _day(DAY1, {OCTO: hint}, (OCTO, "12.5")))
    assert _owners(session) == {(OCTO, DAY1): ada.id}


def test_the_id_beats_a_login_another_person_holds(session, tenant):
    integration = _integration(session, tenant)
    ada = add_actor(session, tenant.id, "ada@x.test", name="Ada")
    ben = add_actor(session, tenant.id, "ben@x.test", name="Ben")
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ben.id, kind="github_login", value="octocat")
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ada.id, kind="github_user_id", value="583231")
    session.commit()
    _store(session, tenant, integration, DAY1, _day(DAY1, {OCTO: _login("octocat")}, (OCTO, "12.5")))
    assert _owners(session) == {(OCTO, DAY1): ada.id}


def test_a_login_given_to_a_person_later_re_matches_the_stored_usage(session, tenant):
    integration = _integration(session, tenant)
    ada = add_actor(session, tenant.id, "ada@x.test", name="Ada")
    _store(session, tenant, integration, DAY1, _day(DAY1, {OCTO: _login("octocat")}, (OCTO, "12.5")))
    _store(session, tenant, integration, DAY2, _day(DAY2, {OCTO: _login("octocat")}, (OCTO, "1")))
    assert set(_owners(session).values()) == {None}
    unmatched = service.list_unmatched(session=session, tenant_id=tenant.id)
    assert [(u.source_email, u.label, u.record_count, u.total_cost_cents) for u in unmatched] == [
        (OCTO, "@octocat (GitHub user id 583231)", 2, Decimal("13.5"))]

    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ada.id, kind="github_login", value="@octocat")
    session.commit()  # the identity's org event re-matches after the commit
    assert _owners(session) == {(OCTO, DAY1): ada.id, (OCTO, DAY2): ada.id}
    assert service.list_unmatched(session=session, tenant_id=tenant.id) == []


def test_linking_an_unmatched_vendor_id_gives_the_person_the_id(session, tenant):
    integration = _integration(session, tenant)
    ada = add_actor(session, tenant.id, "ada@x.test", name="Ada")
    _store(session, tenant, integration, DAY1, _day(DAY1, {OCTO: _login("octocat")}, (OCTO, "12.5")))
    result = service.link_source(session=session, tenant_id=tenant.id, actor_id=ada.id, source=OCTO)
    session.commit()
    assert [(i.kind, i.value) for i in result.identities] == [("github_user_id", "583231")]
    assert _owners(session) == {(OCTO, DAY1): ada.id}
    with pytest.raises(ValidationFailed, match="Ada is a person"):
        service.link_source(session=session, tenant_id=tenant.id, actor_id=ada.id, source="api-key:ci")


def test_adding_a_person_for_a_vendor_id_needs_an_e_mail_and_gives_them_the_id(session, tenant):
    integration = _integration(session, tenant)
    _store(session, tenant, integration, DAY1, _day(DAY1, {OCTO: _login("octocat", ("email", "octo@x.test"))},
                                                    (OCTO, "12.5")))
    [row] = service.list_unmatched(session=session, tenant_id=tenant.id)
    assert row.suggested_email == "octo@x.test"
    before = session.exec(select(ActorIdentity)).all()
    with pytest.raises(ValidationFailed, match="Enter the person's e-mail."):
        service.add_person(session=session, tenant_id=tenant.id, scenario_id=None, source_email=OCTO, name="Octo",
                           team_id=None, email=" ")
    session.rollback()
    assert session.exec(select(ActorIdentity)).all() == before
    octo = service.add_person(session=session, tenant_id=tenant.id, scenario_id=None, source_email=OCTO,
                              name="Octo", team_id=None, email="octo.cat@x.test")
    session.commit()
    assert octo.email == "octo.cat@x.test"
    assert [(i.kind, i.value) for i in org.list_identities(session=session, tenant_id=tenant.id, actor_id=octo.id)] \
        == [("github_user_id", "583231")]
    assert _owners(session) == {(OCTO, DAY1): octo.id}
