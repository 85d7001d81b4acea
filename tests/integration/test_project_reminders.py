"""Progress-report cards of livelihood projects being implemented: yellow to the responsible unit before the
next report is due, red to the unit and staff after it; each once, a pass with nothing new writes nothing, and
a report moves the due date on so the next period has cards of its own."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from notify.texts import render
from storage.models import OutboxMessage, ReminderSent
from workflow.usecases.project_reminders import issue_project_reminders


async def _implementing(api, due: dt.date) -> tuple[str, str]:
    made = await api.post("/api/v1/projects", {"title": "城区新建公厕", "content": "新建公厕 10 座。", "source": "department"})
    number = made.body["number"]
    promoted = await api.post(f"/api/v1/projects/{number}/actions", {
        "action": "promote", "screening_note": "可行。", "investment": "80", "unit": "JTJ",
        "planned_completion": (due + dt.timedelta(days=200)).isoformat()})
    assert promoted.status == 200, promoted.body
    vote = await api.post("/api/v1/projects/votes", {"total_deputies": 100, "present": 90, "ballots_cast": 90, "tallies": [
        {"project": number, "votes_for": 80, "against": 5, "abstain": 5}]})
    assert vote.status == 201, vote.body
    started = await api.post(f"/api/v1/projects/{number}/actions", {"action": "start", "due_date": due.isoformat()})
    assert started.status == 200, started.body
    return number, (await api.get(f"/api/v1/projects/{number}")).body["link"]


async def _cards(db) -> list[tuple[str, str, str]]:
    async with db.read() as session:
        return sorted((await session.execute(select(OutboxMessage.kind, OutboxMessage.recipient_kind,
                                                    OutboxMessage.recipient_id)
                                             .where(OutboxMessage.kind.like("reminder_%")))).all())


async def test_a_project_gets_a_yellow_card_then_a_red_one_each_once(api, db, settings, clock):
    due = clock.today + dt.timedelta(days=1)
    number, _link = await _implementing(api, due)
    assert await issue_project_reminders(db, settings, clock.today) == 1
    assert await issue_project_reminders(db, settings, clock.today) == 0
    assert await _cards(db) == [("reminder_yellow", "unit", "JTJ")]
    later = due + dt.timedelta(days=1)
    assert await issue_project_reminders(db, settings, later) == 1
    assert await issue_project_reminders(db, settings, later) == 0
    assert await _cards(db) == [("reminder_red", "staff", "*"), ("reminder_red", "unit", "JTJ"),
                                ("reminder_yellow", "unit", "JTJ")]
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(ReminderSent))).scalar_one() == 2
        red = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "reminder_red",
                                                                 OutboxMessage.recipient_kind == "unit"))).scalar_one()
    text = render(red.kind, red.payload).text
    assert f"【民生实事 {number}】城区新建公厕" in text and "实施进展报告期限已于" in text and "逾期" in text


async def test_a_report_moves_the_due_date_and_a_far_one_gets_no_card(api, db, settings, clock, client):
    due = clock.today + dt.timedelta(days=1)
    number, link = await _implementing(api, due)
    reported = await client.post(link, json={"action": "report_progress", "percent": 30, "text": "已开工。"})
    assert reported.status == 200
    next_due = dt.date.fromisoformat((await api.get(f"/api/v1/projects/{number}")).body["progress_due"])
    assert next_due > due + dt.timedelta(days=20)
    assert await issue_project_reminders(db, settings, due + dt.timedelta(days=3)) == 0
    assert await _cards(db) == []
    assert await issue_project_reminders(db, settings, next_due + dt.timedelta(days=1)) == 1
    assert ("reminder_red", "unit", "JTJ") in await _cards(db)


async def test_a_completed_project_gets_no_card(api, db, settings, clock, client):
    _number, link = await _implementing(api, clock.today + dt.timedelta(days=1))
    done = await client.post(link, json={"action": "complete", "text": "已建成。"})
    assert done.status == 200
    assert await issue_project_reminders(db, settings, clock.today + dt.timedelta(days=30)) == 0
