"""Proposals as JSON-ready dicts, for the API and the unit link pages (one shape for both)."""
from __future__ import annotations

from typing import Optional

from storage.models import Assignment, Event, Proposal
from workflow.domain.deadlines import due_date
from workflow.domain.definition import (
    ACTIONS,
    ASSIGNMENT_STATES,
    RATING_LABELS,
    RATINGS,
    REPLY_CATEGORIES,
    REPLY_KINDS,
    ROLES,
    STATES,
    SUPERSEDED_ASSIGNMENT_STATES,
    action_label,
)
from workflow.domain.links import make_token
from workflow.domain.sessions import KINDS, ORIGINS
from workflow.settings import Settings


def unit_link(settings: Settings, assignment: Assignment) -> str:
    token = make_token(settings.server.secret_key, assignment, settings.server.link_ttl_days)
    return f"{settings.server.public_url.rstrip('/')}/u/{token}"


def proposal_summary(p: Proposal) -> dict:
    return {
        "number": p.number, "ref": p.ref, "year": p.year, "state": p.state, "state_label": STATES[p.state],
        "title": p.title, "category": p.category, "lead_deputy": p.lead_deputy.number,
        "lead_deputy_name": p.lead_deputy.name, "key_supervision": p.key_supervision,
        "submitted_at": p.submitted_at, "updated_at": p.updated_at, **session_fields(p),
    }


def session_fields(p: Proposal) -> dict:
    """届/次: the session, the kind and the official number (the year number until it has one)."""
    s = p.congress_session
    return {"session": p.session_id, "session_name": s.name if s is not None else "",
            "kind": p.kind or None, "kind_label": KINDS.get(p.kind, ""),
            "display_number": p.official_number or p.ref, "origin": p.origin or "proposal",
            "origin_label": ORIGINS.get(p.origin or "proposal", ""), "assign_due": p.assign_due}


def assignment_dict(settings: Settings, a: Assignment, with_link: bool = True) -> dict:
    body = {
        "id": a.id, "unit": a.unit.code, "unit_name": a.unit.name, "role": a.role, "role_label": ROLES[a.role],
        "state": a.state, "state_label": ASSIGNMENT_STATES[a.state], "assigned_on": a.assigned_on,
        "sign_due": a.sign_due, "adjustment_due": a.adjustment_due, "opinion_due": a.opinion_due,
        "due_date": a.reply_due, "signed_at": a.signed_at, "contact_logged": a.contact_logged,
        "contacts": [{"date": c.contacted_on, "method": c.method, "summary": c.summary} for c in a.contacts],
        "opinions": [{"text": o.text, "at": o.created_at} for o in a.opinions],
        "progress": [{"text": r.text, "percent": r.percent, "at": r.created_at} for r in a.progress],
        "adjustment_reason": a.adjustment_reason,
        "unsatisfied_count": a.unsatisfied_count or 0, "followup_due": a.followup_due,
        "implementation_rating_asked_on": a.rating_opened_on,
        "adjustment_requested_on": a.adjustment_requested_on, "adjustment_decision_due": a.adjustment_decision_due,
        "extension_requested_due": a.extension_requested_due,
        "extension_requests": [extension_dict(r) for r in a.extension_requests],
    }
    body["deadlines"] = deadline_explanations(settings, a)
    if with_link:
        body["link"] = unit_link(settings, a) if a.state not in SUPERSEDED_ASSIGNMENT_STATES else None
    return body


def deadline_explanations(settings: Settings, a: Assignment) -> list[dict]:
    """Each due date of the assignment and how it was computed (start, days counted, holidays met)."""
    d = settings.deadlines
    found = []
    for name, label, stored, period in (("sign", "签收", a.sign_due, d.sign),
                                        ("adjustment", "申请调整", a.adjustment_due, d.adjustment),
                                        ("opinion", "协办意见", a.opinion_due, d.opinion),
                                        ("reply", "答复", a.reply_due, d.reply)):
        if stored is None:
            continue
        computed = due_date(a.assigned_on, period)
        item = {"name": name, "label": label, "due": stored}
        if computed.due == stored:
            item.update(computed.as_dict())
        else:
            item["explanation"] = f"截止 {stored:%Y-%m-%d}（经工作人员调整或重新办理，不按交办日推算）"
        found.append(item)
    if a.state == "adjustment_requested" and a.adjustment_decision_due and a.adjustment_requested_on:
        item = {"name": "adjustment_decision", "label": "调整申请处理", "due": a.adjustment_decision_due}
        computed = due_date(a.adjustment_requested_on, d.adjustment_decision)
        if computed.due == a.adjustment_decision_due:
            item.update(computed.as_dict())
        found.append(item)
    return found


EXTENSION_STATES = {"pending": "待审批", "approved": "已同意", "refused": "未同意"}


def extension_dict(r) -> dict:
    """One 延期申请 and staff's decision on it."""
    return {"requested_due": r.requested_due, "reason": r.reason, "explained_to_deputy": r.explained_to_deputy,
            "state": r.outcome, "state_label": EXTENSION_STATES.get(r.outcome, r.outcome), "granted_due": r.granted_due,
            "decision_reason": r.decision_reason, "decided_by": r.decided_by, "decided_at": r.decided_at,
            "at": r.created_at}


def deputy_contact(d) -> dict:
    """How a unit reaches a deputy (it must contact the deputy before replying): phone, delegation, work unit."""
    return {"number": d.number, "name": d.name, "phone": d.phone, "delegation": d.delegation,
            "work_unit": d.work_unit}


def event_dict(e: Event, hide_deputies: bool = False) -> dict:
    """One event; for a confidential proposal seen by a co-unit, deputies are not named."""
    if hide_deputies and "deputy" in (e.actor_kind, e.on_behalf_kind):
        hidden = {"kind": "deputy", "id": "", "name": "（保密）"}
        actor = hidden if e.actor_kind == "deputy" else {"kind": e.actor_kind, "id": e.actor_id, "name": e.actor_name}
        return {"seq": e.seq, "action": e.action, "label": action_label(e.action), "from": e.from_state,
                "to": e.to_state, "actor": actor, "on_behalf_of": hidden if e.on_behalf_kind else None,
                "payload": {}, "at": e.created_at, "hash": e.hash}
    return {
        "seq": e.seq, "action": e.action, "label": action_label(e.action), "from": e.from_state, "to": e.to_state,
        "actor": {"kind": e.actor_kind, "id": e.actor_id, "name": e.actor_name},
        "on_behalf_of": {"kind": e.on_behalf_kind, "id": e.on_behalf_id} if e.on_behalf_kind else None,
        "payload": e.payload, "at": e.created_at, "hash": e.hash,
    }


# What a unit's link shows of another unit's share: its name, role, state and dates; of its notes only
# the co-units' opinions, and only to a lead unit (they are written for it). The page and the JSON of
# /u/<token> are built from this one shape.
UNIT_NOTES = ("contacts", "opinions", "progress", "adjustment_reason", "extension_requests")
NOTE_ACTIONS = {"log_contact": "contacts", "submit_opinion": "opinions", "report_progress": "progress",
                "request_adjustment": "adjustment_reason", "request_extension": "extension_requests",
                "approve_extension": "extension_requests", "refuse_extension": "extension_requests"}


def _shows_note(viewer: Optional[Assignment], owner_id: Optional[int], note: str) -> bool:
    if viewer is None or owner_id is None or owner_id == viewer.id:
        return True
    return note == "opinions" and viewer.role == "lead"


def _as_seen_by(viewer: Optional[Assignment], a: Assignment, body: dict) -> dict:
    for note in UNIT_NOTES:
        if not _shows_note(viewer, a.id, note):
            body[note] = "" if note == "adjustment_reason" else []
    return body


def _event_as_seen_by(viewer: Optional[Assignment], e: Event, body: dict) -> dict:
    note = NOTE_ACTIONS.get(e.action)
    if note is not None and not _shows_note(viewer, e.assignment_id, note):
        body["payload"] = {}
    return body


def proposal_detail(settings: Settings, p: Proposal, events: list[Event], allowed: list[str],
                    viewer_assignment: Optional[Assignment] = None, links: bool = True) -> dict:
    """The whole proposal. A unit sees only its own link, and no co-signers of a confidential proposal;
    without `links` (readers who cannot act: viewers, supervisors) no unit link at all."""
    units = {a.id: a.unit.code for a in p.assignments}
    unit_names = {a.id: a.unit.name for a in p.assignments}
    hide_names = viewer_assignment is not None and p.confidential and viewer_assignment.role != "lead"
    body = proposal_summary(p)
    body.update({
        "content": p.content, "confidential": p.confidential, "face_to_face": p.face_to_face,
        "key_leader": p.key_leader, "key_committee": p.key_committee, "key_proposed": p.key_proposed,
        "reason": p.state_reason, "round": p.round, "unsatisfied_count": p.unsatisfied_count,
        # A unit sees only the confirmed co-signers (the 联名代表); staff see the unconfirmed too (未确认).
        "co_signers": [] if hide_names else [
            {"number": c.deputy.number, "name": c.deputy.name, "confirmed": c.confirmed_at is not None,
             "withdrawal_consented": c.withdrawal_consent_at is not None, **_reach(c.deputy)}
            for c in p.co_signers if viewer_assignment is None or c.confirmed_at is not None],
        "disposition": p.disposition,
        "withdrawal_requested_at": p.withdrawal_requested_at, "withdrawal_reason": p.withdrawal_reason,
        "allowed_actions": allowed,
        "allowed_action_labels": {a: ACTIONS[a].label for a in allowed},
        "assignments": [
            _as_seen_by(viewer_assignment, a, assignment_dict(
                settings, a, with_link=links and (viewer_assignment is None or a.id == viewer_assignment.id)))
            for a in p.assignments],
        "consultations": [{"question": c.question, "advice": c.advice, "advised_by": c.advised_by,
                           "at": c.created_at, "advised_at": c.advised_at} for c in p.consultations],
        "replies": [{"id": r.id, "unit": units.get(r.assignment_id), "unit_name": unit_names.get(r.assignment_id),
                     "round": r.round, "kind": r.kind or "answer", "kind_label": REPLY_KINDS.get(r.kind or "answer"),
                     "category": r.category, "category_label": REPLY_CATEGORIES[r.category], "text": r.text,
                     "signer": r.signer, "signer_title": r.signer_title, "doc_number": r.doc_number,
                     "handler": r.handler, "handler_phone": r.handler_phone, "promise_date": r.promise_date, "on_time": r.on_time, "at": r.created_at,
                     "replied_on": r.replied_on, "published": r.published} for r in p.replies],
        "evaluations": [{"kind": e.kind, "rating": e.rating, "rating_label": RATING_LABELS.get(e.rating, e.rating),
                         "reason": e.reason,
                         "unit": units.get(e.assignment_id), "unit_name": unit_names.get(e.assignment_id),
                         "reply_id": e.reply_id, "entered_by": e.entered_by,
                         # 征询意见表 (reply ratings from migration 0019; None: not asked or not answered)
                         "attitude": e.attitude, "attitude_label": RATINGS.get(e.attitude or "", ""),
                         "contacted": e.contacted, "contact_method": e.contact_method, "opinion": e.opinion,
                         "form_date": e.form_date, "at": e.created_at} for e in p.evaluations],
        "events": [_event_as_seen_by(viewer_assignment, e, event_dict(e, hide_deputies=hide_names))
                   for e in events],
    })
    # A confidential proposal's deputies are reached by the lead unit only (co-units see 保密).
    body["lead_deputy_contact"] = None if hide_names else deputy_contact(p.lead_deputy)
    if hide_names:
        body["lead_deputy_name"] = "（保密）"
        body["lead_deputy"] = None
    return body


def _reach(d) -> dict:
    return {k: v for k, v in deputy_contact(d).items() if k in ("phone", "delegation", "work_unit")}
