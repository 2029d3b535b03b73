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


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("429:rate=0.7:seed=3:retry_after=1", Fault(mode="status", status=429, rate=0.7, seed=3, retry_after=1.0)),
        ("reset:after_bytes=100:count=1", Fault(mode="reset", after_bytes=100, count=1)),
        ("reset", Fault(mode="reset", after_bytes=0)),
        ("drip:bytes_per_second=500", Fault(mode="drip", bytes_per_second=500.0, chunk_bytes=50)),
        ("drip:bytes_per_second=5:chunk_bytes=2", Fault(mode="drip", bytes_per_second=5.0, chunk_bytes=2)),
        ("endless", Fault(mode="endless")),
        ("dup:count=1", Fault(mode="dup", count=1)),
        ("grow:after=1:count=2:rate=0.5", Fault(mode="grow", after=1, count=2, rate=0.5)),
    ],
)
def test_cli_specs_of_the_new_modes(spec, fault):
    assert parse_fault_spec(spec) == fault


def test_a_drip_chunk_defaults_to_a_tenth_of_a_seconds_worth_and_at_least_a_byte():
    assert Fault(mode="drip", bytes_per_second=2000).chunk_bytes == 200
    assert Fault(mode="drip", bytes_per_second=3).chunk_bytes == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": 429, "rate": 0}, "rate must be above 0 and at most 1"),
        ({"status": 429, "rate": 1.5}, "rate must be above 0 and at most 1"),
        ({"status": 429, "rate": -0.1}, "rate must be above 0 and at most 1"),
        ({"status": 429, "rate": "0.7"}, "rate must be a number"),
        ({"status": 429, "rate": float("nan")}, "rate must be a finite number"),
        ({"status": 429, "seed": 3}, "seed only applies with a rate"),
        ({"status": 429, "rate": 0.5, "seed": 1.5}, "seed must be an integer"),
        ({"mode": "reset", "after_bytes": -1}, "after_bytes must not be negative"),
        ({"mode": "reset", "after_bytes": "10"}, "after_bytes must be an integer"),
        ({"status": 500, "after_bytes": 10}, "after_bytes only applies to a reset fault"),
        ({"mode": "drip"}, "a drip fault needs bytes_per_second above 0"),
        ({"mode": "drip", "bytes_per_second": 0}, "a drip fault needs bytes_per_second above 0"),
        ({"mode": "drip", "bytes_per_second": -5}, "a drip fault needs bytes_per_second above 0"),
        ({"mode": "drip", "bytes_per_second": 10, "chunk_bytes": 0}, "chunk_bytes must be at least 1"),
        ({"mode": "drip", "bytes_per_second": 0.001}, "must send a chunk at least every 600 seconds"),
        ({"mode": "slow", "delay": 1, "bytes_per_second": 10}, "only apply to a drip fault"),
        ({"mode": "endless", "colour": 1}, "unknown fault fields: colour"),
    ],
)
def test_bad_new_fields_say_why(data, message):
    with pytest.raises(FaultError, match=message):
        fault_from_json(data)


def test_a_rate_picks_the_same_seeded_fraction_every_time():
    def picks(seed: int) -> list[bool]:
        fault = Fault(mode="status", status=429, rate=0.7, seed=seed)
        return [fault.picks() for _ in range(1000)]

    first = picks(3)
    assert picks(3) == first  # deterministic for a seed
    assert picks(4) != first
    assert sum(first) == 692  # this seed's exact count: about 0.7 of 1000
    assert first[:10] == [False, True, True, False, False, False, True, True, True, False]
    assert all(Fault(mode="status", status=500).picks() for _ in range(10))  # without a rate: every one


def test_a_copy_of_a_rate_fault_starts_its_draws_again():
    import dataclasses

    fault = Fault(mode="status", status=429, rate=0.5, seed=9)
    drawn = [fault.picks() for _ in range(20)]
    copy = dataclasses.replace(fault)  # how the simulator copies its configured faults
    assert [copy.picks() for _ in range(20)] == drawn
    assert "_draws" not in fault.to_json() and fault.to_json()["rate"] == 0.5


def test_paging_modes_match_usage_report_pages_only():
    endless, dup = Fault(mode="endless"), Fault(mode="dup")
    assert endless.matches("/r", report=True) and endless.matches("/r", report=True, continued=True)
    assert not endless.matches("/v1/organizations/me")
    assert dup.matches("/r", report=True, continued=True)
    assert not dup.matches("/r", report=True)  # a first page has no previous page to repeat
    assert not Fault(mode="grow").matches("/r", report=True)
    assert Fault(mode="reset").matches("/v1/organizations/me")
    assert [Fault(mode=m, **o).label for m, o in [("reset", {"after_bytes": 7}), ("drip", {"bytes_per_second": 50}),
                                                  ("endless", {}), ("dup", {}), ("grow", {})]] == [
        "reset:7", "drip:50", "endless", "dup", "grow"]
