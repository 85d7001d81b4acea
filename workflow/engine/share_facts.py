"""The dashboard's facts of a proposal's live lead shares and their sum for the proposal
(storage/models/share_facts.py), rewritten in the transaction of every action that may change them: one
that adds a reply, a rating or a contact, or changes an assignment's unit, role, state or reply due date.
`mark` moves the proposal's `facts_stamp` on in the action's own UPDATE, `write` writes the rows at that
stamp after the flush, so readers know them current (workflow/readmodels/lead_facts.py). An action that
changes none of it (accept, sign, a publication...) writes nothing here. The facts are those of
workflow/domain/tallies.py `lead_facts`, the one definition; what depends on the day (overdue) is stored
as its parts (`awaiting`, `reply_due`) and derived when read."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import case, delete, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_for
from storage.models import STORED_FACTS, ContactLog, Evaluation, LeadShareFacts, Proposal, ProposalFacts, Reply
from workflow.domain.definition import AWAITING_REPLY_STATES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.tallies import FACT_FIELDS, LeadRecord, lead_facts

assert set(STORED_FACTS) == set(FACT_FIELDS) - {"leads", "overdue"}, "every fact but the day's is stored"
_ANY_DAY = dt.date.min  # overdue is not stored: the day it is derived for does not matter
_RECORDS = (Reply, Evaluation, ContactLog)  # the records the facts are derived from
_MARKED = "facts_marked"  # session.info: the proposals whose rows this transaction is to write


def inputs(proposal: Proposal) -> tuple:
    """What of the facts' inputs the engine holds in memory, before an action's effects: of each assignment
    its unit, role, reply due date and what its state means here (live, awaiting a reply), so that a
    change of state within those (签收: pending -> signed) is no change of the facts."""
    return tuple((a.id, a.unit_id, a.role, a.reply_due, a.state in SUPERSEDED_ASSIGNMENT_STATES,
                  a.state in AWAITING_REPLY_STATES) for a in proposal.assignments)


def mark(session: AsyncSession, proposal: Proposal, before: tuple | None) -> None:
    """Before the action's flush: if its effects may change the facts (`before`: `inputs` before them; None
    for an event that changes nothing, like a 并案 member's), the stamp moves on and `write_marked` writes."""
    if before is None or not proposal.assignments:
        return
    if inputs(proposal) == before and not any(isinstance(row, _RECORDS) for row in session.new):
        return
    proposal.facts_stamp = (proposal.facts_stamp or 0) + 1
    session.info.setdefault(_MARKED, set()).add(proposal.id)


async def write_marked(session: AsyncSession, proposal: Proposal) -> None:
    """After the action's flush: the rows of a proposal `mark` marked, at its new stamp."""
    marked = session.info.get(_MARKED, set())
    if proposal.id in marked:
        marked.discard(proposal.id)
        await write(session, proposal)


async def write(session: AsyncSession, proposal: Proposal) -> None:
    """Put the facts of the proposal's live lead shares now in its rows (after the action's flush): each
    share's row and the proposal's are written over in place (two statements); the row of a share that is
    no longer live (改派) is removed."""
    leads = [a for a in proposal.assignments if a.role == "lead" and a.state not in SUPERSEDED_ASSIGNMENT_STATES]
    gone = [a.id for a in proposal.assignments if a.role == "lead" and a.state in SUPERSEDED_ASSIGNMENT_STATES]
    if gone:
        await session.execute(delete(LeadShareFacts).where(LeadShareFacts.assignment_id.in_(gone)))
    if not leads:
        await session.execute(delete(ProposalFacts).where(ProposalFacts.proposal_id == proposal.id))
        return
    records = {a.id: LeadRecord(proposal.id, proposal.number or "", proposal.year, proposal.category,
                                bool(proposal.key_supervision), "", proposal.state, a.state, a.reply_due)
               for a in leads}
    for kind, aid, _id, value, extra in await _history(session, sorted(records)):
        record = records[aid]
        if kind == "reply":  # ordered by id: within a proposal ids follow time (its actions are serialised)
            record.replies.append((_id, value, extra == "1"))
        elif kind == "contact":
            record.contact_methods.append(value)
        else:
            (record.reply_ratings if value == "reply" else record.implementation_ratings).append((_id, extra))
    rows = []
    for a in leads:
        facts = lead_facts(records[a.id], _ANY_DAY)
        rows.append({"assignment_id": a.id, "proposal_id": proposal.id, "unit_id": a.unit_id,
                     "stamp": proposal.facts_stamp, "awaiting": a.state in AWAITING_REPLY_STATES,
                     "reply_due": a.reply_due, **{name: getattr(facts, name) for name in STORED_FACTS}})
    await _put(session, LeadShareFacts, "assignment_id", rows)
    await _put(session, ProposalFacts, "proposal_id", [proposal_row(proposal.id, proposal.facts_stamp, rows)])


async def _put(session: AsyncSession, table, key: str, rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE: the rows written over in place, in one statement."""
    statement = insert_for(session)(table).values(rows)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in rows[0] if name != key}))


def proposal_row(proposal_id: int, stamp: int, shares: list[dict]) -> dict:
    """The proposal's row from its shares' rows: each fact summed, overdue's parts."""
    dues = [share["reply_due"] for share in shares if share["awaiting"] and share["reply_due"] is not None]
    return {"proposal_id": proposal_id, "stamp": stamp, "leads": len(shares), "dated_awaiting": len(dues),
            "first_due": min(dues, default=None), "last_due": max(dues, default=None),
            **{name: sum(share[name] for share in shares) for name in STORED_FACTS}}


async def _history(session: AsyncSession, ids: list[int]) -> list[tuple]:
    """(kind, assignment id, row id, value, extra) of the shares' replies (category, on time), ratings
    (kind, rating) and contacts (method), in one round trip, by row id."""
    r, e, c = Reply, Evaluation, ContactLog
    query = union_all(
        select(literal("reply").label("kind"), r.assignment_id, r.id, r.category.label("value"),
               case((r.on_time, "1"), else_="0").label("extra")).where(r.assignment_id.in_(ids)),
        select(literal("rating"), e.assignment_id, e.id, e.kind, e.rating).where(e.assignment_id.in_(ids)),
        select(literal("contact"), c.assignment_id, c.id, c.method, null()).where(c.assignment_id.in_(ids)),
    )
    rows = (await session.execute(query)).all()
    return sorted(rows, key=lambda row: (row[0], row[2]))
