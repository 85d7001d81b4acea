"""Rosters, accounts, proposals and everything that happens to them, events and the outbox."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .letters import ReplyLetter


class Deputy(Base):
    """代表: one person on the roster."""

    __tablename__ = "deputies"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    delegation: Mapped[str] = mapped_column(String(128), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    work_unit: Mapped[str] = mapped_column(String(128), default="")  # 工作单位 (migration 0015): units contact the deputy
    term: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    openid: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Unit(Base):
    """承办单位: a handling unit (a county bureau, a township government...)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class UnitLiaison(Base):
    """A WeChat user bound to a unit, who receives its links."""

    __tablename__ = "unit_liaisons"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    """A console / API account of the committee (staff, supervisor, viewer, admin)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[Optional[str]] = mapped_column(String(256))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    openid: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Raised at sign-out: every console session issued before it ends (migration 0006).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginThrottle(Base):
    """Sign-in failures of one user name from one address (migration 0007); the name need not exist."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "<name, lower case>|<address>"
    username: Mapped[str] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # each pause lasts twice the one before
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class BindingCode(Base):
    """A one-time code that binds a WeChat user to a deputy or a unit (only its hash is kept)."""

    __tablename__ = "binding_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    deputy_id: Mapped[Optional[int]] = mapped_column(ForeignKey("deputies.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProposalCounter(Base):
    """The last number given in a year: proposals are numbered 2025-001, 2025-002, ..."""

    __tablename__ = "proposal_counters"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


_INDEX_PENDING = text("indexed_digest IS NULL")  # storage/repositories.py pending_texts


class Proposal(Base):
    """代表建议: one proposal, from draft to its final state."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_year_state", "year", "state"), Index("ix_proposals_session", "session_id", "kind"),
                      UniqueConstraint("session_id", "kind", "official_seq", name="uq_proposals_official_seq"),
                      # submitted texts the similarity index does not hold yet (migration 0028)
                      Index("ix_proposals_index_pending", "id", sqlite_where=_INDEX_PENDING,
                            postgresql_where=_INDEX_PENDING))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[Optional[str]] = mapped_column(String(16), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32), default="")
    lead_deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Moved on by the engine whenever what the dashboard's facts rows hold may have changed (migration 0030)
    facts_stamp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    face_to_face: Mapped[bool] = mapped_column(Boolean, default=False)
    key_supervision: Mapped[bool] = mapped_column(Boolean, default=False)
    key_leader: Mapped[str] = mapped_column(String(64), default="")
    key_committee: Mapped[str] = mapped_column(String(64), default="")
    key_proposed: Mapped[bool] = mapped_column(Boolean, default=False)
    unsatisfied_count: Mapped[int] = mapped_column(Integer, default=0)
    round: Mapped[int] = mapped_column(Integer, default=1)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    # 不作为代表建议: what became of it (退回代表 / 作代表来信处理 / 转有关部门参考), told to the deputy (0014).
    disposition: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # A lead deputy's withdrawal waiting for the confirmed co-signers' consent, and its reason (0014).
    withdrawal_requested_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # 届/次 (migration 0017): the session it belongs to, 大会 ("session") or 闭会期间 ("interim"), its number in
    # that sequence and the official number as printed (第24号); empty until submitted within a known session.
    session_id: Mapped[Optional[int]] = mapped_column(ForeignKey("congress_sessions.id"))
    kind: Mapped[str] = mapped_column(String(8), default="", server_default="")
    official_seq: Mapped[Optional[int]] = mapped_column(Integer)
    official_number: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # 来源: "proposal" (提出的建议) or "motion" (议案未列入会议议程，作为建议处理).
    origin: Mapped[str] = mapped_column(String(16), default="proposal", server_default="proposal")
    # 闭会期间建议: staff accept and assign it by this date (deadlines.interim_assign from submission).
    assign_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    # 并案办理 (migration 0022): the group it is handled in (its lead's too); None when handled alone.
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handling_groups.id"), index=True)
    # What the similarity and search indexes hold of it (migration 0025; workflow/engine/text_index.py): the
    # digest of the title and content indexed, and how many of its replies have their bigrams in reply_grams.
    indexed_digest: Mapped[Optional[str]] = mapped_column(String(64))
    replies_indexed: Mapped[Optional[int]] = mapped_column(Integer)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    assigned_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    lead_deputy: Mapped[Deputy] = relationship(lazy="joined")
    congress_session: Mapped[Optional["CongressSession"]] = relationship(lazy="joined")  # noqa: F821 (sessions.py)
    co_signers: Mapped[list["CoSigner"]] = relationship(
        back_populates="proposal", lazy="selectin", order_by="CoSigner.id", cascade="all"
    )
    assignments: Mapped[list["Assignment"]] = relationship(
        back_populates="proposal", lazy="selectin", order_by="Assignment.id", cascade="all"
    )
    # Loaded only where shown (storage.repositories, full=True); the engine never needs them.
    consultations: Mapped[list["Consultation"]] = relationship(
        lazy="raise_on_sql", order_by="Consultation.id", cascade="all"
    )
    # Pages load these (full=True); the engine only where a state needs them (repositories.load_replies).
    replies: Mapped[list["Reply"]] = relationship(lazy="raise_on_sql", order_by="Reply.id", cascade="all")
    evaluations: Mapped[list["Evaluation"]] = relationship(  # noqa: F821 (models/evaluations.py)
        lazy="raise_on_sql", order_by="Evaluation.id", cascade="all"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def ref(self) -> str:
        """The number, or `d<id>` for a draft that has none yet."""
        return self.number or f"d{self.id}"


class CoSigner(Base):
    """联名代表: a deputy who joins a proposal; it counts as joint once confirmed."""

    __tablename__ = "co_signers"
    __table_args__ = (UniqueConstraint("proposal_id", "deputy_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"))
    confirmed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # Agreed to the pending withdrawal request (0014); cleared when the request ends.
    withdrawal_consent_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    proposal: Mapped[Proposal] = relationship(back_populates="co_signers")
    deputy: Mapped[Deputy] = relationship(lazy="joined")


# A share handed to another unit (改派): no longer on the proposal. The same as workflow's
# SUPERSEDED_ASSIGNMENT_STATES (storage does not import workflow; a test holds the two together).
HANDED_ON_STATES = ("reassigned",)


class Assignment(Base):
    """交办: one unit's share of one proposal (lead 主办, co 协办, or consult 提出前沟通)."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_unit", "unit_id", "state"), Index("ix_assignments_proposal", "proposal_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(24), default="pending")
    assigned_on: Mapped[dt.date] = mapped_column(Date)
    sign_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    adjustment_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    opinion_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    reply_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    reply_due_manual: Mapped[bool] = mapped_column(Boolean, default=False)  # set by staff, not computed
    signed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    first_replied_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    contact_logged: Mapped[bool] = mapped_column(Boolean, default=False)
    opinion_given: Mapped[bool] = mapped_column(Boolean, default=False)
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    link_issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    adjustment_reason: Mapped[str] = mapped_column(Text, default="")
    # Rounds in which the deputy rated this unit's reply 不满意 (per unit: 分办 units count apart).
    unsatisfied_count: Mapped[int] = mapped_column(Integer, default=0)
    # 落实中: the Beijing date the deputy was asked to rate what was done (unit reported it done, answered A,
    # or the promise date passed); empty while the follow-up goes on.
    rating_opened_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    # After an implementation 不满意: the unit owes a new promise or a second answer (再次答复) by this date.
    followup_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    # Migration 0015: when the unit asked for an adjustment and when staff's decision is due; the date a
    # pending extension request asks for (None: none pending; the requests themselves: ExtensionRequest).
    adjustment_requested_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    adjustment_decision_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    extension_requested_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship(lazy="joined")
    # Loaded only where shown (storage.repositories, full=True): the engine reads the flags above.
    contacts: Mapped[list["ContactLog"]] = relationship(lazy="raise_on_sql", order_by="ContactLog.id", cascade="all")
    opinions: Mapped[list["Opinion"]] = relationship(lazy="raise_on_sql", order_by="Opinion.id", cascade="all")
    progress: Mapped[list["ProgressReport"]] = relationship(
        lazy="raise_on_sql", order_by="ProgressReport.id", cascade="all"
    )
    extension_requests: Mapped[list["ExtensionRequest"]] = relationship(  # noqa: F821 (models/extensions.py)
        lazy="raise_on_sql", order_by="ExtensionRequest.id", cascade="all"
    )


class Consultation(Base):
    """提出前沟通: a deputy's request for advice on a draft, and the advice given."""

    __tablename__ = "consultations"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    question: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    advice: Mapped[str] = mapped_column(Text, default="")
    advised_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    advised_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)


class ContactLog(Base):
    """办前/办中沟通: a unit's contact with the deputy."""

    __tablename__ = "contact_logs"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    contacted_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Opinion(Base):
    """协办意见: a co-unit's written opinion for the lead unit."""

    __tablename__ = "opinions"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Reply(ReplyLetter, Base):
    """答复: a lead unit's answer, category A-D, issued under its head's signature (its 答复函: ReplyLetter)."""

    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_proposal", "proposal_id"), Index("ix_replies_assignment", "assignment_id"),
                      Index("ix_replies_published", "published", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    category: Mapped[str] = mapped_column(String(1))
    text: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(64))
    promise_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    on_time: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(16), default="answer")  # answer | second (再次答复)
    replied_on: Mapped[Optional[dt.date]] = mapped_column(Date)  # the Beijing date: the rating window starts here
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProgressReport(Base):
    """落实进展: a unit's report on implementing a B/C reply."""

    __tablename__ = "progress_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Event(Base):
    """One action on one proposal: append-only, hash-chained per proposal."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("proposal_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(128), default="")
    on_behalf_kind: Mapped[str] = mapped_column(String(16), default="")
    on_behalf_id: Mapped[str] = mapped_column(String(64), default="")
    assignment_id: Mapped[Optional[int]] = mapped_column(Integer)
    from_state: Mapped[str] = mapped_column(String(16), default="")
    to_state: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Base):
    """A notification written in the action's transaction, relayed to Redis afterwards."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "relayed_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[Optional[int]] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(32))
    recipient_kind: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    relayed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # pending -> delivered | skipped (no one to send to) | dead (parked after max attempts)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(16), default="")  # custom | template
    event: Mapped[Optional[Event]] = relationship(lazy="raise_on_sql")


class ReminderSent(Base):
    """The ledger of deadline reminders: one row per (deadline, card), so each is sent once."""

    __tablename__ = "reminders_sent"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    assignment_id: Mapped[Optional[int]] = mapped_column(Integer)
    proposal_id: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[str] = mapped_column(String(32))  # a kind of workflow.domain.cards.DEADLINE_LABELS
    card: Mapped[str] = mapped_column(String(8))  # yellow | red
    due: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Meta(Base):
    """Small facts about the installation (e.g. the holiday calendar version deadlines were computed with)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
