"""Identities from a CSV on the AI Tooling settings page (`IdentityUploadState`): an uploaded file and
pasted text are previewed row by row (the domain's preview) with nothing written; "Add" adds the accepted
rows only and their usage is re-matched; a file that is too big or not text is refused with a reason; a
member is refused."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import reflex as rx
import sqlalchemy as sa

from orgonaut.ai_tooling import identity_import
from orgonaut.tenancy.models import Role
from orgonaut.ui.pages.ai_tooling.identity_upload import MAX_BYTES, NOT_TEXT, TOO_BIG, IdentityUploadState
from tests.integration.ai_tooling.conftest import add_actor
from tests.integration.ui.test_ai_tooling_settings_state import _open, _tenant

CSV = "person_email,kind,value\nada@x.test,github_login,@Ada-Dev\nnobody@x.test,email,a@b.test\n"


def _identities(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(sa.text("SELECT actor_id, kind, value FROM actor_identities"))]


def _upload(page: IdentityUploadState, data: bytes) -> None:
    asyncio.run(page.upload_identities([rx.UploadFile(file=io.BytesIO(data), path=Path("identities.csv"))]))


def test_a_file_is_previewed_then_only_its_accepted_rows_are_added(session):
    tenant, emails = _tenant(session)
    ada = add_actor(session, tenant.id, "ada@x.test", name="Ada")
    _, page = _open(session, emails[Role.admin], dialog=IdentityUploadState)
    _upload(page, ("\ufeff" + CSV).encode())
    expected = identity_import.preview(session=session, tenant_id=tenant.id, scenario_id=None, text=CSV)
    assert [(r.line, r.person, r.kind, r.value, r.accepted) for r in page.import_rows] == [
        (r.line, r.person or r.person_email, r.kind, r.value, r.accepted) for r in expected.rows]
    assert page.import_rows[0].outcome == "Will be added" and page.import_rows[1].outcome.startswith("Refused: ")
    assert page.import_accepted == 1 and _identities(session) == []  # a preview writes nothing

    page.apply_identities()
    assert _identities(session) == [(ada.id, "github_login", "ada-dev")]
    assert page.import_rows == [] and page.import_accepted == 0

    page.preview_pasted({"csv": "person_email,kind,value\nada@x.test,github_login,ada-dev\n"})
    assert page.import_rows[0].outcome.startswith("Refused: ") and page.import_accepted == 0  # hers already


def test_bad_files_and_roles_without_the_right_are_refused(session):
    tenant, emails = _tenant(session)
    add_actor(session, tenant.id, "ada@x.test", name="Ada")
    _, page = _open(session, emails[Role.admin], dialog=IdentityUploadState)
    _upload(page, b"x" * (MAX_BYTES + 1))
    assert page.import_error == TOO_BIG and page.import_rows == []
    _upload(page, b"\xff\xfe\x00bad")
    assert page.import_error == NOT_TEXT
    _, member = _open(session, emails[Role.member], dialog=IdentityUploadState)
    member.preview_pasted({"csv": CSV})
    assert member.import_error != "" and member.import_rows == []
    member._import_text = CSV  # a forged confirmation
    member.apply_identities()
    assert _identities(session) == []
