"""Rosters in the console: deputies and units, their one-time binding codes, and imports from .xlsx/.csv
(upload, preview with every wrong row named, then commit: all rows or none, workflow/usecases/roster_import.py)."""
from __future__ import annotations

import base64
import binascii
from typing import Optional

from aiohttp import web
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Deputy, Unit, UnitLiaison
from web.forms import whole_number
from web.keys import DB
from web.session import ACT_ROLES, can_act, render, require, user_of
from workflow.errors import USER_ERRORS
from workflow.usecases import accounts, binding, roster_import, rosters

PAGE_SIZE = 100
KINDS = {"deputies": {"model": Deputy, "key": "number", "label": "代表名册", "noun": "代表",
                      "search": ("number", "name", "delegation"), "fields": rosters.DEPUTY_FIELDS},
         "units": {"model": Unit, "key": "code", "label": "承办单位名册", "noun": "承办单位",
                   "search": ("code", "name", "contact_name"), "fields": rosters.UNIT_FIELDS}}


async def _roster_page(request: web.Request, kind: str, issued: Optional[dict] = None, error: str = "",
                       status: int = 200) -> web.Response:
    spec = KINDS[kind]
    model = spec["model"]
    words = request.query.get("q", "").strip()[:64]
    query = select(model)
    if words:
        query = query.where(or_(*[getattr(model, c).contains(words, autoescape=True) for c in spec["search"]]))
    page = whole_number(request.query.get("page"), 1, 99999) or 1
    async with request.app[DB].read() as session:
        total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = (await session.execute(query.order_by(getattr(model, spec["key"])).limit(PAGE_SIZE)
                                      .offset((page - 1) * PAGE_SIZE))).scalars()
        items = [rosters.deputy_dict(r) if kind == "deputies" else rosters.unit_dict(r) for r in rows]
        if kind == "units":
            bound = await _bound_units(session)
            for item in items:
                item["bound"] = item["code"] in bound
    return render(request, "console/roster.html", {
        "kind": kind, "spec": spec, "items": items, "total": total, "page": page, "q": words,
        "pages": max(1, -(-total // PAGE_SIZE)), "issued": issued, "error": error,
        "can_act": can_act(user_of(request))}, status=status)


async def _bound_units(session: AsyncSession) -> set[str]:
    query = select(Unit.code).join(UnitLiaison, UnitLiaison.unit_id == Unit.id).distinct()
    return set((await session.execute(query)).scalars())


@require()
async def roster(request: web.Request) -> web.Response:
    """GET /console/deputies, /console/units."""
    return await _roster_page(request, request.match_info["kind"])


@require(*ACT_ROLES)
async def binding_code(request: web.Request) -> web.Response:
    """POST /console/{kind}/{key}/binding-code: a one-time code, shown once on the roster page."""
    kind, key = request.match_info["kind"], request.match_info["key"]
    who = {"deputy": key} if kind == "deputies" else {"unit": key}
    try:
        code, expires = await binding.new_binding_code(request.app[DB], accounts.actor_for(user_of(request)), **who)
    except USER_ERRORS as exc:
        return await _roster_page(request, kind, error=exc.message, status=exc.status)
    return await _roster_page(request, kind, issued={"key": key, "code": code, "expires": expires})


# ------------------------------------------------------------------ imports
@require(*ACT_ROLES)
async def import_form(request: web.Request) -> web.Response:
    """GET /console/{kind}/import: the upload form, with the columns the file may have."""
    kind = request.match_info["kind"]
    return render(request, "console/import.html", {"kind": kind, "spec": KINDS[kind], "report": None,
                                                   "columns": roster_import.expected_columns(kind)})


@require(*ACT_ROLES)
async def import_upload(request: web.Request) -> web.Response:
    """POST /console/{kind}/import: step `preview` (a file upload; nothing is written) or `commit`
    (the previewed file, sent back by the confirm form; checked again, then all rows or none)."""
    kind = request.match_info["kind"]
    form = await request.post()
    context = {"kind": kind, "spec": KINDS[kind], "columns": roster_import.expected_columns(kind)}
    if form.get("step") == "commit":
        data, filename = _carried_file(form)
        if data is None:
            return render(request, "console/import.html", {**context, "report": None,
                          "error": "确认导入的文件内容无效，请重新上传。"}, status=400)
        report = await roster_import.import_bytes(request.app[DB], kind, data, filename,
                                                   actor=accounts.actor_for(user_of(request)))
        return render(request, "console/import.html", {**context, "report": report},
                      status=200 if report.ok else 400)
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return render(request, "console/import.html", {**context, "report": None,
                      "error": "请选择要上传的 .xlsx 或 .csv 文件。"}, status=400)
    data = upload.file.read()
    report = await roster_import.preview_bytes(request.app[DB], kind, data, upload.filename)
    carried = base64.b64encode(data).decode() if report.ok else ""
    return render(request, "console/import.html", {**context, "report": report, "carried": carried,
                                                   "filename": upload.filename},
                  status=200 if report.ok else 400)


def _carried_file(form) -> tuple[Optional[bytes], str]:
    text, filename = form.get("data"), form.get("filename")
    if not isinstance(text, str) or not isinstance(filename, str) or not text:
        return None, ""
    try:
        return base64.b64decode(text, validate=True), filename
    except (binascii.Error, ValueError):
        return None, ""


def setup_routes(app: web.Application) -> None:
    kinds = "{kind:deputies|units}"
    app.router.add_get(f"/console/{kinds}", roster)
    app.router.add_get(f"/console/{kinds}/import", import_form)
    app.router.add_post(f"/console/{kinds}/import", import_upload)
    app.router.add_post(f"/console/{kinds}/{{key}}/binding-code", binding_code)
