"""Identities from a CSV upload (`person_email,kind,value`), on the AI Tooling settings page: the file (or
pasted text) is previewed row by row with `ai_tooling.identity_import.preview` (what each row would do, how
many unmatched records it would give the person, or why it is refused), and nothing changes until "Add"
confirms; then `apply` adds the accepted rows only. Owners and admins with `org.write`, in a writable scope.
"""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel import Session

from orgonaut.ai_tooling import identity_import
from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.tenancy.models import User
from orgonaut.ui.components.forms import error_callout, labelled_upload
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState

MAX_BYTES = 1_000_000  # about 20,000 rows: a bigger file is a mistake or belongs in the CLI
TOO_BIG = "The file is larger than 1 MB; split it, or use `orgonaut ai-tooling import-identities`."
NOT_TEXT = "The file is not UTF-8 text: save it as CSV (UTF-8) and upload it again."
EXAMPLE = "person_email,kind,value\nada@example.com,github_login,ada-dev\nada@example.com,email,ada@old-domain.example"


@dataclasses.dataclass
class ImportRow:
    line: int = 0
    person: str = ""
    kind: str = ""
    value: str = ""
    outcome: str = ""
    accepted: bool = False


def import_row(row: identity_import.RowResult) -> ImportRow:
    if row.accepted:
        matches = f", matches {row.would_match} unmatched record{'s' if row.would_match != 1 else ''}" \
            if row.would_match else ""
        outcome = f"Will be added{matches}"
    else:
        outcome = f"Refused: {row.reason}"
    return ImportRow(line=row.line, person=row.person or row.person_email, kind=row.kind, value=row.value,
                     outcome=outcome, accepted=row.accepted)


class IdentityUploadState(AiToolingSettingsState):
    import_rows: list[ImportRow] = []
    import_accepted: int = 0
    import_error: str = ""
    _import_text: str = ""

    def _clear_import(self) -> None:
        self.import_rows, self.import_accepted, self.import_error, self._import_text = [], 0, "", ""

    @rx.event
    async def upload_identities(self, files: list[rx.UploadFile]):
        self._clear_import()
        if not files:
            self.import_error = "Choose a CSV file."
            return
        data = await files[0].read()
        if len(data) > MAX_BYTES:
            self.import_error = TOO_BIG
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.import_error = NOT_TEXT
            return
        self._preview(text)

    @rx.event
    def preview_pasted(self, form_data: dict):
        self._clear_import()
        text = str(form_data.get("csv", ""))
        if len(text.encode()) > MAX_BYTES:
            self.import_error = TOO_BIG
            return
        self._preview(text)

    def _preview(self, text: str) -> None:
        """Every row's outcome, nothing written (the same checks `apply` makes)."""
        user, refusal = self._check_people()
        if user is None:
            self.import_error = refusal
            return
        try:
            with session_scope() as session:
                preview = identity_import.preview(session=session, tenant_id=user.tenant_id,
                                                  scenario_id=self._scope_for(user), text=text)
        except DomainError as error:
            self.import_error = str(error)
            return
        self.import_rows = [import_row(r) for r in preview.rows]
        self.import_accepted = sum(1 for r in preview.rows if r.accepted)
        self._import_text = text

    @rx.event
    def apply_identities(self):
        """Adds the accepted rows of the file previewed (previewed again, so a change since is honoured)."""
        text = self._import_text
        if not text:
            return None

        def run(session: Session, user: User) -> identity_import.Preview:
            return identity_import.apply(session=session, tenant_id=user.tenant_id,
                                         scenario_id=self._scope_for(user), text=text)

        def said(result: identity_import.Preview) -> str:
            added = sum(1 for r in result.rows if r.accepted)
            refused = len(result.rows) - added
            return (f"{added} identit{'y' if added == 1 else 'ies'} added; their usage is matched now."
                    + (f" {refused} row{'s' if refused != 1 else ''} refused, nothing changed for them."
                       if refused else ""))

        self._clear_import()
        return self._act(run, check=self._check_people, done=said)

    @rx.event
    def clear_identities_import(self):
        self._clear_import()


def _row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(r.line), rx.table.cell(r.person), rx.table.cell(r.kind), rx.table.cell(r.value),
        rx.table.cell(rx.text(r.outcome, color_scheme=rx.cond(r.accepted, "green", "red"), size="2")),
    )


def identity_upload_card() -> rx.Component:
    S = IdentityUploadState
    return rx.cond(AiToolingSettingsState.can_edit_scope, rx.card(rx.vstack(
        rx.heading("Import identities from a CSV", size="3", as_="h2"),
        rx.text("One row per identity: the person's e-mail, the kind (email, github_login, github_user_id, "
                "cursor_user_id, codex_user_id, claude_user_id, api_key, service_account) and the value. "
                "You see what each row would do before anything changes.", size="2", color_scheme="gray"),
        rx.el.pre(EXAMPLE, font_size="12px", padding="8px", background=rx.color("gray", 3), width="100%",
                  overflow_x="auto"),
        labelled_upload(
            "CSV file of identities",
            rx.vstack(rx.icon("upload", size=18), rx.text("Drop a CSV here or click to choose one", size="2"),
                      align="center"),
            id="identities-csv", accept={"text/csv": [".csv"], "text/plain": [".txt"]}, max_files=1,
            max_size=MAX_BYTES, border="1px dashed", padding="16px", width="100%",
            on_drop=S.upload_identities(rx.upload_files(upload_id="identities-csv")),
        ),
        rx.form(rx.vstack(
            rx.el.label("Or paste the CSV", html_for="identities-pasted", font_size="14px"),
            rx.text_area(id="identities-pasted", name="csv", rows="4", width="100%"),
            rx.button("Preview", type="submit", size="2", variant="soft"),
            width="100%", spacing="2"), on_submit=S.preview_pasted, reset_on_submit=False, width="100%"),
        error_callout(S.import_error),
        rx.cond(S.import_rows.length() > 0, rx.vstack(
            data_table("Identities to import", ["Line", "Person", "Kind", "Value", "What happens"], S.import_rows,
                       _row),
            rx.hstack(
                rx.button("Cancel", variant="soft", color_scheme="gray", on_click=S.clear_identities_import),
                rx.button("Add ", S.import_accepted.to_string(), " identities", on_click=S.apply_identities,
                          disabled=S.import_accepted == 0),
                justify="end", width="100%"),
            width="100%")),
        width="100%", spacing="3",
    ), width="100%"))
