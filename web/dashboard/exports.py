"""The dashboard's .xlsx exports: the year's ledger (台账), the tally sheet, the public list of replies.

Rows come from the database in chunks, so memory does not grow with the year's size. An export of up to
SMALL_EXPORT_ROWS rows is answered at once (web/dashboard/xlsx.py writes it in a worker thread); a
larger one (a province's ledger: 100k proposals) runs as a background job (web/dashboard/jobs.py) and the
link answers with a page that shows its progress, then the download. The tally sheet (one row per unit)
is always answered at once; its figures come from workflow.readmodels.dashboard.build, the function the
dashboard page shows, so the two agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable

from aiohttp import web

from web.dashboard import jobs
from web.dashboard.scope import scope_label, scope_of
from web.dashboard.xlsx import DATE_FORMAT, Sheet, stream_workbook
from web.keys import DB, ENGINE, SETTINGS
from web.session import require
from workflow.domain.tallies import DEFINITIONS, NO_FEEDBACK_LABELS, RATE_LABELS, RATES, Stats
from workflow.readmodels import dashboard as figures
from workflow.readmodels.ledger import ASSIGNMENT_COLUMNS, PROPOSAL_COLUMNS, ledger_chunks, local, reply_category_label
from workflow.readmodels.replies import public_replies, stream_public_replies
from workflow.readmodels.stats import Scope
from workflow.settings import Settings
from workflow.usecases import export_jobs

# Up to this many rows (the first sheet's) an export is written while the request waits (well under a
# second or two); beyond it, a background job. Not a rule of the committee's: a matter of response time.
SMALL_EXPORT_ROWS = 5000
PERCENT = "0.0%"
# (header, Stats field, width); rates are fractions shown as percentages, named as on the dashboard
STATS_COLUMNS = [
    ("交办件数", "assigned", 9), ("已答复", "replied", 8), ("按期答复", "replied_on_time", 9),
    (RATE_LABELS["reply_rate"], "reply_rate", 8), (RATE_LABELS["on_time_reply_rate"], "on_time_reply_rate", 10),
    ("已评价答复", "reply_evaluated", 10), ("答复满意（含基本满意）", "reply_satisfied", 12),
    (RATE_LABELS["reply_satisfaction_rate"], "reply_satisfaction_rate", 14), ("答复满意（仅满意）", "satisfied_only", 10),
    (RATE_LABELS["satisfied_only_rate"], "satisfied_only_rate", 8), ("首次答复已评价", "first_reply_evaluated", 12),
    ("首次答复满意", "first_reply_satisfied", 12),
    (RATE_LABELS["first_reply_satisfaction_rate"], "first_reply_satisfaction_rate", 12),
    (NO_FEEDBACK_LABELS["reply_no_feedback"], "reply_no_feedback", 10),
    ("已评价落实", "implementation_evaluated", 10), ("落实满意", "implementation_satisfied", 9),
    (RATE_LABELS["implementation_satisfaction_rate"], "implementation_satisfaction_rate", 10),
    (NO_FEEDBACK_LABELS["implementation_no_feedback"], "implementation_no_feedback", 10),
    ("两项均已评价", "dual_evaluated", 12), ("双满意", "dual_satisfied", 8),
    (RATE_LABELS["dual_satisfaction_rate"], "dual_satisfaction_rate", 9),
    ("已解决或正在解决（A、B 类）", "solved", 14), (RATE_LABELS["solved_rate"], "solved_rate", 8),
    ("主办交办", "lead_assignments", 9), ("已沟通", "contacted", 8), (RATE_LABELS["contact_rate"], "contact_rate", 8),
    ("已见面", "face_to_face", 8), (RATE_LABELS["face_to_face_rate"], "face_to_face_rate", 8),
    ("逾期未答复", "overdue", 10),
]
RATE_FIELDS = set(RATES)


def _stats_sheet(title: str, leading: list[tuple[str, int]]) -> Sheet:
    columns = leading + [(header, width) for header, _, width in STATS_COLUMNS]
    formats = {len(leading) + i: PERCENT for i, (_, name, _) in enumerate(STATS_COLUMNS) if name in RATE_FIELDS}
    notes = {len(leading) + i: DEFINITIONS[name] for i, (_, name, _) in enumerate(STATS_COLUMNS) if name in DEFINITIONS}
    return Sheet(title, columns, formats, notes)


def stats_cells(stats: Stats) -> tuple:
    return tuple(getattr(stats, name) for _, name, _ in STATS_COLUMNS)


def definition_rows() -> list[tuple[str, str]]:
    """(the figure's name, its definition) for each figure of the tally sheet that has one."""
    return [(header, DEFINITIONS[name]) for header, name, _ in STATS_COLUMNS if name in DEFINITIONS]


def _scope(request: web.Request) -> Scope:
    scope = scope_of(request)
    return Scope(year=scope.year, since=scope.since, until=scope.until, session=scope.session, kind=scope.kind,
                 origin=scope.origin)


def _period(scope: Scope) -> str:
    if scope.since or scope.until:
        return f"（提交于 {scope.since or '…'} 至 {scope.until or '…'}）"
    return ""


@require()
async def tally_sheet(request: web.Request) -> web.StreamResponse:
    """GET /dashboard/export/tally.xlsx: per unit (ranked as on the dashboard), overall, per category, key."""
    scope = _scope(request)
    label = await scope_label(request.app[DB], scope)
    board = await figures.build(request.app[DB], request.app[SETTINGS], request.app[ENGINE].clock(), scope,
                                request.query.get("rank") if request.query.get("rank") in figures.RANKINGS
                                else "dual_satisfaction_rate")
    specs = [
        _stats_sheet("承办单位", [("排名", 6), ("单位代码", 10), ("承办单位", 24)]),
        _stats_sheet("总体", [("范围", 24)]),
        _stats_sheet("类别", [("类别", 10)]),
        _stats_sheet("重点督办", [("督办", 12)]),
        Sheet("口径说明", [("指标", 22), ("口径", 100)]),
    ]
    minimum = board.min_proposals

    async def rows() -> AsyncIterator:
        yield [
            [(line.rank if line.rank is not None else f"不足{minimum}件不排名", line.code, line.name)
             + stats_cells(line.stats) for line in board.units],
            [(f"{label}全部建议{_period(scope)}",) + stats_cells(board.overall)],
            [(name,) + stats_cells(stats) for name, stats in board.categories],
            [("重点督办",) + stats_cells(board.key), ("其他",) + stats_cells(board.other)],
            definition_rows(),
        ]

    return await stream_workbook(request, f"{label}建议办理统计.xlsx", specs, rows())


# the assignment sheet's days (交办日期, 签收期限, 答复期限) show without a time of day
LEDGER_SHEETS = [Sheet("建议台账", PROPOSAL_COLUMNS),
                 Sheet("交办明细", ASSIGNMENT_COLUMNS, formats=dict.fromkeys((6, 7, 9), DATE_FORMAT))]
REPLY_COLUMNS = [("编号", 11), ("标题", 40), ("领衔代表", 10), ("承办单位", 24), ("答复类别", 22), ("答复时间", 18),
                 ("签发人", 10), ("答复内容", 80)]
REPLY_SHEETS = [Sheet("公开答复", REPLY_COLUMNS)]


async def ledger_rows(db, scope: Scope) -> AsyncIterator:
    async for proposals, assignments in ledger_chunks(db, clauses=scope.proposal_clauses()):
        yield [proposals, assignments]


async def public_reply_rows(db, scope: Scope) -> AsyncIterator:
    async for chunk in stream_public_replies(db, scope.year):
        yield [[(r.number, r.title, r.deputy, r.unit, reply_category_label(r.category), local(r.at), r.signer, r.text)
                for r in chunk]]


async def _ledger_size(db, scope: Scope) -> int:
    return await export_jobs.count_ledger_rows(db, scope.proposal_clauses())


async def _replies_size(db, scope: Scope) -> int:
    return (await public_replies(db, scope.year, page=1, page_size=1))[0]


@dataclass(frozen=True)
class Export:
    """An export that may run as a job: its sheets, its rows (chunks, the first sheet's rows counted as
    progress) and how many rows it will have."""

    sheets: list[Sheet]
    rows: Callable[[Any, Scope], AsyncIterator]
    size: Callable[[Any, Scope], Awaitable[int]]
    path: str


EXPORTS = {
    "ledger": Export(LEDGER_SHEETS, ledger_rows, _ledger_size, "/dashboard/export/ledger.xlsx"),
    "replies": Export(REPLY_SHEETS, public_reply_rows, _replies_size, "/dashboard/export/replies.xlsx"),
}


async def _answer(request: web.Request, kind: str, scope: Scope, file_name: str) -> web.StreamResponse:
    """A small export at once; a large one queued as a job, answered with its progress page."""
    export, db = EXPORTS[kind], request.app[DB]
    size = await export.size(db, scope)
    if size <= SMALL_EXPORT_ROWS:
        return await stream_workbook(request, file_name, export.sheets, export.rows(db, scope))
    return await jobs.start(request, kind, scope, file_name, size)


@require()
async def ledger(request: web.Request) -> web.StreamResponse:
    """GET /dashboard/export/ledger.xlsx: one row per proposal, and one per assignment."""
    scope = _scope(request)
    label = await scope_label(request.app[DB], scope)
    return await _answer(request, "ledger", scope, f"{label}代表建议台账.xlsx")


@require()
async def reply_list(request: web.Request) -> web.StreamResponse:
    """GET /dashboard/export/replies.xlsx: the published replies of the year (what /replies shows)."""
    scope = _scope(request)
    return await _answer(request, "replies", scope, f"{scope.year}年建议答复公开清单.xlsx")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard/export/tally.xlsx", tally_sheet)
    app.router.add_get("/dashboard/export/ledger.xlsx", ledger)
    app.router.add_get("/dashboard/export/replies.xlsx", reply_list)
    jobs.setup_routes(app, {kind: export.path for kind, export in EXPORTS.items()})
    app.cleanup_ctx.append(jobs.runner_context(run_export_job))


def run_export_job(settings: Settings, job_id: int, worker: str) -> None:
    """The process of one export job (started by workflow.usecases.export_jobs.ExportRunner)."""
    jobs.run_job(settings, job_id, worker, EXPORTS)


def export_runner(db, settings: Settings) -> export_jobs.ExportRunner:
    """The runner of export jobs for `serve --role worker` (the web app starts its own)."""
    return export_jobs.ExportRunner(db, settings, run_export_job)
