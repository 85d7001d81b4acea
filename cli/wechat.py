"""`chat` (a terminal WeChat user), `wechat menu` and `secret`."""
from __future__ import annotations

import asyncio
import sys

from workflow.settings import Settings, new_secret

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


def cmd_secret() -> int:
    secret = new_secret()
    print(secret)
    print("把它写入设置文件（[server] secret_key = \"...\" 或 [wechat] token = \"...\"，两者各用一个），"
          "或环境变量 JIANYI_SERVER_SECRET_KEY / JIANYI_WECHAT_TOKEN。微信公众号后台“服务器配置”中的令牌(Token)"
          "须与 wechat.token 相同。 / Put it in the settings file (one for server.secret_key, another for"
          " wechat.token) or in JIANYI_SERVER_SECRET_KEY / JIANYI_WECHAT_TOKEN.", file=sys.stderr)
    return 0
