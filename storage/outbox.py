"""The outbox's bookkeeping: which rows wait for the relay, who a row goes to, what became of it.

The database is the authority on every notification (pending / delivered / skipped / dead); Redis
only carries them. So a notification lost by Redis (restarted without persistence) is relayed again
from here, and one delivered twice is prevented by the row's status and per-recipient marks. A mark
counts only for the very row that wrote it (`fingerprint`): a Redis that outlived its database, or a
restored backup whose new rows reuse old ids, never makes a pending row look delivered.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import and_, or_, select, update

from storage.db import Database
from storage.models import (
    HANDED_ON_STATES,
    Assignment,
    Deputy,
    OpinionReferral,
    OutboxMessage,
    Unit,
    UnitLiaison,
    User,
    utcnow,
)
from storage.uow import UnitOfWork

# Accounts that receive notifications addressed to ("staff", "*"): the roles that act (workflow's
# ACTING_ROLES; storage does not import workflow, and a test holds the two together).
STAFF_ROLES = ("admin", "staff")


@dataclass
class Target:
    """One WeChat user a notification goes to."""

    openid: str
    kind: str  # deputy | unit | staff | supervisor | openid
    key: str  # deputy number, unit code, username or openid


def fingerprint(row: OutboxMessage) -> str:
    """What tells this row from one with the same id in another database, or written anew after a
    restore (its idempotency key and the moment it was written): the value of its delivery marks."""
    written = row.created_at.isoformat() if row.created_at else ""
    return hashlib.sha256(f"{row.idempotency_key}\n{written}".encode()).hexdigest()[:16]


async def pending_for_relay(db: Database, limit: int, redeliver_after: dt.timedelta) -> list[tuple[int, str]]:
    """(id, idempotency key) of rows never relayed, or relayed long ago and still not delivered."""
    stale = utcnow() - redeliver_after
    query = (select(OutboxMessage.id, OutboxMessage.idempotency_key)
             .where(OutboxMessage.status == "pending",
                    or_(OutboxMessage.relayed_at.is_(None), OutboxMessage.relayed_at < stale))
             .order_by(OutboxMessage.id).limit(limit))
    async with db.read() as session:
        return [tuple(row) for row in (await session.execute(query)).all()]


async def mark_relayed(db: Database, ids: Sequence[int]) -> None:
    if not ids:
        return
    async with UnitOfWork(db) as session:
        await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(list(ids)))
                              .values(relayed_at=utcnow()))


async def load(db: Database, ids: Sequence[int]) -> dict[int, OutboxMessage]:
    """The rows as plain read-only rows with the model's attribute names (no ORM objects: a sender reads
    thousands a second and changes them only through `finish` and `record_failure`)."""
    async with db.read() as session:
        rows = await session.execute(select(*OutboxMessage.__table__.c).where(OutboxMessage.id.in_(list(ids))))
        return {row.id: row for row in rows}


async def targets(db: Database, rows: Sequence[OutboxMessage]) -> dict[int, list[Target]]:
    """The bound WeChat users each row goes to (a row for a unit reaches each of its liaisons)."""
    deputies = {r.recipient_id for r in rows if r.recipient_kind == "deputy"}
    units = {r.recipient_id for r in rows if r.recipient_kind == "unit"}
    roles = {r.recipient_kind for r in rows if r.recipient_kind in ("staff", "supervisor")}
    found: dict[tuple[str, str], list[Target]] = {}
    async with db.read() as session:
        if deputies:
            query = select(Deputy.number, Deputy.openid).where(Deputy.number.in_(deputies), Deputy.openid.is_not(None))
            for number, openid in (await session.execute(query)).all():
                found.setdefault(("deputy", number), []).append(Target(openid, "deputy", number))
        if units:
            query = (select(Unit.code, UnitLiaison.openid).join(UnitLiaison, UnitLiaison.unit_id == Unit.id)
                     .where(Unit.code.in_(units)))
            for code, openid in (await session.execute(query)).all():
                found.setdefault(("unit", code), []).append(Target(openid, "unit", code))
        if roles:
            query = select(User.username, User.role, User.openid).where(User.openid.is_not(None), User.active)
            for username, role, openid in (await session.execute(query)).all():
                kind = "staff" if role in STAFF_ROLES else "supervisor" if role == "supervisor" else None
                if kind in roles:
                    found.setdefault((kind, "*"), []).append(Target(openid, kind, username))
    result = {}
    for row in rows:
        if row.recipient_kind == "openid":
            result[row.id] = [Target(row.recipient_id, "openid", row.recipient_id)]
        else:
            result[row.id] = found.get((row.recipient_kind, row.recipient_id), [])
    return result


async def unit_assignment(db: Database, proposal_id: int, unit_code: str,
                          assignment_id: Optional[int]) -> Optional[Assignment]:
    """The assignment a unit's link should open for a notification."""
    query = select(Assignment).join(Unit, Assignment.unit_id == Unit.id).where(
        Assignment.proposal_id == proposal_id, Unit.code == unit_code, Assignment.state.not_in(HANDED_ON_STATES))
    if assignment_id is not None:
        query = query.order_by((Assignment.id == assignment_id).desc())
    async with db.read() as session:
        return (await session.execute(query.order_by(Assignment.id.desc()).limit(1))).scalars().first()


async def referral(db: Database, referral_id: int) -> Optional[OpinionReferral]:
    """The opinion referral a unit's notification links to (转办)."""
    async with db.read() as session:
        return await session.get(OpinionReferral, referral_id)


async def finish(db: Database, outcomes: dict[int, tuple[str, str, str]]) -> None:
    """Record outcomes: id -> (status, channel, error). Only rows still pending change."""
    if not outcomes:
        return
    groups: dict[tuple[str, str, str], list[int]] = {}
    for row_id, outcome in outcomes.items():
        groups.setdefault(outcome, []).append(row_id)
    now = utcnow()
    async with UnitOfWork(db) as session:
        for (status, channel, error), ids in groups.items():
            await session.execute(
                update(OutboxMessage).where(and_(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending"))
                .values(status=status, channel=channel, last_error=error[:500],
                        delivered_at=now if status in ("delivered", "skipped") else None,
                        attempts=OutboxMessage.attempts + 1))


async def record_failure(db: Database, row_id: int, error: str, max_attempts: int) -> int:
    """Count a failed attempt; parks the row as dead after `max_attempts`. Returns the attempts so far."""
    async with UnitOfWork(db) as session:
        row = await session.get(OutboxMessage, row_id)
        if row is None or row.status != "pending":
            return max_attempts
        row.attempts += 1
        row.last_error = error[:500]
        if row.attempts >= max_attempts:
            row.status = "dead"
            if row.kind != "dead_letter":  # staff hear of it (but a failed alarm raises no alarm)
                session.add(OutboxMessage(
                    kind="dead_letter", recipient_kind="staff", recipient_id="*",
                    idempotency_key=f"dead:{row.id}:{row.attempts}",
                    payload={"proposal_id": (row.payload or {}).get("proposal_id"),
                             "number": (row.payload or {}).get("number"), "title": (row.payload or {}).get("title"),
                             "facts": {"count": 1, "dead_id": row.id}}))
        return row.attempts


async def resend(db: Database, row_id: int) -> bool:
    """Put a dead (or skipped) notification back in the queue; False if there is no such row."""
    async with UnitOfWork(db) as session:
        row = await session.get(OutboxMessage, row_id)
        if row is None or row.status not in ("dead", "skipped"):
            return False
        row.status, row.attempts, row.relayed_at, row.last_error = "pending", 0, None, ""
        return True
