"""What screening, co-signing and withdrawal write (不作为代表建议、确认联名、撤回及联名代表同意).

A text that is not a deputy's suggestion keeps its reason and its disposition (退回代表, 作代表来信处理,
转有关部门参考), both told to the deputy. A co-signer confirms at any time before the proposal is
finished; staff may record a paper confirmation for one (`on_behalf_of`). A withdrawal of a joint
proposal, where the settings ask for it, is a request until every confirmed co-signer has agreed;
one refusal cancels it, and it lapses when the proposal moves on (交办, referral, return, 办结).
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import CoSigner, utcnow
from workflow.domain.definition import REPLY_STATES, WITHDRAWABLE_STATES
from workflow.domain.errors import NotAllowed
from workflow.domain.rules import Context
from workflow.engine.registry import effect


def _mine(ctx: Context):
    number = ctx.actor.effective_id
    return next(c for c in ctx.proposal.co_signers if c.deputy.number == number)


def _end_request(ctx: Context) -> None:
    ctx.proposal.withdrawal_requested_at = None
    ctx.proposal.withdrawal_reason = ""
    for co in ctx.proposal.co_signers:
        co.withdrawal_consent_at = None


@effect("confirm_cosign")
async def _confirm_cosign(session: AsyncSession, ctx: Context) -> dict:
    co = _mine(ctx)
    co.confirmed_at = utcnow()
    facts = {"deputy": co.deputy.number, "deputy_name": co.deputy.name}
    if ctx.proposal.state in REPLY_STATES and ctx.proposal.replies:  # 逐人答复: the replies given so far go to them too
        facts["replies_so_far"] = len(ctx.proposal.replies)
    return facts


@effect("join_cosign")
async def _join_cosign(session: AsyncSession, ctx: Context) -> dict:
    """加入联名: the deputy asked themselves, so they are confirmed at once."""
    deputy = await repo.deputy_by_number(session, ctx.actor.effective_id)
    if deputy is None or not deputy.active:
        raise NotAllowed("您不在代表名册中，不能联名。")
    ctx.proposal.co_signers.append(CoSigner(deputy=deputy, confirmed_at=utcnow()))
    return {"deputy": deputy.number, "deputy_name": deputy.name, "joined": True}


@effect("refer")
async def _refer(session: AsyncSession, ctx: Context) -> dict:
    p = ctx.proposal
    p.state_reason = " ".join(filter(None, [ctx.params.get("reason", ""), ctx.params.get("note", "")]))
    p.disposition = ctx.params["disposition"]
    return {}


@effect("withdraw")
async def _withdraw(session: AsyncSession, ctx: Context) -> dict:
    p, reason = ctx.proposal, ctx.params["reason"]
    if not ctx.withdrawal_needs_consent():
        p.state_reason = reason
        return {}
    _end_request(ctx)
    p.withdrawal_requested_at, p.withdrawal_reason = utcnow(), reason
    return {"consent_requested": True, "lead": f"{p.lead_deputy.name}代表",
            "waiting": "、".join(c.deputy.name for c in ctx.confirmed_co_signers())}


@effect("consent_withdrawal")
async def _consent_withdrawal(session: AsyncSession, ctx: Context) -> dict:
    p, co = ctx.proposal, _mine(ctx)
    co.withdrawal_consent_at = utcnow()
    facts = {"deputy": co.deputy.number, "deputy_name": co.deputy.name, "reason": p.withdrawal_reason}
    if ctx.all_co_signers_consented():  # the table's condition: withdrawn now (the request ends on entering it)
        p.state_reason = p.withdrawal_reason
    else:
        facts["waiting"] = "、".join(c.deputy.name for c in ctx.confirmed_co_signers()
                                     if c.withdrawal_consent_at is None)
    return facts


@effect("refuse_withdrawal")
async def _refuse_withdrawal(session: AsyncSession, ctx: Context) -> dict:
    co = _mine(ctx)
    _end_request(ctx)
    return {"deputy": co.deputy.number, "deputy_name": co.deputy.name}


def lapse_withdrawal_request(ctx: Context, state: str, payload: dict) -> None:
    """Entering a state from which a proposal cannot be withdrawn ends a pending request: granted (withdrawn),
    or lapsed (交办, referral, return for revision, 办结)."""
    if state not in WITHDRAWABLE_STATES and getattr(ctx.proposal, "withdrawal_requested_at", None) is not None:
        _end_request(ctx)
        if state != "withdrawn":
            payload["withdrawal_request_lapsed"] = True
