"""The Claude Enterprise simulator's organisation cost report (`/cost_report`) and the provider that reads it:
the documented bucket shape (checked by the `anthropic` SDK's own models), its users' cost summed per product
plus what no user carries, the documented 400s, and the provider's bill over two 31-day windows equal to the
simulator's answers summed here over plain HTTP; a malformed bucket is refused saying where."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types.beta.organization.beta_analytics_cost_report_time_bucket import (
    BetaAnalyticsCostReportTimeBucket,
)

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError
from orgonaut.simulator.claude_enterprise import COST_PATH, USER_COST_PATH
from orgonaut.simulator.claude_enterprise_data import UNATTRIBUTED_PRODUCT
from tests.support.claude_enterprise_simulator import VALID_ENTERPRISE_KEY, recent_days

HEADERS = {"x-api-key": VALID_ENTERPRISE_KEY}
DAYS = recent_days(40, ago=45)


@pytest.fixture
def sim(clean_claude_enterprise_simulator):
    return clean_claude_enterprise_simulator


def midnight(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def everything(base_url: str, path: str, first: dt.date, last: dt.date, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    query = {"starting_at": midnight(first), "ending_at": midnight(last + dt.timedelta(days=1)), **params}
    while True:
        page = httpx.get(f"{base_url}{path}", params=query, headers=HEADERS, timeout=10).json()
        found += page["data"]
        if not page["has_more"]:
            return found
        query["page"] = page["next_page"]


def test_buckets_have_the_documented_shape_and_hold_the_users_cost_and_the_unattributed(sim):
    first, last = DAYS[0], DAYS[9]
    sdk = anthropic.Anthropic(api_key=VALID_ENTERPRISE_KEY, base_url=sim.base_url, max_retries=0)
    paged = list(sdk.beta.organization.analytics.cost_report.list(
        starting_at=midnight(first), ending_at=midnight(last + dt.timedelta(days=1)), bucket_width="1d",
        group_by=["product"], limit=4))  # the SDK follows every cursor: three pages
    assert [bucket.starting_at.date() for bucket in paged] == list(DAYS[:10])
    by_product = everything(sim.base_url, COST_PATH, first, last, bucket_width="1d", limit=31,
                            **{"group_by[]": "product"})
    combined = everything(sim.base_url, COST_PATH, first, last, limit=3)
    users = everything(sim.base_url, USER_COST_PATH, first, last, bucket_width="1d", limit=1000,
                       **{"group_by[]": "product"})
    for day, grouped, whole in zip(DAYS[:10], by_product, combined, strict=True):
        BetaAnalyticsCostReportTimeBucket.model_validate(grouped)  # strict: every required field, every type
        assert grouped["starting_at"] == midnight(day) == whole["starting_at"]
        theirs = [row for row in users if row["starting_at"] == midnight(day)]
        products = {line["product"]: Decimal(line["amount"]) for line in grouped["results"]}
        assert all(len(line["amount"].partition(".")[2]) == 6 for line in grouped["results"])  # cents, 6 places
        for product in {row["product"] for row in theirs}:
            assert products[product] == sum((Decimal(r["amount"]) for r in theirs if r["product"] == product),
                                            Decimal(0))
        assert set(products) - {row["product"] for row in theirs} <= {UNATTRIBUTED_PRODUCT}
        [row] = whole["results"] or [{"amount": "0", "product": None}]  # without group_by: one row a bucket
        assert (Decimal(row["amount"]), row["product"]) == (sum(products.values(), Decimal(0)), None)
    assert any(UNATTRIBUTED_PRODUCT in {line["product"] for line in b["results"]} for b in by_product)


@pytest.mark.parametrize(("params", "message"), [
    ({"limit": "32"}, "limit must be between 1 and 31"),
    ({"bucket_width": "1h"}, "bucket_width 1d only"),
    ({"group_by[]": "model"}, "groups by product only"),
    ({"ending_at": "2026-12-31T00:00:00Z", "starting_at": "2026-10-01T00:00:00Z"}, "at most 31 days"),
    ({"starting_at": "2025-12-01T00:00:00Z"}, "no earlier than 2026-01-01"),
    ({"page": "ceap1_bm9wZQ"}, "Invalid page cursor"),
])
def test_bad_parameters_are_400_in_anthropics_words(sim, params, message):
    query = {"starting_at": midnight(DAYS[0]), "ending_at": midnight(DAYS[5]), **params}
    answer = httpx.get(f"{sim.base_url}{COST_PATH}", params=query, headers=HEADERS)
    assert answer.status_code == 400
    assert answer.json()["type"] == "error" and message in answer.json()["error"]["message"]


def test_the_provider_reads_the_bill_over_two_windows_exactly(sim):
    provider = registry.create_provider("claude_enterprise", credentials={"api_key": VALID_ENTERPRISE_KEY},
                                        api_base=sim.base_url)
    found = provider.organisation_cost(DAYS[0], DAYS[-1])  # type: ignore[attr-defined]
    asked = [(r["query"]["starting_at"][:10], r["query"]["ending_at"][:10]) for r in sim.requests(COST_PATH)]
    assert asked == [(DAYS[0].isoformat(), DAYS[31].isoformat()),  # at most 31 days a query
                     (DAYS[31].isoformat(), (DAYS[-1] + dt.timedelta(days=1)).isoformat())]
    buckets = [*everything(sim.base_url, COST_PATH, DAYS[0], DAYS[30], bucket_width="1d", limit=31,
                           **{"group_by[]": "product"}),
               *everything(sim.base_url, COST_PATH, DAYS[31], DAYS[-1], bucket_width="1d", limit=31,
                           **{"group_by[]": "product"})]
    users = [*everything(sim.base_url, USER_COST_PATH, DAYS[0], DAYS[30], limit=1000),
             *everything(sim.base_url, USER_COST_PATH, DAYS[31], DAYS[-1], limit=1000)]
    assert len(buckets) == 40
    total = sum((Decimal(line["amount"]) for b in buckets for line in b["results"]), Decimal(0))
    assert (found.start, found.end) == (DAYS[0], DAYS[-1])
    assert found.total_cents == total == sum((amount for _, amount in found.lines), Decimal(0))
    assert found.tool_cents == sum((Decimal(row["amount"]) for row in users), Decimal(0)) < total
    assert dict(found.lines)[UNATTRIBUTED_PRODUCT] == total - found.tool_cents


@pytest.mark.parametrize("variant", ["json", "record", "currency"])
def test_a_malformed_bucket_page_is_refused_saying_where(sim, variant):
    sim.set_fault(mode="malformed", variant=variant, path=COST_PATH)
    provider = registry.create_provider("claude_enterprise", credentials={"api_key": VALID_ENTERPRISE_KEY},
                                        api_base=sim.base_url)
    with pytest.raises(ProviderError, match=f"organisation cost of {DAYS[0]} to {DAYS[4]}, page 1") as caught:
        provider.organisation_cost(DAYS[0], DAYS[4])  # type: ignore[attr-defined]
    assert caught.value.kind is ErrorKind.malformed
