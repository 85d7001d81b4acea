"""The whole deputy path through WeChat's protocol, in plain and in safe mode: bind, guided draft with a
photo and a co-signer who confirms, consultation round trip, submit, the API sees it, units act through
their links, the deputy rates the reply and the implementation."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from storage.models import OutboxMessage
from tests.support.bot import add_deputy, add_unit, bind, bot_client, converse, counts


async def _outbox(db, kind: str) -> list[tuple[str, str]]:
    async with db.read() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind))).scalars().all()
    return [(r.recipient_kind, r.recipient_id) for r in rows]


async def _staff(client, auth, ref: str, **body) -> dict:
    r = await client.post(f"/api/v1/proposals/{ref}/actions", json=body, headers=auth)
    assert r.status == 200, await r.text()
    return await r.json()


async def _unit(client, link: str, **body) -> None:
    r = await client.post(urlsplit(link).path, json=body)
    assert r.status == 200, await r.text()


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_whole_deputy_path_through_wechat(aiohttp_client, settings, engine, auth, db, clock, mode):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, mode)
    await add_deputy(client, auth, "D001", "张三", "城关镇")
    await add_deputy(client, auth, "D002", "李四", "西渡镇")
    await add_unit(client, auth, "JYJ", "县教育局")
    await bind(client, auth, wechat, "o_zhang", "D001")
    await bind(client, auth, wechat, "o_li", "D002")
    ref = await _draft_with_a_photo_and_a_co_signer(wechat, db)
    number = await _consult_and_submit(client, auth, wechat, db, ref)

    # The API sees it: submitted, the co-signer confirmed, the revised content; the photo is kept.
    detail = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    assert detail["state"] == "submitted" and "600 余人" in detail["content"]
    assert [{k: c[k] for k in ("number", "name", "confirmed")} for c in detail["co_signers"]] == [
        {"number": "D002", "name": "李四", "confirmed": True}]
    assert (await counts(db))["proposal_attachments"] == 1
    assert [a["kind"] for a in detail["attachments"]] == ["image"] and detail["attachments"][0]["url"]

    await _handle_and_rate_twice(client, auth, wechat, clock, number)
    detail = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    assert detail["state"] == "closed"
    assert [(e["kind"], e["rating"]) for e in detail["evaluations"]] == [
        ("reply", "satisfied"), ("implementation", "basically_satisfied")]
    assert {e["actor"]["kind"] for e in detail["events"] if e["action"].startswith("evaluate")} == {"deputy"}


async def _draft_with_a_photo_and_a_co_signer(wechat, db) -> str:
    """Guided draft: title, content, category from the list, a photo, a co-signer by name; the draft's ref."""
    await converse(wechat, "o_zhang", [
        ("提建议", "第 1 步"),
        ("关于修缮城关小学校舍的建议", "第 2 步"),
        ("城关小学教学楼屋顶漏雨，存在安全隐患。建议列入今年校舍维修计划。", "第 3 步"),
        ("3", "第 4 步"),
    ])
    photo = await wechat.image("o_zhang", "https://mmbiz.qpic.cn/roof.jpg", "MEDIA_roof_1")
    assert "共 1 张" in photo.text
    created = await wechat.text("o_zhang", "李四")
    assert "草稿已保存" in created.text and "李四（待确认）" in created.text and "确认提交" in created.text
    ref = created.text.split("草稿 ", 1)[1].split("（", 1)[0]
    assert await _outbox(db, "cosign_requested") == [("deputy", "D002")]
    return ref


async def _consult_and_submit(client, auth, wechat, db, ref: str) -> str:
    """The co-signer confirms; staff advise before submission; the deputy revises and submits: its number."""
    await converse(wechat, "o_li", [("确认联名", f"已确认联名建议 {ref}")])

    # Pre-submission consultation: the draft goes to staff, the advice comes back in the chat.
    await converse(wechat, "o_zhang", [("申请沟通", "想与工作人员沟通的问题"), ("该由哪个部门负责？", "征求意见")])
    await _staff(client, auth, ref, action="give_advice", advice="建议补充受影响的学生人数，由教育局主办。")
    assert ("deputy", "D001") in await _outbox(db, "advice_given")
    await converse(wechat, "o_zhang", [
        ("查看", "建议补充受影响的学生人数"),
        ("修改内容 城关小学教学楼屋顶漏雨，涉及学生 600 余人。建议列入今年校舍维修计划。", "已修改"),
    ])
    submitted = await wechat.text("o_zhang", "确认提交")
    assert "已提交，编号" in submitted.text
    return submitted.text.split("编号 ", 1)[1].split("。", 1)[0]


async def _handle_and_rate_twice(client, auth, wechat, clock, number: str) -> None:
    """Staff accept and assign; the unit signs, logs its contact and replies (B) through its link; the
    deputy rates the reply in the chat, then what was done once the unit reports it finished."""
    await _staff(client, auth, number, action="accept", category="教育")
    detail = await _staff(client, auth, number, action="assign", lead_units=["JYJ"])
    link = detail["assignments"][0]["link"]
    await _unit(client, link, action="sign")
    await _unit(client, link, action="log_contact", method="电话", summary="与张三代表电话沟通维修方案。")
    promise = (clock() + dt.timedelta(days=60)).isoformat()
    await _unit(client, link, action="reply", category="B", text="已列入暑期维修计划。", signer="王局长",
                promise_date=promise)
    await converse(wechat, "o_zhang", [
        (f"进度 {number}", "请评价答复"),
        (f"评价 {number} 满意", "落实中"),
    ])
    await _unit(client, link, action="report_progress", text="屋顶已全部翻修。", percent="100")
    await converse(wechat, "o_zhang", [
        (f"评价 {number} 基本满意", "办结"),
        ("我的建议", f"{number}《关于修缮城关小学校舍的建议》领衔，办结"),
    ])
