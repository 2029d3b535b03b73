"""The team page's "Usage by member" table, paged on the server (`rollups.members.team_member_page`): a team
can hold any number of people, so the browser gets one page of rows, while the totals row is every member
listed, on every page, as before.

Its address is the team page's `?members_sort=` ("-cost", the default: highest cost first), `?members_page=`
and `?members_size=` (default 50), beside `?range=` and `?provider=`. The load reads them leniently; a new sort
or range shows page 1 and rewrites the address in place; the pager's links navigate (the page loads again).
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.org.models import OrgUnit
from orgonaut.paging import PageRequest, Sort, parse_page, parse_sort
from orgonaut.rollups import members
from orgonaut.ui.components.pager import PagerView, pager_view, replace_address
from orgonaut.ui.pages.usage_filters import page_url
from orgonaut.ui.pages.usage_views import MEMBER_COLUMNS, MemberView, member_view

MEMBER_PARAMS = ("members_sort", "members_page", "members_size")


@dataclasses.dataclass(frozen=True)
class MemberSource:
    """Whose rows the table reads: the team, its scope, the provider chosen, and the people the viewer may
    see (None: everyone)."""

    org_unit_id: int
    provider: str | None
    visible_actor_ids: frozenset[int] | None


class MemberTableMixin(rx.State, mixin=True):
    sort_column: str = members.MEMBER_DEFAULT_SORT.key
    sort_descending: bool = members.MEMBER_DEFAULT_SORT.descending
    member_rows: list[MemberView] = []
    member_totals: MemberView = MemberView()  # every member listed, on every page
    members_pager: PagerView = PagerView()
    # How many people placed here in the range are outside what the user may see (not listed).
    members_left_out: int = 0
    _member_source: MemberSource | None = None
    _members_page: PageRequest = PageRequest()

    def _clear_members(self) -> None:
        self.member_rows, self.member_totals, self.members_pager = [], MemberView(), PagerView()
        self.members_left_out, self._member_source = 0, None

    def _pick_member_page(self) -> None:
        """The sort and page the address names (a bad value: the default)."""
        params = self.router.url.query_parameters
        sort = parse_sort(params.get("members_sort"), members.MEMBER_SORTS, members.MEMBER_DEFAULT_SORT)
        self.sort_column, self.sort_descending = sort.key, sort.descending
        self._members_page = parse_page(params.get("members_page"), params.get("members_size"))

    def _load_members(self) -> None:
        """The page of members of the chosen range (`chosen_range`, from RangeMixin)."""
        source = self._member_source
        if source is None:
            return
        with session_scope() as session:
            unit = session.get(OrgUnit, source.org_unit_id)
            if unit is None:
                self._clear_members()
                return
            found = members.team_member_page(
                session=session, org_unit=unit, request=self._members_page, range=self.chosen_range,
                sort=Sort(self.sort_column, self.sort_descending), provider=source.provider,
                visible_actor_ids=source.visible_actor_ids,
            )
        rows = found.rows
        self._members_page = PageRequest(rows.page, rows.size)
        self.member_rows = [member_view(row) for row in rows.items]
        name = f"Total ({rows.total:,} {'person' if rows.total == 1 else 'people'})"
        self.member_totals = member_view(dataclasses.replace(found.totals, name=name))
        self.members_left_out = found.left_out
        self.members_pager = pager_view(rows, self._members_address)

    def _members_address(self, page: int) -> str:
        """The team page's address showing member page `page`, its range, provider and sort kept."""
        url = self.router.url
        query = {key: value for key, value in url.query_parameters.items() if key not in MEMBER_PARAMS}
        if (self.sort_column, self.sort_descending) != (members.MEMBER_DEFAULT_SORT.key,
                                                     members.MEMBER_DEFAULT_SORT.descending):
            query["members_sort"] = Sort(self.sort_column, self.sort_descending).value
        if page > 1:
            query["members_page"] = str(page)
        if self._members_page.size != PageRequest().size:
            query["members_size"] = str(self._members_page.size)
        return page_url(url.path, query, provider=self.chosen_provider, range=self.chosen_range)

    def _first_member_page(self):
        """After a new sort or range: the first page of members, and the address says so."""
        self._members_page = PageRequest(1, self._members_page.size)
        self._load_members()
        return replace_address(self._members_address(1))

    def _range_url_event(self):
        """RangeMixin.choose_range's address, which also names the member table's page."""
        return self._first_member_page()

    @rx.var
    def members_left_out_text(self) -> str:
        """Said under the member table when people placed here in the range are outside the user's scope."""
        n = self.members_left_out
        if not n:
            return ""
        who = "1 person" if n == 1 else f"{n} people"
        return (f"{who} placed here in these days {'is' if n == 1 else 'are'} outside your scope today: "
                "counted in the team's totals, not listed.")

    @rx.var
    def aria_sorts(self) -> dict[str, str]:
        """Each column header's aria-sort."""
        direction = "descending" if self.sort_descending else "ascending"
        return {key: direction if key == self.sort_column else "none" for key, _ in MEMBER_COLUMNS}

    @rx.event
    def sort_by(self, key: str):
        if key not in members.MEMBER_SORTS or self._member_source is None:
            return None
        if key == self.sort_column:
            self.sort_descending = not self.sort_descending
        else:  # names A→Z first, numbers largest first
            self.sort_column, self.sort_descending = key, key != "name"
        return self._first_member_page()
