"""The supervisors' dashboard through HTTP on a hand-computed year (tests/support/dashboard.py): its
figures equal GET /api/v1/stats's, units are ranked only from `dashboard.min_proposals`, every figure
lists exactly the proposals it counts, charts are SVG drawn by the product with escaped labels, and
only signed-in console users see it (a viewer without staff actions)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from storage.models import Reply, utcnow
from tests.support.api import CHINESE
from tests.support.cards import assert_cards_agree
from tests.support.console import PASSWORD, csrf_of, signed_in
from tests.support.dashboard import TODAY, as_text, read_figures
from web.dashboard.charts import Bar, Series, bar_chart, line_chart
from workflow.domain.cards import card_for, last_yellow_due
from workflow.domain.tallies import (
    COUNTS,
    DEFINITIONS,
    ITEM_FIGURES,
    NO_FEEDBACK_LABELS,
    RATE_LABELS,
    RATES,
    Facts,
    facts_of,
    tally,
)
from workflow.readmodels import dashboard as figures
from workflow.readmodels.dashboard_lists import proposals_behind
from workflow.readmodels.stats import FACT_COLUMNS, Scope, cached, items_query, lead_records, stats_for, unit_names
from workflow.settings import DashboardSettings
from workflow.usecases.accounts import add_user

SHOWN = ("assigned", "replied", *RATES, *NO_FEEDBACK_LABELS, "overdue")


@pytest.fixture
async def supervisor(client, db):
    await add_user(db, "zhao", "supervisor", PASSWORD, display_name="赵主任")
    await signed_in(client, "zhao")
    return client


async def page_figures(client, query: str = "year=2025"):
    response = await client.get(f"/dashboard?{query}")
    assert response.status == 200, await response.text()
    return read_figures(await response.text())


async def listed(client, **params) -> tuple[int, set[str]]:
    """(the total a list page states, the proposal numbers it lists)."""
    response = await client.get("/dashboard/proposals", params={"year": "2025", **params})
    text = await response.text()
    assert response.status == 200, text
    total = int(re.search(r"共 (\d+) 件", text).group(1))
    return total, set(re.findall(r'<td><a href="/console/proposals/([^"]+)">', text))


# ------------------------------------------------------------------ the figures
async def test_dashboard_figures_equal_the_api_stats_overall_per_unit_per_category_and_key(year, supervisor):
    api, _ = year
    shown = (await page_figures(supervisor)).figures
    overall = (await api.get("/api/v1/stats", year="2025")).body
    assert shown["overall"] == {name: as_text(overall[name]) for name in SHOWN}
    for by, prefix in (("unit", "unit:"), ("category", "category:"), ("key", "key:")):
        groups = (await api.get("/api/v1/stats", year="2025", by=by)).body["groups"]
        assert groups, by
        for name, stats in groups.items():
            scope = prefix + {"True": "1", "False": "0"}.get(name, name) if by == "key" else prefix + name
            assert shown[scope] == {f: as_text(stats[f]) for f in SHOWN}, scope


async def test_dashboard_figures_match_the_hand_computed_year(year, supervisor):
    shown = (await page_figures(supervisor)).figures
    assert shown["overall"] == {
        "assigned": "10", "replied": "8", "reply_rate": "0.8", "on_time_reply_rate": "0.7",
        "reply_satisfaction_rate": "0.6667", "satisfied_only_rate": "0.5", "first_reply_satisfaction_rate": "0.5",
        "implementation_satisfaction_rate": "0.75", "dual_satisfaction_rate": "0.75", "solved_rate": "0.5",
        "contact_rate": "0.8182", "face_to_face_rate": "0.3636", "reply_no_feedback": "1",
        "implementation_no_feedback": "1", "overdue": "1"}
    assert shown["unit:JTJ"] == {
        "assigned": "3", "replied": "3", "reply_rate": "1.0", "on_time_reply_rate": "0.6667",
        "reply_satisfaction_rate": "0.0", "satisfied_only_rate": "0.0", "first_reply_satisfaction_rate": "0.0",
        "implementation_satisfaction_rate": "", "dual_satisfaction_rate": "", "solved_rate": "0.0",
        "contact_rate": "1.0", "face_to_face_rate": "0.3333", "reply_no_feedback": "0",
        "implementation_no_feedback": "0", "overdue": "0"}
    assert shown["unit:JYJ"] == {
        "assigned": "6", "replied": "5", "reply_rate": "0.8333", "on_time_reply_rate": "0.8333",
        "reply_satisfaction_rate": "1.0", "satisfied_only_rate": "0.75", "first_reply_satisfaction_rate": "0.75",
        "implementation_satisfaction_rate": "0.75", "dual_satisfaction_rate": "0.75", "solved_rate": "0.8333",
        "contact_rate": "0.8333", "face_to_face_rate": "0.5", "reply_no_feedback": "1",
        "implementation_no_feedback": "1", "overdue": "1"}
    states = shown["states"]
    assert {k: v for k, v in states.items() if v != "0"} == {
        "state:submitted": "1", "state:assigned": "1", "state:handling": "1", "state:replied": "1",
        "state:rehandling": "2", "state:implementing": "1", "state:closed": "4"}
    assert (await page_figures(supervisor, "year=2024")).figures["overall"]["assigned"] == "1"


async def test_every_rate_is_named_and_defined_on_hover_as_in_the_tally_sheet(year, supervisor):
    text = await (await supervisor.get("/dashboard?year=2025")).text()
    for name, label in {**RATE_LABELS, **NO_FEEDBACK_LABELS}.items():
        assert f'title="{DEFINITIONS[name]}">{label}</span>' in text, name
    assert "口径说明" in text
    assert "见面率 = 与代表当面沟通（面谈、座谈会、实地调研）" in DEFINITIONS["face_to_face_rate"]


async def test_sql_tallies_equal_the_plain_python_tallies_of_the_same_rows(year, db):
    for year_filter in (None, 2024, 2025):
        for unit in (None, "JYJ", "JTJ", "WJJ"):
            sql = await stats_for(db, TODAY, year=year_filter, unit=unit)
            plain = tally(await lead_records(db, year=year_filter, unit=unit), TODAY).as_dict()
            assert {k: sql[k] for k in plain} == plain, (year_filter, unit)


async def test_sql_facts_of_every_proposal_and_lead_share_equal_the_plain_python_facts(year, db):
    records = await lead_records(db, year=2025)
    names = await unit_names(db)
    for level in ("proposal", "lead"):
        items = items_query(Scope(year=2025), TODAY, level)
        key = [items.c.pid] + ([items.c.unit_id] if level == "lead" else [])
        async with db.read() as session:
            rows = (await session.execute(select(*key, *[items.c[n] for n in FACT_COLUMNS]))).all()
        sql = {tuple(names[v][0] if i else v for i, v in enumerate(row[:len(key)])):
               Facts(*[int(v or 0) for v in row[len(key):]]) for row in rows}
        plain: dict[tuple, list] = {}
        for record in records:
            plain.setdefault((record.proposal_id,) + ((record.unit,) if level == "lead" else ()), []).append(record)
        assert sql == {k: facts_of(v, TODAY) for k, v in plain.items()}, level


async def test_units_are_ranked_only_from_the_minimum_number_of_proposals(year, supervisor, aiohttp_client, settings,
                                                                          engine, db):
    ranks = (await page_figures(supervisor)).ranks
    assert ranks == {"JYJ": "1", "JTJ": "2", "WJJ": ""}  # WJJ's 100% from two cases does not top the list
    text = await (await supervisor.get("/dashboard?year=2025")).text()
    assert "不足 3 件，不排名" in text

    from run import build_app
    lower = await aiohttp_client(build_app(replace(settings, dashboard=DashboardSettings(min_proposals=2)), engine))
    await signed_in(lower, "zhao")
    assert (await page_figures(lower)).ranks == {"WJJ": "1", "JYJ": "2", "JTJ": "3"}  # by 双满意率: 1.0, 0.75, none
    by_reply_rate = (await page_figures(lower, "year=2025&rank=reply_rate")).ranks
    assert by_reply_rate == {"JTJ": "1", "JYJ": "2", "WJJ": "3"}  # 办复率 1.0, 0.8333, 0.5
    by_face_to_face = (await page_figures(lower, "year=2025&rank=face_to_face_rate")).ranks
    assert by_face_to_face == {"JYJ": "1", "JTJ": "2", "WJJ": "3"}  # 见面率 0.5, 0.3333, 0.0


async def test_unit_ranking_breaks_ties_by_the_other_rates_in_order(year, db, settings):
    lower = replace(settings, dashboard=DashboardSettings(min_proposals=2))
    lines = await figures.unit_tallies(db, lower, TODAY, Scope(year=2025), "reply_satisfaction_rate")
    assert [(line.code, line.rank, line.stats.reply_satisfaction_rate) for line in lines] == [
        ("WJJ", 1, 1.0), ("JYJ", 2, 1.0), ("JTJ", 3, 0.0)]  # WJJ before JYJ: 双满意率 1.0 against 0.75


async def test_figures_follow_a_new_action_and_a_new_day(year, supervisor, clock):
    api, p = year
    before = (await page_figures(supervisor)).figures["overall"]
    await api.ok(p["P4"], "evaluate_reply", rating="satisfied")
    after = (await page_figures(supervisor)).figures["overall"]
    assert (before["reply_satisfaction_rate"], after["reply_satisfaction_rate"]) == ("0.6667", "0.7143")  # 4/6, 5/7
    clock.advance(40)  # 2025-04-27: P3's re-handled reply was due 2025-04-18, JTJ's share of P10 on 2025-04-03
    assert (await page_figures(supervisor)).figures["overall"]["overdue"] == "3"  # and P5


async def test_figures_are_computed_again_only_once_a_proposal_changed(year, db):
    api, p = year
    computed = []

    async def compute():
        computed.append(len(computed) + 1)
        return computed[-1]

    assert [await cached(db, ("probe",), compute) for _ in range(3)] == [1, 1, 1]
    await api.ok(p["P4"], "evaluate_reply", rating="satisfied")
    assert await cached(db, ("probe",), compute) == 2


def test_yellow_cards_are_exactly_the_due_dates_card_for_calls_yellow():
    for today in (dt.date(2025, 9, 26), dt.date(2025, 10, 9), dt.date(2025, 3, 18), dt.date(2025, 12, 31)):
        last = last_yellow_due(today, 3)
        for offset in range(-5, 40):
            due = today + dt.timedelta(days=offset)
            drawn = "red" if due < today else "yellow" if last is not None and due <= last else None
            assert drawn == card_for(due, today, 3), (today, due)


async def test_cards_counted_in_sql_equal_the_reminders_deadlines_day_by_day(year, db, settings):
    seen = {"red": 0, "yellow": 0}
    for offset in range(-60, 200, 4):
        for card, n in (await assert_cards_agree(db, settings, TODAY + dt.timedelta(days=offset))).items():
            seen[card] = max(seen[card], n)
    assert seen["red"] >= 3 and seen["yellow"] >= 1, seen  # the year has cards to compare


# ------------------------------------------------------------------ click-through
async def test_each_figure_lists_exactly_the_proposals_it_counts(year, supervisor):
    _, p = year
    expected = [
        ({"figure": "reply_satisfied"}, {"P1", "P2", "P8", "P11"}),  # not P10: JTJ's 不满意 stands
        ({"figure": "reply_evaluated"}, {"P1", "P2", "P3", "P8", "P10", "P11"}),
        ({"figure": "satisfied_only"}, {"P1", "P8", "P11"}),
        ({"figure": "first_reply_satisfied"}, {"P1", "P8", "P11"}),
        ({"figure": "reply_no_feedback"}, {"P12"}),
        ({"figure": "implementation_no_feedback"}, {"P12"}),
        ({"figure": "implementation_evaluated"}, {"P1", "P2", "P8", "P11"}),
        ({"figure": "dual_satisfied"}, {"P1", "P8", "P11"}),
        ({"figure": "dual_evaluated"}, {"P1", "P2", "P8", "P11"}),
        ({"figure": "replied"}, {"P1", "P2", "P3", "P4", "P8", "P10", "P11", "P12"}),
        ({"figure": "replied_on_time"}, {"P1", "P2", "P4", "P8", "P10", "P11", "P12"}),
        ({"figure": "replied_on_time", "unit": "JTJ"}, {"P4", "P10"}),
        ({"figure": "replied", "unit": "JTJ"}, {"P3", "P4", "P10"}),
        ({"figure": "reply_satisfied", "unit": "JYJ"}, {"P1", "P2", "P10", "P11"}),
        ({"figure": "solved"}, {"P1", "P2", "P8", "P11", "P12"}),
        ({"figure": "solved", "unit": "JYJ"}, {"P1", "P2", "P10", "P11", "P12"}),
        ({"figure": "overdue"}, {"P5"}),
        ({"figure": "contacted", "unit": "WJJ"}, {"P8"}),
        ({"figure": "face_to_face"}, {"P1", "P3", "P10", "P11"}),
        ({"figure": "face_to_face", "unit": "JTJ"}, {"P3"}),
        ({"figure": "contacted", "unit": "JTJ"}, {"P3", "P4", "P10"}),
        ({"figure": "assigned", "category": "医疗"}, {"P8", "P9"}),
        ({"figure": "assigned", "key": "1"}, {"P2"}),
        ({"figure": "state", "state": "closed"}, {"P1", "P8", "P11", "P12"}),
        ({"figure": "card_red"}, {"P5"}),
        ({"figure": "card_yellow"}, {"P9"}),
        ({"figure": "card_yellow", "deadline": "reply"}, set()),
        ({"figure": "assigned", "year": "2024"}, {"P6"}),
    ]
    for params, names in expected:
        total, numbers = await listed(supervisor, **params)
        assert numbers == {p[n] for n in names}, params
        assert total == len(names), params


async def test_the_monthly_trend_counts_and_lists_submissions_in_beijing_time(year, supervisor):
    _, p = year
    month = (utcnow() + dt.timedelta(hours=8)).strftime("%Y-%m")
    d = (await page_figures(supervisor)).figures
    text = await (await supervisor.get("/dashboard?year=2025")).text()
    assert f"<td>{month}</td>" in text
    total, numbers = await listed(supervisor, figure="submitted_month", month=month)
    assert numbers == {p[n] for n in ("P1", "P2", "P3", "P4", "P5", "P7", "P8", "P9", "P10", "P11", "P12")}
    assert total == 11
    total, numbers = await listed(supervisor, figure="replied_month", month=month)
    assert numbers == {p[n] for n in ("P1", "P2", "P3", "P4", "P8", "P10", "P11", "P12")}
    assert d["overall"]["replied"] == "8"


async def test_list_totals_equal_their_figures_for_every_count_and_scope(year, db, settings):
    scopes = [Scope(year=2025), Scope(year=2025, unit="JYJ"), Scope(year=2025, unit="JTJ"),
              Scope(year=2025, unit="WJJ"), Scope(year=2025, category="教育"), Scope(year=2025, key=True),
              Scope(year=2024)]
    for scope in scopes:
        board = await figures.build(db, settings, TODAY, scope)
        for figure in COUNTS:
            found = await proposals_behind(db, settings, TODAY, scope, figure)
            if figure in ITEM_FIGURES or scope.unit:
                assert found.total == getattr(board.overall, figure), (scope, figure)
            else:  # counted per lead unit: each listed proposal adds at least one
                assert found.total <= getattr(board.overall, figure), (scope, figure)


async def test_a_wrong_figure_or_filter_is_refused_in_chinese(year, supervisor):
    for query in ("/dashboard?year=去年", "/dashboard?year=2025&since=3月", "/dashboard/proposals?figure=colour",
                  "/dashboard/proposals?figure=state&state=flying",
                  "/dashboard/proposals?figure=submitted_month&month=x"):
        response = await supervisor.get(query)
        assert response.status == 400, query
        assert CHINESE.search(await response.text())


# ------------------------------------------------------------------ charts
def test_charts_are_svg_with_every_label_escaped():
    evil = '县<script>alert("x")</script>&局'
    bars = str(bar_chart([Bar(evil, 0.5, "/dashboard/proposals?a=1&b=2", "1/2")], "标题<b>", percent=True))
    lines = str(line_chart(["2025-03", evil], [Series(evil, [1, 2])], "趋势", ["/x?a=1&b=2"]))
    for svg in (bars, lines):
        assert svg.startswith("<svg") and svg.endswith("</svg>")
        assert "<script" not in svg and "&lt;script&gt;" in svg and "&amp;局" in svg
    assert "50.0%" in bars and "a=1&amp;b=2" in bars and "标题&lt;b&gt;" in bars


async def test_the_page_draws_its_charts_itself_and_escapes_a_units_name(year, supervisor, db, clock):
    api, _ = year
    await api.post("/api/v1/units", {"code": "EVIL", "name": '县<script>alert("x")</script>局', "contact_name": "",
                                     "contact_phone": ""})
    for _ in range(3):
        number = await api.take_to("accepted", co=None, title="关于测试转义的建议")
        await api.ok(number, "assign", lead_units=["EVIL"])
    response = await supervisor.get("/dashboard?year=2025")
    text = await response.text()
    assert text.count("<svg") == 4
    assert "<script>alert" not in text and "县&lt;script&gt;alert" in text
    ranking = re.search(r"<svg[^>]*><title>承办单位双满意率排名</title>.*?</svg>", text).group(0)
    assert "县&lt;script&gt;" in ranking  # EVIL leads 3 proposals now, so it is ranked and drawn
    assert not re.search(r'(src|href)="(https?:)?//', text), "nothing is loaded from elsewhere"


# ------------------------------------------------------------------ who may see it
async def test_a_viewer_sees_the_dashboard_but_no_staff_actions(year, client, db):
    api, p = year
    viewer = await add_user(db, "qian", "viewer", PASSWORD)
    await signed_in(client, "qian")
    assert (await client.get("/dashboard?year=2025")).status == 200
    review = await client.get("/dashboard/replies?year=2025")
    assert review.status == 200
    text = await review.text()
    assert 'action="/dashboard/replies/' not in text and "只能查看" in text
    reply_id = (await api.detail(p["P1"]))["replies"][0]["id"]
    token = await csrf_of(client, "/dashboard/replies?year=2025")
    refused = await client.post(f"/dashboard/replies/{reply_id}/publish", data={"published": "1", "csrf_token": token},
                                allow_redirects=False)
    assert refused.status == 403 and CHINESE.search(await refused.text())
    by_api = await api.post(f"/api/v1/replies/{reply_id}/publish", {}, headers={
        "Authorization": f"Bearer {viewer.token}"})
    assert by_api.status == 403
    async with db.read() as session:
        assert (await session.get(Reply, reply_id)).published is False


async def test_without_signing_in_the_dashboard_sends_the_browser_to_login(client):
    for path in ("/dashboard", "/dashboard/proposals?figure=assigned", "/dashboard/replies",
                 "/dashboard/export/ledger.xlsx", "/dashboard/export/tally.xlsx", "/dashboard/export/replies.xlsx"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"].startswith("/login?next=/dashboard"), path
