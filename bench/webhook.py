"""Webhook throughput and latency of a text that moves a dialogue on, against a bare handler, same run.

    .venv/bin/python -m bench.webhook [--db sqlite|postgres|both] [--users 1,8,32] [--messages 1500] [--rounds 3]
                                      [--safe]

Each target runs in a server process of its own on a loopback port; this process is WeChat, sending
plain-mode (or, with --safe, AES) messages signed byte for byte as WeChat does. Each simulated deputy
(bound beforehand) waits for the answer before its next message, like a person typing, and cycles
through the guided drafting: 提建议 -> title -> content -> category -> 放弃 -> 确定; every message
moves the stored dialogue on and is deduped, in one transaction each. The bare handler only checks
the signature, parses the XML and echoes a text reply (encrypting in safe mode). Both servers run side
by side and are driven by the same client code, alternately, `--rounds` times at each concurrency, so
the machine's changing load weighs on both alike; the median run of each is shown. Results also go to
bench/results/webhook-<time>.json. Nothing passes or fails on time.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import multiprocessing
import os
import random
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp

from bench.actions import DEFAULT_PG_URL, RESULTS, FreshDatabase

TOKEN = "benchtoken"
SAFE = {"encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "app_id": "wx2c2769f8efd9abc2"}
SCRIPT = ["提建议", "关于改善乡村公路路况的建议", "东西两条村道坑洼不平，雨天积水，建议列入年度养护计划。", "2", "放弃", "确定"]
_msg_ids = itertools.count(random.randrange(10**17, 10**18))


# ------------------------------------------------------------------ the servers (child processes)
def _settings(url: str, safe: bool):
    from workflow.settings import load_settings

    base = load_settings(environ={})
    wechat = replace(base.wechat, token=TOKEN, **(SAFE if safe else {}))
    return replace(base, database=replace(base.database, url=url), wechat=wechat)


def serve_full(port: int, url: str, safe: bool) -> None:
    """The product's web app (run.build_app) with the bot, on `url`."""
    import logging

    from aiohttp import web

    from run import build_app
    from storage.db import Database
    from workflow.engine.engine import Engine

    logging.basicConfig(level=logging.ERROR)
    settings = _settings(url, safe)
    engine = Engine(Database(url), settings)
    web.run_app(build_app(settings, engine), host="127.0.0.1", port=port, print=None, access_log=None)


def serve_bare(port: int, safe: bool) -> None:
    """Signature check, XML parse and an echoed text reply: the least a WeChat webhook can do."""
    import hmac

    import xmltodict
    from aiohttp import web
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(TOKEN, SAFE["encoding_aes_key"], SAFE["app_id"]) if safe else None

    async def handle(request: web.Request) -> web.Response:
        q = request.query
        if not hmac.compare_digest(_sign(TOKEN, q.get("timestamp", ""), q.get("nonce", "")), q.get("signature", "")):
            return web.Response(status=403)
        root = xmltodict.parse(await request.text())["xml"]
        if crypto is not None:
            root = xmltodict.parse(crypto.decrypt_message(root, q["msg_signature"], q["timestamp"], q["nonce"]))["xml"]
        xml = (f"<xml><ToUserName><![CDATA[{root['FromUserName']}]]></ToUserName><FromUserName><![CDATA["
               f"{root['ToUserName']}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA["
               f"text]]></MsgType><Content><![CDATA[收到：{root.get('Content', '')}]]></Content></xml>")
        if crypto is not None:
            xml = crypto.encrypt_message(xml, q["nonce"])
        return web.Response(text=xml, content_type="application/xml")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/wechat", handle)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ------------------------------------------------------------------ WeChat's side
def _sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sender:
    """Builds what WeChat would POST for a text message (plain or safe mode)."""

    def __init__(self, safe: bool):
        self.crypto = None
        if safe:
            from wechatpy.crypto import PrpCrypto, WeChatCrypto

            self.crypto = PrpCrypto(WeChatCrypto(TOKEN, SAFE["encoding_aes_key"], SAFE["app_id"]).key)

    def request(self, openid: str, text: str) -> tuple[dict, bytes]:
        stamp, nonce = str(int(time.time())), str(random.randrange(10**8, 10**10))
        query = {"signature": _sign(TOKEN, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": openid}
        xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
               f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]>"
               f"</Content><MsgId>{next(_msg_ids)}</MsgId></xml>")
        if self.crypto is not None:
            encrypt = self.crypto.encrypt(xml, SAFE["app_id"]).decode()
            query.update(encrypt_type="aes", msg_signature=_sign(TOKEN, stamp, nonce, encrypt))
            xml = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        return query, xml.encode("utf-8")


@dataclass
class Run:
    target: str
    users: int
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0

    def as_dict(self) -> dict:
        return {"target": self.target, "users": self.users, "messages": len(self.latencies), "errors": self.errors,
                "per_second": round(self.throughput, 1), "p50_ms": round(self.percentile(0.50), 2),
                "p99_ms": round(self.percentile(0.99), 2),
                "mean_ms": round(1000 * statistics.fmean(self.latencies), 2) if self.latencies else 0.0}


async def drive(url: str, target: str, users: int, messages: int, sender: Sender, warmup: int) -> Run:
    """`users` deputies, each sending its next message when the last was answered, `messages` in all."""
    run = Run(target, users)
    per_user = max(1, round(messages / users / len(SCRIPT))) * len(SCRIPT)  # whole dialogues: each starts idle
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        async def deputy(i: int, count: int, record: bool) -> None:
            openid = f"o_bench_{i:04d}"
            for n in range(count):
                query, body = sender.request(openid, SCRIPT[n % len(SCRIPT)])
                started = time.perf_counter()
                async with http.post(url, params=query, data=body) as response:
                    await response.read()
                    ok = response.status == 200
                if record:
                    run.latencies.append(time.perf_counter() - started)
                    run.errors += 0 if ok else 1

        await asyncio.gather(*(deputy(i, warmup, False) for i in range(users)))
        started = time.perf_counter()
        await asyncio.gather(*(deputy(i, per_user, True) for i in range(users)))
        run.seconds = time.perf_counter() - started
    return run


# ------------------------------------------------------------------ orchestration
async def _seed(url: str, users: int) -> None:
    from storage.db import Database
    from storage.models import Deputy

    db = Database(url)
    async with db.write() as session:
        async with session.begin():
            session.add_all([Deputy(number=f"B{i:04d}", name=f"代表{i}", openid=f"o_bench_{i:04d}")
                             for i in range(max(users))])
    await db.dispose()


async def _wait_ready(port: int, process: multiprocessing.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if not process.is_alive():
                raise RuntimeError("server process died")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


@contextlib.asynccontextmanager
async def server(target, *args):
    """`target(port, *args)` in a process of its own; yields the URL of its /wechat."""
    port = _free_port()
    process = multiprocessing.get_context("spawn").Process(target=target, args=(port, *args), daemon=True)
    process.start()
    try:
        await _wait_ready(port, process)
        yield f"http://127.0.0.1:{port}/wechat"
    finally:
        process.terminate()
        process.join(10)


async def bench_backend(backend: str, users: list[int], messages: int, safe: bool, pg_url: str,
                        rounds: int) -> list[Run]:
    """Bot and bare handler side by side, alternating `rounds` times at each concurrency; the median of each."""
    runs: list[Run] = []
    sender = Sender(safe)
    async with FreshDatabase(backend, pg_url) as url:
        await _seed(url, users)
        async with server(serve_full, url, safe) as bot_url, server(serve_bare, safe) as bare_url:
            for count in users:
                tried: dict[str, list[Run]] = {"bot": [], "bare": []}
                for _ in range(rounds):
                    tried["bot"].append(await drive(bot_url, f"bot ({backend})", count, messages, sender, len(SCRIPT)))
                    tried["bare"].append(await drive(bare_url, "bare handler", count, messages, sender, len(SCRIPT)))
                runs += [_median(tried["bot"]), _median(tried["bare"])]
    return runs


def _median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.throughput)[len(runs) // 2]


def report(runs: list[Run]) -> str:
    lines = [f"{'target':<18}{'users':>6}{'msgs':>7}{'err':>5}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}"]
    for bot_run, bare_run in zip(runs[::2], runs[1::2]):
        ratio = bot_run.throughput / bare_run.throughput if bare_run.throughput else 0.0
        for run, shown in ((bot_run, f"{ratio:.2f}"), (bare_run, "")):
            d = run.as_dict()
            lines.append(f"{d['target']:<18}{d['users']:>6}{d['messages']:>7}{d['errors']:>5}{d['per_second']:>9}"
                         f"{d['p50_ms']:>9}{d['p99_ms']:>9}{shown:>8}")
    lines.append("ratio = bot msg/s ÷ bare handler msg/s at the same number of deputies (aim ≥ 0.5; p99 aim < 50 ms)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", default="1,8,32", help="concurrent deputies, comma-separated")
    parser.add_argument("--messages", type=int, default=1500, help="measured messages per run")
    parser.add_argument("--safe", action="store_true", help="safe mode (AES) on both targets")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per concurrency (median shown)")
    parser.add_argument("--pg-url", default=os.environ.get("JIANYI_DATABASE_URL", "").startswith("postgresql")
                        and os.environ["JIANYI_DATABASE_URL"] or DEFAULT_PG_URL)
    args = parser.parse_args(argv)
    users = [int(u) for u in args.users.split(",") if u.strip()]
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    runs: list[Run] = []
    for backend in backends:
        runs += asyncio.run(bench_backend(backend, users, args.messages, args.safe, args.pg_url, args.rounds))
    print(report(runs))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"webhook-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"safe": args.safe, "python": sys.version.split()[0], "cpus": os.cpu_count(),
                               "runs": [r.as_dict() for r in runs]}, ensure_ascii=False, indent=1))
    print(f"saved {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
