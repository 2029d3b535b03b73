"""/login: e-mail and password, one generic message on failure."""

from __future__ import annotations

import reflex as rx

from orgonaut.ui.auth import AuthState


def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(rx.icon("orbit", size=24), rx.heading("Sign in to Orgonaut", size="5", as_="h1"),
                              align="center"),
                    rx.el.label("Email", html_for="email", font_size="14px"),
                    rx.input(id="email", name="email", type="email", required=True, width="100%",
                             auto_complete="username", placeholder="you@company.com"),
                    rx.el.label("Password", html_for="password", font_size="14px"),
                    rx.input(id="password", name="password", type="password", required=True, width="100%",
                             auto_complete="current-password"),
                    rx.cond(
                        AuthState.login_error != "",
                        rx.callout(AuthState.login_error, icon="triangle-alert", color_scheme="red",
                                   role="alert", width="100%"),
                    ),
                    rx.button("Log in", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AuthState.login,
                reset_on_submit=False,
            ),
            width="360px",
            padding="24px",
        ),
        height="100vh",
        background=rx.color("gray", 2),
    )
