"""The AI Tooling sections of the person, team and department pages: cards, the cost trend with its
range selector, the person's activity chart and the team's member table. Their states, and what the
numbers are, are `ai_usage_state.py`.
"""

from __future__ import annotations

import reflex as rx

from orgonaut.ui import routes
from orgonaut.ui.components import charts
from orgonaut.ui.components.pager import pager
from orgonaut.ui.components.segmented import segmented_item
from orgonaut.ui.components.usage_cards import attribution_note, card_grid, freshness
from orgonaut.ui.pages.ai_usage_state import DepartmentUsageState, PersonUsageState, TeamUsageState, UnitMixin
from orgonaut.ui.pages.usage_filters import ProviderMixin, RangeMixin
from orgonaut.ui.pages.usage_views import MEMBER_COLUMNS

SECTION = "AI Tooling Usage"


def _trend(state: type[RangeMixin], chart_id: str, title: str, extra: rx.Component | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading(title, size="3", as_="h3"),
                    rx.text(state.range_period, " · ", state.range_total, size="1", color_scheme="gray",
                            aria_label="Range total"),
                    spacing="0",
                ),
                rx.spacer(),
                charts.range_selector(state.chosen_range, state.choose_range, "Range"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            charts.chart(
                state.cost_figure, state.has_cost, chart_id=chart_id, label=title,
                empty_title="No usage in this range",
                empty_body="Nothing was spent on AI tools in these days. Pick a longer range to see earlier usage.",
            ),
            rx.cond(state.has_cost, rx.fragment(
                rx.cond(state.chart_note != "", rx.text(state.chart_note, size="1", color_scheme="gray")),
                charts.table_alternative(state.cost_table, f"{title} as a table", f"{chart_id}-table",
                                         (("Period", "period"), ("Cost", "cost"))),
            )),
            extra if extra is not None else rx.fragment(),
            width="100%",
            spacing="3",
        ),
        width="100%",
    )


def _provider_filter(state: type[ProviderMixin]) -> rx.Component:
    """"All tools" and each offered provider (radio items named by their text), when there are two or more
    providers; and the notice when the link named a provider that is not offered."""
    return rx.fragment(
        rx.cond(
            state.provider_choices.length() > 2,
            rx.segmented_control.root(
                rx.foreach(state.provider_choices,
                           lambda choice: segmented_item(choice.label, choice.value)),
                value=state.chosen_provider,
                on_change=state.choose_provider,
                aria_label="AI tool",
                size="1",
            ),
        ),
    )


def _provider_notice(state: type[ProviderMixin]) -> rx.Component:
    return rx.cond(
        state.provider_notice != "",
        rx.callout(state.provider_notice, icon="info", color_scheme="amber", role="status", size="1", width="100%"),
    )


def _section(state: type[ProviderMixin] | None, title_extra: rx.Component, *children: rx.Component) -> rx.Component:
    """The section with its heading; with the provider filter of `state` (None: no numbers, no filter)."""
    return rx.el.section(
        rx.vstack(
            rx.hstack(rx.heading(SECTION, size="4", as_="h2"), title_extra, rx.spacer(),
                      _provider_filter(state) if state is not None else rx.fragment(),
                      align="center", spacing="3", width="100%", wrap="wrap"),
            _provider_notice(state) if state is not None else rx.fragment(),
            *children,
            width="100%",
            spacing="3",
        ),
        aria_label=SECTION,
        width="100%",
    )


def _hidden(note: rx.Var) -> rx.Component:
    """In place of the numbers the signed-in user may not see: why (the org structure stays)."""
    return _section(
        None,
        rx.fragment(),
        rx.callout(note, icon="eye-off", color_scheme="gray", size="1", role="note", width="100%"),
    )


def person_usage_section(person_id: rx.Var) -> rx.Component:
    """Hidden when the person has no usage, and busy (showing nothing) until it is loaded for `person_id`."""
    state = PersonUsageState
    activity = rx.vstack(
        rx.heading("Activity", size="3", as_="h3"),
        charts.chart(
            state.activity_figure, state.has_activity, chart_id="person-activity", label="Activity",
            empty_title=rx.cond(state.activity_reported, "No activity in this range", "Activity not reported"),
            empty_body=rx.text(state.activity_empty, color_scheme="gray", size="2"),
        ),
        rx.cond(state.has_activity, charts.table_alternative(
            state.activity_table, "Activity as a table", "person-activity-table",
            (("Period", "period"), ("Sessions", "sessions"), ("Commits", "commits"),
             ("Pull requests", "pull_requests")))),
        width="100%",
        spacing="2",
    )
    loaded = state.loaded_for == person_id.to_string()
    return rx.el.div(
        rx.cond(
            state.has_usage & loaded,
            _section(
                state,
                rx.fragment(),
                rx.foreach(state.anomaly_notes, lambda note: rx.callout(
                    note, icon="triangle-alert", color_scheme="amber", size="1", role="status", width="100%")),
                card_grid(state.cards, "AI Tooling usage summary"),
                _trend(state, "person-cost-trend", "Cost", activity),
            ),
            rx.cond((state.hidden_note != "") & loaded, _hidden(state.hidden_note)),
        ),
        id="ai-tooling-usage",
        aria_busy=~loaded,
        width="100%",
    )


def _sort_header(key: str, label: str) -> rx.Component:
    state = TeamUsageState
    active = state.sort_column == key
    icon = rx.cond(active, rx.cond(state.sort_descending, "arrow-down", "arrow-up"), "chevrons-up-down")
    return rx.table.column_header_cell(
        rx.button(
            label,
            rx.icon(icon, size=12),
            variant="ghost",
            size="1",
            color_scheme="gray",
            high_contrast=active,
            on_click=state.sort_by(key),
        ),
        aria_sort=state.aria_sorts[key],
    )


def _member_row(m: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(m.name, href=m.url)),
        rx.table.cell(m.cost),
        rx.table.cell(m.sessions),
        rx.table.cell(m.commits),
        rx.table.cell(m.pull_requests),
        rx.table.cell(m.lines_added),
    )


def _totals_row(t: rx.Var) -> rx.Component:
    cell = {"style": {"font_weight": "600"}}
    return rx.el.tfoot(rx.table.row(
        rx.table.row_header_cell(t.name, **cell), rx.table.cell(t.cost, **cell), rx.table.cell(t.sessions, **cell),
        rx.table.cell(t.commits, **cell), rx.table.cell(t.pull_requests, **cell), rx.table.cell(t.lines_added, **cell),
    ))


def _members_table() -> rx.Component:
    """Per-person rows only for those who may see this team's people; otherwise why not."""
    state = TeamUsageState
    return rx.cond(
        state.show_members,
        _members_table_rows(),
        rx.cond(state.members_note != "", rx.callout(state.members_note, icon="eye-off", color_scheme="gray",
                                                    size="1", role="note", width="100%")),
    )


def _members_table_rows() -> rx.Component:
    state = TeamUsageState
    return rx.vstack(
        rx.heading("Usage by member", size="3", as_="h3"),
        rx.text("People placed directly in this team during ", state.range_period, ".", size="1",
                color_scheme="gray"),
        rx.cond(
            state.member_rows.length() > 0,
            rx.el.section(
                rx.table.root(
                    rx.table.header(rx.table.row(*[_sort_header(key, label) for key, label in MEMBER_COLUMNS])),
                    rx.table.body(rx.foreach(state.member_rows, _member_row)),
                    _totals_row(state.member_totals),
                    variant="surface",
                    size="1",
                    width="100%",
                ),
                aria_label="Usage by member",
                width="100%",
            ),
            rx.text("Nobody was placed in this team in these days.", size="2", color_scheme="gray"),
        ),
        rx.cond(state.member_rows.length() > 0, pager(state.members_pager, "Usage by member")),
        rx.cond(state.members_left_out_text != "",
                rx.text(state.members_left_out_text, size="1", color_scheme="gray")),
        width="100%",
        spacing="2",
    )


def _unit_section(
    state: type[UnitMixin], shown_unit_id: rx.Var, chart_id: str, title: str, *extra: rx.Component
) -> rx.Component:
    return rx.cond(
        state.found_unit & (state.unit_id == shown_unit_id),
        _section(
            state,
            freshness(state.refresh_pending, state.updated),
            rx.cond(state.scope_note != "", rx.callout(state.scope_note, icon="git-branch", color_scheme="indigo",
                                                       role="note", width="100%")),
            card_grid(state.cards, "AI Tooling usage summary"),
            rx.cond(state.budget_text != "", _budget(state, f"{chart_id}-budget")),
            _trend(state, chart_id, title),
            *extra,
            attribution_note(),
        ),
        rx.cond((state.hidden_note != "") & (state.hidden_unit_id == shown_unit_id), _hidden(state.hidden_note)),
    )


def _budget(state: type[UnitMixin], chart_id: str) -> rx.Component:
    """This month's budget of the unit: the sentence and the burn-down (spent, forecast, budget line)."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading("Budget this month", size="3", as_="h3"), rx.spacer(),
                      rx.link("All budgets", href=routes.AI_BUDGETS, size="2"), width="100%"),
            rx.text(state.budget_text, size="2"),
            charts.chart(state.budget_figure, state.budget_text != "", chart_id=chart_id, label="Budget burn-down",
                         empty_title="", empty_body=""),
            width="100%",
        ),
        width="100%",
    )


def team_usage_section(team_id: rx.Var) -> rx.Component:
    """For the team the page shows (`team_id`); nothing while the numbers are still another team's."""
    return _unit_section(TeamUsageState, team_id, "team-cost-trend", "Team cost trend", _members_table())


def department_usage_section(department_id: rx.Var) -> rx.Component:
    """For the department the page shows; nothing while the numbers are still another department's."""
    return _unit_section(DepartmentUsageState, department_id, "department-cost-trend", "Subtree cost trend")
