"""A person's "Also known as" section: their identities (other e-mails, GitHub login and user id, Cursor
user id), with Add and Remove (confirmed) for users who may change people in a writable scope.

A page state that shows it inherits `IdentitiesMixin` (beside `ScopeState`), calls `_load_identities`
from its loader with the person shown, and implements `_identities_changed(user)`: what to reload once
an identity changed (the usage it re-matched). The rules, and every refusal's message, are the org
service's (`org.identities`); a refusal is shown under the form and changes nothing. Every handler
re-checks `org.write` and that the person is in the chosen scope on the server.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.org import identities as org_identities
from orgonaut.org import service as org
from orgonaut.org.models import IdentityKind
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui.components.actor_edit import NOT_ALLOWED
from orgonaut.ui.components.confirm import confirm_dialog
from orgonaut.ui.components.forms import error_callout
from orgonaut.ui.components.tables import data_table

KIND_LABELS = {kind.value: org_identities.label(kind).capitalize() for kind in IdentityKind}


@dataclasses.dataclass
class IdentityRow:
    id: int = 0
    kind: str = ""
    kind_label: str = ""
    value: str = ""


class IdentitiesMixin(rx.State, mixin=True):
    identities: list[IdentityRow] = []
    identity_kind: str = IdentityKind.email.value
    identity_value: str = ""
    identity_error: str = ""
    remove_identity_open: bool = False
    remove_identity_label: str = ""
    _identities_actor_id: int = 0
    _remove_identity_id: int = 0

    def _identities_changed(self, user: User) -> Any:
        """Reload what the change affects; returns the events to run next (each page says which)."""
        raise NotImplementedError

    def _load_identities(self, session: Session, tenant_id: int, actor_id: int) -> None:
        """For the page's loader, with the person it shows (0: none)."""
        self._identities_actor_id = actor_id
        self.identity_error, self.remove_identity_open = "", False
        self.identities = [] if not actor_id else [
            IdentityRow(id=i.id, kind=str(i.kind), kind_label=KIND_LABELS[str(i.kind)], value=i.value)
            for i in org.list_identities(session=session, tenant_id=tenant_id, actor_id=actor_id)
        ]

    def _identity_writer(self) -> User | None:
        """The user when they may change people; a read-only scope is the service's refusal (it says why)."""
        return self._require(Ability.org_write)

    def _person_in_scope(self, session: Session, user: User) -> int:
        return org.get_actor_in_scope_or_raise(
            session=session, tenant_id=user.tenant_id, scenario_id=self._scope_for(user),
            actor_id=self._identities_actor_id,
        ).id

    @rx.event
    def set_identity_kind(self, value: str):
        self.identity_kind = value

    @rx.event
    def set_identity_value(self, value: str):
        self.identity_value = value

    @rx.event
    def add_identity(self, _form_data: dict | None = None):
        self.identity_error = ""
        user = self._identity_writer()
        if user is None:
            self.identity_error = NOT_ALLOWED
            return None
        try:
            with session_scope() as session:
                actor_id = self._person_in_scope(session, user)
                added = org.add_identity(session=session, tenant_id=user.tenant_id, actor_id=actor_id,
                                         kind=self.identity_kind, value=self.identity_value)
                message = f"Added the {org_identities.label(added.kind)} {added.value}."
        except DomainError as error:
            self.identity_error = str(error)
            return None
        self.identity_value = ""
        return [rx.toast.success(message), *self._after_change(user)]

    @rx.event
    def ask_remove_identity(self, identity_id: int):
        row = next((r for r in self.identities if r.id == int(identity_id)), None)
        if row is None or self._identity_writer() is None:
            return rx.toast.error(NOT_ALLOWED if row is not None else "That identity is no longer listed.")
        self._remove_identity_id = row.id
        self.remove_identity_label = f"{row.kind_label} {row.value}"
        self.remove_identity_open = True
        return None

    @rx.event
    def set_remove_identity_open(self, is_open: bool):
        if not is_open:
            self.remove_identity_open = False

    @rx.event
    def confirm_remove_identity(self):
        self.remove_identity_open = False
        user = self._identity_writer()
        if user is None:
            return rx.toast.error(NOT_ALLOWED)
        try:
            with session_scope() as session:
                actor_id = self._person_in_scope(session, user)
                if self._remove_identity_id not in {i.id for i in org.list_identities(
                        session=session, tenant_id=user.tenant_id, actor_id=actor_id)}:
                    return rx.toast.error("That identity is no longer listed.")
                org.remove_identity(session=session, tenant_id=user.tenant_id, identity_id=self._remove_identity_id)
        except DomainError as error:
            return rx.toast.error(str(error))
        return [rx.toast.success(f"Removed {self.remove_identity_label}."), *self._after_change(user)]

    def _after_change(self, user: User) -> list:
        following = self._identities_changed(user)
        return [] if following is None else list(following) if isinstance(following, list | tuple) else [following]


def _row(state: type[IdentitiesMixin], can_edit: rx.Var[bool]) -> Any:
    def row(r: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.cell(r.kind_label),
            rx.table.row_header_cell(rx.code(r.value)),
            rx.table.cell(rx.cond(
                can_edit,
                rx.button("Remove", size="1", variant="soft", color_scheme="red",
                          aria_label="Remove " + r.value, on_click=state.ask_remove_identity(r.id)),
            )),
        )
    return row


def identities_section(state: type[IdentitiesMixin], can_edit: rx.Var[bool]) -> rx.Component:
    """The list, the add form and the remove confirmation for `state`'s person."""
    add_form = rx.form(
        rx.hstack(
            rx.select.root(
                rx.select.trigger(id="identity-kind", aria_label="Identity kind", width="180px"),
                rx.select.content(*[rx.select.item(label, value=kind) for kind, label in KIND_LABELS.items()]),
                value=state.identity_kind,
                on_change=state.set_identity_kind,
            ),
            rx.input(id="identity-value", aria_label="Identity value", placeholder="e.g. ada@home.example",
                     value=state.identity_value, on_change=state.set_identity_value, width="280px"),
            rx.button("Add identity", type="submit"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        on_submit=state.add_identity,
        reset_on_submit=False,
    )
    return rx.vstack(
        rx.heading("Also known as", size="4", as_="h2"),
        rx.text("Other e-mails and tool accounts of this person: their usage is matched to them too.", size="2",
                color_scheme="gray"),
        rx.cond(
            state.identities.length() > 0,
            data_table("Also known as", ["Kind", "Value", ""], state.identities, _row(state, can_edit)),
            rx.text("No other identities.", size="2", color_scheme="gray"),
        ),
        rx.cond(can_edit, rx.vstack(add_form, error_callout(state.identity_error), spacing="2", width="100%")),
        confirm_dialog(
            title="Remove this identity?",
            description=rx.fragment(state.remove_identity_label, " is no longer this person's; its usage goes back "
                                    "to Unmatched."),
            keep="Keep", confirm="Remove", on_confirm=state.confirm_remove_identity,
            open=state.remove_identity_open, on_open_change=state.set_remove_identity_open,
        ),
        width="100%",
        spacing="2",
    )
