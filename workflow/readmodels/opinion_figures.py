"""The figures of 群众意见 of a year, per station (its points inside), per deputy or per township.

One SQL query reads, for every opinion received in the year (Beijing date `received_on`), its facts
(`OpinionFacts`: route, whether answered_on is set, rating, and from its referrals whether one was
answered, on or before its due date, and the earliest due date of an open one) and groups the opinions
with the same group key and the same facts, returning `(key, facts..., count)`: the database counts,
Python only receives one row per distinct combination. workflow/domain/opinion_tallies.py decides what
each figure counts.

Rows (each a dict: key, name, kind, the figures of `OpinionTally`):
- by="station": each station (kind "station", `includes_points` true: its own opinions and its points'),
  followed by each of its points (kind "point", `parent` the station's code, `includes_points` false);
  then, when there are any, opinions without a station (kind "unspecified", name 未指定). Station rows
  and the unspecified row add up to the total; point rows are a breakdown of their station's row.
- by="deputy": each deputy with opinions that year or on a station's roster (kind "deputy", key the
  deputy's number); opinions addressed to a station and no deputy in the row 未指定.
- by="township": the township of the opinion's station (a point without its own township: its
  station's); opinions without a station, or whose station has no township, in the row 未指定.
The last row is the total (kind "total", key "total", name 合计): every opinion of the year once.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Optional

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CitizenOpinion, Deputy, OpinionReferral, Station, StationDeputy
from workflow.domain.errors import InvalidInput
from workflow.domain.opinion_tallies import BY, UNSPECIFIED, OpinionFacts, tally
from workflow.domain.opinions import STATION_KINDS

Groups = dict[Optional[int], list[tuple[OpinionFacts, int]]]
YEARS = (1990, 2200)


def check(year: object, by: object) -> None:
    """InvalidInput (Chinese) unless `year` is a year and `by` one of BY."""
    if by not in BY:
        raise InvalidInput(f"by 只能是 {'、'.join(BY)}（{'、'.join(BY.values())}）。", field="by")
    if not isinstance(year, int) or isinstance(year, bool) or not YEARS[0] <= year <= YEARS[1]:
        raise InvalidInput(f"年度应为 {YEARS[0]} 到 {YEARS[1]} 之间的四位数字，例如 2025。", field="year")


def _referral_facts():
    """Per opinion that has referrals: answered (0/1), answered on or before its due (0/1), earliest open due."""
    r = OpinionReferral
    one, zero = literal_column("1"), literal_column("0")
    return (select(r.opinion_id,
                   func.max(case((r.state == "answered", one), else_=zero)).label("answered"),
                   func.max(case((and_(r.state == "answered", r.answered_on <= r.due), one), else_=zero))
                   .label("on_time"),
                   func.min(case((r.state == "open", r.due), else_=None)).label("open_due"))
            .group_by(r.opinion_id).subquery("referral_facts"))


def _day(value) -> Optional[dt.date]:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # a driver that hands back the text of a date


async def grouped_facts(session: AsyncSession, year: int, key_column) -> Groups:
    """{group key: [(facts, opinions)]} for the opinions received in `year`, grouped in SQL."""
    o, ref = CitizenOpinion, _referral_facts()
    answered = o.answered_on.is_not(None)
    columns = (key_column, o.route, answered, o.rating, ref.c.answered, ref.c.on_time, ref.c.open_due)
    query = (select(*columns, func.count().label("n"))
             .select_from(o).outerjoin(ref, ref.c.opinion_id == o.id)
             .where(o.received_on >= dt.date(year, 1, 1), o.received_on <= dt.date(year, 12, 31))
             .group_by(*columns))
    groups: Groups = defaultdict(list)
    for key, route, has_answer, rating, ref_answered, on_time, open_due, n in (await session.execute(query)).all():
        facts = OpinionFacts(route=route or "", answered=bool(has_answer), rating=rating or "",
                             referral_answered=bool(ref_answered), referral_on_time=bool(on_time),
                             open_referral_due=_day(open_due))
        groups[key].append((facts, n))
    return groups


def _row(key, name: str, kind: str, items: list, today: dt.date, **extra) -> dict:
    return {"key": key, "name": name, "kind": kind, **extra, **tally(items, today).as_dict()}


def _everything(groups: Groups) -> list:
    return [pair for items in groups.values() for pair in items]


async def _stations(session: AsyncSession) -> list:
    query = select(Station.id, Station.code, Station.name, Station.kind, Station.parent_id, Station.township,
                   Station.active).order_by(Station.code)
    return list((await session.execute(query)).all())


async def by_station(session: AsyncSession, year: int, today: dt.date) -> list[dict]:
    groups = await grouped_facts(session, year, CitizenOpinion.station_id)
    stations = await _stations(session)
    points: dict[int, list] = defaultdict(list)
    for s in stations:
        if s.parent_id is not None:
            points[s.parent_id].append(s)
    rows = []
    for s in stations:
        if s.parent_id is not None:
            continue
        own = [s, *points[s.id]]
        if not any(x.active or groups.get(x.id) for x in own):
            continue
        rows.append(_row(s.code, s.name, "station", [p for x in own for p in groups.get(x.id, [])], today,
                         kind_label=STATION_KINDS.get(s.kind, s.kind), parent=None, includes_points=True))
        rows.extend(_row(p.code, p.name, "point", groups.get(p.id, []), today,
                         kind_label=STATION_KINDS.get(p.kind, p.kind), parent=s.code, includes_points=False)
                    for p in points[s.id] if p.active or groups.get(p.id))
    if groups.get(None):
        rows.append(_row("", UNSPECIFIED, "unspecified", groups[None], today, kind_label="", parent=None,
                         includes_points=False))
    return rows + [_row("total", "合计", "total", _everything(groups), today)]


def _township_of(stations: list) -> dict[int, str]:
    """{station id: township}: a point without its own township is in its station's."""
    own = {s.id: (s.township or "").strip() for s in stations}
    parent = {s.id: s.parent_id for s in stations}
    return {sid: town or own.get(parent[sid] or -1, "") or UNSPECIFIED for sid, town in own.items()}


async def by_township(session: AsyncSession, year: int, today: dt.date) -> list[dict]:
    groups = await grouped_facts(session, year, CitizenOpinion.station_id)
    stations = await _stations(session)
    township = _township_of(stations)
    towns: dict[str, list] = {township[s.id]: [] for s in stations if s.active}
    for station_id, items in groups.items():
        towns.setdefault(township.get(station_id, UNSPECIFIED) if station_id else UNSPECIFIED, []).extend(items)
    names = sorted(t for t in towns if t != UNSPECIFIED)
    if towns.get(UNSPECIFIED):
        names.append(UNSPECIFIED)
    rows = [_row("" if t == UNSPECIFIED else t, t, "unspecified" if t == UNSPECIFIED else "township", towns[t],
                 today) for t in names]
    return rows + [_row("total", "合计", "total", _everything(groups), today)]


async def by_deputy(session: AsyncSession, year: int, today: dt.date) -> list[dict]:
    groups = await grouped_facts(session, year, CitizenOpinion.deputy_id)
    with_opinions = [k for k in groups if k is not None]
    query = (select(Deputy.id, Deputy.number, Deputy.name)
             .where(or_(Deputy.id.in_(select(StationDeputy.deputy_id)), Deputy.id.in_(with_opinions)))
             .order_by(Deputy.number))
    rows = [_row(d.number, d.name, "deputy", groups.get(d.id, []), today)
            for d in (await session.execute(query)).all()]
    if groups.get(None):
        rows.append(_row("", UNSPECIFIED, "unspecified", groups[None], today))
    return rows + [_row("total", "合计", "total", _everything(groups), today)]


async def years(session: AsyncSession, this_year: int) -> list[int]:
    """The years a year select offers: from the first opinion's year to this year, newest first."""
    first, last = (await session.execute(select(func.min(CitizenOpinion.received_on),
                                                func.max(CitizenOpinion.received_on)))).one()
    low = min(_day(first).year if first else this_year, this_year)
    high = max(_day(last).year if last else this_year, this_year)
    return list(range(high, low - 1, -1))


_VIEWS = {"station": by_station, "deputy": by_deputy, "township": by_township}


async def figures(session: AsyncSession, year: int, by: str, today: dt.date) -> list[dict]:
    """The rows of `by` for `year`, the total row last; `today` (Beijing) decides what is overdue."""
    check(year, by)
    return await _VIEWS[by](session, year, today)
