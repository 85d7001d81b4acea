"""The two-stage evaluation (issue 10, items 1-7): each lead unit rated apart, A asks both questions,
re-handling stops at the configured limit, an implementation 不满意 reopens follow-up, second answers,
promise dates, and the rating window with 未反馈."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.support.notify import STAFF, seed, unit_actor
from workflow.domain.links import make_feedback_token
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.errors import InvalidInput, NotAllowed
from workflow.usecases.rating_windows import act_on_passed_windows

DEPUTY = Actor("deputy", "D001", "代表0")


def link(settings, proposal_id, deputy="D001") -> str:
    return "/f/" + make_feedback_token(settings.server.secret_key, proposal_id, deputy, 30)


async def assigned(engine: Engine, leads=("JYJ",)) -> tuple[str, dict]:
    r = await engine.create_proposal(STAFF, "D001", "关于修缮村小学校舍的建议", "校舍漏雨。", submit=True)
    number = r.proposal.number
    await engine.perform(number, "accept", STAFF, {"category": "教育"})
    r = await engine.perform(number, "assign", STAFF, {"lead_units": list(leads)})
    units = {code: unit_actor(r, code) for code in leads}
    for unit in units.values():
        await engine.perform(number, "sign", unit)
        await engine.perform(number, "log_contact", unit, {"method": "面谈", "summary": "已当面沟通"})
    return number, units


async def reply(engine: Engine, number: str, unit: Actor, category: str, promise_days: int | None = None):
    params = {"category": category, "text": f"{category} 类答复", "signer": "李局长"}
    if promise_days is not None:
        params["promise_date"] = (engine.clock() + dt.timedelta(days=promise_days)).isoformat()
    return await engine.perform(number, "reply", unit, params)


async def detail(client, auth, number) -> dict:
    return await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()


# ------------------------------------------------------------------ 1, 2: 分办
async def test_fenban_page_shows_each_lead_units_reply_and_takes_a_rating_for_each(db, engine, settings, client,
                                                                                  auth):
    await seed(db)
    number, units = await assigned(engine, ("JYJ", "CZJ"))
    await reply(engine, number, units["JYJ"], "D")
    r = await reply(engine, number, units["CZJ"], "D")
    pid = r.proposal.id
    page = await (await client.get(link(settings, pid))).text()
    assert "单位JYJ" in page and "单位CZJ" in page and 'name="rating_JYJ"' in page and 'name="rating_CZJ"' in page
    posted = await client.post(link(settings, pid), data={
        "attitude_JYJ": "satisfied", "rating_JYJ": "unsatisfied", "reason_JYJ": "没有解决",
        "attitude_CZJ": "satisfied", "rating_CZJ": "satisfied"}, allow_redirects=False)
    assert posted.status == 303
    body = await detail(client, auth, number)
    assert body["state"] == "rehandling"
    assert {(e["unit"], e["rating"]) for e in body["evaluations"]} == {("JYJ", "unsatisfied"), ("CZJ", "satisfied")}
    assert body["unsatisfied_count"] == 1


async def test_fenban_form_with_a_bad_rating_records_nothing_and_shows_the_message(db, engine, settings, client,
                                                                                  auth):
    await seed(db)
    number, units = await assigned(engine, ("JYJ", "CZJ"))
    await reply(engine, number, units["JYJ"], "D")
    r = await reply(engine, number, units["CZJ"], "D")
    posted = await client.post(link(settings, r.proposal.id), data={"rating_JYJ": "satisfied",
                                                                    "attitude_JYJ": "satisfied",
                                                                    "rating_CZJ": "unsatisfied"})
    assert posted.status == 400 and "理由" in await posted.text() and 'name="rating_CZJ"' in await posted.text()
    assert (await detail(client, auth, number))["evaluations"] == []


async def test_unsatisfied_count_counts_rounds_per_unit_not_summed_across_fenban_units(db, engine, settings):
    await seed(db)
    number, units = await assigned(engine, ("JYJ", "CZJ"))
    await reply(engine, number, units["JYJ"], "D")
    await reply(engine, number, units["CZJ"], "D")
    await engine.perform(number, "evaluate_reply", DEPUTY, {"unit": "JYJ", "rating": "unsatisfied", "reason": "差"})
    r = await engine.perform(number, "evaluate_reply", DEPUTY, {"unit": "CZJ", "rating": "unsatisfied",
                                                                 "reason": "差"})
    assert r.to_state == "rehandling" and r.proposal.unsatisfied_count == 1
    assert not r.proposal.key_proposed  # one round of 不满意, though two units


# ------------------------------------------------------------------ 3: an A reply asks both questions
async def test_a_reply_rated_on_the_reply_only_records_no_implementation_rating(db, engine, settings, client, auth):
    await seed(db)
    number, units = await assigned(engine)
    r = await reply(engine, number, units["JYJ"], "A")
    page = await (await client.get(link(settings, r.proposal.id))).text()
    assert "您对答复满意吗" in page and "您对落实情况满意吗" in page  # both asked, explicitly
    await client.post(link(settings, r.proposal.id), data={"attitude_JYJ": "satisfied", "rating_JYJ": "satisfied"})
    body = await detail(client, auth, number)
    assert [e["kind"] for e in body["evaluations"]] == ["reply"]
    assert body["state"] == "implementing"  # waits for the implementation rating, never inferred
    page = await (await client.get(link(settings, r.proposal.id))).text()
    assert "您对落实情况满意吗" in page
    await client.post(link(settings, r.proposal.id), data={"rating_JYJ": "basically_satisfied"})
    body = await detail(client, auth, number)
    assert [(e["kind"], e["rating"]) for e in body["evaluations"]] == [
        ("reply", "satisfied"), ("implementation", "basically_satisfied")]
    assert body["state"] == "closed"


async def test_a_reply_both_questions_answered_at_once_keep_their_own_answers(db, engine, settings, client, auth):
    await seed(db)
    number, units = await assigned(engine)
    r = await reply(engine, number, units["JYJ"], "A")
    await client.post(link(settings, r.proposal.id), data={
        "attitude_JYJ": "satisfied", "rating_JYJ": "satisfied", "implementation_rating_JYJ": "basically_satisfied"})
    body = await detail(client, auth, number)
    assert [(e["kind"], e["rating"]) for e in body["evaluations"]] == [
        ("reply", "satisfied"), ("implementation", "basically_satisfied")]
    assert body["state"] == "closed"


# ------------------------------------------------------------------ 4: re-handling stops at the limit
async def test_a_further_unsatisfied_after_one_rehandling_waits_for_staff_to_decide(db, engine, settings):
    await seed(db)
    number, units = await assigned(engine)
    await reply(engine, number, units["JYJ"], "D")
    r = await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "unsatisfied", "reason": "没解决"})
    assert r.to_state == "rehandling" and r.proposal.round == 2
    await reply(engine, number, units["JYJ"], "D")
    r = await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "unsatisfied", "reason": "仍没解决"})
    assert r.to_state == "deciding" and r.proposal.round == 2  # no third round opened
    assert "decide" in engine.allowed_actions(r.proposal, STAFF)
    with pytest.raises(InvalidInput):  # key supervision names its leading official
        await engine.perform(number, "decide", STAFF, {"decision": "key_supervision", "text": "列为重点督办"})
    r = await engine.perform(number, "decide", STAFF, {"decision": "key_supervision", "text": "列为重点督办",
                                                       "leader": "刘副主任"})
    assert r.to_state == "rehandling" and r.proposal.key_supervision and r.proposal.round == 3
    await reply(engine, number, units["JYJ"], "D")
    r = await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "unsatisfied", "reason": "还是不行"})
    assert r.to_state == "deciding"
    r = await engine.perform(number, "decide", STAFF, {"decision": "close", "text": "已尽力，作出说明后办结"})
    assert r.to_state == "closed" and r.proposal.state_reason == "已尽力，作出说明后办结"


async def test_the_rehandle_limit_is_a_setting(db, settings, clock):
    await seed(db)
    engine = Engine(db, dataclasses.replace(settings, workflow=dataclasses.replace(settings.workflow,
                                                                                   rehandle_limit=2)), clock=clock)
    number, units = await assigned(engine)
    for expected in ("rehandling", "rehandling", "deciding"):
        await reply(engine, number, units["JYJ"], "D")
        r = await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "unsatisfied", "reason": "不行"})
        assert r.to_state == expected


# ------------------------------------------------------------------ 5, 6: follow-up while 落实中
async def test_b_implementation_is_rated_only_once_reported_done_not_right_after_the_reply(db, engine, settings):
    await seed(db)
    number, units = await assigned(engine)
    await reply(engine, number, units["JYJ"], "B", promise_days=60)
    r = await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "satisfied"})
    assert r.to_state == "implementing"
    await engine.perform(number, "report_progress", units["JYJ"], {"text": "已完成六成", "percent": 60})
    with pytest.raises(NotAllowed, match="尚未报告落实完成"):
        await engine.perform(number, "evaluate_implementation", DEPUTY, {"rating": "satisfied"})
    r = await engine.perform(number, "report_progress", units["JYJ"], {"text": "已全部完成", "percent": 100})
    assert [o.kind for o in (await _outbox(db, r.event.id))].count("implementation_rating_requested") == 1
    r = await engine.perform(number, "evaluate_implementation", DEPUTY, {"rating": "satisfied"})
    assert r.to_state == "closed"


async def test_implementation_unsatisfied_reopens_follow_up_and_a_second_answer_b_to_a(db, engine, settings, client,
                                                                                      auth):
    await seed(db)
    number, units = await assigned(engine)
    await reply(engine, number, units["JYJ"], "B", promise_days=60)
    await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "satisfied"})
    await engine.perform(number, "report_progress", units["JYJ"], {"text": "完成", "percent": 100})
    r = await engine.perform(number, "evaluate_implementation", DEPUTY, {"rating": "unsatisfied", "reason": "没修好"})
    assert r.to_state == "implementing"
    lead = next(a for a in r.proposal.assignments if a.unit.code == "JYJ")
    assert lead.state == "implementing" and lead.followup_due is not None and lead.rating_opened_on is None
    with pytest.raises(NotAllowed):  # nothing to rate until the unit answers again
        await engine.perform(number, "evaluate_implementation", DEPUTY, {"rating": "satisfied"})
    r = await engine.perform(number, "answer_again", units["JYJ"], {"category": "A", "text": "已重新修缮完毕",
                                                                     "signer": "李局长"})
    body = await detail(client, auth, number)
    assert [(x["kind"], x["category"]) for x in body["replies"]] == [("answer", "B"), ("second", "A")]
    r = await engine.perform(number, "evaluate_implementation", DEPUTY, {"rating": "satisfied"})
    assert r.to_state == "closed"
    body = await detail(client, auth, number)
    assert [(e["kind"], e["rating"]) for e in body["evaluations"]] == [
        ("reply", "satisfied"), ("implementation", "unsatisfied"), ("implementation", "satisfied")]


async def test_c_reply_needs_no_promise_date_and_b_does(db, engine, settings):
    await seed(db)
    number, units = await assigned(engine)
    with pytest.raises(InvalidInput, match="B 类"):
        await reply(engine, number, units["JYJ"], "B")
    r = await reply(engine, number, units["JYJ"], "C")
    assert r.to_state == "replied"


async def test_a_passed_promise_date_asks_the_deputy_to_rate_implementation(db, engine, settings, clock):
    await seed(db)
    number, units = await assigned(engine)
    await reply(engine, number, units["JYJ"], "B", promise_days=30)
    await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "satisfied"})
    assert await act_on_passed_windows(db, settings, clock) == 0
    clock.today += dt.timedelta(days=31)
    assert await act_on_passed_windows(db, settings, clock) == 1
    r = await engine.perform(number, "evaluate_implementation", DEPUTY, {"rating": "basically_satisfied"})
    assert r.to_state == "closed"


# ------------------------------------------------------------------ 7: the rating window and 未反馈
async def test_the_rating_window_closes_with_no_feedback_and_late_ratings_are_refused(db, engine, settings, clock,
                                                                                     client, auth):
    await seed(db)
    number, units = await assigned(engine)
    await reply(engine, number, units["JYJ"], "A")
    clock.today += dt.timedelta(days=40)  # past 15 working days from the reply's date
    with pytest.raises(NotAllowed, match="未反馈"):
        await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "satisfied"})
    assert await act_on_passed_windows(db, settings, clock) == 1
    body = await detail(client, auth, number)
    assert body["state"] == "closed"
    assert [(e["kind"], e["rating"]) for e in body["evaluations"]] == [
        ("reply", "no_feedback"), ("implementation", "no_feedback")]
    assert body["events"][-1]["action"] == "lapse_rating"
    assert await act_on_passed_windows(db, settings, clock) == 0  # once


async def test_audit_verify_accepts_the_new_evaluation_events(db, engine, settings, clock):
    from workflow.usecases.audit import verify_all

    await seed(db)
    number, units = await assigned(engine, ("JYJ", "CZJ"))
    await reply(engine, number, units["JYJ"], "A")
    await reply(engine, number, units["CZJ"], "B", promise_days=20)
    await engine.perform(number, "evaluate_reply", DEPUTY, {"unit": "JYJ", "rating": "satisfied",
                                                            "implementation_rating": "satisfied"})
    await engine.perform(number, "evaluate_reply", DEPUTY, {"unit": "CZJ", "rating": "basically_satisfied"})
    await engine.perform(number, "answer_again", units["CZJ"], {"category": "A", "text": "已解决", "signer": "王局长"})
    clock.today += dt.timedelta(days=60)
    assert await act_on_passed_windows(db, settings, clock) == 1  # the implementation window lapsed
    problems, checked = await verify_all(db)
    assert problems == [] and checked >= 1


async def _outbox(db, event_id):
    from sqlalchemy import select

    from storage.models import OutboxMessage

    async with db.read() as session:
        return list((await session.execute(select(OutboxMessage).where(OutboxMessage.event_id == event_id))).scalars())


async def test_bot_rating_of_a_fenban_proposal_names_each_unit_and_an_a_reply_asks_for_implementation(
        aiohttp_client, db, engine, settings, auth):
    from tests.support.bot import bind, bot_client

    await seed(db)
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine)
    await bind(client, auth, wechat, "o_d1", "D001")
    number, units = await assigned(engine, ("JYJ", "CZJ"))
    await reply(engine, number, units["JYJ"], "A")
    await reply(engine, number, units["CZJ"], "D")
    answer = (await wechat.text("o_d1", f"评价 {number} 满意")).text
    assert f"评价 {number} JYJ 满意" in answer and f"评价 {number} CZJ 满意" in answer  # which unit, asked back
    answer = (await wechat.text("o_d1", f"评价 {number} JYJ 满意")).text
    assert "已记录" in answer
    answer = (await wechat.text("o_d1", f"评价 {number} CZJ 基本满意")).text
    assert "落实中" in answer and "请再评价落实情况" in answer  # JYJ's A reply: what was done is asked apart
    answer = (await wechat.text("o_d1", f"评价 {number} 满意")).text
    assert "落实情况" in answer and "办结" in answer


async def test_a_promise_date_raises_a_yellow_card_before_it_and_a_red_card_after_it(db, engine, settings, clock):
    from sqlalchemy import select

    from storage.models import ReminderSent
    from workflow.usecases.reminders import issue_reminders

    await seed(db)
    number, units = await assigned(engine)
    await reply(engine, number, units["JYJ"], "B", promise_days=30)
    await engine.perform(number, "evaluate_reply", DEPUTY, {"rating": "satisfied"})
    promise = clock.today + dt.timedelta(days=30)
    clock.today = promise - dt.timedelta(days=1)
    await issue_reminders(db, settings, clock())
    clock.today = promise + dt.timedelta(days=1)
    await act_on_passed_windows(db, settings, clock)  # the deputy is asked to rate what was done
    await issue_reminders(db, settings, clock())
    async with db.read() as session:
        cards = {(r.deadline, r.card) for r in (await session.execute(select(ReminderSent))).scalars()}
    assert {("promise", "yellow"), ("promise", "red")} <= cards


async def test_a_co_signer_who_confirms_after_the_reply_is_sent_the_replies_so_far(db, engine, settings):
    await seed(db)
    r = await engine.create_proposal(DEPUTY, "D001", "关于修缮村小学校舍的建议", "校舍漏雨。", co_signers=["D002"],
                                     submit=True)
    number = r.proposal.number
    await engine.perform(number, "accept", STAFF, {"category": "教育"})
    r = await engine.perform(number, "assign", STAFF, {"lead_units": ["JYJ"]})
    unit = unit_actor(r, "JYJ")
    await engine.perform(number, "sign", unit)
    await engine.perform(number, "log_contact", unit, {"method": "面谈", "summary": "已当面沟通"})
    await reply(engine, number, unit, "D")
    r = await engine.perform(number, "confirm_cosign", Actor("deputy", "D002", "代表1"))
    sent = [(o.kind, o.recipient_id) for o in await _outbox(db, r.event.id)]
    assert ("replies_so_far", "D002") in sent and ("cosign_confirmed", "D001") in sent
