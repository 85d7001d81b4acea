"""/metrics through prometheus_client, scraped over HTTP: the notifier's counters after a real delivery to the
fake WeChat API, request latency by route pattern (never a link's token), process metrics; the worker's own
endpoint on loopback; and who may read them. Forwarded headers: honoured from server.trusted_proxies only."""
from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from dataclasses import replace

import aiohttp
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from cli.serve import build_app
from notify.pipeline import Counters
from storage.models import OutboxMessage
from tests.conftest import ROOT
from tests.support.console import PASSWORD, csrf_of
from tests.support.notify import (
    STAFF,
    all_settled,
    bind_everyone,
    env_for_subprocess,
    free_port,
    seed,
    wait_until,
    with_wechat,
)
from web.system import trusted_networks
from workflow.engine.engine import Engine
from workflow.settings import SettingsError
from workflow.usecases.accounts import add_user


def samples(text: str) -> list:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels) -> float | None:
    found = [s.value for s in samples(text) if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    return sum(found) if found else None


async def test_a_scrape_after_a_delivery_counts_it_times_routes_by_pattern_and_shows_the_process(
        aiohttp_client, db, settings, clock, redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url)
    await seed(db)
    await bind_everyone(db)
    engine = Engine(db, settings, clock=clock)
    r = await engine.create_proposal(STAFF, "D001", "关于修缮村小学校舍的建议", "校舍漏雨。", submit=True)
    await engine.perform(r.proposal.number, "accept", STAFF, {"category": "教育"})
    await engine.perform(r.proposal.number, "assign", STAFF, {"lead_units": ["JYJ"]})
    client = await aiohttp_client(build_app(settings, engine, notifications=True))  # `serve --role all`
    counts = await wait_until(lambda: all_settled(db))
    assert counts.get("delivered", 0) >= 3, counts
    unit_text = next(t for o, t in fake_wechat.sent_texts() if o == "o-unit-JYJ")
    token = re.search(r"/u/([A-Za-z0-9._-]+)", unit_text).group(1)
    assert (await client.get(f"/u/{token}")).status == 200

    scraped = await client.get("/metrics")
    text = await scraped.text()
    assert scraped.status == 200 and scraped.headers["Content-Type"].startswith("text/plain")
    assert value(text, "jianyi_notifications_delivered_total") >= 3
    assert value(text, "jianyi_notifications_relayed_total") >= 3
    assert value(text, "jianyi_notifications_dead_total") == 0
    assert value(text, "jianyi_http_request_duration_seconds_count", route="/u/{token}", method="GET",
                 status="200") == 1
    assert token not in text and token.split(".")[-1] not in text  # the link never becomes a label
    assert value(text, "process_resident_memory_bytes") > 0 and value(text, "process_cpu_seconds_total") > 0
    assert value(text, "python_info") == 1
    assert value(text, "jianyi_proposals") == 1 and value(text, "jianyi_outbox_pending") == 0


async def test_a_path_no_route_matches_is_timed_as_unmatched_not_by_its_path(client):
    assert (await client.get("/no/such/page-4f1c9e")).status == 404
    text = await (await client.get("/metrics")).text()
    assert value(text, "jianyi_http_request_duration_seconds_count", route="unmatched", status="404") == 1
    assert "page-4f1c9e" not in text


async def test_metrics_through_the_trusted_proxy_are_still_refused_without_a_token(client):
    for claimed in ("203.0.113.9", "127.0.0.1"):  # a stranger, and a stranger claiming to be this computer
        proxied = await client.get("/metrics", headers={"X-Forwarded-For": claimed})
        assert proxied.status == 403 and "metrics_token" in await proxied.text()
    assert (await client.get("/metrics")).status == 200  # this computer, asking directly


def test_the_notifier_counters_keep_their_numbers_and_feed_prometheus():
    counters = Counters()
    registry = _registry_of(counters)
    counters.delivered += 2
    counters.retried += 1
    counters.errors[45015] = counters.errors.get(45015, 0) + 1
    counters.errors[45015] = counters.errors.get(45015, 0) + 1
    assert (counters.delivered, counters.retried, counters.dead, counters.errors) == (2, 1, 0, {45015: 2})
    text = generate_latest(registry).decode()
    assert value(text, "jianyi_notifications_delivered_total") == 2
    assert value(text, "jianyi_notifications_retried_total") == 1
    assert value(text, "jianyi_notifications_errors_total", errcode="45015") == 2
    other = generate_latest(_registry_of(Counters())).decode()
    assert value(other, "jianyi_notifications_delivered_total") == 0  # another notifier counts its own


def _registry_of(counters: Counters) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(counters)
    return registry


async def _scrape(port: int, headers: dict | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics", headers=headers or {}) as answer:
            return answer.status, await answer.text()


async def test_the_worker_serves_its_metrics_on_loopback_at_metrics_port(db, settings, redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url)
    async with db.write() as session:
        async with session.begin():
            session.add(OutboxMessage(kind="chat_reply", recipient_kind="openid", recipient_id="o-metrics",
                                      idempotency_key="metrics:1", payload={"text": "您好"}))
    port = free_port()
    env = {**env_for_subprocess(settings), "JIANYI_SERVER_METRICS_PORT": str(port)}
    worker = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--role", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await wait_until(lambda: all_settled(db), timeout=60)

        async def delivered():
            try:
                status, text = await _scrape(port)
            except aiohttp.ClientError:
                return None
            return text if status == 200 and value(text, "jianyi_notifications_delivered_total") else None

        text = await wait_until(delivered, timeout=30)
        assert value(text, "jianyi_notifications_delivered_total") == 1 and value(text, "process_open_fds") > 0
        status, refused = await _scrape(port, {"X-Forwarded-For": "203.0.113.9"})  # through a proxy: no
        assert status == 403 and "metrics_token" in refused
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.to_thread(worker.wait, 30)
    assert worker.returncode == 0


async def _login_from(client, address: str, password: str):
    headers = {"X-Forwarded-For": address}
    token = await csrf_of(client, "/login")  # (the form's own request comes through the proxy too)
    answer = await client.post("/login", data={"username": "admin", "password": password, "csrf_token": token,
                                               "next": ""}, headers=headers, allow_redirects=False)
    client.session.cookie_jar.clear()
    return answer.status


async def test_behind_a_trusted_proxy_two_clients_are_locked_out_separately(aiohttp_client, settings, engine, db):
    settings = replace(settings, server=replace(settings.server, trusted_proxies=("127.0.0.1",)))
    client = await aiohttp_client(build_app(settings, engine))
    await add_user(db, "admin", "admin", PASSWORD)
    assert [await _login_from(client, "203.0.113.9", f"wrong-{n}") for n in range(5)] == [401, 401, 401, 401, 429]
    assert await _login_from(client, "203.0.113.9", PASSWORD) == 429  # that client is paused
    assert await _login_from(client, "198.51.100.7", PASSWORD) == 303  # the other one is not


async def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(aiohttp_client, settings, engine, db):
    settings = replace(settings, server=replace(settings.server, trusted_proxies=()))
    client = await aiohttp_client(build_app(settings, engine))
    await add_user(db, "admin", "admin", PASSWORD)
    for n in range(5):
        await _login_from(client, f"203.0.113.{n}", f"wrong-{n}")  # a new "address" each time: all one peer
    assert await _login_from(client, "198.51.100.7", PASSWORD) == 429
    metrics = await client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert metrics.status == 403


async def test_an_unreadable_forwarded_for_from_the_proxy_is_answered_400_in_chinese(client):
    answer = await client.get("/healthz", headers={"X-Forwarded-For": "not-an-address"})
    assert answer.status == 400 and "X-Forwarded-For" in await answer.text() and "不正确" in await answer.text()


def test_a_trusted_proxy_that_is_no_address_is_a_settings_error_naming_it():
    assert [str(n) for n in trusted_networks(("127.0.0.1", "10.0.3.0/24", "::1"))] == [
        "127.0.0.1/32", "10.0.3.0/24", "::1/128"]
    with pytest.raises(SettingsError, match="nonsense"):
        trusted_networks(("127.0.0.1", "nonsense"))
