"""The summary cache's bounds: bytes in all, and a share per tenant that only that tenant's answers can use up."""

from __future__ import annotations

from orgonaut.api.cache import SummaryCache


def _cache(max_bytes: int, share: int) -> SummaryCache:
    return SummaryCache(app=None, route_params=[], max_bytes=max_bytes, tenant_share_bytes=share)


def _key(tenant: int, n: int) -> tuple:
    return (tenant, 1, None, f"/ai-tooling/actors/{n}/summary", ())


def test_one_tenant_flooding_the_cache_evicts_only_its_own_answers():
    cache = _cache(max_bytes=10_000, share=4_000)
    for n in range(3):
        cache._keep(_key(2, n), [], b"b" * 1_000)
    for n in range(50):  # tenant 1 asks for ever new answers
        cache._keep(_key(1, n), [], b"a" * 1_000)
    kept = list(cache._entries)
    assert [k for k in kept if k[0] == 2] == [_key(2, n) for n in range(3)]
    assert [k for k in kept if k[0] == 1] == [_key(1, n) for n in range(46, 50)]  # its newest, within its share
    assert cache.stats() == (7, 7_000)


def test_the_total_is_bounded_in_bytes_least_recently_used_first():
    cache = _cache(max_bytes=3_000, share=3_000)
    for tenant in range(1, 6):
        cache._keep(_key(tenant, 0), [], b"x" * 1_000)
    assert list(cache._entries) == [_key(3, 0), _key(4, 0), _key(5, 0)]
    assert cache.stats() == (3, 3_000)
    cache._keep(_key(4, 0), [], b"y" * 500)  # kept again: replaced, not counted twice
    assert cache.stats() == (3, 2_500)
