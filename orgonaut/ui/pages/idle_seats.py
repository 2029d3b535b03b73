"""/ai-tooling/seats ("Idle seats"): paid seats nobody used in the last N days (`?days=`, default 30), with
what each costs a month and the total that could be reclaimed, as `spend.idle_seats` finds them (the REST
API's too). Owners and admins see everyone's, managers the people they see (`org.visibility`); members and
viewers are told the page is not theirs. The table downloads as CSV.
"""

from __future__ import annotations

import csv
import dataclasses
import io

import reflex as rx

from orgonaut.ai_tooling import seats
from orgonaut.ai_tooling.providers.registry import display_name
from orgonaut.db import session_scope
from orgonaut.errors import ValidationFailed
from orgonaut.org import visibility
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import idle_seats
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Ability, UsageReach
from orgonaut.ui import layout, routes
from orgonaut.ui.auth import AuthState
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.spend_text import plain_usd

TITLE = "Idle seats"
NOT_FOR_YOU = "Idle seats are shown to managers, admins and owners."
WINDOWS = ("14", "30", "60", "90")
CSV_HEADER = ["person", "email", "provider", "plan", "last_used", "seat_cost_last_30_days_usd"]
NO_PRICE = "price not set"


@dataclasses.dataclass
class SeatRow:
    name: str = ""
    url: str = ""
    provider: str = ""
    plan: str = ""
    last_used: str = ""
    cost: str = ""


def seat_row(seat: idle_seats.IdleSeat) -> SeatRow:
    return SeatRow(name=seat.name, url=routes.person_url(seat.actor_id), provider=display_name(seat.provider),
                   plan=seat.plan.capitalize(), last_used=f"{seat.last_used:%-d %b %Y}" if seat.last_used else "never",
                   cost=NO_PRICE if seat.monthly_cost_cents is None else format_usd(seat.monthly_cost_cents))


def seats_csv(seats: list[idle_seats.IdleSeat]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for s in seats:
        writer.writerow([s.name, s.email, s.provider, s.plan, s.last_used.isoformat() if s.last_used else "",
                         "" if s.monthly_cost_cents is None else plain_usd(s.monthly_cost_cents)])
    return out.getvalue()


class IdleSeatsState(AuthState):
    loaded: bool = False
    note: str = ""
    days: str = str(idle_seats.DEFAULT_DAYS)
    rows: list[SeatRow] = []
    total: str = ""
    unpriced_note: str = ""
    can_read_seats: bool = False
    read_note: str = ""
    csv_filename: str = ""
    _seats: list[idle_seats.IdleSeat] = []

    @rx.event
    def load(self):
        self.loaded, self.note, self.rows, self.total, self._seats = False, "", [], "", []
        self.unpriced_note, self.read_note = "", ""
        user = self._guard(Ability.costs_read)
        self.loaded = True
        if user is None:
            return
        self.can_read_seats = tenancy.can(user, Ability.ai_tooling_manage)
        asked = str(self.router.url.query_parameters.get("days", "")).strip()
        with session_scope() as session:
            viewer = visibility.viewer_for(session=session, user=user, scenario_id=None)
            if viewer.reach not in (UsageReach.everyone, UsageReach.scope):
                self.note = viewer.plan_refusal or NOT_FOR_YOU
                return
            try:
                days = idle_seats.parse_days(asked or None)
            except ValidationFailed:
                days = idle_seats.DEFAULT_DAYS  # a link with a bad window shows the default one
            today = tenant_today(session=session, tenant_id=user.tenant_id)
            self._seats = idle_seats.find(session=session, tenant_id=user.tenant_id, viewer=viewer, days=days,
                                          today=today)
        self.days = str(days)
        self.rows = [seat_row(s) for s in self._seats]
        self.total = format_usd(idle_seats.total_cents(self._seats))
        unpriced = idle_seats.unpriced(self._seats)
        if unpriced:
            self.unpriced_note = (f"{unpriced} idle seat{'s' if unpriced > 1 else ''} without a price (not in the "
                                  "total): enter the seat price with \"Replace key\" on the AI tooling settings page.")
        self.csv_filename = f"idle-seats-{days}-days-{today.isoformat()}.csv"

    @rx.event
    def choose_days(self, value: str):
        if value in WINDOWS:
            return rx.redirect(f"{routes.AI_SEATS}?days={value}")
        return None

    @rx.event
    def read_seats(self):
        """Owners and admins: read every connection's seat list now (a worker does it; beat does it nightly)."""
        user = self._require(Ability.ai_tooling_manage)
        if user is None:
            return
        seats.queue_refresh(tenant_id=user.tenant_id)
        self.read_note = "Reading the seat lists from the vendors: reload the page in a minute."

    @rx.event
    def download(self):
        if not self._seats:
            return None
        return rx.download(data=seats_csv(self._seats), filename=self.csv_filename, mime_type="text/csv")


def _row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(r.name, href=r.url)), rx.table.cell(r.provider), rx.table.cell(r.plan),
        rx.table.cell(r.last_used), rx.table.cell(r.cost),
    )


def _content() -> rx.Component:
    state = IdleSeatsState
    return rx.vstack(
        rx.hstack(
            rx.el.label("Unused for", html_for="idle-days", font_size="14px"),
            rx.el.select(rx.foreach(list(WINDOWS), lambda d: rx.el.option(d + " days", value=d)), id="idle-days",
                         value=state.days, on_change=state.choose_days),
            rx.spacer(),
            rx.cond(state.can_read_seats, rx.button(rx.icon("refresh-cw", size=14), "Read seats now", variant="soft",
                                                    size="1", on_click=state.read_seats)),
            rx.button(rx.icon("download", size=14), "Download CSV", variant="soft", size="1", on_click=state.download,
                      disabled=state.rows.length() == 0),
            width="100%", align="center", wrap="wrap",
        ),
        rx.text("People who hold a seat, have had it the whole window, and used it on none of its days. Seats are "
                "known for GitHub Copilot (its daily report lists every seat holder), Cursor (the team's members) and "
                "Claude Enterprise (its users), read from each vendor nightly.", size="1", color_scheme="gray"),
        rx.cond(state.read_note != "", rx.text(state.read_note, size="1", role="status")),
        rx.cond(
            state.rows.length() > 0,
            rx.vstack(
                rx.text("Could be reclaimed: ", rx.text.strong(state.total, id="idle-total"), " a month", size="3"),
                rx.cond(state.unpriced_note != "", rx.text(state.unpriced_note, size="1", color_scheme="amber")),
                data_table("Idle seats", ["Person", "Provider", "Plan", "Last used", "Seat cost, last 30 days"],
                           state.rows, _row),
                width="100%", spacing="2",
            ),
            layout.empty_state("armchair", "No idle seats", "Every seat was used in this window."),
        ),
        width="100%",
        spacing="3",
    )


def idle_seats_page() -> rx.Component:
    state = IdleSeatsState
    return layout.shell(
        page_title(TITLE),
        layout.guarded(rx.cond(
            state.loaded,
            rx.cond(state.note != "", rx.callout(state.note, icon="eye-off", color_scheme="gray", role="note",
                                                 width="100%"), _content()),
            rx.center(rx.spinner(), width="100%"),
        )),
    )
