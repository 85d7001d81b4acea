"""Livelihood projects through the API: suggestions promoted to candidates, the session's vote entered
(counted totals only) under each rule, a tie for the last seat, the voted projects implemented."""
from __future__ import annotations

import datetime as dt


async def _candidate(api, title: str) -> str:
    made = await api.post("/api/v1/projects", {"title": title, "content": f"{title}的具体内容。", "source": "department"})
    assert made.status == 201, made.body
    number = made.body["number"]
    promoted = await api.post(f"/api/v1/projects/{number}/actions", {
        "action": "promote", "screening_note": "具备实施条件，资金已落实。", "investment": "350",
        "unit": "JTJ", "leader": "王副县长", "planned_completion": (api.clock() + dt.timedelta(days=200)).isoformat()})
    assert promoted.status == 200 and promoted.body["state"] == "candidate", promoted.body
    return number


async def test_a_vote_by_majority_of_all_deputies_and_the_voted_project_starts(api):
    a, b = await _candidate(api, "城区新建公厕"), await _candidate(api, "农村道路硬化")
    vote = await api.post("/api/v1/projects/votes", {
        "rule": "majority_of_all", "total_deputies": 200, "present": 180, "ballots_cast": 178,
        "tallies": [{"project": a, "votes_for": 150, "against": 20, "abstain": 8},
                    {"project": b, "votes_for": 100, "against": 60, "abstain": 18}]})
    assert vote.status == 201, vote.body
    assert vote.body["outcome"]["elected"] == [a] and vote.body["outcome"]["rejected"] == [b]
    assert (await api.get(f"/api/v1/projects/{b}")).body["state"] == "voted_out"
    started = await api.post(f"/api/v1/projects/{a}/actions", {"action": "start"})
    assert started.status == 200 and started.body["state"] == "implementing"
    again = await api.post(f"/api/v1/projects/{b}/actions", {"action": "start"})
    assert again.status == 409 and again.body["allowed_actions"] == []


async def test_a_ranked_vote_with_a_tie_for_the_last_seat_leaves_the_tied_for_a_further_vote(api):
    a, b, c = [await _candidate(api, t) for t in ("学校食堂改造", "老旧小区改造", "乡镇卫生院设备")]
    vote = await api.post("/api/v1/projects/votes", {
        "rule": "top_n", "mode": "ranking", "seats": 2, "total_deputies": 200, "present": 180, "ballots_cast": 178,
        "tallies": [{"project": a, "points": 500}, {"project": b, "points": 420}, {"project": c, "points": 420}]})
    assert vote.status == 201, vote.body
    assert vote.body["outcome"]["elected"] == [a] and sorted(vote.body["outcome"]["tied"]) == sorted([b, c])
    assert (await api.get(f"/api/v1/projects/{b}")).body["state"] == "candidate"
    further = await api.post("/api/v1/projects/votes", {
        "rule": "top_n", "mode": "ranking", "seats": 1, "total_deputies": 200, "present": 180, "ballots_cast": 178,
        "tallies": [{"project": b, "points": 300}, {"project": c, "points": 250}]})
    assert further.body["outcome"]["elected"] == [b]


async def test_impossible_counts_and_non_candidates_are_refused_in_chinese(api):
    a = await _candidate(api, "公交线路延伸")
    more = await api.post("/api/v1/projects/votes", {"total_deputies": 200, "present": 180, "ballots_cast": 190,
                                                     "tallies": [{"project": a, "votes_for": 150}]})
    assert more.status == 400 and "人数不对" in more.body["message"]
    unknown = await api.post("/api/v1/projects/votes", {"total_deputies": 200, "present": 180, "ballots_cast": 170,
                                                        "tallies": [{"project": "MS2099-01", "votes_for": 150}]})
    assert unknown.status == 400 and "候选项目" in unknown.body["message"]
    assert (await api.get(f"/api/v1/projects/{a}")).body["state"] == "candidate"
