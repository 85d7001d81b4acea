"""The whole cycle of a livelihood project through HTTP only: solicited on /ms during a window, promoted in
the console, the ballot printed, the session's results entered (majority of all deputies, then a ranked vote),
implemented with progress through the unit's link, scored at a year-end round from phones, and the figures in
the API and on the dashboard."""
from __future__ import annotations

import datetime as dt

from tests.e2e import test_project_evaluation as evaluation
from tests.e2e.test_meeting_ballots import code_vote
from tests.e2e.test_meetings import item_op, screen, token_of
from tests.e2e.test_project_evaluation import print_codes, year_end_round
from tests.support.console import post_form

JSON = {"Accept": "application/json"}
room, phones = evaluation.room, evaluation.phones  # the fixtures: a signed-in console, the room's phones


async def _promote(client, number: str, api) -> None:
    page = f"/console/projects/{number}"
    response = await post_form(client, f"{page}/act", {
        "action": "promote", "screening_note": "具备实施条件，资金已纳入预算。", "investment": "360", "unit": "JTJ",
        "leader": "王副县长", "planned_completion": (api.clock() + dt.timedelta(days=120)).isoformat(),
        "title": "", "content": ""}, token_from=page)
    assert response.status in (200, 303), await response.text()
    assert (await api.get(f"/api/v1/projects/{number}")).body["state"] == "candidate"


async def test_a_project_goes_from_the_public_page_to_the_year_end_round_and_the_figures(room, db, phones):
    client, api = room
    today = api.clock()
    window = await post_form(client, "/console/projects/windows", {
        "year": str(today.year), "opens_on": today.isoformat(), "closes_on": (today + dt.timedelta(days=30)).isoformat(),
        "note": ""}, token_from="/console/projects")
    assert window.status == 303, await window.text()
    numbers = []
    for i, title in enumerate(("城区新建公厕", "农村道路硬化", "学校食堂改造")):
        posted = await client.post("/ms", data={"title": title, "content": f"{title}，群众呼声很高。"},
                                   headers={"X-Forwarded-For": f"198.51.100.{60 + i}"}, allow_redirects=False)
        assert posted.status == 303, await posted.text()
        numbers.append(posted.headers["Location"].rsplit("/", 1)[1])
    for number in numbers:
        await _promote(client, number, api)
    ballot = await client.get(f"/console/projects/ballot?year={today.year}&seats=2")
    text = await ballot.text()
    assert ballot.status == 200 and all(t in text for t in ("城区新建公厕", "农村道路硬化", "360"))

    first = await api.post("/api/v1/projects/votes", {
        "rule": "majority_of_all", "total_deputies": 200, "present": 180, "ballots_cast": 178,
        "tallies": [{"project": numbers[0], "votes_for": 160, "against": 10, "abstain": 8}]})
    assert first.status == 201 and first.body["outcome"]["elected"] == [numbers[0]], first.body
    ranked = await api.post("/api/v1/projects/votes", {
        "rule": "top_n", "mode": "ranking", "seats": 1, "total_deputies": 200, "present": 180, "ballots_cast": 178,
        "tallies": [{"project": numbers[1], "points": 420}, {"project": numbers[2], "points": 380}]})
    assert ranked.body["outcome"]["elected"] == [numbers[1]] and ranked.body["outcome"]["rejected"] == [numbers[2]]

    started = await api.post(f"/api/v1/projects/{numbers[0]}/actions", {"action": "start"})
    link = started.body["link"]
    reported = await client.post(link, json={"action": "report_progress", "percent": 60, "text": "已建成 7 座。"})
    assert reported.status == 200, await reported.text()
    finished = await client.post(link, json={"action": "complete", "text": "12 座全部建成。"})
    assert finished.status == 200, await finished.text()

    meeting_id = await year_end_round(client, api, [numbers[0]])
    _, _, (member,) = await print_codes(client, meeting_id, 1, "member")
    _, _, (public,) = await print_codes(client, meeting_id, 1, "public")
    item = (await screen(client, meeting_id))["items"][0]["id"]
    token = await token_of(db, meeting_id)
    assert (await item_op(client, meeting_id, item, "open")).status == 303
    assert (await code_vote(phones(), token, item, "satisfied", member)).status == 303
    assert (await code_vote(phones(), token, item, "basically_satisfied", public)).status == 303
    assert (await item_op(client, meeting_id, item, "close")).status == 303

    assert (await api.get(f"/api/v1/projects/{numbers[0]}")).body["state"] == "evaluated"
    stats = (await api.get("/api/v1/projects/stats")).body
    assert (stats["solicited"], stats["candidates"], stats["voted_in"], stats["completed_on_time"]) == (3, 3, 2, 1)
    assert stats["evaluations"]["year_end"]["member"]["satisfied"] == 1
    assert stats["evaluations"]["year_end"]["public"]["satisfaction_rate"] == 1.0
    dashboard = await (await client.get(f"/dashboard/projects?year={today.year}")).text()
    assert "城区新建公厕" in dashboard and "年底测评" in dashboard
