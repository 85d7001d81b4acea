"""Evidence photos served from our own storage (data_dir/media, fetched by notify/media.py): to staff
(/media/<id>), to the units on the proposal (/u/<token>/media/<id>) and to its deputies (/f/<token>/media/<id>).

The file is sent with the type recorded when it was fetched, never sniffed, under a CSP that runs
nothing; a photo not kept yet (or of another proposal) answers a short Chinese page.
"""
from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProposalAttachment
from web.forms import path_id
from web.keys import DB, SETTINGS
from web.session import refuse, require
from workflow.usecases.evidence import media_path

HEADERS = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; sandbox", "Referrer-Policy": "no-referrer"}


def url_of(photo: ProposalAttachment, prefix: str = "") -> str:
    """Where a viewer finds this photo ("" while it is not in our storage)."""
    return f"{prefix}/media/{photo.id}" if photo.stored_at is not None else ""


def status_of(photo: ProposalAttachment) -> str:
    if photo.stored_at is not None:
        return "已保存"
    if photo.next_fetch_at is None and photo.fetch_attempts:
        return f"未能从微信取回（{photo.fetch_error or '原因不明'}）"
    return "正在从微信取回"


async def send_photo(request: web.Request, session: AsyncSession, proposal_id: int) -> web.StreamResponse:
    """The photo named in the path, if it belongs to `proposal_id` and is kept."""
    photo = await session.get(ProposalAttachment, path_id(request, "photo", "找不到这张照片。"))
    if photo is None or photo.proposal_id != proposal_id:
        return refuse(request, 404, "找不到这张照片。", title="找不到")
    if photo.stored_at is None:
        return refuse(request, 404, f"这张照片{status_of(photo)}，暂时不能查看。", title="照片尚未保存")
    path = media_path(request.app[SETTINGS].server.data_dir, photo.sha256)
    if not path.is_file():
        return refuse(request, 404, "照片文件不在存储目录中（可能未从备份恢复），请联系管理员。", title="照片文件缺失")
    return web.FileResponse(path, headers={**HEADERS, "Content-Type": photo.content_type or "application/octet-stream"})


@require()
async def staff_photo(request: web.Request) -> web.StreamResponse:
    async with request.app[DB].read() as session:
        photo = await session.get(ProposalAttachment, path_id(request, "photo", "找不到这张照片。"))
        return await send_photo(request, session, photo.proposal_id if photo is not None else -1)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/media/{photo}", staff_photo)
