"""The staff console (/console): the work queue, proposals and their actions, paper entry, unit links.

Pages only translate: what a proposal allows is `Engine.allowed_actions`, every change is one
`Engine.perform` (or `create_proposal`) with the signed-in staff member as the actor, so the event
carries their name. Rosters and imports are in rosters.py, the 交办单 in sheet.py.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web
from sqlalchemy import func, or_, select

from storage.models import Proposal
from web import session
from web.console import assignment_meeting as console_assignment_meeting
from web.console import audit as console_audit
from web.console import auth as console_auth
from web.console import calendar as console_calendar
from web.console import opinions as console_opinions
from web.console import project_vote as console_project_vote
from web.console import projects as console_projects
from web.console import proposal as console_proposal
from web.console import rosters as console_rosters
from web.console import search as console_search
from web.console import sessions as console_sessions
from web.console import sheet as console_sheet
from web.console import stations as console_stations
from web.forms import whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.reports import routes as session_reports
from web.session import render, require
from workflow.domain import words
from workflow.domain.definition import HANDLING_ROLES, STATES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.readmodels.calendar import fallback_warning
from workflow.readmodels.evidence import photos_not_kept
from workflow.readmodels.work_queue import BUCKETS, BY_KEY, LIMIT, counts, due_of, proposals_in

STATIC = Path(__file__).resolve().parent.parent / "static"
PAGE_SIZE = 50


@require()
async def queue(request: web.Request) -> web.Response:
    """GET /console: how many proposals wait in each queue, and the proposals of the chosen one."""
    today = request.app[ENGINE].clock()
    async with request.app[DB].read() as db_session:
        found = await counts(db_session, today)
        chosen = request.query.get("q") if request.query.get("q") in BY_KEY else next(
            (b.key for b in BUCKETS if found[b.key]), BUCKETS[0].key)
        rows = await proposals_in(db_session, chosen, today)
        lines = [_line(p, today) for p in rows]
        not_kept = await photos_not_kept(db_session)
        calendar_warning = await fallback_warning(db_session, request.app[SETTINGS], today)
    return render(request, "console/queue.html", {
        "buckets": BUCKETS, "counts": found, "chosen": BY_KEY[chosen], "lines": lines, "limit": LIMIT,
        "not_kept": not_kept, "calendar_warning": calendar_warning})


def _line(p: Proposal, today) -> dict:
    what, when, late = due_of(p, today)
    return {"ref": p.ref, "number": p.number, "title": p.title, "deputy": p.lead_deputy.name,
            "official": p.official_number,
            "state": STATES[p.state], "category": p.category, "key": p.key_supervision,
            "key_proposed": p.key_proposed and not p.key_supervision,
            "units": "、".join(a.unit.name + ("" if a.role == "lead" else f"（{words.co_unit()}）") for a in p.assignments
                              if a.role in HANDLING_ROLES and a.state not in SUPERSEDED_ASSIGNMENT_STATES),
            "due_what": what, "due": when, "late": late,
            "adjusting": any(a.state == "adjustment_requested" for a in p.assignments),
            "updated_at": p.updated_at}


@require()
async def proposal_list(request: web.Request) -> web.Response:
    """GET /console/proposals: every proposal, newest first, by year, state and words of the title."""
    query = select(Proposal)
    state, words = request.query.get("state", ""), request.query.get("q", "").strip()[:100]
    year = request.query.get("year", "")
    if state in STATES:
        query = query.where(Proposal.state == state)
    year_no = whole_number(year, 1990, 2200)
    if year_no is not None:
        query = query.where(Proposal.year == year_no)
    if words:
        query = query.where(or_(Proposal.title.contains(words, autoescape=True), Proposal.number == words))
    session_no = whole_number(request.query.get("session"), 1, 10**9)
    if session_no is not None:
        query = query.where(Proposal.session_id == session_no)
    page = whole_number(request.query.get("page"), 1, 99999) or 1
    today = request.app[ENGINE].clock()
    async with request.app[DB].read() as db_session:
        total = (await db_session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = (await db_session.execute(
            query.order_by(Proposal.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))).scalars()
        lines = [_line(p, today) for p in rows]
    return render(request, "console/proposals.html", {
        "lines": lines, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "states": STATES, "state": state, "year": year, "q": words})


def setup_routes(app: web.Application) -> None:
    """All console routes, the sign-in pages and the console's static files."""
    session.setup(app)
    console_auth.setup_routes(app)
    app.router.add_static("/static/", STATIC, name="static")
    app.router.add_get("/console", queue)
    app.router.add_get("/console/proposals", proposal_list)
    console_search.setup_routes(app)  # /console/search: full-text search
    console_proposal.setup_routes(app)
    console_rosters.setup_routes(app)
    console_sheet.setup_routes(app)
    console_audit.setup_routes(app)
    console_calendar.setup_routes(app)
    console_sessions.setup_routes(app)
    console_opinions.setup_routes(app)
    console_stations.setup_routes(app)
    console_project_vote.setup_routes(app)  # 票决: the ballot, the count's entry and result (before projects' {number})
    console_projects.setup_routes(app)
    console_assignment_meeting.setup_routes(app)
    session_reports.setup_routes(app)
