"""GET/POST /wechat exactly as WeChat's servers call it: the protocol only.

Checked in this order, each refusal quick, logged and without effect: the signature over (token,
timestamp, nonce); the timestamp within 5 minutes of now; the body size and UTF-8; XML with no
DOCTYPE and no entities (xmltodict >= 1.0 refuses them); in safe mode (`encoding_aes_key` set) the
msg_signature over the Encrypt field, then AES decryption with wechatpy's WeChatCrypto; required
fields present and of the right type. In safe mode the GET `echostr` is plain and answered as is.

A delivery's effect runs once per dedupe key (MsgId; for events, which have none, sender +
CreateTime + Event + EventKey): a retry arriving while the first is still being answered waits for
the same answer. An answer not ready within the budget (4 s of WeChat's 5) is sent later as a
customer-service message (an outbox row), and WeChat gets "success" now.

A signed URL is answered for one body only (in plain mode the signature does not cover the body): the
same URL with another body is refused with 403, first by this process's memory, then, for every process
sharing the database, by the message's claim (bot_inbound.signed is unique), before it has any effect.
"""
from __future__ import annotations

import asyncio
import binascii
import hashlib
import logging
import re
import struct
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Awaitable, Callable, Mapping, Optional
from xml.parsers.expat import ExpatError

import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from workflow.domain.links import same_secret
from workflow.settings import WechatSettings

log = logging.getLogger("jianyi.bot.webhook")

MAX_BODY = 128 * 1024  # a long text message in safe mode is well under this
MAX_SKEW = 300  # seconds a timestamp may be off
REPLAY_MEMORY = 200_000  # signed (timestamp, nonce) pairs remembered within the window, at most
REPLY_BUDGET = 4.0  # seconds; WeChat waits 5
SUCCESS = "success"
_OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DIGITS = re.compile(r"^\d{1,20}$")
REPLAYED = "signature replayed with another body"
DELIVERY_FIELDS = frozenset({"signed", "body_digest"})  # how an Inbound came, not what it says
_DECRYPT_ERRORS = (InvalidSignatureException, InvalidAppIdException, binascii.Error, ValueError, struct.error,
                   UnicodeDecodeError, IndexError, TypeError)


@dataclass(frozen=True)
class Inbound:
    """One message or event as WeChat delivered it (fields checked, text as sent)."""

    to_user: str  # our account (gh_...)
    from_user: str  # the sender's openid
    create_time: int
    msg_type: str  # text | image | voice | event | ...
    content: str = ""
    msg_id: str = ""
    event: str = ""
    event_key: str = ""
    pic_url: str = ""
    media_id: str = ""
    recognition: str = ""
    # How it came: the signed URL ("timestamp:nonce") and its body's SHA-256 (hex). Not part of the message:
    # the claim records them so that every process refuses the same URL with another body.
    signed: str = field(default="", compare=False, repr=False)
    body_digest: str = field(default="", compare=False, repr=False)

    @property
    def key(self) -> str:
        """The dedupe key: a retry of this delivery has the same one."""
        if self.msg_id:
            return f"m:{self.from_user}:{self.msg_id}"
        return f"e:{self.from_user}:{self.create_time}:{self.event}:{self.event_key}"[:200]


@dataclass(frozen=True)
class Answered:
    """What the conversation made of a delivery: the text to answer (None: nothing to say)."""

    text: Optional[str]
    earlier: bool = False  # a retry: this is the answer given to the first delivery
    in_progress: bool = False  # a retry of a delivery still being answered (elsewhere)
    followed_up: bool = False  # the answer went out as a customer-service message
    replayed: bool = False  # refused: its signed URL came before (to any process) with another body


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text(msg: Inbound, text: str, now: int) -> str:
    """A passive text reply (wechatpy's TextReply does not escape "]]>" in the content)."""
    return (f"<xml><ToUserName>{cdata(msg.from_user)}</ToUserName><FromUserName>{cdata(msg.to_user)}</FromUserName>"
            f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(text)}</Content></xml>")


class Webhook:
    """The two handlers of /wechat over a conversation that answers checked messages."""

    def __init__(self, settings: WechatSettings, answer: Callable[[Inbound], Awaitable[Answered]],
                 earlier: Callable[[str], Awaitable[Optional[Answered]]],
                 follow_up: Callable[[Inbound, str], Awaitable[None]],
                 budget: float = REPLY_BUDGET, clock: Callable[[], float] = time.time):
        self.token = settings.token
        self.crypto = (WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id)
                       if settings.encoding_aes_key else None)
        self.answer, self.earlier, self.follow_up = answer, earlier, follow_up
        self.budget, self.clock = budget, clock
        self._inflight: dict[str, asyncio.Task] = {}
        self._late: set[str] = set()  # keys whose answer will follow as a customer-service message
        self._background: set[asyncio.Task] = set()
        # (timestamp, nonce) of each signed POST in the window -> digest of its body: WeChat's retry sends
        # the same body again; the same signature with another body is a replay of a captured URL.
        self._signed: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    # ------------------------------------------------------------ GET: the server check
    async def get(self, request: web.Request) -> web.Response:
        try:
            self._check_signature(request.query)
            echostr = request.query.get("echostr", "")
            if not echostr or len(echostr) > 256:
                raise Refused(400, "missing echostr")
        except Refused as refused:
            return self._refuse(request, refused, 0)
        return web.Response(text=echostr, content_type="text/plain")

    # ------------------------------------------------------------ POST: a message or event
    async def post(self, request: web.Request) -> web.Response:
        started = asyncio.get_running_loop().time()
        size = 0
        try:
            self._check_signature(request.query)
            body = await self._read(request)
            size = len(body)
            digest = self._check_not_replayed(request.query, body)
            msg = self._decode(body, request.query)
            signed = f"{request.query['timestamp']}:{request.query['nonce']}"
            msg = replace(msg, signed=signed, body_digest=digest.hex())
        except Refused as refused:
            return self._refuse(request, refused, size or request.content_length or 0)
        try:
            text = await self._respond(msg, started)
        except Refused as refused:  # the database knows the URL with another body (from another process)
            self._forget_signed(request.query, digest)
            return self._refuse(request, refused, size)
        if not text:
            return web.Response(text=SUCCESS, content_type="text/plain")
        xml = render_text(msg, text, int(self.clock()))
        if self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, request.query["nonce"], str(int(self.clock())))
        return web.Response(text=xml, content_type="application/xml")

    def _refuse(self, request: web.Request, refused: Refused, size: int) -> web.Response:
        log.warning("wechat %s refused: %s (from %s, %d bytes)", request.method, refused.reason, request.remote, size)
        return web.Response(status=refused.status, text=refused.reason, content_type="text/plain")

    def _check_signature(self, query: Mapping[str, str]) -> None:
        given, timestamp, nonce = (query.get(k, "") for k in ("signature", "timestamp", "nonce"))
        if not (given and timestamp and nonce) or len(nonce) > 64 or not _DIGITS.match(timestamp):
            raise Refused(403, "missing or malformed signature parameters")
        if not same_secret(given.lower(), signature(self.token, timestamp, nonce)):
            raise Refused(403, "bad signature")
        if abs(self.clock() - int(timestamp)) > MAX_SKEW:
            raise Refused(403, "stale timestamp")

    def _check_not_replayed(self, query: Mapping[str, str], body: bytes) -> bytes:
        """A signature covers the URL only (in plain mode): refuse it with a body other than the first one.

        This process's memory is a quick first refusal; the claim in the database decides, for every
        process (the unique bot_inbound.signed). Returns the body's digest."""
        now, key, digest = self.clock(), (query["timestamp"], query["nonce"]), hashlib.sha256(body).digest()
        while self._signed and (abs(now - int(next(iter(self._signed))[0])) > MAX_SKEW
                                or len(self._signed) >= REPLAY_MEMORY):
            self._signed.popitem(last=False)  # oldest first: out of the window, it is refused as stale anyway
        seen = self._signed.get(key)
        if seen is not None and seen != digest:
            raise Refused(403, REPLAYED)
        self._signed[key] = digest
        return digest

    def _forget_signed(self, query: Mapping[str, str], digest: bytes) -> None:
        """The database refused this body under this URL: do not remember it as the URL's first body."""
        key = (query["timestamp"], query["nonce"])
        if self._signed.get(key) == digest:
            del self._signed[key]

    async def _read(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise Refused(413, "body too large")
        chunks, size = [], 0
        while chunk := await request.content.readany():
            size += len(chunk)
            if size > MAX_BODY:
                raise Refused(413, "body too large")
            chunks.append(chunk)
        return b"".join(chunks)

    def _decode(self, body: bytes, query: Mapping[str, str]) -> Inbound:
        root = parse_xml(body)
        encrypted = query.get("encrypt_type", "raw") == "aes"
        if self.crypto is None:
            if encrypted:
                raise Refused(400, "encrypted message but no encoding_aes_key configured")
            return inbound_from(root)
        if not encrypted:
            raise Refused(400, "safe mode: encrypt_type=aes required")
        encrypt = root.get("Encrypt")
        if not isinstance(encrypt, str) or len(encrypt) > MAX_BODY:
            raise Refused(400, "safe mode: no Encrypt field")
        given = query.get("msg_signature", "")
        if not same_secret(given.lower(), signature(self.token, query["timestamp"], query["nonce"], encrypt)):
            raise Refused(403, "bad msg_signature")
        try:
            plain = self.crypto.decrypt_message({"Encrypt": encrypt}, given, query["timestamp"], query["nonce"])
        except _DECRYPT_ERRORS as exc:
            raise Refused(400, f"cannot decrypt ({type(exc).__name__})") from None
        return inbound_from(parse_xml(plain.encode("utf-8")))

    # ------------------------------------------------------------ one effect, one answer, in time
    async def _respond(self, msg: Inbound, started: float) -> Optional[str]:
        loop = asyncio.get_running_loop()
        if msg.key in self._late:
            return None  # its answer is on its way as a message: not a second time
        task = self._inflight.get(msg.key)
        retry = task is not None
        if task is None:
            task = loop.create_task(self.answer(msg))
            self._inflight[msg.key] = task
            task.add_done_callback(lambda _t, key=msg.key: self._inflight.pop(key, None))
        try:
            answered = await asyncio.wait_for(asyncio.shield(task), max(0.0, self.budget - (loop.time() - started)))
        except asyncio.TimeoutError:
            if not retry and msg.key not in self._late:
                self._late.add(msg.key)
                self._later(task, msg)
            log.info("wechat answer for %s not ready in %.1f s: follows as a message", msg.key, self.budget)
            return None
        except Exception:  # noqa: BLE001 - a bug must not become a 500 for WeChat (it would retry it)
            log.exception("wechat message %s failed", msg.key)
            return None
        if answered.replayed:
            raise Refused(403, REPLAYED)
        if answered.in_progress:
            return await self._wait_elsewhere(msg.key, started)
        return None if answered.followed_up else answered.text

    async def _wait_elsewhere(self, key: str, started: float) -> Optional[str]:
        """A retry whose first delivery is being answered by another process: poll for its answer."""
        loop = asyncio.get_running_loop()
        while loop.time() - started < self.budget:
            found = await self.earlier(key)
            if found is not None and not found.in_progress:
                return None if found.followed_up else found.text
            await asyncio.sleep(0.1)
        return None

    def _later(self, task: asyncio.Task, msg: Inbound) -> None:
        async def send_when_ready():
            try:
                answered = await task
                if answered.text and not answered.earlier:
                    await self.follow_up(msg, answered.text)
            except Exception:  # noqa: BLE001 - logged; nothing more to send
                log.exception("wechat message %s failed after its answer window", msg.key)
            finally:
                self._late.discard(msg.key)

        job = asyncio.get_running_loop().create_task(send_when_ready())
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for answers still being sent later (on shutdown, and in tests)."""
        while self._background or self._inflight:
            await asyncio.gather(*self._background, *self._inflight.values(), return_exceptions=True)


# ---------------------------------------------------------------- XML, safely
def parse_xml(body: bytes) -> dict:
    """The <xml> root as a dict; Refused for empty, non-UTF-8, DOCTYPE/entities or malformed input."""
    if not body.strip():
        raise Refused(400, "empty body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    upper = text[:4096].upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise Refused(400, "DOCTYPE or entity declaration refused")
    try:
        parsed = xmltodict.parse(text, disable_entities=True)
    except (ExpatError, ValueError) as exc:
        raise Refused(400, f"malformed XML ({type(exc).__name__})") from None
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(root, dict):
        raise Refused(400, "no <xml> root")
    return root


def _field(root: dict, name: str, limit: int = 256, required: bool = False, pattern: Optional[re.Pattern] = None) -> str:
    value = root.get(name)
    if value is None:
        if required:
            raise Refused(400, f"missing {name}")
        return ""
    if not isinstance(value, str):
        raise Refused(400, f"{name} is not text")
    if len(value) > limit or (pattern is not None and not pattern.match(value)):
        raise Refused(400, f"malformed {name}")
    return value


def inbound_from(root: dict) -> Inbound:
    """The checked fields of a message or event."""
    return Inbound(
        to_user=_field(root, "ToUserName", 64, required=True),
        from_user=_field(root, "FromUserName", 64, required=True, pattern=_OPENID),
        create_time=int(_field(root, "CreateTime", 20, required=True, pattern=_DIGITS)),
        msg_type=_field(root, "MsgType", 32, required=True).lower(),
        content=_field(root, "Content", 60000),
        msg_id=_field(root, "MsgId", 20, pattern=_DIGITS),
        event=_field(root, "Event", 64).lower(),
        event_key=_field(root, "EventKey", 256),
        pic_url=_field(root, "PicUrl", 1024),
        media_id=_field(root, "MediaId", 256),
        recognition=_field(root, "Recognition", 2000),
    )
