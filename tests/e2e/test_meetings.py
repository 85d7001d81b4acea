"""集中评议 through HTTP: staff build a meeting's agenda and open and close each item, phones in the room
score from the public page (one score per phone per item), a bound deputy is recognised through
WeChat's web OAuth (against the local fake), results land on the proposal, in the API and in the stats."""
from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import func, select

from storage.models import Meeting, MeetingItem, MeetingLog, MeetingVote
from tests.support.api import Api
from tests.support.bot import code_for
from tests.support.console import csrf_of, post_form, signed_in
from tests.support.wechat_protocol import WechatSide
from web.meetings.vote import VOTER_COOKIE, sign
from workflow.engine.engine import Engine
from workflow.usecases.accounts import add_user, set_password
from workflow.usecases.audit import verify_all

WECHAT_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.50"
VOTE_CHECK = re.compile(r'name="check" value="([^"]*)"')


class Phone:
    """A phone in the room: its own browser with its own cookies, no console account."""

    def __init__(self, client, secret: str, user_agent: str = "Mozilla/5.0 (Linux; Android 14) Mobile"):
        self.client, self.secret = client, secret
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                          headers={"User-Agent": user_agent})

    async def get(self, path: str, **kw):
        return await self.http.get(self.client.make_url(path), allow_redirects=False, **kw)

    async def page(self, path: str) -> str:
        response = await self.get(path)
        assert response.status == 200, (path, response.status)
        return await response.text()

    async def vote(self, token: str, item: int, rating: str, check: str | None = None):
        """Score as the page's form does (the page opened first, for its cookie and the form's check)."""
        if check is None:
            await self.page(f"/v/{token}")
            check = self.check()
        return await self.http.post(self.client.make_url(f"/v/{token}"), allow_redirects=False,
                                    data={"item": str(item), "rating": rating, "check": check})

    def check(self) -> str:
        """The vote form's check for this phone's cookie (what the page's form carries)."""
        cookie = next(c.value for c in self.http.cookie_jar if c.key == VOTER_COOKIE)
        return sign(self.secret, "vote", cookie)

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def phones(client, settings):
    made: list[Phone] = []

    def make(user_agent: str | None = None, on=None) -> Phone:
        phone = Phone(on or client, settings.server.secret_key, *([user_agent] if user_agent else []))
        made.append(phone)
        return phone

    yield make
    for phone in made:
        await phone.close()


async def key_proposal(api: Api, title: str, leader: str = "副县长 刘明华") -> str:
    number = await api.take_to("handling", title=title)
    await api.ok(number, "mark_key", leader=leader, committee="教科文卫工委")
    return number


async def create_meeting(client, title: str = "2025 年重点督办建议集中评议会", held_on: str = "2025-11-20") -> int:
    response = await post_form(client, "/meetings", {"title": title, "held_on": held_on})
    assert response.status == 303, await response.text()
    return int(re.match(r"/meetings/(\d+)", response.headers["Location"]).group(1))


async def add_item(client, meeting_id: int, number: str):
    return await post_form(client, f"/meetings/{meeting_id}/items", {"proposal": number},
                           token_from=f"/meetings/{meeting_id}")


async def item_op(client, meeting_id: int, item_id: int, op: str, **fields):
    return await post_form(client, f"/meetings/{meeting_id}/items/{item_id}/{op}", fields,
                           token_from=f"/meetings/{meeting_id}")


async def screen(client, meeting_id: int) -> dict:
    response = await client.get(f"/meetings/{meeting_id}/screen.json")
    assert response.status == 200
    return await response.json()


async def token_of(db, meeting_id: int) -> str:
    async with db.read() as session:
        return (await session.get(Meeting, meeting_id)).vote_token


async def votes(db) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(MeetingVote))).scalar_one()


async def set_public_mode(client, meeting_id: int, mode: str, open_limit: int = 5):
    return await post_form(client, f"/meetings/{meeting_id}/public-mode",
                           {"public_mode": mode, "open_limit": str(open_limit)}, token_from=f"/meetings/{meeting_id}")


async def meeting_with_open_item(client, api, db, title: str = "关于城关中学校舍维修的建议",
                                 public_mode: str = "codes_open", open_limit: int = 5):
    """(meeting id, item id, vote token, proposal number): one key proposal, open for scoring. The phones
    of these tests score in the open mode (the public's ballot codes: tests/e2e/test_meeting_ballots.py)."""
    number = await key_proposal(api, title)
    meeting_id = await create_meeting(client)
    if public_mode != "codes":
        assert (await set_public_mode(client, meeting_id, public_mode, open_limit)).status == 303
    assert (await add_item(client, meeting_id, number)).status == 303
    item_id = (await screen(client, meeting_id))["items"][0]["id"]
    assert (await item_op(client, meeting_id, item_id, "open")).status == 303
    return meeting_id, item_id, await token_of(db, meeting_id), number


# ------------------------------------------------------------------ the agenda
async def test_staff_create_a_meeting_and_order_key_proposals_on_its_agenda(api, staff, db):
    first = await key_proposal(api, "关于城关中学校舍维修的建议")
    second = await key_proposal(api, "关于县医院扩建停车场的建议", leader="副县长 周建国")
    meeting_id = await create_meeting(staff)
    for number in (first, second):
        assert (await add_item(staff, meeting_id, number)).status == 303
    items = (await screen(staff, meeting_id))["items"]
    assert [i["number"] for i in items] == [first, second]
    assert [i["leader"] for i in items] == ["副县长 刘明华", "副县长 周建国"]  # taken from the key marking
    assert (await item_op(staff, meeting_id, items[1]["id"], "up")).status == 303
    assert [i["number"] for i in (await screen(staff, meeting_id))["items"]] == [second, first]
    report = "已完成教学楼主体加固，秋季学期前全部投入使用。"
    assert (await item_op(staff, meeting_id, items[0]["id"], "report", leader="副县长 刘明华",
                          report=report)).status == 303
    page = await (await staff.get(f"/meetings/{meeting_id}")).text()
    assert report in page and "/v/" in page and "<svg" in page  # the scoring page's QR code, drawn here
    assert "创建会议" in page and "王干事" in page  # the log names who did it


async def test_only_key_supervision_proposals_go_on_the_agenda(api, staff, db):
    plain = await api.take_to("handling", title="普通建议")
    meeting_id = await create_meeting(staff)
    response = await add_item(staff, meeting_id, plain)
    assert response.status == 400
    assert "不是重点督办建议" in await response.text()
    key = await key_proposal(api, "重点建议")
    assert (await add_item(staff, meeting_id, key)).status == 303
    twice = await add_item(staff, meeting_id, key)
    assert twice.status == 400 and "已在本次会议的议程中" in await twice.text()
    assert len((await screen(staff, meeting_id))["items"]) == 1


async def test_one_item_is_open_at_a_time(api, staff, db):
    first, second = await key_proposal(api, "第一项"), await key_proposal(api, "第二项")
    meeting_id = await create_meeting(staff)
    for number in (first, second):
        await add_item(staff, meeting_id, number)
    one, two = [i["id"] for i in (await screen(staff, meeting_id))["items"]]
    assert (await item_op(staff, meeting_id, one, "open")).status == 303
    refused = await item_op(staff, meeting_id, two, "open")
    assert refused.status == 409 and "还在评议中" in await refused.text()
    assert (await screen(staff, meeting_id))["open"] == one
    assert (await item_op(staff, meeting_id, one, "close")).status == 303
    assert (await item_op(staff, meeting_id, two, "open")).status == 303
    again = await item_op(staff, meeting_id, one, "open")
    assert again.status == 409 and "已经结束" in await again.text()


# ------------------------------------------------------------------ scoring from the room
async def test_two_phones_score_as_the_public_and_a_second_score_is_refused_with_nothing_changed(
        api, staff, db, phones):
    meeting_id, item_id, token, _ = await meeting_with_open_item(staff, api, db)
    first, second = phones(), phones()
    page = await first.page(f"/v/{token}")
    assert await (await first.get(f"/v/{token}/state.json")).json() == {"open": item_id}  # what the page polls
    assert "基本满意" in page and "关于城关中学校舍维修的建议" in page
    check = VOTE_CHECK.search(page).group(1)  # a second tab, still showing the buttons
    assert check == first.check()
    assert (await first.vote(token, item_id, "satisfied", check=check)).status == 303
    assert (await second.vote(token, item_id, "unsatisfied")).status == 303
    public = (await screen(staff, meeting_id))["items"][0]["public"]
    assert (public["satisfied"], public["unsatisfied"], public["votes"]) == (1, 1, 2)

    again = await first.vote(token, item_id, "unsatisfied", check=check)
    assert again.status == 409
    assert "已经为这一项评过分了" in await again.text()
    assert await votes(db) == 2
    after = (await screen(staff, meeting_id))["items"][0]["public"]
    assert after == public
    assert "您已评分：满意" in await first.page(f"/v/{token}")


async def test_the_same_phone_tapping_at_once_many_times_scores_once(api, staff, db, phones):
    meeting_id, item_id, token, _ = await meeting_with_open_item(staff, api, db)
    phone = phones()
    await phone.page(f"/v/{token}")
    check = phone.check()
    answers = await asyncio.gather(*[phone.vote(token, item_id, rating, check=check)
                                     for rating in ("satisfied", "unsatisfied") * 4])
    assert sorted(a.status for a in answers) == [303] + [409] * 7
    assert await votes(db) == 1
    assert (await screen(staff, meeting_id))["items"][0]["public"]["votes"] == 1


async def test_a_score_counts_only_while_its_item_is_open(api, staff, db, phones):
    number = await key_proposal(api, "评议窗口")
    meeting_id = await create_meeting(staff)
    await add_item(staff, meeting_id, number)
    item_id = (await screen(staff, meeting_id))["items"][0]["id"]
    token, phone = await token_of(db, meeting_id), phones()
    early = await phone.vote(token, item_id, "satisfied")
    assert early.status == 409 and "还没有开始评议" in await early.text()
    await item_op(staff, meeting_id, item_id, "open")
    check = phone.check()
    await item_op(staff, meeting_id, item_id, "close")
    late = await phone.vote(token, item_id, "satisfied", check=check)
    assert late.status == 409 and "已经结束" in await late.text()
    unknown = await phone.vote(token, item_id, "great", check=check)
    assert unknown.status == 400
    assert await votes(db) == 0


async def test_a_score_without_the_pages_check_or_cookie_is_refused(api, staff, db, phones):
    _, item_id, token, _ = await meeting_with_open_item(staff, api, db)
    phone = phones()
    await phone.page(f"/v/{token}")
    forged = await phone.vote(token, item_id, "satisfied", check="forged")
    assert forged.status == 403 and "页面已过期" in await forged.text()
    stranger = phones()  # never opened the page: no voter cookie (as a cross-site form post would be)
    blind = await stranger.vote(token, item_id, "satisfied", check="x")
    assert blind.status == 400
    assert await votes(db) == 0
    wrong_token = await phones().get("/v/not-a-meeting")
    assert wrong_token.status == 404 and "评议链接无效" in await wrong_token.text()


async def test_bound_deputy_is_recognised_through_wechat_oauth_and_scores_as_a_deputy(
        aiohttp_client, settings, db, clock, staff_token, fake_wechat, phones):
    settings = replace(settings, wechat=replace(settings.wechat, app_id=fake_wechat.app_id,
                                                app_secret=fake_wechat.app_secret, api_base_url=fake_wechat.base_url))
    from run import build_app
    client = await aiohttp_client(build_app(settings, Engine(db, settings, clock=clock)))
    auth = {"Authorization": f"Bearer {staff_token}"}
    api = Api(client, auth, clock)
    await api.roster()
    wechat = WechatSide(client, settings.wechat.token)
    code = await code_for(client, auth, "deputies", "D001")
    assert "绑定成功" in (await wechat.text("o_deputy_zhang", f"绑定 {code}")).text
    await set_password(db, "wang", "correct-horse-9")
    await signed_in(client, "wang", "correct-horse-9")
    meeting_id, item_id, token, _ = await meeting_with_open_item(client, api, db)

    phone = phones(WECHAT_UA, on=client)
    bounce = await phone.get(f"/v/{token}")
    assert bounce.status == 302
    target = urlsplit(bounce.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == settings.wechat.oauth_authorize_url
    query = parse_qs(target.query)
    assert query["scope"] == ["snsapi_base"] and query["appid"] == [fake_wechat.app_id]
    assert query["redirect_uri"] == [f"http://testserver/v/{token}/wechat"]
    back = await phone.get(f"/v/{token}/wechat", params={"code": fake_wechat.oauth_code("o_deputy_zhang"),
                                                         "state": query["state"][0]})
    assert back.status == 303
    page = await phone.page(f"/v/{token}")
    assert "已识别为代表：张三丰" in page
    assert (await phone.vote(token, item_id, "basically_satisfied")).status == 303
    tally = (await screen(client, meeting_id))["items"][0]
    assert tally["deputies"]["basically_satisfied"] == 1 and tally["public"]["votes"] == 0
    assert {m: c["votes"] for m, c in tally["by_mode"].items()} == {"openid": 1, "code": 0, "open": 0}

    # The same deputy on a second phone is still one WeChat user: refused.
    other = phones(WECHAT_UA, on=client)
    state = parse_qs(urlsplit((await other.get(f"/v/{token}")).headers["Location"]).query)["state"][0]
    await other.get(f"/v/{token}/wechat", params={"code": fake_wechat.oauth_code("o_deputy_zhang"), "state": state})
    assert "您已评分：基本满意" in await other.page(f"/v/{token}")  # the buttons are gone there too
    refused = await other.vote(token, item_id, "satisfied", check=other.check())
    assert refused.status == 409 and await votes(db) == 1

    # A code WeChat does not know (used twice, expired): asked once, then scores as the public.
    stranger = phones(WECHAT_UA, on=client)
    state = parse_qs(urlsplit((await stranger.get(f"/v/{token}")).headers["Location"]).query)["state"][0]
    await stranger.get(f"/v/{token}/wechat", params={"code": "CODE_unknown", "state": state})
    assert "已识别为代表" not in await stranger.page(f"/v/{token}")
    assert (await stranger.vote(token, item_id, "satisfied")).status == 303
    assert (await screen(client, meeting_id))["items"][0]["public"]["satisfied"] == 1
    assert [c.answer.get("errcode") for c in fake_wechat.calls if c.path == "sns/oauth2/access_token"] == [
        None, None, 40029]


# ------------------------------------------------------------------ results
async def test_closing_an_item_keeps_the_result_with_the_proposal_and_in_the_stats(api, staff, db, phones, clock):
    meeting_id, item_id, token, number = await meeting_with_open_item(staff, api, db)
    for rating in ("satisfied", "basically_satisfied", "unsatisfied"):
        assert (await phones().vote(token, item_id, rating)).status == 303
    before = await api.get("/api/v1/stats", year=clock().year)
    assert before.body["meeting_satisfaction"]["public"]["votes"] == 0  # open items do not count yet

    assert (await item_op(staff, meeting_id, item_id, "close")).status == 303
    detail = await api.detail(number)
    [scores] = detail["meeting_scores"]
    assert scores["state"] == "closed"
    assert scores["public"] == {"satisfied": 1, "basically_satisfied": 1, "unsatisfied": 1, "votes": 3,
                                "satisfaction_rate": round(2 / 3, 4)}
    assert scores["deputies"]["votes"] == 0
    [event] = [e for e in detail["events"] if e["action"] == "meeting_result"]
    assert event["label"] == "集中评议结果" and event["actor"]["name"] == "王干事"
    assert event["from"] == event["to"] == detail["state"]  # a recorded fact, no transition
    problems, _ = await verify_all(db)
    assert problems == []  # the event sits on the proposal's hash chain like any other

    stats = (await api.get("/api/v1/stats", year=clock().year)).body["meeting_satisfaction"]
    assert stats["public"]["votes"] == 3 and stats["public"]["satisfaction_rate"] == round(2 / 3, 4)
    assert stats["deputies"] == {"satisfied": 0, "basically_satisfied": 0, "unsatisfied": 0, "votes": 0,
                                 "satisfaction_rate": None}
    other_year = (await api.get("/api/v1/stats", year=clock().year - 1)).body["meeting_satisfaction"]
    assert other_year["public"]["votes"] == 0
    page = await (await staff.get(f"/console/proposals/{number}")).text()
    assert "集中评议" in page and "66.7%" in page and "群众评分" in page


async def test_screen_json_follows_the_live_tally(api, staff, db, phones):
    meeting_id, item_id, token, number = await meeting_with_open_item(staff, api, db)
    body = await screen(staff, meeting_id)
    assert body["open"] == body["current"] == item_id
    assert body["vote_url"] == f"http://testserver/v/{token}"
    assert body["items"][0]["public"]["votes"] == 0
    await phones().vote(token, item_id, "satisfied")
    assert (await screen(staff, meeting_id))["items"][0]["public"]["satisfied"] == 1
    page = await (await staff.get(f"/meetings/{meeting_id}/screen")).text()
    assert "screen.json" in page and "<svg" in page and "<script src=" not in page  # nothing loaded from elsewhere
    await item_op(staff, meeting_id, item_id, "close")
    closed = await screen(staff, meeting_id)
    assert closed["open"] is None and closed["current"] == item_id


# ------------------------------------------------------------------ who may, and forged forms
async def test_a_viewer_cannot_create_meetings_or_open_items(api, staff, client, db):
    meeting_id, item_id, token, _ = await meeting_with_open_item(staff, api, db)
    await add_user(db, "zhao", "viewer", "correct-horse-9", "赵观察")
    client.session.cookie_jar.clear()
    await signed_in(client, "zhao", "correct-horse-9")
    page = await (await client.get(f"/meetings/{meeting_id}")).text()
    assert "结束评议" not in page and "新建评议会议" not in page
    token_value = await csrf_of(client, "/meetings")
    created = await client.post("/meetings", data={"title": "越权会议", "held_on": "2025-11-20",
                                                   "csrf_token": token_value}, allow_redirects=False)
    assert created.status == 403
    closed = await client.post(f"/meetings/{meeting_id}/items/{item_id}/close", data={"csrf_token": token_value},
                               allow_redirects=False)
    assert closed.status == 403
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Meeting))).scalar_one() == 1
        assert (await session.get(MeetingItem, item_id)).state == "open"


async def test_staff_forms_without_the_csrf_token_change_nothing(api, staff, db):
    meeting_id, item_id, _, _ = await meeting_with_open_item(staff, api, db)
    for path, data in [("/meetings", {"title": "伪造", "held_on": "2025-11-20"}),
                       (f"/meetings/{meeting_id}/items/{item_id}/close", {}),
                       (f"/meetings/{meeting_id}/items/{item_id}/close", {"csrf_token": "wrong"})]:
        response = await staff.post(path, data=data, allow_redirects=False)
        assert response.status == 403, path
        assert "安全校验未通过" in await response.text()
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Meeting))).scalar_one() == 1
        assert (await session.get(MeetingItem, item_id)).state == "open"
        logged = (await session.execute(select(MeetingLog.action).order_by(MeetingLog.id))).scalars().all()
    assert logged == ["create", "public_mode", "add_item", "open"]


async def test_user_text_with_script_is_shown_as_text_on_every_meeting_page(api, staff, db, phones):
    number = await key_proposal(api, "<script>alert('title')</script>校舍")
    meeting_id = await create_meeting(staff, title="<script>alert('m')</script>评议会")
    await add_item(staff, meeting_id, number)
    item_id = (await screen(staff, meeting_id))["items"][0]["id"]
    await item_op(staff, meeting_id, item_id, "report", leader="<b>领导</b>", report="<script>alert('r')</script>")
    await item_op(staff, meeting_id, item_id, "open")
    token = await token_of(db, meeting_id)
    for text in [await (await staff.get(f"/meetings/{meeting_id}")).text(),
                 await (await staff.get(f"/meetings/{meeting_id}/screen")).text(),
                 await (await staff.get("/meetings")).text(),
                 await phones().page(f"/v/{token}")]:
        assert "<script>alert(" not in text and "<b>领导</b>" not in text
        assert "&lt;script&gt;alert(" in text
