"""`python run.py wechat menu`: push the custom menu (提建议 / 我的建议 / 帮助) through WeChat's API.

Two calls at `wechat.api_base_url`, made with aiohttp (wechatpy's client fetches its token from a
hard-coded URL and has no timeout): `stable_token` (which does not invalidate the token the
notification workers hold) and `menu/create`. An invalid or expired token is refreshed once; "system
busy" and HTTP 5xx are retried a few times with backoff; anything else is reported as is.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from workflow.settings import WechatSettings

from .commands import MENU

TIMEOUT = aiohttp.ClientTimeout(total=10)
INVALID_TOKEN = {40001, 40014, 42001}
BUSY = -1
ATTEMPTS = 4


class MenuError(Exception):
    """The menu could not be pushed; the message is Chinese and names WeChat's error code."""


def menu_body() -> dict[str, Any]:
    return {"button": [{"type": "click", "name": word, "key": key} for word, key in MENU]}


async def push_menu(settings: WechatSettings, backoff: float = 0.5) -> dict[str, Any]:
    """Create the menu; returns WeChat's answer ({"errcode": 0, ...}) or raises MenuError."""
    if not settings.app_id or not settings.app_secret:
        raise MenuError("请先在设置中填写 wechat.app_id 和 wechat.app_secret。")
    base = settings.api_base_url.rstrip("/") + "/"
    # WeChat shows \\uXXXX escapes literally in menu names: send the UTF-8 characters themselves.
    body = json.dumps(menu_body(), ensure_ascii=False).encode("utf-8")
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        token = await _token(http, base, settings, force=False, backoff=backoff)
        refreshed = False
        for attempt in range(ATTEMPTS):
            answer = await _call(http, "POST", f"{base}menu/create", params={"access_token": token}, data=body)
            code = answer.get("errcode", 0)
            if code == 0:
                return answer
            if code in INVALID_TOKEN and not refreshed:
                token, refreshed = await _token(http, base, settings, force=True, backoff=backoff), True
            elif code == BUSY or code == "http":
                await asyncio.sleep(backoff * 2 ** attempt)
            else:
                break
    raise MenuError(f"推送菜单失败：微信返回 {answer.get('errcode')} {answer.get('errmsg', '')}".strip())


async def _token(http: aiohttp.ClientSession, base: str, settings: WechatSettings, force: bool,
                 backoff: float) -> str:
    request = {"grant_type": "client_credential", "appid": settings.app_id, "secret": settings.app_secret,
               "force_refresh": force}
    for attempt in range(ATTEMPTS):
        answer = await _call(http, "POST", f"{base}stable_token", json=request)
        if answer.get("access_token"):
            return answer["access_token"]
        if answer.get("errcode") not in (BUSY, "http"):
            break
        await asyncio.sleep(backoff * 2 ** attempt)
    raise MenuError(f"获取 access_token 失败：微信返回 {answer.get('errcode')} {answer.get('errmsg', '')}".strip())


async def _call(http: aiohttp.ClientSession, method: str, url: str, **kwargs) -> dict[str, Any]:
    """WeChat's JSON answer; transport failures and HTTP errors come back as errcode "http"."""
    try:
        async with http.request(method, url, **kwargs) as response:
            if response.status >= 500:
                return {"errcode": "http", "errmsg": f"HTTP {response.status}"}
            answer = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return {"errcode": "http", "errmsg": f"{type(exc).__name__}: {exc}"}
    return answer if isinstance(answer, dict) else {"errcode": "http", "errmsg": "not a JSON object"}
