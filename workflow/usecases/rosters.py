"""Rosters (deputies, units) and one-time binding codes that tie a WeChat user to a deputy or a unit."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, Mapping, Optional

from sqlalchemy import select

from storage import repositories as repo
from storage.db import Database
from storage.models import BindingCode, Deputy, Unit, utcnow
from workflow.domain.errors import InvalidInput, NotFound

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed on a phone
CODE_TTL = dt.timedelta(days=7)

DEPUTY_FIELDS = {"number": ("代表证号", 32, True), "name": ("姓名", 64, True), "delegation": ("代表团/选区", 128, False),
                 "phone": ("电话", 32, False), "term": ("届次", 32, False)}
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
    return {"number": d.number, "name": d.name, "delegation": d.delegation, "phone": d.phone, "term": d.term,
            "active": d.active, "bound": d.openid is not None}


def unit_dict(u: Unit) -> dict:
    return {"code": u.code, "name": u.name, "contact_name": u.contact_name, "contact_phone": u.contact_phone,
            "active": u.active}


async def add_deputy(db: Database, raw: Mapping[str, Any]) -> Deputy:
    values = clean_record(DEPUTY_FIELDS, raw)
    async with db.write() as session:
        async with session.begin():
            if await repo.deputy_by_number(session, values["number"]):
                raise InvalidInput(f"代表证号 {values['number']} 已存在。", field="number")
            deputy = Deputy(**values)
            session.add(deputy)
    return deputy


async def add_unit(db: Database, raw: Mapping[str, Any]) -> Unit:
    values = clean_record(UNIT_FIELDS, raw)
    async with db.write() as session:
        async with session.begin():
            if (await repo.units_by_codes(session, [values["code"]])):
                raise InvalidInput(f"单位代码 {values['code']} 已存在。", field="code")
            unit = Unit(**values)
            session.add(unit)
    return unit


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def new_binding_code(db: Database, created_by: str, deputy: Optional[str] = None,
                           unit: Optional[str] = None) -> tuple[str, dt.datetime]:
    """A one-time code for `deputy` (number) or `unit` (code); only its hash is kept."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    async with db.write() as session:
        async with session.begin():
            row = BindingCode(code_hash=_hash(code), created_by=created_by, expires_at=utcnow() + CODE_TTL)
            if deputy is not None:
                found = await repo.deputy_by_number(session, deputy)
                if found is None:
                    raise NotFound(f"找不到代表 {deputy}。")
                row.deputy_id = found.id
            else:
                found = (await repo.units_by_codes(session, [unit or ""])).get(unit or "")
                if found is None:
                    raise NotFound(f"找不到单位 {unit}。")
                row.unit_id = found.id
            session.add(row)
    return code, row.expires_at


async def find_binding_code(session, code: str) -> Optional[BindingCode]:
    query = select(BindingCode).where(BindingCode.code_hash == _hash(code))
    return (await session.execute(query)).scalars().first()
