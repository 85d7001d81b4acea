"""A proposal's whole life through the JSON API and the unit links (issue 2's acceptance)."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.support.api import CHINESE
from workflow.domain.definition import ACTIONS, REFERRAL_REASONS
from workflow.usecases.accounts import add_user


def _event(detail: dict, action: str) -> dict:
    found = [e for e in detail["events"] if e["action"] == action]
    assert found, f"no {action} event"
    return found[-1]


# ------------------------------------------------------------------ the main path
async def test_proposal_travels_from_submission_to_closed_with_a_b_reply_rated_twice(api):
    number = await api.submit()
    await api.ok(number, "accept", category="教育")
    detail = await api.ok(number, "assign", lead_units=["JYJ"], co_units=["JTJ"])
    assert detail["state"] == "assigned"
    assert {(a["unit"], a["role"], a["state"]) for a in detail["assignments"]} == {
        ("JYJ", "lead", "pending"), ("JTJ", "co", "pending")}
    lead, co = await api.link(number, "JYJ"), await api.link(number, "JTJ")

    await api.unit_ok(co, "sign")
    assert (await api.detail(number))["state"] == "assigned", "handling starts when every lead unit has signed"
    view = await api.unit_ok(lead, "sign")
    assert view["proposal"]["state"] == "handling"
    assert view["assignment"]["state"] == "signed"

    await api.unit_ok(lead, "log_contact", method="电话", summary="电话联系代表，约定现场查看。")
    await api.unit_ok(co, "submit_opinion", text="协办意见：建议由县财政统筹维修资金。")
    view = await api.reply(lead, "B", promise_date=api.promise_date(90))
    assert view["proposal"]["state"] == "replied"
    assert view["proposal"]["replies"][0]["category"] == "B"

    # Staff enter the deputy's paper form (征询意见表): the event names both who typed it and for whom.
    detail = await api.ok(number, "evaluate_reply", rating="satisfied")
    assert detail["state"] == "implementing"
    event = _event(detail, "evaluate_reply")
    assert event["actor"]["kind"] == "staff" and event["actor"]["id"] == "wang"
    assert event["on_behalf_of"] == {"kind": "deputy", "id": "D001"}
    assert detail["evaluations"][0]["entered_by"] == "wang"

    view = await api.unit_ok(lead, "report_progress", text="维修工程已招标，正在施工。", percent=60)
    assert view["assignment"]["progress"][0]["percent"] == 60
    refused = await api.act(number, "evaluate_implementation", rating="satisfied")
    assert refused.status == 409  # at 60% nobody asks the deputy to rate what was done yet
    await api.unit_ok(lead, "report_progress", text="维修工程已完工。", percent=100)
    detail = await api.ok(number, "evaluate_implementation", rating="satisfied")
    assert detail["state"] == "closed"
    assert detail["allowed_actions"] == []
    assert {e["kind"]: e["rating"] for e in detail["evaluations"]} == {"reply": "satisfied",
                                                                       "implementation": "satisfied"}
    assert [e["action"] for e in detail["events"]] == [
        "create", "submit", "accept", "assign", "sign", "sign", "log_contact", "submit_opinion", "reply",
        "evaluate_reply", "report_progress", "report_progress", "evaluate_implementation"]
    assert [e["seq"] for e in detail["events"]] == list(range(1, 14))
    assert {a["state"] for a in detail["assignments"]} == {"done"}


async def test_unsatisfied_reply_is_rehandled_and_a_second_unsatisfied_waits_for_staff_and_proposes_key(api):
    number = await api.take_to("replied", category="C")
    lead = await api.link(number, "JYJ")
    detail = await api.ok(number, "evaluate_reply", rating="unsatisfied", reason="答复敷衍，没有具体措施。")
    assert detail["state"] == "rehandling"
    assert detail["round"] == 2
    assert detail["key_proposed"] is False
    lead_assignment = next(a for a in detail["assignments"] if a["unit"] == "JYJ")
    assert lead_assignment["state"] == "rehandling"

    view = await api.reply(lead, "B", text="重新办理：已安排专项资金。")
    assert view["proposal"]["state"] == "replied"
    assert [r["round"] for r in view["proposal"]["replies"]] == [1, 2]
    detail = await api.ok(number, "evaluate_reply", rating="unsatisfied", reason="仍未落实。")
    assert detail["state"] == "deciding"  # re-handled once (the default limit): staff decide now
    assert detail["round"] == 2 and "decide" in detail["allowed_actions"]
    assert detail["key_proposed"] is True
    assert _event(detail, "evaluate_reply")["payload"]["key_proposed"] is True


async def test_a_reply_rated_on_both_questions_closes_the_proposal_and_neither_is_inferred(api):
    number = await api.take_to("replied", category="A")
    detail = await api.ok(number, "evaluate_reply", rating="basically_satisfied", implementation_rating="satisfied")
    assert detail["state"] == "closed"
    # A solved proposal's one form asks both questions; each answer is kept as given.
    assert sorted((e["kind"], e["rating"]) for e in detail["evaluations"]) == [
        ("implementation", "satisfied"), ("reply", "basically_satisfied")]


async def test_a_reply_rated_on_the_reply_only_waits_for_the_implementation_rating(api):
    number = await api.take_to("replied", category="A")
    detail = await api.ok(number, "evaluate_reply", rating="satisfied")
    assert detail["state"] == "implementing"
    assert [e["kind"] for e in detail["evaluations"]] == ["reply"]
    assert "evaluate_implementation" in detail["allowed_actions"]


# ------------------------------------------------------------------ side exits
async def test_refer_needs_a_reason_from_the_legal_list_and_ends_the_proposal(api):
    number = await api.submit()
    before = await api.events(number)
    answer = await api.act(number, "refer", reason="我不喜欢这条建议")
    assert answer.status == 400 and CHINESE.search(answer.message())
    assert await api.events(number) == before
    detail = await api.ok(number, "refer", reason=REFERRAL_REASONS[2], disposition="作代表来信处理",
                          note="属于信访事项，转信访局。")
    assert detail["state"] == "referred" and detail["disposition"] == "作代表来信处理"
    assert REFERRAL_REASONS[2] in detail["reason"]
    answer = await api.act(number, "accept", category="教育")
    assert answer.status == 409 and answer.body["allowed_actions"] == []


async def test_withdraw_is_open_before_assignment_only(api):
    number = await api.take_to("accepted")
    detail = await api.ok(number, "withdraw", reason="问题已在会前解决。", confirm=True)
    assert detail["state"] == "withdrawn"
    assert _event(detail, "withdraw")["on_behalf_of"] == {"kind": "deputy", "id": "D001"}

    assigned = await api.take_to("assigned")
    answer = await api.act(assigned, "withdraw")
    assert answer.status == 409
    assert "withdraw" not in answer.body["allowed_actions"]
    assert (await api.detail(assigned))["state"] == "assigned"


async def test_return_for_revision_requires_a_reason_and_sends_the_proposal_back_to_draft(api):
    number = await api.submit()
    before = await api.events(number)
    for body in ({}, {"reason": "   "}):
        answer = await api.act(number, "return_for_revision", **body)
        assert answer.status == 400, answer.body
        assert answer.body["error"] == "invalid_input" and CHINESE.search(answer.message())
    assert await api.events(number) == before
    detail = await api.ok(number, "return_for_revision", reason="请补充具体的校舍安全隐患情况。")
    assert detail["state"] == "draft"
    assert _event(detail, "return_for_revision")["payload"]["reason"] == "请补充具体的校舍安全隐患情况。"


# ------------------------------------------------------------------ refusals
async def test_disallowed_action_answers_409_with_the_allowed_actions(api):
    number = await api.submit()
    answer = await api.act(number, "assign", lead_units=["JYJ"])
    assert answer.status == 409
    assert answer.body["error"] == "not_allowed" and CHINESE.search(answer.message())
    assert {"accept", "refer", "return_for_revision"} <= set(answer.body["allowed_actions"])
    assert "assign" not in answer.body["allowed_actions"]

    unknown = await api.act(number, "approve_everything")
    assert unknown.status == 409 and "accept" in unknown.body["allowed_actions"]

    await api.take_to("assigned", number)
    lead = await api.link(number, "JYJ")
    answer = await api.unit_act(lead, "reply", category="A", text="已解决", signer="周局长")
    assert answer.status == 409
    assert answer.body["allowed_actions"] == ["sign", "request_adjustment"]
    co = await api.link(number, "JTJ")
    await api.unit_ok(co, "sign")
    answer = await api.unit_act(co, "reply", category="A", text="已解决", signer="吴局长")
    assert answer.status == 409, "a co-unit never replies"
    assert "reply" not in answer.body["allowed_actions"]


BAD_PARAMS = [
    ("submitted", "staff", "accept", {"category": "外星"}),
    ("submitted", "staff", "accept", {}),
    ("accepted", "staff", "assign", {"lead_units": ["NOPE"]}),
    ("accepted", "staff", "assign", {"lead_units": ["JYJ"], "due_date": "明年"}),
    ("accepted", "staff", "assign", {"lead_units": ["JYJ"], "co_units": ["JYJ"]}),
    ("handling", "lead", "log_contact", {"method": "面谈"}),
    ("handling", "lead", "log_contact", {"method": "面谈", "summary": "见面", "contacted_on": "2999-01-01"}),
    ("replied", "staff", "evaluate_reply", {"rating": "unsatisfied"}),
    ("replied", "staff", "evaluate_reply", {"rating": "很好"}),
    ("implementing", "lead", "report_progress", {"text": "进展", "percent": 150}),
    ("implementing", "lead", "report_progress", {"text": "进展", "percent": "一半"}),
]


@pytest.mark.parametrize("state,who,action,params", BAD_PARAMS)
async def test_bad_parameters_answer_400_in_chinese_and_change_nothing(api, state, who, action, params):
    number = await api.take_to(state)
    before = await api.detail(number)
    if who == "staff":
        answer = await api.act(number, action, **params)
    else:
        answer = await api.unit_act(await api.link(number, "JYJ"), action, **params)
    assert answer.status == 400, answer.body
    assert answer.body["error"] == "invalid_input"
    assert CHINESE.search(answer.message())
    after = await api.detail(number)
    assert len(after["events"]) == len(before["events"])
    assert (after["state"], after["assignments"], after["evaluations"]) == (
        before["state"], before["assignments"], before["evaluations"])


async def test_reply_b_without_a_promise_date_answers_400_and_changes_nothing(api):
    number = await api.take_to("handling")
    lead = await api.link(number, "JYJ")
    await api.unit_ok(lead, "log_contact", method="面谈", summary="当面沟通。")
    await api.unit_ok(await api.link(number, "JTJ"), "submit_opinion", text="同意。")
    before = await api.events(number)
    answer = await api.unit_act(lead, "reply", category="B", text="列入计划", signer="周局长")
    assert answer.status == 400 and "承诺" in answer.message()
    assert await api.events(number) == before
    assert (await api.detail(number))["replies"] == []


async def test_viewer_may_read_but_not_act(api, db):
    viewer = {"Authorization": f"Bearer {(await add_user(db, 'kan', 'viewer')).token}"}
    number = await api.submit()
    assert (await api.get(f"/api/v1/proposals/{number}", headers=viewer)).status == 200
    answer = await api.act(number, "accept", headers=viewer, category="教育")
    assert answer.status == 403 and CHINESE.search(answer.message())
    answer = await api.post("/api/v1/units", {"code": "X", "name": "某局"}, headers=viewer)
    assert answer.status == 403
    assert await api.events(number) == 2


async def test_only_those_who_may_act_see_unit_links(api, db):
    viewer = {"Authorization": f"Bearer {(await add_user(db, 'kan', 'viewer')).token}"}
    number = await api.take_to("assigned")
    seen = (await api.get(f"/api/v1/proposals/{number}", headers=viewer)).body["assignments"]
    assert seen and all("link" not in a for a in seen)
    assert all(a["link"].startswith("http") for a in (await api.detail(number))["assignments"])


async def test_requests_without_a_valid_token_answer_401(api):
    number = await api.submit()
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        assert (await api.get("/api/v1/proposals", headers=headers)).status == 401
        answer = await api.act(number, "accept", headers=headers, category="教育")
        assert answer.status == 401 and CHINESE.search(answer.message())
    assert (await api.detail(number))["state"] == "submitted"


async def test_a_body_that_is_not_a_json_object_answers_400(api, client, auth):
    number = await api.submit()
    for data in ("{not json", "[1, 2]"):
        response = await client.post(f"/api/v1/proposals/{number}/actions", data=data,
                                     headers={**auth, "Content-Type": "application/json"})
        assert response.status == 400
        assert CHINESE.search((await response.json())["message"])
    assert await api.events(number) == 2


async def test_unknown_proposal_answers_404(api):
    for number in ("2001-999", "not-a-number"):
        answer = await api.get(f"/api/v1/proposals/{number}")
        assert answer.status == 404 and CHINESE.search(answer.message())
        answer = await api.act(number, "accept", category="教育")
        assert answer.status == 404


# ------------------------------------------------------------------ unit link pages
async def test_html_form_post_on_a_unit_link_acts_and_redirects_with_303(api, client):
    number = await api.take_to("assigned")
    lead = await api.link(number, "JYJ")
    page = await client.get(lead)
    assert page.status == 200 and "签收" in await page.text()
    response = await client.post(lead, data={"action": "sign"}, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == f"{lead}?done=sign"
    page = await client.get(response.headers["Location"])
    assert "已完成：签收" in await page.text()
    assert next(a for a in (await api.detail(number))["assignments"] if a["unit"] == "JYJ")["state"] == "signed"


async def test_html_form_with_a_missing_field_answers_a_chinese_page_and_changes_nothing(api, client):
    number = await api.take_to("handling")
    lead = await api.link(number, "JYJ")
    before = await api.events(number)
    response = await client.post(lead, data={"action": "log_contact", "method": "面谈"}, allow_redirects=False)
    assert response.status == 400 and response.content_type == "text/html"
    assert "沟通情况" in await response.text()
    assert await api.events(number) == before


async def test_unit_link_get_with_accept_json_returns_the_assignment_and_its_proposal(api):
    number = await api.take_to("assigned")
    answer = await api.unit_view(await api.link(number, "JYJ"))
    assert answer.status == 200
    assert answer.body["assignment"]["unit"] == "JYJ" and answer.body["assignment"]["role"] == "lead"
    assert answer.body["proposal"]["number"] == number
    assert answer.body["proposal"]["allowed_actions"] == ["sign", "request_adjustment"]
    others = [a for a in answer.body["proposal"]["assignments"] if a["unit"] != "JYJ"]
    assert others and all("link" not in a for a in others), "a unit never sees another unit's link"


async def test_confidential_proposal_hides_the_deputy_name_from_a_co_unit(api, client):
    number = await api.take_to("assigned", confidential=True, co_signers=["D002"])
    co, lead = await api.link(number, "JTJ"), await api.link(number, "JYJ")
    for name in ("张三丰", "李四海"):
        assert name not in await (await client.get(co, headers={"Accept": "application/json"})).text()
        assert name not in await (await client.get(co)).text()
    assert (await api.unit_view(lead)).body["proposal"]["lead_deputy_name"] == "张三丰"
    co_view = (await api.unit_view(co)).body["proposal"]
    assert co_view["lead_deputy"] is None and "D001" not in str(co_view["events"])  # nor the deputy's number


async def test_a_signed_lead_unit_may_contact_the_deputy_before_the_other_lead_signs(api):
    number = await api.submit()
    await api.ok(number, "accept", category="教育")
    await api.ok(number, "assign", lead_units=["JYJ", "JTJ"])
    first = await api.link(number, "JYJ")
    await api.unit_ok(first, "sign")
    assert (await api.detail(number))["state"] == "assigned"  # the other lead unit has not signed
    answer = await api.unit_act(first, "log_contact", method="电话", summary="约定走访")
    assert answer.status == 200 and answer.body["proposal"]["state"] == "assigned"


async def test_openapi_describes_every_action(api, client):
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    document = await response.json()
    schemas = document["components"]["schemas"]
    for action in ACTIONS.values():
        schema = schemas[f"Action_{action.id}"]
        assert schema["properties"]["action"]["enum"] == [action.id]
        assert set(p.name for p in action.params) <= set(schema["properties"])
    one_of = document["paths"]["/api/v1/proposals/{number}/actions"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["oneOf"]
    assert {ref["$ref"].split("/Action_", 1)[1] for ref in one_of} == set(ACTIONS)


# ------------------------------------------------------------------ guards through HTTP
async def test_lead_unit_cannot_reply_before_a_contact_is_logged(api):
    number = await api.take_to("handling", co=None)
    lead = await api.link(number, "JYJ")
    before = await api.events(number)
    answer = await api.unit_act(lead, "reply", category="A", text="已解决", signer="周局长")
    assert answer.status == 409 and "沟通" in answer.message()
    assert "reply" not in answer.body["allowed_actions"] and "log_contact" in answer.body["allowed_actions"]
    assert await api.events(number) == before
    await api.unit_ok(lead, "log_contact", method="电话", summary="电话沟通。")
    view = await api.reply(lead, "A")
    assert view["proposal"]["state"] == "replied"


async def test_lead_unit_waits_for_the_co_unit_opinion_until_it_is_in_or_overdue(api, clock):
    number = await api.take_to("handling")
    lead = await api.link(number, "JYJ")
    await api.unit_ok(lead, "log_contact", method="电话", summary="电话沟通。")
    answer = await api.unit_act(lead, "reply", category="A", text="已解决", signer="周局长")
    assert answer.status == 409 and "协办" in answer.message()

    opinion_due = next(a for a in (await api.detail(number))["assignments"] if a["role"] == "co")["opinion_due"]
    clock.today = dt.date.fromisoformat(opinion_due)
    answer = await api.unit_act(lead, "reply", category="A", text="已解决", signer="周局长")
    assert answer.status == 409, "on the due day itself the co-unit still has time"
    clock.advance(1)
    view = await api.reply(lead, "A")
    assert view["proposal"]["state"] == "replied"


async def test_lead_unit_may_reply_once_the_co_unit_opinion_is_in(api):
    number = await api.take_to("handling")
    lead = await api.link(number, "JYJ")
    await api.unit_ok(lead, "log_contact", method="电话", summary="电话沟通。")
    await api.unit_ok(await api.link(number, "JTJ"), "submit_opinion", text="同意维修。")
    view = (await api.unit_view(lead)).body
    co = next(a for a in view["proposal"]["assignments"] if a["role"] == "co")
    assert [o["text"] for o in co["opinions"]] == ["同意维修。"], "the lead unit sees the co-unit's opinion"
    view = await api.reply(lead, "D")
    assert view["proposal"]["state"] == "replied"
