"""The AI Tooling settings page's state: what the page lists, who may act, one open dialog at a time.

`AiToolingSettingsState` holds the page's data (provider cards, sync logs, unmatched e-mails, active
scenarios), the access checks, the reload, the run watcher and the actions without a dialog (Sync now,
Pause, Resume, Test connection). Each dialog has a substate in a module of its own, next to its
component: `wizard` (connect and replace key), `backfill`, `targets` (Edit targeting), `disconnect`,
`run_detail` (View run), `cancel_run` and `unmatched` (add and link a person). A substate reads and
writes the page's vars through inheritance; `open_dialog` names the one dialog that is open, and
`_dialog_integration_id` the integration it acts on.

Access: every handler asks the server again for the signed-in user with `ai-tooling.manage` and a plan
that includes AI Tooling (`_check`); a refused call changes nothing and says why. Unmatched e-mail
actions also need `org.write` in a writable scope, as every change to people does. Handlers that call a
service go through `_act`: check, the service call in one session, its refusal as the dialog's error
or a toast, reload, toast.

The run watcher is a background event: it can run longer than the state lock lives, so it holds the
state only to read and to write results.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling import sync
from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration
from orgonaut.paging import Page
from orgonaut.tenancy.models import Ability, Tenant, User
from orgonaut.ui.pages.ai_tooling import run_rows, views
from orgonaut.ui.pages.ai_tooling.lists import ListChoices, ListsMixin
from orgonaut.ui.scope import ScopeState

NOT_ALLOWED = ai_tooling.NOT_ALLOWED
NOT_ALLOWED_PEOPLE = "Your role cannot change people, or this scope is read-only."
# The run watcher: one tick a second while a run is queued or running, for at most an hour per start.
WATCH_INTERVAL = 1.0
WATCH_MAX_TICKS = 3600
# A watcher that has not ticked for this long is gone (its worker stopped); a new one may start.
WATCH_STALE_SECONDS = 5.0


def as_id(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _poll(tenant_id: int, run_id: int, choices: ListChoices) -> tuple[Page[views.LogRow], bool,
                                                                      run_rows.RunDetail | None]:
    """The run watcher's tick: the page of logs shown, whether any run is still unfinished, and the run whose
    details are open."""
    with session_scope() as session:
        rows = views.logs(session, tenant_id, choices)
        active = integrations.has_unfinished_runs(session=session, tenant_id=tenant_id)
        detail = None
        if run_id:
            try:
                detail = run_rows.run_detail(session, tenant_id, run_id)
            except DomainError:
                detail = None
    return rows, active, detail


class AiToolingSettingsState(ListsMixin, ScopeState):
    plan_ok: bool = True
    plan_name: str = ""
    plans_text: str = ""
    providers: list[views.ProviderCard] = []
    logs: list[views.LogRow] = []
    unmatched: list[views.UnmatchedRow] = []
    ignored: list[views.UnmatchedRow] = []
    scenario_options: list[views.Option] = []
    log_integrations: list[views.Option] = []  # the log filter's choices
    # "" or the open dialog: wizard | backfill | targeting | disconnect | run | cancel | add | link.
    open_dialog: str = ""
    _dialog_integration_id: int = 0
    testing_stored: bool = False
    _watch_beat: float = 0.0

    # --- access -----------------------------------------------------------------------------------

    def _check(self) -> tuple[User | None, str]:
        """The signed-in user if they may manage AI Tooling on a plan that has it, else the reason."""
        user = self._require(Ability.ai_tooling_manage)
        if user is None:
            return None, NOT_ALLOWED
        with session_scope() as session:
            reason = sync.plan_reason(session.get(Tenant, user.tenant_id))
        return (None, reason) if reason else (user, "")

    def _check_people(self) -> tuple[User | None, str]:
        """For unmatched e-mail actions: also `org.write` and a writable scope."""
        user, refusal = self._check()
        if user is None:
            return None, refusal
        self._scope_for(user)  # sets scope_read_only for the chosen scope
        if self._require(Ability.org_write) is None or self.scope_read_only:
            return None, NOT_ALLOWED_PEOPLE
        return user, ""

    def _own_integration(self, integration_id: object) -> tuple[Integration | None, str]:
        """The tenant's integration for a dialog about to open, after the access check; else the reason."""
        integration = None

        def find(session: Session, user: User) -> None:
            nonlocal integration
            integration = ai_tooling.get_integration_or_raise(
                session=session, tenant_id=user.tenant_id, integration_id=as_id(integration_id)
            )

        refusal = self._act(find, reload=False)
        return integration, "" if integration is not None else refusal

    # --- the one handler shape ----------------------------------------------------------------------

    def _act(self, call: Callable[[Session, User], Any], *, done: str | Callable[[Any], str] = "",
             error_var: str = "", check: Callable[[], tuple[User | None, str]] | None = None,
             close: bool = False, reload: bool = True, watch: bool = False):
        """Check access, run `call(session, user)` in one session, then reload and say `done`.

        A refusal (access, or the service's DomainError) goes to `error_var` on this state (the open
        dialog's inline error; the handler returns None) or, without one, comes back as an error toast;
        nothing else changes. `close` closes the dialog on success; `watch` starts the run watcher. Without
        `done` (and `reload`), a success returns None, a refusal its message.
        """
        if error_var:
            setattr(self, error_var, "")
        user, refusal = (check or self._check)()
        try:
            if user is None:
                raise _Refused(refusal)
            with session_scope() as session:
                result = call(session, user)
        except (DomainError, _Refused) as error:
            return self._refuse(error, error_var, toast=bool(done))
        if close:
            self._close_dialog()
        if reload:
            self._reload(user)
        if not done:
            return None
        toast = rx.toast.success(done(result) if callable(done) else done)
        return [toast, AiToolingSettingsState.watch_runs] if watch else toast

    def _refuse(self, error: Exception, error_var: str, *, toast: bool):
        """`_act`'s refusal: the dialog's inline error, else an error toast (or the bare message)."""
        if error_var:
            setattr(self, error_var, str(error))
            return None
        return rx.toast.error(str(error)) if toast else str(error)

    # --- loading and dialogs ------------------------------------------------------------------------

    def _reset_dialog(self) -> None:
        """Each dialog's state forgets what its dialog held (the wizard: the pending key)."""

    def _open(self, dialog: str, integration_id: int = 0) -> None:
        self.open_dialog, self._dialog_integration_id = dialog, integration_id

    def _close_dialog(self) -> None:
        self.open_dialog, self._dialog_integration_id = "", 0
        self._reset_dialog()

    def _reload(self, user: User) -> bool:
        """Fills the page; True while a run is queued or running."""
        scenario_id = self._scope_for(user)
        with session_scope() as session:
            data = views.page_data(session, user.tenant_id, scenario_id, self._lists)
        self.providers, self.logs = data.providers, data.logs.items
        self.unmatched, self.scenario_options = data.unmatched.items, data.scenario_options
        self.ignored, self.log_integrations = data.ignored, data.log_integrations
        self._show_lists(data.choices, data.unmatched, data.logs)
        return data.runs_active

    @rx.event
    def load(self):
        # State is sent to the browser: nothing from an earlier visit or login stays there. The page's
        # own event loads every dialog substate with it.
        self.providers, self.logs, self.unmatched, self.scenario_options = [], [], [], []
        self.ignored, self.log_integrations = [], []
        self._clear_lists()
        self._lists = ListChoices.from_query(self.router.url.query_parameters)
        self.open_dialog, self._dialog_integration_id = "", 0
        for dialog in self.substates.values():
            dialog._reset_dialog()
        self.plan_ok, self.plan_name, self.plans_text = True, "", views.plans_text()
        user = self._guard(Ability.ai_tooling_manage)
        if user is None:
            return None
        with session_scope() as session:
            tenant = session.get(Tenant, user.tenant_id)
            self.plan_name = str(tenant.plan)
            self.plan_ok = sync.plan_reason(tenant) is None
        if not self.plan_ok:
            return None
        events = []
        # Notifications link a failed run as ?run=<log id>: open its details.
        run_id = self.router.url.query_parameters.get("run", "")
        if run_id:
            toast = self.get_substate([self._run_detail().get_name()])._show(user, as_id(run_id))
            if toast is not None:
                events.append(toast)
        if self._reload(user):
            events.append(AiToolingSettingsState.watch_runs)
        return events or None

    # --- the run watcher --------------------------------------------------------------------------

    @classmethod
    def _run_detail(cls) -> type:
        """The View run dialog's substate (run_detail.py), found among this state's children: it
        subclasses this state, so importing it here would make the two modules import each other."""
        return next(child for child in cls.get_substates() if child.__name__ == "RunDetailState")

    def _watch_claim(self) -> bool:
        now = time.time()
        if now - self._watch_beat < WATCH_STALE_SECONDS:
            return False  # a watcher is already ticking for this tab
        self._watch_beat = now
        return True

    @rx.event(background=True)
    async def watch_runs(self):
        """While a run is queued or running: its progress every second; the whole page once it ends."""
        RunDetailState = self._run_detail()  # noqa: N806 - a class
        async with self:
            if not self._watch_claim():
                return
        try:
            for _ in range(WATCH_MAX_TICKS):
                await asyncio.sleep(WATCH_INTERVAL)
                async with self:
                    user, _ = self._check()
                    if user is None:
                        return
                    self._watch_beat = time.time()
                    run_state = await self.get_state(RunDetailState)
                    open_run = run_state.run.id if self.open_dialog == "run" else 0
                    choices = self._lists
                rows, active, detail = await asyncio.to_thread(_poll, user.tenant_id, open_run, choices)
                async with self:
                    if self._lists == choices:  # the list was not filtered or paged meanwhile
                        self.logs = rows.items
                        self._show_logs(rows)
                    run_state = await self.get_state(RunDetailState)
                    if detail is not None and self.open_dialog == "run" and run_state.run.id == detail.view.id:
                        run_state._set_run(detail)
                    if not active:
                        self._reload(user)
                        return
        finally:
            async with self:
                self._watch_beat = 0.0

    # --- actions without a dialog -------------------------------------------------------------------

    @rx.event
    def sync_now(self, integration_id: int):
        def start(session: Session, user: User) -> str:
            log = ai_tooling.start_sync_now(
                session=session, tenant_id=user.tenant_id, integration_id=as_id(integration_id), user_id=user.id
            )
            return log.window_start.isoformat()

        return self._act(start, done=lambda day: f"Sync queued for {day}.", watch=True)

    def _lifecycle(self, integration_id: object, action, done: str):
        def run(session: Session, user: User) -> None:
            integration = ai_tooling.get_integration_or_raise(
                session=session, tenant_id=user.tenant_id, integration_id=as_id(integration_id)
            )
            action(session=session, tenant_id=user.tenant_id, integration_id=integration.id)

        return self._act(run, done=done)

    @rx.event
    def pause(self, integration_id: int):
        return self._lifecycle(integration_id, integrations.pause, "Sync paused.")

    @rx.event
    def resume(self, integration_id: int):
        return self._lifecycle(integration_id, integrations.resume, "Sync resumed.")

    @rx.event(background=True)
    async def test_stored_connection(self, integration_id: int):
        """Tests the stored key (the status follows the result)."""
        async with self:
            user, refusal = self._check()
            busy = self.testing_stored
            if user is not None and not busy:
                self.testing_stored = True
        if user is None:
            yield rx.toast.error(refusal)
            return
        if busy:
            return
        outcome = await asyncio.to_thread(_test_stored, user.tenant_id, as_id(integration_id))
        async with self:
            self.testing_stored = False
            user, _ = self._check()
            if user is not None:
                self._reload(user)
        yield outcome


class _Refused(Exception):
    """An access refusal inside `_act`, handled like a service's DomainError."""


def _test_stored(tenant_id: int, integration_id: int):
    try:
        with session_scope() as session:
            result = ai_tooling.test_connection(session=session, tenant_id=tenant_id, integration_id=integration_id)
    except DomainError as error:
        return rx.toast.error(f"Test connection failed: {error}")
    if result.ok:
        return rx.toast.success(f"Connection OK: organisation {result.organization_name or ''}.")
    return rx.toast.error(f"Test connection failed: {result.message or ''}")
