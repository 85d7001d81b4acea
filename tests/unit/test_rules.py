"""Guards and conditions of workflow/domain/rules.py, on transient model objects (no session, no server)."""
from __future__ import annotations

import datetime as dt

from storage.models import Assignment, CoSigner, Deputy, Evaluation, Proposal, Reply, Unit
from workflow.domain import rules
from workflow.domain.machine import fire_assignment, fire_proposal
from workflow.domain.rules import Actor, Context

TODAY = dt.date(2025, 4, 15)
UNITS = {
    "JYJ": Unit(id=1, code="JYJ", name="县教育局"),
    "JTJ": Unit(id=2, code="JTJ", name="县交通运输局"),
    "CZJ": Unit(id=3, code="CZJ", name="县财政局"),
}


def assignment(aid: int, code: str, role: str = "lead", state: str = "signed", **fields) -> Assignment:
    defaults = dict(assigned_on=dt.date(2025, 4, 1), adjustment_due=dt.date(2025, 4, 11),
                    opinion_due=dt.date(2025, 5, 1) if role == "co" else None, reply_due=dt.date(2025, 7, 1),
                    signed_at=dt.datetime(2025, 4, 2, 9) if state != "pending" else None,
                    contact_logged=False, opinion_given=False)
    defaults.update(fields)
    return Assignment(id=aid, unit=UNITS[code], unit_id=UNITS[code].id, role=role, state=state, **defaults)


def proposal(*assignments: Assignment, state: str = "handling", round: int = 1) -> Proposal:
    return Proposal(
        id=7, number="2025-007", year=2025, title="改善农村道路", content="修缮县道", state=state, round=round,
        lead_deputy=Deputy(id=1, number="D1", name="张三"),
        co_signers=[CoSigner(deputy=Deputy(id=2, number="D2", name="李四"), confirmed_at=None)],
        assignments=list(assignments), consultations=[], replies=[], evaluations=[],
    )


def ctx_for(p: Proposal, acting: Assignment | None = None, action: str = "", today: dt.date = TODAY,
            **params) -> Context:
    return Context(proposal=p, action=action, assignment=acting, params=params, today=today,
                   actor=Actor("unit", acting.unit.code, assignment_id=acting.id) if acting else None)


def reply(rid: int, a: Assignment, category: str = "A", round: int = 1) -> Reply:
    return Reply(id=rid, proposal_id=7, assignment_id=a.id, round=round, category=category, text="答复",
                 signer="局长", on_time=True)


def rating(eid: int, r: Reply, value: str, kind: str = "reply") -> Evaluation:
    return Evaluation(id=eid, proposal_id=7, reply_id=r.id, assignment_id=r.assignment_id, kind=kind, rating=value,
                      deputy_id=1)


# ------------------------------------------------------------------ contact before reply
def test_lead_unit_cannot_reply_before_a_contact_is_logged():
    lead = assignment(1, "JYJ")
    reason = rules.contact_logged(ctx_for(proposal(lead), lead, "reply"))
    assert reason and "沟通" in reason


def test_lead_unit_may_reply_once_a_contact_is_logged():
    lead = assignment(1, "JYJ", contact_logged=True)
    assert rules.contact_logged(ctx_for(proposal(lead), lead, "reply")) is None


# ------------------------------------------------------------------ co-unit opinions
def test_lead_unit_cannot_reply_while_a_co_unit_opinion_is_outstanding_and_not_overdue():
    lead, co = assignment(1, "JYJ", contact_logged=True), assignment(2, "JTJ", role="co")
    reason = rules.co_opinions_in_or_overdue(ctx_for(proposal(lead, co), lead, "reply"))
    assert reason and "县交通运输局" in reason


def test_lead_unit_may_reply_once_every_co_unit_opinion_is_in():
    lead = assignment(1, "JYJ", contact_logged=True)
    given, waiting = assignment(2, "JTJ", role="co", opinion_given=True), assignment(3, "CZJ", role="co")
    assert rules.co_opinions_in_or_overdue(ctx_for(proposal(lead, given), lead, "reply")) is None
    reason = rules.co_opinions_in_or_overdue(ctx_for(proposal(lead, given, waiting), lead, "reply"))
    assert reason and "县财政局" in reason and "县交通运输局" not in reason


def test_a_co_unit_opinion_counts_as_outstanding_up_to_and_including_its_due_date():
    lead, co = assignment(1, "JYJ"), assignment(2, "JTJ", role="co", opinion_due=dt.date(2025, 5, 1))
    p = proposal(lead, co)
    assert rules.co_opinions_in_or_overdue(ctx_for(p, lead, "reply", today=dt.date(2025, 5, 1))) is not None
    assert rules.co_opinions_in_or_overdue(ctx_for(p, lead, "reply", today=dt.date(2025, 5, 2))) is None


def test_a_reassigned_co_unit_is_not_waited_for():
    lead, co = assignment(1, "JYJ"), assignment(2, "JTJ", role="co", state="reassigned")
    assert rules.co_opinions_in_or_overdue(ctx_for(proposal(lead, co), lead, "reply")) is None


def test_rehandling_reply_does_not_wait_for_co_unit_opinions_again():
    lead, co = assignment(1, "JYJ", state="rehandling"), assignment(2, "JTJ", role="co")
    p = proposal(lead, co, state="rehandling", round=2)
    assert rules.co_opinions_in_or_overdue(ctx_for(p, lead, "reply")) is None


# ------------------------------------------------------------------ adjustment window
def test_adjustment_may_be_requested_until_the_last_day_of_its_window():
    lead = assignment(1, "JYJ", state="pending", adjustment_due=dt.date(2025, 4, 11))
    p = proposal(lead, state="assigned")
    assert rules.within_adjustment_window(ctx_for(p, lead, today=dt.date(2025, 4, 2))) is None
    assert rules.within_adjustment_window(ctx_for(p, lead, today=dt.date(2025, 4, 11))) is None


def test_adjustment_cannot_be_requested_after_its_window():
    lead = assignment(1, "JYJ", state="pending", adjustment_due=dt.date(2025, 4, 11))
    reason = rules.within_adjustment_window(ctx_for(proposal(lead, state="assigned"), lead, today=dt.date(2025, 4, 12)))
    assert reason and "2025-04-11" in reason


# ------------------------------------------------------------------ reply categories
def test_a_b_reply_needs_a_promise_date_and_c_does_not():
    lead = assignment(1, "JYJ", contact_logged=True)
    reason = rules.promise_date_for_b(ctx_for(proposal(lead), lead, "reply", category="B"))
    assert reason and "承诺" in reason
    assert rules.promise_date_for_b(ctx_for(proposal(lead), lead, "reply", category="C")) is None


def test_a_promise_date_cannot_be_in_the_past():
    lead = assignment(1, "JYJ")
    past = TODAY - dt.timedelta(days=1)
    assert rules.promise_date_for_b(ctx_for(proposal(lead), lead, "reply", category="B",
                                            promise_date=past)) is not None
    future = TODAY + dt.timedelta(days=90)
    assert rules.promise_date_for_b(ctx_for(proposal(lead), lead, "reply", category="C",
                                            promise_date=future)) is None


def test_a_and_d_replies_take_no_promise_date():
    lead = assignment(1, "JYJ")
    future = TODAY + dt.timedelta(days=90)
    for category in ("A", "D"):
        assert rules.promise_date_for_b(ctx_for(proposal(lead), lead, "reply", category=category,
                                                promise_date=future)) is not None


def test_a_and_d_replies_need_no_promise_date():
    lead = assignment(1, "JYJ")
    for category in ("A", "D"):
        assert rules.promise_date_for_b(ctx_for(proposal(lead), lead, "reply", category=category)) is None


# ------------------------------------------------------------------ evaluations
def test_unsatisfied_rating_needs_a_reason():
    p = proposal(state="replied")
    for reason_text in (None, "", "   "):
        params = {"rating": "unsatisfied"} if reason_text is None else {"rating": "unsatisfied", "reason": reason_text}
        reason = rules.reason_for_unsatisfied(Context(proposal=p, params=params, today=TODAY))
        assert reason and "理由" in reason


def test_satisfied_rating_needs_no_reason_and_unsatisfied_with_reason_passes():
    p = proposal(state="replied")
    assert rules.reason_for_unsatisfied(Context(proposal=p, params={"rating": "satisfied"})) is None
    assert rules.reason_for_unsatisfied(Context(proposal=p, params={"rating": "basically_satisfied"})) is None
    assert rules.reason_for_unsatisfied(Context(proposal=p, params={"rating": "unsatisfied",
                                                                    "reason": "未解决实际问题"})) is None


def test_a_reply_already_rated_cannot_be_rated_again():
    lead = assignment(1, "JYJ", state="replied")
    p = proposal(lead, state="replied")
    r = reply(1, lead)
    p.replies.append(r)
    assert rules.reply_awaits_rating(Context(proposal=p)) is None
    p.evaluations.append(rating(1, r, "satisfied"))
    assert rules.reply_awaits_rating(Context(proposal=p)) is not None


# ------------------------------------------------------------------ several lead units (分办)
def test_all_lead_units_signed_needs_every_lead_unit_but_no_co_unit():
    first = assignment(1, "JYJ", state="signed")
    second = assignment(2, "JTJ", state="pending")
    co = assignment(3, "CZJ", role="co", state="pending")
    p = proposal(first, second, co, state="assigned")
    assert not Context(proposal=p).all_lead_units_signed()
    second.state, second.signed_at = "signed", dt.datetime(2025, 4, 3, 10)
    assert Context(proposal=p).all_lead_units_signed()


def test_a_lead_unit_asking_for_adjustment_does_not_count_as_signed():
    first = assignment(1, "JYJ")
    second = assignment(2, "JTJ", state="adjustment_requested")  # signed before, then asked to be moved
    assert second.signed_at is not None
    assert not Context(proposal=proposal(first, second, state="assigned")).all_lead_units_signed()


def test_a_reassigned_lead_unit_is_left_out_and_no_lead_unit_means_not_signed():
    old = assignment(1, "JYJ", state="reassigned", signed_at=None)
    new = assignment(2, "JTJ", state="signed")
    assert Context(proposal=proposal(old, new)).all_lead_units_signed()
    assert not Context(proposal=proposal(assignment(3, "CZJ", role="co"))).all_lead_units_signed()


def test_all_lead_units_replied_needs_every_lead_unit():
    first, second = assignment(1, "JYJ", state="replied"), assignment(2, "JTJ", state="signed")
    co = assignment(3, "CZJ", role="co", state="signed")
    p = proposal(first, second, co)
    assert not Context(proposal=p).all_lead_units_replied()
    second.state = "replied"
    assert Context(proposal=p).all_lead_units_replied()


def test_proposal_moves_to_handling_only_when_the_last_lead_unit_signs():
    first, second = assignment(1, "JYJ", state="pending"), assignment(2, "JTJ", state="pending")
    p = proposal(first, second, state="assigned")
    for acting, expected in ((first, "assigned"), (second, "handling")):
        ctx = ctx_for(p, acting, "sign")
        acting.signed_at = dt.datetime(2025, 4, 2, 9)
        assert fire_assignment(ctx, "sign") == ("pending", "signed")
        assert fire_proposal(ctx, "sign") == ("assigned", expected)
    assert p.state == "handling"


def test_proposal_is_replied_only_when_the_last_lead_unit_replies():
    first, second = assignment(1, "JYJ", contact_logged=True), assignment(2, "JTJ", contact_logged=True)
    p = proposal(first, second)
    for acting, expected in ((first, "handling"), (second, "replied")):
        ctx = ctx_for(p, acting, "reply", category="A")
        fire_assignment(ctx, "reply")
        assert fire_proposal(ctx, "reply")[1] == expected


def test_evaluation_waits_until_every_lead_units_reply_is_rated_then_rehandles_the_unsatisfied():
    first, second = assignment(1, "JYJ", state="replied"), assignment(2, "JTJ", state="replied")
    p = proposal(first, second, state="replied")
    r1, r2 = reply(1, first, "A"), reply(2, second, "B")
    p.replies.extend([r1, r2])
    p.evaluations.append(rating(1, r1, "unsatisfied"))
    ctx = Context(proposal=p, action="evaluate_reply", params={"rating": "unsatisfied"}, today=TODAY)
    assert fire_proposal(ctx, "evaluate_reply") == ("replied", "replied")  # the second reply awaits its rating
    p.evaluations.append(rating(2, r2, "satisfied"))
    assert fire_proposal(ctx, "evaluate_reply") == ("replied", "rehandling")


def test_evaluation_of_b_reply_leads_to_implementing_and_of_a_and_d_to_closed():
    """An A reply closes only once its implementation is rated too (on the same form); rated on the reply
    alone, it waits in 落实中 for the implementation rating, which is never inferred."""
    cases = (("B", False, "implementing"), ("C", False, "implementing"), ("A", True, "closed"),
             ("A", False, "implementing"), ("D", False, "closed"))
    for category, implementation_rated, expected in cases:
        lead = assignment(1, "JYJ", state="replied")
        p = proposal(lead, state="replied")
        r = reply(1, lead, category)
        p.replies.append(r)
        p.evaluations.append(rating(1, r, "basically_satisfied"))
        if implementation_rated:
            p.evaluations.append(rating(2, r, "satisfied", kind="implementation"))
        ctx = Context(proposal=p, action="evaluate_reply", params={"rating": "basically_satisfied"}, today=TODAY)
        assert fire_proposal(ctx, "evaluate_reply")[1] == expected, (category, implementation_rated)


def test_a_further_unsatisfied_after_the_rehandle_limit_waits_for_staff_decision():
    for count, expected in ((1, "rehandling"), (2, "deciding")):
        lead = assignment(1, "JYJ", state="replied", unsatisfied_count=count)
        p = proposal(lead, state="replied")
        r = reply(1, lead, "B")
        p.replies.append(r)
        p.evaluations.append(rating(1, r, "unsatisfied"))
        ctx = Context(proposal=p, action="evaluate_reply", params={"rating": "unsatisfied"}, today=TODAY,
                      rehandle_limit=1)
        assert fire_proposal(ctx, "evaluate_reply")[1] == expected, count


def test_c_reply_needs_no_promise_date_but_b_does():
    lead = assignment(1, "JYJ", contact_logged=True)
    assert rules.promise_date_for_b(ctx_for(proposal(lead), lead, "reply", category="C")) is None
    assert rules.promise_date_for_b(ctx_for(proposal(lead), lead, "reply", category="B")) is not None


def test_rating_after_the_window_is_refused_and_the_window_starts_at_the_reply_date():
    lead = assignment(1, "JYJ", state="replied")
    p = proposal(lead, state="replied")
    r = reply(1, lead, "A")
    r.replied_on = dt.date(2026, 3, 2)  # Monday; 15 working days later: 2026-03-23
    p.replies.append(r)
    on_time = ctx_for(p, None, "evaluate_reply", today=dt.date(2026, 3, 23), rating="satisfied")
    assert rules.within_rating_window(on_time) is None
    late = ctx_for(p, None, "evaluate_reply", today=dt.date(2026, 3, 24), rating="satisfied")
    assert "未反馈" in rules.within_rating_window(late)


def test_implementation_cannot_be_rated_before_it_is_reported_done_or_promised_date_passes():
    lead = assignment(1, "JYJ", state="implementing")
    p = proposal(lead, state="implementing")
    p.replies.append(reply(1, lead, "B"))
    assert rules.implementation_awaits_rating(ctx_for(p, None, "evaluate_implementation")) is not None
    lead.rating_opened_on = TODAY
    assert rules.implementation_awaits_rating(ctx_for(p, None, "evaluate_implementation")) is None


def test_only_the_newest_reply_of_each_lead_unit_is_rated():
    lead = assignment(1, "JYJ", state="replied")
    p = proposal(lead, state="replied", round=2)
    first, second = reply(1, lead, "C", round=1), reply(2, lead, "A", round=2)
    p.replies.extend([first, second])
    p.evaluations.append(rating(1, first, "unsatisfied"))
    ctx = Context(proposal=p)
    assert ctx.replies_of_latest_round() == [second]
    assert ctx.replies_await_rating() and not ctx.any_reply_unsatisfied()


# ------------------------------------------------------------------ co-signers and extensions
def test_only_an_unconfirmed_co_signer_may_confirm():
    p = proposal()
    assert rules.is_unconfirmed_co_signer(Context(proposal=p, actor=Actor("deputy", "D2"))) is None
    assert rules.is_unconfirmed_co_signer(Context(proposal=p, actor=Actor("deputy", "D3"))) is not None
    p.co_signers[0].confirmed_at = dt.datetime(2025, 4, 1, 8)
    assert rules.is_unconfirmed_co_signer(Context(proposal=p, actor=Actor("deputy", "D2"))) is not None


def test_reply_deadline_cannot_be_extended_past_the_six_month_maximum_or_into_the_past():
    lead = assignment(1, "JYJ", assigned_on=dt.date(2025, 3, 4))  # 6 months end on Thursday 2025-09-04
    p = proposal(lead)
    ok = ctx_for(p, lead, "extend_deadline", due_date=dt.date(2025, 9, 4))
    assert rules.within_maximum_extension(ok) is None
    too_late = ctx_for(p, lead, "extend_deadline", due_date=dt.date(2025, 9, 5))
    assert "2025-09-04" in rules.within_maximum_extension(too_late)
    past = ctx_for(p, lead, "extend_deadline", due_date=TODAY)
    assert rules.within_maximum_extension(past) is not None


def test_guards_table_names_every_guard_the_actions_use():
    from workflow.domain.definition import ACTIONS

    used = {g for a in ACTIONS.values() for g in a.guards}
    assert used <= set(rules.GUARDS)


# ------------------------------------------------------------------ what staff are offered (Engine.allowed_actions, pure)
def _offered_to_staff(p: Proposal) -> list[str]:
    from workflow.engine.engine import Engine
    from workflow.settings import load_settings

    return Engine(db=None, settings=load_settings(environ={}), clock=lambda: TODAY).allowed_actions(
        p, Actor("staff", "wang", role="staff"))


def test_staff_are_offered_reassign_when_several_units_ask_for_adjustment():
    # With two requests staff must name the unit; the action is still open (it was once left out).
    first = assignment(1, "JYJ", state="adjustment_requested")
    second = assignment(2, "JTJ", state="adjustment_requested")
    offered = _offered_to_staff(proposal(first, second, state="assigned"))
    assert {"reassign", "reject_adjustment"} <= set(offered)
    assert "extend_deadline" not in offered  # no lead unit is in a state whose deadline can move


def test_staff_are_offered_extend_deadline_with_several_lead_units_but_not_reassign_without_a_request():
    offered = _offered_to_staff(proposal(assignment(1, "JYJ"), assignment(2, "JTJ")))
    assert "extend_deadline" in offered
    assert "reassign" not in offered and "reject_adjustment" not in offered


def test_viewers_are_offered_nothing():
    from workflow.engine.engine import Engine
    from workflow.settings import load_settings

    engine = Engine(db=None, settings=load_settings(environ={}), clock=lambda: TODAY)
    p = proposal(assignment(1, "JYJ"), assignment(2, "JTJ", state="adjustment_requested"))
    assert engine.allowed_actions(p, Actor("staff", "li", role="viewer")) == []
    assert engine.allowed_actions(p, Actor("staff", "li", role="supervisor")) == []
