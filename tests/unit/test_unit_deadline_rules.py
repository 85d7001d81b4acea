"""What units live by at 交办, extension and 改派 (issue 10, items 9 and 11): the 6-month cap from the start,
an extension only once the deputy was told, the unit's own application, swapping lead and co-unit,
and staff's deadline for deciding an adjustment request. Pure: transient rows, no session."""
from __future__ import annotations

import datetime as dt

from storage.models import Assignment, Deputy, Proposal, Unit
from workflow.domain import rules
from workflow.domain.cards import Due, card_recipients
from workflow.domain.machine import fire_assignment
from workflow.domain.rules import Actor, Context

TODAY = dt.date(2025, 4, 15)
UNITS = {"SCJ": Unit(id=1, code="SCJ", name="县市场监管局", active=True),
         "JYJ": Unit(id=2, code="JYJ", name="县教育局", active=True),
         "CZJ": Unit(id=3, code="CZJ", name="县财政局", active=True)}


def share(aid: int, code: str, role: str = "lead", state: str = "signed", **fields) -> Assignment:
    defaults = dict(assigned_on=dt.date(2025, 4, 1), reply_due=dt.date(2025, 7, 1) if role == "lead" else None,
                    signed_at=dt.datetime(2025, 4, 2, 9), contact_logged=False, opinion_given=False,
                    extension_requested_due=None)
    defaults.update(fields)
    return Assignment(id=aid, unit=UNITS[code], unit_id=UNITS[code].id, role=role, state=state, **defaults)


def ctx(action: str, acting: Assignment | None = None, *others: Assignment, **params) -> Context:
    shares = [a for a in (acting, *others) if a is not None]
    p = Proposal(id=7, number="2025-007", year=2025, title="规范校外培训机构收费", content="…", state="handling",
                 round=1, lead_deputy=Deputy(id=1, number="D1", name="张三"), co_signers=[], assignments=shares,
                 consultations=[], replies=[], evaluations=[])
    return Context(proposal=p, action=action, assignment=acting, params=params, today=TODAY, units=UNITS,
                   actor=Actor("staff", "wang", role="staff"))


# ------------------------------------------------------------------ item 9: the cap holds at 交办
def test_assign_refuses_a_reply_due_date_22_months_out_naming_the_field():
    reason = rules.due_date_within_maximum(ctx("assign", due_date=TODAY + dt.timedelta(days=22 * 30)))
    assert reason and "6 个月" in reason and "2025-10-15" in reason
    assert reason.field == "due_date"
    assert "due_date_within_maximum" in rules.INPUT_GUARDS  # bad input: 400, nothing changes


def test_assign_accepts_a_reply_due_date_up_to_six_months_out():
    assert rules.due_date_within_maximum(ctx("assign", due_date=dt.date(2025, 10, 15))) is None
    assert rules.due_date_within_maximum(ctx("assign")) is None  # no date typed: the 3-month default


def test_an_extension_needs_the_unit_to_have_explained_the_delay_to_the_deputy():
    lead = share(1, "SCJ")
    refused = rules.delay_explained_to_deputy(ctx("extend_deadline", lead, due_date=dt.date(2025, 8, 1),
                                                  explained_to_deputy=False))
    assert refused and "说明延期原因" in refused and refused.field == "explained_to_deputy"
    assert rules.delay_explained_to_deputy(ctx("extend_deadline", lead, explained_to_deputy=True)) is None


def test_an_extension_stays_within_six_months_of_assignment():
    lead = share(1, "SCJ", assigned_on=dt.date(2025, 3, 3))  # six months on: Wednesday 2025-09-03
    refused = rules.within_maximum_extension(ctx("extend_deadline", lead, due_date=dt.date(2025, 9, 4)))
    assert refused and refused.field == "due_date" and "2025-09-03" in refused
    assert rules.within_maximum_extension(ctx("extend_deadline", lead, due_date=dt.date(2025, 9, 3))) is None


def test_a_unit_applies_for_a_date_later_than_its_current_due_date():
    lead = share(1, "SCJ")
    refused = rules.within_maximum_extension(ctx("request_extension", lead, due_date=dt.date(2025, 6, 30)))
    assert refused and "晚于现在的答复期限" in refused


def test_a_second_application_waits_for_the_first_to_be_decided():
    lead = share(1, "SCJ", extension_requested_due=dt.date(2025, 8, 1))
    assert "等待人大工作人员审批" in rules.no_extension_pending(ctx("request_extension", lead))
    assert rules.extension_requested(ctx("approve_extension", lead)) is None
    assert rules.extension_requested(ctx("approve_extension", share(2, "JYJ"))) == "该单位没有待审批的延期申请。"


def test_approving_as_applied_for_checks_the_applied_date_against_today():
    lead = share(1, "SCJ", extension_requested_due=dt.date(2025, 4, 10))  # the date asked for has passed
    refused = rules.within_maximum_extension(ctx("approve_extension", lead))
    assert refused and refused.field == "due_date"


# ------------------------------------------------------------------ item 11: swapping lead and co-unit
def test_a_lead_unit_may_be_reassigned_to_the_proposals_own_co_unit():
    lead = share(1, "SCJ", state="adjustment_requested")
    co = share(2, "JYJ", role="co")
    assert rules.target_unit_is_free(ctx("reassign", lead, co, to_unit="JYJ")) is None


def test_a_co_unit_cannot_be_reassigned_to_the_lead_unit_nor_a_lead_to_another_lead():
    lead, co = share(1, "SCJ"), share(2, "JYJ", role="co", state="adjustment_requested")
    assert "已在承办" in rules.target_unit_is_free(ctx("reassign", co, lead, to_unit="SCJ"))
    other_lead = share(3, "CZJ")
    refused = rules.target_unit_is_free(ctx("reassign", share(1, "SCJ", state="adjustment_requested"), other_lead,
                                            to_unit="CZJ"))
    assert refused and refused.field == "to_unit"


def test_only_a_lead_unit_handed_on_may_stay_as_co_unit():
    co = share(2, "JYJ", role="co", state="adjustment_requested")
    refused = rules.keep_as_co_only_for_lead(ctx("reassign", co, to_unit="CZJ", keep_as_co=True))
    assert refused and refused.field == "keep_as_co"
    lead = share(1, "SCJ", state="adjustment_requested")
    assert rules.keep_as_co_only_for_lead(ctx("reassign", lead, to_unit="JYJ", keep_as_co=True)) is None


def test_a_co_unit_made_lead_hands_over_its_co_share():
    co = share(2, "JYJ", role="co")
    c = ctx("reassign", co)
    assert fire_assignment(c, "hand_over") == ("signed", "reassigned")


# ------------------------------------------------------------------ item 11: staff's own deadline
def test_an_adjustment_decision_card_goes_to_staff_then_to_supervisors_too():
    due = Due("adjustment_decision", TODAY, 7, "2025-007", "规范校外培训机构收费", assignment_id=1, unit="SCJ",
              unit_name="县市场监管局")
    assert card_recipients(due, "yellow") == [("reminder_yellow", "staff", "*")]
    assert card_recipients(due, "red") == [("reminder_red", "supervisor", "*"), ("reminder_red", "staff", "*")]
