"""The responsible unit's link of a livelihood project (/u/p<...>): started, the API detail carries the link and
the unit's notification opens it; the unit reports 40% with a photo (form) and more (JSON), each report moving the
next due date on, then completes; a tampered link answers 403 in Chinese, another project's link acts on nothing."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from aiohttp import FormData
from sqlalchemy import select

from notify.pipeline import Sender
from storage.models import OutboxMessage, ProjectPhoto
from workflow.domain.deadlines import due_date

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JSON = {"Accept": "application/json"}


async def _voted(api, *titles: str) -> list[str]:
    numbers = []
    for title in titles:
        made = await api.post("/api/v1/projects", {"title": title, "content": f"{title}的内容。", "source": "department"})
        numbers.append(made.body["number"])
        promoted = await api.post(f"/api/v1/projects/{numbers[-1]}/actions", {
            "action": "promote", "screening_note": "可行。", "investment": "80", "unit": "JTJ",
            "planned_completion": (api.clock() + dt.timedelta(days=120)).isoformat()})
        assert promoted.status == 200, promoted.body
    vote = await api.post("/api/v1/projects/votes", {
        "total_deputies": 100, "present": 90, "ballots_cast": 90,
        "tallies": [{"project": n, "votes_for": 80, "against": 5, "abstain": 5} for n in numbers]})
    assert vote.status == 201, vote.body
    return numbers


async def _started(api, number: str) -> str:
    started = await api.post(f"/api/v1/projects/{number}/actions", {"action": "start"})
    assert started.status == 200, started.body
    detail = (await api.get(f"/api/v1/projects/{number}")).body
    assert detail["link"].startswith("/u/p")
    return detail["link"]


def _report(percent: str, text: str, *photos: bytes) -> FormData:
    form = FormData()
    form.add_field("action", "report_progress")
    form.add_field("percent", percent)
    form.add_field("text", text)
    for i, data in enumerate(photos):
        form.add_field("photo", data, filename=f"site{i}.png", content_type="image/png")
    return form


async def test_the_unit_reports_progress_with_a_photo_then_completes(api, client, settings, db, clock):
    (number,) = await _voted(api, "城区新建公厕")
    link = await _started(api, number)
    first_due = due_date(clock.today, settings.projects.progress_every).due.isoformat()
    opened = await client.get(link, headers=JSON)
    body = await opened.json()
    assert opened.status == 200 and body["project"]["number"] == number
    assert body["project"]["progress_due"] == first_due and "suggested_by" not in body["project"]
    assert set(body["allowed_actions"]) == {"report_progress", "complete"}

    clock.advance(10)
    reported = await client.post(link, data=_report("40", "主体已完工，正在安装设备。", PNG), allow_redirects=False)
    assert reported.status == 303, await reported.text()
    page = await (await client.get(reported.headers["Location"])).text()
    assert "进展已报告" in page and "完成 40%" in page and "主体已完工" in page
    detail = (await api.get(f"/api/v1/projects/{number}")).body
    assert detail["progress_percent"] == 40
    assert detail["progress_due"] == due_date(clock.today, settings.projects.progress_every).due.isoformat()
    photo_url = (await (await client.get(link, headers=JSON)).json())["project"]["progress"][0]["photos"][0]
    shown = await client.get(photo_url)
    assert shown.status == 200 and shown.content_type == "image/png" and await shown.read() == PNG
    async with db.read() as session:
        assert len((await session.execute(select(ProjectPhoto))).scalars().all()) == 1

    wrong = await client.post(link, data=_report("150", "写错了百分比。"))
    text = await wrong.text()
    assert wrong.status == 400 and "0 到 100" in text and "写错了百分比。" in text
    not_photo = await client.post(link, data=_report("50", "附件不是照片。", b"GIF89a..."))
    assert not_photo.status == 400 and "JPG 或 PNG" in await not_photo.text()

    more = await client.post(link, json={"action": "report_progress", "percent": 70, "text": "设备已安装。"})
    assert more.status == 200 and [p["percent"] for p in (await more.json())["project"]["progress"]] == [40, 70]
    done = await client.post(link, json={"action": "complete", "text": "已建成并投入使用。"})
    finished = await done.json()
    assert done.status == 200 and finished["project"]["state"] == "completed" and finished["allowed_actions"] == []
    late = await client.post(link, json={"action": "report_progress", "percent": 100, "text": "再报一次。"})
    assert late.status == 409 and "不能" in (await late.json())["message"]


async def test_the_started_notification_carries_the_units_link(api, client, db, settings):
    (number,) = await _voted(api, "农村道路硬化")
    link = await _started(api, number)
    async with db.read() as session:
        row = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "project_started"))).scalar_one()
    assert (row.recipient_kind, row.recipient_id) == ("unit", "JTJ")
    sender = Sender(db, None, settings, None, None, None, name="test")
    out = await sender._outgoing(row, SimpleNamespace(kind="unit", key="JTJ", openid="o-unit"))
    assert out.url == f"http://testserver{link}"
    assert f"【民生实事 {number}】" in out.text and "报告第一次实施进展" in out.text
    assert (await client.get(out.url.removeprefix("http://testserver"), headers=JSON)).status == 200


async def test_a_tampered_or_another_projects_link_changes_nothing(api, client):
    a, b = await _voted(api, "学校食堂改造", "老旧小区改造")
    link_a = await _started(api, a)
    token = link_a.removeprefix("/u/")
    project_b = (await api.get(f"/api/v1/projects/{b}")).body["id"]
    forged = "/u/p" + str(project_b) + token[token.index("."):]
    for bad in (forged, link_a[:-3] + "xyz"):
        refused = await client.post(bad, json={"action": "report_progress", "percent": 30, "text": "冒用链接。"})
        assert refused.status == 403 and "链接无效" in (await refused.json())["message"]
        page = await client.get(bad)
        assert page.status == 403 and "链接无效" in await page.text()
    link_b = (await api.get(f"/api/v1/projects/{b}")).body["link"]  # voted in, not started yet
    early = await client.post(link_b, json={"action": "report_progress", "percent": 10, "text": "提前报告。"})
    assert early.status == 409
    aside = await client.post(link_a, json={"action": "report_progress", "percent": 20, "text": "本项目进展。",
                                            "project": b, "unit": "JYJ"})
    assert aside.status == 200
    assert (await api.get(f"/api/v1/projects/{b}")).body["progress"] == []
    assert [p["percent"] for p in (await api.get(f"/api/v1/projects/{a}")).body["progress"]] == [20]
