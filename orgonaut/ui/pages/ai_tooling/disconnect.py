"""Disconnect, after a confirmation: the stored key is removed; synced usage and sync logs stay."""

from __future__ import annotations

import reflex as rx

from orgonaut.ai_tooling.providers import registry
from orgonaut.integrations import service as integrations
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState

DISCONNECTED = "Disconnected: the stored key is removed; synced usage stays. You can connect again any time."


class DisconnectState(AiToolingSettingsState):
    disconnect_name: str = ""

    @rx.event
    def open_disconnect(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        self._close_dialog()
        self.disconnect_name = registry.get_provider_info(integration.provider).display_name
        self._open("disconnect", integration.id)
        return None

    @rx.event
    def set_disconnect_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()

    @rx.event
    def confirm_disconnect(self):
        integration_id = self._dialog_integration_id if self.open_dialog == "disconnect" else 0
        self._close_dialog()
        return self._lifecycle(integration_id, integrations.disconnect, DISCONNECTED)


def disconnect_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Disconnect ", DisconnectState.disconnect_name, "?"),
            rx.alert_dialog.description(
                "Syncing stops and the stored API key is removed. Usage already synced is kept, and you can "
                "connect again later.", size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Disconnect", color_scheme="red",
                                                 on_click=DisconnectState.confirm_disconnect)),
                justify="end",
                spacing="2",
                padding_top="12px",
            ),
            max_width="460px",
        ),
        open=AiToolingSettingsState.open_dialog == "disconnect",
        on_open_change=DisconnectState.set_disconnect_open,
    )
