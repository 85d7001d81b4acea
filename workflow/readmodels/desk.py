"""A deputy's (or a unit liaison's) own desk, as the chat shows it: their proposals with states and due
dates, one proposal's progress, drafts to go back to, invitations to co-sign, which rating is open,
photos kept as evidence, co-signers found by name or number.

A deputy sees only proposals they lead or co-sign; anything else is "not found", so numbers cannot
be probed. Results are plain dataclasses: the bot renders them, it decides nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import Assignment, CoSigner, Deputy, Proposal, ProposalAttachment, Unit
from workflow.domain import clock as beijing
from workflow.domain.deadlines import due_date
from workflow.domain.definition import (
    ASSIGNMENT_STATES,
    HANDLING_ROLES,
    LIVE_ASSIGNMENT_STATES,
    PRE_SUBMISSION_STATES,
    REPLY_CATEGORIES,
    REPLY_OWED_STATES,
    ROLES,
    STATES,
    SUPERSEDED_ASSIGNMENT_STATES,
    WITHDRAWABLE_STATES,
)
from workflow.domain.errors import NotFound
from workflow.domain.links import make_token
from workflow.domain.machine import sources_of
from workflow.domain.rules import Actor
from workflow.domain.sessions import official_label
from workflow.readmodels.similar import Hint, drafting_hints
from workflow.settings import Settings


@dataclass(frozen=True)
class Person:
    number: str
    name: str
    delegation: str = ""


@dataclass(frozen=True)
class DraftView:
    """A draft as the deputy sees it while writing: fields, co-signers, advice received, photos."""

    ref: str
    number: Optional[str]
    state: str
    title: str
    content: str
    category: str
    co_signers: tuple[tuple[str, bool], ...]  # (name, confirmed)
    advice: tuple[tuple[str, str], ...]  # (who, advice) of answered consultations
    awaiting_advice: bool
    photos: int
    # Unconfirmed co-signers not bound to WeChat: no request to confirm could reach them.
    unreachable: tuple[str, ...] = ()
    # Submitted proposals of this year and last about the same matter (at or above the warning threshold).
    similar: tuple[Hint, ...] = ()  # similar proposals of this year and last (readmodels/similar.py)

    @property
    def editable(self) -> bool:
        return self.state in PRE_SUBMISSION_STATES


@dataclass(frozen=True)
class ProposalLine:
    ref: str
    title: str
    state: str
    state_label: str
    role: str  # 领衔 | 联名
    due_label: str = ""
    due: Optional[dt.date] = None


@dataclass(frozen=True)
class UnitLine:
    unit: str
    role: str
    state: str
    due: Optional[dt.date]


@dataclass(frozen=True)
class ReplyLine:
    unit: str
    category: str
    round: int
    text: str
    at: dt.date


@dataclass(frozen=True)
class ProgressView:
    ref: str
    title: str
    state: str
    state_label: str
    key_supervision: bool
    units: tuple[UnitLine, ...]
    replies: tuple[ReplyLine, ...]
    evaluations: tuple[tuple[str, str], ...]  # (kind, rating)
    next_due: tuple[str, Optional[dt.date]]
    allowed: tuple[str, ...]  # actions the deputy may take now
    official: str = ""  # 十八届五次会议第24号, within a registered session


@dataclass(frozen=True)
class AssignmentLine:
    ref: str
    title: str
    role: str
    state_label: str
    due: Optional[dt.date]
    link: str


# ---------------------------------------------------------------- roster
async def find_deputies(session: AsyncSession, tokens: Sequence[str]) -> dict[str, tuple[Person, ...]]:
    """Active deputies matching each token by number or exact name (a name may match several)."""
    tokens = [t for t in dict.fromkeys(tokens) if t]
    if not tokens:
        return {}
    rows = (await session.execute(
        select(Deputy.number, Deputy.name, Deputy.delegation)
        .where(Deputy.active, or_(Deputy.number.in_(tokens), Deputy.name.in_(tokens)))
        .order_by(Deputy.number))).all()
    found: dict[str, tuple[Person, ...]] = {}
    for token in tokens:
        by_number = [r for r in rows if r.number == token]
        matches = by_number or [r for r in rows if r.name == token]
        found[token] = tuple(Person(r.number, r.name, r.delegation) for r in matches)
    return found


# ---------------------------------------------------------------- drafts
async def own_proposal(session: AsyncSession, number: str, ref: str, lead_only: bool = True) -> Proposal:
    proposal = await repo.proposal_by_ref(session, ref)
    if proposal is None or not _involves(proposal, number, lead_only):
        raise NotFound(f"找不到您的建议 {ref}。")
    return proposal


def _involves(proposal: Proposal, number: str, lead_only: bool) -> bool:
    if proposal.lead_deputy.number == number:
        return True
    return not lead_only and any(c.deputy.number == number for c in proposal.co_signers)


async def draft_view(session: AsyncSession, number: str, ref: str) -> DraftView:
    """The deputy's own draft `ref` (NotFound if it is not theirs)."""
    p = await own_proposal(session, number, ref)
    photos = (await session.execute(select(func.count()).select_from(ProposalAttachment)
                                    .where(ProposalAttachment.proposal_id == p.id))).scalar_one()
    return DraftView(
        ref=p.ref, number=p.number, state=p.state, title=p.title, content=p.content, category=p.category,
        co_signers=tuple((c.deputy.name, c.confirmed_at is not None) for c in p.co_signers),
        advice=tuple((c.advised_by, c.advice) for c in p.consultations if c.advised_at is not None),
        awaiting_advice=p.state == "consulting", photos=photos,
        unreachable=tuple(c.deputy.name for c in p.co_signers if c.confirmed_at is None and not c.deputy.openid),
        similar=await _similar_to(session, p))


async def _similar_to(session: AsyncSession, p: Proposal) -> tuple[Hint, ...]:
    """While drafting (with a title and content): up to three similar proposals of this year and last."""
    if p.state not in PRE_SUBMISSION_STATES or not (p.title and p.content):
        return ()
    return tuple(await drafting_hints(session, p.title, p.content, p.year))


async def open_drafts(session: AsyncSession, number: str) -> list[DraftView]:
    """Drafts the deputy leads that are not submitted yet (newest first)."""
    refs = (await session.execute(
        select(Proposal.id, Proposal.number).join(Deputy, Proposal.lead_deputy_id == Deputy.id)
        .where(Deputy.number == number, Proposal.state.in_(PRE_SUBMISSION_STATES)).order_by(Proposal.id.desc()))).all()
    return [await draft_view(session, number, n or f"d{i}") for i, n in refs]


# ---------------------------------------------------------------- lists and progress
async def my_proposals(session: AsyncSession, settings: Settings, number: str, limit: int = 10) -> tuple[list[ProposalLine], int]:
    """Proposals the deputy leads or co-signs, newest first, with the next due date of each."""
    co = select(CoSigner.proposal_id).join(Deputy, CoSigner.deputy_id == Deputy.id).where(Deputy.number == number)
    lead = select(Deputy.id).where(Deputy.number == number).scalar_subquery()
    mine = or_(Proposal.lead_deputy_id == lead, Proposal.id.in_(co))
    total = (await session.execute(select(func.count()).select_from(Proposal).where(mine))).scalar_one()
    ids = (await session.execute(select(Proposal.id).where(mine).order_by(Proposal.id.desc()).limit(limit))).scalars()
    lines = []
    for proposal_id in list(ids):
        p = await repo.proposal_by_id(session, proposal_id)
        label, due = next_due(settings, p)
        lines.append(ProposalLine(p.ref, p.title, p.state, STATES[p.state],
                                  "领衔" if p.lead_deputy.number == number else "联名", label, due))
    return lines, total


def next_due(settings: Settings, p: Proposal) -> tuple[str, Optional[dt.date]]:
    """What the proposal waits for next, and by when."""
    leads = [a for a in p.assignments if a.role == "lead" and a.state in LIVE_ASSIGNMENT_STATES]
    if p.state in REPLY_OWED_STATES:
        dues = [a.reply_due for a in leads if a.reply_due is not None]
        return ("答复期限", min(dues)) if dues else ("", None)
    if p.state == "replied" and p.replies:
        start = beijing.local_date(p.replies[-1].created_at)
        return "评价截止", due_date(start, settings.deadlines.evaluation).due
    if p.state == "implementing":
        promises = [r.promise_date for r in p.replies if r.round == p.round and r.promise_date is not None]
        return ("承诺解决", min(promises)) if promises else ("", None)
    return "", None


async def progress(session: AsyncSession, engine, number: str, ref: str) -> ProgressView:
    """One proposal the deputy leads or co-signs: where it stands, who handles it, replies, what is next."""
    p = await own_proposal(session, number, ref, lead_only=False)
    actor = Actor("deputy", number)
    units = tuple(UnitLine(a.unit.name, ROLES[a.role], ASSIGNMENT_STATES[a.state], a.reply_due)
                  for a in p.assignments if a.role in HANDLING_ROLES and a.state not in SUPERSEDED_ASSIGNMENT_STATES)
    names = {a.id: a.unit.name for a in p.assignments}
    replies = tuple(ReplyLine(names.get(r.assignment_id, ""), f"{r.category} 类（{REPLY_CATEGORIES[r.category]}）",
                              r.round, r.text, beijing.local_date(r.created_at)) for r in p.replies)
    return ProgressView(
        ref=p.ref, title=p.title, state=p.state, state_label=STATES[p.state], key_supervision=p.key_supervision,
        units=units, replies=replies, evaluations=tuple((e.kind, e.rating) for e in p.evaluations),
        next_due=next_due(engine.settings, p), allowed=tuple(engine.allowed_actions(p, actor)),
        official=official_label(p))


async def pending_withdrawals(session: AsyncSession, number: str) -> list[tuple[str, str, str]]:
    """(ref, title, lead deputy's name) of proposals whose withdrawal waits for this co-signer's consent."""
    rows = (await session.execute(
        select(Proposal.id).join(CoSigner, CoSigner.proposal_id == Proposal.id)
        .join(Deputy, CoSigner.deputy_id == Deputy.id)
        .where(Deputy.number == number, CoSigner.confirmed_at.is_not(None), CoSigner.withdrawal_consent_at.is_(None),
               Proposal.withdrawal_requested_at.is_not(None), Proposal.state.in_(WITHDRAWABLE_STATES))
        .order_by(Proposal.id))).scalars()
    found = []
    for proposal_id in list(rows):
        p = await repo.proposal_by_id(session, proposal_id)
        found.append((p.ref, p.title, p.lead_deputy.name))
    return found


async def pending_cosigns(session: AsyncSession, number: str) -> list[tuple[str, str, str]]:
    """(ref, title, lead deputy's name) of proposals waiting for this deputy to confirm co-signing."""
    rows = (await session.execute(
        select(Proposal.id).join(CoSigner, CoSigner.proposal_id == Proposal.id)
        .join(Deputy, CoSigner.deputy_id == Deputy.id)
        .where(Deputy.number == number, CoSigner.confirmed_at.is_(None),
               Proposal.state.in_(sorted(sources_of("confirm_cosign"))))
        .order_by(Proposal.id))).scalars()
    found = []
    for proposal_id in list(rows):
        p = await repo.proposal_by_id(session, proposal_id)
        found.append((p.ref, p.title, p.lead_deputy.name))
    return found


# ---------------------------------------------------------------- unit liaisons
async def unit_assignments(session: AsyncSession, settings: Settings, code: str, limit: int = 10) -> list[AssignmentLine]:
    """Open assignments of the liaison's unit with their links (/u/<token>)."""
    rows = (await session.execute(
        select(Assignment).join(Unit, Assignment.unit_id == Unit.id)
        .where(Unit.code == code, Assignment.state.in_(sorted(LIVE_ASSIGNMENT_STATES)))
        .order_by(Assignment.id.desc()).limit(limit))).scalars()
    lines = []
    base = settings.server.public_url.rstrip("/")
    for a in list(rows):
        p = await session.get(Proposal, a.proposal_id)
        token = make_token(settings.server.secret_key, a, settings.server.link_ttl_days)
        lines.append(AssignmentLine(p.ref, p.title, ROLES[a.role], ASSIGNMENT_STATES[a.state],
                                    a.reply_due, f"{base}/u/{token}"))
    return lines
