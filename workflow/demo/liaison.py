"""The demo county's 代表联络站 "1+N": one station in 城关镇 with two points, its deputies, the duty roster of
the next four weeks, two past 接待日, the deputies' cards, and citizens' opinions on every route.

The station rows are rosters, not workflow actions, so they are written directly (like the demo's units
and deputies). Every opinion goes through `OpinionEngine`: received, answered, referred, answered by the
unit through its referral, rated by the citizen with the receipt number, turned into a draft proposal
(staff entering it for the deputy: 代录) or closed as outside the remit, so every event, hash and outbox row
is what the real product would have written. Names and phone numbers are invented.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from storage.models import Deputy, DeputyCard, DutyDay, ReceptionDay, Station, StationDeputy
from storage.uow import UnitOfWork
from workflow.demo.data import DEPUTY_NAMES, UNITS
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.engine.opinion_steps import OpinionResult
from workflow.engine.opinions import OpinionEngine, card_code, public_code

STAFF = Actor("staff", "demo", "演示工作人员", role="staff")  # the demo staff member (as in seed.py)
STATION = ("城关镇人大代表联络站", "station", "衡西县城关镇人民路 18 号（镇人大办公室一楼）", "0734-6851018")
# name, kind, address, phone; the points' deputies (indices into DEPUTY_NAMES, the station's first)
POINTS = [("东门社区模范好人服务点", "model_service", "城关镇东门社区党群服务中心", "0734-6851026"),
          ("工业园营商环境联系点", "business", "衡西工业园管委会二楼", "0734-6851035")]
STATION_DEPUTIES = (0, 4, 9, 14)
POINT_DEPUTIES = ((0, 4), (9, 14))
DUTY_WEEKDAYS = {1: "上午 9:00—12:00", 3: "下午 2:30—5:30"}  # Tuesday, Thursday at the station
POINT_DUTY_WEEKDAY = 5  # Saturday morning, each point in turn
RECEPTIONS = [(14, (0, 4), 9, "集中接待群众九人次，主要反映老旧小区停车难、背街小巷路灯不亮和菜市场周边占道经营。"),
              (7, (9, 14), 6, "在工业园营商环境联系点接待企业负责人和职工六人次，主要反映证照办理和园区道路问题。")]


@dataclass(frozen=True)
class Place:
    station: Station
    points: list[Station]
    deputies: list[Deputy]


async def seed_liaison(engine: Engine) -> None:
    """The station, its points and roster, then the opinions' stories through the opinion engine."""
    place = await _seed_station(engine)
    await _seed_opinions(engine, place)


# ---------------------------------------------------------------------------- the station (rosters)
async def _seed_station(engine: Engine) -> Place:
    today = engine.clock()
    async with UnitOfWork(engine.db) as session:
        by_name = {d.name: d for d in (await session.execute(
            select(Deputy).where(Deputy.name.in_([DEPUTY_NAMES[i] for i in STATION_DEPUTIES])))).scalars()}
        deputies = [by_name[DEPUTY_NAMES[i]] for i in STATION_DEPUTIES]
        station = await _new_station(session, *STATION, parent_id=None)
        points = [await _new_station(session, *point, parent_id=station.id) for point in POINTS]
        session.add_all(StationDeputy(station_id=station.id, deputy_id=d.id) for d in deputies)
        for point, indices in zip(points, POINT_DEPUTIES):
            session.add_all(StationDeputy(station_id=point.id, deputy_id=by_name[DEPUTY_NAMES[i]].id) for i in indices)
        session.add_all(_duty_days(today, station, points, deputies, by_name))
        session.add_all(ReceptionDay(station_id=(station if i == 0 else points[1]).id,
                                     day=today - dt.timedelta(days=ago), deputies=[by_name[DEPUTY_NAMES[n]].number
                                                                                  for n in who],
                                     people=people, summary=summary, created_by=STAFF.id)
                        for i, (ago, who, people, summary) in enumerate(RECEPTIONS))
        for deputy in deputies:  # 亮身份: each station deputy's card and 代表码
            await card_code(session, deputy)
        await session.flush()
        return Place(station, points, deputies)


async def _new_station(session, name: str, kind: str, address: str, phone: str,
                       parent_id: Optional[int]) -> Station:
    station = Station(code=await public_code(session), name=name, kind=kind, parent_id=parent_id, address=address,
                      township="城关镇", phone=phone, active=True)
    session.add(station)
    await session.flush()
    return station


def _duty_days(today: dt.date, station: Station, points: list[Station], deputies: list[Deputy],
               by_name: dict[str, Deputy]) -> list[DutyDay]:
    """The next four weeks: the station's deputies in turn on Tuesdays and Thursdays, and on Saturdays
    one point's deputies, the points taking turns."""
    rows, turn, saturdays = [], 0, 0
    for offset in range(1, 29):
        day = today + dt.timedelta(days=offset)
        if day.weekday() in DUTY_WEEKDAYS:
            rows.append(DutyDay(station_id=station.id, deputy_id=deputies[turn % len(deputies)].id, day=day,
                                note=DUTY_WEEKDAYS[day.weekday()]))
            turn += 1
        elif day.weekday() == POINT_DUTY_WEEKDAY:
            which = saturdays % len(points)
            rows += [DutyDay(station_id=points[which].id, deputy_id=by_name[DEPUTY_NAMES[i]].id, day=day,
                             note="上午 9:00—11:30") for i in POINT_DEPUTIES[which]]
            saturdays += 1
    return rows


# ---------------------------------------------------------------------------- the opinions' stories
def _deputy(deputy: Deputy) -> Actor:
    return Actor("deputy", deputy.number, deputy.name)


def _citizen(result: OpinionResult) -> Actor:
    return Actor("citizen", result.opinion.receipt, "群众")


def _unit(code: str) -> tuple[str, str, str]:
    """(code, name, contact person) of a demo unit."""
    _code, name, contact, _phone, _head = next(u for u in UNITS if u[0] == code)
    return code, name, contact


async def _seed_opinions(engine: Engine, place: Place) -> None:
    opinions, today = OpinionEngine(engine), engine.clock()
    station, (community, business), deputies = place.station, place.points, place.deputies
    await _answered_by_deputy(opinions, community, deputies[0])
    await _answered_by_unit(opinions, deputies[1], "cgj", today)
    await _still_referred(opinions, business, deputies[2], "scj")
    await _into_proposal(opinions, station, deputies[0], today)
    await _out_of_remit(opinions, deputies[3], today)
    await opinions.receive(Actor("citizen", "", "群众"), {
        "code": station.code, "channel": "qr", "citizen_name": "郑女士", "citizen_phone": "13900001105",
        "text": "人民路小学门口上下学时段没有人护学，车辆乱停，孩子过马路很危险，希望安排护学岗。"})
    await opinions.receive(_deputy(deputies[2]), {
        "channel": "phone", "citizen_name": "沈师傅", "received_on": today - dt.timedelta(days=1),
        "text": "工业园到县城的公交车每天只有四班，下夜班的职工回不了家，希望增开晚班车。"})


async def _answered_by_deputy(opinions: OpinionEngine, point: Station, deputy: Deputy) -> None:
    """Left by scanning the point's code; the deputy answers; the citizen is satisfied."""
    got = await opinions.receive(Actor("citizen", "", "群众"), {
        "code": point.code, "channel": "qr", "citizen_name": "韩大爷", "citizen_phone": "13900001101",
        "text": "东门社区的老年食堂什么时候开始供餐？独居老人中午吃饭不方便。"})
    await opinions.perform(got.opinion.receipt, "answer", _deputy(deputy), {
        "text": "经与社区和镇民政办了解，东门社区老年食堂已完成装修，下月 1 日起每天中午供餐，"
                "八十岁以上独居老人可申请送餐上门。"})
    await opinions.perform(got.opinion.receipt, "rate", _citizen(got), {"rating": "satisfied",
                                                                        "comment": "答复很具体，谢谢代表。"})


async def _answered_by_unit(opinions: OpinionEngine, deputy: Deputy, code: str, today: dt.date) -> None:
    """Collected on a visit, referred to a unit, answered through the referral, rated."""
    got = await opinions.receive(_deputy(deputy), {
        "channel": "visit", "citizen_name": "钱女士", "citizen_phone": "13900001102",
        "received_on": today - dt.timedelta(days=12),
        "text": "东门菜市场门口早上占道经营严重，三轮车和摊位把路堵死，老人买菜要绕很远。"})
    referred = await opinions.perform(got.opinion.receipt, "refer", _deputy(deputy), {
        "unit": code, "note": "请核实占道情况，疏堵结合，答复时说明整治措施。"})
    code, name, contact = _unit(code)
    unit = Actor("unit", code, name, assignment_id=referred.opinion.referrals[-1].id)
    await opinions.perform(got.opinion.receipt, "unit_answer", unit, {
        "text": "我局已在菜市场东侧划定早市临时疏导点 40 个，每天 6:00—8:30 安排执法队员值守，菜市场门口通道已恢复畅通。",
        "handler": contact})
    await opinions.perform(got.opinion.receipt, "rate", _citizen(got), {"rating": "basically_satisfied",
                                                                        "comment": "好多了，希望长期坚持。"})


async def _still_referred(opinions: OpinionEngine, point: Station, deputy: Deputy, code: str) -> None:
    """Left at the business point; referred to a unit that has not answered yet."""
    got = await opinions.receive(Actor("citizen", "", "群众"), {
        "code": point.code, "channel": "qr", "citizen_name": "", "citizen_phone": "13900001103",
        "text": "园区小微企业办理食品经营许可证，材料要求前后不一致，来回跑了三趟还没办下来。"})
    await opinions.perform(got.opinion.receipt, "refer", _deputy(deputy), {
        "unit": code, "note": "请一次性告知所需材料，并答复办理进度。"})


async def _into_proposal(opinions: OpinionEngine, station: Station, deputy: Deputy, today: dt.date) -> None:
    """Two opinions of the same 接待日 about parking: staff turn them into one draft for the deputy (代录)."""
    day = today - dt.timedelta(days=RECEPTIONS[0][0])
    receipts = []
    for name, phone, text in (
            ("冯先生", "13900001104", "人民路老旧小区没有停车位，晚上车都停在消防通道上，出了事消防车进不来。"),
            ("", "", "建设路一带小区停车难，建议利用闲置地块建公共停车场，机关单位院落晚上对居民开放。")):
        got = await opinions.receive(STAFF, {"station": station.id, "channel": "duty_day", "received_on": day,
                                             "citizen_name": name, "citizen_phone": phone, "text": text})
        receipts.append(got.opinion.receipt)
    await opinions.to_proposal(STAFF, receipts, {"deputy": deputy.number, "category": "城建",
                                                 "title": "关于解决城关镇老旧小区停车难问题的建议"})


async def _out_of_remit(opinions: OpinionEngine, deputy: Deputy, today: dt.date) -> None:
    """A labour dispute: closed with where the citizen should go (arbitration)."""
    got = await opinions.receive(_deputy(deputy), {
        "channel": "visit", "citizen_name": "孙先生", "received_on": today - dt.timedelta(days=5),
        "text": "我在园区一家企业上班，公司拖欠我三个月工资，还不给签劳动合同。"})
    await opinions.perform(got.opinion.receipt, "close_out_of_remit", _deputy(deputy),
                           {"reason": "应当通过仲裁解决的纠纷"})


# ---------------------------------------------------------------------------- the message
async def liaison_lines(engine: Engine, base: str) -> list[str]:
    """The how-to lines: the station's public page and a station deputy's card."""
    async with engine.db.read() as session:
        code = (await session.execute(select(Station.code).where(Station.name == STATION[0]))).scalar()
        number = (await session.execute(select(Deputy.number).join(DeputyCard, DeputyCard.deputy_id == Deputy.id)
                                        .where(Deputy.name == DEPUTY_NAMES[STATION_DEPUTIES[0]]))).scalar()
    if not code or not number:
        return []
    return [f"代表联络站（群众扫码反映意见）：{base}/o/{code}；代表名片（亮身份）：{base}/d/{number}"]
