"""The tallies of DESIGN.md section 3 on a hand-computed example (pure: LeadRecords in, Stats out).

Two units, JYJ and JTJ; proposal 3 is led by both (分办). Today is 2025-06-30.

| # | lead | replies (on time?)              | reply ratings (latest last) | impl. ratings | contact | other            |
|---|------|---------------------------------|-----------------------------|---------------|---------|------------------|
| 1 | JYJ  | A (yes)                         | 满意                         | 满意           | yes     | closed           |
| 2 | JYJ  | C (late), after 不满意 B (yes)   | 不满意, 基本满意              | 不满意          | yes     |                  |
| 3 | JYJ  | A (yes)                         | 满意                         | 满意           | yes     | 分办             |
| 3 | JTJ  | D (yes), later than JYJ's       | 不满意 (later than JYJ's)    | -             | no      | 分办             |
| 4 | JTJ  | B (yes)                         | - (not rated)               | -             | yes     | due date past    |
| 5 | JTJ  | -                               | -                           | -             | no      | overdue          |
| 6 | JYJ  | -                               | -                           | -             | no      | due in the future|
| 7 | JTJ  | -                               | -                           | -             | no      | closed by staff, due date past |
"""
from __future__ import annotations

import datetime as dt

import pytest

from workflow.domain.tallies import LeadRecord, Stats, tally, tally_by

TODAY = dt.date(2025, 6, 30)
PAST, FUTURE = dt.date(2025, 6, 1), dt.date(2025, 7, 31)


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2025, 5, day, hour)


def lead(pid: int, unit: str, proposal_state: str, assignment_state: str, due=PAST, contact=False,
         replies=(), reply_ratings=(), implementation_ratings=()) -> LeadRecord:
    return LeadRecord(pid, f"2025-{pid:03d}", 2025, "教育", False, unit, proposal_state, assignment_state, due,
                      contact, list(replies), list(reply_ratings), list(implementation_ratings))


def example() -> list[LeadRecord]:
    return [
        lead(1, "JYJ", "closed", "done", contact=True, replies=[(at(1), "A", True)],
             reply_ratings=[(at(5), "satisfied")], implementation_ratings=[(at(5), "satisfied")]),
        lead(2, "JYJ", "implementing", "implementing", contact=True,
             replies=[(at(2), "C", False), (at(20), "B", True)],
             reply_ratings=[(at(6), "unsatisfied"), (at(22), "basically_satisfied")],
             implementation_ratings=[(at(28), "unsatisfied")]),
        lead(3, "JYJ", "replied", "replied", contact=True, replies=[(at(3), "A", True)],
             reply_ratings=[(at(7), "satisfied")], implementation_ratings=[(at(7), "satisfied")]),
        lead(3, "JTJ", "replied", "replied", contact=False, replies=[(at(4), "D", True)],
             reply_ratings=[(at(8), "unsatisfied")]),
        lead(4, "JTJ", "replied", "replied", contact=True, replies=[(at(9), "B", True)]),
        lead(5, "JTJ", "handling", "signed"),
        lead(6, "JYJ", "assigned", "pending", due=FUTURE),
        lead(7, "JTJ", "closed", "done"),
    ]


def expected_overall() -> Stats:
    return Stats(
        assigned=7, replied=4, replied_on_time=3, reply_rate=round(3 / 7, 4),
        reply_evaluated=3, reply_satisfied=2, reply_satisfaction_rate=round(2 / 3, 4),
        implementation_evaluated=3, implementation_satisfied=2, implementation_satisfaction_rate=round(2 / 3, 4),
        dual_evaluated=3, dual_satisfied=1, dual_satisfaction_rate=round(1 / 3, 4),
        solved=3, solved_rate=0.75, lead_assignments=8, contacted=4, contact_rate=0.5, overdue=1,
    )


def test_overall_tally_matches_the_hand_computed_example():
    assert tally(example(), TODAY) == expected_overall()


def test_per_unit_tally_counts_a_multi_lead_proposal_for_each_unit_with_that_units_own_answer():
    groups = tally_by(example(), "unit", TODAY)
    assert list(groups) == ["JTJ", "JYJ"]
    assert groups["JYJ"] == Stats(
        assigned=4, replied=3, replied_on_time=2, reply_rate=0.5,
        reply_evaluated=3, reply_satisfied=3, reply_satisfaction_rate=1.0,
        implementation_evaluated=3, implementation_satisfied=2, implementation_satisfaction_rate=round(2 / 3, 4),
        dual_evaluated=3, dual_satisfied=2, dual_satisfaction_rate=round(2 / 3, 4),
        solved=3, solved_rate=1.0, lead_assignments=4, contacted=3, contact_rate=0.75, overdue=0,
    )
    assert groups["JTJ"] == Stats(
        assigned=4, replied=2, replied_on_time=2, reply_rate=0.5,
        reply_evaluated=1, reply_satisfied=0, reply_satisfaction_rate=0.0,
        implementation_evaluated=0, implementation_satisfied=0, implementation_satisfaction_rate=None,
        dual_evaluated=0, dual_satisfied=0, dual_satisfaction_rate=None,
        solved=1, solved_rate=0.5, lead_assignments=4, contacted=1, contact_rate=0.25, overdue=1,
    )


def test_a_multi_lead_proposal_counts_once_overall_and_is_replied_only_when_every_lead_unit_replied():
    records = example()
    for record in records[2:4]:  # proposal 3 is back in handling: JTJ has not answered yet
        record.proposal_state = "handling"
    records[3].assignment_state, records[3].replies, records[3].reply_ratings = "signed", [], []
    stats = tally(records, TODAY)
    assert (stats.assigned, stats.lead_assignments) == (7, 8)
    assert stats.replied == 3  # proposals 1, 2 and 4
    assert stats.overdue == 2  # proposal 5, and JTJ's share of proposal 3


def test_an_unrated_reply_is_left_out_of_the_satisfaction_rates_never_counted_as_satisfied():
    records = [
        lead(1, "JYJ", "replied", "replied", replies=[(at(1), "A", True)], reply_ratings=[(at(2), "unsatisfied")]),
        lead(2, "JYJ", "replied", "replied", replies=[(at(1), "A", True)]),
        lead(3, "JYJ", "replied", "replied", replies=[(at(1), "B", True)]),
    ]
    stats = tally(records, TODAY)
    assert (stats.reply_evaluated, stats.reply_satisfied, stats.reply_satisfaction_rate) == (1, 0, 0.0)
    assert stats.implementation_satisfaction_rate is None and stats.dual_satisfaction_rate is None


def test_nothing_rated_gives_no_rate_rather_than_zero_or_one():
    stats = tally([lead(1, "JYJ", "assigned", "pending", due=FUTURE)], TODAY)
    assert stats.assigned == 1 and stats.reply_rate == 0.0
    assert stats.reply_satisfaction_rate is None and stats.solved_rate is None
    assert tally([], TODAY) == Stats()


def test_the_latest_evaluation_counts_by_time_not_by_list_order():
    record = lead(1, "JYJ", "implementing", "implementing", replies=[(at(1), "B", True)],
                  reply_ratings=[(at(20), "satisfied"), (at(3), "unsatisfied")])
    assert tally([record], TODAY).reply_satisfied == 1
    record.reply_ratings = [(at(3), "satisfied"), (at(20), "unsatisfied")]
    assert tally([record], TODAY).reply_satisfied == 0


def test_on_time_is_judged_by_the_first_reply_of_every_lead_unit():
    late_first = lead(1, "JYJ", "replied", "replied", replies=[(at(1), "C", False), (at(9), "A", True)])
    assert tally([late_first], TODAY).replied_on_time == 0
    one_late = [lead(2, "JYJ", "replied", "replied", replies=[(at(1), "A", True)]),
                lead(2, "JTJ", "replied", "replied", replies=[(at(2), "A", False)])]
    stats = tally(one_late, TODAY)
    assert (stats.replied, stats.replied_on_time, stats.reply_rate) == (1, 0, 0.0)


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


def test_contact_rate_is_lead_assignments_with_a_contact_over_lead_assignments():
    records = [lead(1, "JYJ", "handling", "signed", contact=True), lead(1, "JTJ", "handling", "signed"),
               lead(2, "JYJ", "handling", "signed", contact=True)]
    stats = tally(records, TODAY)
    assert (stats.lead_assignments, stats.contacted, stats.contact_rate) == (3, 2, round(2 / 3, 4))


def test_tally_by_other_keys_groups_by_their_text():
    records = example()
    records[0].category, records[0].key = "城建", True
    by_category = tally_by(records, "category", TODAY)
    assert {name: s.assigned for name, s in by_category.items()} == {"城建": 1, "教育": 6}
    by_key = tally_by(records, "key", TODAY)
    assert {name: s.assigned for name, s in by_key.items()} == {"False": 6, "True": 1}
    assert tally_by(records, "year", TODAY)["2025"] == expected_overall()
