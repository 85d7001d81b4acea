"""The routing table of workflow/domain/notifications.py: who hears what, read as data."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from notify.texts import TEXTS
from storage.models import Assignment, CoSigner, Deputy, Proposal, Unit
from workflow.domain.definition import ACTIONS
from workflow.domain.notifications import (
    CONDITIONS,
    NOTIFICATION_KINDS,
    ON_ENTERING,
    ROUTES,
    SELECTORS,
    notifications_for,
)
from workflow.domain.rules import Actor, Context

JYJ = Unit(id=1, code="JYJ", name="县教育局")
JTJ = Unit(id=2, code="JTJ", name="县交通运输局")


def _proposal(state: str = "replied") -> Proposal:
    lead = Assignment(id=1, unit=JYJ, unit_id=1, role="lead", state="replied")
    co = Assignment(id=2, unit=JTJ, unit_id=2, role="co", state="signed")
    return Proposal(id=7, number="2025-007", title="改善农村道路", content="修缮县道", state=state, round=1,
                    lead_deputy=Deputy(id=1, number="D1", name="张三"),
                    co_signers=[CoSigner(deputy=Deputy(id=2, number="D2", name="李四"),
                                         confirmed_at=dt.datetime(2025, 3, 1)),
                                CoSigner(deputy=Deputy(id=3, number="D3", name="王五"), confirmed_at=None)],
                    assignments=[lead, co], replies=[], evaluations=[])


def _event(action: str, from_state: str, to_state: str, **payload) -> SimpleNamespace:
    return SimpleNamespace(action=action, from_state=from_state, to_state=to_state, payload=payload)


def _heard(action: str, from_state: str, to_state: str, assignment=None, **payload) -> set[tuple[str, tuple]]:
    p = _proposal(from_state)
    ctx = Context(proposal=p, action=action, actor=Actor("deputy", "D1"), assignment=assignment)
    return set(notifications_for(ctx, _event(action, from_state, to_state, **payload)))


def test_every_routed_kind_has_a_text_and_every_name_in_the_table_exists():
    assert NOTIFICATION_KINDS <= set(TEXTS)
    for routes in (*ROUTES.values(), *ON_ENTERING.values()):
        for route in routes:
            assert route.to in SELECTORS, route
            assert not route.when or route.when in CONDITIONS, route
    assert set(ROUTES) <= set(ACTIONS) | {"create"}


def test_a_reply_goes_to_the_lead_deputy_and_each_confirmed_co_signer_only():
    assert _heard("reply", "handling", "handling") == {("reply_arrived", ("deputy", "D1")),
                                                        ("reply_arrived", ("deputy", "D2"))}


def test_an_unsatisfied_rating_that_reopens_handling_tells_staff_the_deputy_and_the_lead_units():
    heard = _heard("evaluate_reply", "replied", "rehandling", rating="unsatisfied")
    assert heard == {("evaluation_received", ("unit", "JYJ")), ("unsatisfied", ("staff", "*")),
                     ("rehandling_started", ("deputy", "D1")), ("rehandling_started", ("unit", "JYJ"))}


def test_a_satisfied_rating_tells_only_the_lead_unit_and_closing_tells_every_deputy():
    heard = _heard("evaluate_reply", "replied", "closed", rating="satisfied")
    assert heard == {("evaluation_received", ("unit", "JYJ")), ("proposal_closed", ("deputy", "D1")),
                     ("proposal_closed", ("deputy", "D2"))}


def test_a_staff_decision_on_a_submission_is_told_to_the_deputy_by_its_own_template():
    for action in ("accept", "return_for_revision"):
        assert _heard(action, "submitted", "accepted") == {(f"proposal_{action}", ("deputy", "D1"))}
    # Not a deputy's suggestion: the lead and each confirmed co-signer hear the reason and the disposition.
    assert _heard("refer", "submitted", "referred") == {("proposal_refer", ("deputy", "D1")),
                                                         ("proposal_refer", ("deputy", "D2"))}


def test_a_new_draft_asks_only_the_co_signers_who_have_not_confirmed():
    assert _heard("create", "", "draft") == {("cosign_requested", ("deputy", "D3"))}
