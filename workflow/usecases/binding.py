"""Binding: a WeChat user becomes a deputy or a unit liaison with a one-time code.

A WeChat user is nobody until bound with a one-time code (`new_binding_code`, printed by
`run.py deputies codes` or given by the API); codes expire and are single-use, and only their hash is
kept; failed tries are counted per WeChat user and refused past BIND_FAILURES_PER_HOUR in an hour, so
guessing a code is hopeless. One WeChat user is one identity: a deputy or a unit liaison, never both;
`解绑` undoes it. Who a WeChat user is, is read from storage/bot_store.py.

Each of these is a system event (workflow/engine/chain.py `append_system_event`), with the openids
masked: a code issued (by whom, for whom; never the code), a binding, a rebinding (the deputy's old
and new WeChat user, and who issued the code that moved it) and an unbinding.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.bot_store import NOBODY, Identity, drop_dialogue, identify
from storage.db import Database
from storage.models import BindingAttempt, BindingCode, Deputy, Unit, UnitLiaison, utcnow
from storage.uow import UnitOfWork
from workflow.domain import words
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.rules import Actor
from workflow.engine.chain import append_system_event

BIND_FAILURES_PER_HOUR = 5
BIND_WINDOW = dt.timedelta(hours=1)


class TooManyAttempts(InvalidInput):
    code = "too_many_attempts"
    status = 429


# ---------------------------------------------------------------- binding
async def bind(db: Database, openid: str, code: str, now: Optional[dt.datetime] = None) -> Identity:
    """Bind `openid` with a one-time `code`; InvalidInput (or TooManyAttempts) says why not, in Chinese."""
    now = now or utcnow()
    async with UnitOfWork(db) as session:
        refusal = await _bind_refusal(session, openid, now)
        if refusal is None:
            refusal, identity = await _use_code(session, openid, code, now)
            session.add(BindingAttempt(openid=openid, succeeded=refusal is None, created_at=now))
    if refusal is not None:
        raise refusal
    return identity


async def _bind_refusal(session: AsyncSession, openid: str, now: dt.datetime) -> Optional[InvalidInput]:
    current = await identify(session, openid)
    if current.bound:
        who = f"代表 {current.name}（{current.key}）" if current.kind == "deputy" else f"{current.name}联络员"
        return InvalidInput(f"您已绑定为{who}。如需改绑，请先发送“解绑”。")
    failures = (await session.execute(
        select(func.count()).select_from(BindingAttempt)
        .where(BindingAttempt.openid == openid, BindingAttempt.succeeded.is_(False),
               BindingAttempt.created_at > now - BIND_WINDOW))).scalar_one()
    if failures >= BIND_FAILURES_PER_HOUR:
        return TooManyAttempts(f"绑定码输错次数太多，请一小时后再试，或联系{words.staff_body()}重新领取绑定码。")
    return None


async def _use_code(session: AsyncSession, openid: str, code: str, now: dt.datetime) -> tuple[Optional[InvalidInput], Identity]:
    code = (code or "").strip().upper()
    row = await find_binding_code(session, code) if 4 <= len(code) <= 32 else None
    if row is None:
        return InvalidInput(f"绑定码不正确，请核对后重新发送（绑定码由{words.staff_body()}提供）。"), NOBODY
    if row.used_at is not None:
        return InvalidInput(f"这个绑定码已经用过了。如需重新绑定，请联系{words.staff_body()}领取新的绑定码。"), NOBODY
    if row.expires_at < now:
        return InvalidInput(f"这个绑定码已过期，请联系{words.staff_body()}领取新的绑定码。"), NOBODY
    if row.deputy_id is not None:
        deputy = await session.get(Deputy, row.deputy_id)
        if not deputy.active:
            return InvalidInput("该代表已不在代表名册中，无法绑定。"), NOBODY
        row.used_at = now
        previous = deputy.openid
        if previous and previous != openid:
            await drop_dialogue(session, previous)  # the code was issued anew: the new phone takes over
        deputy.openid = openid
        await append_system_event(
            session, "rebind_wechat" if previous and previous != openid else "bind_wechat",
            Actor("deputy", deputy.number, deputy.name), "deputy", deputy.number,
            {"code_id": row.id, "code_issued_by": row.created_by},
            openids={"openid": openid, "previous_openid": previous if previous != openid else None})
        return None, Identity("deputy", deputy.number, deputy.name)
    unit = await session.get(Unit, row.unit_id)
    if not unit.active:
        return InvalidInput("该单位已停用，无法绑定。"), NOBODY
    row.used_at = now
    session.add(UnitLiaison(unit_id=unit.id, openid=openid))
    await append_system_event(session, "bind_unit_liaison", Actor("unit", unit.code, unit.name), "unit", unit.code,
                              {"code_id": row.id, "code_issued_by": row.created_by}, openids={"openid": openid})
    return None, Identity("unit", unit.code, unit.name)


async def unbind(db: Database, openid: str) -> Identity:
    """Forget who `openid` is (and its dialogue); returns who it was."""
    async with UnitOfWork(db) as session:
        was = await identify(session, openid)
        await session.execute(update(Deputy).where(Deputy.openid == openid).values(openid=None))
        await session.execute(delete(UnitLiaison).where(UnitLiaison.openid == openid))
        await drop_dialogue(session, openid)
        if was.bound:
            await append_system_event(session, "unbind_wechat", Actor(was.kind, was.key, was.name), was.kind,
                                      was.key, {}, openids={"openid": openid})
    return was


# ---------------------------------------------------------------- codes for many deputies at once
async def binding_codes(db: Database, numbers: Optional[list[str]] = None, include_bound: bool = False,
                        created_by: Actor = Actor("system", "cli", "命令行")) -> list[tuple[str, str, str, dt.datetime]]:
    """One new code per active deputy (those named, or all not yet bound): (number, name, code, expires)."""
    async with db.read() as session:
        query = select(Deputy.number, Deputy.name).where(Deputy.active).order_by(Deputy.number)
        if numbers:
            query = query.where(Deputy.number.in_(numbers))
        elif not include_bound:
            query = query.where(Deputy.openid.is_(None))
        rows = (await session.execute(query)).all()
    missing = sorted(set(numbers or []) - {r.number for r in rows})
    if missing:
        raise InvalidInput(f"代表名册中没有（或已停用）：{'、'.join(missing)}。")
    issued = []
    for number, name in rows:
        code, expires = await new_binding_code(db, created_by, deputy=number)
        issued.append((number, name, code, expires))
    return issued


CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed on a phone


CODE_TTL = dt.timedelta(days=7)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def new_binding_code(db: Database, created_by: Actor, deputy: Optional[str] = None,
                           unit: Optional[str] = None) -> tuple[str, dt.datetime]:
    """A one-time code for `deputy` (number) or `unit` (code), issued by `created_by`; only its hash is
    kept, and the system log says who issued a code for whom (for a deputy already bound: a rebinding)."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    async with UnitOfWork(db) as session:
        row = BindingCode(code_hash=_hash(code), created_by=created_by.id, expires_at=utcnow() + CODE_TTL)
        if deputy is not None:
            found = await repo.deputy_by_number(session, deputy)
            if found is None:
                raise NotFound(f"找不到代表 {deputy}。")
            row.deputy_id, subject, bound = found.id, ("deputy", found.number), found.openid is not None
        else:
            found = (await repo.units_by_codes(session, [unit or ""])).get(unit or "")
            if found is None:
                raise NotFound(f"找不到单位 {unit}。")
            row.unit_id, subject = found.id, ("unit", found.code)
            bound = (await session.execute(select(UnitLiaison.id).where(UnitLiaison.unit_id == found.id)
                                           .limit(1))).first() is not None
        session.add(row)
        await session.flush()
        await append_system_event(session, "issue_binding_code", created_by, *subject,
                                  {"code_id": row.id, "name": found.name, "expires_at": row.expires_at,
                                   "already_bound": bound})
    return code, row.expires_at


async def find_binding_code(session: AsyncSession, code: str) -> Optional[BindingCode]:
    query = select(BindingCode).where(BindingCode.code_hash == _hash(code))
    return (await session.execute(query)).scalars().first()
