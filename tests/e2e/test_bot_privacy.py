"""What a deputy's chat may reveal about other deputies' proposals (issue 9, items 10 and 13)."""
from __future__ import annotations

from tests.support.bot import add_deputy, bind, bot_client


async def _two_deputies(aiohttp_client, settings, engine, auth):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine)
    await add_deputy(client, auth, "D001", "张三")
    await add_deputy(client, auth, "D002", "李四")
    await bind(client, auth, wechat, "o_zhang", "D001")
    await bind(client, auth, wechat, "o_li", "D002")
    created = await client.post("/api/v1/proposals", headers=auth,
                                json={"lead_deputy": "D001", "title": "修缮县道", "content": "县道破损严重。"})
    assert created.status == 201, await created.text()
    return client, wechat, (await created.json())["number"]


async def test_withdrawing_someone_elses_proposal_answers_as_an_unknown_number_does(aiohttp_client, settings,
                                                                                    engine, auth):
    client, wechat, number = await _two_deputies(aiohttp_client, settings, engine, auth)
    others = (await wechat.text("o_li", f"撤回 {number}")).text
    unknown = (await wechat.text("o_li", "撤回 2099-999")).text
    assert others == unknown.replace("2099-999", number)
    assert "已提交" not in others and "领衔" not in others
    detail = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    assert detail["state"] == "submitted"


async def test_the_lead_deputy_still_withdraws_their_own(aiohttp_client, settings, engine, auth):
    client, wechat, number = await _two_deputies(aiohttp_client, settings, engine, auth)
    await wechat.text("o_zhang", f"撤回 {number} 已另行反映")
    await wechat.text("o_zhang", "确认撤回")
    detail = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    assert detail["state"] == "withdrawn"
