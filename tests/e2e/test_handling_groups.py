"""并案办理 through HTTP: staff combine three accepted proposals under a lead, take one out and put it back,
assign the lead (the members go to the same units at once), the unit replies once for all three from the
lead's page (three replies, three events), each deputy rates their own; refusals in Chinese change nothing."""
from __future__ import annotations

from tests.support.api import CHINESE

THIRD = {"number": "D003", "name": "王五岳", "delegation": "东岭镇", "phone": "13800000003"}
CONTACT = {"method": "电话", "summary": "电话联系代表，说明并案办理的安排。"}
REPLY = {"category": "A", "text": "三件建议反映的校舍问题已统一安排维修，现已完工。", "signer": "周局长"}


async def _three(api) -> tuple[str, str, str]:
    assert (await api.post("/api/v1/deputies", THIRD)).status == 201
    numbers = []
    for lead, title in (("D001", "关于维修城关中学校舍的建议"), ("D002", "关于城关中学教学楼改造的建议"),
                        ("D003", "关于尽快修缮城关中学危房的建议")):
        number = await api.submit(lead=lead, title=title, confidential=lead == "D003")
        numbers.append(await api.take_to("accepted", number))
    return numbers[0], numbers[1], numbers[2]


def _actions(detail: dict) -> list[str]:
    return [e["action"] for e in detail["events"]]


async def _unchanged(api, numbers, before):
    for number in numbers:
        assert await api.detail(number) == before[number]


async def _snapshot(api, numbers) -> dict:
    return {n: await api.detail(n) for n in numbers}


async def test_combine_take_out_put_back_and_assign_the_group_at_once(api):
    lead, second, third = await _three(api)
    combined = await api.ok(lead, "combine", members=[second, third])
    assert combined["state"] == "accepted"
    for number in (second, third):
        detail = await api.detail(number)
        assert _actions(detail)[-1] == "combine" and detail["events"][-1]["payload"]["lead"] == lead
    assert (await api.ok(lead, "uncombine", member=third))["state"] == "accepted"
    assert _actions(await api.detail(third))[-1] == "uncombine"
    await api.ok(lead, "combine", members=[third])  # put back
    assert _actions(await api.detail(third))[-2:] == ["uncombine", "combine"]

    # A member is not assigned alone; assigning the lead assigns every member to the same units and due date.
    refused = await api.act(second, "assign", lead_units=["JYJ"])
    assert refused.status == 409 and lead in refused.message() and CHINESE.search(refused.message())
    due = api.promise_date(60)
    await api.ok(lead, "assign", lead_units=["JYJ"], co_units=["JTJ"], due_date=due)
    for number in (lead, second, third):
        detail = await api.detail(number)
        assert detail["state"] == "assigned"
        assert sorted((a["unit"], a["role"], a["due_date"]) for a in detail["assignments"]) == [
            ("JTJ", "co", None), ("JYJ", "lead", due)], detail["assignments"]
        assert _actions(detail).count("assign") == 1


async def test_refusals_in_chinese_change_nothing(api):
    lead, second, third = await _three(api)
    other = await api.take_to("accepted", title="关于修建城关镇公厕的建议")
    assigned = await api.take_to("assigned", title="关于硬化西渡村道的建议")
    await api.ok(other, "combine", members=[third])
    before = await _snapshot(api, [lead, second, third, other, assigned])
    for members, status, word in (([assigned], 409, "已立案"), ([third], 409, "另一个并案"),
                                  (["2099-999"], 400, "找不到"), ([lead], 400, "牵头建议"),
                                  ("", 400, "并入的建议编号")):
        answer = await api.act(lead, "combine", members=members)
        assert answer.status == status and word in answer.message(), (members, answer.body)
    answer = await api.act(third, "combine", members=[second])  # a member does not lead
    assert answer.status == 409 and other in answer.message()
    await _unchanged(api, [lead, second, third, other, assigned], before)

    await api.ok(lead, "combine", members=[second])
    await api.ok(lead, "assign", lead_units=["JYJ"])
    before = await _snapshot(api, [lead, second])
    answer = await api.act(lead, "uncombine", member=second)  # after 交办: no longer
    assert answer.status == 409 and "已交办" in answer.message()
    answer = await api.act(other, "uncombine", member=second)
    assert answer.status == 409 and "不在本并案中" in answer.message()
    await _unchanged(api, [lead, second], before)
