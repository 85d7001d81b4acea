"""Issue 10, item 12: what a unit's page (/u/<token>) and its 交办单 show so the unit can do its work: the
deputies' phone, delegation and work unit (a confidential proposal's: the lead unit only), the deputy's
不满意 and why, the unit's own opinion, replies, contacts and progress, why a form is missing, and a
refused form back with the message beside its field and what was typed."""
from __future__ import annotations

import datetime as dt
import re

from tests.support.api import CHINESE

LEAD = {"number": "D003", "name": "王建平", "delegation": "金溪镇代表团", "phone": "13973460001",
        "work_unit": "金溪镇中心小学"}
CO_SIGNER = {"number": "D004", "name": "李秀英", "delegation": "石桥镇代表团", "phone": "13973460002",
             "work_unit": "石桥镇卫生院"}


async def _proposal(api, **extra) -> str:
    for deputy in (LEAD, CO_SIGNER):
        assert (await api.post("/api/v1/deputies", deputy)).status == 201
    number = await api.submit(lead="D003", co_signers=["D004"], **extra)
    return await api.take_to("assigned", number=number)


async def _page(api, link: str) -> str:
    response = await api.client.get(link)
    assert response.status == 200
    return await response.text()


async def test_the_roster_keeps_a_deputys_work_unit(api):
    assert (await api.post("/api/v1/deputies", LEAD)).body["work_unit"] == "金溪镇中心小学"


async def test_both_units_see_the_deputies_phone_delegation_and_work_unit(api):
    number = await _proposal(api)
    for unit in ("JYJ", "JTJ"):
        link = await api.link(number, unit)
        page = await _page(api, link)
        for text in ("13973460001", "金溪镇代表团", "金溪镇中心小学", "13973460002", "石桥镇卫生院"):
            assert text in page, (unit, text)
        contact = (await api.unit_view(link)).body["proposal"]["lead_deputy_contact"]
        assert contact == {"number": "D003", "name": "王建平", "phone": "13973460001",
                           "delegation": "金溪镇代表团", "work_unit": "金溪镇中心小学"}


async def test_a_confidential_proposals_deputies_are_shown_to_the_lead_unit_only(api, staff):
    number = await _proposal(api, confidential=True)
    lead_page = await _page(api, await api.link(number, "JYJ"))
    assert "13973460001" in lead_page and "金溪镇中心小学" in lead_page
    co_link = await api.link(number, "JTJ")
    co_page = await _page(api, co_link)
    assert "保密" in co_page
    for text in ("王建平", "13973460001", "金溪镇中心小学", "李秀英", "13973460002"):
        assert text not in co_page
    body = (await api.unit_view(co_link)).body
    assert body["proposal"]["lead_deputy_contact"] is None and "13973460001" not in str(body)

    shares = {a["role"]: a["id"] for a in (await api.detail(number))["assignments"]}
    lead_sheet = await (await staff.get(f"/console/assignments/{shares['lead']}/sheet")).text()
    assert "13973460001" in lead_sheet and "金溪镇代表团" in lead_sheet and "金溪镇中心小学" in lead_sheet
    co_sheet = await (await staff.get(f"/console/assignments/{shares['co']}/sheet")).text()
    assert "13973460001" not in co_sheet and "金溪镇中心小学" not in co_sheet and "保密" in co_sheet


async def test_the_sheet_shows_the_deputys_phone_delegation_and_work_unit(api, staff):
    number = await _proposal(api)
    for share in (await api.detail(number))["assignments"]:
        sheet = await (await staff.get(f"/console/assignments/{share['id']}/sheet")).text()
        assert "13973460001" in sheet and "金溪镇代表团" in sheet and "金溪镇中心小学" in sheet


async def test_the_page_says_why_the_reply_form_is_missing_while_a_co_units_opinion_is_pending(api):
    number = await api.take_to("handling")
    lead = await api.link(number, "JYJ")
    await api.unit_ok(lead, "log_contact", method="电话", summary="与代表约定实地查看。")
    page = await _page(api, lead)
    assert 'value="reply"' not in page
    assert "协办单位（县交通运输局）的意见尚未送达，且未超过协办期限，暂不能答复" in page
    closed = (await api.unit_view(lead)).body["closed_actions"]
    assert [c["action"] for c in closed if c["action"] == "reply"] == ["reply"]
    await api.unit_ok(await api.link(number, "JTJ"), "submit_opinion", text="同意维修，资金可统筹。")
    page = await _page(api, lead)
    assert 'value="reply"' in page and "暂不能答复" not in page


async def test_a_refused_form_comes_back_with_the_message_beside_its_field_and_what_was_typed(api, clock):
    number = await api.take_to("handling")
    lead = await api.link(number, "JYJ")
    tomorrow = (clock() + dt.timedelta(days=1)).isoformat()
    events = await api.events(number)
    response = await api.client.post(lead, data={"action": "log_contact", "method": "电话", "contacted_on": tomorrow,
                                                 "summary": "电话联系代表，约定下周到校查看。"})
    assert response.status == 400 and response.content_type == "text/html"
    page = await response.text()
    assert "无法完成" not in page
    error = re.search(r'id="log_contact-contacted_on-error"[^>]*>([^<]*)<', page)
    assert error and "沟通日期不能晚于今天" in error.group(1)
    assert "电话联系代表，约定下周到校查看。</textarea>" in page and f'value="{tomorrow}"' in page
    assert await api.events(number) == events  # nothing was recorded
    assert (await api.detail(number))["assignments"][0]["contacts"] == []


async def test_an_extension_applied_for_without_telling_the_deputy_comes_back_beside_the_checkbox(api, clock):
    number = await api.take_to("handling")
    lead = await api.link(number, "JYJ")
    asked = (clock() + dt.timedelta(days=150)).isoformat()
    response = await api.client.post(lead, data={"action": "request_extension", "due_date": asked,
                                                 "reason": "需报县政府研究"})
    page = await response.text()
    assert response.status == 400
    assert re.search(r'id="request_extension-explained_to_deputy-error"[^>]*>[^<]*说明延期原因', page)
    assert "需报县政府研究</textarea>" in page
    response = await api.client.post(lead, data={"action": "request_extension", "due_date": asked,
                                                 "reason": "需报县政府研究", "explained_to_deputy": "on"},
                                     allow_redirects=False)
    assert response.status == 303
    page = await _page(api, lead)
    assert "申请延至" in page and "待审批" in page and "等待人大工作人员审批" in page


async def test_when_re_handling_the_unit_reads_the_deputys_unsatisfied_rating_and_its_reason(api):
    number = await api.take_to("replied")
    await api.ok(number, "evaluate_reply", rating="unsatisfied", reason="校舍维修没有时间表，答复空泛。")
    assert (await api.detail(number))["state"] == "rehandling"
    page = await _page(api, await api.link(number, "JYJ"))
    assert "请重新办理" in page and "不满意理由" in page and "校舍维修没有时间表，答复空泛。" in page
    assert "B 类" in page and "承诺解决时间" in page  # its own earlier reply, with the promise date


async def test_a_unit_sees_what_it_submitted_its_contacts_opinion_and_progress(api):
    number = await api.take_to("implementing")
    co_page = await _page(api, await api.link(number, "JTJ"))
    assert "本单位提交的协办意见" in co_page and "协办意见：同意维修，资金可统筹。" in co_page
    lead = await api.link(number, "JYJ")
    await api.unit_ok(lead, "report_progress", percent=40, text="已完成设计招标。")
    page = await _page(api, lead)
    assert "到校实地查看，与代表当面沟通。" in page  # its contact
    assert "40%" in page and "已完成设计招标。" in page
    assert CHINESE.search(page)
