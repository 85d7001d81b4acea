"""单位负责人: staff register who may sign a unit's replies (签发人), change a title, or mark one who left.

Each change is an event in the system log (subject: the unit), with the staff member's name. A head
who left is kept, marked inactive: replies they signed still name them.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select

from storage import repositories as repo
from storage.db import Database
from storage.models import Unit, UnitHead
from storage.uow import UnitOfWork
from workflow.domain.definition import ACTING_ROLES
from workflow.domain.errors import Forbidden, InvalidInput, NotFound
from workflow.domain.rules import Actor
from workflow.engine.chain import append_system_event
from workflow.usecases.rosters import clean_record

HEAD_FIELDS = {"name": ("姓名", 64, True), "title": ("职务", 64, False)}
_YES, _NO = {True, "true", "1", "on", "是"}, {False, "false", "0", "off", "否"}  # JSON, forms, words


def head_dict(h: UnitHead) -> dict:
    return {"id": h.id, "name": h.name, "title": h.title, "active": h.active, "created_at": h.created_at}


def _active(raw: Mapping[str, Any]) -> bool:
    value = raw.get("active", True)
    if isinstance(value, str):
        value = value.strip().lower()
    if isinstance(value, (bool, str)) and value in _YES:
        return True
    if isinstance(value, (bool, str)) and value in _NO:
        return False
    raise InvalidInput("“在任”应为 true 或 false。", field="active")


async def _unit(session, code: str) -> Unit:
    unit = (await repo.units_by_codes(session, [code])).get(code) if code else None
    if unit is None:
        raise NotFound(f"找不到单位代码 {code}。")
    return unit


async def save_head(db: Database, code: str, raw: Mapping[str, Any], actor: Actor) -> tuple[UnitHead, str]:
    """Register a head of unit `code` (name, title), or update the one of that name (its title, and
    `active`: false when they left, true when back). Returns the row and "created", "updated" or "unchanged"."""
    if actor.kind == "staff" and actor.role not in ACTING_ROLES:
        raise Forbidden("您的账号只能查看，不能登记单位负责人。")
    if not isinstance(raw, Mapping):
        raise InvalidInput("请求内容应为 JSON 对象，写明 name 和 title。")
    for key in HEAD_FIELDS:
        if raw.get(key) is not None and not isinstance(raw.get(key), str):
            raise InvalidInput(f"{key} 应为文字。", field=key)
    values, active = clean_record(HEAD_FIELDS, {k: raw.get(k) for k in HEAD_FIELDS}), _active(raw)
    name = values["name"]
    async with UnitOfWork(db) as session:
        unit = await _unit(session, code)
        head = (await session.execute(select(UnitHead).where(UnitHead.unit_id == unit.id, UnitHead.name == name)
                                      .with_for_update())).scalar_one_or_none()
        if head is None:
            if not active:
                raise InvalidInput(f"{unit.name}没有登记名为“{name}”的负责人。", field="name")
            head = UnitHead(unit_id=unit.id, name=name, title=values["title"], active=True)
            session.add(head)
            await session.flush()
            await append_system_event(session, "add_unit_head", actor, "unit", unit.code,
                                      {"name": name, "title": head.title, "active": True})
            return head, "created"
        before = {"title": head.title, "active": head.active}
        after = {"title": values["title"] if raw.get("title") is not None else head.title, "active": active}
        if before == after:
            return head, "unchanged"
        head.title, head.active = after["title"], after["active"]
        await append_system_event(session, "update_unit_head", actor, "unit", unit.code,
                                  {"name": name, **after, "before": before})
    return head, "updated"


async def heads_of_unit(db: Database, code: str) -> tuple[Unit, list[UnitHead]]:
    """The unit and all its heads (those who left too), in the order registered."""
    async with db.read() as session:
        unit = await _unit(session, code)
        heads = list((await session.execute(select(UnitHead).where(UnitHead.unit_id == unit.id)
                                            .order_by(UnitHead.id))).scalars())
    return unit, heads
