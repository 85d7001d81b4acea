"""延期申请: a lead unit applies from its link for a later reply due date; staff approve or refuse.

The application is a row (storage/models/extensions.py); the date it asks for also stands on the
assignment while it waits (`extension_requested_due`), which is what the rules read. Approving moves
the reply due date (recorded in the event with the rest of the assignment's changes).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ExtensionRequest, utcnow
from workflow.domain.rules import Context
from workflow.engine.registry import effect


async def settle_extension_request(session: AsyncSession, ctx: Context, state: str,
                                   granted: Optional[dt.date] = None, reason: str = "") -> Optional[ExtensionRequest]:
    """Decide the acting assignment's pending application (if any): approved (with the date granted) or refused."""
    a = ctx.assignment
    if a is None or a.extension_requested_due is None:
        return None
    request = (await session.execute(
        select(ExtensionRequest).where(ExtensionRequest.assignment_id == a.id, ExtensionRequest.outcome == "pending")
        .order_by(ExtensionRequest.id.desc()).limit(1))).scalars().first()
    a.extension_requested_due = None
    if request is not None:
        request.outcome, request.granted_due, request.decision_reason = state, granted, reason
        request.decided_by, request.decided_at = ctx.actor.name or ctx.actor.id, utcnow()
    return request


@effect("request_extension")
async def _request_extension(session: AsyncSession, ctx: Context) -> dict:
    a = ctx.assignment
    session.add(ExtensionRequest(assignment_id=a.id, requested_due=ctx.params["due_date"],
                                 reason=ctx.params["reason"], explained_to_deputy=ctx.params["explained_to_deputy"]))
    a.extension_requested_due = ctx.params["due_date"]
    return {"unit": a.unit.code, "unit_name": a.unit.name, "current_due": a.reply_due}


@effect("approve_extension")
async def _approve_extension(session: AsyncSession, ctx: Context) -> dict:
    a = ctx.assignment
    granted, previous = ctx.params.get("due_date") or a.extension_requested_due, a.reply_due
    request = await settle_extension_request(session, ctx, "approved", granted=granted)
    a.reply_due, a.reply_due_manual = granted, True
    facts = {"unit": a.unit.code, "previous_due": previous, "reply_due": granted, "due_date": granted}
    if request is not None:
        facts.update(requested_due=request.requested_due, explained_to_deputy=request.explained_to_deputy)
    return facts


@effect("refuse_extension")
async def _refuse_extension(session: AsyncSession, ctx: Context) -> dict:
    a = ctx.assignment
    request = await settle_extension_request(session, ctx, "refused", reason=ctx.params["reason"])
    facts = {"unit": a.unit.code, "reply_due": a.reply_due}
    if request is not None:
        facts["requested_due"] = request.requested_due
    return facts
