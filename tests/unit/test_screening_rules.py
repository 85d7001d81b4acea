"""Screening, joint proposals and withdrawal (issue 10, items 19-22), as pure rules: the referral list, the
co-signers a name or number resolves to, who may confirm when, and what a withdrawal needs."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from storage.models import CoSigner, Deputy, Proposal
from workflow.domain.cosigners import resolve_co_signers, split_names
from workflow.domain.definition import ACTIONS, HANDLED_STATES, REFERRAL_DISPOSITIONS, REFERRAL_REASONS, STATES
from workflow.domain.errors import InvalidInput
from workflow.domain.machine import proposal_action_possible
from workflow.domain.notifications import notifications_for
from workflow.domain.params import clean_params
from workflow.domain.rules import GUARDS, INPUT_GUARDS, Actor, Context

CONFIRMED = dt.datetime(2025, 3, 1)


def _person(number: str, name: str, delegation: str = "") -> SimpleNamespace:
    return SimpleNamespace(number=number, name=name, delegation=delegation)


def _proposal(state: str = "submitted", requested: bool = False, consents=(None, None)) -> Proposal:
    return Proposal(id=7, number="2025-007", title="改善农村道路", content="修缮县道", state=state, round=1,
                    lead_deputy=Deputy(id=1, number="D1", name="张三"),
                    withdrawal_requested_at=CONFIRMED if requested else None,
                    co_signers=[CoSigner(deputy=Deputy(id=2, number="D2", name="李四"), confirmed_at=CONFIRMED,
                                         withdrawal_consent_at=consents[0]),
                                CoSigner(deputy=Deputy(id=3, number="D3", name="王五"), confirmed_at=CONFIRMED,
                                         withdrawal_consent_at=consents[1]),
                                CoSigner(deputy=Deputy(id=4, number="D4", name="赵六"), confirmed_at=None)],
                    assignments=[], replies=[], evaluations=[])


def _ctx(proposal: Proposal, who: str = "D1", action: str = "withdraw", consent: bool = False, **params) -> Context:
    return Context(proposal=proposal, action=action, actor=Actor("deputy", who), params=params,
                   withdraw_needs_consent=consent)


# ---------------------------------------------------------------- item 19: 不作为代表建议
def test_referral_list_has_the_art_59_cases_and_ends_with_the_catch_all():
    assert "干预具体司法案件" in REFERRAL_REASONS and "插手招标投标等经济活动" in REFERRAL_REASONS
    assert REFERRAL_REASONS[-1] == "其他不应当作为代表建议的"
    assert STATES["referred"] == "不作为代表建议"
    assert not any("参阅" in text for text in (*STATES.values(), *(a.label for a in ACTIONS.values())))


def test_refer_needs_a_disposition_from_the_three_and_a_reason_from_the_list():
    assert REFERRAL_DISPOSITIONS == ("退回代表", "作代表来信处理", "转有关部门参考")
    cleaned = clean_params("refer", {"reason": "干预具体司法案件", "disposition": "退回代表"}, ())
    assert cleaned == {"reason": "干预具体司法案件", "disposition": "退回代表"}
    with pytest.raises(InvalidInput) as missing:
        clean_params("refer", {"reason": "干预具体司法案件"}, ())
    assert missing.value.details["field"] == "disposition"
    with pytest.raises(InvalidInput):
        clean_params("refer", {"reason": "干预具体司法案件", "disposition": "存档"}, ())


# ---------------------------------------------------------------- item 22: names or numbers, one rule
def test_co_signers_resolve_by_number_or_unique_name_and_ambiguous_or_unknown_names_are_reported():
    roster = {"D2": (_person("D2", "李四"),), "王伟": (_person("D5", "王伟", "城关镇"), _person("D6", "王伟", "演陂镇")),
              "李四": (_person("D2", "李四"),), "张三": (_person("D1", "张三"),)}
    found = resolve_co_signers(split_names("D2、李四，王伟 无名氏 张三"), roster, me="D1")
    assert found.chosen == (("D2", "李四"),)  # the number and the name of one deputy count once
    assert [(a.token, [c.number for c in a.candidates]) for a in found.ambiguous] == [("王伟", ["D5", "D6"])]
    assert found.missing == ("无名氏",)
    assert found.named_self and not found.complete


# ---------------------------------------------------------------- item 20: confirming a co-signature
@pytest.mark.parametrize("state", ["draft", "submitted", "accepted", *HANDLED_STATES])
def test_a_co_signer_may_confirm_before_and_after_assignment(state):
    assert proposal_action_possible("confirm_cosign", state)


@pytest.mark.parametrize("state", ["closed", "referred", "withdrawn"])
def test_a_co_signer_cannot_confirm_a_finished_proposal(state):
    assert not proposal_action_possible("confirm_cosign", state)


# ---------------------------------------------------------------- item 21: withdrawal
def test_withdrawal_is_refused_as_bad_input_unless_confirm_is_true():
    assert "withdrawal_confirmed" in INPUT_GUARDS and "withdrawal_confirmed" in ACTIONS["withdraw"].guards
    guard = GUARDS["withdrawal_confirmed"]
    for params in ({}, {"confirm": False}, {"confirm": "true"}):
        refusal = guard(_ctx(_proposal(), **params))
        assert refusal and "确认" in refusal and refusal.field == "confirm"
    assert guard(_ctx(_proposal(), confirm=True)) is None
    assert clean_params("withdraw", {"reason": "重复", "confirm": "on"}, ()) == {"reason": "重复", "confirm": True}
    with pytest.raises(InvalidInput):
        clean_params("withdraw", {"confirm": True}, ())  # a reason is required


def test_consent_is_needed_only_with_the_setting_on_and_confirmed_co_signers():
    assert _ctx(_proposal(), consent=True).withdrawal_needs_consent()
    assert not _ctx(_proposal(), consent=False).withdrawal_needs_consent()
    alone = _proposal()
    alone.co_signers = [c for c in alone.co_signers if c.confirmed_at is None]  # only an unconfirmed one
    assert not _ctx(alone, consent=True).withdrawal_needs_consent()


def test_withdrawal_happens_when_every_confirmed_co_signer_has_consented():
    assert not _ctx(_proposal(requested=True, consents=(CONFIRMED, None))).all_co_signers_consented()
    assert _ctx(_proposal(requested=True, consents=(CONFIRMED, CONFIRMED))).all_co_signers_consented()


def test_only_a_confirmed_co_signer_who_has_not_answered_may_consent_to_a_pending_request():
    guard = GUARDS["awaits_withdrawal_consent"]
    assert "没有" in guard(_ctx(_proposal(), who="D2", action="consent_withdrawal"))
    pending = _proposal(requested=True, consents=(CONFIRMED, None))
    assert guard(_ctx(pending, who="D3", action="consent_withdrawal")) is None
    assert "已同意" in guard(_ctx(pending, who="D2", action="consent_withdrawal"))
    assert "尚未确认" in guard(_ctx(pending, who="D4", action="consent_withdrawal"))
    assert GUARDS["withdrawal_not_requested"](_ctx(pending)) is not None


def _heard(action: str, from_state: str, to_state: str, proposal: Proposal, **payload) -> set:
    event = SimpleNamespace(action=action, from_state=from_state, to_state=to_state, payload=payload)
    return set(notifications_for(_ctx(proposal, action=action), event))


def test_a_withdrawal_request_asks_only_the_confirmed_co_signers():
    heard = _heard("withdraw", "submitted", "submitted", _proposal(requested=True), consent_requested=True)
    assert heard == {("withdrawal_consent_requested", ("deputy", "D2")),
                     ("withdrawal_consent_requested", ("deputy", "D3"))}


def test_a_withdrawn_joint_proposal_is_told_to_the_lead_the_confirmed_co_signers_and_staff():
    heard = _heard("consent_withdrawal", "accepted", "withdrawn", _proposal())
    assert heard == {("proposal_withdraw", ("deputy", "D1")), ("proposal_withdraw", ("deputy", "D2")),
                     ("proposal_withdraw", ("deputy", "D3")), ("proposal_withdraw", ("staff", "*"))}


def test_a_refusal_tells_the_lead_and_a_consent_short_of_all_tells_the_lead_who_is_still_awaited():
    assert _heard("refuse_withdrawal", "submitted", "submitted", _proposal()) == {
        ("withdrawal_refused", ("deputy", "D1"))}
    assert _heard("consent_withdrawal", "submitted", "submitted", _proposal(), waiting="王五") == {
        ("withdrawal_consented", ("deputy", "D1"))}
