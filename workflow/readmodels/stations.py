"""代表联络站 "1+N" as staff and programs read them: each station with its points, deputies and counts;
one station's roster (值班表) and 接待日; a station by its 联络站码; a deputy's stations and duty days
(for the deputy's public card). Read only; days are Beijing dates (workflow.domain.clock)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Deputy, DutyDay, ReceptionDay, Station, StationDeputy
from workflow.domain import clock
from workflow.domain.opinions import STATION_KINDS

WEEKDAYS = "一二三四五六日"
RECENT_DAYS = 30  # the roster shows the days gone by of the last 30 days
RECEPTIONS_SHOWN = 100
DUTY_SHOWN = 200


def weekday(day: dt.date) -> str:
    return "周" + WEEKDAYS[day.weekday()]


def station_dict(row: Station) -> dict[str, Any]:
    """A station or point with its deputies (number and name), as the API and the console show it."""
    return {"id": row.id, "code": row.code, "name": row.name, "kind": row.kind,
            "kind_label": STATION_KINDS.get(row.kind, row.kind), "is_point": row.parent_id is not None,
            "parent_id": row.parent_id, "address": row.address, "township": row.township, "phone": row.phone,
            "active": row.active,
            "deputies": [{"number": link.deputy.number, "name": link.deputy.name, "active": link.deputy.active}
                         for link in row.deputies]}


async def _counts(session: AsyncSession, today: dt.date) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """Per station id: the duty days from today on; the 接待日 and the people received."""
    duty = dict((await session.execute(select(DutyDay.station_id, func.count()).where(DutyDay.day >= today)
                                       .group_by(DutyDay.station_id))).all())
    received = {sid: (n, int(people or 0)) for sid, n, people in (await session.execute(
        select(ReceptionDay.station_id, func.count(), func.sum(ReceptionDay.people))
        .group_by(ReceptionDay.station_id))).all()}
    return duty, received


def _with_counts(row: Station, duty: dict, received: dict, points: int = 0) -> dict[str, Any]:
    receptions, people = received.get(row.id, (0, 0))
    return {**station_dict(row), "counts": {"points": points, "deputies": len(row.deputies),
                                            "duty_days": duty.get(row.id, 0), "receptions": receptions,
                                            "people": people}}


async def stations_tree(db: Database, today: Optional[dt.date] = None) -> list[dict[str, Any]]:
    """Every station (oldest first) with its points nested under `points`, deputies and `counts`."""
    today = today or clock.today()
    async with db.read() as session:
        rows = (await session.execute(select(Station).order_by(Station.id))).scalars().all()
        duty, received = await _counts(session, today)
    children: dict[int, list[Station]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row)
    tree = []
    for row in rows:
        if row.parent_id is None:
            points = children.get(row.id, [])
            item = _with_counts(row, duty, received, len(points))
            item["points"] = [_with_counts(p, duty, received) for p in points]
            tree.append(item)
    return tree


def _duty_dict(row: DutyDay) -> dict[str, Any]:
    return {"id": row.id, "deputy": row.deputy.number, "deputy_name": row.deputy.name, "day": row.day,
            "weekday": weekday(row.day), "note": row.note}


async def _receptions(session: AsyncSession, station_id: int) -> list[dict[str, Any]]:
    rows = (await session.execute(select(ReceptionDay).where(ReceptionDay.station_id == station_id)
                                  .order_by(ReceptionDay.day.desc(), ReceptionDay.id.desc())
                                  .limit(RECEPTIONS_SHOWN))).scalars().all()
    numbers = {n for r in rows for n in (r.deputies or []) if isinstance(n, str)}
    names = dict((await session.execute(select(Deputy.number, Deputy.name).where(Deputy.number.in_(numbers)))).all()) \
        if numbers else {}
    return [{"id": r.id, "day": r.day, "weekday": weekday(r.day), "people": r.people, "summary": r.summary,
             "deputies": [{"number": n, "name": names.get(n, "")} for n in (r.deputies or [])],
             "created_by": r.created_by} for r in rows]


async def station_detail(db: Database, station_id: int, today: Optional[dt.date] = None) -> Optional[dict[str, Any]]:
    """One station or point: its parent (a point's station), points, deputies, the duty roster from today
    on (`duty_days`) and of the last 30 days (`recent_duty_days`, newest first), its 接待日 (newest first)."""
    today = today or clock.today()
    async with db.read() as session:
        row = await session.get(Station, station_id)
        if row is None:
            return None
        parent = await session.get(Station, row.parent_id) if row.parent_id else None
        points = (await session.execute(select(Station).where(Station.parent_id == row.id)
                                        .order_by(Station.id))).scalars().all()
        duty = (await session.execute(select(DutyDay).where(
            DutyDay.station_id == row.id, DutyDay.day >= today - dt.timedelta(days=RECENT_DAYS))
            .order_by(DutyDay.day, DutyDay.id).limit(DUTY_SHOWN))).scalars().all()
        counts, received = await _counts(session, today)
        receptions = await _receptions(session, row.id)
        body = _with_counts(row, counts, received, len(points))
        body["parent"] = {"id": parent.id, "name": parent.name, "code": parent.code} if parent else None
        body["points"] = [_with_counts(p, counts, received) for p in points]
    body["duty_days"] = [_duty_dict(d) for d in duty if d.day >= today]
    body["recent_duty_days"] = [_duty_dict(d) for d in reversed(duty) if d.day < today]
    body["receptions"] = receptions
    body["today"] = today
    return body


async def station_by_code(session: AsyncSession, code: str) -> Optional[Station]:
    """The station or point whose 联络站码 is `code` (any case, spaces around ignored); None for none."""
    code = (code or "").strip().upper() if isinstance(code, str) else ""
    if not code or len(code) > 16:
        return None
    return (await session.execute(select(Station).where(Station.code == code))).scalar_one_or_none()


async def duty_days_of_deputy(session: AsyncSession, deputy_id: int, from_day: dt.date,
                              limit: int = 50) -> list[dict[str, Any]]:
    """The deputy's duty days from `from_day` on, at active stations and points, soonest first."""
    rows = (await session.execute(
        select(DutyDay.id, DutyDay.day, DutyDay.note, Station.id, Station.code, Station.name, Station.kind)
        .join(Station, Station.id == DutyDay.station_id)
        .where(DutyDay.deputy_id == deputy_id, DutyDay.day >= from_day, Station.active.is_(True))
        .order_by(DutyDay.day, Station.name).limit(limit))).all()
    return [{"id": duty_id, "day": day, "weekday": weekday(day), "note": note, "station_id": sid,
             "station_code": code, "station": name, "kind": kind, "kind_label": STATION_KINDS.get(kind, kind)}
            for duty_id, day, note, sid, code, name, kind in rows]


async def stations_of_deputy(session: AsyncSession, deputy_id: int) -> list[dict[str, Any]]:
    """The active stations and points where the deputy receives constituents, with a point's station."""
    rows = (await session.execute(select(Station).join(StationDeputy, StationDeputy.station_id == Station.id)
                                  .where(StationDeputy.deputy_id == deputy_id, Station.active.is_(True))
                                  .order_by(Station.id))).scalars().all()
    parent_ids = {r.parent_id for r in rows if r.parent_id}
    parents = dict((await session.execute(select(Station.id, Station.name).where(Station.id.in_(parent_ids)))).all()) \
        if parent_ids else {}
    return [{"id": r.id, "code": r.code, "name": r.name, "kind": r.kind, "kind_label": STATION_KINDS.get(r.kind, r.kind),
             "address": r.address, "township": r.township, "phone": r.phone, "parent_id": r.parent_id,
             "parent": parents.get(r.parent_id) if r.parent_id else None} for r in rows]


async def roster_choices(db: Database) -> list[dict[str, str]]:
    """The active deputies (number, name, delegation) staff may put into a station, by number."""
    async with db.read() as session:
        rows = (await session.execute(select(Deputy.number, Deputy.name, Deputy.delegation)
                                      .where(Deputy.active.is_(True)).order_by(Deputy.number))).all()
    return [{"number": n, "name": name, "delegation": delegation} for n, name, delegation in rows]
