"""The conversation, always through /wechat: the one-message forms of the contract, the guided drafting
(names asked back, photos kept, drafts kept across days, abandoned only on request) and the words
that follow a proposal; the workflow's refusals come back as its own messages."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.support.bot import add_deputy, add_unit, bind, bot_client, converse, counts
from tests.support.wechat_protocol import message_xml

FORM = "提建议\n标题：关于在城关镇增设公交站的建议\n内容：城关镇东区居民出行不便，\n建议增设两个公交站。\n类别：城建"


@pytest.fixture
async def chat(aiohttp_client, settings, engine, auth):
    """A plain-mode bot with deputies 张三 (D001, bound as o_zhang), 李四 (D002, bound as o_li) and two 王伟."""
    client, wechat, hook = await bot_client(aiohttp_client, settings, engine)
    for number, name, delegation in [("D001", "张三", "城关镇"), ("D002", "李四", "西渡镇"),
                                     ("D003", "王伟", "城关镇"), ("D004", "王伟", "演陂镇")]:
        await add_deputy(client, auth, number, name, delegation)
    await bind(client, auth, wechat, "o_zhang", "D001")
    await bind(client, auth, wechat, "o_li", "D002")
    return client, wechat


async def _submit_form(wechat, openid="o_zhang", form=FORM) -> str:
    created = await wechat.text(openid, form)
    assert "草稿已保存" in created.text, created.text
    done = await wechat.text(openid, "确认提交")
    return done.text.split("编号 ", 1)[1].split("。", 1)[0]


# ---------------------------------------------------------------- the one-message forms (contract)
async def test_one_message_form_creates_a_draft_answers_a_summary_and_how_to_confirm(chat, auth, db):
    client, wechat = chat
    created = await wechat.text("o_zhang", FORM + "\n联名：李四")
    assert "标题：关于在城关镇增设公交站的建议" in created.text and "类别：城建" in created.text
    assert "李四（待确认）" in created.text and "回复“确认提交”" in created.text
    done = await wechat.text("o_zhang", "确认提交")
    number = done.text.split("编号 ", 1)[1].split("。", 1)[0]
    detail = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    assert detail["content"] == "城关镇东区居民出行不便，\n建议增设两个公交站。"
    assert (detail["state"], detail["category"], detail["lead_deputy"]) == ("submitted", "城建", "D001")


async def test_one_message_form_without_content_explains_the_form_and_creates_nothing(chat, db):
    _, wechat = chat
    before = await counts(db)
    reply = await wechat.text("o_zhang", "提建议\n标题：只有标题")
    assert "至少写明标题和内容" in reply.text and "标题：" in reply.text
    assert (await counts(db))["proposals"] == before["proposals"]


async def test_one_message_form_with_an_unknown_category_lists_the_categories(chat, db):
    _, wechat = chat
    reply = await wechat.text("o_zhang", FORM.replace("类别：城建", "类别：交通"))
    assert "没有这个类别" in reply.text and "2 城建" in reply.text
    assert (await counts(db))["proposals"] == 0


# ---------------------------------------------------------------- guided drafting
async def test_an_ambiguous_co_signer_name_is_asked_back(chat, auth, db):
    client, wechat = chat
    await converse(wechat, "o_zhang", [("提建议", "第 1 步"), ("修路", "第 2 步"), ("东门路坑洼", "第 3 步"),
                                       ("跳过", "第 4 步")])
    asked = await wechat.text("o_zhang", "王伟、张三")
    assert "名叫“王伟”的代表有 2 位" in asked.text and "D004，演陂镇" in asked.text
    assert "不用填写您本人" in asked.text
    created = await wechat.text("o_zhang", "2")
    assert "王伟（待确认）" in created.text and "类别：待工作人员确定" in created.text
    ref = created.text.split("草稿 ", 1)[1].split("（", 1)[0]
    detail = await (await client.get(f"/api/v1/proposals/{ref}", headers=auth)).json()
    assert [c["number"] for c in detail["co_signers"]] == ["D004"]


async def test_an_unknown_co_signer_is_asked_again_and_a_deputy_number_works(chat):
    _, wechat = chat
    await converse(wechat, "o_zhang", [
        ("提建议", "第 1 步"), ("修路", "第 2 步"), ("东门路坑洼", "第 3 步"), ("城建", "第 4 步"),
        ("赵六", "没有找到“赵六”"),
        ("D002", "李四（待确认）"),
    ])


async def test_a_wrong_category_is_asked_again(chat):
    _, wechat = chat
    await converse(wechat, "o_zhang", [("提建议", "第 1 步"), ("修路", "第 2 步"), ("东门路坑洼", "第 3 步"),
                                       ("99", "没有这个类别"), ("2", "第 4 步")])


async def test_photos_sent_while_drafting_are_kept_as_evidence(chat, db):
    _, wechat = chat
    outside = await wechat.image("o_zhang", "https://mmbiz.qpic.cn/a.jpg", "M_a")
    assert "先发送“提建议”" in outside.text
    await converse(wechat, "o_zhang", [("提建议", "第 1 步"), ("修路", "第 2 步")])
    kept = await wechat.image("o_zhang", "https://mmbiz.qpic.cn/b.jpg", "M_b")
    assert "共 1 张" in kept.text and "第 2 步" in kept.text
    await converse(wechat, "o_zhang", [("东门路坑洼", "第 3 步"), ("2", "第 4 步"), ("无", "佐证照片：1 张")])
    saved = await wechat.image("o_zhang", "https://mmbiz.qpic.cn/c.jpg", "M_c")
    assert "共 2 张" in saved.text
    assert (await counts(db))["proposal_attachments"] == 2


async def test_a_draft_survives_a_restart_and_a_day_away(aiohttp_client, settings, engine, chat, clock):
    _, wechat = chat
    await converse(wechat, "o_zhang", [("提建议", "第 1 步"), ("修路", "第 2 步")])
    clock.advance(1)
    _, fresh, _ = await bot_client(aiohttp_client, settings, engine)  # a new process: nothing in memory
    await converse(fresh, "o_zhang", [
        ("继续", "第 2 步"),
        ("东门路坑洼，雨天积水。", "第 3 步"), ("2", "第 4 步"), ("无", "草稿已保存"),
    ])
    clock.advance(1)
    _, later, _ = await bot_client(aiohttp_client, settings, engine)
    await converse(later, "o_zhang", [("查看", "标题：修路"), ("确认提交", "已提交，编号")])


async def test_a_draft_is_abandoned_only_on_request_and_can_be_found_again(chat):
    _, wechat = chat
    await wechat.text("o_zhang", FORM)
    await converse(wechat, "o_zhang", [
        ("放弃", "确定放弃草稿 d1"),
        ("不，接着写", "没有放弃"),
        ("放弃", "确定放弃"),
        ("确定", "仍保存在“我的建议”中"),
        ("确认提交", "d1《关于在城关镇增设公交站的建议》"),  # put aside, not lost; but not submitted before it is picked up again
        ("继续 d1", "标题：关于在城关镇增设公交站的建议"),
        ("确认提交", "已提交，编号"),
    ])


async def test_asking_to_propose_with_an_unfinished_draft_offers_to_continue_or_start_anew(chat, db):
    _, wechat = chat
    await converse(wechat, "o_zhang", [
        ("提建议", "第 1 步"), ("修路", "第 2 步"),
        ("提建议", "未完成的草稿《修路》"),
        ("继续", "第 2 步"),
        ("提建议", "未完成的草稿"),
        ("新建", "第 1 步"),
    ])
    assert (await counts(db))["proposals"] == 0


async def test_a_revision_while_consulting_is_refused_by_the_workflow(chat):
    _, wechat = chat
    await wechat.text("o_zhang", FORM)
    await converse(wechat, "o_zhang", [
        ("申请沟通", "沟通的问题"), ("无", "征求意见"),
        ("修改标题 新标题", "不能“修改草稿”"),
        ("确认提交", "已提交"),  # submitting without waiting for the advice is allowed
    ])


async def test_unknown_input_gets_a_short_helpful_answer(chat):
    _, wechat = chat
    reply = await wechat.text("o_zhang", "今天天气不错")
    assert "提建议" in reply.text and "帮助" in reply.text and len(reply.text) < 120


async def test_menu_clicks_do_what_the_words_do(chat):
    _, wechat = chat
    await wechat.text("o_zhang", FORM)
    for key, word in [("MY_PROPOSALS", "我的建议"), ("HELP", "帮助")]:
        assert (await wechat.click("o_zhang", key)).text == (await wechat.text("o_zhang", word)).text
    assert "第 1 步" in (await wechat.click("o_li", "PROPOSE")).text


async def test_events_and_other_message_types(chat):
    _, wechat = chat
    assert "绑定" in (await wechat.event("o_new", "subscribe")).text
    assert (await wechat.event("o_zhang", "unsubscribe")).body == "success"
    location = message_xml([("ToUserName", wechat.account), ("FromUserName", "o_zhang"),
                            ("CreateTime", int(time.time())), ("MsgType", "location"), ("MsgId", 424242)])
    assert "只能处理文字和图片" in (await wechat.deliver(location, "o_zhang")).text
    voice = message_xml([("ToUserName", wechat.account), ("FromUserName", "o_zhang"),
                         ("CreateTime", int(time.time())), ("MsgType", "voice"), ("MediaId", "v1"),
                         ("Format", "amr"), ("Recognition", "我的建议。"), ("MsgId", 434343)])
    assert "您还没有建议" in (await wechat.deliver(voice, "o_zhang")).text


# ---------------------------------------------------------------- following a proposal
async def test_withdraw_before_assignment_only(chat, auth):
    client, wechat = chat
    number = await _submit_form(wechat)
    first = await _submit_form(wechat, form=FORM.replace("公交站", "路灯"))
    await converse(wechat, "o_zhang", [(f"撤回 {number} 重复了", "确认撤回？"), ("确认撤回", f"建议 {number} 已撤回")])
    await add_unit(client, auth, "JTJ", "县交通局")
    for body in ({"action": "accept", "category": "城建"}, {"action": "assign", "lead_units": ["JTJ"]}):
        assert (await client.post(f"/api/v1/proposals/{first}/actions", json=body, headers=auth)).status == 200
    refused = await wechat.text("o_zhang", f"撤回 {first}")
    assert "已交办" in refused.text and "撤回建议" in refused.text


async def test_rating_needs_a_reason_for_unsatisfied_and_only_the_lead_rates(chat, auth, clock):
    client, wechat = chat
    number = await _submit_form(wechat, form=FORM + "\n联名：李四")
    await wechat.text("o_li", f"确认联名 {number}")
    await add_unit(client, auth, "JTJ", "县交通局")
    for body in ({"action": "accept", "category": "城建"}, {"action": "assign", "lead_units": ["JTJ"]}):
        await client.post(f"/api/v1/proposals/{number}/actions", json=body, headers=auth)
    detail = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    path = "/u/" + detail["assignments"][0]["link"].split("/u/", 1)[1]
    for body in ({"action": "sign"}, {"action": "log_contact", "method": "面谈", "summary": "当面沟通"},
                 {"action": "reply", "category": "A", "text": "已增设。", "signer": "刘局长"}):
        assert (await client.post(path, json=body)).status == 200
    await converse(wechat, "o_li", [(f"评价 {number} 满意", "评价由领衔代表进行")])
    await converse(wechat, "o_zhang", [
        (f"评价 {number}", "评价的格式"),
        (f"评价 {number} 不满意", "请写明理由"),
        (f"评价 {number} 不满意 站点位置离小区太远", "重新办理"),
    ])


async def test_a_deputy_cannot_see_someone_elses_proposal(chat):
    _, wechat = chat
    number = await _submit_form(wechat)
    await converse(wechat, "o_li", [(f"进度 {number}", f"找不到您的建议 {number}")])
    await converse(wechat, "o_zhang", [(f"进度 {number}", "状态：已提交")])


async def test_confirm_cosign_without_a_number_lists_several_invitations(chat):
    _, wechat = chat
    await wechat.text("o_zhang", FORM + "\n联名：李四")
    await wechat.text("o_zhang", "新建")
    await wechat.text("o_zhang", FORM.replace("公交站", "路灯") + "\n联名：D002")
    await converse(wechat, "o_li", [("确认联名", "请回复“确认联名 编号”"), ("确认联名 d2", "已确认联名建议 d2")])
    await converse(wechat, "o_li", [("确认联名", "已确认联名建议 d1"), ("确认联名", "没有等待您确认")])


async def test_my_proposals_lists_states_and_due_dates(chat, auth, clock):
    client, wechat = chat
    number = await _submit_form(wechat)
    await add_unit(client, auth, "JTJ", "县交通局")
    due = (clock() + dt.timedelta(days=90)).isoformat()
    for body in ({"action": "accept", "category": "城建"},
                 {"action": "assign", "lead_units": ["JTJ"], "due_date": due}):
        await client.post(f"/api/v1/proposals/{number}/actions", json=body, headers=auth)
    await converse(wechat, "o_zhang", [("我的建议", f"{number}《关于在城关镇增设公交站的建议》领衔，已交办，答复期限 {due}")])


async def test_continue_while_asked_to_confirm_abandoning_keeps_the_draft(chat):
    _, wechat = chat
    await converse(wechat, "o_zhang", [("提建议", "第 1 步"), ("修路", "第 2 步"), ("放弃", "确定放弃正在写的建议"),
                                       ("继续", "没有放弃"), ("东门路坑洼", "第 3 步")])


async def test_a_title_or_content_starting_with_a_word_is_kept_as_written(chat, auth):
    client, wechat = chat
    replies = await converse(wechat, "o_zhang", [
        ("提建议", "第 1 步"), ("评价体系改革的建议", "第 2 步"),
        ("撤回乡镇站所的做法不妥，提建议如下：保留站所。", "第 3 步"), ("2", "第 4 步"), ("无", "草稿已保存"),
    ])
    created = replies[-1]
    assert "标题：评价体系改革的建议" in created and "内容：撤回乡镇站所的做法不妥，提建议如下" in created
    await converse(wechat, "o_zhang", [("评价", "评价的格式"), ("撤回", "撤回的格式"), ("进度", "查看进度的格式")])


async def test_content_sent_in_several_messages_is_joined(chat):
    _, wechat = chat
    replies = await converse(wechat, "o_zhang", [
        ("提建议", "第 1 步"), ("修路", "第 2 步"), ("东门路坑洼，雨天积水，第一段。", "第 3 步"),
        ("第二段：建议列入年度养护计划并公开进度。", "接在内容后面"), ("2", "第 4 步"), ("无", "草稿已保存"),
    ])
    assert "第一段。 第二段：建议列入年度养护计划" in replies[-1]
