"""Issue 10, items 9 and 11 over HTTP: the 6-month cap at 交办, extensions the deputy was told of and
units' applications for one, 改派 that swaps lead and co-unit with a fresh period (or not, by setting),
and staff's deadline for deciding an adjustment request, with its cards."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import select

from notify.runner import Scheduler
from storage.models import OutboxMessage
from tests.support.api import CHINESE, Api
from workflow.domain.deadlines import due_date
from workflow.usecases.audit import verify_all


def _share(detail: dict, unit: str, role: str) -> dict:
    found = [a for a in detail["assignments"] if a["unit"] == unit and a["role"] == role and a["link"]]
    assert len(found) == 1, detail["assignments"]
    return found[0]


async def _outbox(db, kind: str) -> list[tuple[str, str]]:
    async with db.read() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind))).scalars()
        return sorted((r.recipient_kind, r.recipient_id) for r in rows)


# ------------------------------------------------------------------ item 9
async def test_assigning_with_a_due_date_22_months_out_is_refused_naming_due_date_and_changes_nothing(api, clock):
    number = await api.take_to("accepted")
    events = await api.events(number)
    answer = await api.act(number, "assign", lead_units=["JYJ"],
                           due_date=(clock() + dt.timedelta(days=670)).isoformat())
    assert answer.status == 400 and answer.body["field"] == "due_date"
    assert "6 个月" in answer.message() and CHINESE.search(answer.message())
    detail = await api.detail(number)
    assert detail["state"] == "accepted" and detail["assignments"] == [] and len(detail["events"]) == events


async def test_staff_extend_only_once_the_unit_explained_the_delay_to_the_deputy_and_the_event_says_so(api, clock):
    number = await api.take_to("handling")
    new_due = (clock() + dt.timedelta(days=120)).isoformat()
    refused = await api.act(number, "extend_deadline", unit="JYJ", due_date=new_due, reason="需要财政预算安排")
    assert refused.status == 400 and refused.body["field"] == "explained_to_deputy"
    detail = await api.ok(number, "extend_deadline", unit="JYJ", due_date=new_due, reason="需要财政预算安排",
                          explained_to_deputy=True)
    assert _share(detail, "JYJ", "lead")["due_date"] == new_due
    assert detail["events"][-1]["payload"]["explained_to_deputy"] is True


async def test_a_lead_unit_applies_from_its_link_and_staff_approve_the_date_it_asked_for(api, clock, db, staff):
    number = await api.take_to("handling")
    lead = await api.link(number, "JYJ")
    asked = (clock() + dt.timedelta(days=150)).isoformat()
    view = await api.unit_ok(lead, "request_extension", due_date=asked, reason="涉及跨年度资金，需报县政府研究。",
                             explained_to_deputy=True)
    assert view["assignment"]["extension_requested_due"] == asked
    assert view["assignment"]["extension_requests"][0]["state"] == "pending"
    assert await _outbox(db, "extension_requested") == [("staff", "*")]
    again = await api.unit_act(lead, "request_extension", due_date=asked, reason="再次申请", explained_to_deputy=True)
    assert again.status == 409 and "等待人大工作人员审批" in again.message()

    queue = await (await staff.get("/console?q=extension")).text()  # the console's work queue lists it
    assert "延期申请" in queue and number in queue
    page = await (await staff.get(f"/console/proposals/{number}")).text()
    assert "同意延期" in page and "涉及跨年度资金" in page

    detail = await api.ok(number, "approve_extension")  # as applied for
    mine = _share(detail, "JYJ", "lead")
    assert mine["due_date"] == asked and mine["extension_requested_due"] is None
    assert mine["extension_requests"][0]["state"] == "approved"
    assert await _outbox(db, "extension_approved") == [("unit", "JYJ")]
    assert ("deputy", "D001") in await _outbox(db, "deadline_extended")


async def test_staff_refuse_an_application_with_a_reason_the_due_date_stands_and_unit_and_deputy_are_told(api, clock, db):
    number = await api.take_to("handling")
    before = _share(await api.detail(number), "JYJ", "lead")["due_date"]
    await api.unit_ok(await api.link(number, "JYJ"), "request_extension", reason="人手不足",
                      due_date=(clock() + dt.timedelta(days=150)).isoformat(), explained_to_deputy=True)
    missing = await api.act(number, "refuse_extension", unit="JYJ")
    assert missing.status == 400 and missing.body["field"] == "reason"
    detail = await api.ok(number, "refuse_extension", unit="JYJ", reason="理由不充分，请按期答复。")
    mine = _share(detail, "JYJ", "lead")
    assert mine["due_date"] == before and mine["extension_requests"][0]["state"] == "refused"
    assert await _outbox(db, "extension_refused") == [("unit", "JYJ")]
    assert await _outbox(db, "extension_refused_deputy") == [("deputy", "D001")]
    assert "approve_extension" not in detail["allowed_actions"]


async def test_a_co_unit_cannot_apply_for_an_extension(api, clock):
    number = await api.take_to("handling")
    answer = await api.unit_act(await api.link(number, "JTJ"), "request_extension", reason="…",
                                due_date=(clock() + dt.timedelta(days=150)).isoformat(), explained_to_deputy=True)
    assert answer.status == 409 and "主办" in answer.message()


# ------------------------------------------------------------------ item 11
async def test_reassigning_the_lead_to_its_co_unit_swaps_them_with_a_fresh_reply_period(api, clock, db, settings):
    number = await api.take_to("assigned")  # JYJ leads, JTJ co-handles
    await api.unit_ok(await api.link(number, "JYJ"), "request_adjustment", reason="改由县交通运输局主办、我局协办。")
    clock.advance(5)
    detail = await api.ok(number, "reassign", unit="JYJ", to_unit="JTJ", keep_as_co=True)
    new_lead, kept = _share(detail, "JTJ", "lead"), _share(detail, "JYJ", "co")
    assert new_lead["state"] == "pending" and kept["state"] == "pending"
    assert new_lead["due_date"] == due_date(clock(), settings.deadlines.reply).due.isoformat()
    assert {(a["unit"], a["role"]) for a in detail["assignments"] if a["state"] == "reassigned"} == {
        ("JYJ", "lead"), ("JTJ", "co")}
    assert detail["events"][-1]["payload"]["swapped"] is True
    report = await verify_all(db)  # the tables are what the events say
    assert [str(p) for p in report.problems] == []
    for unit in ("JTJ", "JYJ"):  # the new shares are signed for through the units' (new) links
        await api.unit_ok(await api.link(number, unit), "sign")
    assert (await api.detail(number))["state"] == "handling"


async def test_reassigning_a_lead_to_a_unit_already_leading_is_refused(api):
    number = await api.submit()
    await api.ok(number, "accept", category="教育")
    await api.ok(number, "assign", lead_units=["JYJ", "JTJ"])
    await api.unit_ok(await api.link(number, "JYJ"), "request_adjustment", reason="不属于本局职责")
    answer = await api.act(number, "reassign", unit="JYJ", to_unit="JTJ")
    assert answer.status == 400 and answer.body["field"] == "to_unit"


async def test_with_reassign_fresh_period_off_the_new_lead_keeps_the_old_due_date(aiohttp_client, settings, engine,
                                                                                    auth, clock):
    from run import build_app

    kept = replace(settings, workflow=replace(settings.workflow, reassign_fresh_period=False))
    engine.settings = kept
    api = Api(await aiohttp_client(build_app(kept, engine)), auth, clock)
    await api.roster()
    number = await api.take_to("assigned")
    old_due = _share(await api.detail(number), "JYJ", "lead")["due_date"]
    await api.unit_ok(await api.link(number, "JYJ"), "request_adjustment", reason="不属于本局职责")
    clock.advance(7)
    detail = await api.ok(number, "reassign", unit="JYJ", to_unit="JTJ")
    assert _share(detail, "JTJ", "lead")["due_date"] == old_due


async def test_an_adjustment_request_is_due_for_staffs_decision_with_a_yellow_then_a_red_card(api, clock, db, settings):
    number = await api.take_to("assigned")
    view = await api.unit_ok(await api.link(number, "JTJ"), "request_adjustment", reason="不属于本局职责")
    due = due_date(clock(), settings.deadlines.adjustment_decision).due
    assert view["assignment"]["adjustment_decision_due"] == due.isoformat()
    assert view["assignment"]["adjustment_requested_on"] == clock().isoformat()
    scheduler = Scheduler(db, settings, clock)

    async def cards() -> list[tuple[str, str]]:
        async with db.read() as session:
            rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind.like("reminder%")))).scalars()
            return sorted((r.kind, r.recipient_kind) for r in rows
                          if r.payload["facts"]["deadline"] == "调整申请处理期限")

    clock.today = due - dt.timedelta(days=1)
    await scheduler.run_once()
    assert await cards() == [("reminder_yellow", "staff")]
    clock.today = due + dt.timedelta(days=1)
    await scheduler.run_once()
    assert await cards() == [("reminder_red", "staff"), ("reminder_red", "supervisor"), ("reminder_yellow", "staff")]
    # Decided: no more cards for it.
    await api.ok(number, "reject_adjustment", unit="JTJ", reason="属于贵局职责，请继续办理。")
    clock.advance(3)
    await scheduler.run_once()
    assert len(await cards()) == 3


async def test_staff_swap_lead_and_co_unit_from_the_console_form(api, staff):
    from tests.support.console import post_form

    number = await api.take_to("assigned")
    await api.unit_ok(await api.link(number, "JYJ"), "request_adjustment", reason="改由县交通运输局主办、我局协办。")
    page_path = f"/console/proposals/{number}"
    page = await (await staff.get(page_path)).text()
    assert "县交通运输局（本件协办单位：主办、协办对调）" in page and 'name="keep_as_co"' in page
    answer = await post_form(staff, f"{page_path}/actions", {"action": "reassign", "unit": "JYJ", "to_unit": "JTJ",
                                                              "keep_as_co": "on"}, token_from=page_path)
    assert answer.status == 303, await answer.text()
    detail = await api.detail(number)
    assert _share(detail, "JTJ", "lead")["state"] == "pending" and _share(detail, "JYJ", "co")["state"] == "pending"
