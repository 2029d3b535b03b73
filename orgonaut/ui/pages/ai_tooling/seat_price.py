"""Seat price (Copilot's plans): a plan's new monthly price from a day on; the stored days it covers are re-priced
(`ai_tooling.seat_prices`), and the card says which price applies to which days."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from orgonaut.ai_tooling import seat_prices
from orgonaut.ai_tooling.price_schedule import Repriced
from orgonaut.tenancy.models import User
from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button, error_callout, field
from orgonaut.ui.pages.ai_tooling.credit_price import repriced_text
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState

DIALOG = "seat_price"


class SeatPriceState(AiToolingSettingsState):
    seat_price_error: str = ""
    seat_plans: list[str] = []

    @rx.event
    def open_seat_price(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        self._close_dialog()
        self.seat_price_error, self.seat_plans = "", seat_prices.plans(integration)
        self._open(DIALOG, integration.id)
        return None

    @rx.event
    def set_seat_price_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()

    @rx.event
    def save_seat_price(self, form_data: dict):
        integration_id = self._dialog_integration_id if self.open_dialog == DIALOG else 0

        def save(session: Session, user: User) -> Repriced:
            return seat_prices.set_price(
                session=session, tenant_id=user.tenant_id, integration_id=integration_id,
                plan=str(form_data.get("plan", "")), effective_from=str(form_data.get("effective_from", "")),
                usd_per_month=str(form_data.get("usd_per_month", "")), user_id=user.id)

        return self._act(save, done=repriced_text, error_var="seat_price_error", close=True)


def seat_price_dialog() -> rx.Component:
    S = SeatPriceState
    return rx.dialog.root(
        dialog_content(
            rx.dialog.title("Change a seat price"),
            rx.dialog.description("From the day you choose until that plan's next price, every stored day of a "
                                  "seat of the plan is re-priced (its share of the monthly price; usage-based cost "
                                  "stays as billed), and days synced later take this price. Days before it keep "
                                  "theirs.", size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    field("Plan", "seat-price-plan",
                          rx.el.select(rx.foreach(S.seat_plans, lambda plan: rx.el.option(plan.capitalize(),
                                                                                           value=plan)),
                                       id="seat-price-plan", name="plan")),
                    field("From (first day)", "seat-price-from",
                          rx.input(id="seat-price-from", name="effective_from", type="date", required=True)),
                    field("Price of a seat a month (USD)", "seat-price-usd",
                          rx.input(id="seat-price-usd", name="usd_per_month", placeholder="19", input_mode="decimal",
                                   required=True)),
                    error_callout(S.seat_price_error),
                    rx.hstack(cancel_button(), rx.button("Save price", type="submit"), justify="end", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_seat_price,
                reset_on_submit=False,
            ),
            max_width="440px",
        ),
        open=AiToolingSettingsState.open_dialog == DIALOG,
        on_open_change=S.set_seat_price_open,
    )
