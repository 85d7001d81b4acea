"""The shapes of the records the rules read, as protocols: the domain names what it needs, not where it lives.

storage.models' rows have these attributes (and more); tests may pass any object that has them.
Nothing here is imported at run time by storage, and nothing here imports storage.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Protocol, Sequence


class UnitRecord(Protocol):
    id: int
    code: str
    name: str
    active: bool


class DeputyRecord(Protocol):
    id: int
    number: str
    name: str
    active: bool


class CoSignerRecord(Protocol):
    deputy: DeputyRecord
    confirmed_at: Optional[dt.datetime]
    withdrawal_consent_at: Optional[dt.datetime]  # agreed to the lead's withdrawal request


class AssignmentRecord(Protocol):
    """交办: one unit's share of one proposal."""

    id: int
    unit: UnitRecord
    unit_id: int
    role: str
    state: str
    assigned_on: dt.date
    signed_at: Optional[dt.datetime]
    adjustment_due: Optional[dt.date]
    opinion_due: Optional[dt.date]
    reply_due: Optional[dt.date]
    contact_logged: bool
    opinion_given: bool
    unsatisfied_count: int  # rounds its reply was rated 不满意
    rating_opened_on: Optional[dt.date]  # 落实中: when the deputy was asked to rate what was done
    followup_due: Optional[dt.date]
    extension_requested_due: Optional[dt.date]  # the date a pending 延期申请 asks for (None: none pending)


class ReplyRecord(Protocol):
    id: int
    assignment_id: int
    round: int
    category: str
    kind: str  # answer | second (再次答复)
    promise_date: Optional[dt.date]
    replied_on: Optional[dt.date]  # Beijing date


class EvaluationRecord(Protocol):
    kind: str
    reply_id: Optional[int]
    rating: str


class ProposalRecord(Protocol):
    id: int
    number: Optional[str]
    title: str
    content: str
    state: str
    round: int
    key_supervision: bool
    lead_deputy: DeputyRecord
    co_signers: Sequence[CoSignerRecord]
    withdrawal_requested_at: Optional[dt.datetime]  # a withdrawal waiting for the co-signers' consent
    group_id: Optional[int]  # 并案办理: the handling group it is in (workflow/domain/handling_groups.py)
    assignments: list[AssignmentRecord]
    replies: list[ReplyRecord]
    evaluations: list[EvaluationRecord]
