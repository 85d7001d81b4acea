"""亮身份: what the deputy's public card (/d/<number>) and the printable plates show (代表法 2025 art. 58:
the standing committee publishes the deputies' basic information and their 履职 record).

Read only. What a card shows is the deputy's choice (workflow/usecases/deputy_cards.py); whatever it
is, a confidential proposal never appears, the deputy's own phone only when the deputy chose it, and no
citizen's name, phone or words: the opinions count by route, the 接待日 by day and number of people.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional
from urllib.parse import quote

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import (
    CitizenOpinion,
    CoSigner,
    Deputy,
    DeputyCard,
    DutyDay,
    Proposal,
    ReceptionDay,
    Reply,
    Station,
    StationDeputy,
)
from workflow.domain import clock
from workflow.domain.definition import STATES
from workflow.domain.opinions import ROUTES, STATION_KINDS

WEEKDAYS = "一二三四五六日"
CARD_DUTY_DAYS = 10
PLATE_DUTY_DAYS = 16
RECORD_PROPOSALS = 60
RECENT_VISITS = 10
# A card not made yet shows what a new card shows (workflow/usecases/deputy_cards.py ensure_card).
DEFAULTS = {"show_phone": False, "show_work_unit": True, "show_record": True, "show_duty": True, "published": True,
            "relay_phone": ""}


def _base(settings) -> str:
    return settings.server.public_url.rstrip("/")


def _day(day: dt.date) -> dict[str, str]:
    return {"day": day.isoformat(), "weekday": "周" + WEEKDAYS[day.weekday()]}


def _choices(card: Optional[DeputyCard]) -> dict[str, Any]:
    if card is None:
        return dict(DEFAULTS)
    return {name: getattr(card, name) for name in DEFAULTS}


async def _deputy_and_card(session: AsyncSession, number: str) -> tuple[Optional[Deputy], Optional[DeputyCard]]:
    number = (number or "").strip()
    if not number or len(number) > 32:
        return None, None
    deputy = await repo.deputy_by_number(session, number)
    if deputy is None:
        return None, None
    return deputy, await session.get(DeputyCard, deputy.id)


async def _stations(session: AsyncSession, deputy_id: int) -> list[dict[str, Any]]:
    """The active stations and points the deputy receives constituents at (进站)."""
    rows = (await session.execute(
        select(Station.id, Station.name, Station.kind, Station.address, Station.phone, Station.parent_id)
        .join(StationDeputy, StationDeputy.station_id == Station.id)
        .where(StationDeputy.deputy_id == deputy_id, Station.active.is_(True)).order_by(Station.id))).all()
    parent_ids = {r.parent_id for r in rows if r.parent_id}
    parents = dict((await session.execute(select(Station.id, Station.name).where(Station.id.in_(parent_ids)))).all()
                   ) if parent_ids else {}
    return [{"id": r.id, "name": r.name, "kind": r.kind, "kind_label": STATION_KINDS.get(r.kind, r.kind),
             "address": r.address, "phone": r.phone, "parent": parents.get(r.parent_id, "")} for r in rows]


async def _duty_days(session: AsyncSession, today: dt.date, limit: int, *, deputy_id: Optional[int] = None,
                     station_id: Optional[int] = None) -> list[dict[str, Any]]:
    """The coming duty days (值班) of a deputy or at a station, from today on, soonest first."""
    query = (select(DutyDay.day, DutyDay.note, Station.name, Deputy.name)
             .join(Station, Station.id == DutyDay.station_id).join(Deputy, Deputy.id == DutyDay.deputy_id)
             .where(DutyDay.day >= today, Station.active.is_(True), Deputy.active.is_(True)))
    if deputy_id is not None:
        query = query.where(DutyDay.deputy_id == deputy_id)
    if station_id is not None:
        query = query.where(DutyDay.station_id == station_id)
    rows = (await session.execute(query.order_by(DutyDay.day, Station.name, Deputy.name).limit(limit))).all()
    return [{**_day(day), "note": note, "station": station, "deputy": deputy} for day, note, station, deputy in rows]


def _contact(deputy: Deputy, choices: dict[str, Any], stations: list[dict[str, Any]]) -> dict[str, str]:
    """How to reach the deputy: the relay number, else the station's own number; the deputy's own phone
    only when the deputy chose to show it."""
    station = next((s for s in stations if s["phone"]), None)
    if choices["relay_phone"]:
        phone, via, label = choices["relay_phone"], "relay", "转接电话"
    elif station is not None:
        phone, via, label = station["phone"], "station", f"{station['name']}电话"
    else:
        phone, via, label = "", "", ""
    return {"phone": phone, "via": via, "label": label,
            "personal_phone": deputy.phone if choices["show_phone"] else ""}


async def _proposals(session: AsyncSession, settings, deputy_id: int) -> list[dict[str, Any]]:
    """The numbered, non-confidential proposals the deputy led or co-signed (confirmed), newest first."""
    cosigned = select(CoSigner.proposal_id).where(CoSigner.deputy_id == deputy_id, CoSigner.confirmed_at.is_not(None))
    rows = (await session.execute(
        select(Proposal.id, Proposal.number, Proposal.official_number, Proposal.title, Proposal.state, Proposal.year,
               Proposal.lead_deputy_id)
        .where(or_(Proposal.lead_deputy_id == deputy_id, Proposal.id.in_(cosigned)), Proposal.number.is_not(None),
               Proposal.confidential.is_(False), Proposal.state.not_in(("draft", "consulting")))
        .order_by(Proposal.year.desc(), Proposal.id.desc()).limit(RECORD_PROPOSALS))).all()
    replies: dict[int, list[int]] = {}
    if rows:
        published = await session.execute(
            select(Reply.proposal_id, Reply.id).where(Reply.published.is_(True),
                                                      Reply.proposal_id.in_([r.id for r in rows])).order_by(Reply.id))
        for proposal_id, reply_id in published.all():
            replies.setdefault(proposal_id, []).append(reply_id)
    base = _base(settings)
    return [{"number": r.number, "official_number": r.official_number, "title": r.title, "year": r.year,
             "state": r.state, "state_label": STATES.get(r.state, r.state),
             "role": "lead" if r.lead_deputy_id == deputy_id else "co_signer",
             "role_label": "领衔" if r.lead_deputy_id == deputy_id else "联名",
             # The public replies page (/replies, web/dashboard/replies.py) lists them by year.
             "replies": [f"{base}/replies?year={r.year}#reply-{i}" for i in replies.get(r.id, [])]} for r in rows]


async def _visits(session: AsyncSession, number: str) -> dict[str, Any]:
    """接待日 the deputy was present at: how many, how many people, the latest few (no summaries)."""
    rows = (await session.execute(
        select(ReceptionDay.day, ReceptionDay.deputies, ReceptionDay.people, Station.name)
        .join(Station, Station.id == ReceptionDay.station_id)
        .where(cast(ReceptionDay.deputies, String).contains(f'"{number}"', autoescape=True))
        .order_by(ReceptionDay.day.desc(), ReceptionDay.id.desc()))).all()
    rows = [r for r in rows if number in (r.deputies or [])]
    return {"count": len(rows), "people": sum(r.people or 0 for r in rows),
            "recent": [{**_day(r.day), "station": r.name, "people": r.people or 0} for r in rows[:RECENT_VISITS]]}


async def _opinions(session: AsyncSession, deputy_id: int) -> dict[str, Any]:
    """群众意见 addressed to the deputy: received, and handled by route (counts only)."""
    counted = dict((await session.execute(
        select(CitizenOpinion.route, func.count()).where(CitizenOpinion.deputy_id == deputy_id)
        .group_by(CitizenOpinion.route))).all())
    return {"received": sum(counted.values()), "handled": sum(n for route, n in counted.items() if route),
            "by_route": [{"route": route, "label": label, "count": counted.get(route, 0)}
                         for route, label in ROUTES.items()]}


async def _record(session: AsyncSession, settings, deputy: Deputy) -> dict[str, Any]:
    return {"proposals": await _proposals(session, settings, deputy.id), "visits": await _visits(session, deputy.number),
            "opinions": await _opinions(session, deputy.id)}


async def public_card(session: AsyncSession, settings, number: str,
                      today: Optional[dt.date] = None) -> Optional[dict[str, Any]]:
    """The public card of deputy `number`; None when there is no such active deputy or the card is not public."""
    deputy, card = await _deputy_and_card(session, number)
    if deputy is None or not deputy.active:
        return None
    choices = _choices(card)
    if not choices["published"]:
        return None
    today = today or clock.today()
    stations = await _stations(session, deputy.id)
    base, code = _base(settings), card.code if card is not None else ""
    return {
        "number": deputy.number, "name": deputy.name, "term": deputy.term, "delegation": deputy.delegation,
        "work_unit": deputy.work_unit if choices["show_work_unit"] else "",
        "photo": bool(card is not None and card.photo),
        "stations": stations,
        "duty_days": await _duty_days(session, today, CARD_DUTY_DAYS, deputy_id=deputy.id) if choices["show_duty"] else [],
        "contact": _contact(deputy, choices, stations),
        "code": code, "opinion_url": f"{base}/o/{code}" if code else "",
        "url": f"{base}/d/{quote(deputy.number, safe='')}",
        "shows": {k: choices[k] for k in ("show_phone", "show_work_unit", "show_record", "show_duty")},
        "record": await _record(session, settings, deputy) if choices["show_record"] else None,
    }


async def card_settings(session: AsyncSession, number: str, public_url: str = "") -> Optional[dict[str, Any]]:
    """What deputy `number`'s card shows now (the bot's 我的名片); None when there is no such deputy."""
    deputy, card = await _deputy_and_card(session, number)
    if deputy is None:
        return None
    base = public_url.rstrip("/")
    return {**_choices(card), "number": deputy.number, "name": deputy.name, "active": deputy.active,
            "has_phone": bool(deputy.phone), "has_work_unit": bool(deputy.work_unit),
            "code": card.code if card is not None else "",
            "url": f"{base}/d/{quote(deputy.number, safe='')}" if base else ""}


async def station_plate(session: AsyncSession, settings, station_id: int,
                        today: Optional[dt.date] = None) -> Optional[dict[str, Any]]:
    """The 公示牌 of a station or point: its deputies, its coming duty days and its 联络站码."""
    station = await session.get(Station, station_id)
    if station is None:
        return None
    today = today or clock.today()
    deputies = (await session.execute(
        select(Deputy.number, Deputy.name, Deputy.delegation).join(StationDeputy, StationDeputy.deputy_id == Deputy.id)
        .where(StationDeputy.station_id == station.id, Deputy.active.is_(True)).order_by(StationDeputy.id))).all()
    points = (await session.execute(select(Station.name, Station.kind).where(
        Station.parent_id == station.id, Station.active.is_(True)).order_by(Station.id))).all()
    parent = await session.get(Station, station.parent_id) if station.parent_id else None
    return {
        "id": station.id, "name": station.name, "kind": station.kind,
        "kind_label": STATION_KINDS.get(station.kind, station.kind), "address": station.address,
        "township": station.township, "phone": station.phone, "active": station.active,
        "parent": parent.name if parent is not None else "",
        "deputies": [{"number": n, "name": name, "delegation": d} for n, name, d in deputies],
        "points": [{"name": name, "kind_label": STATION_KINDS.get(kind, kind)} for name, kind in points],
        "duty_days": await _duty_days(session, today, PLATE_DUTY_DAYS, station_id=station.id),
        "code": station.code, "opinion_url": f"{_base(settings)}/o/{station.code}",
    }
