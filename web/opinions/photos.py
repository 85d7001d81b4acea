"""Photos a citizen sends with an opinion: received with the form (made small on the phone by
web/static/opinion_photos.js, so three fit the app's 1 MB body), kept in our own storage by SHA-256 like
the proposals' evidence photos, shown to staff and to the unit the opinion is referred to — never on a
public page. Only JPEG and PNG are kept, recognised by their first bytes, never by what the browser says."""
from __future__ import annotations

import hashlib
import os
import tempfile

from aiohttp import web

from storage.models import CitizenOpinion, OpinionPhoto
from web.forms import path_id
from web.keys import DB, SETTINGS
from web.media import HEADERS
from web.session import refuse, require
from workflow.errors import InvalidInput
from workflow.usecases.evidence import media_path

MAX_PHOTOS = 3
KINDS = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def _kind(data: bytes) -> str:
    return next((kind for magic, kind in KINDS if data.startswith(magic)), "")


async def received(request: web.Request) -> list[OpinionPhoto]:
    """The form's `photo` files, stored; InvalidInput (nothing kept) for more than three or not a picture."""
    form = await request.post()
    files = [f for f in form.getall("photo", []) if hasattr(f, "file") and getattr(f, "filename", "")]
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(f"最多上传 {MAX_PHOTOS} 张照片。", field="photo")
    found = []
    for item in files:
        data = item.file.read()
        kind = _kind(data)
        if not kind:
            raise InvalidInput("照片只能是 JPG 或 PNG 图片。", field="photo")
        found.append((data, kind))
    return [_store(request.app[SETTINGS].server.data_dir, data, kind) for data, kind in found]


def _store(data_dir: str, data: bytes, kind: str) -> OpinionPhoto:
    digest = hashlib.sha256(data).hexdigest()
    path = media_path(data_dir, digest)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)  # whole or not at all, even if the server stops mid-write
    return OpinionPhoto(path=digest, content_type=kind, size=len(data), sha256=digest)


async def send(request: web.Request, opinion_id: int) -> web.StreamResponse:
    """The photo named in the path, if it belongs to `opinion_id`."""
    async with request.app[DB].read() as session:
        photo = await session.get(OpinionPhoto, path_id(request, "photo", "找不到这张照片。"))
    if photo is None or photo.opinion_id != opinion_id:
        return refuse(request, 404, "找不到这张照片。", title="找不到")
    path = media_path(request.app[SETTINGS].server.data_dir, photo.sha256)
    if not path.is_file():
        return refuse(request, 404, "照片文件不在存储目录中（可能未从备份恢复），请联系管理员。", title="照片文件缺失")
    return web.FileResponse(path, headers={**HEADERS, "Content-Type": photo.content_type})


@require()
async def staff_photo(request: web.Request) -> web.StreamResponse:
    """GET /opinions/<opinion id>/photos/<photo id>: for staff signed in."""
    opinion_id = path_id(request, "id", "找不到这条意见。")
    async with request.app[DB].read() as session:
        if await session.get(CitizenOpinion, opinion_id) is None:
            return refuse(request, 404, "找不到这条意见。", title="找不到")
    return await send(request, opinion_id)


def setup_routes(app: web.Application) -> None:
    app.router.add_get(r"/opinions/{id:\d+}/photos/{photo:\d+}", staff_photo)
