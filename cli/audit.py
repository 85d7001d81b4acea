"""`audit verify` and `audit receipt`."""
from __future__ import annotations

import asyncio
import sys

from cli import _with_db
from workflow.settings import Settings


def cmd_audit(settings: Settings, args) -> int:
    """`audit verify` (and an anchor when it passes) or `audit receipt` (verify, anchor, print)."""
    from workflow.domain.anchors import receipt_text
    from workflow.usecases.anchoring import AnchorRefused, check_receipt, write_anchor
    from workflow.usecases.audit import verify_all

    folder = settings.audit_anchor_dir()

    async def job(db):
        report = await verify_all(db, folder)
        kept = check_receipt(folder, db.chain_key, args.receipt) if args.receipt else []
        anchor = None
        if report.ok and not kept:
            try:
                anchor = await write_anchor(db, folder, force=args.action == "receipt")
            except AnchorRefused as refused:  # the chains moved under a concurrent writer since verify read them
                kept += refused.problems
        return report, kept, anchor

    report, kept, anchor = asyncio.run(_with_db(settings, job))
    counted = f"{report.proposals} 件建议、{report.events} 个事件、{report.system_events} 个系统事件"
    if report.problems or kept:
        for problem in report.problems:
            print(problem)
        for problem in kept:
            print(f"回执：{problem}")
        print(f"审计失败：{len(report.problems) + len(kept)} 处问题（共检查 {counted}），未写入新回执。"
              " / audit FAILED", file=sys.stderr)
        return 1
    compared = f"已与{report.anchor.label}核对" if report.anchor else "尚无回执可核对（第一次核对）"
    print(f"审计通过：{report.proposals} 件建议的事件链完整，数据表与事件一致；{compared}。"
          f"（{counted}） / audit OK")
    if args.receipt:
        print("保存的回执与回执记录一致。 / the kept receipt is genuine and on record.")
    if args.action == "receipt":
        print(receipt_text(anchor))
    elif anchor is not None and anchor.number != (report.anchor.number if report.anchor else None):
        print(f"已写入{anchor.label}。 / anchor {anchor.number} written.")
    return 0
