"""`orgonaut simulate anthropic` as the demo runs it: a real process, flags, and its HTTP answers."""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess

import httpx
import pytest

from orgonaut.ai_tooling.providers.claude_code.client import ClaudeCodeProvider
from orgonaut.simulator.app import USAGE_REPORT_PATH, SimulatorConfig
from orgonaut.simulator.data import UsageGenerator
from tests.support.processes import free_port
from tests.support.simulator import VALID_KEY
from tests.support.simulator import simulate as simulate_vendor

HEADERS = {"x-api-key": VALID_KEY, "anthropic-version": "2023-06-01"}
DAY = dt.date(2025, 3, 4)


def simulate(*args: str) -> subprocess.Popen:
    return simulate_vendor("anthropic", *args)


@pytest.fixture
def started(simulate_started):
    return functools.partial(simulate_started, "anthropic")


def test_the_command_serves_the_roster_with_its_seed_name_and_faults(started, tmp_path):
    roster = tmp_path / "roster.txt"
    roster.write_text("# the demo's people\nann.lee@acme.test\n\n  bo.chan@acme.test  \n", encoding="utf-8")
    base_url = started("--seed", "5", "--roster-file", str(roster), "--org-name", "Acme Corp",
                       "--fault", "429:count=1:retry_after=0", "--every-day")
    client = ClaudeCodeProvider(VALID_KEY, base_url, sleep=lambda seconds: None)
    assert client.test_connection() == "Acme Corp"
    assert httpx.get(f"{base_url}{USAGE_REPORT_PATH}", params={"starting_at": DAY.isoformat()},
                     headers=HEADERS).status_code == 200  # the 429 was spent on the organisation request
    emails = {record.source_email for record in client.fetch_day(DAY)}
    assert {"ann.lee@acme.test", "bo.chan@acme.test", "api-key:ci-pipeline"} <= emails
    assert not any(email.endswith("@demo.test") for email in emails)
    # The process serves exactly what the same configuration generates in process.
    generator = UsageGenerator(seed=5, roster=["ann.lee@acme.test", "bo.chan@acme.test"], every_day=True)
    page = httpx.get(f"{base_url}{USAGE_REPORT_PATH}", params={"starting_at": DAY.isoformat(), "limit": 1000},
                     headers=HEADERS).text
    assert page == '{"data":[' + ",".join(generator.records(DAY)) + '],"has_more":false,"next_page":null}'
    log = httpx.get(f"{base_url}/_sim/requests").json()["requests"]
    assert log[0]["fault"] == "status:429" and log[0]["status"] == 429


def test_a_generated_roster_of_a_given_size(started):
    base_url = started("--roster-size", "3", "--every-day")
    page = httpx.get(f"{base_url}{USAGE_REPORT_PATH}", params={"starting_at": DAY.isoformat(), "limit": 1000},
                     headers=HEADERS).json()
    emails = {row["actor"].get("email_address") for row in page["data"]}
    assert emails - set(SimulatorConfig().unknown_emails) - {None} == {
        "ada.lovelace@demo.test", "alan.turing@demo.test", "amara.okafor@demo.test"}


def test_the_failover_flags_storm_reset_and_revise(started):
    base_url = started("--roster-size", "3", "--every-day", "--fault", "reset:after_bytes=50:count=1",
                       "--fault", "429:rate=0.7:seed=3:retry_after=0", "--revise",
                       "2025-03-04:drop:email=alan.turing@demo.test", "--revise",
                       "2025-03-04:change:email=ada.lovelace@demo.test:factor=2")
    with pytest.raises(httpx.RemoteProtocolError, match="received 50 bytes"):
        httpx.get(f"{base_url}{USAGE_REPORT_PATH}", params={"starting_at": DAY.isoformat()}, headers=HEADERS)
    # The storm then picks seed 3's draws: not, yes, yes, not.
    assert [httpx.get(f"{base_url}{USAGE_REPORT_PATH}", params={"starting_at": DAY.isoformat()},
                      headers=HEADERS).status_code for _ in range(4)] == [200, 429, 429, 200]
    revisions = httpx.get(f"{base_url}/_sim/revisions").json()["revisions"]
    assert [(r["action"], r["email"], r["factor"], r["records"]) for r in revisions] == [
        ("drop", "alan.turing@demo.test", None, 1), ("change", "ada.lovelace@demo.test", 2, 2)]  # two rows that day
    truth = httpx.get(f"{base_url}/_sim/truth", params={"date": DAY.isoformat()}).json()
    emails = {row["actor"].get("email_address") for row in truth["data"]}
    assert "alan.turing@demo.test" not in emails and "ada.lovelace@demo.test" in emails
    generator = UsageGenerator(seed=0, roster=["ada.lovelace@demo.test"], unknown_emails=(), api_key_names=(),
                               every_day=True)
    ada = [row for row in truth["data"] if row["actor"].get("email_address") == "ada.lovelace@demo.test"]
    original = [json.loads(text) for text in generator.records(DAY)]
    assert [row["core_metrics"]["num_sessions"] for row in ada] == [
        2 * row["core_metrics"]["num_sessions"] for row in original]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "teapot"], "mode must be one of"),
        (["--fault", "429:count=0"], "count must be at least 1"),
        (["--fault", "429:rate=1.5"], "rate must be above 0 and at most 1"),
        (["--fault", "reset:after_bytes=-1"], "after_bytes must not be negative"),
        (["--revise", "2025-03-04:shred:email=a@x.test"], "action must be one of"),
        (["--roster-size", "3", "--roster-file", "pyproject.toml"], "only one of"),
        (["--date-style", "epoch"], "rfc3339 or date"),
    ],
)
def test_bad_flags_exit_with_a_reason(args, message):
    process = simulate("--port", str(free_port()), *args)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert message in stderr
