"""民生实事项目票决 in the console: the printed ballot lists the year's candidates, the tellers' totals are
entered through the form (majority of all deputies; a ranked vote with a tie for the last seat, then the
further vote), a refused entry keeps what was typed, and the result is published at /ms/votes/<id>."""
from __future__ import annotations

import datetime as dt
import re

from tests.support.console import post_form, sign_out_locally

NEW = "/console/projects/votes/new"


async def _candidate(api, title: str, investment: str = "350") -> str:
    made = await api.post("/api/v1/projects", {"title": title, "content": f"{title}：新建、改造，惠及城区群众。",
                                               "source": "department"})
    assert made.status == 201, made.body
    number = made.body["number"]
    promoted = await api.post(f"/api/v1/projects/{number}/actions", {
        "action": "promote", "screening_note": "具备实施条件。", "investment": investment, "unit": "JTJ",
        "planned_completion": (api.clock() + dt.timedelta(days=200)).isoformat()})
    assert promoted.status == 200 and promoted.body["state"] == "candidate", promoted.body
    return number


async def _state(api, number: str) -> str:
    return (await api.get(f"/api/v1/projects/{number}")).body["state"]


async def test_the_ballot_lists_the_years_candidates_for_printing(api, staff):
    a = await _candidate(api, "城区新建公厕", "120.5")
    await _candidate(api, "农村道路硬化")
    year = api.clock().year
    page = await staff.get(f"/console/projects/ballot?year={year}&seats=1")
    text = await page.text()
    assert page.status == 200
    for words in ("城区新建公厕", "农村道路硬化", "120.5", "应选 1 个", "无记名投票", "赞成", "反对", "弃权",
                  "投资（万元）", "计划完成时间", "@page{size:A4"):
        assert words in text, words
    assert a not in text  # the ballot names projects, not their internal numbers
    ranked = await (await staff.get(f"/console/projects/ballot?year={year}&mode=ranking&size=A3")).text()
    assert "排序" in ranked and "<th class=\"box\">赞成</th>" not in ranked and "@page{size:A3" in ranked
    sign_out_locally(staff)
    assert (await staff.get("/console/projects/ballot", allow_redirects=False)).status == 303


async def test_entering_a_majority_of_all_vote_through_the_console(api, staff):
    a, b = await _candidate(api, "学校食堂改造"), await _candidate(api, "老旧小区改造")
    form = await (await staff.get(NEW)).text()
    assert a in form and b in form and "全体代表人数" in form
    typed = {"rule": "majority_of_all", "held_on": api.clock().isoformat(), "total_deputies": "200", "present": "250",
             "ballots_cast": "178", "candidate": [a, b], f"votes_for:{a}": "150", f"against:{a}": "20",
             f"abstain:{a}": "8", f"votes_for:{b}": "100", f"against:{b}": "60", f"abstain:{b}": "18"}
    refused = await post_form(staff, NEW, typed)
    page = await refused.text()
    assert refused.status == 400 and "人数不对" in page and 'value="250"' in page and 'value="150"' in page
    assert await _state(api, a) == "candidate"
    half = await post_form(staff, NEW, {**typed, "present": "180", f"against:{b}": ""})
    assert half.status == 400 and f"请填写 {b} 的反对票数" in await half.text()
    done = await post_form(staff, NEW, {**typed, "present": "180"})
    assert done.status == 303, await done.text()
    result = await (await staff.get(done.headers["Location"])).text()
    assert "当选" in result and "未当选" in result and "101 票" in result and "学校食堂改造" in result
    assert await _state(api, a) == "voted_in" and await _state(api, b) == "voted_out"


async def test_a_ranked_vote_with_a_tie_then_the_further_vote(api, staff):
    a, b, c = [await _candidate(api, t) for t in ("乡镇卫生院设备", "公交线路延伸", "农贸市场改造")]
    figures = {"rule": "top_n", "mode": "ranking", "seats": "2", "total_deputies": "200", "present": "180",
               "ballots_cast": "178", "candidate": [a, b, c], f"points:{a}": "500", f"points:{b}": "420",
               f"points:{c}": "420"}
    assert "排序得分" in await (await staff.get(f"{NEW}?mode=ranking")).text()
    done = await post_form(staff, NEW, figures, token_from=f"{NEW}?mode=ranking")
    assert done.status == 303, await done.text()
    result = await (await staff.get(done.headers["Location"])).text()
    assert "另行表决" in result and "票数相同，需另行表决" in result
    assert await _state(api, a) == "voted_in" and await _state(api, b) == await _state(api, c) == "candidate"
    further = re.search(r'href="(/console/projects/votes/new\?[^"]+)"', result).group(1).replace("&amp;", "&")
    again = await (await staff.get(further)).text()
    assert b in again and c in again and f'name="candidate" value="{a}"' not in again
    second = await post_form(staff, NEW, {"rule": "top_n", "mode": "ranking", "seats": "1", "only": f"{b},{c}",
                                          "total_deputies": "200", "present": "180", "ballots_cast": "175",
                                          "candidate": [b, c], f"points:{b}": "300", f"points:{c}": "250"},
                             token_from=further)
    assert second.status == 303, await second.text()
    assert await _state(api, b) == "voted_in" and await _state(api, c) == "voted_out"


async def test_the_result_is_published_without_sign_in(api, staff):
    a = await _candidate(api, "城区停车场建设")
    done = await post_form(staff, NEW, {"rule": "majority_of_all", "total_deputies": "200", "present": "180",
                                        "ballots_cast": "178", "candidate": [a], f"votes_for:{a}": "160",
                                        f"against:{a}": "10", f"abstain:{a}": "8"})
    vote_id = done.headers["Location"].rsplit("/", 1)[1]
    sign_out_locally(staff)
    public = await staff.get(f"/ms/votes/{vote_id}")
    text = await public.text()
    assert public.status == 200 and "城区停车场建设" in text and "160" in text and "当选" in text
    assert "不保存选票" in text and "王干事" not in text
    missing = await staff.get("/ms/votes/99999")
    assert missing.status == 404 and "找不到" in await missing.text()
