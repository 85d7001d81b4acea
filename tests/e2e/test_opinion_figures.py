"""群众意见 figures (GET /api/v1/opinions/stats and /dashboard/opinions) on a hand-computed year.

The rows are written straight into the database (the engine that fills them is tested elsewhere):
station ST1 城关镇 with point PT1 (no township of its own: 城关镇), station ST2 西渡镇, deputies D001 and
D002, units JYJ and JTJ, and today 2026-05-20. The opinions of 2026 (one of 2025-12-31 must not count):

| #  | where | deputy | route       | what became of it                                   | rating              |
|----|-------|--------|-------------|-----------------------------------------------------|---------------------|
| o1 | ST1   | D001   | answer      | answered 03-02                                      | satisfied           |
| o2 | PT1   | D001   | refer       | JYJ due 03-31, answered 03-20 (on time)             | basically_satisfied |
| o3 | PT1   | D002   | refer       | JTJ due 03-31, answered 04-05 (late)                | unsatisfied         |
| o4 | ST1   | D002   | refer       | JYJ due 05-10, still open (overdue)                 |                     |
| o5 | ST2   | D002   | to_proposal |                                                     |                     |
| o6 | ST2   | —      | out_of_remit| told where to go 04-01 (answered_on set)            |                     |
| o7 | ST1   | D001   | ""          | JTJ sent it back 04-10 (undecided)                  |                     |
| o8 | —     | D001   | answer      | answered 05-01                                      | (unrated)           |
| o10| PT1   | D002   | refer       | JTJ due 05-20 (today), still open (not yet overdue) |                     |
"""
from __future__ import annotations

import datetime as dt
import re

import pytest

from storage.models import CitizenOpinion, Deputy, OpinionReferral, Station, StationDeputy, Unit
from tests.support.api import CHINESE
from tests.support.console import PASSWORD, signed_in
from workflow.usecases.accounts import add_user

TODAY = dt.date(2026, 5, 20)
D = dt.date
FIGURES = ("received", "answer", "refer", "to_proposal", "out_of_remit", "undecided", "answered",
           "answered_on_time", "on_time_basis", "on_time_rate", "rated", "satisfied", "satisfaction_rate",
           "overdue_referrals")


def expect(*values) -> dict:
    return dict(zip(FIGURES, values, strict=True))


#                 recv ans ref prop oor und answd ontime basis rate   rated sat  srate   overdue
ST1 = expect(6, 1, 4, 0, 0, 1, 3, 2, 4, 0.5, 3, 2, 0.6667, 1)  # o1 o4 o7 + its point's o2 o3 o10
PT1 = expect(3, 0, 3, 0, 0, 0, 2, 1, 2, 0.5, 2, 1, 0.5, 0)
ST2 = expect(2, 0, 0, 1, 1, 0, 0, 0, 0, None, 0, 0, None, 0)
NO_STATION = expect(1, 1, 0, 0, 0, 0, 1, 1, 1, 1.0, 0, 0, None, 0)  # o8
TOTAL = expect(9, 2, 4, 1, 1, 1, 4, 3, 5, 0.6, 3, 2, 0.6667, 1)
D001 = expect(4, 2, 1, 0, 0, 1, 3, 3, 3, 1.0, 2, 2, 1.0, 0)  # o1 o2 o7 o8
D002 = expect(4, 0, 3, 1, 0, 0, 1, 0, 2, 0.0, 1, 0, 0.0, 1)  # o3 o4 o5 o10
NO_DEPUTY = expect(1, 0, 0, 0, 1, 0, 0, 0, 0, None, 0, 0, None, 0)  # o6


def _opinion(n: int, station, deputy, route: str, state: str, received=D(2026, 3, 1), **kw) -> CitizenOpinion:
    return CitizenOpinion(receipt=f"R{n:04d}", station_id=station.id if station else None,
                          deputy_id=deputy.id if deputy else None, text=f"意见 {n}", channel="visit",
                          received_on=received, route=route, state=state, **kw)


def _referral(unit, due, state="open", answered_on=None) -> OpinionReferral:
    return OpinionReferral(unit_id=unit.id, state=state, referred_on=D(2026, 3, 1), due=due, answered_on=answered_on)


@pytest.fixture
async def year(db, clock):
    clock.today = TODAY
    async with db.write() as s:
        d1, d2 = Deputy(number="D001", name="张三丰"), Deputy(number="D002", name="李四海")
        jyj, jtj = Unit(code="JYJ", name="县教育局"), Unit(code="JTJ", name="县交通运输局")
        st1 = Station(code="ST1", name="城关镇代表联络站", kind="station", township="城关镇")
        st2 = Station(code="ST2", name="西渡镇代表联络站", kind="station", township="西渡镇")
        s.add_all([d1, d2, jyj, jtj, st1, st2])
        await s.flush()
        pt1 = Station(code="PT1", name="城关营商环境联系点", kind="business", parent_id=st1.id)
        s.add(pt1)
        await s.flush()
        s.add_all([StationDeputy(station_id=st1.id, deputy_id=d1.id), StationDeputy(station_id=pt1.id, deputy_id=d2.id)])
        s.add_all([
            _opinion(1, st1, d1, "answer", "closed", answered_on=D(2026, 3, 2), rating="satisfied"),
            _opinion(2, pt1, d1, "refer", "closed", answered_on=D(2026, 3, 20), rating="basically_satisfied",
                     referrals=[_referral(jyj, D(2026, 3, 31), "answered", D(2026, 3, 20))]),
            _opinion(3, pt1, d2, "refer", "closed", answered_on=D(2026, 4, 5), rating="unsatisfied",
                     referrals=[_referral(jtj, D(2026, 3, 31), "answered", D(2026, 4, 5))]),
            _opinion(4, st1, d2, "refer", "referred", referrals=[_referral(jyj, D(2026, 5, 10))]),
            _opinion(5, st2, d2, "to_proposal", "in_proposal"),
            _opinion(6, st2, None, "out_of_remit", "out_of_remit", answered_on=D(2026, 4, 1)),
            _opinion(7, st1, d1, "", "received", referrals=[_referral(jtj, D(2026, 3, 31), "sent_back", D(2026, 4, 10))]),
            _opinion(8, None, d1, "answer", "answered", answered_on=D(2026, 5, 1)),
            _opinion(9, st1, d1, "answer", "closed", received=D(2025, 12, 31), answered_on=D(2026, 1, 2),
                     rating="unsatisfied"),
            _opinion(10, pt1, d2, "refer", "referred", referrals=[_referral(jtj, D(2026, 5, 20))]),
        ])
        await s.commit()


def figures_of(row: dict) -> dict:
    return {k: row[k] for k in FIGURES}


async def stats(client, auth, **params):
    response = await client.get("/api/v1/opinions/stats", params=params, headers=auth)
    return response.status, await response.json()


async def test_by_station_the_station_includes_its_point_and_rows_add_up_to_the_total(client, auth, year):
    status, body = await stats(client, auth, year="2026", by="station")
    assert status == 200, body
    rows = {(r["kind"], r["key"]): r for r in body["items"]}
    assert [(r["kind"], r["key"]) for r in body["items"]] == [
        ("station", "ST1"), ("point", "PT1"), ("station", "ST2"), ("unspecified", "")]
    assert figures_of(rows["station", "ST1"]) == ST1 and rows["station", "ST1"]["includes_points"] is True
    assert figures_of(rows["point", "PT1"]) == PT1 and rows["point", "PT1"]["parent"] == "ST1"
    assert rows["point", "PT1"]["includes_points"] is False and rows["point", "PT1"]["kind_label"] == "营商环境联系点"
    assert figures_of(rows["station", "ST2"]) == ST2
    assert figures_of(rows["unspecified", ""]) == NO_STATION and rows["unspecified", ""]["name"] == "未指定"
    assert figures_of(body["total"]) == TOTAL and body["total"]["name"] == "合计"
    assert sum(r["received"] for r in body["items"] if r["kind"] != "point") == TOTAL["received"]
    assert "按期答复率" in body["definitions"]["on_time_rate"]


async def test_by_deputy_and_by_township(client, auth, year):
    status, body = await stats(client, auth, year="2026", by="deputy")
    assert status == 200, body
    assert [(r["key"], r["name"], figures_of(r)) for r in body["items"]] == [
        ("D001", "张三丰", D001), ("D002", "李四海", D002), ("", "未指定", NO_DEPUTY)]
    assert figures_of(body["total"]) == TOTAL
    status, body = await stats(client, auth, year="2026", by="township")
    assert status == 200, body
    assert [(r["key"], r["name"], figures_of(r)) for r in body["items"]] == [
        ("城关镇", "城关镇", ST1), ("西渡镇", "西渡镇", ST2), ("", "未指定", NO_STATION)]
    assert figures_of(body["total"]) == TOTAL


async def test_the_year_defaults_to_this_year_and_another_year_counts_its_own(client, auth, year):
    status, body = await stats(client, auth)
    assert status == 200 and body["year"] == 2026 and body["by"] == "station"
    assert figures_of(body["total"]) == TOTAL
    status, body = await stats(client, auth, year="2025", by="deputy")
    assert status == 200
    assert [(r["key"], r["received"], r["rated"], r["satisfaction_rate"]) for r in body["items"]] == [
        ("D001", 1, 1, 0.0), ("D002", 0, 0, None)]


@pytest.mark.parametrize("params, field", [({"by": "unit"}, "by"), ({"year": "abc"}, "year"),
                                           ({"year": "1800"}, "year"), ({"year": "２０２６"}, "year"),
                                           ({"year": "2026", "by": ""}, None)])
async def test_bad_query_parameters_answer_400_in_chinese(client, auth, year, params, field):
    status, body = await stats(client, auth, **params)
    if field is None:  # by empty: the default (station)
        assert status == 200 and body["by"] == "station"
        return
    assert status == 400, body
    assert CHINESE.search(body["message"]) and field in body["message"]


async def test_the_api_needs_a_token(client, year):
    status, body = await stats(client, {})
    assert status == 401 and CHINESE.search(body["message"])


def page_rows(html: str, table: str) -> dict[str, dict]:
    """{data-row: {figure: value}} of one table of /dashboard/opinions."""
    section = re.search(rf'<section class="card" data-table="{table}">(.*?)</section>', html, re.S).group(1)
    found = {}
    for key, body in re.findall(r'<tr data-row="([^"]*)"[^>]*>(.*?)</tr>', section, re.S):
        found[key] = {k: v for k, v in re.findall(r'data-figure="([^"]+)" data-value="([^"]*)"', body)}
    return found


def as_shown(expected: dict) -> dict:
    """What the page writes in data-value: counts, rates as Python writes them, '' for none."""
    keep = ("received", "answer", "refer", "to_proposal", "out_of_remit", "undecided", "answered",
            "on_time_rate", "satisfaction_rate", "overdue_referrals")
    return {k: "" if expected[k] is None else str(expected[k]) for k in keep}


@pytest.mark.parametrize("role", ["viewer", "supervisor"])
async def test_the_dashboard_page_shows_the_same_three_tables(client, db, year, role):
    await add_user(db, "reader", role, PASSWORD, display_name="读者")
    await signed_in(client, "reader")
    response = await client.get("/dashboard/opinions?year=2026")
    html = await response.text()
    assert response.status == 200, html
    stations = page_rows(html, "station")
    assert list(stations) == ["station:ST1", "point:PT1", "station:ST2", "unspecified:", "total:total"]
    assert stations["station:ST1"] == as_shown(ST1) and stations["point:PT1"] == as_shown(PT1)
    assert stations["unspecified:"] == as_shown(NO_STATION) and stations["total:total"] == as_shown(TOTAL)
    deputies = page_rows(html, "deputy")
    assert deputies["deputy:D001"] == as_shown(D001) and deputies["deputy:D002"] == as_shown(D002)
    assert deputies["unspecified:"] == as_shown(NO_DEPUTY)
    towns = page_rows(html, "township")
    assert towns["township:城关镇"] == as_shown(ST1) and towns["total:total"] == as_shown(TOTAL)
    assert "66.7%" in html and "（含联系点）" in html and "口径说明" in html
    board = await (await client.get("/dashboard?year=2026")).text()
    assert 'href="/dashboard/opinions?year=2026">群众意见</a>' in board


async def test_the_page_refuses_a_bad_year_in_chinese_and_strangers(client, db, year):
    response = await client.get("/dashboard/opinions?year=abc", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")
    await add_user(db, "reader", "viewer", PASSWORD, display_name="读者")
    await signed_in(client, "reader")
    response = await client.get("/dashboard/opinions?year=abc")
    assert response.status == 400 and "年度" in await response.text()
