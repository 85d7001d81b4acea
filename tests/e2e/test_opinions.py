"""Citizens' opinions through HTTP: the public page /o/<code>, the deputy's bot words, the three routes
(answer, refer through a unit link, to_proposal), the citizens told when the proposal is answered, and
no unit ever seeing a citizen's name or phone."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storage.models import CitizenOpinion, OutboxMessage, RecordEvent
from storage.uow import UnitOfWork
from tests.support.api import Api
from tests.support.bot import add_deputy, add_unit, bind, bot_client
from workflow.engine.opinions import card_code
from workflow.usecases.audit import verify_all

NAME_A, PHONE_A, NAME_B, PHONE_B = "王秀英", "13912345678", "刘建国", "13787654321"


@pytest.fixture
async def town(aiohttp_client, settings, engine, auth, db):
    """A bot with deputy 张三 (D001, bound as o_zhang), units JTJ and JYJ, and 张三's 代表码."""
    client, wechat, _hook = await bot_client(aiohttp_client, settings, engine)
    await add_deputy(client, auth, "D001", "张三", "城关镇")
    await add_deputy(client, auth, "D002", "李四", "西渡镇")
    await add_unit(client, auth, "JTJ", "县交通运输局")
    await add_unit(client, auth, "JYJ", "县教育局")
    await bind(client, auth, wechat, "o_zhang", "D001")
    async with UnitOfWork(db) as session:  # the card staff print: its code is what the QR opens
        from storage.models import Deputy

        deputy = (await session.execute(select(Deputy).where(Deputy.number == "D001"))).scalar_one()
        code = await card_code(session, deputy)
    return client, wechat, code


async def _post(client, code: str, text: str, name: str = "", phone: str = "", address: str = "198.51.100.7",
                **extra):
    return await client.post(f"/o/{code}", data={"text": text, "citizen_name": name, "citizen_phone": phone,
                                                  "hide_from_units": "1", **extra},
                             headers={"X-Forwarded-For": address}, allow_redirects=False)


async def _receipt(client, code, text, name="", phone="", address="198.51.100.7") -> str:
    response = await _post(client, code, text, name, phone, address)
    assert response.status == 303, await response.text()
    location = response.headers["Location"]
    assert location.startswith(f"/o/{code}/")
    return location.split("/")[3].split("?")[0]


async def _public(client, code, receipt) -> dict:
    response = await client.get(f"/o/{code}/{receipt}", headers={"Accept": "application/json"})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_the_form_opens_from_the_deputys_code_and_an_unknown_code_answers_in_chinese(town):
    client, _wechat, code = town
    page = await client.get(f"/o/{code}")
    assert page.status == 200 and "给张三代表留言" in await page.text()
    missing = await client.get("/o/ZZZZZZZZ")
    assert missing.status == 404 and "二维码已失效或不存在" in await missing.text()


async def test_two_opinions_become_one_proposal_and_both_citizens_see_the_reply_no_unit_sees_them(
        town, auth, db, clock):
    client, wechat, code = town
    api = Api(client, auth, clock)
    first = await _receipt(client, code, "城关镇东门口的红绿灯太短，老人过不了马路。", NAME_A, PHONE_A)
    second = await _receipt(client, code, "东门十字路口没有斑马线，孩子上学很危险。", NAME_B, PHONE_B,
                            address="198.51.100.8")
    assert (await _public(client, code, first))["state"] == "received"
    listed = await wechat.text("o_zhang", "群众意见")
    assert first in listed.text and second in listed.text

    made = await wechat.text("o_zhang", f"意见转建议 {first} {second}")
    assert "建议草稿" in made.text, made.text
    resumed = await wechat.text("o_zhang", "继续")
    assert "东门" in resumed.text, resumed.text
    submitted = await wechat.text("o_zhang", "确认提交")
    number = re.search(r"\d{4}-\d{3}", submitted.text).group(0)
    for receipt in (first, second):
        shown = await _public(client, code, receipt)
        assert shown["state"] == "in_proposal" and shown["proposal"]["number"] == number

    await api.ok(number, "accept", category="城建")
    await api.ok(number, "assign", lead_units=["JTJ"])
    link = await api.link(number, "JTJ")
    unit_view = await client.get(link, headers={"Accept": "application/json"})
    await api.unit_ok(link, "sign")
    await api.unit_ok(link, "log_contact", method="电话", summary="与代表电话沟通。")
    await api.reply(link, "A", text="已延长信号灯时长并施划斑马线。", signer="周局长")
    for receipt in (first, second):
        shown = await _public(client, code, receipt)
        assert shown["state"] == "answered" and shown["proposal"]["replies"][0]["category"] == "A"
        assert "citizen" not in shown and NAME_A not in str(shown) and PHONE_A not in str(shown)
    unit_text = await unit_view.text() + await (await client.get(link)).text()
    for secret in (NAME_A, PHONE_A, NAME_B, PHONE_B):
        assert secret not in unit_text
    async with db.read() as session:
        outbox = (await session.execute(select(OutboxMessage.payload))).scalars().all()
        events = (await session.execute(select(RecordEvent.payload))).scalars().all()
    for secret in (NAME_A, PHONE_A, NAME_B, PHONE_B):
        assert secret not in str(outbox) and secret not in str(events)
    rated = await client.post(f"/o/{code}/{first}", data={"rating": "satisfied"}, allow_redirects=False)
    assert rated.status == 303
    assert (await _public(client, code, first))["rating"] == "satisfied"
    assert (await verify_all(db)).ok


async def test_a_referred_opinion_is_answered_through_the_unit_link_and_rated_by_the_citizen(town, auth, db):
    client, wechat, code = town
    receipt = await _receipt(client, code, "西渡中学门口的路灯坏了一个月。", NAME_A, PHONE_A)
    referred = await wechat.text("o_zhang", f"转办意见 {receipt} JYJ 请核实维修")
    assert "县教育局" in referred.text, referred.text
    detail = await (await client.get(f"/api/v1/opinions/{receipt}", headers=auth)).json()
    link = detail["referrals"][0]["link"]
    assert detail["state"] == "referred" and detail["citizen"]["name"] == NAME_A  # staff see who it was
    page = await client.get(link)
    text = await page.text()
    assert page.status == 200 and "西渡中学" in text and NAME_A not in text and PHONE_A not in text
    answered = await client.post(link, json={"action": "unit_answer", "text": "已更换路灯。", "handler": "陈工"})
    assert answered.status == 200, await answered.text()
    assert (await answered.json())["referral"]["state"] == "answered"
    again = await client.post(link, json={"action": "unit_answer", "text": "再答一次"})
    assert again.status == 409
    shown = await _public(client, code, receipt)
    assert shown["state"] == "answered" and shown["answer"] == "已更换路灯。"
    rated = await client.post(f"/o/{code}/{receipt}", data={"rating": "basically_satisfied", "comment": "还行"},
                              allow_redirects=False)
    assert rated.status == 303
    shown = await _public(client, code, receipt)
    assert shown["state"] == "closed" and shown["rating"] == "basically_satisfied"
    tampered = await client.get(link[:-3] + "xyz")
    assert tampered.status == 403 and "链接无效" in await tampered.text()


async def test_a_hundred_posts_from_one_address_in_a_minute_are_mostly_refused_and_none_accepted_is_lost(town, db):
    client, _wechat, code = town
    accepted, refused = [], 0
    for i in range(100):
        response = await _post(client, code, f"第 {i} 条：路面坑洼需要修补。", address="203.0.113.9")
        if response.status == 303:
            accepted.append(response.headers["Location"].split("/")[3].split("?")[0])
        else:
            assert response.status == 429 and "提交太频繁" in await response.text()
            refused += 1
    assert refused >= 90 and accepted
    async with db.read() as session:
        stored = (await session.execute(select(CitizenOpinion.receipt))).scalars().all()
    assert sorted(stored) == sorted(accepted)
    other = await _post(client, code, "另一个地址的群众反映。", address="203.0.113.10")
    assert other.status == 303  # another address is not held up


async def test_bad_posts_change_nothing_and_answer_in_chinese(town, db):
    client, _wechat, code = town
    empty = await _post(client, code, "   ")
    assert empty.status == 400 and "请写下您要反映的意见" in await empty.text()
    long = await _post(client, code, "长" * 5001, address="198.51.100.20")
    assert long.status == 400 and "太长" in await long.text()
    robot = await _post(client, code, "robot", address="198.51.100.21", website="http://spam")
    assert robot.status == 400
    phone = await _post(client, code, "反映问题", phone="not-a-phone", address="198.51.100.22")
    assert phone.status == 400 and "电话" in await phone.text()
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(CitizenOpinion))).scalar_one() == 0


async def test_an_out_of_remit_opinion_is_closed_with_where_to_go_and_the_api_answers_409_with_allowed(
        town, auth):
    client, _wechat, code = town
    receipt = await _receipt(client, code, "我的离婚官司判决不公，请代表帮我改判。")
    closed = await client.post(f"/api/v1/opinions/{receipt}/actions", headers=auth,
                               json={"action": "close_out_of_remit", "reason": "正在诉讼或应当诉讼的案件"})
    assert closed.status == 200, await closed.text()
    shown = await _public(client, code, receipt)
    assert shown["state"] == "out_of_remit" and "人民法院" in shown["where_to_go"]
    refused = await client.post(f"/api/v1/opinions/{receipt}/actions", headers=auth,
                                json={"action": "answer", "text": "x"})
    assert refused.status == 409 and (await refused.json())["allowed_actions"] == []
    unknown = await client.post("/api/v1/opinions/NOSUCH0000/actions", headers=auth, json={"action": "answer"})
    assert unknown.status == 404


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


async def test_photos_reach_staff_and_the_referred_unit_but_never_the_public_page(town, auth):
    import aiohttp

    client, wechat, code = town
    form = aiohttp.FormData()
    form.add_field("text", "桥栏杆断了，见照片。")
    form.add_field("photo", JPEG, filename="a.jpg", content_type="image/jpeg")
    response = await client.post(f"/o/{code}", data=form, allow_redirects=False,
                                 headers={"X-Forwarded-For": "198.51.100.30"})
    assert response.status == 303, await response.text()
    receipt = response.headers["Location"].split("/")[3].split("?")[0]
    public = await _public(client, code, receipt)
    assert public["photos"] == 1 and "/media/" not in str(public)
    await wechat.text("o_zhang", f"转办意见 {receipt} JTJ")
    link = (await (await client.get(f"/api/v1/opinions/{receipt}", headers=auth)).json())["referrals"][0]["link"]
    shown = await (await client.get(link, headers={"Accept": "application/json"})).json()
    picture = await client.get(shown["photos"][0])
    assert picture.status == 200 and picture.headers["Content-Type"] == "image/jpeg" and await picture.read() == JPEG

    fake = aiohttp.FormData()
    fake.add_field("text", "另一条")
    fake.add_field("photo", b"<script>alert(1)</script>", filename="x.jpg", content_type="image/jpeg")
    refused = await client.post(f"/o/{code}", data=fake, allow_redirects=False,
                                headers={"X-Forwarded-For": "198.51.100.31"})
    assert refused.status == 400 and "JPG 或 PNG" in await refused.text()
