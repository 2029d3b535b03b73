"""Claude Enterprise rows as the `anthropic` SDK hands them over (built without validation, as the SDK
builds them), checked and summed per person and UTC day: the Enterprise field names, exact cents per
product, deleted accounts by user id, idle seats no usage, repeated rows counted once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from anthropic._models import construct_type  # what the SDK itself does with a response's JSON
from anthropic.types.beta.organization.beta_analytics_cost_users_item import BetaAnalyticsCostUsersItem
from anthropic.types.beta.organization.beta_analytics_user_activity import BetaAnalyticsUserActivity

from orgonaut.ai_tooling.providers.base import SourceHint
from orgonaut.ai_tooling.providers.claude_enterprise import records
from orgonaut.simulator.claude_enterprise_data import EnterpriseUsage, make_members

D1, D2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
MEMBERS = make_members(["ada@demo.test", "ben@demo.test", "gone@demo.test"], seed=0, deleted=["gone@demo.test"])
ADA, BEN, GONE = MEMBERS


def activity(member=ADA, *, sessions=2, added=120, removed=30, commits=1, prs=1, accepted=5, rejected=2,
             messages=0, email: Any = "same", raw: bool = False) -> Any:
    row: dict[str, Any] = EnterpriseUsage(seed=0, members=[member])._activity(member, D1)
    core = row["claude_code_metrics"]["core_metrics"]
    core.update(distinct_session_count=sessions, commit_count=commits, pull_request_count=prs,
                lines_of_code={"added_count": added, "removed_count": removed})
    row["claude_code_metrics"]["tool_actions"] = {
        tool: {"accepted_count": accepted if tool == "edit_tool" else 0,
               "rejected_count": rejected if tool == "edit_tool" else 0}
        for tool in ("edit_tool", "multi_edit_tool", "notebook_edit_tool", "write_tool")}
    row["chat_metrics"].update(message_count=messages, distinct_conversation_count=1 if messages else 0)
    row["web_search_count"] = 0
    if email != "same":
        row["user"]["email_address"] = email
    return row if raw else construct_type(value=row, type_=BetaAnalyticsUserActivity)


def cost(member=ADA, amount="100.000000", *, product="chat", day=D1, requests=3, **changes: Any) -> Any:
    row = {"actor": {"type": "user_actor", "user_id": member.user_id, "deleted": member.deleted,
                     "email_address": None if member.deleted else member.email,
                     "name": "Deleted User" if member.deleted else member.name},
           "amount": amount, "list_amount": amount, "currency": "USD", "product": product, "requests": requests,
           "starting_at": f"{day}T00:00:00Z", "ending_at": f"{day + dt.timedelta(days=1)}T00:00:00Z", **changes}
    return construct_type(value=row, type_=BetaAnalyticsCostUsersItem)


def day_of(rows=(), costs=(), days=(D1,)):
    return records.per_day({D1: [records.activity_row(row) for row in rows]},
                           [records.cost_row(row) for row in costs], list(days))


def test_the_enterprise_field_names_are_read_into_the_records_metrics():
    [usage] = day_of([activity(sessions=4, added=321, removed=12, commits=3, prs=2, accepted=9, rejected=1)])[D1]
    assert (usage.source_email, usage.usage_date) == ("ada@demo.test", D1)
    assert (usage.sessions_count, usage.lines_added, usage.lines_removed, usage.commits_count,
            usage.pull_requests_count) == (4, 321, 12, 3, 2)
    assert usage.tool_actions == {"edit_tool": {"accepted": 9, "rejected": 1}}
    assert usage.total_cost_cents == Decimal(0) and usage.model_breakdown == []
    assert usage.provider_metrics == records.ClaudeEnterpriseCounters(tool_actions_accepted=9,
                                                                      tool_actions_rejected=1)


def test_cost_is_exact_decimal_cents_per_product_and_summed():
    by_day = day_of([activity()], [cost(amount="41280.000000", product="chat", requests=7),
                                   cost(amount="0.123456", product="claude_code", requests=2),
                                   cost(BEN, "12.5", product="cowork", day=D2)], days=(D1, D2))
    [ada] = by_day[D1]
    assert ada.total_cost_cents == Decimal("41280.123456") and type(ada.total_cost_cents) is Decimal
    assert ada.model_breakdown == [
        {"product": "chat", "requests": 7, "estimated_cost": {"currency": "USD", "amount": "41280.000000"}},
        {"product": "claude_code", "requests": 2, "estimated_cost": {"currency": "USD", "amount": "0.123456"}}]
    assert ada.provider_metrics.requests == 9
    [ben] = by_day[D2]  # cost without activity (no /users row read for D2 here) is still usage
    assert (ben.source_email, ben.total_cost_cents, ben.sessions_count) == ("ben@demo.test", Decimal("12.5"), 0)


def test_a_deleted_account_is_named_by_its_user_id_with_its_name_as_a_hint():
    by_day = day_of(costs=[cost(GONE, "5.000000")])
    [usage] = by_day[D1]
    assert usage.source_email == f"claude-user:{GONE.user_id}"
    assert by_day[D1].hints == {usage.source_email: SourceHint(display_name="Deleted User")}
    [nameless] = day_of(costs=[cost(GONE, "5", actor={"type": "user_actor", "user_id": GONE.user_id,
                                                      "deleted": True, "email_address": None, "name": None})])[D1]
    assert nameless.source_email == f"claude-user:{GONE.user_id}"


def test_emails_are_normalised_and_one_user_id_joins_activity_and_cost():
    [usage] = day_of([activity(email="  Ada@Demo.TEST ")], [cost(amount="1")])[D1]
    assert usage.source_email == "ada@demo.test"
    assert (usage.lines_added, usage.total_cost_cents) == (120, Decimal(1))


def test_an_idle_seat_is_no_usage_but_chat_alone_is():
    idle = activity(BEN, sessions=0, added=0, removed=0, commits=0, prs=0, accepted=0, rejected=0)
    chatting = activity(sessions=0, added=0, removed=0, commits=0, prs=0, accepted=0, rejected=0, messages=12)
    [usage] = day_of([idle, chatting])[D1]
    assert usage.source_email == "ada@demo.test" and usage.provider_metrics.chat_messages == 12


def test_a_row_met_twice_is_counted_once_the_later_version_kept_with_warnings():
    by_day = day_of([activity(added=10), activity(added=10)], [cost(amount="3"), cost(amount="3")])
    [usage] = by_day[D1]
    assert (usage.lines_added, usage.total_cost_cents) == (10, Decimal(3))
    assert len(by_day[D1].warnings) == 2 and all("the same" in w and "ada@demo.test" in w for w in by_day[D1].warnings)
    changed = day_of([activity(added=10), activity(added=25)], [cost(amount="3"), cost(amount="4")])
    [usage] = changed[D1]
    assert (usage.lines_added, usage.total_cost_cents) == (25, Decimal(4))
    assert all("the later is kept" in warning for warning in changed[D1].warnings)


@pytest.mark.parametrize("change", [
    pytest.param({"currency": "EUR"}, id="not USD"),
    pytest.param({"amount": "1e5"}, id="amount not a decimal string"),
    pytest.param({"amount": 12.5}, id="amount a number"),
    pytest.param({"amount": "-1.000000"}, id="negative amount"),
    pytest.param({"amount": "10000000000000.000000"}, id="amount out of range"),
    pytest.param({"actor": {"type": "user_actor", "email_address": "a@b.test"}}, id="actor without user id"),
    pytest.param({"starting_at": "2026-11-02T05:00:00Z"}, id="not a day's start"),
    pytest.param({"starting_at": "2026-11-09T00:00:00Z"}, id="outside the range"),
])
def test_a_cost_row_without_the_documented_shape_is_refused(change):
    with pytest.raises(ValueError):
        day_of(costs=[cost(**change)])


def test_an_activity_row_with_the_claude_code_reports_names_or_a_wrong_type_is_refused():
    row = activity(raw=True)
    row["claude_code_metrics"]["core_metrics"]["lines_of_code"] = {"added": 3, "removed": 1}
    with pytest.raises(ValueError, match="added_count"):
        records.activity_row(construct_type(value=row, type_=BetaAnalyticsUserActivity))
    wrong = activity()
    wrong.claude_code_metrics.core_metrics.commit_count = "x"  # the SDK keeps what it was sent
    with pytest.raises(ValueError, match="commit_count"):
        records.activity_row(wrong)
    missing = activity()
    missing.user = None
    with pytest.raises(ValueError, match="no user"):
        records.activity_row(missing)
