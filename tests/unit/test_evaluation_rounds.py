"""测评 rounds' rules, pure (workflow/domain/evaluation_rounds.py): what a round takes, how it counts."""
from __future__ import annotations

import pytest

from workflow.domain.ballots import check_ballot_kind
from workflow.domain.errors import InvalidInput, NotAllowed
from workflow.domain.evaluation_rounds import (
    Tally,
    already_recorded,
    check_may_add_project,
    check_person_unvoted,
    clean_round_kind,
    record_counts,
    tallies_by_kind,
    vote_kind,
)
from workflow.domain.meetings import check_vote
from workflow.domain.projects import EVALUATION_CHOICES


def test_a_meeting_is_a_meeting_or_a_round_of_one_of_two_kinds():
    assert [clean_round_kind(k) for k in ("", "mid_year", " year_end ")] == ["", "mid_year", "year_end"]
    with pytest.raises(InvalidInput, match="会议类型"):
        clean_round_kind("weekly")


def test_only_projects_being_carried_out_or_done_go_on_a_round_once():
    check_may_add_project("implementing", False, "MS2026-01")
    check_may_add_project("completed", False, "MS2026-01")
    for state in ("solicited", "candidate", "voted_in", "evaluated", "withdrawn"):
        with pytest.raises(InvalidInput, match="只有实施中或已完成"):
            check_may_add_project(state, False, "MS2026-01")
    with pytest.raises(InvalidInput, match="已在本次测评"):
        check_may_add_project("completed", True, "MS2026-01")


def test_member_codes_are_a_rounds_only_and_score_as_members():
    assert check_ballot_kind(None, "") == "public" and check_ballot_kind("member", "year_end") == "member"
    with pytest.raises(InvalidInput, match="只用于民生实事项目测评"):
        check_ballot_kind("member", "")
    with pytest.raises(InvalidInput):
        check_ballot_kind("deputy", "year_end")
    assert (vote_kind("member"), vote_kind("public")) == ("member", "public")
    with pytest.raises(NotAllowed, match="同一人每项只能评一次"):
        check_person_unvoted(True)


def test_abstain_is_a_choice_of_a_round_only():
    check_vote("open", "abstain", False, EVALUATION_CHOICES)
    with pytest.raises(InvalidInput, match="满意、基本满意 或 不满意"):
        check_vote("open", "abstain", False)
    with pytest.raises(InvalidInput, match="不满意 或 弃权"):
        check_vote("open", "great", False, EVALUATION_CHOICES)


def test_counting_keeps_kinds_apart_and_leaves_abstain_out_of_the_rates():
    tallies = tallies_by_kind([("deputy", "satisfied", 3), ("member", "abstain", 2), ("member", "unsatisfied", 1),
                               ("public", "basically_satisfied", 1), ("openid", "satisfied", 9), ("public", "great", 4)])
    assert tallies["deputy"] == Tally(satisfied=3) and tallies["member"] == Tally(unsatisfied=1, abstain=2)
    member = tallies["member"].as_dict()
    assert member["votes"] == 3 and member["satisfaction_rate"] == 0.0
    assert tallies["public"].summary() == "满意 0、基本满意 1、不满意 0、弃权 0（共 1 票）"
    counts = record_counts(tallies)
    assert counts["member"] == {"satisfied": 0, "basically_satisfied": 0, "unsatisfied": 1, "abstain": 2}
    assert already_recorded({"7": {"round": "year_end", **counts}}, 7, counts)
    assert not already_recorded({"7": {"round": "year_end", **counts}}, 8, counts)
    assert not already_recorded({}, 7, counts)
