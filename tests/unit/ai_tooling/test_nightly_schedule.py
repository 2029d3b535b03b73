"""The nightly reconcile runs once per local day, through every DST change, in zones that make it hard:
03:00 falls inside the spring-forward hour in Helsinki; Lord Howe moves by half an hour, Chatham sits
at +12:45/+13:45, Havana changes at midnight. Beat is simulated with Celery's own crontab, waking at
least hourly (the real beat wakes every few minutes)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from celery.schedules import crontab

from workers.celery_app import app as orgonaut_app

NIGHTLY = orgonaut_app.conf.beat_schedule["ai-tooling-nightly-sync"]["schedule"]


def runs_over_a_year(zone: str) -> list[dt.datetime]:
    app = Celery(set_as_current=False)
    app.conf.update(timezone=zone, enable_utc=False)
    tz = ZoneInfo(zone)
    now = [dt.datetime(2025, 1, 1, 12, 0, tzinfo=tz)]
    schedule = crontab(minute=NIGHTLY._orig_minute, hour=NIGHTLY._orig_hour, app=app, nowfun=lambda: now[0])
    last_run = now[0]
    runs = []
    end = dt.datetime(2026, 1, 1, 12, 0, tzinfo=tz)
    while now[0] < end:
        due, next_check = schedule.is_due(last_run)
        if due:
            runs.append(now[0])
            last_run = now[0]
        now[0] = (now[0].astimezone(dt.UTC) + dt.timedelta(seconds=max(1.0, min(next_check, 3600)))).astimezone(tz)
    return runs


@pytest.mark.parametrize("zone", ["Europe/Helsinki", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                                  "Pacific/Chatham", "America/Havana", "Asia/Riyadh"])
def test_the_nightly_job_runs_exactly_once_per_local_day(zone):
    runs = runs_over_a_year(zone)
    local_days = [run.date() for run in runs]
    assert len(local_days) == len(set(local_days)) == 365  # 2025-01-02 .. 2026-01-01, each once
    # Each run is at 03:00 local, or within the hour after it where 03:00 did not exist that night.
    assert all(dt.time(3, 0) <= run.timetz().replace(tzinfo=None) < dt.time(4, 1) for run in runs)
