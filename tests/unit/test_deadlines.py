"""Due dates on the real Chinese calendar (chinese-calendar's data for 2025-2026; 2027 is not published in it).

National Day 2025: 2025-09-28 (Sunday) was a make-up working day, 2025-10-01..08 were holidays (with
Mid-Autumn on 10-06), and 2025-10-11 (Saturday) was a make-up working day.
"""
from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from workflow.domain.deadlines import (
    HolidayCalendar,
    add_months,
    current,
    due_date,
    install,
    is_working_day,
    working_days_between,
)
from workflow.domain.holidays import HolidayDataError, YearDays, parse_entry, parse_lines, shipped_years, year_days
from workflow.settings import Period

D = dt.date
NATIONAL_DAY_2025 = [D(2025, 10, d) for d in range(1, 9)]


def test_the_calendar_data_is_what_these_tests_assume():
    assert chinese_calendar.is_workday(D(2025, 9, 28)) and D(2025, 9, 28).weekday() == 6
    assert chinese_calendar.is_workday(D(2025, 10, 11)) and D(2025, 10, 11).weekday() == 5
    assert not any(chinese_calendar.is_workday(d) for d in NATIONAL_DAY_2025)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 3, 1))


def test_three_working_days_before_national_day_skip_the_holiday_and_count_the_makeup_saturday():
    deadline = due_date(D(2025, 9, 30), Period(3, "working_days"))
    # 10-01..10-08 are off; 10-09 (Thu), 10-10 (Fri) and the make-up Saturday 10-11 count.
    assert deadline.due == D(2025, 10, 11)
    assert deadline.holidays_skipped == tuple(NATIONAL_DAY_2025)
    assert deadline.makeup_days_counted == (D(2025, 10, 11),)
    assert deadline.unofficial_years == ()
    text = deadline.explain()
    assert "2025-10-11" in text and "跳过节假日和周末 8 天" in text and "10-11" in text and "调休" in text


def test_a_makeup_sunday_counts_and_the_ordinary_saturday_before_it_does_not():
    deadline = due_date(D(2025, 9, 26), Period(3, "working_days"))
    # 09-27 (Sat) off, 09-28 (make-up Sun), 09-29, 09-30 count.
    assert deadline.due == D(2025, 9, 30)
    assert deadline.holidays_skipped == (D(2025, 9, 27),)
    assert deadline.makeup_days_counted == (D(2025, 9, 28),)


def test_working_days_do_not_count_the_start_day():
    monday = D(2025, 6, 9)
    assert due_date(monday, Period(1, "working_days")).due == D(2025, 6, 10)
    friday = D(2025, 6, 13)
    assert due_date(friday, Period(1, "working_days")).due == D(2025, 6, 16)


def test_fifteen_working_days_across_national_day():
    # The default rating window: from 2025-09-26 it ends on 2025-10-20.
    deadline = due_date(D(2025, 9, 26), Period(15, "working_days"))
    counted = [D(2025, 9, 28), D(2025, 9, 29), D(2025, 9, 30), D(2025, 10, 9), D(2025, 10, 10), D(2025, 10, 11),
               D(2025, 10, 13), D(2025, 10, 14), D(2025, 10, 15), D(2025, 10, 16), D(2025, 10, 17),
               D(2025, 10, 20)]
    assert len(counted) == 12  # so 15 is three more working days: 10-21, 10-22, 10-23
    assert deadline.due == D(2025, 10, 23)
    assert deadline.makeup_days_counted == (D(2025, 9, 28), D(2025, 10, 11))


def test_calendar_days_count_holidays_and_end_on_a_working_day_unshifted():
    # 10 days from 09-30 run through National Day and end on Friday 10-10, a working day: nothing to shift.
    deadline = due_date(D(2025, 9, 30), Period(10, "days"))
    assert deadline.due == D(2025, 10, 10) and deadline.shifted_from is None
    assert due_date(D(2025, 9, 21), Period(10, "days"), rest_day_shift=False).due == D(2025, 10, 1)


@pytest.mark.parametrize("start, months, expected", [
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2025, 3, 31), 1, D(2025, 4, 30)),
    (D(2025, 8, 31), 6, D(2026, 2, 28)),
    (D(2025, 11, 15), 3, D(2026, 2, 15)),
    (D(2025, 4, 1), 3, D(2025, 7, 1)),
    (D(2025, 12, 31), 12, D(2026, 12, 31)),
])
def test_months_keep_the_day_and_clamp_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected
    assert due_date(start, Period(months, "months"), rest_day_shift=False).due == expected


def test_a_year_the_calendar_does_not_know_falls_back_to_monday_to_friday_and_says_so():
    # 2027-09-30 is a Thursday; without data, 10-01 (Fri) counts, the weekend is skipped.
    deadline = due_date(D(2027, 9, 30), Period(3, "working_days"))
    assert deadline.due == D(2027, 10, 5)
    assert deadline.holidays_skipped == (D(2027, 10, 2), D(2027, 10, 3))
    assert deadline.makeup_days_counted == ()
    assert deadline.unofficial_years == (2027,)
    assert "2027 年的法定节假日尚未录入，暂按周一至周五计算" in deadline.explain()
    assert "尚未录入" not in due_date(D(2025, 9, 30), Period(3, "working_days")).explain()


def test_a_deadline_crossing_into_an_unknown_year_names_only_that_year():
    deadline = due_date(D(2026, 12, 30), Period(5, "working_days"))
    assert deadline.unofficial_years == (2027,)
    assert deadline.due > D(2027, 1, 1)


def test_is_working_day_uses_the_calendar_and_the_fallback():
    assert is_working_day(D(2025, 9, 28))  # make-up Sunday
    assert not is_working_day(D(2025, 10, 6))  # Monday in the holiday
    assert is_working_day(D(2027, 10, 1)) and not is_working_day(D(2027, 10, 2))


def test_working_days_between_counts_after_the_start_up_to_the_end():
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 11)) == 3
    assert working_days_between(D(2025, 9, 26), D(2025, 9, 30)) == 3
    assert working_days_between(D(2025, 10, 11), D(2025, 9, 30)) == -3
    assert working_days_between(D(2025, 10, 1), D(2025, 10, 8)) == 0
    assert working_days_between(D(2025, 6, 10), D(2025, 6, 10)) == 0


def test_working_days_between_inverts_due_date():
    for start in (D(2025, 9, 24), D(2025, 9, 30), D(2025, 12, 30), D(2027, 4, 28)):
        for n in (1, 3, 10, 15):
            assert working_days_between(start, due_date(start, Period(n, "working_days")).due) == n


def test_deadline_as_dict_carries_the_explanation():
    body = due_date(D(2025, 9, 30), Period(3, "working_days")).as_dict()
    assert body["due"] == "2025-10-11"
    assert body["makeup_days_counted"] == ["2025-10-11"]
    assert body["period"] == "3 个工作日"
    assert body["explanation"].startswith("自 2025-09-30 起 3 个工作日")


# ---------------------------------------------------------------- rest-day shift (民法典 第二百零三条)
def test_a_ten_day_window_ending_in_spring_festival_ends_on_the_first_working_day_back():
    # Assigned 2026-02-12: 10 days end on 02-22, inside 春节 (02-15..02-23 off); 02-24 is the first working day.
    deadline = due_date(D(2026, 2, 12), Period(10, "days"))
    assert deadline.due == D(2026, 2, 24)
    assert deadline.shifted_from == D(2026, 2, 22)
    assert deadline.holidays_skipped == (D(2026, 2, 22), D(2026, 2, 23))
    text = deadline.explain()
    assert text.startswith("自 2026-02-12 起 10 天，截止 2026-02-24")
    assert "期满日 2026-02-22 是休息日，顺延至其后第一个工作日（民法典第二百零三条）" in text
    assert deadline.as_dict()["shifted_from"] == "2026-02-22"


def test_without_the_shift_the_window_ends_on_the_holiday():
    deadline = due_date(D(2026, 2, 12), Period(10, "days"), rest_day_shift=False)
    assert deadline.due == D(2026, 2, 22) and deadline.shifted_from is None
    assert "顺延" not in deadline.explain()


def test_a_month_period_ending_on_a_saturday_moves_to_monday_but_not_past_a_makeup_saturday():
    assert due_date(D(2026, 4, 11), Period(1, "months")).due == D(2026, 5, 11)  # 05-11 is Monday: unchanged
    assert due_date(D(2026, 3, 7), Period(3, "months")).due == D(2026, 6, 8)  # Sunday 06-07 -> Monday 06-08
    saturday_at_work = due_date(D(2026, 4, 9), Period(1, "months"))  # 05-09 is a make-up Saturday: a working day
    assert saturday_at_work.due == D(2026, 5, 9) and saturday_at_work.shifted_from is None


def test_a_shift_into_an_unknown_year_says_it_counted_monday_to_friday():
    deadline = due_date(D(2027, 1, 6), Period(3, "days"))  # Saturday 2027-01-09 -> Monday 01-11 on the fallback
    assert deadline.due == D(2027, 1, 11) and deadline.unofficial_years == (2027,)


# ---------------------------------------------------------------- holidays as data
# Test data below is invented for the tests and never shipped: the 2027 notice is not published yet.
def hypothetical_2027(source: str = "committee", **extra) -> YearDays:
    return year_days(2027, source, [(D(2027, 10, d), "国庆节（测试用）") for d in range(1, 8)],
                     [(D(2027, 10, 9), "国庆节（测试用）")], **extra)


def test_a_year_added_changes_a_due_date_computed_on_the_fallback():
    before = due_date(D(2027, 9, 30), Period(3, "working_days"))
    assert before.due == D(2027, 10, 5) and before.unofficial_years == (2027,)
    calendar = HolidayCalendar([hypothetical_2027()])
    after = due_date(D(2027, 9, 30), Period(3, "working_days"), calendar)
    # 10-01..07 off; 10-08 (Fri), the make-up Saturday 10-09 and Monday 10-11 count.
    assert after.due == D(2027, 10, 11)
    assert after.unofficial_years == () and after.makeup_days_counted == (D(2027, 10, 9),)
    assert calendar.source_of(2027) == "committee" and HolidayCalendar().source_of(2027) is None
    assert calendar.fingerprint() != HolidayCalendar().fingerprint()
    assert calendar.fingerprint() == HolidayCalendar([hypothetical_2027()]).fingerprint()


def test_an_ordinary_day_of_an_entered_year_is_official_not_fallback():
    calendar = HolidayCalendar([hypothetical_2027()])
    assert calendar.lookup(D(2027, 3, 1)) == (True, "committee")
    assert calendar.lookup(D(2027, 3, 6)) == (False, "committee")  # a Saturday
    assert HolidayCalendar().lookup(D(2027, 3, 1)) == (True, None)


def test_precedence_console_then_settings_then_shipped_file_then_the_package():
    monday = D(2026, 3, 2)  # an ordinary working Monday by the package
    file = year_days(2026, "file", [(monday, "文件")], [])
    settings = year_days(2026, "settings", [], [(monday, "设置")])
    console = year_days(2026, "committee", [(monday, "工作台")], [])
    assert HolidayCalendar().lookup(monday) == (True, "package")
    assert HolidayCalendar([file]).lookup(monday) == (False, "file")
    assert HolidayCalendar([file, settings]).lookup(monday) == (True, "settings")
    assert HolidayCalendar([file, settings, console]).lookup(monday) == (False, "committee")
    # A day no layer lists still comes from the package: one corrected day keeps the rest of the year.
    assert HolidayCalendar([console]).lookup(D(2026, 2, 16)) == (False, "package")


def test_the_installed_calendar_is_the_default_of_every_due_date():
    was = current()
    try:
        install(HolidayCalendar([hypothetical_2027()]))
        assert due_date(D(2027, 9, 30), Period(3, "working_days")).due == D(2027, 10, 11)
        install(rest_day_shift=False)
        assert due_date(D(2026, 2, 12), Period(10, "days")).due == D(2026, 2, 22)
    finally:
        install(was.calendar, was.rest_day_shift)
    assert due_date(D(2027, 9, 30), Period(3, "working_days")).due == D(2027, 10, 5)


def test_the_shipped_2026_notice_agrees_with_chinese_calendar_on_every_day():
    shipped = shipped_years()
    assert 2027 not in shipped, "ship a year only once the State Council has published it"
    notice = shipped[2026]
    assert notice.label == "国务院办公厅关于2026年部分节假日安排的通知"
    day = D(2026, 1, 1)
    while day.year == 2026:
        by_file = HolidayCalendar([notice], package=False).is_working_day(day)
        assert by_file == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("line, days, note", [
    ("2027-02-06", [D(2027, 2, 6)], ""),
    ("2027-02-06~2027-02-08 春节", [D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8)], "春节"),
    ("2027/2/6 至 2027/2/7", [D(2027, 2, 6), D(2027, 2, 7)], ""),
])
def test_entries_are_days_or_ranges_with_a_note(line, days, note):
    assert parse_entry(line) == (days, note)


@pytest.mark.parametrize("line, words", [
    ("二月六日", "无法识别"), ("2027-02-30", "不存在"), ("2027-02-08~2027-02-06", "早于"),
    ("2027-01-01~2027-03-01", "跨度超过"),
])
def test_a_wrong_entry_is_refused_in_chinese(line, words):
    with pytest.raises(HolidayDataError) as caught:
        parse_entry(line)
    assert words in caught.value.message


def test_a_day_both_rest_and_work_or_outside_its_year_is_refused():
    with pytest.raises(HolidayDataError, match="既是放假日又是调休上班日"):
        year_days(2027, "committee", [(D(2027, 2, 6), "")], [(D(2027, 2, 6), "")])
    with pytest.raises(HolidayDataError, match="不在 2027 年内"):
        parse_lines("2026-12-31", 2027)
