"""`user`, `import` and `deputies codes`: accounts, rosters and binding codes."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from cli import _with_db, cli_actor
from workflow.settings import Settings


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
