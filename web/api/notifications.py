"""Dead letters for staff: GET /api/v1/notifications?status=dead, POST /api/v1/notifications/{id}/resend."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select

from storage import outbox
from storage.models import OutboxMessage
from web.api.routes import READ_ROLES, WRITE_ROLES, _int, _user, ok
from web.forms import path_id
from web.keys import DB
from workflow.errors import InvalidInput, NotFound

STATUSES = ("pending", "delivered", "skipped", "dead")


def _row(r: OutboxMessage) -> dict:
    return {"id": r.id, "kind": r.kind, "recipient_kind": r.recipient_kind, "recipient_id": r.recipient_id,
            "status": r.status, "attempts": r.attempts, "last_error": r.last_error, "channel": r.channel,
            "number": (r.payload or {}).get("number"), "created_at": r.created_at, "delivered_at": r.delivered_at}


async def list_notifications(request: web.Request) -> web.Response:
    await _user(request, READ_ROLES)
    status = request.query.get("status", "dead")
    if status not in STATUSES:
        raise InvalidInput(f"status 只能是：{'、'.join(STATUSES)}。", field="status")
    limit = _int(request, "limit", 100, 1, 1000)
    async with request.app[DB].read() as session:
        query = select(OutboxMessage).where(OutboxMessage.status == status)
        rows = (await session.execute(query.order_by(OutboxMessage.id.desc()).limit(limit))).scalars()
        counts = dict((await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
        return ok({"items": [_row(r) for r in rows], "counts": {s: counts.get(s, 0) for s in STATUSES}})


async def resend(request: web.Request) -> web.Response:
    await _user(request, WRITE_ROLES)
    row_id = path_id(request, "id", "找不到这条通知。")
    if not await outbox.resend(request.app[DB], row_id):
        raise NotFound("找不到这条失败的通知（可能已重新发送）。")
    return ok({"id": row_id, "status": "pending"})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/notifications", list_notifications)
    app.router.add_post(r"/api/v1/notifications/{id:\d+}/resend", resend)
