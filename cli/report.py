"""`report session <id> [--out FILE]`: write the draft of a session's 办理情况报告 (.docx) and print its path."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from cli import _with_db
from web.reports.session_docx import document, filename
from workflow.domain import clock as beijing
from workflow.errors import NotFound
from workflow.readmodels import session_report
from workflow.settings import Settings

WHERE_IDS_ARE = "届次会议的编号见控制台“届次会议”页（/console/sessions）或 GET /api/v1/sessions。"


def cmd_report(settings: Settings, args) -> int:
    """The figures are today's (the Beijing date); the file goes to --out or <data_dir>/reports/."""
    raw = args.id
    if not (raw.isascii() and raw.isdigit() and int(raw) > 0):
        print(f"错误：找不到编号为 {raw[:20]} 的届次会议。{WHERE_IDS_ARE}", file=sys.stderr)
        return 1

    async def job(db):
        return await session_report.build(db, settings, beijing.today(), int(raw))

    try:
        report = asyncio.run(_with_db(settings, job))
    except NotFound as exc:
        print(f"错误：{exc.message}{WHERE_IDS_ARE}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else settings.data_path("reports", filename(report))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(document(report))
    print(out)
    return 0
