"""The dashboard's facts rows (storage/models/share_facts.py), written with each action, on the
hand-computed year of tests/support/dashboard.py: current after every kind of action, equal to the facts
derived afresh, and never the cause of a wrong figure when a path leaves them stale."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select, update

from storage.models import Assignment, LeadShareFacts, Proposal, ProposalFacts, Unit
from tests.support.dashboard import TODAY
from workflow.domain.rules import Actor
from workflow.readmodels.lead_facts import check_facts, stale_query
from workflow.readmodels.stats import FACT_COLUMNS, Scope, items_query, stats_for
from workflow.usecases.share_facts import write_stale

ROOT = Path(__file__).resolve().parents[2]
SCOPES = [Scope(), Scope(year=2025), Scope(year=2024), Scope(year=2025, unit="JYJ"), Scope(year=2025, unit="WJJ"),
          Scope(category="城建")]


async def _items(db, scope: Scope, level: str, stored: bool) -> list[tuple]:
    items = items_query(scope, TODAY, level, stored=stored)
    key = [items.c.pid] + ([items.c.unit_id] if level == "lead" else [])
    async with db.read() as session:
        return sorted(tuple(row) for row in (await session.execute(
            select(*key, *[items.c[name] for name in FACT_COLUMNS]))).all())


async def _stale(db) -> list[int]:
    async with db.read() as session:
        return list((await session.execute(stale_query())).scalars())


async def test_every_action_of_the_year_leaves_its_proposals_rows_current_and_equal_to_the_records(year, db):
    async with db.read() as session:
        rows = (await session.execute(select(func.count()).select_from(LeadShareFacts))).scalar_one()
    assert rows > 0 and await _stale(db) == []
    check = await check_facts(db, TODAY)
    assert check.ok and check.stale == [] and check.shares == rows
    for scope in SCOPES:
        for level in ("proposal", "lead"):
            assert await _items(db, scope, level, stored=True) == await _items(db, scope, level, stored=False), \
                (scope, level)


async def test_a_proposal_whose_rows_are_not_current_counts_from_its_records_until_they_are_written(year, db):
    before = {scope: await stats_for(db, TODAY, year=scope.year, unit=scope.unit) for scope in SCOPES[:4]}
    async with db.write() as session:  # as after a restore of an older backup: the stamps moved, the rows did not
        await session.execute(update(Proposal).where(Proposal.number.is_not(None))
                              .values(facts_stamp=Proposal.facts_stamp + 1))
        await session.commit()
    stale = await _stale(db)
    assert stale and (await check_facts(db, TODAY)).ok
    for scope, figures in before.items():
        assert await stats_for(db, TODAY, year=scope.year, unit=scope.unit, ) == figures, scope
    assert await write_stale(db, batch=2) == len(stale)
    assert await _stale(db) == []
    for scope, figures in before.items():
        assert await stats_for(db, TODAY, year=scope.year, unit=scope.unit) == figures, scope


async def test_a_row_that_differs_from_the_records_is_found_by_the_check_and_the_command_exits_1(
        year, db, settings):
    async with db.write() as session:
        aid, pid = (await session.execute(select(LeadShareFacts.assignment_id, LeadShareFacts.proposal_id)
                                          .where(LeadShareFacts.replied_leads == 1).limit(1))).one()
        await session.execute(update(LeadShareFacts).where(LeadShareFacts.assignment_id == aid)
                              .values(replied_leads=0, solved_leads=1 - LeadShareFacts.solved_leads))
        other = (await session.execute(select(ProposalFacts.proposal_id).where(ProposalFacts.proposal_id != pid)
                                       .order_by(ProposalFacts.proposal_id).limit(1))).scalar_one()
        await session.execute(update(ProposalFacts).where(ProposalFacts.proposal_id == other)
                              .values(leads=ProposalFacts.leads + 1))
        await session.commit()
    assert (await check_facts(db, TODAY)).wrong == sorted([pid, other])
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database_url(), "JIANYI_SERVER_DATA_DIR": settings.server.data_dir}
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "facts", "check"], cwd=settings.server.data_dir,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and str(pid) in done.stderr and "不符" in done.stderr, done.stderr
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "facts", "rebuild"], cwd=settings.server.data_dir,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "补写了 2 件" in done.stdout and "一致" in done.stdout, done.stdout + done.stderr
    assert (await check_facts(db, TODAY)).ok


async def test_an_action_writes_the_rows_only_when_it_changes_a_fact(year, db, engine):
    api, numbers = year
    async with db.read() as session:
        pid, number, stamp, unit, aid = (await session.execute(
            select(Proposal.id, Proposal.number, Proposal.facts_stamp, Unit.code, Assignment.id)
            .join(Assignment, Assignment.proposal_id == Proposal.id).join(Unit, Unit.id == Assignment.unit_id)
            .where(Proposal.state == "handling", Assignment.role == "lead", Assignment.state == "signed")
            .order_by(Proposal.id).limit(1))).one()
    actor = Actor("unit", unit, unit, assignment_id=aid)
    staff = Actor("staff", "wang", "王干事", role="staff")
    await engine.perform(number, "mark_key", staff, {"leader": "李副主任"})
    async with db.read() as session:  # 重点督办 is read from the proposal itself: no row written
        assert (await session.get(Proposal, pid)).facts_stamp == stamp
    assert (await stats_for(db, TODAY, year=2025))["assigned"] > 0 and (await check_facts(db, TODAY)).ok
    await engine.perform(number, "log_contact", actor, {"method": "面谈", "summary": "当面听取代表意见。"})
    async with db.read() as session:
        assert (await session.get(Proposal, pid)).facts_stamp == stamp + 1
        shares = (await session.execute(select(LeadShareFacts.contacted, LeadShareFacts.face_to_face)
                                        .where(LeadShareFacts.proposal_id == pid))).all()
    assert (1, 1) in shares and await _stale(db) == [] and (await check_facts(db, TODAY)).ok
