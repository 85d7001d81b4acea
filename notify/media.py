"""Fetches each evidence photo a deputy sent from WeChat's media API as soon as it arrives, and keeps it
under data_dir/media by its SHA-256 (workflow/usecases/evidence.py records it and the event).

WeChat answers media/get with the file, or with JSON `{"errcode": ...}` (40007: the id is unknown or
expired). The file is written to a temporary name, flushed to disk, then renamed: a crash never leaves a
half file under the final name, and the same photo twice is one file.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile

import aiohttp
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from storage.uow import Conflict
from workflow.settings import Settings
from workflow.usecases import evidence

from .pipeline import pause
from .wechat_api import INVALID_TOKEN, TokenCache, WechatError

log = logging.getLogger("jianyi.media")

MAX_BYTES = 10 * 1024 * 1024  # WeChat's own limit for an image; voice is smaller
ACCEPTED = ("image/", "audio/", "voice/", "video/")
PERMANENT = {40007}  # invalid media_id: expired (three days) or never ours
IDLE_SECONDS = 2.0


class MediaFetcher:
    def __init__(self, db: Database, settings: Settings, tokens: TokenCache, http: aiohttp.ClientSession):
        self.db, self.settings, self.tokens, self.http = db, settings, tokens, http

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except (SQLAlchemyError, Conflict) as exc:
                log.warning("media: database error %s", exc)
                done = 0
            if not done:
                await pause(stop, IDLE_SECONDS)

    async def run_once(self) -> int:
        """Fetch the photos due now; returns how many were tried."""
        pending = await evidence.due(self.db)
        for photo in pending:
            await self._one(photo)
        return len(pending)

    async def _one(self, photo: evidence.Pending) -> None:
        try:
            body, content_type = await self._download(photo.media_id)
        except WechatError as exc:
            permanent = exc.errcode in PERMANENT
            given_up = await evidence.failed(self.db, photo.id, f"{exc.errcode}: {exc.errmsg}", permanent)
            (log.error if given_up else log.warning)(
                "佐证照片 #%s 未能从微信取回（%s）%s", photo.id, exc, "，已放弃" if given_up else "，稍后重试")
            return
        sha256 = hashlib.sha256(body).hexdigest()
        await asyncio.to_thread(_write, evidence.media_path(self.settings.server.data_dir, sha256), body)
        await evidence.stored(self.db, photo.id, sha256, len(body), content_type)
        log.info("佐证照片 #%s 已保存（%d 字节，SHA-256 %s）", photo.id, len(body), sha256[:12])

    async def _download(self, media_id: str) -> tuple[bytes, str]:
        if not media_id:
            raise WechatError(40007, "没有 media_id")
        stale = None
        for _ in range(2):
            token = await self.tokens.get(stale=stale)
            try:
                return await self._get(token, media_id)
            except WechatError as exc:
                if exc.errcode in INVALID_TOKEN and stale is None:
                    await self.tokens.invalidate(token)
                    stale = token
                    continue
                raise
        raise WechatError(None, "access_token 无效")

    async def _get(self, token: str, media_id: str) -> tuple[bytes, str]:
        url = self.settings.wechat.api_base_url.rstrip("/") + "/media/get"
        try:
            async with self.http.get(url, params={"access_token": token, "media_id": media_id},
                                     timeout=aiohttp.ClientTimeout(total=60)) as response:
                content_type = response.content_type or ""
                if response.content_length is not None and response.content_length > MAX_BYTES:
                    raise WechatError(-2, "文件超过 10 MB")
                body = await response.content.read(MAX_BYTES + 1)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise WechatError(None, f"网络错误：{type(exc).__name__}") from None
        if len(body) > MAX_BYTES:
            raise WechatError(-2, "文件超过 10 MB")
        if content_type.startswith(ACCEPTED) and status == 200:
            return body, content_type
        try:
            answer = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise WechatError(None, f"微信返回了无法识别的内容（HTTP {status}，{content_type or '无类型'}）") from None
        raise WechatError(answer.get("errcode"), str(answer.get("errmsg", "")))


def _write(path, body: bytes) -> None:
    """Write `body` to `path` whole or not at all (temporary file, fsync, rename)."""
    if path.exists() and path.stat().st_size == len(body):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
