"""HTTP edges of the Copilot client, with respx standing in for GitHub: headers, the download host
(no token), GitHub's 403s told apart, rate-limit waits, 204, and optional data GitHub refuses."""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from decimal import Decimal

import httpx
import pytest
import respx

from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.providers.copilot.client import (
    INVALID_KEY_MESSAGE,
    MISSING_PERMISSION_MESSAGE,
    POLICY_OFF_MESSAGE,
    CopilotProvider,
    rate_limit_wait,
)
from orgonaut.ai_tooling.providers.copilot.records import Prices

BASE = "https://github.test"
TOKEN = "ghp_UNITTESTSECRET9f8e7d6c5b4a"
DAY = dt.date(2025, 11, 4)
REPORT_URL = f"{BASE}/orgs/acme/copilot/metrics/reports/users-1-day"
SEATS_URL = f"{BASE}/orgs/acme/copilot/billing/seats"
# DAY is before June 2026: billed in premium requests (AI credits from then on).
CREDITS_URL = f"{BASE}/organizations/acme/settings/billing/premium_request/usage"
GRAPHQL_URL = f"{BASE}/graphql"
FILES = "https://copilot-reports.github.test/acme/2025-11-04"
SIGNATURE = "sig=SECRETSIGNATURE0123"
NO_SAML = {"data": {"organization": {"samlIdentityProvider": None}}}
SEATS = {"total_seats": 1, "seats": [{"created_at": "2025-01-01T00:00:00Z", "pending_cancellation_date": None,
                                      "plan_type": "business", "assignee": {"login": "octo", "id": 1}}]}


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def provider(sleeps: Sleeps | None = None, **options) -> CopilotProvider:
    return CopilotProvider("acme", TOKEN, BASE, prices=Prices(business=Decimal(19), enterprise=Decimal(39)),
                           sleep=sleeps if sleeps is not None else Sleeps(), **options)


def line(user_id: int, login: str, added: int) -> str:
    return json.dumps({"user_id": user_id, "user_login": login, "day": "2025-11-04", "loc_added_sum": added})


def github(*, files: dict[str, str], seats: object = SEATS, graphql: object = NO_SAML,
           credits: object = None) -> dict[str, respx.Route]:
    """Routes of a day whose report has `files` (name -> NDJSON)."""
    links = [f"{FILES}/{name}?se=1&{SIGNATURE}" for name in files]
    routes = {"report": respx.get(REPORT_URL).respond(json={"download_links": links, "report_day": "2025-11-04"})}
    for name, body in files.items():
        routes[name] = respx.get(f"{FILES}/{name}").respond(text=body)
    routes["seats"] = respx.get(SEATS_URL).respond(json=seats)
    routes["graphql"] = respx.post(GRAPHQL_URL).respond(json=graphql)
    routes["credits"] = respx.get(CREDITS_URL).respond(
        json=credits if credits is not None else {"usageItems": [{"netAmount": 0.25}]})
    return routes


def assert_secrets_absent(text: str) -> None:
    assert TOKEN not in text and "SECRETSIGNATURE" not in text


@respx.mock
def test_every_file_is_read_without_the_token_and_the_api_with_githubs_headers(caplog):
    routes = github(files={"0.ndjson": line(1, "octo", 5) + "\n", "1.ndjson": line(2, "hubot", 7) + "\n\n"})
    with caplog.at_level(logging.DEBUG):
        usages = provider().fetch_day(DAY)
    assert {u.source_email: (u.lines_added, u.total_cost_cents) for u in usages} == {
        "github:1": (5, Decimal("63.33") + 25), "github:2": (7, Decimal(25))}
    api = routes["report"].calls.last.request
    assert api.headers["authorization"] == f"Bearer {TOKEN}"
    assert (api.headers["accept"], api.headers["x-github-api-version"]) == ("application/vnd.github+json",
                                                                            "2022-11-28")
    assert dict(api.url.params) == {"day": "2025-11-04"}
    for name in ("0.ndjson", "1.ndjson"):
        download = routes[name].calls.last.request
        assert "authorization" not in download.headers
        assert dict(download.url.params) == {"se": "1", "sig": "SECRETSIGNATURE0123"}  # the signature kept
    assert [dict(c.request.url.params)["user"] for c in routes["credits"].calls] == ["octo", "hubot"]
    assert dict(routes["seats"].calls.last.request.url.params) == {"page": "1", "per_page": "100"}
    assert_secrets_absent(caplog.text)


@respx.mock
def test_a_204_day_has_no_report_but_seat_holders_still_cost():
    respx.get(REPORT_URL).respond(204)
    respx.get(SEATS_URL).respond(json=SEATS)
    respx.post(GRAPHQL_URL).respond(json=NO_SAML)
    credits = respx.get(CREDITS_URL)
    [usage] = provider().fetch_day(DAY)
    assert (usage.source_email, usage.lines_added, usage.total_cost_cents) == ("github:1", 0, Decimal("63.33"))
    assert not credits.called  # nobody was active: no billing usage asked for


@pytest.mark.parametrize(("status", "body", "message", "kind"), [
    (401, {"message": "Bad credentials"}, INVALID_KEY_MESSAGE, ErrorKind.invalid_key),
    (403, {"message": "Resource not accessible by personal access token",
           "documentation_url": "https://docs.github.com/rest"}, MISSING_PERMISSION_MESSAGE,
     ErrorKind.missing_permission),
    (403, {"message": "Copilot Usage Metrics API access is disabled for this organization."}, POLICY_OFF_MESSAGE,
     ErrorKind.missing_permission),
    (404, {"message": "Not Found"}, "GitHub knows no organisation 'acme' that the token may see (HTTP 404: Not "
                                    "Found): check the organisation's name.", ErrorKind.bad_request),
])
@respx.mock
def test_githubs_refusals_of_the_report_are_final_and_say_which(status, body, message, kind):
    route = respx.get(REPORT_URL).respond(status, json=body)
    for call in (lambda p: p.fetch_day(DAY), lambda p: p.test_connection()):
        respx.get(f"{BASE}/orgs/acme/copilot/metrics/reports/organization-1-day").respond(status, json=body)
        with pytest.raises(ProviderError) as caught:
            call(provider())
        error = caught.value
        assert type(error) is ProviderError
        assert (str(error), error.kind, error.status) == (message, kind, status)
        assert_secrets_absent("".join(traceback.format_exception(error)) + repr(error))
    assert route.call_count == 1  # not retried


@respx.mock
def test_a_secondary_rate_limit_403_waits_its_retry_after_then_goes_on():
    routes = github(files={"0.ndjson": line(1, "octo", 5)})
    routes["report"].side_effect = [
        httpx.Response(403, headers={"retry-after": "7"},
                       json={"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}),
        routes["report"].return_value,
    ]
    sleeps = Sleeps()
    [usage] = provider(sleeps).fetch_day(DAY)
    assert sleeps == [7.0] and usage.lines_added == 5


@respx.mock
def test_an_exhausted_primary_limit_waits_until_its_reset():
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000030"}
    assert rate_limit_wait(httpx.Headers(headers), now=1_000_000.0) == 30.0
    assert rate_limit_wait(httpx.Headers({"retry-after": "5", **headers}), now=1_000_000.0) == 5.0
    assert rate_limit_wait(httpx.Headers({"x-ratelimit-remaining": "12", "x-ratelimit-reset": "1"})) is None
    reset = int(dt.datetime.now(dt.UTC).timestamp()) + 3600  # an hour: handed on, not slept
    respx.get(REPORT_URL).respond(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
                                  json={"message": "API rate limit exceeded for user ID 1."})
    with pytest.raises(ProviderRetriableError) as caught:
        provider().fetch_day(DAY)
    assert (caught.value.kind, caught.value.status) == (ErrorKind.rate_limited, 403)
    assert 3500 < (caught.value.retry_after or 0) <= 3600


@respx.mock
def test_an_expired_link_fails_the_day_as_retriable_by_name():
    routes = github(files={"0.ndjson": line(1, "octo", 5), "1.ndjson": line(2, "hubot", 1)})
    routes["1.ndjson"].respond(403, text="<Error><Code>AuthenticationFailed</Code></Error>")
    with pytest.raises(ProviderRetriableError) as caught:
        provider().fetch_day(DAY)
    assert str(caught.value).startswith("file 2 of 2 of the Copilot report of 2025-11-04: the download host "
                                        "refused the signed link (HTTP 403)")
    assert_secrets_absent(str(caught.value))


@respx.mock
def test_a_link_that_is_not_https_is_refused():
    respx.get(REPORT_URL).respond(json={"download_links": ["http://elsewhere.test/x.ndjson"]})
    with pytest.raises(ProviderError, match="file 1 of 1 of the Copilot report of 2025-11-04: a download link is "
                                            "not an https URL") as caught:
        provider().fetch_day(DAY)
    assert caught.value.kind is ErrorKind.malformed


@respx.mock
def test_refused_credits_and_identities_leave_seat_cost_and_one_warning_each():
    routes = github(files={"0.ndjson": line(1, "octo", 5)},
                    graphql={"data": {"organization": {"samlIdentityProvider": None}},
                             "errors": [{"type": "FORBIDDEN", "message": "Resource not accessible by integration"}]})
    routes["credits"].respond(403, json={"message": "Resource not accessible by personal access token"})
    copilot = provider()
    first = copilot.fetch_day(DAY)
    assert [(u.source_email, u.total_cost_cents) for u in first] == [("github:1", Decimal("63.33"))]
    assert first[0].provider_metrics.usage_based_cost_cents is None
    assert first.warnings == [
        "GitHub's SAML identities were not readable (Resource not accessible by integration): people are "
        "matched by their GitHub ids and logins only.",
        "GitHub refused the premium-request usage (GitHub refused the token: it may not read the organisation's "
        "Copilot metrics (it needs an organisation owner's read:org scope, or the \"View Organization Copilot "
        "Metrics\" permission).): Copilot costs are seat prices only.",
    ]
    again = copilot.fetch_day(DAY)
    assert again == first and again.warnings == []  # said once; neither asked for again
    assert (routes["graphql"].call_count, routes["credits"].call_count, routes["seats"].call_count) == (1, 1, 1)


@respx.mock
def test_saml_identities_are_paged_and_become_email_hints():
    github(files={"0.ndjson": line(1, "octo", 5) + "\n" + line(2, "hubot", 1)})

    def page(after: str | None, edges: list[tuple[int, str, str | None]], more: bool) -> dict[str, object]:
        return {"data": {"organization": {"samlIdentityProvider": {"externalIdentities": {
            "pageInfo": {"hasNextPage": more, "endCursor": "c1" if more else None},
            "edges": [{"node": {"samlIdentity": {"nameId": email}, "user": {"login": login, "databaseId": uid}}}
                      for uid, login, email in edges]}}}}}

    graphql = respx.post(GRAPHQL_URL)
    graphql.side_effect = [httpx.Response(200, json=page(None, [(1, "octo", "Octo@Corp.test")], True)),
                           httpx.Response(200, json=page("c1", [(2, "hubot", None)], False))]
    usages = provider().fetch_day(DAY)
    assert usages.hints["github:1"].identities == (("github_login", "octo"), ("email", "octo@corp.test"))
    assert usages.hints["github:2"].identities == (("github_login", "hubot"),)
    assert [json.loads(c.request.content)["variables"] for c in graphql.calls] == [
        {"login": "acme", "after": None}, {"login": "acme", "after": "c1"}]


def test_a_token_that_cannot_travel_in_a_header_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as caught:
        CopilotProvider("acme", "ghp_bad token", BASE, prices=Prices(business=Decimal(19), enterprise=Decimal(39)))
    assert "ghp_bad" not in str(caught.value)
    assert TOKEN not in repr(provider())


@respx.mock
def test_refused_seats_leave_credit_costs_and_one_warning():
    routes = github(files={"0.ndjson": line(1, "octo", 5)})
    routes["seats"].respond(403, json={"message": "Your organization has enabled Copilot access for all members. "
                                                  "Enable access for selected members in order to manage seats "
                                                  "via the API."})
    usages = provider().fetch_day(DAY)
    assert [(u.source_email, u.total_cost_cents) for u in usages] == [("github:1", Decimal(25))]
    assert usages.warnings == [
        f"GitHub refused the Copilot seats ({MISSING_PERMISSION_MESSAGE}): costs hold no seat prices.",
        "GitHub's SAML identities were not readable (the organisation has no SAML single sign-on): people are "
        "matched by their GitHub ids and logins only."]


@respx.mock
def test_an_enterprise_reads_its_own_endpoints():
    respx.get(f"{BASE}/enterprises/big/copilot/metrics/reports/users-1-day").respond(
        json={"download_links": [f"{FILES}/0.ndjson?{SIGNATURE}"]})
    respx.get(f"{FILES}/0.ndjson").respond(text=line(1, "octo", 5))
    seats = respx.get(f"{BASE}/enterprises/big/copilot/billing/seats").respond(json=SEATS)
    credits = respx.get(f"{BASE}/enterprises/big/settings/billing/premium_request/usage").respond(
        json={"usageItems": [{"netAmount": 1.05}]})
    copilot = CopilotProvider("big", TOKEN, BASE, prices=Prices(business=Decimal(19), enterprise=Decimal(39)),
                              kind="enterprise")
    [usage] = copilot.fetch_day(DAY)
    assert usage.total_cost_cents == Decimal("63.33") + 105
    assert seats.called and credits.called and not respx.calls.last.request.url.path.startswith("/graphql")


@respx.mock
def test_from_june_2026_the_usage_is_in_ai_credits():
    day = dt.date(2026, 6, 1)
    respx.get(REPORT_URL).respond(json={"download_links": [f"{FILES}/0.ndjson?{SIGNATURE}"]})
    respx.get(f"{FILES}/0.ndjson").respond(text=line(1, "octo", 5).replace("2025-11-04", "2026-06-01"))
    respx.get(SEATS_URL).respond(json=SEATS)
    respx.post(GRAPHQL_URL).respond(json=NO_SAML)
    premium = respx.get(CREDITS_URL)
    credits = respx.get(f"{BASE}/organizations/acme/settings/billing/ai_credit/usage").respond(
        json={"usageItems": [{"netAmount": 0.0132}]})
    [usage] = provider().fetch_day(day)
    assert usage.total_cost_cents == Decimal("63.33") + Decimal("1.32")  # June has 30 days too
    assert credits.called and not premium.called
