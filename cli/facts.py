"""`facts check` and `facts rebuild`: the dashboard's facts rows (storage/models/share_facts.py) against a
full recomputation from the records."""
from __future__ import annotations

import asyncio
import sys

from cli import _with_db
from workflow.domain import clock as beijing
from workflow.settings import Settings

SHOWN = 20  # proposal ids printed at most per kind of finding


def cmd_facts(settings: Settings, args) -> int:
    from workflow.usecases.share_facts import check_facts, rebuild_and_check

    async def job(db):
        if args.action == "rebuild":
            return await rebuild_and_check(db, beijing.today())
        return 0, await check_facts(db, beijing.today())

    written, check = asyncio.run(_with_db(settings, job))
    if written:
        print(f"补写了 {written} 件建议的统计数据。 / rows written for {written} proposals.")
    print(f"共 {check.shares} 个主办交办；{len(check.stale)} 件建议的统计数据不是最新（统计时按办理记录现算）"
          f"{_ids(check.stale)}。 / {check.shares} lead shares, {len(check.stale)} proposals stale.")
    if not check.ok:
        print(f"统计数据与办理记录不符：{len(check.wrong)} 件建议{_ids(check.wrong)}。请运行 jianyi facts rebuild"
              " 并把这段输出交给维护人员。 / rows DIFFER from the records.", file=sys.stderr)
        return 1
    print("统计数据与办理记录一致。 / the rows agree with the records.")
    return 0


def _ids(ids: list[int]) -> str:
    if not ids:
        return ""
    shown = "、".join(str(i) for i in ids[:SHOWN])
    return f"（编号 {shown}{' 等' if len(ids) > SHOWN else ''}）"
