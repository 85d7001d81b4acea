"""Helpers of the audit tests: run `python run.py audit ...` as an operator would, and tamper with the
database in raw SQL as an intruder with database access (but not the key file) would."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]


async def run_audit(settings, *args: str, **env: str) -> tuple[int, str]:
    """`run.py audit <args>` against the test's database and data folder (where the key file is)."""
    environ = {**os.environ, "JIANYI_DATABASE_URL": settings.database_url(),
               "JIANYI_SERVER_DATA_DIR": settings.server.data_dir, **env}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "audit", *(args or ("verify",)), cwd=ROOT, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode() + err.decode()


async def execute(db, *statements: tuple[str, dict]) -> None:
    async with db.write_engine.begin() as conn:
        for sql, params in statements:
            await conn.execute(text(sql), params)


async def rows(db, sql: str, **params) -> list:
    async with db.write_engine.connect() as conn:
        return list(await conn.execute(text(sql), params))


async def event_ids(db, number: str) -> list[int]:
    found = await rows(db, "SELECT e.id FROM events e JOIN proposals p ON p.id = e.proposal_id "
                           "WHERE p.number = :n ORDER BY e.seq", n=number)
    return [row[0] for row in found]


async def proposal_id(db, number: str) -> int:
    return (await rows(db, "SELECT id FROM proposals WHERE number = :n", n=number))[0][0]


def as_datetime(value) -> dt.datetime:
    """A timestamp read in raw SQL (SQLite gives text)."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def json_param(db) -> str:
    return ":p" if db.is_sqlite else "CAST(:p AS JSON)"


def problem_lines(output: str) -> list[str]:
    prefixes = ("建议 id=", "系统日志 ", "回执：", "数据库：")
    return [line for line in output.splitlines() if line.startswith(prefixes)]


async def delete_proposal(db, number: str) -> None:
    """Every row of one proposal and its events, children first (as an intruder covering tracks would)."""
    pid = await proposal_id(db, number)
    mine = "SELECT id FROM assignments WHERE proposal_id = :p"
    await execute(db, *[(sql, {"p": pid}) for sql in (
        "UPDATE outbox SET event_id = NULL WHERE event_id IN (SELECT id FROM events WHERE proposal_id = :p)",
        "DELETE FROM action_receipts WHERE proposal_id = :p",
        "DELETE FROM proposal_grams WHERE proposal_id = :p", "DELETE FROM reply_grams WHERE proposal_id = :p",
        "DELETE FROM lead_share_facts WHERE proposal_id = :p", "DELETE FROM proposal_facts WHERE proposal_id = :p",
        "DELETE FROM evaluations WHERE proposal_id = :p",
        "DELETE FROM replies WHERE proposal_id = :p",
        f"DELETE FROM contact_logs WHERE assignment_id IN ({mine})",
        f"DELETE FROM opinions WHERE assignment_id IN ({mine})",
        f"DELETE FROM progress_reports WHERE assignment_id IN ({mine})",
        "DELETE FROM assignments WHERE proposal_id = :p",
        "DELETE FROM co_signers WHERE proposal_id = :p",
        "DELETE FROM consultations WHERE proposal_id = :p",
        "DELETE FROM proposal_attachments WHERE proposal_id = :p",
        "DELETE FROM events WHERE proposal_id = :p",
        "DELETE FROM proposals WHERE id = :p",
    )])
