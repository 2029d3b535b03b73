"""The connect / replace key wizard's state: the credentials, the targets, the test and the save fencing.

Its first step is built from the provider's declared credential fields (`ProviderInfo.credentials`):
one input each, a password field for secrets. No input is bound to a state var (uncontrolled inputs,
read from the form's submit data and reset by the form). The server keeps the credentials sealed with
the secret box in the backend-only `_pending_credentials` (never sent to the browser, and not in plain
text in the Redis state store) while the wizard is open, and clears them on save, cancel, "use another
key" and every page load. Save is allowed only after a successful test of exactly those credentials
(`_tested_version`).

Test connection and Save are background events: a provider call can take longer than the state lock
lives, so they hold the state only to read and to write results (`_begin_*`, the call, `_end_*`).
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.declaration import ProviderInfo
from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.integrations import secrets
from orgonaut.tenancy.models import User
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState, as_id
from orgonaut.ui.pages.ai_tooling.targets import TargetsMixin

WIZARD_CLOSED = "The connect dialog was closed; open it again."


@dataclasses.dataclass(frozen=True)
class _KeyJob:
    provider: str
    sealed_credentials: str
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


@dataclasses.dataclass
class CredentialInput:
    """One input of the first step, from the provider's declared credential field."""

    name: str = ""
    label: str = ""
    input_type: str = "password"  # password | text
    placeholder: str = ""
    hint: str = ""

    @classmethod
    def of(cls, info: ProviderInfo) -> list[CredentialInput]:
        return [cls(name=f.name, label=f.label[:1].upper() + f.label[1:] + ("" if f.required else " (optional)"),
                    placeholder=f.placeholder, hint=f.hint,
                    input_type="password" if f.secret else "text") for f in info.credentials]


def _test_key(job: _KeyJob) -> _Outcome:
    try:
        credentials = secrets.open_config(job.sealed_credentials)
        name = ai_tooling.test_credentials(provider=job.provider, credentials=credentials, api_base=job.api_base)
    except DomainError as error:
        return _Outcome(ok=False, message=str(error))
    return _Outcome(ok=True, organization_name=name)


def _save_key(job: _KeyJob) -> _Outcome:
    """Connect (new integration) or replace the key of one; both test the key again first."""
    try:
        with session_scope() as session:
            if job.mode == "replace":
                integration = ai_tooling.replace_credentials(
                    session=session, tenant_id=job.tenant_id, integration_id=job.integration_id,
                    credentials=secrets.open_config(job.sealed_credentials),
                )
            else:
                integration = ai_tooling.connect(
                    session=session, tenant_id=job.tenant_id, provider=job.provider,
                    credentials=secrets.open_config(job.sealed_credentials), baseline=job.baseline,
                    scenario_ids=list(job.scenario_ids), all_future=job.all_future, user_id=job.user_id,
                )
            result = _Outcome(ok=True, organization_name=integration.organization_name or "",
                              integration_id=integration.id)
    except DomainError as error:
        return _Outcome(ok=False, message=str(error))
    return result


class ConnectWizardState(TargetsMixin, AiToolingSettingsState):
    wizard_mode: str = "connect"  # connect | replace
    wizard_step: str = "key"  # key | targets | test | saved
    wizard_provider: str = ""
    wizard_provider_name: str = ""
    wizard_inputs: list[CredentialInput] = []
    wizard_credentials_title: str = ""  # the one field's label, or "Credentials"
    wizard_api_name: str = ""
    wizard_connection_test: str = ""
    key_error: str = ""
    targets_error: str = ""
    test_running: bool = False
    test_ok: bool = False
    test_org_name: str = ""
    test_error: str = ""
    saving: bool = False
    save_error: str = ""
    saved_org_name: str = ""
    _pending_credentials: str = ""  # sealed by the secret box; "" when there are none
    _key_version: int = 0
    _tested_version: int = -1

    def _forget_key(self) -> None:
        self._pending_credentials = ""
        self._key_version += 1
        self._tested_version = -1
        self.test_ok, self.test_org_name, self.test_error, self.test_running = False, "", "", False

    def _reset_dialog(self) -> None:
        self._forget_key()
        self.wizard_step, self.wizard_mode = "key", "connect"
        self.wizard_provider = self.wizard_provider_name = self.wizard_credentials_title = ""
        self.wizard_api_name = self.wizard_connection_test = ""
        self.wizard_inputs = []
        self.key_error = self.targets_error = self.save_error = self.saved_org_name = ""
        self._reset_targets()
        self.saving = False

    def _start(self, info: ProviderInfo, mode: str, integration_id: int = 0) -> None:
        self._close_dialog()
        self.wizard_mode = mode
        self.wizard_provider, self.wizard_provider_name = info.key, info.display_name
        self.wizard_inputs = CredentialInput.of(info)
        self.wizard_credentials_title = self.wizard_inputs[0].label if len(self.wizard_inputs) == 1 else "Credentials"
        self.wizard_api_name, self.wizard_connection_test = info.api_name, info.connection_test
        self._open("wizard", integration_id)

    def _is_open(self) -> bool:
        return self.open_dialog == "wizard"

    @rx.event
    def open_connect(self, provider: str):
        info, previous = None, None

        def connectable(session, user: User) -> None:
            nonlocal info, previous
            info = ai_tooling.ensure_connectable(session=session, tenant_id=user.tenant_id, provider=str(provider))
            previous = ai_tooling.previous_targeting(session=session, tenant_id=user.tenant_id, provider=info.key)

        refusal = self._act(connectable, reload=False)
        if info is None:
            return rx.toast.error(refusal)
        self._start(info, "connect")
        if previous is not None:  # connecting again: where its data applied before
            baseline, scenario_ids, all_future = previous
            self.target_baseline, self.target_scenarios = baseline, [str(i) for i in scenario_ids]
            self.target_all_future = all_future
        return None

    @rx.event
    def open_replace_key(self, integration_id: int):
        integration = None

        def replaceable(session, user: User) -> None:
            nonlocal integration
            integration = ai_tooling.ensure_key_replaceable(
                session=session, tenant_id=user.tenant_id, integration_id=as_id(integration_id)
            )

        refusal = self._act(replaceable, reload=False)
        if integration is None:
            return rx.toast.error(refusal)
        self._start(registry.get_provider_info(integration.provider), "replace", integration.id)
        return None

    @rx.event
    def set_wizard_open(self, is_open: bool):
        # The dialog only asks to close (Escape, Cancel, outside click); the key goes with it.
        if not is_open:
            self._close_dialog()

    @rx.event
    def submit_credentials(self, form_data: dict):
        """Step 1: the declared fields from the uncontrolled inputs; each is checked before any call."""
        user, refusal = self._check()
        self._forget_key()
        self.key_error = ""
        if user is None:
            self.key_error = refusal
            return None
        if not self._is_open():
            self.key_error = WIZARD_CLOSED
            return None
        try:
            credentials = registry.validate_credentials(self.wizard_provider, form_data)
        except DomainError as error:
            self.key_error = str(error)
            return None
        self._pending_credentials = secrets.seal_config(credentials)
        self.wizard_step = "targets" if self.wizard_mode == "connect" else "test"
        return None

    @rx.event
    def use_another_key(self):
        self._forget_key()
        self.save_error = ""
        self.wizard_step = "key"

    @rx.event
    def submit_targets(self):
        """Step 2: at least one target; archived scenarios and snapshots are refused by the service."""
        self._act(lambda session, user: ai_tooling.validate_targets(
            session=session, tenant_id=user.tenant_id, baseline=self.target_baseline,
            scenario_ids=self.target_scenarios, all_future=self.target_all_future,
        ), error_var="targets_error", reload=False)
        if not self.targets_error:
            self.wizard_step = "test"

    @rx.event
    def back_to_targets(self):
        self.wizard_step = "targets"

    def _key_job(self, user: User) -> _KeyJob | str:
        if not self._is_open():
            return WIZARD_CLOSED
        if not self._pending_credentials:
            return "Enter the credentials first."
        api_base = None
        if self.wizard_mode == "replace":
            try:
                with session_scope() as session:
                    api_base = ai_tooling.get_integration_or_raise(
                        session=session, tenant_id=user.tenant_id, integration_id=self._dialog_integration_id
                    ).api_base
            except DomainError as error:
                return str(error)
        return _KeyJob(
            provider=self.wizard_provider, sealed_credentials=self._pending_credentials, api_base=api_base,
            version=self._key_version, tenant_id=user.tenant_id, user_id=user.id, mode=self.wizard_mode,
            integration_id=self._dialog_integration_id, baseline=self.target_baseline,
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
    async def test_pending_credentials(self):
        """Step 3: the provider's connection test with the pending credentials; nothing is stored."""
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
            self._close_dialog()
            return rx.toast.success(f"The new key works and is saved (organisation {name}).")
        # The last step offers a backfill of the new integration (the backfill form, in this dialog).
        self.saved_org_name = name
        self.wizard_step = "saved"
        self._dialog_integration_id = outcome.integration_id
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

    @rx.event
    def skip_backfill(self):
        self._close_dialog()

    @rx.var
    def can_save(self) -> bool:
        return self.test_ok and not self.saving and not self.test_running

    @rx.var
    def wizard_step_text(self) -> str:
        steps = ["key", "targets", "test"] if self.wizard_mode == "connect" else ["key", "test"]
        if self.wizard_step not in steps:
            return ""
        names = {"key": self.wizard_credentials_title, "targets": "Where data applies", "test": "Test and save"}
        return f"Step {steps.index(self.wizard_step) + 1} of {len(steps)}: {names[self.wizard_step]}"
