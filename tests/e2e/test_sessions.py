"""Sessions (届/次) through the API: registering them, official numbers per session and kind, correcting a
proposal's session, and the tallies of one session across the new year."""
from __future__ import annotations

import datetime as dt

import pytest

D = dt.date
SIXTH = {"term": 18, "number": 6, "name": "衡阳县第十八届人民代表大会第六次会议",
         "opens_on": "2026-12-28", "closes_on": "2027-01-02"}
FIFTH = {"term": 18, "number": 5, "name": "衡阳县第十八届人民代表大会第五次会议",
         "opens_on": "2026-01-10", "closes_on": "2026-01-13"}


@pytest.fixture
async def sessions(api):
    ids = {}
    for body in (FIFTH, SIXTH):
        answer = await api.post("/api/v1/sessions", body)
        assert answer.status == 201, answer.body
        ids[body["number"]] = answer.body["id"]
    return ids


async def _submit_on(api, clock, day: D, **extra) -> dict:
    clock.today = day
    return await api.detail(await api.submit(**extra))


async def test_sessions_are_registered_listed_and_a_bad_one_is_refused_in_chinese(api, sessions):
    listed = (await api.get("/api/v1/sessions")).body["items"]
    assert [s["name"] for s in listed] == [SIXTH["name"], FIFTH["name"]]  # newest first
    assert listed[0]["short_name"] == "县十八届人大六次会议"
    overlapping = await api.post("/api/v1/sessions", {**SIXTH, "number": 7, "opens_on": "2027-01-01"})
    assert overlapping.status == 400 and overlapping.body["field"] == "opens_on" and "重叠" in overlapping.body["message"]
    for bad in ({**SIXTH, "number": 8, "term": "十八"}, {**SIXTH, "number": 8, "opens_on": "2027/1/1"},
                {**SIXTH, "number": 8, "name": ""}):
        answer = await api.post("/api/v1/sessions", bad)
        assert answer.status == 400 and answer.body["message"], answer.body
    assert len((await api.get("/api/v1/sessions")).body["items"]) == 2


async def test_session_and_interim_proposals_are_numbered_in_their_own_sequences(api, clock, sessions):
    first = await _submit_on(api, clock, D(2026, 1, 10))
    second = await _submit_on(api, clock, D(2026, 1, 13))
    interim = await _submit_on(api, clock, D(2026, 3, 2))
    assert (first["session"], first["kind"], first["display_number"]) == (sessions[5], "session", "第1号")
    assert (second["kind"], second["display_number"]) == ("session", "第2号")
    assert (interim["session"], interim["kind"], interim["display_number"]) == (sessions[5], "interim", "闭会第1号")
    assert interim["session_name"] == FIFTH["name"] and interim["kind_label"] == "闭会期间建议"
    assert first["number"] != first["display_number"]  # the stable reference stays the year number
    # The next session starts both sequences afresh.
    sixth = await _submit_on(api, clock, D(2026, 12, 29))
    assert (sixth["session"], sixth["display_number"]) == (sessions[6], "第1号")


async def test_a_session_across_new_year_numbers_and_tallies_its_proposals_as_one(api, clock, sessions):
    december = await _submit_on(api, clock, D(2026, 12, 28))
    january = await _submit_on(api, clock, D(2027, 1, 2))
    assert (december["year"], january["year"]) == (2026, 2027)
    assert (december["display_number"], january["display_number"]) == ("第1号", "第2号")
    assert {december["session"], january["session"]} == {sessions[6]}
    for p in (december, january):
        await api.take_to("assigned", p["number"])
    figures = (await api.get("/api/v1/stats", session=str(sessions[6]))).body
    assert figures["assigned"] == 2 and figures["filters"]["session"] == sessions[6]
    assert (await api.get("/api/v1/stats", session=str(sessions[6]), kind="interim")).body["assigned"] == 0
    assert (await api.get("/api/v1/stats", year="2027")).body["assigned"] == 1
    listed = (await api.get("/api/v1/proposals", session=str(sessions[6]))).body
    assert listed["total"] == 2
    bad = await api.get("/api/v1/stats", kind="大会")
    assert bad.status == 400 and bad.body["field"] == "kind"


async def test_a_proposal_before_every_session_keeps_its_year_number(api, clock, sessions):
    early = await _submit_on(api, clock, D(2025, 12, 1))
    assert early["session"] is None and early["kind"] is None and early["display_number"] == early["number"]


async def test_staff_correct_the_session_and_kind_and_the_proposal_takes_the_next_number(api, clock, sessions):
    wrong = await _submit_on(api, clock, D(2026, 3, 2))  # interim of the fifth
    await _submit_on(api, clock, D(2026, 12, 29))  # sixth, 第1号
    fixed = await api.ok(wrong["number"], "correct_session", session=str(sessions[6]), kind="session",
                         origin="motion")
    assert (fixed["session"], fixed["kind"], fixed["display_number"]) == (sessions[6], "session", "第2号")
    assert fixed["origin"] == "motion" and fixed["origin_label"] == "议案转建议"
    event = fixed["events"][-1]
    assert event["action"] == "correct_session"
    nothing = await api.act(wrong["number"], "correct_session", session=str(sessions[6]), kind="session")
    assert nothing.status == 400 and "一样" in nothing.message()
    unknown = await api.act(wrong["number"], "correct_session", session="999")
    assert unknown.status == 400 and unknown.body["field"] == "session"


async def test_a_motion_turned_proposal_is_recorded_at_entry_and_counted_apart(api, clock, sessions):
    motion = await _submit_on(api, clock, D(2026, 1, 11), origin="motion")
    plain = await _submit_on(api, clock, D(2026, 1, 11))
    assert motion["origin"] == "motion" and motion["origin_label"] == "议案转建议"
    for p in (motion, plain):
        await api.take_to("assigned", p["number"])
    assert (await api.get("/api/v1/stats", session=str(sessions[5]), origin="motion")).body["assigned"] == 1
    assert (await api.get("/api/v1/stats", session=str(sessions[5]))).body["assigned"] == 2
    refused = await api.post("/api/v1/proposals", {"lead_deputy": "D001", "title": "标题", "content": "内容",
                                                   "origin": "议案"})
    assert refused.status == 400 and refused.body["field"] == "origin"


async def test_an_interim_proposal_has_a_staff_deadline_to_be_assigned(api, clock, sessions):
    interim = await _submit_on(api, clock, D(2026, 3, 2))
    assert interim["assign_due"] == "2026-03-16"  # 10 working days from Monday 2 March
    in_session = await _submit_on(api, clock, D(2026, 1, 12))
    assert in_session["assign_due"] is None  # assigned at the 交办会
