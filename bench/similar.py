"""Similar proposals at scale: the search against a primary-key lookup, and submitting with the index upkeep
against submitting without it, each pair in the same run.

    .venv/bin/python -m bench.similar [--db sqlite|postgres|both] [--n N] [--queries Q] [--submits S] [--pg-url URL]

For each backend: a fresh migrated database (bench/actions.py's FreshDatabase) holding N submitted proposals
of 2024 and 2025 whose index rows (ProposalGram, GramStat, Proposal.indexed_digest) are written straight into the tables
(COPY on PostgreSQL, executemany on SQLite), from synthetic Chinese texts: a title and three or four sentences
built from a vocabulary of towns, villages, roads and schools and some forty matters, picked unevenly, so
that place names are rare bigrams, each matter's words middling and the phrases every proposal has common.
(a) Q new drafts' texts: the median time of similar() (every year) against the median of a plain SELECT by
primary key, each in its own read session, interleaved. (b) 2×S drafts made by the engine (untimed), then
submitted through Engine.perform, alternately as is and with the engine's index upkeep (reply_index.mark)
turned off (here only): the ratio of the medians is the index upkeep's cost in the action (since migration
0028 a submission leaves its text to the indexer). (c) similar() with those 2×S texts still waiting (read
directly), then the indexer's cost per text in its batches. Nothing passes or fails on time.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy
from sqlalchemy import select

from bench.actions import DEPUTY, FreshDatabase, _pg_default
from bench.seed_year import _filled
from storage.db import Database
from storage.models import Proposal
from workflow.domain.similarity import DOCUMENTS, grams
from workflow.engine import reply_index, text_index
from workflow.engine.engine import Engine
from workflow.readmodels.similar import similar
from workflow.settings import load_settings
from workflow.usecases.text_index import index_texts

RESULTS = Path(__file__).resolve().parent / "results"
TOWNS = ("城关镇 西渡镇 演陂镇 杉木乡 井头镇 金兰镇 界牌镇 洪市镇 曲兰镇 台源镇 渣江镇 三湖镇 樟树乡 库宗桥镇 关市镇 "
         "石市镇 岣嵝乡 长安乡 溪江乡 板市乡 大安乡 集兵镇 栏垅乡 夏明镇 松柏镇 望城镇 新塘镇 蒸阳街道").split()
VILLAGE_HEADS = "黄 李 刘 谢 周 罗 彭 曾 邓 蒋 唐 肖 石 杨 朱 廖 欧阳 双 新 大 小 上 下 东 西 南 北 桃 枫 竹".split()
VILLAGE_TAILS = "家村 塘村 冲村 湾村 坪村 田村 桥村 山村 岭村 江村 源村 庄村".split()
ROADS = ("G107国道 S315省道 蒸阳大道 东门路口 西渡大桥 演陂街 衡邵高速出口 县城环城路 金源路 迎宾大道 "
         "城南路 建设路 人民路 解放路 滨江路 红旗路").split()
MATTERS = [  # (the title's matter, words of its sentences)
    ("硬化村组道路", "道路还是泥巴路 雨天泥泞难行 列入农村公路硬化计划 群众出行不便"),
    ("增设红绿灯", "路口车流量大 行人过马路困难 增设信号灯和斑马线 学生上学安全"),
    ("改善农村饮水安全", "自来水水质差 经常停水 改造供水管网 饮水安全巩固提升"),
    ("维修中小学校舍", "教学楼屋顶漏水 墙体开裂 维修校舍 存在安全隐患"),
    ("推进垃圾分类", "垃圾分类设施不足 增设分类垃圾桶 垃圾清运不及时 环境卫生"),
    ("加强农村养老服务", "留守老人多 建设村级养老服务站 日间照料中心 护理人员不足"),
    ("提高乡村医生待遇", "乡村医生收入低 队伍不稳定 提高补助 村卫生室设备简陋"),
    ("治理河道污染", "生活污水直排 河道淤积 加强整治 河长制落实"),
    ("增加公交班次", "公交班次少 候车时间长 开通城乡公交 票价偏高"),
    ("扶持油茶产业", "油茶种植面积大 加工能力弱 扶持加工企业 延长产业链"),
    ("改造老旧小区", "管网老化 楼道破损 纳入改造计划 加装电梯"),
    ("加强食品安全监管", "校园周边小摊贩 食品安全隐患 加强抽检 规范经营"),
    ("解决停车难", "停车位严重不足 乱停乱放 建设公共停车场 智能停车"),
    ("安装路灯", "夜间没有路灯 出行不安全 安装太阳能路灯 亮化工程"),
    ("加固防洪堤", "防洪堤年久失修 汛期险情多 加固堤防 防汛物资"),
    ("修缮农田水利", "山塘渠道淤塞 灌溉用水困难 清淤扩容 高标准农田"),
    ("改善网络信号", "手机信号差 宽带网速慢 建设通信基站 光纤入户"),
    ("改造集贸市场", "市场环境脏乱 摊位占道经营 提质改造 规范管理"),
    ("改造危桥", "桥梁老化 限载通行 危桥改造 重建新桥"),
    ("关爱留守儿童", "留守儿童多 缺少监护 建设儿童之家 心理辅导"),
    ("提高医保报销比例", "异地就医报销难 报销比例低 简化手续 慢性病门诊"),
    ("改造农村电网", "电压不稳 经常停电 升级变压器 农网改造"),
    ("铺设燃气管道", "没有通天然气 用气不便 铺设燃气管道 安全检查"),
    ("建设污水处理设施", "污水管网不全 处理厂负荷大 雨污分流 集镇污水"),
    ("推进农村改厕", "旱厕多 粪污处理难 改厕质量差 后续管护"),
    ("加强职业技能培训", "返乡青年就业难 技能培训少 订单式培训 创业扶持"),
    ("补充义务教育师资", "教师数量不足 结构性缺编 音体美教师 教师周转房"),
    ("增加公办幼儿园学位", "入园难 民办园收费高 新建公办幼儿园 学前教育"),
    ("建设全民健身设施", "健身场地少 器材损坏 建设篮球场 健身步道"),
    ("建设文化广场", "群众文化活动场地缺乏 建设文化广场 农家书屋 戏台"),
    ("加强消防安全", "消防通道堵塞 消防栓损坏 配备消防器材 微型消防站"),
    ("整治道路交通安全", "超速超载 货车多 设置减速带 加强巡逻"),
    ("改善渡口安全", "渡船老旧 无救生设备 渡改桥 渡口管理"),
    ("发展乡村旅游", "山水资源丰富 打造旅游线路 民宿 带动村民增收"),
    ("规范土地流转", "土地撂荒 流转合同不规范 引进种植大户 流转服务平台"),
    ("加强森林防火", "山林面积大 防火通道不足 护林员 野外用火"),
    ("整治噪声扰民", "广场舞音响大 工地夜间施工 噪声扰民 加强执法"),
    ("解决拖欠农民工工资", "工程款拖欠 农民工讨薪难 工资保证金 实名制管理"),
    ("加快棚户区改造", "房屋破旧 安置房建设慢 棚改进度 回迁安置"),
    ("保护古村落", "古民居损毁 缺少保护资金 传统村落 修缮保护"),
]
COMMON = ["建议有关部门高度重视，加大资金投入，尽快解决。", "此问题群众反映强烈，多年来一直没有得到解决。",
          "给群众的生产生活带来极大不便。", "希望县人民政府统筹安排，列入年度计划。",
          "请相关单位加强调研，制定切实可行的方案。", "这关系到群众切身利益，也关系到社会和谐稳定。"]


def _zipf(count: int, power: float = 0.9) -> list[float]:
    return [1 / (i + 1) ** power for i in range(count)]


class Texts:
    """Synthetic proposals: (title, content), deterministic for a seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.towns, self.matters = _zipf(len(TOWNS), 0.6), _zipf(len(MATTERS))

    def place(self) -> str:
        rng = self.rng
        town = rng.choices(TOWNS, self.towns)[0]
        kind = rng.random()
        if kind < 0.5:
            return town + rng.choice(VILLAGE_HEADS) + rng.choice(VILLAGE_TAILS)
        if kind < 0.75:
            return town + rng.choice(ROADS)
        return town + rng.choice(("中学", "中心小学", "卫生院", "敬老院", "农贸市场", "派出所"))

    def one(self) -> tuple[str, str]:
        rng = self.rng
        matter, words = rng.choices(MATTERS, self.matters)[0]
        words = words.split()
        place = self.place()
        title = f"关于{place}{matter}的建议"
        said = rng.sample(words, k=min(len(words), rng.randint(2, 4)))
        content = (f"{place}{said[0]}，{'，'.join(said[1:])}。{rng.choice(COMMON)}"
                   f"{rng.randint(2019, 2025)}年以来，{self.place()}也存在{rng.choice(words)}的问题。{rng.choice(COMMON)}")
        return title, content


@dataclass
class Outcome:
    backend: str
    n: int
    seed_seconds: float = 0.0
    index_rows: int = 0
    search_ms: list[float] = field(default_factory=list)
    lookup_ms: list[float] = field(default_factory=list)
    found: list[int] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    bare_submit_ms: list[float] = field(default_factory=list)
    pending_search_ms: list[float] = field(default_factory=list)  # similar() while the submitted texts wait
    indexed_texts: int = 0
    indexer_seconds: float = 0.0

    def as_dict(self) -> dict:
        med = statistics.median
        search, lookup = med(self.search_ms), med(self.lookup_ms)
        submit, bare = med(self.submit_ms), med(self.bare_submit_ms)
        return {"backend": self.backend, "n": self.n, "seed_seconds": round(self.seed_seconds, 1),
                "proposal_grams": self.index_rows, "queries": len(self.search_ms),
                "similar_median_ms": round(search, 2), "similar_p90_ms": round(_p90(self.search_ms), 2),
                "lookup_median_ms": round(lookup, 3), "similar_vs_lookup": round(search / lookup, 1),
                "median_results": med(self.found), "submits_each": len(self.submit_ms),
                "submit_median_ms": round(submit, 2), "submit_without_index_median_ms": round(bare, 2),
                "submit_ratio": round(submit / bare, 2),
                "similar_with_pending_median_ms": round(med(self.pending_search_ms), 2),
                "pending_texts": self.indexed_texts,
                "indexer_ms_per_text": round(1000 * self.indexer_seconds / max(1, self.indexed_texts), 2)}


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


# ------------------------------------------------------------------ seeding the index
def _batches(n: int, deputy_id: int, size: int = 5000):
    """Rows of proposals and their grams, `size` proposals at a time, and the running document frequencies."""
    texts, dfs = Texts(seed=11), Counter()
    at = dt.datetime(2025, 1, 10, 2)
    for start in range(0, n, size):
        rows: dict[str, list[dict]] = {"proposals": [], "proposal_grams": []}
        for k in range(start, min(start + size, n)):
            pid, year = k + 2, 2024 + k % 2
            title, content = texts.one()
            digest = text_index.text_digest(SimpleNamespace(title=title, content=content))
            rows["proposals"].append({
                "id": pid, "number": f"{year}-{k + 1:06d}", "year": year, "title": title, "content": content,
                "category": "其他", "lead_deputy_id": deputy_id, "state": "submitted", "version": 1,
                "submitted_at": at, "created_at": at, "updated_at": at, "event_count": 0, "indexed_digest": digest})
            found = grams(title, content)
            dfs.update(found)
            dfs[DOCUMENTS] += 1
            rows["proposal_grams"].extend({"gram": g, "proposal_id": pid} for g in sorted(found))
        yield rows, dfs


def _roster() -> dict[str, list[dict]]:
    return {"deputies": [{"id": 1, "number": DEPUTY.id, "name": DEPUTY.name, "delegation": "基准", "active": True}]}


ORDER = ["deputies", "proposals", "proposal_grams", "gram_stats"]
CLEAR_COUNT = "DELETE FROM gram_stats WHERE gram = ''"  # the migrated database's count of indexed proposals, 0


def _seed_sqlite(path: str, n: int) -> int:
    conn = sqlite3.connect(path)
    rows_written = 0
    try:
        conn.execute("PRAGMA synchronous=OFF")
        with conn:
            conn.execute(CLEAR_COUNT)
            for tables, _dfs in _chain([(_roster(), None)], _batches(n, 1)):
                for table in ORDER:
                    if tables.get(table):
                        names, values = _filled(table, tables[table])
                        marks = ", ".join("?" for _ in names)
                        conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", values)
                rows_written += len(tables.get("proposal_grams", []))
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return rows_written


def _chain(first, rest):
    yield from first
    last = None
    for tables, dfs in rest:
        last = dfs
        yield tables, dfs
    if last is not None:
        yield {"gram_stats": [{"gram": g, "df": c} for g, c in sorted(last.items())]}, last


async def _seed_pg(url: str, n: int) -> int:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    rows_written = 0
    try:
        async with conn.transaction():
            await conn.execute(CLEAR_COUNT)
            for tables, _dfs in _chain([(_roster(), None)], _batches(n, 1)):
                for table in ORDER:
                    if tables.get(table):
                        names, values = _filled(table, tables[table])
                        await conn.copy_records_to_table(table, records=values, columns=names)
                rows_written += len(tables.get("proposal_grams", []))
        for table in ("deputies", "proposals"):  # the rows came with their ids: move the sequences past them
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"GREATEST((SELECT max(id) FROM {table}), 1))")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return rows_written


# ------------------------------------------------------------------ measuring
async def measure_search(db: Database, n: int, queries: int, outcome: Outcome) -> None:
    """Interleaved: one similar() for a new draft's text, one SELECT by primary key, each its own session."""
    drafts, rng, clock = Texts(seed=97), random.Random(5), time.perf_counter
    for _ in range(queries):
        title, content = drafts.one()
        start = clock()
        async with db.read() as session:
            found = await similar(session, content, title=title)
        outcome.search_ms.append(1000 * (clock() - start))
        outcome.found.append(len(found))
        wanted = rng.randint(2, n + 1)
        start = clock()
        async with db.read() as session:
            (await session.execute(select(Proposal.id, Proposal.number, Proposal.title)
                                   .where(Proposal.id == wanted))).one()
        outcome.lookup_ms.append(1000 * (clock() - start))


def _nothing_to_index(action, proposal):
    return None


@contextmanager
def without_index():
    """The engine's index upkeep (workflow/engine/reply_index.py mark, then write) turned off, for the
    benchmark's bare submits only: nothing is marked, so nothing is written."""
    kept = reply_index.mark
    reply_index.mark = _nothing_to_index
    try:
        yield
    finally:
        reply_index.mark = kept


async def measure_submits(engine: Engine, submits: int, outcome: Outcome) -> None:
    """2×S drafts made untimed, then submitted alternately with and without the index upkeep."""
    texts, refs = Texts(seed=131), []
    for _ in range(2 * submits):
        title, content = texts.one()
        result = await engine.create_proposal(DEPUTY, DEPUTY.id, title, content, "其他", [], submit=False)
        refs.append(result.proposal.ref)
    clock = time.perf_counter
    for i, ref in enumerate(refs):
        bare = i % 2 == 1
        start = clock()
        if bare:
            with without_index():
                result = await engine.perform(ref, "submit", DEPUTY, {})
        else:
            result = await engine.perform(ref, "submit", DEPUTY, {})
        took = 1000 * (clock() - start)
        (outcome.bare_submit_ms if bare else outcome.submit_ms).append(took)
        if result.to_state != "submitted":
            raise RuntimeError(f"{ref} ended in {result.to_state}, not submitted")


async def measure_pending(db: Database, outcome: Outcome) -> None:
    """similar() with the 2×S submitted texts still waiting for the indexer (read directly), then the
    indexer's own cost per text (workflow/usecases/text_index.py, its batches)."""
    drafts, clock = Texts(seed=53), time.perf_counter
    for _ in range(20):
        title, content = drafts.one()
        start = clock()
        async with db.read() as session:
            await similar(session, content, title=title)
        outcome.pending_search_ms.append(1000 * (clock() - start))
    start = clock()
    outcome.indexed_texts = await index_texts(db)
    outcome.indexer_seconds = clock() - start


async def bench_backend(backend: str, n: int, queries: int, submits: int, pg_url: str) -> Outcome:
    outcome = Outcome(backend, n)
    async with FreshDatabase(backend, pg_url) as url:
        start = time.perf_counter()
        if backend == "sqlite":
            outcome.index_rows = await asyncio.to_thread(_seed_sqlite, url.split(":///", 1)[1], n)
        else:
            outcome.index_rows = await _seed_pg(url, n)
        outcome.seed_seconds = time.perf_counter() - start
        print(f"[bench] {backend}: seeded {n} proposals, {outcome.index_rows} index rows "
              f"in {outcome.seed_seconds:.0f} s", flush=True)
        base = load_settings(environ={})
        db = Database(url)
        try:
            await measure_search(db, n, queries, outcome)
            await measure_submits(Engine(db, replace(base, database=replace(base.database, url=url))), submits, outcome)
            await measure_pending(db, outcome)
        finally:
            await db.dispose()
    return outcome


# ------------------------------------------------------------------ report
def table(outcomes: list[Outcome]) -> str:
    head = (f"{'backend':<10} {'N':>7} {'similar ms':>10} {'p90':>7} {'lookup ms':>9} {'×':>6} "
            f"{'submit ms':>9} {'bare ms':>8} {'ratio':>6}")
    lines = [head, "-" * len(head)]
    for o in outcomes:
        d = o.as_dict()
        lines.append(f"{o.backend:<10} {o.n:>7} {d['similar_median_ms']:>10.1f} {d['similar_p90_ms']:>7.1f} "
                     f"{d['lookup_median_ms']:>9.2f} {d['similar_vs_lookup']:>6.0f} {d['submit_median_ms']:>9.1f} "
                     f"{d['submit_without_index_median_ms']:>8.1f} {d['submit_ratio']:>6.2f}")
        lines.append(f"{'':<10} similar() with {d['pending_texts']} texts waiting for the indexer: "
                     f"{d['similar_with_pending_median_ms']:.1f} ms; the indexer: {d['indexer_ms_per_text']:.2f} ms a text")
    lines.append("similar/lookup: medians of similar() for a new draft and of a SELECT by primary key; "
                 "submit ratio: median submit with the index upkeep ÷ without (the texts are indexed after, by the indexer)")
    return "\n".join(lines)


def save(outcomes: list[Outcome], args) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"similar-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    document = {"benchmark": "similar", "when": dt.datetime.now().isoformat(timespec="seconds"), "n": args.n,
                "queries": args.queries, "submits": args.submits, "python": platform.python_version(),
                "sqlalchemy": sqlalchemy.__version__, "cpus": os.cpu_count(),
                "results": [o.as_dict() for o in outcomes]}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.similar", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--n", type=int, default=100_000, help="submitted proposals in the index")
    parser.add_argument("--queries", type=int, default=100, help="similar() calls (and as many lookups)")
    parser.add_argument("--submits", type=int, default=100, help="submits with the index upkeep (and as many without)")
    parser.add_argument("--pg-url", default=_pg_default(), help="PostgreSQL server (a fresh database is made on it)")
    args = parser.parse_args(argv)
    if min(args.n, args.queries, args.submits) < 1:
        parser.error("--n, --queries and --submits must be at least 1")
    outcomes = []
    for backend in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        outcomes.append(asyncio.run(bench_backend(backend, args.n, args.queries, args.submits, args.pg_url)))
    print(table(outcomes))
    print(f"[bench] results written to {save(outcomes, args)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
