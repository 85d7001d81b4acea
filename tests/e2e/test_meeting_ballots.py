"""Public meeting votes cannot be stuffed (issue 9, item 6), through HTTP.

The public scores with printed one-time ballot codes (评分票): each code scores each item once, a voided
or forged code scores nothing. A meeting that also accepts the open mode (anyone who scans the room's QR
code) takes at most its limit of scores per item from one network address. Deputies in WeChat keep
scoring by their openid (tests/e2e/test_meetings.py). Staff see how many scores came each way.
"""
from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select

from storage.models import MeetingVote
from storage.models.meetings import MeetingBallot
from tests.e2e import test_meetings
from tests.e2e.test_meetings import (
    add_item,
    create_meeting,
    item_op,
    key_proposal,
    meeting_with_open_item,
    screen,
    set_public_mode,
    token_of,
    votes,
)
from tests.support.console import csrf_of, post_form, signed_in
from workflow.usecases.accounts import add_user

phones = test_meetings.phones  # the fixture: a browser of its own for each phone in the room
SLIP_CODE = re.compile(r'class="slip-code">([A-Z0-9-]+)<')
VOTE_CHECK = re.compile(r'name="check" value="([^"]*)"')


async def print_ballots(client, meeting_id: int, count: int) -> list[str]:
    """Staff print `count` slips: the codes as the printed sheet shows them (ABCD-EFGH-JKLM)."""
    response = await post_form(client, f"/meetings/{meeting_id}/ballots", {"count": str(count)},
                               token_from=f"/meetings/{meeting_id}")
    assert response.status == 200, await response.text()
    page = await response.text()
    codes = SLIP_CODE.findall(page)
    assert len(codes) == count and page.count("<svg") == count  # one QR code per slip, drawn here
    return codes


async def code_vote(phone, token: str, item: int, rating: str, code: str, address: str = "203.0.113.50"):
    """Score with a ballot code, as the slip's page posts it (no cookie needed)."""
    return await phone.http.post(phone.client.make_url(f"/v/{token}"), allow_redirects=False,
                                 data={"item": str(item), "rating": rating, "code": code},
                                 headers={"X-Forwarded-For": address})


async def open_vote(phone, token: str, item: int, rating: str, address: str):
    """Score without a code from a phone behind `address` (the reverse proxy's X-Forwarded-For)."""
    page = await phone.http.get(phone.client.make_url(f"/v/{token}"), headers={"X-Forwarded-For": address})
    check = VOTE_CHECK.search(await page.text())
    return await phone.http.post(phone.client.make_url(f"/v/{token}"), allow_redirects=False,
                                 data={"item": str(item), "rating": rating, "check": check.group(1) if check else ""},
                                 headers={"X-Forwarded-For": address})


async def two_item_meeting(staff, api, db, public_mode: str = "codes"):
    """(meeting id, [item ids], token): two key proposals on the agenda, the first open for scoring."""
    numbers = [await key_proposal(api, "关于城关中学校舍维修的建议"), await key_proposal(api, "关于县医院扩建停车场的建议")]
    meeting_id = await create_meeting(staff)
    if public_mode != "codes":
        assert (await set_public_mode(staff, meeting_id, public_mode)).status == 303
    for number in numbers:
        assert (await add_item(staff, meeting_id, number)).status == 303
    items = [i["id"] for i in (await screen(staff, meeting_id))["items"]]
    assert (await item_op(staff, meeting_id, items[0], "open")).status == 303
    return meeting_id, items, await token_of(db, meeting_id)


# ------------------------------------------------------------------ the reproduction
async def test_a_stranger_clearing_cookies_cannot_stuff_the_public_vote(api, staff, db, phones):
    # Before issue 9 item 6, every cleared cookie was a new phone: 12 tries gave 12 public scores.
    meeting_id, item_id, token, _ = await meeting_with_open_item(staff, api, db, public_mode="codes")
    stranger = phones()
    page = await stranger.page(f"/v/{token}")
    assert "凭<b>评分票</b>评分" in page and 'class="vote satisfied"' not in page  # no buttons without a slip
    for _ in range(12):
        stranger.http.cookie_jar.clear()  # a fresh voter cookie each time: a "new phone"
        refused = await open_vote(stranger, token, item_id, "unsatisfied", "198.51.100.23")
        assert refused.status == 403 and "没有记录评分" in await refused.text()
    assert (await screen(staff, meeting_id))["items"][0]["public"]["votes"] == 0

    # A meeting that also accepts the open mode takes at most its limit from that address.
    assert (await set_public_mode(staff, meeting_id, "codes_open", 3)).status == 303
    answers = []
    for _ in range(12):
        stranger.http.cookie_jar.clear()
        answers.append((await open_vote(stranger, token, item_id, "unsatisfied", "198.51.100.23")).status)
    assert answers == [303] * 3 + [429] * 9
    assert (await screen(staff, meeting_id))["items"][0]["public"]["votes"] == 3


# ------------------------------------------------------------------ ballot codes
async def test_staff_print_codes_and_each_code_scores_each_item_once(api, staff, db, phones, settings):
    meeting_id, (first, second), token = await two_item_meeting(staff, api, db)
    codes = await print_ballots(staff, meeting_id, 12)
    assert len(set(codes)) == 12 and all(re.fullmatch(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){2}", c) for c in codes)
    async with db.read() as session:
        rows = list((await session.execute(select(MeetingBallot).order_by(MeetingBallot.serial))).scalars())
    assert [r.serial for r in rows] == list(range(1, 13))
    stored = " ".join(f"{r.code_hash} {r.created_by_name}" for r in rows)
    assert not any(c.replace("-", "") in stored or c in stored for c in codes)  # only keyed hashes are kept
    meeting_page = await (await staff.get(f"/meetings/{meeting_id}")).text()
    assert not any(c in meeting_page or c.replace("-", "") in meeting_page for c in codes)  # never shown again
    assert "第 1 批" in meeting_page and "0001–0012" in meeting_page

    phone = phones()
    code = codes[0].replace("-", "")
    page = await phone.page(f"/v/{token}?c={code}")  # what the slip's QR code opens
    assert "评分票 第 0001 号" in page and 'name="code"' in page and "基本满意" in page
    assert (await code_vote(phone, token, first, "satisfied", code)).status == 303
    again = await code_vote(phones(), token, first, "unsatisfied", codes[0].lower())  # another phone, same slip
    assert again.status == 409 and "这张评分票已经为这一项评过分了" in await again.text()
    assert await votes(db) == 1
    assert "您已评分：满意" in await phone.page(f"/v/{token}?c={code}")

    # The next item: the same slip scores it once too; a second slip scores beside it.
    await item_op(staff, meeting_id, first, "close")
    await item_op(staff, meeting_id, second, "open")
    assert (await code_vote(phone, token, second, "basically_satisfied", code)).status == 303
    assert (await code_vote(phone, token, second, "unsatisfied", codes[1])).status == 303
    assert (await code_vote(phone, token, second, "unsatisfied", code)).status == 409
    tally = (await screen(staff, meeting_id))["items"]
    assert tally[0]["public"]["votes"] == 1 and tally[1]["public"]["votes"] == 2
    assert tally[1]["by_mode"]["code"]["votes"] == 2 and tally[1]["by_mode"]["open"]["votes"] == 0
    printed = await print_ballots(staff, meeting_id, 3)  # a second printing numbers on
    assert not set(printed) & set(codes)
    async with db.read() as session:
        assert (await session.execute(select(func.max(MeetingBallot.serial)))).scalar() == 15


async def test_a_code_used_at_once_from_many_phones_scores_once(api, staff, db, phones):
    meeting_id, (item_id, _), token = await two_item_meeting(staff, api, db)
    [code] = await print_ballots(staff, meeting_id, 1)
    answers = await asyncio.gather(*[code_vote(phones(), token, item_id, rating, code)
                                     for rating in ("satisfied", "unsatisfied") * 4])
    assert sorted(a.status for a in answers) == [303] + [409] * 7
    assert await votes(db) == 1


async def test_a_voided_or_forged_code_scores_nothing(api, staff, db, phones):
    meeting_id, (item_id, _), token = await two_item_meeting(staff, api, db)
    codes = await print_ballots(staff, meeting_id, 10)
    later = await print_ballots(staff, meeting_id, 5)
    voided = await post_form(staff, f"/meetings/{meeting_id}/ballots/void", {"serials": "2-3, 5"},
                             token_from=f"/meetings/{meeting_id}")
    assert voided.status == 303
    whole = await post_form(staff, f"/meetings/{meeting_id}/ballots/void", {"batch": "2"},
                            token_from=f"/meetings/{meeting_id}")
    assert whole.status == 303
    page = await (await staff.get(f"/meetings/{meeting_id}")).text()
    assert "作废评分票" in page and "编号 2-3, 5，作废 3 张" in page and "第 2 批，作废 5 张" in page

    phone = phones()
    for code in (codes[1], codes[4], later[0]):
        refused = await code_vote(phone, token, item_id, "satisfied", code)
        assert refused.status == 403 and "已作废" in await refused.text()
        shown = await phone.get(f"/v/{token}?c={code}")
        assert shown.status == 403 and "已作废" in await shown.text()
    forged = await code_vote(phone, token, item_id, "satisfied", "ABCD-EFGH-JKLM")
    assert forged.status == 403 and "评分码无效" in await forged.text()
    other_meeting = await create_meeting(staff, title="另一次评议会")
    [foreign] = await print_ballots(staff, other_meeting, 1)
    assert (await code_vote(phone, token, item_id, "satisfied", foreign)).status == 403
    assert (await code_vote(phone, token, item_id, "satisfied", codes[0])).status == 303  # not voided
    bad = await post_form(staff, f"/meetings/{meeting_id}/ballots/void", {"serials": "14-99"},
                          token_from=f"/meetings/{meeting_id}")
    assert bad.status == 400 and "不在本次会议的评分票范围" in await bad.text()
    assert await votes(db) == 1


async def test_junk_from_strangers_is_a_chinese_400_never_a_500(api, staff, db, phones):
    meeting_id, (item_id, _), token = await two_item_meeting(staff, api, db)
    phone = phones()
    for junk in ("X" * 41, "ABCD-EFGH-JKL0", "ABCD-EFGH-JK", "中文中文中文中文中文中文", "ABCD'; DROP TABLE--", "%00"):
        shown = await phone.get(f"/v/{token}", params={"c": junk})
        assert shown.status == 400 and "评分码格式不对" in await shown.text(), junk
        posted = await code_vote(phone, token, item_id, "satisfied", junk)
        assert posted.status == 400 and "评分码格式不对" in await posted.text(), junk
    weird = await phone.http.post(phone.client.make_url(f"/v/{token}"), allow_redirects=False,
                                  data={"item": "1", "rating": "satisfied", "check": "中文"})
    assert weird.status in (400, 403) and "没有记录评分" in await weird.text()
    assert (await phone.get("/v/" + "a" * 300)).status == 404
    assert (await phone.get("/v/bad$token/state.json")).status == 404
    for count in ("0", "501", "abc", "１２", ""):
        response = await post_form(staff, f"/meetings/{meeting_id}/ballots", {"count": count},
                                   token_from=f"/meetings/{meeting_id}")
        assert response.status == 400 and "每次可生成 1 至 500 张" in await response.text(), count
    for fields in ({"public_mode": "everyone", "open_limit": "5"}, {"public_mode": "codes_open", "open_limit": "0"},
                   {"public_mode": "codes_open", "open_limit": "9999"}):
        response = await post_form(staff, f"/meetings/{meeting_id}/public-mode", fields,
                                   token_from=f"/meetings/{meeting_id}")
        assert response.status == 400, fields
    for serials in ("", "abc", "1-" + "9" * 300):
        response = await post_form(staff, f"/meetings/{meeting_id}/ballots/void", {"serials": serials},
                                   token_from=f"/meetings/{meeting_id}")
        assert response.status == 400, serials
    assert await votes(db) == 0


async def test_only_acting_staff_print_or_void_codes_and_never_without_the_csrf_token(api, staff, client, db):
    meeting_id, _, _ = await two_item_meeting(staff, api, db)
    for path, data in [(f"/meetings/{meeting_id}/ballots", {"count": "5"}),
                       (f"/meetings/{meeting_id}/ballots/void", {"batch": "1"}),
                       (f"/meetings/{meeting_id}/public-mode", {"public_mode": "codes_open", "open_limit": "5"})]:
        assert (await staff.post(path, data=data, allow_redirects=False)).status == 403, path
    await add_user(db, "zhao", "viewer", "correct-horse-9", "赵观察")
    client.session.cookie_jar.clear()
    await signed_in(client, "zhao", "correct-horse-9")
    page = await (await client.get(f"/meetings/{meeting_id}")).text()
    assert "生成并打印评分票" not in page and "仅凭评分码" in page
    token = await csrf_of(client, f"/meetings/{meeting_id}")
    refused = await client.post(f"/meetings/{meeting_id}/ballots", data={"count": "5", "csrf_token": token},
                                allow_redirects=False)
    assert refused.status == 403
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(MeetingBallot))).scalar_one() == 0


# ------------------------------------------------------------------ the open mode
async def test_open_mode_limits_one_address_while_another_address_still_scores(api, staff, db, phones):
    meeting_id, item_id, token, _ = await meeting_with_open_item(staff, api, db, open_limit=3)
    crowded = [await open_vote(phones(), token, item_id, "unsatisfied", "203.0.113.7") for _ in range(5)]
    assert [r.status for r in crowded] == [303, 303, 303, 429, 429]
    text = await crowded[-1].text()
    assert "达到本次会议的上限" in text and "没有记录评分" in text
    assert (await open_vote(phones(), token, item_id, "satisfied", "198.51.100.9")).status == 303
    # An IPv6 /64 is one address: a phone cannot take a new address of its own prefix for each score.
    v6 = [await open_vote(phones(), token, item_id, "satisfied", f"2001:db8:1:2::{n:x}") for n in range(1, 5)]
    assert [r.status for r in v6] == [303, 303, 303, 429]
    assert (await screen(staff, meeting_id))["items"][0]["by_mode"]["open"]["votes"] == 7
    # Phones of one address scoring at the same instant: the database's slots keep the limit.
    await item_op(staff, meeting_id, item_id, "close")
    number = await key_proposal(api, "第二项")
    await add_item(staff, meeting_id, number)
    second = (await screen(staff, meeting_id))["items"][1]["id"]
    await item_op(staff, meeting_id, second, "open")
    answers = await asyncio.gather(*[open_vote(phones(), token, second, "satisfied", "192.0.2.1") for _ in range(6)])
    assert sorted(a.status for a in answers)[:3] == [303, 303, 303]
    assert all(a.status in (303, 409, 429) for a in answers)
    async with db.read() as session:
        taken = (await session.execute(select(func.count()).select_from(MeetingVote)
                                       .where(MeetingVote.item_id == second))).scalar_one()
    assert taken == 3


async def test_a_code_still_scores_where_open_scoring_from_its_address_is_full(api, staff, db, phones):
    meeting_id, item_id, token, _ = await meeting_with_open_item(staff, api, db, open_limit=1)
    [code] = await print_ballots(staff, meeting_id, 1)
    assert (await open_vote(phones(), token, item_id, "satisfied", "203.0.113.8")).status == 303
    assert (await open_vote(phones(), token, item_id, "satisfied", "203.0.113.8")).status == 429
    assert (await code_vote(phones(), token, item_id, "unsatisfied", code, address="203.0.113.8")).status == 303


# ------------------------------------------------------------------ what staff see
async def test_staff_see_how_many_scores_came_each_way_on_the_page_in_json_and_results(
        api, staff, db, phones, clock):
    meeting_id, item_id, token, number = await meeting_with_open_item(staff, api, db)
    codes = await print_ballots(staff, meeting_id, 3)
    for code, rating in zip(codes[:2], ("satisfied", "unsatisfied")):
        assert (await code_vote(phones(), token, item_id, rating, code)).status == 303
    assert (await open_vote(phones(), token, item_id, "basically_satisfied", "198.51.100.77")).status == 303

    item = (await screen(staff, meeting_id))["items"][0]
    assert {m: c["votes"] for m, c in item["by_mode"].items()} == {"openid": 0, "code": 2, "open": 1}
    assert item["public"]["votes"] == 3  # the public's figure keeps counting both
    page = await (await staff.get(f"/meetings/{meeting_id}")).text()
    assert 'data-mode="code" data-votes="2"' in page and 'data-mode="open" data-votes="1"' in page
    assert "群众（评分码） <b>2</b> 票" in page and "评分码与开放扫码" in page

    await item_op(staff, meeting_id, item_id, "close")
    [scores] = (await api.detail(number))["meeting_scores"]
    assert scores["by_mode"]["code"] == {"satisfied": 1, "basically_satisfied": 0, "unsatisfied": 1, "votes": 2,
                                         "satisfaction_rate": 0.5}
    assert scores["by_mode"]["open"]["votes"] == 1 and scores["by_mode"]["openid"]["votes"] == 0
    [event] = [e for e in (await api.detail(number))["events"] if e["action"] == "meeting_result"]
    assert event["payload"]["public_modes"] == "群众（评分码） 2 票；群众（开放扫码） 1 票"
    assert event["payload"]["scores_by_mode"]["code"]["votes"] == 2
    stats = (await api.get("/api/v1/stats", year=clock().year)).body["meeting_satisfaction"]
    assert stats["by_mode"]["code"]["votes"] == 2 and stats["by_mode"]["open"]["votes"] == 1
    proposal_page = await (await staff.get(f"/console/proposals/{number}")).text()
    assert "评分码 2 票，开放扫码 1 票" in proposal_page


# ------------------------------------------------------------------ inside WeChat
async def test_a_slip_scanned_in_wechat_keeps_its_code_and_a_deputy_still_scores_by_openid(
        aiohttp_client, settings, db, clock, staff_token, fake_wechat, phones):
    from dataclasses import replace
    from urllib.parse import parse_qs, urlsplit

    from run import build_app
    from tests.e2e.test_meetings import WECHAT_UA
    from tests.support.api import Api
    from tests.support.bot import code_for
    from tests.support.wechat_protocol import WechatSide
    from workflow.engine.engine import Engine
    from workflow.usecases.accounts import set_password

    settings = replace(settings, wechat=replace(settings.wechat, app_id=fake_wechat.app_id,
                                                app_secret=fake_wechat.app_secret, api_base_url=fake_wechat.base_url))
    client = await aiohttp_client(build_app(settings, Engine(db, settings, clock=clock)))
    auth = {"Authorization": f"Bearer {staff_token}"}
    api = Api(client, auth, clock)
    await api.roster()
    binding = await code_for(client, auth, "deputies", "D001")
    assert "绑定成功" in (await WechatSide(client, settings.wechat.token).text("o_deputy_zhang", f"绑定 {binding}")).text
    await set_password(db, "wang", "correct-horse-9")
    await signed_in(client, "wang", "correct-horse-9")
    meeting_id, (item_id, _), token = await two_item_meeting(client, api, db)  # codes only
    [slip, spare] = [c.replace("-", "") for c in await print_ballots(client, meeting_id, 2)]

    async def through_wechat(openid: str, code: str):
        phone = phones(WECHAT_UA, on=client)
        bounce = await phone.get(f"/v/{token}?c={code}")
        query = parse_qs(urlsplit(bounce.headers["Location"]).query)
        assert query["redirect_uri"] == [f"http://testserver/v/{token}/wechat?c={code}"]
        back = await phone.get(f"/v/{token}/wechat", params={"c": code, "state": query["state"][0],
                                                             "code": fake_wechat.oauth_code(openid)})
        assert back.headers["Location"] == f"/v/{token}?c={code}"
        return phone

    citizen = await through_wechat("o_citizen_li", slip)  # a WeChat user bound to no deputy
    assert "评分票 第 0001 号" in await citizen.page(f"/v/{token}?c={slip}")
    assert (await code_vote(citizen, token, item_id, "satisfied", slip)).status == 303
    deputy = await through_wechat("o_deputy_zhang", spare)  # a deputy who picked up a slip too
    assert "已识别为代表：张三丰" in await deputy.page(f"/v/{token}?c={spare}")
    posted = await deputy.http.post(deputy.client.make_url(f"/v/{token}"), allow_redirects=False,
                                    data={"item": str(item_id), "rating": "unsatisfied", "code": spare,
                                          "check": deputy.check()})
    assert posted.status == 303
    modes = (await screen(client, meeting_id))["items"][0]["by_mode"]
    assert {m: c["votes"] for m, c in modes.items()} == {"openid": 1, "code": 1, "open": 0}
    assert (await code_vote(phones(), token, item_id, "satisfied", spare)).status == 303  # the spare slip is unused
