"""Administrative actions are events too (issue 9, item 16): issuing a binding code, binding and rebinding
a deputy's WeChat, unbinding, revoking a unit link, importing a roster. Each one writes its event, with who
did it, what and when, openids masked and codes never in clear; `audit verify` names an edited one."""
from __future__ import annotations

import base64
import json

from sqlalchemy import select

from storage.models import Event, SystemEvent
from tests.support.audit import execute, json_param, problem_lines, run_audit
from tests.support.console import post_form
from workflow.usecases import binding
from workflow.usecases.roster_import import import_bytes

OLD_PHONE = "oOLDphone-openid-000111"
NEW_PHONE = "oNEWphone-openid-999888"


async def _system_events(db) -> list[SystemEvent]:
    async with db.read() as session:
        return list((await session.execute(select(SystemEvent).order_by(SystemEvent.seq))).scalars())


async def _code_by_api(api, number: str = "D001") -> str:
    answer = await api.post(f"/api/v1/deputies/{number}/binding-code", {})
    assert answer.status == 201, answer.body
    return answer.body["code"]


async def test_a_binding_code_issued_in_the_console_is_logged_with_who_and_for_whom_never_the_code(api, staff, db):
    response = await post_form(staff, "/console/deputies/D001/binding-code", {}, token_from="/console/deputies")
    page = await response.text()
    assert response.status == 200 and "的绑定码" in page
    [event] = await _system_events(db)
    assert (event.action, event.actor_kind, event.actor_id, event.actor_name) == (
        "issue_binding_code", "staff", "wang", "王干事")
    assert (event.subject_kind, event.subject_id) == ("deputy", "D001")
    assert event.payload["name"] == "张三丰" and event.payload["already_bound"] is False
    code = page.split('<span class="code">', 1)[1].split("<", 1)[0]
    assert len(code) == 8 and code not in json.dumps(event.payload)


async def test_rebinding_a_deputys_wechat_records_the_old_and_new_user_masked_and_who_issued_the_code(api, db, staff):
    await binding.bind(db, OLD_PHONE, await _code_by_api(api))
    await binding.bind(db, NEW_PHONE, await _code_by_api(api))  # a new phone: staff issued a new code
    await binding.unbind(db, NEW_PHONE)
    events = await _system_events(db)
    assert [e.action for e in events] == ["issue_binding_code", "bind_wechat", "issue_binding_code", "rebind_wechat",
                                          "unbind_wechat"]
    assert events[2].payload["already_bound"] is True
    rebind = events[3]
    assert (rebind.actor_kind, rebind.actor_id, rebind.subject_id) == ("deputy", "D001", "D001")
    assert rebind.payload["openid"] == "oNEW…9888" and rebind.payload["previous_openid"] == "oOLD…0111"
    assert rebind.payload["code_issued_by"] == "wang"
    assert rebind.payload["previous_openid_ref"] == events[1].payload["openid_ref"]  # the same person as bound
    logged = json.dumps([e.payload for e in events])
    assert OLD_PHONE not in logged and NEW_PHONE not in logged

    page = await (await staff.get("/console/deputies/D001/history")).text()
    assert "改绑微信" in page and "oNEW…9888" in page and "oOLD…0111" in page and "解除微信绑定" in page
    assert NEW_PHONE not in page and "王干事" in page
    assert "绑定记录" in await (await staff.get("/console/deputies")).text()


async def test_a_unit_liaison_binding_is_logged(api, db):
    answer = await api.post("/api/v1/units/JYJ/binding-code", {})
    await binding.bind(db, NEW_PHONE, answer.body["code"])
    events = await _system_events(db)
    assert [(e.action, e.subject_kind, e.subject_id) for e in events] == [
        ("issue_binding_code", "unit", "JYJ"), ("bind_unit_liaison", "unit", "JYJ")]


async def test_revoking_a_unit_link_is_an_event_on_the_proposals_chain(api, db):
    number = await api.take_to("assigned")
    assignment = next(a for a in (await api.detail(number))["assignments"] if a["unit"] == "JYJ")
    answer = await api.post(f"/api/v1/assignments/{assignment['id']}/revoke-link", {})
    assert answer.status == 200, answer.body
    events = (await api.detail(number))["events"]
    last = events[-1]
    assert last["action"] == "revoke_link" and last["actor"]["id"] == "wang"
    assert last["payload"] == {"unit": "JYJ", "link_version": 2}
    async with db.read() as session:
        stored = (await session.execute(select(Event).where(Event.action == "revoke_link"))).scalar_one()
    assert stored.assignment_id == assignment["id"]


async def test_a_roster_imported_in_the_console_is_logged_with_the_files_sha256_and_counts(staff, db):
    import hashlib

    data = "代表证号,姓名,代表团\nD101,王五,城关镇\nD102,赵六,西渡镇\n".encode("utf-8")
    response = await post_form(staff, "/console/deputies/import", {
        "step": "commit", "data": base64.b64encode(data).decode(), "filename": "代表.csv"},
        token_from="/console/deputies/import")
    assert response.status == 200 and "已导入" in await response.text()
    again = await import_bytes(db, "deputies", data, "代表.csv")  # the same file again: nothing changes
    assert again.unchanged == 2
    first, second = await _system_events(db)
    assert (first.action, first.actor_id, first.subject_kind, first.subject_id) == (
        "import_roster", "wang", "roster", "deputies")
    assert first.payload == {"kind": "deputies", "filename": "代表.csv", "sha256": hashlib.sha256(data).hexdigest(),
                             "rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    assert second.payload["unchanged"] == 2 and second.actor_kind == "system"
    page = await (await staff.get("/console/audit")).text()
    assert "导入名册" in page and hashlib.sha256(data).hexdigest() in page


async def test_audit_verify_names_an_edited_system_event(settings, api, db):
    await _code_by_api(api, "D001")
    await _code_by_api(api, "D002")
    assert (await run_audit(settings))[0] == 0
    first = (await _system_events(db))[0]
    await execute(db, (f"UPDATE system_events SET payload = {json_param(db)} WHERE id = :id",
                       {"p": json.dumps({**first.payload, "name": "李四海"}, ensure_ascii=False), "id": first.id}))
    code, output = await run_audit(settings)
    assert code == 1, output
    [line] = problem_lines(output)
    assert line.startswith(f"系统日志 系统事件 #{first.id}（第 1 条）") and "被修改" in line


async def test_audit_verify_names_the_newest_system_event_deleted_with_the_head_moved_back(settings, api, db):
    await _code_by_api(api, "D001")
    await _code_by_api(api, "D002")
    assert (await run_audit(settings))[0] == 0
    first, second = await _system_events(db)
    await execute(db, ("DELETE FROM system_events WHERE id = :id", {"id": second.id}),
                  ("UPDATE meta SET value = :v WHERE key = 'system_events_head'", {"v": f"1:{first.hash}"}))
    code, output = await run_audit(settings)
    assert code == 1, output
    assert any(line.startswith("系统日志") and "有 2 个事件，现在只有 1 个" in line for line in problem_lines(output))


async def test_imports_and_codes_from_the_command_line_are_logged_as_the_operating_system_user(settings, db, tmp_path):
    import asyncio
    import getpass
    import os
    import sys

    from tests.support.audit import ROOT

    path = tmp_path / "代表.csv"
    path.write_text("代表证号,姓名\nD201,孙七\n", encoding="utf-8")
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database_url(), "JIANYI_SERVER_DATA_DIR": settings.server.data_dir}
    for args in (("import", "deputies", str(path)), ("deputies", "codes", "--number", "D201")):
        process = await asyncio.create_subprocess_exec(sys.executable, "run.py", *args, cwd=ROOT, env=env,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0, err.decode()
    events = await _system_events(db)
    assert [(e.action, e.actor_kind, e.actor_id) for e in events] == [
        ("import_roster", "cli", getpass.getuser()), ("issue_binding_code", "cli", getpass.getuser())]
    code = out.decode().splitlines()[1].split("\t")[2]
    assert code not in json.dumps(events[1].payload)
