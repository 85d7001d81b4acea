"""Livelihood projects' 征集 and 初定 through HTTP: staff open a solicitation window in the console, a
citizen suggests on /ms and a deputy through the bot, staff merge a duplicate and promote one with the
government's screening note; a viewer reads only; a burst from one address is refused at the door with
nothing accepted lost; the public list /ms/projects shows only voted projects and never the suggester."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from storage.models import Project
from tests.support.bot import bind, bot_client
from tests.support.console import post_form, signed_in
from workflow.domain.rules import Actor
from workflow.engine.projects import ProjectEngine
from workflow.usecases.accounts import add_user

TODAY = dt.date(2026, 9, 10)
NAME, PHONE = "王秀英", "13912345678"


@pytest.fixture
async def town(aiohttp_client, settings, engine, api, staff, auth, clock):
    """The console signed in as 王干事, the roster entered, and 张三丰 (D001) bound to the bot as o_zhang."""
    clock.today = TODAY
    bot, wechat, _hook = await bot_client(aiohttp_client, settings, engine)
    await bind(bot, auth, wechat, "o_zhang", "D001")
    return staff, wechat


async def _window(staff, opens: str, closes: str, year: str = "2027", note: str = ""):
    return await post_form(staff, "/console/projects/windows", {"year": year, "opens_on": opens, "closes_on": closes,
                                                                 "note": note}, token_from="/console/projects")


async def _suggest(client, title: str, content: str, address: str = "198.51.100.7", **extra):
    return await client.post("/ms", data={"title": title, "content": content, **extra},
                             headers={"X-Forwarded-For": address}, allow_redirects=False)


async def _act(staff, number: str, action: str, **fields):
    page = f"/console/projects/{number}"
    return await post_form(staff, f"{page}/act", {"action": action, **fields}, token_from=page)


async def test_outside_a_window_the_page_and_the_bot_refuse_and_say_when_the_next_opens(town, api):
    staff, wechat = town
    page = await staff.get("/ms")
    assert page.status == 200 and "目前也没有已安排的征集期" in await page.text()
    posted = await _suggest(staff, "城区新建公厕", "老城区公厕不足。")
    text = await posted.text()
    assert posted.status == 409 and "不在民生实事项目征集期内" in text and "老城区公厕不足。" in text
    reply = await wechat.text("o_zhang", "民生实事建议 城区新建公厕\n老城区公厕不足。")
    assert "目前也没有已安排的征集期" in reply.text
    assert (await _window(staff, "2026-10-01", "2026-10-31", note="请围绕教育、交通、养老提出。")).status == 303
    later = await (await staff.get("/ms")).text()
    assert "2026-10-01 至 2026-10-31" in later and 'name="title"' not in later and "请围绕教育" in later
    reply = await wechat.text("o_zhang", "民生实事建议 城区新建公厕\n老城区公厕不足。")
    assert "2026-10-01 至 2026-10-31" in reply.text
    backwards = await _window(staff, "2026-11-30", "2026-11-01")
    shown = await backwards.text()
    assert backwards.status == 400 and "截止日期不能早于开始日期" in shown and "2026-11-30" in shown
    overlapping = await _window(staff, "2026-10-20", "2026-11-20")
    assert overlapping.status == 400 and "重叠" in await overlapping.text()
    assert (await api.get("/api/v1/projects")).body["total"] == 0


async def test_a_citizen_and_a_deputy_suggest_staff_merge_the_duplicate_and_promote_one(town, api):
    staff, wechat = town
    assert (await _window(staff, "2026-09-01", "2026-09-30")).status == 303
    form = await (await staff.get("/ms")).text()
    assert "征集 2027 年民生实事项目建议" in form and 'name="website"' in form
    posted = await _suggest(staff, "城区新建两座公厕", "老城区人口密集，公厕不足。", suggested_by=NAME,
                            suggested_phone=PHONE)
    assert posted.status == 303 and posted.headers["Location"] == "/ms/thanks/MS2027-01"
    thanks = await (await staff.get("/ms/thanks/MS2027-01")).text()
    assert "MS2027-01" in thanks and "谢谢" in thanks
    reply = await wechat.text("o_zhang", "民生实事建议 城区新建公厕\n建议在东街新建一座公厕。")
    assert "MS2027-02" in reply.text and "城区新建公厕" in reply.text
    citizen, deputy = (await api.get("/api/v1/projects/MS2027-01")).body, (await api.get("/api/v1/projects/MS2027-02")).body
    assert citizen["source"] == "public" and citizen["suggested_by"] == {"name": NAME, "phone": PHONE}
    assert deputy["source"] == "deputy" and deputy["suggested_by"]["name"] == "张三丰" and deputy["year"] == 2027

    merged = await _act(staff, "MS2027-02", "merge", into="MS2027-01")
    assert merged.status == 303, await merged.text()
    assert (await api.get("/api/v1/projects/MS2027-02")).body["state"] == "withdrawn"
    assert "已合并到" in await (await staff.get("/console/projects/MS2027-02")).text()
    target = await (await staff.get("/console/projects/MS2027-01")).text()
    assert "合并进来的建议" in target and "MS2027-02" in target and PHONE in target  # staff see the contact

    due = (TODAY + dt.timedelta(days=300)).isoformat()
    short = await _act(staff, "MS2027-01", "promote", screening_note="资金已落实，具备实施条件。", unit="JTJ",
                       planned_completion=due, investment="")
    text = await short.text()
    assert short.status == 400 and "列为候选项目前须填写：投资" in text and "资金已落实，具备实施条件。" in text
    assert (await api.get("/api/v1/projects/MS2027-01")).body["state"] == "solicited"
    promoted = await _act(staff, "MS2027-01", "promote", screening_note="资金已落实，具备实施条件。", unit="JTJ",
                          planned_completion=due, investment="120", leader="李副县长")
    assert promoted.status == 303, await promoted.text()
    body = (await api.get("/api/v1/projects/MS2027-01")).body
    assert body["state"] == "candidate" and body["screening_note"] == "资金已落实，具备实施条件。"
    assert body["unit"] == "JTJ" and body["investment"] == "120"
    page = await (await staff.get("/console/projects/MS2027-01?done=promote")).text()
    assert "已完成：列为候选项目" in page and "王干事" in page and "政府初定意见" in page


async def test_staff_enter_a_departments_suggestion_and_bad_input_keeps_what_was_typed(town, api):
    staff, _wechat = town
    fields = {"title": "乡镇卫生院设备更新", "content": "为 8 个乡镇卫生院更新彩超。", "source": "department",
              "suggested_by": "县卫健局", "source_ref": "卫健〔2026〕12号", "year": "20x7"}
    bad = await post_form(staff, "/console/projects", fields, token_from="/console/projects")
    text = await bad.text()
    assert bad.status == 400 and "年度应为四位数字" in text and "卫健〔2026〕12号" in text
    made = await post_form(staff, "/console/projects", {**fields, "year": "2027"}, token_from="/console/projects")
    assert made.status == 303 and made.headers["Location"].startswith("/console/projects/MS2027-01")
    body = (await api.get("/api/v1/projects/MS2027-01")).body
    assert body["source"] == "department" and body["source_ref"] == "卫健〔2026〕12号"
    listed = await (await staff.get("/console/projects?year=2027")).text()
    assert "乡镇卫生院设备更新" in listed and "政府部门" in listed
    missing = await staff.get("/console/projects/MS2099-01")
    assert missing.status == 404 and "找不到" in await missing.text()


async def test_a_viewer_reads_the_project_but_cannot_act(town, api, client, db):
    staff, _wechat = town
    made = await api.post("/api/v1/projects", {"title": "公交线路延伸", "content": "延伸到工业园。", "source": "department"})
    number = made.body["number"]
    await add_user(db, "zhao", "viewer", "correct-horse-9")
    staff.session.cookie_jar.clear()
    await signed_in(client, "zhao", "correct-horse-9")
    page = await (await client.get(f"/console/projects/{number}")).text()
    assert "公交线路延伸" in page and "只能查看" in page and 'name="action"' not in page
    refused = await _act(client, number, "withdraw", reason="重复")
    assert refused.status == 403
    window = await _window(client, "2026-09-01", "2026-09-30")
    assert window.status == 403
    assert (await api.get(f"/api/v1/projects/{number}")).body["state"] == "solicited"
    assert "还没有开放过征集期" in await (await client.get("/console/projects")).text()


async def test_a_hundred_posts_from_one_address_are_mostly_refused_and_none_accepted_is_lost(town, db, settings):
    staff, _wechat = town
    assert (await _window(staff, "2026-09-01", "2026-09-30")).status == 303
    accepted, refused = [], 0
    for i in range(100):
        response = await _suggest(staff, f"第 {i} 条建议", "修补城区道路坑洼。", address="203.0.113.9")
        if response.status == 303:
            accepted.append(response.headers["Location"].rsplit("/", 1)[1])
        else:
            text = await response.text()
            assert response.status == 429 and "提交太频繁" in text and f"第 {i} 条建议" in text
            refused += 1
    assert refused >= 90 and len(accepted) == settings.projects.posts_per_address
    async with db.read() as session:
        stored = (await session.execute(select(Project.number))).scalars().all()
    assert sorted(stored) == sorted(accepted)
    again = await _suggest(staff, "第 0 条建议", "修补城区道路坑洼。", address="203.0.113.9")
    assert again.status == 303 and again.headers["Location"].endswith(accepted[0])  # a retried post: same number
    robot = await _suggest(staff, "robot", "spam", address="198.51.100.21", website="http://spam")
    assert robot.status == 400
    phone = await _suggest(staff, "修路", "修路。", address="198.51.100.22", suggested_phone="not-a-phone")
    assert phone.status == 400 and "联系电话" in await phone.text()
    empty = await _suggest(staff, "  ", "修路。", address="198.51.100.23")
    assert empty.status == 400 and "请填写项目名称" in await empty.text()
    other = await _suggest(staff, "另一个地址的建议", "新建口袋公园。", address="203.0.113.10")
    assert other.status == 303  # another address is not held up
    async with db.read() as session:
        assert len((await session.execute(select(Project.number))).scalars().all()) == len(accepted) + 1


async def _candidate(api, title: str, due: str) -> str:
    made = await api.post("/api/v1/projects", {"title": title, "content": f"{title}的内容。", "source": "public",
                                               "suggested_by": NAME, "suggested_phone": PHONE})
    number = made.body["number"]
    promoted = await api.post(f"/api/v1/projects/{number}/actions", {
        "action": "promote", "screening_note": "具备实施条件。", "investment": "350", "unit": "JTJ",
        "planned_completion": due})
    assert promoted.status == 200, promoted.body
    return number


async def test_the_public_list_shows_only_voted_projects_and_never_the_suggester(town, api, engine):
    staff, _wechat = town
    due = (TODAY + dt.timedelta(days=100)).isoformat()
    a, b = await _candidate(api, "农村道路硬化", due), await _candidate(api, "老旧小区改造", due)
    await api.post("/api/v1/projects", {"title": "城区停车场", "content": "新建停车场。", "suggested_by": NAME})
    vote = await api.post("/api/v1/projects/votes", {
        "rule": "majority_of_all", "total_deputies": 200, "present": 180, "ballots_cast": 178,
        "tallies": [{"project": a, "votes_for": 150, "against": 20, "abstain": 8},
                    {"project": b, "votes_for": 60, "against": 100, "abstain": 18}]})
    assert vote.status == 201, vote.body
    assert (await api.post(f"/api/v1/projects/{a}/actions", {"action": "start"})).status == 200
    project_id = (await api.get(f"/api/v1/projects/{a}")).body["id"]
    projects = ProjectEngine(engine)  # the unit's report and the 测评 round: their own pages are not this file's
    await projects.perform(a, "report_progress", Actor("unit", "JTJ", "县交通运输局", assignment_id=project_id),
                           {"percent": 40, "text": "已完成路基施工 12 公里。"})
    await projects.record_evaluation(a, 1, "mid_year", {"deputy": {"satisfied": 80, "basically_satisfied": 15,
                                                                   "unsatisfied": 5}})
    page = await staff.get(f"/ms/projects?year={TODAY.year}")
    text = await page.text()
    assert page.status == 200 and "农村道路硬化" in text and "县交通运输局" in text and "350 万元" in text
    assert due in text and "40%" in text and "已完成路基施工 12 公里。" in text
    assert "年中测评" in text and "满意和基本满意率 95.0%" in text
    assert "老旧小区改造" not in text and "城区停车场" not in text
    assert NAME not in text and PHONE not in text
    shown = await (await staff.get(f"/ms/projects?year={TODAY.year}", headers={"Accept": "application/json"})).text()
    assert NAME not in shown and PHONE not in shown and "suggested_by" not in shown and a in shown
    console = await (await staff.get(f"/console/projects/{a}")).text()
    assert "本项目：赞成 150，反对 20，弃权 8" in console and "已完成路基施工 12 公里。" in console
    assert "满意和基本满意率 95.0%" in console and NAME in console  # staff see who suggested it
    bad = await staff.get("/ms/projects?year=abc")
    assert bad.status == 400 and "年份" in await bad.text()
    empty = await (await staff.get("/ms/projects?year=2020")).text()
    assert "2020 年还没有票决通过的民生实事项目" in empty
