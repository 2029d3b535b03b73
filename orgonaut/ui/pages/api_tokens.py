"""/settings/api-tokens: owners and admins create and revoke tokens for the REST API (/api/v1).

A new token belongs to the signed-in user and carries abilities of that user's role only (the page
offers no others, and the service refuses them anyway). Its secret is shown once, with a copy button;
it is cleared from the page state when dismissed and on every load, so it never reappears. Every
handler re-checks `api-tokens.manage` on the server.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui import layout
from orgonaut.ui.auth import AuthState
from orgonaut.ui.components.confirm import confirm_dialog
from orgonaut.ui.components.tables import data_table

NOT_ALLOWED = "Your role cannot manage API tokens. Ask an owner or admin."
DOCS_URL = "/api/v1/docs"


@dataclasses.dataclass
class TokenRow:
    id: int = 0
    name: str = ""
    prefix: str = ""
    user_email: str = ""
    abilities: str = ""
    created: str = ""
    expires: str = ""
    last_used: str = ""
    status: str = ""  # active | expired | revoked
    revoked: str = ""
    expiry_warning: str = ""  # "Expires in 3 days" near the end of an active token


def _when(moment: dt.datetime | None, empty: str) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else empty


def token_row(token, user: User) -> TokenRow:
    return TokenRow(
        id=token.id, name=token.name, prefix=tokens.display_prefix(token.prefix), user_email=user.email,
        abilities=", ".join(token.abilities), created=_when(token.created_at, ""),
        expires=_when(token.expires_at, "never"), last_used=_when(token.last_used_at, "never"),
        status=tokens.status_of(token).value, revoked=_when(token.revoked_at, ""),
        expiry_warning=tokens.expiry_warning(token),
    )


EXPIRY_LABEL = "Expires in days (empty: never, not recommended)"
DEFAULT_EXPIRY = str(tokens.DEFAULT_EXPIRY_DAYS)


class ApiTokensState(AuthState):
    tokens: list[TokenRow] = []
    grantable: list[str] = []
    new_name: str = ""
    new_abilities: list[str] = []
    new_expiry_days: str = DEFAULT_EXPIRY
    form_error: str = ""
    # The secret of the token just created: shown once, then cleared (dismiss, or the next load).
    new_secret: str = ""
    new_secret_name: str = ""
    revoke_open: bool = False
    revoke_name: str = ""
    _revoke_id: int = 0

    def _reset_form(self) -> None:
        self.new_name, self.new_expiry_days, self.form_error = "", DEFAULT_EXPIRY, ""
        self.new_abilities = [Ability.ai_tooling_manage.value] if Ability.ai_tooling_manage.value in self.grantable \
            else []

    def _load(self, user: User) -> None:
        with session_scope() as session:
            self.tokens = [token_row(t, u) for t, u in tokens.list_tokens(session=session, tenant_id=user.tenant_id)]
        self.grantable = [a.value for a in tokens.grantable_abilities(user)]

    @rx.event
    def load(self):
        self.new_secret, self.new_secret_name = "", ""
        self.revoke_open = False
        user = self._guard(Ability.api_tokens_manage)
        if user is None:
            self.tokens, self.grantable = [], []  # state reaches the browser: nothing from an earlier login
            return
        self._load(user)
        self._reset_form()

    @rx.event
    def set_new_name(self, value: str):
        self.new_name = value

    @rx.event
    def set_new_expiry_days(self, value: str):
        self.new_expiry_days = value

    @rx.event
    def toggle_ability(self, ability: str, checked: bool):
        chosen = [a for a in self.new_abilities if a != ability]
        self.new_abilities = sorted([*chosen, ability]) if checked else chosen

    @rx.event
    def create_token(self):
        user = self._require(Ability.api_tokens_manage)
        if user is None:
            self.form_error = NOT_ALLOWED
            return None
        days_text = self.new_expiry_days.strip()
        if days_text and not days_text.isdigit():
            self.form_error = f"Expiry is a whole number of days (1 to {tokens.MAX_EXPIRY_DAYS}), or empty for never."
            return None
        try:
            with session_scope() as session:
                token, secret = tokens.create_token(
                    session=session, user=user, name=self.new_name, abilities=self.new_abilities,
                    expires_in_days=int(days_text) if days_text else None,
                )
        except DomainError as error:
            self.form_error = str(error)
            return None
        self.new_secret, self.new_secret_name = secret, token.name
        self._load(user)
        self._reset_form()
        return None

    @rx.event
    def dismiss_secret(self):
        self.new_secret, self.new_secret_name = "", ""

    @rx.event
    def ask_revoke(self, token_id: int, name: str):
        self._revoke_id, self.revoke_name = int(token_id), name
        self.revoke_open = True

    @rx.event
    def set_revoke_open(self, is_open: bool):
        # The dialog only asks to close (Escape, Cancel); opening goes through ask_revoke.
        if not is_open:
            self.revoke_open = False

    @rx.event
    def confirm_revoke(self):
        self.revoke_open = False
        user = self._require(Ability.api_tokens_manage)
        if user is None:
            return rx.toast.error(NOT_ALLOWED)
        try:
            with session_scope() as session:
                token, _revoked_now = tokens.revoke_token(session=session, token_id=self._revoke_id,
                                                          tenant_id=user.tenant_id)
        except DomainError as error:
            return rx.toast.error(str(error))
        self._load(user)
        return rx.toast.success(f"Revoked “{token.name}”. Requests with it are refused from now on.")


def _field(label: str, field_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=field_id, font_size="14px"), control, spacing="1")


def _secret_panel() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("key-round")),
        rx.vstack(
            rx.text("Copy the secret of “", ApiTokensState.new_secret_name,
                    "” now. It is shown only once; if you lose it, revoke the token and create another.",
                    weight="medium"),
            rx.hstack(
                rx.input(value=ApiTokensState.new_secret, read_only=True, aria_label="New token secret",
                         font_family="monospace", width="480px"),
                rx.button(rx.icon("copy", size=14), "Copy", variant="soft",
                          on_click=[rx.set_clipboard(ApiTokensState.new_secret), rx.toast.info("Copied.")]),
                rx.button("Done", on_click=ApiTokensState.dismiss_secret),
                align="center",
                wrap="wrap",
            ),
            spacing="2",
        ),
        color_scheme="green",
        role="status",
        width="100%",
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Create a token", size="3", as_="h2"),
            rx.hstack(
                _field("Name", "token-name", rx.input(id="token-name", value=ApiTokensState.new_name,
                                                      on_change=ApiTokensState.set_new_name,
                                                      placeholder="e.g. Finance export", max_length=100,
                                                      width="280px")),
                _field(EXPIRY_LABEL, "token-expiry",
                       rx.input(id="token-expiry", value=ApiTokensState.new_expiry_days, input_mode="numeric",
                                on_change=ApiTokensState.set_new_expiry_days, width="200px")),
                spacing="4",
                wrap="wrap",
            ),
            rx.el.fieldset(
                rx.el.legend(rx.text("Abilities (those of your role)", size="2")),
                rx.flex(
                    rx.foreach(
                        ApiTokensState.grantable,
                        lambda ability: rx.checkbox(
                            ability,
                            checked=ApiTokensState.new_abilities.contains(ability),
                            on_change=lambda checked: ApiTokensState.toggle_ability(ability, checked),
                        ),
                    ),
                    gap="12px",
                    wrap="wrap",
                ),
                border="none",
                padding="0",
                margin="0",
            ),
            rx.cond(
                ApiTokensState.form_error != "",
                rx.callout(ApiTokensState.form_error, icon="triangle-alert", color_scheme="red", role="alert"),
            ),
            rx.button("Create token", on_click=ApiTokensState.create_token),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(rx.code(row.prefix)),
        rx.table.cell(row.user_email),
        rx.table.cell(rx.text(row.abilities, size="1")),
        rx.table.cell(row.created),
        rx.table.cell(rx.vstack(
            rx.text(row.expires),
            rx.cond(row.expiry_warning != "", rx.badge(row.expiry_warning, color_scheme="amber", size="1")),
            spacing="1",
        )),
        rx.table.cell(row.last_used),
        rx.table.cell(
            rx.match(
                row.status,
                ("revoked", rx.badge("revoked", color_scheme="red", title=row.revoked)),
                ("expired", rx.badge("expired", color_scheme="orange")),
                rx.badge("active", color_scheme="green"),
            )
        ),
        rx.table.cell(
            rx.cond(
                row.status == "revoked",
                rx.text(row.revoked, size="1", color_scheme="gray"),
                rx.button("Revoke", size="1", variant="soft", color_scheme="red", aria_label="Revoke " + row.name,
                          on_click=ApiTokensState.ask_revoke(row.id, row.name)),
            )
        ),
    )


def _revoke_dialog() -> rx.Component:
    return confirm_dialog(
        title="Revoke this token?",
        description=rx.fragment("“", ApiTokensState.revoke_name, "” stops working at once, for good. Scripts that "
                                "use it will get 401 Unauthorized."),
        keep="Cancel", confirm="Revoke token", on_confirm=ApiTokensState.confirm_revoke,
        open=ApiTokensState.revoke_open, on_open_change=ApiTokensState.set_revoke_open,
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Tokens let scripts and other tools read your organisation's data through the REST API. Send one as ",
            rx.code("Authorization: Bearer ogt_…"), ". ",
            rx.link("API reference", href=DOCS_URL, is_external=True), ".",
            color_scheme="gray",
        ),
        rx.cond(ApiTokensState.new_secret != "", _secret_panel()),
        _create_form(),
        rx.cond(
            ApiTokensState.tokens.length() > 0,
            data_table("API tokens", ["Name", "Token", "User", "Abilities", "Created", "Expires", "Last used",
                                      "Status", ""], ApiTokensState.tokens, _row),
            layout.empty_state("key-round", "No API tokens yet",
                               "Create one above; its secret is shown once."),
        ),
        _revoke_dialog(),
        width="100%",
        spacing="4",
    )


def api_tokens_page() -> rx.Component:
    return layout.shell(
        "API tokens",
        layout.guarded(_content()),
    )
