"""Fault descriptions from CLI flags and from the admin endpoint's JSON."""

import pytest

from orgonaut.simulator.faults import Fault, FaultError, fault_from_json, parse_fault_spec


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("429:count=2:retry_after=1", Fault(mode="status", status=429, count=2, retry_after=1.0)),
        ("401", Fault(mode="status", status=401)),
        ("529:after=3:path=/v1/organizations/me", Fault(mode="status", status=529, after=3,
                                                          path="/v1/organizations/me")),
        ("malformed", Fault(mode="malformed", variant="json")),
        ("malformed:variant=record:count=1", Fault(mode="malformed", variant="record", count=1)),
        ("slow:delay=2.5", Fault(mode="slow", delay=2.5)),
    ],
)
def test_cli_fault_specs(spec, fault):
    assert parse_fault_spec(spec) == fault


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("teapot", "mode must be one of"),
        ("200", "status between 400 and 599"),
        ("429:count", "is not name=value"),
        ("429:colour=red", "is not name=value"),
        ("429:count=two", "count=two is not an integer"),
        ("429:count=0", "count must be at least 1"),
        ("slow", "delay between 0 and"),
        ("slow:delay=9999", "delay between 0 and"),
        ("malformed:variant=weird", "variant must be one of"),
        ("429:retry_after=-1", "retry_after must not be negative"),
    ],
)
def test_bad_cli_fault_specs_say_why(spec, message):
    with pytest.raises(FaultError, match=message):
        parse_fault_spec(spec)


def test_json_faults_default_to_status_mode_when_a_status_is_given():
    assert fault_from_json({"status": 500, "count": 1}) == Fault(mode="status", status=500, count=1)
    assert fault_from_json({"mode": "slow", "delay": 1}).delay == 1.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("429", "a fault is a JSON object"),
        ({"status": True}, "status must be an integer"),
        ({"status": 429.5}, "status must be an integer"),
        ({"mode": "slow", "delay": "1"}, "delay must be a number"),
        ({"status": 500, "path": 3}, "path must be text"),
        ({"status": 500, "extra": 1}, "unknown fault fields: extra"),
    ],
)
def test_bad_json_faults_say_why(data, message):
    with pytest.raises(FaultError, match=message):
        fault_from_json(data)


def test_a_fault_matches_its_path_only():
    assert Fault(mode="status", status=500, path="/a").matches("/a")
    assert not Fault(mode="status", status=500, path="/a").matches("/b")
    assert Fault(mode="status", status=500).matches("/anything")
    assert Fault(mode="slow", delay=1).label == "slow:1"
