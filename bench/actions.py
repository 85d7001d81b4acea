"""Actions per second through the service layer, against plain-insert transactions in the same run.

    .venv/bin/python -m bench.actions [--db sqlite|postgres|both] [--n N] [--pg-url URL]

For each backend: a fresh database (a temp SQLite file, or a database created next to `test` on the
PostgreSQL server and dropped afterwards), migrated with storage.db.upgrade. N proposals are created
and submitted beforehand (not timed); then each goes through accept -> assign -> sign -> log_contact
-> reply -> evaluate_reply, and only the Engine.perform calls are timed. The baseline is what an
action must write at the least, written plainly: one transaction with an event row, one outbox row
and the proposal row's update, with the same SQLAlchemy async engine, run right after each proposal's
cycle so that the machine's changing load weighs on both alike. The ratio says how many such plain
transactions one action costs. Nothing here passes or fails on time.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy
from sqlalchemy import insert, update

from storage.db import Database, upgrade
from storage.models import Event, OutboxMessage, Proposal, utcnow
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.settings import load_settings
from workflow.usecases.rosters import add_deputy, add_unit

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
RESULTS = Path(__file__).resolve().parent / "results"
CYCLE = ["accept", "assign", "sign", "log_contact", "reply", "evaluate_reply"]
STAFF = Actor("staff", "bench", "基准测试", role="staff")
DEPUTY = Actor("deputy", "B001", "测试代表")


@dataclass
class Outcome:
    backend: str
    proposals: int
    actions: int = 0
    action_seconds: float = 0.0
    per_action: dict[str, list[float]] = field(default_factory=dict)
    baseline_transactions: int = 0
    baseline_seconds: float = 0.0

    @property
    def actions_per_second(self) -> float:
        return self.actions / self.action_seconds if self.action_seconds else 0.0

    @property
    def baseline_per_second(self) -> float:
        return self.baseline_transactions / self.baseline_seconds if self.baseline_seconds else 0.0

    @property
    def ratio(self) -> float:
        """One action's cost in plain-insert transactions."""
        return self.baseline_per_second / self.actions_per_second if self.actions_per_second else 0.0

    def as_dict(self) -> dict:
        return {
            "backend": self.backend, "proposals": self.proposals, "actions": self.actions,
            "action_seconds": round(self.action_seconds, 4), "actions_per_second": round(self.actions_per_second, 1),
            "baseline_transactions": self.baseline_transactions, "baseline_seconds": round(self.baseline_seconds, 4),
            "baseline_transactions_per_second": round(self.baseline_per_second, 1), "ratio": round(self.ratio, 2),
            "mean_ms_per_action": {k: round(1000 * sum(v) / len(v), 2) for k, v in self.per_action.items()},
        }


# ------------------------------------------------------------------ databases
async def _admin(server_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class FreshDatabase:
    """A migrated database that exists only for one benchmark run."""

    def __init__(self, backend: str, pg_url: str):
        self.backend, self.pg_url = backend, pg_url
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.url = ""

    async def __aenter__(self) -> str:
        if self.backend == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix="jianyi-bench-")
            self.url = f"sqlite+aiosqlite:///{Path(self._tmp.name) / 'bench.db'}"
        else:
            name = f"jianyi_bench_{os.getpid()}_{secrets.token_hex(3)}"
            await _admin(self.pg_url, f'CREATE DATABASE "{name}"')
            self.url = self.pg_url.rsplit("/", 1)[0] + "/" + name
        await asyncio.to_thread(upgrade, self.url)
        return self.url

    async def __aexit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
        elif self.url:
            await _admin(self.pg_url, f'DROP DATABASE IF EXISTS "{self.url.rsplit("/", 1)[1]}" WITH (FORCE)')


# ------------------------------------------------------------------ the measured work
async def prepare(engine: Engine, n: int) -> list[tuple[str, int]]:
    """Roster and N submitted proposals (not timed): their (number, id)."""
    await add_deputy(engine.db, {"number": DEPUTY.id, "name": DEPUTY.name})
    await add_unit(engine.db, {"code": "JYJ", "name": "县教育局"})
    proposals = []
    for i in range(n):
        result = await engine.create_proposal(STAFF, DEPUTY.id, f"基准建议 {i}", "关于改善乡村学校校舍条件的建议。" * 5,
                                              submit=True)
        proposals.append((result.proposal.number, result.proposal.id))
    return proposals


def _steps(assignment_id: int | None):
    unit = Actor("unit", "JYJ", "县教育局", assignment_id=assignment_id)
    return {
        "accept": (STAFF, {"category": "教育"}),
        "assign": (STAFF, {"lead_units": ["JYJ"]}),
        "sign": (unit, {}),
        "log_contact": (unit, {"method": "电话", "summary": "与代表电话沟通办理思路。"}),
        "reply": (unit, {"category": "A", "text": "已安排专项资金完成校舍维修。", "signer": "李局长"}),
        "evaluate_reply": (DEPUTY, {"rating": "satisfied", "implementation_rating": "satisfied"}),
    }


async def run_cycle(engine: Engine, number: str, outcome: Outcome) -> None:
    """One proposal through the cycle; only the perform calls are timed."""
    clock = time.perf_counter
    assignment_id = None
    for action in CYCLE:
        actor, params = _steps(assignment_id)[action]
        start = clock()
        result = await engine.perform(number, action, actor, params)
        took = clock() - start
        outcome.per_action.setdefault(action, []).append(took)
        outcome.action_seconds += took
        outcome.actions += 1
        if action == "assign":
            assignment_id = result.proposal.assignments[0].id
    if result.to_state != "closed":
        raise RuntimeError(f"{number} ended in {result.to_state}, not closed: the cycle is wrong")


async def run_baseline(db: Database, pid: int, count: int, outcome: Outcome) -> None:
    """`count` plain transactions on proposal `pid`: event insert + outbox insert + proposal update."""
    clock = time.perf_counter
    for _ in range(count):
        serial = outcome.baseline_transactions
        now = utcnow()
        start = clock()
        async with db.write_engine.begin() as conn:
            event_id = (await conn.execute(insert(Event).returning(Event.id), {
                "proposal_id": pid, "seq": 100_000 + serial, "action": "accept",
                "actor_kind": "staff", "actor_id": "bench", "actor_name": "基准测试", "on_behalf_kind": "",
                "on_behalf_id": "", "assignment_id": None, "from_state": "submitted", "to_state": "accepted",
                "payload": {"category": "教育"}, "created_at": now, "prev_hash": "0" * 64, "hash": "1" * 64,
            })).scalar_one()
            await conn.execute(insert(OutboxMessage), {
                "event_id": event_id, "kind": "proposal_accept", "recipient_kind": "deputy",
                "recipient_id": DEPUTY.id, "idempotency_key": f"bench:{serial}",
                "payload": {"proposal_id": pid, "action": "accept", "state": "accepted"}, "created_at": now,
            })
            await conn.execute(update(Proposal).where(Proposal.id == pid).values(
                version=Proposal.version + 1, event_count=Proposal.event_count + 1, last_event_hash="1" * 64,
                updated_at=now))
        outcome.baseline_seconds += clock() - start
        outcome.baseline_transactions += 1


async def bench_backend(backend: str, n: int, pg_url: str) -> Outcome:
    outcome = Outcome(backend, n)
    async with FreshDatabase(backend, pg_url) as url:
        base = load_settings(environ={})
        settings = replace(base, database=replace(base.database, url=url))
        db = Database(url)
        try:
            engine = Engine(db, settings)
            proposals = await prepare(engine, n)
            # Interleaved, one proposal's cycle then as many baseline transactions: the load of a
            # shared machine changes by the second, and so it weighs on both sides alike.
            for number, pid in proposals:
                await run_cycle(engine, number, outcome)
                await run_baseline(db, pid, len(CYCLE), outcome)
        finally:
            await db.dispose()
    return outcome


# ------------------------------------------------------------------ report
def table(outcomes: list[Outcome]) -> str:
    head = f"{'backend':<10} {'actions':>8} {'actions/s':>10} {'baseline tx/s':>14} {'ratio':>6}"
    lines = [head, "-" * len(head)]
    for o in outcomes:
        lines.append(f"{o.backend:<10} {o.actions:>8} {o.actions_per_second:>10.1f} {o.baseline_per_second:>14.1f}"
                     f" {o.ratio:>6.2f}")
    lines.append("ratio = baseline tx/s ÷ actions/s：一次操作相当于几次“普通写入事务” / an action's cost in plain"
                 " insert transactions")
    for o in outcomes:
        means = ", ".join(f"{k} {v}" for k, v in o.as_dict()["mean_ms_per_action"].items())
        lines.append(f"{o.backend} mean ms per action: {means}")
    return "\n".join(lines)


def save(outcomes: list[Outcome], n: int) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"actions-{stamp}.json"
    document = {
        "benchmark": "actions", "when": dt.datetime.now().isoformat(timespec="seconds"), "n": n, "cycle": CYCLE,
        "python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__, "cpus": os.cpu_count(),
        "results": [o.as_dict() for o in outcomes],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _pg_default() -> str:
    env = os.environ.get("JIANYI_DATABASE_URL", "")
    return env if env.startswith("postgresql+asyncpg://") else DEFAULT_PG_URL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.actions", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--n", type=int, default=200, help="proposals taken through the cycle (6 actions each)")
    parser.add_argument("--pg-url", default=_pg_default(), help="PostgreSQL server (a fresh database is made on it)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    outcomes = []
    for backend in backends:
        print(f"[bench] {backend}: {args.n} proposals × {len(CYCLE)} actions ...", flush=True)
        outcomes.append(asyncio.run(bench_backend(backend, args.n, args.pg_url)))
    print(table(outcomes))
    print(f"[bench] results written to {save(outcomes, args.n)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
