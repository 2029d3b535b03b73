"""The Unmatched list's pages (`unmatched.unmatched_page`) against brute force over the records the test
wrote: 130 unmatched sources (some under two providers, some ignored, vendor ids named by their logins),
beside matched usage, another scope and another tenant that must not show. Every page of every sort, and
searches, equal a slice of the whole list computed here in Python."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import pytest

from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.models import AiToolUsageRecord, IgnoredUsageSource, UsageSourceAlias
from orgonaut.errors import NotFound
from orgonaut.org import service as org
from orgonaut.paging import PageRequest, Sort
from tests.factories import make_tenant

DAY = dt.date(2026, 5, 1)
SORTS = [Sort(key, descending) for key in service.UNMATCHED_SORTS for descending in (False, True)]


@dataclass
class Usage:
    tenant_id: int
    records: list[AiToolUsageRecord]
    ignored: set[str]
    logins: dict[str, str]  # vendor-id source -> the login its vendor gave it


def _record(tenant_id: int, source: str, provider: str, day: dt.date, cost: Decimal, **kwargs) -> AiToolUsageRecord:
    return AiToolUsageRecord(tenant_id=tenant_id, provider=provider, source_email=source, usage_date=day,
                             total_cost_cents=cost, **kwargs)


@pytest.fixture
def usage(session) -> Usage:
    draw = random.Random(11)
    tenant = make_tenant(session)
    other = make_tenant(session)
    plan = org.create_scenario(session=session, tenant_id=tenant.id, name="Plan")
    ada = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="Ada", email="ada@x.test")
    session.flush()
    records, logins = [], {}
    for n in range(130):
        if n % 10 == 0:
            source = f"github:{5000 + n}"
            logins[source] = f"Octo-{n:03d}"  # as the vendor wrote it; kept lower case, without "@"
        elif n % 13 == 0:
            source = f"api-key:Build_{n}%"
        else:
            source = f"{draw.choice(['ana', 'Ben', 'cy', 'dee_x'])}{n:03d}@{draw.choice(['corp', 'contractor'])}.test"
        providers = ["claude_code", "cursor"] if n % 7 == 0 else [draw.choice(["claude_code", "cursor", "copilot"])]
        for provider in providers:
            for k in range(draw.randint(1, 4)):
                # Some ties: every 17th source costs 1.5 a day, every 11th was last seen on DAY.
                cost = Decimal(draw.randint(0, 5_000_000)) / 1_000_000 if n % 17 else Decimal("1.5")
                day = DAY - dt.timedelta(days=k * 20 + (draw.randint(0, 19) if n % 11 else 0))
                records.append(_record(tenant.id, source.lower(), provider, day, cost))
    for source, login in logins.items():
        session.add(UsageSourceAlias(tenant_id=tenant.id, source=source, kind="github_login", value=login.lower(),
                                     last_seen=DAY))
    ignored = {"github:5020", next(r.source_email for r in records if "@" in r.source_email)}
    session.add_all([IgnoredUsageSource(tenant_id=tenant.id, source_email=s) for s in ignored])
    session.add_all(records)
    # What the list must leave out: matched usage, another scope's, another tenant's.
    session.add_all([
        _record(tenant.id, "ada@x.test", "cursor", DAY, Decimal(3), actor_id=ada.id),
        _record(tenant.id, "plan-only@x.test", "cursor", DAY, Decimal(3), scope_key=plan.id, scenario_id=plan.id),
        _record(other.id, "theirs@x.test", "cursor", DAY, Decimal(3)),
    ])
    session.commit()
    return Usage(tenant_id=tenant.id, records=records, ignored=ignored, logins=logins)


def _brute_force(usage: Usage, search: str, sort: Sort, *, ignored: bool = False) -> list[tuple]:
    groups: dict[tuple[str, str], list[AiToolUsageRecord]] = {}
    for r in usage.records:
        if (r.source_email in usage.ignored) == ignored:
            groups.setdefault((r.source_email, r.provider), []).append(r)
    term = search.strip().lower()
    rows = [
        (source, provider, len(rs), max(r.usage_date for r in rs), sum((r.total_cost_cents for r in rs), Decimal(0)))
        for (source, provider), rs in groups.items()
        if not term or term in source or term.removeprefix("@") in usage.logins.get(source, "").lower()
    ]
    position = {"email": 0, "provider": 1, "records": 2, "last_seen": 3, "cost": 4}[sort.key]
    rows.sort(key=lambda row: (row[0], row[1]))  # ties by source, then provider, ascending: sorted first, stably
    rows.sort(key=lambda row: row[position], reverse=sort.descending)
    return rows


def _listed(entries) -> list[tuple]:
    return [(u.source_email, u.provider, u.record_count, u.last_seen, u.total_cost_cents) for u in entries]


def _all_pages(session, usage: Usage, *, size: int, search: str = "", sort: Sort = service.UNMATCHED_DEFAULT_SORT,
               ignored: bool = False) -> list[list[tuple]]:
    pages, number = [], 1
    while True:
        page = service.unmatched_page(session=session, tenant_id=usage.tenant_id, search=search, sort=sort,
                                      ignored=ignored, request=PageRequest(page=number, size=size))
        assert page.page == number
        pages.append(_listed(page.items))
        if number == page.pages:
            return pages
        number += 1


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: s.value)
def test_every_page_of_every_sort_is_the_slice_of_the_whole_sorted_list(session, usage, sort):
    expected = _brute_force(usage, "", sort)
    assert len(expected) > 130  # some sources under two providers, two ignored
    assert _all_pages(session, usage, size=20, sort=sort) == [expected[i:i + 20] for i in range(0, len(expected), 20)]


@pytest.mark.parametrize("search", ["ANA", "@octo-01", "octo", "contractor.test", "build_", "%", "5040", "no-such"])
def test_a_search_finds_sources_and_their_vendor_names_and_counts_them(session, usage, search):
    expected = _brute_force(usage, search, Sort("cost", descending=True))
    first = service.unmatched_page(session=session, tenant_id=usage.tenant_id, search=search,
                                   sort=Sort("cost", descending=True), request=PageRequest(page=1, size=6))
    assert first.total == len(expected)
    pages = _all_pages(session, usage, size=6, search=search, sort=Sort("cost", descending=True))
    assert [row for page in pages for row in page] == expected
    if search == "@octo-01":  # the login as the list shows it: github:5010's is octo-010
        assert [u.label for u in first.items] == ["@octo-010 (GitHub user id 5010)"]
    if search == "octo":  # every vendor id but the ignored github:5020
        assert {row[0] for row in expected} == {f"github:{5000 + n}" for n in range(0, 130, 10)} - {"github:5020"}


def test_the_default_order_is_the_lists_and_past_the_end_is_the_last_page(session, usage):
    everything = service.list_unmatched(session=session, tenant_id=usage.tenant_id, limit=1000)
    expected = _brute_force(usage, "", service.UNMATCHED_DEFAULT_SORT)
    assert _listed(everything) == expected
    last = service.unmatched_page(session=session, tenant_id=usage.tenant_id, request=PageRequest(page=10**9, size=50))
    assert last.page == last.pages == -(-len(expected) // 50)
    assert _listed(last.items) == expected[(last.page - 1) * 50:]


def test_the_ignored_list_pages_the_same_way(session, usage):
    expected = _brute_force(usage, "", Sort("email"), ignored=True)
    assert {row[0] for row in expected} == usage.ignored
    assert _all_pages(session, usage, size=1, sort=Sort("email"), ignored=True) == [[row] for row in expected]


def test_another_tenants_scenario_is_not_found(session, usage):
    theirs = org.create_scenario(session=session, tenant_id=make_tenant(session).id, name="Theirs")
    session.commit()
    with pytest.raises(NotFound):
        service.unmatched_page(session=session, tenant_id=usage.tenant_id, scenario_id=theirs.id,
                               request=PageRequest())
