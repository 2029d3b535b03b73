"""The page's help from the spec's runbook ("When a sync fails", "Common issues") and the upgrade notice
for a plan without AI Tooling."""

from __future__ import annotations

import reflex as rx

from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState as S

# The spec's "Common issues", word for word, with the vendor's known gap next to "no data".
COMMON_ISSUES = [
    ("Test connection fails with 401", "Invalid or revoked Admin API key",
     "Generate a new key in the Anthropic Console"),
    ("Test connection fails with 403", "Key lacks organisation-level permissions",
     "Check key scopes in the Anthropic Console"),
    ("Sync completes but no data appears", "No Claude Code usage for the synced date",
     "Verify usage exists in the Anthropic Console usage dashboard"),
    ("Records appear as unmatched", "Actor email does not match source email",
     "Update the actor's email in Orgonaut or verify the email in Anthropic"),
    ("Costs show as $0.00", "Usage exists but Anthropic reports zero cost",
     "Check the Anthropic usage dashboard for the same period"),
]
# Cursor's rows, from its Admin API's documented errors and limits.
CURSOR_ISSUES = [
    ("Cursor: Test connection fails with 401", "Invalid or revoked Cursor Admin API key",
     "Create a new key in the Cursor dashboard (Settings → API Keys)"),
    ("Cursor: Test connection fails with 403", "Enterprise access required: the team's plan lacks the Admin API",
     "Use the key of an Enterprise team, or ask Cursor to enable the Admin API"),
    ("Cursor: sync completes but no data appears", "No Cursor usage on those days, or Cursor keeps no history "
     "that far back", "Check usage for the same days in the Cursor dashboard"),
    ("Cursor: records appear as unmatched", "The Cursor account's e-mail differs from the person's, or it is a "
     "service account", "Use for an existing person (adds the address; their own e-mail stays) or add it under "
     "Also known as on their page; service accounts stay unmatched"),
    ("Cursor: costs show as $0.00", "The usage was included in the plan, so nothing was charged",
     "Compare with the spend in the Cursor dashboard for the same days"),
    ("Cursor: syncs take minutes", "Cursor allows 20 requests a minute per team",
     "Nothing to do: syncs pace themselves below the limit and retry when Cursor says to wait"),
]
# GitHub Copilot's rows: its two 403s mean different things, and its people are logins, not e-mails.
COPILOT_ISSUES = [
    ("Copilot: Test connection fails with 401", "Invalid or revoked GitHub token",
     "Create a new token and enter it again with Replace key"),
    ("Copilot: 403 saying the Copilot usage metrics policy is off", "The organisation does not allow its Copilot "
     "usage metrics to be read", "An organisation owner enables the policy under Settings → Copilot → Policies"),
    ("Copilot: 403 saying the token may not read the metrics", "The token lacks the permission",
     "Use an owner's token with read:org (or manage_billing:copilot), or a fine-grained token with \"View "
     "Organization Copilot Metrics\""),
    ("Copilot: sync completes but a day has no data", "GitHub has no report for the day (HTTP 204), or the day "
     "is older than its year of history", "Nothing to do for a day without Copilot use; days settle within 3 days"),
    ("Copilot: logins appear as unmatched", "GitHub names people by login; only SAML single sign-on gives an "
     "e-mail", "Use for an existing person on the Unmatched list, add the login under Also known as, or upload a "
     "CSV of identities"),
    ("Copilot: costs are seat prices only", "The token may not read the billing usage (AI credits)",
     "Give the token Administration read (fine-grained) or manage_billing:copilot"),
]
NO_DATA_NOTE = (
    "Note: the Claude Code analytics report covers first-party API use; users report that claude.ai "
    "subscription seats may be missing from it, or that their analytics lag by days. If a person on a "
    "claude.ai plan shows no usage, check again in a few days and compare with the Anthropic Console."
)


def _issue_row(symptom: str, cause: str, resolution: str) -> rx.Component:
    resolution_cell = rx.table.cell(resolution)
    if symptom.startswith("Sync completes but no data"):  # Claude Code's row
        resolution_cell = rx.table.cell(rx.vstack(rx.text(resolution), rx.text(NO_DATA_NOTE, size="1",
                                                                                 color_scheme="gray")))
    return rx.table.row(rx.table.row_header_cell(symptom), rx.table.cell(cause), resolution_cell)


def help_section() -> rx.Component:
    return rx.vstack(
        rx.heading("When a sync fails", size="4", as_="h2"),
        rx.el.ol(
            rx.el.li("Review the connection status badge and the last sync time above."),
            rx.el.li("Check Recent sync logs for failed entries."),
            rx.el.li("Open View run on a failed entry for error messages, the days it affected and the "
                     "records involved."),
            rx.el.li("Re-run with Sync now (yesterday) or Backfill (older dates): both are safe to repeat."),
            padding_left="20px",
            font_size="14px",
        ),
        rx.el.section(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(c)
                                               for c in ("Symptom", "Likely cause", "Resolution")])),
                rx.table.body(*[_issue_row(*issue) for issue in (*COMMON_ISSUES, *CURSOR_ISSUES, *COPILOT_ISSUES)]),
                variant="surface",
                size="1",
                width="100%",
                min_width="640px",  # three readable columns; narrower, the box below scrolls
            ),
            aria_label="Common issues",
            # On a phone the box scrolls sideways, not Radix's area inside the table, so it can take keyboard
            # focus (axe: scrollable-region-focusable), as `tables.data_table` does.
            tab_index=0,
            overflow_x="auto",
            width="100%",
            max_width="100%",
        ),
        spacing="2",
        width="100%",
    )


def upgrade_notice() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text("AI Tooling usage sync is not part of your plan", weight="bold"),
            rx.text("Your organisation is on the ", S.plan_name, " plan. AI Tooling usage sync is available on "
                    "the ", S.plans_text, " plans: upgrade to connect Claude Code and other AI coding tools."),
            rx.text("Existing connections stay as they are; scheduled syncs are skipped until you upgrade.",
                    size="2"),
            spacing="1",
        ),
        icon="sparkles",
        color_scheme="amber",
        role="status",
        aria_label="Upgrade notice",
        width="100%",
    )
