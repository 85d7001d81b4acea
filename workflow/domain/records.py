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


class ReplyRecord(Protocol):
    id: int
    assignment_id: int
    round: int
    category: str


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
    assignments: list[AssignmentRecord]
    replies: list[ReplyRecord]
    evaluations: list[EvaluationRecord]
