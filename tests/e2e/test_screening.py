"""Screening, joint proposals and withdrawal through the bot, the JSON API and the console (issue 10,
items 19-22): 不作为代表建议 with its disposition, co-signers who confirm (also after 交办, also on paper),
only confirmed ones as 联名代表, a withdrawal that needs a reason, a confirmation and (setting) consent."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from notify.texts import render
from storage.models import OutboxMessage
from tests.support.api import CHINESE, UNITS, Api
from tests.support.bot import add_deputy, bind, bot_client, converse
from tests.support.console import post_form
from workflow.domain.definition import REFERRAL_REASONS
from workflow.readmodels.ledger import PROPOSAL_COLUMNS, ledger_chunks

FORM = "提建议\n标题：关于在城关镇增设公交站的建议\n内容：城关镇东区居民出行不便，建议增设两个公交站。\n类别：城建"
CONSENT = pytest.mark.parametrize("settings", [True], indirect=True)


@pytest.fixture
def settings(settings, request):
    """The test settings; with `CONSENT`, withdrawing a joint proposal needs the co-signers' consent."""
    if getattr(request, "param", False):
        return replace(settings, workflow=replace(settings.workflow, withdraw_needs_co_signer_consent=True))
    return settings


@pytest.fixture
async def chat(aiohttp_client, settings, engine, client, auth, clock):
    """The bot and the API on one database: 张三 (D001, o_zhang), 李四 (D002, o_li), 王五 (D003, o_wang) bound,
    赵六 (D004) not bound to WeChat; two 王伟; the test units."""
    _, wechat, _ = await bot_client(aiohttp_client, settings, engine)
    for number, name, delegation in [("D001", "张三", "城关镇"), ("D002", "李四", "西渡镇"), ("D003", "王五", "演陂镇"),
                                     ("D004", "赵六", "城关镇"), ("D005", "王伟", "城关镇"), ("D006", "王伟", "演陂镇")]:
        await add_deputy(client, auth, number, name, delegation)
    for openid, number in [("o_zhang", "D001"), ("o_li", "D002"), ("o_wang", "D003")]:
        await bind(client, auth, wechat, openid, number)
    api = Api(client, auth, clock)
    await api.roster(deputies=[], units=UNITS)
    return wechat, api


async def _draft(wechat, co_signers: str) -> str:
    created = await wechat.text("o_zhang", FORM + f"\n联名：{co_signers}")
    assert "草稿已保存" in created.text, created.text
    return created.text


async def _submitted(wechat, co_signers: str) -> str:
    await _draft(wechat, co_signers)
    done = await wechat.text("o_zhang", "确认提交")
    return done.text.split("编号 ", 1)[1].split("。", 1)[0]


async def _outbox(db, kind: str) -> list[OutboxMessage]:
    async with db.read() as session:
        return list((await session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                           .order_by(OutboxMessage.id))).scalars())


# ---------------------------------------------------------------- item 19: 不作为代表建议
async def test_refer_records_the_reason_and_the_disposition_and_tells_the_deputy_both(api, db):
    number = await api.submit()
    before = await api.events(number)
    missing = await api.act(number, "refer", reason=REFERRAL_REASONS[-1])
    assert missing.status == 400 and "处理方式" in missing.message() and missing.body["field"] == "disposition"
    assert await api.events(number) == before
    detail = await api.ok(number, "refer", reason="干预具体司法案件", disposition="退回代表", note="涉及一起民事诉讼。")
    assert detail["state"] == "referred" and detail["state_label"] == "不作为代表建议"
    assert detail["disposition"] == "退回代表"
    [told] = await _outbox(db, "proposal_refer")
    text = render(told.kind, told.payload).text
    assert (told.recipient_kind, told.recipient_id) == ("deputy", "D001")
    assert "不作为代表建议" in text and "干预具体司法案件" in text and "退回代表" in text and "参阅" not in text


# ---------------------------------------------------------------- item 20: who is a 联名代表
async def test_the_lead_is_told_which_co_signers_were_asked_and_which_could_not_be_reached(chat):
    wechat, api = chat
    created = await _draft(wechat, "李四、赵六")
    assert "已通知李四确认联名" in created
    assert "赵六还没有绑定微信，无法通知" in created and "已通知联名代表确认联名" not in created
    done = await wechat.text("o_zhang", "确认提交")
    assert "赵六还没有绑定微信" in done.text


async def test_a_co_signer_may_confirm_after_assignment_and_then_hears_the_reply(chat, db):
    wechat, api = chat
    number = await _submitted(wechat, "李四、赵六")
    await api.take_to("assigned", number=number)
    await converse(wechat, "o_li", [(f"确认联名 {number}", f"已确认联名建议 {number}")])
    assert [(m.recipient_id, m.payload["facts"]["deputy_name"]) for m in await _outbox(db, "cosign_confirmed")] == [
        ("D001", "李四")]
    await api.take_to("replied", number=number)
    heard = {m.recipient_id for m in await _outbox(db, "reply_arrived")}
    assert heard == {"D001", "D002"}, "the reply goes to each confirmed co-signer, never to the unconfirmed 赵六"


async def test_only_confirmed_co_signers_are_printed_on_the_sheet_the_unit_page_and_the_ledger(chat, staff, db):
    wechat, api = chat
    number = await _submitted(wechat, "李四、赵六")
    await wechat.text("o_li", f"确认联名 {number}")
    await api.take_to("assigned", number=number)
    detail = await api.detail(number)
    assert [(c["name"], c["confirmed"]) for c in detail["co_signers"]] == [("李四", True), ("赵六", False)]
    page = await (await staff.get(f"/console/proposals/{number}")).text()
    assert "赵六<small class=\"muted\">（未确认）</small>" in page  # staff see who has not confirmed
    lead_id = next(a["id"] for a in detail["assignments"] if a["unit"] == "JYJ")
    sheet = await (await staff.get(f"/console/assignments/{lead_id}/sheet")).text()
    assert "李四" in sheet and "赵六" not in sheet
    unit_page = await api.unit_view(await api.link(number, "JYJ"))
    assert [c["name"] for c in unit_page.body["proposal"]["co_signers"]] == ["李四"]
    rows = [row async for chunk in ledger_chunks(db, detail["year"]) for row in chunk[0]]
    co_signers = [name for name, _ in PROPOSAL_COLUMNS].index("联名代表")
    assert [row[co_signers] for row in rows if row[0] == number] == ["李四"]


async def test_staff_record_a_paper_confirmation_through_a_visible_console_form(chat, staff):
    wechat, api = chat
    number = await _submitted(wechat, "赵六")
    await api.take_to("assigned", number=number)
    page = await (await staff.get(f"/console/proposals/{number}")).text()
    assert 'value="confirm_cosign"' in page and "赵六（联名代表，D004）" in page
    response = await post_form(staff, f"/console/proposals/{number}/actions",
                               {"action": "confirm_cosign", "on_behalf_of": "D004"},
                               token_from=f"/console/proposals/{number}")
    assert response.status == 303, await response.text()
    detail = await api.detail(number)
    assert [(c["name"], c["confirmed"]) for c in detail["co_signers"]] == [("赵六", True)]
    event = detail["events"][-1]
    assert event["action"] == "confirm_cosign" and event["on_behalf_of"] == {"kind": "deputy", "id": "D004"}


# ---------------------------------------------------------------- item 21: withdrawal
async def test_withdraw_through_the_api_needs_a_reason_and_confirm_true(api):
    number = await api.take_to("accepted")
    before = await api.events(number)
    for body in ({"reason": "问题已解决"}, {"reason": "问题已解决", "confirm": False}, {"confirm": True},
                 {"reason": "问题已解决", "confirm": "也许"}):
        answer = await api.act(number, "withdraw", **body)
        assert answer.status == 400 and CHINESE.search(answer.message()), (body, answer.body)
    assert await api.events(number) == before
    assert (await api.ok(number, "withdraw", reason="问题已解决", confirm=True))["state"] == "withdrawn"


async def test_the_bot_asks_to_confirm_a_withdrawal_and_nothing_happens_until_confirmed(chat):
    wechat, api = chat
    number = await _submitted(wechat, "无")
    await converse(wechat, "o_zhang", [(f"撤回 {number}", "须写明理由"), (f"撤回 {number} 与另一件重复", "确认撤回？"),
                                       ("我的建议", number)])
    assert (await api.detail(number))["state"] == "submitted"
    await converse(wechat, "o_zhang", [("确认撤回 2099-001", "没有待确认的撤回"), ("确认撤回", f"建议 {number} 已撤回"),
                                       ("确认撤回", "没有待确认的撤回")])
    detail = await api.detail(number)
    assert detail["state"] == "withdrawn" and detail["reason"] == "与另一件重复"


async def test_without_the_setting_the_lead_withdraws_a_joint_proposal_alone_and_co_signers_are_told(chat, db):
    wechat, api = chat
    number = await _submitted(wechat, "李四")
    await wechat.text("o_li", f"确认联名 {number}")
    await converse(wechat, "o_zhang", [(f"撤回 {number} 重复", "确认撤回？"), ("确认撤回", "已撤回")])
    assert {m.recipient_id for m in await _outbox(db, "proposal_withdraw")} == {"D001", "D002", "*"}


@CONSENT
async def test_with_the_setting_a_joint_proposal_is_withdrawn_once_every_confirmed_co_signer_consents(chat, db):
    wechat, api = chat
    number = await _submitted(wechat, "李四、王五、赵六")  # 赵六 never confirms: not asked
    for openid in ("o_li", "o_wang"):
        await wechat.text(openid, f"确认联名 {number}")
    await converse(wechat, "o_zhang", [(f"撤回 {number} 问题已解决", "撤回须经联名代表同意"),
                                       ("确认撤回", "已请联名代表（李四、王五）同意撤回")])
    assert (await api.detail(number))["state"] == "submitted"
    assert [m.recipient_id for m in await _outbox(db, "withdrawal_consent_requested")] == ["D002", "D003"]
    await converse(wechat, "o_zhang", [(f"撤回 {number} 再撤一次", "撤回申请已经提出")])
    await converse(wechat, "o_li", [("同意撤回", f"您已同意撤回建议 {number}，正在等待其他联名代表"),
                                    (f"同意撤回 {number}", "您已同意撤回")])
    assert [m.payload["facts"]["waiting"] for m in await _outbox(db, "withdrawal_consented")] == ["王五"]
    await converse(wechat, "o_wang", [(f"同意撤回 {number}", f"建议 {number} 已撤回")])
    detail = await api.detail(number)
    assert detail["state"] == "withdrawn" and detail["reason"] == "问题已解决"
    assert {m.recipient_id for m in await _outbox(db, "proposal_withdraw")} == {"D001", "D002", "D003", "*"}


@CONSENT
async def test_with_the_setting_one_refusal_cancels_the_request_and_the_lead_is_told(chat, db):
    wechat, api = chat
    number = await _submitted(wechat, "李四")
    await wechat.text("o_li", f"确认联名 {number}")
    await converse(wechat, "o_zhang", [(f"撤回 {number} 重复", "确认撤回？"), ("确认撤回", "已请联名代表（李四）")])
    await converse(wechat, "o_li", [(f"不同意撤回 {number} 问题还没解决", "撤回申请已取消")])
    detail = await api.detail(number)
    assert detail["state"] == "submitted" and detail["withdrawal_requested_at"] is None
    [told] = await _outbox(db, "withdrawal_refused")
    assert told.recipient_id == "D001" and "问题还没解决" in render(told.kind, told.payload).text
    await converse(wechat, "o_li", [(f"同意撤回 {number}", "没有待联名代表同意的撤回申请")])


@CONSENT
async def test_a_request_still_waiting_lapses_when_the_proposal_is_assigned(chat):
    wechat, api = chat
    number = await _submitted(wechat, "李四")
    await wechat.text("o_li", f"确认联名 {number}")
    await converse(wechat, "o_zhang", [(f"撤回 {number} 重复", "确认撤回？"), ("确认撤回", "已请联名代表")])
    await api.take_to("assigned", number=number)
    detail = await api.detail(number)
    assert detail["withdrawal_requested_at"] is None and detail["events"][-1]["payload"]["withdrawal_request_lapsed"]
    await converse(wechat, "o_li", [(f"同意撤回 {number}", "不能“同意撤回”")])


# ---------------------------------------------------------------- item 22: names in paper entry
async def test_paper_entry_takes_co_signers_by_name_or_number_like_the_bot(chat, staff):
    wechat, api = chat
    response = await post_form(staff, "/console/proposals/new", {
        "lead_deputy": "D001", "co_signers": "李四、D004", "title": "关于修缮西渡镇卫生院的建议",
        "content": "卫生院房屋漏雨，建议安排维修资金。", "submit": "on"})
    assert response.status == 303, await response.text()
    ref = response.headers["Location"].split("/")[-1].split("?")[0]
    assert [c["number"] for c in (await api.detail(ref))["co_signers"]] == ["D002", "D004"]


async def test_paper_entry_asks_back_an_ambiguous_name_and_refuses_an_unknown_one(chat, staff):
    wechat, api = chat
    form = {"lead_deputy": "D001", "title": "关于修缮西渡镇卫生院的建议", "content": "卫生院房屋漏雨。", "submit": "on"}
    ambiguous = await post_form(staff, "/console/proposals/new", {**form, "co_signers": "王伟"})
    text = await ambiguous.text()
    assert ambiguous.status == 400
    assert "名叫“王伟”的代表有 2 位" in text and "王伟（D005，城关镇）" in text and "王伟（D006，演陂镇）" in text
    unknown = await post_form(staff, "/console/proposals/new", {**form, "co_signers": "李四、钱七"})
    assert unknown.status == 400 and "没有找到联名代表“钱七”" in await unknown.text()
    assert (await api.get("/api/v1/proposals")).body["total"] == 0
    # The bot asks the same name back with the same candidates.
    await converse(wechat, "o_zhang", [(FORM + "\n联名：王伟", "名叫“王伟”的代表有 2 位"), ("2", "草稿已保存")])


async def test_the_console_withdraw_form_has_a_confirm_box_and_refuses_without_it(api, staff):
    number = await api.take_to("accepted")
    page = f"/console/proposals/{number}"
    text = await (await staff.get(page)).text()
    assert 'type="checkbox" id="withdraw-confirm" name="confirm"' in text
    refused = await post_form(staff, f"{page}/actions", {"action": "withdraw", "on_behalf_of": "D001",
                                                         "reason": "代表书面申请撤回"}, token_from=page)
    assert refused.status == 400 and "撤回建议须经确认" in await refused.text()
    assert (await api.detail(number))["state"] == "accepted"
    done = await post_form(staff, f"{page}/actions", {"action": "withdraw", "on_behalf_of": "D001",
                                                      "reason": "代表书面申请撤回", "confirm": "on"}, token_from=page)
    assert done.status == 303
    assert (await api.detail(number))["state"] == "withdrawn"


@CONSENT
async def test_staff_enter_a_co_signers_paper_consent_to_a_withdrawal(api, staff):
    number = await api.take_to("accepted", co_signers=["D002"])  # paper entry: D002 signed, so confirmed
    assert (await api.ok(number, "withdraw", reason="代表书面申请撤回", confirm=True))["state"] == "accepted"
    page = f"/console/proposals/{number}"
    text = await (await staff.get(page)).text()
    assert 'value="consent_withdrawal"' in text and 'value="refuse_withdrawal"' in text and "撤回申请" in text
    done = await post_form(staff, f"{page}/actions", {"action": "consent_withdrawal", "on_behalf_of": "D002"},
                           token_from=page)
    assert done.status == 303, await done.text()
    detail = await api.detail(number)
    assert detail["state"] == "withdrawn" and detail["events"][-1]["on_behalf_of"] == {"kind": "deputy", "id": "D002"}
