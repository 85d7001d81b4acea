"""集中评议's rules, pure (workflow/domain/meetings.py): the voting window, one score per voter, the counting."""
from __future__ import annotations

import datetime as dt

import pytest

from workflow.domain.errors import InvalidInput, NotAllowed
from workflow.domain.meetings import (
    Counts,
    check_may_add,
    check_may_close,
    check_may_open,
    check_may_remove,
    check_vote,
    clean_meeting,
    counts_by_kind,
    result_payload,
    voter_kind,
)


def test_a_score_is_taken_only_while_the_item_is_open_and_only_once():
    check_vote("open", "satisfied", already_voted=False)
    with pytest.raises(NotAllowed, match="还没有开始"):
        check_vote("waiting", "satisfied", already_voted=False)
    with pytest.raises(NotAllowed, match="已经结束"):
        check_vote("closed", "satisfied", already_voted=False)
    with pytest.raises(NotAllowed, match="评过分了"):
        check_vote("open", "unsatisfied", already_voted=True)
    with pytest.raises(InvalidInput):
        check_vote("open", "great", already_voted=False)


def test_items_open_one_at_a_time_and_close_once():
    check_may_open("waiting", [])
    with pytest.raises(NotAllowed, match="“第一项”还在评议中"):
        check_may_open("waiting", ["第一项"])
    with pytest.raises(NotAllowed):
        check_may_open("closed", [])
    check_may_close("open")
    for state in ("waiting", "closed"):
        with pytest.raises(NotAllowed):
            check_may_close(state)


def test_only_key_proposals_go_on_the_agenda_once_and_leave_before_scoring():
    check_may_add(True, False, "2025-001")
    with pytest.raises(InvalidInput, match="不是重点督办"):
        check_may_add(False, False, "2025-001")
    with pytest.raises(InvalidInput, match="已在本次会议"):
        check_may_add(True, True, "2025-001")
    with pytest.raises(InvalidInput, match="保密"):  # the room's pages show each item's title to anyone
        check_may_add(True, False, "2025-001", confidential=True)
    check_may_remove("waiting", 0)
    with pytest.raises(NotAllowed):
        check_may_remove("open", 0)


def test_a_meeting_needs_a_title_and_a_real_date():
    assert clean_meeting(" 评议会 ", "2025-11-20") == ("评议会", dt.date(2025, 11, 20))
    with pytest.raises(InvalidInput, match="会议名称"):
        clean_meeting("  ", "2025-11-20")
    with pytest.raises(InvalidInput, match="年-月-日"):
        clean_meeting("评议会", "2025-13-40")


def test_bound_deputies_count_as_deputies_and_everyone_else_as_the_public():
    assert voter_kind(True) == "deputy" and voter_kind(False) == "public"


def test_satisfaction_is_satisfied_and_basically_satisfied_over_all_scores_per_group():
    counts = counts_by_kind([("deputy", "satisfied", 3), ("deputy", "unsatisfied", 1),
                             ("public", "basically_satisfied", 2), ("public", "unsatisfied", 2)])
    assert counts["deputy"].satisfaction_rate == 0.75
    assert counts["public"].satisfaction_rate == 0.5
    assert Counts().satisfaction_rate is None  # no scores: no rate, never 100%
    assert (counts["deputy"] + counts["public"]).total == 8
    payload = result_payload("评议会", dt.date(2025, 11, 20), counts)
    assert payload["deputy_result"] == "满意 3、基本满意 0、不满意 1（共 4 票）"
    assert payload["scores"]["public"]["satisfaction_rate"] == 0.5
