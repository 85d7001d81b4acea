"""Each derived grouping of states is defined once (workflow/domain/definition.py) and means what it says."""
from __future__ import annotations

import datetime as dt

import pytest

from workflow.domain import definition as d
from workflow.domain.errors import InvalidInput
from workflow.domain.params import clean_params
from workflow.domain.tallies import is_overdue

CATEGORIES = ("经济", "教育")
TODAY = dt.date(2025, 6, 1)


def test_a_live_assignment_is_any_not_handed_on_finished_or_answered_as_advice():
    assert set(d.LIVE_ASSIGNMENT_STATES) == set(d.ASSIGNMENT_STATES) - {"reassigned", "done", "advised"}


def test_a_reply_is_awaited_only_from_live_assignments_that_have_not_answered_this_round():
    assert d.AWAITING_REPLY_STATES < set(d.LIVE_ASSIGNMENT_STATES)
    assert not d.AWAITING_REPLY_STATES & {"replied", "implementing"}


def test_final_pre_submission_and_handled_states_split_the_proposal_states():
    assert set(d.OPEN_STATES) | d.FINAL_STATES == set(d.STATES)
    assert set(d.PRE_SUBMISSION_STATES) | {"submitted", "accepted"} | set(d.HANDLED_STATES) == set(d.OPEN_STATES)
    assert set(d.SUPERVISABLE) == {"accepted", *d.HANDLED_STATES}


def test_the_finish_transition_ends_exactly_the_live_assignments():
    finish = next(t for t in d.ASSIGNMENT_TRANSITIONS if t["trigger"] == "finish")
    assert set(finish["source"]) == set(d.LIVE_ASSIGNMENT_STATES)


@pytest.mark.parametrize("assignment_state", sorted(d.ASSIGNMENT_STATES))
@pytest.mark.parametrize("proposal_state", sorted(d.STATES))
def test_overdue_means_a_reply_still_owed_past_its_due_date_on_an_unfinished_proposal(assignment_state,
                                                                                          proposal_state):
    owed = assignment_state in d.AWAITING_REPLY_STATES and proposal_state not in d.FINAL_STATES
    assert is_overdue(assignment_state, proposal_state, TODAY - dt.timedelta(days=1), TODAY) is owed
    assert is_overdue(assignment_state, proposal_state, TODAY, TODAY) is False
    assert is_overdue(assignment_state, proposal_state, None, TODAY) is False


def test_revise_refuses_a_category_that_accept_refuses():
    with pytest.raises(InvalidInput) as refused:
        clean_params("revise", {"category": "外星"}, CATEGORIES)
    assert refused.value.details["field"] == "category"
    with pytest.raises(InvalidInput):
        clean_params("accept", {"category": "外星"}, CATEGORIES)


@pytest.mark.parametrize("category", [*CATEGORIES, "教育 ", "其他", "", "经济、教育"])
def test_revise_and_accept_agree_on_every_category(category):
    def verdict(action):
        try:
            return clean_params(action, {"category": category}, CATEGORIES).get("category")
        except InvalidInput:
            return "refused"
    revised, accepted = verdict("revise"), verdict("accept")
    if category.strip():
        assert revised == accepted
    else:  # revise may leave the category out; accept needs one
        assert revised is None and accepted == "refused"


def test_acting_roles_are_staff_roles():
    assert d.ACTING_ROLES <= set(d.ACCOUNT_ROLES)


def test_storage_spells_the_acting_roles_and_the_handed_on_states_as_the_domain_does():
    # storage cannot import workflow: its two copies are held to the domain's here.
    from storage.models import HANDED_ON_STATES
    from storage.outbox import STAFF_ROLES

    assert set(STAFF_ROLES) == d.ACTING_ROLES
    assert set(HANDED_ON_STATES) == d.SUPERSEDED_ASSIGNMENT_STATES
