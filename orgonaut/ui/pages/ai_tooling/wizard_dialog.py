"""The connect / replace key wizard's dialog: key, targets, test and save, then the backfill offer."""

from __future__ import annotations

import reflex as rx

from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button, error_callout, field, invalid_when
from orgonaut.ui.pages.ai_tooling.backfill import backfill_form
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState
from orgonaut.ui.pages.ai_tooling.targets import targets_fields
from orgonaut.ui.pages.ai_tooling.wizard import ConnectWizardState as S
from orgonaut.ui.pages.ai_tooling.wizard import CredentialInput

# The refusal of the credentials step: each credential field is described by it.
KEY_ERROR_ID = "ai-tooling-credentials-error"


def _credential_input(spec: CredentialInput) -> rx.Component:
    field_id = "ai-tooling-credential-" + spec.name
    return rx.vstack(
        field(
            spec.label, field_id,
            # Uncontrolled: bound to no state var (a secret never reaches the state); read from the submit data.
            rx.input(id=field_id, name=spec.name, type=spec.input_type, auto_complete="off", spell_check=False,
                     placeholder=spec.placeholder, width="100%", **invalid_when(S.key_error, KEY_ERROR_ID)),
        ),
        rx.text(spec.hint, size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def _key_step() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.foreach(S.wizard_inputs, _credential_input),
            error_callout(S.key_error, KEY_ERROR_ID),
            rx.hstack(cancel_button(), rx.button("Next", type="submit"), justify="end", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.submit_credentials,
        # A refused key stays in its field to be corrected; an accepted one leaves with this step.
        reset_on_submit=False,
    )


def _targets_step() -> rx.Component:
    return rx.vstack(
        rx.text("Where does incoming usage data apply?", size="2"),
        targets_fields(S),
        error_callout(S.targets_error),
        rx.hstack(
            rx.button("Back", variant="soft", color_scheme="gray", on_click=S.use_another_key),
            rx.spacer(),
            cancel_button(),
            rx.button("Next", on_click=S.submit_targets),
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _test_step() -> rx.Component:
    return rx.vstack(
        rx.text("Test connection checks the credentials against ", S.wizard_api_name, " (",
                S.wizard_connection_test, "). Save is enabled once the test succeeds.", size="2"),
        rx.button(rx.icon("plug-zap", size=14), "Test connection", variant="outline", loading=S.test_running,
                  on_click=S.test_pending_credentials),
        rx.cond(
            S.test_ok,
            rx.callout(rx.text("Connection OK. Organisation: ", rx.text(S.test_org_name, weight="bold", as_="span")),
                       icon="circle-check", color_scheme="green", role="status", width="100%"),
        ),
        rx.cond(
            S.test_error != "",
            rx.callout(S.test_error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
        ),
        error_callout(S.save_error),
        rx.hstack(
            rx.button("Use another key", variant="soft", color_scheme="gray", on_click=S.use_another_key),
            rx.cond(S.wizard_mode == "connect",
                    rx.button("Back", variant="soft", color_scheme="gray", on_click=S.back_to_targets)),
            rx.spacer(),
            cancel_button(),
            rx.button("Save", disabled=~S.can_save, loading=S.saving, on_click=S.save_wizard),
            width="100%",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def _saved_step() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.text(S.wizard_provider_name, " is connected to ", rx.text(S.saved_org_name, weight="bold", as_="span"),
                    ". Nightly sync is on; the key is stored encrypted and will not be shown again."),
            icon="circle-check", color_scheme="green", role="status", width="100%",
        ),
        rx.heading("Import history now?", size="3", as_="h3"),
        rx.text("A backfill imports usage from before today. You can also start one later.", size="2"),
        backfill_form(rx.button("Not now", type="button", variant="soft", color_scheme="gray",
                                on_click=S.skip_backfill), "wizard-backfill"),
        spacing="3",
        width="100%",
    )


def wizard_dialog() -> rx.Component:
    return rx.dialog.root(
        dialog_content(
            rx.dialog.title(rx.cond(S.wizard_mode == "replace", "Replace the API key of ",
                                    "Connect "), S.wizard_provider_name),
            rx.dialog.description(S.wizard_step_text, size="2", color_scheme="gray"),
            rx.box(
                rx.match(
                    S.wizard_step,
                    ("key", _key_step()),
                    ("targets", _targets_step()),
                    ("test", _test_step()),
                    ("saved", _saved_step()),
                    rx.fragment(),
                ),
                padding_top="12px",
            ),
            max_width="560px",
        ),
        open=AiToolingSettingsState.open_dialog == "wizard",
        on_open_change=S.set_wizard_open,
    )


