"""The session's 办理情况报告 draft (.docx), from the console and from `run.py report session <id>`: it names
the session, counts each kind and the 议案转建议 apart, and prints the very figures GET /api/v1/stats gives."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import docx
import pytest

from web.reports.session_docx import percent
from workflow.domain.definition import REPLY_CATEGORIES
from workflow.domain.tallies import RATE_LABELS, RATES

ROOT = Path(__file__).resolve().parents[2]
D = dt.date
FIFTH = {"term": 18, "number": 5, "name": "衡阳县第十八届人民代表大会第五次会议",
         "opens_on": "2026-01-10", "closes_on": "2026-01-13"}
TITLE = "关于县十八届人大五次会议代表建议办理情况的报告"
FILENAME = "县十八届人大五次会议代表建议办理情况的报告（草稿）.docx"


@pytest.fixture
async def session_id(api, clock):
    """The fifth session: four 大会建议 (one of them a 议案转建议, one key, led by 李副县长) and one 闭会期间建议."""
    created = await api.post("/api/v1/sessions", FIFTH)
    assert created.status == 201, created.body
    clock.today = D(2026, 1, 11)
    await api.take_to("closed")
    key = await api.take_to("replied", title="关于修缮城关镇中心小学操场的建议")
    await api.ok(key, "mark_key", leader="李副县长", committee="教科文卫工委")
    await api.take_to("assigned", origin="motion", title="关于建设县城第二水厂的建议")
    await api.submit(title="关于增设农村客运班线的建议")
    clock.today = D(2026, 3, 2)
    await api.take_to("replied", lead="JTJ", co=None, title="关于整治国道沿线村庄环境的建议")
    clock.today = D(2026, 6, 1)
    return created.body["id"]


def _tables(document) -> dict[str, list[list[str]]]:
    """Each table's rows (cells' text), by its header's first two cells."""
    found = {}
    for table in document.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        found["/".join(rows[0][:2])] = rows
    return found


def _check_figures(document, stats: dict) -> None:
    """The rates table holds every rate under its one name, printed as GET /api/v1/stats gives it."""
    rates = {row[0]: row[1:] for row in _tables(document)["指标/数值"][1:]}
    assert list(rates) == [RATE_LABELS[name] for name in RATES]
    for name, (part, whole) in RATES.items():
        value, counted = rates[RATE_LABELS[name]]
        assert value == percent(stats[name]), (name, value, stats[name])
        assert counted == f"{stats[part]} / {stats[whole]}", name


def _check_totals(document, stats: dict, by_kind: dict) -> None:
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text == TITLE and FIFTH["name"] in text
    totals = {row[0]: row[1:] for row in _tables(document)["类别/收到"][1:]}
    # received, referred, withdrawn, waiting, assigned, replied, 办复率
    assert totals["大会建议"][0] == "4" and totals["闭会期间建议"][0] == "1" and totals["合计"][0] == "5"
    assert totals["其中：议案转建议"][0] == "1" and totals["合计"][3] == "1"  # one waits to be accepted
    for label, figures in (("大会建议", by_kind["session"]), ("闭会期间建议", by_kind["interim"]),
                           ("合计", stats), ("其中：议案转建议", by_kind["motion"])):
        assert totals[label][4:] == [str(figures["assigned"]), str(figures["replied"]), percent(figures["reply_rate"])]
    assert "议案转建议）1件，单独统计" in text


async def _api_figures(api, session_id: int) -> tuple[dict, dict]:
    stats = (await api.get("/api/v1/stats", session=str(session_id))).body
    by_kind = {kind: (await api.get("/api/v1/stats", session=str(session_id), kind=kind)).body
               for kind in ("session", "interim")}
    by_kind["motion"] = (await api.get("/api/v1/stats", session=str(session_id), origin="motion")).body
    return stats, by_kind


async def test_the_console_draft_names_the_session_and_prints_the_api_figures(staff, api, session_id):
    page = await (await staff.get("/console/sessions")).text()
    assert f'href="/console/sessions/{session_id}/report.docx"' in page
    answer = await staff.get(f"/console/sessions/{session_id}/report.docx")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert f"filename*=UTF-8''{quote(FILENAME)}" in answer.headers["Content-Disposition"]
    document = docx.Document(BytesIO(await answer.read()))
    stats, by_kind = await _api_figures(api, session_id)
    assert stats["assigned"] == 4 and stats["replied"] == 3 and by_kind["motion"]["assigned"] == 1
    _check_totals(document, stats, by_kind)
    _check_figures(document, stats)
    key = _tables(document)["序号/建议"]
    assert len(key) == 2 and key[1][1] == "第2号" and key[1][3] == "李副县长" and key[1][5] == "县教育局"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "三、存在的问题" in text and "【请补充】" in text and "附：统计口径说明" in text
    assert "由李副县长等领导领办" in text
    # Each lead unit's newest reply by category (the three replied proposals were answered B).
    assert f"B类（{REPLY_CATEGORIES['B']}）3件" in text and f"A类（{REPLY_CATEGORIES['A']}）0件" in text
    # 县交通运输局 led one proposal: fewer than dashboard.min_proposals (3), listed, not ranked.
    assert "未参加排名的承办单位：县交通运输局（1件）" in text


async def test_an_unknown_session_gets_a_chinese_404_and_a_stranger_signs_in_first(staff, client, api, session_id):
    missing = await staff.get("/console/sessions/999/report.docx")
    assert missing.status == 404 and "找不到" in await missing.text()
    odd = await staff.get("/console/sessions/abc/report.docx")
    assert odd.status == 404 and "找不到" in await odd.text()
    client.session.cookie_jar.clear()
    stranger = await client.get(f"/console/sessions/{session_id}/report.docx", allow_redirects=False)
    assert stranger.status in (302, 303) and stranger.headers["Location"].startswith("/login")


async def _run_report(settings, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database_url(),
           "JIANYI_SERVER_DATA_DIR": settings.server.data_dir}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "report", "session", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode(), err.decode()


async def test_the_command_writes_the_same_draft_and_prints_its_path(settings, api, session_id):
    code, out, err = await _run_report(settings, str(session_id))
    assert code == 0, err
    written = Path(out.strip().splitlines()[-1])
    assert written == settings.data_path("reports", FILENAME) and written.exists()
    document = docx.Document(str(written))
    stats, by_kind = await _api_figures(api, session_id)
    _check_totals(document, stats, by_kind)
    _check_figures(document, stats)
    code, out, err = await _run_report(settings, "999")
    assert code == 1 and "找不到编号为 999 的届次会议" in err and out == ""


async def test_a_session_without_proposals_still_gets_a_draft_with_nothing_invented(staff, api):
    created = await api.post("/api/v1/sessions", {**FIFTH, "number": 6, "name": "衡阳县第十八届人民代表大会第六次会议",
                                                  "opens_on": "2026-12-28", "closes_on": "2027-01-02"})
    answer = await staff.get(f"/console/sessions/{created.body['id']}/report.docx")
    assert answer.status == 200
    document = docx.Document(BytesIO(await answer.read()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text == "关于县十八届人大六次会议代表建议办理情况的报告"
    assert "于2026年12月28日至2027年1月2日召开" in text and "办复率暂无" in text
    assert {row[1] for row in _tables(document)["指标/数值"][1:]} == {percent(None)}
    assert "尚未确定重点督办建议" in text and "本次不排名" in text
