"""WeChat's side of the callback protocol, written from WeChat's documentation (not from bot/), so tests
call /wechat exactly as WeChat's servers do, byte for byte:

- plain mode: POST /wechat?signature=&timestamp=&nonce=&openid= with the message XML;
  signature = sha1(sorted([token, timestamp, nonce]));
- safe mode: the message is AES-256-CBC encrypted (key = base64(encoding_aes_key + "="), IV = its first
  16 bytes, plaintext = 16 random bytes + 4-byte big-endian length + XML + appid, PKCS#7 to 32 bytes),
  sent as <xml><ToUserName/><Encrypt/></xml> with &encrypt_type=aes&msg_signature=
  sha1(sorted([token, timestamp, nonce, Encrypt])); the reply comes back the same way and is verified.

    wechat = WechatSide(client, token="jianyi")                     # plain
    wechat = WechatSide(client, token, aes_key=KEY, app_id="wx...")  # safe
    reply = await wechat.text("o_zhang", "帮助")
    reply.text  # the decrypted, checked reply text, or None for "success"
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import os
import random
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Optional

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ACCOUNT = "gh_test0000001"
_msg_ids = itertools.count(random.randrange(10**17, 10**18))


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(fields: list[tuple[str, Any]]) -> str:
    """WeChat's message XML: strings in CDATA, numbers bare, in the order given."""
    parts = []
    for name, value in fields:
        body = str(value) if isinstance(value, int) else _cdata(str(value))
        parts.append(f"<{name}>{body}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


class AesCodec:
    """WeChat's message encryption (WXBizMsgCrypt), with the `cryptography` package directly."""

    def __init__(self, aes_key: str, app_id: str):
        self.key = base64.b64decode(aes_key + "=")
        assert len(self.key) == 32
        self.app_id = app_id.encode()

    def encrypt(self, xml: str, random16: Optional[bytes] = None) -> str:
        data = xml.encode("utf-8")
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(data)) + data + self.app_id
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypt: str) -> str:
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()
        pad = plain[-1]
        assert 1 <= pad <= 32 and plain[-pad:] == bytes([pad]) * pad, "bad PKCS#7 padding"
        plain = plain[16:-pad]
        (length,) = struct.unpack(">I", plain[:4])
        xml, app_id = plain[4:4 + length], plain[4 + length:]
        assert app_id == self.app_id, f"reply encrypted for {app_id!r}, not {self.app_id!r}"
        return xml.decode("utf-8")


@dataclass
class Reply:
    status: int
    body: str
    text: Optional[str] = None  # the text message answered; None for "success"
    xml: Optional[str] = None  # the reply XML (decrypted in safe mode)


class WechatSide:
    """Sends what WeChat sends to /wechat and checks what comes back."""

    def __init__(self, http, token: str, aes_key: str = "", app_id: str = "", url: str = "/wechat",
                 account: str = ACCOUNT):
        self.http, self.token, self.url, self.account = http, token, url, account
        self.codec = AesCodec(aes_key, app_id) if aes_key else None

    # ------------------------------------------------------------ messages
    async def text(self, openid: str, content: str, msg_id: Optional[int] = None, **kw) -> Reply:
        return await self.deliver(self.text_xml(openid, content, msg_id), openid, **kw)

    def text_xml(self, openid: str, content: str, msg_id: Optional[int] = None, create_time: Optional[int] = None) -> str:
        return message_xml([("ToUserName", self.account), ("FromUserName", openid),
                            ("CreateTime", create_time or int(time.time())), ("MsgType", "text"),
                            ("Content", content), ("MsgId", msg_id or next(_msg_ids))])

    async def image(self, openid: str, pic_url: str, media_id: str, msg_id: Optional[int] = None) -> Reply:
        xml = message_xml([("ToUserName", self.account), ("FromUserName", openid), ("CreateTime", int(time.time())),
                           ("MsgType", "image"), ("PicUrl", pic_url), ("MediaId", media_id),
                           ("MsgId", msg_id or next(_msg_ids))])
        return await self.deliver(xml, openid)

    async def event(self, openid: str, event: str, key: str = "", create_time: Optional[int] = None) -> Reply:
        xml = message_xml([("ToUserName", self.account), ("FromUserName", openid),
                           ("CreateTime", create_time or int(time.time())), ("MsgType", "event"),
                           ("Event", event), ("EventKey", key)])
        return await self.deliver(xml, openid)

    async def click(self, openid: str, key: str, create_time: Optional[int] = None) -> Reply:
        return await self.event(openid, "CLICK", key, create_time)

    # ------------------------------------------------------------ the wire
    def query(self, openid: str = "", timestamp: Optional[str] = None, nonce: Optional[str] = None,
              encrypt: Optional[str] = None) -> dict[str, str]:
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(random.randrange(10**8, 10**10))
        query = {"signature": signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        if openid:
            query["openid"] = openid
        if encrypt is not None:
            query.update(encrypt_type="aes", msg_signature=signature(self.token, timestamp, nonce, encrypt))
        return query

    def envelope(self, xml: str, openid: str = "", **query_kw) -> tuple[dict[str, str], bytes]:
        """The query and body WeChat would send for `xml` in this mode."""
        if self.codec is None:
            return self.query(openid, **query_kw), xml.encode("utf-8")
        encrypt = self.codec.encrypt(xml)
        body = message_xml([("ToUserName", self.account), ("Encrypt", encrypt)])
        return self.query(openid, encrypt=encrypt, **query_kw), body.encode("utf-8")

    async def deliver(self, xml: str, openid: str = "", **query_kw) -> Reply:
        query, body = self.envelope(xml, openid, **query_kw)
        reply = await self.post(query, body)
        if reply.status == 200 and reply.body != "success":
            self._open(reply, openid)
        return reply

    async def post(self, query: dict[str, str], body: bytes, headers: Optional[dict] = None) -> Reply:
        async with self.http.post(self.url, params=query, data=body,
                                  headers=headers or {"Content-Type": "text/xml"}) as response:
            return Reply(response.status, await response.text())

    async def check_server(self, echostr: str, **query_kw) -> Reply:
        """The GET WeChat sends when the server URL is configured."""
        query = {**self.query(**query_kw), "echostr": echostr}
        async with self.http.get(self.url, params=query) as response:
            return Reply(response.status, await response.text())

    def _open(self, reply: Reply, openid: str) -> None:
        root = ET.fromstring(reply.body)
        if self.codec is not None:
            encrypt, stamp, nonce = (root.findtext(k) for k in ("Encrypt", "TimeStamp", "Nonce"))
            assert root.findtext("MsgSignature") == signature(self.token, stamp, nonce, encrypt), "bad reply signature"
            reply.xml = self.codec.decrypt(encrypt)
            root = ET.fromstring(reply.xml)
        else:
            reply.xml = reply.body
        assert root.findtext("MsgType") == "text", reply.xml
        assert root.findtext("FromUserName") == self.account
        if openid:
            assert root.findtext("ToUserName") == openid
        reply.text = root.findtext("Content")
