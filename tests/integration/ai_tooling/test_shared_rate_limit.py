"""A vendor account's rate limit is one Redis bucket for every worker: the Copilot clients made from one token
take from the same bucket (named by a hash, never the token), another token has its own, and every attempt
takes a token, a retry included (GitHub counts it). On the run's real Redis; respx stands in for GitHub."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import respx

from orgonaut import ratelimit
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.copilot import REST_LIMIT
from orgonaut.ai_tooling.providers.copilot.client import CopilotProvider
from orgonaut.ai_tooling.providers.copilot.records import Prices

BASE = "https://github.test"
TOKEN = "ghp_SHAREDLIMITSECRET0123456789"
CREDENTIALS = {"kind": "organization", "owner": "acme", "token": TOKEN, "business_seat_usd": "19",
               "enterprise_seat_usd": "39"}
SEATS_URL = f"{BASE}/orgs/acme/copilot/billing/seats"
SEATS = {"total_seats": 0, "seats": []}


def _tokens_left(redis_client, key: str) -> float:
    return float(redis_client.hget(key, "tokens"))


def test_clients_of_one_token_share_a_bucket_and_each_attempt_takes_from_it(redis_client):
    first = registry.create_provider("copilot", credentials=CREDENTIALS, api_base=BASE)
    second = registry.create_provider("copilot", credentials=CREDENTIALS, api_base=BASE)
    other = registry.create_provider("copilot", credentials={**CREDENTIALS, "token": "ghp_ANOTHERTOKEN0000000000"},
                                     api_base=BASE)
    key = ratelimit.account_key("copilot", TOKEN, "rest")
    assert first._http._pacer.key == second._http._pacer.key == key != other._http._pacer.key
    assert TOKEN not in key and first._http._pacer.capacity == REST_LIMIT.requests - 2
    redis_client.delete(key)

    began = time.monotonic()
    with respx.mock:
        respx.get(SEATS_URL).mock(side_effect=[respx.MockResponse(503), respx.MockResponse(200, json=SEATS),
                                               respx.MockResponse(200, json=SEATS)])
        assert first.seats() == []  # a 503, then the answer: two attempts
        assert second.seats() == []  # one attempt, from the same bucket
    # Three tokens taken from a full bucket, which refills 4998 an hour meanwhile (the retry waits half a second).
    refilled = (time.monotonic() - began) * (REST_LIMIT.requests - 2) / REST_LIMIT.per_seconds
    taken = REST_LIMIT.requests - 2 - _tokens_left(redis_client, key)
    assert 3 - refilled - 0.01 <= taken <= 3


def test_a_client_without_a_pacer_is_not_paced():
    client = CopilotProvider("acme", TOKEN, BASE, prices=Prices(business=Decimal(19), enterprise=Decimal(39)))
    assert client._http._pacer is None


@pytest.mark.parametrize("requests", [1, 2, 3])
def test_the_bucket_stays_just_below_a_tiny_limit_but_never_empty(requests):
    assert ratelimit.account_bucket("x", "secret", "e", requests, 60).capacity == max(1, requests - 2)
