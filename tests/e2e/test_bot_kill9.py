"""kill -9 of the server while a deputy's 确认提交 is being handled, again and again: after a restart and
WeChat's retry (the same message 5 s later), every draft is submitted, each exactly once."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time

import aiohttp
from sqlalchemy import func, select

from storage.models import BotInbound, Event, Proposal
from tests.conftest import ROOT
from tests.support.notify import free_port
from tests.support.wechat_protocol import WechatSide

TRIALS = 8
FORM = "提建议\n标题：关于第{n}条乡道修缮的建议\n内容：乡道坑洼，雨天难行，建议尽快修缮。\n类别：城建"


class Server:
    def __init__(self, settings, port: int):
        self.port, self.process = port, None
        self.env = dict(os.environ, JIANYI_DATABASE_URL=settings.database_url(),
                        JIANYI_SERVER_DATA_DIR=settings.server.data_dir, JIANYI_SERVER_PORT=str(port),
                        JIANYI_REDIS_URL=settings.redis.url)
        self.log = open(os.path.join(settings.server.data_dir, "server.log"), "ab")

    async def start(self, http: aiohttp.ClientSession) -> None:
        self.process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--role", "web"], cwd=ROOT,
                                        env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{self.port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


async def _deliver_and_kill(server: Server, wechat: WechatSide, xml: str, after: float) -> None:
    """Send `xml` and kill the server `after` seconds later, whatever it was doing."""
    sending = asyncio.ensure_future(wechat.deliver(xml, "o_zhang"))
    await asyncio.sleep(after)
    server.kill()
    try:
        await asyncio.wait_for(sending, 10)
    except (aiohttp.ClientError, asyncio.TimeoutError):
        pass


async def test_kill_9_during_confirm_submit_never_loses_the_submission(settings, db, auth):
    rng = random.Random(20261202)
    phases: list[str] = []  # where each kill landed: before the claim, claimed but unfinished, answered
    server = Server(settings, free_port())
    async with aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{server.port}"
        wechat = WechatSide(http, settings.wechat.token, url=f"{base}/wechat")
        try:
            await server.start(http)
            async with http.post(f"{base}/api/v1/deputies", json={"number": "D001", "name": "张三"}, headers=auth) as r:
                assert r.status == 201
            async with http.post(f"{base}/api/v1/deputies/D001/binding-code", headers=auth) as r:
                code = (await r.json())["code"]
            assert "绑定成功" in (await wechat.text("o_zhang", f"绑定 {code}")).text
            for n in range(1, TRIALS + 1):
                created = await wechat.text("o_zhang", FORM.format(n=n))
                assert "草稿已保存" in created.text, created.text
                sent_at, msg_id = time.monotonic(), 920000000000000000 + n
                xml = wechat.text_xml("o_zhang", "确认提交", msg_id)
                await _deliver_and_kill(server, wechat, xml, after=rng.uniform(0.0, 0.25))
                phases.append(await _phase(db, f"m:o_zhang:{msg_id}"))
                await server.start(http)
                await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - sent_at)))  # WeChat retries ~5 s later
                retry = await wechat.deliver(xml, "o_zhang")
                assert retry.status == 200 and "已提交" in (retry.text or ""), (n, retry)
        finally:
            server.stop()
    async with db.read() as session:
        states = (await session.execute(select(Proposal.state))).scalars().all()
        submits = (await session.execute(select(func.count()).select_from(Event)
                                         .where(Event.action == "submit"))).scalar_one()
    assert states == ["submitted"] * TRIALS and submits == TRIALS, phases


async def _phase(db, key: str) -> str:
    async with db.read() as session:
        row = (await session.execute(select(BotInbound).where(BotInbound.key == key))).scalars().first()
    return "unclaimed" if row is None else "answered" if row.answer else "claimed, unfinished"
