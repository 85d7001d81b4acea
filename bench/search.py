"""Full-text search's speed at N proposals, against a plain primary-key lookup in the same run.

    .venv/bin/python -m bench.search [--db sqlite|postgres|both] [--n N] [--runs R] [--pg-url URL]

For each backend a fresh migrated database (bench/actions.py FreshDatabase: a temp SQLite file, or a
database made on the PostgreSQL server and dropped afterwards) gets N submitted proposals written
directly, not through the engine: synthetic titles and contents drawn from a small Chinese vocabulary,
their bigram rows (proposal_grams, gram_stats) and, for every third proposal, a reply's (reply_grams),
bulk-loaded (sqlite3 executemany, PostgreSQL COPY). Then R searches of a two-character word and of a
four-character word (workflow/readmodels/search.py, first page with its total) and R SELECTs of a
proposal by primary key, interleaved so that the machine's changing load weighs on all alike; each in
its own read session. Prints the medians and their ratios to the lookup; measures, never passes or fails.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
from collections import Counter

from sqlalchemy import select

from bench.actions import FreshDatabase, _pg_default
from storage.db import Database
from storage.models import Proposal
from workflow.domain.similarity import grams
from workflow.engine.text_index import digest_of
from workflow.readmodels.search import search

PLACES = ["城关镇", "西渡镇", "演陂镇", "杉木乡", "界牌镇", "金兰镇", "洪市镇", "樟树乡", "岘山乡", "台源镇", "井头镇",
          "渣江镇", "三湖镇", "长安乡", "库宗桥镇", "关市镇", "栏垅乡", "板市乡", "曲兰镇", "大安乡"]
WORDS = ["农村公路", "路灯", "红绿灯", "饮水安全", "自来水", "校舍", "教学楼", "乡村医生", "养老服务", "垃圾分类",
         "河道治理", "生活污水", "公交班次", "老旧小区", "管网改造", "油茶产业", "食品安全", "校外培训", "停车难",
         "农贸市场", "集镇建设", "危房改造", "水利设施", "灌溉渠道", "山塘清淤", "高标准农田", "电商服务", "就业培训",
         "留守儿童", "幼儿园", "卫生院", "医保报销", "村级道路", "桥梁维修", "防汛抗旱", "森林防火", "环境整治",
         "厕所革命", "文化广场", "体育设施", "网络信号", "物流配送", "土地流转", "产业扶持", "小微企业", "营商环境"]
FILLERS = ["建议", "加强", "尽快", "推进", "解决", "群众", "反映", "问题", "存在", "部分", "安排", "资金", "落实",
           "改善", "提高", "完善", "规划", "实施", "保障", "县里", "相关部门", "当地", "进一步", "目前", "近年来"]
NAMES = ["张三丰", "李四海", "王五常", "赵六合", "钱七星", "孙八方", "周九洲", "吴十全", "郑一鸣", "冯二虎"]
TWO, FOUR = "路灯", "农村公路"


def texts(rng: random.Random, i: int) -> tuple[str, str, str]:
    """Title, content (about 150 characters) and a reply of proposal i."""
    place, topic = rng.choice(PLACES), rng.choice(WORDS)
    title = f"关于{place}{topic}的建议"
    content = "，".join("".join(rng.choice(FILLERS if k % 2 else WORDS) for k in range(3)) for _ in range(10)) + "。"
    reply = f"关于{place}{topic}问题，已{rng.choice(FILLERS)}{rng.choice(WORDS)}，预计{2026 + i % 3}年完成。"
    return title, content, reply


def rows(n: int, seed: int = 7):
    """Proposals, their grams, the grams' document frequencies, reply grams."""
    rng = random.Random(seed)
    proposals, pgrams, rgrams, df = [], [], [], Counter()
    for i in range(1, n + 1):
        title, content, reply = texts(rng, i)
        proposals.append((i, f"2026-{i:06d}", 2026, title, content, 1 + i % len(NAMES),
                          digest_of(title, content)))  # indexed, as the indexer leaves them
        own = grams(title, content)
        df.update(own)
        pgrams.extend((g, i) for g in own)
        if i % 3 == 0:
            rgrams.extend((g, i) for g in grams(reply))
    return proposals, pgrams, rgrams, list(df.items())


PROPOSAL_COLUMNS = ["id", "number", "year", "title", "content", "lead_deputy_id", "indexed_digest"]
FIXED = {"category": "", "state": "submitted", "version": 1, "confidential": False, "face_to_face": False,
         "key_supervision": False, "key_leader": "", "key_committee": "", "key_proposed": False,
         "unsatisfied_count": 0, "round": 1, "state_reason": "", "disposition": "", "withdrawal_reason": "",
         "kind": "", "official_number": "", "origin": "proposal", "event_count": 0, "last_event_hash": ""}


def _load_sqlite(path: str, data) -> None:
    proposals, pgrams, rgrams, df = data
    con = sqlite3.connect(path)
    con.executemany("INSERT INTO deputies (id, number, name, delegation, phone, work_unit, term, active, created_at) "
                    "VALUES (?, ?, ?, '', '', '', '', 1, CURRENT_TIMESTAMP)",
                    [(k + 1, f"D{k + 1:03d}", name) for k, name in enumerate(NAMES)])
    cols = PROPOSAL_COLUMNS + list(FIXED) + ["created_at", "updated_at"]
    con.executemany(f"INSERT INTO proposals ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [p + tuple(FIXED.values()) + ("2026-03-01 00:00:00", "2026-03-01 00:00:00") for p in proposals])
    con.executemany("INSERT INTO proposal_grams (gram, proposal_id) VALUES (?, ?)", pgrams)
    con.executemany("INSERT INTO reply_grams (gram, proposal_id) VALUES (?, ?)", rgrams)
    con.executemany("INSERT INTO gram_stats (gram, df) VALUES (?, ?)", df)
    con.commit()
    con.execute("ANALYZE")
    con.close()


async def _load_postgres(url: str, data) -> None:
    import datetime as dt

    import asyncpg

    proposals, pgrams, rgrams, df = data
    con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        now = dt.datetime(2026, 3, 1)
        await con.copy_records_to_table("deputies", columns=["id", "number", "name", "delegation", "phone",
                                                             "work_unit", "term", "active", "created_at"],
                                        records=[(k + 1, f"D{k + 1:03d}", name, "", "", "", "", True, now)
                                                 for k, name in enumerate(NAMES)])
        await con.copy_records_to_table("proposals", columns=PROPOSAL_COLUMNS + list(FIXED) + ["created_at", "updated_at"],
                                        records=[p + tuple(FIXED.values()) + (now, now) for p in proposals])
        await con.copy_records_to_table("proposal_grams", columns=["gram", "proposal_id"], records=pgrams)
        await con.copy_records_to_table("reply_grams", columns=["gram", "proposal_id"], records=rgrams)
        await con.copy_records_to_table("gram_stats", columns=["gram", "df"], records=df)
        await con.execute("VACUUM ANALYZE")  # as autovacuum leaves a table after bulk inserts: index-only scans
    finally:
        await con.close()


async def _timed(db: Database, work) -> float:
    start = time.perf_counter()
    async with db.read() as session:
        await work(session)
    return time.perf_counter() - start


async def measure(url: str, n: int, runs: int) -> dict:
    db = Database(url)
    rng = random.Random(3)
    times: dict[str, list[float]] = {"two": [], "four": [], "pk": []}
    found: dict[str, int] = {}

    async def pk(session):
        await session.execute(select(Proposal.title).where(Proposal.id == rng.randint(1, n)))

    def query(word: str, label: str):
        async def run(session):
            found[label] = (await search(session, word)).total
        return run
    try:
        for _ in range(3):  # warm the caches and the connection pool
            await _timed(db, pk), await _timed(db, query(TWO, "two"))
        for _ in range(runs):
            times["two"].append(await _timed(db, query(TWO, "two")))
            times["four"].append(await _timed(db, query(FOUR, "four")))
            times["pk"].append(await _timed(db, pk))
    finally:
        await db.dispose()
    medians = {k: statistics.median(v) * 1000 for k, v in times.items()}
    return {"n": n, "median_ms": medians, "matches": found,
            "ratio_two": medians["two"] / medians["pk"], "ratio_four": medians["four"] / medians["pk"]}


async def bench_backend(backend: str, n: int, runs: int, pg_url: str) -> dict:
    async with FreshDatabase(backend, pg_url) as url:
        started = time.perf_counter()
        data = rows(n)
        if backend == "sqlite":
            await asyncio.to_thread(_load_sqlite, url.split(":///", 1)[1], data)
        else:
            await _load_postgres(url, data)
        print(f"[bench] {backend}: {n} proposals, {len(data[1])} proposal grams, {len(data[2])} reply grams "
              f"loaded in {time.perf_counter() - started:.1f}s", flush=True)
        return {"backend": backend, **await measure(url, n, runs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--n", type=int, default=100000, help="proposals in the index")
    parser.add_argument("--runs", type=int, default=30, help="timed searches of each kind")
    parser.add_argument("--pg-url", default=_pg_default(), help="PostgreSQL server (a fresh database is made on it)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs must be at least 1")
    for backend in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        r = asyncio.run(bench_backend(backend, args.n, args.runs, args.pg_url))
        m = r["median_ms"]
        print(f"{backend:9} N={r['n']:>7}  pk {m['pk']:7.2f} ms | “{TWO}” {m['two']:8.2f} ms "
              f"({r['matches']['two']} found, ×{r['ratio_two']:.1f}) | “{FOUR}” {m['four']:8.2f} ms "
              f"({r['matches']['four']} found, ×{r['ratio_four']:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
