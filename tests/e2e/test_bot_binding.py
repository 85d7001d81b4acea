"""Who a WeChat user is: nobody until bound with a one-time code; codes expire, work once, and guessing
is throttled; unbinding; unit liaisons; codes printed by `run.py deputies codes`."""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import os
import sys
from pathlib import Path

from sqlalchemy import update

from storage.models import BindingAttempt, BindingCode
from tests.support.bot import add_deputy, add_unit, bind, bot_client, code_for, converse, counts

ROOT = Path(__file__).resolve().parents[2]


async def _setup(aiohttp_client, settings, engine, auth):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine)
    await add_deputy(client, auth, "D001", "张三")
    await add_deputy(client, auth, "D002", "李四")
    return client, wechat


async def test_nobody_can_do_anything_before_binding(aiohttp_client, settings, engine, auth, db):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    for said in ("提建议", "我的建议", "进度 2025-001", "评价 2025-001 满意", "确认提交", "随便说说"):
        assert "还没有绑定身份" in (await wechat.text("o_stranger", said)).text
    assert (await wechat.click("o_stranger", "MY_PROPOSALS")).text.startswith("您还没有绑定身份")
    assert "还没有绑定身份" in (await wechat.image("o_stranger", "https://x/y.jpg", "M1")).text
    assert (await counts(db))["proposals"] == 0


async def test_a_binding_code_works_once(aiohttp_client, settings, engine, auth):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    code = await code_for(client, auth, "deputies", "D001")
    await converse(wechat, "o_zhang", [(f"绑定 {code.lower()}", "张三代表（D001）")])
    await converse(wechat, "o_other", [(f"绑定 {code}", "已经用过了")])
    await converse(wechat, "o_zhang", [(f"绑定 {code}", "您已绑定为代表 张三")])


async def test_an_expired_binding_code_is_refused(aiohttp_client, settings, engine, auth, db):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    code = await code_for(client, auth, "deputies", "D001")
    async with db.write() as session:
        async with session.begin():
            await session.execute(update(BindingCode).values(expires_at=dt.datetime(2000, 1, 1)))
    await converse(wechat, "o_zhang", [(f"绑定 {code}", "已过期"), ("我的建议", "还没有绑定身份")])


async def test_guessing_codes_is_throttled_for_an_hour(aiohttp_client, settings, engine, auth, db):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    code = await code_for(client, auth, "deputies", "D001")
    for guess in ("AAAA2222", "BBBB3333", "CCCC4444", "DDDD5555", "EEEE6666"):
        await converse(wechat, "o_guess", [(f"绑定 {guess}", "绑定码不正确")])
    await converse(wechat, "o_guess", [(f"绑定 {code}", "一小时后再试")])
    await converse(wechat, "o_honest", [(f"绑定 {code}", "绑定成功")])  # others are not locked out


async def test_an_hour_after_failed_guesses_binding_works_again(aiohttp_client, settings, engine, auth, db):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    code = await code_for(client, auth, "deputies", "D001")
    for guess in ("AAAA2222", "BBBB3333", "CCCC4444", "DDDD5555", "EEEE6666"):
        await wechat.text("o_zhang", f"绑定 {guess}")
    async with db.write() as session:
        async with session.begin():
            moved = BindingAttempt.created_at - dt.timedelta(minutes=61)
            await session.execute(update(BindingAttempt).values(created_at=moved))
    await converse(wechat, "o_zhang", [(f"绑定 {code}", "绑定成功")])


async def test_unbinding_makes_the_user_nobody_and_a_new_code_binds_again(aiohttp_client, settings, engine, auth):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    await bind(client, auth, wechat, "o_zhang", "D001")
    await converse(wechat, "o_zhang", [("提建议", "第 1 步"), ("解绑", "已解除与“张三”的绑定"),
                                       ("我的建议", "还没有绑定身份"), ("解绑", "无需解绑")])
    await bind(client, auth, wechat, "o_zhang", "D001")
    await converse(wechat, "o_zhang", [("继续", "没有未写完的草稿")])  # the dialogue went with the binding


async def test_a_new_code_moves_a_deputy_to_a_new_phone(aiohttp_client, settings, engine, auth):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    await bind(client, auth, wechat, "o_old_phone", "D001")
    await bind(client, auth, wechat, "o_new_phone", "D001")
    await converse(wechat, "o_old_phone", [("我的建议", "还没有绑定身份")])
    await converse(wechat, "o_new_phone", [("我的建议", "还没有建议")])


async def test_a_unit_liaison_binds_and_gets_the_units_links(aiohttp_client, settings, engine, auth):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    await add_unit(client, auth, "JYJ", "县教育局")
    code = await code_for(client, auth, "units", "JYJ")
    await converse(wechat, "o_liaison", [(f"绑定 {code}", "县教育局的联络员"), ("我的交办", "没有正在办理"),
                                         ("提建议", "我的交办")])
    r = await client.post("/api/v1/proposals", json={"lead_deputy": "D001", "title": "校舍", "content": "修缮"},
                          headers=auth)
    number = (await r.json())["number"]
    await client.post(f"/api/v1/proposals/{number}/actions", json={"action": "accept", "category": "教育"},
                      headers=auth)
    await client.post(f"/api/v1/proposals/{number}/actions", json={"action": "assign", "lead_units": ["JYJ"]},
                      headers=auth)
    listed = (await wechat.text("o_liaison", "我的交办")).text
    assert f"{number}《校舍》主办，待签收" in listed and "http://testserver/u/" in listed
    link = listed.split("http://testserver", 1)[1].split()[0]
    assert (await client.get(link, headers={"Accept": "application/json"})).status == 200


async def test_deputies_codes_command_prints_codes_that_bind(aiohttp_client, settings, engine, auth, tmp_path):
    client, wechat = await _setup(aiohttp_client, settings, engine, auth)
    await bind(client, auth, wechat, "o_li", "D002")
    out_file = tmp_path / "codes.csv"
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database.url, "JIANYI_SERVER_DATA_DIR": settings.server.data_dir}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run.py"), "deputies", "codes", "--csv", str(out_file), env=env, cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    lines = stdout.decode().strip().splitlines()
    assert lines[0].startswith("代表证号") and len(lines) == 2  # only D001: D002 is bound already
    number, name, code, _ = lines[1].split("\t")
    assert (number, name) == ("D001", "张三")
    with out_file.open(encoding="utf-8-sig") as handle:
        assert [row[:3] for row in csv.reader(handle)][1] == ["D001", "张三", code]
    await converse(wechat, "o_zhang", [(f"绑定 {code}", "张三代表（D001）")])
