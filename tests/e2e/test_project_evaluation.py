"""测评 of livelihood projects through HTTP, run as a 集中评议 meeting is: staff create a year-end round,
put the year's voted projects on it by number and print 常委会组成人员 codes; phones score 满意 / 基本满意 /
不满意 / 弃权 as a deputy (WeChat OAuth, against the local fake), a member (a member code) and the public;
closing an item records the counts per voter kind on the project (a completed one becomes 已测评), and a
recording that failed is reported with the close and recorded again from the item."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from storage.models import MeetingVote, RecordEvent
from tests.e2e import test_meetings
from tests.e2e.test_meeting_ballots import SLIP_CODE, code_vote
from tests.e2e.test_meetings import WECHAT_UA, create_meeting, item_op, screen, token_of
from tests.support.api import Api
from tests.support.bot import code_for
from tests.support.console import post_form, signed_in
from tests.support.wechat_protocol import WechatSide
from workflow.engine.engine import Engine
from workflow.engine.projects import ProjectEngine
from workflow.usecases.accounts import set_password
from workflow.usecases.audit import verify_all

phones = test_meetings.phones  # the fixture: a browser of its own for each phone in the room
ZERO = {"satisfied": 0, "basically_satisfied": 0, "unsatisfied": 0, "abstain": 0}


@pytest.fixture
async def room(aiohttp_client, settings, db, clock, staff_token, fake_wechat):
    """(console client signed in as 王干事, Api): WeChat's OAuth against the fake, deputy 张三丰 bound."""
    settings = replace(settings, wechat=replace(settings.wechat, app_id=fake_wechat.app_id,
                                                app_secret=fake_wechat.app_secret, api_base_url=fake_wechat.base_url))
    from run import build_app
    client = await aiohttp_client(build_app(settings, Engine(db, settings, clock=clock)))
    auth = {"Authorization": f"Bearer {staff_token}"}
    api = Api(client, auth, clock)
    await api.roster()
    code = await code_for(client, auth, "deputies", "D001")
    assert "绑定成功" in (await WechatSide(client, settings.wechat.token).text("o_deputy_zhang", f"绑定 {code}")).text
    await set_password(db, "wang", "correct-horse-9")
    await signed_in(client, "wang", "correct-horse-9")
    return client, api


async def voted_projects(api: Api, *titles: str) -> list[str]:
    """Projects suggested, promoted, voted in at the session and started: each 实施中."""
    numbers = []
    for title in titles:
        made = await api.post("/api/v1/projects", {"title": title, "content": f"{title}的内容。", "source": "department"})
        assert made.status == 201, made.body
        promoted = await api.post(f"/api/v1/projects/{made.body['number']}/actions", {
            "action": "promote", "screening_note": "资金已落实。", "investment": "300", "unit": "JTJ",
            "leader": "王副县长", "planned_completion": (api.clock() + dt.timedelta(days=200)).isoformat()})
        assert promoted.status == 200, promoted.body
        numbers.append(made.body["number"])
    vote = await api.post("/api/v1/projects/votes", {
        "rule": "majority_of_all", "total_deputies": 200, "present": 180, "ballots_cast": 178,
        "tallies": [{"project": n, "votes_for": 150, "against": 20, "abstain": 8} for n in numbers]})
    assert vote.status == 201 and vote.body["outcome"]["elected"] == numbers, vote.body
    for number in numbers:
        started = await api.post(f"/api/v1/projects/{number}/actions", {"action": "start"})
        assert started.status == 200 and started.body["state"] == "implementing", started.body
    return numbers


async def year_end_round(client, api: Api, numbers: list[str], kind: str = "year_end") -> int:
    response = await post_form(client, "/meetings", {"title": f"{api.clock().year} 年民生实事项目年底测评",
                                                     "held_on": api.clock().isoformat(), "round_kind": kind})
    assert response.status == 303, await response.text()
    meeting_id = int(re.match(r"/meetings/(\d+)", response.headers["Location"]).group(1))
    for number in numbers:
        added = await add_project(client, meeting_id, number)
        assert added.status == 303, await added.text()
    return meeting_id


async def add_project(client, meeting_id: int, number: str):
    return await post_form(client, f"/meetings/{meeting_id}/items", {"project": number},
                           token_from=f"/meetings/{meeting_id}")


async def print_codes(client, meeting_id: int, count: int, kind: str):
    response = await post_form(client, f"/meetings/{meeting_id}/ballots", {"count": str(count), "kind": kind},
                               token_from=f"/meetings/{meeting_id}")
    page = await response.text()
    return response, page, [c.replace("-", "") for c in SLIP_CODE.findall(page)]


async def in_wechat(client, phones, fake_wechat, token: str, openid: str, code: str = ""):
    """A phone that opened the round's page inside WeChat and came back from its OAuth as `openid`."""
    phone = phones(WECHAT_UA, on=client)
    suffix = f"?c={code}" if code else ""
    bounce = await phone.get(f"/v/{token}{suffix}")
    state = parse_qs(urlsplit(bounce.headers["Location"]).query)["state"][0]
    back = await phone.get(f"/v/{token}/wechat", params={"code": fake_wechat.oauth_code(openid), "state": state,
                                                         **({"c": code} if code else {})})
    assert back.status == 303
    return phone


async def project(api: Api, number: str) -> dict:
    answer = await api.get(f"/api/v1/projects/{number}")
    assert answer.status == 200, answer.body
    return answer.body


async def live_tally_shows_each_kind(client, meeting_id: int, item_id: int) -> None:
    """The screen (and its JSON) while the item is open: deputy 满意; member 基本满意 and 弃权; public 不满意."""
    live = (await screen(client, meeting_id))["items"][0]
    assert live["deputies"]["satisfied"] == 1 and live["deputies"]["satisfaction_rate"] == 1.0
    assert (live["members"]["basically_satisfied"], live["members"]["abstain"], live["members"]["votes"]) == (1, 1, 2)
    assert live["members"]["satisfied_rate"] == 0.0 and live["members"]["satisfaction_rate"] == 1.0  # 弃权 left out
    assert live["public"]["unsatisfied"] == 1 and live["public"]["satisfaction_rate"] == 0.0
    big = await (await client.get(f"/meetings/{meeting_id}/screen")).text()
    assert "常委会组成人员" in big and "满意和基本满意率" in big and "弃权" in big
    assert f'data-bar="{item_id}.members.abstain"' in big and f'data-srate="{item_id}.members"' in big


# ------------------------------------------------------------------ the round from start to end
async def test_a_year_end_round_scores_each_voter_kind_apart_and_records_them_on_the_project(
        room, db, phones, fake_wechat):
    client, api = room
    done, running = await voted_projects(api, "城区新建公厕", "农村道路硬化")
    completed = await api.post(f"/api/v1/projects/{done}/actions", {"action": "complete", "text": "已全部建成。"})
    assert completed.body["state"] == "completed", completed.body
    meeting_id = await year_end_round(client, api, [done, running])
    page = await (await client.get(f"/meetings/{meeting_id}")).text()
    assert "年底测评" in page and "城区新建公厕" in page and "县交通运输局" in page  # the project's title and unit
    printed, sheet, members = await print_codes(client, meeting_id, 2, "member")
    assert printed.status == 200 and "常委会组成人员评分票" in sheet and "弃权" in sheet
    _, _, (public_code,) = await print_codes(client, meeting_id, 1, "public")
    items = (await screen(client, meeting_id))["items"]
    assert [(i["kind"], i["number"], i["units"]) for i in items] == [("project", done, "县交通运输局"),
                                                                     ("project", running, "县交通运输局")]
    token, first, second = await token_of(db, meeting_id), items[0]["id"], items[1]["id"]
    assert (await item_op(client, meeting_id, first, "open")).status == 303
    both = await item_op(client, meeting_id, second, "open")
    assert both.status == 409 and "“城区新建公厕”还在评议中" in await both.text()

    deputy = await in_wechat(client, phones, fake_wechat, token, "o_deputy_zhang")
    shown = await deputy.page(f"/v/{token}")
    assert "已识别为代表：张三丰" in shown and "弃权" in shown and "民生实事项目" in shown
    assert (await deputy.vote(token, first, "satisfied")).status == 303
    member_page = await phones().page(f"/v/{token}?c={members[0]}")
    assert "常委会组成人员评分票 第 0001 号" in member_page
    for code, choice in ((members[0], "basically_satisfied"), (members[1], "abstain"), (public_code, "unsatisfied")):
        assert (await code_vote(phones(), token, first, choice, code)).status == 303
    again = await code_vote(phones(), token, first, "satisfied", members[0])
    assert again.status == 409 and "只能评一次" in await again.text()  # one vote per voter per item

    await live_tally_shows_each_kind(client, meeting_id, first)

    assert (await item_op(client, meeting_id, first, "close")).status == 303
    body = await project(api, done)
    assert body["state"] == "evaluated"
    [kept] = body["evaluations"]
    assert kept["round"] == "year_end" and kept["meeting"] == meeting_id
    assert kept["deputy"] == {**ZERO, "satisfied": 1}
    assert kept["member"] == {**ZERO, "basically_satisfied": 1, "abstain": 1}
    assert kept["public"] == {**ZERO, "unsatisfied": 1}
    assert kept["rates"]["member"] == {"satisfied_rate": 0.0, "satisfaction_rate": 1.0}
    assert [e["action"] for e in body["events"]][-1] == "record_evaluation"
    assert 'data-recorded="true"' in await (await client.get(f"/meetings/{meeting_id}")).text()

    # The second project, still being carried out: it is scored and stays 实施中.
    assert (await item_op(client, meeting_id, second, "open")).status == 303
    assert (await code_vote(phones(), token, second, "satisfied", members[0])).status == 303
    assert (await item_op(client, meeting_id, second, "close")).status == 303
    running_now = await project(api, running)
    assert running_now["state"] == "implementing"
    assert running_now["evaluations"][0]["member"] == {**ZERO, "satisfied": 1}
    problems, _ = await verify_all(db)
    assert problems == []  # the events sit on the projects' hash chains


async def test_a_deputy_who_is_also_a_member_scores_once_with_the_member_slip(room, db, phones, fake_wechat):
    client, api = room
    (number,) = await voted_projects(api, "乡镇卫生院设备")
    meeting_id = await year_end_round(client, api, [number], kind="mid_year")
    _, _, (slip,) = await print_codes(client, meeting_id, 1, "member")
    item_id = (await screen(client, meeting_id))["items"][0]["id"]
    token = await token_of(db, meeting_id)
    await item_op(client, meeting_id, item_id, "open")
    phone = await in_wechat(client, phones, fake_wechat, token, "o_deputy_zhang", slip)
    page = await phone.page(f"/v/{token}?c={slip}")
    assert "常委会组成人员评分票 第 0001 号" in page and "已识别为代表" not in page
    assert (await code_vote(phone, token, item_id, "satisfied", slip)).status == 303
    as_deputy = await phone.vote(token, item_id, "unsatisfied")  # the same person, now without the slip
    assert as_deputy.status == 409
    tally = (await screen(client, meeting_id))["items"][0]
    assert (tally["members"]["votes"], tally["deputies"]["votes"]) == (1, 0)
    assert (await item_op(client, meeting_id, item_id, "close")).status == 303
    body = await project(api, number)
    assert body["state"] == "implementing" and body["evaluations"][0]["round"] == "mid_year"


# ------------------------------------------------------------------ what a round takes, and refuses
async def test_a_round_takes_only_voted_projects_and_a_meeting_keeps_its_own_choices_and_codes(
        room, db, phones):
    client, api = room
    (number,) = await voted_projects(api, "老旧小区改造")
    fresh = await api.post("/api/v1/projects", {"title": "新建体育公园", "content": "内容。", "source": "public"})
    meeting_id = await year_end_round(client, api, [number])
    for ref, message in ((fresh.body["number"], "只有实施中或已完成"), (number, "已在本次测评的议程中"),
                         ("MS2099-01", "找不到项目")):
        refused = await add_project(client, meeting_id, ref)
        assert refused.status in (400, 404) and message in await refused.text(), ref
    bad_kind = await post_form(client, "/meetings", {"title": "测评", "held_on": "2026-12-01", "round_kind": "weekly"})
    assert bad_kind.status == 400 and "会议类型" in await bad_kind.text()

    plain = await create_meeting(client)  # a 集中评议: no member codes, no 弃权
    refused, _, _ = await print_codes(client, plain, 2, "member")
    assert refused.status == 400 and "只用于民生实事项目测评" in await refused.text()
    item_id = (await screen(client, meeting_id))["items"][0]["id"]
    await item_op(client, meeting_id, item_id, "open")
    token = await token_of(db, meeting_id)
    wrong = await code_vote(phones(), token, item_id, "great", "ABCD" * 3)
    assert wrong.status in (400, 403)
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(MeetingVote))).scalar_one() == 0


async def test_a_failed_recording_still_closes_the_item_and_is_recorded_again_from_it(
        room, db, phones, monkeypatch):
    client, api = room
    (number,) = await voted_projects(api, "公交线路延伸")
    meeting_id = await year_end_round(client, api, [number])
    _, _, (slip,) = await print_codes(client, meeting_id, 1, "member")
    item_id = (await screen(client, meeting_id))["items"][0]["id"]
    token = await token_of(db, meeting_id)
    await item_op(client, meeting_id, item_id, "open")
    assert (await code_vote(phones(), token, item_id, "abstain", slip)).status == 303

    real = ProjectEngine.record_evaluation

    async def down(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ProjectEngine, "record_evaluation", down)
    closed = await item_op(client, meeting_id, item_id, "close")
    assert closed.status == 303 and "done=unrecorded" in closed.headers["Location"]
    page = await (await client.get(closed.headers["Location"])).text()
    assert "已结束测评，但结果未能记入项目" in page and "重新记入项目" in page and "测评结果未能记入项目" in page
    assert (await screen(client, meeting_id))["items"][0]["state"] == "closed"
    assert (await project(api, number))["evaluations"] == []

    monkeypatch.setattr(ProjectEngine, "record_evaluation", real)
    again = await item_op(client, meeting_id, item_id, "record")
    assert again.status == 303 and "done=record" in again.headers["Location"]
    kept = (await project(api, number))["evaluations"]
    assert [k["member"] for k in kept] == [{**ZERO, "abstain": 1}]
    twice = await item_op(client, meeting_id, item_id, "record")
    assert "done=already" in twice.headers["Location"]
    async with db.read() as session:
        events = (await session.execute(select(func.count()).select_from(RecordEvent).where(
            RecordEvent.subject_kind == "project", RecordEvent.action == "record_evaluation"))).scalar_one()
    assert events == 1  # recording the same counts again adds nothing
