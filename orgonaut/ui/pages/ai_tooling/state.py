"""The AI Tooling settings page's state: thin handlers that check access, call a service, show the result.

Access: every handler asks the server again for the signed-in user with `ai-tooling.manage` and a plan
that includes AI Tooling (`_check`); a refused call changes nothing and says why. Unmatched e-mail
actions also need `org.write` in a writable scope, as every change to people does.

The Admin API key: the form's password field is not bound to any state var (an uncontrolled input,
read from the form's submit data and reset by the form). The server keeps the key sealed with the
secret box in the backend-only `_pending_key` (never sent to the browser, and not in plain text in the
Redis state store) while the wizard is open, and clears it on save, cancel, "use another key" and every
page load. Save is allowed only after a successful test of exactly that key (`_tested_version`).

Provider calls (Test connection, Save) and the run watcher are background events: they can take
longer than the state lock lives, so they hold the state only to read and to write results.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time

import reflex as rx

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling import sync
from orgonaut.ai_tooling.providers import registry
from orgonaut.db import session_scope
from orgonaut.errors import DomainError, ValidationFailed
from orgonaut.integrations import secrets
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationStatus
from orgonaut.org import service as org
from orgonaut.org.models import ActorKind
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import Ability, Tenant, User
from orgonaut.ui.pages.ai_tooling import views
from orgonaut.ui.scope import ScopeState

NOT_ALLOWED = "Only owners and admins can manage AI Tooling integrations."
NOT_ALLOWED_PEOPLE = "Your role cannot change people, or this scope is read-only."
API_KEY_ACTOR = "An API key has no e-mail: its usage can never match a person."
WIZARD_CLOSED = "The connect dialog was closed; open it again."
# The run watcher: one tick a second while a run is queued or running, for at most an hour per start.
WATCH_INTERVAL = 1.0
WATCH_MAX_TICKS = 3600
# A watcher that has not ticked for this long is gone (its worker stopped); a new one may start.
WATCH_STALE_SECONDS = 5.0
BACKFILL_DEFAULT_DAYS = 30


@dataclasses.dataclass(frozen=True)
class _KeyJob:
    provider: str
    sealed_key: str
    api_base: str | None
    version: int
    tenant_id: int
    user_id: int
    mode: str
    integration_id: int
    baseline: bool
    scenario_ids: tuple[str, ...]
    all_future: bool


@dataclasses.dataclass(frozen=True)
class _Outcome:
    ok: bool
    message: str = ""
    organization_name: str = ""
    integration_id: int = 0


def _test_key(job: _KeyJob) -> _Outcome:
    try:
        name = ai_tooling.test_key(provider=job.provider, api_key=secrets.open(job.sealed_key), api_base=job.api_base)
    except DomainError as error:
        return _Outcome(ok=False, message=str(error))
    return _Outcome(ok=True, organization_name=name)


def _save_key(job: _KeyJob) -> _Outcome:
    """Connect (new integration) or replace the key of one; both test the key again first."""
    try:
        with session_scope() as session:
            if job.mode == "replace":
                integration = ai_tooling.replace_key(
                    session=session, tenant_id=job.tenant_id, integration_id=job.integration_id,
                    api_key=secrets.open(job.sealed_key),
                )
            else:
                integration = ai_tooling.connect(
                    session=session, tenant_id=job.tenant_id, provider=job.provider,
                    api_key=secrets.open(job.sealed_key), baseline=job.baseline,
                    scenario_ids=list(job.scenario_ids), all_future=job.all_future, user_id=job.user_id,
                )
            result = _Outcome(ok=True, organization_name=integration.organization_name or "",
                              integration_id=integration.id)
    except DomainError as error:
        return _Outcome(ok=False, message=str(error))
    return result


def _test_stored(tenant_id: int, integration_id: int) -> _Outcome:
    try:
        with session_scope() as session:
            result = ai_tooling.test_connection(session=session, tenant_id=tenant_id, integration_id=integration_id)
    except DomainError as error:
        return _Outcome(ok=False, message=str(error))
    return _Outcome(ok=result.ok, organization_name=result.organization_name or "", message=result.message or "")


def _poll(tenant_id: int, run_id: int) -> tuple[list[views.LogRow], views.RunDetail | None]:
    """The run watcher's tick: the logs, and the run whose details are open."""
    with session_scope() as session:
        rows = views.logs(session, tenant_id)
        detail = None
        if run_id:
            try:
                detail = views.run_detail(session, tenant_id, run_id)
            except DomainError:
                detail = None
    return rows, detail


def _parse_day(value: object, what: str) -> dt.date:
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed(f"Enter the {what}.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"The {what} '{text[:20]}' is not a date (YYYY-MM-DD).") from None


def _as_id(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


class AiToolingSettingsState(ScopeState):
    # --- the page ---------------------------------------------------------------------------------
    plan_ok: bool = True
    plan_name: str = ""
    plans_text: str = ""
    providers: list[views.ProviderCard] = []
    logs: list[views.LogRow] = []
    unmatched: list[views.UnmatchedRow] = []
    scenario_options: list[views.Option] = []

    # --- connect / replace key wizard -------------------------------------------------------------
    wizard_open: bool = False
    wizard_mode: str = "connect"  # connect | replace
    wizard_step: str = "key"  # key | targets | test | saved
    wizard_provider: str = ""
    wizard_provider_name: str = ""
    wizard_key_hint: str = ""
    key_error: str = ""
    target_baseline: bool = True
    target_scenarios: list[str] = []
    target_all_future: bool = False
    targets_error: str = ""
    test_running: bool = False
    test_ok: bool = False
    test_org_name: str = ""
    test_error: str = ""
    saving: bool = False
    save_error: str = ""
    saved_org_name: str = ""
    _pending_key: str = ""  # sealed by the secret box; "" when there is none
    _key_version: int = 0
    _tested_version: int = -1
    _wizard_integration_id: int = 0

    # --- manage dialogs ---------------------------------------------------------------------------
    backfill_open: bool = False
    backfill_error: str = ""
    backfill_start_default: str = ""
    backfill_end_default: str = ""
    _backfill_integration_id: int = 0
    targeting_open: bool = False
    targeting_error: str = ""
    _targeting_integration_id: int = 0
    disconnect_open: bool = False
    disconnect_name: str = ""
    _disconnect_integration_id: int = 0
    testing_stored: bool = False

    # --- View run ---------------------------------------------------------------------------------
    run_open: bool = False
    run: views.RunView = views.RunView()
    run_errors: list[views.RunErrorRow] = []
    run_days: list[views.DayRow] = []
    run_skipped_scopes: list[str] = []
    run_affected_emails: list[str] = []
    run_affected_dates: list[str] = []

    # --- unmatched e-mails ------------------------------------------------------------------------
    add_open: bool = False
    add_email: str = ""
    add_error: str = ""
    link_open: bool = False
    link_email: str = ""
    link_people: list[views.Option] = []
    link_error: str = ""

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

    def _own_integration(self, integration_id: object) -> tuple[Integration | None, str]:
        """The tenant's integration for a handler after the access check, else the reason to show."""
        user, refusal = self._check()
        if user is None:
            return None, refusal
        try:
            with session_scope() as session:
                return ai_tooling.get_integration_or_raise(
                    session=session, tenant_id=user.tenant_id, integration_id=_as_id(integration_id)
                ), ""
        except DomainError as error:
            return None, str(error)

    def _check_people(self) -> tuple[User | None, int | None, str]:
        """For unmatched e-mail actions: also `org.write` and a writable scope."""
        user, refusal = self._check()
        if user is None:
            return None, None, refusal
        scenario_id = self._scope_for(user)
        if self._require(Ability.org_write) is None or self.scope_read_only:
            return None, None, NOT_ALLOWED_PEOPLE
        return user, scenario_id, ""

    # --- loading ----------------------------------------------------------------------------------

    def _clear(self) -> None:
        """State is sent to the browser: nothing from an earlier visit or login stays there."""
        self.providers, self.logs, self.unmatched, self.scenario_options = [], [], [], []
        self._close_dialogs()

    def _close_dialogs(self) -> None:
        self._reset_wizard()
        self.wizard_open = False
        self.backfill_open = self.targeting_open = self.disconnect_open = False
        self.run_open = self.add_open = self.link_open = False
        self.backfill_error = self.targeting_error = self.add_error = self.link_error = ""
        self._backfill_integration_id = self._targeting_integration_id = self._disconnect_integration_id = 0
        self.link_people = []

    def _reload(self, user: User) -> bool:
        """Fills the page; True while a run is queued or running."""
        scenario_id = self._scope_for(user)
        with session_scope() as session:
            data = views.page_data(session, user.tenant_id, scenario_id)
        self.providers, self.logs = data.providers, data.logs
        self.unmatched, self.scenario_options = data.unmatched, data.scenario_options
        return data.runs_active

    @rx.event
    def load(self):
        self._clear()
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
            toast = self._show_run(user, _as_id(run_id))
            if toast is not None:
                events.append(toast)
        if self._reload(user):
            events.append(AiToolingSettingsState.watch_runs)
        return events or None

    # --- the run watcher --------------------------------------------------------------------------

    def _watch_claim(self) -> bool:
        now = time.time()
        if now - self._watch_beat < WATCH_STALE_SECONDS:
            return False  # a watcher is already ticking for this tab
        self._watch_beat = now
        return True

    @rx.event(background=True)
    async def watch_runs(self):
        """While a run is queued or running: its progress every second; the whole page once it ends."""
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
                    open_run = self.run.id if self.run_open else 0
                rows, detail = await asyncio.to_thread(_poll, user.tenant_id, open_run)
                async with self:
                    self.logs = rows
                    if detail is not None and self.run_open and self.run.id == detail.view.id:
                        self._set_run(detail)
                    if not any(row.active for row in rows):
                        self._reload(user)
                        return
        finally:
            async with self:
                self._watch_beat = 0.0

    # --- the wizard -------------------------------------------------------------------------------

    def _forget_key(self) -> None:
        self._pending_key = ""
        self._key_version += 1
        self._tested_version = -1
        self.test_ok, self.test_org_name, self.test_error, self.test_running = False, "", "", False

    def _reset_wizard(self) -> None:
        self._forget_key()
        self.wizard_step, self.wizard_mode = "key", "connect"
        self.wizard_provider = self.wizard_provider_name = self.wizard_key_hint = ""
        self.key_error = self.targets_error = self.save_error = self.saved_org_name = ""
        self.target_baseline, self.target_scenarios, self.target_all_future = True, [], False
        self.saving = False
        self._wizard_integration_id = 0

    def _wizard_for(self, info: registry.ProviderInfo) -> None:
        self.wizard_provider, self.wizard_provider_name = info.key, info.display_name
        self.wizard_key_hint = info.key_hint

    @rx.event
    def open_connect(self, provider: str):
        user, refusal = self._check()
        if user is None:
            return rx.toast.error(refusal)
        try:
            info = registry.get_provider_info(str(provider))
            if not info.available:
                raise ValidationFailed(f"{info.display_name} is coming soon: it cannot be connected yet.")
            with session_scope() as session:
                existing = integrations.get_connected(
                    session=session, tenant_id=user.tenant_id, category=ai_tooling.CATEGORY, provider=info.key
                )
            if existing is not None:
                raise ValidationFailed(f"{info.display_name} is already connected.")
        except DomainError as error:
            return rx.toast.error(str(error))
        self._close_dialogs()
        self._wizard_for(info)
        self.wizard_open = True
        return None

    @rx.event
    def open_replace_key(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        try:
            if integration.status == IntegrationStatus.disconnected:
                raise ValidationFailed("This integration is disconnected; connect it again instead.")
            info = registry.get_provider_info(integration.provider)
        except DomainError as error:
            return rx.toast.error(str(error))
        self._close_dialogs()
        self.wizard_mode = "replace"
        self._wizard_for(info)
        self._wizard_integration_id = integration.id
        self.wizard_open = True
        return None

    @rx.event
    def set_wizard_open(self, is_open: bool):
        # The dialog only asks to close (Escape, Cancel, outside click); the key goes with it.
        if not is_open:
            self._reset_wizard()
            self.wizard_open = False

    @rx.event
    def submit_key(self, form_data: dict):
        """Step 1: the key from the uncontrolled password field; its format is checked before any call."""
        user, refusal = self._check()
        self._forget_key()
        self.key_error = ""
        if user is None:
            self.key_error = refusal
            return None
        if not self.wizard_open:
            self.key_error = WIZARD_CLOSED
            return None
        try:
            key = registry.validate_api_key_format(self.wizard_provider, form_data.get("api_key", ""))
        except DomainError as error:
            self.key_error = str(error)
            return None
        self._pending_key = secrets.seal(key)
        self.wizard_step = "targets" if self.wizard_mode == "connect" else "test"
        return None

    @rx.event
    def use_another_key(self):
        self._forget_key()
        self.save_error = ""
        self.wizard_step = "key"

    @rx.event
    def set_target_baseline(self, checked: bool):
        self.target_baseline = bool(checked)

    @rx.event
    def set_target_all_future(self, checked: bool):
        self.target_all_future = bool(checked)

    @rx.event
    def toggle_target_scenario(self, scenario_id: str, checked: bool):
        chosen = [s for s in self.target_scenarios if s != str(scenario_id)]
        self.target_scenarios = [*chosen, str(scenario_id)] if checked else chosen

    def _validate_targets(self, user: User) -> str:
        try:
            with session_scope() as session:
                ai_tooling.validate_targets(
                    session=session, tenant_id=user.tenant_id, baseline=self.target_baseline,
                    scenario_ids=self.target_scenarios, all_future=self.target_all_future,
                )
        except DomainError as error:
            return str(error)
        return ""

    @rx.event
    def submit_targets(self):
        """Step 2: at least one target; archived scenarios and snapshots are refused by the service."""
        user, refusal = self._check()
        if user is None:
            self.targets_error = refusal
            return None
        self.targets_error = self._validate_targets(user)
        if not self.targets_error:
            self.wizard_step = "test"
        return None

    @rx.event
    def back_to_targets(self):
        self.wizard_step = "targets"

    def _key_job(self, user: User) -> _KeyJob | str:
        if not self.wizard_open:
            return WIZARD_CLOSED
        if not self._pending_key:
            return "Enter the API key first."
        api_base = None
        if self.wizard_mode == "replace":
            try:
                with session_scope() as session:
                    api_base = ai_tooling.get_integration_or_raise(
                        session=session, tenant_id=user.tenant_id, integration_id=self._wizard_integration_id
                    ).api_base
            except DomainError as error:
                return str(error)
        return _KeyJob(
            provider=self.wizard_provider, sealed_key=self._pending_key, api_base=api_base,
            version=self._key_version, tenant_id=user.tenant_id, user_id=user.id, mode=self.wizard_mode,
            integration_id=self._wizard_integration_id, baseline=self.target_baseline,
            scenario_ids=tuple(self.target_scenarios), all_future=self.target_all_future,
        )

    def _begin_key_test(self) -> _KeyJob | None:
        if self.test_running or self.saving:
            return None  # one provider call at a time per wizard
        user, refusal = self._check()
        job = self._key_job(user) if user is not None else refusal
        self.test_ok, self.test_org_name, self.test_error, self._tested_version = False, "", "", -1
        if isinstance(job, str):
            self.test_error = job
            return None
        self.test_running = True
        return job

    def _end_key_test(self, job: _KeyJob, outcome: _Outcome) -> None:
        if job.version != self._key_version:
            return  # the key changed or the wizard closed meanwhile: this result is for no one
        self.test_running = False
        if outcome.ok:
            self.test_ok, self.test_org_name, self._tested_version = True, outcome.organization_name, job.version
        else:
            self.test_error = outcome.message

    @rx.event(background=True)
    async def test_pending_key(self):
        """Step 3: GET /v1/organizations/me with the pending key; nothing is stored."""
        async with self:
            job = self._begin_key_test()
        if job is None:
            return
        outcome = await asyncio.to_thread(_test_key, job)
        async with self:
            self._end_key_test(job, outcome)

    def _begin_save(self) -> _KeyJob | None:
        if self.saving or self.test_running:
            return None  # a double click must not connect twice
        user, refusal = self._check()
        job = self._key_job(user) if user is not None else refusal
        self.save_error = ""
        if isinstance(job, str):
            self.save_error = job
            return None
        if not (self.test_ok and self._tested_version == self._key_version):
            self.save_error = "Test the connection with this key first: Save needs a successful test."
            return None
        self.saving = True
        return job

    def _end_save(self, job: _KeyJob, outcome: _Outcome):
        if job.version != self._key_version:
            return None
        self.saving = False
        if not outcome.ok:
            self.save_error = outcome.message
            return None
        name, mode = outcome.organization_name, self.wizard_mode
        self._forget_key()  # stored sealed on the integration now; never shown again
        user, _ = self._check()
        if user is not None:
            self._reload(user)
        if mode == "replace":
            self._reset_wizard()
            self.wizard_open = False
            return rx.toast.success(f"The new key works and is saved (organisation {name}).")
        self.saved_org_name = name
        self.wizard_step = "saved"
        self._set_backfill_defaults()
        self._backfill_integration_id = outcome.integration_id
        self.backfill_error = ""
        return None

    @rx.event(background=True)
    async def save_wizard(self):
        """Step 4: connect (or replace the key); the service tests the key once more before storing it."""
        async with self:
            job = self._begin_save()
        if job is None:
            return
        outcome = await asyncio.to_thread(_save_key, job)
        async with self:
            toast = self._end_save(job, outcome)
        if toast is not None:
            yield toast

    # --- runs -------------------------------------------------------------------------------------

    def _set_backfill_defaults(self) -> None:
        end = sync.last_complete_day()
        self.backfill_end_default = end.isoformat()
        self.backfill_start_default = (end - dt.timedelta(days=BACKFILL_DEFAULT_DAYS - 1)).isoformat()

    @rx.event
    def sync_now(self, integration_id: int):
        user, refusal = self._check()
        if user is None:
            return rx.toast.error(refusal)
        try:
            with session_scope() as session:
                log = ai_tooling.start_sync_now(
                    session=session, tenant_id=user.tenant_id, integration_id=_as_id(integration_id), user_id=user.id
                )
                day = log.window_start
        except DomainError as error:
            return rx.toast.error(str(error))
        self._reload(user)
        return [rx.toast.success(f"Sync queued for {day.isoformat()}."), AiToolingSettingsState.watch_runs]

    @rx.event
    def open_backfill(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        self._close_dialogs()
        self._set_backfill_defaults()
        self._backfill_integration_id = integration.id
        self.backfill_open = True
        return None

    @rx.event
    def set_backfill_open(self, is_open: bool):
        if not is_open:
            self.backfill_open, self.backfill_error, self._backfill_integration_id = False, "", 0

    @rx.event
    def run_backfill(self, form_data: dict):
        """Run backfill: an empty field, an end before the start or a future date is refused inline."""
        user, refusal = self._check()
        self.backfill_error = ""
        if user is None:
            self.backfill_error = refusal
            return None
        if not self._backfill_integration_id:
            self.backfill_error = "Choose the integration to backfill again."
            return None
        try:
            start = _parse_day(form_data.get("start"), "start date")
            end = _parse_day(form_data.get("end"), "end date")
            with session_scope() as session:
                log = ai_tooling.start_backfill(
                    session=session, tenant_id=user.tenant_id, integration_id=self._backfill_integration_id,
                    start=start, end=end, user_id=user.id,
                )
                days = log.days_total
        except DomainError as error:
            self.backfill_error = str(error)
            return None
        self.backfill_open, self._backfill_integration_id = False, 0
        if self.wizard_step == "saved":
            self._reset_wizard()
            self.wizard_open = False
        self._reload(user)
        return [rx.toast.success(f"Backfill queued: {days} {'day' if days == 1 else 'days'}."),
                AiToolingSettingsState.watch_runs]

    @rx.event
    def skip_backfill(self):
        self._reset_wizard()
        self.wizard_open = False
        self._backfill_integration_id = 0

    # --- pause, resume, targeting, test, disconnect -------------------------------------------------

    def _lifecycle(self, integration_id: object, action, done: str):
        user, refusal = self._check()
        if user is None:
            return rx.toast.error(refusal)
        try:
            with session_scope() as session:
                integration = ai_tooling.get_integration_or_raise(
                    session=session, tenant_id=user.tenant_id, integration_id=_as_id(integration_id)
                )
                action(session=session, tenant_id=user.tenant_id, integration_id=integration.id)
        except DomainError as error:
            return rx.toast.error(str(error))
        self._reload(user)
        return rx.toast.success(done)

    @rx.event
    def pause(self, integration_id: int):
        return self._lifecycle(integration_id, integrations.pause, "Sync paused.")

    @rx.event
    def resume(self, integration_id: int):
        return self._lifecycle(integration_id, integrations.resume, "Sync resumed.")

    @rx.event
    def open_targeting(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        self._close_dialogs()
        active = {option.value for option in self.scenario_options}
        self.target_baseline = integration.target_baseline
        # Only active scenarios are offered; a selection that is archived now drops out on save.
        self.target_scenarios = [str(i) for i in integration.target_scenario_ids if str(i) in active]
        self.target_all_future = integration.target_all_future
        self._targeting_integration_id = integration.id
        self.targeting_open = True
        return None

    @rx.event
    def set_targeting_open(self, is_open: bool):
        if not is_open:
            self.targeting_open, self.targeting_error, self._targeting_integration_id = False, "", 0

    @rx.event
    def save_targeting(self):
        user, refusal = self._check()
        self.targeting_error = ""
        if user is None:
            self.targeting_error = refusal
            return None
        try:
            with session_scope() as session:
                ai_tooling.update_targeting(
                    session=session, tenant_id=user.tenant_id, integration_id=self._targeting_integration_id,
                    baseline=self.target_baseline, scenario_ids=self.target_scenarios,
                    all_future=self.target_all_future,
                )
        except DomainError as error:
            self.targeting_error = str(error)
            return None
        self.targeting_open, self._targeting_integration_id = False, 0
        self._reload(user)
        return rx.toast.success("Targeting saved: it applies from the next sync.")

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
        tenant_id = user.tenant_id
        outcome = await asyncio.to_thread(_test_stored, tenant_id, _as_id(integration_id))
        async with self:
            self.testing_stored = False
            user, _ = self._check()
            if user is not None:
                self._reload(user)
        if outcome.ok:
            yield rx.toast.success(f"Connection OK: organisation {outcome.organization_name}.")
        else:
            yield rx.toast.error(f"Test connection failed: {outcome.message}")

    @rx.event
    def open_disconnect(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        self._close_dialogs()
        self.disconnect_name = registry.get_provider_info(integration.provider).display_name
        self._disconnect_integration_id = integration.id
        self.disconnect_open = True
        return None

    @rx.event
    def set_disconnect_open(self, is_open: bool):
        if not is_open:
            self.disconnect_open, self._disconnect_integration_id = False, 0

    @rx.event
    def confirm_disconnect(self):
        integration_id = self._disconnect_integration_id
        self.disconnect_open, self._disconnect_integration_id = False, 0
        return self._lifecycle(
            integration_id, integrations.disconnect,
            "Disconnected: the stored key is removed; synced usage stays. You can connect again any time.",
        )

    # --- View run ---------------------------------------------------------------------------------

    def _set_run(self, detail: views.RunDetail) -> None:
        self.run = detail.view
        self.run_errors, self.run_days = detail.errors, detail.days
        self.run_skipped_scopes = detail.skipped_scopes
        self.run_affected_emails, self.run_affected_dates = detail.affected_emails, detail.affected_dates

    def _show_run(self, user: User, log_id: int):
        try:
            with session_scope() as session:
                detail = views.run_detail(session, user.tenant_id, log_id)
        except DomainError as error:
            return rx.toast.error(str(error))
        self._set_run(detail)
        self.run_open = True
        return None

    @rx.event
    def open_run(self, log_id: int):
        user, refusal = self._check()
        if user is None:
            return rx.toast.error(refusal)
        return self._show_run(user, _as_id(log_id))

    @rx.event
    def set_run_open(self, is_open: bool):
        if not is_open:
            self.run_open = False
            self.run = views.RunView()
            self.run_errors, self.run_days, self.run_skipped_scopes = [], [], []
            self.run_affected_emails, self.run_affected_dates = [], []

    # --- unmatched e-mails ------------------------------------------------------------------------

    def _unmatched_email(self, source_email: str) -> str:
        row = next((row for row in self.unmatched if row.source_email == str(source_email)), None)
        if row is None:
            raise ValidationFailed("That e-mail is no longer in the unmatched list.")
        if row.is_api_key:
            raise ValidationFailed(API_KEY_ACTOR)
        return row.source_email

    @rx.event
    def open_add_person(self, source_email: str):
        user, _, refusal = self._check_people()
        if user is None:
            return rx.toast.error(refusal)
        self._reload(user)
        try:
            email = self._unmatched_email(source_email)
        except DomainError as error:
            return rx.toast.error(str(error))
        self._close_dialogs()
        self.add_email, self.add_open = email, True
        return None

    @rx.event
    def set_add_open(self, is_open: bool):
        if not is_open:
            self.add_open, self.add_error, self.add_email = False, "", ""

    @rx.event
    def save_add_person(self, form_data: dict):
        """Creates the person in the chosen scope; the org event re-matches their usage at once."""
        user, scenario_id, refusal = self._check_people()
        self.add_error = ""
        if user is None:
            self.add_error = refusal
            return None
        try:
            with session_scope() as session:
                actor = org.create_actor(
                    session=session, tenant_id=user.tenant_id, scenario_id=scenario_id,
                    name=str(form_data.get("name", "")), email=str(form_data.get("email", "")),
                    kind=str(form_data.get("kind") or ActorKind.human.value), fte=str(form_data.get("fte", "")),
                )
                name = actor.name
        except DomainError as error:
            self.add_error = str(error)
            return None
        self.add_open, self.add_email = False, ""
        self._reload(user)
        return rx.toast.success(f"Added {name}; their usage is matched to them now.")

    @rx.event
    def open_link_person(self, source_email: str):
        user, scenario_id, refusal = self._check_people()
        if user is None:
            return rx.toast.error(refusal)
        self._reload(user)
        try:
            email = self._unmatched_email(source_email)
        except DomainError as error:
            return rx.toast.error(str(error))
        self._close_dialogs()
        with session_scope() as session:
            self.link_people = views.people_options(session, user.tenant_id, scenario_id)
        self.link_email, self.link_open = email, True
        return None

    @rx.event
    def set_link_open(self, is_open: bool):
        if not is_open:
            self.link_open, self.link_error, self.link_email, self.link_people = False, "", "", []

    @rx.event
    def save_link_person(self, form_data: dict):
        """Gives the chosen person this e-mail; the org event re-matches their usage at once."""
        user, _, refusal = self._check_people()
        self.link_error = ""
        if user is None:
            self.link_error = refusal
            return None
        actor_id = _as_id(form_data.get("person", ""))
        if not actor_id:
            self.link_error = "Choose the person who uses this e-mail."
            return None
        try:
            with session_scope() as session:
                actor = org.update_actor(
                    session=session, tenant_id=user.tenant_id, actor_id=actor_id, email=self.link_email
                )
                name = actor.name
        except DomainError as error:
            self.link_error = str(error)
            return None
        self.link_open, self.link_email, self.link_people = False, "", []
        self._reload(user)
        return rx.toast.success(f"{name} now uses this e-mail; their usage is matched to them.")

    # --- derived ----------------------------------------------------------------------------------

    @rx.var
    def can_save(self) -> bool:
        return self.test_ok and not self.saving and not self.test_running

    @rx.var
    def wizard_step_text(self) -> str:
        steps = ["key", "targets", "test"] if self.wizard_mode == "connect" else ["key", "test"]
        if self.wizard_step not in steps:
            return ""
        names = {"key": "Admin API key", "targets": "Where data applies", "test": "Test and save"}
        return f"Step {steps.index(self.wizard_step) + 1} of {len(steps)}: {names[self.wizard_step]}"

    @rx.var
    def backfill_note(self) -> str:
        return f"Dates are days in the server's time zone ({get_settings().timezone}); the latest is today."
