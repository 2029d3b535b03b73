"""`orgonaut tenants|users|seed-demo`: one line and a non-zero exit for bad input, nothing changed."""

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from orgonaut.cli import app
from orgonaut.org.models import Actor, OrgUnit, Placement, Scenario
from orgonaut.tenancy.models import Tenant, User
from tests.factories import make_tenant, make_user


def _invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_tenant_and_user_are_created_from_the_command_line(session):
    created = _invoke("tenants", "create", "--slug", "acme", "--name", "Acme", "--plan", "enterprise")
    assert created.exit_code == 0, created.output
    assert "created tenant acme" in created.output
    user = _invoke("users", "create", "--tenant", "acme", "--email", "Boss@Acme.test", "--role", "owner",
                   stdin="a-long-enough-password\n")
    assert user.exit_code == 0, user.output
    assert user.output.strip() == "created owner boss@acme.test in acme"
    stored = session.exec(select(User).where(User.email == "boss@acme.test")).one()
    assert stored.role == "owner"
    assert session.exec(select(Tenant).where(Tenant.slug == "acme")).one().plan == "enterprise"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--tenant", "nope", "--email", "x@y.test", "--role", "admin"), "a-long-enough-password\n",
         "error: Unknown tenant 'nope'."),
        (("--tenant", "acme", "--email", "x@y.test", "--role", "boss"), "a-long-enough-password\n",
         "error: Unknown role 'boss'. Valid roles: owner, admin, manager, member, viewer."),
        (("--tenant", "acme", "--email", "x@y.test", "--role", "admin"), "short\n",
         "error: A password needs at least 12 characters."),
        (("--tenant", "acme", "--email", "taken@acme.test", "--role", "admin"), "a-long-enough-password\n",
         "error: A user with e-mail taken@acme.test already exists in acme."),
    ],
)
def test_bad_user_input_exits_non_zero_with_one_line_and_changes_nothing(session, args, stdin, message):
    tenant = make_tenant(session, slug="acme")
    make_user(session, tenant, email="taken@acme.test")
    session.commit()
    before = _count(session, User)
    result = _invoke("users", "create", *args, stdin=stdin)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == message
    assert _count(session, User) == before


def test_duplicate_tenant_and_unknown_plan_are_refused(session):
    make_tenant(session, slug="acme")
    session.commit()
    duplicate = _invoke("tenants", "create", "--slug", "acme", "--name", "Again")
    assert duplicate.exit_code == 1
    assert duplicate.output.strip() == "error: A tenant with slug 'acme' already exists."
    plan = _invoke("tenants", "create", "--slug", "other", "--name", "Other", "--plan", "gold")
    assert plan.exit_code == 1
    assert "Unknown plan 'gold'" in plan.output
    assert _count(session, Tenant) == 1


def test_seed_demo_twice_changes_nothing(session):
    first = _invoke("seed-demo", "--no-usage")
    assert first.exit_code == 0, first.output
    counts = {model: _count(session, model) for model in (Tenant, User, Scenario, OrgUnit, Actor, Placement)}
    assert counts[User] == 4 and counts[Actor] > 50
    second = _invoke("seed-demo", "--no-usage")
    assert second.exit_code == 0, second.output
    assert {model: _count(session, model) for model in counts} == counts
