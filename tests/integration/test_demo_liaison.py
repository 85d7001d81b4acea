"""The demo's 代表联络站 "1+N": a station with two points, a duty roster, past 接待日, deputies' cards, and
citizens' opinions on every route, all through the opinion engine; and the simulator playing a deputy
who collects an opinion."""
from __future__ import annotations

import datetime as dt
import re
import socket
from dataclasses import replace

from sqlalchemy import func, select

from run import build_app
from storage.models import (
    CitizenOpinion,
    Deputy,
    DeputyCard,
    DutyDay,
    OpinionReferral,
    Project,
    ProposalOpinion,
    ReceptionDay,
    RecordEvent,
    Station,
    StationDeputy,
)
from web.simulator import DEPUTY_WORDS
from workflow.demo.liaison import STATION
from workflow.demo.seed import seed_demo
from workflow.demo.wechat import deputy_openid
from workflow.engine.engine import Engine
from workflow.usecases.audit import verify_all


async def test_the_demo_has_a_station_with_two_points_a_roster_and_cards(engine, db):
    message = await seed_demo(engine)
    today = engine.clock()

    async with db.read() as session:
        station = (await session.execute(select(Station).where(Station.name == STATION[0]))).scalar_one()
        points = (await session.execute(select(Station).where(Station.parent_id == station.id)
                                        .order_by(Station.id))).scalars().all()
        duty = (await session.execute(select(DutyDay.day))).scalars().all()
        receptions = (await session.execute(select(ReceptionDay.day))).scalars().all()
        deputy_ids = set((await session.execute(select(StationDeputy.deputy_id))).scalars())
        cards = set((await session.execute(select(DeputyCard.deputy_id))).scalars())
        number = (await session.execute(select(Deputy.number).where(Deputy.id.in_(deputy_ids))
                                        .order_by(Deputy.number))).scalars().first()
    assert (station.kind, station.township, station.parent_id) == ("station", "城关镇", None)
    assert station.address and station.phone
    assert [(p.name, p.kind) for p in points] == [("东门社区模范好人服务点", "model_service"),
                                                  ("工业园营商环境联系点", "business")]
    assert 3 <= len(deputy_ids) <= 4 and deputy_ids <= cards
    assert duty and all(today < day <= today + dt.timedelta(days=28) for day in duty)
    assert max(duty) - min(duty) >= dt.timedelta(days=21)  # the next four weeks
    assert len(receptions) == 2 and all(day < today for day in receptions)
    assert f"/o/{station.code}" in message and re.search(r"/d/\d+", message)
    assert number is not None


async def test_the_demos_opinions_go_every_route_and_the_audit_is_clean(engine, db):
    await seed_demo(engine)

    async with db.read() as session:
        opinions = (await session.execute(select(CitizenOpinion).order_by(CitizenOpinion.id))).unique().scalars().all()
        referrals = (await session.execute(select(OpinionReferral.state))).scalars().all()
        carried = (await session.execute(select(func.count(func.distinct(ProposalOpinion.proposal_id))))).scalar_one()
        events = (await session.execute(select(func.count()).select_from(RecordEvent))).scalar_one()
    states = [o.state for o in opinions]
    assert {"received", "referred", "closed", "in_proposal", "out_of_remit"} <= set(states)
    assert states.count("received") == 2 and states.count("in_proposal") == 2 and states.count("closed") == 2
    assert sorted(o.route for o in opinions if o.state == "closed") == ["answer", "refer"]
    assert all(o.rating for o in opinions if o.state == "closed")
    assert sorted(referrals) == ["answered", "open"] and carried == 1
    assert all(o.where_to_go for o in opinions if o.state == "out_of_remit")
    assert events > len(opinions)
    report = await verify_all(db)  # every chain intact, opinions' and proposals' alike
    async with db.read() as session:
        projects = (await session.execute(select(func.count()).select_from(Project))).scalar_one()
    assert [str(p) for p in report.problems] == [] and report.records == len(opinions) + projects


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_demo_deputy_collects_an_opinion_in_the_simulator_and_gets_a_receipt(aiohttp_client, settings,
                                                                                     engine, db):
    port = _free_port()
    settings = replace(settings, server=replace(settings.server, public_url=f"http://127.0.0.1:{port}"))
    demo = Engine(engine.db, settings, clock=engine.clock)
    await seed_demo(demo)
    client = await aiohttp_client(build_app(settings, demo, demo=True), server_kwargs={"host": "127.0.0.1", "port": port})
    async with db.read() as session:
        number = (await session.execute(select(Deputy.number).join(StationDeputy, StationDeputy.deputy_id == Deputy.id)
                                        .order_by(Deputy.number))).scalars().first()
        code = (await session.execute(select(Station.code).where(Station.name == STATION[0]))).scalar_one()
    assert (await client.get(f"/o/{code}")).status == 200 and (await client.get(f"/d/{number}")).status == 200
    page = await (await client.get("/simulator")).text()
    assert "代表常用语" in page and "群众意见" in page
    openid = deputy_openid(number)  # bound from the start

    collect = dict(DEPUTY_WORDS)["收集意见"]  # the page's quick word, as its button sends it
    said = await client.post("/simulator/send", json={"openid": openid, "kind": "text", "value": collect})
    reply = (await said.json())["reply"]
    receipt = re.search(r"回执号 ([A-Z0-9]{10})", reply)
    assert said.status == 200 and receipt is not None, reply
    waiting = await client.post("/simulator/send", json={"openid": openid, "kind": "text", "value": "群众意见"})
    assert receipt.group(1) in (await waiting.json())["reply"]
    async with db.read() as session:
        opinion = (await session.execute(select(CitizenOpinion).where(CitizenOpinion.receipt == receipt.group(1))
                                         )).unique().scalar_one()
    assert (opinion.deputy.number, opinion.citizen_name, opinion.channel, opinion.state) == (
        number, "刘阿姨", "visit", "received")
