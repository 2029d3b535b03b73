"""The GitHub simulator over real HTTP, and the Copilot provider against it where GitHub refuses
something optional: signed expiring links, 204 days, settling days, seats paging, SAML, billing,
GitHub's errors and rate limits, and `orgonaut simulate github` as the demo runs it."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import httpx
import pytest

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ProviderError
from orgonaut.ai_tooling.providers.copilot.client import POLICY_OFF_MESSAGE
from orgonaut.org.demo_data import DEMO_PEOPLE
from orgonaut.simulator.copilot import GithubConfig
from orgonaut.simulator.copilot_data import make_users, renamed
from orgonaut.simulator.demo import DEMO_UNKNOWN_GITHUB_LOGINS
from tests.support.github_simulator import VALID_GITHUB_TOKEN, GithubSimulatorServer, copilot_truth

DAY = dt.date(2025, 11, 4)
REPORT = "/orgs/orgonaut-sim/copilot/metrics/reports/users-1-day"
AUTH = {"authorization": f"Bearer {VALID_GITHUB_TOKEN}"}


class Clock:
    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


def credentials(token: str = VALID_GITHUB_TOKEN, organization: str = "orgonaut-sim",
                kind: str = "organization") -> dict[str, str]:
    return {"kind": kind, "owner": organization, "token": token, "business_seat_usd": "19",
            "enterprise_seat_usd": "39"}


@pytest.fixture(scope="module")
def github():
    with GithubSimulatorServer(GithubConfig(files_per_day=3)) as server:
        yield server


@pytest.fixture
def clean_github(github):
    github.reset()
    yield github
    github.reset()


def test_report_links_are_signed_expire_and_take_no_token():
    clock = Clock(dt.datetime(2025, 11, 20, 12, tzinfo=dt.UTC))
    with GithubSimulatorServer(GithubConfig(now=clock, link_ttl=60)) as server:
        answer = httpx.get(f"{server.base_url}{REPORT}", params={"day": DAY.isoformat()}, headers=AUTH)
        assert answer.status_code == 200 and answer.json()["report_day"] == "2025-11-04"
        links = answer.json()["download_links"]
        assert len(links) == 3 and all("sig=" in link and "se=" in link for link in links)
        files = [httpx.get(link) for link in links]
        assert [f.status_code for f in files] == [200] * 3
        rows = [line for f in files for line in f.text.splitlines() if line]
        assert len(rows) == sum(len(file) for file in server.truth(DAY)["files"])
        assert httpx.get(links[0], headers=AUTH).status_code == 400  # the token never goes to the blob host
        assert httpx.get(links[0].replace("sig=", "sig=0")).status_code == 403
        clock.moment += dt.timedelta(seconds=61)
        expired = httpx.get(links[0])
        assert expired.status_code == 403 and "Signed expiry time has passed" in expired.text


def test_no_report_before_the_history_or_before_a_day_is_over_and_githubs_errors(clean_github):
    base = clean_github.base_url
    today = dt.datetime.now(dt.UTC).date()
    for day in (dt.date(2025, 10, 9), today):
        answer = httpx.get(f"{base}{REPORT}", params={"day": day.isoformat()}, headers=AUTH)
        assert (answer.status_code, answer.content) == (204, b"")
    assert httpx.get(f"{base}{REPORT}", params={"day": "2025-10-10"}, headers=AUTH).status_code == 200
    off = httpx.get(f"{base}/orgs/metrics-off/copilot/metrics/reports/users-1-day", params={"day": DAY.isoformat()},
                    headers=AUTH)
    assert off.status_code == 403 and "disabled" in off.json()["message"]
    assert off.json()["documentation_url"].startswith("https://docs.github.com/")
    unknown = httpx.get(f"{base}/orgs/nobody/copilot/metrics/reports/users-1-day", params={"day": "2025-11-04"},
                        headers=AUTH)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Not Found")
    revoked = httpx.get(f"{base}{REPORT}", params={"day": "2025-11-04"},
                        headers={"authorization": "Bearer ghp_simrevoked0"})
    assert (revoked.status_code, revoked.json()["message"]) == (401, "Bad credentials")
    used = [int(httpx.get(f"{base}{REPORT}", params={"day": "2025-11-04"}, headers=AUTH).headers["x-ratelimit-used"])
            for _ in range(2)]
    assert used[1] == used[0] + 1


def test_a_day_keeps_changing_for_three_days_after_it_ends():
    clock = Clock(dt.datetime(2025, 11, 5, 2, tzinfo=dt.UTC))
    with GithubSimulatorServer(GithubConfig(now=clock)) as server:
        totals = []
        for _ in range(5):
            rows = [row for file in server.truth(DAY)["files"] for row in file]
            totals.append(sum(row["loc_added_sum"] for row in rows))
            clock.moment += dt.timedelta(days=1)
        assert totals[0] < totals[1] < totals[2] < totals[3] == totals[4]


def test_seats_are_paged_with_a_link_to_the_next_page(clean_github):
    base = clean_github.base_url
    seats = clean_github.truth(DAY)["seats"]
    first = httpx.get(f"{base}/orgs/orgonaut-sim/copilot/billing/seats", params={"per_page": 5}, headers=AUTH)
    assert first.json()["total_seats"] == len(seats) > 5 and len(first.json()["seats"]) == 5
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    plans = {seat["plan_type"] for seat in seats}
    assert plans == {"business", "enterprise"}
    assert any(seat["pending_cancellation_date"] for seat in seats)


def test_only_some_users_have_saml_identities_and_credits_are_for_the_active(clean_github):
    base = clean_github.base_url
    truth = clean_github.truth(DAY)
    users = {seat["assignee"]["id"] for seat in truth["seats"]}
    assert 0 < len(truth["identities"]) < len(users)
    query = {"query": "query", "variables": {"login": "orgonaut-sim", "after": None}}
    edges = httpx.post(f"{base}/graphql", json=query, headers=AUTH).json()["data"]["organization"][
        "samlIdentityProvider"]["externalIdentities"]["edges"]
    assert {str(e["node"]["user"]["databaseId"]): e["node"]["samlIdentity"]["nameId"] for e in edges} == \
        truth["identities"]
    forbidden = httpx.post(f"{base}/graphql", json=query, headers={"authorization": "Bearer ghp_nosaml1"}).json()
    assert forbidden["errors"][0]["type"] == "FORBIDDEN"
    active = next(iter(truth["credits"]))
    billing = f"{base}/organizations/orgonaut-sim/settings/billing"
    day = {"year": 2025, "month": 11, "day": 4}
    usage = httpx.get(f"{billing}/premium_request/usage", headers=AUTH, params={**day, "user": active}).json()
    assert usage["usageItems"] == [{k: float(v) if isinstance(v, Decimal) else v for k, v in item.items()}
                                   for item in truth["credits"][active]]
    assert {item["sku"] for item in usage["usageItems"]} == {"copilot_premium_request"}
    # Each endpoint serves its own era only: November 2025 was billed in premium requests.
    assert httpx.get(f"{billing}/ai_credit/usage", headers=AUTH, params={**day, "user": active}
                     ).json()["usageItems"] == []
    idle = httpx.get(f"{billing}/premium_request/usage", headers=AUTH, params={**day, "user": "nobody-here"}).json()
    assert idle["usageItems"] == []


def test_a_renamed_login_shows_in_the_rows_from_its_day_and_in_todays_seats_and_saml_identities():
    # A SAML user renamed on DAY + 1 (the default renamed user has no SAML identity).
    [user] = make_users(["mona.lisa@demo.test"], seed=0, now=DAY, saml_share=1.0, renamed_days_ago=None)
    user = renamed(user, DAY + dt.timedelta(days=1))
    clock = Clock(dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC))
    query = {"query": "query", "variables": {"login": "orgonaut-sim", "after": None}}

    def seen() -> tuple[str, str]:
        seats = httpx.get(f"{server.base_url}/orgs/orgonaut-sim/copilot/billing/seats", headers=AUTH).json()["seats"]
        edges = httpx.post(f"{server.base_url}/graphql", json=query, headers=AUTH).json()["data"]["organization"][
            "samlIdentityProvider"]["externalIdentities"]["edges"]
        return seats[0]["assignee"]["login"], edges[0]["node"]["user"]["login"]

    with GithubSimulatorServer(GithubConfig(users=[user], now=clock, files_per_day=1)) as server:
        assert seen() == ("mona-lisa", "mona-lisa")
        clock.moment += dt.timedelta(days=1)
        assert seen() == ("mlisa", "mlisa")
        clock.moment += dt.timedelta(days=30)
        rows = {day: row for day in (DAY + dt.timedelta(days=n) for n in range(-7, 8))
                for row in (r for file in server.truth(day)["files"] for r in file)}
    assert {row["user_id"] for row in rows.values()} == {user.id}
    assert {row["user_login"] for day, row in rows.items() if day <= DAY} == {"mona-lisa"}
    assert {row["user_login"] for day, row in rows.items() if day > DAY} == {"mlisa"}


def test_without_billing_or_saml_the_provider_reports_seat_costs_and_says_so(clean_github):
    truth = clean_github.truth(DAY)
    people, _ = copilot_truth({**truth, "credits": {}}, DAY)
    provider = registry.create_provider("copilot", credentials=credentials("ghp_nobilling_nosaml1"),
                                        api_base=clean_github.base_url)
    usages = provider.fetch_day(DAY)
    assert {u.source_email: u.total_cost_cents for u in usages} == {
        who: person["total_cost_cents"] for who, person in people.items()}
    assert len(usages.warnings) == 2
    assert "SAML identities were not readable" in usages.warnings[0]
    assert "Copilot costs are seat prices only" in usages.warnings[1]
    assert all(len(hint.identities) == 1 for hint in usages.hints.values())  # logins only


def test_with_saml_the_hints_carry_the_nameid_emails(clean_github):
    truth = clean_github.truth(DAY)
    usages = registry.create_provider("copilot", credentials=credentials(), api_base=clean_github.base_url
                                      ).fetch_day(DAY)
    emails = {source: dict(hint.identities).get("email") for source, hint in usages.hints.items()}
    assert {source.removeprefix("github:"): email for source, email in emails.items() if email} == {
        user_id: email for user_id, email in truth["identities"].items() if f"github:{user_id}" in emails}
    assert usages.warnings == []


def test_the_policy_off_403_and_a_secondary_limit_403(clean_github):
    provider = registry.create_provider("copilot", credentials=credentials(organization="metrics-off"),
                                        api_base=clean_github.base_url)
    with pytest.raises(ProviderError) as caught:
        provider.fetch_day(DAY)
    assert str(caught.value) == POLICY_OFF_MESSAGE
    clean_github.set_fault(status=403, retry_after=0.2, count=1)
    usages = registry.create_provider("copilot", credentials=credentials(), api_base=clean_github.base_url
                                      ).fetch_day(DAY)
    # The policy-off 403 (not retried), then the secondary limit's 403, waited out.
    assert usages and [r["status"] for r in clean_github.requests(None)][:3] == [403, 403, 200]


def test_the_primary_rate_limit_is_a_403_with_no_requests_remaining():
    with GithubSimulatorServer(GithubConfig(rate_limit=2)) as server:
        answers = [httpx.get(f"{server.base_url}{REPORT}", params={"day": "2025-11-04"}, headers=AUTH)
                   for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 403]
    assert answers[2].headers["x-ratelimit-remaining"] == "0" and "rate limit" in answers[2].json()["message"]


@pytest.fixture
def started(simulate_started):
    return functools.partial(simulate_started, "github")


def test_the_demo_has_saml_people_people_to_link_by_hand_and_strangers(started):
    base_url = started("--demo", "--fault", "429:count=1:retry_after=1")
    limited = httpx.get(f"{base_url}{REPORT}", params={"day": "2025-11-04"}, headers=AUTH)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "1")
    truth = httpx.get(f"{base_url}/_sim/truth", params={"date": "2025-11-04"}).json()
    logins = {seat["assignee"]["login"] for seat in truth["seats"]}
    assert set(DEMO_UNKNOWN_GITHUB_LOGINS) <= logins
    demo_emails = {p.address for p in DEMO_PEOPLE}
    saml = set(truth["identities"].values())
    assert saml <= demo_emails and len(saml) >= 5
    assert len(logins) - len(DEMO_UNKNOWN_GITHUB_LOGINS) - len(saml) >= 5  # to be linked by hand


def test_an_enterprise_is_read_through_its_own_endpoints_with_one_seat_per_user(clean_github):
    truth = clean_github.truth(DAY)
    assert len(truth["enterprise_seats"]) > len(truth["seats"])  # some users hold seats from two organisations
    provider = registry.create_provider("copilot", credentials=credentials(
        organization="orgonaut-sim-enterprise", kind="enterprise"), api_base=clean_github.base_url)
    assert provider.test_connection() == "orgonaut-sim-enterprise"
    usages = provider.fetch_day(DAY)
    people, _ = copilot_truth(truth, DAY, enterprise=True)
    assert {u.source_email: (u.lines_added, u.total_cost_cents) for u in usages} == {
        who: (person["lines_added"], person["total_cost_cents"]) for who, person in people.items()}
    assert usages.warnings == ["SAML identities are read for organisations only: people are matched by their "
                               "GitHub ids and logins only."]
    paths = {request["path"].rsplit("/", 2)[0] for request in clean_github.requests(None)}
    assert not any(path.startswith(("/orgs/", "/organizations/")) for path in paths)
    wrong = registry.create_provider("copilot", credentials=credentials(organization="orgonaut-sim", kind="enterprise"),
                                     api_base=clean_github.base_url)
    with pytest.raises(ProviderError, match="GitHub knows no enterprise 'orgonaut-sim'"):
        wrong.fetch_day(DAY)
