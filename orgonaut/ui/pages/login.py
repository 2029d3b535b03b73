"""/login: e-mail and password, one generic message on failure."""

from __future__ import annotations

import reflex as rx

from orgonaut.ui.auth import AuthState
from orgonaut.ui.components.forms import invalid_when

LOGIN_ERROR_ID = "login-error"


def login_page() -> rx.Component:
    return rx.el.main(rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(rx.icon("orbit", size=24), rx.heading("Sign in to Orgonaut", size="5", as_="h1"),
                              align="center"),
                    rx.el.label("Email", html_for="email", font_size="14px"),
                    rx.input(id="email", name="email", type="email", required=True, width="100%",
                             auto_complete="username", placeholder="you@company.com",
                             **invalid_when(AuthState.login_error, LOGIN_ERROR_ID)),
                    rx.el.label("Password", html_for="password", font_size="14px"),
                    rx.input(id="password", name="password", type="password", required=True, width="100%",
                             auto_complete="current-password",
                             **invalid_when(AuthState.login_error, LOGIN_ERROR_ID)),
                    rx.cond(
                        AuthState.login_error != "",
                        rx.callout(AuthState.login_error, icon="triangle-alert", color_scheme="red",
                                   role="alert", width="100%", id=LOGIN_ERROR_ID),
                    ),
                    rx.button("Log in", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AuthState.login,
                reset_on_submit=False,
            ),
            width="360px",
            max_width="calc(100vw - 24px)",
            padding="24px",
        ),
        height="100vh",
        background=rx.color("gray", 2),
    ))
