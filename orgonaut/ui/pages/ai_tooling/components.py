"""The AI Tooling settings page's pieces: provider cards, the connect wizard, manage dialogs, sync logs,
View run, unmatched e-mails and the help from the spec's runbook."""

from __future__ import annotations

import reflex as rx

from orgonaut.org.models import ActorKind
from orgonaut.ui import layout
from orgonaut.ui.components.panels import fact, facts
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.pages.ai_tooling.state import API_KEY_ACTOR
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
NO_DATA_NOTE = (
    "Note: the Claude Code analytics report covers first-party API use; users report that claude.ai "
    "subscription seats may be missing from it, or that their analytics lag by days. If a person on a "
    "claude.ai plan shows no usage, check again in a few days and compare with the Anthropic Console."
)


def _field(label: str, field_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=field_id, font_size="14px", font_weight="500"), control,
                     spacing="1", width="100%")


def _error(message: rx.Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
    )


def _cancel(label: str = "Cancel") -> rx.Component:
    return rx.dialog.close(rx.button(label, type="button", variant="soft", color_scheme="gray"))


def _time(ago: rx.Var[str], exact: rx.Var[str], iso: rx.Var[str]) -> rx.Component:
    """ "3 hours ago", with the exact time in the tenant's zone on hover."""
    return rx.el.time(ago, date_time=iso, title=exact, cursor="help",
                      border_bottom=f"1px dotted {rx.color('gray', 8)}")


# --- provider cards ---------------------------------------------------------------------------


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
                          on_click=S.open_backfill(p.integration_id)),
                rx.button("Pause", variant="soft", color_scheme="amber", on_click=S.pause(p.integration_id)),
            ),
        ),
        rx.cond(
            p.status == "paused",
            rx.button(rx.icon("play", size=14), "Resume", color_scheme="green", on_click=S.resume(p.integration_id)),
        ),
        rx.button("Edit targeting", variant="soft", on_click=S.open_targeting(p.integration_id)),
        rx.button("Test connection", variant="soft", loading=S.testing_stored,
                  on_click=S.test_stored_connection(p.integration_id)),
        rx.button("Replace key", variant="soft", on_click=S.open_replace_key(p.integration_id)),
        rx.button("Disconnect", variant="soft", color_scheme="red", on_click=S.open_disconnect(p.integration_id)),
        wrap="wrap",
        spacing="2",
    )


def _connection(p: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(_status_badge(p.status, p.status_color), rx.text(p.status_meaning, size="2"), align="center",
                  spacing="2"),
        facts(
            fact("Organisation", rx.text(rx.cond(p.organization_name != "", p.organization_name, "—"), as_="span")),
            fact("Last sync", rx.cond(p.last_sync_ago != "", _time(p.last_sync_ago, p.last_sync_exact,
                                                                  p.last_sync_iso),
                                      rx.text("never", as_="span", color_scheme="gray"))),
            rx.cond(p.status != "disconnected",
                    fact("Data applies to", rx.text(p.targets.join(", "), as_="span"))),
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
                rx.button(rx.icon("plug", size=14), "Connect", on_click=S.open_connect(p.key)),
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
                rx.heading(p.name, size="4"),
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
                        rx.button(rx.icon("plug", size=14), "Connect", on_click=S.open_connect(p.key)),
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
        rx.heading("Providers", size="4"),
        rx.text("Several providers can be active at once. Usage is matched to people by e-mail address.",
                size="2", color_scheme="gray"),
        rx.grid(rx.foreach(S.providers, _provider_card), columns=rx.breakpoints(initial="1", lg="2"), spacing="3",
                width="100%"),
        spacing="2",
        width="100%",
    )


# --- targets (wizard step 2 and Edit targeting) -----------------------------------------------------


def _scenario_checkbox(option: rx.Var) -> rx.Component:
    return rx.checkbox(
        option.label,
        checked=S.target_scenarios.contains(option.value),
        on_change=lambda checked: S.toggle_target_scenario(option.value, checked),
    )


def targets_fields() -> rx.Component:
    return rx.vstack(
        rx.checkbox("Live Baseline", checked=S.target_baseline, on_change=S.set_target_baseline),
        rx.el.fieldset(
            rx.el.legend(rx.text("Active scenarios", size="2", weight="medium")),
            rx.cond(
                S.scenario_options.length() > 0,
                rx.vstack(rx.foreach(S.scenario_options, _scenario_checkbox), spacing="2", padding_top="4px"),
                rx.text("There are no active scenarios.", size="2", color_scheme="gray"),
            ),
            border="none",
            padding="0",
            margin="0",
        ),
        rx.checkbox("All future scenarios", checked=S.target_all_future, on_change=S.set_target_all_future),
        rx.text("Archived scenarios and snapshots are read-only and never receive usage. Choose at least one.",
                size="1", color_scheme="gray"),
        spacing="3",
        width="100%",
    )


# --- the wizard -------------------------------------------------------------------------------


def _key_step() -> rx.Component:
    return rx.form(
        rx.vstack(
            _field(
                "Admin API key", "ai-tooling-api-key",
                # Uncontrolled: bound to no state var; read from the submit data, reset by the form.
                rx.input(id="ai-tooling-api-key", name="api_key", type="password", auto_complete="off",
                         spell_check=False, placeholder="sk-ant-admin…", width="100%"),
            ),
            rx.text(S.wizard_key_hint, " The key needs organisation-level read access for usage reports.",
                    size="1", color_scheme="gray"),
            _error(S.key_error),
            rx.hstack(_cancel(), rx.button("Next", type="submit"), justify="end", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.submit_key,
        reset_on_submit=True,
    )


def _targets_step() -> rx.Component:
    return rx.vstack(
        rx.text("Where does incoming usage data apply?", size="2"),
        targets_fields(),
        _error(S.targets_error),
        rx.hstack(
            rx.button("Back", variant="soft", color_scheme="gray", on_click=S.use_another_key),
            rx.spacer(),
            _cancel(),
            rx.button("Next", on_click=S.submit_targets),
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _test_step() -> rx.Component:
    return rx.vstack(
        rx.text("Test connection checks the key against the Anthropic API (GET /v1/organizations/me). "
                "Save is enabled once the test succeeds.", size="2"),
        rx.button(rx.icon("plug-zap", size=14), "Test connection", variant="outline", loading=S.test_running,
                  on_click=S.test_pending_key),
        rx.cond(
            S.test_ok,
            rx.callout(rx.text("Connection OK. Organisation: ", rx.text(S.test_org_name, weight="bold", as_="span")),
                       icon="circle-check", color_scheme="green", role="status", width="100%"),
        ),
        rx.cond(
            S.test_error != "",
            rx.callout(S.test_error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
        ),
        _error(S.save_error),
        rx.hstack(
            rx.button("Use another key", variant="soft", color_scheme="gray", on_click=S.use_another_key),
            rx.cond(S.wizard_mode == "connect",
                    rx.button("Back", variant="soft", color_scheme="gray", on_click=S.back_to_targets)),
            rx.spacer(),
            _cancel(),
            rx.button("Save", disabled=~S.can_save, loading=S.saving, on_click=S.save_wizard),
            width="100%",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def backfill_form(cancel: rx.Component, prefix: str) -> rx.Component:
    """Start and end date; the service's refusal (empty, end before start, future) shows under them."""
    return rx.form(
        rx.vstack(
            rx.hstack(
                _field("Start date", f"{prefix}-start",
                       rx.input(id=f"{prefix}-start", name="start", type="date",
                                default_value=S.backfill_start_default)),
                _field("End date", f"{prefix}-end",
                       rx.input(id=f"{prefix}-end", name="end", type="date", default_value=S.backfill_end_default)),
                spacing="3",
                width="100%",
            ),
            _error(S.backfill_error),
            rx.text(S.backfill_note, size="1", color_scheme="gray"),
            rx.hstack(cancel, rx.button("Run backfill", type="submit"), justify="end", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.run_backfill,
        reset_on_submit=False,
        no_validate=True,
    )


def _saved_step() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.text(S.wizard_provider_name, " is connected to ", rx.text(S.saved_org_name, weight="bold", as_="span"),
                    ". Nightly sync is on; the key is stored encrypted and will not be shown again."),
            icon="circle-check", color_scheme="green", role="status", width="100%",
        ),
        rx.heading("Import history now?", size="3"),
        rx.text("A backfill imports usage from before today. You can also start one later.", size="2"),
        backfill_form(rx.button("Not now", type="button", variant="soft", color_scheme="gray",
                                on_click=S.skip_backfill), "wizard-backfill"),
        spacing="3",
        width="100%",
    )


def wizard_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.wizard_mode == "replace", "Replace the API key of ",
                                    "Connect "), S.wizard_provider_name),
            rx.dialog.description(S.wizard_step_text, size="2", color_scheme="gray"),
            rx.box(
                rx.match(
                    S.wizard_step,
                    ("key", _key_step()),
                    ("targets", _targets_step()),
                    ("test", _test_step()),
                    ("saved", _saved_step()),
                    rx.fragment(),
                ),
                padding_top="12px",
            ),
            max_width="560px",
        ),
        open=S.wizard_open,
        on_open_change=S.set_wizard_open,
    )


# --- manage dialogs ---------------------------------------------------------------------------


def backfill_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Backfill"),
            rx.dialog.description("Import usage for a historical date range. Re-running a range is safe: "
                                  "records are updated, never duplicated.", size="2", color_scheme="gray"),
            rx.box(backfill_form(_cancel(), "backfill"), padding_top="12px"),
            max_width="520px",
        ),
        open=S.backfill_open,
        on_open_change=S.set_backfill_open,
    )


def targeting_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit targeting"),
            rx.dialog.description("Where incoming usage data applies, from the next sync on.", size="2",
                                  color_scheme="gray"),
            rx.vstack(
                targets_fields(),
                _error(S.targeting_error),
                rx.hstack(_cancel(), rx.button("Save targeting", on_click=S.save_targeting), justify="end",
                          width="100%"),
                spacing="3",
                padding_top="12px",
            ),
            max_width="520px",
        ),
        open=S.targeting_open,
        on_open_change=S.set_targeting_open,
    )


def disconnect_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Disconnect ", S.disconnect_name, "?"),
            rx.alert_dialog.description(
                "Syncing stops and the stored API key is removed. Usage already synced is kept, and you can "
                "connect again later.", size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Disconnect", color_scheme="red", on_click=S.confirm_disconnect)),
                justify="end",
                spacing="2",
                padding_top="12px",
            ),
            max_width="460px",
        ),
        open=S.disconnect_open,
        on_open_change=S.set_disconnect_open,
    )


# --- sync logs --------------------------------------------------------------------------------


def _run_status(status: rx.Var[str], color: rx.Var[str]) -> rx.Component:
    return rx.badge(status, color_scheme=color, variant="soft")


def _log_row(log: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(log.kind, rx.text(log.provider_name, size="1", color_scheme="gray")),
        rx.table.cell(log.window),
        rx.table.cell(
            rx.vstack(
                _run_status(log.status, log.status_color),
                rx.cond(
                    log.active,
                    rx.vstack(
                        rx.progress(value=log.progress, max=100, width="120px",
                                    aria_label="Progress of run " + log.id.to(str)),
                        rx.text(log.progress_text, size="1"),
                        spacing="1",
                    ),
                ),
                spacing="1",
            ),
        ),
        rx.table.cell(log.fetched),
        rx.table.cell(log.matched),
        rx.table.cell(log.unmatched),
        rx.table.cell(log.duration),
        rx.table.cell(log.triggered_by),
        rx.table.cell(_time(log.when_ago, log.when_exact, log.when_iso)),
        rx.table.cell(rx.button("View run", size="1", variant="soft", on_click=S.open_run(log.id),
                                aria_label="View run " + log.id.to(str))),
        data_run=log.id,
    )


def sync_logs() -> rx.Component:
    return rx.vstack(
        rx.heading("Recent sync logs", size="4"),
        rx.cond(
            S.logs.length() > 0,
            data_table(
                "Recent sync logs",
                ["Kind", "Window", "Status", "Fetched", "Matched", "Unmatched", "Duration", "Triggered by", "When",
                 ""],
                S.logs,
                _log_row,
            ),
            layout.empty_state("history", "No sync runs yet",
                               "Runs appear here after the first nightly sync, a Sync now or a backfill."),
        ),
        spacing="2",
        width="100%",
    )


# --- View run ---------------------------------------------------------------------------------


def _error_row(e: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e.date), rx.table.cell(e.kind), rx.table.cell(e.message), rx.table.cell(e.http_status),
        rx.table.cell(rx.code(e.request_id, size="1")), rx.table.cell(e.attempt), rx.table.cell(e.at),
    )


def _day_row(d: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(d.date),
        rx.table.cell(rx.badge(d.result, color_scheme=d.color, variant="soft")),
        rx.table.cell(d.errors),
        rx.table.cell(d.note),
    )


def _chips(items: rx.Var[list[str]]) -> rx.Component:
    return rx.flex(rx.foreach(items, lambda item: rx.code(item, size="1")), wrap="wrap", gap="4px")


def run_dialog() -> rx.Component:
    run = S.run
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Run ", run.id.to(str), ": ", run.kind, " ", run.window),
            rx.dialog.description(run.provider_name, " · triggered by ", run.triggered_by, size="2",
                                  color_scheme="gray"),
            rx.scroll_area(
                rx.vstack(
                    facts(
                        fact("Status", _run_status(run.status, run.status_color)),
                        fact("Days", rx.text(run.progress_text, as_="span")),
                        fact("Fetched", rx.text(run.fetched, as_="span")),
                        fact("Stored", rx.text(run.stored, as_="span")),
                        fact("Matched", rx.text(run.matched, as_="span")),
                        fact("Unmatched", rx.text(run.unmatched, as_="span")),
                        fact("Duration", rx.text(run.duration, as_="span")),
                    ),
                    facts(
                        fact("Queued", rx.text(run.created, as_="span")),
                        fact("Started", rx.text(run.started, as_="span")),
                        fact("Finished", rx.text(run.finished, as_="span")),
                        fact("Last synced day", rx.text(rx.cond(run.checkpoint != "", run.checkpoint, "none"),
                                                        as_="span")),
                    ),
                    rx.cond(run.scopes != "", rx.text("Written to: ", run.scopes, size="2")),
                    rx.cond(S.run_skipped_scopes.length() > 0,
                            rx.text("Skipped targets: ", S.run_skipped_scopes.join(", "), size="2")),
                    rx.cond(run.rematched != "", rx.text("Re-matched afterwards: ", run.rematched, size="2")),
                    rx.cond(run.error_message != "",
                            rx.callout(run.error_message, icon="triangle-alert", color_scheme="red", role="alert",
                                       width="100%")),
                    rx.cond(
                        S.run_errors.length() > 0,
                        rx.vstack(
                            rx.heading("Errors", size="3"),
                            data_table("Run errors", ["Day", "Kind", "Message", "HTTP", "Request id", "Attempt",
                                                      "At"], S.run_errors, _error_row),
                            width="100%",
                        ),
                    ),
                    rx.cond(
                        (S.run_affected_dates.length() > 0) | (S.run_affected_emails.length() > 0),
                        rx.vstack(
                            rx.heading("Affected records", size="3"),
                            rx.text("Days not synced (", run.affected_dates_total, "):", size="2"),
                            _chips(S.run_affected_dates),
                            rx.cond(S.run_affected_emails.length() > 0,
                                    rx.vstack(rx.text("E-mails:", size="2"), _chips(S.run_affected_emails))),
                            width="100%",
                            role="region",
                            aria_label="Affected records",
                        ),
                    ),
                    rx.heading("Day by day", size="3"),
                    data_table("Day by day", ["Day", "Result", "Errors", "Last error"], S.run_days, _day_row),
                    rx.cond(run.days_not_listed > 0,
                            rx.text(run.days_not_listed, " more days are not listed.", size="1",
                                    color_scheme="gray")),
                    spacing="3",
                    width="100%",
                    padding_right="12px",
                ),
                type="auto",
                scrollbars="vertical",
                max_height="70vh",
            ),
            rx.hstack(_cancel("Close"), justify="end", padding_top="12px"),
            max_width="960px",
        ),
        open=S.run_open,
        on_open_change=S.set_run_open,
    )


# --- unmatched e-mails ------------------------------------------------------------------------


def _unmatched_row(u: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(u.label, as_="span"),
                rx.cond(u.is_api_key, rx.badge("API key", color_scheme="violet", variant="soft")),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(u.provider_name),
        rx.table.cell(u.record_count),
        rx.table.cell(u.last_seen),
        rx.table.cell(u.total_cost),
        rx.table.cell(
            rx.cond(
                u.is_api_key,
                rx.text(API_KEY_ACTOR, size="1", color_scheme="gray"),
                rx.cond(
                    S.can_edit_scope,
                    rx.hstack(
                        rx.button("Add person", size="1", on_click=S.open_add_person(u.source_email),
                                  aria_label="Add person for " + u.source_email),
                        rx.button("Use for an existing person", size="1", variant="soft",
                                  on_click=S.open_link_person(u.source_email),
                                  aria_label="Use " + u.source_email + " for an existing person"),
                        spacing="2",
                    ),
                    rx.text("Read-only here.", size="1", color_scheme="gray"),
                ),
            )
        ),
    )


def unmatched_emails() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading("Unmatched e-mails", size="4"),
                  rx.badge(S.scope_name, color_scheme="gray", variant="soft"), align="center"),
        rx.text("Usage whose e-mail matches no person in this scope. It matches by itself once a person has the "
                "e-mail: add the person, or give the e-mail to an existing one.", size="2", color_scheme="gray"),
        rx.cond(
            S.unmatched.length() > 0,
            data_table("Unmatched e-mails", ["E-mail", "Provider", "Records", "Last seen", "Total cost", ""],
                       S.unmatched, _unmatched_row),
            layout.empty_state("user-check", "No unmatched e-mails",
                               "Every usage record in this scope belongs to a person."),
        ),
        spacing="2",
        width="100%",
    )


def add_person_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Add person"),
            rx.dialog.description("A new person in ", S.scope_name, " with this e-mail; their usage is matched "
                                  "at once.", size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    _field("Name", "add-person-name", rx.input(id="add-person-name", name="name", width="100%")),
                    _field("E-mail", "add-person-email",
                           rx.input(id="add-person-email", name="email", default_value=S.add_email, width="100%")),
                    _field(
                        "Kind", "add-person-kind",
                        rx.select.root(
                            rx.select.trigger(id="add-person-kind", aria_label="Kind", width="100%"),
                            rx.select.content(*[rx.select.item(k.value, value=k.value) for k in ActorKind]),
                            name="kind",
                            default_value=ActorKind.human.value,
                        ),
                    ),
                    _field("FTE", "add-person-fte",
                           rx.input(id="add-person-fte", name="fte", default_value="1.00", input_mode="decimal",
                                    width="100%")),
                    _error(S.add_error),
                    rx.hstack(_cancel(), rx.button("Add person", type="submit"), justify="end", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_add_person,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=S.add_open,
        on_open_change=S.set_add_open,
    )


def link_person_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Use for an existing person"),
            rx.dialog.description("The person you pick gets ", rx.code(S.link_email), " as their e-mail (it "
                                  "replaces their current one); usage is matched at once.", size="2",
                                  color_scheme="gray"),
            rx.form(
                rx.vstack(
                    _field(
                        "Person", "link-person",
                        rx.select.root(
                            rx.select.trigger(id="link-person", aria_label="Person", placeholder="Pick a person",
                                              width="100%"),
                            rx.select.content(rx.foreach(S.link_people,
                                                         lambda o: rx.select.item(o.label, value=o.value))),
                            name="person",
                        ),
                    ),
                    _error(S.link_error),
                    rx.hstack(_cancel(), rx.button("Use this e-mail", type="submit"), justify="end", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_link_person,
                reset_on_submit=False,
            ),
            max_width="520px",
        ),
        open=S.link_open,
        on_open_change=S.set_link_open,
    )


# --- help and the plan notice -------------------------------------------------------------------


def _issue_row(symptom: str, cause: str, resolution: str) -> rx.Component:
    resolution_cell = rx.table.cell(resolution)
    if symptom.startswith("Sync completes but no data"):
        resolution_cell = rx.table.cell(rx.vstack(rx.text(resolution), rx.text(NO_DATA_NOTE, size="1",
                                                                                 color_scheme="gray")))
    return rx.table.row(rx.table.row_header_cell(symptom), rx.table.cell(cause), resolution_cell)


def help_section() -> rx.Component:
    return rx.vstack(
        rx.heading("When a sync fails", size="4"),
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
                rx.table.body(*[_issue_row(*issue) for issue in COMMON_ISSUES]),
                variant="surface",
                size="1",
                width="100%",
            ),
            aria_label="Common issues",
            width="100%",
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
