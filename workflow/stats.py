"""Tallies read from the database: builds the LeadRecords and hands them to the pure tally functions."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Optional

from storage import repositories as repo
from storage.db import Database

from .errors import InvalidInput
from .tallies import LeadRecord, tally, tally_by

GROUPS = {"unit", "category", "year", "key"}
PUBLIC_FIELDS = ("assigned", "replied", "reply_rate", "reply_satisfaction_rate", "implementation_satisfaction_rate",
                 "dual_satisfaction_rate", "solved_rate", "overdue")


async def lead_records(db: Database, year: Optional[int] = None, unit: Optional[str] = None) -> list[LeadRecord]:
    async with db.read() as session:
        assignments, replies, evaluations = await repo.lead_rows(session, year=year, unit=unit)
    records: dict[int, LeadRecord] = {}
    for (aid, pid, number, p_year, category, key, code, p_state, a_state, due, contact) in assignments:
        records[aid] = LeadRecord(pid, number or "", p_year, category, bool(key), code, p_state, a_state, due,
                                  bool(contact))
    for aid, at, category, on_time in replies:
        records[aid].replies.append((at, category, bool(on_time)))
    for aid, at, kind, rating, eid in evaluations:
        target = records[aid].reply_ratings if kind == "reply" else records[aid].implementation_ratings
        target.append(((at, eid), rating))
    return list(records.values())


async def stats_for(db: Database, today: dt.date, year: Optional[int] = None, unit: Optional[str] = None,
                    group_by: Optional[str] = None) -> dict:
    """The figures of GET /api/v1/stats: overall, and per group when asked (`by=unit|category|year|key`)."""
    if group_by and group_by not in GROUPS:
        raise InvalidInput(f"by 只能是：{'、'.join(sorted(GROUPS))}。", field="by")
    records = await lead_records(db, year=year, unit=unit)
    body = tally(records, today).as_dict()
    body["filters"] = {"year": year, "unit": unit}
    if group_by:
        body["groups"] = {name: s.as_dict() for name, s in tally_by(records, group_by, today).items()}
    return body
