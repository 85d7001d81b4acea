"""代表联络站 "1+N": staff register a station and its N points (联系点/服务点/民意点), the deputies who
receive constituents there (进站代表), the duty roster (值班表) and the 接待日 records. Each change is a
system event; a 接待日's summary stays on its row (it may name people) and never enters an event.

A station has no parent; a point's parent is a station (never another point). Every row has a random
联络站码 (the public /o/<code>, from the one maker of public codes in workflow/engine/opinions.py).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable, Mapping, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.db import Database
from storage.models import Deputy, DutyDay, ReceptionDay, Station, StationDeputy
from storage.uow import UnitOfWork
from workflow.domain import clock
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.opinions import POINT_KINDS, STATION_KINDS
from workflow.domain.rules import Actor
from workflow.engine.chain import append_system_event
from workflow.engine.opinions import public_code  # the one maker of 代表码 and 联络站码

FIELDS = ("name", "kind", "address", "township", "phone")
LIMITS = {"name": 128, "address": 200, "township": 64, "phone": 32}
LABELS = {"name": "名称", "address": "地址", "township": "所在乡镇（街道）", "phone": "联系电话"}
NOTE_MAX, SUMMARY_MAX, NUMBER_MAX = 200, 5000, 32
PEOPLE_MAX = 10000  # people received on one 接待日
DEPUTIES_MAX = 200  # deputies of one station
BATCH_MAX = 100  # duty rows in one request
DUTY_AHEAD_DAYS = 366  # the roster is planned at most a year ahead
RECEPTION_BACK_DAYS = 3 * 366  # a 接待日 is recorded within three years
_PHONE = re.compile(r"^[0-9+\-() 转]*$")
_SPLIT = re.compile(r"[\s,，、;；]+")


# ------------------------------------------------------------------ checking what was posted
def _text(raw: Mapping[str, Any], name: str, label: str, limit: int, required: bool = False) -> str:
    value = raw.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{label}应为文字。", field=name)
    value = value.strip()
    if "\x00" in value:
        raise InvalidInput(f"{label}中含有空字符（\\u0000），无法保存。", field=name)
    if required and not value:
        raise InvalidInput(f"请填写{label}。", field=name)
    if len(value) > limit:
        raise InvalidInput(f"{label}不能超过 {limit} 个字。", field=name)
    return value


def clean_station(raw: Mapping[str, Any], point: bool) -> dict[str, Any]:
    """The fields of a station (point=False) or a point, checked one by one (InvalidInput naming the field)."""
    clean = {name: _text(raw, name, LABELS[name], LIMITS[name], required=name == "name") for name in LIMITS}
    if not _PHONE.fullmatch(clean["phone"]):
        raise InvalidInput("联系电话只能包含数字、空格和“-”，例如 0734-6851018。", field="phone")
    kind = raw.get("kind") or ("" if point else "station")
    points = "、".join(STATION_KINDS[k] for k in POINT_KINDS)
    if point and kind not in POINT_KINDS:
        raise InvalidInput(f"请选择联系点的类型：{points}。", field="kind")
    if not point and kind != "station":
        raise InvalidInput(f"联络站的类型只能是“代表联络站”；{points}请在联络站下添加为联系点。", field="kind")
    clean["kind"] = kind
    if "active" in raw:
        clean["active"] = _flag(raw["active"])
    return clean


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "on", "yes", "是"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("", "0", "false", "off", "no", "否"):
        return False
    raise InvalidInput("active 应为 true 或 false（是否启用）。", field="active")


def numbers_of(value: Any, field: str = "deputies") -> list[str]:
    """Deputy numbers from a list (JSON) or one text (a form: separated by spaces, commas or 、), each once."""
    if value is None:
        value = []
    if isinstance(value, str):
        value = [n for n in _SPLIT.split(value) if n]
    if not isinstance(value, (list, tuple)) or not all(isinstance(n, str) for n in value):
        raise InvalidInput("代表应为代表证号的列表，例如 [\"D001\", \"D002\"]。", field=field)
    numbers = list(dict.fromkeys(n.strip() for n in value if n.strip()))
    if any(len(n) > NUMBER_MAX or "\x00" in n for n in numbers):
        raise InvalidInput(f"代表证号不能超过 {NUMBER_MAX} 个字符。", field=field)
    if len(numbers) > DEPUTIES_MAX:
        raise InvalidInput(f"一次最多 {DEPUTIES_MAX} 位代表。", field=field)
    return numbers


def day_of(value: Any, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        shown = str(value)[:20] if value not in (None, "") else "（空）"
        raise InvalidInput(f"{label}“{shown}”不是日期：请写成 YYYY-MM-DD，例如 2026-05-08。", field=field) from None


def people_of(value: Any) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,6}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= PEOPLE_MAX:
        raise InvalidInput(f"接待群众人数请填写 0 到 {PEOPLE_MAX} 之间的整数。", field="people")
    return value


# ------------------------------------------------------------------ reading inside a write
async def _station(session: AsyncSession, station_id: Any) -> Station:
    if isinstance(station_id, bool) or not isinstance(station_id, int) or not 1 <= station_id < 2**31:
        raise NotFound("找不到该联络站或联系点。")
    row = (await session.execute(select(Station).where(Station.id == station_id).with_for_update())).scalar_one_or_none()
    if row is None:
        raise NotFound(f"找不到编号为 {station_id} 的联络站或联系点。")
    return row


async def _deputies(session: AsyncSession, numbers: Sequence[str], field: str = "deputies",
                    active: bool = True) -> list[Deputy]:
    """The roster's deputies of `numbers` in their order: unknown ones (and, with `active`, those no
    longer on the roster) are refused by number."""
    found = await repo.deputies_by_numbers(session, list(numbers))
    missing = [n for n in numbers if n not in found]
    if missing:
        raise InvalidInput(f"代表名册中没有证号为“{'、'.join(missing[:5])}”的代表，请核对证号。", field=field)
    gone = [found[n] for n in numbers if active and not found[n].active]
    if gone:
        raise InvalidInput(f"代表{'、'.join(f'{d.name}（{d.number}）' for d in gone[:5])}已停用（不在册），"
                           "不能安排。", field=field)
    return [found[n] for n in numbers]


async def _name_taken(session: AsyncSession, name: str, parent_id: Optional[int], other_than: int = 0) -> None:
    same = select(Station.id).where(Station.name == name, Station.id != other_than, Station.parent_id.is_(None)
                                    if parent_id is None else Station.parent_id == parent_id)
    if (await session.execute(same)).first():
        where = "联络站" if parent_id is None else "本联络站的联系点"
        raise InvalidInput(f"已有名为“{name}”的{where}，请换一个名称。", field="name")


def facts(row: Station) -> dict[str, Any]:
    """What an event records of a station (keys that do not clash with the system log's labels)."""
    return {"code": row.code, "name": row.name, "station_kind": row.kind, "parent_id": row.parent_id,
            "address": row.address, "township": row.township, "phone": row.phone, "in_use": row.active}


# ------------------------------------------------------------------ stations and points
async def add_station(db: Database, raw: Mapping[str, Any], actor: Actor) -> Station:
    """A new 代表联络站 with its own random 联络站码."""
    fields = clean_station(raw, point=False)
    async with UnitOfWork(db) as session:
        await _name_taken(session, fields["name"], None)
        row = Station(code=await public_code(session), parent_id=None, **fields)
        session.add(row)
        await session.flush()
        await append_system_event(session, "add_station", actor, "station", str(row.id), facts(row))
    return row


async def add_point(db: Database, station_id: int, raw: Mapping[str, Any], actor: Actor) -> Station:
    """One of a station's N points; its township is the station's when left empty."""
    fields = clean_station(raw, point=True)
    async with UnitOfWork(db) as session:
        parent = await _station(session, station_id)
        if parent.parent_id is not None:
            raise InvalidInput(f"“{parent.name}”是联系点，联系点下不能再设联系点；请在它所属的联络站下添加。",
                               field="parent_id")
        await _name_taken(session, fields["name"], parent.id)
        fields["township"] = fields["township"] or parent.township
        row = Station(code=await public_code(session), parent_id=parent.id, **fields)
        session.add(row)
        await session.flush()
        await append_system_event(session, "add_point", actor, "station", str(row.id),
                                  {**facts(row), "station": parent.name})
    return row


async def update_station(db: Database, station_id: int, raw: Mapping[str, Any], actor: Actor) -> Station:
    """Correct a station's or point's name, kind, address, township or phone, or stop / restart it
    (`active`); fields left out keep their value. The 联络站码 never changes (printed plates keep working)."""
    async with UnitOfWork(db) as session:
        row = await _station(session, station_id)
        before = facts(row)
        current = {"name": row.name, "kind": row.kind, "address": row.address, "township": row.township,
                   "phone": row.phone}
        fields = clean_station({**current, **raw}, point=row.parent_id is not None)
        if fields["name"] != row.name:
            await _name_taken(session, fields["name"], row.parent_id, other_than=row.id)
        for name, value in fields.items():
            setattr(row, name, value)
        await append_system_event(session, "update_station", actor, "station", str(row.id),
                                  {**facts(row), "before": before})
    return row


async def set_deputies(db: Database, station_id: int, numbers: Any, actor: Actor) -> list[str]:
    """The station's deputies (进站代表) are exactly `numbers` (each on the roster and active)."""
    wanted = numbers_of(numbers)
    async with UnitOfWork(db) as session:
        row = await _station(session, station_id)
        deputies = await _deputies(session, wanted)
        before = [link.deputy.number for link in row.deputies]
        ids = {d.id for d in deputies}
        row.deputies = [link for link in row.deputies if link.deputy_id in ids]
        kept = {link.deputy_id for link in row.deputies}
        row.deputies.extend(StationDeputy(station_id=row.id, deputy_id=d.id, deputy=d)
                            for d in deputies if d.id not in kept)
        await append_system_event(session, "set_station_deputies", actor, "station", str(row.id),
                                  {"name": row.name, "deputies": wanted, "before": before})
    return wanted


# ------------------------------------------------------------------ duty roster and 接待日
def _duty_rows(items: Any, today: dt.date) -> list[tuple[str, dt.date, str]]:
    if not isinstance(items, (list, tuple)) or not items:
        raise InvalidInput("请至少填写一行值班安排（代表、日期）。", field="items")
    if len(items) > BATCH_MAX:
        raise InvalidInput(f"一次最多填写 {BATCH_MAX} 行值班安排。", field="items")
    rows, seen = [], set()
    latest = today + dt.timedelta(days=DUTY_AHEAD_DAYS)
    for i, item in enumerate(items, 1):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise InvalidInput(f"第 {i} 行应包含代表证号、日期和备注。", field="items", row=i)
        number = item[0].strip() if isinstance(item[0], str) else ""
        if not number or len(number) > NUMBER_MAX or "\x00" in number:
            raise InvalidInput(f"第 {i} 行：请填写一位值班代表的证号。", field="deputy", row=i)
        day = day_of(item[1], "day", f"第 {i} 行的值班日期")
        if not today <= day <= latest:
            raise InvalidInput(f"第 {i} 行：值班日期应在今天（{today:%Y-%m-%d}）到 {latest:%Y-%m-%d} 之间。",
                               field="day", row=i)
        try:
            note = _text({"note": item[2]}, "note", f"第 {i} 行的备注", NOTE_MAX)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="note", row=i) from None
        if (number, day) in seen:
            raise InvalidInput(f"第 {i} 行与前面重复：同一代表同一天只排一次。", field="day", row=i)
        seen.add((number, day))
        rows.append((number, day, note))
    return rows


async def add_duty_days(db: Database, station_id: int, items: Iterable[tuple[Any, Any, Any]], actor: Actor,
                        today: Optional[dt.date] = None) -> list[DutyDay]:
    """Rows of the duty roster: (deputy number, day, note) each, all added or none. A deputy on duty
    is one of the station's deputies; a day is from today (Beijing date) up to a year ahead."""
    today = today or clock.today()
    if isinstance(items, Iterable) and not isinstance(items, (list, tuple, str, bytes, dict)):
        items = list(items)
    rows = _duty_rows(items, today)
    async with UnitOfWork(db) as session:
        station = await _station(session, station_id)
        deputies = await _deputies(session, list(dict.fromkeys(n for n, _, _ in rows)), field="deputy")
        members = {link.deputy_id for link in station.deputies}
        outside = [d for d in deputies if d.id not in members]
        if outside:
            raise InvalidInput(f"代表{'、'.join(f'{d.name}（{d.number}）' for d in outside[:5])}不是“{station.name}”"
                               "的进站代表，请先在“进站代表”中加入。", field="deputy")
        by_number = {d.number: d for d in deputies}
        taken = set((await session.execute(select(DutyDay.deputy_id, DutyDay.day).where(
            DutyDay.station_id == station.id, DutyDay.day.in_([day for _, day, _ in rows])))).all())
        for i, (number, day, _) in enumerate(rows, 1):
            if (by_number[number].id, day) in taken:
                raise InvalidInput(f"第 {i} 行：{by_number[number].name}（{number}）{day:%Y-%m-%d} 已在值班表中。",
                                   field="day", row=i)
        added = [DutyDay(station_id=station.id, deputy_id=by_number[n].id, deputy=by_number[n], day=day, note=note)
                 for n, day, note in rows]
        session.add_all(added)
        await session.flush()
        await append_system_event(session, "add_duty_days", actor, "station", str(station.id), {
            "name": station.name, "items": [{"deputy": n, "day": day, "note": note} for n, day, note in rows]})
    return added


async def remove_duty_day(db: Database, station_id: int, duty_id: Any, actor: Actor,
                          today: Optional[dt.date] = None) -> None:
    """Take a row off the roster; a day gone by stays (it is the record of who was on duty)."""
    today = today or clock.today()
    async with UnitOfWork(db) as session:
        station = await _station(session, station_id)
        row = None
        if isinstance(duty_id, int) and not isinstance(duty_id, bool) and 1 <= duty_id < 2**31:
            row = await session.get(DutyDay, duty_id)
        if row is None or row.station_id != station.id:
            raise NotFound("值班表中没有这一行（可能已被删除）。")
        if row.day < today:
            raise InvalidInput("已过去的值班是履职记录，不能删除。", field="day")
        await append_system_event(session, "remove_duty_day", actor, "station", str(station.id), {
            "name": station.name, "deputy": row.deputy.number, "day": row.day, "note": row.note})
        await session.delete(row)


async def record_reception(db: Database, station_id: int, day: Any, numbers: Any, people: Any, summary: Any,
                           actor: Actor, today: Optional[dt.date] = None) -> ReceptionDay:
    """A 接待日: the deputies present (on the roster), how many people they received, what was raised.
    The day is today or before (Beijing date), within three years."""
    today = today or clock.today()
    when = day_of(day, "day", "接待日期")
    if when > today:
        raise InvalidInput(f"接待日期不能晚于今天（{today:%Y-%m-%d}）：接待日记录的是已经开展的接待。", field="day")
    if when < today - dt.timedelta(days=RECEPTION_BACK_DAYS):
        raise InvalidInput("接待日期太早：只能补记三年以内的接待日。", field="day")
    wanted = numbers_of(numbers)
    if not wanted:
        raise InvalidInput("请填写参加接待的代表（至少一位）。", field="deputies")
    count = people_of(people)
    text = _text({"summary": summary}, "summary", "接待情况", SUMMARY_MAX)
    async with UnitOfWork(db) as session:
        station = await _station(session, station_id)
        await _deputies(session, wanted, active=False)
        row = ReceptionDay(station_id=station.id, day=when, deputies=wanted, people=count, summary=text,
                           created_by=(actor.name or actor.id)[:64])
        session.add(row)
        await session.flush()
        await append_system_event(session, "record_reception", actor, "station", str(station.id), {
            "name": station.name, "reception": row.id, "day": when, "deputies": wanted, "people": count})
    return row
