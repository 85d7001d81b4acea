"""Sessions (届/次) the committee registers: add and correct them; each change is a system event.

A session's dates decide which session new proposals belong to; proposals numbered already keep their
session and official number (staff correct a proposal's own with the `correct_session` action).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import select

from storage.db import Database
from storage.models import CongressSession, utcnow
from storage.uow import UnitOfWork
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.rules import Actor
from workflow.domain.sessions import Span, check_span
from workflow.engine.chain import append_system_event

FIELDS = ("term", "number", "name", "opens_on", "closes_on")


def clean_session(raw: Mapping[str, Any]) -> dict:
    """The fields of a session from a form or JSON, checked one by one (InvalidInput naming the field)."""
    clean: dict[str, Any] = {}
    for name in ("term", "number"):
        value = raw.get(name)
        if isinstance(value, bool) or value in (None, ""):
            raise InvalidInput("请填写届次和会次（数字）。", field=name)
        try:
            clean[name] = int(str(value).strip())
        except ValueError:
            raise InvalidInput(f"“{str(value)[:20]}”不是数字：届次和会次请填写数字，例如 18 和 5。", field=name) from None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("请填写会议名称，例如“××县第十八届人民代表大会第五次会议”。", field="name")
    if len(name.strip()) > 128:
        raise InvalidInput("会议名称不能超过 128 个字。", field="name")
    clean["name"] = name.strip()
    for field_name in ("opens_on", "closes_on"):
        value = raw.get(field_name)
        try:
            clean[field_name] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
        except (TypeError, ValueError):
            raise InvalidInput("开幕、闭幕日期请写成 YYYY-MM-DD，例如 2026-12-28。", field=field_name) from None
    return clean


def span_of(row: CongressSession) -> Span:
    return Span(row.id, row.term, row.number, row.opens_on, row.closes_on)


async def add_session(db: Database, raw: Mapping[str, Any], actor: Actor) -> CongressSession:
    fields = clean_session(raw)
    async with UnitOfWork(db) as session:
        others = (await session.execute(select(CongressSession).with_for_update())).scalars().all()
        check_span(fields["term"], fields["number"], fields["opens_on"], fields["closes_on"], map(span_of, others))
        row = CongressSession(**fields, created_by=(actor.name or actor.id)[:64])
        session.add(row)
        await session.flush()
        await append_system_event(session, "add_session", actor, "session", str(row.id), _facts(row))
    return row


async def update_session(db: Database, session_id: int, raw: Mapping[str, Any], actor: Actor) -> CongressSession:
    """Correct a session's term, number, name or dates (the proposals it holds stay in it)."""
    fields = clean_session(raw)
    async with UnitOfWork(db) as session:
        rows = (await session.execute(select(CongressSession).with_for_update())).scalars().all()
        row = next((r for r in rows if r.id == session_id), None)
        if row is None:
            raise NotFound(f"找不到编号为 {session_id} 的会议。")
        check_span(fields["term"], fields["number"], fields["opens_on"], fields["closes_on"],
                   [span_of(r) for r in rows if r.id != session_id])
        before = _facts(row)
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        await append_system_event(session, "update_session", actor, "session", str(row.id),
                                  {**_facts(row), "before": before})
    return row


def _facts(row: CongressSession) -> dict:
    return {"term": row.term, "number": row.number, "name": row.name,
            "opens_on": row.opens_on.isoformat(), "closes_on": row.closes_on.isoformat()}
