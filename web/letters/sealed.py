"""The sealed 答复函 (盖章答复函): the unit uploads the PDF on its link, per reply (POST
/u/<token>/replies/<id>/sealed, multipart field `file`); staff, the deputy and the unit download it.

The body is streamed, never held whole: at most 10 MB, starting with %PDF-, else a Chinese refusal and
nothing kept; an upload's SHA-256 and size go to the proposal's event log (workflow/usecases/sealed_letters.py).
The file is sent as a download under the evidence photos' headers (nosniff, a CSP that runs nothing).
"""
from __future__ import annotations

from typing import AsyncIterator
from urllib.parse import quote

from aiohttp import web

from storage import repositories as repo
from web import feedback, links, media
from web.forms import path_id
from web.keys import DB, SETTINGS
from web.letters.pages import unit_reply
from web.session import refuse, require
from workflow.domain.letters import SEALED_MAX_BYTES
from workflow.errors import USER_ERRORS, InvalidInput, NotFound
from workflow.readmodels.letters import reply_of, sealed_of
from workflow.usecases import sealed_letters
from workflow.usecases.sealed_letters import TooLarge, letter_path

CHUNK = 64 * 1024
MULTIPART_SLACK = 64 * 1024  # the form's boundaries and other fields around the file
HEADERS = {**media.HEADERS, "Cache-Control": "private, no-store", "Content-Type": "application/pdf"}
MISSING = "这份答复还没有上传盖章答复函。"


def streams_upload(handler):
    """Marks a handler that reads its multipart body itself (web/app.py does not read it first)."""
    handler.streams_upload = True
    return handler


async def _file_chunks(request: web.Request) -> tuple[AsyncIterator[bytes], str]:
    if request.content_type != "multipart/form-data":
        raise InvalidInput("请用页面上的表单选择 PDF 文件上传（multipart/form-data，字段 file）。", field="file")
    if (request.content_length or 0) > SEALED_MAX_BYTES + MULTIPART_SLACK:
        raise TooLarge(f"文件太大：盖章答复函不能超过 {SEALED_MAX_BYTES // (1024 * 1024)} MB，请降低扫描分辨率后重新上传。",
                       field="file")
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if getattr(part, "name", None) == "file" and hasattr(part, "read_chunk"):
            async def chunks(part=part):
                while chunk := await part.read_chunk(CHUNK):
                    yield chunk
            return chunks(), part.filename or ""
    raise InvalidInput("请选择盖章后的答复函 PDF 文件。", field="file")


async def _received(request: web.Request) -> tuple[sealed_letters.Upload, str]:
    """The file field received whole into a temporary file; a body that is not a well-formed form is refused."""
    try:
        chunks, filename = await _file_chunks(request)
        return await sealed_letters.receive(chunks, request.app[SETTINGS].server.data_dir), filename
    except (ValueError, web.HTTPBadRequest):  # no boundary, a broken part: aiohttp's multipart reader says so
        raise InvalidInput("上传的内容不是完整的表单，请用页面上的表单重新选择 PDF 文件上传。", field="file") from None


@streams_upload
async def upload(request: web.Request) -> web.Response:
    """POST /u/<token>/replies/<id>/sealed: keep the PDF, then back to the unit page (or JSON)."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    async with request.app[DB].read() as session:
        assignment, _proposal, reply = await unit_reply(request, session)
    try:
        await sealed_letters.check_rate(request.app[DB], reply.id)
        received, filename = await _received(request)
    except USER_ERRORS as exc:
        if wants_json:
            raise
        return await links.render_page(request, error=exc.message, failed="seal_letter", status=exc.status)
    actor = links.unit_actor(assignment)
    row = await sealed_letters.keep(request.app[DB], request.app[SETTINGS].server.data_dir, reply.id, received,
                                    filename, actor)
    if wants_json:
        return web.json_response({"reply_id": reply.id, "sha256": row.sha256, "size": row.size})
    raise web.HTTPSeeOther(f"/u/{request.match_info['token']}?done=seal_letter#letter-{reply.id}")


async def _send(request: web.Request, session, reply, ref: str):
    row = (await sealed_of(session, [reply.id])).get(reply.id)
    if row is None:
        raise NotFound(MISSING)
    path = letter_path(request.app[SETTINGS].server.data_dir, row.sha256)
    if not path.is_file():
        raise NotFound("盖章答复函的文件不在存储目录中（可能未从备份恢复），请联系管理员。")
    name = f"sealed-letter-{ref}-{reply.id}.pdf"
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(f'盖章答复函-{ref}-{reply.id}.pdf')}"
    return web.FileResponse(path, headers={**HEADERS, "Content-Disposition": disposition})


async def unit_download(request: web.Request) -> web.StreamResponse:
    """GET /u/<token>/replies/<id>/sealed.pdf."""
    async with request.app[DB].read() as session:
        _assignment, proposal, reply = await unit_reply(request, session)
        return await _send(request, session, reply, proposal.ref)


async def deputy_download(request: web.Request) -> web.StreamResponse:
    """GET /f/<token>/replies/<id>/sealed.pdf: the deputy's own proposal's sealed letters."""
    async with request.app[DB].read() as session:
        proposal, _actor = await feedback._load(request, session)
        reply = reply_of(proposal, path_id(request, "reply_id", "找不到这份答复。"))
        if reply is None:
            raise NotFound("找不到这份答复。")
        return await _send(request, session, reply, proposal.ref)


@require()
async def staff_download(request: web.Request) -> web.StreamResponse:
    """GET /console/proposals/<ref>/replies/<id>/sealed.pdf."""
    async with request.app[DB].read() as session:
        proposal = await repo.proposal_by_ref(session, request.match_info["ref"])
        reply = reply_of(proposal, path_id(request, "reply_id", "找不到这份答复。")) if proposal else None
        if reply is None:
            return refuse(request, 404, "找不到这份答复。", title="找不到")
        try:
            return await _send(request, session, reply, proposal.ref)
        except NotFound as exc:
            return refuse(request, 404, exc.message, title="找不到")


def setup_routes(app: web.Application) -> None:
    reply = r"replies/{reply_id:\d+}"
    app.router.add_post(f"/u/{{token}}/{reply}/sealed", upload)
    app.router.add_get(f"/u/{{token}}/{reply}/sealed.pdf", unit_download)
    app.router.add_get(f"/f/{{token}}/{reply}/sealed.pdf", deputy_download)
    app.router.add_get(f"/console/proposals/{{ref}}/{reply}/sealed.pdf", staff_download)
