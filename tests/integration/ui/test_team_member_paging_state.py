"""The team page's "Usage by member" table in pages: its address (`?members_sort=&members_page=&members_size=`
beside `?range=`), bad values, the pager's links, and the totals row over every member on every page."""

from __future__ import annotations

from orgonaut.org.models import OrgUnit
from orgonaut.rollups import queries
from orgonaut.ui import routes
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.ai_usage_state import TeamUsageState
from orgonaut.ui.pages.team import TeamState
from tests.integration.ui.conftest import Tab, login_token
from tests.integration.ui.test_ai_usage_states import _frozen, _unit, usage_demo  # noqa: F401 - fixtures


def _open(tab: Tab, team: OrgUnit, query: str = "") -> TeamUsageState:
    path = routes.team_url(team.id) + (f"?{query}" if query else "")
    tab.open(TeamState, routes.TEAM, path, team_id=str(team.id))
    usage = tab.state(TeamUsageState)
    usage.load()
    return usage


def _ids(usage: TeamUsageState) -> list[int]:
    return [m.actor_id for m in usage.member_rows]


def _script(event) -> str:
    return str(event.args)


def test_members_in_pages_with_the_totals_of_everyone(session, usage_demo):  # noqa: F811
    tab = Tab(login_token(session, "admin@demo.test"))
    checkout = _unit(session, usage_demo.id, "Checkout")
    everyone = queries.team_member_breakdown(session=session, org_unit=checkout, range="3m")  # by cost
    assert len(everyone) >= 5
    url = routes.team_url(checkout.id)

    first = _open(tab, checkout, "members_size=2")
    assert _ids(first) == [m.actor_id for m in everyone[:2]]
    assert first.members_pager.summary == f"1–2 of {len(everyone)}"
    assert first.members_pager.next_href == f"{url}?members_page=2&members_size=2"
    # The totals row is every member's, on every page: the range's total, as before paging.
    assert first.member_totals.name == f"Total ({len(everyone)} people)"
    assert first.member_totals.cost == first.range_total == format_usd(sum(m.cost_cents for m in everyone))

    second = _open(tab, checkout, "members_page=2&members_size=2")
    assert _ids(second) == [m.actor_id for m in everyone[2:4]]
    assert second.member_totals == first.member_totals
    assert second.members_pager.previous_href == f"{url}?members_size=2"


def test_bad_values_show_the_first_or_last_page_and_the_default_sort(session, usage_demo):  # noqa: F811
    tab = Tab(login_token(session, "admin@demo.test"))
    checkout = _unit(session, usage_demo.id, "Checkout")
    everyone = [m.actor_id for m in queries.team_member_breakdown(session=session, org_unit=checkout, range="3m")]
    for query in ("members_page=abc", "members_page=-1&members_size=0", "members_sort=salary", "members_size=x"):
        assert _ids(_open(tab, checkout, query)) == everyone[:50], query
    last = _open(tab, checkout, "members_page=999&members_size=2")
    assert _ids(last) == everyone[(len(everyone) - 1) // 2 * 2:]
    by_name = _open(tab, checkout, "members_sort=name")
    assert [m.name for m in by_name.member_rows] == sorted((m.name for m in by_name.member_rows), key=str.lower)
    assert by_name.aria_sorts["name"] == "ascending"


def test_a_new_sort_or_range_shows_page_one_and_the_address_follows(session, usage_demo):  # noqa: F811
    tab = Tab(login_token(session, "admin@demo.test"))
    checkout = _unit(session, usage_demo.id, "Checkout")
    url = routes.team_url(checkout.id)
    usage = _open(tab, checkout, "members_page=2&members_size=2")
    assert f'"{url}?members_sort=name&members_size=2"' in _script(usage.sort_by("name"))  # names A→Z first
    assert usage.members_pager.summary.startswith("1–2 of")
    # The browser shows that address now; the next event's router reads it.
    tab.route(routes.TEAM, f"{url}?members_sort=name&members_size=2", team_id=str(checkout.id))
    script = _script(usage.choose_range("all"))
    assert f'"{url}?members_sort=name&members_size=2&range=all"' in script
    everyone = queries.team_member_breakdown(session=session, org_unit=checkout, range="all")
    assert usage.member_totals.name == f"Total ({len(everyone)} people)"
    assert _ids(usage) == [m.actor_id for m in sorted(everyone, key=lambda m: (m.name.lower(), m.actor_id))][:2]
    assert usage.sort_by("email") is None  # not a column: nothing changes


def test_the_direct_members_table_pages_too_and_keeps_the_rest_of_the_address(session, usage_demo):  # noqa: F811
    tab = Tab(login_token(session, "member@demo.test"))
    core = _unit(session, usage_demo.id, "Core Platform")
    url = routes.team_url(core.id)
    everyone = tab.open(TeamState, routes.TEAM, url, team_id=str(core.id))
    names, capacity = [m.name for m in everyone.members], everyone.members_fte
    assert len(names) >= 5 and names == sorted(names, key=str.lower)
    assert everyone.members_pager.links == []  # all on one page

    page = tab.open(TeamState, routes.TEAM, f"{url}?range=all&placed_page=2&placed_size=2", team_id=str(core.id))
    assert [m.name for m in page.members] == names[2:4]
    assert (page.members_text, page.members_fte) == (f"{len(names)} members", capacity)  # all, not the page
    assert page.members_pager.next_href == f"{url}?range=all&placed_page=3&placed_size=2"
    assert page.members_pager.previous_href == f"{url}?range=all&placed_size=2"
    past = tab.open(TeamState, routes.TEAM, f"{url}?placed_page=99&placed_size=2", team_id=str(core.id))
    assert [m.name for m in past.members] == names[(len(names) - 1) // 2 * 2:]
