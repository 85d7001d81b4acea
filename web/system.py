"""Health and metrics for operators: GET /healthz, GET /metrics (Prometheus text format)."""
from __future__ import annotations

import hmac
import logging

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import func, select, text

from storage.models import OutboxMessage, Proposal
from web.keys import DB, SETTINGS
from workflow.settings import is_loopback

log = logging.getLogger("jianyi.web")
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


async def healthz(request: web.Request) -> web.Response:
    """Whether the database answers; its error goes to the log, never to whoever asks."""
    try:
        async with request.app[DB].read() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means "not healthy", reported as such
        log.warning("healthz: database unavailable: %s", exc)
        return web.json_response({"status": "error", "database": "unavailable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def _may_read_metrics(request: web.Request) -> bool:
    token = request.app[SETTINGS].server.metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    # Only this computer asking directly: behind a reverse proxy every request comes from loopback.
    return is_loopback(request.remote or "") and not any(h in request.headers for h in PROXY_HEADERS)


async def metrics(request: web.Request) -> web.Response:
    if not _may_read_metrics(request):
        return web.Response(status=403, text="无权读取运行指标：只能在本机读取，或设置 server.metrics_token 后凭令牌读取。\n",
                            content_type="text/plain", charset="utf-8")
    async with request.app[DB].read() as session:
        states = (await session.execute(select(Proposal.state, func.count()).group_by(Proposal.state))).all()
        pending = (await session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.relayed_at.is_(None)))).scalar_one()
    lines = ["# HELP jianyi_proposals Proposals by state.", "# TYPE jianyi_proposals gauge"]
    lines += [f'jianyi_proposals{{state="{state}"}} {n}' for state, n in sorted(states)]
    lines += ["# HELP jianyi_outbox_pending Notifications not yet handed to Redis.",
              "# TYPE jianyi_outbox_pending gauge", f"jianyi_outbox_pending {pending}"]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})


async def home(request: web.Request) -> web.Response:
    """The front page: where staff, supervisors, the public and (in the demo) deputies go."""
    simulator = any(getattr(r, "canonical", None) == "/simulator" for r in request.app.router.resources())
    return aiohttp_jinja2.render_template("home.html", request, {"simulator": simulator})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
