"""The 征询意见表 (issue 11, item 6b): 办理态度 and 办理结果 rated apart (or one rating, by setting), whether
and how the unit contacted the deputy, an opinion and the form's date; online on /f/<token>, printable
on A4, entered from paper by staff; the old short form of the API keeps working."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import update

from storage.models import Evaluation
from tests.support.console import post_form, signed_in
from tests.support.notify import STAFF, seed, unit_actor
from workflow.domain.links import make_feedback_token
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.errors import InvalidInput
from workflow.usecases.accounts import set_password
from workflow.usecases.audit import verify_all

DEPUTY = Actor("deputy", "D001", "代表0")


def link(settings, proposal_id, deputy="D001") -> str:
    return "/f/" + make_feedback_token(settings.server.secret_key, proposal_id, deputy, 30)


async def replied(engine: Engine, category: str = "B") -> tuple[str, int]:
    r = await engine.create_proposal(STAFF, "D001", "关于修缮村小学校舍的建议", "校舍漏雨。", submit=True)
    number = r.proposal.number
    await engine.perform(number, "accept", STAFF, {"category": "教育"})
    r = await engine.perform(number, "assign", STAFF, {"lead_units": ["JYJ"]})
    lead = unit_actor(r, "JYJ")
    await engine.perform(number, "sign", lead)
    await engine.perform(number, "log_contact", lead, {"method": "面谈", "summary": "到校当面沟通"})
    params = {"category": category, "text": "已列入今年维修计划。", "signer": "李局长"}
    if category == "B":
        params["promise_date"] = (engine.clock() + dt.timedelta(days=60)).isoformat()
    r = await engine.perform(number, "reply", lead, params)
    return number, r.proposal.id


async def detail(client, auth, number) -> dict:
    return await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()


def one_rating_settings(settings):
    return dataclasses.replace(settings, evaluation=dataclasses.replace(settings.evaluation, separate_attitude=False))


@pytest.fixture
async def one_rating(aiohttp_client, settings, db, clock):
    """An app whose evaluation.separate_attitude is off (provinces that rate the reply once)."""
    from run import build_app

    off = one_rating_settings(settings)
    return off, await aiohttp_client(build_app(off, Engine(db, off, clock=clock)))


# ------------------------------------------------------------------ the online form
async def test_the_online_form_asks_attitude_and_result_apart_and_records_every_answer(
        db, engine, settings, clock, client, auth):
    await seed(db)
    number, pid = await replied(engine)
    page = await (await client.get(link(settings, pid))).text()
    for name in ("attitude_JYJ", "rating_JYJ", "contacted_JYJ", "contact_method_JYJ", "opinion_JYJ", "form_date"):
        assert f'name="{name}"' in page, name
    assert "办理态度" in page and "办理结果" in page
    day = (clock() - dt.timedelta(days=2)).isoformat()
    r = await client.post(link(settings, pid), data={
        "attitude_JYJ": "satisfied", "rating_JYJ": "basically_satisfied", "contacted_JYJ": "true",
        "contact_method_JYJ": "面谈", "opinion_JYJ": "希望暑假前完工。", "form_date": day}, allow_redirects=False)
    assert r.status == 303, await r.text()
    body = await detail(client, auth, number)
    e = body["evaluations"][0]
    assert (e["attitude"], e["attitude_label"], e["rating"]) == ("satisfied", "满意", "basically_satisfied")
    assert (e["contacted"], e["contact_method"], e["opinion"], e["form_date"]) == (True, "面谈", "希望暑假前完工。", day)
    payload = body["events"][-1]["payload"]
    assert payload["attitude"] == "satisfied" and payload["form_date"] == day
    assert body["state"] == "implementing"
    assert (await verify_all(db)).problems == []  # the rows are what the event says


async def test_the_online_form_without_attitude_records_nothing_and_keeps_what_was_typed(
        db, engine, settings, client, auth):
    await seed(db)
    number, pid = await replied(engine)
    r = await client.post(link(settings, pid), data={
        "rating_JYJ": "satisfied", "contacted_JYJ": "true", "contact_method_JYJ": "电话",
        "opinion_JYJ": "态度一栏忘了填"})
    text = await r.text()
    assert r.status == 400 and "办理态度" in text
    assert "态度一栏忘了填" in text  # what was typed is shown again
    assert re.search(r'name="contact_method_JYJ" value="电话" checked', text)
    assert re.search(r'name="rating_JYJ" value="satisfied" checked', text)
    assert (await detail(client, auth, number))["evaluations"] == []


async def test_a_future_form_date_is_refused_in_chinese_on_the_page_and_through_the_api(
        db, engine, settings, clock, client, auth):
    await seed(db)
    number, pid = await replied(engine)
    tomorrow = (clock() + dt.timedelta(days=1)).isoformat()
    r = await client.post(link(settings, pid), json={"attitude": "satisfied", "rating": "satisfied",
                                                      "form_date": tomorrow})
    assert r.status == 400 and "填表日期" in (await r.json())["message"]
    r = await client.post(f"/api/v1/proposals/{number}/actions", headers=auth, json={
        "action": "evaluate_reply", "attitude": "satisfied", "rating": "satisfied", "form_date": tomorrow})
    body = await r.json()
    assert r.status == 400 and body["field"] == "form_date" and "晚于今天" in body["message"]
    assert (await detail(client, auth, number))["evaluations"] == []


# ------------------------------------------------------------------ the engine's rules
async def test_a_form_without_attitude_is_refused_naming_attitude_while_the_short_form_still_works(
        db, engine, settings, client, auth):
    await seed(db)
    number, _ = await replied(engine)
    r = await client.post(f"/api/v1/proposals/{number}/actions", headers=auth, json={
        "action": "evaluate_reply", "on_behalf_of": "D001", "rating": "satisfied", "opinion": "很好"})
    body = await r.json()
    assert r.status == 400 and body["field"] == "attitude" and "办理态度" in body["message"]
    # The contract's form (DESIGN.md section 4): a rating and a reason, no attitude recorded.
    r = await client.post(f"/api/v1/proposals/{number}/actions", headers=auth,
                          json={"action": "evaluate_reply", "rating": "satisfied"})
    assert r.status == 200
    e = (await detail(client, auth, number))["evaluations"][0]
    assert e["attitude"] is None and e["contacted"] is None and e["form_date"] is not None


async def test_a_contact_method_outside_the_list_or_missing_after_contacted_is_refused(db, engine):
    await seed(db)
    number, _ = await replied(engine)
    base = {"attitude": "satisfied", "rating": "satisfied"}
    with pytest.raises(InvalidInput) as refused:
        await engine.perform(number, "evaluate_reply", DEPUTY, {**base, "contacted": True, "contact_method": "飞鸽传书"})
    assert refused.value.details["field"] == "contact_method" and "面谈" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        await engine.perform(number, "evaluate_reply", DEPUTY, {**base, "contacted": True})
    assert refused.value.details["field"] == "contact_method" and "联系的方式" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        await engine.perform(number, "evaluate_reply", DEPUTY, {**base, "contacted": False, "contact_method": "电话"})
    assert refused.value.details["field"] == "contact_method"
    r = await engine.perform(number, "evaluate_reply", DEPUTY, {**base, "contact_method": "电话"})
    e = r.proposal.evaluations[-1]
    assert (e.contacted, e.contact_method) == (True, "电话")  # a way of contact says the unit made contact


async def test_an_edited_attitude_is_found_by_the_audit(db, engine):
    await seed(db)
    number, pid = await replied(engine)
    await engine.perform(number, "evaluate_reply", DEPUTY, {"attitude": "unsatisfied", "rating": "satisfied",
                                                            "opinion": "答复很快，但没有来现场。"})
    async with db.write() as session:
        async with session.begin():
            await session.execute(update(Evaluation).where(Evaluation.proposal_id == pid).values(attitude="satisfied"))
    problems = [str(p) for p in (await verify_all(db)).problems]
    assert any("办理态度" in p for p in problems), problems


# ------------------------------------------------------------------ one rating (separate_attitude off)
async def test_with_one_rating_the_page_asks_one_question_and_an_attitude_is_not_recorded(
        db, settings, clock, one_rating, auth):
    off, client = one_rating
    await seed(db)
    engine = Engine(db, off, clock=clock)
    number, pid = await replied(engine)
    page = await (await client.get(link(off, pid))).text()
    assert 'name="rating_JYJ"' in page and 'name="attitude_JYJ"' not in page and "办理态度" not in page
    assert 'name="opinion_JYJ"' in page and 'name="contacted_JYJ"' in page
    # A method tapped before 没有联系 (a radio cannot be untapped) is not kept.
    r = await client.post(link(off, pid), data={"rating_JYJ": "satisfied", "contact_method_JYJ": "电话",
                                                "contacted_JYJ": "false", "opinion_JYJ": "无"}, allow_redirects=False)
    assert r.status == 303, await r.text()
    e = (await detail(client, auth, number))["evaluations"][0]
    assert (e["rating"], e["attitude"], e["contacted"], e["contact_method"], e["opinion"]) == (
        "satisfied", None, False, None, "无")
    number2, _ = await replied(engine)
    r = await engine.perform(number2, "evaluate_reply", DEPUTY, {"attitude": "unsatisfied", "rating": "satisfied",
                                                                  "opinion": "态度被忽略"})
    assert r.proposal.evaluations[-1].attitude is None and r.event.payload["attitude"] is None
    sheet = await (await client.get(link(off, pid) + "/form")).text()
    assert "对答复的评价" in sheet and "办理态度" not in sheet
    assert (await verify_all(db)).problems == []


# ------------------------------------------------------------------ the printable form
async def test_the_printable_form_has_every_field_blank_then_filled_as_rated(db, engine, settings, clock, client,
                                                                             staff, auth):
    await seed(db)
    number, pid = await replied(engine)
    blank = await client.get(link(settings, pid) + "/form")
    text = await blank.text()
    assert blank.status == 200 and "代表建议办理情况征询意见表" in text and "@media print" in text
    for shown in (number, "关于修缮村小学校舍的建议", "单位JYJ", "B 类：正在解决或列入计划", clock().isoformat(),
                  "办理态度", "办理结果", "□满意", "□基本满意", "□不满意", "承办单位是否与您联系", "□面谈",
                  "意见和建议", "代表签名", "填表日期"):
        assert shown in text, shown
    assert "☑" not in text
    day = (clock() - dt.timedelta(days=1)).isoformat()
    await engine.perform(number, "evaluate_reply", DEPUTY, {
        "attitude": "satisfied", "rating": "basically_satisfied", "contacted": True, "contact_method": "电话",
        "opinion": "请把维修时间告诉家长。", "form_date": day})
    filled = await (await client.get(link(settings, pid) + "/form")).text()
    assert "☑满意" in filled and "☑基本满意" in filled and "☑是" in filled and "☑电话" in filled
    assert "请把维修时间告诉家长。" in filled and day in filled
    console = await staff.get(f"/console/proposals/{number}/opinion-form")
    assert console.status == 200 and "☑基本满意" in await console.text()
    assert "/opinion-form" in await (await staff.get(f"/console/proposals/{number}")).text()


# ------------------------------------------------------------------ staff enter the paper form
async def test_staff_enter_the_paper_form_with_every_field_and_are_recorded_as_entering_it(
        db, engine, settings, clock, staff, auth):
    await seed(db)
    number, _ = await replied(engine)
    page = f"/console/proposals/{number}"
    text = await (await staff.get(page)).text()
    for name in ("attitude", "contacted", "contact_method", "opinion", "form_date"):
        assert f'id="evaluate_reply-{name}"' in text, name
    day = (clock() - dt.timedelta(days=3)).isoformat()
    form = {"action": "evaluate_reply", "on_behalf_of": "D001", "attitude": "", "rating": "satisfied",
            "contacted": "true", "contact_method": "座谈会", "opinion": "纸质表上的意见", "form_date": day}
    refused = await post_form(staff, f"{page}/actions", form, token_from=page)
    assert refused.status == 400 and "办理态度" in await refused.text() and "纸质表上的意见" in await refused.text()
    done = await post_form(staff, f"{page}/actions", {**form, "attitude": "basically_satisfied"}, token_from=page)
    assert done.status == 303, await done.text()
    body = await detail(staff, auth, number)
    e = body["evaluations"][0]
    assert e["entered_by"] == "wang"
    assert (e["attitude"], e["contacted"], e["contact_method"], e["opinion"], e["form_date"]) == (
        "basically_satisfied", True, "座谈会", "纸质表上的意见", day)
    shown = await (await staff.get(page)).text()
    assert "办理态度基本满意" in shown and "座谈会" in shown and "纸质表上的意见" in shown


async def test_with_one_rating_the_console_form_has_no_attitude_field(db, settings, clock, one_rating, staff_token):
    off, client = one_rating
    await seed(db)
    number, _ = await replied(Engine(db, off, clock=clock))
    await set_password(db, "wang", "correct-horse-9")
    await signed_in(client, "wang", "correct-horse-9")
    text = await (await client.get(f"/console/proposals/{number}")).text()
    assert 'id="evaluate_reply-rating"' in text and 'id="evaluate_reply-attitude"' not in text
    assert "对答复的评价" in text


# ------------------------------------------------------------------ the bot's one word
async def test_the_bots_one_word_rates_attitude_and_result_alike(aiohttp_client, db, engine, settings, auth):
    from tests.support.bot import bind, bot_client

    await seed(db)
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine)
    await bind(client, auth, wechat, "o_d1", "D001")
    number, _ = await replied(engine)
    answer = (await wechat.text("o_d1", f"评价 {number} 基本满意")).text
    assert "已记录" in answer
    e = (await detail(client, auth, number))["evaluations"][0]
    assert (e["attitude"], e["rating"]) == ("basically_satisfied", "basically_satisfied")
