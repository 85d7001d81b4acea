"""并案办理 on a unit's link page: the other proposals of the group, and one reply form for several of them.

The reply form of a grouped proposal offers "同样答复并案的其他建议" with a box per member this unit
leads (ticked by default). Posting it replies to each proposal separately, through the engine, each as
that proposal's own link would (its own reply record and event; the guards, such as a logged contact,
apply per proposal). A refusal of one leaves the others' replies standing; the page says which is which.
Form fields `also_<number>` = on; JSON `"also": [numbers]`.
"""
from __future__ import annotations

from typing import Any, Optional

from aiohttp import web

from web.keys import DB, ENGINE
from workflow.domain.rules import Actor
from workflow.errors import USER_ERRORS, InvalidInput
from workflow.readmodels.handling_groups import Member, others_in_group

PREFIX = "also_"
REPLY = "reply"


def _actor(assignment) -> Actor:
    return Actor("unit", assignment.unit.code, assignment.unit.name, assignment_id=assignment.id)


async def members_view(request: web.Request, session, proposal, assignment) -> list[dict]:
    """The other members as the page shows them, with whether this unit may reply to each now (and why not)."""
    engine = request.app[ENGINE]
    shown = []
    for member in await others_in_group(session, proposal, assignment.unit_id):
        row = member.as_dict()
        row["reply_open"], row["why"] = False, ""
        if member.share is not None and member.share.role == "lead":
            actor = _actor(member.share)
            row["reply_open"] = REPLY in engine.allowed_actions(member.proposal, actor, member.share)
            row["why"] = "" if row["reply_open"] else engine.refusals(member.proposal, actor, member.share).get(
                REPLY, "本单位现在不能答复这件建议（未签收或已答复）。")
        shown.append(row)
    return shown


def also_numbers(body: dict) -> list[str]:
    """The members ticked (and taken out of `body`): JSON `also`, or the form's `also_<number>` boxes."""
    numbers = body.pop("also", None)
    if numbers is None:
        numbers = []
    elif isinstance(numbers, str):
        numbers = [n for n in numbers.replace("，", ",").split(",")]
    elif not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise InvalidInput("“同样答复并案的其他建议”应为建议编号的列表。", field="also")
    for key in [k for k in body if k.startswith(PREFIX)]:
        if body.pop(key) in ("on", "true", "1", True):
            numbers.append(key[len(PREFIX):])
    return list(dict.fromkeys(n.strip() for n in numbers if n.strip()))


async def reply_to_each(request: web.Request, proposal, assignment, body: dict, also: list[str]) -> dict:
    """Reply to this proposal and to each ticked member, one by one; {"replied": [...], "refused": [...]}."""
    async with request.app[DB].read() as session:
        members = {m.number: m for m in await others_in_group(session, proposal, assignment.unit_id)}
    engine, replied, refused, own_error = request.app[ENGINE], [], [], None
    targets: list[tuple[str, Optional[Member]]] = [(proposal.number or proposal.ref, None)]
    targets += [(n, members.get(n)) for n in also if n != proposal.number]
    for number, member in targets:
        why = _not_ours(number, member) if number != targets[0][0] else ""
        if not why:
            ref, actor = (proposal.ref, _actor(assignment)) if member is None else \
                (member.proposal.ref, _actor(member.share))
            try:
                await engine.perform(ref, REPLY, actor, dict(body))
            except USER_ERRORS as exc:
                why, own_error = exc.message, own_error or (exc if member is None else None)
        if why:
            refused.append({"number": number, "message": why})
        else:
            replied.append(number)
    result: dict[str, Any] = {"replied": replied, "refused": refused}
    if not replied and own_error is not None:  # nothing was done: its own refusal answers, as a single reply's
        raise own_error
    return result


def _not_ours(number: str, member: Optional[Member]) -> str:
    if member is None:
        return f"建议 {number} 不在本件的并案中，未答复。"
    if member.share is None or member.share.role != "lead":
        return f"本单位不是建议 {number} 的主办单位，不能答复。"
    return ""
