"""The demo's livelihood projects (民生实事项目): this year's seven voted at the session out of nine candidates,
at different stages — one just started, several implementing with progress reports and a 集中视察, two completed,
one completed and evaluated at the year-end round — and two suggestions still being solicited. All through
the project engine, so every event and hash is what the product would write."""
from __future__ import annotations

import datetime as dt

from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.engine.projects import ProjectEngine
from workflow.readmodels.projects import by_ref

STAFF = Actor("staff", "demo", "演示工作人员", role="staff")

# title, unit, investment (万元), content, stage: started | progress:<percent> | completed | evaluated | out
CANDIDATES = [
    ("城区新建改建公共厕所 12 座", "cgj", "480", "在城区主要街道和农贸市场周边新建改建公共厕所 12 座。", "evaluated"),
    ("农村公路安全生命防护工程 60 公里", "jtj", "1200", "对临水临崖等危险路段增设护栏、标志标线。", "completed"),
    ("县第一中学新建学生食堂", "jyj", "2600", "新建 3,000 平方米学生食堂，解决就餐拥挤。", "completed"),
    ("老旧小区改造 8 个", "zjj", "3500", "改造城区 8 个老旧小区的管网、屋面和外墙，增设电梯条件。", "progress:65"),
    ("乡镇卫生院医疗设备提质", "wjj", "900", "为 10 个乡镇卫生院配备 DR、彩超等设备。", "progress:40"),
    ("城乡供水一体化二期", "slj", "4200", "新建水厂一座，管网延伸至 6 个乡镇。", "progress:20"),
    ("城区停车位新增 1,500 个", "cgj", "800", "利用边角地新增停车位并接入智慧停车平台。", "started"),
    ("县城新建体育公园", "wlj", "5000", "新建占地 80 亩的体育公园。", "out"),
    ("县城公交线路延伸至工业园", "jtj", "300", "新增两条公交线路。", "out"),
]
SUGGESTIONS = [("金溪镇农贸市场提质改造", "市场顶棚破损，雨天积水。"), ("石桥镇敬老院扩建", "床位不足，排队入住。")]


async def seed_projects(engine: Engine) -> None:
    projects = ProjectEngine(engine)
    today = engine.clock()
    numbers = {}
    for title, unit, investment, content, stage in CANDIDATES:
        made = await projects.suggest(STAFF, {"title": title, "content": content, "source": "department"})
        number = made.project.number
        await projects.perform(number, "promote", STAFF, {
            "screening_note": "具备实施条件，资金已纳入年度预算。", "investment": investment, "unit": unit,
            "leader": "县人民政府副县长", "planned_completion": dt.date(today.year, 12, 20).isoformat()})
        numbers[number] = stage
    for title, content in SUGGESTIONS:
        await projects.suggest(Actor("citizen", "", "群众"), {"title": title, "content": content, "source": "public"})
    await projects.record_vote(STAFF, {
        "rule": "majority_of_all", "mode": "approval", "total_deputies": 210, "present": 198, "ballots_cast": 196,
        "held_on": dt.date(today.year, 1, 8).isoformat() if today > dt.date(today.year, 1, 8) else today.isoformat(),
        "tallies": [_tally(i, n, stage) for i, (n, stage) in enumerate(numbers.items())]})
    for number, stage in numbers.items():
        if stage != "out":
            await _implement(projects, number, stage)


def _tally(i: int, number: str, stage: str) -> dict:
    """Seven pass with more than half of all 210 deputies; two fall short (96 for)."""
    if stage == "out":
        return {"project": number, "votes_for": 96, "against": 80, "abstain": 20}
    return {"project": number, "votes_for": 180 - 3 * i, "against": 10, "abstain": 6}


async def _implement(projects: ProjectEngine, number: str, stage: str) -> None:
    await projects.perform(number, "start", STAFF, {})
    if stage == "started":
        return
    async with projects.db.read() as session:
        project = await by_ref(session, number)
    unit = Actor("unit", project.unit.code, project.unit.name, assignment_id=project.id)
    percent = int(stage.split(":")[1]) if stage.startswith("progress") else 80
    await projects.perform(number, "report_progress", unit, {"percent": percent, "text": "按计划推进，已完成招标和主体施工。"})
    await projects.perform(number, "record_inspection", STAFF, {
        "day": projects.engine.clock().isoformat(), "participants": "县人大常委会组成人员、部分县人大代表 15 人",
        "findings": "进度符合计划，建议加强施工安全管理。"})
    if stage in ("completed", "evaluated"):
        await projects.perform(number, "complete", STAFF, {"text": "项目已建成投入使用。"})
    if stage == "evaluated":
        await projects.record_evaluation(number, 0, "year_end", {
            "deputy": {"satisfied": 152, "basically_satisfied": 30, "unsatisfied": 0, "abstain": 0},
            "member": {"satisfied": 25, "basically_satisfied": 3, "unsatisfied": 0, "abstain": 1}})
