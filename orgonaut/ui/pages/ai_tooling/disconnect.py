"""Disconnect, after a confirmation: the stored key is removed; synced usage and sync logs stay."""

from __future__ import annotations

import reflex as rx

from orgonaut.ai_tooling.providers import registry
from orgonaut.integrations import service as integrations
from orgonaut.ui.components.confirm import confirm_dialog
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
    return confirm_dialog(
        title=rx.fragment("Disconnect ", DisconnectState.disconnect_name, "?"),
        description="Syncing stops and the stored API key is removed. Usage already synced is kept, and you can "
                    "connect again later.",
        keep="Cancel", confirm="Disconnect", on_confirm=DisconnectState.confirm_disconnect,
        open=AiToolingSettingsState.open_dialog == "disconnect", on_open_change=DisconnectState.set_disconnect_open,
    )
