"""Which session a day belongs to, how official numbers and titles read, what a session may be (pure)."""
from __future__ import annotations

import datetime as dt

import pytest

from workflow.domain.errors import InvalidInput
from workflow.domain.sessions import Span, check_span, chinese_number, official_number, place_of, reference, reply_title

D = dt.date
FIFTH = Span(1, 18, 5, D(2026, 1, 10), D(2026, 1, 13))
SIXTH = Span(2, 18, 6, D(2026, 12, 28), D(2027, 1, 2))


def test_a_day_while_a_session_sits_makes_a_session_proposal_of_it():
    assert place_of(D(2026, 1, 10), [FIFTH, SIXTH]) == (FIFTH, "session")
    assert place_of(D(2026, 1, 13), [FIFTH, SIXTH]) == (FIFTH, "session")


def test_a_day_between_sessions_makes_an_interim_proposal_of_the_session_that_closed():
    assert place_of(D(2026, 1, 14), [SIXTH, FIFTH]) == (FIFTH, "interim")
    assert place_of(D(2026, 12, 27), [FIFTH, SIXTH]) == (FIFTH, "interim")
    assert place_of(D(2027, 3, 1), [FIFTH, SIXTH]) == (SIXTH, "interim")


def test_a_session_across_new_year_is_one_session_on_both_sides_of_it():
    assert place_of(D(2026, 12, 31), [FIFTH, SIXTH]) == (SIXTH, "session")
    assert place_of(D(2027, 1, 2), [FIFTH, SIXTH]) == (SIXTH, "session")


def test_a_day_before_every_session_belongs_to_none():
    assert place_of(D(2025, 12, 1), [FIFTH, SIXTH]) is None
    assert place_of(D(2025, 12, 1), []) is None


@pytest.mark.parametrize("n, text", [(1, "一"), (5, "五"), (10, "十"), (18, "十八"), (20, "二十"), (21, "二十一"), (99, "九十九")])
def test_terms_and_numbers_are_written_in_chinese_numerals(n, text):
    assert chinese_number(n) == text


def test_official_numbers_and_the_letter_title_read_as_the_committee_writes_them():
    assert official_number("第{n}号", 24) == "第24号"
    assert official_number("十八届五次第{n}号", 3) == "十八届五次第3号"
    ref = reference("县", 18, 5, "第24号", "2026-024")
    assert ref == "县十八届人大五次会议第24号建议"
    assert reply_title(ref) == "关于县十八届人大五次会议第24号建议的答复"
    assert reference("县", None, None, "", "2026-024") == "第2026-024号建议"


def test_a_session_that_overlaps_another_or_repeats_its_number_is_refused():
    with pytest.raises(InvalidInput) as overlap:
        check_span(18, 7, D(2027, 1, 1), D(2027, 1, 5), [SIXTH])
    assert overlap.value.details["field"] == "opens_on" and "重叠" in overlap.value.message
    with pytest.raises(InvalidInput) as twice:
        check_span(18, 6, D(2028, 1, 1), D(2028, 1, 5), [SIXTH])
    assert twice.value.details["field"] == "number"
    with pytest.raises(InvalidInput) as backwards:
        check_span(18, 7, D(2028, 1, 5), D(2028, 1, 1), [SIXTH])
    assert backwards.value.details["field"] == "closes_on"
    check_span(18, 7, D(2028, 1, 5), D(2028, 1, 8), [FIFTH, SIXTH])  # a sound one passes
