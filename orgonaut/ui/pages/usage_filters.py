"""The range and provider filters of the AI usage sections and the overview: each is the page's query
parameter (`?range=`, `?provider=`), read at load; switching the range rewrites the address in place (the
numbers of every range are loaded already), switching the provider loads the page again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from urllib.parse import urlencode

import reflex as rx

from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.ai_tooling.providers.registry import display_name as provider_name
from orgonaut.rollups import periods
from orgonaut.rollups.periods import Range
from orgonaut.rollups.queries import DayPoint
from orgonaut.ui.components import charts
from orgonaut.ui.components.usage_cards import period_text
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.usage_views import CardRange, card_range

DEFAULT_RANGE = Range.three_months


def _plain(value):
    """A state value without Reflex's change-tracking proxy: the builders only read it, and going
    through the proxy item by item costs more than the whole computation of a range."""
    return getattr(value, "__wrapped__", value)


def _zero(day: dt.date) -> DayPoint:
    return DayPoint(date=day, cost_cents=Decimal(0), sessions=0, commits=0, pull_requests=0)


RANGE_PARAM = "range"
ALL_PROVIDERS = "all"  # the filter's "All tools"; the URL then has no `provider`
PROVIDER_PARAM = "provider"


def page_url(path: str, query: Mapping[str, str], *, provider: str, range: str) -> str:
    """The page's URL with `?provider=` and `?range=` set (each dropped at its default: all tools, the
    default range), other parameters kept: a link or a reload shows the same numbers."""
    params = {k: v for k, v in query.items() if k not in (PROVIDER_PARAM, RANGE_PARAM)}
    if provider != ALL_PROVIDERS:
        params[PROVIDER_PARAM] = provider
    if range != DEFAULT_RANGE.value:
        params[RANGE_PARAM] = range
    return f"{path}?{urlencode(params)}" if params else path


def replace_url_script(url: str) -> str:
    """Browser script: show `url` in the address bar without navigating (the numbers of every range are
    loaded already). The router's own history entry state (React Router's key and index) is kept, so
    Back and Forward still work and return to the address with its range."""
    quoted = json.dumps(url)
    return f"window.history.replaceState(window.history.state, '', {quoted})"


class RangeMixin(rx.State, mixin=True):
    """The selected range (the page's `?range=`) and everything derived from the loaded "All" series."""

    chosen_range: str = DEFAULT_RANGE.value
    # Every day from the first usage (today when none) to today, as `queries.*_series(range="all")`.
    _series: list[DayPoint] = []
    _today: dt.date | None = None

    def _clear_range(self) -> None:
        self._series, self._today = [], None

    def _pick_range(self) -> None:
        """The range the page's URL names; a missing or bad value is the default, without a word."""
        raw = self.router.url.query_parameters.get(RANGE_PARAM)
        self.chosen_range = periods.range_or_default(raw, DEFAULT_RANGE).value

    @rx.var
    def _card_range(self) -> CardRange | None:
        """The chosen range's days and the period the cards compare it with."""
        if self._today is None:
            return None
        series = _plain(self._series)
        return card_range(self.chosen_range, today=self._today, first_usage=series[0].date if series else None)

    @rx.var
    def _points(self) -> list[DayPoint]:
        """The selected range's days, zero where there was no usage (as the series query returns them)."""
        chosen = self._card_range
        if chosen is None:
            return []
        by_day = {p.date: p for p in _plain(self._series)}
        return [by_day.get(day) or _zero(day) for day in chosen.period.days]

    @rx.var
    def _buckets(self) -> list[charts.Bucket]:
        return charts.buckets(_plain(self._points), today=self._today) if self._today is not None else []

    @rx.var
    def cost_figure(self) -> dict:
        return charts.cost_trend_figure(_plain(self._buckets))

    @rx.var
    def cost_table(self) -> list[charts.TableRow]:
        return charts.cost_table(_plain(self._buckets))

    @rx.var
    def has_cost(self) -> bool:
        return charts.has_cost(_plain(self._points))

    @rx.var
    def chart_note(self) -> str:
        return charts.bucket_note(_plain(self._buckets))

    @rx.var
    def range_total(self) -> str:
        return format_usd(sum_cost_cents(p.cost_cents for p in _plain(self._points)))

    @rx.var
    def range_period(self) -> str:
        chosen = self._card_range
        return period_text(chosen.period) if chosen is not None else ""

    def _range_url_event(self):
        url = self.router.url
        chosen = getattr(self, "chosen_provider", ALL_PROVIDERS)
        return rx.call_script(replace_url_script(
            page_url(url.path, url.query_parameters, provider=chosen, range=self.chosen_range)))

    @rx.event
    def choose_range(self, value: str | list[str]):
        if isinstance(value, list):
            value = value[0] if value else ""
        if value in {r.value for r in Range} and value != self.chosen_range:
            self.chosen_range = value
            return self._range_url_event()
        return None


@dataclasses.dataclass
class ProviderChoice:
    value: str = ""
    label: str = ""


class ProviderMixin(rx.State, mixin=True):
    """The provider filter, read from the page's URL at each load."""

    chosen_provider: str = ALL_PROVIDERS
    # "All tools" first, then the offered providers; the filter shows when there are two providers or more.
    provider_choices: list[ProviderChoice] = []
    provider_notice: str = ""

    def _clear_provider(self) -> None:
        self.chosen_provider, self.provider_choices, self.provider_notice = ALL_PROVIDERS, [], ""

    def _pick_provider(self, options: Sequence[str]) -> str | None:
        """The URL's provider when it is one of `options` (None: all tools); sets the filter's state."""
        self.provider_choices = [ProviderChoice(ALL_PROVIDERS, "All tools"),
                                 *(ProviderChoice(key, provider_name(key)) for key in options)]
        raw = self.router.url.query_parameters.get(PROVIDER_PARAM, "").strip()
        self.chosen_provider, self.provider_notice = ALL_PROVIDERS, ""
        if not raw or raw == ALL_PROVIDERS:
            return None
        if raw in options:
            self.chosen_provider = raw
            return raw
        shown = raw[:40]
        self.provider_notice = (f"No {provider_name(raw)} usage or connection here: showing all tools."
                                if raw in PROVIDERS else f"Unknown AI tool '{shown}' in the link: showing all tools.")
        return None

    @rx.event
    def choose_provider(self, value: str | list[str]):
        if isinstance(value, list):
            value = value[0] if value else ""
        if value not in {c.value for c in self.provider_choices} or value == self.chosen_provider:
            return None
        self.chosen_provider = value
        url = self.router.url
        # The range goes along: it is state (changed without a reload), not yet in `url`.
        chosen_range = getattr(self, "chosen_range", DEFAULT_RANGE.value)
        return rx.redirect(page_url(url.path, url.query_parameters, provider=value, range=chosen_range))


