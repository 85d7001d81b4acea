"""GET /console/sessions/<id>/report.docx: the session's 办理情况报告 draft, for staff and supervisors.

The figures are the engine clock's today (the same day the dashboard counts); the document is built in a
worker thread, a few hundred kilobytes at most, and sent whole."""
from __future__ import annotations

import asyncio

from aiohttp import web

from web.dashboard.xlsx import content_disposition
from web.forms import path_id
from web.keys import DB, ENGINE, SETTINGS
from web.reports.session_docx import document, filename
from web.session import refuse, require
from workflow.errors import NotFound
from workflow.readmodels import session_report

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
READERS = ("admin", "staff", "supervisor")


@require(*READERS)
async def session_report_docx(request: web.Request) -> web.StreamResponse:
    """GET /console/sessions/<id>/report.docx"""
    try:
        session_id = path_id(request, "id", "找不到该届次会议。")
        report = await session_report.build(request.app[DB], request.app[SETTINGS], request.app[ENGINE].clock(),
                                            session_id)
    except NotFound as exc:
        return refuse(request, 404, exc.message, title="找不到")
    data = await asyncio.to_thread(document, report)
    return web.Response(body=data, headers={
        "Content-Type": DOCX, "Content-Disposition": content_disposition(filename(report)),
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/sessions/{id}/report.docx", session_report_docx)
