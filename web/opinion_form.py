"""The printable 《代表建议办理情况征询意见表》: one A4 sheet per lead unit's reply, blank boxes to tick by
hand, or ticked where the deputy has already rated (online, in the chat, or entered by staff).

The deputy prints it from the feedback link (/f/<token>/form); staff print it, blank or filled, from the
console (/console/proposals/<ref>/opinion-form) to post with the reply or to file with the paper form.
With evaluation.separate_attitude off the sheet asks one rating of the reply, as the online form does.
"""
from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from web.keys import ENGINE, SETTINGS
from workflow.domain.clock import local_date
from workflow.domain.definition import (
    CONTACT_METHODS,
    IMPLEMENTED_CATEGORIES,
    NO_FEEDBACK,
    RATINGS,
    REPLY_CATEGORIES,
    SUPERSEDED_ASSIGNMENT_STATES,
)
from workflow.readmodels.sessions import reference_of


def _rated(proposal, reply, kind: str):
    """The deputy's rating of `reply` (the newest), or None; 未反馈 is no rating on paper."""
    found = [e for e in proposal.evaluations if e.reply_id == reply.id and e.kind == kind and e.rating != NO_FEEDBACK]
    return found[-1] if found else None


def _answer(proposal, assignment_id: int):
    """The unit's newest answer (答复, not a 再次答复 while 落实中): what the 征询意见表 asks about."""
    answers = [r for r in proposal.replies if r.assignment_id == assignment_id and (r.kind or "answer") == "answer"]
    return answers[-1] if answers else None


def sheets(proposal) -> list[dict]:
    """One sheet per lead unit that has replied, in the order the units were assigned."""
    found = []
    for a in proposal.assignments:
        if a.role != "lead" or a.state in SUPERSEDED_ASSIGNMENT_STATES:
            continue
        reply = _answer(proposal, a.id)
        if reply is None:
            continue
        rated = _rated(proposal, reply, "reply")
        implemented = _rated(proposal, reply, "implementation") if reply.category in IMPLEMENTED_CATEGORIES else None
        found.append({
            "unit_name": a.unit.name, "category": reply.category, "category_label": REPLY_CATEGORIES[reply.category],
            "replied_on": reply.replied_on or local_date(reply.created_at), "signer": reply.signer,
            "round": reply.round, "asks_implementation": reply.category in IMPLEMENTED_CATEGORIES,
            "e": rated, "implementation": implemented})
    return found


def render(request: web.Request, proposal, back: str) -> web.Response:
    """The A4 page of `proposal`'s sheets; `back` is where the 返回 link goes."""
    settings = request.app[SETTINGS]
    names = settings.names
    leads = [a.unit.name for a in proposal.assignments
             if a.role == "lead" and a.state not in SUPERSEDED_ASSIGNMENT_STATES]
    context = {
        "p": proposal, "reference": reference_of(names.place, proposal), "sheets": sheets(proposal),
        "leads": leads, "deputy": proposal.lead_deputy.name, "names": names, "ratings": RATINGS,
        "separate": settings.evaluation.separate_attitude, "methods": CONTACT_METHODS, "back": back,
        "printed_on": request.app[ENGINE].clock(),
    }
    response = aiohttp_jinja2.render_template("opinion_form.html", request, context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response
