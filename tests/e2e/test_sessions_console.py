"""The console's 届次会议 page: staff register and correct sessions, a bad entry re-renders at its field,
a proposal page shows its session and official number, the dashboard counts one session whole."""
from __future__ import annotations

import datetime as dt

from tests.support.console import post_form as _post


async def test_staff_register_a_session_and_a_bad_one_is_shown_again_at_its_field(staff):
    ok = await _post(staff, "/console/sessions", {"term": "18", "number": "6", "name": "衡阳县第十八届人民代表大会第六次会议",
                                                  "opens_on": "2026-12-28", "closes_on": "2027-01-02"})
    page = await ok.text()
    assert ok.status == 200 and "已登记“衡阳县第十八届人民代表大会第六次会议”" in page and "县十八届人大六次会议" in page
    bad = await _post(staff, "/console/sessions", {"term": "18", "number": "7", "name": "第七次会议",
                                                   "opens_on": "2027-01-01", "closes_on": "2027-01-03"})
    text = await bad.text()
    assert bad.status == 400 and "重叠" in text and 'value="第七次会议"' in text
    assert 'name="opens_on" value="2027-01-01" required\n      aria-invalid="true"' in text


async def test_the_proposal_page_and_the_dashboard_show_the_session(staff, api, clock):
    await api.post("/api/v1/sessions", {"term": 18, "number": 6, "name": "衡阳县第十八届人民代表大会第六次会议",
                                        "opens_on": "2026-12-28", "closes_on": "2027-01-02"})
    clock.today = dt.date(2026, 12, 30)
    number = await api.submit()
    page = await (await staff.get(f"/console/proposals/{number}")).text()
    assert "衡阳县第十八届人民代表大会第六次会议" in page and "第1号" in page
    session_id = (await api.detail(number))["session"]
    board = await (await staff.get(f"/dashboard?session={session_id}&year=2026")).text()
    assert "督办统计 · 衡阳县第十八届人民代表大会第六次会议" in board
    listed = await (await staff.get(f"/console/proposals?session={session_id}")).text()
    assert number in listed


async def test_the_assignment_sheet_and_the_deputys_message_carry_the_official_number(staff, api, clock, db):
    from sqlalchemy import select

    from notify.texts import render as render_message
    from storage.models import OutboxMessage

    await api.post("/api/v1/sessions", {"term": 18, "number": 5, "name": "衡阳县第十八届人民代表大会第五次会议",
                                        "opens_on": "2026-01-10", "closes_on": "2026-01-13"})
    clock.today = dt.date(2026, 3, 2)  # after it closed: a 闭会期间建议
    number = await api.submit()
    await api.take_to("assigned", number)
    lead = next(a["id"] for a in (await api.detail(number))["assignments"] if a["role"] == "lead")
    sheet = await (await staff.get(f"/console/assignments/{lead}/sheet")).text()
    assert "衡阳县第十八届人民代表大会第五次会议 闭会第1号（闭会期间建议）" in sheet
    async with db.read() as session:
        row = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "proposal_numbered"))).scalar_one()
    assert render_message(row.kind, row.payload).text.startswith(f"【代表建议 {number}｜十八届五次会议闭会第1号】")


async def test_the_lists_behind_a_figure_and_the_public_replies_show_the_official_number(staff, api, clock, client):
    session_id = (await api.post("/api/v1/sessions", {"term": 18, "number": 6, "name": "第六次会议",
                                                      "opens_on": "2026-12-28", "closes_on": "2027-01-02"})).body["id"]
    clock.today = dt.date(2026, 12, 29)
    number = await api.submit()
    await api.take_to("replied", number)
    behind = await (await staff.get(f"/dashboard/proposals?figure=assigned&session={session_id}")).text()
    assert number in behind and "第1号" in behind
    reply_id = (await api.detail(number))["replies"][0]["id"]
    assert (await api.post(f"/api/v1/replies/{reply_id}/publish", {})).status == 200
    public = await (await client.get("/replies")).text()
    assert number in public and "<small>第1号</small>" in public
