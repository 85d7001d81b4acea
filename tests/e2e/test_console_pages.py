"""The staff console through HTTP, as a browser uses it: the work queue, a proposal from submission to
assignment by its generated forms, paper entry for deputies, unit links, rosters, the 交办单, escaping."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from storage.models import BindingCode, Deputy
from tests.support.console import csrf_of, post_form, signed_in
from workflow.domain.deadlines import due_date
from workflow.usecases.accounts import add_user

ACTION_VALUES = re.compile(r'name="action" value="([a-z_]+)"')


async def _page(client, path: str, status: int = 200) -> str:
    response = await client.get(path)
    text = await response.text()
    assert response.status == status, (path, response.status, text[:500])
    return text


async def _act(client, number: str, action: str, **fields):
    page = f"/console/proposals/{number}"
    return await post_form(client, f"{page}/actions", {"action": action, **fields}, token_from=page)


async def test_work_queue_lists_a_new_submission(api, staff):
    number = await api.submit(title="关于增设城关小学校车的建议")
    text = await _page(staff, "/console")
    assert number in text and "关于增设城关小学校车的建议" in text
    assert re.search(r'<span class="count">1</span>新提交', text)


async def test_work_queue_shows_adjustment_requests_and_overdue_assignments(api, staff, clock):
    adjusting = await api.take_to("assigned", title="申请调整的建议", co=None)
    await api.unit_ok(await api.link(adjusting, "JYJ"), "request_adjustment", reason="不属于本局职责。")
    late = await api.take_to("assigned", title="逾期未签收的建议", lead="JTJ", co=None)
    clock.advance(10)
    assert adjusting in await _page(staff, "/console?q=adjustment")
    overdue = await _page(staff, "/console?q=overdue")
    assert late in overdue and "已逾期" in overdue


async def test_proposal_page_offers_exactly_the_actions_the_engine_allows(api, staff):
    number = await api.submit()
    text = await _page(staff, f"/console/proposals/{number}")
    assert set(ACTION_VALUES.findall(text)) == set((await api.detail(number))["allowed_actions"])
    assert {"accept", "refer", "return_for_revision"} <= set(ACTION_VALUES.findall(text))
    assert "assign" not in ACTION_VALUES.findall(text)


async def test_proposal_goes_from_submission_to_assignment_through_the_console_forms(api, staff, settings, clock):
    number = await api.submit()
    response = await _act(staff, number, "accept", category="教育")
    assert response.status == 303
    assert response.headers["Location"].startswith(f"/console/proposals/{number}?done=accept")
    text = await _page(staff, f"/console/proposals/{number}")
    default_due = re.search(r'name="due_date" value="([0-9-]+)"', text).group(1)
    assert default_due == due_date(clock(), settings.deadlines.reply).due.isoformat()
    assert 'name="lead_units" value="JYJ"' in text and 'name="co_units" value="JTJ"' in text
    response = await _act(staff, number, "assign", lead_units="JYJ", co_units="JTJ", due_date=default_due)
    assert response.status == 303
    detail = await api.detail(number)
    assert detail["state"] == "assigned"
    assert {(a["unit"], a["role"]) for a in detail["assignments"]} == {("JYJ", "lead"), ("JTJ", "co")}
    assert [a["due_date"] for a in detail["assignments"] if a["role"] == "lead"] == [default_due]
    staff_events = [e for e in detail["events"] if e["action"] in ("accept", "assign")]
    assert [(e["actor"]["kind"], e["actor"]["id"], e["actor"]["name"]) for e in staff_events] == [
        ("staff", "wang", "王干事")] * 2
    timeline = await _page(staff, f"/console/proposals/{number}")
    assert "王干事" in timeline and "已立案 → 已交办" in timeline


async def test_wrong_input_in_an_action_form_is_explained_and_changes_nothing(api, staff):
    number = await api.take_to("accepted")
    events = await api.events(number)
    response = await _act(staff, number, "assign", due_date="2020-01-01")
    text = await response.text()
    assert response.status == 400
    assert "请填写“主办单位”" in text and "没有做任何更改" in text
    assert (await api.detail(number))["state"] == "accepted"
    assert await api.events(number) == events


async def test_paper_proposal_entry_records_the_staff_member_on_behalf_of_the_deputy(api, staff):
    response = await post_form(staff, "/console/proposals/new", {
        "lead_deputy": "D001", "co_signers": "D002", "title": "关于修缮西渡镇卫生院的建议",
        "content": "卫生院房屋漏雨，建议安排维修资金。", "category": "医疗", "submit": "on"})
    assert response.status == 303
    ref = response.headers["Location"].split("/")[-1].split("?")[0]
    detail = await api.detail(ref)
    assert detail["state"] == "submitted" and detail["number"] == ref
    assert [c["number"] for c in detail["co_signers"]] == ["D002"]
    for event in detail["events"]:
        assert event["actor"] == {"kind": "staff", "id": "wang", "name": "王干事"}
        assert event["on_behalf_of"] == {"kind": "deputy", "id": "D001"}
    assert "代 张三丰 录入" in await _page(staff, f"/console/proposals/{ref}")


async def test_paper_proposal_for_a_deputy_not_on_the_roster_is_refused(api, staff):
    response = await post_form(staff, "/console/proposals/new", {
        "lead_deputy": "D999", "title": "标题", "content": "内容", "submit": "on"})
    assert response.status == 400
    assert "不在代表名册中" in await response.text()
    assert (await api.get("/api/v1/proposals")).body["total"] == 0


async def test_paper_evaluation_entry_records_the_staff_member_on_behalf_of_the_deputy(api, staff):
    number = await api.take_to("replied", category="B")
    text = await _page(staff, f"/console/proposals/{number}")
    assert "evaluate_reply" in ACTION_VALUES.findall(text)
    response = await _act(staff, number, "evaluate_reply", on_behalf_of="D001", rating="satisfied", reason="")
    assert response.status == 303
    detail = await api.detail(number)
    assert detail["state"] == "implementing"
    event = detail["events"][-1]
    assert event["action"] == "evaluate_reply"
    assert event["actor"] == {"kind": "staff", "id": "wang", "name": "王干事"}
    assert event["on_behalf_of"] == {"kind": "deputy", "id": "D001"}
    assert [e["rating"] for e in detail["evaluations"]] == ["satisfied"]


async def test_revoked_link_stops_working_and_the_new_one_works(api, staff, client):
    number = await api.take_to("assigned", co=None)
    old = await api.link(number, "JYJ")
    assignment_id = (await api.detail(number))["assignments"][0]["id"]
    page = f"/console/proposals/{number}"
    response = await post_form(staff, f"/console/assignments/{assignment_id}/revoke-link", {}, token_from=page)
    assert response.status == 303
    assert (await client.get(old, headers={"Accept": "application/json"})).status == 410
    new = await api.link(number, "JYJ")
    assert new != old
    assert new in await _page(staff, page)
    assert (await client.get(new, headers={"Accept": "application/json"})).status == 200


async def test_roster_upload_preview_shows_row_errors_and_commits_nothing_until_confirmed(staff, db):
    bad = "代表证号,姓名,代表团\nD101,王五,城关镇\nD102,,西渡镇\n".encode("utf-8")
    token = await csrf_of(staff, "/console/deputies/import")
    response = await staff.post("/console/deputies/import", data=_upload(bad, "代表.csv", token))
    text = await response.text()
    assert response.status == 400
    assert "第 3 行" in text and "没有写入任何数据" in text
    assert await _deputies(db) == 0

    good = "代表证号,姓名,代表团\nD101,王五,城关镇\nD102,赵六,西渡镇\n".encode("utf-8")
    response = await staff.post("/console/deputies/import", data=_upload(good, "代表.csv", token))
    text = await response.text()
    assert response.status == 200
    assert "将新增 2 条" in text and "确认导入" in text
    assert await _deputies(db) == 0

    carried = re.search(r'name="data" value="([^"]+)"', text).group(1)
    response = await post_form(staff, "/console/deputies/import",
                               {"step": "commit", "data": carried, "filename": "代表.csv"}, token=token)
    assert response.status == 200
    assert "已导入" in await response.text()
    assert await _deputies(db) == 2
    assert "赵六" in await _page(staff, "/console/deputies")


def _upload(data: bytes, name: str, token: str):
    """The multipart body a browser sends for the upload form."""
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("csrf_token", token)
    form.add_field("step", "preview")
    form.add_field("file", data, filename=name, content_type="text/csv")
    return form


async def _deputies(db) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(Deputy))).scalar_one()


async def test_binding_code_is_shown_once_on_the_roster_page(api, staff, db):
    response = await post_form(staff, "/console/deputies/D001/binding-code", {}, token_from="/console/deputies")
    text = await response.text()
    assert response.status == 200
    code = re.search(r'<span class="code">([A-Z0-9]{8})</span>', text).group(1)
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(BindingCode))).scalar_one() == 1
    assert code not in await _page(staff, "/console/deputies")
    response = await post_form(staff, "/console/units/JYJ/binding-code", {}, token_from="/console/units")
    assert response.status == 200 and '<span class="code">' in await response.text()


async def test_assignment_sheet_has_an_svg_qr_code_and_the_unit_link(api, staff):
    number = await api.take_to("assigned")
    assignment = next(a for a in (await api.detail(number))["assignments"] if a["unit"] == "JYJ")
    text = await _page(staff, f"/console/assignments/{assignment['id']}/sheet")
    assert re.search(r'<svg viewBox="0 0 \d+ \d+" class="segno">', text)
    assert assignment["link"] in text
    assert "代表建议交办单" in text and "@media print" in await _page(staff, "/static/console.css")


async def test_script_in_user_text_is_shown_as_text_on_every_page(api, staff, db):
    script = "<script>alert(1)</script>"
    await api.post("/api/v1/deputies", {"number": "D666", "name": f"名{script}"})
    await api.post("/api/v1/units", {"code": "X1", "name": f"单位{script}"})
    number = await api.take_to("assigned", title=f"标题{script}", content=f"内容{script}", co="X1")
    detail = await api.detail(number)
    pages = ["/console", "/console?q=overdue", "/console/proposals", f"/console/proposals/{number}",
             "/console/deputies", "/console/units"]
    pages += [f"/console/assignments/{a['id']}/sheet" for a in detail["assignments"]]
    for path in pages:
        text = await _page(staff, path)
        assert script not in text, path
    proposal_page = await _page(staff, f"/console/proposals/{number}")
    assert "标题&lt;script&gt;alert(1)&lt;/script&gt;" in proposal_page
    assert "内容&lt;script&gt;alert(1)&lt;/script&gt;" in proposal_page


async def test_unknown_proposal_gets_a_clear_page(staff):
    text = await _page(staff, "/console/proposals/2099-999", status=404)
    assert "找不到建议" in text


async def test_viewer_sees_the_proposal_without_forms_or_unit_links(api, client, db):
    number = await api.take_to("assigned", co=None)
    await add_user(db, "zhao", "viewer", "correct-horse-9")
    await signed_in(client, "zhao")
    text = await _page(client, f"/console/proposals/{number}")
    assert ACTION_VALUES.findall(text) == []
    assert "/u/" not in text and "只能查看" in text
    assert "没有权限" in await _page(client, "/console/proposals/new", status=403)


async def test_second_unsatisfied_rating_puts_the_proposal_in_the_queue_and_staff_mark_it_key(api, staff):
    number = await api.take_to("replied", category="B", co=None)
    await api.ok(number, "evaluate_reply", rating="unsatisfied", reason="学校维修没有落实。")
    await api.reply(await api.link(number, "JYJ"), "B")
    await api.ok(number, "evaluate_reply", rating="unsatisfied", reason="仍未落实。")
    queue = await _page(staff, "/console?q=unsatisfied")
    assert number in queue and "建议重点督办" in queue
    response = await _act(staff, number, "mark_key", leader="李副县长", committee="教科文卫工委")
    assert response.status == 303
    detail = await api.detail(number)
    assert detail["key_supervision"] and detail["key_leader"] == "李副县长"
    assert "领办领导 李副县长" in await _page(staff, f"/console/proposals/{number}")


async def test_paper_draft_is_revised_and_submitted_for_the_deputy_and_gets_its_number(api, staff):
    response = await post_form(staff, "/console/proposals/new", {
        "lead_deputy": "D002", "title": "关于整修西渡河堤的建议", "content": "河堤多处塌陷。"}, token_from="/console")
    draft = response.headers["Location"].split("/")[-1].split("?")[0]
    assert draft.startswith("d")
    page = await _page(staff, f"/console/proposals/{draft}")
    assert 'value="关于整修西渡河堤的建议"' in page
    assert {"revise", "submit"} <= set(ACTION_VALUES.findall(page))
    response = await _act(staff, draft, "submit", on_behalf_of="D002")
    assert response.status == 303
    number = response.headers["Location"].split("/")[-1].split("?")[0]
    detail = await api.detail(number)
    assert detail["state"] == "submitted" and detail["number"] == number
    assert detail["events"][-1]["on_behalf_of"] == {"kind": "deputy", "id": "D002"}


async def test_still_unsatisfied_after_rehandling_waits_in_the_deciding_queue_and_staff_decide_on_the_console(
        api, staff):
    number = await api.take_to("replied", category="D", co=None)
    await api.ok(number, "evaluate_reply", rating="unsatisfied", reason="没有具体措施。")
    await api.reply(await api.link(number, "JYJ"), "D")
    await api.ok(number, "evaluate_reply", rating="unsatisfied", reason="仍没有措施。")
    queue = await _page(staff, "/console?q=deciding")
    assert number in queue and "待研究处理" in queue
    page = await _page(staff, f"/console/proposals/{number}")
    assert "研究处理" in page and "组织当面协商" in page
    response = await _act(staff, number, "decide", decision="face_to_face", text="约请代表与县教育局当面协商。")
    assert response.status == 303
    detail = await api.detail(number)
    assert detail["state"] == "rehandling" and detail["round"] == 3
