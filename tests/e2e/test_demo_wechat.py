"""The demo's messages arrive: `serve --demo` has no WeChat app, so its notifications go to a stand-in for
WeChat's API that the demo server carries (demo mode only), and /simulator shows each demo user's
pushed messages in their chat, links clickable."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path

from aiohttp.test_utils import make_mocked_request

from run import build_app
from web.demo_wechat import _from_this_computer
from workflow.demo.wechat import DEMO_APP_ID, STAND_IN_PATH, demo_settings, deputy_openid, liaison_openid
from workflow.engine.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
SECRET = "demo-wechat-test-secret-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def _settled(database: Path) -> dict | None:
    """Outbox rows by status once the demo wrote them and none is pending any more."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            counts = dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
    except sqlite3.Error:
        return None
    return counts if counts and not counts.get("pending") else None


def _wait(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)  # polling a subprocess's database, bounded by the deadline
    raise AssertionError(f"not reached in {seconds} s")


def _story(database: Path) -> tuple[str, str]:
    """A deputy whose proposal got a reply, and a unit that was assigned one."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        deputy = db.execute("SELECT d.number FROM proposals p JOIN deputies d ON d.id = p.lead_deputy_id "
                            "WHERE p.state = 'replied' ORDER BY p.id LIMIT 1").fetchone()[0]
        unit = db.execute("SELECT u.code FROM assignments a JOIN units u ON u.id = a.unit_id ORDER BY a.id LIMIT 1"
                          ).fetchone()[0]
    return deputy, unit


def _pushes(base: str, openid: str) -> list[dict]:
    answer = json.loads(_get(f"{base}/simulator/messages?" + urllib.parse.urlencode({"openid": openid})))
    return [m for m in answer["messages"] if m["who"] == "push"]


def test_a_fresh_demo_delivers_its_notifications_to_the_stand_in_and_the_simulator_shows_them(tmp_path):
    port, database = _free_port(), tmp_path / "jianyi.db"
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    env.update(JIANYI_DATABASE_URL=f"sqlite+aiosqlite:///{database}", JIANYI_SERVER_DATA_DIR=str(tmp_path),
               JIANYI_REDIS_URL=os.environ.get("JIANYI_REDIS_URL", ""), JIANYI_SERVER_SECRET_KEY=SECRET,
               JIANYI_SERVER_PUBLIC_URL=base)
    log = tmp_path / "serve.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "run.py", "serve", "--demo", "--port", str(port)], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        counts = _wait(lambda: process.poll() is None and _settled(database), 120)
        assert counts.get("dead", 0) == 0 and counts["delivered"] >= 150, counts
        deputy, unit = _story(database)
        page = _get(f"{base}/simulator")
        assert f'value="{deputy_openid(deputy)}"' in page and f'value="{liaison_openid(unit)}"' in page
        replies = [m for m in _pushes(base, deputy_openid(deputy)) if "收到答复" in "".join(p["text"] for p in m["parts"])]
        assert replies, "the deputy's reply notification reached the simulator"
        assert any(p.get("href", "").startswith(f"{base}/f/") for p in replies[0]["parts"])  # the rating link
        assigned = [m for m in _pushes(base, liaison_openid(unit)) if "交办建议" in "".join(p["text"] for p in m["parts"])]
        assert assigned and any(p.get("href", "").startswith(f"{base}/u/") for p in assigned[0]["parts"])
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    output = log.read_text(encoding="utf-8")
    assert " ERROR " not in output and "死信" not in output, output[-3000:]


async def test_the_stand_in_and_the_chat_log_exist_only_in_demo_mode(client):
    assert (await client.post(STAND_IN_PATH + "stable_token", json={})).status == 404
    assert (await client.post(STAND_IN_PATH + "message/custom/send", json={})).status == 404
    assert (await client.get("/simulator/messages?openid=o_x")).status == 404


async def _stand_in(aiohttp_client, settings, engine):
    port = _free_port()
    settings = replace(settings, server=replace(settings.server, public_url=f"http://127.0.0.1:{port}"))
    settings = demo_settings(settings, "127.0.0.1", port)
    app = build_app(settings, Engine(engine.db, settings, clock=engine.clock), demo=True)
    return settings, await aiohttp_client(app, server_kwargs={"host": "127.0.0.1", "port": port})


async def test_the_stand_in_answers_as_wechat_does_and_keeps_what_it_was_sent(aiohttp_client, settings, engine):
    settings, client = await _stand_in(aiohttp_client, settings, engine)
    assert settings.wechat.app_id == DEMO_APP_ID and settings.wechat.api_base_url.endswith(STAND_IN_PATH)
    wrong = await client.post(STAND_IN_PATH + "stable_token", json={"appid": DEMO_APP_ID, "secret": "guess"})
    assert (await wrong.json())["errcode"] == 40013
    refused = await client.post(STAND_IN_PATH + "message/custom/send", params={"access_token": "DEMO_1_x"},
                                json={"touser": "o_a", "msgtype": "text", "text": {"content": "不该收到"}})
    assert (await refused.json())["errcode"] == 40001
    token = (await (await client.post(STAND_IN_PATH + "stable_token", json={
        "grant_type": "client_credential", "appid": DEMO_APP_ID, "secret": settings.wechat.app_secret})).json())["access_token"]
    link = f"{settings.server.public_url}/f/abc"
    sent = await client.post(STAND_IN_PATH + "message/custom/send", params={"access_token": token}, json={
        "touser": "o_a", "msgtype": "text", "text": {"content": f'【代表建议 2025-001】\n<a href="{link}">点击查看详情</a>'}})
    assert (await sent.json())["errcode"] == 0
    template = await client.post(STAND_IN_PATH + "message/template/send", params={"access_token": token}, json={
        "touser": "o_a", "template_id": "TPL", "url": link, "data": {"first": {"value": "收到答复"}}})
    assert (await template.json())["errcode"] == 0
    picture = await client.get(STAND_IN_PATH + "media/get", params={"access_token": token, "media_id": "m1"})
    assert picture.status == 200 and (await picture.read()).startswith(b"\x89PNG")
    said = await client.post("/simulator/send", json={"openid": "o_a", "kind": "text", "value": "帮助"})
    assert said.status == 200
    chat = (await (await client.get("/simulator/messages", params={"openid": "o_a"})).json())["messages"]
    assert [m["who"] for m in chat] == ["push", "push", "me", "bot"]  # in the order it happened
    assert {"text": "点击查看详情", "href": link} in chat[0]["parts"]
    assert {"text": "详情", "href": link} in chat[1]["parts"] and chat[1]["channel"] == "template"
    later = (await (await client.get("/simulator/messages", params={"openid": "o_a", "after": chat[1]["id"]})).json())
    assert [m["who"] for m in later["messages"]] == ["me", "bot"]
    assert (await client.get("/simulator/messages", params={"openid": "<x>"})).status == 400


def test_the_stand_in_serves_only_callers_on_this_computer():
    request = make_mocked_request("POST", STAND_IN_PATH + "stable_token")
    assert _from_this_computer(request.clone(remote="127.0.0.1"))
    assert not _from_this_computer(request.clone(remote="10.20.30.40"))


def test_a_demo_with_its_own_wechat_app_keeps_talking_to_wechat(settings):
    own = replace(settings, wechat=replace(settings.wechat, app_id="wx1234567890abcdef", app_secret="s"))
    assert demo_settings(own, "0.0.0.0", 8080) == own
    assert demo_settings(settings, "0.0.0.0", 8080).wechat.api_base_url == "http://127.0.0.1:8080" + STAND_IN_PATH
    assert demo_settings(settings, "::1", 8080).wechat.api_base_url == "http://[::1]:8080" + STAND_IN_PATH

