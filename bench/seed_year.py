"""A province-sized year for benchmarks: N proposals with about 10 events each, written straight into
the tables in large batches (COPY on PostgreSQL, executemany on SQLite).

The mix follows a year seen in December: nearly half closed, many still implementing a B/C promise,
some replied and waiting for the deputy, some still in handling (a few overdue), and the early
states and side exits. Units get proposals unevenly (a few bureaus lead many); about 8% have two lead
units (分办) and 40% co-units. Events are not hash-chained (nothing here reads them but for volume).
Deterministic for a given seed.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from storage.models import Base

STATES = [("closed", 45), ("implementing", 18), ("handling", 12), ("replied", 10), ("assigned", 4),
          ("rehandling", 3), ("referred", 3), ("submitted", 2), ("accepted", 2), ("withdrawn", 1)]
CATEGORIES = [("经济", 18), ("城建", 20), ("教育", 14), ("医疗", 12), ("农业", 16), ("社会", 10), ("法治", 5), ("其他", 5)]
ASSIGNED = {"assigned", "handling", "replied", "rehandling", "implementing", "closed"}
REPLIED = {"replied", "rehandling", "implementing", "closed"}
RATING = [("satisfied", 70), ("basically_satisfied", 24), ("unsatisfied", 6)]
SESSION_OPENS = (1, 6)  # the year's congress session opens on 6 January


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]):
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


@dataclass
class Tables:
    """Rows per table, as dicts (missing columns are filled from the models' defaults on write)."""

    rows: dict[str, list[dict]] = field(default_factory=dict)

    def add(self, table: str, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)


class YearSeeder:
    """Rows for one or more years; ids continue across years."""

    def __init__(self, units: int = 100, deputies: int = 5000, events: int = 10, seed: int = 7):
        self.n_units, self.n_deputies = units, deputies
        self.events_per_proposal = events
        self.rng = random.Random(seed)
        self.ids = {"proposals": 0, "assignments": 0, "replies": 0, "evaluations": 0, "events": 0, "co_signers": 0}
        self.year = 0
        self.unit_weights = [1 / (i + 1) ** 0.8 for i in range(units)]  # a few bureaus lead many proposals

    def _id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def roster(self) -> Tables:
        t = Tables()
        for i in range(1, self.n_units + 1):
            t.add("units", {"id": i, "code": f"U{i:03d}", "name": f"第{i}承办单位", "active": True})
        for i in range(1, self.n_deputies + 1):
            t.add("deputies", {"id": i, "number": f"D{i:05d}", "name": f"代表{i}", "delegation": f"代表团{i % 40}",
                               "active": True})
        return t

    def batches(self, year: int, proposals: int, size: int = 5000):
        """The year's proposals, `size` at a time (memory stays bounded however large the year)."""
        self.year = year
        for start in range(0, proposals, size):
            t = Tables()
            for k in range(start, min(start + size, proposals)):
                self._proposal(t, k)
            yield t

    def _units(self, count: int, exclude=()) -> list[int]:
        found: list[int] = []
        while len(found) < count:
            unit = self.rng.choices(range(1, self.n_units + 1), self.unit_weights)[0]
            if unit not in found and unit not in exclude:
                found.append(unit)
        return found

    def _proposal(self, t: Tables, k: int) -> None:
        rng = self.rng
        state = _pick(rng, STATES)
        pid = self._id("proposals")
        # Most arrive during the session (January), the rest through the year.
        day = rng.randint(0, 20) if rng.random() < 0.7 else rng.randint(21, 300)
        opens = dt.datetime(self.year, *SESSION_OPENS, 1, 0)
        submitted = opens + dt.timedelta(days=day, minutes=rng.randint(0, 600))
        assigned_on = (submitted + dt.timedelta(days=rng.randint(7, 20))).date()
        t.add("proposals", {
            "id": pid, "number": f"{self.year}-{k + 1:06d}", "year": self.year, "title": f"关于第{k + 1}项民生问题的建议",
            "content": "建议内容。" * 20, "category": _pick(rng, CATEGORIES),
            "lead_deputy_id": rng.randint(1, self.n_deputies),
            "state": state, "version": 1, "confidential": rng.random() < 0.01, "face_to_face": False,
            "key_supervision": state in ASSIGNED and rng.random() < 0.03, "key_leader": "",
            "submitted_at": submitted, "assigned_at": dt.datetime.combine(assigned_on, dt.time(2)) if state in ASSIGNED
            else None, "closed_at": submitted + dt.timedelta(days=150) if state == "closed" else None,
            "created_at": submitted, "updated_at": submitted, "event_count": self.events_per_proposal,
            "state_reason": "不属于本级职权范围" if state == "referred" else "",
        })
        if rng.random() < 0.3:
            t.add("co_signers", {"id": self._id("co_signers"), "proposal_id": pid,
                                 "deputy_id": rng.randint(1, self.n_deputies), "confirmed_at": submitted})
        if state in ASSIGNED:
            self._shares(t, pid, state, assigned_on)
        self._events(t, pid, state, submitted)

    def _shares(self, t: Tables, pid: int, state: str, assigned_on: dt.date) -> None:
        rng = self.rng
        leads = self._units(2 if rng.random() < 0.08 else 1)
        cos = self._units(_pick(rng, [(0, 60), (1, 30), (2, 10)]), exclude=leads)
        reply_due = assigned_on + dt.timedelta(days=91)
        for role, unit in [("lead", u) for u in leads] + [("co", u) for u in cos]:
            aid = self._id("assignments")
            a_state, contact = self._share_state(state, role), False
            replied_at = None
            if role == "lead" and state in REPLIED:
                contact = rng.random() < 0.92
                replied_at = self._replies(t, pid, aid, state, assigned_on, reply_due)
            elif role == "lead" and state == "handling":
                contact = rng.random() < 0.5
            t.add("assignments", {
                "id": aid, "proposal_id": pid, "unit_id": unit, "role": role, "state": a_state,
                "assigned_on": assigned_on, "sign_due": assigned_on + dt.timedelta(days=4),
                "adjustment_due": assigned_on + dt.timedelta(days=10),
                "opinion_due": assigned_on + dt.timedelta(days=30) if role == "co" else None,
                "reply_due": reply_due if role == "lead" else None,
                "signed_at": None if a_state == "pending" else dt.datetime.combine(assigned_on, dt.time(3)),
                "first_replied_at": replied_at, "contact_logged": contact, "opinion_given": role == "co",
                "link_version": 1, "link_issued_at": dt.datetime.combine(assigned_on, dt.time(2)),
            })

    def _share_state(self, state: str, role: str) -> str:
        if state == "assigned":
            return "pending" if self.rng.random() < 0.7 else "signed"
        if state == "handling":
            return "signed"
        if role == "co":
            return "done" if state == "closed" else "signed"
        return {"replied": "replied", "rehandling": "rehandling", "implementing": "implementing",
                "closed": "done"}[state]

    def _replies(self, t: Tables, pid: int, aid: int, state: str, assigned_on: dt.date, due: dt.date) -> dt.datetime:
        rng = self.rng
        first = dt.datetime.combine(assigned_on, dt.time(2)) + dt.timedelta(days=rng.randint(20, 110))
        rounds = 2 if state == "rehandling" or (state == "closed" and rng.random() < 0.04) else 1
        at = first
        for n in range(rounds):
            if state == "implementing":
                category = _pick(rng, [("B", 70), ("C", 30)])
            else:
                category = _pick(rng, [("A", 50), ("B", 25), ("C", 10), ("D", 15)])
            rid = self._id("replies")
            t.add("replies", {"id": rid, "proposal_id": pid, "assignment_id": aid, "round": n + 1, "category": category,
                              "text": "答复内容。" * 30, "signer": "局长", "on_time": at.date() <= due,
                              "published": rng.random() < 0.2, "created_at": at, "kind": "answer",
                              "replied_on": (at + dt.timedelta(hours=8)).date()})
            last_round = n == rounds - 1
            if state == "replied" and last_round:
                break
            rating = "unsatisfied" if (not last_round or state == "rehandling") else _pick(rng, RATING)
            rated_at = at + dt.timedelta(days=rng.randint(3, 14))
            self._evaluation(t, pid, rid, aid, "reply", rating, rated_at)
            if category == "A" and last_round and state == "closed":
                self._evaluation(t, pid, rid, aid, "implementation", rating, rated_at)
            elif category in ("B", "C") and last_round and state == "closed":
                self._evaluation(t, pid, rid, aid, "implementation", _pick(rng, RATING),
                                 rated_at + dt.timedelta(days=60))
            at = rated_at + dt.timedelta(days=rng.randint(10, 30))
        return first

    def _evaluation(self, t: Tables, pid, rid, aid, kind, rating, at) -> None:
        t.add("evaluations", {"id": self._id("evaluations"), "proposal_id": pid, "reply_id": rid, "assignment_id": aid,
                              "kind": kind, "rating": rating, "reason": "", "deputy_id": 1, "created_at": at})

    def _events(self, t: Tables, pid: int, state: str, start: dt.datetime) -> None:
        for seq in range(1, self.events_per_proposal + 1):
            t.add("events", {"id": self._id("events"), "proposal_id": pid, "seq": seq, "action": "bench",
                             "actor_kind": "staff", "actor_id": "bench", "actor_name": "基准", "on_behalf_kind": "",
                             "on_behalf_id": "", "from_state": "", "to_state": state, "payload": "{}",
                             "created_at": start + dt.timedelta(hours=seq), "prev_hash": "", "hash": "0" * 64})


# ------------------------------------------------------------------ writing
FIXED_TIME = dt.datetime(2025, 1, 1)


def _filled(table: str, rows: list[dict]) -> tuple[list[str], list[tuple]]:
    """Column names and value tuples, missing columns taken from the models' scalar defaults."""
    columns = [c for c in Base.metadata.tables[table].columns]
    defaults = {}
    for column in columns:
        default = column.default
        if default is None:
            defaults[column.name] = None
        elif callable(default.arg):
            defaults[column.name] = FIXED_TIME if "time" in type(column.type).__name__.lower() else default.arg(None)
        else:
            defaults[column.name] = default.arg
    names = [c.name for c in columns]
    values = []
    for row in rows:
        item = []
        for name in names:
            value = row.get(name, defaults[name])
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            item.append(value)
        values.append(tuple(item))
    return names, values


ORDER = ["units", "deputies", "proposals", "co_signers", "assignments", "replies", "evaluations", "events"]


async def write_pg(conn, tables: Tables) -> None:
    """COPY each table's rows (asyncpg connection)."""
    for table in ORDER:
        rows = tables.rows.get(table)
        if rows:
            names, values = _filled(table, rows)
            await conn.copy_records_to_table(table, records=values, columns=names)


def write_sqlite(conn: sqlite3.Connection, tables: Tables) -> None:
    for table in ORDER:
        rows = tables.rows.get(table)
        if rows:
            names, values = _filled(table, rows)
            marks = ", ".join("?" for _ in names)
            conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", values)
