"""The projection's 并案办理: a proposal's own combine/uncombine events say whether it is in a group and
which proposal leads it; `proposals.group_id` and its group's lead are compared with that, by lead number."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Optional

from workflow.domain import projection

LEAD, MEMBER, OTHER = "2026-004", "2026-005", "2026-009"


def _event(seq: int, action: str, **payload) -> SimpleNamespace:
    return SimpleNamespace(seq=seq, action=action, payload=payload, from_state="accepted", to_state="accepted",
                           actor_id="staff1", on_behalf_id=None, on_behalf_kind=None, assignment_id=None)


def _chain(number: str, *group_events: tuple[str, dict]) -> list[SimpleNamespace]:
    head = [_event(1, "create", title="关于维修城关中学校舍的建议"), _event(2, "submit", number=number),
            _event(3, "accept", category="教育")]
    return head + [_event(4 + i, action, **payload) for i, (action, payload) in enumerate(group_events)]


def _row(number: str, group_id: Optional[int], group_lead: Optional[str], group_row: Optional[int] = -1):
    return SimpleNamespace(number=number, lead_number=None, content="", group_id=group_id,
                           group_row=group_id if group_row == -1 else group_row, group_lead=group_lead)


def _group_problems(chain: list, row) -> list[str]:
    expected = projection.fold(chain, [], [], check_assignments=False)
    return [p for p in projection.compare(expected, row, [], [], None) if "并案" in p]


def test_the_lead_and_a_member_in_the_group_their_events_name_agree():
    lead = _chain(LEAD, ("combine", {"members": [MEMBER], "group": 7}))
    member = _chain(MEMBER, ("combine", {"lead": LEAD, "group": 7}))
    assert projection.fold(lead, [], [], False).group == {"lead": LEAD, "group": 7}
    assert _group_problems(lead, _row(LEAD, 7, LEAD)) == []
    assert _group_problems(member, _row(MEMBER, 7, LEAD)) == []


def test_a_member_taken_out_is_alone_and_the_lead_leads_until_its_group_is_emptied():
    member = _chain(MEMBER, ("combine", {"lead": LEAD, "group": 7}), ("uncombine", {"lead": LEAD, "group": 7}))
    assert _group_problems(member, _row(MEMBER, None, None)) == []
    still = _chain(LEAD, ("combine", {"members": [MEMBER, OTHER], "group": 7}),
                   ("uncombine", {"member": MEMBER, "group": 7, "emptied": False}))
    assert _group_problems(still, _row(LEAD, 7, LEAD)) == []
    emptied = still + [_event(6, "uncombine", member=OTHER, group=7, emptied=True)]
    assert _group_problems(emptied, _row(LEAD, None, None)) == []


def test_a_member_whose_group_id_was_cleared_is_named_with_the_lead_its_events_say():
    member = _chain(MEMBER, ("combine", {"lead": LEAD, "group": 7}))
    assert _group_problems(member, _row(MEMBER, None, None)) == [
        f"建议的“并案办理”是“单独办理（不在并案中）”，事件记录为“在建议 {LEAD} 牵头的并案中”：建议记录被改动。"]


def test_a_proposal_in_a_group_without_a_combine_event_is_named():
    assert _group_problems(_chain(OTHER), _row(OTHER, 7, LEAD)) == [
        f"建议的“并案办理”是“在建议 {LEAD} 牵头的并案中”，事件记录为“单独办理（不在并案中）”：建议记录被改动。"]


def test_a_member_moved_to_another_group_is_told_from_a_group_row_given_another_lead():
    member = _chain(MEMBER, ("combine", {"lead": LEAD, "group": 7}))
    moved = _group_problems(member, _row(MEMBER, 8, OTHER))
    assert len(moved) == 1 and f"是“在建议 {OTHER} 牵头的并案中”" in moved[0] and moved[0].endswith("建议记录被改动。")
    releaded = _group_problems(member, _row(MEMBER, 7, OTHER))
    assert len(releaded) == 1 and releaded[0].endswith("并案记录（handling_groups）被改动。")


def test_a_group_row_that_is_gone_or_a_group_id_that_differs_with_the_same_lead_is_named():
    member = _chain(MEMBER, ("combine", {"lead": LEAD, "group": 7}))
    gone = _group_problems(member, _row(MEMBER, 7, None, group_row=None))
    assert len(gone) == 1 and "“并案 #7”（并案记录不存在）" in gone[0]
    other_id = _group_problems(member, _row(MEMBER, 8, LEAD))
    assert other_id == [f"建议所在并案的编号是 #8，事件记录为 #7（同由建议 {LEAD} 牵头）：建议记录或并案记录被改动。"]
