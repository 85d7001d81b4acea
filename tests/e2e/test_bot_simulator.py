"""Playing a deputy without WeChat: the /simulator page (demo mode only) and `run.py chat` both talk to
/wechat over HTTP exactly as WeChat does (signed; encrypted in safe mode)."""
from __future__ import annotations

import ast
import asyncio
import os
import socket
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from run import build_app
from tests.support.bot import add_deputy, code_for, mode_settings
from workflow.demo.data import DEPUTY_NAMES
from workflow.engine.engine import Engine

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _demo_client(aiohttp_client, settings, engine, mode: str = "plain"):
    """The demo app served where its public_url says (the simulator posts there, never to the Host header)."""
    port = _free_port()
    settings = mode_settings(settings, mode)
    settings = replace(settings, server=replace(settings.server, public_url=f"http://127.0.0.1:{port}"))
    return await aiohttp_client(build_app(settings, Engine(engine.db, settings, clock=engine.clock), demo=True),
                                server_kwargs={"host": "127.0.0.1", "port": port})


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_simulator_page_binds_and_chats_through_the_webhook(aiohttp_client, settings, engine, auth, mode):
    client = await _demo_client(aiohttp_client, settings, engine, mode)
    demo_name = DEPUTY_NAMES[0]
    await add_deputy(client, auth, "18001", demo_name, "城关镇")
    page = await client.get("/simulator")
    assert page.status == 200 and f"{demo_name}（18001，城关镇）" in await page.text()
    code = (await (await client.post("/simulator/code", json={"deputy": "18001"})).json())["code"]
    said = await client.post("/simulator/send", json={"openid": "o_demo", "kind": "text", "value": f"绑定 {code}"})
    assert "绑定成功" in (await said.json())["reply"]
    clicked = await client.post("/simulator/send", json={"openid": "o_demo", "kind": "click", "value": "PROPOSE"})
    assert "第 1 步" in (await clicked.json())["reply"]
    photo = await client.post("/simulator/send", json={"openid": "o_demo", "kind": "image", "value": ""})
    assert "照片已收到" in (await photo.json())["reply"]


async def test_simulator_gives_codes_only_for_the_demo_countys_deputies(aiohttp_client, settings, engine, auth):
    client = await _demo_client(aiohttp_client, settings, engine)
    await add_deputy(client, auth, "D001", "张三", "城关镇")  # a real deputy's number and name
    await add_deputy(client, auth, "18002", "冒名者", "城关镇")  # a demo number under another name
    for number in ("D001", "18002", "99999"):
        answer = await client.post("/simulator/code", json={"deputy": number})
        assert answer.status == 400 and "演示数据" in (await answer.json())["message"]


async def test_simulator_posts_to_the_configured_address_never_to_the_host_header(aiohttp_client, settings, engine):
    client = await _demo_client(aiohttp_client, settings, engine)
    said = await client.post("/simulator/send", json={"openid": "o_demo", "kind": "text", "value": "帮助"},
                             headers={"Host": "evil.example:80"})
    assert said.status == 200 and (await said.json())["reply"]  # answered by this server's own /wechat


async def test_simulator_refuses_a_bad_openid_in_chinese(aiohttp_client, settings, engine):
    client = await aiohttp_client(build_app(settings, engine, demo=True))
    r = await client.post("/simulator/send", json={"openid": "<script>", "kind": "text", "value": "帮助"})
    assert r.status == 400 and "openid" in (await r.json())["message"]


async def test_simulator_exists_only_in_demo_mode(client):
    assert (await client.get("/simulator")).status == 404
    assert (await client.post("/simulator/send", json={})).status in (404, 405)


def test_web_never_imports_the_bot_and_the_bot_never_imports_web_or_notify():
    def imported(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        return names

    assert all("bot" not in imported(p) for p in (ROOT / "web").glob("*.py"))
    assert all(not imported(p) & {"web", "notify"} for p in (ROOT / "bot").glob("*.py"))
    assert all(not imported(p) & {"aiohttp", "wechatpy", "bot"} for p in
               [ROOT / "workflow" / "usecases" / "binding.py", ROOT / "workflow" / "readmodels" / "desk.py"])


async def test_chat_command_talks_to_a_running_server(aiohttp_client, settings, engine, auth):
    client = await aiohttp_client(build_app(settings, engine))
    await add_deputy(client, auth, "D001", "张三")
    code = await code_for(client, auth, "deputies", "D001")
    url = str(client.make_url("/wechat"))
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database.url, "JIANYI_WECHAT_TOKEN": settings.wechat.token}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run.py"), "chat", "--openid", "o_terminal", "--url", url, env=env, cwd=str(ROOT),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    lines = f"绑定 {code}\n/菜单 PROPOSE\n/退出\n".encode()
    stdout, stderr = await process.communicate(lines)
    assert process.returncode == 0, stderr.decode()
    out = stdout.decode()
    assert "公众号：绑定成功！张三代表（D001）" in out and "第 1 步" in out
