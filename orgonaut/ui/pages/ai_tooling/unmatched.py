"""Unmatched e-mails: usage matching no person in the chosen scope, with "Add person" and "Use for an
existing person" (two dialogs, one state). Both need `org.write` in a writable scope; the org event of the
change re-matches the usage at once. "Ignore" (not an employee) hides an address in every scope, and
"Undo" in the Ignored list brings it back; they need only the page's own access (no person changes)."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.providers.base import not_a_person
from orgonaut.errors import DomainError, ValidationFailed
from orgonaut.org import service as org
from orgonaut.org.models import ActorKind
from orgonaut.tenancy.models import User
from orgonaut.ui import layout
from orgonaut.ui.components.actor_edit import person_fields
from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button, error_callout, field
from orgonaut.ui.components.pager import pager
from orgonaut.ui.components.tables import data_table, sorted_table
from orgonaut.ui.pages.ai_tooling import views
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState, as_id

NOT_A_PERSON_ACTOR = "An API key or a service account is not a person: map it to a robot or an agent instead."


class UnmatchedState(AiToolingSettingsState):
    add_source: str = ""  # the unmatched source the new person takes
    add_source_label: str = ""
    add_email: str = ""  # their e-mail: the source itself, or for a vendor id what its vendor said (SAML)
    add_error: str = ""
    add_teams: list[views.Option] = []
    link_email: str = ""  # the source linked
    link_label: str = ""
    link_people: list[views.Option] = []
    link_error: str = ""

    def _reset_dialog(self) -> None:
        self.add_email = self.add_error = self.link_email = self.link_error = ""
        self.add_source = self.add_source_label = self.link_label = ""
        self.link_people, self.add_teams = [], []

    def _unmatched_email(self, source_email: str, *, machines: bool = False) -> views.UnmatchedRow:
        row = next((row for row in self.unmatched if row.source_email == str(source_email)), None)
        if row is None:
            raise ValidationFailed("That e-mail is no longer in the unmatched list.")
        if row.not_a_person and not machines:
            raise ValidationFailed(NOT_A_PERSON_ACTOR)
        return row

    def _open_for(self, dialog: str, source_email: str, prepare=None, *, machines: bool = False):
        """`prepare(session, user)`, then reloads the list (for a current answer) and opens `dialog` for an
        e-mail still in it: its row, else the refusal toast."""
        refusal = self._act(prepare or (lambda _session, _user: None), check=self._check_people)
        if refusal is not None:
            return rx.toast.error(refusal)
        try:
            email = self._unmatched_email(source_email, machines=machines)
        except DomainError as error:
            return rx.toast.error(str(error))
        self._close_dialog()
        self._open(dialog)
        return email

    @rx.event
    def open_add_person(self, source_email: str):
        teams: list[views.Option] = []
        row = self._open_for("add", source_email, lambda session, user: teams.extend(
            views.team_options(session, user.tenant_id, self._scope_for(user))))
        if not isinstance(row, views.UnmatchedRow):
            return row
        self.add_source, self.add_source_label, self.add_teams = row.source_email, row.label, teams
        self.add_email = row.suggested_email if row.label != row.source_email else row.source_email
        return None

    @rx.event
    def set_add_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()

    @rx.event
    def save_add_person(self, form_data: dict):
        """Creates the person in the chosen scope, placed in the chosen team from the address's first day of
        usage; the org events re-match their usage and refresh the team's numbers at once."""
        def add(session: Session, user: User) -> str:
            email = str(form_data.get("email", ""))
            return ai_tooling.add_person(
                session=session, tenant_id=user.tenant_id, scenario_id=self._scope_for(user),
                source_email=self.add_source or email, email=email, name=str(form_data.get("name", "")),
                kind=str(form_data.get("kind") or ActorKind.human.value), fte=str(form_data.get("fte", "")),
                team_id=as_id(form_data.get("team", "")) or None,
            ).name

        return self._act(add, done=lambda name: f"Added {name}; their usage is matched to them now.",
                         error_var="add_error", check=self._check_people, close=True)

    @rx.event
    def open_link_person(self, source_email: str):
        """"Use for an existing person"; for an API key or a service account, "Map to a robot or agent": the
        list then offers the scope's robots and agents only (the org refuses a person anyway)."""
        people: list[views.Option] = []
        machine = not_a_person(str(source_email)) is not None
        row = self._open_for("link", source_email, lambda session, user: people.extend(
            views.people_options(session, user.tenant_id, self._scope_for(user), machines_only=machine)),
            machines=True)
        if not isinstance(row, views.UnmatchedRow):
            return row
        self.link_people, self.link_email, self.link_label = people, row.source_email, row.label
        return None

    @rx.event
    def set_link_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()

    @rx.event
    def save_link_person(self, form_data: dict):
        """Adds this e-mail to the chosen person as another address ("also known as"), in this scope and
        every other writable scope that has the same person; their primary e-mail stays. The org event
        re-matches the usage at once."""
        actor_id = as_id(form_data.get("person", ""))

        def link(session: Session, user: User) -> tuple[str, int, list[str]]:
            if not actor_id:
                raise ValidationFailed("Choose the person who uses this e-mail.")
            org.get_actor_in_scope_or_raise(session=session, tenant_id=user.tenant_id,
                                            scenario_id=self._scope_for(user), actor_id=actor_id)
            result = ai_tooling.link_source(session=session, tenant_id=user.tenant_id, actor_id=actor_id,
                                            source=self.link_email)
            return result.actor.name, len(result.identities), result.skipped

        return self._act(link, done=_linked, error_var="link_error", check=self._check_people, close=True)


    @rx.event
    def ignore_email(self, source_email: str):
        """Not an employee: the address leaves the Unmatched list of every scope (its usage stays as it is)."""
        def ignore(session: Session, user: User) -> str:
            return ai_tooling.ignore(session=session, tenant_id=user.tenant_id, source_email=str(source_email),
                                     user_id=user.id).source_email

        return self._act(ignore, done=lambda email: f"Ignored {email}: not an employee. Undo it under Ignored.")

    @rx.event
    def unignore_email(self, source_email: str):
        """The undo of Ignore."""
        def unignore(session: Session, user: User) -> str:
            ai_tooling.unignore(session=session, tenant_id=user.tenant_id, source_email=str(source_email))
            return str(source_email)

        return self._act(unignore, done=lambda email: f"{email} is listed as unmatched again.")


def _linked(result: tuple[str, int, list[str]]) -> str:
    name, scopes, skipped = result
    where = "" if scopes == 1 else f" in {scopes} scopes"
    not_added = "" if not skipped else " Not added in " + "; ".join(skipped)
    return f"{name} is also known by this name{where}; its usage is matched to them." + not_added


# --- components -------------------------------------------------------------------------------


def _actions(u: rx.Var) -> rx.Component:
    person_actions = rx.cond(
        u.not_a_person != "",
        rx.cond(AiToolingSettingsState.can_edit_scope,
                rx.button("Map to a robot or agent", size="1", variant="soft",
                          on_click=UnmatchedState.open_link_person(u.source_email),
                          aria_label="Map " + u.source_email + " to a robot or agent"),
                rx.text("Read-only here.", size="1", color_scheme="gray")),
        rx.cond(
            AiToolingSettingsState.can_edit_scope,
            rx.hstack(
                rx.button("Add person", size="1", on_click=UnmatchedState.open_add_person(u.source_email),
                          aria_label="Add person for " + u.source_email),
                rx.button("Use for an existing person", size="1", variant="soft",
                          on_click=UnmatchedState.open_link_person(u.source_email),
                          aria_label="Use " + u.source_email + " for an existing person"),
                spacing="2",
            ),
            rx.text("Read-only here.", size="1", color_scheme="gray"),
        ),
    )
    return rx.hstack(
        person_actions,
        rx.button("Ignore", size="1", variant="ghost", color_scheme="gray",
                  on_click=UnmatchedState.ignore_email(u.source_email), aria_label="Ignore " + u.source_email,
                  title="Not an employee: hide it from this list in every scope (undo under Ignored)"),
        spacing="2",
        align="center",
    )


def _ignored_row(u: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(u.label),
        rx.table.cell(u.provider_name),
        rx.table.cell(u.record_count),
        rx.table.cell(u.last_seen),
        rx.table.cell(u.total_cost),
        rx.table.cell(rx.button("Undo", size="1", variant="soft", aria_label="Undo ignore of " + u.source_email,
                                on_click=UnmatchedState.unignore_email(u.source_email))),
    )


def _unmatched_row(u: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(u.label, as_="span"),
                rx.cond(u.not_a_person != "", rx.badge(u.not_a_person, color_scheme="violet", variant="soft")),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(u.provider_name),
        rx.table.cell(u.record_count),
        rx.table.cell(u.last_seen),
        rx.table.cell(u.total_cost),
        rx.table.cell(_actions(u)),
    )


UNMATCHED_COLUMNS = [("email", "E-mail"), ("provider", "Provider"), ("records", "Records"),
                     ("last_seen", "Last seen"), ("cost", "Total cost"), ("", "")]


def _unmatched_search() -> rx.Component:
    S = AiToolingSettingsState
    return rx.hstack(
        rx.debounce_input(
            rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder="E-mail, key or login",
                     aria_label="Search unmatched e-mails", value=S.unmatched_search, on_change=S.search_unmatched,
                     width="280px"),
            debounce_timeout=300,
        ),
        rx.spacer(),
        rx.text(S.unmatched_total.to(str) + " unmatched", size="2", color_scheme="gray", role="status"),
        width="100%",
        align="center",
    )


def _unmatched_list() -> rx.Component:
    """One page of the list (server-side, `lists.py`); the empty state says whether the search found nothing."""
    S = AiToolingSettingsState
    return rx.cond(
        S.unmatched.length() > 0,
        rx.vstack(
            sorted_table("Unmatched e-mails", UNMATCHED_COLUMNS, S.unmatched_sort, S.sort_unmatched, S.unmatched,
                         _unmatched_row),
            pager(S.unmatched_pager, "Unmatched e-mails"),
            spacing="2",
            width="100%",
        ),
        rx.cond(
            S.unmatched_search != "",
            layout.empty_state("search-x", "No unmatched e-mail matches",
                               "Nothing unmatched in this scope matches the search.",
                               rx.button("Clear search", variant="soft", on_click=S.clear_unmatched_search)),
            layout.empty_state("user-check", "No unmatched e-mails",
                               "Every usage record in this scope belongs to a person."),
        ),
    )


def unmatched_emails() -> rx.Component:
    S = AiToolingSettingsState
    return rx.vstack(
        rx.hstack(rx.heading("Unmatched e-mails", size="4", as_="h2"),
                  rx.badge(S.scope_name, color_scheme="gray", variant="soft"), align="center"),
        rx.text("Usage whose e-mail matches no person in this scope. It matches by itself once a person has the "
                "e-mail: add the person, or give the e-mail to an existing one.", size="2", color_scheme="gray"),
        _unmatched_search(),
        _unmatched_list(),
        rx.cond(
            S.ignored.length() > 0,
            rx.vstack(
                rx.heading("Ignored (not employees)", size="3", as_="h3"),
                rx.text("Hidden from the list above in every scope; their usage stays unmatched and counts in no "
                        "team.", size="2", color_scheme="gray"),
                data_table("Ignored e-mails", ["E-mail", "Provider", "Records", "Last seen", "Total cost", ""],
                           S.ignored, _ignored_row),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _dialog(dialog: str, title: str, description: rx.Component, form: rx.Component, on_open_change,
            max_width: str) -> rx.Component:
    return rx.dialog.root(
        dialog_content(rx.dialog.title(title), description, form, max_width=max_width),
        open=AiToolingSettingsState.open_dialog == dialog,
        on_open_change=on_open_change,
    )


def add_person_dialog() -> rx.Component:
    S = UnmatchedState
    return _dialog(
        "add", "Add person",
        rx.dialog.description("A new person in ", S.scope_name, " who is ", rx.code(S.add_source_label),
                              ", in the team you choose from their first day of usage; their usage is matched at "
                              "once and counts in the team's numbers.", size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                *person_fields("add-person", email=S.add_email, fte="1.00"),
                rx.cond(
                    S.add_teams.length() > 0,
                    field("Team", "add-person-team", rx.select.root(
                        rx.select.trigger(id="add-person-team", aria_label="Team", placeholder="Pick a team",
                                          width="100%"),
                        rx.select.content(rx.foreach(S.add_teams, lambda o: rx.select.item(o.label, value=o.value))),
                        name="team",
                    )),
                ),
                error_callout(S.add_error),
                rx.hstack(cancel_button(), rx.button("Add person", type="submit"), justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.save_add_person,
            reset_on_submit=False,
        ),
        S.set_add_open, "460px",
    )


def link_person_dialog() -> rx.Component:
    S = UnmatchedState
    person = rx.select.root(
        rx.select.trigger(id="link-person", aria_label="Person", placeholder="Pick a person", width="100%"),
        rx.select.content(rx.foreach(S.link_people, lambda o: rx.select.item(o.label, value=o.value))),
        name="person",
    )
    return _dialog(
        "link", "Use for an existing person",
        rx.dialog.description("The person you pick is also known by ", rx.code(S.link_label), " (their "
                              "own e-mail stays), here and in every scenario that has them; usage is "
                              "matched at once.", size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                field("Person", "link-person", person),
                error_callout(S.link_error),
                rx.hstack(cancel_button(),
                          rx.button(rx.cond(S.link_label == S.link_email, "Use this e-mail", "Use this identity"),
                                    type="submit"),
                          justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.save_link_person,
            reset_on_submit=False,
        ),
        S.set_link_open, "520px",
    )
