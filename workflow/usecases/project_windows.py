"""征集期 (solicitation windows) of livelihood projects: the days the public page /ms and the deputies' bot
word take suggestions for a year's projects. Staff add a window; each is a system event. Windows do not
overlap, so on any day at most one is open (workflow/readmodels/projects.py `open_window`).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import ProjectWindow
from storage.uow import UnitOfWork
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Actor
from workflow.engine.chain import append_system_event

NOTE_MAX = 500
LONGEST_DAYS = 366  # a window lasts at most a year


def _day(value: Any, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        shown = str(value)[:20] if value not in (None, "") else "（空）"
        raise InvalidInput(f"{label}“{shown}”不是日期：请写成 YYYY-MM-DD，例如 2026-09-01。", field=field) from None


def _year(value: Any) -> int:
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"[0-9]{4}", text) or not 2000 <= int(text) <= 2200:
        raise InvalidInput("请填写征集的是哪一年的民生实事项目（四位数年份，如 2027）。", field="year")
    return int(text)


def clean_window(year: Any, opens_on: Any, closes_on: Any, note: Any) -> tuple[int, dt.date, dt.date, str]:
    """The window's fields checked one by one (InvalidInput naming the field)."""
    year = _year(year)
    opens = _day(opens_on, "opens_on", "开始日期")
    closes = _day(closes_on, "closes_on", "截止日期")
    if closes < opens:
        raise InvalidInput("截止日期不能早于开始日期。", field="closes_on")
    if (closes - opens).days >= LONGEST_DAYS:
        raise InvalidInput(f"一个征集期最长 {LONGEST_DAYS} 天。", field="closes_on")
    if year not in (opens.year, opens.year + 1):
        raise InvalidInput(f"{opens.year} 年开始的征集期只能征集 {opens.year} 年或 {opens.year + 1} 年的项目。",
                           field="year")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise InvalidInput("说明应为文字。", field="note")
    note = note.strip()
    if "\x00" in note:
        raise InvalidInput("说明中含有空字符（\\u0000），无法保存。", field="note")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"说明不能超过 {NOTE_MAX} 个字。", field="note")
    return year, opens, closes, note


async def add_window(db: Database, year: Any, opens_on: Any, closes_on: Any, note: Any, actor: Actor) -> ProjectWindow:
    """A new 征集期 (refused when it overlaps another one)."""
    year, opens, closes, note = clean_window(year, opens_on, closes_on, note)
    async with UnitOfWork(db) as session:
        clash = (await session.execute(
            select(ProjectWindow).where(ProjectWindow.opens_on <= closes, ProjectWindow.closes_on >= opens)
            .order_by(ProjectWindow.opens_on).limit(1))).scalar_one_or_none()
        if clash is not None:
            raise InvalidInput(f"与已有的征集期（{clash.opens_on} 至 {clash.closes_on}）重叠，请调整日期。",
                               field="opens_on")
        row = ProjectWindow(year=year, opens_on=opens, closes_on=closes, note=note,
                            created_by=(actor.name or actor.id)[:64])
        session.add(row)
        await session.flush()
        await append_system_event(session, "add_project_window", actor, "project_window", str(row.id),
                                  {"year": year, "opens_on": opens, "closes_on": closes, "note": note})
    return row
