"""Units suggested at 交办 from the units that handled similar earlier proposals, and the 类似建议 list on the
console's proposal page; all through HTTP (the API as staff, the console signed in)."""
from __future__ import annotations

import re

from workflow.domain.similarity import WARN_THRESHOLD

ROADS = [
    ("关于硬化杉木乡村组道路的建议", "杉木乡部分村组道路还是泥巴路，雨天泥泞，建议列入农村公路硬化计划。"),
    ("关于维修演陂镇通村公路的建议", "演陂镇通村公路路面破损严重，坑洼多，建议尽快维修农村公路。"),
]
SCHOOLS = [
    ("关于维修城关中学教学楼的建议", "城关中学教学楼屋顶漏水，墙体开裂，建议尽快维修校舍。"),
    ("关于改善西渡镇中心小学校舍的建议", "西渡镇中心小学校舍陈旧，教室漏雨，建议改造校舍。"),
]
NEW_ROAD = ("关于硬化杉木乡通村道路的建议", "杉木乡一些通村道路没有硬化，下雨泥泞难行，希望纳入农村公路建设计划。")
UNRELATED = ("关于扶持油茶产业发展的建议", "油茶种植面积大但加工能力弱，希望扶持加工企业，延长产业链。")


async def _assigned_history(api) -> dict[str, str]:
    """Roads led by JTJ (the second with JYJ helping), schools led by JYJ with JTJ helping."""
    numbers = {}
    for i, (title, content) in enumerate(ROADS):
        numbers[title] = await api.take_to("assigned", lead="JTJ", co="JYJ" if i else None,
                                           title=title, content=content)
    for title, content in SCHOOLS:
        numbers[title] = await api.take_to("assigned", lead="JYJ", co="JTJ", title=title, content=content)
    return numbers


async def test_a_new_road_proposal_is_suggested_the_transport_bureau_as_lead_with_the_earlier_numbers(api):
    numbers = await _assigned_history(api)
    new = await api.submit(title=NEW_ROAD[0], content=NEW_ROAD[1])
    answer = await api.get(f"/api/v1/proposals/{new}/unit-suggestions")
    assert answer.status == 200, answer.body
    lead, co = answer.body["lead"], answer.body["co"]
    assert lead[0]["unit"] == "JTJ" and lead[0]["name"] == "县交通运输局", lead
    assert set(lead[0]) == {"unit", "name", "score", "reasons"} and 0 < len(lead[0]["reasons"]) <= 3
    road = numbers[ROADS[0][0]]
    assert any(r.startswith(f"类似建议 {road} 由县交通运输局主办") for r in lead[0]["reasons"]), lead[0]["reasons"]
    assert all(s["score"] < lead[0]["score"] for s in lead[1:])
    assert co and co[0]["unit"] == "JYJ" and "协办" in co[0]["reasons"][0], co


async def test_a_reassigned_share_does_not_count(api):
    numbers = await _assigned_history(api)
    road = numbers[ROADS[0][0]]
    path = await api.link(road, "JTJ")
    await api.unit_ok(path, "request_adjustment", reason="道路建设不属于本局职责，建议改由县教育局办理。")
    await api.ok(road, "reassign", unit="JTJ", to_unit="JYJ")
    new = await api.submit(title=NEW_ROAD[0], content=NEW_ROAD[1])
    lead = (await api.get(f"/api/v1/proposals/{new}/unit-suggestions")).body["lead"]
    reasons = [r for s in lead for r in s["reasons"]]
    assert f"类似建议 {road} 由县教育局主办" in " ".join(reasons), lead
    assert not any(r.startswith(f"类似建议 {road} 由县交通运输局") for r in reasons), lead


async def test_nothing_similar_gives_empty_lists_and_an_unknown_number_404(api):
    await _assigned_history(api)
    new = await api.submit(title=UNRELATED[0], content=UNRELATED[1])
    answer = await api.get(f"/api/v1/proposals/{new}/unit-suggestions")
    assert answer.status == 200 and answer.body == {"lead": [], "co": []}, answer.body
    missing = await api.get("/api/v1/proposals/2099-999/unit-suggestions")
    assert missing.status == 404 and "找不到" in missing.body["message"]
    assert "/api/v1/proposals/{number}/unit-suggestions" in (await api.get("/api/v1/openapi.json")).body["paths"]


async def test_the_assign_form_shows_the_suggestions_with_their_reasons_and_one_click_fill(api, staff):
    numbers = await _assigned_history(api)
    new = await api.take_to("accepted", title=NEW_ROAD[0], content=NEW_ROAD[1])
    page = await (await staff.get(f"/console/proposals/{new}")).text()
    form = page[page.index('id="action-assign"'):]
    form = form[:form.index("</details>")]
    box = form[form.index('id="unit-suggestions"'):]
    assert box.index("办理过类似建议的单位") < box.index('class="unit-picker"'), "suggestions stand above the picker"
    assert f"类似建议 {numbers[ROADS[0][0]]} 由县交通运输局主办" in box
    assert 'data-suggest-field="lead_units" data-suggest-unit="JTJ"' in box
    assert 'data-suggest-lead="JTJ" data-suggest-co="JYJ"' in box and "一键填入：县交通运输局主办，县教育局协办" in box
    assert not re.search(r'name="(lead|co)_units" value="\w+" checked', form), "nothing is ticked for staff"
    unrelated = await api.take_to("accepted", title=UNRELATED[0], content=UNRELATED[1])
    assert 'id="unit-suggestions"' not in await (await staff.get(f"/console/proposals/{unrelated}")).text()


async def test_a_submitted_proposal_page_lists_its_similar_proposals_marked_at_the_warning(api, staff):
    numbers = await _assigned_history(api)
    new = await api.submit(title=NEW_ROAD[0], content=NEW_ROAD[1])
    page = await (await staff.get(f"/console/proposals/{new}")).text()
    section = page[page.index('id="similar"'):]
    section = section[:section.index("</section>")]
    road = numbers[ROADS[0][0]]
    items = re.findall(r'<a href="/console/proposals/([\d-]+)">', section)
    assert items[0] == road and new not in items and len(items) <= 3, items
    first = section[section.index(f'/console/proposals/{road}"'):].split("</p>")[0]
    assert "已交办" in first and "相似度" in first and "很相似" in first
    scores = (await api.get("/api/v1/proposals/similar", text=f"{NEW_ROAD[0]}\n{NEW_ROAD[1]}",
                            exclude=new)).body["items"]
    below = [s["number"] for s in scores[:3] if s["score"] < WARN_THRESHOLD]
    for number in below:
        line = section[section.index(f'/console/proposals/{number}"'):].split("</p>")[0]
        assert "很相似" not in line
    draft = await api.post("/api/v1/proposals", {"lead_deputy": "D001", "title": NEW_ROAD[0], "content": NEW_ROAD[1],
                                                 "submit": False})
    assert draft.status == 201 and draft.body["state"] == "draft"
    assert 'id="similar"' not in await (await staff.get(f"/console/proposals/{draft.body['ref']}")).text()
