"""The Claude Enterprise Analytics API simulator, checked by the vendor's own client (the `anthropic` SDK,
whose models validate every answer here) and over plain HTTP: the documented shapes, limits, errors,
revisions and the demo; and the provider's logs and errors over it never hold the key."""

from __future__ import annotations

import datetime as dt
import functools
import logging

import anthropic
import httpx
import pytest
from anthropic.types.beta.organization.beta_analytics_cost_users_item import BetaAnalyticsCostUsersItem
from anthropic.types.beta.organization.beta_analytics_single_day_activity_summary import (
    BetaAnalyticsSingleDayActivitySummary,
)
from anthropic.types.beta.organization.beta_analytics_user_activity import BetaAnalyticsUserActivity

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ProviderError
from orgonaut.simulator.claude_enterprise import (
    SUMMARIES_PATH,
    USER_COST_PATH,
    USERS_PATH,
    ClaudeEnterpriseConfig,
)
from orgonaut.simulator.demo import DEMO_DELETED_ENTERPRISE_ACCOUNT
from tests.support.claude_enterprise_simulator import (
    NO_PERMISSION_ENTERPRISE_KEY,
    REVOKED_ENTERPRISE_KEY,
    VALID_ENTERPRISE_KEY,
    ClaudeEnterpriseSimulatorServer,
    enterprise_totals,
    recent_days,
)
from tests.support.simulator import simulate

TODAY = dt.datetime.now(dt.UTC).date()
DAY = recent_days(1, ago=10)[0]


@pytest.fixture
def sim(clean_claude_enterprise_simulator):
    return clean_claude_enterprise_simulator


def sdk(base_url: str, key: str = VALID_ENTERPRISE_KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=0)


def midnight(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def test_the_documented_shapes_pass_the_sdks_own_validation(sim):
    analytics = sdk(sim.base_url).beta.organization.analytics
    users = list(analytics.users.list(date=DAY, limit=4))  # the SDK pages through every cursor
    assert len(users) == 15 == len({row.user.id for row in users})
    raw = httpx.get(f"{sim.base_url}{USERS_PATH}", params={"date": DAY.isoformat(), "limit": 1000},
                    headers={"x-api-key": VALID_ENTERPRISE_KEY}).json()
    assert set(raw) == {"data", "next_page"} and raw["next_page"] is None
    for row in raw["data"]:
        BetaAnalyticsUserActivity.model_validate(row)  # strict: every required field, every type
    emails = [row["user"]["email_address"].lower() for row in raw["data"]]
    assert emails == sorted(emails)  # "sorted by email address"

    costs = httpx.get(f"{sim.base_url}{USER_COST_PATH}", headers={"x-api-key": VALID_ENTERPRISE_KEY}, params={
        "starting_at": midnight(DAY), "ending_at": midnight(DAY + dt.timedelta(days=3)), "bucket_width": "1d",
        "group_by[]": "product", "limit": 1000}).json()
    assert {"data", "has_more", "next_page", "data_refreshed_at", "organization_id"} <= set(costs)
    for row in costs["data"]:
        BetaAnalyticsCostUsersItem.model_validate(row)
        whole, _, fraction = row["amount"].partition(".")
        assert whole.isdigit() and len(fraction) == 6  # decimal strings of cents
    amounts = [float(row["amount"]) for row in costs["data"]]
    assert amounts == sorted(amounts, reverse=True)  # ranked by amount
    deleted = [row["actor"] for row in costs["data"] if row["actor"]["deleted"]]
    assert deleted and all(actor["email_address"] is None and actor["name"] == "Deleted User" for actor in deleted)
    assert {row["starting_at"][:10] for row in costs["data"]} == {
        (DAY + dt.timedelta(days=n)).isoformat() for n in range(3)}

    [summary] = list(analytics.summaries.list(starting_date=DAY, ending_date=DAY + dt.timedelta(days=1)))
    assert isinstance(summary, BetaAnalyticsSingleDayActivitySummary)
    assert (summary.assigned_seat_count, summary.pending_invite_count) == (15, 2)
    active = sum(1 for row in raw["data"] if row["last_activity_date"])
    assert summary.daily_active_user_count == active <= summary.weekly_active_user_count


def test_a_cursor_is_bound_to_its_query(sim):
    analytics = sdk(sim.base_url).beta.organization.analytics
    first = analytics.users.list(date=DAY, limit=5)
    assert first.next_page
    with pytest.raises(anthropic.BadRequestError) as refused:
        analytics.users.list(date=DAY, limit=6, page=first.next_page)
    assert refused.value.body == {"type": "error", "error": {
        "type": "invalid_request_error",
        "message": "The page cursor belongs to another query: send the same parameters with `page`."}}
    with pytest.raises(anthropic.BadRequestError, match="Invalid page cursor"):
        analytics.users.list(date=DAY, limit=5, page="not-a-cursor")
    assert len(analytics.users.list(date=DAY, limit=5, page=first.next_page).data) == 5


@pytest.mark.parametrize(("path", "params", "message"), [
    (USERS_PATH, {"date": "2025-12-31"}, "no earlier than 2026-01-01"),
    (USERS_PATH, {"date": (TODAY - dt.timedelta(days=91)).isoformat()}, "within the past 90 days"),
    (USERS_PATH, {"date": (TODAY - dt.timedelta(days=2)).isoformat()},
     f"the latest available day is {TODAY - dt.timedelta(days=3)}"),
    (USERS_PATH, {"date": "2026-13-01"}, "YYYY-MM-DD"),
    (USERS_PATH, {"date": DAY.isoformat(), "limit": "1001"}, "between 1 and 1000"),
    (USER_COST_PATH, {"starting_at": midnight(DAY - dt.timedelta(days=32)), "ending_at": midnight(DAY)},
     "at most 31 days"),
    (USER_COST_PATH, {"starting_at": "2025-12-31T00:00:00Z", "ending_at": "2026-01-02T00:00:00Z"},
     "no earlier than 2026-01-01"),
    (USER_COST_PATH, {"starting_at": midnight(DAY), "ending_at": midnight(DAY), "bucket_width": "1d"},
     "after starting_at"),
    (USER_COST_PATH, {"starting_at": midnight(DAY), "bucket_width": "1d"}, "ending_at is required"),
    (SUMMARIES_PATH, {"starting_date": (DAY - dt.timedelta(days=32)).isoformat(), "ending_date": DAY.isoformat()},
     "at most 31 days"),
])
def test_documented_limits_answer_400_in_anthropics_error_body(sim, path, params, message):
    answer = httpx.get(f"{sim.base_url}{path}", params=params, headers={"x-api-key": VALID_ENTERPRISE_KEY})
    assert answer.status_code == 400
    body = answer.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert message in body["error"]["message"]
    assert answer.headers["request-id"].startswith("req_sim_")


def test_keys_faults_and_revisions(sim):
    with pytest.raises(anthropic.AuthenticationError):
        sdk(sim.base_url, REVOKED_ENTERPRISE_KEY).beta.organization.analytics.users.list(date=DAY)
    with pytest.raises(anthropic.PermissionDeniedError) as refused:
        sdk(sim.base_url, NO_PERMISSION_ENTERPRISE_KEY).beta.organization.analytics.users.list(date=DAY)
    assert refused.value.body["error"]["type"] == "permission_error"
    sim.set_fault(status=429, retry_after=7, count=1)
    with pytest.raises(anthropic.RateLimitError) as limited:
        sdk(sim.base_url).beta.organization.analytics.users.list(date=DAY)
    assert limited.value.response.headers["retry-after"] == "7"
    assert [r["status"] for r in sim.requests()] == [401, 403, 429]

    before = enterprise_totals(sim.truth(DAY))
    who = sorted(w for w, total in before.items() if total["total_cost_cents"] and "@" in w)[0]
    assert sim.revise(date=DAY, action="change", email=who, factor=3)["records"] >= 2  # activity and cost
    after = enterprise_totals(sim.truth(DAY))
    assert after[who]["total_cost_cents"] == 3 * before[who]["total_cost_cents"]
    assert after[who]["lines_added"] == 3 * before[who]["lines_added"]
    old = httpx.post(f"{sim.base_url}/_sim/revise", json={"date": (TODAY - dt.timedelta(days=31)).isoformat(),
                                                           "action": "drop", "email": who})
    assert old.status_code == 400 and "final after 30 days" in old.json()["error"]


def test_the_provider_over_the_simulator_logs_and_says_nothing_of_the_key(sim, caplog):
    caplog.set_level(logging.DEBUG)  # the SDK's and httpx2's debug logs included
    provider = registry.create_provider("claude_enterprise", credentials={"api_key": VALID_ENTERPRISE_KEY},
                                        api_base=sim.base_url)
    assert provider.test_connection() == "Claude Enterprise organisation"
    sim.set_faults([{"mode": "status", "status": 429, "retry_after": 0, "count": 1},
                    {"mode": "malformed", "variant": "json", "count": 1, "after": 1}])
    with pytest.raises(ProviderError) as failed:
        provider.fetch_day(DAY)
    assert "Sending HTTP Request" in caplog.text  # the SDK did log at debug level
    assert VALID_ENTERPRISE_KEY not in caplog.text
    assert VALID_ENTERPRISE_KEY not in str(failed.value) and VALID_ENTERPRISE_KEY not in repr(failed.value)
    assert f"cost of {DAY}, page 1" in str(failed.value)  # activity: a 429, then its page; then cost


def test_a_day_not_served_yet_is_empty_and_a_deleted_account_is_named_by_its_id(sim):
    provider = registry.create_provider("claude_enterprise", credentials={"api_key": VALID_ENTERPRISE_KEY},
                                        api_base=sim.base_url)
    recent = provider.fetch_days(TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=1))
    assert len(recent[TODAY - dt.timedelta(days=3)]) > 0
    assert [len(recent[TODAY - dt.timedelta(days=n)]) for n in (2, 1)] == [0, 0]
    assert recent[TODAY - dt.timedelta(days=1)].warnings
    days = provider.fetch_days(*recent_days(14, ago=20)[::13])
    named = {usage.source_email: day for day, usages in days.items() for usage in usages
             if usage.source_email.startswith("claude-user:user_")}
    assert named
    source, day = next(iter(named.items()))
    assert days[day].hints[source].display_name == "Deleted User"


def test_a_vendor_later_than_documented_gives_empty_days_not_an_error():
    config = ClaudeEnterpriseConfig(activity_lag_days=5)
    with ClaudeEnterpriseSimulatorServer(config) as server:
        provider = registry.create_provider("claude_enterprise", credentials={"api_key": VALID_ENTERPRISE_KEY},
                                            api_base=server.base_url)
        days = provider.fetch_days(TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=3))
        assert [len(days[TODAY - dt.timedelta(days=n)]) > 0 for n in (5, 4, 3)] == [True, False, False]
        assert "has not served this one yet" in days[TODAY - dt.timedelta(days=4)].warnings[0]
        served = [(r["path"], r["status"]) for r in server.requests()]
        assert served == [(USERS_PATH, 200), (USERS_PATH, 400), (USER_COST_PATH, 200)]  # cost of the served day
        assert server.requests()[-1]["query"]["ending_at"].startswith(str(TODAY - dt.timedelta(days=4)))
        with pytest.raises(ProviderError, match="within the past 90 days") as refused:
            provider.fetch_days(TODAY - dt.timedelta(days=100), TODAY - dt.timedelta(days=99))  # a real error
        assert refused.value.status == 400


@pytest.fixture
def started(simulate_started):
    return functools.partial(simulate_started, "claude-enterprise")


def test_the_cli_demo_is_the_product_department_and_a_deleted_account(started):
    base_url = started("--demo")
    analytics = sdk(base_url).beta.organization.analytics
    emails = {row.user.email_address for row in analytics.users.list(date=DAY)}
    assert {"yusuf.demir@demo.test", "carlos.mendes@demo.test", "contractor.kim@agency.example"} <= emails
    assert "ethan.brooks@demo.test" not in emails and DEMO_DELETED_ENTERPRISE_ACCOUNT not in emails
    costs = analytics.user_cost_report.list(starting_at=midnight(DAY - dt.timedelta(days=13)), ending_at=midnight(DAY),
                                            bucket_width="1d", group_by=["product"], limit=1000)
    assert any(row.actor.deleted and row.actor.email_address is None for row in costs)


def test_the_cli_refuses_a_revision_of_final_cost():
    old = (TODAY - dt.timedelta(days=45)).isoformat()
    process = simulate("claude-enterprise", "--port", "1", "--revise", f"{old}:drop:email=a@x.test")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "final after 30 days" in err
