"""A local fake of WeChat's HTTP API on 127.0.0.1, for outbound calls (the real one is never reachable here).

    fake = FakeWechat()
    await fake.start()                  # fake.base_url -> "http://127.0.0.1:<port>/cgi-bin/"
    fake.fail("message/custom/send", errcode=45009, times=2)   # rate-limit the next two sends
    ...
    fake.calls  # every call: FakeCall(path, params, body, answer)
    fake.media["MEDIA_1"] = (jpeg_bytes, "image/jpeg")   # what media/get serves for a deputy's photo
    code = fake.oauth_code("o_user")    # web OAuth: the code WeChat would hand a page for this openid

It checks access tokens like WeChat does (an unknown or revoked token answers 40001), can fail on
command (an errcode, HTTP 500, a slow answer), and can run in a thread of its own so a server in
another process can call it. Web OAuth codes (sns/oauth2/access_token) are one-time, as WeChat's are.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from aiohttp import web


@dataclass
class FakeCall:
    path: str
    params: dict
    body: Any
    answer: dict


@dataclass
class _Failure:
    errcode: Optional[int] = None
    status: int = 200
    delay: float = 0.0
    times: int = 1


@dataclass
class FakeWechat:
    app_id: str = "wxfake0000000000"
    app_secret: str = "fake-secret"
    calls: list[FakeCall] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    out_of_window: set[str] = field(default_factory=set)  # openids whose 48-hour window is closed
    unsubscribed: set[str] = field(default_factory=set)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _oauth_codes: dict[str, str] = field(default_factory=dict)  # web OAuth code -> openid, until used
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # media/get: media_id -> (bytes, type)
    base_url: str = ""
    _runner: Optional[web.AppRunner] = None
    _thread: Optional[threading.Thread] = None
    _loop: Optional[asyncio.AbstractEventLoop] = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------ control
    def fail(self, path: str, errcode: Optional[int] = None, status: int = 200, delay: float = 0.0,
             times: int = 1) -> None:
        """The next `times` calls of `path` (e.g. "message/custom/send") fail this way."""
        with self._lock:
            self._failures.setdefault(path, []).append(_Failure(errcode, status, delay, times))

    def revoke_tokens(self) -> None:
        """Every token handed out so far becomes invalid (as when another party refreshed it)."""
        with self._lock:
            self.tokens.clear()

    def sent(self, path: str = "message/custom/send") -> list[FakeCall]:
        """Successful calls of `path`."""
        with self._lock:
            return [c for c in self.calls if c.path == path and c.answer.get("errcode", 0) == 0]

    def sent_texts(self) -> list[tuple[str, str]]:
        """(openid, text) of every delivered message, customer-service and template alike."""
        found = []
        for call in self.sent("message/custom/send"):
            found.append((call.body["touser"], call.body["text"]["content"]))
        for call in self.sent("message/template/send"):
            data = call.body.get("data", {})
            found.append((call.body["touser"], " ".join(str(v.get("value", "")) for v in data.values())))
        return found

    def oauth_code(self, openid: str) -> str:
        """A one-time web OAuth code for `openid`, as WeChat appends it to the page's redirect_uri."""
        code = "CODE_" + secrets.token_hex(8)
        with self._lock:
            self._oauth_codes[code] = openid
        return code

    # ------------------------------------------------------------ server
    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{path:.*}", self._handle)
        app.router.add_get("/sns/oauth2/access_token", self._oauth_access_token)
        app.router.add_get("/_fake/sent", self._sent_count)
        return app

    async def _sent_count(self, request: web.Request) -> web.Response:
        """For a process that runs the fake elsewhere: how many messages were delivered."""
        return web.json_response({"sent": len(self.sent_texts())})

    async def start(self) -> "FakeWechat":
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/cgi-bin/"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def start_in_thread(self) -> "FakeWechat":
        """Serve from a thread of its own (for servers in other processes, or sync clients)."""
        ready = threading.Event()

        def serve():
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.stop())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="fake-wechat", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def serve_forever(self) -> None:
        """Run in this process until killed, printing the base URL first (for benchmarks)."""
        async def main():
            await self.start()
            print(self.base_url, flush=True)
            await asyncio.Event().wait()

        asyncio.run(main())

    def stop_thread(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # ------------------------------------------------------------ the API
    async def _oauth_access_token(self, request: web.Request) -> web.Response:
        """sns/oauth2/access_token: appid, secret, code, grant_type=authorization_code -> openid."""
        params = dict(request.query)
        if params.get("appid") != self.app_id or params.get("secret") != self.app_secret:
            answer = {"errcode": 40013, "errmsg": "invalid appid"}
        elif params.get("grant_type") != "authorization_code":
            answer = {"errcode": 40002, "errmsg": "invalid grant_type"}
        else:
            with self._lock:
                openid = self._oauth_codes.pop(params.get("code", ""), None)
            answer = ({"errcode": 40029, "errmsg": "invalid code"} if openid is None else
                      {"access_token": "SNS_" + secrets.token_hex(8), "expires_in": 7200,
                       "refresh_token": "R_" + secrets.token_hex(8), "openid": openid, "scope": "snsapi_base"})
        return web.json_response(self._record("sns/oauth2/access_token", params, None, answer))

    def _media(self, params: dict) -> web.Response:
        """media/get: the file as WeChat serves temporary media, or 40007 for an unknown (or expired) id."""
        with self._lock:
            found = self.media.get(params.get("media_id", ""))
        if found is None:
            answer = {"errcode": 40007, "errmsg": "invalid media_id"}
            return web.json_response(self._record("media/get", params, None, answer))
        self._record("media/get", params, None, {"errcode": 0, "size": len(found[0])})
        return web.Response(body=found[0], content_type=found[1],
                            headers={"Content-Disposition": 'attachment; filename="media.jpg"'})

    def _take_failure(self, path: str) -> Optional[_Failure]:
        with self._lock:
            queue = self._failures.get(path) or []
            if not queue:
                return None
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
            return failure

    def _record(self, path, params, body, answer) -> dict:
        with self._lock:
            self.calls.append(FakeCall(path, params, body, answer))
        return answer

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        params = dict(request.query)
        raw = await request.read()
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = None
        failure = self._take_failure(path)
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.status != 200:
                self._record(path, params, body, {"errcode": -failure.status})
                return web.Response(status=failure.status, text="server error")
            if failure.errcode is not None:
                answer = {"errcode": failure.errcode, "errmsg": f"fake error {failure.errcode}"}
                return web.json_response(self._record(path, params, body, answer))
        if path in ("token", "stable_token"):
            source = params if path == "token" else (body or {})
            if source.get("appid") != self.app_id or source.get("secret") != self.app_secret:
                return web.json_response(self._record(path, params, body,
                                                      {"errcode": 40013, "errmsg": "invalid appid"}))
            token = "FAKE_" + secrets.token_hex(16)
            with self._lock:
                self.tokens.add(token)
            return web.json_response(self._record(path, params, body, {"access_token": token, "expires_in": 7200}))
        with self._lock:
            known = params.get("access_token") in self.tokens
        if not known:
            return web.json_response(self._record(path, params, body,
                                                  {"errcode": 40001, "errmsg": "invalid credential"}))
        if path == "media/get":
            return self._media(params)
        touser = (body or {}).get("touser")
        if touser in self.unsubscribed:
            return web.json_response(self._record(path, params, body, {"errcode": 43004, "errmsg": "unsubscribed"}))
        if path == "message/custom/send" and touser in self.out_of_window:
            return web.json_response(self._record(path, params, body,
                                                  {"errcode": 45015, "errmsg": "response out of time limit"}))
        answer = {"errcode": 0, "errmsg": "ok"}
        if path == "message/template/send":
            answer["msgid"] = len(self.calls) + 1
        return web.json_response(self._record(path, params, body, answer))


if __name__ == "__main__":
    FakeWechat().serve_forever()
