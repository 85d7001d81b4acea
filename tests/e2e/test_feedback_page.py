"""The deputy's one-tap feedback page /f/<token>: the tap is the rating, like the bot's 评价 words."""
from __future__ import annotations

import datetime as dt

from tests.support.notify import STAFF, seed, unit_actor
from workflow.domain.links import make_feedback_token
from workflow.engine.engine import Engine


async def replied(engine: Engine, category="B") -> str:
    r = await engine.create_proposal(STAFF, "D001", "关于修缮村小学校舍的建议", "校舍漏雨。", co_signers=["D002"],
                                     submit=True)
    number = r.proposal.number
    await engine.perform(number, "accept", STAFF, {"category": "教育"})
    r = await engine.perform(number, "assign", STAFF, {"lead_units": ["JYJ"]})
    lead = unit_actor(r, "JYJ")
    await engine.perform(number, "sign", lead)
    await engine.perform(number, "log_contact", lead, {"method": "电话", "summary": "已沟通"})
    promise = (engine.clock() + dt.timedelta(days=60)).isoformat()
    r = await engine.perform(number, "reply", lead, {"category": category, "text": "答复<script>alert(1)</script>",
                                                     "signer": "李局长", "promise_date": promise})
    return number, r.proposal.id


def link(settings, proposal_id, deputy="D001") -> str:
    return "/f/" + make_feedback_token(settings.server.secret_key, proposal_id, deputy, 30)


async def test_one_tap_rates_the_reply_and_moves_the_proposal(db, settings, clock, client, auth):
    await seed(db)
    number, pid = await replied(Engine(db, settings, clock=clock))
    page = await client.get(link(settings, pid))
    text = await page.text()
    assert page.status == 200 and "您对答复满意吗" in text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text  # shown as text
    r = await client.post(link(settings, pid), data={"attitude": "satisfied", "rating": "satisfied"},
                          allow_redirects=False)
    assert r.status == 303
    body = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    assert body["state"] == "implementing"
    assert body["evaluations"][0]["rating"] == "satisfied" and body["evaluations"][0]["entered_by"] == ""
    assert body["events"][-1]["actor"] == {"kind": "deputy", "id": "D001", "name": "代表0"}
    # A B reply's implementation is asked for only once the unit reports it done (or the promise date passes).
    assert "您对落实情况满意吗" not in await (await client.get(link(settings, pid))).text()


async def test_unsatisfied_needs_a_reason_and_changes_nothing_without_one(db, settings, clock, client, auth):
    await seed(db)
    number, pid = await replied(Engine(db, settings, clock=clock))
    before = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    r = await client.post(link(settings, pid), json={"rating": "unsatisfied"})
    assert r.status == 400 and "理由" in (await r.json())["message"]
    after = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    assert len(after["events"]) == len(before["events"]) and after["state"] == "replied"
    r = await client.post(link(settings, pid), json={"attitude": "basically_satisfied", "rating": "unsatisfied",
                                                        "reason": "没有解决"})
    assert r.status == 200 and (await r.json())["state"] == "rehandling"


async def test_a_co_signer_may_read_but_only_the_lead_deputy_rates(db, settings, clock, client):
    await seed(db)
    number, pid = await replied(Engine(db, settings, clock=clock))
    page = await client.get(link(settings, pid, "D002"))
    assert page.status == 200 and "您对答复满意吗" not in await page.text()
    r = await client.post(link(settings, pid, "D002"), json={"rating": "satisfied"})
    assert r.status == 409


async def test_a_tampered_feedback_link_is_refused(db, settings, clock, client):
    await seed(db)
    number, pid = await replied(Engine(db, settings, clock=clock))
    good = link(settings, pid)
    forged = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert (await client.get(forged)).status == 403
    other = "/f/" + make_feedback_token("another-secret-key", pid, "D001", 30)
    assert (await client.post(other, json={"rating": "satisfied"})).status == 403
    expired = "/f/" + make_feedback_token(settings.server.secret_key, pid, "D001", 1,
                                          now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3))
    r = await client.get(expired, headers={"Accept": "application/json"})
    assert r.status == 410 and "过期" in (await r.json())["message"]
