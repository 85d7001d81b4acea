"""并案办理 in the engine: what the group guards read, the groups' effects, the members' events, and
assigning a group's members with its lead, all in the lead's transaction.

    combine    (on the lead, {"members": [numbers]}): the group is made (or its emptied row reused); the
               lead's event lists the members, each member gets its own `combine` event on its chain.
    uncombine  (on the lead, {"member": number}): the member leaves before 交办, with its own event.
    assign     (on the lead): every member is then assigned through the engine's own `_apply`, with the
               same parameters: its own `assign` event and assignments; one refusal undoes them all.

Locks are taken lead first, then members by id, so two group writes never wait on each other in a circle.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import HandlingGroup, Proposal
from workflow.domain.definition import FINAL_STATES
from workflow.domain.errors import InvalidInput, NotAllowed
from workflow.domain.handling_groups import GROUP_ACTIONS, GroupFacts
from workflow.domain.rules import Context
from workflow.engine.registry import effect

if TYPE_CHECKING:
    from workflow.engine.engine import ActionResult, Engine

MEMBER_EVENTS = ("combine", "uncombine")  # the actions that write an event on each member's chain too


async def look_up_facts(session: AsyncSession, ctx: Context) -> None:
    """What the guards read, looked up once: the units the parameters name and, for 并案, the group."""
    if ctx.named_units():
        ctx.units = await repo.units_by_codes(session, ctx.named_units())
    if ctx.action in GROUP_ACTIONS:
        ctx.group = await _facts(session, ctx)


async def _facts(session: AsyncSession, ctx: Context) -> GroupFacts:
    proposal = ctx.proposal
    facts = GroupFacts()
    if proposal.group_id is not None:
        group = await session.get(HandlingGroup, proposal.group_id)
        facts.lead = proposal if group.lead_proposal_id == proposal.id else \
            await repo.proposal_by_id(session, group.lead_proposal_id)
    led = (await session.execute(select(HandlingGroup).where(HandlingGroup.lead_proposal_id == proposal.id))
           ).scalars().first()
    facts.group_id = led.id if led is not None else None
    numbers = ctx.params.get("members", []) if ctx.action == "combine" else \
        [ctx.params["member"]] if ctx.action == "uncombine" else []
    found = await _locked(session, Proposal.number.in_(numbers)) if numbers else []
    by_number = {p.number: p for p in found}
    facts.named = {n: by_number.get(n) for n in numbers}
    if ctx.action == "assign" and facts.group_id is not None and proposal.group_id == facts.group_id:
        facts.followers = await _locked(session, Proposal.group_id == facts.group_id, Proposal.id != proposal.id,
                                        Proposal.state.not_in(FINAL_STATES))  # a withdrawn member stays behind
    return facts


async def _locked(session: AsyncSession, *where) -> list[Proposal]:
    query = select(Proposal).where(*where).order_by(Proposal.id).with_for_update(of=Proposal)
    return list((await session.execute(query)).scalars())


@effect("combine")
async def _combine(session: AsyncSession, ctx: Context) -> dict:
    lead = ctx.proposal
    if ctx.group.group_id is None:
        group = HandlingGroup(lead_proposal_id=lead.id, created_by=ctx.actor.name or ctx.actor.id)
        session.add(group)
        await session.flush()
        ctx.group.group_id = group.id
    lead.group_id = ctx.group.group_id
    for member in ctx.group.named.values():
        member.group_id = ctx.group.group_id
    return {"group": ctx.group.group_id, "titles": {n: m.title for n, m in ctx.group.named.items()}}


@effect("uncombine")
async def _uncombine(session: AsyncSession, ctx: Context) -> dict:
    member = ctx.group.named[ctx.params["member"]]
    member.group_id = None
    others = await session.execute(select(Proposal.id).where(
        Proposal.group_id == ctx.group.group_id, Proposal.id != ctx.proposal.id, Proposal.id != member.id))
    if others.first() is None:  # the last member left: the lead is handled alone again (its row is reused)
        ctx.proposal.group_id = None
    return {"group": ctx.group.group_id, "title": member.title, "emptied": ctx.proposal.group_id is None}


async def follow_group(engine: "Engine", session: AsyncSession, ctx: Context, raw: dict) -> None:
    """After the lead's action: each member's own event (combine, uncombine) or own 交办 (assign)."""
    if ctx.group is None:
        return
    if ctx.action in MEMBER_EVENTS:
        for member in ctx.group.named.values():
            await _member_event(engine, session, ctx, member)
    elif ctx.action == "assign":
        for member in ctx.group.followers:
            await _assign_member(engine, session, member, ctx, raw)


async def _member_event(engine: "Engine", session: AsyncSession, ctx: Context, member: Proposal) -> "ActionResult":
    member_ctx = engine._context(member, ctx.action, ctx.actor, {})
    payload = {"lead": ctx.proposal.number, "group": ctx.group.group_id}
    return await engine._record(session, member_ctx, member.state, member.state, payload)


async def _assign_member(engine: "Engine", session: AsyncSession, member: Proposal, ctx: Context, raw: dict) -> None:
    try:
        await engine._apply(session, member, "assign", ctx.actor, raw)
    except (NotAllowed, InvalidInput) as exc:  # one member not assignable: nothing of the group is assigned
        exc.message = f"并案的建议 {member.number} 不能一并交办：{exc.message} 整个并案都没有交办。"
        raise
