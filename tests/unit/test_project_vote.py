"""The vote on livelihood projects (票决) follows the configured rule; a tie for the last seat elects none of
the tied (a further vote decides); impossible counts are refused in Chinese."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workflow.domain.projects import CandidateTally, VoteCount, check_count, decide


def _count(rule, tallies, total=200, present=180, cast=178, seats=2, mode="approval"):
    return VoteCount(rule, mode, total, present, cast, seats, tuple(tallies))


def test_majority_of_all_needs_more_than_half_of_every_deputy_not_of_those_present():
    outcome = decide(_count("majority_of_all", [CandidateTally(1, 101, 60, 17), CandidateTally(2, 100, 70, 8)]))
    assert outcome.threshold == 101 and outcome.elected == (1,) and outcome.rejected == (2,) and outcome.tied == ()


def test_top_n_takes_the_most_votes_and_a_tie_for_the_last_seat_elects_neither():
    tallies = [CandidateTally(1, 150), CandidateTally(2, 120), CandidateTally(3, 120), CandidateTally(4, 90)]
    outcome = decide(_count("top_n", tallies, seats=2))
    assert outcome.elected == (1,) and set(outcome.tied) == {2, 3} and outcome.rejected == (4,)
    clear = decide(_count("top_n", tallies, seats=3))
    assert set(clear.elected) == {1, 2, 3} and clear.tied == () and clear.rejected == (4,)


def test_majority_top_n_drops_those_below_the_majority_before_ranking():
    tallies = [CandidateTally(1, 150), CandidateTally(2, 99), CandidateTally(3, 130)]
    outcome = decide(_count("majority_top_n", tallies, seats=3))
    assert outcome.elected == (1, 3) and outcome.rejected == (2,)


def test_ranking_mode_ranks_by_points():
    tallies = [CandidateTally(1, points=300), CandidateTally(2, points=520), CandidateTally(3, points=410)]
    outcome = decide(_count("top_n", tallies, seats=2, mode="ranking"))
    assert outcome.elected == (2, 3) and outcome.ranking == (2, 3, 1)


def test_impossible_counts_are_refused_in_chinese():
    assert "人数不对" in check_count(_count("top_n", [CandidateTally(1, 5)], present=10, cast=11, seats=1))
    assert "超过收回的选票数" in check_count(_count("top_n", [CandidateTally(1, 100, 60, 30)], cast=178, seats=1))
    assert "只能录入一次" in check_count(_count("top_n", [CandidateTally(1, 5), CandidateTally(1, 6)], seats=1))
    assert "应选项目数" in check_count(_count("top_n", [CandidateTally(1, 5)], seats=2))
    assert "表决规则" in check_count(_count("lottery", [CandidateTally(1, 5)]))
    assert check_count(_count("top_n", [CandidateTally(1, 100, 60, 18)], seats=1)) == ""


@given(st.lists(st.integers(0, 178), min_size=1, max_size=12), st.integers(1, 12),
       st.sampled_from(["majority_of_all", "top_n", "majority_top_n"]))
def test_every_candidate_is_elected_rejected_or_tied_exactly_once_and_never_more_than_the_seats(votes, seats, rule):
    tallies = [CandidateTally(i + 1, v) for i, v in enumerate(votes)]
    seats = min(seats, len(tallies))
    outcome = decide(_count(rule, tallies, seats=seats))
    everyone = list(outcome.elected) + list(outcome.rejected) + list(outcome.tied)
    assert sorted(everyone) == [t.project for t in tallies]
    if rule != "majority_of_all":
        assert len(outcome.elected) <= seats
        eligible = [t for t in tallies if outcome.threshold is None or t.votes_for >= outcome.threshold]
        assert len(outcome.elected) + len(outcome.tied) >= min(seats, len(eligible))
    if outcome.threshold is not None:
        assert all(t.votes_for >= outcome.threshold for t in tallies if t.project in outcome.elected)
