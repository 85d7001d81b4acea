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


async def _grouped_and_signed(api, contact_on=(0, 1, 2)) -> tuple[list[str], dict]:
    """Three proposals combined and assigned (JYJ leads, JTJ co-handles), signed by both, with the co-unit's
    opinions in and the lead unit's contact logged on the proposals `contact_on` names (by position)."""
    numbers = list(await _three(api))
    await api.ok(numbers[0], "combine", members=numbers[1:])
    await api.ok(numbers[0], "assign", lead_units=["JYJ"], co_units=["JTJ"])
    links = {}
    for i, number in enumerate(numbers):
        links[number] = await api.link(number, "JYJ")
        await api.unit_ok(links[number], "sign")
        co = await api.link(number, "JTJ")
        await api.unit_ok(co, "sign")
        await api.unit_ok(co, "submit_opinion", text="协办意见：同意统一维修。")
        if i in contact_on:
            await api.unit_ok(links[number], "log_contact", **CONTACT)
    return numbers, links


async def test_one_reply_for_all_three_from_the_lead_page_then_each_deputy_rates_their_own(api, db):
    from workflow.usecases.audit import verify_all

    numbers, links = await _grouped_and_signed(api)
    page = (await api.unit_view(links[numbers[0]])).body
    shown = {m["number"]: m for m in page["group"]}
    assert set(shown) == set(numbers[1:]) and all(m["reply_open"] for m in shown.values())
    assert shown[numbers[2]]["deputy"] == "王五岳"  # confidential, but this unit leads it
    co_page = (await api.unit_view(await api.link(numbers[0], "JTJ"))).body
    assert {m["number"]: m["deputy"] for m in co_page["group"]}[numbers[2]] == "（保密）"
    events_before = {n: await api.events(n) for n in numbers}

    body = await api.unit_ok(links[numbers[0]], "reply", **REPLY, also=numbers[1:])
    assert body["group_reply"] == {"replied": numbers, "refused": []}
    for number in numbers:
        detail = await api.detail(number)
        assert detail["state"] == "replied" and len(detail["replies"]) == 1
        assert detail["replies"][0]["text"] == REPLY["text"] and detail["replies"][0]["unit"] == "JYJ"
        assert await api.events(number) == events_before[number] + 1
        assert _actions(detail)[-1] == "reply"

    # Each deputy rates their own proposal's reply, and only their own.
    wrong = await api.act(numbers[1], "evaluate_reply", rating="satisfied", on_behalf_of="D001")
    assert wrong.status == 409 and CHINESE.search(wrong.message())
    for number, deputy, rating in zip(numbers, ("D001", "D002", "D003"),
                                      ("satisfied", "basically_satisfied", "satisfied")):
        await api.ok(number, "evaluate_reply", rating=rating, on_behalf_of=deputy)
        evaluations = (await api.detail(number))["evaluations"]
        assert [e["rating"] for e in evaluations] == [rating]
    stats = (await api.get("/api/v1/stats")).body
    assert stats["assigned"] == 3 and stats["replied"] == 3
    problems, checked = await verify_all(db)
    assert problems == [] and checked >= 3


async def test_a_member_that_refuses_is_named_and_the_others_replies_stand(api, client):
    numbers, links = await _grouped_and_signed(api, contact_on=(0, 1))  # no contact logged on the third
    page = await client.get(links[numbers[0]])
    html = await page.text()
    assert "并案办理" in html and "同样答复并案的其他建议" in html and f'name="also_{numbers[1]}"' in html
    form = {"action": "reply", **REPLY, f"also_{numbers[1]}": "on", f"also_{numbers[2]}": "on"}
    answer = await client.post(links[numbers[0]], data=form)
    html = await answer.text()
    assert answer.status == 200
    assert f"已分别答复：{numbers[0]}、{numbers[1]}" in html and "未能答复的建议" in html and "其他建议已答复的不受影响" in html
    assert "答复前须先与代表沟通" in html
    states = [(await api.detail(n))["state"] for n in numbers]
    assert states == ["replied", "replied", "handling"]
    third = await api.detail(numbers[2])
    assert third["replies"] == [] and "reply" not in _actions(third)

    # After the contact is logged, the lead's page replies to the third; its own reply is refused and named.
    await api.unit_ok(links[numbers[2]], "log_contact", **CONTACT)
    body = await api.unit_ok(links[numbers[0]], "reply", **REPLY, also=[numbers[2]])
    assert body["group_reply"]["replied"] == [numbers[2]]
    assert [r["number"] for r in body["group_reply"]["refused"]] == [numbers[0]]
    assert [len((await api.detail(n))["replies"]) for n in numbers] == [1, 1, 1]

    # Nothing replied at all: the lead's own refusal answers, in Chinese, and nothing changes.
    before = await _snapshot(api, numbers)
    answer = await api.unit_act(links[numbers[0]], "reply", **REPLY, also=numbers[1:])
    assert answer.status == 409 and CHINESE.search(answer.message())
    await _unchanged(api, numbers, before)
    stranger = await api.unit_act(links[numbers[1]], "reply", **REPLY, also=["2099-001"])
    assert stranger.status == 409


async def test_a_withdrawn_member_stays_behind_when_the_lead_is_assigned(api):
    lead, second, third = await _three(api)
    await api.ok(lead, "combine", members=[second, third])
    await api.ok(third, "withdraw", reason="问题已在会前解决。", confirm=True, on_behalf_of="D003")
    await api.ok(lead, "assign", lead_units=["JYJ"])
    assert [(await api.detail(n))["state"] for n in (lead, second, third)] == ["assigned", "assigned", "withdrawn"]
    assert "assign" not in _actions(await api.detail(third)) and (await api.detail(third))["assignments"] == []


async def test_the_api_detail_names_the_group_its_lead_and_members(api):
    numbers = [await api.take_to("accepted") for _ in range(2)]
    combined = await api.act(numbers[0], "combine", members=[numbers[1]])
    assert combined.status == 200, combined.body
    for number in numbers:
        group = (await api.detail(number))["group"]
        assert group["lead"] == numbers[0] and group["members"] == sorted(numbers)
    assert (await api.detail(await api.take_to("accepted")))["group"] is None
