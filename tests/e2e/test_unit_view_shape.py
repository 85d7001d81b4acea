"""A unit's link shows the same in JSON as on its page (issue 9, item 15): of another unit's share only
its name, role, state and dates; of the notes, the co-units' opinions to the lead unit only."""
from __future__ import annotations


async def _handled(api):
    number = await api.take_to("handling")
    lead, co = await api.link(number, "JYJ"), await api.link(number, "JTJ")
    await api.unit_ok(lead, "log_contact", method="电话", summary="与代表约定下周实地查看。")
    await api.unit_ok(co, "submit_opinion", text="同意，建议分两期实施。")
    return number, lead, co


async def _view(api, link: str) -> dict:
    answer = await api.client.get(link, headers={"Accept": "application/json"})
    assert answer.status == 200
    return await answer.json()


async def test_a_co_unit_sees_neither_the_lead_units_contact_notes_nor_its_payloads(api):
    _, _, co = await _handled(api)
    body = await _view(api, co)
    lead_share = next(a for a in body["proposal"]["assignments"] if a["role"] == "lead")
    assert lead_share["contacts"] == [] and lead_share["progress"] == []
    assert "实地查看" not in str(body)
    own = next(a for a in body["proposal"]["assignments"] if a["role"] == "co")
    assert own["opinions"][0]["text"] == "同意，建议分两期实施。"


async def test_the_lead_unit_reads_the_co_units_opinion_as_its_page_shows(api):
    _, lead, _ = await _handled(api)
    body = await _view(api, lead)
    co_share = next(a for a in body["proposal"]["assignments"] if a["role"] == "co")
    assert co_share["opinions"][0]["text"] == "同意，建议分两期实施。"
    page = await (await api.client.get(lead)).text()
    assert "同意，建议分两期实施。" in page


async def test_staff_still_see_every_note(api):
    number, _, _ = await _handled(api)
    detail = await api.detail(number)
    assert "实地查看" in str(detail) and "分两期" in str(detail)
