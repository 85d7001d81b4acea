"""Health and metrics for operators: GET /healthz, GET /metrics (Prometheus), and the client's address.

- /metrics comes from a prometheus_client registry of each app's own (never the global one, so tests
  that build many apps do not collide): process and platform collectors, the notifier's counters
  (notify/pipeline.py Counters), request latency by route pattern, and proposals by state and notifications
  waiting in the outbox, counted at each scrape. `serve --role worker` has no web server: it serves the
  same /metrics on 127.0.0.1 at server.metrics_port.
- Behind the reverse proxies named in server.trusted_proxies, aiohttp-remotes makes X-Forwarded-For/-Proto
  the request's remote address and scheme; from anyone else, and when none is named, those headers are
  ignored. web.session.client_address (login lockout, public pages' limits) and the metrics rule read it.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import time
from dataclasses import dataclass

import aiohttp_jinja2
from aiohttp import hdrs, web
from aiohttp_remotes import XForwardedFiltered
from aiohttp_remotes.exceptions import RemoteError
from prometheus_client import CollectorRegistry, Gauge, GCCollector, Histogram, PlatformCollector, ProcessCollector
from prometheus_client.exposition import choose_encoder
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from storage.models import OutboxMessage, Proposal
from web.keys import DB, SETTINGS
from web.session import client_address
from workflow.settings import Settings, SettingsError, is_loopback

log = logging.getLogger("jianyi.web")
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Up to a minute: a large export's request still falls in a bucket of its own.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class Metrics:
    """One app's registry and the instruments it owns."""

    registry: CollectorRegistry
    latency: Histogram
    proposals: Gauge
    outbox_pending: Gauge


METRICS = web.AppKey("metrics", Metrics)


def new_metrics() -> Metrics:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    latency = Histogram("jianyi_http_request_duration_seconds", "Time to answer a request, by route pattern.",
                        ["route", "method", "status"], buckets=LATENCY_BUCKETS, registry=registry)
    proposals = Gauge("jianyi_proposals", "Proposals by state.", ["state"], registry=registry)
    pending = Gauge("jianyi_outbox_pending", "Notifications not yet handed to Redis.", registry=registry)
    return Metrics(registry, latency, proposals, pending)


def count_notifications(app: web.Application, counters) -> None:
    """This process's notifier counters (notify.pipeline.Counters) on the app's /metrics."""
    app[METRICS].registry.register(counters)


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
    # Only this computer asking directly: a request that came through a proxy is refused whoever sent it.
    return is_loopback(client_address(request)) and not any(h in request.headers for h in PROXY_HEADERS)


async def _count_rows(db: Database, metrics: Metrics) -> None:
    async with db.read() as session:
        states = (await session.execute(select(Proposal.state, func.count()).group_by(Proposal.state))).all()
        pending = (await session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.relayed_at.is_(None)))).scalar_one()
    metrics.proposals.clear()  # a state no proposal is in any more drops out
    for state, n in states:
        metrics.proposals.labels(state=state).set(n)
    metrics.outbox_pending.set(pending)


async def metrics(request: web.Request) -> web.Response:
    if not _may_read_metrics(request):
        return web.Response(status=403, text="无权读取运行指标：只能在本机读取，或设置 server.metrics_token 后凭令牌读取。\n",
                            content_type="text/plain", charset="utf-8")
    found = request.app[METRICS]
    try:
        await _count_rows(request.app[DB], found)
    except (SQLAlchemyError, OSError) as exc:  # like /healthz: the error goes to the log only
        log.warning("metrics: database unavailable: %s", exc)
        return web.Response(status=503, text="数据库不可用，暂时无法给出运行指标。\n", content_type="text/plain",
                            charset="utf-8")
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encode(found.registry),
                        headers={"Content-Type": content_type, "X-Content-Type-Options": "nosniff"})


def _route_of(request: web.Request) -> str:
    """The route's pattern ("/u/{token}"), never the path itself: tokens in links must not become labels."""
    resource = getattr(request.match_info.route, "resource", None)
    return resource.canonical if resource is not None else "unmatched"


def _timer(latency: Histogram):
    @web.middleware
    async def timed(request: web.Request, handler):
        started, status = time.perf_counter(), 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = 499  # the client went away first (nginx's word for it)
            raise
        finally:
            method = request.method if request.method in METHODS else "other"
            latency.labels(route=_route_of(request), method=method, status=str(status)).observe(
                time.perf_counter() - started)

    return timed


def trusted_networks(proxies: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """server.trusted_proxies as networks; a wrong entry is a settings error naming it."""
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy.strip(), strict=False))
        except ValueError:
            raise SettingsError(f"server.trusted_proxies 中的“{proxy}”不是 IP 地址或网段（如 127.0.0.1、10.0.0.0/8）。"
                                f" / server.trusted_proxies: {proxy!r} is not an address or network.") from None
    return networks


def _among(networks, address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:  # a Unix socket's peer has no address
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class _ForwardedForAndProto(XForwardedFiltered):
    """aiohttp-remotes' reader of X-Forwarded-For/-Proto: the client is the last address no trusted proxy
    holds. The Host stays the proxy's own (nginx passes a client's X-Forwarded-Host through untouched)."""

    def get_forwarded_host(self, headers) -> list[str]:
        return []


def _forwarded(proxies: tuple[str, ...]):
    networks = trusted_networks(proxies)
    reader = _ForwardedForAndProto(networks)

    @web.middleware
    async def from_trusted_proxies(request: web.Request, handler):
        if hdrs.X_FORWARDED_FOR not in request.headers or not _among(networks, request.remote):
            return await handler(request)  # not through our proxy: its own peer, whatever it claims
        try:
            reader.get_forwarded_for(request.headers)
            reader.get_forwarded_proto(request.headers)
        except (web.HTTPBadRequest, RemoteError):
            return web.Response(status=400, text="请求头 X-Forwarded-For / X-Forwarded-Proto 不正确。\n",
                                content_type="text/plain", charset="utf-8")
        return await reader.middleware(request, handler)

    return from_trusted_proxies


def instrument(app: web.Application, settings: Settings) -> None:
    """The app's own metrics registry, and outermost the request timer, then (behind trusted proxies) the
    forwarded headers' reader: every later middleware and handler sees the client's address."""
    app[METRICS] = new_metrics()
    outer = [_timer(app[METRICS].latency)]
    if settings.server.trusted_proxies:
        outer.append(_forwarded(settings.server.trusted_proxies))
    app.middlewares[0:0] = outer


async def serve_worker_metrics(settings: Settings, db: Database, counters) -> web.AppRunner | None:
    """`serve --role worker`'s /metrics on 127.0.0.1:server.metrics_port (None when 0, or the port is taken:
    the worker's work matters more than its figures)."""
    port = settings.server.metrics_port
    if not port:
        return None
    app = web.Application()
    app[SETTINGS], app[DB], app[METRICS] = settings, db, new_metrics()
    count_notifications(app, counters)
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    except (OSError, OverflowError) as exc:
        await runner.cleanup()
        log.warning("运行指标无法在 127.0.0.1:%s 上提供（%s），通知进程照常工作。/ worker metrics not served", port, exc)
        return None
    return runner


async def home(request: web.Request) -> web.Response:
    """The front page: where staff, supervisors, the public and (in the demo) deputies go."""
    simulator = any(getattr(r, "canonical", None) == "/simulator" for r in request.app.router.resources())
    return aiohttp_jinja2.render_template("home.html", request, {"simulator": simulator})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
