"""The supervisors' dashboard and the ledger export on a province-sized year.

    .venv/bin/python -m bench.dashboard [--db sqlite|postgres|both] [--proposals 100000] [--repeat 5]

For each backend: a fresh database (a temp SQLite file, or a database created next to `test` on the
PostgreSQL server and dropped afterwards), migrated, then seeded straight into the tables
(bench/seed_year.py): `--proposals` proposals of 2025 with ten events each, and a tenth as many of
2024. Then, through the aiohttp app as a signed-in supervisor:

- GET /dashboard?year=2025, once to warm up, then `--repeat` times (min / median / max), and the
  dashboard's parts timed one by one;
- GET /dashboard/export/ledger.xlsx?year=2025, read to the end: time, size, rows, and the process's
  peak RSS before and after; then again with tracemalloc for 2024 and for 2025, whose peaks show
  whether memory grows with the number of rows (it should not: the export is streamed).

Figures, not pass/fail. Results are printed and written to bench/results/dashboard-<time>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import resource
import sqlite3
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import aiohttp
import sqlalchemy
from aiohttp.test_utils import TestServer

from bench.actions import FreshDatabase, _pg_default
from bench.seed_year import YearSeeder, write_pg, write_sqlite
from storage.db import Database
from workflow.engine.engine import Engine
from workflow.readmodels import dashboard as figures
from workflow.readmodels.stats import _CACHES, Scope, _dashboard_facts, change_token
from workflow.settings import load_settings
from workflow.usecases.accounts import add_user

RESULTS = Path(__file__).resolve().parent / "results"
TODAY = dt.date(2025, 12, 15)
SEEDED_TABLES = ["units", "deputies", "proposals", "co_signers", "assignments", "replies", "evaluations", "events"]
PASSWORD = "bench-password-1"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# ------------------------------------------------------------------ seeding
async def seed(url: str, proposals: int) -> dict:
    seeder = YearSeeder()
    years = [(2025, proposals), (2024, max(proposals // 10, 1))]
    start = time.perf_counter()
    if url.startswith("sqlite"):
        await asyncio.to_thread(_seed_sqlite, url.split(":///", 1)[1], seeder, years)
    else:
        await _seed_pg(url, seeder, years)
    return {"seconds": round(time.perf_counter() - start, 1), **{k: v for k, v in seeder.ids.items()}}


def _seed_sqlite(path: str, seeder: YearSeeder, years) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        with conn:
            write_sqlite(conn, seeder.roster())
            for year, count in years:
                for batch in seeder.batches(year, count):
                    write_sqlite(conn, batch)
        conn.execute("ANALYZE")
    finally:
        conn.close()


async def _seed_pg(url: str, seeder: YearSeeder, years) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            await write_pg(conn, seeder.roster())
            for year, count in years:
                for batch in seeder.batches(year, count):
                    await write_pg(conn, batch)
        for table in SEEDED_TABLES:  # the rows came with their ids: move the sequences past them
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"GREATEST((SELECT max(id) FROM {table}), 1))")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# ------------------------------------------------------------------ measuring
async def _login(session: aiohttp.ClientSession, base: str) -> None:
    page = await (await session.get(f"{base}/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    response = await session.post(f"{base}/login", data={"username": "bench", "password": PASSWORD,
                                                        "csrf_token": token}, allow_redirects=False)
    if response.status != 303:
        raise RuntimeError(f"login failed: {response.status}")


async def _get(session, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    async with session.get(url) as response:
        size = 0
        async for chunk in response.content.iter_chunked(1 << 16):
            size += len(chunk)
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status}")
    return time.perf_counter() - start, size


async def measure_parts(db: Database, settings, scope: Scope) -> dict:
    """Each part of the dashboard computed afresh (as after a change), one after the other."""
    parts = {
        "change token": lambda: change_token(db),
        "facts per proposal and per unit (one statement)": lambda: _dashboard_facts(db, TODAY, scope),
        "states": lambda: figures.state_totals(db, scope),
        "monthly trend": lambda: figures.monthly_trend(db, scope),
        "yellow/red cards": lambda: figures.cards(db, settings, TODAY, figures.CARDS_SHOWN),
    }
    found = {}
    for name, run in parts.items():
        start = time.perf_counter()
        await run()
        found[name] = _ms(time.perf_counter() - start)
    return found


async def measure_export(session, base: str, year: int, traced: bool) -> dict:
    url = f"{base}/dashboard/export/ledger.xlsx?year={year}"
    rss_before = _rss_mb()
    if traced:
        tracemalloc.start()
    try:
        seconds, size = await _get(session, url)
        peak = tracemalloc.get_traced_memory()[1] if traced else None
    finally:
        if traced:
            tracemalloc.stop()
    found = {"year": year, "seconds": round(seconds, 2), "bytes": size, "rss_before_mb": round(rss_before, 1),
             "rss_after_mb": round(_rss_mb(), 1)}
    if traced:
        found["tracemalloc_peak_mb"] = round(peak / 2**20, 1)
    return found


async def bench_backend(backend: str, proposals: int, repeat: int, pg_url: str, memory: bool) -> dict:
    result: dict = {"backend": backend, "proposals": proposals}
    async with FreshDatabase(backend, pg_url) as url:
        print(f"[bench] {backend}: seeding {proposals} proposals ...", flush=True)
        result["seed"] = await seed(url, proposals)
        print(f"[bench] {backend}: seeded in {result['seed']['seconds']} s: {result['seed']}", flush=True)
        base = load_settings(environ={})
        settings = replace(base, database=replace(base.database, url=url))
        db = Database(url)
        try:
            engine = Engine(db, settings, clock=lambda: TODAY)
            await add_user(db, "bench", "supervisor", PASSWORD)
            from run import build_app
            server = TestServer(build_app(settings, engine))
            await server.start_server()
            root = str(server.make_url("")).rstrip("/")
            try:
                jar = aiohttp.CookieJar(unsafe=True)  # the server is on 127.0.0.1: keep its cookie
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3600), cookie_jar=jar) as session:
                    await _login(session, root)
                    result["dashboard"] = await _dashboard(session, root, repeat, db)
                    result["dashboard_parts_ms"] = await measure_parts(db, settings, Scope(year=2025))
                    print(f"[bench] {backend}: dashboard {result['dashboard']}", flush=True)
                    result["export"] = await measure_export(session, root, 2025, traced=False)
                    print(f"[bench] {backend}: ledger export {result['export']}", flush=True)
                    if memory:
                        result["export_memory"] = [await measure_export(session, root, year, traced=True)
                                                   for year in (2024, 2025)]
                        print(f"[bench] {backend}: export memory {result['export_memory']}", flush=True)
            finally:
                await server.close()
        finally:
            await db.dispose()
    return result


async def _dashboard(session, root: str, repeat: int, db: Database) -> dict:
    """Cold: every figure computed afresh, as on the first view after any change. Warm: nothing changed
    since the last view, so the figures are reused once the change token matches."""
    url = f"{root}/dashboard?year=2025"
    cold = []
    for _ in range(repeat):
        _CACHES.pop(db, None)
        cold.append((await _get(session, url))[0])
    warm = [(await _get(session, url))[0] for _ in range(repeat)]
    _, size = await _get(session, url)
    return {"cold_min_ms": _ms(min(cold)), "cold_median_ms": _ms(statistics.median(cold)),
            "cold_max_ms": _ms(max(cold)), "warm_min_ms": _ms(min(warm)),
            "warm_median_ms": _ms(statistics.median(warm)), "warm_max_ms": _ms(max(warm)), "page_bytes": size}


# ------------------------------------------------------------------ report
def report(results: list[dict]) -> str:
    lines = [f"{'backend':<10} {'proposals':>9} {'seed s':>7} {'cold min':>9} {'median':>7} {'warm min':>9} "
             f"{'median':>7} {'export s':>9} {'xlsx MB':>8} {'peak MB 1/10':>13} {'peak MB all':>12}"]
    for r in results:
        d, e = r["dashboard"], r["export"]
        peaks = [m.get("tracemalloc_peak_mb", "-") for m in r.get("export_memory", [])] or ["-", "-"]
        lines.append(f"{r['backend']:<10} {r['proposals']:>9} {r['seed']['seconds']:>7} {d['cold_min_ms']:>9} "
                     f"{d['cold_median_ms']:>7} {d['warm_min_ms']:>9} {d['warm_median_ms']:>7} {e['seconds']:>9} "
                     f"{e['bytes'] / 2**20:>8.1f} {peaks[0]:>13} {peaks[1]:>12}")
    lines.append("cold/warm: ms per GET /dashboard?year=2025 (signed in) with every figure computed afresh / with "
                 "nothing changed since the last view; peak MB: tracemalloc peak of the ledger export for 2024 "
                 "(a tenth of the rows) and 2025")
    for r in results:
        lines.append(f"{r['backend']} dashboard parts, each afresh (ms): " + ", ".join(
            f"{k} {v}" for k, v in r["dashboard_parts_ms"].items()))
    return "\n".join(lines)


def save(results: list[dict]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"dashboard-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    document = {"benchmark": "dashboard", "when": dt.datetime.now().isoformat(timespec="seconds"),
                "python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__, "cpus": os.cpu_count(),
                "today": TODAY.isoformat(), "results": results}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--proposals", type=int, default=100_000, help="proposals of 2025 (2024 gets a tenth)")
    parser.add_argument("--repeat", type=int, default=5, help="timed dashboard requests after a warm-up")
    parser.add_argument("--no-memory", action="store_true", help="skip the (slower) tracemalloc export runs")
    parser.add_argument("--pg-url", default=_pg_default(), help="PostgreSQL server (a fresh database is made on it)")
    args = parser.parse_args(argv)
    if args.proposals < 10 or args.repeat < 1:
        parser.error("--proposals must be at least 10 and --repeat at least 1")
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = [asyncio.run(bench_backend(b, args.proposals, args.repeat, args.pg_url, not args.no_memory))
               for b in backends]
    print(report(results))
    print(f"[bench] results written to {save(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
