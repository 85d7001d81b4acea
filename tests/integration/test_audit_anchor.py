"""The key and the anchors outside the database: `audit receipt` prints a receipt that `audit verify
--receipt` checks later; a wrong key is refused and named; an anchor is never written over a rollback;
the server anchors as events come; chains written before the key (migration 0008) are sealed once."""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import select, text

from storage.audit_files import AnchorLog, read_or_create_key
from storage.db import Database, upgrade
from storage.models import Meta, SystemEvent
from tests.integration.test_deployment_identity import _config
from tests.support.api import Api
from tests.support.audit import as_datetime, event_ids, execute, problem_lines, rows, run_audit
from workflow.domain.chain import legacy_event_hash
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.engine.keys import chain_key_for
from workflow.settings import SettingsError, load_settings
from workflow.usecases.anchoring import AnchorRefused, keep_anchoring, write_anchor
from workflow.usecases.rosters import add_deputy


@pytest.fixture
async def number(client, auth, clock) -> str:
    api = Api(client, auth, clock)
    await api.roster()
    return await api.take_to("handling")


def _receipt_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("n="))


async def test_a_printed_receipt_is_checked_against_the_anchor_log(settings, number):
    code, output = await run_audit(settings, "receipt")
    assert code == 0, output
    assert "审计回执" in output and "第 1 号" in output and "1 件" in output
    line = _receipt_line(output)
    code, output = await run_audit(settings, "verify", "--receipt", line.replace("\t", "  "))  # as copied by hand
    assert code == 0 and "保存的回执与回执记录一致" in output, output
    forged = line.replace("events=", "events=1")
    code, output = await run_audit(settings, "verify", "--receipt", forged)
    assert code == 1 and "校验码不对" in output, output


async def test_a_rewritten_anchor_log_is_named(settings, number):
    assert (await run_audit(settings, "receipt"))[0] == 0
    assert (await run_audit(settings, "receipt"))[0] == 0
    anchor_log = AnchorLog(settings.audit_anchor_dir())
    first, second = anchor_log.lines()
    anchor_log.path.write_text(second + "\n", encoding="utf-8")  # the first anchor taken away
    code, output = await run_audit(settings, "verify", "--receipt", first)
    assert code == 1, output
    assert "anchors.log 中已没有第 1 号回执" in output


async def test_a_different_key_is_named_and_refused(settings, number):
    assert (await run_audit(settings))[0] == 0
    code, output = await run_audit(settings, JIANYI_AUDIT_KEY="x" * 40)
    assert code == 2, output
    assert "审计密钥与写入事件日志时所用的不同" in output and "恢复" in output


async def test_no_anchor_is_written_over_a_rollback(settings, db, number):
    folder = settings.audit_anchor_dir()
    await write_anchor(db, folder)
    ids = await event_ids(db, number)
    previous = (await rows(db, "SELECT hash FROM events WHERE id = :id", id=ids[-2]))[0][0]
    await execute(db, ("UPDATE outbox SET event_id = NULL WHERE event_id = :id", {"id": ids[-1]}),
                  ("DELETE FROM action_receipts WHERE event_id = :id", {"id": ids[-1]}),
                  ("DELETE FROM events WHERE id = :id", {"id": ids[-1]}),
                  ("UPDATE proposals SET last_event_hash = :h, event_count = event_count - 1", {"h": previous}))
    with pytest.raises(AnchorRefused) as refused:
        await write_anchor(db, folder)
    assert "被删除" in refused.value.problems[0]
    assert len(AnchorLog(folder).lines()) == 1


async def test_the_server_anchors_when_events_were_written(settings, db, api):
    folder = settings.audit_anchor_dir()
    stop = asyncio.Event()
    task = asyncio.create_task(keep_anchoring(db, folder, 0.05, stop))
    try:
        await api.submit()
        for _ in range(200):
            if AnchorLog(folder).lines():
                break
            await asyncio.sleep(0.05)
        [line] = AnchorLog(folder).lines()
        assert "proposals=1" in line and "events=2" in line
        await asyncio.sleep(0.2)
        assert len(AnchorLog(folder).lines()) == 1  # nothing new: no new anchor
    finally:
        stop.set()
        await task


async def _make_legacy(db, number: str, tamper: bool = False) -> None:
    """The database as migration 0008 finds it: unkeyed SHA-256 chains, the seal pending."""
    found = await rows(db, "SELECT * FROM events ORDER BY proposal_id, seq")
    statements, prev = [], ""
    for row in found:
        event = SimpleNamespace(**row._mapping)
        event.payload = json.loads(event.payload) if isinstance(event.payload, str) else event.payload
        event.created_at, event.prev_hash = as_datetime(event.created_at), prev
        prev = legacy_event_hash(event)
        statements.append(("UPDATE events SET prev_hash = :p, hash = :h WHERE id = :id",
                           {"p": event.prev_hash, "h": prev, "id": event.id}))
    statements.append(("UPDATE proposals SET last_event_hash = :h", {"h": prev}))
    if tamper:
        statements.append(("UPDATE events SET actor_name = '冒名者' WHERE id = :id", {"id": found[1].id}))
    statements += [("DELETE FROM meta WHERE key IN ('audit_key_id', 'audit_legacy')", {}),
                   ("INSERT INTO meta (key, value) VALUES ('audit_legacy', :v)", {"v": f"pending:{found[-1].id}"})]
    await execute(db, *statements)


async def test_legacy_chains_are_sealed_once_under_the_key_and_the_seal_is_a_system_event(settings, db, number):
    await _make_legacy(db, number, tamper=True)
    code, output = await run_audit(settings)
    assert code == 0, output
    assert "已用审计密钥封存升级前的事件链：1 件建议" in output and "发现 1 处问题" in output
    assert "1 个系统事件" in output
    async with db.read() as session:
        seal = (await session.execute(select(SystemEvent))).scalar_one()
        legacy = await session.get(Meta, "audit_legacy")
    assert seal.action == "seal_legacy" and seal.payload["problems_found"] == 1
    assert "内容与哈希不符" in seal.payload["problems"][0] and seal.payload["events"] == len(await event_ids(db, number))
    assert legacy.value.startswith("sealed:")
    code, output = await run_audit(settings)  # sealed once: the second run seals nothing
    assert code == 0 and "封存" not in output, output
    await execute(db, ("UPDATE events SET actor_name = '又一个冒名者' WHERE id = :id",
                       {"id": (await event_ids(db, number))[0]}))
    code, output = await run_audit(settings)
    assert code == 1 and any("被修改" in line for line in problem_lines(output)), output


def test_the_key_file_is_made_on_first_use_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "keys" / "chain.key"
    key = read_or_create_key(path)
    assert len(key) == 64 and read_or_create_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    settings = load_settings(environ={"JIANYI_AUDIT_KEY_FILE": str(path)})
    assert chain_key_for(settings) == key and settings.audit_key_file() == path
    given = load_settings(environ={"JIANYI_AUDIT_KEY": "k" * 32})
    assert chain_key_for(replace(given)) == b"k" * 32 and "k" * 32 not in repr(given)
    with pytest.raises(SettingsError, match="audit.key"):
        load_settings(environ={"JIANYI_AUDIT_KEY": "short"})


async def test_migration_0008_marks_the_events_already_there_for_the_seal(tmp_path, settings, clock):
    """Upgrading a database that has events leaves `audit_legacy = pending:<newest id>`; an empty one has
    nothing to seal; and the migration goes back down cleanly."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'legacy.db'}"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        engine = Engine(db, replace(settings, database=replace(settings.database, url=url)), clock=clock)
        async with db.read() as session:
            assert await session.get(Meta, "audit_legacy") is None  # created empty: nothing to seal
        await add_deputy(db, {"number": "D001", "name": "张三丰"})
        await engine.create_proposal(Actor("staff", "wang", "王干事", role="staff"), "D001", "标题", "内容", submit=True)
        await asyncio.to_thread(command.downgrade, _config(url), "0007")
        async with db.read() as session:
            tables = {r[0] for r in await session.execute(text("SELECT name FROM sqlite_master"))}
        assert "system_events" not in tables
        await asyncio.to_thread(upgrade, url)
        async with db.read() as session:
            newest = (await session.execute(text("SELECT max(id) FROM events"))).scalar()
            assert (await session.get(Meta, "audit_legacy")).value == f"pending:{newest}"
            assert (await session.get(Meta, "system_events_head")).value == "0:"
    finally:
        await db.dispose()
