"""What a deputy does from the bot besides the workflow's own actions: photos attached to a draft, and a
rating said in words (评价 2025-012 满意) turned into the evaluation it means."""
from __future__ import annotations

from sqlalchemy import func, select

from storage.db import Database
from storage.models import ProposalAttachment, utcnow
from storage.uow import UnitOfWork
from workflow.domain.definition import PRE_SUBMISSION_STATES, STATES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.errors import InvalidInput, NotAllowed
from workflow.domain.params import web_url
from workflow.domain.rules import Actor
from workflow.readmodels.desk import own_proposal


async def attach_photo(db: Database, number: str, ref: str, media_id: str, url: str, msg_id: str) -> int:
    """Keep a photo sent in the chat as evidence of the deputy's draft; returns how many it has now."""
    async with UnitOfWork(db) as session:
        p = await own_proposal(session, number, ref)
        if p.state not in PRE_SUBMISSION_STATES:
            raise NotAllowed(f"建议已{STATES[p.state]}，不能再添加照片。")
        count = select(func.count()).select_from(ProposalAttachment).where(ProposalAttachment.proposal_id == p.id)
        if msg_id and (await session.execute(count.where(ProposalAttachment.msg_id == msg_id[:64]))).scalar_one():
            return (await session.execute(count)).scalar_one()  # the same message again (a run taken over)
        session.add(ProposalAttachment(proposal_id=p.id, deputy_id=p.lead_deputy.id, kind="image",
                                       media_id=media_id[:256], url=web_url(url)[:1024], msg_id=msg_id[:64],
                                       next_fetch_at=utcnow() if media_id else None))  # the worker fetches it
        await session.flush()
        return (await session.execute(count)).scalar_one()


async def rate(engine, number: str, name: str, ref: str, rating: str, reason: str = "", unit: str = ""):
    """Rate whichever stage is open now: the reply (evaluate_reply) or what was done (evaluate_implementation)."""
    actor = Actor("deputy", number, name)
    async with engine.db.read() as session:
        p = await own_proposal(session, number, ref, lead_only=False)
        allowed = engine.allowed_actions(p, actor)
    action = next((a for a in ("evaluate_reply", "evaluate_implementation") if a in allowed), None)
    if action is None:
        if p.lead_deputy.number != number:
            raise NotAllowed("评价由领衔代表进行。", allowed=list(allowed))
        raise NotAllowed(f"建议 {p.ref} 目前{STATES[p.state]}，没有待评价的答复或落实情况。", allowed=list(allowed))
    params = {"rating": rating, "reason": reason}
    if action == "evaluate_reply":  # one word in the chat rates both 办理态度 and 办理结果 (ignored if rated together)
        params["attitude"] = rating
    if unit:
        params["unit"] = unit
    try:
        return action, await engine.perform(p.ref, action, actor, params)
    except InvalidInput as exc:
        if exc.details.get("field") != "unit":
            raise
        raise InvalidInput(_which_unit(p, action), field="unit") from None


def _which_unit(p, action: str) -> str:
    """分办: each lead unit is rated apart; the deputy names the unit (by its code)."""
    leads = [a for a in p.assignments if a.role == "lead" and a.state not in SUPERSEDED_ASSIGNMENT_STATES]
    what = "答复" if action == "evaluate_reply" else "落实情况"
    lines = [f"这件建议有 {len(leads)} 个主办单位，请逐个评价{what}，例如："]
    lines += [f"评价 {p.ref} {a.unit.code} 满意（{a.unit.name}）" for a in leads]
    lines.append("也可以打开答复通知中的链接，逐个单位评价。")
    return "\n".join(lines)
