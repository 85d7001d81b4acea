"""Every date is Beijing's, on a server whose own clock says UTC (TZ=UTC): a proposal's number and year, the
day of assignment its deadlines count from, the contact date a unit may enter, the times on the timeline
and in the ledger. Run through HTTP at 23:30 and 00:30 Beijing time (the engine's default clock, told the
moment), and as a real `run.py serve` subprocess started with TZ=UTC."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ROOT
from tests.support.api import Api
from workflow.domain import clock as beijing
from workflow.engine.engine import Engine

UTC = dt.timezone.utc
LATE_EVENING = dt.datetime(2026, 12, 31, 15, 30, tzinfo=UTC)  # 23:30 on 12-31 in Beijing
AFTER_MIDNIGHT = dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 2027-01-01 in Beijing; UTC still 12-31


@pytest.fixture
def server_in_utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield monkeypatch
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
async def default_clock_api(aiohttp_client, db, settings, staff_token, server_in_utc):
    """The app with the engine's own default clock (no test clock injected)."""
    from run import build_app

    client = await aiohttp_client(build_app(settings, Engine(db, settings)))
    api = Api(client, {"Authorization": f"Bearer {staff_token}"})
    await api.roster()
    return api


@pytest.mark.parametrize("moment, today", [(LATE_EVENING, dt.date(2026, 12, 31)),
                                           (AFTER_MIDNIGHT, dt.date(2027, 1, 1))], ids=["23:30", "00:30"])
async def test_key_paths_count_beijings_date_on_a_utc_server(default_clock_api, server_in_utc, moment, today):
    api = default_clock_api
    server_in_utc.setattr(beijing, "_source", lambda: moment)
    number = await api.take_to("handling", co=None)
    assert number.startswith(f"{today.year}-"), number  # submitted before 08:00 on 1 January: the new year
    share = (await api.detail(number))["assignments"][0]
    assert share["assigned_on"] == today.isoformat()
    assert all(d["explanation"].startswith(f"自 {today:%Y-%m-%d} 起") for d in share["deadlines"])
    link = await api.link(number, "JYJ")
    tomorrow = await api.unit_act(link, "log_contact", method="电话", summary="电话沟通办理思路。",
                                  contacted_on=(today + dt.timedelta(days=1)).isoformat())
    assert tomorrow.status == 400 and "不能晚于今天" in tomorrow.message()
    await api.unit_ok(link, "log_contact", method="电话", summary="电话沟通办理思路。", contacted_on=today.isoformat())
    await api.reply(link, "B")
    assert (await api.detail(number))["state"] == "replied"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Http:
    def __init__(self, base: str, token: str = ""):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body=None, accept: str = "application/json"):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": accept, **({"Content-Type": "application/json"} if data else {})}
        if self.token and path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as exc:
            text, status = exc.read().decode(), exc.code
        assert status < 300, (method, path, status, text)
        return json.loads(text) if accept == "application/json" else text


def _beijing_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_a_server_started_with_tz_utc_dates_everything_in_beijing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    env.update(TZ="UTC", JIANYI_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'utc.db'}",
               JIANYI_SERVER_DATA_DIR=str(tmp_path))
    made = subprocess.run([sys.executable, str(ROOT / "run.py"), "user", "add", "wang", "--role", "staff"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    port, today = _free_port(), _beijing_today()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--role", "web", "--port",
                                   str(port)], cwd=tmp_path, env=env, stdout=out, stderr=out)
    try:
        http = _Http(f"http://127.0.0.1:{port}", made.stdout.strip())
        deadline = time.monotonic() + 60
        while True:
            try:
                http.call("GET", "/healthz", accept="text/plain")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, log.read_text()
                time.sleep(0.2)
        number = _walk_key_paths(http, today)
        detail = http.call("GET", f"/api/v1/proposals/{number}")
        page = http.call("GET", "/u/" + detail["assignments"][0]["link"].rsplit("/u/", 1)[1], accept="text/html")
    finally:
        server.terminate()
        server.wait(timeout=30)
    if _beijing_today() != today:
        pytest.skip("Beijing's midnight passed during the test")
    assert number.startswith(f"{today.year}-")
    share = detail["assignments"][0]
    assert share["assigned_on"] == today.isoformat()
    assert all(d["explanation"].startswith(f"自 {today:%Y-%m-%d} 起") for d in share["deadlines"])
    assert share["contacts"][0]["date"] == today.isoformat()
    # The timeline's times are Beijing's: each event's stored UTC time falls on the day deadlines count from.
    for event in detail["events"]:
        shown = beijing.shown(dt.datetime.fromisoformat(event["at"]))
        assert shown.startswith(today.isoformat()) and shown in page, (event["label"], shown)
    submitted, assigned = asyncio.run(_ledger_times(env["JIANYI_DATABASE_URL"], today.year, tmp_path))
    assert submitted.date() == today and assigned.date() == today and submitted <= assigned


def _walk_key_paths(http: _Http, today: dt.date) -> str:
    """create, submit, accept, assign, sign, log_contact dated today, reply."""
    http.call("POST", "/api/v1/deputies", {"number": "D001", "name": "张三丰", "delegation": "城关镇", "phone": ""})
    http.call("POST", "/api/v1/units", {"code": "JYJ", "name": "县教育局", "contact_name": "", "contact_phone": ""})
    number = http.call("POST", "/api/v1/proposals", {"lead_deputy": "D001", "title": "关于改善城关中学校舍的建议",
                                                     "content": "城关中学教学楼年久失修。"})["number"]
    http.call("POST", f"/api/v1/proposals/{number}/actions", {"action": "accept", "category": "教育"})
    http.call("POST", f"/api/v1/proposals/{number}/actions", {"action": "assign", "lead_units": ["JYJ"]})
    link = "/u/" + http.call("GET", f"/api/v1/proposals/{number}")["assignments"][0]["link"].rsplit("/u/", 1)[1]
    http.call("POST", link, {"action": "sign"})
    http.call("POST", link, {"action": "log_contact", "method": "面谈", "summary": "当面沟通。",
                             "contacted_on": today.isoformat()})
    http.call("POST", link, {"action": "reply", "category": "B", "text": "已列入今年计划。", "signer": "周局长",
                             "promise_date": (today + dt.timedelta(days=90)).isoformat()})
    return number


async def _ledger_times(url: str, year: int, tmp_path) -> tuple[dt.datetime, dt.datetime]:
    from storage.db import Database
    from workflow.readmodels.ledger import PROPOSAL_COLUMNS, ledger_chunks

    db = Database(url, chain_key=(tmp_path / "audit" / "chain.key").read_bytes())
    try:
        async for proposals, _ in ledger_chunks(db, year):
            names = [name for name, _width in PROPOSAL_COLUMNS]
            row = proposals[0]
            return row[names.index("提交时间")], row[names.index("交办时间")]
    finally:
        await db.dispose()
    raise AssertionError(f"no proposal of {year} in the ledger")
