"""AI Tooling integrations: what the Settings page, the REST API and the CLI call
(`from orgonaut.ai_tooling import service as ai_tooling`).

A facade, kept on purpose: the Settings page's modules, the CLI, the demo and the tests call
`ai_tooling.<function>`, and one name for what the edges call is the convention every domain follows
(docs/architecture.md, "Rules"). The code lives in:

- `connections`: connect (format check, then a live test, then the sealed key and the targeting),
  change targeting, replace the key, test a connection, the integration lookups
- `run_control`: Sync now, Backfill and its input rules (earliest day, no partial day, a confirmation
  for long ranges), cancelling a run
- `unmatched`: the unmatched e-mails of a scope, and the ones ignored as not an employee (with the undo)
- `ingest`: what a connection holds per day (`stored_day_totals`, for a run's day-by-day table)

Pause, resume and disconnect are the same for every integration and live in
`orgonaut.integrations.service`.

Every function takes the session first and keyword-only arguments, flushes and leaves the commit to
the caller; runs are queued once that commit happens. Access (the `ai-tooling.manage` ability) is
checked by the caller, as everywhere. A tenant has at most one integration per provider that is not
disconnected; connecting a provider again after a disconnect reuses that record, so its sync logs and
usage history stay together.
"""

from __future__ import annotations

from orgonaut.ai_tooling.connections import (
    CATEGORY,
    NOT_ALLOWED,
    ConnectionTest,
    active_target_scenario_ids,
    connect,
    current_integrations,
    ensure_connectable,
    ensure_key_replaceable,
    get_integration_or_raise,
    list_integrations,
    previous_targeting,
    replace_credentials,
    test_connection,
    test_credentials,
    update_targeting,
    validate_targets,
)
from orgonaut.ai_tooling.ingest import stored_day_totals
from orgonaut.ai_tooling.run_control import (
    ACTIVE_RUN,
    CONFIRM_OVER_DAYS,
    MAX_BACKFILL_DAYS,
    BackfillNeedsConfirmation,
    BackfillRange,
    cancel_run,
    check_backfill,
    earliest_backfill_date,
    start_backfill,
    start_sync_now,
    validate_backfill_range,
)
from orgonaut.ai_tooling.unmatched import (
    UNMATCHED_DEFAULT_SORT,
    UNMATCHED_SORTS,
    UnmatchedEmail,
    add_person,
    ignore,
    link_source,
    list_ignored,
    list_unmatched,
    unignore,
    unmatched_page,
)

# The Backfill form reads the last complete day here, as it did before the split.
from orgonaut.ai_tooling.windows import last_complete_day

__all__ = [
    "ACTIVE_RUN",
    "BackfillNeedsConfirmation",
    "BackfillRange",
    "CATEGORY",
    "CONFIRM_OVER_DAYS",
    "ConnectionTest",
    "MAX_BACKFILL_DAYS",
    "NOT_ALLOWED",
    "UNMATCHED_DEFAULT_SORT",
    "UNMATCHED_SORTS",
    "UnmatchedEmail",
    "active_target_scenario_ids",
    "add_person",
    "cancel_run",
    "check_backfill",
    "connect",
    "current_integrations",
    "earliest_backfill_date",
    "ensure_connectable",
    "ensure_key_replaceable",
    "get_integration_or_raise",
    "ignore",
    "last_complete_day",
    "link_source",
    "list_ignored",
    "list_integrations",
    "list_unmatched",
    "previous_targeting",
    "replace_credentials",
    "start_backfill",
    "start_sync_now",
    "stored_day_totals",
    "test_connection",
    "test_credentials",
    "unignore",
    "unmatched_page",
    "update_targeting",
    "validate_backfill_range",
    "validate_targets",
]
