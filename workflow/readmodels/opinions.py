"""What pages, the API and the bot show of citizens' opinions; never writes.

One shape per audience, decided here only: `staff` (and the deputy it was addressed to) see the
citizen's name and phone; a `unit` sees them only when the citizen did not ask to hide them; the
`public` receipt page never shows them, nor who else wrote.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CitizenOpinion, Deputy, Proposal, ProposalOpinion, RecordEvent, Reply, Station, StationDeputy
from workflow.domain.definition import RATING_LABELS, REPLY_CATEGORIES, STATES
from workflow.domain.opinions import CHANNELS, OPINION_EVENT_LABELS, OPINION_STATES, ROUTES, STATION_KINDS

AUDIENCES = ("staff", "deputy", "unit", "public")
PAGE = 50


def _station(station: Optional[Station]) -> Optional[dict]:
    if station is None:
        return None
    return {"id": station.id, "code": station.code, "name": station.name, "kind": station.kind,
            "kind_label": STATION_KINDS.get(station.kind, station.kind), "township": station.township}


def opinion_dict(opinion: CitizenOpinion, audience: str = "staff") -> dict[str, Any]:
    """One opinion as `audience` may see it."""
    body: dict[str, Any] = {
        "receipt": opinion.receipt, "state": opinion.state, "state_label": OPINION_STATES[opinion.state],
        "text": opinion.text, "channel": opinion.channel, "channel_label": CHANNELS.get(opinion.channel, ""),
        "received_on": opinion.received_on, "station": _station(opinion.station),
        "deputy": ({"number": opinion.deputy.number, "name": opinion.deputy.name} if opinion.deputy else None),
        "route": opinion.route, "route_label": ROUTES.get(opinion.route, ""),
        "answer": opinion.answer, "answered_by": opinion.answered_by, "answered_on": opinion.answered_on,
        "where_to_go": opinion.where_to_go, "closed_reason": opinion.closed_reason,
        "rating": opinion.rating, "rating_label": RATING_LABELS.get(opinion.rating, ""),
        "photos": len(opinion.photos),
    }
    if audience != "public":
        body["id"] = opinion.id
        body["referrals"] = [{"id": r.id, "unit": r.unit.code, "unit_name": r.unit.name, "state": r.state,
                              "referred_on": r.referred_on, "due": r.due, "answered_on": r.answered_on,
                              "answer": r.answer, "handler": r.handler, "note": r.note} for r in opinion.referrals]
        body["rating_comment"] = opinion.rating_comment
        body["entered_by"] = opinion.entered_by
    if audience in ("staff", "deputy") or (audience == "unit" and not opinion.hide_from_units):
        body["citizen"] = {"name": opinion.citizen_name, "phone": opinion.citizen_phone,
                           "hide_from_units": opinion.hide_from_units}
    return body


async def carrying_proposal(session: AsyncSession, opinion: CitizenOpinion) -> Optional[dict]:
    """The proposal this opinion became part of: number, state and (once published) the reply's category."""
    if opinion.proposal_id is None:
        return None
    proposal = await session.get(Proposal, opinion.proposal_id)
    if proposal is None:
        return None
    replies = (await session.execute(select(Reply.category, Reply.published, Reply.id).where(
        Reply.proposal_id == proposal.id).order_by(Reply.id))).all()
    return {"number": proposal.number or "", "title": proposal.title, "year": proposal.year, "state": proposal.state,
            "state_label": STATES[proposal.state], "confidential": proposal.confidential,
            "replies": [{"category": r.category, "category_label": REPLY_CATEGORIES.get(r.category, ""),
                         "published_id": r.id if r.published and not proposal.confidential else None}
                        for r in replies]}


async def events_of(session: AsyncSession, opinion_id: int) -> list[dict]:
    rows = (await session.execute(select(RecordEvent).where(RecordEvent.subject_kind == "opinion",
                                                            RecordEvent.subject_id == opinion_id)
                                  .order_by(RecordEvent.seq))).scalars().all()
    return [{"seq": e.seq, "action": e.action, "label": OPINION_EVENT_LABELS.get(e.action, e.action),
             "actor_kind": e.actor_kind, "actor_name": e.actor_name, "from_state": e.from_state,
             "to_state": e.to_state, "at": e.created_at, "payload": e.payload} for e in rows]


async def by_receipt(session: AsyncSession, receipt: str) -> Optional[CitizenOpinion]:
    receipt = (receipt or "").strip().upper()
    if not receipt or len(receipt) > 16:
        return None
    return (await session.execute(select(CitizenOpinion).where(CitizenOpinion.receipt == receipt))
            ).unique().scalar_one_or_none()


async def by_ref(session: AsyncSession, ref: str) -> Optional[CitizenOpinion]:
    """By id (digits) or receipt number."""
    ref = (ref or "").strip()
    if ref.isdigit() and len(ref) < 10:
        return await session.get(CitizenOpinion, int(ref))
    return await by_receipt(session, ref)


async def listing(session: AsyncSession, *, state: str = "", deputy: str = "", station: Optional[int] = None,
                  year: Optional[int] = None, page: int = 1) -> tuple[list[CitizenOpinion], int]:
    """A page of opinions, newest first, and how many match."""
    query = select(CitizenOpinion)
    if state:
        query = query.where(CitizenOpinion.state == state)
    if deputy:
        query = query.where(CitizenOpinion.deputy_id == select(Deputy.id).where(Deputy.number == deputy)
                            .scalar_subquery())
    if station is not None:
        children = select(Station.id).where(Station.parent_id == station)
        query = query.where((CitizenOpinion.station_id == station) | CitizenOpinion.station_id.in_(children))
    if year is not None:
        query = query.where(CitizenOpinion.received_on >= dt.date(year, 1, 1),
                            CitizenOpinion.received_on < dt.date(year + 1, 1, 1))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(CitizenOpinion.id.desc()).offset((page - 1) * PAGE).limit(PAGE))
            ).unique().scalars().all()
    return list(rows), total


async def waiting_for_deputy(session: AsyncSession, number: str, limit: int = 10) -> list[CitizenOpinion]:
    """Opinions addressed to this deputy (or to a station they receive at) still to be routed."""
    deputy = (await session.execute(select(Deputy).where(Deputy.number == number))).scalar_one_or_none()
    if deputy is None:
        return []
    stations = select(StationDeputy.station_id).where(StationDeputy.deputy_id == deputy.id)
    query = (select(CitizenOpinion).where(CitizenOpinion.state == "received")
             .where((CitizenOpinion.deputy_id == deputy.id)
                    | (CitizenOpinion.deputy_id.is_(None) & CitizenOpinion.station_id.in_(stations)))
             .order_by(CitizenOpinion.id).limit(limit))
    return list((await session.execute(query)).unique().scalars().all())


async def carried_by(session: AsyncSession, proposal_id: int) -> list[dict]:
    """The opinions a proposal carries, as staff see them beside it (no personal data)."""
    rows = (await session.execute(select(CitizenOpinion).join(ProposalOpinion,
                                                              ProposalOpinion.opinion_id == CitizenOpinion.id)
                                  .where(ProposalOpinion.proposal_id == proposal_id)
                                  .order_by(CitizenOpinion.id))).unique().scalars().all()
    return [{"receipt": o.receipt, "state": o.state, "state_label": OPINION_STATES[o.state],
             "station": o.station.name if o.station else "", "received_on": o.received_on} for o in rows]
