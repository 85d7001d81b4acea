"""交办会: a session's accepted proposals assigned at once through the console and the API, one event each;
one wrong row refuses the whole batch naming the row; every 交办单 of the batch prints on one page."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.support.console import post_form

SESSION = {"term": 18, "number": 5, "name": "衡阳县第十八届人民代表大会第五次会议",
           "opens_on": "2026-01-10", "closes_on": "2026-01-13"}


@pytest.fixture
async def accepted(api, clock):
    session_id = (await api.post("/api/v1/sessions", SESSION)).body["id"]
    clock.today = dt.date(2026, 1, 11)
    numbers = []
    for title in ("关于修缮城关中学校舍的建议", "关于新建西渡镇卫生院的建议", "关于硬化村级公路的建议"):
        number = await api.submit(title=title)
        await api.ok(number, "accept", category="教育")
        numbers.append(number)
    return session_id, numbers


async def test_the_api_assigns_a_whole_batch_with_one_event_each(api, accepted):
    session_id, numbers = accepted
    before = {n: await api.events(n) for n in numbers}
    answer = await api.post(f"/api/v1/sessions/{session_id}/assign", {"items": [
        {"number": numbers[0], "lead_units": ["JYJ"], "co_units": ["JTJ"]},
        {"number": numbers[1], "lead_units": ["JYJ", "JTJ"]},
        {"number": numbers[2], "lead_units": "JTJ"}]})
    assert answer.status == 200, answer.body
    assert [i["state"] for i in answer.body["items"]] == ["assigned"] * 3
    for n in numbers:
        detail = await api.detail(n)
        assert detail["state"] == "assigned" and await api.events(n) == before[n] + 1
        assert detail["events"][-1]["action"] == "assign"


async def test_one_wrong_row_refuses_the_whole_batch_and_names_it(api, accepted):
    session_id, numbers = accepted
    answer = await api.post(f"/api/v1/sessions/{session_id}/assign", {"items": [
        {"number": numbers[0], "lead_units": ["JYJ"]},
        {"number": numbers[1], "lead_units": ["NOPE"]},
        {"number": "2099-999", "lead_units": ["JYJ"]}]})
    assert answer.status == 400 and answer.body["field"] == "items"
    assert "第 2 行" in answer.body["message"] and "NOPE" in answer.body["message"]
    assert len(answer.body["rows"]) == 2 and "第 3 行（2099-999）" in answer.body["rows"][1]
    assert [(await api.detail(n))["state"] for n in numbers] == ["accepted"] * 3
    empty = await api.post(f"/api/v1/sessions/{session_id}/assign", {"items": []})
    assert empty.status == 400
    unknown = await api.post("/api/v1/sessions/999/assign", {"items": [{"number": numbers[0], "lead_units": ["JYJ"]}]})
    assert unknown.status == 404


async def test_the_console_batch_assigns_the_ticked_rows_and_prints_every_sheet(staff, api, accepted):
    session_id, numbers = accepted
    path = f"/console/sessions/{session_id}/assign"
    page = await (await staff.get(path)).text()
    assert all(n in page for n in numbers) and "第1号" in page
    bad = await post_form(staff, path, {"pick": numbers[0], f"lead_{numbers[0]}": "NOPE"})
    text = await bad.text()
    assert bad.status == 400 and "没有交办任何建议" in text and 'value="NOPE"' in text
    done = await post_form(staff, path, {"pick": [numbers[0], numbers[1]], f"lead_{numbers[0]}": "JYJ",
                                         f"co_{numbers[0]}": "JTJ", f"lead_{numbers[1]}": "JTJ"})
    text = await done.text()
    assert done.status == 200 and "已交办 2 件" in text
    assert (await api.detail(numbers[2]))["state"] == "accepted"  # not ticked: left alone
    sheets = await (await staff.get(f"/console/sessions/{session_id}/sheets?numbers={numbers[0]},{numbers[1]}")).text()
    assert sheets.count("代表建议交办单") == 3  # lead + co of the first, lead of the second
    assert "衡阳县第十八届人民代表大会第五次会议 第1号（大会建议）" in sheets and "第2号" in sheets
