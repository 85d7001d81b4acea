"""The deputy's word for livelihood projects (民生实事项目):

- 民生实事建议 <项目名称>
  <内容>                 one suggestion (征集): the first line after the word is its title, the rest its content.

Taken only while a 征集期 is open (workflow/readmodels/projects.py `open_window`, Beijing today from the
engine's clock); outside one the answer says when the next opens. Calls `ProjectEngine.suggest` with the
deputy as the actor and source "deputy"; its refusals come back as its own words.
"""
from __future__ import annotations

import re

from bot.asks import DEPUTY, Ask, Command, Reply
from workflow.engine.projects import ProjectEngine
from workflow.readmodels import projects as views

USAGE = ("提民生实事项目建议的格式：\n民生实事建议 项目名称\n项目内容（另起一行，写明要解决什么问题、在哪里、怎么办）\n"
         "例如：\n民生实事建议 城区新建两座公厕\n老城区人口密集，公厕不足，建议在东街和西街各建一座。")


def split(body: str) -> tuple[str, str]:
    """(title, content): the first line is the title, the lines after it the content."""
    first, _, rest = body.strip().partition("\n")
    return first.strip(), rest.strip()


async def _closed_answer(ask: Ask) -> str:
    async with ask.db.read() as session:
        later = await views.next_window(session, ask.engine.clock())
    if later is None:
        return "现在不在民生实事项目征集期内，目前也没有已安排的征集期。征集开始时会另行通知。"
    return (f"现在不在民生实事项目征集期内。下一次征集 {later.year} 年民生实事项目的时间是 "
            f"{later.opens_on} 至 {later.closes_on}，届时再提建议。")


async def suggest(ask: Ask, m: re.Match) -> Reply:
    title, content = split(m.group("body") or "")
    if not title or not content:
        return Reply(USAGE)
    async with ask.db.read() as session:
        window = await views.open_window(session, ask.engine.clock())
    if window is None:
        return Reply(await _closed_answer(ask))
    result = await ProjectEngine(ask.engine).suggest(ask.actor, {
        "title": title, "content": content, "source": "deputy", "year": window.year,
        "suggested_by": ask.who.name, "source_ref": ask.who.key})
    project = result.project
    return Reply(f"已收到您提出的民生实事项目建议，编号 {project.number}：《{project.title}》。\n"
                 f"征集期至 {window.closes_on}。征集结束后由政府初步筛选，列为候选项目的将提请人民代表大会会议票决。")


PROJECT_COMMANDS = [
    Command(re.compile(r"^民生实事建议(?:[\s:：]+(?P<body>.*))?$", re.S), DEPUTY, suggest),
]
