"""The responsible unit's link of a livelihood project (民生实事项目): /u/p<id>.<version>.<expiry>.<signature>.

The same signed-link mechanism as an assignment's (workflow/domain/links.py, purpose "project-link"),
dispatched here by web/links.py. The page shows the project (never who suggested it), its progress reports
with their photos, and the forms open now: 报告实施进展 (percent, text, up to 3 photos) and 完成. Every form
also takes JSON `{"action": ...}` at the same URL (photos only with the form), and GET with
`Accept: application/json` returns the project. A refused form shows the page again with what was typed.
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project
from web.forms import path_id, posted
from web.keys import DB, ENGINE, SETTINGS
from web.media import HEADERS
from web.opinions import photos
from web.session import refuse
from workflow.domain.links import LinkExpired, LinkInvalid, read_project_token
from workflow.domain.projects import PROJECT_ACTIONS
from workflow.domain.rules import Actor
from workflow.engine.projects import ProjectEngine, allowed_actions
from workflow.errors import USER_ERRORS, InvalidInput
from workflow.readmodels.project_unit import photo_of, unit_view
from workflow.usecases.evidence import media_path

KEPT = 6000  # what a refused form shows again, at most, of one field
DONE = {"report_progress": "进展已报告，谢谢！", "complete": "已报告完成，谢谢！"}


async def _load(request: web.Request, session: AsyncSession) -> Project:
    """The project the token opens; LinkInvalid / LinkExpired otherwise."""
    claim = read_project_token(request.app[SETTINGS].server.secret_key, request.match_info["token"])
    project = await session.get(Project, claim.assignment_id)
    if project is None or project.unit is None:
        raise LinkInvalid("链接无效：找不到对应的民生实事项目。")
    if project.link_version != claim.version:
        raise LinkExpired("此链接已作废（已重新发送新链接），请使用最新的链接。")
    return project


def _actor(project: Project) -> Actor:
    return Actor("unit", project.unit.code, project.unit.name, assignment_id=project.id)


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


async def show(request: web.Request, error: str = "", failed: str = "", values: Optional[Mapping[str, Any]] = None,
               field: str = "", status: int = 200) -> web.StreamResponse:
    """GET /u/p<...>: the page (or its JSON)."""
    async with request.app[DB].read() as session:
        project = await _load(request, session)
        view = await unit_view(session, project)
        allowed = allowed_actions(project, _actor(project))
    base = f"/u/{request.match_info['token']}/media"
    for report in view["progress"]:
        report["photos"] = [f"{base}/{i}" for i in report["photos"]]
    if _wants_json(request):
        body = {"project": view, "allowed_actions": allowed}
        if error:
            body.update({"error": "invalid_input", "message": error})
        return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))
    context = {"p": view, "forms": [PROJECT_ACTIONS[a] for a in allowed], "error": error, "failed": failed,
               "field": field, "values": dict(values or {}), "done": DONE.get(request.query.get("done", ""), ""),
               "max_photos": photos.MAX_PHOTOS}
    response = aiohttp_jinja2.render_template("projects/unit_link.html", request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _pictures(request: web.Request, action: str) -> list[dict]:
    """The form's photos (a progress report's only), kept in storage as an opinion's are."""
    if action != "report_progress" or request.content_type != "multipart/form-data":
        return []
    return [{"sha256": p.sha256, "content_type": p.content_type, "size": p.size}
            for p in await photos.received(request)]


async def act(request: web.Request) -> web.StreamResponse:
    """POST /u/p<...>: report progress (with photos) or completion, for this link's project only."""
    body, is_json = await posted(request)
    action = body.pop("action", None)
    if not isinstance(action, str) or not action:
        raise InvalidInput("请选择要办理的操作。")
    async with request.app[DB].read() as session:
        project = await _load(request, session)
        project_id, actor = project.id, _actor(project)
    wants_json = is_json or _wants_json(request)
    try:
        pictures = await _pictures(request, action)
        await ProjectEngine(request.app[ENGINE]).perform(str(project_id), action, actor, body, photos=pictures)
    except USER_ERRORS as exc:
        if wants_json:
            raise
        kept = {k: str(v)[:KEPT] for k, v in body.items()}
        return await show(request, exc.message, action, kept, str((exc.details or {}).get("field", "")), exc.status)
    if wants_json:
        return await show(request)
    raise web.HTTPSeeOther(f"{request.path}?done={action}")


async def photo(request: web.Request) -> web.StreamResponse:
    """GET /u/p<...>/media/<photo id>: a photo of this link's project."""
    async with request.app[DB].read() as session:
        project = await _load(request, session)
        found = await photo_of(session, project.id, path_id(request, "photo", "找不到这张照片。"))
    if found is None:
        return refuse(request, 404, "找不到这张照片。", title="找不到")
    path = media_path(request.app[SETTINGS].server.data_dir, found.sha256)
    if not path.is_file():
        return refuse(request, 404, "照片文件不在存储目录中（可能未从备份恢复），请联系管理员。", title="照片文件缺失")
    return web.FileResponse(path, headers={**HEADERS, "Content-Type": found.content_type})
