"""GET /api/v1/stats against a small data set built through the API and counted by hand.

The data set (lead unit, co-unit; contact; what happened), built on the dates below:

  2024-11-04  P6  JYJ        面谈; reply A on time, rated 满意 and (same form) what was done 满意      -> closed
  2025-03-03  P1  JYJ (+JTJ co) 面谈; reply A on time, rated 满意 and what was done 满意                -> closed
              P2  JYJ        面谈; reply B on time, reply rated 基本满意; reported done, rated 不满意   -> implementing
              P3  JTJ        实地调研; due 2025-03-13; replied C late on 2025-03-18, rated 不满意       -> rehandling
              P4  JTJ        电话 only; reply D on time, never rated                                  -> replied
              P5  JYJ        due 2025-03-08; signed, no contact, never replied                        -> handling
              P7  -          submitted only (never assigned: counts nowhere)
  stats taken on 2025-03-18.

By hand (each proposal once, by its lead unit's current rating of each kind; a missing rating is left out):
  overall    assigned 6 (P1-P6); replied 5 (not P5; P3's late reply counts) -> reply_rate 5/6 = 0.8333;
             on time 4 (P1 P2 P4 P6) -> on_time_reply_rate 4/6 = 0.6667;
             reply ratings P1 满 P2 基本 P3 不 P6 满 -> 3/4 = 0.75; 满意 only P1 P6 -> 2/4 = 0.5; first ratings
             the same -> 0.75; implementation P1 满 P2 不 P6 满 -> 2/3; both kinds P1 P2 P6, satisfied on both
             P1 P6 -> 2/3; solved (A or B) P1 P2 P6 of 6 assigned -> 0.5; any contact P1-P4 P6 -> 5/6 = 0.8333;
             face to face P1 P2 P3 P6 (not P4's 电话) -> 4/6 = 0.6667; 未反馈 0 and 0;
             overdue: P5 (signed, due 03-08 < 03-18) -> 1 (P3's rehandling is due a month after 03-18).
  year 2025  P1-P5: 5; 4 -> 0.8; on time 3 -> 0.6; reply 2/3; 满意 only 1/3; first 2/3; implementation 1/2;
             dual 1/2; solved 2/5; contact 4/5; face to face 3/5; overdue 1.
  year 2024  P6: 1; 1; 1.0 everywhere; overdue 0.
  unit JYJ   P1 P2 P5 P6: 4; 3 -> 0.75; on time 0.75; reply 3/3; 满意 only 2/3; first 1.0; implementation 2/3;
             dual 2/3; solved 3/4; contact 3/4; face to face 3/4; overdue 1.
  unit JTJ   P3 P4 (P1 only as co-unit: not counted): 2; 2 -> 1.0; on time 1 -> 0.5; reply 0/1 = 0.0; 满意 only
             0.0; first 0.0; implementation and dual: no ratings -> null; solved 0/2 = 0.0; contact 1.0;
             face to face 1/2; overdue 0.
  JYJ 2025   P1 P2 P5: 3; 2 -> 2/3; on time 2/3; 1.0; 1/2; 1.0; 1/2; 1/2; solved 2/3; contact 2/3; face 2/3; 1.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.support.api import CHINESE, Api
from workflow.domain.tallies import DEFINITIONS, NO_FEEDBACK_LABELS, RATE_LABELS, RATES

FIELDS = ("assigned", "replied", "reply_rate", "on_time_reply_rate", "reply_satisfaction_rate", "satisfied_only_rate",
          "first_reply_satisfaction_rate", "implementation_satisfaction_rate", "dual_satisfaction_rate", "solved_rate",
          "contact_rate", "face_to_face_rate", "reply_no_feedback", "implementation_no_feedback", "overdue")


def figures(*values) -> dict:
    return dict(zip(FIELDS, values, strict=True))


EXPECTED = {
    (): figures(6, 5, 0.8333, 0.6667, 0.75, 0.5, 0.75, 0.6667, 0.6667, 0.5, 0.8333, 0.6667, 0, 0, 1),
    (("year", "2025"),): figures(5, 4, 0.8, 0.6, 0.6667, 0.3333, 0.6667, 0.5, 0.5, 0.4, 0.8, 0.6, 0, 0, 1),
    (("year", "2024"),): figures(1, 1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0, 0, 0),
    (("year", "2023"),): figures(0, 0, None, None, None, None, None, None, None, None, None, None, 0, 0, 0),
    (("unit", "JYJ"),): figures(4, 3, 0.75, 0.75, 1.0, 0.6667, 1.0, 0.6667, 0.6667, 0.75, 0.75, 0.75, 0, 0, 1),
    (("unit", "JTJ"),): figures(2, 2, 1.0, 0.5, 0.0, 0.0, 0.0, None, None, 0.0, 1.0, 0.5, 0, 0, 0),
    (("unit", "JYJ"), ("year", "2025")): figures(3, 2, 0.6667, 0.6667, 1.0, 0.5, 1.0, 0.5, 0.5, 0.6667, 0.6667,
                                                 0.6667, 0, 0, 1),
}


@pytest.fixture
async def api(client, auth, clock):
    api = Api(client, auth, clock)
    await api.roster()
    clock.today = dt.date(2024, 11, 4)
    p6 = await api.take_to("replied", co=None, category="A")
    await api.ok(p6, "evaluate_reply", rating="satisfied", implementation_rating="satisfied")

    clock.today = dt.date(2025, 3, 3)
    p1 = await api.take_to("replied", category="A")
    await api.ok(p1, "evaluate_reply", rating="satisfied", implementation_rating="satisfied")
    p2 = await api.take_to("replied", co=None, category="B")
    await api.ok(p2, "evaluate_reply", rating="basically_satisfied")
    await api.unit_ok(await api.link(p2, "JYJ"), "report_progress", text="已完工。", percent=100)
    await api.ok(p2, "evaluate_implementation", rating="unsatisfied", reason="工程迟迟未动工。")
    p3 = await api.take_to("handling", lead="JTJ", co=None, due_date="2025-03-13")
    p3_link = await api.link(p3, "JTJ")
    await api.unit_ok(p3_link, "log_contact", method="实地调研", summary="现场查看。")
    p4 = await api.take_to("handling", lead="JTJ", co=None)
    p4_link = await api.link(p4, "JTJ")
    await api.unit_ok(p4_link, "log_contact", method="电话", summary="电话沟通。")
    await api.reply(p4_link, "D")
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


async def test_stats_give_every_count_behind_a_rate(api):
    body = (await api.get("/api/v1/stats")).body
    assert (body["replied"], body["replied_on_time"], body["solved"], body["assigned"]) == (5, 4, 3, 6)
    assert (body["satisfied_only"], body["reply_evaluated"], body["first_reply_satisfied"]) == (2, 4, 3)
    assert (body["contacted"], body["face_to_face"], body["lead_assignments"]) == (5, 4, 6)


async def test_stats_refuse_a_bad_filter_in_chinese(api):
    for params in ({"year": "去年"}, {"by": "colour"}):
        answer = await api.get("/api/v1/stats", **params)
        assert answer.status == 400 and answer.body["error"] == "invalid_input"
        assert CHINESE.search(answer.body["message"])


async def test_openapi_describes_every_figure_of_the_stats_with_its_definition(api):
    document = (await api.get("/api/v1/openapi.json")).body
    described = document["components"]["schemas"]["Stats"]["properties"]
    body = (await api.get("/api/v1/stats")).body
    assert set(body) - {"filters"} <= set(described)
    for rate in RATES:
        assert described[rate]["nullable"] is True and described[rate]["description"] == DEFINITIONS[rate]


def test_docs_state_every_rate_with_its_dashboard_name():
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    for name, label in {**RATE_LABELS, **NO_FEEDBACK_LABELS}.items():
        assert f"| {label} | `{name}` |" in text, name
