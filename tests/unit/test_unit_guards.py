"""The guards that read units (assign, reassign, consultation): they judge the units the engine looked up
into the Context, so the engine's `allowed_actions` and `perform` run the same rule (no check hides in
the effects)."""
from __future__ import annotations

import datetime as dt

from storage.models import Assignment, Deputy, Proposal, Unit
from workflow.domain import rules
from workflow.domain.definition import ACTIONS
from workflow.domain.rules import Context

JYJ = Unit(id=1, code="JYJ", name="县教育局", active=True)
JTJ = Unit(id=2, code="JTJ", name="县交通运输局", active=True)
OLD = Unit(id=3, code="OLD", name="县撤并局", active=False)
UNITS = {u.code: u for u in (JYJ, JTJ, OLD)}


def _ctx(action: str, *assignments: Assignment, **params) -> Context:
    p = Proposal(id=7, number="2025-007", title="t", content="c", state="accepted", round=1,
                 lead_deputy=Deputy(id=1, number="D1", name="张三"), co_signers=[],
                 assignments=list(assignments), replies=[], evaluations=[])
    ctx = Context(proposal=p, action=action, params=params, today=dt.date(2025, 4, 1))
    ctx.units = {c: UNITS[c] for c in ctx.named_units() if c in UNITS}
    return ctx


def test_the_unit_guards_are_named_on_the_actions_that_name_units():
    for action in ("assign", "reassign", "request_consultation"):
        assert "units_are_active" in ACTIONS[action].guards
    assert "target_unit_is_free" in ACTIONS["reassign"].guards


def test_assign_refuses_unknown_and_retired_units_naming_the_field():
    reason = rules.units_are_active(_ctx("assign", lead_units=["JYJ", "NOPE", "OLD"]))
    assert reason == "找不到单位：NOPE、OLD。" and reason.field == "lead_units"


def test_assign_refuses_a_unit_that_would_both_lead_and_assist():
    reason = rules.units_are_active(_ctx("assign", lead_units=["JYJ"], co_units=["JYJ"]))
    assert reason and reason.field == "co_units"


def test_assign_to_active_units_and_an_empty_form_pass():
    assert rules.units_are_active(_ctx("assign", lead_units=["JYJ"], co_units=["JTJ"])) is None
    assert rules.units_are_active(_ctx("assign")) is None  # what allowed_actions sees before any input


def test_a_consultation_may_name_only_a_unit_in_use():
    reason = rules.units_are_active(_ctx("request_consultation", unit="OLD"))
    assert reason == "找不到单位 OLD。" and reason.field == "unit"


def test_reassign_refuses_a_unit_already_handling_the_proposal():
    live = Assignment(id=1, unit=JTJ, unit_id=2, role="co", state="signed")
    reason = rules.target_unit_is_free(_ctx("reassign", live, unit="JYJ", to_unit="JTJ"))
    assert reason == "县交通运输局已在承办这件建议。"


def test_reassign_to_a_unit_whose_share_was_handed_on_is_allowed():
    gone = Assignment(id=1, unit=JTJ, unit_id=2, role="lead", state="reassigned")
    assert rules.target_unit_is_free(_ctx("reassign", gone, unit="JYJ", to_unit="JTJ")) is None
