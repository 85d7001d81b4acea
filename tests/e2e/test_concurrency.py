"""Concurrent actions on one proposal are serialised: exactly one of two conflicting actions wins, the
other gets a clear 409; compatible actions both land, each with its own event, none lost."""
from __future__ import annotations

import asyncio

from tests.support.api import CHINESE

ROUNDS = 5  # races are won at random: one round passing proves little


def _reply(category: str) -> dict:
    return {"category": category, "text": f"{category} 类答复", "signer": "周局长"}


def _assert_chain(detail: dict, count: int) -> None:
    assert [e["seq"] for e in detail["events"]] == list(range(1, count + 1))


async def test_two_concurrent_replies_through_one_link_exactly_one_wins(api):
    for _ in range(ROUNDS):
        number = await api.take_to("handling", co=None)
        lead = await api.link(number, "JYJ")
        await api.unit_ok(lead, "log_contact", method="面谈", summary="当面沟通。")
        before = await api.events(number)

        answers = await asyncio.gather(api.unit_act(lead, "reply", **_reply("A")),
                                       api.unit_act(lead, "reply", **_reply("D")))

        assert sorted(a.status for a in answers) == [200, 409], [a.body for a in answers]
        winner = next(a for a in answers if a.status == 200)
        loser = next(a for a in answers if a.status == 409)
        assert loser.body["error"] in ("not_allowed", "conflict") and CHINESE.search(loser.body["message"])
        detail = await api.detail(number)
        assert detail["state"] == "replied"
        assert [r["category"] for r in detail["replies"]] == [winner.body["proposal"]["replies"][0]["category"]]
        assert len(detail["events"]) == before + 1
        _assert_chain(detail, before + 1)


async def test_two_conflicting_staff_decisions_at_once_exactly_one_wins(api):
    for _ in range(ROUNDS):
        number = await api.submit()
        answers = await asyncio.gather(api.act(number, "accept", category="教育"),
                                       api.act(number, "refer", reason="没有具体内容", disposition="退回代表"))
        assert sorted(a.status for a in answers) == [200, 409], [a.body for a in answers]
        winner = next(a for a in answers if a.status == 200)
        detail = await api.detail(number)
        assert detail["state"] == winner.body["state"] in ("accepted", "referred")
        action = {"accepted": "accept", "referred": "refer"}[detail["state"]]
        assert [e["action"] for e in detail["events"]][2:] == [action]
        _assert_chain(detail, 3)


async def test_two_concurrent_compatible_unit_actions_both_land(api):
    for _ in range(ROUNDS):
        number = await api.take_to("handling")
        lead, co = await api.link(number, "JYJ"), await api.link(number, "JTJ")
        before = await api.events(number)

        answers = await asyncio.gather(api.unit_act(lead, "log_contact", method="电话", summary="电话沟通。"),
                                       api.unit_act(co, "submit_opinion", text="同意。"))

        assert [a.status for a in answers] == [200, 200], [a.body for a in answers]
        detail = await api.detail(number)
        assignments = {a["role"]: a for a in detail["assignments"]}
        assert assignments["lead"]["contact_logged"] is True
        assert [o["text"] for o in assignments["co"]["opinions"]] == ["同意。"]
        assert sorted(e["action"] for e in detail["events"][before:]) == ["log_contact", "submit_opinion"]
        _assert_chain(detail, before + 2)


async def test_two_lead_units_replying_at_once_both_land_and_the_proposal_is_replied(api):
    for _ in range(ROUNDS):
        number = await api.take_to("accepted")
        await api.ok(number, "assign", lead_units=["JYJ", "JTJ"])
        links = [await api.link(number, code) for code in ("JYJ", "JTJ")]
        for link in links:
            await api.unit_ok(link, "sign")
        for link in links:
            await api.unit_ok(link, "log_contact", method="面谈", summary="当面沟通。")
        before = await api.events(number)

        answers = await asyncio.gather(*(api.unit_act(link, "reply", **_reply("A")) for link in links))

        assert [a.status for a in answers] == [200, 200], [a.body for a in answers]
        detail = await api.detail(number)
        assert detail["state"] == "replied", "the second reply to land must see the first"
        assert len(detail["replies"]) == 2
        assert [e["to"] for e in detail["events"][before:]] == ["handling", "replied"]
        _assert_chain(detail, before + 2)
