"""A province's deployment on one computer, for tests/integration/test_several_processes.py: two
`serve --role web` processes and one `--role worker` (tests/support/cluster.py) on the test run's
database and Redis, reached as through a load balancer on this computer.

    with running_cluster(database_url, redis_url, chain_key_text, folder, deputies, openids) as cluster:
        async with both_instances(cluster) as (a, b):  # the API, the webhook and plain HTTP of each web process
            await a.api.submit(lead="D101")
            browser = Browser()                       # one person's cookie, sent to whichever instance
            await browser.login(b, "wang")

The web processes point at a fake WeChat API of their own (`cluster.trap`), the worker at `cluster.fake`:
anything a web process sent to WeChat would arrive on the trap.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from dataclasses import dataclass, replace
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Optional

import aiohttp
from sqlalchemy import func, select

from cli import open_database
from storage.db import Database
from storage.models import Deputy, Event, OutboxMessage, Proposal
from tests.support.api import UNITS, Api
from tests.support.cluster import ServeProcess, cluster_env, start_all, stop_all
from tests.support.console import CSRF
from tests.support.fake_wechat import FakeWechat
from tests.support.notify import free_port
from tests.support.wechat_protocol import WechatSide
from workflow.settings import Settings, load_settings
from workflow.usecases.accounts import add_user

PASSWORD = "correct-horse-9"
STAFF = ("wang", "li", "zhou", "zhao")  # console accounts, all with PASSWORD; wang's API token is the tests'
PUBLIC_URL = "http://jianyi.example.test"  # the balancer's address: every instance links there
BROWSER = {"X-Forwarded-For": "198.51.100.7"}  # the balancer's header: the browser's own address


@dataclass
class Cluster:
    a: ServeProcess
    b: ServeProcess
    worker: ServeProcess
    fake: FakeWechat  # the worker's WeChat API
    trap: FakeWechat  # the web processes' WeChat API: nothing may arrive here
    settings: Settings  # database URL, data_dir and the secrets the processes were given
    staff_token: str
    worker_env: dict  # to start another worker like the first

    @property
    def processes(self) -> list[ServeProcess]:
        return [self.a, self.b, self.worker]

    def another_worker(self, name: str) -> ServeProcess:
        return ServeProcess(name, "worker", self.worker_env, Path(self.settings.server.data_dir))


def cluster_settings(database_url: str, redis_url: str, folder: Path, fake: FakeWechat) -> Settings:
    """What every process is given: generated secrets (as `run.py secret` makes), WeChat in plain mode."""
    base = load_settings(environ={})
    return replace(
        base,
        database=replace(base.database, url=database_url),
        redis=replace(base.redis, url=redis_url),
        server=replace(base.server, secret_key=secrets.token_hex(24), public_url=PUBLIC_URL, data_dir=str(folder)),
        wechat=replace(base.wechat, token=secrets.token_hex(16), app_id=fake.app_id, app_secret=fake.app_secret,
                       template_id="TPL_PROGRESS", api_base_url=fake.base_url),
    )


def process_env(settings: Settings, api_base_url: str) -> dict:
    """The environment of one process: the settings as JIANYI_* variables, quick retries for tests."""
    server, wechat = settings.server, settings.wechat
    # The balancer runs on this computer: its X-Forwarded-For is believed (where the setting exists yet).
    behind = {"server_trusted_proxies": "127.0.0.1"} if hasattr(server, "trusted_proxies") else {}
    return cluster_env(
        os.environ, **behind, database_url=settings.database_url(), redis_url=settings.redis.url,
        server_secret_key=server.secret_key, server_public_url=server.public_url, server_data_dir=server.data_dir,
        wechat_token=wechat.token, wechat_app_id=wechat.app_id, wechat_app_secret=wechat.app_secret,
        wechat_template_id=wechat.template_id, wechat_api_base_url=api_base_url,
        notify_backoff_seconds=0, notify_claim_idle_seconds=2, notify_redeliver_after_seconds=3,
        notify_scheduler_interval_seconds=3600)


async def prepare(settings: Settings) -> str:
    """An empty database (as every test starts from), made ready once as `run.py db upgrade` does before
    several processes start; the staff accounts; an empty Redis. Returns wang's API token."""
    import redis.asyncio as aioredis

    empty = Database(settings.database_url())
    await empty.truncate_all()
    await empty.dispose()
    db = await open_database(settings)
    try:
        tokens = [(await add_user(db, name, "staff", PASSWORD, display_name=name)).token for name in STAFF]
    finally:
        await db.dispose()
    client = aioredis.from_url(settings.redis.url)
    await client.flushdb()
    await client.aclose()
    return tokens[0]


def wechat_side(cluster: Cluster, http) -> WechatSide:
    wechat = cluster.settings.wechat
    return WechatSide(http, wechat.token, wechat.encoding_aes_key, wechat.app_id)


async def enter_roster(cluster: Cluster, deputies: list[dict], openids: dict[str, str]) -> None:
    """Deputies and units entered through A; the deputies in `openids` bound through B's webhook."""
    auth = {"Authorization": f"Bearer {cluster.staff_token}"}
    async with aiohttp.ClientSession(base_url=cluster.a.url) as a, aiohttp.ClientSession(base_url=cluster.b.url) as b:
        api = Api(a, auth)
        await api.roster(deputies, UNITS)
        wechat = wechat_side(cluster, b)
        for number, openid in openids.items():
            code = (await api.post(f"/api/v1/deputies/{number}/binding-code", {})).body["code"]
            reply = await wechat.text(openid, f"绑定 {code}")
            assert "绑定成功" in (reply.text or ""), reply


@contextlib.contextmanager
def running_cluster(database_url: str, redis_url: str, chain_key_text: str, folder: Path, deputies: list[dict],
                    openids: dict[str, str]):
    """The three processes, started together and stopped (SIGTERM, then kill) whatever happens."""
    key_file = folder / "audit" / "chain.key"  # the one audit key every process reads
    key_file.parent.mkdir(mode=0o700)
    key_file.write_text(chain_key_text + "\n", encoding="ascii")
    key_file.chmod(0o600)
    fake, trap = FakeWechat().start_in_thread(), FakeWechat().start_in_thread()
    try:
        settings = cluster_settings(database_url, redis_url, folder, fake)
        token = asyncio.run(prepare(settings))
        web_env, worker_env = process_env(settings, trap.base_url), process_env(settings, fake.base_url)
        processes = [ServeProcess("web-a", "web", web_env, folder, free_port()),
                     ServeProcess("web-b", "web", web_env, folder, free_port()),
                     ServeProcess("worker", "worker", worker_env, folder)]
        start_all(processes)
        try:
            cluster = Cluster(*processes, fake=fake, trap=trap, settings=settings, staff_token=token,
                              worker_env=worker_env)
            asyncio.run(enter_roster(cluster, deputies, openids))
            yield cluster
        finally:
            stop_all(processes)
    finally:
        fake.stop_thread()
        trap.stop_thread()


@dataclass
class Instance:
    """One web process as the tests reach it: its HTTP session (relative paths), the API, WeChat's side."""

    name: str
    http: aiohttp.ClientSession
    api: Api
    wechat: WechatSide


@contextlib.asynccontextmanager
async def both_instances(cluster: Cluster):
    """(A, B), each without a cookie jar: cookies go only where a test sends them (Browser)."""
    auth = {"Authorization": f"Bearer {cluster.staff_token}", **BROWSER}
    sessions = [aiohttp.ClientSession(base_url=p.url, cookie_jar=aiohttp.DummyCookieJar()) for p in (cluster.a, cluster.b)]
    try:
        yield tuple(Instance(name, http, Api(http, auth), wechat_side(cluster, http))
                    for name, http in zip(("A", "B"), sessions))
    finally:
        for http in sessions:
            await http.close()


class Browser:
    """One person's browser behind the balancer: its session cookie, sent to whichever instance it hits."""

    def __init__(self, address: str = BROWSER["X-Forwarded-For"]):
        self.cookie, self.address = "", address

    def _headers(self) -> dict:
        headers = {"X-Forwarded-For": self.address}
        if self.cookie:
            headers["Cookie"] = f"jianyi_session={self.cookie}"
        return headers

    def _keep(self, response: aiohttp.ClientResponse) -> None:
        for header in response.headers.getall("Set-Cookie", []):
            morsel = SimpleCookie(header).get("jianyi_session")
            if morsel is not None:
                self.cookie = morsel.value

    async def get(self, at: Instance, path: str) -> tuple[int, str, Optional[str]]:
        """(status, body, Location) of GET `path` on `at`."""
        async with at.http.get(path, headers=self._headers(), allow_redirects=False) as response:
            self._keep(response)
            return response.status, await response.text(), response.headers.get("Location")

    async def csrf(self, at: Instance, path: str) -> str:
        """The CSRF token of the form on page `path`, as `at` serves it."""
        status, page, _ = await self.get(at, path)
        match = CSRF.search(page)
        assert status == 200 and match, (status, page[:500])
        return match.group(1)

    async def post(self, at: Instance, path: str, data: dict, token: Optional[str] = None):
        """POST a form with `token` (default: the CSRF token of the page `path` itself, read from `at`)."""
        token = token or await self.csrf(at, path)
        async with at.http.post(path, data={**data, "csrf_token": token}, headers=self._headers(),
                                allow_redirects=False) as response:
            self._keep(response)
            return response.status, await response.text(), response.headers.get("Location")

    async def login(self, at: Instance, username: str, password: str = PASSWORD):
        return await self.post(at, "/login", {"username": username, "password": password, "next": ""})


# ---------------------------------------------------------------- what the shared database holds
async def count(db: Database, *where, model=Event) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def version_of(db: Database, number: str) -> int:
    async with db.read() as session:
        return (await session.execute(select(Proposal.version).where(Proposal.number == number))).scalar_one()


async def states_of(db: Database, numbers: list[str]) -> dict[str, str]:
    async with db.read() as session:
        return dict((await session.execute(select(Proposal.number, Proposal.state)
                                           .where(Proposal.number.in_(numbers)))).all())


async def proposals_of(db: Database, deputy: str) -> list[tuple[int, str]]:
    """(id, state) of each proposal the deputy leads, oldest first."""
    async with db.read() as session:
        rows = await session.execute(select(Proposal.id, Proposal.state).join(Deputy, Proposal.lead_deputy_id == Deputy.id)
                                     .where(Deputy.number == deputy).order_by(Proposal.id))
        return [tuple(row) for row in rows]


async def outbox_of(db: Database, number: str) -> list[OutboxMessage]:
    """The notifications of the proposal's events, in the order they were written."""
    async with db.read() as session:
        return list((await session.execute(
            select(OutboxMessage).join(Event, OutboxMessage.event_id == Event.id)
            .join(Proposal, Event.proposal_id == Proposal.id).where(Proposal.number == number)
            .order_by(OutboxMessage.id))).scalars())


def texts_to(fake: FakeWechat, openid: str, number: str) -> list[str]:
    """What reached WeChat for `openid` about proposal `number`."""
    return [text for to, text in fake.sent_texts() if to == openid and number in text]
