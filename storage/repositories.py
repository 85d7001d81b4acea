"""Queries the engine and the front ends share: one place for each way of finding rows."""
from __future__ import annotations

import re
from typing import Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import HANDED_ON_STATES

from .models import Assignment, Deputy, Evaluation, Event, Proposal, ProposalCounter, Reply, Unit, User

_DRAFT_REF = re.compile(r"^d([0-9]{1,9})$")  # an id either database can hold
_NUMBER = re.compile(r"^[0-9]{4}-[0-9]{1,6}$")


def _proposal_query(full: bool = True):
    """A proposal with what the engine needs; `full` adds what pages show (contacts, opinions...). For the
    engine, its co-signers and assignments come joined in the locking SELECT itself (one round trip, not
    three; a proposal has a few of each)."""
    if not full:
        return select(Proposal).options(joinedload(Proposal.co_signers), joinedload(Proposal.assignments))
    return select(Proposal).options(
        selectinload(Proposal.consultations), selectinload(Proposal.replies), selectinload(Proposal.evaluations),
        selectinload(Proposal.assignments).selectinload(Assignment.contacts),
        selectinload(Proposal.assignments).selectinload(Assignment.opinions),
        selectinload(Proposal.assignments).selectinload(Assignment.progress),
        selectinload(Proposal.assignments).selectinload(Assignment.extension_requests),
    )


def pending_texts(*columns):
    """The submitted proposals whose text the similarity index does not hold yet (a submission leaves it to
    the indexer), through the partial index ix_proposals_index_pending (migration 0028). The number is tested
    in a form no index serves: as `number IS NOT NULL` SQLite's planner would walk the index of numbers,
    every proposal, instead of the few pending ones."""
    return select(*columns).where(Proposal.indexed_digest.is_(None), func.coalesce(Proposal.number, "") != "")


def ref_filter(ref: str):
    """The WHERE clause for a proposal reference: its number `2025-012`, or `d<id>` for a draft."""
    ref = (ref or "").strip()
    match = _DRAFT_REF.match(ref)
    if match:
        return Proposal.id == int(match.group(1))
    if _NUMBER.match(ref):
        return Proposal.number == ref
    return None


async def proposal_by_ref(session: AsyncSession, ref: str, for_update: bool = False) -> Optional[Proposal]:
    """The proposal to show (full) or, with `for_update`, to act on (locked, only what rules need)."""
    clause = ref_filter(ref)
    if clause is None:
        return None
    return await _proposal_where(session, clause, for_update)


async def proposal_by_id(session: AsyncSession, proposal_id: int, for_update: bool = False) -> Optional[Proposal]:
    return await _proposal_where(session, Proposal.id == proposal_id, for_update)


async def _proposal_where(session: AsyncSession, clause, for_update: bool) -> Optional[Proposal]:
    """With `for_update` on PostgreSQL the row is locked by a statement of its own first: a joined SELECT
    ... FOR UPDATE that waited for another writer re-reads the locked row but not the joined ones (its
    snapshot predates the other's commit), so the assignments would be stale; the SELECT after the lock
    sees them fresh (READ COMMITTED). SQLite's writers run one at a time (BEGIN IMMEDIATE): one SELECT."""
    if for_update and session.bind.dialect.name == "postgresql":
        locked = (await session.execute(select(Proposal.id).where(clause).with_for_update())).scalar()
        if locked is None:
            return None
        clause = Proposal.id == locked
    query = _proposal_query(full=not for_update).where(clause)
    return (await session.execute(query)).unique().scalars().first()


async def assignment_by_id(session: AsyncSession, assignment_id: int) -> Optional[Assignment]:
    return await session.get(Assignment, assignment_id)


async def load_replies(session: AsyncSession, proposal: Proposal) -> None:
    """Load a locked proposal's replies and evaluations (the engine needs them only once replies exist):
    two SELECTs by proposal id (a refresh would read the locked row again first)."""
    for name, model in (("replies", Reply), ("evaluations", Evaluation)):
        rows = (await session.execute(select(model).where(model.proposal_id == proposal.id).order_by(model.id)))\
            .scalars().all()
        set_committed_value(proposal, name, list(rows))


async def open_consultations(session: AsyncSession, proposal_id: int):
    from .models import Consultation

    query = select(Consultation).where(Consultation.proposal_id == proposal_id, Consultation.advised_at.is_(None))
    return list((await session.execute(query.order_by(Consultation.id))).scalars())


async def deputy_by_number(session: AsyncSession, number: str) -> Optional[Deputy]:
    return (await session.execute(select(Deputy).where(Deputy.number == number))).scalars().first()


async def deputies_by_numbers(session: AsyncSession, numbers: Sequence[str]) -> dict[str, Deputy]:
    if not numbers:
        return {}
    rows = (await session.execute(select(Deputy).where(Deputy.number.in_(list(numbers))))).scalars()
    return {d.number: d for d in rows}


async def units_by_codes(session: AsyncSession, codes: Sequence[str]) -> dict[str, Unit]:
    if not codes:
        return {}
    rows = (await session.execute(select(Unit).where(Unit.code.in_(list(codes))))).scalars()
    return {u.code: u for u in rows}


async def user_by_token_hash(session: AsyncSession, token_hash: str) -> Optional[User]:
    return (await session.execute(select(User).where(User.token_hash == token_hash))).scalars().first()


async def user_by_name(session: AsyncSession, username: str) -> Optional[User]:
    return (await session.execute(select(User).where(User.username == username))).scalars().first()


async def events_of(session: AsyncSession, proposal_id: int) -> list[Event]:
    query = select(Event).where(Event.proposal_id == proposal_id).order_by(Event.seq, Event.id)
    return list((await session.execute(query)).scalars())


async def attachments_of(session: AsyncSession, proposal_id: int):
    """The evidence (photos) a deputy sent for a proposal, oldest first."""
    from .models import ProposalAttachment

    query = select(ProposalAttachment).where(ProposalAttachment.proposal_id == proposal_id)
    return list((await session.execute(query.order_by(ProposalAttachment.id))).scalars())


async def next_number(session: AsyncSession, year: int) -> str:
    """The next proposal number of `year`, e.g. 2025-012 (atomic upsert of the year's counter)."""
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ProposalCounter).values(year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ProposalCounter.year], set_={"last": ProposalCounter.last + 1}
    ).returning(ProposalCounter.last)
    last = (await session.execute(statement)).scalar_one()
    return f"{year}-{last:03d}"


async def session_spans(session: AsyncSession) -> list:
    """Every registered session (届/次), oldest first."""
    from .models import CongressSession

    return list((await session.execute(select(CongressSession).order_by(CongressSession.opens_on))).scalars())


async def next_official_seq(session: AsyncSession, session_id: int, kind: str) -> int:
    """The next number of a session's `kind` sequence (atomic upsert of its counter)."""
    from .models import SessionCounter

    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SessionCounter).values(session_id=session_id, kind=kind, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[SessionCounter.session_id, SessionCounter.kind], set_={"last": SessionCounter.last + 1}
    ).returning(SessionCounter.last)
    return (await session.execute(statement)).scalar_one()


async def count(session: AsyncSession, model) -> int:
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def lead_rows(session: AsyncSession, year: Optional[int] = None, unit: Optional[str] = None):
    """Raw rows for the tallies: lead assignments with their proposal, replies and evaluations."""
    from .models import Evaluation, Reply

    query = (
        select(Assignment.id, Proposal.id, Proposal.number, Proposal.year, Proposal.category,
               Proposal.key_supervision, Unit.code, Proposal.state, Assignment.state, Assignment.reply_due,
               Assignment.contact_logged)
        .join(Proposal, Assignment.proposal_id == Proposal.id)
        .join(Unit, Assignment.unit_id == Unit.id)
        .where(Assignment.role == "lead", Assignment.state.not_in(HANDED_ON_STATES))
    )
    if year is not None:
        query = query.where(Proposal.year == year)
    if unit is not None:
        query = query.where(Unit.code == unit)
    assignments = (await session.execute(query)).all()
    ids = [row[0] for row in assignments]
    replies, evaluations = [], []
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        replies += (await session.execute(
            select(Reply.assignment_id, Reply.created_at, Reply.category, Reply.on_time)
            .where(Reply.assignment_id.in_(chunk)).order_by(Reply.id))).all()
        evaluations += (await session.execute(
            select(Evaluation.assignment_id, Evaluation.created_at, Evaluation.kind, Evaluation.rating, Evaluation.id)
            .where(Evaluation.assignment_id.in_(chunk)).order_by(Evaluation.id))).all()
    return assignments, replies, evaluations
