"""`serve`: the web application, the notification worker and the anchoring beside them."""
from __future__ import annotations

import asyncio
import sys
from dataclasses import replace

from cli import open_database
from workflow.settings import ServerSettings, Settings, SettingsError, exposure_problems


def build_app(settings: Settings, engine, notifications: bool = False, demo: bool = False,
              reply_budget: float | None = None):
    """The whole web application: JSON API, unit links and pages (web/), the bot (bot/, answering within
    `reply_budget` seconds, WeChat's 4 unless a test says otherwise), and with
    `notifications` the relay, senders and deadline scheduler (notify/) running alongside; with
    `demo` the /simulator page that plays a deputy on WeChat and the stand-in for WeChat's API that
    receives the demo's notifications (never mounted otherwise)."""
    from bot.routes import setup as setup_webhook
    from web.app import init_app

    app = init_app(settings, engine)
    if reply_budget is None:
        setup_webhook(app, settings, engine)
    else:
        setup_webhook(app, settings, engine, budget=reply_budget)
    if demo:
        from web.demo_wechat import setup_routes as stand_in_routes
        from web.simulator import setup_routes as simulator_routes
        simulator_routes(app)
        stand_in_routes(app)
    if notifications:
        app.cleanup_ctx.append(_notifier_ctx(settings, engine, relay=True, scheduler=True))
        app.cleanup_ctx.append(_anchor_ctx(settings, engine.db))
    return app


def _anchor_ctx(settings: Settings, db):
    """The server's anchors (workflow/usecases/anchoring.py), every audit.anchor_interval_seconds."""
    from workflow.usecases.anchoring import keep_anchoring

    async def run_anchoring(_app):
        stop = asyncio.Event()
        task = None
        if settings.audit.anchor_interval_seconds:
            task = asyncio.create_task(keep_anchoring(db, settings.audit_anchor_dir(),
                                                      settings.audit.anchor_interval_seconds, stop))
        yield
        stop.set()
        if task is not None:
            await task

    return run_anchoring


def _notifier_ctx(settings: Settings, engine, **kwargs):
    from notify.runner import Notifier

    async def run_notifier(_app):
        from web.system import count_notifications

        notifier = Notifier(engine.db, settings, clock=engine.clock, **kwargs)
        await notifier.start()
        count_notifications(_app, notifier.counters)  # on this app's /metrics
        yield
        await notifier.stop()

    return run_notifier


async def run_worker(settings: Settings) -> None:
    """`serve --role worker`: relay, senders, scheduler and export jobs without the web server, until SIGTERM/SIGINT."""
    import signal

    from notify.runner import Notifier
    from web.system import serve_worker_metrics
    from workflow.usecases.anchoring import keep_anchoring

    db = await open_database(settings)
    notifier = Notifier(db, settings)
    await notifier.start()
    metrics = await serve_worker_metrics(settings, db, notifier.counters)  # 127.0.0.1:server.metrics_port, if set
    stop = asyncio.Event()
    anchoring = asyncio.create_task(keep_anchoring(db, settings.audit_anchor_dir(),
                                                   settings.audit.anchor_interval_seconds, stop)) \
        if settings.audit.anchor_interval_seconds else None
    from web.dashboard.exports import export_runner

    exports = export_runner(db, settings)  # large .xlsx exports, each in a process of its own
    exporting = asyncio.create_task(exports.run())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("通知进程已启动。/ notification worker started.", flush=True)
    await stop.wait()
    exports.stop()
    await exporting
    if anchoring is not None:
        await anchoring
    if metrics is not None:
        await metrics.cleanup()
    await notifier.stop()
    await db.dispose()


def cmd_serve(settings: Settings, args) -> int:
    from aiohttp import web as aioweb

    from workflow.engine.engine import Engine

    host, port = args.host or settings.server.host, args.port or settings.server.port
    from web.system import trusted_networks

    try:
        trusted_networks(settings.server.trusted_proxies)  # a wrong address is said here, not in a traceback
    except SettingsError as exc:
        print(f"设置错误 / settings error: {exc}", file=sys.stderr)
        return 2
    problems = exposure_problems(settings, "127.0.0.1" if args.role == "worker" else host)
    if problems:  # a shipped or short secret would let anyone forge links, sessions and WeChat messages
        for problem in problems:
            print(f"设置错误 / settings error: {problem}", file=sys.stderr)
        return 2
    if args.demo:  # no WeChat app of its own: the demo's messages go to the stand-in this server carries
        from workflow.demo.wechat import demo_settings
        settings = demo_settings(settings, host, port)
    if args.role == "worker":
        asyncio.run(run_worker(settings))
        return 0
    if (args.host or args.port) and settings.server.public_url == ServerSettings().public_url:
        # Links in messages and pages must point where this server really listens.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        settings = replace(settings, server=replace(settings.server, public_url=f"http://{shown}:{port}"))

    async def build():
        db = await open_database(settings)
        engine = Engine(db, settings)
        if args.demo:
            from workflow.demo.seed import seed_demo
            seeded = await seed_demo(engine)
            if seeded:
                print(seeded, flush=True)
        app = build_app(settings, engine, notifications=args.role == "all", demo=args.demo)
        from web.app import enable_index_backfill

        enable_index_backfill(app)  # proposals and replies older than the indexes, in the background
        from web.dashboard.jobs import run_from_start

        run_from_start(app)  # export jobs queued before a restart are taken up at once

        async def close_db(_app):
            await db.dispose()

        app.on_cleanup.append(close_db)
        return app

    print(f"代表建议办理系统正在启动：{settings.server.public_url}（监听 {host}:{port}）", flush=True)
    try:
        aioweb.run_app(build(), host=host, port=port, print=None, access_log=None)
    except OSError as exc:
        print(f"无法在 {host}:{port} 上启动：{exc.strerror or exc}。端口可能已被占用，"
              f"请关闭占用它的程序或用 --port 换一个端口。 / cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    return 0
