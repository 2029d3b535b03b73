"""`orgonaut tokens create/list/revoke`: the secret printed once and usable; bad input exits non-zero
with one line and writes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from orgonaut.api.models import ApiToken
from orgonaut.cli import app
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Role
from tests.integration.api.conftest import AI, api_user, bearer, small_org, tenant_with_tokens


@pytest.fixture
def acme(session):
    acme = tenant_with_tokens(session, slug="acme")
    manager = api_user(session, acme.tenant, role=Role.manager)
    session.commit()
    return acme, manager


def _count(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(ApiToken)).one()


def test_create_prints_the_secret_alone_on_stdout_and_it_works(client, session, acme):
    tenant, _manager = acme
    small_org(session, tenant.tenant)
    session.commit()
    result = CliRunner().invoke(app, ["tokens", "create", "--tenant", "acme", "--user", tenant.admin.email.upper(),
                                      "--name", "Nightly export", "--ability", AI, "--ability", "teams.read",
                                      "--expires-in-days", "90"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert tokens.looks_like_secret(secret)
    assert "Nightly export" in result.stderr and "ai-tooling.manage, teams.read" in result.stderr
    assert "shown only now" in result.stderr and secret not in result.stderr
    token = session.exec(select(ApiToken).where(ApiToken.name == "Nightly export")).one()
    assert token.token_hash == tokens.hash_secret(secret) and token.expires_at is not None
    assert client.get("/api/v1/ai-tooling/usage", headers=bearer(secret)).status_code == 200

    listing = CliRunner().invoke(app, ["tokens", "list", "--tenant", "acme"])
    assert listing.exit_code == 0
    assert f"ogt_{token.prefix}…" in listing.stdout and secret not in listing.stdout

    revoked = CliRunner().invoke(app, ["tokens", "revoke", str(token.id)])
    assert revoked.exit_code == 0 and f"revoked token {token.id}" in revoked.stdout
    assert client.get("/api/v1/ai-tooling/usage", headers=bearer(secret)).status_code == 401
    again = CliRunner().invoke(app, ["tokens", "revoke", str(token.id)])
    assert again.exit_code == 0 and "already revoked" in again.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tenant", "nope"], "Unknown tenant 'nope'"),
        (["--user", "ghost@acme.test"], "There is no user ghost@acme.test in acme"),
        (["--ability", "ai-tooling.write"], "Unknown ability 'ai-tooling.write'"),
        (["--user", "MANAGER"], "cannot carry ai-tooling.manage: the manager role"),
        (["--expires-in-days", "0"], "1 to 3650 days"),
        (["--name", " "], "needs a name"),
    ],
)
def test_create_refuses_bad_input_with_one_line(session, acme, arguments, message):
    tenant, manager = acme
    base = {"--tenant": "acme", "--user": tenant.admin.email, "--name": "x", "--ability": AI}
    overrides = dict(zip(arguments[::2], arguments[1::2], strict=True))
    if overrides.get("--user") == "MANAGER":
        overrides["--user"] = manager.email
    argv = ["tokens", "create"]
    for option, value in {**base, **overrides}.items():
        argv += [option, value]
    before = _count(session)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert _count(session) == before


def test_revoke_of_an_unknown_id_exits_non_zero_with_one_line(session, acme):
    result = CliRunner().invoke(app, ["tokens", "revoke", "987654"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: API token 987654 was not found."
