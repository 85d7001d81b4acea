"""WeChat web OAuth (网页授权, snsapi_base): which WeChat user opened a page, without asking them.

The page sends the browser to `wechat.oauth_authorize_url`; WeChat sends it back to `redirect_uri`
with a one-time `code`, which the server exchanges for the user's openid at WeChat's API
(`sns/oauth2/access_token`, beside `cgi-bin/` under `wechat.api_base_url`). snsapi_base shows the
user nothing and needs no consent; it only works inside WeChat.
"""
from __future__ import annotations

from urllib.parse import urlencode

import aiohttp

from workflow.settings import WechatSettings

TIMEOUT = aiohttp.ClientTimeout(total=5)


class OAuthFailed(Exception):
    """WeChat did not give an openid for the code (expired, used twice, wrong app...)."""


def authorize_url(wechat: WechatSettings, redirect_uri: str, state: str) -> str:
    query = urlencode({"appid": wechat.app_id, "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": "snsapi_base", "state": state})
    return f"{wechat.oauth_authorize_url}?{query}#wechat_redirect"


def sns_base(wechat: WechatSettings) -> str:
    """Where the sns/ endpoints live: `https://api.weixin.qq.com/` for `.../cgi-bin/`."""
    base = wechat.api_base_url.rstrip("/")
    return (base[:-len("/cgi-bin")] if base.endswith("/cgi-bin") else base) + "/"


async def openid_for_code(wechat: WechatSettings, code: str) -> str:
    """Exchange an OAuth `code` for the openid of the user who came back with it."""
    params = {"appid": wechat.app_id, "secret": wechat.app_secret, "code": code, "grant_type": "authorization_code"}
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            async with http.get(sns_base(wechat) + "sns/oauth2/access_token", params=params) as response:
                body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise OAuthFailed(f"无法连接微信：{exc}") from None
    openid = body.get("openid") if isinstance(body, dict) else None
    if not isinstance(openid, str) or not openid:
        raise OAuthFailed(f"微信未返回用户身份：{body.get('errcode') if isinstance(body, dict) else body}")
    return openid
