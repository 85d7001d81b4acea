"""GET /api/v1/stats against a small data set built through the API and counted by hand.

The data set (lead unit, co-unit; what happened), built on the dates below:

  2024-11-04  P6  JYJ        reply A on time, rated 满意 (A: the one form rates the implementation too) -> closed
  2025-03-03  P1  JYJ (+JTJ co) reply A on time, rated 满意 (implementation 满意 with it)             -> closed
              P2  JYJ        reply B on time, reply rated 基本满意, implementation rated 不满意         -> implementing
              P3  JTJ        due 2025-03-13; replied C late on 2025-03-18, rated 不满意                -> rehandling
              P4  JTJ        reply D on time, never rated                                             -> replied
              P5  JYJ        due 2025-03-08; signed, never replied                                    -> handling
              P7  -          submitted only (never assigned: counts nowhere)
  stats taken on 2025-03-18.

By hand (each proposal once, by its latest rating of each kind; a missing rating is left out):
  overall    assigned 6 (P1-P6); replied 5 (not P5); on time 4 (P1 P2 P4 P6) -> reply_rate 4/6 = 0.6667;
             reply ratings P1 满 P2 基本 P3 不 P6 满 -> 3/4 = 0.75; implementation P1 满 P2 不 P6 满 -> 2/3;
             both kinds P1 P2 P6, satisfied on both P1 P6 -> 2/3; solved (A or B) P1 P2 P6 of 5 replied -> 0.6;
             overdue: P5 (signed, due 03-08 < 03-18) -> 1 (P3's rehandling is due a month after 03-18).
  year 2025  P1-P5: 5; 4; on time 3 -> 0.6; reply 2/3; implementation 1/2; dual 1/2; solved 2/4; overdue 1.
  year 2024  P6: 1; 1; 1.0 everywhere; overdue 0.
  unit JYJ   P1 P2 P5 P6: 4; 3; on time 3 -> 0.75; reply 3/3; implementation 2/3; dual 2/3; solved 3/3; overdue 1.
  unit JTJ   P3 P4 (P1 only as co-unit: not counted): 2; 2; on time 1 -> 0.5; reply 0/1 = 0.0;
             implementation and dual: no ratings -> null; solved 0/2 = 0.0; overdue 0.
  JYJ 2025   P1 P2 P5: 3; 2; 2/3; 1.0; 1/2; 1/2; 1.0; overdue 1.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.support.api import CHINESE, Api

FIELDS = ("assigned", "replied", "reply_rate", "reply_satisfaction_rate", "implementation_satisfaction_rate",
          "dual_satisfaction_rate", "solved_rate", "overdue")


def figures(*values) -> dict:
    return dict(zip(FIELDS, values))


EXPECTED = {
    (): figures(6, 5, 0.6667, 0.75, 0.6667, 0.6667, 0.6, 1),
    (("year", "2025"),): figures(5, 4, 0.6, 0.6667, 0.5, 0.5, 0.5, 1),
    (("year", "2024"),): figures(1, 1, 1.0, 1.0, 1.0, 1.0, 1.0, 0),
    (("year", "2023"),): figures(0, 0, None, None, None, None, None, 0),
    (("unit", "JYJ"),): figures(4, 3, 0.75, 1.0, 0.6667, 0.6667, 1.0, 1),
    (("unit", "JTJ"),): figures(2, 2, 0.5, 0.0, None, None, 0.0, 0),
    (("unit", "JYJ"), ("year", "2025")): figures(3, 2, 0.6667, 1.0, 0.5, 0.5, 1.0, 1),
}


@pytest.fixture
async def api(client, auth, clock):
    api = Api(client, auth, clock)
    await api.roster()
    clock.today = dt.date(2024, 11, 4)
    p6 = await api.take_to("replied", co=None, category="A")
    await api.ok(p6, "evaluate_reply", rating="satisfied")

    clock.today = dt.date(2025, 3, 3)
    p1 = await api.take_to("replied", category="A")
    await api.ok(p1, "evaluate_reply", rating="satisfied")
    p2 = await api.take_to("replied", co=None, category="B")
    await api.ok(p2, "evaluate_reply", rating="basically_satisfied")
    await api.ok(p2, "evaluate_implementation", rating="unsatisfied", reason="工程迟迟未动工。")
    p3 = await api.take_to("handling", lead="JTJ", co=None, due_date="2025-03-13")
    p3_link = await api.link(p3, "JTJ")
    await api.unit_ok(p3_link, "log_contact", method="实地调研", summary="现场查看。")
    await api.take_to("replied", lead="JTJ", co=None, category="D")
    await api.take_to("handling", co=None, due_date="2025-03-08")
    await api.submit(title="尚未交办的建议")

    clock.advance(15)
    await api.reply(p3_link, "C", promise_date="2025-12-31")
    await api.ok(p3, "evaluate_reply", rating="unsatisfied", reason="答复没有时间表。")
    return api


@pytest.mark.parametrize("query", list(EXPECTED), ids=lambda q: "&".join(f"{k}={v}" for k, v in q) or "all")
async def test_stats_match_the_hand_computed_figures(api, query):
    answer = await api.get("/api/v1/stats", **dict(query))
    assert answer.status == 200, answer.body
    assert {k: answer.body[k] for k in FIELDS} == EXPECTED[query]


async def test_stats_grouped_by_unit_equal_the_stats_filtered_by_unit(api):
    grouped = (await api.get("/api/v1/stats", by="unit")).body["groups"]
    assert set(grouped) == {"JYJ", "JTJ"}
    for unit, group in grouped.items():
        assert {k: group[k] for k in FIELDS} == EXPECTED[(("unit", unit),)]


async def test_stats_refuse_a_bad_filter_in_chinese(api):
    for params in ({"year": "去年"}, {"by": "colour"}):
        answer = await api.get("/api/v1/stats", **params)
        assert answer.status == 400 and answer.body["error"] == "invalid_input"
        assert CHINESE.search(answer.body["message"])
