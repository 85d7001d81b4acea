"""The demo's WeChat: who its users are, where its messages go, and what each user's chat shows.

The demo county has no WeChat app, so `serve --demo` points `wechat.api_base_url` at a stand-in that
the demo server itself carries (web/demo_wechat.py, mounted in demo mode only). The stand-in records
what WeChat would have shown each user; /simulator shows it, interleaved with what the user said and
the bot answered. A deployment with its own app (wechat.app_id set) keeps talking to WeChat.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, replace

from sqlalchemy import select

from storage.db import Database
from storage.models import DemoWechatMessage
from storage.uow import UnitOfWork
from workflow.settings import Settings

DEMO_APP_ID = "wxdemo0000000000"
STAND_IN_PATH = "/demo-wechat/cgi-bin/"
STAFF_OPENID = "o_demo_staff"
SOURCES = ("said", "answer", "custom", "template")


def deputy_openid(number: str) -> str:
    """The WeChat user a demo deputy is bound to from the start."""
    return f"o_demo_deputy_{number}"


def liaison_openid(code: str) -> str:
    """The WeChat user of a demo unit's liaison."""
    return f"o_demo_unit_{code}"


def _local_address(host: str, port: int) -> str:
    """Where this computer reaches the server listening on host:port."""
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a name such as localhost
    return f"http://{host}:{port}"


def demo_settings(settings: Settings, host: str, port: int) -> Settings:
    """The settings of `serve --demo`: without an app of its own, WeChat is the stand-in on this server.
    Its secret comes from server.secret_key, so `serve --demo --role worker` agrees with the web process."""
    if settings.wechat.app_id:
        return settings
    secret = hmac.new(settings.server.secret_key.encode(), b"demo-wechat", hashlib.sha256).hexdigest()[:32]
    wechat = replace(settings.wechat, app_id=DEMO_APP_ID, app_secret=secret,
                     api_base_url=_local_address(host, port) + STAND_IN_PATH)
    return replace(settings, wechat=wechat)


@dataclass(frozen=True)
class ChatLine:
    id: int
    at: str  # ISO time, UTC
    source: str  # said | answer | custom | template
    text: str
    url: str


async def record(db: Database, openid: str, source: str, text: str, url: str = "") -> int:
    """Add a message to `openid`'s chat; returns its id (chats are read in id order)."""
    if source not in SOURCES:
        raise ValueError(source)
    async with UnitOfWork(db) as session:
        row = DemoWechatMessage(openid=openid[:64], source=source, text=text, url=url[:1024])
        session.add(row)
        await session.flush()
        return row.id


async def chat(db: Database, openid: str, after: int = 0, limit: int = 200) -> list[ChatLine]:
    """`openid`'s messages after id `after`, oldest first."""
    query = (select(DemoWechatMessage).where(DemoWechatMessage.openid == openid, DemoWechatMessage.id > after)
             .order_by(DemoWechatMessage.id).limit(limit))
    async with db.read() as session:
        rows = (await session.execute(query)).scalars().all()
    return [ChatLine(r.id, r.created_at.isoformat(timespec="seconds") + "Z", r.source, r.text, r.url) for r in rows]
