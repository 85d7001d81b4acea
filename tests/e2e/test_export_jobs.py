"""Large exports run as background jobs, through HTTP on the hand-computed year of tests/support/dashboard.py
(the threshold lowered so that its 11 proposals count as large): the link answers at once with the
progress page, a runner's own process writes the file, which downloads with the same rows as the
streamed export; only who asked (or staff) may download; a job left running by a dead worker is run again;
two runners never take the same job; finished files go after a day."""
from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from storage.models import ExportJob, utcnow
from tests.support.api import CHINESE
from tests.support.console import PASSWORD, sign_out_locally, signed_in
from web.dashboard import exports
from workflow.usecases import export_jobs
from workflow.usecases.accounts import add_user

LEDGER = "/dashboard/export/ledger.xlsx?year=2025"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def browser(client, db):
    await add_user(db, "wang2", "staff", PASSWORD, display_name="王干事")
    await signed_in(client, "wang2")
    return client


@pytest.fixture
def large(monkeypatch):
    """Every export of more than 3 rows is large."""
    monkeypatch.setattr(exports, "SMALL_EXPORT_ROWS", 3)


def rows_of(book) -> dict[str, list[tuple]]:
    return {name: list(book[name].iter_rows(min_row=2, values_only=True)) for name in book.sheetnames}


async def streamed(client, path: str):
    response = await client.get(path)
    assert response.status == 200 and response.content_type == XLSX, await response.text()
    return load_workbook(io.BytesIO(await response.read()))


async def queued(client, path: str) -> tuple[int, str, float]:
    """(job id, the page's text, seconds the link took to answer)."""
    start = time.perf_counter()
    answer = await client.get(path, allow_redirects=False)
    took = time.perf_counter() - start
    assert answer.status == 303, await answer.text()
    job_id = int(re.fullmatch(r"/dashboard/export/jobs/(\d+)", answer.headers["Location"]).group(1))
    page = await client.get(answer.headers["Location"])
    assert page.status == 200
    return job_id, await page.text(), took


async def finished(client, job_id: int, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = await (await client.get(f"/dashboard/export/jobs/{job_id}/status")).json()
        if status["state"] in ("done", "failed"):
            return status
        assert time.monotonic() < deadline, status
        await asyncio.sleep(0.2)


async def test_a_large_export_answers_at_once_with_its_progress_then_downloads_the_same_rows(year, browser, large):
    job_id, page, took = await queued(browser, LEDGER)
    assert took < 2, took
    assert "2025年代表建议台账.xlsx" in page and 'role="progressbar"' in page and 'http-equiv="refresh"' in page
    assert "排队中" in page or "正在生成" in page
    status = await finished(browser, job_id)
    assert status["state"] == "done", status
    assert status["percent"] == 100 and status["rows_done"] == status["rows_total"] == 11
    done_page = await (await browser.get(f"/dashboard/export/jobs/{job_id}")).text()
    assert status["download_url"] in done_page and 'http-equiv="refresh"' not in done_page

    download = await browser.get(status["download_url"])
    assert download.status == 200 and download.content_type == XLSX
    assert "attachment" in download.headers["Content-Disposition"]
    from_job = load_workbook(io.BytesIO(await download.read()))
    exports.SMALL_EXPORT_ROWS = 5000  # the same export answered at once, as a small one is
    assert rows_of(from_job) == rows_of(await streamed(browser, LEDGER))
    assert from_job.sheetnames == ["建议台账", "交办明细"]


async def test_asking_again_while_the_job_runs_shows_the_same_job(year, browser, large, db):
    first, _, _ = await queued(browser, LEDGER)
    second, _, _ = await queued(browser, LEDGER)
    assert second == first
    await finished(browser, first)
    third, _, _ = await queued(browser, LEDGER)  # done: a new export reads the rows afresh
    assert third != first
    await finished(browser, third)


async def test_the_replies_export_runs_as_a_job_too(year, browser, large):
    api, p = year
    published = set()
    for name in ("P1", "P2", "P3", "P5", "P7", "P8", "P9"):
        replies = (await api.detail(p[name]))["replies"]
        if replies and (await api.post(f"/api/v1/replies/{replies[0]['id']}/publish", {})).status == 200:
            published.add(p[name])
    assert len(published) > 3
    job_id, _, _ = await queued(browser, "/dashboard/export/replies.xlsx?year=2025")
    status = await finished(browser, job_id)
    book = load_workbook(io.BytesIO(await (await browser.get(status["download_url"])).read()))
    assert {row[0] for row in rows_of(book)["公开答复"]} == published


async def test_only_who_asked_and_staff_may_download_an_export(year, browser, large, db):
    job_id, _, _ = await queued(browser, LEDGER)
    status = await finished(browser, job_id)
    await add_user(db, "zhao", "viewer", PASSWORD, display_name="赵只读")
    await add_user(db, "qian", "supervisor", PASSWORD, display_name="钱主任")
    sign_out_locally(browser)
    await signed_in(browser, "zhao")
    for path in (f"/dashboard/export/jobs/{job_id}", f"/dashboard/export/jobs/{job_id}/status", status["download_url"]):
        refused = await browser.get(path)
        assert refused.status == 403, path
        assert refused.content_type != XLSX and "没有权限" in await refused.text()
    sign_out_locally(browser)
    await signed_in(browser, "qian")
    assert (await browser.get(status["download_url"])).status == 200
    sign_out_locally(browser)
    assert (await browser.get(status["download_url"], allow_redirects=False)).status == 303  # to /login


@pytest.mark.parametrize("path", ["/dashboard/export/jobs/abc", "/dashboard/export/jobs/0",
                                  "/dashboard/export/jobs/99999999999999999999999", "/dashboard/export/jobs/12345/file",
                                  "/dashboard/export/jobs/-1/status", "/dashboard/export/jobs/1%27%20or%201=1"])
async def test_a_tampered_job_id_is_a_clear_chinese_404(browser, path):
    answer = await browser.get(path)
    assert answer.status == 404
    assert "找不到这个导出任务" in await answer.text()


async def test_a_job_left_running_by_a_killed_worker_is_picked_up_again(year, browser, large, db):
    job_id, _, _ = await queued(browser, LEDGER)
    async with db.write() as session:  # as a worker killed mid-way leaves it: running, its heartbeat long stopped
        await session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
            state="running", worker="gone-host:4242:dead", attempts=1, rows_done=5,
            heartbeat_at=utcnow() - export_jobs.STALE - dt.timedelta(seconds=5)))
        await session.commit()
    status = await finished(browser, job_id)
    assert status["state"] == "done" and status["rows_done"] == 11
    job = await export_jobs.job_by_id(db, job_id)
    assert job.attempts == 2 and job.worker != "gone-host:4242:dead"


async def test_a_job_whose_worker_keeps_dying_fails_with_a_reason_instead_of_looping(year, browser, large, db):
    job_id, _, _ = await queued(browser, LEDGER)
    await finished(browser, job_id)
    async with db.write() as session:
        await session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
            state="running", worker="gone", attempts=export_jobs.MAX_ATTEMPTS,
            heartbeat_at=utcnow() - export_jobs.STALE * 2))
        await session.commit()
    assert await export_jobs.requeue_stale(db) == 0
    status = await (await browser.get(f"/dashboard/export/jobs/{job_id}/status")).json()
    assert status["state"] == "failed" and CHINESE.search(status["error"])
    page = await (await browser.get(f"/dashboard/export/jobs/{job_id}")).text()
    assert "导出没有完成" in page and "重新导出" in page


async def test_two_runners_claiming_at_once_take_a_job_once(db):
    user = (await add_user(db, "sun", "staff", PASSWORD)).user
    job = await export_jobs.queue(db, "ledger", {"year": 2025}, user.id, "台账.xlsx", 10)
    taken = await asyncio.gather(*(export_jobs.claim_next(db, f"runner-{i}") for i in range(4)))
    winners = [t for t in taken if t is not None]
    assert [w.id for w in winners] == [job.id] and winners[0].state == "running"
    assert await export_jobs.claim_next(db, "late") is None


async def test_print_setup_is_on_every_sheet_of_a_job_file(year, browser, large):
    job_id, _, _ = await queued(browser, LEDGER)
    status = await finished(browser, job_id)
    book = load_workbook(io.BytesIO(await (await browser.get(status["download_url"])).read()))
    for ws in book.worksheets:
        assert ws.print_title_rows.replace("$", "") == "1:1", ws.title  # the header row on every page
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
        # one page wide (1 is fitToWidth's default in ECMA-376, so the attribute may be left out), any height
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0


async def test_finished_files_are_removed_after_a_day(year, browser, large, db, settings):
    job_id, _, _ = await queued(browser, LEDGER)
    status = await finished(browser, job_id)
    job = await export_jobs.job_by_id(db, job_id)
    path = export_jobs.file_of(settings, job)
    assert path is not None and path.parent == settings.data_path("exports")
    assert await export_jobs.remove_old_files(db, settings) == 0 and path.exists()
    later = utcnow() + export_jobs.KEEP_FILES + dt.timedelta(minutes=1)
    assert await export_jobs.remove_old_files(db, settings, now=later) == 1
    assert not path.exists()
    gone = await browser.get(status["download_url"])
    assert gone.status == 404 and "超过一天" in await gone.text()
    assert "重新导出" in await (await browser.get(f"/dashboard/export/jobs/{job_id}")).text()


def _dies(settings, job_id, worker):  # a job's process killed from outside (the OOM killer, kill -9)
    import os

    os._exit(9)


def _hangs(settings, job_id, worker):
    time.sleep(120)


async def _state_becomes(db, job_id: int, wanted: str, timeout: float = 60) -> export_jobs.Job:
    deadline = time.monotonic() + timeout
    while (job := await export_jobs.job_by_id(db, job_id)).state != wanted:
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.1)
    return job


async def test_a_job_whose_process_is_killed_is_run_again_then_failed_after_its_attempts(db, settings):
    user = (await add_user(db, "sun", "staff", PASSWORD)).user
    job = await export_jobs.queue(db, "ledger", {"year": 2025}, user.id, "台账.xlsx", 10)
    runner = export_jobs.ExportRunner(db, settings, _dies)
    task = asyncio.create_task(runner.run())
    try:
        failed = await _state_becomes(db, job.id, "failed")
    finally:
        runner.stop()
        await task
    assert failed.attempts == export_jobs.MAX_ATTEMPTS and "退出码 9" in failed.error


async def test_a_stopping_runner_ends_its_job_process_and_puts_the_job_back_in_the_queue(db, settings):
    user = (await add_user(db, "sun", "staff", PASSWORD)).user
    job = await export_jobs.queue(db, "ledger", {"year": 2025}, user.id, "台账.xlsx", 10)
    runner = export_jobs.ExportRunner(db, settings, _hangs)
    task = asyncio.create_task(runner.run())
    await _state_becomes(db, job.id, "running")
    start = time.monotonic()
    runner.stop()
    await task
    assert time.monotonic() - start < export_jobs.STOP_GRACE_SECONDS + 2  # well inside systemd's stop timeout
    back = await export_jobs.job_by_id(db, job.id)
    assert (back.state, back.attempts, back.worker) == ("queued", 0, "")
