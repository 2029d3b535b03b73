"""The vendor rate limit shared by every worker: a token bucket in the real Redis (the locks database)."""

from __future__ import annotations

import threading

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from orgonaut.ratelimit import TokenBucket, account_key


def test_the_bucket_lets_its_capacity_through_then_says_how_long_to_wait():
    waits: list[float] = []
    bucket = TokenBucket(account_key("vendor", "secret-a", "events"), capacity=3, per_seconds=30,
                         sleep=waits.append)
    assert [bucket.take(max_wait=0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert waits == []
    # The fourth must wait about one refill interval (10 s); with max_wait 0 it only reports it.
    bucket.take(max_wait=5)
    assert len(waits) == 1 and 4.9 <= waits[0] <= 5.0  # capped at max_wait


def test_workers_share_one_bucket_per_account_and_endpoint(redis_client):
    key = account_key("vendor", "secret-b", "daily")
    waited: list[float] = []

    def worker():
        # max_wait 1 s and no real sleep: a take that finds the bucket empty records one wait and gives up.
        bucket = TokenBucket(key, capacity=5, per_seconds=60, sleep=waited.append)
        for _ in range(4):
            bucket.take(max_wait=1)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Twelve takes from three workers against one bucket of five: seven had to wait.
    assert len(waited) == 7
    assert float(redis_client.hget(key, "tokens")) < 1
    # A different account has a bucket of its own, full; the key never holds the credential.
    other = TokenBucket(account_key("vendor", "secret-c", "daily"), capacity=5, per_seconds=60, sleep=waited.append)
    assert other.take(max_wait=1) == 0.0 and len(waited) == 7
    assert "secret" not in key


def test_the_bucket_refills_over_time(redis_client):
    key = account_key("vendor", "secret-d", "daily")
    bucket = TokenBucket(key, capacity=2, per_seconds=60, sleep=lambda s: None)
    bucket.take(max_wait=0)
    bucket.take(max_wait=0)
    # 30 s later by the bucket's own clock one token is back: move its last refill time back 30 s.
    at = int(redis_client.hget(key, "at"))
    redis_client.hset(key, "at", str(at - 30_000))
    waits: list[float] = []
    TokenBucket(key, capacity=2, per_seconds=60, sleep=waits.append).take(max_wait=60)
    assert waits == []


def test_a_redis_that_does_not_answer_paces_locally_instead_of_stopping_the_sync():
    def unreachable() -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2,
                           retry=Retry(NoBackoff(), 0))  # refused at once, not after the default retries

    waits: list[float] = []
    bucket = TokenBucket("orgonaut:ratelimit:test", capacity=20, per_seconds=60, client=unreachable,
                         sleep=waits.append)
    assert bucket.take() == 3.0 and waits == [3.0]
