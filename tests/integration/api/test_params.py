"""Bad parameters are 422 naming the parameter; unknown routes and methods answer in the same envelope."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import bearer


def _bad(client, secret: str, url: str, param: str) -> str:
    response = client.get(url, headers=bearer(secret))
    assert response.status_code == 422, (url, response.text)
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["param"] == param, (url, error)
    assert error["message"].startswith(f"{param}: ")
    return error["message"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"),
        ("from=2026-11-10&to=2026-11-01", "from"), ("from=2026-13-01", "from"), ("to=yesterday", "to"),
        ("unmatched=perhaps", "unmatched"), ("actor_id=0", "actor_id"), ("actor_id=abc", "actor_id"),
        ("provider=chatgpt", "provider"), ("scenario=main", "scenario"), ("scenario=2000000000", "scenario"),
        ("cursor=bm9wZQ", "cursor"), ("cursor=%%%", "cursor"), ("format=xml", "format"),
    ],
)
def test_usage_list_names_the_bad_parameter(client, acme, query, param):
    tenant, _org = acme
    _bad(client, tenant.admin_secret, f"/api/v1/ai-tooling/usage?{query}", param)


def test_usage_list_of_an_actor_and_unmatched_is_simply_empty(client, acme):
    tenant, org = acme
    response = client.get(f"/api/v1/ai-tooling/usage?actor_id={org.alice}&unmatched=true",
                          headers=bearer(tenant.admin_secret))
    assert response.json() == {"data": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("range=1y", "range"), ("range=mtd&from=2026-11-01&to=2026-11-02", "range"), ("from=2026-11-01", "to"),
        ("to=2026-11-01", "from"), ("from=2026-11-10&to=2026-11-01", "from"), ("from=2026-11-01&to=2026-11-19", "to"),
        ("from=2000-01-01&to=2026-11-01", "from"), ("scenario=-1", "scenario"),
    ],
)
def test_series_names_the_bad_parameter(client, acme, query, param):
    tenant, org = acme
    _bad(client, tenant.admin_secret, f"/api/v1/ai-tooling/actors/{org.alice}/series?{query}", param)


@pytest.mark.parametrize("query", ["scope=everything", "scope=DIRECT", "scope="])
def test_unit_summaries_name_a_bad_scope(client, acme, query):
    tenant, org = acme
    for url in (f"/api/v1/ai-tooling/teams/{org.core}/summary?{query}",
                f"/api/v1/ai-tooling/departments/{org.engineering}/summary?{query}"):
        message = _bad(client, tenant.admin_secret, url, "scope")
        assert "direct" in message and "subtree" in message


@pytest.mark.parametrize("path", ["actors/abc/summary", "actors/0/series", "teams/-4/summary",
                                  "departments/99999999999/summary"])
def test_bad_ids_name_the_id(client, acme, path):
    tenant, _org = acme
    _bad(client, tenant.admin_secret, f"/api/v1/ai-tooling/{path}", "id")


def test_team_member_range_is_checked_like_the_series(client, acme):
    tenant, org = acme
    _bad(client, tenant.admin_secret, f"/api/v1/ai-tooling/teams/{org.core}/summary?range=forever", "range")
    _bad(client, tenant.admin_secret, f"/api/v1/ai-tooling/teams/{org.core}/summary?from=2026-11-01", "to")


def test_a_bad_parameter_is_checked_only_after_the_token(client, acme):
    response = client.get("/api/v1/ai-tooling/usage?limit=0")
    assert response.status_code == 401


def test_unknown_route_and_method_use_the_envelope(client, acme):
    tenant, _org = acme
    response = client.get("/api/v1/ai-tooling/nothing-here", headers=bearer(tenant.admin_secret))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "/api/v1/docs" in response.json()["error"]["message"]
    response = client.delete("/api/v1/ai-tooling/usage", headers=bearer(tenant.admin_secret))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["error"] == {
        "code": "method_not_allowed", "message": "DELETE is not allowed on /api/v1/ai-tooling/usage.", "param": None,
    }
