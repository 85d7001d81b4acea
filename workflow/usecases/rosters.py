"""Rosters: deputies and handling units entered one by one (the API and console), checked field by field."""
from __future__ import annotations

from typing import Any, Mapping

from storage import repositories as repo
from storage.db import Database
from storage.models import Deputy, Unit
from storage.uow import UnitOfWork
from workflow.domain.errors import InvalidInput

DEPUTY_FIELDS = {"number": ("代表证号", 32, True), "name": ("姓名", 64, True), "delegation": ("代表团/选区", 128, False),
                 "phone": ("电话", 32, False), "work_unit": ("工作单位", 128, False), "term": ("届次", 32, False)}
UNIT_FIELDS = {"code": ("单位代码", 32, True), "name": ("单位名称", 128, True), "contact_name": ("联系人", 64, False),
               "contact_phone": ("联系电话", 32, False)}


def clean_record(fields: dict, raw: Mapping[str, Any]) -> dict[str, str]:
    """A roster row checked against its fields: required ones present, none too long."""
    cleaned = {}
    for name, (label, max_length, required) in fields.items():
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if required and not value:
            raise InvalidInput(f"缺少“{label}”。", field=name)
        if len(value) > max_length:
            raise InvalidInput(f"“{label}”太长（最多 {max_length} 字）。", field=name)
        cleaned[name] = value
    return cleaned


def deputy_dict(d: Deputy) -> dict:
    return {"number": d.number, "name": d.name, "delegation": d.delegation, "phone": d.phone, "work_unit": d.work_unit,
            "term": d.term,
            "active": d.active, "bound": d.openid is not None}


def unit_dict(u: Unit) -> dict:
    return {"code": u.code, "name": u.name, "contact_name": u.contact_name, "contact_phone": u.contact_phone,
            "active": u.active}


async def add_deputy(db: Database, raw: Mapping[str, Any]) -> Deputy:
    values = clean_record(DEPUTY_FIELDS, raw)
    async with UnitOfWork(db) as session:
        if await repo.deputy_by_number(session, values["number"]):
            raise InvalidInput(f"代表证号 {values['number']} 已存在。", field="number")
        deputy = Deputy(**values)
        session.add(deputy)
    return deputy


async def add_unit(db: Database, raw: Mapping[str, Any]) -> Unit:
    values = clean_record(UNIT_FIELDS, raw)
    async with UnitOfWork(db) as session:
        if (await repo.units_by_codes(session, [values["code"]])):
            raise InvalidInput(f"单位代码 {values['code']} 已存在。", field="code")
        unit = Unit(**values)
        session.add(unit)
    return unit
