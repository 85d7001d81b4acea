"""Due dates on the real Chinese calendar (chinese-calendar's data for 2025; 2027 is not published in it).

National Day 2025: 2025-09-28 (Sunday) was a make-up working day, 2025-10-01..08 were holidays (with
Mid-Autumn on 10-06), and 2025-10-11 (Saturday) was a make-up working day.
"""
from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from workflow.domain.deadlines import add_months, due_date, is_working_day, working_days_between
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


def test_calendar_days_ignore_holidays():
    assert due_date(D(2025, 9, 30), Period(10, "days")).due == D(2025, 10, 10)


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
    assert due_date(start, Period(months, "months")).due == expected


def test_a_year_the_calendar_does_not_know_falls_back_to_monday_to_friday_and_says_so():
    # 2027-09-30 is a Thursday; without data, 10-01 (Fri) counts, the weekend is skipped.
    deadline = due_date(D(2027, 9, 30), Period(3, "working_days"))
    assert deadline.due == D(2027, 10, 5)
    assert deadline.holidays_skipped == (D(2027, 10, 2), D(2027, 10, 3))
    assert deadline.makeup_days_counted == ()
    assert deadline.unofficial_years == (2027,)
    assert "2027 年的法定节假日尚未公布" in deadline.explain()
    assert "尚未公布" not in due_date(D(2025, 9, 30), Period(3, "working_days")).explain()


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
