"""One action on one citizen's opinion, inside the caller's transaction: checked against the tables in
workflow/domain/opinions.py, its effect on the rows, its event on the opinion's chain and its outbox rows.

The doors that open the transaction are workflow/engine/opinions.py (OpinionEngine) and, for the
proposals that carry opinions, workflow/engine/carried.py. Nothing personal (the citizen's name, phone
or openid) enters an event's payload; the outbox row for the citizen names their openid only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CitizenOpinion, DeputyCard, OpinionReferral, OutboxMessage, RecordEvent, Station, Unit
from workflow.domain.deadlines import due_date
from workflow.domain.errors import Forbidden, InvalidInput, NotAllowed
from workflow.domain.machine import fire_record
from workflow.domain.opinions import (
    OPINION_ACTIONS,
    OPINION_FINAL_STATES,
    OPINION_MACHINE,
    OPINION_STATES,
    OUT_OF_REMIT,
    REFERRAL_MACHINE,
    Opinionated,
    action_possible,
    acts_for_opinion,
    referral_problem,
)
from workflow.domain.params import clean_values
from workflow.domain.rules import Actor
from workflow.engine.chain import append_record_event
from workflow.settings import Settings

SUBJECT = "opinion"


@dataclass
class OpinionResult:
    opinion: CitizenOpinion
    event: RecordEvent
    from_state: str
    to_state: str


@dataclass
class Step:
    """What one action needs besides the opinion: the settings, today's Beijing date, the unit it names."""

    settings: Settings
    today: dt.date
    unit: Optional[Unit] = None


def facts_of(opinion: CitizenOpinion, station: Optional[Station], step: Optional[Step] = None,
             params: Optional[dict] = None) -> Opinionated:
    numbers = frozenset(d.deputy.number for d in (station.deputies if station is not None else []))
    params = params or {}
    unit = step.unit if step is not None else None
    return Opinionated(deputy=opinion.deputy.number if opinion.deputy is not None else "", station_deputies=numbers,
                       unit_active=(unit.active if unit is not None else None), due_date=params.get("due_date"),
                       today=step.today if step is not None else None)


def refusal(opinion: CitizenOpinion, station: Optional[Station], action: str, actor: Actor) -> str:
    """Why `actor` may not take `action` now ("" when it may), before its parameters are read."""
    spec = OPINION_ACTIONS.get(action)
    if spec is None:
        return f"没有“{action}”这个操作。"
    if opinion.state in OPINION_FINAL_STATES:
        return f"这条意见{OPINION_STATES[opinion.state]}，不能再操作。"
    if not action_possible(action, opinion.state):
        return f"意见处于“{OPINION_STATES[opinion.state]}”状态，不能“{spec.label}”。"
    if actor.kind != "system" and actor.kind not in spec.actors:
        return f"“{spec.label}”不能由您办理。"
    if actor.kind == "staff" and actor.role not in ("admin", "staff"):
        return "您的账号只能查看，不能办理。"
    if actor.kind == "unit" and _open_referral(opinion, actor) is None:
        return "该链接的转办已结束或不属于这条意见。"
    if actor.kind == "citizen" and actor.id != opinion.receipt:
        return "回执号不符。"
    if "acts_for_opinion" in spec.guards:
        return acts_for_opinion(actor.kind, actor.id, facts_of(opinion, station))
    return ""


def allowed_actions(opinion: CitizenOpinion, station: Optional[Station], actor: Actor) -> list[str]:
    return [a for a, spec in OPINION_ACTIONS.items()
            if "system" not in spec.actors and not refusal(opinion, station, a, actor)]


def _open_referral(opinion: CitizenOpinion, actor: Actor) -> Optional[OpinionReferral]:
    return next((r for r in opinion.referrals if r.id == actor.assignment_id and r.state == "open"), None)


async def apply(session: AsyncSession, step: Step, opinion: CitizenOpinion, action: str, actor: Actor,
                raw: dict[str, Any]) -> OpinionResult:
    """Check, change the rows, record the event and the notifications; raises NotAllowed / InvalidInput."""
    station = opinion.station
    why = refusal(opinion, station, action, actor)
    if why:
        raise NotAllowed(why, allowed=allowed_actions(opinion, station, actor))
    params = clean_values(OPINION_ACTIONS[action].params, raw, ())
    if action == "refer":
        step.unit = (await session.execute(select(Unit).where(Unit.code == params["unit"]))).scalar_one_or_none()
        problem = referral_problem(facts_of(opinion, station, step, params))
        if problem:
            raise InvalidInput(problem, field="due_date" if step.unit is not None and step.unit.active else "unit")
    payload = _EFFECTS[action](step, opinion, actor, params)
    return await record(session, step, opinion, action, actor, {**params, **payload})


async def record(session: AsyncSession, step: Step, opinion: CitizenOpinion, action: str, actor: Actor,
                 payload: dict, from_state: Optional[str] = None) -> OpinionResult:
    """Move the state by the table, append the event and add the outbox rows it causes."""
    if from_state is None:
        before, after = fire_record(OPINION_MACHINE, opinion, action)
    else:  # a new opinion: created in its first state
        before, after = from_state, opinion.state
    event = append_record_event(session, SUBJECT, opinion, action, actor, payload, before, after)
    await session.flush()
    session.add_all(await outbox_rows(session, step, opinion, event))
    return OpinionResult(opinion, event, before, after)


# ---------------------------------------------------------------- effects on the rows
def _answerer(actor: Actor) -> str:
    if actor.kind == "deputy":
        return f"{actor.name}代表"
    return actor.name or actor.id


def _answer(step: Step, opinion: CitizenOpinion, actor: Actor, params: dict) -> dict:
    opinion.answer, opinion.answered_by, opinion.answered_on, opinion.route = (
        params["text"], _answerer(actor), step.today, "answer")
    return {"answered_by": opinion.answered_by}


def _refer(step: Step, opinion: CitizenOpinion, actor: Actor, params: dict) -> dict:
    due = params.get("due_date") or due_date(step.today, step.settings.opinions.referral_due).due
    referral = OpinionReferral(unit=step.unit, unit_id=step.unit.id, referred_on=step.today, due=due,
                               note=params.get("note", ""), state="open")
    opinion.referrals.append(referral)
    opinion.route = "refer"
    return {"unit_name": step.unit.name, "due": due, "_referral": referral}


def _unit_answer(step: Step, opinion: CitizenOpinion, actor: Actor, params: dict) -> dict:
    referral = _open_referral(opinion, actor)
    fire_record(REFERRAL_MACHINE, referral, "unit_answer")
    referral.answer, referral.handler, referral.answered_on = params["text"], params.get("handler", ""), step.today
    opinion.answer, opinion.answered_by, opinion.answered_on = params["text"], actor.name, step.today
    return {"referral": referral.id, "unit_name": actor.name, "on_time": step.today <= referral.due}


def _send_back(step: Step, opinion: CitizenOpinion, actor: Actor, params: dict) -> dict:
    referral = _open_referral(opinion, actor)
    fire_record(REFERRAL_MACHINE, referral, "send_back")
    referral.answer, referral.answered_on = params["reason"], step.today
    opinion.route = ""
    return {"referral": referral.id, "unit_name": actor.name}


def _out_of_remit(step: Step, opinion: CitizenOpinion, actor: Actor, params: dict) -> dict:
    opinion.closed_reason = params["reason"]
    opinion.where_to_go = params.get("where") or OUT_OF_REMIT[params["reason"]]
    opinion.route, opinion.answered_on, opinion.answered_by = "out_of_remit", step.today, _answerer(actor)
    for referral in opinion.referrals:
        if referral.state == "open":
            fire_record(REFERRAL_MACHINE, referral, "close_out_of_remit")
    return {"where": opinion.where_to_go}


def _rate(step: Step, opinion: CitizenOpinion, actor: Actor, params: dict) -> dict:
    opinion.rating, opinion.rating_comment = params["rating"], params.get("comment", "")
    return {}


def _refused(step: Step, opinion: CitizenOpinion, actor: Actor, params: dict) -> dict:
    raise Forbidden("这一操作由系统办理。")


_EFFECTS = {"answer": _answer, "refer": _refer, "unit_answer": _unit_answer, "send_back": _send_back,
            "close_out_of_remit": _out_of_remit, "rate": _rate, "to_proposal": _refused,
            "proposal_answered": _refused, "receive": _refused}


# ---------------------------------------------------------------- notifications
# action -> [(kind, who)]: who is "citizen" (their WeChat, when the page knew it), "deputy" (the one it is
# addressed to), "unit" (the referral's unit), "staff".
ROUTING: dict[str, list[tuple[str, str]]] = {
    "receive": [("opinion_received", "deputy")],
    "answer": [("opinion_answered", "citizen")],
    "refer": [("opinion_referred", "unit"), ("opinion_referred_citizen", "citizen")],
    "unit_answer": [("opinion_answered", "citizen"), ("opinion_unit_answered", "deputy")],
    "send_back": [("opinion_sent_back", "deputy"), ("opinion_sent_back", "staff")],
    "to_proposal": [("opinion_in_proposal", "citizen")],
    "proposal_answered": [("opinion_proposal_answered", "citizen")],
    "close_out_of_remit": [("opinion_out_of_remit", "citizen")],
    "rate": [("opinion_rated", "deputy")],
}


async def receipt_path(session: AsyncSession, opinion: CitizenOpinion) -> str:
    """The citizen's progress page: /o/<the code it was left under>/<receipt>."""
    code = ""
    if opinion.deputy_id is not None:
        code = (await session.execute(select(DeputyCard.code).where(DeputyCard.deputy_id == opinion.deputy_id))
                ).scalar_one_or_none() or ""
    if not code and opinion.station is not None:
        code = opinion.station.code
    return f"/o/{code}/{opinion.receipt}" if code else ""


async def outbox_rows(session: AsyncSession, step: Step, opinion: CitizenOpinion, event: RecordEvent) -> list:
    rows, path = [], await receipt_path(session, opinion)
    for kind, who in ROUTING.get(event.action, []):
        recipient = _recipient(opinion, who, event)
        if recipient is None:
            continue
        recipient_kind, recipient_id = recipient
        rows.append(OutboxMessage(
            event_id=None, kind=kind, recipient_kind=recipient_kind, recipient_id=recipient_id,
            idempotency_key=f"o{opinion.id}:{event.seq}:{kind}:{recipient_kind}:{recipient_id}"[:128],
            payload={"subject": SUBJECT, "opinion_id": opinion.id, "receipt": opinion.receipt,
                     "path": path if who == "citizen" else "", "action": event.action, "state": event.to_state,
                     "referral_id": event.payload.get("referral") or _new_referral(opinion, event),
                     "title": opinion.text[:20], "facts": event.payload}))
    return rows


def _new_referral(opinion: CitizenOpinion, event: RecordEvent) -> Optional[int]:
    if event.action != "refer":
        return None
    return opinion.referrals[-1].id if opinion.referrals else None


def _recipient(opinion: CitizenOpinion, who: str, event: RecordEvent) -> Optional[tuple[str, str]]:
    if who == "citizen":
        return ("openid", opinion.citizen_openid) if opinion.citizen_openid else None
    if who == "deputy":
        return ("deputy", opinion.deputy.number) if opinion.deputy is not None else ("staff", "*")
    if who == "unit":
        referral = opinion.referrals[-1] if opinion.referrals else None
        return ("unit", referral.unit.code) if referral is not None else None
    return ("staff", "*")
