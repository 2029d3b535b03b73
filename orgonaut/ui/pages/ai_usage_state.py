"""The states of the AI Tooling sections of the person, team and department pages (the sections
themselves are `ai_usage.py`; the cards and rows they show are built in `usage_views.py`).

Each state loads once per page load (after the page's own load, see orgonaut.py) and re-checks on
the server who may see costs (`costs.read` plus the page's own read ability), in which scope, and
whose usage (`orgonaut.org.visibility`: members their own page only, managers their scope, owners and
admins everything). A refused person or unit loads no numbers at all and shows `hidden_note` instead,
worded the same whether or not there is usage.
Team and department numbers come from the stored rollups only (`orgonaut.rollups.queries`).

The provider filter ("All tools", or one provider the tenant has usage or a connection for) is the
page's `?provider=` query parameter: choosing one navigates there and the page loads again, so every
card, chart and table is read for that provider (`queries.*(provider=...)`) and a reload keeps it. A
provider the link names that is unknown or not offered falls back to all tools, with a notice.

The chosen range is the page's `?range=` (a bad value is the default). Switching it does not navigate (the
address is rewritten in place) and reads nothing for the cards and charts: the load keeps the widest series
("All", one point per day) in a backend-only var and each range's cards, points, figures and totals are
cached vars derived from it (so the cards and the chart cannot disagree), and the active users of every
range and the period before it are read at load. The team's member table is paged on the server
(`member_table.py`), so a new range reads its first page of members, one query.

While a refresh of the scope's rollups is queued or running the section says "updating…", and a
background event polls until it is done, then reloads the numbers.
"""


from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import reflex as rx

from orgonaut import clock
from orgonaut.ai_tooling.providers.declaration import Metric
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.ai_tooling.providers.registry import display_name as provider_name
from orgonaut.db import session_scope
from orgonaut.errors import NotFound
from orgonaut.org import service as org
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnit, OrgUnitKind
from orgonaut.rollups import periods, queries
from orgonaut.rollups import queue as refresh
from orgonaut.rollups.models import Breadth
from orgonaut.rollups.periods import Range
from orgonaut.rollups.queries import DayPoint
from orgonaut.spend import anomalies, budgets
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui.components import charts
from orgonaut.ui.components.burn_down import burn_down_figure
from orgonaut.ui.components.usage_cards import (
    UsageCard,
)
from orgonaut.ui.format import updated_text
from orgonaut.ui.pages.member_table import MemberSource, MemberTableMixin
from orgonaut.ui.pages.scope_notes import scope_note
from orgonaut.ui.pages.spend_views import anomaly_note, budget_sentence
from orgonaut.ui.pages.usage_filters import (
    ProviderMixin,
    RangeMixin,
    _plain,
)
from orgonaut.ui.pages.usage_views import (
    Providers,
    card_range,
    department_range_cards,
    person_range_cards,
    team_range_cards,
)
from orgonaut.ui.scope import ScopeState

# While rollups are refreshing: look again every few seconds, for at most ten minutes.
WATCH_SECONDS = 2.0
WATCH_ROUNDS = 300


def _reader(state: ScopeState, page_ability: Ability) -> User | None:
    """The signed-in user if they may read this page and costs; checked on the server on every load."""
    user = state._require(Ability.costs_read)
    return user if user is not None and tenancy.can(user, page_ability) else None


# --- person -------------------------------------------------------------------------------------


class PersonUsageState(ProviderMixin, RangeMixin, ScopeState):
    has_usage: bool = False
    # Why this person's usage is not shown to the signed-in user ("" when it is, or nothing is refused).
    hidden_note: str = ""
    # The person id the section was last loaded for: until it is this page's, the section is busy.
    loaded_for: str = ""
    # The person's spend anomalies of the last 30 days (Live only), one sentence each.
    anomaly_notes: list[str] = []
    _providers: Providers = Providers()

    @rx.event
    def load(self):
        self.has_usage, self.hidden_note, self.anomaly_notes = False, "", []
        self._clear_range()
        self._clear_provider()
        self._pick_range()
        user = _reader(self, Ability.placements_read)
        if user is not None:
            self._load(user, self.person_id)
        self.loaded_for = self.person_id

    def _load(self, user: User, raw_id: str) -> None:
        scenario_id = self._scope_for(user)
        if not raw_id.isdigit():
            return
        with session_scope() as session:
            try:
                actor = org.get_actor_in_scope_or_raise(session=session, tenant_id=user.tenant_id,
                                                        scenario_id=scenario_id, actor_id=int(raw_id))
            except NotFound:
                return
            viewer = visibility.viewer_for(session=session, user=user, scenario_id=scenario_id)
            if not viewer.may_see_actor(actor.id):
                self.hidden_note = viewer.refusal_for_actor()
                return
            # Cards and charts both come from this one series (every card is a sum of its days).
            series = queries.person_series(session=session, actor=actor, range=Range.all)
            used = tuple(sorted({key for p in series for key, _ in p.cost_by_provider}))
            if not used:  # no usage: the page hides the section
                return
            options = queries.provider_options(session=session, tenant_id=user.tenant_id, used=used)
            provider = self._pick_provider(options)
            if provider is not None:
                series = queries.person_series(session=session, actor=actor, range=Range.all, provider=provider)
            today = periods.tenant_today(session=session, tenant_id=user.tenant_id)
            if scenario_id is None:  # anomalies are found in Live usage
                self.anomaly_notes = [anomaly_note(a) for a in anomalies.list_recent(
                    session=session, tenant_id=user.tenant_id, viewer=viewer, actor_id=actor.id, today=today)]
        self._providers = Providers(behind=used if provider is None else (provider,), offered=options)
        self._series, self._today = series, today
        self.has_usage = True

    @rx.var
    def cards(self) -> list[UsageCard]:
        """The chosen range's cards, each with the change against the days before it."""
        chosen = self._card_range
        if chosen is None or not self.has_usage:
            return []
        return person_range_cards(_plain(self._series), chosen, _plain(self._providers))

    @rx.var
    def activity_figure(self) -> dict:
        return charts.activity_figure(_plain(self._buckets))

    @rx.var
    def activity_table(self) -> list[charts.TableRow]:
        return charts.activity_table(_plain(self._buckets))

    @rx.var
    def has_activity(self) -> bool:
        return charts.has_activity(_plain(self._points))

    @rx.var
    def activity_reported(self) -> bool:
        """False when the chosen provider reports none of the activity chart's metrics (Cursor)."""
        info = PROVIDERS.get(self.chosen_provider)
        return info is None or bool(info.metrics & {Metric.sessions, Metric.commits, Metric.pull_requests})

    @rx.var
    def activity_empty(self) -> str:
        """Why the activity chart is empty: no activity, or a chosen provider that reports none of it."""
        if not self.activity_reported:
            return f"{provider_name(self.chosen_provider)} does not report sessions, commits or pull requests."
        return "No sessions, commits or pull requests in these days."


# --- teams and departments ---------------------------------------------------------------------


class UnitMixin(ProviderMixin, RangeMixin, mixin=True):
    """Loading one unit's rollups, their freshness, and watching a pending refresh."""

    found_unit: bool = False
    # The unit the numbers belong to: the page shows them only while it shows that unit.
    unit_id: int = 0
    # Why the unit's usage is not shown to the signed-in user, and for which unit ("" / 0: nothing refused).
    hidden_note: str = ""
    hidden_unit_id: int = 0
    refresh_pending: bool = False
    updated: str = ""
    # What the scope means for these numbers: a snapshot holds no usage; a unit only a scenario has shows its
    # people's usage as if the structure had applied ("": a Live unit, or one Live has too).
    scope_note: str = ""
    # This month's budget of the unit (Live, for the chosen provider or all), as a burn-down ("" / {}: none).
    budget_text: str = ""
    budget_figure: dict = {}
    _tenant_id: int | None = None
    _scenario_id: int | None = None
    _providers: Providers = Providers()
    # Distinct active users of the unit's subtree per range value: {"now": n, "before": n}.
    _users: dict[str, dict[str, int]] = {}
    _unit_raw_id: str = ""
    _watch_token: str = ""
    _watching: str = ""  # the token a running watcher serves

    def _clear_unit(self) -> None:
        """State is sent to the browser: nothing of the unit shown before stays there."""
        self.found_unit, self.unit_id, self.refresh_pending, self.updated = False, 0, False, ""
        self.hidden_note, self.hidden_unit_id, self.scope_note = "", 0, ""
        self.budget_text, self.budget_figure = "", {}
        self._clear_range()
        self._clear_provider()
        self._pick_range()
        self._tenant_id = self._scenario_id = None
        self._providers, self._users = Providers(), {}

    def _start_load(self, raw_id: str) -> None:
        self._unit_raw_id = raw_id
        self._watch_token = uuid.uuid4().hex  # a watcher of an earlier load stops

    def _unit_in_scope(self, user: User, raw_id: str, kind: OrgUnitKind, session) -> OrgUnit | None:
        scenario_id = self._scope_for(user)
        if not raw_id.isdigit():
            return None
        try:
            unit = org.get_org_unit_in_scope_or_raise(session=session, tenant_id=user.tenant_id,
                                                      scenario_id=scenario_id, org_unit_id=int(raw_id), kind=kind)
        except NotFound:
            return None
        self.scope_note = scope_note(session, unit)
        return unit

    def _visible(self, user: User, unit: OrgUnit, session) -> visibility.UsageViewer | None:
        """Who sees what for this load; None (and the reason on the page) when the unit's usage is refused."""
        viewer = visibility.viewer_for(session=session, user=user, scenario_id=unit.scenario_id)
        if viewer.may_see_unit(unit.id):
            return viewer
        self.hidden_note, self.hidden_unit_id = viewer.refusal_for_unit(), unit.id
        return None

    def _loaded(self, unit: OrgUnit, series: list[DayPoint], today: dt.date, computed_at: dt.datetime | None,
                providers: Providers, users: dict[str, dict[str, int]]):
        self._series, self._today = series, today
        self._providers, self._users = providers, users
        self._tenant_id, self._scenario_id = unit.tenant_id, unit.scenario_id
        self.unit_id = unit.id
        self.updated = updated_text(computed_at, clock.utcnow())
        self.refresh_pending = refresh.refresh_pending(tenant_id=unit.tenant_id, scenario_id=unit.scenario_id)
        self.found_unit = True

    def _budget(self, session, unit: OrgUnit, viewer: visibility.UsageViewer, provider: str | None) -> None:
        """The unit's budget this month, when it has one the viewer may see (budgets are Live only)."""
        if unit.scenario_id is not None:
            return
        status = budgets.status_for_unit(session=session, tenant_id=unit.tenant_id, viewer=viewer,
                                         org_unit_id=unit.id, provider=provider)
        if status is not None:
            self.budget_text = budget_sentence(status)
            self.budget_figure = burn_down_figure(status)

    def _provider_for(self, session, unit: OrgUnit) -> tuple[str | None, Providers]:
        """The chosen provider (None: all tools), and whose numbers the page shows."""
        used = queries.unit_providers(session=session, org_unit=unit)
        options = queries.provider_options(session=session, tenant_id=unit.tenant_id, used=used)
        provider = self._pick_provider(options)
        return provider, Providers(behind=(provider,) if provider is not None else used, offered=options)

    def _watch_if_pending(self):
        return type(self).watch_refresh if self.refresh_pending else None

    @rx.event(background=True)
    async def watch_refresh(self):
        async with self:
            token, tenant_id, scenario_id = self._watch_token, self._tenant_id, self._scenario_id
            if tenant_id is None or self._watching == token:  # nothing to watch, or watched already
                return
            self._watching = token
        for _ in range(WATCH_ROUNDS):
            await asyncio.sleep(WATCH_SECONDS)
            pending = await asyncio.to_thread(refresh.refresh_pending, tenant_id=tenant_id, scenario_id=scenario_id)
            if pending:
                continue
            async with self:
                if self._watch_token == token:  # still the load that started this watch
                    self._reload()
            return


def _computed_at(session, unit: OrgUnit) -> dt.datetime | None:
    """The unit's newest rollup row; for a unit without rows, the scope's last refresh."""
    return (queries.last_computed_at(session=session, tenant_id=unit.tenant_id, scenario_id=unit.scenario_id,
                                     org_unit_id=unit.id)
            or queries.last_computed_at(session=session, tenant_id=unit.tenant_id, scenario_id=unit.scenario_id))


def _users_by_range(session, unit: OrgUnit, series: list[DayPoint], today: dt.date,
                    provider: str | None) -> dict[str, dict[str, int]]:
    """The subtree's distinct active users in every range and the period before it (one statement)."""
    first = series[0].date if series else None
    wanted: dict[str, periods.Period] = {}
    for r in Range:
        chosen = card_range(r, today=today, first_usage=first)
        wanted[f"{r.value}:now"] = chosen.period
        if chosen.previous is not None:
            wanted[f"{r.value}:before"] = chosen.previous
    counts = queries.active_users_by_period(session=session, org_unit=unit, breadth=Breadth.subtree,
                                            periods=wanted, provider=provider)
    users: dict[str, dict[str, int]] = {}
    for name, value in counts.items():
        range_value, which = name.split(":")
        users.setdefault(range_value, {})[which] = value
    return users


class TeamUsageState(MemberTableMixin, UnitMixin, ScopeState):
    # The member table (`member_table.py`): shown only to those who may see this team's people
    # (`may_see_people_of_unit`); otherwise `members_note` says why.
    show_members: bool = False
    members_note: str = ""

    @rx.event
    def load(self):
        self._start_load(self.team_id)
        self._pick_member_page()
        self._reload()
        return self._watch_if_pending()

    def _clear_unit(self) -> None:
        super()._clear_unit()
        self._clear_members()
        self.show_members, self.members_note = False, ""

    def _reload(self) -> None:
        self._clear_unit()
        user = _reader(self, Ability.teams_read)
        if user is None:
            return
        with session_scope() as session:
            unit = self._unit_in_scope(user, self._unit_raw_id, OrgUnitKind.team, session)
            if unit is None:
                return
            viewer = self._visible(user, unit, session)
            if viewer is None:
                return
            provider, providers = self._provider_for(session, unit)
            series = queries.unit_series(session=session, org_unit=unit, breadth=Breadth.subtree, range=Range.all,
                                         provider=provider)
            if viewer.may_see_people_of_unit(unit.id):
                self._member_source = MemberSource(unit.id, provider, viewer.visible_actor_ids())
                self.show_members = True
            else:
                self.members_note = visibility.TOTALS_ONLY
            today = periods.tenant_today(session=session, tenant_id=unit.tenant_id)
            users = _users_by_range(session, unit, series, today, provider)
            computed_at = _computed_at(session, unit)
            self._budget(session, unit, viewer, provider)
        self._loaded(unit, series, today, computed_at, providers, users)
        self._load_members()

    @rx.var
    def cards(self) -> list[UsageCard]:
        """The chosen range's cards, each with the change against the days before it."""
        chosen = self._card_range
        if chosen is None or not self.found_unit:
            return []
        return team_range_cards(_plain(self._series), chosen, _plain(self._providers),
                                _plain(self._users).get(self.chosen_range, {}))


class DepartmentUsageState(UnitMixin, ScopeState):
    # The department's own (direct) days beside the subtree's `_series`, for the cards' "direct" numbers.
    _direct: list[DayPoint] = []

    @rx.event
    def load(self):
        self._start_load(self.department_id)
        self._reload()
        return self._watch_if_pending()

    def _reload(self) -> None:
        self._clear_unit()
        user = _reader(self, Ability.org_units_read)
        if user is None:
            return
        with session_scope() as session:
            unit = self._unit_in_scope(user, self._unit_raw_id, OrgUnitKind.department, session)
            viewer = self._visible(user, unit, session) if unit is not None else None
            if unit is None or viewer is None:
                return
            provider, providers = self._provider_for(session, unit)
            direct = queries.unit_series(session=session, org_unit=unit, breadth=Breadth.direct, range=Range.all,
                                         provider=provider)
            series = queries.unit_series(session=session, org_unit=unit, breadth=Breadth.subtree, range=Range.all,
                                         provider=provider)
            today = periods.tenant_today(session=session, tenant_id=unit.tenant_id)
            users = _users_by_range(session, unit, series, today, provider)
            computed_at = _computed_at(session, unit)
            self._budget(session, unit, viewer, provider)
        self._direct = direct
        self._loaded(unit, series, today, computed_at, providers, users)

    def _clear_unit(self) -> None:
        super()._clear_unit()
        self._direct = []

    @rx.var
    def cards(self) -> list[UsageCard]:
        """The chosen range's cards (subtree, with the direct numbers beside them)."""
        chosen = self._card_range
        if chosen is None or not self.found_unit:
            return []
        return department_range_cards(_plain(self._series), _plain(self._direct), chosen, _plain(self._providers),
                                      _plain(self._users).get(self.chosen_range, {}))
