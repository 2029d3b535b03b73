"""The provider cards: each provider's state, its connection's facts and the actions on it."""

from __future__ import annotations

import reflex as rx

from orgonaut.ui.components.panels import fact, facts
from orgonaut.ui.pages.ai_tooling.backfill import BackfillState
from orgonaut.ui.pages.ai_tooling.credit_price import CreditPriceState
from orgonaut.ui.pages.ai_tooling.disconnect import DisconnectState
from orgonaut.ui.pages.ai_tooling.seat_price import SeatPriceState
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState as S
from orgonaut.ui.pages.ai_tooling.sync_logs import relative_time
from orgonaut.ui.pages.ai_tooling.targets import TargetingState
from orgonaut.ui.pages.ai_tooling.wizard import ConnectWizardState as W


def _status_badge(status: rx.Var[str], color: rx.Var[str]) -> rx.Component:
    return rx.badge(status, color_scheme=color, variant="solid", size="2", aria_label="Status")


def _manage_actions(p: rx.Var) -> rx.Component:
    running_ok = (p.status == "active") | (p.status == "error")
    return rx.hstack(
        rx.cond(
            running_ok,
            rx.fragment(
                rx.button(rx.icon("refresh-cw", size=14), "Sync now", on_click=S.sync_now(p.integration_id)),
                rx.button(rx.icon("history", size=14), "Backfill", variant="soft",
                          on_click=BackfillState.open_backfill(p.integration_id)),
                rx.button("Pause", variant="soft", color_scheme="amber", on_click=S.pause(p.integration_id)),
            ),
        ),
        rx.cond(
            p.status == "paused",
            rx.button(rx.icon("play", size=14), "Resume", color_scheme="green", on_click=S.resume(p.integration_id)),
        ),
        rx.button("Edit targeting", variant="soft", on_click=TargetingState.open_targeting(p.integration_id)),
        rx.button("Test connection", variant="soft", loading=S.testing_stored,
                  on_click=S.test_stored_connection(p.integration_id)),
        rx.button("Replace key", variant="soft", on_click=W.open_replace_key(p.integration_id)),
        rx.cond(p.credit_prices != "", rx.button("Change price", variant="soft",
                                                 on_click=CreditPriceState.open_credit_price(p.integration_id))),
        rx.cond(p.seat_prices != "", rx.button("Change seat price", variant="soft",
                                               on_click=SeatPriceState.open_seat_price(p.integration_id))),
        rx.button("Disconnect", variant="soft", color_scheme="red",
                  on_click=DisconnectState.open_disconnect(p.integration_id)),
        wrap="wrap",
        spacing="2",
    )


def _connection(p: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(_status_badge(p.status, p.status_color), rx.text(p.status_meaning, size="2"), align="center",
                  spacing="2"),
        facts(
            fact("Organisation", rx.text(rx.cond(p.organization_name != "", p.organization_name, "—"), as_="span")),
            fact("Last attempt", rx.cond(p.last_sync_ago != "", relative_time(p.last_sync_ago, p.last_sync_exact,
                                                                     p.last_sync_iso),
                                         rx.text("never", as_="span", color_scheme="gray"))),
            fact("Last success", rx.cond(p.last_success_ago != "",
                                         relative_time(p.last_success_ago, p.last_success_exact, p.last_success_iso),
                                         rx.text("never", as_="span", color_scheme="gray"))),
            rx.cond(p.next_sync != "", fact("Next sync", rx.text(p.next_sync, as_="span"))),
            rx.cond(p.status != "disconnected",
                    fact("Data applies to", rx.text(p.targets.join(", "), as_="span"))),
            rx.cond(p.credit_prices != "", fact("Price per credit", rx.text(p.credit_prices, as_="span"))),
            rx.cond(p.seat_prices != "", fact("Seat prices a month", rx.text(p.seat_prices, as_="span"))),
        ),
        rx.cond(
            p.last_error != "",
            rx.callout(rx.text(rx.text(p.last_error_label, weight="bold", as_="span"), ": ", p.last_error),
                       icon="circle-alert", color_scheme="red", width="100%"),
        ),
        rx.cond(
            p.status == "disconnected",
            rx.vstack(
                rx.text("The stored key was removed; synced usage is kept. Connect again to resume syncing.",
                        size="2", color_scheme="gray"),
                rx.button(rx.icon("plug", size=14), "Connect", on_click=W.open_connect(p.key)),
                spacing="2",
            ),
            _manage_actions(p),
        ),
        spacing="3",
        width="100%",
    )


def _provider_card(p: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(p.name, size="4", as_="h3"),
                rx.cond(~p.available, rx.badge("Coming soon", color_scheme="gray", variant="soft")),
                align="center",
                spacing="2",
            ),
            rx.text(p.description, size="2", color_scheme="gray"),
            rx.cond(
                p.available,
                rx.cond(
                    p.integration_id == 0,
                    rx.vstack(
                        rx.text("Not connected yet.", size="2"),
                        rx.button(rx.icon("plug", size=14), "Connect", on_click=W.open_connect(p.key)),
                        spacing="2",
                    ),
                    _connection(p),
                ),
                rx.text("This provider will follow; it cannot be connected yet.", size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        role="region",
        aria_label=p.name,
        width="100%",
    )


def provider_cards() -> rx.Component:
    return rx.vstack(
        rx.heading("Providers", size="4", as_="h2"),
        rx.text("Several providers can be active at once. Usage is matched to people by e-mail address.",
                size="2", color_scheme="gray"),
        rx.grid(rx.foreach(S.providers, _provider_card), columns=rx.breakpoints(initial="1", lg="2"), spacing="3",
                width="100%"),
        spacing="2",
        width="100%",
    )
