"""Server-side paging, shared by every list that can grow without bound (people, unmatched e-mails, sync
logs, a team's members): what a page request is, one page of rows with the count of all matches, sorting
on an allow-list and a case-insensitive search, all in SQL that reads the same on SQLite and PostgreSQL.

Pages read their page, size and sort from the address, which anyone can edit, so `parse_page` and
`parse_sort` never refuse: a value that is not a positive whole number is the first page (or the default
size), a size over the maximum is the maximum, an unknown sort is the list's default, and `fetch` shows
the last page for a number past the end. The REST API checks its own parameters and answers 422 naming
the one at fault (`api.errors.bad_param`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_SIZE = 50
MAX_SIZE = 200


@dataclass(frozen=True)
class PageRequest:
    page: int = 1  # 1-based
    size: int = DEFAULT_SIZE


def _whole(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    # Digits only (no sign, no "2.0"), and few of them: int() of a huge string is slow or refused.
    return int(text) if text.isdigit() and text.isascii() and len(text) <= 12 else None


def parse_page(page: object, size: object, *, default_size: int = DEFAULT_SIZE,
               max_size: int = MAX_SIZE) -> PageRequest:
    """A page request from the address's raw values, never refused (see the module docstring)."""
    number = _whole(page)
    wanted = _whole(size)
    return PageRequest(
        page=number if number is not None and number >= 1 else 1,
        size=default_size if wanted is None or wanted < 1 else min(wanted, max_size),
    )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, the count of all matches, and where it stands (page is 1-based, and
    always a page that exists: 1 for an empty list)."""

    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_index(self) -> int:
        """The 1-based position of the first item shown (0 when there is none)."""
        return (self.page - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.size + len(self.items)

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        return Page(items=[convert(item) for item in self.items], total=self.total, page=self.page, size=self.size)


def count_of(session: Session, statement: Select[Any]) -> int:
    """How many rows `statement` returns (its ORDER BY dropped; grouped statements count their groups)."""
    return int(session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one())


def fetch(session: Session, statement: Select[Any], request: PageRequest, *, total: int | None = None) -> Page[Any]:
    """The count of all rows of `statement` and the requested page of them: the one place that pages.

    `statement` must order its rows completely (a unique column last), or pages may repeat or skip rows.
    A page past the end is the last page. Items are result rows (a one-entity select's rows are that
    entity). `total` skips the count when the caller has it already."""
    total = count_of(session, statement) if total is None else total
    pages = max(1, -(-total // request.size))
    page = min(request.page, pages)
    result = session.execute(statement.limit(request.size).offset((page - 1) * request.size))
    rows = list(result.scalars()) if len(statement.column_descriptions) == 1 else list(result.all())
    return Page(items=rows, total=total, page=page, size=request.size)


@dataclass(frozen=True)
class Sort:
    """A sort on one allow-listed key; as a URL value "name" (ascending) or "-name" (descending)."""

    key: str
    descending: bool = False

    @property
    def value(self) -> str:
        return ("-" if self.descending else "") + self.key


def parse_sort(raw: object, allowed: Collection[str], default: Sort) -> Sort:
    """The sort a URL names, if its key is allowed; anything else is `default`."""
    text = str(raw or "").strip()
    descending = text.startswith("-")
    key = text[1:] if descending else text
    return Sort(key=key, descending=descending) if key in allowed else default


def search_term(raw: object) -> str:
    """A search as typed, trimmed and at most 200 characters (a URL can carry more than anyone types)."""
    return str(raw or "").strip()[:200]


def matches_search(term: str, *columns: Any) -> Any:
    """SQL: any of the columns contains `term`, case-insensitively, `%` and `_` taken literally. lower() on
    both sides works on both databases (SQLite lowers ASCII letters only)."""
    wanted = term.lower()
    return or_(*[func.lower(column).contains(wanted, autoescape=True) for column in columns])
