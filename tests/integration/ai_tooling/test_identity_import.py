"""Identities from a CSV: the preview says per row what it would do (and how many unmatched records an
e-mail would give the person) or why it is refused, and writes nothing; apply adds only the accepted
rows, whose usage is re-matched after the commit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from orgonaut.ai_tooling import identity_import
from orgonaut.errors import ValidationFailed
from tests.integration.ai_tooling.conftest import WEEK, add_actor, connect
from tests.integration.ai_tooling.test_identity_matching import CONTRACTOR, raw_cost, stored_of
from tests.integration.ai_tooling.test_targeting_and_matching import ADA, BEN, rows, run


def identity_rows(session) -> list[tuple]:
    query = sa.text("SELECT actor_id, kind, value FROM actor_identities ORDER BY id")
    return [tuple(r) for r in session.execute(query)]


def test_preview_then_apply_adds_only_the_accepted_rows(session, tenant, clean_simulator):
    ada = add_actor(session, tenant.id, ADA, name="Ada")
    ben = add_actor(session, tenant.id, BEN, name="Ben")
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[6])
    contractor_records = len(rows(session, tenant.id, email=CONTRACTOR))
    text = "\n".join([
        "\ufeffPerson_Email,Kind,Value",
        f"{ADA.upper()},email, {CONTRACTOR.upper()} ",           # 2 accepted
        f"{BEN},github_login,@Ben-N",                             # 3 accepted
        "nobody@demo.test,email,x@y.test",                        # 4 no such person
        f"{BEN},slack,ben",                                       # 5 unknown kind
        f"{BEN},email,not an address",                            # 6 bad value
        f"{BEN},email,{ADA}",                                     # 7 Ada's primary e-mail
        f"{BEN},email,{CONTRACTOR}",                              # 8 line 2 gives it to Ada
        f"{BEN},github_user_id,",                                 # 9 empty
        f"{ADA},,ada@home.test",                                  # 10 kind defaults to e-mail
    ]) + "\n"

    preview = identity_import.preview(session=session, tenant_id=tenant.id, scenario_id=None, text=text)

    assert [(r.line, r.accepted, r.person, r.kind, r.value, r.would_match, r.reason) for r in preview.rows] == [
        (2, True, "Ada", "email", CONTRACTOR, contractor_records, ""),
        (3, True, "Ben", "github_login", "ben-n", 0, ""),
        (4, False, "", "email", "x@y.test", 0, "No person has the e-mail nobody@demo.test in this scope."),
        (5, False, "Ben", "slack", "ben", 0,
         "Unknown identity kind 'slack'. Valid: email, github_login, github_user_id, cursor_user_id, "
         "codex_user_id, claude_user_id, api_key, service_account."),
        (6, False, "Ben", "email", "not an address", 0, "'not an address' is not a valid e-mail address."),
        (7, False, "Ben", "email", ADA, 0, f"{ADA} is the primary e-mail of Ada; an address belongs to one person."),
        (8, False, "Ben", "email", CONTRACTOR, 0, f"Line 2 already gives the e-mail {CONTRACTOR} to Ada."),
        (9, False, "Ben", "github_user_id", "", 0, "Enter the GitHub user id."),
        (10, True, "Ada", "email", "ada@home.test", 0, ""),
    ]
    assert contractor_records > 0
    assert identity_rows(session) == []  # the preview wrote nothing
    assert stored_of(session, tenant.id, ada.id) == raw_cost(clean_simulator.base_url, ADA)

    applied = identity_import.apply(session=session, tenant_id=tenant.id, scenario_id=None, text=text)
    session.commit()

    assert [r.line for r in applied.accepted] == [2, 3, 10]
    assert identity_rows(session) == [(ada.id, "email", CONTRACTOR), (ben.id, "github_login", "ben-n"),
                                      (ada.id, "email", "ada@home.test")]
    assert stored_of(session, tenant.id, ada.id) == raw_cost(clean_simulator.base_url, ADA, CONTRACTOR)
    assert stored_of(session, tenant.id, ben.id) == raw_cost(clean_simulator.base_url, BEN)


@pytest.mark.parametrize(("text", "message"), [
    ("email,kind,value\na@b.test,email,c@d.test\n", "The CSV needs the header person_email,kind,value."),
    ("", "The CSV needs the header person_email,kind,value."),
    ("person_email,kind,value\n", "The CSV has no rows under its header."),
])
def test_a_file_without_its_header_or_rows_is_refused_whole(session, tenant, text, message):
    with pytest.raises(ValidationFailed) as refused:
        identity_import.apply(session=session, tenant_id=tenant.id, scenario_id=None, text=text)
    assert str(refused.value) == message
    assert identity_rows(session) == []


def test_the_cli_previews_and_applies(session, tenant, clean_simulator, tmp_path):
    from typer.testing import CliRunner

    from orgonaut.cli import app

    ada = add_actor(session, tenant.id, ADA, name="Ada")
    csv_file = tmp_path / "identities.csv"
    csv_file.write_text(f"person_email,kind,value\n{ADA},email,{CONTRACTOR}\nnobody@x.test,email,a@b.test\n")
    args = ["ai-tooling", "import-identities", str(csv_file), "--tenant", tenant.slug]

    preview = CliRunner().invoke(app, args)
    assert preview.exit_code == 0, preview.output
    assert preview.stdout == (
        f"line 2: Ada is also known by email {CONTRACTOR}\n"
        "line 3: refused: No person has the e-mail nobody@x.test in this scope.\n"
        "preview only, nothing changed: 1 rows would be added, 1 refused (run again with --apply)\n")
    assert identity_rows(session) == []

    applied = CliRunner().invoke(app, [*args, "--apply"])
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.endswith("added 1 identities; 1 rows refused, unchanged\n")
    assert identity_rows(session) == [(ada.id, "email", CONTRACTOR)]
    bad = CliRunner().invoke(app, ["ai-tooling", "import-identities", str(csv_file), "--tenant", "no-such-tenant"])
    assert bad.exit_code == 1
