"""What the AI Tooling sections show, built from the rollup queries' answers: the cards of a person,
team or department for the chosen range (with the change against the period before, and which
providers report each number) and the team's member table rows.
Pure functions, no database and no Reflex state: the states in `ai_usage_state.py` load the answers
and call these."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from orgonaut.ai_tooling.providers.declaration import Metric, ProviderInfo
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.ai_tooling.providers.registry import display_name as provider_name
from orgonaut.rollups import periods, queries
from orgonaut.rollups.periods import Period, Range
from orgonaut.rollups.queries import DayPoint, MemberRow
from orgonaut.ui import routes
from orgonaut.ui.components.usage_cards import UsageCard, count, period_text
from orgonaut.ui.format import format_usd


def _hint(reports: Callable[[ProviderInfo], bool], providers: Sequence[str], *,
          reporters: Sequence[str] = (), when: str = "all time") -> str:
    """`when` (the card's period), or with which of the providers with usage report the metric:
    "Nov 1 – 30, 2026 · Claude Code only", or "not reported by Cursor" (its value is then "—"),
    followed by which of `reporters` do report it."""
    def names(keys: Sequence[str]) -> str:
        return ", ".join(provider_name(k) for k in keys)

    reporting = [p for p in providers if p not in PROVIDERS or reports(PROVIDERS[p])]
    if not reporting:
        others = [p for p in reporters if p in PROVIDERS and reports(PROVIDERS[p])]
        return f"not reported by {names(providers)}" + (f" · {names(others)} only" if others else "")
    if len(reporting) < len(providers):
        return f"{when} · {names(reporting)} only"
    return when


def activity_hint(metric: Metric, providers: Sequence[str], when: str = "all time") -> str:
    return _hint(lambda info: metric in info.metrics, providers, when=when)


def provider_metric_hint(key: str, providers: Sequence[str], reporters: Sequence[str] = (),
                         when: str = "all time") -> str:
    """As `activity_hint`, for a counter of `provider_metrics` (`queries.PROVIDER_METRICS`)."""
    return _hint(lambda info: queries.reports_provider_metric(info, key), providers, reporters=reporters, when=when)


@dataclasses.dataclass(frozen=True)
class Providers:
    behind: Sequence[str] = ()  # whose usage the numbers are: the page's providers, or the chosen one
    offered: Sequence[str] = ()  # the filter's choices


# --- the range cards ------------------------------------------------------------------------------
#
# Every card is one range's number, summed from the same daily series the cost chart plots (so the
# card, the chart total and the member table's totals row agree to the cent), with the change against
# the same number of days just before the range (`periods.previous_period`).

_ACTIVITY: tuple[tuple[str, str, Metric], ...] = (
    ("Sessions", "sessions", Metric.sessions), ("Commits", "commits", Metric.commits),
    ("Pull requests", "pull_requests", Metric.pull_requests), ("Lines added", "lines_added", Metric.lines_added),
    ("Lines removed", "lines_removed", Metric.lines_removed),
)


@dataclasses.dataclass(frozen=True)
class RangeTotals:
    """One period's sums of a daily series. A count is None ("not reported") when every day with usage
    in the period comes from providers that do not report it; 0 when the period has no usage."""
    period: Period
    cost_cents: Decimal
    counts: tuple[tuple[str, int | None], ...]  # the `_ACTIVITY` fields and the `PROVIDER_METRICS` keys
    providers: tuple[str, ...]  # providers with usage in the period, sorted

    def count_of(self, key: str) -> int | None:
        return dict(self.counts)[key]


def points_in(series: Sequence[DayPoint], period: Period) -> list[DayPoint]:
    return [p for p in series if period.start <= p.date <= period.end]


def totals_of(series: Sequence[DayPoint], period: Period) -> RangeTotals:
    """The period's exact sums over the series' points (days outside the series count as no usage)."""
    points = points_in(series, period)
    used = [p for p in points if p.used]

    def summed(values: list[int | None]) -> int | None:
        reported = [v for v in values if v is not None]
        return sum(reported) if reported or not used else None

    counts = [(field, summed([getattr(p, field) for p in used])) for _, field, _ in _ACTIVITY]
    counts += [(key, summed([dict(p.provider_metrics).get(key) for p in used])) for key, _ in queries.PROVIDER_METRICS]
    return RangeTotals(
        period=period, cost_cents=sum_cost_cents(p.cost_cents for p in points), counts=tuple(counts),
        providers=tuple(sorted({key for p in used for key, _ in p.cost_by_provider})),
    )


def change_text(current: Decimal | int | None, previous: Decimal | int | None, days: int, *,
                money: bool = False) -> str:
    """"+$12.34 (+8%) vs the 30 days before", "−3 vs the 7 days before" (no % after nothing), or
    "no change vs …"; "" when either number is not reported."""
    if current is None or previous is None:
        return ""
    when = f"vs the {days} days before" if days != 1 else "vs the day before"
    delta = current - previous
    if not delta:
        return f"no change {when}"
    sign = "+" if delta > 0 else "−"
    amount = format_usd(abs(Decimal(delta))) if money else f"{abs(delta):,}"
    share = f" ({sign}{abs(delta) / previous:.0%})" if previous else ""
    return f"{sign}{amount}{share} {when}"


@dataclasses.dataclass(frozen=True)
class CardRange:
    """What the cards compare: the chosen range, and the period before it (None for "all": nothing
    precedes the first usage)."""
    period: Period
    previous: Period | None

    @property
    def days(self) -> int:
        return (self.period.end - self.period.start).days + 1


def card_range(range: Range | str, *, today: dt.date, first_usage: dt.date | None) -> CardRange:
    period = periods.period_for(range, today=today, first_usage=first_usage)
    return CardRange(period, None if periods.parse_range(range) == Range.all else periods.previous_period(period))


def _value_card(label: str, now: RangeTotals, before: RangeTotals | None, days: int, key: str | None,
                hint: str) -> UsageCard:
    """A card of the cost (`key` None) or of one count, with its change against `before`."""
    if key is None:
        return UsageCard(label, format_usd(now.cost_cents), hint,
                         change_text(now.cost_cents, before.cost_cents, days, money=True) if before else "")
    value = now.count_of(key)
    return UsageCard(label, count(value), hint, change_text(value, before.count_of(key), days) if before else "")


def _behind(now: RangeTotals, providers: Providers) -> Sequence[str]:
    """Whose usage a card's hint speaks of: the providers with usage in the range, else the page's."""
    return now.providers or providers.behind


def _not_reported(totals: RangeTotals, providers: Sequence[str]) -> RangeTotals:
    """A period without usage reads 0, except for a metric none of `providers` reports: "—"."""
    if totals.providers or not providers:
        return totals
    known = [PROVIDERS[p] for p in providers if p in PROVIDERS]
    if len(known) < len(providers):
        return totals

    def reported(key: str) -> bool:
        metric = next((m for _, f, m in _ACTIVITY if f == key), None)
        return any(metric in info.metrics if metric is not None else queries.reports_provider_metric(info, key)
                   for info in known)

    return dataclasses.replace(totals, counts=tuple((k, v if reported(k) else None) for k, v in totals.counts))


def _totals(series: Sequence[DayPoint], chosen: CardRange, providers: Providers
            ) -> tuple[RangeTotals, RangeTotals | None]:
    now = _not_reported(totals_of(series, chosen.period), providers.behind)
    before = (_not_reported(totals_of(series, chosen.previous), providers.behind)
              if chosen.previous is not None else None)
    return now, before


def _count_cards(now: RangeTotals, before: RangeTotals | None, chosen: CardRange, providers: Providers,
                 fields: Sequence[str], when: str, suffix: Callable[[str], str] = lambda key: "") -> list[UsageCard]:
    behind = _behind(now, providers)
    cards = [_value_card(label, now, before, chosen.days, field, activity_hint(metric, behind, when) + suffix(field))
             for label, field, metric in _ACTIVITY if field in fields]
    cards += [_value_card(label, now, before, chosen.days, key,
                          provider_metric_hint(key, behind, providers.offered, when) + suffix(key))
              for key, label in queries.PROVIDER_METRICS
              if any(p in PROVIDERS and queries.reports_provider_metric(PROVIDERS[p], key) for p in providers.offered)]
    return cards


def person_range_cards(series: Sequence[DayPoint], chosen: CardRange, providers: Providers) -> list[UsageCard]:
    """A person's cards for the chosen range: cost, activity, the counters some offered provider
    reports, and the providers with usage in the range."""
    now, before = _totals(series, chosen, providers)
    when = period_text(chosen.period)
    names = ", ".join(provider_name(p) for p in now.providers) or "none in these days"
    return [
        _value_card("Cost", now, before, chosen.days, None, when),
        *_count_cards(now, before, chosen, providers, [f for _, f, _ in _ACTIVITY], when),
        UsageCard("Active providers", count(len(now.providers)), names),
    ]


def _users_card(users: Mapping[str, int], when: str, chosen: CardRange, suffix: str = "") -> UsageCard:
    now, before = users.get("now", 0), users.get("before")
    return UsageCard("Active users", count(now), when + suffix,
                     change_text(now, before, chosen.days) if chosen.previous is not None and before is not None
                     else "")


def team_range_cards(series: Sequence[DayPoint], chosen: CardRange, providers: Providers,
                     users: Mapping[str, int]) -> list[UsageCard]:
    """A team's cards for the chosen range; `users` holds the distinct active users "now" and "before"."""
    now, before = _totals(series, chosen, providers)
    when = period_text(chosen.period)
    return [
        _value_card("Cost", now, before, chosen.days, None, when),
        _users_card(users, when, chosen),
        *_count_cards(now, before, chosen, providers, ("sessions", "commits", "pull_requests", "lines_added"), when),
    ]


def department_range_cards(subtree: Sequence[DayPoint], direct: Sequence[DayPoint], chosen: CardRange,
                           providers: Providers, users: Mapping[str, int]) -> list[UsageCard]:
    """A department's cards for the chosen range: the subtree's numbers (with the direct ones beside
    them) and the direct cost."""
    now, before = _totals(subtree, chosen, providers)
    own, own_before = _totals(direct, chosen, providers)
    when = period_text(chosen.period)
    return [
        _value_card("Subtree cost", now, before, chosen.days, None, when),
        _value_card("Direct cost", own, own_before, chosen.days, None, when),
        _users_card(users, when, chosen),
        *_count_cards(now, before, chosen, providers, ("sessions", "commits", "pull_requests", "lines_added"), when,
                      suffix=lambda key: f" · {count(own.count_of(key))} direct"),
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
def member_view(row: MemberRow) -> MemberView:
    return MemberView(
        actor_id=row.actor_id, name=row.name, url=routes.person_url(row.actor_id), cost=format_usd(row.cost_cents),
        sessions=count(row.sessions), commits=count(row.commits), pull_requests=count(row.pull_requests),
        lines_added=count(row.lines_added),
    )
