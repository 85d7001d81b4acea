"""storage/uow.py on the real database: one transaction, committed whole or not at all, and every way a
concurrent writer can win comes out as one Conflict (read from driver error codes, on SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from storage.models import Proposal, Unit
from storage.uow import Conflict, UnitOfWork, is_conflict
from workflow.domain.rules import Actor
from workflow.usecases.rosters import add_deputy


async def _units(db) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(Unit))).scalar_one()


async def test_leaving_the_block_commits(db):
    async with UnitOfWork(db) as session:
        session.add(Unit(code="JYJ", name="县教育局"))
    assert await _units(db) == 1


async def test_an_error_in_the_block_writes_nothing_and_is_raised_as_it_was(db):
    with pytest.raises(ValueError):
        async with UnitOfWork(db) as session:
            session.add(Unit(code="JYJ", name="县教育局"))
            await session.flush()
            raise ValueError("a bug")
    assert await _units(db) == 0


async def test_a_key_taken_at_the_same_moment_is_a_conflict_and_writes_nothing(db):
    async with UnitOfWork(db) as session:
        session.add(Unit(code="JYJ", name="县教育局"))
    with pytest.raises(Conflict) as lost:
        async with UnitOfWork(db, "单位代码刚被别人占用，请刷新后再试。") as session:
            session.add(Unit(code="JTJ", name="县交通运输局"))
            session.add(Unit(code="JYJ", name="又一个教育局"))
    assert lost.value.status == 409 and lost.value.message == "单位代码刚被别人占用，请刷新后再试。"
    assert lost.value.reason == "duplicate"
    assert await _units(db) == 1


async def test_a_missing_required_value_is_a_bug_not_a_conflict(db):
    with pytest.raises(IntegrityError) as failed:
        async with UnitOfWork(db) as session:
            session.add(Unit(code="JYJ", name=None))
    assert not is_conflict(failed.value)


async def test_a_stale_version_is_a_conflict_and_writes_nothing(db, engine):
    await add_deputy(db, {"number": "D1", "name": "张三"})
    created = await engine.create_proposal(Actor("staff", "wang", role="staff"), "D1", "修缮县道", "县道破损。")
    pid = created.proposal.id
    with pytest.raises(Conflict) as lost:
        async with UnitOfWork(db) as session:
            proposal = await session.get(Proposal, pid)
            # Someone else's write, between this session's read and its own write:
            await session.execute(update(Proposal).where(Proposal.id == pid).values(version=Proposal.version + 1)
                                  .execution_options(synchronize_session=False))
            proposal.title = "改过的标题"
    assert lost.value.reason == "stale" and "刷新" in lost.value.message
    async with db.read() as session:
        assert (await session.get(Proposal, pid)).title == "修缮县道"
