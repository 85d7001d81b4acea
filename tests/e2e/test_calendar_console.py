"""The committee keeps the holiday calendar on the console (/console/calendar): staff enter a published
year's rest days and make-up days, open deadlines are recomputed at once, and while any open deadline
falls in a year nobody entered, the console says it is counted Monday to Friday.

The 2027 arrangement below is invented for the test (marked 测试用), never shipped: the State Council
has not published 2027's notice yet."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.support.console import post_form, signed_in
from workflow.domain import deadlines
from workflow.usecases.accounts import add_user

REST = "2027-10-01~2027-10-07 国庆节（测试用）"
WORK = "2027-10-09 国庆节（测试用）"


@pytest.fixture(autouse=True)
def calendar_restored():
    was = deadlines.current()
    yield
    deadlines.install(was.calendar, was.rest_day_shift)


async def _assigned_on_2027_09_29(api, clock) -> str:
    clock.today = dt.date(2027, 9, 29)  # a Wednesday, before a National Day nobody has entered yet
    return await api.take_to("assigned", co=None)


def _share(detail: dict) -> dict:
    return detail["assignments"][0]


async def test_a_year_entered_on_the_console_recomputes_open_deadlines_and_ends_the_warning(api, staff, clock):
    number = await _assigned_on_2027_09_29(api, clock)
    before = _share(await api.detail(number))
    # On the Monday-Friday fallback: signing (3 working days) ends on Monday 10-04; the 10-day adjustment
    # window ends on Saturday 10-09 and moves to Monday 10-11.
    assert (before["sign_due"], before["adjustment_due"]) == ("2027-10-04", "2027-10-11")
    queue = await (await staff.get("/console")).text()
    assert "2027 年的法定节假日尚未录入：1 项交办的期限落在该年，暂按周一至周五计算" in queue

    response = await post_form(staff, "/console/calendar", {"year": "2027", "rest_days": REST, "work_days": WORK})
    page = await response.text()
    assert response.status == 200, page
    assert "已保存 2027 年：放假 7 天、调休上班 1 天；重新计算了 1 项交办的期限" in page
    after = _share(await api.detail(number))
    # 10-01..07 off: signing counts 09-30, 10-08 and the make-up Saturday 10-09; the window's 10-09 is a working day.
    assert (after["sign_due"], after["adjustment_due"]) == ("2027-10-09", "2027-10-09")
    sign = next(d for d in after["deadlines"] if d["name"] == "sign")
    assert "尚未录入" not in sign["explanation"] and "计入调休上班日 10-09" in sign["explanation"]
    assert "尚未录入" not in await (await staff.get("/console")).text()
    assert "国庆节（测试用）" in await (await staff.get("/console/calendar?year=2027")).text()
    assert "录入节假日安排" in await (await staff.get("/console/audit")).text()

    cleared = await post_form(staff, "/console/calendar", {"year": "2027", "rest_days": "", "work_days": ""})
    assert "已删除该年在此录入的安排" in await cleared.text()
    assert _share(await api.detail(number))["sign_due"] == "2027-10-04"


async def test_a_wrong_day_is_refused_in_chinese_and_changes_nothing(api, staff, clock):
    number = await _assigned_on_2027_09_29(api, clock)
    response = await post_form(staff, "/console/calendar",
                               {"year": "2027", "rest_days": REST + "\n2027-10-32", "work_days": WORK})
    page = await response.text()
    assert response.status == 400 and "“2027-10-32”中的日期不存在" in page
    assert "2027-10-32" in page  # what was typed stays in the box to correct
    assert _share(await api.detail(number))["sign_due"] == "2027-10-04"
    assert deadlines.current().calendar.source_of(2027) is None
    outside = await post_form(staff, "/console/calendar", {"year": "2027", "rest_days": "2026-10-01", "work_days": ""})
    assert outside.status == 400 and "不在 2027 年内" in await outside.text()


async def test_readers_see_the_calendar_but_cannot_change_it(client, db, staff, clock):
    clock.today = dt.date(2026, 12, 3)
    page = await (await staff.get("/console/calendar")).text()
    assert "随软件发布的国务院办公厅通知" in page or "chinese-calendar" in page
    assert "02-15 至 02-23（9 天）" in page  # 2026's Spring Festival, from the shipped notice
    token = await (await staff.get("/console/calendar")).text()
    await add_user(db, "zhao", "viewer", "correct-horse-9")
    staff.session.cookie_jar.clear()
    await signed_in(client, "zhao", "correct-horse-9")
    page = await (await client.get("/console/calendar?year=2027")).text()
    assert "节假日安排" in page and 'name="rest_days"' not in page and "只有管理员和工作人员可以录入" in page
    refused = await client.post("/console/calendar", data={"year": "2027", "rest_days": REST,
                                                           "csrf_token": _csrf(page) or _csrf(token)})
    assert refused.status == 403
    assert deadlines.current().calendar.source_of(2027) is None


def _csrf(page: str) -> str:
    marker = 'name="csrf_token" value="'
    return page.split(marker, 1)[1].split('"', 1)[0] if marker in page else ""


async def test_an_adjustment_window_ending_in_spring_festival_is_still_open_on_the_first_day_back(api, clock):
    clock.today = dt.date(2026, 2, 12)
    number = await api.take_to("assigned", co=None)
    share = _share(await api.detail(number))
    assert share["adjustment_due"] == "2026-02-24"  # 10 days end on 02-22, inside 春节 (02-15..02-23 off)
    window = next(d for d in share["deadlines"] if d["name"] == "adjustment")
    assert "期满日 2026-02-22 是休息日，顺延至其后第一个工作日（民法典第二百零三条）" in window["explanation"]
    clock.today = dt.date(2026, 2, 24)
    link = await api.link(number, "JYJ")
    await api.unit_ok(link, "request_adjustment", reason="本件主要涉及交通，建议改由县交通运输局主办。")
    assert _share(await api.detail(number))["state"] == "adjustment_requested"
