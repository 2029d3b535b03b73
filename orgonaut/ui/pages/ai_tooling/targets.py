"""Where incoming usage applies: the fields shared by the wizard's step 2 and Edit targeting, and the
Edit targeting dialog with its state."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.db import session_scope
from orgonaut.tenancy.models import User
from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button, error_callout
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState


class TargetsMixin(rx.State, mixin=True):
    """The three choices; validated by `ai_tooling.validate_targets` when saved."""

    target_baseline: bool = True
    target_scenarios: list[str] = []
    target_all_future: bool = False

    def _reset_targets(self) -> None:
        self.target_baseline, self.target_scenarios, self.target_all_future = True, [], False

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


class TargetingState(TargetsMixin, AiToolingSettingsState):
    targeting_error: str = ""

    def _reset_dialog(self) -> None:
        self.targeting_error = ""
        self._reset_targets()

    @rx.event
    def open_targeting(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        self._close_dialog()
        # Only active scenarios are offered; a selection that is archived now drops out on save.
        with session_scope() as session:
            selected = ai_tooling.active_target_scenario_ids(session=session, integration=integration)
        self.target_baseline = integration.target_baseline
        self.target_scenarios = [str(i) for i in selected]
        self.target_all_future = integration.target_all_future
        self._open("targeting", integration.id)
        return None

    @rx.event
    def set_targeting_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()

    @rx.event
    def save_targeting(self):
        integration_id = self._dialog_integration_id if self.open_dialog == "targeting" else 0

        def save(session: Session, user: User) -> None:
            ai_tooling.update_targeting(
                session=session, tenant_id=user.tenant_id, integration_id=integration_id,
                baseline=self.target_baseline, scenario_ids=self.target_scenarios, all_future=self.target_all_future,
            )

        return self._act(save, done="Targeting saved: it applies from the next sync.", error_var="targeting_error",
                         close=True)


# --- components -------------------------------------------------------------------------------


def targets_fields(state: type[TargetsMixin]) -> rx.Component:
    def checkbox(option: rx.Var) -> rx.Component:
        return rx.checkbox(
            option.label,
            checked=state.target_scenarios.contains(option.value),
            on_change=lambda checked: state.toggle_target_scenario(option.value, checked),
        )

    return rx.vstack(
        rx.checkbox("Live Baseline", checked=state.target_baseline, on_change=state.set_target_baseline),
        rx.el.fieldset(
            rx.el.legend(rx.text("Active scenarios", size="2", weight="medium")),
            rx.cond(
                AiToolingSettingsState.scenario_options.length() > 0,
                rx.vstack(rx.foreach(AiToolingSettingsState.scenario_options, checkbox), spacing="2",
                          padding_top="4px"),
                rx.text("There are no active scenarios.", size="2", color_scheme="gray"),
            ),
            border="none",
            padding="0",
            margin="0",
        ),
        rx.checkbox("All future scenarios", checked=state.target_all_future, on_change=state.set_target_all_future),
        rx.text("Archived scenarios and snapshots are read-only and never receive usage. Choose at least one.",
                size="1", color_scheme="gray"),
        spacing="3",
        width="100%",
    )


def targeting_dialog() -> rx.Component:
    return rx.dialog.root(
        dialog_content(
            rx.dialog.title("Edit targeting"),
            rx.dialog.description("Where incoming usage data applies, from the next sync on.", size="2",
                                  color_scheme="gray"),
            rx.vstack(
                targets_fields(TargetingState),
                error_callout(TargetingState.targeting_error),
                rx.hstack(cancel_button(), rx.button("Save targeting", on_click=TargetingState.save_targeting),
                          justify="end", width="100%"),
                spacing="3",
                padding_top="12px",
            ),
            max_width="520px",
        ),
        open=AiToolingSettingsState.open_dialog == "targeting",
        on_open_change=TargetingState.set_targeting_open,
    )
