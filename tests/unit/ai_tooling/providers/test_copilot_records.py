"""Decoding GitHub's Copilot answers and building a day's records: `Unknown` values, several files,
seat proration, AI-credit conversion, hints."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.copilot.records import (
    CopilotCounters,
    Prices,
    Seat,
    credit_cents,
    day_usages,
    parse_credit_usage,
    parse_report,
    parse_rows,
    parse_seats,
    seat_day_cents,
)
from orgonaut.errors import ValidationFailed

DAY = dt.date(2025, 11, 4)
PRICES = Prices(business=Decimal(19), enterprise=Decimal(39))


def row(user_id: int, login: str, **fields: object) -> dict[str, object]:
    return {"day": DAY.isoformat(), "organization_id": 7, "enterprise_id": None, "user_id": user_id,
            "user_login": login, "user_initiated_interaction_count": 4, "code_generation_activity_count": 10,
            "code_acceptance_activity_count": 3, "loc_suggested_to_add_sum": 50, "loc_suggested_to_delete_sum": 5,
            "loc_added_sum": 20, "loc_deleted_sum": 2, "used_agent": True, "used_chat": False, "used_cli": False,
            **fields}


def ndjson(*rows: dict[str, object]) -> bytes:
    return b"\n".join(json.dumps(r).encode() for r in rows) + b"\n"


def seat(user_id: int, login: str, created: str = "2025-06-01T08:00:00+00:00", plan: str = "business",
         cancel: str | None = None) -> Seat:
    return parse_seats(json.dumps({"total_seats": 1, "seats": [{
        "created_at": created, "pending_cancellation_date": cancel, "plan_type": plan,
        "assignee": {"login": login, "id": user_id, "type": "User"}, "last_activity_at": None}]}).encode()).seats[0]


def test_unknown_values_and_unknown_fields_are_tolerated():
    rows = parse_rows(ndjson(row(1, "octo", loc_suggested_to_delete_sum="Unknown", used_cli="Unknown",
                                 ai_adoption_phase=2, totals_by_ide=[{"ide": "Unknown", "loc_added_sum": 20}],
                                 totals_by_model_feature=[
                                     {"model": "Unknown", "feature": "agent_edit", "loc_added_sum": 12,
                                      "user_initiated_interaction_count": "Unknown"},
                                     {"model": "gpt-4.1", "feature": "code_completion", "loc_added_sum": 8}],
                                 totals_by_cli={"last_known_cli_version": {"cli_version": "Unknown"},
                                                "session_count": 2, "request_count": "Unknown",
                                                "token_usage": {"prompt_tokens_sum": 900, "output_tokens_sum": 120,
                                                                "avg_tokens_per_request": 51.2}})))
    [usage] = day_usages(DAY, rows, [], {}, PRICES, {}, [])
    assert (usage.source_email, usage.lines_added, usage.lines_removed) == ("github:1", 20, 2)
    assert (usage.total_input_tokens, usage.total_output_tokens) == (900, 120)
    assert usage.provider_metrics == CopilotCounters(
        interactions=4, code_generations=10, code_acceptances=3, lines_suggested_to_add=50,
        lines_suggested_to_delete=0, used_agent=True, used_chat=False, used_cli=False, cli_sessions=2,
        cli_requests=0, seat_cost_cents="0", usage_based_cost_cents="0")
    assert usage.model_breakdown == [
        {"model": "gpt-4.1", "interactions": 0, "code_generations": 0, "code_acceptances": 0, "lines_added": 8,
         "lines_removed": 0},
        {"model": "unknown", "interactions": 0, "code_generations": 0, "code_acceptances": 0, "lines_added": 12,
         "lines_removed": 0}]
    # Sessions, commits, cache tokens: Copilot does not report them (stored as not reported).
    assert usage.sessions_count == 0 and registry.PROVIDERS["copilot"].metrics.isdisjoint({"sessions_count"})


@pytest.mark.parametrize(("line", "problem"), [
    (b'{"user_login": "octo", "day": "2025-11-04"}', "line 2 has no user_id"),
    (b'{"user_id": 3, "loc_added_sum": -1}', "line 2"),
    (b'{"user_id": 3, "loc_added_sum": 1.5}', "line 2"),
    (b'{"user_id": 3,', "line 2 is not JSON"),
    (b"[]", "line 2"),
])
def test_a_row_github_never_sends_is_refused_by_its_line(line, problem):
    with pytest.raises(ValueError, match=problem):
        parse_rows(ndjson(row(1, "octo")) + line)


def test_a_report_is_its_links_and_an_empty_body_is_no_report():
    assert parse_report(b"") is None  # 204
    assert parse_report(b'{"download_links": ["https://h/a", "https://h/b"], "report_day": "2025-11-04"}'
                        ).download_links == ["https://h/a", "https://h/b"]
    with pytest.raises(ValueError):
        parse_report(b'{"report_day": "2025-11-04"}')


def test_rows_of_several_files_make_one_record_each_and_a_repeat_is_counted_once():
    first = parse_rows(ndjson(row(1, "octo"), row(2, "hubot", loc_added_sum=5)))
    second = parse_rows(ndjson(row(2, "hubot", loc_added_sum=5), row(3, "mona", loc_added_sum=9)))
    third = parse_rows(ndjson(row(3, "mona", loc_added_sum=11)))
    warnings: list[str] = []
    usages = day_usages(DAY, first + second + third, [], {}, PRICES, {}, warnings)
    assert {u.source_email: u.lines_added for u in usages} == {"github:1": 20, "github:2": 5, "github:3": 11}
    assert warnings == [
        "2025-11-04: GitHub's Copilot report sent the same row for github:2 (@hubot).",
        "2025-11-04: GitHub's Copilot report sent two versions of one row (the later is kept) for github:3 (@mona).",
    ]
    assert usages.warnings is warnings


def test_a_monthly_seat_price_sums_to_the_price_over_its_month_exactly():
    for monthly in (Decimal(19), Decimal(39), Decimal("21.1234")):
        for year, month, days in ((2025, 11, 30), (2025, 12, 31), (2026, 2, 28), (2028, 2, 29)):
            shares = [seat_day_cents(monthly, dt.date(year, month, d)) for d in range(1, days + 1)]
            assert sum(shares) == monthly * 100
            assert max(shares) - min(shares) <= Decimal("0.01")  # spread evenly, to a hundredth of a cent
    assert seat_day_cents(Decimal(19), dt.date(2025, 11, 1)) == Decimal("63.33")
    assert seat_day_cents(Decimal(39), dt.date(2025, 11, 30)) == Decimal(130)
    with pytest.raises(ValueError, match="four decimal places"):
        seat_day_cents(Decimal("19.00001"), DAY)


def test_a_seat_is_charged_from_its_creation_to_the_day_before_its_pending_cancellation():
    held = seat(5, "mona", created="2025-11-10T23:59:00Z", plan="enterprise", cancel="2025-11-20")
    charged = {}
    for n in range(1, 31):
        day = dt.date(2025, 11, n)
        usages = day_usages(day, [], [held], None, PRICES, {}, [])
        charged[n] = sum(u.total_cost_cents for u in usages)
    assert [n for n, cents in charged.items() if cents] == list(range(10, 20))
    assert sum(charged.values()) == Decimal(3900) * 10 / 30 == Decimal(1300)
    # The idle holder's record carries the seat's cost only: no activity, the plan said.
    [usage] = day_usages(dt.date(2025, 11, 12), [], [held], None, PRICES, {5: "mona@corp.test"}, [])
    assert (usage.source_email, usage.lines_added, usage.total_cost_cents) == ("github:5", 0, Decimal(130))
    assert usage.provider_metrics == CopilotCounters(plan_type="enterprise", seat_cost_cents="130",
                                                     usage_based_cost_cents=None)


def test_credits_are_exact_cents_from_the_floats_github_sends():
    usage = parse_credit_usage(b'{"timePeriod": {"year": 2025}, "usageItems": [{"netAmount": 0.1, "model": "a"},'
                               b' {"netAmount": 0.2}, {"netAmount": 0.0132}, {"netAmount": 0}, {"x": 1}]}')
    assert credit_cents(usage) == Decimal("31.32")  # 0.1 + 0.2 as floats is 0.30000000000000004
    assert credit_cents(parse_credit_usage(b'{"usageItems": []}')) == 0
    with pytest.raises(ValueError, match="out of range"):
        credit_cents(parse_credit_usage(b'{"usageItems": [{"netAmount": 1e300}]}'))


def test_cost_is_seat_share_plus_credits_and_hints_give_login_and_saml_email():
    rows = parse_rows(ndjson(row(1, "octo"), row(9, "Drifter")))
    seats = [seat(1, "octo"), seat(2, "idle", plan="enterprise")]
    usages = day_usages(DAY, rows, seats, {1: Decimal("12.5"), 9: Decimal("0.75")}, PRICES,
                        {1: " Octo@Corp.TEST"}, [])
    assert {u.source_email: u.total_cost_cents for u in usages} == {
        "github:1": Decimal("75.83"), "github:2": Decimal(130), "github:9": Decimal("0.75")}
    assert [u.provider_metrics.usage_based_cost_cents for u in usages] == ["12.5", "0", "0.75"]  # idle: none used
    assert {source: (hint.display_name, hint.identities) for source, hint in usages.hints.items()} == {
        "github:1": ("@octo", (("github_login", "octo"), ("email", "octo@corp.test"))),
        "github:2": ("@idle", (("github_login", "idle"),)),
        "github:9": ("@Drifter", (("github_login", "drifter"),)),  # logins are case-insensitive
    }


def test_seat_prices_are_checked_when_the_provider_is_built():
    credentials = {"kind": "organization", "owner": "acme", "token": "ghp_x", "business_seat_usd": "19.00001",
                   "enterprise_seat_usd": "39"}
    with pytest.raises(ValidationFailed, match="Business seat price has at most four decimal places"):
        registry.create_provider("copilot", credentials=credentials, api_base="https://github.test")
    with pytest.raises(ValidationFailed, match="must be a positive amount"):
        registry.create_provider("copilot", credentials={**credentials, "business_seat_usd": "-1"},
                                 api_base="https://github.test")
    with pytest.raises(ValidationFailed, match="organisation or enterprise slug 'no/slash'"):
        registry.create_provider("copilot", credentials={**credentials, "owner": "no/slash"},
                                 api_base="https://github.test")
    with pytest.raises(ValidationFailed, match="account kind 'organisation'"):
        registry.create_provider("copilot", credentials={**credentials, "kind": "organisation"},
                                 api_base="https://github.test")


def test_an_enterprise_user_with_seats_from_two_organisations_pays_one_the_enterprise_one():
    seats = [seat(3, "mona", plan="business"), seat(3, "mona", plan="enterprise"), seat(3, "mona", plan="business")]
    [usage] = day_usages(dt.date(2025, 11, 30), [], seats, None, PRICES, {}, [])
    assert (usage.total_cost_cents, usage.provider_metrics.plan_type) == (Decimal(130), "enterprise")
