"""Large exports as background jobs, for the web: the page with the progress bar, its JSON status, the
download, and the job's own process (workflow/usecases/export_jobs.py queues, claims and runs them).

The job's process reads the rows from the database and hands them, chunk by chunk, through a pipe to a
writer process (web/dashboard/xlsx.py: write_from_pipe): reading and writing run on two cores at once.
The file is written as <name>.part.xlsx and renamed when complete, so a download never sees half a file.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import secrets
from typing import Any, Optional
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from web.dashboard.scope import scope_params
from web.dashboard.xlsx import download_headers, write_from_pipe
from web.forms import whole_number
from web.keys import DB, SETTINGS
from web.session import refuse, render, require, user_of
from workflow.readmodels.stats import Scope
from workflow.settings import Settings
from workflow.usecases import export_jobs as usecase

PROGRESS_ROWS = 2000  # the job's progress and heartbeat are written every this many rows
REFRESH_SECONDS = 2  # how often the progress page reloads itself
WHOLE_YEAR_ROLES = ("admin", "staff", "supervisor")  # may download any export job; others only their own
STATE_LABELS = {"queued": "排队中", "running": "正在生成", "done": "已完成", "failed": "失败"}
RUNNER = web.AppKey("export_runner", usecase.ExportRunner)
_START = web.AppKey("export_runner_start", object)
NOT_FOUND = "找不到这个导出任务：链接可能有误，或任务已超过一个月被清理。请回到督办统计重新导出。"
_SCOPE_DATES = ("since", "until")


class ExportFailed(Exception):
    """The workbook could not be written (the message says why, for the job's page)."""


class Abandoned(Exception):
    """The job is no longer this worker's (it was queued again after a stall): stop without a word."""


# ------------------------------------------------------------------ scopes as job parameters
def parameters_of(scope: Scope) -> dict:
    """A scope as JSON-safe job parameters (the export link's query)."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in scope_params(scope).items()}


def scope_of_job(parameters: dict) -> Scope:
    found: dict[str, Any] = {k: v for k, v in parameters.items() if k in Scope.__dataclass_fields__}
    for name in _SCOPE_DATES:
        if found.get(name):
            found[name] = dt.date.fromisoformat(found[name])
    if "key" in found and found["key"] is not None:
        found["key"] = bool(found["key"])
    return Scope(**found)


# ------------------------------------------------------------------ the web side
async def start(request: web.Request, kind: str, scope: Scope, file_name: str, rows_total: int) -> web.Response:
    """Queue the export (or find the one this user already has under way) and show its page."""
    job = await usecase.queue(request.app[DB], kind, parameters_of(scope), user_of(request).id, file_name,
                              rows_total)
    runner = request.app.get(RUNNER)
    if runner is not None:
        runner.wake.set()
        start_runner = request.app.get(_START)
        if start_runner is not None:
            start_runner()
    raise web.HTTPSeeOther(f"/dashboard/export/jobs/{job.id}")


async def _visible_job(request: web.Request) -> usecase.Job | web.Response:
    """The job the URL names, if this user may see it; else the Chinese page that says why not."""
    job_id = whole_number(request.match_info.get("job"), 1, 2**31 - 1)
    job = await usecase.job_by_id(request.app[DB], job_id) if job_id is not None else None
    if job is None:
        return refuse(request, 404, NOT_FOUND, title="找不到导出任务")
    user = user_of(request)
    if user.id != job.requested_by and user.role not in WHOLE_YEAR_ROLES:
        return refuse(request, 403, "这个导出文件是其他用户申请的，您的账号不能下载。请自己从督办统计导出。",
                      title="没有权限")
    return job


def _links(job: usecase.Job, again_paths: dict[str, str]) -> dict:
    return {"download_url": f"/dashboard/export/jobs/{job.id}/file" if job.state == "done" and job.file_path else "",
            "again_url": again_paths.get(job.kind, "/dashboard") + "?" + urlencode(job.parameters)}


def page_handlers(again_paths: dict[str, str]):
    """The job's page, its status as JSON and its file; `again_paths` maps a kind to its export link."""

    @require()
    async def job_page(request: web.Request) -> web.Response:
        """GET /dashboard/export/jobs/{job}: the progress bar (reloading itself), then the download link."""
        job = await _visible_job(request)
        if isinstance(job, web.Response):
            return job
        return render(request, "dashboard/export_job.html", {
            "job": job, "state_label": STATE_LABELS.get(job.state, job.state), "refresh": REFRESH_SECONDS,
            "finished": job.state in usecase.FINISHED, **_links(job, again_paths)})

    @require()
    async def job_status(request: web.Request) -> web.Response:
        """GET /dashboard/export/jobs/{job}/status: the same as JSON, for a page or a program that polls."""
        job = await _visible_job(request)
        if isinstance(job, web.Response):
            return job
        return web.json_response({
            "id": job.id, "state": job.state, "state_label": STATE_LABELS.get(job.state, job.state),
            "rows_done": job.rows_done, "rows_total": job.rows_total, "percent": job.percent,
            "error": job.error, **_links(job, again_paths)}, headers={"Cache-Control": "no-store"})

    @require()
    async def job_file(request: web.Request) -> web.StreamResponse:
        """GET /dashboard/export/jobs/{job}/file: the finished workbook."""
        job = await _visible_job(request)
        if isinstance(job, web.Response):
            return job
        path = usecase.file_of(request.app[SETTINGS], job)
        if path is None:
            message = ("文件已超过一天被清理，请重新导出。" if job.state == "done" else "文件还没有生成好，请稍候再下载。")
            return refuse(request, 404, message, title="文件不可下载")
        return web.FileResponse(path, headers=download_headers(job.file_name))

    return job_page, job_status, job_file


def setup_routes(app: web.Application, again_paths: dict[str, str]) -> None:
    job_page, job_status, job_file = page_handlers(again_paths)
    app.router.add_get("/dashboard/export/jobs/{job}", job_page)
    app.router.add_get("/dashboard/export/jobs/{job}/status", job_status)
    app.router.add_get("/dashboard/export/jobs/{job}/file", job_file)


def runner_context(target: usecase.Target):
    """The app's cleanup context for an export runner beside the web server. It starts with the first
    job queued through this app (then keeps looking for queued and stale jobs until the app stops), so a
    web process nobody exports from, or a test's app, never polls; `serve --role worker` runs its own
    from the start (cli/serve.py)."""

    async def run_exports(app: web.Application):
        runner = usecase.ExportRunner(app[DB], app[SETTINGS], target)
        app[RUNNER] = runner
        running: list[asyncio.Task] = []

        def start() -> None:
            if not running:
                running.append(asyncio.get_running_loop().create_task(runner.run()))

        app[_START] = start
        yield
        runner.stop()
        if running:
            await running[0]

    return run_exports


# ------------------------------------------------------------------ the job's own process
def run_job(settings: Settings, job_id: int, worker: str, exports: dict) -> None:
    """The body of a job's process: write the export `exports[job.kind]` and record how it ended."""
    asyncio.run(_run_job(settings, job_id, worker, exports))


async def _run_job(settings: Settings, job_id: int, worker: str, exports: dict) -> None:
    db = Database(settings.database_url())
    try:
        job = await usecase.job_by_id(db, job_id)
        if job is None or job.state != "running" or job.worker != worker or job.kind not in exports:
            return
        try:
            name, rows = await _write(db, settings, job, exports[job.kind], worker)
        except Abandoned:
            return
        except (ExportFailed, OSError) as exc:
            await usecase.fail(db, job.id, worker, f"导出文件未能生成：{exc}")
            return
        await usecase.finish(db, job.id, worker, name, rows)
    except SQLAlchemyError:  # the database is gone: the runner sees the exit and queues the job again
        raise SystemExit(3) from None
    finally:
        await db.dispose()


async def _write(db: Database, settings: Settings, job: usecase.Job, export, worker: str) -> tuple[str, int]:
    folder = usecase.exports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{job.id}-{secrets.token_hex(6)}"
    part, final = folder / f"{stem}.part.xlsx", folder / f"{stem}.xlsx"
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    writer = context.Process(target=write_from_pipe, args=(theirs, str(part), export.sheets), daemon=True,
                             name=f"jianyi-export-writer-{job.id}")
    writer.start()
    theirs.close()
    try:
        rows = await _send_rows(db, job, export, worker, ours)
        outcome, detail = await asyncio.to_thread(_result, ours)
    finally:
        ours.close()
        await asyncio.to_thread(writer.join, 30)
        if writer.is_alive():
            writer.kill()
    if outcome != "done":
        part.unlink(missing_ok=True)
        raise ExportFailed(detail)
    os.replace(part, final)
    return final.name, rows


async def _send_rows(db: Database, job: usecase.Job, export, worker: str, pipe) -> int:
    rows = reported = 0
    async for chunk in export.rows(db, scope_of_job(job.parameters)):
        await asyncio.to_thread(pipe.send, chunk)  # waits while the writer is still on the previous chunk
        rows += len(chunk[0])
        if rows - reported >= PROGRESS_ROWS:
            if not await usecase.report_progress(db, job.id, worker, rows):
                raise Abandoned()
            reported = rows
    pipe.send(None)
    return rows


def _result(pipe) -> tuple[str, Optional[str]]:
    try:
        return pipe.recv()
    except EOFError:
        return "failed", "写入进程意外退出"


def run_from_start(app: web.Application) -> None:
    """`serve`: the app's export runner runs from the start (jobs queued before a restart, or left by a
    process that died, are taken up without waiting for a new export)."""

    async def started(app: web.Application) -> None:
        app[_START]()

    app.on_startup.append(started)
