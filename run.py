"""The one entry point: `python run.py <command>`.

    serve [--demo] [--role all|web|worker]   start the product (creates or upgrades the database)
    db upgrade                               create or upgrade the database
    user add NAME --role ROLE [--password P] create an account; prints its API token
    user passwd NAME [--password P]          set a new password (asked for when not given); lifts a lockout
    user disable NAME                        switch an account off (no sign-in, no API token)
    user enable NAME                         switch it back on (and clear a lockout)
    import deputies|units FILE               import a roster from .csv or .xlsx (all rows or none)
    workflow diagram                         print the workflow diagram (Markdown with Mermaid)
    audit verify [--receipt LINE]            check the chains, the newest anchor and the tables against the log
    audit receipt                            check, then write an anchor and print it as a receipt to keep
    chat --openid ID [--url URL]             play a WeChat user against a running server's /wechat
    wechat menu                              push the custom menu (提建议 / 我的建议 / 帮助)
    deputies codes [--number N] [--all] [--csv FILE]   one-time binding codes for deputies
    secret                                   print a new random secret (server.secret_key, wechat.token)
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from storage.audit_files import KeyFileError  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from workflow.domain.clock import configure as configure_clock  # noqa: E402
from workflow.engine.sealing import WrongKey  # noqa: E402
from workflow.errors import USER_ERRORS  # noqa: E402
from workflow.settings import ServerSettings, Settings, SettingsError, exposure_problems, load_settings, new_secret  # noqa: E402

log = logging.getLogger("jianyi")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description="代表建议办理系统 / deputy proposal handling")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="启动系统 / start the product")
    serve.add_argument("--demo", action="store_true", help="空数据库时写入演示数据 / seed the demo on an empty database")
    serve.add_argument("--role", choices=["all", "web", "worker"], default="all")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    db = commands.add_parser("db", help="数据库 / database")
    db.add_argument("action", choices=["upgrade"])

    user = commands.add_parser("user", help="账号 / accounts")
    user.add_argument("action", choices=["add", "passwd", "disable", "enable"])
    user.add_argument("name")
    user.add_argument("--role", choices=["admin", "staff", "supervisor", "viewer"], help="add 时必填")
    user.add_argument("--password")
    user.add_argument("--display-name", default="")

    imp = commands.add_parser("import", help="导入名册 / import a roster")
    imp.add_argument("kind", choices=["deputies", "units"])
    imp.add_argument("file")

    commands.add_parser("secret", help="生成一个随机密钥 / print a new random secret")

    wf = commands.add_parser("workflow", help="流程 / workflow")
    wf.add_argument("action", choices=["diagram"])

    audit = commands.add_parser("audit", help="审计 / audit")
    audit.add_argument("action", choices=["verify", "receipt"])
    audit.add_argument("--receipt", help="核对一行保存的回执 / check a kept receipt line")

    chat = commands.add_parser("chat", help="在终端里扮演微信用户 / play a WeChat user in the terminal")
    chat.add_argument("--openid", required=True)
    chat.add_argument("--url", help="/wechat 的地址，默认 server.public_url + /wechat")

    wechat = commands.add_parser("wechat", help="微信公众号 / WeChat account")
    wechat.add_argument("action", choices=["menu"])

    deputies = commands.add_parser("deputies", help="代表 / deputies")
    deputies.add_argument("action", choices=["codes"])
    deputies.add_argument("--number", action="append", help="只为这些代表证号发码（可多次）")
    deputies.add_argument("--all", action="store_true", help="已绑定的代表也重新发码")
    deputies.add_argument("--csv", help="同时写入 CSV 文件")
    return parser


async def open_database(settings: Settings) -> Database:
    """Create or upgrade the database, with the chain key; check the key is the log's own and seal the
    chains written before it (once, after upgrading; an anchor records the seal)."""
    from workflow.engine.keys import chain_key_for
    from workflow.engine.sealing import prepare_chain
    from workflow.usecases.anchoring import write_anchor

    await asyncio.to_thread(upgrade, settings.database_url())
    db = Database(settings.database_url(), chain_key=chain_key_for(settings))
    try:
        sealed = await prepare_chain(db)
        if sealed is not None:
            print(sealed.text(), file=sys.stderr)
            await write_anchor(db, settings.audit_anchor_dir(), force=True)
    except BaseException:
        await db.dispose()
        raise
    return db


async def _with_db(settings: Settings, job):
    db = await open_database(settings)
    try:
        return await job(db)
    finally:
        await db.dispose()


def cli_actor():
    """Who acts from the command line: the operating-system account running run.py."""
    import getpass

    from workflow.domain.rules import Actor

    login = getpass.getuser()
    return Actor("cli", login, f"命令行（{login}）")


def build_app(settings: Settings, engine, notifications: bool = False, demo: bool = False):
    """The whole web application: JSON API, unit links and pages (web/), the bot (bot/), and with
    `notifications` the relay, senders and deadline scheduler (notify/) running alongside; with
    `demo` the /simulator page that plays a deputy on WeChat and the stand-in for WeChat's API that
    receives the demo's notifications (never mounted otherwise)."""
    from bot.routes import setup as setup_webhook
    from web.app import init_app

    app = init_app(settings, engine)
    setup_webhook(app, settings, engine)
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
        notifier = Notifier(engine.db, settings, clock=engine.clock, **kwargs)
        await notifier.start()
        yield
        await notifier.stop()

    return run_notifier


async def run_worker(settings: Settings) -> None:
    """`serve --role worker`: relay, senders and scheduler without the web server, until SIGTERM/SIGINT."""
    import signal

    from notify.runner import Notifier
    from workflow.usecases.anchoring import keep_anchoring

    db = await open_database(settings)
    notifier = Notifier(db, settings)
    await notifier.start()
    stop = asyncio.Event()
    anchoring = asyncio.create_task(keep_anchoring(db, settings.audit_anchor_dir(),
                                                   settings.audit.anchor_interval_seconds, stop)) \
        if settings.audit.anchor_interval_seconds else None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("通知进程已启动。/ notification worker started.", flush=True)
    await stop.wait()
    if anchoring is not None:
        await anchoring
    await notifier.stop()
    await db.dispose()


def cmd_serve(settings: Settings, args) -> int:
    from aiohttp import web as aioweb

    from workflow.engine.engine import Engine

    host, port = args.host or settings.server.host, args.port or settings.server.port
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


def cmd_user(settings: Settings, args) -> int:
    from workflow.usecases.accounts import add_user, disable_user, enable_user, set_password

    if args.action == "passwd":
        password = args.password if args.password is not None else _ask_password()
        asyncio.run(_with_db(settings, lambda db: set_password(db, args.name, password)))
        print(f"已为用户 {args.name} 设置新密码；该用户已登录的页面需要重新登录。")
        return 0
    if args.action == "disable":
        asyncio.run(_with_db(settings, lambda db: disable_user(db, args.name)))
        print(f"已停用用户 {args.name}：不能再登录，API 令牌也已失效。")
        return 0
    if args.action == "enable":
        asyncio.run(_with_db(settings, lambda db: enable_user(db, args.name)))
        print(f"已启用用户 {args.name}，可以重新登录（原有 API 令牌恢复有效）。")
        return 0
    if not args.role:
        print("错误：创建用户须用 --role 指定角色（admin、staff、supervisor 或 viewer）。", file=sys.stderr)
        return 2
    new = asyncio.run(_with_db(settings, lambda db: add_user(db, args.name, args.role, args.password,
                                                             args.display_name)))
    print(f"已创建用户 {new.user.username}（{new.user.role}）。API 令牌（只显示这一次）：", file=sys.stderr)
    print(new.token)
    return 0


def _ask_password() -> str:
    import getpass

    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise SystemExit("两次输入的密码不一致，没有更改。")
    return first


def cmd_import(settings: Settings, args) -> int:
    from workflow.usecases.roster_import import import_file

    report = asyncio.run(_with_db(settings, lambda db: import_file(db, args.kind, Path(args.file),
                                                                   actor=cli_actor())))
    print(report.text())
    return 0 if report.ok else 1


def cmd_audit(settings: Settings, args) -> int:
    """`audit verify` (and an anchor when it passes) or `audit receipt` (verify, anchor, print)."""
    from workflow.domain.anchors import receipt_text
    from workflow.usecases.anchoring import AnchorRefused, check_receipt, write_anchor
    from workflow.usecases.audit import verify_all

    folder = settings.audit_anchor_dir()

    async def job(db):
        report = await verify_all(db, folder)
        kept = check_receipt(folder, db.chain_key, args.receipt) if args.receipt else []
        anchor = None
        if report.ok and not kept:
            try:
                anchor = await write_anchor(db, folder, force=args.action == "receipt")
            except AnchorRefused as refused:  # the chains moved under a concurrent writer since verify read them
                kept += refused.problems
        return report, kept, anchor

    report, kept, anchor = asyncio.run(_with_db(settings, job))
    counted = f"{report.proposals} 件建议、{report.events} 个事件、{report.system_events} 个系统事件"
    if report.problems or kept:
        for problem in report.problems:
            print(problem)
        for problem in kept:
            print(f"回执：{problem}")
        print(f"审计失败：{len(report.problems) + len(kept)} 处问题（共检查 {counted}），未写入新回执。"
              " / audit FAILED", file=sys.stderr)
        return 1
    compared = f"已与{report.anchor.label}核对" if report.anchor else "尚无回执可核对（第一次核对）"
    print(f"审计通过：{report.proposals} 件建议的事件链完整，数据表与事件一致；{compared}。"
          f"（{counted}） / audit OK")
    if args.receipt:
        print("保存的回执与回执记录一致。 / the kept receipt is genuine and on record.")
    if args.action == "receipt":
        print(receipt_text(anchor))
    elif anchor is not None and anchor.number != (report.anchor.number if report.anchor else None):
        print(f"已写入{anchor.label}。 / anchor {anchor.number} written.")
    return 0


CHAT_HELP = "输入文字发送；/菜单 PROPOSE|MY_PROPOSALS|HELP 点菜单；/图片 [URL] 发图片；/关注 关注；/退出 结束。"


def cmd_chat(settings: Settings, args) -> int:
    """A terminal WeChat user: each line goes to /wechat exactly as WeChat's servers would send it."""
    import aiohttp

    from web.simulator import SimulatorError, WechatUser

    url = args.url or settings.server.public_url.rstrip("/") + "/wechat"
    user = WechatUser(url, settings.wechat)

    async def converse():
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            print(f"正在以 {args.openid} 的身份对话（{url}）。{CHAT_HELP}", flush=True)
            for line in sys.stdin:
                line = line.strip()
                if not line:
                    continue
                if line in ("/退出", "/quit", "/exit"):
                    break
                kind, value = _chat_input(line)
                try:
                    reply = await user.send(http, args.openid, kind, value)
                except (SimulatorError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    print(f"（发送失败：{exc}）", flush=True)
                    continue
                print(f"公众号：{reply}" if reply is not None else "（公众号没有立即回复，稍后会以消息通知）", flush=True)

    asyncio.run(converse())
    return 0


def _chat_input(line: str) -> tuple[str, str]:
    for prefix, kind in (("/菜单", "click"), ("/click", "click"), ("/图片", "image"), ("/image", "image"),
                         ("/关注", "subscribe")):
        if line.startswith(prefix):
            return kind, line[len(prefix):].strip()
    return "text", line


def cmd_wechat_menu(settings: Settings, args) -> int:
    from bot.menu import MenuError, push_menu

    try:
        answer = asyncio.run(push_menu(settings.wechat))
    except MenuError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"菜单已推送（提建议 / 我的建议 / 帮助）。微信返回：{answer.get('errmsg', 'ok')}")
    return 0


def _csv_text(value: str) -> str:
    """A roster's text as a CSV cell that Excel and WPS show as text: a leading = + - @ (or a tab or
    carriage return) would make the cell a formula, so it is written after an apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def cmd_deputy_codes(settings: Settings, args) -> int:
    import csv

    from workflow.usecases.binding import binding_codes

    issued = asyncio.run(_with_db(settings, lambda db: binding_codes(db, args.number, args.all, cli_actor())))
    print("代表证号\t姓名\t绑定码\t有效期至")
    for number, name, code, expires in issued:
        print(f"{number}\t{name}\t{code}\t{expires:%Y-%m-%d %H:%M}")
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["代表证号", "姓名", "绑定码", "有效期至（UTC）"])
            writer.writerows([(_csv_text(n), _csv_text(name), c, f"{e:%Y-%m-%d %H:%M}") for n, name, c, e in issued])
    print(f"共发出 {len(issued)} 个绑定码。代表向公众号发送“绑定 绑定码”即可绑定；每个码只能用一次。", file=sys.stderr)
    return 0


def cmd_secret() -> int:
    secret = new_secret()
    print(secret)
    print("把它写入设置文件（[server] secret_key = \"...\" 或 [wechat] token = \"...\"，两者各用一个），"
          "或环境变量 JIANYI_SERVER_SECRET_KEY / JIANYI_WECHAT_TOKEN。微信公众号后台“服务器配置”中的令牌(Token)"
          "须与 wechat.token 相同。 / Put it in the settings file (one for server.secret_key, another for"
          " wechat.token) or in JIANYI_SERVER_SECRET_KEY / JIANYI_WECHAT_TOKEN.", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "transitions"):  # their INFO lines drown what operators need to see
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command == "workflow":
        from workflow.domain.diagram import markdown
        print(markdown())
        return 0
    if args.command == "secret":
        return cmd_secret()
    try:
        settings = load_settings()
        configure_clock(settings.server.timezone)  # the one clock: every date is a date in this zone
    except SettingsError as exc:
        print(f"设置错误 / settings error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "serve":
            return cmd_serve(settings, args)
        if args.command == "db":
            asyncio.run(_with_db(settings, _nothing))
            print("数据库已是最新。 / database is up to date.")
            return 0
        if args.command == "user":
            return cmd_user(settings, args)
        if args.command == "import":
            return cmd_import(settings, args)
        if args.command == "audit":
            return cmd_audit(settings, args)
        if args.command == "chat":
            return cmd_chat(settings, args)
        if args.command == "wechat":
            return cmd_wechat_menu(settings, args)
        if args.command == "deputies":
            return cmd_deputy_codes(settings, args)
    except USER_ERRORS as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    except (WrongKey, KeyFileError) as exc:
        print(f"审计密钥错误 / audit key error: {exc}", file=sys.stderr)
        return 2
    return 2


async def _nothing(_db) -> None:
    return None


if __name__ == "__main__":
    sys.exit(main())
