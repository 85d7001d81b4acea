"""The one entry point: `jianyi <command>` once installed (`pip install .`), `python run.py <command>` in a
checkout.

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
    report session ID [--out FILE]           write the draft of a session's 办理情况报告 (.docx); prints its path
    rules show                               the rules in force (deadlines, switches) and where each value came from
    chat --openid ID [--url URL]             play a WeChat user against a running server's /wechat
    wechat menu                              push the custom menu (提建议 / 我的建议 / 帮助)
    deputies codes [--number N] [--all] [--csv FILE]   one-time binding codes for deputies
    secret                                   print a new random secret (server.secret_key, wechat.token)
    facts check|rebuild                      the dashboard's facts rows against the records (rebuild: write stale ones first)
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from cli import _with_db
from cli.accounts import cmd_deputy_codes, cmd_import, cmd_user
from cli.audit import cmd_audit
from cli.facts import cmd_facts
from cli.report import cmd_report
from cli.rules import cmd_rules
from cli.serve import cmd_serve
from cli.wechat import cmd_chat, cmd_secret, cmd_wechat_menu
from storage.audit_files import KeyFileError
from workflow.domain.clock import configure as configure_clock
from workflow.domain.words import configure as configure_words
from workflow.engine.sealing import WrongKey
from workflow.errors import USER_ERRORS
from workflow.settings import SettingsError, load_settings

log = logging.getLogger("jianyi")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jianyi", description="代表建议办理系统 / deputy proposal handling")
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

    facts = commands.add_parser("facts", help="统计数据核对 / the dashboard's facts against the records")
    facts.add_argument("action", choices=["check", "rebuild"])

    rules = commands.add_parser("rules", help="办理规则 / the rules in force")
    rules.add_argument("action", choices=["show"])

    report = commands.add_parser("report", help="报告草稿 / report drafts")
    report.add_argument("what", choices=["session"])
    report.add_argument("id", help="届次会议的编号 / the session's id")
    report.add_argument("--out", help="写入这个文件（默认 <data_dir>/reports/）")

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
        configure_words(settings.names)  # the county's words for its bodies (代表工委, 协办...)
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
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "facts":
            return cmd_facts(settings, args)
        if args.command == "report":
            return cmd_report(settings, args)
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
