"""Adds the WeChat webhook (GET/POST /wechat) to an aiohttp app: `bot.routes.setup(app, settings, engine)`."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Callable

from aiohttp import web

from workflow.engine.engine import Engine
from workflow.settings import Settings, SettingsError

from .conversation import Conversation
from .webhook import REPLY_BUDGET, Webhook

WEBHOOK = web.AppKey("wechat_webhook", Webhook)
CONVERSATION = web.AppKey("wechat_conversation", Conversation)
SWEEP_EVERY = 15.0  # seconds between looks for messages a dead process had claimed
log = logging.getLogger("jianyi.bot")


def setup(app: web.Application, settings: Settings, engine: Engine, budget: float = REPLY_BUDGET,
          clock: Callable[[], float] = time.time) -> Webhook:
    """Add GET/POST /wechat; `budget` is how long an answer may take before it is sent later instead,
    `clock` the time timestamps are checked against."""
    wechat = settings.wechat
    if wechat.encoding_aes_key and not wechat.app_id:
        raise SettingsError("安全模式（wechat.encoding_aes_key）需要填写 wechat.app_id。"
                            " / safe mode (wechat.encoding_aes_key) needs wechat.app_id.")
    conversation = Conversation(engine, settings)
    hook = Webhook(wechat, conversation.answer, conversation.earlier, conversation.follow_up, budget=budget,
                   clock=clock)
    app[WEBHOOK], app[CONVERSATION] = hook, conversation
    app.router.add_get("/wechat", hook.get)
    app.router.add_post("/wechat", hook.post)

    async def finish_answers(_app: web.Application) -> None:
        await hook.drain()

    async def sweeper(_app: web.Application):
        stop = asyncio.Event()
        task = asyncio.get_running_loop().create_task(_sweep_until(stop, conversation))
        yield
        stop.set()  # a sweep under way finishes (never cut in the middle of a transaction)
        await task

    app.on_shutdown.append(finish_answers)
    app.cleanup_ctx.append(sweeper)
    return hook


async def _sweep_until(stop: asyncio.Event, conversation: Conversation, every: float = SWEEP_EVERY) -> None:
    """Every `every` seconds until `stop`, finish the messages a dead process had claimed (a claim is
    swept only once it is older than WeChat's retries, so the first round after a start need not be sooner)."""
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if stop.is_set():
            return
        try:
            taken = await conversation.sweep()
            if taken:
                log.warning("finished %d message(s) claimed by a process that stopped", taken)
        except Exception:  # noqa: BLE001 - tried again at the next round
            log.exception("sweeping unfinished messages failed")
