"""What the AI Tooling sections show, built from the rollup queries' answers: the cards of a person,
team or department (with which providers report each number) and the team's member table rows.
Pure functions, no database and no Reflex state: the states in `ai_usage_state.py` load the answers
and call these."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from decimal import Decimal

from orgonaut.ai_tooling.providers.declaration import Metric, ProviderInfo
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.rollups import queries
from orgonaut.rollups.queries import MemberRow
from orgonaut.ui import routes
from orgonaut.ui.components.usage_cards import UsageCard, count, period_text
from orgonaut.ui.format import format_usd


def provider_name(key: str) -> str:
    return PROVIDERS[key].display_name if key in PROVIDERS else key


def _hint(reports: Callable[[ProviderInfo], bool], providers: Sequence[str], *,
          reporters: Sequence[str] = ()) -> str:
    """"all time", or which of the providers with usage report the metric: "all time · Claude Code only",
    or "not reported by Cursor" (its value is then "—"), followed by which of `reporters` do report it."""
    def names(keys: Sequence[str]) -> str:
        return ", ".join(provider_name(k) for k in keys)

    reporting = [p for p in providers if p not in PROVIDERS or reports(PROVIDERS[p])]
    if not reporting:
        others = [p for p in reporters if p in PROVIDERS and reports(PROVIDERS[p])]
        return f"not reported by {names(providers)}" + (f" · {names(others)} only" if others else "")
    if len(reporting) < len(providers):
        return f"all time · {names(reporting)} only"
    return "all time"


def activity_hint(metric: Metric, providers: Sequence[str]) -> str:
    return _hint(lambda info: metric in info.metrics, providers)


def provider_metric_hint(key: str, providers: Sequence[str], reporters: Sequence[str] = ()) -> str:
    """As `activity_hint`, for a counter of `provider_metrics` (`queries.PROVIDER_METRICS`)."""
    return _hint(lambda info: queries.reports_provider_metric(info, key), providers, reporters=reporters)


def person_cards(summary: queries.PersonSummary, *, provider: str | None = None,
                 offered: Sequence[str] | None = None) -> list[UsageCard]:
    """The person's cards for every provider or one (`provider`). The counters only some providers report
    are shown when one of the `offered` providers (default: the person's) reports them."""
    # Whose records the numbers are: the person's providers, or the chosen one when they have none of it.
    behind = summary.providers or ((provider,) if provider is not None else ())
    offered = summary.providers if offered is None else offered
    providers = ", ".join(provider_name(p) for p in summary.providers) or "none"
    extra = [
        UsageCard(label, count(summary.provider_metric(key)), provider_metric_hint(key, behind, offered))
        for key, label in queries.PROVIDER_METRICS
        if any(p in PROVIDERS and queries.reports_provider_metric(PROVIDERS[p], key) for p in offered)
    ]
    return [
        UsageCard("Last month cost", format_usd(summary.last_month_cost_cents), period_text(summary.last_month)),
        UsageCard("Month-to-date cost", format_usd(summary.mtd_cost_cents), period_text(summary.mtd)),
        *(UsageCard(label, count(value), activity_hint(metric, behind))
          for label, value, metric in (("Sessions", summary.sessions, Metric.sessions),
                                       ("Commits", summary.commits, Metric.commits),
                                       ("Pull requests", summary.pull_requests, Metric.pull_requests),
                                       ("Lines added", summary.lines_added, Metric.lines_added),
                                       ("Lines removed", summary.lines_removed, Metric.lines_removed))),
        *extra,
        UsageCard("Active providers", count(summary.active_providers), providers),
    ]


@dataclasses.dataclass(frozen=True)
class Providers:
    behind: Sequence[str] = ()  # whose usage the numbers are: the unit's providers, or the chosen one
    offered: Sequence[str] = ()  # the filter's choices


def counter_cards(summary: queries.UnitSummary, providers: Providers,
                  hint: Callable[[str, str], str] | None = None) -> list[UsageCard]:
    """The counters only some providers report, for a unit, when one of the offered providers reports
    them; "—" with a hint where none of the providers behind the numbers does."""
    def said(key: str) -> str:
        text = provider_metric_hint(key, providers.behind, providers.offered)
        return hint(key, text) if hint else text

    return [
        UsageCard(label, count(summary.provider_metric(key)), said(key))
        for key, label in queries.PROVIDER_METRICS
        if any(p in PROVIDERS and queries.reports_provider_metric(PROVIDERS[p], key) for p in providers.offered)
    ]


def team_cards(summary: queries.UnitSummary, providers: Providers = Providers()) -> list[UsageCard]:
    return [
        UsageCard("Last month cost", format_usd(summary.last_month_cost_cents), period_text(summary.last_month)),
        UsageCard("Month-to-date cost", format_usd(summary.mtd_cost_cents), period_text(summary.mtd)),
        UsageCard("Active users", count(summary.mtd_active_users),
                  f"this month · {count(summary.last_month_active_users)} last month"),
        *counter_cards(summary, providers),
    ]


def department_cards(direct: queries.UnitSummary, subtree: queries.UnitSummary,
                     providers: Providers = Providers()) -> list[UsageCard]:
    def activity(label: str, field: str) -> UsageCard:
        return UsageCard(label, count(getattr(subtree, field)), f"all time · {count(getattr(direct, field))} direct")

    return [
        UsageCard("Direct · last month", format_usd(direct.last_month_cost_cents), period_text(direct.last_month)),
        UsageCard("Direct · month to date", format_usd(direct.mtd_cost_cents), period_text(direct.mtd)),
        UsageCard("Subtree · last month", format_usd(subtree.last_month_cost_cents), period_text(subtree.last_month)),
        UsageCard("Subtree · month to date", format_usd(subtree.mtd_cost_cents), period_text(subtree.mtd)),
        activity("Sessions", "sessions"),
        activity("Commits", "commits"),
        activity("Pull requests", "pull_requests"),
        activity("Lines added", "lines_added"),
        *counter_cards(subtree, providers, hint=lambda key, said: (
            f"{said} · {count(direct.provider_metric(key))} direct")),
    ]


# --- the team's member table ------------------------------------------------------------------


@dataclasses.dataclass
class MemberView:
    actor_id: int = 0
    name: str = ""
    url: str = ""
    cost: str = ""
    sessions: str = ""
    commits: str = ""
    pull_requests: str = ""
    lines_added: str = ""


# (key, header) of the member table's sortable columns; a MemberRow field each (cost: cost_cents).
MEMBER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"), ("cost", "Cost"), ("sessions", "Sessions"), ("commits", "Commits"),
    ("pull_requests", "PRs"), ("lines_added", "Lines added"),
)
SORT_FIELDS = {"name": "name", "cost": "cost_cents", "sessions": "sessions", "commits": "commits",
               "pull_requests": "pull_requests", "lines_added": "lines_added"}


def sort_members(rows: list[MemberRow], key: str, descending: bool) -> list[MemberRow]:
    """Sorted by one column; ties by name, then id, always ascending."""
    field = SORT_FIELDS[key]
    ordered = sorted(rows, key=lambda r: (r.name.lower(), r.actor_id))
    # A metric not reported (None) sorts below every reported value, zero included.
    value = (lambda r: r.name.lower()) if key == "name" else (lambda r: (getattr(r, field) is not None,
                                                                          getattr(r, field) or 0))
    return sorted(ordered, key=value, reverse=descending)


def total_of(rows: Sequence[MemberRow]) -> MemberRow:
    """The rows summed exactly; a metric stays "not reported" (None) only when no row reports it."""
    def reported(field: str) -> int | None:
        values = [getattr(r, field) for r in rows if getattr(r, field) is not None]
        return sum(values) if values else None

    return MemberRow(actor_id=0, name=f"Total ({len(rows)} {'person' if len(rows) == 1 else 'people'})",
                     cost_cents=sum((r.cost_cents for r in rows), Decimal(0)), sessions=reported("sessions"),
                     commits=reported("commits"), pull_requests=reported("pull_requests"),
                     lines_added=reported("lines_added"))


def member_view(row: MemberRow) -> MemberView:
    return MemberView(
        actor_id=row.actor_id, name=row.name, url=routes.person_url(row.actor_id), cost=format_usd(row.cost_cents),
        sessions=count(row.sessions), commits=count(row.commits), pull_requests=count(row.pull_requests),
        lines_added=count(row.lines_added),
    )
