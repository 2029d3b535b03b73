"""Price per credit (Codex): a new price from a day on; the stored days it covers are re-priced from their
credits (`ai_tooling.credit_prices`), and the card says which price applies to which days."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from orgonaut.ai_tooling import credit_prices
from orgonaut.ai_tooling.price_schedule import Repriced
from orgonaut.tenancy.models import User
from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button, error_callout, field
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState


class CreditPriceState(AiToolingSettingsState):
    price_error: str = ""

    def _reset_dialog(self) -> None:
        self.price_error = ""

    @rx.event
    def open_credit_price(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        self._close_dialog()
        self._open("credit_price", integration.id)
        return None

    @rx.event
    def set_credit_price_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()

    @rx.event
    def save_credit_price(self, form_data: dict):
        integration_id = self._dialog_integration_id if self.open_dialog == "credit_price" else 0

        def save(session: Session, user: User) -> Repriced:
            return credit_prices.set_price(
                session=session, tenant_id=user.tenant_id, integration_id=integration_id,
                effective_from=str(form_data.get("effective_from", "")),
                usd_per_credit=str(form_data.get("usd_per_credit", "")), user_id=user.id)

        return self._act(save, done=repriced_text, error_var="price_error", close=True)


def repriced_text(result: Repriced) -> str:
    if not result.records:
        return "Price saved: no stored day is covered yet; days synced from then on take it."
    return (f"Price saved: {result.records} stored records re-priced, "
            f"{format_usd(result.cost_before_cents)} → {format_usd(result.cost_after_cents)}.")


def credit_price_dialog() -> rx.Component:
    S = CreditPriceState
    return rx.dialog.root(
        dialog_content(
            rx.dialog.title("Change the price per credit"),
            rx.dialog.description("From the day you choose until the next price you set, every stored day is "
                                  "re-priced from its credits, and days synced later take this price. Days before "
                                  "it keep theirs.", size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    field("From (first day)", "credit-price-from",
                          rx.input(id="credit-price-from", name="effective_from", type="date", required=True)),
                    field("Price per credit (USD)", "credit-price-usd",
                          rx.input(id="credit-price-usd", name="usd_per_credit", placeholder="0.04",
                                   input_mode="decimal", required=True)),
                    error_callout(S.price_error),
                    rx.hstack(cancel_button(), rx.button("Save price", type="submit"), justify="end", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_credit_price,
                reset_on_submit=False,
            ),
            max_width="440px",
        ),
        open=AiToolingSettingsState.open_dialog == "credit_price",
        on_open_change=S.set_credit_price_open,
    )
