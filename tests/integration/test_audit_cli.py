"""`python run.py audit verify` passes on an intact event log and fails, naming the event, once a row
of it is edited or deleted behind the engine's back (raw SQL, as an intruder with database access would)."""
from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.models import Event
from tests.support.api import Api
from workflow.domain.chain import event_hash

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def numbers(client, auth, clock) -> list[str]:
    """Two proposals with a few events each: one closed, one half-way."""
    api = Api(client, auth, clock)
    await api.roster()
    closed = await api.take_to("closed")
    handling = await api.take_to("handling")
    return [closed, handling]


async def _audit(settings) -> tuple[int, str]:
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database_url()}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "audit", "verify", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode() + err.decode()


async def _event_ids(db, number: str) -> list[int]:
    async with db.write_engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT e.id FROM events e JOIN proposals p ON p.id = e.proposal_id WHERE p.number = :n ORDER BY e.seq"),
            {"n": number})
        return [row[0] for row in rows]


async def _execute(db, *statements: tuple[str, dict]) -> None:
    async with db.write_engine.begin() as conn:
        for sql, params in statements:
            await conn.execute(text(sql), params)


def _json_param(db) -> str:
    return ":p" if db.is_sqlite else "CAST(:p AS JSON)"


def _problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("建议 id=")]


async def test_audit_passes_on_an_intact_event_log(settings, numbers):
    code, output = await _audit(settings)
    assert code == 0, output
    assert "审计通过" in output and "2 件建议" in output


async def test_audit_fails_naming_the_event_whose_payload_was_edited(settings, db, numbers):
    target = (await _event_ids(db, numbers[0]))[2]
    await _execute(db, (f"UPDATE events SET payload = {_json_param(db)} WHERE id = :id",
                        {"p": json.dumps({"category": "农业"}, ensure_ascii=False), "id": target}))
    code, output = await _audit(settings)
    assert code == 1, output
    lines = _problem_lines(output)
    assert len(lines) == 1 and f"事件 #{target}（第 3 条）" in lines[0] and "被修改" in lines[0]
    assert "审计失败" in output


async def test_audit_fails_when_an_edit_recomputes_the_rows_own_hash(settings, db, numbers):
    """A careful intruder rehashes the edited row: the next event's link to it gives it away."""
    ids = await _event_ids(db, numbers[0])
    async with db.read() as session:
        event = await session.get(Event, ids[3])
        event.actor_name = "冒名者"
        forged = event_hash(event)
    await _execute(db, ("UPDATE events SET actor_name = :name, hash = :hash WHERE id = :id",
                        {"name": "冒名者", "hash": forged, "id": ids[3]}))
    code, output = await _audit(settings)
    assert code == 1, output
    lines = _problem_lines(output)
    assert len(lines) == 1 and f"事件 #{ids[4]}（第 5 条）" in lines[0] and "前一事件的哈希不符" in lines[0]


async def test_audit_fails_naming_the_gap_after_an_event_is_deleted(settings, db, numbers):
    ids = await _event_ids(db, numbers[1])
    await _execute(db, ("UPDATE outbox SET event_id = NULL WHERE event_id = :id", {"id": ids[2]}),
                   ("DELETE FROM events WHERE id = :id", {"id": ids[2]}))
    code, output = await _audit(settings)
    assert code == 1, output
    lines = _problem_lines(output)
    assert lines and all(f"事件 #{ids[3]}（第 4 条）" in line for line in lines)
    assert any("删除" in line for line in lines)


async def test_audit_fails_when_the_newest_event_is_deleted(settings, db, numbers):
    ids = await _event_ids(db, numbers[1])
    await _execute(db, ("UPDATE outbox SET event_id = NULL WHERE event_id = :id", {"id": ids[-1]}),
                   ("DELETE FROM events WHERE id = :id", {"id": ids[-1]}))
    code, output = await _audit(settings)
    assert code == 1, output
    lines = _problem_lines(output)
    assert len(lines) == 1 and "事件链末尾" in lines[0] and "删除" in lines[0]
