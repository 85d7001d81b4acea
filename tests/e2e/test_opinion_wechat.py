"""Inside WeChat the public page asks WeChat who the citizen is (web OAuth, snsapi_base), so the answer to
their opinion reaches them in WeChat too; a forged OAuth state or an unknown code leaves them anonymous."""
from __future__ import annotations

from dataclasses import replace
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from storage.models import CitizenOpinion, Deputy, OutboxMessage
from storage.uow import UnitOfWork
from tests.support.api import Api
from workflow.engine.engine import Engine
from workflow.engine.opinions import card_code

WECHAT_UA = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50"}


async def test_a_citizen_in_wechat_is_told_the_answer_in_wechat(aiohttp_client, settings, db, clock, staff_token,
                                                                 fake_wechat):
    settings = replace(settings, wechat=replace(settings.wechat, app_id=fake_wechat.app_id,
                                                app_secret=fake_wechat.app_secret, api_base_url=fake_wechat.base_url))
    from run import build_app

    client = await aiohttp_client(build_app(settings, Engine(db, settings, clock=clock)))
    auth = {"Authorization": f"Bearer {staff_token}"}
    await Api(client, auth, clock).roster()
    async with UnitOfWork(db) as session:
        code = await card_code(session, (await session.execute(select(Deputy).where(Deputy.number == "D001"))).scalar_one())

    bounce = await client.get(f"/o/{code}", headers=WECHAT_UA, allow_redirects=False)
    assert bounce.status == 303
    target = urlsplit(bounce.headers["Location"])
    query = parse_qs(target.query)
    assert query["scope"] == ["snsapi_base"] and query["redirect_uri"] == [f"http://testserver/o/{code}/wechat"]
    forged = await client.get(f"/o/{code}/wechat", params={"code": fake_wechat.oauth_code("o_citizen"),
                                                           "state": "x.forged"}, allow_redirects=False)
    assert forged.status == 303 and "jianyi_citizen_wx" not in forged.headers.get("Set-Cookie", "")
    back = await client.get(f"/o/{code}/wechat", params={"code": fake_wechat.oauth_code("o_citizen"),
                                                         "state": query["state"][0]}, allow_redirects=False)
    assert back.status == 303
    cookie = SimpleCookie(back.headers["Set-Cookie"])["jianyi_citizen_wx"].value
    headers = {**WECHAT_UA, "Cookie": f"jianyi_citizen_wx={cookie}", "X-Forwarded-For": "198.51.100.50"}
    page = await client.get(f"/o/{code}", headers=headers)
    assert page.status == 200 and "办理结果也会通过微信告诉您" in await page.text()
    posted = await client.post(f"/o/{code}", data={"text": "小区门口垃圾清运不及时。"}, headers=headers,
                               allow_redirects=False)
    receipt = posted.headers["Location"].split("/")[3].split("?")[0]
    answered = await client.post(f"/api/v1/opinions/{receipt}/actions", headers=auth,
                                 json={"action": "answer", "text": "已联系环卫所，每天清运两次。"})
    assert answered.status == 200
    async with db.read() as session:
        opinion = (await session.execute(select(CitizenOpinion).where(CitizenOpinion.receipt == receipt))).scalar_one()
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "opinion_answered"))).scalars().all()
    assert opinion.citizen_openid == "o_citizen"
    assert [(r.recipient_kind, r.recipient_id) for r in rows] == [("openid", "o_citizen")]
    assert rows[0].payload["path"] == f"/o/{code}/{receipt}" and "小区" not in str(rows[0].payload.get("facts"))
