"""A year's livelihood projects in figures: API, dashboard page and the .xlsx ledger agree with the hand count."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.e2e.test_projects_api import _candidate


async def test_figures_count_suggestions_candidates_votes_and_completion_and_the_ledger_lists_them(api, staff):
    a, b = await _candidate(api, "城区新建公厕"), await _candidate(api, "农村道路硬化")
    await api.post("/api/v1/projects", {"title": "只是建议", "content": "未列入候选。"})
    await api.post("/api/v1/projects/votes", {
        "total_deputies": 200, "present": 180, "ballots_cast": 178,
        "tallies": [{"project": a, "votes_for": 150, "against": 20, "abstain": 8},
                    {"project": b, "votes_for": 90, "against": 70, "abstain": 18}]})
    await api.post(f"/api/v1/projects/{a}/actions", {"action": "start"})
    done = await api.post(f"/api/v1/projects/{a}/actions", {"action": "complete", "text": "已建成 12 座公厕。"})
    assert done.status == 200, done.body
    stats = (await api.get("/api/v1/projects/stats")).body
    assert (stats["solicited"], stats["candidates"], stats["voted_in"], stats["completed"],
            stats["completed_on_time"], stats["on_time_rate"]) == (3, 2, 1, 1, 1, 1.0)
    page = await staff.get("/dashboard/projects")
    assert page.status == 200 and "城区新建公厕" in await page.text()
    sheet = await staff.get("/dashboard/export/projects.xlsx")
    assert sheet.status == 200
    rows = list(load_workbook(io.BytesIO(await sheet.read())).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and [r[1] for r in rows[1:]] == ["城区新建公厕", "农村道路硬化", "只是建议"]
    bad = await api.get("/api/v1/projects/stats", year="abc")
    assert bad.status == 400
