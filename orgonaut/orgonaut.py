"""The Reflex app: theme, pages, and the REST API mount (/api/v1)."""

from __future__ import annotations

import reflex as rx

from orgonaut import wiring
from orgonaut.api.app import api_app
from orgonaut.api.security_headers import with_security_headers
from orgonaut.api.session_reference import with_session_reference
from orgonaut.ui import layout, routes
from orgonaut.ui.auth import AuthState
from orgonaut.ui.pages.ai_tooling.usage_visibility import UsageVisibilityState
from orgonaut.ui.pages.ai_tooling_settings import AiToolingSettingsState, ai_tooling_settings_page
from orgonaut.ui.pages.ai_usage_state import DepartmentUsageState, PersonUsageState, TeamUsageState
from orgonaut.ui.pages.api_tokens import ApiTokensState, api_tokens_page
from orgonaut.ui.pages.budgets import BudgetsState, budgets_page
from orgonaut.ui.pages.chargeback import ChargebackState, chargeback_page
from orgonaut.ui.pages.department import DepartmentState, department_page
from orgonaut.ui.pages.department_breakdown import DepartmentBreakdownState
from orgonaut.ui.pages.departments import DepartmentsState, departments_page
from orgonaut.ui.pages.idle_seats import IdleSeatsState, idle_seats_page
from orgonaut.ui.pages.login import login_page
from orgonaut.ui.pages.notification_settings import NotificationSettingsState, notification_settings_page
from orgonaut.ui.pages.notifications import NotificationsState, notifications_page
from orgonaut.ui.pages.overview import SpendOverviewState, spend_overview_page
from orgonaut.ui.pages.people import PeopleState, people_page
from orgonaut.ui.pages.person import PersonState, person_page
from orgonaut.ui.pages.team import TeamState, team_page
from orgonaut.ui.pages.teams import TeamsState, teams_page

# Org events -> usage re-matching and rollup refreshes: a person added or an e-mail changed on a page
# matches that e-mail's usage at once, as in the worker and the CLI.
wiring.install()

app = rx.App(
    theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium", appearance="light"),
    # Contrast fixes over Radix Themes and the skip link's style (assets/a11y.css).
    stylesheets=["/a11y.css"],
    # The REST API: its routes (/api/v1/...) are matched before Reflex's own; then security headers on
    # every answer, pages and API alike.
    api_transformer=[api_app, with_security_headers, with_session_reference],
    # Bottom left, over the navigation: bottom right covered the tables' last column (View run, row actions).
    toaster=rx.toast.provider(position="bottom-left"),
)

app.add_page(login_page, route=routes.LOGIN, title="Log in · Orgonaut", on_load=AuthState.redirect_if_signed_in)
app.add_page(lambda: rx.center(rx.spinner(), height="100vh"), route=routes.HOME, title="Orgonaut",
             on_load=AuthState.go_home)
app.add_page(lambda: layout.shell("Access denied", layout.access_denied()), route=routes.ACCESS_DENIED,
             title="Access denied · Orgonaut", on_load=AuthState.require_login)
app.add_page(layout.not_found, route="404", title="Page not found · Orgonaut")
app.add_page(people_page, route=routes.PEOPLE, title="People · Orgonaut",
             on_load=[AuthState.require_login, PeopleState.load])
app.add_page(person_page, route=routes.PERSON, title=PersonState.tab_title,
             on_load=[AuthState.require_login, PersonState.load, PersonUsageState.load])
app.add_page(teams_page, route=routes.TEAMS, title="Teams · Orgonaut",
             on_load=[AuthState.require_login, TeamsState.load])
app.add_page(team_page, route=routes.TEAM, title=TeamState.tab_title,
             on_load=[AuthState.require_login, TeamState.load, TeamUsageState.load])
app.add_page(departments_page, route=routes.DEPARTMENTS, title="Departments · Orgonaut",
             on_load=[AuthState.require_login, DepartmentsState.load])
app.add_page(department_page, route=routes.DEPARTMENT, title=DepartmentState.tab_title,
             on_load=[AuthState.require_login, DepartmentState.load, DepartmentUsageState.load,
                      DepartmentBreakdownState.load])
app.add_page(spend_overview_page, route=routes.AI_SPEND, title="AI spend · Orgonaut",
             on_load=[AuthState.require_login, SpendOverviewState.load])
app.add_page(budgets_page, route=routes.AI_BUDGETS, title="Budgets · Orgonaut",
             on_load=[AuthState.require_login, BudgetsState.load])
app.add_page(chargeback_page, route=routes.AI_CHARGEBACK, title="Chargeback · Orgonaut",
             on_load=[AuthState.require_login, ChargebackState.load])
app.add_page(idle_seats_page, route=routes.AI_SEATS, title="Idle seats · Orgonaut",
             on_load=[AuthState.require_login, IdleSeatsState.load])
app.add_page(ai_tooling_settings_page, route=routes.AI_TOOLING_SETTINGS, title="AI Tooling · Orgonaut",
             on_load=[AuthState.require_login, AiToolingSettingsState.load, UsageVisibilityState.load])
app.add_page(notifications_page, route=routes.NOTIFICATIONS, title="Notifications · Orgonaut",
             on_load=[AuthState.require_login, NotificationsState.load])
app.add_page(notification_settings_page, route=routes.NOTIFICATION_SETTINGS,
             title="Notification settings · Orgonaut",
             on_load=[AuthState.require_login, NotificationSettingsState.load])
app.add_page(api_tokens_page, route=routes.API_TOKENS_SETTINGS, title="API tokens · Orgonaut",
             on_load=[AuthState.require_login, ApiTokensState.load])
