"""The bot's own tables: who a WeChat user is, the stored dialogue, the log of delivered messages
(one effect per message), and chat answers queued in the outbox to be sent later.

Only storage: no workflow rule is decided here. Binding (workflow/usecases/binding.py) is the use
case that links a WeChat user to a deputy or a unit liaison.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

from sqlalchemy import String, bindparam, delete, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import Database
from storage.dialects import insert_for
from storage.models import BotDialogue, BotInbound, Deputy, OutboxMessage, Unit, UnitLiaison, utcnow
from storage.uow import UnitOfWork

# The bot's batched writes run on a session or straight on a connection (bench/webhook.py).
Executor = Union[AsyncSession, AsyncConnection]
INBOUND_KEEP = dt.timedelta(days=2)  # WeChat retries within ~15 s; keep far longer than the 60 s needed


@dataclass(frozen=True)
class Identity:
    """Who a WeChat user is to us: nobody, a deputy (by number) or a unit liaison (by unit code)."""

    kind: str = ""  # "" | deputy | unit
    key: str = ""  # deputy number | unit code
    name: str = ""  # deputy name | unit name

    @property
    def bound(self) -> bool:
        return bool(self.kind)


NOBODY = Identity()


async def identify(session: AsyncSession, openid: str) -> Identity:
    return (await speakers(session, [openid]))[openid][0]


async def speakers(session: AsyncSession, openids: Sequence[str]) -> dict[str, tuple[Identity, "StoredDialogue"]]:
    """Who each openid is and where their dialogue stands, in one query (the hot path of every message)."""
    openids = list(dict.fromkeys(openids))
    # Padded to a few sizes so that SQLAlchemy's statement cache sees a few shapes, not one per batch size.
    size = next(n for n in (1, 4, 16, 64, len(openids)) if n >= len(openids))
    padded = openids + openids[-1:] * (size - len(openids))
    me = union_all(*(select(literal(o, String).label("openid")) for o in padded)).subquery() if size > 1 \
        else select(literal(openids[0], String).label("openid")).subquery()
    rows = (await session.execute(
        select(me.c.openid, Deputy.number, Deputy.name, Deputy.active, Unit.code, Unit.name.label("unit_name"),
               Unit.active.label("unit_active"), BotDialogue.state, BotDialogue.data, BotDialogue.version)
        .select_from(me)
        .outerjoin(Deputy, Deputy.openid == me.c.openid)
        .outerjoin(UnitLiaison, UnitLiaison.openid == me.c.openid)
        .outerjoin(Unit, Unit.id == UnitLiaison.unit_id)
        .outerjoin(BotDialogue, BotDialogue.openid == me.c.openid))).all()
    found = {}
    for row in rows:
        if row.number is not None:
            who = Identity("deputy", row.number, row.name) if row.active else NOBODY
        elif row.code is not None and row.unit_active:
            who = Identity("unit", row.code, row.unit_name)
        else:
            who = NOBODY
        stored = StoredDialogue(row.state, dict(row.data or {}), row.version) if row.version else StoredDialogue()
        found[row.openid] = (who, stored)
    return found


@dataclass
class StoredDialogue:
    """A dialogue as kept between messages; `version` guards against two writers."""

    state: str = "idle"
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # 0: no row yet


async def save_dialogue(session: AsyncSession, openid: str, before: StoredDialogue, state: str, data: dict) -> bool:
    """Store the new state if nobody else changed it since `before` was loaded; False on a conflict."""
    return await save_dialogues(session, [(openid, before, state, data)]) == 0


async def save_dialogues(session: Executor, changes: Sequence[tuple[str, StoredDialogue, str, dict]]) -> int:
    """Store several users' new states (each only if unchanged since loaded); returns how many conflicted."""
    now = utcnow()
    changes = [c for c in changes if not (c[1].version and c[2] == c[1].state and c[3] == c[1].data)]
    fresh = [dict(openid=o, state=st, data=d, version=1, updated_at=now) for o, before, st, d in changes
             if before.version == 0]
    known = [dict(o=o, v=before.version, state=st, data=d, version=before.version + 1, updated_at=now)
             for o, before, st, d in changes if before.version]
    conflicts = 0
    if fresh:
        table = BotDialogue.__table__
        statement = insert_for(session)(table).on_conflict_do_nothing(index_elements=[table.c.openid]).returning(
            table.c.openid)
        conflicts += len(fresh) - len((await session.execute(statement, fresh)).all())
    if known:
        connection = await session.connection() if hasattr(session, "get_bind") else session
        statement = (update(BotDialogue).where(BotDialogue.openid == bindparam("o"), BotDialogue.version == bindparam("v"))
                     .values(state=bindparam("state"), data=bindparam("data"), version=bindparam("version"),
                             updated_at=bindparam("updated_at")))
        result = await connection.execute(statement, known)
        conflicts += len(known) - result.rowcount if result.rowcount >= 0 else 0
    return conflicts



async def drop_dialogue(session: AsyncSession, openid: str) -> None:
    await session.execute(delete(BotDialogue).where(BotDialogue.openid == openid))


@dataclass(frozen=True)
class Delivered:
    """An earlier delivery of the same message: its answer (None while it is still being worked on)."""

    answer: Optional[str]
    followed_up: bool
    owner: str = ""  # while in progress: the process working on it
    claimed_at: Optional[dt.datetime] = None
    replayed: bool = False  # not a delivery of this message: its signed URL came before with another body


REPLAYED = Delivered(None, False, replayed=True)


@dataclass(frozen=True)
class Claim:
    """A delivery to record: its key, sender and answer (None while work remains: then `message`, the
    delivery itself, is kept so that another process can take the work over)."""

    key: str
    openid: str
    answer: Optional[str]
    message: Optional[dict[str, Any]] = None
    signed: Optional[str] = None  # the signed URL it came with, "timestamp:nonce" (None: not known)
    body_digest: Optional[str] = None  # SHA-256 (hex) of the body it came with


async def claim_messages(session: AsyncSession, claims: Sequence[Claim], owner: str) -> dict[str, Delivered]:
    """Record several deliveries as `owner`'s; returns the earlier deliveries of the keys already recorded,
    and REPLAYED for those whose signed URL an earlier delivery came with, with another body.

    One INSERT for all, which skips a row whose key or whose signed URL is taken (ON CONFLICT DO NOTHING
    without a target covers both unique indexes, also against a concurrent writer on PostgreSQL, with no
    error to catch); only the rows skipped are read back to tell a retry from a replay."""
    if not claims:
        return {}
    now = utcnow()
    rows = [dict(key=c.key, openid=c.openid, answer=c.answer, followed_up=False, created_at=now,
                 answered_at=now if c.answer is not None else None, owner=owner if c.answer is None else "",
                 claimed_at=now if c.answer is None else None, message=c.message if c.answer is None else None,
                 signed=c.signed or None, body_digest=c.body_digest or None)
            for c in claims]
    table = BotInbound.__table__
    statement = insert_for(session)(table).on_conflict_do_nothing().returning(table.c.key)
    new = set((await session.execute(statement, rows)).scalars())
    repeated = [c for c in claims if c.key not in new]
    if not repeated:
        return {}
    found = {row.key: row for row in (await session.execute(
        _delivered_query().add_columns(BotInbound.signed, BotInbound.body_digest)
        .where(BotInbound.key.in_([c.key for c in repeated])))).all()}
    return {c.key: _earlier_or_replayed(c, found.get(c.key)) for c in repeated}


def _earlier_or_replayed(claim: Claim, row) -> Delivered:
    """A key already recorded is a retry, unless it came with the same signed URL and another body; a new
    key not recorded was refused by the unique signed URL: the URL came before with another message."""
    if row is None:
        return REPLAYED
    if claim.signed and row.signed == claim.signed and row.body_digest != claim.body_digest:
        return REPLAYED
    return _delivered(row)


async def delivered(session: AsyncSession, key: str) -> Optional[Delivered]:
    row = (await session.execute(_delivered_query().where(BotInbound.key == key))).first()
    return _delivered(row) if row is not None else None


def _delivered_query():
    return select(BotInbound.key, BotInbound.answer, BotInbound.followed_up, BotInbound.owner, BotInbound.claimed_at)


def _delivered(row) -> Delivered:
    return Delivered(row.answer, row.followed_up, row.owner or "", row.claimed_at)


async def take_over(session: AsyncSession, key: str, earlier: Delivered, owner: str) -> bool:
    """Make `owner` the one working on a claim still in progress, if nobody took it since `earlier` was read."""
    claimed = BotInbound.claimed_at == earlier.claimed_at if earlier.claimed_at is not None \
        else BotInbound.claimed_at.is_(None)
    result = await session.execute(
        update(BotInbound).where(BotInbound.key == key, BotInbound.answer.is_(None), BotInbound.owner == earlier.owner,
                                 claimed).values(owner=owner, claimed_at=utcnow()))
    return result.rowcount == 1


async def abandoned(session: AsyncSession, older_than: dt.timedelta, limit: int = 50) -> list[tuple[str, Delivered, dict]]:
    """Claims still in progress whose owner has not finished for `older_than`: (key, claim, message)."""
    rows = (await session.execute(
        select(BotInbound.key, BotInbound.answer, BotInbound.followed_up, BotInbound.owner, BotInbound.claimed_at,
               BotInbound.message)
        .where(BotInbound.answered_at.is_(None), BotInbound.claimed_at < utcnow() - older_than,
               BotInbound.message.is_not(None))
        .order_by(BotInbound.claimed_at).limit(limit))).all()
    return [(row.key, _delivered(row), dict(row.message)) for row in rows if row.answer is None]


async def record_answer(session: AsyncSession, key: str, answer: str, followed_up: bool = False) -> None:
    await session.execute(update(BotInbound).where(BotInbound.key == key).values(
        answer=answer, followed_up=followed_up, answered_at=utcnow(), message=None))


async def purge_messages(db: Database, keep: dt.timedelta = INBOUND_KEEP) -> int:
    async with UnitOfWork(db) as session:
        result = await session.execute(delete(BotInbound).where(BotInbound.created_at < utcnow() - keep))
    return result.rowcount or 0


def chat_reply(openid: str, key: str, text: str) -> OutboxMessage:
    """An outbox row that the notification sender delivers as a customer-service message."""
    return OutboxMessage(event_id=None, kind="chat_reply", recipient_kind="openid", recipient_id=openid,
                         idempotency_key=f"chat_reply:{key}"[:128], payload={"text": text})


async def follow_up(db: Database, key: str, openid: str, text: str) -> None:
    """The answer to message `key` was ready too late for WeChat's 5 s: send it as a message (once)."""
    async with UnitOfWork(db) as session:
        row = (await session.execute(select(BotInbound).where(BotInbound.key == key))).scalars().first()
        if row is not None and row.followed_up:
            return
        session.add(chat_reply(openid, key, text))
        if row is not None:
            row.answer, row.followed_up, row.answered_at, row.message = text, True, utcnow(), None
