"""Large exports as background jobs (export_jobs): queued by the web, claimed by one runner, written by a
process of their own, downloaded by who asked for them.

A runner (`ExportRunner`, one in each `serve` process: the worker, and the web app's startup) claims the
oldest queued job with an UPDATE guarded by state = 'queued', so two runners never take the same job; it
starts the job's process (the front end's `target(settings, job_id, worker)`), which reads the rows,
writes the file under data_dir/exports, reports its progress and heartbeat every few thousand rows and
records the end. The web's event loop never writes a workbook.

A job left running by a worker that died (its heartbeat older than STALE) is queued again when a runner
next starts or looks for work; after MAX_ATTEMPTS such starts it fails. Finished files are removed a day
after they were made, the job rows after a month.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import multiprocessing
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from storage.models import ExportJob, Proposal, utcnow
from storage.uow import Conflict, UnitOfWork
from workflow.settings import Settings

log = logging.getLogger("jianyi.exports")

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed")
STALE = dt.timedelta(minutes=2)  # a running job without a heartbeat this long lost its worker
HEARTBEAT_SECONDS = 15  # how often the runner vouches for the job process it watches
POLL_SECONDS = 3.0  # how often a runner looks for jobs queued by another process
TIDY_SECONDS = 600
KEEP_FILES = dt.timedelta(days=1)
KEEP_JOBS = dt.timedelta(days=30)
MAX_ATTEMPTS = 3
STOP_GRACE_SECONDS = 5


@dataclass(frozen=True)
class Job:
    """One export job as pages and runners read it."""

    id: int
    kind: str
    parameters: dict[str, Any]
    requested_by: int
    file_name: str
    state: str
    rows_done: int
    rows_total: int
    file_path: Optional[str]
    worker: str
    attempts: int
    error: str
    created_at: dt.datetime
    finished_at: Optional[dt.datetime]

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


def _job(row: ExportJob) -> Job:
    return Job(row.id, row.kind, dict(row.parameters or {}), row.requested_by, row.file_name, row.state,
               row.rows_done, row.rows_total, row.file_path, row.worker, row.attempts, row.error, row.created_at,
               row.finished_at)


def exports_dir(settings: Settings) -> Path:
    """Where finished exports are kept (data_dir/exports, shared by the web and the worker)."""
    return settings.data_path("exports")


def file_of(settings: Settings, job: Job) -> Optional[Path]:
    """The finished file of a job, if it is still there (the row holds a bare name, never a path)."""
    if job.state != "done" or not job.file_path or Path(job.file_path).name != job.file_path:
        return None
    path = exports_dir(settings) / job.file_path
    return path if path.is_file() else None


# ------------------------------------------------------------------ what the web asks
async def count_ledger_rows(db: Database, clauses) -> int:
    """How many proposals the ledger of a scope lists (workflow.readmodels.ledger.ledger_chunks' rows)."""
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(Proposal).where(
            *clauses, Proposal.number.is_not(None)))).scalar_one()


async def queue(db: Database, kind: str, parameters: dict, requested_by: int, file_name: str,
                rows_total: int) -> Job:
    """A job for this export; the same user asking again for the same export while it is queued or
    running gets the job already under way."""
    async with UnitOfWork(db) as session:
        found = (await session.execute(select(ExportJob).where(
            ExportJob.requested_by == requested_by, ExportJob.kind == kind, ExportJob.state.in_(ACTIVE))
            .order_by(ExportJob.id))).scalars().all()
        same = next((row for row in found if row.parameters == parameters), None)
        if same is not None:
            return _job(same)
        row = ExportJob(kind=kind, parameters=parameters, requested_by=requested_by, file_name=file_name[:200],
                        state="queued", rows_done=0, rows_total=rows_total, worker="", attempts=0, error="",
                        created_at=utcnow())
        session.add(row)
        await session.flush()
        return _job(row)


async def job_by_id(db: Database, job_id: int) -> Optional[Job]:
    async with db.read() as session:
        row = await session.get(ExportJob, job_id)
    return _job(row) if row is not None else None


# ------------------------------------------------------------------ what a runner and a job's process do
async def claim_next(db: Database, worker: str) -> Optional[Job]:
    """The oldest queued job, now running for `worker`; None when there is none (or another runner took it)."""
    async with db.read() as session:
        job_id = (await session.execute(select(ExportJob.id).where(ExportJob.state == "queued")
                                        .order_by(ExportJob.id).limit(1))).scalar()
    if job_id is None:
        return None
    now = utcnow()
    async with UnitOfWork(db) as session:
        taken = await session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == "queued")
                                      .values(state="running", worker=worker, started_at=now, heartbeat_at=now,
                                              attempts=ExportJob.attempts + 1, error=""))
        if taken.rowcount != 1:
            return None
        return _job(await session.get(ExportJob, job_id))


def _mine(job_id: int, worker: str):
    return ExportJob.id == job_id, ExportJob.state == "running", ExportJob.worker == worker


async def report_progress(db: Database, job_id: int, worker: str, rows_done: Optional[int] = None) -> bool:
    """Rows written so far and a heartbeat; False when the job is no longer this worker's (stop then)."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if rows_done is not None:
        values["rows_done"] = rows_done
    async with UnitOfWork(db) as session:
        return (await session.execute(update(ExportJob).where(*_mine(job_id, worker)).values(**values))).rowcount == 1


async def finish(db: Database, job_id: int, worker: str, file_name: str, rows_done: int) -> bool:
    async with UnitOfWork(db) as session:
        return (await session.execute(update(ExportJob).where(*_mine(job_id, worker)).values(
            state="done", file_path=file_name, rows_done=rows_done, finished_at=utcnow(),
            heartbeat_at=utcnow()))).rowcount == 1


async def fail(db: Database, job_id: int, worker: str, error: str) -> bool:
    async with UnitOfWork(db) as session:
        return (await session.execute(update(ExportJob).where(*_mine(job_id, worker)).values(
            state="failed", error=error[:2000], finished_at=utcnow()))).rowcount == 1


async def release(db: Database, job_id: int, worker: str) -> None:
    """The runner is stopping: the job goes back to the queue, and this start does not count as an attempt."""
    async with UnitOfWork(db) as session:
        await session.execute(update(ExportJob).where(*_mine(job_id, worker)).values(
            state="queued", worker="", attempts=ExportJob.attempts - 1, rows_done=0))


async def requeue_stale(db: Database, now: Optional[dt.datetime] = None) -> int:
    """Jobs left running by a worker that died are queued again (or fail after MAX_ATTEMPTS starts)."""
    before = (now or utcnow()) - STALE
    stale = (ExportJob.state == "running", ExportJob.heartbeat_at < before)
    async with db.read() as session:
        if (await session.execute(select(func.count()).select_from(ExportJob).where(*stale))).scalar_one() == 0:
            return 0
    async with UnitOfWork(db) as session:
        await session.execute(update(ExportJob).where(*stale, ExportJob.attempts >= MAX_ATTEMPTS).values(
            state="failed", finished_at=utcnow(), error="导出进程多次意外中断，已停止重试。"))
        requeued = await session.execute(update(ExportJob).where(*stale).values(state="queued", worker="",
                                                                                  rows_done=0))
    if requeued.rowcount:
        log.warning("导出任务：%s 个任务的进程已中断，重新排队。", requeued.rowcount)
    return requeued.rowcount


async def remove_old_files(db: Database, settings: Settings, now: Optional[dt.datetime] = None) -> int:
    """Finished files older than KEEP_FILES are removed (their jobs stay, without a file, for KEEP_JOBS);
    leftovers of jobs that never finished go too."""
    now = now or utcnow()
    async with db.read() as session:
        old = (await session.execute(select(ExportJob.id, ExportJob.file_path).where(
            ExportJob.state.in_(FINISHED), ExportJob.finished_at < now - KEEP_FILES,
            ExportJob.file_path.is_not(None)))).all()
        expired = (await session.execute(select(func.count()).select_from(ExportJob).where(
            ExportJob.state.in_(FINISHED), ExportJob.finished_at < now - KEEP_JOBS))).scalar_one()
    folder = exports_dir(settings)
    for _, name in old:
        (folder / Path(name).name).unlink(missing_ok=True)
    _sweep_leftovers(folder, now)
    if old or expired:
        async with UnitOfWork(db) as session:
            if old:
                await session.execute(update(ExportJob).where(ExportJob.id.in_([i for i, _ in old]))
                                      .values(file_path=None))
            await session.execute(delete(ExportJob).where(ExportJob.state.in_(FINISHED),
                                                          ExportJob.finished_at < now - KEEP_JOBS))
    return len(old)


def _sweep_leftovers(folder: Path, now: dt.datetime) -> None:
    if not folder.is_dir():
        return
    limit = (now - KEEP_FILES).replace(tzinfo=dt.timezone.utc).timestamp()
    for path in folder.glob("*.part*"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


# ------------------------------------------------------------------ the runner
Target = Callable[[Settings, int, str], None]  # the job's process: (settings, job id, worker)


class ExportRunner:
    """Runs queued jobs one at a time, each in a process of its own, until `stop()`."""

    def __init__(self, db: Database, settings: Settings, target: Target):
        self.db, self.settings, self.target = db, settings, target
        self.worker = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.wake = asyncio.Event()  # a job was queued in this process: look now
        self.stopping = asyncio.Event()
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter: no loop, no sockets inherited

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        last_tidy = 0.0
        loop = asyncio.get_running_loop()
        while not self.stopping.is_set():
            try:
                if loop.time() - last_tidy > TIDY_SECONDS:
                    await remove_old_files(self.db, self.settings)
                    last_tidy = loop.time()
                await requeue_stale(self.db)
                job = await claim_next(self.db, self.worker)
                if job is not None:
                    await self._run(job)
                    continue
            except (SQLAlchemyError, OSError, Conflict) as exc:  # database down or busy, no process: later
                log.warning("导出任务：暂时无法运行（%s）。", type(exc).__name__)
            self.wake.clear()
            await _first(self.wake, self.stopping, timeout=POLL_SECONDS)

    async def _run(self, job: Job) -> None:
        process = self.context.Process(target=self.target, args=(self.settings, job.id, self.worker),
                                       name=f"jianyi-export-{job.id}")
        process.start()
        exited = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_reader(process.sentinel, exited.set)
        try:
            while not exited.is_set():
                await _first(exited, self.stopping, timeout=HEARTBEAT_SECONDS)
                if self.stopping.is_set() and not exited.is_set():
                    await self._halt(process, job)
                    return
                if not exited.is_set():
                    await report_progress(self.db, job.id, self.worker)
        finally:
            loop.remove_reader(process.sentinel)
        await asyncio.to_thread(process.join)
        if process.exitcode != 0:
            await self._lost(job, process.exitcode)

    async def _halt(self, process, job: Job) -> None:
        process.terminate()
        await asyncio.to_thread(process.join, STOP_GRACE_SECONDS)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join)
        await release(self.db, job.id, self.worker)

    async def _lost(self, job: Job, exitcode: Optional[int]) -> None:
        """The job's process died without recording an end: queue it again, or fail it after MAX_ATTEMPTS."""
        current = await job_by_id(self.db, job.id)
        if current is None or current.state != "running" or current.worker != self.worker:
            return
        if current.attempts >= MAX_ATTEMPTS:
            await fail(self.db, job.id, self.worker, f"导出进程意外退出（退出码 {exitcode}），已停止重试。")
            return
        async with UnitOfWork(self.db) as session:
            await session.execute(update(ExportJob).where(*_mine(job.id, self.worker)).values(
                state="queued", worker="", rows_done=0))


async def _first(*events: asyncio.Event, timeout: float) -> None:
    """Wait until one of `events` is set, or `timeout` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
