"""The OpenAPI document is the contract: it lists every route with its parameters, errors and the
Bearer scheme, and a schemathesis run against it finds no 5xx and no response that breaks it.

Schemathesis calls the app in-process (ASGI) with a valid token, on a small org whose ids are the
first ones (so generated ids hit real rows as well as missing ones).
"""

from __future__ import annotations

import re

import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from sqlmodel import Session

from orgonaut import clock
from orgonaut.api.app import create_app
from orgonaut.db import get_engine
from tests.conftest import DATABASE_URL
from tests.integration.api.conftest import NOW, bearer, rebuild_rollups, small_org, tenant_with_tokens
from tests.support import databases

# Some rules span parameters or depend on the day and cannot be said in OpenAPI (`from` after `to`, `range`
# with `from`/`to`, a cursor this API did not hand out, a scenario the tenant does not have, `to` after
# today, a budget's month before this one or an amount that is not a positive USD figure, which the domain
# words better than a pattern): a request valid by the schema alone may get 422 for them, and
# `only_cross_parameter_422` checks it was for one.
CROSS_PARAMETER_RULES = {"from", "to", "range", "cursor", "scenario", "effective_month", "amount_usd", "month"}
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "422"]}}}
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(), config=CONFIG)


def only_cross_parameter_422(ctx, response, case):
    if response.status_code == 422 and case.meta is not None and case.meta.generation.mode.is_positive:
        param = response.json()["error"]["param"]
        assert param in CROSS_PARAMETER_RULES, f"schema-valid request refused for {param}: {response.text}"


@pytest.fixture(autouse=True)
def _clean_tables():
    """This module shares one seeded org (emptied once at its end, in `token`)."""
    yield


@pytest.fixture(scope="module")
def token():
    databases.truncate_all(DATABASE_URL)  # so the org's ids start at 1
    with clock.frozen_at(NOW), Session(get_engine(), expire_on_commit=False) as session:
        acme = tenant_with_tokens(session, slug="acme")
        small_org(session, acme.tenant)
        session.commit()
        rebuild_rollups(session, acme.tenant)
    with clock.frozen_at(NOW):
        yield acme.admin_secret
    databases.truncate_all(DATABASE_URL)


def test_the_document_describes_every_route(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["servers"] == [{"url": "/api/v1"}]
    assert set(document["paths"]) == {
        "/ai-tooling/usage", "/ai-tooling/actors/{id}/summary", "/ai-tooling/actors/{id}/series",
        "/ai-tooling/teams/{id}/summary", "/ai-tooling/departments/{id}/summary", "/ai-tooling/overview",
        "/ai-tooling/overview/series", "/ai-tooling/overview/top-units", "/ai-tooling/overview/active-users",
        "/ai-tooling/overview/cohorts", "/ai-tooling/overview/model-mix", "/ai-tooling/overview/output-per-cost",
        "/ai-tooling/budgets",
        "/ai-tooling/anomalies", "/ai-tooling/chargeback", "/ai-tooling/idle-seats",
        "/ai-tooling/reconciliation",
    }
    assert set(document["paths"]["/ai-tooling/budgets"]) == {"get", "put", "delete"}
    assert document["components"]["securitySchemes"]["ApiToken"] == {
        "type": "http", "scheme": "bearer", "description": "An Orgonaut API token: `Authorization: Bearer ogt_…`.",
    }
    for path, item in document["paths"].items():
        operation = item["get"]
        assert operation["security"] == [{"ApiToken": []}], path
        assert {"200", "401", "403", "404", "422"} <= set(operation["responses"]), path
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"}
        assert "X-Tenant" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}, path
    usage = {p["name"]: p for p in document["paths"]["/ai-tooling/usage"]["get"]["parameters"]}
    assert set(usage) >= {"actor_id", "provider", "from", "to", "unmatched", "scenario", "limit", "cursor", "format"}
    assert usage["limit"]["schema"] == {"type": "integer", "maximum": 500, "minimum": 1, "default": 50,
                                        "description": "Records per page, at most 500.", "title": "Limit"}
    listed = document["paths"]["/ai-tooling/usage"]["get"]["responses"]["200"]
    assert "Link" in listed["headers"] and "at most 500" in document["paths"]["/ai-tooling/usage"]["get"][
        "description"]
    assert "next_cursor" in document["components"]["schemas"]["UsagePage"]["properties"]
    scope = document["paths"]["/ai-tooling/departments/{id}/summary"]["get"]["parameters"]
    assert next(p for p in scope if p["name"] == "scope")["schema"]["default"] == "subtree"
    assert "text/csv" in document["paths"]["/ai-tooling/usage"]["get"]["responses"]["200"]["content"]


def test_docs_page_loads_the_document(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text


def test_docs_page_loads_swagger_ui_from_the_app_itself(client):
    page = client.get("/api/v1/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(assets) == ["/api/v1/docs-assets/swagger-ui-bundle.js", "/api/v1/docs-assets/swagger-ui.css",
                              "/favicon.ico"]
    assert "http://" not in page and "https://" not in page  # nothing from another origin
    for asset in (a for a in assets if a.startswith("/api/v1/")):
        answer = client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 10_000, asset


@schema.parametrize()
@hypothesis.settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_no_server_errors_and_no_schema_violations(case, token):
    case.call_and_validate(headers=_headers_for(case, token), additional_checks=[only_cross_parameter_422])


def _headers_for(case, token: str) -> dict[str, str]:
    """Our token, unless the case negates its headers (a missing Authorization, say): adding the token
    there would turn the invalid request schemathesis meant into a valid one, and its answer (200)
    would then read as invalid data accepted."""
    meta = case.meta
    header = meta.components.get(ParameterLocation.HEADER) if meta is not None else None
    if meta is not None and meta.generation.mode.is_negative and header is not None and header.mode.is_negative:
        return {}
    return bearer(token)
