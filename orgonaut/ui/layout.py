"""The app shell: navigation, tenant name, user menu; and the shared denied and not-found views."""

from __future__ import annotations

import reflex as rx
from reflex.vars import FunctionVar

from orgonaut.ui import routes
from orgonaut.ui.auth import AuthState

# Extra pieces other modules put into the top bar (scope switcher, notification bell).
TOP_BAR_EXTRAS: list = []

# Served from the top-level assets/ folder (Reflex copies it to the site root), like favicon.ico.
LOGO = "/logo.svg"


def _nav_link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label, size="2"), spacing="2", align="center"),
        href=href,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        padding_y="6px",
        padding_x="8px",
        border_radius="6px",
        width="100%",
        _hover={"background": rx.color("gray", 3)},
    )


def _brand() -> rx.Component:
    # The brand is no heading: the page title in the top bar is the one <h1>.
    return rx.link(
        rx.hstack(rx.image(src=LOGO, alt="", width="20px", height="20px"),
                  rx.text("Orgonaut", size="4", weight="bold"), align="center"),
        href=routes.PEOPLE,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def _nav() -> rx.Component:
    """The pages a user's role may open. The sidebar and the phone menu each show it, never both at once
    (the other is display:none, so out of the accessibility tree too): both are the "Main" navigation."""
    return rx.el.nav(
        rx.vstack(
            _nav_link("People", routes.PEOPLE, "users"),
            _nav_link("Teams", routes.TEAMS, "users-round"),
            _nav_link("Departments", routes.DEPARTMENTS, "building-2"),
            rx.cond(AuthState.sees_spend_overview, _nav_link("AI spend", routes.AI_SPEND, "chart-column")),
            rx.cond(AuthState.sees_spend_overview, _nav_link("Budgets", routes.AI_BUDGETS, "piggy-bank")),
            rx.cond(AuthState.sees_spend_overview, _nav_link("Idle seats", routes.AI_SEATS, "armchair")),
            rx.cond(AuthState.can_manage_ai_tooling, _nav_link("Chargeback", routes.AI_CHARGEBACK, "receipt")),
            rx.text("Settings", size="1", weight="bold", color_scheme="gray", padding_top="12px"),
            rx.cond(
                AuthState.can_manage_ai_tooling,
                _nav_link("AI Tooling", routes.AI_TOOLING_SETTINGS, "bot"),
            ),
            rx.cond(
                AuthState.can_manage_api_tokens,
                _nav_link("API tokens", routes.API_TOKENS_SETTINGS, "key-round"),
            ),
            _nav_link("Notifications", routes.NOTIFICATION_SETTINGS, "bell"),
            spacing="1",
            width="100%",
        ),
        aria_label="Main",
        width="100%",
    )


def sidebar() -> rx.Component:
    """From tablet width up: the navigation in a column on the left."""
    return rx.vstack(
        _brand(),
        rx.text(AuthState.tenant_name, size="1", color_scheme="gray"),
        rx.divider(),
        _nav(),
        # Collapsed on phones (below Radix's "sm", 768 px), where the phone bar's menu has the navigation.
        display=rx.breakpoints(initial="none", sm="flex"),
        width="220px",
        min_width="220px",
        padding="16px",
        spacing="3",
        border_right=f"1px solid {rx.color('gray', 5)}",
        # Stays in view and keeps its background however long the page is.
        position="sticky",
        top="0",
        height="100vh",
        overflow_y="auto",
        background=rx.color("gray", 2),
        data_sidebar="",
    )


def phone_bar() -> rx.Component:
    """On phones, instead of the sidebar: the brand and a Menu button that opens the navigation in a
    popover (Radix: focus moves into it, Escape closes it and gives focus back to the button)."""
    return rx.hstack(
        _brand(),
        rx.spacer(),
        rx.popover.root(
            rx.popover.trigger(rx.button(rx.icon("menu", size=16), "Menu", variant="soft", color_scheme="gray")),
            rx.popover.content(_nav(), width="240px"),
        ),
        # Only below Radix's "sm" (768 px), where the sidebar is collapsed.
        display=rx.breakpoints(initial="flex", sm="none"),
        align="center",
        width="100%",
        padding="10px 12px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", size=16),
                AuthState.user_name,
                variant="ghost",
                aria_label="User menu",
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.text(AuthState.user_email, size="1"), disabled=True),
            rx.menu.item(rx.text("Role: ", AuthState.user_role, size="1"), disabled=True),
            rx.menu.separator(),
            rx.menu.item("Log out", on_click=AuthState.logout),
            rx.menu.item("Log out everywhere", on_click=AuthState.logout_everywhere),
        ),
    )


def top_bar(title: rx.Component | str) -> rx.Component:
    heading = rx.heading(title, size="6", as_="h1") if isinstance(title, str) else title
    return rx.hstack(
        heading,
        rx.spacer(),
        *[extra() for extra in TOP_BAR_EXTRAS],
        user_menu(),
        align="center",
        width="100%",
        # On a phone the scope switcher, bell and user menu go under the title rather than off the screen.
        wrap="wrap",
        padding_bottom="12px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


MAIN_ID = "main"


# Following the link to #main scrolls there but, in this app, left focus where it was (browser test):
# focus is moved by hand, so the next Tab goes on from the content.
_FOCUS_MAIN = rx.Var(
    f"((event) => {{ event.preventDefault(); document.getElementById('{MAIN_ID}')?.focus(); }})"
).to(FunctionVar)


def skip_link() -> rx.Component:
    """The first thing Tab reaches: jumps over the navigation to the page's content (WCAG 2.4.1)."""
    return rx.el.a("Skip to content", href=f"#{MAIN_ID}", class_name="skip-link", on_click=_FOCUS_MAIN)


def shell(title: rx.Component | str, *children: rx.Component) -> rx.Component:
    """A signed-in page: navigation on the left (a menu at the top on phones), title bar and content."""
    return rx.cond(
        AuthState.signed_in,
        rx.box(
            skip_link(),
            rx.flex(
                sidebar(),
                phone_bar(),
                rx.vstack(
                    top_bar(title),
                    # tabindex -1: the skip link's target takes focus, so the next Tab starts inside it.
                    rx.el.main(rx.vstack(*children, width="100%", spacing="4"), id=MAIN_ID, tab_index=-1,
                               width="100%"),
                    padding=rx.breakpoints(initial="12px", sm="20px 28px"),
                    width="100%",
                    # A flex item is as wide as its widest content unless told it may shrink: without this a
                    # wide table would widen the page instead of scrolling in its own box.
                    min_width="0",
                    spacing="4",
                    align="start",
                ),
                direction=rx.breakpoints(initial="column", sm="row"),
                width="100%",
                align="start",
            ),
        ),
        rx.center(rx.spinner(size="3"), height="100vh"),
    )


def access_denied() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("shield-x", size=40, color=rx.color("red", 9)),
            rx.heading("You don't have access to this page", size="5", as_="h2"),
            rx.text(
                "Your role does not include the permission this page needs. "
                "Ask an owner or admin of your organisation if you need it.",
                color_scheme="gray",
            ),
            rx.link("Back to People", href=routes.PEOPLE),
            align="center",
            spacing="3",
            max_width="480px",
            text_align="center",
        ),
        padding_top="80px",
        width="100%",
    )


def guarded(content: rx.Component) -> rx.Component:
    """Content only when the page's loader said yes (`AuthState.page_allowed`); the denied view when it
    said no; a spinner before it answered."""
    return rx.cond(AuthState.page_checked, rx.cond(AuthState.page_allowed, content, access_denied()),
                   rx.center(rx.spinner(), width="100%"))


def not_found() -> rx.Component:
    return rx.el.main(rx.center(
        rx.vstack(
            rx.heading("Page not found", size="7", as_="h1"),
            rx.text("We could not find that page. It may have moved, or the link may be wrong.",
                    color_scheme="gray"),
            rx.link("Go to People", href=routes.PEOPLE),
            align="center",
            spacing="3",
        ),
        height="80vh",
    ))


def empty_state(icon: str, title: str | rx.Var[str], body: str | rx.Component, *actions: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=32, color=rx.color("gray", 9)),
            rx.text(title, weight="bold"),
            rx.text(body, color_scheme="gray", size="2") if isinstance(body, str) else body,
            *actions,
            align="center",
            spacing="2",
            text_align="center",
        ),
        padding="32px",
        width="100%",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="8px",
    )
