"""/simulator (demo mode only): play a deputy on WeChat from a browser, without a WeChat account.

The page's script posts to /simulator/send; the handler turns that into exactly what WeChat's servers
send (signed; encrypted when `wechat.encoding_aes_key` is set), posts it over HTTP to this server's
/wechat, and returns the reply it decrypted and checked. It never imports bot/: like WeChat, it only
knows the protocol. `python run.py chat` uses the same `WechatUser` from a terminal.

What each user sees is kept in the demo's chat log (workflow/demo/wechat.py): what the page said and
the bot answered, and what the sender pushed through the demo's WeChat stand-in (web/demo_wechat.py).
The page reads it from /simulator/messages, so pushed notifications appear in the chat in time order
with the bot's answers, their links clickable.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import re
import time
from typing import Any, Optional
from xml.parsers.expat import ExpatError

import aiohttp
import aiohttp_jinja2
import xmltodict
from aiohttp import web
from sqlalchemy import select
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from storage.models import Deputy, Unit, UnitLiaison, User
from web.forms import json_object
from web.keys import DB, SETTINGS
from workflow.demo import wechat as demo_wechat
from workflow.demo.seed import is_demo_deputy
from workflow.domain.rules import Actor
from workflow.errors import InvalidInput
from workflow.settings import WechatSettings
from workflow.usecases import binding

ACCOUNT = "gh_simulator00"
# The keys of the custom menu as pushed by `run.py wechat menu` (what WeChat sends on a click).
MENU = [("提建议", "PROPOSE"), ("我的建议", "MY_PROPOSALS"), ("帮助", "HELP")]
# Quick words a deputy sends by one click (label, text): collecting a citizen's opinion, and the ones waiting.
DEPUTY_WORDS = [("收集意见", "收集意见 东门社区路口的路灯坏了一个多月，晚上出行不安全\n群众：刘阿姨\n渠道：走访"),
                ("群众意见", "群众意见")]
SAMPLE_PICTURE = "https://mmbiz.qpic.cn/simulator/sample.jpg"
_OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LINK = re.compile(r'<a href="(https?://[^"<>\s]+)">([^<]*)</a>|(https?://[^\s<>"]+)')
SIMULATOR = Actor("system", "simulator", "演示模拟器")
WHO = {"said": "me", "answer": "bot", "custom": "push", "template": "push"}
_msg_ids = itertools.count(random.randrange(10**17, 10**18))


def _signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class SimulatorError(Exception):
    """The server did not answer as WeChat expects (the message says how)."""


class WechatUser:
    """One WeChat user's messages to the /wechat at `url`, as WeChat's servers deliver them."""

    def __init__(self, url: str, settings: WechatSettings, account: str = ACCOUNT):
        self.url, self.token, self.account = url, settings.token, account
        self.app_id = settings.app_id
        self.crypto = (WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id)
                       if settings.encoding_aes_key else None)

    def message(self, openid: str, kind: str, value: str = "") -> str:
        """The XML of a text, a menu click (value = key), a subscription or a photo (value = picture URL)."""
        head = (f"<ToUserName>{_cdata(self.account)}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime>")
        if kind == "click":
            body = f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey>{_cdata(value)}</EventKey>"
        elif kind == "subscribe":
            body = "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey>"
        elif kind == "image":
            media = f"sim-{random.randrange(10**9)}"
            body = (f"<MsgType><![CDATA[image]]></MsgType><PicUrl>{_cdata(value or SAMPLE_PICTURE)}</PicUrl>"
                    f"<MediaId>{_cdata(media)}</MediaId><MsgId>{next(_msg_ids)}</MsgId>")
        else:
            body = f"<MsgType><![CDATA[text]]></MsgType><Content>{_cdata(value)}</Content><MsgId>{next(_msg_ids)}</MsgId>"
        return f"<xml>{head}{body}</xml>"

    async def send(self, http: aiohttp.ClientSession, openid: str, kind: str = "text", value: str = "") -> Optional[str]:
        """Deliver one message; the reply text, or None when the server answered "success"."""
        timestamp, nonce = str(int(time.time())), str(random.randrange(10**8, 10**10))
        query = {"signature": _signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                 "openid": openid}
        xml = self.message(openid, kind, value)
        if self.crypto is not None:
            encrypt = PrpCrypto(self.crypto.key).encrypt(xml, self.app_id).decode()
            query.update(encrypt_type="aes", msg_signature=_signature(self.token, timestamp, nonce, encrypt))
            xml = f"<xml><ToUserName>{_cdata(self.account)}</ToUserName><Encrypt>{_cdata(encrypt)}</Encrypt></xml>"
        async with http.post(self.url, params=query, data=xml.encode("utf-8"),
                             headers={"Content-Type": "text/xml"}) as response:
            body = await response.text()
            if response.status != 200:
                raise SimulatorError(f"服务器拒绝了消息（HTTP {response.status}：{body[:200]}）")
        if body in ("success", ""):
            return None
        return self._open(body)

    def _open(self, body: str) -> str:
        try:
            root = xmltodict.parse(body)["xml"]
            if self.crypto is not None:
                if not hmac.compare_digest(_signature(self.token, root["TimeStamp"], root["Nonce"], root["Encrypt"]),
                                           root["MsgSignature"]):
                    raise SimulatorError("回复的签名不正确。")
                plain = self.crypto.decrypt_message(root, root["MsgSignature"], root["TimeStamp"], root["Nonce"])
                root = xmltodict.parse(plain)["xml"]
        except (ExpatError, ValueError, KeyError, TypeError) as exc:
            raise SimulatorError(f"回复不是有效的微信消息（{type(exc).__name__}）。") from None
        return root.get("Content") or ""


# ---------------------------------------------------------------- the page
async def page(request: web.Request) -> web.Response:
    async with request.app[DB].read() as session:
        deputies = (await session.execute(
            select(Deputy.number, Deputy.name, Deputy.delegation).where(Deputy.active).order_by(Deputy.number)
            .limit(500))).all()
    context = {"deputies": deputies, "users": await _demo_users(request), "menu": MENU, "words": DEPUTY_WORDS,
               "safe_mode": bool(request.app[SETTINGS].wechat.encoding_aes_key)}
    return aiohttp_jinja2.render_template("simulator.html", request, context)


async def _demo_users(request: web.Request) -> list[tuple[str, list[tuple[str, str]]]]:
    """The bound WeChat users whose chats the page can open: (group, [(openid, label)])."""
    async with request.app[DB].read() as session:
        deputies = (await session.execute(
            select(Deputy.openid, Deputy.name, Deputy.number).where(Deputy.active, Deputy.openid.is_not(None))
            .order_by(Deputy.number).limit(500))).all()
        liaisons = (await session.execute(
            select(UnitLiaison.openid, Unit.name).join(Unit, Unit.id == UnitLiaison.unit_id).order_by(Unit.code)
            .limit(500))).all()
        staff = (await session.execute(
            select(User.openid, User.display_name, User.username).where(User.openid.is_not(None), User.active)
            .order_by(User.username))).all()
    return [("代表", [(o, f"{name}（{number}）") for o, name, number in deputies]),
            ("承办单位联络员", [(o, f"{name}联络员") for o, name in liaisons]),
            ("工作人员", [(o, display or username) for o, display, username in staff])]


def _parts(text: str, url: str = "") -> list[dict[str, str]]:
    """A message as text and links (WeChat shows <a href> and bare http(s) addresses as links)."""
    parts, at = [], 0
    for match in _LINK.finditer(text):
        if match.start() > at:
            parts.append({"text": text[at:match.start()]})
        href = match.group(1) or match.group(3)
        parts.append({"text": match.group(2) or href, "href": href})
        at = match.end()
    if at < len(text):
        parts.append({"text": text[at:]})
    if url.startswith(("http://", "https://")):
        parts += [{"text": "\n"}, {"text": "详情", "href": url}]
    return parts


async def messages(request: web.Request) -> web.Response:
    """GET ?openid=&after=<id>: that user's chat after message `after`, oldest first."""
    openid, after = request.query.get("openid", ""), request.query.get("after", "0")
    if not _OPENID.match(openid) or not after.isascii() or not after.isdigit() or len(after) > 12:
        raise InvalidInput("openid 或 after 参数不正确。")
    lines = await demo_wechat.chat(request.app[DB], openid, int(after))
    return web.json_response({"openid": openid, "messages": [
        {"id": line.id, "at": line.at, "who": WHO[line.source], "channel": line.source, "parts": _parts(line.text, line.url)}
        for line in lines]}, dumps=_dumps)


async def _json(request: web.Request) -> dict[str, Any]:
    return await json_object(request)


async def send(request: web.Request) -> web.Response:
    """{"openid", "kind": text|click|image|subscribe, "value"} -> {"reply"} (null when the bot said nothing)."""
    body = await _json(request)
    openid, kind, value = str(body.get("openid", "")), str(body.get("kind", "text")), body.get("value", "")
    if not _OPENID.match(openid):
        raise InvalidInput("openid 只能由字母、数字、下划线和连字符组成（64 个字符以内）。")
    if kind not in ("text", "click", "image", "subscribe") or not isinstance(value, str) or len(value) > 20000:
        raise InvalidInput("消息类型或内容不正确。")
    # The configured address, never the request's Host header: a signed message goes only to this server.
    user = WechatUser(f"{request.app[SETTINGS].server.public_url.rstrip('/')}/wechat", request.app[SETTINGS].wechat)
    said = {"click": f"［菜单］{dict((k, w) for w, k in MENU).get(value, value)}", "image": "［图片］",
            "subscribe": "［关注公众号］"}.get(kind, value)
    await demo_wechat.record(request.app[DB], openid, "said", said)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            reply = await user.send(http, openid, kind, value)
    except (SimulatorError, aiohttp.ClientError, TimeoutError) as exc:
        return web.json_response({"error": "simulator", "message": f"模拟发送失败：{exc}"}, status=502)
    if reply is not None:
        await demo_wechat.record(request.app[DB], openid, "answer", reply)
    return web.json_response({"reply": reply}, dumps=_dumps)


async def binding_code(request: web.Request) -> web.Response:
    """A one-time binding code for a demo deputy (one of the demo county's invented ones, never a real
    deputy's), so the page can bind without the console."""
    body = await _json(request)
    number = str(body.get("deputy", ""))
    async with request.app[DB].read() as session:
        name = (await session.execute(select(Deputy.name).where(Deputy.number == number))).scalar()
    if name is None or not is_demo_deputy(number, name):
        raise InvalidInput("模拟器只能为演示数据中的代表生成绑定码。")
    code, expires = await binding.new_binding_code(request.app[DB], SIMULATOR, deputy=number)
    return web.json_response({"code": code, "expires_at": expires.isoformat()})


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def setup_routes(app: web.Application) -> None:
    """Registered by run.build_app only in demo mode."""
    app.router.add_get("/simulator", page)
    app.router.add_get("/simulator/messages", messages)
    app.router.add_post("/simulator/send", send)
    app.router.add_post("/simulator/code", binding_code)
