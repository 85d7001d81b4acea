"""What operators' endpoints and strangers' pages give away (issue 9, item 19): no page may be framed by
another site, /metrics answers this computer (or a token) only, /healthz keeps the database's error to
the log."""
from __future__ import annotations

from dataclasses import replace

import pytest

from storage.db import Database
from web.app import init_app
from workflow.engine.engine import Engine


@pytest.mark.parametrize("path", ["/u/1.1.1.x", "/f/1.x.1.x", "/v/nope", "/replies", "/login", "/"])
async def test_no_page_may_be_framed_by_another_site(client, path):
    response = await client.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_metrics_through_a_reverse_proxy_are_refused_without_a_token(client):
    assert (await client.get("/metrics")).status == 200  # this computer, asking directly
    proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status == 403 and "metrics_token" in await proxied.text()


async def test_with_a_metrics_token_only_its_bearer_reads_metrics(aiohttp_client, settings, engine):
    settings = replace(settings, server=replace(settings.server, metrics_token="m" * 40))
    client = await aiohttp_client(init_app(settings, Engine(engine.db, settings)))
    assert (await client.get("/metrics")).status == 403
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status == 403
    answer = await client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40,
                                                   "X-Forwarded-For": "203.0.113.9"})
    assert answer.status == 200 and "jianyi_outbox_pending" in await answer.text()


async def test_healthz_says_the_database_is_unavailable_without_its_error_text(aiohttp_client, settings):
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    settings = replace(settings, database=replace(settings.database, url=url))
    db = Database(url)
    try:
        client = await aiohttp_client(init_app(settings, Engine(db, settings)))
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "error", "database": "unavailable"}
    finally:
        await db.dispose()
