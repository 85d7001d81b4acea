"""The aiohttp application, assembled in one factory (routes, templates, error mapping)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from web.forms import refuse_nul
from web.keys import DB, ENGINE, SETTINGS
from workflow.domain import words
from workflow.engine.engine import Engine
from workflow.errors import USER_ERRORS, NotAllowed, WorkflowError
from workflow.settings import Settings

log = logging.getLogger("jianyi.web")
TEMPLATES = Path(__file__).resolve().parent / "templates"
_INDEXING = web.AppKey("similarity_indexer", tuple)  # (its stop event, the task: kept so it is not collected)


def error_body(exc: WorkflowError) -> dict:
    body = {"error": exc.code, "message": exc.message}
    if isinstance(exc, NotAllowed):
        body["allowed_actions"] = exc.allowed
    if exc.details:
        body.update({k: v for k, v in exc.details.items() if isinstance(v, (str, int, float, list))})
    return body


def wants_json(request: web.Request) -> bool:
    return (request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
            or request.content_type == "application/json")


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Map the engine's error types to HTTP in one place: JSON for programs, a page for people."""
    form = None
    try:
        refuse_nul(request.path, *request.query.keys(), *request.query.values())
        streams = getattr(request.match_info.handler, "streams_upload", False)  # reads its body itself (big files)
        if request.method == "POST" and request.content_type in FORM_TYPES and not streams:  # read once, cached
            form = await request.post()
            fields = [(k, v) for k, v in form.items() if isinstance(v, str)]
            refuse_nul(*(k for k, _ in fields), *(v for _, v in fields))
        return await handler(request)
    except USER_ERRORS as exc:
        if wants_json(request):
            return web.json_response(error_body(exc), status=exc.status, dumps=_dumps)
        return aiohttp_jinja2.render_template("message.html", request, {"title": "无法完成", "message": exc.message},
                                              status=exc.status)
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            messages = {404: "找不到该地址。", 405: "不支持该请求方法。", 413: "请求内容太大。"}
            return web.json_response({"error": "http_" + str(exc.status),
                                      "message": messages.get(exc.status, exc.reason)}, status=exc.status)
        raise
    finally:  # an uploaded file is a temporary file: closed when the request is done, whoever read it or not
        for value in (form.values() if form is not None else ()):
            if isinstance(value, web.FileField):
                value.file.close()


# Pages a stranger may open (unit, feedback and vote links, published replies) must not be framed by
# another site (clickjacking); no page of ours is meant to be framed, so every response says so.
FRAME_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff"}


async def _frame_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in FRAME_HEADERS.items():
        response.headers.setdefault(name, value)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def init_app(settings: Settings, engine: Engine) -> web.Application:
    """The web application: JSON API, unit links, health and metrics."""
    from web import cards, feedback, letters, links, media, projects, system
    from web.api import notifications as notifications_api
    from web.api import routes as api
    from web.console import routes as console
    from web.dashboard import routes as dashboard
    from web.meetings import routes as meetings
    from web.opinions import photos as opinion_photos
    from web.opinions import public as public_opinions
    from web.projects import vote_result as project_votes

    app = web.Application(client_max_size=1024 * 1024, middlewares=[errors_middleware])
    app.on_response_prepare.append(_frame_headers)
    app[SETTINGS] = settings
    system.instrument(app, settings)  # /metrics' registry; request timing; forwarded headers from trusted proxies
    app[ENGINE] = engine
    app[DB] = engine.db
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    words.configure(settings.names)  # the county's own words for its bodies, in every page and message
    aiohttp_jinja2.get_env(app).globals["names"] = settings.names
    api.setup_routes(app)
    links.setup_routes(app)
    feedback.setup_routes(app)
    media.setup_routes(app)  # evidence photos from our own storage, for staff
    notifications_api.setup_routes(app)
    system.setup_routes(app)
    console.setup_routes(app)  # staff console, /login, /static
    meetings.setup_routes(app)  # 集中评议: /meetings (staff), /v/<token> (the room's phones)
    dashboard.setup_routes(app)  # supervisors' dashboard, .xlsx exports, public replies
    public_opinions.setup_routes(app)  # 群众意见: /o/<代表码|联络站码> and the receipt pages
    opinion_photos.setup_routes(app)  # their photos, for staff (units see them on their link)
    letters.setup_routes(app)  # 答复函: printable page and .docx, the sealed PDF, the units' heads
    cards.setup_routes(app)  # 亮身份: the deputy's public card /d/<number>, the printable plates
    project_votes.setup_routes(app)  # 民生实事项目票决: the published result /ms/votes/<id>
    projects.setup_routes(app)  # 民生实事: the public solicitation page /ms and the voted projects /ms/projects
    app.on_startup.append(_install_holiday_calendar)
    return app


def enable_index_backfill(app: web.Application) -> None:
    """`serve` indexes, in the background, what the similarity and search indexes do not hold yet."""
    app.on_startup.append(_index_older_proposals)
    app.on_cleanup.append(_stop_indexing)  # before `serve` closes the database (its cleanup comes after)


async def _index_older_proposals(app: web.Application) -> None:
    """Proposals submitted before the similarity index existed are indexed in the background, then what
    is submitted while the server runs (a submission leaves its text to this indexer)."""
    import asyncio

    from storage.uow import Conflict
    from workflow.usecases.share_facts import write_stale
    from workflow.usecases.text_index import index_missing, keep_indexing

    stop = asyncio.Event()

    async def run() -> None:
        try:
            indexed = await index_missing(app[DB], stop=stop)
            if indexed:
                log.info("相似建议索引：补建了 %s 件建议的索引。", indexed)
            written = await write_stale(app[DB], stop=stop)  # the dashboard's facts rows not yet current
            if written:
                log.info("统计数据：补写了 %s 件建议的办理统计数据。", written)
        except (SQLAlchemyError, OSError, Conflict) as exc:  # down or busy: the next start tries again
            log.warning("相似建议索引暂未补建（数据库不可用或繁忙）：%s", type(exc).__name__)
        await keep_indexing(app[DB], stop)  # what is submitted from now on, until stopped

    app[_INDEXING] = (stop, asyncio.get_running_loop().create_task(run()))


INDEXER_GRACE = 10.0  # seconds the indexer has to commit the batch under way when the server stops


async def _stop_indexing(app: web.Application) -> None:
    """The indexer finishes its batch and stops; cancelled only if it does not within the grace: a task
    cancelled inside a transaction can leave its database connection to the garbage collector."""
    import asyncio
    import contextlib

    if _INDEXING not in app:  # the start failed before the indexer began
        return
    stop, task = app[_INDEXING]
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), INDEXER_GRACE)
    except asyncio.TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _install_holiday_calendar(app: web.Application) -> None:
    """Due dates use the committee's holiday calendar (console entries, settings, shipped notices); open
    deadlines computed with another one are recomputed."""
    from workflow.usecases.calendar import refresh_and_recompute

    try:
        await refresh_and_recompute(app[DB], app[SETTINGS])
    except (SQLAlchemyError, OSError) as exc:  # the database is down: serve (/healthz says so); the scheduler retries
        logging.getLogger("jianyi.web").warning("节假日日历暂未载入（数据库不可用）：%s", type(exc).__name__)
