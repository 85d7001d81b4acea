"""Two `serve --role web` processes and one `serve --role worker` on one database and one Redis, as a
province runs them behind a load balancer (issue 15, item 6): whatever instance a request lands on,
actions, console sessions, the sign-in lockout, WeChat's retries and notifications come out right.

The three processes are started once for the module (tests/support/several_processes.py), against the
database and Redis of the test run (a SQLite file in WAL mode and the embedded redis-server by default;
PostgreSQL and the Redis server when JIANYI_DATABASE_URL / JIANYI_REDIS_URL name them), with WeChat in
plain mode (the shipped default). Requests carry X-Forwarded-For as the balancer on this computer would
(server.trusted_proxies). The web processes point at a WeChat API of their own (`trap`), the worker at
`fake`: a message sent by a web process would show up on the trap. The last tests stop everything.

What was kept in one process's memory (the webhook's replay check, public double taps, the relay's lease) is now shared; the checks below pin it.
"""
from __future__ import annotations

import asyncio
import re
import secrets

import aiohttp
import pytest

from storage.db import Database
from storage.models import BotInbound, Event
from tests.support.api import CHINESE
from tests.support.cluster import start_all, stop_all
from tests.support.notify import wait_until
from tests.support.several_processes import (
    BROWSER,
    Browser,
    Instance,
    both_instances,
    count,
    outbox_of,
    proposals_of,
    running_cluster,
    states_of,
    texts_to,
    version_of,
)
from workflow.engine.keys import chain_key_for
from workflow.usecases.login_throttle import MAX_FAILURES

ROUNDS = 3  # races are won at random
DEPUTIES = [  # each check its own deputy, so no check counts another's messages
    {"number": "D101", "name": "张三丰"},  # actions (not bound: nothing is sent)
    {"number": "D102", "name": "李四海"},  # notifications
    {"number": "D103", "name": "王五湖"},  # a message retried on the other instance
    {"number": "D104", "name": "赵六合"},  # a message delivered to both at once
    {"number": "D105", "name": "钱七星"},  # shutdown
    {"number": "D106", "name": "孙八方"},  # a captured URL replayed
]
OPENID = {d["number"]: f"o_{d['number'].lower()}" for d in DEPUTIES[1:]}
ALERT = re.compile(r'class="alert error" role="alert">([^<]*)<')  # the console's refusal, in Chinese
FORM = "提建议\n标题：{title}\n内容：村口道路坑洼，雨天难行，建议尽快修缮。\n类别：城建"


@pytest.fixture(scope="module")
def cluster(database_url, redis_server, chain_key_text, tmp_path_factory):
    with running_cluster(database_url, redis_server, chain_key_text, tmp_path_factory.mktemp("cluster"),
                         DEPUTIES, OPENID) as running:
        yield running


@pytest.fixture
async def instances(cluster):
    async with both_instances(cluster) as both:
        yield both


@pytest.fixture
async def db(cluster):
    """The shared database, read by the test itself (never emptied here: the processes are using it)."""
    database = Database(cluster.settings.database_url(), chain_key=chain_key_for(cluster.settings))
    yield database
    await database.dispose()


# ---------------------------------------------------------------- actions
async def test_an_action_on_a_is_seen_at_once_on_b_and_a_stale_one_there_is_refused_in_chinese(instances, db):
    a, b = instances
    number = await a.api.submit(lead="D101")
    page = f"/console/proposals/{number}"
    clerk_a, clerk_b = Browser(), Browser()
    assert (await clerk_a.login(a, "wang"))[0] == 303
    assert (await clerk_b.login(b, "li"))[0] == 303
    opened_on_b = await clerk_b.csrf(b, page)  # 李 has the proposal open on B while it is still 待受理
    status, _, location = await clerk_a.post(a, f"{page}/actions", {"action": "accept", "category": "教育"},
                                             await clerk_a.csrf(a, page))
    assert status == 303 and "done=accept" in location, status

    on_a, on_b = await a.api.detail(number), await b.api.detail(number)
    assert on_a["state"] == "accepted" and on_b == on_a, "B answers exactly what A does, at once"
    version = await version_of(db, number)

    # 李 on B submits the page opened before: 立案 again, or 不作为代表建议处理 (open only before 立案).
    for stale in ({"action": "accept", "category": "城建"},
                  {"action": "refer", "reason": "没有具体内容", "disposition": "退回代表"}):
        status, text, _ = await clerk_b.post(b, f"{page}/actions", stale, opened_on_b)
        alert = ALERT.search(text)
        assert status == 409 and alert, (stale, status)
        assert "已立案" in alert.group(1) and "没有做任何更改" in alert.group(1), alert.group(1)
    answer = await b.api.act(number, "refer", reason="没有具体内容", disposition="退回代表")
    assert answer.status == 409 and answer.body["error"] in ("not_allowed", "conflict"), answer.body
    assert "已立案" in answer.message(), answer.body
    assert await version_of(db, number) == version, "a refused write writes nothing"
    assert await a.api.detail(number) == on_a == await b.api.detail(number)


async def test_conflicting_actions_on_a_and_b_at_once_exactly_one_wins_and_both_then_agree(instances, db):
    a, b = instances
    for _ in range(ROUNDS):
        number = await a.api.submit(lead="D101")
        before = await version_of(db, number)
        answers = await asyncio.gather(a.api.act(number, "accept", category="教育"),
                                       b.api.act(number, "refer", reason="没有具体内容", disposition="退回代表"))
        assert sorted(x.status for x in answers) == [200, 409], [x.body for x in answers]
        loser = next(x for x in answers if x.status == 409)
        assert loser.body["error"] in ("not_allowed", "conflict") and CHINESE.search(loser.message()), loser.body
        on_a, on_b = await a.api.detail(number), await b.api.detail(number)
        assert on_a == on_b and on_a["state"] in ("accepted", "referred")
        assert [e["seq"] for e in on_a["events"]] == list(range(1, len(on_a["events"]) + 1))
        assert [e["action"] for e in on_a["events"]][-1] == {"accepted": "accept", "referred": "refer"}[on_a["state"]]
        assert await version_of(db, number) == before + 1, "one write won, the other wrote nothing"


# ---------------------------------------------------------------- console sessions and the lockout
async def test_a_console_session_from_a_is_accepted_by_b_and_logout_on_b_ends_it_on_a(instances):
    a, b = instances
    browser = Browser()
    status, _, location = await browser.login(a, "zhou")
    assert status == 303 and location == "/console"
    copied = Browser()
    copied.cookie = browser.cookie  # the same cookie in a second tab: it must end with the first
    status, page, _ = await browser.get(b, "/console")
    assert status == 200 and 'action="/logout"' in page and "zhou" in page, "B knows the session A opened"
    status, _, location = await browser.post(b, "/logout", {}, await browser.csrf(b, "/console"))
    assert status == 303 and location == "/login"
    for at in (a, b):
        status, _, location = await copied.get(at, "/console")
        assert status == 303 and location.startswith("/login"), f"the session still works on {at.name}"


async def test_failed_sign_ins_spread_over_a_and_b_add_up_to_one_lockout_answered_in_chinese(instances):
    a, b = instances
    browser = Browser("203.0.113.9")
    answers = [await browser.login((a, b)[n % 2], "zhao", f"wrong-password-{n}")
               for n in range(MAX_FAILURES)]
    assert [status for status, _, _ in answers[:-1]] == [401] * (MAX_FAILURES - 1)
    assert all("用户名或密码不正确" in text for _, text, _ in answers[:-1])
    status, text, _ = answers[-1]
    assert status == 429 and "登录失败次数过多" in text, (status, text[-2000:])
    for at in (a, b):  # paused on every instance, even with the right password
        status, text, _ = await Browser("203.0.113.9").login(at, "zhao")
        assert status == 429 and "登录失败次数过多" in text
    assert (await Browser("203.0.113.10").login(b, "zhao"))[0] == 303, "another address is not locked out"


# ---------------------------------------------------------------- WeChat's retries
async def test_a_wechat_message_retried_on_the_other_instance_is_handled_once(instances, db):
    a, b = instances
    openid, msg_id = OPENID["D103"], secrets.randbelow(10**17) + 10**17
    xml = a.wechat.text_xml(openid, FORM.format(title="关于修缮村口道路的建议"), msg_id)
    first = await a.wechat.deliver(xml, openid)
    retry = await b.wechat.deliver(xml, openid)  # WeChat's retry of the same MsgId, on the other instance
    assert first.status == retry.status == 200
    assert "草稿已保存" in (first.text or ""), first
    assert retry.text == first.text, "the retry gets the first answer"
    drafts = await proposals_of(db, "D103")
    assert [state for _, state in drafts] == ["draft"], "one effect"
    assert await count(db, Event.proposal_id.in_([pid for pid, _ in drafts]), Event.action == "create") == 1, \
        "one event"
    assert await count(db, BotInbound.key == f"m:{openid}:{msg_id}", model=BotInbound) == 1


async def test_a_wechat_message_delivered_to_a_and_b_at_once_is_handled_once(instances, db):
    a, b = instances
    openid = OPENID["D104"]
    for n in range(ROUNDS):
        created = await (a, b)[n % 2].wechat.text(openid, FORM.format(title=f"关于第{n + 1}条乡道修缮的建议"))
        assert "草稿已保存" in (created.text or ""), created
        xml = a.wechat.text_xml(openid, "确认提交")
        answers = await asyncio.gather(a.wechat.deliver(xml, openid), b.wechat.deliver(xml, openid))
        assert [x.status for x in answers] == [200, 200]
        assert all("已提交" in (x.text or "") for x in answers), answers
        assert answers[0].text == answers[1].text
    drafts = await proposals_of(db, "D104")
    assert [state for _, state in drafts] == ["submitted"] * ROUNDS
    assert await count(db, Event.proposal_id.in_([pid for pid, _ in drafts]), Event.action == "submit") == ROUNDS


# ---------------------------------------------------------------- notifications
async def test_an_action_on_a_reaches_the_deputy_once_through_the_worker_and_never_from_a_web_process(
        cluster, instances, db):
    a, _b = instances
    openid = OPENID["D102"]
    number = await a.api.submit(lead="D102")
    await a.api.ok(number, "accept", category="教育")

    async def settled():
        rows = await outbox_of(db, number)
        return rows if rows and all(r.status != "pending" for r in rows) else None

    rows = await wait_until(settled, timeout=30)
    to_deputy = [r for r in rows if r.recipient_kind == "deputy"]
    assert [(r.kind, r.status) for r in to_deputy] == [("proposal_numbered", "delivered"),
                                                       ("proposal_accept", "delivered")]
    texts = texts_to(cluster.fake, openid, number)
    assert len(texts) == 2 and sum("已立案" in t for t in texts) == 1, texts
    assert cluster.trap.calls == [], "a web process called WeChat"


# ---------------------------------------------------------------- what was once kept in one process
async def test_a_captured_wechat_url_replayed_on_the_other_instance_with_another_body_is_refused(instances, db):
    a, b = instances
    openid = OPENID["D106"]
    query, body = a.wechat.envelope(a.wechat.text_xml(openid, "帮助"), openid)
    assert (await a.wechat.post(query, body)).status == 200
    _, forged = a.wechat.envelope(a.wechat.text_xml(openid, FORM.format(title="伪造的建议")), openid)
    assert (await a.wechat.post(query, forged)).status == 403, "refused on the instance that saw the URL"
    replayed = await b.wechat.post(query, forged)
    assert await proposals_of(db, "D106") == [], "the forged message made a draft"
    assert replayed.status == 403


async def test_a_citizen_opinion_posted_twice_to_a_and_b_is_one_opinion(instances, db):
    from sqlalchemy import select

    from storage.models import CitizenOpinion, Deputy
    from storage.uow import UnitOfWork
    from workflow.engine.opinions import card_code

    a, b = instances
    async with UnitOfWork(db) as session:  # the code on the deputy's printed card
        code = await card_code(session, (await session.execute(select(Deputy).where(Deputy.number == "D101"))).scalar_one())
    form = {"text": "西门菜市场门口积水，雨天进出不便。", "citizen_name": "", "citizen_phone": "", "hide_from_units": "1"}
    receipts = []
    for at in (a, a, b):  # a double tap on A (answered with its receipt), then the same once more through B
        async with at.http.post(f"/o/{code}", data=form, headers=BROWSER, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
            receipts.append(response.headers["Location"].split("/")[3].split("?")[0])
    assert receipts[0] == receipts[1], "the same instance gives the double tap the first receipt"
    assert await count(db, CitizenOpinion.text == form["text"], model=CitizenOpinion) == 1
    assert receipts[2] == receipts[0]


# ---------------------------------------------------------------- stopping (last: these stop the cluster)
SHUTDOWN_ACTIONS = 12


async def _accept_or_none(at: Instance, number: str):
    """受理 through `at`, or None when the instance went away before it answered."""
    try:
        return await at.api.act(number, "accept", category="教育")
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return None


async def test_sigterm_stops_every_process_with_exit_code_0_and_loses_no_notification(cluster, instances, db):
    a, b = instances
    openid = OPENID["D105"]
    numbers = [await a.api.submit(lead="D105") for _ in range(SHUTDOWN_ACTIONS)]
    actions = [asyncio.ensure_future(_accept_or_none((a, b)[n % 2], number)) for n, number in enumerate(numbers)]
    await asyncio.sleep(0.02)  # the first ones under way
    codes = await asyncio.to_thread(stop_all, cluster.processes)
    answers = await asyncio.gather(*actions)
    assert codes == {"web-a": 0, "web-b": 0, "worker": 0}, "\n".join(p.log() for p in cluster.processes)
    states = await states_of(db, numbers)
    answered = [n for n, answer in zip(numbers, answers) if answer is not None and answer.status == 200]
    assert all(states[n] == "accepted" for n in answered), "an answered action was lost"
    done = [n for n in numbers if states[n] == "accepted"]
    left = [r for n in numbers for r in await outbox_of(db, n) if r.status == "pending"]

    async def settled():
        found = {n: await outbox_of(db, n) for n in numbers}
        return found if all(r.status != "pending" for rows in found.values() for r in rows) else None

    again = cluster.another_worker("worker-again")
    await asyncio.to_thread(start_all, [again])  # the next start delivers what was left in the outbox
    started = asyncio.get_running_loop().time()
    try:
        found = await wait_until(settled, timeout=45)
        took = asyncio.get_running_loop().time() - started
    finally:
        assert await asyncio.to_thread(stop_all, [again]) == {"worker-again": 0}, again.log()
    for number in numbers:
        expected = [("proposal_numbered", "delivered")] + ([("proposal_accept", "delivered")] if number in done else [])
        assert [(r.kind, r.status) for r in found[number] if r.recipient_kind == "deputy"] == expected, number
        texts = texts_to(cluster.fake, openid, number)
        assert sorted("已立案" in t for t in texts) == sorted(kind == "proposal_accept" for kind, _ in expected), \
            ("each notification reaches WeChat exactly once", number, texts)
    assert cluster.trap.calls == []
    print(f"\nSIGTERM with {SHUTDOWN_ACTIONS} 受理 under way: {len(answered)} answered, {len(done)} done, "
          f"{len(left)} notification(s) left in the outbox, delivered {took:.1f} s after the next worker started")


async def test_a_worker_stopped_with_sigterm_hands_back_its_relay_lease(cluster, db):
    import redis.asyncio as aioredis

    from notify.keys import RedisKeys
    from storage.identity import deployment_id

    await asyncio.to_thread(stop_all, cluster.processes)  # only this test's worker may hold the lease
    lease = RedisKeys.for_deployment("", await deployment_id(db)).relay_lease
    client = aioredis.from_url(cluster.settings.redis.url)
    try:
        await client.delete(lease)  # whoever held it before is gone
        worker = cluster.another_worker("worker-lease")
        await asyncio.to_thread(start_all, [worker])
        try:
            assert await wait_until(lambda: client.exists(lease), timeout=10), "the new worker took the lease"
        finally:
            assert await asyncio.to_thread(stop_all, [worker]) == {"worker-lease": 0}, worker.log()
        assert await client.pttl(lease) == -2, "the lease outlived its worker"
    finally:
        await client.aclose()
