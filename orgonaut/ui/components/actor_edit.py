"""The actor edit modal: name, e-mail, kind and FTE, saved through `org.service.update_actor`.

A page state that shows it inherits `ActorEditMixin` (beside `ScopeState`) and implements
`_actor_saved(user)` to reload what it shows. The modal keeps the user on the page; the service's
message for a refused save (bad e-mail, taken e-mail, FTE out of range, read-only scope) is shown
inside it, and nothing changes. Every handler re-checks `org.write` on the server.
"""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.org import service as org
from orgonaut.org.models import ActorKind
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button, error_callout, field

NOT_ALLOWED = "Your role cannot change people. Ask an owner, admin or manager."


class ActorEditMixin(rx.State, mixin=True):
    edit_open: bool = False
    edit_error: str = ""
    # The form's starting values, read from the database when the modal opens.
    edit_name: str = ""
    edit_email: str = ""
    edit_kind: str = ActorKind.human.value
    edit_fte: str = ""
    _edit_actor_id: int = 0

    def _close_actor_edit(self) -> None:
        """For the page's load: Reflex state outlives a reload, and a fresh visit starts with it closed."""
        self.edit_open = False
        self.edit_error = ""

    def _actor_saved(self, user: User) -> None:
        """Reload the page's data after a successful save (each page says how)."""
        raise NotImplementedError

    @rx.event
    def open_actor_edit(self, actor_id: int):
        user = self._require(Ability.org_write)
        if user is None:
            return rx.toast.error(NOT_ALLOWED)
        try:
            with session_scope() as session:
                actor = org.get_actor_or_raise(session=session, tenant_id=user.tenant_id, actor_id=int(actor_id))
        except DomainError as error:
            return rx.toast.error(str(error))
        self._edit_actor_id = actor.id
        self.edit_name, self.edit_email = actor.name, actor.email
        self.edit_kind, self.edit_fte = str(actor.kind), f"{actor.fte:.2f}"
        self.edit_error = ""
        self.edit_open = True
        return None

    @rx.event
    def set_actor_edit_open(self, is_open: bool):
        # The dialog only asks to close (Escape, Cancel, outside click); opening goes through open_actor_edit.
        if not is_open:
            self._close_actor_edit()

    @rx.event
    def save_actor_edit(self, form_data: dict):
        user = self._require(Ability.org_write)
        if user is None:
            self.edit_error = NOT_ALLOWED
            return None
        try:
            with session_scope() as session:
                org.update_actor(
                    session=session, tenant_id=user.tenant_id, actor_id=self._edit_actor_id,
                    name=str(form_data.get("name", "")), email=str(form_data.get("email", "")),
                    kind=str(form_data.get("kind", "")), fte=str(form_data.get("fte", "")),
                )
        except DomainError as error:
            self.edit_error = str(error)
            return None
        self._close_actor_edit()
        self._actor_saved(user)
        return rx.toast.success("Saved.")


def person_fields(prefix: str, *, name: rx.Var[str] | str = "", email: rx.Var[str] | str = "",
                  kind: rx.Var[str] | str = ActorKind.human.value, fte: rx.Var[str] | str = "") -> list[rx.Component]:
    """Name, e-mail, kind and FTE as form fields (`name`, `email`, `kind`, `fte`) with these starting values;
    the ids start with `prefix`. Shared by this modal and the AI Tooling page's "Add person"."""
    return [
        field("Name", f"{prefix}-name", rx.input(id=f"{prefix}-name", name="name", default_value=name, width="100%")),
        field("E-mail", f"{prefix}-email", rx.input(id=f"{prefix}-email", name="email", type="text",
                                                    default_value=email, width="100%")),
        field(
            "Kind", f"{prefix}-kind",
            rx.select.root(
                rx.select.trigger(id=f"{prefix}-kind", aria_label="Kind", width="100%"),
                rx.select.content(*[rx.select.item(k.value, value=k.value) for k in ActorKind]),
                name="kind",
                default_value=kind,
            ),
        ),
        field("FTE", f"{prefix}-fte", rx.input(id=f"{prefix}-fte", name="fte", default_value=fte, input_mode="decimal",
                                               width="100%")),
    ]


def actor_edit_dialog(state: type[ActorEditMixin]) -> rx.Component:
    """The modal for `state` (a page state with `ActorEditMixin`); open it with `state.open_actor_edit(id)`."""
    return rx.dialog.root(
        dialog_content(
            rx.dialog.title("Edit person"),
            rx.dialog.description("Name, e-mail, kind and FTE. Placements are edited elsewhere.", size="2",
                                  color_scheme="gray"),
            rx.form(
                rx.vstack(
                    *person_fields("actor", name=state.edit_name, email=state.edit_email, kind=state.edit_kind,
                                   fte=state.edit_fte),
                    error_callout(state.edit_error),
                    rx.hstack(
                        cancel_button(),
                        rx.button("Save", type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=state.save_actor_edit,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=state.edit_open,
        on_open_change=state.set_actor_edit_open,
    )
