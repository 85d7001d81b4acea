"""What the console's holiday page shows of a year: holidays and make-up days as spans, with names."""
from __future__ import annotations

import datetime as dt

from workflow.domain.deadlines import HolidayCalendar
from workflow.domain.holidays import shipped_years
from workflow.readmodels.calendar import year_view

D = dt.date


def test_a_package_year_shows_its_holidays_with_chinese_names():
    view = year_view(2025, HolidayCalendar())
    assert view.source == "package"
    spans = {s.text(): s.note for s in view.holidays}
    assert spans["10-01 至 10-08（8 天）"] == "国庆节"
    assert spans["01-28 至 02-04（8 天）"] == "春节"
    assert [s.text() for s in view.makeup_days] == ["01-26", "02-08", "04-27", "09-28", "10-11"]


def test_the_shipped_2026_notice_is_named_as_the_source():
    view = year_view(2026, HolidayCalendar(shipped_years().values()))
    assert view.source == "file" and view.source_label == "国务院办公厅关于2026年部分节假日安排的通知"
    assert "01-01 至 01-03（3 天）" in [s.text() for s in view.holidays]  # Thursday to the Saturday it joins


def test_a_year_nobody_entered_is_marked_unknown_and_lists_nothing():
    view = year_view(2027, HolidayCalendar())
    assert not view.known and view.holidays == () and view.makeup_days == ()
    assert "暂按周一至周五" in view.source_label
