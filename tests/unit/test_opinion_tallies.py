"""The figures of 群众意见 (workflow/domain/opinion_tallies.py) on hand-computed groups, and their laws."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from workflow.domain.definition import RATINGS
from workflow.domain.opinion_tallies import (
    DEFINITIONS,
    FIGURE_LABELS,
    ROUTE_FIGURES,
    OpinionFacts,
    is_answered,
    is_answered_on_time,
    is_on_time_basis,
    is_overdue,
    rate,
    tally,
)
from workflow.domain.opinions import ROUTES

TODAY = dt.date(2026, 5, 20)
DAY = dt.timedelta(days=1)


def one(**kw) -> list[tuple[OpinionFacts, int]]:
    return [(OpinionFacts(**kw), 1)]


def test_an_empty_group_has_no_rates_and_nothing_counted():
    t = tally([], TODAY)
    assert t.received == 0 and t.on_time_rate is None and t.satisfaction_rate is None


def test_a_hand_computed_group():
    items = [
        (OpinionFacts("answer", True, "satisfied"), 2),  # deputy answered twice: on time, both satisfied
        (OpinionFacts("refer", True, "basically_satisfied", True, True), 1),  # unit answered on time
        (OpinionFacts("refer", True, "unsatisfied", True, False), 1),  # unit answered late
        (OpinionFacts("refer", open_referral_due=TODAY - DAY), 1),  # open, due yesterday: overdue
        (OpinionFacts("refer", open_referral_due=TODAY), 1),  # open, due today: not yet overdue
        (OpinionFacts("to_proposal"), 1),
        (OpinionFacts("out_of_remit", True), 1),  # told where to go: not "answered"
        (OpinionFacts(""), 1),  # undecided
        (OpinionFacts("answer", True, ""), 1),  # answered, not rated
    ]
    t = tally(items, TODAY)
    assert (t.received, t.answer, t.refer, t.to_proposal, t.out_of_remit, t.undecided) == (10, 3, 4, 1, 1, 1)
    assert t.answered == 3 + 2  # deputy 3, unit 2; the out-of-remit closure is not an answer
    assert t.answered_on_time == 3 + 1  # deputy's 3, the unit's on-time one
    assert t.on_time_basis == 3 + 2 + 1  # deputy's 3, the unit's 2 answers, the overdue one
    assert t.on_time_rate == round(4 / 6, 4)
    assert (t.rated, t.satisfied, t.satisfaction_rate) == (4, 3, 0.75)  # the unrated one counts nowhere
    assert t.overdue_referrals == 1


def test_on_time_means_on_or_before_the_due_date_and_overdue_starts_the_day_after():
    assert is_overdue(OpinionFacts("refer", open_referral_due=TODAY - DAY), TODAY)
    assert not is_overdue(OpinionFacts("refer", open_referral_due=TODAY), TODAY)
    assert not is_on_time_basis(OpinionFacts("refer", open_referral_due=TODAY), TODAY)  # not yet decided
    assert is_answered_on_time(OpinionFacts("refer", True, referral_answered=True, referral_on_time=True))
    assert not is_answered_on_time(OpinionFacts("refer", True, referral_answered=True, referral_on_time=False))


def test_a_sent_back_opinion_is_undecided_and_counts_in_no_on_time_figure():
    # The unit sent it back (its referral is sent_back, no longer open): route "" until routed again.
    f = OpinionFacts("", False)
    t = tally([(f, 1)], TODAY)
    assert (t.undecided, t.on_time_basis, t.answered_on_time, t.overdue_referrals) == (1, 0, 0, 0)


def test_proposals_and_out_of_remit_stay_out_of_the_on_time_rate():
    for route in ("to_proposal", "out_of_remit"):
        f = OpinionFacts(route, True)
        assert not is_on_time_basis(f, TODAY) and not is_answered_on_time(f)
    assert is_answered(OpinionFacts("to_proposal", True)) and not is_answered(OpinionFacts("out_of_remit", True))


def test_an_unrated_opinion_is_never_satisfied():
    t = tally(one(route="answer", answered=True) + one(route="answer", answered=True, rating="unsatisfied"), TODAY)
    assert (t.rated, t.satisfied, t.satisfaction_rate) == (1, 0, 0.0)


def test_an_unknown_route_counts_as_undecided_so_routes_add_up():
    t = tally(one(route="something"), TODAY)
    assert t.undecided == 1 and t.received == 1


def test_rate_and_labels():
    assert rate(0, 0) is None and rate(1, 3) == 0.3333 and rate(2, 2) == 1.0
    assert set(FIGURE_LABELS) == set(DEFINITIONS)
    assert ROUTE_FIGURES == (*ROUTES, "undecided")


facts = st.builds(
    OpinionFacts,
    route=st.sampled_from([*ROUTES, "", "odd"]),
    answered=st.booleans(),
    rating=st.sampled_from([*RATINGS, ""]),
    referral_answered=st.booleans(),
    referral_on_time=st.booleans(),
    open_referral_due=st.one_of(st.none(), st.dates(TODAY - 40 * DAY, TODAY + 40 * DAY)),
)


@given(st.lists(st.tuples(facts, st.integers(1, 5)), max_size=30))
def test_rates_lie_in_0_1_or_are_none_and_counts_add_up(items):
    t = tally(items, TODAY)
    assert t.received == sum(n for _, n in items)
    assert sum(getattr(t, r) for r in ROUTE_FIGURES) == t.received
    for value, whole in ((t.on_time_rate, t.on_time_basis), (t.satisfaction_rate, t.rated)):
        assert (value is None) == (whole == 0)
        assert value is None or 0 <= value <= 1
    assert t.answered_on_time <= t.on_time_basis <= t.received
    assert t.satisfied <= t.rated <= t.received and t.answered <= t.received
    assert t.overdue_referrals <= t.refer and t.to_proposal <= t.received
    # One pair of n is n pairs of one.
    assert tally([(f, 1) for f, n in items for _ in range(n)], TODAY) == t
