"""Revisions of a day (`POST /_sim/revise`, `--revise`): validation and what each does to a record."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from orgonaut.simulator.faults import FaultError
from orgonaut.simulator.revisions import Revision, parse_revision_spec, record_email, revision_from_json

DAY = dt.date(2025, 3, 4)
RECORD = (
    '{"date":"2025-03-04T00:00:00Z","actor":{"type":"user_actor","email_address":"Ann.Lee@Acme.test"},'
    '"organization_id":"o","customer_type":"api","subscription_type":null,"terminal_type":"vscode",'
    '"core_metrics":{"num_sessions":3,"lines_of_code":{"added":101,"removed":5},"commits_by_claude_code":1,'
    '"pull_requests_by_claude_code":0},"tool_actions":{"edit_tool":{"accepted":7,"rejected":2}},'
    '"model_breakdown":[{"model":"m","tokens":{"input":1000,"output":250,"cache_read":3,"cache_creation":0},'
    '"estimated_cost":{"currency":"USD","amount":12.345}},{"model":"n","tokens":{"input":1,"output":1,'
    '"cache_read":1,"cache_creation":1},"estimated_cost":{"currency":"USD","amount":186}}]}'
)
OTHER = RECORD.replace("Ann.Lee@Acme.test", "bo.chan@acme.test")
API_KEY = RECORD.replace('{"type":"user_actor","email_address":"Ann.Lee@Acme.test"}',
                         '{"type":"api_actor","api_key_name":"ann.lee@acme.test"}')


def revision(**fields) -> Revision:
    return revision_from_json({"date": "2025-03-04", **fields})


def parsed(text: str) -> dict:
    return json.loads(text, parse_float=Decimal)


def test_drop_removes_the_persons_records_whatever_the_case():
    drop = revision(action="drop", email="ann.lee@ACME.test")
    assert drop == Revision(date=DAY, action="drop", email="ann.lee@ACME.test")
    assert drop.apply(RECORD) is None
    assert drop.apply(OTHER) == OTHER
    assert drop.apply(API_KEY) == API_KEY  # an API-key actor is never revised
    assert record_email(RECORD) == "ann.lee@acme.test" and record_email(API_KEY) is None


def test_move_reports_the_usage_under_another_email_and_changes_nothing_else():
    moved = parsed(revision(action="move", email="ann.lee@acme.test", to_email="ann@new.test").apply(RECORD))
    assert moved["actor"] == {"type": "user_actor", "email_address": "ann@new.test"}
    assert {**moved, "actor": None} == {**parsed(RECORD), "actor": None}


def test_change_scales_every_count_half_even_and_every_amount_exactly():
    changed = parsed(revision(action="change", email="ann.lee@acme.test", factor=1.5).apply(RECORD))
    assert changed["core_metrics"] == {"num_sessions": 4, "lines_of_code": {"added": 152, "removed": 8},
                                       "commits_by_claude_code": 2, "pull_requests_by_claude_code": 0}
    assert changed["tool_actions"] == {"edit_tool": {"accepted": 10, "rejected": 3}}
    first, second = changed["model_breakdown"]
    assert first["tokens"] == {"input": 1500, "output": 375, "cache_read": 4, "cache_creation": 0}
    # 12.345 × 1.5 = 18.5175 -> 18.518 (half-even to a thousandth of a cent); 186 × 1.5 = 279, no ".000".
    assert first["estimated_cost"] == {"currency": "USD", "amount": Decimal("18.518")}
    assert second["estimated_cost"]["amount"] == 279 and isinstance(second["estimated_cost"]["amount"], int)
    halved = parsed(revision(action="change", email="ann.lee@acme.test", factor=0.5).apply(RECORD))
    assert halved["core_metrics"]["num_sessions"] == 2  # 1.5 -> 2 (half-even)
    assert halved["core_metrics"]["commits_by_claude_code"] == 0  # 0.5 -> 0 (half-even)
    assert halved["model_breakdown"][0]["estimated_cost"]["amount"] == Decimal("6.172")  # 6.1725 -> 6.172
    assert revision(action="change", email="ann.lee@acme.test", factor=2).apply(OTHER) == OTHER


def test_the_json_form_lists_every_field():
    change = revision(action="change", email="a@x.test", factor=1.5)
    assert change.to_json() == {"id": 0, "date": "2025-03-04", "action": "change", "email": "a@x.test",
                                "to_email": None, "factor": 1.5, "records": 0}
    assert revision(action="change", email="a@x.test", factor=3).to_json()["factor"] == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1], "a revision is a JSON object"),
        ({"action": "drop", "email": "a@x.test"}, "date must be a date in YYYY-MM-DD format"),
        ({"date": "2025-3-4", "action": "drop", "email": "a@x.test"}, "date must be a date in YYYY-MM-DD format"),
        ({"date": "2025-02-30", "action": "drop", "email": "a@x.test"}, "date 2025-02-30 is not a valid date"),
        ({"date": 20250304, "action": "drop", "email": "a@x.test"}, "date must be a date"),
        ({"date": "2025-03-04", "action": "shred", "email": "a@x.test"}, "action must be one of drop, change, move"),
        ({"date": "2025-03-04", "email": "a@x.test"}, "action must be one of"),
        ({"date": "2025-03-04", "action": "drop"}, "email must be an e-mail address"),
        ({"date": "2025-03-04", "action": "drop", "email": "nobody"}, "email must be an e-mail address"),
        ({"date": "2025-03-04", "action": "move", "email": "a@x.test"}, "to_email must be an e-mail address"),
        ({"date": "2025-03-04", "action": "move", "email": "a@x.test", "to_email": "A@X.test"},
         "to_email must differ from email"),
        ({"date": "2025-03-04", "action": "drop", "email": "a@x.test", "to_email": "b@x.test"},
         "to_email only applies to a move"),
        ({"date": "2025-03-04", "action": "change", "email": "a@x.test"}, "a change needs a factor"),
        ({"date": "2025-03-04", "action": "change", "email": "a@x.test", "factor": "2"}, "factor must be a number"),
        ({"date": "2025-03-04", "action": "change", "email": "a@x.test", "factor": True}, "factor must be a number"),
        ({"date": "2025-03-04", "action": "change", "email": "a@x.test", "factor": 0}, "factor must be above 0"),
        ({"date": "2025-03-04", "action": "change", "email": "a@x.test", "factor": -2}, "factor must be above 0"),
        ({"date": "2025-03-04", "action": "change", "email": "a@x.test", "factor": 1}, "not 1"),
        ({"date": "2025-03-04", "action": "change", "email": "a@x.test", "factor": 1001}, "at most 1000"),
        ({"date": "2025-03-04", "action": "drop", "email": "a@x.test", "factor": 2}, "factor only applies to a change"),
        ({"date": "2025-03-04", "action": "drop", "email": "a@x.test", "why": 1}, "unknown revision fields: why"),
    ],
)
def test_bad_revisions_say_why(data, message):
    with pytest.raises(FaultError, match=message):
        revision_from_json(data)


def test_cli_revision_specs():
    assert parse_revision_spec("2025-03-04:drop:email=a@x.test") == Revision(date=DAY, action="drop", email="a@x.test")
    assert parse_revision_spec("2025-03-04:change:email=a@x.test:factor=1.5").factor == Decimal("1.5")
    assert parse_revision_spec("2025-03-04:move:email=a@x.test:to_email=b@x.test").to_email == "b@x.test"
    with pytest.raises(FaultError, match="factor=lots is not a number"):
        parse_revision_spec("2025-03-04:change:email=a@x.test:factor=lots")
    with pytest.raises(FaultError, match="is not name=value"):
        parse_revision_spec("2025-03-04:drop:a@x.test")
    with pytest.raises(FaultError, match="action must be one of"):
        parse_revision_spec("2025-03-04")
