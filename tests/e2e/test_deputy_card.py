"""亮身份 through HTTP and the chat: the public card /d/<number> (what it shows, what it never shows), the
printable 代表牌 and a station's 公示牌 with their QR codes, and the deputy's choices in the bot."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import segno
from sqlalchemy import func, select

from storage import repositories as repo
from storage.models import CitizenOpinion, DutyDay, ReceptionDay, Station, StationDeputy, SystemEvent
from storage.uow import UnitOfWork
from tests.support.bot import bind, bot_client

WANG = {"number": "D009", "name": "王五岳", "delegation": "城关镇", "phone": "13900000009", "work_unit": "城关中学",
        "term": "第十八届"}
SECRET = "关于一件保密事项的建议"


async def _liaison(db, today: dt.date, number: str = "D009") -> int:
    """A station with a point, the deputy at both, duty days (one past), two 接待日 (one with the deputy)
    and three opinions to the deputy from a citizen with a name and phone. Returns the station's id."""
    async with UnitOfWork(db) as session:
        deputy = await repo.deputy_by_number(session, number)
        station = Station(code="STNCODE1", name="城关镇代表联络站", kind="station", address="城关镇人民路1号",
                          phone="0734-8880001")
        session.add(station)
        await session.flush()
        point = Station(code="PNTCODE1", name="城关商会联系点", kind="business", parent_id=station.id)
        session.add(point)
        await session.flush()
        session.add_all([
            StationDeputy(station_id=station.id, deputy_id=deputy.id), StationDeputy(station_id=point.id, deputy_id=deputy.id),
            DutyDay(station_id=station.id, deputy_id=deputy.id, day=today + dt.timedelta(days=3), note="上午"),
            DutyDay(station_id=station.id, deputy_id=deputy.id, day=today - dt.timedelta(days=3), note="已过去"),
            ReceptionDay(station_id=station.id, day=today - dt.timedelta(days=10), deputies=[number], people=7,
                         summary="接待了赵大妈"),
            ReceptionDay(station_id=station.id, day=today - dt.timedelta(days=20), deputies=[number + "1"], people=3)])
        for i, route in enumerate(["answer", "refer", ""]):
            session.add(CitizenOpinion(receipt=f"RCPT{i}", deputy_id=deputy.id, station_id=station.id, text="村口路灯坏了",
                                       channel="visit", received_on=today, route=route, citizen_name="赵大妈",
                                       citizen_phone="13700000077"))
        return station.id


async def _submit(api, **body) -> str:
    answer = await api.post("/api/v1/proposals", {"content": "具体内容。", **body})
    assert answer.status == 201, answer.body
    return answer.body["number"]


@pytest.fixture
async def record(api, db, clock):
    """D009 leads a replied proposal (its reply published) and a confidential one, co-signs one and a
    confidential one (staff entered them: confirmed) and is invited to a fifth (not confirmed yet); D0091
    exists beside it (a number D009 is the start of)."""
    for deputy in (WANG, {"number": "D0091", "name": "赵六", "delegation": "西渡镇"}):
        assert (await api.post("/api/v1/deputies", deputy)).status == 201
    replied = await api.submit(lead="D009", title="关于修缮城关中学操场的建议")
    await api.take_to("replied", number=replied, co=None)
    reply_id = (await api.detail(replied))["replies"][0]["id"]
    assert (await api.post(f"/api/v1/replies/{reply_id}/publish", {"published": True})).status == 200
    await _submit(api, lead_deputy="D009", title=SECRET, confidential=True)
    cosigned = await _submit(api, lead_deputy="D001", title="关于增设公交站的建议", co_signers=["D009"])
    await _submit(api, lead_deputy="D001", title=SECRET + "（联名）", confidential=True, co_signers=["D009"])
    invited = await _submit(api, lead_deputy="D002", title="关于未确认联名的建议", co_signers=["D009"])
    async with UnitOfWork(db) as session:  # staff's paper entries are signed; this one waits for the deputy
        proposal = await repo.proposal_by_ref(session, invited)
        proposal.co_signers[0].confirmed_at = None
    station = await _liaison(db, clock())
    return {"replied": replied, "reply_id": reply_id, "cosigned": cosigned, "station": station}


def _json(client, path: str):
    return client.get(path, headers={"Accept": "application/json"})


# ---------------------------------------------------------------- the public card
async def test_the_card_shows_basic_facts_and_the_record_and_never_a_confidential_proposal(client, record):
    response = await _json(client, "/d/D009")
    assert response.status == 200
    card, raw = await response.json(), await response.text()
    assert (card["name"], card["term"], card["delegation"], card["work_unit"]) == ("王五岳", "第十八届", "城关镇", "城关中学")
    assert [(s["name"], s["kind_label"]) for s in card["stations"]] == [
        ("城关镇代表联络站", "代表联络站"), ("城关商会联系点", "营商环境联系点")]
    assert [d["note"] for d in card["duty_days"]] == ["上午"]  # the coming ones only
    assert card["contact"] == {"phone": "0734-8880001", "via": "station", "label": "城关镇代表联络站电话",
                               "personal_phone": ""}
    assert re.fullmatch(r"[ACDEFGHJKLMNPQRTUVWXY34679]{8}", card["code"])
    assert card["opinion_url"] == f"http://testserver/o/{card['code']}"
    proposals = card["record"]["proposals"]
    assert {p["number"]: p["role_label"] for p in proposals} == {record["replied"]: "领衔", record["cosigned"]: "联名"}
    replied = next(p for p in proposals if p["number"] == record["replied"])
    assert replied["state_label"] == "已答复" and replied["replies"] == [
        f"http://testserver/replies?year={replied['year']}#reply-{record['reply_id']}"]
    assert card["record"]["visits"]["count"] == 1 and card["record"]["visits"]["people"] == 7
    opinions = card["record"]["opinions"]
    assert (opinions["received"], opinions["handled"]) == (3, 2)
    assert {o["label"]: o["count"] for o in opinions["by_route"]}["转交办理"] == 1
    for never in (SECRET, "未确认联名", "13900000009", "赵大妈", "13700000077", "村口路灯"):
        assert never not in raw, never
    page = await client.get("/d/D009")
    html = await page.text()
    assert page.status == 200 and "王五岳" in html and "履职情况" in html and "<svg" in html
    assert "关于修缮城关中学操场的建议" in html and "查看公开答复" in html
    for never in (SECRET, "13900000009", "赵大妈", "13700000077"):
        assert never not in html, never


async def test_an_unknown_number_is_a_chinese_404_page_and_json(client, api):
    for path in ("/d/NOBODY", "/d/" + "9" * 40, "/d/NOBODY/plate"):
        page = await client.get(path)
        assert page.status == 404 and "找不到这位代表的名片" in await page.text(), path
    answer = await _json(client, "/d/NOBODY")
    assert answer.status == 404 and (await answer.json())["error"] == "not_found"


async def test_an_inactive_deputy_has_no_card(client, api, db):
    async with UnitOfWork(db) as session:
        (await repo.deputy_by_number(session, "D002")).active = False
    assert (await client.get("/d/D002")).status == 404
    assert (await client.get("/d/D001")).status == 200


# ---------------------------------------------------------------- the plates
def _qr_path(svg: str) -> str:
    return re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)


def _expected_qr(url: str) -> str:
    return _qr_path(segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True))


async def test_the_deputy_plate_prints_on_a4_or_a5_with_the_qr_of_the_opinion_form(client, record):
    code = (await (await _json(client, "/d/D009")).json())["code"]
    a5 = await (await client.get("/d/D009/plate?size=A5")).text()
    assert "@page{size:A5 portrait" in a5 and '<body class="A5">' in a5
    assert "王五岳" in a5 and "扫码给代表留言" in a5 and "进站值班" in a5 and "城关镇代表联络站" in a5
    assert _qr_path(a5) == _expected_qr(f"http://testserver/o/{code}") and f"/o/{code}" in a5
    assert "13900000009" not in a5 and SECRET not in a5
    for size in ("B5", "A4", "", "a4%3Cscript%3E"):
        page = await client.get(f"/d/D009/plate?size={size}")
        assert page.status == 200 and "@page{size:A4 portrait" in await page.text(), size
    assert "@page{size:A5" in await (await client.get("/d/D009/plate?size=a5")).text()


async def test_staff_print_a_station_plate_with_its_deputies_duty_days_and_qr(staff, record):
    station = record["station"]
    page = await staff.get(f"/console/stations/{station}/plate?size=A5")
    html = await page.text()
    assert page.status == 200 and "@page{size:A5 portrait" in html
    assert "城关镇代表联络站" in html and "王五岳" in html and "城关商会联系点" in html and "上午" in html
    assert _qr_path(html) == _expected_qr("http://testserver/o/STNCODE1") and "扫码给代表留言" in html
    assert "已过去" not in html and "13900000009" not in html
    assert "@page{size:A4" in await (await staff.get(f"/console/stations/{station}/plate?size=Letter")).text()
    missing = await staff.get("/console/stations/99999/plate")
    assert missing.status == 404 and "找不到这个代表联络站" in await missing.text()


async def test_the_station_plate_is_for_signed_in_staff_only(client, api):
    response = await client.get("/console/stations/1/plate", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


# ---------------------------------------------------------------- the deputy's choices, in the chat
@pytest.fixture
async def chat(aiohttp_client, settings, engine, auth):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine)
    response = await client.post("/api/v1/deputies", json=WANG, headers=auth)
    assert response.status == 201, await response.text()
    await bind(client, auth, wechat, "o_wang", "D009")
    return client, wechat


async def _events(db) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(SystemEvent)
                                      .where(SystemEvent.action == "update_deputy_card"))).scalar_one()


async def test_the_personal_phone_shows_only_after_the_deputy_says_so(chat, db):
    client, wechat = chat
    mine = (await wechat.text("o_wang", "我的名片")).text
    assert "http://testserver/d/D009" in mine and "个人电话：不显示" in mine and "名片 显示电话 是" in mine
    assert "13900000009" not in await (await client.get("/d/D009")).text()
    said = (await wechat.text("o_wang", "名片 显示电话 是")).text
    assert "已设置：名片显示个人电话" in said and "个人电话：显示" in said
    card = await (await _json(client, "/d/D009")).json()
    assert card["contact"]["personal_phone"] == "13900000009"
    assert "13900000009" in await (await client.get("/d/D009/plate")).text()
    await wechat.text("o_wang", "名片 显示电话 否")
    assert "13900000009" not in await (await client.get("/d/D009")).text()
    assert await _events(db) == 2


async def test_the_other_choices_and_a_relay_number(chat, db):
    client, wechat = chat
    for said in ("名片 显示工作单位 否", "名片 显示履职 否", "名片 显示值班 否"):
        assert "已设置" in (await wechat.text("o_wang", said)).text
    card = await (await _json(client, "/d/D009")).json()
    assert (card["work_unit"], card["record"], card["duty_days"]) == ("", None, [])
    assert "城关中学" not in await (await client.get("/d/D009")).text()
    refused = (await wechat.text("o_wang", "名片 转接电话 call-me")).text
    assert "转接电话只能填数字" in refused and await _events(db) == 3
    assert "0734-5550000" in (await wechat.text("o_wang", "名片 转接电话 0734-5550000")).text
    card = await (await _json(client, "/d/D009")).json()
    assert card["contact"]["phone"] == "0734-5550000" and card["contact"]["via"] == "relay"
    assert "已取消转接电话" in (await wechat.text("o_wang", "名片 转接电话 无")).text
    assert (await (await _json(client, "/d/D009")).json())["contact"]["phone"] == ""
    assert "请在“名片 显示电话”后面写“是”或“否”" in (await wechat.text("o_wang", "名片 显示电话 也许")).text
    assert await _events(db) == 5


async def test_an_unpublished_card_is_a_404_with_its_plate_until_published_again(chat):
    client, wechat = chat
    assert "停止公开" in (await wechat.text("o_wang", "名片 公开 否")).text
    for path in ("/d/D009", "/d/D009/plate"):
        page = await client.get(path)
        assert page.status == 404 and "找不到这位代表的名片" in await page.text(), path
    assert (await _json(client, "/d/D009")).status == 404
    assert "状态：未公开" in (await wechat.text("o_wang", "我的名片")).text
    assert "名片已公开" in (await wechat.text("o_wang", "名片 公开 是")).text
    assert (await client.get("/d/D009")).status == 200


async def test_every_active_deputy_gets_one_card_with_a_code_of_its_own(api, db):
    from storage.models import DeputyCard
    from workflow.usecases.deputy_cards import ensure_cards

    assert (await api.post("/api/v1/deputies", WANG)).status == 201
    async with UnitOfWork(db) as session:
        (await repo.deputy_by_number(session, "D009")).active = False
    assert await ensure_cards(db) == 2 and await ensure_cards(db) == 0
    async with db.read() as session:
        cards = (await session.execute(select(DeputyCard))).scalars().all()
    assert len({c.code for c in cards}) == 2 and not any(c.show_phone for c in cards)
    assert all(c.published and c.show_record and c.show_duty and c.show_work_unit for c in cards)
