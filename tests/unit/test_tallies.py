"""The tallies of DESIGN.md section 3 on a hand-computed example (pure: LeadRecords in, Stats out).

Two units, JYJ and JTJ; proposal 3 is led by both (分办). Today is 2025-06-30.

| # | lead | replies (on time?)              | reply ratings (oldest first) | impl. ratings | contacts | other            |
|---|------|---------------------------------|------------------------------|---------------|----------|------------------|
| 1 | JYJ  | A (yes)                         | 满意 (A: rated on both)       | 满意           | 面谈      | closed           |
| 2 | JYJ  | C (late), after 不满意 B (yes)   | 不满意, 基本满意               | 不满意          | 电话      |                  |
| 3 | JTJ  | D (yes)                         | 不满意 (before JYJ's)         | -             | -        | 分办: rehandling, due in the future |
| 3 | JYJ  | A (yes)                         | 满意 (after JTJ's)            | 满意           | 座谈会    | 分办             |
| 4 | JTJ  | B (yes)                         | - (not rated yet)            | -             | 微信      | due date past    |
| 5 | JTJ  | -                               | -                            | -             | -        | overdue          |
| 6 | JYJ  | -                               | -                            | -             | -        | due in the future|
| 7 | JTJ  | -                               | -                            | -             | -        | closed by staff, due date past |
| 8 | JYJ  | B (yes), second answer A        | 满意                          | 基本满意        | 实地调研  |                  |
| 9 | JTJ  | A (yes)                         | 未反馈                        | 未反馈         | 电话      | rating window closed |

By hand, overall (9 proposals, 10 lead shares):
  replied 1 2 3 4 8 9 -> 6/9; on time (every lead's first reply) 1 3 4 8 9 -> 5/9;
  solved (every lead's newest reply A or B) 1 2 4 8 9 -> 5/9 (3: JTJ's is D);
  reply rated by every lead (未反馈 not a rating) 1 2 3 8; satisfied by every lead 1 2 8 -> 3/4 (3 is not:
  JTJ's 不满意 stands though JYJ's 满意 came later); 满意 only 1 8 -> 2/4; 未反馈 9;
  first ratings 1 满 2 不 3 满+不 8 满 -> 2/4; implementation rated by every lead 1 2 8 (3: JTJ has none) ->
  1 8 satisfied, 2/3; 未反馈 9; dual 1 2 8 -> 1 8, 2/3; contact 1 2 3(JYJ) 4 8 9 -> 6/10; face to face
  1 3(JYJ) 8 -> 3/10; overdue 5.
"""
from __future__ import annotations

import datetime as dt

import pytest

from workflow.domain.definition import CONTACT_METHODS, FACE_TO_FACE_METHODS, NO_FEEDBACK
from workflow.domain.tallies import LeadRecord, Stats, tally, tally_by

TODAY = dt.date(2025, 6, 30)
PAST, FUTURE = dt.date(2025, 6, 1), dt.date(2025, 7, 31)


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2025, 5, day, hour)


def lead(pid: int, unit: str, proposal_state: str, assignment_state: str, due=PAST, contacts=(),
         replies=(), reply_ratings=(), implementation_ratings=()) -> LeadRecord:
    return LeadRecord(pid, f"2025-{pid:03d}", 2025, "教育", False, unit, proposal_state, assignment_state, due,
                      list(contacts), list(replies), list(reply_ratings), list(implementation_ratings))


def example() -> list[LeadRecord]:
    return [
        lead(1, "JYJ", "closed", "done", contacts=["面谈"], replies=[(at(1), "A", True)],
             reply_ratings=[(at(5), "satisfied")], implementation_ratings=[(at(5), "satisfied")]),
        lead(2, "JYJ", "implementing", "implementing", contacts=["电话"],
             replies=[(at(2), "C", False), (at(20), "B", True)],
             reply_ratings=[(at(6), "unsatisfied"), (at(22), "basically_satisfied")],
             implementation_ratings=[(at(28), "unsatisfied")]),
        lead(3, "JTJ", "rehandling", "rehandling", due=FUTURE, replies=[(at(4), "D", True)],
             reply_ratings=[(at(7), "unsatisfied")]),
        lead(3, "JYJ", "rehandling", "replied", contacts=["座谈会"], replies=[(at(3), "A", True)],
             reply_ratings=[(at(8), "satisfied")], implementation_ratings=[(at(8), "satisfied")]),
        lead(4, "JTJ", "replied", "replied", contacts=["微信"], replies=[(at(9), "B", True)]),
        lead(5, "JTJ", "handling", "signed"),
        lead(6, "JYJ", "assigned", "pending", due=FUTURE),
        lead(7, "JTJ", "closed", "done"),
        lead(8, "JYJ", "implementing", "implementing", contacts=["电话", "实地调研"],
             replies=[(at(10), "B", True), (at(25), "A", True)],
             reply_ratings=[(at(12), "satisfied")], implementation_ratings=[(at(27), "basically_satisfied")]),
        lead(9, "JTJ", "closed", "done", contacts=["电话"], replies=[(at(11), "A", True)],
             reply_ratings=[(at(29), NO_FEEDBACK)], implementation_ratings=[(at(29), NO_FEEDBACK)]),
    ]


def expected_overall() -> Stats:
    return Stats(
        assigned=9, replied=6, replied_on_time=5, reply_rate=round(6 / 9, 4), on_time_reply_rate=round(5 / 9, 4),
        reply_evaluated=4, reply_satisfied=3, reply_satisfaction_rate=0.75, satisfied_only=2, satisfied_only_rate=0.5,
        first_reply_evaluated=4, first_reply_satisfied=2, first_reply_satisfaction_rate=0.5, reply_no_feedback=1,
        implementation_evaluated=3, implementation_satisfied=2, implementation_satisfaction_rate=round(2 / 3, 4),
        implementation_no_feedback=1, dual_evaluated=3, dual_satisfied=2, dual_satisfaction_rate=round(2 / 3, 4),
        solved=5, solved_rate=round(5 / 9, 4), lead_assignments=10, contacted=6, contact_rate=0.6,
        face_to_face=3, face_to_face_rate=0.3, overdue=1,
    )


def test_overall_tally_matches_the_hand_computed_example():
    assert tally(example(), TODAY) == expected_overall()


def test_per_unit_tally_counts_a_multi_lead_proposal_for_each_unit_with_that_units_own_answer():
    groups = tally_by(example(), "unit", TODAY)
    assert list(groups) == ["JTJ", "JYJ"]
    assert groups["JYJ"] == Stats(
        assigned=5, replied=4, replied_on_time=3, reply_rate=0.8, on_time_reply_rate=0.6,
        reply_evaluated=4, reply_satisfied=4, reply_satisfaction_rate=1.0, satisfied_only=3, satisfied_only_rate=0.75,
        first_reply_evaluated=4, first_reply_satisfied=3, first_reply_satisfaction_rate=0.75, reply_no_feedback=0,
        implementation_evaluated=4, implementation_satisfied=3, implementation_satisfaction_rate=0.75,
        implementation_no_feedback=0, dual_evaluated=4, dual_satisfied=3, dual_satisfaction_rate=0.75,
        solved=4, solved_rate=0.8, lead_assignments=5, contacted=4, contact_rate=0.8, face_to_face=3,
        face_to_face_rate=0.6, overdue=0,
    )
    assert groups["JTJ"] == Stats(
        assigned=5, replied=3, replied_on_time=3, reply_rate=0.6, on_time_reply_rate=0.6,
        reply_evaluated=1, reply_satisfied=0, reply_satisfaction_rate=0.0, satisfied_only=0, satisfied_only_rate=0.0,
        first_reply_evaluated=1, first_reply_satisfied=0, first_reply_satisfaction_rate=0.0, reply_no_feedback=1,
        implementation_evaluated=0, implementation_satisfied=0, implementation_satisfaction_rate=None,
        implementation_no_feedback=1, dual_evaluated=0, dual_satisfied=0, dual_satisfaction_rate=None,
        solved=2, solved_rate=0.4, lead_assignments=5, contacted=2, contact_rate=0.4, face_to_face=0,
        face_to_face_rate=0.0, overdue=1,
    )


def test_a_multi_lead_proposal_is_satisfied_only_when_every_lead_units_current_rating_is():
    # unit 1 rated 不满意, unit 2 then 满意: the newest rating of any unit does not speak for the proposal
    records = [lead(1, "JTJ", "rehandling", "rehandling", replies=[(at(1), "A", True)],
                    reply_ratings=[(at(2), "unsatisfied")]),
               lead(1, "JYJ", "rehandling", "replied", replies=[(at(1), "A", True)],
                    reply_ratings=[(at(3), "satisfied")])]
    stats = tally(records, TODAY)
    assert (stats.reply_evaluated, stats.reply_satisfied, stats.reply_satisfaction_rate) == (1, 0, 0.0)
    records[0].reply_ratings.append((at(20), "basically_satisfied"))  # re-handled and rated again
    stats = tally(records, TODAY)
    assert (stats.reply_satisfied, stats.satisfied_only, stats.first_reply_satisfied) == (1, 0, 0)


def test_a_multi_lead_proposal_is_rated_only_once_every_lead_unit_is_rated():
    records = [lead(1, "JYJ", "replied", "replied", replies=[(at(1), "A", True)],
                    reply_ratings=[(at(2), "satisfied")]),
               lead(1, "JTJ", "replied", "replied", replies=[(at(1), "B", True)])]
    stats = tally(records, TODAY)
    assert (stats.reply_evaluated, stats.reply_satisfied, stats.reply_no_feedback) == (0, 0, 0)
    assert stats.reply_satisfaction_rate is None
    records[1].reply_ratings.append((at(29), NO_FEEDBACK))  # the window closed on JTJ's reply
    stats = tally(records, TODAY)
    assert (stats.reply_evaluated, stats.reply_no_feedback, stats.reply_satisfaction_rate) == (0, 1, None)


def test_a_multi_lead_proposal_counts_once_overall_and_is_replied_only_when_every_lead_unit_replied():
    records = example()
    for record in records[2:4]:  # proposal 3 is back in handling: JTJ has not answered yet
        record.proposal_state = "handling"
    records[2].assignment_state, records[2].replies, records[2].reply_ratings = "signed", [], []
    records[2].reply_due = PAST
    stats = tally(records, TODAY)
    assert (stats.assigned, stats.lead_assignments) == (9, 10)
    assert stats.replied == 5  # proposals 1, 2, 4, 8 and 9
    assert stats.overdue == 2  # proposal 5, and JTJ's share of proposal 3


def test_no_feedback_is_counted_apart_and_in_no_rate_never_as_satisfied():
    records = [
        lead(1, "JYJ", "closed", "done", replies=[(at(1), "A", True)], reply_ratings=[(at(2), NO_FEEDBACK)],
             implementation_ratings=[(at(2), NO_FEEDBACK)]),
        lead(2, "JYJ", "replied", "replied", replies=[(at(1), "A", True)], reply_ratings=[(at(2), "unsatisfied")]),
        lead(3, "JYJ", "replied", "replied", replies=[(at(1), "B", True)]),
    ]
    stats = tally(records, TODAY)
    assert (stats.reply_evaluated, stats.reply_satisfied, stats.reply_satisfaction_rate) == (1, 0, 0.0)
    assert (stats.reply_no_feedback, stats.implementation_no_feedback) == (1, 1)
    assert stats.implementation_satisfaction_rate is None and stats.dual_satisfaction_rate is None


def test_the_first_reply_rating_is_the_oldest_one_given_not_a_no_feedback():
    record = lead(1, "JYJ", "closed", "done", replies=[(at(1), "C", True), (at(10), "A", True)],
                  reply_ratings=[(at(2), NO_FEEDBACK), (at(5), "satisfied"), (at(12), "unsatisfied")])
    stats = tally([record], TODAY)
    assert (stats.first_reply_evaluated, stats.first_reply_satisfied) == (1, 1)
    assert (stats.reply_evaluated, stats.reply_satisfied, stats.reply_no_feedback) == (1, 0, 0)


def test_satisfied_only_counts_manyi_and_the_rate_with_basic_counts_both():
    records = [lead(1, "JYJ", "closed", "done", replies=[(at(1), "A", True)], reply_ratings=[(at(2), "satisfied")]),
               lead(2, "JYJ", "closed", "done", replies=[(at(1), "A", True)],
                    reply_ratings=[(at(2), "basically_satisfied")])]
    stats = tally(records, TODAY)
    assert (stats.satisfied_only_rate, stats.reply_satisfaction_rate) == (0.5, 1.0)


def test_nothing_rated_gives_no_rate_rather_than_zero_or_one():
    stats = tally([lead(1, "JYJ", "assigned", "pending", due=FUTURE)], TODAY)
    assert stats.assigned == 1 and stats.reply_rate == 0.0 and stats.solved_rate == 0.0
    assert stats.reply_satisfaction_rate is None and stats.first_reply_satisfaction_rate is None
    assert tally([], TODAY) == Stats()


def test_the_latest_evaluation_counts_by_time_not_by_list_order():
    record = lead(1, "JYJ", "implementing", "implementing", replies=[(at(1), "B", True)],
                  reply_ratings=[(at(20), "satisfied"), (at(3), "unsatisfied")])
    assert tally([record], TODAY).reply_satisfied == 1
    record.reply_ratings = [(at(3), "satisfied"), (at(20), "unsatisfied")]
    assert tally([record], TODAY).reply_satisfied == 0


def test_reply_rate_counts_late_replies_and_the_on_time_rate_judges_every_lead_units_first_reply():
    late_first = lead(1, "JYJ", "replied", "replied", replies=[(at(1), "C", False), (at(9), "A", True)])
    stats = tally([late_first], TODAY)
    assert (stats.replied, stats.replied_on_time, stats.reply_rate, stats.on_time_reply_rate) == (1, 0, 1.0, 0.0)
    one_late = [lead(2, "JYJ", "replied", "replied", replies=[(at(1), "A", True)]),
                lead(2, "JTJ", "replied", "replied", replies=[(at(2), "A", False)])]
    stats = tally(one_late, TODAY)
    assert (stats.replied, stats.replied_on_time, stats.reply_rate, stats.on_time_reply_rate) == (1, 0, 1.0, 0.0)


def test_solved_is_every_lead_units_newest_reply_in_a_or_b_over_assigned():
    second_answer = lead(1, "JYJ", "implementing", "implementing", replies=[(at(1), "C", True), (at(20), "A", True)])
    never = lead(2, "JYJ", "handling", "signed", due=FUTURE)
    stats = tally([second_answer, never], TODAY)
    assert (stats.solved, stats.solved_rate) == (1, 0.5)  # the denominator is assigned, not replied
    split = [lead(3, "JYJ", "replied", "replied", replies=[(at(1), "A", True)]),
             lead(3, "JTJ", "replied", "replied", replies=[(at(1), "B", True), (at(9), "D", True)])]
    assert tally(split, TODAY).solved == 0


@pytest.mark.parametrize("assignment_state, proposal_state, due, overdue", [
    ("signed", "handling", PAST, 1),
    ("pending", "assigned", PAST, 1),
    ("adjustment_requested", "assigned", PAST, 1),
    ("rehandling", "rehandling", PAST, 1),
    ("signed", "handling", TODAY, 0),  # due today is not yet overdue
    ("signed", "handling", FUTURE, 0),
    ("signed", "handling", None, 0),
    ("replied", "replied", PAST, 0),
    ("implementing", "implementing", PAST, 0),
    ("done", "closed", PAST, 0),
])
def test_overdue_counts_open_assignments_past_their_due_date(assignment_state, proposal_state, due, overdue):
    assert tally([lead(1, "JYJ", proposal_state, assignment_state, due=due)], TODAY).overdue == overdue


def test_contact_rate_counts_any_contact_and_face_to_face_rate_only_the_face_to_face_methods():
    records = [lead(1, "JYJ", "handling", "signed", contacts=["电话", "微信"]), lead(1, "JTJ", "handling", "signed"),
               lead(2, "JYJ", "handling", "signed", contacts=["书面", "面谈"])]
    stats = tally(records, TODAY)
    assert (stats.lead_assignments, stats.contacted, stats.contact_rate) == (3, 2, round(2 / 3, 4))
    assert (stats.face_to_face, stats.face_to_face_rate) == (1, round(1 / 3, 4))


def test_face_to_face_methods_are_some_of_the_contact_methods():
    assert FACE_TO_FACE_METHODS < set(CONTACT_METHODS)
    assert {"电话", "微信", "书面"} <= set(CONTACT_METHODS) - FACE_TO_FACE_METHODS


def test_tally_by_other_keys_groups_by_their_text():
    records = example()
    records[0].category, records[0].key = "城建", True
    by_category = tally_by(records, "category", TODAY)
    assert {name: s.assigned for name, s in by_category.items()} == {"城建": 1, "教育": 8}
    by_key = tally_by(records, "key", TODAY)
    assert {name: s.assigned for name, s in by_key.items()} == {"False": 8, "True": 1}
    assert tally_by(records, "year", TODAY)["2025"] == expected_overall()
