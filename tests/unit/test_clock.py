"""The one clock: "today" and every shown time are Beijing's, whatever time zone the server runs in."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from workflow.domain import clock as beijing
from workflow.settings import SettingsError, load_settings

UTC = dt.timezone.utc
# 2026-12-31 23:30 and 2027-01-01 00:30 Beijing time, i.e. 15:30 and 16:30 UTC on 12-31.
LATE_EVENING = dt.datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
AFTER_MIDNIGHT = dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC)


@pytest.fixture
def server_in_utc(monkeypatch):
    """The process runs with TZ=UTC, as many servers do."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_today_is_beijings_date_at_half_past_midnight_while_utc_is_still_on_the_old_day(server_in_utc):
    assert AFTER_MIDNIGHT.astimezone().date() == dt.date(2026, 12, 31)  # the server's own idea of today
    assert beijing.today(AFTER_MIDNIGHT) == dt.date(2027, 1, 1)
    assert beijing.today(LATE_EVENING) == dt.date(2026, 12, 31)


def test_the_engine_clock_follows_the_configured_zone(monkeypatch, server_in_utc):
    monkeypatch.setattr(beijing, "_source", lambda: AFTER_MIDNIGHT)
    assert beijing.today() == dt.date(2027, 1, 1)
    assert beijing.frozen_at(LATE_EVENING)() == dt.date(2026, 12, 31)


def test_stored_utc_times_are_shown_in_beijing_time():
    stored = dt.datetime(2026, 12, 1, 21, 58)  # naive UTC, as rows keep it
    assert beijing.local(stored) == dt.datetime(2026, 12, 2, 5, 58)
    assert beijing.local_date(stored) == dt.date(2026, 12, 2)
    assert beijing.shown(stored) == "2026-12-02 05:58"
    assert beijing.shown(None) == "" and beijing.local(None) is None


def test_a_beijing_day_begins_at_16_00_utc_the_day_before():
    assert beijing.day_start(dt.date(2027, 1, 1)) == dt.datetime(2026, 12, 31, 16, 0)


def test_another_zone_can_be_configured_and_a_wrong_one_is_refused_in_chinese():
    try:
        beijing.configure("Asia/Urumqi")  # UTC+6
        assert beijing.today(AFTER_MIDNIGHT) == dt.date(2026, 12, 31)
    finally:
        beijing.configure(beijing.DEFAULT_ZONE)
    with pytest.raises(ValueError):
        beijing.configure("Mars/Olympus_Mons")
    with pytest.raises(SettingsError, match="server.timezone"):
        load_settings(environ={"JIANYI_SERVER_TIMEZONE": "Mars/Olympus_Mons"})
