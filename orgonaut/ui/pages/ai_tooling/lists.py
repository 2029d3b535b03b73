"""The settings page's two paged lists and what their address asks for:

- Unmatched e-mails: `?unmatched_q=` (search), `?unmatched_sort=` (default "-last_seen", most recently seen
  first), `?unmatched_page=`, `?unmatched_size=` (default 50);
- Recent sync logs: `?logs_integration=<id>`, `?logs_status=`, `?logs_page=`, `?logs_size=` (default 20).

The load reads them leniently (a bad value is the default; an integration that is not the tenant's, all of
them; a page past the end, the last page). Searching, sorting and filtering show the list's first page and
rewrite the address in place; the pagers' links navigate, so the page loads again. The state keeps the
choices in `_lists`; `ListsMixin` holds what the browser shows of them and the handlers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import reflex as rx

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.integrations.models import SyncStatus
from orgonaut.paging import Page, PageRequest, Sort, parse_page, parse_sort, search_term
from orgonaut.ui import routes
from orgonaut.ui.components.pager import PagerView, address, pager_view, replace_address

UNMATCHED_SIZE = 50
LOGS_SIZE = 20
ALL = "all"  # the log filters' "All integrations" and "All statuses"


@dataclasses.dataclass(frozen=True)
class ListChoices:
    unmatched_search: str = ""
    unmatched_sort: Sort = ai_tooling.UNMATCHED_DEFAULT_SORT
    unmatched_page: PageRequest = PageRequest(size=UNMATCHED_SIZE)
    logs_integration_id: int | None = None  # None: every integration
    logs_status: str = ""  # "" or a SyncStatus value
    logs_page: PageRequest = PageRequest(size=LOGS_SIZE)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ListChoices:
        integration = str(params.get("logs_integration", "")).strip()
        status = str(params.get("logs_status", "")).strip()
        return cls(
            unmatched_search=search_term(params.get("unmatched_q")),
            unmatched_sort=parse_sort(params.get("unmatched_sort"), ai_tooling.UNMATCHED_SORTS,
                                      ai_tooling.UNMATCHED_DEFAULT_SORT),
            unmatched_page=parse_page(params.get("unmatched_page"), params.get("unmatched_size"),
                                      default_size=UNMATCHED_SIZE),
            logs_integration_id=int(integration) if integration.isdigit() and len(integration) <= 10 else None,
            logs_status=status if status in set(SyncStatus) else "",
            logs_page=parse_page(params.get("logs_page"), params.get("logs_size"), default_size=LOGS_SIZE),
        )

    def address(self) -> str:
        """The page's address for these choices (defaults left out)."""
        return address(routes.AI_TOOLING_SETTINGS, {
            "unmatched_q": self.unmatched_search,
            "unmatched_sort": None if self.unmatched_sort == ai_tooling.UNMATCHED_DEFAULT_SORT
            else self.unmatched_sort.value,
            "unmatched_page": self.unmatched_page.page if self.unmatched_page.page > 1 else None,
            "unmatched_size": self.unmatched_page.size if self.unmatched_page.size != UNMATCHED_SIZE else None,
            "logs_integration": self.logs_integration_id,
            "logs_status": self.logs_status,
            "logs_page": self.logs_page.page if self.logs_page.page > 1 else None,
            "logs_size": self.logs_page.size if self.logs_page.size != LOGS_SIZE else None,
        })

    def shown(self, unmatched: Page | None = None, logs: Page | None = None) -> ListChoices:
        """These choices with the pages actually shown (a page past the end shows the last)."""
        choices = self
        if unmatched is not None:
            choices = dataclasses.replace(choices, unmatched_page=PageRequest(unmatched.page, unmatched.size))
        if logs is not None:
            choices = dataclasses.replace(choices, logs_page=PageRequest(logs.page, logs.size))
        return choices

    def unmatched_address(self, page: int) -> str:
        return dataclasses.replace(self, unmatched_page=PageRequest(page, self.unmatched_page.size)).address()

    def logs_address(self, page: int) -> str:
        return dataclasses.replace(self, logs_page=PageRequest(page, self.logs_page.size)).address()


class ListsMixin(rx.State, mixin=True):
    """What the browser shows of the lists' choices and pages, and the handlers that change them (each
    checks access again through the page state's `_check` and reloads through its `_reload`)."""

    unmatched_search: str = ""
    unmatched_sort: str = ai_tooling.UNMATCHED_DEFAULT_SORT.value
    unmatched_total: int = 0
    unmatched_pager: PagerView = PagerView()
    logs_integration: str = ALL
    logs_status: str = ALL
    logs_total: int = 0
    logs_pager: PagerView = PagerView()
    _lists: ListChoices = ListChoices()

    def _clear_lists(self) -> None:
        self.unmatched_total = self.logs_total = 0
        self.unmatched_pager, self.logs_pager = PagerView(), PagerView()

    def _show_lists(self, choices: ListChoices, unmatched: Page, logs: Page) -> None:
        """After a reload: the choices as shown (`views.page_data`'s), and the pagers' links."""
        self._lists = choices
        self.unmatched_search, self.unmatched_sort = choices.unmatched_search, choices.unmatched_sort.value
        self.logs_integration = str(choices.logs_integration_id or ALL)
        self.logs_status = choices.logs_status or ALL
        self.unmatched_total, self.logs_total = unmatched.total, logs.total
        self.unmatched_pager = pager_view(unmatched, self._lists.unmatched_address)
        self.logs_pager = pager_view(logs, self._lists.logs_address)

    def _show_logs(self, logs: Page) -> None:
        """After the run watcher's tick, which reads the logs only."""
        self._lists = self._lists.shown(logs=logs)
        self.logs_total, self.logs_pager = logs.total, pager_view(logs, self._lists.logs_address)

    def _choose(self, **changes):
        """New choices for one list, from its first page; the address follows."""
        user, refusal = self._check()
        if user is None:
            return rx.toast.error(refusal)
        self._lists = dataclasses.replace(self._lists, **changes)
        self._reload(user)
        return replace_address(self._lists.address())

    def _search_unmatched(self, value: str):
        return self._choose(unmatched_search=search_term(value),
                            unmatched_page=PageRequest(1, self._lists.unmatched_page.size))

    @rx.event
    def search_unmatched(self, value: str):
        return self._search_unmatched(value)

    @rx.event
    def sort_unmatched(self, key: str):
        """The column's natural order first (text A→Z, numbers and dates largest first), then the other way."""
        chosen = parse_sort(key, ai_tooling.UNMATCHED_SORTS, ai_tooling.UNMATCHED_DEFAULT_SORT)
        current = self._lists.unmatched_sort
        natural = chosen.key not in ("email", "provider")
        descending = not current.descending if current.key == chosen.key else natural
        return self._choose(unmatched_sort=Sort(chosen.key, descending),
                            unmatched_page=PageRequest(1, self._lists.unmatched_page.size))

    @rx.event
    def clear_unmatched_search(self):
        return self._search_unmatched("")

    @rx.event
    def filter_logs_integration(self, value: str):
        chosen = str(value)
        return self._choose(logs_integration_id=int(chosen) if chosen.isdigit() and len(chosen) <= 10 else None,
                            logs_page=PageRequest(1, self._lists.logs_page.size))

    @rx.event
    def filter_logs_status(self, value: str):
        return self._choose(logs_status=value if value in set(SyncStatus) else "",
                            logs_page=PageRequest(1, self._lists.logs_page.size))
