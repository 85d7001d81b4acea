"""How the read pages grow with the year: 1k, 10k, 100k proposals, first view after a change and repeat view.

    .venv/bin/python -m bench.growth [--db sqlite|postgres|both] [--sizes 1000,10000,100000] [--repeat 3]
                                     [--scoped sample|all|none] [--pg-url URL] [--facts rows|derived|both]
                                     [--only REGEX]

For each backend and size: a fresh migrated database (bench/actions.py FreshDatabase), seeded straight
into the tables as bench/dashboard.py does (`size` proposals of 2025 with ten events each, a tenth as
many of 2024). Then, through the aiohttp app signed in as staff (the API with that account's token):

- GET /dashboard?year=2025, and the lists behind its figures (/dashboard/proposals, first page), taken
  from the links on the rendered dashboard: every figure of the whole year, every state, the busiest
  month of each trend column, the red and yellow cards (all, and by each deadline shown); with
  `--scoped sample` also four figures (assigned, reply_satisfied, contacted, overdue) within one unit
  (U001, the busiest), one category (城建) and the key proposals; `all` takes every figure there;
- GET /api/v1/stats?year=2025 (overall, by=unit, unit=U001) and /api/v1/proposals?year=2025 with a q;
- the console's proposal list with a search (no match: q=路灯; every title matches: q=民生), the work
  queue (/console) and the overdue queue (/console?q=overdue);
- one unit's page /u/<token> (a lead share of U001, its link reissued first: the seeded ones are old).

The seeded rows come without the dashboard's facts rows (storage/models/share_facts.py): with `--facts rows`
(the default) they are written after seeding as the server's start writes them (`write_stale`, timed);
`--facts derived` leaves them out, so every share is derived from the records as before migration 0030;
`both` runs each size twice, derived first, for a ratio in one run. `--only` keeps the pages whose name the
regular expression finds (the dashboard is always measured).

Each page is timed `--repeat` times as the first view after a change (one real action through the
engine just before, log_contact on a proposal in handling: it changes the proposals' version sum, which
is the dashboard caches' change token), then `--repeat` times as a repeat view (median of each); then
once more after a change under tracemalloc: the peak of Python memory allocated during that request,
and the growth of the process's peak RSS. Figures, not pass/fail; printed as tables and written to
bench/results/growth-<time>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import html
import itertools
import json
import os
import platform
import re
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import aiohttp
import sqlalchemy
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bench.actions import FreshDatabase, _pg_default
from bench.dashboard import PASSWORD, TODAY, _get, _login, _ms, _rss_mb, seed
from storage.db import Database
from storage.models import Assignment, Proposal, Unit
from workflow.domain.links import make_token
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.settings import load_settings
from workflow.usecases.accounts import add_user
from workflow.usecases.links import reissue_link
from workflow.usecases.share_facts import write_stale

RESULTS = Path(__file__).resolve().parent / "results"
STAFF = Actor("staff", "bench", "基准", role="staff")
SAMPLE_FIGURES = ("assigned", "reply_satisfied", "contacted", "overdue")
UNIT, CATEGORY = "U001", "城建"
LINK = re.compile(r'href="(/dashboard/proposals\?[^"]+)"[^>]*>([^<]*)<')


@dataclass(frozen=True)
class Page:
    name: str
    group: str
    path: str
    api: bool = False


# ------------------------------------------------------------------ which pages
def dashboard_lists(page_html: str, scoped: str) -> list[Page]:
    """The lists the dashboard links to, one page per kind of link (see the module's docstring)."""
    chosen: dict[str, tuple[int, Page]] = {}
    for href, text in LINK.findall(page_html):
        params = dict(parse_qsl(html.unescape(href).split("?", 1)[1]))
        figure = params.pop("figure")
        scope = _scope_of(figure, params, scoped)
        if scope is None:
            continue
        detail, weight = "", 0
        if figure == "state":
            detail = f" {params['state']}"
        elif figure.endswith("_month"):
            detail, weight = " (busiest month)", int(text) if text.strip().isdigit() else 0
        elif params.get("deadline"):
            detail = f" {params['deadline']}"
        name = f"{scope}{figure}{detail}"
        if name not in chosen or weight > chosen[name][0]:
            chosen[name] = (weight, Page(name, "list", href.replace("&amp;", "&")))
    return [page for _, page in chosen.values()]


def _scope_of(figure: str, params: dict, scoped: str):
    """'' for the whole year, 'unit U001: ' etc. for a sampled scope, None for a link not taken."""
    extra = {k for k in params if k not in ("year", "state", "month", "deadline")}
    if not extra:
        return ""
    if scoped == "none" or len(extra) != 1 or (scoped == "sample" and figure not in SAMPLE_FIGURES):
        return None
    if params.get("unit") == UNIT:
        return f"unit {UNIT}: "
    if params.get("category") == CATEGORY:
        return f"category {CATEGORY}: "
    if params.get("key") == "1":
        return "key: "
    return None


def fixed_pages(unit_token: str) -> list[Page]:
    return [
        Page("GET /api/v1/stats?year=2025", "api", "/api/v1/stats?year=2025", True),
        Page("GET /api/v1/stats?year=2025&by=unit", "api", "/api/v1/stats?year=2025&by=unit", True),
        Page(f"GET /api/v1/stats?year=2025&unit={UNIT}", "api", f"/api/v1/stats?year=2025&unit={UNIT}", True),
        Page("GET /api/v1/proposals?year=2025&q=路灯", "api", "/api/v1/proposals?" + urlencode(
            {"year": 2025, "q": "路灯"}), True),
        Page("console list q=路灯 (no match)", "console", "/console/proposals?" + urlencode({"q": "路灯"})),
        Page("console list year=2025 q=民生 (all match)", "console", "/console/proposals?" + urlencode(
            {"year": 2025, "q": "民生"})),
        Page("console work queue /console", "console", "/console"),
        Page("console overdue queue", "console", "/console?q=overdue"),
        Page("unit page /u/<token>", "unit", f"/u/{unit_token}"),
    ]


# ------------------------------------------------------------------ the run against one database
class Changer:
    """One real action before each first view: log_contact by the lead unit of a proposal in handling."""

    def __init__(self, engine: Engine, targets: list[tuple[str, Actor]]):
        self.engine, self.targets = engine, itertools.cycle(targets)

    async def __call__(self) -> None:
        number, unit = next(self.targets)
        await self.engine.perform(number, "log_contact", unit, {"method": "电话", "summary": "基准：电话沟通进展。"})


async def _targets(db: Database) -> list[tuple[str, Actor]]:
    async with db.read() as session:
        rows = (await session.execute(
            select(Proposal.number, Assignment.id, Unit.code, Unit.name)
            .join(Assignment, Assignment.proposal_id == Proposal.id).join(Unit, Unit.id == Assignment.unit_id)
            .where(Proposal.year == 2025, Proposal.state == "handling", Assignment.role == "lead",
                   Assignment.state == "signed").order_by(Proposal.id).limit(40))).all()
    return [(number, Actor("unit", code, name, assignment_id=aid)) for number, aid, code, name in rows]


async def _unit_token(db: Database, secret: str, ttl_days: int) -> str:
    """A fresh link of U001's lead share of a proposal in handling (a real action: the link is reissued)."""
    async with db.read() as session:
        aid = (await session.execute(
            select(Assignment.id).join(Unit, Unit.id == Assignment.unit_id)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(Unit.code == UNIT, Assignment.role == "lead", Proposal.state == "handling", Proposal.year == 2025)
            .order_by(Assignment.id).limit(1))).scalar_one()
    await reissue_link(db, aid, STAFF)
    async with db.read() as session:
        return make_token(secret, await session.get(Assignment, aid), ttl_days)


async def measure(session, root: str, page: Page, repeat: int, change: Changer) -> dict:
    url = root + page.path
    first = []
    for _ in range(repeat):
        await change()
        first.append((await _get(session, url))[0])
    again = [(await _get(session, url))[0] for _ in range(repeat)]
    await change()
    rss_before = _rss_mb()
    tracemalloc.start()
    try:
        _, size = await _get(session, url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"path": page.path, "group": page.group, "first_ms": _ms(statistics.median(first)),
            "first_all_ms": [_ms(s) for s in first], "repeat_ms": _ms(statistics.median(again)),
            "repeat_all_ms": [_ms(s) for s in again], "bytes": size,
            "traced_peak_mb": round(peak / 2**20, 2), "rss_peak_growth_mb": round(_rss_mb() - rss_before, 1)}


async def bench_size(backend: str, size: int, repeat: int, scoped: str, pg_url: str, facts: str = "rows",
                     only: str = "") -> dict:
    result: dict = {"backend": backend if facts == "rows" else f"{backend} ({facts})", "proposals": size}
    async with FreshDatabase(backend, pg_url) as url:
        print(f"[growth] {backend} {size}: seeding ...", flush=True)
        result["seed"] = await seed(url, size)
        print(f"[growth] {backend} {size}: seeded in {result['seed']['seconds']} s", flush=True)
        base = load_settings(environ={})
        settings = replace(base, database=replace(base.database, url=url))
        db = Database(url)
        try:
            if facts == "rows":  # what the server's start (or `jianyi facts rebuild`) writes for seeded rows
                start = time.perf_counter()
                written = await write_stale(db)
                result["facts_rows"] = {"proposals": written, "seconds": round(time.perf_counter() - start, 1)}
                print(f"[growth] {backend} {size}: facts rows of {written} proposals written in "
                      f"{result['facts_rows']['seconds']} s", flush=True)
            engine = Engine(db, settings, clock=lambda: TODAY)
            token = (await add_user(db, "bench", "staff", PASSWORD)).token
            change = Changer(engine, await _targets(db))
            unit_token = await _unit_token(db, settings.server.secret_key, settings.server.link_ttl_days)
            from run import build_app
            server = TestServer(build_app(settings, engine))
            await server.start_server()
            try:
                result["pages"] = await _pages(server, token, repeat, scoped, change, f"{result['backend']} {size}",
                                               unit_token, only)
            finally:
                await server.close()
        finally:
            await db.dispose()
    return result


async def _pages(server, token: str, repeat: int, scoped: str, change: Changer, tag: str, unit_token: str,
                 only: str = "") -> dict:
    root = str(server.make_url("")).rstrip("/")
    timeout = aiohttp.ClientTimeout(total=3600)
    found: dict = {}
    async with aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.CookieJar(unsafe=True)) as web_session, \
            aiohttp.ClientSession(timeout=timeout, headers={"Authorization": f"Bearer {token}"}) as api_session:
        await _login(web_session, root)
        dashboard = Page("GET /dashboard?year=2025", "dashboard", "/dashboard?year=2025")
        async with web_session.get(root + dashboard.path) as response:
            lists = dashboard_lists(await response.text(), scoped)
        for page in [dashboard, *lists, *fixed_pages(unit_token)]:
            if only and page is not dashboard and not re.search(only, page.name):
                continue
            start = time.perf_counter()
            found[page.name] = await measure(api_session if page.api else web_session, root, page, repeat, change)
            row = found[page.name]
            print(f"[growth] {tag}: {page.name}: first {row['first_ms']} ms, repeat {row['repeat_ms']} ms, "
                  f"peak {row['traced_peak_mb']} MB ({time.perf_counter() - start:.1f} s)", flush=True)
    return found


# ------------------------------------------------------------------ report
def _factor(big, small) -> str:
    return f"{big / small:.1f}×" if big is not None and small else "-"


def report(results: list[dict]) -> str:
    """A markdown table per backend: page × size, first / repeat ms, growth per step, traced peak MB."""
    out = []
    for backend in dict.fromkeys(r["backend"] for r in results):
        runs = sorted((r for r in results if r["backend"] == backend), key=lambda r: r["proposals"])
        sizes = [r["proposals"] for r in runs]
        steps = list(zip(range(len(runs)), range(1, len(runs))))
        names = list(dict.fromkeys(name for r in reversed(runs) for name in r["pages"]))  # the largest run's order
        head = (["page"] + [f"{_k(n)} first / repeat ms" for n in sizes]
                + [f"{_k(sizes[a])}→{_k(sizes[b])} first / repeat" for a, b in steps]
                + ["peak MB " + " / ".join(_k(n) for n in sizes)])
        out += [f"\n{backend} (seed s: " + ", ".join(f"{_k(r['proposals'])} {r['seed']['seconds']}" for r in runs)
                + ")", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for name in names:
            rows = [r["pages"].get(name) for r in runs]
            cells = [f"{row['first_ms']:.0f} / {row['repeat_ms']:.0f}" if row else "-" for row in rows]
            for a, b in steps:
                ra, rb = rows[a], rows[b]
                cells.append(f"{_factor(rb and rb['first_ms'], ra and ra['first_ms'])} / "
                             f"{_factor(rb and rb['repeat_ms'], ra and ra['repeat_ms'])}")
            cells.append(" / ".join(f"{row['traced_peak_mb']:.1f}" if row else "-" for row in rows))
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _k(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def save(results: list[dict], args, path: Path) -> None:
    RESULTS.mkdir(exist_ok=True)
    document = {"benchmark": "growth", "when": dt.datetime.now().isoformat(timespec="seconds"),
                "python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__, "cpus": os.cpu_count(),
                "today": TODAY.isoformat(), "repeat": args.repeat, "scoped": args.scoped, "facts": args.facts,
                "only": args.only, "results": results}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sizes", default="1000,10000,100000", help="proposals of 2025 (2024 gets a tenth)")
    parser.add_argument("--repeat", type=int, default=3, help="first views (each after a change) and repeat views")
    parser.add_argument("--scoped", choices=["sample", "all", "none"], default="sample",
                        help="lists within one unit, category and the key proposals: four figures, all, none")
    parser.add_argument("--pg-url", default=_pg_default(), help="PostgreSQL server (a fresh database is made on it)")
    parser.add_argument("--facts", choices=["rows", "derived", "both"], default="rows",
                        help="rows: the dashboard's facts rows written after seeding (as the server's start does); "
                             "derived: none, every share derived from the records (the way before migration 0030)")
    parser.add_argument("--only", default="", help="a regular expression: only the pages it finds (and the dashboard)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas, e.g. 1000,10000")
    if not sizes or min(sizes) < 100 or args.repeat < 1:
        parser.error("every size must be at least 100 and --repeat at least 1")
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results, path = [], RESULTS / f"growth-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    variants = ["derived", "rows"] if args.facts == "both" else [args.facts]
    for backend in backends:
        for size in sizes:
            for facts in variants:
                results.append(asyncio.run(bench_size(backend, size, args.repeat, args.scoped, args.pg_url, facts,
                                                      args.only)))
            save(results, args, path)  # written after each run: a long run's figures survive an interruption
    print(report(results))
    print(f"[growth] results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
