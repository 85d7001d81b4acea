"""The public's ballot codes and the open mode's limit, pure (workflow/domain/ballots.py)."""
from __future__ import annotations

import pytest

from workflow.domain.ballots import (
    ALPHABET,
    CODE_LENGTH,
    TooManyVotes,
    address_bucket,
    address_key,
    check_ballot,
    check_ballot_unused,
    check_count,
    check_open_mode,
    check_open_quota,
    clean_public_mode,
    code_from_bytes,
    code_key,
    format_code,
    parse_serials,
    read_code,
    vote_mode,
)
from workflow.domain.errors import Forbidden, InvalidInput, NotAllowed
from workflow.domain.meetings import Voter


def test_a_code_is_twelve_unambiguous_symbols_read_back_however_it_is_typed():
    code = code_from_bytes(bytes(range(8)))
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) and not set("01OI") & set(ALPHABET)
    assert code_from_bytes(b"\xff" * 8) != code_from_bytes(b"\x00" * 8)
    shown = format_code(code)
    assert shown.count("-") == 2 and read_code(shown) == code and read_code(f" {shown.lower()} ") == code
    assert read_code(" ".join(shown.split("-"))) == code
    for junk in (None, "", "X" * 41, code[:-1], code + "2", code[:-1] + "0", "中" * 12, code[:-1] + "Ｚ"):
        with pytest.raises(InvalidInput, match="评分码格式不对"):
            read_code(junk)


def test_only_keyed_hashes_are_kept_of_codes_and_addresses():
    assert code_key("s1", "ABCDEFGHJKLM") != code_key("s2", "ABCDEFGHJKLM")
    assert "ABCDEFGHJKLM" not in code_key("s1", "ABCDEFGHJKLM") and len(code_key("s", "X")) == 64
    assert address_key("s", "203.0.113.7") != address_key("s", "203.0.113.8")


def test_an_ipv6_slash_64_counts_as_one_address():
    assert address_bucket("2001:db8:1:2::1") == address_bucket("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1")
    assert address_bucket("::ffff:203.0.113.7") == address_bucket("203.0.113.7") == "203.0.113.7"
    assert address_bucket("") == "-" and address_bucket("not an address") == "not an address"


def test_a_code_scores_if_printed_for_the_meeting_not_voided_and_unused_for_the_item():
    check_ballot(True, False)
    with pytest.raises(Forbidden, match="评分码无效"):
        check_ballot(False, False)
    with pytest.raises(Forbidden, match="已作废"):
        check_ballot(True, True)
    with pytest.raises(NotAllowed, match="每张评分票每项只能评一次"):
        check_ballot_unused(True)


def test_the_open_mode_is_off_by_default_and_bounded_per_address():
    with pytest.raises(Forbidden, match="凭评分票评分"):
        check_open_mode("codes")
    check_open_mode("codes_open")
    check_open_quota(2, 3)
    with pytest.raises(TooManyVotes) as refused:
        check_open_quota(3, 3)
    assert refused.value.status == 429 and "没有记录评分" in refused.value.message
    assert clean_public_mode("codes_open", 5) == ("codes_open", 5)
    for mode, limit in (("open", 5), (None, 5), ("codes_open", 0), ("codes_open", 501), ("codes", None)):
        with pytest.raises(InvalidInput):
            clean_public_mode(mode, limit)
    assert [vote_mode(True, True), vote_mode(False, True), vote_mode(False, False)] == ["openid", "code", "open"]


def test_staff_print_bounded_batches_and_void_slips_by_number():
    assert check_count(50, 0) == 50
    for count, existing in ((None, 0), (0, 0), (501, 0), (10, 4995)):
        with pytest.raises(InvalidInput):
            check_count(count, existing)
    assert parse_serials("21-30, 35、0036；2至3", 40) == set(range(21, 31)) | {35, 36, 2, 3}
    for text in ("", "abc", "30-21", "0", "41", "1-" + "9" * 300, "1--2"):
        with pytest.raises(InvalidInput):
            parse_serials(text, 40)


def test_a_code_voter_is_the_code_not_the_phone():
    phone = Voter("cookie-1", "", "hash-a")
    assert phone.ballot_voter_key != Voter("cookie-1", "", "hash-b").ballot_voter_key
    assert phone.ballot_voter_key == Voter("cookie-2", "", "hash-a").ballot_voter_key
    assert phone.ballot_voter_key != phone.key
