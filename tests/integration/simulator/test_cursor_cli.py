"""`orgonaut simulate cursor` as the demo runs it: a real process, its flags and its HTTP answers."""

from __future__ import annotations

import datetime as dt
import functools
import time

import httpx
import pytest

from orgonaut.org.demo_data import demo_usage_roster
from orgonaut.simulator.cursor import DAILY_USAGE_PATH, EVENTS_PATH, MEMBERS_PATH
from tests.support.cursor_simulator import cursor_auth, day_window
from tests.support.processes import free_port
from tests.support.simulator import simulate

DAY = dt.date(2025, 3, 4)


@pytest.fixture
def started(simulate_started):
    return functools.partial(simulate_started, "cursor")


def test_the_demo_has_people_on_each_tool_and_on_both_and_the_real_limits(started):
    base_url = started("--demo")
    members = httpx.get(f"{base_url}{MEMBERS_PATH}", auth=cursor_auth()).json()["teamMembers"]
    cursor = {m["email"] for m in members}
    claude_code = {email for email in demo_usage_roster() if email.endswith("@demo.test")}
    both, claude_only, cursor_only = cursor & claude_code, claude_code - cursor, cursor - claude_code
    assert len(both) >= 10 and len(claude_only) >= 10
    assert {"olivia.owens@demo.test", "elena.petrova@demo.test", "pia.andersen@demo.test"} <= cursor_only
    assert [m["email"] for m in members if m["isRemoved"]] == ["quinn.foster@demo.test"]  # left the company
    assert httpx.get(f"{base_url}/_sim/team").json()["name"] == "demo.test"
    # Will Turner joined 3 months ago: absent from a paginated period 6 months back, present last week.
    today = dt.datetime.now(dt.UTC).date()
    users = [{row["email"] for row in httpx.post(f"{base_url}{DAILY_USAGE_PATH}", auth=cursor_auth(), json={
        **day_window(today - dt.timedelta(days=days)), "page": 1, "pageSize": 1000}).json()["data"]}
        for days in (180, 7)]
    assert len(users[0]) == 30 and "will.turner@demo.test" not in users[0]
    assert "will.turner@demo.test" in users[1] and "quinn.foster@demo.test" in users[0] - users[1]
    # The real limits: 20 a minute for members and daily usage (three used above), 60 for events.
    # The bucket refills one every 3 s: on a loaded machine a refill may land among the requests, so count
    # the answers before the first 429 and allow one more per 3 s elapsed.
    started, usage = time.monotonic(), []
    while 429 not in usage and len(usage) < 60:
        usage.append(httpx.post(f"{base_url}{DAILY_USAGE_PATH}", json=day_window(DAY), auth=cursor_auth()).status_code)
    refills = int((time.monotonic() - started) / 3) + 1
    with httpx.Client(base_url=base_url, auth=cursor_auth()) as client:  # the bucket refills 1 a second
        events: list[int] = []
        while 429 not in events and len(events) < 300:
            events.append(client.post(EVENTS_PATH, json={**day_window(DAY), "pageSize": 1}).status_code)
    assert usage[-1] == 429 and 17 <= usage.count(200) <= 17 + refills and set(usage) == {200, 429}
    assert events[:60] == [200] * 60 and events[-1] == 429
    assert httpx.get(f"{base_url}/_sim/limits").json() == {"rate_limit": 20, "events_rate_limit": 60}


def test_flags_for_limits_faults_shapes_and_the_team_name(started):
    base_url = started("--roster-size", "3", "--rate-limit", "0", "--events-rate-limit", "0", "--every-day",
                       "--fault", "500:count=1", "--row-style", "older", "--team-name", "Acme", "--page-size", "2")
    failed = httpx.get(f"{base_url}{MEMBERS_PATH}", auth=cursor_auth())
    assert (failed.status_code, failed.json()) == (500, {"error": "Internal Server Error",
                                                        "message": "An unexpected error occurred"})
    members = httpx.get(f"{base_url}{MEMBERS_PATH}", auth=cursor_auth()).json()
    assert members["teamName"] == "Acme" and len(members["teamMembers"]) == 5  # 3 and the 2 contractors
    rows = [httpx.post(f"{base_url}{DAILY_USAGE_PATH}", json=day_window(DAY), auth=cursor_auth())
            for _ in range(25)]
    assert {row.status_code for row in rows} == {200}  # no limit
    assert all("userId" not in row and "day" not in row for row in rows[0].json()["data"])
    page = httpx.post(f"{base_url}{EVENTS_PATH}", json={**day_window(DAY), "pageSize": 100}, auth=cursor_auth())
    assert page.json()["pagination"]["pageSize"] == 2 and len(page.json()["usageEvents"]) == 2


def test_bad_flags_exit_with_a_reason():
    for args, message in ((["--row-style", "oldest"], "newest or older"), (["--fault", "teapot"], "mode must be")):
        process = simulate("cursor", "--port", str(free_port()), *args)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode != 0 and message in stderr
