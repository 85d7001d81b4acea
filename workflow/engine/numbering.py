"""Official numbers: a proposal joins its session (届/次) when first submitted, and staff correct it.

Each session numbers its 大会建议 and its 闭会期间建议 in their own sequences (storage's session counters);
the number as printed (第24号, from the `[sessions]` formats) is kept on the proposal, so a later change of
format never renumbers papers already sent. A correction takes the next number of the new sequence.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import CongressSession
from workflow.domain.cards import AWAITING_ASSIGNMENT
from workflow.domain.clock import local_date
from workflow.domain.deadlines import due_date
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Context
from workflow.domain.sessions import Span, official_number, place_of
from workflow.engine.registry import effect


async def join_session(session: AsyncSession, ctx: Context, day: dt.date) -> dict:
    """Number a newly submitted proposal in the session `day` belongs to (nothing before every session)."""
    rows = await repo.session_spans(session)
    place = place_of(day, [Span(r.id, r.term, r.number, r.opens_on, r.closes_on) for r in rows])
    if place is None:
        return {}
    span, kind = place
    return await _number(session, ctx, next(r for r in rows if r.id == span.id), kind, day)


async def _number(session: AsyncSession, ctx: Context, row: CongressSession, kind: str, submitted_on: dt.date) -> dict:
    p = ctx.proposal
    seq = await repo.next_official_seq(session, row.id, kind)
    template = ctx.numbering.session_number_format if kind == "session" else ctx.numbering.interim_number_format
    p.session_id, p.congress_session, p.kind, p.official_seq = row.id, row, kind, seq
    p.official_number = official_number(template, seq)
    p.assign_due = due_date(submitted_on, ctx.deadlines.interim_assign).due \
        if kind == "interim" and p.state in AWAITING_ASSIGNMENT + ("draft", "consulting") else None
    return {"session": row.id, "session_name": row.name, "kind": kind, "official_number": p.official_number,
            **({"assign_due": p.assign_due} if p.assign_due else {})}


@effect("correct_session")
async def _correct_session(session: AsyncSession, ctx: Context) -> dict:
    """更正届次: the session, the kind (大会/闭会期间) or the origin (议案转建议) a proposal was entered with."""
    p, params = ctx.proposal, ctx.params
    if not params:
        raise InvalidInput("请至少更正届次、建议类型或来源中的一项。")
    facts: dict = {}
    if "origin" in params and params["origin"] != p.origin:
        facts["origin"], facts["previous_origin"] = params["origin"], p.origin
        p.origin = params["origin"]
    target = p.congress_session
    if "session" in params:
        target = await _session_named(session, params["session"])
    kind = params.get("kind") or p.kind or "session"
    if target is None and "kind" in params:
        raise InvalidInput("这件建议还没有届次：请同时选择所属会议。", field="session")
    if target is not None and (target.id, kind) != (p.session_id, p.kind):
        facts["previous_official_number"] = p.official_number
        facts["previous_session"] = p.session_id
        submitted_on = local_date(p.submitted_at) if p.submitted_at else ctx.today
        facts.update(await _number(session, ctx, target, kind, submitted_on))
    if not facts:
        raise InvalidInput("所填的与现在的一样，没有需要更正的。")
    return facts


async def _session_named(session: AsyncSession, value: str) -> Optional[CongressSession]:
    try:
        row = await session.get(CongressSession, int(str(value).strip()))
    except ValueError:
        row = None
    if row is None:
        raise InvalidInput(f"找不到编号为 {str(value)[:12]} 的会议，请先在“届次会议”中登记。", field="session")
    return row

