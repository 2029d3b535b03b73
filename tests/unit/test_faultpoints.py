"""orgonaut/faultpoints.py: the spec's syntax, which reach fires, and the hold handshake. (The kill
actions are exercised by tests/failover/test_sync_kill_points.py on real workers.)"""

from __future__ import annotations

import threading
import time

import pytest

from orgonaut import faultpoints
from orgonaut.settings import reset_settings_cache


@pytest.fixture
def points(monkeypatch):
    def set_points(spec: str, directory=None) -> None:
        monkeypatch.setenv("ORGONAUT_FAULTPOINTS", spec)
        monkeypatch.setenv("ORGONAUT_FAULTPOINTS_DIR", str(directory or ""))
        reset_settings_cache()

    yield set_points
    monkeypatch.undo()
    reset_settings_cache()
    faultpoints._counts.clear()


def test_the_spec_names_points_their_reach_and_action():
    assert faultpoints.parse("in_copy:3, after_fetch:1:group,x:2:hold") == {
        "in_copy": (3, "kill"), "after_fetch": (1, "group"), "x": (2, "hold")}
    assert faultpoints.parse("") == {}
    for bad in ("in_copy", "in_copy:0", "in_copy:two", "in_copy:1:stall", ":1"):
        with pytest.raises(ValueError, match="bad fault point"):
            faultpoints.parse(bad)


def test_unnamed_points_and_other_reaches_do_nothing(points, tmp_path):
    faultpoints.reach("in_copy")  # no setting: nothing, not even a count
    assert faultpoints._counts == {}
    points("in_copy:3:hold", tmp_path)
    faultpoints.reach("after_fetch")
    faultpoints.reach("in_copy")
    faultpoints.reach("in_copy")
    assert (tmp_path / "in_copy.count").read_text() == "2"
    assert not (tmp_path / "in_copy.fired").exists()
    assert not (tmp_path / "after_fetch.count").exists()


def test_a_hold_fires_on_its_nth_reach_only_and_waits_for_go(points, tmp_path):
    points("in_copy:2:hold", tmp_path)
    faultpoints.reach("in_copy")
    released = threading.Event()

    def second_reach() -> None:
        faultpoints.reach("in_copy")
        released.set()

    thread = threading.Thread(target=second_reach, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not (tmp_path / "in_copy.fired").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (tmp_path / "in_copy.fired").exists()
    assert not released.wait(0.3)  # held
    (tmp_path / "in_copy.go").touch()
    assert released.wait(5)
    (tmp_path / "in_copy.go").unlink()
    faultpoints.reach("in_copy")  # the third reach: fired already, never again
    assert (tmp_path / "in_copy.count").read_text() == "3"


def test_without_a_directory_each_process_counts_for_itself(points):
    points("in_copy:5")
    for _ in range(3):
        faultpoints.reach("in_copy")
    assert faultpoints._counts == {"in_copy": 3}
